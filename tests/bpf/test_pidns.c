// SPDX-License-Identifier: BSD-2-Clause
/* `kavachos run` gives the session its own PID namespace: the agent cannot
 * name, signal or trace a process outside it, /proc lists only the session,
 * its init is no way around anything (not traceable, deaf to the session's
 * signals), exit codes and signals to `run` reach through it, orphans are
 * reaped and killed when the agent exits; genesis and status say so. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "features/features.h"
#include "fixture.h"
#include "kvtest.h"

#define KV "%s/kavachos"
#define AGENT "%s/tests/helpers/agent_violate"
#define RUN KV " run --no-default-net --state-dir=%s/state --trust-mask=0xFFFF"

static bool need_pidns(void)
{
	if (geteuid()) {
		test__skip("needs root");
		return false;
	}
	if (!kv_features_get()->pidns.ok) {
		test__skip("no PID namespaces here: %s", kv_features_get()->pidns.detail);
		return false;
	}
	return true;
}

/* A process outside every session, for the agent to aim at. */
static pid_t sleeper(void)
{
	pid_t p = fork();

	if (p == 0) {
		execl("/bin/sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	return p;
}

static bool alive(pid_t p)
{
	return waitpid(p, NULL, WNOHANG) == 0 && kill(p, 0) == 0;
}

static void stop(pid_t p)
{
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
}

/* prefix, then our own cgroup2 path and a newline, as agent_violate's
 * cgroup=PID prints it. */
static void own_cgroup(char *out, size_t len, const char *prefix)
{
	char line[512] = "";
	FILE *f = fopen("/proc/self/cgroup", "r");

	while (f && fgets(line, sizeof(line), f) && strncmp(line, "0::", 3))
		line[0] = 0;
	if (f)
		fclose(f);
	snprintf(out, len, "%s%s", prefix, line[0] ? line + 3 : "?\n");
}

/* The workspace's .kavachos.json: ptrace allowed outright by the syscall
 * profile, so the kernel's answer is the namespace's, not seccomp's. */
static bool allow_ptrace(const char *dir)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/.kavachos.json", dir);
	f = fopen(path, "w");
	if (!ASSERT_OK_PTR(f, "config"))
		return false;
	fputs("{\"version\": 1, \"seccomp\": {\"allow\": [\"ptrace\"]}}\n", f);
	return ASSERT_OK(fclose(f), "config_written");
}

/* The genesis's pid_namespace object and process row (the genesis can be
 * long: a BPF-LSM file policy lists every secret's inodes). */
static void genesis_rows(char *out, size_t len, const char *t)
{
	kv_sh(out, len, "head -qn1 %s/state/sessions/ks-*.jsonl | "
	      "grep -o -e '\"pid_namespace\":{[^}]*}' -e '\"process\":{[^}]*}'", t);
}

KV_TEST(outside_cannot_be_named)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	static char out[1 << 16];
	char want[600];
	const char *cg;
	pid_t s;
	int rc;

	if (!need_pidns() || !allow_ptrace(t))
		return;
	s = sleeper();
	if (!ASSERT_GE(s, 1, "sleeper"))
		return;
	rc = kv_sh(out, sizeof(out), "cd %s && " RUN " -- " AGENT " ppid proc-pids kill=%d "
		   "ptrace=%d stat-proc=%d signal-child cgroup=self cgroup=1 exit7 2>/dev/null",
		   t, b, t, b, (int)s, (int)s, (int)s);
	ASSERT_EQ(rc, 7, "exit_status");
	/* the agent in the session's cgroup (born there), the init outside
	 * it, where run is (our own cgroup): the session is the agent's */
	cg = strstr(out, "cgroup=self ");
	if (ASSERT_OK_PTR(cg, "agent_cgroup"))
		ASSERT_HAS_SUBSTR(cg, "/ks-", "agent_in_a_session");
	own_cgroup(want, sizeof(want), "cgroup=1 ");
	ASSERT_HAS_SUBSTR(out, want, "init_where_run_is");
	ASSERT_HAS_SUBSTR(out, "ppid 1\n", "parent_is_the_init");
	/* the init and the agent, nothing else */
	ASSERT_HAS_SUBSTR(out, "proc-pids 1,2\n", "proc_lists_only_the_session");
	snprintf(want, sizeof(want), "kill=%d ESRCH", (int)s);
	ASSERT_HAS_SUBSTR(out, want, "kill_outside");
	snprintf(want, sizeof(want), "ptrace=%d ESRCH", (int)s);
	ASSERT_HAS_SUBSTR(out, want, "ptrace_outside");
	snprintf(want, sizeof(want), "stat-proc=%d ENOENT", (int)s);
	ASSERT_HAS_SUBSTR(out, want, "proc_outside");
	ASSERT_HAS_SUBSTR(out, "signal-child OK", "own_child_signalled_and_waited");
	ASSERT_TRUE(alive(s), "sleeper_alive");
	stop(s);
	genesis_rows(out, sizeof(out), t);
	ASSERT_HAS_SUBSTR(out, "\"pid_namespace\":{\"detail\":\"created by kavachos run (root)\","
			       "\"mode\":\"own\"}", "genesis_pid_namespace");
	ASSERT_HAS_SUBSTR(out, "own PID namespace (processes outside the session cannot be named",
			  "genesis_process_mechanism");
	ASSERT_EQ(kv_sh(NULL, 0, KV " audit --all --state-dir=%s/state", b, t), 0, "audit_clean");
}

/* --pid-namespace=off: the fallback below it still refuses (BPF-LSM's
 * task_kill, Landlock's signal scoping), the process is visible, and the
 * genesis says there is no namespace. Shows the test above can fail. */
KV_TEST(off_is_recorded_and_visible)
{
	const struct kv_features *f = kv_features_get();
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	static char out[1 << 16];
	char want[128];
	pid_t s;
	int rc;

	if (!need_pidns())
		return;
	s = sleeper();
	if (!ASSERT_GE(s, 1, "sleeper"))
		return;
	rc = kv_sh(out, sizeof(out), RUN " --pid-namespace=off -- " AGENT " ppid kill=%d stat-proc=%d "
		   "2>/dev/null", b, t, b, (int)s, (int)s);
	ASSERT_EQ(rc, 0, "exit_status");
	ASSERT_FALSE(strstr(out, "ppid 1\n"), "parent_is_run");
	snprintf(want, sizeof(want), "stat-proc=%d OK", (int)s);
	ASSERT_HAS_SUBSTR(out, want, "outside_visible");
	if (f->bpf_lsm.ok || f->landlock_abi >= 6) {
		snprintf(want, sizeof(want), "kill=%d EPERM", (int)s);
		ASSERT_HAS_SUBSTR(out, want, "kill_refused_by_the_layer_below");
		ASSERT_TRUE(alive(s), "sleeper_alive");
	}
	stop(s);
	genesis_rows(out, sizeof(out), t);
	ASSERT_HAS_SUBSTR(out, "\"pid_namespace\":{\"detail\":\"--pid-namespace=off\",\"mode\":\"none\"}",
			  "genesis_says_none");
	ASSERT_HAS_SUBSTR(out, "no PID namespace", "genesis_process_limit");
}

/* The init cannot be traced, read or talked into anything: a signal from
 * inside the session to pid 1 is not passed on to the agent (it would die
 * of SIGTERM: exit 143, not 7). */
KV_TEST(init_is_no_way_around)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	static char out[1 << 16];
	int rc;

	if (!need_pidns() || !allow_ptrace(t))
		return;
	rc = kv_sh(out, sizeof(out), "cd %s && " RUN " -- " AGENT " ptrace=1 read=/proc/1/environ "
		   "kill=1 sleep-ms=300 ppid exit7 2>/dev/null", t, b, t, b);
	ASSERT_EQ(rc, 7, "agent_not_signalled_through_the_init");
	ASSERT_HAS_SUBSTR(out, "ptrace=1 EPERM", "init_not_traceable");
	ASSERT_FALSE(strstr(out, "read=/proc/1/environ OK"), "init_environ_unreadable");
	ASSERT_HAS_SUBSTR(out, "ppid 1\n", "init_still_there");
}

/* Expected `run` exit codes through the init, as data. */
static const struct {
	const char *args;
	int rc;
} exit_cases[] = {
	{ "exit7", 7 },
	{ "kill-self", 128 + 9 },
	{ "signal-child exit7", 7 },
};

KV_TEST(exit_codes_through_the_init)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	static char out[1 << 16];
	size_t i;

	if (!need_pidns())
		return;
	for (i = 0; i < sizeof(exit_cases) / sizeof(exit_cases[0]); i++)
		ASSERT_EQ(kv_sh(NULL, 0, RUN " -- " AGENT " %s >/dev/null 2>&1", b, t, b,
				exit_cases[i].args),
			  exit_cases[i].rc, exit_cases[i].args);
	/* the agent's own status is sealed, not the init's */
	kv_sh(out, sizeof(out), "grep -h SESSION_END %s/state/sessions/ks-*.jsonl", t);
	ASSERT_HAS_SUBSTR(out, "\"exit_status\":137", "killed_sealed");
	ASSERT_HAS_SUBSTR(out, "\"signal\":9", "signal_sealed");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* SIGTERM, SIGINT, SIGHUP to `run` reach the agent (default dispositions:
 * it dies of them) well before its 20 s sleep ends. */
KV_TEST(signals_to_run_reach_the_agent)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	char kv[PATH_MAX], agent[PATH_MAX], state[PATH_MAX + 8], line[128];
	size_t i;

	if (!need_pidns())
		return;
	snprintf(kv, sizeof(kv), "%s/kavachos", b);
	snprintf(agent, sizeof(agent), "%s/tests/helpers/agent_violate", b);
	snprintf(state, sizeof(state), "--state-dir=%s/state", t);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int p[2], st = 0;
		double t0;
		FILE *f;
		pid_t run;

		if (!ASSERT_OK(pipe(p), "pipe"))
			return;
		run = fork();
		if (run == 0) {
			sigset_t none;

			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			dup2(p[1], 1);
			close(p[0]);
			close(p[1]);
			execl(kv, "kavachos", "run", "--no-default-net", state, "--trust-mask=0xFF",
			      "--", agent, "sleep-ms=1", "sleep-ms=20000", (char *)NULL);
			_exit(127);
		}
		close(p[1]);
		f = fdopen(p[0], "r");
		/* the agent runs once it has printed */
		if (!ASSERT_OK_PTR(f, "fdopen") ||
		    !ASSERT_OK_PTR(fgets(line, sizeof(line), f), "agent_started")) {
			stop(run);
			return;
		}
		t0 = now();
		kill(run, sigs[i]);
		waitpid(run, &st, 0);
		fclose(f);
		ASSERT_TRUE(WIFEXITED(st), strsignal(sigs[i]));
		ASSERT_EQ(WEXITSTATUS(st), 128 + sigs[i], strsignal(sigs[i]));
		ASSERT_LT(now() - t0, 10.0, "promptly");
	}
}

/* Ctrl-C on the terminal: the line discipline signals the foreground
 * process group (run, the init, the agent); the agent dies of it and run
 * says so, whatever the init passes on or not. */
KV_TEST(ctrl_c_on_a_terminal)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	char kv[PATH_MAX], agent[PATH_MAX], state[PATH_MAX + 8], buf[4096];
	size_t have = 0;
	int m, st = 0;
	double t0;
	pid_t run;

	if (!need_pidns())
		return;
	snprintf(kv, sizeof(kv), "%s/kavachos", b);
	snprintf(agent, sizeof(agent), "%s/tests/helpers/agent_violate", b);
	snprintf(state, sizeof(state), "--state-dir=%s/state", t);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (!ASSERT_GE(m, 0, "openpt") || !ASSERT_OK(grantpt(m), "grantpt") ||
	    !ASSERT_OK(unlockpt(m), "unlockpt"))
		return;
	run = fork();
	if (run == 0) {
		/* a session whose controlling terminal is the pty: its process
		 * group is the terminal's foreground one */
		int s;

		setsid();
		s = open(ptsname(m), O_RDWR);
		if (s < 0)
			_exit(126);
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		close(m);
		signal(SIGINT, SIG_DFL);
		execl(kv, "kavachos", "run", "--no-default-net", state, "--trust-mask=0xFF", "--",
		      agent, "sleep-ms=1", "sleep-ms=20000", (char *)NULL);
		_exit(127);
	}
	/* the agent runs once it has printed */
	buf[0] = 0;
	while (have < sizeof(buf) - 1 && !strstr(buf, "sleep-ms=1 OK")) {
		ssize_t n = read(m, buf + have, sizeof(buf) - 1 - have);

		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
	}
	if (!ASSERT_HAS_SUBSTR(buf, "sleep-ms=1 OK", "agent_started")) {
		stop(run);
		close(m);
		return;
	}
	t0 = now();
	ASSERT_EQ(write(m, "\x03", 1), 1, "ctrl_c");
	waitpid(run, &st, 0);
	close(m);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGINT, "run_says_sigint");
	ASSERT_LT(now() - t0, 10.0, "promptly");
}

/* Strict exec names the agent's own process, which is not run's child
 * now but the init's: its launch passes (BPF-LSM's launch tgid, or the
 * notify supervisor's launch approval), its next exec does not. */
KV_TEST(strict_exec_names_the_agent)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	static char out[1 << 16];

	if (!need_pidns())
		return;
	ASSERT_EQ(kv_sh(out, sizeof(out), RUN " --strict-exec -- /bin/sh -c '/bin/true; echo true=$?' "
			"2>&1", b, t), 0, "launch_passes");
	ASSERT_HAS_SUBSTR(out, "true=126", "second_exec_refused");
}

/* Processes whose command line has an argument equal to arg (read here,
 * not by a shell whose own command line would match). */
static int count_cmdline(const char *arg)
{
	struct dirent *d;
	DIR *dir = opendir("/proc");
	int n = 0;

	while (dir && (d = readdir(dir))) {
		char path[300], buf[4096];
		ssize_t len, o;
		FILE *f;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = (ssize_t)fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len > 0 ? len : 0] = 0;
		for (o = 0; o < len; o += (ssize_t)strlen(buf + o) + 1)
			if (!strcmp(buf + o, arg))
				n++;
	}
	if (dir)
		closedir(dir);
	return n;
}

/* What the agent leaves behind: orphans are reaped while it runs (no
 * zombies under the init), and killed when it exits — `run` returns then,
 * as without a namespace (documented in README: the session is the
 * agent's lifetime). Both modes, as data. */
KV_TEST(orphans_reaped_then_killed_with_the_agent)
{
	static const char *const modes[] = { "auto", "off" };
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	static char out[1 << 16];
	char token[64];
	double t0;
	size_t i;

	if (!need_pidns())
		return;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		/* unique per run: the orphan is a fork of the agent, same argv */
		snprintf(token, sizeof(token), "orphan-ms=%d", 40000 + (int)getpid() % 1000 + (int)i);
		t0 = now();
		ASSERT_EQ(kv_sh(out, sizeof(out), RUN " --pid-namespace=%s -- " AGENT
				" orphan-ms=10 sleep-ms=300 zombies %s exit7 2>/dev/null",
				b, t, modes[i], b, token),
			  7, modes[i]);
		ASSERT_LT(now() - t0, 20.0, "run_returns_with_the_agent");
		if (!strcmp(modes[i], "auto"))
			ASSERT_HAS_SUBSTR(out, "zombies 0\n", "orphan_reaped_by_the_init");
		ASSERT_EQ(count_cmdline(token), 0, "orphan_killed_at_the_end");
	}
}

KV_TEST(status_reports_the_mechanism)
{
	const char *b = kvtest_build_dir();
	static char out[1 << 16];
	struct json_object *o, *x, *y = NULL;
	const struct kv_features *f;

	if (geteuid()) {
		test__skip("needs root");
		return;
	}
	f = kv_features_get();
	if (!ASSERT_EQ(kv_sh(out, sizeof(out), KV " status --json", b), 0, "status"))
		return;
	o = json_tokener_parse(out);
	if (!ASSERT_OK_PTR(o, "json"))
		return;
	if (ASSERT_TRUE(json_object_object_get_ex(o, "pid_namespace_sessions", &x), "sessions")) {
		ASSERT_TRUE(json_object_object_get_ex(x, "embedded", &y), "embedded");
		ASSERT_STREQ(json_object_get_string(y), f->pidns.ok ? "own" : "none", "embedded_mode");
		ASSERT_TRUE(json_object_object_get_ex(x, "daemon_unprivileged_client", &y), "daemon");
		ASSERT_STREQ(json_object_get_string(y), f->pidns_userns.ok ? "user_namespace" : "none",
			     "daemon_mode");
	}
	if (ASSERT_TRUE(json_object_object_get_ex(o, "enforcement", &x) &&
				json_object_object_get_ex(x, "process", &x) &&
				json_object_object_get_ex(x, "mechanism", &y),
			"process_row")) {
		if (f->pidns.ok)
			ASSERT_HAS_SUBSTR(json_object_get_string(y), "own PID namespace", "pidns_named");
		if (f->bpf_lsm.ok)
			ASSERT_HAS_SUBSTR(json_object_get_string(y), "bpf-lsm ptrace_access_check",
					  "lsm_named");
	}
	printf("  process: %s\n", y ? json_object_get_string(y) : "?");
	json_object_put(o);
}
