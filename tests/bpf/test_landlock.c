// SPDX-License-Identifier: BSD-2-Clause
/* The file policy enforced by Landlock, the fallback where BPF-LSM cannot
 * load: the same attacks as test_lsm.c, run by an agent that applied the
 * plan to itself, asserting the kernel's answers; what Landlock cannot
 * express is asserted to be listed in the plan's limits instead. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include "features/features.h"
#include "kvtest.h"
#include "lsm/lsm.h"
#include "session/cgroup.h"
#include "test_lsm_agent.h"
#include "test_lsm_tree.h"

static int landlock_abi(void)
{
	const struct kv_features *f = kv_features_get();

	if (!f->landlock.ok || f->landlock_abi < 1) {
		test__skip("Landlock not available on this kernel: %s", f->landlock.detail);
		return 0;
	}
	return f->landlock_abi;
}

struct confined {
	const struct kv_landlock_plan *pl;
	int (*fn)(void *);
	void *arg;
	bool drop_caps;
};

static int drop_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* fn(arg) in a child that applied the plan first; its exit status. */
static int run_confined(const struct kv_landlock_plan *pl, int (*fn)(void *), void *arg,
			bool caps_dropped)
{
	char err[256];
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (caps_dropped && drop_caps())
			_exit(91);
		if (pl && kv_landlock_plan_apply(pl, err, sizeof(err))) {
			fprintf(stderr, "  agent: %s\n", err);
			_exit(90);
		}
		_exit(fn(arg));
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct setup {
	struct lt_tree t;
	struct kv_files_policy *p;
	struct kv_landlock_plan *pl;
	int abi;
};

static bool setup(struct setup *s, void (*tweak)(struct kv_files_input *, void *), void *arg)
{
	struct kv_files_input in;
	char err[512];

	memset(s, 0, sizeof(*s));
	s->abi = landlock_abi();
	if (!ASSERT_OK(lt_tree_make(&s->t, kvtest_tmpdir()), "tree"))
		return false;
	lt_tree_input(&s->t, &in);
	if (tweak)
		tweak(&in, arg);
	if (!ASSERT_OK(kv_files_policy_build(&in, &s->p, err, sizeof(err)), err))
		return false;
	return ASSERT_OK(kv_landlock_plan_build(s->p, s->abi, &s->pl, err, sizeof(err)), err);
}

static void teardown(struct setup *s)
{
	kv_landlock_plan_free(s->pl);
	kv_files_policy_free(s->p);
}

static bool has_limit(const struct kv_landlock_plan *pl, const char *needle)
{
	struct json_object *o = kv_landlock_plan_json(pl), *lim;
	bool found = false;
	size_t i;

	if (json_object_object_get_ex(o, "limits", &lim))
		for (i = 0; i < json_object_array_length(lim) && !found; i++)
			found = strstr(json_object_get_string(json_object_array_get_idx(lim, i)),
				       needle) != NULL;
	json_object_put(o);
	return found;
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
	struct setup s;
	struct probes_arg a = { .p = lt_file_probes, .n = lt_n_file_probes };
	char home_ssh[PATH_MAX + 8];
	size_t i;

	if (!setup(&s, NULL, NULL))
		goto out;
	a.t = &s.t;
	a.res = lt_results(a.n);
	if (!ASSERT_OK_PTR(a.res, "results") ||
	    !ASSERT_EQ(run_confined(s.pl, run_probes, &a, false), 0, "agent"))
		goto out;
	for (i = 0; i < a.n; i++) {
		const struct lt_probe *p = &lt_file_probes[i];
		int want = p->ll_errno;

		if (p->op == LT_TRUNCATE && s.abi < 3)
			want = 0; /* not restricted before ABI 3: listed in the limits */
		if (want != LT_UNCHECKED)
			ASSERT_EQ(a.res[i], want, p->name);
	}
	/* what the unchecked answers rest on is said, not hidden */
	ASSERT_TRUE(has_limit(s.pl, "name patterns"), "limit_names");
	ASSERT_TRUE(has_limit(s.pl, "1 secret file(s) have other hard links"), "limit_hardlink");
	ASSERT_TRUE(has_limit(s.pl, "chmod"), "limit_chmod");
	snprintf(home_ssh, sizeof(home_ssh), "%s was opened up", s.t.home);
	ASSERT_TRUE(has_limit(s.pl, home_ssh), "limit_opened_home");
	if (s.abi < 3)
		ASSERT_TRUE(has_limit(s.pl, "truncate(2)"), "limit_truncate");
out:
	teardown(&s);
}

struct rename_arg {
	const struct lt_tree *t;
	int ready, go;
	int res[2];
	int *out;
};

/* Waits until the parent renamed ~/.ssh (and added a file to it). */
static int read_after_rename(void *arg)
{
	struct rename_arg *a = arg;
	char path[PATH_MAX + 32], c = 'r';

	if (write(a->ready, &c, 1) != 1 || read(a->go, &c, 1) != 1)
		return 92;
	snprintf(path, sizeof(path), "%s/.ssh-moved/id_rsa", a->t->home);
	a->out[0] = open(path, O_RDONLY | O_CLOEXEC) < 0 ? errno : 0;
	snprintf(path, sizeof(path), "%s/.ssh-moved/later", a->t->home);
	a->out[1] = open(path, O_RDONLY | O_CLOEXEC) < 0 ? errno : 0;
	return 0;
}

/* Rules are bound to inodes when applied: a renamed secret directory, and
 * a file created in it later, stay out of reach. */
KV_TEST(secret_after_parent_rename)
{
	struct rename_arg a = { 0 };
	char from[PATH_MAX + 8], to[PATH_MAX + 16], later[PATH_MAX + 32], c;
	int ready[2], go[2], status = -1, fd;
	struct setup s;
	pid_t pid;

	if (!setup(&s, NULL, NULL))
		goto out;
	a.out = lt_results(2);
	if (!ASSERT_OK_PTR(a.out, "results") || !ASSERT_OK(pipe(ready), "pipe") ||
	    !ASSERT_OK(pipe(go), "pipe"))
		goto out;
	a.t = &s.t;
	a.ready = ready[1];
	a.go = go[0];
	pid = fork();
	if (pid == 0) {
		char err[256];

		if (kv_landlock_plan_apply(s.pl, err, sizeof(err)))
			_exit(90);
		_exit(read_after_rename(&a));
	}
	if (!ASSERT_EQ(read(ready[0], &c, 1), 1, "agent_ready"))
		goto wait;
	snprintf(from, sizeof(from), "%s/.ssh", s.t.home);
	snprintf(to, sizeof(to), "%s/.ssh-moved", s.t.home);
	ASSERT_OK(rename(from, to), "rename_parent");
	snprintf(later, sizeof(later), "%s/later", to);
	fd = open(later, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(write(go[1], "g", 1), 1, "go");
wait:
	waitpid(pid, &status, 0);
	if (ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "agent")) {
		ASSERT_EQ(a.out[0], EACCES, "read_renamed_secret");
		ASSERT_EQ(a.out[1], EACCES, "read_file_created_later");
	}
out:
	teardown(&s);
}

static void readonly_mask(struct kv_files_input *in, void *arg)
{
	(void)arg;
	in->trust_mask = 0;
}

static const struct lt_probe readonly_probes[] = {
	{ "create_in_workspace", LT_CREATE, "ws/new.txt", NULL, EACCES, EACCES, 0, NULL },
	{ "create_in_tmp", LT_CREATE, "tmp/new.txt", NULL, EACCES, EACCES, 0, NULL },
	{ "write_dev_null", LT_WRITE, "/dev/null", NULL, 0, 0, 0, NULL },
	{ "read_workspace", LT_READ, "ws/src/main.c", NULL, 0, 0, 0, NULL },
};

KV_TEST(mask_zero_no_writes)
{
	struct probes_arg a = { .p = readonly_probes, .n = 4 };
	struct setup s;
	size_t i;

	if (!setup(&s, readonly_mask, NULL))
		goto out;
	a.t = &s.t;
	a.res = lt_results(a.n);
	if (!ASSERT_OK_PTR(a.res, "results") ||
	    !ASSERT_EQ(run_confined(s.pl, run_probes, &a, false), 0, "agent"))
		goto out;
	for (i = 0; i < a.n; i++)
		ASSERT_EQ(a.res[i], readonly_probes[i].ll_errno, readonly_probes[i].name);
out:
	teardown(&s);
}

struct exec_arg {
	char script[PATH_MAX + 16];
	bool allow_sh;
	int *res;
};

static void exec_allow(struct kv_files_input *in, void *arg)
{
	static const char *allow[3];
	struct exec_arg *e = arg;

	allow[0] = "/bin/true";
	allow[1] = e->script;
	allow[2] = "/bin/sh";
	in->exec_allowlist = true;
	in->exec_allow = allow;
	in->n_exec_allow = e->allow_sh ? 3 : 2;
}

static int exec_agent(void *arg)
{
	struct exec_arg *e = arg;
	int fd = la_memfd_copy("/bin/true");

	e->res[0] = la_exec("/bin/true", -1);
	e->res[1] = la_exec("/bin/false", -1);
	e->res[2] = fd < 0 ? -fd : la_exec(NULL, fd);
	e->res[3] = la_exec(e->script, -1);
	/* the ELF loader run as the program, loading one off the list */
	e->res[4] = la_exec_arg("/lib64/ld-linux-x86-64.so.2", "/bin/false");
	return 0;
}

/* The allowlist as EXECUTE rights: the kernel checks them on the binary,
 * on a script's interpreter and on the ELF loader alike (the policy adds
 * the loader of each allowed binary). */
KV_TEST(exec_allowlist)
{
	struct exec_arg e = { 0 };
	struct setup s;
	int pass;

	snprintf(e.script, sizeof(e.script), "%s/run.sh", kvtest_tmpdir());
	if (!ASSERT_OK(la_script(e.script, "/bin/sh"), "script"))
		return;
	for (pass = 0; pass < 2; pass++) {
		e.allow_sh = pass == 1;
		if (!setup(&s, exec_allow, &e))
			break;
		e.res = lt_results(5);
		if (ASSERT_OK_PTR(e.res, "results") &&
		    ASSERT_EQ(run_confined(s.pl, exec_agent, &e, false), 0, "agent")) {
			ASSERT_EQ(e.res[0], 0, "exec_allowed_binary");
			ASSERT_EQ(e.res[1], EACCES, "exec_other_binary");
			/* a memfd has no path for Landlock to judge: said in the limits */
			ASSERT_TRUE(has_limit(s.pl, "memfd"), "limit_memfd");
			/* the loader must stay executable for Landlock: said in the limits */
			ASSERT_TRUE(has_limit(s.pl, "ld.so PROGRAM"), "limit_loader");
			if (e.allow_sh)
				ASSERT_EQ(e.res[3], 0, "exec_script_listed_interpreter");
			else
				ASSERT_EQ(e.res[3], EACCES, "exec_script_unlisted_interpreter");
		}
		teardown(&s);
	}
}

struct cg_arg {
	char from[PATH_MAX];
	char to[PATH_MAX];
};

static int leave_cgroup(void *arg)
{
	struct cg_arg *c = arg;

	return -kv_cgroup_move(c->to, getpid());
}

/* The agent must not move itself out of its session cgroup: cgroupfs is
 * outside the write roots, refused even to uid 0 with every capability. */
KV_TEST(leave_cgroup_refused)
{
	char root[PATH_MAX], base[PATH_MAX + 32];
	struct cg_arg c;
	struct setup s;

	if (geteuid()) {
		test__skip("needs root to create cgroups");
		return;
	}
	if (!setup(&s, NULL, NULL))
		goto out;
	if (!ASSERT_OK(kv_cgroup2_root(root, sizeof(root)), "cgroup2"))
		goto out;
	snprintf(base, sizeof(base), "%s/kavachos-ll-%d", root, (int)getpid());
	snprintf(c.from, sizeof(c.from), "%s/session", base);
	snprintf(c.to, sizeof(c.to), "%s/elsewhere", base);
	if (!ASSERT_OK(kv_cgroup_mkdir_p(c.from), "mkdir") ||
	    !ASSERT_OK(kv_cgroup_mkdir_p(c.to), "mkdir") ||
	    !ASSERT_OK(kv_cgroup_move(c.from, getpid()), "join"))
		goto cg;
	ASSERT_EQ(run_confined(s.pl, leave_cgroup, &c, false), EACCES, "root_with_caps");
	ASSERT_EQ(run_confined(s.pl, leave_cgroup, &c, true), EACCES, "root_caps_dropped");
	/* the control: the same move without Landlock works */
	ASSERT_EQ(run_confined(NULL, leave_cgroup, &c, false), 0, "unconfined_control");
cg:
	kv_cgroup_move(root, getpid());
	kv_cgroup_remove(base);
out:
	teardown(&s);
}

struct victim_arg {
	pid_t victim;
	int *res;
};

static int signal_agent(void *arg)
{
	struct victim_arg *v = arg;
	pid_t own = la_sleeper();

	v->res[0] = kill(v->victim, SIGUSR1) ? errno : 0;
	v->res[1] = kill(own, SIGKILL) ? errno : 0; /* its own child: allowed */
	waitpid(own, NULL, 0);
	return 0;
}

KV_TEST(signal_outside_refused)
{
	struct victim_arg v = { 0 };
	struct setup s;

	if (!setup(&s, NULL, NULL))
		goto out;
	if (s.abi < 6) {
		test__skip("Landlock ABI %d < 6 has no signal scoping (the PID namespace and the "
			   "syscall profile stand in)", s.abi);
		goto out;
	}
	ASSERT_TRUE(has_limit(s.pl, "signals") == false, "no_signal_limit_at_abi6");
	v.res = lt_results(2);
	v.victim = la_sleeper();
	if (ASSERT_OK_PTR(v.res, "results") && ASSERT_GE(v.victim, 1, "victim") &&
	    ASSERT_EQ(run_confined(s.pl, signal_agent, &v, false), 0, "agent")) {
		ASSERT_EQ(v.res[0], EPERM, "signal_outside");
		ASSERT_EQ(v.res[1], 0, "signal_own_child");
	}
	la_reap(v.victim);
out:
	teardown(&s);
}

static int ptrace_agent(void *arg)
{
	struct victim_arg *v = arg;

	v->res[0] = la_ptrace(v->victim);
	v->res[1] = la_read_environ(v->victim);
	v->res[2] = la_read_environ(getpid());
	return 0;
}

/* Landlock's own ptrace scoping (every ABI): nothing outside the domain
 * can be traced. Reading /proc/<pid>/environ (a read-mode check) is not
 * refused by every kernel's Landlock: the limits say so, and the
 * session's PID namespace is what hides those processes. */
KV_TEST(ptrace_outside_refused)
{
	struct victim_arg v = { 0 };
	struct setup s;

	if (!setup(&s, NULL, NULL))
		goto out;
	v.res = lt_results(3);
	v.victim = la_sleeper();
	if (ASSERT_OK_PTR(v.res, "results") && ASSERT_GE(v.victim, 1, "victim") &&
	    ASSERT_EQ(run_confined(s.pl, ptrace_agent, &v, false), 0, "agent")) {
		ASSERT_EQ(v.res[0], EPERM, "ptrace_outside");
		if (v.res[1] != EACCES)
			ASSERT_TRUE(has_limit(s.pl, "environ"), "limit_environ");
		ASSERT_EQ(v.res[2], 0, "environ_self");
	}
	la_reap(v.victim);
out:
	teardown(&s);
}

struct prebuilt_arg {
	const struct kv_landlock_plan *pl;
	int rfd;
	struct probes_arg probes;
	char swapped[PATH_MAX + 16];
	int swapped_read;
};

static int enforce_then_probe(void *arg)
{
	struct prebuilt_arg *a = arg;
	char err[256];
	int fd;

	if (kv_landlock_ruleset_enforce(kv_landlock_plan_restrict_flags(a->pl), a->rfd, err,
					sizeof(err))) {
		fprintf(stderr, "  agent: %s\n", err);
		return 90;
	}
	lt_run_probes(a->probes.t, a->probes.p, a->probes.n, a->probes.res);
	fd = open(a->swapped, O_RDONLY | O_CLOEXEC);
	a->probes.res[a->probes.n] = fd < 0 ? errno : 0;
	return 0;
}

/* The ruleset built in kavachos before the fork (while the daemon seals the
 * genesis) and only enforced by the child answers as the child's own; a
 * directory of the plan that became a file before the ruleset was built
 * gets the file rights (readable like its neighbours), not an error. */
KV_TEST(ruleset_built_before_the_fork)
{
	struct prebuilt_arg a = { .rfd = -1 };
	struct kv_files_input in;
	char err[512];
	struct setup s;
	size_t i;
	int fd;

	memset(&s, 0, sizeof(s));
	s.abi = landlock_abi();
	if (!s.abi || !ASSERT_OK(lt_tree_make(&s.t, kvtest_tmpdir()), "tree"))
		goto out;
	snprintf(a.swapped, sizeof(a.swapped), "%s/was-a-dir", s.t.home);
	if (!ASSERT_OK(mkdir(a.swapped, 0755), "dir"))
		goto out;
	lt_tree_input(&s.t, &in);
	if (!ASSERT_OK(kv_files_policy_build(&in, &s.p, err, sizeof(err)), err) ||
	    !ASSERT_OK(kv_landlock_plan_build(s.p, s.abi, &s.pl, err, sizeof(err)), err))
		goto out;
	rmdir(a.swapped);
	fd = open(a.swapped, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (!ASSERT_GE(fd, 0, "now a file"))
		goto out;
	close(fd);
	a.pl = s.pl;
	a.rfd = kv_landlock_ruleset_create(s.pl, err, sizeof(err));
	if (!ASSERT_GE(a.rfd, 0, err))
		goto out;
	a.probes.t = &s.t;
	a.probes.p = lt_file_probes;
	a.probes.n = lt_n_file_probes;
	a.probes.res = lt_results(a.probes.n + 1);
	if (!ASSERT_OK_PTR(a.probes.res, "results") ||
	    !ASSERT_EQ(run_confined(NULL, enforce_then_probe, &a, false), 0, "agent"))
		goto out;
	for (i = 0; i < a.probes.n; i++) {
		const struct lt_probe *p = &lt_file_probes[i];
		int want = p->ll_errno;

		if (p->op == LT_TRUNCATE && s.abi < 3)
			want = 0;
		if (want != LT_UNCHECKED)
			ASSERT_EQ(a.probes.res[i], want, p->name);
	}
	ASSERT_EQ(a.probes.res[a.probes.n], 0, "swapped path readable as a file");
out:
	if (a.rfd >= 0)
		close(a.rfd);
	teardown(&s);
}
