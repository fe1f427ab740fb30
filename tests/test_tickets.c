/* test_tickets.c -- /api/v1/tickets against a real mock over loopback: create
 * (contactId or an inline contact), the full Desk ticket shape, PATCH
 * semantics and derived fields, paging, filters, and field errors. */
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

/* ==== Helpers ==== */

/* "YYYY-MM-DDTHH:MM:SS.mmmZ", exactly. */
static int is_iso_ms(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (!s || strlen(s) != sizeof shape - 1) return 0;
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i]) return 0;
    }
    int64_t ms;
    return dm_iso_parse(s, &ms) == 0;
}

static int is_count(const cJSON *v)
{
    if (!cJSON_IsString(v) || !*v->valuestring) return 0;
    return strspn(v->valuestring, "0123456789") == strlen(v->valuestring);
}

typedef enum {
    T_ID,
    T_ID_NULL,
    T_NUM_STR,
    T_STR,
    T_STR_NULL,
    T_TIME,
    T_TIME_NULL,
    T_BOOL,
    T_OBJ,
    T_OBJ_NULL,
    T_ARR,
    T_ANY
} ktype;

typedef struct keyspec {
    const char *key;
    ktype type;
} keyspec;

/* Every key desk-facts.md lists for a ticket, with Desk's JSON type. */
static const keyspec ticket_keys[] = {
    {"id", T_ID},
    {"ticketNumber", T_NUM_STR},
    {"subject", T_STR},
    {"description", T_STR_NULL},
    {"status", T_STR},
    {"statusType", T_STR},
    {"priority", T_STR_NULL},
    {"channel", T_STR},
    {"channelCode", T_STR_NULL},
    {"classification", T_STR_NULL},
    {"category", T_STR_NULL},
    {"subCategory", T_STR_NULL},
    {"language", T_STR_NULL},
    {"departmentId", T_ID},
    {"department", T_OBJ},
    {"contactId", T_ID},
    {"contact", T_OBJ},
    {"accountId", T_ID_NULL},
    {"assigneeId", T_ID_NULL},
    {"assignee", T_OBJ_NULL},
    {"teamId", T_ID_NULL},
    {"team", T_OBJ_NULL},
    {"email", T_STR_NULL},
    {"phone", T_STR_NULL},
    {"createdTime", T_TIME},
    {"modifiedTime", T_TIME},
    {"createdBy", T_ID_NULL},
    {"modifiedBy", T_ID_NULL},
    {"closedTime", T_TIME_NULL},
    {"onholdTime", T_TIME_NULL},
    {"dueDate", T_TIME_NULL},
    {"responseDueDate", T_TIME_NULL},
    {"customerResponseTime", T_TIME_NULL},
    {"threadCount", T_NUM_STR},
    {"commentCount", T_NUM_STR},
    {"attachmentCount", T_NUM_STR},
    {"approvalCount", T_NUM_STR},
    {"taskCount", T_NUM_STR},
    {"timeEntryCount", T_NUM_STR},
    {"tagCount", T_NUM_STR},
    {"followerCount", T_NUM_STR},
    {"isSpam", T_BOOL},
    {"isTrashed", T_BOOL},
    {"isArchived", T_BOOL},
    {"isDeleted", T_BOOL},
    {"isEscalated", T_BOOL},
    {"isOverDue", T_BOOL},
    {"isResponseOverdue", T_BOOL},
    {"isFollowing", T_BOOL},
    {"webUrl", T_STR},
    {"layoutId", T_ID_NULL},
    {"layoutDetails", T_OBJ},
    {"source", T_OBJ},
    {"cf", T_OBJ},
    {"customFields", T_OBJ},
    {"productId", T_ID_NULL},
    {"product", T_OBJ_NULL},
    {"slaId", T_ID_NULL},
    {"sentiment", T_STR_NULL},
    {"resolution", T_STR_NULL},
    {"secondaryContacts", T_ARR},
    {"sharedDepartments", T_ARR},
    {"entitySkills", T_ARR},
    {"channelRelatedInfo", T_ANY},
    /* seen on real rows too (desk-facts.md, evidence after the first release) */
    {"childTicketCount", T_NUM_STR},
    {"isRead", T_BOOL},
    {"relationshipType", T_STR_NULL},
    {"lastThread", T_OBJ_NULL},
};

static void check_type(const cJSON *obj, const char *key, ktype type)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) fail_msg("key %s is missing", key);
    int null = cJSON_IsNull(v), ok = 0;
    switch (type) {
    case T_ID:
        ok = cJSON_IsString(v) && dm_id_valid(v->valuestring);
        break;
    case T_ID_NULL:
        ok = null || (cJSON_IsString(v) && dm_id_valid(v->valuestring));
        break;
    case T_NUM_STR:
        ok = is_count(v);
        break;
    case T_STR:
        ok = cJSON_IsString(v);
        break;
    case T_STR_NULL:
        ok = null || cJSON_IsString(v);
        break;
    case T_TIME:
        ok = cJSON_IsString(v) && is_iso_ms(v->valuestring);
        break;
    case T_TIME_NULL:
        ok = null || (cJSON_IsString(v) && is_iso_ms(v->valuestring));
        break;
    case T_BOOL:
        ok = cJSON_IsBool(v);
        break;
    case T_OBJ:
        ok = cJSON_IsObject(v);
        break;
    case T_OBJ_NULL:
        ok = null || cJSON_IsObject(v);
        break;
    case T_ARR:
        ok = cJSON_IsArray(v);
        break;
    case T_ANY:
        ok = 1;
        break;
    }
    if (!ok) {
        char *s = cJSON_PrintUnformatted(v), shown[200];
        snprintf(shown, sizeof shown, "%s", s);
        cJSON_free(s);
        fail_msg("key %s has the wrong type: %s", key, shown);
    }
}

static void check_keys(const cJSON *obj, const char *const *keys)
{
    assert_true(cJSON_IsObject(obj));
    for (; *keys; keys++)
        if (!cJSON_GetObjectItemCaseSensitive(obj, *keys)) fail_msg("key %s is missing", *keys);
}

/* Asserts t has every ticket key with Desk's types, and well-formed embeds. */
static void assert_ticket_shape(const cJSON *t)
{
    assert_true(cJSON_IsObject(t));
    for (size_t i = 0; i < sizeof ticket_keys / sizeof *ticket_keys; i++)
        check_type(t, ticket_keys[i].key, ticket_keys[i].type);
    static const char *const dep[] = {"id", "name", NULL};
    static const char *const con[] = {"id",     "firstName", "lastName", "email",   "phone",
                                      "mobile", "type",      "isSpam",   "account", NULL};
    static const char *const asg[] = {"id", "firstName", "lastName", "email", "photoURL", NULL};
    static const char *const lay[] = {"id", "layoutName", NULL};
    static const char *const src[] = {"type", "appName", "extId", "permalink", "appPhotoURL", NULL};
    const cJSON *d = cJSON_GetObjectItem(t, "department");
    check_keys(d, dep);
    assert_string_equal(dmt_str(d, "id"), dmt_str(t, "departmentId"));
    const cJSON *c = cJSON_GetObjectItem(t, "contact");
    check_keys(c, con);
    assert_string_equal(dmt_str(c, "id"), dmt_str(t, "contactId"));
    const cJSON *a = cJSON_GetObjectItem(t, "assignee");
    if (!cJSON_IsNull(a)) {
        check_keys(a, asg);
        assert_string_equal(dmt_str(a, "id"), dmt_str(t, "assigneeId"));
    } else {
        assert_true(cJSON_IsNull(cJSON_GetObjectItem(t, "assigneeId")));
    }
    check_keys(cJSON_GetObjectItem(t, "layoutDetails"), lay);
    check_keys(cJSON_GetObjectItem(t, "source"), src);
    const char *st = dmt_str(t, "statusType");
    assert_true(strcmp(st, "Open") == 0 || strcmp(st, "On Hold") == 0 || strcmp(st, "Closed") == 0);
    char url[256];
    snprintf(url, sizeof url, "https://desk.zoho.com/support/zylker/ShowHomePage.do#Cases/dv/%s",
             dmt_str(t, "id"));
    assert_string_equal(dmt_str(t, "webUrl"), url);
}

/* The error in r's errors[] with fieldName, or a failure naming what came.
 * Stricter than hooks.h's dmh_field_error: the error must carry a message. */
static const cJSON *field_error(const dmt_resp *r, const char *field, const char *type)
{
    dmt_assert_error(r, 422, "INVALID_DATA");
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(r->json, "errors")) {
        const char *f = dmt_str(e, "fieldName");
        if (f && strcmp(f, field) == 0) {
            assert_string_equal(dmt_str(e, "errorType"), type);
            assert_non_null(dmt_str(e, "errorMessage"));
            return e;
        }
    }
    fail_msg("no error for %s in %s", field, r->body);
    return NULL;
}

static dmt_resp get_ticket(dmt_mock *m, const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/tickets/%s", id);
    return dmt_api(m, "GET", path, DMT_ADMIN, NULL);
}

static dmt_resp patch_ticket(dmt_mock *m, const char *id, const char *body)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/tickets/%s", id);
    return dmt_api(m, "PATCH", path, DMT_ADMIN, body);
}

/* Ids of a list answer's data[], comma-joined, for one-line comparisons. */
static void list_ids(const dmt_resp *r, char *out, size_t len)
{
    dmh_status(r, 200);
    const cJSON *data = cJSON_GetObjectItem(r->json, "data"), *t;
    assert_true(cJSON_IsArray(data));
    out[0] = '\0';
    cJSON_ArrayForEach(t, data) {
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%s", used ? "," : "", dmt_str(t, "id"));
    }
}

static void assert_list(dmt_mock *m, const char *path, const char *want)
{
    char ids[1024];
    dmt_resp r = dmt_api(m, "GET", path, DMT_ADMIN, NULL);
    list_ids(&r, ids, sizeof ids);
    if (strcmp(ids, want) != 0) fail_msg("GET %s: got [%s], want [%s]", path, ids, want);
    dmt_resp_free(&r);
}

/* ==== Create ==== */

/* POST with contactId answers the full ticket, and GET reads back the same. */
static void create_with_contact_id_returns_full_ticket(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN,
                         "{\"subject\":\"Printer on fire\",\"departmentId\":\"" DMT_DEPT_SUPPORT
                         "\",\"contactId\":\"" DMT_CONTACT "\",\"priority\":\"High\","
                         "\"description\":\"<div>Smoke</div>\",\"cf\":{\"cf_region\":\"EU\"}}");
    dmh_status(&r, 200);
    const cJSON *t = r.json;
    assert_ticket_shape(t);
    assert_string_equal(dmt_str(t, "subject"), "Printer on fire");
    assert_string_equal(dmt_str(t, "status"), "Open");
    assert_string_equal(dmt_str(t, "statusType"), "Open");
    assert_string_equal(dmt_str(t, "priority"), "High");
    assert_string_equal(dmt_str(t, "ticketNumber"), "105"); /* the default org holds 101..104 */
    assert_string_equal(dmt_str(t, "contactId"), DMT_CONTACT);
    assert_string_equal(dmt_str(cJSON_GetObjectItem(t, "department"), "name"), "Support");
    assert_string_equal(dmt_str(cJSON_GetObjectItem(t, "contact"), "email"),
                        "maria.lopez@example.com");
    assert_string_equal(dmt_str(t, "email"), "maria.lopez@example.com");
    assert_string_equal(dmt_str(t, "createdBy"), ADMIN_ID);
    assert_string_equal(dmt_str(t, "threadCount"), "0");
    assert_string_equal(dmt_str(t, "commentCount"), "0");
    assert_string_equal(dmt_str(t, "createdTime"), dmt_str(t, "modifiedTime"));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(t, "closedTime")));
    /* customFields by display label; the org file names none, so the label
     * is the API name made readable */
    assert_string_equal(dmt_str(cJSON_GetObjectItem(t, "customFields"), "Region"), "EU");
    assert_int_equal(strlen(dmt_str(t, "id")), 19); /* a generated id */

    dmt_resp g = get_ticket(m, dmt_str(t, "id"));
    dmh_status(&g, 200);
    assert_true(cJSON_Compare(g.json, t, 1));
    dmt_resp_free(&g);
    dmt_resp_free(&r);
}

/* An inline contact object with a new email creates that contact first (its
 * own change record, caused by the same request), and the ticket points at it. */
static void create_with_inline_contact_creates_contact(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN,
                         "{\"subject\":\"Hello\",\"departmentId\":\"" DMT_DEPT_BILLING "\","
                         "\"contact\":{\"firstName\":\"Lena\",\"lastName\":\"Berg\","
                         "\"email\":\"lena.berg@example.org\",\"phone\":\"+46 8 123\"}}");
    dmh_status(&r, 200);
    assert_ticket_shape(r.json);
    uint64_t post_seq = dmh_last_request_seq(m);
    const char *cid = dmt_str(r.json, "contactId");
    assert_non_null(cid);
    assert_true(dm_id_valid(cid));
    assert_string_not_equal(cid, DMT_CONTACT);
    const cJSON *embed = cJSON_GetObjectItem(r.json, "contact");
    assert_string_equal(dmt_str(embed, "lastName"), "Berg");
    assert_string_equal(dmt_str(embed, "email"), "lena.berg@example.org");
    assert_string_equal(dmt_str(r.json, "email"), "lena.berg@example.org");

    char path[128];
    snprintf(path, sizeof path, "/api/v1/contacts/%s", cid);
    dmt_resp c = dmt_api(m, "GET", path, DMT_ADMIN, NULL);
    dmh_status(&c, 200);
    assert_string_equal(dmt_str(c.json, "firstName"), "Lena");
    assert_string_equal(dmt_str(c.json, "phone"), "+46 8 123");
    dmt_resp_free(&c);
    dmt_resp l = dmt_api(m, "GET", "/api/v1/contacts", DMT_ADMIN, NULL);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(l.json, "data")), 5);
    dmt_resp_free(&l);

    cJSON *creates = dmh_changes_caused_by(m, post_seq);
    assert_int_equal(cJSON_GetArraySize(creates), 2);
    const cJSON *c0 = cJSON_GetArrayItem(creates, 0), *c1 = cJSON_GetArrayItem(creates, 1);
    assert_string_equal(dmt_str(c0, "resource"), "contact");
    assert_string_equal(dmt_str(c0, "action"), "create");
    assert_string_equal(dmt_str(c0, "id"), cid);
    assert_string_equal(dmt_str(c1, "resource"), "ticket");
    assert_string_equal(dmt_str(c1, "action"), "create");
    assert_string_equal(dmt_str(c1, "id"), dmt_str(r.json, "id"));
    assert_true(dmh_u64(c0, "seq") < dmh_u64(c1, "seq"));
    cJSON_Delete(creates);
    dmt_resp_free(&r);
}

/* An inline contact whose email is already known reuses that contact. */
static void create_with_inline_contact_reuses_known_email(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r =
        dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN,
                "{\"subject\":\"Again\",\"departmentId\":\"" DMT_DEPT_SUPPORT "\","
                "\"contact\":{\"lastName\":\"Sato\",\"email\":\"kenji.sato@example.com\"}}");
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "contactId"), "18920000000000302");
    dmt_resp_free(&r);
    dmt_resp l = dmt_api(m, "GET", "/api/v1/contacts", DMT_ADMIN, NULL);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(l.json, "data")), 4);
    dmt_resp_free(&l);
}

/* A ticket from the org file has the same full shape, with its counts true. */
static void fixture_ticket_has_full_shape_and_true_counts(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = get_ticket(m, DMT_TICKET);
    dmh_status(&r, 200);
    assert_ticket_shape(r.json);
    assert_string_equal(dmt_str(r.json, "ticketNumber"), "101");
    assert_string_equal(dmt_str(r.json, "threadCount"), "2");
    assert_string_equal(dmt_str(r.json, "commentCount"), "1");
    assert_string_equal(dmt_str(r.json, "createdTime"), "2026-01-05T09:15:00.000Z");
    /* as a real email ticket has it */
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r.json, "channelCode")));
    const cJSON *a = cJSON_GetObjectItem(r.json, "assignee");
    assert_string_equal(dmt_str(a, "firstName"), "Ravi");
    assert_string_equal(dmt_str(a, "email"), "ravi.agent@zylker.example");
    assert_string_equal(dmt_str(cJSON_GetObjectItem(r.json, "cf"), "cf_plan"), "Pro");
    dmt_resp_free(&r);
    /* every ticket in the list has the shape too */
    dmt_resp l = dmt_api(m, "GET", "/api/v1/tickets", DMT_ADMIN, NULL);
    dmh_status(&l, 200);
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(l.json, "data"))
        assert_ticket_shape(t);
    dmt_resp_free(&l);
}

/* ==== Update ==== */

/* PATCH changes exactly the given fields (plus modifiedTime/modifiedBy), and
 * modifiedTime is the time of the PATCH. */
static void patch_changes_only_given_fields_and_bumps_modifiedTime(void **state)
{
    dmt_mock *m = *state;
    dmt_resp before = get_ticket(m, DMT_TICKET);
    int64_t t0 = dm_wall_ms();
    dmt_resp r = patch_ticket(m, DMT_TICKET, "{\"priority\":\"Low\",\"cf\":{\"cf_plan\":\"Max\"}}");
    int64_t t1 = dm_wall_ms();
    dmh_status(&r, 200);
    assert_ticket_shape(r.json);
    assert_string_equal(dmt_str(r.json, "priority"), "Low");
    assert_string_equal(dmt_str(cJSON_GetObjectItem(r.json, "cf"), "cf_plan"), "Max");
    assert_string_equal(dmt_str(cJSON_GetObjectItem(r.json, "cf"), "cf_region"), "EU");
    assert_string_equal(dmt_str(cJSON_GetObjectItem(r.json, "customFields"), "Plan"), "Max");
    assert_string_equal(dmt_str(r.json, "modifiedBy"), ADMIN_ID);
    int64_t mod;
    assert_int_equal(dm_iso_parse(dmt_str(r.json, "modifiedTime"), &mod), 0);
    assert_true(mod >= t0 && mod <= t1);
    assert_string_not_equal(dmt_str(r.json, "modifiedTime"), dmt_str(before.json, "modifiedTime"));

    const cJSON *v;
    cJSON_ArrayForEach(v, before.json) {
        static const char *const moved[] = {"priority",     "cf",         "customFields",
                                            "modifiedTime", "modifiedBy", NULL};
        int expected = 0;
        for (const char *const *k = moved; *k; k++)
            expected |= strcmp(*k, v->string) == 0;
        if (expected) continue;
        if (!cJSON_Compare(v, cJSON_GetObjectItem(r.json, v->string), 1))
            fail_msg("PATCH priority changed %s too", v->string);
    }
    dmt_resp g = get_ticket(m, DMT_TICKET);
    assert_true(cJSON_Compare(g.json, r.json, 1));
    dmt_resp_free(&g);
    dmt_resp_free(&r);
    dmt_resp_free(&before);
}

/* A PATCH that sets fields to their current values is not a change: same
 * answer as before, and no change record in the journal. */
static void patch_with_same_values_records_no_change(void **state)
{
    dmt_mock *m = *state;
    dmt_resp before = get_ticket(m, DMT_TICKET);
    dmt_resp r = patch_ticket(m, DMT_TICKET,
                              "{\"subject\":\"Cannot sign in after password reset\","
                              "\"status\":\"Open\",\"cf\":{\"cf_region\":\"EU\"}}");
    dmh_status(&r, 200);
    assert_true(cJSON_Compare(r.json, before.json, 1));
    cJSON *ch = dmh_changes_caused_by(m, dmh_last_request_seq(m));
    assert_int_equal(cJSON_GetArraySize(ch), 0);
    cJSON_Delete(ch);
    dmt_resp_free(&r);

    /* an empty PATCH is not a change either */
    r = patch_ticket(m, DMT_TICKET, "{}");
    dmh_status(&r, 200);
    assert_true(cJSON_Compare(r.json, before.json, 1));
    dmt_resp_free(&r);
    ch = dmh_journal(m, "kind=change");
    assert_int_equal(cJSON_GetArraySize(ch), 0);
    cJSON_Delete(ch);

    /* while a real change is one record, caused by its request */
    r = patch_ticket(m, DMT_TICKET, "{\"status\":\"Escalated\"}");
    dmh_status(&r, 200);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "isEscalated")));
    ch = dmh_changes_caused_by(m, dmh_last_request_seq(m));
    assert_int_equal(cJSON_GetArraySize(ch), 1);
    cJSON_Delete(ch);
    dmt_resp_free(&r);
    dmt_resp_free(&before);
}

/* status drives statusType and the status times: Closed sets closedTime,
 * On Hold sets onholdTime, reopening clears both. */
static void status_change_derives_statusType_and_times(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = patch_ticket(m, DMT_TICKET, "{\"status\":\"Closed\"}");
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "statusType"), "Closed");
    assert_true(is_iso_ms(dmt_str(r.json, "closedTime")));
    assert_string_equal(dmt_str(r.json, "closedTime"), dmt_str(r.json, "modifiedTime"));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r.json, "onholdTime")));
    dmt_resp_free(&r);

    r = patch_ticket(m, DMT_TICKET, "{\"status\":\"On Hold\"}");
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "statusType"), "On Hold");
    assert_true(is_iso_ms(dmt_str(r.json, "onholdTime")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r.json, "closedTime")));
    dmt_resp_free(&r);

    r = patch_ticket(m, DMT_TICKET, "{\"status\":\"Open\"}");
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "statusType"), "Open");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r.json, "onholdTime")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r.json, "closedTime")));
    dmt_resp_free(&r);
}

/* Moving a ticket to another department changes the embedded {id,name}, and
 * the department filter follows. */
static void department_move_changes_embedded_department(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = patch_ticket(m, DMT_TICKET, "{\"departmentId\":\"" DMT_DEPT_BILLING "\"}");
    dmh_status(&r, 200);
    const cJSON *d = cJSON_GetObjectItem(r.json, "department");
    assert_string_equal(dmt_str(d, "id"), DMT_DEPT_BILLING);
    assert_string_equal(dmt_str(d, "name"), "Billing");
    dmt_resp_free(&r);
    assert_list(m, "/api/v1/tickets?departmentId=" DMT_DEPT_BILLING,
                DMT_TICKET ",18920000000000402");
    assert_list(m, "/api/v1/tickets?departmentId=" DMT_DEPT_SUPPORT, "18920000000000404");
}

/* Changing the assignee re-embeds the agent; null unassigns. */
static void assignee_change_reembeds_agent(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = patch_ticket(m, DMT_TICKET, "{\"assigneeId\":null}");
    dmh_status(&r, 200);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r.json, "assignee")));
    dmt_resp_free(&r);
    r = patch_ticket(m, DMT_TICKET, "{\"assigneeId\":\"" ADMIN_ID "\"}");
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(cJSON_GetObjectItem(r.json, "assignee"), "firstName"), "Ada");
    dmt_resp_free(&r);
}

/* An invalid PATCH changes nothing, even in its valid fields. */
static void invalid_patch_changes_nothing(void **state)
{
    dmt_mock *m = *state;
    dmt_resp before = get_ticket(m, DMT_TICKET);
    dmt_resp r = patch_ticket(m, DMT_TICKET, "{\"status\":\"Closed\",\"priority\":\"Huge\"}");
    field_error(&r, "/priority", "invalid");
    dmt_resp_free(&r);
    r = patch_ticket(m, DMT_TICKET, "{\"contact\":{\"lastName\":\"X\"}}");
    field_error(&r, "/contact", "invalid");
    dmt_resp_free(&r);
    dmt_resp g = get_ticket(m, DMT_TICKET);
    assert_true(cJSON_Compare(g.json, before.json, 1));
    dmt_resp_free(&g);
    dmt_resp_free(&before);
    cJSON *ch = dmh_journal(m, "kind=change");
    assert_int_equal(cJSON_GetArraySize(ch), 0);
    cJSON_Delete(ch);
}

/* ==== List ==== */

/* from=0 and from=1 both start at the first ticket; limit bounds the page. */
static void list_from_0_and_1_both_start_at_first(void **state)
{
    dmt_mock *m = *state;
    assert_list(m, "/api/v1/tickets",
                "18920000000000401,18920000000000402,18920000000000403,18920000000000404");
    assert_list(m, "/api/v1/tickets?from=0&limit=1", "18920000000000401");
    assert_list(m, "/api/v1/tickets?from=1&limit=1", "18920000000000401");
    assert_list(m, "/api/v1/tickets?from=2&limit=2", "18920000000000402,18920000000000403");
    assert_list(m, "/api/v1/tickets?from=4&limit=100", "18920000000000404");
    assert_list(m, "/api/v1/tickets?from=50", "");
}

/* limit must be 1..100 (422 on limit outside); from must be a number >= 0. */
static void list_limit_outside_1_to_100_is_422(void **state)
{
    dmt_mock *m = *state;
    static const char *const bad[] = {"limit=0", "limit=101", "limit=-1", "limit=abc", "limit="};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char path[128];
        snprintf(path, sizeof path, "/api/v1/tickets?%s", bad[i]);
        dmt_resp r = dmt_api(m, "GET", path, DMT_ADMIN, NULL);
        field_error(&r, "limit", "invalid");
        dmt_resp_free(&r);
    }
    dmt_resp r = dmt_api(m, "GET", "/api/v1/tickets?from=-1", DMT_ADMIN, NULL);
    field_error(&r, "from", "invalid");
    dmt_resp_free(&r);
    assert_list(m, "/api/v1/tickets?limit=100",
                "18920000000000401,18920000000000402,18920000000000403,18920000000000404");
    assert_list(m, "/api/v1/tickets?limit=1", "18920000000000401");
}

/* departmentId and status (a comma list) filter, alone and together. */
static void list_filters_by_department_and_status(void **state)
{
    dmt_mock *m = *state;
    assert_list(m, "/api/v1/tickets?departmentId=" DMT_DEPT_SUPPORT,
                "18920000000000401,18920000000000404");
    assert_list(m, "/api/v1/tickets?departmentId=" DMT_DEPT_ENG, "18920000000000403");
    assert_list(m, "/api/v1/tickets?status=Open", "18920000000000401");
    assert_list(m, "/api/v1/tickets?status=Open,Closed", "18920000000000401,18920000000000404");
    assert_list(m, "/api/v1/tickets?status=On%20Hold,Escalated",
                "18920000000000402,18920000000000403");
    assert_list(m, "/api/v1/tickets?status=Ope", "");
    assert_list(m, "/api/v1/tickets?departmentId=" DMT_DEPT_SUPPORT "&status=Closed",
                "18920000000000404");
    /* paging counts only the tickets that pass the filter */
    assert_list(m, "/api/v1/tickets?status=Open,Closed&from=2&limit=1", "18920000000000404");
    dmt_resp r = dmt_api(m, "GET", "/api/v1/tickets?departmentId=1234", DMT_ADMIN, NULL);
    field_error(&r, "departmentId", "invalid");
    dmt_resp_free(&r);
}

/* ==== Errors ==== */

/* GET or PATCH of a ticket that does not exist is 404 URL_NOT_FOUND. */
static void unknown_ticket_is_404(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = get_ticket(m, "1234567890");
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
    r = patch_ticket(m, "1234567890", "{\"status\":\"Closed\"}");
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
}

/* Missing subject (and department) are "missing" errors at /subject, /departmentId. */
static void create_missing_subject_is_422_missing(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r =
        dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN, "{\"contactId\":\"" DMT_CONTACT "\"}");
    field_error(&r, "/subject", "missing");
    field_error(&r, "/departmentId", "missing");
    dmt_resp_free(&r);
    r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN,
                "{\"subject\":null,\"departmentId\":\"" DMT_DEPT_SUPPORT
                "\",\"contactId\":\"" DMT_CONTACT "\"}");
    field_error(&r, "/subject", "invalid");
    dmt_resp_free(&r);
    r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN,
                "{\"subject\":\"s\",\"departmentId\":\"" DMT_DEPT_SUPPORT "\"}");
    field_error(&r, "/contactId", "missing");
    dmt_resp_free(&r);
}

/* References to things that do not exist are "invalid" at their pointer. */
static void create_unknown_references_are_422_invalid(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN,
                         "{\"subject\":\"s\",\"departmentId\":\"1234\",\"contactId\":\"5678\","
                         "\"assigneeId\":\"" DMT_CONTACT "\"}");
    field_error(&r, "/departmentId", "invalid");
    field_error(&r, "/contactId", "invalid");
    field_error(&r, "/assigneeId", "invalid");
    dmt_resp_free(&r);
    dmt_resp l = dmt_api(m, "GET", "/api/v1/tickets", DMT_ADMIN, NULL);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(l.json, "data")), 4);
    dmt_resp_free(&l);
}

/* Wrong JSON types and bad values are "invalid", nested ones with a deeper pointer. */
static void create_wrong_types_are_422_invalid(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN,
                         "{\"subject\":5,\"departmentId\":18920000000000101,"
                         "\"contactId\":\"" DMT_CONTACT "\",\"status\":\"Nope\","
                         "\"cf\":{\"region\":\"x\",\"cf_ok\":[1]},\"email\":\"not-an-email\","
                         "\"dueDate\":\"tomorrow\",\"secondaryContacts\":\"x\"}");
    field_error(&r, "/subject", "invalid");
    field_error(&r, "/departmentId", "invalid");
    field_error(&r, "/status", "invalid");
    field_error(&r, "/cf/region", "invalid");
    field_error(&r, "/cf/cf_ok", "invalid");
    field_error(&r, "/email", "invalid");
    field_error(&r, "/dueDate", "invalid");
    field_error(&r, "/secondaryContacts", "invalid");
    dmt_resp_free(&r);
    r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN,
                "{\"subject\":\"s\",\"departmentId\":\"" DMT_DEPT_SUPPORT "\","
                "\"contact\":{\"email\":\"nope\",\"age\":3}}");
    field_error(&r, "/contact/email", "invalid");
    field_error(&r, "/contact/age", "invalid");
    dmt_resp_free(&r);
}

/* Unknown and read-only fields are "invalid" errors named by their pointer. */
static void create_unknown_field_is_422_invalid(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r =
        dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN,
                "{\"subject\":\"s\",\"departmentId\":\"" DMT_DEPT_SUPPORT
                "\",\"contactId\":\"" DMT_CONTACT "\",\"bogus\":1,\"ticketNumber\":\"7\"}");
    field_error(&r, "/bogus", "invalid");
    field_error(&r, "/ticketNumber", "invalid");
    dmt_resp_free(&r);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, dmt_setup_mock, dmt_teardown_mock)
    const struct CMUnitTest tests[] = {
        T(create_with_contact_id_returns_full_ticket),
        T(create_with_inline_contact_creates_contact),
        T(create_with_inline_contact_reuses_known_email),
        T(fixture_ticket_has_full_shape_and_true_counts),
        T(patch_changes_only_given_fields_and_bumps_modifiedTime),
        T(patch_with_same_values_records_no_change),
        T(status_change_derives_statusType_and_times),
        T(department_move_changes_embedded_department),
        T(assignee_change_reembeds_agent),
        T(invalid_patch_changes_nothing),
        T(list_from_0_and_1_both_start_at_first),
        T(list_limit_outside_1_to_100_is_422),
        T(list_filters_by_department_and_status),
        T(unknown_ticket_is_404),
        T(create_missing_subject_is_422_missing),
        T(create_unknown_references_are_422_invalid),
        T(create_wrong_types_are_422_invalid),
        T(create_unknown_field_is_422_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
