/* tickets.c -- /api/v1/tickets: list, get, create, update, move to trash,
 * validated and built by the ticket schema (desk/schemas.c). A PATCH carries
 * only the fields it changes; one that changes nothing is no change at all
 * (no modifiedTime bump, no change record). */
#include "desk/api.h"
#include "util/json.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dm_h_tickets(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    dm_list_query q;
    if (dm_api_list_query(req, resp, store, &dm_ticket_schema, &q)) return;
    if (q.sort_by || q.fields) {
        dm_vec rows = {0};
        for (size_t i = 0; i < store->tickets.n; i++) {
            cJSON *t = ((dm_ticket *)store->tickets.items[i])->obj;
            if (dm_list_query_keeps(&q, t)) dm_vec_push(&rows, t);
        }
        dm_api_list_rows(resp, &q, &rows, NULL);
        dm_vec_free(&rows);
        return;
    }
    /* the common case, in file order: each ticket's cached text */
    dm_buf *b = &resp->body;
    dm_buf_puts(b, "{\"data\":[");
    size_t seen = 0, put = 0;
    for (size_t i = 0; i < store->tickets.n && put < q.limit; i++) {
        dm_ticket *t = store->tickets.items[i];
        if (!dm_list_query_keeps(&q, t->obj) || seen++ < q.from) continue;
        size_t len;
        const char *text = dm_store_ticket_text(store, t, &len);
        if (put++) dm_buf_putc(b, ',');
        dm_buf_append(b, text, len);
    }
    dm_buf_puts(b, "]}");
    resp->status = 200;
}

void dm_h_ticket_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    if (dm_api_no_query(req, resp)) return;
    dm_ticket *t = dm_store_ticket(store, req->params[0]);
    if (!t) {
        dm_api_not_found_as(resp, store, "ticket", req->params[0]);
        return;
    }
    size_t len;
    const char *text = dm_store_ticket_text(store, t, &len);
    dm_resp_raw(resp, 200, text, len);
}

/* Finds the contact named by a ticket's inline contact object by email, or
 * creates it (a change of its own). Returns its id, or NULL after errors. */
static const char *inline_contact(dm_store *store, dm_call *call, cJSON *c, dm_field_errs *e)
{
    dm_coll *contacts = dm_store_coll(store, "contact");
    const char *email = dm_json_str(c, "email");
    if (!cJSON_IsObject(c)) {
        dm_field_errs_add(e, "/contact", "invalid", "expected an object");
        return NULL;
    }
    if (!dm_json_str(c, "lastName") && email) dm_json_set_str(c, "lastName", email);
    if (!dm_json_str(c, "lastName")) {
        dm_field_errs_add(e, "/contact/lastName", "missing",
                          "a new contact needs lastName or email");
        return NULL;
    }
    if (dm_schema_check_input(contacts->schema, c, DM_INPUT_CREATE, "/contact", e)) return NULL;
    for (size_t i = 0; email && i < contacts->items.n; i++) {
        const cJSON *k = contacts->items.items[i];
        const char *ke = dm_json_str(k, "email");
        if (ke && strcmp(ke, email) == 0) return dm_json_str(k, "id");
    }
    cJSON *obj = dm_coll_create(store, contacts, c, NULL, call->origin.actor_id, &call->origin, 0);
    return dm_json_str(obj, "id");
}

dm_ticket *dm_desk_make_ticket(dm_store *store, dm_call *call, const cJSON *in, int announce)
{
    char id[DM_ID_MAX];
    dm_store_new_id(store, id);
    dm_ticket *t = dm_xcalloc(1, sizeof *t);
    t->obj = dm_schema_new_object(&dm_ticket_schema, in, 0);
    dm_json_set_str(t->obj, "id", id);
    dm_derive(store, &dm_ticket_schema, t->obj, NULL, call->origin.actor_id,
              dm_clock_now(store->clock));
    dm_vec_push(&store->tickets, t);
    dm_map_put(store->tickets_by_id, id, t);
    if (announce) dm_desk_announce_ticket(store, call, t, NULL);
    return t;
}

void dm_desk_announce_ticket(dm_store *store, dm_call *call, dm_ticket *t, const cJSON *extra)
{
    const char *id = dm_json_str(t->obj, "id");
    if (!extra) {
        dm_store_emit(store, "ticket", "create", id, NULL, NULL, t->obj, &call->origin);
        return;
    }
    cJSON *payload = cJSON_Duplicate(t->obj, 1);
    const cJSON *v;
    cJSON_ArrayForEach(v, extra)
        dm_json_set(payload, v->string, cJSON_Duplicate(v, 1));
    dm_store_emit(store, "ticket", "create", id, NULL, NULL, payload, &call->origin);
    cJSON_Delete(payload);
}

void dm_h_ticket_create(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    cJSON *contact = cJSON_DetachItemFromObjectCaseSensitive(body, "contact");
    dm_schema_check_input(&dm_ticket_schema, body, DM_INPUT_CREATE, "", &e);
    if (!dm_json_str(body, "contactId") && !contact && !e.n)
        dm_field_errs_add(&e, "/contactId", "missing", "give contactId or a contact object");
    if (!e.n) dm_api_check_refs(store, &dm_ticket_schema, body, &e);
    if (!e.n && !dm_json_str(body, "contactId")) {
        const char *cid = inline_contact(store, call, contact, &e);
        if (cid) dm_json_set_str(body, "contactId", cid);
    }
    cJSON_Delete(contact);
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return;
    }
    dm_ticket *t = dm_desk_make_ticket(store, call, body, 1);
    cJSON_Delete(body);
    dm_resp_json(resp, 200, t->obj);
}

void dm_h_ticket_update(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    dm_ticket *t = dm_store_ticket(store, req->params[0]);
    if (!t) {
        dm_api_not_found_as(resp, store, "ticket", req->params[0]);
        return;
    }
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    cJSON *contact = cJSON_DetachItemFromObjectCaseSensitive(body, "contact");
    if (contact)
        dm_field_errs_add(&e, "/contact", "invalid", "to change the contact, PATCH contactId");
    cJSON_Delete(contact);
    dm_schema_check_input(&dm_ticket_schema, body, DM_INPUT_UPDATE, "", &e);
    if (!e.n) dm_api_check_refs(store, &dm_ticket_schema, body, &e);
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return;
    }
    dm_store_update(store, &dm_ticket_schema, t->obj, body, &call->origin);
    cJSON_Delete(body);
    dm_resp_json(resp, 200, t->obj);
}

/* POST /api/v1/tickets/moveToTrash {"ticketIds": [...]}: each ticket leaves
 * the list and raises Ticket_Delete. */
void dm_h_tickets_move_to_trash(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(body, "ticketIds"), *x;
    const cJSON *v;
    cJSON_ArrayForEach(v, body)
        if (strcmp(v->string, "ticketIds") != 0) {
            char ptr[160];
            dm_json_pointer(ptr, sizeof ptr, "", v->string, 100);
            dm_field_errs_add(&e, ptr, "invalid", "unknown or read-only field");
        }
    if (!ids)
        dm_field_errs_add(&e, "/ticketIds", "missing", "is required");
    else if (!cJSON_IsArray(ids) || !cJSON_GetArraySize(ids) || cJSON_GetArraySize(ids) > 50)
        dm_field_errs_add(&e, "/ticketIds", "invalid", "expected 1 to 50 ticket ids");
    int i = 0;
    cJSON_ArrayForEach(x, ids) {
        char ptr[32];
        snprintf(ptr, sizeof ptr, "/ticketIds/%d", i++);
        if (!cJSON_IsString(x) || !dm_store_ticket(store, x->valuestring))
            dm_field_errs_add(&e, ptr, "invalid", "no ticket with this id");
    }
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return;
    }
    cJSON_ArrayForEach(x, ids) {
        dm_ticket *t = dm_store_ticket(store, x->valuestring);
        if (t) dm_desk_delete_ticket(store, call, t); /* a repeated id is gone already */
    }
    cJSON_Delete(body);
    resp->status = 204;
}

void dm_desk_delete_ticket(dm_store *store, dm_call *call, dm_ticket *t)
{
    dm_store *s = store;
    char id[DM_ID_MAX];
    snprintf(id, sizeof id, "%s", dm_json_str(t->obj, "id"));
    for (size_t i = 0; i < t->threads.n; i++) {
        dm_map_del(s->threads_by_id, dm_json_str(t->threads.items[i], "id"));
        cJSON_Delete(t->threads.items[i]);
    }
    for (size_t i = 0; i < t->comments.n; i++) {
        dm_map_del(s->comments_by_id, dm_json_str(t->comments.items[i], "id"));
        cJSON_Delete(t->comments.items[i]);
    }
    dm_vec_free(&t->threads);
    dm_vec_free(&t->comments);
    /* what else belonged to it (attachments, approvals, time entries) goes too */
    for (size_t i = 0; i < s->ncolls; i++) {
        dm_coll *c = &s->colls[i];
        if (!c->schema->parent_module || strcmp(c->schema->parent_module, "ticket") != 0) continue;
        dm_vec mine = {0};
        dm_coll_where(c, "ticketId", id, &mine);
        for (size_t k = 0; k < mine.n; k++) {
            dm_map_del(c->by_id, dm_json_str(mine.items[k], "id"));
            dm_vec_remove(&c->items, mine.items[k]);
            cJSON_Delete(mine.items[k]);
        }
        dm_vec_free(&mine);
    }
    dm_map_del(s->tickets_by_id, id);
    dm_vec_remove(&s->tickets, t);
    dm_store_emit(s, "ticket", "delete", id, NULL, t->obj, NULL, &call->origin);
    dm_ticket_free(t); /* threads and comments are already gone */
}
