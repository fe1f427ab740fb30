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
int dm_cli_demo(int argc, char **argv);
int dm_cli_validate(int argc, char **argv);
int dm_cli_fixtures(int argc, char **argv);

/* Parses a whole decimal number in [min, max]; 0 on success, -1 otherwise. */
int dm_cli_number(const char *s, long long min, long long max, long long *out);

#endif
