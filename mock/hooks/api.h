/* api.h -- the webhooks' HTTP side: the REST API (/api/v1/webhooks) whose
 * handle is the org's dm_hooks, and Desk's URL check of a webhook URL, which
 * parks the request that asked for it (webhook creation and URL changes
 * here, installs in ext/). */
#ifndef DM_HOOKS_API_H
#define DM_HOOKS_API_H

#include "hooks/hooks.h"
#include "http/http.h"
#include "http/park.h"
#include "net/outbound.h"

/* ==== Desk's URL check (check.c) ==== */

/* Desk's check of a webhook URL (desk-facts.md): an unsigned GET, which must
 * answer 200. Parks the request, journals the check as a "check" record
 * caused by it, then calls done(h, ud, res, call, resp) with the call
 * resumed, to fill resp; res is NULL when there was no transport to park on
 * (in-process calls: not checked). A reset, shutdown or the end of owner
 * (NULL: none) answers the client 503 instead. In every case free_ud(ud)
 * runs once, last (free_ud may be NULL). */
typedef void (*dm_checked_fn)(dm_hooks *h, void *ud, const dm_out_res *res, dm_call *call,
                              dm_resp *resp);
void dm_hooks_check_url(dm_hooks *h, dm_call *call, dm_req *req, dm_resp *resp, const char *url,
                        const char *owner, dm_checked_fn done, void (*free_ud)(void *), void *ud);

/* ==== The REST API (api.c): /api/v1/webhooks, self = the org's dm_hooks ==== */

extern const dm_route dm_hooks_routes[];
extern const size_t dm_hooks_nroutes;

#endif
