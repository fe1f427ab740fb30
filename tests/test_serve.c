/* test_serve.c -- the real deskmock binary, run with fork/exec as CI runs it:
 * serve --port 0 --ready-file --journal, a request, SIGTERM, exit 0; a broken
 * org file; --help; an unknown command. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "receiver.h"
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BOUND_MS 10000 /* how long a child may take to get ready or to exit */

typedef struct fixture {
    char dir[64];
    char ready[128], journal[128], out[128], err[128], org[128];
    pid_t pid; /* a running child, or 0 */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/dmt-serve-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->ready, sizeof f->ready, "%s/ready.json", f->dir);
    snprintf(f->journal, sizeof f->journal, "%s/journal.jsonl", f->dir);
    snprintf(f->out, sizeof f->out, "%s/stdout", f->dir);
    snprintf(f->err, sizeof f->err, "%s/stderr", f->dir);
    snprintf(f->org, sizeof f->org, "%s/org.json", f->dir);
    *state = f;
    return 0;
}

/* Kills a child the test left running (a failed assertion), then cleans up. */
static int teardown(void **state)
{
    fixture *f = *state;
    if (f->pid > 0) {
        kill(f->pid, SIGKILL);
        waitpid(f->pid, NULL, 0);
    }
    const char *files[] = {f->ready, f->journal, f->out, f->err, f->org};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        unlink(files[i]);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", f->ready);
    unlink(tmp);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* ==== Helpers ==== */

/* Starts DM_DESKMOCK_BIN with args (NULL-terminated, without argv[0]), its
 * stdout and stderr going to f->out and f->err. */
static void spawn(fixture *f, const char *const *args)
{
    const char *argv[32];
    size_t n = 0;
    argv[n++] = DM_DESKMOCK_BIN;
    for (; *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(f->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(f->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(126);
        execv(DM_DESKMOCK_BIN, (char *const *)argv);
        _exit(127);
    }
    f->pid = pid;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits for the child to exit, at most BOUND_MS; returns its wait status.
 * Uses a pidfd where the kernel has one (no polling), else polls waitpid. */
static int wait_exit(fixture *f)
{
    int st = 0;
#ifdef SYS_pidfd_open
    int fd = (int)syscall(SYS_pidfd_open, f->pid, 0);
    if (fd >= 0) {
        struct pollfd p = {fd, POLLIN, 0};
        int ready = poll(&p, 1, BOUND_MS);
        close(fd);
        if (ready == 1) {
            assert_int_equal(waitpid(f->pid, &st, 0), f->pid);
            f->pid = 0;
            return st;
        }
        fail_msg("deskmock did not exit within %d ms", BOUND_MS);
    }
#endif
    for (int waited = 0; waited < BOUND_MS; waited += 5) {
        pid_t got = waitpid(f->pid, &st, WNOHANG);
        if (got == f->pid) {
            f->pid = 0;
            return st;
        }
        pause_ms(5);
    }
    fail_msg("deskmock did not exit within %d ms", BOUND_MS);
    return -1;
}

/* Runs the binary to completion; returns its exit code (fails on a signal). */
static int run(fixture *f, const char *const *args)
{
    spawn(f, args);
    int st = wait_exit(f);
    if (!WIFEXITED(st)) fail_msg("deskmock died by signal %d", WTERMSIG(st));
    return WEXITSTATUS(st);
}

/* Polls for the ready file (written atomically by rename), bounded. */
static cJSON *wait_ready(fixture *f)
{
    for (int waited = 0; waited < BOUND_MS; waited += 10) {
        char *text = dmt_read_file(f->ready, NULL);
        if (text) {
            cJSON *j = cJSON_Parse(text);
            free(text);
            if (!j) fail_msg("ready file is not JSON");
            return j;
        }
        int st;
        if (waitpid(f->pid, &st, WNOHANG) == f->pid) {
            f->pid = 0;
            char *err = dmt_read_file(f->err, NULL);
            fail_msg("deskmock exited before it was ready: %s", err ? err : "");
        }
        pause_ms(10);
    }
    fail_msg("no ready file after %d ms", BOUND_MS);
    return NULL;
}

static int contains(const char *path, const char *needle)
{
    char *text = dmt_read_file(path, NULL);
    int hit = text && strstr(text, needle);
    free(text);
    return hit;
}

/* ==== serve ==== */

/* serve --port 0 --ready-file --journal: the ready file's JSON, once ready. */
static cJSON *serve(fixture *f)
{
    const char *args[] = {"serve",  "--port",    "0",        "--ready-file",
                          f->ready, "--journal", f->journal, NULL};
    spawn(f, args);
    return wait_ready(f);
}

/* SIGTERM, then the child must exit 0 within BOUND_MS. */
static void stop_cleanly(fixture *f)
{
    assert_int_equal(kill(f->pid, SIGTERM), 0);
    int st = wait_exit(f);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* serve --port 0 becomes ready, writes {url, orgId, tokens}, serves the Desk
 * API with the admin token, journals to the file, and exits 0 on SIGTERM. */
static void serve_ready_file_request_and_clean_sigterm(void **state)
{
    fixture *f = *state;
    cJSON *ready = serve(f);
    const char *url = dmt_str(ready, "url");
    assert_non_null(url);
    assert_true(strncmp(url, "http://127.0.0.1:", 17) == 0);
    char *end;
    long port = strtol(url + 17, &end, 10);
    assert_true(port > 0 && port < 65536 && *end == '\0');
    assert_string_equal(dmt_str(ready, "orgId"), DMT_ORG);
    const cJSON *tokens = cJSON_GetObjectItem(ready, "tokens");
    assert_string_equal(dmt_str(tokens, "admin"), DMT_ADMIN);
    assert_string_equal(dmt_str(tokens, "agent"), DMT_AGENT);

    char full[256], auth[256], org[64];
    snprintf(full, sizeof full, "%s/api/v1/tickets/%s", url, DMT_TICKET);
    snprintf(auth, sizeof auth, "Authorization: Zoho-oauthtoken %s", dmt_str(tokens, "admin"));
    snprintf(org, sizeof org, "orgId: %s", dmt_str(ready, "orgId"));
    const char *h[] = {auth, org, NULL};
    dmt_resp r;
    assert_int_equal(dmt_http("GET", full, h, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(dmt_str(r.json, "id"), DMT_TICKET);
    dmt_resp_free(&r);
    snprintf(full, sizeof full, "%s/mock/v1/health", url);
    assert_int_equal(dmt_http("GET", full, NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    dmt_resp_free(&r);

    /* the record is in the file while the mock still runs (written before the answer) */
    assert_true(contains(f->journal, "\"path\":\"/api/v1/tickets/" DMT_TICKET "\""));

    stop_cleanly(f);

    char *text = dmt_read_file(f->journal, NULL);
    assert_non_null(text);
    int found = 0;
    for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = '\0';
        cJSON *rec = cJSON_Parse(line);
        if (!rec) fail_msg("journal line is not JSON: %s", line);
        const char *path = dmt_str(rec, "path");
        if (path && strcmp(dmt_str(rec, "kind"), "request") == 0 &&
            strcmp(path, "/api/v1/tickets/" DMT_TICKET) == 0) {
            const cJSON *s = cJSON_GetObjectItem(rec, "status");
            found = cJSON_IsNumber(s) && s->valueint == 200;
            assert_string_equal(dmt_str(rec, "remote"), "127.0.0.1");
        }
        cJSON_Delete(rec);
    }
    free(text);
    assert_true(found);
    char want[200];
    snprintf(want, sizeof want, "deskmock listening on %s", url);
    assert_true(contains(f->out, want));
    cJSON_Delete(ready);
}

/* Waits, bounded, until the file holds needle. */
static int eventually_contains(const char *path, const char *needle)
{
    for (int waited = 0; waited < BOUND_MS; waited += 10) {
        if (contains(path, needle)) return 1;
        pause_ms(10);
    }
    return 0;
}

/* The binary's first webhook: its URL check, a signed delivery, and the
 * delivery's fate in the journal file with no request after it (the loop
 * flushes before it sleeps). */
static void serve_first_webhook_is_checked_signed_and_journaled(void **state)
{
    fixture *f = *state;
    cJSON *ready = serve(f);
    const char *url = dmt_str(ready, "url");
    char full[256], auth[256];
    snprintf(full, sizeof full, "%s/mock/v1/health", url);
    dmt_resp r;
    assert_int_equal(dmt_http("GET", full, NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    dmt_resp_free(&r);

    dmt_recv *recv = dmt_recv_start();
    snprintf(auth, sizeof auth, "Authorization: Zoho-oauthtoken %s", DMT_ADMIN);
    const char *h[] = {auth, "orgId: " DMT_ORG, "Content-Type: application/json", NULL};
    char body[512];
    snprintf(body, sizeof body,
             "{\"name\":\"hook\",\"url\":\"%s/hook\",\"subscriptions\":{\"Ticket_Update\":null}}",
             dmt_recv_url(recv));
    snprintf(full, sizeof full, "%s/api/v1/webhooks", url);
    assert_int_equal(dmt_http("POST", full, h, body, strlen(body), &r), 0);
    assert_int_equal(r.status, 200);
    dmt_resp_free(&r);
    snprintf(full, sizeof full, "%s/api/v1/tickets/%s", url, DMT_TICKET);
    static const char patch[] = "{\"priority\":\"Low\"}";
    assert_int_equal(dmt_http("PATCH", full, h, patch, sizeof patch - 1, &r), 0);
    assert_int_equal(r.status, 200);
    dmt_resp_free(&r);
    assert_int_equal(dmt_recv_wait(recv, "POST", 1, BOUND_MS), 1);
    const dmt_hit *hit = dmt_recv_hit(recv, "POST", 0);
    assert_non_null(hit->jwt);
    assert_int_equal(hit->json ? cJSON_GetArraySize(hit->json) : 0, 1);
    assert_true(eventually_contains(f->journal, "\"kind\":\"fate\""));

    stop_cleanly(f);
    dmt_recv_stop(recv);
    cJSON_Delete(ready);
}

/* serve --org with a file that is not JSON exits non-zero and names the
 * file, line and column on stderr. */
static void serve_broken_org_file_exits_nonzero_with_position(void **state)
{
    fixture *f = *state;
    FILE *o = fopen(f->org, "w");
    assert_non_null(o);
    fputs("{\n  \"org\": {\n    \"id\": \"60001280952\",\n  }\n}\n", o);
    fclose(o);
    const char *args[] = {"serve", "--port", "0", "--org", f->org, "--ready-file", f->ready, NULL};
    int code = run(f, args);
    assert_int_not_equal(code, 0);
    char want[200];
    snprintf(want, sizeof want, "%s:3:24: ", f->org); /* the trailing comma */
    if (!contains(f->err, want)) {
        char *err = dmt_read_file(f->err, NULL);
        fail_msg("stderr lacks \"%s\": %s", want, err ? err : "");
    }
    assert_null(dmt_read_file(f->ready, NULL)); /* never claimed to be ready */
}

/* serve --org with valid JSON that breaks the org format exits non-zero and
 * names the file and the JSON path of the problem. */
static void serve_invalid_org_exits_nonzero_naming_the_field(void **state)
{
    fixture *f = *state;
    FILE *o = fopen(f->org, "w");
    assert_non_null(o);
    fputs("{\"org\": {\"id\": \"42\", \"companyName\": \"X\", \"portalName\": \"x\","
          " \"edition\": \"Gold\"}, \"departments\": [{\"id\": \"1\", \"name\": \"D\"}]}\n",
          o);
    fclose(o);
    const char *args[] = {"serve", "--port", "0", "--org", f->org, NULL};
    assert_int_not_equal(run(f, args), 0);
    char want[200];
    snprintf(want, sizeof want, "%s: /org/edition: ", f->org);
    if (!contains(f->err, want)) {
        char *err = dmt_read_file(f->err, NULL);
        fail_msg("stderr lacks \"%s\": %s", want, err ? err : "");
    }
}

/* serve --org with a small valid org serves that org: its id and tokens. */
static void serve_custom_org_file_serves_that_org(void **state)
{
    fixture *f = *state;
    FILE *o = fopen(f->org, "w");
    assert_non_null(o);
    fputs("{\n"
          "  \"org\": {\"id\": \"777\", \"companyName\": \"Tiny\", \"portalName\": \"tiny\","
          " \"edition\": \"Professional\"},\n"
          "  \"departments\": [{\"id\": \"10\", \"name\": \"Help\"}],\n"
          "  \"agents\": [{\"id\": \"20\", \"lastName\": \"Root\", \"emailId\": "
          "\"root@tiny.example\","
          " \"role\": \"admin\", \"token\": \"tiny-admin\", \"scopes\": [\"Desk.tickets.ALL\"]}],\n"
          "  \"contacts\": [{\"id\": \"30\", \"lastName\": \"Customer\"}],\n"
          "  \"tickets\": [{\"id\": \"40\", \"subject\": \"First\", \"departmentId\": \"10\","
          " \"contactId\": \"30\"}]\n"
          "}\n",
          o);
    fclose(o);
    const char *args[] = {"serve",        "--port", "0",       "--org", f->org,
                          "--ready-file", f->ready, "--quiet", NULL};
    spawn(f, args);
    cJSON *ready = wait_ready(f);
    assert_string_equal(dmt_str(ready, "orgId"), "777");
    assert_string_equal(dmt_str(cJSON_GetObjectItem(ready, "tokens"), "admin"), "tiny-admin");
    char full[256];
    snprintf(full, sizeof full, "%s/api/v1/tickets/40", dmt_str(ready, "url"));
    const char *h[] = {"Authorization: Zoho-oauthtoken tiny-admin", "orgId: 777", NULL};
    dmt_resp r;
    assert_int_equal(dmt_http("GET", full, h, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(dmt_str(r.json, "ticketNumber"), "101");
    assert_string_equal(dmt_str(cJSON_GetObjectItem(r.json, "department"), "name"), "Help");
    dmt_resp_free(&r);
    cJSON_Delete(ready);
    stop_cleanly(f);
    char *out = dmt_read_file(f->out, NULL);
    assert_non_null(out);
    assert_string_equal(out, ""); /* --quiet */
    free(out);
}

/* ==== CLI ==== */

/* deskmock --help and deskmock serve --help print usage and exit 0. */
static void help_exits_0(void **state)
{
    fixture *f = *state;
    const char *top[] = {"--help", NULL};
    assert_int_equal(run(f, top), 0);
    assert_true(contains(f->out, "usage: deskmock"));
    const char *serve[] = {"serve", "--help", NULL};
    assert_int_equal(run(f, serve), 0);
    assert_true(contains(f->out, "usage: deskmock serve"));
    assert_true(contains(f->out, "--ready-file"));
}

/* An unknown command, no command, or a bad option exits 2 with a message. */
static void unknown_command_exits_2(void **state)
{
    fixture *f = *state;
    const char *bogus[] = {"frobnicate", NULL};
    assert_int_equal(run(f, bogus), 2);
    assert_true(contains(f->err, "frobnicate"));
    const char *none[] = {NULL};
    assert_int_equal(run(f, none), 2);
    const char *badport[] = {"serve", "--port", "http", NULL};
    assert_int_equal(run(f, badport), 2);
    assert_true(contains(f->err, "--port"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(serve_ready_file_request_and_clean_sigterm),
        T(serve_first_webhook_is_checked_signed_and_journaled),
        T(serve_broken_org_file_exits_nonzero_with_position),
        T(serve_invalid_org_exits_nonzero_naming_the_field),
        T(serve_custom_org_file_serves_that_org),
        T(help_exits_0),
        T(unknown_command_exits_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
