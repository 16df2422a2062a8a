// SPDX-License-Identifier: BSD-2-Clause
/* Trust mask -> profile: apply the group tables in layers (groups.c), then
 * turn each syscall's state into rules. Nothing here depends on the host. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile/profile_int.h"

struct cond_list {
	struct kv_cond_rule *v;
	size_t n, cap;
};

/* What the layers decided for one syscall so far. */
struct slot {
	bool allow_all;
	bool notify_all;
	int err; /* > 0: always fail with this errno */
	struct cond_list allow_if, notify_if, deny_if;
};

struct builder {
	struct slot s[KV_SYSCALL_NR_MAX];
	int rc;
	char *errbuf;
	size_t errlen;
};

static bool cond_eq(const struct kv_cond_rule *a, const struct kv_cond_rule *b)
{
	return a->n == b->n && !memcmp(a->c, b->c, a->n * sizeof(a->c[0]));
}

static int cl_add(struct cond_list *l, const struct kv_cond_rule *r)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (cond_eq(&l->v[i], r))
			return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct kv_cond_rule *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *r;
	return 0;
}

static void cl_del(struct cond_list *l, const struct kv_cond_rule *r)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (cond_eq(&l->v[i], r)) {
			memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
			l->n--;
			return;
		}
	}
}

static void slot_reset(struct slot *s)
{
	s->allow_all = s->notify_all = false;
	s->err = 0;
	s->allow_if.n = s->notify_if.n = s->deny_if.n = 0;
}

static void slot_free(struct slot *s)
{
	free(s->allow_if.v);
	free(s->notify_if.v);
	free(s->deny_if.v);
}

static int apply_entry(struct builder *b, const struct kv_entry *e)
{
	int nr = kv_syscall_nr(e->name);
	struct slot *s;

	if (nr < 0) {
		/* a table typo; the unit tests check every name */
		snprintf(b->errbuf, b->errlen, "internal: unknown syscall '%s' in a group table",
			 e->name);
		return -EINVAL;
	}
	s = &b->s[nr];
	switch (e->op) {
	case KV_OP_ALLOW:
		s->allow_all = true;
		s->err = 0;
		return 0;
	case KV_OP_ALLOW_IF:
		s->err = 0;
		return cl_add(&s->allow_if, &e->r);
	case KV_OP_NOTIFY:
		s->notify_all = true;
		s->err = 0;
		return 0;
	case KV_OP_NOTIFY_IF:
		s->err = 0;
		return cl_add(&s->notify_if, &e->r);
	case KV_OP_DENY_IF:
		return cl_add(&s->deny_if, &e->r);
	case KV_OP_LIFT_IF:
		cl_del(&s->deny_if, &e->r);
		return 0;
	case KV_OP_ERRNO:
		slot_reset(s);
		s->err = e->err;
		return 0;
	case KV_OP_REMOVE:
		slot_reset(s);
		return 0;
	}
	return -EINVAL;
}

static int apply(struct builder *b, const struct kv_group *g)
{
	size_t i;
	int rc;

	for (i = 0; i < g->n; i++)
		if ((rc = apply_entry(b, &g->e[i])))
			return rc;
	return 0;
}

static int apply_names(struct builder *b, char **names, size_t n, enum kv_op op)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		struct kv_entry e = { .name = names[i], .op = op };

		if ((rc = apply_entry(b, &e)))
			return rc;
	}
	return 0;
}

struct rule_vec {
	struct kv_rule *v;
	size_t n, cap;
};

static int rv_push(struct rule_vec *rv, int nr, uint32_t action, const struct kv_cond_rule *c)
{
	struct kv_rule *r;

	if (rv->n == rv->cap) {
		size_t cap = rv->cap ? rv->cap * 2 : 256;
		struct kv_rule *v = realloc(rv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		rv->v = v;
		rv->cap = cap;
	}
	r = &rv->v[rv->n++];
	memset(r, 0, sizeof(*r));
	r->nr = nr;
	r->action = action;
	if (c) {
		r->n_args = c->n;
		memcpy(r->args, c->c, c->n * sizeof(c->c[0]));
	}
	return 0;
}

static int push_list(struct rule_vec *rv, int nr, uint32_t action, const struct cond_list *l)
{
	size_t i;
	int rc;

	for (i = 0; i < l->n; i++)
		if ((rc = rv_push(rv, nr, action, &l->v[i])))
			return rc;
	return 0;
}

/* One syscall's state -> rules. Carve-outs only matter where the syscall
 * is allowed outright: under a conditional allow the default denies them. */
static int emit(struct builder *b, int nr, struct rule_vec *rv)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	struct slot *s = &b->s[nr];
	int rc = 0;

	if (s->err)
		return rv_push(rv, nr, SCMP_ACT_ERRNO(s->err), NULL);
	if (s->allow_all) {
		if ((rc = rv_push(rv, nr, SCMP_ACT_ALLOW, NULL)))
			return rc;
		return push_list(rv, nr, eperm, &s->deny_if);
	}
	if (s->notify_all && s->allow_if.n) {
		snprintf(b->errbuf, b->errlen,
			 "internal: '%s' is both conditionally allowed and supervised",
			 kv_syscall_name(nr));
		return -EINVAL;
	}
	if (s->notify_all) {
		if ((rc = rv_push(rv, nr, SCMP_ACT_NOTIFY, NULL)))
			return rc;
		return push_list(rv, nr, eperm, &s->deny_if);
	}
	if ((rc = push_list(rv, nr, SCMP_ACT_ALLOW, &s->allow_if)))
		return rc;
	return push_list(rv, nr, SCMP_ACT_NOTIFY, &s->notify_if);
}

static int str_qcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, de-duplicated copy: the order in .kavachos.json must not change
 * the hash. */
static int copy_names(const char *const *in, size_t n, char ***out, size_t *nout)
{
	size_t i, j;
	char **v;

	*out = NULL;
	*nout = 0;
	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		v[i] = strdup(in[i] ? in[i] : "");
		if (!v[i]) {
			while (i--)
				free(v[i]);
			free(v);
			return -ENOMEM;
		}
	}
	qsort(v, n, sizeof(*v), str_qcmp);
	for (i = 0, j = 0; i < n; i++) {
		if (j && !strcmp(v[j - 1], v[i]))
			free(v[i]);
		else
			v[j++] = v[i];
	}
	*out = v;
	*nout = j;
	return 0;
}

static bool in_group(const struct kv_group *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->e[i].name, name))
			return true;
	return false;
}

static int check_extras(const struct kv_profile *p, char *err, size_t errlen)
{
	const struct kv_profile_input *in = &p->in;
	const char *why;
	size_t i;

	for (i = 0; i < in->n_extra_allow; i++) {
		const char *nm = in->extra_allow[i];

		if (kv_syscall_nr(nm) < 0) {
			snprintf(err, errlen, "seccomp.allow: '%s' is not an x86_64 system call",
				 nm);
			return -EINVAL;
		}
		if ((why = kv_never_allow_reason(nm, p->readonly))) {
			snprintf(err, errlen, "seccomp.allow: '%s' cannot be allowed: %s", nm, why);
			return -EINVAL;
		}
	}
	for (i = 0; i < in->n_extra_deny; i++) {
		const char *nm = in->extra_deny[i];

		if (kv_syscall_nr(nm) < 0) {
			snprintf(err, errlen, "seccomp.deny: '%s' is not an x86_64 system call",
				 nm);
			return -EINVAL;
		}
		if (in_group(&kv_grp_nofreeze, nm)) {
			snprintf(err, errlen,
				 "seccomp.deny: '%s' is in the no-freeze set and cannot be denied "
				 "(an agent must always be able to exit and handle signals)",
				 nm);
			return -EINVAL;
		}
	}
	return 0;
}

static int validate(const struct kv_profile_input *in, char *err, size_t errlen)
{
	if (in->trust_mask & KV_TRUST_MASK_RESERVED) {
		snprintf(err, errlen, "invalid trust mask '%#x': bits 24-31 are reserved",
			 in->trust_mask);
		return -EINVAL;
	}
	if ((unsigned)in->domain >= KV_DOMAIN_COUNT) {
		snprintf(err, errlen, "unknown domain %d (valid: %s)", (int)in->domain,
			 kv_domain_list());
		return -EINVAL;
	}
	if (in->depth < 1) {
		snprintf(err, errlen, "invalid depth %u: must be 1 or more", in->depth);
		return -EINVAL;
	}
	if ((in->n_extra_allow && !in->extra_allow) || (in->n_extra_deny && !in->extra_deny)) {
		snprintf(err, errlen, "seccomp additions: NULL list");
		return -EINVAL;
	}
	return 0;
}

static int layers(struct builder *b, const struct kv_profile *p)
{
	const struct kv_profile_input *in = &p->in;
	unsigned bit;
	int rc;

	if ((rc = apply(b, p->readonly ? &kv_grp_readonly : &kv_grp_baseline)) ||
	    (rc = apply(b, &kv_grp_nofreeze)))
		return rc;
	if (!p->readonly) {
		if ((rc = apply(b, &kv_grp_notify_tier)))
			return rc;
		for (bit = 0; bit < 24; bit++) {
			if (!(in->trust_mask & (1u << bit)))
				continue;
			rc = apply(b, bit < 16 ? &kv_grp_bits[bit]
					       : &kv_grp_domain[in->domain][bit - 16]);
			if (rc)
				return rc;
		}
	}
	/* the project's additions, then what delegation and hard rules impose */
	if ((rc = apply_names(b, p->extra_allow, in->n_extra_allow, KV_OP_ALLOW)) ||
	    (rc = apply_names(b, p->extra_deny, in->n_extra_deny, KV_OP_REMOVE)))
		return rc;
	if (in->depth >= 2 && (rc = apply(b, &kv_grp_depth2)))
		return rc;
	if (in->depth >= 3 && (rc = apply(b, &kv_grp_depth3)))
		return rc;
	if (p->writes_supervised && (rc = apply(b, &kv_grp_supervised_writes)))
		return rc;
	if (p->launch_exec && (rc = apply(b, &kv_grp_launch_exec)))
		return rc;
	if ((rc = apply(b, &kv_grp_hard)))
		return rc;
	if (p->readonly && (rc = apply(b, &kv_grp_hard_readonly)))
		return rc;
	/* nothing may take the no-freeze set away */
	return apply(b, &kv_grp_nofreeze);
}

int kv_profile_build(const struct kv_profile_input *in, struct kv_profile **out, char *err,
		     size_t errlen)
{
	struct rule_vec rv = { 0 };
	struct kv_profile *p;
	struct builder *b;
	size_t na = 0, nd = 0;
	int rc, nr;

	*out = NULL;
	if (!in) {
		snprintf(err, errlen, "no profile input");
		return -EINVAL;
	}
	if ((rc = validate(in, err, errlen)))
		return rc;
	p = kv_profile_alloc();
	b = calloc(1, sizeof(*b));
	if (!p || !b) {
		rc = -ENOMEM;
		goto fail;
	}
	b->errbuf = err;
	b->errlen = errlen;
	p->origin = KV_PROFILE_GENERATED;
	p->in = *in;
	p->default_action = SCMP_ACT_ERRNO(EPERM);
	p->in.n_extra_allow = p->in.n_extra_deny = 0;
	rc = copy_names(in->extra_allow, in->n_extra_allow, &p->extra_allow, &na);
	p->in.n_extra_allow = na;
	if (!rc)
		rc = copy_names(in->extra_deny, in->n_extra_deny, &p->extra_deny, &nd);
	p->in.n_extra_deny = nd;
	if (rc)
		goto fail;
	p->in.extra_allow = (const char *const *)p->extra_allow;
	p->in.extra_deny = (const char *const *)p->extra_deny;
	/* depth >= 4 is the read-only profile; with a non-zero mask its writes go
	 * to the supervisor instead of failing outright */
	p->readonly = in->trust_mask == 0 || in->depth >= 4;
	p->writes_supervised = in->trust_mask != 0 && in->depth >= 4;
	p->launch_exec = p->readonly || in->strict_exec;
	if ((rc = check_extras(p, err, errlen)) || (rc = layers(b, p)))
		goto fail;
	for (nr = 0; nr < KV_SYSCALL_NR_MAX; nr++)
		if ((rc = emit(b, nr, &rv)))
			goto fail;
	p->rules = rv.v;
	p->n_rules = rv.n;
	rv.v = NULL;
	kv_rules_normalize(p->rules, &p->n_rules);
	*out = p;
	rc = 0;
	goto out;
fail:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(rv.v);
	kv_profile_free(p);
out:
	if (b) {
		for (nr = 0; nr < KV_SYSCALL_NR_MAX; nr++)
			slot_free(&b->s[nr]);
		free(b);
	}
	return rc;
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void kv_profile_free(struct kv_profile *p)
{
	if (!p)
		return;
	free_strv(p->extra_allow, p->in.n_extra_allow);
	free_strv(p->extra_deny, p->in.n_extra_deny);
	free_strv(p->skipped, p->n_skipped);
	free(p->rules);
	free(p);
}
