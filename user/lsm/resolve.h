/* SPDX-License-Identifier: BSD-2-Clause */
/* A path -> the identity the kernel hooks see: (superblock s_dev, i_ino). */
#ifndef KV_LSM_RESOLVE_H
#define KV_LSM_RESOLVE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kv_mount_dev {
	uint64_t mnt_id;
	uint32_t dev; /* major << 20 | minor, as mountinfo prints the superblock's */
};

/* This process's mounts, read once from /proc/self/mountinfo. */
struct kv_mounts {
	struct kv_mount_dev *m;
	size_t n;
};

int kv_mounts_load(struct kv_mounts *ms);
void kv_mounts_free(struct kv_mounts *ms);

struct kv_fid {
	uint32_t dev;
	uint64_t ino;
	mode_t mode;
	uint64_t nlink;
};

/* Follows symlinks. The device is the superblock's (through statx's mount
 * id), not st_dev: btrfs reports a subvolume's own st_dev, while the hooks
 * read inode->i_sb->s_dev. 0 or negative errno. */
int kv_fid_of(const struct kv_mounts *ms, const char *path, struct kv_fid *out);
/* The kernel's dev_t encoding (MKDEV). */
uint32_t kv_kdev(unsigned int major, unsigned int minor);
#endif
