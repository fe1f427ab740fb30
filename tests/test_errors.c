/* test_errors.c -- every error class of the Desk API, over loopback: each
 * answers its status with Desk's envelope, is journaled with that status and
 * errorCode, and leaves the mock serving (GET /mock/v1/health answers 200). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/http.h"
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_ADMIN "Authorization: Zoho-oauthtoken " DMT_ADMIN
#define ORG_HEADER "orgId: " DMT_ORG
#define JSON_CT    "Content-Type: application/json"
#define VALID_TICKET                                                                               \
    "{\"subject\":\"s\",\"departmentId\":\"" DMT_DEPT_SUPPORT "\",\"contactId\":\"" DMT_CONTACT    \
    "\"}"

/* ==== Helpers ==== */

/* A request with exactly the headers given (no defaults added). */
static dmt_resp raw(dmt_mock *m, const char *method, const char *path, const char *const *headers,
                    const char *body, size_t len)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", m->url, path);
    dmt_resp r;
    if (dmt_http(method, url, headers, body, len, &r)) fail_msg("%s %s: no response", method, path);
    return r;
}

/* The mock still answers, and its last request record carries status and
 * errorCode (and method and path). */
static void assert_served_and_journaled(dmt_mock *m, const char *method, const char *path,
                                        long status, const char *code)
{
    dmt_resp h = dmt_ctl(m, "GET", "/mock/v1/health", NULL);
    if (h.status != 200) fail_msg("health after %s %s: %ld", method, path, h.status);
    assert_string_equal(dmt_str(h.json, "status"), "ok");
    dmt_resp_free(&h);

    dmt_resp j = dmt_ctl(m, "GET", "/mock/v1/journal?kind=request", NULL);
    assert_int_equal(j.status, 200);
    const cJSON *data = cJSON_GetObjectItem(j.json, "data");
    int n = cJSON_GetArraySize(data);
    assert_true(n > 0);
    const cJSON *rec = cJSON_GetArrayItem(data, n - 1);
    assert_string_equal(dmt_str(rec, "kind"), "request");
    assert_string_equal(dmt_str(rec, "method"), method);
    assert_string_equal(dmt_str(rec, "path"), path);
    const cJSON *st = cJSON_GetObjectItem(rec, "status");
    assert_true(cJSON_IsNumber(st));
    assert_int_equal(st->valueint, status);
    const char *ec = dmt_str(rec, "errorCode");
    if (!ec || strcmp(ec, code) != 0) fail_msg("journaled errorCode %s, want %s", ec, code);
    dmt_resp_free(&j);
}

/* The value of response header name (case-insensitive), copied into out. */
static int header_value(const dmt_resp *r, const char *name, char *out, size_t len)
{
    size_t n = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t ll = eol ? (size_t)(eol - line) : strlen(line);
        if (ll > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            snprintf(out, len, "%.*s", (int)(ll - (size_t)(v - line)), v);
            return 1;
        }
        line = eol ? eol + 2 : line + ll;
    }
    return 0;
}

/* ==== 401 / 403 / 422: who is asking ==== */

/* No Authorization header: 401 INVALID_OAUTH. */
static void missing_token_is_401_invalid_oauth(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "GET", "/api/v1/tickets", NULL, NULL);
    dmt_assert_error(&r, 401, "INVALID_OAUTH");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "GET", "/api/v1/tickets", 401, "INVALID_OAUTH");
}

/* A token the org does not know, or another scheme: 401 INVALID_OAUTH. */
static void unknown_token_is_401_invalid_oauth(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "GET", "/api/v1/tickets", "1000.nobody.nothing", NULL);
    dmt_assert_error(&r, 401, "INVALID_OAUTH");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "GET", "/api/v1/tickets", 401, "INVALID_OAUTH");

    const char *h[] = {"Authorization: Bearer " DMT_ADMIN, ORG_HEADER, NULL};
    r = raw(m, "GET", "/api/v1/tickets", h, NULL, 0);
    dmt_assert_error(&r, 401, "INVALID_OAUTH");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "GET", "/api/v1/tickets", 401, "INVALID_OAUTH");
}

/* A valid token with another org's id: 403 OAUTH_ORG_MISMATCH. */
static void wrong_org_is_403_oauth_org_mismatch(void **state)
{
    dmt_mock *m = *state;
    const char *h[] = {AUTH_ADMIN, "orgId: 70000000001", NULL};
    dmt_resp r = raw(m, "GET", "/api/v1/tickets", h, NULL, 0);
    dmt_assert_error(&r, 403, "OAUTH_ORG_MISMATCH");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "GET", "/api/v1/tickets", 403, "OAUTH_ORG_MISMATCH");
}

/* No orgId header on a route that needs one: 422 with fieldName orgId. */
static void missing_org_is_422(void **state)
{
    dmt_mock *m = *state;
    const char *h[] = {AUTH_ADMIN, NULL};
    dmt_resp r = raw(m, "GET", "/api/v1/tickets", h, NULL, 0);
    dmt_assert_error(&r, 422, "INVALID_DATA");
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "errors"), 0);
    assert_non_null(e);
    assert_string_equal(dmt_str(e, "fieldName"), "orgId");
    assert_string_equal(dmt_str(e, "errorType"), "missing");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "GET", "/api/v1/tickets", 422, "INVALID_DATA");
}

/* A token without the route's scope: 403 SCOPE_MISMATCH. */
static void missing_scope_is_403_scope_mismatch(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/tickets", DMT_VIEWER, VALID_TICKET);
    dmt_assert_error(&r, 403, "SCOPE_MISMATCH");
    assert_non_null(strstr(dmt_str(r.json, "message"), "Desk.tickets.CREATE"));
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "POST", "/api/v1/tickets", 403, "SCOPE_MISMATCH");
}

/* ==== 404 / 405: where ==== */

/* Unknown paths, under /api/v1 and outside it: 404 URL_NOT_FOUND. */
static void unknown_route_is_404_url_not_found(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "GET", "/api/v1/widgets", DMT_ADMIN, NULL);
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "GET", "/api/v1/widgets", 404, "URL_NOT_FOUND");

    r = dmt_api(m, "POST", "/elsewhere", DMT_ADMIN, "{}");
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "POST", "/elsewhere", 404, "URL_NOT_FOUND");

    /* unknown routes answer 404 before asking for a token */
    r = dmt_api(m, "GET", "/api/v1/widgets/1", NULL, NULL);
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
}

/* A known path with another method: 405 METHOD_NOT_ALLOWED and an Allow header. */
static void wrong_method_is_405_with_allow_header(void **state)
{
    dmt_mock *m = *state;
    char allow[128];
    dmt_resp r = dmt_api(m, "DELETE", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, NULL);
    dmt_assert_error(&r, 405, "METHOD_NOT_ALLOWED");
    assert_true(header_value(&r, "Allow", allow, sizeof allow));
    assert_string_equal(allow, "GET, PATCH");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "DELETE", "/api/v1/tickets/" DMT_TICKET, 405,
                                "METHOD_NOT_ALLOWED");

    r = dmt_api(m, "PUT", "/api/v1/tickets", DMT_ADMIN, "{}");
    dmt_assert_error(&r, 405, "METHOD_NOT_ALLOWED");
    assert_true(header_value(&r, "Allow", allow, sizeof allow));
    assert_string_equal(allow, "GET, POST");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "PUT", "/api/v1/tickets", 405, "METHOD_NOT_ALLOWED");

    r = dmt_ctl(m, "DELETE", "/mock/v1/health", NULL);
    dmt_assert_error(&r, 405, "METHOD_NOT_ALLOWED");
    assert_true(header_value(&r, "Allow", allow, sizeof allow));
    assert_string_equal(allow, "GET");
    dmt_resp_free(&r);
}

/* ==== 400 / 413 / 415 / 422: what was sent ==== */

/* A body that is not JSON: 400, with the line and column in the message. */
static void malformed_json_is_400_with_position(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN, "{\n  \"subject\": \"x\",\n}");
    dmt_assert_error(&r, 400, "INVALID_DATA");
    const char *msg = dmt_str(r.json, "message");
    if (!strstr(msg, "line 2, column 17")) fail_msg("no position in \"%s\"", msg);
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "POST", "/api/v1/tickets", 400, "INVALID_DATA");

    r = dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"status\": Closed}");
    dmt_assert_error(&r, 400, "INVALID_DATA");
    assert_non_null(strstr(dmt_str(r.json, "message"), "line 1, column 12"));
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, 400, "INVALID_DATA");

    /* an empty body where one is needed is a 400 too */
    const char *h[] = {AUTH_ADMIN, ORG_HEADER, JSON_CT, NULL};
    r = raw(m, "POST", "/api/v1/tickets", h, "", 0);
    dmt_assert_error(&r, 400, "INVALID_DATA");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "POST", "/api/v1/tickets", 400, "INVALID_DATA");
}

/* A body with a non-JSON content type: 415; charset parameters are fine. */
static void non_json_content_type_is_415(void **state)
{
    dmt_mock *m = *state;
    const char *text[] = {AUTH_ADMIN, ORG_HEADER, "Content-Type: text/plain", NULL};
    dmt_resp r = raw(m, "POST", "/api/v1/tickets", text, VALID_TICKET, strlen(VALID_TICKET));
    dmt_assert_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "POST", "/api/v1/tickets", 415, "UNSUPPORTED_MEDIA_TYPE");

    const char *form[] = {AUTH_ADMIN, ORG_HEADER, "Content-Type: application/x-www-form-urlencoded",
                          NULL};
    r = raw(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, form, "status=Closed", 13);
    dmt_assert_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, 415,
                                "UNSUPPORTED_MEDIA_TYPE");

    const char *jsonx[] = {AUTH_ADMIN, ORG_HEADER, "Content-Type: application/jsonp", NULL};
    r = raw(m, "POST", "/api/v1/tickets", jsonx, VALID_TICKET, strlen(VALID_TICKET));
    dmt_assert_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE");
    dmt_resp_free(&r);

    const char *utf8[] = {AUTH_ADMIN, ORG_HEADER, "Content-Type: application/json; charset=UTF-8",
                          NULL};
    r = raw(m, "POST", "/api/v1/tickets", utf8, VALID_TICKET, strlen(VALID_TICKET));
    assert_int_equal(r.status, 200);
    dmt_resp_free(&r);
}

/* A body over 1 MiB: 413, and the mock keeps serving; exactly 1 MiB is read. */
static void body_over_1mib_is_413(void **state)
{
    dmt_mock *m = *state;
    size_t len = DM_BODY_MAX + 1;
    char *big = malloc(len + 1);
    assert_non_null(big);
    /* {"subject":"xxxx...x"} padded to the exact size */
    memset(big, 'x', len);
    memcpy(big, "{\"subject\":\"", 12);
    memcpy(big + len - 2, "\"}", 2);
    big[len] = '\0';
    const char *h[] = {AUTH_ADMIN, ORG_HEADER, JSON_CT, NULL};
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/tickets", m->url);
    dmt_resp r;
    assert_int_equal(dmt_http("POST", url, h, big, len, &r), 0);
    dmt_assert_error(&r, 413, "PAYLOAD_TOO_LARGE");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "POST", "/api/v1/tickets", 413, "PAYLOAD_TOO_LARGE");

    /* one byte less is within the cap: read and judged (subject too long: 422) */
    memcpy(big + len - 3, "\"}", 3);
    r = raw(m, "POST", "/api/v1/tickets", h, big, len - 1);
    dmt_assert_error(&r, 422, "INVALID_DATA");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "POST", "/api/v1/tickets", 422, "INVALID_DATA");
    free(big);
}

/* A JSON body that is not an object: 422 at the root pointer "". */
static void json_array_body_is_422(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN, "[" VALID_TICKET "]");
    dmt_assert_error(&r, 422, "INVALID_DATA");
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "errors"), 0);
    assert_non_null(e);
    assert_string_equal(dmt_str(e, "fieldName"), "");
    assert_string_equal(dmt_str(e, "errorType"), "invalid");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "POST", "/api/v1/tickets", 422, "INVALID_DATA");

    r = dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "\"Closed\"");
    dmt_assert_error(&r, 422, "INVALID_DATA");
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, 422, "INVALID_DATA");
}

/* Missing or invalid fields: 422 with errors[] of JSON pointers. */
static void invalid_fields_are_422_with_pointers(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN, "{\"subject\":[]}");
    dmt_assert_error(&r, 422, "INVALID_DATA");
    const cJSON *e;
    int n = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(r.json, "errors")) {
        assert_int_equal(dmt_str(e, "fieldName")[0], '/');
        assert_non_null(dmt_str(e, "errorType"));
        assert_non_null(dmt_str(e, "errorMessage"));
        n++;
    }
    assert_true(n >= 2); /* /subject invalid, /departmentId missing */
    dmt_resp_free(&r);
    assert_served_and_journaled(m, "POST", "/api/v1/tickets", 422, "INVALID_DATA");
}

/* After every error class in a row, the same mock still serves real work. */
static void mock_keeps_serving_after_every_error(void **state)
{
    dmt_mock *m = *state;
    const char *noorg[] = {AUTH_ADMIN, NULL};
    const char *text[] = {AUTH_ADMIN, ORG_HEADER, "Content-Type: text/plain", NULL};
    dmt_resp r;
    r = dmt_api(m, "GET", "/api/v1/tickets", NULL, NULL), dmt_resp_free(&r);
    r = raw(m, "GET", "/api/v1/tickets", noorg, NULL, 0), dmt_resp_free(&r);
    r = dmt_api(m, "GET", "/api/v1/nope", DMT_ADMIN, NULL), dmt_resp_free(&r);
    r = dmt_api(m, "DELETE", "/api/v1/tickets", DMT_ADMIN, NULL), dmt_resp_free(&r);
    r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN, "{"), dmt_resp_free(&r);
    r = raw(m, "POST", "/api/v1/tickets", text, "{}", 2), dmt_resp_free(&r);
    r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN, "[]"), dmt_resp_free(&r);
    r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN, VALID_TICKET);
    assert_int_equal(r.status, 200);
    dmt_resp_free(&r);
    dmt_resp j = dmt_ctl(m, "GET", "/mock/v1/journal?kind=request", NULL);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j.json, "data")), 8);
    dmt_resp_free(&j);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, dmt_setup_mock, dmt_teardown_mock)
    const struct CMUnitTest tests[] = {
        T(missing_token_is_401_invalid_oauth),
        T(unknown_token_is_401_invalid_oauth),
        T(wrong_org_is_403_oauth_org_mismatch),
        T(missing_org_is_422),
        T(missing_scope_is_403_scope_mismatch),
        T(unknown_route_is_404_url_not_found),
        T(wrong_method_is_405_with_allow_header),
        T(malformed_json_is_400_with_position),
        T(non_json_content_type_is_415),
        T(body_over_1mib_is_413),
        T(json_array_body_is_422),
        T(invalid_fields_are_422_with_pointers),
        T(mock_keeps_serving_after_every_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
