/* test_modules.c -- the Desk model as a receiver and an API client meet it:
 * every one of the 52 subscribable event types raised by a real state
 * change and delivered with exactly its module's keys and types; the shapes
 * the evidence asks for (an email ticket's firstThread, a thread's
 * department and attachments, custom fields by label, layouts, comment
 * mentions, the article's key set); and the REST API's strictness (unknown
 * query parameters, list filters, ids of the wrong kind). */
#include "hooks.h"
#include "desk/catalog.h"
#include "desk/schema.h"

#include <curl/curl.h>
#include <unistd.h>

typedef struct fx {
    dmt_mock *m;
    dmt_recv *r;
    size_t from; /* POSTs the receiver had before the last action */
    char dir[64], org[128];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->r = dmt_recv_start();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dmt_mock_stop(f->m);
    dmt_recv_stop(f->r);
    if (*f->org) unlink(f->org);
    if (*f->dir) rmdir(f->dir);
    free(f);
    return 0;
}

/* A webhook at f's receiver subscribed to every event type, with
 * includePrevState where the type takes it. */
static void subscribe_all(fx *f, char id[32])
{
    dm_buf subs = {0};
    dm_buf_putc(&subs, '{');
    const dm_event_type *t;
    for (size_t i = 0; (t = dm_event_type_at(i)); i++)
        dm_buf_printf(&subs, "%s\"%s\":%s", i ? "," : "", t->type,
                      (t->options & DM_OPT_PREVSTATE) ? "{\"includePrevState\":true}" : "null");
    dm_buf_putc(&subs, '}');
    dmh_create(f->m, dmt_recv_url(f->r), subs.data, "", id);
    dm_buf_free(&subs);
}

static const cJSON *delivered_after(fx *f, const char *type, size_t from);

/* The delivered element of type from the last action (the last POST that
 * carries one). */
#define delivered(f, type) delivered_after((f), (type), (f)->from)

/* POST /mock/v1/events; asserts 200 and that an event of type was raised. */
static cJSON *trigger(dmt_mock *m, const char *type, const char *extra)
{
    char body[1024];
    snprintf(body, sizeof body, "{\"eventType\":\"%s\"%s}", type, extra ? extra : "");
    dmt_resp r = dmt_ctl(m, "POST", "/mock/v1/events", body);
    if (r.status != 200) fail_msg("%s: %ld %s", type, r.status, r.body);
    const cJSON *ev;
    int found = 0;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(r.json, "events"))
        found |= strcmp(dmt_str(ev, "eventType"), type) == 0;
    if (!found) fail_msg("%s raised no %s: %s", body, type, r.body);
    return dmh_take(&r);
}

/* The first delivered element of type in a POST after the first `from`
 * (dmt_recv_count before the action), waiting for it. */
static const cJSON *delivered_after(fx *f, const char *type, size_t from)
{
    for (int tries = 0; tries < 200; tries++) {
        size_t n = dmt_recv_count(f->r, "POST");
        for (size_t i = from; i < n; i++) {
            const cJSON *batch = dmt_recv_hit(f->r, "POST", i)->json, *el;
            cJSON_ArrayForEach(el, batch)
                if (strcmp(dmt_str(el, "eventType"), type) == 0) return el;
        }
        dmt_recv_wait(f->r, "POST", n + 1, 50);
    }
    fail_msg("no delivery of %s", type);
    return NULL;
}

typedef struct problems {
    dm_buf text;
    size_t n;
} problems;

static void collect(void *ud, const char *path, const cJSON *node, int at_key, const char *msg)
{
    (void)node;
    (void)at_key;
    problems *p = ud;
    dm_buf_printf(&p->text, "  %s: %s\n", path, msg);
    p->n++;
}

/* el's payload (and prevState) have exactly their module's keys, each of
 * its type; a delete's payload is {id}. */
static void assert_shape(const cJSON *el)
{
    const char *type = dmt_str(el, "eventType");
    const dm_event_def *def = NULL;
    const dm_schema *sc = dm_schema_for_event(type, &def);
    assert_non_null(sc);
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(el, "payload");
    if (strcmp(def->action, "delete") == 0) {
        assert_int_equal(cJSON_GetArraySize(payload), 1);
        assert_true(dm_id_valid(dmt_str(payload, "id")));
        return;
    }
    problems p = {{0}, 0};
    dm_schema_check_object(sc, payload, "payload", def->keys != NULL, 1, collect, &p);
    if (def->keys) {
        int n = 0;
        for (const char *const *k = def->keys; *k; k++, n++)
            if (!cJSON_GetObjectItemCaseSensitive(payload, *k)) fail_msg("%s lacks %s", type, *k);
        assert_int_equal(cJSON_GetArraySize(payload), n);
    }
    const cJSON *prev = cJSON_GetObjectItemCaseSensitive(el, "prevState");
    if (def->options & DM_OPT_PREVSTATE) {
        if (!prev) fail_msg("%s has no prevState", type);
        dm_schema_check_object(sc, prev, "prevState", def->keys != NULL, 1, collect, &p);
    } else if (prev) {
        fail_msg("%s carries a prevState", type);
    }
    if (p.n) fail_msg("%s: %zu problems:\n%s", type, p.n, p.text.data);
    dm_buf_free(&p.text);
}

/* ==== Every event type ==== */

/* All 52 types, in the catalog's order, each raised by a trigger that
 * changes state (the Desk API, or a /mock/v1 action for what no API user
 * can do) and delivered with its module's shape exactly. */
static void every_event_type_is_raised_by_a_state_change(void **state)
{
    fx *f = *state;
    dm_app_opts o = dmh_virtual_opts();
    f->m = dmt_mock_start(&o);
    char id[32];
    subscribe_all(f, id);
    const dm_event_type *t;
    size_t n = 0;
    for (size_t i = 0; (t = dm_event_type_at(i)); i++, n++) {
        f->from = dmt_recv_count(f->r, "POST");
        cJSON_Delete(trigger(f->m, t->type, NULL));
        assert_shape(delivered(f, t->type));
    }
    assert_int_equal(n, 52);
    /* and the object a create made is what GET returns */
    f->from = dmt_recv_count(f->r, "POST");
    cJSON *ans = trigger(f->m, "Account_Add", ",\"set\":{\"accountName\":\"Fresh\"}");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(ans, "resource");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/accounts/%s", dmt_str(res, "id"));
    cJSON *got = dmh_get_json(f->m, path);
    assert_true(cJSON_Compare(got, res, 1));
    const cJSON *pay = cJSON_GetObjectItemCaseSensitive(delivered(f, "Account_Add"), "payload");
    assert_true(cJSON_Compare(got, pay, 1));
    cJSON_Delete(got);
    cJSON_Delete(ans);
}

/* ==== Shapes per the evidence ==== */

/* A ticket that arrives by email raises Ticket_Add with its first thread as
 * firstThread (no Ticket_Thread_Add of its own); one made by an API call
 * on the phone channel carries description and no firstThread. */
static void email_tickets_carry_their_first_thread(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    char id[32];
    subscribe_all(f, id);
    f->from = dmt_recv_count(f->r, "POST");
    dmt_resp r =
        dmt_ctl(f->m, "POST", "/mock/v1/actions/email",
                "{\"subject\":\"Printer on fire\",\"content\":\"<div>It is on fire.</div>\"}");
    dmh_status(&r, 200);
    const char *tid = dmt_str(r.json, "id");
    const cJSON *el = delivered(f, "Ticket_Add");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(el, "payload");
    const cJSON *first = cJSON_GetObjectItemCaseSensitive(p, "firstThread");
    assert_non_null(first);
    assert_string_equal(dmt_str(first, "ticketId"), tid);
    assert_string_equal(dmt_str(first, "direction"), "in");
    assert_string_equal(dmt_str(first, "content"), "<div>It is on fire.</div>");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(first, "isDescriptionThread")));
    assert_string_equal(dmt_str(cJSON_GetObjectItemCaseSensitive(first, "author"), "type"),
                        "END_USER");
    assert_string_equal(dmt_str(p, "threadCount"), "1");
    assert_shape(el);
    cJSON *ev = dmh_journal(f->m, "kind=event");
    const cJSON *e;
    cJSON_ArrayForEach(e, ev)
        assert_string_not_equal(dmt_str(e, "eventType"), "Ticket_Thread_Add");
    cJSON_Delete(ev);
    /* GET has no firstThread: it belongs to the event */
    char path[96];
    snprintf(path, sizeof path, "/api/v1/tickets/%s", tid);
    cJSON *t = dmh_get_json(f->m, path);
    assert_null(cJSON_GetObjectItemCaseSensitive(t, "firstThread"));
    cJSON_Delete(t);
    dmt_resp_free(&r);

    f->from = dmt_recv_count(f->r, "POST");
    r = dmt_api(
        f->m, "POST", "/api/v1/tickets", DMT_ADMIN,
        "{\"subject\":\"Call me\",\"description\":\"<div>Phoned in</div>\",\"channel\":\"Phone\","
        "\"departmentId\":\"" DMT_DEPT_SUPPORT "\",\"contactId\":\"" DMT_CONTACT "\"}");
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    p = cJSON_GetObjectItemCaseSensitive(delivered(f, "Ticket_Add"), "payload");
    assert_string_equal(dmt_str(p, "channel"), "Phone");
    assert_string_equal(dmt_str(p, "description"), "<div>Phoned in</div>");
    assert_null(cJSON_GetObjectItemCaseSensitive(p, "firstThread"));
}

/* A thread carries its ticket's departmentId and its attachments; its
 * contentType is Desk's own ("text/html"), whatever sendReply was told. */
static void threads_carry_department_and_attachments(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    char id[32];
    subscribe_all(f, id);
    f->from = dmt_recv_count(f->r, "POST");
    dmt_resp r =
        dmt_api(f->m, "POST", "/api/v1/tickets/" DMT_TICKET "/sendReply", DMT_ADMIN,
                "{\"channel\":\"EMAIL\",\"to\":\"maria.lopez@example.com\",\"fromEmailAddress\":"
                "\"support@zylker.zohodesk.com\",\"content\":\"<div>Done</"
                "div>\",\"contentType\":\"html\"}");
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(delivered(f, "Ticket_Thread_Add"), "payload");
    assert_string_equal(dmt_str(p, "departmentId"), DMT_DEPT_SUPPORT);
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(p, "attachments")));
    assert_string_equal(dmt_str(p, "contentType"), "text/html");
    assert_string_equal(dmt_str(p, "direction"), "out");
}

/* customFields is keyed by each field's display label (the org file's, or
 * its API name made readable), cf by API name. */
static void custom_fields_are_keyed_by_label(void **state)
{
    fx *f = *state;
    snprintf(f->dir, sizeof f->dir, "/tmp/dmt-modules-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char *org = dmt_read_file(DM_SOURCE_DIR "/fixtures/orgs/default.json", NULL);
    cJSON *spec = cJSON_Parse(org);
    free(org);
    cJSON *labels = cJSON_AddObjectToObject(spec, "customFieldLabels");
    cJSON *t = cJSON_AddObjectToObject(labels, "ticket");
    cJSON_AddStringToObject(t, "cf_region", "Customer Region");
    snprintf(f->org, sizeof f->org, "%s/org.json", f->dir);
    char *text = cJSON_Print(spec);
    FILE *fp = fopen(f->org, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    free(text);
    cJSON_Delete(spec);
    dm_app_opts o = {0};
    o.org_file = f->org;
    f->m = dmt_mock_start(&o);
    cJSON *tk = dmh_get_json(f->m, "/api/v1/tickets/" DMT_TICKET);
    const cJSON *cf = cJSON_GetObjectItemCaseSensitive(tk, "cf");
    const cJSON *custom = cJSON_GetObjectItemCaseSensitive(tk, "customFields");
    assert_string_equal(dmt_str(cf, "cf_region"), "EU");
    assert_string_equal(dmt_str(custom, "Customer Region"), "EU");
    assert_string_equal(dmt_str(custom, "Plan"), "Pro"); /* no label given */
    assert_int_equal(cJSON_GetArraySize(custom), cJSON_GetArraySize(cf));
    cJSON_Delete(tk);
}

/* Each department's tickets have a layout of its own id, named after the
 * department; moving a ticket moves its layout. */
static void layouts_have_their_own_ids(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    cJSON *a = dmh_get_json(f->m, "/api/v1/tickets/" DMT_TICKET);
    const char *layout = dmt_str(a, "layoutId");
    assert_non_null(layout);
    assert_string_not_equal(layout, DMT_DEPT_SUPPORT);
    assert_string_equal(dmt_str(cJSON_GetObjectItemCaseSensitive(a, "layoutDetails"), "layoutName"),
                        "Support");
    dmt_resp r = dmt_api(f->m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN,
                         "{\"departmentId\":\"" DMT_DEPT_BILLING "\"}");
    dmh_status(&r, 200);
    assert_string_not_equal(dmt_str(r.json, "layoutId"), layout);
    assert_string_equal(
        dmt_str(cJSON_GetObjectItemCaseSensitive(r.json, "layoutDetails"), "layoutName"),
        "Billing");
    dmt_resp_free(&r);
    cJSON_Delete(a);
}

/* A comment that @-mentions an agent lists the agent in mention. */
static void comments_list_their_mentions(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    dmt_resp r = dmt_api(f->m, "POST", "/api/v1/tickets/" DMT_TICKET "/comments", DMT_ADMIN,
                         "{\"content\":\"zsu[@user:18920000000000202]zsu please look\"}");
    dmh_status(&r, 200);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r.json, "mention");
    assert_int_equal(cJSON_GetArraySize(m), 1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(m, 0), "id"), "18920000000000202");
    assert_string_equal(dmt_str(cJSON_GetArrayItem(m, 0), "firstName"), "Ravi");
    dmt_resp_free(&r);
}

/* An article's payload has exactly the keys of a real Article_Update, people
 * as {id, name, photoURL, status, zuid}, no answer, and the agent-side
 * webUrl. */
static void article_payload_is_the_real_key_set(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    char id[32];
    subscribe_all(f, id);
    f->from = dmt_recv_count(f->r, "POST");
    cJSON_Delete(trigger(f->m, "Article_Update", NULL));
    const cJSON *el = delivered(f, "Article_Update");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(el, "payload");
    static const char *const real[] = {"attachmentCount",
                                       "attachments",
                                       "author",
                                       "authorId",
                                       "availableLocaleTranslations",
                                       "category",
                                       "categoryId",
                                       "commentCount",
                                       "createdBy",
                                       "createdTime",
                                       "creatorId",
                                       "departmentId",
                                       "dislikeCount",
                                       "expiryDate",
                                       "feedbackCount",
                                       "id",
                                       "isLocked",
                                       "isTrashed",
                                       "latestPublishedVersion",
                                       "latestVersion",
                                       "latestVersionStatus",
                                       "likeCount",
                                       "locale",
                                       "metrics",
                                       "modifiedBy",
                                       "modifiedTime",
                                       "modifierId",
                                       "owner",
                                       "ownerId",
                                       "permalink",
                                       "permission",
                                       "portalUrl",
                                       "position",
                                       "reviewedBy",
                                       "reviewedTime",
                                       "rootCategoryId",
                                       "seo",
                                       "sourceLocale",
                                       "status",
                                       "summary",
                                       "tags",
                                       "title",
                                       "translationId",
                                       "translationSource",
                                       "translationState",
                                       "usageCount",
                                       "viewCount",
                                       "webUrl"};
    size_t n = sizeof real / sizeof *real;
    assert_int_equal((size_t)cJSON_GetArraySize(p), n);
    for (size_t i = 0; i < n; i++)
        if (!cJSON_GetObjectItemCaseSensitive(p, real[i]))
            fail_msg("no %s in the article", real[i]);
    const cJSON *author = cJSON_GetObjectItemCaseSensitive(p, "author"), *k;
    static const char *const person[] = {"id", "name", "photoURL", "status", "zuid"};
    assert_int_equal(cJSON_GetArraySize(author), 5);
    for (size_t i = 0; i < 5; i++)
        assert_non_null(cJSON_GetObjectItemCaseSensitive(author, person[i]));
    (void)k;
    assert_non_null(strstr(dmt_str(p, "webUrl"), "#Solutions/dv/"));
    assert_shape(el);
}

/* ==== REST strictness ==== */

/* A query parameter a route does not take is 422 with Desk's words, on
 * lists and single objects alike. */
static void unknown_query_parameters_are_refused(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    static const char *const paths[] = {"/api/v1/tickets?sortOrder=asc", "/api/v1/tasks?colour=red",
                                        ("/api/v1/tickets/" DMT_TICKET "?expand=all"),
                                        ("/api/v1/contacts?departmentIds=" DMT_DEPT_SUPPORT)};
    static const char *const names[] = {"sortOrder", "colour", "expand", "departmentIds"};
    for (size_t i = 0; i < 4; i++) {
        dmt_resp r = dmt_api(f->m, "GET", paths[i], DMT_ADMIN, NULL);
        dmt_assert_error(&r, 422, "INVALID_DATA");
        char want[160];
        snprintf(want, sizeof want, "Extra query parameter '%s' is present in the input", names[i]);
        assert_string_equal(dmt_str(r.json, "message"), want);
        dmt_resp_free(&r);
    }
}

/* departmentIds (a comma list), status, sortBy and fields work on lists. */
static void list_filters_work(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    cJSON *all = dmh_get_json(f->m, "/api/v1/tickets?limit=100");
    cJSON *two =
        dmh_get_json(f->m, "/api/v1/tickets?departmentIds=" DMT_DEPT_BILLING "," DMT_DEPT_ENG);
    const cJSON *t;
    int expect = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(all, "data"))
        expect += strcmp(dmt_str(t, "departmentId"), DMT_DEPT_SUPPORT) != 0;
    assert_true(expect > 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(two, "data")), expect);
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(two, "data"))
        assert_string_not_equal(dmt_str(t, "departmentId"), DMT_DEPT_SUPPORT);
    cJSON *sorted = dmh_get_json(f->m, "/api/v1/tickets?sortBy=-ticketNumber&fields=subject");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(sorted, "data");
    for (int i = 1; i < cJSON_GetArraySize(d); i++)
        assert_true(strcmp(dmt_str(cJSON_GetArrayItem(d, i - 1), "id"), "") != 0);
    const cJSON *first = cJSON_GetArrayItem(d, 0);
    assert_int_equal(cJSON_GetArraySize(first), 2); /* id and subject */
    cJSON *tasks = dmh_get_json(f->m, "/api/v1/tasks?departmentIds=" DMT_DEPT_BILLING);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(tasks, "data")), 0);
    dmt_resp bad = dmt_api(f->m, "GET", "/api/v1/tickets?departmentIds=123", DMT_ADMIN, NULL);
    dmh_field_error(&bad, "departmentIds", "invalid");
    dmt_resp_free(&bad);
    cJSON_Delete(tasks);
    cJSON_Delete(sorted);
    cJSON_Delete(two);
    cJSON_Delete(all);
}

/* An id of another kind is 404 saying whose id it is, and the journal
 * notes it (wrongResource), for the harness to explain. */
static void ids_of_the_wrong_kind_are_named(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    cJSON *cs = dmh_get_json(f->m, "/api/v1/tickets/" DMT_TICKET "/comments");
    const char *cid =
        dmt_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cs, "data"), 0), "id");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/tickets/%s", cid);
    dmt_resp r = dmt_api(f->m, "PATCH", path, DMT_ADMIN, "{\"priority\":\"Low\"}");
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    assert_non_null(strstr(dmt_str(r.json, "message"), "that id is a comment's"));
    dmt_resp_free(&r);
    cJSON *rec = dmh_journal(f->m, "kind=request");
    const cJSON *last = cJSON_GetArrayItem(rec, cJSON_GetArraySize(rec) - 1);
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(last, "wrongResource");
    assert_string_equal(dmt_str(w, "id"), cid);
    assert_string_equal(dmt_str(w, "expected"), "ticket");
    assert_string_equal(dmt_str(w, "actual"), "comment");
    cJSON_Delete(rec);
    cJSON_Delete(cs);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(every_event_type_is_raised_by_a_state_change),
        T(email_tickets_carry_their_first_thread),
        T(threads_carry_department_and_attachments),
        T(custom_fields_are_keyed_by_label),
        T(layouts_have_their_own_ids),
        T(comments_list_their_mentions),
        T(article_payload_is_the_real_key_set),
        T(unknown_query_parameters_are_refused),
        T(list_filters_work),
        T(ids_of_the_wrong_kind_are_named),
    };
#undef T
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
