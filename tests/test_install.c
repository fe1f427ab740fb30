/* test_install.c -- POST/GET/DELETE /mock/v1/installations over loopback:
 * the doc-example extension installed against a real receiver (the unsigned
 * check GET, the onDeskAuthorise callback, the webhook with orgId and
 * securityContext in its URL), who may change the extension's webhook,
 * departments chosen at install, refused installs that create nothing, and
 * uninstalling (webhook gone, securityContext revoked). */
#include "hooks.h"
#include "invoke/invoke.h"

#include <curl/curl.h>

#define DOC_EXAMPLE DM_SOURCE_DIR "/fixtures/extensions/doc-example"
#define DOC_SECRET  "d3m0-s3cr3t-5a7c1e9b2f4d6a8c"

typedef struct fx {
    dmt_mock *m;
    dmt_recv *r;
    cJSON *inst; /* the last 201 answer, or NULL */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->m = dmt_mock_start(NULL);
    f->r = dmt_recv_start();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dmt_mock_stop(f->m);
    dmt_recv_stop(f->r);
    cJSON_Delete(f->inst);
    free(f);
    return 0;
}

/* POST /mock/v1/installations with body (printf-style). */
static dmt_resp install_raw(fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static dmt_resp install_raw(fx *f, const char *fmt, ...)
{
    char body[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return dmt_ctl(f->m, "POST", "/mock/v1/installations", body);
}

/* Installs doc-example with webhookUrl <receiver><hook_path> and extra
 * members (each starting with a comma); asserts 201 and keeps the answer. */
static const cJSON *install_ok(fx *f, const char *hook_path, const char *extra)
{
    dmt_resp r = install_raw(f, "{\"extension\":\"%s\",\"webhookUrl\":\"%s%s\"%s}", DOC_EXAMPLE,
                             dmt_recv_url(f->r), hook_path, extra ? extra : "");
    dmh_status(&r, 201);
    cJSON_Delete(f->inst);
    f->inst = dmh_take(&r);
    return f->inst;
}

static int is_hex64(const char *s)
{
    if (!s || strlen(s) != 64) return 0;
    for (; *s; s++)
        if (!strchr("0123456789abcdef", *s)) return 0;
    return 1;
}

/* The webhook with id in GET /api/v1/webhooks (owned copy), or NULL. */
static cJSON *listed_webhook(dmt_mock *m, const char *id)
{
    dmt_resp r = dmt_api(m, "GET", "/api/v1/webhooks", DMT_ADMIN, NULL);
    const cJSON *w, *hit = NULL;
    cJSON_ArrayForEach(w, dmh_data(&r))
        if (strcmp(dmt_str(w, "id"), id) == 0) hit = w;
    cJSON *out = hit ? cJSON_Duplicate(hit, 1) : NULL;
    dmt_resp_free(&r);
    return out;
}

static int count_listed_webhooks(dmt_mock *m)
{
    dmt_resp r = dmt_api(m, "GET", "/api/v1/webhooks", DMT_ADMIN, NULL);
    int n = cJSON_GetArraySize(dmh_data(&r));
    dmt_resp_free(&r);
    return n;
}

static int count_installations(dmt_mock *m)
{
    dmt_resp r = dmt_ctl(m, "GET", "/mock/v1/installations", NULL);
    int n = cJSON_GetArraySize(dmh_data(&r));
    dmt_resp_free(&r);
    return n;
}

/* A minimal valid invoke GET of the mock's own ticket with ctx. */
static dmt_resp invoke_get(dmt_mock *m, const char *ctx)
{
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/tickets/%s", m->url, DMT_TICKET);
    return dmt_invoke_get(m, DOC_SECRET, ctx, url, NULL);
}

/* ==== Installing ==== */

static void install_checks_url_unsigned_and_calls_authorise_with_context(void **state)
{
    fx *f = *state;
    char extra[512];
    snprintf(extra, sizeof extra, ",\"callbackUrls\":{\"onDeskAuthorise\":\"%s/authorise\"}",
             dmt_recv_url(f->r));
    const cJSON *in = install_ok(f, "/hook", extra);
    const char *ctx = dmt_str(in, "securityContext");
    assert_true(is_hex64(ctx));
    assert_non_null(dmt_str(in, "installationId"));
    assert_non_null(dmt_str(in, "webhookId"));
    assert_non_null(dmt_str(in, "token"));

    /* the check GET came first, unsigned, at the final URL */
    assert_int_equal(dmt_recv_count(f->r, "GET"), 1);
    const dmt_hit *g = dmt_recv_hit(f->r, "GET", 0);
    assert_null(g->jwt);
    char want[512];
    snprintf(want, sizeof want, "/hook?orgId=%s&securityContext=%s", DMT_ORG, ctx);
    assert_string_equal(g->url, want);

    /* the authorise callback: a POST with orgId and securityContext */
    assert_int_equal(dmt_recv_wait(f->r, "POST", 1, 5000), 1);
    const dmt_hit *p = dmt_recv_hit(f->r, "POST", 0);
    assert_string_equal(p->url, "/authorise");
    assert_non_null(p->json);
    assert_string_equal(dmt_str(p->json, "orgId"), DMT_ORG);
    assert_string_equal(dmt_str(p->json, "securityContext"), ctx);
    assert_string_equal(dmt_str(p->json, "installationId"), dmt_str(in, "installationId"));
}

static void install_lists_webhook_with_org_and_context_appended(void **state)
{
    fx *f = *state;
    const cJSON *in = install_ok(f, "/hook", "");
    cJSON *w = listed_webhook(f->m, dmt_str(in, "webhookId"));
    assert_non_null(w);
    char want[512];
    snprintf(want, sizeof want, "%s/hook?orgId=%s&securityContext=%s", dmt_recv_url(f->r), DMT_ORG,
             dmt_str(in, "securityContext"));
    assert_string_equal(dmt_str(w, "url"), want);
    cJSON_Delete(w);
}

static void install_appends_with_ampersand_when_url_has_query(void **state)
{
    fx *f = *state;
    const cJSON *in = install_ok(f, "/hook?tenant=7", "");
    cJSON *w = listed_webhook(f->m, dmt_str(in, "webhookId"));
    assert_non_null(w);
    char want[512];
    snprintf(want, sizeof want, "%s/hook?tenant=7&orgId=%s&securityContext=%s", dmt_recv_url(f->r),
             DMT_ORG, dmt_str(in, "securityContext"));
    assert_string_equal(dmt_str(w, "url"), want);
    cJSON_Delete(w);
}

static void extension_webhook_changes_only_with_extension_token(void **state)
{
    fx *f = *state;
    const cJSON *in = install_ok(f, "/hook", "");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s", dmt_str(in, "webhookId"));
    const char *patch = "{\"description\":\"changed\"}";
    /* the admin has the events scopes, so it meets the ownership rule; the
     * default org's agent lacks Desk.events.*, so the scope check (which
     * comes first, as on Desk) refuses it before ownership is looked at */
    const char *others[] = {DMT_ADMIN, DMT_AGENT};
    const char *codes[] = {"FORBIDDEN", "SCOPE_MISMATCH"};
    for (int i = 0; i < 2; i++) {
        dmt_resp r = dmt_api(f->m, "PATCH", path, others[i], patch);
        dmt_assert_error(&r, 403, codes[i]);
        dmt_resp_free(&r);
        r = dmt_api(f->m, "DELETE", path, others[i], NULL);
        dmt_assert_error(&r, 403, codes[i]);
        dmt_resp_free(&r);
    }
    dmt_resp r = dmt_api(f->m, "PATCH", path, dmt_str(in, "token"), patch);
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    cJSON *w = listed_webhook(f->m, dmt_str(in, "webhookId"));
    assert_non_null(w);
    assert_string_equal(dmt_str(w, "description"), "changed");
    cJSON_Delete(w);
}

static void ticket_in_unchosen_department_is_not_delivered(void **state)
{
    fx *f = *state;
    const cJSON *in = install_ok(f, "/hook", ",\"departments\":[\"" DMT_DEPT_BILLING "\"]");
    const char *wid = dmt_str(in, "webhookId");

    uint64_t before = dmh_last_seq(f->m);
    dmt_resp t = dmt_api(f->m, "POST", "/api/v1/tickets", DMT_ADMIN,
                         "{\"subject\":\"In Support\",\"departmentId\":\"" DMT_DEPT_SUPPORT
                         "\",\"contactId\":\"" DMT_CONTACT "\"}");
    dmh_status(&t, 200);
    dmt_resp_free(&t);
    cJSON *ev = dmh_one_event(f->m, before);
    assert_string_equal(dmt_str(ev, "eventType"), "Ticket_Add");
    const cJSON *mine =
        dmh_find(cJSON_GetObjectItemCaseSensitive(ev, "webhooks"), "webhookId", wid);
    assert_non_null(mine);
    assert_string_equal(dmt_str(mine, "fate"), "withheld");
    assert_string_equal(dmt_str(mine, "rule"), "department");
    assert_string_equal(dmt_str(mine, "reason"), "department not chosen");
    cJSON_Delete(ev);

    /* a ticket in the chosen department is delivered */
    before = dmh_last_seq(f->m);
    t = dmt_api(f->m, "POST", "/api/v1/tickets", DMT_ADMIN,
                "{\"subject\":\"In Billing\",\"departmentId\":\"" DMT_DEPT_BILLING
                "\",\"contactId\":\"" DMT_CONTACT "\"}");
    dmh_status(&t, 200);
    dmt_resp_free(&t);
    ev = dmh_one_event(f->m, before);
    mine = dmh_find(cJSON_GetObjectItemCaseSensitive(ev, "webhooks"), "webhookId", wid);
    assert_non_null(mine);
    assert_string_equal(dmt_str(mine, "fate"), "queued");
    cJSON_Delete(ev);
    assert_int_equal(dmt_recv_wait(f->r, "POST", 1, 5000), 1);
    const cJSON *el = dmh_only_element(dmt_recv_hit(f->r, "POST", 0));
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Add");
    assert_string_equal(dmt_str(cJSON_GetObjectItemCaseSensitive(el, "payload"), "departmentId"),
                        DMT_DEPT_BILLING);
}

/* ==== Refused installs ==== */

static void failing_url_check_refuses_install_and_creates_nothing(void **state)
{
    fx *f = *state;
    dmt_recv_set_get_status(f->r, 500);
    dmt_recv_set_status(f->r, 503); /* the check's POST fallback fails too */
    dmt_resp r = install_raw(f, "{\"extension\":\"%s\",\"webhookUrl\":\"%s/hook\"}", DOC_EXAMPLE,
                             dmt_recv_url(f->r));
    const char *msg = dmh_field_error(&r, "/webhookUrl", "invalid");
    char url[256];
    snprintf(url, sizeof url, "%s/hook?orgId=%s", dmt_recv_url(f->r), DMT_ORG);
    if (!strstr(msg, url)) fail_msg("message does not name %s: %s", url, msg);
    if (!strstr(msg, "GET with 500") || !strstr(msg, "POST with 503")) fail_msg("%s", msg);
    dmt_resp_free(&r);
    assert_int_equal(dmt_recv_count(f->r, "GET"), 1);
    assert_int_equal(dmt_recv_count(f->r, "POST"), 1);
    assert_int_equal(count_installations(f->m), 0);
    assert_int_equal(count_listed_webhooks(f->m), 0);
}

static void invalid_extension_gives_validator_message(void **state)
{
    fx *f = *state;
    const char *dir = DM_SOURCE_DIR "/fixtures/extensions/invalid/event-type-typo";
    char path[512];
    snprintf(path, sizeof path, "%s/expected.txt", dir);
    char *expected = dmt_read_file(path, NULL);
    assert_non_null(expected);
    char *nl = strchr(expected, '\n');
    if (nl) *nl = '\0';
    dmt_resp r = install_raw(f, "{\"extension\":\"%s\",\"webhookUrl\":\"%s/hook\"}", dir,
                             dmt_recv_url(f->r));
    dmt_assert_error(&r, 422, "INVALID_DATA");
    const cJSON *e;
    int found = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r.json, "errors"))
        found |= strcmp(dmt_str(e, "errorMessage"), expected) == 0;
    if (!found) fail_msg("no error \"%s\" in %s", expected, r.body);
    dmt_resp_free(&r);
    free(expected);
    assert_int_equal(dmt_recv_count(f->r, NULL), 0);
    assert_int_equal(count_installations(f->m), 0);
}

static void non_loopback_declared_url_without_webhook_url_is_refused(void **state)
{
    fx *f = *state;
    dmt_resp r = install_raw(f, "{\"extension\":\"%s\"}", DOC_EXAMPLE);
    const char *msg = dmh_field_error(&r, "/webhookUrl", "missing");
    assert_non_null(strstr(msg, "https://demowebhook.com/callbackurl"));
    dmt_resp_free(&r);
    assert_int_equal(count_installations(f->m), 0);
    assert_int_equal(count_listed_webhooks(f->m), 0);
}

/* ==== Uninstalling ==== */

static void uninstall_removes_webhook_and_revokes_context(void **state)
{
    fx *f = *state;
    const cJSON *in = install_ok(f, "/hook", "");
    const char *ctx = dmt_str(in, "securityContext");

    /* the context works while installed */
    dmt_resp r = invoke_get(f->m, ctx);
    dmh_status(&r, 200);
    dmt_resp_free(&r);

    char path[128], wpath[128];
    snprintf(path, sizeof path, "/mock/v1/installations/%s", dmt_str(in, "installationId"));
    snprintf(wpath, sizeof wpath, "/api/v1/webhooks/%s", dmt_str(in, "webhookId"));
    r = dmt_ctl(f->m, "DELETE", path, NULL);
    dmh_status(&r, 204);
    dmt_resp_free(&r);

    r = dmt_api(f->m, "GET", wpath, DMT_ADMIN, NULL);
    dmh_status(&r, 404);
    dmt_resp_free(&r);
    assert_int_equal(count_listed_webhooks(f->m), 0);

    r = dmt_ctl(f->m, "DELETE", path, NULL);
    dmh_status(&r, 404);
    dmt_resp_free(&r);

    r = invoke_get(f->m, ctx);
    dmt_assert_error(&r, 401, "SECURITY_CONTEXT_REVOKED");
    dmt_resp_free(&r);

    /* the extension token is gone too */
    r = dmt_api(f->m, "GET", "/api/v1/tickets/" DMT_TICKET, dmt_str(in, "token"), NULL);
    dmh_status(&r, 401);
    dmt_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(install_checks_url_unsigned_and_calls_authorise_with_context),
        T(install_lists_webhook_with_org_and_context_appended),
        T(install_appends_with_ampersand_when_url_has_query),
        T(extension_webhook_changes_only_with_extension_token),
        T(ticket_in_unchosen_department_is_not_delivered),
        T(failing_url_check_refuses_install_and_creates_nothing),
        T(invalid_extension_gives_validator_message),
        T(non_loopback_declared_url_without_webhook_url_is_refused),
        T(uninstall_removes_webhook_and_revokes_context),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
