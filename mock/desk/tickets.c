/* tickets.c -- /api/v1/tickets: list, get, create, update. A PATCH carries
 * only the fields it changes; one that changes nothing is no change at all
 * (no modifiedTime bump, no change record). */
#include "desk/api.h"
#include "util/json.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const statuses[] = {"Open", "On Hold", "Escalated", "Closed", NULL};
static const char *const priorities[] = {"Low", "Medium", "High", "Urgent", NULL};
static const char *const classifications[] = {"Question", "Problem", "Request", "Others", NULL};

static const dm_field_spec ticket_fields[] = {
    {"subject", DM_F_STR, 0, 255, NULL},
    {"description", DM_F_STR, 1, 65535, NULL},
    {"status", DM_F_ENUM, 0, 0, statuses},
    {"priority", DM_F_ENUM, 1, 0, priorities},
    {"channel", DM_F_STR, 0, 100, NULL},
    {"classification", DM_F_ENUM, 1, 0, classifications},
    {"category", DM_F_STR, 1, 120, NULL},
    {"subCategory", DM_F_STR, 1, 120, NULL},
    {"language", DM_F_STR, 0, 50, NULL},
    {"departmentId", DM_F_ID, 0, 0, NULL},
    {"contactId", DM_F_ID, 0, 0, NULL},
    {"contact", DM_F_OBJ, 0, 0, NULL},
    {"assigneeId", DM_F_ID, 1, 0, NULL},
    {"teamId", DM_F_ID, 1, 0, NULL},
    {"email", DM_F_EMAIL, 1, 0, NULL},
    {"phone", DM_F_STR, 1, 50, NULL},
    {"dueDate", DM_F_TIME, 1, 0, NULL},
    {"responseDueDate", DM_F_TIME, 1, 0, NULL},
    {"productId", DM_F_ID, 1, 0, NULL},
    {"cf", DM_F_CF, 0, 0, NULL},
    {"resolution", DM_F_STR, 1, 65535, NULL},
    {"secondaryContacts", DM_F_IDS, 0, 0, NULL},
};
#define NFIELDS (sizeof ticket_fields / sizeof ticket_fields[0])

static const dm_field_spec contact_in_ticket[] = {
    {"firstName", DM_F_STR, 1, 100, NULL}, {"lastName", DM_F_STR, 0, 100, NULL},
    {"email", DM_F_EMAIL, 1, 0, NULL},     {"phone", DM_F_STR, 1, 50, NULL},
    {"mobile", DM_F_STR, 1, 50, NULL},
};

/* Adds an error for each reference in body that names nothing in the org. */
static void check_refs(dm_store *store, const cJSON *body, dm_field_errs *e)
{
    const char *dep = dm_json_str(body, "departmentId");
    const char *con = dm_json_str(body, "contactId");
    const char *asg = dm_json_str(body, "assigneeId");
    if (dep && !dm_store_department(store, dep))
        dm_field_errs_add(e, "/departmentId", "invalid", "no department with id %s", dep);
    if (con && !dm_store_contact(store, con))
        dm_field_errs_add(e, "/contactId", "invalid", "no contact with id %s", con);
    if (asg && !dm_store_agent(store, asg))
        dm_field_errs_add(e, "/assigneeId", "invalid", "no agent with id %s", asg);
    if (dm_json_str(body, "teamId"))
        dm_field_errs_add(e, "/teamId", "invalid", "this org has no teams");
    if (dm_json_str(body, "productId"))
        dm_field_errs_add(e, "/productId", "invalid", "this org has no products");
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(body, "secondaryContacts"), *x;
    if (cJSON_IsArray(sec)) cJSON_ArrayForEach(x, sec) {
        if (cJSON_IsString(x) && !dm_store_contact(store, x->valuestring))
            dm_field_errs_add(e, "/secondaryContacts", "invalid", "no contact with id %s",
                              x->valuestring);
    }
}

void dm_h_tickets(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    size_t from, limit;
    if (dm_api_paging(req, resp, 100, 10, &from, &limit)) return;
    const char *dep = dm_kvs_get(&req->query, "departmentId");
    const char *status = dm_kvs_get(&req->query, "status");
    const char *asg = dm_kvs_get(&req->query, "assigneeId");
    if (dep && !dm_store_department(store, dep)) {
        dm_field_errs e = {0};
        dm_field_errs_add(&e, "departmentId", "invalid", "no department with id %.40s", dep);
        dm_api_invalid(resp, &e);
        return;
    }
    dm_buf *b = &resp->body;
    dm_buf_puts(b, "{\"data\":[");
    size_t seen = 0, put = 0;
    for (size_t i = 0; i < store->tickets.n && put < limit; i++) {
        const cJSON *t = ((dm_ticket *)store->tickets.items[i])->obj;
        const char *td = dm_json_str(t, "departmentId"), *ts = dm_json_str(t, "status");
        const char *ta = dm_json_str(t, "assigneeId");
        if (dep && (!td || strcmp(dep, td))) continue;
        if (status && (!ts || !dm_list_has(status, ts))) continue;
        if (asg && (!ta || strcmp(asg, ta))) continue;
        if (seen++ < from) continue;
        char *s = dm_json_print(t);
        if (put++) dm_buf_putc(b, ',');
        dm_buf_puts(b, s);
        cJSON_free(s);
    }
    dm_buf_puts(b, "]}");
    resp->status = 200;
}

void dm_h_ticket_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    dm_ticket *t = dm_api_found(resp, dm_store_ticket(store, req->params[0]), "ticket",
                                req->params[0]);
    if (!t) return;
    size_t len;
    const char *text = dm_store_ticket_text(store, t, &len);
    dm_resp_raw(resp, 200, text, len);
}

/* Finds the contact named by a ticket's inline contact object by email, or
 * creates it (a change of its own). Returns its id, or NULL after errors. */
static const char *inline_contact(dm_store *store, dm_call *call, const cJSON *c, dm_field_errs *e)
{
    size_t n = sizeof contact_in_ticket / sizeof contact_in_ticket[0];
    dm_field_errs sub = {0};
    dm_api_validate(c, contact_in_ticket, n, &sub);
    for (size_t i = 0; i < sub.n; i++) {
        char field[160];
        snprintf(field, sizeof field, "/contact%s", sub.items[i].field);
        dm_field_errs_add(e, field, sub.items[i].type, "%s", sub.items[i].message);
    }
    const char *email = dm_json_str(c, "email"), *last = dm_json_str(c, "lastName");
    if (!email && !last)
        dm_field_errs_add(e, "/contact/lastName", "missing", "a new contact needs lastName or email");
    if (e->n) return NULL;
    for (size_t i = 0; email && i < store->contacts.n; i++) {
        const cJSON *k = store->contacts.items[i];
        const char *ke = dm_json_str(k, "email");
        if (ke && strcmp(ke, email) == 0) return dm_json_str(k, "id");
    }
    char id[DM_ID_MAX];
    dm_store_new_id(store, id);
    cJSON *in = cJSON_Duplicate(c, 1);
    if (!last) dm_json_set_str(in, "lastName", email);
    cJSON *obj = dm_shape_contact(store, in, id, dm_clock_now(store->clock));
    cJSON_Delete(in);
    dm_vec_push(&store->contacts, obj);
    dm_map_put(store->contacts_by_id, id, obj);
    dm_store_emit(store, "contact", "create", id, NULL, NULL, obj, &call->origin);
    return dm_json_str(obj, "id");
}

void dm_h_ticket_create(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    static const char *const required[] = {"subject", "departmentId", NULL};
    dm_api_validate(body, ticket_fields, NFIELDS, &e);
    dm_api_require(body, required, &e);
    const cJSON *contact = cJSON_GetObjectItemCaseSensitive(body, "contact");
    if (!dm_json_str(body, "contactId") && !cJSON_IsObject(contact) && !e.n)
        dm_field_errs_add(&e, "/contactId", "missing", "give contactId or a contact object");
    if (!e.n) check_refs(store, body, &e);
    if (!e.n && !dm_json_str(body, "contactId")) {
        const char *cid = inline_contact(store, call, contact, &e);
        if (cid) dm_json_set_str(body, "contactId", cid);
    }
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(body, "contact");
    char id[DM_ID_MAX];
    dm_store_new_id(store, id);
    dm_ticket *t = dm_xcalloc(1, sizeof *t);
    t->obj = dm_shape_ticket(store, body, id, call->origin.actor_id, dm_clock_now(store->clock));
    cJSON_Delete(body);
    dm_vec_push(&store->tickets, t);
    dm_map_put(store->tickets_by_id, id, t);
    dm_store_emit(store, "ticket", "create", id, NULL, NULL, t->obj, &call->origin);
    dm_resp_json(resp, 200, t->obj);
}

void dm_h_ticket_update(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    dm_ticket *t = dm_api_found(resp, dm_store_ticket(store, req->params[0]), "ticket",
                                req->params[0]);
    if (!t) return;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    dm_api_validate(body, ticket_fields, NFIELDS, &e);
    if (cJSON_GetObjectItemCaseSensitive(body, "contact"))
        dm_field_errs_add(&e, "/contact", "invalid", "to change the contact, PATCH contactId");
    if (!e.n) check_refs(store, body, &e);
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return;
    }
    int64_t now = dm_clock_now(store->clock);
    cJSON *before = cJSON_Duplicate(t->obj, 1);
    const cJSON *v;
    cJSON_ArrayForEach(v, body) {
        if (strcmp(v->string, "cf") == 0) {
            /* custom fields merge: only the named ones change */
            cJSON *cf = cJSON_GetObjectItemCaseSensitive(t->obj, "cf");
            const cJSON *f;
            cJSON_ArrayForEach(f, v) dm_json_set(cf, f->string, cJSON_Duplicate(f, 1));
        } else {
            dm_json_set(t->obj, v->string, cJSON_Duplicate(v, 1));
        }
    }
    cJSON_Delete(body);
    dm_shape_ticket_derive(store, t->obj, before, now);
    if (!cJSON_Compare(before, t->obj, 1)) {
        char iso[DM_ISO_LEN];
        dm_iso_time(now, iso);
        dm_json_set_str(t->obj, "modifiedTime", iso);
        dm_json_set_str(t->obj, "modifiedBy", call->origin.actor_id);
        dm_store_emit(store, "ticket", "update", dm_json_str(t->obj, "id"), NULL, before,
                      t->obj, &call->origin);
    }
    cJSON_Delete(before);
    dm_resp_json(resp, 200, t->obj);
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
    dm_map_del(s->tickets_by_id, id);
    dm_vec_remove(&s->tickets, t);
    dm_store_emit(s, "ticket", "delete", id, NULL, t->obj, NULL, &call->origin);
    dm_ticket_free(t); /* threads and comments are already gone */
}
