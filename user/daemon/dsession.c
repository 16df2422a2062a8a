// SPDX-License-Identifier: BSD-2-Clause
/* Control requests (one JSON object each, answered with {"ok": ...}):
 *   {"op":"ping"}
 *   {"op":"session_start","session_id":S,"binary":B,"argv":[..],"inputs":{..},
 *    "handoff_fd":N,"pid_namespace":{"mode":M,"detail":D,"required":bool}}
 *       the session is made before its agent exists: the answer carries the
 *       session cgroup's directory (SCM_RIGHTS) for the client to spawn the
 *       agent into, and the compiled seccomp filter for its handoff fd; the
 *       session waits for session_pid (its client's connection closing, or
 *       KV_DS_PENDING_SECS, ends it). pid_namespace is what the client
 *       announces: the genesis says it, session_pid checks it
 *   {"op":"session_pid","session_id":S,"pid":N,"init":I,"pid_namespace":{"mode":M,"detail":D}}
 *       the agent, once: moved in when it was not born in the session's
 *       cgroup (the client could not spawn it there). I: the init of the
 *       agent's PID namespace, its parent. The namespace is checked against
 *       the kernel: where the genesis announced otherwise a PID_NAMESPACE
 *       receipt corrects it, and a session with less than its client
 *       claims or requires is refused (its processes killed). An agent born
 *       in the cgroup without a namespace announced needs no message: the
 *       session is live once its cgroup is populated
 *   {"op":"session_start","pid":N,...}  the same with an existing agent
 *       pid must be a child of the caller with the caller's uid (or, in
 *       session_pid, of I, the caller's child): nobody registers a session
 *       for a process that is not their own
 *   {"op":"session_end","session_id":S,"status":wait-status}
 *   {"op":"notify_decision","session_id":S,"decision":{..}}
 *   {"op":"release","session_id":S,"to":..,"kill":..,"reason":..} (root)
 *   {"op":"sessions"} */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "common/log.h"
#include "common/timing.h"
#include "daemon/control.h"
#include "daemon/dsession.h"
#include "events/events.h"
#include "receipts/receipts.h"
#include "bpf/loader.h"
#include "run/files_glue.h"
#include "run/inputs.h"
#include "run/privs.h"
#include "run/launch.h"
#include "run/live.h"
#include "run/pidns.h"
#include "egress/resolve_cache.h"
#include "run/release.h"
#include "run/runtime.h"
#include "session/cgroup.h"
#include "session/session.h"
#include "seccomp/seccomp.h"
#include "daemon/agent_pid.h"
#include "daemon/start_helper.h"
#include "daemon/fs_identity.h"
#include "features/features.h"
#include "lsm/lsm.h"
#include <fcntl.h>

#define FEAT "daemon"
#define KV_DS_MAX 1024
#define KV_DS_PENDING_SECS 60 /* a session without its agent after this long ends */

struct dsess {
	struct kv_live *lv;
	struct kv_run_inputs in;
	uid_t owner;
	int status; /* wait status reported by the client, -1 unknown */
	/* made before its agent: waits for session_pid from client_fd */
	bool pending;
	int client_fd;
	time_t since;
	/* the PID namespace its genesis announced; checked once the agent is
	 * named (session_pid, or session_start with its pid) */
	enum kv_pidns_mode pidns;
	bool pidns_required;
	bool named;
	/* its genesis written, synced right after the answer; its cgroup
	 * frozen until then (kv_live_start) */
	bool genesis_deferred;
	int genesis_err;
};

struct kv_dsessions {
	struct kv_runtime *rt;
	struct kv_resolve_cache *names; /* host-name answers shared by the sessions */
	struct kv_seccomp_cache *filters; /* compiled filters handed to clients */
	struct kv_daemon_conf conf;
	char agents[PATH_MAX];
	char root[PATH_MAX]; /* the cgroup2 mount */
	struct dsess *s[KV_DS_MAX];
	int n;
	time_t swept; /* last sweep for sessions of an earlier daemon */
	time_t idle_since; /* no session since then (0: one is live) */
};

/* Any session in the kernel's table, an earlier daemon's included? */
static bool sessions_in_kernel(struct kv_dsessions *ds)
{
	int fd = kv_bpf_map_fd(kv_runtime_bpf(ds->rt), "kv_sessions");
	__u64 key;

	return fd < 0 || !bpf_map_get_next_key(fd, NULL, &key);
}

static bool ours(const struct kv_dsessions *ds, __u64 cgid)
{
	int i;

	for (i = 0; i < ds->n; i++)
		if (ds->s[i]->lv->s.cgid == cgid)
			return true;
	return false;
}

/* Is there a populated session cgroup with this id under the agents' root? */
static bool populated_session(const char *agents, __u64 cgid)
{
	char path[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(agents);

	while (d && !found && (de = readdir(d))) {
		if (!kv_session_cgroup_name_valid(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", agents, de->d_name);
		if (kv_cgroup_id(path) != cgid)
			continue;
		found = kv_cgroup_populated(path) == 1;
		if (!found)
			kv_cgroup_remove(path);
	}
	if (d)
		closedir(d);
	return found;
}

/* Sessions an earlier daemon started stay enforced through the pins while
 * it is gone; once their last process has exited nobody ends them. Take
 * them out of the session table so the hooks (and the syscall tracepoint)
 * stop judging their dead cgroup. Their chains stay unfinished: the start
 * warning and `kavachos audit --all` name them. */
static void sweep_orphans(struct kv_dsessions *ds)
{
	const struct kv_bpf *b = kv_runtime_bpf(ds->rt);
	int fd = kv_bpf_map_fd(b, "kv_sessions");
	__u64 key, next, gone[64];
	int n = 0, i;
	void *prev = NULL;

	ds->swept = time(NULL);
	while (fd >= 0 && n < 64 && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!ours(ds, key) && !populated_session(ds->agents, key))
			gone[n++] = key;
	}
	for (i = 0; i < n; i++) {
		kv_session_maps_unregister(b, gone[i]);
		kv_info(FEAT, "session with cgroup id %llu (started by an earlier daemon) has no "
			"process left: removed from the session table", (unsigned long long)gone[i]);
	}
}

/* The syscall tracepoint (counts seccomp refusals, the gate's fork check)
 * runs on every syscall of every task on the host: attached only while a
 * session lives, so an idle host pays nothing. Attaching costs ~10 ms (the
 * kernel patches its static keys and walks every thread), so it lingers
 * tracepoint.linger_secs after the last session: back-to-back sessions
 * pay it once. */
static int demand_sync(struct kv_dsessions *ds, bool starting)
{
	time_t now = time(NULL);
	bool on;
	int e;

	if (!starting)
		sweep_orphans(ds);
	on = starting || ds->n > 0 || sessions_in_kernel(ds);
	if (on)
		ds->idle_since = 0;
	else if (!ds->idle_since)
		ds->idle_since = now;
	if (!on && now - ds->idle_since < (time_t)ds->conf.tracepoint_linger_s)
		return 0; /* kv_dsessions_reap detaches it later */
	e = kv_bpf_demand(kv_runtime_bpf(ds->rt), on, ds->conf.pin_dir);
	if (e > 0)
		kv_info(FEAT, "syscall tracepoint %s", on ? "attached (a session is live)" :
			"detached (no live session)");
	return e < 0 ? e : 0;
}

int kv_dsessions_new(struct kv_runtime *rt, const struct kv_daemon_conf *c, const char *agents,
		     struct kv_dsessions **out)
{
	struct kv_resolve_cache_opts ro = { .ok_secs = c->egress_resolve_cache_secs,
					    .fail_secs = KV_RESOLVE_CACHE_FAIL_SECS };
	struct kv_dsessions *ds = calloc(1, sizeof(*ds));
	int e;

	if (!ds)
		return -ENOMEM;
	e = kv_resolve_cache_new(&ro, &ds->names);
	e = e ?: kv_seccomp_cache_new(&ds->filters);
	e = e ?: kv_cgroup2_root(ds->root, sizeof(ds->root));
	if (e) {
		kv_resolve_cache_free(ds->names);
		kv_seccomp_cache_free(ds->filters);
		free(ds);
		return e;
	}
	ds->rt = rt;
	ds->conf = *c;
	snprintf(ds->agents, sizeof(ds->agents), "%s", agents);
	demand_sync(ds, false);
	*out = ds;
	return 0;
}

void kv_dsessions_reconfigure(struct kv_dsessions *ds, const struct kv_daemon_conf *c)
{
	char cg[PATH_MAX];

	/* the attachment point and pins cannot move under a running daemon */
	snprintf(cg, sizeof(cg), "%s", ds->conf.cgroup);
	ds->conf = *c;
	snprintf(ds->conf.cgroup, sizeof(ds->conf.cgroup), "%s", cg);
	{
		/* answers resolved under the old settings are dropped */
		struct kv_resolve_cache_opts ro = { .ok_secs = c->egress_resolve_cache_secs,
						    .fail_secs = KV_RESOLVE_CACHE_FAIL_SECS };
		struct kv_resolve_cache *rc;

		if (!kv_resolve_cache_new(&ro, &rc)) {
			kv_resolve_cache_free(ds->names);
			ds->names = rc;
		}
	}
	kv_info(FEAT, "configuration reloaded (applies to new sessions)");
}

static struct dsess *find(struct kv_dsessions *ds, const char *id, int *idx)
{
	int i;

	for (i = 0; id && i < ds->n; i++)
		if (!strcmp(ds->s[i]->lv->s.id, id)) {
			if (idx)
				*idx = i;
			return ds->s[i];
		}
	return NULL;
}

static int reply(int fd, struct json_object *r)
{
	int e = kv_control_send(fd, r);

	json_object_put(r);
	return e;
}

static int reply_err(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int reply_err(int fd, const char *fmt, ...)
{
	struct json_object *r = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(r, "ok", json_object_new_boolean(false));
	json_object_object_add(r, "error", json_object_new_string(msg));
	return reply(fd, r);
}

/* kv_live_start's wait for the helper's file rules. */
static int files_planned(void *ctx, char *err, size_t errlen)
{
	struct kv_start_helper *h = ctx;
	int e = kv_start_helper_planned(h);

	kv_timing_mark("start: file rules planned (beside it)");
	if (e)
		snprintf(err, errlen, "file rules: %s", h->plan_msg);
	return e;
}

/* Nobody registers a process that is not their own child. */
static bool agent_ok(int pid, const struct ucred *cr)
{
	pid_t ppid = 0;
	uid_t uid = 0;

	return pid > 0 && !kv_proc_owner(pid, &ppid, &uid) && ppid == cr->pid && uid == cr->uid;
}

/* The agent as the child of init, a PID namespace's init the caller
 * spawned, both with the caller's uid. */
static bool agent_of_init(int pid, int init, const struct ucred *cr)
{
	pid_t ppid = 0;
	uid_t uid = 0;

	return agent_ok(init, cr) && pid > 0 && !kv_proc_owner(pid, &ppid, &uid) && ppid == init &&
	       uid == cr->uid;
}

/* Into the session's cgroup, unless the client spawned it there (a move
 * waits for an RCU grace period: see kv_cgroup_move). */
static int place(struct kv_dsessions *ds, struct dsess *d, int pid, char *err, size_t errlen)
{
	int e;

	if (kv_proc_in_cgroup(pid, ds->root, d->lv->s.cgroup))
		return 0;
	e = kv_cgroup_move(d->lv->s.cgroup, pid);
	kv_timing_mark("start: agent moved");
	if (e)
		snprintf(err, errlen, "moving pid %d into %s: %s", pid, d->lv->s.cgroup,
			 strerror(-e));
	return e;
}

static enum kv_pidns_mode pidns_mode_named(const char *name)
{
	int m;

	for (m = KV_PIDNS_NONE; m <= KV_PIDNS_USERNS; m++)
		if (!strcmp(name, kv_pidns_mode_name(m)))
			return m;
	return KV_PIDNS_NONE;
}

/* The client's pid_namespace object: its mode and detail (defaults kept
 * where absent). */
static void pidns_said(struct json_object *m, const char **mode, const char **detail,
		       bool *required)
{
	struct json_object *o, *v;

	if (!json_object_object_get_ex(m, "pid_namespace", &o))
		return;
	if (json_object_object_get_ex(o, "mode", &v) && json_object_is_type(v, json_type_string))
		*mode = json_object_get_string(v);
	if (json_object_object_get_ex(o, "detail", &v) && json_object_is_type(v, json_type_string))
		*detail = json_object_get_string(v);
	if (required && json_object_object_get_ex(o, "required", &v))
		*required = json_object_get_boolean(v);
}

/* What the session's record says of its namespace: the client's detail
 * where its claim is the kernel's mode, else both. */
static void pidns_text(const char *said, const char *detail, enum kv_pidns_mode kernel, char *out,
		       size_t len)
{
	if (!strcmp(said, kv_pidns_mode_name(kernel)))
		snprintf(out, len, "%s", detail);
	else
		snprintf(out, len, "the client said %.32s; the kernel says %s", said,
			 kv_pidns_mode_name(kernel));
}

/* A session made before its agent: its genesis records the namespace the
 * client announces (checked by pidns_check when the agent is named). */
static void pidns_announced(struct json_object *m, struct dsess *d, struct kv_launch *l)
{
	const char *mode = "none", *detail = "";

	pidns_said(m, &mode, &detail, &d->pidns_required);
	l->pidns = pidns_mode_named(mode);
	if (l->pidns == KV_PIDNS_NONE) /* claims nothing: nothing to check */
		snprintf(l->pidns_detail, sizeof(l->pidns_detail), "%s", detail);
	else
		snprintf(l->pidns_detail, sizeof(l->pidns_detail),
			 "announced by the client, checked when its agent is named: %.96s", detail);
}

/* A session with its agent already: the genesis records what the kernel
 * says about the process, not what the client claims; the client's detail
 * is kept when its claim is true. */
static void pidns_from_client(struct json_object *m, struct kv_launch *l)
{
	const char *said = "none", *detail = "";

	l->pidns = kv_pidns_of(l->pid);
	pidns_said(m, &said, &detail, NULL);
	pidns_text(said, detail, l->pidns, l->pidns_detail, sizeof(l->pidns_detail));
}

/* The named agent's PID namespace as the kernel has it (born in its
 * cgroup: its init's, on root's word that it is the agent's), against the
 * one the genesis announced
 * and the one the client says it made: a receipt where the genesis was
 * wrong. A session with none while its client says
 * it has one, or requires one, is refused: -EPERM, err says why. */
static int pidns_check(struct kv_dsessions *ds, struct dsess *d, struct json_object *m, int pid,
		       int init, bool born, char *err, size_t errlen)
{
	enum kv_pidns_mode k = init <= 0 ? KV_PIDNS_NONE
			       : born	 ? kv_pidns_of(init)
					 : kv_pidns_of_agent(pid, init);
	const char *said = kv_pidns_mode_name(d->pidns), *detail = "";
	struct json_object *f, *o;
	char text[160];
	bool refuse;

	pidns_said(m, &said, &detail, NULL);
	refuse = k == KV_PIDNS_NONE &&
		 (d->pidns_required || strcmp(said, kv_pidns_mode_name(KV_PIDNS_NONE)));
	if (k == d->pidns && !refuse)
		return 0;
	pidns_text(said, detail, k, text, sizeof(text));
	f = json_object_new_object();
	o = json_object_new_object();
	json_object_object_add(o, "mode", json_object_new_string(kv_pidns_mode_name(k)));
	json_object_object_add(o, "detail", json_object_new_string(text));
	json_object_object_add(f, "pid_namespace", o);
	json_object_object_add(f, "announced", json_object_new_string(kv_pidns_mode_name(d->pidns)));
	json_object_object_add(f, "refused", json_object_new_boolean(refuse));
	kv_runtime_seal(ds->rt, d->lv->s.cgid, "PID_NAMESPACE", f, 0);
	kv_info(FEAT, "session %s: PID namespace %s, its genesis says %s%s", d->lv->s.id,
		kv_pidns_mode_name(k), kv_pidns_mode_name(d->pidns), refuse ? ": refused" : "");
	if (!refuse)
		return 0;
	snprintf(err, errlen, "the session has no PID namespace of its own (%s)%s", text,
		 d->pidns_required ? ", and its client requires one" : "");
	return -EPERM;
}

static struct dsess *owned(struct kv_dsessions *ds, int fd, const struct ucred *cr,
			   struct json_object *m, int *idx);

/* A deferred genesis made durable (once); its error kept for the naming. */
static int genesis_sync(struct dsess *d)
{
	if (d->genesis_deferred) {
		d->genesis_deferred = false;
		d->genesis_err = kv_live_genesis_sync(d->lv);
		if (d->genesis_err)
			kv_warn(FEAT, "session %s: its genesis is not on disk: %s", d->lv->s.id,
				strerror(-d->genesis_err));
	}
	return d->genesis_err;
}

static void end_at(struct kv_dsessions *ds, int i, struct kv_session_state *st);

/* A genesis that did not reach the disk: whatever was spawned into the
 * (still frozen) cgroup is killed and the session ends, its cgroup with
 * it, so nothing can be spawned into it later either; the client's
 * session_pid is refused (no such session). */
static void genesis_lost(struct kv_dsessions *ds, struct dsess *d)
{
	int i;

	kv_live_kill_rest(d->lv->s.cgroup);
	for (i = 0; i < ds->n; i++)
		if (ds->s[i] == d) {
			end_at(ds, i, NULL);
			return;
		}
}

static int op_start(struct kv_dsessions *ds, int fd, const struct ucred *cr, struct json_object *m)
{
	struct json_object *jpid = NULL, *jid, *jbin, *jargv, *jin, *jh, *r;
	struct kv_live_hooks hooks = { .resolve = kv_resolve_cache_lookup, .resolve_arg = ds->names };
	struct kv_start_helper h = { .handoff_fd = -1 };
	struct kv_launch l = { 0 };
	struct dsess *d;
	char err[512], **argv = NULL;
	bool pending, lsm = kv_bpf_has_lsm(kv_runtime_bpf(ds->rt));
	size_t i, n;
	int e, pid = 0, fds[2], nfds = 0;

	if (ds->n >= KV_DS_MAX)
		return reply_err(fd, "too many live sessions (%d)", KV_DS_MAX);
	if (!json_object_object_get_ex(m, "binary", &jbin) ||
	    !json_object_object_get_ex(m, "argv", &jargv) || !json_object_object_get_ex(m, "inputs", &jin) ||
	    !json_object_is_type(jargv, json_type_array))
		return reply_err(fd, "session_start needs binary, argv and inputs");
	/* the daemon reads files as root: it must not open a path a client names */
	if (json_object_object_get_ex(jin, "seccomp_profile", NULL))
		return reply_err(fd, "--seccomp-profile is not taken through the daemon "
				 "(run as root with --no-daemon)");
	pending = !json_object_object_get_ex(m, "pid", &jpid);
	if (!pending && (pid = json_object_get_int(jpid), !agent_ok(pid, cr)))
		return reply_err(fd, "pid %d is not a child of the caller (pid %d, uid %u)", pid,
				 (int)cr->pid, (unsigned)cr->uid);
	d = calloc(1, sizeof(*d));
	n = json_object_array_length(jargv);
	argv = calloc(n + 1, sizeof(*argv));
	if (!d || !argv) {
		free(d);
		free(argv);
		return reply_err(fd, "out of memory");
	}
	for (i = 0; i < n; i++)
		argv[i] = (char *)json_object_get_string(json_object_array_get_idx(jargv, i));
	d->owner = cr->uid;
	d->status = -1;
	kv_timing_mark("start: request read");
	e = kv_run_inputs_from_json(jin, ds->conf.state_dir, &d->in, err, sizeof(err));
	kv_timing_mark("start: inputs, profile, egress policy built");
	if (e) {
		free(argv);
		free(d);
		return reply_err(fd, "%s", err);
	}
	kv_run_inputs_daemon_gate(&d->in, &ds->conf);
	/* file and exec rules, for the client's uid: in the BPF-LSM maps when
	 * the daemon loaded the lsm object; else a Landlock ruleset this daemon
	 * builds and hands over (its child restricts itself with it), for an
	 * agent not started yet. Planned beside the session's making, with the
	 * ruleset and the filter (start_helper.c). */
	h.lsm = lsm;
	h.plan_files = lsm || (pending && kv_features_get()->landlock.ok &&
			       kv_features_get()->landlock_abi > 0);
	h.landlock_abi = kv_features_get()->landlock_abi;
	h.in = &d->in;
	h.who.uid = cr->uid;
	h.who.gid = cr->gid;
	h.binary = json_object_get_string(jbin);
	h.filters = ds->filters;
	if (pending && json_object_object_get_ex(m, "handoff_fd", &jh) &&
	    json_object_is_type(jh, json_type_int) && json_object_get_int(jh) >= 0 &&
	    json_object_get_int(jh) < 65536)
		h.handoff_fd = json_object_get_int(jh);
	if (h.plan_files && !lsm && (e = kv_fs_identity_of(cr->pid, &h.as))) {
		kv_run_inputs_free(&d->in);
		free(argv);
		free(d);
		return reply_err(fd, "file rules: the client's identity: %s", strerror(-e));
	}
	/* counting must be on before the agent's first syscall */
	e = demand_sync(ds, true);
	if (e) {
		kv_run_inputs_free(&d->in);
		free(argv);
		free(d);
		return reply_err(fd, "attaching the syscall tracepoint: %s", strerror(-e));
	}
	kv_start_helper_start(&h);
	hooks.before_files = files_planned;
	hooks.files_ctx = &h;
	/* the genesis's disk flush overlaps the client's spawn: the session's
	 * cgroup stays frozen until it is durable (kv_live_start), so an agent
	 * root spawns into it waits in the kernel, and one a non-root client
	 * names is moved in only after (op_pid) */
	hooks.defer_genesis_sync = d->genesis_deferred = pending;
	snprintf(l.path, sizeof(l.path), "%s", json_object_get_string(jbin));
	l.id.uid = cr->uid;
	l.id.gid = cr->gid;
	l.pid = pid;
	if (pending) {
		pidns_announced(m, d, &l);
	} else {
		pidns_from_client(m, &l);
		d->named = true;
	}
	d->pidns = l.pidns;
	e = kv_live_start(ds->rt, ds->agents,
			  json_object_object_get_ex(m, "session_id", &jid) ? json_object_get_string(jid) : NULL,
			  &hooks, &d->in, &l, argv, &d->lv, err, sizeof(err));
	free(argv);
	kv_timing_mark("start: session live");
	kv_start_helper_join(&h);
	kv_timing_mark("start: ruleset and filter (beside it)");
	if (!e && !pending)
		e = place(ds, d, pid, err, sizeof(err));
	/* the directory the client spawns its agent into (O_PATH is enough) */
	if (!e && pending &&
	    (fds[nfds++] = open(d->lv->s.cgroup, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		e = -errno;
		nfds--;
		snprintf(err, sizeof(err), "opening %s: %s", d->lv->s.cgroup, strerror(-e));
	}
	if (!e && kv_files_glue_landlock(d->in.files) && h.rfd < 0) {
		e = h.rfd;
		snprintf(err, sizeof(err), "Landlock ruleset: %s", h.err);
	}
	if (e) {
		if (d->lv)
			kv_live_end(ds->rt, d->lv, -1, NULL);
		kv_run_inputs_free(&d->in);
		kv_start_helper_free(&h);
		while (nfds)
			close(fds[--nfds]);
		free(d);
		demand_sync(ds, false);
		return reply_err(fd, "%s", err);
	}
	d->pending = pending;
	d->client_fd = fd;
	d->since = time(NULL);
	ds->s[ds->n++] = d;
	if (pending)
		kv_info(FEAT, "session %s for uid %u in %s, waiting for its agent", d->lv->s.id,
			(unsigned)cr->uid, d->lv->s.cgroup);
	else
		kv_info(FEAT, "session %s for uid %u: pid %d in %s", d->lv->s.id,
			(unsigned)cr->uid, pid, d->lv->s.cgroup);
	r = json_object_new_object();
	json_object_object_add(r, "ok", json_object_new_boolean(true));
	json_object_object_add(r, "session_id", json_object_new_string(d->lv->s.id));
	json_object_object_add(r, "cgroup", json_object_new_string(d->lv->s.cgroup));
	json_object_object_add(r, "state_dir", json_object_new_string(d->in.state_dir));
	/* the filter its profile compiles to, for the fd the child hands its
	 * listener over; without it (a failed compile) the client compiles */
	if (h.prog)
		json_object_object_add(r, "seccomp", kv_seccomp_prog_json(h.prog));
	/* the ruleset: the second fd, restricted with these flags */
	if (h.rfd >= 0) {
		fds[nfds++] = h.rfd;
		h.rfd = -1;
		json_object_object_add(r, "landlock_restrict_flags",
				       json_object_new_int64(kv_landlock_plan_restrict_flags(
					   kv_files_glue_landlock(d->in.files))));
	}
	e = kv_control_send_fds(fd, r, fds, nfds);
	kv_timing_mark("start: answered");
	json_object_put(r);
	while (nfds)
		close(fds[--nfds]);
	kv_start_helper_free(&h);
	if (d->genesis_deferred && genesis_sync(d))
		genesis_lost(ds, d);
	return e;
}

/* The agent the client started for a pending session: checked, and moved
 * in unless it was born there. */
static int op_pid(struct kv_dsessions *ds, int fd, const struct ucred *cr, struct json_object *m)
{
	struct json_object *jpid, *jinit, *jb, *r;
	struct dsess *d = owned(ds, fd, cr, m, NULL);
	char err[512];
	int pid, init = 0, e;
	bool in, born;

	if (!d)
		return 0;
	if (d->named)
		return reply_err(fd, "session %s has its agent already", d->lv->s.id);
	if (!json_object_object_get_ex(m, "pid", &jpid) || !json_object_is_type(jpid, json_type_int))
		return reply_err(fd, "session_pid needs pid");
	pid = json_object_get_int(jpid);
	if (json_object_object_get_ex(m, "init", &jinit) && json_object_is_type(jinit, json_type_int))
		init = json_object_get_int(jinit);
	/* an agent its client spawned into the cgroup goes on while this is
	 * answered, and may have exited already: it is taken on its client's
	 * word, which only root can give (no one else can spawn into the
	 * cgroup, and root could forge whatever is read here); its init, the
	 * kernel's word, stays (a zombie at least) until the answer is read */
	born = json_object_object_get_ex(m, "born_in_cgroup", &jb) && json_object_get_boolean(jb);
	if (born && cr->uid != 0)
		return reply_err(fd, "only root spawns into a session's cgroup");
	if (born ? init && !agent_ok(init, cr)
		 : init ? !agent_of_init(pid, init, cr) : !agent_ok(pid, cr))
		return reply_err(fd, "pid %d is not a child of the caller (pid %d, uid %u)%s",
				 born ? init : pid, (int)cr->pid, (unsigned)cr->uid,
				 !born && init ? ", or of its child, a PID namespace's init" : "");
	/* born there (the session is live), else moved in while it waits */
	/* no agent runs before its session's start is on disk */
	if ((e = genesis_sync(d))) {
		kv_live_kill_rest(d->lv->s.cgroup);
		return reply_err(fd, "the session's genesis is not on disk: %s", strerror(-e));
	}
	in = born || kv_proc_in_cgroup(pid, ds->root, d->lv->s.cgroup);
	if (!in && !d->pending)
		return reply_err(fd, "session %s has its agent already", d->lv->s.id);
	d->named = true;
	e = pidns_check(ds, d, m, pid, init, born, err, sizeof(err));
	if (e) {
		/* whatever runs in it stops; the session ends with its client */
		kv_live_kill_rest(d->lv->s.cgroup);
		return reply_err(fd, "%s", err);
	}
	if (!in && (e = place(ds, d, pid, err, sizeof(err))))
		return reply_err(fd, "%s", err);
	d->pending = false;
	kv_info(FEAT, "session %s: pid %d", d->lv->s.id, pid);
	r = json_object_new_object();
	json_object_object_add(r, "ok", json_object_new_boolean(true));
	return reply(fd, r);
}

static struct dsess *owned(struct kv_dsessions *ds, int fd, const struct ucred *cr,
			   struct json_object *m, int *idx)
{
	struct json_object *jid;
	struct dsess *d;

	if (!json_object_object_get_ex(m, "session_id", &jid)) {
		reply_err(fd, "session_id missing");
		return NULL;
	}
	d = find(ds, json_object_get_string(jid), idx);
	if (!d || (cr->uid != 0 && cr->uid != d->owner)) {
		reply_err(fd, "no live session %s of yours", json_object_get_string(jid));
		return NULL;
	}
	return d;
}

/* Seals SESSION_END and takes the session off the list (durable NULL: the
 * end is durable on return; else see kv_live_seal_end); end_release then
 * removes its maps and cgroup. */
static struct dsess *end_seal(struct kv_dsessions *ds, int i, struct kv_session_state *st,
			      bool *durable)
{
	struct dsess *d = ds->s[i];

	kv_info(FEAT, "session %s ended", d->lv->s.id);
	if (d->pidns != KV_PIDNS_NONE && !d->named) {
		/* the genesis announced a namespace nobody could check */
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "announced", json_object_new_string(kv_pidns_mode_name(d->pidns)));
		json_object_object_add(f, "checked", json_object_new_boolean(false));
		json_object_object_add(f, "reason", json_object_new_string(
			"the client never named its agent: the PID namespace its genesis announces "
			"was not checked"));
		kv_runtime_seal(ds->rt, d->lv->s.cgid, "PID_NAMESPACE", f, 0);
	}
	kv_live_seal_end(ds->rt, d->lv, d->status, st, durable);
	ds->s[i] = ds->s[--ds->n];
	return d;
}

static void end_release(struct kv_dsessions *ds, struct dsess *d)
{
	kv_live_release(ds->rt, d->lv);
	kv_run_inputs_free(&d->in);
	free(d);
	demand_sync(ds, false);
}

static void end_at(struct kv_dsessions *ds, int i, struct kv_session_state *st)
{
	end_release(ds, end_seal(ds, i, st, NULL));
}

static int op_end(struct kv_dsessions *ds, int fd, const struct ucred *cr, struct json_object *m)
{
	struct json_object *js, *r, *c;
	struct kv_session_state st;
	struct dsess *d;
	bool durable;
	int i, k;

	d = owned(ds, fd, cr, m, &i);
	if (!d)
		return 0;
	if (json_object_object_get_ex(m, "status", &js))
		d->status = json_object_get_int(js);
	/* answered once SESSION_END is sealed; durable already only with
	 * receipts.sync = each, else its sync finishes on its own thread
	 * (group commit's bound) and the answer says so */
	d = end_seal(ds, i, &st, &durable);
	r = json_object_new_object();
	json_object_object_add(r, "durable", json_object_new_boolean(durable));
	json_object_object_add(r, "receipts_sync", json_object_new_string(d->in.chain.sync == KV_SYNC_NONE
									   ? "none" : "group"));
	json_object_object_add(r, "ok", json_object_new_boolean(true));
	c = json_object_new_object();
	for (k = 0; k < KV_CLASS_MAX; k++)
		json_object_object_add(c, kv_class_name(k), json_object_new_uint64(st.counts[k]));
	json_object_object_add(r, "kernel_counts", c);
	json_object_object_add(r, "gate", json_object_new_string(kv_gate_name(st.gate)));
	/* the client has its answer (the end is durable): the clean-up is ours */
	k = reply(fd, r);
	end_release(ds, d);
	return k;
}

static int op_notify(struct kv_dsessions *ds, int fd, const struct ucred *cr, struct json_object *m)
{
	struct json_object *jd, *r;
	struct dsess *d = owned(ds, fd, cr, m, NULL);

	if (!d)
		return 0;
	if (!json_object_object_get_ex(m, "decision", &jd) || !json_object_is_type(jd, json_type_object))
		return reply_err(fd, "decision missing");
	jd = json_object_get(jd);
	/* the client's word, sealed as such */
	json_object_object_add(jd, "reported_by_uid", json_object_new_int64(cr->uid));
	kv_runtime_seal(ds->rt, d->lv->s.cgid, "NOTIFY_DECISION", jd, 0);
	r = json_object_new_object();
	json_object_object_add(r, "ok", json_object_new_boolean(true));
	return reply(fd, r);
}

static int op_list(struct kv_dsessions *ds, int fd)
{
	struct json_object *r = json_object_new_object(), *a = json_object_new_array();
	int i;

	for (i = 0; i < ds->n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "session_id", json_object_new_string(ds->s[i]->lv->s.id));
		json_object_object_add(o, "cgroup", json_object_new_string(ds->s[i]->lv->s.cgroup));
		json_object_object_add(o, "cgroup_id", json_object_new_uint64(ds->s[i]->lv->s.cgid));
		json_object_object_add(o, "uid", json_object_new_int64(ds->s[i]->owner));
		json_object_array_add(a, o);
	}
	json_object_object_add(r, "ok", json_object_new_boolean(true));
	json_object_object_add(r, "sessions", a);
	json_object_object_add(r, "agents_cgroup", json_object_new_string(ds->agents));
	return reply(fd, r);
}

int kv_dsessions_serve(struct kv_dsessions *ds, int fd)
{
	struct json_object *m = NULL, *op;
	struct ucred cr;
	char err[256];
	const char *o;
	int e;

	e = kv_control_recv(fd, &m, err, sizeof(err));
	if (e == -EBADMSG)
		return reply_err(fd, "bad request: %s", err) ? -1 : 0;
	if (e)
		return -1;
	if (kv_control_peer(fd, &cr)) {
		json_object_put(m);
		return -1;
	}
	o = json_object_object_get_ex(m, "op", &op) ? json_object_get_string(op) : "";
	if (!strcmp(o, "ping")) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "ok", json_object_new_boolean(true));
		/* clients apply Landlock themselves where the daemon has no BPF-LSM */
		json_object_object_add(r, "bpf_lsm",
				       json_object_new_boolean(kv_bpf_has_lsm(kv_runtime_bpf(ds->rt))));
		json_object_object_add(r, "sessions", json_object_new_int(ds->n));
		json_object_object_add(r, "agents_cgroup", json_object_new_string(ds->agents));
		e = reply(fd, r);
	} else if (!strcmp(o, "session_start")) {
		e = op_start(ds, fd, &cr, m);
	} else if (!strcmp(o, "session_pid")) {
		e = op_pid(ds, fd, &cr, m);
	} else if (!strcmp(o, "session_end")) {
		e = op_end(ds, fd, &cr, m);
	} else if (!strcmp(o, "notify_decision")) {
		e = op_notify(ds, fd, &cr, m);
	} else if (!strcmp(o, "release")) {
		struct dsess *d = owned(ds, fd, &cr, m, NULL);

		e = d ? reply(fd, kv_release_apply(ds->rt, d->lv, m, cr.uid)) : 0;
	} else if (!strcmp(o, "sessions")) {
		e = op_list(ds, fd);
	} else {
		e = reply_err(fd, "unknown op '%s'", o);
	}
	json_object_put(m);
	return e < 0 ? -1 : 0;
}

void kv_dsessions_reap(struct kv_dsessions *ds)
{
	time_t now = time(NULL);
	int i;

	/* a session ends when its last process exits; one still waiting for
	 * its agent is not empty yet, unless its client forgot it */
	for (i = 0; i < ds->n; i++) {
		struct dsess *d = ds->s[i];

		int populated = kv_cgroup_populated(d->lv->s.cgroup);

		/* an agent born in the cgroup is there without session_pid; with
		 * a namespace announced, session_pid may come after it has
		 * exited: an empty session waits for it while its client is
		 * there (KV_DS_PENDING_SECS at most) */
		bool unnamed = d->pidns != KV_PIDNS_NONE && !d->named;

		if (d->pending && populated > 0)
			d->pending = false;
		if (d->pending ? now - d->since > KV_DS_PENDING_SECS
			       : populated == 0 && (!unnamed || d->client_fd < 0 ||
						    now - d->since > KV_DS_PENDING_SECS)) {
			end_at(ds, i, NULL);
			i--;
		}
	}
	/* an earlier daemon's sessions end on their own, and an idle host's
	 * tracepoint goes once it has lingered: look now and then */
	if (!ds->n && time(NULL) - ds->swept >= 2 && kv_bpf_demand_attached(kv_runtime_bpf(ds->rt)))
		demand_sync(ds, false);
}

void kv_dsessions_client_gone(struct kv_dsessions *ds, int fd)
{
	int i;

	/* its agent never reported: ended, whatever was spawned in it killed;
	 * one whose agent was born there but not named ends once it is empty */
	for (i = 0; i < ds->n; i++) {
		if (ds->s[i]->client_fd != fd)
			continue;
		ds->s[i]->client_fd = -1;
		if (ds->s[i]->pending) {
			end_at(ds, i, NULL);
			i--;
		}
	}
}

void kv_dsessions_free(struct kv_dsessions *ds, bool end_all)
{
	int i;

	if (!ds)
		return;
	while (end_all && ds->n)
		end_at(ds, 0, NULL);
	/* sessions outlive us (the pins keep enforcing): make their receipts durable */
	for (i = 0; i < ds->n; i++) {
		kv_chain_flush(ds->s[i]->lv->chain);
		kv_warn(FEAT, "session %s stays enforced; its receipts resume only for new sessions",
			ds->s[i]->lv->s.id);
	}
	kv_resolve_cache_free(ds->names);
	kv_seccomp_cache_free(ds->filters);
	free(ds);
	kv_chain_wait_closes(); /* ends still being synced reach the disk first */
}
