/* app.h -- the mock's one public entry point: one running mock, assembled
 * from its parts (docs/architecture.md), listening on loopback, run on the
 * calling thread's loop. The CLI's serve, the harness's embedded mock, the
 * tests and the fuzzers start a mock through this header and nothing else of
 * the mock's; everything else they do goes over HTTP (or, in process,
 * through dm_app_dispatch). */
#ifndef DM_APP_H
#define DM_APP_H

#include "desk/store.h"
#include "http/http.h"
#include "journal/journal.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dm_app_opts {
    const char *bind;         /* listen address (a name is resolved); default "127.0.0.1" */
    int port;                 /* 0 = any free port */
    const char *org_file;     /* NULL = the built-in default org */
    uint64_t seed;            /* id generator seed; default 1 */
    const char *journal_file; /* NULL = memory only */
    size_t journal_limit;     /* records kept in memory; 0 = default */
    size_t journal_memory_mb; /* MB of record text kept in memory; 0 = default */
    int clock_virtual;
    int64_t clock_start;           /* epoch ms for a virtual clock; 0 = now */
    int prev_state_changed;        /* --prev-state changed (default full) */
    int64_t delivery_timeout_ms;   /* default 5000 */
    const int64_t *retry_schedule; /* NULL = the default ladder */
    size_t retry_count;
    int batch_max;            /* default 1 */
    int64_t batch_window_ms;  /* default 0 */
    const char *jwt_key_file; /* NULL = the built-in key */
    int invoke_passthrough;   /* forward unstubbed loopback URLs */
    const char
        *invoke_hash_query; /* where queryParams enters HASH: "skip" (NULL), "before-link", "end" */
    int64_t invoke_cause_window_ms;  /* default 5000 */
    int url_check_post_form;         /* the URL check's POST: {} as a form (1) or JSON (0) */
    int thread_content_type_html;    /* a thread's contentType: "html" (1) or "text/html" (0) */
    const char *const *fixture_dirs; /* user fixture folders, NULL-terminated */
    unsigned connection_timeout_s;   /* idle client connections close; default 30 */
    unsigned connection_limit;       /* open client connections at most; default 1000 */
    const char *control_token;       /* required for /mock/v1 when set; needed to bind a
                                        non-loopback address */
} dm_app_opts;

#define DM_JOURNAL_LIMIT_DEFAULT     200000
#define DM_JOURNAL_MEMORY_MB_DEFAULT 64

typedef struct dm_app dm_app;

/* Builds a mock from opts, which it copies whole (strings and arrays too: the
 * caller's may go away). Loads the org but does not listen. NULL on failure,
 * with the reason in err. */
dm_app *dm_app_new(const dm_app_opts *opts, char *err, size_t errlen);

/* Starts listening; afterwards dm_app_url() is the base URL. 0 or DM_EBIND. */
int dm_app_listen(dm_app *app, char *err, size_t errlen);
const char *dm_app_url(const dm_app *app);
int dm_app_port(const dm_app *app);

/* Runs the loop until dm_app_stop(); stop is thread- and signal-safe. */
int dm_app_run(dm_app *app);
void dm_app_stop(dm_app *app);
/* One pass of the loop, waiting at most max_wait_ms: for in-process drivers
 * (fuzzers) that run the mock on their own thread. */
void dm_app_run_once(dm_app *app, int max_wait_ms);

/* Routes one request to its handler and fills resp, journaling it as
 * `deskmock serve` does. With req->async set, a handler may park it. */
void dm_app_dispatch(dm_app *app, dm_req *req, dm_resp *resp);

/* Back to the starting state: what waits answered 503, what was on its way
 * dropped with a fate, org reloaded, ids reseeded, journal cleared, webhooks,
 * installations, stubs and faults gone, settings as started, a virtual clock
 * back at its start. 0, or DM_EINVAL when the org no longer loads. */
int dm_app_reset(dm_app *app);

/* After dm_app_run returned: what the mock still holds that a test should
 * have let finish (open client connections, outgoing requests, waits,
 * queued deliveries), one line each appended to out. Returns how many kinds;
 * 0 when nothing was left open. */
int dm_app_leftovers(dm_app *app, dm_buf *out);
/* Shuts the mock down: answers what still waits, gives what was on its way
 * a fate, stops listening, flushes and closes the journal file. 0, or DM_EIO
 * with the reason in err when the journal file was not written whole (err
 * may be NULL). Idempotent. */
int dm_app_shutdown(dm_app *app, char *err, size_t errlen);
void dm_app_free(dm_app *app); /* NULL does nothing; shuts down first */

/* Writes the ready file: {"url","orgId","tokens":{role: token}}. 0 or DM_EIO. */
int dm_app_write_ready(const dm_app *app, const char *path);

/* In-process access for tests and fuzzers: the mock's state and journal
 * (borrowed; one thread: the loop's, or the caller's while the loop is not
 * running). */
dm_store *dm_app_store(const dm_app *app);
dm_journal *dm_app_journal(const dm_app *app);

/* The built-in default org (fixtures/orgs/default.json, embedded at build). */
extern const char dm_default_org_json[];
extern const size_t dm_default_org_json_len;

#endif
