// SPDX-License-Identifier: BSD-2-Clause
/* Rules -> LPM trie entries. The kernel's trie answers with the single
 * longest matching prefix, so every entry must already hold the ranges of
 * all the rules covering it: walk the prefixes in (address, length) order
 * with a stack of ancestors and fold each parent's ranges into its child. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "egress/egress.h"

/* ---- port ranges ---- */

struct ival {
	uint32_t lo, hi;
};

static int ival_cmp(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* Sorts and joins overlapping or adjacent intervals in place. */
static size_t ival_union(struct ival *v, size_t n)
{
	size_t i, o = 0;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), ival_cmp);
	for (i = 1; i < n; i++) {
		if (v[i].lo <= v[o].hi + 1) {
			if (v[i].hi > v[o].hi)
				v[o].hi = v[i].hi;
		} else {
			v[++o] = v[i];
		}
	}
	return o + 1;
}

static int range_cmp(const void *a, const void *b)
{
	const struct kv_egress_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->protos != y->protos)
		return x->protos < y->protos ? -1 : 1;
	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	return x->expires < y->expires ? -1 : x->expires > y->expires;
}

/* One protocol's allowed set A and essential set E (E within A). Emits E
 * as essential ranges and each interval of A not equal to one of E as a
 * plain range: overlapping is fine (any range admitting a port passes)
 * and gives fewer ranges than cutting A around E. */
static size_t emit_proto(struct ival *a, size_t na, struct ival *e, size_t ne, uint8_t proto,
			 struct kv_egress_range *out, size_t o)
{
	size_t i, j;

	for (i = 0; i < na; i++) {
		bool dup = false;

		for (j = 0; j < ne && !dup; j++)
			dup = e[j].lo == a[i].lo && e[j].hi == a[i].hi;
		if (!dup)
			out[o++] = (struct kv_egress_range){ .lo = (uint16_t)a[i].lo,
							     .hi = (uint16_t)a[i].hi,
							     .protos = proto };
	}
	for (j = 0; j < ne; j++)
		out[o++] = (struct kv_egress_range){ .lo = (uint16_t)e[j].lo,
						     .hi = (uint16_t)e[j].hi,
						     .protos = proto,
						     .flags = KV_EGRESS_F_ESSENTIAL };
	return o;
}

int kv_egress_ranges_canon(const struct kv_egress_range *in, size_t n,
			   struct kv_egress_range *out, size_t max)
{
	struct ival *sets[4], *buf;
	size_t cnt[4] = { 0 }, i, o = 0, k, total;
	struct kv_egress_range *tmp;
	int p;

	/* sets: 0 tcp allowed, 1 tcp essential, 2 udp allowed, 3 udp essential */
	buf = calloc(4 * (n ? n : 1), sizeof(*buf));
	tmp = calloc(4 * (n ? n : 1) + 1, sizeof(*tmp));
	if (!buf || !tmp) {
		free(buf);
		free(tmp);
		return -ENOMEM;
	}
	for (p = 0; p < 4; p++)
		sets[p] = buf + (size_t)p * (n ? n : 1);
	for (i = 0; i < n; i++) {
		const struct kv_egress_range *r = &in[i];
		struct ival v = { r->lo, r->hi };

		if (r->flags & KV_EGRESS_F_DNS)
			continue;
		for (p = 0; p < 2; p++) {
			if (!(r->protos & (1u << p)))
				continue;
			sets[2 * p][cnt[2 * p]++] = v;
			if (r->flags & KV_EGRESS_F_ESSENTIAL)
				sets[2 * p + 1][cnt[2 * p + 1]++] = v;
		}
	}
	for (p = 0; p < 4; p++)
		cnt[p] = ival_union(sets[p], cnt[p]);
	o = emit_proto(sets[0], cnt[0], sets[1], cnt[1], KV_EGRESS_P_TCP, tmp, 0);
	o = emit_proto(sets[2], cnt[2], sets[3], cnt[3], KV_EGRESS_P_UDP, tmp, o);
	/* the same interval for tcp and udp with the same flag: one range */
	qsort(tmp, o, sizeof(*tmp), range_cmp);
	for (i = 0, k = 0; i < o; i++) {
		size_t j;

		for (j = 0; j < k; j++)
			if (tmp[j].lo == tmp[i].lo && tmp[j].hi == tmp[i].hi &&
			    tmp[j].flags == tmp[i].flags)
				break;
		if (j < k)
			tmp[j].protos |= tmp[i].protos;
		else
			tmp[k++] = tmp[i];
	}
	total = k;
	for (i = 0; i < n; i++)
		if (in[i].flags & KV_EGRESS_F_DNS)
			total++;
	if (total > max) {
		free(buf);
		free(tmp);
		return -E2BIG;
	}
	memcpy(out, tmp, k * sizeof(*tmp));
	o = k;
	for (i = 0; i < n; i++)
		if (in[i].flags & KV_EGRESS_F_DNS)
			out[o++] = in[i];
	qsort(out, o, sizeof(*out), range_cmp);
	free(buf);
	free(tmp);
	return (int)o;
}

/* ---- prefixes ---- */

struct item {
	uint8_t addr[16];
	uint8_t prefix;
	struct kv_egress_range r;
};

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, 16);

	if (c)
		return c;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return range_cmp(&x->r, &y->r);
}

static bool covers(const uint8_t *pa, unsigned plen, const uint8_t *a)
{
	unsigned full = plen / 8, rem = plen % 8;

	if (memcmp(pa, a, full))
		return false;
	if (!rem)
		return true;
	return !((pa[full] ^ a[full]) & (uint8_t)(0xff << (8 - rem)));
}

static bool v4_space(const uint8_t *a, unsigned prefix)
{
	return prefix >= 96 && kv_egress_is_v4(a);
}

struct items {
	struct item *v;
	size_t n, cap;
};

static int items_push(struct items *it, const uint8_t addr[16], uint8_t prefix,
		      const struct kv_egress_range *r)
{
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 64;
		struct item *v = realloc(it->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		it->v = v;
		it->cap = cap;
	}
	memcpy(it->v[it->n].addr, addr, 16);
	it->v[it->n].prefix = prefix;
	it->v[it->n].r = *r;
	it->n++;
	return 0;
}

/* With a DNS stub, port 53 is reachable only at the stub: cut it out. */
static int push_rule_ranges(struct items *it, const struct kv_egress_policy *p,
			    const uint8_t addr[16], uint8_t prefix, const struct kv_egress_rule *rule)
{
	struct kv_egress_range r = { .lo = rule->port_lo,
				     .hi = rule->port_hi,
				     .protos = rule->protos,
				     .flags = rule->flags & KV_EGRESS_F_ESSENTIAL };
	struct kv_egress_range below = r, above = r;
	int ret = 0;

	if (!p->stub_port || r.lo > 53 || r.hi < 53)
		return items_push(it, addr, prefix, &r);
	below.hi = 52;
	above.lo = 54;
	if (r.lo <= 52)
		ret = items_push(it, addr, prefix, &below);
	if (!ret && r.hi >= 54)
		ret = items_push(it, addr, prefix, &above);
	return ret;
}

static void fmt_prefix(const uint8_t a[16], unsigned prefix, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if (v4_space(a, prefix))
		snprintf(buf, len, "%s/%u", inet_ntop(AF_INET, a + 12, s, sizeof(s)), prefix - 96);
	else
		snprintf(buf, len, "%s/%u", inet_ntop(AF_INET6, a, s, sizeof(s)), prefix);
}

static int compile_net(const struct kv_egress_policy *p, struct kv_egress_compiled *c,
		       char *err, size_t errlen)
{
	static const uint8_t v4_root[16] = { [10] = 0xff, [11] = 0xff };
	struct kv_egress_range *acc = NULL;
	struct items it = { 0 };
	size_t i, j, nodes = 0, *stack = NULL, sp = 0;
	bool barrier = false, have_root = false;
	int ret = 0;

	for (i = 0; i < p->n_rules && !ret; i++) {
		const struct kv_egress_rule *r = &p->rules[i];

		if (r->kind == KV_EGRESS_NET) {
			ret = push_rule_ranges(&it, p, r->addr, r->prefix, r);
			if (!v4_space(r->addr, r->prefix) && covers(r->addr, r->prefix, v4_root) &&
			    r->prefix <= 96)
				barrier = true;
			if (v4_space(r->addr, r->prefix) && r->prefix == 96)
				have_root = true;
		} else if (r->kind == KV_EGRESS_HOST && p->resolved && !p->stub_port) {
			/* without a DNS stub, names are open at the addresses they
			 * had at session start; with one, the stub admits answers
			 * for their TTL (kv_dns_stub_prefetch at start) */
			for (j = 0; j < p->resolved[i].n && !ret; j++)
				ret = push_rule_ranges(&it, p, p->resolved[i].addr[j], 128, r);
		}
	}
	if (!ret && p->stub_port) {
		struct kv_egress_range r = { .lo = p->stub_port,
					     .hi = p->stub_port,
					     .protos = KV_EGRESS_P_ALL,
					     .flags = KV_EGRESS_F_ESSENTIAL };

		ret = items_push(&it, p->stub_addr, 128, &r);
	}
	/* An IPv6 rule covering ::ffff:0:0/96 must not open IPv4: a node at
	 * the IPv4 root stops the longest match from reaching it. */
	if (!ret && barrier && !have_root) {
		struct kv_egress_range none = { 0 };

		ret = items_push(&it, v4_root, 96, &none);
	}
	if (ret)
		goto out;
	if (it.n)
		qsort(it.v, it.n, sizeof(*it.v), item_cmp);
	for (i = 0; i < it.n; i++)
		if (!i || memcmp(it.v[i].addr, it.v[i - 1].addr, 16) ||
		    it.v[i].prefix != it.v[i - 1].prefix)
			nodes++;
	c->e = calloc(nodes ? nodes : 1, sizeof(*c->e));
	stack = calloc(nodes ? nodes : 1, sizeof(*stack));
	acc = calloc(it.n + KV_EGRESS_MAX_RANGES + 1, sizeof(*acc));
	if (!c->e || !stack || !acc) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < it.n;) {
		struct kv_egress_entry *e = &c->e[c->n];
		size_t na = 0, end = i;
		int n;

		while (end < it.n && !memcmp(it.v[end].addr, it.v[i].addr, 16) &&
		       it.v[end].prefix == it.v[i].prefix)
			end++;
		memcpy(e->addr, it.v[i].addr, 16);
		e->prefix = it.v[i].prefix;
		for (j = i; j < end; j++)
			if (it.v[j].r.protos) /* the barrier's empty range adds nothing */
				acc[na++] = it.v[j].r;
		/* ancestors: pop what does not cover this prefix */
		while (sp && !covers(c->e[stack[sp - 1]].addr, c->e[stack[sp - 1]].prefix, e->addr))
			sp--;
		if (sp) {
			const struct kv_egress_entry *up = &c->e[stack[sp - 1]];

			if (v4_space(up->addr, up->prefix) == v4_space(e->addr, e->prefix))
				for (j = 0; j < up->val.n_ranges; j++)
					acc[na++] = up->val.r[j];
		}
		n = kv_egress_ranges_canon(acc, na, e->val.r, KV_EGRESS_MAX_RANGES);
		if (n < 0) {
			char pfx[64];

			fmt_prefix(e->addr, e->prefix, pfx, sizeof(pfx));
			if (n == -E2BIG && err)
				snprintf(err, errlen,
					 "egress: %s needs more than %d port ranges once the "
					 "ranges of the prefixes covering it are merged in",
					 pfx, KV_EGRESS_MAX_RANGES);
			ret = n;
			goto out;
		}
		e->val.n_ranges = (uint32_t)n;
		e->val.prefix = e->prefix;
		stack[sp++] = c->n;
		c->n++;
		i = end;
	}
out:
	free(it.v);
	free(stack);
	free(acc);
	return ret;
}

/* ---- AF_UNIX ---- */

static void unix_entry(const struct kv_egress_rule *r, struct kv_egress_uentry *u)
{
	size_t n = strlen(r->name);

	memset(u, 0, sizeof(*u));
	u->val.flags = r->flags & (KV_EGRESS_F_ESSENTIAL | KV_EGRESS_F_PREFIX);
	if (r->name[0] == '@') {
		u->path[0] = 0;
		if (r->flags & KV_EGRESS_F_PREFIX) { /* "@*": every abstract name */
			u->nbytes = 1;
			return;
		}
		u->path[1] = (uint8_t)(n - 1);
		memcpy(&u->path[2], r->name + 1, n - 1);
		u->nbytes = (uint32_t)(2 + n - 1);
		return;
	}
	memcpy(u->path, r->name, n);
	/* exact: the NUL must match too; directory: only the bytes given */
	u->nbytes = (uint32_t)((r->flags & KV_EGRESS_F_PREFIX) ? n : n + 1);
}

static int uentry_cmp(const void *a, const void *b)
{
	const struct kv_egress_uentry *x = a, *y = b;
	int c = memcmp(x->path, y->path, sizeof(x->path));

	if (c)
		return c;
	return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

static int compile_unix(const struct kv_egress_policy *p, struct kv_egress_compiled *c)
{
	size_t i, j, n = 0;

	for (i = 0; i < p->n_rules; i++)
		n += p->rules[i].kind == KV_EGRESS_UNIX;
	c->u = calloc(n ? n : 1, sizeof(*c->u));
	if (!c->u)
		return -ENOMEM;
	for (i = 0; i < p->n_rules; i++)
		if (p->rules[i].kind == KV_EGRESS_UNIX)
			unix_entry(&p->rules[i], &c->u[c->nu++]);
	qsort(c->u, c->nu, sizeof(*c->u), uentry_cmp);
	/* longest match again: a path under an essential directory is essential */
	for (i = 0; i < c->nu; i++)
		for (j = 0; j < c->nu; j++)
			if (j != i && (c->u[j].val.flags & KV_EGRESS_F_PREFIX) &&
			    c->u[j].nbytes < c->u[i].nbytes &&
			    !memcmp(c->u[j].path, c->u[i].path, c->u[j].nbytes))
				c->u[i].val.flags |= c->u[j].val.flags & KV_EGRESS_F_ESSENTIAL;
	return 0;
}

int kv_egress_compile(const struct kv_egress_policy *p, struct kv_egress_compiled *c, char *err,
		      size_t errlen)
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = compile_net(p, c, err, errlen);
	if (!ret)
		ret = compile_unix(p, c);
	if (ret)
		kv_egress_compiled_free(c);
	return ret;
}

void kv_egress_compiled_free(struct kv_egress_compiled *c)
{
	free(c->e);
	free(c->u);
	memset(c, 0, sizeof(*c));
}
