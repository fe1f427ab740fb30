/* test_trigger.c -- POST /mock/v1/events and `deskmock trigger`, end to end
 * with real receivers behind REST-created webhooks: each core event type by
 * type carries exactly the user's data; sourceId and automation decide per
 * webhook; unknown and state-less types are refused helpfully; every shipped
 * fixture triggers; set/unset on fixtures; user fixture folders override
 * shipped fixtures; ambiguous bare names are refused; the CLI's exit codes. */
#include "hooks.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#define CORE_SUBS                                                                                  \
    "{\"Ticket_Add\":null,\"Ticket_Update\":{\"includePrevState\":true},"                          \
    "\"Ticket_Thread_Add\":null,\"Ticket_Comment_Add\":null,\"Ticket_Comment_Update\":null}"
#define USER_SUBJECT "User fixture subject 7f3a: the override won"

typedef struct fx {
    dmt_mock *m;
    dmt_recv *r[2];
    char dir[64]; /* a temp fixture folder, or "" */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (int i = 0; i < 2; i++)
        f->r[i] = dmt_recv_start();
    *state = f;
    return 0;
}

/* Removes dir and everything under it (two levels: <dir>/<Type>/<file>). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int teardown(void **state)
{
    fx *f = *state;
    dmt_mock_stop(f->m);
    for (int i = 0; i < 2; i++)
        dmt_recv_stop(f->r[i]);
    if (f->dir[0]) remove_tree(f->dir);
    free(f);
    return 0;
}

/* ==== Helpers ==== */

static const char *url(fx *f, int i)
{
    return dmt_recv_url(f->r[i]);
}

/* Starts a mock with the defaults and one webhook on receiver 0 taking the
 * core ticket events with prevState. */
static dmt_mock *start_core(fx *f, char id[32])
{
    f->m = dmt_mock_start(NULL);
    dmh_create(f->m, url(f, 0), CORE_SUBS, "", id);
    return f->m;
}

/* POST /mock/v1/events with body. */
static dmt_resp trigger(dmt_mock *m, const char *body)
{
    return dmt_ctl(m, "POST", "/mock/v1/events", body);
}

/* Triggers body, asserts 200 with at least one event, the first of type;
 * returns the answer (owned). */
static cJSON *trigger_ok(dmt_mock *m, const char *body, const char *type)
{
    dmt_resp r = trigger(m, body);
    dmh_status(&r, 200);
    const cJSON *evs = cJSON_GetObjectItemCaseSensitive(r.json, "events");
    if (cJSON_GetArraySize(evs) < 1) fail_msg("%s raised no event: %s", body, r.body);
    const char *got = dmt_str(cJSON_GetArrayItem(evs, 0), "eventType");
    if (!got || strcmp(got, type) != 0)
        fail_msg("%s: expected a %s event, got %s", body, type, r.body);
    return dmh_take(&r);
}

static uint64_t first_seq(const cJSON *ans)
{
    return dmh_u64(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ans, "events"), 0), "seq");
}

/* GET /mock/v1/events/{seq}?wait: the event's story once every webhook it
 * went to has a fate (owned). */
static cJSON *story(dmt_mock *m, uint64_t seq)
{
    char path[96];
    snprintf(path, sizeof path, "/mock/v1/events/%llu?wait=10000", (unsigned long long)seq);
    dmt_resp r = dmt_ctl(m, "GET", path, NULL);
    dmh_status(&r, 200);
    if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r.json, "pending")))
        fail_msg("event %llu still pending: %s", (unsigned long long)seq, r.body);
    return dmh_take(&r);
}

/* The fate record of webhook id in story s (fails unless exactly one). */
static const cJSON *fate_of(const cJSON *s, const char *id)
{
    const cJSON *x, *hit = NULL;
    int n = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(s, "fates")) {
        const char *w = dmt_str(x, "webhookId");
        if (w && strcmp(w, id) == 0) hit = x, n++;
    }
    if (n != 1) fail_msg("webhook %s has %d fates", id, n);
    return hit;
}

/* The i-th POST's only element at receiver r. */
static const cJSON *nth_element(dmt_recv *r, size_t i)
{
    if (dmt_recv_wait(r, "POST", i + 1, 10000) < i + 1) fail_msg("POST #%zu never arrived", i + 1);
    return dmh_only_element(dmt_recv_hit(r, "POST", i));
}

static const cJSON *member(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* The string at a "a.b" path under o, or NULL. */
static const char *str_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = member(o, a);
    if (b) x = member(x, b);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static void assert_str_at(const cJSON *o, const char *a, const char *b, const char *want)
{
    const char *got = str_at(o, a, b);
    if (!got || strcmp(got, want) != 0) {
        char *all = cJSON_PrintUnformatted(o);
        fail_msg("%s%s%s: expected \"%s\", got %s in %s", a, b ? "." : "", b ? b : "", want,
                 got ? got : "nothing", all);
    }
}

/* ==== Core event types by type ==== */

/* Ticket_Add with set (a custom field by dotted path included) arrives with
 * exactly those values, and is the ticket the answer's resource names. */
static void ticket_add_by_type_carries_the_set_data(void **state)
{
    fx *f = *state;
    char id[32];
    dmt_mock *m = start_core(f, id);
    cJSON *ans =
        trigger_ok(m,
                   "{\"eventType\":\"Ticket_Add\",\"set\":{\"subject\":\"Printer on fire\","
                   "\"priority\":\"High\",\"cf.cf_region\":\"APAC\"}}",
                   "Ticket_Add");
    const cJSON *el = nth_element(f->r[0], 0);
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Add");
    const cJSON *p = member(el, "payload");
    assert_str_at(p, "subject", NULL, "Printer on fire");
    assert_str_at(p, "priority", NULL, "High");
    assert_str_at(p, "cf", "cf_region", "APAC");
    assert_str_at(p, "id", NULL, dmt_str(member(ans, "resource"), "id"));
    cJSON *s = story(m, first_seq(ans));
    assert_string_equal(dmt_str(fate_of(s, id), "fate"), "delivered");
    cJSON_Delete(s);
    cJSON_Delete(ans);
}

/* Ticket_Update with status and a custom field: the payload has the new
 * values, prevState the old ones. */
static void ticket_update_by_type_carries_the_set_data_and_prev_state(void **state)
{
    fx *f = *state;
    char id[32];
    dmt_mock *m = start_core(f, id);
    cJSON *before = dmh_get_json(m, "/api/v1/tickets/" DMT_TICKET);
    assert_string_not_equal(dmt_str(before, "status"), "Closed");
    assert_string_not_equal(str_at(before, "cf", "cf_region"), "APAC");
    cJSON_Delete(trigger_ok(m,
                            "{\"eventType\":\"Ticket_Update\",\"ticketId\":\"" DMT_TICKET "\","
                            "\"set\":{\"status\":\"Closed\",\"cf.cf_region\":\"APAC\"}}",
                            "Ticket_Update"));
    const cJSON *el = nth_element(f->r[0], 0);
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Update");
    const cJSON *p = member(el, "payload"), *prev = member(el, "prevState");
    assert_str_at(p, "id", NULL, DMT_TICKET);
    assert_str_at(p, "status", NULL, "Closed");
    assert_str_at(p, "cf", "cf_region", "APAC");
    assert_non_null(prev);
    assert_str_at(prev, "status", NULL, dmt_str(before, "status"));
    assert_str_at(prev, "cf", "cf_region", str_at(before, "cf", "cf_region"));
    cJSON_Delete(before);
}

/* Ticket_Thread_Add "in" is a message from the contact with the set content. */
static void ticket_thread_add_in_by_type_carries_the_content(void **state)
{
    fx *f = *state;
    char id[32];
    dmt_mock *m = start_core(f, id);
    cJSON_Delete(
        trigger_ok(m,
                   "{\"eventType\":\"Ticket_Thread_Add\",\"ticketId\":\"" DMT_TICKET "\","
                   "\"direction\":\"in\",\"set\":{\"content\":\"<div>Still broken</div>\"}}",
                   "Ticket_Thread_Add"));
    const cJSON *p = member(nth_element(f->r[0], 0), "payload");
    assert_str_at(p, "ticketId", NULL, DMT_TICKET);
    assert_str_at(p, "direction", NULL, "in");
    assert_str_at(p, "content", NULL, "<div>Still broken</div>");
}

/* Ticket_Thread_Add "out" is an agent's reply with the set content. */
static void ticket_thread_add_out_by_type_carries_the_content(void **state)
{
    fx *f = *state;
    char id[32];
    dmt_mock *m = start_core(f, id);
    cJSON_Delete(trigger_ok(m,
                            "{\"eventType\":\"Ticket_Thread_Add\",\"ticketId\":\"" DMT_TICKET "\","
                            "\"direction\":\"out\",\"set\":{\"content\":\"<div>Fixed now</div>\"}}",
                            "Ticket_Thread_Add"));
    const cJSON *p = member(nth_element(f->r[0], 0), "payload");
    assert_str_at(p, "ticketId", NULL, DMT_TICKET);
    assert_str_at(p, "direction", NULL, "out");
    assert_str_at(p, "content", NULL, "<div>Fixed now</div>");
}

/* Ticket_Comment_Add then Ticket_Comment_Update on that comment: each
 * carries the set content (and isPublic as given). */
static void ticket_comment_add_and_update_by_type_carry_the_content(void **state)
{
    fx *f = *state;
    char id[32];
    dmt_mock *m = start_core(f, id);
    cJSON *ans = trigger_ok(m,
                            "{\"eventType\":\"Ticket_Comment_Add\",\"ticketId\":\"" DMT_TICKET "\","
                            "\"set\":{\"content\":\"Checked the logs\",\"isPublic\":false}}",
                            "Ticket_Comment_Add");
    const char *cid = dmt_str(member(ans, "resource"), "id");
    assert_non_null(cid);
    const cJSON *el = nth_element(f->r[0], 0);
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Comment_Add");
    const cJSON *p = member(el, "payload");
    assert_str_at(p, "id", NULL, cid);
    assert_str_at(p, "content", NULL, "Checked the logs");
    assert_true(cJSON_IsFalse(member(p, "isPublic")));

    char body[512];
    snprintf(body, sizeof body,
             "{\"eventType\":\"Ticket_Comment_Update\",\"ticketId\":\"" DMT_TICKET "\","
             "\"commentId\":\"%s\",\"set\":{\"content\":\"Checked the logs twice\"}}",
             cid);
    cJSON_Delete(trigger_ok(m, body, "Ticket_Comment_Update"));
    el = nth_element(f->r[0], 1);
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Comment_Update");
    p = member(el, "payload");
    assert_str_at(p, "id", NULL, cid);
    assert_str_at(p, "content", NULL, "Checked the logs twice");
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 2);
    cJSON_Delete(ans);
}

/* ==== sourceId, automation ==== */

/* sourceId equal to A's ignoreSourceId drops the event for A only. */
static void source_id_matching_ignore_source_id_suppresses_that_webhook(void **state)
{
    fx *f = *state;
    dmt_mock *m = f->m = dmt_mock_start(NULL);
    char a[32], b[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Update\":null}", ",\"ignoreSourceId\":\"" DMH_UUID_A "\"",
               a);
    dmh_create(m, url(f, 1), "{\"Ticket_Update\":null}", ",\"ignoreSourceId\":\"" DMH_UUID_B "\"",
               b);
    cJSON *ans = trigger_ok(m,
                            "{\"eventType\":\"Ticket_Update\",\"ticketId\":\"" DMT_TICKET "\","
                            "\"sourceId\":\"" DMH_UUID_A "\",\"set\":{\"priority\":\"Low\"}}",
                            "Ticket_Update");
    cJSON *s = story(m, first_seq(ans));
    const cJSON *fa = fate_of(s, a);
    assert_string_equal(dmt_str(fa, "fate"), "withheld");
    assert_string_equal(dmt_str(fa, "rule"), "ignoreSourceId");
    assert_string_equal(dmt_str(fa, "reason"), "sourceId equals the webhook's ignoreSourceId");
    assert_string_equal(dmt_str(fate_of(s, b), "fate"), "delivered");
    assert_str_at(member(nth_element(f->r[1], 0), "payload"), "priority", NULL, "Low");
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 0);
    cJSON_Delete(s);
    cJSON_Delete(ans);
}

/* "automation": true reaches only the webhook with includeEventsFrom
 * AUTOMATION. */
static void automation_is_delivered_only_to_webhooks_including_automation(void **state)
{
    fx *f = *state;
    dmt_mock *m = f->m = dmt_mock_start(NULL);
    char plain[32], autom[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Update\":null}", "", plain);
    dmh_create(m, url(f, 1), "{\"Ticket_Update\":null}", ",\"includeEventsFrom\":[\"AUTOMATION\"]",
               autom);
    cJSON *ans = trigger_ok(m,
                            "{\"eventType\":\"Ticket_Update\",\"ticketId\":\"" DMT_TICKET "\","
                            "\"automation\":true,\"set\":{\"priority\":\"Low\"}}",
                            "Ticket_Update");
    cJSON *s = story(m, first_seq(ans));
    const cJSON *fp = fate_of(s, plain);
    assert_string_equal(dmt_str(fp, "fate"), "withheld");
    assert_string_equal(dmt_str(fp, "rule"), "automation");
    assert_string_equal(dmt_str(fp, "reason"),
                        "made by automation; webhook lacks includeEventsFrom AUTOMATION");
    assert_string_equal(dmt_str(fate_of(s, autom), "fate"), "delivered");
    assert_str_at(member(nth_element(f->r[1], 0), "payload"), "priority", NULL, "Low");
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 0);
    cJSON_Delete(s);
    cJSON_Delete(ans);
}

/* ==== Refusals by type ==== */

/* A misspelt type is 422 with a suggestion, and changes nothing. */
static void unknown_event_type_is_refused_with_did_you_mean(void **state)
{
    fx *f = *state;
    char id[32];
    dmt_mock *m = start_core(f, id);
    dmt_resp r = trigger(m, "{\"eventType\":\"Ticket_Updte\",\"ticketId\":\"" DMT_TICKET "\","
                            "\"set\":{\"status\":\"Closed\"}}");
    const char *msg = dmh_field_error(&r, "/eventType", "invalid");
    assert_non_null(strstr(msg, "unknown event type"));
    assert_non_null(strstr(msg, "did you mean Ticket_Update?"));
    dmt_resp_free(&r);
    r = trigger(m, "{\"eventType\":\"Nothing_Like_It_At_All\"}");
    msg = dmh_field_error(&r, "/eventType", "invalid");
    assert_string_equal(msg, "unknown event type");
    dmt_resp_free(&r);
    cJSON *t = dmh_get_json(m, "/api/v1/tickets/" DMT_TICKET);
    assert_string_not_equal(dmt_str(t, "status"), "Closed");
    cJSON_Delete(t);
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 0);
}

/* An unknown type is 422 with the nearest known one. */
static void unknown_type_by_type_suggests_the_nearest(void **state)
{
    fx *f = *state;
    f->m = dmt_mock_start(NULL);
    dmt_resp r = trigger(f->m, "{\"eventType\":\"Acount_Add\"}");
    const char *msg = dmh_field_error(&r, "/eventType", "invalid");
    assert_non_null(strstr(msg, "did you mean Account_Add?"));
    dmt_resp_free(&r);
}

/* ==== Fixtures ==== */

/* Every fixture GET /mock/v1/fixtures lists triggers with 200 and raises an
 * event of its type; the listing's text is what GET /fixtures/{name} gives. */
static void every_shipped_fixture_triggers_an_event_of_its_type(void **state)
{
    fx *f = *state;
    dmt_mock *m = f->m = dmt_mock_start(NULL);
    dmt_resp list = dmt_ctl(m, "GET", "/mock/v1/fixtures", NULL);
    const cJSON *data = dmh_data(&list);
    int n = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, data) {
        const char *name = dmt_str(x, "name");
        assert_non_null(name);
        assert_string_equal(dmt_str(x, "source"), "shipped");
        char type[128], path[300], body[400];
        const char *slash = strchr(name, '/');
        assert_non_null(slash);
        snprintf(type, sizeof type, "%.*s", (int)(slash - name), name);
        snprintf(path, sizeof path, "/mock/v1/fixtures/%s", name);
        dmt_resp one = dmt_ctl(m, "GET", path, NULL);
        dmh_status(&one, 200);
        assert_string_equal(dmt_str(one.json, "eventType"), type);
        dmt_resp_free(&one);
        snprintf(body, sizeof body, "{\"fixture\":\"%s\"}", name);
        cJSON_Delete(trigger_ok(m, body, type));
        n++;
    }
    assert_true(n >= 73);
    dmt_resp_free(&list);
}

/* set and unset on a fixture: plain paths are in the payload, prevState.
 * paths in the prevState; the receiver sees the edited event. */
static void fixture_with_set_and_unset_delivers_the_edited_event(void **state)
{
    fx *f = *state;
    char id[32];
    dmt_mock *m = start_core(f, id);
    /* a ticket the state does not hold, so the fixture's prevState is used */
    cJSON_Delete(trigger_ok(m,
                            "{\"fixture\":\"Ticket_Update/status-closed-prevstate\","
                            "\"set\":{\"id\":\"18920000000009999\",\"cf.cf_region\":\"APAC\","
                            "\"subject\":\"Edited by set\",\"prevState.status\":\"Escalated\"},"
                            "\"unset\":[\"priority\",\"payload.cf.cf_plan\"]}",
                            "Ticket_Update"));
    const cJSON *el = nth_element(f->r[0], 0);
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Update");
    const cJSON *p = member(el, "payload"), *prev = member(el, "prevState");
    assert_str_at(p, "id", NULL, "18920000000009999");
    assert_str_at(p, "subject", NULL, "Edited by set");
    assert_str_at(p, "cf", "cf_region", "APAC");
    assert_str_at(p, "status", NULL, "Closed");
    assert_null(member(p, "priority"));
    assert_null(member(member(p, "cf"), "cf_plan"));
    assert_str_at(prev, "status", NULL, "Escalated");

    /* a bad path is refused, naming it */
    dmt_resp r =
        trigger(m, "{\"fixture\":\"Ticket_Update/status-closed\",\"set\":{\"cf.\":\"x\"}}");
    const char *msg = dmh_field_error(&r, "/set/cf.", "invalid");
    assert_string_equal(msg, "path \"payload.cf.\" ends with '.'");
    dmt_resp_free(&r);
    r = trigger(m, "{\"fixture\":\"Ticket_Update/status-closed\",\"unset\":[\"noSuchField\"]}");
    msg = dmh_field_error(&r, "/unset/0", "invalid");
    assert_string_equal(msg, "payload.noSuchField: nothing there to remove");
    dmt_resp_free(&r);
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 1);
}

/* Writes <f->dir>/Ticket_Add/email.json: the shipped one with USER_SUBJECT. */
static void write_user_email_fixture(fx *f)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/dm-trigger-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char path[256];
    snprintf(path, sizeof path, "%s/Ticket_Add", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    char *text = dmt_read_file(DM_SOURCE_DIR "/fixtures/events/Ticket_Add/email.json", NULL);
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "payload"),
                                           "subject", cJSON_CreateString(USER_SUBJECT));
    char *out = cJSON_Print(j);
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s/Ticket_Add/email.json", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(out, fp);
    fclose(fp);
    free(out);
}

/* A user folder's Ticket_Add/email overrides the shipped one: it is listed
 * with its path, served, and triggered (by full and by bare name). */
static void user_fixture_folder_overrides_the_shipped_fixture(void **state)
{
    fx *f = *state;
    write_user_email_fixture(f);
    const char *dirs[] = {f->dir, NULL};
    dm_app_opts o = {0};
    o.fixture_dirs = dirs;
    dmt_mock *m = f->m = dmt_mock_start(&o);
    char id[32];
    dmh_create(m, url(f, 0), CORE_SUBS, "", id);

    dmt_resp list = dmt_ctl(m, "GET", "/mock/v1/fixtures", NULL);
    const cJSON *user = dmh_find(dmh_data(&list), "name", "Ticket_Add/email");
    assert_non_null(user);
    assert_non_null(strstr(dmt_str(user, "source"), f->dir));
    dmt_resp_free(&list);
    dmt_resp one = dmt_ctl(m, "GET", "/mock/v1/fixtures/Ticket_Add/email", NULL);
    dmh_status(&one, 200);
    assert_str_at(one.json, "payload", "subject", USER_SUBJECT);
    dmt_resp_free(&one);

    cJSON_Delete(trigger_ok(m, "{\"fixture\":\"Ticket_Add/email\"}", "Ticket_Add"));
    assert_str_at(member(nth_element(f->r[0], 0), "payload"), "subject", NULL, USER_SUBJECT);
    cJSON_Delete(trigger_ok(m, "{\"fixture\":\"email\"}", "Ticket_Add"));
    assert_str_at(member(nth_element(f->r[0], 1), "payload"), "subject", NULL, USER_SUBJECT);
    /* the other shipped Ticket_Add fixture is still there */
    cJSON_Delete(trigger_ok(m, "{\"fixture\":\"Ticket_Add/web\"}", "Ticket_Add"));
    assert_string_not_equal(str_at(member(nth_element(f->r[0], 2), "payload"), "subject", NULL),
                            USER_SUBJECT);
}

/* A bare name several types share is refused, naming the types; one no type
 * has is refused pointing at the listing. */
static void ambiguous_bare_fixture_name_is_refused_naming_the_types(void **state)
{
    fx *f = *state;
    dmt_mock *m = f->m = dmt_mock_start(NULL);
    dmt_resp r = trigger(m, "{\"fixture\":\"renamed-prevstate\"}");
    const char *msg = dmh_field_error(&r, "/fixture", "invalid");
    assert_non_null(strstr(msg, "2 event types"));
    assert_non_null(strstr(msg, "Department_Update"));
    assert_non_null(strstr(msg, "KBRootCategory_Update"));
    assert_non_null(strstr(msg, "<Event_Type>/renamed-prevstate"));
    dmt_resp_free(&r);
    /* many types: as many as fit, then "..." */
    r = trigger(m, "{\"fixture\":\"deleted\"}");
    msg = dmh_field_error(&r, "/fixture", "invalid");
    assert_non_null(strstr(msg, "Account_Delete"));
    assert_non_null(strstr(msg, "<Event_Type>/deleted"));
    dmt_resp_free(&r);
    r = trigger(m, "{\"fixture\":\"no-such-fixture\"}");
    msg = dmh_field_error(&r, "/fixture", "invalid");
    assert_string_equal(msg, "no fixture \"no-such-fixture\"; GET /mock/v1/fixtures lists them");
    dmt_resp_free(&r);
    /* the full name works */
    cJSON_Delete(trigger_ok(m, "{\"fixture\":\"Department_Update/renamed-prevstate\"}",
                            "Department_Update"));
}

/* ==== The CLI ==== */

/* Runs `deskmock trigger --mock=URL Ticket_Update --ticket=401 <set>`. */
static int run_cli(dmt_mock *m, const char *set, char **out)
{
    char mock[200], setarg[200];
    snprintf(mock, sizeof mock, "--mock=%s", m->url);
    snprintf(setarg, sizeof setarg, "--set=%s", set);
    const char *args[] = {"trigger", mock, "Ticket_Update", "--ticket=" DMT_TICKET, setarg, NULL};
    return dmt_run_deskmock(NULL, args, out);
}

/* Every webhook that took the event answered 200: exit 0, and the output
 * names the webhook and says delivered. */
static void cli_exits_0_when_every_webhook_answered_200(void **state)
{
    fx *f = *state;
    dmt_mock *m = f->m = dmt_mock_start(NULL);
    char id[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Update\":null}", "", id);
    char *out = NULL;
    int rc = run_cli(m, "status=Closed", &out);
    if (rc != 0) fail_msg("exit %d: %s", rc, out);
    assert_non_null(strstr(out, "Ticket_Update"));
    assert_non_null(strstr(out, id));
    assert_non_null(strstr(out, "delivered"));
    free(out);
    assert_str_at(member(nth_element(f->r[0], 0), "payload"), "status", NULL, "Closed");
}

/* A webhook answering 500 with no retries left: exit 1. */
static void cli_exits_1_when_a_webhook_did_not_answer_200(void **state)
{
    fx *f = *state;
    static const int64_t none[] = {0};
    dm_app_opts o = {0};
    o.retry_schedule = none;
    o.retry_count = 0;
    dmt_mock *m = f->m = dmt_mock_start(&o);
    char id[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Update\":null}", "", id);
    dmt_recv_set_status(f->r[0], 500);
    char *out = NULL;
    int rc = run_cli(m, "status=Closed", &out);
    if (rc != 1) fail_msg("exit %d: %s", rc, out);
    assert_non_null(strstr(out, id));
    assert_non_null(strstr(out, "500"));
    assert_null(strstr(out, ": delivered"));
    free(out);
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 1);
}

/* No webhook took the event: exit 1 and the "no webhook took" message. */
static void cli_exits_1_when_no_webhook_took_the_event(void **state)
{
    fx *f = *state;
    dmt_mock *m = f->m = dmt_mock_start(NULL);
    char *out = NULL;
    int rc = run_cli(m, "status=Closed", &out);
    if (rc != 1) fail_msg("exit %d: %s", rc, out);
    assert_non_null(strstr(out, "no webhook took Ticket_Update"));
    free(out);
}

/* A --set without PATH=VALUE is bad usage: exit 2, nothing raised. */
static void cli_exits_2_on_a_bad_set(void **state)
{
    fx *f = *state;
    dmt_mock *m = f->m = dmt_mock_start(NULL);
    char id[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Update\":null}", "", id);
    uint64_t s0 = dmh_last_seq(m);
    char *out = NULL;
    assert_int_equal(run_cli(m, "status", &out), 2);
    free(out);
    assert_int_equal(run_cli(m, "=Closed", &out), 2);
    free(out);
    cJSON *evs = dmh_journal(m, "after=%llu&kind=event", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(evs), 0);
    cJSON_Delete(evs);
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 0);
}

/* The same change twice: the second changes nothing, raises nothing, and
 * trigger says why, in words and, with --json, as one JSON document (as it
 * is on an error). */
static void cli_says_why_nothing_was_raised_and_json_stays_json(void **state)
{
    fx *f = *state;
    dmt_mock *m = f->m = dmt_mock_start(NULL);
    char *out = NULL;
    run_cli(m, "status=Closed", &out);
    free(out);
    assert_int_equal(run_cli(m, "status=Closed", &out), 1);
    if (!strstr(out, "nothing changed: the ticket already has status Closed"))
        fail_msg("no reason given: %s", out);
    free(out);
    char mock[200];
    snprintf(mock, sizeof mock, "--mock=%s", m->url);
    const char *again[] = {
        "trigger", mock, "--json", "Ticket_Update", "--ticket=" DMT_TICKET, "--set=status=Closed",
        NULL};
    assert_int_equal(dmt_run_deskmock(NULL, again, &out), 1);
    cJSON *j = cJSON_Parse(out);
    if (!j) fail_msg("--json printed no JSON: %s", out);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "ok")));
    assert_non_null(strstr(dmt_str(j, "reason"), "nothing changed"));
    cJSON_Delete(j);
    free(out);
    const char *refused[] = {
        "trigger", mock, "--json", "Ticket_Update", "--ticket=1", "--set=status=Closed", NULL};
    assert_int_equal(dmt_run_deskmock(NULL, refused, &out), 1);
    j = cJSON_Parse(out);
    if (!j) fail_msg("--json printed no JSON on a refusal: %s", out);
    assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(j, "status")->valuedouble, 422);
    assert_non_null(dmt_str(j, "error"));
    cJSON_Delete(j);
    free(out);
    const char *bad[] = {"trigger", mock, "--json", "--set=oops", "Ticket_Update", NULL};
    assert_int_equal(dmt_run_deskmock(NULL, bad, &out), 2);
    j = cJSON_Parse(out);
    if (!j) fail_msg("--json printed no JSON on bad usage: %s", out);
    assert_non_null(strstr(dmt_str(j, "error"), "--set oops"));
    cJSON_Delete(j);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(ticket_add_by_type_carries_the_set_data),
        T(ticket_update_by_type_carries_the_set_data_and_prev_state),
        T(ticket_thread_add_in_by_type_carries_the_content),
        T(ticket_thread_add_out_by_type_carries_the_content),
        T(ticket_comment_add_and_update_by_type_carry_the_content),
        T(source_id_matching_ignore_source_id_suppresses_that_webhook),
        T(automation_is_delivered_only_to_webhooks_including_automation),
        T(unknown_event_type_is_refused_with_did_you_mean),
        T(unknown_type_by_type_suggests_the_nearest),
        T(every_shipped_fixture_triggers_an_event_of_its_type),
        T(fixture_with_set_and_unset_delivers_the_edited_event),
        T(user_fixture_folder_overrides_the_shipped_fixture),
        T(ambiguous_bare_fixture_name_is_refused_naming_the_types),
        T(cli_exits_0_when_every_webhook_answered_200),
        T(cli_exits_1_when_a_webhook_did_not_answer_200),
        T(cli_exits_1_when_no_webhook_took_the_event),
        T(cli_exits_2_on_a_bad_set),
        T(cli_says_why_nothing_was_raised_and_json_stays_json),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
