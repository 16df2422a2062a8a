// SPDX-License-Identifier: BSD-2-Clause
/* kavachos-load: attaches once, pins with BTF, serves sessions to
 * unprivileged users, keeps enforcing after kill -9, adopts its pins on
 * restart without attaching twice, refuses bad configuration by key. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fixture.h"
#include "kvtest.h"
#include "daemon/control.h"
#include "features/features.h"
#include "session/cgroup.h"
#include "daemon/agent_pid.h"

struct daemon {
	char dir[PATH_MAX], conf[PATH_MAX + 16], sock[PATH_MAX + 16], pins[128], cg[64];
	char state[PATH_MAX + 16], log[PATH_MAX + 16];
	pid_t pid;
};

/* What a test killed mid-way left (its teardown never ran): pins whose
 * test process is gone keep programs attached, the syscall tracepoint
 * among them, for the whole host. Removed before a test makes its own. */
static void sweep_stale(void)
{
	char root[PATH_MAX], cg[PATH_MAX + 80];
	glob_t g;
	size_t i;
	int pid;

	if (glob("/sys/fs/bpf/kvtest-*", 0, NULL, &g))
		return;
	for (i = 0; i < g.gl_pathc; i++) {
		if (sscanf(g.gl_pathv[i], "/sys/fs/bpf/kvtest-%d", &pid) != 1 || pid <= 0 ||
		    !kill(pid, 0) || errno != ESRCH)
			continue;
		kv_sh(NULL, 0, "rm -rf %s", g.gl_pathv[i]);
		if (!kv_cgroup2_root(root, sizeof(root))) {
			snprintf(cg, sizeof(cg), "%s/kvtest-daemon-%d", root, pid);
			kv_cgroup_remove(cg);
		}
	}
	globfree(&g);
}

static bool daemon_setup(struct daemon *d)
{
	FILE *f;

	memset(d, 0, sizeof(*d));
	if (geteuid()) {
		test__skip("needs root");
		return false;
	}
	sweep_stale();
	snprintf(d->dir, sizeof(d->dir), "%s", kvtest_tmpdir());
	chmod(d->dir, 0755); /* the unprivileged client reaches the socket */
	snprintf(d->conf, sizeof(d->conf), "%s/kavachos.conf", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/control.sock", d->dir);
	snprintf(d->state, sizeof(d->state), "%s/state", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/daemon.log", d->dir);
	snprintf(d->pins, sizeof(d->pins), "/sys/fs/bpf/kvtest-%d", (int)getpid());
	snprintf(d->cg, sizeof(d->cg), "kvtest-daemon-%d", (int)getpid());
	f = fopen(d->conf, "w");
	if (!ASSERT_OK_PTR(f, "conf"))
		return false;
	fprintf(f, "# test daemon\nstate_dir = %s\ncontrol_socket = %s\npin_dir = %s\n"
		   "control_group = nogroup\ntracepoint.linger_secs = 0\n", d->state, d->sock, d->pins);
	fclose(f);
	return true;
}

static void daemon_stop(struct daemon *d, int sig)
{
	if (d->pid > 0) {
		kill(d->pid, sig);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
}

static void daemon_teardown(struct daemon *d)
{
	char root[PATH_MAX], cg[PATH_MAX + 80];

	daemon_stop(d, SIGTERM);
	kv_sh(NULL, 0, "rm -rf %s", d->pins); /* unpinning detaches the programs */
	if (!kv_cgroup2_root(root, sizeof(root))) {
		snprintf(cg, sizeof(cg), "%s/%s", root, d->cg);
		kv_cgroup_remove(cg);
	}
}

/* fork+exec through sh so the daemon's own argv is simple to build */
static bool start(struct daemon *d)
{
	char cmd[PATH_MAX * 2];
	int i;

	snprintf(cmd, sizeof(cmd), "exec %s/kavachos-load --cgroup %s --config %s >>%s 2>&1",
		 kvtest_build_dir(), d->cg, d->conf, d->log);
	unlink(d->sock);
	d->pid = fork();
	if (d->pid == 0) {
		/* a test killed mid-way takes its daemon with it (sweep_stale
		 * then finds its pins unheld) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* up once it accepts: the socket file exists a moment before listen();
	 * loading every object takes ~10 s in the emulated VM: allow 60 */
	for (i = 0; i < 3000; i++) {
		int fd = kv_control_connect(d->sock);

		if (fd >= 0) {
			close(fd);
			return true;
		}
		usleep(20000);
	}
	return false;
}

#define KV "%s/kavachos"
#define AGENT "%s/tests/helpers/agent_violate"

KV_TEST(sessions_pins_kill9_adopt)
{
	const char *b = kvtest_build_dir();
	static char out[1 << 20];
	char root[PATH_MAX];
	struct daemon d;
	FILE *agent;
	int rc, n1, n2, i;
	bool at_seccomp = kv_count_at_seccomp(kv_features_get());

	if (!daemon_setup(&d))
		return;
	if (!ASSERT_TRUE(start(&d), "daemon_up"))
		goto out;

	/* pinned with BTF: bpftool shows named fields */
	rc = kv_sh(out, sizeof(out), "bpftool map dump pinned %s/kv_sessions; ls %s", d.pins, d.pins);
	ASSERT_EQ(rc, 0, "bpftool_dump");
	ASSERT_HAS_SUBSTR(out, "link_kv_connect4", "link_pinned");
	/* idle: nothing runs on every syscall of the host */
	ASSERT_FALSE(strstr(out, "link_kv_sys_exit"), "idle_no_syscall_tracepoint");
	/* where seccomp refusals are counted at seccomp's verdict, that hook
	 * stays attached (only filtered tasks pay) and sys_exit never comes */
	if (at_seccomp)
		ASSERT_HAS_SUBSTR(out, "link_kv_seccomp_exit", "seccomp_side_counter_pinned");

	/* an unprivileged user runs an agent through the daemon */
	rc = kv_sh(out, sizeof(out), "setpriv --reuid=nobody --regid=nogroup --clear-groups "
		 KV " run --daemon-socket=%s --trust-mask=0xFF --no-default-net -- " AGENT
		 " acct connect=127.0.0.3:9 exit7 2>&1", b, d.sock, b);
	ASSERT_EQ(rc, 7, "agent_status");
	ASSERT_HAS_SUBSTR(out, "acct EPERM", "syscall_refused");
	/* receipts.sync = group (the default): answered before the end's sync, and said so */
	ASSERT_HAS_SUBSTR(out, "being synced to disk (receipts.sync = group)", "end_not_claimed_durable");
	ASSERT_HAS_SUBSTR(out, "connect=127.0.0.3:9 EPERM", "connect_refused");
	rc = kv_sh(out, sizeof(out), KV " audit --all --state-dir=%s 2>&1", b, d.state);
	ASSERT_EQ(rc, 0, "audit_clean");
	ASSERT_HAS_SUBSTR(out, "EGRESS_DENY 1", "egress_sealed");
	ASSERT_HAS_SUBSTR(out, "SECCOMP_BLOCK 1", "seccomp_sealed");

	/* file rules reach daemon sessions too: BPF-LSM in the daemon where it
	 * loads, else the client's own Landlock (uid 0 with DAC access to /root) */
	rc = kv_sh(out, sizeof(out), "cd %s && " KV " run --daemon-socket=%s --trust-mask=0xFF "
		   "--no-default-net -- " AGENT " write=/root/kv-daemon-test-%d write=%s/ok 2>&1",
		   d.dir, b, d.sock, b, (int)getpid(), d.dir);
	ASSERT_HAS_SUBSTR(out, "EACCES", "write_outside_workspace_refused");
	ASSERT_HAS_SUBSTR(out, "/ok OK", "write_in_workspace_allowed");
	kv_sh(NULL, 0, "rm -f /root/kv-daemon-test-%d", (int)getpid());

	/* a session already running when the daemon is killed -9 stays enforced */
	snprintf(out, sizeof(out), KV " run --daemon-socket=%s --trust-mask=0xFF --no-default-net -- "
		 AGENT " sleep-ms=2000 connect=127.0.0.3:9 2>/dev/null", b, d.sock, b);
	agent = popen(out, "r");
	if (!ASSERT_OK_PTR(agent, "agent"))
		goto out;
	if (!ASSERT_OK(kv_cgroup2_root(root, sizeof(root)), "root"))
		goto out;
	/* kill the daemon only once the session is live: its cgroup holds the
	 * agent and is thawed (until its genesis is durable it stays frozen,
	 * and a client whose daemon dies then gives up) */
	for (i = 0; i < 500; i++) {
		if (kv_sh(NULL, 0, "cat %s/%s/ks-*/cgroup.procs 2>/dev/null | grep -q . && "
			  "grep -q 'frozen 0' %s/%s/ks-*/cgroup.events", root, d.cg, root, d.cg) == 0)
			break;
		usleep(20000);
	}
	ASSERT_LT(i, 500, "session_live");
	rc = kv_sh(NULL, 0, "bpftool link show pinned %s/link_kv_sys_exit >/dev/null 2>&1", d.pins);
	if (at_seccomp)
		ASSERT_NEQ(rc, 0, "no_syscall_tracepoint_while_session_live");
	else
		ASSERT_EQ(rc, 0, "syscall_tracepoint_while_session_live");
	daemon_stop(&d, SIGKILL);
	rc = (int)fread(out, 1, sizeof(out) - 1, agent);
	out[rc > 0 ? rc : 0] = 0;
	pclose(agent);
	ASSERT_HAS_SUBSTR(out, "connect=127.0.0.3:9 EPERM", "enforced_after_kill9");

	/* restart: adopts the pins, attaches nothing twice, serves again */
	n1 = kv_sh(NULL, 0, "test $(bpftool cgroup show %s/%s | grep -c kv_connect4) -eq 1", root, d.cg);
	ASSERT_EQ(n1, 0, "one_connect4_before");
	if (!ASSERT_TRUE(start(&d), "daemon_restart"))
		goto out;
	n2 = kv_sh(NULL, 0, "test $(bpftool cgroup show %s/%s | grep -c kv_connect4) -eq 1", root, d.cg);
	ASSERT_EQ(n2, 0, "one_connect4_after_restart");
	rc = kv_sh(out, sizeof(out), "grep -c adopted %s", d.log);
	ASSERT_EQ(rc, 0, "log_says_adopted");
	/* the killed daemon's session ended while it was gone: swept, and the
	 * syscall tracepoint goes with it */
	rc = kv_sh(out, sizeof(out), "grep -c 'removed from the session table' %s", d.log);
	ASSERT_EQ(rc, 0, "orphan_session_swept");
	rc = kv_sh(NULL, 0, "test -e %s/link_kv_sys_exit", d.pins);
	ASSERT_NEQ(rc, 0, "syscall_tracepoint_detached_after_sweep");
	rc = kv_sh(out, sizeof(out), KV " run --daemon-socket=%s --trust-mask=0xFF --no-default-net -- "
		 AGENT " connect=127.0.0.3:9 2>&1", b, d.sock, b);
	ASSERT_HAS_SUBSTR(out, "connect=127.0.0.3:9 EPERM", "enforced_after_restart");
	rc = kv_sh(NULL, 0, "test -e %s/link_kv_sys_exit", d.pins);
	ASSERT_NEQ(rc, 0, "syscall_tracepoint_detached_after_session");
out:
	daemon_teardown(&d);
}

/* Nobody registers a session for a process that is not their own child. */
KV_TEST(session_for_foreign_pid_refused)
{
	struct json_object *req, *resp = NULL, *v;
	char err[256];
	struct daemon d;
	int fd, e;

	if (!daemon_setup(&d))
		return;
	if (!ASSERT_TRUE(start(&d), "daemon_up"))
		goto out;
	fd = kv_control_connect(d.sock);
	if (!ASSERT_GE(fd, 0, "connect"))
		goto out;
	req = json_tokener_parse("{\"op\":\"session_start\",\"pid\":1,\"binary\":\"/bin/true\","
				 "\"argv\":[\"true\"],\"inputs\":{\"trust_mask\":255,\"domain\":\"general\"}}");
	e = kv_control_call(fd, req, &resp, err, sizeof(err));
	ASSERT_OK(e, "call");
	if (resp && json_object_object_get_ex(resp, "ok", &v))
		ASSERT_FALSE(json_object_get_boolean(v), "refused");
	v = NULL;
	if (resp)
		json_object_object_get_ex(resp, "error", &v);
	ASSERT_HAS_SUBSTR(v ? json_object_get_string(v) : NULL, "not a child of the caller", "why");
	json_object_put(req);
	json_object_put(resp);
	close(fd);
out:
	daemon_teardown(&d);
}

/* *cgfd: the session cgroup (first fd); a Landlock ruleset the daemon
 * sends second (no BPF-LSM here) is checked and closed */
static struct json_object *pending_start(int fd, int *cgfd)
{
	struct json_object *req, *resp = NULL;
	int fds[KV_CONTROL_MAX_FDS], nfds = 0;
	char err[256];

	*cgfd = -1;
	req = json_tokener_parse("{\"op\":\"session_start\",\"binary\":\"/bin/true\","
				 "\"argv\":[\"true\"],\"handoff_fd\":5,\"inputs\":{\"trust_mask\":255,"
				 "\"domain\":\"general\",\"no_default_net\":true}}");
	if (kv_control_call_fds(fd, req, &resp, fds, &nfds, err, sizeof(err)))
		fprintf(stderr, "  call: %s\n", err);
	json_object_put(req);
	if (nfds > 0)
		*cgfd = fds[0];
	if (resp && json_object_object_get_ex(resp, "landlock_restrict_flags", NULL))
		ASSERT_EQ(nfds, 2, "ruleset passed with the cgroup");
	while (nfds > 1)
		close(fds[--nfds]);
	return resp;
}

/* A session made before its agent: the client gets the cgroup to spawn
 * into and the compiled filter; if it goes away before its agent exists,
 * the session ends (sealed, cgroup removed). */
KV_TEST(pending_session_ends_with_its_client)
{
	struct json_object *resp = NULL, *v;
	char cg[PATH_MAX] = "", out[4096];
	struct daemon d;
	int fd = -1, cgfd = -1, i;

	if (!daemon_setup(&d))
		return;
	if (!ASSERT_TRUE(start(&d), "daemon_up"))
		goto out;
	fd = kv_control_connect(d.sock);
	if (!ASSERT_GE(fd, 0, "connect"))
		goto out;
	resp = pending_start(fd, &cgfd);
	if (!ASSERT_OK_PTR(resp, "answer") ||
	    !ASSERT_TRUE(json_object_object_get_ex(resp, "ok", &v) && json_object_get_boolean(v), "ok"))
		goto out;
	ASSERT_TRUE(json_object_object_get_ex(resp, "seccomp", NULL), "filter compiled by the daemon");
	ASSERT_GE(cgfd, 0, "cgroup fd passed");
	if (json_object_object_get_ex(resp, "cgroup", &v))
		snprintf(cg, sizeof(cg), "%s", json_object_get_string(v));
	close(fd);
	fd = -1;
	for (i = 0; i < 200 && !access(cg, F_OK); i++)
		usleep(20000);
	ASSERT_LT(i, 200, "session cgroup removed");
	ASSERT_EQ(kv_sh(out, sizeof(out), "grep -h SESSION_END %s/sessions/ks-*.jsonl", d.state), 0,
		  "ended");
	ASSERT_HAS_SUBSTR(out, "agent never started", "why");
out:
	if (fd >= 0)
		close(fd);
	if (cgfd >= 0)
		close(cgfd);
	json_object_put(resp);
	daemon_teardown(&d);
}

/* An agent born in the session's cgroup (root: clone3 CLONE_INTO_CGROUP)
 * needs no session_pid: the session is live once its cgroup is populated,
 * outlives its client like any session, and ends when the agent exits. */
KV_TEST(agent_born_in_its_session)
{
	struct json_object *resp = NULL, *v;
	char root[PATH_MAX], cg[PATH_MAX] = "", out[4096];
	struct daemon d;
	int fd = -1, cgfd = -1, go[2] = { -1, -1 }, i;
	bool placed = false;
	pid_t child = -1;

	if (!daemon_setup(&d))
		return;
	if (!ASSERT_TRUE(start(&d), "daemon_up") || !ASSERT_OK(kv_cgroup2_root(root, sizeof(root)), "root") ||
	    !ASSERT_OK(pipe(go), "pipe"))
		goto out;
	fd = kv_control_connect(d.sock);
	if (!ASSERT_GE(fd, 0, "connect"))
		goto out;
	resp = pending_start(fd, &cgfd);
	if (!ASSERT_OK_PTR(resp, "answer") || !ASSERT_GE(cgfd, 0, "cgroup fd"))
		goto out;
	if (json_object_object_get_ex(resp, "cgroup", &v))
		snprintf(cg, sizeof(cg), "%s", json_object_get_string(v));
	child = kv_cgroup_fork_into(cgfd, &placed);
	if (child == 0) {
		char c;

		close(fd); /* the connection is the client's alone */
		close(go[1]);
		_exit(read(go[0], &c, 1) == 1 ? 0 : 1);
	}
	close(go[0]);
	go[0] = -1;
	ASSERT_TRUE(placed, "born in the session (root, one thread)");
	ASSERT_TRUE(kv_proc_in_cgroup(child, root, cg), "in the session cgroup");
	usleep(600000); /* the daemon's reaper (every 200 ms) has seen it */
	close(fd);
	fd = -1;
	usleep(300000);
	ASSERT_OK(access(cg, F_OK), "still live without its client");
	ASSERT_EQ(write(go[1], "g", 1), 1, "release the agent");
	waitpid(child, NULL, 0);
	child = -1;
	for (i = 0; i < 200 && !access(cg, F_OK); i++)
		usleep(20000);
	ASSERT_LT(i, 200, "ended with its agent");
	ASSERT_EQ(kv_sh(out, sizeof(out), "grep -h SESSION_END %s/sessions/ks-*.jsonl", d.state), 0,
		  "sealed");
out:
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	if (fd >= 0)
		close(fd);
	if (cgfd >= 0)
		close(cgfd);
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	json_object_put(resp);
	daemon_teardown(&d);
}

/* session_pid names the agent: only the caller's own child. */
KV_TEST(session_pid_foreign_refused)
{
	struct json_object *resp = NULL, *req, *r2 = NULL, *v = NULL;
	char err[256], msg[256];
	struct daemon d;
	int fd = -1, cgfd = -1;

	if (!daemon_setup(&d))
		return;
	if (!ASSERT_TRUE(start(&d), "daemon_up"))
		goto out;
	fd = kv_control_connect(d.sock);
	if (!ASSERT_GE(fd, 0, "connect"))
		goto out;
	resp = pending_start(fd, &cgfd);
	if (!ASSERT_OK_PTR(resp, "answer") || !json_object_object_get_ex(resp, "session_id", &v))
		goto out;
	snprintf(msg, sizeof(msg), "{\"op\":\"session_pid\",\"pid\":1,\"session_id\":\"%s\"}",
		 json_object_get_string(v));
	req = json_tokener_parse(msg);
	ASSERT_OK(kv_control_call(fd, req, &r2, err, sizeof(err)), "call");
	json_object_put(req);
	v = NULL;
	if (r2)
		json_object_object_get_ex(r2, "error", &v);
	ASSERT_HAS_SUBSTR(v ? json_object_get_string(v) : NULL, "not a child of the caller", "why");
out:
	if (fd >= 0)
		close(fd);
	if (cgfd >= 0)
		close(cgfd);
	json_object_put(resp);
	json_object_put(r2);
	daemon_teardown(&d);
}

/* A client's session gets its own PID namespace: a root client by itself,
 * an unprivileged one through a user namespace where the kernel allows
 * that (status says so), else none — and then it says so, in a warning and
 * in what the daemon seals (the genesis announces what the client expects,
 * a PID_NAMESPACE receipt corrects it: the last word is the kernel's).
 * Either way nothing outside is killed. */
KV_TEST(pid_namespace_for_clients)
{
	const struct kv_features *f = kv_features_get();
	const char *b = kvtest_build_dir();
	static char out[1 << 16];
	char want[128];
	struct daemon d;
	pid_t s = -1;
	int rc;

	if (!daemon_setup(&d))
		return;
	if (!f->pidns.ok) {
		test__skip("no PID namespaces here: %s", f->pidns.detail);
		return;
	}
	if (!ASSERT_TRUE(start(&d), "daemon_up"))
		goto out;
	s = fork();
	if (s == 0) {
		execl("/bin/sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	snprintf(want, sizeof(want), "kill=%d ESRCH", (int)s);

	rc = kv_sh(out, sizeof(out), KV " run --daemon-socket=%s --trust-mask=0xFFFF --no-default-net "
		   "-- " AGENT " ppid proc-pids kill=%d exit7 2>&1", b, d.sock, b, (int)s);
	ASSERT_EQ(rc, 7, "root_client_status");
	ASSERT_HAS_SUBSTR(out, "ppid 1\n", "root_client_init");
	ASSERT_HAS_SUBSTR(out, "proc-pids 1,2\n", "root_client_proc");
	ASSERT_HAS_SUBSTR(out, want, "root_client_kill_outside");
	kv_sh(out, sizeof(out), "grep -h -o '\"pid_namespace\":{[^}]*}' %s/sessions/ks-*.jsonl", d.state);
	ASSERT_HAS_SUBSTR(out, "\"mode\":\"own\"", "root_client_genesis");
	ASSERT_FALSE(strstr(out, "\"mode\":\"none\""), "root_client_no_correction");

	kv_sh(NULL, 0, "rm -f %s/sessions/ks-*.jsonl", d.state);
	rc = kv_sh(out, sizeof(out), "setpriv --reuid=nobody --regid=nogroup --clear-groups "
		   KV " run --daemon-socket=%s --trust-mask=0xFFFF --no-default-net -- " AGENT
		   " ppid proc-pids kill=%d ptrace=1 exit7 2>&1", b, d.sock, b, (int)s);
	ASSERT_EQ(rc, 7, "unprivileged_client_status");
	if (f->pidns_userns.ok) {
		ASSERT_HAS_SUBSTR(out, "ppid 1\n", "userns_init");
		ASSERT_HAS_SUBSTR(out, "proc-pids 1,2\n", "userns_proc");
		ASSERT_HAS_SUBSTR(out, want, "userns_kill_outside");
		ASSERT_HAS_SUBSTR(out, "ptrace=1 EPERM", "userns_init_not_traceable");
	} else {
		ASSERT_HAS_SUBSTR(out, "has no PID namespace of its own", "none_warned");
		snprintf(want, sizeof(want), "kill=%d EPERM", (int)s);
		ASSERT_HAS_SUBSTR(out, want, "none_kill_outside");
	}
	/* the genesis's, then the correction's where there is one */
	kv_sh(out, sizeof(out), "grep -h -o '\"pid_namespace\":{[^}]*}' %s/sessions/ks-*.jsonl | "
	      "tail -n1", d.state);
	ASSERT_HAS_SUBSTR(out, f->pidns_userns.ok ? "\"mode\":\"user_namespace\"" : "\"mode\":\"none\"",
			  "unprivileged_client_sealed");
	/* off: said so in the genesis, no warning (it was asked for) */
	kv_sh(NULL, 0, "rm -f %s/sessions/ks-*.jsonl", d.state);
	rc = kv_sh(out, sizeof(out), KV " run --daemon-socket=%s --pid-namespace=off --trust-mask=0xFF "
		   "--no-default-net -- " AGENT " ppid exit7 2>&1", b, d.sock, b);
	ASSERT_EQ(rc, 7, "off_status");
	ASSERT_FALSE(strstr(out, "ppid 1\n"), "off_no_init");
	ASSERT_FALSE(strstr(out, "has no PID namespace"), "off_not_warned");
	kv_sh(out, sizeof(out), "grep -h -o '\"pid_namespace\":{[^}]*}' %s/sessions/ks-*.jsonl", d.state);
	ASSERT_HAS_SUBSTR(out, "{\"detail\":\"--pid-namespace=off\",\"mode\":\"none\"}", "off_genesis");
	ASSERT_TRUE(waitpid(s, NULL, WNOHANG) == 0 && kill(s, 0) == 0, "sleeper_alive");
out:
	if (s > 0) {
		kill(s, SIGKILL);
		waitpid(s, NULL, 0);
	}
	daemon_teardown(&d);
}

/* A session started with its agent: the daemon seals what the kernel says
 * about the process, not the client's claim: a plain child claimed to be a
 * namespace's init is sealed as none, with the claim. */
KV_TEST(pid_namespace_claim_checked)
{
	struct json_object *req, *resp = NULL, *v;
	char err[256], out[4096];
	struct daemon d;
	pid_t child;
	int fd;

	if (!daemon_setup(&d))
		return;
	if (!ASSERT_TRUE(start(&d), "daemon_up"))
		goto out;
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	fd = kv_control_connect(d.sock);
	if (!ASSERT_GE(fd, 0, "connect"))
		goto reap;
	snprintf(out, sizeof(out),
		 "{\"op\":\"session_start\",\"pid\":%d,\"binary\":\"/bin/true\",\"argv\":[\"true\"],"
		 "\"inputs\":{\"trust_mask\":255,\"domain\":\"general\"},"
		 "\"pid_namespace\":{\"mode\":\"own\",\"detail\":\"trust me\"}}", (int)child);
	req = json_tokener_parse(out);
	ASSERT_OK(kv_control_call(fd, req, &resp, err, sizeof(err)), "call");
	json_object_put(req);
	if (ASSERT_TRUE(resp && json_object_object_get_ex(resp, "ok", &v) &&
				json_object_get_boolean(v), "accepted") &&
	    ASSERT_TRUE(json_object_object_get_ex(resp, "session_id", &v), "id")) {
		kv_sh(out, sizeof(out), "head -n1 %s/sessions/%s.jsonl | grep -o "
		      "'\"pid_namespace\":{[^}]*}'", d.state, json_object_get_string(v));
		ASSERT_HAS_SUBSTR(out, "\"pid_namespace\":{\"detail\":\"the client said own; the "
				       "kernel says none\",\"mode\":\"none\"}", "sealed_as_the_kernel_says");
		snprintf(out, sizeof(out), "{\"op\":\"session_end\",\"session_id\":\"%s\",\"status\":0}",
			 json_object_get_string(v));
		req = json_tokener_parse(out);
		json_object_put(resp);
		resp = NULL;
		kv_control_call(fd, req, &resp, err, sizeof(err));
		json_object_put(req);
	}
	json_object_put(resp);
	close(fd);
reap:
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
out:
	daemon_teardown(&d);
}

/* A session made before its agent: the genesis says what the client
 * announced; when the agent is named (here a plain child, born in the
 * session's cgroup) the daemon checks it. As data: what the client says of
 * the named agent -> refused or not, and what the PID_NAMESPACE receipt
 * seals; a client that never names its agent leaves the announcement
 * unchecked, and the chain says so. */
static const struct {
	const char *said; /* the naming's pid_namespace.mode; NULL: never named */
	bool refused;
	const char *sealed;
} announce_cases[] = {
	{ "own", true, "\"pid_namespace\":{\"detail\":\"the client said own; the kernel says none\","
		       "\"mode\":\"none\"},\"refused\":true" },
	{ "none", false, "\"pid_namespace\":{\"detail\":\"could not be created\",\"mode\":\"none\"},"
			 "\"refused\":false" },
	{ NULL, false, "\"announced\":\"own\",\"checked\":false" },
};

KV_TEST(pid_namespace_announced_then_checked)
{
	struct json_object *req, *resp = NULL, *r2 = NULL, *v;
	int fds[KV_CONTROL_MAX_FDS], nfds = 0, fd = -1, st = 0, go[2], i;
	char err[256], msg[512], id[128], out[1 << 14];
	struct daemon d;
	bool placed;
	size_t k;
	pid_t child;

	if (!daemon_setup(&d))
		return;
	if (!ASSERT_TRUE(start(&d), "daemon_up"))
		goto out;
	for (k = 0; k < sizeof(announce_cases) / sizeof(announce_cases[0]); k++) {
		const char *tag = announce_cases[k].said ? announce_cases[k].said : "unnamed";

		fd = kv_control_connect(d.sock);
		if (!ASSERT_GE(fd, 0, "connect"))
			goto out;
		nfds = 0;
		req = json_tokener_parse("{\"op\":\"session_start\",\"binary\":\"/bin/true\","
					 "\"argv\":[\"true\"],\"handoff_fd\":5,\"inputs\":{\"trust_mask\":255,"
					 "\"domain\":\"general\",\"no_default_net\":true},"
					 "\"pid_namespace\":{\"mode\":\"own\",\"detail\":\"root\"}}");
		ASSERT_OK(kv_control_call_fds(fd, req, &resp, fds, &nfds, err, sizeof(err)), "start");
		json_object_put(req);
		if (!ASSERT_GE(nfds, 1, "cgroup fd") ||
		    !ASSERT_TRUE(json_object_object_get_ex(resp, "session_id", &v), "id"))
			goto out;
		snprintf(id, sizeof(id), "%s", json_object_get_string(v));
		kv_sh(out, sizeof(out), "head -n1 %s/sessions/%s.jsonl | grep -o '\"pid_namespace\":{[^}]*}'",
		      d.state, id);
		ASSERT_HAS_SUBSTR(out, "\"mode\":\"own\"", "genesis_announces");
		ASSERT_HAS_SUBSTR(out, "announced by the client", "genesis_says_by_whom");
		if (!ASSERT_OK(pipe(go), "pipe"))
			goto out;
		child = kv_cgroup_fork_into(fds[0], &placed);
		if (child == 0) {
			char c;

			close(fd);
			close(go[1]);
			_exit(read(go[0], &c, 1) == 1 ? 0 : 1);
		}
		close(go[0]);
		while (nfds)
			close(fds[--nfds]);
		if (announce_cases[k].said) {
			snprintf(msg, sizeof(msg), "{\"op\":\"session_pid\",\"session_id\":\"%s\",\"pid\":%d,"
				 "\"pid_namespace\":{\"mode\":\"%s\",\"detail\":\"could not be created\"}}",
				 id, (int)child, announce_cases[k].said);
			req = json_tokener_parse(msg);
			ASSERT_OK(kv_control_call(fd, req, &r2, err, sizeof(err)), "name");
			json_object_put(req);
			ASSERT_EQ(!(json_object_object_get_ex(r2, "ok", &v) && json_object_get_boolean(v)),
				  announce_cases[k].refused, tag);
			json_object_put(r2);
			r2 = NULL;
		}
		/* let it exit (refused: it was killed already) */
		signal(SIGPIPE, SIG_IGN);
		ASSERT_TRUE(write(go[1], "g", 1) == 1 || announce_cases[k].refused, "released");
		signal(SIGPIPE, SIG_DFL);
		close(go[1]);
		waitpid(child, &st, 0);
		ASSERT_EQ(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, announce_cases[k].refused,
			  "killed_when_refused");
		snprintf(msg, sizeof(msg), "{\"op\":\"session_end\",\"session_id\":\"%s\",\"status\":0}", id);
		req = json_tokener_parse(msg);
		kv_control_call(fd, req, &r2, err, sizeof(err));
		json_object_put(req);
		json_object_put(r2);
		r2 = NULL;
		json_object_put(resp);
		resp = NULL;
		close(fd);
		fd = -1;
		/* the end may come from the reaper (an emptied cgroup) first */
		for (i = 0; i < 100; i++) {
			kv_sh(out, sizeof(out), "grep -h PID_NAMESPACE %s/sessions/%s.jsonl", d.state, id);
			if (strstr(out, "PID_NAMESPACE"))
				break;
			usleep(20000);
		}
		ASSERT_HAS_SUBSTR(out, announce_cases[k].sealed, tag);
	}
	ASSERT_EQ(kv_sh(NULL, 0, KV " audit --all --state-dir=%s", kvtest_build_dir(), d.state), 0,
		  "audit_clean");
out:
	if (fd >= 0)
		close(fd);
	json_object_put(resp);
	daemon_teardown(&d);
}

/* One call on fd: the answer's "ok", and its error (copied to err) if not. */
static bool call_ok(int fd, const char *msg, char *err, size_t errlen)
{
	struct json_object *req = json_tokener_parse(msg), *r = NULL, *v;
	char e[256];
	bool ok = false;

	err[0] = 0;
	if (!kv_control_call(fd, req, &r, e, sizeof(e)))
		ok = json_object_object_get_ex(r, "ok", &v) && json_object_get_boolean(v);
	if (!ok && r && json_object_object_get_ex(r, "error", &v))
		snprintf(err, errlen, "%s", json_object_get_string(v));
	json_object_put(req);
	json_object_put(r);
	return ok;
}

/* A root client that spawned its agent into the session's cgroup names it
 * without waiting (born_in_cgroup): the agent may have exited and the
 * reaper run before the naming arrives; the session waits for it and takes
 * it on root's word. Only root may say born_in_cgroup. */
KV_TEST(pid_namespace_named_after_its_agent_exited)
{
	int fds[KV_CONTROL_MAX_FDS], nfds = 0, fd = -1, st = 0;
	struct json_object *req, *resp = NULL, *v;
	char err[256], msg[512], id[128], out[1 << 14];
	struct daemon d;
	bool placed;
	pid_t child;

	if (!daemon_setup(&d))
		return;
	if (!ASSERT_TRUE(start(&d), "daemon_up"))
		goto out;
	fd = kv_control_connect(d.sock);
	if (!ASSERT_GE(fd, 0, "connect"))
		goto out;
	req = json_tokener_parse("{\"op\":\"session_start\",\"binary\":\"/bin/true\","
				 "\"argv\":[\"true\"],\"handoff_fd\":5,\"inputs\":{\"trust_mask\":255,"
				 "\"domain\":\"general\",\"no_default_net\":true},"
				 "\"pid_namespace\":{\"mode\":\"own\",\"detail\":\"root\"}}");
	ASSERT_OK(kv_control_call_fds(fd, req, &resp, fds, &nfds, err, sizeof(err)), "start");
	json_object_put(req);
	if (!ASSERT_GE(nfds, 1, "cgroup fd") ||
	    !ASSERT_TRUE(json_object_object_get_ex(resp, "session_id", &v), "id"))
		goto out;
	snprintf(id, sizeof(id), "%s", json_object_get_string(v));
	child = kv_cgroup_fork_into(fds[0], &placed);
	if (child == 0)
		_exit(0);
	while (nfds)
		close(fds[--nfds]);
	waitpid(child, &st, 0);
	usleep(600000); /* the reaper (every 200 ms) saw it populated, then empty */
	/* not root: refused, whatever it names */
	if (fork() == 0) {
		int ufd;

		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534) || (ufd = kv_control_connect(d.sock)) < 0)
			_exit(2);
		snprintf(msg, sizeof(msg), "{\"op\":\"session_pid\",\"session_id\":\"%s\",\"pid\":%d,"
			 "\"born_in_cgroup\":true}", id, (int)child);
		_exit(call_ok(ufd, msg, err, sizeof(err)) ? 1 : 0);
	}
	wait(&st);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "nobody_refused");
	snprintf(msg, sizeof(msg), "{\"op\":\"session_pid\",\"session_id\":\"%s\",\"pid\":%d,"
		 "\"born_in_cgroup\":true,\"pid_namespace\":{\"mode\":\"none\","
		 "\"detail\":\"could not be created\"}}", id, (int)child);
	ASSERT_TRUE(call_ok(fd, msg, err, sizeof(err)), "named_after_it_exited");
	/* named, empty: ended by its client or the reaper, whichever is first */
	snprintf(msg, sizeof(msg), "{\"op\":\"session_end\",\"session_id\":\"%s\",\"status\":0}", id);
	call_ok(fd, msg, err, sizeof(err));
	kv_sh(out, sizeof(out), "grep -h PID_NAMESPACE %s/sessions/%s.jsonl", d.state, id);
	ASSERT_HAS_SUBSTR(out, "\"pid_namespace\":{\"detail\":\"could not be created\",\"mode\":\"none\"},"
			       "\"refused\":false", "sealed");
out:
	if (fd >= 0)
		close(fd);
	json_object_put(resp);
	daemon_teardown(&d);
}

/* receipts.* in kavachos.conf reach the session's chain: with sync = each
 * the genesis says so and the end is durable before run reports it. */
KV_TEST(receipts_sync_each_from_config)
{
	const char *b = kvtest_build_dir();
	static char out[1 << 16];
	struct daemon d;
	FILE *f;
	int rc;

	if (!daemon_setup(&d))
		return;
	f = fopen(d.conf, "a");
	if (!ASSERT_OK_PTR(f, "conf"))
		goto out;
	fputs("receipts.sync = each\nreceipts.checkpoint_every = 77\n", f);
	fclose(f);
	if (!ASSERT_TRUE(start(&d), "daemon_up"))
		goto out;
	rc = kv_sh(out, sizeof(out), KV " run --daemon-socket=%s --trust-mask=0xFF --no-default-net "
		   "-- /bin/true 2>&1", b, d.sock);
	ASSERT_EQ(rc, 0, "ran");
	ASSERT_FALSE(strstr(out, "being synced") != NULL, "durable when reported");
	rc = kv_sh(out, sizeof(out), "head -c 65536 %s/sessions/ks-*.jsonl | grep SESSION_START",
		   d.state);
	ASSERT_EQ(rc, 0, "genesis");
	ASSERT_HAS_SUBSTR(out, "\"sync\":\"each\"", "sync each sealed in the genesis");
	ASSERT_HAS_SUBSTR(out, "\"checkpoint_every\":77", "checkpoint_every sealed");
out:
	daemon_teardown(&d);
}

/* Bad configuration: refused, naming file, line and key. As data. */
static const struct {
	const char *text, *expect;
} bad_conf[] = {
	{ "ringbuf_bytes = 5000\n", "ringbuf_bytes = '5000': must be a power of two" },
	{ "gate.lock = lots\n", "gate.lock = 'lots': must be an integer" },
	{ "no_such_key = 1\n", "unknown key 'no_such_key'" },
	{ "state_dir relative\n", "expected 'key = value'" },
	{ "gate.throttle = 5\ngate.crack = 3\n", "gate.throttle (5) is above gate.crack (3)" },
	{ "receipts.sync = sometimes\n", "must be group, none or each" },
};

KV_TEST(config_refused_by_key)
{
	char path[PATH_MAX + 16], out[4096];
	size_t i;

	snprintf(path, sizeof(path), "%s/bad.conf", kvtest_tmpdir());
	for (i = 0; i < sizeof(bad_conf) / sizeof(bad_conf[0]); i++) {
		FILE *f = fopen(path, "w");

		if (!ASSERT_OK_PTR(f, "write"))
			return;
		fputs(bad_conf[i].text, f);
		fclose(f);
		ASSERT_EQ(kv_sh(out, sizeof(out), "%s/kavachos-load --config %s --check-config 2>&1",
			      kvtest_build_dir(), path), 2, bad_conf[i].expect);
		ASSERT_HAS_SUBSTR(out, bad_conf[i].expect, bad_conf[i].text);
		ASSERT_HAS_SUBSTR(out, "bad.conf:", "names_the_file");
	}
}

KV_TEST(cgroup_not_v2_names_the_mount)
{
	char root[PATH_MAX], out[4096];

	if (kv_cgroup2_root(root, sizeof(root)) || !strcmp(root, "/sys/fs/cgroup")) {
		test__skip("cgroup2 is mounted at /sys/fs/cgroup here: no hybrid layout to refuse");
		return;
	}
	ASSERT_EQ(kv_sh(out, sizeof(out), "%s/kavachos-load --cgroup /sys/fs/cgroup/agents 2>&1",
		      kvtest_build_dir()), 2, "refused");
	ASSERT_HAS_SUBSTR(out, root, "names_the_mount");
}

/* --strict-exec through the daemon: the launch exec is the agent's only
 * one, as root (spawned into the cgroup) and as nobody (moved by the
 * daemon). With BPF-LSM in the daemon nothing names the launching process
 * to the kernel: the session's first exec is the launch. */
KV_TEST(strict_exec_through_daemon)
{
	const char *b = kvtest_build_dir();
	static char out[1 << 16];
	struct daemon d;
	int rc;

	if (!daemon_setup(&d))
		return;
	if (!ASSERT_TRUE(start(&d), "daemon_up"))
		goto out;
	rc = kv_sh(out, sizeof(out), KV " run --daemon-socket=%s --trust-mask=0xFFFF --strict-exec "
		   "--no-default-net -- %s/tests/helpers/sc_probe exec:/bin/true 2>&1", b, d.sock, b);
	ASSERT_EQ(rc, 0, "root: the launch ran");
	ASSERT_HAS_SUBSTR(out, "exec=EPERM", "root: a second exec refused");
	rc = kv_sh(out, sizeof(out), "cd / && setpriv --reuid=nobody --regid=nogroup --clear-groups "
		   KV " run --daemon-socket=%s --trust-mask=0xFFFF --strict-exec --no-default-net -- "
		   "%s/tests/helpers/sc_probe exec:/bin/true 2>&1", b, d.sock, b);
	ASSERT_EQ(rc, 0, "nobody: the launch ran");
	ASSERT_HAS_SUBSTR(out, "exec=EPERM", "nobody: a second exec refused");
	rc = kv_sh(out, sizeof(out), "cat %s/sessions/ks-*.jsonl", d.state);
	ASSERT_HAS_SUBSTR(out, "\"type\":\"NOTIFY_DECISION\"", "the refusal sealed");
out:
	daemon_teardown(&d);
}
