// SPDX-License-Identifier: BSD-2-Clause
/* Falco's alerts about a session reach its receipt chain: recorded alert
 * lines (Falco's real JSON output) appended to the file `run
 * --falco-alerts` follows are sealed as FALCO_ALERT, counted by the kernel
 * as "falco" violations (audit reconciles them), a burst seals
 * RATE_EXCEEDED; garbage is skipped without losing the lines around it and
 * an alert for another session is sealed nowhere. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fixture.h"
#include "kvtest.h"
#include "session/cgroup.h"

/* One alert in Falco's JSON output format (as tests/data/falco/alerts). */
static void alert(FILE *f, const char *sid, int sec)
{
	fprintf(f, "{\"hostname\":\"build-07\",\"output\":\"10:15:%02d.000000001: Critical Credential or "
		   "private key read inside a KavachOS session | file=/root/.ssh/id_rsa session=%s\","
		   "\"priority\":\"Critical\",\"rule\":\"KavachOS credential file read by agent\","
		   "\"source\":\"syscall\",\"tags\":[\"T1552.004\",\"kavachos\"],"
		   "\"time\":\"2026-11-26T10:15:%02d.000000001Z\",\"output_fields\":{"
		   "\"fd.name\":\"/root/.ssh/id_rsa\",\"proc.env[KAVACHOS_SESSION_ID]\":\"%s\","
		   "\"proc.pid\":4242,\"evt.type\":\"openat\"}}\n", sec, sid, sec, sid);
}

KV_TEST(alerts_sealed_counted_rate_limited)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	char root[PATH_MAX], agents[PATH_MAX + 64], alerts[PATH_MAX], sid[128] = "", out[65536];
	char cmd[4096];
	FILE *run, *f;
	int i, rc;

	if (geteuid()) {
		test__skip("needs root");
		return;
	}
	if (!ASSERT_OK(kv_cgroup2_root(root, sizeof(root)), "cgroup2"))
		return;
	snprintf(agents, sizeof(agents), "%s/kvtest-falco-%d", root, (int)getpid());
	snprintf(alerts, sizeof(alerts), "%s/alerts.jsonl", t);
	f = fopen(alerts, "w");
	if (!ASSERT_OK_PTR(f, "alerts_file"))
		return;
	fclose(f);
	/* thresholds high enough that six alerts do not lock the session */
	snprintf(cmd, sizeof(cmd), "%s/.kavachos.json", t);
	f = fopen(cmd, "w");
	if (!ASSERT_OK_PTR(f, "config"))
		return;
	fputs("{\"version\": 1, \"gate\": {\"throttle\": 50, \"crack\": 60, \"lock\": 100, \"burst\": 50}}\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && timeout 60 %s/kavachos run --no-default-net --state-dir=%s/state --cgroup=%s "
		 "--trust-mask=0xFF --falco --falco-alerts=%s -- %s/tests/helpers/agent_violate "
		 "sleep-ms=2500 2>&1", t, b, t, agents, alerts, b);
	run = popen(cmd, "r");
	if (!ASSERT_OK_PTR(run, "run"))
		return;
	for (i = 0; i < 250 && !sid[0]; i++) {
		usleep(20000);
		if (kv_sh(sid, sizeof(sid), "ls %s 2>/dev/null | grep -o '^ks-.*' | head -1", agents) == 0)
			sid[strcspn(sid, "\n")] = 0;
	}
	if (!ASSERT_TRUE(sid[0], "session_started"))
		goto out;
	f = fopen(alerts, "a");
	if (!ASSERT_OK_PTR(f, "append"))
		goto out;
	for (i = 0; i < 3; i++)
		alert(f, sid, i);
	fputs("Wed Nov 26 10:15:03 2026: Falco internal: syscall event drop. 3 system calls dropped\n", f);
	fputs("{\"rule\": \"truncated\", \"output\n", f);
	alert(f, "ks-20990101T000000Z-deadbeef", 4); /* someone else's session */
	for (i = 5; i < 8; i++)
		alert(f, sid, i);
	fclose(f);
	while (fread(out, 1, sizeof(out), run) > 0)
		;
	rc = pclose(run);
	ASSERT_EQ(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 0, "run_status");

	rc = kv_sh(out, sizeof(out), "%s/kavachos audit --all --state-dir=%s/state 2>&1", b, t);
	ASSERT_EQ(rc, 0, "audit_clean");
	ASSERT_HAS_SUBSTR(out, "FALCO_ALERT 6", "six_sealed");
	ASSERT_HAS_SUBSTR(out, "RATE_EXCEEDED 1", "burst_sealed");
	ASSERT_HAS_SUBSTR(out, "falco 6/6", "kernel_counted_and_reconciled");
	kv_sh(out, sizeof(out), "cat %s/state/sessions/*.jsonl", t);
	ASSERT_HAS_SUBSTR(out, "\"rule\":\"KavachOS credential file read by agent\"", "rule_sealed");
	ASSERT_FALSE(strstr(out, "deadbeef"), "other_session_not_sealed");
	ASSERT_EQ(kv_sh(NULL, 0, "test -s %s/state/falco/%s.yaml", t, sid), 0, "rules_written");
	ASSERT_EQ(kv_sh(NULL, 0, "%s/kavachos rules --validate %s/state/falco/%s.yaml >/dev/null 2>&1",
		      b, t, sid), 0, "rules_validate");
out:
	rmdir(agents);
}

/* Where a falco binary is installed, `run --falco` starts it with the
 * session's rules and JSON output into a file the session seals. Falco is
 * not packaged for Debian 12: a stand-in on PATH plays its part of the
 * contract (the options it is given, the alert line it writes). */
KV_TEST(run_falco_starts_falco_and_seals_its_alerts)
{
	const char *b = kvtest_build_dir(), *t = kvtest_tmpdir();
	static char out[1 << 20];
	char path[PATH_MAX];
	FILE *f;

	if (geteuid()) {
		test__skip("needs root");
		return;
	}
	snprintf(path, sizeof(path), "%s/bin", t);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/bin/falco", t);
	f = fopen(path, "w");
	if (!ASSERT_OK_PTR(f, "fake_falco"))
		return;
	fprintf(f, "#!/bin/sh\n"
		   "echo \"$@\" > %s/falco.args\n"
		   "rules=; out=\n"
		   "while [ $# -gt 0 ]; do case $1 in -r) rules=$2; shift 2;;\n"
		   "  -o) case $2 in file_output.filename=*) out=${2#*=};; esac; shift 2;;\n"
		   "  *) shift;; esac; done\n"
		   "sid=$(basename \"$rules\" .yaml)\n"
		   "printf '{\"hostname\":\"h\",\"output\":\"x session=%%s\",\"priority\":\"Warning\","
		   "\"rule\":\"KavachOS interactive shell spawned by agent\",\"source\":\"syscall\","
		   "\"tags\":[\"kavachos\"],\"time\":\"2026-11-26T10:00:00.000000000Z\","
		   "\"output_fields\":{\"proc.env[KAVACHOS_SESSION_ID]\":\"%%s\",\"proc.pid\":1}}\\n' "
		   "\"$sid\" \"$sid\" >> \"$out\"\n"
		   "trap 'exit 0' TERM; while :; do sleep 0.05; done\n", t);
	fclose(f);
	chmod(path, 0755);
	ASSERT_EQ(kv_sh(out, sizeof(out), "cd %s && PATH=%s/bin:$PATH %s/kavachos run --no-default-net "
			"--state-dir=%s/state --trust-mask=0xFF --falco -- %s/tests/helpers/agent_violate "
			"sleep-ms=800 2>&1", t, t, b, t, b), 0, "run");
	ASSERT_HAS_SUBSTR(out, "watches this session", "falco_started");
	kv_sh(out, sizeof(out), "cat %s/falco.args", t);
	ASSERT_HAS_SUBSTR(out, "json_output=true", "json_output");
	ASSERT_HAS_SUBSTR(out, "-r ", "rules_given");
	ASSERT_EQ(kv_sh(out, sizeof(out), "%s/kavachos audit --all --state-dir=%s/state 2>&1", b, t), 0,
		  "audit_clean");
	ASSERT_HAS_SUBSTR(out, "FALCO_ALERT 1", "alert_sealed");
}
