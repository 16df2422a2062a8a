/* SPDX-License-Identifier: BSD-2-Clause */
/* The session's own PID namespace: the agent cannot signal, trace or list
 * what it cannot name. Its pid 1 is a small init of ours that forwards
 * signals to the agent, reaps orphans and, when the agent exits, reports
 * the agent's wait status and exits (the kernel then kills what is left). */
#ifndef KV_PIDNS_H
#define KV_PIDNS_H
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include "features/features.h"

struct kv_identity;

enum kv_pidns_want {
	KV_PIDNS_OFF = 0, /* --pid-namespace=off, or a kernel without PID namespaces */
	KV_PIDNS_TRY,     /* through the daemon: a user namespace if need be, else none */
	KV_PIDNS_REQUIRE, /* embedded (root), or --pid-namespace=require */
};

const char *kv_pidns_mode_name(enum kv_pidns_mode m);

/* From a single-threaded process: clone the process that will be pid 1 of
 * a new PID namespace: our child, or with as_sibling a child of our own
 * parent (CLONE_PARENT: a helper forked by a multi-threaded `run` clones
 * it, `run` waits for it, the daemon sees its caller's child). Plain
 * first; if that is refused and allow_userns, inside a new user namespace.
 * Returns 0 in the new init, its pid in the caller, or -errno with nothing
 * created. *mode: KV_PIDNS_OWN or KV_PIDNS_USERNS. */
pid_t kv_pidns_clone(bool allow_userns, bool as_sibling, enum kv_pidns_mode *mode);

/* In the new init, before it is placed in the session (BPF-LSM refuses
 * mounts inside): with a user namespace, map our own uid and gid (euid,
 * egid: taken before the clone); then a mount namespace of its own whose
 * /proc belongs to the new PID namespace. 0 or -errno. */
int kv_pidns_init_mounts(enum kv_pidns_mode mode, uid_t euid, gid_t egid);

/* Signal state the init sets before it forks the agent; the agent's process
 * restores it before anything else (kv_pidns_agent_restore). */
struct kv_pidns_sigs {
	sigset_t old_mask;
	struct sigaction old[NSIG];
};
/* The init, first thing: blocks every signal and catches the forwarded
 * ones, so none sent before it forks the agent is lost. 0 or -errno. */
int kv_pidns_init_prepare(struct kv_pidns_sigs *s);
void kv_pidns_agent_restore(const struct kv_pidns_sigs *s);

/* The init's life once the agent is forked: keeps only status_fd, drops to
 * the agent's identity (capabilities too: in a user namespace it holds
 * them), becomes non-dumpable (the agent cannot trace it or read its /proc
 * files), installs a seccomp filter that allows only waiting, kill, one
 * write and exit; then forwards signals sent from outside the namespace to
 * the agent, reaps every process orphaned to it, and when the agent has
 * exited writes its wait status (int) to status_fd and exits. */
__attribute__((noreturn)) void kv_pidns_init_run(pid_t agent, int status_fd,
						 enum kv_pidns_mode mode,
						 const struct kv_identity *id);

/* What the kernel says about pid, as seen from here: the init of a PID
 * namespace below ours (NSpid ends in 1), and whether it also lives in a
 * user namespace other than ours. For the daemon, which must not take the
 * client's word for it. */
enum kv_pidns_mode kv_pidns_of(pid_t pid);
/* The PID namespace agent lives in, as init (its parent) has it: what
 * kv_pidns_of(init) says when agent shares init's namespace, else none. */
enum kv_pidns_mode kv_pidns_of_agent(pid_t agent, pid_t init);
#endif
