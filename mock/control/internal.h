/* internal.h -- what control.c, settings.c, actions.c and trigger.c share; not for the
 * rest of the mock. */
#ifndef DM_CONTROL_INTERNAL_H
#define DM_CONTROL_INTERNAL_H

#include "control/control.h"

struct dm_control {
    dm_control_deps d;
};

/* trigger.c: POST /mock/v1/events, GET /mock/v1/fixtures[/{type}/{name}] */
void dm_h_trigger(void *self, dm_call *call, dm_req *req, dm_resp *resp);
void dm_h_fixtures(void *self, dm_call *call, dm_req *req, dm_resp *resp);
void dm_h_fixture_get(void *self, dm_call *call, dm_req *req, dm_resp *resp);

/* actions.c: POST /mock/v1/actions/{name}; dm_action_run runs one (in may
 * be NULL) into out, -1 when there is no such action. */
void dm_h_action(void *self, dm_call *call, dm_req *req, dm_resp *resp);
int dm_action_run(dm_control *c, dm_call *call, const char *name, const cJSON *in, dm_resp *out);

/* settings.c: GET/PUT /mock/v1/settings, POST /mock/v1/deliveries */
void dm_h_settings_get(void *self, dm_call *call, dm_req *req, dm_resp *resp);
void dm_h_settings_put(void *self, dm_call *call, dm_req *req, dm_resp *resp);
void dm_h_deliveries_post(void *self, dm_call *call, dm_req *req, dm_resp *resp);

#endif
