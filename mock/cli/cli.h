/* cli.h -- the deskmock subcommands, one file each under mock/cli/. */
#ifndef DM_CLI_H
#define DM_CLI_H

#include <stddef.h>
#include <stdint.h>

/* Each returns the process exit code. argv[0] is the subcommand name. */
int dm_cli_serve(int argc, char **argv);
int dm_cli_trigger(int argc, char **argv);
int dm_cli_record(int argc, char **argv);
int dm_cli_check(int argc, char **argv);
int dm_cli_expect(int argc, char **argv);
int dm_cli_demo(int argc, char **argv);
int dm_cli_validate(int argc, char **argv);
int dm_cli_fixtures(int argc, char **argv);
int dm_cli_schema(int argc, char **argv);

/* Parses a whole decimal number in [min, max]; 0 on success, -1 otherwise. */
int dm_cli_number(const char *s, long long min, long long max, long long *out);
/* dm_cli_number for the value arg of option opt of subcommand cmd; on failure
 * also prints "deskmock CMD: OPT ARG: expected MIN to MAX" (or "expected
 * WANT" when want is given) to stderr. */
int dm_cli_option_number(const char *cmd, const char *opt, const char *arg, long long min,
                         long long max, const char *want, long long *out);

/* Which of the NULL-terminated choices arg is, into *out; on failure prints
 * "deskmock CMD: OPT ARG: expected a, b or c" and returns -1. */
int dm_cli_option_choice(const char *cmd, const char *opt, const char *arg,
                         const char *const *choices, int *out);

/* Makes SIGINT and SIGTERM call handler. */
void dm_cli_on_stop(void (*handler)(int));

#endif
