// SPDX-License-Identifier: BSD-2-Clause
/* The profile engine without a kernel: inputs, tables, rules, hashes. */
#include <errno.h>
#include <stdlib.h>
#include "common/sha256.h"
#include "kvtest.h"
#include "profile/profile_int.h"

/* The rules of a profile as sorted text, one per line. */
static char *rules_text(const struct kv_profile *p)
{
	size_t n, i, len = 0;
	const struct kv_rule *r = kv_profile_rules(p, &n);
	char *out = calloc(n + 1, 160), line[160];

	for (i = 0; out && i < n; i++) {
		kv_rule_format(&r[i], line, sizeof(line));
		len += (size_t)sprintf(out + len, "%s\n", line);
	}
	return out;
}

static bool has_rule(const struct kv_profile *p, const char *rule)
{
	char *t = rules_text(p), want[200];
	bool found;

	snprintf(want, sizeof(want), "\n%s\n", rule);
	/* the first line has no newline before it */
	found = t && (strstr(t, want) || !strncmp(t, want + 1, strlen(want + 1)));
	free(t);
	return found;
}

/* Any rule at all for this syscall? */
static bool mentions(const struct kv_profile *p, const char *name)
{
	size_t n, i;
	const struct kv_rule *r = kv_profile_rules(p, &n);
	int nr = kv_syscall_nr(name);

	for (i = 0; i < n; i++)
		if (r[i].nr == nr)
			return true;
	return false;
}

static struct kv_profile *build(uint32_t mask, enum kv_domain d, uint32_t depth, bool strict)
{
	struct kv_profile_input in = { .trust_mask = mask, .domain = d, .depth = depth,
				       .strict_exec = strict };
	struct kv_profile *p = NULL;
	char err[256];

	if (!ASSERT_OK(kv_profile_build(&in, &p, err, sizeof(err)), err))
		return NULL;
	return p;
}

static bool bit(const __u64 *bm, const char *name)
{
	int nr = kv_syscall_nr(name);

	return nr >= 0 && (bm[nr / 64] >> (nr % 64)) & 1;
}

static const struct kv_group *all_groups(size_t i)
{
	static const struct kv_group *fixed[] = {
		&kv_grp_nofreeze, &kv_grp_readonly, &kv_grp_baseline, &kv_grp_notify_tier,
		&kv_grp_depth2, &kv_grp_depth3, &kv_grp_supervised_writes, &kv_grp_launch_exec,
		&kv_grp_hard, &kv_grp_hard_readonly,
	};
	size_t nf = sizeof(fixed) / sizeof(fixed[0]);

	if (i < nf)
		return fixed[i];
	i -= nf;
	if (i < 16)
		return &kv_grp_bits[i];
	i -= 16;
	if (i < KV_DOMAIN_COUNT * 8)
		return &kv_grp_domain[i / 8][i % 8];
	return NULL;
}

KV_TEST(table_names_are_x86_64_syscalls)
{
	const struct kv_group *g;
	size_t i, k, total = 0;

	for (i = 0; (g = all_groups(i)); i++) {
		for (k = 0; k < g->n; k++, total++)
			if (!ASSERT_GE(kv_syscall_nr(g->e[k].name), 0, g->e[k].name))
				return;
		if (g->n)
			ASSERT_OK_PTR(g->name, "a non-empty group has a name");
	}
	ASSERT_GE(total, 300, "tables are not empty");
}

/* Our own table against libseccomp's for every number both know. */
KV_TEST(syscall_table_agrees_with_libseccomp)
{
	int nr, checked = 0;

	for (nr = 0; nr < KV_SYSCALL_NR_MAX; nr++) {
		char *lib = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
		const char *ours = kv_syscall_name(nr);

		if (lib && ours) {
			ASSERT_STREQ(ours, lib, "name");
			checked++;
		} else if (lib) {
			ASSERT_OK_PTR(ours, lib);
		}
		free(lib);
		if (ours)
			ASSERT_EQ(kv_syscall_nr(ours), nr, ours);
	}
	ASSERT_GE(checked, 350, "numbers compared");
	ASSERT_EQ(kv_syscall_nr("no_such_call"), -1, "unknown");
	ASSERT_NULL(kv_syscall_name(-1), "negative");
	ASSERT_NULL(kv_syscall_name(KV_SYSCALL_NR_MAX), "past the end");
}

static const struct {
	const char *in;
	int rc;
	uint32_t mask;
	const char *msg;
} mask_cases[] = {
	{ "0", 0, 0 },
	{ "255", 0, 0xFF },
	{ "0xFF", 0, 0xFF },
	{ "0x00FF0000", 0, 0x00FF0000 },
	{ "0xFFFFFF", 0, 0xFFFFFF },
	{ "16777215", 0, 0xFFFFFF },
	{ "0x1000000", -EINVAL, 0, "bits 24-31 are reserved" },
	{ "0xFFFFFFFF", -EINVAL, 0, "bits 24-31 are reserved" },
	{ "0x100000000", -ERANGE, 0, "larger than 32 bits" },
	{ "abc", -EINVAL, 0, "not a number" },
	{ "", -EINVAL, 0, "not a number" },
	{ "-1", -EINVAL, 0, "not a number" },
	{ " 5", -EINVAL, 0, "not a number" },
	{ "5 ", -EINVAL, 0, "not a number" },
	{ "0xFFx", -EINVAL, 0, "not a number" },
};

KV_TEST(trust_mask_parse)
{
	size_t i;

	for (i = 0; i < sizeof(mask_cases) / sizeof(mask_cases[0]); i++) {
		uint32_t m = 0xdead;
		char err[160] = "";
		int rc = kv_trust_mask_parse(mask_cases[i].in, &m, err, sizeof(err));

		ASSERT_EQ(rc, mask_cases[i].rc, mask_cases[i].in);
		if (!rc)
			ASSERT_EQ(m, mask_cases[i].mask, mask_cases[i].in);
		else
			ASSERT_HAS_SUBSTR(err, mask_cases[i].msg, mask_cases[i].in);
	}
}

KV_TEST(domains_and_bit_names)
{
	enum kv_domain d;

	ASSERT_OK(kv_domain_parse("maritime", &d), "maritime");
	ASSERT_EQ(d, KV_DOMAIN_MARITIME, "value");
	ASSERT_EQ(kv_domain_parse("Maritime", &d), -EINVAL, "case matters");
	ASSERT_EQ(kv_domain_parse("mars", &d), -EINVAL, "unknown");
	ASSERT_STREQ(kv_domain_name(KV_DOMAIN_OT), "ot", "name");
	ASSERT_NULL(kv_domain_name(KV_DOMAIN_COUNT), "out of range");
	ASSERT_STREQ(kv_domain_list(), "general, maritime, logistics, ot, finance", "list");
	ASSERT_STREQ(kv_trust_bit_name(0), "auth", "bit 0");
	ASSERT_STREQ(kv_trust_bit_name(8), "llm", "bit 8");
	ASSERT_STREQ(kv_trust_bit_name(15), "codegen", "bit 15");
	ASSERT_NULL(kv_trust_bit_name(24), "bit 24");
	ASSERT_STREQ(kv_domain_bit_name(KV_DOMAIN_MARITIME, 16), "serial_nmea", "maritime 16");
	ASSERT_STREQ(kv_domain_bit_name(KV_DOMAIN_FINANCE, 19), "secret_mem", "finance 19");
	ASSERT_NULL(kv_domain_bit_name(KV_DOMAIN_GENERAL, 16), "general has none");
	ASSERT_NULL(kv_domain_bit_name(KV_DOMAIN_MARITIME, 15), "not a domain bit");
}

static const char *const no_names[] = { "no_such_call" };
static const char *const clone3[] = { "clone3" };
static const char *const uring[] = { "io_uring_setup" };
static const char *const openat2[] = { "openat2" };
static const char *const exit_group[] = { "exit_group" };

static const struct {
	struct kv_profile_input in;
	const char *msg;
} invalid[] = {
	{ { .trust_mask = 0x01000000, .depth = 1 }, "bits 24-31 are reserved" },
	{ { .trust_mask = 0x80000000u, .depth = 1 }, "bits 24-31 are reserved" },
	{ { .trust_mask = 0xFF, .domain = KV_DOMAIN_COUNT, .depth = 1 },
	  "valid: general, maritime, logistics, ot, finance" },
	{ { .trust_mask = 0xFF, .depth = 0 }, "must be 1 or more" },
	{ { .trust_mask = 0xFF, .depth = 1, .extra_allow = no_names, .n_extra_allow = 1 },
	  "'no_such_call' is not an x86_64 system call" },
	{ { .trust_mask = 0xFF, .depth = 1, .extra_deny = no_names, .n_extra_deny = 1 },
	  "seccomp.deny: 'no_such_call'" },
	{ { .trust_mask = 0xFF, .depth = 1, .extra_allow = clone3, .n_extra_allow = 1 },
	  "'clone3' cannot be allowed" },
	{ { .trust_mask = 0xFF, .depth = 1, .extra_allow = uring, .n_extra_allow = 1 },
	  "bypass the seccomp filter" },
	{ { .trust_mask = 0, .depth = 1, .extra_allow = openat2, .n_extra_allow = 1 },
	  "read-only profile could not tell" },
	{ { .trust_mask = 0xFF, .depth = 1, .extra_deny = exit_group, .n_extra_deny = 1 },
	  "no-freeze set" },
	{ { .trust_mask = 0xFF, .depth = 1, .n_extra_allow = 2 }, "NULL list" },
};

KV_TEST(invalid_inputs_refused)
{
	struct kv_profile *p = (void *)1;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		err[0] = 0;
		ASSERT_EQ(kv_profile_build(&invalid[i].in, &p, err, sizeof(err)), -EINVAL,
			  invalid[i].msg);
		ASSERT_NULL(p, "no profile");
		ASSERT_HAS_SUBSTR(err, invalid[i].msg, "message");
	}
	ASSERT_EQ(kv_profile_build(NULL, &p, err, sizeof(err)), -EINVAL, "NULL input");
	/* openat2 is fine to add where the profile is not read-only */
	{
		struct kv_profile_input in = { .trust_mask = 0xFF, .depth = 1,
					       .extra_allow = openat2, .n_extra_allow = 1 };

		ASSERT_OK(kv_profile_build(&in, &p, err, sizeof(err)), err);
		kv_profile_free(p);
	}
}

#define GOLDEN_FF "932e0314b77992bab7ddb5b67f9ed5ee55456c98f0e09dcebd2e50c56db36ad9"
#define GOLDEN_0 "ce49ca24c333823da8449e1090d6c824de6112ff65e887d9fe5d4dff73dd181d"
#define GOLDEN_FFFF "90ecb3311e308555737550cd34684ac0a8fe054168b51b2b406f7e89ba22ac3f"
#define GOLDEN_MARITIME "a8edb447cdaf70966cd8b0164605e958365aae7cecc15b75347c618ad1d7c22f"
#define GOLDEN_FIN_D3_STRICT "9d175715721a73685255054f3f4aba0207746782bb15cc521e7759949afa0b7b"

/* Golden hashes: a change here changes every deployed profile's identity,
 * so it must be deliberate (bump KV_PROFILE_SCHEMA_VERSION with it). */
static const struct {
	uint32_t mask;
	enum kv_domain d;
	uint32_t depth;
	bool strict;
	const char *sha256;
} golden[] = {
	{ 0x000000FF, KV_DOMAIN_GENERAL, 1, false, GOLDEN_FF },
	{ 0x00000000, KV_DOMAIN_GENERAL, 1, false, GOLDEN_0 },
	{ 0x0000FFFF, KV_DOMAIN_GENERAL, 1, false, GOLDEN_FFFF },
	{ 0x00FF0000, KV_DOMAIN_MARITIME, 1, false, GOLDEN_MARITIME },
	{ 0x0000FFFF, KV_DOMAIN_FINANCE, 3, true, GOLDEN_FIN_D3_STRICT },
};

KV_TEST(deterministic_golden_hashes)
{
	size_t i;

	for (i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		struct kv_profile *a = build(golden[i].mask, golden[i].d, golden[i].depth,
					     golden[i].strict);
		struct kv_profile *b = build(golden[i].mask, golden[i].d, golden[i].depth,
					     golden[i].strict);
		char ha[65], hb[65], *ca, *cb;
		size_t la, lb;

		if (!a || !b)
			return;
		ASSERT_OK(kv_profile_hash(a, ha), "hash");
		ASSERT_OK(kv_profile_hash(b, hb), "hash");
		ASSERT_STREQ(ha, hb, "same inputs, same hash");
		ASSERT_STREQ(ha, golden[i].sha256, "golden");
		ca = kv_profile_canonical(a, &la);
		cb = kv_profile_canonical(b, &lb);
		ASSERT_TRUE(ca && cb && la == lb && !memcmp(ca, cb, la), "byte-identical JSON");
		/* nothing host- or time-dependent in what is hashed */
		ASSERT_FALSE(strstr(ca, "libseccomp") || strstr(ca, "hostname"), "no host data");
		free(ca);
		free(cb);
		kv_profile_free(a);
		kv_profile_free(b);
	}
}

/* The hash is remembered per profile content (hash_memo.c): asked again,
 * and interleaved with other profiles, it is always the hash of that
 * profile's own canonical JSON. */
KV_TEST(remembered_hash_is_the_profiles_own)
{
	size_t i, round;

	for (round = 0; round < 3; round++)
		for (i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
			struct kv_profile *p = build(golden[i].mask, golden[i].d, golden[i].depth,
						     golden[i].strict);
			char h[65], direct[65], *c;
			size_t len;

			if (!p)
				return;
			c = kv_profile_canonical(p, &len);
			ASSERT_OK(kv_profile_hash(p, h), "hash");
			ASSERT_OK(c ? kv_sha256_hex(c, len, direct) : -ENOMEM, "direct");
			ASSERT_STREQ(h, direct, "remembered = computed");
			ASSERT_STREQ(h, golden[i].sha256, "golden");
			free(c);
			kv_profile_free(p);
		}
}

KV_TEST(extras_order_does_not_change_the_hash)
{
	static const char *const a1[] = { "sched_setattr", "flock" };
	static const char *const a2[] = { "flock", "sched_setattr", "flock" };
	static const char *const d1[] = { "mknod", "pipe" };
	static const char *const d2[] = { "pipe", "mknod" };
	struct kv_profile_input x = { .trust_mask = 0x3, .depth = 1, .extra_allow = a1,
				      .n_extra_allow = 2, .extra_deny = d1, .n_extra_deny = 2 };
	struct kv_profile_input y = { .trust_mask = 0x3, .depth = 1, .extra_allow = a2,
				      .n_extra_allow = 3, .extra_deny = d2, .n_extra_deny = 2 };
	struct kv_profile *p = NULL, *q = NULL;
	char err[256], hp[65], hq[65];

	if (!ASSERT_OK(kv_profile_build(&x, &p, err, sizeof(err)), err) ||
	    !ASSERT_OK(kv_profile_build(&y, &q, err, sizeof(err)), err))
		goto out;
	kv_profile_hash(p, hp);
	kv_profile_hash(q, hq);
	ASSERT_STREQ(hp, hq, "same set, same hash");
	ASSERT_EQ(kv_profile_input(q)->n_extra_allow, 2, "de-duplicated");
	ASSERT_TRUE(has_rule(p, "flock SCMP_ACT_ALLOW"), "added");
	ASSERT_FALSE(mentions(p, "mknod"), "removed");
	ASSERT_FALSE(mentions(p, "pipe"), "removed");
out:
	kv_profile_free(p);
	kv_profile_free(q);
}

static const char *const nofreeze_names[] = {
	"exit", "exit_group", "futex", "rt_sigreturn", "restart_syscall", "rt_sigprocmask",
	"rt_sigaction", "sigaltstack", "set_robust_list", "rseq", "set_tid_address",
	"sched_yield", "gettid", "getpid", "nanosleep", "clock_nanosleep", "munmap", "mprotect",
	"brk", "close",
};

KV_TEST(no_freeze_set_in_every_profile)
{
	static const uint32_t masks[] = { 0, 1, 0xFF, 0xFFFF, 0xFFFFFF };
	struct kv_syscall_policy pol;
	size_t m, i;
	uint32_t depth;

	for (m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
		for (depth = 1; depth <= 5; depth++) {
			struct kv_profile *p = build(masks[m], KV_DOMAIN_FINANCE, depth, depth & 1);

			if (!p)
				return;
			kv_profile_syscall_policy(p, &pol);
			for (i = 0; i < sizeof(nofreeze_names) / sizeof(nofreeze_names[0]); i++)
				ASSERT_TRUE(bit(pol.allow, nofreeze_names[i]), nofreeze_names[i]);
			kv_profile_free(p);
		}
	}
}

KV_TEST(readonly_profile)
{
	struct kv_profile *p = build(0, KV_DOMAIN_GENERAL, 1, false);
	static const char *const absent[] = {
		"creat", "socket", "socketpair", "connect", "fork", "vfork", "execveat",
		"unlink", "rename", "mkdir", "truncate", "ftruncate", "chmod", "ptrace", "bpf",
		"mount", "setns", "kill", "sendmsg", "pipe",
	};
	size_t i;

	if (!p)
		return;
	ASSERT_TRUE(kv_profile_readonly(p), "read-only");
	ASSERT_TRUE(kv_profile_launch_exec_supervised(p), "launch supervised");
	/* O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND = 0x643 */
	ASSERT_TRUE(has_rule(p, "openat SCMP_ACT_ALLOW if a2&0x643==0"), "openat read-only");
	ASSERT_TRUE(has_rule(p, "open SCMP_ACT_ALLOW if a1&0x643==0"), "open read-only");
	ASSERT_TRUE(has_rule(p, "openat2 SCMP_ACT_ERRNO(ENOSYS)"), "openat2 ENOSYS");
	ASSERT_TRUE(has_rule(p, "execve SCMP_ACT_NOTIFY"), "launch exec");
	/* CLONE_THREAD (0x10000) required, namespace flags refused */
	ASSERT_TRUE(has_rule(p, "clone SCMP_ACT_ALLOW if a0&0x7e030000==0x10000"), "threads");
	ASSERT_TRUE(has_rule(p, "write SCMP_ACT_ALLOW"), "write to open fds");
	ASSERT_TRUE(has_rule(p, "ioctl SCMP_ACT_ALLOW if a1&0xffffffff==0x5413"), "TIOCGWINSZ");
	ASSERT_FALSE(has_rule(p, "ioctl SCMP_ACT_ALLOW"), "no blanket ioctl");
	for (i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		ASSERT_FALSE(mentions(p, absent[i]), absent[i]);
	ASSERT_EQ(kv_profile_count_notify(p), 1, "only execve is supervised");
	kv_profile_free(p);
}

KV_TEST(hard_rules_in_every_profile)
{
	static const uint32_t masks[] = { 0, 0x1, 0xFF, 0xFFFF, 0xFFFFFF };
	size_t m;
	int d;

	for (m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
		for (d = 0; d < KV_DOMAIN_COUNT; d++) {
			struct kv_profile *p = build(masks[m], d, 1, false);
			struct kv_plan plan;
			char err[256];
			size_t i;
			bool tiocsti = false;

			if (!p)
				return;
			ASSERT_TRUE(has_rule(p, "clone3 SCMP_ACT_ERRNO(ENOSYS)"), "clone3");
			ASSERT_FALSE(mentions(p, "io_uring_setup"), "io_uring");
			ASSERT_FALSE(mentions(p, "io_uring_enter"), "io_uring");
			if (!ASSERT_OK(kv_profile_plan(p, &plan, err, sizeof(err)), err))
				return;
			/* with ioctl allowed, TIOCSTI (0x5412) is a guard carve-out */
			for (i = 0; i < plan.n_guard; i++)
				if (plan.guard[i].nr == kv_syscall_nr("ioctl") &&
				    plan.guard[i].args[0].b == 0x5412)
					tiocsti = true;
			if (masks[m])
				ASSERT_TRUE(tiocsti, "TIOCSTI carve-out");
			else
				ASSERT_EQ(plan.n_guard, 0, "read-only needs no guard");
			kv_plan_free(&plan);
			kv_profile_free(p);
		}
	}
}

KV_TEST(notify_tier)
{
	struct kv_profile *no_rbac = build(0x1, KV_DOMAIN_GENERAL, 1, false);
	struct kv_profile *rbac = build(0xFF, KV_DOMAIN_GENERAL, 1, false);
	const char *names[16];
	char list[256] = "";
	size_t n, i;

	if (!no_rbac || !rbac)
		goto out;
	n = kv_profile_notify_names(no_rbac, names, 16);
	for (i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s ", names[i]);
	ASSERT_STREQ(list, "bpf capset mount perf_event_open ptrace setns umount2 userfaultfd ",
		     "the SPEC's eight");
	/* rbac grants capset outright */
	ASSERT_EQ(kv_profile_count_notify(rbac), 7, "capset no longer supervised");
	ASSERT_TRUE(has_rule(rbac, "capset SCMP_ACT_ALLOW"), "capset allowed");
out:
	kv_profile_free(no_rbac);
	kv_profile_free(rbac);
}

KV_TEST(depth_levels)
{
	struct kv_profile *d1 = build(0xFFFF, KV_DOMAIN_GENERAL, 1, false);
	struct kv_profile *d2 = build(0xFFFF, KV_DOMAIN_GENERAL, 2, false);
	struct kv_profile *d3 = build(0xFFFF, KV_DOMAIN_GENERAL, 3, false);
	struct kv_profile *d4 = build(0xFFFF, KV_DOMAIN_GENERAL, 4, false);
	struct kv_profile *d9 = build(0xFFFF, KV_DOMAIN_GENERAL, 9, false);
	struct kv_profile *ro4 = build(0, KV_DOMAIN_GENERAL, 4, false);
	struct kv_syscall_policy pol;

	if (!d1 || !d2 || !d3 || !d4 || !d9 || !ro4)
		goto out;
	ASSERT_TRUE(has_rule(d1, "ptrace SCMP_ACT_NOTIFY"), "d1 ptrace supervised");
	ASSERT_TRUE(has_rule(d1, "mknod SCMP_ACT_ALLOW"), "d1 mknod");
	ASSERT_FALSE(mentions(d2, "ptrace"), "d2 no ptrace");
	ASSERT_FALSE(mentions(d2, "mknod"), "d2 no mknod");
	ASSERT_FALSE(mentions(d2, "mknodat"), "d2 no mknodat");
	ASSERT_TRUE(has_rule(d2, "fork SCMP_ACT_ALLOW"), "d2 fork");
	ASSERT_TRUE(has_rule(d2, "bpf SCMP_ACT_NOTIFY"), "d2 keeps the rest of the tier");
	ASSERT_FALSE(mentions(d3, "ptrace"), "d3 no ptrace");
	ASSERT_FALSE(mentions(d3, "fork"), "d3 no fork");
	ASSERT_FALSE(mentions(d3, "vfork"), "d3 no vfork");
	ASSERT_TRUE(has_rule(d3, "clone SCMP_ACT_ALLOW if a0&0x7e030000==0x10000"),
		    "d3 threads only");
	ASSERT_TRUE(has_rule(d3, "execve SCMP_ACT_ALLOW"), "d3 exec still allowed");
	/* >= 4: read-only, writes to the supervisor */
	ASSERT_TRUE(kv_profile_readonly(d4), "d4 read-only");
	ASSERT_TRUE(has_rule(d4, "openat SCMP_ACT_ALLOW if a2&0x643==0"), "d4 reads");
	ASSERT_TRUE(has_rule(d4, "openat SCMP_ACT_NOTIFY if a2&0x1==0x1"), "d4 O_WRONLY held");
	ASSERT_TRUE(has_rule(d4, "openat SCMP_ACT_NOTIFY if a2&0x40==0x40"), "d4 O_CREAT held");
	ASSERT_TRUE(has_rule(d4, "unlink SCMP_ACT_NOTIFY"), "d4 unlink held");
	ASSERT_FALSE(mentions(d4, "socket"), "d4 no sockets");
	ASSERT_FALSE(mentions(d4, "ptrace"), "d4 no ptrace");
	ASSERT_TRUE(has_rule(d4, "execve SCMP_ACT_NOTIFY"), "d4 launch exec only");
	kv_profile_syscall_policy(d4, &pol);
	ASSERT_TRUE(bit(pol.cond, "openat") && bit(pol.notify, "openat"), "d4 openat both");
	{
		char h4[65], h9[65];

		kv_profile_hash(d4, h4);
		kv_profile_hash(d9, h9);
		/* same rules, but the recorded depth differs */
		ASSERT_FALSE(!strcmp(h4, h9), "depth is part of the identity");
	}
	/* mask 0 stays read-only: nothing is supervised but the launch */
	ASSERT_FALSE(mentions(ro4, "unlink"), "ro4 unlink refused");
	ASSERT_EQ(kv_profile_count_notify(ro4), 1, "ro4 launch only");
out:
	kv_profile_free(d1);
	kv_profile_free(d2);
	kv_profile_free(d3);
	kv_profile_free(d4);
	kv_profile_free(d9);
	kv_profile_free(ro4);
}

KV_TEST(strict_exec)
{
	struct kv_profile *p = build(0xFFFF, KV_DOMAIN_GENERAL, 1, true);

	if (!p)
		return;
	ASSERT_TRUE(has_rule(p, "execve SCMP_ACT_NOTIFY"), "execve supervised");
	ASSERT_FALSE(mentions(p, "execveat"), "execveat gone despite codegen");
	ASSERT_TRUE(kv_profile_launch_exec_supervised(p), "flag");
	ASSERT_FALSE(kv_profile_readonly(p), "still writable");
	kv_profile_free(p);
}

KV_TEST(syscall_policy_bitmaps)
{
	struct kv_profile *p = build(0xFF, KV_DOMAIN_GENERAL, 1, false);
	struct kv_profile *ro = build(0, KV_DOMAIN_GENERAL, 1, false);
	struct kv_syscall_policy pol;

	if (!p || !ro)
		goto out;
	kv_profile_syscall_policy(p, &pol);
	ASSERT_TRUE(bit(pol.allow, "read"), "read allowed");
	ASSERT_TRUE(bit(pol.allow, "openat"), "openat allowed");
	ASSERT_TRUE(bit(pol.cond, "ioctl") && !bit(pol.allow, "ioctl"), "ioctl has carve-outs");
	ASSERT_TRUE(bit(pol.cond, "socket"), "socket conditional");
	ASSERT_TRUE(bit(pol.cond, "clone"), "clone conditional");
	ASSERT_TRUE(bit(pol.notify, "ptrace") && !bit(pol.allow, "ptrace"), "ptrace notify");
	ASSERT_FALSE(bit(pol.allow, "kexec_load") || bit(pol.cond, "kexec_load"), "kexec");
	ASSERT_FALSE(bit(pol.allow, "clone3") || bit(pol.cond, "clone3"), "clone3");
	kv_profile_syscall_policy(ro, &pol);
	ASSERT_TRUE(bit(pol.allow, "write"), "ro write");
	ASSERT_TRUE(bit(pol.cond, "openat") && !bit(pol.allow, "openat"), "ro openat cond");
	ASSERT_TRUE(bit(pol.notify, "execve"), "ro execve notify");
	ASSERT_FALSE(bit(pol.allow, "socket") || bit(pol.cond, "socket"), "ro socket");
out:
	kv_profile_free(p);
	kv_profile_free(ro);
}

/* Every combination the engine can produce must be expressible as filters:
 * no rule libseccomp would drop, carve-outs only ever deny. */
KV_TEST(every_profile_plans)
{
	int d, b, depth, strict, n = 0;

	for (d = 0; d < KV_DOMAIN_COUNT; d++)
		for (b = -1; b < 24; b++)
			for (depth = 1; depth <= 4; depth++)
				for (strict = 0; strict < 2; strict++) {
					uint32_t mask = b < 0 ? (d ? 0xFFFFFF : 0) : 1u << b;
					struct kv_profile *p = build(mask, d, depth, strict);
					struct kv_plan plan;
					char err[256];
					size_t i;

					if (!p)
						return;
					if (!ASSERT_OK(kv_profile_plan(p, &plan, err, sizeof(err)),
						       err))
						return;
					for (i = 0; i < plan.n_guard; i++)
						ASSERT_EQ(plan.guard[i].action,
							  SCMP_ACT_ERRNO(EPERM),
							  "guard denies");
					kv_plan_free(&plan);
					kv_profile_free(p);
					n++;
				}
	ASSERT_EQ(n, KV_DOMAIN_COUNT * 25 * 4 * 2, "combinations");
}

KV_TEST(oci_json_shape)
{
	struct kv_profile *p = build(0xFF, KV_DOMAIN_GENERAL, 1, false);
	struct json_object *o, *v, *meta, *sc;
	char hash[65];
	char *canon;

	if (!p)
		return;
	o = kv_profile_oci_json(p);
	if (!ASSERT_OK_PTR(o, "json"))
		goto out;
	ASSERT_TRUE(json_object_object_get_ex(o, "defaultAction", &v) &&
			    !strcmp(json_object_get_string(v), "SCMP_ACT_ERRNO"),
		    "defaultAction");
	ASSERT_TRUE(json_object_object_get_ex(o, "defaultErrnoRet", &v) &&
			    json_object_get_int(v) == EPERM,
		    "defaultErrnoRet");
	ASSERT_TRUE(json_object_object_get_ex(o, "architectures", &v) &&
			    json_object_array_length(v) == 1,
		    "x86_64 only");
	ASSERT_TRUE(json_object_object_get_ex(o, "syscalls", &sc) &&
			    json_object_array_length(sc) > 5,
		    "syscalls");
	ASSERT_TRUE(json_object_object_get_ex(o, "kavachos", &meta), "metadata");
	kv_profile_hash(p, hash);
	ASSERT_TRUE(json_object_object_get_ex(meta, "sha256", &v) &&
			    !strcmp(json_object_get_string(v), hash),
		    "sha256 in the metadata");
	canon = kv_profile_canonical(p, NULL);
	ASSERT_FALSE(canon && strstr(canon, "\"sha256\""), "hash not inside what it covers");
	ASSERT_HAS_SUBSTR(canon, "\"trust_mask\":\"0x000000ff\"", "input recorded");
	free(canon);
	json_object_put(o);
out:
	kv_profile_free(p);
}

KV_TEST(counts)
{
	struct kv_profile *ro = build(0, KV_DOMAIN_GENERAL, 1, false);
	struct kv_profile *ff = build(0xFF, KV_DOMAIN_GENERAL, 1, false);
	struct kv_profile *all = build(0xFFFFFF, KV_DOMAIN_FINANCE, 1, false);

	if (!ro || !ff || !all)
		goto out;
	ASSERT_GE(kv_profile_count_allowed(ff), kv_profile_count_allowed(ro) + 50, "ro smaller");
	ASSERT_GE(kv_profile_count_allowed(all), kv_profile_count_allowed(ff) + 20, "more bits");
	ASSERT_EQ(kv_profile_count_errno(ro), 2, "clone3 and openat2");
	ASSERT_EQ(kv_profile_count_errno(ff), 1, "clone3");
	ASSERT_LE(kv_profile_count_allowed(all), 330, "far from everything");
out:
	kv_profile_free(ro);
	kv_profile_free(ff);
	kv_profile_free(all);
}
