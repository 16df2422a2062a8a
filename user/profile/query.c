// SPDX-License-Identifier: BSD-2-Clause
/* Questions asked of a profile: accessors, counts, and the per-syscall
 * bitmaps the kernel's violation counter uses. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profile/profile_int.h"

const struct kv_profile_input *kv_profile_input(const struct kv_profile *p)
{
	return p->origin == KV_PROFILE_GENERATED ? &p->in : NULL;
}

enum kv_profile_origin kv_profile_origin(const struct kv_profile *p)
{
	return p->origin;
}

const struct kv_rule *kv_profile_rules(const struct kv_profile *p, size_t *n)
{
	*n = p->n_rules;
	return p->rules;
}

uint32_t kv_profile_default_action(const struct kv_profile *p)
{
	return p->default_action;
}

bool kv_profile_readonly(const struct kv_profile *p)
{
	return p->readonly;
}

bool kv_profile_launch_exec_supervised(const struct kv_profile *p)
{
	return p->launch_exec;
}

size_t kv_profile_skipped(const struct kv_profile *p, const char *const **names)
{
	*names = (const char *const *)p->skipped;
	return p->n_skipped;
}

uint32_t kv_profile_filter_flags(const struct kv_profile *p)
{
	return p->filter_flags;
}

static bool lets_through(uint32_t action)
{
	return action == SCMP_ACT_ALLOW || action == SCMP_ACT_LOG;
}

struct verdict {
	bool allow;  /* whatever the arguments */
	bool cond;   /* for some arguments only */
	bool notify; /* some calls go to the supervisor */
	bool errno_other; /* always fails, with an errno other than the default's */
};

/* The rules are sorted by nr: find nr's run. */
static const struct kv_rule *run_of(const struct kv_profile *p, int nr, size_t *n)
{
	size_t lo = 0, hi = p->n_rules, end;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (p->rules[mid].nr < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < p->n_rules && p->rules[end].nr == nr; end++)
		;
	*n = end - lo;
	return &p->rules[lo];
}

static struct verdict classify(const struct kv_profile *p, int nr)
{
	struct verdict v = { 0 };
	const struct kv_rule *r;
	bool uncond_pass = false, has_uncond = false, restricts = false, cond_pass = false;
	uint32_t uncond_act = 0;
	size_t i, n;

	r = run_of(p, nr, &n);
	for (i = 0; i < n; i++) {
		if ((r[i].action & 0xffff0000u) == SCMP_ACT_NOTIFY)
			v.notify = true;
		if (!r[i].n_args) {
			has_uncond = true;
			uncond_act = r[i].action;
			uncond_pass = lets_through(r[i].action);
		} else if (lets_through(r[i].action)) {
			cond_pass = true;
		} else {
			restricts = true;
		}
	}
	if (!has_uncond) {
		uncond_pass = lets_through(p->default_action);
		uncond_act = p->default_action;
	}
	if (uncond_pass) {
		v.allow = !restricts;
		v.cond = restricts;
	} else {
		v.cond = cond_pass;
		v.errno_other = has_uncond && !cond_pass &&
				(uncond_act & 0xffff0000u) == 0x00050000u &&
				uncond_act != p->default_action;
	}
	return v;
}

static void set_bit(__u64 *bm, int nr)
{
	bm[nr / 64] |= 1ull << (nr % 64);
}

void kv_profile_syscall_policy(const struct kv_profile *p, struct kv_syscall_policy *out)
{
	int nr;

	memset(out, 0, sizeof(*out));
	for (nr = 0; nr < KV_MAX_SYSCALLS; nr++) {
		struct verdict v = classify(p, nr);

		if (v.allow)
			set_bit(out->allow, nr);
		if (v.cond)
			set_bit(out->cond, nr);
		if (v.notify)
			set_bit(out->notify, nr);
	}
}

enum count_what { C_ALLOWED, C_COND, C_NOTIFY, C_ERRNO };

/* Over the syscalls x86_64 has (named in our table). */
static size_t count(const struct kv_profile *p, enum count_what w)
{
	size_t n = 0;
	int nr;

	for (nr = 0; nr < KV_SYSCALL_NR_MAX; nr++) {
		struct verdict v;

		if (!kv_syscall_name(nr))
			continue;
		v = classify(p, nr);
		switch (w) {
		case C_ALLOWED: n += v.allow || v.cond; break;
		case C_COND: n += v.cond; break;
		case C_NOTIFY: n += v.notify; break;
		case C_ERRNO: n += v.errno_other; break;
		}
	}
	return n;
}

size_t kv_profile_count_allowed(const struct kv_profile *p)
{
	return count(p, C_ALLOWED);
}

size_t kv_profile_count_cond(const struct kv_profile *p)
{
	return count(p, C_COND);
}

size_t kv_profile_count_notify(const struct kv_profile *p)
{
	return count(p, C_NOTIFY);
}

size_t kv_profile_count_errno(const struct kv_profile *p)
{
	return count(p, C_ERRNO);
}

static int name_qcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t kv_profile_notify_names(const struct kv_profile *p, const char **names, size_t max)
{
	size_t n = 0;
	int nr;

	for (nr = 0; nr < KV_SYSCALL_NR_MAX && n < max; nr++)
		if (kv_syscall_name(nr) && classify(p, nr).notify)
			names[n++] = kv_syscall_name(nr);
	qsort(names, n, sizeof(*names), name_qcmp);
	return n;
}
