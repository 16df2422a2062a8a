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
#include "egress/egress.h"
#include "events/events.h"
#include "features/features.h"
#include "profile/profile.h"
#include "receipts/receipts.h"
#include "run/live.h"
#include "run/inputs.h"
#include "run/launch.h"
#include "run/notify_glue.h"
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

#define FEAT "run"

extern char **environ;

static volatile sig_atomic_t forward_sig;

static void on_signal(int sig)
{
	forward_sig = sig;
}

#define KV_AGENT_ENV_OWN 4 /* the entries agent_env allocates, first in the array */

static void agent_env_free(char **env)
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
static char **agent_env(const char *id, const struct kv_run_inputs *in)
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
		agent_env_free(env);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "KAVACHOS_SESSION_ID=", 20) &&
		    strncmp(environ[i], "KAVACHOS_TRUST_MASK=", 20) &&
		    strncmp(environ[i], "KAVACHOS_DOMAIN=", 16) && strncmp(environ[i], "TMPDIR=", 7))
			env[j++] = environ[i];
	return env;
}

/* The session's own tmp directory, the agent's (its TMPDIR and, with the
 * file rules, its only write root besides the workspace). */
static int session_tmp_create(struct kv_run_inputs *in, const char *id, const struct kv_identity *who)
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

static void session_tmp_remove(struct kv_run_inputs *in)
{
	/* FTW_PHYS: symlinks the agent left are removed, never followed */
	if (in->tmp_dir[0] && !strncmp(in->tmp_dir, "/tmp/kavachos-ks-", 17))
		nftw(in->tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
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

/* How the agent gets into its session: embedded, we move it ourselves; with
 * the daemon, the daemon does (after checking it is our child). */
typedef int (*place_fn)(void *ctx, pid_t pid, char *err, size_t errlen);

/* Spawn, place, release, supervise NOTIFY calls, wait. Returns the exit
 * status for `run`; *status gets the wait status (-1 if it never ran). */
static int supervise(struct kv_launch *l, place_fn place, void *pctx, kv_notify_seal_fn seal,
		     void *sctx, bool ask, int *status)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_quit, old_term, old_hup;
	struct kv_notify_glue *ng = NULL;
	char err[512];
	int e, nfd = -1, rc = KV_EXIT_RUN_FAILED;

	*status = -1;
	e = kv_launch_spawn(l);
	if (e) {
		kv_err("cannot start the agent: %s", strerror(-e));
		return rc;
	}
	e = place(pctx, l->pid, err, sizeof(err));
	if (e) {
		kv_err("%s", err);
		kill(l->pid, SIGKILL);
		waitpid(l->pid, NULL, 0);
		return rc;
	}
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGQUIT, &sa, &old_quit);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	e = kv_launch_go(l, &nfd);
	if (e) {
		kv_err("agent setup failed before exec: %s", strerror(-e));
		waitpid(l->pid, NULL, 0);
		goto out;
	}
	if (nfd >= 0)
		ng = kv_notify_glue_start(nfd, l, ask, seal, sctx);
	e = kv_launch_exec_result(l);
	if (e) {
		kv_err("%s: %s", l->path, strerror(-e));
		waitpid(l->pid, NULL, 0);
		rc = e == -ENOENT ? KV_EXIT_NOTFOUND : KV_EXIT_NOEXEC;
		goto out;
	}
	wait_agent(l->pid, status);
	rc = WIFSIGNALED(*status) ? 128 + WTERMSIG(*status) : WEXITSTATUS(*status);
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	kv_notify_glue_stop(ng);
	return rc;
}

/* --falco: the domain's rules, scoped to this session's id, written to
 * STATE/falco/ID.yaml; where a falco binary is installed it is started
 * with them, its JSON alerts going to STATE/falco/ID.alerts.jsonl, which
 * the session then seals (--falco-alerts names another source instead). */
static pid_t start_falco(const struct kv_run_inputs *in, const char *id, char *alerts, size_t len)
{
	char dir[PATH_MAX], rules[PATH_MAX + 80], falco[PATH_MAX], opt[PATH_MAX + 64], err[256];
	char *yaml = NULL;
	pid_t pid;
	FILE *f;
	int fd;

	if (kv_falco_render(in->profile_in.domain, in->profile_in.trust_mask, &yaml, err, sizeof(err))) {
		kv_warn("falco", "rules not written: %s", err);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/falco", in->state_dir);
	mkdir(dir, 0750);
	snprintf(rules, sizeof(rules), "%s/%s.yaml", dir, id);
	f = fopen(rules, "we");
	if (!f || fputs(yaml, f) == EOF || fclose(f)) {
		kv_warn("falco", "cannot write %s: %s", rules, strerror(errno));
		free(yaml);
		return -1;
	}
	free(yaml);
	if (kv_launch_resolve("falco", falco)) {
		kv_info("falco", "rules for this session: %s (no falco binary here: load them into "
			"your Falco with json_output: true, and pass its alerts with --falco-alerts)",
			rules);
		return -1;
	}
	snprintf(alerts, len, "%s/%s.alerts.jsonl", dir, id);
	fd = open(alerts, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0) {
		kv_warn("falco", "cannot create %s: %s", alerts, strerror(errno));
		alerts[0] = 0;
		return -1;
	}
	close(fd);
	snprintf(opt, sizeof(opt), "file_output.filename=%s", alerts);
	pid = fork();
	if (pid == 0) {
		execl(falco, "falco", "-r", rules, "-o", "json_output=true", "-o",
		      "json_include_output_property=true", "-o", "file_output.enabled=true", "-o",
		      opt, "-o", "stdout_output.enabled=false", (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		alerts[0] = 0;
		return -1;
	}
	kv_info("falco", "falco (pid %d) watches this session with %s", (int)pid, rules);
	return pid;
}

static void stop_falco(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* ---- embedded: this process is the loader for its own session ---- */

struct embedded {
	struct kv_runtime *rt;
	struct kv_live *lv;
	struct kv_run_inputs *in;
	struct kv_dns_glue *dns;
};

/* The stub's address goes into the policy before the policy goes into the
 * maps: it is then the only port-53 destination the session has. */
static int embedded_dns(void *ctx, struct kv_live *lv, char *err, size_t errlen)
{
	struct embedded *em = ctx;
	int e;

	(void)err;
	(void)errlen;
	em->lv = lv;
	e = kv_dns_glue_open(em->rt, lv->s.cgid, em->in->egress, &lv->em, em->in->state_dir,
			     lv->s.id, &em->dns);
	if (e)
		kv_warn("dns", "no stub resolver for session %s (%s): host names open at the "
			"addresses they had at start", lv->s.id, strerror(-e));
	return 0;
}

static int embedded_place(void *ctx, pid_t pid, char *err, size_t errlen)
{
	struct embedded *em = ctx;
	int e = kv_cgroup_move(em->lv->s.cgroup, pid);

	if (e)
		snprintf(err, errlen, "cannot move the agent into %s: %s", em->lv->s.cgroup, strerror(-e));
	/* strict exec under BPF-LSM: exactly this launch passes */
	else if ((e = kv_files_glue_launch(em->in->files, kv_runtime_bpf(em->rt), em->lv->s.cgid, pid)))
		snprintf(err, errlen, "strict exec: %s", strerror(-e));
	return e;
}

static void embedded_seal(void *ctx, struct json_object *fields)
{
	struct embedded *em = ctx;

	kv_runtime_seal(em->rt, em->lv->s.cgid, "NOTIFY_DECISION", fields, 0);
}

static int run_embedded(const struct kv_run_opts *o, struct kv_run_inputs *in, struct kv_launch *l)
{
	const struct kv_features *f;
	struct embedded em = { 0 };
	struct kv_live_hooks hooks = { .before_egress = embedded_dns, .ctx = &em };
	struct kv_session_server *srv = NULL;
	struct kv_falco_ingest *fi = NULL;
	char falco_alerts[PATH_MAX + 96] = "";
	pid_t falco = -1;
	struct kv_session_state st;
	char agents[PATH_MAX], err[512], pins[PATH_MAX] = "", id[KV_SESSION_ID_LEN];
	char sid[KV_SESSION_ID_LEN];
	int rc = KV_EXIT_RUN_FAILED, e, status = -1;

	if (geteuid() != 0) {
		kv_err("run needs root to load BPF programs and create the session cgroup "
		       "(run it with sudo, or start kavachos-load and join its control group)");
		return KV_EXIT_ENV;
	}
	f = kv_features_get();
	if (!f->cgroup_sock_addr.ok || !f->tp_btf.ok || !f->ringbuf.ok) {
		kv_err("this kernel cannot run KavachOS's BPF programs (egress: %s; tracing: %s) "
		       "— see 'kavachos status'", f->cgroup_sock_addr.detail, f->tp_btf.detail);
		return KV_EXIT_ENV;
	}
	e = kv_cgroup_resolve(o->cgroup ? o->cgroup : KV_DEFAULT_AGENTS_CGROUP, agents, sizeof(agents),
			      err, sizeof(err));
	if (e) {
		kv_err("--cgroup: %s", err);
		return KV_EXIT_USAGE;
	}

	{
		unsigned found = 0;

		/* an earlier run that died left a session without an end: say so */
		kv_chain_check_unfinished(in->state_dir, NULL, &found);
		if (found)
			kv_warn(FEAT, "%u unfinished session(s) in %s (see kavachos audit --all)",
				found, in->state_dir);
	}
	/* programs attached to the agents' root, the session beneath it */
	e = runtime_for(agents, f, &em.rt);
	if (e) {
		kv_err("loading the BPF programs for %s failed: %s (run with -vv for libbpf's log)",
		       agents, strerror(-e));
		return rc;
	}
	e = kv_session_new_id(sid);
	if (!e && (e = session_tmp_create(in, sid, &l->id)))
		kv_warn(FEAT, "no session tmp dir under /tmp: %s (the agent shares /tmp)", strerror(-e));
	/* file and exec rules: BPF-LSM where it loaded, else Landlock in the child */
	e = kv_files_glue_build(in, &l->id, l->path, kv_bpf_has_lsm(kv_runtime_bpf(em.rt)),
				f->landlock.ok ? f->landlock_abi : 0, &in->files, err, sizeof(err));
	if (e) {
		kv_err("file rules: %s", err);
		rc = e == -EINVAL ? KV_EXIT_USAGE : KV_EXIT_RUN_FAILED;
		goto out_runtime;
	}
	l->landlock = kv_files_glue_landlock(in->files);
	em.in = in;
	e = kv_live_start(em.rt, agents, sid, &hooks, in, l, o->argv, &em.lv, err, sizeof(err));
	if (e) {
		kv_err("%s", err);
		goto out_runtime;
	}
	if (em.dns && kv_dns_glue_start(em.dns))
		kv_warn("dns", "stub not serving: names resolve only at session start");
	l->resolv_conf = em.dns ? kv_dns_glue_resolv(em.dns) : NULL;
	/* inspectable while it runs: profile show, bpftool map dump */
	snprintf(pins, sizeof(pins), "%s/%s", KV_PIN_DIR_RUNS, em.lv->s.id);
	if (mkdir(KV_PIN_DIR_RUNS, 0700) && errno != EEXIST)
		pins[0] = 0;
	else if (kv_bpf_pin_maps(kv_runtime_bpf(em.rt), pins))
		kv_warn(FEAT, "could not pin maps under %s", pins);
	/* `kavachos release` reaches this session's gate through us */
	if (kv_session_server_start(em.rt, em.lv, &srv))
		kv_warn(FEAT, "session %s cannot be released by `kavachos release` (only killed)",
			em.lv->s.id);

	if (o->falco)
		falco = start_falco(in, em.lv->s.id, falco_alerts, sizeof(falco_alerts));
	if (o->falco_alerts)
		snprintf(falco_alerts, sizeof(falco_alerts), "%s", o->falco_alerts);
	if (falco_alerts[0] && (e = kv_falco_ingest_start(em.rt, falco_alerts, &fi)))
		kv_warn("falco", "cannot read alerts from %s: %s", falco_alerts, strerror(-e));

	l->envp = agent_env(em.lv->s.id, in);
	if (!l->envp)
		kv_err("out of memory");
	else
		rc = supervise(l, embedded_place, &em, embedded_seal, &em, o->ask, &status);

	kv_live_kill_rest(em.lv->s.cgroup);
	stop_falco(falco); /* it flushes its last alerts as it exits */
	kv_falco_ingest_stop(fi, NULL); /* what Falco said is sealed before SESSION_END */
	kv_dns_glue_stop(em.dns);
	em.dns = NULL;
	kv_session_server_stop(srv);
	snprintf(id, sizeof(id), "%s", em.lv->s.id);
	kv_live_end(em.rt, em.lv, status, &st);
	if (pins[0])
		kv_bpf_unpin_maps(kv_runtime_bpf(em.rt), pins);
	print_summary(id, in->state_dir, rc, &st);
out_runtime:
	kv_dns_glue_stop(em.dns); /* a session that failed to start */
	kv_runtime_stop(em.rt);
	session_tmp_remove(in);
	return rc;
}

/* ---- with the daemon: it owns programs, maps and receipts ---- */

struct daemon_ctx {
	int fd;
	const char *id;
	const struct kv_run_inputs *in;
	const struct kv_launch *l;
	char *const *argv;
	char state_dir[PATH_MAX];
};

static int daemon_place(void *ctx, pid_t pid, char *err, size_t errlen)
{
	struct daemon_ctx *d = ctx;
	struct json_object *req = json_object_new_object(), *a = json_object_new_array(), *r = NULL, *v;
	int i, e;

	json_object_object_add(req, "op", json_object_new_string("session_start"));
	json_object_object_add(req, "pid", json_object_new_int(pid));
	json_object_object_add(req, "session_id", json_object_new_string(d->id));
	json_object_object_add(req, "binary", json_object_new_string(d->l->path));
	for (i = 0; d->argv[i]; i++)
		json_object_array_add(a, json_object_new_string(d->argv[i]));
	json_object_object_add(req, "argv", a);
	json_object_object_add(req, "inputs", json_object_get(d->in->json));
	e = kv_control_call(d->fd, req, &r, err, errlen);
	json_object_put(req);
	if (e)
		return e;
	if (!json_object_object_get_ex(r, "ok", &v) || !json_object_get_boolean(v)) {
		snprintf(err, errlen, "kavachos-load refused the session: %s",
			 json_object_object_get_ex(r, "error", &v) ? json_object_get_string(v) : "?");
		json_object_put(r);
		return -EPERM;
	}
	if (json_object_object_get_ex(r, "state_dir", &v))
		snprintf(d->state_dir, sizeof(d->state_dir), "%s", json_object_get_string(v));
	json_object_put(r);
	return 0;
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

static int run_daemon(const struct kv_run_opts *o, struct kv_run_inputs *in, struct kv_launch *l,
		      int fd)
{
	struct daemon_ctx d = { .fd = fd, .in = in, .l = l, .argv = o->argv };
	struct kv_session_state st = { 0 };
	struct json_object *req, *r = NULL;
	char id[KV_SESSION_ID_LEN], err[256];
	int rc = KV_EXIT_RUN_FAILED, status = -1;

	if (kv_session_new_id(id))
		return rc;
	d.id = id;
	if (session_tmp_create(in, id, &l->id))
		kv_warn(FEAT, "no session tmp dir under /tmp (the agent shares /tmp)");
	/* where the daemon has no BPF-LSM, the file rules are ours to apply
	 * (Landlock needs no privilege): decide before the child is forked */
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("ping"));
	if (kv_control_call(fd, req, &r, err, sizeof(err))) {
		kv_err("kavachos-load: %s", err);
		json_object_put(req);
		return KV_EXIT_ENV;
	}
	json_object_put(req);
	{
		const struct kv_features *f = kv_features_get();
		struct json_object *v;
		bool daemon_lsm = json_object_object_get_ex(r, "bpf_lsm", &v) && json_object_get_boolean(v);

		json_object_put(r);
		r = NULL;
		if (!daemon_lsm && f->landlock.ok) {
			char ferr[512];
			int e = kv_files_glue_build(in, &l->id, l->path, false, f->landlock_abi,
						    &in->files, ferr, sizeof(ferr));

			if (e) {
				kv_err("file rules: %s", ferr);
				return e == -EINVAL ? KV_EXIT_USAGE : KV_EXIT_RUN_FAILED;
			}
			l->landlock = kv_files_glue_landlock(in->files);
			/* the daemon seals what enforces the files: say it is us */
			json_object_object_add(in->json, "files_by_client",
					       kv_files_glue_json(in->files));
		}
	}
	snprintf(d.state_dir, sizeof(d.state_dir), "%s", in->state_dir);
	l->envp = agent_env(id, in);
	if (!l->envp) {
		kv_err("out of memory");
		return rc;
	}
	kv_debug(FEAT, "session %s through kavachos-load", id);
	rc = supervise(l, daemon_place, &d, daemon_seal, &d, o->ask, &status);
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
	}
	json_object_put(req);
	json_object_put(r);
	session_tmp_remove(in);
	print_summary(id, d.state_dir, rc, &st);
	return rc;
}

int kv_run(const struct kv_run_opts *o)
{
	struct kv_run_inputs in;
	struct kv_launch l = { 0 };
	char err[512];
	int rc, e, fd = -1;

	/* inputs: flags > .kavachos.json > environment > defaults */
	e = kv_run_inputs_resolve(o, &in, err, sizeof(err));
	if (e) {
		kv_err("%s", err);
		return e == -ENOMEM ? KV_EXIT_RUN_FAILED : KV_EXIT_USAGE;
	}
	e = kv_launch_resolve(o->argv[0], l.path);
	if (e) {
		kv_err("%s: %s", o->argv[0], e == -ENOENT ? "command not found" : "permission denied");
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
		rc = run_daemon(o, &in, &l, fd);
		close(fd);
	} else {
		rc = run_embedded(o, &in, &l);
	}
out:
	agent_env_free(l.envp);
	kv_run_inputs_free(&in);
	return rc;
}
