/* test_security.c -- one test per security promise of the mock: loopback by
 * default, no non-loopback bind without a control token, the control token
 * guarding /mock/v1 and /mock/ui (not /api/v1), securityContexts and
 * extension tokens from the OS random source, extension webhooks changed
 * only by their extension, scopes on every scoped route, uninstall revoking
 * everything, invoke passthrough only to loopback, a JWKS without private
 * key material, and a HASH compare that refuses a near miss like a wild one. */
#include "hooks.h"
#include "desk/api.h"
#include "invoke/invoke.h"
#include "net/addr.h"
#include "util/file.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <unistd.h>

#define DOC_EXAMPLE DM_SOURCE_DIR "/fixtures/extensions/doc-example"
#define DOC_SECRET  "d3m0-s3cr3t-5a7c1e9b2f4d6a8c"
#define NOSCOPE     "1000.noscope"

typedef struct fx {
    dm_app *app;   /* an app driven directly (bind tests), or NULL */
    dmt_mock *m;   /* a running mock, or NULL */
    dmt_mock *m2;  /* a second one, or NULL */
    dmt_recv *r;   /* a webhook receiver, or NULL */
    char dir[64];  /* a temp dir, or "" */
    char org[128]; /* the org file in dir, or "" */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dm_app_free(f->app);
    dmt_mock_stop(f->m);
    dmt_mock_stop(f->m2);
    dmt_recv_stop(f->r);
    if (*f->org) unlink(f->org);
    if (*f->dir) rmdir(f->dir);
    free(f);
    return 0;
}

static int is_hex64(const char *s)
{
    if (!s || strlen(s) != 64) return 0;
    for (; *s; s++)
        if (!strchr("0123456789abcdef", *s)) return 0;
    return 1;
}

/* Installs doc-example on m with its webhook at f's receiver; asserts 201
 * and returns the answer (owned). */
static cJSON *install(fx *f, dmt_mock *m)
{
    if (!f->r) f->r = dmt_recv_start();
    char body[1024];
    snprintf(body, sizeof body, "{\"extension\":\"%s\",\"webhookUrl\":\"%s/hook\"}", DOC_EXAMPLE,
             dmt_recv_url(f->r));
    dmt_resp r = dmt_ctl(m, "POST", "/mock/v1/installations", body);
    dmh_status(&r, 201);
    return dmh_take(&r);
}

/* A GET with optional extra header; asserts a response came. */
static dmt_resp get(const char *url, const char *header)
{
    const char *h[] = {header, NULL};
    dmt_resp r;
    if (dmt_http("GET", url, header ? h : NULL, NULL, 0, &r)) fail_msg("GET %s: no response", url);
    return r;
}

/* 1. With no bind given, the mock listens on 127.0.0.1 only. */
static void binds_loopback_by_default(void **state)
{
    fx *f = *state;
    dm_app_opts o = {0};
    char err[512];
    f->app = dm_app_new(&o, err, sizeof err);
    if (!f->app) fail_msg("dm_app_new: %s", err);
    if (dm_app_listen(f->app, err, sizeof err)) fail_msg("dm_app_listen: %s", err);
    const char *url = dm_app_url(f->app);
    if (strncmp(url, "http://127.0.0.1:", 17) != 0) fail_msg("listening on %s", url);
}

/* 2. A non-loopback bind without a control token is refused before binding. */
static void non_loopback_bind_without_token_is_refused(void **state)
{
    fx *f = *state;
    dm_app_opts o = {0};
    o.bind = "0.0.0.0";
    char err[512] = "";
    f->app = dm_app_new(&o, err, sizeof err);
    if (!f->app) fail_msg("dm_app_new: %s", err);
    assert_int_not_equal(dm_app_listen(f->app, err, sizeof err), 0);
    if (!strstr(err, "--control-token")) fail_msg("error does not name --control-token: %s", err);
    assert_int_equal(dm_app_port(f->app), 0); /* nothing is listening */
}

/* 2b. A bind address is judged by what it resolves to: "localhost" is this
 * machine (no token needed) and the URL names the address bound. */
static void bind_names_are_resolved_before_the_token_rule(void **state)
{
    fx *f = *state;
    dm_app_opts o = {0};
    o.bind = "localhost";
    char err[512] = "";
    f->app = dm_app_new(&o, err, sizeof err);
    if (!f->app) fail_msg("dm_app_new: %s", err);
    if (dm_app_listen(f->app, err, sizeof err)) fail_msg("dm_app_listen localhost: %s", err);
    const char *url = dm_app_url(f->app);
    if (strncmp(url, "http://127.0.0.1:", 17) != 0) fail_msg("listening on %s", url);
}

/* 2c. Loopback is an address, not a spelling: 127/8, ::1 and IPv4-mapped
 * 127/8 are; a name that merely starts with "127." is not, and no name but
 * localhost is taken on trust (resolving it could ask a name server). */
static void loopback_is_decided_on_the_address(void **state)
{
    (void)state;
    static const struct {
        const char *host;
        int loopback;
    } hosts[] = {
        {"127.0.0.1", 1},
        {"127.255.0.9", 1},
        {"[::1]", 1},
        {"::1", 1},
        {"[::ffff:127.0.0.1]", 1},
        {"localhost", 1},
        {"LOCALHOST", 1},
        {"127.attacker.example", 0},
        {"127.0.0.1.nip.io", 0},
        {"10.0.0.1", 0},
        {"0.0.0.0", 0},
        {"128.0.0.1", 0},
        {"[::]", 0},
        {"[::ffff:10.0.0.1]", 0},
        {"[::2]", 0},
        {"localhost.example", 0},
        {"", 0},
    };
    for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++)
        if (dm_addr_host_is_loopback(hosts[i].host) != hosts[i].loopback)
            fail_msg("%s: expected %s", hosts[i].host,
                     hosts[i].loopback ? "loopback" : "not loopback");
    static const struct {
        const char *url;
        int loopback;
    } urls[] = {
        {"http://127.0.0.1:8080/hook", 1},
        {"https://[::1]/x", 1},
        {"http://localhost/x", 1},
        {"http://127.1/x", 1}, /* libcurl reads 127.1 as 127.0.0.1 */
        {"http://127.attacker.example/", 0},
        {"http://user@10.0.0.1/", 0},
        {"not a url", 0},
    };
    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++)
        if (dm_url_is_loopback(urls[i].url) != urls[i].loopback)
            fail_msg("%s: expected %s", urls[i].url,
                     urls[i].loopback ? "loopback" : "not loopback");
    /* the address check libcurl's socket opener applies */
    struct sockaddr_in v4 = {0};
    v4.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.5", &v4.sin_addr);
    assert_true(dm_addr_is_loopback((struct sockaddr *)&v4));
    inet_pton(AF_INET, "192.168.1.1", &v4.sin_addr);
    assert_false(dm_addr_is_loopback((struct sockaddr *)&v4));
    struct sockaddr_in6 v6 = {0};
    v6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &v6.sin6_addr);
    assert_true(dm_addr_is_loopback((struct sockaddr *)&v6));
    inet_pton(AF_INET6, "fe80::1", &v6.sin6_addr);
    assert_false(dm_addr_is_loopback((struct sockaddr *)&v6));
    assert_false(dm_addr_is_loopback(NULL));
}

/* 2d. Whatever a user asks for, the mock sends nothing off this machine: a
 * webhook whose URL is elsewhere fails its URL check (nothing is sent), and
 * so does an install pointed elsewhere. */
static void webhooks_and_installs_elsewhere_are_refused_unsent(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    const char *urls[] = {"http://127.attacker.example/hook", "http://10.0.0.1/hook",
                          "https://example.com/hook", "http://[::ffff:10.0.0.1]/hook"};
    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"name\":\"h\",\"url\":\"%s\",\"subscriptions\":{\"Ticket_Add\":null}}",
                 urls[i]);
        dmt_resp r = dmt_api(f->m, "POST", "/api/v1/webhooks", DMT_ADMIN, body);
        const char *msg = dmh_field_error(&r, "/url", "invalid");
        if (!strstr(msg, "not this machine")) fail_msg("%s: %s", urls[i], msg);
        dmt_resp_free(&r);
        snprintf(body, sizeof body, "{\"extension\":\"%s\",\"webhookUrl\":\"%s\"}", DOC_EXAMPLE,
                 urls[i]);
        r = dmt_ctl(f->m, "POST", "/mock/v1/installations", body);
        dmt_assert_error(&r, 422, "INVALID_DATA");
        if (!strstr(r.body, "not this machine")) fail_msg("install at %s: %s", urls[i], r.body);
        dmt_resp_free(&r);
    }
    /* each refused twice, unsent: the check GET, then its POST fallback */
    cJSON *checks = dmh_journal(f->m, "kind=check");
    assert_int_equal(cJSON_GetArraySize(checks), 16);
    const cJSON *c;
    cJSON_ArrayForEach(c, checks)
        assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(c, "status")));
    cJSON_Delete(checks);
}

/* 3. A control token guards /mock/v1 and /mock/ui (header or ?token=), not /api/v1. */
static void control_token_guards_control_api_only(void **state)
{
    fx *f = *state;
    dm_app_opts o = {0};
    o.bind = "127.0.0.1";
    o.control_token = "s3cret";
    f->m = dmt_mock_start(&o);
    char url[256];
    snprintf(url, sizeof url, "%s/mock/v1/health", f->m->url);

    dmt_resp r = get(url, NULL);
    dmt_assert_error(&r, 401, "INVALID_CONTROL_TOKEN");
    dmt_resp_free(&r);
    r = get(url, "X-Deskmock-Token: s3cre");
    dmt_assert_error(&r, 401, "INVALID_CONTROL_TOKEN");
    dmt_resp_free(&r);
    r = get(url, "X-Deskmock-Token: s3cret!");
    dmt_assert_error(&r, 401, "INVALID_CONTROL_TOKEN");
    dmt_resp_free(&r);
    r = get(url, "X-Deskmock-Token: s3cret");
    dmh_status(&r, 200);
    dmt_resp_free(&r);

    snprintf(url, sizeof url, "%s/mock/ui", f->m->url);
    r = get(url, NULL);
    dmt_assert_error(&r, 401, "INVALID_CONTROL_TOKEN");
    dmt_resp_free(&r);
    snprintf(url, sizeof url, "%s/mock/ui?token=wrong", f->m->url);
    r = get(url, NULL);
    dmt_assert_error(&r, 401, "INVALID_CONTROL_TOKEN");
    dmt_resp_free(&r);
    snprintf(url, sizeof url, "%s/mock/ui?token=s3cret", f->m->url);
    r = get(url, NULL);
    dmh_status(&r, 200);
    dmt_resp_free(&r);

    /* the Desk API answers to OAuth tokens, with or without the control token */
    r = dmt_api(f->m, "GET", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, NULL);
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    r = dmt_api(f->m, "GET", "/api/v1/tickets/" DMT_TICKET, NULL, NULL);
    dmt_assert_error(&r, 401, "INVALID_OAUTH");
    dmt_resp_free(&r);
}

/* 4. securityContexts and tokens are random: the seed repeats ids, never secrets. */
static void secrets_do_not_follow_the_seed(void **state)
{
    fx *f = *state;
    dm_app_opts o = {0};
    o.seed = 42;
    f->m = dmt_mock_start(&o);
    f->m2 = dmt_mock_start(&o);
    cJSON *a = install(f, f->m), *b = install(f, f->m2);
    const char *ca = dmt_str(a, "securityContext"), *cb = dmt_str(b, "securityContext");
    assert_true(is_hex64(ca));
    assert_true(is_hex64(cb));
    assert_string_equal(dmt_str(a, "installationId"), dmt_str(b, "installationId"));
    assert_string_not_equal(ca, cb);
    assert_string_not_equal(dmt_str(a, "token"), dmt_str(b, "token"));

    dmt_resp r = dmt_ctl(f->m, "POST", "/mock/v1/reset", NULL);
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    cJSON *c = install(f, f->m);
    const char *cc = dmt_str(c, "securityContext");
    assert_true(is_hex64(cc));
    assert_string_equal(dmt_str(a, "installationId"), dmt_str(c, "installationId"));
    assert_string_not_equal(ca, cc);
    assert_string_not_equal(cb, cc);
    assert_string_not_equal(dmt_str(a, "token"), dmt_str(c, "token"));
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
}

/* 5. A user token (even the admin's) never changes or deletes an extension's webhook. */
static void user_token_cannot_change_extension_webhook(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    cJSON *in = install(f, f->m);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s", dmt_str(in, "webhookId"));
    dmt_resp r = dmt_api(f->m, "PATCH", path, DMT_ADMIN, "{\"url\":\"http://127.0.0.1:9/x\"}");
    dmt_assert_error(&r, 403, "FORBIDDEN");
    dmt_resp_free(&r);
    r = dmt_api(f->m, "DELETE", path, DMT_ADMIN, NULL);
    dmt_assert_error(&r, 403, "FORBIDDEN");
    dmt_resp_free(&r);
    r = dmt_api(f->m, "GET", path, DMT_ADMIN, NULL);
    dmh_status(&r, 200);
    assert_non_null(strstr(dmt_str(r.json, "url"), dmt_recv_url(f->r)));
    dmt_resp_free(&r);
    cJSON_Delete(in);
}

/* The default org plus an agent whose token has no scopes at all, in a temp file. */
static void write_noscope_org(fx *f)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/dm-security-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char *text = dm_read_file(DM_SOURCE_DIR "/fixtures/orgs/default.json", NULL);
    assert_non_null(text);
    cJSON *org = cJSON_Parse(text);
    free(text);
    assert_non_null(org);
    cJSON *agents = cJSON_GetObjectItemCaseSensitive(org, "agents");
    assert_true(cJSON_IsArray(agents));
    cJSON *g = cJSON_CreateObject();
    cJSON_AddStringToObject(g, "id", "18920000000000299");
    cJSON_AddStringToObject(g, "firstName", "Nora");
    cJSON_AddStringToObject(g, "lastName", "Noscope");
    cJSON_AddStringToObject(g, "emailId", "nora.noscope@zylker.example");
    cJSON_AddStringToObject(g, "role", "noscope");
    cJSON_AddStringToObject(g, "zuid", "700000099");
    cJSON_AddItemToObject(g, "departmentIds", cJSON_CreateArray());
    cJSON_AddStringToObject(g, "token", NOSCOPE);
    cJSON_AddItemToObject(g, "scopes", cJSON_CreateArray());
    cJSON_AddItemToArray(agents, g);
    char *out = cJSON_Print(org);
    cJSON_Delete(org);
    snprintf(f->org, sizeof f->org, "%s/org.json", f->dir);
    FILE *fp = fopen(f->org, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(out, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
    free(out);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* 6. Every route with a scope refuses a token without it: 403 SCOPE_MISMATCH. */
static void every_scoped_route_enforces_its_scope(void **state)
{
    fx *f = *state;
    write_noscope_org(f);
    dm_app_opts o = {0};
    o.org_file = f->org;
    f->m = dmt_mock_start(&o);

    /* the token itself is valid: a route without a scope takes it */
    dmt_resp r = dmt_api(f->m, "GET", "/api/v1/organizations", NOSCOPE, NULL);
    dmh_status(&r, 200);
    dmt_resp_free(&r);

    int checked = 0;
    for (size_t i = 0; i < dm_desk_nroutes; i++) {
        const dm_route *rt = &dm_desk_routes[i];
        if (!rt->scope) continue;
        /* fill each {} with a real id for what the segment before it names */
        char path[256] = "";
        const char *p = rt->pattern;
        size_t n = 0;
        while (*p && n < sizeof path - 32) {
            if (p[0] == '{' && p[1] == '}') {
                const char *id = "18920000000000999";
                if (ends_with(path, "/comments/"))
                    id = "18920000000000601";
                else if (ends_with(path, "/threads/"))
                    id = "18920000000000501";
                else if (ends_with(path, "/tickets/"))
                    id = DMT_TICKET;
                else if (ends_with(path, "/contacts/"))
                    id = DMT_CONTACT;
                else if (ends_with(path, "/departments/"))
                    id = DMT_DEPT_SUPPORT;
                else if (ends_with(path, "/agents/"))
                    id = "18920000000000201";
                n += (size_t)snprintf(path + n, sizeof path - n, "%s", id);
                p += 2;
            } else {
                path[n++] = *p++;
                path[n] = '\0';
            }
        }
        const char *body =
            strcmp(rt->method, "GET") == 0 || strcmp(rt->method, "DELETE") == 0 ? NULL : "{}";
        r = dmt_api(f->m, rt->method, path, NOSCOPE, body);
        const char *code = dmt_str(r.json, "errorCode");
        if (r.status != 403 || !code || strcmp(code, "SCOPE_MISMATCH") != 0)
            fail_msg("%s %s (scope %s): expected 403 SCOPE_MISMATCH, got %ld: %s", rt->method, path,
                     rt->scope, r.status, r.body);
        if (!strstr(dmt_str(r.json, "message"), rt->scope))
            fail_msg("%s %s: message does not name %s: %s", rt->method, path, rt->scope, r.body);
        dmt_resp_free(&r);
        checked++;
    }
    assert_true(checked >= 20);
}

/* 7. Uninstalling revokes the token, the securityContext and the webhook. */
static void uninstall_revokes_everything(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    cJSON *in = install(f, f->m);
    const char *ctx = dmt_str(in, "securityContext"), *tok = dmt_str(in, "token");
    char ticket_url[256], path[128], wpath[128];
    snprintf(ticket_url, sizeof ticket_url, "%s/api/v1/tickets/%s", f->m->url, DMT_TICKET);
    snprintf(path, sizeof path, "/mock/v1/installations/%s", dmt_str(in, "installationId"));
    snprintf(wpath, sizeof wpath, "/api/v1/webhooks/%s", dmt_str(in, "webhookId"));

    /* everything works while installed */
    dmt_resp r = dmt_api(f->m, "GET", "/api/v1/tickets", tok, NULL);
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    r = dmt_invoke_get(f->m, DOC_SECRET, ctx, ticket_url, NULL);
    dmh_status(&r, 200);
    dmt_resp_free(&r);

    r = dmt_ctl(f->m, "DELETE", path, NULL);
    dmh_status(&r, 204);
    dmt_resp_free(&r);

    r = dmt_api(f->m, "GET", "/api/v1/tickets", tok, NULL);
    dmt_assert_error(&r, 401, "INVALID_OAUTH");
    dmt_resp_free(&r);
    r = dmt_invoke_get(f->m, DOC_SECRET, ctx, ticket_url, NULL);
    dmt_assert_error(&r, 401, "SECURITY_CONTEXT_REVOKED");
    dmt_resp_free(&r);
    r = dmt_api(f->m, "GET", wpath, DMT_ADMIN, NULL);
    dmh_status(&r, 404);
    dmt_resp_free(&r);
    cJSON_Delete(in);
}

/* 8. Passthrough forwards to loopback only: other hosts get 502 NO_INVOKE_STUB. */
static void passthrough_never_leaves_loopback(void **state)
{
    fx *f = *state;
    dm_app_opts o = {0};
    o.invoke_passthrough = 1;
    f->m = dmt_mock_start(&o);
    cJSON *in = install(f, f->m);
    const char *urls[] = {"https://api.example.com/x", "https://deskmock.invalid/x",
                          "http://10.0.0.1/x", "http://127.attacker.example/x",
                          "http://[::ffff:10.0.0.1]/x"};
    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
        dmt_resp r =
            dmt_invoke_get(f->m, DOC_SECRET, dmt_str(in, "securityContext"), urls[i], NULL);
        dmt_assert_error(&r, 502, "NO_INVOKE_STUB");
        if (!strstr(r.body, urls[i])) fail_msg("502 does not name %s: %s", urls[i], r.body);
        dmt_resp_free(&r);
    }
    cJSON_Delete(in);
}

/* 9. The JWKS publishes only public RSA members. */
static void jwks_has_no_private_key_material(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    char url[256];
    snprintf(url, sizeof url, "%s/.well-known/jwks.json", f->m->url);
    dmt_resp r = get(url, NULL);
    dmh_status(&r, 200);
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(r.json, "keys"), *k, *m;
    assert_true(cJSON_IsArray(keys));
    assert_true(cJSON_GetArraySize(keys) >= 1);
    static const char *const allowed[] = {"kty", "use", "alg", "kid", "n", "e"};
    cJSON_ArrayForEach(k, keys) {
        cJSON_ArrayForEach(m, k) {
            int ok = 0;
            for (size_t i = 0; i < 6; i++)
                ok |= strcmp(m->string, allowed[i]) == 0;
            if (!ok) fail_msg("JWKS key has member \"%s\": %s", m->string, r.body);
        }
        assert_string_equal(dmt_str(k, "kty"), "RSA");
        assert_string_equal(dmt_str(k, "alg"), "RS256");
        assert_non_null(dmt_str(k, "n"));
        assert_non_null(dmt_str(k, "e"));
    }
    dmt_resp_free(&r);
}

/* 10. A HASH one character off is refused exactly like a wholly wrong one. */
static void near_miss_hash_is_refused_like_a_wrong_one(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    cJSON *in = install(f, f->m);
    const char *ctx = dmt_str(in, "securityContext");
    char url[256], near[65], wrong[65];
    snprintf(url, sizeof url, "%s/api/v1/tickets/%s", f->m->url, DMT_TICKET);
    dmt_invoke_get_hash(DOC_SECRET, ctx, url, near);
    near[63] = near[63] == '0' ? '1' : '0';
    for (int i = 0; i < 64; i++)
        wrong[i] = near[i] == 'a' ? 'b' : 'a';
    wrong[64] = '\0';

    dmt_resp a = dmt_invoke_get(f->m, DOC_SECRET, ctx, url, near);
    dmt_resp b = dmt_invoke_get(f->m, DOC_SECRET, ctx, url, wrong);
    dmt_assert_error(&a, 401, "INVALID_HASH");
    dmt_assert_error(&b, 401, "INVALID_HASH");
    assert_string_equal(dmt_str(a.json, "message"), dmt_str(b.json, "message"));
    assert_string_equal(a.body, b.body);
    dmt_resp_free(&a);
    dmt_resp_free(&b);

    dmt_resp ok = dmt_invoke_get(f->m, DOC_SECRET, ctx, url, NULL);
    dmh_status(&ok, 200);
    dmt_resp_free(&ok);
    cJSON_Delete(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(binds_loopback_by_default),
        T(non_loopback_bind_without_token_is_refused),
        T(bind_names_are_resolved_before_the_token_rule),
        T(loopback_is_decided_on_the_address),
        T(webhooks_and_installs_elsewhere_are_refused_unsent),
        T(control_token_guards_control_api_only),
        T(secrets_do_not_follow_the_seed),
        T(user_token_cannot_change_extension_webhook),
        T(every_scoped_route_enforces_its_scope),
        T(uninstall_revokes_everything),
        T(passthrough_never_leaves_loopback),
        T(jwks_has_no_private_key_material),
        T(near_miss_hash_is_refused_like_a_wrong_one),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
