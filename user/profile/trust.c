// SPDX-License-Identifier: BSD-2-Clause
/* Trust mask and domain names (SPEC.md "trust_mask"). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "common/parse.h"
#include "profile/profile_int.h"

static const char *const domain_names[KV_DOMAIN_COUNT] = {
	[KV_DOMAIN_GENERAL] = "general",
	[KV_DOMAIN_MARITIME] = "maritime",
	[KV_DOMAIN_LOGISTICS] = "logistics",
	[KV_DOMAIN_OT] = "ot",
	[KV_DOMAIN_FINANCE] = "finance",
};

static const char *const bit_names[24] = {
	"auth", "rbac", "events", "db", "notification", "cache", "registered", "forja",
	"llm", "knowledge", "domain_rules", "memory", "search", "packages", "swarm", "codegen",
	"domain0", "domain1", "domain2", "domain3", "domain4", "domain5", "domain6", "domain7",
};

int kv_domain_parse(const char *s, enum kv_domain *out)
{
	int d;

	if (!s)
		return -EINVAL;
	for (d = 0; d < KV_DOMAIN_COUNT; d++) {
		if (!strcmp(s, domain_names[d])) {
			*out = (enum kv_domain)d;
			return 0;
		}
	}
	return -EINVAL;
}

const char *kv_domain_name(enum kv_domain d)
{
	if ((unsigned)d >= KV_DOMAIN_COUNT)
		return NULL;
	return domain_names[d];
}

const char *kv_domain_list(void)
{
	return "general, maritime, logistics, ot, finance";
}

const char *kv_trust_bit_name(unsigned bit)
{
	return bit < 24 ? bit_names[bit] : NULL;
}

const char *kv_domain_bit_name(enum kv_domain d, unsigned bit)
{
	if ((unsigned)d >= KV_DOMAIN_COUNT || bit < 16 || bit > 23)
		return NULL;
	return kv_grp_domain[d][bit - 16].name;
}

int kv_trust_mask_parse(const char *s, uint32_t *mask, char *err, size_t errlen)
{
	uint32_t v;
	int rc;

	rc = kv_parse_u32(s, &v);
	if (rc == -ERANGE) {
		snprintf(err, errlen, "invalid trust mask '%s': larger than 32 bits", s);
		return -ERANGE;
	}
	if (rc) {
		snprintf(err, errlen,
			 "invalid trust mask '%s': not a number (decimal, or hex with 0x)",
			 s ? s : "");
		return -EINVAL;
	}
	if (v & KV_TRUST_MASK_RESERVED) {
		snprintf(err, errlen, "invalid trust mask '%s': bits 24-31 are reserved", s);
		return -EINVAL;
	}
	*mask = v;
	return 0;
}
