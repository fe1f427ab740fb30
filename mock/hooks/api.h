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

/* What Desk's check of a URL found: the unsigned GET's answer and, when it
 * was not 200, the unsigned POST's. ok when either answered 200. */
typedef struct dm_url_probe {
    long get_status;       /* 0: no answer */
    const char *get_error; /* why no answer came, or NULL */
    int posted;            /* the POST was tried */
    long post_status;
    const char *post_error;
    int ok;
} dm_url_probe;

/* "answered the check GET with 404 and the check POST with 405; Desk needs
 * a 200 to one of them", appended to out. */
void dm_url_probe_describe(const dm_url_probe *r, dm_buf *out);

/* Desk's check of a webhook URL (desk-facts.md): an unsigned GET; when that
 * does not answer 200, an unsigned POST with the body {} (JSON, or form
 * content type: dm_hooks_set_check_post_form). The URL passes when either
 * answers 200. Parks the request, journals each attempt as a "check" record
 * caused by it, then calls done(h, ud, res, call, resp) with the call
 * resumed, to fill resp; res (valid during the call) is NULL when there was
 * no transport to park on (in-process calls: not checked). A reset,
 * shutdown or the end of owner (NULL: none) answers the client 503 instead.
 * In every case free_ud(ud) runs once, last (free_ud may be NULL). */
typedef void (*dm_checked_fn)(dm_hooks *h, void *ud, const dm_url_probe *res, dm_call *call,
                              dm_resp *resp);
void dm_hooks_check_url(dm_hooks *h, dm_call *call, dm_req *req, dm_resp *resp, const char *url,
                        const char *owner, dm_checked_fn done, void (*free_ud)(void *), void *ud);

/* ==== The REST API (api.c): /api/v1/webhooks, self = the org's dm_hooks ==== */

extern const dm_route dm_hooks_routes[];
extern const size_t dm_hooks_nroutes;

#endif
