/* receiver.h -- a real webhook receiver for tests: libmicrohttpd on a
 * loopback port 0, its own threads, recording every request and answering
 * with scripted statuses and delays. */
#ifndef DMT_RECEIVER_H
#define DMT_RECEIVER_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dmt_hit {
    char method[16];
    char *url;     /* path and query, as sent */
    char *jwt;     /* X-ZDesk-JWT header, or NULL */
    char *content_type;
    char *body;    /* NUL-terminated */
    size_t len;
    cJSON *json;   /* parsed body, or NULL */
} dmt_hit;

typedef struct dmt_recv dmt_recv;

/* Starts a receiver that answers 200 to everything. Fails the test if it
 * cannot. */
dmt_recv *dmt_recv_start(void);
void dmt_recv_stop(dmt_recv *r); /* NULL does nothing */
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

/* Hits so far with method ("GET", "POST"; NULL = any). */
size_t dmt_recv_count(dmt_recv *r, const char *method);
/* Waits until at least n hits with method arrived or timeout_ms passed
 * (real time); returns the count then. */
size_t dmt_recv_wait(dmt_recv *r, const char *method, size_t n, int timeout_ms);
/* The i-th hit with method (borrowed; valid until dmt_recv_stop), or NULL. */
const dmt_hit *dmt_recv_hit(dmt_recv *r, const char *method, size_t i);

#endif
