/* receiver.h -- the one small webhook receiver shared by the tests, the load
 * test and the benchmarks: libmicrohttpd on 127.0.0.1, port 0, its own
 * threads. It counts every request and, unless asked to keep counts only,
 * records each one; it answers with scripted statuses, after an optional
 * delay, and can hold requests of one method until released. A hook sees
 * each complete request and may change its status.
 *
 * receiver.c needs only libmicrohttpd, cJSON and pthreads (the benchmarks
 * build it without libdeskmock or CMocka). dmt_recv_start and
 * dmt_recv_start_with, which fail the running test, are in support.c. */
#ifndef DMT_RECEIVER_H
#define DMT_RECEIVER_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dmt_hit {
    char method[16];
    char *url; /* path and query, as sent (count-only: the path alone) */
    char *jwt; /* X-ZDesk-JWT header, or NULL */
    char *content_type;
    char *body; /* NUL-terminated; at most opts.body_keep bytes when set */
    size_t len;
    cJSON *json; /* parsed body, or NULL (always NULL when counting only) */
} dmt_hit;

typedef struct dmt_recv dmt_recv;

/* Called once for each complete request, on the thread that received it,
 * outside the receiver's lock (guard your own state), before the request is
 * counted, delayed or held. status is what the receiver would answer (the
 * script, then the default); the hook returns what to answer. The hit is
 * the recorded one, or, when counting only, valid during the call only. */
typedef int (*dmt_recv_hook)(void *ud, const dmt_hit *h, int status);

typedef struct dmt_recv_opts {
    /* Keep counts, not hits: nothing grows with the requests, and
     * dmt_recv_hit answers NULL. For the load test and the benchmarks. */
    int count_only;
    /* Serve every connection on one epoll thread instead of a thread each:
     * the fastest, but a delay, a hold or a slow hook stalls them all. */
    int one_thread;
    unsigned max_connections;      /* 0: libmicrohttpd's default */
    unsigned connection_timeout_s; /* idle connections closed after; 0: never */
    size_t body_keep;              /* body bytes kept per request; 0: all */
    const char *answer;            /* body of every answer; NULL: "ok" */
    /* Parses each recorded body into hit.json; NULL: left NULL. */
    cJSON *(*parse)(const char *body, size_t len);
    dmt_recv_hook hook;
    void *hook_ud;
} dmt_recv_opts;

/* Starts a receiver (opts NULL: the defaults, all zero) that answers 200 to
 * everything; NULL when it cannot listen. */
dmt_recv *dmt_recv_open(const dmt_recv_opts *opts);
/* For tests (support.c): dmt_recv_open with bodies parsed strictly, as
 * deskmock parses JSON, failing the test when it cannot listen. */
dmt_recv *dmt_recv_start(void);
/* The same with opts; opts->parse, when NULL, is the strict parser too. */
dmt_recv *dmt_recv_start_with(const dmt_recv_opts *opts);
void dmt_recv_stop(dmt_recv *r); /* releases any hold first; NULL does nothing */
/* "http://127.0.0.1:PORT" */
const char *dmt_recv_url(const dmt_recv *r);

/* Status for POSTs once the script is used up (default 200). */
void dmt_recv_set_status(dmt_recv *r, int status);
/* The next POSTs answer these statuses in turn, then the default. */
void dmt_recv_script(dmt_recv *r, const int *statuses, size_t n);
/* Status for GETs (the URL check; default 200). */
void dmt_recv_set_get_status(dmt_recv *r, int status);
/* Each answer waits this long first (default 0). */
void dmt_recv_set_delay(dmt_recv *r, int ms);
/* From now on, requests with method wait before their answer until
 * dmt_recv_release; zeroes dmt_recv_held. */
void dmt_recv_hold(dmt_recv *r, const char *method);
void dmt_recv_release(dmt_recv *r);
/* Requests that reached the hold since dmt_recv_hold. */
size_t dmt_recv_held(dmt_recv *r);

/* Hits so far with method ("GET", "POST"; NULL = any). */
size_t dmt_recv_count(dmt_recv *r, const char *method);
/* Waits until at least n hits with method arrived or timeout_ms passed
 * (real time); returns the count then. */
size_t dmt_recv_wait(dmt_recv *r, const char *method, size_t n, int timeout_ms);
/* Waits until done(ud) or timeout_ms passed; done is called under the
 * receiver's lock, at the start and after each request is counted or held.
 * Returns done(ud) at the end. */
int dmt_recv_wait_for(dmt_recv *r, int (*done)(void *ud), void *ud, int timeout_ms);
/* The i-th hit with method (borrowed; valid until dmt_recv_stop or
 * dmt_recv_reset), or NULL; always NULL when counting only. */
const dmt_hit *dmt_recv_hit(dmt_recv *r, const char *method, size_t i);
/* The most requests that were between arrival and answer at once. */
int dmt_recv_max_inflight(dmt_recv *r);
/* Forgets every hit and count (call while nothing is in flight). */
void dmt_recv_reset(dmt_recv *r);

#endif
