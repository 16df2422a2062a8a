// SPDX-License-Identifier: BSD-2-Clause
/* Profile -> libseccomp contexts -> kernel. Two filters at most: the guard
 * (carve-outs, default allow) is loaded first, the main filter last, so the
 * main filter's own seccomp() call is still allowed. Both filters are for
 * x86_64 only: i386 (int 0x80) and x32 (nr | 0x40000000) calls do not match
 * the architecture check libseccomp emits and take the bad-arch action,
 * which we set to ERRNO(EPERM) like every other refusal. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "common/log.h"
#include "seccomp/seccomp.h"

#define BPF_INSN_SIZE 8
/* above this many syscalls a binary tree beats libseccomp's linear list */
#define TREE_THRESHOLD 32

struct filters {
	scmp_filter_ctx main, guard;
	bool notify; /* main has NOTIFY rules */
};

static int add_rules(scmp_filter_ctx ctx, const struct kv_rule *r, size_t n)
{
	struct scmp_arg_cmp a[KV_RULE_MAX_ARGS];
	size_t i;
	int k, rc;

	for (i = 0; i < n; i++) {
		for (k = 0; k < r[i].n_args; k++) {
			a[k].arg = r[i].args[k].arg;
			a[k].op = (enum scmp_compare)r[i].args[k].op;
			a[k].datum_a = r[i].args[k].a;
			a[k].datum_b = r[i].args[k].b;
		}
		rc = seccomp_rule_add_exact_array(ctx, r[i].action, r[i].nr, r[i].n_args, a);
		if (rc) {
			char txt[256];

			kv_rule_format(&r[i], txt, sizeof(txt));
			kv_debug("seccomp", "libseccomp refused rule '%s': %s", txt, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static scmp_filter_ctx new_ctx(uint32_t def, uint32_t flags, bool tree)
{
	scmp_filter_ctx ctx = seccomp_init(def);

	if (!ctx)
		return NULL;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(EPERM)) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1) ||
	    (tree && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) ||
	    ((flags & (1u << 1)) && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1)) ||
	    ((flags & (1u << 2)) && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1))) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

static void filters_release(struct filters *f)
{
	if (f->main)
		seccomp_release(f->main);
	if (f->guard)
		seccomp_release(f->guard);
	f->main = f->guard = NULL;
}

static bool allows_sendmsg(const struct kv_plan *plan, uint32_t def)
{
	int nr = kv_syscall_nr("sendmsg");
	size_t i;

	if (def == SCMP_ACT_ALLOW)
		return true;
	for (i = 0; i < plan->n_main; i++)
		if (plan->main[i].nr == nr && !plan->main[i].n_args)
			return plan->main[i].action == SCMP_ACT_ALLOW;
	return false;
}

/* handoff_sock >= 0: let sendmsg through on that fd (see the header). */
static int compile(const struct kv_profile *p, int handoff_sock, struct filters *f)
{
	uint32_t def = kv_profile_default_action(p), flags = kv_profile_filter_flags(p);
	struct kv_plan plan;
	char err[256];
	size_t i;
	int rc;

	memset(f, 0, sizeof(*f));
	rc = kv_profile_plan(p, &plan, err, sizeof(err));
	if (rc) {
		kv_debug("seccomp", "%s", err);
		return rc;
	}
	rc = -ENOMEM;
	f->main = new_ctx(def, flags, plan.n_main_syscalls > TREE_THRESHOLD);
	if (!f->main)
		goto out;
	if ((rc = add_rules(f->main, plan.main, plan.n_main)))
		goto out;
	if (handoff_sock >= 0 && !allows_sendmsg(&plan, def)) {
		struct kv_rule r = { .nr = kv_syscall_nr("sendmsg"), .action = SCMP_ACT_ALLOW,
				     .n_args = 1,
				     .args = { { .arg = 0, .op = SCMP_CMP_MASKED_EQ,
						 .a = 0xffffffffu, .b = (uint32_t)handoff_sock } } };

		if ((rc = add_rules(f->main, &r, 1)))
			goto out;
	}
	for (i = 0; i < plan.n_main; i++)
		if ((plan.main[i].action & 0xffff0000u) == SCMP_ACT_NOTIFY)
			f->notify = true;
	if (plan.n_guard) {
		rc = -ENOMEM;
		f->guard = new_ctx(SCMP_ACT_ALLOW, 0, false);
		if (!f->guard)
			goto out;
		if ((rc = add_rules(f->guard, plan.guard, plan.n_guard)))
			goto out;
	}
	rc = 0;
out:
	kv_plan_free(&plan);
	if (rc)
		filters_release(f);
	return rc;
}

static int install(const struct kv_profile *p, int handoff_sock, int *notify_fd)
{
	struct filters f;
	int rc;

	*notify_fd = -1;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if ((rc = compile(p, handoff_sock, &f)))
		return rc;
	if (f.guard && (rc = seccomp_load(f.guard)))
		goto out;
	if ((rc = seccomp_load(f.main)))
		goto out;
	if (f.notify) {
		*notify_fd = seccomp_notify_fd(f.main);
		if (*notify_fd < 0)
			rc = *notify_fd;
	}
out:
	filters_release(&f);
	return rc;
}

int kv_seccomp_install(const struct kv_profile *p, int *notify_fd)
{
	return install(p, -1, notify_fd);
}

int kv_seccomp_install_handoff(const struct kv_profile *p, int sock)
{
	int nfd = -1, rc;

	if (sock < 0)
		return -EBADF;
	rc = install(p, sock, &nfd);
	if (!rc)
		rc = kv_fd_send(sock, nfd);
	if (nfd >= 0)
		close(nfd);
	close(sock);
	return rc;
}

int kv_seccomp_export_pfc(const struct kv_profile *p, int fd)
{
	struct filters f;
	char def[48];
	int rc;

	if ((rc = compile(p, -1, &f)))
		return rc;
	kv_action_format(kv_profile_default_action(p), def, sizeof(def));
	dprintf(fd, "#\n# kavachos main filter (default %s)\n", def);
	rc = seccomp_export_pfc(f.main, fd);
	if (!rc && f.guard) {
		dprintf(fd, "#\n# kavachos guard filter: carve-outs from allowed syscalls "
			    "(default allow; the kernel applies the stricter result)\n");
		rc = seccomp_export_pfc(f.guard, fd);
	}
	filters_release(&f);
	return rc;
}

static int bpf_size(scmp_filter_ctx ctx, size_t *insns)
{
	int fd = memfd_create("kv-bpf", MFD_CLOEXEC), rc;
	off_t end;

	if (fd < 0)
		return -errno;
	rc = seccomp_export_bpf(ctx, fd);
	if (!rc) {
		end = lseek(fd, 0, SEEK_END);
		if (end < 0)
			rc = -errno;
		else
			*insns = (size_t)end / BPF_INSN_SIZE;
	}
	close(fd);
	return rc;
}

int kv_seccomp_filter_size(const struct kv_profile *p, size_t *main_insns, size_t *guard_insns)
{
	struct filters f;
	int rc;

	*main_insns = *guard_insns = 0;
	if ((rc = compile(p, -1, &f)))
		return rc;
	rc = bpf_size(f.main, main_insns);
	if (!rc && f.guard)
		rc = bpf_size(f.guard, guard_insns);
	filters_release(&f);
	return rc;
}
