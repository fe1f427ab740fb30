/* load.c -- the reliability load test: "100,000 events to 20 webhooks, a
 * tenth of them failing, with concurrent API writers: no event lost or
 * duplicated beyond what the retry policy says, memory bounded, the journal
 * file complete and parseable."
 *
 * What it runs: two mocks in this process (the Enterprise org allows 10
 * enabled webhooks, dm_webhooks_enabled_cap; two mocks give 20 webhooks that
 * all deliver, where 10 enabled + 10 disabled would only add "dropped"
 * fates). Each mock has 10 webhooks subscribed to Ticket_Update: 8 healthy,
 * one flaky (503 to every 10th POST, so retried and delivered) and one dead
 * (500 to everything: dead-lettered after the retry ladder) -- the dead ones
 * are a tenth of all deliveries. Writer threads PATCH tickets with unique
 * subjects, 5,000 changes per mock by default: 10,000 events x 10 webhooks =
 * 100,000 (event, webhook) deliveries. Virtual clock (the ladder is 1 min,
 * 5 min and runs when the loop is idle), batch_max 1 (Desk's shape: one
 * event per POST), journal_limit 10,000 records in memory, and every record
 * in a journal file in a temp folder.
 *
 * It checks, and exits 1 when any fails: every write got 200; one event per
 * write, none lost; every (event, webhook) has exactly one fate, delivered
 * for the 9 good webhooks and dead-lettered after 3 attempts for the dead
 * one; each receiver got each event exactly as many times as the journal's
 * attempts carried it (once for healthy ones); each journal file has one
 * strict-JSON line per record, seq 1, 2, 3, ... with no gap, up to the mock's
 * lastSeq; the in-memory journal stayed within its limit; peak RSS (VmHWM)
 * under --max-rss-mb. It prints what it measured. Only 127.0.0.1.
 *
 * usage: load [--changes N] [--writers N] [--batch-max N] [--journal-limit N]
 *             [--max-rss-mb N] [--keep] */
#include "app.h"
#include "receiver.h"
#include "util/buf.h"
#include "util/json.h"

#include <curl/curl.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MOCKS       2
#define HOOKS       10 /* per mock: the Enterprise cap on enabled webhooks */
#define H_FLAKY     8
#define H_DEAD      9
#define FLAKY_EVERY 10
#define MAX_WRITERS 4
#define ADMIN       "1000.admin0000000000000000000000000.admin000000000000000000000000000"
#define ORG         "60001280952"
#define T0          1719913222000LL

static const char *const tickets[MAX_WRITERS] = {"18920000000000401", "18920000000000402",
                                                 "18920000000000403", "18920000000000404"};
static const int64_t ladder[] = {60000, 300000};
#define ATTEMPTS_MAX 3 /* 1 + the ladder */

/* ==== Options and failures ==== */

typedef struct opts {
    long changes; /* over both mocks */
    int writers;  /* per mock */
    int batch_max;
    size_t journal_limit;
    long max_rss_mb;
    int keep;
} opts;

static int failures;

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
    if (failures++ >= 20) return; /* the first ones say enough */
    va_list ap;
    va_start(ap, fmt);
    fputs("load: FAIL: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("load: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A number from /proc/self/status (kB), or -1. */
static long proc_status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t k = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, k) == 0 && line[k] == ':') v = strtol(line + k + 1, NULL, 10);
    fclose(f);
    return v;
}

/* Bytes the heap has handed out and not had back (all arenas). */
static long heap_in_use_kb(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (long)((mi.uordblks + mi.hblkhd) / 1024);
}

/* ==== Receivers: the shared test receiver, one epoll thread per mock,
 * counting only, paths /h0 .. /h9 ==== */

typedef struct sink {
    dmt_recv *r;
    long per_writer;
    int writers;
    pthread_mutex_t mu;
    unsigned char *got[HOOKS]; /* times event (writer, i) arrived, by webhook */
    long posts[HOOKS];
    long unknown; /* POSTs with no subject of ours */
} sink;

/* Counts every "subject":"load-W-I" in body at webhook h. */
static void sink_count(sink *s, int h, const char *body)
{
    static const char key[] = "\"subject\":\"load-";
    int found = 0;
    for (const char *p = body ? strstr(body, key) : NULL; p; p = strstr(p + 1, key)) {
        char *end;
        long w = strtol(p + sizeof key - 1, &end, 10);
        if (*end != '-') continue;
        long i = strtol(end + 1, &end, 10);
        if (*end != '"' || w < 0 || w >= s->writers || i < 0 || i >= s->per_writer) continue;
        unsigned char *c = &s->got[h][w * s->per_writer + i];
        if (*c < 255) (*c)++;
        found++;
    }
    if (!found) s->unknown++;
}

/* The receiver's hook: counts a POST at /hN and answers as webhook N does
 * (the dead one 500, the flaky one 503 to every FLAKY_EVERYth). */
static int sink_hook(void *ud, const dmt_hit *hit, int status)
{
    sink *s = ud;
    const char *url = hit->url;
    int h = url[0] == '/' && url[1] == 'h' ? atoi(url + 2) : -1;
    if (strcmp(hit->method, "POST") != 0 || h < 0 || h >= HOOKS) return status;
    pthread_mutex_lock(&s->mu);
    long n = s->posts[h]++;
    sink_count(s, h, hit->body);
    pthread_mutex_unlock(&s->mu);
    if (h == H_DEAD) return 500;
    if (h == H_FLAKY && n % FLAKY_EVERY == FLAKY_EVERY - 1) return 503;
    return 200;
}

static sink *sink_start(int writers, long per_writer)
{
    sink *s = dm_xcalloc(1, sizeof *s);
    s->writers = writers;
    s->per_writer = per_writer;
    pthread_mutex_init(&s->mu, NULL);
    for (int h = 0; h < HOOKS; h++)
        s->got[h] = dm_xcalloc((size_t)(writers * per_writer), 1);
    dmt_recv_opts ro = {.count_only = 1,
                        .one_thread = 1,
                        .max_connections = 100,
                        .answer = "",
                        .hook = sink_hook,
                        .hook_ud = s};
    s->r = dmt_recv_open(&ro);
    if (!s->r) die("receiver: cannot listen");
    return s;
}

static void sink_stop(sink *s)
{
    if (!s) return;
    dmt_recv_stop(s->r);
    for (int h = 0; h < HOOKS; h++)
        free(s->got[h]);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ==== Mocks, in this process ==== */

typedef struct mock {
    dm_app *app;
    pthread_t thread;
    char url[128];
    char journal[256];
    char ids[HOOKS][32];
    sink *sink;
} mock;

static void *mock_main(void *arg)
{
    dm_app_run(arg);
    return NULL;
}

static void mock_start(mock *m, const opts *o, const char *dir, int idx)
{
    dm_app_opts a = {0};
    a.clock_virtual = 1;
    a.clock_start = T0;
    a.retry_schedule = ladder;
    a.retry_count = sizeof ladder / sizeof ladder[0];
    a.batch_max = o->batch_max;
    a.journal_limit = o->journal_limit;
    snprintf(m->journal, sizeof m->journal, "%s/journal-%d.jsonl", dir, idx);
    a.journal_file = m->journal;
    char err[512];
    m->app = dm_app_new(&a, err, sizeof err);
    if (!m->app) die("mock: %s", err);
    if (dm_app_listen(m->app, err, sizeof err)) die("mock: %s", err);
    snprintf(m->url, sizeof m->url, "%s", dm_app_url(m->app));
    if (pthread_create(&m->thread, NULL, mock_main, m->app)) die("mock: no thread");
}

static void mock_stop(mock *m)
{
    if (!m->app) return;
    dm_app_stop(m->app);
    pthread_join(m->thread, NULL);
    dm_app_free(m->app);
    m->app = NULL;
}

/* ==== HTTP client ==== */

static size_t keep(char *p, size_t size, size_t n, void *ud)
{
    dm_buf_append(ud, p, size * n);
    return size * n;
}

/* One request; the answer's body into out (may be NULL). Returns the status,
 * 0 when none came. */
static long http(CURL *c, const char *method, const char *url, const char *body, dm_buf *out)
{
    static const char *const hdrs[] = {"Authorization: Zoho-oauthtoken " ADMIN, "orgId: " ORG,
                                       "Content-Type: application/json", "Expect:"};
    struct curl_slist *h = NULL;
    for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++)
        h = curl_slist_append(h, hdrs[i]);
    dm_buf sinkbuf = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out ? out : &sinkbuf);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    }
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    dm_buf_free(&sinkbuf);
    return status;
}

static void create_webhooks(mock *m)
{
    CURL *c = curl_easy_init();
    char url[256], body[512];
    snprintf(url, sizeof url, "%s/api/v1/webhooks", m->url);
    for (int h = 0; h < HOOKS; h++) {
        snprintf(body, sizeof body,
                 "{\"name\":\"load%d\",\"url\":\"%s/h%d\","
                 "\"subscriptions\":{\"Ticket_Update\":null}}",
                 h, dmt_recv_url(m->sink->r), h);
        dm_buf out = {0};
        long st = http(c, "POST", url, body, &out);
        cJSON *j = NULL;
        if (st != 200 || dm_json_parse(out.data, out.len, &j, NULL, 0) || !dm_json_str(j, "id"))
            die("creating webhook %d: %ld %s", h, st, out.data ? out.data : "");
        snprintf(m->ids[h], sizeof m->ids[h], "%s", dm_json_str(j, "id"));
        cJSON_Delete(j);
        dm_buf_free(&out);
    }
    curl_easy_cleanup(c);
}

/* ==== Writers ==== */

typedef struct writer {
    mock *m;
    int idx;
    long n;
    pthread_t thread;
    long patches, reads, wrong;
    char first[256];
} writer;

/* n PATCHes of this writer's ticket, subject "load-<idx>-<i>", and a read
 * every 16th; every answer must be 200. */
static void *writer_main(void *arg)
{
    writer *w = arg;
    CURL *c = curl_easy_init();
    char url[256], body[128];
    snprintf(url, sizeof url, "%s/api/v1/tickets/%s", w->m->url, tickets[w->idx]);
    for (long i = 0; i < w->n; i++) {
        snprintf(body, sizeof body, "{\"subject\":\"load-%d-%ld\"}", w->idx, i);
        long st = http(c, "PATCH", url, body, NULL);
        w->patches++;
        if (st != 200 && !w->wrong++)
            snprintf(w->first, sizeof w->first, "PATCH %ld: status %ld", i, st);
        if (i % 16 == 15) {
            st = http(c, "GET", url, NULL, NULL);
            w->reads++;
            if (st != 200 && !w->wrong++)
                snprintf(w->first, sizeof w->first, "GET after %ld: status %ld", i, st);
        }
    }
    curl_easy_cleanup(c);
    return NULL;
}

/* ==== The journal file, read as it grows ==== */

typedef struct check {
    mock *m;
    FILE *f;
    dm_buf part; /* a line not yet ended */
    uint64_t last_seq;
    long lines;
    long long bytes;
    long kinds[7];      /* request, response, change, event, attempt, fate, other */
    long fate_kinds[4]; /* delivered, dead-lettered, dropped, other */
    long events_expected;
    long per_writer;
    int writers;
    uint64_t *ev_seq; /* seq of event e (writer * per_writer + i), 0 if none yet */
    uint64_t *seqs;   /* seqs of events in order, and their e */
    long *seq_e;
    long nseq;
    unsigned char *att[HOOKS], *fates[HOOKS], *fate_att[HOOKS];
    char *fate_kind[HOOKS];
    long fates_total;
} check;

static const char *const kind_names[] = {"request", "response", "change", "event",
                                         "attempt", "fate",     "other"};

static void check_init(check *k, mock *m, int writers, long per_writer)
{
    memset(k, 0, sizeof *k);
    k->m = m;
    k->writers = writers;
    k->per_writer = per_writer;
    k->events_expected = writers * per_writer;
    size_t n = (size_t)k->events_expected;
    k->ev_seq = dm_xcalloc(n, sizeof *k->ev_seq);
    k->seqs = dm_xcalloc(n, sizeof *k->seqs);
    k->seq_e = dm_xcalloc(n, sizeof *k->seq_e);
    for (int h = 0; h < HOOKS; h++) {
        k->att[h] = dm_xcalloc(n, 1);
        k->fates[h] = dm_xcalloc(n, 1);
        k->fate_att[h] = dm_xcalloc(n, 1);
        k->fate_kind[h] = dm_xcalloc(n, 1);
    }
    k->f = fopen(m->journal, "rb");
    if (!k->f) die("%s: %s", m->journal, strerror(errno));
}

static void check_free(check *k)
{
    if (k->f) fclose(k->f);
    dm_buf_free(&k->part);
    free(k->ev_seq);
    free(k->seqs);
    free(k->seq_e);
    for (int h = 0; h < HOOKS; h++) {
        free(k->att[h]);
        free(k->fates[h]);
        free(k->fate_att[h]);
        free(k->fate_kind[h]);
    }
}

static long event_of(const check *k, uint64_t seq)
{
    long lo = 0, hi = k->nseq - 1;
    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        if (k->seqs[mid] == seq) return k->seq_e[mid];
        if (k->seqs[mid] < seq)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static int hook_of(const check *k, const char *id)
{
    for (int h = 0; h < HOOKS; h++)
        if (id && strcmp(k->m->ids[h], id) == 0) return h;
    return -1;
}

static void on_event(check *k, uint64_t seq, const cJSON *rec)
{
    const char *subject = dm_json_str(cJSON_GetObjectItemCaseSensitive(rec, "payload"), "subject");
    int w = -1;
    long i = -1;
    if (!subject || sscanf(subject, "load-%d-%ld", &w, &i) != 2 || w < 0 || w >= k->writers ||
        i < 0 || i >= k->per_writer) {
        failf("%s: event %llu is not one of ours (subject %s)", k->m->journal,
              (unsigned long long)seq, subject ? subject : "none");
        return;
    }
    long e = w * k->per_writer + i;
    if (k->ev_seq[e]) {
        failf("%s: two events for %s (%llu and %llu)", k->m->journal, subject,
              (unsigned long long)k->ev_seq[e], (unsigned long long)seq);
        return;
    }
    k->ev_seq[e] = seq;
    k->seqs[k->nseq] = seq;
    k->seq_e[k->nseq++] = e;
    const cJSON *t;
    int n = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(rec, "webhooks")) {
        const char *fate = dm_json_str(t, "fate");
        if (hook_of(k, dm_json_str(t, "webhookId")) < 0 || !fate || strcmp(fate, "queued") != 0)
            failf("%s: event %llu not queued to a webhook of ours", k->m->journal,
                  (unsigned long long)seq);
        n++;
    }
    if (n != HOOKS)
        failf("%s: event %llu went to %d webhooks, not %d", k->m->journal, (unsigned long long)seq,
              n, HOOKS);
}

static void on_attempt(check *k, uint64_t seq, const cJSON *rec)
{
    int h = hook_of(k, dm_json_str(rec, "webhookId"));
    if (h < 0) {
        failf("%s: attempt %llu to an unknown webhook", k->m->journal, (unsigned long long)seq);
        return;
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(rec, "events")) {
        long e = cJSON_IsNumber(s) ? event_of(k, (uint64_t)s->valuedouble) : -1;
        if (e < 0)
            failf("%s: attempt %llu carries an unknown event", k->m->journal,
                  (unsigned long long)seq);
        else if (k->att[h][e] < 255)
            k->att[h][e]++;
    }
}

static void on_fate(check *k, uint64_t seq, const cJSON *rec)
{
    int h = hook_of(k, dm_json_str(rec, "webhookId"));
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(rec, "event");
    long e = cJSON_IsNumber(ev) ? event_of(k, (uint64_t)ev->valuedouble) : -1;
    const char *fate = dm_json_str(rec, "fate");
    if (h < 0 || e < 0 || !fate) {
        failf("%s: fate %llu for an unknown event or webhook", k->m->journal,
              (unsigned long long)seq);
        return;
    }
    int c = strcmp(fate, "delivered") == 0                                  ? 0
            : strcmp(fate, "dead-lettered") == 0                            ? 1
            : strcmp(fate, "dropped") == 0 || strcmp(fate, "withheld") == 0 ? 2
                                                                            : 3;
    k->fate_kinds[c]++;
    k->fates_total++;
    if (k->fates[h][e]++)
        failf("%s: a second fate (%s, seq %llu) for event %llu at webhook %d", k->m->journal, fate,
              (unsigned long long)seq, (unsigned long long)k->ev_seq[e], h);
    k->fate_kind[h][e] = (char)c;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(rec, "attempts");
    k->fate_att[h][e] = cJSON_IsNumber(a) ? (unsigned char)a->valuedouble : 0;
}

static void on_line(check *k, const char *line, size_t len)
{
    cJSON *rec = NULL;
    char why[160];
    k->lines++;
    k->bytes += (long long)len + 1;
    if (dm_json_parse(line, len, &rec, why, sizeof why)) {
        failf("%s: line %ld does not parse: %s", k->m->journal, k->lines, why);
        return;
    }
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(rec, "seq");
    const char *kind = dm_json_str(rec, "kind");
    uint64_t seq = cJSON_IsNumber(s) ? (uint64_t)s->valuedouble : 0;
    if (seq != k->last_seq + 1)
        failf("%s: line %ld has seq %llu after %llu", k->m->journal, k->lines,
              (unsigned long long)seq, (unsigned long long)k->last_seq);
    k->last_seq = seq;
    int ki = 6;
    for (int i = 0; kind && i < 6; i++)
        if (strcmp(kind, kind_names[i]) == 0) ki = i;
    k->kinds[ki]++;
    if (ki == 3) on_event(k, seq, rec);
    if (ki == 4) on_attempt(k, seq, rec);
    if (ki == 5) on_fate(k, seq, rec);
    cJSON_Delete(rec);
}

/* Parses every whole line written so far; returns how many. */
static long check_drain(check *k)
{
    char chunk[1 << 16];
    long before = k->lines;
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, k->f)) > 0) {
        dm_buf_append(&k->part, chunk, n);
        size_t start = 0;
        for (size_t i = 0; i < k->part.len; i++) {
            if (k->part.data[i] != '\n') continue;
            on_line(k, k->part.data + start, i - start);
            start = i + 1;
        }
        if (start) {
            memmove(k->part.data, k->part.data + start, k->part.len - start);
            k->part.len -= start;
            k->part.data[k->part.len] = '\0';
        }
    }
    clearerr(k->f); /* at the end for now: the mock appends more */
    return k->lines - before;
}

/* Long-polls the mock for a record after what the file has given us. */
static int wait_for_more(CURL *c, check *k)
{
    char url[256];
    snprintf(url, sizeof url, "%s/mock/v1/journal?after=%llu&limit=1&wait=5000", k->m->url,
             (unsigned long long)k->last_seq);
    dm_buf out = {0};
    long st = http(c, "GET", url, NULL, &out);
    int more = st == 200 && out.data && strstr(out.data, "\"data\":[{") != NULL;
    dm_buf_free(&out);
    return more;
}

/* ==== Main ==== */

static void usage(void)
{
    fputs("usage: load [--changes N] [--writers N] [--batch-max N] [--journal-limit N]\n"
          "            [--max-rss-mb N] [--keep]\n",
          stderr);
    exit(2);
}

static long num_arg(int argc, char **argv, int *i, long min, long max)
{
    if (*i + 1 >= argc) usage();
    char *end;
    long v = strtol(argv[++*i], &end, 10);
    if (*end || v < min || v > max) usage();
    return v;
}

int main(int argc, char **argv)
{
    opts o = {10000, 2, 1, 10000, 512, 0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--changes") == 0)
            o.changes = num_arg(argc, argv, &i, 2, 10000000);
        else if (strcmp(argv[i], "--writers") == 0)
            o.writers = (int)num_arg(argc, argv, &i, 1, MAX_WRITERS);
        else if (strcmp(argv[i], "--batch-max") == 0)
            o.batch_max = (int)num_arg(argc, argv, &i, 1, 1000);
        else if (strcmp(argv[i], "--journal-limit") == 0)
            o.journal_limit = (size_t)num_arg(argc, argv, &i, 1, 100000000);
        else if (strcmp(argv[i], "--max-rss-mb") == 0)
            o.max_rss_mb = num_arg(argc, argv, &i, 1, 1000000);
        else if (strcmp(argv[i], "--keep") == 0)
            o.keep = 1;
        else
            usage();
    }
    long per_writer = o.changes / MOCKS / o.writers;
    long per_mock = per_writer * o.writers;
    char dir[] = "/tmp/deskmock-load-XXXXXX";
    if (!mkdtemp(dir)) die("mkdtemp: %s", strerror(errno));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    long rss0 = proc_status_kb("VmRSS"), heap0 = heap_in_use_kb();

    mock mocks[MOCKS] = {0};
    for (int m = 0; m < MOCKS; m++) {
        mocks[m].sink = sink_start(o.writers, per_writer);
        mock_start(&mocks[m], &o, dir, m);
        create_webhooks(&mocks[m]);
    }
    printf("load: %d mocks x %d webhooks (8 healthy, 1 flaky: 503 every %dth POST, 1 dead: 500), "
           "%d writers per mock, %ld changes per mock = %ld events, %ld deliveries; batch_max %d, "
           "journal_limit %zu, ladder 1 min, 5 min (virtual clock)\n",
           MOCKS, HOOKS, FLAKY_EVERY, o.writers, per_mock, per_mock * MOCKS,
           per_mock * MOCKS * HOOKS, o.batch_max, o.journal_limit);
    fflush(stdout);

    check k[MOCKS];
    for (int m = 0; m < MOCKS; m++)
        check_init(&k[m], &mocks[m], o.writers, per_writer);
    double t0 = now_s();
    writer w[MOCKS][MAX_WRITERS];
    for (int m = 0; m < MOCKS; m++)
        for (int i = 0; i < o.writers; i++) {
            w[m][i] = (writer){.m = &mocks[m], .idx = i, .n = per_writer};
            if (pthread_create(&w[m][i].thread, NULL, writer_main, &w[m][i])) die("no thread");
        }

    /* Read the journals as they grow until every (event, webhook) has a
     * fate; long-poll when the files have nothing new. */
    CURL *poller = curl_easy_init();
    double t_writes = 0;
    int idle = 0, writers_done = 0;
    long peak_kb = 0, rounds = 0, peak_heap_kb = 0;
    for (;;) {
        long got = 0, want = 0, have = 0;
        for (int m = 0; m < MOCKS; m++) {
            got += check_drain(&k[m]);
            want += per_mock * HOOKS;
            have += k[m].fates_total;
        }
        if (++rounds % 64 == 0) {
            long rss = proc_status_kb("VmRSS"), heap = heap_in_use_kb();
            if (rss > peak_kb) peak_kb = rss;
            if (heap > peak_heap_kb) peak_heap_kb = heap;
        }
        if (!writers_done) {
            long ev = 0;
            for (int m = 0; m < MOCKS; m++)
                ev += k[m].nseq;
            if (ev == per_mock * MOCKS) {
                writers_done = 1;
                t_writes = now_s();
            }
        }
        if (have >= want) break;
        if (got) {
            idle = 0;
            continue;
        }
        int m = k[0].fates_total < per_mock * HOOKS ? 0 : 1;
        if (!wait_for_more(poller, &k[m]) && ++idle >= 3) {
            failf("no journal progress for 15 s: %ld of %ld fates", have, want);
            break;
        }
    }
    double t1 = now_s();
    for (int m = 0; m < MOCKS; m++)
        for (int i = 0; i < o.writers; i++)
            pthread_join(w[m][i].thread, NULL);
    for (int m = 0; m < MOCKS; m++)
        check_drain(&k[m]);

    /* ==== Invariants ==== */
    long patches = 0, reads = 0;
    for (int m = 0; m < MOCKS; m++)
        for (int i = 0; i < o.writers; i++) {
            patches += w[m][i].patches;
            reads += w[m][i].reads;
            if (w[m][i].wrong)
                failf("mock %d writer %d: %ld wrong statuses, first %s", m, i, w[m][i].wrong,
                      w[m][i].first);
        }
    long posts = 0, attempts = 0;
    long per_hook_att[HOOKS] = {0};
    for (int m = 0; m < MOCKS; m++) {
        check *c = &k[m];
        sink *s = mocks[m].sink;
        if (c->nseq != per_mock) failf("mock %d: %ld events for %ld changes", m, c->nseq, per_mock);
        pthread_mutex_lock(&s->mu);
        if (s->unknown) failf("mock %d: %ld POSTs carried no event of ours", m, s->unknown);
        for (int h = 0; h < HOOKS; h++) {
            posts += s->posts[h];
            for (long e = 0; e < per_mock; e++) {
                int a = c->att[h][e], r = s->got[h][e];
                per_hook_att[h] += a;
                if (c->fates[h][e] != 1) {
                    failf("mock %d: event %ld at webhook %d has %d fates", m, e, h, c->fates[h][e]);
                    continue;
                }
                int want_kind = h == H_DEAD ? 1 : 0;
                if (c->fate_kind[h][e] != want_kind)
                    failf("mock %d: event %ld at webhook %d: fate kind %d, expected %d", m, e, h,
                          c->fate_kind[h][e], want_kind);
                if (h == H_DEAD && (a != ATTEMPTS_MAX || c->fate_att[h][e] != ATTEMPTS_MAX))
                    failf("mock %d: dead event %ld: %d attempts (fate says %d), expected %d", m, e,
                          a, c->fate_att[h][e], ATTEMPTS_MAX);
                if (h < H_FLAKY && a != 1)
                    failf("mock %d: healthy webhook %d got event %ld in %d attempts", m, h, e, a);
                if (a < 1 || a > ATTEMPTS_MAX)
                    failf("mock %d: event %ld at webhook %d: %d attempts", m, e, h, a);
                if (r != a)
                    failf("mock %d: webhook %d received event %ld %d times; the journal has %d "
                          "attempts carrying it",
                          m, h, e, r, a);
            }
        }
        pthread_mutex_unlock(&s->mu);
        attempts += c->kinds[4];
    }

    /* the files are complete: lastSeq as the mock says, every seq once */
    CURL *hc = curl_easy_init();
    long mem_records[MOCKS] = {0};
    for (int m = 0; m < MOCKS; m++) {
        char url[256];
        snprintf(url, sizeof url, "%s/mock/v1/health", mocks[m].url);
        dm_buf out = {0};
        long st = http(hc, "GET", url, NULL, &out);
        cJSON *j = NULL;
        if (st != 200 || dm_json_parse(out.data, out.len, &j, NULL, 0)) {
            failf("mock %d: health answered %ld", m, st);
        } else {
            uint64_t last = (uint64_t)cJSON_GetObjectItemCaseSensitive(j, "lastSeq")->valuedouble;
            mem_records[m] =
                (long)cJSON_GetObjectItemCaseSensitive(j, "journalRecords")->valuedouble;
            if (last != k[m].last_seq || (uint64_t)k[m].lines != last)
                failf("mock %d: lastSeq %llu, the file has %ld lines up to seq %llu", m,
                      (unsigned long long)last, k[m].lines, (unsigned long long)k[m].last_seq);
            if ((size_t)mem_records[m] > o.journal_limit)
                failf("mock %d: %ld records in memory, limit %zu", m, mem_records[m],
                      o.journal_limit);
        }
        cJSON_Delete(j);
        dm_buf_free(&out);
    }
    curl_easy_cleanup(hc);
    curl_easy_cleanup(poller);
    long hwm = proc_status_kb("VmHWM"), heap_end = heap_in_use_kb();
    if (hwm > o.max_rss_mb * 1024)
        failf("peak RSS %ld kB over the bound of %ld MB", hwm, o.max_rss_mb);

    /* ==== Numbers ==== */
    long lines = 0, fk[4] = {0}, kinds[7] = {0};
    long long bytes = 0;
    for (int m = 0; m < MOCKS; m++) {
        lines += k[m].lines;
        bytes += k[m].bytes;
        for (int i = 0; i < 4; i++)
            fk[i] += k[m].fate_kinds[i];
        for (int i = 0; i < 7; i++)
            kinds[i] += k[m].kinds[i];
    }
    double el = t1 - t0;
    printf("load: writes: %ld PATCH + %ld GET, all 200: %s; %.0f changes/s accepted (%.2f s)\n",
           patches, reads, failures ? "see above" : "yes",
           (double)patches / (t_writes - t0 > 0 ? t_writes - t0 : el), t_writes - t0);
    printf("load: deliveries: %ld (event, webhook) fates in %.2f s = %.0f/s; %ld events/s end to "
           "end\n",
           fk[0] + fk[1] + fk[2] + fk[3], el, (double)(fk[0] + fk[1] + fk[2] + fk[3]) / el,
           (long)((double)(per_mock * MOCKS) / el));
    printf("load: fates: delivered %ld, dead-lettered %ld, dropped or withheld %ld, other %ld\n",
           fk[0], fk[1], fk[2], fk[3]);
    printf("load: attempts: %ld journaled, %ld POSTs received (healthy %ld, flaky %ld, dead %ld "
           "over both mocks)\n",
           attempts, posts,
           per_hook_att[0] + per_hook_att[1] + per_hook_att[2] + per_hook_att[3] + per_hook_att[4] +
               per_hook_att[5] + per_hook_att[6] + per_hook_att[7],
           per_hook_att[H_FLAKY], per_hook_att[H_DEAD]);
    printf("load: journal files: %ld lines (%.1f MB) parsed, seq contiguous; requests %ld, "
           "responses %ld, changes %ld, events %ld, attempts %ld, fates %ld, other %ld\n",
           lines, (double)bytes / 1e6, kinds[0], kinds[1], kinds[2], kinds[3], kinds[4], kinds[5],
           kinds[6]);
    printf("load: memory: peak RSS (VmHWM) %.1f MB (%.1f MB at start; %.1f MB peak VmRSS sampled); "
           "heap in use %.1f MB at start, %.1f MB peak sampled, %.1f MB once all fates were in; "
           "in-memory journal %ld + %ld records (limit %zu each)\n",
           hwm / 1024.0, rss0 / 1024.0, peak_kb / 1024.0, heap0 / 1024.0, peak_heap_kb / 1024.0,
           heap_end / 1024.0, mem_records[0], mem_records[1], o.journal_limit);

    for (int m = 0; m < MOCKS; m++) {
        check_free(&k[m]);
        mock_stop(&mocks[m]);
        sink_stop(mocks[m].sink);
        if (!o.keep) remove(mocks[m].journal);
    }
    if (!o.keep)
        rmdir(dir);
    else
        printf("load: journal files kept in %s\n", dir);
    curl_global_cleanup();
    printf("load: %s\n", failures ? "FAILED" : "ok: every invariant held");
    return failures ? 1 : 0;
}
