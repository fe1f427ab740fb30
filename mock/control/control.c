/* control.c -- /mock/v1: health, reset and the journal (with long-poll).
 * A long-poll is a suspended connection plus a journal waiter and a real-time
 * timer; whichever fires first answers it, the other is cancelled. */
#include "control/control.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MAX_MS 60000
#define QUERY_LIMIT_DEFAULT 1000
#define QUERY_LIMIT_MAX 100000

static void h_health(dm_app *app, dm_req *req, dm_resp *resp)
{
    (void)req;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON_AddStringToObject(o, "orgId", dm_json_str(app->store->org, "id"));
    cJSON_AddNumberToObject(o, "lastSeq", (double)dm_journal_last_seq(app->journal));
    cJSON_AddNumberToObject(o, "journalRecords", (double)dm_journal_count(app->journal));
    dm_resp_json(resp, 200, o);
    cJSON_Delete(o);
}

static void h_reset(dm_app *app, dm_req *req, dm_resp *resp)
{
    (void)req;
    if (dm_app_reset(app) != 0) {
        dm_resp_error(resp, 500, "INTERNAL_SERVER_ERROR", "reset failed", NULL);
        return;
    }
    dm_resp_raw(resp, 200, "{\"status\":\"reset\"}", 18);
}

/* ==== Journal queries and long-polls ==== */

typedef struct poll {
    dm_app *app;
    dm_async *async;
    dm_journal_filter f;
    char *kinds;
    void *waiter;
    uint64_t timer;
} poll;

static void poll_free(poll *p)
{
    dm_vec_remove(&p->app->polls, p);
    free(p->kinds);
    free(p);
}

static void poll_answer(poll *p)
{
    dm_resp r;
    dm_resp_init(&r);
    dm_journal_query(p->app->journal, &p->f, &r.body);
    dm_async_complete(p->async, &r);
    poll_free(p);
}

static void poll_woken(void *ud)
{
    poll *p = ud;
    dm_loop_cancel(p->app->loop, p->timer);
    poll_answer(p);
}

static void poll_timeout(void *ud)
{
    poll *p = ud;
    dm_journal_unwait(p->app->journal, p->waiter);
    poll_answer(p);
}

static void poll_aborted(void *ud)
{
    poll *p = ud;
    dm_journal_unwait(p->app->journal, p->waiter);
    dm_loop_cancel(p->app->loop, p->timer);
    poll_free(p);
}

void dm_control_flush(dm_app *app)
{
    while (app->polls.n) {
        poll *p = app->polls.items[0];
        dm_journal_unwait(app->journal, p->waiter);
        dm_loop_cancel(app->loop, p->timer);
        poll_answer(p);
    }
}

static int query_u64(dm_req *req, const char *key, uint64_t max, uint64_t *out,
                     dm_field_errs *e)
{
    const char *s = dm_kvs_get(&req->query, key);
    if (!s) return 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || s[0] == '-' || v > max) {
        dm_field_errs_add(e, key, "invalid", "expected a number from 0 to %llu",
                          (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

static void h_journal(dm_app *app, dm_req *req, dm_resp *resp)
{
    dm_field_errs e = {0};
    uint64_t after = 0, cause = 0, limit = QUERY_LIMIT_DEFAULT, wait = 0;
    query_u64(req, "after", UINT64_MAX, &after, &e);
    query_u64(req, "cause", UINT64_MAX, &cause, &e);
    query_u64(req, "limit", QUERY_LIMIT_MAX, &limit, &e);
    query_u64(req, "wait", WAIT_MAX_MS, &wait, &e);
    if (e.n) {
        dm_resp_error(resp, 422, "INVALID_DATA", "Invalid journal query.", &e);
        return;
    }
    if (!limit) limit = QUERY_LIMIT_DEFAULT;
    const char *kinds = dm_kvs_get(&req->query, "kind");
    dm_journal_filter f = {after, kinds, cause, (size_t)limit};
    size_t n = dm_journal_query(app->journal, &f, &resp->body);
    resp->status = 200;
    if (n || !wait || !req->async || !app->loop) return;

    /* Nothing yet: wait for a matching record, or for the time to pass. */
    dm_buf_reset(&resp->body);
    poll *p = dm_xcalloc(1, sizeof *p);
    p->app = app;
    p->async = req->async;
    p->kinds = kinds ? dm_xstrdup(kinds) : NULL;
    p->f = f;
    p->f.kinds = p->kinds;
    p->waiter = dm_journal_wait(app->journal, &p->f, poll_woken, p);
    p->timer = dm_loop_after(app->loop, (int64_t)wait, 0, poll_timeout, p);
    dm_async_on_abort(req->async, poll_aborted, p);
    dm_vec_push(&app->polls, p);
    resp->deferred = 1;
}

const dm_route dm_control_routes[] = {
    {"GET", "/mock/v1/health", h_health, NULL, 0},
    {"POST", "/mock/v1/reset", h_reset, NULL, 0},
    {"GET", "/mock/v1/journal", h_journal, NULL, 0},
};
const size_t dm_control_nroutes = sizeof dm_control_routes / sizeof dm_control_routes[0];
