/* installed_harness_test.c -- what a user writes: a CMocka test against the
 * installed <deskmock/harness.h>, with a tiny receiver of its own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <deskmock/harness.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* Answers 200 to everything: Desk's URL check and every delivery. */
static enum MHD_Result ok(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                          const char *version, const char *data, size_t *size, void **ctx)
{
    (void)cls, (void)url, (void)method, (void)version, (void)data;
    if (!*ctx) {
        *ctx = c;
        return MHD_YES;
    }
    if (*size) {
        *size = 0;
        return MHD_YES;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(2, "ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

/* A ticket created through the mock reaches the receiver as Ticket_Add. */
static void ticket_add_is_delivered(void **state)
{
    (void)state;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, ok,
                                            NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
    assert_non_null(d);
    char url[64], err[256], body[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/hook",
             MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);

    dh_mock *m = dh_start(NULL, err, sizeof err);
    if (!m) fail_msg("dh_start: %s", err);
    snprintf(body, sizeof body,
             "{\"name\":\"t\",\"url\":\"%s\",\"subscriptions\":{\"Ticket_Add\":null}}", url);
    dh_response r;
    assert_int_equal(dh_call(m, "POST", "/api/v1/webhooks", "admin", body, &r), 0);
    assert_int_equal(r.status, 200);
    dh_response_free(&r);

    uint64_t mark = dh_mark(m);
    char id[32];
    dh_assert_ok(
        m, dh_ticket_create(m, "admin",
                            "{\"subject\":\"Installed\",\"departmentId\":\"18920000000000101\","
                            "\"contactId\":\"18920000000000301\"}",
                            id));
    dh_assert_delivered(m, mark, "Ticket_Add", 5000);
    assert_int_equal(dh_stop(m), 0);
    MHD_stop_daemon(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(ticket_add_is_delivered)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
