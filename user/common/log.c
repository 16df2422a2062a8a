// SPDX-License-Identifier: BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <json-c/json.h>
#include "common/log.h"

bool kv_json_output;
int kv_verbose;

void kv_err(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (kv_json_output) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_string(msg));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		fflush(stdout);
	} else {
		fprintf(stderr, "Error: %s\n", msg);
	}
}

/* One line, one write: stderr is unbuffered, and the daemon logs a line or
 * two per session (three writes each, before). */
static void vlog(const char *level, const char *feature, const char *fmt, va_list ap)
{
	char line[2048];
	int n = snprintf(line, sizeof(line), "kavachos: %s%s%s", level, feature ? feature : "",
			 feature ? ": " : "");

	if (n >= 0 && (size_t)n < sizeof(line) - 1)
		n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2; /* cut: the line still ends */
	line[n++] = '\n';
	line[n] = 0;
	fputs(line, stderr);
}

void kv_warn(const char *feature, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", feature, fmt, ap);
	va_end(ap);
}

void kv_info(const char *feature, const char *fmt, ...)
{
	va_list ap;

	if (kv_json_output && !kv_verbose)
		return;
	va_start(ap, fmt);
	vlog("", feature, fmt, ap);
	va_end(ap);
}

void kv_debug(const char *feature, const char *fmt, ...)
{
	va_list ap;

	if (kv_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog("debug: ", feature, fmt, ap);
	va_end(ap);
}
