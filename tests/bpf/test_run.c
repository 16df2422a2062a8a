// SPDX-License-Identifier: BSD-2-Clause
/* `kavachos run` end to end: the agent's forbidden syscall and NOTIFY call
 * are refused by the kernel, the events reach the receipt chain, audit is
 * CLEAN; exit codes mean what the README says. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/types.h>
#include "fixture.h"
#include "kvtest.h"
#include "features/features.h"
#include "session/cgroup.h"

#define KV "%s/kavachos"
#define AGENT "%s/tests/helpers/agent_violate"

KV_TEST(violations_refused_sealed_and_audited)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	static char out[1 << 20];
	int rc;

	if (geteuid()) {
		test__skip("needs root");
		return;
	}
	rc = kv_sh(out, sizeof(out), KV " run --no-default-net --state-dir=%s/state --trust-mask=0xFF -- " AGENT
		" acct ptrace exit7 2>/dev/null", b, t, b);
	ASSERT_EQ(rc, 7, "agent_exit_status");
	ASSERT_HAS_SUBSTR(out, "acct EPERM", "acct_refused");
	ASSERT_HAS_SUBSTR(out, "ptrace EPERM", "ptrace_refused");
	rc = kv_sh(out, sizeof(out), KV " audit --all --json --state-dir=%s/state", b, t);
	ASSERT_EQ(rc, 0, "audit_clean");
	ASSERT_HAS_SUBSTR(out, "\"CLEAN\"", "verdict");
	rc = kv_sh(out, sizeof(out), "cat %s/state/sessions/ks-*.jsonl", t);
	ASSERT_HAS_SUBSTR(out, "\"type\":\"SECCOMP_BLOCK\"", "seccomp_receipt");
	ASSERT_HAS_SUBSTR(out, "\"syscall\":\"acct\"", "seccomp_receipt_names_acct");
	ASSERT_HAS_SUBSTR(out, "\"type\":\"NOTIFY_DECISION\"", "notify_receipt");
	ASSERT_HAS_SUBSTR(out, "\"syscall\":\"ptrace\"", "notify_receipt_names_ptrace");
	ASSERT_HAS_SUBSTR(out, "\"type\":\"GATE_TRANSITION\"", "gate_receipt");
	ASSERT_HAS_SUBSTR(out, "\"type\":\"SESSION_END\"", "end_receipt");
}

/* Expected exit codes as data; "@" stands for the test agent's path. */
static const struct {
	const char *args;
	int rc;
} exit_cases[] = {
	{ "--trust-mask=0xFFFF -- @ kill-self", 128 + 9 }, /* swarm bit: kill */
	{ "--trust-mask=0x1000000 -- /bin/true", 2 }, /* reserved bit */
	{ "--trust-mask=banana -- /bin/true", 2 },
	{ "--domain=moon -- /bin/true", 2 },
	{ "--depth=0 -- /bin/true", 2 },
	{ "--allow-net=300.1.2.3 -- /bin/true", 2 },
	{ "-- /nonexistent/agent", 127 },
	{ "--trust-mask=0xFF -- /bin/true", 0 },
};

KV_TEST(exit_codes)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	char args[1024], agent[512];
	const char *at;
	size_t i;

	if (geteuid()) {
		test__skip("needs root");
		return;
	}
	snprintf(agent, sizeof(agent), AGENT, b);
	for (i = 0; i < sizeof(exit_cases) / sizeof(exit_cases[0]); i++) {
		at = strchr(exit_cases[i].args, '@');
		if (at)
			snprintf(args, sizeof(args), "%.*s%s%s", (int)(at - exit_cases[i].args),
				 exit_cases[i].args, agent, at + 1);
		else
			snprintf(args, sizeof(args), "%s", exit_cases[i].args);
		ASSERT_EQ(kv_sh(NULL, 0, KV " run --no-default-net --state-dir=%s/state %s 2>/dev/null", b, t, args),
			  exit_cases[i].rc, exit_cases[i].args);
	}
}

/* The id of the (one) session under agents, once it exists. */
static bool session_in(const char *agents, char *sid, size_t len)
{
	if (kv_sh(sid, len, "ls %s 2>/dev/null | grep -o '^ks-.*' | head -1", agents))
		sid[0] = 0;
	sid[strcspn(sid, "\n")] = 0;
	return sid[0] != 0;
}

/* LOCKED freezes the session's cgroup; `kavachos release` (root, with a
 * reason) thaws it, the agent completes, and the chain has it all. */
KV_TEST(lock_freezes_release_thaws)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	static char out[1 << 20];
	char cmd[2048], cg[PATH_MAX + 256] = "", sid[128] = "", root[PATH_MAX];
	char agents[PATH_MAX + 64];
	int rc, i, frozen = 0, releases;
	FILE *run;

	if (geteuid()) {
		test__skip("needs root");
		return;
	}
	/* our own agents' cgroup: the session is the one directory in it */
	if (!ASSERT_OK(kv_cgroup2_root(root, sizeof(root)), "cgroup2"))
		return;
	snprintf(agents, sizeof(agents), "%s/kavachos-test-%d", root, (int)getpid());
	snprintf(cmd, sizeof(cmd), "timeout 60 " KV " run --no-default-net --state-dir=%s/state --cgroup=%s "
		 "--trust-mask=0xFF -- " AGENT " acct*12 sleep-ms=1500 exit7 2>&1", b, t, agents, b);
	run = popen(cmd, "r");
	if (!ASSERT_OK_PTR(run, "popen"))
		return;
	/* wait for the freeze: the session's cgroup says frozen 1 */
	for (i = 0; i < 500 && !frozen; i++) {
		usleep(20000);
		if (sid[0] || session_in(agents, sid, sizeof(sid))) {
			snprintf(cg, sizeof(cg), "%s/%s", agents, sid);
			frozen = kv_cgroup_frozen(cg) == 1;
		}
	}
	ASSERT_TRUE(frozen, "frozen");
	ASSERT_EQ(kv_sh(NULL, 0, KV " release %s 2>/dev/null", b, sid), 2, "reason_required");
	/* the freeze may land before the agent's burst is over: the rest of it
	 * locks the session again, and a human releases it again */
	for (releases = 0; frozen && releases < 5; releases++) {
		ASSERT_EQ(kv_sh(out, sizeof(out), KV " release %s --reason=test", b, sid), 0, "release");
		ASSERT_HAS_SUBSTR(out, "LOCKED -> OPEN", "release_output");
		frozen = 0;
		for (i = 0; i < 100 && !frozen && kv_cgroup_populated(cg) == 1; i++) {
			usleep(20000);
			frozen = kv_cgroup_frozen(cg) == 1;
		}
	}
	while (fread(out, 1, sizeof(out), run) > 0)
		; /* drain: run writes its summary after the agent ends */
	rc = pclose(run);
	rmdir(agents);
	ASSERT_EQ(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 7, "agent_completed");
	ASSERT_EQ(kv_sh(out, sizeof(out), KV " audit --all --state-dir=%s/state", b, t), 0, "audit_clean");
	kv_sh(out, sizeof(out), "cat %s/state/sessions/ks-*.jsonl", t);
	ASSERT_HAS_SUBSTR(out, "\"to\":\"LOCKED\"", "locked_receipt");
	ASSERT_HAS_SUBSTR(out, "\"frozen\":true", "frozen_sealed");
	ASSERT_HAS_SUBSTR(out, "\"type\":\"RELEASE\"", "release_receipt");
	ASSERT_HAS_SUBSTR(out, "\"reason\":\"test\"", "release_reason");
}

/* The agent's DNS goes to its session's stub (its own resolv.conf, in its
 * own mount namespace); a name outside the policy is refused and sealed,
 * and the host's resolv.conf is untouched. */
KV_TEST(dns_through_the_session_stub)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	static char out[1 << 20];
	char host_before[4096] = "", host_after[4096] = "";
	int rc;

	if (geteuid()) {
		test__skip("needs root");
		return;
	}
	kv_sh(host_before, sizeof(host_before), "cat /etc/resolv.conf");
	rc = kv_sh(out, sizeof(out), KV " run --no-default-net --state-dir=%s/state --trust-mask=0xFF -- "
		"/bin/sh -c 'grep nameserver /etc/resolv.conf; getent hosts not-allowed.example; "
		"echo getent=$?' 2>&1", b, t);
	ASSERT_EQ(rc, 0, "run");
	ASSERT_HAS_SUBSTR(out, "nameserver 127.77.", "resolv_conf_points_at_stub");
	ASSERT_HAS_SUBSTR(out, "getent=2", "name_refused");
	kv_sh(host_after, sizeof(host_after), "cat /etc/resolv.conf");
	ASSERT_STREQ(host_after, host_before, "host_resolv_conf_untouched");
	kv_sh(out, sizeof(out), "cat %s/state/sessions/ks-*.jsonl", t);
	ASSERT_HAS_SUBSTR(out, "\"type\":\"DNS_REFUSED\"", "refusal_sealed");
	ASSERT_HAS_SUBSTR(out, "not-allowed.example", "name_in_receipt");
	ASSERT_EQ(kv_sh(NULL, 0, KV " audit --all --state-dir=%s/state", b, t), 0, "audit_clean");
}

/* Writes DIR/.kavachos.json (the config `run` finds from its cwd). */
static bool write_config(const char *dir, const char *json)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/.kavachos.json", dir);
	f = fopen(path, "w");
	if (!ASSERT_OK_PTR(f, "config"))
		return false;
	fputs(json, f);
	return ASSERT_OK(fclose(f), "config_written");
}

/* A flood of violations: the kernel's count stays exact, what the rate
 * limiter held back is sealed as EVENTS_LOST, and audit reconciles it. */
KV_TEST(flood_exact_and_reconciled)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	static char out[1 << 20];

	if (geteuid()) {
		test__skip("needs root");
		return;
	}
	/* thresholds out of reach: the flood must run to its end */
	if (!write_config(t, "{\"version\": 1, \"gate\": {\"throttle\": 1000000, \"crack\": 1000000, "
			     "\"lock\": 1000000, \"burst\": 1000000}}\n"))
		return;
	ASSERT_EQ(kv_sh(NULL, 0, "cd %s && " KV " run --no-default-net --state-dir=%s/state "
			"--trust-mask=0xFF -- " AGENT " acct*200000 >/dev/null 2>&1", t, b, t, b),
		  0, "run");
	ASSERT_EQ(kv_sh(out, sizeof(out), KV " audit --all --state-dir=%s/state 2>&1", b, t), 0,
		  "audit_clean");
	ASSERT_HAS_SUBSTR(out, "EVENTS_LOST", "loss_sealed");
	kv_sh(out, sizeof(out), "grep -h SESSION_END %s/state/sessions/ks-*.jsonl", t);
	ASSERT_HAS_SUBSTR(out, "\"syscall\":200000", "kernel_count_exact");
}

/* .kavachos.json exec.allow: only the listed binaries (and the agent) may
 * be executed — BPF-LSM's bprm_check where it loads, Landlock's EXECUTE
 * right elsewhere; either way the shell sees its exec refused. */
KV_TEST(exec_allowlist_from_config)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	static char out[1 << 20];

	if (geteuid()) {
		test__skip("needs root");
		return;
	}
	if (!write_config(t, "{\"version\": 1, \"exec\": {\"allow\": [\"/usr/bin/echo\"]}, "
			     "\"egress\": {\"essential\": [\"127.0.0.2:8080\"], "
			     "\"allow\": [\"127.0.0.2:8080\"]}}\n"))
		return;
	ASSERT_EQ(kv_sh(out, sizeof(out), "cd %s && " KV " run --no-default-net --state-dir=%s/state "
			"--trust-mask=0xFF -- /bin/sh -c '/usr/bin/echo allowed-ran; /usr/bin/true; "
			"echo true=$?' 2>&1", t, b, t), 0, "run");
	ASSERT_HAS_SUBSTR(out, "allowed-ran", "listed_binary_runs");
	ASSERT_HAS_SUBSTR(out, "true=126", "unlisted_binary_refused");
	ASSERT_EQ(kv_sh(out, sizeof(out), "%s/kavachos egress show --help >/dev/null; cat %s/state/sessions/ks-*.jsonl",
			b, t), 0, "receipts");
	ASSERT_HAS_SUBSTR(out, "\"policy_sha256\"", "genesis_has_files_policy_hash");
	ASSERT_HAS_SUBSTR(out, "/usr/bin/echo", "genesis_names_the_allowlist");
}

/* A file refusal reaches the chain whichever mechanism made it: BPF-LSM's
 * LSM_DENY where it loads; where Landlock holds the file rules, the
 * refused call seen at its return (FILE_REFUSED: Landlock or the file's
 * permissions, which the kernel does not tell apart there). */
KV_TEST(file_refusals_sealed)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	static char out[1 << 20];
	char cfg[4096], outside[128], ws[4096];
	bool lsm = kv_features_get()->bpf_lsm.ok;

	if (geteuid()) {
		test__skip("needs root");
		return;
	}
	snprintf(outside, sizeof(outside), "/var/tmp/kv-refused-%d", (int)getpid());
	snprintf(cfg, sizeof(cfg), "{\"version\": 1, \"files\": {\"deny\": [\"%s/vault\"]}}\n", t);
	/* the workspace is ws/: the vault beside it (Landlock cannot deny
	 * anything beneath a write root) */
	if (!ASSERT_OK(kv_sh(NULL, 0, "mkdir -p %s/ws %s/vault && echo s3cret > %s/vault/key", t, t, t),
		       "vault"))
		return;
	snprintf(ws, sizeof(ws), "%s/ws", t);
	if (!write_config(ws, cfg))
		return;
	ASSERT_EQ(kv_sh(out, sizeof(out), "cd %s && " KV " run --no-default-net --state-dir=%s/state "
			"--trust-mask=0xFF -- /bin/sh -c 'cat ../vault/key; echo read=$?; "
			"echo x > %s; echo write=$?' 2>&1", ws, b, t, outside), 0, "run");
	unlink(outside);
	ASSERT_FALSE(strstr(out, "s3cret") != NULL, "the secret was not read");
	ASSERT_FALSE(strstr(out, "read=0") != NULL, "read refused");
	ASSERT_FALSE(strstr(out, "write=0") != NULL, "write outside the workspace refused");
	kv_sh(out, sizeof(out), "cat %s/state/sessions/ks-*.jsonl", t);
	ASSERT_HAS_SUBSTR(out, lsm ? "\"type\":\"LSM_DENY\"" : "\"type\":\"FILE_REFUSED\"",
			  lsm ? "BPF-LSM's refusal sealed" : "Landlock's refusal sealed");
	ASSERT_HAS_SUBSTR(out, "vault/key", "the secret's path sealed");
	ASSERT_HAS_SUBSTR(out, outside + strlen("/var/tmp/"), "the refused write's path sealed");
	if (!lsm)
		ASSERT_HAS_SUBSTR(out, "\"class\":\"none\"", "not counted as a violation");
}

/* An embedded run in the background, its output discarded: the agent
 * sleeps until the test ends it. */
static pid_t start_sleeping_run(const char *agents)
{
	char kv[PATH_MAX], sd[PATH_MAX + 16], cg[PATH_MAX + 16];
	pid_t pid;
	int null;

	snprintf(kv, sizeof(kv), "%s/kavachos", kvtest_build_dir());
	snprintf(sd, sizeof(sd), "--state-dir=%s/state", kvtest_tmpdir());
	snprintf(cg, sizeof(cg), "--cgroup=%s", agents);
	pid = fork();
	if (pid == 0) {
		null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		execl(kv, kv, "run", "--no-default-net", sd, cg, "--", "/bin/sleep", "60", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The pin directory of the one session under agents, once its maps are
 * pinned; false after ~20 s. */
static bool session_pins(const char *agents, char *pins, size_t len)
{
	char sid[128];
	int i;

	for (i = 0; i < 1000; i++) {
		if (session_in(agents, sid, sizeof(sid))) {
			snprintf(pins, len, "%s/%s", KV_PIN_DIR_RUNS, sid);
			if (kv_sh(NULL, 0, "test -e %s/kv_sessions", pins) == 0)
				return true;
		}
		usleep(20000);
	}
	return false;
}

/* A run killed with SIGKILL cannot unpin its maps; the next run removes
 * them (no loaded program uses them any more) and leaves a live run's. */
KV_TEST(killed_run_pins_swept)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	char root[PATH_MAX], live[PATH_MAX + 64], dead[PATH_MAX + 64], next[PATH_MAX + 64];
	char live_pins[PATH_MAX], dead_pins[PATH_MAX];
	static char out[1 << 16];
	pid_t live_pid, dead_pid;
	int i;

	if (geteuid()) {
		test__skip("needs root");
		return;
	}
	if (!ASSERT_OK(kv_cgroup2_root(root, sizeof(root)), "cgroup2"))
		return;
	snprintf(live, sizeof(live), "%s/kavachos-test-live-%d", root, (int)getpid());
	snprintf(dead, sizeof(dead), "%s/kavachos-test-dead-%d", root, (int)getpid());
	snprintf(next, sizeof(next), "%s/kavachos-test-next-%d", root, (int)getpid());
	live_pid = start_sleeping_run(live);
	dead_pid = start_sleeping_run(dead);
	if (!ASSERT_GE(live_pid, 1, "fork") || !ASSERT_GE(dead_pid, 1, "fork"))
		goto out;
	if (!ASSERT_TRUE(session_pins(live, live_pins, sizeof(live_pins)), "live run pinned") ||
	    !ASSERT_TRUE(session_pins(dead, dead_pins, sizeof(dead_pins)), "killed run pinned"))
		goto out;
	kill(dead_pid, SIGKILL);
	waitpid(dead_pid, NULL, 0);
	dead_pid = 0;
	ASSERT_OK(kv_sh(NULL, 0, "test -d %s", dead_pins), "a killed run leaves its pins");
	/* the kernel releases a dead process's links and programs a moment
	 * after it is reaped (deferred work); until then its maps are in use
	 * and the sweep rightly leaves them */
	ASSERT_OK(kv_sh(NULL, 0, "id=$(bpftool map show pinned %s/kv_sessions | cut -d: -f1 | head -1); "
			"for i in $(seq 250); do bpftool prog show | grep -Eq \"map_ids.*\\b$id\\b\" || "
			"exit 0; sleep 0.02; done; exit 1", dead_pins),
		  "the killed run's programs released");
	ASSERT_EQ(kv_sh(out, sizeof(out), KV " run --no-default-net --state-dir=%s/state --cgroup=%s "
			"-- /bin/true 2>&1", b, t, next), 0, "next run");
	ASSERT_HAS_SUBSTR(out, "removed the pinned maps of", "the sweep says so");
	ASSERT_NEQ(kv_sh(NULL, 0, "test -e %s", dead_pins), 0, "the killed run's pins removed");
	ASSERT_OK(kv_sh(NULL, 0, "test -e %s/kv_sessions", live_pins), "the live run's pins kept");
	kill(live_pid, SIGTERM);
	waitpid(live_pid, NULL, 0);
	live_pid = 0;
	ASSERT_NEQ(kv_sh(NULL, 0, "test -e %s", live_pins), 0, "a run that ends unpins");
out:
	if (live_pid > 0) {
		kill(live_pid, SIGKILL);
		waitpid(live_pid, NULL, 0);
	}
	if (dead_pid > 0) {
		kill(dead_pid, SIGKILL);
		waitpid(dead_pid, NULL, 0);
	}
	/* what the killed run left: its agent (if its init did not take it
	 * along) and its session cgroup */
	for (i = 0; i < 3; i++) {
		kv_sh(NULL, 0, "for c in %s/ks-* %s/ks-* %s/ks-*; do [ -e $c/cgroup.kill ] && "
		      "echo 1 > $c/cgroup.kill; done 2>/dev/null; sleep 0.2; "
		      "rmdir %s/ks-* %s/ks-* %s/ks-* 2>/dev/null; rmdir %s %s %s 2>/dev/null",
		      live, dead, next, live, dead, next, live, dead, next);
	}
	kv_sh(NULL, 0, "rm -rf %s", dead_pins);
}
