/* modules.c -- the REST routes of every module kept in a collection (desk/
 * schemas.c): list, get, create, update and delete, each validated by the
 * module's schema. A handler finds its module from the request's path, so
 * adding a module is adding its schema and its rows in the route table. */
#include "desk/api.h"
#include "util/json.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== Which module ==== */

/* Whether path (after "/api/v1/") starts with pattern's segments ("{}"
 * matches any one); returns what follows, or NULL. */
static const char *match(const char *path, const char *pattern)
{
    while (*pattern) {
        if (strncmp(pattern, "{}", 2) == 0) {
            path += strcspn(path, "/");
            pattern += 2;
            continue;
        }
        if (*path != *pattern) return NULL;
        path++, pattern++;
    }
    return *path == '\0' || *path == '/' ? path : NULL;
}

/* The collection whose REST path req is on; NULL when none (cannot happen
 * for a route of this file's table). */
static dm_coll *coll_of(const dm_store *s, const dm_req *req)
{
    const char *p = req->path + strlen("/api/v1/");
    dm_coll *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < s->ncolls; i++) {
        const dm_schema *sc = s->colls[i].schema;
        const char *rest = sc->path ? match(p, sc->path) : NULL;
        if (rest && (!*rest || !strchr(rest + 1, '/')) && strlen(sc->path) > best_len) {
            best = &s->colls[i];
            best_len = strlen(sc->path);
        }
    }
    return best;
}

/* The object a nested module's request is under (req->params[0], a ticket
 * or an article); answers 404 and returns NULL when there is none. For
 * top-level modules, "". */
static const char *parent_of(dm_store *s, const dm_coll *c, const dm_req *req, dm_resp *resp)
{
    if (!c->schema->parent) return "";
    const cJSON *p = dm_store_get(s, c->schema->parent_module, req->params[0]);
    if (!p) dm_api_not_found_as(resp, s, c->schema->parent_module, req->params[0]);
    return p ? dm_json_str(p, "id") : NULL;
}

/* The object the request names (its last path parameter), under the ticket
 * parent when nested; answers 404 and returns NULL when there is none. */
static cJSON *item_of(dm_store *s, dm_coll *c, const dm_req *req, dm_resp *resp)
{
    const char *parent = parent_of(s, c, req, resp);
    if (!parent) return NULL;
    const char *id = req->params[req->nparams - 1];
    cJSON *obj = dm_map_get(c->by_id, id);
    if (obj && *parent && strcmp(dm_json_str(obj, c->schema->parent), parent) != 0) obj = NULL;
    if (!obj) dm_api_not_found_as(resp, s, c->schema->name, id);
    return obj;
}

/* ==== Reads ==== */

void dm_h_mod_list(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *s = self;
    dm_coll *c = coll_of(s, req);
    const char *parent = parent_of(s, c, req, resp);
    if (!parent) return;
    dm_list_query q;
    if (dm_api_list_query(req, resp, s, c->schema, &q)) return;
    dm_vec rows = {0};
    for (size_t i = 0; i < c->items.n; i++) {
        cJSON *o = c->items.items[i];
        if (*parent && strcmp(dm_json_str(o, c->schema->parent), parent) != 0) continue;
        if (dm_list_query_keeps(&q, o)) dm_vec_push(&rows, o);
    }
    dm_api_list_rows(resp, &q, &rows, NULL);
    dm_vec_free(&rows);
}

void dm_h_mod_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *s = self;
    dm_coll *c = coll_of(s, req);
    if (dm_api_no_query(req, resp)) return;
    cJSON *obj = item_of(s, c, req, resp);
    if (obj) dm_resp_json(resp, 200, obj);
}

/* ==== Writes ==== */

/* Checks body for a create or an update of c, references included; writes
 * 422 and returns -1 when it is not good. */
static int check_body(dm_store *s, dm_coll *c, const cJSON *body, int mode, const cJSON *self,
                      dm_resp *resp)
{
    dm_field_errs e = {0};
    dm_schema_check_input(c->schema, body, mode, "", &e);
    if (!e.n) dm_api_check_refs(s, c->schema, body, &e);
    if (!e.n) dm_api_check_unique(s, c, body, self, &e);
    if (!e.n) return 0;
    dm_api_invalid(resp, &e);
    return -1;
}

void dm_h_mod_create(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *s = self;
    dm_coll *c = coll_of(s, req);
    const char *parent = parent_of(s, c, req, resp);
    if (!parent) return;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    if (check_body(s, c, body, DM_INPUT_CREATE, NULL, resp) == 0) {
        if (*parent) dm_json_set_str(body, c->schema->parent, parent);
        cJSON *obj = dm_coll_create(s, c, body, NULL, call->origin.actor_id, &call->origin, 0);
        dm_desk_recount(s, c->schema, dm_json_str(obj, "ticketId"));
        dm_resp_json(resp, 200, obj);
    }
    cJSON_Delete(body);
}

void dm_h_mod_update(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *s = self;
    dm_coll *c = coll_of(s, req);
    cJSON *obj = item_of(s, c, req, resp);
    if (!obj) return;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    if (check_body(s, c, body, DM_INPUT_UPDATE, obj, resp) == 0) {
        char was[DM_ID_MAX] = "";
        if (dm_json_str(obj, "ticketId"))
            snprintf(was, sizeof was, "%s", dm_json_str(obj, "ticketId"));
        dm_coll_update(s, c, obj, body, &call->origin);
        dm_desk_recount(s, c->schema, was);
        dm_desk_recount(s, c->schema, dm_json_str(obj, "ticketId"));
        dm_resp_json(resp, 200, obj);
    }
    cJSON_Delete(body);
}

void dm_h_mod_delete(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *s = self;
    dm_coll *c = coll_of(s, req);
    cJSON *obj = item_of(s, c, req, resp);
    if (!obj) return;
    if (strcmp(c->schema->name, "agent") == 0) {
        /* a deleted agent's tokens stop working; the caller's own cannot go */
        if (call->principal && call->principal->agent == obj) {
            dm_resp_error(resp, 422, "INVALID_DATA", "An agent cannot delete themselves.", NULL);
            return;
        }
        dm_store_remove_tokens_of(s, obj);
    }
    char ticket[DM_ID_MAX] = "";
    if (dm_json_str(obj, "ticketId"))
        snprintf(ticket, sizeof ticket, "%s", dm_json_str(obj, "ticketId"));
    dm_coll_delete(s, c, obj, &call->origin);
    dm_desk_recount(s, c->schema, ticket);
    resp->status = 204;
}
