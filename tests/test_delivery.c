/* test_delivery.c -- the delivery engine against real receivers on loopback:
 * only 200 delivers (201, 500, a timeout fail; 410 deletes the webhook), the
 * retry ladder in virtual time, one request in flight per webhook with order
 * kept, batching, faults, the per-event story, and a load of 10,000 events to
 * 10 webhooks with every event's fate accounted for. */
#include "hooks.h"

#include "delivery/delivery.h"
#include "hooks/hooks.h"
#include "loop/loop.h"
#include "net/outbound.h"
#include "util/clock.h"

#include <curl/curl.h>
#include <pthread.h>

#define T401  "/api/v1/tickets/" DMT_TICKET
#define NRECV 2
#define NEW_CONTACT_TICKET                                                                         \
    "{\"subject\":\"First contact\",\"departmentId\":\"" DMT_DEPT_SUPPORT "\","                    \
    "\"contact\":{\"lastName\":\"Novak\",\"email\":\"ana.novak@example.com\"}}"

/* ==== A receiver that keeps counts, not bodies ==== */

/* The shared receiver counting only (the load test's receivers would
 * otherwise hold every body they were sent), answering POSTs with scripted
 * statuses after a delay, with a hook that counts the events it accepted
 * (200) and whether their payloads came in order (subject or content
 * "<prefix><n>" for n = 0, 1, ...). Requests in flight at once and POSTs are
 * the receiver's own counts. */
typedef struct tally {
    dmt_recv *r;
    pthread_mutex_t mu;
    int max_inflight, posts; /* filled in by tally_snapshot */
    long events, next;       /* next: the n expected next; -1 once out of order */
    const char *order_key;
} tally;

/* Checks one POST's events against the expected order; under t->mu. */
static void tally_events(tally *t, const cJSON *batch)
{
    const cJSON *el;
    cJSON_ArrayForEach(el, batch) {
        t->events++;
        const char *v = dmt_str(cJSON_GetObjectItemCaseSensitive(el, "payload"), t->order_key);
        char want[32];
        snprintf(want, sizeof want, "v%ld", t->next);
        if (t->next >= 0) t->next = v && strcmp(v, want) == 0 ? t->next + 1 : -1;
    }
}

static int tally_hook(void *ud, const dmt_hit *h, int status)
{
    tally *t = ud;
    if (strcmp(h->method, "POST") != 0 || status != 200) return status;
    cJSON *j = cJSON_ParseWithLength(h->body, h->len);
    pthread_mutex_lock(&t->mu);
    tally_events(t, j);
    pthread_mutex_unlock(&t->mu);
    cJSON_Delete(j);
    return status;
}

/* A tally answering 200; order_key names the payload member whose values
 * must run v0, v1, ... ("subject" or "content"). */
static tally *tally_start(const char *order_key)
{
    tally *t = calloc(1, sizeof *t);
    assert_non_null(t);
    pthread_mutex_init(&t->mu, NULL);
    t->order_key = order_key;
    dmt_recv_opts o = {.count_only = 1, .answer = "", .hook = tally_hook, .hook_ud = t};
    t->r = dmt_recv_start_with(&o);
    return t;
}

/* Sets the answers (before any POST arrives): the script, then status. */
static void tally_answers(tally *t, const int *script, int n, int status)
{
    dmt_recv_script(t->r, script, (size_t)n);
    dmt_recv_set_status(t->r, status);
}

/* Waits (real time, at most 10 s) for n POSTs; returns how many came. */
static int tally_wait(tally *t, int n)
{
    return (int)dmt_recv_wait(t->r, "POST", (size_t)n, 10000);
}

/* A consistent copy of t's counts. */
static tally tally_snapshot(tally *t)
{
    pthread_mutex_lock(&t->mu);
    tally copy = *t;
    pthread_mutex_unlock(&t->mu);
    copy.posts = (int)dmt_recv_count(t->r, "POST");
    copy.max_inflight = dmt_recv_max_inflight(t->r);
    return copy;
}

static void tally_stop(tally *t)
{
    if (!t) return;
    dmt_recv_stop(t->r);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* ==== Fixture ==== */

typedef struct ledger ledger;
static void ledger_free(ledger *l);

typedef struct fx {
    dmt_mock *m;
    dmt_recv *r[NRECV];
    tally *t[10];
    ledger *l;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (int i = 0; i < NRECV; i++)
        f->r[i] = dmt_recv_start();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dmt_mock_stop(f->m);
    for (int i = 0; i < NRECV; i++)
        dmt_recv_stop(f->r[i]);
    for (int i = 0; i < 10; i++)
        tally_stop(f->t[i]);
    ledger_free(f->l);
    free(f);
    return 0;
}

/* ==== Helpers ==== */

static void patch_ticket(dmt_mock *m, const char *body)
{
    dmt_resp r = dmt_api(m, "PATCH", T401, DMT_ADMIN, body);
    dmh_status(&r, 200);
    dmt_resp_free(&r);
}

static void post_new_contact_ticket(dmt_mock *m)
{
    dmt_resp r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN, NEW_CONTACT_TICKET);
    dmh_status(&r, 200);
    dmt_resp_free(&r);
}

static int64_t record_ms(const cJSON *rec)
{
    int64_t ms = 0;
    assert_int_equal(dm_iso_parse(dmt_str(rec, "time"), &ms), 0);
    return ms;
}

static uint64_t seq_of(const cJSON *rec)
{
    return dmh_u64(rec, "seq");
}

/* Event seqs raised after `after`, in order (at most 16). */
static int events_after(dmt_mock *m, uint64_t after, uint64_t *out, int max)
{
    cJSON *evs = dmh_journal(m, "after=%llu&kind=event", (unsigned long long)after);
    int n = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, evs)
        if (n < max) out[n++] = seq_of(x);
    cJSON_Delete(evs);
    return n;
}

static const char *payload_str(const cJSON *el, const char *key)
{
    return dmt_str(cJSON_GetObjectItemCaseSensitive(el, "payload"), key);
}

/* ==== Status handling and retries ==== */

/* 201 and 500 are failed attempts, retried on the schedule (virtual time:
 * exactly 1 s, then 2 s later); the 200 that follows delivers. The same body
 * is sent each time. */
static void only_200_delivers_201_and_500_are_retried(void **state)
{
    fx *f = *state;
    static const int64_t ladder[] = {1000, 2000, 4000};
    dm_app_opts o = dmh_virtual_opts();
    o.retry_schedule = ladder;
    o.retry_count = 3;
    dmt_mock *m = f->m = dmt_mock_start(&o);
    char id[32];
    dmh_create(m, dmt_recv_url(f->r[0]), "{\"Ticket_Update\":null}", "", id);
    static const int script[] = {201, 500, 200};
    dmt_recv_script(f->r[0], script, 3);
    uint64_t s0 = dmh_last_seq(m);
    patch_ticket(m, "{\"priority\":\"Low\"}");

    cJSON *fates = dmh_wait_fates(m, s0, 1);
    const cJSON *fate = cJSON_GetArrayItem(fates, 0);
    assert_string_equal(dmt_str(fate, "fate"), "delivered");
    assert_int_equal(dmh_u64(fate, "attempts"), 3);
    cJSON *att = dmh_journal(m, "after=%llu&kind=attempt", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(att), 3);
    static const int want_status[] = {201, 500, 200};
    static const char *const want_outcome[] = {"failed", "failed", "delivered"};
    static const int64_t want_at[] = {0, 1000, 3000};
    for (int i = 0; i < 3; i++) {
        const cJSON *a = cJSON_GetArrayItem(att, i);
        assert_int_equal(dmh_u64(a, "attempt"), i + 1);
        assert_int_equal(dmh_u64(a, "status"), want_status[i]);
        assert_string_equal(dmt_str(a, "outcome"), want_outcome[i]);
        assert_string_equal(dmt_str(a, "webhookId"), id);
        assert_int_equal(record_ms(a), DMH_T0 + want_at[i]);
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(a, "nextRetryMs");
        if (i < 2)
            assert_int_equal((int64_t)next->valuedouble, ladder[i]);
        else
            assert_null(next);
    }
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 3);
    const char *first = dmt_recv_hit(f->r[0], "POST", 0)->body;
    for (size_t i = 1; i < 3; i++)
        assert_string_equal(dmt_recv_hit(f->r[0], "POST", i)->body, first);
    cJSON_Delete(att);
    cJSON_Delete(fates);
}

/* No answer within the delivery timeout is a failed attempt with no status;
 * with no retries left the event is dead-lettered. */
static void no_answer_within_timeout_fails_the_attempt(void **state)
{
    fx *f = *state;
    static const int64_t none[] = {0};
    dm_app_opts o = dmh_virtual_opts();
    o.delivery_timeout_ms = 200;
    o.retry_schedule = none;
    o.retry_count = 0;
    dmt_mock *m = f->m = dmt_mock_start(&o);
    char id[32];
    dmh_create(m, dmt_recv_url(f->r[0]), "{\"Ticket_Update\":null}", "", id);
    dmt_recv_set_delay(f->r[0], 700); /* set after the URL check, which must answer */
    uint64_t s0 = dmh_last_seq(m);
    patch_ticket(m, "{\"priority\":\"Low\"}");

    cJSON *fates = dmh_wait_fates(m, s0, 1);
    const cJSON *fate = cJSON_GetArrayItem(fates, 0);
    assert_string_equal(dmt_str(fate, "fate"), "dead-lettered");
    assert_string_equal(dmt_str(fate, "reason"), "no 200 after the last retry");
    assert_int_equal(dmh_u64(fate, "attempts"), 1);
    cJSON *att = dmh_journal(m, "after=%llu&kind=attempt", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(att), 1);
    const cJSON *a = cJSON_GetArrayItem(att, 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(a, "status")));
    assert_string_equal(dmt_str(a, "outcome"), "failed");
    assert_non_null(strstr(dmt_str(a, "error"), "imeout"));
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 1); /* it did reach the receiver */
    cJSON_Delete(att);
    cJSON_Delete(fates);
}

/* 410 Gone: the batch is dropped with that reason, what was queued behind it
 * is dropped as "webhook deleted", the webhook is deleted (a "webhook"
 * record, action delete) and later events no longer consider it. */
static void answer_410_deletes_the_webhook_and_drops_its_queue(void **state)
{
    fx *f = *state;
    dm_app_opts o = dmh_virtual_opts();
    dmt_mock *m = f->m = dmt_mock_start(&o);
    char id[32];
    dmh_create(m, dmt_recv_url(f->r[0]),
               "{\"Contact_Add\":null,\"Ticket_Add\":null,\"Ticket_Update\":null}", "", id);
    static const int gone[] = {410};
    dmt_recv_script(f->r[0], gone, 1);
    uint64_t s0 = dmh_last_seq(m);
    post_new_contact_ticket(m); /* Contact_Add then Ticket_Add, in one request */
    uint64_t ev[4];
    assert_int_equal(events_after(m, s0, ev, 4), 2);

    cJSON *fates = dmh_wait_fates(m, s0, 2);
    const cJSON *a = dmh_fate_of(fates, ev[0], id), *b = dmh_fate_of(fates, ev[1], id);
    assert_string_equal(dmt_str(a, "fate"), "dropped");
    assert_string_equal(dmt_str(a, "reason"), "webhook answered 410 Gone");
    assert_int_equal(dmh_u64(a, "attempts"), 1);
    assert_string_equal(dmt_str(b, "fate"), "dropped");
    assert_string_equal(dmt_str(b, "reason"), "webhook deleted");
    assert_int_equal(dmh_u64(b, "attempts"), 0);

    cJSON *hooks = dmh_journal(m, "after=%llu&kind=webhook", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(hooks), 1);
    const cJSON *w = cJSON_GetArrayItem(hooks, 0);
    assert_string_equal(dmt_str(w, "action"), "delete");
    assert_string_equal(dmt_str(w, "id"), id);
    assert_string_equal(dmt_str(w, "reason"), "the receiver answered 410 Gone");
    cJSON_Delete(hooks);

    char path[96];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s", id);
    dmt_resp r = dmt_api(m, "GET", path, DMT_ADMIN, NULL);
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);

    uint64_t s1 = dmh_last_seq(m);
    patch_ticket(m, "{\"priority\":\"Low\"}");
    cJSON *later = dmh_one_event(m, s1);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(later, "webhooks")), 0);
    cJSON_Delete(later);
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 1);
    cJSON_Delete(fates);
}

/* The default ladder (1 min, 5 min, 30 min, 2 h, 6 h, 24 h) runs in virtual
 * time: seven attempts at exactly those offsets, then dead-lettering, and
 * the clock has moved by the ladder's sum. */
static void default_retry_ladder_runs_in_virtual_time_then_dead_letters(void **state)
{
    fx *f = *state;
    static const int64_t ladder[] = {60000, 300000, 1800000, 7200000, 21600000, 86400000};
    dm_app_opts o = dmh_virtual_opts();
    dmt_mock *m = f->m = dmt_mock_start(&o);
    char id[32];
    dmh_create(m, dmt_recv_url(f->r[0]), "{\"Ticket_Update\":null}", "", id);
    dmt_recv_set_status(f->r[0], 500);
    uint64_t s0 = dmh_last_seq(m);
    patch_ticket(m, "{\"priority\":\"Low\"}");

    cJSON *fates = dmh_wait_fates(m, s0, 1);
    const cJSON *fate = cJSON_GetArrayItem(fates, 0);
    assert_string_equal(dmt_str(fate, "fate"), "dead-lettered");
    assert_int_equal(dmh_u64(fate, "attempts"), 7);
    cJSON *att = dmh_journal(m, "after=%llu&kind=attempt", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(att), 7);
    int64_t at = DMH_T0;
    for (int i = 0; i < 7; i++) {
        const cJSON *a = cJSON_GetArrayItem(att, i);
        assert_int_equal(dmh_u64(a, "status"), 500);
        assert_int_equal(record_ms(a), at);
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(a, "nextRetryMs");
        if (i < 6) {
            assert_int_equal((int64_t)next->valuedouble, ladder[i]);
            at += ladder[i];
        } else {
            assert_null(next);
        }
    }
    dmt_resp c = dmt_ctl(m, "GET", "/mock/v1/clock", NULL);
    dmh_status(&c, 200);
    assert_int_equal((int64_t)cJSON_GetObjectItemCaseSensitive(c.json, "nowMs")->valuedouble, at);
    dmt_resp_free(&c);
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 7);
    cJSON_Delete(att);
    cJSON_Delete(fates);
}

/* ==== Order, batching ==== */

/* Eight quick updates reach a slow receiver one request at a time, in the
 * order they were made. */
static void one_request_in_flight_per_webhook_and_order_kept(void **state)
{
    fx *f = *state;
    dm_app_opts o = dmh_virtual_opts();
    dmt_mock *m = f->m = dmt_mock_start(&o);
    tally *t = f->t[0] = tally_start("subject");
    char id[32];
    dmh_create(m, dmt_recv_url(t->r), "{\"Ticket_Update\":null}", "", id);
    dmt_recv_set_delay(t->r, 20); /* after the URL check: POSTs only */
    for (int i = 0; i < 8; i++) {
        char body[64];
        snprintf(body, sizeof body, "{\"subject\":\"v%d\"}", i);
        patch_ticket(m, body);
    }
    assert_int_equal(tally_wait(t, 8), 8);
    tally got = tally_snapshot(t);
    assert_int_equal(got.max_inflight, 1);
    assert_int_equal(got.events, 8);
    assert_int_equal(got.next, 8); /* v0 ... v7, in order */
}

/* batch_max 3 with a long window: the third event completes the batch and one
 * POST carries all three, in order; a fourth waits for its window. */
static void full_batch_is_posted_at_once_in_order(void **state)
{
    fx *f = *state;
    dm_app_opts o = {0}; /* real clock: the 10-minute window cannot pass */
    o.batch_max = 3;
    o.batch_window_ms = 600000;
    dmt_mock *m = f->m = dmt_mock_start(&o);
    char id[32];
    dmh_create(m, dmt_recv_url(f->r[0]), "{\"Ticket_Update\":null}", "", id);
    patch_ticket(m, "{\"priority\":\"Low\"}");
    patch_ticket(m, "{\"priority\":\"Medium\"}");
    patch_ticket(m, "{\"priority\":\"Urgent\"}");
    assert_int_equal(dmt_recv_wait(f->r[0], "POST", 1, 5000), 1);
    const cJSON *batch = dmt_recv_hit(f->r[0], "POST", 0)->json;
    assert_int_equal(cJSON_GetArraySize(batch), 3);
    assert_string_equal(payload_str(cJSON_GetArrayItem(batch, 0), "priority"), "Low");
    assert_string_equal(payload_str(cJSON_GetArrayItem(batch, 1), "priority"), "Medium");
    assert_string_equal(payload_str(cJSON_GetArrayItem(batch, 2), "priority"), "Urgent");

    uint64_t s0 = dmh_last_seq(m);
    patch_ticket(m, "{\"priority\":\"High\"}");
    uint64_t ev[2];
    assert_int_equal(events_after(m, s0, ev, 2), 1);
    char path[64];
    snprintf(path, sizeof path, "/mock/v1/events/%llu", (unsigned long long)ev[0]);
    dmt_resp s = dmt_ctl(m, "GET", path, NULL);
    dmh_status(&s, 200);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s.json, "pending")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s.json, "attempts")), 0);
    dmt_resp_free(&s);
}

/* A partial batch goes out when its window ends (virtual time: exactly 1 s
 * after the events), as one POST with both events of one request. */
static void batch_window_flushes_a_partial_batch(void **state)
{
    fx *f = *state;
    dm_app_opts o = dmh_virtual_opts();
    o.batch_max = 5;
    o.batch_window_ms = 1000;
    dmt_mock *m = f->m = dmt_mock_start(&o);
    char id[32];
    dmh_create(m, dmt_recv_url(f->r[0]), "{\"Contact_Add\":null,\"Ticket_Add\":null}", "", id);
    uint64_t s0 = dmh_last_seq(m);
    post_new_contact_ticket(m);
    cJSON *fates = dmh_wait_fates(m, s0, 2);
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 1);
    const cJSON *batch = dmt_recv_hit(f->r[0], "POST", 0)->json;
    assert_int_equal(cJSON_GetArraySize(batch), 2);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(batch, 0), "eventType"), "Contact_Add");
    assert_string_equal(dmt_str(cJSON_GetArrayItem(batch, 1), "eventType"), "Ticket_Add");
    cJSON *att = dmh_journal(m, "after=%llu&kind=attempt", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(att), 1);
    assert_int_equal(record_ms(cJSON_GetArrayItem(att, 0)), DMH_T0 + 1000);
    assert_int_equal(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(att, 0), "events")),
        2);
    cJSON_Delete(att);
    cJSON_Delete(fates);
}

/* ==== Faults ==== */

static void put_faults(dmt_mock *m, const char *body)
{
    dmt_resp r = dmt_ctl(m, "PUT", "/mock/v1/faults", body);
    dmh_status(&r, 200);
    dmt_resp_free(&r);
}

/* duplicate 1: the next POST is sent twice with the same body; one "fault"
 * record caused by the event, one fate, and the fault is used up. */
static void duplicate_fault_sends_the_post_twice(void **state)
{
    fx *f = *state;
    dm_app_opts o = dmh_virtual_opts();
    dmt_mock *m = f->m = dmt_mock_start(&o);
    char id[32];
    dmh_create(m, dmt_recv_url(f->r[0]), "{\"Ticket_Update\":null}", "", id);
    put_faults(m, "{\"delivery\":{\"duplicate\":1}}");
    uint64_t s0 = dmh_last_seq(m);
    patch_ticket(m, "{\"priority\":\"Low\"}");
    cJSON *att = dmh_wait_kind(m, "attempt", s0, 2);
    uint64_t ev[2];
    assert_int_equal(events_after(m, s0, ev, 2), 1);
    assert_int_equal(dmt_recv_wait(f->r[0], "POST", 2, 5000), 2);
    assert_string_equal(dmt_recv_hit(f->r[0], "POST", 0)->body,
                        dmt_recv_hit(f->r[0], "POST", 1)->body);
    assert_true(
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(att, 1), "duplicate")));
    cJSON *faults = dmh_journal(m, "after=%llu&kind=fault", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(faults), 1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(faults, 0), "fault"), "duplicate");
    assert_int_equal(dmh_u64(cJSON_GetArrayItem(faults, 0), "cause"), ev[0]);
    cJSON *fates = dmh_journal(m, "after=%llu&kind=fate", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(fates), 1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(fates, 0), "fate"), "delivered");

    dmt_resp r = dmt_ctl(m, "GET", "/mock/v1/faults", NULL);
    dmh_status(&r, 200);
    assert_int_equal(dmh_u64(cJSON_GetObjectItemCaseSensitive(r.json, "delivery"), "duplicate"), 0);
    dmt_resp_free(&r);
    uint64_t s1 = dmh_last_seq(m);
    patch_ticket(m, "{\"priority\":\"High\"}");
    cJSON_Delete(dmh_wait_fates(m, s1, 1));
    assert_int_equal(dmt_recv_count(f->r[0], "POST"), 3); /* used up: the next goes once */
    cJSON_Delete(fates);
    cJSON_Delete(faults);
    cJSON_Delete(att);
}

/* reorder 1: the next batch arrives reversed (journaled); the one after is
 * in order again. */
static void reorder_fault_reverses_the_next_batch(void **state)
{
    fx *f = *state;
    dm_app_opts o = {0};
    o.batch_max = 3;
    o.batch_window_ms = 600000;
    dmt_mock *m = f->m = dmt_mock_start(&o);
    char id[32];
    dmh_create(m, dmt_recv_url(f->r[0]), "{\"Ticket_Update\":null}", "", id);
    put_faults(m, "{\"delivery\":{\"reorder\":1}}");
    uint64_t s0 = dmh_last_seq(m);
    static const char *const prio[] = {"Low", "Medium", "Urgent"};
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 3; i++) {
            char body[64];
            snprintf(body, sizeof body, "{\"priority\":\"%s\"}", prio[i]);
            patch_ticket(m, body);
        }
        assert_int_equal(dmt_recv_wait(f->r[0], "POST", (size_t)round + 1, 5000), round + 1);
    }
    const cJSON *first = dmt_recv_hit(f->r[0], "POST", 0)->json;
    const cJSON *second = dmt_recv_hit(f->r[0], "POST", 1)->json;
    for (int i = 0; i < 3; i++) {
        assert_string_equal(payload_str(cJSON_GetArrayItem(first, i), "priority"), prio[2 - i]);
        assert_string_equal(payload_str(cJSON_GetArrayItem(second, i), "priority"), prio[i]);
    }
    cJSON *faults = dmh_journal(m, "after=%llu&kind=fault", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(faults), 1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(faults, 0), "fault"), "reorder");
    cJSON_Delete(faults);
}

/* delay 1 (50 ms): the POST is held back, journaled as a "delay" fault
 * (caused by the event, before the attempt), then delivered. Bad fault
 * bodies are 422 with JSON pointers. */
static void delay_fault_holds_the_post_and_bad_faults_are_rejected(void **state)
{
    fx *f = *state;
    dm_app_opts o = dmh_virtual_opts();
    dmt_mock *m = f->m = dmt_mock_start(&o);
    char id[32];
    dmh_create(m, dmt_recv_url(f->r[0]), "{\"Ticket_Update\":null}", "", id);
    put_faults(m, "{\"delivery\":{\"delay\":1,\"delayMs\":50}}");
    uint64_t s0 = dmh_last_seq(m);
    patch_ticket(m, "{\"priority\":\"Low\"}");
    cJSON *fates = dmh_wait_fates(m, s0, 1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(fates, 0), "fate"), "delivered");
    uint64_t ev[2];
    assert_int_equal(events_after(m, s0, ev, 2), 1);
    cJSON *faults = dmh_journal(m, "after=%llu&kind=fault", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(faults), 1);
    const cJSON *fl = cJSON_GetArrayItem(faults, 0);
    assert_string_equal(dmt_str(fl, "fault"), "delay");
    assert_int_equal(dmh_u64(fl, "delayMs"), 50);
    assert_int_equal(dmh_u64(fl, "cause"), ev[0]);
    cJSON *att = dmh_journal(m, "after=%llu&kind=attempt", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(att), 1);
    assert_true(seq_of(fl) < seq_of(cJSON_GetArrayItem(att, 0)));
    cJSON_Delete(att);
    cJSON_Delete(faults);
    cJSON_Delete(fates);

    dmt_resp r = dmt_ctl(m, "PUT", "/mock/v1/faults", "{\"delivery\":{\"bogus\":1}}");
    dmh_field_error(&r, "/delivery/bogus", "invalid");
    dmt_resp_free(&r);
    r = dmt_ctl(m, "PUT", "/mock/v1/faults", "{\"delivery\":{\"duplicate\":-1}}");
    dmh_field_error(&r, "/delivery/duplicate", "invalid");
    dmt_resp_free(&r);
}

/* lostAnswer 1: the receiver gets the POST and answers 200, but the mock
 * treats the answer as lost, so the same body comes again after the first
 * retry delay; the attempt says why, the fate is delivered on attempt 2. */
static void lost_answer_fault_retries_what_the_receiver_answered(void **state)
{
    fx *f = *state;
    dm_app_opts o = dmh_virtual_opts();
    dmt_mock *m = f->m = dmt_mock_start(&o);
    char id[32];
    dmh_create(m, dmt_recv_url(f->r[0]), "{\"Ticket_Update\":null}", "", id);
    put_faults(m, "{\"delivery\":{\"lostAnswer\":1}}");
    uint64_t s0 = dmh_last_seq(m);
    patch_ticket(m, "{\"priority\":\"Low\"}");
    cJSON *fates = dmh_wait_fates(m, s0, 1);
    const cJSON *fate = cJSON_GetArrayItem(fates, 0);
    assert_string_equal(dmt_str(fate, "fate"), "delivered");
    assert_int_equal(dmh_u64(fate, "attempts"), 2);
    assert_int_equal(dmt_recv_wait(f->r[0], "POST", 2, 5000), 2);
    assert_string_equal(dmt_recv_hit(f->r[0], "POST", 0)->body,
                        dmt_recv_hit(f->r[0], "POST", 1)->body);
    cJSON *att = dmh_journal(m, "after=%llu&kind=attempt", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(att), 2);
    const cJSON *lost = cJSON_GetArrayItem(att, 0);
    assert_string_equal(dmt_str(lost, "outcome"), "failed");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(lost, "status")));
    assert_non_null(strstr(dmt_str(lost, "error"), "answer lost"));
    assert_int_equal(dmh_u64(lost, "nextRetryMs"), 60000);
    assert_int_equal(record_ms(cJSON_GetArrayItem(att, 1)), DMH_T0 + 60000);
    cJSON *faults = dmh_journal(m, "after=%llu&kind=fault", (unsigned long long)s0);
    assert_int_equal(cJSON_GetArraySize(faults), 1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(faults, 0), "fault"), "lost-answer");
    cJSON_Delete(faults);
    cJSON_Delete(att);
    cJSON_Delete(fates);
}

/* ==== The story of one event ==== */

/* GET /mock/v1/events/{seq}: the event, its attempts and fates, and whether
 * some webhook still owes it a fate; 404 for a seq that is not an event. */
static void event_story_tells_attempts_fates_and_pending(void **state)
{
    fx *f = *state;
    static const int64_t ladder[] = {600000};
    dm_app_opts o = {0}; /* real clock: the 10-minute retry stays pending */
    o.retry_schedule = ladder;
    o.retry_count = 1;
    dmt_mock *m = f->m = dmt_mock_start(&o);
    char id[32];
    dmh_create(m, dmt_recv_url(f->r[0]), "{\"Ticket_Update\":null}", "", id);
    dmt_recv_set_status(f->r[0], 500);
    uint64_t s0 = dmh_last_seq(m);
    patch_ticket(m, "{\"priority\":\"Low\"}");
    cJSON_Delete(dmh_wait_kind(m, "attempt", s0, 1));
    uint64_t ev[2];
    assert_int_equal(events_after(m, s0, ev, 2), 1);
    char path[64];
    snprintf(path, sizeof path, "/mock/v1/events/%llu", (unsigned long long)ev[0]);

    dmt_resp s = dmt_ctl(m, "GET", path, NULL);
    dmh_status(&s, 200);
    const cJSON *event = cJSON_GetObjectItemCaseSensitive(s.json, "event");
    assert_int_equal(dmh_u64(event, "seq"), ev[0]);
    assert_string_equal(dmt_str(event, "eventType"), "Ticket_Update");
    const cJSON *atts = cJSON_GetObjectItemCaseSensitive(s.json, "attempts");
    assert_int_equal(cJSON_GetArraySize(atts), 1);
    assert_int_equal(dmh_u64(cJSON_GetArrayItem(atts, 0), "status"), 500);
    assert_int_equal(dmh_u64(cJSON_GetArrayItem(atts, 0), "nextRetryMs"), 600000);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s.json, "fates")), 0);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s.json, "pending")));
    dmt_resp_free(&s);

    char wpath[96];
    snprintf(wpath, sizeof wpath, "/api/v1/webhooks/%s", id);
    dmt_resp d = dmt_api(m, "DELETE", wpath, DMT_ADMIN, NULL);
    dmh_status(&d, 204);
    dmt_resp_free(&d);
    s = dmt_ctl(m, "GET", path, NULL);
    dmh_status(&s, 200);
    const cJSON *fates = cJSON_GetObjectItemCaseSensitive(s.json, "fates");
    assert_int_equal(cJSON_GetArraySize(fates), 1);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(fates, 0), "fate"), "dropped");
    assert_string_equal(dmt_str(cJSON_GetArrayItem(fates, 0), "reason"), "webhook deleted");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s.json, "pending")));
    dmt_resp_free(&s);

    snprintf(path, sizeof path, "/mock/v1/events/%llu", (unsigned long long)s0);
    s = dmt_ctl(m, "GET", path, NULL);
    dmt_assert_error(&s, 404, "URL_NOT_FOUND");
    dmt_resp_free(&s);
}

/* ==== Load ==== */

#if defined(__SANITIZE_ADDRESS__)
#define LOAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LOAD_ASAN 1
#endif
#endif
#ifdef LOAD_ASAN
#define LOAD_EVENTS 5000 /* sanitizers are several times slower; the shape is the same */
#else
#define LOAD_EVENTS 10000
#endif

enum { W_OK0, W_OK1, W_OK2, W_OK3, W_OK4, W_IGNORE, W_FAIL, W_FLAKY, W_GONE, W_OFF, NHOOK };

/* n comment updates over one keep-alive connection; every other one carries
 * sourceId DMH_UUID_A. Content is "v<i>". */
static void burst(dmt_mock *m, const char *path, int n)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", m->url, path);
    struct curl_slist *plain = NULL, *tagged = NULL;
    static const char *const h[] = {"Authorization: Zoho-oauthtoken " DMT_ADMIN, "orgId: " DMT_ORG,
                                    "Content-Type: application/json", "Expect:"};
    for (size_t i = 0; i < 4; i++) {
        plain = curl_slist_append(plain, h[i]);
        tagged = curl_slist_append(tagged, h[i]);
    }
    tagged = curl_slist_append(tagged, "sourceId: " DMH_UUID_A);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PATCH");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, NULL);
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
    for (int i = 0; i < n; i++) {
        char body[64];
        snprintf(body, sizeof body, "{\"content\":\"v%d\"}", i);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, i % 2 ? plain : tagged);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200) fail_msg("update %d: status %ld", i, status);
    }
    fclose(devnull);
    curl_easy_cleanup(c);
    curl_slist_free_all(plain);
    curl_slist_free_all(tagged);
}

/* Pages through kind records after `after`, calling fn on each. */
static void each_record(dmt_mock *m, const char *kind, uint64_t after,
                        void (*fn)(void *ud, const cJSON *rec), void *ud)
{
    for (;;) {
        cJSON *page =
            dmh_journal(m, "after=%llu&kind=%s&limit=5000", (unsigned long long)after, kind);
        if (!cJSON_GetArraySize(page)) {
            cJSON_Delete(page);
            return;
        }
        const cJSON *x;
        cJSON_ArrayForEach(x, page) {
            fn(ud, x);
            after = seq_of(x);
        }
        cJSON_Delete(page);
    }
}

struct ledger {
    char ids[NHOOK][32];
    uint64_t first_event;
    int nevents;
    /* per event (index seq - first_event is not dense: events map by order) */
    uint64_t *seqs;
    unsigned char (*expect)[NHOOK]; /* 1 queued, 2 withheld at decision */
    unsigned char (*got)[NHOOK];    /* fates seen */
    int count[NHOOK][5];            /* delivered, dead-lettered, withheld, dropped, other */
    int targets;                    /* (event, webhook) pairs considered */
    int fates;
};

static void ledger_free(ledger *l)
{
    if (!l) return;
    free(l->seqs);
    free(l->expect);
    free(l->got);
    free(l);
}

static int hook_index(const ledger *l, const char *id)
{
    for (int i = 0; i < NHOOK; i++)
        if (strcmp(l->ids[i], id) == 0) return i;
    fail_msg("unknown webhook %s", id);
    return -1;
}

static int event_index(const ledger *l, uint64_t seq)
{
    int lo = 0, hi = l->nevents - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (l->seqs[mid] == seq) return mid;
        if (l->seqs[mid] < seq)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    fail_msg("fate for unknown event %llu", (unsigned long long)seq);
    return -1;
}

static void on_event(void *ud, const cJSON *ev)
{
    ledger *l = ud;
    assert_true(l->nevents < LOAD_EVENTS);
    int k = l->nevents++;
    l->seqs[k] = seq_of(ev);
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(ev, "webhooks")) {
        int i = hook_index(l, dmt_str(w, "webhookId"));
        l->expect[k][i] = strcmp(dmt_str(w, "fate"), "queued") == 0 ? 1 : 2;
        l->targets++;
    }
}

static void on_fate(void *ud, const cJSON *fate)
{
    ledger *l = ud;
    int k = event_index(l, dmh_u64(fate, "event"));
    int i = hook_index(l, dmt_str(fate, "webhookId"));
    if (!l->expect[k][i]) fail_msg("fate for a webhook the event did not target");
    if (l->got[k][i]++)
        fail_msg("two fates for event %llu at webhook %d", (unsigned long long)l->seqs[k], i);
    const char *fs = dmt_str(fate, "fate");
    int c = strcmp(fs, "delivered") == 0       ? 0
            : strcmp(fs, "dead-lettered") == 0 ? 1
            : strcmp(fs, "withheld") == 0      ? 2
            : strcmp(fs, "dropped") == 0       ? 3
                                               : 4;
    if (l->expect[k][i] == 2) assert_int_equal(c, 2); /* decided: withheld */
    l->count[i][c]++;
    l->fates++;
}

/* LOAD_EVENTS comment updates to 10 webhooks: five healthy, one ignoring the
 * sourceId half the writes carry, one always 500 (dead-lettered after the
 * virtual-time ladder), one flaky, one that answers 410 on its third POST,
 * one disabled. Every (event, webhook) pair the events targeted has exactly
 * one fate, of the kind each receiver's behaviour implies, and each receiver
 * accepted (200) exactly the events delivered to it, in order. */
static void ten_thousand_events_to_ten_webhooks_every_fate_accounted(void **state)
{
    fx *f = *state;
    static const int64_t ladder[] = {1000, 60000};
    dm_app_opts o = dmh_virtual_opts();
    o.batch_max = 200;
    o.retry_schedule = ladder;
    o.retry_count = 2;
    o.journal_limit = 2000000;
    dmt_mock *m = f->m = dmt_mock_start(&o);
    ledger *l = f->l = calloc(1, sizeof *l);
    l->seqs = calloc(LOAD_EVENTS, sizeof *l->seqs);
    l->expect = calloc(LOAD_EVENTS, sizeof *l->expect);
    l->got = calloc(LOAD_EVENTS, sizeof *l->got);

    const char *subs = "{\"Ticket_Comment_Update\":null}";
    for (int i = 0; i < NHOOK; i++) {
        const char *extra = i == W_IGNORE ? ",\"ignoreSourceId\":\"" DMH_UUID_A "\""
                            : i == W_OFF  ? ",\"isEnabled\":false"
                                          : "";
        f->t[i] = tally_start("content");
        dmh_create(m, dmt_recv_url(f->t[i]->r), subs, extra, l->ids[i]);
        dmt_recv_set_delay(f->t[i]->r, 2); /* slower than the writes: batches fill */
    }
    tally_answers(f->t[W_FAIL], NULL, 0, 500);
    static const int flaky[] = {500, 200, 500, 500, 200, 503, 200, 500};
    tally_answers(f->t[W_FLAKY], flaky, sizeof flaky / sizeof flaky[0], 200);
    static const int gone[] = {200, 200, 410};
    tally_answers(f->t[W_GONE], gone, 3, 200);

    dmt_resp c = dmt_api(m, "POST", T401 "/comments", DMT_ADMIN, "{\"content\":\"start\"}");
    dmh_status(&c, 200);
    char path[128];
    snprintf(path, sizeof path, T401 "/comments/%s", dmt_str(c.json, "id"));
    dmt_resp_free(&c);
    uint64_t s0 = dmh_last_seq(m);
    burst(m, path, LOAD_EVENTS);

    each_record(m, "event", s0, on_event, l);
    assert_int_equal(l->nevents, LOAD_EVENTS);
    /* wait until every targeted pair has a fate */
    uint64_t after = s0;
    int idle = 0;
    while (l->fates < l->targets) {
        cJSON *page =
            dmh_journal(m, "after=%llu&kind=fate&limit=5000&wait=5000", (unsigned long long)after);
        if (!cJSON_GetArraySize(page) && ++idle >= 3)
            fail_msg("%d of %d fates after waiting", l->fates, l->targets);
        const cJSON *x;
        cJSON_ArrayForEach(x, page) {
            on_fate(l, x);
            after = seq_of(x);
            idle = 0;
        }
        cJSON_Delete(page);
    }
    for (int k = 0; k < LOAD_EVENTS; k++)
        for (int i = 0; i < NHOOK; i++)
            if (l->expect[k][i] && l->got[k][i] != 1)
                fail_msg("event %d at webhook %d has no fate", k, i);

    for (int i = W_OK0; i <= W_OK4; i++)
        assert_int_equal(l->count[i][0], LOAD_EVENTS);
    assert_int_equal(l->count[W_IGNORE][0], LOAD_EVENTS / 2);
    assert_int_equal(l->count[W_IGNORE][2], LOAD_EVENTS / 2);
    assert_int_equal(l->count[W_FAIL][1], LOAD_EVENTS);
    assert_int_equal(l->count[W_FLAKY][0], LOAD_EVENTS);
    assert_int_equal(l->count[W_OFF][2], LOAD_EVENTS);
    /* the 410 webhook: two batches delivered, then everything it still held dropped */
    assert_true(l->count[W_GONE][0] > 0);
    assert_true(l->count[W_GONE][3] > 0);
    assert_int_equal(l->count[W_GONE][1] + l->count[W_GONE][2] + l->count[W_GONE][4], 0);
    assert_int_equal(tally_snapshot(f->t[W_GONE]).posts, 3);
    assert_int_equal(tally_snapshot(f->t[W_GONE]).events, l->count[W_GONE][0]);
    for (int i = 0; i < NHOOK; i++)
        assert_int_equal(l->count[i][4], 0);
    /* healthy and flaky receivers accepted every event exactly once, in order */
    for (int i = W_OK0; i <= W_FLAKY; i++) {
        if (i == W_IGNORE || i == W_FAIL) continue;
        tally t = tally_snapshot(f->t[i]);
        assert_int_equal(t.events, LOAD_EVENTS);
        assert_int_equal(t.next, LOAD_EVENTS);
    }
    assert_int_equal(tally_snapshot(f->t[W_IGNORE]).events, LOAD_EVENTS / 2);
    assert_int_equal(tally_snapshot(f->t[W_FAIL]).events, 0);
    assert_int_equal(tally_snapshot(f->t[W_OFF]).posts, 0);
}

/* ==== Signing ==== */

/* A delivery whose X-ZDesk-JWT cannot be signed (here: the engine has no
 * key) is never sent unsigned: its attempt fails, saying why, and the event
 * takes the retry schedule to its fate. The receiver hears nothing. */
static void unsigned_delivery_is_never_sent(void **state)
{
    (void)state;
    dm_clock clock = {1, DMH_T0};
    dm_ids ids;
    dm_ids_seed(&ids, 1);
    dm_journal *j = dm_journal_new(&clock, 0, 0);
    dm_loop *loop = dm_loop_new(&clock);
    dm_outbound *out = dm_outbound_new(loop);
    dm_waits *waits = dm_waits_new();
    dm_store *store = dm_store_new(&clock, &ids);
    cJSON *org = cJSON_Parse(dm_default_org_json);
    char err[256];
    assert_int_equal(dm_store_load(store, org, err, sizeof err), 0);
    dm_hooks *hooks = dm_hooks_new(store, j, out, waits);
    static const int64_t no_retries[1];
    dm_delivery_opts o = {1000, no_retries, 0, 1, 0}; /* one attempt, then its fate */
    dm_delivery *d = dm_delivery_new(loop, out, j, &clock, NULL, &o);
    dmt_recv *r = dmt_recv_start();
    cJSON *decl = cJSON_Parse("{\"name\":\"h\",\"subscriptions\":{\"Ticket_Update\":null}}");
    char url[128];
    snprintf(url, sizeof url, "%s/hook", dmt_recv_url(r));
    dm_webhook *w = dm_hooks_create(hooks, decl, url, NULL, NULL, 0);
    dm_event_ref *ev = calloc(1, sizeof *ev);
    ev->refs = 1;
    ev->seq = dm_journal_add(j, "event", 0, NULL);
    ev->text = strdup("{\"eventType\":\"Ticket_Update\"}");
    ev->len = strlen(ev->text);
    dm_delivery_enqueue(d, w, ev);
    dm_event_ref_release(ev);
    for (int i = 0; i < 100 && dm_delivery_pending(d); i++)
        dm_loop_once(loop, 10);
    assert_int_equal(dm_delivery_pending(d), 0);
    cJSON *recs = NULL;
    dm_buf b = {0};
    dm_journal_filter f = {0, "attempt,fate", 0, 0};
    dm_journal_query(j, &f, &b);
    recs = cJSON_Parse(b.data);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(recs, "data");
    assert_int_equal(cJSON_GetArraySize(data), 2);
    const cJSON *att = cJSON_GetArrayItem(data, 0), *fate = cJSON_GetArrayItem(data, 1);
    assert_string_equal(dmt_str(att, "outcome"), "failed");
    assert_non_null(strstr(dmt_str(att, "error"), "X-ZDesk-JWT could not be signed"));
    assert_string_equal(dmt_str(fate, "fate"), "dead-lettered");
    assert_int_equal(dmt_recv_count(r, "POST"), 0);
    cJSON_Delete(recs);
    dm_buf_free(&b);
    cJSON_Delete(decl);
    cJSON_Delete(org);
    dmt_recv_stop(r);
    dm_delivery_free(d);
    dm_hooks_free(hooks);
    dm_store_free(store);
    dm_waits_free(waits);
    dm_outbound_free(out);
    dm_loop_free(loop);
    dm_journal_free(j);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(only_200_delivers_201_and_500_are_retried),
        T(no_answer_within_timeout_fails_the_attempt),
        T(answer_410_deletes_the_webhook_and_drops_its_queue),
        T(default_retry_ladder_runs_in_virtual_time_then_dead_letters),
        T(one_request_in_flight_per_webhook_and_order_kept),
        T(full_batch_is_posted_at_once_in_order),
        T(batch_window_flushes_a_partial_batch),
        T(duplicate_fault_sends_the_post_twice),
        T(reorder_fault_reverses_the_next_batch),
        T(delay_fault_holds_the_post_and_bad_faults_are_rejected),
        T(lost_answer_fault_retries_what_the_receiver_answered),
        T(event_story_tells_attempts_fates_and_pending),
        T(ten_thousand_events_to_ten_webhooks_every_fate_accounted),
        cmocka_unit_test(unsigned_delivery_is_never_sent),
    };
#undef T
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
