// SPDX-License-Identifier: BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "common/parse.h"
#include "daemon/conf.h"
#include "egress/resolve_cache.h"
#include "kv_egress.h"

void kv_daemon_conf_defaults(struct kv_daemon_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->cgroup, sizeof(c->cgroup), "kavachos");
	snprintf(c->pin_dir, sizeof(c->pin_dir), "/sys/fs/bpf/kavachos");
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/kavachos");
	snprintf(c->control_socket, sizeof(c->control_socket), "/run/kavachos/control.sock");
	c->ringbuf_bytes = 4u << 20;
	c->event_rate = 2000;
	c->tracepoint_linger_s = 30;
	c->gate_throttle = 1;
	c->gate_crack = 3;
	c->gate_lock = 10;
	c->gate_burst = 5;
	c->gate_burst_window_s = 60;
	snprintf(c->receipts_sync, sizeof(c->receipts_sync), "group");
	c->receipts_batch_max = 256;
	c->receipts_batch_delay_ms = 10;
	c->checkpoint_every = 1000;
	c->checkpoint_secs = 10;
	c->egress_max_entries = KV_EGRESS_DEF_ENTRIES;
	c->egress_resolve_cache_secs = KV_RESOLVE_CACHE_OK_SECS;
}

enum kind { K_PATH, K_STR, K_U32, K_POW2, K_SYNC };

/* The keys as data: name, kind, where, bounds. */
static const struct key {
	const char *name;
	enum kind kind;
	size_t off, size;
	uint32_t min, max;
} keys[] = {
#define P(n, f) { n, K_PATH, offsetof(struct kv_daemon_conf, f), sizeof(((struct kv_daemon_conf *)0)->f), 0, 0 }
#define U(n, f, lo, hi) { n, K_U32, offsetof(struct kv_daemon_conf, f), 0, lo, hi }
	P("cgroup", cgroup),
	P("pin_dir", pin_dir),
	P("state_dir", state_dir),
	P("control_socket", control_socket),
	{ "control_group", K_STR, offsetof(struct kv_daemon_conf, control_group), 64, 0, 0 },
	{ "ringbuf_bytes", K_POW2, offsetof(struct kv_daemon_conf, ringbuf_bytes), 0, 4096, 1u << 30 },
	U("event_rate", event_rate, 0, 10000000),
	U("tracepoint.linger_secs", tracepoint_linger_s, 0, 86400),
	U("gate.throttle", gate_throttle, 0, 1000000),
	U("gate.crack", gate_crack, 0, 1000000),
	U("gate.lock", gate_lock, 0, 1000000),
	U("gate.burst", gate_burst, 0, 1000000),
	U("gate.burst_window_s", gate_burst_window_s, 1, 86400),
	{ "receipts.sync", K_SYNC, offsetof(struct kv_daemon_conf, receipts_sync), 8, 0, 0 },
	U("receipts.batch_max", receipts_batch_max, 1, 1000000),
	U("receipts.batch_delay_ms", receipts_batch_delay_ms, 1, 10000),
	U("receipts.checkpoint_every", checkpoint_every, 1, 100000000),
	U("receipts.checkpoint_secs", checkpoint_secs, 1, 86400),
	U("egress.max_entries", egress_max_entries, 16, 10000000),
	U("egress.resolve_cache_secs", egress_resolve_cache_secs, 0, 3600),
#undef P
#undef U
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int set_key(struct kv_daemon_conf *c, const struct key *k, const char *val, char *why,
		   size_t wlen)
{
	char *dst = (char *)c + k->off;
	uint32_t v;

	switch (k->kind) {
	case K_PATH:
		if (val[0] != '/' && strcmp(k->name, "cgroup")) {
			snprintf(why, wlen, "must be an absolute path");
			return -EINVAL;
		}
		/* fall through */
	case K_STR:
		if (!*val || strlen(val) >= k->size) {
			snprintf(why, wlen, "must be 1 to %zu characters", k->size - 1);
			return -EINVAL;
		}
		snprintf(dst, k->size, "%s", val);
		return 0;
	case K_SYNC:
		if (strcmp(val, "group") && strcmp(val, "none") && strcmp(val, "each")) {
			snprintf(why, wlen, "must be group, none or each");
			return -EINVAL;
		}
		snprintf(dst, k->size, "%s", val);
		return 0;
	case K_U32:
	case K_POW2:
		if (kv_parse_u32(val, &v) || v < k->min || v > k->max) {
			snprintf(why, wlen, "must be an integer from %u to %u", k->min, k->max);
			return -EINVAL;
		}
		if (k->kind == K_POW2 && (v & (v - 1))) {
			snprintf(why, wlen, "must be a power of two");
			return -EINVAL;
		}
		memcpy(dst, &v, sizeof(v));
		return 0;
	}
	return -EINVAL;
}

int kv_daemon_conf_load(const char *path, int missing_ok, struct kv_daemon_conf *c, char *err,
			size_t errlen)
{
	char line[PATH_MAX + 128], why[128];
	int lineno = 0, e = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		if (errno == ENOENT && missing_ok)
			return 0;
		e = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return e;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s, *eq, *key, *val;
		size_t i;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			e = -EINVAL;
			break;
		}
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
			e = -EINVAL;
			break;
		}
		*eq = 0;
		key = trim(s);
		val = trim(eq + 1);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(keys[i].name, key))
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			snprintf(err, errlen, "%s:%d: unknown key '%s'", path, lineno, key);
			e = -EINVAL;
			break;
		}
		if (set_key(c, &keys[i], val, why, sizeof(why))) {
			snprintf(err, errlen, "%s:%d: %s = '%s': %s", path, lineno, key, val, why);
			e = -EINVAL;
			break;
		}
	}
	fclose(f);
	if (!e && c->gate_crack && c->gate_throttle > c->gate_crack) {
		snprintf(err, errlen, "%s: gate.throttle (%u) is above gate.crack (%u)", path,
			 c->gate_throttle, c->gate_crack);
		e = -EINVAL;
	}
	if (!e && c->gate_lock && c->gate_crack > c->gate_lock) {
		snprintf(err, errlen, "%s: gate.crack (%u) is above gate.lock (%u)", path,
			 c->gate_crack, c->gate_lock);
		e = -EINVAL;
	}
	return e;
}
