// SPDX-License-Identifier: BSD-2-Clause
/* The file policy as sealed in the genesis receipt, and the honesty table:
 * which mechanism enforces it here and what that mechanism cannot express. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/canon_json.h"
#include "common/sha256.h"
#include "lsm/lsm.h"

static const char *const origin_names[] = {
	[KV_FO_DEFAULT] = "default",     [KV_FO_DENY] = "files.deny",
	[KV_FO_WRITE] = "files.write",   [KV_FO_WORKSPACE] = "workspace",
	[KV_FO_TMP] = "tmp",             [KV_FO_SYSTEM] = "system",
	[KV_FO_EXEC] = "exec",           [KV_FO_AGENT] = "agent",
	[KV_FO_INTERP] = "interpreter",
};

static const char *const kind_names[] = {
	[KV_LSM_N_EXACT] = "exact",
	[KV_LSM_N_PREFIX] = "prefix",
	[KV_LSM_N_SUFFIX] = "suffix",
};

static struct json_object *rules_json(uint32_t flags)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} bits[] = {
		{ KV_LSM_I_SECRET, "secret" }, { KV_LSM_I_WRITE, "write" },
		{ KV_LSM_I_EXEC, "exec" },     { KV_LSM_I_DEVICE, "device" },
		{ KV_LSM_I_PUBLIC, "public" },
	};
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (flags & bits[i].bit)
			json_object_array_add(a, json_object_new_string(bits[i].name));
	return a;
}

static void pattern_text(const struct kv_fname *n, char *buf, size_t len)
{
	if (n->kind == KV_LSM_N_SUFFIX)
		snprintf(buf, len, "*.%s", n->name);
	else if (n->kind == KV_LSM_N_PREFIX)
		snprintf(buf, len, "%s.*", n->name);
	else
		snprintf(buf, len, "%s", n->name);
}

struct json_object *kv_files_policy_json(const struct kv_files_policy *p)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct json_object *names = json_object_new_array(), *x = json_object_new_object();
	char pat[KV_LSM_NAME_LEN + 3];
	size_t i, inside = 0;

	json_object_object_add(o, "version", json_object_new_int(KV_FILES_POLICY_VERSION));
	json_object_object_add(o, "workspace", json_object_new_string(p->workspace));
	json_object_object_add(o, "writes", json_object_new_string(p->readonly ? "none" : "roots"));
	for (i = 0; i < p->n; i++) {
		const struct kv_fentry *e = &p->e[i];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "given", json_object_new_string(e->given));
		json_object_object_add(j, "path", json_object_new_string(e->path));
		json_object_object_add(j, "origin", json_object_new_string(origin_names[e->origin]));
		json_object_object_add(j, "rules", rules_json(e->flags));
		json_object_object_add(j, "present", json_object_new_boolean(e->present));
		if (e->present) {
			json_object_object_add(j, "dev", json_object_new_int64(e->dev));
			json_object_object_add(j, "ino", json_object_new_int64((int64_t)e->ino));
		}
		if (e->flags & KV_LSM_I_SECRET && e->is_dir) {
			json_object_object_add(j, "inside", json_object_new_int64(e->inside));
			inside += e->inside;
		}
		if (e->note)
			json_object_object_add(j, "note", json_object_new_string(e->note));
		json_object_array_add(a, j);
	}
	json_object_object_add(o, "entries", a);
	for (i = 0; i < p->n_names; i++) {
		struct json_object *j = json_object_new_object();

		pattern_text(&p->names[i], pat, sizeof(pat));
		json_object_object_add(j, "pattern", json_object_new_string(pat));
		json_object_object_add(j, "kind", json_object_new_string(kind_names[p->names[i].kind]));
		json_object_object_add(j, "rules", rules_json(p->names[i].flags));
		json_object_object_add(j, "origin",
				       json_object_new_string(origin_names[p->names[i].origin]));
		json_object_array_add(names, j);
	}
	json_object_object_add(o, "names", names);
	json_object_object_add(x, "mode", json_object_new_string(
					p->strict_exec ? "strict"
					: (p->conf_flags & KV_LSM_C_EXEC_ALLOW) ? "allowlist" : "any"));
	json_object_object_add(x, "fileless",
			       json_object_new_boolean(p->conf_flags & KV_LSM_C_FILELESS_EXEC));
	json_object_object_add(o, "exec", x);
	json_object_object_add(o, "inodes", json_object_new_int64((int64_t)p->n_inodes));
	json_object_object_add(o, "inside_truncated", json_object_new_boolean(p->inside_truncated));
	return o;
}

int kv_files_policy_hash(const struct kv_files_policy *p, char hex[65])
{
	struct json_object *o = kv_files_policy_json(p);
	size_t len;
	char *c = kv_json_canonical(o, &len);
	int e;

	json_object_put(o);
	if (!c)
		return -errno;
	e = kv_sha256_hex(c, len, hex);
	free(c);
	return e;
}

static void add_limit(struct json_object *a, const char *s)
{
	json_object_array_add(a, json_object_new_string(s));
}

/* What BPF-LSM itself leaves out, given this policy. */
static void lsm_limits(struct json_object *a, const struct kv_files_policy *p)
{
	char buf[PATH_MAX + 128];
	size_t i;

	add_limit(a, "decisions never cross mounts: a filesystem mounted beneath a write root "
		     "is not writable unless listed itself");
	add_limit(a, "name patterns match the final name only: a directory matching one can "
		     "still have its files opened");
	add_limit(a, "stat() of a secret is not refused (its metadata stays visible)");
	if (p->conf_flags & KV_LSM_C_EXEC_ALLOW)
		add_limit(a, "the exec allowlist judges execve/execveat, not mmap(PROT_EXEC) of a "
			     "readable file by a running process");
	if (p->inside_truncated)
		add_limit(a, "more than 4096 files beneath secret directories: older hard links to "
			     "the rest, outside them, are not covered");
	for (i = 0; i < p->n; i++) {
		if (!p->e[i].note)
			continue;
		snprintf(buf, sizeof(buf), "%s: %s", p->e[i].given, p->e[i].note);
		add_limit(a, buf);
	}
}

struct json_object *kv_files_enforcement_json(const struct kv_files_policy *p, bool bpf_lsm,
					      const struct kv_landlock_plan *pl)
{
	struct json_object *o = json_object_new_object(), *lim = json_object_new_array();
	const char *mech = bpf_lsm ? "bpf-lsm" : pl ? "landlock" : "none";

	json_object_object_add(o, "mechanism", json_object_new_string(mech));
	if (bpf_lsm) {
		lsm_limits(lim, p);
	} else if (pl) {
		struct json_object *ll = kv_landlock_plan_json(pl), *l2 = NULL;
		size_t i;

		if (json_object_object_get_ex(ll, "limits", &l2))
			for (i = 0; i < json_object_array_length(l2); i++)
				json_object_array_add(lim,
						      json_object_get(json_object_array_get_idx(l2, i)));
		json_object_object_del(ll, "limits");
		json_object_object_add(o, "landlock", ll);
	} else {
		add_limit(lim, "file rules are NOT enforced: this kernel has neither BPF-LSM nor "
			       "Landlock");
	}
	json_object_object_add(o, "limits", lim);
	return o;
}

static void row(struct kv_mechanism *m, bool ok, const char *mechanism, const char *limits)
{
	m->enforced = ok;
	m->mechanism = ok ? mechanism : "none";
	m->limits = limits;
}

void kv_lsm_mechanisms(const struct kv_features *f, struct kv_mechanism out[KV_RULE_COUNT])
{
	bool ll = f->landlock.ok && f->landlock_abi > 0;

	out[KV_RULE_FILES].rule = "files";
	if (f->bpf_lsm.ok)
		row(&out[KV_RULE_FILES], true,
		    "bpf-lsm (file_open, path_* hooks; decisions by inode identity)", "");
	else if (ll)
		row(&out[KV_RULE_FILES], true, "landlock (allow-list ruleset applied before exec)",
		    "deny-inside-allow cannot be expressed: secret name patterns and secrets inside "
		    "write roots are not enforced; directories opened up around secrets hide "
		    "entries created later; denials are recorded (FILE_REFUSED) but not counted "
		    "as violations");
	else
		row(&out[KV_RULE_FILES], false, "", "file rules are NOT enforced on this kernel");

	out[KV_RULE_EXEC].rule = "exec";
	if (f->bpf_lsm.ok)
		row(&out[KV_RULE_EXEC], true,
		    "bpf-lsm bprm_check_security (the file executed: memfd, execveat, each "
		    "interpreter)", "");
	else if (ll)
		row(&out[KV_RULE_EXEC], true,
		    "landlock EXECUTE right (allowlist) + seccomp user notification on "
		    "execve/execveat (strict-exec)",
		    f->seccomp_notify.ok ? "strict exec leaves the agent binary executable; the "
					   "supervisor judges the path argument (TOCTOU)"
					 : "strict exec leaves the agent binary executable");

	out[KV_RULE_MOUNT_BPF].rule = "mount_bpf";
	if (f->bpf_lsm.ok)
		row(&out[KV_RULE_MOUNT_BPF], true,
		    "bpf-lsm sb_mount, move_mount, sb_umount, bpf, kernel module loading", "");

	out[KV_RULE_LEAVE_CGROUP].rule = "leave_cgroup";
	if (f->bpf_lsm.ok)
		row(&out[KV_RULE_LEAVE_CGROUP], true,
		    "bpf-lsm: cgroupfs is outside the write roots (refused even to uid 0)", "");
	else if (ll)
		row(&out[KV_RULE_LEAVE_CGROUP], true,
		    "landlock: cgroupfs is outside the write roots (refused even to uid 0)", "");

	out[KV_RULE_UNIX_SOCKETS].rule = "unix_sockets";
	if (!f->connect_unix.ok && f->bpf_lsm.ok)
		row(&out[KV_RULE_UNIX_SOCKETS], true,
		    "bpf-lsm socket_connect/socket_sendmsg against the egress AF_UNIX allowlist", "");
	else if (!f->connect_unix.ok && ll && f->landlock_abi >= 6)
		row(&out[KV_RULE_UNIX_SOCKETS], true,
		    "landlock scopes abstract sockets to the session",
		    "path sockets are not filtered (no cgroup/connect_unix, no BPF-LSM)");
}
