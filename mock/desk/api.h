/* api.h -- the Desk REST API over one org's state under /api/v1:
 * organizations, myinfo, tickets with their threads and comments, and every
 * module of desk/schemas.c. Its routes' handle is the org's dm_store. Also the
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
int dm_api_paging(dm_req *req, dm_resp *resp, size_t max, size_t dflt, size_t *from, size_t *limit);

/* 404 for a resource that does not exist. */
void dm_api_not_found(dm_resp *resp, const char *what, const char *id);
/* 404 for an id that is no object of module, saying whose id it is when it
 * belongs to another module ("that id is a comment's") and noting it for the
 * journal (resp->wrong_resource). */
void dm_api_not_found_as(dm_resp *resp, const dm_store *s, const char *module, const char *id);

/* A list route's query string, checked against its module (from, limit,
 * and the schema's list_params: equality filters on keys, departmentIds,
 * sortBy, fields, include, viewId). */
typedef struct dm_list_query {
    const dm_schema *schema;
    const dm_store *store;
    size_t from, limit;
    const dm_req *req;
    const char *sort_by; /* a key, or NULL */
    int sort_desc;       /* sortBy=-key */
    const char *fields;  /* fields=a,b: only these keys (and id) in each row */
} dm_list_query;

/* Reads req's query for a list of sc; 0, or -1 after writing 422 (an
 * unknown parameter: "Extra query parameter '<name>' is present in the
 * input"; a bad value). */
int dm_api_list_query(dm_req *req, dm_resp *resp, const dm_store *s, const dm_schema *sc,
                      dm_list_query *q);
/* Whether obj passes q's filters. */
int dm_list_query_keeps(const dm_list_query *q, const cJSON *obj);
/* Sorts rows (cJSON *, borrowed) by q's sortBy, pages them and writes 200
 * {"data": [...]}; omit, when given, names a key left out of each row. */
void dm_api_list_rows(dm_resp *resp, const dm_list_query *q, dm_vec *rows, const char *omit);
/* For a single object's GET: only include and fields are allowed; 0, or -1
 * after writing 422. */
int dm_api_no_query(dm_req *req, dm_resp *resp);

/* Adds an error for each id in body that refers to a module (a schema
 * attribute's ref) and names no object of it. */
void dm_api_check_refs(const dm_store *s, const dm_schema *sc, const cJSON *body, dm_field_errs *e);
/* Adds an error for each key of c's schema marked unique whose value in
 * body another object (not self) already has. */
void dm_api_check_unique(const dm_store *s, const dm_coll *c, const cJSON *body, const cJSON *self,
                         dm_field_errs *e);
/* Keeps the count a ticket holds of sc's objects (the schema's count_key:
 * attachmentCount, taskCount, ...) true after a write that added, removed or
 * moved one, with no ticket change of its own, as with threads. */
void dm_desk_recount(dm_store *s, const dm_schema *sc, const char *ticket_id);
/* found when it is not NULL; else answers 404 (dm_api_not_found) and returns
 * NULL. For lookups: `dm_ticket *t = dm_api_found(resp, dm_store_ticket(s,
 * id), "ticket", id); if (!t) return;` */
void *dm_api_found(dm_resp *resp, void *found, const char *what, const char *id);

/* Field types for dm_api_validate. */
typedef enum {
    DM_F_STR,  /* string up to maxlen */
    DM_F_ENUM, /* one of choices */
    DM_F_ID,   /* id string */
    DM_F_TIME, /* ISO-8601 string */
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

/* A new thread of t from in (checked: its direction, content, channel,
 * addresses, contentType as sendReply takes it), as actor (NULL: the
 * ticket's contact writes it); not stored, no change. Owned. */
cJSON *dm_desk_new_thread(dm_store *s, const char *actor, dm_ticket *t, const cJSON *in);
/* Adds a thread to t (direction from in: "in" from the contact, "out" from
 * call's agent) and emits its change. Returns the stored thread. */
const cJSON *dm_desk_add_thread(dm_store *s, dm_call *call, dm_ticket *t, const cJSON *in);
/* Makes a ticket of in (checked) and stores it; announce: emits its create
 * too. */
dm_ticket *dm_desk_make_ticket(dm_store *s, dm_call *call, const cJSON *in, int announce);
/* Emits t's create, its payload carrying extra's keys too when given (an
 * email ticket's firstThread). */
void dm_desk_announce_ticket(dm_store *s, dm_call *call, dm_ticket *t, const cJSON *extra);
/* Deletes t with its threads and comments and emits the ticket's delete. */
void dm_desk_delete_ticket(dm_store *s, dm_call *call, dm_ticket *t);

/* ==== Handlers (self: the org's dm_store) ==== */

#define DM_DESK_HANDLER(name) void name(void *self, dm_call *call, dm_req *req, dm_resp *resp)
DM_DESK_HANDLER(dm_h_organizations);
DM_DESK_HANDLER(dm_h_organization_get);
DM_DESK_HANDLER(dm_h_myinfo);
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
DM_DESK_HANDLER(dm_h_comment_delete);
DM_DESK_HANDLER(dm_h_ticket_delete);
DM_DESK_HANDLER(dm_h_tickets_move_to_trash);
DM_DESK_HANDLER(dm_h_mod_list);
DM_DESK_HANDLER(dm_h_mod_get);
DM_DESK_HANDLER(dm_h_mod_create);
DM_DESK_HANDLER(dm_h_mod_update);
DM_DESK_HANDLER(dm_h_mod_delete);
#undef DM_DESK_HANDLER

#endif
