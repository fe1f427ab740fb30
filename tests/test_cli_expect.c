/* test_cli_expect.c -- `deskmock expect`, the real binary run with fork/exec
 * against a mock in this process and a recording receiver: met exits 0 and
 * prints nothing, not met exits 1 with the report on stdout (or as JSON),
 * bad usage or no mock exits 2; DESKMOCK_CONTROL_TOKEN reaches a guarded
 * mock. The verdicts themselves are libdeskharness's, tested there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "receiver.h"
#include "support.h"
#include "util/buf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct fixture {
    dmt_mock *mock;
    dmt_recv *recv;
    char webhook_id[32];
    char token[96]; /* the extension's own Desk API token */
} fixture;

/* A mock with the conformance extension installed, its webhook at a
 * receiver that answers 200. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->mock = dmt_mock_start(NULL);
    f->recv = dmt_recv_start();
    char body[1024];
    snprintf(body, sizeof body,
             "{\"extension\":\"%s/fixtures/extensions/conformance\",\"webhookUrl\":\"%s/hook\"}",
             DM_SOURCE_DIR, dmt_recv_url(f->recv));
    dmt_resp r = dmt_ctl(f->mock, "POST", "/mock/v1/installations", body);
    if (r.status != 201) fail_msg("install: %ld %s", r.status, r.body);
    snprintf(f->webhook_id, sizeof f->webhook_id, "%s", dmt_str(r.json, "webhookId"));
    snprintf(f->token, sizeof f->token, "%s", dmt_str(r.json, "token"));
    dmt_resp_free(&r);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dmt_mock_stop(f->mock);
    dmt_recv_stop(f->recv);
    free(f);
    return 0;
}

/* ==== Helpers ==== */

typedef struct run_result {
    int code;  /* exit status; -1 when it did not exit */
    char *out; /* stdout */
    char *err; /* stderr */
} run_result;

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

static char *slurp(int fd)
{
    dm_buf b = {0};
    dm_buf_append(&b, "", 0);
    char chunk[4096];
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        dm_buf_append(&b, chunk, (size_t)n);
    close(fd);
    return dm_buf_steal(&b);
}

extern char **environ;

/* Runs `deskmock expect ARGS...` (NULL-terminated) with only `token` (may be
 * NULL) as DESKMOCK_CONTROL_TOKEN and no other DESKMOCK_ variable. */
static run_result expect_run(const char *token, const char *const *args)
{
    const char *argv[32] = {"deskmock", "expect"};
    size_t n = 2;
    for (; *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    /* the child's environment, built before fork: the mock's thread runs on */
    const char *envp[256];
    char tok[256];
    size_t ne = 0;
    for (char **e = environ; *e && ne < 254; e++)
        if (strncmp(*e, "DESKMOCK_", 9) != 0) envp[ne++] = *e;
    if (token) {
        snprintf(tok, sizeof tok, "DESKMOCK_CONTROL_TOKEN=%s", token);
        envp[ne++] = tok;
    }
    envp[ne] = NULL;
    char out_path[] = "/tmp/dmt-expect-out-XXXXXX", err_path[] = "/tmp/dmt-expect-err-XXXXXX";
    int out = mkstemp(out_path), err = mkstemp(err_path);
    assert_true(out >= 0 && err >= 0);
    unlink(out_path);
    unlink(err_path);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
        execve(DM_DESKMOCK_BIN, (char *const *)argv, (char *const *)envp);
        _exit(127);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    run_result r = {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(out), slurp(err)};
    return r;
}

static uint64_t mark(fixture *f)
{
    dmt_resp r = dmt_ctl(f->mock, "GET", "/mock/v1/health", NULL);
    const cJSON *s = cJSON_GetObjectItem(r.json, "lastSeq");
    uint64_t seq = cJSON_IsNumber(s) ? (uint64_t)s->valuedouble : 0;
    dmt_resp_free(&r);
    return seq;
}

static void change_priority(fixture *f, const char *priority)
{
    char body[64];
    snprintf(body, sizeof body, "{\"priority\":\"%s\"}", priority);
    dmt_resp r = dmt_api(f->mock, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_AGENT, body);
    assert_int_equal(r.status, 200);
    dmt_resp_free(&r);
}

#define EXPECT_CODE(res, want)                                                                     \
    do {                                                                                           \
        if ((res).code != (want))                                                                  \
            fail_msg("exit %d, not %d; stdout: %s; stderr: %s", (res).code, (want), (res).out,     \
                     (res).err);                                                                   \
    } while (0)

/* ==== Delivered ==== */

/* A delivery that came: exit 0, nothing printed. One that did not (another
 * value at --where, another event type): exit 1 with libdeskharness's report
 * on stdout, naming what was raised instead. */
static void delivered_met_exits_0_and_unmet_exits_1_with_the_report(void **state)
{
    fixture *f = *state;
    char after[32];
    snprintf(after, sizeof after, "%llu", (unsigned long long)mark(f));
    change_priority(f, "Low");

    const char *met[] = {"--mock",       f->mock->url,   "delivered",     "--after",
                         after,          "--event-type", "Ticket_Update", "--where",
                         "priority=Low", "--timeout",    "10000",         NULL};
    run_result r = expect_run(NULL, met);
    EXPECT_CODE(r, 0);
    assert_string_equal(r.out, "");
    run_free(&r);
    assert_true(dmt_recv_count(f->recv, "POST") >= 1);

    const char *other_value[] = {"--mock",        f->mock->url,   "delivered",     "--after",
                                 after,           "--event-type", "Ticket_Update", "--where",
                                 "priority=High", "--timeout",    "300",           NULL};
    r = expect_run(NULL, other_value);
    EXPECT_CODE(r, 1);
    assert_non_null(
        strstr(r.out, "expected a Ticket_Update delivery with payload.priority = High"));
    assert_non_null(strstr(r.out, "no matching Ticket_Update event was raised; events raised: #"));
    run_free(&r);

    const char *other_type[] = {"--mock",       f->mock->url, "delivered", "--after", after,
                                "--event-type", "Ticket_Add", "--timeout", "300",     NULL};
    r = expect_run(NULL, other_type);
    EXPECT_CODE(r, 1);
    assert_non_null(strstr(r.out, "expected a Ticket_Add delivery"));
    run_free(&r);
}

/* --json prints {"ok", "report"} on stdout, met or not; the exit status
 * still says which. */
static void json_prints_ok_and_the_report(void **state)
{
    fixture *f = *state;
    char after[32];
    snprintf(after, sizeof after, "%llu", (unsigned long long)mark(f));
    change_priority(f, "Medium");
    const char *met[] = {"--mock", f->mock->url,   "--json",        "delivered", "--after",
                         after,    "--event-type", "Ticket_Update", NULL};
    run_result r = expect_run(NULL, met);
    EXPECT_CODE(r, 0);
    cJSON *j = cJSON_Parse(r.out);
    assert_non_null(j);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    assert_string_equal(dmt_str(j, "report"), "");
    cJSON_Delete(j);
    run_free(&r);

    const char *unmet[] = {"--mock",       f->mock->url, "delivered", "--json", "--after", after,
                           "--event-type", "Ticket_Add", "--timeout", "200",    NULL};
    r = expect_run(NULL, unmet);
    EXPECT_CODE(r, 1);
    j = cJSON_Parse(r.out);
    assert_non_null(j);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "ok")));
    assert_non_null(strstr(dmt_str(j, "report"), "expected a Ticket_Add delivery"));
    cJSON_Delete(j);
    run_free(&r);
}

/* ==== Calls ==== */

/* A Desk API call with the extension's token is a call the receiver made:
 * call is met, no-call for it is not (its report lists the call), and
 * no-call for another method is met. */
static void call_and_no_call_see_the_extensions_requests(void **state)
{
    fixture *f = *state;
    char after[32];
    snprintf(after, sizeof after, "%llu", (unsigned long long)mark(f));
    dmt_resp g = dmt_api(f->mock, "GET", "/api/v1/tickets/" DMT_TICKET, f->token, NULL);
    assert_int_equal(g.status, 200);
    dmt_resp_free(&g);

    const char *call[] = {"--mock",   f->mock->url, "call",  "--after",           after,
                          "--method", "GET",        "--url", "/api/v1/tickets/*", "--timeout",
                          "5000",     NULL};
    run_result r = expect_run(NULL, call);
    EXPECT_CODE(r, 0);
    run_free(&r);

    const char *two[] = {"--mock", f->mock->url, "call", "--after",   after, "--method",
                         "GET",    "--min",      "2",    "--timeout", "300", NULL};
    r = expect_run(NULL, two);
    EXPECT_CODE(r, 1);
    assert_non_null(strstr(r.out, "at least 2 times"));
    run_free(&r);

    const char *no_get[] = {"--mock",   f->mock->url, "no-call", "--after", after,
                            "--method", "GET",        "--quiet", "200",     NULL};
    r = expect_run(NULL, no_get);
    EXPECT_CODE(r, 1);
    assert_non_null(strstr(r.out, "expected no call GET"));
    assert_non_null(strstr(r.out, "/api/v1/tickets/" DMT_TICKET " -> 200 (the extension's token)"));
    run_free(&r);

    const char *no_post[] = {"--mock",   f->mock->url, "no-call", "--after", after,
                             "--method", "POST",       "--quiet", "200",     NULL};
    r = expect_run(NULL, no_post);
    EXPECT_CODE(r, 0);
    run_free(&r);
}

/* ==== Forged deliveries ==== */

static uint64_t forge(fixture *f, const char *jwt)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"webhookId\":\"%s\",\"jwt\":\"%s\",\"events\":[{\"eventType\":\"Ticket_Add\","
             "\"orgId\":\"" DMT_ORG
             "\",\"eventTime\":\"1767225600000\",\"payload\":{\"id\":\"1\"}}]}",
             f->webhook_id, jwt);
    dmt_resp r = dmt_ctl(f->mock, "POST", "/mock/v1/deliveries", body);
    assert_int_equal(r.status, 200);
    const cJSON *s = cJSON_GetObjectItem(r.json, "forged");
    uint64_t seq = cJSON_IsNumber(s) ? (uint64_t)s->valuedouble : 0;
    dmt_resp_free(&r);
    assert_true(seq > 0);
    return seq;
}

/* A receiver that answers a forged delivery 200 has not refused it (exit 1,
 * "it answered 200"); one that answers 401 has (exit 0). */
static void refused_follows_the_receivers_answer(void **state)
{
    fixture *f = *state;
    char forged[32];
    snprintf(forged, sizeof forged, "%llu", (unsigned long long)forge(f, "bad-signature"));
    const char *args[] = {"--mock", f->mock->url, "refused", "--forged",
                          forged,   "--quiet",    "200",     NULL};
    run_result r = expect_run(NULL, args);
    EXPECT_CODE(r, 1);
    assert_non_null(strstr(r.out, "refuse a forged delivery (JWT: bad-signature)"));
    assert_non_null(strstr(r.out, "it answered 200"));
    run_free(&r);

    dmt_recv_set_status(f->recv, 401);
    snprintf(forged, sizeof forged, "%llu", (unsigned long long)forge(f, "expired"));
    r = expect_run(NULL, args);
    EXPECT_CODE(r, 0);
    run_free(&r);
}

/* ==== Usage, and finding the mock ==== */

/* No verb, an unknown verb, an option the verb does not take, a missing
 * required option, a bad number, or no mock answering: exit 2 and a message
 * on stderr, never a verdict. */
static void bad_usage_and_no_mock_exit_2(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *args[8];
        const char *says;
    } cases[] = {
        {{"--after", "0", NULL}, "give one verb"},
        {{"no-loop", "--after", "0", "no-call", NULL}, "one verb at a time"},
        {{"delivered-ish", "--after", "0", NULL}, "'delivered-ish' is not a verb"},
        {{"delivered", "--after", "0", NULL}, "give --event-type"},
        {{"no-loop", NULL}, "give --after"},
        {{"refused", "--after", "1", "--forged", "2", NULL}, "--after does not apply"},
        {{"no-loop", "--after", "0", "--timeout", "5", NULL}, "--timeout does not apply"},
        {{"call", "--after", "soon", NULL}, "--after soon: expected a journal seq"},
        {{"delivered", "--after", "0", "--event-type", "Ticket_Add", "--where", "status", NULL},
         "expected PATH=VALUE"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[12] = {"--mock", f->mock->url};
        size_t n = 2;
        for (const char *const *a = cases[i].args; *a; a++)
            args[n++] = *a;
        args[n] = NULL;
        run_result r = expect_run(NULL, args);
        EXPECT_CODE(r, 2);
        if (!strstr(r.err, cases[i].says))
            fail_msg("case %zu: stderr lacks \"%s\": %s", i, cases[i].says, r.err);
        assert_string_equal(r.out, "");
        run_free(&r);
    }

    /* no --mock and no DESKMOCK_URL: it says where it looked */
    const char *nowhere[] = {"no-loop", "--after", "0", NULL};
    run_result r = expect_run(NULL, nowhere);
    EXPECT_CODE(r, 2);
    assert_non_null(strstr(r.err, "where is the mock?"));
    run_free(&r);

    /* a port nobody listens on (the receiver's, stopped) */
    char gone[128];
    snprintf(gone, sizeof gone, "%s", dmt_recv_url(f->recv));
    dmt_recv_stop(f->recv);
    f->recv = NULL;
    const char *dead[] = {"--mock", gone, "no-loop", "--after", "0", NULL};
    r = expect_run(NULL, dead);
    EXPECT_CODE(r, 2);
    assert_non_null(strstr(r.err, "does not answer as a deskmock"));
    run_free(&r);
}

/* A mock started with a control token answers expect only when
 * DESKMOCK_CONTROL_TOKEN carries it: without, exit 2; with, a verdict. */
static void control_token_comes_from_the_environment(void **state)
{
    (void)state;
    dm_app_opts o = {0};
    o.control_token = "expect-test-token";
    dmt_mock *guarded = dmt_mock_start(&o);
    const char *args[] = {"--mock", guarded->url, "call", "--after", "0", "--timeout", "100", NULL};
    run_result r = expect_run(NULL, args);
    EXPECT_CODE(r, 2);
    run_free(&r);
    r = expect_run("wrong-token", args);
    EXPECT_CODE(r, 2);
    run_free(&r);
    r = expect_run("expect-test-token", args);
    EXPECT_CODE(r, 1); /* a verdict: no call was made */
    assert_non_null(strstr(r.out, "expected the receiver to call"));
    run_free(&r);
    dmt_mock_stop(guarded);
}

/* deskmock expect --help describes every verb; deskmock --help lists expect. */
static void help_lists_the_verbs(void **state)
{
    (void)state;
    const char *help[] = {"--help", NULL};
    run_result r = expect_run(NULL, help);
    EXPECT_CODE(r, 0);
    const char *verbs[] = {"delivered",           "call",    "no-call", "no-loop",
                           "no-duplicate-writes", "refused", "--json",  "DESKMOCK_CONTROL_TOKEN"};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strstr(r.out, verbs[i])) fail_msg("expect --help lacks %s", verbs[i]);
    run_free(&r);
    char *out = NULL;
    const char *top[] = {"--help", NULL};
    assert_int_equal(dmt_run_deskmock(NULL, top, &out), 0);
    assert_non_null(strstr(out, "  expect "));
    free(out);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(delivered_met_exits_0_and_unmet_exits_1_with_the_report),
        T(json_prints_ok_and_the_report),
        T(call_and_no_call_see_the_extensions_requests),
        T(refused_follows_the_receivers_answer),
        T(bad_usage_and_no_mock_exit_2),
        cmocka_unit_test(control_token_comes_from_the_environment),
        cmocka_unit_test(help_lists_the_verbs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
