/* park.c -- parking a request, acting for its client again, answering it,
 * and ending it early with a 503 that says why. */
#include "http/park.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

static void client_gone(void *ud)
{
    dm_parked *p = ud;
    p->async = NULL;
}

void dm_park(dm_parked *p, dm_waits *waits, dm_journal *journal, const dm_call *call, dm_req *req,
             dm_resp *resp, const char *what, const char *owner, unsigned ends, dm_wait_end_fn end,
             void *ud)
{
    p->waits = waits;
    p->journal = journal;
    p->async = req->async;
    p->cause = call->origin.cause;
    snprintf(p->actor, sizeof p->actor, "%s", call->origin.actor_id ? call->origin.actor_id : "");
    p->has_source_id = call->origin.source_id != NULL;
    snprintf(p->source_id, sizeof p->source_id, "%s",
             p->has_source_id ? call->origin.source_id : "");
    p->t0_us = dm_mono_us();
    p->wait = dm_waits_add(waits, what, owner, ends, end, ud);
    if (p->async) dm_async_on_abort(p->async, client_gone, p);
    resp->deferred = 1;
}

void dm_park_resume(dm_parked *p, dm_call *call)
{
    memset(call, 0, sizeof *call);
    snprintf(call->source_id, sizeof call->source_id, "%s", p->source_id);
    call->origin = (dm_origin){p->cause, p->has_source_id ? call->source_id : NULL, 0,
                               p->actor[0] ? p->actor : NULL};
}

/* Journals the answer and hands it to the client, if it is still there. */
static void answer(dm_parked *p, dm_resp *resp)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "status", resp->status);
    if (resp->error_code) cJSON_AddStringToObject(f, "errorCode", resp->error_code);
    cJSON_AddBoolToObject(f, "clientGone", p->async == NULL);
    cJSON_AddNumberToObject(f, "latencyUs", (double)(dm_mono_us() - p->t0_us));
    dm_journal_add(p->journal, "response", p->cause, f);
    if (p->async)
        dm_async_complete(p->async, resp);
    else
        dm_resp_free(resp);
    p->async = NULL;
}

void dm_park_finish(dm_parked *p, dm_resp *resp)
{
    dm_waits_done(p->waits, p->wait);
    answer(p, resp);
}

void dm_park_cancel(dm_parked *p, const char *why, const char *what)
{
    dm_resp resp;
    dm_resp_init(&resp);
    char msg[600];
    snprintf(msg, sizeof msg, "%s while this request waited for %s; it was not carried out.", why,
             what);
    if (msg[0] >= 'a' && msg[0] <= 'z') msg[0] = (char)(msg[0] - 'a' + 'A');
    dm_resp_error(&resp, 503, "SERVICE_UNAVAILABLE", msg, NULL);
    answer(p, &resp);
}
