// SPDX-License-Identifier: BSD-2-Clause
/* File/exec enforcement benchmark: open+close of a cached file and
 * fork+exec of /bin/true, for a process outside every session and one
 * inside a session with a file policy applied, under
 *   - no program (nothing loaded; measured before loading and after
 *     unloading, both folded into the baseline), outside and in the
 *     session's cgroup (a task in a non-root cgroup pays the kernel's own
 *     accounting: the in-session rows are judged against that),
 *   - an empty lsm/file_open program: the floor of the mechanism, what
 *     any BPF-LSM program on that hook costs (its trampoline),
 *   - the other KavachOS objects without lsm.bpf.c, then all of them with
 *     it (as kavachos run loads them) where BPF-LSM works, plus the
 *     kernel's own per-invocation cost of each hook (BPF_ENABLE_STATS
 *     run_time_ns / run_cnt),
 *   - a process in the session's cgroup and one outside in fine turns
 *     (bursts, median of the pairs' ratios), without and with every
 *     object: emulation drifts more between rows than the effect measured,
 *     and turns cancel that,
 *   - on kernels without BPF-LSM: the Landlock ruleset the fallback
 *     applies, for a process that restricted itself.
 * Every ratio is against the no-program cost measured in this run.
 * Usage: bench_lsm [OPEN_ITERS [EXEC_ITERS]] */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "bpf/loader.h"
#include "features/features.h"
#include "lsm/lsm.h"
#include "session/cgroup.h"
#include "session/session.h"

#define REPEATS 5

static long open_iters = 20000, exec_iters = 100;
static char dir[PATH_MAX], file[PATH_MAX + 16];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* µs per open+close of the (page-cached) file, n times */
static double open_close_n(long n)
{
	double t0 = now_s();
	long i;

	for (i = 0; i < n; i++) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			perror("bench_lsm: open");
			exit(1);
		}
		close(fd);
	}
	return (now_s() - t0) / (double)n * 1e6;
}

static double open_close(void)
{
	return open_close_n(open_iters);
}

/* µs per fork + exec /bin/true + wait */
static double fork_exec(void)
{
	double t0 = now_s();
	long i;

	for (i = 0; i < exec_iters; i++) {
		int status;
		pid_t p = fork();

		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (p < 0 || waitpid(p, &status, 0) != p || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			fprintf(stderr, "bench_lsm: fork+exec failed\n");
			exit(1);
		}
	}
	return (now_s() - t0) / (double)exec_iters * 1e6;
}

struct sample {
	double open_us, exec_us;
};

/* One sample in a child: placed in cgroup (or left where it is), then
 * optionally restricted by a Landlock plan. */
static struct sample sample_in(const char *cgroup, const struct kv_landlock_plan *pl)
{
	struct sample s = { 0, 0 };
	char err[256];
	int pfd[2];
	pid_t pid;

	if (pipe(pfd))
		exit(1);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		if (cgroup && kv_cgroup_move(cgroup, getpid()))
			_exit(1);
		if (pl && kv_landlock_plan_apply(pl, err, sizeof(err))) {
			fprintf(stderr, "bench_lsm: %s\n", err);
			_exit(1);
		}
		open_close(); /* warm up: dentries, page cache */
		s.open_us = open_close();
		s.exec_us = fork_exec();
		_exit(write(pfd[1], &s, sizeof(s)) == sizeof(s) ? 0 : 1);
	}
	close(pfd[1]);
	if (read(pfd[0], &s, sizeof(s)) != sizeof(s)) {
		fprintf(stderr, "bench_lsm: a measurement failed\n");
		exit(1);
	}
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	return s;
}

/* Emulation drifts over seconds, more than the effect measured: so a
 * process in cgroup and one outside it take turns, PAIRS bursts of BURST
 * open+close each, under the same programs; the median of the pairs'
 * ratios (inside / outside) cancels the drift. */
#define PAIRS 31
#define BURST 2000

static pid_t burst_worker(const char *cgroup, int cmd[2], int res[2])
{
	pid_t pid;
	double us;
	char c;

	if (pipe(cmd) || pipe(res))
		exit(1);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(cmd[1]);
		close(res[0]);
		if (cgroup && kv_cgroup_move(cgroup, getpid()))
			_exit(1);
		open_close_n(BURST); /* warm up */
		while (read(cmd[0], &c, 1) == 1) {
			us = open_close_n(BURST);
			if (write(res[1], &us, sizeof(us)) != sizeof(us))
				_exit(1);
		}
		_exit(0);
	}
	close(cmd[0]);
	close(res[1]);
	return pid;
}

static double burst(int cmd, int res)
{
	double us;

	if (write(cmd, "g", 1) != 1 || read(res, &us, sizeof(us)) != sizeof(us)) {
		fprintf(stderr, "bench_lsm: a burst failed\n");
		exit(1);
	}
	return us;
}

static double paired_ratio(const char *cgroup)
{
	int in_cmd[2], in_res[2], out_cmd[2], out_res[2], i;
	pid_t a = burst_worker(cgroup, in_cmd, in_res), b = burst_worker(NULL, out_cmd, out_res);
	double r[PAIRS], ti, to;

	for (i = 0; i < PAIRS; i++) {
		/* alternate who goes first: neither always follows the other */
		if (i % 2) {
			to = burst(out_cmd[1], out_res[0]);
			ti = burst(in_cmd[1], in_res[0]);
		} else {
			ti = burst(in_cmd[1], in_res[0]);
			to = burst(out_cmd[1], out_res[0]);
		}
		r[i] = ti / to;
	}
	close(in_cmd[1]);
	close(out_cmd[1]);
	close(in_res[0]);
	close(out_res[0]);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	return median(r, PAIRS);
}

struct series {
	double open[REPEATS], exec[REPEATS];
	int n;
};

static void add(struct series *x, struct sample s)
{
	x->open[x->n] = s.open_us;
	x->exec[x->n++] = s.exec_us;
}

static void row(const char *name, struct series *x, double base_open, double base_exec)
{
	double o = median(x->open, x->n), e = median(x->exec, x->n);

	printf("  %-34s open+close %8.2f µs (x%.3f)   fork+exec %9.1f µs (x%.3f)\n", name, o,
	       base_open ? o / base_open : 0, e, base_exec ? e / base_exec : 0);
}

static struct kv_files_policy *policy(void)
{
	struct kv_files_policy *p = NULL;
	struct kv_files_input in = { .trust_mask = 0xFF, .workspace = dir };
	char home[PATH_MAX + 8], err[256];

	snprintf(home, sizeof(home), "%s/home", dir);
	mkdir(home, 0700);
	in.home = home;
	if (kv_files_policy_build(&in, &p, err, sizeof(err))) {
		fprintf(stderr, "bench_lsm: policy: %s\n", err);
		exit(1);
	}
	return p;
}

struct hook_stat {
	const char *prog;
	__u64 ns, cnt;
};

static void hook_stats(const struct kv_bpf *b, struct hook_stat *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = kv_bpf_prog_fd(b, h[i].prog);

		h[i].ns = h[i].cnt = 0;
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
			h[i].ns = info.run_time_ns;
			h[i].cnt = info.run_cnt;
		}
	}
}

static void print_hook_delta(const char *where, const struct hook_stat *a,
			     const struct hook_stat *b, size_t n)
{
	size_t i;

	printf("  kernel cost per invocation, %s (bpf_stats):\n", where);
	for (i = 0; i < n; i++) {
		__u64 cnt = b[i].cnt - a[i].cnt, ns = b[i].ns - a[i].ns;

		if (cnt)
			printf("    %-16s %8.0f ns  (%llu runs)\n", a[i].prog, (double)ns / (double)cnt,
			       (unsigned long long)cnt);
	}
}

/* r0 = 0; exit -- as lsm/file_open: what any BPF-LSM program on the hook
 * costs (the trampoline), the floor of the mechanism. Returns the link fd
 * (closing it detaches) or negative errno. */
static int empty_file_open(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct btf *vm = btf__load_vmlinux_btf();
	int id = vm ? btf__find_by_name_kind(vm, "bpf_lsm_file_open", BTF_KIND_FUNC) : -ENOENT;
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_LSM_MAC);
	int prog, fd;

	btf__free(vm);
	if (id < 0)
		return id;
	po.attach_btf_id = (__u32)id;
	prog = bpf_prog_load(BPF_PROG_TYPE_LSM, "kv_bench_empty", "GPL", insns, 2, &po);
	if (prog < 0)
		return prog;
	fd = bpf_link_create(prog, 0, BPF_LSM_MAC, NULL);
	close(prog); /* the link holds the program */
	return fd < 0 ? -errno : fd;
}

/* The objects loaded and attached to the agents' root; with lsm, the
 * session registered with a file policy too. */
static struct kv_bpf *load(const struct kv_session_info *si, int cg, bool lsm,
			   const struct kv_files_policy *p)
{
	struct kv_bpf_opts o = { .session_level = (uint32_t)si->level, .lsm = lsm };
	struct kv_syscall_policy sp;
	struct kv_session pol;
	struct kv_bpf *b = NULL;

	if (kv_bpf_open_load(&o, &b) || kv_bpf_attach(b, cg)) {
		fprintf(stderr, "bench_lsm: loading the BPF objects failed\n");
		exit(1);
	}
	kv_session_policy_defaults(&pol, 0xFF, 1);
	memset(&sp, 0, sizeof(sp));
	memset(sp.allow, 0xff, sizeof(sp.allow));
	if (kv_session_maps_register(b, si->cgid, &pol, &sp) ||
	    (lsm && kv_lsm_policy_apply(b, si->cgid, p))) {
		fprintf(stderr, "bench_lsm: registering the session failed\n");
		exit(1);
	}
	return b;
}

static void unload(struct kv_bpf *b, const struct kv_session_info *si)
{
	kv_lsm_policy_remove(b, si->cgid);
	kv_session_maps_unregister(b, si->cgid);
	kv_bpf_destroy(b);
}

/* Rounds interleave the configurations (each loads its objects afresh),
 * so that drift of a shared machine spreads over all of them. */
static int bench_bpf_lsm(void)
{
	struct hook_stat h0[] = { { "kv_file_open" }, { "kv_bprm_check" }, { "kv_task_alloc" },
				  { "kv_bprm_commit" } };
	enum { NH = sizeof(h0) / sizeof(h0[0]) };
	struct hook_stat h1[NH], h2[NH];
	struct series base = { 0 }, base_cg = { 0 }, floor = { 0 }, others = { 0 }, out = { 0 },
		      in = { 0 };
	struct kv_session_info si;
	struct kv_files_policy *p = policy();
	struct kv_bpf *b;
	char root[PATH_MAX], agents[PATH_MAX + 32], id[KV_SESSION_ID_LEN];
	double bo, be, pr_none, pr_all;
	int i, cg, stats_fd, fl = 0;

	if (kv_cgroup2_root(root, sizeof(root))) {
		fprintf(stderr, "bench_lsm: no cgroup2 hierarchy\n");
		return 1;
	}
	snprintf(agents, sizeof(agents), "%s/kavachos-bench-lsm-%d", root, (int)getpid());
	if (kv_cgroup_mkdir_p(agents) || kv_session_new_id(id) ||
	    kv_session_cgroup_create(agents, id, &si)) {
		fprintf(stderr, "bench_lsm: cannot create cgroups under %s\n", agents);
		return 1;
	}
	cg = open(agents, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < REPEATS; i++) {
		add(&base, sample_in(NULL, NULL));
		/* the same cgroup without programs: what the kernel charges a
		 * task in a non-root cgroup (memcg accounting) is not ours */
		add(&base_cg, sample_in(si.cgroup, NULL));
		fl = empty_file_open();
		if (fl >= 0) {
			add(&floor, sample_in(NULL, NULL));
			close(fl);
		}
		/* the other hook groups alone (tracepoints, cgroup hooks) */
		b = load(&si, cg, false, p);
		add(&others, sample_in(NULL, NULL));
		unload(b, &si);
		/* every object, as kavachos run loads them */
		b = load(&si, cg, true, p);
		add(&out, sample_in(NULL, NULL));
		add(&in, sample_in(si.cgroup, NULL));
		unload(b, &si);
	}
	/* inside vs outside in fine turns, without programs, then with all */
	pr_none = paired_ratio(si.cgroup);
	b = load(&si, cg, true, p);
	pr_all = paired_ratio(si.cgroup);
	unload(b, &si);
	/* the kernel's per-run cost, in a pass of its own: bpf_stats adds two
	 * clock reads per run that the wall-clock rows must not carry */
	b = load(&si, cg, true, p);
	memcpy(h1, h0, sizeof(h0));
	memcpy(h2, h0, sizeof(h0));
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME); /* on while the fd is open */
	hook_stats(b, h0, NH);
	sample_in(NULL, NULL);
	hook_stats(b, h1, NH);
	sample_in(si.cgroup, NULL);
	hook_stats(b, h2, NH);
	if (stats_fd >= 0)
		close(stats_fd);
	unload(b, &si);
	close(cg);

	bo = median(base.open, base.n);
	be = median(base.exec, base.n);
	printf("bench_lsm: BPF-LSM (%s), %ld open+close, %ld fork+exec per sample, median of %d "
	       "interleaved rounds\n",
	       kv_features_get()->kernel, open_iters, exec_iters, REPEATS);
	row("no program", &base, bo, be);
	row("no program, in the session's cgroup", &base_cg, bo, be);
	if (floor.n)
		row("empty lsm/file_open program (floor)", &floor, bo, be);
	else
		printf("  (no floor row: an empty lsm/file_open program: %s)\n", strerror(-fl));
	row("other objects, no lsm (outside)", &others, bo, be);
	row("all + lsm.bpf.c, outside sessions", &out, bo, be);
	row("all + lsm.bpf.c, inside a session", &in, bo, be);
	printf("  inside a session vs the same cgroup without programs: open+close x%.3f, "
	       "fork+exec x%.3f (what our programs cost a session's process)\n",
	       median(in.open, in.n) / median(base_cg.open, base_cg.n),
	       median(in.exec, in.n) / median(base_cg.exec, base_cg.n));
	if (floor.n)
		printf("  outside sessions vs the floor: open+close x%.3f (what our programs add over "
		       "any program on the hook)\n",
		       median(out.open, out.n) / median(floor.open, floor.n));
	printf("  lsm.bpf.c alone, outside: open+close x%.3f, fork+exec x%.3f (vs other objects)\n",
	       median(out.open, out.n) / median(others.open, others.n),
	       median(out.exec, out.n) / median(others.exec, others.n));
	printf("  in turns (%d pairs of %d open+close, median ratio inside / outside the session's "
	       "cgroup): no program x%.3f, all objects x%.3f -> a session's open+close pays x%.3f "
	       "over an outside process's\n",
	       PAIRS, BURST, pr_none, pr_all, pr_all / pr_none);
	print_hook_delta("outside", h0, h1, NH);
	print_hook_delta("inside", h1, h2, NH);
	if (h1[0].cnt > h0[0].cnt && h2[0].cnt > h1[0].cnt)
		printf("  kv_file_open as a share of the no-program open+close: outside %.1f%%, "
		       "inside %.1f%%\n",
		       (double)(h1[0].ns - h0[0].ns) / (double)(h1[0].cnt - h0[0].cnt) / 1e3 / bo * 100,
		       (double)(h2[0].ns - h1[0].ns) / (double)(h2[0].cnt - h1[0].cnt) / 1e3 / bo * 100);
	if (stats_fd < 0)
		printf("  (bpf_stats unavailable: %s)\n", strerror(-stats_fd));
	kv_files_policy_free(p);
	rmdir(si.cgroup);
	kv_cgroup_remove(agents);
	return 0;
}

static int bench_landlock(const struct kv_features *f)
{
	struct series base = { 0 }, ll = { 0 };
	struct kv_landlock_plan *pl = NULL;
	struct kv_files_policy *p = policy();
	char err[256];
	double bo, be;
	int i;

	if (kv_landlock_plan_build(p, f->landlock_abi, &pl, err, sizeof(err))) {
		fprintf(stderr, "bench_lsm: landlock: %s\n", err);
		return 1;
	}
	for (i = 0; i < REPEATS; i++) {
		add(&base, sample_in(NULL, NULL));
		add(&ll, sample_in(NULL, pl));
	}
	bo = median(base.open, base.n);
	be = median(base.exec, base.n);
	printf("bench_lsm: Landlock ABI %d fallback (%zu rules), %ld open+close, %ld fork+exec per "
	       "sample, median of %d\n",
	       f->landlock_abi, kv_landlock_plan_rules(pl), open_iters, exec_iters, REPEATS);
	row("no ruleset", &base, bo, be);
	row("landlock ruleset (agent restricted)", &ll, bo, be);
	kv_landlock_plan_free(pl);
	kv_files_policy_free(p);
	return 0;
}

int main(int argc, char **argv)
{
	const struct kv_features *f;
	int fd, rc = 0;

	if (argc > 1)
		open_iters = atol(argv[1]);
	if (argc > 2)
		exec_iters = atol(argv[2]);
	if (open_iters < 1 || exec_iters < 1) {
		fprintf(stderr, "usage: bench_lsm [OPEN_ITERS [EXEC_ITERS]]\n");
		return 2;
	}
	if (geteuid()) {
		fprintf(stderr, "bench_lsm: needs root (BPF, cgroups)\n");
		return 1;
	}
	snprintf(dir, sizeof(dir), "/tmp/kv-bench-lsm-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(file, sizeof(file), "%s/cached.txt", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "cached\n", 7) != 7)
		return 1;
	close(fd);

	f = kv_features_get();
	if (f->bpf_lsm.ok) {
		rc = bench_bpf_lsm();
	} else {
		printf("bench_lsm: BPF-LSM unavailable on this kernel (%s): measuring the Landlock "
		       "fallback only; run it in the VM for BPF-LSM numbers "
		       "(tests/vm/vmtest.sh -- build/bench/bench_lsm)\n",
		       f->bpf_lsm.detail);
		if (f->landlock_abi > 0)
			rc = bench_landlock(f);
		else
			printf("bench_lsm: no Landlock either: nothing to measure\n");
	}
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			rc = rc ?: 1;
	}
	return rc;
}
