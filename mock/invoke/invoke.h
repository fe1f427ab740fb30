/* invoke.h -- POST /api/v1/invoke: the extension's way back into Desk and to
 * third parties. Checks HASH, the securityContext and the org; serves Desk
 * URLs from the mock's state as the extension; sends other URLs to stubs
 * (or, when allowed, to a real loopback URL). */
#ifndef DM_INVOKE_H
#define DM_INVOKE_H

#include "app.h"

void dm_h_invoke(dm_app *app, dm_req *req, dm_resp *resp);

/* /mock/v1/invoke-stubs */
void dm_h_stubs(dm_app *app, dm_req *req, dm_resp *resp);
void dm_h_stub_create(dm_app *app, dm_req *req, dm_resp *resp);
void dm_h_stubs_clear(dm_app *app, dm_req *req, dm_resp *resp);
void dm_h_stub_delete(dm_app *app, dm_req *req, dm_resp *resp);

/* Replaces the invoke fault rules from a JSON array (PUT /mock/v1/faults,
 * key "invoke"); on errors adds them to errs (pointers under prefix) and
 * changes nothing. */
void dm_invoke_set_faults(dm_app *app, const cJSON *rules, const char *prefix,
                          dm_field_errs *errs);
/* The rules as an owned JSON array. */
cJSON *dm_invoke_faults_json(const dm_app *app);
void dm_invoke_clear(dm_app *app); /* stubs and fault rules; reset, shutdown */

/* The string HASH covers (desk-facts.md), for a form; owned. */
char *dm_invoke_hash_input(const dm_kvs *form, int query_mode);
/* Lowercase hex HMAC-SHA256 of data with key into out (65 bytes). */
int dm_invoke_hmac(const char *key, const char *data, size_t len, char out[65]);

#endif
