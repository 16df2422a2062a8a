// SPDX-License-Identifier: BSD-2-Clause
/* Embedded `run`: this process loads and attaches the BPF objects for its
 * own session cgroup, consumes its own events and seals its own receipts. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bpf/loader.h"
#include "cli/cli.h"
#include "common/log.h"
#include "common/timing.h"
#include "egress/egress.h"
#include "events/events.h"
#include "features/features.h"
#include "profile/profile.h"
#include "receipts/receipts.h"
#include "run/live.h"
#include "run/inputs.h"
#include "run/launch.h"
#include "run/notify_glue.h"
#include "run/pidns.h"
#include "run/falco_ingest.h"
#include "run/dns_glue.h"
#include "run/files_glue.h"
#include "falco/render.h"
#include "daemon/control.h"
#include "run/release.h"
#include "run/run.h"
#include "run/runtime.h"
#include "session/cgroup.h"
#include "session/session.h"
#include "lsm/lsm.h"
#include "seccomp/seccomp.h"

#include "run/run_int.h"

#define FEAT "run"

/* ---- with the daemon: it owns programs, maps and receipts ---- */

struct daemon_ctx {
	int fd;
	const char *id;
	const struct kv_run_inputs *in;
	char *const *argv;
	char state_dir[PATH_MAX];
	/* session_start announced a PID namespace: the agent is named, so
	 * the daemon checks it */
	bool name_agent;
	bool named_pending; /* session_pid sent, its answer not read yet */
};

static int refused(struct json_object *r, const char *what, char *err, size_t errlen)
{
	struct json_object *v;

	if (json_object_object_get_ex(r, "ok", &v) && json_object_get_boolean(v))
		return 0;
	snprintf(err, errlen, "kavachos-load refused %s: %s", what,
		 json_object_object_get_ex(r, "error", &v) ? json_object_get_string(v) : "?");
	return -EPERM;
}

/* The session, before its agent: the daemon makes it and seals the genesis,
 * and hands back the cgroup to spawn the agent into (first fd), the Landlock
 * ruleset for its file rules where it has no BPF-LSM (second fd) and the
 * compiled filter. One round trip: the daemon decides the file mechanism, so
 * no question comes first. */
static int daemon_session_start(struct daemon_ctx *d, struct kv_launch *l,
				struct kv_seccomp_prog **prog, char **prog_json, char *err,
				size_t errlen)
{
	struct json_object *req = json_object_new_object(), *a = json_object_new_array(), *r = NULL,
			   *v;
	int i, e, fds[KV_CONTROL_MAX_FDS], nfds = 0;
	struct ucred peer;

	json_object_object_add(req, "op", json_object_new_string("session_start"));
	json_object_object_add(req, "session_id", json_object_new_string(d->id));
	json_object_object_add(req, "binary", json_object_new_string(l->path));
	for (i = 0; d->argv[i]; i++)
		json_object_array_add(a, json_object_new_string(d->argv[i]));
	json_object_object_add(req, "argv", a);
	json_object_object_add(req, "inputs", json_object_get(d->in->json));
	json_object_object_add(req, "handoff_fd", json_object_new_int(l->handoff_fd));
	/* what the session is to get, in its genesis; checked once the agent
	 * is named (daemon_place) */
	v = json_object_new_object();
	json_object_object_add(v, "mode", json_object_new_string(kv_pidns_mode_name(l->pidns)));
	json_object_object_add(v, "detail", json_object_new_string(l->pidns_detail));
	json_object_object_add(v, "required", json_object_new_boolean(l->pidns_want ==
								      KV_PIDNS_REQUIRE));
	json_object_object_add(req, "pid_namespace", v);
	d->name_agent = l->pidns != KV_PIDNS_NONE;
	e = kv_control_send(d->fd, req);
	json_object_put(req);
	if (e) {
		snprintf(err, errlen, "kavachos-load: %s", strerror(-e));
		return e;
	}
	/* the session's PID namespace and its /proc are made while the daemon
	 * makes the session: its init then waits for the cgroup */
	if (kv_launch_spawn_early(l))
		kv_debug(FEAT, "no early init: it is cloned after the session exists");
	kv_timing_mark("init cloned (the daemon starts the session meanwhile)");
	e = kv_control_recv_fds(d->fd, &r, fds, &nfds, err, errlen);
	if (e)
		return e;
	e = refused(r, "the session", err, errlen);
	/* what it hands over (a cgroup, a ruleset, a filter) is taken from root
	 * only: kavachos-load runs as root, a stand-in at --daemon-socket might not */
	if (!e && (kv_control_peer(d->fd, &peer) || peer.uid != 0)) {
		snprintf(err, errlen, "the daemon at the control socket is not root");
		e = -EPERM;
	}
	if (!e && nfds < 1) {
		snprintf(err, errlen, "kavachos-load sent no session cgroup");
		e = -EPROTO;
	}
	if (!e && json_object_object_get_ex(r, "landlock_restrict_flags", &v) && nfds < 2) {
		snprintf(err, errlen, "kavachos-load sent no Landlock ruleset");
		e = -EPROTO;
	}
	if (e) {
		while (nfds)
			close(fds[--nfds]);
		json_object_put(r);
		return e;
	}
	if (json_object_object_get_ex(r, "state_dir", &v))
		snprintf(d->state_dir, sizeof(d->state_dir), "%s", json_object_get_string(v));
	l->cgroup_fd = fds[0];
	i = 1;
	if (json_object_object_get_ex(r, "landlock_restrict_flags", &v)) {
		l->landlock_fd = fds[i++];
		l->landlock_flags = (unsigned)json_object_get_int64(v);
	}
	while (nfds > i) /* nothing else is expected */
		close(fds[--nfds]);
	/* only the filter our own profile compiles to (same inputs, same
	 * libseccomp); else we compile */
	if (json_object_object_get_ex(r, "seccomp", &v) && l->early > 0) {
		/* the early init accepts it (or not) for its agent */
		*prog_json = strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		l->seccomp_json = *prog_json;
	} else if (json_object_object_get_ex(r, "seccomp", &v)) {
		e = kv_seccomp_prog_from_json(v, l->profile, l->handoff_fd, prog);
		if (e)
			kv_debug(FEAT, "compiling the filter here: the daemon's %s",
				 e == -EKEYREJECTED ? "was compiled from other inputs" : "is malformed");
		l->seccomp = *prog;
	}
	json_object_put(r);
	return 0;
}

/* The agent the daemon's session waits for: one born in the session's
 * cgroup is there already (the daemon sees the cgroup populated), else the
 * daemon moves it. With a PID namespace announced, the daemon is told which
 * process the agent is and what its init is, and checks that against the
 * kernel (a receipt of its own where the genesis was wrong; a mismatch that
 * claims more than the kernel shows ends the session). An agent that must
 * be moved waits for that answer; one born in its cgroup goes on meanwhile,
 * and the answer is read once it is on its way (daemon_released). */
static int daemon_place(void *ctx, const struct kv_launch *l, char *err, size_t errlen)
{
	struct daemon_ctx *d = ctx;
	struct json_object *req, *r = NULL, *v;
	int e;

	if (l->pidns == KV_PIDNS_NONE && d->name_agent)
		kv_warn(FEAT, "session %s has no PID namespace of its own (%s): processes outside it "
			"are visible in /proc", d->id, l->pidns_detail);
	if (l->in_cgroup && !d->name_agent)
		return 0;
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("session_pid"));
	json_object_object_add(req, "session_id", json_object_new_string(d->id));
	json_object_object_add(req, "pid", json_object_new_int(l->agent_pid));
	if (l->pidns != KV_PIDNS_NONE)
		json_object_object_add(req, "init", json_object_new_int(l->pid));
	v = json_object_new_object();
	json_object_object_add(v, "mode", json_object_new_string(kv_pidns_mode_name(l->pidns)));
	json_object_object_add(v, "detail", json_object_new_string(l->pidns_detail));
	json_object_object_add(req, "pid_namespace", v);
	if (l->in_cgroup) {
		json_object_object_add(req, "born_in_cgroup", json_object_new_boolean(true));
		e = kv_control_send(d->fd, req);
		d->named_pending = !e;
		if (e)
			snprintf(err, errlen, "naming the agent to kavachos-load: %s", strerror(-e));
	} else {
		e = kv_control_call(d->fd, req, &r, err, errlen);
		if (!e)
			e = refused(r, "the agent", err, errlen);
	}
	json_object_put(req);
	json_object_put(r);
	return e;
}

/* The answer to the agent's naming, if it was not waited for. */
static int daemon_released(void *ctx, char *err, size_t errlen)
{
	struct daemon_ctx *d = ctx;
	struct json_object *r = NULL;
	int e;

	if (!d->named_pending)
		return 0;
	d->named_pending = false;
	e = kv_control_recv(d->fd, &r, err, errlen);
	if (!e)
		e = refused(r, "the agent", err, errlen);
	json_object_put(r);
	kv_timing_mark("agent named (the daemon's answer)");
	return e;
}

static void daemon_seal(void *ctx, struct json_object *fields)
{
	struct daemon_ctx *d = ctx;
	struct json_object *req = json_object_new_object(), *r = NULL;
	char err[256];

	json_object_object_add(req, "op", json_object_new_string("notify_decision"));
	json_object_object_add(req, "session_id", json_object_new_string(d->id));
	json_object_object_add(req, "decision", fields);
	if (kv_control_call(d->fd, req, &r, err, sizeof(err)))
		kv_warn("notify", "decision not sealed by the daemon: %s", err);
	json_object_put(req);
	json_object_put(r);
}

int kv_run_daemon(const struct kv_run_opts *o, struct kv_run_inputs *in, struct kv_launch *l,
		  int fd)
{
	struct daemon_ctx d = {.fd = fd, .in = in, .argv = o->argv};
	struct kv_run_hooks rh = {.place = daemon_place, .released = daemon_released,
				  .seal = daemon_seal, .ctx = &d};
	struct kv_session_state st = {0};
	struct json_object *req, *r = NULL;
	char id[KV_SESSION_ID_LEN], err[256];
	int rc = KV_EXIT_RUN_FAILED, status = -1;
	bool durable = true; /* unless the daemon says its sync is still running */
	char sync[16] = "group";

	if (kv_session_new_id(id) || kv_run_pidns_plan(o, false, l, err, sizeof(err)))
		return rc;
	d.id = id;
	if (kv_run_session_tmp_create(in, id, &l->id))
		kv_warn(FEAT, "no session tmp dir under /tmp (the agent shares /tmp)");
	snprintf(d.state_dir, sizeof(d.state_dir), "%s", in->state_dir);
	l->envp = kv_run_agent_env(id, in);
	if (!l->envp) {
		kv_err("out of memory");
		return rc;
	}
	kv_debug(FEAT, "session %s through kavachos-load", id);
	{
		struct kv_seccomp_prog *prog = NULL;
		char serr[512], *prog_json = NULL;
		int e = kv_launch_prepare(l);

		if (e) {
			kv_err("cannot start the agent: %s", strerror(-e));
			return rc;
		}
		kv_timing_mark("launch prepared");
		e = daemon_session_start(&d, l, &prog, &prog_json, serr, sizeof(serr));
		kv_timing_mark("session started by the daemon");
		if (e) {
			kv_err("%s", serr);
			kv_launch_close(l); /* an early init too */
			free(prog_json);
			kv_run_session_tmp_remove(in);
			return e == -EPERM ? KV_EXIT_RUN_FAILED : KV_EXIT_ENV;
		}
		/* a root client's agent is born in the session's frozen cgroup:
		 * the daemon thaws it once the genesis is on disk */
		l->watch_daemon = true;
		l->daemon_fd = fd;
		rc = kv_run_supervise(l, &rh, o->ask, &status);
		l->watch_daemon = false;
		if (l->cgroup_fd >= 0)
			close(l->cgroup_fd);
		if (l->landlock_fd >= 0)
			close(l->landlock_fd);
		l->cgroup_fd = l->landlock_fd = -1;
		l->seccomp = NULL;
		l->seccomp_json = NULL;
		kv_seccomp_prog_free(prog);
		free(prog_json);
	}
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("session_end"));
	json_object_object_add(req, "session_id", json_object_new_string(id));
	json_object_object_add(req, "status", json_object_new_int(status));
	if (kv_control_call(fd, req, &r, err, sizeof(err))) {
		kv_warn(FEAT, "ending session %s with the daemon: %s", id, err);
	} else {
		/* the daemon read the kernel's counters as it sealed SESSION_END */
		struct json_object *c, *v;
		int i;

		if (json_object_object_get_ex(r, "kernel_counts", &c))
			for (i = 0; i < KV_CLASS_MAX; i++)
				if (json_object_object_get_ex(c, kv_class_name(i), &v))
					st.counts[i] = json_object_get_uint64(v);
		if (json_object_object_get_ex(r, "gate", &v))
			for (i = 0; i <= KV_GATE_LOCKED; i++)
				if (!strcmp(json_object_get_string(v), kv_gate_name(i)))
					st.gate = i;
		durable = !json_object_object_get_ex(r, "durable", &v) ||
			  json_object_get_boolean(v);
		if (!durable && json_object_object_get_ex(r, "receipts_sync", &v))
			snprintf(sync, sizeof(sync), "%s", json_object_get_string(v));
	}
	json_object_put(req);
	json_object_put(r);
	kv_timing_mark("session ended by the daemon");
	kv_run_session_tmp_remove(in);
	kv_run_print_summary(id, d.state_dir, rc, &st, durable ? NULL : sync);
	kv_timing_mark("done");
	return rc;
}
