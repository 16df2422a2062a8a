/* SPDX-License-Identifier: BSD-2-Clause */
/* Profile -> kernel seccomp filters, the user-notification supervisor, and
 * passing the listener fd from the agent's side to kavachos's. */
#ifndef KV_SECCOMP_H
#define KV_SECCOMP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>
#include "common/sha256.h"
#include "profile/profile.h"

/* Installs p's filters on the calling process (all its threads): call it in
 * the child as the very last step before execve. Sets PR_SET_NO_NEW_PRIVS
 * if it is not set. *notify_fd gets the user-notification listener when the
 * profile has NOTIFY syscalls, else -1; the caller must hand it to the
 * supervisor and close its own copy before execve (an agent holding its own
 * listener could answer for itself). Read-only profiles deny sendmsg: use
 * kv_seccomp_install_handoff there. 0 or -errno. */
int kv_seccomp_install(const struct kv_profile *p, int *notify_fd);

/* If an outer filter already holds the one listener the kernel allows per
 * task (a nested run), NOTIFY-tier syscalls are denied outright instead;
 * profiles that need the launch approval fail with -EBUSY then. */

/* kv_seccomp_install, then sends the listener over the connected AF_UNIX
 * socket sock (kv_fd_send: one byte, with the fd attached when there is one)
 * and closes the listener and sock. For this handoff the filter lets sendmsg
 * through on exactly fd sock when the profile does not allow sendmsg. */
int kv_seccomp_install_handoff(const struct kv_profile *p, int sock);

/* The same in two steps, so the compile (libseccomp, about 2 ms for a full
 * profile) can happen in kavachos before it forks the agent, and the child
 * only runs two seccomp(2) calls. handoff_sock: the fd number the child will
 * hand the listener over (-1: none). prepare keeps a pointer to p, which must
 * outlive prog. */
struct kv_seccomp_prog;
int kv_seccomp_prepare(const struct kv_profile *p, int handoff_sock,
		       struct kv_seccomp_prog **out);
/* In the child, last before execve: like kv_seccomp_install. */
int kv_seccomp_load(const struct kv_seccomp_prog *prog, int *notify_fd);
/* Like kv_seccomp_install_handoff; sock must be the prepared handoff_sock. */
int kv_seccomp_load_handoff(const struct kv_seccomp_prog *prog, int sock);
void kv_seccomp_prog_free(struct kv_seccomp_prog *prog);

/* SHA-256 (hex) of exactly what libseccomp is given for (p, handoff_sock) —
 * rules as planned, default action, flags, tree layout — and of libseccomp's
 * version: equal keys compile to identical filters. 0 or -errno. */
int kv_seccomp_key(const struct kv_profile *p, int handoff_sock, char hex[KV_SHA256_HEX]);

/* ---- compiled filters kept by the daemon (filter_cache.c) ----
 * Compiling is most of what seccomp costs a session start (~3-4 ms of
 * libseccomp); the daemon compiles each distinct profile once and hands the
 * instructions to its clients. The cache lives only in the daemon's memory,
 * where no agent can write. Every entry keeps the SHA-256 of its
 * instructions and is checked against it whenever it is used: one that no
 * longer matches is dropped and compiled again. */
struct kv_seccomp_cache;
struct sock_filter;
#define KV_SECCOMP_CACHE_MAX 64 /* distinct filters kept; the least recently used goes */
int kv_seccomp_cache_new(struct kv_seccomp_cache **out);
/* Like kv_seccomp_prepare, from the cache when it holds p's filter for
 * handoff_sock. *out is the caller's own copy. */
int kv_seccomp_cache_prepare(struct kv_seccomp_cache *c, const struct kv_profile *p,
			     int handoff_sock, struct kv_seccomp_prog **out);
/* Compiles since the cache was made, and entries found corrupted. */
void kv_seccomp_cache_stats(const struct kv_seccomp_cache *c, uint64_t *compiled,
			    uint64_t *corrupted);
void kv_seccomp_cache_free(struct kv_seccomp_cache *c);
/* Tests only: the cached main-filter instructions for (p, handoff_sock), to
 * damage one and see the entry refused. NULL when not cached. */
struct sock_filter *kv_seccomp_cache_peek(struct kv_seccomp_cache *c, const struct kv_profile *p,
					  int handoff_sock, size_t *n);

/* ---- the kernel's seccomp action cache (action_cache.c) ----
 * Whether the kernel will let syscall nr (x86_64) through this filter, or
 * this prepared pair, without running it: its own emulation at attach time,
 * reproduced. */
bool kv_seccomp_const_allow(const struct sock_filter *f, size_t n, uint32_t arch, int nr);
bool kv_seccomp_prog_cached(const struct kv_seccomp_prog *prog, int nr);

/* ---- a compiled filter over the control socket (prog_json.c) ----
 * {"key": hex, "main": hex, "guard": hex, "flags": n, "notify": bool} */
struct json_object *kv_seccomp_prog_json(const struct kv_seccomp_prog *prog);
/* The daemon's filter for the client's own profile p: accepted only when its
 * key is p's key for handoff_sock (both built the profile from the same
 * inputs, with the same libseccomp) and its instructions are within the
 * kernel's bounds. -EKEYREJECTED on a key mismatch (compile locally then),
 * -EINVAL on a malformed object. */
int kv_seccomp_prog_from_json(struct json_object *o, const struct kv_profile *p,
			      int handoff_sock, struct kv_seccomp_prog **out);

/* SCM_RIGHTS over an AF_UNIX socket: one byte, the fd attached when fd >= 0.
 * kv_fd_recv sets *fd to the received fd (O_CLOEXEC) or -1 for a bare byte;
 * -EPIPE when the peer closed without sending. 0 or -errno. */
int kv_fd_send(int sock, int fd);
int kv_fd_recv(int sock, int *fd);

/* For review (generate --format=pfc): libseccomp's pseudo filter code of
 * the main filter, then of the guard filter if the profile needs one. */
int kv_seccomp_export_pfc(const struct kv_profile *p, int fd);
/* Size of the filters in BPF instructions (guard 0 when there is none). */
int kv_seccomp_filter_size(const struct kv_profile *p, size_t *main_insns,
			   size_t *guard_insns);

/* ---- the NOTIFY supervisor (runs in kavachos, one thread) ---- */

struct kv_notify_decision {
	pid_t pid;           /* the calling thread, in kavachos's pid namespace */
	int nr;              /* x86_64 syscall number */
	const char *name;    /* "ptrace", or "#N" for a number without a name */
	uint64_t args[6];
	bool allowed;        /* the kernel ran the call (SECCOMP_USER_NOTIF_FLAG_CONTINUE) */
	int error;           /* errno the agent got when denied (EPERM) */
	const char *reason;  /* "launch exec", "default deny", "approved on the terminal"... */
	const char *path;    /* execve: the path read from the agent; else NULL */
};

struct kv_notify_cfg {
	int listener_fd;         /* taken over: kv_notify_stop (or a failed start) closes it */
	pid_t launch_pid;        /* whose first execve is the launch (0: none) */
	const char *launch_path; /* the launch must exec this path; NULL: any */
	bool ask;                /* ask on the terminal instead of denying */
	unsigned ask_timeout_ms; /* no answer in time denies; 0 = 30 s */
	const char *tty_path;    /* where to ask; NULL = /dev/tty */
	/* called on the supervisor thread after each decision took effect */
	void (*on_decision)(void *ctx, const struct kv_notify_decision *d);
	void *ctx;
};

struct kv_notify;

/* Starts the supervisor thread. Decisions: execve of launch_pid, the first
 * time, with path == launch_path: allowed once (the launch); any later
 * execve: denied. Everything else: denied with EPERM, or asked on the
 * terminal with ask. 0 or -errno. */
int kv_notify_start(const struct kv_notify_cfg *cfg, struct kv_notify **out);
/* Stops the thread and closes the listener: from then on (or if kavachos
 * dies) the kernel fails NOTIFY calls with ENOSYS; the agent never hangs. */
void kv_notify_stop(struct kv_notify *n);
/* Decisions so far. */
void kv_notify_counts(const struct kv_notify *n, uint64_t *allowed, uint64_t *denied);
#endif
