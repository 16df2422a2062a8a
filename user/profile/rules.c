// SPDX-License-Identifier: BSD-2-Clause
/* Rules: ordering, actions, text forms shared by builder, importer, planner. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile/profile_int.h"

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

int kv_rule_cmp(const struct kv_rule *a, const struct kv_rule *b)
{
	int i, c;

	if (a->nr != b->nr)
		return a->nr < b->nr ? -1 : 1;
	if (a->action != b->action)
		return a->action < b->action ? -1 : 1;
	if (a->n_args != b->n_args)
		return a->n_args < b->n_args ? -1 : 1;
	for (i = 0; i < a->n_args; i++) {
		const struct kv_arg_cond *x = &a->args[i], *y = &b->args[i];

		if ((c = cmp_u64(x->arg, y->arg)) || (c = cmp_u64(x->op, y->op)) ||
		    (c = cmp_u64(x->a, y->a)) || (c = cmp_u64(x->b, y->b)))
			return c;
	}
	return 0;
}

static int rule_qcmp(const void *a, const void *b)
{
	return kv_rule_cmp(a, b);
}

static int cond_qcmp(const void *a, const void *b)
{
	const struct kv_arg_cond *x = a, *y = b;
	int c;

	if ((c = cmp_u64(x->arg, y->arg)) || (c = cmp_u64(x->op, y->op)) ||
	    (c = cmp_u64(x->a, y->a)))
		return c;
	return cmp_u64(x->b, y->b);
}

void kv_rules_normalize(struct kv_rule *r, size_t *n)
{
	size_t i, j;

	/* comparisons within a rule are ANDed: their order carries no meaning */
	for (i = 0; i < *n; i++)
		qsort(r[i].args, r[i].n_args, sizeof(r[i].args[0]), cond_qcmp);
	qsort(r, *n, sizeof(*r), rule_qcmp);
	for (i = 0, j = 0; i < *n; i++)
		if (!j || kv_rule_cmp(&r[j - 1], &r[i]))
			r[j++] = r[i];
	*n = j;
}

int kv_action_rank(uint32_t action)
{
	switch (action & 0xffff0000u) {
	case SCMP_ACT_KILL_PROCESS: return 0;
	case SCMP_ACT_KILL_THREAD: return 1;
	case SCMP_ACT_TRAP: return 2;
	case 0x00050000u: return 3; /* ERRNO */
	case SCMP_ACT_NOTIFY: return 4;
	case 0x7ff00000u: return 5; /* TRACE */
	case SCMP_ACT_LOG: return 6;
	case SCMP_ACT_ALLOW: return 7;
	}
	return 0;
}

static const struct {
	const char *oci;
	uint32_t act; /* data bits filled from errnoRet */
	bool takes_errno;
} actions[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
	{ "SCMP_ACT_ERRNO", 0x00050000u, true },
	{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
	{ "SCMP_ACT_TRACE", 0x7ff00000u, true },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
};

/* ERRNO without errnoRet means EPERM (OCI runtime spec); TRACE's defaults to 0 */
int kv_action_from_oci(const char *s, uint32_t errno_ret, bool has_errno, uint32_t *out)
{
	size_t i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(s, actions[i].oci))
			continue;
		if (has_errno && !actions[i].takes_errno)
			return -EINVAL;
		if (actions[i].act == 0x00050000u)
			*out = SCMP_ACT_ERRNO(has_errno ? errno_ret : EPERM);
		else if (actions[i].act == 0x7ff00000u)
			*out = SCMP_ACT_TRACE(has_errno ? errno_ret : 0);
		else
			*out = actions[i].act;
		return 0;
	}
	return -ENOENT;
}

const char *kv_action_oci_name(uint32_t action)
{
	switch (action & 0xffff0000u) {
	case SCMP_ACT_KILL_PROCESS: return "SCMP_ACT_KILL_PROCESS";
	case SCMP_ACT_KILL_THREAD: return "SCMP_ACT_KILL_THREAD";
	case SCMP_ACT_TRAP: return "SCMP_ACT_TRAP";
	case 0x00050000u: return "SCMP_ACT_ERRNO";
	case SCMP_ACT_NOTIFY: return "SCMP_ACT_NOTIFY";
	case 0x7ff00000u: return "SCMP_ACT_TRACE";
	case SCMP_ACT_LOG: return "SCMP_ACT_LOG";
	case SCMP_ACT_ALLOW: return "SCMP_ACT_ALLOW";
	}
	return "SCMP_ACT_KILL_PROCESS";
}

static const char *const cmp_names[] = {
	[SCMP_CMP_NE] = "SCMP_CMP_NE", [SCMP_CMP_LT] = "SCMP_CMP_LT",
	[SCMP_CMP_LE] = "SCMP_CMP_LE", [SCMP_CMP_EQ] = "SCMP_CMP_EQ",
	[SCMP_CMP_GE] = "SCMP_CMP_GE", [SCMP_CMP_GT] = "SCMP_CMP_GT",
	[SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

const char *kv_cmp_name(uint8_t op)
{
	if (op < SCMP_CMP_NE || op > SCMP_CMP_MASKED_EQ)
		return NULL;
	return cmp_names[op];
}

int kv_cmp_from_name(const char *s)
{
	int op;

	for (op = SCMP_CMP_NE; op <= SCMP_CMP_MASKED_EQ; op++)
		if (!strcmp(s, cmp_names[op]))
			return op;
	return -1;
}

int kv_action_format(uint32_t action, char *buf, size_t len)
{
	uint32_t kind = action & 0xffff0000u, data = action & 0xffffu;

	if (kind == 0x00050000u) {
		const char *nm = data == EPERM ? "EPERM" : data == ENOSYS ? "ENOSYS" : NULL;

		if (nm)
			return snprintf(buf, len, "SCMP_ACT_ERRNO(%s)", nm);
		return snprintf(buf, len, "SCMP_ACT_ERRNO(%u)", data);
	}
	if (kind == 0x7ff00000u)
		return snprintf(buf, len, "SCMP_ACT_TRACE(%u)", data);
	return snprintf(buf, len, "%s", kv_action_oci_name(action));
}

int kv_rule_format(const struct kv_rule *r, char *buf, size_t len)
{
	static const char *const sym[] = {
		[SCMP_CMP_NE] = "!=", [SCMP_CMP_LT] = "<", [SCMP_CMP_LE] = "<=",
		[SCMP_CMP_EQ] = "==", [SCMP_CMP_GE] = ">=", [SCMP_CMP_GT] = ">",
	};
	const char *name = kv_syscall_name(r->nr);
	char act[48];
	size_t off;
	int i, n;

	kv_action_format(r->action, act, sizeof(act));
	if (name)
		n = snprintf(buf, len, "%s %s", name, act);
	else
		n = snprintf(buf, len, "#%d %s", r->nr, act);
	for (i = 0; i < r->n_args && n >= 0; i++) {
		const struct kv_arg_cond *c = &r->args[i];

		off = (size_t)n < len ? (size_t)n : len;
		if (c->op == SCMP_CMP_MASKED_EQ)
			n += snprintf(buf + off, len - off, "%s a%u&%#llx==%#llx",
				      i ? " &&" : " if",
				      c->arg, (unsigned long long)c->a, (unsigned long long)c->b);
		else if (c->op >= SCMP_CMP_NE && c->op <= SCMP_CMP_GT)
			n += snprintf(buf + off, len - off, "%s a%u%s%#llx", i ? " &&" : " if",
				      c->arg, sym[c->op], (unsigned long long)c->a);
	}
	return n;
}

struct kv_profile *kv_profile_alloc(void)
{
	return calloc(1, sizeof(struct kv_profile));
}
