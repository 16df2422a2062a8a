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
#include "session/cgroup.h"

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
#endif
