/* SPDX-License-Identifier: BSD-2-Clause */
/* The ring buffer consumer: kernel events -> receipt type + JSON fields,
 * handed to a sink (the receipt chain of the event's session). */
#ifndef KV_EVENTS_USER_H
#define KV_EVENTS_USER_H
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct kv_bpf;
struct kv_events;

/* type is a receipt type ("SECCOMP_BLOCK", "EGRESS_DENY", ...); fields is
 * consumed by the sink. */
typedef void (*kv_event_sink)(void *ctx, uint64_t session, const char *type,
			      struct json_object *fields, uint64_t ktime_ns);

/* Decode one raw ring-buffer record. Returns 0 and sets type and fields, 1 for
 * an event that is deliberately not sealed (see events.c), or -EINVAL for a
 * malformed record. */
int kv_event_decode(const void *data, size_t size, uint64_t *session, const char **type,
		    struct json_object **fields, uint64_t *ktime_ns);

/* The same receipt, written directly as canonical JSON into buf (the hot
 * path for floods): its length, -EAGAIN when this event takes the general
 * path (kv_event_decode), -ENOSPC, -EINVAL. */
int kv_event_canonical(const void *data, size_t size, uint64_t *session, const char **type,
		       char *buf, size_t len, uint64_t *ktime_ns);

/* A sink for canonical payloads; NULL: every event takes the json-c path. */
typedef void (*kv_event_sink_canonical)(void *ctx, uint64_t session, const char *type,
					const char *payload, size_t len, uint64_t ktime_ns);
void kv_events_set_canonical_sink(struct kv_events *e, kv_event_sink_canonical sink);

int kv_events_open(const struct kv_bpf *b, kv_event_sink sink, void *ctx, struct kv_events **out);
/* Poll up to timeout_ms; returns events consumed or negative errno. */
int kv_events_poll(struct kv_events *e, int timeout_ms);
/* An fd that polls readable when events are waiting (for callers that
 * poll it together with their own fds). */
int kv_events_fd(const struct kv_events *e);
/* Consume everything already in the buffer. */
int kv_events_drain(struct kv_events *e);
void kv_events_close(struct kv_events *e);

const char *kv_class_name(uint32_t cls);
const char *kv_gate_name(uint32_t gate);
#endif
