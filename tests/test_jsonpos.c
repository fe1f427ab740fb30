/* test_jsonpos.c -- the position-recording JSON parser: the tree it builds,
 * where values and keys start, and where syntax errors point. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/jsonpos.h"

#include <stdlib.h>
#include <string.h>

typedef struct parsed {
    cJSON *root;
    dm_jpos *pos;
    char msg[256];
    int rc;
} parsed;

static parsed *parse(const char *text, size_t len)
{
    parsed *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->rc = dm_jpos_parse(text, len, &p->root, &p->pos, p->msg, sizeof p->msg);
    return p;
}

static void parsed_free(parsed *p)
{
    if (!p) return;
    cJSON_Delete(p->root);
    dm_jpos_free(p->pos);
    free(p);
}

static int teardown(void **state)
{
    parsed_free(*state);
    *state = NULL;
    return 0;
}

static parsed *ok(void **state, const char *text)
{
    parsed *p = parse(text, strlen(text));
    *state = p;
    if (p->rc) fail_msg("parse failed: %s", p->msg);
    return p;
}

static void assert_value_at(const parsed *p, const cJSON *n, int line, int col)
{
    int l, c;
    assert_non_null(n);
    assert_int_equal(dm_jpos_value(p->pos, n, &l, &c), 0);
    if (l != line || c != col) fail_msg("value at %d:%d, expected %d:%d", l, c, line, col);
}

static void assert_key_at(const parsed *p, const cJSON *n, int line, int col)
{
    int l, c;
    assert_non_null(n);
    assert_int_equal(dm_jpos_key(p->pos, n, &l, &c), 0);
    if (l != line || c != col) fail_msg("key at %d:%d, expected %d:%d", l, c, line, col);
}

/* Asserts the string literal text fails with exactly msg. */
#define assert_error(text, msg) assert_error_len(text, sizeof(text) - 1, msg)
static void assert_error_len(const char *text, size_t len, const char *msg)
{
    parsed *p = parse(text, len);
    int rc = p->rc;
    char got[256];
    memcpy(got, p->msg, sizeof got);
    int tree = p->root != NULL || p->pos != NULL;
    parsed_free(p);
    assert_int_equal(rc, DM_EPARSE);
    assert_false(tree);
    if (strcmp(got, msg) != 0) fail_msg("for %s\n got: %s\nwant: %s", text, got, msg);
}

/* ==== Positions ==== */

/* Every value and key of a nested document has its own line and column. */
static void values_and_keys_have_their_line_and_column(void **state)
{
    parsed *p = ok(state, "{\n"
                          "  \"a\": 1,\n"
                          "  \"list\": [true, {\"k\": null}],\n"
                          "\t\"s\" :  \"x\"\n"
                          "}\n");
    const cJSON *a = cJSON_GetObjectItem(p->root, "a");
    const cJSON *list = cJSON_GetObjectItem(p->root, "list");
    const cJSON *k = cJSON_GetObjectItem(cJSON_GetArrayItem(list, 1), "k");
    const cJSON *s = cJSON_GetObjectItem(p->root, "s");
    assert_value_at(p, p->root, 1, 1);
    assert_key_at(p, a, 2, 3);
    assert_value_at(p, a, 2, 8);
    assert_value_at(p, list, 3, 11);
    assert_value_at(p, cJSON_GetArrayItem(list, 0), 3, 12);
    assert_value_at(p, cJSON_GetArrayItem(list, 1), 3, 18);
    assert_key_at(p, k, 3, 19);
    assert_value_at(p, k, 3, 24);
    assert_key_at(p, s, 4, 2); /* a tab is one column */
    assert_value_at(p, s, 4, 9);
    assert_int_equal(a->valueint, 1);
    assert_true(cJSON_IsNull(k));
}

/* "é" and "€" take 2 and 3 bytes but one column each. */
static void columns_count_characters_not_bytes(void **state)
{
    parsed *p = ok(state, "{\"é€\": \"€\", \"n\": 2}");
    const cJSON *n = cJSON_GetObjectItem(p->root, "n");
    assert_key_at(p, n, 1, 13);
    assert_value_at(p, n, 1, 18);
    assert_string_equal(p->root->child->string, "é€");
}

/* Array elements and the root are values but not keys. */
static void only_object_members_have_key_positions(void **state)
{
    parsed *p = ok(state, "[1, 2]");
    int l = -1, c = -1;
    assert_int_equal(dm_jpos_key(p->pos, p->root, &l, &c), DM_ENOTFOUND);
    assert_int_equal(l, 0);
    assert_int_equal(dm_jpos_key(p->pos, p->root->child, &l, &c), DM_ENOTFOUND);
    assert_value_at(p, p->root->child->next, 1, 5);
}

/* A node from another tree, or no positions at all, gives 0:0 and NOTFOUND. */
static void unknown_nodes_and_null_positions_give_zero(void **state)
{
    parsed *p = ok(state, "{}");
    cJSON *other = cJSON_CreateNull();
    int l = -1, c = -1;
    assert_int_equal(dm_jpos_value(p->pos, other, &l, &c), DM_ENOTFOUND);
    assert_int_equal(l, 0);
    assert_int_equal(c, 0);
    assert_int_equal(dm_jpos_value(NULL, p->root, &l, &c), DM_ENOTFOUND);
    assert_int_equal(dm_jpos_key(NULL, p->root, &l, &c), DM_ENOTFOUND);
    cJSON_Delete(other);
    dm_jpos_free(NULL);
}

/* Positions are optional: pos NULL still parses. */
static void positions_are_optional(void **state)
{
    (void)state;
    cJSON *root = NULL;
    assert_int_equal(dm_jpos_parse("[1]", 3, &root, NULL, NULL, 0), 0);
    assert_non_null(root);
    cJSON_Delete(root);
}

/* Both members of a duplicated key stay, in order, each with its position. */
static void duplicate_keys_are_kept_with_their_own_positions(void **state)
{
    parsed *p = ok(state, "{\"u\": 1,\n \"u\": 2}");
    const cJSON *first = p->root->child, *second = first->next;
    assert_non_null(second);
    assert_string_equal(second->string, "u");
    assert_int_equal(first->valueint, 1);
    assert_int_equal(second->valueint, 2);
    assert_key_at(p, first, 1, 2);
    assert_key_at(p, second, 2, 2);
    assert_ptr_equal(cJSON_GetObjectItem(p->root, "u"), first);
}

/* ==== The tree ==== */

/* Escapes, surrogate pairs, numbers and literals decode like cJSON does. */
static void the_tree_equals_cjsons_own_parse(void **state)
{
    const char *text = "{\"s\": \"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20AC\\ud83d\\ude00\",\n"
                       " \"n\": [0, -1, 1.5, -0.25e2, 1E3, 12345678901234],\n"
                       " \"l\": [true, false, null, {}, []], \"e\": \"\"}";
    parsed *p = ok(state, text);
    cJSON *ref = cJSON_Parse(text);
    assert_non_null(ref);
    int same = cJSON_Compare(p->root, ref, 1);
    cJSON_Delete(ref);
    assert_true(same);
    assert_string_equal(cJSON_GetObjectItem(p->root, "s")->valuestring,
                        "a\"b\\c/d\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

/* The text need not be NUL-terminated: only len bytes are read. */
static void only_len_bytes_are_read(void **state)
{
    (void)state;
    char text[] = {'[', '1', ']', 'x'};
    cJSON *root = NULL;
    assert_int_equal(dm_jpos_parse(text, 3, &root, NULL, NULL, 0), 0);
    cJSON_Delete(root);
}

/* A UTF-8 byte order mark is skipped and does not count as a column. */
static void a_byte_order_mark_is_skipped(void **state)
{
    parsed *p = ok(state, "\xEF\xBB\xBF{\"a\": 1}");
    assert_key_at(p, p->root->child, 1, 2);
}

/* ==== Errors ==== */

/* Each syntax error names the problem and points at the offending character. */
static void syntax_errors_point_at_the_offending_character(void **state)
{
    (void)state;
    assert_error("", "line 1, column 1: no JSON value (the input is empty)");
    assert_error(" \n ", "line 2, column 2: no JSON value (the input is empty)");
    assert_error("{\"a\": 1\n \"b\": 2}", "line 2, column 2: missing ',' between object members");
    assert_error("[1 2]", "line 1, column 4: missing ',' between array elements");
    assert_error("{\"a\": 1,\n}", "line 1, column 8: trailing comma before '}'");
    assert_error("[1,]", "line 1, column 3: trailing comma before ']'");
    assert_error("{'a': 1}", "line 1, column 2: expected a string key or '}', got \"'\"");
    assert_error("{\"a\" 1}", "line 1, column 6: expected ':' after the key, got '1'");
    assert_error("{\"a\": }", "line 1, column 7: expected a value, got '}'");
    assert_error("[1] x",
                 "line 1, column 5: expected the end of input after the JSON value, got 'x'");
    assert_error("[tru]", "line 1, column 5: invalid literal (expected true)");
    assert_error("[nullx]", "line 1, column 6: invalid literal (expected null)");
    assert_error("[01]", "line 1, column 3: leading zeros are not allowed in numbers");
    assert_error("[1.]", "line 1, column 4: expected a digit after '.', got ']'");
    assert_error("[-]", "line 1, column 3: expected a digit after '-', got ']'");
    assert_error("[1e+]", "line 1, column 5: expected a digit in the exponent, got ']'");
    assert_error("[\"abc", "line 1, column 2: unterminated string");
    assert_error("[\"a\nb\"]", "line 1, column 4: unescaped control character U+000A in a string");
    assert_error("[\"\\x\"]", "line 1, column 3: invalid escape: '\\' followed by 'x'");
    assert_error("[\"\\u12G4\"]", "line 1, column 7: expected 4 hex digits after \\u, got 'G'");
    assert_error("[\"\\ud83d\"]", "line 1, column 3: unpaired UTF-16 surrogate \\uD83D");
    assert_error("[\"\\ude00\"]", "line 1, column 3: unpaired UTF-16 surrogate \\uDE00");
    assert_error("[\"\\u0000\"]", "line 1, column 3: \\u0000 is not supported in strings");
    assert_error("[1,\n  {", "line 2, column 4: expected a string key or '}', got end of input");
    assert_error("[\"é\", \xff]", "line 1, column 7: expected a value, got byte 0xFF");
}

/* NUL bytes and invalid UTF-8 are errors, inside strings or out. */
static void nul_bytes_and_invalid_utf8_are_rejected(void **state)
{
    (void)state;
    assert_error("[1,\0]", "line 1, column 4: expected a value, got a NUL byte");
    assert_error("[\"a\0\"]", "line 1, column 4: NUL byte in a string");
    assert_error(
        "[1]\0",
        "line 1, column 4: expected the end of input after the JSON value, got a NUL byte");
    assert_error("[\"\xc3\"]", "line 1, column 3: invalid UTF-8 in a string");
    assert_error("[\"\xc0\xaf\"]", "line 1, column 3: invalid UTF-8 in a string"); /* overlong */
    assert_error("[\"\xed\xa0\x80\"]", "line 1, column 3: invalid UTF-8 in a string");
    assert_error("[\"\xf4\x90\x80\x80\"]", "line 1, column 3: invalid UTF-8 in a string");
}

static char *nested(int depth)
{
    dm_buf b = {0};
    for (int i = 0; i < depth; i++)
        dm_buf_putc(&b, '[');
    for (int i = 0; i < depth; i++)
        dm_buf_putc(&b, ']');
    return dm_buf_steal(&b);
}

/* 64 levels parse; the 65th opening bracket is the error. */
static void nesting_is_capped_at_64_levels(void **state)
{
    (void)state;
    char *ok64 = nested(DM_JPOS_MAX_DEPTH), *bad = nested(DM_JPOS_MAX_DEPTH + 1);
    cJSON *root = NULL;
    char msg[128];
    int rc_ok = dm_jpos_parse(ok64, strlen(ok64), &root, NULL, msg, sizeof msg);
    cJSON_Delete(root);
    int rc_bad = dm_jpos_parse(bad, strlen(bad), &root, NULL, msg, sizeof msg);
    free(ok64);
    free(bad);
    assert_int_equal(rc_ok, 0);
    assert_int_equal(rc_bad, DM_EPARSE);
    assert_null(root);
    assert_string_equal(msg, "line 1, column 65: nesting deeper than 64 levels");
}

/* A message buffer too small, or none at all, is fine. */
static void small_or_missing_message_buffers_are_safe(void **state)
{
    (void)state;
    cJSON *root = NULL;
    char tiny[8];
    assert_int_equal(dm_jpos_parse("[", 1, &root, NULL, tiny, sizeof tiny), DM_EPARSE);
    assert_string_equal(tiny, "line 1,");
    assert_int_equal(dm_jpos_parse("[", 1, &root, NULL, NULL, 0), DM_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(values_and_keys_have_their_line_and_column, teardown),
        cmocka_unit_test_teardown(columns_count_characters_not_bytes, teardown),
        cmocka_unit_test_teardown(only_object_members_have_key_positions, teardown),
        cmocka_unit_test_teardown(unknown_nodes_and_null_positions_give_zero, teardown),
        cmocka_unit_test(positions_are_optional),
        cmocka_unit_test_teardown(duplicate_keys_are_kept_with_their_own_positions, teardown),
        cmocka_unit_test_teardown(the_tree_equals_cjsons_own_parse, teardown),
        cmocka_unit_test(only_len_bytes_are_read),
        cmocka_unit_test_teardown(a_byte_order_mark_is_skipped, teardown),
        cmocka_unit_test(syntax_errors_point_at_the_offending_character),
        cmocka_unit_test(nul_bytes_and_invalid_utf8_are_rejected),
        cmocka_unit_test(nesting_is_capped_at_64_levels),
        cmocka_unit_test(small_or_missing_message_buffers_are_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
