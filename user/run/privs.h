/* SPDX-License-Identifier: BSD-2-Clause */
/* Who the agent runs as, and dropping everything else before exec. */
#ifndef KV_PRIVS_H
#define KV_PRIVS_H
#include <stdbool.h>
#include <sys/types.h>

struct kv_identity {
	uid_t uid;
	gid_t gid;
	char name[64];
	bool from_sudo;
};

/* --user=NAME wins; else under sudo the invoking user (SUDO_UID/SUDO_GID);
 * else whoever we are. 0 or -errno (unknown user: -ENOENT). */
int kv_identity_resolve(const char *user, struct kv_identity *id);
/* In the child: supplementary groups, gid, uid; an agent left as uid 0 loses
 * every capability (bounding, ambient, inheritable, effective, permitted)
 * and the root-is-special securebits. Then PR_SET_NO_NEW_PRIVS.
 * 0 or -errno. Async-signal-safe enough for a forked child (no malloc). */
int kv_privs_drop(const struct kv_identity *id);
/* Every capability (bounding, ambient, inheritable, effective, permitted)
 * and the root-is-special securebits, ids unchanged: for a process in a
 * user namespace of its own, which holds them all there. 0 or -errno. */
int kv_privs_drop_caps(void);
#endif
