/* test_journal_api.c -- the journal through /mock/v1, over loopback: request
 * and change records and their causal link, kind/after filters, the
 * long-poll (answered from another thread), reset, and the --journal file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hooks.h"
#include "util/clock.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ADMIN_ID "18920000000000201"
#define NEW_TICKET                                                                                 \
    "{\"subject\":\"Journal me\",\"departmentId\":\"" DMT_DEPT_SUPPORT                             \
    "\",\"contactId\":\"" DMT_CONTACT "\"}"

/* ==== Helpers ==== */

/* Every record has seq, kind, time and cause; seqs strictly increase. */
static void assert_records_well_formed(const cJSON *recs)
{
    uint64_t prev = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, recs) {
        uint64_t seq = dmh_u64(r, "seq");
        assert_true(seq > prev);
        prev = seq;
        assert_non_null(dmt_str(r, "kind"));
        assert_true(dmh_is_iso_ms(dmt_str(r, "time")));
        const cJSON *cause = cJSON_GetObjectItem(r, "cause");
        assert_true(cJSON_IsNull(cause) || (cJSON_IsNumber(cause) && cause->valuedouble < seq));
    }
}

/* ==== Records ==== */

/* A write is one request record, then one change whose cause is that request;
 * both carry the request's sourceId header. */
static void write_journals_request_then_change_caused_by_it(void **state)
{
    dmt_mock *m = *state;
    const char *h[] = {"sourceId: my-extension-7", NULL};
    dmt_resp r = dmt_api_h(m, "POST", "/api/v1/tickets", DMT_ADMIN, NEW_TICKET, h);
    dmh_status(&r, 200);
    const char *tid = dmt_str(r.json, "id");

    cJSON *recs = dmh_journal(m, "kind=request,change");
    assert_records_well_formed(recs);
    assert_int_equal(cJSON_GetArraySize(recs), 2);
    const cJSON *req = cJSON_GetArrayItem(recs, 0), *ch = cJSON_GetArrayItem(recs, 1);
    assert_string_equal(dmt_str(req, "kind"), "request");
    assert_string_equal(dmt_str(req, "method"), "POST");
    assert_string_equal(dmt_str(req, "path"), "/api/v1/tickets");
    assert_int_equal(dmh_u64(req, "status"), 200);
    assert_null(cJSON_GetObjectItem(req, "errorCode"));
    assert_string_equal(dmt_str(req, "sourceId"), "my-extension-7");
    assert_string_equal(dmt_str(req, "actor"), ADMIN_ID);
    assert_string_equal(dmt_str(cJSON_GetObjectItem(req, "body"), "subject"), "Journal me");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(req, "cause")));

    assert_string_equal(dmt_str(ch, "kind"), "change");
    assert_int_equal(dmh_u64(ch, "cause"), dmh_u64(req, "seq"));
    assert_string_equal(dmt_str(ch, "resource"), "ticket");
    assert_string_equal(dmt_str(ch, "action"), "create");
    assert_string_equal(dmt_str(ch, "id"), tid);
    assert_string_equal(dmt_str(ch, "sourceId"), "my-extension-7");
    assert_string_equal(dmt_str(ch, "actor"), ADMIN_ID);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(ch, "before")));
    assert_true(cJSON_Compare(cJSON_GetObjectItem(ch, "after"), r.json, 1));
    cJSON_Delete(recs);
    dmt_resp_free(&r);
}

/* An update's change holds the whole ticket before and after; without a
 * sourceId header the records carry none. */
static void update_change_has_before_and_after(void **state)
{
    dmt_mock *m = *state;
    dmt_resp before = dmt_api(m, "GET", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, NULL);
    dmt_resp r =
        dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"status\":\"Closed\"}");
    dmh_status(&r, 200);
    cJSON *ch = dmh_journal(m, "kind=change");
    assert_int_equal(cJSON_GetArraySize(ch), 1);
    const cJSON *c = cJSON_GetArrayItem(ch, 0);
    assert_string_equal(dmt_str(c, "action"), "update");
    assert_string_equal(dmt_str(c, "id"), DMT_TICKET);
    assert_true(cJSON_Compare(cJSON_GetObjectItem(c, "before"), before.json, 1));
    assert_true(cJSON_Compare(cJSON_GetObjectItem(c, "after"), r.json, 1));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(c, "sourceId")) ||
                !cJSON_GetObjectItem(c, "sourceId"));
    cJSON_Delete(ch);
    dmt_resp_free(&r);
    dmt_resp_free(&before);
}

/* Reads of the Desk API are journaled too; reads of the control API are not. */
static void every_api_request_is_journaled_control_reads_are_not(void **state)
{
    dmt_mock *m = *state;
    uint64_t s0 = dmh_last_seq(m);
    dmt_resp r = dmt_api(m, "GET", "/api/v1/tickets?limit=2", DMT_ADMIN, NULL);
    dmt_resp_free(&r);
    r = dmt_api(m, "GET", "/api/v1/agents", DMT_AGENT, NULL);
    dmt_resp_free(&r);
    uint64_t s1 = dmh_last_seq(m);
    assert_int_equal(s1, s0 + 2);
    r = dmt_ctl(m, "GET", "/mock/v1/journal", NULL);
    dmt_resp_free(&r);
    assert_int_equal(dmh_last_seq(m), s1);

    cJSON *recs = dmh_journal(m, "kind=request");
    int n = cJSON_GetArraySize(recs);
    assert_int_equal(n, 2);
    const cJSON *first = cJSON_GetArrayItem(recs, 0);
    assert_string_equal(dmt_str(first, "path"), "/api/v1/tickets");
    assert_string_equal(dmt_str(cJSON_GetObjectItem(first, "query"), "limit"), "2");
    assert_string_equal(dmt_str(cJSON_GetArrayItem(recs, 1), "actor"), "18920000000000202");
    cJSON_Delete(recs);
}

/* ==== Filters ==== */

/* kind takes a comma list of whole kind names. */
static void kind_filter_takes_comma_list(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN, NEW_TICKET);
    dmt_resp_free(&r);
    r = dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"priority\":\"Low\"}");
    dmt_resp_free(&r);
    cJSON *a = dmh_journal(m, "kind=request");
    cJSON *b = dmh_journal(m, "kind=change");
    cJSON *ab = dmh_journal(m, "kind=change,request");
    cJSON *none = dmh_journal(m, "kind=requests,chang");
    assert_int_equal(cJSON_GetArraySize(a), 2);
    assert_int_equal(cJSON_GetArraySize(b), 2);
    assert_int_equal(cJSON_GetArraySize(ab), 4);
    assert_int_equal(cJSON_GetArraySize(none), 0);
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
        assert_string_equal(dmt_str(x, "kind"), "request");
    cJSON_ArrayForEach(x, b)
        assert_string_equal(dmt_str(x, "kind"), "change");
    assert_records_well_formed(ab);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(ab);
    cJSON_Delete(none);
}

/* after=SEQ returns only records with a greater seq; bad numbers are 422. */
static void after_returns_only_later_records(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN, NEW_TICKET);
    dmt_resp_free(&r);
    uint64_t mark = dmh_last_seq(m);
    r = dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"priority\":\"Low\"}");
    dmt_resp_free(&r);
    cJSON *recs = dmh_journal(m, "after=%llu", (unsigned long long)mark);
    assert_true(cJSON_GetArraySize(recs) >= 2);
    const cJSON *x;
    cJSON_ArrayForEach(x, recs)
        assert_true(dmh_u64(x, "seq") > mark);
    assert_string_equal(dmt_str(cJSON_GetArrayItem(recs, 0), "method"), "PATCH");
    cJSON_Delete(recs);
    recs = dmh_journal(m, "after=%llu", (unsigned long long)dmh_last_seq(m));
    assert_int_equal(cJSON_GetArraySize(recs), 0);
    cJSON_Delete(recs);

    r = dmt_ctl(m, "GET", "/mock/v1/journal?after=soon", NULL);
    dmt_assert_error(&r, 422, "INVALID_DATA");
    dmt_resp_free(&r);
    r = dmt_ctl(m, "GET", "/mock/v1/journal?after=-1", NULL);
    dmt_assert_error(&r, 422, "INVALID_DATA");
    dmt_resp_free(&r);
}

/* ==== Long-poll ==== */

typedef struct poller {
    char url[512];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int sent; /* the request has gone out on the wire */
    long status;
    char *body;
    int64_t took_ms;
} poller;

static size_t keep(char *p, size_t size, size_t n, void *ud)
{
    char **body = ud;
    size_t old = *body ? strlen(*body) : 0;
    char *b = realloc(*body, old + size * n + 1);
    if (!b) return 0;
    memcpy(b + old, p, size * n);
    b[old + size * n] = '\0';
    *body = b;
    return size * n;
}

/* Signals once libcurl has written the request headers to the socket. */
static int on_debug(CURL *c, curl_infotype type, char *data, size_t size, void *ud)
{
    (void)c;
    (void)data;
    (void)size;
    poller *p = ud;
    if (type == CURLINFO_HEADER_OUT) {
        pthread_mutex_lock(&p->mu);
        p->sent = 1;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return 0;
}

static void *poll_thread(void *arg)
{
    poller *p = arg;
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, p->url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &p->body);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, p);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    int64_t t0 = dm_mono_ms();
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p->status);
    p->took_ms = dm_mono_ms() - t0;
    curl_easy_cleanup(c);
    pthread_mutex_lock(&p->mu);
    p->sent = 1; /* also wakes the test if the request never went out */
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Waits (bounded) until the poller's request is on the wire. */
static void wait_sent(poller *p)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&p->mu);
    while (!p->sent)
        if (pthread_cond_timedwait(&p->cv, &p->mu, &until) == ETIMEDOUT) break;
    int sent = p->sent;
    pthread_mutex_unlock(&p->mu);
    assert_true(sent);
}

/* A long-poll waiting for a change is answered as soon as a write makes one:
 * with that record, well before its wait elapses. */
static void long_poll_returns_promptly_after_a_write(void **state)
{
    dmt_mock *m = *state;
    poller p = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    uint64_t mark = dmh_last_seq(m);
    snprintf(p.url, sizeof p.url, "%s/mock/v1/journal?after=%llu&kind=change&wait=5000", m->url,
             (unsigned long long)mark);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, poll_thread, &p), 0);
    wait_sent(&p);
    int64_t t_write = dm_mono_ms();
    dmt_resp r =
        dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"status\":\"Closed\"}");
    int64_t t_answered = dm_mono_ms();
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    pthread_join(th, NULL);
    int64_t t_polled = dm_mono_ms();
    print_message("long-poll: answered %lld ms after the write was sent (write took %lld ms)\n",
                  (long long)(t_polled - t_write), (long long)(t_answered - t_write));

    assert_int_equal(p.status, 200);
    assert_non_null(p.body);
    cJSON *j = cJSON_Parse(p.body);
    free(p.body);
    assert_non_null(j);
    const cJSON *data = cJSON_GetObjectItem(j, "data");
    assert_int_equal(cJSON_GetArraySize(data), 1);
    const cJSON *rec = cJSON_GetArrayItem(data, 0);
    assert_string_equal(dmt_str(rec, "kind"), "change");
    assert_string_equal(dmt_str(rec, "id"), DMT_TICKET);
    assert_true(dmh_u64(rec, "seq") > mark);
    cJSON_Delete(j);
    assert_true(p.took_ms < 5000); /* answered by the record, not by the timeout */
}

/* A long-poll that finds a matching record already there answers at once. */
static void long_poll_with_existing_record_answers_at_once(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r =
        dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"status\":\"Closed\"}");
    dmt_resp_free(&r);
    int64_t t0 = dm_mono_ms();
    r = dmt_ctl(m, "GET", "/mock/v1/journal?after=0&kind=change&wait=5000", NULL);
    int64_t took = dm_mono_ms() - t0;
    dmh_status(&r, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "data")), 1);
    dmt_resp_free(&r);
    assert_true(took < 5000);
}

/* A long-poll that nothing matches answers 200 with an empty data array
 * once its wait has passed. */
static void long_poll_that_times_out_returns_empty_data(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r =
        dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"status\":\"Closed\"}");
    dmt_resp_free(&r);
    r = dmt_ctl(m, "GET", "/mock/v1/journal?kind=no-such-kind&wait=50", NULL);
    dmh_status(&r, 200);
    const cJSON *data = cJSON_GetObjectItem(r.json, "data");
    assert_true(cJSON_IsArray(data));
    assert_int_equal(cJSON_GetArraySize(data), 0);
    dmt_resp_free(&r);
    /* and the mock goes on serving */
    r = dmt_api(m, "GET", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, NULL);
    dmh_status(&r, 200);
    dmt_resp_free(&r);
}

/* ==== Reset ==== */

/* Reset brings back the starting tickets and empties the journal, but seq
 * keeps increasing: the reset's own record comes after everything before. */
static void reset_restores_starting_tickets_and_clears_journal(void **state)
{
    dmt_mock *m = *state;
    dmt_resp r = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN, NEW_TICKET);
    char created[64];
    snprintf(created, sizeof created, "/api/v1/tickets/%s", dmt_str(r.json, "id"));
    dmt_resp_free(&r);
    r = dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN,
                "{\"subject\":\"Changed\",\"status\":\"Closed\"}");
    dmt_resp_free(&r);
    uint64_t before = dmh_last_seq(m);

    r = dmt_ctl(m, "POST", "/mock/v1/reset", NULL);
    dmh_status(&r, 200);
    dmt_resp_free(&r);

    cJSON *recs = dmh_journal(m, "after=0");
    assert_int_equal(cJSON_GetArraySize(recs), 1);
    const cJSON *rec = cJSON_GetArrayItem(recs, 0);
    assert_string_equal(dmt_str(rec, "path"), "/mock/v1/reset");
    uint64_t reset_seq = dmh_u64(rec, "seq");
    assert_true(reset_seq > before);
    cJSON_Delete(recs);

    r = dmt_api(m, "GET", "/api/v1/tickets", DMT_ADMIN, NULL);
    dmh_status(&r, 200);
    const cJSON *data = cJSON_GetObjectItem(r.json, "data");
    assert_int_equal(cJSON_GetArraySize(data), 4);
    const cJSON *t0 = cJSON_GetArrayItem(data, 0);
    assert_string_equal(dmt_str(t0, "id"), DMT_TICKET);
    assert_string_equal(dmt_str(t0, "subject"), "Cannot sign in after password reset");
    assert_string_equal(dmt_str(t0, "status"), "Open");
    dmt_resp_free(&r);
    r = dmt_api(m, "GET", created, DMT_ADMIN, NULL);
    dmt_assert_error(&r, 404, "URL_NOT_FOUND");
    dmt_resp_free(&r);
    assert_true(dmh_last_seq(m) > reset_seq);
}

/* After a reset the seeded generator starts over: the same ids come again. */
static void reset_replays_the_same_ids(void **state)
{
    dmt_mock *m = *state;
    dmt_resp a = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN, NEW_TICKET);
    dmt_resp r = dmt_ctl(m, "POST", "/mock/v1/reset", NULL);
    dmh_status(&r, 200);
    dmt_resp_free(&r);
    dmt_resp b = dmt_api(m, "POST", "/api/v1/tickets", DMT_ADMIN, NEW_TICKET);
    dmh_status(&a, 200);
    dmh_status(&b, 200);
    assert_string_equal(dmt_str(a.json, "id"), dmt_str(b.json, "id"));
    assert_string_equal(dmt_str(a.json, "ticketNumber"), dmt_str(b.json, "ticketNumber"));
    dmt_resp_free(&a);
    dmt_resp_free(&b);
}

/* ==== --journal FILE ==== */

typedef struct file_fixture {
    dmt_mock *m;
    char dir[64];
    char path[96];
} file_fixture;

static int setup_file(void **state)
{
    file_fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/dmt-journal-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/journal.jsonl", f->dir);
    *state = f;
    dm_app_opts o = {0};
    o.journal_file = f->path; /* outlives the app: f is freed in teardown */
    f->m = dmt_mock_start(&o);
    return 0;
}

static int teardown_file(void **state)
{
    file_fixture *f = *state;
    dmt_mock_stop(f->m);
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Splits the file into lines; each must be one JSON object. Returns an array. */
static cJSON *read_lines(const char *path)
{
    size_t len = 0;
    char *text = dmt_read_file(path, &len);
    assert_non_null(text);
    assert_true(len > 0);
    assert_int_equal(text[len - 1], '\n'); /* every record is a whole line */
    cJSON *arr = cJSON_CreateArray();
    for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = '\0';
        cJSON *rec = cJSON_Parse(line);
        if (!rec || !cJSON_IsObject(rec)) fail_msg("not one JSON object: %s", line);
        cJSON_AddItemToArray(arr, rec);
    }
    free(text);
    return arr;
}

/* Every record reaches the file as one parseable JSON line, as soon as it is
 * made (while the mock still runs), identical to what the API returns. */
static void journal_file_gets_one_json_line_per_record(void **state)
{
    file_fixture *f = *state;
    dmt_resp r = dmt_api(f->m, "POST", "/api/v1/tickets", DMT_ADMIN, NEW_TICKET);
    dmt_resp_free(&r);
    r = dmt_api(f->m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"status\":\"Closed\"}");
    dmt_resp_free(&r);
    r = dmt_api(f->m, "GET", "/api/v1/nowhere", DMT_ADMIN, NULL);
    dmt_resp_free(&r);

    cJSON *mem = dmh_journal(f->m, "after=0");
    cJSON *lines = read_lines(f->path);
    assert_true(cJSON_GetArraySize(mem) >= 5); /* 3 requests, 2 changes */
    assert_int_equal(cJSON_GetArraySize(lines), cJSON_GetArraySize(mem));
    assert_records_well_formed(lines);
    for (int i = 0; i < cJSON_GetArraySize(mem); i++)
        assert_true(cJSON_Compare(cJSON_GetArrayItem(lines, i), cJSON_GetArrayItem(mem, i), 1));
    const cJSON *last = cJSON_GetArrayItem(lines, cJSON_GetArraySize(lines) - 1);
    assert_string_equal(dmt_str(last, "errorCode"), "URL_NOT_FOUND");
    cJSON_Delete(lines);
    cJSON_Delete(mem);
}

/* The file keeps what a reset clears from memory. */
static void journal_file_keeps_records_across_reset(void **state)
{
    file_fixture *f = *state;
    dmt_resp r =
        dmt_api(f->m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_ADMIN, "{\"status\":\"Closed\"}");
    dmt_resp_free(&r);
    r = dmt_ctl(f->m, "POST", "/mock/v1/reset", NULL);
    dmt_resp_free(&r);
    cJSON *lines = read_lines(f->path);
    int n = cJSON_GetArraySize(lines);
    assert_true(n >= 3); /* request, change, reset request */
    assert_string_equal(dmt_str(cJSON_GetArrayItem(lines, 0), "method"), "PATCH");
    assert_string_equal(dmt_str(cJSON_GetArrayItem(lines, n - 1), "path"), "/mock/v1/reset");
    assert_records_well_formed(lines);
    cJSON_Delete(lines);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, dmt_setup_mock, dmt_teardown_mock)
#define F(fn) cmocka_unit_test_setup_teardown(fn, setup_file, teardown_file)
    const struct CMUnitTest tests[] = {
        T(write_journals_request_then_change_caused_by_it),
        T(update_change_has_before_and_after),
        T(every_api_request_is_journaled_control_reads_are_not),
        T(kind_filter_takes_comma_list),
        T(after_returns_only_later_records),
        T(long_poll_returns_promptly_after_a_write),
        T(long_poll_with_existing_record_answers_at_once),
        T(long_poll_that_times_out_returns_empty_data),
        T(reset_restores_starting_tickets_and_clears_journal),
        T(reset_replays_the_same_ids),
        F(journal_file_gets_one_json_line_per_record),
        F(journal_file_keeps_records_across_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
