/* internal.h -- what the harness's files share; not installed. */
#ifndef DH_INTERNAL_H
#define DH_INTERNAL_H

#include "deskmock/harness.h"
#include "util/buf.h"

#include <curl/curl.h>
#include <pthread.h>

struct dm_app;

struct dh_mock {
    struct dm_app *app; /* embedded mock, or NULL when attached */
    pthread_t thread;
    int running;
    char url[128];
    char org_id[32];
    cJSON *tokens;      /* role -> token */
    int64_t timeout_ms; /* the mock's delivery timeout, as last known */
    CURL *curl;         /* one keep-alive handle for all calls */
    dm_buf report;
};

void dh_reportf(dh_mock *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dh_report_reset(dh_mock *m);
/* One HTTP call without resetting the report. */
int dh_http(dh_mock *m, const char *method, const char *path, const char *as, const char *body,
            long timeout_ms, dh_response *out);
/* A call that must answer 2xx (else -1 and a report). out may be NULL. */
int dh_ok(dh_mock *m, const char *method, const char *path, const char *as, const char *body,
          dh_response *out);
/* dh_ok with body printed from JSON (NULL: no body); body stays the caller's. */
int dh_ok_json(dh_mock *m, const char *method, const char *path, const char *as,
               const cJSON *body, dh_response *out);
/* Journal records after `after` (kinds may be NULL), waiting up to wait_ms
 * for the first one; one page (2000) at most. Owned array; empty on failure. */
cJSON *dh_journal_wait(dh_mock *m, uint64_t after, const char *kinds, int wait_ms);
/* Waits until nothing is journaled for quiet_ms (or cap_ms pass: a receiver
 * in a loop never goes quiet), reading no records; returns the last seq. */
uint64_t dh_journal_quiet(dh_mock *m, uint64_t after, int quiet_ms, int cap_ms);

/* The body of POST /mock/v1/installations: dir, or the built-in conformance
 * extension when dir is NULL; the other arguments may be NULL. Owned. */
cJSON *dh_install_body(const char *dir, const char *webhook_url, const char *authorise_url,
                       const char *uninstall_url, const cJSON *departments);

/* curl_global_init with default flags, callable from pthread_once. */
void curl_global_init_noargs(void);

#endif
