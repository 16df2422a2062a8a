/* SPDX-License-Identifier: BSD-2-Clause */
/* Spawning the agent: fork, wait until the parent has placed the child in
 * its session cgroup, then in the child: environment, identity, no_new_privs,
 * seccomp as the very last step, execve. */
#ifndef KV_LAUNCH_H
#define KV_LAUNCH_H
#include <limits.h>
#include <sys/types.h>
#include "run/privs.h"

struct kv_profile;
struct kv_landlock_plan;

struct kv_launch {
	char path[PATH_MAX]; /* resolved binary */
	char **argv;
	char **envp;
	struct kv_identity id;
	const struct kv_profile *profile; /* NULL: no seccomp (tests only) */
	/* bind-mounted over /etc/resolv.conf in the agent's own mount namespace
	 * before it joins its cgroup (inside, BPF-LSM refuses mounts); NULL: none */
	const char *resolv_conf;
	/* file rules where BPF-LSM cannot load: applied in the child after the
	 * privilege drop, before seccomp; NULL: none */
	const struct kv_landlock_plan *landlock;
	/* a Landlock ruleset built before the fork (by the daemon, or from
	 * landlock): the child only restricts itself with it, with these
	 * restrict flags; -1: the child builds one from landlock, if any */
	int landlock_fd;
	unsigned landlock_flags;
	/* the filter already compiled for profile and handoff_fd (by the daemon,
	 * or before the fork): the child only loads it; NULL: it compiles */
	const struct kv_seccomp_prog *seccomp;
	/* the session cgroup's directory: the child is born in it where the
	 * kernel lets us (kv_cgroup_fork_into); -1: none */
	int cgroup_fd;
	bool in_cgroup; /* set by kv_launch_spawn: born there, no move needed */
	/* set by kv_launch_prepare: the child's end of the listener handoff,
	 * and its ends of the go and error pipes until the fork */
	int handoff_fd, child_go, child_err;
	bool prepared;
	/* parent side, filled by kv_launch_spawn */
	pid_t pid;
	int go_fd;     /* write 1 byte to let the child go on */
	int err_fd;    /* child's exec/setup error: int errno, or EOF on exec */
	int notify_sock; /* the child sends its seccomp listener fd here */
};

/* PATH lookup like execvp, before forking, so "not found" is known early.
 * 0, -ENOENT or -EACCES. */
int kv_launch_resolve(const char *name, char out[PATH_MAX]);
/* The pipes and the handoff socket, before the fork: the seccomp filter
 * depends on the handoff fd's number (read-only profiles let sendmsg
 * through on it alone), so a filter compiled elsewhere needs it first.
 * kv_launch_spawn calls it when the caller did not. 0 or -errno. */
int kv_launch_prepare(struct kv_launch *l);
/* Fork the child (into cgroup_fd when set); it blocks until kv_launch_go.
 * With resolv_conf, returns once the child's mount namespace is ready.
 * 0 or -errno. */
int kv_launch_spawn(struct kv_launch *l);
/* Release the child. It then sends its listener fd (if any): *notify_fd is
 * set to it or -1. Returns 0 once the child reached execve, or the child's
 * setup errno (negative) if it failed before that. */
int kv_launch_go(struct kv_launch *l, int *notify_fd);
/* Reports whether the exec itself succeeded: 0, or -errno of execve. Call
 * after the notify supervisor runs (exec may need its approval). */
int kv_launch_exec_result(struct kv_launch *l);
#endif
