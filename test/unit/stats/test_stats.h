/*
 * test_stats.h — helpers shared by the stats test files.
 */
#ifndef MG_TEST_STATS_H
#define MG_TEST_STATS_H

#include <check.h>

/**
 * Run a Python 3 script with input on its stdin.
 *
 * @param input  text fed to stdin
 * @param script the program
 * @param status out: its exit status (0 on success)
 * @return what it printed on stdout and stderr (malloc'd, NUL-terminated)
 */
char *test_run_python(const char *input, const char *script, int *status);

/**
 * Run a shell command with input on its stdin.
 *
 * @param cmd    the command (run by /bin/sh)
 * @param input  text fed to stdin
 * @param status out: its exit status, or -1 if it did not exit normally
 * @return its stdout and stderr (malloc'd, NUL-terminated)
 */
char *test_run_cmd(const char *cmd, const char *input, int *status);

/** The mg_buf test case. */
TCase *test_buf_tcase(void);

#endif /* MG_TEST_STATS_H */
