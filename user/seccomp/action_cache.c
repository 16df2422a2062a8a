// SPDX-License-Identifier: BSD-2-Clause
/* Which syscalls a filter lets through without the kernel running it: the
 * seccomp action cache (kernel/seccomp.c, Linux >= 5.11). When a filter is
 * attached the kernel emulates it for every syscall number with nothing
 * known but nr and arch; where that reaches RET_ALLOW through constant
 * loads and jumps only, the number's bit is set, and a call with the bit set
 * in every attached filter skips the filters altogether. Any load of an
 * argument or of the instruction pointer on the way clears it. This is the
 * same emulation, instruction for instruction, so a test can check what the
 * kernel will cache. */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include "seccomp/seccomp_int.h"

bool kv_seccomp_const_allow(const struct sock_filter *f, size_t n, uint32_t arch, int nr)
{
	uint32_t a = 0;
	size_t pc;
	bool res;

	for (pc = 0; pc < n; pc++) {
		const struct sock_filter *in = &f[pc];

		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (in->k == offsetof(struct seccomp_data, nr))
				a = (uint32_t)nr;
			else if (in->k == offsetof(struct seccomp_data, arch))
				a = arch;
			else
				return false; /* an argument or the ip: not constant */
			break;
		case BPF_RET | BPF_K:
			return in->k == SECCOMP_RET_ALLOW;
		case BPF_JMP | BPF_JA:
			pc += in->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_K:
			switch (BPF_OP(in->code)) {
			case BPF_JEQ: res = a == in->k; break;
			case BPF_JGE: res = a >= in->k; break;
			case BPF_JGT: res = a > in->k; break;
			default: res = (a & in->k) != 0; break;
			}
			pc += res ? in->jt : in->jf;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= in->k;
			break;
		default:
			return false; /* the kernel gives up on anything else */
		}
	}
	return false;
}

bool kv_seccomp_prog_cached(const struct kv_seccomp_prog *prog, int nr)
{
	/* the guard is attached first, the main filter on top: both must allow */
	return kv_seccomp_const_allow(prog->main, prog->n_main, AUDIT_ARCH_X86_64, nr) &&
	       (!prog->n_guard ||
		kv_seccomp_const_allow(prog->guard, prog->n_guard, AUDIT_ARCH_X86_64, nr));
}
