// SPDX-License-Identifier: BSD-2-Clause
/* Egress policy: merge the sources deterministically, describe and hash. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/canon_json.h"
#include "common/sha256.h"
#include "egress/defaults.h"
#include "egress/egress.h"

static const char *const source_names[KV_EGRESS_SRC_MAX] = {
	[KV_EGRESS_SRC_DOMAIN] = "domain", [KV_EGRESS_SRC_TRUST] = "trust",
	[KV_EGRESS_SRC_SYSTEM] = "system", [KV_EGRESS_SRC_CONFIG] = "config",
	[KV_EGRESS_SRC_CLI] = "cli",	   [KV_EGRESS_SRC_DNS] = "dns",
};

static const char *const kind_names[] = { "net", "host", "unix" };

static int push_rule(struct kv_egress_policy *p, const struct kv_egress_rule *r)
{
	struct kv_egress_rule *n;

	/* capacity: 16, then doubling at each power of two */
	if (!p->n_rules || (p->n_rules >= 16 && !(p->n_rules & (p->n_rules - 1)))) {
		size_t cap = p->n_rules ? p->n_rules * 2 : 16;

		n = realloc(p->rules, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->rules = n;
	}
	p->rules[p->n_rules++] = *r;
	return 0;
}

static int add_one(struct kv_egress_policy *p, const char *spec, enum kv_egress_source src,
		   uint8_t flags, const char *what, char *err, size_t errlen)
{
	struct kv_egress_rule r;
	char why[512];
	int ret;

	ret = kv_egress_spec_parse(spec, &r, why, sizeof(why));
	if (ret) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", what, why);
		return ret;
	}
	r.sources = 1u << src;
	r.flags |= flags;
	return push_rule(p, &r);
}

static int add_list(struct kv_egress_policy *p, const char *list, enum kv_egress_source src,
		    uint8_t flags, const char *what, char *err, size_t errlen)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		char *end = tok + strlen(tok);

		while (isspace((unsigned char)*tok))
			tok++;
		while (end > tok && isspace((unsigned char)end[-1]))
			*--end = 0;
		ret = add_one(p, tok, src, flags, what, err, errlen);
	}
	if (!ret && !strchr(list, ',') && !*list)
		ret = add_one(p, list, src, flags, what, err, errlen); /* names the empty entry */
	free(copy);
	return ret;
}

int kv_egress_policy_add(struct kv_egress_policy *p, const char *list, enum kv_egress_source src,
			 const char *what, char *err, size_t errlen)
{
	return add_list(p, list, src, 0, what, err, errlen);
}

static int add_table(struct kv_egress_policy *p, const char *const *t, enum kv_egress_source src,
		     uint8_t flags, char *err, size_t errlen)
{
	int ret = 0;

	for (; *t && !ret; t++)
		ret = add_one(p, *t, src, flags, "built-in default", err, errlen);
	return ret;
}

static int rule_cmp(const void *a, const void *b)
{
	const struct kv_egress_rule *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->kind == KV_EGRESS_NET) {
		c = memcmp(x->addr, y->addr, 16);
		if (c)
			return c;
		if (x->prefix != y->prefix)
			return x->prefix < y->prefix ? -1 : 1;
	} else {
		if (x->wildcard != y->wildcard)
			return x->wildcard ? 1 : -1;
		c = strcmp(x->name, y->name);
		if (c)
			return c;
	}
	if (x->port_lo != y->port_lo)
		return x->port_lo < y->port_lo ? -1 : 1;
	if (x->port_hi != y->port_hi)
		return x->port_hi < y->port_hi ? -1 : 1;
	if (x->protos != y->protos)
		return x->protos < y->protos ? -1 : 1;
	return 0;
}

int kv_egress_policy_normalize(struct kv_egress_policy *p)
{
	size_t i, o = 0;

	if (p->resolved)
		return -EBUSY; /* resolution is indexed by rule */
	if (!p->n_rules)
		return 0;
	qsort(p->rules, p->n_rules, sizeof(*p->rules), rule_cmp);
	for (i = 1; i < p->n_rules; i++) {
		if (!rule_cmp(&p->rules[o], &p->rules[i])) {
			p->rules[o].flags |= p->rules[i].flags;
			p->rules[o].sources |= p->rules[i].sources;
		} else {
			p->rules[++o] = p->rules[i];
		}
	}
	p->n_rules = o + 1;
	return 0;
}

/* Marks rules matching an essential SPEC: same match (prefix or name),
 * any of its ports. The SPEC must name a rule of the policy. */
static int mark_essential(struct kv_egress_policy *p, const char *spec, char *err, size_t errlen)
{
	struct kv_egress_rule e;
	char why[512];
	bool found = false;
	size_t i;

	if (kv_egress_spec_parse(spec, &e, why, sizeof(why))) {
		snprintf(err, errlen, ".kavachos.json egress.essential: %s", why);
		return -EINVAL;
	}
	for (i = 0; i < p->n_rules; i++) {
		struct kv_egress_rule *r = &p->rules[i];

		if (r->kind != e.kind || r->wildcard != e.wildcard)
			continue;
		if (r->kind == KV_EGRESS_NET &&
		    (r->prefix != e.prefix || memcmp(r->addr, e.addr, 16)))
			continue;
		if (r->kind != KV_EGRESS_NET && strcmp(r->name, e.name))
			continue;
		if (r->port_hi < e.port_lo || r->port_lo > e.port_hi || !(r->protos & e.protos))
			continue;
		r->flags |= KV_EGRESS_F_ESSENTIAL;
		found = true;
	}
	if (!found) {
		snprintf(err, errlen,
			 ".kavachos.json egress.essential: '%s' matches no allowed entry", spec);
		return -EINVAL;
	}
	return 0;
}

int kv_egress_policy_build(const struct kv_egress_input *in, struct kv_egress_policy **out,
			   char *err, size_t errlen)
{
	struct kv_egress_policy *p = calloc(1, sizeof(*p));
	char what[64];
	size_t i;
	int ret = 0;

	if (!p)
		return -ENOMEM;
	p->no_default_net = in->no_default_net;
	/* sources in merge order; the result is sorted, so order only
	 * matters for which error is reported first */
	if (!in->no_default_net && in->trust_mask) {
		ret = add_table(p, kv_egress_default_llm(), KV_EGRESS_SRC_DOMAIN,
				KV_EGRESS_F_ESSENTIAL, err, errlen);
		if (!ret)
			ret = add_table(p, kv_egress_default_domain(in->domain),
					KV_EGRESS_SRC_DOMAIN, 0, err, errlen);
		if (!ret && (in->trust_mask & (1u << KV_TRUST_BIT_REGISTERED)))
			ret = add_table(p, kv_egress_default_registered(), KV_EGRESS_SRC_TRUST, 0,
					err, errlen);
	}
	if (!ret)
		ret = add_table(p, kv_egress_default_system(), KV_EGRESS_SRC_SYSTEM,
				KV_EGRESS_F_ESSENTIAL, err, errlen);
	for (i = 0; !ret && i < in->n_config_allow; i++) {
		snprintf(what, sizeof(what), ".kavachos.json egress.allow[%zu]", i);
		ret = add_list(p, in->config_allow[i], KV_EGRESS_SRC_CONFIG, 0, what, err, errlen);
	}
	for (i = 0; !ret && i < in->n_cli_allow; i++)
		ret = add_list(p, in->cli_allow[i], KV_EGRESS_SRC_CLI, 0, "--allow-net", err,
			       errlen);
	if (!ret)
		ret = kv_egress_policy_normalize(p);
	for (i = 0; !ret && i < in->n_essential; i++)
		ret = mark_essential(p, in->essential[i], err, errlen);
	if (ret) {
		kv_egress_policy_free(p);
		return ret;
	}
	*out = p;
	return 0;
}

void kv_egress_policy_free(struct kv_egress_policy *p)
{
	size_t i;

	if (!p)
		return;
	if (p->resolved)
		for (i = 0; i < p->n_rules; i++)
			free(p->resolved[i].addr);
	free(p->resolved);
	free(p->rules);
	free(p);
}

static int addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

int kv_egress_resolve_getaddrinfo(const char *name, struct kv_egress_addrs *out, void *arg)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	size_t n = 0, i, o;
	int ret;

	(void)arg;
	ret = getaddrinfo(name, NULL, &hints, &res);
	if (ret) {
		out->err = ret;
		return 0;
	}
	for (ai = res; ai; ai = ai->ai_next)
		n++;
	out->addr = calloc(n ? n : 1, 16);
	if (!out->addr) {
		freeaddrinfo(res);
		return -ENOMEM;
	}
	for (ai = res, i = 0; ai; ai = ai->ai_next) {
		uint8_t *a = out->addr[i];

		if (ai->ai_family == AF_INET) {
			memset(a, 0, 10);
			a[10] = a[11] = 0xff;
			memcpy(a + 12, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
		} else if (ai->ai_family == AF_INET6) {
			memcpy(a, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		i++;
	}
	freeaddrinfo(res);
	qsort(out->addr, i, 16, addr_cmp);
	for (o = 0, n = 0; n < i; n++) /* unique */
		if (!o || memcmp(out->addr[o - 1], out->addr[n], 16))
			memmove(out->addr[o++], out->addr[n], 16);
	out->n = o;
	out->err = 0;
	return 0;
}

int kv_egress_policy_resolve(struct kv_egress_policy *p, kv_egress_resolver fn, void *arg)
{
	size_t i;
	int ret;

	if (!fn)
		fn = kv_egress_resolve_getaddrinfo;
	if (!p->resolved) {
		p->resolved = calloc(p->n_rules ? p->n_rules : 1, sizeof(*p->resolved));
		if (!p->resolved)
			return -ENOMEM;
	}
	for (i = 0; i < p->n_rules; i++) {
		struct kv_egress_addrs *a = &p->resolved[i];

		if (p->rules[i].kind != KV_EGRESS_HOST || p->rules[i].wildcard)
			continue;
		free(a->addr);
		memset(a, 0, sizeof(*a));
		ret = fn(p->rules[i].name, a, arg);
		if (ret)
			return ret;
	}
	return 0;
}

static void addr_str(const uint8_t a[16], char *buf, size_t len)
{
	if (kv_egress_is_v4(a))
		inet_ntop(AF_INET, a + 12, buf, len);
	else
		inet_ntop(AF_INET6, a, buf, len);
}

struct json_object *kv_egress_resolution_json(const struct kv_egress_policy *p)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ok = json_object_new_object();
	struct json_object *bad = json_object_new_object();
	char buf[INET6_ADDRSTRLEN];
	size_t i, j;

	for (i = 0; p->resolved && i < p->n_rules; i++) {
		const struct kv_egress_addrs *a = &p->resolved[i];
		struct json_object *arr;

		if (p->rules[i].kind != KV_EGRESS_HOST || p->rules[i].wildcard)
			continue;
		if (a->err) {
			json_object_object_add(bad, p->rules[i].name,
					       json_object_new_string(gai_strerror(a->err)));
			continue;
		}
		if (json_object_object_get_ex(ok, p->rules[i].name, NULL))
			continue; /* same name, other ports */
		arr = json_object_new_array();
		for (j = 0; j < a->n; j++) {
			addr_str(a->addr[j], buf, sizeof(buf));
			json_object_array_add(arr, json_object_new_string(buf));
		}
		json_object_object_add(ok, p->rules[i].name, arr);
	}
	json_object_object_add(o, "resolved", ok);
	json_object_object_add(o, "unresolved", bad);
	return o;
}

struct json_object *kv_egress_policy_json(const struct kv_egress_policy *p)
{
	struct json_object *o = json_object_new_object();
	struct json_object *rules = json_object_new_array();
	char spec[600];
	size_t i;
	int s;

	for (i = 0; i < p->n_rules; i++) {
		const struct kv_egress_rule *r = &p->rules[i];
		struct json_object *j = json_object_new_object();
		struct json_object *src = json_object_new_array();
		struct json_object *protos = json_object_new_array();

		kv_egress_rule_format(r, spec, sizeof(spec));
		json_object_object_add(j, "spec", json_object_new_string(spec));
		json_object_object_add(j, "kind", json_object_new_string(kind_names[r->kind]));
		if (r->kind != KV_EGRESS_UNIX) {
			json_object_object_add(j, "port_lo", json_object_new_int(r->port_lo));
			json_object_object_add(j, "port_hi", json_object_new_int(r->port_hi));
			if (r->protos & KV_EGRESS_P_TCP)
				json_object_array_add(protos, json_object_new_string("tcp"));
			if (r->protos & KV_EGRESS_P_UDP)
				json_object_array_add(protos, json_object_new_string("udp"));
			json_object_object_add(j, "protocols", protos);
		} else {
			json_object_put(protos);
			json_object_object_add(
				j, "prefix",
				json_object_new_boolean(!!(r->flags & KV_EGRESS_F_PREFIX)));
		}
		json_object_object_add(
			j, "essential", json_object_new_boolean(!!(r->flags & KV_EGRESS_F_ESSENTIAL)));
		for (s = 0; s < KV_EGRESS_SRC_MAX; s++)
			if (r->sources & (1u << s))
				json_object_array_add(src, json_object_new_string(source_names[s]));
		json_object_object_add(j, "sources", src);
		json_object_array_add(rules, j);
	}
	json_object_object_add(o, "version", json_object_new_int(KV_EGRESS_POLICY_VERSION));
	json_object_object_add(o, "default_net", json_object_new_boolean(!p->no_default_net));
	json_object_object_add(o, "rules", rules);
	return o;
}

int kv_egress_policy_hash(const struct kv_egress_policy *p, char hex[65])
{
	struct json_object *o = kv_egress_policy_json(p);
	size_t len;
	char *c;
	int ret;

	if (!o)
		return -ENOMEM;
	c = kv_json_canonical(o, &len);
	json_object_put(o);
	if (!c)
		return -errno;
	ret = kv_sha256_hex(c, len, hex);
	free(c);
	return ret;
}
