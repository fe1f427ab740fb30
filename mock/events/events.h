/* events.h -- turns state changes into Desk webhook events and decides, per
 * webhook, whether each is delivered or withheld (and by which rule).
 * Matching rules are desk-facts.md's; the choices Desk leaves open are in
 * docs/desk-semantics.md. Never sees HTTP: changes come in, events go to the
 * delivery engine and the journal. */
#ifndef DM_EVENTS_H
#define DM_EVENTS_H

#include "delivery/delivery.h"
#include "desk/store.h"
#include "hooks/hooks.h"
#include "journal/journal.h"

typedef struct dm_events dm_events;

/* Events of one org: store's changes, matched against hooks' webhooks,
 * journaled to journal, queued on delivery. All borrowed. */
dm_events *dm_events_new(dm_store *store, dm_hooks *hooks, dm_journal *journal,
                         dm_delivery *delivery);
void dm_events_free(dm_events *e); /* NULL does nothing */

/* prevState holds only the changed fields (plus id) instead of the whole
 * previous resource (--prev-state changed). */
void dm_events_set_prev_changed(dm_events *e, int changed);
int dm_events_prev_changed(const dm_events *e);

/* Called for every change, after the change's own journal record (seq
 * change_seq). Journals one "event" record per event raised, a "fate" record
 * for each webhook that withholds it, and queues the rest for delivery. */
void dm_events_on_change(dm_events *e, const dm_change *c, uint64_t change_seq);

/* Raises an event of type with payload and prevState (both borrowed; prev
 * may be NULL) directly, without a state change: fixtures and event types
 * the mock keeps no state for. Matching and delivery are as for changes.
 * Returns the event's seq, or 0 for an unknown type. */
uint64_t dm_events_raise(dm_events *e, const char *type, const cJSON *payload, const cJSON *prev,
                         const dm_origin *origin, const char *fixture, uint64_t cause);

/* The Desk event type a change raises, or NULL. */
const char *dm_events_type_for(const char *resource, const char *action);

/* Adds to out (an array) the names of the fields that differ between before
 * and after: top-level keys, plus cf_* names for changed custom fields.
 * modifiedTime and modifiedBy never count. */
void dm_events_changed_fields(const cJSON *before, const cJSON *after, cJSON *out);

#endif
