// SPDX-License-Identifier: BSD-2-Clause
/* Locates falco/ data: templates are files, not compiled in, so a site can read
 * and tune them; the binary finds them next to itself or in the install prefix. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "falco/datadir.h"

static int usable(const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/fields.txt", dir) >= (int)sizeof(path))
		return 0;
	return access(path, R_OK) == 0;
}

static int pick(const char *dir, char *out, size_t len, char *tried, size_t triedlen)
{
	size_t used = strlen(tried);

	if (usable(dir)) {
		if (strlen(dir) >= len)
			return -ENAMETOOLONG;
		strcpy(out, dir);
		return 0;
	}
	snprintf(tried + used, triedlen - used, "%s%s", used ? ", " : "", dir);
	return -ENOENT;
}

int kv_falco_data_dir(char *out, size_t len, char *err, size_t errlen)
{
	static const char *const fixed[] = {"/usr/local/share/kavachos/falco",
					    "/usr/share/kavachos/falco"};
	char exe[PATH_MAX], cand[PATH_MAX], tried[2048] = "";
	const char *env = getenv(KV_DATA_DIR_ENV);
	ssize_t n;
	size_t i;

	if (env && *env) {
		snprintf(cand, sizeof(cand), "%s/falco", env);
		if (!pick(cand, out, len, tried, sizeof(tried)))
			return 0;
		snprintf(err, errlen, "%s=%s: no falco/fields.txt there", KV_DATA_DIR_ENV, env);
		return -ENOENT;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *bindir;

		exe[n] = '\0';
		bindir = dirname(exe);
		snprintf(cand, sizeof(cand), "%s/../falco", bindir);
		if (!pick(cand, out, len, tried, sizeof(tried)))
			return 0;
		snprintf(cand, sizeof(cand), "%s/../share/kavachos/falco", bindir);
		if (!pick(cand, out, len, tried, sizeof(tried)))
			return 0;
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!pick(fixed[i], out, len, tried, sizeof(tried)))
			return 0;
	snprintf(err, errlen, "Falco data files not found (tried %s; set %s)", tried,
		 KV_DATA_DIR_ENV);
	return -ENOENT;
}
