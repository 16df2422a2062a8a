// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <bpf/libbpf.h>
#include "bpf/loader.h"
#include "common/log.h"
#include "events/events.h"

struct kv_events {
	struct ring_buffer *rb;
	kv_event_sink sink;
	kv_event_sink_canonical csink;
	void *ctx;
	uint64_t malformed;
};

static int handle(void *ctx, void *data, size_t size)
{
	struct kv_events *e = ctx;
	struct json_object *fields;
	const char *type;
	uint64_t session, ktime;
	char buf[1024];
	int rc;

	if (e->csink) {
		rc = kv_event_canonical(data, size, &session, &type, buf, sizeof(buf), &ktime);
		if (rc > 0) {
			e->csink(e->ctx, session, type, buf, (size_t)rc, ktime);
			return 0;
		}
	}
	rc = kv_event_decode(data, size, &session, &type, &fields, &ktime);

	if (rc < 0) {
		/* the kernel wrote it: a mismatch means mixed versions, say so */
		if (!e->malformed++)
			kv_warn("events", "malformed event of %zu bytes (BPF/user ABI mismatch?)", size);
		return 0;
	}
	if (rc == 0)
		e->sink(e->ctx, session, type, fields, ktime);
	return 0;
}

void kv_events_set_canonical_sink(struct kv_events *e, kv_event_sink_canonical sink)
{
	e->csink = sink;
}

int kv_events_open(const struct kv_bpf *b, kv_event_sink sink, void *ctx, struct kv_events **out)
{
	int fd = kv_bpf_map_fd(b, "kv_events");
	struct kv_events *e;

	if (fd < 0)
		return fd;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->sink = sink;
	e->ctx = ctx;
	e->rb = ring_buffer__new(fd, handle, e, NULL);
	if (!e->rb) {
		int err = -errno;

		free(e);
		return err;
	}
	*out = e;
	return 0;
}

int kv_events_poll(struct kv_events *e, int timeout_ms)
{
	int n = ring_buffer__poll(e->rb, timeout_ms);

	return n == -EINTR ? 0 : n;
}

int kv_events_fd(const struct kv_events *e)
{
	return ring_buffer__epoll_fd(e->rb);
}

int kv_events_drain(struct kv_events *e)
{
	return ring_buffer__consume(e->rb);
}

void kv_events_close(struct kv_events *e)
{
	if (!e)
		return;
	ring_buffer__free(e->rb);
	free(e);
}
