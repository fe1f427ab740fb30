/* outbound.c -- the mock's outgoing HTTP on libcurl multi, loopback only.
 * The URL's host is checked before sending (no name is looked up), and the
 * socket libcurl opens is checked again against the address it resolved:
 * the second check is the one that cannot be talked around. Easy handles are
 * pooled (a delivery flood reuses them); nothing here retries. */
#include "net/outbound.h"
#include "net/addr.h"
#include "util/buf.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define POOL_MAX 64 /* idle easy handles kept for reuse */

typedef struct call {
    struct call *prev, *next;
    dm_outbound *o;
    uint64_t id;
    CURL *easy;     /* NULL for a refusal waiting to be reported */
    uint64_t timer; /* a refusal: the timer that reports it */
    struct curl_slist *headers;
    char *url, *method, *body;
    size_t body_len, keep;
    dm_buf answer;
    char blocked[320]; /* why it was not sent, or why open_socket refused the address */
    dm_out_fn fn;
    void *ud;
} call;

struct dm_outbound {
    dm_loop *loop;
    call *calls; /* in flight, newest first */
    size_t n;
    uint64_t next_id;
    CURL *pool[POOL_MAX];
    size_t npool;
};

dm_outbound *dm_outbound_new(dm_loop *loop)
{
    dm_outbound *o = dm_xcalloc(1, sizeof *o);
    o->loop = loop;
    o->next_id = 1;
    return o;
}

/* ==== Calls ==== */

static void unlink_call(dm_outbound *o, call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        o->calls = c->next;
    if (c->next) c->next->prev = c->prev;
    o->n--;
}

static void release_easy(dm_outbound *o, CURL *easy)
{
    if (!easy) return;
    if (o->npool < POOL_MAX)
        o->pool[o->npool++] = easy;
    else
        curl_easy_cleanup(easy);
}

static void call_free(call *c)
{
    curl_slist_free_all(c->headers);
    free(c->url);
    free(c->method);
    free(c->body);
    dm_buf_free(&c->answer);
    free(c);
}

static void report(call *c, long status, const char *error, double secs, int refused)
{
    dm_out_res res = {status,        error,  secs, c->answer.data ? c->answer.data : "",
                      c->answer.len, refused};
    c->fn(c->ud, &res);
}

/* ==== The loopback guard ==== */

static void describe(const struct sockaddr *sa, char *out, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip,
                  sizeof ip);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ip,
                  sizeof ip);
    snprintf(out, len,
             "refused to connect to %s: deskmock only calls this machine (127.0.0.0/8, ::1)", ip);
}

/* libcurl's CURLOPT_OPENSOCKETFUNCTION: every connection it makes opens its
 * socket here, with the address already resolved. */
static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    call *c = ud;
    if (purpose != CURLSOCKTYPE_IPCXN || !dm_addr_is_loopback(&a->addr)) {
        describe(&a->addr, c->blocked, sizeof c->blocked);
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* ==== Transfers ==== */

static size_t keep_answer(char *p, size_t size, size_t n, void *ud)
{
    call *c = ud;
    size_t len = size * n;
    if (c->answer.len < c->keep) {
        size_t take = c->keep - c->answer.len;
        dm_buf_append(&c->answer, p, len < take ? len : take);
    }
    return len; /* read and drop the rest, however large */
}

static void transfer_done(void *ud, void *easy, int result)
{
    call *c = ud;
    dm_outbound *o = c->o;
    long status = 0;
    double secs = 0;
    if (result == CURLE_OK) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &secs);
    unlink_call(o, c);
    c->easy = NULL;
    release_easy(o, easy);
    const char *error = NULL;
    if (result != CURLE_OK)
        error = c->blocked[0] ? c->blocked : curl_easy_strerror((CURLcode)result);
    report(c, result == CURLE_OK ? status : 0, error, secs, result != CURLE_OK && c->blocked[0]);
    call_free(c);
}

static void refusal_due(void *ud)
{
    call *c = ud;
    unlink_call(c->o, c);
    c->timer = 0;
    report(c, 0, c->blocked, 0, 1);
    call_free(c);
}

static CURL *easy_for(dm_outbound *o)
{
    if (o->npool) {
        CURL *e = o->pool[--o->npool];
        curl_easy_reset(e);
        return e;
    }
    return curl_easy_init();
}

static void setup(call *c, CURL *e, int64_t timeout_ms)
{
    curl_easy_setopt(e, CURLOPT_URL, c->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never a proxy, whatever the environment says */
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, c);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 5000));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    if (strcmp(c->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        if (strcmp(c->method, "POST") != 0) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body ? c->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
}

uint64_t dm_out_send(dm_outbound *o, const dm_out_req *r, dm_out_fn fn, void *ud)
{
    call *c = dm_xcalloc(1, sizeof *c);
    c->o = o;
    c->id = o->next_id++;
    c->fn = fn;
    c->ud = ud;
    c->keep = r->keep;
    c->url = dm_xstrdup(r->url ? r->url : "");
    c->method = dm_xstrdup(r->method ? r->method : r->body ? "POST" : "GET");
    if (r->body) {
        c->body = dm_xmalloc(r->body_len + 1);
        memcpy(c->body, r->body, r->body_len);
        c->body[r->body_len] = '\0';
        c->body_len = r->body_len;
    }
    for (const char *const *h = r->headers; h && *h; h++)
        c->headers = curl_slist_append(c->headers, *h);
    c->headers = curl_slist_append(c->headers, "Expect:");
    c->next = o->calls;
    if (c->next) c->next->prev = c;
    o->calls = c;
    o->n++;

    char why[128];
    if (dm_url_check(c->url, why, sizeof why)) {
        snprintf(c->blocked, sizeof c->blocked, "refused to send to %.60s: %s", c->url, why);
    } else if (!dm_url_is_loopback(c->url)) {
        snprintf(c->blocked, sizeof c->blocked,
                 "refused: the host of %.60s is not this machine; deskmock only calls 127.0.0.1, "
                 "[::1] or localhost",
                 c->url);
    }
    if (!c->blocked[0]) {
        c->easy = easy_for(o);
        if (c->easy) {
            setup(c, c->easy, r->timeout_ms);
            if (dm_loop_add_transfer(o->loop, c->easy, transfer_done, c) == 0) return c->id;
            release_easy(o, c->easy);
            c->easy = NULL;
        }
        snprintf(c->blocked, sizeof c->blocked, "libcurl could not start the request");
    }
    /* reported from the loop, never from inside this call */
    c->timer = dm_loop_after(o->loop, 0, 0, refusal_due, c);
    return c->id;
}

void dm_out_cancel(dm_outbound *o, uint64_t id)
{
    for (call *c = o->calls; c; c = c->next) {
        if (c->id != id) continue;
        unlink_call(o, c);
        if (c->easy) {
            dm_loop_cancel_transfer(o->loop, c->easy);
            release_easy(o, c->easy);
        }
        if (c->timer) dm_loop_cancel(o->loop, c->timer);
        call_free(c);
        return;
    }
}

size_t dm_out_in_flight(const dm_outbound *o)
{
    return o->n;
}

void dm_outbound_free(dm_outbound *o)
{
    if (!o) return;
    while (o->calls)
        dm_out_cancel(o, o->calls->id);
    for (size_t i = 0; i < o->npool; i++)
        curl_easy_cleanup(o->pool[i]);
    free(o);
}
