/* trigger.c -- POST /mock/v1/events: make Desk events happen on demand.
 * Either a state change named by its event type -- any of the 52 -- made
 * through the Desk API as the admin, or through a /mock/v1 action for what
 * no API user can do (actions.c), so prevState, filters and ignoreSourceId
 * apply exactly; or a fixture whose resource is loaded into state and whose
 * event is raised. GET /mock/v1/fixtures lists fixtures. */
#include "control/internal.h"
#include "desk/api.h"
#include "desk/catalog.h"
#include "util/jpath.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const dm_field_spec trigger_fields[] = {
    {"eventType", DM_F_STR, 0, 64, NULL},
    {"ticketId", DM_F_ID, 0, 0, NULL},
    {"commentId", DM_F_ID, 0, 0, NULL},
    {"contactId", DM_F_ID, 0, 0, NULL},
    {"id", DM_F_ID, 0, 0, NULL},
    {"articleId", DM_F_ID, 0, 0, NULL},
    {"rootCategoryId", DM_F_ID, 0, 0, NULL},
    {"set", DM_F_OBJ, 0, 0, NULL},
    {"sourceId", DM_F_STR, 1, 128, NULL},
    {"automation", DM_F_BOOL, 0, 0, NULL},
    {"direction", DM_F_STR, 0, 8, NULL},
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
        snprintf(path, sizeof path, "%s%s%s", rooted ? "" : base, rooted ? "" : ".",
                 v->valuestring);
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
    cJSON_AddItemToObject(o, "webhooks", cJSON_DetachItemFromObjectCaseSensitive(r, "webhooks"));
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

/* How the trigger causes each module's changes: a create's starting body
 * (the trigger's set goes over it), an update's change when set gives none,
 * and, for what no API user can do, the /mock/v1 action that does it. */
typedef struct recipe {
    const char *module;
    const char *create; /* JSON; "{n}" becomes a number unique in the run */
    const char *update; /* JSON */
    const char *action; /* create and update through this action instead */
} recipe;

static const recipe recipes[] = {
    {"ticket", "{\"subject\":\"Triggered ticket\"}", "{\"priority\":\"High\"}", NULL},
    {"thread", NULL, NULL, NULL},
    {"comment", "{\"content\":\"Triggered comment\"}", "{\"content\":\"Triggered edit\"}", NULL},
    {"attachment", "{\"name\":\"triggered-{n}.png\",\"size\":\"2048\",\"isPublic\":true}",
     "{\"isPublic\":false}", NULL},
    {"approval", "{\"subject\":\"Approve a refund\",\"approverIds\":[]}",
     "{\"status\":\"Approved\"}", NULL},
    {"timeEntry",
     "{\"executedTime\":\"{now}\",\"hoursSpent\":\"1\",\"description\":\"Triggered work\"}",
     "{\"minutesSpent\":\"30\"}", NULL},
    {"department", "{\"name\":\"Triggered department {n}\"}",
     "{\"description\":\"Changed by a trigger\"}", NULL},
    {"agent",
     "{\"lastName\":\"Triggered\",\"firstName\":\"Agent\",\"emailId\":\"triggered{n}@agents."
     "example\"}",
     "{\"phone\":\"+1 555 0199\"}", NULL},
    {"agentPresence", NULL, NULL, "agent-presence"},
    {"agentChannelPreference", NULL, NULL, "agent-channel-preference"},
    {"account", "{\"accountName\":\"Triggered account {n}\"}",
     "{\"website\":\"https://triggered.example\"}", NULL},
    {"contact", "{\"lastName\":\"Triggered\"}", "{\"title\":\"Triggered title\"}", NULL},
    {"task", "{\"subject\":\"Triggered task\"}", "{\"status\":\"Completed\"}", NULL},
    {"call", "{\"subject\":\"Triggered call\",\"direction\":\"outbound\",\"startTime\":\"{now}\"}",
     "{\"status\":\"Completed\"}", NULL},
    {"event", "{\"subject\":\"Triggered event\",\"startTime\":\"{now}\"}",
     "{\"status\":\"Completed\"}", NULL},
    {"kbRootCategory", "{\"name\":\"Triggered category {n}\"}",
     "{\"description\":\"Changed by a trigger\"}", NULL},
    {"kbSection", "{\"name\":\"Triggered section {n}\"}",
     "{\"description\":\"Changed by a trigger\"}", NULL},
    {"article", "{\"title\":\"Triggered article {n}\",\"answer\":\"<div>Triggered answer</div>\"}",
     "{\"status\":\"Published\"}", NULL},
    {"articleTranslation",
     "{\"locale\":\"de\",\"title\":\"Ausgeloester Artikel\",\"answer\":\"<div>Antwort</div>\"}",
     "{\"status\":\"Published\"}", NULL},
    {"articleFeedback", NULL, NULL, "article-feedback"},
    {"imSession", NULL, NULL, "im-session-status"},
    {"imMessage", NULL, NULL, "im-message"},
};

static const recipe *recipe_of(const char *module)
{
    for (size_t i = 0; i < sizeof recipes / sizeof recipes[0]; i++)
        if (strcmp(recipes[i].module, module) == 0) return &recipes[i];
    return NULL;
}

/* A recipe's JSON with {n} and {now} filled in. */
static cJSON *fill(dm_control *c, const char *tmpl)
{
    static unsigned long n; /* unique within the process is unique within the run */
    dm_buf b = {0};
    char iso[DM_ISO_LEN];
    dm_iso_time(dm_clock_now(c->d.clock), iso);
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "{n}", 3) == 0)
            dm_buf_printf(&b, "%lu", ++n), p += 3;
        else if (strncmp(p, "{now}", 5) == 0)
            dm_buf_puts(&b, iso), p += 5;
        else
            dm_buf_putc(&b, *p++);
    }
    cJSON *o = cJSON_Parse(b.data);
    dm_buf_free(&b);
    return o;
}

/* The trigger's idea of an object of module when the request names none:
 * the newest. NULL when the module has none. */
static const cJSON *newest(const dm_store *s, const char *module)
{
    if (strcmp(module, "ticket") == 0)
        return s->tickets.n ? ((dm_ticket *)s->tickets.items[s->tickets.n - 1])->obj : NULL;
    if (strcmp(module, "comment") == 0 || strcmp(module, "thread") == 0) {
        /* the last of the newest ticket that has any */
        for (size_t i = s->tickets.n; i-- > 0;) {
            const dm_ticket *t = s->tickets.items[i];
            const dm_vec *v = module[1] == 'o' ? &t->comments : &t->threads;
            if (v->n) return v->items[v->n - 1];
        }
        return NULL;
    }
    const dm_coll *c = dm_store_coll(s, module);
    return c && c->items.n ? c->items.items[c->items.n - 1] : NULL;
}

/* The id the request gives for a module's object: "id", or the name the
 * module's key has ("ticketId", "commentId", ...). */
static const char *given_id(const cJSON *body, const char *module)
{
    char key[64];
    snprintf(key, sizeof key, "%sId", module);
    return dm_json_str(body, "id") ? dm_json_str(body, "id") : dm_json_str(body, key);
}

/* Fills a create body's required references the trigger was not given: the
 * org's default department, its first contact, the newest ticket, ... */
static void fill_refs(dm_control *c, const dm_schema *sc, cJSON *in)
{
    for (size_t i = 0; i < sc->nattrs; i++) {
        const dm_attr *a = &sc->attrs[i];
        if (!a->ref || !(a->flags & DM_A_REQ) || cJSON_GetObjectItemCaseSensitive(in, a->name))
            continue;
        const cJSON *o = NULL;
        if (strcmp(a->ref, "department") == 0) {
            const dm_coll *d = dm_store_coll(c->d.store, "department");
            for (size_t k = 0; k < d->items.n && !o; k++)
                if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d->items.items[k], "isDefault")))
                    o = d->items.items[k];
            if (!o && d->items.n) o = d->items.items[0];
        } else if (strcmp(a->ref, "contact") == 0) {
            const dm_coll *k = dm_store_coll(c->d.store, "contact");
            o = k->items.n ? k->items.items[0] : NULL;
        } else {
            o = newest(c->d.store, a->ref);
        }
        if (o && a->type == DM_T_IDS) {
            cJSON *arr = cJSON_CreateArray();
            cJSON_AddItemToArray(arr, cJSON_CreateString(dm_json_str(o, "id")));
            dm_json_set(in, a->name, arr);
        } else if (o) {
            dm_json_set_str(in, a->name, dm_json_str(o, "id"));
        }
    }
    /* a ticket needs a contact */
    if (sc == &dm_ticket_schema && !cJSON_GetObjectItemCaseSensitive(in, "contactId") &&
        !cJSON_GetObjectItemCaseSensitive(in, "contact")) {
        const dm_coll *k = dm_store_coll(c->d.store, "contact");
        if (k->items.n) dm_json_set_str(in, "contactId", dm_json_str(k->items.items[0], "id"));
    }
    /* an approval needs an approver: the admin */
    const cJSON *ap = cJSON_GetObjectItemCaseSensitive(in, "approverIds");
    if (cJSON_IsArray(ap) && !cJSON_GetArraySize(ap)) {
        const dm_token *admin = dm_store_token_for_role(c->d.store, "admin");
        if (admin && admin->agent)
            cJSON_AddItemToArray((cJSON *)ap, cJSON_CreateString(dm_json_str(admin->agent, "id")));
    }
}

/* The REST path of a module's collection, with its parent's id. NULL with an
 * error in e when the parent is missing. */
static int collection_path(dm_control *c, const dm_schema *sc, const cJSON *body, char *out,
                           size_t len, dm_field_errs *e)
{
    const char *brace = strstr(sc->path, "{}");
    if (!brace) {
        snprintf(out, len, "/api/v1/%s", sc->path);
        return 0;
    }
    const char *pid = dm_json_str(body, sc->parent);
    if (!pid && !dm_json_str(body, "parentId")) {
        const cJSON *p = newest(c->d.store, sc->parent_module);
        pid = p ? dm_json_str(p, "id") : NULL;
    } else if (!pid) {
        pid = dm_json_str(body, "parentId");
    }
    if (!pid || !dm_store_get(c->d.store, sc->parent_module, pid)) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/%s", sc->parent);
        dm_field_errs_add(e, ptr, pid ? "invalid" : "missing", "%s: no %s %s", sc->name,
                          sc->parent_module, pid ? "with this id" : "to put it in");
        return -1;
    }
    snprintf(out, len, "/api/v1/%.*s%s%s", (int)(brace - sc->path), sc->path, pid, brace + 2);
    return 0;
}

/* One trigger by type: what it asks for and what the change answered. */
typedef struct by_type_ctx {
    dm_control *c;
    dm_call *call;
    const cJSON *body;   /* the request */
    const dm_schema *sc; /* the module the type belongs to */
    const dm_event_def *def;
    const recipe *r;
    cJSON *in; /* the request's set, unset applied */
    dm_field_errs e;
    dm_resp inner; /* the change's answer */
} by_type_ctx;

/* Ticket_Thread_Add: a customer's email on the ticket (in), or an agent's
 * reply (out, sendReply). */
static void thread_add(by_type_ctx *x)
{
    const char *dir = dm_json_str(x->body, "direction");
    const char *tid = given_id(x->body, "ticket");
    const cJSON *t =
        tid ? dm_store_get(x->c->d.store, "ticket", tid) : newest(x->c->d.store, "ticket");
    cJSON *in = x->in;
    if (!t) {
        dm_field_errs_add(&x->e, "/ticketId", tid ? "invalid" : "missing",
                          "Ticket_Thread_Add needs a ticket");
    } else if (dir && strcmp(dir, "out") == 0) {
        if (!cJSON_GetObjectItemCaseSensitive(in, "content"))
            dm_json_set_str(in, "content", "<div>Triggered reply</div>");
        if (!cJSON_GetObjectItemCaseSensitive(in, "channel"))
            dm_json_set_str(in, "channel", "EMAIL");
        if (!cJSON_GetObjectItemCaseSensitive(in, "to"))
            dm_json_set_str(in, "to",
                            dm_json_str(t, "email") ? dm_json_str(t, "email")
                                                    : "customer@example.com");
        if (!cJSON_GetObjectItemCaseSensitive(in, "fromEmailAddress")) {
            char from[128];
            snprintf(from, sizeof from, "support@%s.zohodesk.com", x->c->d.store->portal);
            dm_json_set_str(in, "fromEmailAddress", from);
        }
        char path[200];
        snprintf(path, sizeof path, "/api/v1/tickets/%s/sendReply", dm_json_str(t, "id"));
        desk(x->c, x->call, "POST", path, in, &x->inner);
    } else if (dir && strcmp(dir, "in") != 0) {
        dm_field_errs_add(&x->e, "/direction", "invalid", "expected \"in\" or \"out\"");
    } else {
        if (!cJSON_GetObjectItemCaseSensitive(in, "content"))
            dm_json_set_str(in, "content", "<div>Triggered message</div>");
        dm_json_set_str(in, "ticketId", dm_json_str(t, "id"));
        dm_action_run(x->c, x->call, "email", in, &x->inner);
    }
}

/* What no API user can do: the module's action, told which object. */
static void by_action(by_type_ctx *x)
{
    const char *module = x->sc->name;
    int message_status = strcmp(module, "imMessage") == 0 && strcmp(x->def->action, "update") == 0;
    const char *id = given_id(x->body, module);
    if (id) {
        const char *key = message_status                           ? "messageId"
                          : strcmp(module, "imSession") == 0       ? "sessionId"
                          : strcmp(module, "articleFeedback") == 0 ? "articleId"
                                                                   : "agentId";
        dm_json_set_str(x->in, key, id);
    }
    dm_action_run(x->c, x->call, message_status ? "im-message-status" : x->r->action, x->in,
                  &x->inner);
}

/* A create through the Desk API: the recipe's body, the request's set over
 * it, the references it needs filled in. */
static void create(by_type_ctx *x)
{
    cJSON *full = x->r && x->r->create ? fill(x->c, x->r->create) : cJSON_CreateObject();
    const cJSON *v;
    cJSON_ArrayForEach(v, x->in)
        dm_json_set(full, v->string, cJSON_Duplicate(v, 1));
    fill_refs(x->c, x->sc, full);
    char path[300];
    if (collection_path(x->c, x->sc, x->body, path, sizeof path, &x->e) == 0) {
        if (x->sc->parent) cJSON_DeleteItemFromObjectCaseSensitive(full, x->sc->parent);
        desk(x->c, x->call, "POST", path, full, &x->inner);
    }
    cJSON_Delete(full);
}

/* Ticket_Add as most tickets arrive: a customer's email (its Ticket_Add
 * carries firstThread); through the API when set names more than an email
 * gives. */
static void ticket_add(by_type_ctx *x)
{
    static const char *const email_keys[] = {"subject",   "description", "departmentId",
                                             "contactId", "channel",     NULL};
    const cJSON *v;
    int other = 0;
    cJSON_ArrayForEach(v, x->in) {
        int known = 0;
        for (const char *const *k = email_keys; *k; k++)
            known |= strcmp(*k, v->string) == 0;
        other |= !known;
    }
    const char *channel = dm_json_str(x->in, "channel");
    if (other || (channel && strcmp(channel, "Email") != 0)) {
        create(x);
        return;
    }
    cJSON *mail = cJSON_CreateObject();
    const char *subject = dm_json_str(x->in, "subject");
    dm_json_set_str(mail, "subject", subject ? subject : "Triggered ticket");
    if (dm_json_str(x->in, "description"))
        dm_json_set_str(mail, "content", dm_json_str(x->in, "description"));
    if (dm_json_str(x->in, "departmentId"))
        dm_json_set_str(mail, "departmentId", dm_json_str(x->in, "departmentId"));
    if (dm_json_str(x->in, "contactId"))
        dm_json_set_str(mail, "contactId", dm_json_str(x->in, "contactId"));
    dm_action_run(x->c, x->call, "email", mail, &x->inner);
    cJSON_Delete(mail);
}

/* An update or delete through the Desk API, of the object named or the
 * newest. */
static void change(by_type_ctx *x)
{
    const dm_schema *sc = x->sc;
    const char *id = given_id(x->body, sc->name);
    const cJSON *obj =
        id ? dm_store_get(x->c->d.store, sc->name, id) : newest(x->c->d.store, sc->name);
    if (!obj) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/%sId", sc->name);
        if (id)
            dm_field_errs_add(&x->e, ptr, "invalid", "no %s with this id", sc->name);
        else
            dm_field_errs_add(&x->e, "/id", "missing", "%s needs a %s to change; there is none",
                              x->def->type, sc->name);
        return;
    }
    char path[300];
    cJSON *where = cJSON_CreateObject();
    if (sc->parent) dm_json_set_str(where, sc->parent, dm_json_str(obj, sc->parent));
    int ok = collection_path(x->c, sc, where, path, sizeof path - 40, &x->e) == 0;
    cJSON_Delete(where);
    if (!ok) return;
    size_t n = strlen(path);
    snprintf(path + n, sizeof path - n, "/%s", dm_json_str(obj, "id"));
    if (strcmp(x->def->action, "delete") == 0 && sc == &dm_ticket_schema) {
        cJSON *ids = cJSON_CreateObject();
        cJSON_AddItemToArray(cJSON_AddArrayToObject(ids, "ticketIds"),
                             cJSON_CreateString(dm_json_str(obj, "id")));
        desk(x->c, x->call, "POST", "/api/v1/tickets/moveToTrash", ids, &x->inner);
        cJSON_Delete(ids);
    } else if (strcmp(x->def->action, "delete") == 0) {
        desk(x->c, x->call, "DELETE", path, NULL, &x->inner);
    } else {
        cJSON *body = x->in->child           ? cJSON_Duplicate(x->in, 1)
                      : x->r && x->r->update ? fill(x->c, x->r->update)
                                             : cJSON_CreateObject();
        if (!x->in->child && sc == &dm_ticket_schema) {
            /* a change that changes something: the priority moves */
            const char *p = dm_json_str(obj, "priority");
            dm_json_set_str(body, "priority", p && strcmp(p, "High") == 0 ? "Medium" : "High");
        }
        desk(x->c, x->call, "PATCH", path, body, &x->inner);
        cJSON_Delete(body);
    }
}

/* Changes state so that an event of the requested type happens, through the
 * Desk API or a /mock/v1 action, and answers with the events raised. */
static void by_type(dm_control *c, dm_call *call, const cJSON *body, dm_resp *resp)
{
    by_type_ctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.call = call;
    x.body = body;
    const char *type = dm_json_str(body, "eventType");
    x.sc = dm_schema_for_event(type, &x.def);
    if (!x.sc) {
        const char *near = dm_event_type_suggest(type);
        dm_field_errs_add(&x.e, "/eventType", "invalid", "unknown event type%s%s%s",
                          near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
        dm_api_invalid(resp, &x.e);
        return;
    }
    x.in = cJSON_CreateObject();
    if (apply_paths(x.in, NULL, cJSON_GetObjectItemCaseSensitive(body, "set"),
                    cJSON_GetObjectItemCaseSensitive(body, "unset"), &x.e)) {
        dm_api_invalid(resp, &x.e);
        cJSON_Delete(x.in);
        return;
    }
    dm_resp_init(&x.inner);
    uint64_t before = dm_journal_next_seq(c->d.journal) - 1;
    x.r = recipe_of(x.sc->name);
    int creates = strcmp(x.def->action, "create") == 0;
    if (x.sc == &dm_thread_schema)
        thread_add(&x);
    else if (x.r && x.r->action)
        by_action(&x);
    else if (creates && x.sc == &dm_ticket_schema)
        ticket_add(&x);
    else if (creates)
        create(&x);
    else
        change(&x);
    cJSON_Delete(x.in);
    if (x.e.n) {
        dm_api_invalid(resp, &x.e);
    } else if (x.inner.status >= 300) {
        /* the Desk call refused: pass its answer on as is */
        resp->status = x.inner.status;
        resp->error_code = x.inner.error_code;
        dm_buf_reset(&resp->body);
        dm_buf_append(&resp->body, x.inner.body.data, x.inner.body.len);
    } else {
        char what[80];
        snprintf(what, sizeof what, "the %s", x.sc->name);
        answer_events(c, before, resp, &x.inner, what,
                      cJSON_GetObjectItemCaseSensitive(body, "set"));
    }
    dm_resp_free(&x.inner);
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

/* A fixture's ticket into state (replacing one of the same id), its change
 * emitted. */
static void load_ticket(dm_control *c, dm_call *call, const char *name, const char *action,
                        const cJSON *payload, const cJSON *prev)
{
    dm_store *s = c->d.store;
    const char *id = dm_json_str(payload, "id");
    dm_ticket *t = dm_store_ticket(s, id);
    if (strcmp(action, "delete") == 0) {
        if (t)
            dm_desk_delete_ticket(s, call, t);
        else
            dm_events_raise(c->d.events, "Ticket_Delete", payload, NULL, &call->origin, name,
                            call->origin.cause);
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
    cJSON_DeleteItemFromObjectCaseSensitive(t->obj, "firstThread");
    dm_map_put(s->tickets_by_id, dm_json_str(t->obj, "id"), t);
    dm_store_emit(s, "ticket", action, dm_json_str(t->obj, "id"), NULL, prior(action, before, prev),
                  payload, &call->origin);
    cJSON_Delete(before);
}

/* A fixture's thread or comment into its ticket's lists. */
static void load_child(dm_control *c, dm_call *call, const char *name, const char *type,
                       const dm_schema *sc, const char *action, const cJSON *payload,
                       const cJSON *prev)
{
    dm_store *s = c->d.store;
    dm_ticket *t = dm_store_ticket(s, dm_json_str(payload, "ticketId"));
    if (!t) {
        dm_events_raise(c->d.events, type, payload, prev, &call->origin, name, call->origin.cause);
        return;
    }
    const char *id = dm_json_str(payload, "id");
    int thread = sc == &dm_thread_schema;
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
    dm_store_emit(s, sc->name, action, dm_json_str(obj, "id"), dm_json_str(t->obj, "id"),
                  prior(action, old, prev), obj, &call->origin);
    cJSON_Delete(old);
}

/* Loads a fixture's resource into state and emits its change; payloads that
 * carry only part of their object (or no id) are raised directly. */
static void load_and_emit(dm_control *c, dm_call *call, const char *name, const cJSON *fx)
{
    const char *type = dm_json_str(fx, "eventType");
    cJSON *payload = cJSON_GetObjectItemCaseSensitive(fx, "payload");
    const cJSON *prev = cJSON_GetObjectItemCaseSensitive(fx, "prevState");
    const char *id = dm_json_str(payload, "id");
    const dm_event_def *def = NULL;
    const dm_schema *sc = dm_schema_for_event(type, &def);
    dm_store *s = c->d.store;
    if (!sc || !id || def->keys) {
        dm_events_raise(c->d.events, type, payload, prev, &call->origin, name, call->origin.cause);
        return;
    }
    if (sc == &dm_ticket_schema) {
        load_ticket(c, call, name, def->action, payload, prev);
        return;
    }
    if (sc == &dm_thread_schema || sc == &dm_comment_schema) {
        load_child(c, call, name, type, sc, def->action, payload, prev);
        return;
    }
    dm_coll *coll = dm_store_coll(s, sc->name);
    cJSON *old = dm_map_get(coll->by_id, id);
    if (strcmp(def->action, "delete") == 0) {
        if (old)
            dm_coll_delete(s, coll, old, &call->origin);
        else
            dm_events_raise(c->d.events, type, payload, NULL, &call->origin, name,
                            call->origin.cause);
        return;
    }
    cJSON *obj = cJSON_Duplicate(payload, 1);
    if (old) {
        for (size_t i = 0; i < coll->items.n; i++)
            if (coll->items.items[i] == old) coll->items.items[i] = obj;
        dm_map_del(coll->by_id, id);
    } else {
        dm_vec_push(&coll->items, obj);
    }
    dm_map_put(coll->by_id, dm_json_str(obj, "id"), obj);
    dm_store_emit(s, sc->name, def->action, dm_json_str(obj, "id"), dm_json_str(obj, "ticketId"),
                  prior(def->action, old, prev), obj, &call->origin);
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
            dm_field_errs_add(&e, "/fixture", "invalid", "fixture %s is not valid JSON: %s", name,
                              why);
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
    if (unset && !cJSON_IsArray(unset))
        dm_field_errs_add(&e, "/unset", "invalid", "expected an array of paths");
    if (!fixture && !dm_json_str(body, "eventType"))
        dm_field_errs_add(&e, "/eventType", "missing",
                          "give eventType (a state change) or fixture");
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
        call->origin.automation =
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "automation"));
        if (cJSON_GetObjectItemCaseSensitive(body, "fixture"))
            by_fixture(c, call, body, resp);
        else
            by_type(c, call, body, resp);
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
