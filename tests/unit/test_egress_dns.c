// SPDX-License-Identifier: BSD-2-Clause
/* DNS wire parsing of the stub resolver: queries, answers through CNAMEs,
 * hostile input (pointer loops, truncation, mismatched answers). */
#include <arpa/inet.h>
#include <stdlib.h>
#include "egress/dns_stub.h"
#include "egress/dns_wire.h"
#include "kvtest.h"

/* query id 0xbeef, "API.Example.com" A IN, RD */
static const uint8_t query[] = {
	0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
	3, 'A', 'P', 'I', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0, 1, 0, 1,
};

/* answer: api.example.com CNAME edge.cdn.test (ttl 300), edge.cdn.test A
 * 192.0.2.7 (ttl 60), edge.cdn.test A 192.0.2.8 (ttl 900), unrelated.test
 * A 198.51.100.1 */
static const uint8_t answer[] = {
	0xbe, 0xef, 0x81, 0x80, 0, 1, 0, 4, 0, 0, 0, 0,
	/* 12: question */
	3, 'a', 'p', 'i', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
	/* 33: CNAME, owner -> 12 */
	0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 44, 0, 15,
	/* 45: edge.cdn.test */
	4, 'e', 'd', 'g', 'e', 3, 'c', 'd', 'n', 4, 't', 'e', 's', 't', 0,
	/* A edge.cdn.test (-> 45) 192.0.2.7 ttl 60 */
	0xc0, 45, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7,
	/* A edge.cdn.test 192.0.2.8 ttl 900 */
	0xc0, 45, 0, 1, 0, 1, 0, 0, 3, 132, 0, 4, 192, 0, 2, 8,
	/* A unrelated.test 198.51.100.1: not on the chain */
	9, 'u', 'n', 'r', 'e', 'l', 'a', 't', 'e', 'd', 0xc0, 54, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
	198, 51, 100, 1,
};

KV_TEST(query_parsed_lowercase)
{
	struct kv_dns_question q;

	if (!ASSERT_OK(kv_dns_parse_query(query, sizeof(query), &q), "parse"))
		return;
	ASSERT_STREQ(q.name, "api.example.com", "lower-cased name");
	ASSERT_EQ(q.qtype, KV_DNS_T_A, "qtype");
	ASSERT_EQ(q.id, 0xbeef, "id");
	ASSERT_EQ(q.end, sizeof(query), "end");
	ASSERT_EQ(kv_dns_parse_query(answer, sizeof(answer), &q), -EINVAL, "a response is no query");
}

KV_TEST(answer_follows_cname_with_min_ttl)
{
	struct kv_dns_question q;
	struct kv_dns_rr_addr a[8];
	size_t n;
	int rc;

	kv_dns_parse_query(query, sizeof(query), &q);
	if (!ASSERT_OK(kv_dns_parse_response(answer, sizeof(answer), &q, &rc, a, 8, &n), "parse"))
		return;
	ASSERT_EQ(rc, 0, "NOERROR");
	if (!ASSERT_EQ(n, 2, "two addresses on the chain"))
		return;
	ASSERT_EQ(a[0].addr[15], 7, "192.0.2.7");
	ASSERT_EQ(a[0].ttl, 60, "own ttl below the CNAME's");
	ASSERT_EQ(a[1].addr[15], 8, "192.0.2.8");
	ASSERT_EQ(a[1].ttl, 300, "capped by the CNAME's ttl");
	ASSERT_TRUE(kv_egress_is_v4(a[0].addr), "IPv4-mapped");
}

KV_TEST(answer_to_another_question_refused)
{
	struct kv_dns_question q;
	struct kv_dns_rr_addr a[4];
	uint8_t m[sizeof(answer)];
	size_t n;
	int rc;

	kv_dns_parse_query(query, sizeof(query), &q);
	memcpy(m, answer, sizeof(m));
	m[1] ^= 1; /* other id */
	ASSERT_EQ(kv_dns_parse_response(m, sizeof(m), &q, &rc, a, 4, &n), -EINVAL, "id");
	memcpy(m, answer, sizeof(m));
	m[14] = 'x'; /* other name */
	ASSERT_EQ(kv_dns_parse_response(m, sizeof(m), &q, &rc, a, 4, &n), -EINVAL, "name");
}

KV_TEST(hostile_names_rejected)
{
	/* pointer to itself, forward pointer, label running past the end */
	static const uint8_t loop[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
	static const uint8_t fwd[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0, 0, 1, 0, 1 };
	static const uint8_t past[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 20, 'a', 'b' };
	static const uint8_t ext[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1 };
	static const uint8_t two_q[] = { 0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 };
	struct kv_dns_question q;

	ASSERT_EQ(kv_dns_parse_query(loop, sizeof(loop), &q), -EINVAL, "self pointer");
	ASSERT_EQ(kv_dns_parse_query(fwd, sizeof(fwd), &q), -EINVAL, "forward pointer");
	ASSERT_EQ(kv_dns_parse_query(past, sizeof(past), &q), -EINVAL, "label past the end");
	ASSERT_EQ(kv_dns_parse_query(ext, sizeof(ext), &q), -EINVAL, "extended label");
	ASSERT_EQ(kv_dns_parse_query(two_q, sizeof(two_q), &q), -EINVAL, "two questions");
	ASSERT_EQ(kv_dns_parse_query(query, 11, &q), -EINVAL, "short header");
}

/* Every truncation and single-byte corruption of a valid answer is handled
 * without reading out of bounds (ASan watches in `make SAN=1`). */
KV_TEST(mutated_answers_do_not_crash)
{
	struct kv_dns_question q;
	struct kv_dns_rr_addr a[8];
	size_t len, i, n;
	int rc, v;

	kv_dns_parse_query(query, sizeof(query), &q);
	for (len = 0; len <= sizeof(answer); len++) {
		uint8_t *m = malloc(len ? len : 1); /* exact size: overreads are caught */

		memcpy(m, answer, len);
		kv_dns_parse_response(m, len, &q, &rc, a, 8, &n);
		ASSERT_LE(n, 8, "bounded");
		free(m);
	}
	for (i = 0; i < sizeof(answer); i++)
		for (v = 0; v < 256; v += 17) {
			uint8_t *m = malloc(sizeof(answer));

			memcpy(m, answer, sizeof(answer));
			m[i] = (uint8_t)v;
			kv_dns_parse_response(m, sizeof(answer), &q, &rc, a, 8, &n);
			free(m);
		}
}

KV_TEST(error_reply_keeps_question)
{
	struct kv_dns_question q, rq;
	uint8_t out[64];
	int n;

	kv_dns_parse_query(query, sizeof(query), &q);
	n = kv_dns_error_reply(query, &q, KV_DNS_RC_REFUSED, out, sizeof(out));
	if (!ASSERT_EQ(n, (int)sizeof(query), "length"))
		return;
	ASSERT_TRUE(out[2] & 0x80, "QR set");
	ASSERT_TRUE(out[2] & 0x01, "RD kept");
	ASSERT_EQ(out[3] & 0xf, KV_DNS_RC_REFUSED, "REFUSED");
	ASSERT_EQ(kv_dns_parse_query(out, (size_t)n, &rq), -EINVAL, "it is a response");
	ASSERT_EQ(kv_dns_error_reply(query, &q, KV_DNS_RC_REFUSED, out, 8), -ENOSPC, "too small");
}

KV_TEST(names_allowed_by_policy)
{
	struct kv_egress_policy *p = calloc(1, sizeof(*p));
	char err[256];

	if (!ASSERT_OK(kv_egress_policy_add(p, "api.example.com:443,*.cdn.test", KV_EGRESS_SRC_CLI,
					    "test", err, sizeof(err)),
		       "policy"))
		goto out;
	ASSERT_TRUE(kv_egress_name_allowed(p, "api.example.com"), "exact");
	ASSERT_FALSE(kv_egress_name_allowed(p, "x.api.example.com"), "exact is not a suffix");
	ASSERT_TRUE(kv_egress_name_allowed(p, "edge.cdn.test"), "wildcard");
	ASSERT_TRUE(kv_egress_name_allowed(p, "a.b.cdn.test"), "wildcard, deeper");
	ASSERT_FALSE(kv_egress_name_allowed(p, "cdn.test"), "wildcard does not cover the apex");
	ASSERT_FALSE(kv_egress_name_allowed(p, "evilcdn.test"), "label boundary");
out:
	kv_egress_policy_free(p);
}

KV_TEST(resolv_conf_upstreams)
{
	struct sockaddr_storage ss[4];
	char path[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/resolv.conf", kvtest_tmpdir());
	f = fopen(path, "w");
	fprintf(f, "# comment\nsearch example\nnameserver 10.255.255.53\nnameserver fd00::53\n"
		   "nameserver not-an-ip\noptions ndots:1\n");
	fclose(f);
	ASSERT_OK(kv_dns_upstreams_from_resolv_conf(path, ss, 4, &n), "read");
	ASSERT_EQ(n, 2, "two nameservers");
	ASSERT_EQ(ss[0].ss_family, AF_INET, "v4");
	ASSERT_EQ(ss[1].ss_family, AF_INET6, "v6");
	ASSERT_EQ(ntohs(((struct sockaddr_in *)&ss[0])->sin_port), 53, "port 53");
}

KV_TEST(built_query_parses_back)
{
	struct kv_dns_question q;
	uint8_t m[300];
	int n;

	n = kv_dns_build_query("api.example.com", KV_DNS_T_AAAA, 0x1234, m, sizeof(m));
	if (!ASSERT_EQ(n, (int)sizeof(query), "same size as the hand-made query"))
		return;
	ASSERT_OK(kv_dns_parse_query(m, (size_t)n, &q), "parses");
	ASSERT_STREQ(q.name, "api.example.com", "name");
	ASSERT_EQ(q.qtype, KV_DNS_T_AAAA, "type");
	ASSERT_EQ(q.id, 0x1234, "id");
	ASSERT_EQ(kv_dns_build_query("a..b", 1, 1, m, sizeof(m)), -EINVAL, "empty label");
	ASSERT_EQ(kv_dns_build_query("api.example.com", 1, 1, m, 10), -ENOSPC, "small buffer");
}
