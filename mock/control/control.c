/* control.c -- /mock/v1: health, reset and the journal (with long-poll).
 * A long-poll is a suspended connection plus a journal waiter and a real-time
 * timer; whichever fires first answers it, the other is cancelled. */
#include "control/internal.h"
#include "desk/api.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MAX_MS         60000
#define QUERY_LIMIT_DEFAULT 1000
#define QUERY_LIMIT_MAX     100000

static void h_health(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
    (void)req;
    cJSON *o = cJSON_CreateObject();
    const char *file_error = dm_journal_file_error(c->d.journal);
    cJSON_AddStringToObject(o, "status", file_error ? "error" : "ok");
    if (file_error) cJSON_AddStringToObject(o, "journalFileError", file_error);
    cJSON_AddStringToObject(o, "orgId", dm_json_str(c->d.store->org, "id"));
    cJSON_AddNumberToObject(o, "lastSeq", (double)dm_journal_last_seq(c->d.journal));
    cJSON_AddNumberToObject(o, "journalRecords", (double)dm_journal_count(c->d.journal));
    cJSON_AddNumberToObject(o, "journalBytes", (double)dm_journal_bytes(c->d.journal));
    dm_resp_json(resp, 200, o);
    cJSON_Delete(o);
}

static void h_reset(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
    (void)req;
    if (c->d.reset(c->d.ud) != 0) {
        dm_resp_error(resp, 500, "INTERNAL_SERVER_ERROR", "reset failed", NULL);
        return;
    }
    dm_resp_raw(resp, 200, "{\"status\":\"reset\"}", 18);
}

/* ==== Long-polls ==== */

/* A request that waits for the journal: fill() writes the answer into r and
 * says whether it is ready (final forces an answer: time is up). Each
 * matching record re-asks fill(); the timer answers when time is up. */
typedef struct poll poll;
typedef int (*poll_fill)(poll *p, dm_resp *r, int final);

struct poll {
    dm_control *c;
    dm_async *async;
    dm_journal_filter f;
    char *kinds;
    void *waiter;
    uint64_t timer;
    poll_fill fill;
    uint64_t event; /* story polls: the event */
    uint64_t wait;  /* its entry in c->d.waits */
};

static void poll_free(poll *p)
{
    dm_waits_done(p->c->d.waits, p->wait);
    free(p->kinds);
    free(p);
}

static void poll_complete(poll *p, dm_resp *r)
{
    dm_async_complete(p->async, r);
    poll_free(p);
}

static void poll_woken(void *ud);

static void poll_arm(poll *p)
{
    p->waiter = dm_journal_wait(p->c->d.journal, &p->f, poll_woken, p);
}

static void poll_woken(void *ud)
{
    poll *p = ud;
    dm_resp r;
    dm_resp_init(&r);
    if (p->fill(p, &r, 0)) {
        dm_loop_cancel(p->c->d.loop, p->timer);
        poll_complete(p, &r);
        return;
    }
    dm_resp_free(&r);
    p->f.after = dm_journal_last_seq(p->c->d.journal);
    poll_arm(p);
}

static void poll_timeout(void *ud)
{
    poll *p = ud;
    dm_journal_unwait(p->c->d.journal, p->waiter);
    dm_resp r;
    dm_resp_init(&r);
    p->fill(p, &r, 1);
    poll_complete(p, &r);
}

static void poll_aborted(void *ud)
{
    poll *p = ud;
    dm_journal_unwait(p->c->d.journal, p->waiter);
    dm_loop_cancel(p->c->d.loop, p->timer);
    poll_free(p);
}

/* Shutdown: a long-poll is answered with what it has now. (A reset does not
 * end it: seqs keep counting, so what it waits for can still come.) */
static void poll_ended(void *ud, dm_wait_end how, const char *why)
{
    poll *p = ud;
    (void)how;
    (void)why;
    dm_journal_unwait(p->c->d.journal, p->waiter);
    dm_loop_cancel(p->c->d.loop, p->timer);
    dm_resp r;
    dm_resp_init(&r);
    p->fill(p, &r, 1);
    p->wait = 0; /* already out of the registry */
    poll_complete(p, &r);
}

/* Suspends req until fill() is ready or wait_ms pass; f's kinds are copied. */
static void poll_start(dm_control *c, dm_req *req, dm_resp *resp, const dm_journal_filter *f,
                       poll_fill fill, uint64_t event, uint64_t wait_ms)
{
    poll *p = dm_xcalloc(1, sizeof *p);
    p->c = c;
    p->async = req->async;
    p->kinds = f->kinds ? dm_xstrdup(f->kinds) : NULL;
    p->f = *f;
    p->f.kinds = p->kinds;
    p->fill = fill;
    p->event = event;
    poll_arm(p);
    p->timer = dm_loop_after(c->d.loop, (int64_t)wait_ms, 0, poll_timeout, p);
    dm_async_on_abort(req->async, poll_aborted, p);
    p->wait = dm_waits_add(c->d.waits, "a journal long-poll", NULL, 0, poll_ended, p);
    dm_buf_reset(&resp->body);
    resp->deferred = 1;
}

static int journal_fill(poll *p, dm_resp *r, int final)
{
    size_t n = dm_journal_query(p->c->d.journal, &p->f, &r->body);
    return n > 0 || final;
}

static int query_u64(dm_req *req, const char *key, uint64_t max, uint64_t *out, dm_field_errs *e)
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

static void h_journal(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
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
    size_t n = dm_journal_query(c->d.journal, &f, &resp->body);
    resp->status = 200;
    if (n || !wait || !req->async) return;
    /* Nothing yet: wait for a matching record, or for the time to pass. */
    poll_start(c, req, resp, &f, journal_fill, 0, wait);
}

/* ==== What happened to one event ==== */

typedef struct story {
    uint64_t event;
    dm_buf *attempts, *fates;
    int nattempts, nfates;
    const char *event_json;
} story;

static int story_one(void *ud, uint64_t seq, const char *kind, const char *json)
{
    story *s = ud;
    (void)seq;
    if (strcmp(kind, "fate") == 0 || strcmp(kind, "attempt") == 0) {
        cJSON *r = NULL;
        if (dm_json_parse(json, strlen(json), &r, NULL, 0)) return 0;
        int hit = 0;
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(r, "event");
        if (cJSON_IsNumber(ev) && (uint64_t)ev->valuedouble == s->event) hit = 1;
        const cJSON *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "events"))
            if (cJSON_IsNumber(x) && (uint64_t)x->valuedouble == s->event) hit = 1;
        cJSON_Delete(r);
        if (!hit) return 0;
        int fate = kind[0] == 'f';
        dm_buf *b = fate ? s->fates : s->attempts;
        if ((fate ? s->nfates++ : s->nattempts++)) dm_buf_putc(b, ',');
        dm_buf_puts(b, json);
    }
    return 0;
}

static int find_event(void *ud, uint64_t seq, const char *kind, const char *json)
{
    story *s = ud;
    if (seq == s->event && strcmp(kind, "event") == 0) s->event_json = json;
    return seq >= s->event;
}

/* Writes the story of event seq into out; returns -1 when there is no such
 * event record, else whether it is still pending (1) or settled (0). */
static int story_of(dm_control *c, uint64_t seq, dm_buf *out)
{
    story s = {0};
    s.event = seq;
    dm_journal_filter all = {seq ? seq - 1 : 0, "event", 0, 1};
    if (seq) dm_journal_visit(c->d.journal, &all, find_event, &s);
    if (!s.event_json) return -1;
    dm_buf attempts = {0}, fates = {0};
    s.attempts = &attempts;
    s.fates = &fates;
    dm_journal_filter after = {seq, "attempt,fate", 0, 0};
    dm_journal_visit(c->d.journal, &after, story_one, &s);
    dm_buf_puts(out, "{\"event\":");
    dm_buf_puts(out, s.event_json);
    dm_buf_puts(out, ",\"attempts\":[");
    if (attempts.len) dm_buf_puts(out, attempts.data);
    dm_buf_puts(out, "],\"fates\":[");
    if (fates.len) dm_buf_puts(out, fates.data);
    /* pending: some webhook the event went to has no fate yet */
    cJSON *ev = NULL;
    int targets = 0;
    if (dm_json_parse(s.event_json, strlen(s.event_json), &ev, NULL, 0) == 0)
        targets = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ev, "webhooks"));
    cJSON_Delete(ev);
    int pending = s.nfates < targets;
    dm_buf_printf(out, "],\"pending\":%s}", pending ? "true" : "false");
    dm_buf_free(&attempts);
    dm_buf_free(&fates);
    return pending;
}

static int story_fill(poll *p, dm_resp *r, int final)
{
    dm_buf_reset(&r->body);
    int pending = story_of(p->c, p->event, &r->body);
    r->status = 200;
    return pending != 1 || final;
}

/* GET /mock/v1/events/{seq}[?wait=MS]: the event record, every attempt that
 * carried it and its fate at each webhook, in one answer; with wait, answers
 * once every webhook it went to has a fate, or when MS pass. */
static void h_event_story(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
    char *end;
    unsigned long long seq = strtoull(req->params[0], &end, 10);
    dm_field_errs e = {0};
    uint64_t wait = 0;
    if (query_u64(req, "wait", WAIT_MAX_MS, &wait, &e)) {
        dm_resp_error(resp, 422, "INVALID_DATA", "Invalid query.", &e);
        return;
    }
    int pending = *end ? -1 : story_of(c, seq, &resp->body);
    if (pending < 0) {
        dm_api_not_found(resp, "event record", req->params[0]);
        return;
    }
    resp->status = 200;
    if (pending && wait && req->async) {
        dm_journal_filter f = {dm_journal_last_seq(c->d.journal), "fate", seq, 0};
        poll_start(c, req, resp, &f, story_fill, seq, wait);
    }
}

/* ==== Faults ==== */

static void faults_json(dm_control *c, dm_resp *resp)
{
    const dm_faults *f = dm_delivery_faults(c->d.delivery);
    cJSON *o = cJSON_CreateObject();
    cJSON *d = cJSON_AddObjectToObject(o, "delivery");
    cJSON_AddNumberToObject(d, "duplicate", f->duplicate);
    cJSON_AddNumberToObject(d, "reorder", f->reorder);
    cJSON_AddNumberToObject(d, "delay", f->delay);
    cJSON_AddNumberToObject(d, "delayMs", (double)f->delay_ms);
    cJSON_AddNumberToObject(d, "lostAnswer", f->lost_answer);
    cJSON_AddItemToObject(o, "invoke", dm_invoke_faults_json(c->d.invoke, 0));
    cJSON_AddItemToObject(o, "rest", dm_invoke_faults_json(c->d.invoke, 1));
    dm_resp_json(resp, 200, o);
    cJSON_Delete(o);
}

static void h_faults_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
    (void)req;
    faults_json(c, resp);
}

/* PUT {"delivery":{"duplicate":N,"reorder":N,"delay":N,"delayMs":MS,
 * "lostAnswer":N}}: the next N POSTs are sent twice / have their batch
 * reversed / are held back / have their answer treated as lost. */
static void h_faults_put(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
    static const dm_field_spec top[] = {{"delivery", DM_F_OBJ, 0, 0, NULL}};
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    cJSON *inv = cJSON_DetachItemFromObjectCaseSensitive(body, "invoke");
    cJSON *rest = cJSON_DetachItemFromObjectCaseSensitive(body, "rest");
    dm_api_validate(body, top, 1, &e);
    if (inv || rest) dm_invoke_set_faults(c->d.invoke, inv, rest, &e);
    cJSON_Delete(inv);
    cJSON_Delete(rest);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(body, "delivery"), *v;
    static const char *const keys[] = {"duplicate", "reorder", "delay", "delayMs", "lostAnswer"};
    cJSON_ArrayForEach(v, d) {
        int known = 0;
        for (size_t i = 0; i < 5; i++)
            known |= strcmp(keys[i], v->string) == 0;
        char ptr[160];
        snprintf(ptr, sizeof ptr, "/delivery/%.100s", v->string);
        if (!known)
            dm_field_errs_add(&e, ptr, "invalid", "unknown fault");
        else if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e7 ||
                 v->valuedouble != (double)(int64_t)v->valuedouble)
            dm_field_errs_add(&e, ptr, "invalid", "expected a whole number from 0 to 10000000");
    }
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return;
    }
    dm_faults *f = dm_delivery_faults(c->d.delivery);
    cJSON_ArrayForEach(v, d) {
        if (strcmp(v->string, "duplicate") == 0)
            f->duplicate = (int)v->valuedouble;
        else if (strcmp(v->string, "reorder") == 0)
            f->reorder = (int)v->valuedouble;
        else if (strcmp(v->string, "delay") == 0)
            f->delay = (int)v->valuedouble;
        else if (strcmp(v->string, "lostAnswer") == 0)
            f->lost_answer = (int)v->valuedouble;
        else
            f->delay_ms = (int64_t)v->valuedouble;
    }
    cJSON_Delete(body);
    faults_json(c, resp);
}

static void h_faults_delete(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
    (void)req;
    memset(dm_delivery_faults(c->d.delivery), 0, sizeof(dm_faults));
    cJSON *none = cJSON_CreateArray();
    dm_field_errs e = {0};
    dm_invoke_set_faults(c->d.invoke, none, none, &e);
    cJSON_Delete(none);
    faults_json(c, resp);
}

/* ==== Clock ==== */

static void clock_json(dm_control *c, dm_resp *resp)
{
    char iso[DM_ISO_LEN];
    int64_t now = dm_clock_now(c->d.clock);
    dm_iso_time(now, iso);
    dm_buf_reset(&resp->body);
    dm_buf_printf(&resp->body, "{\"mode\":\"%s\",\"now\":\"%s\",\"nowMs\":%lld,\"timers\":%zu}",
                  c->d.clock->is_virtual ? "virtual" : "real", iso, (long long)now,
                  dm_loop_clock_timers(c->d.loop));
    resp->status = 200;
}

static void h_clock_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
    (void)req;
    clock_json(c, resp);
}

/* POST {"advanceMs": N}: moves a virtual clock, firing what falls due. */
static void h_clock_post(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_control *c = self;
    static const dm_field_spec fields[] = {{"advanceMs", DM_F_OBJ, 0, 0, NULL}};
    (void)fields;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    const cJSON *adv = cJSON_GetObjectItemCaseSensitive(body, "advanceMs");
    dm_field_errs e = {0};
    if (!cJSON_IsNumber(adv) || adv->valuedouble < 0 || adv->valuedouble > 3.2e10)
        dm_field_errs_add(&e, "/advanceMs", "invalid",
                          "expected milliseconds from 0 to 32000000000");
    else if (!c->d.clock->is_virtual)
        dm_field_errs_add(&e, "/advanceMs", "invalid",
                          "the clock is real; start with --clock virtual");
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return;
    }
    int64_t ms = (int64_t)adv->valuedouble;
    cJSON_Delete(body);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "advanceMs", (double)ms);
    dm_journal_add(c->d.journal, "clock", call->origin.cause, f);
    dm_loop_advance(c->d.loop, ms);
    clock_json(c, resp);
}

/* GET /mock/v1/tokens: {"orgId", "tokens": {role: token}}, what the ready
 * file holds, for clients that attach to a running mock. */
static void h_tokens(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
    (void)req;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "orgId", dm_json_str(c->d.store->org, "id"));
    cJSON *t = cJSON_AddObjectToObject(o, "tokens");
    for (size_t i = 0; i < c->d.store->tokens.n; i++) {
        const dm_token *k = c->d.store->tokens.items[i];
        if (!k->installation_id && !cJSON_GetObjectItemCaseSensitive(t, k->role))
            cJSON_AddStringToObject(t, k->role, k->token);
    }
    dm_resp_json(resp, 200, o);
    cJSON_Delete(o);
}

/* GET /mock/ui: the journal timeline page (mock/ui/index.html, embedded at build). */
extern const char dm_ui_html[];
extern const size_t dm_ui_html_len;

static void h_ui(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
    (void)c;
    (void)req;
    dm_resp_raw(resp, 200, dm_ui_html, dm_ui_html_len);
    resp->content_type = "text/html; charset=utf-8";
    dm_resp_header(resp, "Cache-Control", "no-cache");
}

/* GET /.well-known/jwks.json */
static void h_jwks(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_control *c = self;
    (void)req;
    (void)call;
    dm_jwt_jwks(c->d.jwt, &resp->body);
    resp->status = 200;
}

/* DELETE /mock/v1/deliveries: forget what is waiting to be delivered (a
 * retry due in an hour, a batch window): each event's fate is "dropped".
 * State and installations stay; the next event is delivered at once. */
static void h_deliveries_delete(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    (void)req;
    dm_control *c = self;
    size_t n = dm_delivery_clear(c->d.delivery, "cleared (DELETE /mock/v1/deliveries)");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "dropped", (double)n);
    dm_resp_json(resp, 200, o);
    cJSON_Delete(o);
}

/* POST /mock/v1/keys/rotate: a new signing key; the JWKS keeps the old one
 * after it, so a receiver that refetches on an unknown kid keeps verifying. */
static void h_keys_rotate(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_control *c = self;
    (void)req;
    char err[160];
    if (dm_jwt_rotate(c->d.jwt, err, sizeof err) != 0) {
        dm_resp_error(resp, 500, "INTERNAL_SERVER_ERROR", err, NULL);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kid", dm_jwt_kid(c->d.jwt));
    cJSON_AddStringToObject(o, "previousKid", dm_jwt_previous_kid(c->d.jwt));
    dm_journal_add(c->d.journal, "keys", call->origin.cause, cJSON_Duplicate(o, 1));
    dm_resp_json(resp, 200, o);
    cJSON_Delete(o);
}

const dm_route dm_control_routes[] = {
    {"GET", "/mock/ui", h_ui, NULL, 0}, /* also /mock/ui/: one trailing slash is tolerated */
    {"GET", "/mock/v1/health", h_health, NULL, 0},
    {"GET", "/mock/v1/tokens", h_tokens, NULL, 0},
    {"POST", "/mock/v1/reset", h_reset, NULL, 0},
    {"GET", "/mock/v1/journal", h_journal, NULL, 0},
    {"POST", "/mock/v1/events", dm_h_trigger, NULL, 0},
    {"POST", "/mock/v1/actions/{}", dm_h_action, NULL, 0},
    {"GET", "/mock/v1/events/{}", h_event_story, NULL, 0},
    {"GET", "/mock/v1/fixtures", dm_h_fixtures, NULL, 0},
    {"GET", "/mock/v1/fixtures/{}/{}", dm_h_fixture_get, NULL, 0},
    {"GET", "/mock/v1/faults", h_faults_get, NULL, 0},
    {"PUT", "/mock/v1/faults", h_faults_put, NULL, 0},
    {"DELETE", "/mock/v1/faults", h_faults_delete, NULL, 0},
    {"GET", "/mock/v1/settings", dm_h_settings_get, NULL, 0},
    {"PUT", "/mock/v1/settings", dm_h_settings_put, NULL, 0},
    {"POST", "/mock/v1/deliveries", dm_h_deliveries_post, NULL, 0},
    {"DELETE", "/mock/v1/deliveries", h_deliveries_delete, NULL, 0},
    {"POST", "/mock/v1/keys/rotate", h_keys_rotate, NULL, 0},
    {"GET", "/mock/v1/clock", h_clock_get, NULL, 0},
    {"POST", "/mock/v1/clock", h_clock_post, NULL, 0},
};
const size_t dm_control_nroutes = sizeof dm_control_routes / sizeof dm_control_routes[0];

const dm_route dm_control_jwks_route[] = {{"GET", "/.well-known/jwks.json", h_jwks, NULL, 0}};

dm_control *dm_control_new(const dm_control_deps *deps)
{
    dm_control *c = dm_xcalloc(1, sizeof *c);
    c->d = *deps;
    return c;
}

void dm_control_free(dm_control *c)
{
    free(c);
}
