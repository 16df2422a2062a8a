// SPDX-License-Identifier: BSD-2-Clause
/* Host-name rules through the session's DNS stub: dnsmasq on loopback (in
 * the test's own network namespace) is the upstream, serving test names;
 * the agent resolves with glibc through a resolv.conf pointing at the stub
 * (bind-mounted in its own mount namespace, as `kavachos run` does). */
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bpf/loader.h"
#include "egress/dns_stub.h"
#include "egress/egress.h"
#include "fixture.h"
#include "kvtest.h"
#include "session/cgroup.h"
#include "test_egress_net.h"

#define STUB "127.0.0.53"
#define UPSTREAM_PORT 5353

struct dns_env {
	struct kv_fixture f;
	struct kv_egress_maps m;
	struct kv_egress_policy *p;
	struct kv_dns_stub *stub;
	pthread_t th;
	volatile int stop;
	pid_t dnsmasq;
	char resolv[256];
	pthread_mutex_t lock;
	struct json_object *events; /* {"type", "fields"} from the stub */
};

static void on_event(void *ctx, uint64_t session, const char *type, struct json_object *fields)
{
	struct dns_env *d = ctx;
	struct json_object *e = json_object_new_object();

	(void)session;
	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_object_add(e, "fields", fields);
	pthread_mutex_lock(&d->lock);
	json_object_array_add(d->events, e);
	pthread_mutex_unlock(&d->lock);
}

static int count_events(struct dns_env *d, const char *type, const char *name)
{
	size_t i, n;
	int c = 0;

	pthread_mutex_lock(&d->lock);
	n = json_object_array_length(d->events);
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(d->events, i), *f, *v;

		f = json_object_object_get(e, "fields");
		if (strcmp(json_object_get_string(json_object_object_get(e, "type")), type))
			continue;
		if (name && (!json_object_object_get_ex(f, "name", &v) ||
			     strcmp(json_object_get_string(v), name)))
			continue;
		c++;
	}
	pthread_mutex_unlock(&d->lock);
	return c;
}

/* dnsmasq in the foreground with the given host records ("name,addr,ttl"). */
static pid_t start_dnsmasq(const char *const *records)
{
	char conf[512], arg[600], q[64];
	struct sockaddr_storage ss;
	socklen_t len;
	FILE *f;
	pid_t pid;
	int i, s;

	snprintf(conf, sizeof(conf), "%s/dnsmasq.conf", kvtest_tmpdir());
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "port=%d\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\n"
		   "user=root\ngroup=root\npid-file=\n",
		UPSTREAM_PORT);
	for (; *records; records++)
		fprintf(f, "host-record=%s\n", *records);
	fclose(f);
	snprintf(arg, sizeof(arg), "--conf-file=%s", conf);
	pid = fork();
	if (pid == 0) {
		execlp("dnsmasq", "dnsmasq", "--keep-in-foreground", arg, (char *)NULL);
		_exit(127);
	}
	/* ready when it answers */
	eg_sockaddr(AF_INET, "127.0.0.1", UPSTREAM_PORT, &ss, &len);
	for (i = 0; i < 100; i++) {
		static const uint8_t query[] = { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 'p',
						 'i',  'n',  'g', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1 };
		struct timeval tv = { 0, 100000 };

		s = socket(AF_INET, SOCK_DGRAM, 0);
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		sendto(s, query, sizeof(query), 0, (struct sockaddr *)&ss, len);
		if (recv(s, q, sizeof(q), 0) > 0) {
			close(s);
			return pid;
		}
		close(s);
	}
	kill(pid, SIGKILL);
	return -1;
}

static void stop_dnsmasq(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

static void *serve(void *arg)
{
	struct dns_env *d = arg;

	kv_dns_stub_serve(d->stub, &d->stop);
	return NULL;
}

static const char *const records[] = {
	"allowed.test,192.0.2.10,2", "other.test,192.0.2.11,60", "a.wild.test,192.0.2.12,60",
	"rebind.test,127.0.0.3,60", "static.test,127.0.0.4,60", NULL,
};

static bool dns_setup(struct dns_env *d, uint32_t grace, bool prefetch)
{
	const char *allow = "allowed.test:443/tcp,*.wild.test:443/tcp,rebind.test:443/tcp,"
			    "static.test:443/tcp,127.0.0.4:443/tcp";
	struct kv_egress_input in = { .no_default_net = true, .cli_allow = &allow,
				      .n_cli_allow = 1 };
	struct kv_dns_stub_opts o = { 0 };
	static const char *const addrs[] = { "192.0.2.10", "192.0.2.11", "192.0.2.12",
					     "127.0.0.3", "127.0.0.4" };
	socklen_t len;
	char err[512] = "";
	size_t i;
	FILE *f;

	memset(d, 0, sizeof(*d));
	d->dnsmasq = -1;
	pthread_mutex_init(&d->lock, NULL);
	d->events = json_object_new_array();
	if (!ASSERT_OK(eg_private_netns(), "netns"))
		return false;
	if (!ASSERT_OK(system("ip addr add 192.0.2.10/32 dev lo && ip addr add 192.0.2.11/32 dev lo"
			      " && ip addr add 192.0.2.12/32 dev lo"),
		       "test addresses"))
		return false;
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		if (!ASSERT_GE(eg_listen(AF_INET, SOCK_STREAM, addrs[i], 443), 0, addrs[i]))
			return false;
	d->dnsmasq = start_dnsmasq(records);
	if (!ASSERT_GE(d->dnsmasq, 1, "dnsmasq upstream"))
		return false;
	if (!kv_fixture_setup(&d->f, NULL, NULL))
		return false;
	d->m.lpm_fd = kv_bpf_map_fd(d->f.bpf, "kv_egress_lpm");
	d->m.unix_fd = kv_bpf_map_fd(d->f.bpf, "kv_egress_unix");
	d->m.stat_fd = kv_bpf_map_fd(d->f.bpf, "kv_egress_stat");
	if (!ASSERT_OK(kv_egress_policy_build(&in, &d->p, err, sizeof(err)), err))
		return false;
	/* the stub first: its address goes into the policy (only it on :53) */
	o.maps = &d->m;
	o.session = d->f.s.cgid;
	o.policy = d->p;
	eg_sockaddr(AF_INET, STUB, 53, &o.listen, &len);
	eg_sockaddr(AF_INET, "127.0.0.1", UPSTREAM_PORT, &o.upstream[0], &len);
	o.n_upstream = 1;
	o.grace_s = grace;
	o.timeout_ms = 1000;
	o.on_event = on_event;
	o.ctx = d;
	if (!ASSERT_OK(kv_dns_stub_open(&o, &d->stub), "stub"))
		return false;
	inet_pton(AF_INET6, "::ffff:" STUB, d->p->stub_addr);
	d->p->stub_port = 53;
	if (!ASSERT_OK(kv_egress_policy_apply(&d->m, d->f.s.cgid, d->p, err, sizeof(err)), err))
		return false;
	snprintf(d->resolv, sizeof(d->resolv), "%s/resolv.conf", kvtest_tmpdir());
	f = fopen(d->resolv, "w");
	if (!f)
		return false;
	fprintf(f, "nameserver %s\noptions timeout:1 attempts:1\n", STUB);
	fclose(f);
	/* before the serving thread: the stub is single-threaded */
	if (prefetch && !ASSERT_EQ(kv_dns_stub_prefetch(d->stub), 3,
				  "names resolved at start (wildcards are not)"))
		return false;
	return ASSERT_OK(pthread_create(&d->th, NULL, serve, d), "stub thread");
}

static void dns_teardown(struct dns_env *d)
{
	if (d->stub) {
		d->stop = 1;
		pthread_join(d->th, NULL);
		kv_dns_stub_close(d->stub);
	}
	stop_dnsmasq(d->dnsmasq);
	kv_fixture_teardown(&d->f);
	kv_egress_policy_free(d->p);
	json_object_put(d->events);
}

struct agent {
	const char *resolv; /* bind-mounted over /etc/resolv.conf */
	const char *name;   /* resolved with getaddrinfo, or NULL */
	const char *addr;   /* else connected to directly */
	uint16_t port;
};

#define RESOLVE_FAILED 90

/* Its own mount namespace with the stub in /etc/resolv.conf, set up
 * before it joins the session, as `kavachos run` does (inside, BPF-LSM
 * refuses mounts to the agent). */
static int mount_resolv(const char *resolv)
{
	if (unshare(CLONE_NEWNS))
		return 97;
	/* keep the bind mount from propagating out; this fails where "/" is
	 * no mount point (the VM's chroot), and nothing propagates there */
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (mount(resolv, "/etc/resolv.conf", NULL, MS_BIND, NULL))
		return 100 + (errno & 15); /* says why in the failed assertion */
	return 0;
}

static int agent_body(const struct agent *a)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
	char buf[INET_ADDRSTRLEN];
	struct eg_op op = { .kind = EG_TCP_CONNECT, .family = AF_INET, .port = a->port };

	if (!a->name) {
		op.addr = a->addr;
		return eg_do(&op);
	}
	if (getaddrinfo(a->name, NULL, &hints, &res))
		return RESOLVE_FAILED;
	inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, buf, sizeof(buf));
	freeaddrinfo(res);
	op.addr = buf;
	return eg_do(&op);
}

/* In the session's cgroup, or outside every session (cgroup NULL). */
static int run_in(const char *cgroup, const struct agent *a)
{
	int status, r;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		r = mount_resolv(a->resolv);
		if (r)
			_exit(r);
		if (cgroup && kv_cgroup_move(cgroup, getpid()))
			_exit(96);
		_exit(agent_body(a));
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_agent(struct dns_env *d, const char *name, const char *addr, uint16_t port)
{
	struct agent a = { d->resolv, name, addr, port };

	return run_in(d->f.s.cgroup, &a);
}

KV_TEST(allowed_name_works_on_first_use)
{
	struct dns_env d;

	if (!dns_setup(&d, 60, false))
		goto out;
	ASSERT_EQ(run_agent(&d, NULL, "192.0.2.10", 443), EPERM, "address never answered: closed");
	ASSERT_EQ(run_agent(&d, "allowed.test", NULL, 443), 0, "resolve + connect");
	ASSERT_EQ(run_agent(&d, NULL, "192.0.2.10", 443), 0, "admitted for its TTL");
	ASSERT_EQ(run_agent(&d, NULL, "192.0.2.10", 80), EPERM, "only the name's ports");
	ASSERT_EQ(count_events(&d, "DNS_ADMITTED", "allowed.test"), 1, "admission recorded");
	ASSERT_EQ(run_agent(&d, "a.wild.test", NULL, 443), 0, "*.wild.test");
	ASSERT_EQ(run_agent(&d, "static.test", NULL, 443), 0, "statically allowed answer");
	ASSERT_EQ(count_events(&d, "DNS_REBIND_BLOCKED", "static.test"), 0,
		  "static answer is no rebinding");
out:
	dns_teardown(&d);
}

KV_TEST(other_names_refused)
{
	struct dns_env d;

	if (!dns_setup(&d, 60, false))
		goto out;
	ASSERT_EQ(run_agent(&d, "other.test", NULL, 443), RESOLVE_FAILED, "name not listed");
	ASSERT_GE(count_events(&d, "DNS_REFUSED", "other.test"), 1, "refusal recorded");
	ASSERT_EQ(run_agent(&d, NULL, "192.0.2.11", 443), EPERM, "its address stays closed");
	ASSERT_EQ(run_agent(&d, "wild.test", NULL, 443), RESOLVE_FAILED, "*.x does not cover x");
	/* DNS only through the stub */
	{
		struct eg_op up = { .kind = EG_UDP_SENDTO, .family = AF_INET, .addr = "127.0.0.1",
				    .port = UPSTREAM_PORT };
		struct eg_op other53 = { .kind = EG_UDP_SENDTO, .family = AF_INET,
					 .addr = "192.0.2.11", .port = 53 };
		struct eg_op stub = { .kind = EG_UDP_SENDTO, .family = AF_INET, .addr = STUB,
				      .port = 53 };

		ASSERT_EQ(kv_fixture_run(&d.f, NULL, eg_run_op, &up), EPERM, "upstream direct");
		ASSERT_EQ(kv_fixture_run(&d.f, NULL, eg_run_op, &other53), EPERM, "other :53");
		ASSERT_EQ(kv_fixture_run(&d.f, NULL, eg_run_op, &stub), 0, "the stub");
	}
out:
	dns_teardown(&d);
}

KV_TEST(rebinding_answer_not_admitted)
{
	struct dns_env d;

	if (!dns_setup(&d, 60, false))
		goto out;
	/* the name is allowed and resolves, its loopback address stays shut */
	ASSERT_EQ(run_agent(&d, "rebind.test", NULL, 443), EPERM, "rebinding to 127.0.0.3");
	ASSERT_EQ(count_events(&d, "DNS_REBIND_BLOCKED", "rebind.test"), 1, "recorded");
	ASSERT_EQ(run_in(NULL, &(struct agent){ d.resolv, NULL, "127.0.0.3", 443 }), 0,
		  "reachable without the program");
out:
	dns_teardown(&d);
}

static int entry_of(struct dns_env *d, const char *v4, struct kv_egress_val *val)
{
	uint8_t a[16] = { [10] = 0xff, [11] = 0xff };

	inet_pton(AF_INET, v4, a + 12);
	if (kv_egress_lookup(&d->m, d->f.s.cgid, a, 128, val))
		return -ENOENT;
	return val->prefix == 128 ? 0 : -ENOENT;
}

static uint32_t boot_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint32_t)ts.tv_sec;
}

KV_TEST(ttl_expiry_closes_and_ttl_change_is_honoured)
{
	static const char *const longer[] = { "allowed.test,192.0.2.10,600", NULL };
	struct kv_egress_val v;
	struct dns_env d;
	uint32_t t;

	if (!dns_setup(&d, 1, false)) /* TTL 2 s + grace 1 s */
		goto out;
	ASSERT_EQ(run_agent(&d, "allowed.test", NULL, 443), 0, "within TTL");
	if (ASSERT_OK(entry_of(&d, "192.0.2.10", &v), "admitted entry"))
		ASSERT_LE(v.r[v.n_ranges - 1].expires, boot_now() + 3, "expires after TTL + grace");
	sleep(5);
	ASSERT_EQ(run_agent(&d, NULL, "192.0.2.10", 443), EPERM, "expired in the kernel");
	ASSERT_GE(kv_dns_stub_sweep(d.stub), 0, "sweep");
	ASSERT_EQ(entry_of(&d, "192.0.2.10", &v), -ENOENT, "swept from the map");
	/* the upstream now says 600 s: the new answer's TTL is what counts */
	stop_dnsmasq(d.dnsmasq);
	d.dnsmasq = start_dnsmasq(longer);
	if (!ASSERT_GE(d.dnsmasq, 1, "dnsmasq restarted"))
		goto out;
	t = boot_now();
	ASSERT_EQ(run_agent(&d, "allowed.test", NULL, 443), 0, "resolved again");
	if (ASSERT_OK(entry_of(&d, "192.0.2.10", &v), "admitted again")) {
		ASSERT_GE(v.r[v.n_ranges - 1].expires, t + 600, "600 s TTL");
		ASSERT_LE(v.r[v.n_ranges - 1].expires, boot_now() + 601 + 1, "+ 1 s grace");
	}
out:
	dns_teardown(&d);
}

/* Session start: the policy's names are resolved through the stub and open
 * for their TTL before the agent asks; names it may not ask stay closed. */
KV_TEST(prefetch_at_session_start)
{
	struct dns_env d;

	if (!dns_setup(&d, 60, true))
		goto out;
	ASSERT_EQ(run_agent(&d, NULL, "192.0.2.10", 443), 0, "allowed.test open at start");
	ASSERT_EQ(run_agent(&d, NULL, "192.0.2.11", 443), EPERM, "other.test closed");
	ASSERT_EQ(run_agent(&d, NULL, "127.0.0.3", 443), EPERM, "rebinding answer closed");
	ASSERT_EQ(count_events(&d, "DNS_REBIND_BLOCKED", "rebind.test"), 1, "recorded");
out:
	dns_teardown(&d);
}
