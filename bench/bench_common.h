/* SPDX-License-Identifier: BSD-2-Clause */
/* What the session benchmarks share: a child that joins a session and
 * gets a filter refusing mkdir (the violation they generate), and the
 * matching syscall bitmap for the kernel's counter. */
#ifndef KV_BENCH_COMMON_H
#define KV_BENCH_COMMON_H
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <seccomp.h>
#include "kv_session.h"
#include "receipts/receipts.h"
#include "run/runtime.h"
#include "session/cgroup.h"
#include "session/session.h"

/* In a forked child: join cg, refuse mkdir from now on; _exit on failure. */
static inline void bench_join_refusing_mkdir(const char *cg)
{
	scmp_filter_ctx ctx;

	if (kv_cgroup_move(cg, getpid()))
		_exit(90);
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mkdir), 0) ||
	    seccomp_load(ctx))
		_exit(91);
	seccomp_release(ctx);
}

static inline void bench_policy_all_but_mkdir(struct kv_syscall_policy *sp)
{
	memset(sp, 0, sizeof(*sp));
	memset(sp->allow, 0xff, sizeof(sp->allow));
	sp->allow[SYS_mkdir / 64] &= ~(1ULL << (SYS_mkdir % 64));
}
/* A session under the agents' root, registered in the maps and with the
 * runtime, its chain in state. 0 or -1. */
static inline int bench_session_start(struct kv_runtime *rt, const char *agents, const char *state,
				      enum kv_sync_mode sync, const struct kv_session *pol,
				      const struct kv_syscall_policy *sp, struct kv_session_info *si,
				      struct kv_chain **chain)
{
	struct kv_chain_opts co = { .state_dir = state, .sync = sync };
	char id[KV_SESSION_ID_LEN];

	if (kv_session_new_id(id) || kv_session_cgroup_create(agents, id, si))
		return -1;
	co.session_id = si->id;
	if (kv_chain_create(&co, NULL, chain) ||
	    kv_session_maps_register(kv_runtime_bpf(rt), si->cgid, pol, sp) ||
	    kv_runtime_add_session(rt, si->cgid, *chain, si->cgroup))
		return -1;
	return 0;
}
#endif
