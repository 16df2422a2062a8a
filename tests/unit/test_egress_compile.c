// SPDX-License-Identifier: BSD-2-Clause
/* Rules -> LPM entries: covering prefixes folded in, IPv4-mapped space
 * judged only by IPv4 rules, ranges canonical, checked against a direct
 * reading of the rules on random policies. */
#include <arpa/inet.h>
#include <stdlib.h>
#include "egress/egress.h"
#include "kvtest.h"

static struct kv_egress_policy *policy_of(const char *list)
{
	struct kv_egress_policy *p = calloc(1, sizeof(*p));
	char err[512] = "";

	if (!p)
		return NULL;
	if (!ASSERT_OK(kv_egress_policy_add(p, list, KV_EGRESS_SRC_CLI, "test", err, sizeof(err)),
		       "add")) {
		fprintf(stderr, "  %s\n", err);
		kv_egress_policy_free(p);
		return NULL;
	}
	kv_egress_policy_normalize(p);
	return p;
}

static void a6(const char *s, uint8_t out[16])
{
	struct in_addr v4;

	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, &v4) == 1) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &v4, 4);
	} else {
		inet_pton(AF_INET6, s, out);
	}
}

static bool covers(const uint8_t *pa, unsigned plen, const uint8_t *a)
{
	unsigned i;

	for (i = 0; i < plen; i++)
		if ((pa[i / 8] ^ a[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

/* What the BPF program does: longest match, then any admitting range. */
static bool lpm_admits(const struct kv_egress_compiled *c, const uint8_t addr[16], uint16_t port,
		       uint8_t pbit, bool cracked)
{
	const struct kv_egress_entry *best = NULL;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (covers(c->e[i].addr, c->e[i].prefix, addr) &&
		    (!best || c->e[i].prefix > best->prefix))
			best = &c->e[i];
	if (!best)
		return false;
	for (i = 0; i < best->val.n_ranges; i++) {
		const struct kv_egress_range *r = &best->val.r[i];

		if (port >= r->lo && port <= r->hi && (r->protos & pbit) &&
		    (!cracked || (r->flags & KV_EGRESS_F_ESSENTIAL)))
			return true;
	}
	return false;
}

/* What the rules say: some rule of the address's family covers it. */
static bool rules_admit(const struct kv_egress_policy *p, const uint8_t addr[16], uint16_t port,
			uint8_t pbit, bool cracked)
{
	bool v4 = kv_egress_is_v4(addr);
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		const struct kv_egress_rule *r = &p->rules[i];
		bool rv4 = r->prefix >= 96 && kv_egress_is_v4(r->addr);

		if (r->kind != KV_EGRESS_NET || rv4 != v4 || !covers(r->addr, r->prefix, addr))
			continue;
		if (port >= r->port_lo && port <= r->port_hi && (r->protos & pbit) &&
		    (!cracked || (r->flags & KV_EGRESS_F_ESSENTIAL)))
			return true;
	}
	return false;
}

static const struct kv_egress_entry *entry(const struct kv_egress_compiled *c, const char *addr,
					   unsigned prefix)
{
	uint8_t a[16];
	size_t i;

	a6(addr, a);
	for (i = 0; i < c->n; i++)
		if (!memcmp(c->e[i].addr, a, 16) && c->e[i].prefix == prefix)
			return &c->e[i];
	return NULL;
}

KV_TEST(covering_ranges_folded_in)
{
	struct kv_egress_policy *p = policy_of("10.0.0.0/8:443/tcp,10.1.0.0/16:53/udp,10.1.2.3");
	struct kv_egress_compiled c;
	const struct kv_egress_entry *e;
	char err[256];

	if (!p || !ASSERT_OK(kv_egress_compile(p, &c, err, sizeof(err)), "compile"))
		return;
	ASSERT_EQ(c.n, 3, "three prefixes");
	e = entry(&c, "10.0.0.0", 104);
	if (ASSERT_OK_PTR(e, "/8") && ASSERT_EQ(e->val.n_ranges, 1, "/8 ranges")) {
		ASSERT_EQ(e->val.r[0].lo, 443, "443");
		ASSERT_EQ(e->val.r[0].protos, KV_EGRESS_P_TCP, "tcp");
	}
	e = entry(&c, "10.1.0.0", 112);
	if (ASSERT_OK_PTR(e, "/16") && ASSERT_EQ(e->val.n_ranges, 2, "/16 ranges")) {
		ASSERT_EQ(e->val.r[0].lo, 53, "53 first");
		ASSERT_EQ(e->val.r[0].protos, KV_EGRESS_P_UDP, "udp");
		ASSERT_EQ(e->val.r[1].lo, 443, "443 inherited");
	}
	e = entry(&c, "10.1.2.3", 128);
	if (ASSERT_OK_PTR(e, "/32") && ASSERT_EQ(e->val.n_ranges, 1, "/32 ranges")) {
		ASSERT_EQ(e->val.r[0].lo, 1, "all ports");
		ASSERT_EQ(e->val.r[0].hi, 65535, "all ports");
		ASSERT_EQ(e->val.r[0].protos, KV_EGRESS_P_ALL, "both");
	}
	kv_egress_compiled_free(&c);
	kv_egress_policy_free(p);
}

KV_TEST(ipv6_rule_does_not_open_ipv4)
{
	struct kv_egress_policy *p = policy_of("[::/0]:443,10.0.0.0/8:22");
	struct kv_egress_compiled c;
	const struct kv_egress_entry *e;
	uint8_t a[16];
	char err[256];

	if (!p || !ASSERT_OK(kv_egress_compile(p, &c, err, sizeof(err)), "compile"))
		return;
	e = entry(&c, "::ffff:0.0.0.0", 96);
	if (ASSERT_OK_PTR(e, "IPv4 root barrier"))
		ASSERT_EQ(e->val.n_ranges, 0, "barrier admits nothing");
	e = entry(&c, "10.0.0.0", 104);
	if (ASSERT_OK_PTR(e, "v4 rule"))
		ASSERT_EQ(e->val.n_ranges, 1, "no ::/0 ranges inherited");
	a6("192.0.2.1", a);
	ASSERT_FALSE(lpm_admits(&c, a, 443, KV_EGRESS_P_TCP, false), "::/0 does not cover IPv4");
	a6("2001:db8::1", a);
	ASSERT_TRUE(lpm_admits(&c, a, 443, KV_EGRESS_P_TCP, false), "::/0 covers IPv6");
	a6("10.2.3.4", a);
	ASSERT_TRUE(lpm_admits(&c, a, 22, KV_EGRESS_P_TCP, false), "v4 rule");
	ASSERT_FALSE(lpm_admits(&c, a, 443, KV_EGRESS_P_TCP, false), "v4 rule only");
	kv_egress_compiled_free(&c);
	kv_egress_policy_free(p);
}

KV_TEST(essential_survives_merge)
{
	struct kv_egress_policy *p = policy_of("0.0.0.0/0,192.0.2.10:443/tcp");
	struct kv_egress_compiled c;
	uint8_t a[16];
	char err[256];

	if (!p)
		return;
	p->rules[1].flags |= KV_EGRESS_F_ESSENTIAL; /* sorted: 0.0.0.0/0 first */
	if (!ASSERT_OK(kv_egress_compile(p, &c, err, sizeof(err)), "compile"))
		return;
	a6("192.0.2.10", a);
	ASSERT_TRUE(lpm_admits(&c, a, 443, KV_EGRESS_P_TCP, true), "essential when cracked");
	ASSERT_FALSE(lpm_admits(&c, a, 80, KV_EGRESS_P_TCP, true), "others not when cracked");
	ASSERT_TRUE(lpm_admits(&c, a, 80, KV_EGRESS_P_TCP, false), "others when open");
	ASSERT_EQ(entry(&c, "192.0.2.10", 128)->val.n_ranges, 2, "all + essential 443, overlapping");
	kv_egress_compiled_free(&c);
	kv_egress_policy_free(p);
}

static const struct {
	const char *what;
	struct kv_egress_range in[4];
	int n;
	struct kv_egress_range out[4];
	int nout;
} canon_cases[] = {
	{ "overlap joins", { { 10, 20, 1, 0 }, { 15, 30, 1, 0 } }, 2, { { 10, 30, 1, 0 } }, 1 },
	{ "adjacent joins", { { 10, 20, 1, 0 }, { 21, 30, 1, 0 } }, 2, { { 10, 30, 1, 0 } }, 1 },
	{ "gap stays", { { 10, 20, 1, 0 }, { 22, 30, 1, 0 } }, 2, { { 10, 20, 1, 0 }, { 22, 30, 1, 0 } }, 2 },
	{ "tcp+udp same interval", { { 443, 443, 1, 0 }, { 443, 443, 2, 0 } }, 2, { { 443, 443, 3, 0 } }, 1 },
	{ "essential inside all", { { 1, 65535, 3, 0 }, { 443, 443, 1, 1 } }, 2, { { 1, 65535, 3, 0 }, { 443, 443, 1, 1 } }, 2 },
	{ "essential equal to all", { { 443, 443, 1, 0 }, { 443, 443, 1, 1 } }, 2, { { 443, 443, 1, 1 } }, 1 },
	{ "duplicate", { { 80, 80, 3, 0 }, { 80, 80, 3, 0 } }, 2, { { 80, 80, 3, 0 } }, 1 },
};

KV_TEST(ranges_canonical)
{
	struct kv_egress_range out[KV_EGRESS_MAX_RANGES], many[KV_EGRESS_MAX_RANGES + 1];
	size_t i;
	int n, j;

	for (i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++) {
		n = kv_egress_ranges_canon(canon_cases[i].in, (size_t)canon_cases[i].n, out,
					   KV_EGRESS_MAX_RANGES);
		if (!ASSERT_EQ(n, canon_cases[i].nout, canon_cases[i].what))
			continue;
		for (j = 0; j < n; j++) {
			ASSERT_EQ(out[j].lo, canon_cases[i].out[j].lo, canon_cases[i].what);
			ASSERT_EQ(out[j].hi, canon_cases[i].out[j].hi, canon_cases[i].what);
			ASSERT_EQ(out[j].protos, canon_cases[i].out[j].protos, canon_cases[i].what);
			ASSERT_EQ(out[j].flags, canon_cases[i].out[j].flags, canon_cases[i].what);
		}
	}
	for (j = 0; j <= KV_EGRESS_MAX_RANGES; j++)
		many[j] = (struct kv_egress_range){ .lo = (uint16_t)(100 * j + 1),
						    .hi = (uint16_t)(100 * j + 2),
						    .protos = KV_EGRESS_P_TCP };
	ASSERT_EQ(kv_egress_ranges_canon(many, KV_EGRESS_MAX_RANGES + 1, out, KV_EGRESS_MAX_RANGES),
		  -E2BIG, "too many ranges");
}

KV_TEST(too_many_ranges_names_prefix)
{
	struct kv_egress_policy *p = policy_of("10.0.0.1:1,10.0.0.1:3,10.0.0.1:5,10.0.0.1:7,"
					       "10.0.0.1:9,10.0.0.1:11,10.0.0.1:13,10.0.0.1:15,"
					       "10.0.0.1:17");
	struct kv_egress_compiled c;
	char err[256] = "";

	if (!p)
		return;
	ASSERT_EQ(kv_egress_compile(p, &c, err, sizeof(err)), -E2BIG, "E2BIG");
	ASSERT_HAS_SUBSTR(err, "10.0.0.1/32", "names the prefix");
	kv_egress_policy_free(p);
}

KV_TEST(dns_stub_owns_port_53)
{
	struct kv_egress_policy *p = policy_of("0.0.0.0/0,[fd00::/8]:53/udp");
	struct kv_egress_compiled c;
	uint8_t a[16];
	char err[256];

	if (!p)
		return;
	a6("127.0.0.53", p->stub_addr);
	p->stub_port = 53;
	if (!ASSERT_OK(kv_egress_compile(p, &c, err, sizeof(err)), "compile"))
		return;
	a6("192.0.2.1", a);
	ASSERT_FALSE(lpm_admits(&c, a, 53, KV_EGRESS_P_UDP, false), "53 closed elsewhere");
	ASSERT_TRUE(lpm_admits(&c, a, 52, KV_EGRESS_P_UDP, false), "52 open");
	ASSERT_TRUE(lpm_admits(&c, a, 54, KV_EGRESS_P_TCP, false), "54 open");
	ASSERT_TRUE(lpm_admits(&c, p->stub_addr, 53, KV_EGRESS_P_UDP, true), "stub, even cracked");
	ASSERT_NULL(entry(&c, "fd00::", 8), "a 53-only rule vanishes");
	kv_egress_compiled_free(&c);
	kv_egress_policy_free(p);
}

KV_TEST(host_addresses_become_entries)
{
	struct kv_egress_policy *p = policy_of("svc.test:8443/tcp");
	struct kv_egress_compiled c;
	const struct kv_egress_entry *e;
	char err[256];

	if (!p)
		return;
	p->resolved = calloc(p->n_rules, sizeof(*p->resolved));
	p->resolved[0].addr = calloc(2, 16);
	a6("192.0.2.9", p->resolved[0].addr[0]);
	a6("fd00::9", p->resolved[0].addr[1]);
	p->resolved[0].n = 2;
	if (!ASSERT_OK(kv_egress_compile(p, &c, err, sizeof(err)), "compile"))
		return;
	ASSERT_EQ(c.n, 2, "two addresses");
	e = entry(&c, "192.0.2.9", 128);
	if (ASSERT_OK_PTR(e, "v4") && ASSERT_EQ(e->val.n_ranges, 1, "one range"))
		ASSERT_EQ(e->val.r[0].lo, 8443, "the name's port");
	ASSERT_OK_PTR(entry(&c, "fd00::9", 128), "v6");
	kv_egress_compiled_free(&c);
	kv_egress_policy_free(p);
}

KV_TEST(unix_entries)
{
	struct kv_egress_policy *p =
		policy_of("unix:/run/a.sock,unix:/tmp/agent/,unix:@abs,unix:@*,unix:/tmp/agent/x");
	struct kv_egress_compiled c;
	char err[256], s[128];
	size_t i;
	int seen = 0;

	if (!p)
		return;
	for (i = 0; i < p->n_rules; i++)
		if (!strcmp(p->rules[i].name, "/tmp/agent/"))
			p->rules[i].flags |= KV_EGRESS_F_ESSENTIAL;
	if (!ASSERT_OK(kv_egress_compile(p, &c, err, sizeof(err)), "compile"))
		return;
	ASSERT_EQ(c.nu, 5, "five unix entries");
	for (i = 0; i < c.nu; i++) {
		const struct kv_egress_uentry *u = &c.u[i];

		kv_egress_upath_str(u, s, sizeof(s));
		if (!strcmp(s, "/run/a.sock")) {
			ASSERT_EQ(u->nbytes, 12, "exact: path + NUL");
			seen++;
		} else if (!strcmp(s, "/tmp/agent/")) {
			ASSERT_EQ(u->nbytes, 11, "dir: no NUL");
			ASSERT_TRUE(u->val.flags & KV_EGRESS_F_PREFIX, "prefix");
			seen++;
		} else if (!strcmp(s, "/tmp/agent/x")) {
			ASSERT_TRUE(u->val.flags & KV_EGRESS_F_ESSENTIAL, "inherits essential");
			seen++;
		} else if (!strcmp(s, "@abs")) {
			ASSERT_EQ(u->nbytes, 5, "0, len, name");
			ASSERT_EQ(u->path[1], 3, "length byte");
			seen++;
		} else if (!strcmp(s, "@*")) {
			ASSERT_EQ(u->nbytes, 1, "all abstract");
			seen++;
		}
	}
	ASSERT_EQ(seen, 5, "all found");
	kv_egress_compiled_free(&c);
	kv_egress_policy_free(p);
}

/* Deterministic pseudo-random (no libc rand state shared with others). */
static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

static void random_addr(uint64_t *s, uint8_t a[16])
{
	/* a small universe so prefixes overlap often */
	memset(a, 0, 16);
	if (rnd(s) % 2) {
		a[10] = a[11] = 0xff;
		a[12] = 10;
		a[13] = (uint8_t)(rnd(s) % 4);
		a[14] = (uint8_t)(rnd(s) % 4);
		a[15] = (uint8_t)(rnd(s) % 8);
	} else {
		a[0] = (uint8_t)((rnd(s) % 2) ? 0xfd : 0x00);
		a[1] = (uint8_t)(rnd(s) % 4);
		a[15] = (uint8_t)(rnd(s) % 8);
		if (rnd(s) % 4 == 0) { /* near the IPv4-mapped block */
			a[0] = 0;
			a[10] = 0xff;
		}
	}
}

KV_TEST(random_policies_match_rules)
{
	static const unsigned v4p[] = { 96, 104, 112, 120, 126, 128 };
	static const unsigned v6p[] = { 0, 8, 16, 80, 96, 120, 128 };
	uint64_t seed = 42;
	int round, mismatches = 0;

	for (round = 0; round < 200; round++) {
		struct kv_egress_policy *p = calloc(1, sizeof(*p));
		struct kv_egress_compiled c;
		char err[256];
		int i, n = 1 + (int)(rnd(&seed) % 12), q;

		p->rules = calloc((size_t)n, sizeof(*p->rules));
		for (i = 0; i < n; i++) {
			struct kv_egress_rule *r = &p->rules[p->n_rules++];
			unsigned lo = 1 + rnd(&seed) % 40, hi = lo + rnd(&seed) % 20;

			random_addr(&seed, r->addr);
			r->prefix = (uint8_t)(kv_egress_is_v4(r->addr) ? v4p[rnd(&seed) % 6]
								       : v6p[rnd(&seed) % 7]);
			for (q = r->prefix; q < 128; q++) /* mask host bits */
				r->addr[q / 8] &= (uint8_t)~(0x80 >> (q % 8));
			r->kind = KV_EGRESS_NET;
			r->port_lo = (uint16_t)lo;
			r->port_hi = (uint16_t)hi;
			r->protos = (uint8_t)(1 + rnd(&seed) % 3);
			r->flags = rnd(&seed) % 3 == 0 ? KV_EGRESS_F_ESSENTIAL : 0;
		}
		kv_egress_policy_normalize(p);
		if (kv_egress_compile(p, &c, err, sizeof(err))) {
			kv_egress_policy_free(p);
			continue; /* too many ranges for one prefix: refused, fine */
		}
		for (i = 0; i < 300; i++) {
			uint8_t a[16];
			uint16_t port = (uint16_t)(1 + rnd(&seed) % 70);
			uint8_t pbit = (uint8_t)(1 + rnd(&seed) % 2);
			bool cracked = rnd(&seed) % 2;

			random_addr(&seed, a);
			if (lpm_admits(&c, a, port, pbit, cracked) !=
			    rules_admit(p, a, port, pbit, cracked))
				mismatches++;
		}
		kv_egress_compiled_free(&c);
		kv_egress_policy_free(p);
	}
	ASSERT_EQ(mismatches, 0, "compiled trie == rules");
}
