/* people.c -- the org and who is in it: organizations, departments, agents
 * (read-only), and contacts (read, create, update). */
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

static void list_or_get(dm_store *store, dm_call *call, dm_req *req, dm_resp *resp, const dm_vec *v,
                        const dm_map *by_id, const char *what)
{
    (void)store;
    (void)call;
    if (req->nparams) {
        const cJSON *x = dm_map_get(by_id, req->params[0]);
        if (!x) dm_api_not_found(resp, what, req->params[0]);
        else dm_resp_json(resp, 200, x);
        return;
    }
    size_t from, limit;
    if (dm_api_paging(req, resp, 200, 100, &from, &limit)) return;
    dm_api_list(resp, v, from, limit, NULL);
}

void dm_h_departments(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    list_or_get(store, call, req, resp, &store->departments, store->departments_by_id,
                "department");
}

void dm_h_department_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    dm_h_departments(store, call, req, resp);
}

void dm_h_agents(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    list_or_get(store, call, req, resp, &store->agents, store->agents_by_id, "agent");
}

void dm_h_agent_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    dm_h_agents(store, call, req, resp);
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

void dm_h_contacts(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    list_or_get(store, call, req, resp, &store->contacts, store->contacts_by_id, "contact");
}

void dm_h_contact_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    dm_h_contacts(store, call, req, resp);
}

static const dm_field_spec contact_fields[] = {
    {"firstName", DM_F_STR, 1, 100, NULL},   {"lastName", DM_F_STR, 0, 100, NULL},
    {"email", DM_F_EMAIL, 1, 0, NULL},       {"secondaryEmail", DM_F_EMAIL, 1, 0, NULL},
    {"phone", DM_F_STR, 1, 50, NULL},        {"mobile", DM_F_STR, 1, 50, NULL},
    {"type", DM_F_STR, 1, 100, NULL},        {"title", DM_F_STR, 1, 100, NULL},
    {"description", DM_F_STR, 1, 5000, NULL}, {"cf", DM_F_CF, 0, 0, NULL},
};
#define NCONTACT (sizeof contact_fields / sizeof contact_fields[0])

/* A contact's email must be unique in the org (other than self). */
static void check_email(dm_store *store, const cJSON *body, const cJSON *self, dm_field_errs *e)
{
    const char *email = dm_json_str(body, "email");
    for (size_t i = 0; email && i < store->contacts.n; i++) {
        const cJSON *c = store->contacts.items[i];
        const char *ce = dm_json_str(c, "email");
        if (c != self && ce && strcmp(ce, email) == 0) {
            dm_field_errs_add(e, "/email", "duplicate", "contact %s already has this email",
                              dm_json_str(c, "id"));
            return;
        }
    }
}

void dm_h_contact_create(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    static const char *const required[] = {"lastName", NULL};
    dm_api_validate(body, contact_fields, NCONTACT, &e);
    dm_api_require(body, required, &e);
    if (!e.n) check_email(store, body, NULL, &e);
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return;
    }
    char id[DM_ID_MAX];
    dm_store_new_id(store, id);
    cJSON *c = dm_shape_contact(store, body, id, dm_clock_now(store->clock));
    cJSON_Delete(body);
    dm_vec_push(&store->contacts, c);
    dm_map_put(store->contacts_by_id, id, c);
    dm_store_emit(store, "contact", "create", id, NULL, NULL, c, &call->origin);
    dm_resp_json(resp, 200, c);
}

void dm_h_contact_update(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    cJSON *c =
        dm_api_found(resp, dm_map_get(store->contacts_by_id, req->params[0]), "contact",
                     req->params[0]);
    if (!c) return;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    dm_api_validate(body, contact_fields, NCONTACT, &e);
    if (!e.n) check_email(store, body, c, &e);
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return;
    }
    cJSON *before = cJSON_Duplicate(c, 1);
    const cJSON *v;
    cJSON_ArrayForEach(v, body) {
        if (strcmp(v->string, "cf") == 0) {
            cJSON *cf = cJSON_GetObjectItemCaseSensitive(c, "cf");
            const cJSON *f;
            cJSON_ArrayForEach(f, v) dm_json_set(cf, f->string, cJSON_Duplicate(f, 1));
        } else {
            dm_json_set(c, v->string, cJSON_Duplicate(v, 1));
        }
    }
    cJSON_Delete(body);
    if (!cJSON_Compare(before, c, 1)) {
        int64_t now = dm_clock_now(store->clock);
        char iso[DM_ISO_LEN];
        dm_iso_time(now, iso);
        dm_json_set_str(c, "modifiedTime", iso);
        /* Desk resolves a ticket's contact when read: keep the embeds true,
         * without a ticket change of their own */
        for (size_t i = 0; i < store->tickets.n; i++) {
            dm_ticket *t = store->tickets.items[i];
            const char *cid = dm_json_str(t->obj, "contactId");
            if (cid && strcmp(cid, req->params[0]) == 0) dm_shape_ticket_derive(store, t->obj, t->obj, now);
        }
        dm_store_emit(store, "contact", "update", req->params[0], NULL, before, c,
                      &call->origin);
    }
    cJSON_Delete(before);
    dm_resp_json(resp, 200, c);
}
