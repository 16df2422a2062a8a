/* SPDX-License-Identifier: BSD-2-Clause */
/* The little of the DNS wire format (RFC 1035) the stub resolver needs:
 * the question of a query, the A/AAAA answers reachable from it through
 * CNAMEs (with TTLs), and error replies. Every read is bounds-checked and
 * compression pointers may only point backwards, at most 32 of them per name:
 * the input comes from the agent and from the network. */
#ifndef KV_DNS_WIRE_H
#define KV_DNS_WIRE_H
#include <stddef.h>
#include <stdint.h>

#define KV_DNS_NAME_MAX 256 /* 253 characters + dot + NUL, rounded */
#define KV_DNS_HDR 12

enum {
	KV_DNS_T_A = 1,
	KV_DNS_T_CNAME = 5,
	KV_DNS_T_AAAA = 28,
	KV_DNS_RC_FORMERR = 1,
	KV_DNS_RC_SERVFAIL = 2,
	KV_DNS_RC_REFUSED = 5,
};

struct kv_dns_question {
	uint16_t id;
	char name[KV_DNS_NAME_MAX]; /* lower case, no trailing dot; "" for the root */
	uint16_t qtype, qclass;
	size_t end; /* offset just past the question */
};

struct kv_dns_rr_addr {
	uint8_t addr[16]; /* IPv6 form, IPv4 as ::ffff:a.b.c.d */
	uint32_t ttl;     /* the smallest TTL along the CNAME chain */
};

/* A query: QR clear, exactly one question. 0 or -EINVAL. */
int kv_dns_parse_query(const uint8_t *m, size_t n, struct kv_dns_question *q);
/* A response to q (same id and question): the rcode, and up to max
 * addresses of A/AAAA records owned by q->name or a name a CNAME chain
 * from it leads to. 0 or -EINVAL. */
int kv_dns_parse_response(const uint8_t *m, size_t n, const struct kv_dns_question *q,
			  int *rcode, struct kv_dns_rr_addr *out, size_t max, size_t *nout);
/* A recursive query for name (dotted, no trailing dot) and qtype. Returns
 * the length, -EINVAL for a malformed name, -ENOSPC. */
int kv_dns_build_query(const char *name, uint16_t qtype, uint16_t id, uint8_t *out, size_t cap);
/* The query's header and question with QR set and rcode: REFUSED for a
 * name outside the policy, SERVFAIL when no upstream answered. Returns the
 * length or -ENOSPC. */
int kv_dns_error_reply(const uint8_t *query, const struct kv_dns_question *q, int rcode,
		       uint8_t *out, size_t cap);
#endif
