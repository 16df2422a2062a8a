// SPDX-License-Identifier: BSD-2-Clause
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kvtest.h"
#include "test_falco_util.h"

const char *tf_path(const char *rel)
{
	static char bufs[8][PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 8], *slash;

	snprintf(b, PATH_MAX, "%s", kvtest_build_dir());
	slash = strrchr(b, '/');
	if (slash)
		*slash = '\0';
	strncat(b, "/", PATH_MAX - strlen(b) - 1);
	strncat(b, rel, PATH_MAX - strlen(b) - 1);
	return b;
}

void tf_use_repo_data(void)
{
	setenv("KAVACHOS_DATA_DIR", tf_path(""), 1);
}

static int redirect(const char *path, int fd)
{
	int f = open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (f < 0 || dup2(f, fd) < 0)
		return -1;
	close(f);
	return 0;
}

int tf_run_cli(const char *const *argv, const char *out, const char *err)
{
	char exe[PATH_MAX], *args[32];
	int status, i;
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/kavachos", kvtest_build_dir());
	args[0] = exe;
	for (i = 0; argv[i] && i < 30; i++)
		args[i + 1] = (char *)argv[i];
	args[i + 1] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (redirect(out, 1) || redirect(err, 2))
			_exit(126);
		execv(exe, args);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

char *tf_slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	if (!fp)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (cap + 4096) * 2);

			if (!nb) {
				free(buf);
				fclose(fp);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, fp);
		n += r;
	} while (r);
	fclose(fp);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}
