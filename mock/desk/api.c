/* api.c -- the Desk API's route table, authentication and shared helpers. */
#include "desk/api.h"
#include "util/ids.h"
#include "util/json.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const dm_route dm_desk_routes[] = {
    {"GET", "/api/v1/organizations", dm_h_organizations, NULL, DM_ROUTE_NO_ORG},
    {"GET", "/api/v1/organizations/{}", dm_h_organization_get, NULL, DM_ROUTE_NO_ORG},
    {"GET", "/api/v1/myinfo", dm_h_myinfo, "Desk.basic.READ", 0},
    {"GET", "/api/v1/tickets", dm_h_tickets, "Desk.tickets.READ", 0},
    {"POST", "/api/v1/tickets", dm_h_ticket_create, "Desk.tickets.CREATE", 0},
    {"POST", "/api/v1/tickets/moveToTrash", dm_h_tickets_move_to_trash, "Desk.tickets.DELETE", 0},
    {"GET", "/api/v1/tickets/{}", dm_h_ticket_get, "Desk.tickets.READ", 0},
    {"PATCH", "/api/v1/tickets/{}", dm_h_ticket_update, "Desk.tickets.UPDATE", 0},
    {"GET", "/api/v1/tickets/{}/threads", dm_h_threads, "Desk.tickets.READ", 0},
    {"GET", "/api/v1/tickets/{}/threads/{}", dm_h_thread_get, "Desk.tickets.READ", 0},
    {"POST", "/api/v1/tickets/{}/sendReply", dm_h_send_reply, "Desk.tickets.UPDATE", 0},
    {"GET", "/api/v1/tickets/{}/comments", dm_h_comments, "Desk.tickets.READ", 0},
    {"POST", "/api/v1/tickets/{}/comments", dm_h_comment_create, "Desk.tickets.UPDATE", 0},
    {"GET", "/api/v1/tickets/{}/comments/{}", dm_h_comment_get, "Desk.tickets.READ", 0},
    {"PATCH", "/api/v1/tickets/{}/comments/{}", dm_h_comment_update, "Desk.tickets.UPDATE", 0},
    {"DELETE", "/api/v1/tickets/{}/comments/{}", dm_h_comment_delete, "Desk.tickets.UPDATE", 0},
    /* the modules kept in collections (modules.c): each its list, get,
     * create, update and delete, as Desk has them */
    {"GET", "/api/v1/contacts", dm_h_mod_list, "Desk.contacts.READ", 0},
    {"POST", "/api/v1/contacts", dm_h_mod_create, "Desk.contacts.CREATE", 0},
    {"GET", "/api/v1/contacts/{}", dm_h_mod_get, "Desk.contacts.READ", 0},
    {"PATCH", "/api/v1/contacts/{}", dm_h_mod_update, "Desk.contacts.UPDATE", 0},
    {"DELETE", "/api/v1/contacts/{}", dm_h_mod_delete, "Desk.contacts.DELETE", 0},
    {"GET", "/api/v1/accounts", dm_h_mod_list, "Desk.contacts.READ", 0},
    {"POST", "/api/v1/accounts", dm_h_mod_create, "Desk.contacts.CREATE", 0},
    {"GET", "/api/v1/accounts/{}", dm_h_mod_get, "Desk.contacts.READ", 0},
    {"PATCH", "/api/v1/accounts/{}", dm_h_mod_update, "Desk.contacts.UPDATE", 0},
    {"DELETE", "/api/v1/accounts/{}", dm_h_mod_delete, "Desk.contacts.DELETE", 0},
    {"GET", "/api/v1/departments", dm_h_mod_list, "Desk.basic.READ", 0},
    {"POST", "/api/v1/departments", dm_h_mod_create, "Desk.basic.CREATE", 0},
    {"GET", "/api/v1/departments/{}", dm_h_mod_get, "Desk.basic.READ", 0},
    {"PATCH", "/api/v1/departments/{}", dm_h_mod_update, "Desk.basic.UPDATE", 0},
    {"GET", "/api/v1/agents", dm_h_mod_list, "Desk.basic.READ", 0},
    {"POST", "/api/v1/agents", dm_h_mod_create, "Desk.basic.CREATE", 0},
    {"GET", "/api/v1/agents/{}", dm_h_mod_get, "Desk.basic.READ", 0},
    {"PATCH", "/api/v1/agents/{}", dm_h_mod_update, "Desk.basic.UPDATE", 0},
    {"DELETE", "/api/v1/agents/{}", dm_h_mod_delete, "Desk.basic.DELETE", 0},
    {"GET", "/api/v1/tickets/{}/attachments", dm_h_mod_list, "Desk.tickets.READ", 0},
    {"POST", "/api/v1/tickets/{}/attachments", dm_h_mod_create, "Desk.tickets.CREATE", 0},
    {"GET", "/api/v1/tickets/{}/attachments/{}", dm_h_mod_get, "Desk.tickets.READ", 0},
    {"PATCH", "/api/v1/tickets/{}/attachments/{}", dm_h_mod_update, "Desk.tickets.UPDATE", 0},
    {"DELETE", "/api/v1/tickets/{}/attachments/{}", dm_h_mod_delete, "Desk.tickets.DELETE", 0},
    {"GET", "/api/v1/tickets/{}/approvals", dm_h_mod_list, "Desk.tickets.READ", 0},
    {"POST", "/api/v1/tickets/{}/approvals", dm_h_mod_create, "Desk.tickets.CREATE", 0},
    {"GET", "/api/v1/tickets/{}/approvals/{}", dm_h_mod_get, "Desk.tickets.READ", 0},
    {"PATCH", "/api/v1/tickets/{}/approvals/{}", dm_h_mod_update, "Desk.tickets.UPDATE", 0},
    {"GET", "/api/v1/tickets/{}/timeEntry", dm_h_mod_list, "Desk.tickets.READ", 0},
    {"POST", "/api/v1/tickets/{}/timeEntry", dm_h_mod_create, "Desk.tickets.CREATE", 0},
    {"GET", "/api/v1/tickets/{}/timeEntry/{}", dm_h_mod_get, "Desk.tickets.READ", 0},
    {"PATCH", "/api/v1/tickets/{}/timeEntry/{}", dm_h_mod_update, "Desk.tickets.UPDATE", 0},
    {"DELETE", "/api/v1/tickets/{}/timeEntry/{}", dm_h_mod_delete, "Desk.tickets.DELETE", 0},
    {"GET", "/api/v1/tasks", dm_h_mod_list, "Desk.activities.READ", 0},
    {"POST", "/api/v1/tasks", dm_h_mod_create, "Desk.activities.CREATE", 0},
    {"GET", "/api/v1/tasks/{}", dm_h_mod_get, "Desk.activities.READ", 0},
    {"PATCH", "/api/v1/tasks/{}", dm_h_mod_update, "Desk.activities.UPDATE", 0},
    {"DELETE", "/api/v1/tasks/{}", dm_h_mod_delete, "Desk.activities.DELETE", 0},
    {"GET", "/api/v1/calls", dm_h_mod_list, "Desk.activities.READ", 0},
    {"POST", "/api/v1/calls", dm_h_mod_create, "Desk.activities.CREATE", 0},
    {"GET", "/api/v1/calls/{}", dm_h_mod_get, "Desk.activities.READ", 0},
    {"PATCH", "/api/v1/calls/{}", dm_h_mod_update, "Desk.activities.UPDATE", 0},
    {"DELETE", "/api/v1/calls/{}", dm_h_mod_delete, "Desk.activities.DELETE", 0},
    {"GET", "/api/v1/events", dm_h_mod_list, "Desk.activities.READ", 0},
    {"POST", "/api/v1/events", dm_h_mod_create, "Desk.activities.CREATE", 0},
    {"GET", "/api/v1/events/{}", dm_h_mod_get, "Desk.activities.READ", 0},
    {"PATCH", "/api/v1/events/{}", dm_h_mod_update, "Desk.activities.UPDATE", 0},
    {"DELETE", "/api/v1/events/{}", dm_h_mod_delete, "Desk.activities.DELETE", 0},
    {"GET", "/api/v1/kbRootCategories", dm_h_mod_list, "Desk.articles.READ", 0},
    {"POST", "/api/v1/kbRootCategories", dm_h_mod_create, "Desk.articles.CREATE", 0},
    {"GET", "/api/v1/kbRootCategories/{}", dm_h_mod_get, "Desk.articles.READ", 0},
    {"PATCH", "/api/v1/kbRootCategories/{}", dm_h_mod_update, "Desk.articles.UPDATE", 0},
    {"DELETE", "/api/v1/kbRootCategories/{}", dm_h_mod_delete, "Desk.articles.DELETE", 0},
    {"GET", "/api/v1/kbRootCategories/{}/sections", dm_h_mod_list, "Desk.articles.READ", 0},
    {"POST", "/api/v1/kbRootCategories/{}/sections", dm_h_mod_create, "Desk.articles.CREATE", 0},
    {"GET", "/api/v1/kbRootCategories/{}/sections/{}", dm_h_mod_get, "Desk.articles.READ", 0},
    {"PATCH", "/api/v1/kbRootCategories/{}/sections/{}", dm_h_mod_update, "Desk.articles.UPDATE",
     0},
    {"DELETE", "/api/v1/kbRootCategories/{}/sections/{}", dm_h_mod_delete, "Desk.articles.DELETE",
     0},
    {"GET", "/api/v1/articles", dm_h_mod_list, "Desk.articles.READ", 0},
    {"POST", "/api/v1/articles", dm_h_mod_create, "Desk.articles.CREATE", 0},
    {"GET", "/api/v1/articles/{}", dm_h_mod_get, "Desk.articles.READ", 0},
    {"PATCH", "/api/v1/articles/{}", dm_h_mod_update, "Desk.articles.UPDATE", 0},
    {"DELETE", "/api/v1/articles/{}", dm_h_mod_delete, "Desk.articles.DELETE", 0},
    {"GET", "/api/v1/articles/{}/translations", dm_h_mod_list, "Desk.articles.READ", 0},
    {"POST", "/api/v1/articles/{}/translations", dm_h_mod_create, "Desk.articles.CREATE", 0},
    {"GET", "/api/v1/articles/{}/translations/{}", dm_h_mod_get, "Desk.articles.READ", 0},
    {"PATCH", "/api/v1/articles/{}/translations/{}", dm_h_mod_update, "Desk.articles.UPDATE", 0},
    {"DELETE", "/api/v1/articles/{}/translations/{}", dm_h_mod_delete, "Desk.articles.DELETE", 0},
    {"GET", "/api/v1/articles/{}/feedbacks", dm_h_mod_list, "Desk.articles.READ", 0},
    {"GET", "/api/v1/articles/{}/feedbacks/{}", dm_h_mod_get, "Desk.articles.READ", 0},
};
const size_t dm_desk_nroutes = sizeof dm_desk_routes / sizeof dm_desk_routes[0];

/* ==== Authentication ==== */

/* "Desk.tickets.UPDATE" is granted by itself, by Desk.tickets.ALL, and (for
 * CREATE, UPDATE and DELETE) by Desk.tickets.WRITE. */
static int has_scope(const cJSON *scopes, const char *need)
{
    const char *dot = strrchr(need, '.');
    size_t base = dot ? (size_t)(dot - need) : strlen(need);
    const char *op = dot ? dot + 1 : "";
    int write_op =
        strcmp(op, "CREATE") == 0 || strcmp(op, "UPDATE") == 0 || strcmp(op, "DELETE") == 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, scopes) {
        const char *have = s->valuestring;
        if (!have) continue;
        if (strcmp(have, need) == 0) return 1;
        if (strncmp(have, need, base) == 0 && have[base] == '.') {
            const char *hop = have + base + 1;
            if (strcmp(hop, "ALL") == 0) return 1;
            if (write_op && strcmp(hop, "WRITE") == 0) return 1;
        }
    }
    return 0;
}

int dm_desk_auth(const dm_store *s, const dm_route *route, dm_req *req, dm_resp *resp,
                 dm_call *call)
{
    call->principal = NULL;
    const char *auth = dm_kvs_get(&req->headers, "Authorization");
    static const char prefix[] = "Zoho-oauthtoken ";
    const dm_token *tok = NULL;
    if (auth && strncasecmp(auth, prefix, sizeof prefix - 1) == 0) {
        const char *t = auth + sizeof prefix - 1;
        while (*t == ' ')
            t++;
        tok = dm_store_token(s, t);
    }
    if (!tok) {
        dm_resp_error(resp, 401, "INVALID_OAUTH",
                      auth ? "The OAuth Token you provided is invalid."
                           : "An OAuth token is required: Authorization: Zoho-oauthtoken <token>",
                      NULL);
        return -1;
    }
    if (!(route->flags & DM_ROUTE_NO_ORG)) {
        const char *org = dm_kvs_get(&req->headers, "orgId");
        if (!org || !*org) {
            dm_field_errs e = {0};
            dm_field_errs_add(&e, "orgId", "missing", "the orgId header is required");
            dm_resp_error(resp, 422, "INVALID_DATA", "The orgId header is missing.", &e);
            return -1;
        }
        if (strcmp(org, dm_json_str(s->org, "id")) != 0) {
            dm_resp_error(resp, 403, "OAUTH_ORG_MISMATCH",
                          "The OAuth token does not belong to the organization in orgId.", NULL);
            return -1;
        }
    }
    if (route->scope && !has_scope(tok->scopes, route->scope)) {
        char msg[160];
        snprintf(msg, sizeof msg, "The OAuth token lacks the scope %s.", route->scope);
        dm_resp_error(resp, 403, "SCOPE_MISMATCH", msg, NULL);
        return -1;
    }
    call->principal = tok;
    if (tok->agent) call->origin.actor_id = dm_json_str(tok->agent, "id");
    return 0;
}

/* ==== Helpers ==== */

cJSON *dm_api_body(dm_req *req, dm_resp *resp)
{
    const char *ct = dm_kvs_get(&req->headers, "Content-Type");
    if (req->body_len && (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
                          (ct[16] && ct[16] != ';' && ct[16] != ' '))) {
        char msg[200];
        snprintf(msg, sizeof msg, "Expected Content-Type application/json, got %.100s.",
                 ct ? ct : "none");
        dm_resp_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE", msg, NULL);
        return NULL;
    }
    if (!req->body_len) {
        dm_resp_error(resp, 400, "INVALID_DATA",
                      "The request body is empty; expected a JSON object.", NULL);
        return NULL;
    }
    cJSON *root = NULL;
    char why[128];
    if (dm_json_parse(req->body, req->body_len, &root, why, sizeof why) != 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "The request body is not valid JSON: %s.", why);
        dm_resp_error(resp, 400, "INVALID_DATA", msg, NULL);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        dm_field_errs e = {0};
        dm_field_errs_add(&e, "", "invalid", "expected a JSON object");
        dm_api_invalid(resp, &e);
        return NULL;
    }
    return root;
}

static int parse_size(const char *s, size_t *out)
{
    if (!s || !*s) return -1;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || v < 0 || v > 1000000000) return -1;
    *out = (size_t)v;
    return 0;
}

int dm_api_paging(dm_req *req, dm_resp *resp, size_t max, size_t dflt, size_t *from, size_t *limit)
{
    dm_field_errs e = {0};
    const char *f = dm_kvs_get(&req->query, "from"), *l = dm_kvs_get(&req->query, "limit");
    *from = 0;
    *limit = dflt;
    if (f && parse_size(f, from))
        dm_field_errs_add(&e, "from", "invalid", "expected a number >= 0");
    if (l && (parse_size(l, limit) || *limit < 1 || *limit > max))
        dm_field_errs_add(&e, "limit", "invalid", "expected a number from 1 to %zu", max);
    if (e.n) {
        dm_api_invalid(resp, &e);
        return -1;
    }
    if (*from) (*from)--; /* from=1 and from=0 both start at the first item */
    return 0;
}

void dm_api_not_found(dm_resp *resp, const char *what, const char *id)
{
    char msg[200];
    snprintf(msg, sizeof msg, "No %s with id %.60s.", what, id);
    dm_resp_error(resp, 404, "URL_NOT_FOUND", msg, NULL);
}

void dm_api_not_found_as(dm_resp *resp, const dm_store *s, const char *module, const char *id)
{
    const char *actual = dm_store_module_of(s, id);
    char msg[240];
    if (actual)
        snprintf(msg, sizeof msg, "No %s with id %.40s: that id is a%s %s's.", module, id,
                 strchr("aeiou", actual[0]) ? "n" : "", actual);
    else
        snprintf(msg, sizeof msg, "No %s with id %.60s.", module, id);
    dm_resp_error(resp, 404, "URL_NOT_FOUND", msg, NULL);
    dm_buf b = {0};
    dm_buf_puts(&b, "{\"id\":");
    dm_buf_json_str_max(&b, id, 40);
    dm_buf_puts(&b, ",\"expected\":");
    dm_buf_json_str(&b, module);
    dm_buf_puts(&b, ",\"actual\":");
    if (actual)
        dm_buf_json_str(&b, actual);
    else
        dm_buf_puts(&b, "null");
    dm_buf_putc(&b, '}');
    snprintf(resp->wrong_resource, sizeof resp->wrong_resource, "%s", b.data);
    dm_buf_free(&b);
}

void *dm_api_found(dm_resp *resp, void *found, const char *what, const char *id)
{
    if (!found) dm_api_not_found(resp, what, id);
    return found;
}

void dm_api_invalid(dm_resp *resp, const dm_field_errs *errs)
{
    dm_resp_error(resp, 422, "INVALID_DATA", "The data is invalid due to validation restrictions.",
                  errs);
}

static void check_one(const cJSON *v, const dm_field_spec *f, dm_field_errs *errs)
{
    char ptr[128];
    dm_json_pointer(ptr, sizeof ptr, "", f->name, 100);
    if (cJSON_IsNull(v)) {
        if (!f->nullable) dm_field_errs_add(errs, ptr, "invalid", "must not be null");
        return;
    }
    int64_t ms;
    switch (f->type) {
    case DM_F_STR:
    case DM_F_EMAIL:
        if (!cJSON_IsString(v)) {
            dm_field_errs_add(errs, ptr, "invalid", "expected a string");
        } else if (dm_utf8_chars(v->valuestring) > (f->maxlen ? f->maxlen : 65535)) {
            dm_field_errs_add(errs, ptr, "invalid", "longer than %zu characters",
                              f->maxlen ? f->maxlen : 65535);
        } else if (f->type == DM_F_EMAIL && !dm_email_valid(v->valuestring)) {
            dm_field_errs_add(errs, ptr, "invalid", "expected an email address");
        }
        break;
    case DM_F_ENUM: {
        int ok = 0;
        for (const char *const *c = f->choices; cJSON_IsString(v) && *c; c++)
            ok |= strcmp(*c, v->valuestring) == 0;
        if (!ok) {
            char list[256] = "";
            for (const char *const *c = f->choices; *c; c++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         c == f->choices ? "" : ", ", *c);
            dm_field_errs_add(errs, ptr, "invalid", "expected one of: %s", list);
        }
        break;
    }
    case DM_F_ID:
        if (!cJSON_IsString(v) || !dm_id_valid(v->valuestring))
            dm_field_errs_add(errs, ptr, "invalid", "expected an id (a string of digits)");
        break;
    case DM_F_TIME:
        if (!cJSON_IsString(v) || dm_iso_parse(v->valuestring, &ms))
            dm_field_errs_add(errs, ptr, "invalid",
                              "expected an ISO-8601 UTC time like 2026-01-31T09:30:00.000Z");
        break;
    case DM_F_BOOL:
        if (!cJSON_IsBool(v)) dm_field_errs_add(errs, ptr, "invalid", "expected true or false");
        break;
    case DM_F_OBJ:
        if (!cJSON_IsObject(v)) dm_field_errs_add(errs, ptr, "invalid", "expected an object");
        break;
    case DM_F_IDS: {
        int ok = cJSON_IsArray(v);
        const cJSON *x;
        cJSON_ArrayForEach(x, v)
            ok &= cJSON_IsString(x) && dm_id_valid(x->valuestring);
        if (!ok) dm_field_errs_add(errs, ptr, "invalid", "expected an array of ids");
        break;
    }
    case DM_F_CF: {
        if (!cJSON_IsObject(v)) {
            dm_field_errs_add(errs, ptr, "invalid", "expected an object of cf_ fields");
            break;
        }
        const cJSON *x;
        cJSON_ArrayForEach(x, v) {
            char sub[160];
            dm_json_pointer(sub, sizeof sub, ptr, x->string, 100);
            if (strncmp(x->string, "cf_", 3) != 0 || !x->string[3])
                dm_field_errs_add(errs, sub, "invalid", "custom field names start with cf_");
            else if (cJSON_IsObject(x) || cJSON_IsArray(x))
                dm_field_errs_add(errs, sub, "invalid",
                                  "expected a string, number, boolean or null");
        }
        break;
    }
    }
}

size_t dm_api_validate(const cJSON *body, const dm_field_spec *specs, size_t n, dm_field_errs *errs)
{
    size_t before = errs->n;
    const cJSON *v;
    cJSON_ArrayForEach(v, body) {
        const dm_field_spec *f = NULL;
        for (size_t i = 0; i < n && !f; i++)
            if (strcmp(specs[i].name, v->string) == 0) f = &specs[i];
        if (!f) {
            char ptr[160];
            dm_json_pointer(ptr, sizeof ptr, "", v->string, 120);
            dm_field_errs_add(errs, ptr, "invalid", "unknown or read-only field");
            continue;
        }
        check_one(v, f, errs);
    }
    return errs->n - before;
}

size_t dm_api_require(const cJSON *body, const char *const *names, dm_field_errs *errs)
{
    size_t before = errs->n;
    for (; *names; names++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, *names);
        if (!v || cJSON_IsNull(v)) {
            char ptr[128];
            snprintf(ptr, sizeof ptr, "/%s", *names);
            dm_field_errs_add(errs, ptr, "missing", "is required");
        }
    }
    return errs->n - before;
}

/* ==== List queries ==== */

static int listed(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0) return 1;
    return 0;
}

/* 422 for a query parameter the route does not take, as Desk words it. */
static void extra_param(dm_resp *resp, const char *name)
{
    char msg[200];
    snprintf(msg, sizeof msg, "Extra query parameter '%.80s' is present in the input", name);
    dm_field_errs e = {0};
    dm_field_errs_add(&e, name, "invalid", "%s", msg);
    dm_resp_error(resp, 422, "INVALID_DATA", msg, &e);
}

int dm_api_no_query(dm_req *req, dm_resp *resp)
{
    static const char *const allowed[] = {"include", "fields", NULL};
    for (size_t i = 0; i < req->query.n; i++)
        if (!listed(allowed, req->query.items[i].key)) {
            extra_param(resp, req->query.items[i].key);
            return -1;
        }
    return 0;
}

int dm_api_list_query(dm_req *req, dm_resp *resp, const dm_store *s, const dm_schema *sc,
                      dm_list_query *q)
{
    memset(q, 0, sizeof *q);
    q->schema = sc;
    q->store = s;
    q->req = req;
    for (size_t i = 0; i < req->query.n; i++) {
        const char *k = req->query.items[i].key;
        if (strcmp(k, "from") != 0 && strcmp(k, "limit") != 0 && !listed(sc->list_params, k)) {
            extra_param(resp, k);
            return -1;
        }
    }
    if (dm_api_paging(req, resp, sc->list_max ? sc->list_max : 100,
                      sc->list_default ? sc->list_default : 10, &q->from, &q->limit))
        return -1;
    dm_field_errs e = {0};
    const char *sort = dm_kvs_get(&req->query, "sortBy");
    if (sort) {
        q->sort_desc = sort[0] == '-';
        q->sort_by = sort + q->sort_desc;
        if (!dm_schema_output(sc, q->sort_by))
            dm_field_errs_add(&e, "sortBy", "invalid", "no key %.80s to sort by", q->sort_by);
    }
    q->fields = dm_kvs_get(&req->query, "fields");
    const char *deps = dm_kvs_get(&req->query, "departmentIds");
    const char *dep = dm_kvs_get(&req->query, "departmentId");
    char one[DM_ID_MAX];
    for (const char *p = deps; p && *p;) {
        size_t n = strcspn(p, ",");
        snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one - 1 ? n : sizeof one - 1), p);
        if (!dm_store_department(s, one))
            dm_field_errs_add(&e, "departmentIds", "invalid", "no department with id %.40s", one);
        p += n + (p[n] == ',');
    }
    if (dep && !dm_store_department(s, dep))
        dm_field_errs_add(&e, "departmentId", "invalid", "no department with id %.40s", dep);
    if (e.n) {
        dm_api_invalid(resp, &e);
        return -1;
    }
    return 0;
}

/* The department an object of q's module is in. */
static const char *dept_of(const dm_list_query *q, const cJSON *obj)
{
    if (q->schema->dept == DM_DEPT_TICKET ||
        (!dm_schema_output(q->schema, "departmentId") && dm_json_str(obj, "ticketId"))) {
        dm_ticket *t = dm_store_ticket(q->store, dm_json_str(obj, "ticketId"));
        return t ? dm_json_str(t->obj, "departmentId") : NULL;
    }
    return dm_json_str(obj, "departmentId");
}

/* The string a filter compares: a string value, a boolean's words, a
 * number's digits; NULL for null and the rest. */
static const char *comparable(const cJSON *v, char *buf, size_t len)
{
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? "true" : "false";
    if (cJSON_IsNumber(v)) {
        snprintf(buf, len, "%.15g", v->valuedouble);
        return buf;
    }
    return NULL;
}

int dm_list_query_keeps(const dm_list_query *q, const cJSON *obj)
{
    static const char *const special[] = {"from",          "limit",        "sortBy",
                                          "fields",        "include",      "viewId",
                                          "departmentIds", "departmentId", NULL};
    const dm_req *req = q->req;
    for (size_t i = 0; i < req->query.n; i++) {
        const char *k = req->query.items[i].key, *want = req->query.items[i].value;
        const char *have;
        char buf[64];
        if (strcmp(k, "departmentIds") == 0 || strcmp(k, "departmentId") == 0) {
            have = dept_of(q, obj);
        } else if (strcmp(k, "assignee") == 0) {
            /* tickets: an agent's id, or Unassigned */
            have = dm_json_str(obj, "assigneeId");
            if (strcmp(want, "Unassigned") == 0) {
                if (have) return 0;
                continue;
            }
        } else if (listed(special, k) || !dm_schema_output(q->schema, k)) {
            continue;
        } else {
            have = comparable(cJSON_GetObjectItemCaseSensitive(obj, k), buf, sizeof buf);
        }
        if (!have || !dm_list_has(want, have)) return 0;
    }
    return 1;
}

static _Thread_local const dm_list_query *sorting; /* qsort has no context argument */

static int by_key(const void *a, const void *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)a, sorting->sort_by);
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)b, sorting->sort_by);
    char bx[64], by[64];
    const char *sx = comparable(x, bx, sizeof bx), *sy = comparable(y, by, sizeof by);
    int c;
    if (!sx || !sy)
        c = (sx != NULL) - (sy != NULL); /* nulls first */
    else if (cJSON_IsNumber(x) && cJSON_IsNumber(y))
        c = (x->valuedouble > y->valuedouble) - (x->valuedouble < y->valuedouble);
    else if (strlen(sx) != strlen(sy) && strspn(sx, "0123456789") == strlen(sx) &&
             strspn(sy, "0123456789") == strlen(sy))
        c = strlen(sx) < strlen(sy) ? -1 : 1; /* counts and ids: by value */
    else
        c = strcmp(sx, sy);
    return sorting->sort_desc ? -c : c;
}

/* Only the keys fields names (and id), for fields=a,b. */
static cJSON *only_fields(const cJSON *obj, const char *fields)
{
    cJSON *o = cJSON_CreateObject();
    const cJSON *v;
    cJSON_ArrayForEach(v, obj)
        if (strcmp(v->string, "id") == 0 || dm_list_has(fields, v->string))
            cJSON_AddItemToObject(o, v->string, cJSON_Duplicate(v, 1));
    return o;
}

void dm_api_list_rows(dm_resp *resp, const dm_list_query *q, dm_vec *rows, const char *omit)
{
    if (q->sort_by && rows->n > 1) {
        sorting = q;
        qsort(rows->items, rows->n, sizeof *rows->items, by_key);
        sorting = NULL;
    }
    dm_buf *b = &resp->body;
    dm_buf_reset(b);
    dm_buf_puts(b, "{\"data\":[");
    for (size_t i = q->from, put = 0; i < rows->n && put < q->limit; i++, put++) {
        const cJSON *item = rows->items[i];
        cJSON *copy = NULL;
        if (q->fields)
            item = copy = only_fields(item, q->fields);
        else if (omit && cJSON_GetObjectItemCaseSensitive(item, omit)) {
            item = copy = cJSON_Duplicate(item, 1);
            cJSON_DeleteItemFromObjectCaseSensitive(copy, omit);
        }
        char *text = dm_json_print(item);
        if (put) dm_buf_putc(b, ',');
        dm_buf_puts(b, text);
        cJSON_free(text);
        cJSON_Delete(copy);
    }
    dm_buf_puts(b, "]}");
    resp->status = 200;
}

/* ==== Writes ==== */

void dm_api_check_refs(const dm_store *s, const dm_schema *sc, const cJSON *body, dm_field_errs *e)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, body) {
        const dm_attr *a = NULL;
        for (size_t i = 0; i < sc->nattrs && !a; i++)
            if (strcmp(sc->attrs[i].name, v->string) == 0 && sc->attrs[i].ref &&
                !(sc->attrs[i].flags & DM_A_EMBED))
                a = &sc->attrs[i];
        if (!a) continue;
        char ptr[160];
        dm_json_pointer(ptr, sizeof ptr, "", v->string, 100);
        const cJSON *x = a->type == DM_T_IDS ? v->child : v;
        for (; x; x = a->type == DM_T_IDS ? x->next : NULL) {
            if (!cJSON_IsString(x) || dm_store_get(s, a->ref, x->valuestring)) continue;
            const char *actual = dm_store_module_of(s, x->valuestring);
            if (actual)
                dm_field_errs_add(e, ptr, "invalid", "no %s with id %.40s: that id is a%s %s's",
                                  a->ref, x->valuestring, strchr("aeiou", actual[0]) ? "n" : "",
                                  actual);
            else
                dm_field_errs_add(e, ptr, "invalid", "no %s with id %.40s", a->ref, x->valuestring);
        }
    }
}

void dm_api_check_unique(const dm_store *s, const dm_coll *c, const cJSON *body, const cJSON *self,
                         dm_field_errs *e)
{
    (void)s;
    for (size_t k = 0; k < c->schema->nattrs; k++) {
        const dm_attr *a = &c->schema->attrs[k];
        const char *want = (a->flags & DM_A_UNIQUE) ? dm_json_str(body, a->name) : NULL;
        for (size_t i = 0; want && i < c->items.n; i++) {
            const cJSON *o = c->items.items[i];
            const char *have = dm_json_str(o, a->name);
            if (o == self || !have || strcmp(have, want) != 0) continue;
            char ptr[160];
            dm_json_pointer(ptr, sizeof ptr, "", a->name, 100);
            dm_field_errs_add(e, ptr, "duplicate", "%s %s already has this %s", c->schema->name,
                              dm_json_str(o, "id"), a->name);
            break;
        }
    }
}

void dm_desk_recount(dm_store *s, const dm_schema *sc, const char *ticket_id)
{
    dm_ticket *t = dm_store_ticket(s, ticket_id);
    dm_coll *c = dm_store_coll(s, sc->name);
    if (!sc->count_key || !t || !c) return;
    dm_vec v = {0};
    dm_coll_where(c, "ticketId", ticket_id, &v);
    dm_json_set_count(t->obj, sc->count_key, (long long)v.n);
    dm_vec_free(&v);
}
