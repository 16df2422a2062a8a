// SPDX-License-Identifier: BSD-2-Clause
/* The tracepoints' cost and the event path's throughput (issue 5):
 *  1. a process outside every session: getppid() loop and a dd-like
 *     512-byte read/write loop, with no program; with the daemon's objects
 *     and no live session (the syscall tracepoint is attached on demand);
 *     with an empty raw_syscalls program (the kernel's floor: every
 *     syscall of the host takes the slow path); with kv_sys_exit attached
 *     (a session live elsewhere) -- or, where trampolines and BPF-LSM work,
 *     with kv_seccomp_exit (fexit on seccomp's verdict: only processes with
 *     a seccomp filter pay, measured too); plus the counter's run_time_ns.
 *  2. violations -> ring buffer -> sealed receipts (group commit): events/s
 *     sealed and events lost at 1k, 10k and 100k violations/s offered.
 * Every ratio is against a baseline measured in this same run. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <seccomp.h>
#include "bench_common.h"
#include "bpf/loader.h"
#include "features/features.h"
#include "receipts/receipts.h"
#include "run/runtime.h"
#include "session/cgroup.h"
#include "session/session.h"

#define REPEATS 5

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void op_getppid(void *ctx)
{
	(void)ctx;
	syscall(SYS_getppid);
}

/* dd bs=512 from /dev/zero to /dev/null: fds[0] in, fds[1] out */
static void op_dd(void *ctx)
{
	const int *fds = ctx;
	char buf[512];

	if (read(fds[0], buf, sizeof(buf)) != sizeof(buf) ||
	    write(fds[1], buf, sizeof(buf)) != sizeof(buf))
		abort();
}

/* ns per call of op, median of REPEATS runs of n calls */
static double time_op(void (*op)(void *), void *ctx, long n)
{
	double t[REPEATS];
	int r;
	long i;

	for (r = 0; r < REPEATS; r++) {
		double t0 = now_s();

		for (i = 0; i < n; i++)
			op(ctx);
		t[r] = (now_s() - t0) * 1e9 / (double)n;
	}
	qsort(t, REPEATS, sizeof(double), cmp_d);
	return t[REPEATS / 2];
}

static void prog_stats(int fd, unsigned long long *ns, unsigned long long *cnt)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	*ns = *cnt = 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		*ns = info.run_time_ns;
		*cnt = info.run_cnt;
	}
}

/* getppid in a child that has a seccomp filter (allow all), like a
 * container or a systemd service outside any session: what seccomp-side
 * counting costs it. ns per call, or 0. */
static double time_filtered(long n)
{
	double t = 0;
	int pfd[2];
	pid_t pid;

	if (pipe(pfd))
		return 0;
	pid = fork();
	if (pid == 0) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

		if (!ctx || seccomp_load(ctx))
			_exit(1);
		t = time_op(op_getppid, NULL, n);
		if (write(pfd[1], &t, sizeof(t)) != sizeof(t))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &t, sizeof(t)) != sizeof(t))
		t = 0;
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return t;
}

/* r0 = 0; exit -- attached to raw_syscalls:sys_exit. Returns the raw
 * tracepoint fd (closing it detaches) or negative errno. */
static int empty_sys_exit(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int prog, fd;

	prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "kv_bench_empty", "GPL", insns, 2, NULL);
	if (prog < 0)
		return prog;
	fd = bpf_raw_tracepoint_open("sys_exit", prog);
	close(prog); /* the attachment holds the program */
	return fd < 0 ? -errno : fd;
}

/* A child in the session: n refused mkdir calls paced at rate/s. */
static void violate(const char *cg, long n, long rate)
{
	double t0;
	long i;

	bench_join_refusing_mkdir(cg);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		syscall(SYS_mkdir, "/nonexistent-kv-bench", 0700);
		/* pace: never ahead of the offered rate */
		while ((double)(i + 1) / rate > now_s() - t0)
			;
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	char root[PATH_MAX], agents[PATH_MAX + 32], state[] = "/tmp/kv-bench-track.XXXXXX";
	struct kv_bpf_opts bo = { 0 };
	struct kv_session_info si;
	struct kv_session pol;
	struct kv_syscall_policy sp;
	struct kv_runtime *rt = NULL;
	struct kv_bpf *b = NULL;
	double base_null, base_dd, idle_null, idle_dd, empty_null, empty_dd, prog_null, prog_dd;
	double base_filt, prog_filt;
	const char *counter;
	unsigned long long ns0, c0, ns1, c1;
	static const long rates[] = { 1000, 10000, 100000, 400000 };
	int cgfd, i, statsfd, dd[2], emptyfd;

	if (geteuid()) {
		fprintf(stderr, "bench_track: needs root\n");
		return 3;
	}
	if (kv_cgroup2_root(root, sizeof(root)))
		return 3;
	snprintf(agents, sizeof(agents), "%s/kv-bench-track-%d", root, (int)getpid());
	kv_cgroup_mkdir_p(agents);

	/* 1. outside every session. Timed with bpf_stats off (stats add two
	 * clock reads per program run); the kernel's per-run cost separately. */
	dd[0] = open("/dev/zero", O_RDONLY);
	dd[1] = open("/dev/null", O_WRONLY);
	base_null = time_op(op_getppid, NULL, n);
	base_dd = time_op(op_dd, dd, n / 4);
	base_filt = time_filtered(n);
	bo.session_level = (uint32_t)kv_cgroup_level(agents) + 1;
	bo.on_demand = true; /* as the daemon loads them */
	bo.lsm = kv_features_get()->bpf_lsm.ok;
	cgfd = open(agents, O_RDONLY | O_DIRECTORY);
	if (kv_bpf_open_load(&bo, &b) || kv_bpf_attach(b, cgfd)) {
		fprintf(stderr, "bench_track: cannot load/attach\n");
		return 1;
	}
	idle_null = time_op(op_getppid, NULL, n);
	idle_dd = time_op(op_dd, dd, n / 4);
	/* the floor of the mechanism: any raw_syscalls program, even an empty one */
	emptyfd = empty_sys_exit();
	empty_null = emptyfd >= 0 ? time_op(op_getppid, NULL, n) : 0;
	empty_dd = emptyfd >= 0 ? time_op(op_dd, dd, n / 4) : 0;
	if (emptyfd >= 0) {
		close(emptyfd);
		usleep(300000); /* the kernel releases a closed link from a work queue */
	}
	if (kv_bpf_demand(b, true, NULL) < 0) {
		fprintf(stderr, "bench_track: cannot attach the syscall tracepoint\n");
		return 1;
	}
	prog_null = time_op(op_getppid, NULL, n);
	prog_dd = time_op(op_dd, dd, n / 4);
	prog_filt = time_filtered(n);
	counter = kv_bpf_prog_fd(b, "kv_sys_exit") >= 0 ? "kv_sys_exit" : "kv_seccomp_exit";
	statsfd = bpf_enable_stats(BPF_STATS_RUN_TIME); /* held open: stats on */
	prog_stats(kv_bpf_prog_fd(b, counter), &ns0, &c0);
	time_filtered(n / 4); /* the seccomp-side counter only runs for filtered tasks */
	time_op(op_getppid, NULL, n / 4);
	prog_stats(kv_bpf_prog_fd(b, counter), &ns1, &c1);
	close(dd[0]);
	close(dd[1]);
	printf("process outside any session (%ld iterations, median of %d, ratios to no program):\n", n,
	       REPEATS);
	printf("  %-48s %9s %9s   %s\n", "", "getppid", "dd 512", "goal <= 1.15 / 1.02");
	printf("  %-48s %7.1fns %7.1fns\n", "no program", base_null, base_dd);
	printf("  %-48s %8.3fx %8.3fx%s\n", "daemon, no live session (tracepoint detached)",
	       idle_null / base_null, idle_dd / base_dd,
	       idle_null / base_null <= 1.15 && idle_dd / base_dd <= 1.02 ? "   met" : "   not met");
	if (emptyfd >= 0)
		printf("  %-48s %8.3fx %8.3fx   (the kernel's floor for any syscall tracepoint)\n",
		       "an empty raw_syscalls:sys_exit program", empty_null / base_null,
		       empty_dd / base_dd);
	else
		printf("  an empty raw_syscalls:sys_exit program: cannot load (%s)\n", strerror(-emptyfd));
	printf("  %-48s %8.3fx %8.3fx%s\n",
	       strcmp(counter, "kv_sys_exit") ? "a session live elsewhere (seccomp-side counting)"
					      : "a session live elsewhere (kv_sys_exit attached)",
	       prog_null / base_null, prog_dd / base_dd,
	       prog_null / base_null <= 1.15 && prog_dd / base_dd <= 1.02 ? "   met" : "   not met");
	if (base_filt > 0 && prog_filt > 0)
		printf("  %-48s %8.3fx   (%.1f ns -> %.1f ns, a seccomp filter of its own)\n",
		       "  same, a process outside with a seccomp filter", prog_filt / base_filt,
		       base_filt, prog_filt);
	printf("  kernel-measured %s: %.1f ns per invocation over %llu runs%s\n", counter,
	       c1 > c0 ? (double)(ns1 - ns0) / (double)(c1 - c0) : 0.0, c1 - c0,
	       statsfd < 0 ? " (bpf_stats unavailable)" : "");

	/* 2. violations -> ring buffer -> sealed receipts */
	if (!mkdtemp(state))
		return 1;
	kv_session_policy_defaults(&pol, 0xFFFF, 1);
	pol.thr_throttle = pol.thr_crack = pol.thr_lock = pol.burst_count = 0;
	pol.event_rate = 10000000; /* measure the path, not the limiter */
	bench_policy_all_but_mkdir(&sp);
	if (kv_runtime_start(b, &rt)) {
		fprintf(stderr, "bench_track: runtime\n");
		return 1;
	}
	printf("events: violations -> ring buffer -> sealed receipts (group commit):\n");
	for (i = 0; i < (int)(sizeof(rates) / sizeof(rates[0])); i++) {
		struct kv_session_state st;
		struct kv_chain *chain;
		long offered = rates[i] / 2; /* half a second at each rate */
		double t0, t1;
		pid_t pid;
		uint64_t seq0;

		if (bench_session_start(rt, agents, state, KV_SYNC_GROUP, &pol, &sp, &si, &chain))
			return 1;
		seq0 = kv_chain_seq(chain);
		t0 = now_s();
		pid = fork();
		if (pid == 0)
			violate(si.cgroup, offered, rates[i]);
		waitpid(pid, NULL, 0);
		kv_runtime_remove_session(rt, si.cgid); /* drains */
		t1 = now_s();
		kv_session_state_read(kv_runtime_bpf(rt), si.cgid, &st);
		printf("  offered %6ld/s: %ld violations, counted %llu, sealed %llu (%.0f receipts/s), lost %llu\n",
		       rates[i], offered, (unsigned long long)st.counts[KV_CLASS_SYSCALL],
		       (unsigned long long)(kv_chain_seq(chain) - seq0),
		       (double)(kv_chain_seq(chain) - seq0) / (t1 - t0),
		       (unsigned long long)st.events_lost);
		kv_chain_close(chain, NULL);
		kv_session_maps_unregister(kv_runtime_bpf(rt), si.cgid);
		kv_cgroup_remove(si.cgroup);
	}
	kv_runtime_stop(rt);
	close(cgfd);
	if (statsfd >= 0)
		close(statsfd);
	kv_cgroup_remove(agents);
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", state);
		if (system(cmd))
			return 1;
	}
	return 0;
}
