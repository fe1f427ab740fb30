/* trigger.c -- `deskmock trigger`: asks a running mock to raise an event
 * (POST /mock/v1/events), waits for its deliveries, and prints, for each
 * webhook, what became of it. Exit 0 only when every webhook that took the
 * event answered 200. */
#include "cli/cli.h"
#include "cli/client.h"
#include "util/file.h"
#include "util/jpath.h"
#include "util/json.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: deskmock trigger [options] EVENT_TYPE\n"
          "       deskmock trigger [options] --fixture FILE|NAME\n"
          "\n"
          "Makes a running mock raise a Desk event and waits for its deliveries.\n"
          "EVENT_TYPE, any of the 52 Desk has (deskmock schema lists them), changes the\n"
          "mock's state the way Desk's would change: through the Desk API, or for what\n"
          "no API user can do (a customer's email, an agent going offline, a WhatsApp\n"
          "message) through the mock's actions; so prevState, department filters and\n"
          "ignoreSourceId apply exactly. An update or delete changes the object --id\n"
          "names, else the newest of its kind; a create starts from a plausible body\n"
          "that --set adds to. Ticket_Add arrives as a customer's email (its event\n"
          "carries firstThread) unless --set names more than subject, description,\n"
          "departmentId, contactId. A fixture (a file, or a name like\n"
          "Ticket_Update/status-closed from the mock's library) loads its resource into\n"
          "state and raises its event.\n"
          "\n"
          "options:\n"
          "  --mock URL          the mock (default: $DESKMOCK_URL, then --ready-file)\n"
          "  --ready-file FILE   read the mock's URL from its ready file\n"
          "                      (default: $DESKMOCK_READY_FILE)\n"
          "  --id ID             the object to change or delete (default: the newest)\n"
          "  --ticket ID         the ticket to change, or the one a thread, comment,\n"
          "                      attachment, approval or time entry belongs to\n"
          "  --comment ID        the comment to edit (Ticket_Comment_Update)\n"
          "  --contact ID        the contact to change (Contact_Update)\n"
          "  --article ID        the article a translation belongs to\n"
          "  --direction in|out  Ticket_Thread_Add: an incoming message (default) or a reply\n"
          "  --set PATH=VALUE    set a field, e.g. status=Closed, cf.cf_region=EU,\n"
          "                      secondaryContacts[0]=123; with --fixture, paths are in the\n"
          "                      payload unless they start with payload. or prevState. VALUE\n"
          "                      is text, or JSON when it is {..}, [..], \"..\", true, false,\n"
          "                      null (numbers stay text, as Desk sends them)\n"
          "  --unset PATH        remove a field (fixtures)\n"
          "  --source-id ID      mark the change with this sourceId (webhooks whose\n"
          "                      ignoreSourceId equals it do not get it)\n"
          "  --automation        mark the change as made by automation\n"
          "  --timeout MS        wait at most MS for deliveries (default 10000)\n"
          "  --json              print one JSON document instead of lines, on every path:\n"
          "                      {\"ok\", \"events\": [each event's story: the event, its\n"
          "                      attempts and fates], \"reason\" (why none was raised),\n"
          "                      \"error\", \"status\" and \"answer\" (when the mock refused)}\n"
          "  -h, --help          show this help\n"
          "\n"
          "When nothing is raised (a change that changes nothing: Desk raises no event for\n"
          "it) the mock says why, and so does trigger.\n"
          "\n"
          "exit status: 0 every webhook that took the event answered 200; 1 some did not,\n"
          "none took it, nothing was raised, or the mock refused; 2 bad usage or no mock\n",
          out);
}

/* URL without its query: securityContext stays off the screen. */
static void print_url(const char *url)
{
    const char *q = url ? strchr(url, '?') : NULL;
    printf("%.*s%s", q ? (int)(q - url) : (int)strlen(url ? url : ""), url ? url : "",
           q ? "?…" : "");
}

/* Prints one event's story; returns 1 when every webhook that took it got a
 * 200, 0 otherwise. */
static int report(const cJSON *story, const char *type, double seq)
{
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(story, "event");
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(ev, "webhooks");
    const cJSON *fates = cJSON_GetObjectItemCaseSensitive(story, "fates");
    const cJSON *attempts = cJSON_GetObjectItemCaseSensitive(story, "attempts");
    int ok = 1, taken = 0;
    printf("%s (event %.0f)\n", type, seq);
    const cJSON *t;
    cJSON_ArrayForEach(t, targets) {
        const char *wid = dm_json_str(t, "webhookId");
        const cJSON *fate = NULL, *f, *last = NULL, *a;
        cJSON_ArrayForEach(f, fates)
            if (dm_json_str(f, "webhookId") && strcmp(dm_json_str(f, "webhookId"), wid) == 0)
                fate = f;
        cJSON_ArrayForEach(a, attempts)
            if (dm_json_str(a, "webhookId") && strcmp(dm_json_str(a, "webhookId"), wid) == 0)
                last = a;
        printf("  webhook %s ", wid);
        if (last) print_url(dm_json_str(last, "url"));
        const char *fs = fate ? dm_json_str(fate, "fate") : "pending";
        if (strcmp(dm_json_str(t, "fate"), "withheld") == 0) {
            printf(": not delivered (%s)\n", dm_json_str(t, "reason"));
            continue;
        }
        taken++;
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(last, "status");
        const cJSON *lat = cJSON_GetObjectItemCaseSensitive(last, "latencyMs");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(last, "attempt");
        if (strcmp(fs, "delivered") == 0) {
            printf(": delivered, %.0f in %.2f ms (attempt %.0f)\n", st ? st->valuedouble : 0,
                   lat ? lat->valuedouble : 0, n ? n->valuedouble : 1);
        } else {
            ok = 0;
            if (last && cJSON_IsNumber(st))
                printf(": %s, last answer %.0f", fs, st->valuedouble);
            else if (last)
                printf(": %s, %s", fs,
                       dm_json_str(last, "error") ? dm_json_str(last, "error") : "no answer");
            else
                printf(": %s", fs);
            const cJSON *next = cJSON_GetObjectItemCaseSensitive(last, "nextRetryMs");
            if (strcmp(fs, "pending") == 0 && next)
                printf(", next retry in %.0f ms", next->valuedouble);
            if (fate && dm_json_str(fate, "reason")) printf(" (%s)", dm_json_str(fate, "reason"));
            printf("\n");
        }
    }
    if (!taken) {
        printf("  no webhook took %s: subscribe one (POST /api/v1/webhooks) or install an "
               "extension whose resources.json subscribes to it\n",
               type);
        return 0;
    }
    return ok;
}

/* ==== The command ==== */

typedef struct trig {
    const char *mock, *ready, *fixture;
    long long timeout;
    int json;   /* --json: everything on stdout is one JSON document */
    cJSON *req; /* the body of POST /mock/v1/events */
    cJSON *out; /* --json: what is printed at the end */
} trig;

/* A failure: said on stderr, or (--json) kept as "error" in the output. */
static void failf(trig *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failf(trig *t, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (t->json)
        dm_json_set_str(t->out, "error", msg);
    else
        fprintf(stderr, "deskmock trigger: %s\n", msg);
}

static const struct option longopts[] = {
    {"mock", required_argument, NULL, 'm'},
    {"ready-file", required_argument, NULL, 'r'},
    {"ticket", required_argument, NULL, 't'},
    {"comment", required_argument, NULL, 'c'},
    {"contact", required_argument, NULL, 'k'},
    {"direction", required_argument, NULL, 'd'},
    {"id", required_argument, NULL, 'i'},
    {"article", required_argument, NULL, 'A'},
    {"set", required_argument, NULL, 's'},
    {"unset", required_argument, NULL, 'u'},
    {"source-id", required_argument, NULL, 'S'},
    {"automation", no_argument, NULL, 'a'},
    {"timeout", required_argument, NULL, 'T'},
    {"fixture", required_argument, NULL, 'f'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Reads the options into t (the request's fields into t->req); 0, 1 for
 * --help, -1 on bad usage (said). */
static int parse(trig *t, int argc, char **argv)
{
    cJSON *set = cJSON_CreateObject(), *unset = cJSON_CreateArray();
    int c, rc = 0;
    optind = 1;
    opterr = !t->json; /* getopt's own complaints are not JSON */
    while (!rc && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            t->mock = optarg;
            break;
        case 'r':
            t->ready = optarg;
            break;
        case 't':
            dm_json_set_str(t->req, "ticketId", optarg);
            break;
        case 'c':
            dm_json_set_str(t->req, "commentId", optarg);
            break;
        case 'k':
            dm_json_set_str(t->req, "contactId", optarg);
            break;
        case 'i':
            dm_json_set_str(t->req, "id", optarg);
            break;
        case 'A':
            dm_json_set_str(t->req, "articleId", optarg);
            break;
        case 'd':
            dm_json_set_str(t->req, "direction", optarg);
            break;
        case 'S':
            dm_json_set_str(t->req, "sourceId", optarg);
            break;
        case 'a':
            dm_json_set_bool(t->req, "automation", 1);
            break;
        case 'j':
            break;
        case 'f':
            t->fixture = optarg;
            break;
        case 's': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                failf(t, "--set %s: expected PATH=VALUE", optarg);
                rc = -1;
                break;
            }
            *eq = '\0';
            cJSON_AddItemToObject(set, optarg, dm_jpath_value(eq + 1));
            *eq = '=';
            break;
        }
        case 'u':
            cJSON_AddItemToArray(unset, cJSON_CreateString(optarg));
            break;
        case 'T':
            if (dm_cli_number(optarg, 0, 600000, &t->timeout)) {
                failf(t, "--timeout %s: expected 0 to 600000", optarg);
                rc = -1;
            }
            break;
        case 'h':
            usage(stdout);
            rc = 1;
            break;
        default:
            if (t->json)
                failf(t, "bad usage; see deskmock trigger --help");
            else
                usage(stderr);
            rc = -1;
        }
    }
    if (!rc && !t->fixture && optind != argc - 1) {
        failf(t, "give one EVENT_TYPE or --fixture; see --help");
        rc = -1;
    } else if (!rc && t->fixture && optind != argc) {
        failf(t, "give --fixture or an EVENT_TYPE, not both");
        rc = -1;
    }
    if (!rc && !t->fixture) dm_json_set_str(t->req, "eventType", argv[optind]);
    if (set->child) cJSON_AddItemToObject(t->req, "set", set), set = NULL;
    if (unset->child) cJSON_AddItemToObject(t->req, "unset", unset), unset = NULL;
    cJSON_Delete(set);
    cJSON_Delete(unset);
    return rc;
}

/* --fixture: a file is sent as the fixture itself, anything else as a name
 * from the mock's library. 0, or -1 (said). */
static int add_fixture(trig *t)
{
    char *text = dm_read_file(t->fixture, NULL);
    if (!text) {
        dm_json_set_str(t->req, "fixture", t->fixture);
        return 0;
    }
    cJSON *fx = NULL;
    char why[160];
    int rc = dm_json_parse(text, strlen(text), &fx, why, sizeof why);
    free(text);
    if (rc) {
        failf(t, "%s: %s", t->fixture, why);
        return -1;
    }
    cJSON_AddItemToObject(t->req, "fixture", fx);
    return 0;
}

/* Whether every webhook that took the event in story answered 200. */
static int all_delivered(const cJSON *story)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(story, "event"), *x;
    int taken = 0, delivered = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(e, "webhooks"))
        taken += strcmp(dm_json_str(x, "fate"), "queued") == 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(story, "fates"))
        delivered += strcmp(dm_json_str(x, "fate"), "delivered") == 0;
    return taken > 0 && delivered == taken;
}

/* Raises the event and follows each one raised to its fates. The exit code. */
static int run(trig *t)
{
    char base[512], url[1024], err[512];
    if (dm_client_mock_url(t->mock, t->ready, base, sizeof base)) {
        failf(t, "where is the mock? give --mock URL, set DESKMOCK_URL, or give --ready-file FILE");
        return 2;
    }
    if (t->fixture && add_fixture(t)) return 2;
    snprintf(url, sizeof url, "%s/mock/v1/events", base);
    char *body = dm_json_print(t->req);
    cJSON *ans = NULL;
    long st = dm_client_call("POST", url, body, &ans, 30000, err, sizeof err);
    free(body);
    if (st < 0) {
        failf(t, "%s", err);
        return 2;
    }
    if (st != 200) {
        failf(t, "the mock refused (%ld): %s", st,
              ans ? dm_json_str(ans, "message") : "no message");
        if (t->json) {
            cJSON_AddNumberToObject(t->out, "status", (double)st);
            if (ans) cJSON_AddItemToObject(t->out, "answer", ans), ans = NULL;
        } else {
            const cJSON *e;
            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(ans, "errors"))
                fprintf(stderr, "  %s: %s\n", dm_json_str(e, "fieldName"),
                        dm_json_str(e, "errorMessage"));
        }
        cJSON_Delete(ans);
        return 1;
    }
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(ans, "events"), *ev;
    const char *reason = dm_json_str(ans, "reason");
    if (!cJSON_GetArraySize(events)) {
        if (t->json)
            dm_json_set_str(t->out, "reason", reason ? reason : "no event was raised");
        else
            printf("no event was raised: %s\n", reason ? reason : "the mock did not say why");
    }
    cJSON *stories = t->json ? cJSON_AddArrayToObject(t->out, "events") : NULL;
    int all_ok = cJSON_GetArraySize(events) > 0;
    cJSON_ArrayForEach(ev, events) {
        double seq = cJSON_GetObjectItemCaseSensitive(ev, "seq")->valuedouble;
        snprintf(url, sizeof url, "%s/mock/v1/events/%.0f?wait=%lld", base, seq, t->timeout);
        cJSON *story = NULL;
        st = dm_client_call("GET", url, NULL, &story, (long)t->timeout + 5000, err, sizeof err);
        if (st != 200) {
            failf(t, "%s", st < 0 ? err : "cannot read the event's story");
            all_ok = 0;
        } else if (t->json) {
            all_ok &= all_delivered(story);
            cJSON_AddItemToArray(stories, story), story = NULL;
        } else {
            all_ok &= report(story, dm_json_str(ev, "eventType"), seq);
        }
        cJSON_Delete(story);
    }
    cJSON_Delete(ans);
    return all_ok ? 0 : 1;
}

int dm_cli_trigger(int argc, char **argv)
{
    trig t = {0};
    t.timeout = 10000;
    for (int i = 1; i < argc; i++)
        t.json |= strcmp(argv[i], "--json") == 0;
    t.req = cJSON_CreateObject();
    t.out = cJSON_CreateObject();
    int parsed = parse(&t, argc, argv);
    int rc = parsed < 0 ? 2 : parsed > 0 ? 0 : run(&t);
    if (t.json && parsed <= 0) {
        cJSON_AddBoolToObject(t.out, "ok", rc == 0);
        char *text = cJSON_Print(t.out);
        printf("%s\n", text);
        free(text);
    }
    cJSON_Delete(t.req);
    cJSON_Delete(t.out);
    return rc;
}
