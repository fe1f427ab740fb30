/* shapes.c -- builds the full Desk objects (every key Desk sends, with Desk's
 * types: ids and counts as strings, ISO times) from short inputs, and keeps a
 * ticket's derived keys true after its plain fields change. */
#include "desk/store.h"
#include "util/buf.h"
#include "util/json.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static void set_time(cJSON *o, const char *key, int64_t ms)
{
    char iso[DM_ISO_LEN];
    dm_iso_time(ms, iso);
    dm_json_set_str(o, key, iso);
}

/* Copies in[key] (any type) into o, or stores dflt (NULL = JSON null). */
static void copy_or(cJSON *o, const cJSON *in, const char *key, const char *dflt)
{
    const cJSON *v = in ? cJSON_GetObjectItemCaseSensitive(in, key) : NULL;
    if (v)
        dm_json_set(o, key, cJSON_Duplicate(v, 1));
    else
        dm_json_set_str(o, key, dflt);
}

static void full_name(const cJSON *p, char *out, size_t len)
{
    const char *f = dm_json_str(p, "firstName"), *l = dm_json_str(p, "lastName");
    snprintf(out, len, "%s%s%s", f ? f : "", f && l ? " " : "", l ? l : "");
}

/* The person keys of a thread's author or a comment's commenter, from p (an
 * agent or a contact; NULL: nobody, named nobody): name, firstName, lastName,
 * email (p's email_key) and photoURL (null). */
static void set_person(cJSON *o, const cJSON *p, const char *email_key, const char *nobody)
{
    char name[256];
    full_name(p, name, sizeof name);
    dm_json_set_str(o, "name", p ? name : nobody);
    dm_json_set_str(o, "firstName", p ? dm_json_str(p, "firstName") : NULL);
    dm_json_set_str(o, "lastName", p ? dm_json_str(p, "lastName") : NULL);
    dm_json_set_str(o, "email", p ? dm_json_str(p, email_key) : NULL);
    dm_json_set_str(o, "photoURL", NULL);
}

void dm_shape_summary(const char *content, char *out, size_t outlen)
{
    size_t n = 0;
    int in_tag = 0, space = 1;
    for (const char *p = content ? content : ""; *p && n + 1 < outlen && n < 100; p++) {
        if (*p == '<') in_tag = 1;
        else if (*p == '>' && in_tag) in_tag = 0;
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
    while (n && ((unsigned char)out[n - 1] & 0xC0) == 0x80) n--;
    if (n && ((unsigned char)out[n - 1] & 0xC0) == 0xC0) n--;
    while (n && out[n - 1] == ' ') n--;
    out[n] = '\0';
}

cJSON *dm_shape_department(const cJSON *in, int64_t now)
{
    cJSON *d = cJSON_CreateObject();
    copy_or(d, in, "id", NULL);
    copy_or(d, in, "name", NULL);
    copy_or(d, in, "description", NULL);
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(in, "isDefault");
    dm_json_set_bool(d, "isDefault", cJSON_IsTrue(def));
    dm_json_set_bool(d, "isEnabled", 1);
    dm_json_set_str(d, "creatorId", NULL);
    set_time(d, "createdTime", now);
    dm_json_set_bool(d, "hasLogo", 0);
    copy_or(d, in, "nameInCustomerPortal", dm_json_str(in, "name"));
    dm_json_set_bool(d, "isVisibleInCustomerPortal", 1);
    dm_json_set_bool(d, "isAssignToTeamEnabled", 0);
    dm_json_set_str(d, "chatStatus", "NOT_CREATED");
    return d;
}

cJSON *dm_shape_agent(const cJSON *in)
{
    cJSON *a = cJSON_CreateObject();
    char name[256];
    full_name(in, name, sizeof name);
    copy_or(a, in, "id", NULL);
    copy_or(a, in, "firstName", NULL);
    copy_or(a, in, "lastName", NULL);
    dm_json_set_str(a, "name", name);
    copy_or(a, in, "emailId", NULL);
    copy_or(a, in, "phone", NULL);
    copy_or(a, in, "mobile", NULL);
    dm_json_set_str(a, "status", "ACTIVE");
    const char *role = dm_json_str(in, "role");
    dm_json_set_str(a, "roleName", role && strcmp(role, "admin") == 0 ? "CEO" : "Agent");
    dm_json_set_str(a, "profileName",
                    role && strcmp(role, "admin") == 0 ? "Administrator" : "Support Agent");
    dm_json_set_bool(a, "isConfirmed", 1);
    copy_or(a, in, "zuid", NULL);
    copy_or(a, in, "photoURL", NULL);
    dm_json_set_str(a, "langCode", "en_US");
    dm_json_set_str(a, "timeZone", "Etc/UTC");
    const cJSON *deps = cJSON_GetObjectItemCaseSensitive(in, "departmentIds");
    dm_json_set(a, "associatedDepartmentIds",
                deps ? cJSON_Duplicate(deps, 1) : cJSON_CreateArray());
    return a;
}

cJSON *dm_shape_contact(dm_store *s, const cJSON *in, const char *id, int64_t now)
{
    (void)s;
    cJSON *c = cJSON_CreateObject();
    dm_json_set_str(c, "id", id);
    copy_or(c, in, "firstName", NULL);
    copy_or(c, in, "lastName", NULL);
    copy_or(c, in, "email", NULL);
    copy_or(c, in, "secondaryEmail", NULL);
    copy_or(c, in, "phone", NULL);
    copy_or(c, in, "mobile", NULL);
    copy_or(c, in, "type", NULL);
    copy_or(c, in, "title", NULL);
    copy_or(c, in, "description", NULL);
    dm_json_set_bool(c, "isSpam", 0);
    dm_json_set_bool(c, "isAnonymous", 0);
    copy_or(c, in, "accountId", NULL);
    dm_json_set_str(c, "account", NULL);
    dm_json_set_str(c, "ownerId", NULL);
    set_time(c, "createdTime", now);
    set_time(c, "modifiedTime", now);
    const cJSON *cf = cJSON_GetObjectItemCaseSensitive(in, "cf");
    dm_json_set(c, "cf", cf ? cJSON_Duplicate(cf, 1) : cJSON_CreateObject());
    char url[256];
    snprintf(url, sizeof url, "https://desk.zoho.com/support/%s/ShowHomePage.do#Contacts/dv/%s",
             s->portal, id);
    dm_json_set_str(c, "webUrl", url);
    return c;
}

/* The short forms Desk embeds inside a ticket: a new object with in's keys
 * (NULL-terminated), each as copy_or copies it. */
static cJSON *copy_keys(const cJSON *in, const char *const *keys)
{
    cJSON *e = cJSON_CreateObject();
    for (; *keys; keys++) copy_or(e, in, *keys, NULL);
    return e;
}

static cJSON *embed_contact(const cJSON *c)
{
    static const char *const keys[] = {"id",     "firstName", "lastName", "email",
                                       "phone",  "mobile",    "type",     NULL};
    if (!c) return cJSON_CreateNull();
    cJSON *e = copy_keys(c, keys);
    dm_json_set_bool(e, "isSpam", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "isSpam")));
    dm_json_set_str(e, "account", NULL);
    return e;
}

static cJSON *embed_agent(const cJSON *a)
{
    static const char *const keys[] = {"id", "firstName", "lastName", NULL};
    if (!a) return cJSON_CreateNull();
    cJSON *e = copy_keys(a, keys);
    dm_json_set_str(e, "email", dm_json_str(a, "emailId"));
    copy_or(e, a, "photoURL", NULL);
    return e;
}

static cJSON *embed_department(const cJSON *d)
{
    static const char *const keys[] = {"id", "name", NULL};
    return d ? copy_keys(d, keys) : cJSON_CreateNull();
}

static const char *status_type(const char *status)
{
    if (!status) return "Open";
    if (strcmp(status, "Closed") == 0) return "Closed";
    if (strcmp(status, "On Hold") == 0) return "On Hold";
    return "Open";
}

void dm_shape_ticket_derive(dm_store *s, cJSON *t, const cJSON *before, int64_t now)
{
    const cJSON *dep = dm_store_department(s, dm_json_str(t, "departmentId"));
    const cJSON *con = dm_store_contact(s, dm_json_str(t, "contactId"));
    const cJSON *asg = dm_store_agent(s, dm_json_str(t, "assigneeId"));
    dm_json_set(t, "department", embed_department(dep));
    dm_json_set(t, "contact", embed_contact(con));
    dm_json_set(t, "assignee", embed_agent(asg));

    const char *channel = dm_json_str(t, "channel");
    char code[128];
    snprintf(code, sizeof code, "%s", channel ? channel : "");
    for (char *p = code; *p; p++) *p = *p == ' ' ? '_' : (char)toupper((unsigned char)*p);
    dm_json_set_str(t, "channelCode", channel ? code : NULL);

    const char *status = dm_json_str(t, "status");
    const char *old = before ? dm_json_str(before, "status") : NULL;
    dm_json_set_str(t, "statusType", status_type(status));
    dm_json_set_bool(t, "isEscalated", status && strcmp(status, "Escalated") == 0);
    int changed = !old || !status || strcmp(old, status) != 0;
    if (changed) {
        const char *type = status_type(status);
        if (strcmp(type, "Closed") == 0) set_time(t, "closedTime", now);
        else dm_json_set_str(t, "closedTime", NULL);
        if (strcmp(type, "On Hold") == 0) set_time(t, "onholdTime", now);
        else dm_json_set_str(t, "onholdTime", NULL);
    }

    /* customFields mirrors cf, keyed by the name without its cf_ prefix. */
    const cJSON *cf = cJSON_GetObjectItemCaseSensitive(t, "cf");
    cJSON *custom = cJSON_CreateObject();
    const cJSON *f;
    cJSON_ArrayForEach(f, cf) {
        const char *k = f->string;
        cJSON_AddItemToObject(custom, strncmp(k, "cf_", 3) == 0 ? k + 3 : k,
                              cJSON_Duplicate(f, 1));
    }
    dm_json_set(t, "customFields", custom);
}

cJSON *dm_shape_ticket(dm_store *s, const cJSON *in, const char *id, const char *actor_id,
                       int64_t now)
{
    cJSON *t = cJSON_CreateObject();
    char num[32], url[256];
    dm_json_set_str(t, "id", id);
    snprintf(num, sizeof num, "%ld", s->next_ticket_number++);
    dm_json_set_str(t, "ticketNumber", num);
    copy_or(t, in, "subject", NULL);
    copy_or(t, in, "description", NULL);
    copy_or(t, in, "status", "Open");
    dm_json_set_str(t, "statusType", "Open");
    copy_or(t, in, "priority", NULL);
    copy_or(t, in, "channel", "Email");
    dm_json_set_str(t, "channelCode", NULL);
    copy_or(t, in, "classification", NULL);
    copy_or(t, in, "category", NULL);
    copy_or(t, in, "subCategory", NULL);
    copy_or(t, in, "language", "English");
    copy_or(t, in, "departmentId", NULL);
    dm_json_set_str(t, "department", NULL);
    copy_or(t, in, "contactId", NULL);
    dm_json_set_str(t, "contact", NULL);
    const cJSON *con = dm_store_contact(s, dm_json_str(t, "contactId"));
    dm_json_set_str(t, "accountId", NULL);
    copy_or(t, in, "assigneeId", NULL);
    dm_json_set_str(t, "assignee", NULL);
    copy_or(t, in, "teamId", NULL);
    dm_json_set_str(t, "team", NULL);
    copy_or(t, in, "email", con ? dm_json_str(con, "email") : NULL);
    copy_or(t, in, "phone", con ? dm_json_str(con, "phone") : NULL);
    set_time(t, "createdTime", now);
    set_time(t, "modifiedTime", now);
    const char *by = actor_id ? actor_id : dm_json_str(t, "contactId");
    dm_json_set_str(t, "createdBy", by);
    dm_json_set_str(t, "modifiedBy", by);
    dm_json_set_str(t, "closedTime", NULL);
    dm_json_set_str(t, "onholdTime", NULL);
    copy_or(t, in, "dueDate", NULL);
    copy_or(t, in, "responseDueDate", NULL);
    dm_json_set_str(t, "customerResponseTime", dm_json_str(t, "createdTime"));
    static const char *const counts[] = {"threadCount",   "commentCount",   "attachmentCount",
                                         "approvalCount", "taskCount",      "timeEntryCount",
                                         "tagCount",      "followerCount"};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) dm_json_set_count(t, counts[i], 0);
    static const char *const flags[] = {"isSpam",    "isTrashed",         "isArchived",
                                        "isDeleted", "isEscalated",       "isOverDue",
                                        "isResponseOverdue", "isFollowing"};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) dm_json_set_bool(t, flags[i], 0);
    snprintf(url, sizeof url, "https://desk.zoho.com/support/%s/ShowHomePage.do#Cases/dv/%s",
             s->portal, id);
    dm_json_set_str(t, "webUrl", url);
    /* One layout per department; its id is the department's, as Desk's default
     * layouts are per department and the mock has no layout API. */
    copy_or(t, in, "layoutId", dm_json_str(t, "departmentId"));
    cJSON *layout = cJSON_CreateObject();
    dm_json_set_str(layout, "id", dm_json_str(t, "layoutId"));
    dm_json_set_str(layout, "layoutName", "Default Ticket Layout");
    dm_json_set(t, "layoutDetails", layout);
    cJSON *src = cJSON_CreateObject();
    dm_json_set_str(src, "type", "SYSTEM");
    dm_json_set_str(src, "appName", NULL);
    dm_json_set_str(src, "extId", NULL);
    dm_json_set_str(src, "permalink", NULL);
    dm_json_set_str(src, "appPhotoURL", NULL);
    dm_json_set(t, "source", src);
    const cJSON *cf = cJSON_GetObjectItemCaseSensitive(in, "cf");
    dm_json_set(t, "cf", cf ? cJSON_Duplicate(cf, 1) : cJSON_CreateObject());
    dm_json_set(t, "customFields", cJSON_CreateObject());
    copy_or(t, in, "productId", NULL);
    dm_json_set_str(t, "product", NULL);
    dm_json_set_str(t, "slaId", NULL);
    dm_json_set_str(t, "sentiment", NULL);
    copy_or(t, in, "resolution", NULL);
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(in, "secondaryContacts");
    dm_json_set(t, "secondaryContacts", sec ? cJSON_Duplicate(sec, 1) : cJSON_CreateArray());
    dm_json_set(t, "sharedDepartments", cJSON_CreateArray());
    dm_json_set(t, "entitySkills", cJSON_CreateArray());
    dm_json_set_str(t, "channelRelatedInfo", NULL);
    dm_shape_ticket_derive(s, t, NULL, now);
    return t;
}

static cJSON *author_of(dm_store *s, const char *direction, const char *actor_id,
                        const char *ticket_id)
{
    cJSON *a = cJSON_CreateObject();
    if (strcmp(direction, "out") == 0) {
        const cJSON *ag = dm_store_agent(s, actor_id);
        dm_json_set_str(a, "id", ag ? dm_json_str(ag, "id") : NULL);
        set_person(a, ag, "emailId", "System");
        dm_json_set_str(a, "type", "AGENT");
    } else {
        dm_ticket *t = dm_store_ticket(s, ticket_id);
        const cJSON *c = t ? dm_store_contact(s, dm_json_str(t->obj, "contactId")) : NULL;
        dm_json_set_str(a, "id", c ? dm_json_str(c, "id") : NULL);
        set_person(a, c, "email", "");
        dm_json_set_str(a, "type", "END_USER");
    }
    return a;
}

cJSON *dm_shape_thread(dm_store *s, const cJSON *in, const char *id, const char *ticket_id,
                       const char *actor_id, int64_t now)
{
    cJSON *th = cJSON_CreateObject();
    const char *dir = dm_json_str(in, "direction");
    if (!dir) dir = "out";
    dm_ticket *t = dm_store_ticket(s, ticket_id);
    const char *customer = t ? dm_json_str(t->obj, "email") : NULL;
    char support[128];
    snprintf(support, sizeof support, "support@%s.zohodesk.com", s->portal);
    dm_json_set_str(th, "id", id);
    dm_json_set_str(th, "ticketId", ticket_id);
    dm_json_set_str(th, "direction", dir);
    copy_or(th, in, "visibility", "public");
    dm_json_set_bool(th, "isDescriptionThread",
                     cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "isDescriptionThread")));
    copy_or(th, in, "channel", "EMAIL");
    copy_or(th, in, "content", "");
    copy_or(th, in, "contentType", "html");
    char summary[128];
    dm_shape_summary(dm_json_str(in, "content"), summary, sizeof summary);
    dm_json_set_str(th, "summary", summary);
    dm_json_set_str(th, "status", "SUCCESS");
    set_time(th, "createdTime", now);
    int out = strcmp(dir, "out") == 0;
    copy_or(th, in, "fromEmailAddress", out ? support : customer);
    copy_or(th, in, "to", out ? customer : support);
    copy_or(th, in, "cc", NULL);
    copy_or(th, in, "bcc", NULL);
    dm_json_set(th, "author", author_of(s, dir, actor_id, ticket_id));
    dm_json_set_str(th, "responderId", out ? actor_id : NULL);
    dm_json_set_bool(th, "hasAttach", 0);
    dm_json_set_count(th, "attachmentCount", 0);
    dm_json_set_bool(th, "canReply", 1);
    dm_json_set_bool(th, "isForward", 0);
    return th;
}

cJSON *dm_shape_comment(dm_store *s, const cJSON *in, const char *id, const char *ticket_id,
                        const char *actor_id, int64_t now)
{
    cJSON *c = cJSON_CreateObject();
    dm_json_set_str(c, "id", id);
    dm_json_set_str(c, "ticketId", ticket_id);
    copy_or(c, in, "content", "");
    copy_or(c, in, "contentType", "html");
    const cJSON *pub = cJSON_GetObjectItemCaseSensitive(in, "isPublic");
    dm_json_set_bool(c, "isPublic", cJSON_IsTrue(pub));
    dm_json_set_str(c, "commenterId", actor_id);
    const cJSON *ag = dm_store_agent(s, actor_id);
    cJSON *who = cJSON_CreateObject();
    dm_json_set_str(who, "id", actor_id);
    set_person(who, ag, "emailId", "System");
    dm_json_set_str(who, "type", "AGENT");
    dm_json_set_str(who, "roleName", ag ? dm_json_str(ag, "roleName") : NULL);
    dm_json_set(c, "commenter", who);
    set_time(c, "commentedTime", now);
    set_time(c, "modifiedTime", now);
    dm_json_set(c, "attachments", cJSON_CreateArray());
    return c;
}
