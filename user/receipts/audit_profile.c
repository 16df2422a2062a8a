// SPDX-License-Identifier: BSD-2-Clause
/* PROFILE_DRIFT: the genesis records the profile's inputs and SHA-256; a fresh
 * kv_profile_build() from the same inputs must give the same hash, or the profile
 * that was enforced is not the one this kavachos generates for those inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile/profile.h"
#include "receipts/audit_internal.h"

/* Array of strings -> NULL-terminated vector (borrowing json-c's strings). */
static int string_list(struct json_object *g, const char *key, const char ***out, size_t *n,
		       char *why, size_t len)
{
	struct json_object *a;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!json_object_object_get_ex(g, key, &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		goto bad;
	*n = json_object_array_length(a);
	*out = calloc(*n + 1, sizeof(**out));
	if (!*out)
		goto bad;
	for (i = 0; i < *n; i++) {
		struct json_object *s = json_object_array_get_idx(a, i);

		if (!json_object_is_type(s, json_type_string))
			goto bad;
		(*out)[i] = json_object_get_string(s);
	}
	return 0;
bad:
	snprintf(why, len,
		 "cannot regenerate the profile: genesis %s is not a list of syscall names", key);
	return -1;
}

static bool cannot(char *why, size_t len, const char *what)
{
	snprintf(why, len, "cannot regenerate the profile: %s", what);
	return true;
}

bool kv_audit_profile(struct json_object *g, struct kv_audit_result *res, char *why, size_t len)
{
	struct kv_profile_input in = {.depth = 1};
	struct json_object *sha, *o;
	const char **allow = NULL, **deny = NULL;
	struct kv_profile *p = NULL;
	char err[256];
	bool ret = true;
	int64_t v;

	if (!json_object_object_get_ex(g, "profile_sha256", &sha))
		return false; /* the session recorded no profile */
	res->profile_checked = true;
	snprintf(res->profile_sha256, sizeof(res->profile_sha256), "%s",
		 json_object_get_string(sha));
	if (json_object_object_get_ex(g, "profile_origin", &o) &&
	    !strcmp(json_object_get_string(o), "oci")) {
		res->profile_checked = false; /* an imported file: nothing to regenerate from */
		return false;
	}
	if (!json_object_object_get_ex(g, "trust_mask", &o) ||
	    !json_object_is_type(o, json_type_int) || (v = json_object_get_int64(o)) < 0 ||
	    v > UINT32_MAX)
		return cannot(why, len, "the genesis has profile_sha256 but no trust_mask");
	in.trust_mask = (uint32_t)v;
	if (json_object_object_get_ex(g, "domain", &o) &&
	    kv_domain_parse(json_object_get_string(o), &in.domain))
		return cannot(why, len, "the genesis names an unknown domain");
	if (json_object_object_get_ex(g, "depth", &o)) {
		v = json_object_get_int64(o);
		if (!json_object_is_type(o, json_type_int) || v < 1 || v > UINT32_MAX)
			return cannot(why, len, "the genesis depth is not a positive integer");
		in.depth = (uint32_t)v;
	}
	if (json_object_object_get_ex(g, "strict_exec", &o))
		in.strict_exec = json_object_get_boolean(o);
	if (string_list(g, "extra_allow", &allow, &in.n_extra_allow, why, len) ||
	    string_list(g, "extra_deny", &deny, &in.n_extra_deny, why, len))
		goto out;
	in.extra_allow = allow;
	in.extra_deny = deny;
	if (kv_profile_build(&in, &p, err, sizeof(err))) {
		snprintf(why, len, "cannot regenerate the profile from the genesis inputs: %s",
			 err);
		goto out;
	}
	if (kv_profile_hash(p, res->profile_regenerated)) {
		snprintf(why, len, "cannot hash the regenerated profile");
		goto out;
	}
	ret = strcmp(res->profile_regenerated, res->profile_sha256) != 0;
	if (ret)
		snprintf(why, len,
			 "genesis profile_sha256 %.16s... but trust_mask 0x%08x, domain %s, depth "
			 "%u generate %.16s...",
			 res->profile_sha256, in.trust_mask, kv_domain_name(in.domain), in.depth,
			 res->profile_regenerated);
out:
	kv_profile_free(p);
	free(allow);
	free(deny);
	return ret;
}
