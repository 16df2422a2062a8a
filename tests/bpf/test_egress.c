// SPDX-License-Identifier: BSD-2-Clause
/* Egress firewall on the real kernel: a session cgroup with egress.bpf.c
 * attached, real sockets against listeners on 127.0.0.2 / 127.0.0.3 in a
 * network namespace of the test's own (fixed ports cannot collide). */
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "bpf/loader.h"
#include "cli/cli.h"
#include "egress/egress.h"
#include "features/features.h"
#include "fixture.h"
#include "kv_events.h"
#include "kvtest.h"
#include "test_egress_net.h"

struct eg {
	struct kv_fixture f;
	struct kv_egress_maps m;
	int nev; /* EGRESS_DENY events seen so far */
};

static const char *const listen_addrs[] = { "127.0.0.2", "127.0.0.3" };
static const uint16_t listen_ports[] = { 8080, 8081, 7999, 8101, 8150 };

/* allow: SPEC list for the session (NULL: nothing written, the empty
 * policy); essential: SPEC list marked essential; pol: session policy. */
static bool eg_setup(struct eg *e, const char *allow, const char *essential,
		     const struct kv_session *pol)
{
	const char *ess[1] = { essential };
	struct kv_egress_input in = { .trust_mask = 0, .no_default_net = true,
				      .cli_allow = &allow, .n_cli_allow = 1,
				      .essential = ess, .n_essential = essential ? 1 : 0 };
	struct kv_egress_policy *p = NULL;
	char err[512] = "";
	size_t i, j;
	int fd;

	memset(e, 0, sizeof(*e));
	if (!ASSERT_OK(eg_private_netns(), "private netns"))
		return false;
	for (i = 0; i < 2; i++)
		for (j = 0; j < sizeof(listen_ports) / sizeof(listen_ports[0]); j++) {
			fd = eg_listen(AF_INET, SOCK_STREAM, listen_addrs[i], listen_ports[j]);
			if (!ASSERT_GE(fd, 0, "tcp listener"))
				return false;
			fd = eg_listen(AF_INET, SOCK_DGRAM, listen_addrs[i], listen_ports[j]);
			if (!ASSERT_GE(fd, 0, "udp listener"))
				return false;
		}
	fd = eg_listen(AF_INET6, SOCK_STREAM, "::1", 8080);
	if (!ASSERT_GE(fd, 0, "tcp6 listener"))
		return false;
	if (!kv_fixture_setup(&e->f, pol, NULL))
		return false;
	e->m.lpm_fd = kv_bpf_map_fd(e->f.bpf, "kv_egress_lpm");
	e->m.unix_fd = kv_bpf_map_fd(e->f.bpf, "kv_egress_unix");
	e->m.stat_fd = kv_bpf_map_fd(e->f.bpf, "kv_egress_stat");
	if (!ASSERT_GE(e->m.lpm_fd, 0, "kv_egress_lpm") ||
	    !ASSERT_GE(e->m.unix_fd, 0, "kv_egress_unix") ||
	    !ASSERT_GE(e->m.stat_fd, 0, "kv_egress_stat"))
		return false;
	if (!allow)
		return true;
	if (!ASSERT_OK(kv_egress_policy_build(&in, &p, err, sizeof(err)), "policy")) {
		fprintf(stderr, "  %s\n", err);
		return false;
	}
	if (!ASSERT_OK(kv_egress_policy_apply(&e->m, e->f.s.cgid, p, err, sizeof(err)), "apply"))
		fprintf(stderr, "  %s\n", err);
	kv_egress_policy_free(p);
	return !err[0];
}

struct expect {
	const char *what;
	struct eg_op op;
	int err; /* errno the agent must see */
	/* the event of a denial */
	const char *hook, *address;
	int port;
	const char *family, *proto;
};

#define OP(k, fam, a, p) { .kind = (k), .family = (fam), .addr = (a), .port = (p) }

/* Runs x->op in the session (or sub-cgroup sub), checks the errno and
 * that exactly the expected event (or none) arrived. */
static void check(struct eg *e, const char *sub, const struct expect *x)
{
	struct json_object *ev;
	int rc, n;

	rc = kv_fixture_run(&e->f, sub, eg_run_op, (void *)&x->op);
	if (!ASSERT_EQ(rc, x->err, x->what))
		fprintf(stderr, "  (%s: got %s)\n", x->what, strerror(rc));
	kv_fixture_collect(&e->f);
	n = kv_fixture_count(&e->f, "EGRESS_DENY");
	if (!x->err) {
		ASSERT_EQ(n, e->nev, x->what); /* no event for an allowed call */
		e->nev = n;
		return;
	}
	if (!ASSERT_EQ(n, e->nev + 1, x->what)) {
		e->nev = n;
		return;
	}
	ev = kv_fixture_event(&e->f, "EGRESS_DENY", e->nev);
	e->nev = n;
	ASSERT_STREQ(kv_ev_str(ev, "hook"), x->hook, x->what);
	if (x->address) {
		ASSERT_STREQ(kv_ev_str(ev, "address"), x->address, x->what);
		ASSERT_EQ(kv_ev_int(ev, "port"), x->port, x->what);
	}
	if (x->family)
		ASSERT_STREQ(kv_ev_str(ev, "family_name"), x->family, x->what);
	if (x->proto)
		ASSERT_STREQ(kv_ev_str(ev, "protocol_name"), x->proto, x->what);
	ASSERT_STREQ(kv_ev_str(ev, "class"), "egress", x->what);
	ASSERT_GE(kv_ev_int(ev, "pid"), 1, x->what);
	ASSERT_NEQ(kv_ev_int(ev, "pid"), getpid(), x->what); /* the agent, not us */
}

static void check_all(struct eg *e, const char *sub, const struct expect *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check(e, sub, &x[i]);
}

static const struct expect allow_one[] = {
	{ "tcp 127.0.0.2:8080", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.2", 8080), 0 },
	{ "udp connect+send 127.0.0.2:8080", OP(EG_UDP_CONNECT, AF_INET, "127.0.0.2", 8080), 0 },
	{ "udp sendto 127.0.0.2:8080", OP(EG_UDP_SENDTO, AF_INET, "127.0.0.2", 8080), 0 },
	{ "tcp6 ::ffff:127.0.0.2:8080", OP(EG_TCP_CONNECT, AF_INET6, "::ffff:127.0.0.2", 8080), 0 },
	{ "udp6 sendto ::ffff:127.0.0.2:8080",
	  OP(EG_UDP_SENDTO, AF_INET6, "::ffff:127.0.0.2", 8080), 0 },
	{ "tcp 127.0.0.3:8080", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.3", 8080), EPERM, "connect4",
	  "127.0.0.3", 8080, "inet", "tcp" },
	{ "tcp 127.0.0.2:8081", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.2", 8081), EPERM, "connect4",
	  "127.0.0.2", 8081, "inet", "tcp" },
	{ "tcp6 ::ffff:127.0.0.3:8080", OP(EG_TCP_CONNECT, AF_INET6, "::ffff:127.0.0.3", 8080),
	  EPERM, "connect6", "127.0.0.3", 8080, "inet6", "tcp" },
	{ "udp sendto 127.0.0.3:8080", OP(EG_UDP_SENDTO, AF_INET, "127.0.0.3", 8080), EPERM,
	  "sendmsg4", "127.0.0.3", 8080, "inet", "udp" },
	{ "udp sendto 127.0.0.2:8081", OP(EG_UDP_SENDTO, AF_INET, "127.0.0.2", 8081), EPERM,
	  "sendmsg4", "127.0.0.2", 8081, "inet", "udp" },
	/* the kernel hands a mapped destination of a v6 UDP socket to udp_sendmsg */
	{ "udp6 sendto ::ffff:127.0.0.3:8080", OP(EG_UDP_SENDTO, AF_INET6, "::ffff:127.0.0.3", 8080),
	  EPERM, "sendmsg4", "127.0.0.3", 8080, "inet6", "udp" },
	{ "udp connect 127.0.0.3:8080", OP(EG_UDP_CONNECT, AF_INET, "127.0.0.3", 8080), EPERM,
	  "connect4", "127.0.0.3", 8080, "inet", "udp" },
	{ "tcp fastopen 127.0.0.3:8080", OP(EG_TCP_FASTOPEN, AF_INET, "127.0.0.3", 8080), EPERM,
	  "connect4", "127.0.0.3", 8080, "inet", "tcp" },
	{ "tcp6 [::1]:8080 (not listed)", OP(EG_TCP_CONNECT, AF_INET6, "::1", 8080), EPERM,
	  "connect6", "::1", 8080, "inet6", "tcp" },
};

/* The same calls from outside the session all succeed: the denials above
 * are the program's, not the network's. */
KV_TEST(allow_one_destination)
{
	struct eg e;
	size_t i;

	if (!eg_setup(&e, "127.0.0.2:8080", NULL, NULL))
		goto out;
	check_all(&e, NULL, allow_one, sizeof(allow_one) / sizeof(allow_one[0]));
	for (i = 0; i < sizeof(allow_one) / sizeof(allow_one[0]); i++)
		ASSERT_EQ(kv_run_outside(eg_run_op, (void *)&allow_one[i].op), 0, allow_one[i].what);
out:
	kv_fixture_teardown(&e.f);
}

KV_TEST(empty_policy_denies_all)
{
	static const struct expect x[] = {
		{ "tcp 127.0.0.2:8080", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.2", 8080), EPERM,
		  "connect4", "127.0.0.2", 8080 },
		{ "udp sendto 127.0.0.2:8080", OP(EG_UDP_SENDTO, AF_INET, "127.0.0.2", 8080), EPERM,
		  "sendmsg4", "127.0.0.2", 8080 },
		{ "tcp6 [::1]:8080", OP(EG_TCP_CONNECT, AF_INET6, "::1", 8080), EPERM, "connect6",
		  "::1", 8080 },
	};
	struct eg e;

	if (eg_setup(&e, NULL, NULL, NULL))
		check_all(&e, NULL, x, sizeof(x) / sizeof(x[0]));
	kv_fixture_teardown(&e.f);
}

KV_TEST(port_ranges)
{
	static const struct expect x[] = {
		{ "8080 in 8000-8100", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.2", 8080), 0 },
		{ "8081 in 8000-8100", OP(EG_UDP_SENDTO, AF_INET, "127.0.0.2", 8081), 0 },
		{ "8101 above", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.2", 8101), EPERM, "connect4",
		  "127.0.0.2", 8101 },
		{ "7999 below", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.2", 7999), EPERM, "connect4",
		  "127.0.0.2", 7999 },
		/* a /24 around both with its own range: its entries inherit it */
		{ "127.0.0.2:8150 via /24", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.2", 8150), 0 },
		{ "127.0.0.3:7999 via /32", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.3", 7999), 0 },
		{ "127.0.0.3:8150 via /24", OP(EG_UDP_SENDTO, AF_INET, "127.0.0.3", 8150), 0 },
		{ "127.0.0.3:8080 neither", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.3", 8080), EPERM,
		  "connect4", "127.0.0.3", 8080 },
	};
	struct eg e;

	if (eg_setup(&e, "127.0.0.2:8000-8100,127.0.0.0/24:8150-8200,127.0.0.3:7999", NULL,
		     NULL))
		check_all(&e, NULL, x, sizeof(x) / sizeof(x[0]));
	kv_fixture_teardown(&e.f);
}

KV_TEST(protocol_filters)
{
	static const struct expect x[] = {
		{ "tcp to /tcp rule", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.2", 8080), 0 },
		{ "udp to /tcp rule", OP(EG_UDP_SENDTO, AF_INET, "127.0.0.2", 8080), EPERM,
		  "sendmsg4", "127.0.0.2", 8080, "inet", "udp" },
		{ "udp to /udp rule", OP(EG_UDP_SENDTO, AF_INET, "127.0.0.3", 8080), 0 },
		{ "udp connect to /udp rule", OP(EG_UDP_CONNECT, AF_INET, "127.0.0.3", 8080), 0 },
		{ "tcp to /udp rule", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.3", 8080), EPERM,
		  "connect4", "127.0.0.3", 8080, "inet", "tcp" },
	};
	struct eg e;

	if (eg_setup(&e, "127.0.0.2:8080/tcp,127.0.0.3:8080/udp", NULL, NULL))
		check_all(&e, NULL, x, sizeof(x) / sizeof(x[0]));
	kv_fixture_teardown(&e.f);
}

/* An agent that makes its own cgroups is still its session. */
KV_TEST(nested_subcgroup_is_the_session)
{
	static const struct expect x[] = {
		{ "allowed from sub-cgroup", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.2", 8080), 0 },
		{ "denied from sub-cgroup", OP(EG_TCP_CONNECT, AF_INET, "127.0.0.3", 8080), EPERM,
		  "connect4", "127.0.0.3", 8080 },
	};
	struct json_object *last;
	struct eg e;
	size_t n;

	if (!eg_setup(&e, "127.0.0.2:8080", NULL, NULL))
		goto out;
	check_all(&e, "agent-made/deeper", x, 2);
	n = json_object_array_length(e.f.events);
	if (ASSERT_GE(n, 1, "an event")) {
		last = json_object_array_get_idx(e.f.events, n - 1);
		ASSERT_EQ(json_object_get_uint64(json_object_object_get(last, "session")),
			  e.f.s.cgid, "event names the session, not the sub-cgroup");
	}
out:
	kv_fixture_teardown(&e.f);
}

KV_TEST(outside_sessions_unaffected)
{
	static const struct eg_op deny = OP(EG_TCP_CONNECT, AF_INET, "127.0.0.3", 8080);
	uint64_t id;
	struct eg e;
	int fd;

	if (!eg_setup(&e, "127.0.0.2:8080", NULL, NULL))
		goto out;
	ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&deny), EPERM, "session denied");
	ASSERT_EQ(kv_run_outside(eg_run_op, (void *)&deny), 0, "outside: no program");
	/* programs attached, but the cgroup is no (longer a) session: the
	 * program's own "not a session" path lets it through */
	fd = kv_bpf_map_fd(e.f.bpf, "kv_sessions");
	id = e.f.s.cgid;
	if (ASSERT_GE(fd, 0, "kv_sessions") && ASSERT_OK(bpf_map_delete_elem(fd, &id), "unregister"))
		ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&deny), 0,
			  "unregistered cgroup allowed");
	kv_fixture_collect(&e.f);
	ASSERT_EQ(kv_fixture_count(&e.f, "EGRESS_DENY"), 1, "only the session's denial");
out:
	kv_fixture_teardown(&e.f);
}

KV_TEST(raw_and_ping_sockets_refused)
{
	struct expect x[] = {
		{ "raw inet", { .kind = EG_SOCKET, .family = AF_INET, .type = SOCK_RAW,
				.proto = IPPROTO_ICMP }, EPERM, "sock_create" },
		{ "raw inet6", { .kind = EG_SOCKET, .family = AF_INET6, .type = SOCK_RAW,
				 .proto = IPPROTO_ICMPV6 }, EPERM, "sock_create" },
		{ "raw inet tcp", { .kind = EG_SOCKET, .family = AF_INET, .type = SOCK_RAW,
				    .proto = IPPROTO_TCP }, EPERM, "sock_create" },
		/* ping sockets send without passing the sendmsg hooks */
		{ "ping inet", { .kind = EG_SOCKET, .family = AF_INET, .type = SOCK_DGRAM,
				 .proto = IPPROTO_ICMP }, EPERM, "sock_create" },
		{ "ping inet6", { .kind = EG_SOCKET, .family = AF_INET6, .type = SOCK_DGRAM,
				  .proto = IPPROTO_ICMPV6 }, EPERM, "sock_create" },
		{ "tcp socket", { .kind = EG_SOCKET, .family = AF_INET, .type = SOCK_STREAM }, 0 },
		{ "udp6 socket", { .kind = EG_SOCKET, .family = AF_INET6, .type = SOCK_DGRAM }, 0 },
		{ "unix socket", { .kind = EG_SOCKET, .family = AF_UNIX, .type = SOCK_STREAM }, 0 },
	};
	struct json_object *ev;
	struct eg e;
	size_t i;

	if (!eg_setup(&e, "127.0.0.2:8080", NULL, NULL))
		goto out;
	for (i = 0; i < sizeof(x) / sizeof(x[0]); i++) /* root outside: all work */
		ASSERT_EQ(kv_run_outside(eg_run_op, &x[i].op), 0, x[i].what);
	check_all(&e, NULL, x, sizeof(x) / sizeof(x[0]));
	ev = kv_fixture_event(&e.f, "EGRESS_DENY", 0);
	ASSERT_EQ(kv_ev_int(ev, "sock_type"), SOCK_RAW, "event carries the socket type");
	ASSERT_EQ(kv_ev_int(ev, "protocol"), IPPROTO_ICMP, "and the protocol");
out:
	kv_fixture_teardown(&e.f);
}

KV_TEST(io_uring_connect_refused)
{
	static const struct expect x = { "io_uring connect 127.0.0.3:8080",
					 OP(EG_URING_CONNECT, AF_INET, "127.0.0.3", 8080), EPERM,
					 "connect4", "127.0.0.3", 8080, "inet", "tcp" };
	static const struct eg_op ok = OP(EG_URING_CONNECT, AF_INET, "127.0.0.2", 8080);
	struct eg e;
	int rc;

	if (!eg_setup(&e, "127.0.0.2:8080", NULL, NULL))
		goto out;
	rc = kv_run_outside(eg_run_op, (void *)&x.op);
	if (rc == ENOSYS || (rc == EPERM && access("/proc/sys/kernel/io_uring_disabled", F_OK) == 0)) {
		test__skip("io_uring is disabled on this kernel (%s)", strerror(rc));
		goto out;
	}
	ASSERT_EQ(rc, 0, "outside: io_uring connect works");
	check(&e, NULL, &x);
	ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&ok), 0, "allowed via io_uring");
out:
	kv_fixture_teardown(&e.f);
}

static int set_gate(struct eg *e, uint32_t gate)
{
	struct kv_session_state st;
	int fd = kv_bpf_map_fd(e->f.bpf, "kv_state");
	uint64_t id = e->f.s.cgid;

	if (fd < 0 || bpf_map_lookup_elem(fd, &id, &st))
		return -ENOENT;
	st.gate = gate;
	return bpf_map_update_elem(fd, &id, &st, BPF_EXIST) ? -errno : 0;
}

/* CRACKED narrows egress to essential entries; LOCKED denies everything. */
KV_TEST(gate_narrows_egress)
{
	static const struct eg_op llm = OP(EG_TCP_CONNECT, AF_INET, "127.0.0.2", 8080);
	static const struct eg_op other = OP(EG_TCP_CONNECT, AF_INET, "127.0.0.3", 8080);
	struct kv_session pol;
	struct eg e;

	kv_session_policy_defaults(&pol, 0xFFFF, 1);
	pol.flags |= KV_SF_ENFORCE_GATE;
	pol.thr_throttle = pol.thr_crack = pol.thr_lock = pol.burst_count = 0; /* set by hand */
	if (!eg_setup(&e, "127.0.0.2:8080,127.0.0.3:8080", "127.0.0.2:8080", &pol))
		goto out;
	ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&other), 0, "open: all listed");
	ASSERT_OK(set_gate(&e, KV_GATE_THROTTLED), "throttled");
	ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&other), 0, "throttled: all");
	ASSERT_OK(set_gate(&e, KV_GATE_CRACKED), "cracked");
	ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&llm), 0, "cracked: essential");
	ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&other), EPERM,
		  "cracked: others denied");
	ASSERT_OK(set_gate(&e, KV_GATE_LOCKED), "locked");
	ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&llm), EPERM, "locked: nothing");
out:
	kv_fixture_teardown(&e.f);
}

/* Without KV_SF_ENFORCE_GATE the valve only counts. */
KV_TEST(gate_not_enforced_without_flag)
{
	static const struct eg_op other = OP(EG_TCP_CONNECT, AF_INET, "127.0.0.3", 8080);
	struct eg e;

	if (!eg_setup(&e, "127.0.0.3:8080", NULL, NULL))
		goto out;
	ASSERT_OK(set_gate(&e, KV_GATE_LOCKED), "locked");
	ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&other), 0, "not enforced");
out:
	kv_fixture_teardown(&e.f);
}

KV_TEST(counters_exact)
{
	static const struct eg_op c4 = OP(EG_TCP_CONNECT, AF_INET, "127.0.0.3", 8080);
	static const struct eg_op s4 = OP(EG_UDP_SENDTO, AF_INET, "127.0.0.3", 8080);
	static const struct eg_op c6 = OP(EG_TCP_CONNECT, AF_INET6, "::1", 8080);
	struct kv_egress_stats st;
	struct kv_session_state ss;
	uint64_t id;
	struct eg e;
	int i;

	if (!eg_setup(&e, "127.0.0.2:8080", NULL, NULL))
		goto out;
	for (i = 0; i < 3; i++)
		kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&c4);
	for (i = 0; i < 2; i++)
		kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&s4);
	kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&c6);
	id = e.f.s.cgid;
	if (ASSERT_OK(bpf_map_lookup_elem(e.m.stat_fd, &id, &st), "stat entry")) {
		ASSERT_EQ(st.deny[KV_HOOK_CONNECT4], 3, "connect4 denials");
		ASSERT_EQ(st.deny[KV_HOOK_SENDMSG4], 2, "sendmsg4 denials");
		ASSERT_EQ(st.deny[KV_HOOK_CONNECT6], 1, "connect6 denials");
	}
	if (ASSERT_OK(kv_session_state_read(e.f.bpf, id, &ss), "state"))
		ASSERT_EQ(ss.counts[KV_CLASS_EGRESS], 6, "class counter");
out:
	kv_fixture_teardown(&e.f);
}

/* Entries admitted by the DNS stub stop passing when their TTL is over,
 * even before user space removes them. */
KV_TEST(dns_entries_expire_in_kernel)
{
	static const struct eg_op op = OP(EG_TCP_CONNECT, AF_INET, "127.0.0.3", 8080);
	struct kv_egress_entry ent = { .prefix = 128 };
	struct timespec ts;
	struct eg e;

	if (!eg_setup(&e, "127.0.0.2:8080", NULL, NULL))
		goto out;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	inet_pton(AF_INET6, "::ffff:127.0.0.3", ent.addr);
	ent.val.n_ranges = 1;
	ent.val.flags = KV_EGRESS_F_DNS;
	ent.val.r[0] = (struct kv_egress_range){ .lo = 8080, .hi = 8080,
						 .protos = KV_EGRESS_P_ALL,
						 .flags = KV_EGRESS_F_DNS,
						 .expires = (uint32_t)ts.tv_sec + 60 };
	ASSERT_OK(kv_egress_put(&e.m, e.f.s.cgid, &ent), "admit");
	ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&op), 0, "within TTL");
	ent.val.r[0].expires = (uint32_t)ts.tv_sec - 1;
	ASSERT_OK(kv_egress_put(&e.m, e.f.s.cgid, &ent), "expire");
	ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&op), EPERM, "after TTL");
out:
	kv_fixture_teardown(&e.f);
}

KV_TEST(apply_read_remove)
{
	static const struct eg_op op = OP(EG_TCP_CONNECT, AF_INET, "127.0.0.2", 8080);
	struct kv_egress_compiled live, dup = { 0 };
	struct kv_egress_entry two[2];
	struct eg e;
	int n;

	if (!eg_setup(&e, "127.0.0.2:8080,10.0.0.0/8:443/tcp,unix:/run/x.sock", NULL, NULL))
		goto out;
	if (ASSERT_OK(kv_egress_read(&e.m, e.f.s.cgid, &live), "read")) {
		ASSERT_EQ(live.n, 2, "two prefixes live");
		/* system unix defaults + the listed one */
		ASSERT_GE(live.nu, 2, "unix entries live");
		kv_egress_compiled_free(&live);
	}
	ASSERT_EQ(kv_egress_apply(&e.m, e.f.s.cgid, &dup), 0, "empty apply is a no-op");
	ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&op), 0, "allowed");
	n = kv_egress_remove(&e.m, e.f.s.cgid);
	ASSERT_GE(n, 4, "removed all");
	ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&op), EPERM, "empty again");
	if (ASSERT_OK(kv_egress_read(&e.m, e.f.s.cgid, &live), "read after remove")) {
		ASSERT_EQ(live.n + live.nu, 0, "nothing left");
		kv_egress_compiled_free(&live);
	}
	/* all or nothing: the second of two equal entries fails, the first
	 * is taken back */
	memset(two, 0, sizeof(two));
	inet_pton(AF_INET6, "::ffff:127.0.0.2", two[0].addr);
	two[0].prefix = 128;
	two[0].val.n_ranges = 1;
	two[0].val.r[0] = (struct kv_egress_range){ .lo = 1, .hi = 65535, .protos = 3 };
	two[1] = two[0];
	dup.e = two;
	dup.n = 2;
	ASSERT_EQ(kv_egress_apply(&e.m, e.f.s.cgid, &dup), -EEXIST, "duplicate refused");
	ASSERT_EQ(kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&op), EPERM, "nothing half-applied");
	if (ASSERT_OK(kv_egress_read(&e.m, e.f.s.cgid, &live), "read after failure")) {
		ASSERT_EQ(live.n, 0, "rolled back");
		kv_egress_compiled_free(&live);
	}
out:
	kv_fixture_teardown(&e.f);
}

static bool have_connect_unix(void)
{
	return kv_features_get()->connect_unix.ok;
}

KV_TEST(unix_path_allowlist)
{
	char ok[256], no[256], dir[256], in_dir[256], escape[256], abs_ok[64], abs_no[64],
		abs_longer[96], allow[1024];
	struct expect x[7];
	const char *tmp = kvtest_tmpdir();
	struct eg e;
	size_t i;

	if (!have_connect_unix()) {
		test__skip("kernel has no cgroup/connect_unix (< 6.7); BPF-LSM socket_connect "
			   "covers AF_UNIX there");
		return;
	}
	snprintf(ok, sizeof(ok), "%s/ok.sock", tmp);
	snprintf(no, sizeof(no), "%s/no.sock", tmp);
	snprintf(dir, sizeof(dir), "%s/dir", tmp);
	snprintf(in_dir, sizeof(in_dir), "%s/dir/a.sock", tmp);
	snprintf(escape, sizeof(escape), "%s/dir/../no.sock", tmp);
	snprintf(abs_ok, sizeof(abs_ok), "@kvtest-eg-ok-%d", (int)getpid());
	snprintf(abs_no, sizeof(abs_no), "@kvtest-eg-no-%d", (int)getpid());
	snprintf(abs_longer, sizeof(abs_longer), "%sx", abs_ok);
	snprintf(allow, sizeof(allow), "unix:%s,unix:%s/,unix:%s", ok, dir, abs_ok);
	mkdir(dir, 0755);
	if (!eg_setup(&e, allow, NULL, NULL))
		goto out;
	ASSERT_GE(eg_listen_unix(SOCK_STREAM, ok), 0, "listen ok");
	ASSERT_GE(eg_listen_unix(SOCK_STREAM, no), 0, "listen no");
	ASSERT_GE(eg_listen_unix(SOCK_STREAM, in_dir), 0, "listen in dir");
	ASSERT_GE(eg_listen_unix(SOCK_STREAM, abs_ok), 0, "listen abstract ok");
	ASSERT_GE(eg_listen_unix(SOCK_STREAM, abs_no), 0, "listen abstract no");
	ASSERT_GE(eg_listen_unix(SOCK_STREAM, abs_longer), 0, "listen abstract longer");
	x[0] = (struct expect){ "listed path", OP(EG_UNIX_CONNECT, AF_UNIX, ok, 0), 0 };
	x[1] = (struct expect){ "other path", OP(EG_UNIX_CONNECT, AF_UNIX, no, 0), EPERM,
				"connect_unix" };
	x[2] = (struct expect){ "under listed dir", OP(EG_UNIX_CONNECT, AF_UNIX, in_dir, 0), 0 };
	x[3] = (struct expect){ "dir/../ escape", OP(EG_UNIX_CONNECT, AF_UNIX, escape, 0), EPERM,
				"connect_unix" };
	x[4] = (struct expect){ "listed abstract", OP(EG_UNIX_CONNECT, AF_UNIX, abs_ok, 0), 0 };
	x[5] = (struct expect){ "other abstract", OP(EG_UNIX_CONNECT, AF_UNIX, abs_no, 0), EPERM,
				"connect_unix" };
	x[6] = (struct expect){ "longer abstract", OP(EG_UNIX_CONNECT, AF_UNIX, abs_longer, 0),
				EPERM, "connect_unix" };
	for (i = 0; i < 7; i++)
		ASSERT_EQ(kv_run_outside(eg_run_op, &x[i].op), 0, x[i].what);
	check_all(&e, NULL, x, 7);
	ASSERT_STREQ(kv_ev_str(kv_fixture_event(&e.f, "EGRESS_DENY", 0), "path"), no,
		     "event names the path");
	ASSERT_STREQ(kv_ev_str(kv_fixture_event(&e.f, "EGRESS_DENY", 2), "path"), abs_no,
		     "abstract name as @name");
out:
	kv_fixture_teardown(&e.f);
}

KV_TEST(unix_sendmsg_allowlist)
{
	char ok[256], no[256], allow[512];
	const char *tmp = kvtest_tmpdir();
	struct expect x[2];
	struct eg e;

	if (!have_connect_unix()) {
		test__skip("kernel has no cgroup/sendmsg_unix (< 6.7)");
		return;
	}
	snprintf(ok, sizeof(ok), "%s/ok.dgram", tmp);
	snprintf(no, sizeof(no), "%s/no.dgram", tmp);
	snprintf(allow, sizeof(allow), "unix:%s", ok);
	if (!eg_setup(&e, allow, NULL, NULL))
		goto out;
	if (kv_bpf_prog_fd(e.f.bpf, "kv_sendmsg_unix") < 0) {
		test__skip("the loader does not load kv_sendmsg_unix (BPF_CGROUP_UNIX_SENDMSG)");
		goto out;
	}
	ASSERT_GE(eg_listen_unix(SOCK_DGRAM, ok), 0, "bind ok");
	ASSERT_GE(eg_listen_unix(SOCK_DGRAM, no), 0, "bind no");
	x[0] = (struct expect){ "listed", OP(EG_UNIX_SENDTO, AF_UNIX, ok, 0), 0 };
	x[1] = (struct expect){ "other", OP(EG_UNIX_SENDTO, AF_UNIX, no, 0), EPERM, "sendmsg_unix" };
	ASSERT_EQ(kv_run_outside(eg_run_op, &x[1].op), 0, "outside");
	check_all(&e, NULL, x, 2);
out:
	kv_fixture_teardown(&e.f);
}

/* Peer network namespace at the other end of a veth pair: fd00:6b76::2
 * with TCP listeners on 8080/8081 and UDP sockets on 9000/9001. */
static pid_t veth_peer(void)
{
	int up[2], down[2];
	char c = 0, cmd[256];
	pid_t pid;

	if (pipe(up) || pipe(down))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) || write(up[1], "r", 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(1);
		if (system("ip link set lo up && ip addr add fd00:6b76::2/64 dev kvb nodad && "
			   "ip link set kvb up"))
			_exit(2);
		if (eg_listen(AF_INET6, SOCK_STREAM, "fd00:6b76::2", 8080) < 0 ||
		    eg_listen(AF_INET6, SOCK_STREAM, "fd00:6b76::2", 8081) < 0 ||
		    eg_listen(AF_INET6, SOCK_DGRAM, "fd00:6b76::2", 9000) < 0 ||
		    eg_listen(AF_INET6, SOCK_DGRAM, "fd00:6b76::2", 9001) < 0)
			_exit(3);
		if (write(up[1], "l", 1) != 1)
			_exit(4);
		pause();
		_exit(0);
	}
	if (pid < 0 || read(up[0], &c, 1) != 1)
		return -1;
	snprintf(cmd, sizeof(cmd), "ip link add kva type veth peer name kvb netns %d 2>/dev/null",
		 (int)pid);
	if (system(cmd)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -2; /* no veth driver in this kernel */
	}
	if (system("ip addr add fd00:6b76::1/64 dev kva nodad && ip link set kva up") ||
	    write(down[1], "g", 1) != 1 || read(up[0], &c, 1) != 1 || c != 'l') {
		kill(pid, SIGKILL);
		return -1;
	}
	return pid;
}

/* Without veth (the VM's kernel has it as a module it may not load): the
 * same addresses on this namespace's lo, listeners in this process. */
static int ula_on_lo(void)
{
	if (system("ip addr add fd00:6b76::1/128 dev lo nodad && "
		   "ip addr add fd00:6b76::2/128 dev lo nodad"))
		return -1;
	if (eg_listen(AF_INET6, SOCK_STREAM, "fd00:6b76::2", 8080) < 0 ||
	    eg_listen(AF_INET6, SOCK_STREAM, "fd00:6b76::2", 8081) < 0 ||
	    eg_listen(AF_INET6, SOCK_DGRAM, "fd00:6b76::2", 9000) < 0 ||
	    eg_listen(AF_INET6, SOCK_DGRAM, "fd00:6b76::2", 9001) < 0)
		return -1;
	return 0;
}

KV_TEST(ipv6_between_netns_over_veth)
{
	static const struct expect x[] = {
		{ "tcp [fd00:6b76::2]:8080", OP(EG_TCP_CONNECT, AF_INET6, "fd00:6b76::2", 8080), 0 },
		{ "udp [fd00:6b76::2]:9000", OP(EG_UDP_SENDTO, AF_INET6, "fd00:6b76::2", 9000), 0 },
		{ "udp connect [fd00:6b76::2]:9000",
		  OP(EG_UDP_CONNECT, AF_INET6, "fd00:6b76::2", 9000), 0 },
		{ "tcp [fd00:6b76::2]:8081", OP(EG_TCP_CONNECT, AF_INET6, "fd00:6b76::2", 8081), EPERM,
		  "connect6", "fd00:6b76::2", 8081, "inet6", "tcp" },
		{ "udp [fd00:6b76::2]:9001", OP(EG_UDP_SENDTO, AF_INET6, "fd00:6b76::2", 9001), EPERM,
		  "sendmsg6", "fd00:6b76::2", 9001, "inet6", "udp" },
		{ "tcp fastopen [fd00:6b76::2]:8081",
		  OP(EG_TCP_FASTOPEN, AF_INET6, "fd00:6b76::2", 8081), EPERM, "connect6",
		  "fd00:6b76::2", 8081, "inet6", "tcp" },
		{ "udp [fd00:6b76::1]:9000 (in the /112)",
		  OP(EG_UDP_SENDTO, AF_INET6, "fd00:6b76::1", 9000), 0 },
		{ "tcp [fd00:6b77::2]:8080 outside the ULA rules",
		  OP(EG_TCP_CONNECT, AF_INET6, "fd00:6b77::2", 8080), EPERM, "connect6",
		  "fd00:6b77::2", 8080, "inet6", "tcp" },
	};
	struct eg e;
	pid_t peer = -1;
	size_t i;

	if (!eg_setup(&e, "[fd00:6b76::2]:8080/tcp,[fd00:6b76::/112]:9000/udp", NULL, NULL))
		goto out;
	peer = veth_peer();
	if (peer == -2) {
		fprintf(stderr, "  note: no veth in this kernel; ULA addresses on lo instead\n");
		if (!ASSERT_OK(ula_on_lo(), "ULA on lo"))
			goto out;
	} else if (!ASSERT_GE(peer, 1, "veth peer netns")) {
		goto out;
	}
	/* reachable from outside the session, the program is what refuses */
	for (i = 3; i < 5; i++)
		ASSERT_EQ(kv_run_outside(eg_run_op, (void *)&x[i].op), 0, x[i].what);
	check_all(&e, NULL, x, sizeof(x) / sizeof(x[0]));
out:
	if (peer > 0)
		kill(peer, SIGKILL);
	kv_fixture_teardown(&e.f);
}

/* `kavachos egress show` reads a session's allowlist back from pinned maps. */
KV_TEST(egress_show_from_pins)
{
	char pins[512], path[600], out[600], id[32];
	char *argv[] = { "egress", "show", id, "--pin-dir", pins, "--json", NULL };
	static const char *const names[] = { "kv_egress_lpm", "kv_egress_unix", "kv_egress_stat" };
	struct json_object *arr = NULL, *s, *net, *ranges;
	static const struct eg_op deny = OP(EG_TCP_CONNECT, AF_INET, "127.0.0.3", 8080);
	int fds[3], i, saved, fd, rc;
	struct eg e;

	if (!eg_setup(&e, "127.0.0.2:8080/tcp,10.0.0.0/8:443", NULL, NULL))
		goto out;
	kv_fixture_run(&e.f, NULL, eg_run_op, (void *)&deny);
	snprintf(pins, sizeof(pins), "%s/bpf", kvtest_tmpdir());
	mkdir(pins, 0700);
	if (!ASSERT_OK(mount("bpf", pins, "bpf", 0, "mode=0700"), "bpffs"))
		goto out;
	fds[0] = e.m.lpm_fd;
	fds[1] = e.m.unix_fd;
	fds[2] = e.m.stat_fd;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", pins, names[i]);
		ASSERT_OK(bpf_obj_pin(fds[i], path), names[i]);
	}
	snprintf(id, sizeof(id), "%llu", (unsigned long long)e.f.s.cgid);
	snprintf(out, sizeof(out), "%s/show.json", kvtest_tmpdir());
	fflush(stdout);
	saved = dup(1);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	rc = cmd_egress(6, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(fd);
	umount2(pins, MNT_DETACH);
	ASSERT_EQ(rc, 0, "egress show");
	arr = json_object_from_file(out);
	if (!ASSERT_OK_PTR(arr, "JSON output") || !ASSERT_EQ(json_object_array_length(arr), 1,
							      "one session"))
		goto out;
	s = json_object_array_get_idx(arr, 0);
	ASSERT_EQ(json_object_get_uint64(json_object_object_get(s, "session")), e.f.s.cgid, "id");
	net = json_object_object_get(s, "net");
	if (ASSERT_EQ(json_object_array_length(net), 2, "two prefixes")) {
		ASSERT_STREQ(json_object_get_string(json_object_object_get(
				     json_object_array_get_idx(net, 0), "prefix")),
			     "10.0.0.0/8", "sorted by address");
		ranges = json_object_object_get(json_object_array_get_idx(net, 1), "ranges");
		ASSERT_EQ(json_object_get_int(json_object_object_get(
				  json_object_array_get_idx(ranges, 0), "port_lo")),
			  8080, "127.0.0.2 port");
	}
	ASSERT_EQ(json_object_get_int(json_object_object_get(json_object_object_get(s, "denied"),
							     "connect4")),
		  1, "the denial counted");
out:
	json_object_put(arr);
	kv_fixture_teardown(&e.f);
}
