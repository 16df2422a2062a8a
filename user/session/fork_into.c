// SPDX-License-Identifier: BSD-2-Clause
/* Spawning straight into a session cgroup (see kv_cgroup_fork_into). */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/single_threaded.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "session/cgroup.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

pid_t kv_cgroup_fork_into(int cgroup_fd, bool *placed)
{
	struct clone_args ca;
	long pid;

	*placed = false;
	if (cgroup_fd >= 0 && __libc_single_threaded) {
		memset(&ca, 0, sizeof(ca));
		ca.flags = CLONE_INTO_CGROUP;
		ca.exit_signal = SIGCHLD;
		ca.cgroup = (uint64_t)cgroup_fd;
		pid = syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid >= 0) {
			*placed = true;
			return (pid_t)pid;
		}
		/* EACCES/EPERM: not ours to write (an unprivileged caller);
		 * ENOSYS/E2BIG/EINVAL: an older kernel. The caller moves it. */
	}
	return fork();
}
