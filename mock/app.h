/* app.h -- one running mock: clock, ids, state, journal, loop and HTTP server,
 * and the dispatcher that routes a dm_req to its handler. libdeskmock's
 * entry point; the CLI, the tests, the fuzzers and the harness all use it. */
#ifndef DM_APP_H
#define DM_APP_H

#include "desk/store.h"
#include "http/http.h"
#include "journal/journal.h"
#include "loop.h"
#include "util/clock.h"
#include "util/ids.h"

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
    struct dm_server *server;
    dm_journal *journal;
    dm_store *store;
    cJSON *org_spec; /* the parsed org file, kept for reset */
    char url[128];   /* base URL once listening */
    /* The request being handled (one at a time: one thread). */
    const dm_token *principal;
    dm_origin origin;
    char source_id[128];
    dm_vec polls; /* pending journal long-polls (control.c) */
    dm_vec webhooks; /* dm_webhook *, oldest first */
    struct dm_delivery *delivery;
    struct dm_jwt *jwt;
    dm_vec installations; /* dm_installation * (ext/install.c) */
    dm_vec revoked;       /* char *, securityContexts of uninstalled extensions */
    dm_vec stubs;         /* invoke stubs (invoke/invoke.c) */
    dm_vec invoke_faults; /* invoke fault rules (invoke/invoke.c) */
    uint64_t next_stub_id;
    dm_vec user_fixtures; /* --fixtures DIR contents (events/fixtures.c) */
};

/* Builds a mock from opts (copied; strings must outlive the app). Loads the org
 * but does not listen. NULL on failure, with the reason in err. */
dm_app *dm_app_new(const dm_app_opts *opts, char *err, size_t errlen);
void dm_app_free(dm_app *app); /* NULL does nothing; stops listening first */

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

/* A request answered later (after a URL check, a forwarded call): what the
 * handler must restore to act for it, and how to answer it. */
typedef struct dm_pending {
    dm_app *app;
    dm_async *async; /* NULL once the client is gone */
    dm_origin origin;
    char source_id[128];
    const dm_token *principal;
    int64_t t0_us;
} dm_pending;

/* Captures the request being dispatched; arranges for p->async to be cleared
 * if the client goes away. p must stay valid until dm_app_finish. */
void dm_app_defer(dm_app *app, dm_req *req, dm_resp *resp, dm_pending *p);
/* Makes the deferred request current again (origin, principal) for writes. */
void dm_app_resume(dm_pending *p);
/* Journals the answer ("response" record, cause = the request) and sends it. */
void dm_app_finish(dm_pending *p, dm_resp *resp);

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
