/* SPDX-License-Identifier: BSD-2-Clause */
/* cgroup2 helpers. Never assume /sys/fs/cgroup is cgroup2: hybrid hosts
 * mount it at /sys/fs/cgroup/unified; we read /proc/self/mountinfo. */
#ifndef KV_CGROUP_H
#define KV_CGROUP_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Mount point of the cgroup2 hierarchy. 0 or -ENOENT (not mounted). */
int kv_cgroup2_root(char *buf, size_t len);
/* 0 if path is a directory on cgroup2 (statfs magic), else -ENOTDIR / -EMEDIUMTYPE / -errno. */
int kv_cgroup_is_v2(const char *path);
/* Depth of path below the cgroup2 root (root = 0). Negative errno on error. */
int kv_cgroup_level(const char *path);
/* The kernel's cgroup id (what bpf_get_current_ancestor_cgroup_id returns). 0 on error. */
uint64_t kv_cgroup_id(const char *path);
/* mkdir -p inside cgroup2; 0 or -errno. */
int kv_cgroup_mkdir_p(const char *path);
/* Move pid into the cgroup (write to cgroup.procs). 0 or -errno. A move
 * waits for an RCU grace period in the kernel (cgroup_threadgroup_rwsem;
 * ~3-7 ms on a 250 Hz kernel) unless cgroup2 is mounted with favordynmods:
 * spawn into the cgroup instead where possible. */
int kv_cgroup_move(const char *path, pid_t pid);
/* fork(), the child born in the cgroup whose directory cgroup_fd is
 * (clone3 CLONE_INTO_CGROUP: no move, no grace period; kernels >= 5.7).
 * Only while the process has never had a second thread (the child of a raw
 * clone3 gets no glibc fork handling: it must find no lock held by another
 * thread); and only where the caller may write the common ancestor's
 * cgroup.procs (root; not an unprivileged daemon client). Otherwise, and
 * when the kernel refuses, a plain fork(): *placed says which happened.
 * Returns like fork(). */
pid_t kv_cgroup_fork_into(int cgroup_fd, bool *placed);
/* Write "1"/"0" to cgroup.freeze; kill via cgroup.kill. 0 or -errno. */
int kv_cgroup_freeze(const char *path, int frozen);
int kv_cgroup_kill(const char *path);
/* Send sig to every process of the cgroup and its children. 0 or -errno. */
int kv_cgroup_signal(const char *path, int sig);
/* 1 if cgroup.events says "populated 1", 0 if not, -errno. */
int kv_cgroup_populated(const char *path);
/* 1/0 for "frozen", -errno. */
int kv_cgroup_frozen(const char *path);
/* Remove an (empty) cgroup, children first. 0 or -errno. */
int kv_cgroup_remove(const char *path);
/* Resolve the daemon/run --cgroup argument: an absolute path must lie on cgroup2;
 * a relative one is taken below the cgroup2 root. On a hybrid host a path under
 * /sys/fs/cgroup that is not cgroup2 fails with a message naming the real mount. */
int kv_cgroup_resolve(const char *arg, char *out, size_t len, char *err, size_t errlen);
#endif
