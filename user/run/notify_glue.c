// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include "common/log.h"
#include "run/launch.h"
#include "run/notify_glue.h"
#include "seccomp/seccomp.h"

struct kv_notify_glue {
	struct kv_notify *n;
	kv_notify_seal_fn seal;
	void *ctx;
};

static void on_decision(void *ctx, const struct kv_notify_decision *d)
{
	struct kv_notify_glue *g = ctx;
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	int i;

	json_object_object_add(o, "pid", json_object_new_int(d->pid));
	json_object_object_add(o, "nr", json_object_new_int(d->nr));
	json_object_object_add(o, "syscall", json_object_new_string(d->name));
	for (i = 0; i < 6; i++)
		json_object_array_add(a, json_object_new_uint64(d->args[i]));
	json_object_object_add(o, "args", a);
	json_object_object_add(o, "allowed", json_object_new_boolean(d->allowed));
	json_object_object_add(o, "decision", json_object_new_string(d->allowed ? "allow" : "deny"));
	json_object_object_add(o, "errno", json_object_new_int(d->allowed ? 0 : d->error));
	json_object_object_add(o, "reason", json_object_new_string(d->reason ? d->reason : ""));
	/* reconciliation: a denial counts under the kernel's "notify" class */
	json_object_object_add(o, "class", json_object_new_string("notify"));
	if (d->path)
		json_object_object_add(o, "path", json_object_new_string(d->path));
	g->seal(g->ctx, o);
}

struct kv_notify_glue *kv_notify_glue_start(int listener_fd, const struct kv_launch *l, bool ask,
					    kv_notify_seal_fn seal, void *ctx)
{
	struct kv_notify_glue *g = calloc(1, sizeof(*g));
	struct kv_notify_cfg cfg = {
		.listener_fd = listener_fd,
		.launch_pid = l->agent_pid,
		.launch_path = l->path,
		.ask = ask,
		.on_decision = on_decision,
	};
	int e;

	if (!g) {
		close(listener_fd);
		e = -ENOMEM;
		goto fail;
	}
	g->seal = seal;
	g->ctx = ctx;
	cfg.ctx = g;
	e = kv_notify_start(&cfg, &g->n); /* closes the listener on failure */
	if (!e)
		return g;
	free(g);
fail:
	kv_warn("notify", "supervisor not started (%s): NOTIFY-tier calls fail with ENOSYS",
		strerror(-e));
	return NULL;
}

void kv_notify_glue_stop(struct kv_notify_glue *g)
{
	if (!g)
		return;
	kv_notify_stop(g->n);
	free(g);
}
