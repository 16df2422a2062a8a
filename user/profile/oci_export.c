// SPDX-License-Identifier: BSD-2-Clause
/* Profile -> OCI/Docker seccomp JSON (what runc, crun and podman load) plus
 * a "kavachos" metadata object; canonical form and SHA-256. Rules with the
 * same action and arguments share one entry; names and entries are sorted,
 * so the output depends on nothing but the profile. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/canon_json.h"
#include "common/sha256.h"
#include "profile/profile_int.h"

static struct json_object *u64_json(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? json_object_new_uint64(v)
				       : json_object_new_int64((int64_t)v);
}

static bool has_errno_ret(uint32_t action)
{
	uint32_t kind = action & 0xffff0000u;

	return kind == 0x00050000u || kind == 0x7ff00000u;
}

/* An entry without its names: action, errnoRet, args. */
static struct json_object *entry_head(const struct kv_rule *r)
{
	struct json_object *e = json_object_new_object(), *args;
	int i;

	json_object_object_add(e, "action", json_object_new_string(kv_action_oci_name(r->action)));
	if (has_errno_ret(r->action))
		json_object_object_add(e, "errnoRet", json_object_new_int(r->action & 0xffff));
	if (r->n_args) {
		args = json_object_new_array();
		for (i = 0; i < r->n_args; i++) {
			const struct kv_arg_cond *c = &r->args[i];
			struct json_object *a = json_object_new_object();

			json_object_object_add(a, "index", json_object_new_int(c->arg));
			json_object_object_add(a, "value", u64_json(c->a));
			json_object_object_add(a, "valueTwo", u64_json(c->b));
			json_object_object_add(a, "op", json_object_new_string(kv_cmp_name(c->op)));
			json_object_array_add(args, a);
		}
		json_object_object_add(e, "args", args);
	}
	return e;
}

struct entry {
	char key[160]; /* action and arguments: rules with equal keys share an entry */
	struct json_object *head;
	const char **names;
	size_t n;
};

static void rule_key(const struct kv_rule *r, char *key, size_t len)
{
	size_t off;
	int i;

	off = (size_t)snprintf(key, len, "%x/%u", r->action, r->n_args);
	for (i = 0; i < r->n_args && off < len; i++)
		off += (size_t)snprintf(key + off, len - off, "/%u,%u,%llx,%llx", r->args[i].arg,
					r->args[i].op, (unsigned long long)r->args[i].a,
					(unsigned long long)r->args[i].b);
}

static int str_qcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct keyed {
	char *key;
	struct json_object *obj;
};

static int keyed_qcmp(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

static struct json_object *syscalls_json(const struct kv_profile *p)
{
	struct entry *ents = calloc(p->n_rules ? p->n_rules : 1, sizeof(*ents));
	struct keyed *sorted = NULL;
	struct json_object *arr = NULL;
	size_t ne = 0, i, j;

	if (!ents)
		return NULL;
	for (i = 0; i < p->n_rules; i++) {
		const char *name = kv_syscall_name(p->rules[i].nr);
		char key[sizeof(ents[0].key)];

		if (!name)
			continue;
		rule_key(&p->rules[i], key, sizeof(key));
		for (j = 0; j < ne && strcmp(ents[j].key, key); j++)
			;
		if (j == ne) {
			memcpy(ents[ne].key, key, sizeof(key));
			ents[ne].head = entry_head(&p->rules[i]);
			ents[ne].names = calloc(p->n_rules, sizeof(char *));
			if (!ents[ne++].names)
				goto out;
		}
		ents[j].names[ents[j].n++] = name;
	}
	sorted = calloc(ne ? ne : 1, sizeof(*sorted));
	if (!sorted)
		goto out;
	for (i = 0; i < ne; i++) {
		struct json_object *names = json_object_new_array();

		qsort(ents[i].names, ents[i].n, sizeof(char *), str_qcmp);
		for (j = 0; j < ents[i].n; j++)
			json_object_array_add(names, json_object_new_string(ents[i].names[j]));
		json_object_object_add(ents[i].head, "names", names);
		sorted[i].obj = ents[i].head;
		ents[i].head = NULL;
		sorted[i].key = kv_json_canonical(sorted[i].obj, NULL);
		if (!sorted[i].key)
			goto out;
	}
	qsort(sorted, ne, sizeof(*sorted), keyed_qcmp);
	arr = json_object_new_array();
	for (i = 0; i < ne; i++) {
		json_object_array_add(arr, sorted[i].obj);
		sorted[i].obj = NULL;
	}
out:
	for (i = 0; i < ne; i++) {
		free(ents[i].names);
		json_object_put(ents[i].head);
		if (sorted) {
			free(sorted[i].key);
			json_object_put(sorted[i].obj);
		}
	}
	free(sorted);
	free(ents);
	return arr;
}

static struct json_object *strv_json(char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static struct json_object *groups_json(const struct kv_profile *p)
{
	struct json_object *a = json_object_new_array();
	const struct kv_profile_input *in = &p->in;
	unsigned bit;

	json_object_array_add(a, json_object_new_string(p->readonly ? kv_grp_readonly.name
								    : kv_grp_baseline.name));
	if (!p->readonly) {
		json_object_array_add(a, json_object_new_string(kv_grp_notify_tier.name));
		for (bit = 0; bit < 24; bit++) {
			const struct kv_group *g;

			if (!(in->trust_mask & (1u << bit)))
				continue;
			g = bit < 16 ? &kv_grp_bits[bit] : &kv_grp_domain[in->domain][bit - 16];
			if (g->name)
				json_object_array_add(a, json_object_new_string(g->name));
		}
	}
	if (in->depth >= 2)
		json_object_array_add(a, json_object_new_string(kv_grp_depth2.name));
	if (in->depth >= 3)
		json_object_array_add(a, json_object_new_string(kv_grp_depth3.name));
	if (p->writes_supervised)
		json_object_array_add(a, json_object_new_string(kv_grp_supervised_writes.name));
	if (p->launch_exec)
		json_object_array_add(a, json_object_new_string(kv_grp_launch_exec.name));
	return a;
}

static struct json_object *meta_json(const struct kv_profile *p)
{
	struct json_object *m = json_object_new_object(), *o, *notify;
	const char *names[KV_SYSCALL_NR_MAX];
	char hex[16];
	size_t i, n;

	json_object_object_add(m, "schema_version", json_object_new_int(KV_PROFILE_SCHEMA_VERSION));
	json_object_object_add(m, "origin", json_object_new_string(p->origin == KV_PROFILE_OCI
									   ? "oci"
									   : "generated"));
	if (p->origin == KV_PROFILE_GENERATED) {
		o = json_object_new_object();
		snprintf(hex, sizeof(hex), "0x%08x", p->in.trust_mask);
		json_object_object_add(o, "trust_mask", json_object_new_string(hex));
		json_object_object_add(o, "domain",
				       json_object_new_string(kv_domain_name(p->in.domain)));
		json_object_object_add(o, "depth", json_object_new_int64(p->in.depth));
		json_object_object_add(o, "strict_exec",
				       json_object_new_boolean(p->in.strict_exec));
		json_object_object_add(o, "seccomp_allow",
				       strv_json(p->extra_allow, p->in.n_extra_allow));
		json_object_object_add(o, "seccomp_deny",
				       strv_json(p->extra_deny, p->in.n_extra_deny));
		json_object_object_add(m, "input", o);
		json_object_object_add(m, "groups", groups_json(p));
		json_object_object_add(m, "readonly", json_object_new_boolean(p->readonly));
		json_object_object_add(m, "writes_supervised",
				       json_object_new_boolean(p->writes_supervised));
	} else {
		json_object_object_add(m, "source_sha256",
				       json_object_new_string(p->source_sha256));
		json_object_object_add(m, "skipped", strv_json(p->skipped, p->n_skipped));
	}
	json_object_object_add(m, "launch_exec", json_object_new_string(p->launch_exec
										? "supervised"
										: "allowed"));
	/* i386 (int 0x80) and x32 calls never match an x86_64 rule */
	json_object_object_add(m, "other_abis", json_object_new_string("SCMP_ACT_ERRNO(EPERM)"));
	notify = json_object_new_array();
	n = kv_profile_notify_names(p, names, KV_SYSCALL_NR_MAX);
	for (i = 0; i < n; i++)
		json_object_array_add(notify, json_object_new_string(names[i]));
	json_object_object_add(m, "notify", notify);
	o = json_object_new_object();
	json_object_object_add(o, "allowed", json_object_new_int64(kv_profile_count_allowed(p)));
	json_object_object_add(o, "conditional", json_object_new_int64(kv_profile_count_cond(p)));
	json_object_object_add(o, "notify", json_object_new_int64(kv_profile_count_notify(p)));
	json_object_object_add(o, "errno", json_object_new_int64(kv_profile_count_errno(p)));
	json_object_object_add(m, "counts", o);
	return m;
}

static const char *const flag_names[] = {
	"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
};

/* Without "kavachos"."sha256": the object the hash covers. */
static struct json_object *oci_unhashed(const struct kv_profile *p)
{
	struct json_object *o = json_object_new_object(), *sc, *arches, *flags;
	size_t i;

	json_object_object_add(o, "defaultAction",
			       json_object_new_string(kv_action_oci_name(p->default_action)));
	if (has_errno_ret(p->default_action))
		json_object_object_add(o, "defaultErrnoRet",
				       json_object_new_int(p->default_action & 0xffff));
	arches = json_object_new_array();
	json_object_array_add(arches, json_object_new_string("SCMP_ARCH_X86_64"));
	json_object_object_add(o, "architectures", arches);
	if (p->filter_flags) {
		flags = json_object_new_array();
		for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
			if (p->filter_flags & (1u << i))
				json_object_array_add(flags, json_object_new_string(flag_names[i]));
		json_object_object_add(o, "flags", flags);
	}
	sc = syscalls_json(p);
	if (!sc) {
		json_object_put(o);
		return NULL;
	}
	json_object_object_add(o, "syscalls", sc);
	json_object_object_add(o, "kavachos", meta_json(p));
	return o;
}

char *kv_profile_canonical(const struct kv_profile *p, size_t *len)
{
	struct json_object *o = oci_unhashed(p);
	char *s;

	if (!o) {
		errno = ENOMEM;
		return NULL;
	}
	s = kv_json_canonical(o, len);
	json_object_put(o);
	return s;
}

struct json_object *kv_profile_oci_json(const struct kv_profile *p)
{
	struct json_object *o = oci_unhashed(p), *meta;
	char hex[65];
	size_t len;
	char *s;

	if (!o)
		return NULL;
	s = kv_json_canonical(o, &len);
	if (!s || kv_sha256_hex(s, len, hex)) {
		free(s);
		json_object_put(o);
		return NULL;
	}
	free(s);
	if (json_object_object_get_ex(o, "kavachos", &meta))
		json_object_object_add(meta, "sha256", json_object_new_string(hex));
	return o;
}
