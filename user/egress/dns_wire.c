// SPDX-License-Identifier: BSD-2-Clause
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include "egress/dns_wire.h"

#define MAX_POINTERS 32
#define MAX_CHAIN 16 /* CNAME hops followed */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads the name at off into out (lower case, dotted); *next is the offset
 * after the name where it started (not after a pointer's target). */
static int read_name(const uint8_t *m, size_t n, size_t off, char *out, size_t *next)
{
	size_t len = 0, pos = off, ptrs = 0;
	int jumped = 0;

	for (;;) {
		uint8_t l;

		if (pos >= n)
			return -EINVAL;
		l = m[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= n || ++ptrs > MAX_POINTERS)
				return -EINVAL;
			to = (size_t)(l & 0x3f) << 8 | m[pos + 1];
			if (to >= pos) /* only backwards: no loops */
				return -EINVAL;
			if (!jumped)
				*next = pos + 2;
			jumped = 1;
			pos = to;
			continue;
		}
		if (l & 0xc0)
			return -EINVAL; /* 0x40/0x80: extended label types, unused */
		if (!l) {
			if (!jumped)
				*next = pos + 1;
			break;
		}
		if (pos + 1 + l > n || len + l + 1 >= KV_DNS_NAME_MAX - 1)
			return -EINVAL;
		if (len)
			out[len++] = '.';
		for (size_t i = 0; i < l; i++)
			out[len++] = (char)tolower(m[pos + 1 + i]);
		pos += 1 + l;
	}
	out[len] = 0;
	return 0;
}

static int parse_question(const uint8_t *m, size_t n, struct kv_dns_question *q)
{
	size_t next;

	if (n < KV_DNS_HDR || get16(m + 4) != 1)
		return -EINVAL;
	q->id = get16(m);
	if (read_name(m, n, KV_DNS_HDR, q->name, &next) || next + 4 > n)
		return -EINVAL;
	q->qtype = get16(m + next);
	q->qclass = get16(m + next + 2);
	q->end = next + 4;
	return 0;
}

int kv_dns_parse_query(const uint8_t *m, size_t n, struct kv_dns_question *q)
{
	if (n < KV_DNS_HDR || (m[2] & 0x80) || ((m[2] >> 3) & 0xf) != 0)
		return -EINVAL; /* a response, or not a standard query */
	return parse_question(m, n, q);
}

struct rr {
	char owner[KV_DNS_NAME_MAX];
	uint16_t type;
	uint32_t ttl;
	size_t rdata, rdlen;
};

int kv_dns_parse_response(const uint8_t *m, size_t n, const struct kv_dns_question *q,
			  int *rcode, struct kv_dns_rr_addr *out, size_t max, size_t *nout)
{
	struct kv_dns_question rq;
	struct rr *rrs;
	size_t an, i, off, nrr = 0, hops;
	char want[KV_DNS_NAME_MAX];
	uint32_t chain_ttl = UINT32_MAX;
	int ret = 0;

	*nout = 0;
	if (n < KV_DNS_HDR || !(m[2] & 0x80) || parse_question(m, n, &rq))
		return -EINVAL;
	if (rq.id != q->id || rq.qtype != q->qtype || strcmp(rq.name, q->name))
		return -EINVAL; /* not the answer to this question */
	*rcode = m[3] & 0xf;
	an = get16(m + 6);
	if (an > 256)
		an = 256;
	rrs = an ? calloc(an, sizeof(*rrs)) : NULL;
	if (an && !rrs)
		return -ENOMEM;
	off = rq.end;
	for (i = 0; i < an; i++) {
		struct rr *r = &rrs[nrr];
		size_t next;

		if (read_name(m, n, off, r->owner, &next) || next + 10 > n) {
			ret = -EINVAL;
			goto out;
		}
		r->type = get16(m + next);
		r->ttl = get32(m + next + 4);
		r->rdlen = get16(m + next + 8);
		r->rdata = next + 10;
		if (r->rdata + r->rdlen > n) {
			ret = -EINVAL;
			goto out;
		}
		off = r->rdata + r->rdlen;
		if (get16(m + next + 2) == 1) /* class IN only */
			nrr++;
	}
	/* follow the CNAME chain from the question's name */
	strcpy(want, q->name);
	for (hops = 0; hops < MAX_CHAIN; hops++) {
		bool moved = false;

		for (i = 0; i < nrr; i++) {
			struct rr *r = &rrs[i];
			struct kv_dns_rr_addr *a;
			size_t next;

			if (strcmp(r->owner, want))
				continue;
			if (r->type == KV_DNS_T_CNAME && !moved) {
				if (read_name(m, n, r->rdata, want, &next)) {
					ret = -EINVAL;
					goto out;
				}
				if (r->ttl < chain_ttl)
					chain_ttl = r->ttl;
				moved = true;
				break;
			}
			if (*nout >= max)
				continue;
			a = &out[*nout];
			if (r->type == KV_DNS_T_A && r->rdlen == 4) {
				memset(a->addr, 0, 10);
				a->addr[10] = a->addr[11] = 0xff;
				memcpy(a->addr + 12, m + r->rdata, 4);
			} else if (r->type == KV_DNS_T_AAAA && r->rdlen == 16) {
				memcpy(a->addr, m + r->rdata, 16);
			} else {
				continue;
			}
			a->ttl = r->ttl < chain_ttl ? r->ttl : chain_ttl;
			(*nout)++;
		}
		if (!moved)
			break;
	}
out:
	free(rrs);
	return ret;
}

int kv_dns_error_reply(const uint8_t *query, const struct kv_dns_question *q, int rcode,
		       uint8_t *out, size_t cap)
{
	if (q->end > cap)
		return -ENOSPC;
	memcpy(out, query, q->end);
	out[2] = (uint8_t)((query[2] & 0x79) | 0x80); /* QR, keep opcode + RD */
	out[3] = (uint8_t)(0x80 | (rcode & 0xf));    /* RA, rcode */
	memset(out + 6, 0, 6);                        /* no AN/NS/AR */
	return (int)q->end;
}

int kv_dns_build_query(const char *name, uint16_t qtype, uint16_t id, uint8_t *out, size_t cap)
{
	size_t len = strlen(name), o = KV_DNS_HDR, i = 0;

	if (!len || len > 253 || cap < KV_DNS_HDR + len + 2 + 4)
		return len && len <= 253 ? -ENOSPC : -EINVAL;
	memset(out, 0, KV_DNS_HDR);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	out[2] = 0x01; /* RD */
	out[5] = 1;    /* QDCOUNT */
	while (i < len) {
		size_t l = strcspn(name + i, ".");

		if (!l || l > 63)
			return -EINVAL;
		out[o++] = (uint8_t)l;
		memcpy(out + o, name + i, l);
		o += l;
		i += l + (name[i + l] == '.');
	}
	out[o++] = 0;
	out[o++] = (uint8_t)(qtype >> 8);
	out[o++] = (uint8_t)qtype;
	out[o++] = 0;
	out[o++] = 1; /* IN */
	return (int)o;
}
