/* events.h -- turns state changes into Desk webhook events and decides, per
 * webhook, whether each is delivered or dropped (and why). Matching rules are
 * desk-facts.md's; the choices Desk leaves open are documented in README.md
 * ("Events and deliveries"). */
#ifndef DM_EVENTS_H
#define DM_EVENTS_H

#include "app.h"

/* Called for every change, after the change's own journal record (seq
 * change_seq). Journals one "event" record per event raised, a "fate" record
 * for each webhook that drops it, and queues the rest for delivery. */
void dm_events_on_change(dm_app *app, const dm_change *c, uint64_t change_seq);

/* Raises an event of type with payload and prevState (both borrowed; prev
 * may be NULL) directly, without a state change: fixtures and event types
 * the mock keeps no state for. Matching and delivery are as for changes.
 * Returns the event's seq, or 0 for an unknown type. */
uint64_t dm_events_raise(dm_app *app, const char *type, const cJSON *payload, const cJSON *prev,
                         const dm_origin *origin, const char *fixture, uint64_t cause);

/* The Desk event type a change raises, or NULL. */
const char *dm_events_type_for(const char *resource, const char *action);

/* Adds to out (an array) the names of the fields that differ between before
 * and after: top-level keys, plus cf_* names for changed custom fields.
 * modifiedTime and modifiedBy never count. */
void dm_events_changed_fields(const cJSON *before, const cJSON *after, cJSON *out);

#endif
