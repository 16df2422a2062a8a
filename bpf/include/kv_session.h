/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Per-session policy and state, keyed by the session cgroup id (u64).
 *
 * kv_sessions  (HASH u64 -> struct kv_session)        written by user space, read by BPF
 * kv_state     (HASH u64 -> struct kv_session_state)  written by BPF (atomics), read by user space
 * kv_syscalls  (HASH u64 -> struct kv_syscall_policy) the seccomp profile as bitmaps
 *
 * A task belongs to session S when its cgroup's ancestor at level
 * kv_session_level (rodata) has id S and S is a key of kv_sessions.
 * Sub-cgroups the agent creates therefore still count as its session. */
#ifndef KV_SESSION_H
#define KV_SESSION_H
#include "kv_types.h"

#define KV_ABI_VERSION 1
#define KV_MAX_SESSIONS 4096
#define KV_MAX_SYSCALLS 512 /* x86_64 numbers are < 512 */

/* Violation classes: counters, gate valve and receipts all use these. */
enum kv_class {
	KV_CLASS_SYSCALL = 0, /* seccomp block seen at sys_exit */
	KV_CLASS_NOTIFY = 1,  /* NOTIFY-tier call denied by the supervisor */
	KV_CLASS_EGRESS = 2,  /* cgroup connect/sendmsg/sock_create deny */
	KV_CLASS_FILE = 3,    /* LSM / Landlock file deny */
	KV_CLASS_EXEC = 4,    /* exec deny */
	KV_CLASS_PROCESS = 5, /* ptrace, signal, mount, bpf, fork while throttled */
	KV_CLASS_FALCO = 6,   /* Falco alert ingested by the daemon */
	KV_CLASS_MAX = 7,
};

enum kv_gate {
	KV_GATE_OPEN = 0,
	KV_GATE_THROTTLED = 1, /* no new processes */
	KV_GATE_CRACKED = 2,   /* also no exec, egress narrowed to essentials */
	KV_GATE_LOCKED = 3,    /* cgroup frozen, every hook denies */
};

/* kv_session.flags */
#define KV_SF_STRICT_EXEC (1u << 0) /* no exec after the launch */
#define KV_SF_READONLY (1u << 1)    /* trust mask 0: no writes */
#define KV_SF_ENFORCE_GATE (1u << 2) /* hooks apply the gate effects (else they only count) */
#define KV_SF_GATE_LSM (1u << 3)     /* BPF-LSM task_alloc/bprm_check apply the fork/exec
				      * effects; without it the tracepoints do (kill) */
#define KV_SF_FILES_LANDLOCK (1u << 4) /* file rules by Landlock: the file calls it refuses
					* (EACCES/EXDEV) are recorded at sys_exit */

struct kv_session {
	__u32 abi_version;
	__u32 trust_mask;
	__u32 flags;
	__u32 depth;
	__u32 thr_throttle; /* total violations to reach THROTTLED (0 = never) */
	__u32 thr_crack;
	__u32 thr_lock;
	__u32 burst_count;     /* this many within burst_window_ns -> LOCKED */
	__u64 burst_window_ns;
	__u32 event_rate;      /* max events per second to the ring buffer */
	__u32 _pad;
};

struct kv_session_state {
	__u64 counts[KV_CLASS_MAX]; /* exact, even when events are suppressed */
	__u64 total;
	__u64 events_lost;       /* failed ring buffer reservations */
	__u64 events_suppressed; /* rate-limited, counted not streamed */
	__u64 window_start_ns;   /* burst window */
	__u64 rate_start_ns;     /* event rate limiter window (1 s) */
	__u32 window_count;
	__u32 rate_count;
	__u32 gate;              /* enum kv_gate */
	__u32 audit_dropped;     /* process-tree events (not violations) not streamed */
	__u64 gate_ns;           /* bpf_ktime_get_boot_ns() of the last transition */
};

struct kv_syscall_policy {
	__u64 allow[KV_MAX_SYSCALLS / 64]; /* allowed without conditions */
	__u64 cond[KV_MAX_SYSCALLS / 64];  /* allowed only with argument conditions */
	__u64 notify[KV_MAX_SYSCALLS / 64]; /* decided by the user-space supervisor */
};

/* The valve's target state for the counters: one definition for the BPF
 * hooks and for user space (Falco alerts are counted there). */
static inline __u32 kv_gate_target(const struct kv_session *s, const struct kv_session_state *st)
{
	__u64 total = st->total;

	if ((s->thr_lock && total >= s->thr_lock) ||
	    (s->burst_count && st->window_count >= s->burst_count))
		return KV_GATE_LOCKED;
	if (s->thr_crack && total >= s->thr_crack)
		return KV_GATE_CRACKED;
	if (s->thr_throttle && total >= s->thr_throttle)
		return KV_GATE_THROTTLED;
	return KV_GATE_OPEN;
}

_Static_assert(sizeof(struct kv_session) == 48, "kv_session layout");
_Static_assert(sizeof(struct kv_session_state) == 120, "kv_session_state layout");
_Static_assert(sizeof(struct kv_syscall_policy) == 192, "kv_syscall_policy layout");
#endif
