/* sink.c -- the benchmarks' webhook receiver: answers 200 (empty body) to every
 * request as fast as libmicrohttpd can, counts POSTs and timestamps the arrival
 * of each "bench-N" sequence. It keeps only the first bytes of each body and
 * judges nothing: the drivers compare what it recorded. Runs on libmicrohttpd's
 * own epoll thread, bound to 127.0.0.1 only. */
#include "sink.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HEAD_KEEP 1024 /* body bytes searched for the sequence */

struct sink {
    struct MHD_Daemon *daemon;
    struct MHD_Response *ok;
    size_t max_seq;
    _Atomic int64_t *arrival;
    atomic_uint_fast64_t posts, signed_posts;
    _Atomic int64_t last;
    atomic_int waiting;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

typedef struct req_ctx {
    int is_post;
    size_t len;
    char head[HEAD_KEEP + 1];
} req_ctx;

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

static void arrived(sink *s, struct MHD_Connection *conn, req_ctx *ctx)
{
    int64_t now = bench_now_ns();
    ctx->head[ctx->len] = '\0';
    long long n = find_seq(ctx->head);
    if (n >= 0 && (size_t)n < s->max_seq) atomic_store(&s->arrival[n], now);
    if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-ZDesk-JWT"))
        atomic_fetch_add(&s->signed_posts, 1);
    atomic_store(&s->last, now);
    atomic_fetch_add(&s->posts, 1);
    if (atomic_load(&s->waiting)) {
        pthread_mutex_lock(&s->mu);
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    sink *s = cls;
    req_ctx *ctx = *con_cls;
    (void)url;
    (void)version;
    if (!ctx) {
        /* First call: headers only. Answering now would cost keep-alive. */
        ctx = calloc(1, sizeof *ctx);
        if (!ctx) return MHD_NO;
        ctx->is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
        *con_cls = ctx;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t room = HEAD_KEEP - ctx->len;
        size_t take = *upload_data_size < room ? *upload_data_size : room;
        memcpy(ctx->head + ctx->len, upload_data, take);
        ctx->len += take;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (ctx->is_post) arrived(s, conn, ctx);
    return MHD_queue_response(conn, MHD_HTTP_OK, s->ok);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

sink *sink_start(size_t max_seq, char *url, size_t urllen)
{
    sink *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->max_seq = max_seq;
    s->arrival = calloc(max_seq ? max_seq : 1, sizeof *s->arrival);
    s->ok = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!s->arrival || !s->ok) goto fail;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, 0, NULL, NULL, on_request, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!s->daemon) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(url, urllen, "http://127.0.0.1:%d/hook", info ? info->port : 0);
    return s;
fail:
    if (s->ok) MHD_destroy_response(s->ok);
    free((void *)s->arrival);
    free(s);
    return NULL;
}

void sink_stop(sink *s)
{
    if (!s) return;
    MHD_stop_daemon(s->daemon);
    MHD_destroy_response(s->ok);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free((void *)s->arrival);
    free(s);
}

void sink_reset(sink *s)
{
    for (size_t i = 0; i < s->max_seq; i++) atomic_store(&s->arrival[i], 0);
    atomic_store(&s->posts, 0);
    atomic_store(&s->signed_posts, 0);
    atomic_store(&s->last, 0);
}

uint64_t sink_posts(const sink *s)
{
    return atomic_load(&((sink *)s)->posts);
}

uint64_t sink_signed(const sink *s)
{
    return atomic_load(&((sink *)s)->signed_posts);
}

int64_t sink_arrival(const sink *s, size_t n)
{
    return n < s->max_seq ? atomic_load(&s->arrival[n]) : 0;
}

int64_t sink_last(const sink *s)
{
    return atomic_load(&((sink *)s)->last);
}

/* Waits on the condition variable until done(s, arg) or the deadline. */
static void wait_until(sink *s, int (*done)(sink *, uint64_t), uint64_t arg, int64_t deadline_ns)
{
    if (done(s, arg)) return;
    pthread_mutex_lock(&s->mu);
    atomic_fetch_add(&s->waiting, 1);
    while (!done(s, arg)) {
        int64_t now = bench_now_ns();
        if (now >= deadline_ns) break;
        /* wake at least every 10 ms: the condition is re-read either way */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t step = deadline_ns - now < 10000000 ? deadline_ns - now : 10000000;
        ts.tv_nsec += (long)step;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    atomic_fetch_sub(&s->waiting, 1);
    pthread_mutex_unlock(&s->mu);
}

static int seq_done(sink *s, uint64_t n)
{
    return sink_arrival(s, (size_t)n) != 0;
}

static int posts_done(sink *s, uint64_t n)
{
    return sink_posts(s) >= n;
}

int64_t sink_wait_seq(sink *s, size_t n, int64_t deadline_ns)
{
    wait_until(s, seq_done, n, deadline_ns);
    return sink_arrival(s, n);
}

uint64_t sink_wait_posts(sink *s, uint64_t posts, int64_t deadline_ns)
{
    wait_until(s, posts_done, posts, deadline_ns);
    return sink_posts(s);
}

int bench_number(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}
