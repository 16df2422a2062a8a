// SPDX-License-Identifier: BSD-2-Clause
/* The DNS stub resolver of a session (see dns_stub.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "common/log.h"
#include "egress/dns_stub.h"
#include "egress/dns_wire.h"

#define FEAT "egress-dns"
#define MSG_MAX 4096 /* EDNS0 answers up to 4 KiB */
#define SWEEP_EVERY_S 5
#define ADDRS_MAX 64

struct kv_dns_stub {
	struct kv_dns_stub_opts o;
	int fd;
	struct sockaddr_storage addr;
	/* addresses admitted so far: what the sweep looks at */
	uint8_t (*adm)[16];
	size_t n_adm, cap_adm;
};

static uint32_t boot_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint32_t)ts.tv_sec;
}

static socklen_t ss_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

void kv_dns_stub_pick_addr(uint64_t session, unsigned salt, struct sockaddr_storage *out)
{
	struct sockaddr_in *sa = (struct sockaddr_in *)out;
	uint32_t h = (uint32_t)(session * 0x9E3779B97F4A7C15ULL >> 40) + salt * 7919u;

	memset(out, 0, sizeof(*out));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(53);
	/* 127.77.0.0/16, host part 1..65534 */
	sa->sin_addr.s_addr = htonl(0x7f4d0000u | (1 + h % 65534u));
}

int kv_dns_upstreams_from_resolv_conf(const char *path, struct sockaddr_storage *out, size_t max,
				      size_t *n)
{
	char line[512], ns[256];
	FILE *f = fopen(path, "re");

	*n = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && *n < max) {
		struct sockaddr_storage *ss = &out[*n];

		if (sscanf(line, " nameserver %255s", ns) != 1)
			continue;
		memset(ss, 0, sizeof(*ss));
		if (inet_pton(AF_INET, ns, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
			ss->ss_family = AF_INET;
			((struct sockaddr_in *)ss)->sin_port = htons(53);
			(*n)++;
		} else if (inet_pton(AF_INET6, ns, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
			ss->ss_family = AF_INET6;
			((struct sockaddr_in6 *)ss)->sin6_port = htons(53);
			(*n)++;
		}
	}
	fclose(f);
	return 0;
}

static bool name_matches(const struct kv_egress_rule *r, const char *name)
{
	size_t n, s;

	if (r->kind != KV_EGRESS_HOST)
		return false;
	if (!r->wildcard)
		return !strcmp(r->name, name);
	n = strlen(name);
	s = strlen(r->name);
	return n > s + 1 && name[n - s - 1] == '.' && !strcmp(name + n - s, r->name);
}

bool kv_egress_name_allowed(const struct kv_egress_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++)
		if (name_matches(&p->rules[i], name))
			return true;
	return false;
}

/* Loopback, private, link-local, shared, multicast, unspecified: answers
 * in these are what DNS rebinding aims at. */
static bool special_addr(const uint8_t a[16])
{
	static const struct {
		uint8_t p[16];
		unsigned len;
	} nets[] = {
		{ { [10] = 0xff, [11] = 0xff, [12] = 0 }, 104 },		 /* 0/8 */
		{ { [10] = 0xff, [11] = 0xff, [12] = 10 }, 104 },	 /* 10/8 */
		{ { [10] = 0xff, [11] = 0xff, [12] = 100, [13] = 64 }, 106 }, /* 100.64/10 */
		{ { [10] = 0xff, [11] = 0xff, [12] = 127 }, 104 },	 /* 127/8 */
		{ { [10] = 0xff, [11] = 0xff, [12] = 169, [13] = 254 }, 112 },
		{ { [10] = 0xff, [11] = 0xff, [12] = 172, [13] = 16 }, 108 },
		{ { [10] = 0xff, [11] = 0xff, [12] = 192, [13] = 168 }, 112 },
		{ { [10] = 0xff, [11] = 0xff, [12] = 224 }, 100 }, /* 224/4 */
		{ { [10] = 0xff, [11] = 0xff, [12] = 240 }, 100 }, /* 240/4 */
		{ { 0 }, 128 },					   /* :: */
		{ { [15] = 1 }, 128 },				   /* ::1 */
		{ { 0xfc }, 7 },				   /* ULA */
		{ { 0xfe, 0x80 }, 10 },				   /* link-local */
		{ { 0xff }, 8 },				   /* multicast */
	};
	size_t i;

	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		unsigned full = nets[i].len / 8, rem = nets[i].len % 8;

		if (memcmp(a, nets[i].p, full))
			continue;
		if (!rem || !((a[full] ^ nets[i].p[full]) & (uint8_t)(0xff << (8 - rem))))
			return true;
	}
	return false;
}

static void addr_str(const uint8_t a[16], char *buf, size_t len)
{
	if (kv_egress_is_v4(a))
		inet_ntop(AF_INET, a + 12, buf, len);
	else
		inet_ntop(AF_INET6, a, buf, len);
}

static void emit(struct kv_dns_stub *s, const char *type, struct json_object *fields)
{
	if (s->o.on_event)
		s->o.on_event(s->o.ctx, s->o.session, type, fields);
	else
		json_object_put(fields);
}

/* The static ranges admit (lo..hi, protos) with at least the same flag. */
static bool covered(const struct kv_egress_val *v, const struct kv_egress_range *n)
{
	uint32_t i;

	for (i = 0; i < v->n_ranges && i < KV_EGRESS_MAX_RANGES; i++) {
		const struct kv_egress_range *r = &v->r[i];

		if ((r->flags & KV_EGRESS_F_DNS) || r->lo > n->lo || r->hi < n->hi ||
		    (r->protos & n->protos) != n->protos)
			continue;
		if ((n->flags & KV_EGRESS_F_ESSENTIAL) && !(r->flags & KV_EGRESS_F_ESSENTIAL))
			continue;
		return true;
	}
	return false;
}

/* Drops expired DNS ranges in place; returns how many remain of them. */
static int prune(struct kv_egress_val *v, uint32_t now)
{
	uint32_t i, o = 0;
	int dns = 0;

	for (i = 0; i < v->n_ranges && i < KV_EGRESS_MAX_RANGES; i++) {
		struct kv_egress_range *r = &v->r[i];

		if ((r->flags & KV_EGRESS_F_DNS) && now > r->expires)
			continue;
		dns += !!(r->flags & KV_EGRESS_F_DNS);
		v->r[o++] = *r;
	}
	v->n_ranges = o;
	return dns;
}

static int remember(struct kv_dns_stub *s, const uint8_t a[16])
{
	size_t i;

	for (i = 0; i < s->n_adm; i++)
		if (!memcmp(s->adm[i], a, 16))
			return 0;
	if (s->n_adm == s->cap_adm) {
		size_t cap = s->cap_adm ? s->cap_adm * 2 : 32;
		uint8_t(*n)[16] = realloc(s->adm, cap * 16);

		if (!n)
			return -ENOMEM;
		s->adm = n;
		s->cap_adm = cap;
	}
	memcpy(s->adm[s->n_adm++], a, 16);
	return 0;
}

/* Adds the ranges rs[0..n) (F_DNS, with expiry) to the address's entry:
 * the entry found (exact, or the covering static one whose ranges a new
 * /128 must carry along) plus these, written as the exact /128. */
static int admit(struct kv_dns_stub *s, const uint8_t a[16], const struct kv_egress_range *rs,
		 size_t n)
{
	struct kv_egress_entry e = { .prefix = 128 };
	bool changed;
	size_t i, j;
	uint32_t before;

	memcpy(e.addr, a, 16);
	if (kv_egress_lookup(s->o.maps, s->o.session, a, 128, &e.val))
		memset(&e.val, 0, sizeof(e.val)); /* nothing covers it */
	if (e.val.n_ranges > KV_EGRESS_MAX_RANGES)
		return -EINVAL;
	if (e.val.prefix != 128) {
		/* found a covering prefix (or none): the new /128 shadows it,
		 * so it carries that prefix's ranges along */
		e.val.flags = KV_EGRESS_F_DNS;
		e.val.prefix = 128;
	}
	before = e.val.n_ranges;
	prune(&e.val, boot_s());
	changed = e.val.n_ranges != before;
	for (i = 0; i < n; i++) {
		const struct kv_egress_range *r = &rs[i];

		if (covered(&e.val, r))
			continue; /* the static policy admits it anyway */
		for (j = 0; j < e.val.n_ranges; j++) {
			struct kv_egress_range *x = &e.val.r[j];

			if ((x->flags & KV_EGRESS_F_DNS) && x->lo == r->lo && x->hi == r->hi &&
			    x->protos == r->protos && x->flags == r->flags)
				break;
		}
		if (j < e.val.n_ranges) { /* the same range again: a new TTL */
			if (r->expires > e.val.r[j].expires) {
				e.val.r[j].expires = r->expires;
				changed = true;
			}
			continue;
		}
		if (e.val.n_ranges >= KV_EGRESS_MAX_RANGES)
			return -E2BIG;
		e.val.r[e.val.n_ranges++] = *r;
		changed = true;
	}
	if (!changed)
		return 0;
	if (remember(s, a))
		return -ENOMEM;
	return kv_egress_put(s->o.maps, s->o.session, &e);
}

/* The ranges a name's rules give an answer: cut around 53 (only the
 * stub serves DNS), expiring at now + min(ttl, cap) + grace. */
static size_t name_ranges(struct kv_dns_stub *s, const char *name, uint32_t ttl,
			  struct kv_egress_range *out, size_t max)
{
	uint32_t exp = boot_s() + (ttl < s->o.max_ttl_s ? ttl : s->o.max_ttl_s) + s->o.grace_s;
	size_t i, n = 0;

	for (i = 0; i < s->o.policy->n_rules && n + 2 <= max; i++) {
		const struct kv_egress_rule *r = &s->o.policy->rules[i];
		struct kv_egress_range base = { .lo = r->port_lo,
						.hi = r->port_hi,
						.protos = r->protos,
						.flags = (uint8_t)(KV_EGRESS_F_DNS |
								   (r->flags & KV_EGRESS_F_ESSENTIAL)),
						.expires = exp };

		if (!name_matches(r, name))
			continue;
		if (base.lo > 53 || base.hi < 53) {
			out[n++] = base;
			continue;
		}
		if (base.lo <= 52) {
			out[n] = base;
			out[n++].hi = 52;
		}
		if (base.hi >= 54) {
			out[n] = base;
			out[n++].lo = 54;
		}
	}
	return n;
}

static void admit_answer(struct kv_dns_stub *s, const struct kv_dns_question *q,
			 const struct kv_dns_rr_addr *as, size_t na)
{
	struct json_object *list = json_object_new_array(), *o;
	struct kv_egress_range rs[2 * KV_EGRESS_MAX_RANGES];
	char buf[INET6_ADDRSTRLEN];
	uint32_t expires = 0;
	size_t i, nr;
	int e;

	for (i = 0; i < na; i++) {
		struct kv_egress_val v;

		addr_str(as[i].addr, buf, sizeof(buf));
		nr = name_ranges(s, q->name, as[i].ttl, rs, sizeof(rs) / sizeof(rs[0]));
		if (!nr)
			continue;
		if (special_addr(as[i].addr)) {
			size_t k;
			bool all = !kv_egress_lookup(s->o.maps, s->o.session, as[i].addr, 128, &v);

			for (k = 0; all && k < nr; k++)
				all = covered(&v, &rs[k]);
			if (!all) {
				o = json_object_new_object();
				json_object_object_add(o, "name", json_object_new_string(q->name));
				json_object_object_add(o, "address", json_object_new_string(buf));
				emit(s, "DNS_REBIND_BLOCKED", o);
			}
			continue;
		}
		e = admit(s, as[i].addr, rs, nr);
		if (e) {
			o = json_object_new_object();
			json_object_object_add(o, "name", json_object_new_string(q->name));
			json_object_object_add(o, "address", json_object_new_string(buf));
			json_object_object_add(o, "error", json_object_new_string(strerror(-e)));
			emit(s, "DNS_ADMIT_FAILED", o);
			continue;
		}
		expires = rs[0].expires;
		json_object_array_add(list, json_object_new_string(buf));
	}
	if (!json_object_array_length(list)) {
		json_object_put(list);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(q->name));
	json_object_object_add(o, "addresses", list);
	json_object_object_add(o, "expires_boot_s", json_object_new_int64(expires));
	emit(s, "DNS_ADMITTED", o);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static uint16_t random_id(void)
{
	uint16_t id;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)(now_ms() ^ getpid());
	return id;
}

/* Asks the upstreams in turn, from a connected socket (the kernel drops
 * datagrams from any other source) under a fresh random id (the agent
 * chose the one in its query); the first answer to this question wins and
 * goes back with the agent's id. */
static int forward(struct kv_dns_stub *s, const uint8_t *qm, size_t qn,
		   const struct kv_dns_question *q, uint8_t *resp, size_t cap)
{
	struct kv_dns_question uq = *q;
	uint8_t out[MSG_MAX];
	size_t i;

	if (qn > sizeof(out))
		return -EMSGSIZE;
	memcpy(out, qm, qn);
	for (i = 0; i < s->o.n_upstream; i++) {
		const struct sockaddr_storage *up = &s->o.upstream[i];
		int u = socket(up->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		long deadline = now_ms() + (long)s->o.timeout_ms, left;

		if (u < 0)
			continue;
		uq.id = random_id();
		out[0] = (uint8_t)(uq.id >> 8);
		out[1] = (uint8_t)uq.id;
		if (connect(u, (const struct sockaddr *)up, ss_len(up)) || send(u, out, qn, 0) < 0) {
			close(u);
			continue;
		}
		while ((left = deadline - now_ms()) > 0) {
			struct pollfd p = { .fd = u, .events = POLLIN };
			struct kv_dns_rr_addr none;
			ssize_t n;
			size_t nd;
			int rc;

			if (poll(&p, 1, (int)left) != 1)
				break;
			n = recv(u, resp, cap, 0);
			if (n > 0 && !kv_dns_parse_response(resp, (size_t)n, &uq, &rc, &none, 0, &nd)) {
				close(u);
				resp[0] = (uint8_t)(q->id >> 8);
				resp[1] = (uint8_t)q->id;
				return (int)n;
			}
		}
		close(u);
	}
	return -ETIMEDOUT;
}

int kv_dns_stub_handle(struct kv_dns_stub *s)
{
	uint8_t qm[MSG_MAX], resp[MSG_MAX];
	struct kv_dns_rr_addr as[ADDRS_MAX];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	struct kv_dns_question q;
	struct json_object *o;
	ssize_t n;
	size_t na;
	int r, rc;

	n = recvfrom(s->fd, qm, sizeof(qm), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (kv_dns_parse_query(qm, (size_t)n, &q))
		return 0; /* not a query we can even answer FORMERR to: drop */
	if (!kv_egress_name_allowed(s->o.policy, q.name)) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(q.name));
		json_object_object_add(o, "qtype", json_object_new_int(q.qtype));
		emit(s, "DNS_REFUSED", o);
		r = kv_dns_error_reply(qm, &q, KV_DNS_RC_REFUSED, resp, sizeof(resp));
		goto reply;
	}
	r = forward(s, qm, (size_t)n, &q, resp, sizeof(resp));
	if (r < 0) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(q.name));
		emit(s, "DNS_UPSTREAM_FAILED", o);
		r = kv_dns_error_reply(qm, &q, KV_DNS_RC_SERVFAIL, resp, sizeof(resp));
		goto reply;
	}
	/* admit first, answer second: the agent's first connect must pass */
	if (!kv_dns_parse_response(resp, (size_t)r, &q, &rc, as, ADDRS_MAX, &na) && !rc && na)
		admit_answer(s, &q, as, na);
reply:
	if (r > 0)
		sendto(s->fd, resp, (size_t)r, 0, (struct sockaddr *)&from, fl);
	return 0;
}

int kv_dns_stub_prefetch(struct kv_dns_stub *s)
{
	static const uint16_t types[] = { KV_DNS_T_A, KV_DNS_T_AAAA };
	uint8_t qm[512], resp[MSG_MAX];
	struct kv_dns_rr_addr as[ADDRS_MAX];
	struct kv_dns_question q;
	size_t i, t, na;
	int ok = 0, n, r, rc;

	for (i = 0; i < s->o.policy->n_rules; i++) {
		const struct kv_egress_rule *rule = &s->o.policy->rules[i];
		bool resolved = false;

		if (rule->kind != KV_EGRESS_HOST || rule->wildcard ||
		    (i && s->o.policy->rules[i - 1].kind == KV_EGRESS_HOST &&
		     !strcmp(s->o.policy->rules[i - 1].name, rule->name)))
			continue; /* wildcards have no name to ask; same name, other ports */
		for (t = 0; t < 2; t++) {
			n = kv_dns_build_query(rule->name, types[t], random_id(), qm,
					       sizeof(qm));
			if (n < 0 || kv_dns_parse_query(qm, (size_t)n, &q))
				continue;
			r = forward(s, qm, (size_t)n, &q, resp, sizeof(resp));
			if (r > 0 && !kv_dns_parse_response(resp, (size_t)r, &q, &rc, as, ADDRS_MAX,
							     &na) &&
			    !rc && na) {
				admit_answer(s, &q, as, na);
				resolved = true;
			}
		}
		ok += resolved;
	}
	return ok;
}

int kv_dns_stub_sweep(struct kv_dns_stub *s)
{
	uint32_t now = boot_s();
	size_t i, o = 0;
	int closed = 0;

	for (i = 0; i < s->n_adm; i++) {
		struct kv_egress_entry e = { .prefix = 128 };
		struct kv_egress_key k;
		uint32_t before;
		int dns;

		memcpy(e.addr, s->adm[i], 16);
		if (kv_egress_lookup(s->o.maps, s->o.session, e.addr, 128, &e.val) ||
		    e.val.prefix != 128)
			continue; /* gone (session removed): forget it */
		before = e.val.n_ranges;
		dns = prune(&e.val, now);
		if (dns)
			memcpy(s->adm[o++], s->adm[i], 16);
		if (e.val.n_ranges == before)
			continue;
		closed++;
		if (!dns && (e.val.flags & KV_EGRESS_F_DNS)) {
			kv_egress_key_make(&k, s->o.session, e.addr, 128);
			bpf_map_delete_elem(s->o.maps->lpm_fd, &k);
		} else {
			kv_egress_put(s->o.maps, s->o.session, &e);
		}
	}
	s->n_adm = o;
	return closed;
}

int kv_dns_stub_open(const struct kv_dns_stub_opts *o, struct kv_dns_stub **out)
{
	struct kv_dns_stub *s;
	int e;

	if (!o->maps || !o->policy)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	if (!s->o.grace_s)
		s->o.grace_s = KV_DNS_GRACE_DEFAULT;
	if (!s->o.max_ttl_s)
		s->o.max_ttl_s = KV_DNS_MAX_TTL_DEFAULT;
	if (!s->o.timeout_ms)
		s->o.timeout_ms = KV_DNS_TIMEOUT_DEFAULT;
	if (!s->o.n_upstream) {
		e = kv_dns_upstreams_from_resolv_conf("/etc/resolv.conf", s->o.upstream,
						      KV_DNS_MAX_UPSTREAMS, &s->o.n_upstream);
		if (e || !s->o.n_upstream)
			kv_warn(FEAT, "no upstream resolver in /etc/resolv.conf: every allowed "
				      "name will fail with SERVFAIL");
	}
	s->addr = o->listen;
	if (!s->addr.ss_family)
		kv_dns_stub_pick_addr(o->session, 0, &s->addr);
	s->fd = socket(s->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&s->addr, ss_len(&s->addr))) {
		e = -errno;
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return e;
	}
	*out = s;
	return 0;
}

void kv_dns_stub_addr(const struct kv_dns_stub *s, struct sockaddr_storage *out)
{
	*out = s->addr;
}

int kv_dns_stub_fd(const struct kv_dns_stub *s)
{
	return s->fd;
}

int kv_dns_stub_serve(struct kv_dns_stub *s, const volatile int *stop)
{
	uint32_t last = boot_s();

	while (!*stop) {
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		int r = poll(&p, 1, 500);

		if (r < 0 && errno != EINTR)
			return -errno;
		while (r > 0 && kv_dns_stub_handle(s) == 0)
			;
		if (boot_s() - last >= SWEEP_EVERY_S) {
			kv_dns_stub_sweep(s);
			last = boot_s();
		}
	}
	return 0;
}

void kv_dns_stub_close(struct kv_dns_stub *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s->adm);
	free(s);
}
