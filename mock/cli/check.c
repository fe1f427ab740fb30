/* check.c -- `deskmock check`: runs the conformance scenarios (built in, plus
 * the user's) against a receiver URL and reports each as pass, fail or skip,
 * on the terminal and as JUnit XML or TAP 13 for CI. Exit 0 only when
 * nothing failed. */
#include "cli/cli.h"
#include "deskmock/harness.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/file.h"
#include "util/json.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scenario {
    char *name;   /* the scenario's "name" (or its file name) */
    char *source; /* "built-in" or the file */
    char *json;
    dh_outcome outcome;
    char *report;
    double secs;
} scenario;

static void usage(FILE *out)
{
    fputs("usage: deskmock check --receiver URL [options]\n"
          "\n"
          "Tells whether a webhook receiver handles Desk's deliveries correctly. Starts a\n"
          "mock (or uses --mock), installs an extension whose webhook points at the\n"
          "receiver, and runs each conformance scenario: the core events answered 200\n"
          "in time, batches, duplicates, late updates, prevState variants, unknown\n"
          "events and fields, forged deliveries refused, no echo loops, a slow Desk,\n"
          "a malformed body. Each failure says what was sent, what came back and what\n"
          "was expected.\n"
          "\n"
          "options:\n"
          "  --receiver URL       the receiver's webhook URL (required); the mock adds\n"
          "                       orgId and securityContext to it, as Desk does\n"
          "  --authorise-url URL  where the mock posts {orgId, securityContext,\n"
          "                       installationId} on install (Desk's onDeskAuthorise);\n"
          "                       without it, checks of the URL's parameters are skipped\n"
          "  --extension DIR      install this extension instead of the built-in one\n"
          "                       (fixtures/extensions/conformance: secret\n"
          "                       conformance-secret-0001, ignoreSourceId\n"
          "                       7d1f2b7e-3c4a-4e1b-9a3f-5b6c7d8e9f01)\n"
          "  --scenarios DIR      also run DIR/*.json (repeatable; format in\n"
          "                       fixtures/scenarios/README.md)\n"
          "  --no-builtin         run only --scenarios\n"
          "  --only NAME          run only this scenario (repeatable)\n"
          "  --no-verification    the receiver does not verify deliveries: skip the\n"
          "                       forged-JWT and forged-URL cases (default: it must)\n"
          "  --mock URL           use a running mock instead of starting one\n"
          "  --port N             the port of the mock check starts (default: any free\n"
          "                       one); a receiver that calls back into Desk needs it\n"
          "  --ready-file FILE    write the started mock's {url, orgId, tokens} to FILE\n"
          "  --junit FILE         write JUnit XML to FILE\n"
          "  --json FILE          write the results as JSON to FILE (each case's name,\n"
          "                       outcome, cause and whole report)\n"
          "  --tap                print TAP 13 instead of the usual lines\n"
          "  --list               list the scenarios and exit\n"
          "  -h, --help           show this help\n"
          "\n"
          "exit status: 0 no scenario failed; 1 some failed; 2 bad usage or no mock\n",
          out);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void add(scenario **list, size_t *n, const char *source, const char *json, const char *file)
{
    *list = dm_xrealloc(*list, (*n + 1) * sizeof **list);
    scenario *s = &(*list)[(*n)++];
    memset(s, 0, sizeof *s);
    s->json = dm_xstrdup(json);
    s->source = dm_xstrdup(source);
    cJSON *o = NULL;
    const char *name = NULL;
    if (dm_json_parse(json, strlen(json), &o, NULL, 0) == 0) name = dm_json_str(o, "name");
    s->name = dm_xstrdup(name ? name : file);
    cJSON_Delete(o);
}

static int add_dir(scenario **list, size_t *n, const char *dir)
{
    struct dirent **ents;
    int k = scandir(dir, &ents, NULL, by_name);
    if (k < 0) {
        fprintf(stderr, "deskmock check: cannot read %s\n", dir);
        return -1;
    }
    for (int i = 0; i < k; i++) {
        const char *f = ents[i]->d_name;
        size_t len = strlen(f);
        if (len > 5 && strcmp(f + len - 5, ".json") == 0) {
            char path[4096];
            dm_path_join(path, sizeof path, dir, f);
            char *text = dm_read_file(path, NULL);
            if (text) add(list, n, path, text, f);
            free(text);
        }
        free(ents[i]);
    }
    free(ents);
    return 0;
}

static void xml_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') fputc('?', f);
            else fputc(*s, f);
        }
    }
}

static int write_junit(const char *path, const scenario *s, size_t n, double total)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    size_t fails = 0, skips = 0;
    for (size_t i = 0; i < n; i++) fails += s[i].outcome == DH_FAIL, skips += s[i].outcome == DH_SKIP;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites name=\"deskmock check\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
            n, fails, skips, total);
    fprintf(f, "  <testsuite name=\"deskmock.conformance\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
            n, fails, skips, total);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "    <testcase classname=\"deskmock.conformance\" name=\"");
        xml_escape(f, s[i].name);
        fprintf(f, "\" time=\"%.3f\"", s[i].secs);
        if (s[i].outcome == DH_PASS) {
            fprintf(f, "/>\n");
            continue;
        }
        fprintf(f, ">\n      <%s message=\"", s[i].outcome == DH_FAIL ? "failure" : "skipped");
        const char *r = s[i].report ? s[i].report : "";
        size_t first = strcspn(r, "\n");
        char *line = dm_xstrndup(r, first);
        xml_escape(f, line);
        free(line);
        if (s[i].outcome == DH_FAIL) {
            fprintf(f, "\" type=\"conformance\">");
            xml_escape(f, r);
            fprintf(f, "</failure>\n");
        } else {
            fprintf(f, "\"/>\n");
        }
        fprintf(f, "    </testcase>\n");
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    return fclose(f) == 0 ? 0 : -1;
}

/* The results as one JSON document, for tools and the language harnesses:
 * {"receiver","mock","passed","failed","skipped","seconds","cases":[{"name",
 * "source","outcome":"pass"|"fail"|"skip","seconds","message","report"}]};
 * message is the report's first line (the cause), report all of it. */
static int write_json(const char *path, const char *receiver, const char *mock, const scenario *s,
                      size_t n, double total)
{
    static const char *const outcomes[] = {"pass", "fail", "skip"};
    size_t count[3] = {0};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "receiver", receiver);
    cJSON_AddStringToObject(o, "mock", mock);
    cJSON *cases = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        count[s[i].outcome]++;
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "name", s[i].name);
        cJSON_AddStringToObject(c, "source", s[i].source);
        cJSON_AddStringToObject(c, "outcome", outcomes[s[i].outcome]);
        cJSON_AddNumberToObject(c, "seconds", s[i].secs);
        const char *r = s[i].report ? s[i].report : "";
        char *first = dm_xstrndup(r, strcspn(r, "\n"));
        cJSON_AddStringToObject(c, "message", first);
        free(first);
        cJSON_AddStringToObject(c, "report", r);
        cJSON_AddItemToArray(cases, c);
    }
    cJSON_AddNumberToObject(o, "passed", (double)count[DH_PASS]);
    cJSON_AddNumberToObject(o, "failed", (double)count[DH_FAIL]);
    cJSON_AddNumberToObject(o, "skipped", (double)count[DH_SKIP]);
    cJSON_AddNumberToObject(o, "seconds", total);
    cJSON_AddItemToObject(o, "cases", cases);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    FILE *f = fopen(path, "w");
    int rc = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF ? 0 : -1;
    if (f && fclose(f) != 0) rc = -1;
    cJSON_free(text);
    return rc;
}

static void print_tap_report(const char *r)
{
    /* YAML block: message is a literal block scalar */
    printf("  ---\n  message: |\n");
    const char *p = r;
    while (*p) {
        size_t n = strcspn(p, "\n");
        printf("    %.*s\n", (int)n, p);
        p += n;
        if (*p) p++;
    }
    printf("  ...\n");
}

int dm_cli_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"receiver", required_argument, NULL, 'r'}, {"authorise-url", required_argument, NULL, 'a'},
        {"extension", required_argument, NULL, 'e'}, {"scenarios", required_argument, NULL, 's'},
        {"no-builtin", no_argument, NULL, 'B'},     {"only", required_argument, NULL, 'o'},
        {"no-verification", no_argument, NULL, 'V'}, {"expects-verification", no_argument, NULL, 'v'},
        {"mock", required_argument, NULL, 'm'},     {"junit", required_argument, NULL, 'j'},
        {"tap", no_argument, NULL, 't'},            {"list", no_argument, NULL, 'l'},
        {"port", required_argument, NULL, 'p'},     {"ready-file", required_argument, NULL, 'R'},
        {"json", required_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    dh_scenario_env env = {0};
    env.expects_verification = 1;
    const char *mock_url = NULL, *junit = NULL, *json = NULL, *ready = NULL;
    long long port = 0;
    const char *dirs[16], *only[64];
    size_t ndirs = 0, nonly = 0;
    int builtin = 1, tap = 0, list_only = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': env.receiver_url = optarg; break;
        case 'a': env.authorise_url = optarg; break;
        case 'e': env.extension_dir = optarg; break;
        case 's':
            if (ndirs < 16) dirs[ndirs++] = optarg;
            break;
        case 'B': builtin = 0; break;
        case 'o':
            if (nonly < 64) only[nonly++] = optarg;
            break;
        case 'V': env.expects_verification = 0; break;
        case 'v': env.expects_verification = 1; break;
        case 'm': mock_url = optarg; break;
        case 'j': junit = optarg; break;
        case 'J': json = optarg; break;
        case 't': tap = 1; break;
        case 'l': list_only = 1; break;
        case 'R': ready = optarg; break;
        case 'p':
            if (dm_cli_option_number("check", "--port", optarg, 0, 65535, NULL, &port)) return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || (!env.receiver_url && !list_only)) {
        fprintf(stderr, "deskmock check: give --receiver URL; see --help\n");
        return 2;
    }
    scenario *s = NULL;
    size_t n = 0;
    for (size_t i = 0; builtin && i < dh_builtin_count(); i++)
        add(&s, &n, "built-in", dh_builtin_json(i), dh_builtin_name(i));
    for (size_t i = 0; i < ndirs; i++)
        if (add_dir(&s, &n, dirs[i])) return 2;
    /* --only keeps the named ones */
    if (nonly) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            int keep = 0;
            for (size_t j = 0; j < nonly; j++) keep |= strcmp(s[i].name, only[j]) == 0;
            if (keep) s[k++] = s[i];
            else free(s[i].name), free(s[i].source), free(s[i].json);
        }
        n = k;
        if (!n) {
            fprintf(stderr, "deskmock check: no scenario is named");
            for (size_t j = 0; j < nonly; j++) fprintf(stderr, " %s", only[j]);
            fprintf(stderr, "; see --list\n");
            return 2;
        }
    }
    int rc = 0;
    if (list_only) {
        int bad = 0;
        for (size_t i = 0; i < n; i++) {
            char why[300];
            int ok = dh_scenario_check(s[i].json, why, sizeof why) == 0;
            printf("%-24s %s%s%s\n", s[i].name, s[i].source, ok ? "" : "\n    invalid: ", ok ? "" : why);
            bad |= !ok;
        }
        rc = bad ? 1 : 0;
        goto out;
    }
    char err[512];
    dh_options o = {0};
    o.port = (int)port;
    o.ready_file = ready;
    dh_mock *m = mock_url ? dh_attach(mock_url, err, sizeof err) : dh_start(&o, err, sizeof err);
    if (!m) {
        fprintf(stderr, "deskmock check: %s\n", err);
        rc = 2;
        goto out;
    }
    if (tap) printf("TAP version 13\n1..%zu\n", n);
    else printf("deskmock check: %zu scenario%s against %s (mock %s)\n", n, n == 1 ? "" : "s",
                env.receiver_url, dh_url(m));
    size_t pass = 0, fail = 0, skip = 0;
    int64_t t0 = dm_mono_us();
    for (size_t i = 0; i < n; i++) {
        int64_t t = dm_mono_us();
        s[i].outcome = dh_run_scenario(m, s[i].json, &env);
        s[i].secs = (double)(dm_mono_us() - t) / 1e6;
        s[i].report = dm_xstrdup(dh_report(m));
        pass += s[i].outcome == DH_PASS, fail += s[i].outcome == DH_FAIL, skip += s[i].outcome == DH_SKIP;
        if (tap) {
            if (s[i].outcome == DH_SKIP) {
                size_t len = strcspn(s[i].report, "\n");
                printf("ok %zu - %s # SKIP %.*s\n", i + 1, s[i].name, (int)len, s[i].report);
            } else {
                printf("%sok %zu - %s\n", s[i].outcome == DH_PASS ? "" : "not ", i + 1, s[i].name);
                if (s[i].outcome == DH_FAIL) print_tap_report(s[i].report);
            }
        } else {
            static const char *const words[] = {"ok  ", "FAIL", "skip"};
            printf("%s %-24s %6.2f s\n", words[s[i].outcome], s[i].name, s[i].secs);
            if (s[i].outcome != DH_PASS) {
                const char *p = s[i].report;
                while (*p) {
                    size_t len = strcspn(p, "\n");
                    printf("       %.*s\n", (int)len, p);
                    p += len;
                    if (*p) p++;
                }
            }
        }
        fflush(stdout);
    }
    double total = (double)(dm_mono_us() - t0) / 1e6;
    if (!tap) printf("%zu passed, %zu failed, %zu skipped in %.2f s\n", pass, fail, skip, total);
    if (junit && write_junit(junit, s, n, total)) {
        fprintf(stderr, "deskmock check: cannot write %s\n", junit);
        rc = 2;
    }
    if (json && write_json(json, env.receiver_url, dh_url(m), s, n, total)) {
        fprintf(stderr, "deskmock check: cannot write %s\n", json);
        rc = 2;
    }
    /* drop what failing receivers left queued for retries, then stop */
    dh_reset(m);
    if (dh_stop(m) && !rc) fprintf(stderr, "deskmock check: the mock did not stop cleanly\n");
    if (!rc) rc = fail ? 1 : 0;
out:
    for (size_t i = 0; i < n; i++) {
        free(s[i].name);
        free(s[i].source);
        free(s[i].json);
        free(s[i].report);
    }
    free(s);
    return rc;
}
