/* test_people.c -- the org and who is in it, over loopback: organizations,
 * departments, agents (never showing tokens or scopes), contacts (read,
 * create, update, unique email), and what each role's scopes allow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hooks.h"
#include "util/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN_ID "18920000000000201"
#define AGENT_ID "18920000000000202"

/* ==== Helpers ==== */

/* No token value and no "token"/"scopes" key anywhere in the body. */
static void assert_no_secrets(const dmt_resp *r)
{
    assert_null(strstr(r->body, DMT_ADMIN));
    assert_null(strstr(r->body, DMT_AGENT));
    assert_null(strstr(r->body, DMT_VIEWER));
    assert_null(strstr(r->body, "\"token\""));
    assert_null(strstr(r->body, "\"scopes\""));
    assert_null(strstr(r->body, "Desk.tickets"));
}

/* ==== Organizations and departments ==== */

/* GET /organizations lists the one org (no orgId header needed); GET by id too. */
static void organizations_list_and_get(void **state)
{
    dmt_mock *m = *state;
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/organizations", m->url);
    const char *h[] = {"Authorization: Zoho-oauthtoken " DMT_AGENT, NULL};
    dmt_resp r;
    assert_int_equal(dmt_http("GET", url, h, NULL, 0, &r), 0);
    const cJSON *d = dmh_data(&r);
    assert_int_equal(cJSON_GetArraySize(d), 1);
    const cJSON *org = cJSON_GetArrayItem(d, 0);
    assert_string_equal(dmt_str(org, "id"), DMT_ORG);
    assert_string_equal(dmt_str(org, "companyName"), "Zylker Support");
    assert_string_equal(dmt_str(org, "portalName"), "zylker");
    assert_string_equal(dmt_str(org, "edition"), "Enterprise");
    assert_string_equal(dmt_str(org, "portalURL"), "https://desk.zoho.com/support/zylker");
    assert_no_secrets(&r);
    dmt_resp_free(&r);

    r = dmt_api(m, "GET", "/api/v1/organizations/" DMT_ORG, DMT_ADMIN, NULL);
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "id"), DMT_ORG);
    dmt_resp_free(&r);
    r = dmt_api(m, "GET", "/api/v1/organizations/123", DMT_ADMIN, NULL);
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
}

/* Departments list in file order; GET by id; unknown id is 404. */
static void departments_list_and_get(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "GET", "/api/v1/departments", DMT_VIEWER, NULL);
    const cJSON *d = dmh_data(&r);
    assert_int_equal(cJSON_GetArraySize(d), 3);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(d, 0), "name"), "Support");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(d, 0), "isDefault")));
    assert_string_equal(dmt_str(cJSON_GetArrayItem(d, 2), "id"), DMT_DEPT_ENG);
    dmt_resp_free(&r);

    r = dmt_api(m, "GET", "/api/v1/departments/" DMT_DEPT_BILLING, DMT_ADMIN, NULL);
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "name"), "Billing");
    assert_string_equal(dmt_str(r.json, "description"), "Invoices, refunds and plans");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "isDefault")));
    dmt_resp_free(&r);
    r = dmt_api(m, "GET", "/api/v1/departments/42", DMT_ADMIN, NULL);
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
    r = dmt_api(m, "GET", "/api/v1/departments?limit=2", DMT_ADMIN, NULL);
    assert_int_equal(cJSON_GetArraySize(dmh_data(&r)), 2);
    dmt_resp_free(&r);
}

/* ==== Agents ==== */

/* Agents list and get; no answer ever carries a token or scopes. */
static void agents_list_and_get_never_show_tokens_or_scopes(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "GET", "/api/v1/agents", DMT_ADMIN, NULL);
    const cJSON *d = dmh_data(&r), *a;
    assert_int_equal(cJSON_GetArraySize(d), 3);
    cJSON_ArrayForEach(a, d) {
        assert_null(cJSON_GetObjectItem(a, "token"));
        assert_null(cJSON_GetObjectItem(a, "scopes"));
        assert_null(cJSON_GetObjectItem(a, "role"));
        assert_true(dm_id_valid(dmt_str(a, "id")));
        assert_non_null(dmt_str(a, "emailId"));
        assert_true(cJSON_IsArray(cJSON_GetObjectItem(a, "associatedDepartmentIds")));
    }
    assert_string_equal(dmt_str(cJSON_GetArrayItem(d, 0), "name"), "Ada Admin");
    assert_no_secrets(&r);
    dmt_resp_free(&r);

    r = dmt_api(m, "GET", "/api/v1/agents/" AGENT_ID, DMT_ADMIN, NULL);
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "firstName"), "Ravi");
    assert_string_equal(dmt_str(r.json, "emailId"), "ravi.agent@zylker.example");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "associatedDepartmentIds")), 2);
    assert_no_secrets(&r);
    dmt_resp_free(&r);

    r = dmt_api(m, "GET", "/api/v1/myinfo", DMT_AGENT, NULL);
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "id"), AGENT_ID);
    assert_no_secrets(&r);
    dmt_resp_free(&r);

    r = dmt_api(m, "GET", "/api/v1/agents/" DMT_CONTACT, DMT_ADMIN, NULL);
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
}

/* ==== Contacts ==== */

/* Contacts list in file order; GET by id; unknown id is 404. */
static void contacts_list_and_get(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "GET", "/api/v1/contacts", DMT_VIEWER, NULL);
    const cJSON *d = dmh_data(&r);
    assert_int_equal(cJSON_GetArraySize(d), 4);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(d, 0), "id"), DMT_CONTACT);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(d, 3), "firstName")));
    dmt_resp_free(&r);

    r = dmt_api(m, "GET", "/api/v1/contacts/" DMT_CONTACT, DMT_AGENT, NULL);
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "email"), "maria.lopez@example.com");
    assert_string_equal(dmt_str(r.json, "lastName"), "Lopez");
    assert_string_equal(dmt_str(r.json, "type"), "Customer");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "isSpam")));
    dmt_resp_free(&r);
    r = dmt_api(m, "GET", "/api/v1/contacts/1", DMT_ADMIN, NULL);
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
}

/* POST /contacts creates a contact with a fresh id; GET reads it back. */
static void contact_create_then_get(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/contacts", DMT_ADMIN,
                         "{\"firstName\":\"Jonas\",\"lastName\":\"Fischer\","
                         "\"email\":\"jonas@example.org\",\"phone\":\"+49 30 1\","
                         "\"cf\":{\"cf_tier\":\"gold\"}}");
    dmh_status(&r, 200);
    const char *id = dmt_str(r.json, "id");
    assert_true(dm_id_valid(id));
    assert_int_equal(strlen(id), 19);
    assert_string_equal(dmt_str(r.json, "lastName"), "Fischer");
    assert_string_equal(dmt_str(r.json, "email"), "jonas@example.org");
    assert_string_equal(dmt_str(cJSON_GetObjectItem(r.json, "cf"), "cf_tier"), "gold");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r.json, "mobile")));

    char path[128];
    snprintf(path, sizeof path, "/api/v1/contacts/%s", id);
    dmt_resp g = dmt_api(m, "GET", path, DMT_ADMIN, NULL);
    dmh_status(&g, 200);
    assert_true(cJSON_Compare(g.json, r.json, 1));
    dmt_resp_free(&g);
    dmt_resp l = dmt_api(m, "GET", "/api/v1/contacts", DMT_ADMIN, NULL);
    assert_int_equal(cJSON_GetArraySize(dmh_data(&l)), 5);
    dmt_resp_free(&l);

    cJSON *ch = dmh_journal(m, "kind=change");
    assert_int_equal(cJSON_GetArraySize(ch), 1);
    const cJSON *c = cJSON_GetArrayItem(ch, 0);
    assert_string_equal(dmt_str(c, "resource"), "contact");
    assert_string_equal(dmt_str(c, "action"), "create");
    assert_string_equal(dmt_str(c, "id"), id);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(c, "before")));
    cJSON_Delete(ch);
    dmt_resp_free(&r);
}

/* A contact needs lastName; unknown fields and bad emails are invalid. */
static void contact_create_validates_fields(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/contacts", DMT_ADMIN, "{\"firstName\":\"A\"}");
    dmh_field_error(&r, "/lastName", "missing");
    dmt_resp_free(&r);
    r = dmt_api(m, "POST", "/api/v1/contacts", DMT_ADMIN,
                "{\"lastName\":\"B\",\"email\":\"b@@x\",\"shoeSize\":44}");
    dmh_field_error(&r, "/email", "invalid");
    dmh_field_error(&r, "/shoeSize", "invalid");
    dmt_resp_free(&r);
    dmt_resp l = dmt_api(m, "GET", "/api/v1/contacts", DMT_ADMIN, NULL);
    assert_int_equal(cJSON_GetArraySize(dmh_data(&l)), 4);
    dmt_resp_free(&l);
}

/* PATCH changes the given fields only (and who modified it, when) and
 * journals before/after. */
static void contact_update_changes_only_given_fields(void **state)
{
    dmt_mock *m = *state;
    dmt_resp before = dmt_api(m, "GET", "/api/v1/contacts/18920000000000302", DMT_ADMIN, NULL);
    dmt_resp r = dmt_api(m, "PATCH", "/api/v1/contacts/18920000000000302", DMT_ADMIN,
                         "{\"mobile\":\"+1 555 0999\"}");
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "mobile"), "+1 555 0999");
    const cJSON *v;
    cJSON_ArrayForEach(v, before.json) {
        if (strcmp(v->string, "mobile") == 0 || strcmp(v->string, "modifiedTime") == 0 ||
            strcmp(v->string, "modifiedBy") == 0)
            continue;
        if (!cJSON_Compare(v, cJSON_GetObjectItem(r.json, v->string), 1))
            fail_msg("PATCH mobile changed %s too", v->string);
    }
    cJSON *ch = dmh_journal(m, "kind=change");
    assert_int_equal(cJSON_GetArraySize(ch), 1);
    const cJSON *c = cJSON_GetArrayItem(ch, 0);
    assert_string_equal(dmt_str(c, "resource"), "contact");
    assert_string_equal(dmt_str(c, "action"), "update");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "before"), "mobile")));
    assert_string_equal(dmt_str(cJSON_GetObjectItem(c, "after"), "mobile"), "+1 555 0999");
    cJSON_Delete(ch);
    dmt_resp_free(&r);
    dmt_resp_free(&before);

    r = dmt_api(m, "PATCH", "/api/v1/contacts/999", DMT_ADMIN, "{\"mobile\":\"1\"}");
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
}

/* An email another contact has is a 422 "duplicate" at /email, on create and
 * on update; keeping one's own email is fine. */
static void duplicate_email_is_422_duplicate(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/contacts", DMT_ADMIN,
                         "{\"lastName\":\"Clone\",\"email\":\"maria.lopez@example.com\"}");
    dmh_field_error(&r, "/email", "duplicate");
    dmt_resp_free(&r);
    r = dmt_api(m, "PATCH", "/api/v1/contacts/18920000000000302", DMT_ADMIN,
                "{\"email\":\"maria.lopez@example.com\"}");
    dmh_field_error(&r, "/email", "duplicate");
    dmt_resp_free(&r);
    r = dmt_api(m, "PATCH", "/api/v1/contacts/" DMT_CONTACT, DMT_ADMIN,
                "{\"email\":\"maria.lopez@example.com\",\"title\":\"CTO\"}");
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "title"), "CTO");
    dmt_resp_free(&r);
    dmt_resp g = dmt_api(m, "GET", "/api/v1/contacts/18920000000000302", DMT_ADMIN, NULL);
    assert_string_equal(dmt_str(g.json, "email"), "kenji.sato@example.com");
    dmt_resp_free(&g);
}

/* ==== Scopes ==== */

/* The agent token reads contacts but lacks the contact write scopes: 403. */
static void agent_token_lacks_contact_write_scope(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/contacts", DMT_AGENT, "{\"lastName\":\"Nope\"}");
    dmt_assert_error(&r, 403, "SCOPE_MISMATCH");
    dmt_resp_free(&r);
    r = dmt_api(m, "PATCH", "/api/v1/contacts/" DMT_CONTACT, DMT_AGENT, "{\"title\":\"x\"}");
    dmt_assert_error(&r, 403, "SCOPE_MISMATCH");
    dmt_resp_free(&r);
    r = dmt_api(m, "GET", "/api/v1/contacts", DMT_AGENT, NULL);
    dmh_status(&r, 200);
    assert_int_equal(cJSON_GetArraySize(dmh_data(&r)), 4);
    dmt_resp_free(&r);
    cJSON *ch = dmh_journal(m, "kind=change");
    assert_int_equal(cJSON_GetArraySize(ch), 0);
    cJSON_Delete(ch);
}

/* The viewer token reads tickets but cannot PATCH them, comment or reply. */
static void viewer_token_cannot_patch_tickets(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r =
        dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_VIEWER, "{\"status\":\"Closed\"}");
    dmt_assert_error(&r, 403, "SCOPE_MISMATCH");
    dmt_resp_free(&r);
    r = dmt_api(m, "POST", "/api/v1/tickets/" DMT_TICKET "/comments", DMT_VIEWER,
                "{\"content\":\"x\"}");
    dmt_assert_error(&r, 403, "SCOPE_MISMATCH");
    dmt_resp_free(&r);
    r = dmt_api(m, "POST", "/api/v1/tickets", DMT_VIEWER,
                "{\"subject\":\"s\",\"departmentId\":\"" DMT_DEPT_SUPPORT
                "\",\"contactId\":\"" DMT_CONTACT "\"}");
    dmt_assert_error(&r, 403, "SCOPE_MISMATCH");
    dmt_resp_free(&r);
    r = dmt_api(m, "GET", "/api/v1/tickets/" DMT_TICKET, DMT_VIEWER, NULL);
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "status"), "Open");
    dmt_resp_free(&r);
}

/* The agent token (Desk.tickets.ALL) may PATCH; modifiedBy names that agent. */
static void agent_token_patches_tickets_as_that_agent(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r =
        dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_AGENT, "{\"priority\":\"Urgent\"}");
    dmh_status(&r, 200);
    assert_string_equal(dmt_str(r.json, "modifiedBy"), AGENT_ID);
    dmt_resp_free(&r);
    cJSON *ch = dmh_journal(m, "kind=change");
    assert_int_equal(cJSON_GetArraySize(ch), 1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(ch, 0), "actor"), AGENT_ID);
    cJSON_Delete(ch);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, dmt_setup_mock, dmt_teardown_mock)
    const struct CMUnitTest tests[] = {
        T(organizations_list_and_get),
        T(departments_list_and_get),
        T(agents_list_and_get_never_show_tokens_or_scopes),
        T(contacts_list_and_get),
        T(contact_create_then_get),
        T(contact_create_validates_fields),
        T(contact_update_changes_only_given_fields),
        T(duplicate_email_is_422_duplicate),
        T(agent_token_lacks_contact_write_scope),
        T(viewer_token_cannot_patch_tickets),
        T(agent_token_patches_tickets_as_that_agent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
