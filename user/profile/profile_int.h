/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside the profile engine: the profile object and the group tables. */
#ifndef KV_PROFILE_INT_H
#define KV_PROFILE_INT_H
#include "profile/profile.h"

struct kv_profile {
	enum kv_profile_origin origin;
	struct kv_profile_input in; /* extra_* point into extra_allow/extra_deny */
	char **extra_allow;
	char **extra_deny;
	uint32_t default_action;
	struct kv_rule *rules; /* sorted, no duplicates */
	size_t n_rules;
	bool readonly;
	bool launch_exec;      /* execve held for the supervisor's launch approval */
	bool writes_supervised; /* depth >= 4: file writes go to the supervisor */
	/* OCI imports */
	char source_sha256[65]; /* of the imported file's bytes */
	char **skipped;
	size_t n_skipped;
	uint32_t filter_flags;  /* SECCOMP_FILTER_FLAG_LOG, _SPEC_ALLOW */
};

/* How a table entry changes the state of its syscall (applied in order). */
enum kv_op {
	KV_OP_ALLOW,     /* allow, whatever the arguments */
	KV_OP_ALLOW_IF,  /* allow when the condition holds (ORs with others) */
	KV_OP_NOTIFY,    /* hold for the supervisor */
	KV_OP_NOTIFY_IF, /* hold for the supervisor when the condition holds */
	KV_OP_DENY_IF,   /* carve-out: EPERM when the condition holds, even if allowed */
	KV_OP_LIFT_IF,   /* remove an earlier carve-out with the same condition */
	KV_OP_ERRNO,     /* always fail with err (ENOSYS: libc falls back) */
	KV_OP_REMOVE,    /* forget whatever earlier layers granted */
};

struct kv_cond_rule {
	uint8_t n; /* 0..2 comparisons, ANDed */
	struct kv_arg_cond c[2];
};

struct kv_entry {
	const char *name;
	enum kv_op op;
	struct kv_cond_rule r;
	int err;
};

struct kv_group {
	const char *name;
	const char *what; /* one line for docs and `generate` */
	const struct kv_entry *e;
	size_t n;
};

/* Layers, in the order the builder applies them (groups.c). */
extern const struct kv_group kv_grp_nofreeze;
extern const struct kv_group kv_grp_readonly;
extern const struct kv_group kv_grp_baseline;
extern const struct kv_group kv_grp_notify_tier;
extern const struct kv_group kv_grp_bits[16];                   /* bits 0-15 */
extern const struct kv_group kv_grp_domain[KV_DOMAIN_COUNT][8]; /* bits 16-23 */
extern const struct kv_group kv_grp_depth2;
extern const struct kv_group kv_grp_depth3;
extern const struct kv_group kv_grp_supervised_writes;
extern const struct kv_group kv_grp_launch_exec;
extern const struct kv_group kv_grp_hard;
extern const struct kv_group kv_grp_hard_readonly;

/* Names seccomp.allow may not grant, with why (NULL: allowed). */
const char *kv_never_allow_reason(const char *name, bool readonly);

/* Rule helpers shared by the builder, the importer and the planner. */
int kv_rule_cmp(const struct kv_rule *a, const struct kv_rule *b);
/* Sort and drop exact duplicates. */
void kv_rules_normalize(struct kv_rule *r, size_t *n);
/* Rank in the kernel's precedence: lower wins (KILL_PROCESS 0 .. ALLOW 7). */
int kv_action_rank(uint32_t action);
const char *kv_cmp_name(uint8_t op);
int kv_cmp_from_name(const char *s);
int kv_action_from_oci(const char *s, uint32_t errno_ret, bool has_errno, uint32_t *out);
const char *kv_action_oci_name(uint32_t action);

struct kv_profile *kv_profile_alloc(void);
#endif
