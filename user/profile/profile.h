/* SPDX-License-Identifier: BSD-2-Clause */
/* Trust mask -> syscall profile, deterministic (see SPEC.md "trust_mask").
 * The same inputs give byte-identical canonical JSON and the same SHA-256. */
#ifndef KV_PROFILE_H
#define KV_PROFILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include <seccomp.h>
#include "kv_session.h" /* struct kv_syscall_policy */
#include "profile/syscalls.h"

#define KV_PROFILE_SCHEMA_VERSION 1
#define KV_TRUST_MASK_RESERVED 0xFF000000u

enum kv_domain {
	KV_DOMAIN_GENERAL = 0,
	KV_DOMAIN_MARITIME,
	KV_DOMAIN_LOGISTICS,
	KV_DOMAIN_OT,
	KV_DOMAIN_FINANCE,
	KV_DOMAIN_COUNT,
};

/* "general" etc. Returns 0 or -EINVAL. */
int kv_domain_parse(const char *s, enum kv_domain *out);
const char *kv_domain_name(enum kv_domain d);
/* "general, maritime, logistics, ot, finance" for error messages. */
const char *kv_domain_list(void);

/* Parses "0xFF" / "255"; refuses garbage and bits 24-31 with a message in err.
 * Returns 0, -EINVAL or -ERANGE. */
int kv_trust_mask_parse(const char *s, uint32_t *mask, char *err, size_t errlen);
/* Name of bit 0..23 ("auth", "llm", ...); NULL outside. Bits 16-23 are
 * "domain0".."domain7": what they unlock depends on the domain. */
const char *kv_trust_bit_name(unsigned bit);
/* The group a domain bit (16-23) unlocks in domain d ("serial_nmea", ...);
 * NULL when that bit unlocks nothing in d. */
const char *kv_domain_bit_name(enum kv_domain d, unsigned bit);

struct kv_profile_input {
	uint32_t trust_mask;
	enum kv_domain domain;
	uint32_t depth;    /* delegation depth, >= 1 */
	bool strict_exec;  /* no exec after the launch */
	/* optional user additions (from .kavachos.json "seccomp"), syscall names */
	const char *const *extra_allow;
	size_t n_extra_allow;
	const char *const *extra_deny;
	size_t n_extra_deny;
};

struct kv_profile; /* opaque */

/* One argument comparison, libseccomp's struct scmp_arg_cmp in fixed-width
 * form: op is an enum scmp_compare; for SCMP_CMP_MASKED_EQ a is the mask and
 * b the value (as in OCI "value"/"valueTwo"), otherwise a is the value. */
struct kv_arg_cond {
	uint8_t arg; /* 0..5 */
	uint8_t op;
	uint64_t a;
	uint64_t b;
};

#define KV_RULE_MAX_ARGS 6
/* action on syscall nr when all args hold (AND); rules of one syscall OR. */
struct kv_rule {
	int nr;          /* x86_64 number */
	uint32_t action; /* SCMP_ACT_* value */
	uint8_t n_args;
	struct kv_arg_cond args[KV_RULE_MAX_ARGS];
};

enum kv_profile_origin {
	KV_PROFILE_GENERATED = 0, /* from a trust mask */
	KV_PROFILE_OCI,           /* imported OCI/Docker JSON (--seccomp-profile) */
};

/* Builds the profile; on invalid input returns -EINVAL with a message in err
 * (reserved mask bits, unknown domain, depth < 1, unknown or forbidden names
 * in extra_allow/extra_deny). */
int kv_profile_build(const struct kv_profile_input *in, struct kv_profile **out,
		     char *err, size_t errlen);
void kv_profile_free(struct kv_profile *p);
/* The inputs (extra lists sorted and de-duplicated); NULL for OCI imports. */
const struct kv_profile_input *kv_profile_input(const struct kv_profile *p);
enum kv_profile_origin kv_profile_origin(const struct kv_profile *p);

/* The rules, sorted by (nr, action, args); the filter's default action. */
const struct kv_rule *kv_profile_rules(const struct kv_profile *p, size_t *n);
uint32_t kv_profile_default_action(const struct kv_profile *p);
/* Trust mask 0 (or depth >= 4): the read-only profile. */
bool kv_profile_readonly(const struct kv_profile *p);
/* execve is held for the supervisor, which approves only the launch exec
 * (read-only profiles, --strict-exec). */
bool kv_profile_launch_exec_supervised(const struct kv_profile *p);
/* Syscalls the profile does not cover on x86_64 (OCI import: names of other
 * architectures or newer kernels); *names valid while p lives. */
size_t kv_profile_skipped(const struct kv_profile *p, const char *const **names);
/* SECCOMP_FILTER_FLAG_* an imported profile asked for ("flags"). */
uint32_t kv_profile_filter_flags(const struct kv_profile *p);

/* "SCMP_ACT_ERRNO(EPERM)"-style text, and one rule as
 * "ioctl SCMP_ACT_ERRNO(EPERM) if a1&0xffffffff==0x5412". Return snprintf's. */
int kv_action_format(uint32_t action, char *buf, size_t len);
int kv_rule_format(const struct kv_rule *r, char *buf, size_t len);

/* SHA-256 (hex) of the canonical JSON of the profile: kv_profile_oci_json
 * without its "kavachos"."sha256" member. */
int kv_profile_hash(const struct kv_profile *p, char hex[65]);
/* That canonical JSON (malloc'd), what the hash covers. */
char *kv_profile_canonical(const struct kv_profile *p, size_t *len);
/* OCI/Docker seccomp JSON (defaultAction, architectures, syscalls[] with args)
 * plus a "kavachos" metadata object (schema version, inputs, counts, hash).
 * Caller owns the returned object. */
struct json_object *kv_profile_oci_json(const struct kv_profile *p);
/* The same decisions as bitmaps for the kernel's sys_exit violation counter. */
void kv_profile_syscall_policy(const struct kv_profile *p, struct kv_syscall_policy *out);
/* Counts for summaries: syscalls allowed (with or without conditions), of
 * those the ones with argument conditions, NOTIFY-tier syscalls, syscalls
 * failing with an errno other than the default (ENOSYS fallbacks). */
size_t kv_profile_count_allowed(const struct kv_profile *p);
size_t kv_profile_count_cond(const struct kv_profile *p);
size_t kv_profile_count_notify(const struct kv_profile *p);
size_t kv_profile_count_errno(const struct kv_profile *p);
/* Names of the NOTIFY syscalls, sorted; returns the count (<= max). */
size_t kv_profile_notify_names(const struct kv_profile *p, const char **names, size_t max);

/* How a profile becomes kernel filters. libseccomp drops a conditional rule
 * when the same syscall also has an unconditional one, so a carve-out such as
 * "ioctl allowed, except TIOCSTI" goes into a second, small "guard" filter
 * (default allow); the kernel applies the most restrictive result of both. */
struct kv_plan {
	struct kv_rule *main; /* rules of the main filter (default action) */
	size_t n_main;
	struct kv_rule *guard; /* carve-outs, filter default SCMP_ACT_ALLOW */
	size_t n_guard;
	size_t n_main_syscalls; /* distinct syscalls in the main filter */
};
/* -EINVAL with err when the rules cannot be expressed (conflicting actions). */
int kv_profile_plan(const struct kv_profile *p, struct kv_plan *plan, char *err, size_t errlen);
void kv_plan_free(struct kv_plan *plan);

/* OCI/Docker seccomp JSON import (--seccomp-profile=FILE). "includes" and
 * "excludes" are evaluated for x86_64 ("amd64"), the agent's effective
 * capabilities and the running kernel; names unknown on x86_64 are skipped
 * (as runc does) and listed by kv_profile_skipped. */
struct kv_oci_opts {
	uint64_t caps;              /* bit n = capability n kept by the agent; 0 after the drop */
	const char *kernel_release; /* "6.1.0-...", NULL: uname -r */
};
/* caps 0, running kernel. -EINVAL/-ENOENT/... with "FILE: what is wrong" in err. */
int kv_profile_from_oci_file(const char *path, struct kv_profile **out, char *err,
			     size_t errlen);
int kv_profile_from_oci_json(const char *text, size_t len, const char *source,
			     const struct kv_oci_opts *opts, struct kv_profile **out, char *err,
			     size_t errlen);
/* Capability number of "CAP_SYS_ADMIN" etc.; -1 unknown. */
int kv_cap_from_name(const char *name);
#endif
