/* receiver.c -- see receiver.h. Thread per connection, so a delayed answer
 * never holds up another; a mutex and condition variable guard the record. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "receiver.h"
#include "util/buf.h"
#include "util/json.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct dmt_recv {
    struct MHD_Daemon *d;
    char url[64];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    dmt_hit **hits; /* stable pointers: tests hold them while more arrive */
    size_t n, cap;
    int status, get_status, delay_ms;
    int script[64];
    size_t nscript, iscript;
};

typedef struct req_ctx {
    dm_buf body;
} req_ctx;

static void record(dmt_recv *r, struct MHD_Connection *c, const char *method, const char *url,
                   req_ctx *ctx)
{
    dmt_hit *hp = calloc(1, sizeof *hp), h = {0};
    snprintf(h.method, sizeof h.method, "%s", method);
    dm_buf u = {0};
    dm_buf_puts(&u, url);
    /* MHD hands us the path; rebuild the query from its arguments, in order */
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "orgId");
    const char *sc = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "securityContext");
    int first = 1;
    if (q) {
        dm_buf_printf(&u, "%sorgId=%s", first ? "?" : "&", q);
        first = 0;
    }
    if (sc) dm_buf_printf(&u, "%ssecurityContext=%s", first ? "?" : "&", sc);
    h.url = dm_buf_steal(&u);
    const char *jwt = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-ZDesk-JWT");
    h.jwt = jwt ? dm_xstrdup(jwt) : NULL;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    h.content_type = ct ? dm_xstrdup(ct) : NULL;
    h.len = ctx->body.len;
    h.body = dm_buf_steal(&ctx->body);
    if (h.len) dm_json_parse(h.body, h.len, &h.json, NULL, 0);
    pthread_mutex_lock(&r->mu);
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->hits = realloc(r->hits, r->cap * sizeof *r->hits);
    }
    *hp = h;
    r->hits[r->n++] = hp;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static enum MHD_Result on_req(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **con_cls)
{
    (void)version;
    dmt_recv *r = cls;
    req_ctx *ctx = *con_cls;
    if (!ctx) {
        *con_cls = calloc(1, sizeof *ctx);
        return MHD_YES;
    }
    if (*size) {
        dm_buf_append(&ctx->body, data, *size);
        *size = 0;
        return MHD_YES;
    }
    record(r, c, method, url, ctx);
    pthread_mutex_lock(&r->mu);
    int status, delay = r->delay_ms;
    if (strcmp(method, "GET") == 0)
        status = r->get_status;
    else if (r->iscript < r->nscript)
        status = r->script[r->iscript++];
    else
        status = r->status;
    pthread_mutex_unlock(&r->mu);
    if (delay) {
        struct timespec ts = {delay / 1000, (long)(delay % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(2, "ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    req_ctx *ctx = *con_cls;
    if (!ctx) return;
    dm_buf_free(&ctx->body);
    free(ctx);
    *con_cls = NULL;
}

dmt_recv *dmt_recv_start(void)
{
    dmt_recv *r = calloc(1, sizeof *r);
    assert_non_null(r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->status = r->get_status = 200;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                            NULL, NULL, on_req, r, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_NOTIFY_COMPLETED, on_done, r, MHD_OPTION_END);
    if (!r->d) fail_msg("receiver: cannot listen");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(r->url, sizeof r->url, "http://127.0.0.1:%u", (unsigned)info->port);
    return r;
}

void dmt_recv_stop(dmt_recv *r)
{
    if (!r) return;
    MHD_stop_daemon(r->d);
    for (size_t i = 0; i < r->n; i++) {
        free(r->hits[i]->url);
        free(r->hits[i]->jwt);
        free(r->hits[i]->content_type);
        free(r->hits[i]->body);
        cJSON_Delete(r->hits[i]->json);
        free(r->hits[i]);
    }
    free(r->hits);
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
    memcpy(r->script, statuses, n * sizeof *statuses);
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

static size_t count_locked(dmt_recv *r, const char *method)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (!method || strcmp(r->hits[i]->method, method) == 0) k++;
    return k;
}

size_t dmt_recv_count(dmt_recv *r, const char *method)
{
    pthread_mutex_lock(&r->mu);
    size_t k = count_locked(r, method);
    pthread_mutex_unlock(&r->mu);
    return k;
}

size_t dmt_recv_wait(dmt_recv *r, const char *method, size_t n, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->mu);
    size_t k;
    while ((k = count_locked(r, method)) < n)
        if (pthread_cond_timedwait(&r->cv, &r->mu, &until) != 0) break;
    k = count_locked(r, method);
    pthread_mutex_unlock(&r->mu);
    return k;
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
