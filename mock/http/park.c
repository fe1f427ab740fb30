/* park.c -- requests answered later: parking one, acting for its client again,
 * answering it, and ending it early with a clear 503 when the mock is reset,
 * shut down or the thing it waited on goes away. Also Desk's URL check, the
 * one wait that webhook creation, webhook URL changes and installs share. */
#include "app.h"
#include "delivery/delivery.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dm_owner(char *out, size_t len, const char *kind, const char *id)
{
    snprintf(out, len, "%s:%s", kind, id ? id : "");
}

/* ==== Parking ==== */

static void client_gone(void *ud)
{
    dm_parked *p = ud;
    p->async = NULL;
}

void dm_park(dm_app *app, dm_req *req, dm_resp *resp, dm_parked *p, const char *what,
             const char *owner, unsigned ends, dm_wait_end_fn end, void *ud)
{
    p->app = app;
    p->async = req->async;
    p->cause = app->origin.cause;
    snprintf(p->token, sizeof p->token, "%s", app->principal ? app->principal->token : "");
    snprintf(p->actor, sizeof p->actor, "%s", app->origin.actor_id ? app->origin.actor_id : "");
    p->has_source_id = app->origin.source_id != NULL;
    snprintf(p->source_id, sizeof p->source_id, "%s", p->has_source_id ? app->origin.source_id : "");
    p->t0_us = dm_mono_us();
    p->wait = dm_waits_add(app->waits, what, owner, ends, end, ud);
    if (p->async) dm_async_on_abort(p->async, client_gone, p);
    resp->deferred = 1;
}

void dm_park_resume(dm_parked *p)
{
    dm_app *app = p->app;
    snprintf(app->source_id, sizeof app->source_id, "%s", p->source_id);
    app->principal = p->token[0] ? dm_store_token(app->store, p->token) : NULL;
    app->origin = (dm_origin){p->cause, p->has_source_id ? app->source_id : NULL, 0,
                              p->actor[0] ? p->actor : NULL};
}

/* Journals the answer and hands it to the client, if it is still there. */
static void answer(dm_parked *p, dm_resp *resp)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "status", resp->status);
    if (resp->error_code) cJSON_AddStringToObject(f, "errorCode", resp->error_code);
    cJSON_AddBoolToObject(f, "clientGone", p->async == NULL);
    cJSON_AddNumberToObject(f, "latencyUs", (double)(dm_mono_us() - p->t0_us));
    dm_journal_add(p->app->journal, "response", p->cause, f);
    if (p->async)
        dm_async_complete(p->async, resp);
    else
        dm_resp_free(resp);
    p->async = NULL;
}

void dm_park_finish(dm_parked *p, dm_resp *resp)
{
    dm_waits_done(p->app->waits, p->wait);
    answer(p, resp);
}

void dm_park_cancel(dm_parked *p, const char *why, const char *what)
{
    dm_resp resp;
    dm_resp_init(&resp);
    char msg[600];
    snprintf(msg, sizeof msg, "%s while this request waited for %s; it was not carried out.", why,
             what);
    msg[0] = msg[0] >= 'a' && msg[0] <= 'z' ? (char)(msg[0] - 'a' + 'A') : msg[0];
    dm_resp_error(&resp, 503, "SERVICE_UNAVAILABLE", msg, NULL);
    answer(p, &resp);
}

/* ==== The URL check ==== */

typedef struct check {
    dm_parked p;
    char *url;
    char what[300];
    uint64_t out; /* the GET in flight */
    dm_checked_fn done;
    void (*free_ud)(void *);
    void *ud;
} check;

static void check_free(check *c)
{
    if (c->free_ud) c->free_ud(c->ud);
    free(c->url);
    free(c);
}

/* The "check" record, caused by the request being served. */
static void journal_check(dm_app *app, const char *url, const dm_out_res *r)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "method", "GET");
    cJSON_AddStringToObject(f, "url", url);
    if (r->status) cJSON_AddNumberToObject(f, "status", r->status);
    else cJSON_AddNullToObject(f, "status");
    if (r->error) cJSON_AddStringToObject(f, "error", r->error);
    cJSON_AddNumberToObject(f, "latencyMs", (double)(int64_t)(r->secs * 1000000) / 1000.0);
    dm_journal_add(app->journal, "check", app->origin.cause, f);
}

static void checked(void *ud, const dm_out_res *r)
{
    check *c = ud;
    dm_app *app = c->p.app;
    dm_park_resume(&c->p);
    journal_check(app, c->url, r);
    dm_resp resp;
    dm_resp_init(&resp);
    c->done(app, c->ud, r, &resp);
    dm_park_finish(&c->p, &resp);
    check_free(c);
}

static void check_ended(void *ud, dm_wait_end how, const char *why)
{
    check *c = ud;
    (void)how;
    dm_out_cancel(c->p.app->out, c->out);
    dm_park_cancel(&c->p, why, c->what);
    check_free(c);
}

void dm_check_url(dm_app *app, dm_req *req, dm_resp *resp, const char *url, const char *owner,
                  dm_checked_fn done, void (*free_ud)(void *), void *ud)
{
    if (!req->async) {
        done(app, ud, NULL, resp);
        if (free_ud) free_ud(ud);
        return;
    }
    check *c = dm_xcalloc(1, sizeof *c);
    c->url = dm_xstrdup(url);
    c->done = done;
    c->free_ud = free_ud;
    c->ud = ud;
    snprintf(c->what, sizeof c->what, "the check GET to %.200s", url);
    dm_park(app, req, resp, &c->p, c->what, owner, DM_END_RESET | (owner ? DM_END_OWNER : 0),
            check_ended, c);
    dm_out_req get = {"GET", url, NULL, NULL, 0, dm_delivery_get_opts(app->delivery)->timeout_ms, 0};
    c->out = dm_out_send(app->out, &get, checked, c);
}
