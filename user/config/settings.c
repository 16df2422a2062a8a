// SPDX-License-Identifier: BSD-2-Clause
/* flag > .kavachos.json > environment > default, one setting at a time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/parse.h"
#include "config/config.h"

const char *kv_src_name(enum kv_src s)
{
	switch (s) {
	case KV_SRC_DEFAULT: return "default";
	case KV_SRC_ENV: return "environment";
	case KV_SRC_CONFIG: return "config";
	case KV_SRC_FLAG: return "flag";
	}
	return "?";
}

static int mask_from(const char *s, const char *where, uint32_t *mask, char *err, size_t errlen)
{
	char msg[160];
	int rc = kv_trust_mask_parse(s, mask, msg, sizeof(msg));

	if (rc)
		snprintf(err, errlen, "%s: %s", where, msg);
	return rc ? -EINVAL : 0;
}

static int domain_from(const char *s, const char *where, enum kv_domain *d, char *err,
		       size_t errlen)
{
	if (!kv_domain_parse(s, d))
		return 0;
	snprintf(err, errlen, "%s: unknown domain '%s' (valid: %s)", where, s, kv_domain_list());
	return -EINVAL;
}

static int load_config(const struct kv_settings_flags *f, struct kv_settings *s, char *err,
		       size_t errlen)
{
	char path[PATH_MAX];
	int rc;

	if (f->no_config)
		return 0;
	if (f->config_path) {
		snprintf(path, sizeof(path), "%s", f->config_path);
	} else {
		rc = kv_config_find(f->cwd, path, sizeof(path));
		if (rc == -ENOENT)
			return 0;
		if (rc) {
			snprintf(err, errlen, "looking for %s: %s", KV_CONFIG_NAME, strerror(-rc));
			return rc;
		}
	}
	return kv_config_load(path, &s->config, err, errlen);
}

int kv_settings_resolve(const struct kv_settings_flags *f, struct kv_settings *s, char *err,
			size_t errlen)
{
	static const struct kv_settings_flags none;
	const struct kv_config *c;
	const char *env;
	uint32_t v;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!f)
		f = &none;
	s->trust_mask = KV_DEFAULT_TRUST_MASK;
	s->domain = KV_DEFAULT_DOMAIN;
	s->depth = KV_DEFAULT_DEPTH;
	if ((rc = load_config(f, s, err, errlen)))
		goto fail;
	c = s->config;

	/* trust mask */
	if (f->trust_mask) {
		if ((rc = mask_from(f->trust_mask, "--trust-mask", &s->trust_mask, err, errlen)))
			goto fail;
		s->src_trust_mask = KV_SRC_FLAG;
	} else if (c && c->has_trust_mask) {
		s->trust_mask = c->trust_mask;
		s->src_trust_mask = KV_SRC_CONFIG;
	} else if ((env = getenv("KAVACHOS_TRUST_MASK")) && *env) {
		if ((rc = mask_from(env, "KAVACHOS_TRUST_MASK", &s->trust_mask, err, errlen)))
			goto fail;
		s->src_trust_mask = KV_SRC_ENV;
	}

	/* domain */
	if (f->domain) {
		if ((rc = domain_from(f->domain, "--domain", &s->domain, err, errlen)))
			goto fail;
		s->src_domain = KV_SRC_FLAG;
	} else if (c && c->has_domain) {
		s->domain = c->domain;
		s->src_domain = KV_SRC_CONFIG;
	} else if ((env = getenv("KAVACHOS_DOMAIN")) && *env) {
		if ((rc = domain_from(env, "KAVACHOS_DOMAIN", &s->domain, err, errlen)))
			goto fail;
		s->src_domain = KV_SRC_ENV;
	}

	/* depth */
	if (f->depth) {
		if (kv_parse_u32(f->depth, &v) || v < 1 || v > KV_MAX_DEPTH) {
			snprintf(err, errlen, "--depth: invalid depth '%s' (1-%d)", f->depth,
				 KV_MAX_DEPTH);
			rc = -EINVAL;
			goto fail;
		}
		s->depth = v;
		s->src_depth = KV_SRC_FLAG;
	} else if (c && c->has_depth) {
		s->depth = c->depth;
		s->src_depth = KV_SRC_CONFIG;
	}

	/* strict exec: a flag can only tighten */
	if (f->strict_exec) {
		s->strict_exec = true;
		s->src_strict_exec = KV_SRC_FLAG;
	} else if (c && c->has_strict_exec) {
		s->strict_exec = c->strict_exec;
		s->src_strict_exec = KV_SRC_CONFIG;
	}
	return 0;
fail:
	kv_settings_free(s);
	return rc;
}

void kv_settings_free(struct kv_settings *s)
{
	kv_config_free(s->config);
	s->config = NULL;
}

void kv_settings_profile_input(const struct kv_settings *s, struct kv_profile_input *in)
{
	memset(in, 0, sizeof(*in));
	in->trust_mask = s->trust_mask;
	in->domain = s->domain;
	in->depth = s->depth;
	in->strict_exec = s->strict_exec;
	if (s->config) {
		in->extra_allow = (const char *const *)s->config->seccomp_allow.v;
		in->n_extra_allow = s->config->seccomp_allow.n;
		in->extra_deny = (const char *const *)s->config->seccomp_deny.v;
		in->n_extra_deny = s->config->seccomp_deny.n;
	}
}
