/* SPDX-License-Identifier: BSD-2-Clause */
/* Whether this process's mount table changed since it was last read:
 * /proc/self/mountinfo is pollable (proc(5): POLLPRI|POLLERR after a mount
 * or umount). The daemon reads the table for every session (the cgroup2
 * mount, the mount of each path a file rule names); with a watch it reads
 * it again only when it changed. */
#ifndef KV_MOUNT_WATCH_H
#define KV_MOUNT_WATCH_H
#include <stdbool.h>

struct kv_mount_watch {
	int fd; /* 0 before the first call (a static watch needs no setup) */
	bool open;
};

/* true on the first call, after a change, and whenever it cannot tell. */
bool kv_mount_watch_changed(struct kv_mount_watch *w);
#endif
