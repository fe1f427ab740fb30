/* test_events.c -- change -> event -> per-webhook decision, end to end with a
 * real receiver on loopback: the five core events, the delivery envelope,
 * payloads equal to what GET returns, prevState (full, changed, off), fields,
 * direction, department filters, ignoreSourceId, disabled webhooks,
 * includeEventsFrom and delete payloads. Delivery mechanics (statuses,
 * retries, batching, faults) are test_delivery.c's. */
#include "hooks.h"

#include "desk/store.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>

#define T401    "/api/v1/tickets/" DMT_TICKET
#define T402_ID "18920000000000402"
#define REPLY_BODY                                                                                 \
    "{\"channel\":\"EMAIL\",\"to\":\"maria.lopez@example.com\","                                   \
    "\"fromEmailAddress\":\"support@zylker.zohodesk.com\","                                        \
    "\"content\":\"<div>We are on it.</div>\",\"contentType\":\"html\"}"

typedef struct fx {
    dmt_mock *m;
    int running; /* m's loop thread was started */
    dmt_recv *r[3];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (int i = 0; i < 3; i++)
        f->r[i] = dmt_recv_start();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->m && f->running) {
        dmt_mock_stop(f->m);
    } else if (f->m) {
        dm_app_free(f->m->app);
        free(f->m);
    }
    for (int i = 0; i < 3; i++)
        dmt_recv_stop(f->r[i]);
    free(f);
    return 0;
}

/* Starts the fixture's mock: virtual clock at DMH_T0, prevState mode changed
 * when asked. */
static dmt_mock *start(fx *f, int prev_state_changed)
{
    dm_app_opts o = dmh_virtual_opts();
    o.prev_state_changed = prev_state_changed;
    f->m = dmt_mock_start(&o);
    f->running = 1;
    return f->m;
}

/* ==== Helpers ==== */

static const char *url(fx *f, int i)
{
    return dmt_recv_url(f->r[i]);
}

/* A Desk API write as the admin, asserting 200; the parsed body (owned). */
static cJSON *write_json(dmt_mock *m, const char *method, const char *path, const char *body,
                         const char *source_id)
{
    char h[200];
    snprintf(h, sizeof h, "sourceId: %s", source_id ? source_id : "");
    const char *extra[] = {h, NULL};
    dmt_resp r = dmt_api_h(m, method, path, DMT_ADMIN, body, source_id ? extra : NULL);
    dmh_status(&r, 200);
    return dmh_take(&r);
}

static void patch_ticket(dmt_mock *m, const char *body, const char *source_id)
{
    cJSON_Delete(write_json(m, "PATCH", T401, body, source_id));
}

static void assert_json_equal(const cJSON *got, const cJSON *want)
{
    if (!cJSON_Compare(got, want, 1)) {
        char *g = cJSON_PrintUnformatted(got), *w = cJSON_PrintUnformatted(want);
        fail_msg("JSON differs:\n got  %s\n want %s", g, w);
    }
}

/* The i-th POST at receiver r: waits for it; returns its only element. */
static const cJSON *nth_element(dmt_recv *r, size_t i)
{
    if (dmt_recv_wait(r, "POST", i + 1, 5000) < i + 1) fail_msg("POST #%zu never arrived", i + 1);
    return dmh_only_element(dmt_recv_hit(r, "POST", i));
}

/* Waits for the fate of event ev at webhook id; returns the reason (owned)
 * when Desk's rules withheld it, NULL when it was delivered. */
static char *fate_reason(dmt_mock *m, uint64_t ev, const char *id)
{
    uint64_t after = ev;
    for (int idle = 0; idle < 2;) {
        cJSON *fates = dmh_journal(m, "after=%llu&kind=fate&wait=5000&limit=100000",
                                   (unsigned long long)after);
        if (!cJSON_GetArraySize(fates)) idle++;
        const cJSON *x;
        cJSON_ArrayForEach(x, fates) {
            after = dmh_u64(x, "seq");
            if (dmh_u64(x, "event") != ev || strcmp(dmt_str(x, "webhookId"), id) != 0) continue;
            const char *fate = dmt_str(x, "fate");
            char *out = NULL;
            if (strcmp(fate, "withheld") == 0)
                out = strdup(dmt_str(x, "reason"));
            else if (strcmp(fate, "delivered") != 0)
                fail_msg("unexpected fate %s", fate);
            cJSON_Delete(fates);
            return out;
        }
        cJSON_Delete(fates);
    }
    fail_msg("no fate for event %llu at webhook %s", (unsigned long long)ev, id);
    return NULL;
}

/* Seq of the only event raised after `after`. */
static uint64_t event_after(dmt_mock *m, uint64_t after)
{
    cJSON *ev = dmh_one_event(m, after);
    uint64_t seq = dmh_u64(ev, "seq");
    cJSON_Delete(ev);
    return seq;
}

/* PATCHes the ticket (patch_ticket); the seq of the one event it raised. */
static uint64_t patch_event(dmt_mock *m, const char *body, const char *source_id)
{
    uint64_t before = dmh_last_seq(m);
    patch_ticket(m, body, source_id);
    return event_after(m, before);
}

static int digits_only(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

/* ==== The envelope and the five core events ==== */

/* Ticket_Add: one POST, JSON array of one {eventType, orgId, eventTime, payload}
 * with the ticket exactly as GET returns it and no prevState. */
static void ticket_add_posts_envelope_with_payload_equal_to_get(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, 0);
    char id[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Add\":null}", "", id);
    cJSON *t = write_json(m, "POST", "/api/v1/tickets",
                          "{\"subject\":\"Printer on fire\",\"departmentId\":\"" DMT_DEPT_SUPPORT
                          "\",\"contactId\":\"" DMT_CONTACT "\"}",
                          NULL);
    const cJSON *el = nth_element(f->r[0], 0);
    const dmt_hit *h = dmt_recv_hit(f->r[0], "POST", 0);
    assert_string_equal(h->method, "POST");
    assert_non_null(h->content_type);
    assert_string_equal(h->content_type, "application/json");
    assert_int_equal(cJSON_GetArraySize(el), 4); /* nothing but the four members */
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Add");
    assert_string_equal(dmt_str(el, "orgId"), DMT_ORG);
    assert_true(digits_only(dmt_str(el, "eventTime")));
    assert_string_equal(dmt_str(el, "eventTime"), DMH_T0_STR); /* the mock's (virtual) now */
    assert_null(cJSON_GetObjectItemCaseSensitive(el, "prevState"));
    char path[128];
    snprintf(path, sizeof path, "/api/v1/tickets/%s", dmt_str(t, "id"));
    cJSON *now = dmh_get_json(m, path);
    assert_json_equal(cJSON_GetObjectItemCaseSensitive(el, "payload"), now);
    cJSON_Delete(now);
    cJSON_Delete(t);
}

/* The five core events, one after another, each arrive with the resource as
 * GET returns it at that moment. */
static void five_core_events_carry_the_resource_as_get_returns_it(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, 0);
    char id[32];
    dmh_create(m, url(f, 0),
               "{\"Ticket_Add\":null,\"Ticket_Update\":{},\"Ticket_Thread_Add\":null,"
               "\"Ticket_Comment_Add\":null,\"Ticket_Comment_Update\":null}",
               "", id);
    char path[256];

    cJSON *t = write_json(m, "POST", "/api/v1/tickets",
                          "{\"subject\":\"Login loop\",\"departmentId\":\"" DMT_DEPT_SUPPORT
                          "\",\"contactId\":\"" DMT_CONTACT "\"}",
                          NULL);
    char tid[32];
    snprintf(tid, sizeof tid, "%s", dmt_str(t, "id"));
    cJSON_Delete(t);
    const cJSON *el = nth_element(f->r[0], 0);
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Add");
    snprintf(path, sizeof path, "/api/v1/tickets/%s", tid);
    cJSON *now = dmh_get_json(m, path);
    assert_json_equal(cJSON_GetObjectItemCaseSensitive(el, "payload"), now);
    cJSON_Delete(now);

    cJSON_Delete(write_json(m, "PATCH", path, "{\"priority\":\"Urgent\"}", NULL));
    el = nth_element(f->r[0], 1);
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Update");
    now = dmh_get_json(m, path);
    assert_json_equal(cJSON_GetObjectItemCaseSensitive(el, "payload"), now);
    assert_string_equal(dmt_str(cJSON_GetObjectItemCaseSensitive(el, "payload"), "priority"),
                        "Urgent");
    cJSON_Delete(now);

    snprintf(path, sizeof path, "/api/v1/tickets/%s/sendReply", tid);
    cJSON *th = write_json(m, "POST", path, REPLY_BODY, NULL);
    el = nth_element(f->r[0], 2);
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Thread_Add");
    snprintf(path, sizeof path, "/api/v1/tickets/%s/threads/%s", tid, dmt_str(th, "id"));
    now = dmh_get_json(m, path);
    assert_json_equal(cJSON_GetObjectItemCaseSensitive(el, "payload"), now);
    cJSON_Delete(now);
    cJSON_Delete(th);

    snprintf(path, sizeof path, "/api/v1/tickets/%s/comments", tid);
    cJSON *c =
        write_json(m, "POST", path, "{\"content\":\"Checked the logs.\",\"isPublic\":false}", NULL);
    el = nth_element(f->r[0], 3);
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Comment_Add");
    snprintf(path, sizeof path, "/api/v1/tickets/%s/comments/%s", tid, dmt_str(c, "id"));
    now = dmh_get_json(m, path);
    assert_json_equal(cJSON_GetObjectItemCaseSensitive(el, "payload"), now);
    cJSON_Delete(now);

    cJSON_Delete(write_json(m, "PATCH", path, "{\"content\":\"Checked the logs twice.\"}", NULL));
    el = nth_element(f->r[0], 4);
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Comment_Update");
    now = dmh_get_json(m, path);
    assert_json_equal(cJSON_GetObjectItemCaseSensitive(el, "payload"), now);
    assert_string_equal(dmt_str(cJSON_GetObjectItemCaseSensitive(el, "payload"), "content"),
                        "Checked the logs twice.");
    assert_null(cJSON_GetObjectItemCaseSensitive(el, "prevState"));
    cJSON_Delete(now);
    cJSON_Delete(c);
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 5);
}

/* ==== prevState ==== */

/* includePrevState true, --prev-state full: prevState is the whole ticket as
 * GET returned it before the change. */
static void update_with_prevstate_full_carries_the_whole_previous_ticket(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, 0);
    char id[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Update\":{\"includePrevState\":true}}", "", id);
    cJSON *before = dmh_get_json(m, T401);
    patch_ticket(m, "{\"subject\":\"Still cannot sign in\",\"priority\":\"Urgent\"}", NULL);
    const cJSON *el = nth_element(f->r[0], 0);
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Update");
    assert_int_equal(cJSON_GetArraySize(el), 5);
    assert_json_equal(cJSON_GetObjectItemCaseSensitive(el, "prevState"), before);
    cJSON *after = dmh_get_json(m, T401);
    assert_json_equal(cJSON_GetObjectItemCaseSensitive(el, "payload"), after);
    cJSON_Delete(before);
    cJSON_Delete(after);
}

/* includePrevState false, or not given: no prevState member at all, while a
 * webhook that asked for it gets one for the same event. */
static void update_without_prevstate_subscription_omits_prevState(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, 0);
    char with[32], off[32], absent[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Update\":{\"includePrevState\":true}}", "", with);
    dmh_create(m, url(f, 1), "{\"Ticket_Update\":{\"includePrevState\":false}}", "", off);
    dmh_create(m, url(f, 2), "{\"Ticket_Update\":null}", "", absent);
    uint64_t seq = dmh_last_seq(m);
    patch_ticket(m, "{\"priority\":\"Low\"}", NULL);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(nth_element(f->r[0], 0), "prevState"));
    assert_null(cJSON_GetObjectItemCaseSensitive(nth_element(f->r[1], 0), "prevState"));
    assert_null(cJSON_GetObjectItemCaseSensitive(nth_element(f->r[2], 0), "prevState"));
    /* the event record says which webhooks got prevState */
    cJSON *ev = dmh_one_event(m, seq);
    const cJSON *hooks = cJSON_GetObjectItemCaseSensitive(ev, "webhooks");
    assert_true(cJSON_IsTrue(
        cJSON_GetObjectItemCaseSensitive(dmh_find(hooks, "webhookId", with), "prevState")));
    assert_true(cJSON_IsFalse(
        cJSON_GetObjectItemCaseSensitive(dmh_find(hooks, "webhookId", off), "prevState")));
    assert_true(cJSON_IsFalse(
        cJSON_GetObjectItemCaseSensitive(dmh_find(hooks, "webhookId", absent), "prevState")));
    cJSON_Delete(ev);
}

/* --prev-state changed: prevState is the id plus the old values of what
 * changed; a custom field change carries only its cf_ key under cf. */
static void update_with_prevstate_changed_carries_only_old_values_of_changed_fields(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, 1);
    char id[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Update\":{\"includePrevState\":true}}", "", id);
    cJSON *before = dmh_get_json(m, T401);
    patch_ticket(m, "{\"subject\":\"Locked out again\",\"cf\":{\"cf_plan\":\"Enterprise\"}}", NULL);
    const cJSON *el = nth_element(f->r[0], 0);
    cJSON *want = cJSON_CreateObject();
    cJSON_AddStringToObject(want, "id", DMT_TICKET);
    cJSON_AddStringToObject(want, "subject", dmt_str(before, "subject"));
    cJSON *cf = cJSON_AddObjectToObject(want, "cf");
    cJSON_AddStringToObject(cf, "cf_plan", "Pro");
    /* customFields mirrors cf, so it changed too: its whole old value */
    cJSON_AddItemToObject(
        want, "customFields",
        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(before, "customFields"), 1));
    assert_json_equal(cJSON_GetObjectItemCaseSensitive(el, "prevState"), want);
    cJSON *after = dmh_get_json(m, T401);
    assert_json_equal(cJSON_GetObjectItemCaseSensitive(el, "payload"), after);
    cJSON_Delete(want);
    cJSON_Delete(before);
    cJSON_Delete(after);
}

/* ==== fields and direction ==== */

/* fields ["status","cf_plan"]: a subject change is dropped (with the reason
 * journaled), status and cf_plan changes are delivered; a webhook without
 * fields gets all three. */
static void fields_raise_update_only_when_a_listed_field_changed(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, 0);
    char picky[32], all[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Update\":{\"fields\":[\"status\",\"cf_plan\"]}}", "",
               picky);
    dmh_create(m, url(f, 1), "{\"Ticket_Update\":{}}", "", all);

    uint64_t e1 = patch_event(m, "{\"subject\":\"Only the subject\"}", NULL);
    char *why = fate_reason(m, e1, picky);
    assert_non_null(why);
    assert_string_equal(why, "none of the subscription's fields changed");
    free(why);
    assert_null(fate_reason(m, e1, all));

    uint64_t e2 = patch_event(m, "{\"status\":\"On Hold\"}", NULL);
    assert_null(fate_reason(m, e2, picky));

    uint64_t e3 = patch_event(m, "{\"cf\":{\"cf_plan\":\"Basic\"}}", NULL);
    assert_null(fate_reason(m, e3, picky));
    assert_null(fate_reason(m, e3, all));

    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 2);
    assert_int_equal(dmt_recv_count(f->r[1], "POST"), 3);
    assert_string_equal(
        dmt_str(cJSON_GetObjectItemCaseSensitive(nth_element(f->r[0], 0), "payload"), "status"),
        "On Hold");
}

/* An outgoing reply reaches direction "out" and no-direction webhooks; a
 * direction "in" webhook drops it. */
static void direction_filters_thread_events(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, 0);
    char out[32], in[32], both[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Thread_Add\":{\"direction\":\"out\"}}", "", out);
    dmh_create(m, url(f, 1), "{\"Ticket_Thread_Add\":{\"direction\":\"in\"}}", "", in);
    dmh_create(m, url(f, 2), "{\"Ticket_Thread_Add\":null}", "", both);
    uint64_t s0 = dmh_last_seq(m);
    cJSON_Delete(write_json(m, "POST", T401 "/sendReply", REPLY_BODY, NULL));
    uint64_t ev = event_after(m, s0);
    assert_null(fate_reason(m, ev, out));
    assert_null(fate_reason(m, ev, both));
    char *why = fate_reason(m, ev, in);
    assert_non_null(why);
    assert_string_equal(why, "thread direction not subscribed");
    free(why);
    assert_string_equal(
        dmt_str(cJSON_GetObjectItemCaseSensitive(nth_element(f->r[0], 0), "payload"), "direction"),
        "out");
    assert_int_equal(dmt_recv_count(f->r[1], "POST"), 0);
    assert_int_equal(dmt_recv_count(f->r[2], "POST"), 1);
}

/* ==== Departments ==== */

/* departmentIds [Billing]: a ticket added in Support and a comment on a
 * Support ticket are dropped ("department not chosen"); the same in Billing
 * are delivered. */
static void department_filter_delivers_only_chosen_departments(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, 0);
    char id[32];
    dmh_create(m, url(f, 0),
               "{\"Ticket_Add\":{\"departmentIds\":[\"" DMT_DEPT_BILLING "\"]},"
               "\"Ticket_Comment_Add\":{\"departmentIds\":[\"" DMT_DEPT_BILLING "\"]}}",
               "", id);
    uint64_t s0 = dmh_last_seq(m);
    cJSON_Delete(write_json(m, "POST", "/api/v1/tickets",
                            "{\"subject\":\"In Support\",\"departmentId\":\"" DMT_DEPT_SUPPORT
                            "\",\"contactId\":\"" DMT_CONTACT "\"}",
                            NULL));
    char *why = fate_reason(m, event_after(m, s0), id);
    assert_non_null(why);
    assert_string_equal(why, "department not chosen");
    free(why);

    uint64_t s1 = dmh_last_seq(m);
    cJSON_Delete(
        write_json(m, "POST", T401 "/comments", "{\"content\":\"Support-side note\"}", NULL));
    why = fate_reason(m, event_after(m, s1), id);
    assert_non_null(why);
    free(why);

    uint64_t s2 = dmh_last_seq(m);
    cJSON_Delete(write_json(m, "POST", "/api/v1/tickets",
                            "{\"subject\":\"In Billing\",\"departmentId\":\"" DMT_DEPT_BILLING
                            "\",\"contactId\":\"" DMT_CONTACT "\"}",
                            NULL));
    assert_null(fate_reason(m, event_after(m, s2), id));

    uint64_t s3 = dmh_last_seq(m);
    cJSON_Delete(write_json(m, "POST", "/api/v1/tickets/" T402_ID "/comments",
                            "{\"content\":\"Billing-side note\"}", NULL));
    assert_null(fate_reason(m, event_after(m, s3), id));

    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 2);
    assert_string_equal(dmt_str(nth_element(f->r[0], 0), "eventType"), "Ticket_Add");
    assert_string_equal(dmt_str(nth_element(f->r[0], 1), "eventType"), "Ticket_Comment_Add");
}

/* The documented choice: moving a ticket OUT of a chosen department is itself
 * delivered (it was in the department); later changes to it are not; moving
 * it back IN is delivered again. */
static void ticket_moved_out_of_chosen_department_delivers_the_move_not_later_changes(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, 0);
    char id[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Update\":{\"departmentIds\":[\"" DMT_DEPT_SUPPORT "\"]}}",
               "", id);
    uint64_t ev = patch_event(m, "{\"departmentId\":\"" DMT_DEPT_BILLING "\"}", NULL);
    assert_null(fate_reason(m, ev, id));
    const cJSON *el = nth_element(f->r[0], 0);
    assert_string_equal(dmt_str(cJSON_GetObjectItemCaseSensitive(el, "payload"), "departmentId"),
                        DMT_DEPT_BILLING);

    char *why = fate_reason(m, patch_event(m, "{\"subject\":\"Now a Billing matter\"}", NULL), id);
    assert_non_null(why);
    assert_string_equal(why, "department not chosen");
    free(why);

    ev = patch_event(m, "{\"departmentId\":\"" DMT_DEPT_SUPPORT "\"}", NULL);
    assert_null(fate_reason(m, ev, id));
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 2);
}

/* ==== ignoreSourceId, disabled webhooks ==== */

/* A write with sourceId equal to A's ignoreSourceId is dropped for A and
 * delivered to B (whose ignoreSourceId differs); a write without the header
 * reaches both. */
static void ignore_source_id_suppresses_one_webhook_and_not_another(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, 0);
    char a[32], b[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Update\":null}", ",\"ignoreSourceId\":\"" DMH_UUID_A "\"",
               a);
    dmh_create(m, url(f, 1), "{\"Ticket_Update\":null}", ",\"ignoreSourceId\":\"" DMH_UUID_B "\"",
               b);
    uint64_t s0 = dmh_last_seq(m);
    patch_ticket(m, "{\"priority\":\"Low\"}", DMH_UUID_A);
    uint64_t ev = event_after(m, s0);
    char *why = fate_reason(m, ev, a);
    assert_non_null(why);
    assert_string_equal(why, "sourceId equals the webhook's ignoreSourceId");
    free(why);
    assert_null(fate_reason(m, ev, b));
    /* the event record keeps the sourceId it was made with */
    cJSON *rec = dmh_one_event(m, s0);
    assert_string_equal(dmt_str(rec, "sourceId"), DMH_UUID_A);
    cJSON_Delete(rec);

    ev = patch_event(m, "{\"priority\":\"Medium\"}", NULL);
    assert_null(fate_reason(m, ev, a));
    assert_null(fate_reason(m, ev, b));
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 1);
    assert_int_equal(dmt_recv_count(f->r[1], "POST"), 2);
    assert_string_equal(
        dmt_str(cJSON_GetObjectItemCaseSensitive(nth_element(f->r[0], 0), "payload"), "priority"),
        "Medium");
}

/* isEnabled false: events are dropped with "webhook disabled"; once enabled
 * again by PATCH, the next event is delivered. */
static void disabled_webhook_drops_events_until_enabled(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, 0);
    char id[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Update\":null}", ",\"isEnabled\":false", id);
    char *why = fate_reason(m, patch_event(m, "{\"priority\":\"Low\"}", NULL), id);
    assert_non_null(why);
    assert_string_equal(why, "webhook disabled");
    free(why);

    char path[96];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s", id);
    dmt_resp r = dmt_api(m, "PATCH", path, DMT_ADMIN, "{\"isEnabled\":true}");
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    assert_null(fate_reason(m, patch_event(m, "{\"priority\":\"High\"}", NULL), id));
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 1);
}

/* A webhook not subscribed to the event's type is not part of the event at
 * all: no fate, nothing posted. */
static void unsubscribed_type_is_neither_delivered_nor_dropped(void **state)
{
    fx *f = *state;
    dmt_mock *m = start(f, 0);
    char adds[32], updates[32];
    dmh_create(m, url(f, 0), "{\"Ticket_Add\":null}", "", adds);
    dmh_create(m, url(f, 1), "{\"Ticket_Update\":null}", "", updates);
    uint64_t s0 = dmh_last_seq(m);
    patch_ticket(m, "{\"priority\":\"Low\"}", NULL);
    uint64_t ev = event_after(m, s0);
    assert_null(fate_reason(m, ev, updates));
    cJSON *rec = dmh_one_event(m, s0);
    const cJSON *hooks = cJSON_GetObjectItemCaseSensitive(rec, "webhooks");
    assert_int_equal(cJSON_GetArraySize(hooks), 1);
    assert_null(dmh_find(hooks, "webhookId", adds));
    cJSON_Delete(rec);
    cJSON *fates = dmh_journal(m, "after=%llu&kind=fate", (unsigned long long)ev);
    assert_int_equal(cJSON_GetArraySize(fates), 1);
    cJSON_Delete(fates);
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 0);
}

/* ==== Changes no API request can make yet (automation, deletes) ==== */

/* No API deletes a ticket and nothing runs automations yet, so these tests
 * build the mock, set it up and raise the change in-process before its loop
 * thread starts (the test thread is then the only one touching it), and let
 * the loop deliver to the real receivers. */
static void *run_loop(void *app)
{
    dm_app_run(app);
    return NULL;
}

static dmt_mock *paused(fx *f)
{
    dm_app_opts o = dmh_virtual_opts();
    char err[256];
    f->m = calloc(1, sizeof *f->m);
    assert_non_null(f->m);
    f->m->app = dm_app_new(&o, err, sizeof err);
    if (!f->m->app) fail_msg("dm_app_new: %s", err);
    if (dm_app_listen(f->m->app, err, sizeof err)) fail_msg("dm_app_listen: %s", err);
    snprintf(f->m->url, sizeof f->m->url, "%s", dm_app_url(f->m->app));
    return f->m;
}

static void resume(fx *f)
{
    assert_int_equal(pthread_create(&f->m->thread, NULL, run_loop, f->m->app), 0);
    f->running = 1;
}

/* POST /api/v1/webhooks dispatched in-process (no transport: no URL check). */
static void inproc_webhook(dm_app *app, const char *url, const char *subs, const char *extra,
                           char id[32])
{
    char body[2048];
    snprintf(body, sizeof body, "{\"name\":\"hook\",\"url\":\"%s\",\"subscriptions\":%s%s}", url,
             subs, extra);
    dm_req req = {0};
    req.method = "POST";
    req.path = "/api/v1/webhooks";
    req.body = body;
    req.body_len = strlen(body);
    dm_kvs_add(&req.headers, "Authorization", "Zoho-oauthtoken " DMT_ADMIN);
    dm_kvs_add(&req.headers, "orgId", DMT_ORG);
    dm_kvs_add(&req.headers, "Content-Type", "application/json");
    dm_resp resp;
    dm_resp_init(&resp);
    dm_app_dispatch(app, &req, &resp);
    if (resp.status != 200) fail_msg("in-process create: %d %s", resp.status, resp.body.data);
    cJSON *o = cJSON_Parse(resp.body.data);
    snprintf(id, 32, "%s", dmt_str(o, "id"));
    cJSON_Delete(o);
    dm_kvs_free(&req.headers);
    dm_resp_free(&resp);
}

/* A change made by automation reaches only the webhook with
 * includeEventsFrom ["AUTOMATION"]; the other drops it with the reason. */
static void automation_change_reaches_only_webhooks_including_automation(void **state)
{
    fx *f = *state;
    dmt_mock *m = paused(f);
    dm_app *app = m->app;
    char plain[32], autom[32];
    inproc_webhook(app, url(f, 0), "{\"Ticket_Update\":null}", "", plain);
    inproc_webhook(app, url(f, 1), "{\"Ticket_Update\":null}",
                   ",\"includeEventsFrom\":[\"AUTOMATION\"]", autom);
    uint64_t s0 = dm_journal_last_seq(dm_app_journal(app));
    dm_ticket *t = dm_store_ticket(dm_app_store(app), DMT_TICKET);
    assert_non_null(t);
    cJSON *before = cJSON_Duplicate(t->obj, 1);
    cJSON_ReplaceItemInObjectCaseSensitive(t->obj, "priority", cJSON_CreateString("Low"));
    dm_origin rule = {0, NULL, 1, NULL}; /* a supervisor rule: automation, no actor */
    dm_store_emit(dm_app_store(app), "ticket", "update", DMT_TICKET, NULL, before, t->obj, &rule);
    cJSON_Delete(before);
    resume(f);

    uint64_t ev = event_after(m, s0);
    char *why = fate_reason(m, ev, plain);
    assert_non_null(why);
    assert_string_equal(why, "made by automation; webhook lacks includeEventsFrom AUTOMATION");
    free(why);
    assert_null(fate_reason(m, ev, autom));
    const cJSON *el = nth_element(f->r[1], 0);
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Update");
    assert_string_equal(dmt_str(cJSON_GetObjectItemCaseSensitive(el, "payload"), "priority"),
                        "Low");
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 0);
}

/* Ticket_Delete's payload carries only {"id"}. */
static void delete_event_payload_carries_only_the_id(void **state)
{
    fx *f = *state;
    dmt_mock *m = paused(f);
    dm_app *app = m->app;
    char id[32];
    inproc_webhook(app, url(f, 0), "{\"Ticket_Delete\":null}", "", id);
    dm_ticket *t = dm_store_ticket(dm_app_store(app), DMT_TICKET);
    assert_non_null(t);
    dm_origin who = {0, NULL, 0, "18920000000000201"};
    dm_store_emit(dm_app_store(app), "ticket", "delete", DMT_TICKET, NULL, t->obj, NULL, &who);
    resume(f);

    const cJSON *el = nth_element(f->r[0], 0);
    assert_string_equal(dmt_str(el, "eventType"), "Ticket_Delete");
    assert_string_equal(dmt_str(el, "orgId"), DMT_ORG);
    assert_string_equal(dmt_str(el, "eventTime"), DMH_T0_STR);
    cJSON *want = cJSON_CreateObject();
    cJSON_AddStringToObject(want, "id", DMT_TICKET);
    assert_json_equal(cJSON_GetObjectItemCaseSensitive(el, "payload"), want);
    assert_null(cJSON_GetObjectItemCaseSensitive(el, "prevState"));
    cJSON_Delete(want);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(ticket_add_posts_envelope_with_payload_equal_to_get),
        T(five_core_events_carry_the_resource_as_get_returns_it),
        T(update_with_prevstate_full_carries_the_whole_previous_ticket),
        T(update_without_prevstate_subscription_omits_prevState),
        T(update_with_prevstate_changed_carries_only_old_values_of_changed_fields),
        T(fields_raise_update_only_when_a_listed_field_changed),
        T(direction_filters_thread_events),
        T(department_filter_delivers_only_chosen_departments),
        T(ticket_moved_out_of_chosen_department_delivers_the_move_not_later_changes),
        T(ignore_source_id_suppresses_one_webhook_and_not_another),
        T(disabled_webhook_drops_events_until_enabled),
        T(unsubscribed_type_is_neither_delivered_nor_dropped),
        T(automation_change_reaches_only_webhooks_including_automation),
        T(delete_event_payload_carries_only_the_id),
    };
#undef T
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
