// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "daemon/fs_identity.h"

int kv_fs_identity_of(pid_t pid, struct kv_fs_identity *id)
{
	char path[64], line[4096], *p, *end;
	unsigned r, e, s, fs;
	int found = 0;
	FILE *f;

	memset(id, 0, sizeof(*id));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %u %u %u %u", &r, &e, &s, &fs) == 4) {
			id->uid = (uid_t)fs;
			found |= 1;
		} else if (sscanf(line, "Gid: %u %u %u %u", &r, &e, &s, &fs) == 4) {
			id->gid = (gid_t)fs;
			found |= 2;
		} else if (!strncmp(line, "Groups:", 7)) {
			for (p = line + 7; id->n_groups < KV_FS_MAX_GROUPS; p = end) {
				unsigned long g = strtoul(p, &end, 10);

				if (end == p)
					break;
				id->groups[id->n_groups++] = (gid_t)g;
			}
			found |= 4;
		}
	}
	fclose(f);
	return found == 7 ? 0 : -EIO;
}

int kv_fs_identity_enter(const struct kv_fs_identity *id, struct kv_fs_identity *saved)
{
	int n;

	saved->uid = (uid_t)syscall(SYS_setfsuid, -1); /* -1: only reads it */
	saved->gid = (gid_t)syscall(SYS_setfsgid, -1);
	n = (int)syscall(SYS_getgroups, KV_FS_MAX_GROUPS, saved->groups);
	saved->n_groups = n < 0 ? 0 : n;
	if (syscall(SYS_setgroups, (size_t)id->n_groups, id->groups))
		return -errno;
	syscall(SYS_setfsgid, id->gid);
	syscall(SYS_setfsuid, id->uid);
	/* setfs*id report no error: check that they took */
	if ((uid_t)syscall(SYS_setfsuid, -1) != id->uid ||
	    (gid_t)syscall(SYS_setfsgid, -1) != id->gid) {
		kv_fs_identity_leave(saved);
		return -EPERM;
	}
	return 0;
}

void kv_fs_identity_leave(const struct kv_fs_identity *saved)
{
	syscall(SYS_setfsuid, saved->uid);
	syscall(SYS_setfsgid, saved->gid);
	syscall(SYS_setgroups, (size_t)saved->n_groups, saved->groups);
}
