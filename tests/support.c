/* support.c -- see support.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"
#include "receiver.h"
#include "invoke/invoke.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/json.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *run(void *arg)
{
    dm_app_run(arg);
    return NULL;
}

dmt_mock *dmt_mock_start(const dm_app_opts *opts)
{
    static int curl_ready;
    if (!curl_ready) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = 1;
    }
    dm_app_opts o = {0};
    if (opts) o = *opts;
    o.port = 0;
    char err[512];
    dmt_mock *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->app = dm_app_new(&o, err, sizeof err);
    if (!m->app) fail_msg("dm_app_new: %s", err);
    if (dm_app_listen(m->app, err, sizeof err)) fail_msg("dm_app_listen: %s", err);
    snprintf(m->url, sizeof m->url, "%s", dm_app_url(m->app));
    assert_int_equal(pthread_create(&m->thread, NULL, run, m->app), 0);
    return m;
}

void dmt_mock_stop(dmt_mock *m)
{
    if (!m) return;
    dm_app_stop(m->app);
    pthread_join(m->thread, NULL);
    dm_app_free(m->app);
    free(m);
}

int dmt_setup_mock(void **state)
{
    *state = dmt_mock_start(NULL);
    return 0;
}

int dmt_teardown_mock(void **state)
{
    dmt_mock_stop(*state);
    return 0;
}

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    dm_buf_append(ud, p, size * n);
    return size * n;
}

int dmt_http(const char *method, const char *url, const char *const *headers, const char *body,
             size_t body_len, dmt_resp *out)
{
    memset(out, 0, sizeof *out);
    CURL *c = curl_easy_init();
    if (!c) return -1;
    dm_buf b = {0}, h = {0};
    struct curl_slist *hl = NULL;
    for (const char *const *p = headers; p && *p; p++)
        hl = curl_slist_append(hl, *p);
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    out->len = b.len;
    out->body = dm_buf_steal(&b);
    out->headers = dm_buf_steal(&h);
    if (out->len) dm_json_parse(out->body, out->len, &out->json, NULL, 0);
    return rc == CURLE_OK ? 0 : -1;
}

dmt_resp dmt_api_h(dmt_mock *m, const char *method, const char *path, const char *token,
                   const char *body, const char *const *extra)
{
    char url[2048], auth[256];
    const char *h[16];
    size_t n = 0;
    snprintf(url, sizeof url, "%s%s", m->url, path);
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Zoho-oauthtoken %s", token);
        h[n++] = auth;
    }
    h[n++] = "orgId: " DMT_ORG;
    if (body) h[n++] = "Content-Type: application/json";
    for (const char *const *p = extra; p && *p && n < 15; p++)
        h[n++] = *p;
    h[n] = NULL;
    dmt_resp r;
    if (dmt_http(method, url, h, body, body ? strlen(body) : 0, &r))
        fail_msg("%s %s: no response", method, path);
    return r;
}

dmt_resp dmt_api(dmt_mock *m, const char *method, const char *path, const char *token,
                 const char *body)
{
    return dmt_api_h(m, method, path, token, body, NULL);
}

dmt_resp dmt_ctl(dmt_mock *m, const char *method, const char *path, const char *body)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%s", m->url, path);
    const char *h[] = {"Content-Type: application/json", NULL};
    dmt_resp r;
    if (dmt_http(method, url, body ? h : NULL, body, body ? strlen(body) : 0, &r))
        fail_msg("%s %s: no response", method, path);
    return r;
}

void dmt_resp_free(dmt_resp *r)
{
    free(r->body);
    free(r->headers);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

const char *dmt_str(const cJSON *obj, const char *key)
{
    return dm_json_str(obj, key);
}

void dmt_assert_error(const dmt_resp *r, long status, const char *code)
{
    if (r->status != status)
        fail_msg("expected status %ld, got %ld: %s", status, r->status, r->body);
    assert_non_null(r->json);
    const char *got = dm_json_str(r->json, "errorCode");
    if (!got || strcmp(got, code) != 0) fail_msg("expected errorCode %s, got %s", code, r->body);
    assert_non_null(dm_json_str(r->json, "message"));
}

int dmt_run_deskmock(const char *cwd, const char *const *args, char **out)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *argv[8] = {"deskmock"};
        for (int i = 0; args[i] && i < 6; i++)
            argv[i + 1] = args[i];
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 2);
        if (cwd && chdir(cwd) != 0) _exit(127);
        execv(DM_DESKMOCK_BIN, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    dm_buf b = {0};
    dm_buf_append(&b, "", 0);
    char chunk[4096];
    ssize_t n;
    while ((n = read(fds[0], chunk, sizeof chunk)) > 0)
        dm_buf_append(&b, chunk, (size_t)n);
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    *out = dm_buf_steal(&b);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *dmt_read_file(const char *path, size_t *len)
{
    return dm_read_file(path, len);
}

void dmt_invoke_get_hash(const char *secret, const char *ctx, const char *url, char out[65])
{
    dm_kvs kv = {0};
    dm_kvs_add(&kv, "securityContext", ctx);
    dm_kvs_add(&kv, "requestURL", url);
    dm_kvs_add(&kv, "requestType", "GET");
    char *in = dm_invoke_hash_input(&kv, DM_HASH_Q_SKIP);
    dm_invoke_hmac(secret, in, strlen(in), out);
    free(in);
    dm_kvs_free(&kv);
}

dmt_resp dmt_invoke_get(dmt_mock *m, const char *secret, const char *ctx, const char *url,
                        const char *hash)
{
    char good[65], hh[100], body[1024], target[256];
    if (!hash) {
        dmt_invoke_get_hash(secret, ctx, url, good);
        hash = good;
    }
    char *eu = curl_easy_escape(NULL, url, 0);
    snprintf(body, sizeof body, "securityContext=%s&requestURL=%s&requestType=GET", ctx, eu);
    curl_free(eu);
    snprintf(hh, sizeof hh, "HASH: %s", hash);
    snprintf(target, sizeof target, "%s/api/v1/invoke?orgId=%s", m->url, DMT_ORG);
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", hh, NULL};
    dmt_resp r;
    assert_int_equal(dmt_http("POST", target, h, body, strlen(body), &r), 0);
    return r;
}

/* ==== The shared receiver, failing the test when it cannot listen ==== */

/* Bodies parse as deskmock parses JSON: strictly (no duplicate keys). */
static cJSON *parse_strict(const char *body, size_t len)
{
    cJSON *j = NULL;
    dm_json_parse(body, len, &j, NULL, 0);
    return j;
}

dmt_recv *dmt_recv_start_with(const dmt_recv_opts *opts)
{
    dmt_recv_opts o = {0};
    if (opts) o = *opts;
    if (!o.parse) o.parse = parse_strict;
    dmt_recv *r = dmt_recv_open(&o);
    if (!r) fail_msg("receiver: cannot listen");
    return r;
}

dmt_recv *dmt_recv_start(void)
{
    return dmt_recv_start_with(NULL);
}
