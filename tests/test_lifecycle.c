/* test_lifecycle.c -- what waits when the mock is reset, a webhook is
 * deleted, an extension is uninstalled or the mock stops: every parked
 * request gets a clear 503, nothing it borrowed is used after it is gone
 * (these run under AddressSanitizer in CI), every event in flight gets a
 * fate, and a journal file that cannot be written is reported, not ignored. */
#include "hooks.h"
#include "util/err.h"
#include "util/file.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define DOC_EXAMPLE DM_SOURCE_DIR "/fixtures/extensions/doc-example"
#define DOC_SECRET  "d3m0-s3cr3t-5a7c1e9b2f4d6a8c"

/* ==== A call made on another thread, so the test can act while it waits ==== */

typedef struct bg {
    pthread_t thread;
    dmt_mock *m;
    const char *method, *path, *token;
    char *body;
    int control;           /* the control API (no auth) */
    const char *ctx, *url; /* an invoke GET of url as ctx */
    dmt_resp resp;
} bg;

static void *bg_run(void *ud)
{
    bg *b = ud;
    if (b->ctx)
        b->resp = dmt_invoke_get(b->m, DOC_SECRET, b->ctx, b->url, NULL);
    else if (b->control)
        b->resp = dmt_ctl(b->m, b->method, b->path, b->body);
    else
        b->resp = dmt_api(b->m, b->method, b->path, b->token, b->body);
    return NULL;
}

static bg *bg_start(bg *b)
{
    bg *c = malloc(sizeof *c);
    assert_non_null(c);
    *c = *b;
    assert_int_equal(pthread_create(&c->thread, NULL, bg_run, c), 0);
    return c;
}

/* Joins the call; returns its response (the caller frees it). */
static dmt_resp bg_join(bg *c)
{
    pthread_join(c->thread, NULL);
    dmt_resp r = c->resp;
    free(c->body);
    free(c);
    return r;
}

/* Asserts a 503 SERVICE_UNAVAILABLE whose message contains words. */
static void assert_cancelled(const dmt_resp *r, const char *words)
{
    dmt_assert_error(r, 503, "SERVICE_UNAVAILABLE");
    if (!strstr(dmt_str(r->json, "message"), words))
        fail_msg("expected \"%s\" in the message: %s", words, r->body);
}

static char *webhook_body(const char *url)
{
    char *b = malloc(512);
    assert_non_null(b);
    snprintf(b, 512,
             "{\"name\":\"h\",\"url\":\"%s/hook\",\"subscriptions\":{\"Ticket_Update\":null}}",
             url);
    return b;
}

static char *install_body(const char *url)
{
    char *b = malloc(1024);
    assert_non_null(b);
    snprintf(b, 1024, "{\"extension\":\"%s\",\"webhookUrl\":\"%s/hook\"}", DOC_EXAMPLE, url);
    return b;
}

/* A journal file name of this test's own. */
static void temp_journal(char *path, size_t len)
{
    snprintf(path, len, "/tmp/dm-lifecycle-%ld-XXXXXX", (long)getpid());
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* The fate records in a journal file, one JSON line each (owned array). */
static cJSON *file_fates(const char *path)
{
    char *text = dmt_read_file(path, NULL);
    assert_non_null(text);
    cJSON *out = cJSON_CreateArray();
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *r = cJSON_Parse(line);
        if (r && dmt_str(r, "kind") && strcmp(dmt_str(r, "kind"), "fate") == 0)
            cJSON_AddItemToArray(out, r);
        else
            cJSON_Delete(r);
    }
    free(text);
    return out;
}

static int count_fates(const cJSON *fates, const char *fate, const char *reason)
{
    int n = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, fates)
        n += strcmp(dmt_str(f, "fate"), fate) == 0 &&
             strcmp(dmt_str(f, "reason") ? dmt_str(f, "reason") : "", reason) == 0;
    return n;
}

/* ==== Reset ==== */

/* A webhook create waiting on its URL check, then a reset: the create is
 * answered 503 (it would otherwise finish against state the reset freed),
 * no webhook appears, and the mock keeps serving. */
static void reset_answers_a_webhook_create_waiting_on_its_url_check(void **state)
{
    (void)state;
    dmt_mock *m = dmt_mock_start(NULL);
    dmt_recv *slow = dmt_recv_start();
    dmt_recv_set_delay(slow, 1500);
    bg *c = bg_start(&(bg){.m = m,
                           .method = "POST",
                           .path = "/api/v1/webhooks",
                           .token = DMT_ADMIN,
                           .body = webhook_body(dmt_recv_url(slow))});
    assert_int_equal(dmt_recv_wait(slow, "GET", 1, 5000), 1);
    dmt_resp reset = dmt_ctl(m, "POST", "/mock/v1/reset", "{}");
    dmh_status(&reset, 200);
    dmt_resp_free(&reset);
    dmt_resp r = bg_join(c);
    assert_cancelled(&r, "reset");
    dmt_resp_free(&r);
    dmt_resp list = dmt_api(m, "GET", "/api/v1/webhooks", DMT_ADMIN, NULL);
    assert_int_equal(cJSON_GetArraySize(dmh_data(&list)), 0);
    dmt_resp_free(&list);
    /* the answer to the abandoned check, when it comes, changes nothing */
    usleep(1700 * 1000);
    list = dmt_api(m, "GET", "/api/v1/webhooks", DMT_ADMIN, NULL);
    assert_int_equal(cJSON_GetArraySize(dmh_data(&list)), 0);
    dmt_resp_free(&list);
    dmt_recv_stop(slow);
    dmt_mock_stop(m);
}

/* An install waiting on its webhook's URL check, then a reset: 503, and no
 * installation or webhook exists afterwards (the ids the reset reseeded are
 * not reused by a half-finished install). */
static void reset_answers_an_install_waiting_on_its_url_check(void **state)
{
    (void)state;
    dmt_mock *m = dmt_mock_start(NULL);
    dmt_recv *slow = dmt_recv_start();
    dmt_recv_set_delay(slow, 1500);
    bg *c = bg_start(&(bg){.m = m,
                           .method = "POST",
                           .path = "/mock/v1/installations",
                           .control = 1,
                           .body = install_body(dmt_recv_url(slow))});
    assert_int_equal(dmt_recv_wait(slow, "GET", 1, 5000), 1);
    dmt_resp reset = dmt_ctl(m, "POST", "/mock/v1/reset", "{}");
    dmt_resp_free(&reset);
    dmt_resp r = bg_join(c);
    assert_cancelled(&r, "reset");
    dmt_resp_free(&r);
    usleep(1700 * 1000);
    dmt_resp list = dmt_ctl(m, "GET", "/mock/v1/installations", NULL);
    assert_int_equal(cJSON_GetArraySize(dmh_data(&list)), 0);
    dmt_resp_free(&list);
    list = dmt_api(m, "GET", "/api/v1/webhooks", DMT_ADMIN, NULL);
    assert_int_equal(cJSON_GetArraySize(dmh_data(&list)), 0);
    dmt_resp_free(&list);
    dmt_recv_stop(slow);
    dmt_mock_stop(m);
}

typedef struct installed {
    char ctx[80], id[32], wid[32];
} installed;

static void install(dmt_mock *m, const char *url, installed *out)
{
    char *body = install_body(url);
    dmt_resp r = dmt_ctl(m, "POST", "/mock/v1/installations", body);
    free(body);
    dmh_status(&r, 201);
    snprintf(out->ctx, sizeof out->ctx, "%s", dmt_str(r.json, "securityContext"));
    snprintf(out->id, sizeof out->id, "%s", dmt_str(r.json, "installationId"));
    snprintf(out->wid, sizeof out->wid, "%s", dmt_str(r.json, "webhookId"));
    dmt_resp_free(&r);
}

static bg *slow_invoke(dmt_mock *m, const installed *x)
{
    dmt_resp s =
        dmt_ctl(m, "POST", "/mock/v1/invoke-stubs",
                "{\"method\":\"GET\",\"url\":\"https://api.example.com/slow\",\"status\":200,"
                "\"body\":{},\"delayMs\":20000}");
    dmh_status(&s, 201);
    dmt_resp_free(&s);
    uint64_t before = dmh_last_seq(m);
    bg *c = bg_start(&(bg){.m = m, .ctx = x->ctx, .url = "https://api.example.com/slow"});
    cJSON *inv = dmh_wait_kind(m, "invoke", before, 1); /* it is parked now */
    cJSON_Delete(inv);
    return c;
}

/* An invoke answer held back by a stub's delay, then a reset: answered 503
 * at once, not 20 s later by a timer of a state that no longer exists. */
static void reset_answers_a_delayed_invoke(void **state)
{
    (void)state;
    dmt_mock *m = dmt_mock_start(NULL);
    dmt_recv *r0 = dmt_recv_start();
    installed x;
    install(m, dmt_recv_url(r0), &x);
    bg *c = slow_invoke(m, &x);
    dmt_resp reset = dmt_ctl(m, "POST", "/mock/v1/reset", "{}");
    dmt_resp_free(&reset);
    dmt_resp r = bg_join(c);
    assert_cancelled(&r, "reset");
    dmt_resp_free(&r);
    dmt_recv_stop(r0);
    dmt_mock_stop(m);
}

/* The same when the extension is uninstalled instead. */
static void uninstall_answers_its_delayed_invoke(void **state)
{
    (void)state;
    dmt_mock *m = dmt_mock_start(NULL);
    dmt_recv *r0 = dmt_recv_start();
    installed x;
    install(m, dmt_recv_url(r0), &x);
    bg *c = slow_invoke(m, &x);
    char path[128];
    snprintf(path, sizeof path, "/mock/v1/installations/%s", x.id);
    dmt_resp del = dmt_ctl(m, "DELETE", path, NULL);
    dmh_status(&del, 204);
    dmt_resp_free(&del);
    dmt_resp r = bg_join(c);
    assert_cancelled(&r, "uninstalled");
    dmt_resp_free(&r);
    dmt_recv_stop(r0);
    dmt_mock_stop(m);
}

/* A shaped delivery waiting for the receiver's answer, then its webhook is
 * deleted: 503 saying so. */
static void deleting_a_webhook_answers_its_shaped_delivery(void **state)
{
    (void)state;
    dmt_mock *m = dmt_mock_start(NULL);
    dmt_recv *slow = dmt_recv_start();
    char id[32];
    dmh_create(m, dmt_recv_url(slow), "{\"Ticket_Update\":null}", "", id);
    dmt_recv_set_delay(slow, 1500);
    char *body = malloc(256);
    assert_non_null(body);
    snprintf(body, 256, "{\"webhookId\":\"%s\",\"events\":[]}", id);
    bg *c = bg_start(
        &(bg){.m = m, .method = "POST", .path = "/mock/v1/deliveries", .control = 1, .body = body});
    assert_int_equal(dmt_recv_wait(slow, "POST", 1, 5000), 1);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s", id);
    dmt_resp del = dmt_api(m, "DELETE", path, DMT_ADMIN, NULL);
    dmh_status(&del, 204);
    dmt_resp_free(&del);
    dmt_resp r = bg_join(c);
    assert_cancelled(&r, "webhook was deleted");
    dmt_resp_free(&r);
    dmt_recv_stop(slow);
    dmt_mock_stop(m);
}

/* Events queued or in flight when the mock is reset end "dropped" with
 * reason "reset" (the journal file keeps them; memory is cleared). */
static void reset_gives_every_event_in_flight_a_fate(void **state)
{
    (void)state;
    char path[128];
    temp_journal(path, sizeof path);
    dm_app_opts o = {0};
    o.journal_file = path;
    dmt_mock *m = dmt_mock_start(&o);
    dmt_recv *slow = dmt_recv_start();
    char id[32];
    dmh_create(m, dmt_recv_url(slow), "{\"Ticket_Update\":null}", "", id);
    dmt_recv_set_delay(slow, 1500);
    static const char *const prio[] = {"Low", "Medium", "High"};
    for (int i = 0; i < 3; i++) {
        char b[64];
        snprintf(b, sizeof b, "{\"priority\":\"%s\"}", prio[i]);
        dmt_resp p = dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_AGENT, b);
        dmh_status(&p, 200);
        dmt_resp_free(&p);
    }
    assert_int_equal(dmt_recv_wait(slow, "POST", 1, 5000), 1);
    dmt_resp reset = dmt_ctl(m, "POST", "/mock/v1/reset", "{}");
    dmt_resp_free(&reset);
    cJSON *fates = file_fates(path);
    assert_int_equal(count_fates(fates, "dropped", "reset"), 3);
    assert_int_equal(cJSON_GetArraySize(fates), 3);
    cJSON_Delete(fates);
    dmt_recv_stop(slow);
    dmt_mock_stop(m);
    unlink(path);
}

/* ==== Shutdown ==== */

/* Stopping with a request parked and events in flight: the client is
 * answered 503, every event is "dropped" with reason "shutdown", and the
 * shutdown reports success. */
static void shutdown_answers_what_waits_and_gives_every_event_a_fate(void **state)
{
    (void)state;
    char path[128];
    temp_journal(path, sizeof path);
    dm_app_opts o = {0};
    o.journal_file = path;
    dmt_mock *m = dmt_mock_start(&o);
    dmt_recv *slow = dmt_recv_start();
    char id[32];
    dmh_create(m, dmt_recv_url(slow), "{\"Ticket_Update\":null}", "", id);
    dmt_recv_set_delay(slow, 1500);
    dmt_resp p =
        dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_AGENT, "{\"priority\":\"Low\"}");
    dmt_resp_free(&p);
    p = dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_AGENT, "{\"priority\":\"High\"}");
    dmt_resp_free(&p);
    assert_int_equal(dmt_recv_wait(slow, "POST", 1, 5000), 1);
    bg *c = bg_start(&(bg){.m = m,
                           .method = "POST",
                           .path = "/api/v1/webhooks",
                           .token = DMT_ADMIN,
                           .body = webhook_body(dmt_recv_url(slow))});
    /* the first GET was dmh_create's own check */
    assert_int_equal(dmt_recv_wait(slow, "GET", 2, 5000), 2);

    dm_app_stop(m->app);
    pthread_join(m->thread, NULL);
    char err[256] = "";
    assert_int_equal(dm_app_shutdown(m->app, err, sizeof err), 0);
    dmt_resp r = bg_join(c);
    assert_cancelled(&r, "shut down");
    dmt_resp_free(&r);
    cJSON *fates = file_fates(path);
    assert_int_equal(count_fates(fates, "dropped", "shutdown"), 2);
    cJSON_Delete(fates);
    dm_app_free(m->app);
    free(m);
    dmt_recv_stop(slow);
    unlink(path);
}

/* ==== The journal file ==== */

/* --journal /dev/full: every write fails. Health says so, and so do the
 * shutdown and its exit status; the mock keeps answering meanwhile. */
static void journal_write_errors_surface(void **state)
{
    (void)state;
    dm_app_opts o = {0};
    o.journal_file = "/dev/full";
    dmt_mock *m = dmt_mock_start(&o);
    dmt_resp p =
        dmt_api(m, "PATCH", "/api/v1/tickets/" DMT_TICKET, DMT_AGENT, "{\"priority\":\"Low\"}");
    dmh_status(&p, 200);
    dmt_resp_free(&p);
    dmt_resp h = dmt_ctl(m, "GET", "/mock/v1/health", NULL);
    dmh_status(&h, 200);
    assert_string_equal(dmt_str(h.json, "status"), "error");
    assert_non_null(strstr(dmt_str(h.json, "journalFileError"), "/dev/full"));
    dmt_resp_free(&h);
    dm_app_stop(m->app);
    pthread_join(m->thread, NULL);
    char err[256] = "";
    assert_int_equal(dm_app_shutdown(m->app, err, sizeof err), DM_EIO);
    assert_non_null(strstr(err, "No space left on device"));
    dm_app_free(m->app);
    free(m);
}

/* The deskmock binary exits non-zero when its journal file could not be
 * written. */
static void serve_exits_non_zero_when_the_journal_file_fails(void **state)
{
    (void)state;
    char ready[128];
    temp_journal(ready, sizeof ready);
    unlink(ready);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1), dup2(null, 2);
        execl(DM_DESKMOCK_BIN, "deskmock", "serve", "--port", "0", "--journal", "/dev/full",
              "--ready-file", ready, (char *)NULL);
        _exit(127);
    }
    char *text = NULL;
    for (int i = 0; i < 200 && !text; i++) {
        text = dmt_read_file(ready, NULL);
        if (!text) usleep(20000);
    }
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    dmt_mock view = {0};
    snprintf(view.url, sizeof view.url, "%s", dmt_str(j, "url"));
    cJSON_Delete(j);
    dmt_resp reset = dmt_ctl(&view, "POST", "/mock/v1/reset", "{}");
    dmt_resp_free(&reset);
    kill(pid, SIGTERM);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    unlink(ready);
}

int main(void)
{
#define T(f) cmocka_unit_test(f)
    const struct CMUnitTest tests[] = {
        T(reset_answers_a_webhook_create_waiting_on_its_url_check),
        T(reset_answers_an_install_waiting_on_its_url_check),
        T(reset_answers_a_delayed_invoke),
        T(uninstall_answers_its_delayed_invoke),
        T(deleting_a_webhook_answers_its_shaped_delivery),
        T(reset_gives_every_event_in_flight_a_fate),
        T(shutdown_answers_what_waits_and_gives_every_event_a_fate),
        T(journal_write_errors_surface),
        T(serve_exits_non_zero_when_the_journal_file_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
