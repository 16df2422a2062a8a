// SPDX-License-Identifier: BSD-2-Clause
/* The daemon plans a client's Landlock rules with the client's file-system
 * identity (fs_identity.c): on that thread a root-only directory is closed,
 * other threads keep root's view, and leaving restores it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "daemon/fs_identity.h"
#include "kvtest.h"

static char locked[PATH_MAX + 16];

static int try_open(void)
{
	int fd = open(locked, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static pthread_barrier_t entered, tried;

/* made before the switch (a thread inherits its creator's credentials),
 * it opens while the main thread is the client */
static void *other_thread(void *arg)
{
	pthread_barrier_wait(&entered);
	*(int *)arg = try_open();
	pthread_barrier_wait(&tried);
	return NULL;
}

KV_TEST(thread_takes_the_clients_view)
{
	struct kv_fs_identity nobody = { 0 }, saved;
	struct passwd *pw = getpwnam("nobody");
	pthread_t t;
	int other = -1;

	if (geteuid()) {
		test__skip("needs root");
		return;
	}
	if (!ASSERT_OK_PTR(pw, "nobody"))
		return;
	snprintf(locked, sizeof(locked), "%s/root-only", kvtest_tmpdir());
	chmod(kvtest_tmpdir(), 0755);
	if (!ASSERT_OK(mkdir(locked, 0700), "mkdir"))
		return;
	nobody.uid = pw->pw_uid;
	nobody.gid = pw->pw_gid;
	ASSERT_EQ(try_open(), 0, "root opens it");
	pthread_barrier_init(&entered, NULL, 2);
	pthread_barrier_init(&tried, NULL, 2);
	if (!ASSERT_OK(pthread_create(&t, NULL, other_thread, &other), "thread"))
		return;
	if (!ASSERT_OK(kv_fs_identity_enter(&nobody, &saved), "enter")) {
		pthread_cancel(t);
		return;
	}
	ASSERT_EQ(try_open(), EACCES, "closed to the client (no DAC bypass)");
	pthread_barrier_wait(&entered);
	pthread_barrier_wait(&tried);
	pthread_join(t, NULL);
	ASSERT_EQ(other, 0, "other threads keep root's view");
	kv_fs_identity_leave(&saved);
	ASSERT_EQ(try_open(), 0, "restored");
	ASSERT_OK(kv_fs_identity_of(getpid(), &nobody), "of self");
	ASSERT_EQ(nobody.uid, 0, "fs uid read back");
}
