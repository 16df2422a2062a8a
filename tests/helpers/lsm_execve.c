// SPDX-License-Identifier: BSD-2-Clause
/* A launched agent that tries one more exec: `lsm_execve PATH`.
 * Exit status: what PATH exited with if the exec worked, 100 + errno if
 * the exec was refused. Used to test strict exec: the launch passes once,
 * the next exec does not. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *const args[] = { argv[argc > 1 ? 1 : 0], NULL };

	if (argc != 2) {
		fprintf(stderr, "usage: lsm_execve PATH\n");
		return 2;
	}
	execv(argv[1], args);
	return 100 + errno;
}
