/* test_convo.c -- a ticket's conversation over loopback: threads (list, get,
 * sendReply) and comments (list, post, patch), with threadCount and
 * commentCount kept true and comment edits journaled with before/after. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hooks.h"
#include "util/clock.h"
#include "util/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN_ID "18920000000000201"
#define AGENT_ID "18920000000000202"
#define T401     "/api/v1/tickets/" DMT_TICKET
#define REPLY_BODY                                                                                 \
    "{\"channel\":\"EMAIL\",\"to\":\"maria.lopez@example.com\","                                   \
    "\"fromEmailAddress\":\"support@zylker.zohodesk.com\","                                        \
    "\"content\":\"<div>Your account is <b>unlocked</b>.</div>\",\"contentType\":\"html\"}"

/* ==== Helpers ==== */

static const char *ticket_count(dmt_mock *m, const char *key, char *out, size_t len)
{
    dmt_resp r = dmt_api(m, "GET", T401, DMT_ADMIN, NULL);
    dmh_status(&r, 200);
    snprintf(out, len, "%s", dmt_str(r.json, key));
    dmt_resp_free(&r);
    return out;
}

/* ==== Threads ==== */

/* The thread list leaves content out (summary stays); GET of one thread has it. */
static void thread_list_omits_content_and_get_has_it(void **state)
{
    dmt_mock *m = *state;
    dmt_resp l = dmt_api(m, "GET", T401 "/threads", DMT_ADMIN, NULL);
    const cJSON *data = dmh_data(&l), *th;
    assert_int_equal(cJSON_GetArraySize(data), 2);
    cJSON_ArrayForEach(th, data) {
        assert_null(cJSON_GetObjectItem(th, "content"));
        assert_non_null(dmt_str(th, "summary"));
        assert_string_equal(dmt_str(th, "ticketId"), DMT_TICKET);
        assert_true(dmh_is_iso_ms(dmt_str(th, "createdTime")));
        assert_string_equal(dmt_str(th, "attachmentCount"), "0");
    }
    const cJSON *first = cJSON_GetArrayItem(data, 0);
    assert_string_equal(dmt_str(first, "id"), "18920000000000501");
    assert_string_equal(dmt_str(first, "direction"), "in");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(first, "isDescriptionThread")));
    assert_string_equal(dmt_str(cJSON_GetObjectItem(first, "author"), "type"), "END_USER");
    dmt_resp_free(&l);

    dmt_resp g = dmt_api(m, "GET", T401 "/threads/18920000000000502", DMT_ADMIN, NULL);
    dmh_status(&g, 200);
    assert_string_equal(dmt_str(g.json, "content"),
                        "<div>Hi Maria, I have unlocked your account. Please try again.</div>");
    assert_string_equal(dmt_str(g.json, "summary"),
                        "Hi Maria, I have unlocked your account. Please try again.");
    assert_string_equal(dmt_str(g.json, "direction"), "out");
    const cJSON *author = cJSON_GetObjectItem(g.json, "author");
    assert_string_equal(dmt_str(author, "type"), "AGENT");
    assert_string_equal(dmt_str(author, "id"), AGENT_ID);
    dmt_resp_free(&g);
}

/* A thread is found only under its own ticket; unknown tickets are 404. */
static void thread_of_another_ticket_is_404(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "GET", "/api/v1/tickets/18920000000000402/threads/18920000000000501",
                         DMT_ADMIN, NULL);
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
    r = dmt_api(m, "GET", "/api/v1/tickets/999/threads", DMT_ADMIN, NULL);
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
    r = dmt_api(m, "POST", "/api/v1/tickets/999/sendReply", DMT_ADMIN, REPLY_BODY);
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
}

/* Thread lists page with from/limit; limit goes up to 200. */
static void thread_list_pages(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "GET", T401 "/threads?from=2&limit=1", DMT_ADMIN, NULL);
    const cJSON *d = dmh_data(&r);
    assert_int_equal(cJSON_GetArraySize(d), 1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(d, 0), "id"), "18920000000000502");
    dmt_resp_free(&r);
    r = dmt_api(m, "GET", T401 "/threads?limit=200", DMT_ADMIN, NULL);
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    r = dmt_api(m, "GET", T401 "/threads?limit=201", DMT_ADMIN, NULL);
    dmh_field_error(&r, "limit", "invalid");
    dmt_resp_free(&r);
}

/* sendReply adds an outgoing agent thread, and threadCount follows. */
static void send_reply_adds_outgoing_thread_and_threadCount_follows(void **state)
{
    dmt_mock *m = *state;
    char count[32];
    assert_string_equal(ticket_count(m, "threadCount", count, sizeof count), "2");
    dmt_resp r = dmt_api(m, "POST", T401 "/sendReply", DMT_ADMIN, REPLY_BODY);
    dmh_status(&r, 200);
    const char *id = dmt_str(r.json, "id");
    assert_non_null(id);
    assert_true(dm_id_valid(id));
    assert_string_equal(dmt_str(r.json, "ticketId"), DMT_TICKET);
    assert_string_equal(dmt_str(r.json, "direction"), "out");
    assert_string_equal(dmt_str(r.json, "channel"), "EMAIL");
    assert_string_equal(dmt_str(r.json, "to"), "maria.lopez@example.com");
    assert_string_equal(dmt_str(r.json, "content"), "<div>Your account is <b>unlocked</b>.</div>");
    assert_string_equal(dmt_str(r.json, "summary"), "Your account is unlocked.");
    assert_true(dmh_is_iso_ms(dmt_str(r.json, "createdTime")));
    const cJSON *author = cJSON_GetObjectItem(r.json, "author");
    assert_string_equal(dmt_str(author, "type"), "AGENT");
    assert_string_equal(dmt_str(author, "id"), ADMIN_ID);
    assert_string_equal(ticket_count(m, "threadCount", count, sizeof count), "3");

    dmt_resp l = dmt_api(m, "GET", T401 "/threads", DMT_ADMIN, NULL);
    const cJSON *d = dmh_data(&l);
    assert_int_equal(cJSON_GetArraySize(d), 3);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(d, 2), "id"), id);
    dmt_resp_free(&l);
    char path[128];
    snprintf(path, sizeof path, T401 "/threads/%s", id);
    dmt_resp g = dmt_api(m, "GET", path, DMT_ADMIN, NULL);
    dmh_status(&g, 200);
    assert_true(cJSON_Compare(g.json, r.json, 1));
    dmt_resp_free(&g);

    /* a second reply, by another agent, counts too */
    dmt_resp r2 = dmt_api(m, "POST", T401 "/sendReply", DMT_AGENT, REPLY_BODY);
    dmh_status(&r2, 200);
    assert_string_equal(dmt_str(cJSON_GetObjectItem(r2.json, "author"), "id"), AGENT_ID);
    cJSON *ch = dmh_changes_caused_by(m, dmh_last_request_seq(m)); /* the POST: GETs come after */
    assert_string_equal(ticket_count(m, "threadCount", count, sizeof count), "4");
    assert_int_equal(cJSON_GetArraySize(ch), 1);
    const cJSON *c = cJSON_GetArrayItem(ch, 0);
    assert_string_equal(dmt_str(c, "resource"), "thread");
    assert_string_equal(dmt_str(c, "action"), "create");
    assert_string_equal(dmt_str(c, "ticketId"), DMT_TICKET);
    assert_string_equal(dmt_str(c, "id"), dmt_str(r2.json, "id"));
    cJSON_Delete(ch);
    dmt_resp_free(&r2);
    dmt_resp_free(&r);
}

/* A bad reply is a 422 naming the field, and adds no thread. */
static void send_reply_validates_fields(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", T401 "/sendReply", DMT_ADMIN, "{\"channel\":\"EMAIL\"}");
    dmh_field_error(&r, "/content", "missing");
    dmt_resp_free(&r);
    r = dmt_api(m, "POST", T401 "/sendReply", DMT_ADMIN,
                "{\"channel\":\"EMAIL\",\"content\":\"hi\"}");
    dmh_field_error(&r, "/to", "missing");
    dmh_field_error(&r, "/fromEmailAddress", "missing");
    dmt_resp_free(&r);
    r = dmt_api(m, "POST", T401 "/sendReply", DMT_ADMIN,
                "{\"channel\":\"FAX\",\"content\":\"hi\",\"contentType\":\"rtf\",\"isForward\":1}");
    dmh_field_error(&r, "/channel", "invalid");
    dmh_field_error(&r, "/contentType", "invalid");
    dmh_field_error(&r, "/isForward", "invalid");
    dmt_resp_free(&r);
    char count[32];
    assert_string_equal(ticket_count(m, "threadCount", count, sizeof count), "2");
}

/* ==== Comments ==== */

/* Comments list, a POST adds one (by the caller), and commentCount follows. */
static void comment_post_adds_comment_and_commentCount_follows(void **state)
{
    dmt_mock *m = *state;
    char count[32];
    dmt_resp l = dmt_api(m, "GET", T401 "/comments", DMT_ADMIN, NULL);
    const cJSON *d = dmh_data(&l);
    assert_int_equal(cJSON_GetArraySize(d), 1);
    const cJSON *c0 = cJSON_GetArrayItem(d, 0);
    assert_string_equal(dmt_str(c0, "id"), "18920000000000601");
    assert_string_equal(dmt_str(c0, "contentType"), "plainText");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(c0, "isPublic")));
    dmt_resp_free(&l);

    dmt_resp r = dmt_api(m, "POST", T401 "/comments", DMT_ADMIN,
                         "{\"content\":\"Checked the logs\",\"isPublic\":true,"
                         "\"contentType\":\"plainText\"}");
    dmh_status(&r, 200);
    const char *id = dmt_str(r.json, "id");
    assert_true(dm_id_valid(id));
    assert_string_equal(dmt_str(r.json, "ticketId"), DMT_TICKET);
    assert_string_equal(dmt_str(r.json, "content"), "Checked the logs");
    assert_string_equal(dmt_str(r.json, "contentType"), "plainText");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "isPublic")));
    assert_string_equal(dmt_str(r.json, "commenterId"), ADMIN_ID);
    assert_string_equal(dmt_str(cJSON_GetObjectItem(r.json, "commenter"), "name"), "Ada Admin");
    assert_true(dmh_is_iso_ms(dmt_str(r.json, "commentedTime")));
    assert_true(dmh_is_iso_ms(dmt_str(r.json, "modifiedTime")));
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(r.json, "attachments")));
    assert_string_equal(ticket_count(m, "commentCount", count, sizeof count), "2");

    char path[128];
    snprintf(path, sizeof path, T401 "/comments/%s", id);
    dmt_resp g = dmt_api(m, "GET", path, DMT_ADMIN, NULL);
    dmh_status(&g, 200);
    assert_true(cJSON_Compare(g.json, r.json, 1));
    dmt_resp_free(&g);

    /* defaults: html, private; a second comment counts too */
    dmt_resp r2 = dmt_api(m, "POST", T401 "/comments", DMT_AGENT, "{\"content\":\"<p>x</p>\"}");
    dmh_status(&r2, 200);
    assert_string_equal(dmt_str(r2.json, "contentType"), "html");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(r2.json, "isPublic")));
    assert_string_equal(dmt_str(r2.json, "commenterId"), AGENT_ID);
    dmt_resp_free(&r2);
    assert_string_equal(ticket_count(m, "commentCount", count, sizeof count), "3");
    l = dmt_api(m, "GET", T401 "/comments", DMT_ADMIN, NULL);
    d = dmh_data(&l);
    assert_int_equal(cJSON_GetArraySize(d), 3);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(d, 1), "id"), id);
    dmt_resp_free(&l);
    dmt_resp_free(&r);
}

/* A comment without content, or with unknown fields, is a 422; none is added. */
static void comment_post_validates_fields(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", T401 "/comments", DMT_ADMIN, "{\"isPublic\":true}");
    dmh_field_error(&r, "/content", "missing");
    dmt_resp_free(&r);
    r = dmt_api(m, "POST", T401 "/comments", DMT_ADMIN,
                "{\"content\":\"x\",\"isPublic\":\"yes\",\"mood\":\"sad\"}");
    dmh_field_error(&r, "/isPublic", "invalid");
    dmh_field_error(&r, "/mood", "invalid");
    dmt_resp_free(&r);
    char count[32];
    assert_string_equal(ticket_count(m, "commentCount", count, sizeof count), "1");
}

/* PATCH on a comment changes it and journals one change with before/after. */
static void patch_comment_records_before_and_after(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "PATCH", T401 "/comments/18920000000000601", DMT_ADMIN,
                         "{\"content\":\"Lockout was five failed attempts.\",\"isPublic\":true}");
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "content"), "Lockout was five failed attempts.");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "isPublic")));
    assert_string_equal(dmt_str(r.json, "commentedTime"), "2026-01-05T09:35:00.000Z");
    assert_string_not_equal(dmt_str(r.json, "modifiedTime"), "2026-01-05T09:35:00.000Z");
    assert_true(dmh_is_iso_ms(dmt_str(r.json, "modifiedTime")));

    uint64_t seq = dmh_last_request_seq(m);
    cJSON *ch = dmh_changes_caused_by(m, seq);
    assert_int_equal(cJSON_GetArraySize(ch), 1);
    const cJSON *c = cJSON_GetArrayItem(ch, 0);
    assert_string_equal(dmt_str(c, "resource"), "comment");
    assert_string_equal(dmt_str(c, "action"), "update");
    assert_string_equal(dmt_str(c, "id"), "18920000000000601");
    assert_string_equal(dmt_str(c, "ticketId"), DMT_TICKET);
    assert_int_equal(dmh_u64(c, "cause"), seq);
    const cJSON *before = cJSON_GetObjectItem(c, "before");
    const cJSON *after = cJSON_GetObjectItem(c, "after");
    assert_string_equal(dmt_str(before, "content"),
                        "Lockout came from five failed attempts; no sign of abuse.");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(before, "isPublic")));
    assert_true(cJSON_Compare(after, r.json, 1));
    cJSON_Delete(ch);

    dmt_resp g = dmt_api(m, "GET", T401 "/comments/18920000000000601", DMT_ADMIN, NULL);
    assert_true(cJSON_Compare(g.json, r.json, 1));
    dmt_resp_free(&g);
    char count[32];
    assert_string_equal(ticket_count(m, "commentCount", count, sizeof count), "1");
    dmt_resp_free(&r);
}

/* A comment PATCH with the current values records no change. */
static void patch_comment_with_same_content_records_no_change(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r =
        dmt_api(m, "PATCH", T401 "/comments/18920000000000601", DMT_ADMIN,
                "{\"content\":\"Lockout came from five failed attempts; no sign of abuse.\"}");
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "modifiedTime"), "2026-01-05T09:35:00.000Z");
    dmt_resp_free(&r);
    cJSON *ch = dmh_journal(m, "kind=change");
    assert_int_equal(cJSON_GetArraySize(ch), 0);
    cJSON_Delete(ch);
}

/* Comments are found only under their own ticket; unknown ones are 404. */
static void patch_unknown_comment_is_404(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "PATCH", T401 "/comments/123", DMT_ADMIN, "{\"content\":\"x\"}");
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
    r = dmt_api(m, "PATCH", "/api/v1/tickets/18920000000000402/comments/18920000000000601",
                DMT_ADMIN, "{\"content\":\"x\"}");
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
    r = dmt_api(m, "GET", "/api/v1/tickets/18920000000000402/comments/18920000000000601", DMT_ADMIN,
                NULL);
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, dmt_setup_mock, dmt_teardown_mock)
    const struct CMUnitTest tests[] = {
        T(thread_list_omits_content_and_get_has_it),
        T(thread_of_another_ticket_is_404),
        T(thread_list_pages),
        T(send_reply_adds_outgoing_thread_and_threadCount_follows),
        T(send_reply_validates_fields),
        T(comment_post_adds_comment_and_commentCount_follows),
        T(comment_post_validates_fields),
        T(patch_comment_records_before_and_after),
        T(patch_comment_with_same_content_records_no_change),
        T(patch_unknown_comment_is_404),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
