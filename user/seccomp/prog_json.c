// SPDX-License-Identifier: BSD-2-Clause
/* A compiled filter pair as the daemon hands it to its client, and the
 * client's checks before it loads one. */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include "seccomp/seccomp_int.h"

#define INSN_SIZE sizeof(struct sock_filter)

int kv_seccomp_prog_digest(const struct kv_seccomp_prog *prog, uint8_t out[KV_SHA256_LEN])
{
	size_t nm = prog->n_main * INSN_SIZE, ng = prog->n_guard * INSN_SIZE;
	uint8_t *buf = malloc(nm + ng + 2), *p;
	int rc;

	if (!buf)
		return -ENOMEM;
	p = buf;
	if (nm)
		memcpy(p, prog->main, nm);
	p += nm;
	if (ng)
		memcpy(p, prog->guard, ng);
	p += ng;
	*p++ = (uint8_t)prog->flags;
	*p++ = prog->notify;
	rc = kv_sha256(buf, (size_t)(p - buf), out);
	free(buf);
	return rc;
}

static int dup_insns(const struct sock_filter *from, size_t n, struct sock_filter **to)
{
	*to = NULL;
	if (!n)
		return 0;
	*to = malloc(n * INSN_SIZE);
	if (!*to)
		return -ENOMEM;
	memcpy(*to, from, n * INSN_SIZE);
	return 0;
}

int kv_seccomp_prog_copy(const struct kv_seccomp_prog *from, const struct kv_profile *p,
			 int handoff_sock, struct kv_seccomp_prog **out)
{
	struct kv_seccomp_prog *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -ENOMEM;
	*c = *from;
	c->main = c->guard = NULL;
	c->profile = p;
	c->handoff_sock = handoff_sock;
	if (dup_insns(from->main, from->n_main, &c->main) ||
	    dup_insns(from->guard, from->n_guard, &c->guard)) {
		kv_seccomp_prog_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

static struct json_object *insns_hex(const struct sock_filter *f, size_t n)
{
	char *hex = malloc(2 * n * INSN_SIZE + 1);
	struct json_object *o;

	if (!hex)
		return NULL;
	kv_hex((const uint8_t *)f, n * INSN_SIZE, hex);
	o = json_object_new_string(hex);
	free(hex);
	return o;
}

struct json_object *kv_seccomp_prog_json(const struct kv_seccomp_prog *prog)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "key", json_object_new_string(prog->key));
	json_object_object_add(o, "main", insns_hex(prog->main, prog->n_main));
	json_object_object_add(o, "guard", insns_hex(prog->guard, prog->n_guard));
	json_object_object_add(o, "flags", json_object_new_int64(prog->flags));
	json_object_object_add(o, "notify", json_object_new_boolean(prog->notify));
	return o;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* hex of whole instructions, at most the kernel's BPF_MAXINSNS of them */
static int hex_insns(struct json_object *s, bool required, struct sock_filter **out, size_t *n)
{
	const char *h;
	size_t len, i;
	uint8_t *b;

	*out = NULL;
	*n = 0;
	if (!s || !json_object_is_type(s, json_type_string))
		return -EINVAL;
	h = json_object_get_string(s);
	len = (size_t)json_object_get_string_len(s);
	if (len % (2 * INSN_SIZE) || len / (2 * INSN_SIZE) > BPF_MAXINSNS ||
	    (required && !len))
		return -EINVAL;
	if (!len)
		return 0;
	b = malloc(len / 2);
	if (!b)
		return -ENOMEM;
	for (i = 0; i < len / 2; i++) {
		int hi = nibble(h[2 * i]), lo = nibble(h[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(b);
			return -EINVAL;
		}
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	*out = (struct sock_filter *)b;
	*n = len / (2 * INSN_SIZE);
	return 0;
}

int kv_seccomp_prog_from_json(struct json_object *o, const struct kv_profile *p,
			      int handoff_sock, struct kv_seccomp_prog **out)
{
	const unsigned allowed = SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW;
	struct json_object *key, *main, *guard, *flags, *notify;
	struct kv_seccomp_prog *prog;
	char mine[KV_SHA256_HEX];
	int64_t fl;
	int rc;

	*out = NULL;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "key", &key) ||
	    !json_object_object_get_ex(o, "main", &main) ||
	    !json_object_object_get_ex(o, "guard", &guard) ||
	    !json_object_object_get_ex(o, "flags", &flags) ||
	    !json_object_object_get_ex(o, "notify", &notify) ||
	    !json_object_is_type(key, json_type_string) ||
	    !json_object_is_type(flags, json_type_int) ||
	    !json_object_is_type(notify, json_type_boolean))
		return -EINVAL;
	fl = json_object_get_int64(flags);
	if (fl < 0 || (fl & ~(int64_t)allowed))
		return -EINVAL;
	/* the same inputs and libseccomp, or we compile ourselves */
	rc = kv_seccomp_key(p, handoff_sock, mine);
	if (rc)
		return rc;
	if (strcmp(mine, json_object_get_string(key)))
		return -EKEYREJECTED;
	prog = calloc(1, sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	prog->profile = p;
	prog->handoff_sock = handoff_sock;
	prog->flags = (unsigned)fl;
	prog->notify = json_object_get_boolean(notify);
	memcpy(prog->key, mine, sizeof(prog->key));
	rc = hex_insns(main, true, &prog->main, &prog->n_main);
	rc = rc ?: hex_insns(guard, false, &prog->guard, &prog->n_guard);
	if (rc) {
		kv_seccomp_prog_free(prog);
		return rc;
	}
	*out = prog;
	return 0;
}
