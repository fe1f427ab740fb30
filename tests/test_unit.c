/* test_unit.c -- unit tests of the small modules, without sockets: the map,
 * ids, the clock, JSON parsing, routing, the journal and the loop's timers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "desk/api.h"
#include "http/http.h"
#include "journal/journal.h"
#include "loop/loop.h"
#include "util/base64url.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/json.h"
#include "util/map.h"

#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

/* ==== util/map.h ==== */

/* put then get returns the value; a second put replaces it; del returns it. */
static void map_put_get_replace_del(void **state)
{
    (void)state;
    dm_map *m = dm_map_new();
    int a = 1, b = 2;
    assert_null(dm_map_get(m, "x"));
    dm_map_put(m, "x", &a);
    assert_ptr_equal(dm_map_get(m, "x"), &a);
    assert_int_equal(dm_map_count(m), 1);
    dm_map_put(m, "x", &b);
    assert_ptr_equal(dm_map_get(m, "x"), &b);
    assert_int_equal(dm_map_count(m), 1);
    assert_ptr_equal(dm_map_del(m, "x"), &b);
    assert_null(dm_map_get(m, "x"));
    assert_null(dm_map_del(m, "x"));
    assert_int_equal(dm_map_count(m), 0);
    dm_map_free(m);
    dm_map_free(NULL);
}

/* The map copies keys: a key buffer changed after put does not move the entry. */
static void map_copies_keys(void **state)
{
    (void)state;
    dm_map *m = dm_map_new();
    char key[16] = "alpha";
    int v = 7;
    dm_map_put(m, key, &v);
    snprintf(key, sizeof key, "beta");
    assert_ptr_equal(dm_map_get(m, "alpha"), &v);
    assert_null(dm_map_get(m, "beta"));
    dm_map_free(m);
}

/* Thousands of keys survive several growths; every one stays reachable. */
static void map_grows_and_keeps_every_key(void **state)
{
    (void)state;
    dm_map *m = dm_map_new();
    static int vals[5000];
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        vals[i] = i;
        dm_map_put(m, key, &vals[i]);
    }
    assert_int_equal(dm_map_count(m), 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        int *v = dm_map_get(m, key);
        assert_non_null(v);
        assert_int_equal(*v, i);
    }
    dm_map_free(m);
}

/* Deleting leaves tombstones that do not hide keys further along the probe
 * chain; heavy put/del churn (tombstones filling the table) keeps working. */
static void map_tombstones_keep_probe_chains_and_churn(void **state)
{
    (void)state;
    dm_map *m = dm_map_new();
    static int vals[200];
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "k%d", i);
        dm_map_put(m, key, &vals[i]);
    }
    for (int i = 0; i < 200; i += 2) {
        snprintf(key, sizeof key, "k%d", i);
        assert_ptr_equal(dm_map_del(m, key), &vals[i]);
    }
    assert_int_equal(dm_map_count(m), 100);
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "k%d", i);
        if (i % 2)
            assert_ptr_equal(dm_map_get(m, key), &vals[i]);
        else
            assert_null(dm_map_get(m, key));
    }
    /* churn: 20,000 distinct short-lived keys, never more than 101 live */
    int tmp = 0;
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "t%d", i);
        dm_map_put(m, key, &tmp);
        assert_ptr_equal(dm_map_get(m, key), &tmp);
        assert_ptr_equal(dm_map_del(m, key), &tmp);
    }
    assert_int_equal(dm_map_count(m), 100);
    for (int i = 1; i < 200; i += 2) {
        snprintf(key, sizeof key, "k%d", i);
        assert_ptr_equal(dm_map_get(m, key), &vals[i]);
    }
    /* deleted keys can come back */
    dm_map_put(m, "k0", &vals[0]);
    assert_ptr_equal(dm_map_get(m, "k0"), &vals[0]);
    dm_map_clear(m);
    assert_int_equal(dm_map_count(m), 0);
    assert_null(dm_map_get(m, "k1"));
    dm_map_free(m);
}

/* ==== util/ids.h ==== */

/* The same seed gives the same ids in the same order; another seed does not. */
static void ids_same_seed_same_sequence(void **state)
{
    (void)state;
    dm_ids a, b, c;
    dm_ids_seed(&a, 42);
    dm_ids_seed(&b, 42);
    dm_ids_seed(&c, 43);
    int differs = 0;
    for (int i = 0; i < 100; i++) {
        char x[DM_ID_MAX], y[DM_ID_MAX], z[DM_ID_MAX];
        dm_ids_next(&a, x);
        dm_ids_next(&b, y);
        dm_ids_next(&c, z);
        assert_string_equal(x, y);
        differs |= strcmp(x, z) != 0;
    }
    assert_true(differs);
}

/* Every id is 19 digits, below 2^63, and passes dm_id_valid. */
static void ids_are_19_digits_below_int64_max(void **state)
{
    (void)state;
    dm_ids ids;
    dm_ids_seed(&ids, 1);
    for (int i = 0; i < 10000; i++) {
        char id[DM_ID_MAX];
        dm_ids_next(&ids, id);
        assert_int_equal(strlen(id), 19);
        assert_true(dm_id_valid(id));
        assert_true(strcmp(id, "9223372036854775807") <= 0);
    }
}

/* dm_id_valid: 1 to 19 digits, no sign, no leading zero. */
static void id_valid_accepts_digits_only(void **state)
{
    (void)state;
    assert_true(dm_id_valid("1"));
    assert_true(dm_id_valid("18920000000000401"));
    assert_true(dm_id_valid("1234567890123456789"));
    assert_false(dm_id_valid(""));
    assert_false(dm_id_valid("0"));
    assert_false(dm_id_valid("0123"));
    assert_false(dm_id_valid("-1"));
    assert_false(dm_id_valid("+1"));
    assert_false(dm_id_valid("12a"));
    assert_false(dm_id_valid("12 "));
    assert_false(dm_id_valid("12345678901234567890"));
}

/* dm_random_hex gives 2n lowercase hex characters, different each call. */
static void random_hex_is_lowercase_hex(void **state)
{
    (void)state;
    char a[65], b[65];
    assert_int_equal(dm_random_hex(a, 32), 0);
    assert_int_equal(dm_random_hex(b, 32), 0);
    assert_int_equal(strlen(a), 64);
    assert_int_equal(strspn(a, "0123456789abcdef"), 64);
    assert_string_not_equal(a, b);
}

/* ==== util/buf.h: JSON strings ==== */

/* dm_buf_json_str writes a JSON string that parses back to the input, for
 * every control character, quotes and backslashes in runs and alone, and
 * bytes above 0x7f passed through. */
static void json_str_escapes_and_round_trips(void **state)
{
    (void)state;
    dm_buf b = {0};
    dm_buf_json_str(&b, "");
    assert_string_equal(b.data, "\"\"");
    dm_buf_reset(&b);
    dm_buf_json_str(&b, "a\"b\\c\nd\re\tf\x01g\x1f");
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001f\"");
    char in[300];
    size_t n = 0;
    for (int c = 1; c < 256; c++) {
        in[n++] = (char)c;
        if (c % 7 == 0) in[n++] = '"';
    }
    in[n] = '\0';
    const char *cases[] = {in, "plain text only", "\"\"\\\\", "tail\\", "\x7f\xc3\xa9"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        dm_buf_reset(&b);
        dm_buf_json_str(&b, cases[i]);
        cJSON *v = cJSON_Parse(b.data);
        assert_non_null(v);
        assert_true(cJSON_IsString(v));
        assert_string_equal(v->valuestring, cases[i]);
        cJSON_Delete(v);
    }
    dm_buf_free(&b);
}

/* ==== util/clock.h ==== */

/* Times format with milliseconds and parse back to the same instant. */
static void iso_time_round_trips(void **state)
{
    (void)state;
    char iso[DM_ISO_LEN];
    dm_iso_time(0, iso);
    assert_string_equal(iso, "1970-01-01T00:00:00.000Z");
    dm_iso_time(1767604500123LL, iso);
    assert_string_equal(iso, "2026-01-05T09:15:00.123Z");
    dm_iso_time(-1, iso);
    assert_string_equal(iso, "1969-12-31T23:59:59.999Z");
    static const int64_t samples[] = {0,
                                      1,
                                      999,
                                      1000,
                                      -1,
                                      -1000,
                                      -1001,
                                      951782400000LL,
                                      1709164800000LL,
                                      1767604500123LL,
                                      4102444799999LL};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        int64_t back = 0;
        dm_iso_time(samples[i], iso);
        assert_int_equal(dm_iso_parse(iso, &back), 0);
        assert_int_equal(back, samples[i]);
    }
    int64_t ms = 0;
    assert_int_equal(dm_iso_parse("2000-02-29T00:00:00Z", &ms), 0); /* millis optional */
    assert_int_equal(ms, 951782400000LL);
}

/* dm_iso_time's own calendar agrees with gmtime_r from year 0 to 9999 on a
 * stride of 31 days, an hour and 61.001 s (so every day of the month and hour
 * of the day comes round), a millisecond either side of each step, and at
 * every new year from 1900 to 2100. */
static void iso_time_agrees_with_gmtime(void **state)
{
    (void)state;
    char iso[DM_ISO_LEN], want[DM_ISO_LEN];
    const int64_t first = -62167219200000LL,
                  last = 253402300799999LL; /* 0000-01-01 .. 9999-12-31 */
    int64_t checked = 0;
    for (int64_t ms = first; ms <= last; ms += 3600000LL * 24 * 31 + 3600000LL + 61001) {
        for (int64_t edge = -1; edge <= 1; edge++) {
            int64_t t = ms + edge;
            if (t < first || t > last) continue;
            int64_t secs = t >= 0 ? t / 1000 : (t - 999) / 1000;
            time_t tt = (time_t)secs;
            struct tm tm;
            assert_non_null(gmtime_r(&tt, &tm));
            snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)(t - secs * 1000));
            dm_iso_time(t, iso);
            assert_string_equal(iso, want);
            checked++;
        }
    }
    for (int y = 1900; y <= 2100; y++) {
        struct tm tm = {.tm_year = y - 1900, .tm_mday = 1};
        int64_t ms = (int64_t)timegm(&tm) * 1000;
        char prev[DM_ISO_LEN];
        dm_iso_time(ms, iso);
        dm_iso_time(ms - 1, prev);
        snprintf(want, sizeof want, "%04d-01-01T00:00:00.000Z", y);
        assert_string_equal(iso, want);
        snprintf(want, sizeof want, "%04d-12-31T23:59:59.999Z", y - 1);
        assert_string_equal(prev, want);
    }
    assert_true(checked > 300000);
}

/* Malformed strings and impossible dates are rejected. */
static void iso_parse_rejects_invalid_dates(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2026-01-05",
        "2026-01-05T09:15:00",      /* no Z */
        "2026-01-05T09:15:00.000",  /* no Z */
        "2026-01-05 09:15:00.000Z", /* space, not T */
        "2026-01-05T09:15:00.00Z",  /* two-digit millis */
        "2026-01-05T09:15:00.000+01:00",
        "2026-01-05T09:15:00.000ZZ",
        "2026-1-05T09:15:00.000Z",
        "2026-00-10T00:00:00.000Z",
        "2026-13-01T00:00:00.000Z",
        "2026-01-00T00:00:00.000Z",
        "2026-01-32T00:00:00.000Z",
        "2026-02-30T00:00:00.000Z",
        "2026-04-31T00:00:00.000Z",
        "2025-02-29T00:00:00.000Z", /* 2025 is not a leap year */
        "1900-02-29T00:00:00.000Z", /* nor is 1900 */
        "2026-01-05T24:00:00.000Z",
        "2026-01-05T09:60:00.000Z",
        "2026-01-05T09:15:61.000Z",
        "abcd-01-05T09:15:00.000Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t ms = 0;
        if (dm_iso_parse(bad[i], &ms) == 0) fail_msg("accepted \"%s\"", bad[i]);
    }
    int64_t ms;
    assert_int_equal(dm_iso_parse("2024-02-29T12:00:00.000Z", &ms), 0);
    assert_int_equal(dm_iso_parse("2000-02-29T12:00:00.000Z", &ms), 0);
}

/* A virtual clock moves only when advanced; a real one ignores advance. */
static void virtual_clock_moves_only_when_advanced(void **state)
{
    (void)state;
    dm_clock c = {1, 1000};
    assert_int_equal(dm_clock_now(&c), 1000);
    dm_clock_advance(&c, 500);
    assert_int_equal(dm_clock_now(&c), 1500);
    dm_clock_advance(&c, -5);
    assert_int_equal(dm_clock_now(&c), 1500);
    dm_clock real = {0, 0};
    assert_true(dm_clock_now(&real) > 1700000000000LL);
}

/* ==== util/json.h ==== */

static void assert_parse_error(const char *text, size_t len, const char *want)
{
    cJSON *out = (cJSON *)1;
    char msg[160];
    assert_int_not_equal(dm_json_parse(text, len, &out, msg, sizeof msg), 0);
    assert_null(out);
    if (strcmp(msg, want) != 0) fail_msg("parsing %.40s: got \"%s\", want \"%s\"", text, msg, want);
}

static void assert_parse_str(const char *text, const char *want)
{
    assert_parse_error(text, strlen(text), want);
}

/* Errors name the line and column (from 1) of the offending character. */
static void json_parse_errors_carry_positions(void **state)
{
    (void)state;
    const char *t1 = "{\n  \"a\": x}";
    assert_parse_error(t1, strlen(t1), "line 2, column 8: expected a value, got 'x'");
    const char *t2 = "{\"a\": 1";
    assert_parse_error(t2, strlen(t2), "line 1, column 8: expected ',' or '}', got end of input");
    assert_parse_error("", 0, "line 1, column 1: no JSON value (the input is empty)");
    assert_parse_error("  \n ", 4, "line 2, column 2: no JSON value (the input is empty)");
    const char *t3 = "{\"a\": 1} x";
    assert_parse_error(
        t3, strlen(t3),
        "line 1, column 10: expected the end of input after the JSON value, got 'x'");
    /* a trailing comma is named at the comma */
    const char *t5 = "{\n  \"subject\": \"x\",\n}";
    assert_parse_error(t5, strlen(t5), "line 2, column 17: trailing comma before '}'");
    assert_parse_str("{1:2}", "line 1, column 2: expected a string key or '}', got '1'");
    assert_parse_str("{\"a\":1,,}", "line 1, column 8: expected a string key, got ','");
    assert_parse_str("[{ x", "line 1, column 4: expected a string key or '}', got 'x'");
    assert_parse_str("[1,2x]", "line 1, column 5: expected ',' or ']', got 'x'");
    assert_parse_str("{\"a\":[1,2x]}", "line 1, column 10: expected ',' or ']', got 'x'");
    assert_parse_str("{\"a\":1,\"b\"}", "line 1, column 11: expected ':' after the key, got '}'");
    /* a string that never ends is named where it starts */
    const char *t6 = "{\"subject\": \"x}";
    assert_parse_error(t6, strlen(t6), "line 1, column 13: unterminated string");
    assert_parse_str("[\"a\\\"", "line 1, column 2: unterminated string");
    /* columns count characters, not UTF-8 bytes */
    const char *t4 = "[\"\xc3\xa9\xc3\xa9\", ?]";
    assert_parse_error(t4, strlen(t4), "line 1, column 8: expected a value, got '?'");
    /* what JSON allows but the mock refuses: duplicate keys, numbers beyond a double */
    assert_parse_str("{\"a\":1,\"a\":2}", "line 1, column 8: duplicate key \"a\"");
    assert_parse_str("[1e400]", "line 1, column 2: number out of range");
}

/* Only len bytes are read: the text need not be NUL-terminated. */
static void json_parse_reads_only_len_bytes(void **state)
{
    (void)state;
    const char text[] = "{\"a\":1}garbage";
    cJSON *out = NULL;
    assert_int_equal(dm_json_parse(text, 7, &out, NULL, 0), 0);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(out, "a")));
    cJSON_Delete(out);
}

/* Nesting is capped at DM_JSON_MAX_DEPTH; brackets inside strings do not count. */
static void json_parse_caps_depth(void **state)
{
    (void)state;
    char deep[2 * (DM_JSON_MAX_DEPTH + 1) + 1];
    size_t n = 0;
    for (int i = 0; i < DM_JSON_MAX_DEPTH; i++)
        deep[n++] = '[';
    for (int i = 0; i < DM_JSON_MAX_DEPTH; i++)
        deep[n++] = ']';
    cJSON *out = NULL;
    assert_int_equal(dm_json_parse(deep, n, &out, NULL, 0), 0);
    cJSON_Delete(out);

    n = 0;
    for (int i = 0; i < DM_JSON_MAX_DEPTH + 1; i++)
        deep[n++] = '[';
    for (int i = 0; i < DM_JSON_MAX_DEPTH + 1; i++)
        deep[n++] = ']';
    char want[80];
    snprintf(want, sizeof want, "line 1, column %d: nesting deeper than %d levels",
             DM_JSON_MAX_DEPTH + 1, DM_JSON_MAX_DEPTH);
    assert_parse_error(deep, n, want);

    char quoted[300];
    int q = snprintf(quoted, sizeof quoted, "{\"s\":\"");
    for (int i = 0; i < 100; i++)
        quoted[q++] = '[';
    q += snprintf(quoted + q, sizeof quoted - (size_t)q, "\\\"[\"}");
    assert_int_equal(dm_json_parse(quoted, (size_t)q, &out, NULL, 0), 0);
    cJSON_Delete(out);
}

/* A NUL byte inside the text is an error at its position, not a truncation. */
static void json_parse_rejects_nul_byte(void **state)
{
    (void)state;
    const char text[] = "{\"a\":\0}";
    assert_parse_error(text, sizeof text - 1, "line 1, column 6: expected a value, got a NUL byte");
}

/* Counts are stored as strings, and add_count does arithmetic on them. */
static void json_counts_are_strings(void **state)
{
    (void)state;
    cJSON *o = cJSON_CreateObject();
    dm_json_set_count(o, "threadCount", 3);
    assert_string_equal(dm_json_str(o, "threadCount"), "3");
    dm_json_add_count(o, "threadCount", 2);
    assert_string_equal(dm_json_str(o, "threadCount"), "5");
    dm_json_add_count(o, "missing", 1);
    assert_string_equal(dm_json_str(o, "missing"), "1");
    dm_json_set_str(o, "threadCount", NULL);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "threadCount")));
    assert_int_equal(cJSON_GetArraySize(o), 2); /* set replaces, never duplicates */
    cJSON_Delete(o);
}

/* ==== http/http.h ==== */

static const dm_route *route_for(const char *method, const char *path, dm_req *req, int *known,
                                 char *allow, size_t allowlen)
{
    static dm_router *r;
    static int self_token;
    if (!r) {
        r = dm_router_new();
        dm_router_add(r, dm_desk_routes, dm_desk_nroutes, &self_token);
    }
    memset(req, 0, sizeof *req);
    req->method = method;
    req->path = path;
    void *self = NULL;
    const dm_route *hit = dm_router_match(r, req, &self, known, allow, allowlen);
    assert_true(!hit || self == &self_token); /* the table's own handle comes back */
    return hit;
}

/* {} segments are captured in order, and the right route wins. */
static void route_match_captures_segments(void **state)
{
    (void)state;
    dm_req req;
    int known;
    char allow[64];
    const dm_route *r =
        route_for("PATCH", "/api/v1/tickets/123/comments/456", &req, &known, allow, sizeof allow);
    assert_non_null(r);
    assert_ptr_equal(r->handler, dm_h_comment_update);
    assert_int_equal(req.nparams, 2);
    assert_string_equal(req.params[0], "123");
    assert_string_equal(req.params[1], "456");

    r = route_for("GET", "/api/v1/tickets/77", &req, &known, allow, sizeof allow);
    assert_non_null(r);
    assert_ptr_equal(r->handler, dm_h_ticket_get);
    assert_int_equal(req.nparams, 1);
    assert_string_equal(req.params[0], "77");

    r = route_for("POST", "/api/v1/tickets/77/sendReply", &req, &known, allow, sizeof allow);
    assert_non_null(r);
    assert_ptr_equal(r->handler, dm_h_send_reply);
}

/* A path that exists under other methods is "known" with an Allow list. */
static void route_match_wrong_method_lists_allowed(void **state)
{
    (void)state;
    dm_req req;
    int known = 0;
    char allow[64];
    assert_null(route_for("DELETE", "/api/v1/tickets/77", &req, &known, allow, sizeof allow));
    assert_int_equal(known, 1);
    assert_string_equal(allow, "GET, PATCH");
    assert_null(route_for("PUT", "/api/v1/tickets", &req, &known, allow, sizeof allow));
    assert_int_equal(known, 1);
    assert_string_equal(allow, "GET, POST");
    assert_null(
        route_for("GET", "/api/v1/tickets/77/sendReply", &req, &known, allow, sizeof allow));
    assert_int_equal(known, 1);
    assert_string_equal(allow, "POST");
}

/* Unknown paths are not known; one trailing slash is tolerated, two are not,
 * and an empty or over-long segment never matches a capture. */
static void route_match_trailing_slash_and_unknown(void **state)
{
    (void)state;
    dm_req req;
    int known = 1;
    char allow[64];
    assert_null(route_for("GET", "/api/v1/nothing", &req, &known, allow, sizeof allow));
    assert_int_equal(known, 0);
    assert_string_equal(allow, "");

    const dm_route *r = route_for("GET", "/api/v1/tickets/", &req, &known, allow, sizeof allow);
    assert_non_null(r);
    assert_ptr_equal(r->handler, dm_h_tickets);
    r = route_for("GET", "/api/v1/tickets/9/", &req, &known, allow, sizeof allow);
    assert_non_null(r);
    assert_ptr_equal(r->handler, dm_h_ticket_get);
    assert_string_equal(req.params[0], "9");

    assert_null(route_for("GET", "/api/v1/tickets//", &req, &known, allow, sizeof allow));
    assert_int_equal(known, 0);
    assert_null(route_for("GET", "/api/v1/tickets//threads", &req, &known, allow, sizeof allow));
    assert_int_equal(known, 0);
    assert_null(route_for("GET", "/api/v1/ticketsx", &req, &known, allow, sizeof allow));
    assert_int_equal(known, 0);

    char longpath[400];
    int n = snprintf(longpath, sizeof longpath, "/api/v1/tickets/");
    for (int i = 0; i < 200; i++)
        longpath[n++] = '1';
    longpath[n] = '\0';
    assert_null(route_for("GET", longpath, &req, &known, allow, sizeof allow));
    assert_int_equal(known, 0);
}

/* The error envelope is {"errorCode","message","errors":[{fieldName,...}]}. */
static void resp_error_writes_desk_envelope(void **state)
{
    (void)state;
    dm_resp r;
    dm_resp_init(&r);
    dm_field_errs e = {0};
    dm_field_errs_add(&e, "/subject", "missing", "is %s", "required");
    dm_resp_error(&r, 422, "INVALID_DATA", "bad \"data\"", &e);
    assert_int_equal(r.status, 422);
    assert_string_equal(r.error_code, "INVALID_DATA");
    cJSON *j = NULL;
    assert_int_equal(dm_json_parse(r.body.data, r.body.len, &j, NULL, 0), 0);
    assert_string_equal(dm_json_str(j, "errorCode"), "INVALID_DATA");
    assert_string_equal(dm_json_str(j, "message"), "bad \"data\"");
    cJSON *errs = cJSON_GetObjectItem(j, "errors");
    assert_int_equal(cJSON_GetArraySize(errs), 1);
    cJSON *e0 = cJSON_GetArrayItem(errs, 0);
    assert_string_equal(dm_json_str(e0, "fieldName"), "/subject");
    assert_string_equal(dm_json_str(e0, "errorType"), "missing");
    assert_string_equal(dm_json_str(e0, "errorMessage"), "is required");
    cJSON_Delete(j);

    dm_resp_error(&r, 404, "URL_NOT_FOUND", "nope", NULL);
    assert_int_equal(dm_json_parse(r.body.data, r.body.len, &j, NULL, 0), 0);
    assert_null(cJSON_GetObjectItem(j, "errors"));
    cJSON_Delete(j);
    dm_resp_free(&r);
}

/* ==== journal/journal.h ==== */

typedef struct jt {
    dm_clock clock;
    dm_journal *j;
} jt;

static int journal_setup(void **state)
{
    jt *t = calloc(1, sizeof *t);
    t->clock = (dm_clock){1, 1767604500000LL};
    t->j = dm_journal_new(&t->clock, 0, 0);
    *state = t;
    return 0;
}

static int journal_teardown(void **state)
{
    jt *t = *state;
    dm_journal_free(t->j);
    free(t);
    return 0;
}

static cJSON *query(dm_journal *j, uint64_t after, const char *kinds, uint64_t cause)
{
    dm_journal_filter f = {after, kinds, cause, 0};
    dm_buf b = {0};
    dm_journal_query(j, &f, &b);
    cJSON *out = NULL;
    assert_int_equal(dm_json_parse(b.data, b.len, &out, NULL, 0), 0);
    dm_buf_free(&b);
    return out;
}

static uint64_t seq_at(const cJSON *q, int i)
{
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(q, "data"), i);
    assert_non_null(r);
    return (uint64_t)cJSON_GetObjectItem(r, "seq")->valuedouble;
}

/* A request's record is published before the records it caused, and those
 * stay invisible until the request commits. */
static void journal_request_comes_before_what_it_caused(void **state)
{
    jt *t = *state;
    uint64_t req = dm_journal_begin(t->j);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "resource", "ticket");
    uint64_t ch = dm_journal_add(t->j, "change", req, f);
    assert_true(ch > req);
    assert_int_equal(dm_journal_count(t->j), 0);
    cJSON *rf = cJSON_CreateObject();
    cJSON_AddNumberToObject(rf, "status", 200);
    dm_journal_commit(t->j, req, "request", 0, rf);
    assert_int_equal(dm_journal_count(t->j), 2);
    assert_int_equal(dm_journal_last_seq(t->j), ch);

    cJSON *q = query(t->j, 0, NULL, 0);
    assert_int_equal(seq_at(q, 0), req);
    assert_int_equal(seq_at(q, 1), ch);
    const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(q, "data"), 0);
    const cJSON *r1 = cJSON_GetArrayItem(cJSON_GetObjectItem(q, "data"), 1);
    assert_string_equal(dm_json_str(r0, "kind"), "request");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r0, "cause")));
    assert_int_equal(cJSON_GetObjectItem(r0, "status")->valueint, 200);
    assert_string_equal(dm_json_str(r0, "time"), "2026-01-05T09:15:00.000Z");
    assert_string_equal(dm_json_str(r1, "kind"), "change");
    assert_int_equal((uint64_t)cJSON_GetObjectItem(r1, "cause")->valuedouble, req);
    assert_string_equal(dm_json_str(r1, "resource"), "ticket");
    cJSON_Delete(q);

    /* filters: by cause, by kind (comma list), after */
    q = query(t->j, 0, NULL, req);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(q, "data")), 1);
    assert_int_equal(seq_at(q, 0), ch);
    cJSON_Delete(q);
    q = query(t->j, 0, "event,change", 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(q, "data")), 1);
    cJSON_Delete(q);
    q = query(t->j, 0, "chan", 0); /* kinds match whole names only */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(q, "data")), 0);
    cJSON_Delete(q);
    q = query(t->j, req, NULL, 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(q, "data")), 1);
    assert_int_equal(seq_at(q, 0), ch);
    cJSON_Delete(q);
}

/* A request that caused nothing commits alone; one that reserved a seq and
 * filled it in last still publishes its records in seq order. */
static void journal_commit_orders_reserved_records(void **state)
{
    jt *t = *state;
    uint64_t alone = dm_journal_begin(t->j);
    dm_journal_commit(t->j, alone, "request", 0, NULL);
    assert_int_equal(dm_journal_count(t->j), 1);

    uint64_t req = dm_journal_begin(t->j);
    uint64_t reserved = dm_journal_reserve(t->j);
    uint64_t later = dm_journal_add(t->j, "event", req, NULL);
    dm_journal_add_at(t->j, reserved, "change", req, NULL);
    dm_journal_commit(t->j, req, "request", 0, NULL);
    cJSON *q = query(t->j, alone, NULL, 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(q, "data")), 3);
    assert_int_equal(seq_at(q, 0), req);
    assert_int_equal(seq_at(q, 1), reserved);
    assert_int_equal(seq_at(q, 2), later);
    cJSON_Delete(q);
}

static void count_wake(void *ud)
{
    (*(int *)ud)++;
}

/* A waiter is woken once, by the first record that matches its filter, and
 * not at all once unwaited. */
static void journal_waiters_woken_by_matching_records(void **state)
{
    jt *t = *state;
    int woke_change = 0, woke_any = 0, woke_cancelled = 0;
    dm_journal_filter fc = {0, "change", 0, 0};
    dm_journal_filter fa = {0, NULL, 0, 0};
    dm_journal_wait(t->j, &fc, count_wake, &woke_change);
    dm_journal_wait(t->j, &fa, count_wake, &woke_any);
    void *h = dm_journal_wait(t->j, &fa, count_wake, &woke_cancelled);
    dm_journal_unwait(t->j, h);

    dm_journal_add(t->j, "request", 0, NULL);
    assert_int_equal(woke_any, 1);
    assert_int_equal(woke_change, 0);
    dm_journal_add(t->j, "change", 1, NULL);
    dm_journal_add(t->j, "change", 1, NULL);
    assert_int_equal(woke_change, 1);
    assert_int_equal(woke_any, 1);
    assert_int_equal(woke_cancelled, 0);

    /* a waiter for records after seq 10 ignores earlier ones */
    int woke_late = 0;
    dm_journal_filter fl = {10, NULL, 0, 0};
    dm_journal_wait(t->j, &fl, count_wake, &woke_late);
    while (dm_journal_add(t->j, "request", 0, NULL) < 10)
        assert_int_equal(woke_late, 0);
    assert_int_equal(woke_late, 0);
    dm_journal_add(t->j, "request", 0, NULL);
    assert_int_equal(woke_late, 1);

    /* records held by an open request wake no one until it commits */
    int woke_held = 0;
    dm_journal_filter fh = {dm_journal_last_seq(t->j), "change", 0, 0};
    dm_journal_wait(t->j, &fh, count_wake, &woke_held);
    uint64_t req = dm_journal_begin(t->j);
    dm_journal_add(t->j, "change", req, NULL);
    assert_int_equal(woke_held, 0);
    dm_journal_commit(t->j, req, "request", 0, NULL);
    assert_int_equal(woke_held, 1);
}

/* With a limit, the oldest records are evicted and counted. */
static void journal_limit_evicts_oldest(void **state)
{
    (void)state;
    dm_clock c = {1, 0};
    dm_journal *j = dm_journal_new(&c, 3, 0);
    for (int i = 0; i < 1000; i++)
        dm_journal_add(j, "request", 0, NULL);
    assert_int_equal(dm_journal_count(j), 3);
    assert_int_equal(dm_journal_evicted(j), 997);
    assert_int_equal(dm_journal_last_seq(j), 1000);
    cJSON *q = query(j, 0, NULL, 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(q, "data")), 3);
    assert_int_equal(seq_at(q, 0), 998);
    assert_int_equal(seq_at(q, 2), 1000);
    assert_int_equal(cJSON_GetObjectItem(q, "lastSeq")->valueint, 1000);
    assert_int_equal(cJSON_GetObjectItem(q, "evicted")->valueint, 997);
    cJSON_Delete(q);
    dm_journal_free(j);
}

/* With a byte limit, the oldest records go once the text would pass it; the
 * newest stays even when it alone is larger. */
static void journal_byte_limit_evicts_oldest(void **state)
{
    (void)state;
    dm_clock c = {1, 0};
    dm_journal *j = dm_journal_new(&c, 0, 4096);
    for (int i = 0; i < 1000; i++)
        dm_journal_add(j, "request", 0, NULL);
    size_t n = dm_journal_count(j);
    assert_true(n > 10 && n < 1000);
    assert_true(dm_journal_bytes(j) <= 4096);
    assert_true(dm_journal_bytes(j) > 4096 - 200); /* full, less at most one record */
    assert_int_equal(dm_journal_evicted(j), 1000 - n);
    cJSON *q = query(j, 0, NULL, 0);
    assert_int_equal(seq_at(q, 0), 1000 - n + 1);
    cJSON_Delete(q);

    cJSON *big = cJSON_CreateObject();
    char *text = calloc(1, 10000);
    memset(text, 'x', 9999);
    cJSON_AddStringToObject(big, "text", text);
    free(text);
    uint64_t seq = dm_journal_add(j, "request", 0, big);
    assert_int_equal(dm_journal_count(j), 1);
    assert_int_equal(dm_journal_last_seq(j), seq);
    assert_true(dm_journal_bytes(j) > 10000);
    dm_journal_add(j, "request", 0, NULL);
    assert_int_equal(dm_journal_count(j), 1); /* the big one went */
    assert_true(dm_journal_bytes(j) < 200);
    dm_journal_clear(j);
    assert_int_equal(dm_journal_bytes(j), 0);
    dm_journal_free(j);
}

/* Clearing drops the records but seq keeps counting; query limit is honoured. */
static void journal_clear_keeps_seq_counting(void **state)
{
    jt *t = *state;
    for (int i = 0; i < 5; i++)
        dm_journal_add(t->j, "request", 0, NULL);
    dm_journal_clear(t->j);
    assert_int_equal(dm_journal_count(t->j), 0);
    assert_int_equal(dm_journal_add(t->j, "request", 0, NULL), 6);
    for (int i = 0; i < 5; i++)
        dm_journal_add(t->j, "request", 0, NULL);
    dm_journal_filter f = {0, NULL, 0, 2};
    dm_buf b = {0};
    assert_int_equal(dm_journal_query(t->j, &f, &b), 2);
    cJSON *q = NULL;
    assert_int_equal(dm_json_parse(b.data, b.len, &q, NULL, 0), 0);
    assert_int_equal(seq_at(q, 0), 6);
    assert_int_equal(seq_at(q, 1), 7);
    cJSON_Delete(q);
    dm_buf_free(&b);
}

/* ==== loop.h ==== */

typedef struct fired {
    dm_clock *clock;
    int order[16];
    int64_t at[16];
    int n;
} fired;

typedef struct tick {
    fired *log;
    int id;
} tick;

static void on_tick(void *ud)
{
    tick *t = ud;
    t->log->order[t->log->n] = t->id;
    t->log->at[t->log->n] = dm_clock_now(t->log->clock);
    t->log->n++;
}

/* Real timers fire in due order (ties by creation), and a cancelled one never. */
static void loop_timers_fire_in_order_and_cancel_works(void **state)
{
    (void)state;
    dm_clock c = {0, 0};
    dm_loop *l = dm_loop_new(&c);
    assert_non_null(l);
    fired log = {&c, {0}, {0}, 0};
    tick t[5] = {{&log, 1}, {&log, 2}, {&log, 3}, {&log, 4}, {&log, 5}};
    /* delays far apart, so a slow run (valgrind) cannot reorder their dues */
    dm_loop_after(l, 300, 0, on_tick, &t[0]);
    dm_loop_after(l, 100, 0, on_tick, &t[1]);
    uint64_t gone = dm_loop_after(l, 200, 0, on_tick, &t[2]);
    dm_loop_after(l, 0, 0, on_tick, &t[3]);
    dm_loop_after(l, 0, 0, on_tick, &t[4]);
    dm_loop_cancel(l, gone);
    dm_loop_cancel(l, 9999); /* unknown ids are ignored */
    /* each pass waits at most until the nearest timer; bounded, never a sleep */
    for (int i = 0; i < 1000 && log.n < 4; i++)
        dm_loop_once(l, 100);
    assert_int_equal(log.n, 4);
    assert_int_equal(log.order[0], 4);
    assert_int_equal(log.order[1], 5);
    assert_int_equal(log.order[2], 2);
    assert_int_equal(log.order[3], 1);
    dm_loop_free(l);
}

/* dm_loop_advance fires clock timers at their own virtual times, in order,
 * and leaves later ones pending. */
static void loop_advance_fires_clock_timers_at_their_times(void **state)
{
    (void)state;
    const int64_t start = 1767225600000LL; /* 2026-01-01T00:00:00.000Z */
    dm_clock c = {1, start};
    dm_loop *l = dm_loop_new(&c);
    fired log = {&c, {0}, {0}, 0};
    tick t[4] = {{&log, 1}, {&log, 2}, {&log, 3}, {&log, 4}};
    dm_loop_after(l, 1000, 1, on_tick, &t[0]);
    dm_loop_after(l, 500, 1, on_tick, &t[1]);
    dm_loop_after(l, 3000, 1, on_tick, &t[2]);
    uint64_t gone = dm_loop_after(l, 700, 1, on_tick, &t[3]);
    dm_loop_cancel(l, gone);
    assert_int_equal(dm_loop_clock_timers(l), 3);

    dm_loop_advance(l, 2000);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.order[0], 2);
    assert_int_equal(log.at[0], start + 500);
    assert_int_equal(log.order[1], 1);
    assert_int_equal(log.at[1], start + 1000);
    assert_int_equal(dm_clock_now(&c), start + 2000);
    assert_int_equal(dm_loop_clock_timers(l), 1);

    dm_loop_advance(l, 1000);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.order[2], 3);
    assert_int_equal(log.at[2], start + 3000);
    assert_int_equal(dm_clock_now(&c), start + 3000);
    dm_loop_free(l);
}

/* An idle loop on a virtual clock jumps straight to the next clock timer:
 * three days pass in one iteration. */
static void loop_idle_virtual_clock_jumps_to_next_timer(void **state)
{
    (void)state;
    const int64_t start = 1767225600000LL;
    const int64_t three_days = 3LL * 24 * 3600 * 1000;
    dm_clock c = {1, start};
    dm_loop *l = dm_loop_new(&c);
    fired log = {&c, {0}, {0}, 0};
    tick t = {&log, 1};
    dm_loop_after(l, three_days, 1, on_tick, &t);
    dm_loop_once(l, 1000);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.at[0], start + three_days);
    assert_int_equal(dm_loop_clock_timers(l), 0);
    dm_loop_free(l);
}

/* dm_loop_stop from before the run makes run return at once. */
static void loop_stop_makes_run_return(void **state)
{
    (void)state;
    dm_clock c = {0, 0};
    dm_loop *l = dm_loop_new(&c);
    assert_false(dm_loop_stopping(l));
    dm_loop_stop(l);
    assert_true(dm_loop_stopping(l));
    assert_int_equal(dm_loop_run(l), 0);
    dm_loop_free(l);
    dm_loop_free(NULL);
}

/* Paths join with exactly one slash, whatever the folder ends with. */
static void path_join_never_doubles_a_slash(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(dm_path_join(out, sizeof out, "my-fixtures/", "Ticket_Add"),
                        "my-fixtures/Ticket_Add");
    assert_string_equal(dm_path_join(out, sizeof out, "my-fixtures//", "Ticket_Add"),
                        "my-fixtures/Ticket_Add");
    assert_string_equal(dm_path_join(out, sizeof out, "my-fixtures", "Ticket_Add"),
                        "my-fixtures/Ticket_Add");
    assert_string_equal(dm_path_join(out, sizeof out, "a", "/b"), "a/b");
    assert_string_equal(dm_path_join(out, sizeof out, "/", "etc"), "/etc");
    assert_string_equal(dm_path_join(out, sizeof out, "", "x.json"), "x.json");
}

/* base64url: every length round-trips, RFC 4648's vectors encode as
 * given (unpadded, URL alphabet), and what is not base64url is refused. */
static void base64url_round_trips_and_refuses_junk(void **state)
{
    (void)state;
    unsigned char in[64] = {0}, back[64];
    char enc[DM_BASE64URL_LEN(64) + 1];
    for (size_t len = 0; len <= sizeof in; len++) {
        for (size_t i = 0; i < len; i++)
            in[i] = (unsigned char)(i * 37 + len * 11 + 250);
        size_t n = dm_base64url_encode(in, len, enc);
        assert_int_equal(n, DM_BASE64URL_LEN(len));
        assert_int_equal(strlen(enc), n);
        assert_int_equal(dm_base64url_decode(enc, n, back, sizeof back), (long)len);
        assert_memory_equal(in, back, len);
    }
    static const struct {
        const char *raw, *enc;
    } rfc[] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
    for (size_t i = 0; i < sizeof rfc / sizeof *rfc; i++) {
        dm_base64url_encode((const unsigned char *)rfc[i].raw, strlen(rfc[i].raw), enc);
        assert_string_equal(enc, rfc[i].enc);
    }
    assert_int_equal(dm_base64url_decode("Zm9v==", 6, back, sizeof back), 3);
    assert_int_equal(dm_base64url_decode("Zm+v", 4, back, sizeof back),
                     -1); /* not the URL alphabet */
    assert_int_equal(dm_base64url_decode("Zm9vY", 5, back, sizeof back),
                     -1);                                              /* a dangling character */
    assert_int_equal(dm_base64url_decode("Zm9vYmFy", 8, back, 5), -1); /* does not fit */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(base64url_round_trips_and_refuses_junk),
        cmocka_unit_test(path_join_never_doubles_a_slash),
        cmocka_unit_test(map_put_get_replace_del),
        cmocka_unit_test(map_copies_keys),
        cmocka_unit_test(map_grows_and_keeps_every_key),
        cmocka_unit_test(map_tombstones_keep_probe_chains_and_churn),
        cmocka_unit_test(ids_same_seed_same_sequence),
        cmocka_unit_test(ids_are_19_digits_below_int64_max),
        cmocka_unit_test(id_valid_accepts_digits_only),
        cmocka_unit_test(random_hex_is_lowercase_hex),
        cmocka_unit_test(json_str_escapes_and_round_trips),
        cmocka_unit_test(iso_time_round_trips),
        cmocka_unit_test(iso_time_agrees_with_gmtime),
        cmocka_unit_test(iso_parse_rejects_invalid_dates),
        cmocka_unit_test(virtual_clock_moves_only_when_advanced),
        cmocka_unit_test(json_parse_errors_carry_positions),
        cmocka_unit_test(json_parse_reads_only_len_bytes),
        cmocka_unit_test(json_parse_caps_depth),
        cmocka_unit_test(json_parse_rejects_nul_byte),
        cmocka_unit_test(json_counts_are_strings),
        cmocka_unit_test(route_match_captures_segments),
        cmocka_unit_test(route_match_wrong_method_lists_allowed),
        cmocka_unit_test(route_match_trailing_slash_and_unknown),
        cmocka_unit_test(resp_error_writes_desk_envelope),
        cmocka_unit_test_setup_teardown(journal_request_comes_before_what_it_caused, journal_setup,
                                        journal_teardown),
        cmocka_unit_test_setup_teardown(journal_commit_orders_reserved_records, journal_setup,
                                        journal_teardown),
        cmocka_unit_test_setup_teardown(journal_waiters_woken_by_matching_records, journal_setup,
                                        journal_teardown),
        cmocka_unit_test(journal_limit_evicts_oldest),
        cmocka_unit_test(journal_byte_limit_evicts_oldest),
        cmocka_unit_test_setup_teardown(journal_clear_keeps_seq_counting, journal_setup,
                                        journal_teardown),
        cmocka_unit_test(loop_timers_fire_in_order_and_cancel_works),
        cmocka_unit_test(loop_advance_fires_clock_timers_at_their_times),
        cmocka_unit_test(loop_idle_virtual_clock_jumps_to_next_timer),
        cmocka_unit_test(loop_stop_makes_run_return),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
