// SPDX-License-Identifier: BSD-2-Clause
/* The hot event types written straight into canonical JSON (the same bytes
 * decode.c + kv_json_canonical would give), so a flood of violations is
 * sealed without building a json-c tree per event. Anything unusual (a
 * comm with non-ASCII bytes) returns -EAGAIN: the caller takes the json-c
 * path, which handles every case. test_events checks both agree. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <seccomp.h>
#include "events/events.h"
#include "kv_events.h"
#include "kv_session.h"

struct out {
	char *p;
	size_t len, cap;
	int err;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->err)
		return;
	if (o->len + n >= o->cap) {
		o->err = -ENOSPC;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = 0;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putf(struct out *o, const char *fmt, long long v)
{
	char b[32];

	put(o, b, (size_t)snprintf(b, sizeof(b), fmt, v));
}

static void putu(struct out *o, unsigned long long v)
{
	char b[32];

	put(o, b, (size_t)snprintf(b, sizeof(b), "%llu", v));
}

/* A kernel char array as a canonical JSON string; -EAGAIN for bytes that
 * need the general path (>= 0x80: UTF-8 validity is json-c's business). */
static void put_kstr(struct out *o, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = strnlen(s, max);

	put(o, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[7] = "\\u00";

		if (c >= 0x80) {
			o->err = -EAGAIN;
			return;
		}
		switch (c) {
		case '"': put(o, "\\\"", 2); break;
		case '\\': put(o, "\\\\", 2); break;
		case '\b': put(o, "\\b", 2); break;
		case '\f': put(o, "\\f", 2); break;
		case '\n': put(o, "\\n", 2); break;
		case '\r': put(o, "\\r", 2); break;
		case '\t': put(o, "\\t", 2); break;
		default:
			if (c < 0x20) {
				e[4] = hex[c >> 4];
				e[5] = hex[c & 15];
				put(o, e, 6);
			} else {
				put(o, (const char *)&c, 1);
			}
		}
	}
	put(o, "\"", 1);
}

int kv_event_canonical(const void *data, size_t size, uint64_t *session, const char **type,
		       char *buf, size_t len, uint64_t *ktime_ns)
{
	const struct kv_event_hdr *h = data;
	struct out o = { buf, 0, len, 0 };
	char *name;
	int i;

	if (size < sizeof(*h) || h->size > size)
		return -EINVAL;
	*session = h->session;
	*ktime_ns = h->ktime_ns;
	if (h->type != KV_EV_SYSCALL_DENY || h->class == KV_CLASS_NOTIFY ||
	    size < sizeof(struct kv_ev_syscall))
		return -EAGAIN; /* only the flood type has a fast path */
	{
		const struct kv_ev_syscall *e = data;

		/* keys in bytewise order: args class comm nr pid ret syscall tid uid */
		puts_(&o, "{\"args\":[");
		for (i = 0; i < 6; i++) {
			if (i)
				put(&o, ",", 1);
			putu(&o, e->args[i]);
		}
		puts_(&o, "],\"class\":\"");
		puts_(&o, kv_class_name(h->class));
		puts_(&o, "\",\"comm\":");
		put_kstr(&o, h->comm, sizeof(h->comm));
		putf(&o, ",\"nr\":%lld", e->nr);
		putf(&o, ",\"pid\":%lld", h->pid);
		putf(&o, ",\"ret\":%lld", e->ret);
		puts_(&o, ",\"syscall\":\"");
		name = e->nr >= 0 && e->nr < 0x40000000 ?
			seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, (int)e->nr) : NULL;
		puts_(&o, name ? name : "unknown");
		free(name);
		putf(&o, "\",\"tid\":%lld", h->tid);
		putf(&o, ",\"uid\":%lld}", h->uid);
		*type = "SECCOMP_BLOCK";
	}
	return o.err ? o.err : (int)o.len;
}
