/* bench.c -- see bench.h. The receiver is the shared test receiver
 * (tests/receiver.c) counting only, keeping the first bytes of each body for
 * a hook that timestamps the arrival of each "bench-N" sequence; it judges
 * nothing: the drivers compare what it recorded. Bound to 127.0.0.1 only. */
#include "bench.h"
#include "receiver.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HEAD_KEEP 1024 /* body bytes searched for the sequence */

struct bench_rx {
    dmt_recv *r;
    size_t max_seq;
    _Atomic int64_t *arrival;
    atomic_uint_fast64_t signed_posts;
    _Atomic int64_t last;
};

/* ==== Timing helpers ==== */

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_percentile(double *v, size_t n, double p)
{
    if (!n) return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999); /* nearest rank, 1-based */
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return v[rank - 1];
}

double bench_median(double *v, size_t n)
{
    if (!n) return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ==== The receiver ==== */

/* Reads N from the first "subject":"bench-N" of the body; -1 when absent. */
static long long find_seq(const char *head)
{
    static const char key[] = "\"subject\":\"bench-";
    const char *p = strstr(head, key);
    if (!p) return -1;
    p += sizeof key - 1;
    long long n = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 18) {
        n = n * 10 + (*p++ - '0');
        digits++;
    }
    return digits ? n : -1;
}

/* The receiver's hook, for each complete request, before it is counted. */
static int arrived(void *ud, const dmt_hit *h, int status)
{
    bench_rx *x = ud;
    if (strcmp(h->method, "POST") != 0) return status;
    int64_t now = bench_now_ns();
    long long n = find_seq(h->body);
    if (n >= 0 && (size_t)n < x->max_seq) atomic_store(&x->arrival[n], now);
    if (h->jwt) atomic_fetch_add(&x->signed_posts, 1);
    atomic_store(&x->last, now);
    return status;
}

bench_rx *rx_start(size_t max_seq, char *url, size_t urllen)
{
    bench_rx *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    x->max_seq = max_seq;
    x->arrival = calloc(max_seq ? max_seq : 1, sizeof *x->arrival);
    if (!x->arrival) goto fail;
    dmt_recv_opts o = {.count_only = 1,
                       .one_thread = 1,
                       .connection_timeout_s = 30,
                       .body_keep = HEAD_KEEP,
                       .answer = "",
                       .hook = arrived,
                       .hook_ud = x};
    x->r = dmt_recv_open(&o);
    if (!x->r) goto fail;
    snprintf(url, urllen, "%s/hook", dmt_recv_url(x->r));
    return x;
fail:
    free((void *)x->arrival);
    free(x);
    return NULL;
}

void rx_stop(bench_rx *x)
{
    if (!x) return;
    dmt_recv_stop(x->r);
    free((void *)x->arrival);
    free(x);
}

void rx_reset(bench_rx *x)
{
    dmt_recv_reset(x->r);
    for (size_t i = 0; i < x->max_seq; i++)
        atomic_store(&x->arrival[i], 0);
    atomic_store(&x->signed_posts, 0);
    atomic_store(&x->last, 0);
}

uint64_t rx_posts(bench_rx *x)
{
    return dmt_recv_count(x->r, "POST");
}

uint64_t rx_signed(const bench_rx *x)
{
    return atomic_load(&((bench_rx *)x)->signed_posts);
}

int64_t rx_arrival(const bench_rx *x, size_t n)
{
    return n < x->max_seq ? atomic_load(&x->arrival[n]) : 0;
}

int64_t rx_last(const bench_rx *x)
{
    return atomic_load(&((bench_rx *)x)->last);
}

/* Milliseconds until deadline_ns, rounded up; 0 once it passed. */
static int ms_until(int64_t deadline_ns)
{
    int64_t left = deadline_ns - bench_now_ns();
    if (left <= 0) return 0;
    int64_t ms = (left + 999999) / 1000000;
    return ms > 1000000000 ? 1000000000 : (int)ms;
}

typedef struct seq_wait {
    bench_rx *x;
    size_t n;
} seq_wait;

static int seq_done(void *ud)
{
    seq_wait *w = ud;
    return rx_arrival(w->x, w->n) != 0;
}

int64_t rx_wait_seq(bench_rx *x, size_t n, int64_t deadline_ns)
{
    seq_wait w = {x, n};
    dmt_recv_wait_for(x->r, seq_done, &w, ms_until(deadline_ns));
    return rx_arrival(x, n);
}

uint64_t rx_wait_posts(bench_rx *x, uint64_t posts, int64_t deadline_ns)
{
    return dmt_recv_wait(x->r, "POST", (size_t)posts, ms_until(deadline_ns));
}

int bench_number(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}
