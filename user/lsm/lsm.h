/* SPDX-License-Identifier: BSD-2-Clause */
/* A session's file, exec and process rules (docs/lsm.md).
 *
 *   struct kv_files_input --kv_files_policy_build--> struct kv_files_policy
 *     (built-in secrets, .kavachos.json files.deny / files.write, the
 *      workspace, the session's tmp dir, exec allowlist, trust mask)
 *   kv_lsm_policy_apply/remove()   the policy in the BPF-LSM maps (kv_lsm.h)
 *   kv_landlock_plan_build/apply() the same policy as a Landlock ruleset,
 *                                  where BPF-LSM cannot load
 *   kv_files_policy_json/hash()    what the genesis receipt seals
 *   kv_files_enforcement_json()    the mechanism and what it cannot express
 *
 * Entries of files.deny / files.write:
 *   /abs/path | ~/path | rel/path (to the workspace) -- a path: the object and
 *     everything beneath it, judged by inode identity
 *   NAME | NAME.* | *.EXT (no '/')  -- files.deny only: a secret name pattern
 *     on the final name of what is opened (ASCII case-insensitive; a whole
 *     NAME at most 31 bytes, NAME.* and *.EXT at most 30; NAME has no dot but
 *     a leading one, EXT has none). */
#ifndef KV_LSM_USER_H
#define KV_LSM_USER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>
#include "kv_lsm.h"
#include "features/features.h"

#define KV_FILES_POLICY_VERSION 1
#define KV_FILES_MAX_INSIDE 4096 /* inodes enumerated beneath secret directories */
#define KV_FILES_MAX_ENTRIES 1024

struct kv_bpf;

struct kv_files_input {
	uint32_t trust_mask;        /* 0: no writes at all */
	const char *workspace;      /* the session's start directory (write root) */
	const char *home;           /* the agent user's home: "~" and the default secrets */
	const char *tmp_dir;        /* the session's own tmp directory, or NULL */
	const char *const *deny;    /* .kavachos.json files.deny */
	size_t n_deny;
	const char *const *write;   /* .kavachos.json files.write */
	size_t n_write;
	bool exec_allowlist;        /* exec only what exec_allow (and the agent) names */
	const char *const *exec_allow; /* files or directory trees */
	size_t n_exec_allow;
	const char *agent_binary;   /* the launched binary: on the allowlist when there is one */
	bool strict_exec;           /* no exec after the launch */
	bool fileless_exec;         /* allow exec of memfd / O_TMPFILE / deleted files */
	bool no_defaults;           /* leave out the built-in secrets (tests) */
	bool allow_abstract_unix;   /* Landlock: the egress policy admits abstract sockets */
};

enum kv_fentry_origin {
	KV_FO_DEFAULT = 0, /* built-in secret list */
	KV_FO_DENY,        /* files.deny */
	KV_FO_WRITE,       /* files.write */
	KV_FO_WORKSPACE,
	KV_FO_TMP,
	KV_FO_SYSTEM,      /* devices and /dev/shm every program needs */
	KV_FO_EXEC,        /* exec allowlist */
	KV_FO_AGENT,       /* the agent binary */
	KV_FO_INTERP,      /* ELF interpreter of an allowed binary (Landlock needs it) */
};

struct kv_fentry {
	char *given;   /* as written (or the built-in form "~/.ssh") */
	char *path;    /* absolute, symlinks resolved when present */
	uint32_t flags; /* KV_LSM_I_* */
	enum kv_fentry_origin origin;
	bool present;
	bool is_dir;
	uint32_t dev; /* kernel s_dev of its filesystem */
	uint64_t ino;
	uint32_t inside;   /* secret directories: files beneath, keyed too */
	uint32_t linked;   /* ... of which have other hard links (st_nlink > 1) */
	const char *note;  /* why it is not enforced as given, or NULL */
};

struct kv_fname {
	uint32_t kind;  /* enum kv_lsm_name_kind */
	uint32_t flags; /* KV_LSM_I_SECRET, or KV_LSM_I_PUBLIC: an exception */
	char name[KV_LSM_NAME_LEN];
	enum kv_fentry_origin origin;
};

struct kv_finode {
	uint32_t dev;
	uint32_t flags;
	uint64_t ino;
};

struct kv_files_policy {
	uint32_t conf_flags; /* KV_LSM_C_* */
	bool readonly;
	bool strict_exec;
	bool allow_abstract_unix;
	char *workspace;
	struct kv_fentry *e;
	size_t n;
	struct kv_fname *names;
	size_t n_names;
	struct kv_finode *inodes; /* what goes into kv_lsm_inodes: sorted, merged */
	size_t n_inodes;
	bool inside_truncated; /* KV_FILES_MAX_INSIDE reached */
};

/* Builds the policy; paths are resolved now (inode identity is what the
 * kernel enforces). Returns 0, -EINVAL with err naming the entry and the
 * problem, or -ENOMEM. */
int kv_files_policy_build(const struct kv_files_input *in, struct kv_files_policy **out,
			  char *err, size_t errlen);
void kv_files_policy_free(struct kv_files_policy *p);
/* The policy as sealed: canonical-JSON-ready object, and its SHA-256. */
struct json_object *kv_files_policy_json(const struct kv_files_policy *p);
int kv_files_policy_hash(const struct kv_files_policy *p, char hex[65]);

/* --- BPF-LSM (kv_lsm.h maps; the loader loaded lsm.bpf.c) --- */
/* All or nothing: inodes and names first, the session's conf entry last.
 * -ENOENT when the LSM object is not loaded. */
int kv_lsm_policy_apply(const struct kv_bpf *b, uint64_t session, const struct kv_files_policy *p);
/* Strict exec: the launch exec of this process passes once (call after
 * fork, before the child execs). */
int kv_lsm_policy_launch(const struct kv_bpf *b, uint64_t session, pid_t pid);
/* Removes every entry of the session (found by walking the maps). */
void kv_lsm_policy_remove(const struct kv_bpf *b, uint64_t session);
/* "file_open", "bprm_check_security", ... for an event's hook number. */
const char *kv_lsm_hook_name(uint32_t hook);
/* Every lsm/ hook of lsm.bpf.c exists in this kernel's BTF (CONFIG_SECURITY_PATH
 * and friends). 0, or -ENOENT with the missing hooks named in missing. */
int kv_lsm_hooks_check(char *missing, size_t len);

/* --- Landlock, where BPF-LSM is unavailable --- */
struct kv_landlock_plan;
/* Works out the ruleset for the ABI (from kv_features): paths and rights,
 * what it cannot express. In the parent, before fork. */
int kv_landlock_plan_build(const struct kv_files_policy *p, int abi, struct kv_landlock_plan **out,
			   char *err, size_t errlen);
/* In the agent's child, after privileges are dropped (no_new_privs set) and
 * before seccomp: opens each path, adds the rules, restricts itself. No
 * allocation. A path gone since the plan is skipped (less access, never
 * more). 0 or negative errno with err set. */
int kv_landlock_plan_apply(const struct kv_landlock_plan *pl, char *err, size_t errlen);
/* The same in two steps: the ruleset (a file descriptor, O_CLOEXEC) can be
 * built before the fork — by the daemon, while it seals the genesis, and
 * handed over — and inherited; the child then only restricts itself with
 * it, with the plan's restrict flags (enforce closes rfd). create returns
 * the fd or negative errno. */
int kv_landlock_ruleset_create(const struct kv_landlock_plan *pl, char *err, size_t errlen);
unsigned kv_landlock_plan_restrict_flags(const struct kv_landlock_plan *pl);
int kv_landlock_ruleset_enforce(unsigned restrict_flags, int rfd, char *err, size_t errlen);
void kv_landlock_plan_free(struct kv_landlock_plan *pl);
size_t kv_landlock_plan_rules(const struct kv_landlock_plan *pl);
/* {"abi", "rules", "handled_access_fs", "scope_*", "opened_dirs", "limits"} */
struct json_object *kv_landlock_plan_json(const struct kv_landlock_plan *pl);
/* Plan + apply + free in one call. */
int kv_landlock_apply(const struct kv_files_policy *p, int abi, char *err, size_t errlen);

/* {"mechanism": "bpf-lsm"|"landlock"|"none", "limits": [...], "landlock": {...}}:
 * for `kavachos status` and the genesis receipt. bpf_lsm: the session's rules
 * are in the BPF-LSM maps (the lsm object loaded where the session lives),
 * else pl (may be NULL) is the Landlock plan applied. Takes what the caller
 * decided, not a feature probe: a daemon's client must not pay for one. */
struct json_object *kv_files_enforcement_json(const struct kv_files_policy *p, bool bpf_lsm,
					      const struct kv_landlock_plan *pl);
/* The rows files, exec, mount_bpf, leave_cgroup and unix_sockets
 * of the honesty table for this kernel (features/report.c calls it). */
void kv_lsm_mechanisms(const struct kv_features *f, struct kv_mechanism out[KV_RULE_COUNT]);
#endif
