/* SPDX-License-Identifier: BSD-2-Clause */
/* A compiled filter pair as the seccomp/ files share it (install.c compiles
 * and loads, filter_cache.c keeps copies, prog_json.c carries one over the
 * daemon's control socket). */
#ifndef KV_SECCOMP_INT_H
#define KV_SECCOMP_INT_H
#include <linux/filter.h>
#include "common/sha256.h"
#include "seccomp/seccomp.h"

struct kv_seccomp_prog {
	const struct kv_profile *profile; /* for the no-listener fallback */
	int handoff_sock;
	struct sock_filter *main, *guard;
	size_t n_main, n_guard;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_LOG / _SPEC_ALLOW from the profile */
	bool notify;
	char key[KV_SHA256_HEX]; /* kv_seccomp_key of what it was compiled from */
};

/* A copy of the instructions and flags (profile and handoff_sock as given). */
int kv_seccomp_prog_copy(const struct kv_seccomp_prog *from, const struct kv_profile *p,
			 int handoff_sock, struct kv_seccomp_prog **out);
/* SHA-256 of the instructions, flags and notify bit: what a copy must still
 * hash to when it is used again. */
int kv_seccomp_prog_digest(const struct kv_seccomp_prog *prog, uint8_t out[KV_SHA256_LEN]);
#endif
