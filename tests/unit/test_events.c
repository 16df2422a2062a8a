// SPDX-License-Identifier: BSD-2-Clause
/* Kernel events -> receipt fields: the fast canonical writer gives exactly
 * the bytes the json-c path gives (so both seal the same hash), it defers
 * what it cannot write, and malformed records are refused, not guessed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/canon_json.h"
#include "events/events.h"
#include "kv_events.h"
#include "kv_session.h"
#include "kvtest.h"

static void make_syscall(struct kv_ev_syscall *e, const char *comm, long nr)
{
	memset(e, 0, sizeof(*e));
	e->hdr.type = KV_EV_SYSCALL_DENY;
	e->hdr.size = sizeof(*e);
	e->hdr.session = 4242;
	e->hdr.ktime_ns = 123456789;
	e->hdr.pid = 77;
	e->hdr.tid = 78;
	e->hdr.uid = 1000;
	e->hdr.class = KV_CLASS_SYSCALL;
	memcpy(e->hdr.comm, comm, strnlen(comm, KV_COMM_LEN));
	e->nr = nr;
	e->ret = -EPERM;
	e->args[0] = 0xffffffffffffffffULL; /* above INT64_MAX: printed unsigned */
	e->args[1] = 0;
	e->args[5] = 1234;
}

static const struct {
	const char *comm;
	long nr;
	int fast; /* 1: the fast path writes it; 0: it defers (-EAGAIN) */
} cases[] = {
	{ "python3", 163, 1 },             /* acct */
	{ "we\"ird\\name", 165, 1 },        /* escapes */
	{ "tab\there\n", 83, 1 },           /* control characters */
	{ "\x01\x1f", 83, 1 },              /* \u00XX */
	{ "0123456789abcdef", 83, 1 },      /* 16 bytes, no NUL */
	{ "caf\xc3\xa9", 83, 0 },           /* UTF-8: the json-c path's business */
	{ "x32", 0x40000000 | 1, 1 },       /* x32 bit: "unknown" */
	{ "neg", -1, 1 },
};

KV_TEST(canonical_fast_path_matches_json_path)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kv_ev_syscall e;
		struct json_object *fields = NULL;
		const char *t1 = NULL, *t2 = NULL;
		uint64_t s1, s2, k1, k2;
		char buf[1024], *canon;
		int n, rc;

		make_syscall(&e, cases[i].comm, cases[i].nr);
		n = kv_event_canonical(&e, sizeof(e), &s1, &t1, buf, sizeof(buf), &k1);
		if (!cases[i].fast) {
			ASSERT_EQ(n, -EAGAIN, cases[i].comm);
			continue;
		}
		if (!ASSERT_GE(n, 2, cases[i].comm))
			continue;
		rc = kv_event_decode(&e, sizeof(e), &s2, &t2, &fields, &k2);
		if (!ASSERT_OK(rc, "decode"))
			continue;
		canon = kv_json_canonical(fields, NULL);
		ASSERT_STREQ(buf, canon, cases[i].comm);
		ASSERT_STREQ(t1, t2, "type");
		ASSERT_EQ(s1, s2, "session");
		ASSERT_EQ(k1, k2, "ktime");
		free(canon);
		json_object_put(fields);
	}
}

KV_TEST(malformed_records_refused)
{
	struct kv_ev_syscall e;
	struct json_object *fields = NULL;
	const char *t;
	uint64_t s, k;
	char buf[64];

	make_syscall(&e, "x", 1);
	ASSERT_EQ(kv_event_decode(&e, sizeof(e.hdr) - 1, &s, &t, &fields, &k), -EINVAL, "short");
	e.hdr.size = sizeof(e) + 100; /* claims more than it is */
	ASSERT_EQ(kv_event_decode(&e, sizeof(e), &s, &t, &fields, &k), -EINVAL, "size_lie");
	make_syscall(&e, "x", 1);
	e.hdr.type = 999;
	ASSERT_EQ(kv_event_decode(&e, sizeof(e), &s, &t, &fields, &k), -EINVAL, "unknown_type");
	make_syscall(&e, "x", 1);
	ASSERT_EQ(kv_event_canonical(&e, sizeof(e), &s, &t, buf, sizeof(buf), &k), -ENOSPC, "small_buffer");
	e.hdr.class = KV_CLASS_NOTIFY; /* sealed by the supervisor instead */
	ASSERT_EQ(kv_event_decode(&e, sizeof(e), &s, &t, &fields, &k), 1, "notify_not_sealed_here");
}

/* A Landlock session's refused file call: paths bounded even without a
 * NUL, path2 and dirfd only when there are any, never a violation. */
KV_TEST(file_refused_fields)
{
	struct kv_ev_file e;
	struct json_object *f = NULL, *v;
	const char *t = NULL;
	uint64_t s, k;

	memset(&e, 0, sizeof(e));
	e.hdr.type = KV_EV_FILE_REFUSED;
	e.hdr.size = sizeof(e);
	e.hdr.class = KV_CLASS_MAX;
	e.nr = 316; /* renameat2 */
	e.err = EXDEV;
	e.dirfd = 5;
	memset(e.path, 'a', sizeof(e.path)); /* no NUL: cut at the array's end */
	strcpy(e.path2, "/ws/b");
	if (!ASSERT_OK(kv_event_decode(&e, sizeof(e), &s, &t, &f, &k), "decode"))
		return;
	ASSERT_STREQ(t, "FILE_REFUSED", "type");
	ASSERT_TRUE(json_object_object_get_ex(f, "syscall", &v) &&
		    !strcmp(json_object_get_string(v), "renameat2"), "syscall named");
	ASSERT_TRUE(json_object_object_get_ex(f, "errno_name", &v) &&
		    !strcmp(json_object_get_string(v), "EXDEV"), "errno named");
	ASSERT_TRUE(json_object_object_get_ex(f, "path", &v) &&
		    json_object_get_string_len(v) == KV_PATH_LEN, "path bounded");
	ASSERT_TRUE(json_object_object_get_ex(f, "path2", &v) &&
		    !strcmp(json_object_get_string(v), "/ws/b"), "destination");
	ASSERT_TRUE(json_object_object_get_ex(f, "dirfd", &v) && json_object_get_int(v) == 5, "dirfd");
	ASSERT_TRUE(json_object_object_get_ex(f, "class", &v) &&
		    !strcmp(json_object_get_string(v), "none"), "not a violation");
	json_object_put(f);
	f = NULL;
	e.nr = 257; /* openat */
	e.err = EACCES;
	e.dirfd = -100; /* AT_FDCWD */
	e.path2[0] = 0;
	if (ASSERT_OK(kv_event_decode(&e, sizeof(e), &s, &t, &f, &k), "decode openat")) {
		ASSERT_FALSE(json_object_object_get_ex(f, "path2", NULL), "no destination");
		ASSERT_FALSE(json_object_object_get_ex(f, "dirfd", NULL), "AT_FDCWD not written");
	}
	json_object_put(f);
	ASSERT_EQ(kv_event_decode(&e, sizeof(e) - 1, &s, &t, &f, &k), -EINVAL, "short record");
}
