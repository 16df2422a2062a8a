// SPDX-License-Identifier: BSD-2-Clause
/* Compiled filters reused by the daemon (filter_cache.c) and handed to its
 * clients (prog_json.c): a cached or transported filter is byte-identical to
 * a fresh compile and the kernel answers the same syscalls the same way; a
 * corrupted entry is refused and compiled again; a client refuses a filter
 * compiled from other inputs. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "kvtest.h"
#include "seccomp/seccomp.h"

/* What the child tries under the filter: allowed, denied, argument-checked
 * (main and guard filter), NOTIFY tier (no supervisor: ENOSYS). */
enum { P_GETPPID, P_SWAPOFF, P_SOCK_UNIX, P_SOCK_PACKET, P_TIOCSTI, P_OPEN_RO, P_OPEN_WR,
       P_PTRACE, P_SENDMSG_OTHER, P_COUNT };

static int probe(int which, int other_sock)
{
	char c = 'x';
	long rc = 0;

	errno = 0;
	switch (which) {
	case P_GETPPID: rc = syscall(SYS_getppid); break;
	case P_SWAPOFF: rc = syscall(SYS_swapoff, "/nonexistent"); break;
	case P_SOCK_UNIX: rc = socket(AF_UNIX, SOCK_STREAM, 0); break;
	case P_SOCK_PACKET: rc = socket(AF_PACKET, SOCK_RAW, 0); break;
	case P_TIOCSTI: rc = ioctl(0, TIOCSTI, &c); break;
	case P_OPEN_RO: rc = open("/dev/null", O_RDONLY); break;
	case P_OPEN_WR: rc = open("/dev/null", O_WRONLY); break;
	case P_PTRACE: rc = syscall(SYS_ptrace, 0x4206 /* SEIZE */, 1, 0, 0); break;
	case P_SENDMSG_OTHER: rc = send(other_sock, &c, 1, MSG_DONTWAIT); break;
	}
	return rc < 0 ? errno : 0;
}

/* In a child: load prog (its listener closed at once: NOTIFY calls get
 * ENOSYS), run every probe, send the errnos back. */
static int answers(const struct kv_seccomp_prog *prog, int handoff, int out[P_COUNT])
{
	int res[2], other[2], status, i, nfd = -1;
	pid_t pid;

	if (pipe(res) || socketpair(AF_UNIX, SOCK_DGRAM, 0, other))
		return -errno;
	pid = fork();
	if (pid == 0) {
		int got[P_COUNT];

		close(res[0]);
		if (kv_seccomp_load(prog, &nfd))
			_exit(1);
		if (nfd >= 0)
			close(nfd);
		for (i = 0; i < P_COUNT; i++)
			got[i] = probe(i, other[0]);
		_exit(write(res[1], got, sizeof(got)) == sizeof(got) ? 0 : 2);
	}
	close(res[1]);
	close(other[0]);
	close(other[1]);
	i = read(res[0], out, sizeof(int) * P_COUNT) == (ssize_t)(sizeof(int) * P_COUNT);
	close(res[0]);
	waitpid(pid, &status, 0);
	(void)handoff;
	return i && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

static struct kv_profile *build(uint32_t mask)
{
	struct kv_profile_input in = { .trust_mask = mask, .depth = 1 };
	struct kv_profile *p = NULL;
	char err[256];

	if (!ASSERT_OK(kv_profile_build(&in, &p, err, sizeof(err)), err))
		return NULL;
	return p;
}

static void same_answers(const struct kv_seccomp_prog *a, const struct kv_seccomp_prog *b,
			 int handoff, const char *tag)
{
	int x[P_COUNT], y[P_COUNT], i;

	if (!ASSERT_OK(answers(a, handoff, x), "fresh answers") ||
	    !ASSERT_OK(answers(b, handoff, y), "reused answers"))
		return;
	for (i = 0; i < P_COUNT; i++)
		if (!ASSERT_EQ(x[i], y[i], tag))
			fprintf(stderr, "  probe %d: %s vs %s\n", i, strerror(x[i]), strerror(y[i]));
	/* and the filter is a real one: denials are EPERM, allowed calls pass */
	ASSERT_EQ(x[P_GETPPID], 0, "getppid allowed");
	ASSERT_EQ(x[P_SWAPOFF], EPERM, "swapoff refused");
	ASSERT_EQ(x[P_SOCK_PACKET], EPERM, "AF_PACKET refused");
	ASSERT_EQ(x[P_TIOCSTI], EPERM, "TIOCSTI refused");
}

static bool same_insns(const struct kv_seccomp_prog *a, const struct kv_seccomp_prog *b)
{
	struct json_object *ja = kv_seccomp_prog_json(a), *jb = kv_seccomp_prog_json(b);
	bool same = !strcmp(json_object_to_json_string(ja), json_object_to_json_string(jb));

	json_object_put(ja);
	json_object_put(jb);
	return same;
}

KV_TEST(cached_filter_identical)
{
	static const uint32_t masks[] = { 0xFFFF, 0 };
	struct kv_seccomp_prog *fresh = NULL, *c1 = NULL, *c2 = NULL;
	struct kv_seccomp_cache *cache = NULL;
	uint64_t compiled, corrupted;
	unsigned m;

	if (!ASSERT_OK(kv_seccomp_cache_new(&cache), "cache"))
		return;
	for (m = 0; m < 2; m++) {
		struct kv_profile *p = build(masks[m]);
		int handoff = 9; /* read-only masks allow sendmsg on this fd only */

		if (!p)
			break;
		ASSERT_OK(kv_seccomp_prepare(p, handoff, &fresh), "fresh");
		ASSERT_OK(kv_seccomp_cache_prepare(cache, p, handoff, &c1), "miss");
		ASSERT_OK(kv_seccomp_cache_prepare(cache, p, handoff, &c2), "hit");
		kv_seccomp_cache_stats(cache, &compiled, &corrupted);
		ASSERT_EQ(compiled, m + 1, "compiled once per profile");
		if (fresh && c2) {
			ASSERT_TRUE(same_insns(fresh, c2), "byte-identical");
			same_answers(fresh, c2, handoff, masks[m] ? "0xFFFF same errno" : "mask 0 same errno");
		}
		kv_seccomp_prog_free(fresh);
		kv_seccomp_prog_free(c1);
		kv_seccomp_prog_free(c2);
		fresh = c1 = c2 = NULL;
		kv_profile_free(p);
	}
	kv_seccomp_cache_free(cache);
}

/* One flipped bit in a cached instruction (an allow where there was a
 * deny would be the dangerous kind): the entry is refused at its next use
 * and the filter compiled again. */
KV_TEST(corrupted_entry_recompiled)
{
	struct kv_seccomp_prog *fresh = NULL, *again = NULL, *tmp = NULL;
	struct kv_seccomp_cache *cache = NULL;
	struct kv_profile *p = build(0xFFFF);
	uint64_t compiled, corrupted;
	struct sock_filter *insns;
	size_t n;

	if (!p || !ASSERT_OK(kv_seccomp_cache_new(&cache), "cache"))
		goto out;
	ASSERT_OK(kv_seccomp_cache_prepare(cache, p, -1, &tmp), "fill");
	insns = kv_seccomp_cache_peek(cache, p, -1, &n);
	if (!ASSERT_OK_PTR(insns, "cached") || !ASSERT_GE(n, 2, "insns"))
		goto out;
	insns[n - 1].k ^= 1; /* the last return's action */
	ASSERT_OK(kv_seccomp_cache_prepare(cache, p, -1, &again), "after the damage");
	kv_seccomp_cache_stats(cache, &compiled, &corrupted);
	ASSERT_EQ(corrupted, 1, "caught");
	ASSERT_EQ(compiled, 2, "compiled again");
	ASSERT_OK(kv_seccomp_prepare(p, -1, &fresh), "fresh");
	if (fresh && again) {
		ASSERT_TRUE(same_insns(fresh, again), "the good filter");
		same_answers(fresh, again, -1, "same errno");
	}
out:
	kv_seccomp_prog_free(tmp);
	kv_seccomp_prog_free(again);
	kv_seccomp_prog_free(fresh);
	kv_seccomp_cache_free(cache);
	kv_profile_free(p);
}

/* What the daemon sends, as the client takes it: identical when compiled
 * from the same inputs; refused when the inputs (or the handoff fd of a
 * read-only profile) differ or the object is damaged. */
KV_TEST(transported_filter_checked)
{
	struct kv_profile *full = build(0xFFFF), *ro = build(0);
	struct kv_seccomp_prog *sent = NULL, *got = NULL, *ro_sent = NULL;
	struct json_object *j = NULL, *bad = NULL;
	char k1[KV_SHA256_HEX], k2[KV_SHA256_HEX];

	if (!full || !ro)
		goto out;
	ASSERT_OK(kv_seccomp_prepare(full, 7, &sent), "daemon side");
	j = sent ? kv_seccomp_prog_json(sent) : NULL;
	if (!ASSERT_OK_PTR(j, "json"))
		goto out;
	if (ASSERT_OK(kv_seccomp_prog_from_json(j, full, 7, &got), "client side")) {
		ASSERT_TRUE(same_insns(sent, got), "identical");
		same_answers(sent, got, 7, "same errno");
	}
	kv_seccomp_prog_free(got);
	got = NULL;
	ASSERT_EQ(kv_seccomp_prog_from_json(j, ro, 7, &got), -EKEYREJECTED, "other profile");
	/* the handoff fd matters only where sendmsg is not allowed anyway */
	ASSERT_OK(kv_seccomp_key(full, 7, k1), "key");
	ASSERT_OK(kv_seccomp_key(full, 8, k2), "key");
	ASSERT_STREQ(k1, k2, "0xFFFF: fd not in the filter");
	ASSERT_OK(kv_seccomp_key(ro, 7, k1), "key");
	ASSERT_OK(kv_seccomp_key(ro, 8, k2), "key");
	ASSERT_FALSE(!strcmp(k1, k2), "mask 0: fd in the filter");
	ASSERT_OK(kv_seccomp_prepare(ro, 7, &ro_sent), "ro");
	if (ro_sent) {
		json_object_put(j);
		j = kv_seccomp_prog_json(ro_sent);
		ASSERT_EQ(kv_seccomp_prog_from_json(j, ro, 8, &got), -EKEYREJECTED, "other fd");
	}
	/* damaged: odd hex, a partial instruction, too many instructions */
	bad = json_tokener_parse(json_object_to_json_string(j));
	json_object_object_add(bad, "main", json_object_new_string("zz"));
	ASSERT_EQ(kv_seccomp_prog_from_json(bad, ro, 7, &got), -EINVAL, "not hex");
	json_object_object_add(bad, "main", json_object_new_string("0011"));
	ASSERT_EQ(kv_seccomp_prog_from_json(bad, ro, 7, &got), -EINVAL, "partial insn");
	{
		size_t len = 2 * 8 * (BPF_MAXINSNS + 1);
		char *big = malloc(len + 1);

		if (big) {
			memset(big, '0', len);
			big[len] = 0;
			json_object_object_add(bad, "main", json_object_new_string(big));
			ASSERT_EQ(kv_seccomp_prog_from_json(bad, ro, 7, &got), -EINVAL, "too long");
			free(big);
		}
	}
	json_object_object_add(bad, "flags", json_object_new_int(1 << 20));
	ASSERT_EQ(kv_seccomp_prog_from_json(bad, ro, 7, &got), -EINVAL, "unknown flag");
out:
	json_object_put(j);
	json_object_put(bad);
	kv_seccomp_prog_free(sent);
	kv_seccomp_prog_free(ro_sent);
	kv_seccomp_prog_free(got);
	kv_profile_free(full);
	kv_profile_free(ro);
}
