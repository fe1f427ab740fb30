/* test_invoke.c -- POST /api/v1/invoke over loopback, as an installed
 * doc-example extension calls it: HASH, each distinct error, Desk URLs (the
 * mock's own and desk.zoho.<dc>) served as the extension with its sourceId,
 * {{installationId}} with configParams, stubs with a delay, unstubbed URLs,
 * passthrough to loopback only, and injected faults on Desk URLs. */
#include "hooks.h"
#include "invoke/invoke.h"
#include "util/buf.h"

#include <curl/curl.h>
#include <strings.h>
#include <time.h>

#define DOC_EXAMPLE DM_SOURCE_DIR "/fixtures/extensions/doc-example"
#define DOC_SECRET  "d3m0-s3cr3t-5a7c1e9b2f4d6a8c"
#define DOC_IGNORE  "2df92c1a-973a-48f5-95b7-5792c68b9c36"

typedef struct fx {
    dmt_mock *m;
    dmt_recv *r;  /* the extension's webhook */
    dmt_recv *r2; /* a second receiver: a REST webhook, passthrough target */
    char ctx[80], id[32], wid[32], token[96];
} fx;

static int start(void **state, int passthrough)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    dm_app_opts o = {0};
    o.invoke_passthrough = passthrough;
    f->m = dmt_mock_start(&o);
    f->r = dmt_recv_start();
    f->r2 = dmt_recv_start();
    *state = f;
    char body[1024];
    snprintf(body, sizeof body, "{\"extension\":\"%s\",\"webhookUrl\":\"%s/hook\"}", DOC_EXAMPLE,
             dmt_recv_url(f->r));
    dmt_resp r = dmt_ctl(f->m, "POST", "/mock/v1/installations", body);
    dmh_status(&r, 201);
    snprintf(f->ctx, sizeof f->ctx, "%s", dmt_str(r.json, "securityContext"));
    snprintf(f->id, sizeof f->id, "%s", dmt_str(r.json, "installationId"));
    snprintf(f->wid, sizeof f->wid, "%s", dmt_str(r.json, "webhookId"));
    snprintf(f->token, sizeof f->token, "%s", dmt_str(r.json, "token"));
    dmt_resp_free(&r);
    return 0;
}

static int setup(void **state)
{
    return start(state, 0);
}

static int setup_passthrough(void **state)
{
    return start(state, 1);
}

static int teardown(void **state)
{
    fx *f = *state;
    dmt_mock_stop(f->m);
    dmt_recv_stop(f->r);
    dmt_recv_stop(f->r2);
    free(f);
    return 0;
}

/* ==== Calling invoke ==== */

typedef struct call {
    const char *org;          /* NULL: DMT_ORG; "" : no orgId at all */
    const char *ctx;          /* NULL: the fixture's */
    const char *url;          /* requestURL */
    const char *type;         /* requestType; NULL: GET */
    const char *post;         /* postBody or NULL */
    const char *headers;      /* headers JSON or NULL */
    const char *secret;       /* NULL: the manifest's */
    int no_hash;              /* send no HASH header */
    int omit_type;            /* leave requestType out */
    const char *content_type; /* NULL: the form type */
} call;

static dmt_resp invoke(fx *f, const call *c)
{
    const char *names[] = {"securityContext", "requestURL", "requestType", "postBody", "headers"};
    const char *vals[] = {c->ctx ? c->ctx : f->ctx, c->url,
                          c->omit_type ? NULL
                          : c->type    ? c->type
                                       : "GET",
                          c->post, c->headers};
    dm_kvs kv = {0};
    dm_buf form = {0};
    for (int i = 0; i < 5; i++) {
        if (!vals[i]) continue;
        dm_kvs_add(&kv, names[i], vals[i]);
        char *e = curl_easy_escape(NULL, vals[i], 0);
        dm_buf_printf(&form, "%s%s=%s", form.len ? "&" : "", names[i], e);
        curl_free(e);
    }
    char *in = dm_invoke_hash_input(&kv, DM_HASH_Q_SKIP);
    char hash[65], hh[80], ct[128], target[256];
    dm_invoke_hmac(c->secret ? c->secret : DOC_SECRET, in, strlen(in), hash);
    free(in);
    dm_kvs_free(&kv);
    snprintf(hh, sizeof hh, "HASH: %s", hash);
    snprintf(ct, sizeof ct, "Content-Type: %s",
             c->content_type ? c->content_type : "application/x-www-form-urlencoded");
    const char *org = c->org ? c->org : DMT_ORG;
    if (*org)
        snprintf(target, sizeof target, "%s/api/v1/invoke?orgId=%s", f->m->url, org);
    else
        snprintf(target, sizeof target, "%s/api/v1/invoke", f->m->url);
    const char *h[] = {ct, c->no_hash ? NULL : hh, NULL};
    dmt_resp r;
    assert_int_equal(dmt_http("POST", target, h, form.data ? form.data : "", form.len, &r), 0);
    dm_buf_free(&form);
    return r;
}

/* The parsed "response" of a 200 invoke answer (owned). */
static cJSON *inner(const dmt_resp *r)
{
    dmh_status(r, 200);
    const char *text = dmt_str(r->json, "response");
    assert_non_null(text);
    cJSON *o = cJSON_Parse(text);
    assert_non_null(o);
    return o;
}

static long inner_status(const cJSON *o)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "statusCode");
    assert_true(cJSON_IsNumber(s));
    return (long)s->valuedouble;
}

static const cJSON *message(const cJSON *o)
{
    return cJSON_GetObjectItemCaseSensitive(o, "statusMessage");
}

static void own_url(fx *f, char *out, size_t n, const char *path)
{
    snprintf(out, n, "%s%s", f->m->url, path);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the raw headers have a line starting with line (any case). */
static int has_header(const char *raw, const char *line)
{
    for (const char *p = raw; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncasecmp(p, line, strlen(line)) == 0) return 1;
    return 0;
}

/* ==== HASH ==== */

static void valid_hash_is_accepted(void **state)
{
    fx *f = *state;
    char url[256];
    own_url(f, url, sizeof url, "/api/v1/tickets/" DMT_TICKET);
    dmt_resp r = invoke(f, &(call){.url = url});
    cJSON *o = inner(&r);
    assert_int_equal(inner_status(o), 200);
    assert_string_equal(dmt_str(message(o), "id"), DMT_TICKET);
    cJSON_Delete(o);
    dmt_resp_free(&r);
}

static void wrong_hash_is_refused(void **state)
{
    fx *f = *state;
    char url[256];
    own_url(f, url, sizeof url, "/api/v1/tickets/" DMT_TICKET);
    dmt_resp r = invoke(f, &(call){.url = url, .secret = "not-the-secret"});
    dmt_assert_error(&r, 401, "INVALID_HASH");
    dmt_resp_free(&r);
    r = invoke(f, &(call){.url = url, .no_hash = 1});
    dmt_assert_error(&r, 401, "INVALID_HASH");
    dmt_resp_free(&r);
}

/* ==== Errors ==== */

static void non_form_body_is_415(void **state)
{
    fx *f = *state;
    dmt_resp r =
        invoke(f, &(call){.url = "https://api.example.com/x", .content_type = "application/json"});
    dmt_assert_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE");
    dmt_resp_free(&r);
}

static void missing_field_or_org_is_422_invalid_data(void **state)
{
    fx *f = *state;
    dmt_resp r = invoke(f, &(call){.url = "https://api.example.com/x", .omit_type = 1});
    dmh_field_error(&r, "requestType", "missing");
    dmt_resp_free(&r);
    r = invoke(f, &(call){.url = "https://api.example.com/x", .org = ""});
    dmh_field_error(&r, "orgId", "missing");
    dmt_resp_free(&r);
}

static void unknown_request_type_is_422_unsupported(void **state)
{
    fx *f = *state;
    dmt_resp r = invoke(f, &(call){.url = "https://api.example.com/x", .type = "HEAD"});
    dmt_assert_error(&r, 422, "UNSUPPORTED_REQUEST_TYPE");
    dmt_resp_free(&r);
}

static void unknown_security_context_is_401(void **state)
{
    fx *f = *state;
    dmt_resp r = invoke(
        f, &(call){.url = "https://api.example.com/x",
                   .ctx = "0000000000000000000000000000000000000000000000000000000000000000"});
    dmt_assert_error(&r, 401, "INVALID_SECURITY_CONTEXT");
    dmt_resp_free(&r);
}

static void uninstalled_security_context_is_401_revoked(void **state)
{
    fx *f = *state;
    char path[128];
    snprintf(path, sizeof path, "/mock/v1/installations/%s", f->id);
    dmt_resp r = dmt_ctl(f->m, "DELETE", path, NULL);
    dmh_status(&r, 204);
    dmt_resp_free(&r);
    r = invoke(f, &(call){.url = "https://api.example.com/x"});
    dmt_assert_error(&r, 401, "SECURITY_CONTEXT_REVOKED");
    dmt_resp_free(&r);
}

static void other_org_is_403_oauth_org_mismatch(void **state)
{
    fx *f = *state;
    dmt_resp r = invoke(f, &(call){.url = "https://api.example.com/x", .org = "70000000001"});
    dmt_assert_error(&r, 403, "OAUTH_ORG_MISMATCH");
    dmt_resp_free(&r);
}

static void unstubbed_url_is_502_naming_it(void **state)
{
    fx *f = *state;
    dmt_resp r = invoke(f, &(call){.url = "https://api.example.com/unstubbed"});
    dmt_assert_error(&r, 502, "NO_INVOKE_STUB");
    assert_non_null(strstr(r.body, "https://api.example.com/unstubbed"));
    dmt_resp_free(&r);
}

/* ==== Desk URLs ==== */

/* Adds a comment through invoke at url; asserts it exists afterwards. */
static void comment_through(fx *f, const char *url, const char *text)
{
    char post[256];
    snprintf(post, sizeof post, "{\"content\":\"%s\"}", text);
    dmt_resp r = invoke(f, &(call){.url = url, .type = "POST", .post = post});
    cJSON *o = inner(&r);
    assert_int_equal(inner_status(o), 200);
    const char *cid = dmt_str(message(o), "id");
    assert_non_null(cid);
    char path[256];
    snprintf(path, sizeof path, "/api/v1/tickets/%s/comments/%s", DMT_TICKET, cid);
    dmt_resp g = dmt_api(f->m, "GET", path, DMT_ADMIN, NULL);
    dmh_status(&g, 200);
    assert_string_equal(dmt_str(g.json, "content"), text);
    dmt_resp_free(&g);
    cJSON_Delete(o);
    dmt_resp_free(&r);
}

static void comment_added_through_mock_url_exists(void **state)
{
    fx *f = *state;
    char url[256];
    own_url(f, url, sizeof url, "/api/v1/tickets/" DMT_TICKET "/comments");
    comment_through(f, url, "via the mock URL");
}

static void comment_added_through_desk_zoho_eu_url_exists(void **state)
{
    fx *f = *state;
    comment_through(f, "https://desk.zoho.eu/api/v1/tickets/" DMT_TICKET "/comments",
                    "via desk.zoho.eu");
}

static void source_id_suppresses_own_webhook_but_not_rest_webhook(void **state)
{
    fx *f = *state;
    char rest[32];
    dmh_create(f->m, dmt_recv_url(f->r2), "{\"Ticket_Comment_Add\":null}", "", rest);
    uint64_t before = dmh_last_seq(f->m);
    char url[256];
    own_url(f, url, sizeof url, "/api/v1/tickets/" DMT_TICKET "/comments");
    dmt_resp r = invoke(f, &(call){.url = url,
                                   .type = "POST",
                                   .post = "{\"content\":\"quiet\"}",
                                   .headers = "{\"sourceId\":\"" DOC_IGNORE "\"}"});
    cJSON *o = inner(&r);
    assert_int_equal(inner_status(o), 200);
    cJSON_Delete(o);
    dmt_resp_free(&r);

    cJSON *evs = dmh_journal(f->m, "after=%llu&kind=event", (unsigned long long)before);
    const cJSON *ev = dmh_find(evs, "eventType", "Ticket_Comment_Add");
    assert_non_null(ev);
    assert_string_equal(dmt_str(ev, "sourceId"), DOC_IGNORE);
    const cJSON *hooks = cJSON_GetObjectItemCaseSensitive(ev, "webhooks");
    const cJSON *mine = dmh_find(hooks, "webhookId", f->wid);
    assert_non_null(mine);
    assert_string_equal(dmt_str(mine, "fate"), "withheld");
    assert_string_equal(dmt_str(mine, "rule"), "ignoreSourceId");
    assert_string_equal(dmt_str(mine, "reason"), "sourceId equals the webhook's ignoreSourceId");
    const cJSON *theirs = dmh_find(hooks, "webhookId", rest);
    assert_non_null(theirs);
    assert_string_equal(dmt_str(theirs, "fate"), "queued");
    cJSON_Delete(evs);

    assert_int_equal(dmt_recv_wait(f->r2, "POST", 1, 5000), 1);
    const cJSON *el = dmh_only_element(dmt_recv_hit(f->r2, "POST", 0));
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Comment_Add");
}

static void extension_patches_its_own_webhook_through_invoke(void **state)
{
    fx *f = *state;
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/webhooks/%s", f->m->url, f->wid);
    dmt_resp r = invoke(
        f, &(call){.url = url, .type = "PATCH", .post = "{\"description\":\"changed by invoke\"}"});
    cJSON *o = inner(&r);
    assert_int_equal(inner_status(o), 200);
    cJSON_Delete(o);
    dmt_resp_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s", f->wid);
    dmt_resp g = dmt_api(f->m, "GET", path, DMT_ADMIN, NULL);
    dmh_status(&g, 200);
    assert_string_equal(dmt_str(g.json, "description"), "changed by invoke");
    dmt_resp_free(&g);
}

static void installation_id_placeholder_reaches_config_params(void **state)
{
    fx *f = *state;
    char url[256];
    own_url(f, url, sizeof url, "/api/v1/installedExtensions/{{installationId}}/configParams");
    dmt_resp r =
        invoke(f, &(call){.url = url,
                          .type = "POST",
                          .post = "{\"variables\":[{\"name\":\"apiKey\",\"value\":\"k-1\"}]}"});
    cJSON *o = inner(&r);
    assert_int_equal(inner_status(o), 200);
    cJSON_Delete(o);
    dmt_resp_free(&r);

    r = invoke(f, &(call){.url = url});
    o = inner(&r);
    assert_int_equal(inner_status(o), 200);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(message(o), "data");
    const cJSON *v = dmh_find(data, "name", "apiKey");
    assert_non_null(v);
    assert_string_equal(dmt_str(v, "value"), "k-1");
    cJSON_Delete(o);
    dmt_resp_free(&r);

    /* the journal shows the URL as filled in */
    cJSON *recs = dmh_journal(f->m, "kind=invoke");
    const cJSON *last = cJSON_GetArrayItem(recs, cJSON_GetArraySize(recs) - 1);
    char want[256];
    snprintf(want, sizeof want, "%s/api/v1/installedExtensions/%s/configParams", f->m->url, f->id);
    assert_string_equal(dmt_str(last, "requestURL"), want);
    cJSON_Delete(recs);
}

static void invoke_record_names_the_delivery_it_answers(void **state)
{
    fx *f = *state;
    uint64_t before = dmh_last_seq(f->m);
    dmt_resp t = dmt_api(f->m, "POST", "/api/v1/tickets", DMT_ADMIN,
                         "{\"subject\":\"Prompt\",\"departmentId\":\"" DMT_DEPT_SUPPORT
                         "\",\"contactId\":\"" DMT_CONTACT "\"}");
    dmh_status(&t, 200);
    dmt_resp_free(&t);
    cJSON *ev = dmh_one_event(f->m, before);
    uint64_t event = dmh_u64(ev, "seq");
    cJSON_Delete(ev);
    cJSON *fates = dmh_wait_fates(f->m, before, 1);
    assert_string_equal(dmt_str(dmh_fate_of(fates, event, f->wid), "fate"), "delivered");
    cJSON_Delete(fates);

    char url[256];
    own_url(f, url, sizeof url, "/api/v1/tickets/" DMT_TICKET);
    dmt_resp r = invoke(f, &(call){.url = url});
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    cJSON *recs = dmh_journal(f->m, "after=%llu&kind=invoke", (unsigned long long)before);
    assert_int_equal(cJSON_GetArraySize(recs), 1);
    assert_int_equal(dmh_u64(cJSON_GetArrayItem(recs, 0), "event"), event);
    cJSON_Delete(recs);
}

/* ==== Stubs, passthrough, faults ==== */

static void delayed_stub_answers_later_with_its_status_and_body(void **state)
{
    fx *f = *state;
    dmt_resp s =
        dmt_ctl(f->m, "POST", "/mock/v1/invoke-stubs",
                "{\"method\":\"GET\",\"url\":\"https://api.example.com/slow\",\"status\":201,"
                "\"body\":{\"ok\":true},\"delayMs\":300}");
    dmh_status(&s, 201);
    dmt_resp_free(&s);
    int64_t t0 = now_ms();
    dmt_resp r = invoke(f, &(call){.url = "https://api.example.com/slow"});
    int64_t took = now_ms() - t0;
    cJSON *o = inner(&r);
    assert_int_equal(inner_status(o), 201);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(message(o), "ok")));
    if (took < 300) fail_msg("answered after %lld ms, before the stub's delay", (long long)took);
    cJSON_Delete(o);
    dmt_resp_free(&r);
}

static void passthrough_refuses_non_loopback_url(void **state)
{
    fx *f = *state;
    dmt_resp r = invoke(f, &(call){.url = "https://api.example.com/x"});
    dmt_assert_error(&r, 502, "NO_INVOKE_STUB");
    assert_non_null(strstr(r.body, "https://api.example.com/x"));
    dmt_resp_free(&r);
}

static void passthrough_forwards_loopback_url(void **state)
{
    fx *f = *state;
    dmt_recv_set_status(f->r2, 202);
    char url[256];
    snprintf(url, sizeof url, "%s/third-party", dmt_recv_url(f->r2));
    dmt_resp r = invoke(f, &(call){.url = url,
                                   .type = "POST",
                                   .post = "{\"n\":1}",
                                   .headers = "{\"Content-Type\":\"application/json\"}"});
    cJSON *o = inner(&r);
    assert_int_equal(inner_status(o), 202);
    cJSON_Delete(o);
    dmt_resp_free(&r);
    assert_int_equal(dmt_recv_count(f->r2, "POST"), 1);
    const dmt_hit *h = dmt_recv_hit(f->r2, "POST", 0);
    assert_string_equal(h->url, "/third-party");
    assert_string_equal(h->body, "{\"n\":1}");
}

static void desk_fault_429_gives_inner_429_and_retry_after(void **state)
{
    fx *f = *state;
    dmt_resp p = dmt_ctl(f->m, "PUT", "/mock/v1/faults",
                         "{\"invoke\":[{\"desk\":true,\"status\":429,\"retryAfter\":7}]}");
    dmh_status(&p, 200);
    dmt_resp_free(&p);
    char url[256];
    own_url(f, url, sizeof url, "/api/v1/tickets/" DMT_TICKET);
    dmt_resp r = invoke(f, &(call){.url = url});
    cJSON *o = inner(&r);
    assert_int_equal(inner_status(o), 429);
    assert_string_equal(dmt_str(message(o), "errorCode"), "TOO_MANY_REQUESTS");
    cJSON_Delete(o);
    assert_non_null(r.headers);
    if (!has_header(r.headers, "Retry-After: 7")) fail_msg("no Retry-After: 7 in %s", r.headers);
    dmt_resp_free(&r);

    /* the same through desk.zoho.com */
    r = invoke(f, &(call){.url = "https://desk.zoho.com/api/v1/tickets/" DMT_TICKET});
    o = inner(&r);
    assert_int_equal(inner_status(o), 429);
    cJSON_Delete(o);
    dmt_resp_free(&r);
}

/* A "rest" fault answers the receiver's own REST calls that match it (here
 * one PATCH under /api/v1/tickets) with 429 and Retry-After, journals it,
 * and is used up; other methods, later calls and invoke are untouched; a
 * rule with what a REST fault cannot do is refused. */
static void rest_fault_answers_matching_rest_calls_once(void **state)
{
    fx *f = *state;
    dmt_resp p = dmt_ctl(f->m, "PUT", "/mock/v1/faults",
                         "{\"rest\":[{\"pathPrefix\":\"/api/v1/tickets\",\"method\":\"PATCH\","
                         "\"status\":429,\"retryAfter\":3,\"count\":1}]}");
    dmh_status(&p, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p.json, "rest")), 1);
    dmt_resp_free(&p);
    uint64_t s0 = dmh_last_seq(f->m);

    dmt_resp g = dmt_api(f->m, "GET", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, NULL);
    dmh_status(&g, 200);
    dmt_resp_free(&g);
    dmt_resp r = dmt_api(f->m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN,
                         "{\"priority\":\"Urgent\"}");
    dmt_assert_error(&r, 429, "TOO_MANY_REQUESTS");
    if (!has_header(r.headers, "Retry-After: 3")) fail_msg("no Retry-After: 3 in %s", r.headers);
    dmt_resp_free(&r);
    g = dmt_api(f->m, "GET", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, NULL);
    assert_string_not_equal(dmt_str(g.json, "priority"), "Urgent"); /* refused: not applied */
    dmt_resp_free(&g);
    /* the rule is spent, but the limit it set holds until Retry-After passes:
     * a retry that does not wait is refused again, saying how long is left */
    p = dmt_ctl(f->m, "GET", "/mock/v1/faults", NULL);
    const cJSON *lim = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p.json, "rest"), 0);
    assert_non_null(lim);
    assert_null(cJSON_GetObjectItemCaseSensitive(lim, "count"));
    assert_true(cJSON_GetObjectItemCaseSensitive(lim, "limitedForMs")->valuedouble > 2000);
    dmt_resp_free(&p);
    r = dmt_api(f->m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN,
                "{\"priority\":\"Urgent\"}");
    dmt_assert_error(&r, 429, "TOO_MANY_REQUESTS");
    if (!has_header(r.headers, "Retry-After: 3")) fail_msg("no Retry-After: 3 in %s", r.headers);
    dmt_resp_free(&r);
    cJSON *faults = dmh_journal(f->m, "after=%llu&kind=fault", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(faults), 2);
    const cJSON *fl = cJSON_GetArrayItem(faults, 0);
    assert_string_equal(dmt_str(fl, "fault"), "rest-429");
    assert_string_equal(dmt_str(fl, "method"), "PATCH");
    assert_string_equal(dmt_str(fl, "path"), "/api/v1/tickets/" DMT_TICKET);
    assert_null(cJSON_GetObjectItemCaseSensitive(fl, "retryAfterLeftMs"));
    const cJSON *early =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(faults, 1), "retryAfterLeftMs");
    assert_true(cJSON_IsNumber(early) && early->valuedouble > 2000);
    cJSON_Delete(faults);
    /* clearing the faults lifts the limit */
    p = dmt_ctl(f->m, "DELETE", "/mock/v1/faults", NULL);
    dmt_resp_free(&p);
    r = dmt_api(f->m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN,
                "{\"priority\":\"Urgent\"}");
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "priority"), "Urgent");
    dmt_resp_free(&r);
    p = dmt_ctl(f->m, "GET", "/mock/v1/faults", NULL);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p.json, "rest")), 0);
    dmt_resp_free(&p);

    /* a limit runs out by itself once its Retry-After has passed */
    p = dmt_ctl(f->m, "PUT", "/mock/v1/faults",
                "{\"rest\":[{\"pathPrefix\":\"/api/v1/tickets\",\"method\":\"PATCH\","
                "\"status\":429,\"retryAfter\":1,\"count\":1}]}");
    dmh_status(&p, 200);
    dmt_resp_free(&p);
    r = dmt_api(f->m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"priority\":\"Low\"}");
    dmt_assert_error(&r, 429, "TOO_MANY_REQUESTS");
    dmt_resp_free(&r);
    struct timespec second = {1, 0};
    nanosleep(&second, NULL); /* Retry-After is real seconds, as the receiver's wait is */
    r = dmt_api(f->m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"priority\":\"Low\"}");
    dmh_status(&r, 200);
    dmt_resp_free(&r);

    /* a rule without a count stays; invoke's Desk calls do not meet it */
    p = dmt_ctl(f->m, "PUT", "/mock/v1/faults", "{\"rest\":[{\"status\":503}]}");
    dmh_status(&p, 200);
    dmt_resp_free(&p);
    char url[256];
    own_url(f, url, sizeof url, "/api/v1/tickets/" DMT_TICKET);
    r = invoke(f, &(call){.url = url});
    cJSON *o = inner(&r);
    assert_int_equal(inner_status(o), 200);
    cJSON_Delete(o);
    dmt_resp_free(&r);
    for (int i = 0; i < 2; i++) {
        g = dmt_api(f->m, "GET", "/api/v1/departments", DMT_ADMIN, NULL);
        dmt_assert_error(&g, 503, "INTERNAL_SERVER_ERROR");
        dmt_resp_free(&g);
    }

    p = dmt_ctl(f->m, "PUT", "/mock/v1/faults", "{\"rest\":[{\"status\":429,\"latencyMs\":5}]}");
    dmh_field_error(&p, "/rest/0", "invalid");
    dmt_resp_free(&p);
    p = dmt_ctl(f->m, "PUT", "/mock/v1/faults", "{\"rest\":[{\"pathPrefix\":\"/api\"}]}");
    dmh_field_error(&p, "/rest/0", "missing");
    dmt_resp_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define P(name) cmocka_unit_test_setup_teardown(name, setup_passthrough, teardown)
        T(valid_hash_is_accepted),
        T(wrong_hash_is_refused),
        T(non_form_body_is_415),
        T(missing_field_or_org_is_422_invalid_data),
        T(unknown_request_type_is_422_unsupported),
        T(unknown_security_context_is_401),
        T(uninstalled_security_context_is_401_revoked),
        T(other_org_is_403_oauth_org_mismatch),
        T(unstubbed_url_is_502_naming_it),
        T(comment_added_through_mock_url_exists),
        T(comment_added_through_desk_zoho_eu_url_exists),
        T(source_id_suppresses_own_webhook_but_not_rest_webhook),
        T(extension_patches_its_own_webhook_through_invoke),
        T(installation_id_placeholder_reaches_config_params),
        T(invoke_record_names_the_delivery_it_answers),
        T(delayed_stub_answers_later_with_its_status_and_body),
        P(passthrough_refuses_non_loopback_url),
        P(passthrough_forwards_loopback_url),
        T(desk_fault_429_gives_inner_429_and_retry_after),
        T(rest_fault_answers_matching_rest_calls_once),
#undef P
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
