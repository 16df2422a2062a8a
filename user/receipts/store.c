// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/canon_json.h"
#include "common/log.h"
#include "receipts/receipt_line.h"
#include "receipts/store.h"

const char *kv_state_dir_default(void)
{
	const char *d = getenv("KAVACHOS_STATE_DIR");

	return d && *d ? d : KV_STATE_DIR_DEFAULT;
}

int kv_store_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int kv_store_session_path(char *buf, size_t len, const char *state_dir, const char *session)
{
	if (!kv_session_id_valid(session) || !strcmp(session, "index"))
		return -EINVAL;
	return kv_store_path(buf, len, "%s/" KV_SESSIONS_SUBDIR "/%s.jsonl", state_dir, session);
}

int kv_store_mkdirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t i, n = strlen(path);

	if (!n || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != 0)
			continue;
		tmp[i] = 0;
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
		tmp[i] = i < n ? '/' : 0;
	}
	return 0;
}

int kv_store_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

int kv_store_read(const char *path, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	size_t got = 0;
	struct stat st;
	char *p = NULL;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	p = malloc((size_t)st.st_size + 1);
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, p + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto out;
		}
		if (!r)
			break; /* shrank while we read: take what is there */
		got += (size_t)r;
	}
	p[got] = 0;
	*data = p;
	*len = got;
	p = NULL;
out:
	free(p);
	close(fd);
	return err;
}

int kv_store_write_all(int fd, const void *buf, size_t len, size_t *done)
{
	const char *p = buf;
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			if (done)
				*done = off;
			return -errno;
		}
		off += (size_t)w;
	}
	if (done)
		*done = off;
	return 0;
}

int kv_store_index_append(const char *state_dir, struct json_object *o, bool sync)
{
	char path[PATH_MAX], *line;
	size_t len;
	int fd, err;

	err = kv_store_path(path, sizeof(path), "%s/" KV_SESSIONS_SUBDIR "/" KV_INDEX_NAME,
			    state_dir);
	if (err)
		return err;
	line = kv_json_canonical(o, &len);
	if (!line)
		return -errno;
	line[len] = '\n'; /* kv_json_canonical's NUL: the string is not used as one again */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = kv_store_write_all(fd, line, len + 1, NULL);
	if (!err && sync && fdatasync(fd))
		err = -errno;
	close(fd);
out:
	free(line);
	return err;
}

int kv_store_index_sync(const char *state_dir)
{
	char path[PATH_MAX];
	int fd, err;

	err = kv_store_path(path, sizeof(path), "%s/" KV_SESSIONS_SUBDIR "/" KV_INDEX_NAME,
			    state_dir);
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = fdatasync(fd) ? -errno : 0;
	close(fd);
	return err;
}

int kv_store_index_for_each(const char *state_dir, int (*fn)(void *ctx, struct json_object *rec),
			    void *ctx)
{
	char path[PATH_MAX], *data, *line, *nl;
	struct json_object *o;
	size_t len;
	int err;

	err = kv_store_path(path, sizeof(path), "%s/" KV_SESSIONS_SUBDIR "/" KV_INDEX_NAME,
			    state_dir);
	if (err)
		return err;
	err = kv_store_read(path, &data, &len);
	if (err)
		return err == -ENOENT ? 0 : err;
	for (line = data; !err && line < data + len; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = data + len;
		*nl = 0;
		o = json_tokener_parse(line);
		if (o && json_object_is_type(o, json_type_object))
			err = fn(ctx, o);
		else if (*line)
			kv_warn("receipts", "%s: skipping a damaged index line", path);
		json_object_put(o);
	}
	free(data);
	return err;
}
