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

#include "run/run_int.h"

#define FEAT "run"

extern char **environ;

/* Where INT, QUIT, TERM, HUP sent to `run` go: the session's first process
 * (the init that passes them on to the agent, or the agent). Forwarded from
 * the handler itself: any of our threads (notify supervisor, ring buffer,
 * DNS stub) may be the one that takes the signal, and a signal taken just
 * before waitpid would not interrupt it. */
static volatile pid_t forward_to;

static void on_signal(int sig)
{
	int e = errno;

	if (forward_to > 0)
		kill(forward_to, sig);
	errno = e;
}

#define KV_AGENT_ENV_OWN 4 /* the entries agent_env allocates, first in the array */

void kv_run_agent_env_free(char **env)
{
	int i;

	if (!env)
		return;
	for (i = 0; i < KV_AGENT_ENV_OWN; i++)
		free(env[i]);
	free(env);
}

/* The agent's environment: ours plus the session's identity and its own
 * TMPDIR. */
char **kv_run_agent_env(const char *id, const struct kv_run_inputs *in)
{
	size_t n = 0, i, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + KV_AGENT_ENV_OWN + 1, sizeof(*env));
	if (!env)
		return NULL;
	if (asprintf(&env[j++], "KAVACHOS_SESSION_ID=%s", id) < 0 ||
	    asprintf(&env[j++], "KAVACHOS_TRUST_MASK=0x%08x", in->profile_in.trust_mask) < 0 ||
	    asprintf(&env[j++], "KAVACHOS_DOMAIN=%s", kv_domain_name(in->profile_in.domain)) < 0 ||
	    asprintf(&env[j++], "TMPDIR=%s", in->tmp_dir[0] ? in->tmp_dir : "/tmp") < 0) {
		kv_run_agent_env_free(env);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "KAVACHOS_SESSION_ID=", 20) &&
		    strncmp(environ[i], "KAVACHOS_TRUST_MASK=", 20) &&
		    strncmp(environ[i], "KAVACHOS_DOMAIN=", 16) &&
		    strncmp(environ[i], "TMPDIR=", 7))
			env[j++] = environ[i];
	return env;
}

/* The session's own tmp directory, the agent's (its TMPDIR and, with the
 * file rules, its only write root besides the workspace). */
int kv_run_session_tmp_create(struct kv_run_inputs *in, const char *id,
			      const struct kv_identity *who)
{
	snprintf(in->tmp_dir, sizeof(in->tmp_dir), "/tmp/kavachos-%s", id);
	if (mkdir(in->tmp_dir, 0700) || chown(in->tmp_dir, who->uid, who->gid)) {
		int e = -errno;

		rmdir(in->tmp_dir);
		in->tmp_dir[0] = 0;
		return e;
	}
	json_object_object_add(in->json, "tmp_dir", json_object_new_string(in->tmp_dir));
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void kv_run_session_tmp_remove(struct kv_run_inputs *in)
{
	/* FTW_PHYS: symlinks the agent left are removed, never followed */
	if (in->tmp_dir[0] && !strncmp(in->tmp_dir, "/tmp/kavachos-ks-", 17))
		nftw(in->tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void kv_run_print_summary(const char *id, const char *state_dir, int rc,
			  const struct kv_session_state *st, const char *syncing)
{
	uint64_t total = 0;
	int i;

	/* per-class counters: total is reset by a release, these are not */
	for (i = 0; i < KV_CLASS_MAX; i++)
		total += st->counts[i];

	if (kv_json_output) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "session", json_object_new_string(id));
		json_object_object_add(o, "exit_status", json_object_new_int(rc));
		json_object_object_add(o, "violations", json_object_new_uint64(total));
		json_object_object_add(o, "gate", json_object_new_string(kv_gate_name(st->gate)));
		json_object_object_add(o, "state_dir", json_object_new_string(state_dir));
		json_object_object_add(o, "receipts_durable", json_object_new_boolean(!syncing));
		fprintf(stderr, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return;
	}
	fprintf(stderr,
		"kavachos: session %s ended: exit %d, %llu violation%s, gate %s; %s%s%s"
		"verify with: kavachos audit %s%s%s\n",
		id, rc, (unsigned long long)total, total == 1 ? "" : "s", kv_gate_name(st->gate),
		syncing ? "its end is sealed and being synced to disk (receipts.sync = " : "",
		syncing ? syncing : "", syncing ? "); " : "",
		id, strcmp(state_dir, KV_RUN_DEFAULT_STATE_DIR) ? " --state-dir=" : "",
		strcmp(state_dir, KV_RUN_DEFAULT_STATE_DIR) ? state_dir : "");
}

/* Spawn, place, release, supervise NOTIFY calls, wait. Returns the exit
 * status for `run`; *status gets the agent's wait status (-1 if it never
 * ran). */
int kv_run_supervise(struct kv_launch *l, const struct kv_run_hooks *h, bool ask, int *status)
{
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_quit, old_term, old_hup;
	struct kv_notify_glue *ng = NULL;
	char err[512];
	int e, nfd = -1, rc = KV_EXIT_RUN_FAILED;

	*status = -1;
	kv_timing_mark("spawn");
	e = kv_launch_spawn(l);
	if (e) {
		kv_err("cannot start the agent: %s%s%s", strerror(-e),
		       l->pidns_detail[0] ? " — " : "", l->pidns_detail);
		return rc;
	}
	kv_timing_mark("spawned");
	e = h->place(h->ctx, l, err, sizeof(err));
	kv_timing_mark("placed in the session");
	if (e) {
		kv_err("%s", err);
		kill(l->pid, SIGKILL);
		kv_launch_reap(l);
		kv_launch_close(l);
		return rc;
	}
	forward_to = l->pid;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGQUIT, &sa, &old_quit);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	e = kv_launch_release(l, &nfd);
	if (e) {
		kv_err("agent setup failed before exec: %s", strerror(-e));
		kv_launch_reap(l);
		goto out;
	}
	kv_timing_mark("child reached exec (listener received)");
	if (h->released && h->released(h->ctx, err, sizeof(err))) {
		kv_err("%s", err);
		if (nfd >= 0)
			close(nfd);
		kill(l->pid, SIGKILL);
		kv_launch_reap(l);
		goto out;
	}
	if (nfd >= 0)
		ng = kv_notify_glue_start(nfd, l, ask, h->seal, h->ctx);
	e = kv_launch_exec_result(l);
	if (e) {
		kv_err("%s: %s", l->path, strerror(-e));
		kv_launch_reap(l);
		rc = e == -ENOENT ? KV_EXIT_NOTFOUND : KV_EXIT_NOEXEC;
		goto out;
	}
	kv_timing_mark("exec done");
	kv_launch_wait(l, status);
	kv_timing_mark("agent exited");
	rc = WIFSIGNALED(*status) ? 128 + WTERMSIG(*status) : WEXITSTATUS(*status);
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	forward_to = 0;
	kv_notify_glue_stop(ng);
	kv_launch_close(l);
	return rc;
}

int kv_run_pidns_plan(const struct kv_run_opts *o, bool embedded, struct kv_launch *l,
		      char *err, size_t errlen)
{
	const struct kv_feat *k;

	l->pidns = KV_PIDNS_NONE;
	l->pidns_detail[0] = 0;
	if (o->pid_namespace == KV_RUN_PIDNS_OFF) {
		l->pidns_want = KV_PIDNS_OFF;
		snprintf(l->pidns_detail, sizeof(l->pidns_detail), "--pid-namespace=off");
		return 0;
	}
	if (!embedded) {
		/* the client tries, with a user namespace if it must: root makes
		 * one by itself, anyone else needs the user namespace (no probe:
		 * a client must not pay for one). Announced before the spawn; the
		 * daemon checks it when the agent is named */
		l->pidns_want = o->pid_namespace == KV_RUN_PIDNS_REQUIRE ? KV_PIDNS_REQUIRE
									 : KV_PIDNS_TRY;
		l->pidns_userns_ok = true;
		l->pidns = geteuid() == 0 ? KV_PIDNS_OWN : KV_PIDNS_USERNS;
		snprintf(l->pidns_detail, sizeof(l->pidns_detail), "%s",
			 geteuid() == 0 ? "made by kavachos run as root"
					: "made by kavachos run in a user namespace of its own (no "
					  "CAP_SYS_ADMIN)");
		return 0;
	}
	/* embedded: root, so the kernel is the only question */
	k = &kv_features_get()->pidns;
	if (!k->ok) {
		snprintf(l->pidns_detail, sizeof(l->pidns_detail), "this kernel: %s", k->detail);
		if (o->pid_namespace == KV_RUN_PIDNS_REQUIRE) {
			snprintf(err, errlen, "--pid-namespace=require: %s", l->pidns_detail);
			return -EOPNOTSUPP;
		}
		l->pidns_want = KV_PIDNS_OFF;
		return 0;
	}
	l->pidns_want = KV_PIDNS_REQUIRE;
	l->pidns = KV_PIDNS_OWN;
	snprintf(l->pidns_detail, sizeof(l->pidns_detail), "created by kavachos run (root)");
	return 0;
}

int kv_run(const struct kv_run_opts *o)
{
	struct kv_run_inputs in;
	struct kv_launch l = { .cgroup_fd = -1, .landlock_fd = -1, .handoff_fd = -1, .child_err = -1,
			       .child_status = -1, .sock = -1, .err_fd = -1, .status_fd = -1 };
	char err[512];
	int rc, e, fd = -1;

	/* inputs: flags > .kavachos.json > environment > defaults */
	e = kv_run_inputs_resolve(o, &in, err, sizeof(err));
	if (e) {
		kv_err("%s", err);
		return e == -ENOMEM ? KV_EXIT_RUN_FAILED : KV_EXIT_USAGE;
	}
	kv_timing_mark("inputs resolved");
	e = kv_launch_resolve(o->argv[0], l.path);
	if (e) {
		kv_err("%s: %s", o->argv[0],
		       e == -ENOENT ? "command not found" : "permission denied");
		rc = e == -ENOENT ? KV_EXIT_NOTFOUND : KV_EXIT_NOEXEC;
		goto out;
	}
	e = kv_identity_resolve(o->user, &l.id);
	if (e) {
		kv_err("--user=%s: no such user", o->user ? o->user : "");
		rc = KV_EXIT_USAGE;
		goto out;
	}
	l.argv = o->argv;
	l.profile = in.profile;
	/* a running daemon owns the programs: sessions go through it */
	if (!o->no_daemon)
		fd = kv_control_connect(o->daemon_socket ? o->daemon_socket : KV_CONTROL_DEFAULT);
	if (fd < 0 && o->daemon_socket) {
		kv_err("--daemon-socket=%s: %s", o->daemon_socket, strerror(-fd));
		rc = KV_EXIT_ENV;
		goto out;
	}
	if (fd >= 0) {
		rc = kv_run_daemon(o, &in, &l, fd);
		close(fd);
	} else {
		rc = kv_run_embedded(o, &in, &l);
	}
	/* the init, which reported the agent's status before the session's
	 * end and exited meanwhile */
	kv_launch_reap(&l);
out:
	kv_run_agent_env_free(l.envp);
	kv_run_inputs_free(&in);
	return rc;
}
