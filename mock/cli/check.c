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
          "mock (or uses --mock), attaches the receiver once (an installed extension by\n"
          "default, or a plain webhook), runs a preflight (one genuine Ticket_Add must\n"
          "be answered 200, or every case is skipped as blocked), then each conformance\n"
          "case: the core events, batches, duplicates, lost answers, late updates,\n"
          "prevState variants, messy data, every kind of forged token and URL, key\n"
          "rotation, a slow or refusing Desk, a reinstall. After each case the\n"
          "receiver's write-backs are judged: echo loops, calls Desk refused (HASH,\n"
          "securityContext, wrong or unknown ids), the same write twice. One root\n"
          "cause fails one case; later cases it would fail again are skipped, naming\n"
          "it. Each failure says what was sent, what came back and what to fix.\n"
          "\n"
          "options:\n"
          "  --receiver URL       the receiver's webhook URL (required); the mock adds\n"
          "                       orgId and securityContext to it, as Desk does\n"
          "  --authorise-url URL  where the mock posts {orgId, securityContext,\n"
          "                       installationId} on install (Desk's onDeskAuthorise);\n"
          "                       without it, checks of the URL's parameters are skipped\n"
          "  --plain              attach through a plain webhook instead of an extension:\n"
          "                       wait for the receiver to create its own (POST\n"
          "                       /api/v1/webhooks with the admin token check prints)\n"
          "  --subscribe TYPES    with --plain: check creates the webhook for these\n"
          "                       comma-separated event types (e.g. Ticket_Add,Ticket_Update)\n"
          "  --webhook ID         drive an existing webhook of the mock\n"
          "  --wait SECONDS       how long --plain waits for the receiver's webhook (30)\n"
          "  --config-out FILE    write what the receiver must be configured with (mock,\n"
          "                       orgId, webhookId, jwksUrl, token, securityContext, ...)\n"
          "                       to FILE as JSON, before the first case (with\n"
          "                       --plain also before the wait, without webhookId)\n"
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
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                fputc('?', f);
            else
                fputc(*s, f);
        }
    }
}

static int write_junit(const char *path, const scenario *s, size_t n, double total)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    size_t fails = 0, skips = 0;
    for (size_t i = 0; i < n; i++)
        fails += s[i].outcome == DH_FAIL, skips += s[i].outcome == DH_SKIP;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f,
            "<testsuites name=\"deskmock check\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" "
            "time=\"%.3f\">\n",
            n, fails, skips, total);
    fprintf(f,
            "  <testsuite name=\"deskmock.conformance\" tests=\"%zu\" failures=\"%zu\" "
            "errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
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

/* What the receiver must be configured with: printed, and written as JSON. */
static int show_config(const dh_suite *suite, const char *out_file, int tap)
{
    cJSON *c = dh_suite_config(suite);
    const cJSON *k;
    cJSON_ArrayForEach(k, c)
        if (cJSON_IsString(k)) printf("%s%-16s %s\n", tap ? "# " : "  ", k->string, k->valuestring);
    int rc = 0;
    if (out_file) {
        char *text = cJSON_Print(c);
        FILE *f = fopen(out_file, "w");
        rc = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF ? 0 : -1;
        if (f && fclose(f) != 0) rc = -1;
        cJSON_free(text);
        if (rc) fprintf(stderr, "deskmock check: cannot write %s\n", out_file);
    }
    cJSON_Delete(c);
    fflush(stdout);
    return rc;
}

static void print_result(const scenario *s, size_t i, int tap)
{
    if (tap) {
        if (s->outcome == DH_SKIP) {
            size_t len = strcspn(s->report, "\n");
            printf("ok %zu - %s # SKIP %.*s\n", i + 1, s->name, (int)len, s->report);
        } else {
            printf("%sok %zu - %s\n", s->outcome == DH_PASS ? "" : "not ", i + 1, s->name);
            if (s->outcome == DH_FAIL) print_tap_report(s->report);
        }
    } else {
        static const char *const words[] = {"ok  ", "FAIL", "skip"};
        printf("%s %-24s %6.2f s\n", words[s->outcome], s->name, s->secs);
        if (s->outcome != DH_PASS) {
            const char *p = s->report;
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

typedef struct check_opts {
    dh_suite_options suite;
    const char *mock_url, *junit, *json, *ready, *config_out;
    long long port;
    const char *dirs[16], *only[64];
    size_t ndirs, nonly;
    int builtin, tap, list_only;
} check_opts;

/* 0, 2 for bad usage, or 1 after --help (exit 0). */
static int parse(int argc, char **argv, check_opts *o)
{
    static const struct option longopts[] = {
        {"receiver", required_argument, NULL, 'r'},
        {"authorise-url", required_argument, NULL, 'a'},
        {"extension", required_argument, NULL, 'e'},
        {"scenarios", required_argument, NULL, 's'},
        {"no-builtin", no_argument, NULL, 'B'},
        {"only", required_argument, NULL, 'o'},
        {"no-verification", no_argument, NULL, 'V'},
        {"expects-verification", no_argument, NULL, 'v'},
        {"mock", required_argument, NULL, 'm'},
        {"junit", required_argument, NULL, 'j'},
        {"tap", no_argument, NULL, 't'},
        {"list", no_argument, NULL, 'l'},
        {"port", required_argument, NULL, 'p'},
        {"ready-file", required_argument, NULL, 'R'},
        {"json", required_argument, NULL, 'J'},
        {"plain", no_argument, NULL, 'P'},
        {"subscribe", required_argument, NULL, 'S'},
        {"webhook", required_argument, NULL, 'W'},
        {"config-out", required_argument, NULL, 'C'},
        {"wait", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->suite.env.expects_verification = 1;
    o->builtin = 1;
    long long wait = 30;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o->suite.env.receiver_url = optarg;
            break;
        case 'a':
            o->suite.env.authorise_url = optarg;
            break;
        case 'e':
            o->suite.env.extension_dir = optarg;
            break;
        case 's':
            if (o->ndirs < 16) o->dirs[o->ndirs++] = optarg;
            break;
        case 'B':
            o->builtin = 0;
            break;
        case 'o':
            if (o->nonly < 64) o->only[o->nonly++] = optarg;
            break;
        case 'V':
            o->suite.env.expects_verification = 0;
            break;
        case 'v':
            o->suite.env.expects_verification = 1;
            break;
        case 'm':
            o->mock_url = optarg;
            break;
        case 'j':
            o->junit = optarg;
            break;
        case 'J':
            o->json = optarg;
            break;
        case 't':
            o->tap = 1;
            break;
        case 'l':
            o->list_only = 1;
            break;
        case 'R':
            o->ready = optarg;
            break;
        case 'C':
            o->config_out = optarg;
            break;
        case 'P':
            o->suite.attach = DH_ATTACH_PLAIN;
            break;
        case 'S':
            o->suite.subscribe = optarg;
            break;
        case 'W':
            o->suite.attach = DH_ATTACH_WEBHOOK;
            o->suite.webhook_id = optarg;
            break;
        case 'p':
            if (dm_cli_option_number("check", "--port", optarg, 0, 65535, NULL, &o->port)) return 2;
            break;
        case 'w':
            if (dm_cli_option_number("check", "--wait", optarg, 1, 3600, NULL, &wait)) return 2;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return 2;
        }
    }
    o->suite.wait_ms = (int)wait * 1000;
    if (o->suite.subscribe && o->suite.attach != DH_ATTACH_PLAIN) {
        fprintf(stderr, "deskmock check: --subscribe goes with --plain; see --help\n");
        return 2;
    }
    if (o->suite.attach == DH_ATTACH_WEBHOOK &&
        (o->suite.subscribe || o->suite.env.extension_dir)) {
        fprintf(
            stderr,
            "deskmock check: --webhook drives an existing webhook; drop --subscribe/--extension\n");
        return 2;
    }
    if (o->suite.attach != DH_ATTACH_EXTENSION)
        o->suite.env.authorise_url = NULL; /* no installation */
    if (optind != argc ||
        (!o->suite.env.receiver_url && !o->list_only && o->suite.attach != DH_ATTACH_WEBHOOK)) {
        fprintf(stderr, "deskmock check: give --receiver URL; see --help\n");
        return 2;
    }
    return 0;
}

/* The scenarios to run: built in, then --scenarios, kept by --only. */
static int collect(const check_opts *o, scenario **s, size_t *n)
{
    for (size_t i = 0; o->builtin && i < dh_builtin_count(); i++)
        add(s, n, "built-in", dh_builtin_json(i), dh_builtin_name(i));
    for (size_t i = 0; i < o->ndirs; i++)
        if (add_dir(s, n, o->dirs[i])) return -1;
    if (!o->nonly) return 0;
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        int keep = 0;
        keep = i == 0; /* the preflight */
        for (size_t j = 0; j < o->nonly; j++)
            keep |= strcmp((*s)[i].name, o->only[j]) == 0;
        if (keep)
            (*s)[k++] = (*s)[i];
        else
            free((*s)[i].name), free((*s)[i].source), free((*s)[i].json);
    }
    *n = k;
    if (k < 2) {
        fprintf(stderr, "deskmock check: no scenario is named");
        for (size_t j = 0; j < o->nonly; j++)
            fprintf(stderr, " %s", o->only[j]);
        fprintf(stderr, "; see --list\n");
        return -1;
    }
    return 0;
}

static int list(const scenario *s, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        char why[300];
        int ok = dh_scenario_check(s[i].json, why, sizeof why) == 0;
        printf("%-24s %s%s%s\n", s[i].name, s[i].source,
               ok ? "" : "\n    invalid: ", ok ? "" : why);
        bad |= !ok;
    }
    return bad ? 1 : 0;
}

/* Attach, preflight (results[0]), then every case. Returns the failures. */
static size_t run_all(dh_mock *m, const check_opts *o, scenario *s, size_t n)
{
    size_t fail = 0, pass = 0, skip = 0;
    int64_t t0 = dm_mono_us();
    dh_suite *suite = dh_suite_new(m, &o->suite);
    if (o->tap)
        printf("TAP version 13\n1..%zu\n", n);
    else
        printf("deskmock check: %zu case%s against %s (mock %s)\n", n, n == 1 ? "" : "s",
               o->suite.env.receiver_url ? o->suite.env.receiver_url : "webhook", dh_url(m));
    int written = 1; /* the --config-out file, where it is due before the wait */
    if (o->suite.attach == DH_ATTACH_PLAIN && !o->suite.subscribe) {
        printf("%swaiting for the receiver's webhook; configure it with:\n", o->tap ? "# " : "");
        written = show_config(suite, o->config_out, o->tap) == 0;
    }
    int attached = written && dh_suite_attach(suite) == 0;
    char *attach_err = attached || !written ? NULL : dm_xstrdup(dh_report(m));
    if (attached) {
        printf("%sthe receiver is configured with:\n", o->tap ? "# " : "");
        if (show_config(suite, o->config_out, o->tap)) attached = 0;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t t = dm_mono_us();
        if (!attached) {
            s[i].outcome = i ? DH_SKIP : DH_FAIL;
            s[i].report = dm_xstrdup(i ? "blocked by preflight: attaching to the receiver failed"
                                       : (attach_err ? attach_err : "attaching failed"));
        } else {
            s[i].outcome = i == 0 ? dh_suite_preflight(suite) : dh_suite_run(suite, s[i].json);
            s[i].report = dm_xstrdup(dh_report(m));
        }
        s[i].secs = (double)(dm_mono_us() - t) / 1e6;
        pass += s[i].outcome == DH_PASS, fail += s[i].outcome == DH_FAIL,
            skip += s[i].outcome == DH_SKIP;
        print_result(&s[i], i, o->tap);
    }
    free(attach_err);
    dh_suite_free(suite);
    double total = (double)(dm_mono_us() - t0) / 1e6;
    if (!o->tap) printf("%zu passed, %zu failed, %zu skipped in %.2f s\n", pass, fail, skip, total);
    return fail;
}

int dm_cli_check(int argc, char **argv)
{
    check_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc == 1 ? 0 : rc;
    scenario *s = NULL;
    size_t n = 0;
    /* the preflight is the first case of every run */
    add(&s, &n, "built-in", "{\"name\":\"preflight\"}", "preflight");
    if (collect(&o, &s, &n)) {
        rc = 2;
        goto out;
    }
    if (o.list_only) {
        rc = list(s, n);
        goto out;
    }
    char err[512];
    dh_options mo = {0};
    mo.port = (int)o.port;
    mo.ready_file = o.ready;
    dh_mock *m =
        o.mock_url ? dh_attach(o.mock_url, err, sizeof err) : dh_start(&mo, err, sizeof err);
    if (!m) {
        fprintf(stderr, "deskmock check: %s\n", err);
        rc = 2;
        goto out;
    }
    int64_t t0 = dm_mono_us();
    size_t fail = run_all(m, &o, s, n);
    double total = (double)(dm_mono_us() - t0) / 1e6;
    const char *who = o.suite.env.receiver_url ? o.suite.env.receiver_url : "webhook";
    if (o.junit && write_junit(o.junit, s, n, total)) {
        fprintf(stderr, "deskmock check: cannot write %s\n", o.junit);
        rc = 2;
    }
    if (o.json && write_json(o.json, who, dh_url(m), s, n, total)) {
        fprintf(stderr, "deskmock check: cannot write %s\n", o.json);
        rc = 2;
    }
    /* a run on the user's mock leaves its state for them to look at; our own
     * mock drops what failing receivers left queued for retries, then stops */
    if (!o.mock_url) dh_reset(m);
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
