// SPDX-License-Identifier: BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "daemon/start_helper.h"
#include "lsm/lsm.h"
#include "seccomp/seccomp.h"

static void *work(void *arg)
{
	struct kv_start_helper *h = arg;
	struct kv_fs_identity saved;
	int e;

	if (h->plan) {
		/* this thread alone takes the client's identity (raw syscalls) */
		e = h->has_as ? kv_fs_identity_enter(&h->as, &saved) : 0;
		if (e)
			snprintf(h->err, sizeof(h->err), "the client's identity: %s", strerror(-e));
		else
			h->rfd = kv_landlock_ruleset_create(h->plan, h->err, sizeof(h->err));
		if (!e && h->has_as)
			kv_fs_identity_leave(&saved);
	}
	if (h->handoff_fd >= 0 &&
	    kv_seccomp_cache_prepare(h->filters, h->profile, h->handoff_fd, &h->prog))
		h->prog = NULL; /* the client compiles */
	return NULL;
}

void kv_start_helper_start(struct kv_start_helper *h)
{
	h->rfd = -1;
	h->prog = NULL;
	h->err[0] = 0;
	h->running = !pthread_create(&h->thread, NULL, work, h);
	if (!h->running)
		work(h);
}

void kv_start_helper_join(struct kv_start_helper *h)
{
	if (h->running)
		pthread_join(h->thread, NULL);
	h->running = false;
}

void kv_start_helper_free(struct kv_start_helper *h)
{
	kv_start_helper_join(h);
	if (h->rfd >= 0)
		close(h->rfd);
	kv_seccomp_prog_free(h->prog);
	h->rfd = -1;
	h->prog = NULL;
}
