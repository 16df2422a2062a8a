// SPDX-License-Identifier: BSD-2-Clause
/* The file policy built from session inputs (user/lsm/policy.c): entries
 * parsed and resolved to inode identity, errors naming the entry, a secret
 * winning over a write root, the sealed JSON and its hash; and which
 * mechanism enforces it on this kernel. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "features/features.h"
#include "kv_events.h"
#include "kvtest.h"
#include "lsm/lsm.h"
#include "test_lsm_tree.h"

static bool build(const struct lt_tree *t, const char *const *deny, size_t nd,
		  const char *const *write, size_t nw, struct kv_files_policy **p, char *err,
		  size_t errlen, int *rc)
{
	struct kv_files_input in;

	lt_tree_input(t, &in);
	in.deny = deny;
	in.n_deny = nd;
	in.write = write;
	in.n_write = nw;
	*rc = kv_files_policy_build(&in, p, err, errlen);
	return *rc == 0;
}

static const struct kv_fentry *entry(const struct kv_files_policy *p, const char *given)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->e[i].given, given))
			return &p->e[i];
	return NULL;
}

static const struct kv_fname *name_of(const struct kv_files_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_names; i++)
		if (!strcmp(p->names[i].name, name))
			return &p->names[i];
	return NULL;
}

KV_TEST(entries_resolved_to_inodes)
{
	static const char *const deny[] = { "secrets/", "*.Token", "creds.*", "vault.db" };
	struct kv_files_policy *p = NULL;
	const struct kv_fentry *e;
	const struct kv_fname *n;
	struct lt_tree t;
	struct stat st;
	char err[256], path[PATH_MAX + 16];
	int rc;

	if (!ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree"))
		return;
	snprintf(path, sizeof(path), "%s/secrets", t.ws);
	mkdir(path, 0700);
	if (!ASSERT_TRUE(build(&t, deny, 4, NULL, 0, &p, err, sizeof(err), &rc), err))
		goto out;
	/* a path entry: the workspace's secrets/ by inode */
	e = entry(p, "secrets/");
	if (ASSERT_OK_PTR(e, "secrets") && ASSERT_TRUE(e->present, "present") &&
	    ASSERT_OK(stat(path, &st), "stat")) {
		ASSERT_EQ(e->ino, st.st_ino, "ino");
		ASSERT_EQ(e->flags, KV_LSM_I_SECRET, "flags");
	}
	/* ~/.ssh from the defaults, with what lies beneath it keyed too */
	e = entry(p, "~/.ssh");
	if (ASSERT_OK_PTR(e, "ssh")) {
		ASSERT_EQ(e->inside, 2, "ssh_inside");
		ASSERT_EQ(e->linked, 1, "ssh_linked");
	}
	e = entry(p, ".");
	if (ASSERT_OK_PTR(e, "workspace"))
		ASSERT_EQ(e->flags, KV_LSM_I_WRITE, "workspace_write");
	/* name patterns: kinds, case folded */
	n = name_of(p, "token");
	if (ASSERT_OK_PTR(n, "suffix"))
		ASSERT_EQ(n->kind, KV_LSM_N_SUFFIX, "suffix_kind");
	n = name_of(p, "creds");
	if (ASSERT_OK_PTR(n, "prefix"))
		ASSERT_EQ(n->kind, KV_LSM_N_PREFIX, "prefix_kind");
	n = name_of(p, "vault.db");
	if (ASSERT_OK_PTR(n, "exact"))
		ASSERT_EQ(n->kind, KV_LSM_N_EXACT, "exact_kind");
	n = name_of(p, "cacert.pem");
	if (ASSERT_OK_PTR(n, "public"))
		ASSERT_EQ(n->flags, KV_LSM_I_PUBLIC, "public_flag");
	ASSERT_TRUE(p->conf_flags & KV_LSM_C_WRITE_ROOTS, "write_roots");
	ASSERT_TRUE(p->conf_flags & KV_LSM_C_NAMES, "names");
	ASSERT_FALSE(p->conf_flags & KV_LSM_C_NO_WRITE, "writes");
out:
	kv_files_policy_free(p);
}

/* Each bad entry is refused with a message naming it. */
KV_TEST(bad_entries_named)
{
	static const struct {
		const char *entry, *says;
	} bad[] = {
		{ "*.tar.gz", "'*.tar.gz'" },
		{ "a*b", "'a*b'" },
		{ "*.", "'*.'" },
		{ "x.y.*", "'x.y.*'" },
		{ "abcdefghijklmnopqrstuvwxyz0123456789", "1 to 31 bytes" },
		{ "", "empty" },
		{ "..", "not a name" },
	};
	struct kv_files_policy *p = NULL;
	struct lt_tree t;
	char err[256];
	size_t i;
	int rc;

	if (!ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree"))
		return;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *deny[] = { bad[i].entry };

		err[0] = 0;
		if (!ASSERT_FALSE(build(&t, deny, 1, NULL, 0, &p, err, sizeof(err), &rc), bad[i].entry)) {
			kv_files_policy_free(p);
			continue;
		}
		ASSERT_EQ(rc, -EINVAL, bad[i].entry);
		ASSERT_HAS_SUBSTR(err, bad[i].says, bad[i].entry);
	}
}

KV_TEST(home_needed_for_tilde)
{
	const char *write[] = { "~/.cache/agent" };
	struct kv_files_policy *p = NULL;
	struct kv_files_input in;
	struct lt_tree t;
	char err[256];

	if (!ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree"))
		return;
	lt_tree_input(&t, &in);
	in.home = NULL;
	in.write = write;
	in.n_write = 1;
	ASSERT_EQ(kv_files_policy_build(&in, &p, err, sizeof(err)), -EINVAL, "refused");
	ASSERT_HAS_SUBSTR(err, "home directory", "message");
	kv_files_policy_free(p);
}

/* A missing path is kept, marked, and never reaches the maps; a write root
 * beneath a secret is void. */
KV_TEST(missing_and_conflicting_entries)
{
	const char *write[] = { "does/not/exist", "~/.ssh" };
	struct kv_files_policy *p = NULL;
	const struct kv_fentry *e;
	struct lt_tree t;
	char err[256];
	size_t i;
	int rc;

	if (!ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree") ||
	    !ASSERT_TRUE(build(&t, NULL, 0, write, 2, &p, err, sizeof(err), &rc), err))
		goto out;
	e = entry(p, "does/not/exist");
	if (ASSERT_OK_PTR(e, "missing")) {
		ASSERT_FALSE(e->present, "not_present");
		ASSERT_HAS_SUBSTR(e->note, "not enforced", "note");
	}
	for (i = 0; i < p->n; i++) {
		e = &p->e[i];
		if (!strcmp(e->given, "~/.ssh") && e->origin == KV_FO_WRITE) {
			ASSERT_EQ(e->flags, 0, "write_root_voided");
			ASSERT_HAS_SUBSTR(e->note, "secret", "conflict_note");
		}
	}
	/* the merged map entries: ~/.ssh is only a secret */
	for (i = 0; i < p->n_inodes; i++)
		if (p->inodes[i].flags & KV_LSM_I_SECRET)
			ASSERT_FALSE(p->inodes[i].flags & KV_LSM_I_WRITE, "no_secret_write");
out:
	kv_files_policy_free(p);
}

/* What the genesis receipt seals: identical for identical inputs and
 * filesystem state, different when an input changes. */
KV_TEST(hash_deterministic)
{
	const char *deny[] = { "*.sqlite" };
	struct kv_files_policy *p1 = NULL, *p2 = NULL, *p3 = NULL;
	char h1[65], h2[65], h3[65], err[256];
	struct json_object *j = NULL, *entries;
	struct lt_tree t;
	int rc;

	if (!ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree") ||
	    !ASSERT_TRUE(build(&t, NULL, 0, NULL, 0, &p1, err, sizeof(err), &rc), err) ||
	    !ASSERT_TRUE(build(&t, NULL, 0, NULL, 0, &p2, err, sizeof(err), &rc), err) ||
	    !ASSERT_TRUE(build(&t, deny, 1, NULL, 0, &p3, err, sizeof(err), &rc), err))
		goto out;
	if (!ASSERT_OK(kv_files_policy_hash(p1, h1), "h1") ||
	    !ASSERT_OK(kv_files_policy_hash(p2, h2), "h2") ||
	    !ASSERT_OK(kv_files_policy_hash(p3, h3), "h3"))
		goto out;
	ASSERT_STREQ(h1, h2, "same_inputs_same_hash");
	ASSERT_NEQ(strcmp(h1, h3), 0, "changed_input_changed_hash");
	j = kv_files_policy_json(p1);
	ASSERT_STREQ(json_object_get_string(json_object_object_get(j, "workspace")), t.ws,
		     "workspace");
	entries = json_object_object_get(j, "entries");
	ASSERT_EQ(json_object_array_length(entries), p1->n, "entries");
out:
	json_object_put(j);
	kv_files_policy_free(p1);
	kv_files_policy_free(p2);
	kv_files_policy_free(p3);
}

/* Every lsm/ hook of lsm.bpf.c is checked against this kernel's BTF. */
KV_TEST(hooks_check_matches_btf)
{
	struct btf *btf = btf__load_vmlinux_btf();
	char missing[512];
	int rc, has_path;

	if (!btf) {
		test__skip("no kernel BTF");
		return;
	}
	has_path = btf__find_by_name_kind(btf, "bpf_lsm_path_mknod", BTF_KIND_FUNC) > 0;
	btf__free(btf);
	rc = kv_lsm_hooks_check(missing, sizeof(missing));
	if (has_path) {
		ASSERT_OK(rc, missing);
	} else {
		ASSERT_EQ(rc, -ENOENT, "missing");
		ASSERT_HAS_SUBSTR(missing, "path_mknod", "names_it");
	}
	ASSERT_STREQ(kv_lsm_hook_name(KV_LSM_BPRM_CHECK), "bprm_check_security", "hook_name");
	ASSERT_STREQ(kv_lsm_hook_name(999), "unknown", "unknown_hook");
}

/* The honesty table names the mechanism this kernel really has. */
KV_TEST(enforcement_names_mechanism)
{
	const struct kv_features *f = kv_features_get();
	struct kv_landlock_plan *pl = NULL;
	struct kv_files_policy *p = NULL;
	struct kv_mechanism m[KV_RULE_COUNT];
	struct json_object *o = NULL;
	struct lt_tree t;
	char err[256];
	int rc;

	if (!ASSERT_OK(lt_tree_make(&t, kvtest_tmpdir()), "tree") ||
	    !ASSERT_TRUE(build(&t, NULL, 0, NULL, 0, &p, err, sizeof(err), &rc), err))
		goto out;
	if (!f->bpf_lsm.ok && f->landlock_abi > 0 &&
	    !ASSERT_OK(kv_landlock_plan_build(p, f->landlock_abi, &pl, err, sizeof(err)), err))
		goto out;
	o = kv_files_enforcement_json(p, f->bpf_lsm.ok, pl);
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "mechanism")),
		     f->bpf_lsm.ok ? "bpf-lsm" : pl ? "landlock" : "none", "mechanism");
	ASSERT_GE(json_object_array_length(json_object_object_get(o, "limits")), 1, "limits");
	memset(m, 0, sizeof(m));
	kv_lsm_mechanisms(f, m);
	ASSERT_STREQ(m[KV_RULE_FILES].rule, "files", "row");
	ASSERT_EQ(m[KV_RULE_FILES].enforced, f->bpf_lsm.ok || f->landlock_abi > 0, "files_enforced");
	if (f->bpf_lsm.ok)
		ASSERT_HAS_SUBSTR(m[KV_RULE_EXEC].mechanism, "bprm_check", "exec_row");
out:
	json_object_put(o);
	kv_landlock_plan_free(pl);
	kv_files_policy_free(p);
}
