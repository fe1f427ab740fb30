/* harness.c -- libdeskharness: a client of the mock's HTTP API, plus the
 * embedded mock on a background thread. Everything the harness knows about a
 * receiver it reads from the journal; it never sleeps, it long-polls. */
#include "deskmock/harness.h"
#include "harness/internal.h"

#include "app.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== Reports ==== */

void dh_reportf(dh_mock *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[4096];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    dm_buf_puts(&m->report, tmp);
}

void dh_report_reset(dh_mock *m)
{
    dm_buf_reset(&m->report);
}

const char *dh_report(const dh_mock *m)
{
    return m->report.data ? m->report.data : "";
}

/* ==== HTTP ==== */

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    dm_buf_append(ud, p, size * n);
    return size * n;
}

const char *dh_token(const dh_mock *m, const char *role)
{
    return dm_json_str(m->tokens, role);
}

int dh_http(dh_mock *m, const char *method, const char *path, const char *as, const char *body,
            long timeout_ms, dh_response *out)
{
    memset(out, 0, sizeof *out);
    if (!m->curl) m->curl = curl_easy_init();
    CURL *c = m->curl;
    curl_easy_reset(c);
    dm_buf url = {0}, b = {0}, h = {0};
    dm_buf_printf(&url, "%s%s", m->url, path);
    struct curl_slist *hl = NULL;
    if (as) {
        const char *tok = dh_token(m, as);
        dm_buf_printf(&h, "Authorization: Zoho-oauthtoken %s", tok ? tok : as);
        hl = curl_slist_append(hl, h.data);
        dm_buf_reset(&h);
        dm_buf_printf(&h, "orgId: %s", m->org_id);
        hl = curl_slist_append(hl, h.data);
    }
    if (body) hl = curl_slist_append(hl, "Content-Type: application/json");
    /* a mock started with --control-token: the token comes from the environment */
    const char *ct = getenv("DESKMOCK_CONTROL_TOKEN");
    if (ct && *ct) {
        dm_buf_reset(&h);
        dm_buf_printf(&h, "X-Deskmock-Token: %s", ct);
        hl = curl_slist_append(hl, h.data);
    }
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url.data);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    else if (strcmp(method, "GET") == 0)
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hl);
    dm_buf_free(&h);
    if (rc != CURLE_OK) {
        dh_reportf(m, "%s %s: %s\n", method, url.data, curl_easy_strerror(rc));
        dm_buf_free(&url);
        dm_buf_free(&b);
        return -1;
    }
    dm_buf_free(&url);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    out->body = dm_buf_steal(&b);
    if (*out->body) dm_json_parse(out->body, strlen(out->body), &out->json, NULL, 0);
    return 0;
}

int dh_call(dh_mock *m, const char *method, const char *path, const char *as, const char *json_body,
            dh_response *out)
{
    dh_report_reset(m);
    return dh_http(m, method, path, as, json_body, 60000, out);
}

void dh_response_free(dh_response *r)
{
    if (!r) return;
    free(r->body);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

/* A call that must answer 2xx; on anything else the report says what came. */
int dh_ok(dh_mock *m, const char *method, const char *path, const char *as, const char *body,
          dh_response *out)
{
    dh_response r;
    if (dh_http(m, method, path, as, body, 60000, &r)) return -1;
    if (r.status < 200 || r.status > 299) {
        dh_reportf(m, "%s %s answered %ld: %s\n", method, path, r.status, r.body);
        dh_response_free(&r);
        return -1;
    }
    if (out)
        *out = r;
    else
        dh_response_free(&r);
    return 0;
}

int dh_ok_json(dh_mock *m, const char *method, const char *path, const char *as, const cJSON *body,
               dh_response *out)
{
    char *text = body ? dm_json_print(body) : NULL;
    int rc = dh_ok(m, method, path, as, text, out);
    free(text);
    return rc;
}

/* ==== Lifecycle ==== */

static void *run_loop(void *arg)
{
    dm_app_run(arg);
    return NULL;
}

static int load_identity(dh_mock *m, char *err, size_t errlen)
{
    dh_response r;
    if (dh_http(m, "GET", "/mock/v1/tokens", NULL, NULL, 10000, &r) || r.status != 200 || !r.json) {
        snprintf(err, errlen, "%s does not answer as a deskmock: %s", m->url, dh_report(m));
        dh_response_free(&r);
        return -1;
    }
    snprintf(m->org_id, sizeof m->org_id, "%s", dm_json_str(r.json, "orgId"));
    m->tokens = cJSON_DetachItemFromObjectCaseSensitive(r.json, "tokens");
    dh_response_free(&r);
    if (dh_http(m, "GET", "/mock/v1/settings", NULL, NULL, 10000, &r) == 0 && r.json) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(r.json, "deliveryTimeoutMs");
        if (cJSON_IsNumber(t)) m->timeout_ms = (int64_t)t->valuedouble;
    }
    dh_response_free(&r);
    return 0;
}

static dh_mock *mock_new(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, (void (*)(void))curl_global_init_noargs);
    dh_mock *m = dm_xcalloc(1, sizeof *m);
    m->timeout_ms = 5000;
    dm_buf_append(&m->report, "", 0);
    return m;
}

dh_mock *dh_start(const dh_options *o, char *err, size_t errlen)
{
    dh_options none = {0};
    if (!o) o = &none;
    dm_app_opts a = {0};
    int64_t retry[32]; /* dm_app_new copies the options */
    a.org_file = o->org_file;
    a.seed = o->seed;
    a.clock_virtual = o->virtual_clock;
    a.prev_state_changed = o->prev_state && strcmp(o->prev_state, "changed") == 0;
    a.delivery_timeout_ms = o->delivery_timeout_ms;
    if (o->retry_schedule) {
        if (dm_parse_durations(o->retry_schedule, retry, 32, &a.retry_count)) {
            snprintf(err, errlen, "retry_schedule \"%s\": expected delays like 0,1s,5m",
                     o->retry_schedule);
            return NULL;
        }
        a.retry_schedule = retry;
    }
    a.batch_max = o->batch_max;
    a.batch_window_ms = o->batch_window_ms;
    a.journal_file = o->journal_file;
    a.fixture_dirs = o->fixture_dirs;
    a.invoke_passthrough = o->invoke_passthrough;
    a.bind = "127.0.0.1";
    a.port = o->port;
    dh_mock *m = mock_new();
    m->app = dm_app_new(&a, err, errlen);
    if (!m->app || dm_app_listen(m->app, err, errlen)) {
        dh_stop(m);
        return NULL;
    }
    snprintf(m->url, sizeof m->url, "%s", dm_app_url(m->app));
    if (pthread_create(&m->thread, NULL, run_loop, m->app) != 0) {
        snprintf(err, errlen, "cannot start the mock's thread");
        dm_app_free(m->app);
        m->app = NULL;
        dh_stop(m);
        return NULL;
    }
    m->running = 1;
    if (o->ready_file && dm_app_write_ready(m->app, o->ready_file)) {
        snprintf(err, errlen, "cannot write the ready file %s", o->ready_file);
        dh_stop(m);
        return NULL;
    }
    if (load_identity(m, err, errlen)) {
        dh_stop(m);
        return NULL;
    }
    return m;
}

dh_mock *dh_attach(const char *url, char *err, size_t errlen)
{
    dh_mock *m = mock_new();
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        n--;
    snprintf(m->url, sizeof m->url, "%.*s", (int)n, url);
    if (load_identity(m, err, errlen)) {
        dh_stop(m);
        return NULL;
    }
    return m;
}

int dh_stop(dh_mock *m)
{
    if (!m) return 0;
    int rc = 0;
    if (m->curl) curl_easy_cleanup(m->curl);
    m->curl = NULL;
    if (m->app) {
        if (m->running) {
            dm_app_stop(m->app);
            pthread_join(m->thread, NULL);
            dh_report_reset(m);
            rc = dm_app_leftovers(m->app, &m->report) ? -1 : 0;
        }
        char why[400];
        if (dm_app_shutdown(m->app, why, sizeof why)) {
            dh_reportf(m, "%s\n", why);
            rc = -1;
        }
        dm_app_free(m->app);
    }
    cJSON_Delete(m->tokens);
    if (rc) fprintf(stderr, "deskmock harness: the mock did not stop cleanly:\n%s", dh_report(m));
    dm_buf_free(&m->report);
    free(m);
    return rc;
}

const char *dh_url(const dh_mock *m)
{
    return m->url;
}

const char *dh_org_id(const dh_mock *m)
{
    return m->org_id;
}

/* ==== Extensions ==== */

/* The built-in extension (fixtures/extensions/conformance), compiled in. */
extern const char dm_conformance_manifest[];
extern const size_t dm_conformance_manifest_len;
extern const char dm_conformance_resources[];
extern const size_t dm_conformance_resources_len;

cJSON *dh_install_body(const char *dir, const char *webhook_url, const char *authorise_url,
                       const char *uninstall_url, const cJSON *departments)
{
    cJSON *b = cJSON_CreateObject();
    if (dir) {
        cJSON_AddStringToObject(b, "extension", dir);
    } else {
        cJSON *mf = NULL, *rs = NULL;
        dm_json_parse(dm_conformance_manifest, dm_conformance_manifest_len, &mf, NULL, 0);
        dm_json_parse(dm_conformance_resources, dm_conformance_resources_len, &rs, NULL, 0);
        cJSON_AddItemToObject(b, "manifest", mf ? mf : cJSON_CreateObject());
        cJSON_AddItemToObject(b, "resources", rs ? rs : cJSON_CreateObject());
    }
    if (webhook_url) cJSON_AddStringToObject(b, "webhookUrl", webhook_url);
    if (authorise_url || uninstall_url) {
        cJSON *cb = cJSON_AddObjectToObject(b, "callbackUrls");
        if (authorise_url) cJSON_AddStringToObject(cb, "onDeskAuthorise", authorise_url);
        if (uninstall_url) cJSON_AddStringToObject(cb, "onUninstall", uninstall_url);
    }
    if (departments) cJSON_AddItemToObject(b, "departments", cJSON_Duplicate(departments, 1));
    return b;
}

int dh_install(dh_mock *m, const dh_install_options *o, dh_installation *out)
{
    dh_report_reset(m);
    cJSON *deps = NULL;
    if (o->departments) {
        deps = cJSON_CreateArray();
        for (const char *const *p = o->departments; *p; p++)
            cJSON_AddItemToArray(deps, cJSON_CreateString(*p));
    }
    cJSON *b =
        dh_install_body(o->extension_dir, o->webhook_url, o->authorise_url, o->uninstall_url, deps);
    cJSON_Delete(deps);
    dh_response r;
    int rc = dh_ok_json(m, "POST", "/mock/v1/installations", NULL, b, &r);
    cJSON_Delete(b);
    if (rc) return -1;
    memset(out, 0, sizeof *out);
    const char *v;
    if ((v = dm_json_str(r.json, "installationId"))) snprintf(out->id, sizeof out->id, "%s", v);
    if ((v = dm_json_str(r.json, "securityContext")))
        snprintf(out->security_context, sizeof out->security_context, "%s", v);
    if ((v = dm_json_str(r.json, "webhookId")))
        snprintf(out->webhook_id, sizeof out->webhook_id, "%s", v);
    if ((v = dm_json_str(r.json, "token"))) snprintf(out->token, sizeof out->token, "%s", v);
    dh_response_free(&r);
    return 0;
}

int dh_uninstall(dh_mock *m, const char *installation_id)
{
    dh_report_reset(m);
    char path[128];
    snprintf(path, sizeof path, "/mock/v1/installations/%s", installation_id);
    return dh_ok(m, "DELETE", path, NULL, NULL, NULL);
}

/* ==== Acting on Desk ==== */

static int write_id(dh_mock *m, const char *method, const char *path, const char *as,
                    const char *json, char *id_out)
{
    dh_report_reset(m);
    dh_response r;
    if (dh_ok(m, method, path, as, json, &r)) return -1;
    if (id_out)
        snprintf(id_out, 32, "%s", dm_json_str(r.json, "id") ? dm_json_str(r.json, "id") : "");
    dh_response_free(&r);
    return 0;
}

int dh_ticket_create(dh_mock *m, const char *as, const char *json, char *id_out)
{
    return write_id(m, "POST", "/api/v1/tickets", as, json, id_out);
}

int dh_ticket_update(dh_mock *m, const char *as, const char *ticket_id, const char *json)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/tickets/%s", ticket_id);
    return write_id(m, "PATCH", path, as, json, NULL);
}

int dh_comment_add(dh_mock *m, const char *as, const char *ticket_id, const char *json,
                   char *id_out)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/tickets/%s/comments", ticket_id);
    return write_id(m, "POST", path, as, json, id_out);
}

int dh_reply(dh_mock *m, const char *as, const char *ticket_id, const char *content)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/tickets/%s/sendReply", ticket_id);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "channel", "EMAIL");
    cJSON_AddStringToObject(b, "to", "customer@example.com");
    cJSON_AddStringToObject(b, "fromEmailAddress", "support@zylker.zohodesk.com");
    cJSON_AddStringToObject(b, "content", content);
    char *body = dm_json_print(b);
    cJSON_Delete(b);
    int rc = write_id(m, "POST", path, as, body, NULL);
    free(body);
    return rc;
}

/* ==== Events, faults, stubs, settings, clock ==== */

int dh_trigger(dh_mock *m, const char *request_json, uint64_t *first_event)
{
    dh_report_reset(m);
    dh_response r;
    if (dh_ok(m, "POST", "/mock/v1/events", NULL, request_json, &r)) return -1;
    const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r.json, "events"), 0);
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(ev, "seq");
    if (first_event) *first_event = cJSON_IsNumber(seq) ? (uint64_t)seq->valuedouble : 0;
    dh_response_free(&r);
    return 0;
}

int dh_fixture(dh_mock *m, const char *name, const char *set_json, uint64_t *first_event)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "fixture", name);
    if (set_json) {
        cJSON *set = NULL;
        if (dm_json_parse(set_json, strlen(set_json), &set, NULL, 0)) {
            dh_report_reset(m);
            dh_reportf(m, "set_json is not JSON: %s\n", set_json);
            cJSON_Delete(b);
            return -1;
        }
        cJSON_AddItemToObject(b, "set", set);
    }
    char *body = dm_json_print(b);
    cJSON_Delete(b);
    int rc = dh_trigger(m, body, first_event);
    free(body);
    return rc;
}

int dh_faults(dh_mock *m, const char *json)
{
    dh_report_reset(m);
    return dh_ok(m, "PUT", "/mock/v1/faults", NULL, json, NULL);
}

int dh_stub(dh_mock *m, const char *json)
{
    dh_report_reset(m);
    return dh_ok(m, "POST", "/mock/v1/invoke-stubs", NULL, json, NULL);
}

int dh_settings(dh_mock *m, const char *json)
{
    dh_report_reset(m);
    dh_response r;
    if (dh_ok(m, "PUT", "/mock/v1/settings", NULL, json, &r)) return -1;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(r.json, "deliveryTimeoutMs");
    if (cJSON_IsNumber(t)) m->timeout_ms = (int64_t)t->valuedouble;
    dh_response_free(&r);
    return 0;
}

int dh_clock_advance(dh_mock *m, int64_t ms)
{
    dh_report_reset(m);
    char body[64];
    snprintf(body, sizeof body, "{\"advanceMs\":%lld}", (long long)ms);
    return dh_ok(m, "POST", "/mock/v1/clock", NULL, body, NULL);
}

int dh_reset(dh_mock *m)
{
    dh_report_reset(m);
    return dh_ok(m, "POST", "/mock/v1/reset", NULL, "{}", NULL);
}

int dh_forge(dh_mock *m, const char *webhook_id, const char *jwt, const char *query_json,
             const char *events_json, const char *raw_body, long *status, uint64_t *forged)
{
    dh_report_reset(m);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "webhookId", webhook_id);
    cJSON_AddStringToObject(b, "jwt", jwt ? jwt : "valid");
    cJSON *q = NULL, *ev = NULL;
    if (query_json && dm_json_parse(query_json, strlen(query_json), &q, NULL, 0) == 0)
        cJSON_AddItemToObject(b, "query", q);
    if (events_json && dm_json_parse(events_json, strlen(events_json), &ev, NULL, 0) == 0)
        cJSON_AddItemToObject(b, "events", ev);
    if (raw_body) cJSON_AddStringToObject(b, "body", raw_body);
    dh_response r;
    int rc = dh_ok_json(m, "POST", "/mock/v1/deliveries", NULL, b, &r);
    cJSON_Delete(b);
    if (rc) return -1;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(r.json, "status");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(r.json, "forged");
    if (status) *status = cJSON_IsNumber(s) ? (long)s->valuedouble : 0;
    if (forged) *forged = cJSON_IsNumber(f) ? (uint64_t)f->valuedouble : 0;
    dh_response_free(&r);
    return 0;
}

/* ==== The journal ==== */

uint64_t dh_mark(dh_mock *m)
{
    dh_response r;
    uint64_t seq = 0;
    if (dh_http(m, "GET", "/mock/v1/health", NULL, NULL, 10000, &r) == 0) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(r.json, "lastSeq");
        if (cJSON_IsNumber(s)) seq = (uint64_t)s->valuedouble;
    }
    dh_response_free(&r);
    return seq;
}

/* One page of records (at most DH_PAGE); *last, when given, gets the
 * journal's last seq at the time of the answer. */
#define DH_PAGE 2000

static cJSON *journal_page(dh_mock *m, uint64_t after, const char *kinds, int wait_ms, int limit,
                           uint64_t *last)
{
    char path[512];
    snprintf(path, sizeof path, "/mock/v1/journal?after=%llu&limit=%d%s%s&wait=%d",
             (unsigned long long)after, limit, kinds ? "&kind=" : "", kinds ? kinds : "", wait_ms);
    dh_response r;
    if (dh_http(m, "GET", path, NULL, NULL, wait_ms + 30000L, &r) || r.status != 200) {
        dh_response_free(&r);
        return cJSON_CreateArray();
    }
    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(r.json, "lastSeq");
    if (last && cJSON_IsNumber(ls)) *last = (uint64_t)ls->valuedouble;
    cJSON *data = cJSON_DetachItemFromObjectCaseSensitive(r.json, "data");
    dh_response_free(&r);
    return data ? data : cJSON_CreateArray();
}

cJSON *dh_journal_wait(dh_mock *m, uint64_t after, const char *kinds, int wait_ms)
{
    return journal_page(m, after, kinds, wait_ms, DH_PAGE, NULL);
}

uint64_t dh_journal_quiet(dh_mock *m, uint64_t after, int quiet_ms, int cap_ms)
{
    int64_t end = dm_mono_ms() + cap_ms;
    uint64_t cursor = after;
    while (dm_mono_ms() < end) {
        uint64_t last = cursor;
        /* one record is enough to know something happened; lastSeq says up to where */
        cJSON *got = journal_page(m, cursor, NULL, quiet_ms, 1, &last);
        int n = cJSON_GetArraySize(got);
        cJSON_Delete(got);
        if (!n) break;
        cursor = last > cursor ? last : cursor + 1;
    }
    return cursor;
}

cJSON *dh_journal(dh_mock *m, uint64_t after, const char *kinds)
{
    cJSON *all = cJSON_CreateArray();
    for (;;) {
        cJSON *page = journal_page(m, after, kinds, 0, DH_PAGE, NULL);
        int n = cJSON_GetArraySize(page);
        if (n)
            after =
                (uint64_t)cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(page, n - 1), "seq")
                    ->valuedouble;
        cJSON *r;
        while ((r = cJSON_DetachItemFromArray(page, 0)))
            cJSON_AddItemToArray(all, r);
        cJSON_Delete(page);
        if (n < DH_PAGE) break;
    }
    return all;
}

void curl_global_init_noargs(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}
