/* test_validate.c -- the extension validator: every sample under
 * fixtures/extensions against its expected.txt, the in-memory path used by
 * the install API (no positions), and the `deskmock validate` exit codes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ext/validate.h"
#include "support.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FIXTURES DM_SOURCE_DIR "/fixtures/extensions"

/* A manifest that satisfies every webhook rule. */
#define GOOD_MANIFEST                                                                              \
    "{\"type\": \"org\", \"secret\": \"s3cret\", \"zohoAuthorisation\": {\"type\": "               \
    "\"connectors\", \"connectionLinkName\": \"desk\", \"serviceName\": \"zlabs_integration\", "   \
    "\"scope\": [\"Desk.events.ALL\"]}}"

/* Validates two texts and returns the formatted diagnostics (caller frees). */
static char *validate_text(const char *manifest, const char *resources, size_t *errors)
{
    dm_ext_diags *d = dm_ext_diags_new();
    dm_ext_validate_text(manifest, strlen(manifest), resources, strlen(resources), d);
    dm_buf out = {0};
    dm_ext_diags_format(d, NULL, &out);
    if (errors) *errors = dm_ext_diags_errors(d);
    dm_ext_diags_free(d);
    return dm_buf_steal(&out);
}

/* The same through cJSON's own parser: no positions, as over HTTP. */
static char *validate_trees(const char *manifest, const char *resources)
{
    cJSON *m = manifest ? cJSON_Parse(manifest) : NULL;
    cJSON *r = resources ? cJSON_Parse(resources) : NULL;
    assert_true(!manifest || m);
    assert_true(!resources || r);
    dm_ext_diags *d = dm_ext_diags_new();
    dm_ext_validate_json(m, NULL, r, NULL, d);
    dm_buf out = {0};
    dm_ext_diags_format(d, NULL, &out);
    dm_ext_diags_free(d);
    cJSON_Delete(m);
    cJSON_Delete(r);
    return dm_buf_steal(&out);
}

static void assert_text(char *got, const char *want)
{
    int same = strcmp(got, want) == 0;
    if (!same) fprintf(stderr, "--- want\n%s--- got\n%s---\n", want, got);
    free(got);
    assert_true(same);
}

/* ==== Every sample folder against its expected.txt ==== */

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted subfolder names of dir, except skip; NULL-terminated, owned. */
static char **subfolders(const char *dir, const char *skip, size_t *n)
{
    DIR *dp = opendir(dir);
    if (!dp) fail_msg("cannot open %s", dir);
    char **names = NULL;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.' || (skip && strcmp(e->d_name, skip) == 0)) continue;
        dm_buf path = {0};
        dm_buf_printf(&path, "%s/%s", dir, e->d_name);
        struct stat st;
        int is_dir = stat(path.data, &st) == 0 && S_ISDIR(st.st_mode);
        dm_buf_free(&path);
        if (!is_dir) continue;
        names = dm_xrealloc(names, (*n + 2) * sizeof *names);
        names[(*n)++] = dm_xstrdup(e->d_name);
    }
    closedir(dp);
    if (*n) qsort(names, *n, sizeof *names, by_string);
    return names;
}

/* Checks one folder; appends what is wrong to report. */
static void check_folder(const char *parent, const char *name, int invalid, dm_buf *report)
{
    dm_buf dir = {0}, file = {0}, got = {0};
    dm_buf_printf(&dir, "%s/%s", parent, name);
    dm_buf_printf(&file, "%s/expected.txt", dir.data);
    dm_ext_diags *d = dm_ext_diags_new();
    char msg[512];
    if (dm_ext_validate_dir(dir.data, d, msg, sizeof msg) != 0) {
        dm_buf_printf(report, "== %s: %s\n", dir.data, msg);
        goto done;
    }
    dm_ext_diags_format(d, NULL, &got);
    char *want = dmt_read_file(file.data, NULL);
    if (!want)
        dm_buf_printf(report, "== %s: no expected.txt; it would be:\n%s", dir.data, got.data);
    else if (strcmp(want, got.data) != 0)
        dm_buf_printf(report, "== %s\n--- expected.txt\n%s--- validator\n%s", dir.data, want,
                      got.data);
    free(want);
    size_t errors = dm_ext_diags_errors(d);
    if (invalid && errors != 1)
        dm_buf_printf(report, "== %s: %zu errors; an invalid sample shows exactly one mistake\n",
                      dir.data, errors);
    if (!invalid && errors)
        dm_buf_printf(report, "== %s: a valid sample has %zu errors\n", dir.data, errors);
done:
    dm_ext_diags_free(d);
    dm_buf_free(&dir);
    dm_buf_free(&file);
    dm_buf_free(&got);
}

/* Each sample prints exactly its expected.txt; valid ones have no error and
 * invalid ones exactly one. All mismatches are listed before failing. */
static void every_sample_extension_prints_its_expected_txt(void **state)
{
    (void)state;
    const char *parents[2] = {FIXTURES, FIXTURES "/invalid"};
    size_t counts[2];
    dm_buf report = {0};
    dm_buf_append(&report, "", 0);
    for (int k = 0; k < 2; k++) {
        char **names = subfolders(parents[k], k == 0 ? "invalid" : NULL, &counts[k]);
        for (size_t i = 0; i < counts[k]; i++) {
            check_folder(parents[k], names[i], k == 1, &report);
            free(names[i]);
        }
        free(names);
    }
    if (report.len) {
        fprintf(stderr, "%s", report.data);
        dm_buf_free(&report);
        fail_msg("some samples do not match their expected.txt (see above)");
    }
    dm_buf_free(&report);
    assert_true(counts[0] >= 3);
    assert_true(counts[1] >= 12);
}

/* ==== The validator itself ==== */

/* Several mistakes in both files are all reported: errors first (manifest,
 * then resources, each by position), then warnings. */
static void every_problem_is_reported_errors_before_warnings(void **state)
{
    (void)state;
    size_t errors = 0;
    char *got = validate_text("{\n"
                              "  \"type\": \"personal\",\n"
                              "  \"service\": \"CRM\",\n"
                              "  \"zohoAuthorisation\": {\"type\": \"connectors\",\n"
                              "    \"connectionLinkName\": \"desk\",\n"
                              "    \"scope\": [\"desk.events.all\"]},\n"
                              "  \"config\": {}\n"
                              "}\n",
                              "{\"webhook\": {\n"
                              "  \"resourceName\": \"hook\",\n"
                              "  \"url\": \"ftp://example.com\",\n"
                              "  \"name\": \"\",\n"
                              "  \"subscriptions\": {\n"
                              "    \"Ticket_Updte\": null,\n"
                              "    \"Ticket_Update\": {\"fields\": [], \"direction\": \"in\",\n"
                              "                      \"includePrevstate\": true},\n"
                              "    \"Ticket_Thread_Add\": 3\n"
                              "  },\n"
                              "  \"ignoreSourceId\": 42,\n"
                              "  \"includeEventsFrom\": [\"API\"],\n"
                              "  \"isEnabled\": true\n"
                              "}}\n",
                              &errors);
    assert_text(got,
                "plugin-manifest.json:2:11: type: extension webhooks exist only for org "
                "extensions: expected \"org\", got \"personal\"\n"
                "plugin-manifest.json:6:14: zohoAuthorisation.scope: missing \"Desk.events.ALL\", "
                "which an extension webhook needs (scopes are case-sensitive: found "
                "\"desk.events.all\")\n"
                "plugin-manifest.json:7:13: config: expected an array of objects, got an object\n"
                "resources.json:3:10: webhook.url: expected an http or https URL, got "
                "\"ftp://example.com\"\n"
                "resources.json:4:11: webhook.name: must not be empty\n"
                "resources.json:6:5: webhook.subscriptions.Ticket_Updte: unknown event type "
                "\"Ticket_Updte\"; did you mean \"Ticket_Update\"?\n"
                "resources.json:7:33: webhook.subscriptions.Ticket_Update.fields: expected 1 to 5 "
                "ticket field names, got an empty array\n"
                "resources.json:7:37: webhook.subscriptions.Ticket_Update.direction: "
                "Ticket_Update does not accept direction (it takes only includePrevState, "
                "fields)\n"
                "resources.json:8:23: webhook.subscriptions.Ticket_Update.includePrevstate: "
                "unknown option; did you mean \"includePrevState\"?\n"
                "resources.json:9:26: webhook.subscriptions.Ticket_Thread_Add: expected null or an "
                "object of options, got 3\n"
                "resources.json:11:21: webhook.ignoreSourceId: expected a string, got 42\n"
                "resources.json:13:3: webhook.isEnabled: unknown key; a webhook has resourceName, "
                "url, name, description, subscriptions, ignoreSourceId and includeEventsFrom\n"
                "plugin-manifest.json:3:14: warning: service: expected \"DESK\" for a Zoho Desk "
                "extension, got \"CRM\"\n"
                "resources.json:12:25: warning: webhook.includeEventsFrom[0]: unknown event source "
                "\"API\"; the known one is \"AUTOMATION\"\n");
    assert_int_equal(errors, 12);
}

/* A syntax error in one file does not hide the other file's problems. */
static void a_syntax_error_does_not_stop_the_other_file(void **state)
{
    (void)state;
    assert_text(validate_text("{\"type\": \"org\",}", "{\"webhook\": {\"resourceName\": 1}}", NULL),
                "plugin-manifest.json:1:15: invalid JSON: trailing comma before '}'\n"
                "resources.json:1:13: webhook: missing required key \"url\"\n"
                "resources.json:1:13: webhook: missing required key \"name\"\n"
                "resources.json:1:13: webhook: missing required key \"subscriptions\"\n"
                "resources.json:1:13: webhook: missing required key \"ignoreSourceId\"\n"
                "resources.json:1:30: webhook.resourceName: expected a string, got 1\n");
}

/* Trees posted over HTTP have no positions: "FILE: path: message". */
static void trees_without_positions_print_no_line_or_column(void **state)
{
    (void)state;
    assert_text(
        validate_trees(GOOD_MANIFEST,
                       "{\"webhook\": {\"resourceName\": \"h\", \"url\": \"https://x.test/\","
                       " \"name\": \"n\", \"subscriptions\": {\"Ticket_Add\": null},"
                       " \"ignoreSourceId\": \"abc\"}}"),
        "resources.json: webhook.ignoreSourceId: expected a UUID, got \"abc\"\n");
}

/* cJSON keeps both members of a duplicated key; the validator finds them
 * without positions too. */
static void duplicate_keys_are_found_without_positions(void **state)
{
    (void)state;
    assert_text(
        validate_trees(GOOD_MANIFEST,
                       "{\"webhook\": {\"resourceName\": \"h\", \"url\": \"https://x.test/\","
                       " \"url\": \"https://y.test/\", \"name\": \"n\", \"subscriptions\":"
                       " {\"Ticket_Add\": null}, \"ignoreSourceId\":"
                       " \"2df92c1a-973a-48f5-95b7-5792c68b9c36\"}}"),
        "resources.json: webhook.url: duplicate key\n");
}

/* Whether the manifest must be an org one depends on resources.json: not
 * known without it, not needed when no webhook is declared. */
static void webhook_rules_need_a_declared_webhook(void **state)
{
    (void)state;
    const char *personal = "{\"type\": \"personal\"}";
    assert_text(validate_trees(personal, NULL), "");
    assert_text(validate_trees(personal, "{\"permissions\": []}"),
                "resources.json: warning: no webhook declared: the extension gets no events\n");
    assert_text(validate_trees(personal, "{\"webhooks\": []}"),
                "resources.json: warning: webhooks: unknown resource type; did you mean "
                "\"webhook\"?\n");
    char *got = validate_trees(personal, "{\"webhook\": {}}");
    int has = strstr(got, "plugin-manifest.json: type: extension webhooks exist only for org "
                          "extensions: expected \"org\", got \"personal\"\n") != NULL &&
              strstr(got, "plugin-manifest.json: missing \"zohoAuthorisation\"") != NULL;
    free(got);
    assert_true(has);
}

/* Keys that are not identifiers are quoted in paths; long values are cut. */
static void odd_keys_are_quoted_and_long_values_cut(void **state)
{
    (void)state;
    assert_text(
        validate_trees(GOOD_MANIFEST,
                       "{\"webhook\": {\"resourceName\": \"h\", \"url\": \"https://x.test/\","
                       " \"name\": \"n\", \"subscriptions\": {\"Ticket Add\\n\": null},"
                       " \"ignoreSourceId\": \"0123456789012345678901234567890123456789"
                       "012345678901234567890123456789\"}}"),
        "resources.json: webhook.subscriptions[\"Ticket Add\\n\"]: unknown event type "
        "\"Ticket Add\\n\"; did you mean \"Ticket_Add\"?\n"
        "resources.json: webhook.ignoreSourceId: expected a UUID, got "
        "\"012345678901234567890123456789012345678901234567890123456789...\"\n");
}

/* The JSON form carries the same facts as the text form. */
static void diagnostics_convert_to_json(void **state)
{
    (void)state;
    dm_ext_diags *d = dm_ext_diags_new();
    const char *r = "{\"webhook\": []}";
    dm_ext_validate_text(GOOD_MANIFEST, strlen(GOOD_MANIFEST), r, strlen(r), d);
    cJSON *arr = dm_ext_diags_json(d);
    assert_int_equal(cJSON_GetArraySize(arr), 1);
    const cJSON *o = cJSON_GetArrayItem(arr, 0);
    assert_string_equal(dm_json_str(o, "severity"), "error");
    assert_string_equal(dm_json_str(o, "file"), "resources.json");
    assert_string_equal(dm_json_str(o, "path"), "webhook");
    assert_int_equal(cJSON_GetObjectItem(o, "line")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(o, "column")->valueint, 13);
    assert_non_null(strstr(dm_json_str(o, "message"), "got an array"));
    assert_int_equal(dm_ext_diags_count(d), 1);
    assert_int_equal(dm_ext_diags_warnings(d), 0);
    assert_non_null(dm_ext_diags_get(d, 0));
    assert_null(dm_ext_diags_get(d, 1));
    cJSON_Delete(arr);
    dm_ext_diags_free(d);
    dm_ext_diags_free(NULL);
}

/* A missing folder or file is DM_EIO with a message naming it; nothing is
 * reported as a diagnostic. */
static void unreadable_folders_are_eio_naming_the_file(void **state)
{
    (void)state;
    char tmp[] = "/tmp/dmt-validate-XXXXXX";
    assert_non_null(mkdtemp(tmp));
    dm_buf path = {0};
    dm_buf_printf(&path, "%s/plugin-manifest.json", tmp);
    FILE *f = fopen(path.data, "w");
    assert_non_null(f);
    fputs("{}", f);
    fclose(f);
    dm_ext_diags *d = dm_ext_diags_new();
    char msg[512];
    int rc_missing_file = dm_ext_validate_dir(tmp, d, msg, sizeof msg);
    int names_file = strstr(msg, "resources.json: No such file or directory") != NULL;
    int rc_missing_dir = dm_ext_validate_dir("/nonexistent/deskmock", d, msg, sizeof msg);
    int rc_not_dir = dm_ext_validate_dir(path.data, d, msg, sizeof msg);
    size_t count = dm_ext_diags_count(d);
    dm_ext_diags_free(d);
    unlink(path.data);
    rmdir(tmp);
    dm_buf_free(&path);
    assert_int_equal(rc_missing_file, DM_EIO);
    assert_true(names_file);
    assert_int_equal(rc_missing_dir, DM_EIO);
    assert_int_equal(rc_not_dir, DM_EIO);
    assert_string_equal(strchr(msg, ':'), ": not a directory");
    assert_int_equal(count, 0);
}

/* ==== The deskmock binary ==== */

/* Exit 0 for a valid sample (warnings allowed), 1 with exactly expected.txt
 * for an invalid one, 2 for a missing folder or a bad command line. */
static void the_binary_exits_0_valid_1_invalid_2_unreadable(void **state)
{
    (void)state;
    char *out = NULL;
    const char *valid[] = {"validate", FIXTURES "/doc-example", NULL};
    assert_int_equal(dmt_run_deskmock(NULL, valid, &out), 0);
    assert_non_null(strstr(out, "/doc-example/plugin-manifest.json:"));
    assert_non_null(strstr(out, "doc-example is a valid extension (1 warning)\n"));
    free(out);

    const char *quiet_here[] = {"validate", "--quiet", ".", NULL};
    const char *bad = FIXTURES "/invalid/bad-ignore-source-id";
    assert_int_equal(dmt_run_deskmock(bad, quiet_here, &out), 1);
    char *want = dmt_read_file(FIXTURES "/invalid/bad-ignore-source-id/expected.txt", NULL);
    assert_non_null(want);
    assert_string_equal(out, want);
    free(want);
    free(out);

    const char *summary[] = {"validate", bad, NULL};
    assert_int_equal(dmt_run_deskmock(NULL, summary, &out), 1);
    assert_non_null(strstr(out, "bad-ignore-source-id is not a valid extension: 1 error, "
                                "0 warnings\n"));
    free(out);

    const char *json[] = {"validate", "--format", "json", bad, NULL};
    assert_int_equal(dmt_run_deskmock(NULL, json, &out), 1);
    cJSON *doc = cJSON_Parse(out);
    free(out);
    assert_non_null(doc);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(doc, "valid")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "diagnostics")), 1);
    cJSON_Delete(doc);

    const char *missing[] = {"validate", FIXTURES "/no-such-extension", NULL};
    assert_int_equal(dmt_run_deskmock(NULL, missing, &out), 2);
    assert_string_equal(out, "");
    free(out);

    const char *no_dir[] = {"validate", NULL};
    assert_int_equal(dmt_run_deskmock(NULL, no_dir, &out), 2);
    free(out);
    const char *bad_format[] = {"validate", "--format", "xml", ".", NULL};
    assert_int_equal(dmt_run_deskmock(NULL, bad_format, &out), 2);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_sample_extension_prints_its_expected_txt),
        cmocka_unit_test(every_problem_is_reported_errors_before_warnings),
        cmocka_unit_test(a_syntax_error_does_not_stop_the_other_file),
        cmocka_unit_test(trees_without_positions_print_no_line_or_column),
        cmocka_unit_test(duplicate_keys_are_found_without_positions),
        cmocka_unit_test(webhook_rules_need_a_declared_webhook),
        cmocka_unit_test(odd_keys_are_quoted_and_long_values_cut),
        cmocka_unit_test(diagnostics_convert_to_json),
        cmocka_unit_test(unreadable_folders_are_eio_naming_the_file),
        cmocka_unit_test(the_binary_exits_0_valid_1_invalid_2_unreadable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
