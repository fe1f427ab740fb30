/* test_bad_input.c -- hostile and broken HTTP input against a real mock on
 * loopback: oversize headers and URLs, truncated and oversize bodies, wrong
 * content types, JSON that is not UTF-8, too deep, out of range, with
 * duplicate keys or NUL bytes, bytes that are not UTF-8 in the path, query
 * and headers, non-HTTP garbage, slow-loris clients and more connections
 * than the limit, clients that hang up mid request. Each gets a clear error or a closed connection;
 * other clients are served meanwhile; afterwards /mock/v1/health answers and the journal (over HTTP
 * and in its file) is whole: every record parses as strict JSON and seq only grows. Raw sockets
 * where curl would refuse to send the bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"
#include "util/buf.h"
#include "util/json.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define AUTH "Authorization: Zoho-oauthtoken " DMT_ADMIN "\r\n"
#define ORG  "orgId: " DMT_ORG "\r\n"
#define T401 "/api/v1/tickets/" DMT_TICKET

/* Waits this long for something that should happen (a close, an answer);
 * a bound against hanging, never a measure of speed. */
#define PATIENCE_MS 10000

typedef struct fx {
    char dir[64];
    char journal[96];
    dmt_mock *m;
    int fds[32];
    int nfds;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/dmt-bad-input-XXXXXX");
    if (!mkdtemp(f->dir)) fail_msg("mkdtemp: %s", strerror(errno));
    snprintf(f->journal, sizeof f->journal, "%s/journal.jsonl", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dmt_mock_stop(f->m); /* first: with the test's sockets (and a black hole) still open */
    for (int i = 0; i < f->nfds; i++)
        if (f->fds[i] >= 0) close(f->fds[i]);
    remove(f->journal);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Starts the mock with a journal file in the test's folder. */
static dmt_mock *start(fx *f, dm_app_opts *o)
{
    dm_app_opts d = {0};
    if (!o) o = &d;
    o->journal_file = f->journal;
    return f->m = dmt_mock_start(o);
}

/* ==== Raw sockets ==== */

/* A connected socket to the mock; closed in teardown unless raw_close'd. */
static int raw_connect(fx *f)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)dm_app_port(f->m->app));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        fail_msg("connect: %s", strerror(errno));
    assert_true(f->nfds < (int)(sizeof f->fds / sizeof f->fds[0]));
    f->fds[f->nfds++] = fd;
    return fd;
}

static void raw_close(fx *f, int fd)
{
    for (int i = 0; i < f->nfds; i++)
        if (f->fds[i] == fd) f->fds[i] = -1;
    close(fd);
}

/* Sends what it can; the mock may close early (that is allowed), so a
 * broken pipe or a reset is not an error here. Returns bytes sent. */
static size_t raw_send(int fd, const void *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, (const char *)data + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += (size_t)n;
    }
    return off;
}

enum { GOT_QUIET, GOT_EOF, GOT_RESET };

/* Reads into out until the peer closes (GOT_EOF), resets (GOT_RESET) or
 * nothing arrives for quiet_ms (GOT_QUIET). */
static int raw_read(int fd, dm_buf *out, int quiet_ms)
{
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int rc = poll(&p, 1, quiet_ms);
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) return GOT_QUIET;
        char chunk[16384];
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return GOT_RESET;
        if (n == 0) return GOT_EOF;
        dm_buf_append(out, chunk, (size_t)n);
    }
}

/* Reads into out until it holds needle; fails the test when the peer closes
 * first or nothing comes for PATIENCE_MS. */
static void raw_read_until(int fd, dm_buf *out, const char *needle)
{
    while (!out->data || !strstr(out->data, needle)) {
        struct pollfd p = {fd, POLLIN, 0};
        int rc = poll(&p, 1, PATIENCE_MS);
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) fail_msg("waited for \"%s\", got: %.200s", needle, out->data);
        char chunk[4096];
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail_msg("closed before \"%s\": %.200s", needle, out->data);
        dm_buf_append(out, chunk, (size_t)n);
    }
}

/* The status of an HTTP/1.x status line at the start of s, else 0. */
static int status_of(const char *s)
{
    int st = 0;
    if (!s || sscanf(s, "HTTP/1.%*d %d", &st) != 1) return 0;
    return st;
}

/* Sends req on a new connection and reads until the mock closes it (the
 * requests here ask for Connection: close or are ones it must end). Returns
 * the answer's status, or 0 when it closed without one. */
static int raw_exchange(fx *f, const void *req, size_t len, dm_buf *answer)
{
    int fd = raw_connect(f);
    raw_send(fd, req, len);
    int how = raw_read(fd, answer, PATIENCE_MS);
    if (how == GOT_QUIET) fail_msg("the mock neither answered nor closed: %.200s", answer->data);
    raw_close(f, fd);
    return status_of(answer->data);
}

/* The body of a raw answer (after the blank line), or "". */
static const char *body_of(const dm_buf *answer)
{
    const char *p = answer->data ? strstr(answer->data, "\r\n\r\n") : NULL;
    return p ? p + 4 : "";
}

/* ==== Is the mock still whole? ==== */

static void expect_status(const dmt_resp *r, long status)
{
    if (r->status != status) fail_msg("expected %ld, got %ld: %s", status, r->status, r->body);
}

static void health_answers(dmt_mock *m)
{
    dmt_resp h = dmt_ctl(m, "GET", "/mock/v1/health", NULL);
    expect_status(&h, 200);
    assert_non_null(h.json);
    assert_string_equal(dmt_str(h.json, "status"), "ok");
    dmt_resp_free(&h);
}

/* Every line of the journal file is one strict-JSON object whose seq is
 * larger than the line before's. Returns the number of records. */
static size_t file_is_whole(const char *path)
{
    size_t len = 0;
    char *text = dmt_read_file(path, &len);
    if (!text) fail_msg("cannot read %s", path);
    size_t n = 0;
    uint64_t last = 0;
    for (char *line = text; line < text + len;) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        if (!nl) fail_msg("journal file: record %zu has no end of line", n + 1);
        cJSON *rec = NULL;
        char why[160];
        if (dm_json_parse(line, (size_t)(nl - line), &rec, why, sizeof why))
            fail_msg("journal file: record %zu does not parse: %s: %.300s", n + 1, why, line);
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(rec, "seq");
        assert_true(cJSON_IsNumber(seq));
        if ((uint64_t)seq->valuedouble <= last)
            fail_msg("journal file: seq %.0f after %llu", seq->valuedouble,
                     (unsigned long long)last);
        last = (uint64_t)seq->valuedouble;
        assert_non_null(dmt_str(rec, "kind"));
        cJSON_Delete(rec);
        n++;
        line = nl + 1;
    }
    free(text);
    return n;
}

/* Health answers, and the journal is whole both through the API (every page
 * parses strictly; seq strictly increasing) and in the file, which holds the
 * same number of records. */
static void still_whole(fx *f)
{
    health_answers(f->m);
    uint64_t after = 0;
    size_t n = 0;
    for (;;) {
        char path[96];
        snprintf(path, sizeof path, "/mock/v1/journal?after=%llu&limit=1000",
                 (unsigned long long)after);
        dmt_resp r = dmt_ctl(f->m, "GET", path, NULL);
        expect_status(&r, 200);
        if (!r.json) fail_msg("the journal page does not parse as strict JSON: %.300s", r.body);
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(r.json, "data"), *x;
        assert_true(cJSON_IsArray(data));
        size_t k = 0;
        cJSON_ArrayForEach(x, data) {
            const cJSON *seq = cJSON_GetObjectItemCaseSensitive(x, "seq");
            assert_true(cJSON_IsNumber(seq));
            assert_true((uint64_t)seq->valuedouble > after);
            after = (uint64_t)seq->valuedouble;
            k++;
        }
        dmt_resp_free(&r);
        if (!k) break;
        n += k;
    }
    assert_int_equal(file_is_whole(f->journal), n);
}

/* Journal records of kind "request" for method and path so far. */
static int requests_for(dmt_mock *m, const char *method, const char *path)
{
    dmt_resp r = dmt_ctl(m, "GET", "/mock/v1/journal?kind=request&limit=100000", NULL);
    expect_status(&r, 200);
    int n = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r.json, "data")) {
        const char *me = dmt_str(x, "method"), *p = dmt_str(x, "path");
        if (me && p && strcmp(me, method) == 0 && strcmp(p, path) == 0) n++;
    }
    dmt_resp_free(&r);
    return n;
}

/* ==== Oversize and truncated requests ==== */

/* A 100 KB header line and a 200 KB URL: libmicrohttpd answers 431/414 (or
 * closes); a client already connected is served meanwhile and afterwards. */
static void oversize_header_and_url_get_an_error_or_a_close(void **state)
{
    fx *f = *state;
    start(f, NULL);
    int bystander = raw_connect(f); /* connected before, served after */

    dm_buf req = {0}, ans = {0};
    dm_buf_puts(&req, "GET /mock/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ");
    for (int i = 0; i < 100 * 1024; i++)
        dm_buf_putc(&req, 'a');
    dm_buf_puts(&req, "\r\n\r\n");
    int st = raw_exchange(f, req.data, req.len, &ans);
    if (st && st != 431 && st != 400 && st != 413)
        fail_msg("a 100 KB header got %d: %.200s", st, ans.data);
    health_answers(f->m);

    dm_buf_reset(&req);
    dm_buf_reset(&ans);
    dm_buf_puts(&req, "GET /mock/v1/health?q=");
    for (int i = 0; i < 200 * 1024; i++)
        dm_buf_putc(&req, 'q');
    dm_buf_puts(&req, " HTTP/1.1\r\nHost: x\r\n\r\n");
    st = raw_exchange(f, req.data, req.len, &ans);
    if (st && st != 414 && st != 431 && st != 400)
        fail_msg("a 200 KB URL got %d: %.200s", st, ans.data);

    static const char get[] =
        "GET /mock/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    raw_send(bystander, get, sizeof get - 1);
    dm_buf_reset(&ans);
    assert_int_equal(raw_read(bystander, &ans, PATIENCE_MS), GOT_EOF);
    assert_int_equal(status_of(ans.data), 200);
    dm_buf_free(&req);
    dm_buf_free(&ans);
    still_whole(f);
}

/* Content-Length 1000 but 20 bytes, then the client stops: other clients are
 * served while it dangles; when it half-closes the mock closes too, without
 * handling the request (no request record, no ticket). */
static void truncated_body_is_dropped_not_handled(void **state)
{
    fx *f = *state;
    start(f, NULL);
    static const char head[] = "POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\n" AUTH ORG
                               "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                               "{\"subject\":\"cut off";
    int fd = raw_connect(f);
    raw_send(fd, head, sizeof head - 1);
    health_answers(f->m); /* served while the upload dangles */
    shutdown(fd, SHUT_WR);
    dm_buf ans = {0};
    int how = raw_read(fd, &ans, PATIENCE_MS);
    if (how == GOT_QUIET) fail_msg("the mock kept a half-closed, truncated upload open");
    int st = status_of(ans.data);
    if (ans.len && st != 400 && st != 413) fail_msg("truncated upload got %.200s", ans.data);
    raw_close(f, fd);

    /* the same, closed outright */
    fd = raw_connect(f);
    raw_send(fd, head, sizeof head - 1);
    raw_close(f, fd);

    health_answers(f->m);
    assert_int_equal(requests_for(f->m, "POST", "/api/v1/tickets"), 0);
    dmt_resp r = dmt_api(f->m, "GET", "/api/v1/tickets?limit=100", DMT_ADMIN, NULL);
    expect_status(&r, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r.json, "data")), 4);
    dmt_resp_free(&r);
    dm_buf_free(&ans);
    still_whole(f);
}

/* A body over 1 MB is 413 PAYLOAD_TOO_LARGE (read to its end, then
 * answered); a Content-Length past any size is refused by libmicrohttpd. */
static void oversize_bodies_are_413(void **state)
{
    fx *f = *state;
    start(f, NULL);
    size_t big = 2u * 1024 * 1024;
    char *body = malloc(big);
    assert_non_null(body);
    memset(body, ' ', big);
    dmt_resp r;
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/tickets", f->m->url);
    const char *h[] = {"Authorization: Zoho-oauthtoken " DMT_ADMIN, "orgId: " DMT_ORG,
                       "Content-Type: application/json", NULL};
    assert_int_equal(dmt_http("POST", url, h, body, big, &r), 0);
    dmt_assert_error(&r, 413, "PAYLOAD_TOO_LARGE");
    dmt_resp_free(&r);
    free(body);

    static const char huge[] =
        "POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\n" AUTH ORG "Content-Type: application/json\r\n"
        "Content-Length: 99999999999999999999999\r\n\r\n{}";
    dm_buf ans = {0};
    int st = raw_exchange(f, huge, sizeof huge - 1, &ans);
    if (st && st != 413 && st != 400) fail_msg("an impossible Content-Length got %d", st);
    dm_buf_free(&ans);
    still_whole(f);
}

/* ==== Bodies that are not what the API takes ==== */

static dmt_resp post_ticket_raw(dmt_mock *m, const char *content_type, const char *body, size_t len)
{
    char url[256], ct[128];
    snprintf(url, sizeof url, "%s/api/v1/tickets", m->url);
    snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
    const char *h[] = {"Authorization: Zoho-oauthtoken " DMT_ADMIN, "orgId: " DMT_ORG, ct, NULL};
    dmt_resp r;
    if (dmt_http("POST", url, h, body, len, &r)) fail_msg("POST /api/v1/tickets: no response");
    return r;
}

/* Asserts a 400 INVALID_DATA whose message contains want. */
static void expect_400(const dmt_resp *r, const char *want)
{
    dmt_assert_error(r, 400, "INVALID_DATA");
    const char *msg = dmt_str(r->json, "message");
    if (!strstr(msg, want)) fail_msg("expected \"%s\" in: %s", want, msg);
}

#define NEW_TICKET                                                                                 \
    "{\"subject\":\"ok\",\"departmentId\":\"" DMT_DEPT_SUPPORT "\",\"contactId\":\"" DMT_CONTACT   \
    "\"}"

/* text/plain (and a body with no Content-Type) on POST /api/v1/tickets is
 * 415 UNSUPPORTED_MEDIA_TYPE naming what came; the same body as JSON works. */
static void wrong_content_type_is_415(void **state)
{
    fx *f = *state;
    start(f, NULL);
    dmt_resp r = post_ticket_raw(f->m, "text/plain", NEW_TICKET, strlen(NEW_TICKET));
    dmt_assert_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE");
    assert_non_null(strstr(dmt_str(r.json, "message"), "text/plain"));
    dmt_resp_free(&r);
    r = post_ticket_raw(f->m, "application/jsonx", NEW_TICKET, strlen(NEW_TICKET));
    dmt_assert_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE");
    dmt_resp_free(&r);
    r = post_ticket_raw(f->m, "application/json; charset=utf-8", NEW_TICKET, strlen(NEW_TICKET));
    expect_status(&r, 200);
    dmt_resp_free(&r);
    still_whole(f);
}

/* A JSON body with bytes that are not UTF-8 inside a string is 400 naming
 * the line and column of the first bad byte. */
static void invalid_utf8_in_json_is_400_with_its_position(void **state)
{
    fx *f = *state;
    start(f, NULL);
    static const char body[] = "{\"subject\":\"a\xff\xfe"
                               "b\"}";
    dmt_resp r = post_ticket_raw(f->m, "application/json", body, sizeof body - 1);
    expect_400(&r, "line 1, column 14: invalid UTF-8 in a string");
    dmt_resp_free(&r);
    /* an overlong encoding of '/' and a lone surrogate are not UTF-8 either */
    static const char overlong[] = "{\"subject\":\"\xc0\xaf\"}";
    r = post_ticket_raw(f->m, "application/json", overlong, sizeof overlong - 1);
    expect_400(&r, "column 13: invalid UTF-8");
    dmt_resp_free(&r);
    static const char surrogate[] = "{\"subject\":\"\xed\xa0\x80\"}";
    r = post_ticket_raw(f->m, "application/json", surrogate, sizeof surrogate - 1);
    expect_400(&r, "column 13: invalid UTF-8");
    dmt_resp_free(&r);
    still_whole(f);
}

/* 100,000 nested arrays are 400 naming the limit (64) at the column where
 * it is passed: no stack overflow. */
static void deep_nesting_is_400_naming_the_depth(void **state)
{
    fx *f = *state;
    start(f, NULL);
    size_t n = 100000;
    char *body = malloc(n + 1);
    assert_non_null(body);
    memset(body, '[', n);
    body[n] = '\0';
    dmt_resp r = post_ticket_raw(f->m, "application/json", body, n);
    expect_400(&r, "line 1, column 65: nesting deeper than 64 levels");
    dmt_resp_free(&r);
    /* objects count the same */
    dm_buf b = {0};
    for (int i = 0; i < 100; i++)
        dm_buf_puts(&b, "{\"a\":");
    r = post_ticket_raw(f->m, "application/json", b.data, b.len);
    expect_400(&r, "nesting deeper than 64 levels");
    dmt_resp_free(&r);
    dm_buf_free(&b);
    free(body);
    still_whole(f);
}

/* 1e400 and -1e400 do not fit a double: 400 "number out of range" at the
 * number. */
static void huge_numbers_are_400_out_of_range(void **state)
{
    fx *f = *state;
    start(f, NULL);
    static const char pos[] = "{\"subject\":\"x\",\"priority\":1e400}";
    dmt_resp r = post_ticket_raw(f->m, "application/json", pos, sizeof pos - 1);
    expect_400(&r, "line 1, column 27: number out of range");
    dmt_resp_free(&r);
    static const char neg[] = "{\"n\":[-1e400]}";
    r = post_ticket_raw(f->m, "application/json", neg, sizeof neg - 1);
    expect_400(&r, "column 7: number out of range");
    dmt_resp_free(&r);
    still_whole(f);
}

/* A key given twice is 400 "duplicate key" naming it, at the second. */
static void duplicate_keys_are_400(void **state)
{
    fx *f = *state;
    start(f, NULL);
    static const char body[] = "{\"subject\":\"a\",\"departmentId\":\"1\",\"subject\":\"b\"}";
    dmt_resp r = post_ticket_raw(f->m, "application/json", body, sizeof body - 1);
    expect_400(&r, "line 1, column 35: duplicate key \"subject\"");
    dmt_resp_free(&r);
    static const char nested[] = "{\"contact\":{\"email\":\"a@b.c\",\"email\":\"a@b.c\"}}";
    r = post_ticket_raw(f->m, "application/json", nested, sizeof nested - 1);
    expect_400(&r, "duplicate key \"email\"");
    dmt_resp_free(&r);
    still_whole(f);
}

/* A NUL byte inside a string, after the value, or as the whole body is 400
 * with its position. */
static void nul_bytes_are_400(void **state)
{
    fx *f = *state;
    start(f, NULL);
    static const char in_string[] = "{\"subject\":\"a\0b\"}";
    dmt_resp r = post_ticket_raw(f->m, "application/json", in_string, sizeof in_string - 1);
    expect_400(&r, "line 1, column 14: NUL byte in a string");
    dmt_resp_free(&r);
    static const char after[] = "{\"subject\":\"a\"}\0";
    r = post_ticket_raw(f->m, "application/json", after, sizeof after - 1);
    expect_400(&r, "line 1, column 16: ");
    expect_400(&r, "NUL byte");
    dmt_resp_free(&r);
    r = post_ticket_raw(f->m, "application/json", "\0", 1);
    expect_400(&r, "line 1, column 1: ");
    dmt_resp_free(&r);
    still_whole(f);
}

/* ==== Bytes that are not HTTP, or not UTF-8, outside the body ==== */

/* Garbage instead of a request line, a bad chunk size, a request line with
 * no version: 400 (or a close), and the mock goes on. */
static void garbage_is_400_or_closed(void **state)
{
    fx *f = *state;
    start(f, NULL);
    static const char *const reqs[] = {
        "\x16\x03\x01\x02\x01\x01\x02\x01\xfc\x03\x03 not HTTP at all\r\n\r\n",
        "GET /mock/v1/health\r\n\r\n",
        "POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\n" AUTH ORG
        "Content-Type: application/json\r\nTransfer-Encoding: "
        "chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n",
        "POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
    };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        dm_buf ans = {0};
        int st = raw_exchange(f, reqs[i], strlen(reqs[i]), &ans);
        if (st && (st < 400 || st > 499)) fail_msg("garbage %zu got %d: %.200s", i, st, ans.data);
        dm_buf_free(&ans);
        health_answers(f->m);
    }
    still_whole(f);
}

/* Bytes that are not UTF-8 in the method, path, query and headers (sourceId
 * travels into change and event records): the answers are strict JSON and
 * the journal stays parseable, the bad bytes replaced by U+FFFD. */
static void non_utf8_bytes_outside_the_body_keep_answers_and_journal_parseable(void **state)
{
    fx *f = *state;
    start(f, NULL);
    const char *reqs[] = {
        "GET /api/v1/tick\xff"
        "ets?a\xfe=%FF HTTP/1.1\r\nHost: x\r\n" AUTH ORG "Connection: close\r\n\r\n",
        "\xff\xfe /mock/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "PATCH " T401 " HTTP/1.1\r\nHost: x\r\n" AUTH ORG "sourceId: \xff\xfe\xc3\r\n"
        "Content-Type: application/json\r\nContent-Length: 17\r\nConnection: close\r\n\r\n"
        "{\"subject\":\"utf\"}",
        NULL, /* built below */
    };
    /* a valid two-byte character cut in half by the 404 message's 200-byte
     * limit on the path: "/x/", 196 letters, then e-acute twice */
    dm_buf cut = {0};
    dm_buf_puts(&cut, "GET /x/");
    for (int i = 0; i < 196; i++)
        dm_buf_putc(&cut, 'a');
    dm_buf_puts(&cut, "\xc3\xa9\xc3\xa9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    reqs[3] = cut.data;
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        dm_buf ans = {0};
        int st = raw_exchange(f, reqs[i], strlen(reqs[i]), &ans);
        if (!st) fail_msg("request %zu: closed without an answer", i);
        const char *body = body_of(&ans);
        cJSON *j = NULL;
        char why[160];
        if (*body && dm_json_parse(body, strlen(body), &j, why, sizeof why))
            fail_msg("request %zu: answer %d is not strict JSON (%s): %s", i, st, why, body);
        cJSON_Delete(j);
        dm_buf_free(&ans);
    }
    /* the PATCH went through, and its sourceId reached change and event */
    dmt_resp r = dmt_ctl(f->m, "GET", "/mock/v1/journal?kind=change,event", NULL);
    expect_status(&r, 200);
    assert_non_null(r.json);
    const cJSON *x;
    int n = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r.json, "data")) {
        assert_string_equal(dmt_str(x, "sourceId"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
        n++;
    }
    assert_int_equal(n, 2);
    dmt_resp_free(&r);
    dm_buf_free(&cut);
    still_whole(f);
}

/* The scrubber behind that: valid UTF-8 (up to 4-byte sequences) is kept
 * byte for byte; each byte of an overlong form, a surrogate, a code point
 * past U+10FFFF, a stray continuation byte or a cut sequence becomes U+FFFD. */
static void utf8_scrub_replaces_only_what_is_not_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
        size_t bad;
    } cases[] = {
        {"plain \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "plain \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
         0},
        {"a\xff"
         "b",
         "a\xef\xbf\xbd"
         "b",
         1},
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd", 2},                 /* overlong '/' */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 3}, /* surrogate */
        {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
         4},                                                 /* > U+10FFFF */
        {"\x80x", "\xef\xbf\xbdx", 1},                       /* stray continuation */
        {"cut \xe2\x82", "cut \xef\xbf\xbd\xef\xbf\xbd", 2}, /* cut at the end */
        {"", "", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dm_buf b = {0};
        dm_buf_puts(&b, cases[i].in);
        assert_int_equal(dm_buf_utf8_scrub(&b), cases[i].bad);
        assert_string_equal(b.data ? b.data : "", cases[i].out);
        assert_int_equal(b.len, strlen(cases[i].out));
        dm_buf_free(&b);
    }
}

/* ==== Slow clients and too many clients ==== */

/* connection_timeout_s 1: a client that connects and sends nothing, one
 * that stops mid request line, and one that sends its headers a byte at a
 * time, with a whole request from another client between every two bytes,
 * then stops. Every whole request is answered while they dangle; all three
 * are closed once idle past the timeout. */
static void slow_loris_clients_are_closed_after_the_timeout_while_others_are_served(void **state)
{
    fx *f = *state;
    dm_app_opts o = {0};
    o.connection_timeout_s = 1;
    start(f, &o);
    int silent = raw_connect(f);
    int stalled = raw_connect(f);
    raw_send(stalled, "GET /mock/v1/hea", 16);
    int trickle = raw_connect(f);
    static const char head[] = "GET /mock/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n";
    for (size_t i = 0; i < sizeof head - 1; i++) {
        assert_int_equal(raw_send(trickle, head + i, 1), 1);
        health_answers(f->m); /* another client, served between two bytes */
    }
    /* the trickler never sends the blank line; everyone else was served */
    int socks[] = {silent, stalled, trickle};
    for (int i = 0; i < 3; i++) {
        dm_buf ans = {0};
        int how = raw_read(socks[i], &ans, PATIENCE_MS);
        if (how == GOT_QUIET) fail_msg("slow client %d still open after the timeout", i);
        /* closed without an answer (libmicrohttpd may say 408 first) */
        if (ans.len && status_of(ans.data) != 408)
            fail_msg("slow client %d got %.200s", i, ans.data);
        dm_buf_free(&ans);
        raw_close(f, socks[i]);
    }
    still_whole(f);
}

/* connection_limit 8: with 8 keep-alive clients connected, a 9th is not
 * served (it waits in the backlog, or is closed); once one of the 8 goes it
 * is served (or, if closed, a new client is), and when all go the mock
 * serves as before. */
static void connections_past_the_limit_wait_or_close_and_the_mock_recovers(void **state)
{
    fx *f = *state;
    dm_app_opts o = {0};
    o.connection_limit = 8;
    start(f, &o);
    static const char ka[] = "GET /mock/v1/health HTTP/1.1\r\nHost: x\r\n\r\n";
    int held[8];
    for (int i = 0; i < 8; i++) {
        held[i] = raw_connect(f);
        raw_send(held[i], ka, sizeof ka - 1);
        dm_buf ans = {0};
        /* answered and kept alive: now surely one of the mock's connections */
        raw_read_until(held[i], &ans, "\"journalRecords\"");
        raw_read_until(held[i], &ans, "}");
        assert_int_equal(status_of(ans.data), 200);
        dm_buf_free(&ans);
    }
    static const char cl[] = "GET /mock/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    int extra = raw_connect(f);
    raw_send(extra, cl, sizeof cl - 1);
    dm_buf ans = {0};
    int how = raw_read(extra, &ans, 1000);
    if (ans.len && status_of(ans.data) != 503)
        fail_msg("a 9th connection was served past the limit of 8: %.100s", ans.data);
    int closed = how != GOT_QUIET;
    print_message("a 9th connection at the limit: %s\n",
                  closed ? "closed by the mock" : "not served, waiting in the backlog");

    raw_close(f, held[0]);
    if (!closed) {
        /* it waited in the backlog: now it is served */
        how = raw_read(extra, &ans, PATIENCE_MS);
        assert_int_equal(how, GOT_EOF);
        assert_int_equal(status_of(ans.data), 200);
    }
    raw_close(f, extra);
    for (int i = 1; i < 8; i++)
        raw_close(f, held[i]);
    dm_buf_free(&ans);
    still_whole(f);
}

/* ==== Clients that go away ==== */

/* A socket that listens but never accepts: a URL check to it connects (the
 * kernel completes the handshake) and never gets an answer. Closed in
 * teardown, after the mock has stopped. */
static int black_hole(fx *f, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    assert_true(f->nfds < (int)(sizeof f->fds / sizeof f->fds[0]));
    f->fds[f->nfds++] = fd;
    return fd;
}

/* Sends a webhook create for the black hole on port, then hangs up. */
static void create_and_vanish(fx *f, int port)
{
    char body[256], req[1024];
    int n = snprintf(body, sizeof body,
                     "{\"name\":\"gone\",\"url\":\"http://127.0.0.1:%d/h\","
                     "\"subscriptions\":{\"Ticket_Update\":null}}",
                     port);
    int len = snprintf(req, sizeof req,
                       "POST /api/v1/webhooks HTTP/1.1\r\nHost: x\r\n" AUTH ORG
                       "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                       n, body);
    int fd = raw_connect(f);
    raw_send(fd, req, (size_t)len);
    raw_close(f, fd);
}

/* The first "response" record after seq after (journal long-polls). */
static cJSON *wait_response(dmt_mock *m, uint64_t after)
{
    for (int i = 0; i < 3; i++) {
        char path[128];
        snprintf(path, sizeof path, "/mock/v1/journal?after=%llu&kind=response&wait=5000",
                 (unsigned long long)after);
        dmt_resp r = dmt_ctl(m, "GET", path, NULL);
        expect_status(&r, 200);
        cJSON *data = cJSON_GetObjectItemCaseSensitive(r.json, "data");
        if (cJSON_GetArraySize(data)) {
            cJSON *rec = cJSON_DetachItemFromArray(data, 0);
            dmt_resp_free(&r);
            return rec;
        }
        dmt_resp_free(&r);
    }
    fail_msg("no response record after %llu", (unsigned long long)after);
    return NULL;
}

static uint64_t last_seq(dmt_mock *m)
{
    dmt_resp h = dmt_ctl(m, "GET", "/mock/v1/health", NULL);
    expect_status(&h, 200);
    uint64_t s = (uint64_t)cJSON_GetObjectItemCaseSensitive(h.json, "lastSeq")->valuedouble;
    dmt_resp_free(&h);
    return s;
}

/* A journal long-poll whose client hangs up, then a write that wakes it; a
 * webhook create whose client hangs up while its URL check waits (answered
 * into the journal, 422 once the check times out); and one still waiting
 * when the mock stops. No crash, nothing leaked (ASan), the mock whole. */
static void clients_that_vanish_mid_request_leave_the_mock_whole(void **state)
{
    fx *f = *state;
    dm_app_opts o = {0};
    o.delivery_timeout_ms = 300; /* also the URL check's timeout */
    start(f, &o);
    int port = 0;
    black_hole(f, &port);

    uint64_t s0 = last_seq(f->m);
    char req[256];
    int len = snprintf(req, sizeof req,
                       "GET /mock/v1/journal?after=%llu&kind=change&wait=60000 HTTP/1.1\r\n"
                       "Host: x\r\n\r\n",
                       (unsigned long long)s0);
    int fd = raw_connect(f);
    raw_send(fd, req, (size_t)len);
    health_answers(f->m); /* the poll is parked: others are served */
    raw_close(f, fd);
    dmt_resp r = dmt_api(f->m, "PATCH", T401, DMT_ADMIN, "{\"priority\":\"Low\"}");
    expect_status(&r, 200); /* its change record wakes the poll of the gone client */
    dmt_resp_free(&r);
    health_answers(f->m);

    uint64_t s1 = last_seq(f->m);
    create_and_vanish(f, port);
    cJSON *rec = wait_response(f->m, s1);
    assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(rec, "status")->valuedouble, 422);
    cJSON_Delete(rec);
    r = dmt_api(f->m, "GET", "/api/v1/webhooks", DMT_ADMIN, NULL);
    expect_status(&r, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r.json, "data")), 0);
    dmt_resp_free(&r);
    still_whole(f);

    create_and_vanish(f, port); /* still checking when teardown stops the mock */
    health_answers(f->m);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(oversize_header_and_url_get_an_error_or_a_close),
        T(truncated_body_is_dropped_not_handled),
        T(oversize_bodies_are_413),
        T(wrong_content_type_is_415),
        T(invalid_utf8_in_json_is_400_with_its_position),
        T(deep_nesting_is_400_naming_the_depth),
        T(huge_numbers_are_400_out_of_range),
        T(duplicate_keys_are_400),
        T(nul_bytes_are_400),
        T(garbage_is_400_or_closed),
        T(non_utf8_bytes_outside_the_body_keep_answers_and_journal_parseable),
        cmocka_unit_test(utf8_scrub_replaces_only_what_is_not_utf8),
        T(slow_loris_clients_are_closed_after_the_timeout_while_others_are_served),
        T(connections_past_the_limit_wait_or_close_and_the_mock_recovers),
        T(clients_that_vanish_mid_request_leave_the_mock_whole),
    };
#undef T
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
