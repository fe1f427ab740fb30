/* fixtures.c -- `deskmock fixtures lint DIR...`: checks event fixtures
 * against the format of fixtures/events/README.md and the shapes the mock
 * emits, printing FILE:LINE:COLUMN: json.path: message. It only reads; it
 * starts no mock and changes no file. */
#include "cli/cli.h"
#include "fixtures/lint.h"
#include "util/buf.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: deskmock fixtures <command> [options]\n"
          "\n"
          "Works with event fixtures: delivery events stored one per file as\n"
          "<Event_Type>/<name>.json (see fixtures/events/README.md).\n"
          "\n"
          "commands:\n"
          "  lint      check fixture files and folders\n"
          "\n"
          "Run 'deskmock fixtures lint --help' for its options.\n",
          out);
}

static void lint_usage(FILE *out)
{
    fputs("usage: deskmock fixtures lint [options] PATH...\n"
          "\n"
          "Checks each event fixture in PATH (a file, or a folder walked recursively\n"
          "for *.json; README and other files are skipped): valid JSON; the keys\n"
          "eventType (a known type), orgId and eventTime (digit strings; eventTime in\n"
          "epoch milliseconds), payload (an object), prevState (only on types that\n"
          "accept includePrevState) and _fixture {description, source}, and no other;\n"
          "eventType matching the <Event_Type> folder; delete payloads exactly\n"
          "{\"id\"}; and for tickets, threads, comments and contacts every key the\n"
          "mock emits, with its type (ids and counts as digit strings, ISO times with\n"
          "milliseconds, booleans). Every problem is reported, one line each:\n"
          "\n"
          "  x/Ticket_Update/a.json:61:20: payload.threadCount: expected a count as a\n"
          "  string of digits, got 2\n"
          "\n"
          "options:\n"
          "  -q, --quiet     print only the problems, not the summary line\n"
          "  -h, --help      show this help\n"
          "\n"
          "exit status: 0 every fixture is clean, 1 problems found, 2 a file or folder\n"
          "could not be read or the command line is wrong.\n",
          out);
}

static int lint(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'q':
            quiet = 1;
            break;
        case 'h':
            lint_usage(stdout);
            return 0;
        default:
            lint_usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "deskmock fixtures lint: expected a fixture file or folder; see "
                        "'deskmock fixtures lint --help'\n");
        return 2;
    }
    size_t files = 0, errors = 0;
    int unreadable = 0;
    for (int i = optind; i < argc; i++) {
        dm_buf out = {0}, errs = {0};
        unreadable |= dm_lint_path(argv[i], &out, &files, &errors, &errs) != 0;
        fwrite(out.data, 1, out.len, stdout);
        for (const char *line = errs.data; line && *line;) {
            const char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            fprintf(stderr, "deskmock fixtures lint: %.*s\n", (int)len, line);
            line += len + (nl != NULL);
        }
        dm_buf_free(&out);
        dm_buf_free(&errs);
    }
    if (!quiet) {
        if (errors)
            printf("%zu %s in %zu %s checked\n", errors, errors == 1 ? "problem" : "problems",
                   files, files == 1 ? "fixture" : "fixtures");
        else
            printf("%zu %s checked, no problems\n", files, files == 1 ? "fixture" : "fixtures");
    }
    if (fflush(stdout) != 0) return 2;
    return unreadable ? 2 : errors ? 1 : 0;
}

int dm_cli_fixtures(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(sub, "lint") == 0) return lint(argc - 1, argv + 1);
    fprintf(stderr,
            "deskmock fixtures: '%s' is not a fixtures command; see 'deskmock fixtures "
            "--help'\n",
            sub);
    return 2;
}
