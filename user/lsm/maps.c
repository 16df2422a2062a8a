// SPDX-License-Identifier: BSD-2-Clause
/* The file policy <-> the session's entries in kv_lsm_conf/inodes/names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "bpf/loader.h"
#include "lsm/lsm.h"

struct lsm_fds {
	int conf, inodes, names;
};

static int lsm_fds(const struct kv_bpf *b, struct lsm_fds *f)
{
	f->conf = kv_bpf_map_fd(b, "kv_lsm_conf");
	f->inodes = kv_bpf_map_fd(b, "kv_lsm_inodes");
	f->names = kv_bpf_map_fd(b, "kv_lsm_names");
	return f->conf < 0 || f->inodes < 0 || f->names < 0 ? -ENOENT : 0;
}

/* Deletes the keys of one session from a map whose keys start with it;
 * collected first: keys must not change while walking. */
static void delete_session_keys(int fd, size_t ksize, uint64_t session)
{
	uint8_t *keys = NULL, *nk, cur[sizeof(struct kv_lsm_nkey)];
	size_t cap = 0, n = 0, i;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, cur)) {
		uint64_t s;

		memcpy(&s, cur, sizeof(s));
		if (s == session) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				nk = realloc(keys, cap * ksize);
				if (!nk)
					break;
				keys = nk;
			}
			memcpy(keys + n * ksize, cur, ksize);
			n++;
		}
		prev = cur;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, keys + i * ksize);
	free(keys);
}

void kv_lsm_policy_remove(const struct kv_bpf *b, uint64_t session)
{
	struct lsm_fds f;

	if (lsm_fds(b, &f))
		return;
	/* the conf entry first: from then on the hooks judge no file policy */
	bpf_map_delete_elem(f.conf, &session);
	delete_session_keys(f.inodes, sizeof(struct kv_lsm_ikey), session);
	delete_session_keys(f.names, sizeof(struct kv_lsm_nkey), session);
}

_Static_assert(sizeof(((struct kv_fname *)0)->name) == 4 * sizeof(uint64_t), "name words");

/* The pre-filters the hooks consult before a lookup (kv_lsm.h): every
 * entry written below is in them. */
static void conf_filters(struct kv_lsm_conf *c, const struct kv_files_policy *p)
{
	size_t i;

	for (i = 0; i < p->n_inodes; i++) {
		uint64_t h = kv_lsm_ihash(p->inodes[i].dev, p->inodes[i].ino);

		c->inodes[KV_LSM_IBIT1(h) / 64] |= 1ULL << (KV_LSM_IBIT1(h) % 64);
		c->inodes[KV_LSM_IBIT2(h) / 64] |= 1ULL << (KV_LSM_IBIT2(h) % 64);
	}
	for (i = 0; i < p->n_names; i++) {
		const struct kv_fname *n = &p->names[i];
		struct kv_lsm_nfilter *f = &c->names[(n->kind - 1) % 3];
		uint64_t w[4], h;

		memcpy(w, n->name, sizeof(w)); /* the words the hooks hash */
		h = kv_lsm_nhash(w[0], w[1], w[2], w[3]);
		f->bits[KV_LSM_NBIT1(h) / 64] |= 1ULL << (KV_LSM_NBIT1(h) % 64);
		f->bits[KV_LSM_NBIT2(h) / 64] |= 1ULL << (KV_LSM_NBIT2(h) % 64);
	}
}

int kv_lsm_policy_apply(const struct kv_bpf *b, uint64_t session, const struct kv_files_policy *p)
{
	struct kv_lsm_conf conf = { .flags = p->conf_flags };
	struct kv_lsm_ival val = { 0 };
	struct lsm_fds f;
	size_t i;
	int err;

	err = lsm_fds(b, &f);
	if (err)
		return err;
	for (i = 0; i < p->n_inodes; i++) {
		struct kv_lsm_ikey k = { .session = session, .ino = p->inodes[i].ino,
					 .dev = p->inodes[i].dev };

		val.flags = p->inodes[i].flags;
		if (bpf_map_update_elem(f.inodes, &k, &val, BPF_ANY))
			goto fail;
	}
	for (i = 0; i < p->n_names; i++) {
		struct kv_lsm_nkey k = { .session = session, .kind = p->names[i].kind };

		memcpy(k.name, p->names[i].name, sizeof(k.name));
		val.flags = p->names[i].flags;
		if (bpf_map_update_elem(f.names, &k, &val, BPF_ANY))
			goto fail;
	}
	conf_filters(&conf, p);
	if (bpf_map_update_elem(f.conf, &session, &conf, BPF_ANY))
		goto fail;
	return 0;
fail:
	err = -errno;
	kv_lsm_policy_remove(b, session);
	return err;
}

int kv_lsm_policy_launch(const struct kv_bpf *b, uint64_t session, pid_t pid)
{
	struct kv_lsm_conf conf;
	struct lsm_fds f;
	int err;

	err = lsm_fds(b, &f);
	if (err)
		return err;
	if (bpf_map_lookup_elem(f.conf, &session, &conf))
		return -errno;
	conf.launch_tgid = (uint32_t)pid;
	conf.launched = 0;
	return bpf_map_update_elem(f.conf, &session, &conf, BPF_EXIST) ? -errno : 0;
}
