/* SPDX-License-Identifier: BSD-2-Clause */
/* x86_64 system call names <-> numbers. Profiles name syscalls; the numbers
 * are the stable x86_64 ABI, so this table is the same on every machine. */
#ifndef KV_SYSCALLS_H
#define KV_SYSCALLS_H

#define KV_SYSCALL_NR_MAX 470 /* one past the highest number we know */

/* NULL for numbers the table does not know (gaps, out of range). */
const char *kv_syscall_name(int nr);
/* -1 for a name that is not an x86_64 system call. */
int kv_syscall_nr(const char *name);
#endif
