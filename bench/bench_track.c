// SPDX-License-Identifier: BSD-2-Clause
/* The tracepoints' cost and the event path's throughput (issue 5):
 *  1. a process outside every session: getppid() loop and a dd-like
 *     512-byte read/write loop, with no program vs with KavachOS's objects
 *     attached (the sys_exit tracepoint sees every syscall on the host);
 *     plus the kernel's own run_time_ns / run_cnt of kv_sys_exit.
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
	double base_null, base_dd, prog_null, prog_dd;
	unsigned long long ns0, c0, ns1, c1;
	static const long rates[] = { 1000, 10000, 100000, 400000 };
	int cgfd, i, statsfd, dd[2];

	if (geteuid()) {
		fprintf(stderr, "bench_track: needs root\n");
		return 3;
	}
	if (kv_cgroup2_root(root, sizeof(root)))
		return 3;
	snprintf(agents, sizeof(agents), "%s/kv-bench-track-%d", root, (int)getpid());
	kv_cgroup_mkdir_p(agents);

	/* 1. outside every session: no program, then our objects attached */
	dd[0] = open("/dev/zero", O_RDONLY);
	dd[1] = open("/dev/null", O_WRONLY);
	base_null = time_op(op_getppid, NULL, n);
	base_dd = time_op(op_dd, dd, n / 4);
	bo.session_level = (uint32_t)kv_cgroup_level(agents) + 1;
	cgfd = open(agents, O_RDONLY | O_DIRECTORY);
	if (kv_bpf_open_load(&bo, &b) || kv_bpf_attach(b, cgfd)) {
		fprintf(stderr, "bench_track: cannot load/attach\n");
		return 1;
	}
	statsfd = bpf_enable_stats(BPF_STATS_RUN_TIME); /* held open: stats on */
	prog_stats(kv_bpf_prog_fd(b, "kv_sys_exit"), &ns0, &c0);
	prog_null = time_op(op_getppid, NULL, n);
	prog_dd = time_op(op_dd, dd, n / 4);
	close(dd[0]);
	close(dd[1]);
	prog_stats(kv_bpf_prog_fd(b, "kv_sys_exit"), &ns1, &c1);
	printf("sys_exit tracepoint, process outside any session (%ld iterations, median of %d):\n", n, REPEATS);
	printf("  getppid: %.1f ns -> %.1f ns  ratio %.3f (goal <= 1.15)\n", base_null, prog_null,
	       prog_null / base_null);
	printf("  dd bs=512 (read+write): %.1f ns -> %.1f ns  ratio %.3f (goal <= 1.02)\n", base_dd,
	       prog_dd, prog_dd / base_dd);
	printf("  kernel-measured kv_sys_exit: %.1f ns per invocation over %llu runs%s\n",
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
