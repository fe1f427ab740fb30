/* trigger.c -- POST /mock/v1/events: make Desk events happen on demand.
 * Either a state change named by its event type (made through the same
 * Desk routes as the REST API, as the admin, so prevState, filters and
 * ignoreSourceId apply exactly), or a fixture whose resource is loaded into
 * state and whose event is raised. GET /mock/v1/fixtures lists fixtures. */
#include "control/internal.h"
#include "desk/api.h"
#include "desk/catalog.h"
#include "util/jpath.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const dm_field_spec trigger_fields[] = {
    {"eventType", DM_F_STR, 0, 64, NULL}, {"ticketId", DM_F_ID, 0, 0, NULL},
    {"commentId", DM_F_ID, 0, 0, NULL},   {"contactId", DM_F_ID, 0, 0, NULL},
    {"set", DM_F_OBJ, 0, 0, NULL},        {"sourceId", DM_F_STR, 1, 128, NULL},
    {"automation", DM_F_BOOL, 0, 0, NULL}, {"direction", DM_F_STR, 0, 8, NULL},
};

/* Applies set (an object of path -> value) and unset (an array of paths) to
 * root; on a bad path adds an error and returns -1. Paths that start with
 * base_skip are taken from root; others are under base (NULL = root). */
static int apply_paths(cJSON *root, const char *base, const cJSON *set, const cJSON *unset,
                       dm_field_errs *e)
{
    const cJSON *v;
    char why[200];
    cJSON_ArrayForEach(v, set) {
        char path[600];
        int rooted = !base || strncmp(v->string, "payload.", 8) == 0 ||
                     strncmp(v->string, "prevState.", 10) == 0;
        snprintf(path, sizeof path, "%s%s%s", rooted ? "" : base, rooted ? "" : ".", v->string);
        if (dm_jpath_set(root, path, cJSON_Duplicate(v, 1), why, sizeof why)) {
            char ptr[160];
            snprintf(ptr, sizeof ptr, "/set/%.100s", v->string);
            dm_field_errs_add(e, ptr, "invalid", "%s", why);
        }
    }
    int i = 0;
    cJSON_ArrayForEach(v, unset) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/unset/%d", i++);
        if (!cJSON_IsString(v)) {
            dm_field_errs_add(e, ptr, "invalid", "expected a path string");
            continue;
        }
        char path[600];
        int rooted = !base || strncmp(v->valuestring, "payload.", 8) == 0 ||
                     strncmp(v->valuestring, "prevState.", 10) == 0;
        snprintf(path, sizeof path, "%s%s%s", rooted ? "" : base, rooted ? "" : ".", v->valuestring);
        if (dm_jpath_unset(root, path, why, sizeof why))
            dm_field_errs_add(e, ptr, "invalid", "%s", why);
    }
    return e->n ? -1 : 0;
}

/* Lists the event records published after seq: [{"seq","eventType","webhooks"}]. */
typedef struct collected {
    cJSON *events;
} collected;

static int collect_event(void *ud, uint64_t seq, const char *kind, const char *json)
{
    collected *c = ud;
    (void)kind;
    cJSON *r = NULL;
    if (dm_json_parse(json, strlen(json), &r, NULL, 0)) return 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "seq", (double)seq);
    cJSON_AddStringToObject(o, "eventType", dm_json_str(r, "eventType"));
    cJSON_AddItemToObject(o, "webhooks",
                          cJSON_DetachItemFromObjectCaseSensitive(r, "webhooks"));
    cJSON_AddItemToArray(c->events, o);
    cJSON_Delete(r);
    return 0;
}

/* {"events": [...], "resource"?, "reason"?}: the events raised after seq
 * before; when none was, reason says why (set: what the trigger set, for a
 * change that turned out to change nothing). */
static void answer_events(dm_control *c, uint64_t before, dm_resp *resp, const dm_resp *inner,
                          const char *type, const cJSON *set)
{
    cJSON *o = cJSON_CreateObject();
    collected got = {cJSON_AddArrayToObject(o, "events")};
    dm_journal_filter f = {before, "event", 0, 0};
    /* the records are still held by the open request: look there too */
    dm_journal_visit(c->d.journal, &f, collect_event, &got);
    dm_journal_visit_held(c->d.journal, &f, collect_event, &got);
    if (!cJSON_GetArraySize(got.events)) {
        /* Desk raises nothing for a change that changes nothing */
        dm_buf why = {0};
        if (set && set->child) {
            dm_buf_printf(&why, "nothing changed: %s already has ", type ? type : "the resource");
            const cJSON *v;
            int i = 0;
            cJSON_ArrayForEach(v, set) {
                char *val = cJSON_IsString(v) ? dm_xstrdup(v->valuestring) : dm_json_print(v);
                dm_buf_printf(&why, "%s%s %s", i++ ? ", " : "", v->string, val);
                free(val);
            }
            dm_buf_puts(&why, "; Desk raises no event for a change that changes nothing");
        } else {
            dm_buf_puts(&why, "the change raised no event");
        }
        cJSON_AddStringToObject(o, "reason", why.data);
        dm_buf_free(&why);
    }
    if (inner) {
        cJSON *res = NULL;
        if (inner->body.len && dm_json_parse(inner->body.data, inner->body.len, &res, NULL, 0) == 0)
            cJSON_AddItemToObject(o, "resource", res);
    }
    dm_resp_json(resp, 200, o);
    cJSON_Delete(o);
}

/* ==== State changes by event type ==== */

static const char *default_department(const dm_store *store)
{
    for (size_t i = 0; i < store->departments.n; i++)
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(store->departments.items[i], "isDefault")))
            return dm_json_str(store->departments.items[i], "id");
    return dm_json_str(store->departments.items[0], "id");
}

/* A request into the Desk API as the admin, its writes carrying the
 * trigger's origin (cause, sourceId, automation). */
static void desk(dm_control *c, const dm_call *call, const char *method, const char *path,
                 const cJSON *body, dm_resp *inner)
{
    const dm_token *admin = dm_store_token_for_role(c->d.store, "admin");
    dm_req r = {0};
    char auth[200];
    snprintf(auth, sizeof auth, "Zoho-oauthtoken %s", admin->token);
    dm_kvs_add(&r.headers, "Authorization", auth);
    dm_kvs_add(&r.headers, "orgId", dm_json_str(c->d.store->org, "id"));
    dm_kvs_add(&r.headers, "Content-Type", "application/json");
    char *text = body ? dm_json_print(body) : NULL;
    r.method = method;
    r.path = path;
    r.body = text ? text : "";
    r.body_len = text ? strlen(text) : 0;
    r.remote = "trigger";
    c->d.desk_call(c->d.ud, &r, &call->origin, inner);
    free(text);
    dm_kvs_free(&r.headers);
}

/* What an update of type changes, in words ("the ticket"). */
static const char *changed_resource(const char *type)
{
    if (strncmp(type, "Contact_", 8) == 0) return "the contact";
    if (strncmp(type, "Ticket_Comment_", 15) == 0) return "the comment";
    return "the ticket";
}

static void by_type(dm_control *c, dm_call *call, const cJSON *body, dm_resp *resp)
{
    const char *type = dm_json_str(body, "eventType");
    const char *tid = dm_json_str(body, "ticketId"), *cid = dm_json_str(body, "commentId");
    const char *kid = dm_json_str(body, "contactId");
    dm_field_errs e = {0};
    cJSON *in = cJSON_CreateObject();
    if (apply_paths(in, NULL, cJSON_GetObjectItemCaseSensitive(body, "set"),
                    cJSON_GetObjectItemCaseSensitive(body, "unset"), &e)) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(in);
        return;
    }
    char path[256];
    dm_resp inner;
    dm_resp_init(&inner);
    uint64_t before = dm_journal_next_seq(c->d.journal) - 1;
    int need_ticket = strcmp(type, "Ticket_Add") != 0 && strncmp(type, "Ticket_", 7) == 0;
    dm_ticket *t = tid ? dm_store_ticket(c->d.store, tid) : NULL;
    if (need_ticket && !t) {
        dm_field_errs_add(&e, "/ticketId", tid ? "invalid" : "missing",
                          tid ? "no ticket with this id" : "%s needs ticketId", type);
    } else if (strcmp(type, "Ticket_Add") == 0) {
        if (!cJSON_GetObjectItemCaseSensitive(in, "subject"))
            dm_json_set_str(in, "subject", "Triggered ticket");
        if (!cJSON_GetObjectItemCaseSensitive(in, "departmentId"))
            dm_json_set_str(in, "departmentId", default_department(c->d.store));
        if (!cJSON_GetObjectItemCaseSensitive(in, "contactId") &&
            !cJSON_GetObjectItemCaseSensitive(in, "contact") && c->d.store->contacts.n)
            dm_json_set_str(in, "contactId", dm_json_str(c->d.store->contacts.items[0], "id"));
        desk(c, call, "POST", "/api/v1/tickets", in, &inner);
    } else if (strcmp(type, "Ticket_Update") == 0) {
        snprintf(path, sizeof path, "/api/v1/tickets/%s", tid);
        if (!in->child) dm_field_errs_add(&e, "/set", "missing", "say what changes: set a field");
        else desk(c, call, "PATCH", path, in, &inner);
    } else if (strcmp(type, "Ticket_Delete") == 0) {
        dm_desk_delete_ticket(c->d.store, call, t);
        inner.status = 200;
    } else if (strcmp(type, "Ticket_Thread_Add") == 0) {
        const char *dir = dm_json_str(body, "direction");
        if (!cJSON_GetObjectItemCaseSensitive(in, "content"))
            dm_json_set_str(in, "content", dir && strcmp(dir, "out") == 0 ? "<div>Triggered reply</div>"
                                                                           : "<div>Triggered message</div>");
        if (dir && strcmp(dir, "out") == 0) {
            if (!cJSON_GetObjectItemCaseSensitive(in, "channel")) dm_json_set_str(in, "channel", "EMAIL");
            if (!cJSON_GetObjectItemCaseSensitive(in, "to"))
                dm_json_set_str(in, "to", dm_json_str(t->obj, "email") ? dm_json_str(t->obj, "email")
                                                                       : "customer@example.com");
            if (!cJSON_GetObjectItemCaseSensitive(in, "fromEmailAddress")) {
                char from[128];
                snprintf(from, sizeof from, "support@%s.zohodesk.com", c->d.store->portal);
                dm_json_set_str(in, "fromEmailAddress", from);
            }
            snprintf(path, sizeof path, "/api/v1/tickets/%s/sendReply", tid);
            desk(c, call, "POST", path, in, &inner);
        } else if (dir && strcmp(dir, "in") != 0) {
            dm_field_errs_add(&e, "/direction", "invalid", "expected \"in\" or \"out\"");
        } else {
            dm_json_set_str(in, "direction", "in");
            const cJSON *th = dm_desk_add_thread(c->d.store, call, t, in);
            dm_resp_json(&inner, 200, th);
        }
    } else if (strcmp(type, "Ticket_Comment_Add") == 0) {
        if (!cJSON_GetObjectItemCaseSensitive(in, "content"))
            dm_json_set_str(in, "content", "Triggered comment");
        snprintf(path, sizeof path, "/api/v1/tickets/%s/comments", tid);
        desk(c, call, "POST", path, in, &inner);
    } else if (strcmp(type, "Ticket_Comment_Update") == 0) {
        if (!cid) {
            dm_field_errs_add(&e, "/commentId", "missing", "Ticket_Comment_Update needs commentId");
        } else {
            if (!in->child) dm_json_set_str(in, "content", "Triggered edit");
            snprintf(path, sizeof path, "/api/v1/tickets/%s/comments/%s", tid, cid);
            desk(c, call, "PATCH", path, in, &inner);
        }
    } else if (strcmp(type, "Contact_Add") == 0) {
        if (!cJSON_GetObjectItemCaseSensitive(in, "lastName")) dm_json_set_str(in, "lastName", "Triggered");
        desk(c, call, "POST", "/api/v1/contacts", in, &inner);
    } else if (strcmp(type, "Contact_Update") == 0) {
        if (!kid) {
            dm_field_errs_add(&e, "/contactId", "missing", "Contact_Update needs contactId");
        } else {
            snprintf(path, sizeof path, "/api/v1/contacts/%s", kid);
            if (!in->child) dm_field_errs_add(&e, "/set", "missing", "say what changes: set a field");
            else desk(c, call, "PATCH", path, in, &inner);
        }
    } else if (dm_event_type_find(type)) {
        dm_field_errs_add(&e, "/eventType", "invalid",
                          "the mock keeps no state for %s; trigger one of its fixtures instead "
                          "({\"fixture\": \"%s/<name>\"})",
                          type, type);
    } else {
        const char *near = dm_event_type_suggest(type);
        dm_field_errs_add(&e, "/eventType", "invalid", "unknown event type%s%s%s",
                          near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
    }
    cJSON_Delete(in);
    if (e.n) {
        dm_api_invalid(resp, &e);
    } else if (inner.status >= 300) {
        /* the Desk call refused: pass its answer on as is */
        resp->status = inner.status;
        resp->error_code = inner.error_code;
        dm_buf_reset(&resp->body);
        dm_buf_append(&resp->body, inner.body.data, inner.body.len);
    } else {
        answer_events(c, before, resp, &inner, changed_resource(type),
                      cJSON_GetObjectItemCaseSensitive(body, "set"));
    }
    dm_resp_free(&inner);
}

/* ==== Fixtures ==== */

/* The "before" of a fixture's change: none for a create (the event type
 * says what happened, whatever the state held), else the state's current
 * resource, else the fixture's prevState. */
static const cJSON *prior(const char *action, const cJSON *current, const cJSON *prev)
{
    if (strcmp(action, "create") == 0) return NULL;
    return current ? current : prev;
}

/* Loads a fixture's resource into state and emits its change; types the mock
 * keeps no state for are raised directly. */
static void load_and_emit(dm_control *c, dm_call *call, const char *name, const cJSON *fx)
{
    const char *type = dm_json_str(fx, "eventType");
    cJSON *payload = cJSON_GetObjectItemCaseSensitive(fx, "payload");
    const cJSON *prev = cJSON_GetObjectItemCaseSensitive(fx, "prevState");
    const char *id = dm_json_str(payload, "id");
    const char *resource = NULL, *action = NULL;
    static const struct {
        const char *type, *resource, *action;
    } modeled[] = {
        {"Ticket_Add", "ticket", "create"},          {"Ticket_Update", "ticket", "update"},
        {"Ticket_Delete", "ticket", "delete"},       {"Ticket_Thread_Add", "thread", "create"},
        {"Ticket_Comment_Add", "comment", "create"}, {"Ticket_Comment_Update", "comment", "update"},
        {"Contact_Add", "contact", "create"},        {"Contact_Update", "contact", "update"},
    };
    for (size_t i = 0; i < sizeof modeled / sizeof modeled[0]; i++)
        if (strcmp(modeled[i].type, type) == 0) resource = modeled[i].resource, action = modeled[i].action;
    dm_store *s = c->d.store;
    if (!resource || !id) {
        dm_events_raise(c->d.events, type, payload, prev, &call->origin, name, call->origin.cause);
        return;
    }
    if (strcmp(resource, "ticket") == 0) {
        dm_ticket *t = dm_store_ticket(s, id);
        if (strcmp(action, "delete") == 0) {
            if (t) dm_desk_delete_ticket(c->d.store, call, t);
            else dm_events_raise(c->d.events, type, payload, NULL, &call->origin, name, call->origin.cause);
            return;
        }
        cJSON *before = t ? t->obj : NULL;
        if (!t) {
            t = dm_xcalloc(1, sizeof *t);
            dm_vec_push(&s->tickets, t);
        } else {
            dm_map_del(s->tickets_by_id, id);
        }
        t->obj = cJSON_Duplicate(payload, 1);
        dm_map_put(s->tickets_by_id, dm_json_str(t->obj, "id"), t);
        dm_store_emit(s, "ticket", action, dm_json_str(t->obj, "id"), NULL,
                      prior(action, before, prev), t->obj, &call->origin);
        cJSON_Delete(before);
        return;
    }
    if (strcmp(resource, "contact") == 0) {
        cJSON *old = dm_map_get(s->contacts_by_id, id);
        cJSON *obj = cJSON_Duplicate(payload, 1);
        if (old) {
            dm_vec_remove(&s->contacts, old);
            dm_map_del(s->contacts_by_id, id);
        }
        dm_vec_push(&s->contacts, obj);
        dm_map_put(s->contacts_by_id, dm_json_str(obj, "id"), obj);
        dm_store_emit(s, "contact", action, dm_json_str(obj, "id"), NULL, prior(action, old, prev),
                      obj, &call->origin);
        cJSON_Delete(old);
        return;
    }
    /* threads and comments live in their ticket; without it, raise directly */
    dm_ticket *t = dm_store_ticket(s, dm_json_str(payload, "ticketId"));
    if (!t) {
        dm_events_raise(c->d.events, type, payload, prev, &call->origin, name, call->origin.cause);
        return;
    }
    int thread = strcmp(resource, "thread") == 0;
    dm_vec *v = thread ? &t->threads : &t->comments;
    dm_map *m = thread ? s->threads_by_id : s->comments_by_id;
    cJSON *old = dm_map_get(m, id);
    cJSON *obj = cJSON_Duplicate(payload, 1);
    if (old) {
        for (size_t i = 0; i < v->n; i++)
            if (v->items[i] == old) v->items[i] = obj;
        dm_map_del(m, id);
    } else {
        dm_vec_push(v, obj);
    }
    dm_map_put(m, dm_json_str(obj, "id"), obj);
    dm_json_set_count(t->obj, thread ? "threadCount" : "commentCount", (long long)v->n);
    dm_store_emit(s, resource, action, dm_json_str(obj, "id"), dm_json_str(t->obj, "id"),
                  prior(action, old, prev), obj, &call->origin);
    cJSON_Delete(old);
}

static void by_fixture(dm_control *c, dm_call *call, const cJSON *body, dm_resp *resp)
{
    const cJSON *fixture = cJSON_GetObjectItemCaseSensitive(body, "fixture");
    dm_field_errs e = {0};
    cJSON *fx = NULL;
    const char *name = "inline";
    if (cJSON_IsString(fixture)) {
        size_t len;
        char why[256];
        name = fixture->valuestring;
        const char *text = dm_fixture_find(c->d.fixtures, name, &len, why, sizeof why);
        if (!text) {
            dm_field_errs_add(&e, "/fixture", "invalid", "%s", why);
        } else if (dm_json_parse(text, len, &fx, why, sizeof why)) {
            dm_field_errs_add(&e, "/fixture", "invalid", "fixture %s is not valid JSON: %s", name, why);
        }
    } else if (cJSON_IsObject(fixture)) {
        fx = cJSON_Duplicate(fixture, 1);
    } else {
        dm_field_errs_add(&e, "/fixture", "invalid", "expected a fixture name or a fixture object");
    }
    if (fx) {
        apply_paths(fx, "payload", cJSON_GetObjectItemCaseSensitive(body, "set"),
                    cJSON_GetObjectItemCaseSensitive(body, "unset"), &e);
        const char *type = dm_json_str(fx, "eventType");
        if (!type || !dm_event_type_find(type))
            dm_field_errs_add(&e, "/fixture/eventType", "invalid", "expected a known event type");
        if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(fx, "payload")))
            dm_field_errs_add(&e, "/fixture/payload", "invalid", "expected an object");
        const cJSON *prev = cJSON_GetObjectItemCaseSensitive(fx, "prevState");
        if (prev && !cJSON_IsObject(prev) && !cJSON_IsNull(prev))
            dm_field_errs_add(&e, "/fixture/prevState", "invalid", "expected an object");
        if (prev && !cJSON_IsObject(prev)) cJSON_DeleteItemFromObjectCaseSensitive(fx, "prevState");
    }
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(fx);
        return;
    }
    uint64_t before = dm_journal_next_seq(c->d.journal) - 1;
    load_and_emit(c, call, name, fx);
    cJSON_Delete(fx);
    answer_events(c, before, resp, NULL, NULL, NULL);
}

void dm_h_trigger(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_control *c = self;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    cJSON *fixture = cJSON_DetachItemFromObjectCaseSensitive(body, "fixture");
    cJSON *unset = cJSON_DetachItemFromObjectCaseSensitive(body, "unset");
    dm_api_validate(body, trigger_fields, sizeof trigger_fields / sizeof trigger_fields[0], &e);
    if (unset && !cJSON_IsArray(unset)) dm_field_errs_add(&e, "/unset", "invalid", "expected an array of paths");
    if (!fixture && !dm_json_str(body, "eventType"))
        dm_field_errs_add(&e, "/eventType", "missing", "give eventType (a state change) or fixture");
    if (fixture && dm_json_str(body, "eventType"))
        dm_field_errs_add(&e, "/eventType", "invalid", "give eventType or fixture, not both");
    if (e.n) {
        dm_api_invalid(resp, &e);
    } else {
        if (fixture) cJSON_AddItemToObject(body, "fixture", fixture), fixture = NULL;
        if (unset) cJSON_AddItemToObject(body, "unset", unset), unset = NULL;
        const char *sid = dm_json_str(body, "sourceId");
        if (sid) {
            snprintf(call->source_id, sizeof call->source_id, "%s", sid);
            call->origin.source_id = call->source_id;
        }
        call->origin.automation = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "automation"));
        if (cJSON_GetObjectItemCaseSensitive(body, "fixture")) by_fixture(c, call, body, resp);
        else by_type(c, call, body, resp);
    }
    cJSON_Delete(fixture);
    cJSON_Delete(unset);
    cJSON_Delete(body);
}

void dm_h_fixtures(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
    (void)req;
    dm_fixtures_list(c->d.fixtures, &resp->body);
    resp->status = 200;
}

void dm_h_fixture_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_control *c = self;
    char name[300], why[256];
    snprintf(name, sizeof name, "%s/%s", req->params[0], req->params[1]);
    size_t len;
    const char *text = dm_fixture_find(c->d.fixtures, name, &len, why, sizeof why);
    if (!text) {
        dm_resp_error(resp, 404, "URL_NOT_FOUND", why, NULL);
        return;
    }
    dm_resp_raw(resp, 200, text, len);
}
