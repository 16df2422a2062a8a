/* SPDX-License-Identifier: BSD-2-Clause */
/* Egress policy: sources -> rules -> kernel allowlist (kv_egress.h).
 *
 *   struct kv_egress_input --kv_egress_policy_build--> struct kv_egress_policy
 *     (domain defaults, trust bits, .kavachos.json egress.allow, --allow-net)
 *   kv_egress_policy_resolve()   host names -> addresses (getaddrinfo)
 *   kv_egress_compile()          rules -> LPM entries, ranges of covering
 *                                prefixes folded into each entry
 *   kv_egress_apply()            entries -> the session's map entries,
 *                                all or nothing
 *
 * SPEC (--allow-net, egress.allow), comma-separated lists allowed:
 *   ADDR | ADDR/LEN | NAME | *.NAME   optionally :PORT or :LO-HI, then /tcp or /udp
 *   [V6ADDR] | [V6ADDR/LEN]          IPv6 with a port: [fd00::1]:443
 *   unix:/path | unix:/dir/ | unix:@name | unix:@*   AF_UNIX allowlist
 * No port means every port (1-65535); no protocol means tcp and udp. */
#ifndef KV_EGRESS_POLICY_H
#define KV_EGRESS_POLICY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "kv_egress.h"
#include "profile/profile.h" /* enum kv_domain */

#define KV_EGRESS_POLICY_VERSION 1
#define KV_EGRESS_NAME_MAX 254 /* host name (253) or unix path (108) + NUL */
#define KV_TRUST_BIT_REGISTERED 6

enum kv_egress_kind {
	KV_EGRESS_NET = 0,  /* address or CIDR */
	KV_EGRESS_HOST = 1, /* DNS name (or *.suffix: DNS stub only) */
	KV_EGRESS_UNIX = 2, /* AF_UNIX path, directory prefix or abstract name */
};

/* Where a rule came from: bits of kv_egress_rule.sources, in merge order. */
enum kv_egress_source {
	KV_EGRESS_SRC_DOMAIN = 0, /* domain defaults (LLM APIs, domain endpoints) */
	KV_EGRESS_SRC_TRUST = 1,  /* trust-mask bits (registered -> loopback) */
	KV_EGRESS_SRC_SYSTEM = 2, /* local system sockets (unix defaults) */
	KV_EGRESS_SRC_CONFIG = 3, /* .kavachos.json egress.allow */
	KV_EGRESS_SRC_CLI = 4,    /* --allow-net */
	KV_EGRESS_SRC_DNS = 5,    /* the DNS stub resolver's own address */
	KV_EGRESS_SRC_MAX,
};

struct kv_egress_rule {
	enum kv_egress_kind kind;
	uint8_t addr[16]; /* NET: network address, IPv4 as ::ffff:a.b.c.d */
	uint8_t prefix;   /* NET: prefix in the 128-bit space (IPv4 /n = 96 + n) */
	bool wildcard;    /* HOST: "*.suffix" (name holds the suffix) */
	uint16_t port_lo; /* NET, HOST: inclusive */
	uint16_t port_hi;
	uint8_t protos; /* KV_EGRESS_P_* */
	uint8_t flags;  /* KV_EGRESS_F_ESSENTIAL; UNIX: also KV_EGRESS_F_PREFIX */
	uint32_t sources; /* 1 << enum kv_egress_source */
	char name[KV_EGRESS_NAME_MAX]; /* HOST: lower-case name; UNIX: path, "@name", "@*" */
};

/* Parses one SPEC (no commas). Returns 0 or -EINVAL with err naming the
 * entry and the problem. */
int kv_egress_spec_parse(const char *spec, struct kv_egress_rule *out, char *err, size_t errlen);
/* The rule back in SPEC form ("10.0.0.0/8:443/tcp"), canonical. */
int kv_egress_rule_format(const struct kv_egress_rule *r, char *buf, size_t len);
/* True when an address (IPv6 form) is IPv4-mapped. */
bool kv_egress_is_v4(const uint8_t addr[16]);

struct kv_egress_input {
	uint32_t trust_mask;
	enum kv_domain domain;
	bool no_default_net; /* drop domain and trust-bit defaults */
	/* .kavachos.json egress.allow entries, in file order */
	const char *const *config_allow;
	size_t n_config_allow;
	/* --allow-net values, each possibly a comma-separated list */
	const char *const *cli_allow;
	size_t n_cli_allow;
	/* entries to mark essential (.kavachos.json egress.essential): they are
	 * allowed like the others and still pass when the gate is CRACKED */
	const char *const *essential;
	size_t n_essential;
};

/* A resolved host name's addresses (IPv6 form). */
struct kv_egress_addrs {
	uint8_t (*addr)[16];
	size_t n;
	int err; /* EAI_* of the last attempt, 0 if resolved */
};

struct kv_egress_policy {
	struct kv_egress_rule *rules; /* sorted, unique */
	size_t n_rules;
	bool no_default_net;
	/* parallel to rules (HOST rules only): what pre-resolution returned */
	struct kv_egress_addrs *resolved;
	/* DNS stub (0 port = none): its address and port become the only
	 * port-53 destination the session can reach */
	uint8_t stub_addr[16];
	uint16_t stub_port;
};

int kv_egress_policy_build(const struct kv_egress_input *in, struct kv_egress_policy **out,
			   char *err, size_t errlen);
void kv_egress_policy_free(struct kv_egress_policy *p);
/* Adds one SPEC list (comma-separated) from source src; used by build. */
int kv_egress_policy_add(struct kv_egress_policy *p, const char *list, enum kv_egress_source src,
			 const char *what, char *err, size_t errlen);
/* Sorts and merges duplicates (same match, ports, protocols): sources and
 * the essential flag are OR-ed. Called by build; call again after add. */
int kv_egress_policy_normalize(struct kv_egress_policy *p);

/* Resolves every HOST rule (not wildcards) with fn (getaddrinfo when NULL).
 * A name that does not resolve is recorded (resolved[i].err), not fatal.
 * Returns 0, or -ENOMEM. */
typedef int (*kv_egress_resolver)(const char *name, struct kv_egress_addrs *out, void *arg);
int kv_egress_policy_resolve(struct kv_egress_policy *p, kv_egress_resolver fn, void *arg);
int kv_egress_resolve_getaddrinfo(const char *name, struct kv_egress_addrs *out, void *arg);
/* Names that did not resolve, for the session's first receipt: a JSON
 * object {"resolved": {name: [addr...]}, "unresolved": {name: "error"}}. */
struct json_object *kv_egress_resolution_json(const struct kv_egress_policy *p);

/* The rules as JSON ({"version", "default_net", "rules": [...]}); the hash
 * is SHA-256 of its canonical form. Addresses that names resolved to are
 * not part of it (they change; the rules do not). */
struct json_object *kv_egress_policy_json(const struct kv_egress_policy *p);
int kv_egress_policy_hash(const struct kv_egress_policy *p, char hex[65]);

/* Compiled allowlist of one session, without the session id. */
struct kv_egress_entry {
	uint8_t addr[16];
	uint8_t prefix; /* 0..128 */
	struct kv_egress_val val;
};
struct kv_egress_uentry {
	uint8_t path[KV_EGRESS_UNIX_PATH]; /* kernel form (see kv_egress.h) */
	uint32_t nbytes;                   /* bytes that must match */
	struct kv_egress_uval val;
};
struct kv_egress_compiled {
	struct kv_egress_entry *e;
	size_t n;
	struct kv_egress_uentry *u;
	size_t nu;
};

/* Rules (+ resolved addresses) -> entries, sorted by (address, prefix).
 * Every entry carries the ranges of all rules whose prefix covers it, so
 * the trie's single longest match is the complete answer; IPv4-mapped
 * space only inherits from IPv4 rules. -E2BIG with err naming the prefix
 * when more than KV_EGRESS_MAX_RANGES ranges remain after merging. */
int kv_egress_compile(const struct kv_egress_policy *p, struct kv_egress_compiled *c, char *err,
		      size_t errlen);
void kv_egress_compiled_free(struct kv_egress_compiled *c);
/* Folds the ranges in[0..n) into their canonical form (sorted, adjacent
 * ranges with equal protocols and flags joined). DNS ranges are kept as
 * given. Returns the new count, or -E2BIG if it exceeds max. */
int kv_egress_ranges_canon(const struct kv_egress_range *in, size_t n,
			   struct kv_egress_range *out, size_t max);

/* The three egress maps, by fd (the loader's kv_bpf_map_fd or pinned). */
struct kv_egress_maps {
	int lpm_fd;  /* kv_egress_lpm */
	int unix_fd; /* kv_egress_unix, -1 if absent */
	int stat_fd; /* kv_egress_stat, -1 if absent */
};

/* Writes the session's entries; nothing is left behind on failure (what
 * was written is removed). -EEXIST if one of them is already there (apply
 * once per session; kv_egress_remove first to replace). Returns 0 or a
 * negative errno. */
int kv_egress_apply(const struct kv_egress_maps *m, uint64_t session,
		    const struct kv_egress_compiled *c);
/* Compile + apply, with err naming what failed. */
int kv_egress_policy_apply(const struct kv_egress_maps *m, uint64_t session,
			   const struct kv_egress_policy *p, char *err, size_t errlen);
/* Removes every entry of the session (IP, unix, counters). Returns the
 * number removed or a negative errno. */
int kv_egress_remove(const struct kv_egress_maps *m, uint64_t session);
/* Reads the session's live entries back from the maps, sorted. */
int kv_egress_read(const struct kv_egress_maps *m, uint64_t session, struct kv_egress_compiled *c);
/* Writes (adds or replaces) one entry of a session: the DNS stub's use. */
int kv_egress_put(const struct kv_egress_maps *m, uint64_t session,
		  const struct kv_egress_entry *e);
int kv_egress_lookup(const struct kv_egress_maps *m, uint64_t session, const uint8_t addr[16],
		     uint8_t prefix, struct kv_egress_val *val);

/* Key helpers shared with the tests and the stub. */
void kv_egress_key_make(struct kv_egress_key *k, uint64_t session, const uint8_t addr[16],
			uint8_t prefix);
void kv_egress_ukey_make(struct kv_egress_ukey *k, uint64_t session,
			 const struct kv_egress_uentry *u);

/* A unix entry in display form: "/path", "/dir/", "@name", "@*". */
void kv_egress_upath_str(const struct kv_egress_uentry *u, char *buf, size_t len);
/* JSON of compiled/live entries (for `egress show` and generate --json). */
struct json_object *kv_egress_compiled_json(const struct kv_egress_compiled *c);
#endif
