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

int dm_cli_serve(int argc, char **argv)
{
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
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    dm_app_opts o = {0};
    static int64_t retry[32];
    static const char *fixture_dirs[17];
    size_t nfixture_dirs = 0;
    const char *ready = NULL;
    int quiet = 0;
    long long n;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (dm_cli_option_number("serve", "--port", optarg, 0, 65535, NULL, &n)) return 2;
            o.port = (int)n;
            break;
        case 'b': o.bind = optarg; break;
        case 'o': o.org_file = optarg; break;
        case 's':
            if (dm_cli_option_number("serve", "--seed", optarg, 1, INT64_MAX, "a positive number",
                                     &n))
                return 2;
            o.seed = (uint64_t)n;
            break;
        case 'j': o.journal_file = optarg; break;
        case 'J':
            if (dm_cli_option_number("serve", "--journal-limit", optarg, 1, 100000000, NULL, &n))
                return 2;
            o.journal_limit = (size_t)n;
            break;
        case 'M':
            if (dm_cli_option_number("serve", "--journal-memory", optarg, 1, 1048576, NULL, &n))
                return 2;
            o.journal_memory_mb = (size_t)n;
            break;
        case 'c':
            if (strcmp(optarg, "real") && strcmp(optarg, "virtual")) {
                fprintf(stderr, "deskmock serve: --clock %s: expected real or virtual\n", optarg);
                return 2;
            }
            o.clock_virtual = strcmp(optarg, "virtual") == 0;
            break;
        case 'C':
            if (dm_iso_parse(optarg, &o.clock_start)) {
                fprintf(stderr,
                        "deskmock serve: --clock-start %s: expected a time like "
                        "2026-01-01T00:00:00.000Z\n",
                        optarg);
                return 2;
            }
            break;
        case 'r': ready = optarg; break;
        case 'P':
            if (strcmp(optarg, "full") && strcmp(optarg, "changed")) {
                fprintf(stderr, "deskmock serve: --prev-state %s: expected full or changed\n",
                        optarg);
                return 2;
            }
            o.prev_state_changed = strcmp(optarg, "changed") == 0;
            break;
        case 'T':
            if (dm_cli_option_number("serve", "--delivery-timeout", optarg, 1, 3600000, NULL, &n))
                return 2;
            o.delivery_timeout_ms = n;
            break;
        case 'R':
            if (dm_parse_durations(optarg, retry, 32, &o.retry_count)) {
                fprintf(stderr,
                        "deskmock serve: --retry-schedule %s: expected a comma list of up to 32 "
                        "delays like 0,10s,5m, or none\n",
                        optarg);
                return 2;
            }
            o.retry_schedule = retry;
            break;
        case 'B':
            if (dm_cli_option_number("serve", "--batch-max", optarg, 1, 1000, NULL, &n)) return 2;
            o.batch_max = (int)n;
            break;
        case 'W':
            if (dm_cli_option_number("serve", "--batch-window", optarg, 0, 3600000, NULL, &n))
                return 2;
            o.batch_window_ms = n;
            break;
        case 'K': o.jwt_key_file = optarg; break;
        case 'X': o.invoke_passthrough = 1; break;
        case 'H':
            if (!strcmp(optarg, "skip") || !strcmp(optarg, "before-link") || !strcmp(optarg, "end"))
                o.invoke_hash_query = optarg;
            else {
                fprintf(stderr,
                        "deskmock serve: --invoke-hash-query %s: expected skip, before-link or end\n",
                        optarg);
                return 2;
            }
            break;
        case 'w':
            if (dm_cli_option_number("serve", "--invoke-cause-window", optarg, 0, 3600000, NULL,
                                     &n))
                return 2;
            o.invoke_cause_window_ms = n ? n : -1;
            break;
        case 'q': quiet = 1; break;
        case 'E':
            if (dm_cli_option_number("serve", "--connection-timeout", optarg, 1, 3600, NULL, &n))
                return 2;
            o.connection_timeout_s = (unsigned)n;
            break;
        case 'L':
            if (dm_cli_option_number("serve", "--connection-limit", optarg, 1, 100000, NULL, &n))
                return 2;
            o.connection_limit = (unsigned)n;
            break;
        case 'A': o.control_token = optarg; break;
        case 'F':
            if (nfixture_dirs == sizeof fixture_dirs / sizeof fixture_dirs[0] - 1) {
                fprintf(stderr, "deskmock serve: at most 16 --fixtures folders\n");
                return 2;
            }
            fixture_dirs[nfixture_dirs++] = optarg;
            o.fixture_dirs = fixture_dirs;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "deskmock serve: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    char err[512];
    dm_app *app = dm_app_new(&o, err, sizeof err);
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
    if (ready && dm_app_write_ready(app, ready)) {
        fprintf(stderr, "deskmock serve: cannot write the ready file %s\n", ready);
        running = NULL;
        dm_app_free(app);
        return 1;
    }
    if (!quiet) {
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
