/* SPDX-License-Identifier: BSD-2-Clause */
/* Spawning the agent. With the session's own PID namespace (pidns.h): run
 * (or a helper, where run has threads) clones the namespace's init, outside
 * the session cgroup (it mounts the namespace's /proc; inside, BPF-LSM
 * refuses mounts), and the init forks the agent's process straight into
 * the session cgroup. Without one, the
 * agent's process is our own child, born in the cgroup where the kernel lets
 * us. Either way the agent's process waits until the parent releases it,
 * then: environment, identity, no_new_privs, Landlock, seccomp as the very
 * last step, execve. */
#ifndef KV_LAUNCH_H
#define KV_LAUNCH_H
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include "run/pidns.h"
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
	/* the session cgroup's directory: the agent's process is born in it
	 * where the kernel lets us (kv_cgroup_fork_into); -1: none */
	int cgroup_fd;
	/* the filter as the daemon sent it (kv_seccomp_prog_json), for an
	 * init cloned early, which parses it for its agent; NULL: none */
	const char *seccomp_json;
	/* an init cloned before the session existed (kv_launch_spawn_early),
	 * waiting for cgroup_fd, the ruleset and the filter: its pid, 0 none;
	 * or why it could not be cloned (errno, while trying early_mode) */
	pid_t early;
	int early_err;
	enum kv_pidns_mode early_mode;
	/* the session's own PID namespace: off, try (a user namespace if need
	 * be, else none), or require */
	enum kv_pidns_want pidns_want;
	bool pidns_userns_ok; /* may make a user namespace for it (no CAP_SYS_ADMIN) */
	/* set by kv_launch_prepare: the agent's end of the control socket, over
	 * which it hands its seccomp listener up (the filter depends on its
	 * number), and the children's ends of the error and status pipes */
	int handoff_fd, child_err, child_status;
	bool prepared;
	/* filled by kv_launch_spawn; pids as our namespace numbers them, from
	 * the kernel (SCM_CREDENTIALS), never a guess */
	pid_t pid;                /* the session's first process: the namespace's init
				   * (outside the session cgroup), else the agent's
				   * process itself; our child either way */
	pid_t agent_pid;          /* the agent's process: the init's child, or pid */
	bool in_cgroup;           /* the agent's process was born in cgroup_fd */
	enum kv_pidns_mode pidns; /* what the session got */
	char pidns_detail[160];   /* how, or why none */
	/* the daemon's connection, watched while we wait for the agent's
	 * process: born in a session cgroup that stays frozen until the
	 * session's genesis is durable, it waits for the daemon to thaw it; a
	 * daemon that goes away meanwhile never will, and the spawn fails */
	bool watch_daemon;
	int daemon_fd;
	/* parent side */
	int sock;      /* SEQPACKET, SO_PASSCRED: ready, hello, listener up; release down */
	int err_fd;    /* child's exec/setup error: int errno, or EOF on exec */
	int status_fd; /* the init's report: the agent's wait status (int), or -1 */
};

/* PATH lookup like execvp, before forking, so "not found" is known early.
 * 0, -ENOENT or -EACCES. */
int kv_launch_resolve(const char *name, char out[PATH_MAX]);
/* The socket and pipes, before the fork: the seccomp filter depends on the
 * handoff fd's number (read-only profiles let sendmsg through on it alone),
 * so a filter compiled elsewhere needs it first. kv_launch_spawn calls it
 * when the caller did not. 0 or -errno. */
int kv_launch_prepare(struct kv_launch *l);
/* Where a namespace is wanted and we have one thread: clones the init now,
 * before what kv_launch_spawn needs exists (the daemon's answer: cgroup_fd,
 * landlock_fd, seccomp_json), so its namespaces and /proc are made while
 * the daemon makes the session; kv_launch_spawn hands it the rest. Else
 * nothing. 0 or -errno. */
int kv_launch_spawn_early(struct kv_launch *l);
/* Spawns the session's processes and returns once the agent's process
 * exists and waits to be released: l->pid, l->agent_pid, l->in_cgroup,
 * l->pidns are set. With KV_PIDNS_TRY a namespace that cannot be made or
 * set up is done without (l->pidns_detail says why). 0, or -errno (the
 * child's setup errno if it failed). */
int kv_launch_spawn(struct kv_launch *l);
/* Placement done: let the agent's process drop privileges, apply Landlock
 * and seccomp and exec. It sends its listener fd (if any): *notify_fd is
 * set to it or -1. Returns 0 once the child reached execve, or the child's
 * setup errno (negative) if it failed before that. */
int kv_launch_release(struct kv_launch *l, int *notify_fd);
/* Reports whether the exec itself succeeded: 0, or -errno of execve. Call
 * after the notify supervisor runs (exec may need its approval). */
int kv_launch_exec_result(struct kv_launch *l);
/* Waits for the agent's exit: *status its wait status (with a PID
 * namespace as its init reports it; the init is reaped by kv_launch_reap).
 * 0 or -errno. */
int kv_launch_wait(struct kv_launch *l, int *status);
/* Reaps the session's first process if kv_launch_wait left it (an init
 * that reported the agent's status; it exits right after). */
void kv_launch_reap(struct kv_launch *l);
/* Closes what is left of the parent's side (an early init that was never
 * handed its session is killed). */
void kv_launch_close(struct kv_launch *l);
#endif
