// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config/json_file.h"

static void line_col(const char *text, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

int kv_json_parse(const char *text, size_t len, const char *source, struct json_object **out,
		  char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t off, line, col;

	*out = NULL;
	if (len > INT32_MAX) {
		snprintf(err, errlen, "%s: too large", source);
		return -EINVAL;
	}
	if (memchr(text, '\0', len)) {
		off = (size_t)((const char *)memchr(text, '\0', len) - text);
		line_col(text, off, &line, &col);
		snprintf(err, errlen, "%s:%zu:%zu: NUL byte in JSON text", source, line, col);
		return -EINVAL;
	}
	tok = json_tokener_new();
	if (!tok) {
		snprintf(err, errlen, "%s: out of memory", source);
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	off = tok->char_offset;
	json_tokener_free(tok);
	if (!o || jerr != json_tokener_success) {
		if (jerr == json_tokener_continue || jerr == json_tokener_success) {
			line_col(text, len, &line, &col);
			snprintf(err, errlen, "%s:%zu:%zu: unexpected end of file", source, line,
				 col);
		} else {
			line_col(text, off < len ? off : len, &line, &col);
			snprintf(err, errlen, "%s:%zu:%zu: %s", source, line, col,
				 json_tokener_error_desc(jerr));
		}
		json_object_put(o);
		return -EINVAL;
	}
	for (; off < len; off++) {
		if (!strchr(" \t\n\r", text[off])) {
			line_col(text, off, &line, &col);
			snprintf(err, errlen, "%s:%zu:%zu: unexpected text after the JSON value",
				 source, line, col);
			json_object_put(o);
			return -EINVAL;
		}
	}
	*out = o;
	return 0;
}

int kv_json_load_file(const char *path, struct json_object **out, char **text, size_t *len,
		      char *err, size_t errlen)
{
	struct stat st;
	size_t n = 0;
	ssize_t r;
	char *buf;
	int fd, rc;

	*out = NULL;
	if (text)
		*text = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if ((size_t)st.st_size > KV_JSON_MAX_FILE) {
		close(fd);
		snprintf(err, errlen, "%s: larger than %u bytes", path, KV_JSON_MAX_FILE);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (n < (size_t)st.st_size) {
		r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	rc = kv_json_parse(buf, n, path, out, err, errlen);
	if (!rc && text) {
		*text = buf;
		if (len)
			*len = n;
	} else {
		free(buf);
	}
	return rc;
}

const char *kv_json_type_name(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a fraction";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "?";
}
