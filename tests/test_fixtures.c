/* test_fixtures.c -- the event fixture library and its linter: every shipped
 * fixture lints clean, covers every catalog type and fits the default org;
 * broken fixtures get the expected FILE:LINE:COLUMN messages; and `deskmock
 * fixtures lint` exits 0, 1 and 2 as documented. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "desk/catalog.h"
#include "fixtures/lint.h"
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

#define EVENTS DM_SOURCE_DIR "/fixtures/events"

/* ==== Helpers ==== */

static cJSON *load(const char *path)
{
    char *text = dmt_read_file(path, NULL);
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    return j;
}

/* text with the first occurrence of from replaced by to (caller frees). */
static char *replace(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    assert_non_null(at);
    dm_buf b = {0};
    dm_buf_append(&b, text, (size_t)(at - text));
    dm_buf_puts(&b, to);
    dm_buf_puts(&b, at + strlen(from));
    return dm_buf_steal(&b);
}

/* "t.json:L:C" for the first character of needle in text (caller frees). */
static char *where(const char *text, const char *needle)
{
    const char *at = strstr(text, needle);
    assert_non_null(at);
    int line = 1, col = 1;
    for (const char *p = text; p < at; p++) {
        if (*p == '\n')
            line++, col = 1;
        else if (((unsigned char)*p & 0xC0) != 0x80)
            col++;
    }
    dm_buf b = {0};
    dm_buf_printf(&b, "t.json:%d:%d", line, col);
    return dm_buf_steal(&b);
}

/* Lints text as folder/t.json; returns the formatted diagnostics (caller frees). */
static char *lint(const char *text, const char *folder)
{
    dm_lint *l = dm_lint_new();
    size_t n = dm_lint_text(text, strlen(text), folder, l);
    assert_int_equal(n, dm_lint_count(l));
    dm_buf out = {0};
    dm_lint_format(l, "t.json", &out);
    dm_lint_free(l);
    return dm_buf_steal(&out);
}

/* Asserts text lints to exactly one diagnostic: AT(needle): message. */
static void expect_one(const char *text, const char *folder, const char *needle,
                       const char *message)
{
    char *got = lint(text, folder);
    char *at = where(text, needle);
    dm_buf want = {0};
    dm_buf_printf(&want, "%s: %s\n", at, message);
    assert_string_equal(got, want.data);
    dm_buf_free(&want);
    free(at);
    free(got);
}

/* expect_one for base with its first from replaced by to. */
static void expect_one_edited(const char *base, const char *from, const char *to,
                              const char *folder, const char *needle, const char *message)
{
    char *t = replace(base, from, to);
    expect_one(t, folder, needle, message);
    free(t);
}

/* A complete Ticket_Thread_Add, as the mock emits it. */
static const char thread_fixture[] =
    "{\n"
    "  \"eventType\": \"Ticket_Thread_Add\",\n"
    "  \"orgId\": \"60001280952\",\n"
    "  \"eventTime\": \"1770113640000\",\n"
    "  \"payload\": {\n"
    "    \"id\": \"2648886400068060533\",\n"
    "    \"ticketId\": \"18920000000000401\",\n"
    "    \"departmentId\": \"18920000000000101\",\n"
    "    \"direction\": \"out\",\n"
    "    \"visibility\": \"public\",\n"
    "    \"isDescriptionThread\": false,\n"
    "    \"channel\": \"EMAIL\",\n"
    "    \"content\": \"<div>Unlocked.</div>\",\n"
    "    \"contentType\": \"text/html\",\n"
    "    \"summary\": \"Unlocked.\",\n"
    "    \"status\": \"SUCCESS\",\n"
    "    \"createdTime\": \"2026-02-03T10:14:00.000Z\",\n"
    "    \"fromEmailAddress\": \"support@zylker.zohodesk.com\",\n"
    "    \"to\": \"maria.lopez@example.com\",\n"
    "    \"cc\": null,\n"
    "    \"bcc\": null,\n"
    "    \"author\": {\"id\": \"18920000000000202\", \"name\": \"Ravi Agent\", \"firstName\": "
    "\"Ravi\", \"lastName\": \"Agent\", \"email\": \"ravi.agent@zylker.example\", \"photoURL\": "
    "null, \"type\": \"AGENT\"},\n"
    "    \"responderId\": \"18920000000000202\",\n"
    "    \"hasAttach\": false,\n"
    "    \"attachmentCount\": \"0\",\n"
    "    \"attachments\": [],\n"
    "    \"canReply\": true,\n"
    "    \"isForward\": false\n"
    "  },\n"
    "  \"_fixture\": {\"description\": \"Ravi replies.\", \"source\": \"synthetic\"}\n"
    "}\n";

static const char delete_fixture[] =
    "{\n"
    "  \"eventType\": \"Ticket_Delete\",\n"
    "  \"orgId\": \"60001280952\",\n"
    "  \"eventTime\": \"1770113640000\",\n"
    "  \"payload\": {\"id\": \"18920000000000404\", \"subject\": \"gone\"},\n"
    "  \"_fixture\": {\"description\": \"Ticket 404 is deleted.\", \"source\": "
    "\"recorded-scrubbed\"}\n"
    "}\n";

/* ==== The shipped library ==== */

/* Every file under fixtures/events lints clean, and there are at least the
 * 74 the library ships. */
static void every_shipped_fixture_lints_clean(void **state)
{
    (void)state;
    dm_buf out = {0}, errs = {0};
    size_t files = 0, errors = 0;
    int rc = dm_lint_path(EVENTS, &out, &files, &errors, &errs);
    if (errors) fputs(out.data, stdout);
    assert_int_equal(rc, 0);
    assert_int_equal(errors, 0);
    assert_true(files >= 73);
    assert_string_equal(out.data, "");
    assert_null(errs.data);
    dm_buf_free(&out);
    dm_buf_free(&errs);
}

/* Each catalog type has a folder with at least one fixture, and every
 * fixture's orgId is the default org's. */
static void every_event_type_has_a_fixture_for_the_default_org(void **state)
{
    (void)state;
    const dm_event_type *t;
    size_t n = 0;
    for (size_t i = 0; (t = dm_event_type_at(i)); i++, n++) {
        dm_buf dir = {0};
        dm_buf_printf(&dir, "%s/%s", EVENTS, t->type);
        DIR *d = opendir(dir.data);
        if (!d) fail_msg("no fixture folder for %s", t->type);
        size_t found = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t len = strlen(e->d_name);
            if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
            dm_buf file = {0};
            dm_buf_printf(&file, "%s/%s", dir.data, e->d_name);
            cJSON *j = load(file.data);
            assert_string_equal(dm_json_str(j, "orgId"), DMT_ORG);
            assert_string_equal(dm_json_str(j, "eventType"), t->type);
            cJSON_Delete(j);
            dm_buf_free(&file);
            found++;
        }
        closedir(d);
        if (!found) fail_msg("no fixture for %s", t->type);
        dm_buf_free(&dir);
    }
    assert_int_equal(n, 52);
}

/* The variants the README promises for the five core events are there. */
static void core_event_variants_are_shipped(void **state)
{
    (void)state;
    static const char *const files[] = {
        "Ticket_Add/email",
        "Ticket_Add/web",
        "Ticket_Comment_Add/public-html",
        "Ticket_Comment_Add/private-html",
        "Ticket_Comment_Add/public-plaintext",
        "Ticket_Comment_Add/private-plaintext",
        "Ticket_Comment_Update/edited-private-html",
        "Ticket_Thread_Add/incoming-email",
        "Ticket_Thread_Add/outgoing-reply",
    };
    static const char *const updates[] = {"status-closed", "reassigned", "department-moved",
                                          "priority-raised", "custom-field-changed"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        dm_buf p = {0};
        dm_buf_printf(&p, "%s/%s.json", EVENTS, files[i]);
        cJSON_Delete(load(p.data));
        dm_buf_free(&p);
    }
    for (size_t i = 0; i < sizeof updates / sizeof *updates; i++) {
        static const char *const suffix[] = {"", "-prevstate", "-prevstate-changed"};
        for (size_t k = 0; k < 3; k++) {
            dm_buf p = {0};
            dm_buf_printf(&p, "%s/Ticket_Update/%s%s.json", EVENTS, updates[i], suffix[k]);
            cJSON *j = load(p.data);
            assert_int_equal(cJSON_HasObjectItem(j, "prevState"), k > 0);
            cJSON_Delete(j);
            dm_buf_free(&p);
        }
    }
}

/* A full prevState is the default org's ticket exactly as a fresh mock
 * serves it; a changed one holds the id and, for each key, that same old
 * value, which the payload no longer has. */
static void ticket_prevstates_are_the_default_orgs_tickets(void **state)
{
    (void)state;
    static const char *const updates[] = {"status-closed", "reassigned", "department-moved",
                                          "priority-raised", "custom-field-changed"};
    dmt_mock *m = dmt_mock_start(NULL);
    for (size_t i = 0; i < sizeof updates / sizeof *updates; i++) {
        dm_buf p = {0};
        dm_buf_printf(&p, "%s/Ticket_Update/%s-prevstate.json", EVENTS, updates[i]);
        cJSON *full = load(p.data);
        dm_buf_reset(&p);
        dm_buf_printf(&p, "%s/Ticket_Update/%s-prevstate-changed.json", EVENTS, updates[i]);
        cJSON *changed = load(p.data);
        const cJSON *prev = cJSON_GetObjectItem(full, "prevState");
        const cJSON *payload = cJSON_GetObjectItem(full, "payload");
        assert_true(cJSON_Compare(payload, cJSON_GetObjectItem(changed, "payload"), 1));

        dm_buf path = {0};
        dm_buf_printf(&path, "/api/v1/tickets/%s", dm_json_str(prev, "id"));
        dmt_resp r = dmt_api(m, "GET", path.data, DMT_ADMIN, NULL);
        assert_int_equal(r.status, 200);
        if (!cJSON_Compare(r.json, prev, 1))
            fail_msg("%s: prevState is not the org's ticket", updates[i]);
        dmt_resp_free(&r);

        const cJSON *cp = cJSON_GetObjectItem(changed, "prevState");
        assert_string_equal(dm_json_str(cp, "id"), dm_json_str(prev, "id"));
        assert_true(cJSON_GetArraySize(cp) >= 2);
        for (const cJSON *k = cp->child; k; k = k->next) {
            if (strcmp(k->string, "id") == 0) continue;
            const cJSON *old = cJSON_GetObjectItem(prev, k->string);
            const cJSON *now = cJSON_GetObjectItem(payload, k->string);
            if (strcmp(k->string, "cf") == 0) {
                for (const cJSON *f = k->child; f; f = f->next)
                    assert_true(cJSON_Compare(f, cJSON_GetObjectItem(old, f->string), 1));
            } else {
                assert_true(cJSON_Compare(k, old, 1));
            }
            assert_false(cJSON_Compare(k, now, 1));
        }
        dm_buf_free(&path);
        dm_buf_free(&p);
        cJSON_Delete(full);
        cJSON_Delete(changed);
    }
    dmt_mock_stop(m);
}

/* ==== Broken fixtures ==== */

/* The base texts the broken cases start from are clean. */
static void the_base_fixtures_are_clean(void **state)
{
    (void)state;
    char *got = lint(thread_fixture, "Ticket_Thread_Add");
    assert_string_equal(got, "");
    free(got);
    char *del = replace(delete_fixture, ", \"subject\": \"gone\"", "");
    got = lint(del, NULL);
    assert_string_equal(got, "");
    free(got);
    free(del);
}

static void missing_event_type_is_reported_at_the_object(void **state)
{
    (void)state;
    expect_one_edited(thread_fixture, "  \"eventType\": \"Ticket_Thread_Add\",\n", "", NULL, "{",
                      "missing required key \"eventType\"");
}

static void unknown_event_type_suggests_the_nearest(void **state)
{
    (void)state;
    expect_one_edited(thread_fixture, "\"Ticket_Thread_Add\"", "\"Ticket_Thread_Ad\"", NULL,
                      "\"Ticket_Thread_Ad\"",
                      "eventType: unknown event type \"Ticket_Thread_Ad\"; did you mean "
                      "\"Ticket_Thread_Add\"?");
}

/* prevState on a type without includePrevState is reported at its key. */
static void prevstate_on_ticket_add_is_an_error(void **state)
{
    (void)state;
    char *text = dmt_read_file(EVENTS "/Ticket_Add/email.json", NULL);
    assert_non_null(text);
    expect_one_edited(text, "\n  \"_fixture\"",
                      "\n  \"prevState\": {\"id\": \"1\"},\n  \"_fixture\"", "Ticket_Add",
                      "\"prevState\"",
                      "prevState: Ticket_Add carries no prevState: only update events whose "
                      "subscription accepts includePrevState do");
    free(text);
}

static void count_as_number_is_an_error(void **state)
{
    (void)state;
    expect_one_edited(
        thread_fixture, "\"attachmentCount\": \"0\"", "\"attachmentCount\": 0", NULL,
        "0,\n    \"attachments\"",
        "payload.attachmentCount: expected a count as a string of digits, got 0 (Desk "
        "sends ids and counts as strings)");
}

static void id_as_number_is_an_error(void **state)
{
    (void)state;
    expect_one_edited(thread_fixture, "\"ticketId\": \"18920000000000401\"",
                      "\"ticketId\": 18920000000000401", NULL, "18920000000000401,",
                      "payload.ticketId: expected an id (a string of 1 to 19 digits), got a number "
                      "(Desk sends ids and counts as strings)");
    expect_one_edited(thread_fixture, "\"id\": \"18920000000000202\"", "\"id\": 7", NULL, "7,",
                      "payload.author.id: expected an id (a string of 1 to 19 digits) "
                      "or null, got 7 (Desk sends ids and counts as strings)");
}

static void time_without_milliseconds_is_an_error(void **state)
{
    (void)state;
    expect_one_edited(
        thread_fixture, "2026-02-03T10:14:00.000Z", "2026-02-03T10:14:00Z", NULL,
        "\"2026-02-03T10:14:00Z\"",
        "payload.createdTime: expected an ISO time such as \"2026-01-05T09:15:00.000Z\", "
        "got \"2026-02-03T10:14:00Z\"");
    expect_one_edited(thread_fixture, "\"1770113640000\"", "\"1770113640\"", NULL, "\"1770113640\"",
                      "eventTime: expected epoch milliseconds (13 digits), "
                      "got \"1770113640\": that looks like seconds");
}

static void delete_payload_with_extra_keys_is_an_error(void **state)
{
    (void)state;
    expect_one(delete_fixture, "Ticket_Delete", "\"subject\"",
               "payload.subject: a delete event's payload carries only \"id\"");
}

static void unknown_top_level_key_is_an_error(void **state)
{
    (void)state;
    expect_one_edited(thread_fixture, "\n  \"_fixture\"", "\n  \"prevstate\": {},\n  \"_fixture\"",
                      NULL, "\"prevstate\"", "prevstate: unknown key; did you mean \"prevState\"?");
    expect_one_edited(thread_fixture, "\n  \"_fixture\"",
                      "\n  \"webhookId\": \"1\",\n  \"_fixture\"", NULL, "\"webhookId\"",
                      "webhookId: unknown key; a fixture holds eventType, "
                      "orgId, eventTime, payload, prevState (update events only) and _fixture");
}

static void syntax_error_has_its_position(void **state)
{
    (void)state;
    char *t = replace(thread_fixture, "\"60001280952\",", "\"60001280952\"");
    char *got = lint(t, NULL);
    assert_string_equal(got, "t.json:4:3: invalid JSON: missing ',' between object members\n");
    free(got);
    free(t);
}

/* Other rules: _fixture, folder, duplicates, missing resource keys, enums,
 * prevState's id, a batch array. */
static void other_rules_report_where_they_apply(void **state)
{
    (void)state;
    expect_one_edited(thread_fixture, "\"source\": \"synthetic\"", "\"source\": \"made-up\"", NULL,
                      "\"made-up\"",
                      "_fixture.source: expected \"synthetic\" or "
                      "\"recorded-scrubbed\", got \"made-up\"");
    expect_one_edited(thread_fixture, "\"source\": \"synthetic\"", "\"source\": \"recorded\"", NULL,
                      "\"recorded\"",
                      "_fixture.source: \"recorded\" is not scrubbed of "
                      "personal data: scrub it, then mark it \"recorded-scrubbed\"");
    expect_one_edited(thread_fixture, ", \"source\": \"synthetic\"", "", NULL, "{\"description\"",
                      "_fixture: missing required key \"source\"");
    expect_one(thread_fixture, "Ticket_Add", "\"Ticket_Thread_Add\"",
               "eventType: the file is in folder \"Ticket_Add\" but its eventType is "
               "\"Ticket_Thread_Add\": fixtures live in <Event_Type>/<name>.json");
    expect_one(thread_fixture, "Ticket_Thread_Adds", "\"Ticket_Thread_Add\"",
               "eventType: the file's folder \"Ticket_Thread_Adds\" is not an event type; did "
               "you mean \"Ticket_Thread_Add\"?");
    expect_one_edited(thread_fixture, "\"canReply\": true,",
                      "\"canReply\": true, \"hasAttach\": true,", NULL, "\"hasAttach\": true",
                      "payload.hasAttach: duplicate key; the first is "
                      "at line 24");
    expect_one_edited(thread_fixture, "    \"summary\": \"Unlocked.\",\n", "", NULL,
                      "{\n    \"id\"",
                      "payload: missing required key \"summary\" (every "
                      "thread Desk sends has it)");
    expect_one_edited(thread_fixture, "\"out\"", "\"outgoing\"", NULL, "\"outgoing\"",
                      "payload.direction: expected \"in\" or \"out\", got "
                      "\"outgoing\"");
    expect_one_edited(thread_fixture, "\"isForward\": false", "\"isForward\": \"false\"", NULL,
                      "\"false\"", "payload.isForward: expected true or false, got \"false\"");
    /* Desk may leave a thread's content out */
    char *t = replace(thread_fixture, "    \"content\": \"<div>Unlocked.</div>\",\n", "");
    char *got = lint(t, NULL);
    assert_string_equal(got, "");
    free(got);
    free(t);

    char *text = dmt_read_file(EVENTS "/Ticket_Update/status-closed-prevstate-changed.json", NULL);
    assert_non_null(text);
    got = lint(text, "Ticket_Update");
    assert_string_equal(got, ""); /* a changed-fields prevState need not be whole */
    free(got);
    expect_one_edited(
        text, "\"id\": \"18920000000000401\",\n    \"status\"",
        "\"id\": \"18920000000000402\",\n    \"status\"", "Ticket_Update", "\"18920000000000402\"",
        "prevState.id: \"18920000000000402\" is not payload.id \"18920000000000401\": "
        "prevState is the same ticket before the change");
    free(text);

    got = lint("[{}]", NULL);
    assert_string_equal(got, "t.json:1:1: expected one delivery event (a JSON object), got an "
                             "array: put each event of a batch in its own file\n");
    free(got);
}

/* dm_lint_json without positions finds the same problems, without lines. */
static void trees_without_positions_print_no_line(void **state)
{
    (void)state;
    cJSON *j = cJSON_Parse(delete_fixture);
    dm_lint *l = dm_lint_new();
    assert_int_equal(dm_lint_json(j, NULL, NULL, l), 1);
    dm_buf out = {0};
    dm_lint_format(l, NULL, &out);
    assert_string_equal(out.data,
                        "<fixture>: payload.subject: a delete event's payload carries only "
                        "\"id\"\n");
    const dm_lint_diag *g = dm_lint_get(l, 0);
    assert_int_equal(g->line, 0);
    assert_null(dm_lint_get(l, 1));
    dm_buf_free(&out);
    dm_lint_free(l);
    dm_lint_free(NULL);
    cJSON_Delete(j);
}

/* ==== Folders and the binary ==== */

/* Writes text to dir/sub/name, making dir/sub. */
static void put(const char *dir, const char *sub, const char *name, const char *text)
{
    dm_buf p = {0};
    dm_buf_printf(&p, "%s/%s", dir, sub);
    mkdir(p.data, 0755);
    dm_buf_printf(&p, "/%s", name);
    FILE *f = fopen(p.data, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    dm_buf_free(&p);
}

typedef struct tmpdir {
    char path[64];
} tmpdir;

static int tmp_setup(void **state)
{
    tmpdir *t = calloc(1, sizeof *t);
    if (!t) return -1;
    snprintf(t->path, sizeof t->path, "/tmp/dmt-fixtures-XXXXXX");
    if (!mkdtemp(t->path)) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    tmpdir *t = *state;
    static const char *const files[] = {"Ticket_Delete/bad.json", "Ticket_Delete/README.md",
                                        "Ticket_Delete/notes.txt", "Ticket_Delete"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", t->path, files[i]);
        if (remove(p) != 0) rmdir(p);
    }
    rmdir(t->path);
    free(t);
    return 0;
}

/* Walking a folder lints *.json only and names each file; a missing path is
 * DM_EIO with a message. */
static void folders_are_walked_for_json_only(void **state)
{
    tmpdir *t = *state;
    put(t->path, "Ticket_Delete", "bad.json", delete_fixture);
    put(t->path, "Ticket_Delete", "README.md", "# not a fixture {");
    put(t->path, "Ticket_Delete", "notes.txt", "{");
    dm_buf out = {0}, errs = {0};
    size_t files = 0, errors = 0;
    assert_int_equal(dm_lint_path(t->path, &out, &files, &errors, &errs), 0);
    assert_int_equal(files, 1);
    assert_int_equal(errors, 1);
    dm_buf want = {0};
    dm_buf_printf(&want,
                  "%s/Ticket_Delete/bad.json:5:42: payload.subject: a delete event's "
                  "payload carries only \"id\"\n",
                  t->path);
    assert_string_equal(out.data, want.data);
    dm_buf_reset(&out);
    assert_int_equal(dm_lint_path("/nonexistent/deskmock-fixtures", &out, NULL, NULL, &errs),
                     DM_EIO);
    assert_string_equal(errs.data, "cannot read /nonexistent/deskmock-fixtures: No such file or "
                                   "directory\n");
    dm_buf_free(&want);
    dm_buf_free(&out);
    dm_buf_free(&errs);
}

/* Exit 0 on the shipped library, 1 on a broken fixture, 2 on a missing
 * folder or a bad command line. */
static void the_binary_exits_0_clean_1_problems_2_unreadable(void **state)
{
    tmpdir *t = *state;
    char *out = NULL;
    const char *clean[] = {"fixtures", "lint", EVENTS, NULL};
    assert_int_equal(dmt_run_deskmock(NULL, clean, &out), 0);
    assert_non_null(strstr(out, "fixtures checked, no problems\n"));
    free(out);

    put(t->path, "Ticket_Delete", "bad.json", delete_fixture);
    const char *broken[] = {"fixtures", "lint", t->path, NULL};
    assert_int_equal(dmt_run_deskmock(NULL, broken, &out), 1);
    assert_non_null(strstr(out, "/Ticket_Delete/bad.json:5:42: payload.subject: "));
    assert_non_null(strstr(out, "1 problem in 1 fixture checked\n"));
    free(out);

    const char *quiet[] = {"fixtures", "lint", "-q", t->path, EVENTS, NULL};
    assert_int_equal(dmt_run_deskmock(NULL, quiet, &out), 1);
    assert_null(strstr(out, "checked"));
    free(out);

    const char *missing[] = {"fixtures", "lint", "/nonexistent/deskmock-fixtures", NULL};
    assert_int_equal(dmt_run_deskmock(NULL, missing, &out), 2);
    free(out);
    const char *none[] = {"fixtures", "lint", NULL};
    assert_int_equal(dmt_run_deskmock(NULL, none, &out), 2);
    free(out);
    const char *unknown[] = {"fixtures", "tidy", NULL};
    assert_int_equal(dmt_run_deskmock(NULL, unknown, &out), 2);
    free(out);
    const char *help[] = {"fixtures", "lint", "--help", NULL};
    assert_int_equal(dmt_run_deskmock(NULL, help, &out), 0);
    assert_non_null(strstr(out, "usage: deskmock fixtures lint"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_shipped_fixture_lints_clean),
        cmocka_unit_test(every_event_type_has_a_fixture_for_the_default_org),
        cmocka_unit_test(core_event_variants_are_shipped),
        cmocka_unit_test(ticket_prevstates_are_the_default_orgs_tickets),
        cmocka_unit_test(the_base_fixtures_are_clean),
        cmocka_unit_test(missing_event_type_is_reported_at_the_object),
        cmocka_unit_test(unknown_event_type_suggests_the_nearest),
        cmocka_unit_test(prevstate_on_ticket_add_is_an_error),
        cmocka_unit_test(count_as_number_is_an_error),
        cmocka_unit_test(id_as_number_is_an_error),
        cmocka_unit_test(time_without_milliseconds_is_an_error),
        cmocka_unit_test(delete_payload_with_extra_keys_is_an_error),
        cmocka_unit_test(unknown_top_level_key_is_an_error),
        cmocka_unit_test(syntax_error_has_its_position),
        cmocka_unit_test(other_rules_report_where_they_apply),
        cmocka_unit_test(trees_without_positions_print_no_line),
        cmocka_unit_test_setup_teardown(folders_are_walked_for_json_only, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(the_binary_exits_0_clean_1_problems_2_unreadable, tmp_setup,
                                        tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
