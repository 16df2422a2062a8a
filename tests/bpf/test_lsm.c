// SPDX-License-Identifier: BSD-2-Clause
/* lsm.bpf.c: for each rule an agent inside a session tries the forbidden
 * thing; the kernel's errno and the LSM_DENY event are asserted, and the
 * same actions from outside every session succeed. Needs BPF-LSM: on a
 * kernel without it each test skips with the probe's reason (the VM runs
 * them: tests/vm/vmtest.sh). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "bpf/loader.h"
#include "features/features.h"
#include "fixture.h"
#include "kv_egress.h"
#include "kv_events.h"
#include "kvtest.h"
#include "lsm/lsm.h"
#include "session/cgroup.h"
#include "test_lsm_agent.h"
#include "test_lsm_tree.h"

static bool lsm_available(void)
{
	const struct kv_features *f = kv_features_get();

	if (!f->bpf_lsm.ok) {
		test__skip("BPF-LSM not available on this kernel: %s", f->bpf_lsm.detail);
		return false;
	}
	return true;
}

/* The fixture plus the session's file policy for tree t (t may be NULL:
 * process rules only). */
static bool lsm_setup(struct kv_fixture *f, const struct kv_session *pol, const struct lt_tree *t,
		      void (*tweak)(struct kv_files_input *, void *), void *arg)
{
	struct kv_files_policy *p = NULL;
	struct kv_files_input in;
	char err[512];
	bool ok;

	if (!lsm_available() || !kv_fixture_setup(f, pol, NULL))
		return false;
	if (!t)
		return true;
	lt_tree_input(t, &in);
	if (tweak)
		tweak(&in, arg);
	if (!ASSERT_OK(kv_files_policy_build(&in, &p, err, sizeof(err)), err))
		return false;
	ok = ASSERT_OK(kv_lsm_policy_apply(f->bpf, f->s.cgid, p), "policy_apply");
	kv_files_policy_free(p);
	return ok;
}

static void lsm_teardown(struct kv_fixture *f)
{
	if (f->bpf)
		kv_lsm_policy_remove(f->bpf, f->s.cgid);
	kv_fixture_teardown(f);
}

/* The nth LSM_DENY event must be this hook, errno and class, its path
 * ending with tail (when given). */
static bool expect_event(struct kv_fixture *f, int nth, uint32_t hook, int err, const char *cls,
			 const char *tail, const char *tag)
{
	struct json_object *ev = kv_fixture_event(f, "LSM_DENY", nth);
	const char *path;
	size_t lp, lt;

	if (!ASSERT_OK_PTR(ev, tag))
		return false;
	if (!ASSERT_EQ(kv_ev_int(ev, "hook"), hook, tag) || !ASSERT_EQ(kv_ev_int(ev, "errno"), err, tag) ||
	    !ASSERT_STREQ(kv_ev_str(ev, "class"), cls, tag))
		return false;
	if (!tail)
		return true;
	path = kv_ev_str(ev, "path");
	lp = path ? strlen(path) : 0;
	lt = strlen(tail);
	if (lp >= lt && !strcmp(path + lp - lt, tail))
		return true;
	return ASSERT_STREQ(path, tail, tag);
}

struct probes_arg {
	const struct lt_tree *t;
	const struct lt_probe *p;
	size_t n;
	int *res;
};

static int run_probes(void *arg)
{
	struct probes_arg *a = arg;

	lt_run_probes(a->t, a->p, a->n, a->res);
	return 0;
}

KV_TEST(file_rules)
{
	struct probes_arg a = { .p = lt_file_probes, .n = lt_n_file_probes };
	struct kv_session_state st;
	struct lt_tree t, t2;
	struct kv_fixture f;
	char other[PATH_MAX];
	int nev = 0, denied = 0;
	size_t i;

	if (!lsm_available() || !ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree") ||
	    !lsm_setup(&f, NULL, &t, NULL, NULL))
		goto out;
	a.t = &t;
	a.res = lt_results(a.n);
	if (!ASSERT_OK_PTR(a.res, "results") ||
	    !ASSERT_EQ(kv_fixture_run(&f, NULL, run_probes, &a), 0, "agent"))
		goto out;
	kv_fixture_collect(&f);
	for (i = 0; i < a.n; i++) {
		const struct lt_probe *p = &lt_file_probes[i];

		if (!ASSERT_EQ(a.res[i], p->lsm_errno, p->name) || !p->lsm_errno)
			continue;
		denied++;
		expect_event(&f, nev++, p->hook, p->lsm_errno, "file", p->ev_tail, p->name);
	}
	ASSERT_EQ(kv_fixture_count(&f, "LSM_DENY"), denied, "one_event_per_denial");
	if (ASSERT_OK(kv_session_state_read(f.bpf, f.s.cgid, &st), "state"))
		ASSERT_EQ(st.counts[KV_CLASS_FILE], denied, "file_violations");

	/* the same actions outside every session: all allowed, nothing counted */
	snprintf(other, sizeof(other), "%s/outside-run", kvtest_tmpdir());
	mkdir(other, 0755);
	if (!ASSERT_OK(lt_tree_make(&t2, other), "tree2"))
		goto out;
	a.t = &t2;
	if (!ASSERT_EQ(kv_run_outside(run_probes, &a), 0, "outside"))
		goto out;
	for (i = 0; i < a.n; i++)
		ASSERT_EQ(a.res[i], 0, lt_file_probes[i].name);
	kv_fixture_collect(&f);
	ASSERT_EQ(kv_fixture_count(&f, "LSM_DENY"), denied, "no_event_outside");
out:
	lsm_teardown(&f);
}

struct moved_arg {
	char path[4][PATH_MAX + 32];
	int *res;
};

static int read_moved(void *arg)
{
	struct moved_arg *m = arg;
	int i, fd;

	for (i = 0; i < 4; i++) {
		fd = open(m->path[i], O_RDONLY | O_CLOEXEC);
		m->res[i] = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

/* After the policy is in place, outside the session: ~/.ssh is renamed,
 * a file is created in it, it is bind-mounted elsewhere and id_rsa gets a
 * new hard link. Inode identity covers all four. */
KV_TEST(secret_identity_survives_rename_bind_link)
{
	static const char *const tag[4] = { "renamed_parent", "created_later", "bind_mount",
					    "new_hardlink" };
	struct moved_arg m;
	struct lt_tree t;
	struct kv_fixture f;
	char from[PATH_MAX + 8], to[PATH_MAX + 16], bind[PATH_MAX + 8], id[PATH_MAX + 32];
	bool mounted = false;
	int i, fd;

	if (!lsm_available() || !ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree") ||
	    !lsm_setup(&f, NULL, &t, NULL, NULL))
		goto out;
	snprintf(from, sizeof(from), "%s/.ssh", t.home);
	snprintf(to, sizeof(to), "%s/.ssh-moved", t.home);
	snprintf(bind, sizeof(bind), "%s/bind", t.root);
	snprintf(id, sizeof(id), "%s/id_rsa", to);
	if (!ASSERT_OK(rename(from, to), "rename") || !ASSERT_OK(mkdir(bind, 0755), "mkdir"))
		goto out;
	snprintf(m.path[0], sizeof(m.path[0]), "%s", id);
	snprintf(m.path[1], sizeof(m.path[1]), "%s/later", to);
	snprintf(m.path[2], sizeof(m.path[2]), "%s/id_rsa", bind);
	snprintf(m.path[3], sizeof(m.path[3]), "%s/links/hard2", t.root);
	fd = open(m.path[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (!ASSERT_GE(fd, 0, "create_later"))
		goto out;
	close(fd);
	if (!ASSERT_OK(link(id, m.path[3]), "link") ||
	    !ASSERT_OK(mount(to, bind, NULL, MS_BIND, NULL), "bind"))
		goto out;
	mounted = true;
	m.res = lt_results(4);
	if (!ASSERT_OK_PTR(m.res, "results") ||
	    !ASSERT_EQ(kv_fixture_run(&f, NULL, read_moved, &m), 0, "agent"))
		goto out;
	kv_fixture_collect(&f);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(m.res[i], EACCES, tag[i]);
		expect_event(&f, i, KV_LSM_FILE_OPEN, EACCES, "file", NULL, tag[i]);
	}
	/* outside the session every path reads */
	if (ASSERT_EQ(kv_run_outside(read_moved, &m), 0, "outside"))
		for (i = 0; i < 4; i++)
			ASSERT_EQ(m.res[i], 0, tag[i]);
out:
	if (mounted)
		umount2(bind, MNT_DETACH);
	lsm_teardown(&f);
}

static void readonly_mask(struct kv_files_input *in, void *arg)
{
	(void)arg;
	in->trust_mask = 0;
}

static const struct lt_probe readonly_probes[] = {
	{ "create_in_workspace", LT_CREATE, "ws/new.txt", NULL, EACCES, EACCES,
	  KV_LSM_INODE_CREATE, "/ws/new.txt" },
	{ "write_workspace_file", LT_WRITE, "ws/src/main.c", NULL, EACCES, EACCES,
	  KV_LSM_FILE_OPEN, "/ws/src/main.c" },
	{ "write_dev_null", LT_WRITE, "/dev/null", NULL, 0, 0, 0, NULL },
	{ "read_workspace", LT_READ, "ws/src/main.c", NULL, 0, 0, 0, NULL },
};

KV_TEST(mask_zero_no_writes)
{
	struct probes_arg a = { .p = readonly_probes, .n = 4 };
	struct kv_fixture f;
	struct lt_tree t;
	int nev = 0;
	size_t i;

	if (!lsm_available() || !ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree") ||
	    !lsm_setup(&f, NULL, &t, readonly_mask, NULL))
		goto out;
	a.t = &t;
	a.res = lt_results(a.n);
	if (!ASSERT_OK_PTR(a.res, "results") ||
	    !ASSERT_EQ(kv_fixture_run(&f, NULL, run_probes, &a), 0, "agent"))
		goto out;
	kv_fixture_collect(&f);
	for (i = 0; i < a.n; i++) {
		const struct lt_probe *p = &readonly_probes[i];

		if (ASSERT_EQ(a.res[i], p->lsm_errno, p->name) && p->lsm_errno)
			expect_event(&f, nev++, p->hook, p->lsm_errno, "file", p->ev_tail, p->name);
	}
out:
	lsm_teardown(&f);
}

struct exec_arg {
	char script[PATH_MAX + 16];
	bool allow_sh, allowlist;
	int *res;
};

static void exec_allow(struct kv_files_input *in, void *arg)
{
	static const char *allow[3];
	struct exec_arg *e = arg;

	allow[0] = "/bin/true";
	allow[1] = e->script;
	allow[2] = "/bin/sh";
	in->exec_allowlist = e->allowlist;
	in->exec_allow = allow;
	in->n_exec_allow = e->allow_sh ? 3 : 2;
}

static int exec_agent(void *arg)
{
	struct exec_arg *e = arg;
	int fd = la_memfd_copy("/bin/true");

	e->res[0] = la_exec("/bin/true", -1);
	e->res[1] = la_exec("/bin/false", -1); /* ECHILD: it ran (and exited 1) */
	e->res[2] = fd < 0 ? -fd : la_exec(NULL, fd);
	e->res[3] = la_exec(e->script, -1);
	/* the ELF loader run as the program, loading one off the list */
	e->res[4] = la_exec_arg("/lib64/ld-linux-x86-64.so.2", "/bin/false");
	return 0;
}

/* bprm_check_security judges the file executed: a binary off the list,
 * a memfd (fileless), and a listed script whose interpreter is not. */
KV_TEST(exec_allowlist)
{
	struct exec_arg e = { .allowlist = true };
	struct kv_fixture f;
	struct lt_tree t;

	if (!lsm_available() || !ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree"))
		return;
	snprintf(e.script, sizeof(e.script), "%s/run.sh", t.root);
	if (!ASSERT_OK(la_script(e.script, "/bin/sh"), "script") ||
	    !lsm_setup(&f, NULL, &t, exec_allow, &e))
		goto out;
	e.res = lt_results(5);
	if (!ASSERT_OK_PTR(e.res, "results") ||
	    !ASSERT_EQ(kv_fixture_run(&f, NULL, exec_agent, &e), 0, "agent"))
		goto out;
	ASSERT_EQ(e.res[0], 0, "exec_allowed_binary");
	ASSERT_EQ(e.res[1], EPERM, "exec_other_binary");
	ASSERT_EQ(e.res[2], EPERM, "exec_memfd");
	ASSERT_EQ(e.res[3], EPERM, "exec_script_unlisted_interpreter");
	ASSERT_EQ(e.res[4], EPERM, "exec_loader_directly");
	kv_fixture_collect(&f);
	expect_event(&f, 0, KV_LSM_BPRM_CHECK, EPERM, "exec", "/false", "event_binary");
	expect_event(&f, 1, KV_LSM_BPRM_CHECK, EPERM, "exec", NULL, "event_memfd");
	ASSERT_HAS_SUBSTR(kv_ev_str(kv_fixture_event(&f, "LSM_DENY", 1), "path"), "memfd:",
			  "event_memfd_path");
	expect_event(&f, 2, KV_LSM_BPRM_CHECK, EPERM, "exec", "/dash", "event_interpreter");
	expect_event(&f, 3, KV_LSM_BPRM_CHECK, EPERM, "exec", NULL, "event_loader");
	ASSERT_HAS_SUBSTR(kv_ev_str(kv_fixture_event(&f, "LSM_DENY", 3), "path"), "ld-linux",
			  "event_loader_path");
	ASSERT_EQ(kv_fixture_count(&f, "LSM_DENY"), 4, "events");
	/* outside the session the same execs run */
	if (ASSERT_EQ(kv_run_outside(exec_agent, &e), 0, "outside")) {
		ASSERT_EQ(e.res[1], ECHILD, "outside_other_binary_ran");
		ASSERT_EQ(e.res[2], 0, "outside_memfd_ran");
		ASSERT_EQ(e.res[3], 0, "outside_script_ran");
		ASSERT_EQ(e.res[4], ECHILD, "outside_loader_ran_false");
	}
	lsm_teardown(&f);

	/* with the interpreter listed too, the script runs */
	e.allow_sh = true;
	if (!lsm_setup(&f, NULL, &t, exec_allow, &e))
		goto out;
	if (ASSERT_EQ(kv_fixture_run(&f, NULL, exec_agent, &e), 0, "agent2"))
		ASSERT_EQ(e.res[3], 0, "exec_script_listed_interpreter");
out:
	lsm_teardown(&f);
}

KV_TEST(exec_fileless_refused_by_default)
{
	struct exec_arg e = { .allowlist = false };
	struct kv_fixture f;
	struct lt_tree t;

	if (!lsm_available() || !ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree"))
		return;
	snprintf(e.script, sizeof(e.script), "%s/run.sh", t.root);
	if (!ASSERT_OK(la_script(e.script, "/bin/sh"), "script") ||
	    !lsm_setup(&f, NULL, &t, exec_allow, &e))
		goto out;
	e.res = lt_results(5);
	if (!ASSERT_OK_PTR(e.res, "results") ||
	    !ASSERT_EQ(kv_fixture_run(&f, NULL, exec_agent, &e), 0, "agent"))
		goto out;
	ASSERT_EQ(e.res[0], 0, "exec_binary");
	ASSERT_EQ(e.res[1], ECHILD, "exec_other_binary_ran");
	ASSERT_EQ(e.res[2], EPERM, "exec_memfd");
	ASSERT_EQ(e.res[3], 0, "exec_script");
	kv_fixture_collect(&f);
	expect_event(&f, 0, KV_LSM_BPRM_CHECK, EPERM, "exec", NULL, "event_memfd");
out:
	lsm_teardown(&f);
}

/* The launch exec (after kv_lsm_policy_launch) passes once; the agent's
 * next exec does not. Unarmed, even the launch is refused. */
static int launch_in(struct kv_fixture *f, bool arm, int *status)
{
	char helper[PATH_MAX];
	int go[2];
	pid_t pid;
	char c;

	snprintf(helper, sizeof(helper), "%s/tests/helpers/lsm_execve", kvtest_build_dir());
	if (pipe(go))
		return -errno;
	pid = fork();
	if (pid == 0) {
		char *const argv[] = { helper, "/bin/true", NULL };

		close(go[1]);
		if (kv_cgroup_move(f->s.cgroup, getpid()) || read(go[0], &c, 1) != 1)
			_exit(99);
		execv(helper, argv);
		_exit(100 + errno);
	}
	close(go[0]);
	if (arm && kv_lsm_policy_launch(f->bpf, f->s.cgid, pid))
		return -EIO;
	if (write(go[1], "g", 1) != 1)
		return -errno;
	close(go[1]);
	waitpid(pid, status, 0);
	return 0;
}

KV_TEST(strict_exec)
{
	struct kv_session pol;
	struct kv_fixture f;
	struct lt_tree t;
	int status = -1;

	if (!lsm_available() || !ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree"))
		return;
	kv_session_policy_defaults(&pol, 0xFFFF, 1);
	pol.flags |= KV_SF_STRICT_EXEC;
	if (!lsm_setup(&f, &pol, &t, NULL, NULL))
		goto out;
	if (ASSERT_OK(launch_in(&f, true, &status), "launch_armed"))
		ASSERT_EQ(WEXITSTATUS(status), 100 + EPERM, "second_exec_refused");
	if (ASSERT_OK(launch_in(&f, false, &status), "launch_unarmed"))
		ASSERT_EQ(WEXITSTATUS(status), 100 + EPERM, "unarmed_launch_refused");
	kv_fixture_collect(&f);
	expect_event(&f, 0, KV_LSM_BPRM_CHECK, EPERM, "exec", "/true", "event_second_exec");
	expect_event(&f, 1, KV_LSM_BPRM_CHECK, EPERM, "exec", "/lsm_execve", "event_unarmed");
out:
	lsm_teardown(&f);
}

struct proc_arg {
	pid_t victim;
	char mnt[PATH_MAX + 8];
	char outside_mount[PATH_MAX + 8];
	int *res;
};

static int bpf_map_try(void)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	fd = (int)syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int proc_agent(void *arg)
{
	struct proc_arg *p = arg;
	pid_t own = la_sleeper();

	p->res[0] = la_ptrace(p->victim);
	p->res[1] = kill(p->victim, SIGCONT) ? errno : 0;
	p->res[2] = la_read_environ(p->victim);
	p->res[3] = mount("tmpfs", p->mnt, "tmpfs", 0, NULL) ? errno : 0;
	if (!p->res[3])
		umount2(p->mnt, MNT_DETACH);
	p->res[4] = umount2(p->outside_mount, 0) ? errno : 0;
	p->res[5] = bpf_map_try();
	/* the same operations on a task of its own session are fine */
	p->res[6] = la_ptrace(own);
	p->res[7] = kill(own, SIGCONT) ? errno : 0;
	p->res[8] = la_read_environ(own);
	p->res[9] = kill(p->victim, 0) ? errno : 0; /* a probe: refused, not counted */
	la_reap(own);
	return 0;
}

KV_TEST(process_rules)
{
	static const struct {
		const char *name;
		int err;
		uint32_t hook;
		const char *cls;
	} want[] = {
		{ "ptrace_outside", EPERM, KV_LSM_PTRACE, "process" },
		{ "kill_outside", EPERM, KV_LSM_TASK_KILL, "process" },
		{ "environ_outside", EACCES, KV_LSM_FILE_OPEN, "file" },
		{ "mount", EPERM, KV_LSM_SB_MOUNT, "process" },
		{ "umount", EPERM, KV_LSM_SB_UMOUNT, "process" },
		{ "bpf", EPERM, KV_LSM_BPF, "process" },
		{ "ptrace_own", 0, 0, NULL },
		{ "kill_own", 0, 0, NULL },
		{ "environ_own", 0, 0, NULL },
		{ "kill_probe_outside", EPERM, 0, NULL },
	};
	struct proc_arg p = { 0 };
	struct kv_session_state st;
	struct json_object *ev;
	struct kv_fixture f;
	bool mounted = false;
	int i, nev = 0;

	if (!lsm_available() || !lsm_setup(&f, NULL, NULL, NULL, NULL))
		goto out;
	snprintf(p.mnt, sizeof(p.mnt), "%s/mnt", kvtest_tmpdir());
	snprintf(p.outside_mount, sizeof(p.outside_mount), "%s/outside-mnt", kvtest_tmpdir());
	if (!ASSERT_OK(mkdir(p.mnt, 0755), "mkdir") || !ASSERT_OK(mkdir(p.outside_mount, 0755), "mkdir") ||
	    !ASSERT_OK(mount("tmpfs", p.outside_mount, "tmpfs", 0, NULL), "outside_mount"))
		goto out;
	mounted = true;
	p.res = lt_results(10);
	p.victim = la_sleeper();
	if (!ASSERT_OK_PTR(p.res, "results") || !ASSERT_GE(p.victim, 1, "victim") ||
	    !ASSERT_EQ(kv_fixture_run(&f, NULL, proc_agent, &p), 0, "agent"))
		goto out;
	kv_fixture_collect(&f);
	for (i = 0; i < 10; i++) {
		if (!ASSERT_EQ(p.res[i], want[i].err, want[i].name) || !want[i].hook)
			continue;
		expect_event(&f, nev++, want[i].hook, want[i].err, want[i].cls, NULL, want[i].name);
	}
	ASSERT_EQ(kv_fixture_count(&f, "LSM_DENY"), 6, "quiet_probe_not_streamed");
	ev = kv_fixture_event(&f, "LSM_DENY", 0);
	ASSERT_EQ(kv_ev_int(ev, "target"), p.victim, "ptrace_target");
	ev = kv_fixture_event(&f, "LSM_DENY", 1);
	/* the decoder unpacks the kernel's pid | sig << 32 */
	ASSERT_EQ(kv_ev_int(ev, "target_pid"), p.victim, "kill_target");
	ASSERT_EQ(kv_ev_int(ev, "signal"), SIGCONT, "kill_signal");
	if (ASSERT_OK(kv_session_state_read(f.bpf, f.s.cgid, &st), "state")) {
		ASSERT_EQ(st.counts[KV_CLASS_PROCESS], 5, "process_violations");
		ASSERT_EQ(st.counts[KV_CLASS_FILE], 1, "file_violations");
	}
	/* outside every session: allowed */
	if (ASSERT_EQ(kv_run_outside(proc_agent, &p), 0, "outside")) {
		ASSERT_EQ(p.res[0], 0, "outside_ptrace");
		ASSERT_EQ(p.res[1], 0, "outside_kill");
		ASSERT_EQ(p.res[2], 0, "outside_environ");
		ASSERT_EQ(p.res[3], 0, "outside_mount");
		ASSERT_EQ(p.res[4], 0, "outside_umount");
		ASSERT_EQ(p.res[5], 0, "outside_bpf");
		mounted = false; /* the outside agent unmounted it */
	}
out:
	la_reap(p.victim);
	if (mounted)
		umount2(p.outside_mount, MNT_DETACH);
	lsm_teardown(&f);
}

struct cg_arg {
	char to[PATH_MAX];
};

static int leave_cgroup(void *arg)
{
	struct cg_arg *c = arg;

	return -kv_cgroup_move(c->to, getpid());
}

/* Leaving the session: cgroupfs is outside the write roots, so writing
 * cgroup.procs anywhere else is refused, uid 0 and capabilities or not. */
KV_TEST(leave_cgroup_refused)
{
	struct kv_fixture f;
	struct lt_tree t;
	struct cg_arg c;

	if (!lsm_available() || !ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree") ||
	    !lsm_setup(&f, NULL, &t, NULL, NULL))
		goto out;
	snprintf(c.to, sizeof(c.to), "%s", f.agents_root);
	if (!ASSERT_EQ(kv_fixture_run(&f, NULL, leave_cgroup, &c), EACCES, "leave"))
		goto out;
	kv_fixture_collect(&f);
	expect_event(&f, 0, KV_LSM_FILE_OPEN, EACCES, "file", "/cgroup.procs", "event");
out:
	lsm_teardown(&f);
}

struct unix_arg {
	struct sockaddr_un path, dgram, abstract;
	socklen_t alen;
	int *res;
};

static int unix_agent(void *arg)
{
	struct unix_arg *u = arg;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	u->res[0] = connect(fd, (struct sockaddr *)&u->path, sizeof(u->path)) ? errno : 0;
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	u->res[1] = connect(fd, (struct sockaddr *)&u->abstract, u->alen) ? errno : 0;
	close(fd);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	u->res[2] = sendto(fd, "x", 1, 0, (struct sockaddr *)&u->dgram, sizeof(u->dgram)) < 0 ? errno : 0;
	close(fd);
	return 0;
}

static int listen_on(const struct sockaddr_un *a, socklen_t len, int type)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (const struct sockaddr *)a, len) ||
	    (type == SOCK_STREAM && listen(fd, 8)))
		return -errno;
	return fd;
}

/* Where the kernel has no cgroup/connect_unix (6.1), socket_connect and
 * socket_sendmsg judge AF_UNIX against the egress allowlist. */
KV_TEST(unix_connect_allowlist)
{
	const struct kv_features *feat;
	struct unix_arg u = { 0 };
	struct kv_egress_ukey k = { 0 };
	struct kv_egress_uval v = { 0 };
	struct kv_fixture f;
	int s1 = -1, s2 = -1, s3 = -1, fd, n;

	if (!lsm_available())
		return;
	feat = kv_features_get();
	if (feat->connect_unix.ok) {
		test__skip("this kernel has cgroup/connect_unix: egress.bpf.c judges AF_UNIX (%s)",
			   feat->connect_unix.detail);
		return;
	}
	if (!lsm_setup(&f, NULL, NULL, NULL, NULL))
		goto out;
	u.path.sun_family = u.dgram.sun_family = u.abstract.sun_family = AF_UNIX;
	snprintf(u.path.sun_path, sizeof(u.path.sun_path), "%s/s", kvtest_tmpdir());
	snprintf(u.dgram.sun_path, sizeof(u.dgram.sun_path), "%s/d", kvtest_tmpdir());
	n = snprintf(u.abstract.sun_path + 1, sizeof(u.abstract.sun_path) - 1, "kv-lsm-%d", getpid());
	u.alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	s1 = listen_on(&u.path, sizeof(u.path), SOCK_STREAM);
	s2 = listen_on(&u.abstract, u.alen, SOCK_STREAM);
	s3 = listen_on(&u.dgram, sizeof(u.dgram), SOCK_DGRAM);
	u.res = lt_results(3);
	if (!ASSERT_GE(s1, 0, "server") || !ASSERT_GE(s2, 0, "server") || !ASSERT_GE(s3, 0, "server") ||
	    !ASSERT_OK_PTR(u.res, "results") ||
	    !ASSERT_EQ(kv_fixture_run(&f, NULL, unix_agent, &u), 0, "agent"))
		goto out;
	ASSERT_EQ(u.res[0], EPERM, "connect_path_unlisted");
	ASSERT_EQ(u.res[1], EPERM, "connect_abstract_unlisted");
	ASSERT_EQ(u.res[2], EPERM, "sendto_unlisted");
	kv_fixture_collect(&f);
	expect_event(&f, 0, KV_LSM_UNIX_CONNECT, EPERM, "egress", "/s", "event_path");
	expect_event(&f, 1, KV_LSM_UNIX_CONNECT, EPERM, "egress", NULL, "event_abstract");
	ASSERT_HAS_SUBSTR(kv_ev_str(kv_fixture_event(&f, "LSM_DENY", 1), "path"), "@kv-lsm-",
			  "event_abstract_path");
	expect_event(&f, 2, KV_LSM_HOOK_UNIX_SENDMSG, EPERM, "egress", "/d", "event_sendto");

	/* listed in the egress allowlist (kv_egress.h format): allowed */
	fd = kv_bpf_map_fd(f.bpf, "kv_egress_unix");
	k.session_lo = (uint32_t)f.s.cgid;
	k.session_hi = (uint32_t)(f.s.cgid >> 32);
	snprintf((char *)k.path, sizeof(k.path), "%s", u.path.sun_path);
	k.prefixlen = KV_EGRESS_SESSION_BITS + 8 * (uint32_t)(strlen(u.path.sun_path) + 1);
	if (!ASSERT_GE(fd, 0, "map") || !ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_ANY), "allow"))
		goto out;
	if (ASSERT_EQ(kv_fixture_run(&f, NULL, unix_agent, &u), 0, "agent2"))
		ASSERT_EQ(u.res[0], 0, "connect_path_listed");
	bpf_map_delete_elem(fd, &k);
	/* outside every session: all allowed */
	if (ASSERT_EQ(kv_run_outside(unix_agent, &u), 0, "outside")) {
		ASSERT_EQ(u.res[0], 0, "outside_connect");
		ASSERT_EQ(u.res[1], 0, "outside_abstract");
		ASSERT_EQ(u.res[2], 0, "outside_sendto");
	}
out:
	if (s1 >= 0)
		close(s1);
	if (s2 >= 0)
		close(s2);
	if (s3 >= 0)
		close(s3);
	lsm_teardown(&f);
}

static void *thread_fn(void *arg)
{
	return arg;
}

static int throttled_agent(void *arg)
{
	struct proc_arg *p = arg;
	pthread_t th;
	pid_t pid;

	/* one violation: THROTTLED at the default threshold */
	p->res[0] = kill(p->victim, SIGCONT) ? errno : 0;
	pid = fork();
	if (pid == 0)
		_exit(0);
	p->res[1] = pid < 0 ? errno : 0;
	if (pid > 0)
		waitpid(pid, NULL, 0);
	p->res[2] = pthread_create(&th, NULL, thread_fn, NULL);
	if (!p->res[2])
		pthread_join(th, NULL);
	return 0;
}

/* The gate valve's first step: no new processes, threads still start. */
KV_TEST(gate_throttled_no_fork)
{
	struct proc_arg p = { 0 };
	struct kv_session pol;
	struct kv_fixture f;

	kv_session_policy_defaults(&pol, 0xFFFF, 1);
	pol.flags |= KV_SF_ENFORCE_GATE;
	pol.thr_throttle = 1;
	if (!lsm_available() || !lsm_setup(&f, &pol, NULL, NULL, NULL))
		goto out;
	p.res = lt_results(3);
	p.victim = la_sleeper();
	if (!ASSERT_OK_PTR(p.res, "results") ||
	    !ASSERT_EQ(kv_fixture_run(&f, NULL, throttled_agent, &p), 0, "agent"))
		goto out;
	ASSERT_EQ(p.res[0], EPERM, "violation");
	ASSERT_EQ(p.res[1], EPERM, "fork_throttled");
	ASSERT_EQ(p.res[2], 0, "thread_allowed");
	kv_fixture_collect(&f);
	expect_event(&f, 1, KV_LSM_TASK_ALLOC, EPERM, "process", NULL, "event_fork");
	ASSERT_OK_PTR(kv_fixture_event(&f, "GATE_TRANSITION", 0), "gate_event");
out:
	la_reap(p.victim);
	lsm_teardown(&f);
}

/* remove() leaves nothing of the session in the policy maps. */
KV_TEST(policy_remove_leaves_nothing)
{
	struct kv_fixture f;
	struct lt_tree t;
	const char *maps[] = { "kv_lsm_inodes", "kv_lsm_names" };
	uint8_t key[64], *prev;
	size_t i;

	if (!lsm_available() || !ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree") ||
	    !lsm_setup(&f, NULL, &t, NULL, NULL))
		goto out;
	kv_lsm_policy_remove(f.bpf, f.s.cgid);
	for (i = 0; i < 2; i++) {
		int fd = kv_bpf_map_fd(f.bpf, maps[i]), n = 0;

		for (prev = NULL; !bpf_map_get_next_key(fd, prev, key); prev = key) {
			uint64_t s;

			memcpy(&s, key, sizeof(s));
			n += s == f.s.cgid;
		}
		ASSERT_EQ(n, 0, maps[i]);
	}
	ASSERT_ERR(bpf_map_lookup_elem(kv_bpf_map_fd(f.bpf, "kv_lsm_conf"), &f.s.cgid, key), "conf");
out:
	lsm_teardown(&f);
}
