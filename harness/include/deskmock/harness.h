/* deskmock/harness.h -- test a Zoho Desk webhook receiver against deskmock.
 *
 * libdeskharness starts a mock Desk inside the test (its loop on a
 * background thread, on a free loopback port) or attaches to one already
 * running, lets the test act on Desk (tickets, comments, replies, webhooks,
 * extension installs, triggers, faults, forged deliveries, the clock), and
 * judges what the receiver did from the mock's journal: deliveries answered
 * in time, calls it made back, echo loops, forged deliveries refused. It
 * never asks the receiver to cooperate, and it waits on the journal, never
 * with sleeps.
 *
 * Conventions: functions return 0 on success and -1 on failure; after a
 * failure dh_report(m) explains it (for expectations: what was sent, what
 * came back, what the receiver did next, quoting journal records). Strings
 * passed in are borrowed; cJSON trees handed out are owned by the caller
 * (cJSON_Delete them). One dh_mock is used by one thread at a time.
 *
 * With CMocka, include <cmocka.h> before this header to get the
 * dh_assert_* macros, which fail the test with that report. */
#ifndef DESKMOCK_HARNESS_H
#define DESKMOCK_HARNESS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dh_mock dh_mock;

/* Options for an embedded mock; zero means the default of `deskmock serve`. */
typedef struct dh_options {
    const char *org_file;        /* NULL: the built-in default org */
    uint64_t seed;               /* id generator seed; 0: 1 */
    int virtual_clock;           /* 1: --clock virtual */
    const char *prev_state;      /* "full" (default) or "changed" */
    int64_t delivery_timeout_ms; /* 0: 5000 */
    const char *retry_schedule;  /* e.g. "0,1s,30s" or "none"; NULL: default */
    int batch_max;               /* 0: 1 */
    int64_t batch_window_ms;
    const char *journal_file;        /* also write the journal here */
    const char *const *fixture_dirs; /* NULL-terminated user fixture folders */
    int invoke_passthrough;
    int port;               /* 0: any free port */
    const char *ready_file; /* write {url, orgId, tokens} here once ready */
} dh_options;

/* Starts an embedded mock on 127.0.0.1 (port opts->port, 0 = any free one).
 * NULL on failure, with the reason in err. */
dh_mock *dh_start(const dh_options *opts, char *err, size_t errlen);
/* Attaches to a running mock by base URL (e.g. from its ready file). */
dh_mock *dh_attach(const char *url, char *err, size_t errlen);
/* Stops an embedded mock (or detaches) and frees m. Returns 0 when nothing
 * was left open (no connection, transfer, timer-held request or queued
 * delivery) and the journal file, if any, was written whole; else -1 (what
 * went wrong is printed to stderr). NULL: 0. */
int dh_stop(dh_mock *m);

const char *dh_url(const dh_mock *m); /* "http://127.0.0.1:PORT" */
const char *dh_org_id(const dh_mock *m);
/* A role's token ("admin", "agent", "viewer"), or NULL. */
const char *dh_token(const dh_mock *m, const char *role);
/* Why the last call failed; never NULL. */
const char *dh_report(const dh_mock *m);

/* ==== Plain HTTP ==== */

typedef struct dh_response {
    long status;
    char *body;  /* NUL-terminated; owned */
    cJSON *json; /* parsed body or NULL; owned */
} dh_response;

/* method path on the mock. as: NULL for none (the control API), a role
 * ("admin", "agent", ...), or a token. A JSON body may be NULL. Returns 0
 * when an answer came (look at out->status), -1 when none did. */
int dh_call(dh_mock *m, const char *method, const char *path, const char *as, const char *json_body,
            dh_response *out);
void dh_response_free(dh_response *r);

/* ==== Extensions ==== */

typedef struct dh_install_options {
    const char *extension_dir;      /* a folder with plugin-manifest.json, resources.json;
                                       NULL: the built-in conformance extension */
    const char *webhook_url;        /* where deliveries go: the receiver */
    const char *authorise_url;      /* gets {orgId, securityContext, installationId}; may be NULL */
    const char *uninstall_url;      /* likewise on uninstall; may be NULL */
    const char *const *departments; /* NULL-terminated chosen departments; NULL: all */
} dh_install_options;

typedef struct dh_installation {
    char id[32];
    char security_context[80];
    char webhook_id[32];
    char token[96];
} dh_installation;

int dh_install(dh_mock *m, const dh_install_options *o, dh_installation *out);
int dh_uninstall(dh_mock *m, const char *installation_id);

/* ==== Acting on Desk (as: a role or a token) ==== */

/* id_out, when given, receives the new resource's id (32 bytes). */
int dh_ticket_create(dh_mock *m, const char *as, const char *json, char *id_out);
int dh_ticket_update(dh_mock *m, const char *as, const char *ticket_id, const char *json);
int dh_comment_add(dh_mock *m, const char *as, const char *ticket_id, const char *json,
                   char *id_out);
int dh_reply(dh_mock *m, const char *as, const char *ticket_id, const char *content);

/* ==== Events, faults, stubs, settings, clock ==== */

/* POST /mock/v1/events with request_json; *first_event (may be NULL) gets
 * the seq of the first event raised. */
int dh_trigger(dh_mock *m, const char *request_json, uint64_t *first_event);
/* Raises fixture name (e.g. "Ticket_Update/status-change") with set_json
 * ({"path": value}, may be NULL) applied to its payload. */
int dh_fixture(dh_mock *m, const char *name, const char *set_json, uint64_t *first_event);
int dh_faults(dh_mock *m, const char *json);   /* PUT /mock/v1/faults */
int dh_stub(dh_mock *m, const char *json);     /* POST /mock/v1/invoke-stubs */
int dh_settings(dh_mock *m, const char *json); /* PUT /mock/v1/settings */
int dh_clock_advance(dh_mock *m, int64_t ms);  /* virtual clock only */
int dh_reset(dh_mock *m);                      /* POST /mock/v1/reset */

/* Sends webhook_id's receiver a delivery with a chosen defect: jwt is
 * "valid", "none", "expired", "not-yet-valid", "bad-signature",
 * "wrong-audience", "wrong-issuer", "alg-none", "hs256-public-key" or
 * "unknown-kid" (docs/harness.md says what each is); query_json ({"securityContext": "x"})
 * overrides URL parameters; events_json is a JSON array of events, or raw_body a raw body. *status
 * gets the receiver's answer (0: none), *forged the record's seq. */
int dh_forge(dh_mock *m, const char *webhook_id, const char *jwt, const char *query_json,
             const char *events_json, const char *raw_body, long *status, uint64_t *forged);

/* ==== The journal ==== */

/* The last seq now: expectations look at what happens after a mark. */
uint64_t dh_mark(dh_mock *m);
/* Records after seq of kinds ("event,attempt"; NULL: all), as an owned array. */
cJSON *dh_journal(dh_mock *m, uint64_t after, const char *kinds);

/* ==== Expectations (0: met; -1: not, see dh_report) ==== */

/* A delivery of event_type raised after `after` (optionally whose payload at
 * path, e.g. "subject" or "cf.cf_region", equals value) was answered 200
 * within within_ms (0: the delivery timeout). Waits up to timeout_ms. */
int dh_expect_delivered(dh_mock *m, uint64_t after, const char *event_type, const char *path,
                        const char *value, int64_t within_ms, int timeout_ms);
/* The receiver made at least min calls (invoke, or the Desk API with its
 * extension token) matching method and url_glob ('*' matches anything)
 * after `after`, within timeout_ms. */
int dh_expect_call(dh_mock *m, uint64_t after, const char *method, const char *url_glob, int min,
                   int timeout_ms);
/* No such call after `after` during quiet_ms. */
int dh_expect_no_call(dh_mock *m, uint64_t after, const char *method, const char *url_glob,
                      int quiet_ms);
/* No echo loop after `after`: no event caused, through the journal's cause
 * chain, by the receiver's own write reached the receiver's own webhook and
 * made it write again. Watches until the journal is quiet for quiet_ms. */
int dh_expect_no_loop(dh_mock *m, uint64_t after, int quiet_ms);
/* No two identical writes (same method, URL and body) prompted by the same
 * event after `after`: duplicates were not processed twice. */
int dh_expect_no_duplicate_writes(dh_mock *m, uint64_t after, int quiet_ms);
/* The forged delivery `forged` (from dh_forge) was refused: answered
 * non-200 and nothing was written because of it. */
int dh_expect_refused(dh_mock *m, uint64_t forged, int quiet_ms);

/* ==== Scenarios (fixtures/scenarios/README.md) ==== */

typedef struct dh_scenario_env {
    const char *receiver_url;  /* the webhook URL to install */
    const char *authorise_url; /* may be NULL */
    const char *extension_dir; /* may be NULL: the scenario's, or the built-in one */
    int expects_verification;  /* run cases that need the receiver to verify */
} dh_scenario_env;

typedef enum dh_outcome { DH_PASS, DH_FAIL, DH_SKIP } dh_outcome;

/* Checks a scenario's shape (known keys, one kind per step and expectation)
 * without running it: 0, or -1 with a reason ("steps[2]: unknown step
 * \"reqest\"") in err. */
int dh_scenario_check(const char *json, char *err, size_t errlen);

/* Runs one scenario (its JSON text). Returns its outcome; dh_report(m) says
 * why it failed or was skipped. */
dh_outcome dh_run_scenario(dh_mock *m, const char *json, const dh_scenario_env *env);

/* The built-in conformance suite (fixtures/scenarios/conformance), in its
 * order: how many, and each one's file name and JSON text (static). */
size_t dh_builtin_count(void);
const char *dh_builtin_name(size_t i);
const char *dh_builtin_json(size_t i);

/* ==== The conformance suite (what `deskmock check` runs) ====
 *
 * One attachment for the whole run, so the ids a receiver is configured with
 * stay the same from case to case; a preflight (one genuine Ticket_Add
 * answered 200) before the cases; after each case the receiver's Desk calls
 * are let land and judged (echo loops, refused write-backs, wrong ids, the
 * same write twice). A root cause fails one case: later cases whose only
 * fault is the same cause are skipped, naming the case that reported it, and
 * a receiver that stops answering is reported on the case where it stopped. */
typedef enum dh_attach_mode {
    DH_ATTACH_EXTENSION, /* install the extension (env.extension_dir) at env.receiver_url */
    DH_ATTACH_PLAIN,  /* a plain webhook: the receiver's own (waited for), or made from subscribe */
    DH_ATTACH_WEBHOOK /* an existing webhook, webhook_id */
} dh_attach_mode;

typedef struct dh_suite_options {
    dh_scenario_env env;
    dh_attach_mode attach;
    const char *webhook_id; /* DH_ATTACH_WEBHOOK */
    const char *subscribe;  /* DH_ATTACH_PLAIN: "Ticket_Add,Ticket_Update,..." to create the
                               webhook as the admin; NULL: wait for the receiver's own */
    int wait_ms;            /* how long to wait for the receiver's webhook; 0: 30000 */
} dh_suite_options;

typedef struct dh_suite dh_suite;

/* o's strings are borrowed for the suite's life. */
dh_suite *dh_suite_new(dh_mock *m, const dh_suite_options *o);
/* Installs, creates or finds the webhook. -1: dh_report(m) says why. */
int dh_suite_attach(dh_suite *s);
/* What a receiver must be configured with (mock, apiBase, jwksUrl, orgId,
 * issuer, audience, webhookId, installationId, securityContext,
 * ignoreSourceId, token), as far as known yet. Owned. */
cJSON *dh_suite_config(const dh_suite *s);
/* The preflight; when it fails, every later case is skipped. */
dh_outcome dh_suite_preflight(dh_suite *s);
/* One case (a scenario's JSON text); dh_report(m) has its report. */
dh_outcome dh_suite_run(dh_suite *s, const char *json);
void dh_suite_free(dh_suite *s);

#ifdef CMOCKA_H_
/* Fails the current CMocka test with the report when expr is not 0. */
#define dh_assert_ok(m, expr)                                                                      \
    do {                                                                                           \
        if ((expr) != 0) fail_msg("%s", dh_report(m));                                             \
    } while (0)
#define dh_assert_delivered(m, after, type, timeout_ms)                                            \
    dh_assert_ok(m, dh_expect_delivered(m, after, type, NULL, NULL, 0, timeout_ms))
#define dh_assert_call(m, after, method, glob, timeout_ms)                                         \
    dh_assert_ok(m, dh_expect_call(m, after, method, glob, 1, timeout_ms))
#define dh_assert_no_call(m, after, method, glob, quiet_ms)                                        \
    dh_assert_ok(m, dh_expect_no_call(m, after, method, glob, quiet_ms))
#define dh_assert_no_loop(m, after, quiet_ms) dh_assert_ok(m, dh_expect_no_loop(m, after, quiet_ms))
#define dh_assert_refused(m, forged, quiet_ms)                                                     \
    dh_assert_ok(m, dh_expect_refused(m, forged, quiet_ms))
#endif

#ifdef __cplusplus
}
#endif

#endif
