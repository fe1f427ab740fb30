/* store.c -- state lifecycle, loading an org file, lookups and change emission.
 * Request validation lives in the handlers; this file trusts its callers. */
#include "desk/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== Vectors ==== */

/* ==== Lifecycle ==== */

static int in_collection(const dm_schema *sc)
{
    return sc != &dm_ticket_schema && sc != &dm_thread_schema && sc != &dm_comment_schema;
}

dm_store *dm_store_new(dm_clock *clock, dm_ids *ids)
{
    dm_store *s = dm_xcalloc(1, sizeof *s);
    s->clock = clock;
    s->ids = ids;
    s->opts.thread_content_type = "text/html";
    size_t n = 0;
    for (const dm_schema *const *sc = dm_schemas; *sc; sc++)
        n += in_collection(*sc);
    s->colls = dm_xcalloc(n, sizeof *s->colls);
    for (const dm_schema *const *sc = dm_schemas; *sc; sc++) {
        if (!in_collection(*sc)) continue;
        s->colls[s->ncolls].schema = *sc;
        s->colls[s->ncolls].by_id = dm_map_new();
        s->ncolls++;
    }
    s->layouts = cJSON_CreateObject();
    s->tickets_by_id = dm_map_new();
    s->threads_by_id = dm_map_new();
    s->comments_by_id = dm_map_new();
    s->tokens_by_value = dm_map_new();
    return s;
}

static void free_objs(dm_vec *v)
{
    for (size_t i = 0; i < v->n; i++)
        cJSON_Delete(v->items[i]);
    dm_vec_free(v);
}

static void clear(dm_store *s)
{
    cJSON_Delete(s->org);
    s->org = NULL;
    cJSON_Delete(s->cf_labels);
    s->cf_labels = NULL;
    for (size_t i = 0; i < s->ncolls; i++) {
        free_objs(&s->colls[i].items);
        dm_map_clear(s->colls[i].by_id);
    }
    cJSON_Delete(s->layouts);
    s->layouts = cJSON_CreateObject();
    for (size_t i = 0; i < s->tickets.n; i++)
        dm_ticket_free(s->tickets.items[i]);
    dm_vec_free(&s->tickets);
    for (size_t i = 0; i < s->tokens.n; i++) {
        dm_token *t = s->tokens.items[i];
        free(t->token);
        free(t->role);
        free(t->installation_id);
        cJSON_Delete(t->scopes);
        free(t);
    }
    dm_vec_free(&s->tokens);
    dm_map_clear(s->tickets_by_id);
    dm_map_clear(s->threads_by_id);
    dm_map_clear(s->comments_by_id);
    dm_map_clear(s->tokens_by_value);
}

void dm_store_free(dm_store *s)
{
    if (!s) return;
    clear(s);
    for (size_t i = 0; i < s->ncolls; i++)
        dm_map_free(s->colls[i].by_id);
    free(s->colls);
    cJSON_Delete(s->layouts);
    dm_map_free(s->tickets_by_id);
    dm_map_free(s->threads_by_id);
    dm_map_free(s->comments_by_id);
    dm_map_free(s->tokens_by_value);
    free(s);
}

void dm_store_set_observer(dm_store *s, dm_change_fn fn, void *ud)
{
    s->observer = fn;
    s->observer_ud = ud;
}

void dm_ticket_free(dm_ticket *t)
{
    if (!t) return;
    cJSON_Delete(t->obj);
    free_objs(&t->threads);
    free_objs(&t->comments);
    free(t->text);
    free(t);
}

const char *dm_store_ticket_text(dm_store *s, dm_ticket *t, size_t *len)
{
    if (!t->text || t->text_gen != s->write_gen) {
        free(t->text);
        t->text = dm_json_print(t->obj);
        t->text_len = strlen(t->text);
        t->text_gen = s->write_gen;
    }
    *len = t->text_len;
    return t->text;
}

/* ==== Lookups ==== */

dm_coll *dm_store_coll(const dm_store *s, const char *module)
{
    for (size_t i = 0; module && i < s->ncolls; i++)
        if (strcmp(s->colls[i].schema->name, module) == 0) return &s->colls[i];
    return NULL;
}

const cJSON *dm_store_get(const dm_store *s, const char *module, const char *id)
{
    if (!id || !module) return NULL;
    if (strcmp(module, "ticket") == 0) {
        dm_ticket *t = dm_map_get(s->tickets_by_id, id);
        return t ? t->obj : NULL;
    }
    if (strcmp(module, "thread") == 0) return dm_map_get(s->threads_by_id, id);
    if (strcmp(module, "comment") == 0) return dm_map_get(s->comments_by_id, id);
    dm_coll *c = dm_store_coll(s, module);
    return c ? dm_map_get(c->by_id, id) : NULL;
}

const char *dm_store_module_of(const dm_store *s, const char *id)
{
    if (!id) return NULL;
    if (dm_map_get(s->tickets_by_id, id)) return "ticket";
    if (dm_map_get(s->threads_by_id, id)) return "thread";
    if (dm_map_get(s->comments_by_id, id)) return "comment";
    for (size_t i = 0; i < s->ncolls; i++)
        if (dm_map_get(s->colls[i].by_id, id)) return s->colls[i].schema->name;
    if (s->org && strcmp(dm_json_str(s->org, "id"), id) == 0) return "organization";
    return NULL;
}

const cJSON *dm_store_department(const dm_store *s, const char *id)
{
    return dm_store_get(s, "department", id);
}

const cJSON *dm_store_agent(const dm_store *s, const char *id)
{
    return dm_store_get(s, "agent", id);
}

const cJSON *dm_store_contact(const dm_store *s, const char *id)
{
    return dm_store_get(s, "contact", id);
}

dm_ticket *dm_store_ticket(const dm_store *s, const char *id)
{
    return id ? dm_map_get(s->tickets_by_id, id) : NULL;
}

const dm_token *dm_store_token(const dm_store *s, const char *token)
{
    /* every token is compared, each in constant time: how long a lookup
     * takes says nothing about how much of a guess was right */
    const dm_token *hit = NULL;
    for (size_t i = 0; token && i < s->tokens.n; i++) {
        const dm_token *t = s->tokens.items[i];
        if (dm_secret_equal(token, t->token)) hit = t;
    }
    return hit;
}

const dm_token *dm_store_token_for_role(const dm_store *s, const char *role)
{
    for (size_t i = 0; i < s->tokens.n; i++) {
        const dm_token *t = s->tokens.items[i];
        if (strcmp(t->role, role) == 0) return t;
    }
    return NULL;
}

const dm_token *dm_store_add_token(dm_store *s, const char *token, const char *role,
                                   const cJSON *agent, const cJSON *scopes,
                                   const char *installation_id)
{
    dm_token *t = dm_xcalloc(1, sizeof *t);
    t->token = dm_xstrdup(token);
    t->role = dm_xstrdup(role);
    t->agent = agent;
    t->scopes = scopes ? cJSON_Duplicate(scopes, 1) : cJSON_CreateArray();
    t->installation_id = installation_id ? dm_xstrdup(installation_id) : NULL;
    dm_vec_push(&s->tokens, t);
    dm_map_put(s->tokens_by_value, token, t);
    return t;
}

void dm_store_remove_token(dm_store *s, const char *token)
{
    dm_token *t = dm_map_del(s->tokens_by_value, token);
    if (!t) return;
    dm_vec_remove(&s->tokens, t);
    free(t->token);
    free(t->role);
    free(t->installation_id);
    cJSON_Delete(t->scopes);
    free(t);
}

void dm_store_remove_tokens_of(dm_store *s, const cJSON *agent)
{
    for (size_t i = s->tokens.n; i-- > 0;) {
        const dm_token *t = s->tokens.items[i];
        if (t->agent == agent) dm_store_remove_token(s, t->token);
    }
}

static int id_taken(const dm_store *s, const char *id)
{
    if (dm_store_module_of(s, id)) return 1;
    /* layout ids are ids too */
    const cJSON *l;
    cJSON_ArrayForEach(l, s->layouts)
        if (cJSON_IsString(l) && strcmp(l->valuestring, id) == 0) return 1;
    return 0;
}

void dm_store_new_id(dm_store *s, char out[DM_ID_MAX])
{
    do
        dm_ids_next(s->ids, out);
    while (id_taken(s, out));
}

const char *dm_change_text(const dm_change *c, int which)
{
    /* a lazy cache: the change stays logically const */
    dm_change *m = (dm_change *)c;
    const cJSON *o = which ? c->after : c->before;
    if (!o) return NULL;
    if (!m->text[which]) m->text[which] = dm_json_print(o);
    return m->text[which];
}

void dm_store_emit(dm_store *s, const char *resource, const char *action, const char *id,
                   const char *ticket_id, const cJSON *before, const cJSON *after,
                   const dm_origin *origin)
{
    if (!s->observer) return;
    dm_change c = {resource, action, id, ticket_id, before, after, origin, {NULL, NULL}};
    s->observer(s->observer_ud, &c);
    free(c.text[0]);
    free(c.text[1]);
}

/* ==== Loading an org file ==== */

typedef struct loader {
    dm_store *s;
    char *err;
    size_t errlen;
    int failed;
} loader;

static int fail(loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(loader *ld, const char *fmt, ...)
{
    if (!ld->failed && ld->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ld->err, ld->errlen, fmt, ap);
        va_end(ap);
    }
    ld->failed = 1;
    return DM_EINVAL;
}

static const char *need_str(loader *ld, const cJSON *obj, const char *key, const char *path)
{
    const char *v = dm_json_str(obj, key);
    if (!v || !*v) fail(ld, "%s/%s: expected a non-empty string", path, key);
    return v;
}

/* An explicit id, checked for shape and uniqueness; or a fresh one when absent
 * and optional. */
static int take_id(loader *ld, const cJSON *obj, const char *path, int required,
                   char out[DM_ID_MAX])
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "id");
    if (!v) {
        if (required) return fail(ld, "%s/id: missing; ids here are referenced, so give one", path);
        dm_store_new_id(ld->s, out);
        return 0;
    }
    if (!cJSON_IsString(v) || !dm_id_valid(v->valuestring))
        return fail(ld, "%s/id: expected a string of 1 to 19 digits", path);
    if (id_taken(ld->s, v->valuestring))
        return fail(ld, "%s/id: \"%s\" is already used", path, v->valuestring);
    snprintf(out, DM_ID_MAX, "%s", v->valuestring);
    return 0;
}

/* Writes "<list>/<i>" into path, the i-th element's; fails unless x, that
 * element, is an object. */
static int element(loader *ld, const cJSON *x, const char *list, int i, char *path, size_t len)
{
    snprintf(path, len, "%s/%d", list, i);
    return cJSON_IsObject(x) ? 0 : fail(ld, "%s: expected an object", path);
}

static const cJSON *need_array(loader *ld, const cJSON *spec, const char *key)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(spec, key);
    if (a && !cJSON_IsArray(a)) {
        fail(ld, "/%s: expected an array", key);
        return NULL;
    }
    return a;
}

static void load_org(loader *ld, const cJSON *spec)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(spec, "org");
    if (!cJSON_IsObject(o)) {
        fail(ld, "/org: expected an object");
        return;
    }
    const char *id = dm_json_str(o, "id");
    if (!id || !dm_id_valid(id)) {
        fail(ld, "/org/id: expected a string of 1 to 19 digits");
        return;
    }
    const char *name = need_str(ld, o, "companyName", "/org");
    const char *portal = need_str(ld, o, "portalName", "/org");
    const char *edition = need_str(ld, o, "edition", "/org");
    if (ld->failed) return;
    static const char *const editions[] = {"Free", "Express", "Standard", "Professional",
                                           "Enterprise"};
    int ok = 0;
    for (size_t i = 0; i < sizeof editions / sizeof *editions; i++)
        ok |= strcmp(edition, editions[i]) == 0;
    if (!ok) {
        fail(ld, "/org/edition: expected Free, Express, Standard, Professional or Enterprise");
        return;
    }
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(o, "ticketNumberStart");
    if (start && (!cJSON_IsNumber(start) || start->valuedouble < 1 || start->valuedouble > 1e9)) {
        fail(ld, "/org/ticketNumberStart: expected a number from 1 to 1000000000");
        return;
    }
    ld->s->next_ticket_number = start ? (long)start->valuedouble : 101;
    snprintf(ld->s->portal, sizeof ld->s->portal, "%s", portal);
    cJSON *org = cJSON_CreateObject();
    dm_json_set_str(org, "id", id);
    dm_json_set_str(org, "companyName", name);
    dm_json_set_str(org, "portalName", portal);
    dm_json_set_str(org, "portalURL", NULL);
    char url[160];
    snprintf(url, sizeof url, "https://desk.zoho.com/support/%s", portal);
    dm_json_set_str(org, "portalURL", url);
    dm_json_set_str(org, "edition", edition);
    const char *tz = dm_json_str(o, "timeZone");
    dm_json_set_str(org, "timeZone", tz ? tz : "Etc/UTC");
    const char *country = dm_json_str(o, "countryCode");
    dm_json_set_str(org, "countryCode", country ? country : "US");
    dm_json_set_str(org, "currencyCode", "USD");
    dm_json_set_bool(org, "isDefault", 1);
    dm_json_set_bool(org, "isAdminInOrg", 1);
    dm_json_set_bool(org, "isPayloadEncryptionEnabled", 0);
    ld->s->org = org;
}

/* A reference in a file entry: obj[key] must name an object of module that
 * the file has already given. */
static int check_ref(loader *ld, const cJSON *obj, const char *key, const char *path,
                     const char *module, int required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return fail(ld, "%s/%s: missing", path, key);
        return 0;
    }
    if (!cJSON_IsString(v) || !dm_store_get(ld->s, module, v->valuestring))
        return fail(ld, "%s/%s: no such id in this org file", path, key);
    return 0;
}

/* Each id-typed key of in that refers to a module must name an object the
 * file has already given. */
static int check_refs(loader *ld, const dm_schema *sc, const cJSON *in, const char *path)
{
    for (size_t i = 0; i < sc->nattrs; i++) {
        const dm_attr *a = &sc->attrs[i];
        if (!a->ref || (a->flags & DM_A_EMBED)) continue;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, a->name);
        if (!v || cJSON_IsNull(v)) {
            if ((a->flags & DM_A_REQ) && a->type == DM_T_ID)
                return fail(ld, "%s/%s: missing", path, a->name);
            continue;
        }
        if (a->type == DM_T_IDS && !cJSON_IsArray(v))
            return fail(ld, "%s/%s: expected an array of ids", path, a->name);
        int k = 0;
        for (const cJSON *x = a->type == DM_T_IDS ? v->child : v; x;
             x = a->type == DM_T_IDS ? x->next : NULL, k++) {
            if (cJSON_IsString(x) && dm_store_get(ld->s, a->ref, x->valuestring)) continue;
            if (a->type == DM_T_IDS)
                return fail(ld, "%s/%s/%d: no %s with this id in this org file", path, a->name, k,
                            a->ref);
            return fail(ld, "%s/%s: no %s with this id in this org file", path, a->name, a->ref);
        }
    }
    return 0;
}

/* One object of a collection from a file entry: its id, its required keys
 * and references checked, then built as a REST create builds it. */
static cJSON *load_object(loader *ld, dm_coll *c, const cJSON *in, const char *path,
                          int id_required)
{
    char id[DM_ID_MAX];
    if (take_id(ld, in, path, id_required, id)) return NULL;
    for (size_t i = 0; i < c->schema->nattrs; i++) {
        const dm_attr *a = &c->schema->attrs[i];
        if ((a->flags & DM_A_REQ) && !(a->flags & DM_A_INPUT) && a->type == DM_T_STR &&
            !need_str(ld, in, a->name, path))
            return NULL;
    }
    if (check_refs(ld, c->schema, in, path)) return NULL;
    return dm_coll_create(ld->s, c, in, id, NULL, NULL, 1);
}

static void load_departments(loader *ld, const cJSON *spec)
{
    const cJSON *a = need_array(ld, spec, "departments");
    if (!a || !cJSON_GetArraySize(a)) {
        if (!ld->failed) fail(ld, "/departments: expected at least one department");
        return;
    }
    dm_coll *c = dm_store_coll(ld->s, "department");
    int i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, a) {
        char path[64];
        if (element(ld, d, "/departments", i++, path, sizeof path)) return;
        cJSON *in = cJSON_Duplicate(d, 1);
        if (!cJSON_GetObjectItemCaseSensitive(in, "nameInCustomerPortal"))
            dm_json_set_str(in, "nameInCustomerPortal", dm_json_str(d, "name"));
        cJSON *obj = load_object(ld, c, in, path, 1);
        cJSON_Delete(in);
        if (!obj) return;
        /* its tickets' layout: an id of its own, named after it */
        char layout[DM_ID_MAX];
        dm_store_new_id(ld->s, layout);
        cJSON_AddStringToObject(ld->s->layouts, dm_json_str(obj, "id"), layout);
    }
}

/* An agent's entry also names its role, token and scopes (never shown), and
 * its departments as departmentIds. */
static void load_agents(loader *ld, const cJSON *spec)
{
    const cJSON *a = need_array(ld, spec, "agents");
    dm_coll *c = dm_store_coll(ld->s, "agent");
    int i = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, a) {
        char path[64];
        if (element(ld, g, "/agents", i++, path, sizeof path)) return;
        need_str(ld, g, "lastName", path);
        need_str(ld, g, "emailId", path);
        const char *role = need_str(ld, g, "role", path);
        const char *token = need_str(ld, g, "token", path);
        if (ld->failed) return;
        if (dm_map_get(ld->s->tokens_by_value, token)) {
            fail(ld, "%s/token: already used by another agent", path);
            return;
        }
        const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(g, "scopes");
        const cJSON *sc;
        int ok = cJSON_IsArray(scopes);
        cJSON_ArrayForEach(sc, scopes)
            ok &= cJSON_IsString(sc);
        if (!ok) {
            fail(ld, "%s/scopes: expected an array of scope strings", path);
            return;
        }
        const cJSON *deps = cJSON_GetObjectItemCaseSensitive(g, "departmentIds"), *dep;
        if (deps && !cJSON_IsArray(deps)) {
            fail(ld, "%s/departmentIds: expected an array of department ids", path);
            return;
        }
        int k = 0;
        cJSON_ArrayForEach(dep, deps) {
            if (!cJSON_IsString(dep) || !dm_store_department(ld->s, dep->valuestring)) {
                fail(ld, "%s/departmentIds/%d: no such department in this org file", path, k);
                return;
            }
            k++;
        }
        cJSON *in = cJSON_Duplicate(g, 1);
        if (deps) dm_json_set(in, "associatedDepartmentIds", cJSON_Duplicate(deps, 1));
        int admin = strcmp(role, "admin") == 0;
        dm_json_set_str(in, "roleName", admin ? "CEO" : "Agent");
        dm_json_set_str(in, "profileName", admin ? "Administrator" : "Support Agent");
        dm_json_set_bool(in, "isConfirmed", 1);
        cJSON *obj = load_object(ld, c, in, path, 1);
        cJSON_Delete(in);
        if (!obj) return;
        dm_store_add_token(ld->s, token, role, obj, scopes, NULL);
    }
    if (!ld->failed && (!dm_store_token_for_role(ld->s, "admin")))
        fail(ld, "/agents: expected an agent with role \"admin\"");
}

/* The list of a collection's objects under its module's org_key. */
static void load_list(loader *ld, const cJSON *spec, dm_coll *c)
{
    const cJSON *a = need_array(ld, spec, c->schema->org_key);
    char list[64];
    snprintf(list, sizeof list, "/%s", c->schema->org_key);
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a) {
        char path[96];
        if (element(ld, x, list, i++, path, sizeof path)) return;
        if (!load_object(ld, c, x, path, 1)) return;
    }
}

static int64_t time_or(loader *ld, const cJSON *obj, const char *key, const char *path,
                       int64_t dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    int64_t ms;
    if (!v) return dflt;
    if (!cJSON_IsString(v) || dm_iso_parse(v->valuestring, &ms)) {
        fail(ld, "%s/%s: expected a time like 2026-01-31T09:30:00.000Z", path, key);
        return dflt;
    }
    return ms;
}

/* A thread or comment of a ticket in the file, built as the REST API builds
 * one. */
static cJSON *child(dm_store *s, const dm_schema *sc, const cJSON *in, const char *id,
                    const char *ticket_id, const char *actor, int64_t when)
{
    cJSON *obj = dm_schema_new_object(sc, in, 1);
    dm_json_set_str(obj, "id", id);
    dm_json_set_str(obj, "ticketId", ticket_id);
    if (sc == &dm_comment_schema) dm_json_set_str(obj, "commenterId", actor);
    dm_derive(s, sc, obj, NULL, actor, when);
    return obj;
}

static void load_children(loader *ld, dm_ticket *t, const cJSON *spec, const char *tpath,
                          int64_t created)
{
    const char *tid = dm_json_str(t->obj, "id");
    const char *kinds[] = {"threads", "comments"};
    for (int k = 0; k < 2; k++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(spec, kinds[k]);
        if (a && !cJSON_IsArray(a)) {
            fail(ld, "%s/%s: expected an array", tpath, kinds[k]);
            return;
        }
        char list[80];
        snprintf(list, sizeof list, "%s/%s", tpath, kinds[k]);
        int i = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, a) {
            char path[96], id[DM_ID_MAX];
            if (element(ld, c, list, i++, path, sizeof path)) return;
            if (take_id(ld, c, path, 0, id) || !need_str(ld, c, "content", path)) return;
            if (k == 0) {
                const char *dir = dm_json_str(c, "direction");
                if (!dir || (strcmp(dir, "in") && strcmp(dir, "out"))) {
                    fail(ld, "%s/direction: expected \"in\" or \"out\"", path);
                    return;
                }
                if (check_ref(ld, c, "authorId", path, "agent", 0)) return;
                int64_t when = time_or(ld, c, "createdTime", path, created);
                cJSON *obj =
                    child(ld->s, &dm_thread_schema, c, id, tid, dm_json_str(c, "authorId"), when);
                dm_vec_push(&t->threads, obj);
                dm_map_put(ld->s->threads_by_id, id, obj);
            } else {
                if (check_ref(ld, c, "commenterId", path, "agent", 1)) return;
                int64_t when = time_or(ld, c, "commentedTime", path, created);
                cJSON *obj = child(ld->s, &dm_comment_schema, c, id, tid,
                                   dm_json_str(c, "commenterId"), when);
                dm_vec_push(&t->comments, obj);
                dm_map_put(ld->s->comments_by_id, id, obj);
            }
            if (ld->failed) return;
        }
    }
    dm_json_set_count(t->obj, "threadCount", (long long)t->threads.n);
    dm_json_set_count(t->obj, "commentCount", (long long)t->comments.n);
}

static void load_tickets(loader *ld, const cJSON *spec, int64_t now)
{
    const cJSON *a = need_array(ld, spec, "tickets");
    int i = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, a) {
        char path[64], id[DM_ID_MAX];
        if (element(ld, t, "/tickets", i++, path, sizeof path)) return;
        if (take_id(ld, t, path, 0, id) || !need_str(ld, t, "subject", path) ||
            check_ref(ld, t, "departmentId", path, "department", 1) ||
            check_ref(ld, t, "contactId", path, "contact", 1) ||
            check_ref(ld, t, "assigneeId", path, "agent", 0))
            return;
        int64_t created = time_or(ld, t, "createdTime", path, now);
        if (ld->failed) return;
        dm_ticket *tk = dm_xcalloc(1, sizeof *tk);
        cJSON *in = cJSON_Duplicate(t, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(in, "threads");
        cJSON_DeleteItemFromObjectCaseSensitive(in, "comments");
        cJSON_DeleteItemFromObjectCaseSensitive(in, "firstThread");
        tk->obj = dm_schema_new_object(&dm_ticket_schema, in, 1);
        cJSON_Delete(in);
        dm_json_set_str(tk->obj, "id", id);
        dm_derive(ld->s, &dm_ticket_schema, tk->obj, NULL, NULL, created);
        dm_vec_push(&ld->s->tickets, tk);
        dm_map_put(ld->s->tickets_by_id, id, tk);
        load_children(ld, tk, t, path, created);
        if (ld->failed) return;
    }
}

/* customFieldLabels: {"<module>": {"cf_<name>": "<label>"}} */
static void load_labels(loader *ld, const cJSON *spec)
{
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(spec, "customFieldLabels"), *m, *f;
    if (!l) return;
    int ok = cJSON_IsObject(l);
    cJSON_ArrayForEach(m, l) {
        ok &= cJSON_IsObject(m);
        cJSON_ArrayForEach(f, m)
            ok &= cJSON_IsString(f) && strncmp(f->string, "cf_", 3) == 0;
    }
    if (!ok) {
        fail(ld, "/customFieldLabels: expected {\"<module>\": {\"cf_<name>\": \"<label>\"}}");
        return;
    }
    ld->s->cf_labels = cJSON_Duplicate(l, 1);
}

int dm_store_load(dm_store *s, const cJSON *spec, char *err, size_t errlen)
{
    clear(s);
    loader ld = {s, err, errlen, 0};
    if (!cJSON_IsObject(spec)) {
        fail(&ld, "/: expected an object");
        return DM_EINVAL;
    }
    int64_t now = dm_clock_now(s->clock);
    load_org(&ld, spec);
    if (!ld.failed) load_labels(&ld, spec);
    if (!ld.failed) load_departments(&ld, spec);
    if (!ld.failed) load_agents(&ld, spec);
    if (!ld.failed) load_list(&ld, spec, dm_store_coll(s, "account"));
    if (!ld.failed) load_list(&ld, spec, dm_store_coll(s, "contact"));
    if (!ld.failed) load_tickets(&ld, spec, now);
    /* the other modules, in the schemas' order, after what they refer to */
    static const char *const done[] = {"department", "agent", "account", "contact", NULL};
    for (size_t i = 0; !ld.failed && i < s->ncolls; i++) {
        int skip = !s->colls[i].schema->org_key;
        for (const char *const *d = done; *d && !skip; d++)
            skip = strcmp(*d, s->colls[i].schema->name) == 0;
        if (!skip) load_list(&ld, spec, &s->colls[i]);
    }
    if (ld.failed) {
        clear(s);
        return DM_EINVAL;
    }
    return 0;
}
