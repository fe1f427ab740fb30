/* invoke.c -- the invoke API. Order of checks (each a distinct error, see
 * README "Invoke"): form body, orgId, required fields, requestType, the
 * securityContext (unknown / revoked / other org), HASH. Then the target:
 * Desk URLs run through the Desk routes as the extension, synchronously;
 * stubs and passthrough answer later when they have a delay or go to the
 * network (the connection is suspended; the loop keeps running). */
#include "invoke/invoke.h"
#include "http/park.h"
#include "net/addr.h"
#include "desk/api.h"
#include "hooks/hooks.h"
#include "ext/install.h"
#include "util/json.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PASSTHROUGH_TIMEOUT_MS 10000

typedef struct stub {
    uint64_t id;
    char *method; /* NULL = any */
    char *url;    /* exact, or NULL */
    char *prefix; /* prefix, or NULL */
    int status;
    cJSON *body; /* any JSON; a string is sent as text */
    int64_t delay_ms;
    unsigned hits;
} stub;

/* An injected failure: of invoke calls (to a URL prefix, or every Desk URL),
 * or of the REST calls a receiver makes itself (rest: to a path prefix). */
typedef struct fault {
    char *prefix; /* NULL with desk set: every Desk URL; rest: a path prefix or NULL */
    int desk;
    int rest;
    char *method; /* rest: only this method; NULL: any */
    int64_t latency_ms;
    int status; /* 0 = none */
    int retry_after;
    int remaining;    /* 0 = unlimited */
    int64_t until_ms; /* a rate limit in force (dm_mono_ms): every call it
                       * matches is refused 429 until then; 0 = a rule */
} fault;

/* A 429 with Retry-After means the limit is spent: Desk refuses every call
 * until that time has passed. Calls that come sooner (less this grace, for
 * timers that fire a hair early) meet the limit, not the rule that set it. */
#define RATE_LIMIT_GRACE_MS 100

struct dm_invoke {
    dm_installs *installs;
    dm_hooks *hooks;
    dm_journal *journal;
    dm_loop *loop;
    dm_outbound *out;
    dm_waits *waits;
    dm_invoke_desk_fn desk_call;
    void *desk_ud;
    dm_invoke_opts opts;
    char *own_url; /* the mock's base URL: Desk URLs on it are served from state */
    dm_vec stubs;  /* stub *, first match wins */
    dm_vec faults; /* fault *, first match wins */
    fault spent;   /* a counted fault's last use, answered once more after removal */
    uint64_t next_stub_id;
};

static void stub_free(stub *s);
static void faults_clear(dm_invoke *inv);

dm_invoke *dm_invoke_new(dm_installs *installs, dm_hooks *hooks, dm_journal *journal, dm_loop *loop,
                         dm_outbound *out, dm_waits *waits, dm_invoke_desk_fn desk_call,
                         void *desk_ud)
{
    dm_invoke *inv = dm_xcalloc(1, sizeof *inv);
    inv->installs = installs;
    inv->hooks = hooks;
    inv->journal = journal;
    inv->loop = loop;
    inv->out = out;
    inv->waits = waits;
    inv->desk_call = desk_call;
    inv->desk_ud = desk_ud;
    inv->own_url = dm_xstrdup("");
    return inv;
}

void dm_invoke_free(dm_invoke *inv)
{
    if (!inv) return;
    dm_invoke_clear(inv);
    dm_vec_free(&inv->stubs);
    dm_vec_free(&inv->faults);
    free(inv->own_url);
    free(inv);
}

void dm_invoke_set_url(dm_invoke *inv, const char *url)
{
    free(inv->own_url);
    inv->own_url = dm_xstrdup(url ? url : "");
}

void dm_invoke_set_opts(dm_invoke *inv, const dm_invoke_opts *opts)
{
    inv->opts = *opts;
}

const dm_invoke_opts *dm_invoke_get_opts(const dm_invoke *inv)
{
    return &inv->opts;
}

/* ==== HASH ==== */

char *dm_invoke_hash_input(const dm_kvs *form, int query_mode)
{
    static const char *const order[] = {"requestURL", "requestType", "postBody", "headers",
                                        "connectionLinkName"};
    dm_buf b = {0};
    int n = 0;
    for (size_t i = 0; i < 5; i++) {
        if (i == 4 && query_mode == DM_HASH_Q_BEFORE_LINK && dm_kvs_get(form, "queryParams"))
            dm_buf_printf(&b, "%squeryParams=%s", n++ ? "&" : "", dm_kvs_get(form, "queryParams"));
        const char *v = dm_kvs_get(form, order[i]);
        if (!v) continue;
        dm_buf_printf(&b, "%s%s=%s", n++ ? "&" : "", order[i], v);
    }
    if (query_mode == DM_HASH_Q_END && dm_kvs_get(form, "queryParams"))
        dm_buf_printf(&b, "%squeryParams=%s", n++ ? "&" : "", dm_kvs_get(form, "queryParams"));
    return dm_buf_steal(&b);
}

int dm_invoke_hmac(const char *key, const char *data, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    out[0] = '\0';
    if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)data, len, mac,
              &maclen) ||
        maclen != 32)
        return -1;
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[64] = '\0';
    return 0;
}

/* ==== Answers ==== */

/* 200 {"response": "<JSON text of {statusMessage, statusCode}>"}; the target's
 * body becomes statusMessage as JSON when it parses, else as a string. */
static void answer(dm_resp *resp, long status, const char *body, size_t len)
{
    cJSON *inner = cJSON_CreateObject();
    cJSON *parsed = NULL;
    if (len && dm_json_parse(body, len, &parsed, NULL, 0) == 0)
        cJSON_AddItemToObject(inner, "statusMessage", parsed);
    else
        cJSON_AddItemToObject(inner, "statusMessage", cJSON_CreateString(len ? body : ""));
    cJSON_AddNumberToObject(inner, "statusCode", (double)status);
    char *text = dm_json_print(inner);
    cJSON_Delete(inner);
    cJSON *outer = cJSON_CreateObject();
    cJSON_AddStringToObject(outer, "response", text);
    free(text);
    dm_resp_json(resp, 200, outer);
    cJSON_Delete(outer);
}

/* ==== Targets ==== */

static const char *const dcs[] = {"com", "eu", "in", "com.au", "jp", "ca", "sa", "uk", "com.cn"};

/* The /api/v1/... path when url is a Desk URL (the mock's own, or
 * desk.zoho.<dc> for any data centre), else NULL. */
static const char *desk_path(const dm_invoke *inv, const char *url)
{
    size_t n = strlen(inv->own_url);
    if (n && strncmp(url, inv->own_url, n) == 0 && strncmp(url + n, "/api/v1", 7) == 0)
        return url + n;
    for (size_t i = 0; i < sizeof dcs / sizeof dcs[0]; i++) {
        char base[64];
        snprintf(base, sizeof base, "https://desk.zoho.%s/api/v1", dcs[i]);
        size_t k = strlen(base);
        if (strncmp(url, base, k) == 0 && (url[k] == '/' || url[k] == '?' || url[k] == '\0'))
            return url + k - 7;
    }
    return NULL;
}

/* Adds queryParams (JSON object text, or a=b&c=d) to kvs. */
static int add_query(const char *qp, dm_kvs *kvs)
{
    if (!qp || !*qp) return 0;
    if (qp[0] != '{') return dm_form_parse(qp, strlen(qp), kvs);
    cJSON *o = NULL;
    if (dm_json_parse(qp, strlen(qp), &o, NULL, 0) || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return -1;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, o) {
        if (cJSON_IsString(v)) {
            dm_kvs_add(kvs, v->string, v->valuestring);
        } else {
            char *s = dm_json_print(v);
            dm_kvs_add(kvs, v->string, s);
            free(s);
        }
    }
    cJSON_Delete(o);
    return 0;
}

/* Adds the headers JSON (object of strings) to kvs; -1 when malformed. */
static int add_headers(const char *hj, dm_kvs *kvs)
{
    if (!hj || !*hj) return 0;
    cJSON *o = NULL;
    if (dm_json_parse(hj, strlen(hj), &o, NULL, 0) || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return -1;
    }
    const cJSON *v;
    int rc = 0;
    cJSON_ArrayForEach(v, o) {
        if (!cJSON_IsString(v) && !cJSON_IsNumber(v))
            rc = -1;
        else if (cJSON_IsString(v))
            dm_kvs_add(kvs, v->string, v->valuestring);
        else {
            char num[64];
            snprintf(num, sizeof num, "%g", v->valuedouble);
            dm_kvs_add(kvs, v->string, num);
        }
    }
    cJSON_Delete(o);
    return rc;
}

/* A Desk URL, served from state as the extension: its token and org, the
 * given headers, the call's writes caused by the invoke record cause and
 * carrying sid (the sourceId header), if any. */
static void call_desk(dm_invoke *inv, const dm_installation *x, const char *method,
                      const char *path, const char *body, const dm_kvs *headers, const char *qp,
                      uint64_t cause, const char *sid, dm_resp *inner)
{
    dm_req r = {0};
    char *p = dm_xstrdup(path);
    char *q = strchr(p, '?');
    if (q) {
        *q++ = '\0';
        dm_form_parse(q, strlen(q), &r.query);
    }
    add_query(qp, &r.query);
    for (size_t i = 0; i < headers->n; i++) {
        const char *k = headers->items[i].key;
        if (strcasecmp(k, "Authorization") && strcasecmp(k, "orgId"))
            dm_kvs_add(&r.headers, k, headers->items[i].value);
    }
    char auth[160];
    snprintf(auth, sizeof auth, "Zoho-oauthtoken %s", x->token);
    dm_kvs_add(&r.headers, "Authorization", auth);
    dm_kvs_add(&r.headers, "orgId", dm_json_str(dm_hooks_store(inv->hooks)->org, "id"));
    if (body && *body && !dm_kvs_get(&r.headers, "Content-Type"))
        dm_kvs_add(&r.headers, "Content-Type", "application/json");
    r.method = method;
    r.path = p;
    r.body = body ? body : "";
    r.body_len = body ? strlen(body) : 0;
    r.remote = "invoke";
    dm_origin origin = {cause, sid, 0, NULL};
    inv->desk_call(inv->desk_ud, &r, &origin, inner);
    dm_kvs_free(&r.query);
    dm_kvs_free(&r.headers);
    free(p);
}

static const stub *find_stub(dm_invoke *inv, const char *method, const char *url)
{
    for (size_t i = 0; i < inv->stubs.n; i++) {
        stub *s = inv->stubs.items[i];
        if (s->method && strcasecmp(s->method, method) != 0) continue;
        if (s->url && strcmp(s->url, url) != 0) continue;
        if (s->prefix && strncmp(s->prefix, url, strlen(s->prefix)) != 0) continue;
        s->hits++;
        return s;
    }
    return NULL;
}

static void fault_free(fault *f)
{
    free(f->prefix);
    free(f->method);
    free(f);
}

static int same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* After a 429 with Retry-After: the limit that refuses what that rule
 * matches until the time has passed (one per rule's matcher). */
static void limit_until(dm_invoke *inv, const fault *ft)
{
    if (ft->status != 429 || ft->retry_after <= 0 || ft->until_ms) return;
    int64_t until = dm_mono_ms() + (int64_t)ft->retry_after * 1000 - RATE_LIMIT_GRACE_MS;
    for (size_t i = 0; i < inv->faults.n; i++) {
        fault *f = inv->faults.items[i];
        if (f->until_ms && f->rest == ft->rest && f->desk == ft->desk &&
            same(f->prefix, ft->prefix) && same(f->method, ft->method)) {
            f->until_ms = until;
            return;
        }
    }
    fault *f = dm_xcalloc(1, sizeof *f);
    *f = *ft;
    f->prefix = ft->prefix ? dm_xstrdup(ft->prefix) : NULL;
    f->method = ft->method ? dm_xstrdup(ft->method) : NULL;
    f->latency_ms = 0;
    f->remaining = 0;
    f->until_ms = until;
    dm_vec_push(&inv->faults, f);
}

/* A limit still in force answers with the seconds left; one that has run
 * out is forgotten. Returns the fault to answer with, or NULL to go on. */
static fault *in_force(dm_invoke *inv, fault *f, size_t *i)
{
    int64_t left = f->until_ms - dm_mono_ms();
    if (left > 0) {
        f->retry_after = (int)((left + RATE_LIMIT_GRACE_MS + 999) / 1000);
        return f;
    }
    dm_vec_remove(&inv->faults, f);
    fault_free(f);
    --*i;
    return NULL;
}

/* Journals how early a call came that met a limit still in force. */
static void note_limit(const fault *ft, cJSON *rec)
{
    if (ft->until_ms)
        cJSON_AddNumberToObject(rec, "retryAfterLeftMs",
                                (double)(ft->until_ms + RATE_LIMIT_GRACE_MS - dm_mono_ms()));
}

/* Counts one use of f; returns what to answer with. */
static fault *use_fault(dm_invoke *inv, fault *f)
{
    limit_until(inv, f);
    if (f->remaining > 0 && --f->remaining == 0) {
        /* used up: answer with it once more, then forget it */
        inv->spent = *f;
        inv->spent.prefix = inv->spent.method = NULL;
        dm_vec_remove(&inv->faults, f);
        fault_free(f);
        return &inv->spent;
    }
    return f;
}

/* Desk's error envelope for an injected status, with Retry-After when set. */
static void fault_answer(const fault *ft, dm_resp *inner, dm_resp *outer)
{
    char body[200];
    snprintf(body, sizeof body, "{\"errorCode\":\"%s\",\"message\":\"injected by deskmock\"}",
             ft->status == 429 ? "TOO_MANY_REQUESTS" : "INTERNAL_SERVER_ERROR");
    dm_resp_raw(inner, ft->status, body, strlen(body));
    if (ft->retry_after) {
        char ra[32];
        snprintf(ra, sizeof ra, "%d", ft->retry_after);
        dm_resp_header(outer, "Retry-After", ra);
    }
}

static fault *find_fault(dm_invoke *inv, const char *url, int is_desk)
{
    for (size_t i = 0; i < inv->faults.n; i++) {
        fault *f = inv->faults.items[i];
        int hit = !f->rest && ((f->desk && is_desk) ||
                               (f->prefix && strncmp(f->prefix, url, strlen(f->prefix)) == 0));
        if (!hit) continue;
        if (f->until_ms) {
            if ((f = in_force(inv, f, &i))) return f;
            continue;
        }
        return use_fault(inv, f);
    }
    return NULL;
}

/* ==== Deferred answers (delays, passthrough) ==== */

typedef struct later {
    dm_parked p;
    dm_invoke *inv;
    uint64_t invoke_seq;
    long status;
    dm_buf body;
    uint64_t timer, out;
    char what[400];
    char **headers; /* "Name: value", NULL-terminated (passthrough) */
    char *post;
    int forward; /* passthrough: go to the network after the delay */
    char *url, *method;
} later;

static void later_free(later *l)
{
    dm_buf_free(&l->body);
    for (char **h = l->headers; h && *h; h++)
        free(*h);
    free(l->headers);
    free(l->post);
    free(l->url);
    free(l->method);
    free(l);
}

static void later_finish(later *l)
{
    dm_resp resp;
    dm_resp_init(&resp);
    answer(&resp, l->status, l->body.data ? l->body.data : "", l->body.len);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "invoke", (double)l->invoke_seq);
    cJSON_AddNumberToObject(f, "statusCode", (double)l->status);
    dm_journal_add(l->inv->journal, "invoke-result", l->invoke_seq, f);
    dm_park_finish(&l->p, &resp);
    later_free(l);
}

/* A reset, shutdown or uninstall came first: the call is not made or its
 * answer is not awaited, and the extension hears why. */
static void later_ended(void *ud, dm_wait_end how, const char *why)
{
    later *l = ud;
    (void)how;
    if (l->timer) dm_loop_cancel(l->inv->loop, l->timer);
    if (l->out) dm_out_cancel(l->inv->out, l->out);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "invoke", (double)l->invoke_seq);
    cJSON_AddNullToObject(f, "statusCode");
    cJSON_AddStringToObject(f, "error", why);
    dm_journal_add(l->inv->journal, "invoke-result", l->invoke_seq, f);
    dm_park_cancel(&l->p, why, l->what);
    later_free(l);
}

static void forwarded(void *ud, const dm_out_res *r)
{
    later *l = ud;
    l->out = 0;
    dm_buf_reset(&l->body);
    if (r->status) {
        dm_buf_append(&l->body, r->body, r->body_len);
        l->status = r->status;
    } else {
        dm_buf_printf(&l->body, "{\"errorCode\":\"PASSTHROUGH_FAILED\",\"message\":");
        dm_buf_json_str(&l->body, r->error ? r->error : "no answer");
        dm_buf_putc(&l->body, '}');
        l->status = 502;
    }
    later_finish(l);
}

static void forward(later *l)
{
    dm_out_req r = {l->method,
                    l->url,
                    (const char *const *)l->headers,
                    l->post,
                    l->post ? strlen(l->post) : 0,
                    PASSTHROUGH_TIMEOUT_MS,
                    DM_BODY_MAX};
    l->out = dm_out_send(l->inv->out, &r, forwarded, l);
}

static void later_due(void *ud)
{
    later *l = ud;
    l->timer = 0;
    if (l->forward)
        forward(l);
    else
        later_finish(l);
}

/* ==== The handler ==== */

static const char *const request_types[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

/* The event this call answers: the one being delivered to the installation's
 * webhook, or the last one delivered within the cause window; else 0. */
static uint64_t prompting_event(const dm_invoke *inv, const dm_installation *x)
{
    const dm_webhook *w = dm_hooks_find(inv->hooks, x->webhook_id);
    if (!w) return 0;
    if (w->active_event) return w->active_event;
    /* 0 means the default; a window of 0 ms was given as -1 */
    int64_t window = inv->opts.cause_window_ms ? inv->opts.cause_window_ms : 5000;
    if (window < 0) window = 0;
    if (w->last_event && dm_mono_ms() - w->last_done_ms <= window) return w->last_event;
    return 0;
}

/* One invoke call on its way through the steps below. */
typedef struct invocation {
    dm_kvs form, headers;
    const char *type;      /* requestType */
    dm_installation *x;    /* whose securityContext it carries */
    char *url;             /* requestURL, {{installationId}} filled in */
    const char *path;      /* the /api/v1 path when url is Desk's, else NULL */
    const char *post, *qp; /* postBody, queryParams */
    const char *sid;       /* the sourceId header among headers */
    uint64_t seq, cause;   /* the invoke record, and what caused the call */
    cJSON *rec;            /* the invoke record's fields, until journaled */
} invocation;

static void invocation_free(invocation *iv)
{
    dm_kvs_free(&iv->form);
    dm_kvs_free(&iv->headers);
    free(iv->url);
    cJSON_Delete(iv->rec);
}

/* Step 1: the form and its required fields. 0, or -1 with the error in resp. */
static int parse(dm_req *req, invocation *iv, dm_resp *resp)
{
    const char *ct = dm_kvs_get(&req->headers, "Content-Type");
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        dm_resp_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE",
                      "invoke takes a form: Content-Type application/x-www-form-urlencoded", NULL);
        return -1;
    }
    if (dm_form_parse(req->body, req->body_len, &iv->form)) {
        dm_resp_error(resp, 400, "INVALID_DATA", "The form body has a bad %-escape or a NUL byte.",
                      NULL);
        return -1;
    }
    const char *org = dm_kvs_get(&req->query, "orgId");
    dm_field_errs e = {0};
    if (!org || !*org)
        dm_field_errs_add(&e, "orgId", "missing", "the orgId query parameter is required");
    static const char *const required[] = {"securityContext", "requestURL", "requestType"};
    for (size_t i = 0; i < 3; i++)
        if (!dm_kvs_get(&iv->form, required[i]) || !*dm_kvs_get(&iv->form, required[i]))
            dm_field_errs_add(&e, required[i], "missing", "is required");
    if (e.n) {
        dm_resp_error(resp, 422, "INVALID_DATA", "A required invoke parameter is missing.", &e);
        return -1;
    }
    iv->type = dm_kvs_get(&iv->form, "requestType");
    int known = 0;
    for (size_t i = 0; i < 5; i++)
        known |= strcmp(iv->type, request_types[i]) == 0;
    if (!known) {
        dm_field_errs_add(&e, "requestType", "invalid", "expected GET, POST, PUT, PATCH or DELETE");
        dm_resp_error(resp, 422, "UNSUPPORTED_REQUEST_TYPE", "Unsupported requestType.", &e);
        return -1;
    }
    return 0;
}

/* Step 2: whose call it is (securityContext, orgId) and whether it is really
 * theirs (HASH). 0, or -1 with the error in resp. */
static int authenticate(dm_invoke *inv, dm_req *req, invocation *iv, dm_resp *resp)
{
    const char *ctx = dm_kvs_get(&iv->form, "securityContext");
    iv->x = dm_installation_by_context(inv->installs, ctx);
    if (!iv->x) {
        if (dm_installation_revoked(inv->installs, ctx))
            dm_resp_error(resp, 401, "SECURITY_CONTEXT_REVOKED",
                          "This securityContext belonged to an extension that was uninstalled.",
                          NULL);
        else
            dm_resp_error(resp, 401, "INVALID_SECURITY_CONTEXT",
                          "No installed extension has this securityContext.", NULL);
        return -1;
    }
    const char *org = dm_kvs_get(&req->query, "orgId");
    if (strcmp(org, dm_json_str(dm_hooks_store(inv->hooks)->org, "id")) != 0) {
        dm_resp_error(resp, 403, "OAUTH_ORG_MISMATCH",
                      "The securityContext does not belong to the organization in orgId.", NULL);
        return -1;
    }
    if (!iv->x->secret) {
        dm_resp_error(resp, 401, "INVALID_HASH",
                      "The extension's manifest has no secret, so no HASH can match.", NULL);
        return -1;
    }
    char *hashed = dm_invoke_hash_input(&iv->form, inv->opts.hash_query);
    char want[65];
    int rc = dm_invoke_hmac(iv->x->secret, hashed, strlen(hashed), want);
    if (rc != 0) {
        free(hashed);
        dm_resp_error(resp, 500, "INTERNAL_SERVER_ERROR", "HMAC-SHA256 is not available", NULL);
        return -1;
    }
    const char *given = dm_kvs_get(&req->headers, "HASH");
    if (!given || strlen(given) != 64 || CRYPTO_memcmp(given, want, 64) != 0) {
        dm_resp_error(resp, 401, "INVALID_HASH",
                      given ? "The HASH header does not match: expected lowercase hex "
                              "HMAC-SHA256 of the request fields with the manifest secret."
                            : "The HASH header is missing.",
                      NULL);
        /* for the journal: the exact text the HASH had to cover */
        dm_buf_puts(&resp->journal_note, ",\"hashInput\":");
        dm_buf_json_str(&resp->journal_note, hashed);
        free(hashed);
        return -1;
    }
    free(hashed);
    if (add_headers(dm_kvs_get(&iv->form, "headers"), &iv->headers)) {
        dm_field_errs e = {0};
        dm_field_errs_add(&e, "headers", "invalid", "expected a JSON object of strings");
        dm_resp_error(resp, 422, "INVALID_DATA", "Invalid invoke parameter.", &e);
        return -1;
    }
    return 0;
}

/* Step 3: the target URL ({{installationId}} is Desk's to fill in) and the
 * invoke record; what the call writes is caused by it. */
static void prepare(dm_invoke *inv, const dm_call *call, invocation *iv)
{
    dm_buf u = {0};
    for (const char *p = dm_kvs_get(&iv->form, "requestURL"); *p;) {
        static const char tag[] = "{{installationId}}";
        if (strncmp(p, tag, sizeof tag - 1) == 0) {
            dm_buf_puts(&u, iv->x->id);
            p += sizeof tag - 1;
        } else {
            dm_buf_putc(&u, *p++);
        }
    }
    iv->url = dm_buf_steal(&u);
    iv->post = dm_kvs_get(&iv->form, "postBody");
    iv->qp = dm_kvs_get(&iv->form, "queryParams");
    iv->path = desk_path(inv, iv->url);
    iv->sid = dm_kvs_get(&iv->headers, "sourceId");

    uint64_t event = prompting_event(inv, iv->x);
    iv->cause = event ? event : call->origin.cause;
    iv->seq = dm_journal_reserve(inv->journal);
    cJSON *f = iv->rec = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "request", (double)call->origin.cause);
    cJSON_AddStringToObject(f, "installationId", iv->x->id);
    if (iv->x->webhook_id[0]) cJSON_AddStringToObject(f, "webhookId", iv->x->webhook_id);
    cJSON_AddStringToObject(f, "requestURL", iv->url);
    cJSON_AddStringToObject(f, "requestType", iv->type);
    dm_json_set_str(f, "sourceId", iv->sid);
    if (iv->post) {
        char *cut = dm_xstrndup(iv->post, strlen(iv->post) > 4096 ? 4096 : strlen(iv->post));
        cJSON_AddStringToObject(f, "postBody", cut);
        free(cut);
    }
    if (event) cJSON_AddNumberToObject(f, "event", (double)event);
}

/* Journals the invoke record with its statusCode (-1: not known yet). */
static void journal_invoke(dm_invoke *inv, invocation *iv, long status)
{
    if (status >= 0)
        cJSON_AddNumberToObject(iv->rec, "statusCode", (double)status);
    else
        cJSON_AddNullToObject(iv->rec, "statusCode");
    dm_journal_add_at(inv->journal, iv->seq, "invoke", iv->cause, iv->rec);
    iv->rec = NULL;
}

/* A passthrough call, forwarded after delay. */
static later *passthrough(const invocation *iv)
{
    later *l = dm_xcalloc(1, sizeof *l);
    l->forward = 1;
    l->url = dm_xstrdup(iv->url);
    l->method = dm_xstrdup(iv->type);
    l->post = iv->post ? dm_xstrdup(iv->post) : NULL;
    l->headers = dm_xcalloc(iv->headers.n + 1, sizeof *l->headers);
    for (size_t i = 0; i < iv->headers.n; i++) {
        dm_buf h = {0};
        dm_buf_printf(&h, "%s: %s", iv->headers.items[i].key, iv->headers.items[i].value);
        l->headers[i] = dm_buf_steal(&h);
    }
    return l;
}

/* 502 NO_INVOKE_STUB, saying how to register one. */
static void no_target(dm_invoke *inv, invocation *iv, dm_resp *resp)
{
    char msg[700];
    if (inv->opts.passthrough)
        snprintf(msg, sizeof msg,
                 "No invoke stub matches %s %.300s, and passthrough only reaches 127.0.0.1, "
                 "localhost or [::1]. Register a stub: POST /mock/v1/invoke-stubs "
                 "{\"method\":\"%s\",\"url\":\"...\",\"status\":200,\"body\":{}}.",
                 iv->type, iv->url, iv->type);
    else
        snprintf(msg, sizeof msg,
                 "No invoke stub matches %s %.300s. Register one: POST /mock/v1/invoke-stubs "
                 "{\"method\":\"%s\",\"url\":\"...\",\"status\":200,\"body\":{}} "
                 "(or urlPrefix), or start the mock with --invoke-passthrough for "
                 "loopback URLs.",
                 iv->type, iv->url, iv->type);
    cJSON_AddStringToObject(iv->rec, "target", "none");
    journal_invoke(inv, iv, 502);
    dm_resp_error(resp, 502, "NO_INVOKE_STUB", msg, NULL);
}

/* Step 4: the target answers (an injected fault, Desk's own state, a stub,
 * or a forwarded call), now or later. */
static void route(dm_invoke *inv, dm_call *call, dm_req *req, invocation *iv, dm_resp *resp)
{
    fault *ft = find_fault(inv, iv->url, iv->path != NULL);
    dm_resp inner;
    dm_resp_init(&inner);
    later *l = NULL;
    int64_t delay = ft ? ft->latency_ms : 0;
    if (ft && ft->status) {
        cJSON_AddStringToObject(iv->rec, "target", "fault");
        note_limit(ft, iv->rec);
        fault_answer(ft, &inner, resp);
    } else if (iv->path) {
        cJSON_AddStringToObject(iv->rec, "target", "desk");
        call_desk(inv, iv->x, iv->type, iv->path, iv->post, &iv->headers, iv->qp, iv->seq, iv->sid,
                  &inner);
    } else {
        const stub *s = find_stub(inv, iv->type, iv->url);
        if (s) {
            delay += s->delay_ms;
            cJSON_AddStringToObject(iv->rec, "target", "stub");
            cJSON_AddNumberToObject(iv->rec, "stubId", (double)s->id);
            char *b = cJSON_IsString(s->body) ? dm_xstrdup(s->body->valuestring)
                      : s->body               ? dm_json_print(s->body)
                                              : dm_xstrdup("");
            dm_resp_raw(&inner, s->status, b, strlen(b));
            free(b);
        } else if (inv->opts.passthrough && dm_url_is_loopback(iv->url)) {
            cJSON_AddStringToObject(iv->rec, "target", "passthrough");
            l = passthrough(iv);
        } else {
            no_target(inv, iv, resp);
            dm_resp_free(&inner);
            return;
        }
    }
    if (inner.wrong_resource[0])
        cJSON_AddItemToObject(iv->rec, "wrongResource", cJSON_Parse(inner.wrong_resource));
    if (!l && delay <= 0) {
        journal_invoke(inv, iv, inner.status);
        answer(resp, inner.status, inner.body.data ? inner.body.data : "", inner.body.len);
        dm_resp_free(&inner);
        return;
    }
    /* later: after a delay, or from the network */
    if (!l) {
        l = dm_xcalloc(1, sizeof *l);
        l->status = inner.status;
        dm_buf_append(&l->body, inner.body.data ? inner.body.data : "", inner.body.len);
    }
    dm_resp_free(&inner);
    l->inv = inv;
    l->invoke_seq = iv->seq;
    journal_invoke(inv, iv, -1);
    if (!req->async) {
        /* no transport to wait on: answer now, without the network */
        if (l->forward) {
            l->status = 502;
            dm_buf_puts(&l->body,
                        "{\"errorCode\":\"PASSTHROUGH_FAILED\",\"message\":\"no transport\"}");
        }
        answer(resp, l->status, l->body.data ? l->body.data : "", l->body.len);
        later_free(l);
        return;
    }
    char owner[64];
    dm_owner(owner, sizeof owner, "installation", iv->x->id);
    snprintf(l->what, sizeof l->what, "the answer to invoke %s %.300s", iv->type, iv->url);
    dm_park(&l->p, inv->waits, inv->journal, call, req, resp, l->what, owner,
            DM_END_RESET | DM_END_OWNER, later_ended, l);
    l->timer = dm_loop_after(inv->loop, delay, 0, later_due, l);
}

/* POST /api/v1/invoke: parse, authenticate, prepare, route. */
static void h_invoke(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_invoke *inv = self;
    invocation iv = {0};
    if (parse(req, &iv, resp) == 0) {
        if (authenticate(inv, req, &iv, resp) == 0) {
            prepare(inv, call, &iv);
            route(inv, call, req, &iv, resp);
        } else {
            /* a refused call's record says what it asked for */
            dm_buf_puts(&resp->journal_note, ",\"requestURL\":");
            const char *url = dm_kvs_get(&iv.form, "requestURL"),
                       *type = dm_kvs_get(&iv.form, "requestType");
            dm_buf_json_str(&resp->journal_note, url ? url : "");
            dm_buf_puts(&resp->journal_note, ",\"requestType\":");
            dm_buf_json_str(&resp->journal_note, type ? type : "");
        }
    }
    invocation_free(&iv);
}

/* ==== Stubs: /mock/v1/invoke-stubs ==== */

static cJSON *stub_json(const stub *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)s->id);
    dm_json_set_str(o, "method", s->method);
    if (s->url) cJSON_AddStringToObject(o, "url", s->url);
    if (s->prefix) cJSON_AddStringToObject(o, "urlPrefix", s->prefix);
    cJSON_AddNumberToObject(o, "status", s->status);
    cJSON_AddItemToObject(o, "body", s->body ? cJSON_Duplicate(s->body, 1) : cJSON_CreateNull());
    cJSON_AddNumberToObject(o, "delayMs", (double)s->delay_ms);
    cJSON_AddNumberToObject(o, "hits", s->hits);
    return o;
}

static void stub_free(stub *s)
{
    free(s->method);
    free(s->url);
    free(s->prefix);
    cJSON_Delete(s->body);
    free(s);
}

static void h_stubs(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_invoke *inv = self;
    (void)call;
    (void)req;
    cJSON *o = cJSON_CreateObject();
    cJSON *data = cJSON_AddArrayToObject(o, "data");
    for (size_t i = 0; i < inv->stubs.n; i++)
        cJSON_AddItemToArray(data, stub_json(inv->stubs.items[i]));
    dm_resp_json(resp, 200, o);
    cJSON_Delete(o);
}

static void h_stub_create(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_invoke *inv = self;
    (void)call;
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};
    static const dm_field_spec fields[] = {
        {"method", DM_F_ENUM, 1, 0, methods},
        {"url", DM_F_STR, 0, 4096, NULL},
        {"urlPrefix", DM_F_STR, 0, 4096, NULL},
    };
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    cJSON *payload = cJSON_DetachItemFromObjectCaseSensitive(body, "body");
    cJSON *status = cJSON_DetachItemFromObjectCaseSensitive(body, "status");
    cJSON *delay = cJSON_DetachItemFromObjectCaseSensitive(body, "delayMs");
    dm_api_validate(body, fields, sizeof fields / sizeof fields[0], &e);
    const char *url = dm_json_str(body, "url"), *prefix = dm_json_str(body, "urlPrefix");
    if (!url == !prefix)
        dm_field_errs_add(&e, "/url", "missing", "give exactly one of url and urlPrefix");
    if (status &&
        (!cJSON_IsNumber(status) || status->valuedouble < 100 || status->valuedouble > 599))
        dm_field_errs_add(&e, "/status", "invalid", "expected an HTTP status from 100 to 599");
    if (delay && (!cJSON_IsNumber(delay) || delay->valuedouble < 0 || delay->valuedouble > 600000))
        dm_field_errs_add(&e, "/delayMs", "invalid", "expected 0 to 600000");
    if (e.n) {
        dm_api_invalid(resp, &e);
    } else {
        stub *s = dm_xcalloc(1, sizeof *s);
        s->id = ++inv->next_stub_id;
        const char *m = dm_json_str(body, "method");
        s->method = m ? dm_xstrdup(m) : NULL;
        s->url = url ? dm_xstrdup(url) : NULL;
        s->prefix = prefix ? dm_xstrdup(prefix) : NULL;
        s->status = status ? (int)status->valuedouble : 200;
        s->delay_ms = delay ? (int64_t)delay->valuedouble : 0;
        s->body = payload;
        payload = NULL;
        dm_vec_push(&inv->stubs, s);
        cJSON *o = stub_json(s);
        dm_resp_json(resp, 201, o);
        cJSON_Delete(o);
    }
    cJSON_Delete(payload);
    cJSON_Delete(status);
    cJSON_Delete(delay);
    cJSON_Delete(body);
}

static void h_stubs_clear(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_invoke *inv = self;
    (void)call;
    (void)req;
    for (size_t i = 0; i < inv->stubs.n; i++)
        stub_free(inv->stubs.items[i]);
    inv->stubs.n = 0;
    resp->status = 204;
}

static void h_stub_delete(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_invoke *inv = self;
    (void)call;
    for (size_t i = 0; i < inv->stubs.n; i++) {
        stub *s = inv->stubs.items[i];
        char id[32];
        snprintf(id, sizeof id, "%llu", (unsigned long long)s->id);
        if (strcmp(id, req->params[0]) != 0) continue;
        dm_vec_remove(&inv->stubs, s);
        stub_free(s);
        resp->status = 204;
        return;
    }
    dm_api_not_found(resp, "invoke stub", req->params[0]);
}

/* ==== Fault rules ==== */

/* Forgets the rules of one scope (rest or invoke), or all (scope -1). */
static void faults_drop(dm_invoke *inv, int scope)
{
    size_t kept = 0;
    for (size_t i = 0; i < inv->faults.n; i++) {
        fault *f = inv->faults.items[i];
        if (scope < 0 || f->rest == scope)
            fault_free(f);
        else
            inv->faults.items[kept++] = f;
    }
    inv->faults.n = kept;
}

static void faults_clear(dm_invoke *inv)
{
    faults_drop(inv, -1);
}

void dm_invoke_clear(dm_invoke *inv)
{
    for (size_t i = 0; i < inv->stubs.n; i++)
        stub_free(inv->stubs.items[i]);
    inv->stubs.n = 0;
    faults_clear(inv);
}

/* Checks one rule of an "invoke" (rest 0) or "rest" (rest 1) array. */
static void check_rule(const cJSON *r, int rest, const char *ptr, dm_field_errs *errs)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "status");
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(r, "latencyMs");
    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(r, "retryAfter");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(r, "count");
    int desk = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "desk"));
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "method");
    if (!cJSON_IsObject(r))
        dm_field_errs_add(errs, ptr, "invalid", "expected an object");
    else if (!rest && !desk && !dm_json_str(r, "urlPrefix"))
        dm_field_errs_add(errs, ptr, "missing", "give urlPrefix or \"desk\": true");
    else if (rest && (cJSON_GetObjectItemCaseSensitive(r, "urlPrefix") || lat))
        dm_field_errs_add(errs, ptr, "invalid",
                          "a rest rule takes pathPrefix, method, status, retryAfter and count");
    else if (rest && cJSON_GetObjectItemCaseSensitive(r, "pathPrefix") &&
             !dm_json_str(r, "pathPrefix"))
        dm_field_errs_add(errs, ptr, "invalid", "pathPrefix must be a string");
    else if (rest && m && !cJSON_IsString(m))
        dm_field_errs_add(errs, ptr, "invalid", "method must be a string");
    else if (st && (!cJSON_IsNumber(st) || !(st->valuedouble == 429 ||
                                             (st->valuedouble >= 500 && st->valuedouble <= 599))))
        dm_field_errs_add(errs, ptr, "invalid", "status must be 429 or 5xx");
    else if (lat && (!cJSON_IsNumber(lat) || lat->valuedouble < 0 || lat->valuedouble > 600000))
        dm_field_errs_add(errs, ptr, "invalid", "latencyMs must be 0 to 600000");
    else if (ra && (!cJSON_IsNumber(ra) || ra->valuedouble < 0 || ra->valuedouble > 86400))
        dm_field_errs_add(errs, ptr, "invalid", "retryAfter must be 0 to 86400 seconds");
    else if (n && (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > 1e7))
        dm_field_errs_add(errs, ptr, "invalid", "count must be 0 (no end) to 10000000");
    else if (rest ? !st : !st && !lat)
        dm_field_errs_add(errs, ptr, "missing",
                          rest ? "give status" : "give status, latencyMs or both");
}

static fault *make_rule(const cJSON *r, int rest)
{
    fault *f = dm_xcalloc(1, sizeof *f);
    const char *p = dm_json_str(r, rest ? "pathPrefix" : "urlPrefix");
    f->prefix = p ? dm_xstrdup(p) : NULL;
    f->rest = rest;
    f->desk = !rest && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "desk"));
    const char *m = dm_json_str(r, "method");
    f->method = m ? dm_xstrdup(m) : NULL;
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(r, "latencyMs")) && cJSON_IsNumber(v))
        f->latency_ms = (int64_t)v->valuedouble;
    if ((v = cJSON_GetObjectItemCaseSensitive(r, "status")) && cJSON_IsNumber(v))
        f->status = (int)v->valuedouble;
    if ((v = cJSON_GetObjectItemCaseSensitive(r, "retryAfter")) && cJSON_IsNumber(v))
        f->retry_after = (int)v->valuedouble;
    if ((v = cJSON_GetObjectItemCaseSensitive(r, "count")) && cJSON_IsNumber(v))
        f->remaining = (int)v->valuedouble;
    return f;
}

/* invoke: [{"urlPrefix": "https://api.example.com/" | "desk": true,
 *   "latencyMs": N, "status": 429|5xx, "retryAfter": S, "count": N}]
 * rest: [{"pathPrefix": "/api/v1/tickets", "method": "PATCH", "status":
 *   429|5xx, "retryAfter": S, "count": N}] */
void dm_invoke_set_faults(dm_invoke *inv, const cJSON *invoke, const cJSON *rest,
                          dm_field_errs *errs)
{
    size_t before = errs->n;
    const cJSON *arrays[2] = {invoke, rest};
    static const char *const names[2] = {"/invoke", "/rest"};
    for (int k = 0; k < 2; k++) {
        if (!arrays[k]) continue;
        if (!cJSON_IsArray(arrays[k])) {
            dm_field_errs_add(errs, names[k], "invalid", "expected an array of fault rules");
            continue;
        }
        int i = 0;
        const cJSON *r;
        cJSON_ArrayForEach(r, arrays[k]) {
            char ptr[96];
            snprintf(ptr, sizeof ptr, "%s/%d", names[k], i++);
            check_rule(r, k, ptr, errs);
        }
    }
    if (errs->n != before) return;
    for (int k = 0; k < 2; k++) {
        if (!arrays[k]) continue;
        faults_drop(inv, k);
        const cJSON *r;
        cJSON_ArrayForEach(r, arrays[k])
            dm_vec_push(&inv->faults, make_rule(r, k));
    }
}

cJSON *dm_invoke_faults_json(const dm_invoke *inv, int rest)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < inv->faults.n; i++) {
        const fault *f = inv->faults.items[i];
        if (f->rest != rest) continue;
        cJSON *o = cJSON_CreateObject();
        if (f->prefix) cJSON_AddStringToObject(o, rest ? "pathPrefix" : "urlPrefix", f->prefix);
        if (f->method) cJSON_AddStringToObject(o, "method", f->method);
        if (f->desk) cJSON_AddBoolToObject(o, "desk", 1);
        if (f->latency_ms) cJSON_AddNumberToObject(o, "latencyMs", (double)f->latency_ms);
        if (f->status) cJSON_AddNumberToObject(o, "status", f->status);
        if (f->retry_after) cJSON_AddNumberToObject(o, "retryAfter", f->retry_after);
        if (f->remaining) cJSON_AddNumberToObject(o, "count", f->remaining);
        if (f->until_ms) /* a limit a 429 set, not a rule that was given */
            cJSON_AddNumberToObject(o, "limitedForMs",
                                    (double)(f->until_ms + RATE_LIMIT_GRACE_MS - dm_mono_ms()));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

int dm_invoke_rest_fault(dm_invoke *inv, const char *method, const char *path, uint64_t cause,
                         dm_resp *resp)
{
    for (size_t i = 0; i < inv->faults.n; i++) {
        fault *f = inv->faults.items[i];
        if (!f->rest || (f->method && strcasecmp(f->method, method) != 0) ||
            (f->prefix && strncmp(f->prefix, path, strlen(f->prefix)) != 0))
            continue;
        const fault *ft = f->until_ms ? in_force(inv, f, &i) : use_fault(inv, f);
        if (!ft) continue;
        cJSON *rec = cJSON_CreateObject();
        char what[32];
        snprintf(what, sizeof what, "rest-%d", ft->status);
        cJSON_AddStringToObject(rec, "fault", what);
        cJSON_AddStringToObject(rec, "method", method);
        cJSON_AddStringToObject(rec, "path", path);
        if (ft->retry_after) cJSON_AddNumberToObject(rec, "retryAfter", ft->retry_after);
        note_limit(ft, rec);
        dm_journal_add(inv->journal, "fault", cause, rec);
        fault_answer(ft, resp, resp);
        return 1;
    }
    return 0;
}

const dm_route dm_invoke_desk_routes[] = {
    {"POST", "/api/v1/invoke", h_invoke, NULL, DM_ROUTE_NO_AUTH},
};
const size_t dm_invoke_desk_nroutes =
    sizeof dm_invoke_desk_routes / sizeof dm_invoke_desk_routes[0];

const dm_route dm_invoke_control_routes[] = {
    {"GET", "/mock/v1/invoke-stubs", h_stubs, NULL, 0},
    {"POST", "/mock/v1/invoke-stubs", h_stub_create, NULL, 0},
    {"DELETE", "/mock/v1/invoke-stubs", h_stubs_clear, NULL, 0},
    {"DELETE", "/mock/v1/invoke-stubs/{}", h_stub_delete, NULL, 0},
};
const size_t dm_invoke_control_nroutes =
    sizeof dm_invoke_control_routes / sizeof dm_invoke_control_routes[0];
