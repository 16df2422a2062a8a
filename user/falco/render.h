/* SPDX-License-Identifier: BSD-2-Clause */
/* Falco rules for a domain and trust mask, rendered from the templates in falco/
 * (general.yaml, then DOMAIN.yaml): `kavachos:` selectors evaluated against the
 * mask, ${domain}/${trust_mask} substituted, the session fields appended to every
 * output. Deterministic: the same inputs give byte-identical YAML. */
#ifndef KV_FALCO_RENDER_H
#define KV_FALCO_RENDER_H
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "profile/profile.h"

/* Output fields the rules carry; alerts are mapped to sessions by them. */
#define KV_FALCO_SESSION_FIELD		"proc.env[KAVACHOS_SESSION_ID]"
#define KV_FALCO_ANCESTOR_SESSION_FIELD "proc.aenv[KAVACHOS_SESSION_ID]"
#define KV_FALCO_CGROUPS_FIELD		"thread.cgroups"
#define KV_FALCO_PID_FIELD		"proc.pid"

struct kv_falco_ruleset;

/* Renders from the data directory found by kv_falco_data_dir(). The YAML (caller
 * frees) is in the official rule-file syntax. 0, -ENOENT (no data dir), -EINVAL
 * (bad domain, reserved mask bits, or a template error), all named in err. */
int kv_falco_render(enum kv_domain d, uint32_t trust_mask, char **yaml_out, char *err,
		    size_t errlen);
/* The same rules as a JSON document: metadata (domain, mask, engine version,
 * SHA-256 of the YAML, counts), rules/macros/lists, and the YAML itself. */
int kv_falco_render_json(enum kv_domain d, uint32_t trust_mask, struct json_object **out, char *err,
			 size_t errlen);

/* The building blocks, with an explicit data directory. */
int kv_falco_ruleset_build(const char *datadir, enum kv_domain d, uint32_t trust_mask,
			   struct kv_falco_ruleset **out, char *err, size_t errlen);
/* 0 or -ENOMEM; *out is caller-freed. */
int kv_falco_ruleset_yaml(const struct kv_falco_ruleset *rs, char **out);
struct json_object *kv_falco_ruleset_json(const struct kv_falco_ruleset *rs);
/* Items of a kind ("rule", "macro", "list"). */
size_t kv_falco_ruleset_count(const struct kv_falco_ruleset *rs, const char *kind);
void kv_falco_ruleset_free(struct kv_falco_ruleset *rs);
#endif
