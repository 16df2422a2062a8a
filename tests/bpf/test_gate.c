// SPDX-License-Identifier: BSD-2-Clause
/* Gate valve effects enforced by the kernel (tracepoint path, used where
 * BPF-LSM cannot load): THROTTLED kills every new process of the session
 * (threads keep working), CRACKED kills every exec; without
 * KV_SF_ENFORCE_GATE the valve only counts. LOCKED freezes the cgroup and
 * `kavachos release` thaws it: see test_run.c. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "bpf/loader.h"
#include "fixture.h"
#include "kvtest.h"

/* test-only marker: set KV_SF_GATE_LSM when the lsm object loaded */
#define KV_SF_GATE_LSM_IF_LOADED (1u << 31)

static bool setup_gate(struct kv_fixture *f, uint32_t flags, uint32_t gate)
{
	struct kv_session pol;
	struct kv_session_state st;
	int fd;

	kv_session_policy_defaults(&pol, 0xFFFF, 1);
	pol.flags |= flags;
	if (!kv_fixture_setup(f, &pol, NULL))
		return false;
	fd = kv_bpf_map_fd(f->bpf, "kv_state");
	if (!ASSERT_OK(bpf_map_lookup_elem(fd, &f->s.cgid, &st), "state"))
		return false;
	st.gate = gate;
	return ASSERT_OK(bpf_map_update_elem(fd, &f->s.cgid, &st, BPF_EXIST), "set_gate");
}

/* Exit status encodes what happened to a forked grandchild. */
static int try_fork(void *arg)
{
	int status;
	pid_t p;

	(void)arg;
	p = fork();
	if (p < 0)
		return 90;
	if (p == 0)
		_exit(0);
	if (waitpid(p, &status, 0) != p)
		return 91;
	if (WIFSIGNALED(status))
		return 100 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void *thread_fn(void *arg)
{
	*(int *)arg = 42;
	return NULL;
}

static int try_thread(void *arg)
{
	pthread_t t;
	int v = 0;

	(void)arg;
	if (pthread_create(&t, NULL, thread_fn, &v) || pthread_join(t, NULL))
		return 90;
	return v == 42 ? 0 : 91;
}

static int try_exec(void *arg)
{
	int status;
	pid_t p;

	(void)arg;
	p = vfork();
	if (p == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(93);
	}
	if (p < 0 || waitpid(p, &status, 0) != p)
		return 90;
	return WIFSIGNALED(status) ? 100 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* Effects as data: valve state + flags -> what fork, thread and exec see,
 * on a kernel without BPF-LSM (the tracepoints kill: 100 + SIGKILL) and on
 * one where the lsm object loaded (task_alloc/bprm_check refuse: 90, the
 * fork fails with EPERM; and the tracepoints stand back). */
struct effect {
	int fork_rc, thread_rc, exec_rc, proc_denies, exec_denies;
};

static const struct {
	const char *name;
	uint32_t flags, gate;
	struct effect tp, lsm;
} cases[] = {
	{ "open", KV_SF_ENFORCE_GATE, KV_GATE_OPEN, { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 } },
	{ "throttled", KV_SF_ENFORCE_GATE | KV_SF_GATE_LSM_IF_LOADED, KV_GATE_THROTTLED,
	  { 100 + SIGKILL, 0, 100 + SIGKILL, 2, 0 }, { 90, 0, 90, 0, 0 } },
	{ "counting_only", 0, KV_GATE_LOCKED, { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 } },
};

KV_TEST(fork_thread_exec_by_gate_state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct effect *x;
		struct kv_fixture f;
		uint32_t flags = cases[i].flags & ~KV_SF_GATE_LSM_IF_LOADED;

		if (!setup_gate(&f, 0, 0))
			return;
		/* what live.c does: BPF-LSM takes the effects where it loaded */
		if ((cases[i].flags & KV_SF_GATE_LSM_IF_LOADED) && kv_bpf_has_lsm(f.bpf))
			flags |= KV_SF_GATE_LSM;
		x = kv_bpf_has_lsm(f.bpf) ? &cases[i].lsm : &cases[i].tp;
		kv_fixture_teardown(&f);
		if (!setup_gate(&f, flags, cases[i].gate))
			return;
		ASSERT_EQ(kv_fixture_run(&f, NULL, try_fork, NULL), x->fork_rc, cases[i].name);
		ASSERT_EQ(kv_fixture_run(&f, NULL, try_thread, NULL), x->thread_rc, cases[i].name);
		ASSERT_EQ(kv_fixture_run(&f, NULL, try_exec, NULL), x->exec_rc, cases[i].name);
		kv_fixture_collect(&f);
		ASSERT_EQ(kv_fixture_count(&f, "PROCESS_DENY"), x->proc_denies, cases[i].name);
		ASSERT_EQ(kv_fixture_count(&f, "EXEC_DENY"), x->exec_denies, cases[i].name);
		kv_fixture_teardown(&f);
	}
}

/* The tracepoints stand back when BPF-LSM applies the effects. */
KV_TEST(tracepoints_defer_to_lsm_flag)
{
	struct kv_fixture f;

	if (!setup_gate(&f, KV_SF_ENFORCE_GATE | KV_SF_GATE_LSM, KV_GATE_CRACKED))
		goto out;
	if (kv_bpf_has_lsm(f.bpf)) {
		/* the LSM refuses the fork itself */
		ASSERT_EQ(kv_fixture_run(&f, NULL, try_fork, NULL), 90, "lsm_refuses");
	} else {
		/* nobody kills: on this kernel the flag would be wrong, and the
		 * tracepoints must honour it rather than double up */
		ASSERT_EQ(kv_fixture_run(&f, NULL, try_fork, NULL), 0, "tracepoint_stands_back");
	}
	kv_fixture_collect(&f);
	ASSERT_EQ(kv_fixture_count(&f, "PROCESS_DENY"), 0, "no_tracepoint_kill");
out:
	kv_fixture_teardown(&f);
}

/* CRACKED: the exec itself is what dies (a fork alone would already die
 * under THROTTLED, so exec from the session's first process: vfork is a
 * fork too — exec in place instead). */
static int exec_in_place(void *arg)
{
	(void)arg;
	execl("/bin/true", "true", (char *)NULL);
	return 93;
}

KV_TEST(cracked_kills_exec_and_seals_it)
{
	struct kv_session_state st;
	struct kv_fixture f;
	struct json_object *ev;

	if (!setup_gate(&f, KV_SF_ENFORCE_GATE, KV_GATE_CRACKED))
		goto out;
	if (kv_bpf_has_lsm(f.bpf)) {
		/* bprm_check refuses it: execl returns (93), an LSM_DENY says why */
		ASSERT_EQ(kv_fixture_run(&f, NULL, exec_in_place, NULL), 93, "exec_refused");
		kv_fixture_collect(&f);
		ASSERT_GE(kv_fixture_count(&f, "LSM_DENY"), 1, "lsm_deny_event");
		goto out;
	}
	ASSERT_EQ(kv_fixture_run(&f, NULL, exec_in_place, NULL), 128 + SIGKILL, "exec_killed");
	kv_fixture_collect(&f);
	ev = kv_fixture_event(&f, "EXEC_DENY", 0);
	if (ASSERT_OK_PTR(ev, "exec_deny_event"))
		ASSERT_STREQ(kv_ev_str(ev, "filename"), "/bin/true", "filename");
	if (ASSERT_OK(kv_session_state_read(f.bpf, f.s.cgid, &st), "state"))
		ASSERT_EQ(st.counts[KV_CLASS_EXEC], 1, "exec_counted");
out:
	kv_fixture_teardown(&f);
}
