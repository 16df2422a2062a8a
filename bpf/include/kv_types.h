/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Fixed-width types for headers shared by BPF and user space.
 * BPF objects get them from vmlinux.h; user space from linux/types.h. */
#ifndef KV_TYPES_H
#define KV_TYPES_H
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#endif
