/* api.c -- the Desk API's route table, authentication and shared helpers. */
#include "desk/api.h"
#include "util/ids.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const dm_route dm_desk_routes[] = {
    {"GET", "/api/v1/organizations", dm_h_organizations, NULL, DM_ROUTE_NO_ORG},
    {"GET", "/api/v1/organizations/{}", dm_h_organization_get, NULL, DM_ROUTE_NO_ORG},
    {"GET", "/api/v1/myinfo", dm_h_myinfo, "Desk.basic.READ", 0},
    {"GET", "/api/v1/departments", dm_h_departments, "Desk.basic.READ", 0},
    {"GET", "/api/v1/departments/{}", dm_h_department_get, "Desk.basic.READ", 0},
    {"GET", "/api/v1/agents", dm_h_agents, "Desk.basic.READ", 0},
    {"GET", "/api/v1/agents/{}", dm_h_agent_get, "Desk.basic.READ", 0},
    {"GET", "/api/v1/contacts", dm_h_contacts, "Desk.contacts.READ", 0},
    {"POST", "/api/v1/contacts", dm_h_contact_create, "Desk.contacts.CREATE", 0},
    {"GET", "/api/v1/contacts/{}", dm_h_contact_get, "Desk.contacts.READ", 0},
    {"PATCH", "/api/v1/contacts/{}", dm_h_contact_update, "Desk.contacts.UPDATE", 0},
    {"GET", "/api/v1/tickets", dm_h_tickets, "Desk.tickets.READ", 0},
    {"POST", "/api/v1/tickets", dm_h_ticket_create, "Desk.tickets.CREATE", 0},
    {"GET", "/api/v1/tickets/{}", dm_h_ticket_get, "Desk.tickets.READ", 0},
    {"PATCH", "/api/v1/tickets/{}", dm_h_ticket_update, "Desk.tickets.UPDATE", 0},
    {"GET", "/api/v1/tickets/{}/threads", dm_h_threads, "Desk.tickets.READ", 0},
    {"GET", "/api/v1/tickets/{}/threads/{}", dm_h_thread_get, "Desk.tickets.READ", 0},
    {"POST", "/api/v1/tickets/{}/sendReply", dm_h_send_reply, "Desk.tickets.UPDATE", 0},
    {"GET", "/api/v1/tickets/{}/comments", dm_h_comments, "Desk.tickets.READ", 0},
    {"POST", "/api/v1/tickets/{}/comments", dm_h_comment_create, "Desk.tickets.UPDATE", 0},
    {"GET", "/api/v1/tickets/{}/comments/{}", dm_h_comment_get, "Desk.tickets.READ", 0},
    {"PATCH", "/api/v1/tickets/{}/comments/{}", dm_h_comment_update, "Desk.tickets.UPDATE", 0},
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
    int write_op = strcmp(op, "CREATE") == 0 || strcmp(op, "UPDATE") == 0 ||
                   strcmp(op, "DELETE") == 0;
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
        while (*t == ' ') t++;
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
        dm_resp_error(resp, 400, "INVALID_DATA", "The request body is empty; expected a JSON object.",
                      NULL);
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

int dm_api_paging(dm_req *req, dm_resp *resp, size_t max, size_t dflt, size_t *from,
                  size_t *limit)
{
    dm_field_errs e = {0};
    const char *f = dm_kvs_get(&req->query, "from"), *l = dm_kvs_get(&req->query, "limit");
    *from = 0;
    *limit = dflt;
    if (f && parse_size(f, from)) dm_field_errs_add(&e, "from", "invalid", "expected a number >= 0");
    if (l && (parse_size(l, limit) || *limit < 1 || *limit > max))
        dm_field_errs_add(&e, "limit", "invalid", "expected a number from 1 to %zu", max);
    if (e.n) {
        dm_api_invalid(resp, &e);
        return -1;
    }
    if (*from) (*from)--; /* from=1 and from=0 both start at the first item */
    return 0;
}

void dm_api_list(dm_resp *resp, const dm_vec *items, size_t from, size_t limit,
                 const char *omit)
{
    dm_buf *b = &resp->body;
    dm_buf_reset(b);
    dm_buf_puts(b, "{\"data\":[");
    for (size_t i = from, put = 0; i < items->n && put < limit; i++, put++) {
        const cJSON *item = items->items[i];
        cJSON *copy = NULL;
        if (omit && cJSON_GetObjectItemCaseSensitive(item, omit)) {
            copy = cJSON_Duplicate(item, 1);
            cJSON_DeleteItemFromObjectCaseSensitive(copy, omit);
            item = copy;
        }
        char *s = dm_json_print(item);
        if (put) dm_buf_putc(b, ',');
        dm_buf_puts(b, s);
        cJSON_free(s);
        cJSON_Delete(copy);
    }
    dm_buf_puts(b, "]}");
    resp->status = 200;
}

void dm_api_not_found(dm_resp *resp, const char *what, const char *id)
{
    char msg[200];
    snprintf(msg, sizeof msg, "No %s with id %.60s.", what, id);
    dm_resp_error(resp, 404, "URL_NOT_FOUND", msg, NULL);
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

static int valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    return at && at != s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " \t\r\n<>");
}

/* Characters, not bytes: UTF-8 continuation bytes do not count. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
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
        } else if (utf8_chars(v->valuestring) > (f->maxlen ? f->maxlen : 65535)) {
            dm_field_errs_add(errs, ptr, "invalid", "longer than %zu characters",
                              f->maxlen ? f->maxlen : 65535);
        } else if (f->type == DM_F_EMAIL && !valid_email(v->valuestring)) {
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
        cJSON_ArrayForEach(x, v) ok &= cJSON_IsString(x) && dm_id_valid(x->valuestring);
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
                dm_field_errs_add(errs, sub, "invalid", "expected a string, number, boolean or null");
        }
        break;
    }
    }
}

size_t dm_api_validate(const cJSON *body, const dm_field_spec *specs, size_t n,
                       dm_field_errs *errs)
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
