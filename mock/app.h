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
    int clock_virtual;
    int64_t clock_start;      /* epoch ms for a virtual clock; 0 = now */
} dm_app_opts;

#define DM_JOURNAL_LIMIT_DEFAULT 200000

struct dm_server;

struct dm_app {
    dm_app_opts opts;
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
};

/* Builds a mock from opts (copied; strings must outlive the app). Loads the org
 * but does not listen. NULL on failure, with the reason in err. */
dm_app *dm_app_new(const dm_app_opts *opts, char *err, size_t errlen);
void dm_app_free(dm_app *app); /* NULL does nothing; stops listening first */

/* Starts listening; afterwards dm_app_url() is the base URL. 0 or DM_EBIND. */
int dm_app_listen(dm_app *app, char *err, size_t errlen);
const char *dm_app_url(const dm_app *app);
int dm_app_port(const dm_app *app);

/* Runs the loop until dm_app_stop(); stop is thread- and signal-safe. */
int dm_app_run(dm_app *app);
void dm_app_stop(dm_app *app);

/* Routes one request to its handler and fills resp. Also journals it. */
void dm_app_dispatch(dm_app *app, dm_req *req, dm_resp *resp);

/* Back to the starting state: org reloaded, ids reseeded, journal cleared. */
int dm_app_reset(dm_app *app);

/* Writes the ready file: {"url","orgId","tokens":{role: token}}. 0 or DM_EIO. */
int dm_app_write_ready(const dm_app *app, const char *path);

/* The built-in default org (fixtures/orgs/default.json, embedded at build). */
extern const char dm_default_org_json[];
extern const size_t dm_default_org_json_len;

#endif
