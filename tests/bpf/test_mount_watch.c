// SPDX-License-Identifier: BSD-2-Clause
/* The mount-table watch behind the daemon's cached cgroup2 root and mount
 * list: quiet while nothing is mounted, a change after a mount and after
 * its umount, and the cached readers see the new table. */
#include <errno.h>
#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/mount_watch.h"
#include "kvtest.h"
#include "lsm/resolve.h"
#include "session/cgroup.h"

static bool table_has(const struct kv_mounts *ms, size_t n_before)
{
	return ms->n > n_before;
}

KV_TEST(changes_seen_once_each)
{
	struct kv_mount_watch w = { 0 };
	struct kv_mounts a = { 0 }, b = { 0 };
	char dir[PATH_MAX], root1[PATH_MAX], root2[PATH_MAX];

	if (geteuid()) {
		test__skip("needs root (it mounts a tmpfs)");
		return;
	}
	/* our own mount namespace: nothing leaks to the host if a check fails */
	if (!ASSERT_OK(unshare(CLONE_NEWNS), "unshare") ||
	    !ASSERT_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "private"))
		return;
	snprintf(dir, sizeof(dir), "%s/mnt", kvtest_tmpdir());
	if (!ASSERT_OK(mkdir(dir, 0755), "mkdir"))
		return;
	ASSERT_TRUE(kv_mount_watch_changed(&w), "first call");
	ASSERT_FALSE(kv_mount_watch_changed(&w), "nothing since");
	ASSERT_OK(kv_mounts_load(&a), "load");
	ASSERT_OK(kv_cgroup2_root(root1, sizeof(root1)), "root");
	if (!ASSERT_OK(mount("kvtest", dir, "tmpfs", 0, "size=64k"), "mount"))
		goto out;
	ASSERT_TRUE(kv_mount_watch_changed(&w), "after mount");
	ASSERT_FALSE(kv_mount_watch_changed(&w), "reported once");
	ASSERT_OK(kv_mounts_load(&b), "load again");
	ASSERT_TRUE(table_has(&b, a.n), "the cached list has the new mount");
	ASSERT_OK(kv_cgroup2_root(root2, sizeof(root2)), "root again");
	ASSERT_STREQ(root2, root1, "cgroup2 root unchanged");
	ASSERT_OK(umount(dir), "umount");
	ASSERT_TRUE(kv_mount_watch_changed(&w), "after umount");
	kv_mounts_free(&b);
	ASSERT_OK(kv_mounts_load(&b), "load after umount");
	ASSERT_EQ(b.n, a.n, "back to the old list");
out:
	kv_mounts_free(&a);
	kv_mounts_free(&b);
}
