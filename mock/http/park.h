/* park.h -- requests answered later: parked while something they wait for
 * (a URL check, a stub's delay, a forwarded call, a receiver) happens, then
 * answered; or ended early with a clear 503 when the mock is reset, shut
 * down, or what they wait on goes away. A parked request copies what its
 * writes will need (origin, sourceId, actor), never borrows it. */
#ifndef DM_PARK_H
#define DM_PARK_H

#include "http/http.h"
#include "util/waits.h"
#include "journal/journal.h"

#include <stdint.h>

typedef struct dm_parked {
    dm_waits *waits;
    dm_journal *journal;
    dm_async *async; /* NULL once the client is gone */
    uint64_t cause;  /* the request's journal record */
    char actor[32];
    char source_id[128];
    int has_source_id;
    int64_t t0_us;
    uint64_t wait; /* its entry in waits */
} dm_parked;

/* Parks the request (resp->deferred is set; the client waits) and registers
 * it in waits with what, owner and ends (waits.h): end(ud, ...) runs if a
 * reset, shutdown or its owner's end comes first, and must dm_park_cancel(p).
 * p must stay valid until finished or cancelled. req->async must be set. */
void dm_park(dm_parked *p, dm_waits *waits, dm_journal *journal, const dm_call *call, dm_req *req,
             dm_resp *resp, const char *what, const char *owner, unsigned ends, dm_wait_end_fn end,
             void *ud);
/* The call as it was when parked, to act for the client again: origin and
 * sourceId restored, no principal (resumed work acts on what the parked
 * request was already allowed to do). */
void dm_park_resume(dm_parked *p, dm_call *call);
/* Journals the answer ("response" record, cause = the request), sends it
 * (takes resp's contents) and forgets the wait. */
void dm_park_finish(dm_parked *p, dm_resp *resp);
/* Answers 503 SERVICE_UNAVAILABLE: "<why> while this request waited for
 * <what>". For end callbacks (the wait is already out of the registry). */
void dm_park_cancel(dm_parked *p, const char *why, const char *what);

#endif
