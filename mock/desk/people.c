/* people.c -- the org and who is asking: organizations and myinfo.
 * Departments, agents and contacts are modules (modules.c). */
#include "desk/api.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

void dm_h_organizations(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    (void)req;
    cJSON *list = cJSON_CreateObject();
    cJSON *data = cJSON_AddArrayToObject(list, "data");
    cJSON_AddItemToArray(data, cJSON_Duplicate(store->org, 1));
    dm_resp_json(resp, 200, list);
    cJSON_Delete(list);
}

void dm_h_organization_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    if (strcmp(req->params[0], dm_json_str(store->org, "id")) != 0) {
        dm_api_not_found(resp, "organization", req->params[0]);
        return;
    }
    dm_resp_json(resp, 200, store->org);
}

void dm_h_myinfo(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)self;
    (void)req;
    if (!call->principal || !call->principal->agent) {
        dm_resp_error(resp, 403, "FORBIDDEN", "This token does not belong to an agent.", NULL);
        return;
    }
    dm_resp_json(resp, 200, call->principal->agent);
}
