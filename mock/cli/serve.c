/* serve.c -- `deskmock serve`: runs the mock until SIGINT or SIGTERM, then
 * stops cleanly (pending long-polls answered, journal flushed, exit 0). */
#include "app.h"
#include "cli/cli.h"
#include "util/clock.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dm_app *running;

static void on_signal(int sig)
{
    (void)sig;
    if (running) dm_app_stop(running);
}

static void usage(FILE *out)
{
    fputs("usage: deskmock serve [options]\n"
          "\n"
          "Runs the mock Zoho Desk: the REST API under /api/v1 and the control API\n"
          "under /mock/v1, on one thread. Stops cleanly on SIGINT or SIGTERM.\n"
          "\n"
          "options:\n"
          "  --port N            port to listen on; 0 picks a free one (default 0)\n"
          "  --bind ADDR         address to listen on (default 127.0.0.1); any address\n"
          "                      off this machine needs --control-token\n"
          "  --control-token T   the control API (/mock/v1, /mock/ui) answers only requests\n"
          "                      with header X-Deskmock-Token: T (or ?token=T)\n"
          "  --org FILE          org file to start from (default: the built-in org,\n"
          "                      the same as fixtures/orgs/default.json)\n"
          "  --seed N            seed of the id generator (default 1); the same seed\n"
          "                      gives the same ids\n"
          "  --journal FILE      also append every journal record to FILE as JSON lines\n"
          "  --journal-limit N   records kept in memory (default 200000; older ones are\n"
          "                      evicted, the file keeps all)\n"
          "  --journal-memory MB at most MB megabytes of record text kept in memory\n"
          "                      (default 64; older records are evicted likewise)\n"
          "  --clock MODE        real (default) or virtual\n"
          "  --clock-start TIME  start of a virtual clock, e.g. 2026-01-01T00:00:00.000Z\n"
          "  --ready-file FILE   when ready, write {\"url\",\"orgId\",\"tokens\"} to FILE\n"
          "\n"
          "deliveries:\n"
          "  --prev-state MODE   full (default: prevState is the whole previous resource)\n"
          "                      or changed (only the changed fields, plus id)\n"
          "  --delivery-timeout MS\n"
          "                      a receiver that has not answered in MS fails (default 5000)\n"
          "  --retry-schedule LIST\n"
          "                      delays before each retry, e.g. 0,1s,30s (suffixes ms, s, m,\n"
          "                      h; default 1m,5m,30m,2h,6h,24h); 'none' for no retries;\n"
          "                      after the last, the event is dead-lettered\n"
          "  --batch-max N       events per POST, at most (default 1)\n"
          "  --batch-window MS   wait up to MS for a batch to fill (default 0)\n"
          "  --jwt-key FILE      RSA private key (PEM) that signs X-ZDesk-JWT (default:\n"
          "                      the built-in key, fixtures/keys/jwt-signing-key.pem)\n"
          "  --thread-content-type TYPE\n"
          "                      a thread's contentType: text/html (default) or html\n"
          "  --url-check-post TYPE\n"
          "                      when a webhook URL does not answer the check GET with\n"
          "                      200, Desk POSTs it {}: as json (default) or form\n"
          "\n"
          "invoke:\n"
          "  --invoke-passthrough\n"
          "                      forward invoke calls with no stub to their URL when it is\n"
          "                      on this machine (127.0.0.1, localhost, [::1]); off by default\n"
          "  --invoke-hash-query MODE\n"
          "                      where queryParams enters the HASH string: skip (default,\n"
          "                      as documented), before-link (before connectionLinkName) or end\n"
          "  --invoke-cause-window MS\n"
          "                      an invoke call within MS of a delivery to its extension's\n"
          "                      webhook is journaled as caused by that event (default 5000)\n"
          "  --connection-timeout S\n"
          "                      close client connections idle for S seconds (default 30)\n"
          "  --connection-limit N\n"
          "                      serve at most N client connections at once (default 1000)\n"
          "  --fixtures DIR      add a folder of event fixtures (DIR/<Event_Type>/<name>.json);\n"
          "                      repeatable; a user fixture overrides a shipped one of the\n"
          "                      same name\n"
          "  -q, --quiet         print nothing when ready\n"
          "  -h, --help          show this help\n",
          out);
}

/* What the command line asked for. */
typedef struct serve_args {
    dm_app_opts o;
    int64_t retry[32];
    const char *fixture_dirs[17];
    size_t nfixture_dirs;
    const char *ready;
    int quiet;
} serve_args;

static const struct option longopts[] = {
    {"port", required_argument, NULL, 'p'},
    {"bind", required_argument, NULL, 'b'},
    {"org", required_argument, NULL, 'o'},
    {"seed", required_argument, NULL, 's'},
    {"journal", required_argument, NULL, 'j'},
    {"journal-limit", required_argument, NULL, 'J'},
    {"journal-memory", required_argument, NULL, 'M'},
    {"clock", required_argument, NULL, 'c'},
    {"clock-start", required_argument, NULL, 'C'},
    {"ready-file", required_argument, NULL, 'r'},
    {"quiet", no_argument, NULL, 'q'},
    {"fixtures", required_argument, NULL, 'F'},
    {"connection-timeout", required_argument, NULL, 'E'},
    {"connection-limit", required_argument, NULL, 'L'},
    {"control-token", required_argument, NULL, 'A'},
    {"prev-state", required_argument, NULL, 'P'},
    {"delivery-timeout", required_argument, NULL, 'T'},
    {"retry-schedule", required_argument, NULL, 'R'},
    {"batch-max", required_argument, NULL, 'B'},
    {"batch-window", required_argument, NULL, 'W'},
    {"jwt-key", required_argument, NULL, 'K'},
    {"invoke-passthrough", no_argument, NULL, 'X'},
    {"invoke-hash-query", required_argument, NULL, 'H'},
    {"invoke-cause-window", required_argument, NULL, 'w'},
    {"url-check-post", required_argument, NULL, 'U'},
    {"thread-content-type", required_argument, NULL, 'Y'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The whole numbers: option letter, name, range, and where the value goes. */
static int number(serve_args *a, int c, const char *arg)
{
    static const struct {
        int c;
        const char *name;
        long long min, max;
    } ranges[] = {
        {'p', "--port", 0, 65535},
        {'s', "--seed", 1, INT64_MAX},
        {'J', "--journal-limit", 1, 100000000},
        {'M', "--journal-memory", 1, 1048576},
        {'T', "--delivery-timeout", 1, 3600000},
        {'B', "--batch-max", 1, 1000},
        {'W', "--batch-window", 0, 3600000},
        {'w', "--invoke-cause-window", 0, 3600000},
        {'E', "--connection-timeout", 1, 3600},
        {'L', "--connection-limit", 1, 100000},
    };
    size_t i = 0;
    while (ranges[i].c != c)
        i++;
    long long n;
    if (dm_cli_option_number("serve", ranges[i].name, arg, ranges[i].min, ranges[i].max,
                             c == 's' ? "a positive number" : NULL, &n))
        return -1;
    dm_app_opts *o = &a->o;
    switch (c) {
    case 'p':
        o->port = (int)n;
        break;
    case 's':
        o->seed = (uint64_t)n;
        break;
    case 'J':
        o->journal_limit = (size_t)n;
        break;
    case 'M':
        o->journal_memory_mb = (size_t)n;
        break;
    case 'T':
        o->delivery_timeout_ms = n;
        break;
    case 'B':
        o->batch_max = (int)n;
        break;
    case 'W':
        o->batch_window_ms = n;
        break;
    case 'w':
        o->invoke_cause_window_ms = n ? n : -1;
        break; /* -1: a window of none */
    case 'E':
        o->connection_timeout_s = (unsigned)n;
        break;
    case 'L':
        o->connection_limit = (unsigned)n;
        break;
    }
    return 0;
}

/* One option; 0, 1 (--help: done) or -1 (bad usage, already said). */
static int option(serve_args *a, int c, const char *arg)
{
    static const char *const clocks[] = {"real", "virtual", NULL};
    static const char *const prev[] = {"full", "changed", NULL};
    static const char *const hash_query[] = {"skip", "before-link", "end", NULL};
    static const char *const post_types[] = {"json", "form", NULL};
    static const char *const thread_types[] = {"text/html", "html", NULL};
    dm_app_opts *o = &a->o;
    int k;
    switch (c) {
    case 'p':
    case 's':
    case 'J':
    case 'M':
    case 'T':
    case 'B':
    case 'W':
    case 'w':
    case 'E':
    case 'L':
        return number(a, c, arg);
    case 'b':
        o->bind = arg;
        break;
    case 'o':
        o->org_file = arg;
        break;
    case 'j':
        o->journal_file = arg;
        break;
    case 'r':
        a->ready = arg;
        break;
    case 'K':
        o->jwt_key_file = arg;
        break;
    case 'A':
        o->control_token = arg;
        break;
    case 'X':
        o->invoke_passthrough = 1;
        break;
    case 'q':
        a->quiet = 1;
        break;
    case 'c':
        if (dm_cli_option_choice("serve", "--clock", arg, clocks, &k)) return -1;
        o->clock_virtual = k == 1;
        break;
    case 'P':
        if (dm_cli_option_choice("serve", "--prev-state", arg, prev, &k)) return -1;
        o->prev_state_changed = k == 1;
        break;
    case 'H':
        if (dm_cli_option_choice("serve", "--invoke-hash-query", arg, hash_query, &k)) return -1;
        o->invoke_hash_query = arg;
        break;
    case 'U':
        if (dm_cli_option_choice("serve", "--url-check-post", arg, post_types, &k)) return -1;
        o->url_check_post_form = k == 1;
        break;
    case 'Y':
        if (dm_cli_option_choice("serve", "--thread-content-type", arg, thread_types, &k))
            return -1;
        o->thread_content_type_html = k == 1;
        break;
    case 'C':
        if (dm_iso_parse(arg, &o->clock_start)) {
            fprintf(stderr,
                    "deskmock serve: --clock-start %s: expected a time like "
                    "2026-01-01T00:00:00.000Z\n",
                    arg);
            return -1;
        }
        break;
    case 'R':
        if (dm_parse_durations(arg, a->retry, 32, &o->retry_count)) {
            fprintf(stderr,
                    "deskmock serve: --retry-schedule %s: expected a comma list of up to 32 "
                    "delays like 0,10s,5m, or none\n",
                    arg);
            return -1;
        }
        o->retry_schedule = a->retry;
        break;
    case 'F':
        if (a->nfixture_dirs == sizeof a->fixture_dirs / sizeof a->fixture_dirs[0] - 1) {
            fprintf(stderr, "deskmock serve: at most 16 --fixtures folders\n");
            return -1;
        }
        a->fixture_dirs[a->nfixture_dirs++] = arg;
        o->fixture_dirs = a->fixture_dirs;
        break;
    case 'h':
        usage(stdout);
        return 1;
    default:
        usage(stderr);
        return -1;
    }
    return 0;
}

/* Makes, runs and shuts down the mock a asks for; the exit code. */
static int run(serve_args *a)
{
    char err[512];
    dm_app *app = dm_app_new(&a->o, err, sizeof err);
    if (!app) {
        fprintf(stderr, "deskmock serve: %s\n", err);
        return 1;
    }
    if (dm_app_listen(app, err, sizeof err)) {
        fprintf(stderr, "deskmock serve: %s\n", err);
        dm_app_free(app);
        return 1;
    }
    running = app;
    dm_cli_on_stop(on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (a->ready && dm_app_write_ready(app, a->ready)) {
        fprintf(stderr, "deskmock serve: cannot write the ready file %s\n", a->ready);
        running = NULL;
        dm_app_free(app);
        return 1;
    }
    if (!a->quiet) {
        printf("deskmock listening on %s\n", dm_app_url(app));
        fflush(stdout);
    }
    int rc = dm_app_run(app);
    running = NULL;
    if (dm_app_shutdown(app, err, sizeof err)) {
        fprintf(stderr, "deskmock serve: %s\n", err);
        rc = 1;
    }
    dm_app_free(app);
    return rc ? 1 : 0;
}

int dm_cli_serve(int argc, char **argv)
{
    serve_args a = {0}; /* the mock copies what it keeps */
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1)
        if ((rc = option(&a, c, optarg)) != 0) return rc < 0 ? 2 : 0;
    if (optind < argc) {
        fprintf(stderr, "deskmock serve: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    return run(&a);
}
