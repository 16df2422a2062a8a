/* SPDX-License-Identifier: BSD-2-Clause */
/* .kavachos.json: the project's settings (docs/config.md), and the resolver
 * every command uses: flag > .kavachos.json > environment > default. */
#ifndef KV_CONFIG_H
#define KV_CONFIG_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "profile/profile.h"

#define KV_CONFIG_NAME ".kavachos.json"
#define KV_CONFIG_VERSION 1
#define KV_DEFAULT_TRUST_MASK 0x000000FFu /* infrastructure bits: the README's example */
#define KV_DEFAULT_DOMAIN KV_DOMAIN_GENERAL
#define KV_DEFAULT_DEPTH 1
#define KV_MAX_DEPTH 64

struct kv_strv {
	char **v;
	size_t n;
};

/* Gate thresholds (SPEC "Gate valve"); has_* tells which keys were given.
 * Their meaning is validated by the gate's owner. */
struct kv_config_gate {
	bool has_throttle, has_crack, has_lock, has_burst, has_burst_window_s;
	uint32_t throttle, crack, lock, burst, burst_window_s;
};

/* Every key of the file. Strings are kept as written: egress specs and file
 * paths are validated by their owners. */
struct kv_config {
	char path[PATH_MAX];
	uint32_t version;
	bool has_trust_mask, has_domain, has_depth, has_strict_exec;
	uint32_t trust_mask;
	enum kv_domain domain;
	uint32_t depth;
	bool strict_exec;
	struct kv_strv seccomp_allow, seccomp_deny;
	struct kv_strv egress_allow;
	bool has_egress_no_default;
	bool egress_no_default;
	struct kv_strv egress_essential; /* still pass when the gate is CRACKED */
	struct kv_strv exec_allow;       /* exec allowlist: files or directory trees */
	bool has_exec_fileless, exec_fileless; /* allow exec of memfd / deleted files */
	struct kv_strv files_deny, files_write;
	struct kv_config_gate gate;
};

/* Parses and validates a file. Unknown keys, wrong types and bad values are
 * errors naming "FILE: field PATH: problem" (syntax: "FILE:LINE:COL: ...").
 * Refuses a file writable by others or owned by another user (it would let
 * them choose the agent's powers). 0 or -errno. */
int kv_config_load(const char *path, struct kv_config **out, char *err, size_t errlen);
/* The same from text (no ownership check); source names it in messages. */
int kv_config_parse(const char *text, size_t len, const char *source, struct kv_config **out,
		    char *err, size_t errlen);
void kv_config_free(struct kv_config *c);
/* Walks up from dir (NULL: the cwd) to / looking for .kavachos.json.
 * 0 with path set, -ENOENT when there is none. */
int kv_config_find(const char *dir, char *path, size_t len);

/* Where a setting came from. */
enum kv_src { KV_SRC_DEFAULT = 0, KV_SRC_ENV, KV_SRC_CONFIG, KV_SRC_FLAG };
const char *kv_src_name(enum kv_src s);

/* Command-line values as given (NULL/false: not given). */
struct kv_settings_flags {
	const char *trust_mask;
	const char *domain;
	const char *depth;
	bool strict_exec;        /* --strict-exec (a flag can only turn it on) */
	const char *config_path; /* an explicit file instead of the search */
	bool no_config;          /* ignore .kavachos.json */
	const char *cwd;         /* where the search starts; NULL: the cwd */
};

struct kv_settings {
	uint32_t trust_mask;
	enum kv_domain domain;
	uint32_t depth;
	bool strict_exec;
	enum kv_src src_trust_mask, src_domain, src_depth, src_strict_exec;
	struct kv_config *config; /* NULL without a file; owned */
};

/* Environment: KAVACHOS_TRUST_MASK, KAVACHOS_DOMAIN. Defaults: mask
 * KV_DEFAULT_TRUST_MASK, domain general, depth 1, strict_exec off.
 * Every invalid value is an error naming where it came from. 0 or -errno
 * (-EINVAL for invalid input). */
int kv_settings_resolve(const struct kv_settings_flags *f, struct kv_settings *s, char *err,
			size_t errlen);
void kv_settings_free(struct kv_settings *s);
/* The profile input for s; the extra lists point into s->config. */
void kv_settings_profile_input(const struct kv_settings *s, struct kv_profile_input *in);
#endif
