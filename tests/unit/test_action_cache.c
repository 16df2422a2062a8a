// SPDX-License-Identifier: BSD-2-Clause
/* The kernel's seccomp action cache, emulated as the kernel does it when a
 * filter is attached (action_cache.c): every syscall a profile allows
 * without conditions must be cached — the filter then costs an allowed
 * call nothing beyond having a filter at all — and nothing whose answer
 * depends on an argument may be. */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include "kvtest.h"
#include "seccomp/seccomp.h"

static bool conditional(const struct kv_rule *r, size_t n, int nr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].nr == nr && r[i].n_args)
			return true;
	return false;
}

static void check_profile(uint32_t mask)
{
	struct kv_profile_input in = { .trust_mask = mask, .depth = 1 };
	struct kv_seccomp_prog *prog = NULL;
	struct kv_profile *p = NULL;
	const struct kv_rule *r;
	char err[256], tag[96];
	size_t n, i, plain = 0;

	if (!ASSERT_OK(kv_profile_build(&in, &p, err, sizeof(err)), err) ||
	    !ASSERT_OK(kv_seccomp_prepare(p, -1, &prog), "prepare"))
		goto out;
	r = kv_profile_rules(p, &n);
	for (i = 0; i < n; i++) {
		snprintf(tag, sizeof(tag), "0x%x %s", mask, kv_syscall_name(r[i].nr));
		if (conditional(r, n, r[i].nr)) {
			ASSERT_FALSE(kv_seccomp_prog_cached(prog, r[i].nr), tag);
			continue;
		}
		if (r[i].action != SCMP_ACT_ALLOW)
			continue;
		plain++;
		ASSERT_TRUE(kv_seccomp_prog_cached(prog, r[i].nr), tag);
	}
	ASSERT_GE(plain, 100, "allowed without conditions");
	/* the benchmark's call, and a refused one */
	ASSERT_TRUE(kv_seccomp_prog_cached(prog, kv_syscall_nr("getppid")), "getppid");
	ASSERT_FALSE(kv_seccomp_prog_cached(prog, kv_syscall_nr("swapoff")), "swapoff refused");
out:
	kv_seccomp_prog_free(prog);
	kv_profile_free(p);
}

KV_TEST(unconditional_allows_cached)
{
	check_profile(0xFFFF);
	check_profile(0xFF);
	check_profile(0);
}

/* The emulation itself, on filters small enough to read. */
KV_TEST(emulation_matches_the_kernel_rules)
{
	const uint32_t x86 = AUDIT_ARCH_X86_64;
	struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_filter by_nr[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 110, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
	};
	/* the instruction pointer loaded before the dispatch: nothing cached */
	struct sock_filter ip_first[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer)),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};

	ASSERT_TRUE(kv_seccomp_const_allow(allow, 1, x86, 39), "RET_ALLOW");
	ASSERT_TRUE(kv_seccomp_const_allow(by_nr, 7, x86, 110), "allowed nr");
	ASSERT_FALSE(kv_seccomp_const_allow(by_nr, 7, x86, 111), "other nr");
	ASSERT_FALSE(kv_seccomp_const_allow(by_nr, 7, AUDIT_ARCH_I386, 110), "other arch");
	ASSERT_FALSE(kv_seccomp_const_allow(ip_first, 3, x86, 110), "ip load");
}
