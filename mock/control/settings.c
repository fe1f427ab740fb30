/* settings.c -- /mock/v1/settings: the delivery and event options that
 * `serve` takes as flags, readable and changeable at run time, so one mock
 * can run scenarios that need different ones. Also POST /mock/v1/deliveries:
 * a delivery the harness shapes itself (a forged JWT, a wrong URL, a
 * malformed body) sent to a webhook's receiver, its answer returned. */
#include "control/internal.h"
#include "http/park.h"
#include "desk/api.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void settings_json(dm_control *c, dm_resp *resp)
{
    const dm_delivery_opts *d = dm_delivery_get_opts(c->d.delivery);
    cJSON *o = cJSON_CreateObject();
    const dm_invoke_opts *io = dm_invoke_get_opts(c->d.invoke);
    cJSON_AddStringToObject(o, "prevState",
                            dm_events_prev_changed(c->d.events) ? "changed" : "full");
    cJSON_AddNumberToObject(o, "deliveryTimeoutMs", (double)d->timeout_ms);
    cJSON *r = cJSON_AddArrayToObject(o, "retrySchedule");
    for (size_t i = 0; i < d->nretry; i++)
        cJSON_AddItemToArray(r, cJSON_CreateNumber((double)d->retry[i]));
    cJSON_AddNumberToObject(o, "batchMax", d->batch_max);
    cJSON_AddNumberToObject(o, "batchWindowMs", (double)d->batch_window_ms);
    cJSON_AddBoolToObject(o, "invokePassthrough", io->passthrough);
    static const char *const modes[] = {"skip", "before-link", "end"};
    cJSON_AddStringToObject(o, "invokeHashQuery", modes[io->hash_query]);
    cJSON_AddStringToObject(o, "urlCheckPost",
                            dm_hooks_check_post_form(c->d.hooks) ? "form" : "json");
    cJSON_AddStringToObject(o, "threadContentType", c->d.store->opts.thread_content_type);
    cJSON_AddStringToObject(o, "clock", c->d.clock->is_virtual ? "virtual" : "real");
    dm_resp_json(resp, 200, o);
    cJSON_Delete(o);
}

void dm_h_settings_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
    (void)req;
    settings_json(c, resp);
}

static int whole(const cJSON *v, double min, double max)
{
    return cJSON_IsNumber(v) && v->valuedouble >= min && v->valuedouble <= max &&
           v->valuedouble == (double)(int64_t)v->valuedouble;
}

/* PATCH-like: only the given settings change. */
void dm_h_settings_put(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
    static const char *const prev[] = {"full", "changed", NULL};
    static const char *const modes[] = {"skip", "before-link", "end", NULL};
    static const char *const post_types[] = {"json", "form", NULL};
    static const char *const thread_types[] = {"text/html", "html", NULL};
    static const dm_field_spec fields[] = {
        {"threadContentType", DM_F_ENUM, 0, 0, thread_types},
        {"prevState", DM_F_ENUM, 0, 0, prev},
        {"urlCheckPost", DM_F_ENUM, 0, 0, post_types},
        {"invokeHashQuery", DM_F_ENUM, 0, 0, modes},
        {"invokePassthrough", DM_F_BOOL, 0, 0, NULL},
    };
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    cJSON *num[4];
    static const char *const numeric[] = {"deliveryTimeoutMs", "batchMax", "batchWindowMs",
                                          "retrySchedule"};
    for (int i = 0; i < 4; i++)
        num[i] = cJSON_DetachItemFromObjectCaseSensitive(body, numeric[i]);
    dm_api_validate(body, fields, sizeof fields / sizeof fields[0], &e);
    if (num[0] && !whole(num[0], 1, 3600000))
        dm_field_errs_add(&e, "/deliveryTimeoutMs", "invalid", "expected 1 to 3600000");
    if (num[1] && !whole(num[1], 1, 1000))
        dm_field_errs_add(&e, "/batchMax", "invalid", "expected 1 to 1000");
    if (num[2] && !whole(num[2], 0, 3600000))
        dm_field_errs_add(&e, "/batchWindowMs", "invalid", "expected 0 to 3600000");
    if (num[3]) {
        int ok = cJSON_IsArray(num[3]) && cJSON_GetArraySize(num[3]) <= 32;
        const cJSON *x;
        cJSON_ArrayForEach(x, num[3])
            ok &= whole(x, 0, 7 * 24 * 3600000.0);
        if (!ok)
            dm_field_errs_add(&e, "/retrySchedule", "invalid", "expected up to 32 delays in ms");
    }
    if (!e.n) {
        dm_delivery_opts d = *dm_delivery_get_opts(c->d.delivery);
        int64_t retry[32];
        if (num[0]) d.timeout_ms = (int64_t)num[0]->valuedouble;
        if (num[1]) d.batch_max = (int)num[1]->valuedouble;
        if (num[2]) d.batch_window_ms = (int64_t)num[2]->valuedouble;
        if (num[3]) {
            size_t n = 0;
            const cJSON *x;
            cJSON_ArrayForEach(x, num[3])
                retry[n++] = (int64_t)x->valuedouble;
            d.retry = retry;
            d.nretry = n;
        }
        dm_delivery_set_opts(c->d.delivery, &d);
        dm_hooks_set_check_timeout(c->d.hooks, dm_delivery_get_opts(c->d.delivery)->timeout_ms);
        const char *tct = dm_json_str(body, "threadContentType");
        if (tct)
            c->d.store->opts.thread_content_type = strcmp(tct, "html") == 0 ? "html" : "text/html";
        const char *post = dm_json_str(body, "urlCheckPost");
        if (post) dm_hooks_set_check_post_form(c->d.hooks, strcmp(post, "form") == 0);
        const char *p = dm_json_str(body, "prevState");
        if (p) dm_events_set_prev_changed(c->d.events, strcmp(p, "changed") == 0);
        dm_invoke_opts io = *dm_invoke_get_opts(c->d.invoke);
        const char *m = dm_json_str(body, "invokeHashQuery");
        for (int i = 0; m && modes[i]; i++)
            if (strcmp(m, modes[i]) == 0) io.hash_query = i;
        const cJSON *pt = cJSON_GetObjectItemCaseSensitive(body, "invokePassthrough");
        if (pt) io.passthrough = cJSON_IsTrue(pt);
        dm_invoke_set_opts(c->d.invoke, &io);
        settings_json(c, resp);
    } else {
        dm_api_invalid(resp, &e);
    }
    for (int i = 0; i < 4; i++)
        cJSON_Delete(num[i]);
    cJSON_Delete(body);
}

/* ==== Shaped deliveries ==== */

typedef struct shaped {
    dm_parked p;
    dm_control *c;
    uint64_t seq; /* the "forged" record */
    char webhook_id[DM_ID_MAX];
    char what[300];
    char *url;
    dm_buf body;
    char *jwt_header; /* "X-ZDesk-JWT: ..." or NULL */
    uint64_t out;
} shaped;

static void shaped_free(shaped *s)
{
    free(s->url);
    free(s->jwt_header);
    dm_buf_free(&s->body);
    free(s);
}

/* The webhook is no longer busy with the shaped delivery (invoke's cause
 * rule reads it). */
static void release_webhook(shaped *s)
{
    dm_webhook *w = dm_hooks_find(s->c->d.hooks, s->webhook_id);
    if (w && w->active_event == s->seq) {
        w->last_event = s->seq;
        w->active_event = 0;
        w->last_done_ms = dm_mono_ms();
    }
}

static void shaped_done(void *ud, const dm_out_res *r)
{
    shaped *s = ud;
    dm_control *c = s->c;
    release_webhook(s);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "forged", (double)s->seq);
    if (r->status)
        cJSON_AddNumberToObject(o, "status", r->status);
    else
        cJSON_AddNullToObject(o, "status");
    cJSON_AddNumberToObject(o, "latencyMs", (double)(int64_t)(r->secs * 1000000) / 1000.0);
    if (r->error) cJSON_AddStringToObject(o, "error", r->error);
    if (r->body_len) cJSON_AddStringToObject(o, "response", r->body);
    dm_journal_add(c->d.journal, "forged-answer", s->seq, cJSON_Duplicate(o, 1));
    dm_resp resp;
    dm_resp_init(&resp);
    dm_resp_json(&resp, 200, o);
    cJSON_Delete(o);
    dm_park_finish(&s->p, &resp);
    shaped_free(s);
}

static void shaped_ended(void *ud, dm_wait_end how, const char *why)
{
    shaped *s = ud;
    (void)how;
    dm_out_cancel(s->c->d.out, s->out);
    release_webhook(s);
    dm_park_cancel(&s->p, why, s->what);
    shaped_free(s);
}

/* Replaces (or adds) query parameter key in url; owned result. */
static char *with_param(const char *url, const char *key, const char *value)
{
    dm_buf b = {0};
    const char *q = strchr(url, '?');
    dm_buf_append(&b, url, q ? (size_t)(q - url) : strlen(url));
    int first = 1, done = 0;
    size_t klen = strlen(key);
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        size_t n = strcspn(p, "&");
        dm_buf_putc(&b, first ? '?' : '&');
        first = 0;
        if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            dm_buf_printf(&b, "%s=%s", key, value);
            done = 1;
        } else {
            dm_buf_append(&b, p, n);
        }
        p += n;
        if (*p == '&') p++;
    }
    if (!done) dm_buf_printf(&b, "%c%s=%s", first ? '?' : '&', key, value);
    return dm_buf_steal(&b);
}

/* A realistic id that is not id: another webhook's, another org's. The same
 * id gives the same other id, and the seeded id stream is left alone. */
static void other_id(const char *id, char out[DM_ID_MAX])
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211u;
    dm_ids ids;
    dm_ids_seed(&ids, h);
    do
        dm_ids_next(&ids, out);
    while (strcmp(out, id) == 0);
}

/* The tokens a shaped delivery can carry. */
static const char *const jwt_kinds[] = {"valid",
                                        "none",
                                        "expired",
                                        "bad-signature",
                                        "wrong-audience",
                                        "wrong-issuer",
                                        "not-yet-valid",
                                        "alg-none",
                                        "hs256-public-key",
                                        "unknown-kid",
                                        NULL};

/* The X-ZDesk-JWT header value of kind for webhook w ("none": NULL, as when
 * signing fails), and its claims described in *claims (NULL for "none"). */
static char *forge_jwt(dm_control *c, const dm_webhook *w, const char *kind, cJSON **claims)
{
    *claims = NULL;
    if (strcmp(kind, "none") == 0) return NULL;
    int64_t now = dm_clock_now(c->d.clock) / 1000;
    char org[DM_ID_MAX], hook[DM_ID_MAX];
    snprintf(org, sizeof org, "%s", w->org_id);
    snprintf(hook, sizeof hook, "%s", w->id);
    if (strcmp(kind, "wrong-issuer") == 0) other_id(w->org_id, org);
    if (strcmp(kind, "wrong-audience") == 0) other_id(w->id, hook);
    dm_jwt_claims cl = {org, hook, now, 0, now + 600};
    if (strcmp(kind, "expired") == 0) {
        cl.iat = now - 1200;
        cl.exp = now - 600;
    } else if (strcmp(kind, "not-yet-valid") == 0) {
        cl.iat = cl.nbf = now + 600;
        cl.exp = now + 1200;
    }
    dm_jwt_form form = strcmp(kind, "alg-none") == 0           ? DM_JWT_ALG_NONE
                       : strcmp(kind, "hs256-public-key") == 0 ? DM_JWT_HS256_PUBKEY
                       : strcmp(kind, "unknown-kid") == 0      ? DM_JWT_STRANGER
                                                               : DM_JWT_RS256;
    char *jwt = dm_jwt_make(c->d.jwt, form, &cl);
    if (jwt && strcmp(kind, "bad-signature") == 0) {
        size_t n = strlen(jwt);
        jwt[n - 2] = jwt[n - 2] == 'A' ? 'B' : 'A'; /* still base64url, no longer valid */
    }
    if (!jwt) return NULL;
    cJSON *o = cJSON_CreateObject();
    static const char *const algs[] = {"RS256", "none", "HS256", "RS256"};
    cJSON_AddStringToObject(o, "alg", algs[form]);
    if (form != DM_JWT_ALG_NONE) cJSON_AddStringToObject(o, "kid", dm_jwt_form_kid(c->d.jwt, form));
    char v[DM_ID_MAX + 16];
    snprintf(v, sizeof v, "orgId:%s", org);
    cJSON_AddStringToObject(o, "iss", v);
    snprintf(v, sizeof v, "webhookId:%s", hook);
    cJSON_AddStringToObject(o, "aud", v);
    cJSON_AddNumberToObject(o, "iat", (double)cl.iat);
    if (cl.nbf) cJSON_AddNumberToObject(o, "nbf", (double)cl.nbf);
    cJSON_AddNumberToObject(o, "exp", (double)cl.exp);
    *claims = o;
    return jwt;
}

/* {"webhookId", "events": [...] | "body": "raw text", "jwt": one of
 *  jwt_kinds, "query": {"securityContext": "...", "orgId": "..."}} */
void dm_h_deliveries_post(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_control *c = self;
    static const dm_field_spec fields[] = {
        {"webhookId", DM_F_ID, 0, 0, NULL},
        {"body", DM_F_STR, 0, DM_BODY_MAX, NULL},
        {"jwt", DM_F_ENUM, 0, 0, jwt_kinds},
        {"query", DM_F_OBJ, 0, 0, NULL},
    };
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    cJSON *events = cJSON_DetachItemFromObjectCaseSensitive(body, "events");
    dm_api_validate(body, fields, sizeof fields / sizeof fields[0], &e);
    dm_webhook *w = dm_hooks_find(c->d.hooks, dm_json_str(body, "webhookId"));
    if (!e.n && !w)
        dm_field_errs_add(&e, "/webhookId", dm_json_str(body, "webhookId") ? "invalid" : "missing",
                          "no such webhook");
    if (!events == !dm_json_str(body, "body"))
        dm_field_errs_add(&e, "/events", "missing", "give events (an array) or body (raw text)");
    if (events && !cJSON_IsArray(events))
        dm_field_errs_add(&e, "/events", "invalid", "expected an array");
    const cJSON *q;
    cJSON_ArrayForEach(q, cJSON_GetObjectItemCaseSensitive(body, "query"))
        if (!cJSON_IsString(q)) dm_field_errs_add(&e, "/query", "invalid", "values are strings");
    if (!e.n && !req->async)
        dm_field_errs_add(&e, "/webhookId", "invalid", "shaped deliveries need a running server");
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(events);
        cJSON_Delete(body);
        return;
    }
    shaped *s = dm_xcalloc(1, sizeof *s);
    s->c = c;
    snprintf(s->webhook_id, sizeof s->webhook_id, "%s", w->id);
    const char *kind = dm_json_str(body, "jwt") ? dm_json_str(body, "jwt") : "valid";
    if (events && strcmp(kind, "wrong-issuer") == 0) {
        /* a token another org's webhook got comes with that org's events:
         * a receiver that takes the org from the body must still refuse */
        char other[DM_ID_MAX];
        other_id(w->org_id, other);
        cJSON *ev;
        cJSON_ArrayForEach(ev, events) {
            const char *org = dm_json_str(ev, "orgId");
            if (org && strcmp(org, w->org_id) == 0) dm_json_set_str(ev, "orgId", other);
        }
    }
    if (events) {
        char *t = dm_json_print(events);
        dm_buf_puts(&s->body, t);
        free(t);
    } else {
        dm_buf_puts(&s->body, dm_json_str(body, "body"));
    }
    s->url = dm_xstrdup(dm_webhook_url(w));
    cJSON_ArrayForEach(q, cJSON_GetObjectItemCaseSensitive(body, "query")) {
        char *u = with_param(s->url, q->string, q->valuestring);
        free(s->url);
        s->url = u;
    }
    cJSON *claims = NULL;
    char *jwt = forge_jwt(c, w, kind, &claims);
    if (jwt) {
        dm_buf h = {0};
        dm_buf_printf(&h, "X-ZDesk-JWT: %s", jwt);
        s->jwt_header = dm_buf_steal(&h);
    }
    free(jwt);

    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "webhookId", w->id);
    cJSON_AddStringToObject(f, "url", s->url);
    cJSON_AddStringToObject(f, "jwt", kind);
    if (claims) cJSON_AddItemToObject(f, "claims", claims);
    cJSON_AddNumberToObject(f, "bytes", (double)s->body.len);
    s->seq = dm_journal_add(c->d.journal, "forged", call->origin.cause, f);
    w->active_event = s->seq;

    char owner[64];
    dm_owner(owner, sizeof owner, "webhook", w->id);
    snprintf(s->what, sizeof s->what, "the receiver's answer to a shaped delivery to webhook %s",
             w->id);
    dm_park(&s->p, c->d.waits, c->d.journal, call, req, resp, s->what, owner,
            DM_END_RESET | DM_END_OWNER, shaped_ended, s);
    const char *headers[] = {"Content-Type: application/json", "User-Agent: deskmock",
                             s->jwt_header, NULL};
    dm_out_req post = {"POST",      s->url,
                       headers,     s->body.data ? s->body.data : "",
                       s->body.len, dm_delivery_get_opts(c->d.delivery)->timeout_ms,
                       4096};
    s->out = dm_out_send(c->d.out, &post, shaped_done, s);
    cJSON_Delete(events);
    cJSON_Delete(body);
}
