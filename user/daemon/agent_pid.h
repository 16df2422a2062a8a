/* SPDX-License-Identifier: BSD-2-Clause */
/* What the daemon checks about the pid a client names as its agent. */
#ifndef KV_AGENT_PID_H
#define KV_AGENT_PID_H
#include <stdbool.h>
#include <sys/types.h>

/* The pid's parent and real uid, from /proc. 0 or -errno. */
int kv_proc_owner(pid_t pid, pid_t *ppid, uid_t *uid);
/* Whether pid lives in the cgroup2 directory cgroup (an absolute path
 * under the mount at root): the client spawned it there, nothing to move. */
bool kv_proc_in_cgroup(pid_t pid, const char *root, const char *cgroup);
#endif
