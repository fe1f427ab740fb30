/* invoke.h -- POST /api/v1/invoke: the extension's way back into Desk and to
 * third parties. Checks HASH, the securityContext and the org; serves Desk
 * URLs from the org's state as the extension (through the dispatcher's desk
 * call); sends other URLs to stubs (or, when allowed, to a loopback URL).
 * Also the stubs and fault rules the control API sets. Handle: dm_invoke. */
#ifndef DM_INVOKE_H
#define DM_INVOKE_H

#include "ext/install.h"
#include "hooks/hooks.h"
#include "http/http.h"
#include "util/waits.h"
#include "journal/journal.h"
#include "loop/loop.h"
#include "net/outbound.h"

enum { DM_HASH_Q_SKIP = 0, DM_HASH_Q_BEFORE_LINK = 1, DM_HASH_Q_END = 2 };

typedef struct dm_invoke_opts {
    int passthrough;         /* forward unstubbed loopback URLs */
    int hash_query;          /* where queryParams enters HASH: DM_HASH_Q_* */
    int64_t cause_window_ms; /* 0: 5000; -1: none */
} dm_invoke_opts;

/* Serves a Desk API request as its Authorization header's token says, its
 * writes carrying origin (the acting agent is the token's); fills resp. */
typedef void (*dm_invoke_desk_fn)(void *ud, dm_req *req, const dm_origin *origin, dm_resp *resp);

typedef struct dm_invoke dm_invoke;

/* Invoke for the org whose installations and webhooks these are; Desk URLs
 * go to desk_call(desk_ud, ...). All borrowed. */
dm_invoke *dm_invoke_new(dm_installs *installs, dm_hooks *hooks, dm_journal *journal, dm_loop *loop,
                         dm_outbound *out, dm_waits *waits, dm_invoke_desk_fn desk_call,
                         void *desk_ud);
void dm_invoke_free(dm_invoke *inv); /* NULL does nothing */
/* The mock's own base URL: requestURLs on it are Desk's. */
void dm_invoke_set_url(dm_invoke *inv, const char *url);
void dm_invoke_set_opts(dm_invoke *inv, const dm_invoke_opts *opts);
const dm_invoke_opts *dm_invoke_get_opts(const dm_invoke *inv);

/* Replaces the fault rules of PUT /mock/v1/faults: invoke's ("invoke":
 * failures of invoke calls) and, when given, the REST API's ("rest":
 * failures of the Desk calls a receiver makes itself). NULL leaves that kind
 * as it is. On errors adds them to errs (pointers under /invoke, /rest) and
 * changes nothing. */
void dm_invoke_set_faults(dm_invoke *inv, const cJSON *invoke, const cJSON *rest,
                          dm_field_errs *errs);
/* The rules of one kind (rest 0: invoke's, 1: the REST API's) as an owned
 * JSON array. */
cJSON *dm_invoke_faults_json(const dm_invoke *inv, int rest);
/* When a "rest" rule matches a direct REST call, answers it in resp with
 * the rule's status (Desk's error envelope, Retry-After for 429), journals a
 * "fault" record caused by cause and returns 1; else 0. */
int dm_invoke_rest_fault(dm_invoke *inv, const char *method, const char *path, uint64_t cause,
                         dm_resp *resp);
void dm_invoke_clear(dm_invoke *inv); /* stubs and fault rules; reset */

/* The string HASH covers (desk-facts.md), for a form; owned. */
char *dm_invoke_hash_input(const dm_kvs *form, int query_mode);
/* Lowercase hex HMAC-SHA256 of data with key into out (65 bytes). */
int dm_invoke_hmac(const char *key, const char *data, size_t len, char out[65]);

/* POST /api/v1/invoke; /mock/v1/invoke-stubs[/{id}]. */
extern const dm_route dm_invoke_desk_routes[];
extern const size_t dm_invoke_desk_nroutes;
extern const dm_route dm_invoke_control_routes[];
extern const size_t dm_invoke_control_nroutes;

#endif
