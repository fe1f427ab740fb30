/* validate.c -- `deskmock validate DIR`: checks an extension folder and prints
 * every problem as FILE:LINE:COLUMN: json.path: message. It only reads the
 * folder; it starts no mock and contacts no URL. */
#include "cli/cli.h"
#include "ext/validate.h"
#include "util/buf.h"
#include "util/json.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: deskmock validate [options] DIR\n"
          "\n"
          "Checks the Zoho Desk extension in DIR (its plugin-manifest.json and\n"
          "resources.json) the way Desk and the extension toolkit would: JSON syntax,\n"
          "the webhook (resourceName, url, name, subscriptions, ignoreSourceId), each\n"
          "subscription's event type and options, and the manifest keys a webhook\n"
          "needs (\"type\": \"org\", zohoAuthorisation with Desk.events.ALL, a secret\n"
          "for callbackListener). Every problem is reported, one line each, errors\n"
          "first, then warnings:\n"
          "\n"
          "  DIR/resources.json:14:23: webhook.ignoreSourceId: expected a UUID, got \"abc\"\n"
          "  DIR/plugin-manifest.json:9:20: warning: zohoAuthorisation.serviceName: ...\n"
          "\n"
          "When DIR is \".\" file names are printed bare.\n"
          "\n"
          "options:\n"
          "  -q, --quiet          print only the diagnostics, not the summary line\n"
          "  --format FORMAT      text (default) or json: one object with \"valid\",\n"
          "                       \"errors\", \"warnings\" and \"diagnostics\"\n"
          "  -h, --help           show this help\n"
          "\n"
          "exit status: 0 valid (warnings allowed), 1 errors found, 2 the files could\n"
          "not be read or the command line is wrong.\n",
          out);
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void print_json(const char *dir, const dm_ext_diags *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "dir", dir);
    cJSON_AddBoolToObject(o, "valid", dm_ext_diags_errors(d) == 0);
    cJSON_AddNumberToObject(o, "errors", (double)dm_ext_diags_errors(d));
    cJSON_AddNumberToObject(o, "warnings", (double)dm_ext_diags_warnings(d));
    cJSON_AddItemToObject(o, "diagnostics", dm_ext_diags_json(d));
    char *s = dm_json_print(o);
    puts(s);
    free(s);
    cJSON_Delete(o);
}

static void print_text(const char *dir, const dm_ext_diags *d, int quiet)
{
    dm_buf out = {0};
    int here = strcmp(dir, ".") == 0 || strcmp(dir, "./") == 0;
    dm_ext_diags_format(d, here ? NULL : dir, &out);
    fwrite(out.data, 1, out.len, stdout);
    dm_buf_free(&out);
    if (quiet) return;
    size_t e = dm_ext_diags_errors(d), w = dm_ext_diags_warnings(d);
    if (e)
        printf("%s is not a valid extension: %zu %s, %zu %s\n", dir, e,
               plural(e, "error", "errors"), w, plural(w, "warning", "warnings"));
    else if (w)
        printf("%s is a valid extension (%zu %s)\n", dir, w, plural(w, "warning", "warnings"));
    else
        printf("%s is a valid extension\n", dir);
}

int dm_cli_validate(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"quiet", no_argument, NULL, 'q'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int quiet = 0, json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'q':
            quiet = 1;
            break;
        case 'f':
            if (strcmp(optarg, "text") == 0) {
                json = 0;
            } else if (strcmp(optarg, "json") == 0) {
                json = 1;
            } else {
                fprintf(stderr, "deskmock validate: --format %s: expected text or json\n", optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "deskmock validate: expected one extension folder; see 'deskmock "
                        "validate --help'\n");
        return 2;
    }
    const char *dir = argv[optind];
    dm_ext_diags *d = dm_ext_diags_new();
    char msg[1024];
    if (dm_ext_validate_dir(dir, d, msg, sizeof msg) != 0) {
        fprintf(stderr, "deskmock validate: %s\n", msg);
        dm_ext_diags_free(d);
        return 2;
    }
    if (json)
        print_json(dir, d);
    else
        print_text(dir, d, quiet);
    int rc = dm_ext_diags_errors(d) ? 1 : 0;
    dm_ext_diags_free(d);
    if (fflush(stdout) != 0) return 2;
    return rc;
}
