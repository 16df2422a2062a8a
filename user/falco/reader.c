// SPDX-License-Identifier: BSD-2-Clause
/* Falco alert lines from a file, a pipe or program_output: bytes in any split,
 * complete lines out. A bad line (not an alert, or longer than max_line) is
 * reported and skipped; the lines around it are not affected. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "falco/alert.h"

struct kv_falco_reader {
	struct kv_falco_reader_ops ops;
	void *ctx;
	size_t max_line;
	char *buf; /* the line being assembled */
	size_t len;
	bool skipping; /* inside an oversized line: drop up to its newline */
	size_t skipped;
	struct kv_falco_reader_stats st;
};

struct kv_falco_reader *kv_falco_reader_new(size_t max_line, const struct kv_falco_reader_ops *ops,
					    void *ctx)
{
	struct kv_falco_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->max_line = max_line ? max_line : KV_FALCO_LINE_MAX_DEFAULT;
	r->buf = malloc(r->max_line + 1);
	if (!r->buf) {
		free(r);
		return NULL;
	}
	if (ops)
		r->ops = *ops;
	r->ctx = ctx;
	return r;
}

void kv_falco_reader_free(struct kv_falco_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

static void bad(struct kv_falco_reader *r, const char *why)
{
	r->st.bad++;
	if (r->ops.bad_line)
		r->ops.bad_line(r->st.lines, why, r->ctx);
}

static void line_done(struct kv_falco_reader *r, const char *line, size_t len)
{
	struct kv_falco_alert a;
	char err[256], why[300];

	r->st.lines++;
	if (len && line[len - 1] == '\r')
		len--;
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (!len)
		return; /* blank lines are not alerts, nor errors */
	if (kv_falco_alert_parse(line, len, &a, err, sizeof(err))) {
		snprintf(why, sizeof(why), "not a Falco alert: %s", err);
		bad(r, why);
		return;
	}
	r->st.alerts++;
	if (r->ops.alert)
		r->ops.alert(&a, r->ctx);
	kv_falco_alert_free(&a);
}

int kv_falco_reader_feed(struct kv_falco_reader *r, const char *buf, size_t len)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t chunk = nl ? (size_t)(nl - buf) : len;

		if (r->skipping) {
			r->skipped += chunk;
		} else if (r->len + chunk > r->max_line) {
			/* oversized: report once, then drop the rest of the line */
			r->skipping = true;
			r->skipped = r->len + chunk;
			r->len = 0;
		} else {
			memcpy(r->buf + r->len, buf, chunk);
			r->len += chunk;
		}
		if (!nl)
			break;
		if (r->skipping) {
			char why[128];

			r->st.lines++;
			snprintf(why, sizeof(why), "line longer than %zu bytes (%zu), skipped",
				 r->max_line, r->skipped);
			bad(r, why);
			r->skipping = false;
			r->skipped = 0;
		} else {
			line_done(r, r->buf, r->len);
		}
		r->len = 0;
		buf += chunk + 1;
		len -= chunk + 1;
	}
	return 0;
}

ssize_t kv_falco_reader_read_fd(struct kv_falco_reader *r, int fd)
{
	char buf[16384];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n > 0)
		kv_falco_reader_feed(r, buf, (size_t)n);
	return n;
}

void kv_falco_reader_finish(struct kv_falco_reader *r)
{
	struct kv_falco_alert a;
	char err[256], why[300];

	if (r->skipping) {
		r->st.lines++;
		snprintf(why, sizeof(why), "line longer than %zu bytes (%zu), skipped", r->max_line,
			 r->skipped);
		bad(r, why);
		r->skipping = false;
	} else if (r->len) {
		/* no newline at the end: complete JSON is still an alert */
		if (!kv_falco_alert_parse(r->buf, r->len, &a, err, sizeof(err))) {
			kv_falco_alert_free(&a);
			line_done(r, r->buf, r->len);
		} else {
			r->st.lines++;
			snprintf(why, sizeof(why), "partial line at end of input: %s", err);
			bad(r, why);
		}
	}
	r->len = 0;
}

void kv_falco_reader_stats(const struct kv_falco_reader *r, struct kv_falco_reader_stats *st)
{
	*st = r->st;
}
