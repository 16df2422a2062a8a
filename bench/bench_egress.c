// SPDX-License-Identifier: BSD-2-Clause
/* Egress benchmark: TCP connect+accept+close to a loopback listener, in a
 * network namespace of its own, under
 *   - no program (the process in a cgroup without programs),
 *   - egress.bpf.c with 16, 1k, 10k, 100k allowlist prefixes, destination
 *     hit (allowed) and miss (refused with EPERM),
 *   - nftables with the same addresses as an interval set, and as a linear
 *     chain of rules (output hook),
 * plus the kernel's own per-invocation cost of kv_connect4 (BPF_ENABLE_STATS
 * run_time_ns / run_cnt) and the time to compile and load 100k prefixes.
 * Every ratio is against the no-program cost measured in this run. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "egress.skel.h"
#include "egress/egress.h"
#include "session/cgroup.h"
#include "session/session.h"

#define PORT 8080
#define HIT_ADDR "127.0.0.2"
#define MISS_ADDR "127.0.0.3"
#define MIN_ITERS 2000
#define MIN_SECONDS 0.4
#define REPEATS 5

static char cg_plain[PATH_MAX], cg_session[PATH_MAX];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *acceptor(void *arg)
{
	int l = *(int *)arg;

	for (;;) {
		int s = accept(l, NULL, NULL);

		if (s >= 0)
			close(s);
	}
	return NULL;
}

/* One connect+close; returns 0 or errno. linger 0: RST instead of
 * TIME_WAIT, so a long run does not run out of ports. */
static int connect_once(const struct sockaddr_in *sa)
{
	struct linger lg = { 1, 0 };
	int s = socket(AF_INET, SOCK_STREAM, 0), ret = 0;

	if (s < 0)
		return errno;
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (connect(s, (const struct sockaddr *)sa, sizeof(*sa)))
		ret = errno;
	close(s);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Mean µs per connect over >= MIN_SECONDS; expect: the errno wanted. */
static double measure_once(const char *addr, int expect)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	double t0, el;
	long n = 0;
	int i;

	inet_pton(AF_INET, addr, &sa.sin_addr);
	for (i = 0; i < 100; i++) /* warm up */
		connect_once(&sa);
	t0 = now_s();
	do {
		for (i = 0; i < 250; i++, n++) {
			int e = connect_once(&sa);

			if (e != expect) {
				fprintf(stderr, "bench: connect %s: %s (expected %s)\n", addr,
					strerror(e), strerror(expect));
				exit(1);
			}
		}
		el = now_s() - t0;
	} while (n < MIN_ITERS || el < MIN_SECONDS);
	return el / (double)n * 1e6;
}

struct prog_stats {
	uint64_t ns, cnt;
};

static struct prog_stats prog_stats(int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	struct prog_stats s = { 0, 0 };

	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		s.ns = info.run_time_ns;
		s.cnt = info.run_cnt;
	}
	return s;
}

/* N prefixes that never overlap (nft interval sets refuse overlaps): a
 * quarter /24s in 10.0.0.0/8, the rest /32s spread over 20.0.0.0/6. */
static void prefix_of(unsigned i, unsigned n, uint32_t *addr, unsigned *plen)
{
	unsigned n24 = n / 4;

	if (i < n24) {
		*addr = 0x0A000000u | (i << 8);
		*plen = 24;
	} else {
		*addr = 0x14000000u | ((i * 2654435761u) & 0x03FFFFFFu);
		*plen = 32;
	}
}

static struct kv_egress_policy *policy_n(unsigned n, bool with_hit)
{
	struct kv_egress_policy *p = calloc(1, sizeof(*p));
	unsigned i;

	p->rules = calloc(n + 1, sizeof(*p->rules));
	for (i = 0; i < n + (with_hit ? 1 : 0); i++) {
		struct kv_egress_rule *r = &p->rules[p->n_rules++];
		uint32_t a;
		unsigned plen;

		if (i < n) {
			prefix_of(i, n, &a, &plen);
		} else {
			inet_pton(AF_INET, HIT_ADDR, &a);
			a = ntohl(a);
			plen = 32;
		}
		r->kind = KV_EGRESS_NET;
		r->addr[10] = r->addr[11] = 0xff;
		a = htonl(a);
		memcpy(&r->addr[12], &a, 4);
		r->prefix = (uint8_t)(96 + plen);
		r->port_lo = 1;
		r->port_hi = 65535;
		r->protos = KV_EGRESS_P_ALL;
	}
	kv_egress_policy_normalize(p);
	return p;
}

static int nft_load(unsigned n, bool chain)
{
	char path[] = "/tmp/kv-bench-nft-XXXXXX";
	int fd = mkstemp(path), ret;
	FILE *f;
	unsigned i;

	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	fprintf(f, "flush ruleset\ntable ip kvbench {\n");
	if (!chain) {
		fprintf(f, "  set allow {\n    type ipv4_addr; flags interval;\n    elements = { ");
		for (i = 0; i < n; i++) {
			uint32_t a;
			unsigned plen;

			prefix_of(i, n, &a, &plen);
			fprintf(f, "%u.%u.%u.%u/%u, ", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
				a & 255, plen);
		}
		fprintf(f, "%s }\n  }\n", HIT_ADDR);
		fprintf(f, "  chain out {\n    type filter hook output priority 0; policy accept;\n"
			   "    ip daddr @allow accept\n  }\n");
	} else {
		fprintf(f, "  chain out {\n    type filter hook output priority 0; policy accept;\n");
		for (i = 0; i < n; i++) {
			uint32_t a;
			unsigned plen;

			prefix_of(i, n, &a, &plen);
			fprintf(f, "    ip daddr %u.%u.%u.%u/%u accept\n", a >> 24, (a >> 16) & 255,
				(a >> 8) & 255, a & 255, plen);
		}
		/* the destination's rule last: every packet walks the chain */
		fprintf(f, "    ip daddr %s accept\n  }\n", HIT_ADDR);
	}
	fprintf(f, "}\n");
	fclose(f);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "nft -f %s", path);
		ret = system(cmd);
	}
	unlink(path);
	return ret == 0 ? 0 : -EIO;
}

static int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0), ret = 0;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr))
		ret = -1;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(s, SIOCSIFFLAGS, &ifr))
		ret = -1;
	if (s >= 0)
		close(s);
	return ret;
}

/* Where a measurement runs: network namespace and cgroup. */
struct place {
	int netns;
	const char *cgroup;
};

static int ns_plain, ns_nft;

static void enter(const struct place *p)
{
	if (setns(p->netns, CLONE_NEWNET) || kv_cgroup_move(p->cgroup, getpid())) {
		perror("bench_egress: enter");
		exit(1);
	}
}

struct result {
	double us, ratio, base;     /* medians: config µs, ratio, baseline µs */
	struct prog_stats c4, sc;   /* kernel: kv_connect4, kv_sock_create */
};

static int prog_fd_c4 = -1, prog_fd_sc = -1;

/* REPEATS rounds of (no program, then the configuration): the ratio of
 * each round is taken against the baseline measured right before it, so
 * load from other processes on the machine cancels out. */
static struct result compare(const struct place *cfg, const char *addr, int expect)
{
	const struct place base = { ns_plain, cg_plain };
	double us[REPEATS], ratio[REPEATS], bases[REPEATS];
	struct prog_stats a4, b4, as, bs;
	struct result r = { 0 };
	int i;

	for (i = 0; i < REPEATS; i++) {
		double b, c;

		enter(&base);
		b = measure_once(HIT_ADDR, 0);
		enter(cfg);
		a4 = prog_stats(prog_fd_c4);
		as = prog_stats(prog_fd_sc);
		c = measure_once(addr, expect);
		b4 = prog_stats(prog_fd_c4);
		bs = prog_stats(prog_fd_sc);
		r.c4.ns += b4.ns - a4.ns;
		r.c4.cnt += b4.cnt - a4.cnt;
		r.sc.ns += bs.ns - as.ns;
		r.sc.cnt += bs.cnt - as.cnt;
		us[i] = c;
		bases[i] = b;
		ratio[i] = c / b;
	}
	enter(&base);
	qsort(us, REPEATS, sizeof(us[0]), cmp_double);
	qsort(ratio, REPEATS, sizeof(ratio[0]), cmp_double);
	qsort(bases, REPEATS, sizeof(bases[0]), cmp_double);
	r.base = bases[REPEATS / 2];
	r.us = us[REPEATS / 2];
	r.ratio = ratio[REPEATS / 2];
	return r;
}

static void row(const char *what, const struct result *r, bool refused)
{
	if (refused)
		printf("  %-36s %8.2f µs  (refused)", what, r->us);
	else
		printf("  %-36s %8.2f µs  %6.3fx", what, r->us, r->ratio);
	if (r->c4.cnt)
		printf("  connect4 %4.0f ns/run", (double)r->c4.ns / (double)r->c4.cnt);
	if (r->sc.cnt)
		printf("  sock_create %4.0f ns/run", (double)r->sc.ns / (double)r->sc.cnt);
	/* the programs' own time per connect, as a share of the baseline:
	 * the part of the ratio that is ours, without the machine's noise */
	if (!refused && r->c4.cnt && r->sc.cnt)
		printf("  => %.3fx by kernel time",
		       1.0 + ((double)r->c4.ns / (double)r->c4.cnt +
			      (double)r->sc.ns / (double)r->sc.cnt) / 1000.0 / r->base);
	printf("\n");
}

static int listener(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	static int fds[2], n;
	pthread_t th;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_ANY); /* 127.0.0.2 and .3 alike */
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096))
		return -1;
	fds[n] = fd;
	return pthread_create(&th, NULL, acceptor, &fds[n++]) ? -1 : 0;
}

/* A fresh network namespace for the calling thread, lo up, a listener. */
static int new_netns(void)
{
	int fd;

	if (unshare(CLONE_NEWNET) || lo_up())
		return -1;
	if (system("sysctl -q -w net.ipv4.ip_local_port_range='1024 65000'"))
		return -1;
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || listener())
		return -1;
	return fd;
}

int main(void)
{
	static const unsigned sizes[] = { 16, 1000, 10000, 100000 };
	static const unsigned nft_sizes[] = { 16, 1000, 10000, 100000 };
	static const unsigned chain_sizes[] = { 16, 1000, 10000 };
	char root[256], agents[512], err[512], what[64];
	struct egress_bpf *skel = NULL;
	struct bpf_link *links[5] = { 0 };
	struct kv_egress_maps m;
	struct kv_session pol;
	struct kv_session_state st = { 0 };
	struct place session, nft;
	struct result r;
	uint64_t sess;
	int cg, stats_fd, i;
	size_t k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid()) {
		fprintf(stderr, "bench_egress: needs root\n");
		return 1;
	}
	/* two network namespaces of our own: nft rules live in one, and the
	 * host's ruleset and ports are never touched */
	ns_plain = new_netns();
	ns_nft = new_netns();
	if (ns_plain < 0 || ns_nft < 0) {
		perror("bench_egress: netns");
		return 1;
	}
	if (kv_cgroup2_root(root, sizeof(root))) {
		fprintf(stderr, "bench_egress: no cgroup2\n");
		return 1;
	}
	snprintf(agents, sizeof(agents), "%s/kavachos-bench-%d", root, (int)getpid());
	snprintf(cg_plain, sizeof(cg_plain), "%s/plain", agents);
	snprintf(cg_session, sizeof(cg_session), "%s/session", agents);
	if (kv_cgroup_mkdir_p(cg_plain) || kv_cgroup_mkdir_p(cg_session)) {
		perror("bench_egress: cgroups");
		return 1;
	}
	session = (struct place){ ns_plain, cg_session };
	nft = (struct place){ ns_nft, cg_plain };

	/* open -> set rodata -> load -> attach: the egress object alone */
	skel = egress_bpf__open();
	if (!skel)
		return 1;
	skel->rodata->kv_session_level = (uint32_t)kv_cgroup_level(cg_session);
	bpf_map__set_max_entries(skel->maps.kv_egress_lpm, 200000);
	if (egress_bpf__load(skel)) {
		fprintf(stderr, "bench_egress: load failed\n");
		return 1;
	}
	cg = open(cg_session, O_RDONLY | O_DIRECTORY);
	links[0] = bpf_program__attach_cgroup(skel->progs.kv_connect4, cg);
	links[1] = bpf_program__attach_cgroup(skel->progs.kv_connect6, cg);
	links[2] = bpf_program__attach_cgroup(skel->progs.kv_sendmsg4, cg);
	links[3] = bpf_program__attach_cgroup(skel->progs.kv_sendmsg6, cg);
	links[4] = bpf_program__attach_cgroup(skel->progs.kv_sock_create, cg);
	for (i = 0; i < 5; i++)
		if (!links[i]) {
			fprintf(stderr, "bench_egress: attach failed\n");
			return 1;
		}
	sess = kv_cgroup_id(cg_session);
	kv_session_policy_defaults(&pol, 0xFFFF, 1);
	pol.thr_throttle = pol.thr_crack = pol.thr_lock = pol.burst_count = 0;
	bpf_map__update_elem(skel->maps.kv_state, &sess, sizeof(sess), &st, sizeof(st), BPF_ANY);
	bpf_map__update_elem(skel->maps.kv_sessions, &sess, sizeof(sess), &pol, sizeof(pol),
			     BPF_ANY);
	m.lpm_fd = bpf_map__fd(skel->maps.kv_egress_lpm);
	m.unix_fd = bpf_map__fd(skel->maps.kv_egress_unix);
	m.stat_fd = bpf_map__fd(skel->maps.kv_egress_stat);
	prog_fd_c4 = bpf_program__fd(skel->progs.kv_connect4);
	prog_fd_sc = bpf_program__fd(skel->progs.kv_sock_create);
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME); /* on while the fd is open */
	if (stats_fd < 0)
		fprintf(stderr, "bench_egress: BPF_ENABLE_STATS failed (%s): no ns/run\n",
			strerror(errno));

	printf("egress: TCP connect+accept+close on loopback, own netns; median of %d rounds "
	       "(>= %.1f s each),\neach ratio against the no-program cost measured just before it\n",
	       REPEATS, MIN_SECONDS);
	r = compare(&(struct place){ ns_plain, cg_plain }, HIT_ADDR, 0);
	row("no program (vs itself: noise)", &r, false);

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct kv_egress_policy *p = policy_n(sizes[k], true);
		struct kv_egress_compiled c;
		double t0, t1, t2;

		t0 = now_s();
		if (kv_egress_compile(p, &c, err, sizeof(err))) {
			fprintf(stderr, "bench_egress: %s\n", err);
			return 1;
		}
		t1 = now_s();
		if (kv_egress_apply(&m, sess, &c)) {
			fprintf(stderr, "bench_egress: apply %u failed\n", sizes[k]);
			return 1;
		}
		t2 = now_s();
		r = compare(&session, HIT_ADDR, 0);
		snprintf(what, sizeof(what), "egress %u prefixes, hit", sizes[k]);
		row(what, &r, false);
		r = compare(&session, MISS_ADDR, EPERM);
		snprintf(what, sizeof(what), "egress %u prefixes, miss", sizes[k]);
		row(what, &r, true);
		printf("    load %u prefixes (%zu entries): compile %.1f ms + write %.1f ms = %.1f ms",
		       sizes[k], c.n, (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t2 - t0) * 1e3);
		t0 = now_s();
		kv_egress_remove(&m, sess);
		printf("; remove %.1f ms\n", (now_s() - t0) * 1e3);
		kv_egress_compiled_free(&c);
		kv_egress_policy_free(p);
	}

	enter(&nft); /* nft runs in the namespace it configures */
	for (k = 0; k < sizeof(nft_sizes) / sizeof(nft_sizes[0]); k++) {
		double t0 = now_s();

		enter(&nft);
		if (nft_load(nft_sizes[k], false)) {
			fprintf(stderr, "bench_egress: nft set %u failed\n", nft_sizes[k]);
			return 1;
		}
		t0 = now_s() - t0;
		r = compare(&nft, HIT_ADDR, 0);
		snprintf(what, sizeof(what), "nft interval set %u, hit", nft_sizes[k]);
		row(what, &r, false);
		printf("    nft -f: %.0f ms\n", t0 * 1e3);
	}
	for (k = 0; k < sizeof(chain_sizes) / sizeof(chain_sizes[0]); k++) {
		double t0 = now_s();

		enter(&nft);
		if (nft_load(chain_sizes[k], true)) {
			fprintf(stderr, "bench_egress: nft chain %u failed\n", chain_sizes[k]);
			return 1;
		}
		t0 = now_s() - t0;
		r = compare(&nft, HIT_ADDR, 0);
		snprintf(what, sizeof(what), "nft linear chain %u, hit", chain_sizes[k]);
		row(what, &r, false);
		printf("    nft -f: %.0f ms\n", t0 * 1e3);
	}

	for (i = 0; i < 5; i++)
		bpf_link__destroy(links[i]);
	egress_bpf__destroy(skel);
	kv_cgroup_move(root, getpid());
	kv_cgroup_remove(agents);
	return 0;
}
