/* app.c -- assembles one mock from its parts and runs its life: options
 * copied, org loaded, parts made and wired (each change into the journal and
 * the events; a deleted webhook's deliveries and waits ended; a 410 deleting
 * its webhook), listening, reset, shutdown. Routing is dispatch.c's. The
 * layering it wires is docs/architecture.md's. */
#include "app_parts.h"
#include "desk/api.h"
#include "net/addr.h"
#include "util/err.h"
#include "util/file.h"
#include "util/json.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    o->invoke_hash_query = keep_str(app, o->invoke_hash_query);
    if (o->retry_schedule) {
        int64_t *r = keep(app, dm_xcalloc(o->retry_count ? o->retry_count : 1, sizeof *r));
        if (o->retry_count) memcpy(r, o->retry_schedule, o->retry_count * sizeof *r);
        o->retry_schedule = r;
    }
    if (o->fixture_dirs) {
        size_t n = 0;
        while (o->fixture_dirs[n])
            n++;
        const char **dirs = keep(app, dm_xcalloc(n + 1, sizeof *dirs));
        for (size_t i = 0; i < n; i++)
            dirs[i] = keep_str(app, o->fixture_dirs[i]);
        o->fixture_dirs = dirs;
    }
}

/* The settings the control API may change, from app->opts into the parts
 * that hold them (at start and at every reset). */
static void apply_settings(dm_app *app)
{
    const dm_app_opts *o = &app->opts;
    dm_delivery_opts d = {o->delivery_timeout_ms, o->retry_schedule, o->retry_count, o->batch_max,
                          o->batch_window_ms};
    dm_delivery_set_opts(app->delivery, &d);
    dm_hooks_set_check_timeout(app->hooks, dm_delivery_get_opts(app->delivery)->timeout_ms);
    dm_hooks_set_check_post_form(app->hooks, o->url_check_post_form);
    app->store->opts.thread_content_type = o->thread_content_type_html ? "html" : "text/html";
    dm_events_set_prev_changed(app->events, o->prev_state_changed);
    static const char *const where[] = {"skip", "before-link", "end"}; /* DM_HASH_Q_* order */
    int hq = DM_HASH_Q_SKIP;
    for (int i = 0; o->invoke_hash_query && i < 3; i++)
        if (strcmp(o->invoke_hash_query, where[i]) == 0) hq = i;
    dm_invoke_opts io = {o->invoke_passthrough, hq, o->invoke_cause_window_ms};
    dm_invoke_set_opts(app->invoke, &io);
}

/* ==== Loading ==== */

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

/* ==== Wiring ==== */

/* Every state change: its own "change" record, then its events. */
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
    cJSON_AddItemToObject(f, "before",
                          c->before ? cJSON_CreateRaw(dm_change_text(c, 0)) : cJSON_CreateNull());
    cJSON_AddItemToObject(f, "after",
                          c->after ? cJSON_CreateRaw(dm_change_text(c, 1)) : cJSON_CreateNull());
    uint64_t seq = dm_journal_add(app->journal, "change", c->origin->cause, f);
    dm_events_on_change(app->events, c, seq);
}

/* A webhook is going: what waits on it is answered, what was on its way to
 * it gets its fate (reason NULL: none journaled). */
static void on_webhook_delete(void *ud, dm_webhook *w, const char *reason)
{
    dm_app *app = ud;
    char owner[64];
    dm_owner(owner, sizeof owner, "webhook", w->id);
    dm_waits_end(app->waits, DM_END_OWNER, owner, "the webhook was deleted");
    dm_delivery_forget(app->delivery, w, reason);
}

/* A receiver answered 410 Gone: Desk deletes the webhook. */
static void on_gone(void *ud, dm_webhook *w, uint64_t seq)
{
    dm_app *app = ud;
    dm_hooks_delete(app->hooks, w, "the receiver answered 410 Gone", seq);
}

static int reset_cb(void *ud)
{
    return dm_app_reset(ud) == 0 ? 0 : -1;
}

/* Before the loop sleeps, and before each answer: what was journaled goes
 * to the file. */
static void flush_journal(void *app)
{
    dm_journal_flush(((dm_app *)app)->journal);
}

/* Said once, when the first write to the journal file fails; health then
 * reports it and the mock's shutdown fails. */
static void journal_failed(void *ud, const char *message)
{
    (void)ud;
    fprintf(stderr,
            "deskmock: the journal file cannot be written (%s); records are kept in "
            "memory only, and the mock will exit with an error\n",
            message);
}

static void make_parts(dm_app *app)
{
    app->store = dm_store_new(&app->clock, &app->ids);
    app->hooks = dm_hooks_new(app->store, app->journal, app->out, app->waits);
    app->installs = dm_installs_new(app->store, app->hooks, app->journal, app->out, app->waits);
    dm_delivery_opts none = {0};
    app->delivery =
        dm_delivery_new(app->loop, app->out, app->journal, &app->clock, app->jwt, &none);
    app->events = dm_events_new(app->store, app->hooks, app->journal, app->delivery);
    app->invoke = dm_invoke_new(app->installs, app->hooks, app->journal, app->loop, app->out,
                                app->waits, dm_app_desk_call, app);
    dm_store_set_observer(app->store, on_change, app);
    dm_hooks_on_delete(app->hooks, on_webhook_delete, app);
    dm_delivery_on_gone(app->delivery, on_gone, app);
    dm_control_deps deps = {&app->clock,  app->loop,     app->out,         app->waits,
                            app->journal, app->store,    app->hooks,       app->installs,
                            app->events,  app->delivery, app->invoke,      app->fixtures,
                            app->jwt,     reset_cb,      dm_app_desk_call, app};
    app->control = dm_control_new(&deps);

    app->desk = dm_router_new();
    dm_router_add(app->desk, dm_desk_routes, dm_desk_nroutes, app->store);
    dm_router_add(app->desk, dm_hooks_routes, dm_hooks_nroutes, app->hooks);
    dm_router_add(app->desk, dm_invoke_desk_routes, dm_invoke_desk_nroutes, app->invoke);
    dm_router_add(app->desk, dm_installs_desk_routes, dm_installs_desk_nroutes, app->installs);
    app->ctl = dm_router_new();
    dm_router_add(app->ctl, dm_control_routes, dm_control_nroutes, app->control);
    dm_router_add(app->ctl, dm_invoke_control_routes, dm_invoke_control_nroutes, app->invoke);
    dm_router_add(app->ctl, dm_installs_control_routes, dm_installs_control_nroutes, app->installs);
    app->wellknown = dm_router_new();
    dm_router_add(app->wellknown, dm_control_jwks_route, 1, app->control);
}

/* ==== Lifecycle ==== */

dm_app *dm_app_new(const dm_app_opts *opts, char *err, size_t errlen)
{
    dm_app *app = dm_xcalloc(1, sizeof *app);
    app->opts = *opts;
    own_opts(app);
    const char *hq = app->opts.invoke_hash_query;
    if (hq && strcmp(hq, "skip") && strcmp(hq, "before-link") && strcmp(hq, "end")) {
        snprintf(err, errlen, "invoke hash query \"%s\": expected skip, before-link or end", hq);
        goto fail;
    }
    if (!app->opts.bind) app->opts.bind = "127.0.0.1";
    if (!app->opts.seed) app->opts.seed = 1;
    if (!app->opts.journal_limit) app->opts.journal_limit = DM_JOURNAL_LIMIT_DEFAULT;
    if (!app->opts.journal_memory_mb) app->opts.journal_memory_mb = DM_JOURNAL_MEMORY_MB_DEFAULT;
    if (!app->opts.clock_start) app->opts.clock_start = dm_wall_ms();
    app->start_opts = app->opts;
    app->clock.is_virtual = opts->clock_virtual;
    app->clock.virt_ms = app->opts.clock_start;
    dm_ids_seed(&app->ids, app->opts.seed);
    app->journal =
        dm_journal_new(&app->clock, app->opts.journal_limit, app->opts.journal_memory_mb << 20);
    app->waits = dm_waits_new();
    app->fixtures = dm_fixtures_new();
    app->loop = dm_loop_new(&app->clock);
    if (!app->loop) {
        snprintf(err, errlen, "cannot create the event loop");
        goto fail;
    }
    app->out = dm_outbound_new(app->loop);
    if (load_jwt(app, err, errlen)) goto fail;
    make_parts(app);
    apply_settings(app); /* before the org: it shapes what loads */
    if (load_org(app, err, errlen)) goto fail;
    for (const char *const *d = app->opts.fixture_dirs; d && *d; d++)
        if (dm_fixtures_add_dir(app->fixtures, *d, err, errlen) < 0) goto fail;
    if (app->opts.journal_file && dm_journal_open_file(app->journal, app->opts.journal_file)) {
        snprintf(err, errlen, "%s: %s", app->opts.journal_file, strerror(errno));
        goto fail;
    }
    dm_journal_on_file_error(app->journal, journal_failed, app);
    dm_loop_before_wait(app->loop, flush_journal, app);
    return app;
fail:
    dm_app_free(app);
    return NULL;
}

static void dispatch_cb(void *app, dm_req *req, dm_resp *resp)
{
    dm_app_dispatch(app, req, resp);
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
    dm_server_opts so = {(const struct sockaddr *)&addr,
                         app->opts.connection_timeout_s,
                         app->opts.connection_limit,
                         app->loop,
                         dispatch_cb,
                         flush_journal,
                         app};
    app->server = dm_server_new(&so, err, errlen);
    if (!app->server) return DM_EBIND;
    dm_loop_set_daemon(app->loop, dm_server_daemon(app->server));
    int v6 = addr.ss_family == AF_INET6;
    snprintf(app->url, sizeof app->url, "http://%s%s%s:%d", v6 ? "[" : "", numeric, v6 ? "]" : "",
             dm_server_port(app->server));
    dm_invoke_set_url(app->invoke, app->url);
    return 0;
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

void dm_app_run_once(dm_app *app, int max_wait_ms)
{
    dm_loop_once(app->loop, max_wait_ms);
}

void dm_app_stop(dm_app *app)
{
    dm_loop_stop(app->loop);
}

dm_store *dm_app_store(const dm_app *app)
{
    return app->store;
}

dm_journal *dm_app_journal(const dm_app *app)
{
    return app->journal;
}

int dm_app_reset(dm_app *app)
{
    char err[256];
    /* first what waits and what is on its way, while their state exists */
    dm_waits_end(app->waits, DM_END_RESET, NULL, "the mock was reset");
    dm_hooks_clear(app->hooks, "reset");
    dm_installs_clear(app->installs);
    dm_invoke_clear(app->invoke);
    dm_jwt_restore(app->jwt);
    memset(dm_delivery_faults(app->delivery), 0, sizeof(dm_faults));
    app->opts = app->start_opts;
    apply_settings(app);
    if (app->clock.is_virtual) app->clock.virt_ms = app->opts.clock_start;
    dm_journal_clear(app->journal);
    dm_ids_seed(&app->ids, app->opts.seed);
    if (dm_store_load(app->store, app->org_spec, err, sizeof err)) return DM_EINVAL;
    return 0;
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
        n++, dm_buf_printf(out, "%zu outgoing request(s) still in flight\n",
                           dm_out_in_flight(app->out));
    if (dm_waits_count(app->waits)) {
        n++;
        dm_buf_printf(out, "%zu wait(s) still open:\n", dm_waits_count(app->waits));
        dm_waits_describe(app->waits, out);
    }
    if (dm_delivery_pending(app->delivery))
        n++, dm_buf_printf(out, "%zu event(s) still queued for delivery\n",
                           dm_delivery_pending(app->delivery));
    return n;
}

int dm_app_shutdown(dm_app *app, char *err, size_t errlen)
{
    if (!app->closed) {
        app->closed = 1;
        /* what waits is answered, what was on its way gets its fate */
        if (app->waits) dm_waits_end(app->waits, DM_END_SHUTDOWN, NULL, "the mock shut down");
        if (app->hooks) dm_hooks_clear(app->hooks, "shutdown");
        if (app->server) {
            /* let resumed connections send their answers before closing
             * (bounded: a client that stopped reading must not hold us) */
            int64_t until = dm_mono_ms() + 1000;
            for (int i = 0; i < 3; i++)
                dm_loop_once(app->loop, 0);
            while (dm_server_unsent(app->server) && dm_mono_ms() < until)
                dm_loop_once(app->loop, 10);
            dm_server_free(app->server);
            app->server = NULL;
        }
        if (app->journal) dm_journal_close_file(app->journal);
    }
    const char *why = app->journal ? dm_journal_file_error(app->journal) : NULL;
    if (why && err) snprintf(err, errlen, "the journal file was not written whole: %s", why);
    return why ? DM_EIO : 0;
}

void dm_app_free(dm_app *app)
{
    if (!app) return;
    dm_app_shutdown(app, NULL, 0);
    dm_router_free(app->desk);
    dm_router_free(app->ctl);
    dm_router_free(app->wellknown);
    dm_control_free(app->control);
    dm_invoke_free(app->invoke);
    dm_events_free(app->events);
    dm_installs_free(app->installs);
    dm_delivery_free(app->delivery); /* before the webhooks its queues hang on */
    dm_hooks_free(app->hooks);
    dm_jwt_free(app->jwt);
    dm_outbound_free(app->out);
    dm_loop_free(app->loop);
    dm_store_free(app->store);
    dm_fixtures_free(app->fixtures);
    dm_waits_free(app->waits);
    dm_journal_free(app->journal);
    cJSON_Delete(app->org_spec);
    for (size_t i = 0; i < app->owned.n; i++)
        free(app->owned.items[i]);
    dm_vec_free(&app->owned);
    free(app);
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
