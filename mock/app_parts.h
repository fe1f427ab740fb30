/* app_parts.h -- the parts one mock is made of, as app.c assembles them and
 * dispatch.c routes to them. Private to those two files. */
#ifndef DM_APP_PARTS_H
#define DM_APP_PARTS_H

#include "app.h"
#include "control/control.h"
#include "delivery/delivery.h"
#include "delivery/jwt.h"
#include "events/events.h"
#include "ext/install.h"
#include "fixtures/fixtures.h"
#include "hooks/api.h"
#include "http/server.h"
#include "invoke/invoke.h"
#include "journal/journal.h"
#include "loop/loop.h"
#include "net/outbound.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/vec.h"
#include "util/waits.h"

struct dm_app {
    dm_app_opts opts;       /* as now (PUT /mock/v1/settings changes some) */
    dm_app_opts start_opts; /* as started; reset goes back to them */
    dm_vec owned;           /* the copies opts' strings and arrays point to */
    int closed;             /* dm_app_shutdown ran */
    dm_clock clock;
    dm_ids ids;
    /* the infrastructure every part uses */
    dm_loop *loop;
    dm_outbound *out;
    dm_waits *waits;
    dm_journal *journal;
    dm_server *server;
    char url[128]; /* base URL once listening */
    /* the org and what acts on it */
    cJSON *org_spec; /* the parsed org file, kept for reset */
    dm_store *store;
    dm_hooks *hooks;
    dm_installs *installs;
    dm_events *events;
    dm_delivery *delivery;
    dm_jwt *jwt;
    dm_invoke *invoke;
    dm_fixtures *fixtures;
    dm_control *control;
    /* routes: /api/v1, /mock/v1 and /mock/ui, /.well-known */
    dm_router *desk, *ctl, *wellknown;
};

/* dispatch.c: a request into the Desk API from inside the mock (invoke's
 * Desk URLs, the control API's triggers), as dm_invoke_desk_fn. */
void dm_app_desk_call(void *app, dm_req *req, const dm_origin *origin, dm_resp *resp);

#endif
