/* dispatch.c -- one request in: its journal record opened, the control
 * token checked, its route found (a 404 or 405 otherwise), the Desk API's
 * authentication, the handler of the part that owns the route, and the
 * request's own record written. Every request but the control API's reads
 * is a "request" record; the changes it makes follow it, caused by it. */
#include "app_parts.h"
#include "desk/api.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int has_prefix(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 && (s[n] == '/' || s[n] == '\0');
}

static void not_found(dm_req *req, dm_resp *resp)
{
    char msg[300];
    snprintf(msg, sizeof msg, "No such URL: %s %.200s", req->method, req->path);
    dm_resp_error(resp, 404, "URL_NOT_FOUND", msg, NULL);
}

/* Who a request comes from: the control API's caller, or Desk's REST API's,
 * directly or through invoke. */
enum { CONTROL, DESK_VIA_INVOKE, DESK };

/* Finds req's route in r and runs it; a Desk route authenticates first,
 * against the org's tokens, and a direct REST call may meet an injected
 * fault (invoke's own are invoke's). */
static void route(dm_app *app, const dm_router *r, dm_call *call, dm_req *req, dm_resp *resp,
                  int from)
{
    int known = 0;
    char allow[64];
    void *self = NULL;
    const dm_route *rt = dm_router_match(r, req, &self, &known, allow, sizeof allow);
    if (!rt) {
        if (!known) {
            not_found(req, resp);
            return;
        }
        char msg[200];
        snprintf(msg, sizeof msg, "%s is not allowed here; allowed: %s", req->method, allow);
        dm_resp_error(resp, 405, "METHOD_NOT_ALLOWED", msg, NULL);
        dm_resp_header(resp, "Allow", allow);
        return;
    }
    if (from != CONTROL && !(rt->flags & DM_ROUTE_NO_AUTH)) {
        if (dm_desk_auth(app->store, rt, req, resp, call)) return;
        if (from == DESK &&
            dm_invoke_rest_fault(app->invoke, req->method, req->path, call->origin.cause, resp))
            return;
    }
    rt->handler(self, call, req, resp);
}

void dm_app_desk_call(void *ud, dm_req *req, const dm_origin *origin, dm_resp *resp)
{
    dm_app *app = ud;
    dm_call call = {0};
    call.origin = *origin;
    if (origin->source_id) {
        snprintf(call.source_id, sizeof call.source_id, "%s", origin->source_id);
        call.origin.source_id = call.source_id;
    }
    if (has_prefix(req->path, "/api/v1"))
        route(app, app->desk, &call, req, resp, DESK_VIA_INVOKE);
    else
        not_found(req, resp);
}

/* With --control-token, /mock/v1 and /mock/ui answer only to it: header
 * X-Deskmock-Token, or ?token= (so a browser can open the timeline page).
 * Compared in constant time. */
static int control_allowed(const dm_app *app, const dm_req *req)
{
    const char *want = app->opts.control_token;
    if (!want || !*want) return 1;
    const char *got = dm_kvs_get(&req->headers, "X-Deskmock-Token");
    if (!got) got = dm_kvs_get(&req->query, "token");
    return got && dm_secret_equal(got, want);
}

/* ==== The request's record ==== */

/* Adds ,"body":... to a record's text when the request body is a JSON value
 * (printed again: a record is one line). */
static void add_body(dm_buf *b, const dm_req *req)
{
    if (!req->body_len || req->body_len > 65536) return;
    cJSON *body = NULL;
    if (dm_json_parse(req->body, req->body_len, &body, NULL, 0) != 0) return;
    dm_buf_puts(b, ",\"body\":");
    dm_json_print_buf(b, body);
    cJSON_Delete(body);
}

static void put_str_or_null(dm_buf *b, const char *key, const char *v)
{
    dm_buf_puts(b, key);
    if (v)
        dm_buf_json_str(b, v);
    else
        dm_buf_puts(b, "null");
}

/* Every journaled request writes this record: built as text, not as a cJSON
 * tree, as it is on the hot path of every API call. */
static void journal_request(dm_app *app, uint64_t seq, const dm_call *call, const dm_req *req,
                            const dm_resp *resp, int64_t t0)
{
    dm_buf b = {0};
    dm_buf_reserve(&b, 512);
    dm_buf_puts(&b, "\"method\":");
    dm_buf_json_str(&b, req->method);
    dm_buf_puts(&b, ",\"path\":");
    dm_buf_json_str(&b, req->path);
    if (req->query.n) {
        dm_buf_puts(&b, ",\"query\":{");
        for (size_t i = 0, put = 0; i < req->query.n; i++) {
            int dup = 0; /* the first value of a repeated parameter wins */
            for (size_t k = 0; k < i && !dup; k++)
                dup = strcmp(req->query.items[k].key, req->query.items[i].key) == 0;
            if (dup) continue;
            if (put++) dm_buf_putc(&b, ',');
            dm_buf_json_str(&b, req->query.items[i].key);
            dm_buf_putc(&b, ':');
            dm_buf_json_str(&b, req->query.items[i].value);
        }
        dm_buf_putc(&b, '}');
    }
    if (resp->deferred) {
        dm_buf_puts(&b, ",\"status\":null");
    } else {
        dm_buf_puts(&b, ",\"status\":");
        dm_buf_int(&b, resp->status);
        if (resp->error_code) {
            dm_buf_puts(&b, ",\"errorCode\":");
            dm_buf_json_str(&b, resp->error_code);
        }
        if (resp->wrong_resource[0]) {
            dm_buf_puts(&b, ",\"wrongResource\":");
            dm_buf_puts(&b, resp->wrong_resource);
        }
        if (resp->status >= 400 && resp->body.len && resp->body.len <= 4096 &&
            resp->body.data[0] == '{') {
            dm_buf_puts(&b, ",\"error\":"); /* the envelope the caller got */
            dm_buf_append(&b, resp->body.data, resp->body.len);
        }
        if (resp->journal_note.len)
            dm_buf_append(&b, resp->journal_note.data, resp->journal_note.len);
    }
    put_str_or_null(&b, ",\"actor\":", call->origin.actor_id);
    if (call->principal) {
        dm_buf_puts(&b, ",\"as\":");
        dm_buf_json_str(&b, call->principal->role);
        if (call->principal->installation_id) {
            dm_buf_puts(&b, ",\"installationId\":");
            dm_buf_json_str(&b, call->principal->installation_id);
        }
    }
    put_str_or_null(&b, ",\"sourceId\":", call->origin.source_id);
    if (req->remote) {
        dm_buf_puts(&b, ",\"remote\":");
        dm_buf_json_str(&b, req->remote);
    }
    add_body(&b, req);
    dm_buf_puts(&b, ",\"latencyUs\":");
    dm_buf_int(&b, (long long)(dm_mono_us() - t0));
    dm_journal_commit_raw(app->journal, seq, "request", 0, b.data);
    dm_buf_free(&b);
}

/* ==== Dispatch ==== */

void dm_app_dispatch(dm_app *app, dm_req *req, dm_resp *resp)
{
    /* any request but a GET may write: printed caches go stale */
    if (strcmp(req->method, "GET") != 0) app->store->write_gen++;
    int64_t t0 = dm_mono_us();
    int control = has_prefix(req->path, "/mock/v1") || has_prefix(req->path, "/mock/ui");
    int journaled = !((control || strncmp(req->path, "/.well-known/", 13) == 0) &&
                      strcmp(req->method, "GET") == 0);
    dm_call call = {0};
    call.origin.cause = journaled ? dm_journal_begin(app->journal) : 0;
    const char *sid = dm_kvs_get(&req->headers, "sourceId");
    if (sid) {
        snprintf(call.source_id, sizeof call.source_id, "%s", sid);
        call.origin.source_id = call.source_id;
    }

    if (req->body_too_large) {
        char msg[120];
        snprintf(msg, sizeof msg, "The request body is larger than %d bytes.", DM_BODY_MAX);
        dm_resp_error(resp, 413, "PAYLOAD_TOO_LARGE", msg, NULL);
    } else if (has_prefix(req->path, "/api/v1")) {
        route(app, app->desk, &call, req, resp, DESK);
    } else if (control && !control_allowed(app, req)) {
        dm_resp_error(resp, 401, "INVALID_CONTROL_TOKEN",
                      "The control API needs the mock's control token: header X-Deskmock-Token "
                      "(or ?token= for the timeline page).",
                      NULL);
    } else if (control) {
        route(app, app->ctl, &call, req, resp, CONTROL);
    } else if (strcmp(req->path, "/.well-known/jwks.json") == 0) {
        route(app, app->wellknown, &call, req, resp, CONTROL);
    } else {
        not_found(req, resp);
    }
    if (journaled) journal_request(app, call.origin.cause, &call, req, resp, t0);
}
