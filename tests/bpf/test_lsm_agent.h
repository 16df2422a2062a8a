/* SPDX-License-Identifier: BSD-2-Clause */
/* What a test agent does against the process and exec rules, shared by
 * the BPF-LSM and Landlock suites: each returns 0 or the errno seen. */
#ifndef TEST_LSM_AGENT_H
#define TEST_LSM_AGENT_H
#include <sys/types.h>

/* fork + execve(path) (or fexecve(fd) when path is NULL); the errno of the
 * exec, or 0 if it ran and exited 0 (EXIT_FAILURE-ish codes -> ECHILD). */
int la_exec(const char *path, int fd);
/* The same with one argument: execve(path, {path, arg}). */
int la_exec_arg(const char *path, const char *arg);
/* A memfd holding a copy of src, or -errno. */
int la_memfd_copy(const char *src);
/* A shell script at path that exits 0, with the given interpreter. */
int la_script(const char *path, const char *interp);
/* A process that sleeps until killed, outside whatever the caller joins
 * next; returns its pid. */
pid_t la_sleeper(void);
void la_reap(pid_t pid);
/* ptrace(PTRACE_ATTACH) + detach: 0 or errno. */
int la_ptrace(pid_t pid);
/* Opens /proc/<pid>/environ and reads: 0 or errno. */
int la_read_environ(pid_t pid);
#endif
