/* outbound.h -- every HTTP request the mock makes (deliveries, URL checks,
 * listener callbacks, forwarded invoke calls, shaped deliveries) goes through
 * here, on the loop's libcurl multi handle, and only to this machine: a URL
 * whose host is not a loopback address is refused before anything is sent,
 * and a connection to an address that is not this machine's (a proxy, a name
 * that resolved elsewhere) is refused when libcurl opens the socket. Owns its
 * transfers; no redirects are followed, no proxy is used. */
#ifndef DM_OUTBOUND_H
#define DM_OUTBOUND_H

#include "loop/loop.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dm_outbound dm_outbound;

typedef struct dm_out_req {
    const char *method;         /* "GET", "POST", "PATCH", ...; NULL: GET, or POST with a body */
    const char *url;            /* copied */
    const char *const *headers; /* "Name: value" lines, NULL-terminated, copied; may be NULL */
    const char *body;           /* copied; NULL: no body */
    size_t body_len;
    int64_t timeout_ms; /* no answer within it: status 0, error set */
    size_t keep;        /* bytes of the answer kept for the callback (0: none) */
} dm_out_req;

typedef struct dm_out_res {
    long status;       /* the answer's HTTP status; 0 when none came */
    const char *error; /* why no answer came (libcurl's words, or the refusal); NULL when one did */
    double secs;       /* from the start of the request to its end */
    const char *body;  /* the answer's first `keep` bytes, NUL-terminated; never NULL */
    size_t body_len;
    int refused; /* 1 when the mock refused to send it (not this machine) */
} dm_out_res;

/* Called exactly once per request that was not cancelled, on the loop thread,
 * never from inside dm_out_send. res and what it points to are borrowed for
 * the call. */
typedef void (*dm_out_fn)(void *ud, const dm_out_res *res);

dm_outbound *dm_outbound_new(dm_loop *loop);
/* Cancels what is in flight (no callbacks) and frees o. NULL does nothing. */
void dm_outbound_free(dm_outbound *o);

/* Starts a request; returns its id (> 0) for dm_out_cancel. */
uint64_t dm_out_send(dm_outbound *o, const dm_out_req *req, dm_out_fn fn, void *ud);
/* Stops request id; its callback is not called. Finished or unknown ids are
 * ignored. */
void dm_out_cancel(dm_outbound *o, uint64_t id);
/* Requests started and neither finished nor cancelled. */
size_t dm_out_in_flight(const dm_outbound *o);

#endif
