// SPDX-License-Identifier: BSD-2-Clause
/* Gate valve LOCK latency (issue 7): over N trials, the time from the
 * violation that crosses the LOCK threshold (the kernel's timestamp of the
 * GATE_TRANSITION event) to the session's cgroup reporting "frozen 1", the
 * agent's plain syscalls completed in between, and how many new processes
 * it managed to start after the transition (must be 0: the kernel kills
 * them before the freeze lands). Median and p99. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <seccomp.h>
#include "bench_common.h"
#include "bpf/loader.h"
#include "receipts/receipts.h"
#include "run/runtime.h"
#include "session/cgroup.h"
#include "session/session.h"

struct shared {
	volatile long ops;       /* plain syscalls after the 10th violation */
	volatile long forks_ok;  /* children that ran after the transition */
	volatile int locked;     /* child has crossed the threshold */
};

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void agent(const char *cg, struct shared *sh, unsigned lock_at)
{
	unsigned i;

	bench_join_refusing_mkdir(cg);
	for (i = 0; i < lock_at; i++)
		syscall(SYS_mkdir, "/nonexistent-kv-bench", 0700);
	sh->locked = 1;
	for (;;) {
		pid_t p;

		syscall(SYS_getppid);
		sh->ops++;
		if (sh->ops % 64 == 0) { /* an operation the valve forbids */
			p = fork();
			if (p == 0) {
				sh->forks_ok++; /* only if the kernel let it run */
				_exit(0);
			}
			if (p > 0)
				waitpid(p, NULL, 0);
		}
	}
}

int main(int argc, char **argv)
{
	int trials = argc > 1 ? atoi(argv[1]) : 1000, t, n = 0;
	char root[PATH_MAX], agents[PATH_MAX + 32], state[] = "/tmp/kv-bench-gate.XXXXXX";
	uint64_t *lat = calloc((size_t)trials, sizeof(uint64_t));
	long *ops = calloc((size_t)trials, sizeof(long)), forks_after = 0;
	struct shared *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct kv_bpf_opts bo = { 0 };
	struct kv_syscall_policy sp;
	struct kv_runtime *rt;
	struct kv_bpf *b;
	struct kv_session pol;
	int cgfd;

	if (geteuid() || !lat || !ops || sh == MAP_FAILED || kv_cgroup2_root(root, sizeof(root)))
		return 3;
	snprintf(agents, sizeof(agents), "%s/kv-bench-gate-%d", root, (int)getpid());
	kv_cgroup_mkdir_p(agents);
	cgfd = open(agents, O_RDONLY | O_DIRECTORY);
	bo.session_level = (uint32_t)kv_cgroup_level(agents) + 1;
	if (!mkdtemp(state) || kv_bpf_open_load(&bo, &b) || kv_bpf_attach(b, cgfd) ||
	    kv_runtime_start(b, &rt))
		return 1;
	kv_session_policy_defaults(&pol, 0xFFFF, 1);
	pol.flags |= KV_SF_ENFORCE_GATE;
	pol.burst_count = 0; /* LOCK by the threshold: 10 */
	bench_policy_all_but_mkdir(&sp);
	for (t = 0; t < trials; t++) {
		struct kv_session_info si;
		struct kv_session_state st;
		struct kv_chain *chain;
		uint64_t frozen_at = 0;
		pid_t pid;
		int i;

		memset(sh, 0, sizeof(*sh));
		if (bench_session_start(rt, agents, state, KV_SYNC_NONE, &pol, &sp, &si, &chain))
			return 1;
		pid = fork();
		if (pid == 0)
			agent(si.cgroup, sh, pol.thr_lock);
		for (i = 0; i < 200000 && kv_cgroup_frozen(si.cgroup) != 1; i++)
			; /* spin: the freeze is what we time */
		frozen_at = boot_ns();
		if (kv_session_state_read(kv_runtime_bpf(rt), si.cgid, &st) == 0 &&
		    st.gate == KV_GATE_LOCKED && frozen_at && i < 200000) {
			/* the LOCK moment: the kernel's timestamp of the transition */
			lat[n] = frozen_at - st.gate_ns;
			ops[n] = sh->ops;
			forks_after += sh->forks_ok;
			n++;
		}
		kv_cgroup_freeze(si.cgroup, 0);
		kv_cgroup_kill(si.cgroup);
		waitpid(pid, NULL, 0);
		kv_runtime_remove_session(rt, si.cgid);
		kv_chain_close(chain, NULL);
		kv_session_maps_unregister(kv_runtime_bpf(rt), si.cgid);
		kv_cgroup_remove(si.cgroup);
	}
	qsort(lat, (size_t)n, sizeof(uint64_t), cmp_u64);
	{
		long *o = ops;
		int i;
		long omax = 0;

		for (i = 0; i < n; i++)
			omax = o[i] > omax ? o[i] : omax;
		printf("gate LOCK -> cgroup frozen, %d trials (%d measured):\n", trials, n);
		printf("  latency from the transition: median %.3f ms, p99 %.3f ms (goal p99 < 5 ms)\n",
		       n ? lat[n / 2] / 1e6 : 0.0, n ? lat[(n * 99) / 100] / 1e6 : 0.0);
		printf("  plain syscalls the agent completed before the freeze landed: max %ld\n", omax);
		printf("  new processes that ran after the LOCK transition: %ld (goal 0)\n", forks_after);
	}
	kv_runtime_stop(rt);
	kv_cgroup_remove(agents);
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", state);
		return system(cmd) ? 1 : 0;
	}
}
