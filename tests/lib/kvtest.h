/* SPDX-License-Identifier: BSD-2-Clause */
/* A small test harness in the style of the kernel's selftests/bpf:
 * tests are registered by file (KV_TEST(name) -> "file/name"), each runs in
 * its own forked child (a test may install seccomp filters, join cgroups or
 * namespaces, and must not leak that into the next), and ASSERT_* return
 * bool with a tag so a check and its bail-out fit on one line:
 *
 *	if (!ASSERT_OK(err, "load")) goto out;
 *
 * The runner's last line is "N passed, N failed, N skipped". */
#ifndef KVTEST_H
#define KVTEST_H
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct kvtest {
	const char *file;
	const char *name;
	void (*fn)(void);
	struct kvtest *next;
};

void kvtest_register(struct kvtest *t);
void kvtest_fail(void);
/* Mark the running test as skipped, with the reason printed. */
void test__skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Path of a freshly made temporary directory for this test (removed after). */
const char *kvtest_tmpdir(void);
/* Absolute path of the repo's build output dir (binaries under test). */
const char *kvtest_build_dir(void);

#define KVTEST_BASENAME (strrchr(__FILE__, '/') ? strrchr(__FILE__, '/') + 1 : __FILE__)

#define KV_TEST(tname)                                                        \
	static void kvtest_fn_##tname(void);                                  \
	static struct kvtest kvtest_##tname = { .name = #tname,               \
						.fn = kvtest_fn_##tname };    \
	__attribute__((constructor)) static void kvtest_reg_##tname(void)     \
	{                                                                     \
		kvtest_##tname.file = KVTEST_BASENAME;                        \
		kvtest_register(&kvtest_##tname);                             \
	}                                                                     \
	static void kvtest_fn_##tname(void)

#define KV__FAIL(tag, fmt, ...)                                                  \
	(fprintf(stderr, "  %s:%d: %s: " fmt "\n", KVTEST_BASENAME, __LINE__, tag, \
		 ##__VA_ARGS__),                                                 \
	 kvtest_fail(), false)

#define ASSERT_TRUE(cond, tag) ((cond) ? true : KV__FAIL(tag, "expected true: %s", #cond))
#define ASSERT_FALSE(cond, tag) (!(cond) ? true : KV__FAIL(tag, "expected false: %s", #cond))

#define ASSERT_EQ(a, b, tag)                                                          \
	({                                                                            \
		long long kv_a = (long long)(a), kv_b = (long long)(b);               \
		kv_a == kv_b ? true : KV__FAIL(tag, "%s=%lld != %s=%lld", #a, kv_a, #b, kv_b); \
	})
#define ASSERT_NEQ(a, b, tag)                                                         \
	({                                                                            \
		long long kv_a = (long long)(a), kv_b = (long long)(b);               \
		kv_a != kv_b ? true : KV__FAIL(tag, "%s == %s == %lld", #a, #b, kv_a); \
	})
#define ASSERT_GE(a, b, tag)                                                          \
	({                                                                            \
		long long kv_a = (long long)(a), kv_b = (long long)(b);               \
		kv_a >= kv_b ? true : KV__FAIL(tag, "%s=%lld < %s=%lld", #a, kv_a, #b, kv_b); \
	})
#define ASSERT_LT(a, b, tag)                                                          \
	({                                                                            \
		long long kv_a = (long long)(a), kv_b = (long long)(b);               \
		kv_a < kv_b ? true : KV__FAIL(tag, "%s=%lld >= %s=%lld", #a, kv_a, #b, kv_b); \
	})
#define ASSERT_LE(a, b, tag)                                                          \
	({                                                                            \
		long long kv_a = (long long)(a), kv_b = (long long)(b);               \
		kv_a <= kv_b ? true : KV__FAIL(tag, "%s=%lld > %s=%lld", #a, kv_a, #b, kv_b); \
	})
/* 0 is success; a negative errno or -1 with errno set is failure. */
#define ASSERT_OK(err, tag)                                                     \
	({                                                                      \
		long long kv_e = (long long)(err);                              \
		kv_e == 0 ? true : KV__FAIL(tag, "unexpected error %lld (errno %d: %s)", \
					    kv_e, errno, strerror(errno));      \
	})
#define ASSERT_ERR(err, tag)                                                    \
	({                                                                      \
		long long kv_e = (long long)(err);                              \
		kv_e != 0 ? true : KV__FAIL(tag, "unexpected success");          \
	})
#define ASSERT_OK_PTR(p, tag) ((p) ? true : KV__FAIL(tag, "unexpected NULL (errno %d: %s)", errno, strerror(errno)))
#define ASSERT_NULL(p, tag) (!(p) ? true : KV__FAIL(tag, "expected NULL"))
#define ASSERT_STREQ(a, b, tag)                                                      \
	({                                                                           \
		const char *kv_a = (a), *kv_b = (b);                                 \
		(kv_a && kv_b && !strcmp(kv_a, kv_b)) ? true                         \
			: KV__FAIL(tag, "\"%s\" != \"%s\"", kv_a ? kv_a : "(null)", kv_b ? kv_b : "(null)"); \
	})
#define ASSERT_HAS_SUBSTR(hay, needle, tag)                                            \
	({                                                                             \
		const char *kv_h = (hay), *kv_n = (needle);                            \
		(kv_h && kv_n && strstr(kv_h, kv_n)) ? true                            \
			: KV__FAIL(tag, "\"%s\" not found in \"%.400s\"", kv_n, kv_h ? kv_h : "(null)"); \
	})
#endif
