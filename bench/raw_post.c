/* raw_post.c -- the delivery baseline: a bare libcurl-multi loop POSTing 2 KB
 * JSON bodies to the in-process receiver, with none of deskmock's work (no state,
 * no events, no JWT, no journal). Like deskmock's delivery engine for one
 * webhook it keeps --concurrency POSTs in flight (default 1) on keep-alive
 * connections. Measures POSTs/s (first send to last arrival at the receiver) and
 * send -> arrival latency of sequential POSTs. Bounded in count and time.
 * Prints key=value lines for bench/run. */
#include "bench.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_LEN   2048
#define SEQ_DIGITS 10

typedef struct slot {
    CURL *easy;
    char body[BODY_LEN + 1];
    size_t seq_at; /* offset of the sequence digits in body */
} slot;

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* A 2048-byte Desk-like event whose subject is "bench-" + SEQ_DIGITS digits. */
static void make_body(slot *s)
{
    static const char pre[] = "[{\"eventType\":\"Ticket_Update\",\"orgId\":\"60001280952\","
                              "\"eventTime\":\"1767600000000\",\"payload\":{\"id\":"
                              "\"18920000000000401\",\"ticketNumber\":\"101\",\"subject\":"
                              "\"bench-";
    static const char post[] = "\",\"description\":\"";
    static const char end[] = "\"}}]";
    size_t n = 0;
    memcpy(s->body, pre, sizeof pre - 1);
    n += sizeof pre - 1;
    s->seq_at = n;
    memset(s->body + n, '0', SEQ_DIGITS);
    n += SEQ_DIGITS;
    memcpy(s->body + n, post, sizeof post - 1);
    n += sizeof post - 1;
    size_t pad = BODY_LEN - n - (sizeof end - 1);
    memset(s->body + n, 'x', pad);
    n += pad;
    memcpy(s->body + n, end, sizeof end);
}

static void set_seq(slot *s, unsigned long long seq)
{
    for (int i = SEQ_DIGITS - 1; i >= 0; i--) {
        s->body[s->seq_at + (size_t)i] = (char)('0' + seq % 10);
        seq /= 10;
    }
}

static struct curl_slist *headers(void)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "User-Agent: raw_post");
    return curl_slist_append(h, "Expect:");
}

static CURL *make_easy(const char *url, struct curl_slist *h, slot *s)
{
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)BODY_LEN);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    return e;
}

/* N POSTs, `conc` in flight; returns POSTs/s measured to the last arrival. */
static double throughput(bench_rx *k, const char *url, size_t n, int conc, int64_t budget_ns,
                         size_t *failed)
{
    struct curl_slist *h = headers();
    CURLM *m = curl_multi_init();
    slot *slots = calloc((size_t)conc, sizeof *slots);
    size_t next = 0, done = 0;
    int64_t t0 = bench_now_ns(), deadline = t0 + budget_ns;
    for (int i = 0; i < conc && next < n; i++) {
        make_body(&slots[i]);
        set_seq(&slots[i], next++);
        slots[i].easy = make_easy(url, h, &slots[i]);
        curl_multi_add_handle(m, slots[i].easy);
    }
    while (done < n && bench_now_ns() < deadline) {
        int running = 0, left = 0;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *e = msg->easy_handle;
            long status = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result != CURLE_OK || status != 200) (*failed)++;
            done++;
            slot *s = NULL;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
            curl_multi_remove_handle(m, e);
            if (next < n) {
                set_seq(s, next++);
                curl_multi_add_handle(m, e); /* same handle: its connection is reused */
            }
        }
        if (done < n) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    uint64_t got = rx_wait_posts(k, n, deadline);
    int64_t t1 = rx_last(k);
    for (int i = 0; i < conc; i++)
        if (slots[i].easy) {
            curl_multi_remove_handle(m, slots[i].easy);
            curl_easy_cleanup(slots[i].easy);
        }
    free(slots);
    curl_multi_cleanup(m);
    curl_slist_free_all(h);
    if (got < n || t1 <= t0) return 0;
    return (double)n / ((double)(t1 - t0) / 1e9);
}

/* Sequential POSTs: latency of each from send to arrival, in ms, into lat. */
static size_t latency(bench_rx *k, const char *url, size_t first, size_t n, double *lat,
                      int64_t budget_ns)
{
    struct curl_slist *h = headers();
    slot s;
    make_body(&s);
    CURL *e = make_easy(url, h, &s);
    size_t got = 0;
    int64_t deadline = bench_now_ns() + budget_ns;
    for (size_t i = 0; i < n && bench_now_ns() < deadline; i++) {
        set_seq(&s, first + i);
        int64_t t0 = bench_now_ns();
        if (curl_easy_perform(e) != CURLE_OK) continue;
        int64_t t1 = rx_wait_seq(k, first + i, t0 + 1000000000);
        if (t1) lat[got++] = (double)(t1 - t0) / 1e6;
    }
    curl_easy_cleanup(e);
    curl_slist_free_all(h);
    return got;
}

int main(int argc, char **argv)
{
    long long n = 20000, reps = 3, lat_n = 2000, conc = 1, budget_s = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        long long *dst = strcmp(argv[i], "--count") == 0         ? &n
                         : strcmp(argv[i], "--reps") == 0        ? &reps
                         : strcmp(argv[i], "--latency") == 0     ? &lat_n
                         : strcmp(argv[i], "--concurrency") == 0 ? &conc
                         : strcmp(argv[i], "--budget") == 0      ? &budget_s
                                                                 : NULL;
        if (!dst || bench_number(argv[i + 1], 0, 10000000, dst)) {
            fprintf(stderr,
                    "usage: raw_post [--count N] [--reps R] [--latency N] [--concurrency C] "
                    "[--budget SECONDS]\n");
            return 2;
        }
    }
    if (argc % 2 == 0 || conc < 1 || n < 1 || reps < 1) {
        fprintf(stderr, "raw_post: bad arguments\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char url[128];
    size_t max_seq = (size_t)(n > lat_n ? n : lat_n) + 1;
    bench_rx *k = rx_start(max_seq, url, sizeof url);
    if (!k) {
        fprintf(stderr, "raw_post: cannot start the receiver\n");
        return 1;
    }
    int64_t budget = budget_s * 1000000000LL;
    double *lat = calloc((size_t)lat_n + 1, sizeof *lat);
    double *rates = calloc((size_t)reps, sizeof *rates);

    /* warm-up, then latency on an otherwise idle pair */
    latency(k, url, 0, 50, lat, budget);
    rx_reset(k);
    size_t got = latency(k, url, 0, (size_t)lat_n, lat, budget);
    double p50 = bench_percentile(lat, got, 50), p99 = bench_percentile(lat, got, 99);

    size_t failed = 0;
    for (long long r = 0; r < reps; r++) {
        rx_reset(k);
        rates[r] = throughput(k, url, (size_t)n, (int)conc, budget, &failed);
        fprintf(stderr, "raw_post: run %lld: %.0f POSTs/s\n", r + 1, rates[r]);
    }
    printf("raw_posts_per_s=%.0f\n", bench_median(rates, (size_t)reps));
    printf("raw_failed=%zu\n", failed);
    printf("raw_lat_samples=%zu\n", got);
    printf("raw_lat_p50_ms=%.3f\n", p50);
    printf("raw_lat_p99_ms=%.3f\n", p99);
    printf("raw_body_bytes=%d\n", BODY_LEN);
    free(lat);
    free(rates);
    rx_stop(k);
    curl_global_cleanup();
    return 0;
}
