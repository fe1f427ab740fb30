/* control.h -- the mock's own API under /mock/v1 (health, reset, the journal
 * and its long-polls, event triggers, fixtures, faults, settings, shaped
 * deliveries, the clock, tokens) and the timeline page at /mock/ui. It acts
 * on the other parts through their handles; what only the assembly can do
 * (a reset, a request into the Desk API) it asks through callbacks. Its
 * routes' handle is the dm_control. */
#ifndef DM_CONTROL_H
#define DM_CONTROL_H

#include "delivery/delivery.h"
#include "delivery/jwt.h"
#include "desk/store.h"
#include "events/events.h"
#include "ext/install.h"
#include "fixtures/fixtures.h"
#include "hooks/hooks.h"
#include "http/http.h"
#include "util/waits.h"
#include "invoke/invoke.h"
#include "journal/journal.h"
#include "loop/loop.h"
#include "net/outbound.h"
#include "util/clock.h"

/* What the control API works with (all borrowed) and asks for. */
typedef struct dm_control_deps {
    dm_clock *clock;
    dm_loop *loop;
    dm_outbound *out;
    dm_waits *waits;
    dm_journal *journal;
    dm_store *store;
    dm_hooks *hooks;
    dm_installs *installs;
    dm_events *events;
    dm_delivery *delivery;
    dm_invoke *invoke;
    dm_fixtures *fixtures;
    dm_jwt *jwt; /* signs forged tokens; rotated by POST /mock/v1/keys/rotate */
    /* POST /mock/v1/reset: 0, or -1 when the starting org cannot be loaded */
    int (*reset)(void *ud);
    /* a request into the Desk API, as in dm_invoke_desk_fn */
    dm_invoke_desk_fn desk_call;
    void *ud;
} dm_control_deps;

typedef struct dm_control dm_control;

dm_control *dm_control_new(const dm_control_deps *deps);
void dm_control_free(dm_control *c); /* NULL does nothing */

/* /mock/v1/... and /mock/ui. */
extern const dm_route dm_control_routes[];
extern const size_t dm_control_nroutes;

/* GET /.well-known/jwks.json: the key that signs X-ZDesk-JWT. */
extern const dm_route dm_control_jwks_route[];

#endif
