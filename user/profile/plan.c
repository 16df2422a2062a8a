// SPDX-License-Identifier: BSD-2-Clause
/* Profile -> main filter + guard filter. libseccomp keeps one "fallback"
 * per syscall: the unconditional rule's action, else the filter default.
 * Conditional rules with that same action are redundant; the ones more
 * restrictive than an unconditional rule (carve-outs: "ioctl allowed except
 * TIOCSTI") go to the guard filter, whose default is ALLOW; the kernel takes
 * the most restrictive answer of all filters. Anything else cannot be
 * expressed and is refused rather than silently dropped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile/profile_int.h"

static int push(struct kv_rule **v, size_t *n, const struct kv_rule *r)
{
	struct kv_rule *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = *r;
	*v = nv;
	return 0;
}

static const char *nm(int nr)
{
	const char *s = kv_syscall_name(nr);

	return s ? s : "?";
}

/* Plan the rules [lo, hi) of one syscall. */
static int plan_one(const struct kv_profile *p, const struct kv_rule *lo,
		    const struct kv_rule *hi, struct kv_plan *plan, char *err, size_t errlen)
{
	const struct kv_rule *r, *uncond = NULL;
	char a1[48], a2[48];
	uint32_t fallback;
	bool in_main = false;
	int rc;

	for (r = lo; r < hi; r++) {
		if (r->n_args)
			continue;
		if (uncond && uncond->action != r->action) {
			kv_action_format(uncond->action, a1, sizeof(a1));
			kv_action_format(r->action, a2, sizeof(a2));
			snprintf(err, errlen, "'%s' has two unconditional actions, %s and %s",
				 nm(r->nr), a1, a2);
			return -EINVAL;
		}
		uncond = r;
	}
	fallback = uncond ? uncond->action : p->default_action;
	if (uncond && uncond->action != p->default_action) {
		if ((rc = push(&plan->main, &plan->n_main, uncond)))
			return rc;
		in_main = true;
	}
	for (r = lo; r < hi; r++) {
		if (!r->n_args || r->action == fallback)
			continue;
		if (!uncond || uncond->action == p->default_action) {
			/* the default is the fallback: an ordinary conditional rule */
			if ((rc = push(&plan->main, &plan->n_main, r)))
				return rc;
			in_main = true;
			continue;
		}
		kv_action_format(r->action, a1, sizeof(a1));
		kv_action_format(uncond->action, a2, sizeof(a2));
		if (kv_action_rank(r->action) >= kv_action_rank(uncond->action)) {
			snprintf(err, errlen,
				 "'%s': conditional %s cannot be combined with unconditional %s "
				 "(libseccomp would drop it)",
				 nm(r->nr), a1, a2);
			return -EINVAL;
		}
		if ((r->action & 0xffff0000u) == SCMP_ACT_NOTIFY) {
			snprintf(err, errlen,
				 "'%s': conditional %s under unconditional %s needs a second "
				 "listener, which the kernel does not allow",
				 nm(r->nr), a1, a2);
			return -EINVAL;
		}
		if ((rc = push(&plan->guard, &plan->n_guard, r)))
			return rc;
	}
	if (in_main)
		plan->n_main_syscalls++;
	return 0;
}

int kv_profile_plan(const struct kv_profile *p, struct kv_plan *plan, char *err, size_t errlen)
{
	size_t i, j;
	int rc;

	memset(plan, 0, sizeof(*plan));
	for (i = 0; i < p->n_rules; i = j) {
		for (j = i; j < p->n_rules && p->rules[j].nr == p->rules[i].nr; j++)
			;
		rc = plan_one(p, &p->rules[i], &p->rules[j], plan, err, errlen);
		if (rc) {
			if (rc == -ENOMEM)
				snprintf(err, errlen, "out of memory");
			kv_plan_free(plan);
			return rc;
		}
	}
	return 0;
}

void kv_plan_free(struct kv_plan *plan)
{
	free(plan->main);
	free(plan->guard);
	memset(plan, 0, sizeof(*plan));
}
