/* delivery.h -- posts queued events to webhook URLs on the loop's libcurl
 * multi handle: one request in flight per webhook, in order, optional
 * batching, X-ZDesk-JWT, a timeout, 410 deletes the webhook, a retry
 * schedule, then dead-lettering. Every attempt and every event's final fate
 * is a journal record. One thread (the loop's); no persistence. */
#ifndef DM_DELIVERY_H
#define DM_DELIVERY_H

#include "delivery/jwt.h"
#include "hooks/hooks.h"
#include "journal/journal.h"
#include "util/clock.h"

#include <stddef.h>
#include <stdint.h>

/* One event's JSON element, shared by every webhook queue that holds it. */
typedef struct dm_event_ref {
    int refs;
    uint64_t seq; /* the event's journal record */
    char *text;
    size_t len;
} dm_event_ref;

void dm_event_ref_release(dm_event_ref *r); /* NULL does nothing */

typedef struct dm_delivery_opts {
    int64_t timeout_ms;   /* no answer within this is a failure; default 5000 */
    const int64_t *retry; /* delays before each retry, ms */
    size_t nretry;
    int batch_max;           /* events per POST; default 1 */
    int64_t batch_window_ms; /* wait this long for a batch to fill; default 0 */
} dm_delivery_opts;

/* The default retry schedule: 1 min, 5 min, 30 min, 2 h, 6 h, 24 h. */
extern const int64_t dm_retry_default[];
extern const size_t dm_retry_default_n;

typedef struct dm_delivery dm_delivery;
typedef struct dm_loop dm_loop; /* loop/loop.h */

/* A delivery engine on loop, sending through out, journaling to journal,
 * timing retries by clock, signing with jwt (all borrowed). A delivery that
 * cannot be signed (jwt NULL, or signing fails) is never sent: its attempt
 * fails with the reason. */
dm_delivery *dm_delivery_new(dm_loop *loop, dm_outbound *out, dm_journal *journal,
                             const dm_clock *clock, const dm_jwt *jwt,
                             const dm_delivery_opts *opts);
/* Aborts transfers and drops queues without journaling. NULL does nothing. */
void dm_delivery_free(dm_delivery *d);
/* A receiver answered 410 Gone: fn(ud, w, seq) must delete w (seq is the
 * attempt's record). Delivery never deletes a webhook itself. */
void dm_delivery_on_gone(dm_delivery *d, void (*fn)(void *ud, dm_webhook *w, uint64_t seq),
                         void *ud);

/* Replaces the options (copied); deliveries already in flight keep theirs. */
void dm_delivery_set_opts(dm_delivery *d, const dm_delivery_opts *opts);
const dm_delivery_opts *dm_delivery_get_opts(const dm_delivery *d);

/* Queues ev for w (takes a reference) and starts delivery when w is idle. */
void dm_delivery_enqueue(dm_delivery *d, dm_webhook *w, dm_event_ref *ev);
/* Journals the final fate of event seq at w: "delivered", "dead-lettered" or
 * "dropped" (it was queued, and the webhook or the mock's state went away). */
void dm_delivery_fate(dm_delivery *d, const dm_webhook *w, uint64_t seq, const char *fate,
                      const char *reason, int attempts);
/* Journals that Desk withholds event seq from w, as it would: fate
 * "withheld", with the rule that applied ("ignoreSourceId", "department",
 * "fields", "direction", "disabled", "automation") and the reason in words. */
void dm_delivery_withheld(dm_delivery *d, const dm_webhook *w, uint64_t seq, const char *rule,
                          const char *reason);
/* Drops everything queued or in flight for w (fate "dropped", reason) and
 * frees w's delivery state; call before w itself goes away. */
void dm_delivery_forget(dm_delivery *d, dm_webhook *w, const char *reason);
/* Drops every queued, in-flight and retry-waiting delivery of every webhook
 * (each event gets the fate "dropped" with reason); returns how many events
 * were pending. */
size_t dm_delivery_clear(dm_delivery *d, const char *reason);

/* Delivery faults (PUT /mock/v1/faults). Counts apply to the next N POSTs. */
typedef struct dm_faults {
    int duplicate; /* send each of the next N POSTs twice */
    int reorder;   /* reverse the events of the next N batches */
    int delay;     /* hold the next N POSTs back by delay_ms (real time) */
    int64_t delay_ms;
    int lost_answer; /* treat the receiver's answer to the next N POSTs as lost: retry */
} dm_faults;

dm_faults *dm_delivery_faults(dm_delivery *d);
/* Events queued or in flight, over all webhooks. */
size_t dm_delivery_pending(const dm_delivery *d);

#endif
