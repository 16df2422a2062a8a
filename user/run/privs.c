// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include "common/parse.h"
#include "run/privs.h"

int kv_identity_resolve(const char *user, struct kv_identity *id)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	struct passwd *pw;
	uint32_t v;

	memset(id, 0, sizeof(*id));
	if (user) {
		pw = getpwnam(user);
		if (!pw && !kv_parse_u32(user, &v))
			pw = getpwuid(v);
		if (!pw)
			return -ENOENT;
		id->uid = pw->pw_uid;
		id->gid = pw->pw_gid;
		snprintf(id->name, sizeof(id->name), "%s", pw->pw_name);
		return 0;
	}
	if (geteuid() == 0 && su && sg && !kv_parse_u32(su, &v)) {
		id->uid = v;
		if (kv_parse_u32(sg, &v))
			return -EINVAL;
		id->gid = v;
		id->from_sudo = true;
	} else {
		id->uid = geteuid();
		id->gid = getegid();
	}
	pw = getpwuid(id->uid);
	snprintf(id->name, sizeof(id->name), "%s", pw ? pw->pw_name : "?");
	return 0;
}

int kv_privs_drop_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	int cap;

	/* securebits first: it needs CAP_SETPCAP, which goes next */
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
			  SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
			  SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED))
		return -errno;
	for (cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

int kv_privs_drop(const struct kv_identity *id)
{
	int err;

	if (geteuid() == 0) {
		if (id->uid != 0) {
			struct passwd *pw = getpwuid(id->uid);

			if (pw ? initgroups(pw->pw_name, id->gid) : setgroups(0, NULL))
				return -errno;
		} else if (setgroups(0, NULL)) {
			return -errno;
		}
		if (setresgid(id->gid, id->gid, id->gid))
			return -errno;
		if (id->uid == 0) {
			err = kv_privs_drop_caps();
			if (err)
				return err;
		} else if (setresuid(id->uid, id->uid, id->uid)) {
			return -errno;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}
