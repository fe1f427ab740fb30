/* app.h -- one running mock: clock, ids, state, journal, loop and HTTP server,
 * and the dispatcher that routes a dm_req to its handler. libdeskmock's
 * entry point; the CLI, the tests, the fuzzers and the harness all use it. */
#ifndef DM_APP_H
#define DM_APP_H

#include "desk/store.h"
#include "http/http.h"
#include "journal/journal.h"
#include "loop/loop.h"
#include "net/outbound.h"
#include "util/clock.h"
#include "util/ids.h"
#include "http/waits.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dm_app_opts {
    const char *bind;         /* listen address; default "127.0.0.1" */
    int port;                 /* 0 = any free port */
    const char *org_file;     /* NULL = the built-in default org */
    uint64_t seed;            /* id generator seed; default 1 */
    const char *journal_file; /* NULL = memory only */
    size_t journal_limit;     /* records kept in memory; 0 = default */
    size_t journal_memory_mb; /* MB of record text kept in memory; 0 = default */
    int clock_virtual;
    int64_t clock_start;      /* epoch ms for a virtual clock; 0 = now */
    int prev_state_changed;   /* --prev-state changed (default full) */
    int64_t delivery_timeout_ms;   /* default 5000 */
    const int64_t *retry_schedule; /* NULL = the default ladder */
    size_t retry_count;
    int batch_max;                 /* default 1 */
    int64_t batch_window_ms;       /* default 0 */
    const char *jwt_key_file;      /* NULL = the built-in key */
    int invoke_passthrough;        /* forward unstubbed loopback URLs */
    int invoke_hash_query;         /* where queryParams enters HASH: DM_HASH_Q_* */
    int64_t invoke_cause_window_ms;/* default 5000 */
    const char *const *fixture_dirs; /* user fixture folders, NULL-terminated */
    unsigned connection_timeout_s;   /* idle client connections close; default 30 */
    unsigned connection_limit;       /* open client connections at most; default 1000 */
    const char *control_token;       /* required for /mock/v1 when set; needed to bind a
                                        non-loopback address */
} dm_app_opts;

enum { DM_HASH_Q_SKIP = 0, DM_HASH_Q_BEFORE_LINK = 1, DM_HASH_Q_END = 2 };

#define DM_JOURNAL_LIMIT_DEFAULT 200000
#define DM_JOURNAL_MEMORY_MB_DEFAULT 64

struct dm_server;
struct dm_delivery;
struct dm_jwt;
struct dm_webhook;

struct dm_app {
    dm_app_opts opts;       /* as now (PUT /mock/v1/settings changes some) */
    dm_app_opts start_opts; /* as started; reset goes back to them */
    dm_clock clock;
    dm_ids ids;
    dm_loop *loop;
    dm_outbound *out; /* every outgoing request: loopback only */
    dm_waits *waits;  /* everything that waits (waits.h) */
    struct dm_server *server;
    dm_journal *journal;
    dm_store *store;
    cJSON *org_spec; /* the parsed org file, kept for reset */
    char url[128];   /* base URL once listening */
    /* The request being handled (one at a time: one thread). */
    const dm_token *principal;
    dm_origin origin;
    char source_id[128];
    dm_vec webhooks; /* dm_webhook *, oldest first */
    struct dm_delivery *delivery;
    struct dm_jwt *jwt;
    dm_vec installations; /* dm_installation * (ext/install.c) */
    dm_vec revoked;       /* char *, securityContexts of uninstalled extensions */
    dm_vec stubs;         /* invoke stubs (invoke/invoke.c) */
    dm_vec invoke_faults; /* invoke fault rules (invoke/invoke.c) */
    uint64_t next_stub_id;
    dm_vec user_fixtures; /* --fixtures DIR contents (events/fixtures.c) */
    dm_vec owned;         /* the copies opts' strings and arrays point to */
    int closed;           /* dm_app_shutdown ran */
};

/* Builds a mock from opts, which it copies whole (strings and arrays too: the
 * caller's may go away). Loads the org but does not listen. NULL on failure,
 * with the reason in err. */
dm_app *dm_app_new(const dm_app_opts *opts, char *err, size_t errlen);
/* After dm_app_run returned: what the mock still holds that a test should
 * have let finish (open client connections, outgoing requests, waits,
 * queued deliveries), one line each appended to out. Returns how many kinds;
 * 0 when nothing was left open. */
int dm_app_leftovers(dm_app *app, dm_buf *out);
/* Shuts the mock down: answers what still waits, stops listening, flushes
 * and closes the journal file. 0, or DM_EIO with the reason in err when the
 * journal file was not written whole (err may be NULL). Idempotent. */
int dm_app_shutdown(dm_app *app, char *err, size_t errlen);
void dm_app_free(dm_app *app); /* NULL does nothing; shuts down first */

/* Starts listening; afterwards dm_app_url() is the base URL. 0 or DM_EBIND. */
int dm_app_listen(dm_app *app, char *err, size_t errlen);
const char *dm_app_url(const dm_app *app);
/* The HTTP daemon, or NULL before listening. */
struct MHD_Daemon *dm_server_daemon_of(dm_app *app);
int dm_app_port(const dm_app *app);

/* Runs the loop until dm_app_stop(); stop is thread- and signal-safe. */
int dm_app_run(dm_app *app);
void dm_app_stop(dm_app *app);

/* Routes a request to the Desk API as dispatch does, without journaling it
 * as a request of its own: invoke's calls into Desk. app->origin must be set. */
void dm_app_desk_call(dm_app *app, dm_req *req, dm_resp *resp);

/* Routes one request to its handler and fills resp. Also journals it. */
void dm_app_dispatch(dm_app *app, dm_req *req, dm_resp *resp);

/* Adds a webhook (takes ownership of w) and journals it with cause. */
void dm_app_add_webhook(dm_app *app, struct dm_webhook *w, uint64_t cause);
/* The webhook with id, or NULL. */
struct dm_webhook *dm_app_webhook(const dm_app *app, const char *id);
/* Journals a webhook update (before is borrowed, w->obj is the after). */
void dm_app_webhook_updated(dm_app *app, struct dm_webhook *w, const cJSON *before,
                            uint64_t cause);
/* Deletes w: drops its deliveries (fate "dropped", reason), journals the
 * deletion with cause, frees it. */
void dm_app_delete_webhook(dm_app *app, struct dm_webhook *w, const char *reason, uint64_t cause);

/* ==== Requests answered later (park.c) ==== */

/* A request parked until something answers it (a URL check, a stub's delay,
 * a forwarded call, a receiver). What is needed to act for its client again
 * is copied, never borrowed: a token is looked up again on resume. */
typedef struct dm_parked {
    dm_app *app;
    dm_async *async; /* NULL once the client is gone */
    uint64_t cause;  /* the request's journal record */
    char token[160]; /* the principal's token; "" for none */
    char actor[DM_ID_MAX];
    char source_id[128];
    int has_source_id;
    int64_t t0_us;
    uint64_t wait; /* its entry in app->waits */
} dm_parked;

/* Parks the request being dispatched (resp->deferred is set; the client
 * waits) and registers it in app->waits with what, owner and ends (waits.h):
 * end(ud, ...) runs if a reset, shutdown or its owner ends it first, and
 * must dm_park_cancel(p). p must stay valid until finished or cancelled. */
void dm_park(dm_app *app, dm_req *req, dm_resp *resp, dm_parked *p, const char *what,
             const char *owner, unsigned ends, dm_wait_end_fn end, void *ud);
/* Acts for the client again: origin and principal as they were when it was
 * parked (a token revoked meanwhile is no principal). */
void dm_park_resume(dm_parked *p);
/* Journals the answer ("response" record, cause = the request), sends it
 * (takes resp's contents) and forgets the wait. */
void dm_park_finish(dm_parked *p, dm_resp *resp);
/* Answers 503 SERVICE_UNAVAILABLE: "<why> while this request waited for
 * <what>". For end callbacks (the wait is already out of the registry). */
void dm_park_cancel(dm_parked *p, const char *why, const char *what);

/* Desk's URL check (desk-facts.md): an unsigned GET to url, which must
 * answer 200. Parks the request, journals the check as a "check" record and
 * calls done(app, ud, res, resp) resumed, to fill resp; res is NULL when
 * there was no transport to park on (in-process calls: not checked). A
 * reset, shutdown or the end of owner answers the client 503 instead. In
 * every case free_ud(ud) runs once, last (free_ud may be NULL). */
typedef void (*dm_checked_fn)(dm_app *app, void *ud, const dm_out_res *res, dm_resp *resp);
void dm_check_url(dm_app *app, dm_req *req, dm_resp *resp, const char *url, const char *owner,
                  dm_checked_fn done, void (*free_ud)(void *), void *ud);

/* Owner names for waits: "webhook:<id>", "installation:<id>". */
void dm_owner(char *out, size_t len, const char *kind, const char *id);

/* Back to the starting state: org reloaded, ids reseeded, journal cleared,
 * webhooks, installations, stubs and faults gone, settings as started, a
 * virtual clock back at its start. */
int dm_app_reset(dm_app *app);

/* Writes the ready file: {"url","orgId","tokens":{role: token}}. 0 or DM_EIO. */
int dm_app_write_ready(const dm_app *app, const char *path);

/* The built-in default org (fixtures/orgs/default.json, embedded at build). */
extern const char dm_default_org_json[];
extern const size_t dm_default_org_json_len;

#endif
