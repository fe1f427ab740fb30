/* http.h -- requests and responses as plain data, independent of libmicrohttpd.
 * The server adapter (server.c) fills a dm_req from a connection; handlers,
 * tests and fuzzers use the same structs, so every route runs without sockets. */
#ifndef DM_HTTP_H
#define DM_HTTP_H

#include "util/buf.h"
#include "util/fielderr.h"
#include "util/origin.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define DM_BODY_MAX   (1024 * 1024) /* larger request bodies get 413 */
#define DM_MAX_PARAMS 4             /* {} captures in one route pattern */

typedef struct dm_kv {
    char *key;
    char *value;
} dm_kv;

typedef struct dm_kvs {
    dm_kv *items;
    size_t n, cap;
    int borrowed; /* items point at strings the kvs does not own */
} dm_kvs;

void dm_kvs_add(dm_kvs *kvs, const char *key, const char *value);
/* Adds without copying: key and value must outlive kvs and are never written
 * through it (the server's headers, for the length of one request). A kvs
 * holds only borrowed items or only copies. */
void dm_kvs_add_borrowed(dm_kvs *kvs, const char *key, const char *value);
/* First value for key, compared case-insensitively; NULL when absent. */
const char *dm_kvs_get(const dm_kvs *kvs, const char *key);
void dm_kvs_free(dm_kvs *kvs);

/* Parses application/x-www-form-urlencoded text (also a URL's query string)
 * into kvs: '&'-separated pairs, '+' is a space, %XX is decoded. A pair with
 * no '=' has an empty value. Returns 0, or DM_EPARSE on a bad %-escape or a
 * decoded NUL byte (kvs then holds the pairs before it). */
int dm_form_parse(const char *s, size_t len, dm_kvs *kvs);

/* A request's way to be answered later, given by its transport (the HTTP
 * server; a test or a fuzzer may make its own). The transport sets complete;
 * a handler that defers sets on_abort through dm_async_on_abort. */
struct dm_resp;
typedef struct dm_async dm_async;
struct dm_async {
    void (*complete)(dm_async *a, struct dm_resp *resp); /* takes resp's contents */
    void (*on_abort)(void *ud); /* the client went away: drop the handle, do not complete */
    void *abort_ud;
};

typedef struct dm_req {
    const char *method;
    const char *path; /* without the query string */
    dm_kvs query;     /* decoded */
    dm_kvs headers;
    const char *body;
    size_t body_len;
    int body_too_large; /* the client sent more than DM_BODY_MAX */
    const char *remote; /* peer address, "127.0.0.1" */
    /* Set by the router: */
    char params[DM_MAX_PARAMS][128];
    int nparams;
    /* Non-NULL when the transport can answer later (see dm_resp.deferred). */
    dm_async *async;
} dm_req;

typedef struct dm_resp {
    int status;
    dm_buf body;
    const char *content_type; /* static string; default application/json */
    dm_kvs headers;
    /* A handler that cannot answer yet sets deferred and later calls
     * dm_async_complete() with the final response. Only when req->async. */
    int deferred;
    const char *error_code; /* set by dm_resp_error; a string literal */
    /* A 404 for an id of another kind, for the journal: {"id", "expected",
     * "actual"} as JSON text ("actual" null when the id is nobody's), or "". */
    char wrong_resource[128];
    /* More members for the request's journal record (",\"key\":value..."),
     * e.g. what a refused invoke call's HASH had to cover; owned, may be empty. */
    dm_buf journal_note;
} dm_resp;

void dm_resp_init(dm_resp *r);
void dm_resp_free(dm_resp *r);
/* Sets status and a JSON body printed from item (borrowed). */
void dm_resp_json(dm_resp *r, int status, const cJSON *item);
/* Sets status and a body taken as-is (already JSON). */
void dm_resp_raw(dm_resp *r, int status, const char *json, size_t len);
void dm_resp_header(dm_resp *r, const char *key, const char *value);

/* ==== Desk error envelope ==== */

/* Writes {"errorCode","message","errors"?} with status. errs may be NULL. */
void dm_resp_error(dm_resp *r, int status, const char *code, const char *message,
                   const dm_field_errs *errs);

/* ==== Deferred answers ==== */

/* Registers fn(ud) to run if the connection goes away while deferred; the
 * handler must then drop the handle without completing it. */
void dm_async_on_abort(dm_async *a, void (*fn)(void *ud), void *ud);

/* Completes a deferred request: takes ownership of *resp's contents (through
 * the transport's complete). Called on the loop thread. The async handle is
 * invalid afterwards. */
void dm_async_complete(dm_async *a, dm_resp *resp);

/* ==== The call: who asks, and what their writes carry ==== */

struct dm_token; /* the caller's credentials: desk/store.h */

/* What a handler knows about the request besides its bytes: who made it
 * (set by authentication; NULL on routes that need none) and the origin its
 * writes carry (cause: the request's journal record). Filled by the
 * dispatcher, one per request, valid for the handler's call. */
typedef struct dm_call {
    const struct dm_token *principal;
    dm_origin origin;
    char source_id[128]; /* origin.source_id points here when the request had one */
} dm_call;

/* ==== Router ==== */

/* A route's handler: self is the part that registered the route (its
 * handle), call the request's context. */
typedef void (*dm_handler)(void *self, dm_call *call, dm_req *req, dm_resp *resp);

typedef struct dm_route {
    const char *method;
    const char *pattern; /* "/api/v1/tickets/{}/comments"; {} captures one segment */
    dm_handler handler;
    const char *scope; /* OAuth scope needed, NULL for none */
    unsigned flags;
} dm_route;

enum {
    DM_ROUTE_NO_ORG = 1u << 0,  /* /api/v1 route that needs no orgId header */
    DM_ROUTE_NO_AUTH = 1u << 1, /* authenticates by itself (invoke: HASH) */
};

/* The routes of several parts, each table with its part's handle. */
typedef struct dm_router dm_router;

dm_router *dm_router_new(void);
void dm_router_free(dm_router *r); /* NULL does nothing */
/* Adds a part's table (borrowed: static) with the handle its handlers get. */
void dm_router_add(dm_router *r, const dm_route *routes, size_t n, void *self);
/* Finds the route for req. Returns it, its handle in *self and the captures
 * in req->params; or NULL with *path_known set when the path exists under
 * another method, allow then listing the methods it has ("GET, POST"). */
const dm_route *dm_router_match(const dm_router *r, dm_req *req, void **self, int *path_known,
                                char *allow, size_t allowlen);

#endif
