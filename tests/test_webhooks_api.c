/* test_webhooks_api.c -- /api/v1/webhooks over loopback: list, create, get,
 * PATCH, DELETE; validation errors named by JSON pointer; the 20-webhook
 * limit and the Enterprise edition's 10 enabled; the unsigned GET check on
 * create and on a URL change; scopes; a deleted webhook gets nothing more. */
#include "hooks.h"

#include <curl/curl.h>

#define SUBS "{\"Ticket_Update\":{\"includePrevState\":true}}"

/* ==== A receiver that holds URL checks until released ==== */

/* The shared receiver, counting only: every request with the held method
 * waits until the test releases it, so two creates can be caught with both
 * URL checks in flight, or a delivery while it is in flight. Others are
 * answered 200 at once. */
static dmt_recv *latch_start(const char *hold)
{
    dmt_recv_opts o = {.count_only = 1, .answer = ""};
    dmt_recv *l = dmt_recv_start_with(&o);
    dmt_recv_hold(l, hold);
    return l;
}

typedef struct fx {
    dmt_mock *m;
    dmt_recv *r[3];
    dmt_recv *l;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (int i = 0; i < 3; i++)
        f->r[i] = dmt_recv_start();
    dm_app_opts o = {0};
    o.clock_virtual = 1;
    o.clock_start = DMH_T0;
    f->m = dmt_mock_start(&o);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dmt_mock_stop(f->m);
    for (int i = 0; i < 3; i++)
        dmt_recv_stop(f->r[i]);
    dmt_recv_stop(f->l);
    free(f);
    return 0;
}

/* ==== Helpers ==== */

static dmt_resp create(fx *f, const char *body)
{
    return dmt_api(f->m, "POST", "/api/v1/webhooks", DMT_ADMIN, body);
}

static dmt_resp on_webhook(fx *f, const char *method, const char *id, const char *token,
                           const char *body)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s", id);
    return dmt_api(f->m, method, path, token, body);
}

static int list_size(fx *f)
{
    dmt_resp r = dmt_api(f->m, "GET", "/api/v1/webhooks", DMT_ADMIN, NULL);
    dmh_status(&r, 200);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(r.json, "data");
    assert_true(cJSON_IsArray(data));
    int n = cJSON_GetArraySize(data);
    dmt_resp_free(&r);
    return n;
}

static int count_records(fx *f, const char *kind, uint64_t after)
{
    cJSON *recs = dmh_journal(f->m, "after=%llu&kind=%s", (unsigned long long)after, kind);
    int n = cJSON_GetArraySize(recs);
    cJSON_Delete(recs);
    return n;
}

static void body_for(char *out, size_t len, const char *url, const char *extra)
{
    snprintf(out, len, "{\"name\":\"hook\",\"url\":\"%s\",\"subscriptions\":" SUBS "%s}", url,
             extra);
}

/* ==== Create, read, update, delete ==== */

/* A create answers 200 with the webhook: a string id, what was sent, and the
 * defaults (enabled, includeEventsFrom []); GET and the list show the same. */
static void create_answers_the_webhook_and_get_and_list_show_it(void **state)
{
    fx *f = *state;
    char body[512];
    body_for(body, sizeof body, dmt_recv_url(f->r[0]),
             ",\"description\":\"ticket sync\",\"ignoreSourceId\":\"" DMH_UUID_A "\"");
    dmt_resp r = create(f, body);
    dmh_status(&r, 200);
    const char *id = dmt_str(r.json, "id");
    assert_non_null(id);
    assert_true(strlen(id) >= 17);
    assert_string_equal(dmt_str(r.json, "name"), "hook");
    assert_string_equal(dmt_str(r.json, "url"), dmt_recv_url(f->r[0]));
    assert_string_equal(dmt_str(r.json, "description"), "ticket sync");
    assert_string_equal(dmt_str(r.json, "ignoreSourceId"), DMH_UUID_A);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r.json, "isEnabled")));
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(r.json, "includeEventsFrom");
    assert_true(cJSON_IsArray(from) && cJSON_GetArraySize(from) == 0);
    cJSON *subs = cJSON_Parse(SUBS);
    assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(r.json, "subscriptions"), subs, 1));
    cJSON_Delete(subs);

    dmt_resp g = on_webhook(f, "GET", id, DMT_ADMIN, NULL);
    dmh_status(&g, 200);
    assert_true(cJSON_Compare(g.json, r.json, 1));
    dmt_resp l = dmt_api(f->m, "GET", "/api/v1/webhooks", DMT_ADMIN, NULL);
    dmh_status(&l, 200);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(l.json, "data");
    assert_int_equal(cJSON_GetArraySize(data), 1);
    assert_true(cJSON_Compare(cJSON_GetArrayItem(data, 0), r.json, 1));
    dmt_resp_free(&l);
    dmt_resp_free(&g);
    dmt_resp_free(&r);
}

/* PATCH changes only what it names; DELETE answers 204 with no body; then
 * GET is 404 and the list is empty. Each step is a "webhook" record. */
static void patch_then_delete_with_journal_records(void **state)
{
    fx *f = *state;
    uint64_t s0 = dmh_last_seq(f->m);
    char id[32];
    dmh_create(f->m, dmt_recv_url(f->r[0]), SUBS, "", id);
    dmt_resp p =
        on_webhook(f, "PATCH", id, DMT_ADMIN, "{\"name\":\"renamed\",\"isEnabled\":false}");
    dmh_status(&p, 200);
    assert_string_equal(dmt_str(p.json, "name"), "renamed");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(p.json, "isEnabled")));
    assert_string_equal(dmt_str(p.json, "url"), dmt_recv_url(f->r[0]));
    dmt_resp_free(&p);

    dmt_resp d = on_webhook(f, "DELETE", id, DMT_ADMIN, NULL);
    dmh_status(&d, 204);
    assert_int_equal(d.len, 0);
    dmt_resp_free(&d);
    dmt_resp g = on_webhook(f, "GET", id, DMT_ADMIN, NULL);
    dmt_assert_error(&g, 404, "URL_NOT_FOUND");
    dmt_resp_free(&g);
    assert_int_equal(list_size(f), 0);

    cJSON *recs = dmh_journal(f->m, "after=%llu&kind=webhook", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(recs), 3);
    static const char *const actions[] = {"create", "update", "delete"};
    for (int i = 0; i < 3; i++) {
        const cJSON *x = cJSON_GetArrayItem(recs, i);
        assert_string_equal(dmt_str(x, "action"), actions[i]);
        assert_string_equal(dmt_str(x, "id"), id);
    }
    cJSON_Delete(recs);
}

/* GET, PATCH and DELETE of an id that names no webhook are 404. */
static void unknown_webhook_id_is_404(void **state)
{
    fx *f = *state;
    static const char *const methods[] = {"GET", "PATCH", "DELETE"};
    for (int i = 0; i < 3; i++) {
        dmt_resp r = on_webhook(f, methods[i], "18920000000009999", DMT_ADMIN,
                                i == 1 ? "{\"name\":\"x\"}" : NULL);
        dmt_assert_error(&r, 404, "URL_NOT_FOUND");
        dmt_resp_free(&r);
    }
}

/* ==== The URL check ==== */

/* Creating sends the URL one GET with no X-ZDesk-JWT and no body. */
static void create_sends_an_unsigned_get_to_the_url(void **state)
{
    fx *f = *state;
    char id[32];
    dmh_create(f->m, dmt_recv_url(f->r[0]), SUBS, "", id);
    assert_int_equal(dmt_recv_count(f->r[0], "GET"), 1);
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 0);
    const dmt_hit *h = dmt_recv_hit(f->r[0], "GET", 0);
    assert_null(h->jwt);
    assert_int_equal(h->len, 0);
}

/* A URL that answers the GET with 500, or where nothing listens, fails the
 * create with 422 on /url; nothing is created and the check is journaled. */
static void create_fails_when_the_url_check_fails_and_creates_nothing(void **state)
{
    fx *f = *state;
    dmt_recv_set_get_status(f->r[0], 500);
    dmt_recv_set_status(f->r[0], 405);
    uint64_t s0 = dmh_last_seq(f->m);
    char body[512];
    body_for(body, sizeof body, dmt_recv_url(f->r[0]), "");
    dmt_resp r = create(f, body);
    const char *msg = dmh_field_error(&r, "/url", "invalid");
    if (!strstr(msg, "GET with 500") || !strstr(msg, "POST with 405")) fail_msg("%s", msg);
    dmt_resp_free(&r);
    assert_int_equal(dmt_recv_count(f->r[0], "GET"), 1);
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 1);
    assert_int_equal(list_size(f), 0);
    assert_int_equal(count_records(f, "webhook", s0), 0);
    cJSON *checks = dmh_journal(f->m, "after=%llu&kind=check", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(checks), 2);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(checks, 0), "method"), "GET");
    assert_int_equal(dmh_u64(cJSON_GetArrayItem(checks, 0), "status"), 500);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(checks, 1), "method"), "POST");
    assert_int_equal(dmh_u64(cJSON_GetArrayItem(checks, 1), "status"), 405);
    cJSON_Delete(checks);

    /* port 1 on loopback: nothing listens */
    body_for(body, sizeof body, "http://127.0.0.1:1/hook", "");
    r = create(f, body);
    dmh_field_error(&r, "/url", "invalid");
    dmt_resp_free(&r);
    assert_int_equal(list_size(f), 0);
}

/* A receiver that answers only POST registers: the GET's 405 is followed
 * by an unsigned POST of {} (JSON by default, form-encoded when the setting
 * says so), and its 200 passes; both attempts are journaled. A receiver that
 * answers the GET is never POSTed. */
static void post_only_and_get_only_receivers_both_register(void **state)
{
    fx *f = *state;
    dmt_recv_set_get_status(f->r[0], 405);
    uint64_t s0 = dmh_last_seq(f->m);
    char id[32];
    dmh_create(f->m, dmt_recv_url(f->r[0]), SUBS, "", id);
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 1);
    const dmt_hit *h = dmt_recv_hit(f->r[0], "POST", 0);
    assert_string_equal(h->body, "{}");
    assert_string_equal(h->content_type, "application/json");
    assert_null(h->jwt);
    cJSON *checks = dmh_journal(f->m, "after=%llu&kind=check", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(checks), 2);
    assert_int_equal(dmh_u64(cJSON_GetArrayItem(checks, 0), "status"), 405);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(checks, 1), "method"), "POST");
    assert_int_equal(dmh_u64(cJSON_GetArrayItem(checks, 1), "status"), 200);
    cJSON_Delete(checks);

    dmt_resp r = dmt_ctl(f->m, "PUT", "/mock/v1/settings", "{\"urlCheckPost\":\"form\"}");
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "urlCheckPost"), "form");
    dmt_resp_free(&r);
    dmt_recv_set_get_status(f->r[1], 404);
    dmh_create(f->m, dmt_recv_url(f->r[1]), SUBS, "", id);
    h = dmt_recv_hit(f->r[1], "POST", 0);
    assert_non_null(h);
    assert_string_equal(h->content_type, "application/x-www-form-urlencoded");

    /* a GET-only receiver: one check, no POST */
    dmt_recv *g = dmt_recv_start();
    s0 = dmh_last_seq(f->m);
    dmh_create(f->m, dmt_recv_url(g), SUBS, "", id);
    assert_int_equal(dmt_recv_count(g, "GET"), 1);
    assert_int_equal(dmt_recv_count(g, "POST"), 0);
    checks = dmh_journal(f->m, "after=%llu&kind=check", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(checks), 1);
    cJSON_Delete(checks);
    dmt_recv_stop(g);
}

/* A PATCH that changes the URL checks the new one: a 500 there is 422 and the
 * URL stays; a good one is checked once and taken. The same URL is not
 * checked again. */
static void patch_changing_the_url_checks_it_again(void **state)
{
    fx *f = *state;
    char id[32], body[256];
    dmh_create(f->m, dmt_recv_url(f->r[0]), SUBS, "", id);
    dmt_recv_set_get_status(f->r[1], 500);
    dmt_recv_set_status(f->r[1], 500);
    snprintf(body, sizeof body, "{\"url\":\"%s/moved\"}", dmt_recv_url(f->r[1]));
    dmt_resp r = on_webhook(f, "PATCH", id, DMT_ADMIN, body);
    dmh_field_error(&r, "/url", "invalid");
    dmt_resp_free(&r);
    assert_int_equal(dmt_recv_count(f->r[1], "GET"), 1);
    r = on_webhook(f, "GET", id, DMT_ADMIN, NULL);
    assert_string_equal(dmt_str(r.json, "url"), dmt_recv_url(f->r[0]));
    dmt_resp_free(&r);

    snprintf(body, sizeof body, "{\"url\":\"%s\"}", dmt_recv_url(f->r[2]));
    r = on_webhook(f, "PATCH", id, DMT_ADMIN, body);
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "url"), dmt_recv_url(f->r[2]));
    dmt_resp_free(&r);
    assert_int_equal(dmt_recv_count(f->r[2], "GET"), 1);
    assert_null(dmt_recv_hit(f->r[2], "GET", 0)->jwt);

    r = on_webhook(f, "PATCH", id, DMT_ADMIN, body); /* unchanged URL */
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    assert_int_equal(dmt_recv_count(f->r[2], "GET"), 1);
    assert_int_equal(dmt_recv_count(f->r[0], "GET"), 1);
}

/* ==== Validation ==== */

typedef struct bad_case {
    const char *body; /* %s: the receiver's URL */
    const char *field;
    const char *type;
    const char *says; /* substring of the message, or NULL */
} bad_case;

static const bad_case bad_cases[] = {
    {"{\"name\":\"123456789012345678901234567890123456789012345678901\",\"url\":\"%s\","
     "\"subscriptions\":{\"Ticket_Add\":null}}",
     "/name", "invalid", "50"},
    {"{\"name\":\"h\",\"url\":\"ftp://127.0.0.1/hook\",\"subscriptions\":{\"Ticket_Add\":null}}",
     "/url", "invalid", "http"},
    {"{\"name\":\"h\",\"url\":\"%s\",\"subscriptions\":{\"Ticket_Updte\":null}}",
     "/subscriptions/Ticket_Updte", "invalid", "did you mean Ticket_Update"},
    {"{\"name\":\"h\",\"url\":\"%s\",\"subscriptions\":{\"Ticket_Add\":{\"includePrevState\":true}}"
     "}",
     "/subscriptions/Ticket_Add/includePrevState", "invalid", NULL},
    {"{\"name\":\"h\",\"url\":\"%s\",\"subscriptions\":{\"Ticket_Add\":{\"fields\":[\"status\"]}}}",
     "/subscriptions/Ticket_Add/fields", "invalid", NULL},
    {"{\"name\":\"h\",\"url\":\"%s\",\"subscriptions\":{\"Ticket_Update\":{\"fields\":"
     "[\"status\",\"priority\",\"subject\",\"dueDate\",\"assigneeId\",\"cf_plan\"]}}}",
     "/subscriptions/Ticket_Update/fields", "invalid", "5"},
    {"{\"name\":\"h\",\"url\":\"%s\",\"subscriptions\":{\"Ticket_Thread_Add\":{\"direction\":"
     "\"both\"}}}",
     "/subscriptions/Ticket_Thread_Add/direction", "invalid", NULL},
    {"{\"name\":\"h\",\"url\":\"%s\",\"subscriptions\":{\"Ticket_Add\":null},"
     "\"ignoreSourceId\":\"not-a-uuid\"}",
     "/ignoreSourceId", "invalid", "UUID"},
    {"{\"name\":\"h\",\"url\":\"%s\",\"subscriptions\":{\"Ticket_Add\":{\"departmentIds\":[\"1\"]}}"
     "}",
     "/subscriptions/Ticket_Add/departmentIds", "invalid", NULL},
    {"{\"name\":\"h\",\"url\":\"%s\",\"subscriptions\":{\"Ticket_Add\":null},"
     "\"includeEventsFrom\":[\"HUMANS\"]}",
     "/includeEventsFrom", "invalid", "AUTOMATION"},
    {"{\"url\":\"%s\",\"subscriptions\":{\"Ticket_Add\":null}}", "/name", "missing", NULL},
    {"{\"name\":\"h\",\"url\":\"%s\",\"subscriptions\":{}}", "/subscriptions", "invalid", NULL},
};

/* Each invalid body is 422 INVALID_DATA naming the field by JSON pointer;
 * none creates anything or sends the URL check. */
static void invalid_bodies_name_the_field_by_json_pointer(void **state)
{
    fx *f = *state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        char body[1024];
        snprintf(body, sizeof body, bad_cases[i].body, dmt_recv_url(f->r[0]));
        dmt_resp r = create(f, body);
        const char *msg = dmh_field_error(&r, bad_cases[i].field, bad_cases[i].type);
        if (bad_cases[i].says && !strstr(msg, bad_cases[i].says))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, msg, bad_cases[i].says);
        dmt_resp_free(&r);
    }
    assert_int_equal(list_size(f), 0);
    assert_int_equal(dmt_recv_count(f->r[0], "GET"), 0);
}

/* Event type names are pointer tokens: "/" and "~" are escaped (RFC 6901). */
static void pointer_tokens_are_escaped(void **state)
{
    fx *f = *state;
    char body[512];
    snprintf(body, sizeof body,
             "{\"name\":\"h\",\"url\":\"%s\",\"subscriptions\":{\"Ticket/Add\":null,"
             "\"Ticket_Update\":{\"a~b\":1}}}",
             dmt_recv_url(f->r[0]));
    dmt_resp r = create(f, body);
    const char *msg = dmh_field_error(&r, "/subscriptions/Ticket~1Add", "invalid");
    assert_non_null(strstr(msg, "did you mean Ticket_Add"));
    dmh_field_error(&r, "/subscriptions/Ticket_Update/a~0b", "invalid");
    dmt_resp_free(&r);
}

/* The limits' other side: a 50-character name, five fields, direction "in",
 * includeEventsFrom ["AUTOMATION"] and an upper-case UUID are accepted. */
static void bodies_at_the_limits_are_accepted(void **state)
{
    fx *f = *state;
    char body[1024], id[32];
    snprintf(
        body, sizeof body,
        "{\"name\":\"12345678901234567890123456789012345678901234567890\",\"url\":\"%s\","
        "\"subscriptions\":{\"Ticket_Update\":{\"fields\":[\"status\",\"priority\",\"subject\","
        "\"dueDate\",\"cf_plan\"],\"includePrevState\":true,\"departmentIds\":[\"" DMT_DEPT_BILLING
        "\"]},\"Ticket_Thread_Add\":{\"direction\":\"in\"}},"
        "\"includeEventsFrom\":[\"AUTOMATION\"],"
        "\"ignoreSourceId\":\"3F2B8C1E-5A47-4D2E-9B61-0C8E7D9A1F20\"}",
        dmt_recv_url(f->r[0]));
    dmt_resp r = create(f, body);
    dmh_status(&r, 200);
    snprintf(id, sizeof id, "%s", dmt_str(r.json, "id"));
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(r.json, "includeEventsFrom");
    assert_string_equal(cJSON_GetArrayItem(from, 0)->valuestring, "AUTOMATION");
    dmt_resp_free(&r);
    /* PATCH validates like create */
    r = on_webhook(f, "PATCH", id, DMT_ADMIN,
                   "{\"subscriptions\":{\"Ticket_Add\":{\"includePrevState\":true}}}");
    dmh_field_error(&r, "/subscriptions/Ticket_Add/includePrevState", "invalid");
    dmt_resp_free(&r);
    r = on_webhook(f, "PATCH", id, DMT_ADMIN, "{\"bogus\":1}");
    dmh_field_error(&r, "/bogus", "invalid");
    dmt_resp_free(&r);
}

/* ==== Limits ==== */

/* Twenty webhooks (ten enabled, ten disabled) fit; the twenty-first is 422. */
static void at_most_twenty_webhooks(void **state)
{
    fx *f = *state;
    char id[32];
    for (int i = 0; i < 20; i++)
        dmh_create(f->m, dmt_recv_url(f->r[0]), SUBS, i < 10 ? "" : ",\"isEnabled\":false", id);
    assert_int_equal(list_size(f), 20);
    char body[512];
    body_for(body, sizeof body, dmt_recv_url(f->r[0]), ",\"isEnabled\":false");
    dmt_resp r = create(f, body);
    const char *msg = dmh_field_error(&r, "", "invalid");
    assert_non_null(strstr(msg, "20"));
    dmt_resp_free(&r);
    assert_int_equal(list_size(f), 20);
}

/* The default org is Enterprise: ten enabled webhooks; an eleventh enabled is
 * 422 on /isEnabled, a disabled one is fine but cannot be enabled until
 * another is disabled. */
static void enterprise_edition_allows_ten_enabled_webhooks(void **state)
{
    fx *f = *state;
    char ids[10][32], extra[32];
    for (int i = 0; i < 10; i++)
        dmh_create(f->m, dmt_recv_url(f->r[0]), SUBS, "", ids[i]);
    char body[512];
    body_for(body, sizeof body, dmt_recv_url(f->r[0]), "");
    dmt_resp r = create(f, body);
    const char *msg = dmh_field_error(&r, "/isEnabled", "invalid");
    assert_non_null(strstr(msg, "10"));
    dmt_resp_free(&r);

    dmh_create(f->m, dmt_recv_url(f->r[0]), SUBS, ",\"isEnabled\":false", extra);
    r = on_webhook(f, "PATCH", extra, DMT_ADMIN, "{\"isEnabled\":true}");
    dmh_field_error(&r, "/isEnabled", "invalid");
    dmt_resp_free(&r);
    r = on_webhook(f, "PATCH", ids[0], DMT_ADMIN, "{\"isEnabled\":false}");
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    r = on_webhook(f, "PATCH", extra, DMT_ADMIN, "{\"isEnabled\":true}");
    dmh_status(&r, 200);
    dmt_resp_free(&r);
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* Sends two creates at once and answers their URL checks only when both
 * have arrived; returns each create's status. */
static void two_creates_in_flight(fx *f, const char *body, long status[2])
{
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/webhooks", f->m->url);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Authorization: Zoho-oauthtoken " DMT_ADMIN);
    h = curl_slist_append(h, "orgId: " DMT_ORG);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    CURLM *mh = curl_multi_init();
    CURL *e[2];
    for (int i = 0; i < 2; i++) {
        e[i] = curl_easy_init();
        curl_easy_setopt(e[i], CURLOPT_URL, url);
        curl_easy_setopt(e[i], CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(e[i], CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(e[i], CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e[i], CURLOPT_TIMEOUT_MS, 20000L);
        curl_multi_add_handle(mh, e[i]);
    }
    int running = 2;
    for (int spins = 0; dmt_recv_held(f->l) < 2; spins++) {
        if (spins > 400) fail_msg("the two URL checks never both arrived");
        curl_multi_perform(mh, &running);
        curl_multi_poll(mh, NULL, 0, 25, NULL);
    }
    dmt_recv_release(f->l);
    while (running) {
        curl_multi_perform(mh, &running);
        if (running) curl_multi_poll(mh, NULL, 0, 100, NULL);
    }
    for (int i = 0; i < 2; i++) {
        status[i] = 0;
        curl_easy_getinfo(e[i], CURLINFO_RESPONSE_CODE, &status[i]);
        curl_multi_remove_handle(mh, e[i]);
        curl_easy_cleanup(e[i]);
    }
    curl_multi_cleanup(mh);
    curl_slist_free_all(h);
}

static int enabled_count(fx *f)
{
    dmt_resp r = dmt_api(f->m, "GET", "/api/v1/webhooks", DMT_ADMIN, NULL);
    dmh_status(&r, 200);
    int n = 0;
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(r.json, "data"))
        n += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "isEnabled"));
    dmt_resp_free(&r);
    return n;
}

/* Two creates whose URL checks are in flight together cannot both take the
 * last enabled slot, nor the last of the twenty: one is 200, the other 422. */
static void creates_racing_their_url_checks_still_respect_the_limits(void **state)
{
    fx *f = *state;
    f->l = latch_start("GET");
    char id[32], body[512];
    for (int i = 0; i < 9; i++)
        dmh_create(f->m, dmt_recv_url(f->r[0]), SUBS, "", id);
    body_for(body, sizeof body, dmt_recv_url(f->l), "");
    long st[2];
    two_creates_in_flight(f, body, st);
    assert_int_equal(st[0] + st[1], 200 + 422);
    assert_int_equal(enabled_count(f), 10);

    for (int i = 0; i < 9; i++)
        dmh_create(f->m, dmt_recv_url(f->r[0]), SUBS, ",\"isEnabled\":false", id);
    assert_int_equal(list_size(f), 19);
    dmt_recv_hold(f->l, "GET");
    body_for(body, sizeof body, dmt_recv_url(f->l), ",\"isEnabled\":false");
    two_creates_in_flight(f, body, st);
    assert_int_equal(st[0] + st[1], 200 + 422);
    assert_int_equal(list_size(f), 20);
}

/* ==== Scopes ==== */

/* The agent's and the viewer's tokens lack Desk.events.*: every webhook call
 * is 403 SCOPE_MISMATCH and nothing changes. */
static void tokens_without_events_scopes_get_403_scope_mismatch(void **state)
{
    fx *f = *state;
    char id[32], body[512];
    dmh_create(f->m, dmt_recv_url(f->r[0]), SUBS, "", id);
    body_for(body, sizeof body, dmt_recv_url(f->r[0]), "");
    static const char *const tokens[] = {DMT_AGENT, DMT_VIEWER};
    for (int t = 0; t < 2; t++) {
        dmt_resp r = dmt_api(f->m, "GET", "/api/v1/webhooks", tokens[t], NULL);
        dmt_assert_error(&r, 403, "SCOPE_MISMATCH");
        dmt_resp_free(&r);
        r = dmt_api(f->m, "POST", "/api/v1/webhooks", tokens[t], body);
        dmt_assert_error(&r, 403, "SCOPE_MISMATCH");
        dmt_resp_free(&r);
        r = on_webhook(f, "GET", id, tokens[t], NULL);
        dmt_assert_error(&r, 403, "SCOPE_MISMATCH");
        dmt_resp_free(&r);
        r = on_webhook(f, "PATCH", id, tokens[t], "{\"name\":\"mine\"}");
        dmt_assert_error(&r, 403, "SCOPE_MISMATCH");
        dmt_resp_free(&r);
        r = on_webhook(f, "DELETE", id, tokens[t], NULL);
        dmt_assert_error(&r, 403, "SCOPE_MISMATCH");
        dmt_resp_free(&r);
    }
    assert_int_equal(list_size(f), 1);
    assert_int_equal(dmt_recv_count(f->r[0], "GET"), 1); /* only the admin's create checked */
}

/* ==== Deletion stops deliveries ==== */

/* After DELETE (204), an update reaches the other webhook but not the
 * deleted one: the event does not even consider it. */
static void deleted_webhook_gets_no_later_events(void **state)
{
    fx *f = *state;
    char gone[32], kept[32];
    dmh_create(f->m, dmt_recv_url(f->r[0]), SUBS, "", gone);
    dmh_create(f->m, dmt_recv_url(f->r[1]), SUBS, "", kept);
    dmt_resp d = on_webhook(f, "DELETE", gone, DMT_ADMIN, NULL);
    dmh_status(&d, 204);
    dmt_resp_free(&d);
    uint64_t s0 = dmh_last_seq(f->m);
    dmt_resp r =
        dmt_api(f->m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"priority\":\"Low\"}");
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    cJSON *fates = dmh_wait_fates(f->m, s0, 1);
    assert_int_equal(cJSON_GetArraySize(fates), 1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(fates, 0), "webhookId"), kept);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(fates, 0), "fate"), "delivered");
    cJSON_Delete(fates);
    cJSON *ev = dmh_one_event(f->m, s0);
    const cJSON *hooks = cJSON_GetObjectItemCaseSensitive(ev, "webhooks");
    assert_int_equal(cJSON_GetArraySize(hooks), 1);
    assert_null(dmh_find(hooks, "webhookId", gone));
    cJSON_Delete(ev);
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 0);
    assert_int_equal(dmt_recv_count(f->r[1], "POST"), 1);
}

/* DELETE while a POST is in flight: the transfer is abandoned, journaled as
 * an "aborted" attempt (the receiver may have the POST), and the event's one
 * fate is "dropped" ("webhook deleted") after that one attempt. */
static void delete_during_a_delivery_drops_the_event_in_flight(void **state)
{
    fx *f = *state;
    f->l = latch_start("POST");
    char id[32];
    dmh_create(f->m, dmt_recv_url(f->l), SUBS, "", id);
    uint64_t s0 = dmh_last_seq(f->m);
    dmt_resp r =
        dmt_api(f->m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"priority\":\"Low\"}");
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    assert_int_equal(dmt_recv_wait(f->l, "POST", 1, 10000), 1);
    r = on_webhook(f, "DELETE", id, DMT_ADMIN, NULL);
    dmh_status(&r, 204);
    dmt_resp_free(&r);
    dmt_recv_release(f->l);
    cJSON *fates = dmh_wait_fates(f->m, s0, 1);
    assert_int_equal(cJSON_GetArraySize(fates), 1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(fates, 0), "fate"), "dropped");
    assert_string_equal(dmt_str(cJSON_GetArrayItem(fates, 0), "reason"), "webhook deleted");
    const cJSON *tries = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(fates, 0), "attempts");
    assert_true(cJSON_IsNumber(tries) && tries->valuedouble == 1);
    cJSON_Delete(fates);
    assert_int_equal(count_records(f, "attempt", s0), 1);
    assert_int_equal(list_size(f), 0);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(create_answers_the_webhook_and_get_and_list_show_it),
        T(patch_then_delete_with_journal_records),
        T(unknown_webhook_id_is_404),
        T(create_sends_an_unsigned_get_to_the_url),
        T(create_fails_when_the_url_check_fails_and_creates_nothing),
        T(patch_changing_the_url_checks_it_again),
        T(post_only_and_get_only_receivers_both_register),
        T(invalid_bodies_name_the_field_by_json_pointer),
        T(pointer_tokens_are_escaped),
        T(bodies_at_the_limits_are_accepted),
        T(at_most_twenty_webhooks),
        T(enterprise_edition_allows_ten_enabled_webhooks),
        T(creates_racing_their_url_checks_still_respect_the_limits),
        T(tokens_without_events_scopes_get_403_scope_mismatch),
        T(deleted_webhook_gets_no_later_events),
        T(delete_during_a_delivery_drops_the_event_in_flight),
    };
#undef T
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
