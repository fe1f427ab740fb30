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
    /* A plain webhook's owner: the agent id whose REST calls (request records
     * with this actor) are the receiver's calls. Empty: only calls through
     * invoke or with an extension's token are. */
    char receiver_actor[32];
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
int dh_ok_json(dh_mock *m, const char *method, const char *path, const char *as, const cJSON *body,
               dh_response *out);
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

/* One scenario on its way (scenario.c): the variables its steps see and the
 * installation they act through. dh_run_scenario makes one per scenario;
 * the suite (suite.c) keeps one for the whole run. */
typedef struct dh_run {
    dh_mock *m;
    const dh_scenario_env *env;
    cJSON *vars;     /* name -> string: webhookId, securityContext, ... */
    uint64_t start;  /* the journal mark the expectations look after */
    int extension;   /* attached as an installed extension (reinstall works) */
    int writes_back; /* -1: unknown; 0: the receiver has made no Desk call; 1: it has */
    cJSON
        *single_writes; /* eventType -> Desk calls one single delivery of it caused; may be NULL */
    const char *failed_kind; /* the kind of the expectation that failed ("call", ...), or NULL */
} dh_run;

/* Why the scenario cannot run here (its "requires"), or NULL. */
const char *dh_run_unmet(const dh_run *r, const cJSON *sc);
/* Runs the steps, then the expectations. 0, or -1 with the report written. */
int dh_run_body(dh_run *r, const cJSON *sc);
/* Installs the extension (env's, or dir) with its webhook at the receiver and
 * waits for the authorise callback; sets installationId, securityContext,
 * webhookId and orgId. 0 or -1 (report written). */
int dh_run_install(dh_run *r, const char *dir, const cJSON *departments);
/* Sets a variable from any JSON value (strings as they are). */
void dh_run_var(dh_run *r, const char *name, const cJSON *v);

/* dh_expect_call, counting only calls Desk answered 2xx when ok_only. */
int dh_expect_call_ok(dh_mock *m, uint64_t after, const char *method, const char *url_glob, int min,
                      int timeout_ms, int ok_only);
/* Every event_type event delivered in a batch after `after` caused a Desk call
 * naming its id, when a single delivery of that type caused one (counts in
 * single_writes). */
int dh_expect_batch_like_singles(dh_mock *m, uint64_t after, const char *event_type,
                                 const cJSON *single_writes);
/* A receiver's call to Desk: an invoke record, a request with an extension's
 * token, or a request by the plain webhook's owner; *url gets its URL. */
/* Whether a call (invoke or REST request record) names id in its URL or body. */
int dh_call_names(const cJSON *r, const char *url, const char *id);
int dh_is_call(const dh_mock *m, const cJSON *r, const char *method, const char *url_glob,
               const char **url);
/* The records after `after` of kinds once the journal has been quiet for
 * quiet_ms (at most cap_ms in all). Owned. */
cJSON *dh_settle(dh_mock *m, uint64_t after, const char *kinds, int quiet_ms, int cap_ms);

/* curl_global_init with default flags, callable from pthread_once. */
void curl_global_init_noargs(void);

#endif
