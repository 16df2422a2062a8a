// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <time.h>
#include <bpf/bpf.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpf/loader.h"
#include "common/log.h"
#include "events/events.h"
#include "receipts/receipts.h"
#include "run/runtime.h"
#include "session/cgroup.h"

#define FEAT "runtime"
#define KV_RT_MAX_SESSIONS 1024

struct rt_session {
	uint64_t cgid;
	struct kv_chain *chain;
	char cgroup[PATH_MAX];
	char id[64];
};

struct kv_runtime {
	struct kv_bpf *bpf;
	struct kv_events *ev;
	pthread_t thread;
	atomic_bool stop;
	int wake_fd; /* eventfd: stop now, not at the next poll timeout */
	pthread_mutex_t lock; /* sessions table and ring-buffer consumption */
	struct rt_session sessions[KV_RT_MAX_SESSIONS];
	int nsessions;
	atomic_uint_least64_t orphans; /* warn once per runtime, not per event */
};

static struct rt_session *find(struct kv_runtime *rt, uint64_t cgid)
{
	int i;

	for (i = 0; i < rt->nsessions; i++)
		if (rt->sessions[i].cgid == cgid)
			return &rt->sessions[i];
	return NULL;
}

/* Called with rt->lock held (from poll/drain). */
static void sink(void *ctx, uint64_t session, const char *type, struct json_object *fields,
		 uint64_t ktime_ns)
{
	struct kv_runtime *rt = ctx;
	struct rt_session *s = find(rt, session);

	if (!s) {
		if (!atomic_fetch_add(&rt->orphans, 1))
			kv_warn(FEAT, "%s event for unknown session %llu (logged, not sealed)", type,
				(unsigned long long)session);
		json_object_put(fields);
		return;
	}
	/* LOCKED: freeze the session at once; the hooks deny until it lands */
	if (!strcmp(type, "GATE_TRANSITION")) {
		struct json_object *to;

		if (json_object_object_get_ex(fields, "to", &to) &&
		    !strcmp(json_object_get_string(to), "LOCKED")) {
			int e = kv_cgroup_freeze(s->cgroup, 1);

			json_object_object_add(fields, "frozen", json_object_new_boolean(!e));
			if (e)
				kv_warn(FEAT, "freezing %s failed: %s", s->cgroup, strerror(-e));
		}
	}
	/* a failed append is counted and sealed as EVENTS_LOST by the writer */
	kv_chain_append(s->chain, type, fields, ktime_ns);
}

/* The flood path: payload already canonical (events/canon.c). */
static void sink_canonical(void *ctx, uint64_t session, const char *type, const char *payload,
			   size_t len, uint64_t ktime_ns)
{
	struct kv_runtime *rt = ctx;
	struct rt_session *s = find(rt, session);

	if (!s) {
		if (!atomic_fetch_add(&rt->orphans, 1))
			kv_warn(FEAT, "%s event for unknown session %llu (logged, not sealed)", type,
				(unsigned long long)session);
		return;
	}
	kv_chain_append_canonical(s->chain, type, payload, len, ktime_ns);
}

static void *consume(void *arg)
{
	struct kv_runtime *rt = arg;

	struct pollfd p[2] = { { .fd = kv_events_fd(rt->ev), .events = POLLIN },
			       { .fd = rt->wake_fd, .events = POLLIN } };

	while (!atomic_load(&rt->stop)) {
		pthread_mutex_lock(&rt->lock);
		kv_events_poll(rt->ev, 0);
		pthread_mutex_unlock(&rt->lock);
		/* ring_buffer__poll would hold the lock while sleeping; wait
		 * for data (or the stop) outside it instead */
		poll(p, 2, 1000);
	}
	return NULL;
}

int kv_runtime_start(struct kv_bpf *b, struct kv_runtime **out)
{
	struct kv_runtime *rt = calloc(1, sizeof(*rt));
	int err;

	if (!rt)
		return -ENOMEM;
	rt->bpf = b;
	rt->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (rt->wake_fd < 0) {
		free(rt);
		return -errno;
	}
	pthread_mutex_init(&rt->lock, NULL);
	err = kv_events_open(b, sink, rt, &rt->ev);
	if (err)
		goto fail;
	kv_events_set_canonical_sink(rt->ev, sink_canonical);
	err = -pthread_create(&rt->thread, NULL, consume, rt);
	if (err)
		goto fail;
	*out = rt;
	return 0;
fail:
	kv_events_close(rt->ev);
	close(rt->wake_fd);
	free(rt);
	return err;
}

struct kv_bpf *kv_runtime_bpf(struct kv_runtime *rt)
{
	return rt->bpf;
}

int kv_runtime_add_session(struct kv_runtime *rt, uint64_t cgid, struct kv_chain *chain,
			   const char *cgroup)
{
	int err = 0;

	pthread_mutex_lock(&rt->lock);
	if (find(rt, cgid)) {
		err = -EEXIST;
	} else if (rt->nsessions >= KV_RT_MAX_SESSIONS) {
		err = -ENOSPC;
	} else {
		struct rt_session *s = &rt->sessions[rt->nsessions++];

		s->cgid = cgid;
		s->chain = chain;
		snprintf(s->cgroup, sizeof(s->cgroup), "%s", cgroup);
		/* the session id is the cgroup's last component */
		snprintf(s->id, sizeof(s->id), "%s", strrchr(cgroup, '/') ? strrchr(cgroup, '/') + 1 : cgroup);
	}
	pthread_mutex_unlock(&rt->lock);
	return err;
}

void kv_runtime_remove_session(struct kv_runtime *rt, uint64_t cgid)
{
	struct rt_session *s;

	pthread_mutex_lock(&rt->lock);
	kv_events_drain(rt->ev);
	s = find(rt, cgid);
	if (s)
		*s = rt->sessions[--rt->nsessions];
	pthread_mutex_unlock(&rt->lock);
}

int kv_runtime_seal(struct kv_runtime *rt, uint64_t cgid, const char *type,
		    struct json_object *fields, uint64_t ktime_ns)
{
	struct rt_session *s;
	int err;

	pthread_mutex_lock(&rt->lock);
	/* the kernel's earlier events go first, so order matches reality */
	kv_events_drain(rt->ev);
	s = find(rt, cgid);
	if (!s) {
		json_object_put(fields);
		err = -ENOENT;
	} else {
		err = kv_chain_append(s->chain, type, fields, ktime_ns);
	}
	pthread_mutex_unlock(&rt->lock);
	return err;
}

int kv_runtime_find(struct kv_runtime *rt, const char *id, uint64_t *cgid)
{
	int i, e = -ENOENT;

	pthread_mutex_lock(&rt->lock);
	for (i = 0; i < rt->nsessions; i++)
		if (!strcmp(rt->sessions[i].id, id)) {
			*cgid = rt->sessions[i].cgid;
			e = 0;
		}
	pthread_mutex_unlock(&rt->lock);
	return e;
}

int kv_runtime_user_violation(struct kv_runtime *rt, uint64_t cgid, uint32_t cls,
			      const char *type, struct json_object *fields)
{
	int fd_state = kv_bpf_map_fd(rt->bpf, "kv_state"), fd_pol = kv_bpf_map_fd(rt->bpf, "kv_sessions");
	struct kv_session_state st;
	struct kv_session pol;
	struct rt_session *s;
	struct json_object *g = NULL;
	struct timespec ts;
	uint64_t now;
	uint32_t from, to;
	int e, i;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	pthread_mutex_lock(&rt->lock);
	kv_events_drain(rt->ev);
	s = find(rt, cgid);
	if (!s || bpf_map_lookup_elem(fd_state, &cgid, &st) || bpf_map_lookup_elem(fd_pol, &cgid, &pol)) {
		pthread_mutex_unlock(&rt->lock);
		json_object_put(fields);
		return -ENOENT;
	}
	/* the kernel's counters and valve, moved from user space: the same
	 * rule (kv_gate_target) as the BPF hooks. A BPF update racing this
	 * read-modify-write can lose one increment; documented. */
	st.counts[cls < KV_CLASS_MAX ? cls : KV_CLASS_FALCO]++;
	st.total++;
	if (pol.burst_window_ns && now - st.window_start_ns > pol.burst_window_ns) {
		st.window_start_ns = now;
		st.window_count = 0;
	}
	st.window_count++;
	from = st.gate;
	to = kv_gate_target(&pol, &st);
	if (to > from) {
		st.gate = to;
		st.gate_ns = now;
	}
	e = bpf_map_update_elem(fd_state, &cgid, &st, BPF_EXIST) ? -errno : 0;
	if (!e && fields)
		e = kv_chain_append(s->chain, type, fields, now);
	else
		json_object_put(fields);
	if (!e && to > from) {
		struct json_object *c = json_object_new_object();

		g = json_object_new_object();
		json_object_object_add(g, "from", json_object_new_string(kv_gate_name(from)));
		json_object_object_add(g, "to", json_object_new_string(kv_gate_name(to)));
		json_object_object_add(g, "trigger", json_object_new_string(kv_class_name(cls)));
		for (i = 0; i < KV_CLASS_MAX; i++)
			json_object_object_add(c, kv_class_name(i), json_object_new_uint64(st.counts[i]));
		json_object_object_add(c, "total", json_object_new_uint64(st.total));
		json_object_object_add(g, "counters", c);
		json_object_object_add(g, "class", json_object_new_string("none"));
		if (to == KV_GATE_LOCKED && (pol.flags & KV_SF_ENFORCE_GATE))
			json_object_object_add(g, "frozen",
					       json_object_new_boolean(!kv_cgroup_freeze(s->cgroup, 1)));
		e = kv_chain_append(s->chain, "GATE_TRANSITION", g, now);
	}
	pthread_mutex_unlock(&rt->lock);
	return e;
}

void kv_runtime_stop(struct kv_runtime *rt)
{
	if (!rt)
		return;
	atomic_store(&rt->stop, true);
	if (eventfd_write(rt->wake_fd, 1))
		kv_warn(FEAT, "waking the consumer: %s", strerror(errno));
	pthread_join(rt->thread, NULL);
	close(rt->wake_fd);
	pthread_mutex_lock(&rt->lock);
	kv_events_drain(rt->ev);
	pthread_mutex_unlock(&rt->lock);
	kv_events_close(rt->ev);
	kv_bpf_destroy(rt->bpf);
	pthread_mutex_destroy(&rt->lock);
	free(rt);
}
