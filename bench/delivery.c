/* delivery.c -- the delivery benchmark driver: against a running `deskmock
 * serve` (read from its ready file) it creates a REST webhook for
 * Ticket_Update (includePrevState) pointing at the in-process receiver, then
 * PATCHes ticket 18920000000000401 with subject "bench-N" and alternating
 * priority, so every PATCH is a real change and each delivery names its N.
 *   latency:    one PATCH at a time, each waited for at the receiver; change ->
 *               delivered is receiver arrival minus PATCH send (one clock,
 *               CLOCK_MONOTONIC, one process);
 *   throughput: N PATCHes as fast as --concurrency keep-alive connections
 *               allow; events/s is N over first PATCH send -> last arrival.
 * Bounded in count and time; prints key=value lines for bench/run. It only
 * talks to 127.0.0.1. */
#include "bench.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICKET "18920000000000401"

typedef struct target {
    char url[256];  /* deskmock base URL */
    char auth[256]; /* Authorization header line */
    char org[64];   /* orgId header line */
} target;

typedef struct patcher {
    CURL *easy;
    char body[128];
    char url[320];
} patcher;

static size_t keep(char *p, size_t size, size_t n, void *ud)
{
    char *out = ud;
    size_t len = size * n, have = out ? strlen(out) : 0;
    if (out && have < 511) {
        size_t take = len < 511 - have ? len : 511 - have;
        memcpy(out + have, p, take);
        out[have + take] = '\0';
    }
    return len;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 8192, len = 0, n;
    char *s = malloc(cap);
    while (s && (n = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *t = realloc(s, cap * 2);
            if (!t) {
                free(s);
                s = NULL;
                break;
            }
            s = t;
            cap *= 2;
        }
    }
    fclose(f);
    if (s) s[len] = '\0';
    return s;
}

static int load_target(const char *ready, target *t)
{
    char *text = read_all(ready);
    if (!text) return -1;
    cJSON *o = cJSON_Parse(text);
    free(text);
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(o, "url");
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(o, "orgId");
    const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(o, "tokens");
    const cJSON *admin = cJSON_GetObjectItemCaseSensitive(tokens, "admin");
    int rc = -1;
    if (cJSON_IsString(url) && cJSON_IsString(org) && cJSON_IsString(admin) &&
        strncmp(url->valuestring, "http://127.0.0.1:", 17) == 0) {
        snprintf(t->url, sizeof t->url, "%s", url->valuestring);
        snprintf(t->auth, sizeof t->auth, "Authorization: Zoho-oauthtoken %s", admin->valuestring);
        snprintf(t->org, sizeof t->org, "orgId: %s", org->valuestring);
        rc = 0;
    }
    cJSON_Delete(o);
    return rc;
}

static struct curl_slist *desk_headers(const target *t)
{
    struct curl_slist *h = curl_slist_append(NULL, t->auth);
    h = curl_slist_append(h, t->org);
    h = curl_slist_append(h, "Content-Type: application/json");
    return curl_slist_append(h, "Expect:");
}

/* POST /api/v1/webhooks; 0 when deskmock answered 200. */
static int create_webhook(const target *t, const char *rx_url)
{
    char url[320], body[512], answer[512] = "";
    snprintf(url, sizeof url, "%s/api/v1/webhooks", t->url);
    snprintf(body, sizeof body,
             "{\"name\":\"bench\",\"url\":\"%s\",\"subscriptions\":"
             "{\"Ticket_Update\":{\"includePrevState\":true}}}",
             rx_url);
    struct curl_slist *h = desk_headers(t);
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)answer);
    long status = 0;
    CURLcode rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(e);
    curl_slist_free_all(h);
    if (rc == CURLE_OK && status == 200) return 0;
    fprintf(stderr, "delivery: creating the webhook: %s, status %ld: %s\n", curl_easy_strerror(rc),
            status, answer);
    return -1;
}

static void patcher_init(patcher *p, const target *t, struct curl_slist *h)
{
    snprintf(p->url, sizeof p->url, "%s/api/v1/tickets/" TICKET, t->url);
    p->easy = curl_easy_init();
    curl_easy_setopt(p->easy, CURLOPT_URL, p->url);
    curl_easy_setopt(p->easy, CURLOPT_CUSTOMREQUEST, "PATCH");
    curl_easy_setopt(p->easy, CURLOPT_POSTFIELDS, p->body);
    curl_easy_setopt(p->easy, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(p->easy, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(p->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(p->easy, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(p->easy, CURLOPT_WRITEDATA, (char *)NULL);
    curl_easy_setopt(p->easy, CURLOPT_PRIVATE, p);
}

/* Every PATCH changes the subject; the priority alternates as well. */
static void patcher_set(patcher *p, size_t seq)
{
    snprintf(p->body, sizeof p->body, "{\"subject\":\"bench-%zu\",\"priority\":\"%s\"}", seq,
             seq % 2 ? "High" : "Low");
    curl_easy_setopt(p->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(p->body));
}

static int ok(CURL *e, CURLcode rc)
{
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    return rc == CURLE_OK && status == 200;
}

/* Sequential PATCHes; change -> delivered latencies in ms into lat. */
static size_t latency(bench_rx *k, const target *t, size_t n, double *lat, int64_t budget_ns,
                      size_t *failed)
{
    struct curl_slist *h = desk_headers(t);
    patcher p;
    patcher_init(&p, t, h);
    size_t got = 0;
    int64_t deadline = bench_now_ns() + budget_ns;
    for (size_t i = 0; i < n && bench_now_ns() < deadline; i++) {
        patcher_set(&p, i);
        int64_t t0 = bench_now_ns();
        CURLcode rc = curl_easy_perform(p.easy);
        if (!ok(p.easy, rc)) {
            (*failed)++;
            continue;
        }
        int64_t t1 = rx_wait_seq(k, i, t0 + 2000000000);
        if (t1) lat[got++] = (double)(t1 - t0) / 1e6;
    }
    curl_easy_cleanup(p.easy);
    curl_slist_free_all(h);
    return got;
}

typedef struct rate {
    double events_per_s, patches_per_s, drain_per_s;
    uint64_t delivered, backlog;
} rate;

/* N PATCHes over conc connections; waits for N deliveries. */
static rate throughput(bench_rx *k, const target *t, size_t n, int conc, int64_t budget_ns,
                       size_t *failed)
{
    rate r = {0, 0, 0, 0, 0};
    struct curl_slist *h = desk_headers(t);
    CURLM *m = curl_multi_init();
    patcher *ps = calloc((size_t)conc, sizeof *ps);
    size_t next = 0, done = 0;
    int64_t t0 = bench_now_ns(), deadline = t0 + budget_ns;
    for (int i = 0; i < conc && next < n; i++) {
        patcher_init(&ps[i], t, h);
        patcher_set(&ps[i], next++);
        curl_multi_add_handle(m, ps[i].easy);
    }
    while (done < n && bench_now_ns() < deadline) {
        int running = 0, left = 0;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *e = msg->easy_handle;
            if (!ok(e, msg->data.result)) (*failed)++;
            done++;
            patcher *p = NULL;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&p);
            curl_multi_remove_handle(m, e);
            if (next < n) {
                patcher_set(p, next++);
                curl_multi_add_handle(m, e);
            }
        }
        if (done < n) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    int64_t t_patched = bench_now_ns();
    r.backlog = n - rx_posts(k);
    r.delivered = rx_wait_posts(k, n, deadline);
    int64_t t1 = rx_last(k);
    for (int i = 0; i < conc; i++)
        if (ps[i].easy) {
            curl_multi_remove_handle(m, ps[i].easy);
            curl_easy_cleanup(ps[i].easy);
        }
    free(ps);
    curl_multi_cleanup(m);
    curl_slist_free_all(h);
    if (done == n && t_patched > t0) r.patches_per_s = (double)n / ((double)(t_patched - t0) / 1e9);
    if (r.delivered >= n && t1 > t0) r.events_per_s = (double)n / ((double)(t1 - t0) / 1e9);
    /* the queue left at the last PATCH, drained by the delivery engine alone */
    if (r.delivered >= n && r.backlog >= 1000 && t1 > t_patched)
        r.drain_per_s = (double)r.backlog / ((double)(t1 - t_patched) / 1e9);
    return r;
}

static void usage(void)
{
    fputs("usage: delivery --ready FILE [--count N] [--reps R] [--latency N]\n"
          "                [--concurrency C] [--budget SECONDS] [--journal FILE]\n"
          "  --journal FILE  deskmock's --journal file, emptied between runs so the\n"
          "                  disk does not fill (deskmock appends; it keeps writing)\n",
          stderr);
}

int main(int argc, char **argv)
{
    const char *ready = NULL, *journal = NULL;
    long long n = 20000, reps = 3, lat_n = 2000, conc = 8, budget_s = 30;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc) {
            usage();
            return 2;
        }
        const char *a = argv[i], *v = argv[i + 1];
        long long *dst = NULL;
        if (strcmp(a, "--ready") == 0)
            ready = v;
        else if (strcmp(a, "--journal") == 0)
            journal = v;
        else if (strcmp(a, "--count") == 0)
            dst = &n;
        else if (strcmp(a, "--reps") == 0)
            dst = &reps;
        else if (strcmp(a, "--latency") == 0)
            dst = &lat_n;
        else if (strcmp(a, "--concurrency") == 0)
            dst = &conc;
        else if (strcmp(a, "--budget") == 0)
            dst = &budget_s;
        else {
            usage();
            return 2;
        }
        if (dst && bench_number(v, 0, 10000000, dst)) {
            usage();
            return 2;
        }
    }
    if (!ready || n < 1 || reps < 1 || conc < 1) {
        usage();
        return 2;
    }
    target t;
    if (load_target(ready, &t)) {
        fprintf(stderr, "delivery: %s: expected deskmock's ready file on 127.0.0.1\n", ready);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char rx_url[128];
    size_t max_seq = (size_t)(n > lat_n ? n : lat_n) + 1;
    bench_rx *k = rx_start(max_seq, rx_url, sizeof rx_url);
    if (!k) {
        fprintf(stderr, "delivery: cannot start the receiver\n");
        return 1;
    }
    if (create_webhook(&t, rx_url)) {
        rx_stop(k);
        return 1;
    }
    int64_t budget = budget_s * 1000000000LL;
    double *lat = calloc((size_t)lat_n + 50, sizeof *lat);
    double *rates = calloc((size_t)reps, sizeof *rates);
    double *prates = calloc((size_t)reps, sizeof *prates);
    double *drates = calloc((size_t)reps, sizeof *drates);
    size_t ndrain = 0;
    size_t failed = 0;

    /* warm-up, then latency while nothing else is queued */
    latency(k, &t, 50, lat, budget, &failed);
    rx_reset(k);
    size_t got = latency(k, &t, (size_t)lat_n, lat, budget, &failed);
    double p50 = bench_percentile(lat, got, 50), p99 = bench_percentile(lat, got, 99);
    double pmax = got ? lat[got - 1] : 0;
    uint64_t signed_posts = rx_signed(k), posts = rx_posts(k);

    uint64_t backlog = 0, short_runs = 0;
    for (long long r = 0; r < reps; r++) {
        if (journal && truncate(journal, 0) != 0) perror("delivery: emptying the journal file");
        rx_reset(k);
        rate x = throughput(k, &t, (size_t)n, (int)conc, budget, &failed);
        rates[r] = x.events_per_s;
        prates[r] = x.patches_per_s;
        if (x.drain_per_s > 0) drates[ndrain++] = x.drain_per_s;
        if (x.backlog > backlog) backlog = x.backlog;
        if (x.delivered < (uint64_t)n) short_runs++;
        signed_posts += rx_signed(k);
        posts += rx_posts(k);
        char drain[64] = "(too few to time)";
        if (x.drain_per_s > 0) snprintf(drain, sizeof drain, "drained at %.0f/s", x.drain_per_s);
        fprintf(stderr,
                "delivery: run %lld: %.0f events/s delivered, %.0f PATCHes/s, %llu queued at the "
                "last PATCH, %s\n",
                r + 1, x.events_per_s, x.patches_per_s, (unsigned long long)x.backlog, drain);
    }
    printf("events_per_s=%.0f\n", bench_median(rates, (size_t)reps));
    printf("patches_per_s=%.0f\n", bench_median(prates, (size_t)reps));
    printf("drain_per_s=%.0f\n", bench_median(drates, ndrain));
    printf("max_backlog=%llu\n", (unsigned long long)backlog);
    printf("short_runs=%llu\n", (unsigned long long)short_runs);
    printf("failed=%zu\n", failed);
    printf("posts=%llu\n", (unsigned long long)posts);
    printf("signed_posts=%llu\n", (unsigned long long)signed_posts);
    printf("lat_samples=%zu\n", got);
    printf("lat_p50_ms=%.3f\n", p50);
    printf("lat_p99_ms=%.3f\n", p99);
    printf("lat_max_ms=%.3f\n", pmax);
    free(lat);
    free(rates);
    free(prates);
    free(drates);
    rx_stop(k);
    curl_global_cleanup();
    return 0;
}
