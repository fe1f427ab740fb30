/* server.c -- the libmicrohttpd side: turns connections into dm_req, runs
 * the dispatch callback, queues the dm_resp. External epoll mode, no MHD threads;
 * the loop calls MHD_run(). Bodies are capped at DM_BODY_MAX (413, once the
 * rest has been read and dropped). Responses are queued on the handler's second call or
 * later, never its first: libmicrohttpd 0.9.75 drops keep-alive otherwise. */
#include "http/server.h"
#include "util/err.h"
#include "util/vec.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef struct conn_ctx {
    dm_async async; /* first: a dm_async * is a conn_ctx * */
    struct MHD_Connection *conn;
    struct dm_server *srv;
    dm_buf body;
    int too_large;
    int answered; /* a response is queued */
    int deferred; /* suspended, waiting for dm_async_complete */
    int ready;    /* resumed with resp filled */
    dm_resp resp;
} conn_ctx;

struct dm_server {
    dm_server_opts opts;
    struct MHD_Daemon *daemon;
    int port;
    dm_vec suspended; /* conn_ctx *, deferred and not yet completed */
    size_t unsent;    /* deferred answers completed but not yet sent */
};

/* The server's dm_async complete: the response is queued when libmicrohttpd
 * next calls on_request for the resumed connection. */
static void complete(dm_async *a, dm_resp *resp)
{
    conn_ctx *ctx = (conn_ctx *)a;
    dm_resp_free(&ctx->resp);
    ctx->resp = *resp;
    memset(resp, 0, sizeof *resp);
    ctx->resp.deferred = 0;
    ctx->deferred = 0;
    ctx->ready = 1;
    ctx->srv->unsent++;
    dm_vec_remove(&ctx->srv->suspended, ctx);
    MHD_resume_connection(ctx->conn);
    /* libmicrohttpd must run again to send it; do not wait for a timeout */
    dm_loop_wake(ctx->srv->opts.loop);
}

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    dm_kvs_add_borrowed(cls, key, value); /* MHD keeps them for the request */
    return MHD_YES;
}

static enum MHD_Result queue(conn_ctx *ctx)
{
    dm_resp *r = &ctx->resp;
    /* Messages echo paths, methods and third parties' answers: keep JSON UTF-8. */
    if (strncmp(r->content_type, "application/json", 16) == 0) dm_buf_utf8_scrub(&r->body);
    size_t len = r->body.len;
    char *data = dm_buf_steal(&r->body);
    struct MHD_Response *mr = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!mr) {
        free(data);
        return MHD_NO;
    }
    if (len || r->status != 204)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    for (size_t i = 0; i < r->headers.n; i++)
        MHD_add_response_header(mr, r->headers.items[i].key, r->headers.items[i].value);
    if (ctx->srv->opts.before_answer) ctx->srv->opts.before_answer(ctx->srv->opts.ud);
    enum MHD_Result rc = MHD_queue_response(ctx->conn, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    ctx->answered = 1;
    return rc;
}

/* The client's address as text; IPv4 by hand (inet_ntop goes through
 * sprintf, which showed in the profile of every request). */
static void peer(struct MHD_Connection *conn, char *out, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET && len >= INET_ADDRSTRLEN) {
        const unsigned char *a =
            (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        char *p = out;
        for (int i = 0; i < 4; i++) {
            if (i) *p++ = '.';
            if (a[i] >= 100) *p++ = (char)('0' + a[i] / 100);
            if (a[i] >= 10) *p++ = (char)('0' + a[i] / 10 % 10);
            *p++ = (char)('0' + a[i] % 10);
        }
        *p = '\0';
    } else if (sa && sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)len);
    } else {
        snprintf(out, len, "unknown");
    }
}

static void dispatch(dm_server *srv, conn_ctx *ctx, const char *url, const char *method)
{
    dm_req req = {0};
    char remote[64];
    peer(ctx->conn, remote, sizeof remote);
    req.method = method;
    req.path = url;
    req.body = ctx->body.data ? ctx->body.data : "";
    req.body_len = ctx->body.len;
    req.body_too_large = ctx->too_large;
    req.remote = remote;
    req.async = &ctx->async;
    MHD_get_connection_values(ctx->conn, MHD_HEADER_KIND, collect, &req.headers);
    MHD_get_connection_values(ctx->conn, MHD_GET_ARGUMENT_KIND, collect, &req.query);
    dm_resp_init(&ctx->resp);
    srv->opts.dispatch(srv->opts.ud, &req, &ctx->resp);
    dm_kvs_free(&req.headers);
    dm_kvs_free(&req.query);
    dm_buf_free(&ctx->body);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    dm_server *srv = cls;
    conn_ctx *ctx = *con_cls;
    if (!ctx) {
        ctx = dm_xcalloc(1, sizeof *ctx);
        ctx->async.complete = complete;
        ctx->conn = conn;
        ctx->srv = srv;
        dm_resp_init(&ctx->resp);
        *con_cls = ctx;
        return MHD_YES;
    }
    if (ctx->ready) {
        ctx->ready = 0;
        srv->unsent--;
        return queue(ctx);
    }
    if (ctx->deferred || ctx->answered) {
        *upload_data_size = 0; /* discard what follows an early answer */
        return MHD_YES;
    }
    if (*upload_data_size) {
        /* Past the cap, drop the rest and answer 413 when the body ends:
         * libmicrohttpd 0.9.75 will not send a response queued mid-upload. */
        if (ctx->too_large || ctx->body.len + *upload_data_size > DM_BODY_MAX) {
            ctx->too_large = 1;
            dm_buf_free(&ctx->body);
            *upload_data_size = 0;
            return MHD_YES;
        }
        dm_buf_append(&ctx->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    dispatch(srv, ctx, url, method);
    if (ctx->resp.deferred) {
        ctx->deferred = 1;
        dm_vec_push(&srv->suspended, ctx);
        MHD_suspend_connection(conn);
        return MHD_YES;
    }
    enum MHD_Result rc = queue(ctx);
    /* one pass of MHD_run() may answer a request on every connection: let
     * the deliveries those requests caused go out meanwhile */
    dm_loop_progress(srv->opts.loop);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    dm_server *srv = cls;
    conn_ctx *ctx = *con_cls;
    if (!ctx) return;
    if (ctx->deferred) dm_vec_remove(&srv->suspended, ctx);
    if (ctx->ready) srv->unsent--;
    if (ctx->deferred && ctx->async.on_abort) ctx->async.on_abort(ctx->async.abort_ud);
    dm_buf_free(&ctx->body);
    dm_resp_free(&ctx->resp);
    free(ctx);
    *con_cls = NULL;
}

static void quiet_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    (void)fmt;
    (void)ap;
}

dm_server *dm_server_new(const dm_server_opts *opts, char *err, size_t errlen)
{
    const struct sockaddr *sa = opts->addr;
    unsigned timeout_s = opts->timeout_s, limit = opts->limit;
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    if (sa->sa_family == AF_INET6) flags |= MHD_USE_IPv6;
    uint16_t port =
        ntohs(sa->sa_family == AF_INET6 ? ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port
                                        : ((const struct sockaddr_in *)(const void *)sa)->sin_port);
    dm_server *srv = dm_xcalloc(1, sizeof *srv);
    srv->opts = *opts;
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_CONNECTION_LIMIT,
        limit ? limit : 1000u, MHD_OPTION_CONNECTION_TIMEOUT, timeout_s ? timeout_s : 30u,
        MHD_OPTION_EXTERNAL_LOGGER, quiet_log, NULL, MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, errlen, "cannot listen on port %u (in use, or not an address of this host)",
                 (unsigned)port);
        free(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : port;
    return srv;
}

size_t dm_server_unsent(const dm_server *srv)
{
    return srv->unsent;
}

int dm_server_port(const dm_server *srv)
{
    return srv->port;
}

struct MHD_Daemon *dm_server_daemon(dm_server *srv)
{
    return srv->daemon;
}

void dm_server_free(dm_server *srv)
{
    if (!srv) return;
    /* libmicrohttpd aborts the process when stopped with a connection still
     * suspended (a URL check, an install or a forwarded invoke waiting).
     * Resume them unanswered: stopping then closes them, and on_completed
     * tells their owners the client is gone. */
    for (size_t i = 0; i < srv->suspended.n; i++)
        MHD_resume_connection(((conn_ctx *)srv->suspended.items[i])->conn);
    MHD_stop_daemon(srv->daemon);
    dm_vec_free(&srv->suspended);
    free(srv);
}
