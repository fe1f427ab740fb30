/* test_harness.c -- libdeskharness's own promises that no other test covers:
 * each embedded mock owns its options (two mocks never share a retry
 * schedule, whichever thread started them), and dh_stop reports a journal
 * file that was not written whole. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "deskmock/harness.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The mock's retry schedule as its settings report it, "1000,..." */
static void schedule_of(dh_mock *m, char *out, size_t len)
{
    dh_response r;
    assert_int_equal(dh_call(m, "GET", "/mock/v1/settings", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(r.json, "retrySchedule"), *x;
    size_t n = 0;
    out[0] = '\0';
    cJSON_ArrayForEach(x, s)
        n += (size_t)snprintf(out + n, len - n, "%s%.0f", n ? "," : "", x->valuedouble);
    dh_response_free(&r);
}

static dh_mock *start(const char *schedule)
{
    dh_options o = {0};
    o.retry_schedule = schedule;
    char err[256];
    dh_mock *m = dh_start(&o, err, sizeof err);
    if (!m) fail_msg("dh_start: %s", err);
    return m;
}

/* Mock A with 1s, mock B with 7s,8s,9s; resetting A brings back A's own. */
static void each_mock_keeps_its_own_retry_schedule_across_reset(void **state)
{
    (void)state;
    dh_mock *a = start("1s");
    dh_mock *b = start("7s,8s,9s");
    assert_int_equal(dh_reset(a), 0);
    char got[128];
    schedule_of(a, got, sizeof got);
    assert_string_equal(got, "1000");
    schedule_of(b, got, sizeof got);
    assert_string_equal(got, "7000,8000,9000");
    assert_int_equal(dh_stop(a), 0);
    assert_int_equal(dh_stop(b), 0);
}

typedef struct starter {
    pthread_t t;
    const char *schedule;
    dh_mock *m;
} starter;

static void *start_one(void *ud)
{
    starter *s = ud;
    dh_options o = {0};
    o.retry_schedule = s->schedule;
    char err[256];
    s->m = dh_start(&o, err, sizeof err);
    return NULL;
}

/* Eight threads start mocks at once, each with its own schedule: each mock
 * has the one it was given. */
static void mocks_started_on_many_threads_get_their_own_options(void **state)
{
    (void)state;
    static const char *const schedules[] = {"1s",       "2s", "3s,4s", "5s",
                                            "6s,7s,8s", "9s", "10s",   "11s"};
    static const char *const want[] = {"1000",           "2000", "3000,4000", "5000",
                                       "6000,7000,8000", "9000", "10000",     "11000"};
    starter s[8];
    for (int i = 0; i < 8; i++) {
        s[i].schedule = schedules[i];
        assert_int_equal(pthread_create(&s[i].t, NULL, start_one, &s[i]), 0);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(s[i].t, NULL);
    for (int i = 0; i < 8; i++) {
        assert_non_null(s[i].m);
        assert_int_equal(dh_reset(s[i].m), 0);
        char got[128];
        schedule_of(s[i].m, got, sizeof got);
        assert_string_equal(got, want[i]);
    }
    for (int i = 0; i < 8; i++)
        assert_int_equal(dh_stop(s[i].m), 0);
}

/* A journal file that cannot be written makes dh_stop fail. */
static void dh_stop_fails_when_the_journal_file_failed(void **state)
{
    (void)state;
    dh_options o = {0};
    o.journal_file = "/dev/full";
    char err[256];
    dh_mock *m = dh_start(&o, err, sizeof err);
    if (!m) fail_msg("dh_start: %s", err);
    assert_int_equal(dh_reset(m), 0); /* a request: a record to write */
    assert_int_equal(dh_stop(m), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_mock_keeps_its_own_retry_schedule_across_reset),
        cmocka_unit_test(mocks_started_on_many_threads_get_their_own_options),
        cmocka_unit_test(dh_stop_fails_when_the_journal_file_failed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
