/* waits.h -- the registry of everything in the mock that waits: requests
 * parked on a URL check, a stub's delay or a forwarded call, shaped
 * deliveries, listener callbacks, journal long-polls. Each entry says what
 * ends it early (a reset, shutdown, its owner going away) and how to end it;
 * whoever made the entry still owns its memory and frees it in that end
 * callback or when it finishes normally. Nothing here waits itself. */
#ifndef DM_WAITS_H
#define DM_WAITS_H

#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dm_waits dm_waits;

/* What can end a wait before it finishes. */
typedef enum dm_wait_end {
    DM_END_RESET = 1u << 0,    /* POST /mock/v1/reset */
    DM_END_SHUTDOWN = 1u << 1, /* the mock stops (every wait ends then) */
    DM_END_OWNER = 1u << 2,    /* its owner (a webhook, an installation) went away */
} dm_wait_end;

/* Ends a wait early: answer its client (if any) with why, cancel its timers
 * and transfers, free what it holds. how is one dm_wait_end value; why is a
 * sentence ("the mock was reset"). The entry is already out of the registry. */
typedef void (*dm_wait_end_fn)(void *ud, dm_wait_end how, const char *why);

dm_waits *dm_waits_new(void);
void dm_waits_free(
    dm_waits *w); /* entries still there are forgotten, not ended; NULL does nothing */

/* Registers a wait: what it is waiting for (a short phrase, copied: "the URL
 * check of http://..."), its owner ("webhook:ID", "installation:ID", copied;
 * NULL for none) and the endings, besides shutdown, that end it. Returns an
 * id for dm_waits_done. */
uint64_t dm_waits_add(dm_waits *w, const char *what, const char *owner, unsigned ends,
                      dm_wait_end_fn end, void *ud);
/* The wait finished by itself: forget it (its end callback is not called).
 * Unknown ids are ignored. */
void dm_waits_done(dm_waits *w, uint64_t id);
/* Ends every wait that how ends (DM_END_OWNER: only those of owner) with
 * why, in the order they were added. Returns how many ended. */
size_t dm_waits_end(dm_waits *w, dm_wait_end how, const char *owner, const char *why);

size_t dm_waits_count(const dm_waits *w);
/* Appends one line per wait ("the URL check of ... (webhook:123)\n"). */
void dm_waits_describe(const dm_waits *w, dm_buf *out);

#endif
