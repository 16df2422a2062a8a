/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Maps and helpers shared by every KavachOS BPF object. Each object declares
 * these maps; the loader creates them once and hands the same fds to every
 * object (bpf_map__reuse_fd), so all hook groups see one session table,
 * one set of counters and one ring buffer. */
#ifndef KV_COMMON_BPF_H
#define KV_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "kv_session.h"
#include "kv_events.h"
#include "kv_stats.h"

#ifndef EPERM
#define EPERM 1
#endif

/* cgroup level of session cgroups; set by the loader through rodata. */
const volatile __u32 kv_session_level = 1;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KV_MAX_SESSIONS);
	__type(key, __u64);
	__type(value, struct kv_session);
} kv_sessions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KV_MAX_SESSIONS);
	__type(key, __u64);
	__type(value, struct kv_session_state);
} kv_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KV_MAX_SESSIONS);
	__type(key, __u64);
	__type(value, struct kv_syscall_policy);
} kv_syscalls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by the loader from config */
} kv_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KV_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kv_stats SEC(".maps");

static __always_inline void kv_stat_inc(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&kv_stats, &stat);

	if (v)
		*v += 1; /* per-CPU: no atomic needed */
}

/* The session of the current task, or 0 when it is outside every session:
 * one ancestor lookup and one hash lookup, nothing else, for foreign tasks. */
static __always_inline __u64 kv_current_session(struct kv_session **policy)
{
	__u64 id = bpf_get_current_ancestor_cgroup_id(kv_session_level);
	struct kv_session *s;

	if (!id)
		return 0;
	s = bpf_map_lookup_elem(&kv_sessions, &id);
	if (!s)
		return 0;
	if (policy)
		*policy = s;
	return id;
}

static __always_inline __u32 kv_gate_state(__u64 session)
{
	struct kv_session_state *st = bpf_map_lookup_elem(&kv_state, &session);

	return st ? st->gate : KV_GATE_OPEN;
}

static __always_inline void kv_fill_hdr(struct kv_event_hdr *h, __u32 type,
					__u32 size, __u64 session, __u32 cls)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	h->type = type;
	h->size = size;
	h->session = session;
	h->ktime_ns = bpf_ktime_get_boot_ns();
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->uid = (__u32)bpf_get_current_uid_gid();
	h->class = cls;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* Event rate limiter: at most policy->event_rate events per second per
 * session reach the ring buffer; counters stay exact regardless. */
static __always_inline bool kv_rate_take(struct kv_session *s, struct kv_session_state *st,
					 __u64 now)
{
	__u32 rate = s ? s->event_rate : 0;

	if (!rate)
		return true;
	if (now - st->rate_start_ns > 1000000000ULL) {
		st->rate_start_ns = now;
		st->rate_count = 0;
	}
	return __sync_fetch_and_add(&st->rate_count, 1) < rate;
}

static __always_inline bool kv_rate_allow(struct kv_session *s,
					  struct kv_session_state *st, __u64 now)
{
	if (kv_rate_take(s, st, now))
		return true;
	__sync_fetch_and_add(&st->events_suppressed, 1);
	kv_stat_inc(KV_STAT_SUPPRESSED);
	return false;
}

/* Reserve an event for the ring buffer, or count the loss. */
static __always_inline void *kv_event_reserve(struct kv_session_state *st,
					      __u32 size)
{
	void *e = bpf_ringbuf_reserve(&kv_events, size, 0);

	if (!e) {
		if (st)
			__sync_fetch_and_add(&st->events_lost, 1);
		kv_stat_inc(KV_STAT_EVENTS_LOST);
		return 0;
	}
	kv_stat_inc(KV_STAT_EVENTS_SENT);
	return e;
}

/* Process-tree events are not violations: what the limiter or a full ring
 * keeps from them is counted apart (audit_dropped), so a violation's
 * accounting stays exact: delivered + suppressed + lost = counted. */
static __always_inline void *kv_audit_reserve(struct kv_session *s, struct kv_session_state *st,
					      __u32 size)
{
	void *e = 0;

	if (kv_rate_take(s, st, bpf_ktime_get_boot_ns()))
		e = bpf_ringbuf_reserve(&kv_events, size, 0);
	if (!e) {
		__sync_fetch_and_add(&st->audit_dropped, 1);
		kv_stat_inc(KV_STAT_EVENTS_LOST);
		return 0;
	}
	kv_stat_inc(KV_STAT_EVENTS_SENT);
	return e;
}

/* Count one violation of class cls for the session and move the gate
 * valve forward if a threshold is crossed (one-way: only upward, with
 * cmpxchg so two CPUs cannot both emit the same transition).
 * Returns the session state so the caller can decide on an event. */
static __always_inline struct kv_session_state *
kv_violation(__u64 session, struct kv_session *s, __u32 cls)
{
	struct kv_session_state *st = bpf_map_lookup_elem(&kv_state, &session);
	struct kv_ev_gate *g;
	__u64 now = bpf_ktime_get_boot_ns();
	__u32 from, to;
	int i;

	if (!st) {
		kv_stat_inc(KV_STAT_STATE_MISSING);
		return 0;
	}
	if (cls < KV_CLASS_MAX)
		__sync_fetch_and_add(&st->counts[cls], 1);
	__sync_fetch_and_add(&st->total, 1);
	if (s->burst_window_ns && now - st->window_start_ns > s->burst_window_ns) {
		st->window_start_ns = now;
		st->window_count = 0;
	}
	__sync_fetch_and_add(&st->window_count, 1);

	from = st->gate;
	to = kv_gate_target(s, st);
	if (to <= from)
		return st;
	if (__sync_val_compare_and_swap(&st->gate, from, to) != from)
		return st; /* another CPU moved it first and reports it */
	st->gate_ns = now;
	g = kv_event_reserve(st, sizeof(*g));
	if (!g)
		return st;
	kv_fill_hdr(&g->hdr, KV_EV_GATE, sizeof(*g), session, cls);
	g->from = from;
	g->to = to;
	g->trigger_class = cls;
	g->_pad = 0;
	for (i = 0; i < KV_CLASS_MAX; i++)
		g->counts[i] = st->counts[i];
	g->counts[KV_CLASS_MAX] = st->total;
	bpf_ringbuf_submit(g, 0);
	return st;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
#endif
