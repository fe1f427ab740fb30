/* test_suite.c -- the conformance suite's own promises, against a scripted
 * receiver (tests/receiver.c: it verifies nothing and never writes back):
 * a failed preflight blocks every case, a case built on a failed one is
 * skipped, a receiver that stops answering is reported where it stopped,
 * a plain webhook can be driven as well as an extension, and what the
 * receiver must be configured with is told before the cases. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "deskmock/harness.h"
#include "receiver.h"

#include <stdio.h>
#include <string.h>

typedef struct fixture {
    dh_mock *m;
    dmt_recv *r;
    char hook[160];
    dh_suite *s;
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    char err[256];
    dh_options o = {0};
    f.m = dh_start(&o, err, sizeof err);
    if (!f.m) fail_msg("dh_start: %s", err);
    f.r = dmt_recv_start();
    snprintf(f.hook, sizeof f.hook, "%s/hook", dmt_recv_url(f.r));
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dh_suite_free(f->s);
    dmt_recv_stop(f->r);
    assert_int_equal(dh_reset(f->m), 0);
    assert_int_equal(dh_stop(f->m), 0);
    return 0;
}

static dh_suite *attach(fixture *f, dh_attach_mode mode, const char *subscribe)
{
    static dh_suite_options o;
    memset(&o, 0, sizeof o);
    o.env.receiver_url = f->hook;
    o.env.expects_verification = 1;
    o.attach = mode;
    o.subscribe = subscribe;
    f->s = dh_suite_new(f->m, &o);
    if (dh_suite_attach(f->s)) fail_msg("attach: %s", dh_report(f->m));
    return f->s;
}

/* The built-in case named name. */
static const char *builtin(const char *name)
{
    for (size_t i = 0; i < dh_builtin_count(); i++) {
        char needle[96];
        snprintf(needle, sizeof needle, "\"name\": \"%s\"", name);
        if (strstr(dh_builtin_json(i), needle)) return dh_builtin_json(i);
    }
    fail_msg("no built-in case %s", name);
    return NULL;
}

static void assert_report_has(dh_mock *m, const char *text)
{
    if (!strstr(dh_report(m), text)) fail_msg("the report lacks \"%s\":\n%s", text, dh_report(m));
}

/* A receiver that refuses genuine deliveries fails the preflight, once, with
 * what was sent; the cases are skipped as blocked, not failed. */
static void a_failed_preflight_blocks_every_case(void **state)
{
    fixture *f = *state;
    dmt_recv_set_status(f->r, 401);
    dh_suite *s = attach(f, DH_ATTACH_EXTENSION, NULL);
    assert_int_equal(dh_suite_preflight(s), DH_FAIL);
    assert_report_has(f->m, "answered 401, not 200");
    assert_report_has(f->m, "X-ZDesk-JWT");
    assert_report_has(f->m, "aud \"webhookId:");
    assert_int_equal(dh_suite_run(s, builtin("ticket-add")), DH_SKIP);
    assert_report_has(f->m, "blocked by preflight");
}

/* A receiver that verifies nothing fails forged-no-token; the forgeries that
 * build on it are skipped, naming it. */
static void a_case_built_on_a_failed_one_is_skipped(void **state)
{
    fixture *f = *state;
    dh_suite *s = attach(f, DH_ATTACH_EXTENSION, NULL);
    assert_int_equal(dh_suite_preflight(s), DH_PASS);
    assert_int_equal(dh_suite_run(s, builtin("forged-no-token")), DH_FAIL);
    assert_report_has(f->m, "refuse a forged delivery");
    assert_int_equal(dh_suite_run(s, builtin("forged-signature")), DH_SKIP);
    assert_report_has(f->m, "builds on forged-no-token");
    assert_int_equal(dh_suite_run(s, builtin("forged-audience")), DH_SKIP);
}

/* Deliveries answered 500 from some point on: the case where it started
 * fails, says the receiver no longer takes deliveries, and the rest is
 * skipped; the failure quotes the attempt and that no retry comes in time. */
static void a_receiver_that_stops_answering_is_reported_once(void **state)
{
    fixture *f = *state;
    dh_suite *s = attach(f, DH_ATTACH_EXTENSION, NULL);
    assert_int_equal(dh_suite_preflight(s), DH_PASS);
    assert_int_equal(dh_suite_run(s, builtin("ticket-add")), DH_PASS);
    dmt_recv_set_status(f->r, 500);
    assert_int_equal(dh_suite_run(s, builtin("ticket-update")), DH_FAIL);
    assert_report_has(f->m, "answered 500");
    assert_report_has(f->m, "retry in 60000 ms");
    assert_report_has(f->m, "no longer takes a genuine delivery");
    assert_int_equal(dh_suite_run(s, builtin("ticket-comment-add")), DH_SKIP);
    assert_report_has(f->m, "stopped taking genuine deliveries during ticket-update");
}

/* Write-back cases are skipped, not passed, for a receiver that never
 * writes back. */
static void write_back_cases_are_skipped_without_write_backs(void **state)
{
    fixture *f = *state;
    dh_suite *s = attach(f, DH_ATTACH_EXTENSION, NULL);
    assert_int_equal(dh_suite_preflight(s), DH_PASS);
    assert_int_equal(dh_suite_run(s, builtin("desk-429")), DH_SKIP);
    assert_report_has(f->m, "made no write-back");
}

/* --plain --subscribe: check makes the webhook; the config names it, and the
 * cases that need an installation are skipped. */
static void a_plain_webhook_is_driven_through_its_config(void **state)
{
    fixture *f = *state;
    dh_suite *s = attach(f, DH_ATTACH_PLAIN, "Ticket_Add,Ticket_Update");
    cJSON *c = dh_suite_config(s);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "webhookId");
    assert_true(cJSON_IsString(id));
    char aud[64];
    snprintf(aud, sizeof aud, "webhookId:%s", id->valuestring);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(c, "audience")->valuestring, aud);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(c, "token"));
    assert_null(cJSON_GetObjectItemCaseSensitive(c, "securityContext"));
    cJSON_Delete(c);
    assert_int_equal(dh_suite_preflight(s), DH_PASS);
    assert_int_equal(dh_suite_run(s, builtin("ticket-update")), DH_PASS);
    assert_int_equal(dh_suite_run(s, builtin("reinstall")), DH_SKIP);
    /* the delivery went to the webhook as registered: no securityContext */
    const dmt_hit *h = dmt_recv_hit(f->r, "POST", 0);
    assert_non_null(h);
    assert_null(strstr(h->url, "securityContext"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_failed_preflight_blocks_every_case, setup, teardown),
        cmocka_unit_test_setup_teardown(a_case_built_on_a_failed_one_is_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(a_receiver_that_stops_answering_is_reported_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(write_back_cases_are_skipped_without_write_backs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_plain_webhook_is_driven_through_its_config, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
