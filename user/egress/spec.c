// SPDX-License-Identifier: BSD-2-Clause
/* One egress SPEC -> struct kv_egress_rule (grammar in egress.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "egress/egress.h"

#define SPEC_MAX 600

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool kv_egress_is_v4(const uint8_t addr[16])
{
	return !memcmp(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix));
}

static int fail(char *err, size_t errlen, const char *spec, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, const char *spec, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "invalid egress entry '%s': %s", spec, why);
	return -EINVAL;
}

/* Decimal digits only, 1..65535. */
static int parse_port_num(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (!n || n > 7)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_ports(const char *spec, const char *s, struct kv_egress_rule *r, char *err,
		       size_t errlen)
{
	const char *dash = strchr(s, '-');
	uint32_t lo, hi;

	if (!*s)
		return fail(err, errlen, spec, "empty port after ':'");
	if (parse_port_num(s, dash ? (size_t)(dash - s) : strlen(s), &lo) ||
	    (dash && parse_port_num(dash + 1, strlen(dash + 1), &hi)))
		return fail(err, errlen, spec, "unparsable port '%s' (PORT or LO-HI, 1-65535)", s);
	if (!dash)
		hi = lo;
	if (!lo || !hi)
		return fail(err, errlen, spec, "port 0 is not a destination port");
	if (lo > 65535 || hi > 65535)
		return fail(err, errlen, spec, "port %u out of range (1-65535)", lo > 65535 ? lo : hi);
	if (lo > hi)
		return fail(err, errlen, spec, "inverted port range %u-%u", lo, hi);
	r->port_lo = (uint16_t)lo;
	r->port_hi = (uint16_t)hi;
	return 0;
}

static bool all_digits_dots(const char *s)
{
	bool digit = false;

	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			digit = true;
		else if (*s != '.')
			return false;
	}
	return digit;
}

/* RFC 1123 host name (underscore allowed, as in real DNS data). */
static int parse_name(const char *spec, const char *s, struct kv_egress_rule *r, char *err,
		      size_t errlen)
{
	size_t n, i, label = 0;

	if (!strncmp(s, "*.", 2)) {
		r->wildcard = true;
		s += 2;
	}
	n = strlen(s);
	if (n && s[n - 1] == '.')
		n--; /* absolute form "name." */
	if (!n)
		return fail(err, errlen, spec, "empty host name");
	if (n > 253)
		return fail(err, errlen, spec, "host name longer than 253 characters");
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (!label)
				return fail(err, errlen, spec, "empty label in host name");
			if (s[i - 1] == '-')
				return fail(err, errlen, spec, "host name label ends with '-'");
			r->name[i] = '.';
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-' && c != '_')
			return fail(err, errlen, spec, "character '%c' not allowed in a host name",
				    c);
		if (c == '-' && !label)
			return fail(err, errlen, spec, "host name label starts with '-'");
		if (++label > 63)
			return fail(err, errlen, spec, "host name label longer than 63 characters");
		r->name[i] = (char)tolower((unsigned char)c);
	}
	if (s[n - 1] == '-')
		return fail(err, errlen, spec, "host name label ends with '-'");
	r->name[n] = 0;
	r->kind = KV_EGRESS_HOST;
	return 0;
}

static void mask_prefix(uint8_t a[16], unsigned prefix)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (prefix >= 8 * (i + 1))
			continue;
		if (prefix <= 8 * i)
			a[i] = 0;
		else
			a[i] &= (uint8_t)(0xff << (8 - (prefix - 8 * i)));
	}
}

/* host is an address, a CIDR or a name. v6only: it came in brackets. */
static int parse_host(const char *spec, char *host, bool v6only, struct kv_egress_rule *r,
		      char *err, size_t errlen)
{
	char *slash = strchr(host, '/');
	struct in6_addr a6;
	struct in_addr a4;
	uint32_t plen = 0;
	bool v4;

	if (slash) {
		*slash = 0;
		if (parse_port_num(slash + 1, strlen(slash + 1), &plen))
			return fail(err, errlen, spec, "unparsable CIDR '%s/%s'", host, slash + 1);
	}
	if (!v6only && inet_pton(AF_INET, host, &a4) == 1) {
		v4 = true;
		memcpy(r->addr, v4_mapped_prefix, 12);
		memcpy(&r->addr[12], &a4, 4);
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		v4 = false;
		memcpy(r->addr, &a6, 16);
	} else if (slash) {
		return fail(err, errlen, spec, "unparsable CIDR '%s/%s'", host, slash + 1);
	} else if (v6only || strchr(host, ':')) {
		return fail(err, errlen, spec, "unparsable IPv6 address '%s'", host);
	} else if (all_digits_dots(host)) {
		return fail(err, errlen, spec, "unparsable IPv4 address '%s'", host);
	} else {
		return parse_name(spec, host, r, err, errlen);
	}
	if (!slash)
		plen = v4 ? 32 : 128;
	if (v4 && plen > 32)
		return fail(err, errlen, spec, "prefix /%u exceeds 32 for an IPv4 address", plen);
	if (!v4 && plen > 128)
		return fail(err, errlen, spec, "prefix /%u exceeds 128 for an IPv6 address", plen);
	r->kind = KV_EGRESS_NET;
	r->prefix = (uint8_t)(v4 ? 96 + plen : plen);
	mask_prefix(r->addr, r->prefix); /* 10.1.2.3/8 means 10.0.0.0/8 */
	return 0;
}

static int parse_unix(const char *spec, const char *s, struct kv_egress_rule *r, char *err,
		      size_t errlen)
{
	size_t n = strlen(s);
	const char *p;

	r->kind = KV_EGRESS_UNIX;
	if (s[0] == '@') {
		if (n < 2)
			return fail(err, errlen, spec, "empty abstract socket name");
		if (n - 1 > 107)
			return fail(err, errlen, spec, "abstract name longer than 107 bytes");
		if (!strcmp(s, "@*"))
			r->flags |= KV_EGRESS_F_PREFIX;
		memcpy(r->name, s, n + 1);
		return 0;
	}
	if (s[0] != '/')
		return fail(err, errlen, spec, "unix path must be absolute or @abstract");
	if (n > 107)
		return fail(err, errlen, spec, "unix path longer than 107 bytes");
	for (p = s; (p = strstr(p, "..")); p += 2)
		if (p[-1] == '/' && (p[2] == '/' || !p[2]))
			return fail(err, errlen, spec, "'..' in a unix path");
	if (s[n - 1] == '/')
		r->flags |= KV_EGRESS_F_PREFIX;
	memcpy(r->name, s, n + 1);
	return 0;
}

int kv_egress_spec_parse(const char *spec, struct kv_egress_rule *r, char *err, size_t errlen)
{
	char buf[SPEC_MAX], *host, *port = NULL, *slash;
	bool v6only = false;
	size_t n;

	memset(r, 0, sizeof(*r));
	r->port_lo = 1;
	r->port_hi = 65535;
	r->protos = KV_EGRESS_P_ALL;
	n = strlen(spec);
	if (!n)
		return fail(err, errlen, spec, "empty entry");
	if (n >= sizeof(buf))
		return fail(err, errlen, "...", "entry longer than %d characters", SPEC_MAX - 1);
	memcpy(buf, spec, n + 1);
	if (!strncmp(buf, "unix:", 5))
		return parse_unix(spec, buf + 5, r, err, errlen);

	/* "/tcp" or "/udp" at the end; a "/digits" there is a CIDR prefix */
	slash = strrchr(buf, '/');
	if (slash && isalpha((unsigned char)slash[1])) {
		if (!strcasecmp(slash + 1, "tcp"))
			r->protos = KV_EGRESS_P_TCP;
		else if (!strcasecmp(slash + 1, "udp"))
			r->protos = KV_EGRESS_P_UDP;
		else
			return fail(err, errlen, spec, "unknown protocol '%s' (tcp or udp)",
				    slash + 1);
		*slash = 0;
	}

	host = buf;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close)
			return fail(err, errlen, spec, "missing ']' after IPv6 address");
		*close = 0;
		host = buf + 1;
		v6only = true;
		if (close[1] == '/') { /* [fd00::]/8 */
			char *colon = strchr(close + 1, ':');

			if (colon) {
				*colon = 0;
				port = colon + 1;
			}
			memmove(close, close + 1, strlen(close + 1) + 1);
		} else if (close[1] == ':') {
			port = close + 2;
		} else if (close[1]) {
			return fail(err, errlen, spec, "unexpected '%s' after ']'", close + 1);
		}
	} else {
		char *c1 = strchr(buf, ':');

		if (c1 && !strchr(c1 + 1, ':')) { /* one colon: HOST:PORT */
			*c1 = 0;
			port = c1 + 1;
		}
	}
	if (!*host)
		return fail(err, errlen, spec, "missing address or host name");
	if (port && parse_ports(spec, port, r, err, errlen))
		return -EINVAL;
	return parse_host(spec, host, v6only, r, err, errlen);
}

int kv_egress_rule_format(const struct kv_egress_rule *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], ports[16] = "", proto[8] = "";
	int n;

	if (r->kind == KV_EGRESS_UNIX)
		return snprintf(buf, len, "unix:%s", r->name) < (int)len ? 0 : -ENOSPC;
	if (r->port_lo != 1 || r->port_hi != 65535) {
		if (r->port_lo == r->port_hi)
			snprintf(ports, sizeof(ports), ":%u", r->port_lo);
		else
			snprintf(ports, sizeof(ports), ":%u-%u", r->port_lo, r->port_hi);
	}
	if (r->protos == KV_EGRESS_P_TCP)
		strcpy(proto, "/tcp");
	else if (r->protos == KV_EGRESS_P_UDP)
		strcpy(proto, "/udp");
	if (r->kind == KV_EGRESS_HOST)
		n = snprintf(buf, len, "%s%s%s%s", r->wildcard ? "*." : "", r->name, ports, proto);
	else if (kv_egress_is_v4(r->addr) && r->prefix >= 96)
		n = snprintf(buf, len, "%s/%u%s%s", inet_ntop(AF_INET, &r->addr[12], a, sizeof(a)),
			     r->prefix - 96, ports, proto);
	else
		n = snprintf(buf, len, "[%s/%u]%s%s", inet_ntop(AF_INET6, r->addr, a, sizeof(a)),
			     r->prefix, ports, proto);
	return n < (int)len ? 0 : -ENOSPC;
}
