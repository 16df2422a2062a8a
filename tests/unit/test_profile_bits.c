// SPDX-License-Identifier: BSD-2-Clause
/* Each trust bit unlocks exactly its group: the rules of mask (ref | bit)
 * minus the rules of ref must be exactly the table below ("+rule" added,
 * "-rule" gone). ref is bit 6 (registered: no syscalls), so both sides get
 * the baseline. The values are written out here, not taken from the
 * engine's tables, so a slip in either shows. */
#include <stdlib.h>
#include "kvtest.h"
#include "profile/syscalls.h"
#include "profile/profile.h"

#define REF_BIT 6
#define MAX_LINES 512

#define A(n) "+" n " SCMP_ACT_ALLOW"
#define IOCTL_CARVE(v) "ioctl SCMP_ACT_ERRNO(EPERM) if a1&0xffffffff==" v
/* serial-line ioctls: TIOCMGET, TIOCMSET, TIOCMBIS, TIOCMBIC, TIOCMIWAIT,
 * TIOCGICOUNT, TIOCGSERIAL, TIOCSSERIAL, TIOCSBRK, TIOCCBRK, TCSBRKP,
 * TIOCGRS485, TIOCSRS485, TIOCEXCL, TIOCNXCL */
#define SERIAL_LIFTED                                                                  \
	"-" IOCTL_CARVE("0x5415"), "-" IOCTL_CARVE("0x5418"), "-" IOCTL_CARVE("0x5416"),  \
	"-" IOCTL_CARVE("0x5417"), "-" IOCTL_CARVE("0x545c"), "-" IOCTL_CARVE("0x545d"),  \
	"-" IOCTL_CARVE("0x541e"), "-" IOCTL_CARVE("0x541f"), "-" IOCTL_CARVE("0x5427"),  \
	"-" IOCTL_CARVE("0x5428"), "-" IOCTL_CARVE("0x5425"), "-" IOCTL_CARVE("0x542e"),  \
	"-" IOCTL_CARVE("0x542f"), "-" IOCTL_CARVE("0x540c"), "-" IOCTL_CARVE("0x540d")
#define USB_LIFTED "-ioctl SCMP_ACT_ERRNO(EPERM) if a1&0xff00==0x5500"
#define HID_LIFTED "-ioctl SCMP_ACT_ERRNO(EPERM) if a1&0xff00==0x4800"
#define MLOCK A("mlock"), A("mlock2"), A("mlockall"), A("munlock"), A("munlockall")
#define INOTIFY A("inotify_init"), A("inotify_init1"), A("inotify_add_watch"), \
		A("inotify_rm_watch")

static const struct {
	enum kv_domain d;
	unsigned bit;
	const char *diff[24]; /* NULL-terminated; empty: the bit unlocks nothing */
} cases[] = {
	{ KV_DOMAIN_GENERAL, 0, { A("keyctl"), A("add_key"), A("request_key") } },
	{ KV_DOMAIN_GENERAL, 1, { A("capset"), "-capset SCMP_ACT_NOTIFY" } },
	{ KV_DOMAIN_GENERAL, 2, { A("eventfd"), A("eventfd2"), A("signalfd"), A("signalfd4"),
				  A("timerfd_create"), A("timerfd_settime"),
					A("timerfd_gettime") } },
	{ KV_DOMAIN_GENERAL, 3, { A("flock"), A("shmget"), A("shmat"), A("shmdt"), A("shmctl"),
				  A("semget"), A("semop"), A("semtimedop"), A("semctl"),
				  A("msgget"), A("msgsnd"), A("msgrcv"), A("msgctl"), A("mq_open"),
				  A("mq_unlink"), A("mq_timedsend"), A("mq_timedreceive"),
				  A("mq_notify"), A("mq_getsetattr") } },
	{ KV_DOMAIN_GENERAL, 4, { A("sendfile"), A("splice"), A("tee"), A("vmsplice") } },
	{ KV_DOMAIN_GENERAL, 5, { MLOCK, A("mremap") } },
	{ KV_DOMAIN_GENERAL, 6, { NULL } },
	{ KV_DOMAIN_GENERAL, 7, { A("memfd_create") } },
	/* MAP_HUGETLB = 0x40000 */
	{ KV_DOMAIN_GENERAL, 8, { A("mmap"), "-mmap SCMP_ACT_ALLOW if a3&0x40000==0" } },
	{ KV_DOMAIN_GENERAL, 9, { INOTIFY } },
	{ KV_DOMAIN_GENERAL, 10, { NULL } },
	{ KV_DOMAIN_GENERAL, 11, { A("mbind"), A("get_mempolicy"), A("set_mempolicy"),
				   A("set_mempolicy_home_node") } },
	{ KV_DOMAIN_GENERAL, 12, { NULL } },
	{ KV_DOMAIN_GENERAL, 13, { A("symlink"), A("symlinkat"), A("link"), A("linkat") } },
	/* namespace flags 0x7e020000 (+ CLONE_NEWTIME 0x80 for unshare) */
	{ KV_DOMAIN_GENERAL, 14, { A("kill"), A("tgkill"), A("tkill"), A("rt_sigqueueinfo"),
				   A("rt_tgsigqueueinfo"), A("pidfd_open"), A("pidfd_send_signal"),
				   A("setpgid"), A("setsid"), A("getpgid"), A("getsid"),
				   A("clone"), "-clone SCMP_ACT_ALLOW if a0&0x7e020000==0",
				   A("unshare"), "-unshare SCMP_ACT_ALLOW if a0&0x7e020080==0" } },
	{ KV_DOMAIN_GENERAL, 15, { A("execveat") } },
	{ KV_DOMAIN_GENERAL, 16, { NULL } },
	{ KV_DOMAIN_GENERAL, 19, { NULL } },
	{ KV_DOMAIN_GENERAL, 23, { NULL } },
	{ KV_DOMAIN_MARITIME, 16, { SERIAL_LIFTED } },
	{ KV_DOMAIN_MARITIME, 17, { USB_LIFTED } },
	{ KV_DOMAIN_MARITIME, 18, { NULL } },
	{ KV_DOMAIN_MARITIME, 23, { NULL } },
	{ KV_DOMAIN_LOGISTICS, 16, { INOTIFY } },
	{ KV_DOMAIN_LOGISTICS, 17, { A("flock") } },
	{ KV_DOMAIN_LOGISTICS, 18, { A("sendfile"), A("splice"), A("tee") } },
	{ KV_DOMAIN_LOGISTICS, 19, { NULL } },
	{ KV_DOMAIN_OT, 16, { A("sched_setscheduler"), A("sched_setparam"), A("sched_setattr"),
			      A("sched_setaffinity") } },
	{ KV_DOMAIN_OT, 17, { MLOCK } },
	{ KV_DOMAIN_OT, 18, { SERIAL_LIFTED } },
	{ KV_DOMAIN_OT, 19, { NULL } },
	{ KV_DOMAIN_FINANCE, 16, { USB_LIFTED, HID_LIFTED } },
	{ KV_DOMAIN_FINANCE, 17, { A("keyctl"), A("add_key"), A("request_key") } },
	{ KV_DOMAIN_FINANCE, 18, { MLOCK } },
	{ KV_DOMAIN_FINANCE, 19, { A("memfd_secret") } },
	{ KV_DOMAIN_FINANCE, 20, { NULL } },
};

struct lines {
	char *v[MAX_LINES];
	size_t n;
};

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool rules_of(uint32_t mask, enum kv_domain d, struct lines *out)
{
	struct kv_profile_input in = { .trust_mask = mask, .domain = d, .depth = 1 };
	struct kv_profile *p = NULL;
	const struct kv_rule *r;
	char err[256], buf[200];
	size_t n, i;

	out->n = 0;
	if (!ASSERT_OK(kv_profile_build(&in, &p, err, sizeof(err)), err))
		return false;
	r = kv_profile_rules(p, &n);
	for (i = 0; i < n && i < MAX_LINES; i++) {
		kv_rule_format(&r[i], buf, sizeof(buf));
		out->v[out->n++] = strdup(buf);
	}
	kv_profile_free(p);
	qsort(out->v, out->n, sizeof(char *), line_cmp);
	return ASSERT_LE(n, MAX_LINES, "rules fit");
}

static bool contains(const struct lines *l, const char *s)
{
	return bsearch(&s, l->v, l->n, sizeof(char *), line_cmp) != NULL;
}

/* "+x" for lines only in with, "-x" for lines only in ref. */
static void diff(const struct lines *with, const struct lines *ref, struct lines *out)
{
	char buf[210];
	size_t i;

	out->n = 0;
	for (i = 0; i < with->n; i++)
		if (!contains(ref, with->v[i])) {
			snprintf(buf, sizeof(buf), "+%s", with->v[i]);
			out->v[out->n++] = strdup(buf);
		}
	for (i = 0; i < ref->n; i++)
		if (!contains(with, ref->v[i])) {
			snprintf(buf, sizeof(buf), "-%s", ref->v[i]);
			out->v[out->n++] = strdup(buf);
		}
	qsort(out->v, out->n, sizeof(char *), line_cmp);
}

static void free_lines(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

KV_TEST(each_bit_unlocks_exactly_its_group)
{
	static struct lines ref, with, got;
	size_t c, i;
	bool seen[24] = { 0 };

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		unsigned b = cases[c].bit;
		uint32_t refmask = b == REF_BIT ? 1u << 10 : 1u << REF_BIT;
		struct lines want = { .n = 0 };
		char tag[64];

		snprintf(tag, sizeof(tag), "%s bit %u", kv_domain_name(cases[c].d), b);
		if (!rules_of(refmask, cases[c].d, &ref) ||
		    !rules_of(refmask | (1u << b), cases[c].d, &with))
			return;
		diff(&with, &ref, &got);
		for (i = 0; cases[c].diff[i]; i++)
			want.v[want.n++] = (char *)cases[c].diff[i];
		qsort(want.v, want.n, sizeof(char *), line_cmp);
		if (ASSERT_EQ(got.n, want.n, tag)) {
			for (i = 0; i < got.n; i++)
				ASSERT_STREQ(got.v[i], want.v[i], tag);
		} else {
			for (i = 0; i < got.n; i++)
				fprintf(stderr, "    got %s\n", got.v[i]);
		}
		if (cases[c].d == KV_DOMAIN_GENERAL)
			seen[b] = true;
		free_lines(&ref);
		free_lines(&with);
		free_lines(&got);
	}
	for (i = 0; i < 16; i++)
		ASSERT_TRUE(seen[i], "every bit 0-15 has a row");
}

/* Bits add up: a mask's rules are the union of what its bits unlock. */
KV_TEST(bits_compose)
{
	static struct lines all, one;
	unsigned b;
	size_t i;

	if (!rules_of(0xFFFF, KV_DOMAIN_GENERAL, &all))
		return;
	for (b = 0; b < 16; b++) {
		if (!rules_of(1u << b, KV_DOMAIN_GENERAL, &one))
			return;
		for (i = 0; i < one.n; i++) {
			/* the rules a bit replaces by a wider one disappear */
			if (!strncmp(one.v[i], "mmap SCMP_ACT_ALLOW if", 22) ||
			    !strncmp(one.v[i], "clone SCMP_ACT_ALLOW if", 23) ||
			    !strncmp(one.v[i], "unshare SCMP_ACT_ALLOW if", 25) ||
			    !strcmp(one.v[i], "capset SCMP_ACT_NOTIFY"))
				continue;
			ASSERT_TRUE(contains(&all, one.v[i]), one.v[i]);
		}
		free_lines(&one);
	}
	free_lines(&all);
}

/* Every name in the table maps back to its number; others to -1. */
KV_TEST(syscall_names_round_trip)
{
	int nr, named = 0;

	for (nr = 0; nr < KV_SYSCALL_NR_MAX; nr++) {
		if (!kv_syscall_name(nr))
			continue;
		named++;
		if (!ASSERT_EQ(kv_syscall_nr(kv_syscall_name(nr)), nr, kv_syscall_name(nr)))
			return;
	}
	ASSERT_GE(named, 360, "names");
	ASSERT_EQ(kv_syscall_nr("no_such_call"), -1, "unknown");
	ASSERT_EQ(kv_syscall_nr(""), -1, "empty");
	ASSERT_EQ(kv_syscall_nr(NULL), -1, "NULL");
}
