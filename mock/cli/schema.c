/* schema.c -- `deskmock schema`: prints the reference of every Desk module
 * the mock holds, generated from its schemas (docs/desk-reference.md is this
 * output, and a test keeps it so). It starts no mock. */
#include "cli/cli.h"
#include "desk/schema.h"
#include "util/buf.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: deskmock schema\n"
          "\n"
          "Prints, as Markdown, every Desk module the mock holds: the keys of its\n"
          "objects as Desk sends them, with types, which a REST create or update may\n"
          "set, what a new object holds, the events its changes raise and the options\n"
          "their subscriptions take, and its list filters. docs/desk-reference.md is\n"
          "this output.\n"
          "\n"
          "options:\n"
          "  -h, --help     show this help\n",
          out);
}

int dm_cli_schema(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc != 1) {
        usage(stderr);
        return 2;
    }
    dm_buf out = {0};
    dm_schema_markdown(&out);
    fwrite(out.data, 1, out.len, stdout);
    dm_buf_free(&out);
    return ferror(stdout) ? 1 : 0;
}
