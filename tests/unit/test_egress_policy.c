// SPDX-License-Identifier: BSD-2-Clause
/* Egress policy: sources merged deterministically, JSON + hash, host-name
 * pre-resolution. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include "common/canon_json.h"
#include "egress/egress.h"
#include "kvtest.h"

static const struct kv_egress_rule *find(const struct kv_egress_policy *p, const char *canon)
{
	char buf[600];
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		kv_egress_rule_format(&p->rules[i], buf, sizeof(buf));
		if (!strcmp(buf, canon))
			return &p->rules[i];
	}
	return NULL;
}

static struct kv_egress_policy *build(const struct kv_egress_input *in)
{
	struct kv_egress_policy *p = NULL;
	char err[512] = "";

	if (!ASSERT_OK(kv_egress_policy_build(in, &p, err, sizeof(err)), "build"))
		fprintf(stderr, "  %s\n", err);
	return p;
}

KV_TEST(defaults_by_trust_and_domain)
{
	struct kv_egress_input in = { .trust_mask = 0x40, .domain = KV_DOMAIN_GENERAL };
	struct kv_egress_policy *p = build(&in);
	const struct kv_egress_rule *r;

	if (!p)
		return;
	r = find(p, "api.anthropic.com:443/tcp");
	if (ASSERT_OK_PTR(r, "llm api"))
		ASSERT_TRUE(r->flags & KV_EGRESS_F_ESSENTIAL, "llm api is essential");
	r = find(p, "127.0.0.0/8");
	if (ASSERT_OK_PTR(r, "registered -> loopback"))
		ASSERT_EQ(r->sources, 1u << KV_EGRESS_SRC_TRUST, "from the trust bit");
	ASSERT_OK_PTR(find(p, "[::1/128]"), "registered -> ::1");
	ASSERT_NULL(find(p, "10.0.0.0/8:502/tcp"), "no ot endpoints in general");
	ASSERT_OK_PTR(find(p, "unix:/dev/log"), "system unix default");
	kv_egress_policy_free(p);

	/* without bit 6: no loopback; ot: Modbus TCP on private networks */
	in.trust_mask = 0x1;
	in.domain = KV_DOMAIN_OT;
	p = build(&in);
	if (!p)
		return;
	ASSERT_NULL(find(p, "127.0.0.0/8"), "no loopback without bit 6");
	ASSERT_OK_PTR(find(p, "10.0.0.0/8:502/tcp"), "ot modbus");
	ASSERT_OK_PTR(find(p, "[fd00::/8]:502/tcp"), "ot modbus v6");
	kv_egress_policy_free(p);

	/* trust mask 0 is the no-network profile: no defaults */
	in.trust_mask = 0;
	p = build(&in);
	if (!p)
		return;
	ASSERT_NULL(find(p, "api.anthropic.com:443/tcp"), "mask 0: no llm");
	kv_egress_policy_free(p);
}

KV_TEST(no_default_net_starts_empty)
{
	const char *cli[] = { "127.0.0.2:8080" };
	struct kv_egress_input in = { .trust_mask = 0xFFFF, .no_default_net = true,
				      .cli_allow = cli, .n_cli_allow = 1 };
	struct kv_egress_policy *p = build(&in);
	size_t i, net = 0;

	if (!p)
		return;
	for (i = 0; i < p->n_rules; i++)
		net += p->rules[i].kind != KV_EGRESS_UNIX;
	ASSERT_EQ(net, 1, "only the --allow-net entry");
	ASSERT_OK_PTR(find(p, "127.0.0.2/32:8080"), "cli entry");
	kv_egress_policy_free(p);
}

KV_TEST(merge_is_deterministic)
{
	const char *a_cli[] = { "10.0.0.0/8:443/tcp,api.example.com", "[fd00::1]:53/udp" };
	const char *b_cli[] = { "[fd00::1]:53/udp", "api.example.com , 10.0.0.0/8:443/tcp" };
	const char *conf[] = { "10.0.0.0/8:443/tcp" };
	struct kv_egress_input a = { .trust_mask = 0x40, .cli_allow = a_cli, .n_cli_allow = 2,
				     .config_allow = conf, .n_config_allow = 1 };
	struct kv_egress_input b = a;
	struct kv_egress_policy *pa, *pb;
	const struct kv_egress_rule *r;
	char ha[65], hb[65], hc[65];
	struct json_object *ja, *jb;
	char *ca, *cb;

	b.cli_allow = b_cli;
	pa = build(&a);
	pb = build(&b);
	if (!pa || !pb)
		return;
	ASSERT_EQ(pa->n_rules, pb->n_rules, "same rules");
	ASSERT_OK(kv_egress_policy_hash(pa, ha), "hash a");
	ASSERT_OK(kv_egress_policy_hash(pb, hb), "hash b");
	ASSERT_STREQ(ha, hb, "order of sources does not change the hash");
	ja = kv_egress_policy_json(pa);
	jb = kv_egress_policy_json(pb);
	ca = kv_json_canonical(ja, NULL);
	cb = kv_json_canonical(jb, NULL);
	ASSERT_STREQ(ca, cb, "byte-identical JSON");
	free(ca);
	free(cb);
	json_object_put(ja);
	json_object_put(jb);
	/* config and cli both name it: one rule, both sources */
	r = find(pa, "10.0.0.0/8:443/tcp");
	if (ASSERT_OK_PTR(r, "merged rule"))
		ASSERT_EQ(r->sources, (1u << KV_EGRESS_SRC_CONFIG) | (1u << KV_EGRESS_SRC_CLI),
			  "sources or-ed");
	kv_egress_policy_free(pb);
	/* a different policy hashes differently */
	a.n_cli_allow = 1;
	pb = build(&a);
	if (pb && ASSERT_OK(kv_egress_policy_hash(pb, hc), "hash c"))
		ASSERT_NEQ(strcmp(ha, hc), 0, "other policy, other hash");
	kv_egress_policy_free(pa);
	kv_egress_policy_free(pb);
}

KV_TEST(errors_name_source_and_entry)
{
	const char *cli[] = { "127.0.0.1:80", "10.0.0.1, 10.0.0.0/33" };
	const char *conf[] = { "ok.example", "1.2.3.4:90-80" };
	struct kv_egress_input in = { .trust_mask = 1, .cli_allow = cli, .n_cli_allow = 2 };
	struct kv_egress_policy *p = NULL;
	char err[512] = "";

	ASSERT_EQ(kv_egress_policy_build(&in, &p, err, sizeof(err)), -EINVAL, "bad cli");
	ASSERT_HAS_SUBSTR(err, "--allow-net", "names the option");
	ASSERT_HAS_SUBSTR(err, "'10.0.0.0/33'", "names the entry");
	ASSERT_NULL(p, "nothing returned");
	in.n_cli_allow = 1;
	in.config_allow = conf;
	in.n_config_allow = 2;
	ASSERT_EQ(kv_egress_policy_build(&in, &p, err, sizeof(err)), -EINVAL, "bad config");
	ASSERT_HAS_SUBSTR(err, ".kavachos.json egress.allow[1]", "names the config entry");
	ASSERT_HAS_SUBSTR(err, "inverted port range 90-80", "says why");
}

KV_TEST(essential_marking)
{
	const char *cli[] = { "llm.corp.test:8443/tcp", "10.9.0.0/16" };
	const char *ess[] = { "llm.corp.test:8443" };
	const char *bad_ess[] = { "other.test" };
	struct kv_egress_input in = { .trust_mask = 1, .cli_allow = cli, .n_cli_allow = 2,
				      .essential = ess, .n_essential = 1 };
	struct kv_egress_policy *p = build(&in);
	char err[512];

	if (!p)
		return;
	ASSERT_TRUE(find(p, "llm.corp.test:8443/tcp")->flags & KV_EGRESS_F_ESSENTIAL, "marked");
	ASSERT_FALSE(find(p, "10.9.0.0/16")->flags & KV_EGRESS_F_ESSENTIAL, "others not");
	kv_egress_policy_free(p);
	p = NULL;
	in.essential = bad_ess;
	ASSERT_EQ(kv_egress_policy_build(&in, &p, err, sizeof(err)), -EINVAL, "unknown essential");
	ASSERT_HAS_SUBSTR(err, "'other.test' matches no allowed entry", "named");
}

/* A resolver with fixed answers: names ending in .bad do not resolve. */
static int fake_resolve(const char *name, struct kv_egress_addrs *out, void *arg)
{
	int *calls = arg;

	(*calls)++;
	if (strstr(name, ".bad")) {
		out->err = EAI_NONAME;
		return 0;
	}
	out->addr = calloc(2, 16);
	inet_pton(AF_INET6, "::ffff:192.0.2.7", out->addr[0]);
	inet_pton(AF_INET6, "fd00::7", out->addr[1]);
	out->n = 2;
	return 0;
}

KV_TEST(resolution_is_reported_not_fatal)
{
	const char *cli[] = { "good.test:443", "gone.bad", "*.wild.test" };
	struct kv_egress_input in = { .trust_mask = 1, .no_default_net = true, .cli_allow = cli,
				      .n_cli_allow = 3 };
	struct kv_egress_policy *p = build(&in);
	struct json_object *j, *v;
	char h1[65], h2[65];
	int calls = 0;

	if (!p)
		return;
	ASSERT_OK(kv_egress_policy_hash(p, h1), "hash before");
	ASSERT_OK(kv_egress_policy_resolve(p, fake_resolve, &calls), "resolve");
	ASSERT_EQ(calls, 2, "wildcards are not pre-resolved");
	ASSERT_OK(kv_egress_policy_hash(p, h2), "hash after");
	ASSERT_STREQ(h1, h2, "addresses are not part of the hash");
	j = kv_egress_resolution_json(p);
	ASSERT_TRUE(json_object_object_get_ex(json_object_object_get(j, "unresolved"), "gone.bad",
					      &v),
		    "unresolved name reported");
	ASSERT_TRUE(json_object_object_get_ex(json_object_object_get(j, "resolved"), "good.test",
					      &v),
		    "resolved name listed");
	ASSERT_EQ(json_object_array_length(v), 2, "both addresses");
	json_object_put(j);
	kv_egress_policy_free(p);
}

KV_TEST(getaddrinfo_resolves_localhost)
{
	struct kv_egress_addrs a = { 0 };

	ASSERT_OK(kv_egress_resolve_getaddrinfo("localhost", &a, NULL), "localhost");
	ASSERT_EQ(a.err, 0, "resolved");
	ASSERT_GE(a.n, 1, "an address");
	free(a.addr);
	memset(&a, 0, sizeof(a));
	ASSERT_OK(kv_egress_resolve_getaddrinfo("no-such-name.invalid", &a, NULL), "invalid");
	ASSERT_NEQ(a.err, 0, "reported as error");
	free(a.addr);
}
