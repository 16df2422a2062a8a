// SPDX-License-Identifier: BSD-2-Clause
/* track.bpf.c: syscalls refused by a session's seccomp filter are counted
 * exactly in the kernel and streamed; kernel EPERMs of allowed calls and
 * tasks outside sessions are not; the gate valve moves at the thresholds. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <seccomp.h>
#include "bpf/loader.h"
#include "fixture.h"
#include "kvtest.h"

static const int denied_mkdir[] = { SYS_mkdir, SYS_mkdirat, -1 };

/* What a session's generated profile does, reduced to one refused call. */
static int install_deny_mkdir(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int err;

	if (!ctx)
		return -ENOMEM;
	err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mkdir), 0);
	err = err ?: seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mkdirat), 0);
	err = err ?: seccomp_load(ctx);
	seccomp_release(ctx);
	return err;
}

struct mkdir_args {
	int times;
	const char *path;
};

/* Exit 0 only if every mkdir was refused with EPERM. */
static int try_mkdir(void *arg)
{
	struct mkdir_args *a = arg;
	int i;

	if (install_deny_mkdir())
		return 90;
	for (i = 0; i < a->times; i++)
		if (syscall(SYS_mkdir, a->path, 0700) != -1 || errno != EPERM)
			return 91;
	return 0;
}

static bool setup_deny_mkdir(struct kv_fixture *f, struct kv_session *pol)
{
	struct kv_syscall_policy sp;

	kv_policy_allow_all_but(&sp, denied_mkdir);
	return kv_fixture_setup(f, pol, &sp);
}

KV_TEST(seccomp_block_counted_and_streamed)
{
	struct mkdir_args a = { 1, "/tmp/kv-track-never" };
	struct kv_session_state st;
	struct kv_fixture f;
	struct json_object *ev;

	if (!setup_deny_mkdir(&f, NULL))
		goto out;
	if (!ASSERT_EQ(kv_fixture_run(&f, NULL, try_mkdir, &a), 0, "child_refused"))
		goto out;
	kv_fixture_collect(&f);
	ev = kv_fixture_event(&f, "SECCOMP_BLOCK", 0);
	if (!ASSERT_OK_PTR(ev, "event"))
		goto out;
	ASSERT_STREQ(kv_ev_str(ev, "syscall"), "mkdir", "syscall_name");
	ASSERT_EQ(kv_ev_int(ev, "ret"), -EPERM, "ret");
	ASSERT_STREQ(kv_ev_str(ev, "class"), "syscall", "class");
	if (!ASSERT_OK(kv_session_state_read(f.bpf, f.s.cgid, &st), "state"))
		goto out;
	ASSERT_EQ(st.counts[KV_CLASS_SYSCALL], 1, "count");
	ASSERT_EQ(st.total, 1, "total");
out:
	kv_fixture_teardown(&f);
}

static int kill_init_as_nobody(void *arg)
{
	(void)arg;
	if (setgid(65534) || setuid(65534))
		return 90;
	/* allowed by the profile; the kernel itself says EPERM */
	return kill(1, 0) == -1 && errno == EPERM ? 0 : 91;
}

KV_TEST(kernel_eperm_of_allowed_call_not_counted)
{
	struct kv_session_state st;
	struct kv_fixture f;

	if (!setup_deny_mkdir(&f, NULL))
		goto out;
	if (!ASSERT_EQ(kv_fixture_run(&f, NULL, kill_init_as_nobody, NULL), 0, "child"))
		goto out;
	kv_fixture_collect(&f);
	ASSERT_EQ(kv_fixture_count(&f, "SECCOMP_BLOCK"), 0, "no_event");
	if (ASSERT_OK(kv_session_state_read(f.bpf, f.s.cgid, &st), "state"))
		ASSERT_EQ(st.total, 0, "no_count");
out:
	kv_fixture_teardown(&f);
}

KV_TEST(outside_session_not_counted)
{
	struct mkdir_args a = { 3, "/tmp/kv-track-never" };
	struct kv_session_state st;
	struct kv_fixture f;

	if (!setup_deny_mkdir(&f, NULL))
		goto out;
	if (!ASSERT_EQ(kv_run_outside(try_mkdir, &a), 0, "child_outside"))
		goto out;
	kv_fixture_collect(&f);
	ASSERT_EQ(kv_fixture_count(&f, "SECCOMP_BLOCK"), 0, "no_event");
	if (ASSERT_OK(kv_session_state_read(f.bpf, f.s.cgid, &st), "state"))
		ASSERT_EQ(st.total, 0, "no_count");
out:
	kv_fixture_teardown(&f);
}

KV_TEST(nested_subcgroup_is_the_session)
{
	struct mkdir_args a = { 2, "/tmp/kv-track-never" };
	struct kv_session_state st;
	struct kv_fixture f;

	if (!setup_deny_mkdir(&f, NULL))
		goto out;
	if (!ASSERT_EQ(kv_fixture_run(&f, "agent-made/deeper", try_mkdir, &a), 0, "child_nested"))
		goto out;
	kv_fixture_collect(&f);
	ASSERT_EQ(kv_fixture_count(&f, "SECCOMP_BLOCK"), 2, "events");
	if (ASSERT_OK(kv_session_state_read(f.bpf, f.s.cgid, &st), "state"))
		ASSERT_EQ(st.counts[KV_CLASS_SYSCALL], 2, "count");
out:
	kv_fixture_teardown(&f);
}

/* Expected transitions as data: thresholds -> the violation numbers at
 * which the valve moves. */
static const struct {
	const char *name;
	unsigned throttle, crack, lock, burst;
	unsigned violations;
	const char *to[3];
	unsigned final_gate;
} gate_cases[] = {
	{ "thresholds", 1, 3, 10, 0, 12, { "THROTTLED", "CRACKED", "LOCKED" }, KV_GATE_LOCKED },
	{ "burst", 1, 3, 10, 5, 5, { "THROTTLED", "CRACKED", "LOCKED" }, KV_GATE_LOCKED },
	{ "below_lock", 1, 3, 10, 0, 9, { "THROTTLED", "CRACKED", NULL }, KV_GATE_CRACKED },
	{ "custom", 2, 4, 6, 0, 6, { "THROTTLED", "CRACKED", "LOCKED" }, KV_GATE_LOCKED },
};

KV_TEST(gate_valve_transitions)
{
	size_t i;

	for (i = 0; i < sizeof(gate_cases) / sizeof(gate_cases[0]); i++) {
		struct mkdir_args a = { (int)gate_cases[i].violations, "/tmp/kv-track-never" };
		struct kv_session pol;
		struct kv_session_state st;
		struct kv_fixture f;
		int j, n;

		kv_session_policy_defaults(&pol, 0xFFFF, 1);
		pol.thr_throttle = gate_cases[i].throttle;
		pol.thr_crack = gate_cases[i].crack;
		pol.thr_lock = gate_cases[i].lock;
		pol.burst_count = gate_cases[i].burst;
		if (!setup_deny_mkdir(&f, &pol))
			return;
		ASSERT_EQ(kv_fixture_run(&f, NULL, try_mkdir, &a), 0, gate_cases[i].name);
		kv_fixture_collect(&f);
		n = kv_fixture_count(&f, "GATE_TRANSITION");
		for (j = 0; j < 3; j++) {
			struct json_object *ev = kv_fixture_event(&f, "GATE_TRANSITION", j);

			if (!gate_cases[i].to[j]) {
				ASSERT_NULL(ev, gate_cases[i].name);
				continue;
			}
			if (ASSERT_OK_PTR(ev, gate_cases[i].name))
				ASSERT_STREQ(kv_ev_str(ev, "to"), gate_cases[i].to[j], gate_cases[i].name);
		}
		ASSERT_LE(n, 3, gate_cases[i].name);
		if (ASSERT_OK(kv_session_state_read(f.bpf, f.s.cgid, &st), "state"))
			ASSERT_EQ(st.gate, gate_cases[i].final_gate, gate_cases[i].name);
		kv_fixture_teardown(&f);
	}
}

KV_TEST(flood_counts_exact_and_loss_accounted)
{
	struct mkdir_args a = { 100000, "/tmp/kv-track-never" };
	struct kv_session_state st;
	struct kv_session pol;
	struct kv_fixture f;
	long long delivered;

	kv_session_policy_defaults(&pol, 0xFFFF, 1);
	pol.event_rate = 1000;
	if (!setup_deny_mkdir(&f, &pol))
		goto out;
	if (!ASSERT_EQ(kv_fixture_run(&f, NULL, try_mkdir, &a), 0, "flood"))
		goto out;
	kv_fixture_collect(&f);
	if (!ASSERT_OK(kv_session_state_read(f.bpf, f.s.cgid, &st), "state"))
		goto out;
	delivered = kv_fixture_count(&f, "SECCOMP_BLOCK");
	ASSERT_EQ(st.counts[KV_CLASS_SYSCALL], 100000, "exact_count");
	ASSERT_GE(delivered, 1, "some_delivered");
	ASSERT_GE(st.events_suppressed, 1, "rate_limited");
	/* every counted violation is either delivered, suppressed or lost */
	ASSERT_EQ(delivered + (long long)st.events_suppressed + (long long)st.events_lost, 100000,
		  "accounted");
out:
	kv_fixture_teardown(&f);
}

static int exec_true(void *arg)
{
	(void)arg;
	execl("/bin/true", "true", (char *)NULL);
	return 92;
}

KV_TEST(exec_audit_event)
{
	struct kv_fixture f;
	struct json_object *ev;

	if (!kv_fixture_setup(&f, NULL, NULL))
		goto out;
	if (!ASSERT_EQ(kv_fixture_run(&f, NULL, exec_true, NULL), 0, "exec"))
		goto out;
	kv_fixture_collect(&f);
	ev = kv_fixture_event(&f, "EXEC", 0);
	if (ASSERT_OK_PTR(ev, "exec_event"))
		ASSERT_STREQ(kv_ev_str(ev, "filename"), "/bin/true", "filename");
out:
	kv_fixture_teardown(&f);
}

/* In the session: a child that exits 3, one killed by SIGKILL, then an
 * exec of sh with arguments that exits 5. */
static int tree(void *arg)
{
	pid_t a, b;

	(void)arg;
	a = fork();
	if (a == 0)
		_exit(3);
	b = fork();
	if (b == 0) {
		raise(SIGKILL);
		_exit(0);
	}
	if (a < 0 || b < 0 || waitpid(a, NULL, 0) != a || waitpid(b, NULL, 0) != b)
		return 93;
	execl("/bin/sh", "sh", "-c", "exit 5", (char *)NULL);
	return 92;
}

static struct json_object *exit_of(struct kv_fixture *f, long long pid)
{
	struct json_object *ev;
	int i;

	for (i = 0; (ev = kv_fixture_event(f, "PROCESS_EXIT", i)); i++)
		if (kv_ev_int(ev, "pid") == pid)
			return ev;
	return NULL;
}

/* The session's process tree reaches the chain: PROCESS_FORK for each new
 * process, EXEC with the head of argv, PROCESS_EXIT with how each ended. */
KV_TEST(process_tree_events)
{
	struct json_object *ev, *argv, *fa, *fb;
	struct kv_fixture f;
	long long me;

	if (!kv_fixture_setup(&f, NULL, NULL))
		goto out;
	if (!ASSERT_EQ(kv_fixture_run(&f, NULL, tree, NULL), 5, "tree_exit_status"))
		goto out;
	kv_fixture_collect(&f);
	ASSERT_EQ(kv_fixture_count(&f, "PROCESS_FORK"), 2, "two_forks");
	fa = kv_fixture_event(&f, "PROCESS_FORK", 0);
	fb = kv_fixture_event(&f, "PROCESS_FORK", 1);
	if (!ASSERT_OK_PTR(fa, "fork_a") || !ASSERT_OK_PTR(fb, "fork_b"))
		goto out;
	me = kv_ev_int(fa, "ppid");
	ASSERT_EQ(kv_ev_int(fb, "ppid"), me, "same_parent");
	ev = exit_of(&f, kv_ev_int(fa, "child_pid"));
	if (ASSERT_OK_PTR(ev, "exit_a"))
		ASSERT_EQ(kv_ev_int(ev, "exit_code"), 3, "exit_code_3");
	ev = exit_of(&f, kv_ev_int(fb, "child_pid"));
	if (ASSERT_OK_PTR(ev, "exit_b"))
		ASSERT_EQ(kv_ev_int(ev, "signal"), SIGKILL, "killed_by_sigkill");
	ev = exit_of(&f, me);
	if (ASSERT_OK_PTR(ev, "exit_parent"))
		ASSERT_EQ(kv_ev_int(ev, "exit_code"), 5, "exit_code_5");
	ev = kv_fixture_event(&f, "EXEC", 0);
	argv = ev ? json_object_object_get(ev, "argv") : NULL;
	if (ASSERT_OK_PTR(argv, "exec_argv") &&
	    ASSERT_EQ((int)json_object_array_length(argv), 3, "argc")) {
		ASSERT_STREQ(json_object_get_string(json_object_array_get_idx(argv, 0)), "sh", "argv0");
		ASSERT_STREQ(json_object_get_string(json_object_array_get_idx(argv, 2)), "exit 5", "argv2");
	}
out:
	kv_fixture_teardown(&f);
}
