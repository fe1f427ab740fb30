/* receiver_test.c -- a CMocka test of a Zoho Desk webhook receiver with
 * libdeskharness (docs/harness.md walks through it).
 *
 * The group setup starts a mock Desk inside the test, starts the receiver
 * under test as a child process pointed at that mock, and installs an
 * extension whose webhook is the receiver. Each test acts on Desk and asserts
 * on what the receiver did, as the mock's journal recorded it.
 *
 * The receiver is any program that takes `--port 0 --mock URL` and prints
 * "listening on http://127.0.0.1:PORT" when ready, as deskmock's examples
 * do. Say which with DESKMOCK_RECEIVER, e.g.
 *
 *   DESKMOCK_RECEIVER="node docs/examples/receiver.js" ./receiver_test
 *   DESKMOCK_RECEIVER=build-examples/receiver-correct ./receiver_test
 *
 * DESKMOCK_EXTENSION names the extension folder to install (default
 * fixtures/extensions/conformance, relative to the directory the test runs
 * in): the receiver must know its manifest "secret" and its webhook's
 * "ignoreSourceId". */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h> /* before harness.h, for the dh_assert_* macros */

#include <deskmock/harness.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct fixture {
    dh_mock *mock;
    pid_t receiver;
    char receiver_url[128];
    dh_installation inst;
} fixture;

/* Starts `$DESKMOCK_RECEIVER --port 0 --mock URL` and reads the URL it
 * listens on from its first line of output. Returns 0, or -1 (nothing left
 * running). */
static int start_receiver(fixture *f)
{
    const char *cmd = getenv("DESKMOCK_RECEIVER");
    if (!cmd || !*cmd) {
        fprintf(stderr, "set DESKMOCK_RECEIVER to the receiver's command\n");
        return -1;
    }
    char line[4096];
    snprintf(line, sizeof line, "exec %s --port 0 --mock %s", cmd, dh_url(f->mock));
    int out[2];
    if (pipe(out) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        execl("/bin/sh", "sh", "-c", line, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *r = fdopen(out[0], "r");
    const char *prefix = "listening on ";
    int ok = r && fgets(line, sizeof line, r) && strncmp(line, prefix, strlen(prefix)) == 0;
    if (r)
        fclose(r); /* the receiver's later output goes nowhere */
    else
        close(out[0]);
    if (!ok) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        fprintf(stderr, "the receiver did not say where it listens\n");
        return -1;
    }
    line[strcspn(line, "\r\n")] = '\0';
    snprintf(f->receiver_url, sizeof f->receiver_url, "%s", line + strlen(prefix));
    f->receiver = pid;
    return 0;
}

static void stop_receiver(fixture *f)
{
    if (f->receiver <= 0) return;
    kill(f->receiver, SIGTERM);
    waitpid(f->receiver, NULL, 0);
    f->receiver = 0;
}

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char err[256];
    dh_options o = {0};
    o.retry_schedule = "none"; /* a failed delivery fails the test, not a retry later */
    f->mock = dh_start(&o, err, sizeof err);
    if (!f->mock) {
        fprintf(stderr, "dh_start: %s\n", err);
        free(f);
        return -1;
    }
    if (start_receiver(f) != 0) {
        dh_stop(f->mock);
        free(f);
        return -1;
    }

    /* Install the extension with its webhook at the receiver: the mock sends
     * the unsigned GET check, creates the webhook, and posts orgId,
     * securityContext and installationId to the authorise URL. */
    char hook[160], authorise[160];
    snprintf(hook, sizeof hook, "%s/hook", f->receiver_url);
    snprintf(authorise, sizeof authorise, "%s/authorise", f->receiver_url);
    const char *ext = getenv("DESKMOCK_EXTENSION");
    dh_install_options io = {0};
    io.extension_dir = ext && *ext ? ext : "fixtures/extensions/conformance";
    io.webhook_url = hook;
    io.authorise_url = authorise;
    if (dh_install(f->mock, &io, &f->inst) != 0) {
        fprintf(stderr, "dh_install: %s", dh_report(f->mock));
        goto fail;
    }

    /* The authorise callback travels on its own: wait (a journal long-poll,
     * no sleep) until the receiver has answered it. */
    dh_response r;
    if (dh_call(f->mock, "GET", "/mock/v1/journal?kind=callback&wait=5000", NULL, NULL, &r) != 0 ||
        !strstr(r.body, "\"ok\":true")) {
        fprintf(stderr, "the receiver did not accept the authorise callback: %s\n", r.body);
        dh_response_free(&r);
        goto fail;
    }
    dh_response_free(&r);
    *state = f;
    return 0;
fail:
    stop_receiver(f);
    dh_stop(f->mock);
    free(f);
    return -1;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    /* The receiver first: its keep-alive connections to the mock close with
     * it, and dh_stop() checks that nothing was left open. */
    stop_receiver(f);
    int rc = dh_stop(f->mock);
    free(f);
    return rc;
}

/* A new ticket reaches the receiver as Ticket_Add, answered 200 in time; the
 * receiver writes one comment back on it, and that comment does not come
 * back to the receiver and make it write again. */
static void new_ticket_is_delivered_and_gets_a_comment(void **state)
{
    fixture *f = *state;
    uint64_t mark = dh_mark(f->mock);
    char id[32];
    dh_assert_ok(f->mock, dh_ticket_create(f->mock, "agent",
                                           "{\"subject\":\"Printer on fire\","
                                           "\"departmentId\":\"18920000000000101\","
                                           "\"contactId\":\"18920000000000301\"}",
                                           id));
    dh_assert_delivered(f->mock, mark, "Ticket_Add", 8000);

    char glob[96];
    snprintf(glob, sizeof glob, "*/api/v1/tickets/%s/comments", id);
    dh_assert_call(f->mock, mark, "POST", glob, 8000);
    dh_assert_no_loop(f->mock, mark, 500);
}

/* An update reaches the receiver with the changed value in its payload. */
static void status_change_is_delivered(void **state)
{
    fixture *f = *state;
    uint64_t mark = dh_mark(f->mock);
    dh_assert_ok(f->mock, dh_ticket_update(f->mock, "agent", "18920000000000401",
                                           "{\"status\":\"On Hold\"}"));
    dh_assert_ok(f->mock,
                 dh_expect_delivered(f->mock, mark, "Ticket_Update", "status", "On Hold", 0, 8000));
    /* the receiver writes back on Ticket_Add only */
    dh_assert_no_call(f->mock, mark, "POST", "*", 300);
}

/* A delivery with a bad RS256 signature is refused, and nothing is written
 * because of it. */
static void forged_delivery_is_refused(void **state)
{
    fixture *f = *state;
    char events[256];
    snprintf(events, sizeof events,
             "[{\"eventType\":\"Ticket_Add\",\"orgId\":\"%s\",\"eventTime\":\"1767225600000\","
             "\"payload\":{\"id\":\"18920000000000401\",\"subject\":\"Forged\"}}]",
             dh_org_id(f->mock));
    long status = 0;
    uint64_t forged = 0;
    dh_assert_ok(f->mock, dh_forge(f->mock, f->inst.webhook_id, "bad-signature", NULL, events, NULL,
                                   &status, &forged));
    dh_assert_refused(f->mock, forged, 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_ticket_is_delivered_and_gets_a_comment),
        cmocka_unit_test(status_change_is_delivered),
        cmocka_unit_test(forged_delivery_is_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
