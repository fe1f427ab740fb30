/* demo.c -- `deskmock demo`: the whole loop on built-in defaults. Starts the
 * mock, starts the correct example receiver, installs the documentation's
 * example extension pointed at it, makes the documentation's events happen
 * through real API calls, and prints the journal as a timeline: what
 * happened, what was delivered where, what the receiver did back. Exit 0
 * when everything happened as Desk would have it. */
#include "cli/cli.h"
#include "deskmock/harness.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The documentation's example extension (fixtures/extensions/doc-example). */
extern const char dm_doc_manifest[];
extern const size_t dm_doc_manifest_len;
extern const char dm_doc_resources[];
extern const size_t dm_doc_resources_len;

#define SUPPORT            "18920000000000101"
#define BILLING            "18920000000000102"
#define ENGINEERING        "18920000000000103"
#define ENGINEERING_TICKET "18920000000000403"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *out)
{
    fputs("usage: deskmock demo [options]\n"
          "\n"
          "Runs the whole loop on built-in defaults and shows it: the mock Desk with\n"
          "the default org, the correct example receiver, the documentation's example\n"
          "extension installed with its webhook pointed at the receiver (departments\n"
          "Support and Billing chosen), then real API calls: a ticket added, updated\n"
          "(with prevState), a reply, a comment added and edited, the receiver's\n"
          "write-back (sent with the webhook's ignoreSourceId, so not echoed back to\n"
          "it), and a change in Engineering, a department the installation did not\n"
          "choose, which is not delivered. Prints the timeline and where to look next.\n"
          "\n"
          "options:\n"
          "  --keep            leave the mock and the receiver running for exploration\n"
          "                    (stop with Ctrl-C)\n"
          "  --port N          the mock's port (default: any free one)\n"
          "  --verbose         let the receiver's own log through (stderr)\n"
          "  --receiver PATH   the receiver program (default: receiver-correct of the build\n"
          "                    or of the installation, found from this binary's place)\n"
          "  -h, --help        show this help\n",
          out);
}

/* ==== The receiver ==== */

static int find_receiver(char *out, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash) return -1;
    *slash = '\0';
    /* a build tree, then an installed one (cmake --install, the .deb) */
    static const char *const tries[] = {"%s/examples/receiver-correct", "%s/receiver-correct",
                                        "%s/../examples/receiver-correct",
                                        "%s/../libexec/deskmock/receiver-correct"};
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        snprintf(out, len, tries[i], self);
        if (access(out, X_OK) == 0) return 0;
    }
    return -1;
}

/* Starts the receiver and reads its "listening on URL" line (10 s at most). */
static pid_t start_receiver(const char *path, const char *mock, const char *secret,
                            const char *source_id, int verbose, char *url, size_t urllen)
{
    int fds[2];
    if (pipe(fds)) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (!verbose) {
            /* its own log would interleave with the timeline */
            int null = open("/dev/null", O_WRONLY);
            if (null >= 0) dup2(null, STDERR_FILENO);
        }
        execl(path, path, "--port", "0", "--mock", mock, "--secret", secret, "--source-id",
              source_id, (char *)NULL);
        fprintf(stderr, "deskmock demo: cannot run %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    char line[512];
    size_t used = 0;
    int64_t end = dm_mono_ms() + 10000;
    url[0] = '\0';
    while (!url[0] && dm_mono_ms() < end && used < sizeof line - 1) {
        struct pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, 200) <= 0) continue;
        ssize_t n = read(fds[0], line + used, sizeof line - 1 - used);
        if (n <= 0) break;
        used += (size_t)n;
        line[used] = '\0';
        const char *at = strstr(line, "listening on ");
        char *nl = at ? strchr(at, '\n') : NULL;
        if (at && nl) snprintf(url, urllen, "%.*s", (int)(nl - at - 13), at + 13);
    }
    close(fds[0]); /* the receiver's later output goes nowhere: SIGPIPE is ignored there */
    if (!url[0]) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

/* ==== The timeline ==== */

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *str(const cJSON *o, const char *k)
{
    const char *s = dm_json_str(o, k);
    return s ? s : "";
}

static void short_url(const char *url, char *out, size_t len)
{
    const char *q = strchr(url, '?');
    snprintf(out, len, "%.*s", q ? (int)(q - url) : (int)strlen(url), url);
}

/* Top-level keys that differ, for "updated: status, priority". */
static void changed_keys(const cJSON *before, const cJSON *after, dm_buf *out)
{
    const cJSON *a;
    int n = 0;
    cJSON_ArrayForEach(a, after) {
        if (!strcmp(a->string, "modifiedTime") || !strcmp(a->string, "modifiedBy")) continue;
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(before, a->string);
        if (b && cJSON_Compare(a, b, 1)) continue;
        dm_buf_printf(out, "%s%s", n++ ? ", " : "", a->string);
    }
}

static void line(int depth, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(int depth, const char *fmt, ...)
{
    printf("%*s", depth * 4, "");
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static void print_record(const cJSON *all, const cJSON *r, int depth);

static void print_children(const cJSON *all, const cJSON *parent, int depth)
{
    double seq = num(parent, "seq");
    const cJSON *r;
    cJSON_ArrayForEach(r, all)
        if (num(r, "cause") == seq) print_record(all, r, depth);
    /* invoke calls name the event they answered in "event" (their cause is
     * the event too); nothing more to add */
}

static void print_record(const cJSON *all, const cJSON *r, int depth)
{
    const char *kind = str(r, "kind");
    char url[512];
    if (!strcmp(kind, "request")) {
        /* the receiver's invoke calls are shown as invoke records, under the
         * event they answered; only a refused one needs its request */
        if (!strcmp(str(r, "path"), "/api/v1/invoke") && num(r, "status") == 200) return;
        double status = num(r, "status");
        const cJSON *x;
        cJSON_ArrayForEach(x, all)
            if (status < 0 && !strcmp(str(x, "kind"), "response") &&
                num(x, "cause") == num(r, "seq"))
                status = num(x, "status");
        line(depth, "#%.0f %s %s%s%s -> %.0f", num(r, "seq"), str(r, "method"), str(r, "path"),
             *str(r, "as") ? " as " : "", str(r, "as"), status);
    } else if (!strcmp(kind, "change")) {
        const cJSON *before = cJSON_GetObjectItemCaseSensitive(r, "before");
        const cJSON *after = cJSON_GetObjectItemCaseSensitive(r, "after");
        dm_buf keys = {0};
        if (!strcmp(str(r, "action"), "update")) changed_keys(before, after, &keys);
        line(depth, "#%.0f %s %s %sd%s%s", num(r, "seq"), str(r, "resource"), str(r, "id"),
             str(r, "action"), keys.len ? ": " : "", keys.len ? keys.data : "");
        dm_buf_free(&keys);
    } else if (!strcmp(kind, "event")) {
        line(depth, "#%.0f event %s%s", num(r, "seq"), str(r, "eventType"),
             cJSON_GetObjectItemCaseSensitive(r, "prevState") ? " (with prevState)" : "");
        const cJSON *w;
        cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(r, "webhooks"))
            if (!strcmp(str(w, "fate"), "withheld"))
                line(depth + 1, "withheld from webhook %s, as Desk would: %s", str(w, "webhookId"),
                     str(w, "reason"));
    } else if (!strcmp(kind, "attempt")) {
        short_url(str(r, "url"), url, sizeof url);
        if (num(r, "status") >= 0)
            line(depth, "#%.0f delivered to %s: %.0f in %.2f ms", num(r, "seq"), url,
                 num(r, "status"), num(r, "latencyMs"));
        else
            line(depth, "#%.0f delivery to %s failed: %s", num(r, "seq"), url, str(r, "error"));
    } else if (!strcmp(kind, "invoke")) {
        line(depth, "#%.0f the receiver called back: invoke %s %s (sourceId %s) -> %.0f",
             num(r, "seq"), str(r, "requestType"), str(r, "requestURL"),
             *str(r, "sourceId") ? str(r, "sourceId") : "none", num(r, "statusCode"));
    } else if (!strcmp(kind, "installation")) {
        line(depth, "#%.0f extension \"%s\" %sed (installation %s)", num(r, "seq"), str(r, "name"),
             str(r, "action"), str(r, "installationId"));
    } else if (!strcmp(kind, "webhook")) {
        line(depth, "#%.0f webhook %s %sd", num(r, "seq"), str(r, "id"), str(r, "action"));
    } else if (!strcmp(kind, "check")) {
        short_url(str(r, "url"), url, sizeof url);
        line(depth, "#%.0f unsigned GET check of %s -> %.0f", num(r, "seq"), url, num(r, "status"));
    } else if (!strcmp(kind, "callback")) {
        short_url(str(r, "url"), url, sizeof url);
        line(depth, "#%.0f %s callback to %s -> %.0f", num(r, "seq"), str(r, "listener"), url,
             num(r, "status"));
    } else if (!strcmp(kind, "fate")) {
        /* delivered shows as its attempt, withheld under its event */
        if (strcmp(str(r, "fate"), "delivered") && strcmp(str(r, "fate"), "withheld"))
            line(depth, "#%.0f %s: %s", num(r, "seq"), str(r, "fate"), str(r, "reason"));
        return;
    } else {
        return; /* response and other bookkeeping records */
    }
    print_children(all, r, depth + 1);
}

static void print_timeline(const cJSON *all, uint64_t after)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, all) {
        double cause = num(r, "cause");
        if (cause < 0 || cause <= (double)after) print_record(all, r, 1);
    }
}

/* ==== The run ==== */

static int step(dh_mock *m, const char *what, int rc)
{
    if (rc) fprintf(stderr, "deskmock demo: %s failed:\n%s", what, dh_report(m));
    return rc;
}

/* The first event of type after `after` was withheld from the installation's
 * webhook by rule (its event record says so: the decision is made when the
 * event is raised). 0, or -1 after saying what happened instead. */
static int expect_withheld(dh_mock *m, uint64_t after, const char *type, const char *rule)
{
    cJSON *evs = dh_journal(m, after, "event");
    const cJSON *ev, *hit = NULL;
    cJSON_ArrayForEach(ev, evs)
        if (!hit && !strcmp(str(ev, "eventType"), type)) hit = ev;
    const cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(hit, "webhooks"), 0);
    int ok = w && !strcmp(str(w, "fate"), "withheld") && !strcmp(str(w, "rule"), rule);
    if (!ok) {
        if (!hit)
            fprintf(stderr, "deskmock demo: no %s was raised\n", type);
        else
            fprintf(stderr, "deskmock demo: %s #%.0f was %s (%s), expected withheld by %s\n", type,
                    num(hit, "seq"), w ? str(w, "fate") : "sent to no webhook",
                    w ? str(w, "reason") : "-", rule);
    }
    cJSON_Delete(evs);
    return ok ? 0 : -1;
}

/* What the command line asked for. */
typedef struct demo_args {
    int keep, verbose;
    long long port;
    const char *receiver;
} demo_args;

/* Reads the options; 0, 1 for --help (done), -1 on bad usage (said). */
static int parse(demo_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"keep", no_argument, NULL, 'k'},           {"port", required_argument, NULL, 'p'},
        {"receiver", required_argument, NULL, 'r'}, {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            a->keep = 1;
            break;
        case 'v':
            a->verbose = 1;
            break;
        case 'r':
            a->receiver = optarg;
            break;
        case 'p':
            if (dm_cli_option_number("demo", "--port", optarg, 0, 65535, NULL, &a->port)) return -1;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* Installs the documentation's example extension with its webhook at the
 * receiver, choosing Support and Billing. 0, or -1 (said). */
static int install(dh_mock *m, const cJSON *manifest, const cJSON *resources, const char *rurl)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddItemToObject(body, "manifest", cJSON_Duplicate(manifest, 1));
    cJSON_AddItemToObject(body, "resources", cJSON_Duplicate(resources, 1));
    char hook[300], auth[300];
    snprintf(hook, sizeof hook, "%s/hook", rurl);
    snprintf(auth, sizeof auth, "%s/authorise", rurl);
    cJSON_AddStringToObject(body, "webhookUrl", hook);
    cJSON_AddItemToObject(cJSON_AddObjectToObject(body, "callbackUrls"), "onDeskAuthorise",
                          cJSON_CreateString(auth));
    cJSON *deps = cJSON_AddArrayToObject(body, "departments");
    cJSON_AddItemToArray(deps, cJSON_CreateString(SUPPORT));
    cJSON_AddItemToArray(deps, cJSON_CreateString(BILLING));
    char *text = dm_json_print(body);
    cJSON_Delete(body);
    dh_response r;
    int rc = dh_call(m, "POST", "/mock/v1/installations", NULL, text, &r);
    free(text);
    if (rc || r.status != 201) {
        fprintf(stderr, "deskmock demo: installing the example extension failed: %s\n",
                r.body ? r.body : dh_report(m));
        rc = -1;
    }
    dh_response_free(&r);
    return rc ? -1 : 0;
}

/* The documentation's events, through real API calls by an agent, each
 * judged as it happens; the ticket made goes into ticket. 0, or -1 (said). */
static int documented_events(dh_mock *m, char ticket[32])
{
    char comment[32], path[128];
    uint64_t mark = dh_mark(m);
    if (step(m, "creating a ticket",
             dh_ticket_create(
                 m, "agent",
                 "{\"subject\":\"Printer on fire\",\"departmentId\":\"" SUPPORT "\","
                 "\"contactId\":\"18920000000000301\",\"description\":\"<div>Smoke from "
                 "tray 2.</div>\",\"priority\":\"High\"}",
                 ticket)) ||
        step(m, "Ticket_Add", dh_expect_delivered(m, mark, "Ticket_Add", "id", ticket, 0, 10000)) ||
        step(m, "the receiver's write-back",
             dh_expect_call(m, mark, "POST", "*/api/v1/tickets/*/comments", 1, 10000)) ||
        /* its comment carried the ignoreSourceId: Desk does not send it back */
        expect_withheld(m, mark, "Ticket_Comment_Add", "ignoreSourceId"))
        return -1;
    mark = dh_mark(m);
    if (step(m, "updating the ticket",
             dh_ticket_update(m, "agent", ticket, "{\"status\":\"On Hold\"}")) ||
        step(m, "Ticket_Update",
             dh_expect_delivered(m, mark, "Ticket_Update", "status", "On Hold", 0, 10000)))
        return -1;
    mark = dh_mark(m);
    if (step(m, "replying", dh_reply(m, "agent", ticket, "<div>We are on it.</div>")) ||
        step(m, "Ticket_Thread_Add",
             dh_expect_delivered(m, mark, "Ticket_Thread_Add", "direction", "out", 0, 10000)))
        return -1;
    mark = dh_mark(m);
    if (step(m, "commenting",
             dh_comment_add(m, "agent", ticket,
                            "{\"content\":\"Toner recall applies.\",\"isPublic\":false}",
                            comment)) ||
        step(m, "Ticket_Comment_Add",
             dh_expect_delivered(m, mark, "Ticket_Comment_Add", "id", comment, 0, 10000)))
        return -1;
    mark = dh_mark(m);
    snprintf(path, sizeof path, "/api/v1/tickets/%s/comments/%s", ticket, comment);
    dh_response r;
    int prc = dh_call(m, "PATCH", path, "agent",
                      "{\"content\":\"Toner recall applies; part ordered.\"}", &r);
    long pst = r.status;
    dh_response_free(&r);
    if (prc || pst != 200) {
        fprintf(stderr, "deskmock demo: editing the comment answered %ld\n", pst);
        return -1;
    }
    if (step(m, "Ticket_Comment_Update",
             dh_expect_delivered(m, mark, "Ticket_Comment_Update", "id", comment, 0, 10000)))
        return -1;
    /* A department the installation did not choose: raised, not delivered. */
    mark = dh_mark(m);
    if (step(m, "a change in Engineering",
             dh_ticket_update(m, "agent", ENGINEERING_TICKET, "{\"priority\":\"High\"}")) ||
        expect_withheld(m, mark, "Ticket_Update", "department"))
        return -1;
    return 0;
}

/* The timeline and the verdict; then where to look next, or (keep) the
 * mock's addresses while it keeps running until Ctrl-C. */
static void report(dh_mock *m, uint64_t start, const char *ticket, int keep)
{
    printf("timeline (journal seq, newest last):\n");
    cJSON *all = dh_journal(m, start, NULL);
    print_timeline(all, start);
    cJSON_Delete(all);
    printf("\nevery event went where Desk would send it: the five ticket events were delivered\n"
           "and answered 200; the receiver's comment carried the webhook's ignoreSourceId, so\n"
           "Desk withheld it from the receiver; the Engineering change was withheld too (the\n"
           "extension chose Support and Billing).\n\n");
    if (!keep) {
        /* the mock stops with this command: point at what works afterwards */
        printf(
            "where to look next:\n"
            "  keep it running     deskmock demo --keep   (the timeline page, trigger, the "
            "journal)\n"
            "  check a receiver    deskmock check --help   (docs/harness.md explains each case)\n");
        fflush(stdout);
        return;
    }
    printf("kept running (--keep); Ctrl-C stops the mock and the receiver. Meanwhile, in\n"
           "another shell:\n"
           "  the timeline page   %s/mock/ui\n"
           "  the journal         curl '%s/mock/v1/journal?kind=event,attempt,fate,invoke'\n"
           "  trigger an event    deskmock trigger --mock %s Ticket_Update --ticket %s --set "
           "priority=Low\n"
           "  check a receiver    deskmock check --mock %s --receiver HOOK_URL "
           "--authorise-url AUTHORISE_URL   (docs/harness.md)\n",
           dh_url(m), dh_url(m), dh_url(m), ticket, dh_url(m));
    fflush(stdout);
    dm_cli_on_stop(on_signal);
    while (!interrupted)
        pause();
}

/* The mock, the receiver, the extension, the events, the verdict. */
static int run(const demo_args *a, const char *rpath, const cJSON *manifest, const cJSON *resources)
{
    const char *secret = dm_json_str(manifest, "secret");
    const char *source_id =
        dm_json_str(cJSON_GetObjectItemCaseSensitive(resources, "webhook"), "ignoreSourceId");
    char err[512];
    dh_options o = {0};
    o.port = (int)a->port;
    dh_mock *m = dh_start(&o, err, sizeof err);
    if (!m) {
        fprintf(stderr, "deskmock demo: %s\n", err);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    int rc = 1;
    char rurl[256], ticket[32];
    pid_t pid = start_receiver(rpath, dh_url(m), secret, source_id, a->verbose, rurl, sizeof rurl);
    if (pid < 0) {
        fprintf(stderr, "deskmock demo: the receiver %s did not start\n", rpath);
    } else {
        printf("deskmock demo\n  mock      %s\n  receiver  %s (%s)\n\n", dh_url(m), rurl, rpath);
        uint64_t start = dh_mark(m);
        if (install(m, manifest, resources, rurl) == 0 && documented_events(m, ticket) == 0 &&
            step(m, "the echo check", dh_expect_no_loop(m, start, 300)) == 0) {
            rc = 0;
            report(m, start, ticket, a->keep);
        }
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    dh_reset(m);
    dh_stop(m);
    return rc;
}

int dm_cli_demo(int argc, char **argv)
{
    demo_args a = {0};
    int p = parse(&a, argc, argv);
    if (p) return p > 0 ? 0 : 2;
    char rpath[PATH_MAX];
    if (a.receiver)
        snprintf(rpath, sizeof rpath, "%s", a.receiver);
    else if (find_receiver(rpath, sizeof rpath)) {
        fprintf(stderr,
                "deskmock demo: cannot find the example receiver (receiver-correct) next to "
                "this binary; build examples/ or give --receiver PATH\n");
        return 2;
    }
    cJSON *manifest = NULL, *resources = NULL;
    dm_json_parse(dm_doc_manifest, dm_doc_manifest_len, &manifest, NULL, 0);
    dm_json_parse(dm_doc_resources, dm_doc_resources_len, &resources, NULL, 0);
    int rc = run(&a, rpath, manifest, resources);
    cJSON_Delete(manifest);
    cJSON_Delete(resources);
    return rc;
}
