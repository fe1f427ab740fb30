/* support.h -- shared test helpers: a real mock on a loopback port in a
 * background thread, and a libcurl client. Tests talk to the mock over HTTP
 * only, like users do. */
#ifndef DMT_SUPPORT_H
#define DMT_SUPPORT_H

#include "app.h"

#include <cjson/cJSON.h>
#include <pthread.h>

#define DMT_ORG          "60001280952"
#define DMT_ADMIN        "1000.admin0000000000000000000000000.admin000000000000000000000000000"
#define DMT_AGENT        "1000.agent0000000000000000000000000.agent000000000000000000000000000"
#define DMT_VIEWER       "1000.viewer000000000000000000000000.viewer00000000000000000000000000"
#define DMT_TICKET       "18920000000000401"
#define DMT_DEPT_SUPPORT "18920000000000101"
#define DMT_DEPT_BILLING "18920000000000102"
#define DMT_DEPT_ENG     "18920000000000103"
#define DMT_CONTACT      "18920000000000301"

typedef struct dmt_mock {
    dm_app *app;
    pthread_t thread;
    char url[128];
} dmt_mock;

/* Starts a mock on 127.0.0.1:0 (opts may be NULL for defaults); fails the
 * test when it cannot. */
dmt_mock *dmt_mock_start(const dm_app_opts *opts);
/* Stops the loop thread and frees everything. NULL does nothing. */
void dmt_mock_stop(dmt_mock *m);
/* CMocka setup and teardown for tests that need only a mock with the
 * defaults: dmt_mock_start(NULL) into *state, then dmt_mock_stop(*state). */
int dmt_setup_mock(void **state);
int dmt_teardown_mock(void **state);

typedef struct dmt_resp {
    long status;
    char *body; /* NUL-terminated */
    size_t len;
    cJSON *json;   /* parsed body, or NULL */
    char *headers; /* raw response headers */
} dmt_resp;

/* One HTTP request. headers: NULL-terminated "Key: value" strings or NULL.
 * body NULL sends none. Returns 0 when a response arrived. */
int dmt_http(const char *method, const char *url, const char *const *headers, const char *body,
             size_t body_len, dmt_resp *out);
/* A Desk API call on m: Authorization with token (NULL: none), orgId DMT_ORG,
 * Content-Type application/json when body is given. path starts with /. */
dmt_resp dmt_api(dmt_mock *m, const char *method, const char *path, const char *token,
                 const char *body);
/* Same with extra headers (NULL-terminated). */
dmt_resp dmt_api_h(dmt_mock *m, const char *method, const char *path, const char *token,
                   const char *body, const char *const *extra);
/* GET/POST on the control API (no auth). */
dmt_resp dmt_ctl(dmt_mock *m, const char *method, const char *path, const char *body);
void dmt_resp_free(dmt_resp *r);

/* The HASH the mock expects for an invoke that GETs url as ctx, signed with
 * secret (the extension's secret from its plugin-manifest). */
void dmt_invoke_get_hash(const char *secret, const char *ctx, const char *url, char out[65]);
/* POST /api/v1/invoke?orgId=DMT_ORG on m, form-encoded, asking to GET url as
 * ctx. hash NULL signs it with secret; else the HASH header is hash as given.
 * Fails the test when no response arrived. */
dmt_resp dmt_invoke_get(dmt_mock *m, const char *secret, const char *ctx, const char *url,
                        const char *hash);

/* Convenience: string member of r->json (NULL when absent). */
const char *dmt_str(const cJSON *obj, const char *key);
/* Asserts r is a Desk error envelope with status and code. */
void dmt_assert_error(const dmt_resp *r, long status, const char *code);

/* Runs the deskmock binary with args (NULL-terminated, at most 6) in cwd
 * (NULL: here), its stderr to /dev/null. Returns its exit status (-1 when it
 * did not exit) and its stdout in *out (caller frees). */
int dmt_run_deskmock(const char *cwd, const char *const *args, char **out);

/* Reads a whole file (NUL-terminated, caller frees), NULL if unreadable:
 * util/file.h's dm_read_file, under the name the tests have used. */
char *dmt_read_file(const char *path, size_t *len);

#endif
