/* expect.c -- `deskmock expect`: one libdeskharness expectation (delivered,
 * call, no-call, no-loop, no-duplicate-writes, refused) judged against a
 * running mock, for tests written in any language. It only attaches and
 * asks; the judging is libdeskharness's (harness/expect.c), not repeated here. */
#include "cli/cli.h"
#include "cli/client.h"
#include "deskmock/harness.h"
#include "util/buf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: deskmock expect [--mock URL] [--json] VERB [options]\n"
          "\n"
          "Judges what a receiver did, from a running mock's journal, with the\n"
          "expectations of libdeskharness: the same verdicts and reports as the C\n"
          "harness. Take a mark first (the journal's lastSeq, GET /mock/v1/health),\n"
          "act, then expect with --after MARK: only what came after it counts.\n"
          "\n"
          "verbs:\n"
          "  delivered --after SEQ --event-type T [--where PATH=VALUE] [--within MS]\n"
          "            [--timeout MS]\n"
          "                      a T event raised after SEQ (whose payload has VALUE at\n"
          "                      PATH, e.g. status=Closed or cf.cf_region=EU; non-text\n"
          "                      values by their JSON text, isSpam=false) was answered\n"
          "                      200 within MS (default: the mock's delivery timeout)\n"
          "  call --after SEQ [--method M] [--url GLOB] [--min N] [--timeout MS]\n"
          "                      the receiver made at least N (default 1) calls back\n"
          "                      (invoke, or the Desk API with its extension token) of\n"
          "                      method M (default any) whose URL matches GLOB ('*'\n"
          "                      matches anything; invoke URLs are whole, so begin with *)\n"
          "  no-call --after SEQ [--method M] [--url GLOB] [--quiet MS]\n"
          "                      no such call, watching until the journal is quiet\n"
          "  no-loop --after SEQ [--quiet MS]\n"
          "                      no echo loop: no write of the receiver came back to its\n"
          "                      own webhook and made it write again\n"
          "  no-duplicate-writes --after SEQ [--quiet MS]\n"
          "                      no two identical writes made while handling one event\n"
          "  refused --forged SEQ [--quiet MS]\n"
          "                      the forged delivery SEQ (the \"forged\" of POST\n"
          "                      /mock/v1/deliveries) was answered 300 or more and\n"
          "                      nothing was written because of it\n"
          "\n"
          "options:\n"
          "  --mock URL          the mock (default: $DESKMOCK_URL, then --ready-file)\n"
          "  --ready-file FILE   read the mock's URL from its ready file\n"
          "                      (default: $DESKMOCK_READY_FILE)\n"
          "  --timeout MS        how long to wait for what is expected (default 10000);\n"
          "                      a met expectation returns at once\n"
          "  --quiet MS          the no-... verbs and refused watch until nothing has been\n"
          "                      journaled for MS (default 500; at most 10 x MS + 2 s)\n"
          "  --json              print {\"ok\": true|false, \"report\": \"...\"} instead\n"
          "  -h, --help          show this help\n"
          "\n"
          "A mock started with --control-token needs $DESKMOCK_CONTROL_TOKEN.\n"
          "Nothing is printed when the expectation is met; when it is not, the report\n"
          "(what was sent, what came back, what the receiver did next, quoting the\n"
          "journal) goes to stdout.\n"
          "\n"
          "exit status: 0 met; 1 not met; 2 bad usage, or no mock answering\n",
          out);
}

/* ==== Verbs and the options each takes ==== */

enum {
    O_AFTER = 1 << 0,
    O_EVENT = 1 << 1,
    O_WHERE = 1 << 2,
    O_WITHIN = 1 << 3,
    O_TIMEOUT = 1 << 4,
    O_METHOD = 1 << 5,
    O_URL = 1 << 6,
    O_MIN = 1 << 7,
    O_QUIET = 1 << 8,
    O_FORGED = 1 << 9,
};

typedef enum verb { V_DELIVERED, V_CALL, V_NO_CALL, V_NO_LOOP, V_NO_DUP, V_REFUSED } verb;

static const struct {
    const char *name;
    unsigned allowed;  /* options it takes */
    unsigned required; /* of which it needs */
} verbs[] = {
    [V_DELIVERED] = {"delivered", O_AFTER | O_EVENT | O_WHERE | O_WITHIN | O_TIMEOUT,
                     O_AFTER | O_EVENT},
    [V_CALL] = {"call", O_AFTER | O_METHOD | O_URL | O_MIN | O_TIMEOUT, O_AFTER},
    [V_NO_CALL] = {"no-call", O_AFTER | O_METHOD | O_URL | O_QUIET, O_AFTER},
    [V_NO_LOOP] = {"no-loop", O_AFTER | O_QUIET, O_AFTER},
    [V_NO_DUP] = {"no-duplicate-writes", O_AFTER | O_QUIET, O_AFTER},
    [V_REFUSED] = {"refused", O_FORGED | O_QUIET, O_FORGED},
};
#define NVERBS (sizeof verbs / sizeof verbs[0])

static const struct {
    unsigned bit;
    const char *name;
} option_names[] = {
    {O_AFTER, "--after"},   {O_EVENT, "--event-type"}, {O_WHERE, "--where"},
    {O_WITHIN, "--within"}, {O_TIMEOUT, "--timeout"},  {O_METHOD, "--method"},
    {O_URL, "--url"},       {O_MIN, "--min"},          {O_QUIET, "--quiet"},
    {O_FORGED, "--forged"},
};

/* Exit 2 unless the options given suit the verb: none it does not take, all
 * it needs. */
static int check_options(verb v, unsigned given)
{
    for (size_t i = 0; i < sizeof option_names / sizeof option_names[0]; i++) {
        unsigned bit = option_names[i].bit;
        if ((given & bit) && !(verbs[v].allowed & bit)) {
            fprintf(stderr, "deskmock expect %s: %s does not apply; see --help\n", verbs[v].name,
                    option_names[i].name);
            return -1;
        }
        if ((verbs[v].required & bit) && !(given & bit)) {
            fprintf(stderr, "deskmock expect %s: give %s; see --help\n", verbs[v].name,
                    option_names[i].name);
            return -1;
        }
    }
    return 0;
}

/* ==== The command ==== */

/* What the command line asks for. */
typedef struct expect_args {
    const char *mock, *ready, *event_type, *where, *method, *url;
    long long after, forged, within, timeout, min, quiet;
    verb v;
    int json;
} expect_args;

/* 0; 1 after --help (exit 0); 2 for bad usage (said on stderr). */
static int parse(int argc, char **argv, expect_args *o)
{
    static const struct option longopts[] = {
        {"mock", required_argument, NULL, 'm'},
        {"ready-file", required_argument, NULL, 'R'},
        {"json", no_argument, NULL, 'j'},
        {"after", required_argument, NULL, 'a'},
        {"event-type", required_argument, NULL, 'e'},
        {"where", required_argument, NULL, 'w'},
        {"within", required_argument, NULL, 'W'},
        {"timeout", required_argument, NULL, 't'},
        {"method", required_argument, NULL, 'M'},
        {"url", required_argument, NULL, 'u'},
        {"min", required_argument, NULL, 'n'},
        {"quiet", required_argument, NULL, 'q'},
        {"forged", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->timeout = 10000, o->min = 1, o->quiet = 500;
    const char *verb_name = NULL;
    int c;
    unsigned given = 0;
    optind = 1;
    /* "-": the verb comes back in order as option 1, so options may stand on
     * either side of it, whatever POSIXLY_CORRECT says */
    while ((c = getopt_long(argc, argv, "-h", longopts, NULL)) != -1) {
        switch (c) {
        case 1:
            if (verb_name) {
                fprintf(stderr,
                        "deskmock expect: one verb at a time ('%s', then '%s'); see --help\n",
                        verb_name, optarg);
                return 2;
            }
            verb_name = optarg;
            break;
        case 'm':
            o->mock = optarg;
            break;
        case 'R':
            o->ready = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'a':
            if (dm_cli_option_number("expect", "--after", optarg, 0, INT64_MAX, "a journal seq",
                                     &o->after))
                return 2;
            given |= O_AFTER;
            break;
        case 'f':
            if (dm_cli_option_number("expect", "--forged", optarg, 1, INT64_MAX, "a journal seq",
                                     &o->forged))
                return 2;
            given |= O_FORGED;
            break;
        case 'e':
            o->event_type = optarg, given |= O_EVENT;
            break;
        case 'w':
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                fprintf(stderr, "deskmock expect: --where %s: expected PATH=VALUE\n", optarg);
                return 2;
            }
            o->where = optarg, given |= O_WHERE;
            break;
        case 'W':
            if (dm_cli_option_number("expect", "--within", optarg, 1, 3600000, NULL, &o->within))
                return 2;
            given |= O_WITHIN;
            break;
        case 't':
            if (dm_cli_option_number("expect", "--timeout", optarg, 0, 3600000, NULL, &o->timeout))
                return 2;
            given |= O_TIMEOUT;
            break;
        case 'M':
            o->method = optarg, given |= O_METHOD;
            break;
        case 'u':
            o->url = optarg, given |= O_URL;
            break;
        case 'n':
            if (dm_cli_option_number("expect", "--min", optarg, 1, 1000000, NULL, &o->min))
                return 2;
            given |= O_MIN;
            break;
        case 'q':
            if (dm_cli_option_number("expect", "--quiet", optarg, 0, 600000, NULL, &o->quiet))
                return 2;
            given |= O_QUIET;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!verb_name) {
        fprintf(stderr, "deskmock expect: give one verb (delivered, call, no-call, no-loop, "
                        "no-duplicate-writes, refused); see --help\n");
        return 2;
    }
    size_t v = 0;
    while (v < NVERBS && strcmp(verb_name, verbs[v].name) != 0)
        v++;
    if (v == NVERBS) {
        fprintf(stderr, "deskmock expect: '%s' is not a verb; see --help\n", verb_name);
        return 2;
    }
    o->v = (verb)v;
    return check_options(o->v, given) ? 2 : 0;
}

/* The verb's expectation on m: 0 met, -1 not (dh_report says why). */
static int judge(dh_mock *m, const expect_args *o)
{
    char *path = NULL;
    const char *value = NULL;
    if (o->where) {
        const char *eq = strchr(o->where, '=');
        path = dm_xstrndup(o->where, (size_t)(eq - o->where));
        value = eq + 1;
    }
    uint64_t a = (uint64_t)o->after;
    int rc = -1;
    switch (o->v) {
    case V_DELIVERED:
        rc = dh_expect_delivered(m, a, o->event_type, path, value, o->within, (int)o->timeout);
        break;
    case V_CALL:
        rc = dh_expect_call(m, a, o->method, o->url, (int)o->min, (int)o->timeout);
        break;
    case V_NO_CALL:
        rc = dh_expect_no_call(m, a, o->method, o->url, (int)o->quiet);
        break;
    case V_NO_LOOP:
        rc = dh_expect_no_loop(m, a, (int)o->quiet);
        break;
    case V_NO_DUP:
        rc = dh_expect_no_duplicate_writes(m, a, (int)o->quiet);
        break;
    case V_REFUSED:
        rc = dh_expect_refused(m, (uint64_t)o->forged, (int)o->quiet);
        break;
    }
    free(path);
    return rc;
}

static void print_verdict(int met, const char *report, int json)
{
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "ok", met);
        cJSON_AddStringToObject(o, "report", report);
        char *text = cJSON_PrintUnformatted(o);
        printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(o);
    } else if (!met) {
        fputs(report, stdout);
        if (*report && report[strlen(report) - 1] != '\n') putchar('\n');
    }
}

int dm_cli_expect(int argc, char **argv)
{
    expect_args o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc == 1 ? 0 : rc;
    char base[512], err[512];
    if (dm_client_mock_url(o.mock, o.ready, base, sizeof base)) return 2;
    dh_mock *m = dh_attach(base, err, sizeof err);
    if (!m) {
        fprintf(stderr, "deskmock expect: %s\n", err);
        return 2;
    }
    int met = judge(m, &o) == 0;
    char *report = dm_xstrdup(dh_report(m));
    /* A mock that went away mid-way leaves the journal silent, and silence
     * would pass the no-... verbs: only a mock still answering gives a verdict. */
    dh_response r;
    int alive = dh_call(m, "GET", "/mock/v1/health", NULL, NULL, &r) == 0 && r.status == 200;
    dh_response_free(&r);
    dh_stop(m);
    if (!alive) {
        fprintf(stderr, "deskmock expect: the mock at %s stopped answering; no verdict\n", base);
        free(report);
        return 2;
    }
    print_verdict(met, report, o.json);
    free(report);
    return met ? 0 : 1;
}
