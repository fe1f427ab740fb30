/* derive.c -- the keys of a Desk object the mock keeps true by itself: the
 * ones a schema marks (times, the acting agent, URLs, embedded objects) and
 * each module's own (a ticket's status keys and layout, a thread's author
 * and summary, a comment's commenter and mentions, custom fields by label).
 * It reads the store; it writes only the object it is given. */
#include "desk/store.h"
#include "util/buf.h"
#include "util/json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_time(cJSON *o, const char *key, int64_t ms)
{
    char iso[DM_ISO_LEN];
    dm_iso_time(ms, iso);
    dm_json_set_str(o, key, iso);
}

static int is_null(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return !v || cJSON_IsNull(v);
}

static void full_name(const cJSON *p, char *out, size_t len)
{
    const char *f = dm_json_str(p, "firstName"), *l = dm_json_str(p, "lastName");
    snprintf(out, len, "%s%s%s", f ? f : "", f && l ? " " : "", l ? l : "");
}

/* The embedded form of src (sub's keys, each copied from its `from` key),
 * or JSON null when there is no src. */
static cJSON *embed(const dm_schema *sub, const cJSON *src)
{
    if (!src) return cJSON_CreateNull();
    cJSON *e = cJSON_CreateObject();
    for (size_t i = 0; i < sub->nattrs; i++) {
        const dm_attr *a = &sub->attrs[i];
        cJSON *v = NULL;
        if (a->from && strcmp(a->from, "@name") == 0) {
            char name[256];
            full_name(src, name, sizeof name);
            v = cJSON_CreateString(name);
        } else {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(src, a->from ? a->from : a->name);
            v = x ? cJSON_Duplicate(x, 1) : a->dflt ? cJSON_Parse(a->dflt) : cJSON_CreateNull();
        }
        cJSON_AddItemToObject(e, a->name, v);
    }
    return e;
}

/* "https://desk.zoho.com/support/{portal}/...#Cases/dv/{id}" filled in:
 * {portal} the org's portal name, {key} obj's value of key. */
static void fill_url(const dm_store *s, const char *tmpl, const cJSON *obj, dm_buf *out)
{
    for (const char *p = tmpl; *p;) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        if (!end) {
            dm_buf_putc(out, *p++);
            continue;
        }
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(end - p - 1), p + 1);
        const char *v = strcmp(key, "portal") == 0 ? s->portal : dm_json_str(obj, key);
        dm_buf_puts(out, v ? v : "");
        p = end + 1;
    }
}

/* ==== Custom fields ==== */

/* A custom field's display label: the org file's, else its API name made
 * readable ("cf_escalation_signal" -> "Escalation Signal"). */
static void cf_label(const dm_store *s, const char *module, const char *api, char *out, size_t len)
{
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(s->cf_labels, module);
    const char *given = dm_json_str(labels, api);
    if (given) {
        snprintf(out, len, "%s", given);
        return;
    }
    const char *p = strncmp(api, "cf_", 3) == 0 ? api + 3 : api;
    size_t n = 0;
    int start = 1;
    for (; *p && n + 1 < len; p++) {
        if (*p == '_') {
            out[n++] = ' ';
            start = 1;
        } else {
            out[n++] = start ? (char)toupper((unsigned char)*p) : *p;
            start = 0;
        }
    }
    out[n] = '\0';
}

/* customFields: cf keyed by display label, as Desk sends it beside cf. */
static void custom_fields(const dm_store *s, const dm_schema *sc, cJSON *obj)
{
    const cJSON *cf = cJSON_GetObjectItemCaseSensitive(obj, "cf");
    if (!dm_schema_attr(sc, "customFields") || !cJSON_IsObject(cf)) return;
    cJSON *custom = cJSON_CreateObject();
    const cJSON *f;
    cJSON_ArrayForEach(f, cf) {
        char label[200];
        cf_label(s, sc->name, f->string, label, sizeof label);
        cJSON_AddItemToObject(custom, label, cJSON_Duplicate(f, 1));
    }
    dm_json_set(obj, "customFields", custom);
}

/* ==== Tickets ==== */

static const char *status_type(const char *status)
{
    if (!status) return "Open";
    if (strcmp(status, "Closed") == 0) return "Closed";
    if (strcmp(status, "On Hold") == 0) return "On Hold";
    return "Open";
}

static void ticket(dm_store *s, cJSON *t, const cJSON *before, int64_t now)
{
    if (!before) {
        if (is_null(t, "ticketNumber"))
            dm_json_set_count(t, "ticketNumber", s->next_ticket_number++);
        const cJSON *con = dm_store_contact(s, dm_json_str(t, "contactId"));
        if (is_null(t, "email") && con) dm_json_set_str(t, "email", dm_json_str(con, "email"));
        if (is_null(t, "phone") && con) dm_json_set_str(t, "phone", dm_json_str(con, "phone"));
        /* a ticket nobody in the org created was created by its contact */
        if (is_null(t, "createdBy")) dm_json_set_str(t, "createdBy", dm_json_str(t, "contactId"));
        if (is_null(t, "modifiedBy")) dm_json_set_str(t, "modifiedBy", dm_json_str(t, "createdBy"));
        if (is_null(t, "customerResponseTime"))
            dm_json_set_str(t, "customerResponseTime", dm_json_str(t, "createdTime"));
    }
    const char *status = dm_json_str(t, "status");
    const char *old = before ? dm_json_str(before, "status") : NULL;
    const char *type = status_type(status);
    dm_json_set_str(t, "statusType", type);
    dm_json_set_bool(t, "isEscalated", status && strcmp(status, "Escalated") == 0);
    if (!old || !status || strcmp(old, status) != 0) {
        if (strcmp(type, "Closed") == 0)
            set_time(t, "closedTime", now);
        else
            dm_json_set_str(t, "closedTime", NULL);
        if (strcmp(type, "On Hold") == 0)
            set_time(t, "onholdTime", now);
        else
            dm_json_set_str(t, "onholdTime", NULL);
    }
    /* each department's tickets use its layout, named after it */
    const char *dep = dm_json_str(t, "departmentId");
    const char *layout = dep ? dm_json_str(s->layouts, dep) : NULL;
    const cJSON *d = dm_store_department(s, dep);
    dm_json_set_str(t, "layoutId", layout);
    cJSON *ld = cJSON_CreateObject();
    dm_json_set_str(ld, "id", layout);
    dm_json_set_str(ld, "layoutName", d ? dm_json_str(d, "name") : NULL);
    dm_json_set(t, "layoutDetails", ld);
}

/* ==== Threads and comments ==== */

void dm_derive_summary(const char *content, char *out, size_t outlen)
{
    size_t n = 0;
    int in_tag = 0, space = 1;
    for (const char *p = content ? content : ""; *p && n + 1 < outlen && n < 100; p++) {
        if (*p == '<')
            in_tag = 1;
        else if (*p == '>' && in_tag)
            in_tag = 0;
        else if (!in_tag) {
            if (isspace((unsigned char)*p)) {
                if (!space) out[n++] = ' ';
                space = 1;
            } else {
                out[n++] = *p;
                space = 0;
            }
        }
    }
    /* never end inside a UTF-8 sequence */
    while (n && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
        n--;
    if (n && ((unsigned char)out[n - 1] & 0xC0) == 0xC0) n--;
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

/* A thread's author or a comment's commenter: p an agent (emailId) or a
 * contact (email); NULL: nobody, named nobody. */
static cJSON *person(const cJSON *p, int agent, const char *nobody)
{
    cJSON *a = cJSON_CreateObject();
    char name[256];
    full_name(p, name, sizeof name);
    dm_json_set_str(a, "id", p ? dm_json_str(p, "id") : NULL);
    dm_json_set_str(a, "name", p ? name : nobody);
    dm_json_set_str(a, "firstName", p ? dm_json_str(p, "firstName") : NULL);
    dm_json_set_str(a, "lastName", p ? dm_json_str(p, "lastName") : NULL);
    dm_json_set_str(a, "email", p ? dm_json_str(p, agent ? "emailId" : "email") : NULL);
    dm_json_set_str(a, "photoURL", p ? dm_json_str(p, "photoURL") : NULL);
    dm_json_set_str(a, "type", agent ? "AGENT" : "END_USER");
    return a;
}

static void thread(dm_store *s, cJSON *th, const cJSON *before, const char *actor, int64_t now)
{
    (void)now;
    dm_ticket *t = dm_store_ticket(s, dm_json_str(th, "ticketId"));
    dm_json_set_str(th, "departmentId", t ? dm_json_str(t->obj, "departmentId") : NULL);
    const char *content = dm_json_str(th, "content");
    char summary[128];
    dm_derive_summary(content, summary, sizeof summary);
    dm_json_set_str(th, "summary", summary);
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(th, "attachments"));
    dm_json_set_count(th, "attachmentCount", n);
    dm_json_set_bool(th, "hasAttach", n > 0);
    if (before) return;
    if (is_null(th, "contentType")) dm_json_set_str(th, "contentType", s->opts.thread_content_type);
    const char *dir = dm_json_str(th, "direction");
    int out = !dir || strcmp(dir, "out") == 0;
    if (!dir) dm_json_set_str(th, "direction", "out");
    const char *customer = t ? dm_json_str(t->obj, "email") : NULL;
    char support[128];
    snprintf(support, sizeof support, "support@%s.zohodesk.com", s->portal);
    if (is_null(th, "fromEmailAddress"))
        dm_json_set_str(th, "fromEmailAddress", out ? support : customer);
    if (is_null(th, "to")) dm_json_set_str(th, "to", out ? customer : support);
    if (out) {
        const cJSON *ag = dm_store_agent(s, actor);
        dm_json_set(th, "author", person(ag, 1, "System"));
        dm_json_set_str(th, "responderId", actor);
    } else {
        const cJSON *c = t ? dm_store_contact(s, dm_json_str(t->obj, "contactId")) : NULL;
        dm_json_set(th, "author", person(c, 0, ""));
    }
}

/* The agents a comment @-mentions: zsu[@user:<agent id>]zsu in its content. */
static cJSON *mentions(const dm_store *s, const char *content)
{
    cJSON *a = cJSON_CreateArray();
    const char *tag = "zsu[@user:";
    for (const char *p = content ? strstr(content, tag) : NULL; p; p = strstr(p, tag)) {
        p += strlen(tag);
        char id[DM_ID_MAX];
        size_t n = strspn(p, "0123456789");
        if (n == 0 || n >= sizeof id || strncmp(p + n, "]zsu", 4) != 0) continue;
        memcpy(id, p, n);
        id[n] = '\0';
        const cJSON *ag = dm_store_agent(s, id);
        if (!ag) continue;
        cJSON *m = cJSON_CreateObject();
        dm_json_set_str(m, "id", id);
        dm_json_set_str(m, "firstName", dm_json_str(ag, "firstName"));
        dm_json_set_str(m, "lastName", dm_json_str(ag, "lastName"));
        dm_json_set_str(m, "email", dm_json_str(ag, "emailId"));
        dm_json_set_str(m, "photoURL", dm_json_str(ag, "photoURL"));
        dm_json_set_str(m, "type", "AGENT");
        cJSON_AddItemToArray(a, m);
    }
    return a;
}

static void comment(dm_store *s, cJSON *c)
{
    const cJSON *ag = dm_store_agent(s, dm_json_str(c, "commenterId"));
    cJSON *who = person(ag, 1, "System");
    dm_json_set_str(who, "id", dm_json_str(c, "commenterId"));
    dm_json_set_str(who, "roleName", ag ? dm_json_str(ag, "roleName") : NULL);
    dm_json_set(c, "commenter", who);
    dm_json_set(c, "mention", mentions(s, dm_json_str(c, "content")));
}

/* ==== The other modules' own keys ==== */

/* A permalink from a title: lowercase words joined by '-'. */
static void permalink(const char *title, char *out, size_t len)
{
    size_t n = 0;
    int dash = 0;
    for (const char *p = title ? title : ""; *p && n + 1 < len; p++) {
        unsigned char ch = (unsigned char)*p;
        if (isalnum(ch)) {
            if (dash && n) out[n++] = '-';
            if (n + 1 < len) out[n++] = (char)tolower(ch);
            dash = 0;
        } else {
            dash = 1;
        }
    }
    out[n] = '\0';
}

static void article(dm_store *s, cJSON *a, const cJSON *before)
{
    const cJSON *sec = dm_store_get(s, "kbSection", dm_json_str(a, "categoryId"));
    const char *root = sec ? dm_json_str(sec, "rootCategoryId") : NULL;
    const cJSON *rc = dm_store_get(s, "kbRootCategory", root);
    dm_json_set_str(a, "rootCategoryId", root);
    dm_json_set_str(a, "departmentId", rc ? dm_json_str(rc, "departmentId") : NULL);
    if (is_null(a, "permalink")) {
        char link[256];
        permalink(dm_json_str(a, "title"), link, sizeof link);
        dm_json_set_str(a, "permalink", link);
    }
    char url[512];
    snprintf(url, sizeof url, "https://desk.zoho.com/portal/%s/%s/kb/articles/%s", s->portal,
             dm_json_str(a, "locale") ? dm_json_str(a, "locale") : "en",
             dm_json_str(a, "permalink"));
    dm_json_set_str(a, "portalUrl", url);
    const char *status = dm_json_str(a, "status");
    dm_json_set_str(a, "latestVersionStatus", status);
    int published = status && strcmp(status, "Published") == 0;
    if (published) dm_json_set_str(a, "latestPublishedVersion", dm_json_str(a, "latestVersion"));
    /* each edit of a published article is a new version */
    if (before && !cJSON_Compare(before, a, 1) && !is_null(a, "latestVersion")) {
        const char *v = dm_json_str(before, "latestVersion");
        double next = v ? strtod(v, NULL) + 0.1 : 1.0;
        char ver[32];
        snprintf(ver, sizeof ver, "%.1f", next);
        dm_json_set_str(a, "latestVersion", ver);
        if (published) dm_json_set_str(a, "latestPublishedVersion", ver);
    }
}

static void section(dm_store *s, cJSON *sec)
{
    const cJSON *rc = dm_store_get(s, "kbRootCategory", dm_json_str(sec, "rootCategoryId"));
    dm_json_set_str(sec, "departmentId", rc ? dm_json_str(rc, "departmentId") : NULL);
    if (is_null(sec, "parentCategoryId"))
        dm_json_set_str(sec, "parentCategoryId", dm_json_str(sec, "rootCategoryId"));
}

/* A task, call or event: completed when its status says so. */
static void activity(cJSON *a, int64_t now)
{
    const char *status = dm_json_str(a, "status");
    int done = status && strcmp(status, "Completed") == 0;
    if (done && is_null(a, "completedTime"))
        set_time(a, "completedTime", now);
    else if (!done)
        dm_json_set_str(a, "completedTime", NULL);
}

static void approval(cJSON *a, const cJSON *before, const char *actor, int64_t now)
{
    const char *status = dm_json_str(a, "status");
    const char *was = before ? dm_json_str(before, "status") : NULL;
    if (before && status && was && strcmp(status, was) != 0 && strcmp(status, "Pending") != 0) {
        set_time(a, "processedTime", now);
        dm_json_set_str(a, "processedById", actor);
    }
}

static void time_entry(cJSON *t)
{
    const char *h = dm_json_str(t, "hoursSpent"), *m = dm_json_str(t, "minutesSpent");
    const char *sec = dm_json_str(t, "secondsSpent"), *rate = dm_json_str(t, "agentCostPerHour");
    const char *extra = dm_json_str(t, "additionalCost");
    double hours = (h ? strtod(h, NULL) : 0) + (m ? strtod(m, NULL) : 0) / 60 +
                   (sec ? strtod(sec, NULL) : 0) / 3600;
    double total = hours * (rate ? strtod(rate, NULL) : 0) + (extra ? strtod(extra, NULL) : 0);
    char v[64];
    snprintf(v, sizeof v, "%.1f", total);
    dm_json_set_str(t, "totalCost", v);
}

static void feedback(dm_store *s, cJSON *f)
{
    const cJSON *c = dm_store_contact(s, dm_json_str(f, "contactId"));
    char name[256];
    full_name(c, name, sizeof name);
    dm_json_set_str(f, "contactName", c ? name : NULL);
    if (c && is_null(f, "email")) dm_json_set_str(f, "email", dm_json_str(c, "email"));
}

static void agent(cJSON *a)
{
    char name[256];
    full_name(a, name, sizeof name);
    dm_json_set_str(a, "name", name);
}

/* ==== The whole ==== */

void dm_derive(dm_store *s, const dm_schema *sc, cJSON *obj, const cJSON *before,
               const char *actor_id, int64_t now)
{
    const char *created = NULL, *creator = NULL; /* a new object's, for its modified keys */
    for (size_t i = 0; !before && i < sc->nattrs; i++) {
        const dm_attr *a = &sc->attrs[i];
        if ((a->flags & DM_A_CREATED) && is_null(obj, a->name)) set_time(obj, a->name, now);
        if ((a->flags & DM_A_CREATOR) && is_null(obj, a->name) && actor_id)
            dm_json_set_str(obj, a->name, actor_id);
        if (a->flags & DM_A_CREATED) created = dm_json_str(obj, a->name);
        if ((a->flags & DM_A_CREATOR) && !creator) creator = dm_json_str(obj, a->name);
    }
    for (size_t i = 0; i < sc->nattrs; i++) {
        const dm_attr *a = &sc->attrs[i];
        /* a new object was last modified when and by whom it was made */
        if (!before && (a->flags & DM_A_MODIFIED) && is_null(obj, a->name)) {
            if (created)
                dm_json_set_str(obj, a->name, created);
            else
                set_time(obj, a->name, now);
        }
        if (!before && (a->flags & DM_A_MODIFIER) && is_null(obj, a->name) && (creator || actor_id))
            dm_json_set_str(obj, a->name, creator ? creator : actor_id);
        if (a->flags & DM_A_URL) {
            dm_buf url = {0};
            fill_url(s, a->tmpl, obj, &url);
            dm_json_set_str(obj, a->name, url.data);
            dm_buf_free(&url);
        }
        if (a->flags & DM_A_EMBED)
            dm_json_set(obj, a->name,
                        embed(a->sub, dm_store_get(s, a->ref_module, dm_json_str(obj, a->ref))));
    }
    if (sc == &dm_ticket_schema)
        ticket(s, obj, before, now);
    else if (sc == &dm_thread_schema)
        thread(s, obj, before, actor_id, now);
    else if (sc == &dm_comment_schema)
        comment(s, obj);
    else if (strcmp(sc->name, "agent") == 0)
        agent(obj);
    else if (strcmp(sc->name, "article") == 0)
        article(s, obj, before);
    else if (strcmp(sc->name, "kbSection") == 0)
        section(s, obj);
    else if (strcmp(sc->name, "approval") == 0)
        approval(obj, before, actor_id, now);
    else if (strcmp(sc->name, "timeEntry") == 0)
        time_entry(obj);
    else if (strcmp(sc->name, "articleFeedback") == 0)
        feedback(s, obj);
    if (dm_schema_output(sc, "completedTime")) activity(obj, now);
    custom_fields(s, sc, obj);
}

void dm_derive_touch(const dm_schema *sc, cJSON *obj, const char *actor_id, int64_t now)
{
    for (size_t i = 0; i < sc->nattrs; i++) {
        const dm_attr *a = &sc->attrs[i];
        if (a->flags & DM_A_MODIFIED) set_time(obj, a->name, now);
        if (a->flags & DM_A_MODIFIER) dm_json_set_str(obj, a->name, actor_id);
    }
}

void dm_derive_embedders(dm_store *s, const char *module, const char *id, int64_t now)
{
    int embedded = 0; /* most modules are in no ticket */
    for (size_t k = 0; k < dm_ticket_schema.nattrs && !embedded; k++) {
        const dm_attr *a = &dm_ticket_schema.attrs[k];
        embedded = (a->flags & DM_A_EMBED) && strcmp(a->ref_module, module) == 0;
    }
    for (size_t i = 0; embedded && i < s->tickets.n; i++) {
        dm_ticket *t = s->tickets.items[i];
        for (size_t k = 0; k < dm_ticket_schema.nattrs; k++) {
            const dm_attr *a = &dm_ticket_schema.attrs[k];
            if (!(a->flags & DM_A_EMBED) || strcmp(a->ref_module, module) != 0) continue;
            const char *ref = dm_json_str(t->obj, a->ref);
            if (ref && strcmp(ref, id) == 0) {
                dm_derive(s, &dm_ticket_schema, t->obj, t->obj, NULL, now);
                break;
            }
        }
    }
}

void dm_merge(const dm_schema *sc, cJSON *obj, const cJSON *in)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, in) {
        const dm_attr *a = dm_schema_attr(sc, v->string);
        if (a && (a->flags & DM_A_INPUT) && !dm_schema_output(sc, v->string)) continue;
        if (a && a->type == DM_T_CF && cJSON_IsObject(v)) {
            cJSON *cf = cJSON_GetObjectItemCaseSensitive(obj, v->string);
            if (!cJSON_IsObject(cf)) {
                dm_json_set(obj, v->string, cJSON_Duplicate(v, 1));
                continue;
            }
            const cJSON *f;
            cJSON_ArrayForEach(f, v)
                dm_json_set(cf, f->string, cJSON_Duplicate(f, 1));
        } else {
            dm_json_set(obj, v->string, cJSON_Duplicate(v, 1));
        }
    }
}
