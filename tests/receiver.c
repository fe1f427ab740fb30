/* receiver.c -- see receiver.h. A thread per connection by default, so a
 * delayed or held answer never holds up another; a mutex and condition
 * variable guard the counts and the record. One answer object, built at the
 * start, serves every request. */
#include "receiver.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NMETHODS 8

struct dmt_recv {
    struct MHD_Daemon *d;
    struct MHD_Response *answer;
    dmt_recv_opts o;
    char url[64];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    dmt_hit **hits; /* stable pointers: tests hold them while more arrive */
    size_t n, cap;
    struct {
        char name[16];
        size_t n;
    } methods[NMETHODS]; /* counts by method; the last slot takes the rest */
    size_t total;
    int inflight, max_inflight;
    int status, get_status, delay_ms;
    int script[64];
    size_t nscript, iscript;
    char hold[16]; /* method held; "" when none */
    int held_open;
    size_t held;
};

typedef struct req_ctx {
    char *body;
    size_t len, cap;
} req_ctx;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("receiver: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

/* Appends to the body, keeping at most body_keep bytes when set; the body
 * stays NUL-terminated. */
static void keep_body(const dmt_recv *r, req_ctx *ctx, const char *data, size_t size)
{
    if (r->o.body_keep && size > r->o.body_keep - ctx->len) size = r->o.body_keep - ctx->len;
    if (ctx->len + size + 1 > ctx->cap) {
        size_t cap = ctx->cap ? ctx->cap : 256;
        while (cap < ctx->len + size + 1)
            cap *= 2;
        char *b = realloc(ctx->body, cap);
        if (!b) {
            fputs("receiver: out of memory\n", stderr);
            abort();
        }
        ctx->body = b;
        ctx->cap = cap;
    }
    memcpy(ctx->body + ctx->len, data, size);
    ctx->len += size;
    ctx->body[ctx->len] = '\0';
}

/* MHD hands us the path; rebuild the query from its arguments, in order. */
static char *full_url(struct MHD_Connection *c, const char *url)
{
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "orgId");
    const char *sc = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "securityContext");
    size_t n = strlen(url) + (q ? strlen(q) + 8 : 0) + (sc ? strlen(sc) + 18 : 0) + 1;
    char *u = xmalloc(n);
    int at = snprintf(u, n, "%s", url);
    if (q) at += snprintf(u + at, n - (size_t)at, "?orgId=%s", q);
    if (sc) snprintf(u + at, n - (size_t)at, "%ssecurityContext=%s", q ? "&" : "?", sc);
    return u;
}

/* Under r->mu. */
static void count_method(dmt_recv *r, const char *method)
{
    size_t i = 0;
    for (; i < NMETHODS - 1 && r->methods[i].name[0]; i++)
        if (strcmp(r->methods[i].name, method) == 0) break;
    if (!r->methods[i].name[0])
        snprintf(r->methods[i].name, sizeof r->methods[i].name, "%s", method);
    r->methods[i].n++;
    r->total++;
}

static void free_hit(dmt_hit *h)
{
    free(h->url);
    free(h->jwt);
    free(h->content_type);
    free(h->body);
    cJSON_Delete(h->json);
    free(h);
}

static enum MHD_Result on_req(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **con_cls)
{
    (void)version;
    dmt_recv *r = cls;
    req_ctx *ctx = *con_cls;
    if (!ctx) {
        /* headers only: answering now would cost keep-alive */
        ctx = calloc(1, sizeof *ctx);
        if (!ctx) return MHD_NO;
        *con_cls = ctx;
        return MHD_YES;
    }
    if (*size) {
        keep_body(r, ctx, data, *size);
        *size = 0;
        return MHD_YES;
    }
    if (!ctx->body) keep_body(r, ctx, "", 0);

    dmt_hit local = {0}, *h = &local;
    if (!r->o.count_only) h = calloc(1, sizeof *h);
    if (!h) return MHD_NO;
    snprintf(h->method, sizeof h->method, "%s", method);
    const char *jwt = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-ZDesk-JWT");
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    h->len = ctx->len;
    if (r->o.count_only) {
        h->url = (char *)url;
        h->jwt = (char *)jwt;
        h->content_type = (char *)ct;
        h->body = ctx->body;
    } else {
        h->url = full_url(c, url);
        h->jwt = jwt ? xstrdup(jwt) : NULL;
        h->content_type = ct ? xstrdup(ct) : NULL;
        h->body = ctx->body;
        ctx->body = NULL;
        ctx->len = ctx->cap = 0;
        if (h->len && r->o.parse) h->json = r->o.parse(h->body, h->len);
    }

    pthread_mutex_lock(&r->mu);
    int status, delay = r->delay_ms;
    if (strcmp(method, "GET") == 0)
        status = r->get_status;
    else if (r->iscript < r->nscript)
        status = r->script[r->iscript++];
    else
        status = r->status;
    pthread_mutex_unlock(&r->mu);

    if (r->o.hook) status = r->o.hook(r->o.hook_ud, h, status);

    pthread_mutex_lock(&r->mu);
    if (!r->o.count_only) {
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 64;
            dmt_hit **hits = realloc(r->hits, cap * sizeof *hits);
            if (!hits) {
                fputs("receiver: out of memory\n", stderr);
                abort();
            }
            r->hits = hits;
            r->cap = cap;
        }
        r->hits[r->n++] = h;
    }
    count_method(r, method);
    if (++r->inflight > r->max_inflight) r->max_inflight = r->inflight;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);

    if (delay) {
        struct timespec ts = {delay / 1000, (long)(delay % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&r->mu);
    if (r->hold[0] && strcmp(r->hold, method) == 0) {
        r->held++;
        pthread_cond_broadcast(&r->cv);
        while (!r->held_open)
            pthread_cond_wait(&r->cv, &r->mu);
    }
    r->inflight--; /* before answering: the sender cannot have the answer yet */
    pthread_mutex_unlock(&r->mu);
    return MHD_queue_response(c, (unsigned)status, r->answer);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    req_ctx *ctx = *con_cls;
    if (!ctx) return;
    free(ctx->body);
    free(ctx);
    *con_cls = NULL;
}

dmt_recv *dmt_recv_open(const dmt_recv_opts *opts)
{
    dmt_recv *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    if (opts) r->o = *opts;
    const char *answer = r->o.answer ? r->o.answer : "ok";
    r->answer =
        MHD_create_response_from_buffer(strlen(answer), (void *)answer, MHD_RESPMEM_MUST_COPY);
    if (!r->answer) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->status = r->get_status = 200;
    r->held_open = 1;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = r->o.one_thread
                         ? MHD_USE_EPOLL_INTERNAL_THREAD
                         : MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
    struct MHD_OptionItem more[3];
    size_t k = 0;
    if (r->o.max_connections)
        more[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                            (intptr_t)r->o.max_connections, NULL};
    if (r->o.connection_timeout_s)
        more[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                            (intptr_t)r->o.connection_timeout_s, NULL};
    more[k] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    r->d = MHD_start_daemon(flags, 0, NULL, NULL, on_req, r, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_done, r,
                            MHD_OPTION_ARRAY, more, MHD_OPTION_END);
    if (!r->d) {
        MHD_destroy_response(r->answer);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        free(r);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(r->url, sizeof r->url, "http://127.0.0.1:%u", info ? (unsigned)info->port : 0u);
    return r;
}

static void forget_hits(dmt_recv *r)
{
    for (size_t i = 0; i < r->n; i++)
        free_hit(r->hits[i]);
    free(r->hits);
    r->hits = NULL;
    r->n = r->cap = 0;
}

void dmt_recv_stop(dmt_recv *r)
{
    if (!r) return;
    dmt_recv_release(r);
    MHD_stop_daemon(r->d);
    MHD_destroy_response(r->answer);
    forget_hits(r);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

const char *dmt_recv_url(const dmt_recv *r)
{
    return r->url;
}

void dmt_recv_set_status(dmt_recv *r, int status)
{
    pthread_mutex_lock(&r->mu);
    r->status = status;
    pthread_mutex_unlock(&r->mu);
}

void dmt_recv_script(dmt_recv *r, const int *statuses, size_t n)
{
    pthread_mutex_lock(&r->mu);
    if (n > sizeof r->script / sizeof r->script[0]) n = sizeof r->script / sizeof r->script[0];
    if (n) memcpy(r->script, statuses, n * sizeof *statuses);
    r->nscript = n;
    r->iscript = 0;
    pthread_mutex_unlock(&r->mu);
}

void dmt_recv_set_get_status(dmt_recv *r, int status)
{
    pthread_mutex_lock(&r->mu);
    r->get_status = status;
    pthread_mutex_unlock(&r->mu);
}

void dmt_recv_set_delay(dmt_recv *r, int ms)
{
    pthread_mutex_lock(&r->mu);
    r->delay_ms = ms;
    pthread_mutex_unlock(&r->mu);
}

void dmt_recv_hold(dmt_recv *r, const char *method)
{
    pthread_mutex_lock(&r->mu);
    snprintf(r->hold, sizeof r->hold, "%s", method);
    r->held_open = 0;
    r->held = 0;
    pthread_mutex_unlock(&r->mu);
}

void dmt_recv_release(dmt_recv *r)
{
    pthread_mutex_lock(&r->mu);
    r->held_open = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

size_t dmt_recv_held(dmt_recv *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->held;
    pthread_mutex_unlock(&r->mu);
    return n;
}

static size_t count_locked(dmt_recv *r, const char *method)
{
    if (!method) return r->total;
    for (size_t i = 0; i < NMETHODS && r->methods[i].name[0]; i++)
        if (strcmp(r->methods[i].name, method) == 0) return r->methods[i].n;
    return 0;
}

size_t dmt_recv_count(dmt_recv *r, const char *method)
{
    pthread_mutex_lock(&r->mu);
    size_t k = count_locked(r, method);
    pthread_mutex_unlock(&r->mu);
    return k;
}

static struct timespec deadline(int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return until;
}

size_t dmt_recv_wait(dmt_recv *r, const char *method, size_t n, int timeout_ms)
{
    struct timespec until = deadline(timeout_ms);
    pthread_mutex_lock(&r->mu);
    size_t k;
    while ((k = count_locked(r, method)) < n)
        if (pthread_cond_timedwait(&r->cv, &r->mu, &until) != 0) break;
    k = count_locked(r, method);
    pthread_mutex_unlock(&r->mu);
    return k;
}

int dmt_recv_wait_for(dmt_recv *r, int (*done)(void *ud), void *ud, int timeout_ms)
{
    struct timespec until = deadline(timeout_ms);
    pthread_mutex_lock(&r->mu);
    int ok;
    while (!(ok = done(ud)))
        if (pthread_cond_timedwait(&r->cv, &r->mu, &until) != 0) break;
    if (!ok) ok = done(ud);
    pthread_mutex_unlock(&r->mu);
    return ok;
}

const dmt_hit *dmt_recv_hit(dmt_recv *r, const char *method, size_t i)
{
    const dmt_hit *h = NULL;
    pthread_mutex_lock(&r->mu);
    for (size_t j = 0, k = 0; j < r->n; j++) {
        if (method && strcmp(r->hits[j]->method, method) != 0) continue;
        if (k++ == i) {
            h = r->hits[j];
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return h;
}

int dmt_recv_max_inflight(dmt_recv *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->max_inflight;
    pthread_mutex_unlock(&r->mu);
    return n;
}

void dmt_recv_reset(dmt_recv *r)
{
    pthread_mutex_lock(&r->mu);
    forget_hits(r);
    memset(r->methods, 0, sizeof r->methods);
    r->total = 0;
    r->max_inflight = r->inflight;
    pthread_mutex_unlock(&r->mu);
}
