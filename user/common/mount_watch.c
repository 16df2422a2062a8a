// SPDX-License-Identifier: BSD-2-Clause
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include "common/mount_watch.h"

bool kv_mount_watch_changed(struct kv_mount_watch *w)
{
	struct pollfd p;

	if (!w->open) {
		w->fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
		w->open = w->fd >= 0;
		/* opening takes a snapshot of the table's event count: poll
		 * reports changes after this point */
		return true;
	}
	p.fd = w->fd;
	p.events = POLLPRI;
	p.revents = 0;
	if (poll(&p, 1, 0) < 0)
		return true;
	return (p.revents & (POLLPRI | POLLERR | POLLNVAL)) != 0;
}
