// SPDX-License-Identifier: BSD-2-Clause
/* Embedded `run`: this process loads and attaches the BPF objects for its
 * own session cgroup, consumes its own events and seals its own receipts. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bpf/loader.h"
#include "cli/cli.h"
#include "common/log.h"
#include "egress/egress.h"
#include "events/events.h"
#include "features/features.h"
#include "profile/profile.h"
#include "receipts/receipts.h"
#include "run/live.h"
#include "run/inputs.h"
#include "run/launch.h"
#include "run/notify_glue.h"
#include "run/run.h"
#include "run/runtime.h"
#include "session/cgroup.h"
#include "session/session.h"

#define FEAT "run"

extern char **environ;

static volatile sig_atomic_t forward_sig;

static void on_signal(int sig)
{
	forward_sig = sig;
}

static void agent_env_free(char **env)
{
	int i;

	if (!env)
		return;
	for (i = 0; i < 3; i++)
		free(env[i]);
	free(env);
}

/* The agent's environment: ours plus the session's identity. */
static char **agent_env(const struct kv_session_info *s, const struct kv_run_inputs *in)
{
	size_t n = 0, i, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 4, sizeof(*env));
	if (!env)
		return NULL;
	/* ours first, so agent_env_free knows which three to free */
	if (asprintf(&env[j++], "KAVACHOS_SESSION_ID=%s", s->id) < 0 ||
	    asprintf(&env[j++], "KAVACHOS_TRUST_MASK=0x%08x", in->profile_in.trust_mask) < 0 ||
	    asprintf(&env[j++], "KAVACHOS_DOMAIN=%s", kv_domain_name(in->profile_in.domain)) < 0) {
		agent_env_free(env);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "KAVACHOS_SESSION_ID=", 20) &&
		    strncmp(environ[i], "KAVACHOS_TRUST_MASK=", 20) &&
		    strncmp(environ[i], "KAVACHOS_DOMAIN=", 16))
			env[j++] = environ[i];
	return env;
}

static int wait_agent(pid_t pid, int *status)
{
	for (;;) {
		if (waitpid(pid, status, 0) == pid)
			return 0;
		if (errno != EINTR)
			return -errno;
		if (forward_sig) {
			kill(pid, forward_sig);
			forward_sig = 0;
		}
	}
}

static void print_summary(const char *id, const char *state_dir, int rc,
			  const struct kv_session_state *st)
{
	uint64_t total = st->total;

	if (kv_json_output) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "session", json_object_new_string(id));
		json_object_object_add(o, "exit_status", json_object_new_int(rc));
		json_object_object_add(o, "violations", json_object_new_uint64(total));
		json_object_object_add(o, "gate", json_object_new_string(kv_gate_name(st->gate)));
		json_object_object_add(o, "state_dir", json_object_new_string(state_dir));
		fprintf(stderr, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return;
	}
	fprintf(stderr, "kavachos: session %s ended: exit %d, %llu violation%s, gate %s; "
			"verify with: kavachos audit %s%s%s\n",
		id, rc, (unsigned long long)total, total == 1 ? "" : "s",
		kv_gate_name(st->gate), id,
		strcmp(state_dir, KV_RUN_DEFAULT_STATE_DIR) ? " --state-dir=" : "",
		strcmp(state_dir, KV_RUN_DEFAULT_STATE_DIR) ? state_dir : "");
}

/* Loads and attaches the programs to the agents' root: sessions are its
 * children, so the session level is the root's level + 1. */
static int runtime_for(const char *agents, const struct kv_features *f, struct kv_runtime **rt)
{
	struct kv_bpf_opts bo = { 0 };
	struct kv_bpf *bpf = NULL;
	int level, cgfd, e;

	e = kv_cgroup_mkdir_p(agents);
	if (e)
		return e;
	level = kv_cgroup_level(agents);
	if (level < 0)
		return level;
	cgfd = open(agents, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return -errno;
	bo.session_level = (uint32_t)level + 1;
	bo.lsm = f->bpf_lsm.ok;
	e = kv_bpf_open_load(&bo, &bpf);
	e = e ?: kv_bpf_attach(bpf, cgfd);
	close(cgfd); /* the links keep the attachment */
	e = e ?: kv_runtime_start(bpf, rt);
	if (e)
		kv_bpf_destroy(bpf);
	return e;
}

int kv_run(const struct kv_run_opts *o)
{
	const struct kv_features *f;
	struct kv_run_inputs in;
	struct kv_launch l = { 0 };
	struct kv_runtime *rt = NULL;
	struct kv_live *lv = NULL;
	struct kv_notify_glue *ng = NULL;
	struct kv_session_state st;
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_quit, old_term, old_hup;
	char agents[PATH_MAX], err[512], pins[PATH_MAX] = "";
	int rc = KV_EXIT_RUN_FAILED, e, nfd = -1, status = -1;

	/* 1. inputs: flags > .kavachos.json > environment > defaults */
	e = kv_run_inputs_resolve(o, &in, err, sizeof(err));
	if (e) {
		kv_err("%s", err);
		return e == -ENOMEM ? KV_EXIT_RUN_FAILED : KV_EXIT_USAGE;
	}
	e = kv_launch_resolve(o->argv[0], l.path);
	if (e) {
		kv_err("%s: %s", o->argv[0], e == -ENOENT ? "command not found" : "permission denied");
		rc = e == -ENOENT ? KV_EXIT_NOTFOUND : KV_EXIT_NOEXEC;
		goto out_inputs;
	}
	e = kv_identity_resolve(o->user, &l.id);
	if (e) {
		kv_err("--user=%s: no such user", o->user ? o->user : "");
		rc = KV_EXIT_USAGE;
		goto out_inputs;
	}
	if (geteuid() != 0) {
		kv_err("run needs root to load BPF programs and create the session cgroup "
		       "(run it with sudo; the agent itself runs as you)");
		rc = KV_EXIT_ENV;
		goto out_inputs;
	}
	f = kv_features_get();
	if (!f->cgroup_sock_addr.ok || !f->tp_btf.ok || !f->ringbuf.ok) {
		kv_err("this kernel cannot run KavachOS's BPF programs (egress: %s; tracing: %s) "
		       "— see 'kavachos status'", f->cgroup_sock_addr.detail, f->tp_btf.detail);
		rc = KV_EXIT_ENV;
		goto out_inputs;
	}
	e = kv_cgroup_resolve(o->cgroup ? o->cgroup : KV_DEFAULT_AGENTS_CGROUP, agents, sizeof(agents),
			      err, sizeof(err));
	if (e) {
		kv_err("--cgroup: %s", err);
		rc = KV_EXIT_USAGE;
		goto out_inputs;
	}

	/* 2. programs attached to the agents' root, the session beneath it */
	e = runtime_for(agents, f, &rt);
	if (e) {
		kv_err("loading the BPF programs for %s failed: %s (run with -vv for libbpf's log)",
		       agents, strerror(-e));
		goto out_inputs;
	}
	e = kv_live_start(rt, agents, NULL, &in, &l, o->argv, &lv, err, sizeof(err));
	if (e) {
		kv_err("%s", err);
		goto out_runtime;
	}

	/* inspectable while it runs: profile show, bpftool map dump */
	snprintf(pins, sizeof(pins), "%s/%s", KV_PIN_DIR_RUNS, lv->s.id);
	if (mkdir(KV_PIN_DIR_RUNS, 0700) && errno != EEXIST)
		pins[0] = 0;
	else if (kv_bpf_pin_maps(kv_runtime_bpf(rt), pins))
		kv_warn(FEAT, "could not pin maps under %s", pins);

	/* 3. the agent: placed in its cgroup before its filter and exec */
	l.argv = o->argv;
	l.envp = agent_env(&lv->s, &in);
	l.profile = in.profile;
	if (!l.envp || (e = kv_launch_spawn(&l))) {
		kv_err("cannot start the agent: %s", strerror(l.envp ? -e : ENOMEM));
		goto out_live;
	}
	e = kv_cgroup_move(lv->s.cgroup, l.pid);
	if (e) {
		kv_err("cannot move the agent into %s: %s", lv->s.cgroup, strerror(-e));
		kill(l.pid, SIGKILL);
		waitpid(l.pid, NULL, 0);
		goto out_live;
	}
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGQUIT, &sa, &old_quit);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	e = kv_launch_go(&l, &nfd);
	if (e) {
		kv_err("agent setup failed before exec: %s", strerror(-e));
		waitpid(l.pid, NULL, 0);
		goto out_signals;
	}
	if (nfd >= 0)
		ng = kv_notify_glue_start(nfd, rt, lv->s.cgid, &l, o->ask);
	e = kv_launch_exec_result(&l);
	if (e) {
		kv_err("%s: %s", l.path, strerror(-e));
		waitpid(l.pid, NULL, 0);
		rc = e == -ENOENT ? KV_EXIT_NOTFOUND : KV_EXIT_NOEXEC;
		goto out_signals;
	}
	kv_debug(FEAT, "session %s: agent pid %d in %s", lv->s.id, (int)l.pid, lv->s.cgroup);
	wait_agent(l.pid, &status);
	rc = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);

out_signals:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	kv_live_kill_rest(lv->s.cgroup);
	kv_notify_glue_stop(ng);
out_live:
	agent_env_free(l.envp);
	{
		char id[KV_SESSION_ID_LEN];

		snprintf(id, sizeof(id), "%s", lv->s.id);
		kv_live_end(rt, lv, status, &st);
		if (pins[0])
			kv_bpf_unpin_maps(kv_runtime_bpf(rt), pins);
		print_summary(id, in.state_dir, rc, &st);
	}
out_runtime:
	kv_runtime_stop(rt);
out_inputs:
	kv_run_inputs_free(&in);
	return rc;
}
