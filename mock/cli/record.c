/* record.c -- `deskmock record`: listens as a webhook receiver, answers the
 * URL check and every delivery with 200 at once, and saves each event of
 * each delivery as a fixture file, scrubbed of personal data. The URL's
 * securityContext and orgId and the X-ZDesk-JWT are never written. */
#include "cli/cli.h"
#include "fixtures/scrub.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/json.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct recorder {
    const char *out;
    int scrub;
    dm_scrub *scrubber;
    long saved, limit;
    pthread_mutex_t mu;
    int failed;
    int finished; /* --count reached: stop after the current answer is sent */
} recorder;

static volatile sig_atomic_t stopping;
static int stop_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
    if (stop_pipe[1] >= 0) {
        char c = 1;
        ssize_t rc = write(stop_pipe[1], &c, 1);
        (void)rc;
    }
}

static void usage(FILE *out)
{
    fputs("usage: deskmock record [options] --out DIR\n"
          "\n"
          "Listens as a webhook receiver: answers the URL check (GET) and every\n"
          "delivery (POST) with 200 at once, and saves each event of each delivery as\n"
          "DIR/<Event_Type>/recorded-<eventTime>-<n>.json, a fixture that `deskmock\n"
          "fixtures lint` accepts and `deskmock trigger --fixture` can raise again.\n"
          "Emails, phone numbers, names and free text become stable placeholders;\n"
          "orgId becomes the default org's. The URL's orgId and securityContext and\n"
          "the X-ZDesk-JWT header are never written.\n"
          "\n"
          "options:\n"
          "  --out DIR        where to write fixtures (created if missing)\n"
          "  --port N         port to listen on; 0 picks a free one (default 0)\n"
          "  --bind ADDR      address to listen on (default 127.0.0.1)\n"
          "  --count N        stop after saving N events\n"
          "  --no-scrub       keep everything as received (prints a warning); such files\n"
          "                   are marked source \"recorded\" and fail `fixtures lint`\n"
          "                   until scrubbed, so personal data cannot slip into CI\n"
          "  -h, --help       show this help\n",
          out);
}

static int mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) && errno != EEXIST ? -1 : 0;
}

/* cJSON prints with tabs; fixtures are indented with two spaces. */
static char *pretty(const cJSON *o)
{
    char *tabbed = cJSON_Print(o);
    dm_buf b = {0};
    for (const char *p = tabbed; *p; p++) {
        if (*p == '\t')
            dm_buf_puts(&b, "  ");
        else if (*p == ':' && p[1] == '\t') {
            dm_buf_puts(&b, ": ");
            p++;
        } else
            dm_buf_putc(&b, *p);
    }
    dm_buf_putc(&b, '\n');
    free(tabbed);
    return dm_buf_steal(&b);
}

static int is_type_name(const char *s)
{
    if (!*s || strlen(s) > 64) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

static void save(recorder *r, cJSON *ev)
{
    const char *type = dm_json_str(ev, "eventType");
    const char *when = dm_json_str(ev, "eventTime");
    if (!type || !is_type_name(type)) {
        fprintf(stderr, "deskmock record: skipped an element without a usable eventType\n");
        return;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(ev, "_fixture");
    if (r->scrub) dm_scrub_event(r->scrubber, ev);
    cJSON *meta = cJSON_CreateObject();
    char desc[160];
    snprintf(desc, sizeof desc, "%s delivery recorded by deskmock record%s.", type,
             r->scrub ? ", personal data scrubbed" : "");
    cJSON_AddStringToObject(meta, "description", desc);
    cJSON_AddStringToObject(meta, "source", r->scrub ? "recorded-scrubbed" : "recorded");
    cJSON_AddItemToObject(ev, "_fixture", meta);
    char dir[4096], path[8192];
    dm_path_join(dir, sizeof dir, r->out, type);
    if (mkdirs(dir)) {
        fprintf(stderr, "deskmock record: cannot create %s: %s\n", dir, strerror(errno));
        r->failed = 1;
        return;
    }
    for (int n = 1;; n++) {
        snprintf(path, sizeof path, "%s/recorded-%s-%d.json", dir,
                 when && strspn(when, "0123456789") == strlen(when) ? when : "0", n);
        if (access(path, F_OK) != 0) break;
    }
    char *text = pretty(ev);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "deskmock record: cannot write %s\n", path);
        r->failed = 1;
    } else {
        r->saved++;
        printf("saved %s %s\n", type, path);
        fflush(stdout);
    }
    free(text);
}

typedef struct req_ctx {
    dm_buf body;
} req_ctx;

static enum MHD_Result on_req(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **con_cls)
{
    (void)url;
    (void)version;
    recorder *r = cls;
    req_ctx *ctx = *con_cls;
    if (!ctx) {
        *con_cls = dm_xcalloc(1, sizeof *ctx);
        return MHD_YES;
    }
    if (*size) {
        if (ctx->body.len < 64 * 1024 * 1024) dm_buf_append(&ctx->body, data, *size);
        *size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") == 0 && ctx->body.len) {
        cJSON *arr = NULL;
        char why[160];
        if (dm_json_parse(ctx->body.data, ctx->body.len, &arr, why, sizeof why)) {
            fprintf(stderr, "deskmock record: a delivery that is not JSON (%s) was not saved\n",
                    why);
        } else {
            pthread_mutex_lock(&r->mu);
            cJSON *ev, *list = cJSON_IsArray(arr) ? arr : NULL;
            cJSON_ArrayForEach(ev, list) {
                if (r->limit && r->saved >= r->limit) break;
                if (cJSON_IsObject(ev)) save(r, ev);
            }
            if (!cJSON_IsArray(arr))
                fprintf(stderr,
                        "deskmock record: a delivery that is not a JSON array was not saved\n");
            /* stop once this answer has gone out (see on_done), not before */
            if (r->limit && r->saved >= r->limit) r->finished = 1;
            pthread_mutex_unlock(&r->mu);
            cJSON_Delete(arr);
        }
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(2, "ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    recorder *r = cls;
    req_ctx *ctx = *con_cls;
    if (ctx) {
        dm_buf_free(&ctx->body);
        free(ctx);
        *con_cls = NULL;
    }
    if (r->finished) on_signal(0); /* the last answer is out: stop */
}

int dm_cli_record(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"port", required_argument, NULL, 'p'},
        {"bind", required_argument, NULL, 'b'},
        {"count", required_argument, NULL, 'n'},
        {"no-scrub", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    recorder r = {0};
    r.scrub = 1;
    const char *bind = "127.0.0.1";
    long long port = 0, n;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            r.out = optarg;
            break;
        case 'b':
            bind = optarg;
            break;
        case 'S':
            r.scrub = 0;
            break;
        case 'p':
            if (dm_cli_option_number("record", "--port", optarg, 0, 65535, NULL, &port)) return 2;
            break;
        case 'n':
            if (dm_cli_option_number("record", "--count", optarg, 1, 1000000000,
                                     "a positive number", &n))
                return 2;
            r.limit = (long)n;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!r.out || optind != argc) {
        fprintf(stderr, "deskmock record: give --out DIR; see --help\n");
        return 2;
    }
    if (mkdirs(r.out)) {
        fprintf(stderr, "deskmock record: cannot create %s: %s\n", r.out, strerror(errno));
        return 2;
    }
    if (!r.scrub)
        fprintf(stderr, "deskmock record: warning: --no-scrub keeps personal data; do not commit "
                        "these files as they are\n");
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, bind, &sa.sin_addr) != 1) {
        fprintf(stderr, "deskmock record: --bind %s: expected an IPv4 address\n", bind);
        return 2;
    }
    r.scrubber = dm_scrub_new();
    pthread_mutex_init(&r.mu, NULL);
    if (pipe(stop_pipe)) return 1;
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_req, &r,
        MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, on_done, &r, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "deskmock record: cannot listen on %s:%lld\n", bind, port);
        dm_scrub_free(r.scrubber);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("deskmock record listening on http://%s:%u, saving to %s\n", bind,
           info ? (unsigned)info->port : (unsigned)port, r.out);
    fflush(stdout);
    dm_cli_on_stop(on_signal);
    signal(SIGPIPE, SIG_IGN); /* a reader of our output that went away is no reason to die */
    char ch;
    while (!stopping && read(stop_pipe[0], &ch, 1) < 0 && errno == EINTR) {
    }
    MHD_stop_daemon(d);
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    stop_pipe[0] = stop_pipe[1] = -1;
    printf("deskmock record: saved %ld event%s\n", r.saved, r.saved == 1 ? "" : "s");
    dm_scrub_free(r.scrubber);
    pthread_mutex_destroy(&r.mu);
    return r.failed ? 1 : 0;
}
