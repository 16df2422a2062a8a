// SPDX-License-Identifier: BSD-2-Clause
/* OCI/Docker seccomp JSON -> profile (--seccomp-profile=FILE). The whole
 * file is validated, including entries that do not apply here, and every
 * problem is named by its member path. "includes"/"excludes" follow moby's
 * rules: an entry applies when all its included caps are held, none of its
 * excluded caps is, the arches match "amd64", and minKernel fits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "common/sha256.h"
#include "config/json_file.h"
#include "profile/profile_int.h"

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

#define OCI_ARCH "amd64" /* Go's name for x86_64, as in moby's profiles */

int kv_cap_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (!strcmp(name, cap_names[i]))
			return (int)i;
	return -1;
}

struct imp {
	const char *src;
	char *err;
	size_t errlen;
	uint64_t caps;
	unsigned kmaj, kmin;
	struct kv_rule *rules;
	size_t n_rules, cap_rules;
	char **skipped;
	size_t n_skipped;
	uint32_t default_errno; /* defaultErrnoRet */
};

#define FAIL(im, ...)                                                            \
	({                                                                       \
		int kv_o = snprintf((im)->err, (im)->errlen, "%s: ", (im)->src); \
		if (kv_o >= 0 && (size_t)kv_o < (im)->errlen)                    \
			snprintf((im)->err + kv_o, (im)->errlen - kv_o, __VA_ARGS__); \
		-EINVAL;                                                         \
	})

/* A member that is present and not null. */
static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static bool allowed_keys(struct imp *im, struct json_object *o, const char *path,
			 const char *const *keys)
{
	json_object_object_foreach(o, k, v) {
		const char *const *kk;

		(void)v;
		for (kk = keys; *kk && strcmp(*kk, k); kk++)
			;
		if (!*kk) {
			FAIL(im, "%s%sunknown member '%s'", path, *path ? ": " : "", k);
			return false;
		}
	}
	return true;
}

static int want_type(struct imp *im, struct json_object *o, enum json_type t, const char *path,
		     const char *what)
{
	if (json_object_get_type(o) == t)
		return 0;
	return FAIL(im, "%s: expected %s, got %s", path, what, kv_json_type_name(o));
}

/* A non-negative JSON integer up to 2^64-1. */
static int get_u64(struct imp *im, struct json_object *o, const char *path, uint64_t *v)
{
	int rc = want_type(im, o, json_type_int, path, "a non-negative integer");

	if (rc)
		return rc;
	if (json_object_get_int64(o) < 0)
		return FAIL(im, "%s: negative value %lld", path,
			    (long long)json_object_get_int64(o));
	*v = json_object_get_uint64(o);
	return 0;
}

static int get_errno(struct imp *im, struct json_object *o, const char *path, uint32_t *v)
{
	uint64_t x;
	int rc = get_u64(im, o, path, &x);

	if (rc)
		return rc;
	if (x > 4095)
		return FAIL(im, "%s: errno %llu out of range (0-4095)", path,
			    (unsigned long long)x);
	*v = (uint32_t)x;
	return 0;
}

static int parse_version(const char *s, unsigned *maj, unsigned *min)
{
	char tail;

	if (sscanf(s, "%u.%u%c", maj, min, &tail) == 2)
		return 0;
	if (sscanf(s, "%u.%u.%*u%c", maj, min, &tail) == 2)
		return 0;
	return -EINVAL;
}

static bool kernel_at_least(const struct imp *im, unsigned maj, unsigned min)
{
	return im->kmaj > maj || (im->kmaj == maj && im->kmin >= min);
}

/* Validates includes/excludes; *match: whether the condition holds here
 * (includes: all of it; excludes: any of it). */
static int filter_obj(struct imp *im, struct json_object *o, const char *path, bool includes,
		      bool *match)
{
	static const char *const keys[] = { "caps", "arches", "minKernel", NULL };
	struct json_object *v;
	char p[256];
	size_t i, n;
	bool inc_ok = true, exc_hit = false;
	int rc;

	if ((rc = want_type(im, o, json_type_object, path, "an object")))
		return rc;
	if (!allowed_keys(im, o, path, keys))
		return -EINVAL;
	if ((v = member(o, "caps"))) {
		snprintf(p, sizeof(p), "%s.caps", path);
		if ((rc = want_type(im, v, json_type_array, p, "an array of capability names")))
			return rc;
		for (i = 0, n = json_object_array_length(v); i < n; i++) {
			struct json_object *c = json_object_array_get_idx(v, i);
			int cap;

			snprintf(p, sizeof(p), "%s.caps[%zu]", path, i);
			if ((rc = want_type(im, c, json_type_string, p, "a capability name")))
				return rc;
			cap = kv_cap_from_name(json_object_get_string(c));
			if (cap < 0)
				return FAIL(im, "%s: unknown capability '%s'", p,
					    json_object_get_string(c));
			if (im->caps & (1ull << cap))
				exc_hit = true;
			else
				inc_ok = false;
		}
	}
	if ((v = member(o, "arches"))) {
		bool found = false;

		snprintf(p, sizeof(p), "%s.arches", path);
		if ((rc = want_type(im, v, json_type_array, p, "an array of architecture names")))
			return rc;
		for (i = 0, n = json_object_array_length(v); i < n; i++) {
			struct json_object *a = json_object_array_get_idx(v, i);

			snprintf(p, sizeof(p), "%s.arches[%zu]", path, i);
			if ((rc = want_type(im, a, json_type_string, p, "an architecture name")))
				return rc;
			if (!strcmp(json_object_get_string(a), OCI_ARCH))
				found = true;
		}
		if (n && !found)
			inc_ok = false;
		if (found)
			exc_hit = true;
	}
	if ((v = member(o, "minKernel"))) {
		unsigned maj, min;

		snprintf(p, sizeof(p), "%s.minKernel", path);
		if ((rc = want_type(im, v, json_type_string, p, "a kernel version string")))
			return rc;
		if (parse_version(json_object_get_string(v), &maj, &min))
			return FAIL(im, "%s: '%s' is not a kernel version (like \"4.8\")", p,
				    json_object_get_string(v));
		if (kernel_at_least(im, maj, min))
			exc_hit = true;
		else
			inc_ok = false;
	}
	*match = includes ? inc_ok : exc_hit;
	return 0;
}

static int parse_args(struct imp *im, struct json_object *arr, const char *path,
		      struct kv_arg_cond *conds, uint8_t *n)
{
	static const char *const keys[] = { "index", "value", "valueTwo", "op", NULL };
	char p[256];
	size_t i, len;
	int rc;

	*n = 0;
	if (json_object_is_type(arr, json_type_null))
		return 0;
	if ((rc = want_type(im, arr, json_type_array, path, "an array")))
		return rc;
	len = json_object_array_length(arr);
	if (len > KV_RULE_MAX_ARGS)
		return FAIL(im, "%s: %zu comparisons, at most %d", path, len, KV_RULE_MAX_ARGS);
	for (i = 0; i < len; i++) {
		struct json_object *a = json_object_array_get_idx(arr, i), *v;
		struct kv_arg_cond *c = &conds[i];
		uint64_t x;
		int op;

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if ((rc = want_type(im, a, json_type_object, p, "an object")))
			return rc;
		if (!allowed_keys(im, a, p, keys))
			return -EINVAL;
		memset(c, 0, sizeof(*c));
		if (!json_object_object_get_ex(a, "index", &v))
			return FAIL(im, "%s: missing 'index'", p);
		snprintf(p, sizeof(p), "%s[%zu].index", path, i);
		if ((rc = get_u64(im, v, p, &x)))
			return rc;
		if (x > 5)
			return FAIL(im, "%s: argument index %llu out of range (0-5)", p,
				    (unsigned long long)x);
		c->arg = (uint8_t)x;
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (!json_object_object_get_ex(a, "op", &v))
			return FAIL(im, "%s: missing 'op'", p);
		snprintf(p, sizeof(p), "%s[%zu].op", path, i);
		if ((rc = want_type(im, v, json_type_string, p, "a comparison name")))
			return rc;
		op = kv_cmp_from_name(json_object_get_string(v));
		if (op < 0)
			return FAIL(im,
				    "%s: unknown comparison '%s' (expected SCMP_CMP_NE, _LT, _LE, "
				    "_EQ, _GE, _GT or _MASKED_EQ)",
				    p, json_object_get_string(v));
		c->op = (uint8_t)op;
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (!json_object_object_get_ex(a, "value", &v))
			return FAIL(im, "%s: missing 'value'", p);
		snprintf(p, sizeof(p), "%s[%zu].value", path, i);
		if ((rc = get_u64(im, v, p, &c->a)))
			return rc;
		if (json_object_object_get_ex(a, "valueTwo", &v)) {
			snprintf(p, sizeof(p), "%s[%zu].valueTwo", path, i);
			if ((rc = get_u64(im, v, p, &c->b)))
				return rc;
		}
		/* only MASKED_EQ reads the second value */
		if (c->op != SCMP_CMP_MASKED_EQ)
			c->b = 0;
	}
	*n = (uint8_t)len;
	return 0;
}

static int push_rule(struct imp *im, const struct kv_rule *r)
{
	if (im->n_rules == im->cap_rules) {
		size_t cap = im->cap_rules ? im->cap_rules * 2 : 256;
		struct kv_rule *v = realloc(im->rules, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		im->rules = v;
		im->cap_rules = cap;
	}
	im->rules[im->n_rules++] = *r;
	return 0;
}

static int skip_name(struct imp *im, const char *name)
{
	size_t i;
	char **v;

	for (i = 0; i < im->n_skipped; i++)
		if (!strcmp(im->skipped[i], name))
			return 0;
	v = realloc(im->skipped, (im->n_skipped + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	im->skipped = v;
	if (!(v[im->n_skipped] = strdup(name)))
		return -ENOMEM;
	im->n_skipped++;
	return 0;
}

/* Two comparisons on the same argument cannot be ANDed by libseccomp:
 * like runc, add each comparison as its own rule then (OR). */
static int add_rules(struct imp *im, int nr, uint32_t action, const struct kv_arg_cond *c,
		     uint8_t n)
{
	struct kv_rule r = { .nr = nr, .action = action };
	bool same = false;
	int i, j, rc;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (c[i].arg == c[j].arg)
				same = true;
	if (!same) {
		r.n_args = n;
		memcpy(r.args, c, n * sizeof(*c));
		return push_rule(im, &r);
	}
	for (i = 0; i < n; i++) {
		r.n_args = 1;
		r.args[0] = c[i];
		if ((rc = push_rule(im, &r)))
			return rc;
	}
	return 0;
}

static int parse_entry(struct imp *im, struct json_object *e, size_t idx)
{
	static const char *const keys[] = { "names", "name", "action", "args", "errnoRet",
					    "comment", "includes", "excludes", NULL };
	struct kv_arg_cond conds[KV_RULE_MAX_ARGS];
	struct json_object *v, *names = NULL, *single = NULL;
	char path[64], p[160];
	uint32_t action, eret = 0;
	bool has_eret = false, applies = true, m;
	uint8_t nconds = 0;
	size_t i, n;
	int rc;

	snprintf(path, sizeof(path), "syscalls[%zu]", idx);
	if ((rc = want_type(im, e, json_type_object, path, "an object")))
		return rc;
	if (!allowed_keys(im, e, path, keys))
		return -EINVAL;
	json_object_object_get_ex(e, "names", &names);
	json_object_object_get_ex(e, "name", &single);
	if (!names && !single)
		return FAIL(im, "%s: no 'names'", path);
	if (names) {
		snprintf(p, sizeof(p), "%s.names", path);
		if ((rc = want_type(im, names, json_type_array, p, "an array of syscall names")))
			return rc;
		if (!json_object_array_length(names) && !single)
			return FAIL(im, "%s: empty", p);
		for (i = 0, n = json_object_array_length(names); i < n; i++) {
			snprintf(p, sizeof(p), "%s.names[%zu]", path, i);
			if ((rc = want_type(im, json_object_array_get_idx(names, i),
					    json_type_string, p, "a syscall name")))
				return rc;
		}
	}
	if (single) {
		snprintf(p, sizeof(p), "%s.name", path);
		if ((rc = want_type(im, single, json_type_string, p, "a syscall name")))
			return rc;
	}
	if ((v = member(e, "errnoRet"))) {
		snprintf(p, sizeof(p), "%s.errnoRet", path);
		if ((rc = get_errno(im, v, p, &eret)))
			return rc;
		has_eret = true;
	}
	if (!json_object_object_get_ex(e, "action", &v))
		return FAIL(im, "%s: no 'action'", path);
	snprintf(p, sizeof(p), "%s.action", path);
	if ((rc = want_type(im, v, json_type_string, p, "an action name")))
		return rc;
	rc = kv_action_from_oci(json_object_get_string(v), eret, has_eret, &action);
	if (rc == -ENOENT)
		return FAIL(im, "%s: unknown action '%s'", p, json_object_get_string(v));
	if (rc)
		return FAIL(im, "%s: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
			    p);
	if ((v = member(e, "comment"))) {
		snprintf(p, sizeof(p), "%s.comment", path);
		if ((rc = want_type(im, v, json_type_string, p, "a string")))
			return rc;
	}
	if (json_object_object_get_ex(e, "args", &v)) {
		snprintf(p, sizeof(p), "%s.args", path);
		if ((rc = parse_args(im, v, p, conds, &nconds)))
			return rc;
	}
	if ((v = member(e, "includes"))) {
		snprintf(p, sizeof(p), "%s.includes", path);
		if ((rc = filter_obj(im, v, p, true, &m)))
			return rc;
		applies = applies && m;
	}
	if ((v = member(e, "excludes"))) {
		snprintf(p, sizeof(p), "%s.excludes", path);
		if ((rc = filter_obj(im, v, p, false, &m)))
			return rc;
		applies = applies && !m;
	}
	if (!applies)
		return 0;
	for (i = 0, n = names ? json_object_array_length(names) : 0; i <= n; i++) {
		const char *name;
		int nr;

		if (i < n)
			name = json_object_get_string(json_object_array_get_idx(names, i));
		else if (single)
			name = json_object_get_string(single);
		else
			break;
		nr = kv_syscall_nr(name);
		rc = nr < 0 ? skip_name(im, name) : add_rules(im, nr, action, conds, nconds);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_arches(struct imp *im, struct json_object *o)
{
	static const char *const map_keys[] = { "architecture", "subArchitectures", NULL };
	bool x86_64 = false;
	struct json_object *v, *a;
	char p[96];
	size_t i, j, n;
	int rc;

	if ((v = member(o, "architectures"))) {
		if ((rc = want_type(im, v, json_type_array, "architectures", "an array")))
			return rc;
		for (i = 0, n = json_object_array_length(v); i < n; i++) {
			a = json_object_array_get_idx(v, i);
			snprintf(p, sizeof(p), "architectures[%zu]", i);
			if ((rc = want_type(im, a, json_type_string, p, "an SCMP_ARCH_* name")))
				return rc;
			if (strncmp(json_object_get_string(a), "SCMP_ARCH_", 10))
				return FAIL(im, "%s: '%s' is not an SCMP_ARCH_* name", p,
					    json_object_get_string(a));
			if (!strcmp(json_object_get_string(a), "SCMP_ARCH_X86_64"))
				x86_64 = true;
		}
		if (n && !x86_64)
			return FAIL(im,
				    "architectures: the profile does not cover SCMP_ARCH_X86_64");
	}
	if (!json_object_object_get_ex(o, "archMap", &v) || json_object_is_type(v, json_type_null))
		return 0;
	if ((rc = want_type(im, v, json_type_array, "archMap", "an array")))
		return rc;
	for (i = 0, n = json_object_array_length(v); i < n; i++) {
		struct json_object *m = json_object_array_get_idx(v, i), *sub;

		snprintf(p, sizeof(p), "archMap[%zu]", i);
		if ((rc = want_type(im, m, json_type_object, p, "an object")))
			return rc;
		if (!allowed_keys(im, m, p, map_keys))
			return -EINVAL;
		if (!json_object_object_get_ex(m, "architecture", &a))
			return FAIL(im, "%s: missing 'architecture'", p);
		snprintf(p, sizeof(p), "archMap[%zu].architecture", i);
		if ((rc = want_type(im, a, json_type_string, p, "an SCMP_ARCH_* name")))
			return rc;
		if (!json_object_object_get_ex(m, "subArchitectures", &sub) ||
		    json_object_is_type(sub, json_type_null))
			continue;
		snprintf(p, sizeof(p), "archMap[%zu].subArchitectures", i);
		if ((rc = want_type(im, sub, json_type_array, p, "an array")))
			return rc;
		for (j = 0; j < json_object_array_length(sub); j++) {
			snprintf(p, sizeof(p), "archMap[%zu].subArchitectures[%zu]", i, j);
			if ((rc = want_type(im, json_object_array_get_idx(sub, j), json_type_string,
					    p, "an SCMP_ARCH_* name")))
				return rc;
		}
	}
	return 0;
}

static int parse_flags(struct imp *im, struct json_object *o, uint32_t *flags)
{
	/* TSYNC: kavachos always synchronises threads; WAIT_KILLABLE_RECV only
	 * changes how a supervised call waits */
	static const struct {
		const char *name;
		uint32_t flag;
	} known[] = {
		{ "SECCOMP_FILTER_FLAG_TSYNC", 0 },
		{ "SECCOMP_FILTER_FLAG_LOG", 1u << 1 },
		{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1u << 2 },
		{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 0 },
	};
	struct json_object *v;
	char p[48];
	size_t i, k;
	int rc;

	*flags = 0;
	if (!json_object_object_get_ex(o, "flags", &v) || json_object_is_type(v, json_type_null))
		return 0;
	if ((rc = want_type(im, v, json_type_array, "flags", "an array")))
		return rc;
	for (i = 0; i < json_object_array_length(v); i++) {
		struct json_object *f = json_object_array_get_idx(v, i);

		snprintf(p, sizeof(p), "flags[%zu]", i);
		if ((rc = want_type(im, f, json_type_string, p, "a SECCOMP_FILTER_FLAG_* name")))
			return rc;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (!strcmp(json_object_get_string(f), known[k].name))
				break;
		if (k == sizeof(known) / sizeof(known[0]))
			return FAIL(im, "%s: unknown flag '%s'", p, json_object_get_string(f));
		*flags |= known[k].flag;
	}
	return 0;
}

static int parse_top(struct imp *im, struct json_object *o, struct kv_profile *p)
{
	static const char *const keys[] = { "defaultAction", "defaultErrnoRet", "architectures",
					    "archMap", "syscalls", "flags", "listenerPath",
					    "listenerMetadata", "kavachos", NULL };
	struct json_object *v, *sc;
	bool has_eret = false;
	size_t i;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return FAIL(im, "expected a JSON object, got %s", kv_json_type_name(o));
	if (!allowed_keys(im, o, "", keys))
		return -EINVAL;
	if ((v = member(o, "defaultErrnoRet"))) {
		if ((rc = get_errno(im, v, "defaultErrnoRet", &im->default_errno)))
			return rc;
		has_eret = true;
	}
	if (!json_object_object_get_ex(o, "defaultAction", &v))
		return FAIL(im, "missing 'defaultAction'");
	if ((rc = want_type(im, v, json_type_string, "defaultAction", "an action name")))
		return rc;
	rc = kv_action_from_oci(json_object_get_string(v), im->default_errno, has_eret,
				&p->default_action);
	if (rc == -ENOENT)
		return FAIL(im, "defaultAction: unknown action '%s'", json_object_get_string(v));
	if (rc)
		return FAIL(im,
			    "defaultErrnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
	if ((p->default_action & 0xffff0000u) == SCMP_ACT_NOTIFY)
		return FAIL(im, "defaultAction: SCMP_ACT_NOTIFY as the default would send every "
				"syscall to the supervisor");
	if ((rc = parse_arches(im, o)) || (rc = parse_flags(im, o, &p->filter_flags)))
		return rc;
	for (i = 0; i < 2; i++) {
		const char *k = i ? "listenerMetadata" : "listenerPath";

		if (json_object_object_get_ex(o, k, &v) &&
		    (rc = want_type(im, v, json_type_string, k, "a string")))
			return rc;
	}
	if (json_object_object_get_ex(o, "kavachos", &v) &&
	    (rc = want_type(im, v, json_type_object, "kavachos", "an object")))
		return rc;
	if (!(sc = member(o, "syscalls")))
		return 0;
	if ((rc = want_type(im, sc, json_type_array, "syscalls", "an array")))
		return rc;
	for (i = 0; i < json_object_array_length(sc); i++)
		if ((rc = parse_entry(im, json_object_array_get_idx(sc, i), i)))
			return rc;
	return 0;
}

int kv_profile_from_oci_json(const char *text, size_t len, const char *source,
			     const struct kv_oci_opts *opts, struct kv_profile **out, char *err,
			     size_t errlen)
{
	struct imp im = { .src = source ? source : "profile", .err = err, .errlen = errlen };
	struct json_object *o = NULL;
	struct kv_profile *p = NULL;
	struct kv_plan plan;
	struct utsname u;
	const char *rel;
	char perr[256];
	size_t i;
	int rc;

	*out = NULL;
	im.caps = opts ? opts->caps : 0;
	rel = opts && opts->kernel_release ? opts->kernel_release
					   : (uname(&u) ? NULL : u.release);
	if (!rel || sscanf(rel, "%u.%u", &im.kmaj, &im.kmin) != 2) {
		snprintf(err, errlen, "%s: cannot tell the kernel version", im.src);
		return -EINVAL;
	}
	if ((rc = kv_json_parse(text, len, im.src, &o, err, errlen)))
		return rc;
	p = kv_profile_alloc();
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	p->origin = KV_PROFILE_OCI;
	if ((rc = parse_top(&im, o, p)))
		goto out;
	kv_rules_normalize(im.rules, &im.n_rules);
	p->rules = im.rules;
	p->n_rules = im.n_rules;
	im.rules = NULL;
	p->skipped = im.skipped;
	p->n_skipped = im.n_skipped;
	im.skipped = NULL;
	im.n_skipped = 0;
	for (i = 0; i < p->n_rules; i++)
		if (p->rules[i].nr == kv_syscall_nr("execve") &&
		    (p->rules[i].action & 0xffff0000u) == SCMP_ACT_NOTIFY)
			p->launch_exec = true;
	if ((rc = kv_sha256_hex(text, len, p->source_sha256)))
		goto out;
	/* refuse here what the filter could not express, not at install */
	if ((rc = kv_profile_plan(p, &plan, perr, sizeof(perr)))) {
		snprintf(err, errlen, "%s: %s", im.src, perr);
		goto out;
	}
	kv_plan_free(&plan);
	*out = p;
	p = NULL;
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", im.src);
	json_object_put(o);
	free(im.rules);
	for (i = 0; i < im.n_skipped; i++)
		free(im.skipped[i]);
	free(im.skipped);
	kv_profile_free(p);
	return rc;
}

int kv_profile_from_oci_file(const char *path, struct kv_profile **out, char *err,
			     size_t errlen)
{
	struct json_object *o;
	size_t len = 0;
	char *text;
	int rc;

	*out = NULL;
	rc = kv_json_load_file(path, &o, &text, &len, err, errlen);
	if (rc)
		return rc;
	json_object_put(o);
	rc = kv_profile_from_oci_json(text, len, path, NULL, out, err, errlen);
	free(text);
	return rc;
}
