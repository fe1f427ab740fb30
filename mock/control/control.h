/* control.h -- the mock's own API under /mock/v1: health, reset, the journal. */
#ifndef DM_CONTROL_H
#define DM_CONTROL_H

#include "app.h"

extern const dm_route dm_control_routes[];
extern const size_t dm_control_nroutes;

/* GET /.well-known/jwks.json: the key that signs X-ZDesk-JWT. */
void dm_control_jwks(dm_app *app, dm_req *req, dm_resp *resp);

/* trigger.c: POST /mock/v1/events, GET /mock/v1/fixtures[/{type}/{name}] */
void dm_h_trigger(dm_app *app, dm_req *req, dm_resp *resp);
void dm_h_fixtures(dm_app *app, dm_req *req, dm_resp *resp);
void dm_h_fixture_get(dm_app *app, dm_req *req, dm_resp *resp);

/* settings.c: GET/PUT /mock/v1/settings, POST /mock/v1/deliveries */
void dm_h_settings_get(dm_app *app, dm_req *req, dm_resp *resp);
void dm_h_settings_put(dm_app *app, dm_req *req, dm_resp *resp);
void dm_h_deliveries_post(dm_app *app, dm_req *req, dm_resp *resp);

#endif
