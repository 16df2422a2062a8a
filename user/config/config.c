// SPDX-License-Identifier: BSD-2-Clause
/* .kavachos.json parser: a table of known keys per object, each with a type
 * and a field of struct kv_config. Anything else is an error. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config/config.h"
#include "config/json_file.h"

struct ctx {
	const char *src;
	char *err;
	size_t errlen;
};

#define FAIL(c, field, ...)                                                           \
	({                                                                            \
		int kv_o = snprintf((c)->err, (c)->errlen, "%s: field '%s': ", (c)->src, \
				    field);                                           \
		if (kv_o >= 0 && (size_t)kv_o < (c)->errlen)                          \
			snprintf((c)->err + kv_o, (c)->errlen - kv_o, __VA_ARGS__);   \
		-EINVAL;                                                              \
	})

static int type_err(struct ctx *c, const char *field, const char *want, struct json_object *v)
{
	return FAIL(c, field, "expected %s, got %s", want, kv_json_type_name(v));
}

static int get_bool(struct ctx *c, const char *field, struct json_object *v, bool *out,
		    bool *has)
{
	if (!json_object_is_type(v, json_type_boolean))
		return type_err(c, field, "true or false", v);
	*out = json_object_get_boolean(v);
	if (has)
		*has = true;
	return 0;
}

static int get_u32(struct ctx *c, const char *field, struct json_object *v, uint32_t *out,
		   bool *has)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return type_err(c, field, "a non-negative integer", v);
	x = json_object_get_int64(v);
	if (x < 0 || x > UINT32_MAX)
		return FAIL(c, field, "%lld is out of range (0-4294967295)", (long long)x);
	*out = (uint32_t)x;
	if (has)
		*has = true;
	return 0;
}

static int get_strv(struct ctx *c, const char *field, struct json_object *v, struct kv_strv *out)
{
	char f[128];
	size_t i, n;

	if (!json_object_is_type(v, json_type_array))
		return type_err(c, field, "an array of strings", v);
	n = json_object_array_length(v);
	out->v = calloc(n ? n : 1, sizeof(char *));
	if (!out->v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(v, i);

		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		if (!json_object_is_type(s, json_type_string))
			return type_err(c, f, "a string", s);
		if (!json_object_get_string_len(s))
			return FAIL(c, f, "empty string");
		out->v[i] = strdup(json_object_get_string(s));
		if (!out->v[i])
			return -ENOMEM;
		out->n = i + 1;
	}
	return 0;
}

static int trust_mask(struct ctx *c, struct json_object *v, struct kv_config *cfg)
{
	char msg[160];
	int64_t x;

	if (json_object_is_type(v, json_type_string)) {
		if (kv_trust_mask_parse(json_object_get_string(v), &cfg->trust_mask, msg,
					sizeof(msg)))
			return FAIL(c, "trust_mask", "%s", msg);
	} else if (json_object_is_type(v, json_type_int)) {
		x = json_object_get_int64(v);
		if (x < 0 || x > UINT32_MAX)
			return FAIL(c, "trust_mask", "%lld is not a 32-bit mask", (long long)x);
		if ((uint32_t)x & KV_TRUST_MASK_RESERVED)
			return FAIL(c, "trust_mask",
				    "invalid trust mask %#llx: bits 24-31 are reserved",
				    (long long)x);
		cfg->trust_mask = (uint32_t)x;
	} else {
		return type_err(c, "trust_mask", "a string like \"0xFF\" or an integer", v);
	}
	cfg->has_trust_mask = true;
	return 0;
}

static int domain(struct ctx *c, struct json_object *v, struct kv_config *cfg)
{
	if (!json_object_is_type(v, json_type_string))
		return type_err(c, "domain", "a string", v);
	if (kv_domain_parse(json_object_get_string(v), &cfg->domain))
		return FAIL(c, "domain", "unknown domain '%s' (valid: %s)",
			    json_object_get_string(v), kv_domain_list());
	cfg->has_domain = true;
	return 0;
}

static int depth(struct ctx *c, struct json_object *v, struct kv_config *cfg)
{
	int rc = get_u32(c, "depth", v, &cfg->depth, &cfg->has_depth);

	if (rc)
		return rc;
	if (cfg->depth < 1 || cfg->depth > KV_MAX_DEPTH)
		return FAIL(c, "depth", "%u is out of range (1-%d)", cfg->depth, KV_MAX_DEPTH);
	return 0;
}

/* Unknown keys are errors: a typo must not silently weaken a policy. */
static int known_keys(struct ctx *c, struct json_object *o, const char *prefix,
		      const char *const *keys)
{
	json_object_object_foreach(o, k, v) {
		const char *const *kk;
		char f[128];

		(void)v;
		char known[256] = "";
		size_t off = 0;

		for (kk = keys; *kk && strcmp(*kk, k); kk++)
			;
		if (*kk)
			continue;
		for (kk = keys; *kk && off < sizeof(known); kk++)
			off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s",
						kk == keys ? "" : ", ", *kk);
		snprintf(f, sizeof(f), "%s%s", prefix, k);
		return FAIL(c, f, "unknown key (known here: %s)", known);
	}
	return 0;
}

static int object(struct ctx *c, struct json_object *root, const char *key,
		  const char *const *keys, struct json_object **out)
{
	char prefix[64];

	*out = NULL;
	if (!json_object_object_get_ex(root, key, out))
		return 0;
	if (!json_object_is_type(*out, json_type_object))
		return type_err(c, key, "an object", *out);
	snprintf(prefix, sizeof(prefix), "%s.", key);
	return known_keys(c, *out, prefix, keys);
}

static int parse(struct ctx *c, struct json_object *root, struct kv_config *cfg)
{
	static const char *const top[] = { "version", "trust_mask", "domain", "depth",
					   "strict_exec", "seccomp", "egress", "files", "exec",
					   "gate", NULL };
	static const char *const k_seccomp[] = { "allow", "deny", NULL };
	static const char *const k_egress[] = { "allow", "no_default", "essential", NULL };
	static const char *const k_files[] = { "deny", "write", NULL };
	static const char *const k_exec[] = { "allow", "fileless", NULL };
	static const char *const k_gate[] = { "throttle", "crack", "lock", "burst",
					      "burst_window_s", NULL };
	struct kv_config_gate *g = &cfg->gate;
	struct json_object *v, *o;
	int rc;

	if (!json_object_is_type(root, json_type_object)) {
		snprintf(c->err, c->errlen, "%s: expected a JSON object at the top, got %s", c->src,
			 kv_json_type_name(root));
		return -EINVAL;
	}
	if ((rc = known_keys(c, root, "", top)))
		return rc;
	if (!json_object_object_get_ex(root, "version", &v)) {
		snprintf(c->err, c->errlen,
			 "%s: missing \"version\" (this kavachos reads version %d)",
			 c->src, KV_CONFIG_VERSION);
		return -EINVAL;
	}
	if ((rc = get_u32(c, "version", v, &cfg->version, NULL)))
		return rc;
	if (cfg->version != KV_CONFIG_VERSION)
		return FAIL(c, "version", "unsupported version %u (this kavachos reads version %d)",
			    cfg->version, KV_CONFIG_VERSION);
	if (json_object_object_get_ex(root, "trust_mask", &v) && (rc = trust_mask(c, v, cfg)))
		return rc;
	if (json_object_object_get_ex(root, "domain", &v) && (rc = domain(c, v, cfg)))
		return rc;
	if (json_object_object_get_ex(root, "depth", &v) && (rc = depth(c, v, cfg)))
		return rc;
	if (json_object_object_get_ex(root, "strict_exec", &v) &&
	    (rc = get_bool(c, "strict_exec", v, &cfg->strict_exec, &cfg->has_strict_exec)))
		return rc;

	if ((rc = object(c, root, "seccomp", k_seccomp, &o)))
		return rc;
	if (o && json_object_object_get_ex(o, "allow", &v) &&
	    (rc = get_strv(c, "seccomp.allow", v, &cfg->seccomp_allow)))
		return rc;
	if (o && json_object_object_get_ex(o, "deny", &v) &&
	    (rc = get_strv(c, "seccomp.deny", v, &cfg->seccomp_deny)))
		return rc;

	if ((rc = object(c, root, "egress", k_egress, &o)))
		return rc;
	if (o && json_object_object_get_ex(o, "allow", &v) &&
	    (rc = get_strv(c, "egress.allow", v, &cfg->egress_allow)))
		return rc;
	if (o && json_object_object_get_ex(o, "no_default", &v) &&
	    (rc = get_bool(c, "egress.no_default", v, &cfg->egress_no_default,
			   &cfg->has_egress_no_default)))
		return rc;
	if (o && json_object_object_get_ex(o, "essential", &v) &&
	    (rc = get_strv(c, "egress.essential", v, &cfg->egress_essential)))
		return rc;

	if ((rc = object(c, root, "exec", k_exec, &o)))
		return rc;
	if (o && json_object_object_get_ex(o, "allow", &v) &&
	    (rc = get_strv(c, "exec.allow", v, &cfg->exec_allow)))
		return rc;
	if (o && json_object_object_get_ex(o, "fileless", &v) &&
	    (rc = get_bool(c, "exec.fileless", v, &cfg->exec_fileless, &cfg->has_exec_fileless)))
		return rc;

	if ((rc = object(c, root, "files", k_files, &o)))
		return rc;
	if (o && json_object_object_get_ex(o, "deny", &v) &&
	    (rc = get_strv(c, "files.deny", v, &cfg->files_deny)))
		return rc;
	if (o && json_object_object_get_ex(o, "write", &v) &&
	    (rc = get_strv(c, "files.write", v, &cfg->files_write)))
		return rc;

	if ((rc = object(c, root, "gate", k_gate, &o)))
		return rc;
	if (o && json_object_object_get_ex(o, "throttle", &v) &&
	    (rc = get_u32(c, "gate.throttle", v, &g->throttle, &g->has_throttle)))
		return rc;
	if (o && json_object_object_get_ex(o, "crack", &v) &&
	    (rc = get_u32(c, "gate.crack", v, &g->crack, &g->has_crack)))
		return rc;
	if (o && json_object_object_get_ex(o, "lock", &v) &&
	    (rc = get_u32(c, "gate.lock", v, &g->lock, &g->has_lock)))
		return rc;
	if (o && json_object_object_get_ex(o, "burst", &v) &&
	    (rc = get_u32(c, "gate.burst", v, &g->burst, &g->has_burst)))
		return rc;
	if (o && json_object_object_get_ex(o, "burst_window_s", &v) &&
	    (rc = get_u32(c, "gate.burst_window_s", v, &g->burst_window_s, &g->has_burst_window_s)))
		return rc;
	return 0;
}

static int check_names(struct ctx *c, const char *field, const struct kv_strv *sv)
{
	char f[128];
	size_t i;

	for (i = 0; i < sv->n; i++) {
		if (kv_syscall_nr(sv->v[i]) >= 0)
			continue;
		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		return FAIL(c, f, "'%s' is not an x86_64 system call", sv->v[i]);
	}
	return 0;
}

int kv_config_parse(const char *text, size_t len, const char *source, struct kv_config **out,
		    char *err, size_t errlen)
{
	struct ctx c = { .src = source ? source : KV_CONFIG_NAME, .err = err, .errlen = errlen };
	struct json_object *root;
	struct kv_config *cfg;
	int rc;

	*out = NULL;
	if ((rc = kv_json_parse(text, len, c.src, &root, err, errlen)))
		return rc;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		json_object_put(root);
		return -ENOMEM;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", c.src);
	rc = parse(&c, root, cfg);
	if (!rc)
		rc = check_names(&c, "seccomp.allow", &cfg->seccomp_allow);
	if (!rc)
		rc = check_names(&c, "seccomp.deny", &cfg->seccomp_deny);
	json_object_put(root);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", c.src);
		kv_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int kv_config_load(const char *path, struct kv_config **out, char *err, size_t errlen)
{
	struct json_object *root;
	struct stat st;
	char *text;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (stat(path, &st)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (st.st_mode & S_IWOTH || (st.st_uid != 0 && st.st_uid != getuid())) {
		snprintf(err, errlen,
			 "%s: refusing a configuration %s (it decides what the agent may do)", path,
			 st.st_mode & S_IWOTH ? "writable by everyone" : "owned by another user");
		return -EPERM;
	}
	rc = kv_json_load_file(path, &root, &text, &len, err, errlen);
	if (rc)
		return rc;
	json_object_put(root);
	rc = kv_config_parse(text, len, path, out, err, errlen);
	free(text);
	return rc;
}

static void strv_free(struct kv_strv *sv)
{
	size_t i;

	if (!sv->v)
		return;
	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

void kv_config_free(struct kv_config *c)
{
	if (!c)
		return;
	strv_free(&c->seccomp_allow);
	strv_free(&c->seccomp_deny);
	strv_free(&c->egress_allow);
	strv_free(&c->egress_essential);
	strv_free(&c->exec_allow);
	strv_free(&c->files_deny);
	strv_free(&c->files_write);
	free(c);
}

int kv_config_find(const char *dir, char *path, size_t len)
{
	char cur[PATH_MAX], *slash;
	struct stat st;

	if (dir) {
		if (!realpath(dir, cur))
			return -errno;
	} else if (!getcwd(cur, sizeof(cur))) {
		return -errno;
	}
	for (;;) {
		if ((size_t)snprintf(path, len, "%s%s%s", cur, strcmp(cur, "/") ? "/" : "",
				     KV_CONFIG_NAME) >= len)
			return -ENAMETOOLONG;
		if (!stat(path, &st))
			return 0;
		if (!strcmp(cur, "/"))
			return -ENOENT;
		slash = strrchr(cur, '/');
		if (slash == cur)
			cur[1] = 0;
		else
			*slash = 0;
	}
}
