// SPDX-License-Identifier: BSD-2-Clause
/* --allow-net SPEC parsing: accepted forms and the errors that name the entry. */
#include <arpa/inet.h>
#include "egress/egress.h"
#include "kvtest.h"

#define ALL KV_EGRESS_P_ALL
#define TCP KV_EGRESS_P_TCP
#define UDP KV_EGRESS_P_UDP

static const struct {
	const char *spec;
	enum kv_egress_kind kind;
	const char *addr; /* IPv6 text for NET; name for HOST/UNIX */
	unsigned prefix;  /* 128-bit space */
	unsigned lo, hi, protos;
	const char *canon; /* kv_egress_rule_format */
} good[] = {
	{ "127.0.0.2:8080", KV_EGRESS_NET, "::ffff:127.0.0.2", 128, 8080, 8080, ALL, "127.0.0.2/32:8080" },
	{ "10.0.0.0/8", KV_EGRESS_NET, "::ffff:10.0.0.0", 104, 1, 65535, ALL, "10.0.0.0/8" },
	{ "10.1.2.3/8", KV_EGRESS_NET, "::ffff:10.0.0.0", 104, 1, 65535, ALL, "10.0.0.0/8" },
	{ "0.0.0.0/0:443/tcp", KV_EGRESS_NET, "::ffff:0.0.0.0", 96, 443, 443, TCP, "0.0.0.0/0:443/tcp" },
	{ "10.0.0.1:8000-8999/udp", KV_EGRESS_NET, "::ffff:10.0.0.1", 128, 8000, 8999, UDP, "10.0.0.1/32:8000-8999/udp" },
	{ "10.0.0.1/UDP", KV_EGRESS_NET, "::ffff:10.0.0.1", 128, 1, 65535, UDP, "10.0.0.1/32/udp" },
	{ "[fd00::1]:443", KV_EGRESS_NET, "fd00::1", 128, 443, 443, ALL, "[fd00::1/128]:443" },
	{ "fd00::/8", KV_EGRESS_NET, "fd00::", 8, 1, 65535, ALL, "[fd00::/8]" },
	{ "[fd00::]/8:443/tcp", KV_EGRESS_NET, "fd00::", 8, 443, 443, TCP, "[fd00::/8]:443/tcp" },
	{ "[fd00:1::/32]:53/udp", KV_EGRESS_NET, "fd00:1::", 32, 53, 53, UDP, "[fd00:1::/32]:53/udp" },
	{ "::1", KV_EGRESS_NET, "::1", 128, 1, 65535, ALL, "[::1/128]" },
	{ "::ffff:127.0.0.3", KV_EGRESS_NET, "::ffff:127.0.0.3", 128, 1, 65535, ALL, "127.0.0.3/32" },
	{ "[::ffff:10.0.0.0/104]:22", KV_EGRESS_NET, "::ffff:10.0.0.0", 104, 22, 22, ALL, "10.0.0.0/8:22" },
	{ "api.anthropic.com:443/tcp", KV_EGRESS_HOST, "api.anthropic.com", 0, 443, 443, TCP, "api.anthropic.com:443/tcp" },
	{ "API.Example.COM.", KV_EGRESS_HOST, "api.example.com", 0, 1, 65535, ALL, "api.example.com" },
	{ "*.example.com:443", KV_EGRESS_HOST, "example.com", 0, 443, 443, ALL, "*.example.com:443" },
	{ "localhost:5432", KV_EGRESS_HOST, "localhost", 0, 5432, 5432, ALL, "localhost:5432" },
	{ "_srv.x-y.test", KV_EGRESS_HOST, "_srv.x-y.test", 0, 1, 65535, ALL, "_srv.x-y.test" },
	{ "unix:/var/run/docker.sock", KV_EGRESS_UNIX, "/var/run/docker.sock", 0, 1, 65535, ALL, "unix:/var/run/docker.sock" },
	{ "unix:/tmp/agent/", KV_EGRESS_UNIX, "/tmp/agent/", 0, 1, 65535, ALL, "unix:/tmp/agent/" },
	{ "unix:@dbus-x", KV_EGRESS_UNIX, "@dbus-x", 0, 1, 65535, ALL, "unix:@dbus-x" },
	{ "unix:@*", KV_EGRESS_UNIX, "@*", 0, 1, 65535, ALL, "unix:@*" },
};

/* Each error message quotes the entry and says what is wrong with it. */
static const struct {
	const char *spec;
	const char *why;
} bad[] = {
	{ "10.0.0.0/33", "prefix /33 exceeds 32" },
	{ "[fd00::]/129", "prefix /129 exceeds 128" },
	{ "fd00::/200", "prefix /200 exceeds 128" },
	{ "10.0.0/8", "unparsable CIDR" },
	{ "10.0.0.0/x8", "unknown protocol 'x8'" },
	{ "10.0.0.0/8/8", "unparsable CIDR" },
	{ "1.2.3.4:0", "port 0" },
	{ "1.2.3.4:0-80", "port 0" },
	{ "1.2.3.4:65536", "port 65536 out of range" },
	{ "1.2.3.4:80-70000", "port 70000 out of range" },
	{ "1.2.3.4:90-80", "inverted port range 90-80" },
	{ "1.2.3.4:http", "unparsable port 'http'" },
	{ "1.2.3.4:", "empty port" },
	{ "1.2.3.4:-5", "unparsable port" },
	{ "300.1.1.1", "unparsable IPv4 address" },
	{ "1.2.3", "unparsable IPv4 address" },
	{ "1.2.3.4/icmp", "unknown protocol 'icmp'" },
	{ "[fd00::1", "missing ']'" },
	{ "[fd00::1]x", "unexpected 'x' after ']'" },
	{ "[example.com]:80", "unparsable IPv6 address" },
	{ "fd00::zz", "unparsable IPv6 address" },
	{ "exa mple.com", "character ' ' not allowed" },
	{ "-bad.com", "starts with '-'" },
	{ "bad-.com", "ends with '-'" },
	{ "a..b", "empty label" },
	{ "unix:relative.sock", "absolute" },
	{ "unix:/a/../b", "'..'" },
	{ "unix:@", "empty abstract" },
	{ "", "empty entry" },
	{ ":443", "missing address" },
};

KV_TEST(spec_good)
{
	struct kv_egress_rule r, again;
	char err[512], canon[600];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *tag = good[i].spec;

		err[0] = 0;
		if (!ASSERT_OK(kv_egress_spec_parse(good[i].spec, &r, err, sizeof(err)), tag)) {
			fprintf(stderr, "  %s\n", err);
			continue;
		}
		ASSERT_EQ(r.kind, good[i].kind, tag);
		if (r.kind == KV_EGRESS_NET) {
			uint8_t want[16];

			ASSERT_EQ(inet_pton(AF_INET6, good[i].addr, want), 1, tag);
			ASSERT_OK(memcmp(r.addr, want, 16), tag);
			ASSERT_EQ(r.prefix, good[i].prefix, tag);
		} else {
			ASSERT_STREQ(r.name, good[i].addr, tag);
		}
		if (r.kind != KV_EGRESS_UNIX) {
			ASSERT_EQ(r.port_lo, good[i].lo, tag);
			ASSERT_EQ(r.port_hi, good[i].hi, tag);
			ASSERT_EQ(r.protos, good[i].protos, tag);
		}
		ASSERT_OK(kv_egress_rule_format(&r, canon, sizeof(canon)), tag);
		ASSERT_STREQ(canon, good[i].canon, tag);
		/* the canonical form parses back to the same rule */
		ASSERT_OK(kv_egress_spec_parse(canon, &again, err, sizeof(err)), canon);
		ASSERT_OK(memcmp(&r, &again, sizeof(r)), canon);
	}
}

KV_TEST(spec_bad_names_entry)
{
	struct kv_egress_rule r;
	char err[512], quoted[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ASSERT_EQ(kv_egress_spec_parse(bad[i].spec, &r, err, sizeof(err)), -EINVAL,
			  bad[i].spec);
		snprintf(quoted, sizeof(quoted), "'%s'", bad[i].spec);
		ASSERT_HAS_SUBSTR(err, quoted, bad[i].spec);
		ASSERT_HAS_SUBSTR(err, bad[i].why, bad[i].spec);
	}
}

KV_TEST(spec_unix_flags)
{
	struct kv_egress_rule r;
	char err[256];

	ASSERT_OK(kv_egress_spec_parse("unix:/tmp/agent/", &r, err, sizeof(err)), "dir");
	ASSERT_TRUE(r.flags & KV_EGRESS_F_PREFIX, "dir is a prefix");
	ASSERT_OK(kv_egress_spec_parse("unix:/tmp/agent.sock", &r, err, sizeof(err)), "file");
	ASSERT_FALSE(r.flags & KV_EGRESS_F_PREFIX, "file is exact");
	ASSERT_OK(kv_egress_spec_parse("unix:@*", &r, err, sizeof(err)), "all abstract");
	ASSERT_TRUE(r.flags & KV_EGRESS_F_PREFIX, "@* is a prefix");
	/* 107 bytes fit sun_path with its NUL; 108 do not */
	{
		char spec[128] = "unix:/";

		memset(spec + 6, 'a', 106);
		spec[112] = 0;
		ASSERT_OK(kv_egress_spec_parse(spec, &r, err, sizeof(err)), "107 bytes");
		spec[112] = 'a';
		spec[113] = 0;
		ASSERT_EQ(kv_egress_spec_parse(spec, &r, err, sizeof(err)), -EINVAL, "108 bytes");
		ASSERT_HAS_SUBSTR(err, "longer than 107", "108 bytes");
	}
}
