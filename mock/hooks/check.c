/* check.c -- Desk's URL check, the one wait that webhook creation, webhook
 * URL changes and installs share: park the request, GET the URL unsigned;
 * when that is not 200, POST it unsigned with an empty JSON object; journal
 * each attempt, resume with the outcome. */
#include "hooks/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct check {
    dm_parked p;
    dm_hooks *hooks;
    char *url;
    char what[300];
    uint64_t out; /* the GET or POST in flight */
    dm_url_probe res;
    char get_error[256]; /* res.get_error points here */
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

/* The "check" record of one attempt, caused by the request being served. */
static void journal_check(dm_journal *j, uint64_t cause, const char *method, const char *url,
                          const dm_out_res *r)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "method", method);
    cJSON_AddStringToObject(f, "url", url);
    if (r->status)
        cJSON_AddNumberToObject(f, "status", r->status);
    else
        cJSON_AddNullToObject(f, "status");
    if (r->error) cJSON_AddStringToObject(f, "error", r->error);
    cJSON_AddNumberToObject(f, "latencyMs", (double)(int64_t)(r->secs * 1000000) / 1000.0);
    dm_journal_add(j, "check", cause, f);
}

static void finish(check *c, dm_call *call)
{
    dm_resp resp;
    dm_resp_init(&resp);
    c->res.ok = c->res.get_status == 200 || c->res.post_status == 200;
    c->done(c->hooks, c->ud, &c->res, call, &resp);
    dm_park_finish(&c->p, &resp);
    check_free(c);
}

static void posted(void *ud, const dm_out_res *r)
{
    check *c = ud;
    c->out = 0;
    dm_call call;
    dm_park_resume(&c->p, &call);
    journal_check(dm_hooks_journal(c->hooks), call.origin.cause, "POST", c->url, r);
    c->res.post_status = r->status;
    c->res.post_error = r->error;
    finish(c, &call); /* r is valid until this returns */
}

static void got(void *ud, const dm_out_res *r)
{
    check *c = ud;
    c->out = 0;
    dm_call call;
    dm_park_resume(&c->p, &call);
    journal_check(dm_hooks_journal(c->hooks), call.origin.cause, "GET", c->url, r);
    c->res.get_status = r->status;
    if (r->error) {
        snprintf(c->get_error, sizeof c->get_error, "%s", r->error);
        c->res.get_error = c->get_error;
    }
    if (r->status == 200) {
        finish(c, &call);
        return;
    }
    /* Desk tries once more, with an unsigned POST */
    c->res.posted = 1;
    static const char *const json[] = {"Content-Type: application/json", "User-Agent: deskmock",
                                       NULL};
    static const char *const form[] = {"Content-Type: application/x-www-form-urlencoded",
                                       "User-Agent: deskmock", NULL};
    const char *const *headers = dm_hooks_check_post_form(c->hooks) ? form : json;
    dm_out_req post = {"POST", c->url, headers, "{}", 2, dm_hooks_check_timeout(c->hooks), 0};
    snprintf(c->what, sizeof c->what, "the check POST to %.200s", c->url);
    c->out = dm_out_send(dm_hooks_outbound(c->hooks), &post, posted, c);
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
    c->out = dm_out_send(dm_hooks_outbound(h), &get, got, c);
}

/* "answered the check GET with 404 and the check POST with 405" */
static void attempt(dm_buf *b, const char *method, long status, const char *error)
{
    if (status)
        dm_buf_printf(b, "answered the check %s with %ld", method, status);
    else
        dm_buf_printf(b, "did not answer the check %s (%s)", method, error ? error : "no answer");
}

void dm_url_probe_describe(const dm_url_probe *r, dm_buf *out)
{
    attempt(out, "GET", r->get_status, r->get_error);
    if (r->posted) {
        dm_buf_puts(out, " and ");
        attempt(out, "POST", r->post_status, r->post_error);
    }
    dm_buf_puts(out, r->ok ? "" : "; Desk needs a 200 to one of them");
}
