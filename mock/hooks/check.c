/* check.c -- Desk's URL check, the one wait that webhook creation, webhook
 * URL changes and installs share: park the request, GET the URL unsigned,
 * journal what came back, resume. */
#include "hooks/api.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct check {
    dm_parked p;
    dm_hooks *hooks;
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
static void journal_check(dm_journal *j, uint64_t cause, const char *url, const dm_out_res *r)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "method", "GET");
    cJSON_AddStringToObject(f, "url", url);
    if (r->status) cJSON_AddNumberToObject(f, "status", r->status);
    else cJSON_AddNullToObject(f, "status");
    if (r->error) cJSON_AddStringToObject(f, "error", r->error);
    cJSON_AddNumberToObject(f, "latencyMs", (double)(int64_t)(r->secs * 1000000) / 1000.0);
    dm_journal_add(j, "check", cause, f);
}

static void checked(void *ud, const dm_out_res *r)
{
    check *c = ud;
    dm_call call;
    dm_park_resume(&c->p, &call);
    journal_check(dm_hooks_journal(c->hooks), call.origin.cause, c->url, r);
    dm_resp resp;
    dm_resp_init(&resp);
    c->done(c->hooks, c->ud, r, &call, &resp);
    dm_park_finish(&c->p, &resp);
    check_free(c);
}

static void check_ended(void *ud, dm_wait_end how, const char *why)
{
    check *c = ud;
    (void)how;
    dm_out_cancel(dm_hooks_outbound(c->hooks), c->out);
    dm_park_cancel(&c->p, why, c->what);
    check_free(c);
}

void dm_hooks_check_url(dm_hooks *h, dm_call *call, dm_req *req, dm_resp *resp, const char *url,
                        const char *owner, dm_checked_fn done, void (*free_ud)(void *), void *ud)
{
    if (!req->async) {
        done(h, ud, NULL, call, resp);
        if (free_ud) free_ud(ud);
        return;
    }
    check *c = dm_xcalloc(1, sizeof *c);
    c->hooks = h;
    c->url = dm_xstrdup(url);
    c->done = done;
    c->free_ud = free_ud;
    c->ud = ud;
    snprintf(c->what, sizeof c->what, "the check GET to %.200s", url);
    dm_park(&c->p, dm_hooks_waits(h), dm_hooks_journal(h), call, req, resp, c->what, owner,
            DM_END_RESET | (owner ? DM_END_OWNER : 0), check_ended, c);
    dm_out_req get = {"GET", url, NULL, NULL, 0, dm_hooks_check_timeout(h), 0};
    c->out = dm_out_send(dm_hooks_outbound(h), &get, checked, c);
}
