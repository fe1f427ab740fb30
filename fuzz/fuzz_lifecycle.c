/* fuzz_lifecycle.c -- sequences of control and REST calls against a listening
 * in-process mock, interleaved with loop passes, resets, deletes, uninstalls
 * and clients that go away: what parks (URL checks, installs, delayed invoke
 * answers, shaped deliveries, long-polls) meets what ends it. Each input is a
 * fresh mock; after the sequence it is shut down, and the target aborts when
 * a request was answered twice or never, or an event queued for a webhook
 * has no fate or two. Webhook URLs point at the mock itself, so URL checks
 * and deliveries really travel over loopback in the same loop.
 *
 * Input: one byte per step; the low 4 bits choose the operation, the high 4
 * an argument (which webhook, which installation, a delay). */
#include "fuzz_app.h"
#include "invoke/invoke.h"
#include "util/json.h"
#include "util/map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CALLS 64
#define TOKEN     "1000.admin0000000000000000000000000.admin000000000000000000000000000"
#define ORG       "60001280952"

extern const char dm_conformance_manifest[];
extern const char dm_conformance_resources[];

/* A client of the in-process mock: its dm_async, and what became of it. */
typedef struct client {
    dm_async a;
    int answered, gone, status;
} client;

typedef struct run {
    dm_app *app;
    client calls[MAX_CALLS];
    int ncalls;
    char hooks[8][DM_ID_MAX];
    int nhooks;
    char installs[4][DM_ID_MAX], contexts[4][80];
    int ninstalls;
} run;

static void complete(dm_async *a, dm_resp *resp)
{
    client *c = (client *)a;
    if (c->answered || c->gone) abort(); /* answered twice, or after the client left */
    c->answered = 1;
    c->status = resp->status;
    dm_resp_free(resp);
}

/* One request with a transport that can wait; returns its client, NULL when
 * there is no room for another. */
static client *call(run *r, const char *method, const char *path, const char *ctype,
                    const char *body, int auth)
{
    if (r->ncalls == MAX_CALLS) return NULL;
    client *c = &r->calls[r->ncalls++];
    memset(c, 0, sizeof *c);
    c->a.complete = complete;
    dm_req req = {0};
    req.method = method;
    char *p = dm_xstrdup(path);
    char *q = strchr(p, '?');
    if (q) {
        *q++ = '\0';
        dm_form_parse(q, strlen(q), &req.query);
    }
    req.path = p;
    if (auth) {
        dm_kvs_add(&req.headers, "Authorization", "Zoho-oauthtoken " TOKEN);
        dm_kvs_add(&req.headers, "orgId", ORG);
    }
    if (ctype) dm_kvs_add(&req.headers, "Content-Type", ctype);
    req.body = body ? body : "";
    req.body_len = body ? strlen(body) : 0;
    req.remote = "127.0.0.1";
    req.async = &c->a;
    dm_resp resp;
    dm_resp_init(&resp);
    dm_app_dispatch(r->app, &req, &resp);
    if (resp.deferred)
        dm_resp_free(&resp);
    else
        complete(&c->a, &resp);
    dm_kvs_free(&req.headers);
    dm_kvs_free(&req.query);
    free(p);
    return c;
}

static cJSON *answer_json(run *r, const char *method, const char *path, const char *body)
{
    /* a synchronous read: no transport, so nothing parks */
    dm_req req = {0};
    req.method = method;
    req.path = path;
    dm_kvs_add(&req.headers, "Authorization", "Zoho-oauthtoken " TOKEN);
    dm_kvs_add(&req.headers, "orgId", ORG);
    if (body) dm_kvs_add(&req.headers, "Content-Type", "application/json");
    req.body = body ? body : "";
    req.body_len = body ? strlen(body) : 0;
    dm_resp resp;
    dm_resp_init(&resp);
    dm_app_dispatch(r->app, &req, &resp);
    cJSON *o = NULL;
    if (resp.body.len) dm_json_parse(resp.body.data, resp.body.len, &o, NULL, 0);
    dm_resp_free(&resp);
    dm_kvs_free(&req.headers);
    return o;
}

/* Webhooks and installations that exist now (ids change with resets). */
static void refresh(run *r)
{
    r->nhooks = r->ninstalls = 0;
    cJSON *o = answer_json(r, "GET", "/api/v1/webhooks", NULL), *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "data"))
        if (r->nhooks < 8) snprintf(r->hooks[r->nhooks++], DM_ID_MAX, "%s", dm_json_str(x, "id"));
    cJSON_Delete(o);
    o = answer_json(r, "GET", "/mock/v1/installations", NULL);
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "data"))
        if (r->ninstalls < 4) {
            snprintf(r->installs[r->ninstalls], DM_ID_MAX, "%s", dm_json_str(x, "installationId"));
            snprintf(r->contexts[r->ninstalls++], 80, "%s", dm_json_str(x, "securityContext"));
        }
    cJSON_Delete(o);
}

/* A URL on the mock itself: health answers 200, an unknown path 404. */
static void self_url(run *r, int ok, char *out, size_t len)
{
    snprintf(out, len, "%s%s", dm_app_url(r->app), ok ? "/mock/v1/health" : "/nowhere");
}

static void step(run *r, uint8_t op)
{
    int arg = op >> 4;
    char url[256], body[2048], path[256];
    switch (op & 15) {
    case 0: /* create a webhook: parks on its URL check */
        self_url(r, arg & 1, url, sizeof url);
        snprintf(body, sizeof body,
                 "{\"name\":\"f\",\"url\":\"%s\",\"subscriptions\":{\"Ticket_Update\":{"
                 "\"includePrevState\":%s},"
                 "\"Ticket_Comment_Add\":null}}",
                 url, arg & 2 ? "true" : "false");
        call(r, "POST", "/api/v1/webhooks", "application/json", body, 1);
        break;
    case 1: /* change a webhook's URL: parks again */
        if (!r->nhooks) break;
        self_url(r, arg & 1, url, sizeof url);
        snprintf(path, sizeof path, "/api/v1/webhooks/%s", r->hooks[arg % r->nhooks]);
        snprintf(body, sizeof body, "{\"url\":\"%s?v=%d\"}", url, arg);
        call(r, "PATCH", path, "application/json", body, 1);
        break;
    case 2: /* delete a webhook */
        if (!r->nhooks) break;
        snprintf(path, sizeof path, "/api/v1/webhooks/%s", r->hooks[arg % r->nhooks]);
        call(r, "DELETE", path, NULL, NULL, 1);
        break;
    case 3: { /* install the conformance extension: parks on its URL check */
        self_url(r, !(arg & 1), url, sizeof url);
        cJSON *b = cJSON_CreateObject();
        cJSON *mf = cJSON_Parse(dm_conformance_manifest),
              *rs = cJSON_Parse(dm_conformance_resources);
        cJSON_AddItemToObject(b, "manifest", mf ? mf : cJSON_CreateObject());
        cJSON_AddItemToObject(b, "resources", rs ? rs : cJSON_CreateObject());
        cJSON_AddStringToObject(b, "webhookUrl", url);
        char *text = dm_json_print(b);
        cJSON_Delete(b);
        call(r, "POST", "/mock/v1/installations", "application/json", text, 0);
        free(text);
        break;
    }
    case 4: /* uninstall */
        if (!r->ninstalls) break;
        snprintf(path, sizeof path, "/mock/v1/installations/%s", r->installs[arg % r->ninstalls]);
        call(r, "DELETE", path, NULL, NULL, 0);
        break;
    case 5: { /* an invoke whose stub answers later */
        if (!r->ninstalls) break;
        snprintf(body, sizeof body,
                 "{\"method\":\"GET\",\"url\":\"https://api.example.com/"
                 "f\",\"status\":200,\"delayMs\":%d}",
                 (arg & 7) * 5);
        call(r, "POST", "/mock/v1/invoke-stubs", "application/json", body, 0);
        const char *ctx = r->contexts[arg % r->ninstalls];
        dm_kvs kv = {0};
        dm_kvs_add(&kv, "requestURL", "https://api.example.com/f");
        dm_kvs_add(&kv, "requestType", "GET");
        char *in = dm_invoke_hash_input(&kv, DM_HASH_Q_SKIP);
        char mac[65], hash[80];
        dm_invoke_hmac("conformance-secret-0001", in, strlen(in), mac);
        free(in);
        dm_kvs_free(&kv);
        snprintf(
            body, sizeof body,
            "securityContext=%s&requestURL=https%%3A%%2F%%2Fapi.example.com%%2Ff&requestType=GET",
            ctx);
        snprintf(hash, sizeof hash, "%s", mac);
        client *c = NULL;
        if (r->ncalls < MAX_CALLS) {
            c = &r->calls[r->ncalls++];
            memset(c, 0, sizeof *c);
            c->a.complete = complete;
            dm_req req = {0};
            req.method = "POST";
            req.path = "/api/v1/invoke";
            dm_kvs_add(&req.query, "orgId", ORG);
            dm_kvs_add(&req.headers, "Content-Type", "application/x-www-form-urlencoded");
            dm_kvs_add(&req.headers, "HASH", hash);
            req.body = body;
            req.body_len = strlen(body);
            req.async = &c->a;
            dm_resp resp;
            dm_resp_init(&resp);
            dm_app_dispatch(r->app, &req, &resp);
            if (resp.deferred)
                dm_resp_free(&resp);
            else
                complete(&c->a, &resp);
            dm_kvs_free(&req.query);
            dm_kvs_free(&req.headers);
        }
        break;
    }
    case 6: /* a shaped delivery to a webhook: parks until its receiver answers */
        if (!r->nhooks) break;
        snprintf(body, sizeof body, "{\"webhookId\":\"%s\",\"events\":[{\"eventType\":\"X\"}]}",
                 r->hooks[arg % r->nhooks]);
        call(r, "POST", "/mock/v1/deliveries", "application/json", body, 0);
        break;
    case 7: /* reset */
        call(r, "POST", "/mock/v1/reset", "application/json", "{}", 0);
        break;
    case 8: /* a change that raises events: deliveries over loopback */
        snprintf(body, sizeof body, "{\"priority\":\"%s\"}", arg & 1 ? "High" : "Low");
        call(r, "PATCH", "/api/v1/tickets/18920000000000401", "application/json", body, 1);
        break;
    case 9: /* a journal long-poll */
        snprintf(path, sizeof path, "/mock/v1/journal?after=999999&wait=%d", 1 + arg * 3);
        call(r, "GET", path, NULL, NULL, 0);
        break;
    case 10: { /* a client goes away while it waits */
        for (int i = r->ncalls - 1; i >= 0; i--) {
            client *c = &r->calls[i];
            if (c->answered || c->gone || !c->a.on_abort) continue;
            if (arg-- > 0) continue;
            c->gone = 1;
            c->a.on_abort(c->a.abort_ud);
            break;
        }
        break;
    }
    case 11: /* a receiver that fails: deliveries retry on the (virtual) clock */
        snprintf(body, sizeof body, "{\"advanceMs\":%d}", 1000 * (arg + 1) * 60);
        call(r, "POST", "/mock/v1/clock", "application/json", body, 0);
        break;
    default: /* let the loop run */
        for (int i = 0; i <= arg; i++)
            dm_app_run_once(r->app, arg > 12 ? 5 : 0);
        break;
    }
    refresh(r);
}

/* Each queued (event, webhook) pair has exactly one fate. */
typedef struct tally {
    dm_map *queued; /* "event:webhook" -> 1 */
    dm_map *fated;
} tally;

static int visit(void *ud, uint64_t seq, const char *kind, const char *json)
{
    tally *t = ud;
    cJSON *o = NULL;
    if (dm_json_parse(json, strlen(json), &o, NULL, 0)) abort();
    char key[96];
    if (strcmp(kind, "event") == 0) {
        const cJSON *w;
        cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(o, "webhooks")) {
            snprintf(key, sizeof key, "%llu:%s", (unsigned long long)seq,
                     dm_json_str(w, "webhookId"));
            if (dm_map_get(t->queued, key)) abort();
            dm_map_put(t->queued, key, (void *)1);
        }
    } else if (strcmp(kind, "fate") == 0) {
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
        snprintf(key, sizeof key, "%.0f:%s", ev ? ev->valuedouble : 0, dm_json_str(o, "webhookId"));
        if (!dm_map_get(t->queued, key) || dm_map_get(t->fated, key))
            abort(); /* a fate for nothing, or two */
        dm_map_put(t->fated, key, (void *)1);
    }
    cJSON_Delete(o);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 48) size = 48; /* sequences, not volume */
    run *r = calloc(1, sizeof *r);
    if (!r) abort();
    char err[256];
    dm_app_opts o = {0};
    o.clock_virtual = 1;
    o.clock_start = 1767225600000;
    o.journal_limit = 100000;
    o.delivery_timeout_ms = 200;
    r->app = dm_app_new(&o, err, sizeof err);
    if (!r->app || dm_app_listen(r->app, err, sizeof err)) abort();
    for (size_t i = 0; i < size; i++)
        step(r, data[i]);
    /* resets clear the journal, so judge what the last one left: events
     * since then must each end once, here at shutdown at the latest */
    for (int i = 0; i < 20; i++)
        dm_app_run_once(r->app, 0);
    if (dm_app_shutdown(r->app, err, sizeof err)) abort();
    tally t = {dm_map_new(), dm_map_new()};
    dm_journal_filter all = {0, "event,fate", 0, 0};
    dm_journal_visit(dm_app_journal(r->app), &all, visit, &t);
    if (dm_map_count(t.queued) != dm_map_count(t.fated)) abort(); /* an event without a fate */
    dm_map_free(t.queued);
    dm_map_free(t.fated);
    /* every client was answered or went away, once */
    for (int i = 0; i < r->ncalls; i++)
        if (!r->calls[i].answered && !r->calls[i].gone) abort();
    dm_app_free(r->app);
    free(r);
    return 0;
}
