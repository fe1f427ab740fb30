/* api.h -- the Desk REST API over one org's state under /api/v1:
 * organizations, myinfo, departments, agents, contacts, tickets, threads and
 * comments. Its routes' handle is the org's dm_store. Also the
 * authentication every /api/v1 route goes through and the helpers every
 * /api/v1 handler shares (body parsing, paging, field validation).
 * Webhooks (hooks/), configParams (ext/) and invoke (invoke/) register their
 * own /api/v1 routes. */
#ifndef DM_DESK_API_H
#define DM_DESK_API_H

#include "desk/store.h"
#include "http/http.h"

#include <cjson/cJSON.h>

/* The /api/v1 route table. */
extern const dm_route dm_desk_routes[];
extern const size_t dm_desk_nroutes;

/* Authenticates req for route against s's tokens: the token, the orgId
 * header, the route's scope. Returns 0 and sets call->principal (and the
 * acting agent as call->origin.actor_id), or writes the error into resp and
 * returns -1. */
int dm_desk_auth(const dm_store *s, const dm_route *route, dm_req *req, dm_resp *resp,
                 dm_call *call);

/* ==== Helpers ==== */

/* The request body as a JSON object (owned), or NULL after writing 415, 400
 * or 422 into resp. */
cJSON *dm_api_body(dm_req *req, dm_resp *resp);

/* Reads from/limit: from counts from 0 or 1 (both mean the first item);
 * limit 1..max, default dflt. Returns 0, or -1 after writing 422. */
int dm_api_paging(dm_req *req, dm_resp *resp, size_t max, size_t dflt, size_t *from,
                  size_t *limit);

/* Writes 200 {"data":[...]} with items[from .. from+limit) of a vector of
 * cJSON objects; omit, when given, names a key left out of each item. */
void dm_api_list(dm_resp *resp, const dm_vec *items, size_t from, size_t limit,
                 const char *omit);

/* 404 for a resource that does not exist. */
void dm_api_not_found(dm_resp *resp, const char *what, const char *id);
/* found when it is not NULL; else answers 404 (dm_api_not_found) and returns
 * NULL. For lookups: `dm_ticket *t = dm_api_found(resp, dm_store_ticket(s,
 * id), "ticket", id); if (!t) return;` */
void *dm_api_found(dm_resp *resp, void *found, const char *what, const char *id);

/* Field types for dm_api_validate. */
typedef enum {
    DM_F_STR,   /* string up to maxlen */
    DM_F_ENUM,  /* one of choices */
    DM_F_ID,    /* id string */
    DM_F_TIME,  /* ISO-8601 string */
    DM_F_BOOL,
    DM_F_OBJ,   /* any object */
    DM_F_IDS,   /* array of id strings */
    DM_F_CF,    /* object of cf_* keys with string, number, boolean or null values */
    DM_F_EMAIL, /* string with one @ */
} dm_ftype;

typedef struct dm_field_spec {
    const char *name;
    dm_ftype type;
    int nullable;
    size_t maxlen;              /* DM_F_STR; 0 = 65535 */
    const char *const *choices; /* DM_F_ENUM, NULL-terminated */
} dm_field_spec;

/* Checks every member of body against specs: unknown keys, wrong types,
 * bad values. Adds one error per problem; returns how many were added. */
size_t dm_api_validate(const cJSON *body, const dm_field_spec *specs, size_t n,
                       dm_field_errs *errs);
/* Adds a "missing" error for each name absent (or null) in body. */
size_t dm_api_require(const cJSON *body, const char *const *names, dm_field_errs *errs);
/* Writes 422 INVALID_DATA with errs. */
void dm_api_invalid(dm_resp *resp, const dm_field_errs *errs);

/* ==== Writes shared with the control API ==== */

/* Adds a thread to t (direction from in: "in" from the contact, "out" from
 * call's agent) and emits its change. Returns the stored thread. */
const cJSON *dm_desk_add_thread(dm_store *s, dm_call *call, dm_ticket *t, const cJSON *in);
/* Deletes t with its threads and comments and emits the ticket's delete. */
void dm_desk_delete_ticket(dm_store *s, dm_call *call, dm_ticket *t);

/* ==== Handlers (self: the org's dm_store) ==== */

#define DM_DESK_HANDLER(name) void name(void *self, dm_call *call, dm_req *req, dm_resp *resp)
DM_DESK_HANDLER(dm_h_organizations);
DM_DESK_HANDLER(dm_h_organization_get);
DM_DESK_HANDLER(dm_h_departments);
DM_DESK_HANDLER(dm_h_department_get);
DM_DESK_HANDLER(dm_h_agents);
DM_DESK_HANDLER(dm_h_agent_get);
DM_DESK_HANDLER(dm_h_myinfo);
DM_DESK_HANDLER(dm_h_contacts);
DM_DESK_HANDLER(dm_h_contact_get);
DM_DESK_HANDLER(dm_h_contact_create);
DM_DESK_HANDLER(dm_h_contact_update);
DM_DESK_HANDLER(dm_h_tickets);
DM_DESK_HANDLER(dm_h_ticket_get);
DM_DESK_HANDLER(dm_h_ticket_create);
DM_DESK_HANDLER(dm_h_ticket_update);
DM_DESK_HANDLER(dm_h_threads);
DM_DESK_HANDLER(dm_h_thread_get);
DM_DESK_HANDLER(dm_h_send_reply);
DM_DESK_HANDLER(dm_h_comments);
DM_DESK_HANDLER(dm_h_comment_get);
DM_DESK_HANDLER(dm_h_comment_create);
DM_DESK_HANDLER(dm_h_comment_update);
#undef DM_DESK_HANDLER

#endif
