// SPDX-License-Identifier: BSD-2-Clause
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common/timing.h"

static int enabled = -1; /* -1: the environment not read yet */
static double first_ms, last_ms;

static bool on(void)
{
	if (enabled < 0) {
		const char *v = getenv("KAVACHOS_TIMING");

		enabled = v && *v && strcmp(v, "0");
	}
	return enabled;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

void kv_timing_mark(const char *what)
{
	double t;

	if (!on())
		return;
	t = now_ms();
	if (!first_ms)
		first_ms = last_ms = t;
	/* one write: the lines of concurrent processes do not interleave */
	fprintf(stderr, "kavachos: timing[%d]: %8.3f ms (+%7.3f) %s @%.3f\n", (int)getpid(),
		t - first_ms, t - last_ms, what, t);
	last_ms = t;
}

void kv_timing_markf(const char *fmt, ...)
{
	char what[128];
	va_list ap;

	if (!on())
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	kv_timing_mark(what);
}
