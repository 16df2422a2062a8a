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
#include "egress/resolve_cache.h"
#include "seccomp/seccomp.h"
#include <pthread.h>

#include "run/run_int.h"

#define FEAT "run"

/* --falco: the domain's rules, scoped to this session's id, written to
 * STATE/falco/ID.yaml; where a falco binary is installed it is started
 * with them, its JSON alerts going to STATE/falco/ID.alerts.jsonl, which
 * the session then seals (--falco-alerts names another source instead). */
static pid_t falco_start(const struct kv_run_inputs *in, const char *id, char *alerts, size_t len)
{
	char dir[PATH_MAX], rules[PATH_MAX + 80], falco[PATH_MAX], opt[PATH_MAX + 64], err[256];
	char *yaml = NULL;
	pid_t pid;
	FILE *f;
	int fd;

	if (kv_falco_render(in->profile_in.domain, in->profile_in.trust_mask, &yaml, err,
			    sizeof(err))) {
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
		kv_info(
		    "falco",
		    "rules for this session: %s (no falco binary here: load them into "
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

static void falco_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* Loads and attaches the programs to the agents' root: sessions are its
 * children, so the session level is the root's level + 1. */
static int runtime_for(const char *agents, const struct kv_features *f, struct kv_runtime **rt)
{
	struct kv_bpf_opts bo = {0};
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

/* ---- work independent of the BPF objects, done while they load ----
 * Loading and verifying the objects keeps one core busy for ~100 ms; the
 * agent's seccomp filter (libseccomp, 3-4 ms) and the policy's host names
 * (a lookup per name and family) need none of it, so a thread does them
 * meanwhile on the other core: the session start then finds the filter
 * compiled and the answers in its resolver cache. */
struct prework {
	const struct kv_profile *profile;
	const struct kv_egress_policy *egress;
	int handoff_fd;
	struct kv_seccomp_prog *prog; /* NULL: the child compiles, as before */
	struct kv_resolve_cache *names;
	pthread_t thread;
	bool running;
};

static void *prework_main(void *arg)
{
	struct prework *pw = arg;
	struct kv_egress_addrs a;
	size_t i;

	if (kv_seccomp_prepare(pw->profile, pw->handoff_fd, &pw->prog))
		pw->prog = NULL;
	for (i = 0; pw->names && i < pw->egress->n_rules; i++) {
		const struct kv_egress_rule *r = &pw->egress->rules[i];

		if (r->kind != KV_EGRESS_HOST || r->wildcard)
			continue;
		memset(&a, 0, sizeof(a));
		if (!kv_resolve_cache_lookup(r->name, &a, pw->names))
			free(a.addr);
	}
	return NULL;
}

static void prework_start(struct prework *pw, struct kv_run_inputs *in, struct kv_launch *l)
{
	struct kv_resolve_cache_opts ro = { .ok_secs = KV_RESOLVE_CACHE_OK_SECS,
					    .fail_secs = KV_RESOLVE_CACHE_FAIL_SECS };

	memset(pw, 0, sizeof(*pw));
	/* the launch's pipes first: the filter depends on the handoff fd */
	if (kv_launch_prepare(l) || kv_resolve_cache_new(&ro, &pw->names))
		return;
	pw->profile = in->profile;
	pw->egress = in->egress;
	pw->handoff_fd = l->handoff_fd;
	pw->running = !pthread_create(&pw->thread, NULL, prework_main, pw);
}

static void prework_join(struct prework *pw)
{
	if (pw->running)
		pthread_join(pw->thread, NULL);
	pw->running = false;
}

static void prework_free(struct prework *pw)
{
	prework_join(pw);
	kv_seccomp_prog_free(pw->prog);
	kv_resolve_cache_free(pw->names);
	pw->prog = NULL;
	pw->names = NULL;
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
		kv_warn("dns",
			"no stub resolver for session %s (%s): host names open at the "
			"addresses they had at start",
			lv->s.id, strerror(-e));
	return 0;
}

/* The agent's process, born in the session's cgroup by the init (else
 * moved there now), then named for strict exec. */
static int embedded_place(void *ctx, const struct kv_launch *l, char *err, size_t errlen)
{
	struct embedded *em = ctx;
	int e = l->in_cgroup ? 0 : kv_cgroup_move(em->lv->s.cgroup, l->agent_pid);

	if (e)
		snprintf(err, errlen, "cannot move the agent into %s: %s", em->lv->s.cgroup,
			 strerror(-e));
	/* strict exec under BPF-LSM: exactly this launch passes */
	else if ((e = kv_files_glue_launch(em->in->files, kv_runtime_bpf(em->rt), em->lv->s.cgid,
					   l->agent_pid)))
		snprintf(err, errlen, "strict exec: %s", strerror(-e));
	return e;
}

static void embedded_seal(void *ctx, struct json_object *fields)
{
	struct embedded *em = ctx;

	kv_runtime_seal(em->rt, em->lv->s.cgid, "NOTIFY_DECISION", fields, 0);
}

/* Maps pinned by earlier runs that were killed (SIGKILL, a crash): no
 * loaded program uses them any more, so they go (user/bpf/sweep.c). */
static void sweep_pins(void)
{
	int n = kv_bpf_sweep_orphan_pins(KV_PIN_DIR_RUNS);

	if (n > 0)
		kv_info(FEAT, "removed the pinned maps of %d run%s that ended without removing them",
			n, n == 1 ? "" : "s");
	else if (n < 0)
		kv_warn(FEAT, "cannot look for pins of ended runs under %s: %s", KV_PIN_DIR_RUNS,
			strerror(-n));
}

int kv_run_embedded(const struct kv_run_opts *o, struct kv_run_inputs *in, struct kv_launch *l)
{
	const struct kv_features *f;
	struct embedded em = {0};
	struct kv_live_hooks hooks = {.before_egress = embedded_dns, .ctx = &em};
	struct kv_run_hooks rh = {.place = embedded_place, .seal = embedded_seal, .ctx = &em};
	struct prework pw;
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
	e = kv_cgroup_resolve(o->cgroup ? o->cgroup : KV_DEFAULT_AGENTS_CGROUP, agents,
			      sizeof(agents), err, sizeof(err));
	if (e) {
		kv_err("--cgroup: %s", err);
		return KV_EXIT_USAGE;
	}
	prework_start(&pw, in, l);
	f = kv_features_get();
	kv_timing_mark("features probed");
	if (!f->cgroup_sock_addr.ok || !f->tp_btf.ok || !f->ringbuf.ok) {
		kv_err("this kernel cannot run KavachOS's BPF programs (egress: %s; tracing: %s) "
		       "— see 'kavachos status'",
		       f->cgroup_sock_addr.detail, f->tp_btf.detail);
		prework_free(&pw);
		return KV_EXIT_ENV;
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
	kv_timing_mark("unfinished sessions checked");
	e = runtime_for(agents, f, &em.rt);
	kv_timing_mark("BPF loaded and attached");
	prework_join(&pw);
	kv_timing_mark("filter compiled, names resolved (in parallel)");
	if (e) {
		kv_err("loading the BPF programs for %s failed: %s (run with -vv for libbpf's log)",
		       agents, strerror(-e));
		prework_free(&pw);
		return rc;
	}
	l->seccomp = pw.prog;
	hooks.resolve = pw.names ? kv_resolve_cache_lookup : NULL;
	hooks.resolve_arg = pw.names;
	e = kv_session_new_id(sid);
	if (!e && (e = kv_run_session_tmp_create(in, sid, &l->id)))
		kv_warn(FEAT, "no session tmp dir under /tmp: %s (the agent shares /tmp)",
			strerror(-e));
	/* file and exec rules: BPF-LSM where it loaded, else Landlock in the child */
	e = kv_files_glue_build(in, &l->id, l->path, kv_bpf_has_lsm(kv_runtime_bpf(em.rt)),
				f->landlock.ok ? f->landlock_abi : 0, &in->files, err, sizeof(err));
	if (e) {
		kv_err("file rules: %s", err);
		rc = e == -EINVAL ? KV_EXIT_USAGE : KV_EXIT_RUN_FAILED;
		goto out_runtime;
	}
	l->landlock = kv_files_glue_landlock(in->files);
	kv_timing_mark("files policy built");
	/* the PID namespace is decided now: the genesis below records it */
	e = kv_run_pidns_plan(o, true, l, err, sizeof(err));
	if (e) {
		kv_err("%s", err);
		rc = KV_EXIT_ENV;
		goto out_runtime;
	}
	em.in = in;
	e = kv_live_start(em.rt, agents, sid, &hooks, in, l, o->argv, &em.lv, err, sizeof(err));
	if (e) {
		kv_err("%s", err);
		goto out_runtime;
	}
	kv_timing_mark("session live");
	if (em.dns && kv_dns_glue_start(em.dns))
		kv_warn("dns", "stub not serving: names resolve only at session start");
	l->resolv_conf = em.dns ? kv_dns_glue_resolv(em.dns) : NULL;
	/* inspectable while it runs: profile show, bpftool map dump */
	snprintf(pins, sizeof(pins), "%s/%s", KV_PIN_DIR_RUNS, em.lv->s.id);
	sweep_pins();
	if (mkdir(KV_PIN_DIR_RUNS, 0700) && errno != EEXIST)
		pins[0] = 0;
	else if (kv_bpf_pin_maps(kv_runtime_bpf(em.rt), pins))
		kv_warn(FEAT, "could not pin maps under %s", pins);
	/* `kavachos release` reaches this session's gate through us */
	if (kv_session_server_start(em.rt, em.lv, &srv))
		kv_warn(FEAT, "session %s cannot be released by `kavachos release` (only killed)",
			em.lv->s.id);

	if (o->falco)
		falco = falco_start(in, em.lv->s.id, falco_alerts, sizeof(falco_alerts));
	if (o->falco_alerts)
		snprintf(falco_alerts, sizeof(falco_alerts), "%s", o->falco_alerts);
	if (falco_alerts[0] && (e = kv_falco_ingest_start(em.rt, falco_alerts, &fi)))
		kv_warn("falco", "cannot read alerts from %s: %s", falco_alerts, strerror(-e));

	kv_timing_mark("pins, release server, falco");
	/* the init forks the agent's process into it (nothing to move) */
	l->cgroup_fd = open(em.lv->s.cgroup, O_PATH | O_DIRECTORY | O_CLOEXEC);
	l->envp = kv_run_agent_env(em.lv->s.id, in);
	if (!l->envp)
		kv_err("out of memory");
	else
		rc = kv_run_supervise(l, &rh, o->ask, &status);
	if (l->cgroup_fd >= 0)
		close(l->cgroup_fd);
	l->cgroup_fd = -1;

	kv_timing_mark("supervised");
	kv_live_kill_rest(em.lv->s.cgroup);
	falco_stop(falco);		/* it flushes its last alerts as it exits */
	kv_falco_ingest_stop(fi, NULL); /* what Falco said is sealed before SESSION_END */
	kv_dns_glue_stop(em.dns);
	em.dns = NULL;
	kv_session_server_stop(srv);
	snprintf(id, sizeof(id), "%s", em.lv->s.id);
	kv_timing_mark("helpers stopped");
	kv_live_end(em.rt, em.lv, status, &st);
	kv_timing_mark("session ended");
	if (pins[0])
		kv_bpf_unpin_maps(kv_runtime_bpf(em.rt), pins);
	kv_run_print_summary(id, in->state_dir, rc, &st, NULL);
out_runtime:
	kv_dns_glue_stop(em.dns); /* a session that failed to start */
	kv_runtime_stop(em.rt);
	kv_run_session_tmp_remove(in);
	l->seccomp = NULL;
	prework_free(&pw);
	kv_timing_mark("runtime stopped");
	return rc;
}
