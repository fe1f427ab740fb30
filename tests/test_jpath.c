/* test_jpath.c -- unit tests of util/jpath.h, the --set/--unset path syntax:
 * set/get/unset through nested objects and arrays, quoted keys, the
 * intermediate objects and arrays set creates, --set values, and the error
 * message for each kind of bad path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/err.h"
#include "util/jpath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== Helpers ==== */

static cJSON *parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    if (!j) fail_msg("bad test JSON: %s", text);
    return j;
}

/* Asserts root prints (unformatted) exactly as want. */
static void assert_json(const cJSON *root, const char *want)
{
    char *got = cJSON_PrintUnformatted(root);
    assert_non_null(got);
    if (strcmp(got, want) != 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "expected %s, got %s", want, got);
        free(got);
        fail_msg("%s", msg);
    }
    free(got);
}

/* Sets path to the string s; asserts success. */
static void set_str(cJSON *root, const char *path, const char *s)
{
    char why[200] = "";
    int rc = dm_jpath_set(root, path, cJSON_CreateString(s), why, sizeof why);
    if (rc != 0) fail_msg("set %s failed: %s", path, why);
}

/* Sets path to a string and expects DM_EINVAL with exactly this message. */
static void set_fails(cJSON *root, const char *path, const char *message)
{
    char why[200] = "";
    assert_int_equal(dm_jpath_set(root, path, cJSON_CreateString("x"), why, sizeof why), DM_EINVAL);
    assert_string_equal(why, message);
}

/* ==== set / get ==== */

/* A dotted path reaches into nested objects; get returns the same node. */
static void set_and_get_in_nested_objects(void **state)
{
    (void)state;
    cJSON *root = parse("{\"cf\":{\"cf_tier\":\"gold\"},\"subject\":\"Hi\"}");
    set_str(root, "cf.cf_region", "EU");
    set_str(root, "subject", "Changed");
    assert_json(root,
                "{\"cf\":{\"cf_tier\":\"gold\",\"cf_region\":\"EU\"},\"subject\":\"Changed\"}");
    assert_string_equal(cJSON_GetStringValue(dm_jpath_get(root, "cf.cf_region")), "EU");
    assert_string_equal(cJSON_GetStringValue(dm_jpath_get(root, "cf.cf_tier")), "gold");
    assert_ptr_equal(dm_jpath_get(root, "cf"), cJSON_GetObjectItemCaseSensitive(root, "cf"));
    assert_null(dm_jpath_get(root, "cf.missing"));
    assert_null(dm_jpath_get(root, "subject.deeper"));
    assert_null(dm_jpath_get(root, "cf[0]"));
    assert_null(dm_jpath_get(root, "bad..path"));
    cJSON_Delete(root);
}

/* Setting an existing key replaces its value (no duplicate keys). */
static void set_replaces_an_existing_value(void **state)
{
    (void)state;
    cJSON *root = parse("{\"status\":\"Open\",\"a\":{\"b\":{\"c\":1}}}");
    set_str(root, "status", "Closed");
    set_str(root, "a.b", "flat");
    assert_json(root, "{\"status\":\"Closed\",\"a\":{\"b\":\"flat\"}}");
    cJSON_Delete(root);
}

/* [N] replaces element N; N equal to the length appends. */
static void array_index_replaces_and_length_appends(void **state)
{
    (void)state;
    cJSON *root = parse("{\"ids\":[\"1\",\"2\"]}");
    set_str(root, "ids[0]", "one");
    set_str(root, "ids[2]", "three");
    assert_json(root, "{\"ids\":[\"one\",\"2\",\"three\"]}");
    assert_string_equal(cJSON_GetStringValue(dm_jpath_get(root, "ids[1]")), "2");
    assert_null(dm_jpath_get(root, "ids[3]"));
    cJSON_Delete(root);
}

/* An index past the end is an error naming the path, the index and the
 * array's length; the root is unchanged. */
static void array_index_past_the_end_is_an_error(void **state)
{
    (void)state;
    cJSON *root = parse("{\"ids\":[\"1\",\"2\"]}");
    set_fails(root, "ids[3]", "ids[3]: [3] is past the end of an array of 2");
    /* an index into something that is not an array: length 0 */
    set_fails(root, "ids[0][0]", "ids[0][0]: [0] is past the end of an array of 0");
    assert_json(root, "{\"ids\":[\"1\",\"2\"]}");
    cJSON_Delete(root);
}

/* Missing steps are created: objects for keys, arrays for [N]; a null on
 * the way is replaced too. */
static void set_creates_intermediate_objects_and_arrays(void **state)
{
    (void)state;
    cJSON *root = parse("{\"cf\":null}");
    set_str(root, "a.b.c", "deep");
    set_str(root, "list[0].name", "first");
    set_str(root, "grid[0][0]", "x");
    set_str(root, "cf.cf_region", "EU");
    set_str(root, "list[1]", "second");
    assert_json(root, "{\"cf\":{\"cf_region\":\"EU\"},\"a\":{\"b\":{\"c\":\"deep\"}},"
                      "\"list\":[{\"name\":\"first\"},\"second\"],\"grid\":[[\"x\"]]}");
    assert_string_equal(cJSON_GetStringValue(dm_jpath_get(root, "list[0].name")), "first");
    assert_string_equal(cJSON_GetStringValue(dm_jpath_get(root, "grid[0][0]")), "x");
    cJSON_Delete(root);
}

/* A quoted key holds dots and brackets literally. */
static void quoted_key_keeps_dots(void **state)
{
    (void)state;
    cJSON *root = cJSON_CreateObject();
    set_str(root, "cf.\"a.b\"", "dotted");
    set_str(root, "\"x[0]\".y", "bracketed");
    assert_json(root, "{\"cf\":{\"a.b\":\"dotted\"},\"x[0]\":{\"y\":\"bracketed\"}}");
    assert_string_equal(cJSON_GetStringValue(dm_jpath_get(root, "cf.\"a.b\"")), "dotted");
    assert_null(dm_jpath_get(root, "cf.a.b"));
    char why[200];
    assert_int_equal(dm_jpath_unset(root, "cf.\"a.b\"", why, sizeof why), 0);
    assert_json(root, "{\"cf\":{},\"x[0]\":{\"y\":\"bracketed\"}}");
    cJSON_Delete(root);
}

/* ==== unset ==== */

/* unset removes an object member or an array element (later ones shift). */
static void unset_removes_members_and_elements(void **state)
{
    (void)state;
    cJSON *root = parse("{\"a\":{\"b\":1,\"c\":2},\"ids\":[\"1\",\"2\",\"3\"]}");
    char why[200];
    assert_int_equal(dm_jpath_unset(root, "a.b", why, sizeof why), 0);
    assert_int_equal(dm_jpath_unset(root, "ids[0]", why, sizeof why), 0);
    assert_json(root, "{\"a\":{\"c\":2},\"ids\":[\"2\",\"3\"]}");
    assert_int_equal(dm_jpath_unset(root, "a", why, sizeof why), 0);
    assert_json(root, "{\"ids\":[\"2\",\"3\"]}");
    cJSON_Delete(root);
}

/* unset of something absent is DM_ENOTFOUND naming the path; a bad path is
 * DM_EINVAL. */
static void unset_of_an_absent_path_is_not_found(void **state)
{
    (void)state;
    cJSON *root = parse("{\"a\":{\"b\":1},\"ids\":[\"1\"]}");
    char why[200];
    assert_int_equal(dm_jpath_unset(root, "a.x", why, sizeof why), DM_ENOTFOUND);
    assert_string_equal(why, "a.x: nothing there to remove");
    assert_int_equal(dm_jpath_unset(root, "ids[1]", why, sizeof why), DM_ENOTFOUND);
    assert_string_equal(why, "ids[1]: nothing there to remove");
    assert_int_equal(dm_jpath_unset(root, "x.y.z", why, sizeof why), DM_ENOTFOUND);
    assert_int_equal(dm_jpath_unset(root, "a.b[0]", why, sizeof why), DM_ENOTFOUND);
    assert_int_equal(dm_jpath_unset(root, "a.", why, sizeof why), DM_EINVAL);
    assert_string_equal(why, "path \"a.\" ends with '.'");
    assert_json(root, "{\"a\":{\"b\":1},\"ids\":[\"1\"]}");
    cJSON_Delete(root);
}

/* ==== values ==== */

/* {..} [..] ".." true false null are JSON; anything else is text, and
 * numbers stay strings as Desk sends them. */
static void value_is_json_only_for_json_looking_text(void **state)
{
    (void)state;
    static const struct {
        const char *text, *json;
    } cases[] = {
        {"{\"a\":[1,2]}", "{\"a\":[1,2]}"},
        {"[\"x\",1]", "[\"x\",1]"},
        {"\"quoted\"", "\"quoted\""},
        {"\"5\"", "\"5\""},
        {"true", "true"},
        {"false", "false"},
        {"null", "null"},
        {"5", "\"5\""},
        {"-1.5", "\"-1.5\""},
        {"Closed", "\"Closed\""},
        {"True", "\"True\""},
        {"", "\"\""},
        {"{not json", "\"{not json\""},
        {"[1,", "\"[1,\""},
        {"\"unterminated", "\"\\\"unterminated\""},
        {"a=b", "\"a=b\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *v = dm_jpath_value(cases[i].text);
        assert_non_null(v);
        char *got = cJSON_PrintUnformatted(v);
        if (strcmp(got, cases[i].json) != 0)
            fail_msg("value of '%s': expected %s, got %s", cases[i].text, cases[i].json, got);
        free(got);
        cJSON_Delete(v);
    }
}

/* A value goes in whole: set with an object value, then reach into it. */
static void set_takes_a_json_value(void **state)
{
    (void)state;
    cJSON *root = cJSON_CreateObject();
    char why[200];
    assert_int_equal(
        dm_jpath_set(root, "cf", dm_jpath_value("{\"cf_region\":\"EU\"}"), why, sizeof why), 0);
    assert_int_equal(dm_jpath_set(root, "isSpam", dm_jpath_value("false"), why, sizeof why), 0);
    assert_int_equal(dm_jpath_set(root, "count", dm_jpath_value("5"), why, sizeof why), 0);
    assert_json(root, "{\"cf\":{\"cf_region\":\"EU\"},\"isSpam\":false,\"count\":\"5\"}");
    assert_string_equal(cJSON_GetStringValue(dm_jpath_get(root, "cf.cf_region")), "EU");
    cJSON_Delete(root);
}

/* ==== errors ==== */

/* Each kind of bad path has its own message, and leaves the root alone. */
static void bad_paths_get_clear_errors(void **state)
{
    (void)state;
    cJSON *root = parse("{\"status\":\"Open\",\"ids\":[\"1\"]}");
    set_fails(root, "", "empty path");
    set_fails(root, "cf.", "path \"cf.\" ends with '.'");
    set_fails(root, "a..b", "empty key in \"a..b\"");
    set_fails(root, ".a", "empty key in \".a\"");
    set_fails(root, "ids[x]", "bad array index in \"ids[x]\": expected [N]");
    set_fails(root, "ids[]", "bad array index in \"ids[]\": expected [N]");
    set_fails(root, "ids[-1]", "bad array index in \"ids[-1]\": expected [N]");
    set_fails(root, "ids[1", "bad array index in \"ids[1\": expected [N]");
    set_fails(root, "ids[999999]", "bad array index in \"ids[999999]\": expected [N]");
    set_fails(root, "cf.\"a.b", "unterminated quote in \"cf.\"a.b\"");
    set_fails(root, "a]b", "unexpected ']' in \"a]b\"");
    set_fails(root, "a\"b\"", "unexpected '\"' in \"a\"b\"\"");
    set_fails(root, "\"a\"b", "expected '.' or '[' in \"\"a\"b\"");
    set_fails(root, "ids[0]x", "expected '.' or '[' in \"ids[0]x\"");
    /* a key inside something that is not an object */
    set_fails(root, "status.x", "status.x: \"x\" is inside something that is not an object");
    set_fails(root, "ids.x", "ids.x: \"x\" is inside something that is not an object");
    assert_json(root, "{\"status\":\"Open\",\"ids\":[\"1\"]}");
    cJSON_Delete(root);
}

/* 32 steps are fine; 33 are refused; a key over 255 bytes is refused. */
static void too_many_steps_and_too_long_keys_are_refused(void **state)
{
    (void)state;
    char path[200] = "";
    for (int i = 0; i < 32; i++)
        strcat(path, i ? ".k" : "k");
    cJSON *root = cJSON_CreateObject();
    set_str(root, path, "deep");
    assert_string_equal(cJSON_GetStringValue(dm_jpath_get(root, path)), "deep");
    strcat(path, ".k");
    char why[200];
    assert_int_equal(dm_jpath_set(root, path, cJSON_CreateString("x"), why, sizeof why), DM_EINVAL);
    assert_string_equal(why, "path has more than 32 steps");
    assert_null(dm_jpath_get(root, path));
    assert_int_equal(dm_jpath_unset(root, path, why, sizeof why), DM_EINVAL);
    assert_string_equal(why, "path has more than 32 steps");

    char key[300];
    memset(key, 'k', 256);
    key[256] = '\0';
    assert_int_equal(dm_jpath_set(root, key, cJSON_CreateString("x"), why, sizeof why), DM_EINVAL);
    assert_non_null(strstr(why, "is longer than 255 bytes"));
    key[255] = '\0';
    set_str(root, key, "max");
    cJSON_Delete(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(set_and_get_in_nested_objects),
        cmocka_unit_test(set_replaces_an_existing_value),
        cmocka_unit_test(array_index_replaces_and_length_appends),
        cmocka_unit_test(array_index_past_the_end_is_an_error),
        cmocka_unit_test(set_creates_intermediate_objects_and_arrays),
        cmocka_unit_test(quoted_key_keeps_dots),
        cmocka_unit_test(unset_removes_members_and_elements),
        cmocka_unit_test(unset_of_an_absent_path_is_not_found),
        cmocka_unit_test(value_is_json_only_for_json_looking_text),
        cmocka_unit_test(set_takes_a_json_value),
        cmocka_unit_test(bad_paths_get_clear_errors),
        cmocka_unit_test(too_many_steps_and_too_long_keys_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
