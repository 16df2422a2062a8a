// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "daemon/agent_pid.h"

int kv_proc_owner(pid_t pid, pid_t *ppid, uid_t *uid)
{
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned a;

		if (sscanf(line, "PPid: %u", &a) == 1) {
			*ppid = (pid_t)a;
			found |= 1;
		} else if (sscanf(line, "Uid: %u", &a) == 1) {
			*uid = (uid_t)a;
			found |= 2;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -EIO;
}

bool kv_proc_in_cgroup(pid_t pid, const char *root, const char *cgroup)
{
	char path[64], line[4096 + 8];
	size_t rl = strlen(root);
	bool in = false;
	FILE *f;

	if (strncmp(cgroup, root, rl))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	/* the cgroup2 line is "0::/path" (relative to the mount) */
	while (!in && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			in = !strcmp(line + 3, cgroup + rl) ||
			     (!cgroup[rl] && !strcmp(line + 3, "/"));
		}
	fclose(f);
	return in;
}
