/* app.c -- assembles one mock and dispatches requests. Every request except
 * reads of the control API is a journal record ("request"); the changes it
 * makes follow it as "change" records whose cause is the request. */
#include "app.h"
#include "control/control.h"
#include "delivery/delivery.h"
#include "delivery/jwt.h"
#include "desk/api.h"
#include "events/events.h"
#include "fixtures/fixtures.h"
#include "hooks/hooks.h"
#include "ext/install.h"
#include "invoke/invoke.h"
#include "net/addr.h"
#include "http/server.h"
#include "util/err.h"
#include "util/file.h"
#include "util/json.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== Changes into the journal ==== */

static void on_change(void *ud, const dm_change *c)
{
    dm_app *app = ud;
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "resource", c->resource);
    cJSON_AddStringToObject(f, "action", c->action);
    cJSON_AddStringToObject(f, "id", c->id);
    if (c->ticket_id) cJSON_AddStringToObject(f, "ticketId", c->ticket_id);
    dm_json_set_str(f, "actor", c->origin->actor_id);
    dm_json_set_str(f, "sourceId", c->origin->source_id);
    cJSON_AddBoolToObject(f, "automation", c->origin->automation);
    cJSON_AddItemToObject(f, "before", c->before ? cJSON_CreateRaw(dm_change_text(c, 0)) : cJSON_CreateNull());
    cJSON_AddItemToObject(f, "after", c->after ? cJSON_CreateRaw(dm_change_text(c, 1)) : cJSON_CreateNull());
    uint64_t seq = dm_journal_add(app->journal, "change", c->origin->cause, f);
    dm_events_on_change(app, c, seq);
}

/* ==== Webhooks ==== */

static void journal_webhook(dm_app *app, const char *action, const dm_webhook *w,
                            const cJSON *before, const cJSON *after, const char *reason,
                            uint64_t cause)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "action", action);
    cJSON_AddStringToObject(f, "id", w->id);
    if (w->installation_id[0]) cJSON_AddStringToObject(f, "installationId", w->installation_id);
    if (reason) cJSON_AddStringToObject(f, "reason", reason);
    cJSON_AddItemToObject(f, "before", before ? cJSON_Duplicate(before, 1) : cJSON_CreateNull());
    cJSON_AddItemToObject(f, "after", after ? cJSON_Duplicate(after, 1) : cJSON_CreateNull());
    dm_journal_add(app->journal, "webhook", cause, f);
}

void dm_app_add_webhook(dm_app *app, dm_webhook *w, uint64_t cause)
{
    dm_vec_push(&app->webhooks, w);
    journal_webhook(app, "create", w, NULL, w->obj, NULL, cause);
}

dm_webhook *dm_app_webhook(const dm_app *app, const char *id)
{
    for (size_t i = 0; id && i < app->webhooks.n; i++) {
        dm_webhook *w = app->webhooks.items[i];
        if (strcmp(w->id, id) == 0) return w;
    }
    return NULL;
}

void dm_app_webhook_updated(dm_app *app, dm_webhook *w, const cJSON *before, uint64_t cause)
{
    journal_webhook(app, "update", w, before, w->obj, NULL, cause);
}

static void webhook_free(dm_webhook *w)
{
    cJSON_Delete(w->obj);
    for (size_t i = 0; i < w->departments.n; i++) free(w->departments.items[i]);
    dm_vec_free(&w->departments);
    free(w);
}

void dm_app_delete_webhook(dm_app *app, dm_webhook *w, const char *reason, uint64_t cause)
{
    char owner[64];
    dm_owner(owner, sizeof owner, "webhook", w->id);
    dm_waits_end(app->waits, DM_END_OWNER, owner, "the webhook was deleted");
    dm_delivery_forget(app->delivery, w, "webhook deleted");
    dm_vec_remove(&app->webhooks, w);
    journal_webhook(app, "delete", w, w->obj, NULL, reason, cause);
    webhook_free(w);
}

/* Drops every webhook; what was queued or in flight for them is "dropped"
 * with reason (NULL: not journaled). */
static void clear_webhooks(dm_app *app, const char *reason)
{
    for (size_t i = 0; i < app->webhooks.n; i++) {
        dm_webhook *w = app->webhooks.items[i];
        if (app->delivery) dm_delivery_forget(app->delivery, w, reason);
        webhook_free(w);
    }
    app->webhooks.n = 0;
}

/* ==== Lifecycle ==== */

static int load_org(dm_app *app, char *err, size_t errlen)
{
    const char *name = app->opts.org_file ? app->opts.org_file : "<built-in default org>";
    char *text = NULL;
    size_t len = 0;
    if (app->opts.org_file) {
        FILE *f = fopen(app->opts.org_file, "rb");
        if (!f) {
            snprintf(err, errlen, "%s: %s", name, strerror(errno));
            return DM_EIO;
        }
        text = dm_read_stream(f, SIZE_MAX, &len);
        fclose(f);
        if (!text) {
            snprintf(err, errlen, "%s: read error", name);
            return DM_EIO;
        }
    } else {
        text = dm_xstrndup(dm_default_org_json, dm_default_org_json_len);
        len = dm_default_org_json_len;
    }
    char why[160];
    int rc = dm_json_parse(text, len, &app->org_spec, why, sizeof why);
    free(text);
    if (rc) {
        /* why is "line L, column C: ..."; make it file:line:column: ... */
        int line, col;
        const char *what = dm_jpos_msg_where(why, &line, &col);
        if (what)
            snprintf(err, errlen, "%s:%d:%d: %s", name, line, col, what);
        else
            snprintf(err, errlen, "%s: %s", name, why);
        return DM_EPARSE;
    }
    char lerr[256];
    if (dm_store_load(app->store, app->org_spec, lerr, sizeof lerr)) {
        snprintf(err, errlen, "%s: %s", name, lerr);
        return DM_EINVAL;
    }
    return 0;
}

static dm_delivery_opts delivery_opts(const dm_app_opts *o)
{
    dm_delivery_opts d = {o->delivery_timeout_ms, o->retry_schedule, o->retry_count, o->batch_max,
                          o->batch_window_ms};
    return d;
}

/* Before the loop sleeps: what the pass journaled (deliveries, timers) goes
 * to the file. */
static void flush_journal(void *journal)
{
    dm_journal_flush(journal);
}

static int load_jwt(dm_app *app, char *err, size_t errlen)
{
    char why[160];
    if (!app->opts.jwt_key_file) {
        app->jwt = dm_jwt_new(dm_default_jwt_key, dm_default_jwt_key_len, why, sizeof why);
        if (!app->jwt) snprintf(err, errlen, "built-in JWT key: %s", why);
        return app->jwt ? 0 : DM_EINVAL;
    }
    size_t n = 0;
    char *pem = dm_read_file(app->opts.jwt_key_file, &n);
    if (!pem) {
        snprintf(err, errlen, "%s: %s", app->opts.jwt_key_file, strerror(errno));
        return DM_EIO;
    }
    app->jwt = dm_jwt_new(pem, n, why, sizeof why);
    free(pem);
    if (!app->jwt) snprintf(err, errlen, "%s: %s", app->opts.jwt_key_file, why);
    return app->jwt ? 0 : DM_EINVAL;
}

/* ==== Options: the app's own copy ==== */

static void *keep(dm_app *app, void *copy)
{
    dm_vec_push(&app->owned, copy);
    return copy;
}

static const char *keep_str(dm_app *app, const char *s)
{
    return s ? keep(app, dm_xstrdup(s)) : NULL;
}

/* Points every string and array of app->opts at copies the app owns. */
static void own_opts(dm_app *app)
{
    dm_app_opts *o = &app->opts;
    o->bind = keep_str(app, o->bind);
    o->org_file = keep_str(app, o->org_file);
    o->journal_file = keep_str(app, o->journal_file);
    o->jwt_key_file = keep_str(app, o->jwt_key_file);
    o->control_token = keep_str(app, o->control_token);
    if (o->retry_schedule) {
        int64_t *r = keep(app, dm_xcalloc(o->retry_count ? o->retry_count : 1, sizeof *r));
        if (o->retry_count) memcpy(r, o->retry_schedule, o->retry_count * sizeof *r);
        o->retry_schedule = r;
    }
    if (o->fixture_dirs) {
        size_t n = 0;
        while (o->fixture_dirs[n]) n++;
        const char **dirs = keep(app, dm_xcalloc(n + 1, sizeof *dirs));
        for (size_t i = 0; i < n; i++) dirs[i] = keep_str(app, o->fixture_dirs[i]);
        o->fixture_dirs = dirs;
    }
}

/* Said once, when the first write to the journal file fails; health then
 * reports it and the mock's shutdown fails. */
static void journal_failed(void *ud, const char *message)
{
    (void)ud;
    fprintf(stderr, "deskmock: the journal file cannot be written (%s); records are kept in "
                    "memory only, and the mock will exit with an error\n",
            message);
}

dm_app *dm_app_new(const dm_app_opts *opts, char *err, size_t errlen)
{
    dm_app *app = dm_xcalloc(1, sizeof *app);
    app->opts = *opts;
    own_opts(app);
    if (!app->opts.bind) app->opts.bind = "127.0.0.1";
    if (!app->opts.seed) app->opts.seed = 1;
    if (!app->opts.journal_limit) app->opts.journal_limit = DM_JOURNAL_LIMIT_DEFAULT;
    if (!app->opts.journal_memory_mb) app->opts.journal_memory_mb = DM_JOURNAL_MEMORY_MB_DEFAULT;
    if (!app->opts.clock_start) app->opts.clock_start = dm_wall_ms();
    app->start_opts = app->opts;
    app->clock.is_virtual = opts->clock_virtual;
    app->clock.virt_ms = app->opts.clock_start;
    dm_ids_seed(&app->ids, app->opts.seed);
    app->store = dm_store_new(&app->clock, &app->ids);
    app->journal = dm_journal_new(&app->clock, app->opts.journal_limit,
                                  app->opts.journal_memory_mb << 20);
    app->waits = dm_waits_new();
    app->loop = dm_loop_new(&app->clock);
    if (!app->loop) {
        snprintf(err, errlen, "cannot create the event loop");
        goto fail;
    }
    app->out = dm_outbound_new(app->loop);
    if (load_org(app, err, errlen)) goto fail;
    if (load_jwt(app, err, errlen)) goto fail;
    for (const char *const *d = app->opts.fixture_dirs; d && *d; d++)
        if (dm_fixtures_add_dir(app, *d, err, errlen) < 0) goto fail;
    dm_delivery_opts dopts = delivery_opts(&app->opts);
    app->delivery = dm_delivery_new(app, &dopts);
    if (app->opts.journal_file && dm_journal_open_file(app->journal, app->opts.journal_file)) {
        snprintf(err, errlen, "%s: %s", app->opts.journal_file, strerror(errno));
        goto fail;
    }
    dm_journal_on_file_error(app->journal, journal_failed, app);
    dm_loop_before_wait(app->loop, flush_journal, app->journal);
    dm_store_set_observer(app->store, on_change, app);
    return app;
fail:
    dm_app_free(app);
    return NULL;
}

int dm_app_leftovers(dm_app *app, dm_buf *out)
{
    /* let the loop notice connections the clients closed */
    unsigned conns = 0;
    for (int i = 0; i < 50; i++) {
        dm_loop_once(app->loop, 10);
        const union MHD_DaemonInfo *info =
            app->server ? MHD_get_daemon_info(dm_server_daemon(app->server),
                                              MHD_DAEMON_INFO_CURRENT_CONNECTIONS)
                        : NULL;
        conns = info ? info->num_connections : 0;
        if (!conns) break;
    }
    int n = 0;
    if (conns) n++, dm_buf_printf(out, "%u client connection(s) still open\n", conns);
    if (dm_out_in_flight(app->out))
        n++, dm_buf_printf(out, "%zu outgoing request(s) still in flight\n", dm_out_in_flight(app->out));
    if (dm_waits_count(app->waits)) {
        n++;
        dm_buf_printf(out, "%zu wait(s) still open:\n", dm_waits_count(app->waits));
        dm_waits_describe(app->waits, out);
    }
    if (dm_delivery_pending(app->delivery))
        n++, dm_buf_printf(out, "%zu event(s) still queued for delivery\n", dm_delivery_pending(app->delivery));
    return n;
}

int dm_app_shutdown(dm_app *app, char *err, size_t errlen)
{
    if (!app->closed) {
        app->closed = 1;
        /* what waits is answered, what was on its way gets its fate */
        if (app->waits) dm_waits_end(app->waits, DM_END_SHUTDOWN, NULL, "the mock shut down");
        clear_webhooks(app, "shutdown");
        if (app->server) {
            /* let resumed connections send their answers before closing
             * (bounded: a client that stopped reading must not hold us) */
            int64_t until = dm_mono_ms() + 1000;
            for (int i = 0; i < 3; i++) dm_loop_once(app->loop, 0);
            while (dm_server_unsent(app->server) && dm_mono_ms() < until) dm_loop_once(app->loop, 10);
            dm_server_free(app->server);
            app->server = NULL;
        }
        dm_journal_close_file(app->journal);
    }
    const char *why = dm_journal_file_error(app->journal);
    if (why && err) snprintf(err, errlen, "the journal file was not written whole: %s", why);
    return why ? DM_EIO : 0;
}

void dm_app_free(dm_app *app)
{
    if (!app) return;
    if (app->journal) dm_app_shutdown(app, NULL, 0);
    dm_installations_clear(app);
    dm_invoke_clear(app);
    dm_vec_free(&app->stubs);
    dm_vec_free(&app->invoke_faults);
    dm_vec_free(&app->installations);
    dm_fixtures_free(app);
    dm_vec_free(&app->revoked);
    dm_delivery_free(app->delivery);
    dm_vec_free(&app->webhooks);
    dm_jwt_free(app->jwt);
    dm_outbound_free(app->out);
    dm_waits_free(app->waits);
    dm_loop_free(app->loop);
    dm_store_free(app->store);
    dm_journal_free(app->journal);
    cJSON_Delete(app->org_spec);
    for (size_t i = 0; i < app->owned.n; i++) free(app->owned.items[i]);
    dm_vec_free(&app->owned);
    free(app);
}

int dm_app_listen(dm_app *app, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    socklen_t len = 0;
    char numeric[64];
    if (dm_addr_resolve_bind(app->opts.bind, app->opts.port, &addr, &len, numeric, sizeof numeric,
                             err, errlen))
        return DM_EBIND;
    /* what the name resolved to decides, not how it is spelt */
    if (!dm_addr_is_loopback((const struct sockaddr *)&addr) &&
        (!app->opts.control_token || !*app->opts.control_token)) {
        snprintf(err, errlen,
                 "binding %s (%s) makes the mock reachable from other machines: give "
                 "--control-token to protect the control API (/mock/v1)",
                 app->opts.bind, numeric);
        return DM_EBIND;
    }
    app->server = dm_server_new(app, (const struct sockaddr *)&addr, app->opts.connection_timeout_s,
                                app->opts.connection_limit, err, errlen);
    if (!app->server) return DM_EBIND;
    dm_loop_set_daemon(app->loop, dm_server_daemon(app->server));
    int v6 = addr.ss_family == AF_INET6;
    snprintf(app->url, sizeof app->url, "http://%s%s%s:%d", v6 ? "[" : "", numeric, v6 ? "]" : "",
             dm_server_port(app->server));
    return 0;
}

struct MHD_Daemon *dm_server_daemon_of(dm_app *app)
{
    return app->server ? dm_server_daemon(app->server) : NULL;
}

const char *dm_app_url(const dm_app *app)
{
    return app->url;
}

int dm_app_port(const dm_app *app)
{
    return app->server ? dm_server_port(app->server) : 0;
}

int dm_app_run(dm_app *app)
{
    return dm_loop_run(app->loop);
}

void dm_app_stop(dm_app *app)
{
    dm_loop_stop(app->loop);
}

int dm_app_reset(dm_app *app)
{
    char err[256];
    /* first what waits and what is on its way, while their state exists */
    dm_waits_end(app->waits, DM_END_RESET, NULL, "the mock was reset");
    clear_webhooks(app, "reset");
    dm_ids_seed(&app->ids, app->opts.seed);
    dm_installations_clear(app);
    dm_invoke_clear(app);
    memset(dm_delivery_faults(app->delivery), 0, sizeof(dm_faults));
    app->opts = app->start_opts;
    dm_delivery_opts d = delivery_opts(&app->opts);
    dm_delivery_set_opts(app->delivery, &d);
    if (app->clock.is_virtual) app->clock.virt_ms = app->opts.clock_start;
    dm_journal_clear(app->journal);
    if (dm_store_load(app->store, app->org_spec, err, sizeof err)) return DM_EINVAL;
    return 0;
}

int dm_app_write_ready(const dm_app *app, const char *path)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "url", app->url);
    cJSON_AddStringToObject(o, "orgId", dm_json_str(app->store->org, "id"));
    cJSON *tokens = cJSON_AddObjectToObject(o, "tokens");
    for (size_t i = 0; i < app->store->tokens.n; i++) {
        const dm_token *t = app->store->tokens.items[i];
        if (!cJSON_GetObjectItemCaseSensitive(tokens, t->role))
            cJSON_AddStringToObject(tokens, t->role, t->token);
    }
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    /* write then rename, so a watcher never reads half a file */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int rc = 0;
    if (!f || fputs(text, f) < 0 || fputc('\n', f) == EOF) rc = DM_EIO;
    if (f && fclose(f) != 0) rc = DM_EIO;
    if (!rc && rename(tmp, path) != 0) rc = DM_EIO;
    if (rc) remove(tmp);
    cJSON_free(text);
    return rc;
}

/* ==== Dispatch ==== */

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

static void route(dm_app *app, dm_req *req, dm_resp *resp, const dm_route *routes, size_t n,
                  int desk)
{
    int known = 0;
    char allow[64];
    const dm_route *r = dm_route_match(routes, n, req, &known, allow, sizeof allow);
    if (!r) {
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
    if (desk && !(r->flags & DM_ROUTE_NO_AUTH)) {
        if (dm_desk_auth(app, r, req, resp)) return;
        if (app->principal && app->principal->agent)
            app->origin.actor_id = dm_json_str(app->principal->agent, "id");
    }
    r->handler(app, req, resp);
}

void dm_app_desk_call(dm_app *app, dm_req *req, dm_resp *resp)
{
    if (has_prefix(req->path, "/api/v1"))
        route(app, req, resp, dm_desk_routes, dm_desk_nroutes, 1);
    else
        not_found(req, resp);
}

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

void dm_app_dispatch(dm_app *app, dm_req *req, dm_resp *resp)
{
    /* any request but a GET may write: printed caches go stale */
    if (strcmp(req->method, "GET") != 0) app->store->write_gen++;
    int64_t t0 = dm_mono_us();
    int control = has_prefix(req->path, "/mock/v1") || has_prefix(req->path, "/mock/ui");
    int journaled = !((control || strncmp(req->path, "/.well-known/", 13) == 0) &&
                      strcmp(req->method, "GET") == 0);
    uint64_t seq = journaled ? dm_journal_begin(app->journal) : 0;
    const char *sid = dm_kvs_get(&req->headers, "sourceId");
    snprintf(app->source_id, sizeof app->source_id, "%s", sid ? sid : "");
    app->origin = (dm_origin){seq, sid ? app->source_id : NULL, 0, NULL};
    app->principal = NULL;

    if (req->body_too_large) {
        char msg[120];
        snprintf(msg, sizeof msg, "The request body is larger than %d bytes.", DM_BODY_MAX);
        dm_resp_error(resp, 413, "PAYLOAD_TOO_LARGE", msg, NULL);
    } else if (has_prefix(req->path, "/api/v1")) {
        route(app, req, resp, dm_desk_routes, dm_desk_nroutes, 1);
    } else if (control && !control_allowed(app, req)) {
        dm_resp_error(resp, 401, "INVALID_CONTROL_TOKEN",
                      "The control API needs the mock's control token: header X-Deskmock-Token "
                      "(or ?token= for the timeline page).",
                      NULL);
    } else if (control) {
        route(app, req, resp, dm_control_routes, dm_control_nroutes, 0);
    } else if (strcmp(req->path, "/.well-known/jwks.json") == 0) {
        static const dm_route jwks[] = {{"GET", "/.well-known/jwks.json", dm_control_jwks, NULL, 0}};
        route(app, req, resp, jwks, 1, 0);
    } else {
        not_found(req, resp);
    }

    if (!journaled) return;
    /* Every journaled request writes this record: built as text, not as a
     * cJSON tree, as it is on the hot path of every API call. */
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
    if (resp->deferred) dm_buf_puts(&b, ",\"status\":null");
    else {
        dm_buf_puts(&b, ",\"status\":");
        dm_buf_int(&b, resp->status);
    }
    if (resp->error_code && !resp->deferred) {
        dm_buf_puts(&b, ",\"errorCode\":");
        dm_buf_json_str(&b, resp->error_code);
    }
    dm_buf_puts(&b, ",\"actor\":");
    if (app->origin.actor_id) dm_buf_json_str(&b, app->origin.actor_id);
    else dm_buf_puts(&b, "null");
    if (app->principal) {
        dm_buf_puts(&b, ",\"as\":");
        dm_buf_json_str(&b, app->principal->role);
        if (app->principal->installation_id) {
            dm_buf_puts(&b, ",\"installationId\":");
            dm_buf_json_str(&b, app->principal->installation_id);
        }
    }
    dm_buf_puts(&b, ",\"sourceId\":");
    if (app->origin.source_id) dm_buf_json_str(&b, app->origin.source_id);
    else dm_buf_puts(&b, "null");
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
