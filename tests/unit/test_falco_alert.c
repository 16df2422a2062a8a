// SPDX-License-Identifier: BSD-2-Clause
/* Falco JSON alerts: recorded lines parsed and mapped to sessions; garbage,
 * partial and oversized lines skipped without losing their neighbours; receipt
 * fields that hash (no floats); the per-session rate limit. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common/canon_json.h"
#include "falco/alert.h"
#include "kvtest.h"
#include "test_falco_util.h"

#define S1  "ks-20260701T101500Z-1a2b3c4d"
#define S2  "ks-20260701T101733Z-99ffe001"
#define SEC 1000000000ull

struct seen {
	char rules[16][96];
	char sessions[16][64];
	const char *from[16];
	int64_t pids[16];
	unsigned n;
	unsigned long bad_lines[16];
	char bad_why[16][160];
	unsigned nbad;
};

static void on_alert(const struct kv_falco_alert *a, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < 16) {
		snprintf(s->rules[s->n], sizeof(s->rules[0]), "%s", a->rule);
		snprintf(s->sessions[s->n], sizeof(s->sessions[0]), "%s", a->session_id);
		s->from[s->n] = a->session_from;
		s->pids[s->n] = a->pid;
	}
	s->n++;
}

static void on_bad(unsigned long lineno, const char *why, void *ctx)
{
	struct seen *s = ctx;

	if (s->nbad < 16) {
		s->bad_lines[s->nbad] = lineno;
		snprintf(s->bad_why[s->nbad], sizeof(s->bad_why[0]), "%s", why);
	}
	s->nbad++;
}

static const struct kv_falco_reader_ops ops = {.alert = on_alert, .bad_line = on_bad};

/* What mixed.jsonl holds, line by line (see tests/data/falco/alerts/README.md). */
static const struct {
	const char *rule, *session, *from;
	int64_t pid;
} want_alerts[] = {
    {"KavachOS network activity by read-only agent", S1, "thread.cgroups", 4242},
    {"KavachOS credential file read by agent", S1, "proc.env[KAVACHOS_SESSION_ID]", 4242},
    {"KavachOS file transfer tool run by agent", S1, "proc.aenv[KAVACHOS_SESSION_ID]", 4310},
    {"KavachOS link created without packages", S1, "thread.cgroups", 4242},
    {"KavachOS exec by read-only agent", S2, "thread.cgroups", 4400},
    {"Terminal shell in container", "", NULL, 5150},
    {"KavachOS process control without swarm", S2, "output", -1},
    {"KavachOS outbound connection to unusual port", S2, "proc.env[KAVACHOS_SESSION_ID]", 4242},
};

static const struct {
	unsigned long line;
	const char *why;
} want_bad[] = {
    {2, "not a Falco alert: not JSON"},		{4, "not a Falco alert: not JSON (truncated"},
    {6, "not a Falco alert: missing \"rule\""}, {12, "line longer than 2048 bytes"},
    {13, "unknown priority \"Severe\""},
};

static void check_mixed(const struct seen *s, const struct kv_falco_reader *r)
{
	struct kv_falco_reader_stats st;
	size_t i;

	kv_falco_reader_stats(r, &st);
	ASSERT_EQ(st.lines, 14, "lines");
	ASSERT_EQ(st.alerts, 8, "alerts");
	ASSERT_EQ(st.bad, 5, "bad lines");
	if (!ASSERT_EQ(s->n, 8, "alerts delivered") || !ASSERT_EQ(s->nbad, 5, "bad reported"))
		return;
	for (i = 0; i < 8; i++) {
		ASSERT_STREQ(s->rules[i], want_alerts[i].rule, "rule");
		ASSERT_STREQ(s->sessions[i], want_alerts[i].session, want_alerts[i].rule);
		if (want_alerts[i].from)
			ASSERT_STREQ(s->from[i], want_alerts[i].from, want_alerts[i].rule);
		else
			ASSERT_NULL(s->from[i], want_alerts[i].rule);
		ASSERT_EQ(s->pids[i], want_alerts[i].pid, want_alerts[i].rule);
	}
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(s->bad_lines[i], want_bad[i].line, want_bad[i].why);
		ASSERT_HAS_SUBSTR(s->bad_why[i], want_bad[i].why, "reason");
	}
}

KV_TEST(recorded_lines_in_one_piece)
{
	size_t len;
	char *text = tf_slurp(tf_path("tests/data/falco/alerts/mixed.jsonl"), &len);
	struct seen s = {0};
	struct kv_falco_reader *r;

	if (!ASSERT_OK_PTR(text, "read"))
		return;
	r = kv_falco_reader_new(2048, &ops, &s);
	kv_falco_reader_feed(r, text, len);
	ASSERT_EQ(s.n, 7, "last line waits for its newline or the end");
	kv_falco_reader_finish(r);
	check_mixed(&s, r);
	kv_falco_reader_free(r);
	free(text);
}

/* Split anywhere, delivered byte-wise or in odd chunks: same result. */
KV_TEST(recorded_lines_in_any_split)
{
	static const size_t chunks[] = {1, 2, 7, 61, 1000, 4099};
	size_t len, c;
	char *text = tf_slurp(tf_path("tests/data/falco/alerts/mixed.jsonl"), &len);

	if (!ASSERT_OK_PTR(text, "read"))
		return;
	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct seen s = {0};
		struct kv_falco_reader *r = kv_falco_reader_new(2048, &ops, &s);
		size_t off;

		for (off = 0; off < len; off += chunks[c])
			kv_falco_reader_feed(r, text + off,
					     len - off < chunks[c] ? len - off : chunks[c]);
		kv_falco_reader_finish(r);
		check_mixed(&s, r);
		kv_falco_reader_free(r);
	}
	free(text);
}

/* Through a pipe, as from Falco's program_output. */
KV_TEST(recorded_lines_from_a_pipe)
{
	size_t len, off = 0;
	char *text = tf_slurp(tf_path("tests/data/falco/alerts/mixed.jsonl"), &len);
	struct seen s = {0};
	struct kv_falco_reader *r;
	int p[2];
	pid_t pid;
	ssize_t n;

	if (!ASSERT_OK_PTR(text, "read") || !ASSERT_OK(pipe(p), "pipe"))
		return;
	pid = fork();
	if (!pid) {
		close(p[0]);
		while (off < len) { /* in small writes, like a line-buffered producer */
			size_t k = len - off < 333 ? len - off : 333;

			if (write(p[1], text + off, k) != (ssize_t)k)
				_exit(1);
			off += k;
		}
		_exit(0);
	}
	close(p[1]);
	r = kv_falco_reader_new(2048, &ops, &s);
	while ((n = kv_falco_reader_read_fd(r, p[0])) > 0)
		;
	ASSERT_EQ(n, 0, "end of input");
	kv_falco_reader_finish(r);
	check_mixed(&s, r);
	kv_falco_reader_free(r);
	close(p[0]);
	waitpid(pid, NULL, 0);
	free(text);
}

KV_TEST(truncated_last_line_is_reported)
{
	const char *line =
	    "{\"rule\":\"x\",\"priority\":\"Notice\",\"output\":\"o\",\"time\":\"2026-07-01T";
	struct seen s = {0};
	struct kv_falco_reader *r = kv_falco_reader_new(0, &ops, &s);

	kv_falco_reader_feed(r, line, strlen(line));
	kv_falco_reader_finish(r);
	ASSERT_EQ(s.n, 0, "no alert");
	ASSERT_EQ(s.nbad, 1, "reported");
	ASSERT_HAS_SUBSTR(s.bad_why[0], "partial line at end of input", "why");
	kv_falco_reader_free(r);
}

KV_TEST(oversized_line_does_not_eat_the_next)
{
	const char *good = "{\"rule\":\"r\",\"priority\":\"Debug\",\"output\":\"o\","
			   "\"time\":\"2026-07-01T10:00:00Z\",\"output_fields\":{}}\n";
	struct seen s = {0};
	struct kv_falco_reader *r = kv_falco_reader_new(100, &ops, &s);
	char big[1000];
	int i;

	memset(big, 'x', sizeof(big));
	for (i = 0; i < 5; i++) /* 5000 bytes in pieces, then the newline */
		kv_falco_reader_feed(r, big, sizeof(big));
	kv_falco_reader_feed(r, "\n", 1);
	kv_falco_reader_feed(r, good, strlen(good));
	kv_falco_reader_finish(r);
	ASSERT_EQ(s.nbad, 1, "one oversized line");
	ASSERT_HAS_SUBSTR(s.bad_why[0], "(5000)", "size reported");
	ASSERT_EQ(s.n, 1, "the next line survives");
	ASSERT_EQ(s.bad_lines[0], 1, "line number");
	kv_falco_reader_free(r);
}

KV_TEST(parse_rejects_malformed_alerts)
{
	static const struct {
		const char *line, *why;
	} cases[] = {
	    {"", "empty"},
	    {"[1,2]", "not a JSON object"},
	    {"{\"rule\":\"r\"} trailing", "trailing data"},
	    {"{\"rule\":\"r\",\"priority\":\"Notice\",\"time\":\"2026-07-01T10:00:00Z\"}",
	     "missing \"output\""},
	    {"{\"rule\":7,\"priority\":\"Notice\",\"output\":\"o\",\"time\":\"2026-07-01T10:00:"
	     "00Z\"}",
	     "\"rule\" is not a string"},
	    {"{\"rule\":\"\",\"priority\":\"Notice\",\"output\":\"o\",\"time\":\"2026-07-01T10:00:"
	     "00Z\"}",
	     "empty \"rule\""},
	    {"{\"rule\":\"r\",\"priority\":\"Loud\",\"output\":\"o\",\"time\":\"2026-07-01T10:00:"
	     "00Z\"}",
	     "unknown priority"},
	    {"{\"rule\":\"r\",\"priority\":\"Notice\",\"output\":\"o\",\"time\":\"yesterday\"}",
	     "bad time"},
	    {"{\"rule\":\"r\",\"priority\":\"Notice\",\"output\":\"o\",\"time\":\"2026-13-01T10:00:"
	     "00Z\"}",
	     "bad time"},
	    {"{\"rule\":\"r\",\"priority\":\"Notice\",\"output\":\"o\",\"time\":\"2026-07-01T10:00:"
	     "00Z\","
	     "\"output_fields\":[]}",
	     "\"output_fields\" is not an object"},
	    {"{'rule':'r'}", "not JSON"},
	};
	struct kv_falco_alert a;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!ASSERT_EQ(kv_falco_alert_parse(cases[i].line, strlen(cases[i].line), &a, err,
						    sizeof(err)),
			       -EINVAL, cases[i].line))
			continue;
		ASSERT_HAS_SUBSTR(err, cases[i].why, cases[i].line);
		ASSERT_NULL(a.root, "nothing kept");
	}
}

KV_TEST(parse_fields_and_time)
{
	const char *line =
	    "{\"hostname\":\"h\",\"output\":\"o\",\"priority\":\"informational\","
	    "\"rule\":\"r\",\"source\":\"syscall\",\"tags\":[\"a\"],"
	    "\"time\":\"2026-07-01T10:15:02.118274310Z\",\"output_fields\":"
	    "{\"proc.pid\":\"77\",\"thread.cgroups\":\"cpu=/ks-$$$,memory=/x/ks-ok_1\"}}";
	struct kv_falco_alert a;
	char err[256];

	if (!ASSERT_OK(kv_falco_alert_parse(line, strlen(line), &a, err, sizeof(err)), err))
		return;
	ASSERT_EQ(a.priority, KV_FALCO_PRIO_INFORMATIONAL, "priority");
	ASSERT_EQ(a.time_ns, 1782900902ull * SEC + 118274310ull, "time");
	ASSERT_EQ(a.pid, 77, "pid as string");
	/* "ks-$$$" is not a session id; the next "/ks-" is */
	ASSERT_STREQ(a.session_id, "ks-ok_1", "session from cgroups");
	ASSERT_STREQ(a.hostname, "h", "hostname");
	kv_falco_alert_free(&a);
}

KV_TEST(spoofed_environment_loses_to_cgroup)
{
	size_t len;
	char *text = tf_slurp(tf_path("tests/data/falco/alerts/spoofed_session.jsonl"), &len),
	     err[256];
	struct kv_falco_alert a;
	struct json_object *f;

	if (!ASSERT_OK_PTR(text, "read") ||
	    !ASSERT_OK(kv_falco_alert_parse(text, len, &a, err, sizeof(err)), err)) {
		free(text);
		return;
	}
	ASSERT_STREQ(a.session_id, S1, "the kernel's cgroup decides");
	ASSERT_STREQ(a.session_from, "thread.cgroups", "source");
	ASSERT_TRUE(a.session_conflict, "conflict flagged");
	f = kv_falco_alert_receipt_fields(&a);
	ASSERT_TRUE(json_object_get_boolean(json_object_object_get(f, "session_conflict")),
		    "conflict in the receipt");
	json_object_put(f);
	kv_falco_alert_free(&a);
	free(text);
}

KV_TEST(receipt_fields_are_canonical)
{
	size_t len;
	char *text = tf_slurp(tf_path("tests/data/falco/alerts/mixed.jsonl"), &len), *line,
	     *save = NULL;
	unsigned n = 0;

	if (!ASSERT_OK_PTR(text, "read"))
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct kv_falco_alert a;
		struct json_object *f, *of;
		char err[256], *canon;
		size_t clen;

		if (kv_falco_alert_parse(line, strlen(line), &a, err, sizeof(err)))
			continue;
		f = kv_falco_alert_receipt_fields(&a);
		canon = kv_json_canonical(f, &clen);
		ASSERT_OK_PTR(canon, "canonical JSON (no floats)");
		ASSERT_STREQ(json_object_get_string(json_object_object_get(f, "rule")), a.rule,
			     "rule");
		ASSERT_STREQ(json_object_get_string(json_object_object_get(f, "output")), a.output,
			     "output");
		of = json_object_object_get(f, "output_fields");
		ASSERT_TRUE(json_object_is_type(of, json_type_object), "output_fields");
		if (!strcmp(a.rule, "Terminal shell in container"))
			ASSERT_STREQ(
			    json_object_get_string(json_object_object_get(of, "proc.fdusage")),
			    "0.015625", "float as text");
		ASSERT_EQ(json_object_get_int64(json_object_object_get(f, "time_ns")),
			  (int64_t)a.time_ns, "time_ns");
		ASSERT_STREQ(json_object_get_string(json_object_object_get(f, "priority")),
			     kv_falco_priority_name(a.priority), "priority");
		free(canon);
		json_object_put(f);
		kv_falco_alert_free(&a);
		n++;
	}
	ASSERT_EQ(n, 9, "alerts (the long line is fine without a line limit)");
	free(text);
}

KV_TEST(rate_limit_signals_once_per_burst)
{
	struct kv_falco_rate r;
	uint64_t t0 = 1000 * SEC;
	int i;

	kv_falco_rate_init(&r, 0, 0);
	ASSERT_EQ(r.limit, 5, "default limit");
	ASSERT_EQ(r.window_ns, 60 * SEC, "default window");
	for (i = 0; i < 5; i++)
		ASSERT_EQ(kv_falco_rate_hit(&r, t0 + (uint64_t)i * 10 * SEC), KV_FALCO_RATE_OK,
			  "five in a minute are fine");
	ASSERT_EQ(kv_falco_rate_hit(&r, t0 + 55 * SEC), KV_FALCO_RATE_EXCEEDED, "the sixth");
	ASSERT_EQ(kv_falco_rate_hit(&r, t0 + 56 * SEC), KV_FALCO_RATE_STILL_EXCEEDED, "seventh");
	ASSERT_EQ(kv_falco_rate_count(&r, t0 + 56 * SEC), 6, "ring holds limit+1");
	ASSERT_EQ(r.exceeded, 1, "one burst");
	/* a quiet minute: the window drains, the limit re-arms */
	ASSERT_EQ(kv_falco_rate_hit(&r, t0 + 200 * SEC), KV_FALCO_RATE_OK, "after a pause");
	ASSERT_EQ(kv_falco_rate_count(&r, t0 + 200 * SEC), 1, "window drained");
	for (i = 1; i < 5; i++)
		ASSERT_EQ(kv_falco_rate_hit(&r, t0 + 200 * SEC + (uint64_t)i), KV_FALCO_RATE_OK,
			  "5");
	ASSERT_EQ(kv_falco_rate_hit(&r, t0 + 201 * SEC), KV_FALCO_RATE_EXCEEDED, "second burst");
	ASSERT_EQ(r.exceeded, 2, "two bursts");
}

KV_TEST(rate_limit_window_edges)
{
	struct kv_falco_rate r;
	struct json_object *f;
	uint64_t t0 = 5000 * SEC;
	int i;

	kv_falco_rate_init(&r, 2, 10 * SEC);
	kv_falco_rate_hit(&r, t0);
	kv_falco_rate_hit(&r, t0 + 1);
	/* exactly one window later the first alert is out: 2 in the window */
	ASSERT_EQ(kv_falco_rate_hit(&r, t0 + 10 * SEC), KV_FALCO_RATE_OK, "edge excluded");
	ASSERT_EQ(kv_falco_rate_hit(&r, t0 + 10 * SEC), KV_FALCO_RATE_EXCEEDED, "3 in 10s");
	/* out-of-order times count as the latest, never reopen an old window */
	ASSERT_EQ(kv_falco_rate_hit(&r, t0), KV_FALCO_RATE_STILL_EXCEEDED, "late alert");
	f = kv_falco_rate_receipt_fields(&r, t0 + 10 * SEC);
	ASSERT_EQ(json_object_get_int(json_object_object_get(f, "alerts")), 3, "alerts");
	ASSERT_EQ(json_object_get_int(json_object_object_get(f, "limit")), 2, "limit");
	ASSERT_EQ(json_object_get_int(json_object_object_get(f, "window_s")), 10, "window");
	ASSERT_STREQ(json_object_get_string(json_object_object_get(f, "source")), "falco",
		     "source");
	json_object_put(f);
	kv_falco_rate_init(&r, 1000, 0);
	ASSERT_EQ(r.limit, KV_FALCO_RATE_MAX_LIMIT, "limit capped");
	for (i = 0; i < KV_FALCO_RATE_MAX_LIMIT; i++)
		ASSERT_EQ(kv_falco_rate_hit(&r, t0), KV_FALCO_RATE_OK, "under the cap");
	ASSERT_EQ(kv_falco_rate_hit(&r, t0), KV_FALCO_RATE_EXCEEDED, "over the cap");
}

/* Sessions are kept apart: one rate per session. */
KV_TEST(rate_is_per_session)
{
	size_t len;
	char *text = tf_slurp(tf_path("tests/data/falco/alerts/mixed.jsonl"), &len), *line,
	     *save = NULL;
	struct kv_falco_rate r1, r2;
	unsigned n1 = 0, n2 = 0;

	if (!ASSERT_OK_PTR(text, "read"))
		return;
	kv_falco_rate_init(&r1, 3, 0);
	kv_falco_rate_init(&r2, 3, 0);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct kv_falco_alert a;
		char err[256];

		if (kv_falco_alert_parse(line, strlen(line), &a, err, sizeof(err)))
			continue;
		if (!strcmp(a.session_id, S1)) {
			n1++;
			ASSERT_EQ(kv_falco_rate_hit(&r1, a.time_ns),
				  n1 == 4  ? KV_FALCO_RATE_EXCEEDED
				  : n1 > 4 ? KV_FALCO_RATE_STILL_EXCEEDED
					   : KV_FALCO_RATE_OK,
				  "S1");
		} else if (!strcmp(a.session_id, S2)) {
			n2++;
			ASSERT_EQ(kv_falco_rate_hit(&r2, a.time_ns), KV_FALCO_RATE_OK, "S2");
		}
		kv_falco_alert_free(&a);
	}
	ASSERT_EQ(n1, 5, "S1 alerts");
	ASSERT_EQ(n2, 3, "S2 alerts");
	free(text);
}
