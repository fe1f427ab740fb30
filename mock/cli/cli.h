/* cli.h -- the deskmock subcommands, one file each under mock/cli/. */
#ifndef DM_CLI_H
#define DM_CLI_H

#include <stddef.h>
#include <stdint.h>

/* Each returns the process exit code. argv[0] is the subcommand name. */
int dm_cli_serve(int argc, char **argv);

/* Parses a whole decimal number in [min, max]; 0 on success, -1 otherwise. */
int dm_cli_number(const char *s, long long min, long long max, long long *out);

/* Parses "0,1s,5m,2h" (bare numbers are ms) or "none" into at most max
 * delays in ms; 0 on success, -1 otherwise. */
int dm_cli_durations(const char *s, int64_t *out, size_t max, size_t *n);

#endif
