// SPDX-License-Identifier: BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "daemon/start_helper.h"
#include "lsm/lsm.h"
#include "run/files_glue.h"
#include "run/inputs.h"
#include "seccomp/seccomp.h"

static void planned(struct kv_start_helper *h, int err)
{
	pthread_mutex_lock(&h->lock);
	h->plan_err = err;
	h->planned = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

/* A Landlock plan is made, and its ruleset built, with the client's own
 * view of the file system (the client planned them itself before the
 * daemon did): root's DAC bypass must not enumerate directories the client
 * cannot. This thread alone takes that identity (raw syscalls). */
static void *work(void *arg)
{
	struct kv_start_helper *h = arg;
	const struct kv_landlock_plan *plan = NULL;
	struct kv_fs_identity saved;
	bool entered = false;
	int e = 0;

	if (h->plan_files && !h->lsm) {
		e = kv_fs_identity_enter(&h->as, &saved);
		entered = !e;
		if (e)
			snprintf(h->plan_msg, sizeof(h->plan_msg), "the client's identity: %s",
				 strerror(-e));
	}
	if (!e && h->plan_files)
		e = kv_files_glue_build(h->in, &h->who, h->binary, h->lsm, h->lsm ? 0 : h->landlock_abi,
					&h->in->files, h->plan_msg, sizeof(h->plan_msg));
	plan = e ? NULL : kv_files_glue_landlock(h->in->files);
	planned(h, e);
	if (plan)
		h->rfd = kv_landlock_ruleset_create(plan, h->err, sizeof(h->err));
	if (entered)
		kv_fs_identity_leave(&saved);
	if (h->handoff_fd >= 0 &&
	    kv_seccomp_cache_prepare(h->filters, h->in->profile, h->handoff_fd, &h->prog))
		h->prog = NULL; /* the client compiles */
	return NULL;
}

void kv_start_helper_start(struct kv_start_helper *h)
{
	h->rfd = -1;
	h->prog = NULL;
	h->err[0] = h->plan_msg[0] = 0;
	h->planned = false;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	h->running = !pthread_create(&h->thread, NULL, work, h);
	if (!h->running)
		work(h);
}

int kv_start_helper_planned(struct kv_start_helper *h)
{
	int e;

	pthread_mutex_lock(&h->lock);
	while (!h->planned)
		pthread_cond_wait(&h->cond, &h->lock);
	e = h->plan_err;
	pthread_mutex_unlock(&h->lock);
	return e;
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
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
}
