/* suite.c -- the conformance run of `deskmock check`: attach once (an
 * installed extension, the receiver's own plain webhook, or a named one),
 * a preflight that must pass before anything else is worth running, then the
 * cases on that one attachment. After each case the receiver's write-backs
 * are left to land and judged (echo loops, refused calls, wrong ids, the
 * same write twice); a root cause fails one case, and the cases it would
 * only fail again are skipped with a pointer to it. */
#include "harness/internal.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/map.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CAUSES 64
#define QUIET_MS   75   /* this quiet, and the calls expected came: write-backs have landed */
#define EXPECT_MS  3000 /* how long to wait for a call the receiver was seen to make */
#define QUIET_CAP  2000 /* a receiver in a loop never goes quiet */

/* The ignoreSourceId check uses when it subscribes a webhook itself. */
#define CHECK_SOURCE_ID "5a0c3e1d-7b2f-4c6a-9e8d-1f2a3b4c5d6e"

struct dh_suite {
    dh_mock *m;
    dh_suite_options o;
    dh_run run;
    cJSON *outcomes; /* case name -> "pass" | "fail" | "skip" */
    char *blocked;   /* preflight's cause, once it failed */
    char *dead;      /* why later cases cannot run: the receiver stopped answering */
    char *baseline;  /* the settings every case starts from */
    cJSON *subs;     /* a plain webhook's subscriptions (NULL: an extension's) */
    cJSON *watched;  /* event types whose first delivery was given time for a slow write */
    struct {
        char key[96];   /* the root cause, e.g. "refused:INVALID_HASH" */
        char where[64]; /* the case that reported it */
    } causes[MAX_CAUSES];
    size_t ncauses;
};

static const char *str(const cJSON *o, const char *key)
{
    const char *s = dm_json_str(o, key);
    return s ? s : "";
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

dh_suite *dh_suite_new(dh_mock *m, const dh_suite_options *o)
{
    dh_suite *s = dm_xcalloc(1, sizeof *s);
    s->m = m;
    s->o = *o;
    s->run.m = m;
    s->run.env = &s->o.env;
    s->run.vars = cJSON_CreateObject();
    s->run.extension = o->attach == DH_ATTACH_EXTENSION;
    s->run.writes_back = 0;
    s->run.single_writes = cJSON_CreateObject();
    s->outcomes = cJSON_CreateObject();
    dm_json_set_str(s->run.vars, "receiver", o->env.receiver_url ? o->env.receiver_url : "");
    dm_json_set_str(s->run.vars, "mock", dh_url(m));
    dm_json_set_str(s->run.vars, "orgId", dh_org_id(m));
    return s;
}

void dh_suite_free(dh_suite *s)
{
    if (!s) return;
    cJSON_Delete(s->run.vars);
    cJSON_Delete(s->run.single_writes);
    cJSON_Delete(s->outcomes);
    free(s->blocked);
    free(s->dead);
    free(s->baseline);
    cJSON_Delete(s->subs);
    cJSON_Delete(s->watched);
    free(s);
}

static int restore(dh_suite *s);

/* ==== Attaching ==== */

static const char *var(const dh_suite *s, const char *name)
{
    return dm_json_str(s->run.vars, name);
}

cJSON *dh_suite_config(const dh_suite *s)
{
    static const char *const modes[] = {"extension", "plain", "webhook"};
    cJSON *o = cJSON_CreateObject();
    char u[256];
    cJSON_AddStringToObject(o, "attach", modes[s->o.attach]);
    cJSON_AddStringToObject(o, "mock", dh_url(s->m));
    snprintf(u, sizeof u, "%s/api/v1", dh_url(s->m));
    cJSON_AddStringToObject(o, "apiBase", u);
    snprintf(u, sizeof u, "%s/.well-known/jwks.json", dh_url(s->m));
    cJSON_AddStringToObject(o, "jwksUrl", u);
    cJSON_AddStringToObject(o, "orgId", dh_org_id(s->m));
    char iss[64];
    snprintf(iss, sizeof iss, "orgId:%s", dh_org_id(s->m));
    cJSON_AddStringToObject(o, "issuer", iss);
    if (s->o.env.receiver_url) cJSON_AddStringToObject(o, "receiver", s->o.env.receiver_url);
    if (s->o.attach != DH_ATTACH_EXTENSION) {
        /* the receiver's own Desk calls go with the admin's token; check acts as the agent */
        const char *t = dh_token(s->m, "admin");
        if (t) cJSON_AddStringToObject(o, "token", t);
    }
    static const char *const ids[] = {"webhookId", "installationId", "securityContext",
                                      "ignoreSourceId"};
    for (size_t i = 0; i < 4; i++)
        if (var(s, ids[i])) cJSON_AddStringToObject(o, ids[i], var(s, ids[i]));
    if (var(s, "webhookId")) {
        char aud[64];
        snprintf(aud, sizeof aud, "webhookId:%s", var(s, "webhookId"));
        cJSON_AddStringToObject(o, "audience", aud);
    }
    return o;
}

/* Who made the webhook: the actor of the request that created it. */
static void learn_owner(dh_suite *s, uint64_t after, const char *webhook_id)
{
    cJSON *recs = dh_journal(s->m, after, "webhook,request");
    const cJSON *w, *r;
    cJSON_ArrayForEach(w, recs) {
        if (strcmp(str(w, "kind"), "webhook") || strcmp(str(w, "id"), webhook_id)) continue;
        cJSON_ArrayForEach(r, recs)
            if (!strcmp(str(r, "kind"), "request") && num(r, "seq") == num(w, "cause"))
                snprintf(s->m->receiver_actor, sizeof s->m->receiver_actor, "%s", str(r, "actor"));
    }
    cJSON_Delete(recs);
}

/* The webhook's ignoreSourceId, for the report and the config. */
static int read_webhook(dh_suite *s, const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s", id);
    dh_response r;
    if (dh_ok(s->m, "GET", path, "admin", NULL, &r)) {
        dh_reportf(s->m, "there is no webhook %s in org %s\n", id, dh_org_id(s->m));
        return -1;
    }
    dh_run_var(&s->run, "webhookId", cJSON_GetObjectItemCaseSensitive(r.json, "id"));
    const cJSON *ign = cJSON_GetObjectItemCaseSensitive(r.json, "ignoreSourceId");
    if (cJSON_IsString(ign)) dh_run_var(&s->run, "ignoreSourceId", ign);
    cJSON_Delete(s->subs);
    s->subs = cJSON_DetachItemFromObjectCaseSensitive(r.json, "subscriptions");
    dh_response_free(&r);
    return 0;
}

/* --subscribe: check makes the webhook, as the admin, for the given types. */
static int subscribe(dh_suite *s, uint64_t mark)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "url", s->o.env.receiver_url);
    cJSON_AddStringToObject(b, "name", "deskmock check");
    cJSON_AddStringToObject(b, "ignoreSourceId", CHECK_SOURCE_ID);
    cJSON *subs = cJSON_AddObjectToObject(b, "subscriptions");
    char *types = dm_xstrdup(s->o.subscribe), *save = NULL;
    for (char *t = strtok_r(types, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (strcmp(t, "Ticket_Update") == 0) {
            cJSON *u = cJSON_AddObjectToObject(subs, t);
            cJSON_AddTrueToObject(u, "includePrevState");
        } else {
            cJSON_AddNullToObject(subs, t);
        }
    }
    free(types);
    dh_response r;
    int rc = dh_ok_json(s->m, "POST", "/api/v1/webhooks", "admin", b, &r);
    cJSON_Delete(b);
    if (rc) {
        dh_reportf(s->m, "creating a webhook at %s for %s failed\n", s->o.env.receiver_url,
                   s->o.subscribe);
        return -1;
    }
    const char *id = dm_json_str(r.json, "id");
    char copy[32];
    snprintf(copy, sizeof copy, "%s", id ? id : "");
    dh_response_free(&r);
    learn_owner(s, mark, copy);
    return read_webhook(s, copy);
}

/* The receiver's own POST /api/v1/webhooks that Desk refused, among the
 * records read while waiting (a parked create answers in a later `response`
 * record): says why, with the URL check's attempts, and returns 1. */
static int refused_create(dh_suite *s, const cJSON *seen)
{
    const cJSON *r, *q, *req = NULL, *answer = NULL;
    cJSON_ArrayForEach(r, seen) {
        int post = !strcmp(str(r, "kind"), "request") && !strcmp(str(r, "method"), "POST") &&
                   !strcmp(str(r, "path"), "/api/v1/webhooks");
        if (post && num(r, "status") >= 400) req = answer = r;
        if (!strcmp(str(r, "kind"), "response") && num(r, "status") >= 400)
            cJSON_ArrayForEach(q, seen)
                if (num(q, "seq") == num(r, "cause") &&
                    !strcmp(str(q, "path"), "/api/v1/webhooks") &&
                    !strcmp(str(q, "method"), "POST"))
                    req = q, answer = r;
    }
    if (!req) return 0;
    dh_reportf(s->m,
               "the receiver tried to create its webhook (journal #%.0f) and Desk refused it: "
               "POST /api/v1/webhooks -> %.0f %s\n",
               num(req, "seq"), num(answer, "status"), str(answer, "errorCode"));
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(answer, "error");
    if (err) {
        char *text = dm_json_print(err);
        dh_reportf(s->m, "  Desk said: %s\n", text);
        free(text);
    }
    cJSON_ArrayForEach(q, seen) {
        if (strcmp(str(q, "kind"), "check") || num(q, "cause") != num(req, "seq")) continue;
        if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(q, "status")))
            dh_reportf(s->m, "  URL check: %s %s -> %.0f\n", str(q, "method"), str(q, "url"),
                       num(q, "status"));
        else
            dh_reportf(s->m, "  URL check: %s %s -> no answer: %s (after %.0f ms)\n",
                       str(q, "method"), str(q, "url"), str(q, "error"), num(q, "latencyMs"));
    }
    dh_reportf(s->m, "fix: Desk creates a webhook only when its URL answers the unsigned GET (or "
                     "the POST of {} after it) with 200 in time, a complete HTTP answer "
                     "(Content-Length or chunked)\n");
    return 1;
}

/* --plain without --subscribe: the receiver makes its own webhook through
 * the REST API; wait for it (or take the one that exists). */
static int wait_for_webhook(dh_suite *s, uint64_t mark)
{
    int64_t end = dm_mono_ms() + (s->o.wait_ms > 0 ? s->o.wait_ms : 30000);
    cJSON *seen = cJSON_CreateArray();
    int look = 1; /* list the webhooks: at first, then after each webhook record */
    for (;;) {
        dh_response r;
        if (!look) goto wait;
        look = 0;
        if (dh_ok(s->m, "GET", "/api/v1/webhooks", "admin", NULL, &r)) {
            cJSON_Delete(seen);
            return -1;
        }
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(r.json, "data"), *w, *hit = NULL;
        cJSON_ArrayForEach(w, list)
            if (!s->o.env.receiver_url ||
                strncmp(str(w, "url"), s->o.env.receiver_url, strlen(s->o.env.receiver_url)) == 0)
                hit = w;
        char id[32] = "";
        if (hit) snprintf(id, sizeof id, "%s", str(hit, "id"));
        dh_response_free(&r);
        if (*id) {
            cJSON_Delete(seen);
            learn_owner(s, 0, id);
            return read_webhook(s, id);
        }
    wait:
        if (refused_create(s, seen)) {
            cJSON_Delete(seen);
            return -1;
        }
        if (dm_mono_ms() >= end) break;
        cJSON *got = dh_journal_wait(s->m, mark, "webhook,request,response,check",
                                     (int)(end - dm_mono_ms()));
        mark = cJSON_GetArraySize(got)
                   ? (uint64_t)num(cJSON_GetArrayItem(got, cJSON_GetArraySize(got) - 1), "seq")
                   : mark;
        while (cJSON_GetArraySize(got)) {
            cJSON *one = cJSON_DetachItemFromArray(got, 0);
            look |= !strcmp(str(one, "kind"), "webhook");
            cJSON_AddItemToArray(seen, one);
        }
        cJSON_Delete(got);
    }
    cJSON_Delete(seen);
    dh_reportf(s->m,
               "no webhook at %s appeared within %d s: the receiver must create it with "
               "POST %s/api/v1/webhooks (or give --subscribe TYPES and check creates it)\n",
               s->o.env.receiver_url ? s->o.env.receiver_url : "the receiver",
               (s->o.wait_ms > 0 ? s->o.wait_ms : 30000) / 1000, dh_url(s->m));
    return -1;
}

int dh_suite_attach(dh_suite *s)
{
    dh_report_reset(s->m);
    uint64_t mark = dh_mark(s->m);
    int rc;
    switch (s->o.attach) {
    case DH_ATTACH_EXTENSION:
        /* a clean org for the run's one installation */
        rc = dh_ok(s->m, "POST", "/mock/v1/reset", NULL, "{}", NULL) || restore(s) ||
             dh_run_install(&s->run, NULL, NULL);
        break;
    case DH_ATTACH_PLAIN:
        rc = s->o.subscribe ? subscribe(s, mark) : wait_for_webhook(s, mark);
        break;
    default:
        rc = read_webhook(s, s->o.webhook_id ? s->o.webhook_id : "");
        if (!rc) learn_owner(s, 0, var(s, "webhookId"));
        break;
    }
    if (!rc && s->m->receiver_actor[0]) {
        dh_response me;
        if (dh_ok(s->m, "GET", "/api/v1/myinfo", "agent", NULL, &me) == 0) {
            const char *agent = dm_json_str(me.json, "id");
            if (agent && strcmp(agent, s->m->receiver_actor) == 0) {
                dh_reportf(s->m,
                           "the webhook was made with the agent's token, the one check acts as; "
                           "give the receiver another token (the admin's: %s)\n",
                           dh_token(s->m, "admin") ? dh_token(s->m, "admin") : "?");
                rc = -1;
            }
            dh_response_free(&me);
        }
    }
    return rc ? -1 : 0;
}

/* ==== Judging a case's aftermath ==== */

static const char *cause_seen(const dh_suite *s, const char *key)
{
    for (size_t i = 0; i < s->ncauses; i++)
        if (strcmp(s->causes[i].key, key) == 0) return s->causes[i].where;
    return NULL;
}

static void cause_add(dh_suite *s, const char *key, const char *where)
{
    if (s->ncauses == MAX_CAUSES || cause_seen(s, key)) return;
    snprintf(s->causes[s->ncauses].key, sizeof s->causes[0].key, "%s", key);
    snprintf(s->causes[s->ncauses].where, sizeof s->causes[0].where, "%s", where);
    s->ncauses++;
}

typedef struct finding {
    char key[96];
    dm_buf text;
} finding;

typedef struct findings {
    finding f[8];
    size_t n;
} findings;

static finding *find_new(findings *fs, const char *key)
{
    for (size_t i = 0; i < fs->n; i++)
        if (strcmp(fs->f[i].key, key) == 0) return NULL; /* one finding per cause */
    if (fs->n == 8) return NULL;
    finding *f = &fs->f[fs->n++];
    memset(f, 0, sizeof *f);
    snprintf(f->key, sizeof f->key, "%s", key);
    return f;
}

/* The case's records by seq, for lookups that stay linear in a long loop. */
static dm_map *index_seq(const cJSON *all)
{
    dm_map *idx = dm_map_new();
    const cJSON *r;
    cJSON_ArrayForEach(r, all) {
        char key[32];
        snprintf(key, sizeof key, "%.0f", num(r, "seq"));
        dm_map_put(idx, key, (void *)r);
    }
    return idx;
}

static const cJSON *by_seq(dm_map *idx, double seq)
{
    char key[32];
    snprintf(key, sizeof key, "%.0f", seq);
    return dm_map_get(idx, key);
}

/* The event a call was made for, in words: "while handling #12 Ticket_Add". */
static void made_for(dm_buf *b, const cJSON *call, dm_map *idx)
{
    const cJSON *ev = by_seq(idx, num(call, "event"));
    if (ev && !strcmp(str(ev, "kind"), "event"))
        dm_buf_printf(b, " (made while handling event #%.0f %s, payload.id %s)", num(ev, "seq"),
                      str(ev, "eventType"),
                      str(cJSON_GetObjectItemCaseSensitive(ev, "payload"), "id"));
}

static const char *method_of(const cJSON *r)
{
    return strcmp(str(r, "kind"), "request") == 0 ? str(r, "method") : str(r, "requestType");
}

/* A refused invoke call (a request record for /api/v1/invoke) or a call Desk
 * refused inside invoke or through REST. */
static void judge_refusals(dh_suite *s, const cJSON *all, dm_map *idx, findings *fs)
{
    const cJSON *r;
    const char *url;
    cJSON_ArrayForEach(r, all) {
        int invoke_refused = !strcmp(str(r, "kind"), "request") &&
                             !strcmp(str(r, "path"), "/api/v1/invoke") && num(r, "status") >= 400;
        int call = dh_is_call(s->m, r, NULL, NULL, &url);
        if (!invoke_refused && !call) continue;
        if (invoke_refused) url = str(r, "requestURL");
        int st = invoke_refused                      ? (int)num(r, "status")
                 : !strcmp(str(r, "kind"), "invoke") ? (int)num(r, "statusCode")
                                                     : (int)num(r, "status");
        /* 429 and 5xx are Desk's transient answers (and the fault cases'
         * own); a target "fault" was injected */
        if (st < 400 || st == 429 || st >= 500 || !strcmp(str(r, "target"), "fault")) continue;
        const cJSON *wrong = cJSON_GetObjectItemCaseSensitive(r, "wrongResource");
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(r, "error");
        const char *code = str(r, "errorCode");
        char key[96];
        if (wrong)
            snprintf(key, sizeof key, "wrong-resource");
        else if (st == 404)
            snprintf(key, sizeof key, "not-found");
        else
            snprintf(key, sizeof key, "refused:%s", *code ? code : "4xx");
        finding *f = find_new(fs, key);
        if (!f) continue;
        if (wrong) {
            const char *actual = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(wrong, "actual"))
                                     ? str(wrong, "actual")
                                     : "nonexistent";
            dm_buf_printf(&f->text, "the receiver addressed a %s id as a %s id: %s %s -> %d",
                          actual, str(wrong, "expected"), method_of(r), url, st);
            made_for(&f->text, r, idx);
            dm_buf_printf(&f->text, "\n  id %s is %s; the URL needs a %s id.\n", str(wrong, "id"),
                          cJSON_IsString(cJSON_GetObjectItemCaseSensitive(wrong, "actual"))
                              ? str(wrong, "actual")
                              : "nobody's",
                          str(wrong, "expected"));
            dm_buf_puts(&f->text, "fix: take the ticket's id from payload.ticketId for threads and "
                                  "comments (payload.id is the thread's or comment's own id)\n");
            continue;
        }
        if (invoke_refused) {
            dm_buf_printf(&f->text,
                          "a write-back was refused: POST /api/v1/invoke (%s %s) -> %d %s",
                          str(r, "requestType"), str(r, "requestURL"), st, code);
            if (err && dm_json_str(err, "message"))
                dm_buf_printf(&f->text, ": %s", dm_json_str(err, "message"));
            dm_buf_putc(&f->text, '\n');
            if (!strcmp(code, "INVALID_HASH") && dm_json_str(r, "hashInput")) {
                dm_buf_puts(
                    &f->text,
                    "  the HASH header must be the lowercase hex HMAC-SHA256, keyed with the "
                    "extension's secret (plugin-manifest.json), of exactly this text:\n    ");
                dm_buf_puts(&f->text, dm_json_str(r, "hashInput"));
                dm_buf_puts(
                    &f->text,
                    "\n  (the request's form fields, as docs/desk-semantics.md describes)\n");
            } else if (!strcmp(code, "INVALID_SECURITY_CONTEXT") ||
                       !strcmp(code, "SECURITY_CONTEXT_REVOKED")) {
                dm_buf_printf(
                    &f->text,
                    "  the current installation's securityContext is %s (from the latest "
                    "authorise callback, or the delivery URL's securityContext); use that one\n",
                    var(s, "securityContext") ? var(s, "securityContext") : "?");
            }
            continue;
        }
        dm_buf_printf(&f->text, "Desk refused a call by the receiver: %s %s -> %d %s", method_of(r),
                      url, st, code);
        made_for(&f->text, r, idx);
        dm_buf_putc(&f->text, '\n');
        if (err && dm_json_str(err, "message"))
            dm_buf_printf(&f->text, "  Desk said: %s\n", dm_json_str(err, "message"));
    }
}

/* Calls that came back before the Retry-After of Desk's 429 had passed: the
 * mock journals how early each was (retryAfterLeftMs), on the invoke record
 * or on the REST call's fault record. */
static void judge_retry_after(const cJSON *all, findings *fs)
{
    const cJSON *r, *first = NULL;
    int early = 0;
    cJSON_ArrayForEach(r, all) {
        if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "retryAfterLeftMs"))) continue;
        if (!first) first = r;
        early++;
    }
    if (!first) return;
    finding *f = find_new(fs, "retry-after");
    if (!f) return;
    int invoke = !strcmp(str(first, "kind"), "invoke");
    dm_buf_printf(
        &f->text,
        "the receiver called Desk again %.0f ms before the Retry-After of Desk's 429 had "
        "passed (%s %s), %d time%s in all; Desk refuses every call until then\n",
        num(first, "retryAfterLeftMs"), invoke ? str(first, "requestType") : str(first, "method"),
        invoke ? str(first, "requestURL") : str(first, "path"), early, early == 1 ? "" : "s");
    dm_buf_puts(&f->text, "fix: on 429, wait the seconds the Retry-After header gives before "
                          "retrying (and back off on 5xx)\n");
}

/* Whether anything still accepts connections at the receiver's URL: a
 * receiver that crashed while handling a delivery it had already answered
 * 200 is found on the case that killed it, not on the next one. */
static int listening(const char *url)
{
    /* only where the mock itself may deliver: a loopback address */
    CURLU *u = curl_url();
    char *host = NULL;
    int loopback =
        u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        (!strncmp(host, "127.", 4) || !strcmp(host, "[::1]") || !strcmp(host, "localhost"));
    if (loopback && !strncmp(host, "127.", 4)) {
        struct in_addr a;
        loopback = inet_pton(AF_INET, host, &a) == 1; /* a number, not a name */
    }
    curl_free(host);
    curl_url_cleanup(u);
    CURL *c = loopback ? curl_easy_init() : NULL;
    if (!c) return 1; /* cannot tell */
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    return rc != CURLE_COULDNT_CONNECT;
}

static void judge_gone(dh_suite *s, findings *fs)
{
    const char *url = s->o.env.receiver_url;
    if (!url || listening(url)) return;
    finding *f = find_new(fs, "receiver-gone");
    if (!f) return;
    dm_buf_printf(&f->text,
                  "the receiver stopped listening during this case: %s refuses connections now. "
                  "It crashed (or exited) handling one of this case's deliveries, after its "
                  "answer; its own log says which\n",
                  url);
}

/* Echo loops: through invoke's cause chain (dh_expect_no_loop); for a plain
 * webhook, the receiver's own writes raising events to its own webhook that
 * keep it writing. */
static void judge_loops(dh_suite *s, uint64_t after, const cJSON *all, dm_map *idx, findings *fs)
{
    if (dh_expect_no_loop(s->m, after, 0) != 0) {
        finding *f = find_new(fs, "echo-loop");
        if (f) dm_buf_puts(&f->text, dh_report(s->m));
        dh_report_reset(s->m);
        return;
    }
    if (!s->m->receiver_actor[0]) return;
    /* a plain webhook's REST calls name no event: count instead. A loop feeds
     * itself, so its echoes outgrow the deliveries from outside; a receiver
     * that writes once or twice per event and ignores its echoes does not */
    int echoes = 0, outside = 0;
    const cJSON *ev, *c, *r;
    cJSON_ArrayForEach(ev, all) {
        if (strcmp(str(ev, "kind"), "event")) continue;
        const cJSON *w;
        int to_us = 0;
        cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(ev, "webhooks"))
            to_us |= !strcmp(str(w, "webhookId"), var(s, "webhookId") ? var(s, "webhookId") : "") &&
                     !strcmp(str(w, "fate"), "queued");
        if (!to_us) continue;
        int ours = (c = by_seq(idx, num(ev, "cause"))) && (r = by_seq(idx, num(c, "cause"))) &&
                   !strcmp(str(r, "kind"), "request") &&
                   !strcmp(str(r, "actor"), s->m->receiver_actor);
        echoes += ours;
        outside += !ours;
    }
    if (echoes >= 3 && echoes > 2 * outside + 2) {
        finding *f = find_new(fs, "echo-loop");
        if (f)
            dm_buf_printf(
                &f->text,
                "echo loop: %d events caused by the receiver's own writes were delivered back "
                "to its webhook %s, against %d from elsewhere, and it kept writing\nfix: send "
                "the webhook's "
                "ignoreSourceId (%s) as the sourceId header of your Desk calls, or skip "
                "events you caused\n",
                echoes, var(s, "webhookId") ? var(s, "webhookId") : "?", outside,
                var(s, "ignoreSourceId") ? var(s, "ignoreSourceId") : "none set");
    }
}

/* An echo loop never ends by itself: turn the webhook off until the journal
 * is quiet (the loop's last events are withheld), then on again, so the next
 * case starts clean. */
static void break_loop(dh_suite *s)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s",
             var(s, "webhookId") ? var(s, "webhookId") : "");
    if (dh_ok(s->m, "PATCH", path, "admin", "{\"isEnabled\":false}", NULL)) return;
    dh_journal_quiet(s->m, dh_mark(s->m), QUIET_MS * 3, QUIET_CAP);
    dh_ok(s->m, "PATCH", path, "admin", "{\"isEnabled\":true}", NULL);
}

/* Learns from the records what the receiver does: whether it writes back at
 * all, and how many calls one single delivery of each type causes. */
/* The one event delivered before a REST write whose payload id the write
 * names; NULL when none or several do (a ticket's Ticket_Add and a
 * Ticket_Update both name it; a comment's events name only its ticket):
 * which one a write answers is then not known, and none is guessed. */
static const cJSON *named_event(const cJSON *all, const cJSON *call, const char *url)
{
    const cJSON *ev, *hit = NULL;
    int n = 0;
    cJSON_ArrayForEach(ev, all) {
        if (num(ev, "seq") > num(call, "seq")) break;
        if (strcmp(str(ev, "kind"), "event")) continue;
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(ev, "payload");
        if (dh_call_names(call, url, str(p, "id"))) hit = ev, n++;
    }
    return n == 1 ? hit : NULL;
}

static void learn(dh_suite *s, const cJSON *all, dm_map *idx)
{
    const cJSON *r, *a;
    const char *url;
    cJSON_ArrayForEach(r, all) {
        int invoke_refused =
            !strcmp(str(r, "kind"), "request") && !strcmp(str(r, "path"), "/api/v1/invoke");
        int call = dh_is_call(s->m, r, NULL, NULL, &url);
        if (invoke_refused || call) s->run.writes_back = 1;
        const cJSON *ev = NULL;
        if (!strcmp(str(r, "kind"), "invoke") && num(r, "event") > 0)
            ev = by_seq(idx, num(r, "event"));
        else if (call && !strcmp(str(r, "kind"), "request") && strcmp(str(r, "method"), "GET"))
            ev = named_event(all, r, url); /* a plain webhook's REST write names no event */
        if (!ev || strcmp(str(ev, "kind"), "event")) continue;
        int single = 0;
        cJSON_ArrayForEach(a, all)
            if (!strcmp(str(a, "kind"), "attempt") && num(a, "cause") == num(ev, "seq") &&
                cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "events")) == 1)
                single = 1;
        if (!single) continue;
        const char *type = str(ev, "eventType");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(s->run.single_writes, type);
        if (!n) cJSON_AddNumberToObject(s->run.single_writes, type, 1);
    }
}

/* How many more calls to wait for: events answered 200 of a type whose
 * single delivery was seen to make the receiver call Desk, less the calls
 * made so far (which event prompted a call is not always knowable: a call
 * made after answering one event may land while the next is delivered). */
static int calls_due(const dh_suite *s, const cJSON *all)
{
    const cJSON *ev, *a, *r;
    const char *url;
    int due = 0;
    cJSON_ArrayForEach(ev, all) {
        if (strcmp(str(ev, "kind"), "event") ||
            !cJSON_GetObjectItemCaseSensitive(s->run.single_writes, str(ev, "eventType")))
            continue;
        int answered = 0;
        cJSON_ArrayForEach(a, all)
            if (!strcmp(str(a, "kind"), "attempt") && num(a, "status") == 200) {
                const cJSON *e;
                cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(a, "events"))
                    answered |= cJSON_IsNumber(e) && e->valuedouble == num(ev, "seq");
            }
        due += answered;
    }
    cJSON_ArrayForEach(r, all) {
        int refused =
            !strcmp(str(r, "kind"), "request") && !strcmp(str(r, "path"), "/api/v1/invoke");
        due -= refused || dh_is_call(s->m, r, NULL, NULL, &url);
    }
    return due > 0;
}

/* Lets the case's write-backs land (the calls the receiver was seen to make
 * for such events, and any invoke still waiting on a slow Desk's answer),
 * then judges them. Findings are appended to fs. */
/* Whether the window holds the first delivery of an event type: the
 * receiver's writes for it (and an echo loop it starts) may come later than
 * QUIET_MS, as nothing has yet taught check to wait for them. Marks them. */
static int first_of_type(dh_suite *s, const cJSON *all)
{
    if (!s->watched) s->watched = cJSON_CreateObject();
    int first = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, all) {
        const char *type = str(ev, "eventType");
        if (strcmp(str(ev, "kind"), "event") || !*type ||
            cJSON_GetObjectItemCaseSensitive(s->watched, type))
            continue;
        cJSON_AddTrueToObject(s->watched, type);
        first = 1;
    }
    return first;
}

static void aftermath(dh_suite *s, uint64_t after, findings *fs)
{
    cJSON *all = dh_settle(s->m, after, NULL, QUIET_MS, QUIET_CAP);
    if (first_of_type(s, all) && s->run.writes_back == 1) {
        /* once per type: a longer quiet, for a receiver slow to write */
        cJSON_Delete(all);
        all = dh_settle(s->m, after, NULL, QUIET_MS * 6, QUIET_CAP);
    }
    for (int64_t end = dm_mono_ms() + EXPECT_MS; calls_due(s, all) && dm_mono_ms() < end;) {
        cJSON_Delete(
            dh_journal_wait(s->m, dh_mark(s->m), "invoke,request", (int)(end - dm_mono_ms())));
        cJSON_Delete(all);
        all = dh_settle(s->m, after, NULL, QUIET_MS, QUIET_CAP);
    }
    /* invoke calls Desk answers later: wait for their answers (bounded) */
    const cJSON *r;
    int64_t end = dm_mono_ms() + 5000;
    cJSON_ArrayForEach(r, all) {
        if (strcmp(str(r, "kind"), "invoke") ||
            cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "statusCode")))
            continue;
        int answered = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, all)
            answered |=
                !strcmp(str(x, "kind"), "invoke-result") && num(x, "invoke") == num(r, "seq");
        if (!answered && dm_mono_ms() < end) {
            /* the answer comes after what was read */
            const cJSON *last = cJSON_GetArrayItem(all, cJSON_GetArraySize(all) - 1);
            uint64_t from = last ? (uint64_t)num(last, "seq") : after;
            cJSON_Delete(all);
            cJSON_Delete(dh_journal_wait(s->m, from, "invoke-result", (int)(end - dm_mono_ms())));
            all = dh_settle(s->m, after, NULL, QUIET_MS, QUIET_CAP);
            break;
        }
    }
    dm_map *idx = index_seq(all);
    learn(s, all, idx);
    judge_loops(s, after, all, idx, fs);
    for (size_t i = 0; i < fs->n; i++)
        if (!strcmp(fs->f[i].key, "echo-loop")) break_loop(s);
    judge_refusals(s, all, idx, fs);
    judge_retry_after(all, fs);
    judge_gone(s, fs);
    dm_map_free(idx);
    if (dh_expect_no_duplicate_writes(s->m, after, 0) != 0) {
        finding *f = find_new(fs, "duplicate-write");
        if (f) dm_buf_puts(&f->text, dh_report(s->m));
    }
    dh_report_reset(s->m);
    cJSON_Delete(all);
}

/* After a failure: does the receiver still take a genuine delivery? NULL if
 * it does, else why not (owned). */
static char *still_alive(dh_suite *s)
{
    uint64_t mark = dh_mark(s->m);
    char body[300];
    snprintf(body, sizeof body,
             "{\"subject\":\"deskmock: still there?\",\"departmentId\":\"18920000000000101\","
             "\"contactId\":\"18920000000000301\",\"assigneeId\":\"18920000000000202\"}");
    if (dh_ok(s->m, "POST", "/api/v1/tickets", "agent", body, NULL)) return NULL; /* cannot tell */
    if (dh_expect_delivered(s->m, mark, "Ticket_Add", NULL, NULL, 0,
                            (int)s->m->timeout_ms + 2000) == 0) {
        dh_journal_quiet(s->m, mark, QUIET_MS, QUIET_CAP);
        return NULL;
    }
    char *why = dm_xstrdup(dh_report(s->m));
    dh_report_reset(s->m);
    return why;
}

/* ==== Cases ==== */

static dh_outcome record(dh_suite *s, const char *name, dh_outcome out)
{
    static const char *const words[] = {"pass", "fail", "skip"};
    cJSON_DeleteItemFromObjectCaseSensitive(s->outcomes, name);
    cJSON_AddStringToObject(s->outcomes, name, words[out]);
    return out;
}

/* Back to the run's baseline: no faults, nothing left to deliver, the settings the mock had when
 * the run began (the first call reads them), full prevState, one event a POST. */
static int restore(dh_suite *s)
{
    dh_ok(s->m, "DELETE", "/mock/v1/faults", NULL, NULL, NULL);
    /* a failed delivery's retry (a minute on) would hold up the next case's */
    dh_ok(s->m, "DELETE", "/mock/v1/deliveries", NULL, NULL, NULL);
    if (!s->baseline) {
        dh_response r;
        if (dh_ok(s->m, "GET", "/mock/v1/settings", NULL, NULL, &r)) return -1;
        cJSON_DeleteItemFromObjectCaseSensitive(r.json, "clock");
        dm_json_set_str(r.json, "prevState", "full");
        cJSON_ReplaceItemInObject(r.json, "batchMax", cJSON_CreateNumber(1));
        cJSON_ReplaceItemInObject(r.json, "batchWindowMs", cJSON_CreateNumber(0));
        s->baseline = dm_json_print(r.json);
        dh_response_free(&r);
    }
    return dh_settings(s->m, s->baseline);
}

/* The preflight: one real Ticket_Add answered 200. On failure, what was sent
 * and what to look at. */
dh_outcome dh_suite_preflight(dh_suite *s)
{
    dh_mock *m = s->m;
    dh_report_reset(m);
    if (restore(s)) return record(s, "preflight", DH_FAIL);
    uint64_t mark = dh_mark(m);
    char body[300];
    snprintf(body, sizeof body,
             "{\"subject\":\"deskmock preflight\",\"departmentId\":\"18920000000000101\","
             "\"contactId\":\"18920000000000301\",\"assigneeId\":\"18920000000000202\"}");
    if (dh_ok(m, "POST", "/api/v1/tickets", "agent", body, NULL))
        return record(s, "preflight", DH_FAIL);
    if (dh_expect_delivered(m, mark, "Ticket_Add", NULL, NULL, 0, (int)m->timeout_ms + 2000) == 0) {
        findings fs = {0};
        aftermath(s, mark, &fs); /* learn what it writes back; judged in the cases */
        for (size_t i = 0; i < fs.n; i++)
            dm_buf_free(&fs.f[i].text);
        return record(s, "preflight", DH_PASS);
    }
    /* what came back, then what was sent */
    dm_buf why = {0};
    dm_buf_puts(&why, dh_report(m));
    dh_report_reset(m);
    cJSON *atts = dh_journal(m, mark, "attempt");
    const cJSON *a = cJSON_GetArrayItem(atts, cJSON_GetArraySize(atts) - 1);
    int st = a ? (int)num(a, "status") : -1;
    if (!a)
        dh_reportf(m, "the receiver was never reached with a genuine Ticket_Add\n");
    else if (st < 0)
        dh_reportf(m, "nothing answered a genuine Ticket_Add at %s (%s)\n", s->o.env.receiver_url,
                   str(a, "error"));
    else
        dh_reportf(
            m, "preflight: a genuine, correctly signed Ticket_Add was answered %d, not 200\n", st);
    dh_reportf(m, "%s", why.data ? why.data : "");
    dm_buf_free(&why);
    /* the URL as sent, its securityContext elided (it is a credential) */
    char sent[600];
    snprintf(sent, sizeof sent, "%s", a && *str(a, "url") ? str(a, "url") : s->o.env.receiver_url);
    char *ctx = strstr(sent, "securityContext=");
    if (ctx) snprintf(ctx + strlen("securityContext="), 4, "...");
    dh_reportf(
        m,
        "what Desk sent: POST %s with the header X-ZDesk-JWT: an RS256 token "
        "(kid %s, from %s/.well-known/jwks.json) with iss \"orgId:%s\", aud \"webhookId:%s\", "
        "iat now, exp 10 minutes on\n",
        sent, a ? str(a, "kid") : "?", dh_url(m), dh_org_id(m),
        var(s, "webhookId") ? var(s, "webhookId") : "?");
    if (st == 401 || st == 403)
        dh_reportf(
            m,
            "look at: the header name (X-ZDesk-JWT), the algorithm (RS256 only), the key "
            "(by kid, from the JWKS), the issuer and audience above, and the orgId/securityContext "
            "the receiver expects in the URL\n");
    else if (st == 404 || st == 405)
        dh_reportf(
            m, "look at: the path and method; Desk POSTs to the webhook URL exactly as registered, "
               "with orgId and securityContext appended\n");
    else if (st >= 500)
        dh_reportf(m, "look at: the receiver's own log: it failed handling a genuine Ticket_Add "
                      "(an exception or a crash on its data is the usual cause)\n");
    else if (st > 0)
        dh_reportf(m, "look at: only 200 counts as delivered; anything else is retried and counted "
                      "as a failure\n");
    else
        dh_reportf(
            m,
            "look at: is the receiver listening at that URL, and does it answer within %lld ms?\n",
            (long long)m->timeout_ms);
    cJSON_Delete(atts);
    const char *r = dh_report(m);
    s->blocked = dm_xstrndup(r, strcspn(r, "\n"));
    return record(s, "preflight", DH_FAIL);
}

/* A plain webhook takes only the event types it subscribes to: a case that
 * expects another type to be delivered is not run (owned reason, or NULL). */
static char *unsubscribed(const dh_suite *s, const cJSON *sc)
{
    if (!s->subs) return NULL;
    /* the expectations at the end, and those of `expect` steps */
    cJSON *all = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(sc, "expect"), 1);
    if (!all) all = cJSON_CreateArray();
    const cJSON *st, *ex;
    cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(sc, "steps")) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(st, "expect");
        if (e) cJSON_AddItemToArray(all, cJSON_Duplicate(e, 1));
    }
    char *why = NULL;
    cJSON_ArrayForEach(ex, all) {
        const char *type = ex->child ? dm_json_str(ex->child, "eventType") : NULL;
        if (why || !type ||
            (strcmp(ex->child->string, "delivered") &&
             strcmp(ex->child->string, "batchLikeSingles")) ||
            cJSON_GetObjectItemCaseSensitive(s->subs, type))
            continue;
        dm_buf b = {0};
        dm_buf_printf(&b, "not run: the webhook does not subscribe to %s (it takes", type);
        const cJSON *t;
        cJSON_ArrayForEach(t, s->subs)
            dm_buf_printf(&b, " %s", t->string);
        dm_buf_puts(&b, "); subscribe to it to have this case run");
        why = dm_buf_steal(&b);
    }
    cJSON_Delete(all);
    return why;
}

/* Why a case is skipped before it runs, or NULL. Owned. */
static char *skip_reason(dh_suite *s, const char *name, const cJSON *sc)
{
    char buf[600];
    if (s->blocked) {
        snprintf(buf, sizeof buf, "blocked by preflight: %s", s->blocked);
        return dm_xstrdup(buf);
    }
    if (s->dead) {
        snprintf(buf, sizeof buf, "not run: %s", s->dead);
        return dm_xstrdup(buf);
    }
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(sc, "dependsOn")) {
        const char *o = dm_json_str(s->outcomes, d->valuestring);
        if (o && strcmp(o, "pass") != 0) {
            snprintf(buf, sizeof buf,
                     "not run: it builds on %s, which did not pass (%s): the same root cause",
                     d->valuestring, o);
            return dm_xstrdup(buf);
        }
    }
    if (cJSON_GetObjectItemCaseSensitive(sc, "departments") ||
        cJSON_GetObjectItemCaseSensitive(sc, "extension")) {
        snprintf(buf, sizeof buf,
                 "not run: %s installs its own extension or departments, and check runs every "
                 "case on one attachment; run it with dh_run_scenario",
                 name);
        return dm_xstrdup(buf);
    }
    const char *unmet = dh_run_unmet(&s->run, sc);
    if (unmet) return dm_xstrdup(unmet);
    return unsubscribed(s, sc);
}

dh_outcome dh_suite_run(dh_suite *s, const char *json)
{
    dh_mock *m = s->m;
    dh_report_reset(m);
    cJSON *sc = NULL;
    char why[300];
    if (dh_scenario_check(json, why, sizeof why) ||
        dm_json_parse(json, strlen(json), &sc, NULL, 0)) {
        dh_reportf(m, "the scenario is malformed: %s\n", why);
        return DH_FAIL;
    }
    char name[64];
    snprintf(name, sizeof name, "%s", str(sc, "name"));
    char *skip = skip_reason(s, name, sc);
    if (skip) {
        dh_reportf(m, "%s\n", skip);
        free(skip);
        cJSON_Delete(sc);
        return record(s, name, DH_SKIP);
    }
    restore(s);
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(sc, "settings");
    if (settings) {
        char *text = dm_json_print(settings);
        dh_settings(m, text);
        free(text);
    }
    uint64_t mark = dh_mark(m);
    int rc = dh_run_body(&s->run, sc);
    dm_buf own = {0};
    if (rc) dm_buf_puts(&own, dh_report(m));
    dh_report_reset(m);
    findings fs = {0};
    aftermath(s, mark, &fs);
    restore(s);
    /* which findings are new root causes */
    size_t fresh = 0;
    for (size_t i = 0; i < fs.n; i++)
        fresh += !cause_seen(s, fs.f[i].key);
    dh_outcome out = DH_PASS;
    dm_buf rep = {0};
    /* an expectation of the receiver's write-backs fails when its calls were
     * refused: the findings are then the cause, the expectation the evidence */
    int writes =
        rc && s->run.failed_kind &&
        (!strcmp(s->run.failed_kind, "call") || !strcmp(s->run.failed_kind, "batchLikeSingles"));
    if (rc || fresh) {
        out = DH_FAIL;
        if (rc && !(writes && fresh)) dm_buf_puts(&rep, own.data);
        for (size_t i = 0; i < fs.n; i++) {
            if (cause_seen(s, fs.f[i].key)) continue;
            if (rep.len) dm_buf_putc(&rep, '\n');
            dm_buf_puts(&rep, fs.f[i].text.data ? fs.f[i].text.data : "");
            cause_add(s, fs.f[i].key, name);
        }
        if (rc && writes && fresh)
            dm_buf_printf(&rep, "\nso the case's expectation failed:\n%s", own.data);
    } else if (fs.n) {
        out = DH_SKIP;
    }
    if (out == DH_FAIL && writes && fs.n && !fresh) {
        /* the calls it waited for were refused for a cause already reported */
        out = DH_SKIP;
        dm_buf_reset(&rep);
    }
    if (out == DH_SKIP) {
        dm_buf_printf(&rep, "not judged again: the same root cause (%s) was reported by %s\n",
                      fs.f[0].key, cause_seen(s, fs.f[0].key));
    }
    int looped = 0;
    for (size_t i = 0; i < fs.n; i++)
        looped |= !strcmp(fs.f[i].key, "echo-loop");
    if (looped && !s->dead) {
        /* it would loop again in every case that makes it write back */
        char buf[300];
        snprintf(buf, sizeof buf,
                 "the receiver's echo loop (reported by %s) would start again in every "
                 "case that makes it write back; fix it first",
                 cause_seen(s, "echo-loop"));
        s->dead = dm_xstrdup(buf);
    } else if (out == DH_FAIL) {
        char *gone = still_alive(s);
        if (gone) {
            dm_buf_printf(
                &rep, "\nand after this case the receiver no longer takes a genuine delivery:\n%s",
                gone);
            char buf[300];
            snprintf(buf, sizeof buf, "the receiver stopped taking genuine deliveries during %s",
                     name);
            s->dead = dm_xstrdup(buf);
            free(gone);
        }
    }
    dh_report_reset(m);
    if (rep.len) dh_reportf(m, "%s", rep.data);
    dm_buf_free(&rep);
    for (size_t i = 0; i < fs.n; i++)
        dm_buf_free(&fs.f[i].text);
    dm_buf_free(&own);
    cJSON_Delete(sc);
    return record(s, name, out);
}
