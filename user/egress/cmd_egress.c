// SPDX-License-Identifier: BSD-2-Clause
/* kavachos egress show [SESSION] [--pin-dir DIR] [--state-dir DIR] [--json]:
 * the live allowlist of a session, read back from the pinned maps. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cli/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "egress/egress.h"
#include "kv_events.h"
#include "receipts/store.h"
#include "session/history.h"
#include "session/session.h"

#define FEAT "egress"

static const char *const hook_names[KV_EGRESS_NHOOKS] = {
	[KV_HOOK_CONNECT4] = "connect4",	 [KV_HOOK_CONNECT6] = "connect6",
	[KV_HOOK_SENDMSG4] = "sendmsg4",	 [KV_HOOK_SENDMSG6] = "sendmsg6",
	[KV_HOOK_SOCK_CREATE] = "sock_create", [KV_HOOK_CONNECT_UNIX] = "connect_unix",
	[KV_EGRESS_HOOK_SENDMSG_UNIX] = "sendmsg_unix",
};

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("Usage: kavachos egress show [SESSION] [--pin-dir DIR] [--state-dir DIR] [--json]\n\n"
	       "Prints the live egress allowlist of a session from the kernel maps: each\n"
	       "prefix with the port ranges and protocols it admits (the ranges of the\n"
	       "prefixes covering it already folded in), essential entries (still open\n"
	       "when the gate valve is CRACKED), DNS-admitted addresses with their expiry,\n"
	       "the AF_UNIX paths, and the denials counted per hook.\n\n"
	       "SESSION is a session id (ks-...) or a cgroup id; without it, every session\n"
	       "found in the maps is shown. Maps are read from the daemon's pins (%s)\n"
	       "and embedded runs' pins (%s/*), or from --pin-dir.\n",
	       KV_PIN_DIR, KV_PIN_DIR_RUNS);
	return KV_EXIT_OK;
}

static int open_pins(const char *dir, struct kv_egress_maps *m)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/kv_egress_lpm", dir);
	m->lpm_fd = bpf_obj_get(p);
	if (m->lpm_fd < 0)
		return -errno;
	snprintf(p, sizeof(p), "%s/kv_egress_unix", dir);
	m->unix_fd = bpf_obj_get(p);
	snprintf(p, sizeof(p), "%s/kv_egress_stat", dir);
	m->stat_fd = bpf_obj_get(p);
	return 0;
}

static void close_pins(struct kv_egress_maps *m)
{
	if (m->lpm_fd >= 0)
		close(m->lpm_fd);
	if (m->unix_fd >= 0)
		close(m->unix_fd);
	if (m->stat_fd >= 0)
		close(m->stat_fd);
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Distinct sessions with entries in one map (both key types start with
 * prefixlen, session_lo, session_hi). */
static int map_sessions(int fd, size_t ksize, uint64_t **ids, size_t *n)
{
	uint8_t cur[sizeof(struct kv_egress_ukey)], prev[sizeof(struct kv_egress_ukey)];
	const struct kv_egress_key *k = (const void *)cur;
	bool first = true;

	if (fd < 0)
		return 0;
	while (!bpf_map_get_next_key(fd, first ? NULL : prev, cur)) {
		uint64_t id = (uint64_t)k->session_hi << 32 | k->session_lo;
		size_t i;

		first = false;
		memcpy(prev, cur, ksize);
		for (i = 0; i < *n && (*ids)[i] != id; i++)
			;
		if (i == *n) {
			uint64_t *nv = realloc(*ids, (*n + 1) * sizeof(**ids));

			if (!nv)
				return -ENOMEM;
			*ids = nv;
			(*ids)[(*n)++] = id;
		}
	}
	return errno == ENOENT ? 0 : -errno;
}

static void range_str(const struct kv_egress_range *r, char *buf, size_t len)
{
	const char *proto = r->protos == KV_EGRESS_P_ALL   ? "tcp,udp"
			    : r->protos == KV_EGRESS_P_TCP ? "tcp"
							   : "udp";

	if (r->lo == 1 && r->hi == 65535)
		snprintf(buf, len, "any port/%s", proto);
	else if (r->lo == r->hi)
		snprintf(buf, len, "%u/%s", r->lo, proto);
	else
		snprintf(buf, len, "%u-%u/%s", r->lo, r->hi, proto);
}

static void print_plain(uint64_t id, const char *dir, const struct kv_egress_compiled *c,
			const struct kv_egress_stats *st)
{
	char a[INET6_ADDRSTRLEN], pfx[INET6_ADDRSTRLEN + 8], rs[48],
		path[KV_EGRESS_UNIX_PATH + 2];
	size_t i, j;
	int h;

	printf("session %llu  (maps: %s)\n", (unsigned long long)id, dir);
	if (!c->n)
		printf("  no IP entries: every connect and sendmsg is refused\n");
	for (i = 0; i < c->n; i++) {
		const struct kv_egress_entry *e = &c->e[i];

		if (e->prefix >= 96 && kv_egress_is_v4(e->addr))
			snprintf(pfx, sizeof(pfx), "%s/%u",
				 inet_ntop(AF_INET, e->addr + 12, a, sizeof(a)), e->prefix - 96);
		else
			snprintf(pfx, sizeof(pfx), "%s/%u",
				 inet_ntop(AF_INET6, e->addr, a, sizeof(a)), e->prefix);
		printf("  %-28s", pfx);
		if (!e->val.n_ranges)
			printf(" nothing (IPv4 kept apart from the IPv6 rules)");
		for (j = 0; j < e->val.n_ranges && j < KV_EGRESS_MAX_RANGES; j++) {
			const struct kv_egress_range *r = &e->val.r[j];

			range_str(r, rs, sizeof(rs));
			printf("%s %s%s", j ? "," : "", rs,
			       r->flags & KV_EGRESS_F_ESSENTIAL ? " (essential)" : "");
			if (r->flags & KV_EGRESS_F_DNS)
				printf(" (dns, until boot+%us)", r->expires);
		}
		printf("\n");
	}
	for (i = 0; i < c->nu; i++) {
		kv_egress_upath_str(&c->u[i], path, sizeof(path));
		printf("  unix %-23s%s%s\n", path,
		       c->u[i].val.flags & KV_EGRESS_F_PREFIX ? " (and below)" : "",
		       c->u[i].val.flags & KV_EGRESS_F_ESSENTIAL ? " (essential)" : "");
	}
	if (st) {
		printf("  denied:");
		for (h = 1; h < KV_EGRESS_NHOOKS; h++)
			if (hook_names[h])
				printf(" %s %llu", hook_names[h], (unsigned long long)st->deny[h]);
		printf("\n");
	}
}

static struct json_object *session_json(uint64_t id, const char *dir,
					const struct kv_egress_compiled *c,
					const struct kv_egress_stats *st)
{
	struct json_object *o = kv_egress_compiled_json(c), *d;
	int h;

	json_object_object_add(o, "session", json_object_new_uint64(id));
	json_object_object_add(o, "maps", json_object_new_string(dir));
	if (st) {
		d = json_object_new_object();
		for (h = 1; h < KV_EGRESS_NHOOKS; h++)
			if (hook_names[h])
				json_object_object_add(d, hook_names[h],
						       json_object_new_uint64(st->deny[h]));
		json_object_object_add(o, "denied", d);
	}
	return o;
}

/* Shows the sessions of one pin dir (want == 0: all of them). Returns the
 * number shown or a negative errno. */
static int show_dir(const char *dir, uint64_t want, struct json_object *arr)
{
	struct kv_egress_maps m = { -1, -1, -1 };
	uint64_t *ids = NULL;
	size_t n = 0, i;
	int e, shown = 0;

	e = open_pins(dir, &m);
	if (e)
		return e;
	if (want) {
		ids = malloc(sizeof(*ids));
		if (ids)
			ids[n++] = want;
	} else {
		e = map_sessions(m.lpm_fd, sizeof(struct kv_egress_key), &ids, &n);
		if (!e)
			e = map_sessions(m.unix_fd, sizeof(struct kv_egress_ukey), &ids, &n);
		if (e)
			goto out;
		if (n)
			qsort(ids, n, sizeof(*ids), u64_cmp);
	}
	for (i = 0; i < n; i++) {
		struct kv_egress_stats st;
		struct kv_egress_compiled c;
		bool have_st;

		e = kv_egress_read(&m, ids[i], &c);
		if (e)
			goto out;
		have_st = m.stat_fd >= 0 && !bpf_map_lookup_elem(m.stat_fd, &ids[i], &st);
		if (want && !c.n && !c.nu && !have_st) {
			kv_egress_compiled_free(&c);
			continue; /* not this dir's session */
		}
		if (arr)
			json_object_array_add(arr, session_json(ids[i], dir, &c, have_st ? &st : NULL));
		else
			print_plain(ids[i], dir, &c, have_st ? &st : NULL);
		kv_egress_compiled_free(&c);
		shown++;
	}
	e = shown;
out:
	free(ids);
	close_pins(&m);
	return e;
}

/* "ks-..." through the session's first receipt, or a cgroup id. */
static int session_id(const char *arg, const char *state, uint64_t *out)
{
	struct kv_session_record r;
	struct json_object *v;
	int e;

	if (strncmp(arg, "ks-", 3))
		return kv_parse_u64(arg, out) || !*out ? -EINVAL : 0;
	e = kv_session_record_load(state, arg, &r);
	if (e)
		return e;
	e = json_object_object_get_ex(r.genesis, "cgroup_id", &v) ? 0 : -EBADMSG;
	if (!e)
		*out = json_object_get_uint64(v);
	kv_session_record_free(&r);
	return e;
}

static int do_show(int argc, char **argv)
{
	enum { O_PIN = 256, O_STATE };
	static const struct option opts[] = {
		{ "pin-dir", required_argument, 0, O_PIN },
		{ "state-dir", required_argument, 0, O_STATE },
		{ "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	const char *pin = NULL, *state = kv_state_dir_default();
	struct json_object *arr = NULL;
	uint64_t want = 0;
	int c, e, shown = 0, dirs = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case O_PIN: pin = optarg; break;
		case O_STATE: state = optarg; break;
		case 'j': kv_json_output = true; break;
		case 'h': return do_help(0, NULL);
		default: return KV_EXIT_USAGE;
		}
	}
	if (optind + 1 < argc) {
		kv_err("egress show takes one session, got '%s' too", argv[optind + 1]);
		return KV_EXIT_USAGE;
	}
	if (optind < argc) {
		e = session_id(argv[optind], state, &want);
		if (e == -EINVAL) {
			kv_err("invalid session '%s': a session id (ks-...) or a cgroup id",
			       argv[optind]);
			return KV_EXIT_USAGE;
		}
		if (e) {
			kv_err("session %s: %s", argv[optind],
			       e == -ENOENT ? "not found in the receipt store" : strerror(-e));
			return KV_EXIT_FAIL;
		}
	}
	if (kv_json_output)
		arr = json_object_new_array();
	if (pin) {
		e = show_dir(pin, want, arr);
		if (e < 0) {
			kv_err("cannot read the egress maps pinned in %s: %s", pin, strerror(-e));
			json_object_put(arr);
			return e == -EACCES || e == -EPERM ? KV_EXIT_ENV : KV_EXIT_FAIL;
		}
		shown = e;
		dirs = 1;
	} else {
		struct dirent *de;
		DIR *d;

		e = show_dir(KV_PIN_DIR, want, arr);
		if (e == -EACCES || e == -EPERM) {
			kv_err("reading %s needs root (or CAP_BPF)", KV_PIN_DIR);
			json_object_put(arr);
			return KV_EXIT_ENV;
		}
		if (e >= 0) {
			shown += e;
			dirs++;
		}
		d = opendir(KV_PIN_DIR_RUNS);
		while (d && (de = readdir(d))) {
			char dir[PATH_MAX];

			if (de->d_name[0] == '.')
				continue;
			snprintf(dir, sizeof(dir), "%s/%s", KV_PIN_DIR_RUNS, de->d_name);
			e = show_dir(dir, want, arr);
			if (e >= 0) {
				shown += e;
				dirs++;
			}
		}
		if (d)
			closedir(d);
	}
	if (arr) {
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	}
	if (!dirs) {
		kv_err("no pinned egress maps (is kavachos-load running, or a kavachos run?)");
		return KV_EXIT_FAIL;
	}
	if (want && !shown) {
		kv_err("session %s has no egress entries in the maps (ended, or not a session)",
		       argv[optind]);
		return KV_EXIT_FAIL;
	}
	if (!shown && !kv_json_output)
		printf("no session has egress entries\n");
	return KV_EXIT_OK;
}

int cmd_egress(int argc, char **argv)
{
	static const struct kv_cmd verbs[] = {
		{ "show", do_show, "the live allowlist of a session" },
		{ "help", do_help, "this help" },
		{ 0 },
	};

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return do_help(0, NULL) == KV_EXIT_OK && argc < 2 ? KV_EXIT_USAGE : KV_EXIT_OK;
	return kv_cmd_dispatch(verbs, argc - 1, argv + 1, "egress");
}
