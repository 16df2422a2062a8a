// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kvtest.h"
#include "profile/profile.h"
#include "receipts/store.h"
#include "test_receipt_util.h"

void rc_buf_put(struct rc_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

int rc_write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), err;

	if (fd < 0)
		return -errno;
	err = kv_store_write_all(fd, p, n, NULL);
	close(fd);
	return err;
}

static struct json_object *obj(void)
{
	return json_object_new_object();
}

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

#define S(x) json_object_new_string(x)
#define I(x) json_object_new_int64(x)
#define U(x) json_object_new_uint64(x)

/* The event mix of one round: every violation class, an allowed NOTIFY, a
 * non-violation, strings that need escapes, integers at the 64-bit edges. */
static int round_of_events(struct kv_chain *ch, unsigned r, uint64_t *kernel)
{
	struct json_object *f, *a;
	int err = 0, i;

	f = obj();
	add(f, "class", S("syscall"));
	add(f, "comm", S("agent"));
	add(f, "nr", I(101));
	add(f, "syscall", S("ptrace"));
	add(f, "ret", I(-1));
	a = json_object_new_array();
	for (i = 0; i < 6; i++)
		json_object_array_add(a, U(i == 5 ? UINT64_MAX : (uint64_t)i * 0x1000));
	add(f, "args", a);
	err = err ? err : kv_chain_append(ch, "SECCOMP_BLOCK", f, 1000 + r);
	kernel[KV_CLASS_SYSCALL]++;

	f = obj();
	add(f, "class", S("egress"));
	add(f, "address", S("203.0.113.7"));
	add(f, "port", I(443));
	add(f, "hook", S("connect4"));
	err = err ? err : kv_chain_append(ch, "EGRESS_DENY", f, 0);
	kernel[KV_CLASS_EGRESS]++;

	f = obj();
	add(f, "class", S("file"));
	add(f, "path", S("/etc/shadow \"quoted\" back\\slash tab\t newline\n bell\a"));
	add(f, "errno", I(13));
	err = err ? err : kv_chain_append(ch, "LSM_DENY", f, 0);
	kernel[KV_CLASS_FILE]++;

	f = obj();
	add(f, "class", S("process"));
	add(f, "hook", I(8));
	add(f, "target", U(1));
	err = err ? err : kv_chain_append(ch, "LSM_DENY", f, 0);
	kernel[KV_CLASS_PROCESS]++;

	f = obj();
	add(f, "decision", S("deny"));
	add(f, "syscall", S("bpf"));
	err = err ? err : kv_chain_append(ch, "NOTIFY_DECISION", f, 0);
	kernel[KV_CLASS_NOTIFY]++;

	f = obj();
	add(f, "decision", S("allow"));
	add(f, "syscall", S("mount"));
	err = err ? err : kv_chain_append(ch, "NOTIFY_DECISION", f, 0);

	f = obj();
	add(f, "filename", S("/usr/bin/curl"));
	add(f, "ppid", I(-2147483648LL));
	err = err ? err : kv_chain_append(ch, "EXEC_DENY", f, 0);
	kernel[KV_CLASS_EXEC]++;

	f = obj();
	add(f, "rule", S("Agent reads sensitive file — ünïcødé ✓ 🚫"));
	add(f, "priority", S("Warning"));
	a = obj();
	add(a, "fd.name", S("/etc/shadow"));
	add(a, "proc.cmdline", json_object_new_string_len("cat\0x", 5));
	add(a, "nothing", NULL);
	add(a, "yes", json_object_new_boolean(1));
	add(f, "output_fields", a);
	err = err ? err : kv_chain_append(ch, "FALCO_ALERT", f, 0);
	kernel[KV_CLASS_FALCO]++;

	f = obj();
	add(f, "from", S("OPEN"));
	add(f, "to", S("THROTTLED"));
	add(f, "min", I(INT64_MIN));
	err = err ? err : kv_chain_append(ch, "GATE_TRANSITION", f, 0);
	return err;
}

int rc_make(struct rc_chain *c, const char *sub, const struct rc_spec *spec)
{
	struct rc_spec def = {0};
	struct kv_chain_opts o = {.session_id = RC_SESSION};
	struct json_object *g, *end, *kc, *argv;
	struct kv_chain *ch;
	char keypath[PATH_MAX];
	unsigned r, cl;
	int err, cerr;

	memset(c, 0, sizeof(*c));
	if (!spec)
		spec = &def;
	snprintf(c->state_dir, sizeof(c->state_dir), "%s/%s", kvtest_tmpdir(), sub);
	o.state_dir = c->state_dir;
	o.checkpoint_every = spec->checkpoint_every ? spec->checkpoint_every : 4;
	o.checkpoint_secs = 3600;
	g = obj();
	argv = json_object_new_array();
	json_object_array_add(argv, S("agent"));
	json_object_array_add(argv, S("--task=fix \"bug\""));
	add(g, "argv", argv);
	add(g, "binary", S("/usr/bin/agent"));
	add(g, "trust_mask", I(0xFF));
	add(g, "domain", S("general"));
	add(g, "depth", I(1));
	add(g, "strict_exec", json_object_new_boolean(0));
	add(g, "uid", I(1000));
	if (spec->profile || spec->profile_sha256) {
		struct kv_profile_input in = {.trust_mask = 0xFF, .depth = 1};
		struct kv_profile *p;
		char hex[65], perr[256];

		add(g, "profile_origin", S("generated"));
		add(g, "extra_allow", json_object_new_array());
		add(g, "extra_deny", json_object_new_array());
		err = kv_profile_build(&in, &p, perr, sizeof(perr));
		if (err) {
			fprintf(stderr, "  kv_profile_build: %s\n", perr);
			json_object_put(g);
			return err;
		}
		err = kv_profile_hash(p, hex);
		kv_profile_free(p);
		if (err)
			return err;
		add(g, "profile_sha256", S(spec->profile_sha256 ? spec->profile_sha256 : hex));
	}
	err = kv_chain_create(&o, g, &ch);
	if (err)
		return err;
	for (r = 0; !err && r < (spec->rounds ? spec->rounds : 3); r++)
		err = round_of_events(ch, r, c->kernel);
	if (!err && spec->events_lost_any) {
		struct json_object *f = obj();

		add(f, "count", U(spec->events_lost_any));
		add(f, "reason", S("ringbuf_full"));
		err = kv_chain_append(ch, "EVENTS_LOST", f, 0);
	}
	if (!err && spec->events_lost_class_count) {
		struct json_object *f = obj();

		add(f, "class", S(kv_class_name((unsigned)spec->events_lost_class)));
		add(f, "count", U(spec->events_lost_class_count));
		err = kv_chain_append(ch, "EVENTS_LOST", f, 0);
	}
	end = obj();
	kc = obj();
	for (cl = 0; cl < KV_CLASS_MAX; cl++) {
		c->kernel[cl] += (uint64_t)spec->kernel_extra[cl];
		add(kc, kv_class_name(cl), U(c->kernel[cl]));
	}
	add(end, "kernel_counts", kc);
	add(end, "events_lost", U(0));
	add(end, "events_suppressed", U(0));
	add(end, "exit_status", I(0));
	cerr = kv_chain_close(ch, end);
	if (err || cerr)
		return err ? err : cerr;
	err = kv_receipt_pubkey_path(c->state_dir, keypath, sizeof(keypath));
	if (!err)
		err = kv_receipt_pubkey_load(keypath, &c->key, NULL, 0);
	if (!err)
		err = kv_store_session_path(c->path, sizeof(c->path), c->state_dir, RC_SESSION);
	return err ? err : rc_load(c);
}

int rc_load(struct rc_chain *c)
{
	size_t i, n = 0;
	int err;

	free(c->data);
	free(c->off);
	c->off = NULL;
	err = kv_store_read(c->path, &c->data, &c->len);
	if (err)
		return err;
	for (i = 0; i < c->len; i++)
		n += c->data[i] == '\n';
	c->off = calloc(n + 1, sizeof(*c->off));
	c->n = 0;
	for (i = 0; i < c->len; i++)
		if (c->data[i] == '\n')
			c->off[++c->n] = i + 1;
	return 0;
}

void rc_free(struct rc_chain *c)
{
	free(c->data);
	free(c->off);
	kv_receipt_key_free(c->key);
	memset(c, 0, sizeof(*c));
}

enum kv_verdict rc_audit(const struct rc_chain *c, const char *data, size_t len,
			 struct kv_audit_result *r)
{
	struct kv_audit_opts o = {.session_id = RC_SESSION, .key = c->key};

	if (kv_audit_buffer(data, len, &o, r))
		return KV_VERDICT_MAX;
	return r->verdict;
}

int rc_view(const struct rc_chain *c, size_t i, struct kv_receipt_view *v)
{
	return kv_receipt_parse(c->data + c->off[i], c->off[i + 1] - c->off[i] - 1, v, NULL, 0);
}

bool rc_is(const struct rc_chain *c, size_t i, const char *type)
{
	struct kv_receipt_view v;

	return !rc_view(c, i, &v) && v.type_len == strlen(type) &&
	       !memcmp(v.type, type, v.type_len);
}

int rc_reseal(const struct kv_receipt_view *v, uint64_t seq, const char *prev, const char *payload,
	      size_t plen, struct rc_buf *out, char hash[KV_SHA256_HEX])
{
	char session[KV_SESSION_ID_MAX + 1], type[KV_RECEIPT_TYPE_MAX + 1], prevz[KV_SHA256_HEX];
	struct kv_receipt_in in = {.session = session,
				   .seq = seq,
				   .ktime_ns = v->ktime_ns,
				   .wall_ns = v->wall_ns,
				   .prev = prevz,
				   .type = type,
				   .payload = payload ? payload : v->payload,
				   .payload_len = payload ? plen : v->payload_len};
	struct kv_receipt_buf b;
	int err;

	snprintf(session, sizeof(session), "%.*s", (int)v->session_len, v->session);
	snprintf(type, sizeof(type), "%.*s", (int)v->type_len, v->type);
	snprintf(prevz, sizeof(prevz), "%.64s", prev ? prev : v->prev);
	err = kv_receipt_buf_init(&b);
	if (err)
		return err;
	err = kv_receipt_seal(&b, &in, hash);
	if (!err)
		rc_buf_put(out, b.p, b.len);
	kv_receipt_buf_free(&b);
	return err;
}
