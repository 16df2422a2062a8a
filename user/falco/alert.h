/* SPDX-License-Identifier: BSD-2-Clause */
/* Falco's JSON alerts (json_output: true), one per line:
 *   {"hostname":..,"output":..,"priority":"Critical","rule":..,"source":"syscall",
 *    "tags":[..],"time":"2026-07-01T10:00:00.123456789Z","output_fields":{..}}
 * parsed, mapped to a KavachOS session, turned into FALCO_ALERT receipt fields;
 * a line reader that survives garbage, partial and oversized lines; and the
 * per-session alert rate limit (more than 5 a minute -> RATE_EXCEEDED). */
#ifndef KV_FALCO_ALERT_H
#define KV_FALCO_ALERT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

#define KV_FALCO_SESSION_ID_MAX	  128 /* [A-Za-z0-9._-], as receipt chains accept */
#define KV_FALCO_LINE_MAX_DEFAULT (64 * 1024)

enum kv_falco_priority {
	KV_FALCO_PRIO_EMERGENCY,
	KV_FALCO_PRIO_ALERT,
	KV_FALCO_PRIO_CRITICAL,
	KV_FALCO_PRIO_ERROR,
	KV_FALCO_PRIO_WARNING,
	KV_FALCO_PRIO_NOTICE,
	KV_FALCO_PRIO_INFORMATIONAL,
	KV_FALCO_PRIO_DEBUG,
};

struct kv_falco_alert {
	struct json_object *root; /* the parsed line; the strings below point into it */
	const char *rule;
	const char *output;
	const char *priority_text; /* as Falco wrote it ("Critical") */
	enum kv_falco_priority priority;
	const char *time;		   /* RFC 3339 as Falco wrote it */
	uint64_t time_ns;		   /* the same, nanoseconds since the epoch (UTC) */
	const char *source;		   /* "syscall" when absent */
	const char *hostname;		   /* NULL when absent */
	struct json_object *tags;	   /* array or NULL */
	struct json_object *output_fields; /* object (empty when absent) */
	/* The session: "" when the alert names none (then the caller maps pid ->
	 * cgroup). session_from names where it came from: thread.cgroups (the kernel's
	 * view, preferred), proc.env[...] / proc.aenv[...] (the environment, which a
	 * process can set for its children), or "output". */
	char session_id[KV_FALCO_SESSION_ID_MAX + 1];
	const char *session_from;
	bool session_conflict; /* cgroup and environment name different sessions */
	int64_t pid;	       /* proc.pid, -1 when absent */
};

/* Parses one line (without its newline). 0, or -EINVAL with the reason in err
 * (not JSON, not an object, trailing data, a missing or mistyped key, an unknown
 * priority, a bad time). out must be released with kv_falco_alert_free(). */
int kv_falco_alert_parse(const char *line, size_t len, struct kv_falco_alert *out, char *err,
			 size_t errlen);
void kv_falco_alert_free(struct kv_falco_alert *a);
const char *kv_falco_priority_name(enum kv_falco_priority p); /* "critical" */

/* The FALCO_ALERT receipt's fields (for kv_chain_append(chain, "FALCO_ALERT",
 * fields, 0)): rule, priority (lower case), output, time, time_ns, source,
 * hostname, tags, output_fields (floats turned into strings: receipts hash
 * integers only), session_source, pid. Caller owns the object. */
struct json_object *kv_falco_alert_receipt_fields(const struct kv_falco_alert *a);

/* ---- line reader ---- */

struct kv_falco_reader;

struct kv_falco_reader_ops {
	/* A valid alert; a is freed after the call. */
	void (*alert)(const struct kv_falco_alert *a, void *ctx);
	/* A line that was skipped: lineno (1-based) and why. */
	void (*bad_line)(unsigned long lineno, const char *why, void *ctx);
};

struct kv_falco_reader_stats {
	unsigned long lines, alerts, bad;
};

/* max_line: longer lines are reported and skipped (0: KV_FALCO_LINE_MAX_DEFAULT). */
struct kv_falco_reader *kv_falco_reader_new(size_t max_line, const struct kv_falco_reader_ops *ops,
					    void *ctx);
/* Feeds bytes as they arrive (any split: partial lines wait for the rest). */
int kv_falco_reader_feed(struct kv_falco_reader *r, const char *buf, size_t len);
/* One read(2) from fd, fed in: bytes read, 0 at end of input, or -errno
 * (-EAGAIN on an empty non-blocking fd). */
ssize_t kv_falco_reader_read_fd(struct kv_falco_reader *r, int fd);
/* End of input: a last line without newline is parsed if it is complete JSON,
 * else reported as partial. */
void kv_falco_reader_finish(struct kv_falco_reader *r);
void kv_falco_reader_stats(const struct kv_falco_reader *r, struct kv_falco_reader_stats *st);
void kv_falco_reader_free(struct kv_falco_reader *r);

/* ---- per-session rate ---- */

#define KV_FALCO_RATE_LIMIT_DEFAULT	5			/* alerts ... */
#define KV_FALCO_RATE_WINDOW_NS_DEFAULT (60ull * 1000000000ull) /* ... per minute */
#define KV_FALCO_RATE_MAX_LIMIT		63

enum kv_falco_rate_verdict {
	KV_FALCO_RATE_OK,	      /* within the limit */
	KV_FALCO_RATE_EXCEEDED,	      /* this alert crossed the limit: seal RATE_EXCEEDED */
	KV_FALCO_RATE_STILL_EXCEEDED, /* over the limit, already signalled */
};

/* More than `limit` alerts within `window_ns` is a burst; it is signalled once,
 * and again only after the rate has dropped back within the limit. */
struct kv_falco_rate {
	uint64_t ts[KV_FALCO_RATE_MAX_LIMIT + 1]; /* ring of the latest alert times */
	unsigned head, n;
	unsigned limit;
	uint64_t window_ns;
	bool tripped;
	uint64_t exceeded; /* times the limit was crossed */
};

/* limit 0 / window 0: the defaults; limit is capped at KV_FALCO_RATE_MAX_LIMIT. */
void kv_falco_rate_init(struct kv_falco_rate *r, unsigned limit, uint64_t window_ns);
/* Counts an alert at now_ns (the alert's time; earlier than the last one counts
 * as the last one). */
enum kv_falco_rate_verdict kv_falco_rate_hit(struct kv_falco_rate *r, uint64_t now_ns);
/* Alerts within the window ending at now_ns. */
unsigned kv_falco_rate_count(const struct kv_falco_rate *r, uint64_t now_ns);
/* RATE_EXCEEDED receipt fields: source "falco", alerts, window_s, limit. */
struct json_object *kv_falco_rate_receipt_fields(const struct kv_falco_rate *r, uint64_t now_ns);
#endif
