/* SPDX-License-Identifier: BSD-2-Clause */
/* The daemon resolving paths for a client as that client: file-system uid,
 * gid and supplementary groups of the calling thread only (raw syscalls:
 * glibc's wrappers would apply them to every thread). A non-zero fsuid also
 * clears the thread's file capabilities (CAP_DAC_OVERRIDE, _READ_SEARCH...),
 * so directories the client cannot search stay closed to the planning too. */
#ifndef KV_FS_IDENTITY_H
#define KV_FS_IDENTITY_H
#include <sys/types.h>

#define KV_FS_MAX_GROUPS 64

struct kv_fs_identity {
	uid_t uid;
	gid_t gid;
	gid_t groups[KV_FS_MAX_GROUPS];
	int n_groups;
};

/* The identity of a client process, from /proc/PID/status (its fs uid and
 * gid, its groups as they are, not as /etc/group says). 0 or -errno. */
int kv_fs_identity_of(pid_t pid, struct kv_fs_identity *id);
/* Switch the calling thread to id; saved gets what to return to. */
int kv_fs_identity_enter(const struct kv_fs_identity *id, struct kv_fs_identity *saved);
void kv_fs_identity_leave(const struct kv_fs_identity *saved);
#endif
