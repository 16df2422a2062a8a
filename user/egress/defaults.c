// SPDX-License-Identifier: BSD-2-Clause
/* Default egress entries: data, not code. Each line is a SPEC (egress.h).
 *
 * Every non-zero trust mask gets the LLM provider APIs (essential: they
 * still pass when the gate valve is CRACKED, so the agent can talk to its
 * model and report) plus its domain's endpoints. Bit 6 (registered)
 * unlocks loopback services. The local system sockets let libc log and
 * ask nscd without counting violations; they are not network egress and
 * --no-default-net keeps them. */
#include <stddef.h>
#include "egress/defaults.h"

/* The providers' public API hosts (HTTPS only). */
static const char *const llm_apis[] = {
	"api.anthropic.com:443/tcp",
	"api.openai.com:443/tcp",
	"generativelanguage.googleapis.com:443/tcp",
	"api.mistral.ai:443/tcp",
	NULL,
};

/* The private networks that plant / ship equipment lives on. */
#define PRIVATE_NETS(port) \
	"10.0.0.0/8:" port, "172.16.0.0/12:" port, "192.168.0.0/16:" port, "[fd00::/8]:" port

/* maritime: NMEA 0183 / AIS sentences over IP (IEC 61162-450 uses UDP;
 * receivers commonly serve TCP too) on the vessel network. */
static const char *const maritime[] = { PRIVATE_NETS("10110"), NULL };
/* ot: Modbus TCP to PLCs on the plant network. */
static const char *const ot[] = { PRIVATE_NETS("502/tcp"), NULL };
static const char *const none[] = { NULL };

static const char *const *const domain_endpoints[KV_DOMAIN_COUNT] = {
	[KV_DOMAIN_GENERAL] = none,
	[KV_DOMAIN_MARITIME] = maritime,
	[KV_DOMAIN_LOGISTICS] = none,
	[KV_DOMAIN_OT] = ot,
	[KV_DOMAIN_FINANCE] = none,
};

/* Bit 6 registered: loopback services. Connecting to 0.0.0.0 or :: also
 * reaches the local host, so they belong with loopback. */
static const char *const registered[] = {
	"127.0.0.0/8", "0.0.0.0/32", "[::1/128]", "[::/128]", NULL,
};

/* Local plumbing libc uses on its own: syslog(3), journald, nscd. */
static const char *const system_unix[] = {
	"unix:/dev/log",
	"unix:/run/systemd/journal/socket",
	"unix:/run/systemd/journal/stdout",
	"unix:/var/run/nscd/socket",
	"unix:/run/nscd/socket",
	NULL,
};

const char *const *kv_egress_default_llm(void)
{
	return llm_apis;
}

const char *const *kv_egress_default_domain(enum kv_domain d)
{
	return (unsigned)d < KV_DOMAIN_COUNT ? domain_endpoints[d] : none;
}

const char *const *kv_egress_default_registered(void)
{
	return registered;
}

const char *const *kv_egress_default_system(void)
{
	return system_unix;
}
