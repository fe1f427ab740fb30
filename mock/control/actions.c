/* actions.c -- POST /mock/v1/actions/{name}: the changes to a Desk org that
 * no API user can make, made the way Desk makes them (a customer's email, an
 * agent going offline, a reader's feedback, a message on WhatsApp), so each
 * changes state and raises its event exactly as on a portal. The Desk API
 * makes everything else; trigger.c uses both. */
#include "control/internal.h"
#include "desk/api.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Epoch milliseconds as a string, as Desk's IM events carry times. */
static void set_epoch(cJSON *o, const char *key, int64_t ms)
{
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)ms);
    dm_json_set_str(o, key, v);
}

static const cJSON *first_of(const dm_store *s, const char *module)
{
    const dm_coll *c = dm_store_coll(s, module);
    return c && c->items.n ? c->items.items[0] : NULL;
}

/* The object of module named by in[key], or its first; NULL with an error
 * added to e when there is none. */
static cJSON *named(dm_control *c, const cJSON *in, const char *key, const char *module,
                    int use_first, dm_field_errs *e)
{
    const char *id = dm_json_str(in, key);
    dm_coll *coll = dm_store_coll(c->d.store, module);
    cJSON *o = id ? dm_map_get(coll->by_id, id) : NULL;
    if (!id && use_first && coll->items.n) o = coll->items.items[coll->items.n - 1];
    char ptr[80];
    snprintf(ptr, sizeof ptr, "/%s", key);
    if (!o && id)
        dm_field_errs_add(e, ptr, "invalid", "no %s with id %.40s", module, id);
    else if (!o)
        dm_field_errs_add(e, ptr, "missing", "name the %s", module);
    return o;
}

/* Every key of in must be one of keys; else an error each. */
static void only(const cJSON *in, const char *const *keys, dm_field_errs *e)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, in) {
        int ok = 0;
        for (const char *const *k = keys; *k; k++)
            ok |= strcmp(*k, v->string) == 0;
        if (ok) continue;
        char ptr[160];
        dm_json_pointer(ptr, sizeof ptr, "", v->string, 100);
        dm_field_errs_add(e, ptr, "invalid", "unknown field for this action");
    }
}

static int str_or_absent(const cJSON *in, const char *key, dm_field_errs *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    if (!v || cJSON_IsString(v)) return 1;
    char ptr[80];
    snprintf(ptr, sizeof ptr, "/%s", key);
    dm_field_errs_add(e, ptr, "invalid", "expected a string");
    return 0;
}

/* ==== Email ==== */

/* email {subject, content, contactId?, departmentId?}: a customer's email
 * makes a ticket (channel Email) whose first thread is the email; its
 * Ticket_Add carries that thread as firstThread. With ticketId, the email
 * is a reply on that ticket: a thread in (Ticket_Thread_Add). */
static void email(dm_control *c, dm_call *call, const cJSON *in, dm_field_errs *e, dm_resp *out)
{
    static const char *const keys[] = {"subject",  "content", "contactId", "departmentId",
                                       "ticketId", "channel", NULL};
    only(in, keys, e);
    for (const char *const *k = keys; *k; k++)
        str_or_absent(in, *k, e);
    dm_store *s = c->d.store;
    const char *content = dm_json_str(in, "content");
    const char *tid = dm_json_str(in, "ticketId");
    dm_ticket *t = tid ? dm_store_ticket(s, tid) : NULL;
    if (tid && !t) dm_field_errs_add(e, "/ticketId", "invalid", "no ticket with id %.40s", tid);
    if (e->n) return;
    cJSON *th_in = cJSON_CreateObject();
    dm_json_set_str(th_in, "direction", "in");
    dm_json_set_str(th_in, "channel", "EMAIL");
    dm_json_set_str(th_in, "content", content ? content : "<div>Hello, I need help.</div>");
    if (t) {
        const cJSON *th = dm_desk_add_thread(s, call, t, th_in);
        dm_resp_json(out, 200, th);
        cJSON_Delete(th_in);
        return;
    }
    cJSON *tk = cJSON_CreateObject();
    const char *subject = dm_json_str(in, "subject");
    dm_json_set_str(tk, "subject", subject ? subject : "Help needed");
    const cJSON *dep = dm_json_str(in, "departmentId") ? NULL : first_of(s, "department");
    dm_json_set_str(tk, "departmentId",
                    dep ? dm_json_str(dep, "id") : dm_json_str(in, "departmentId"));
    const cJSON *con = dm_json_str(in, "contactId") ? NULL : first_of(s, "contact");
    dm_json_set_str(tk, "contactId", con ? dm_json_str(con, "id") : dm_json_str(in, "contactId"));
    dm_json_set_str(tk, "channel", "Email");
    dm_json_set(tk, "description",
                cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(th_in, "content"), 1));
    dm_api_check_refs(s, &dm_ticket_schema, tk, e);
    if (e->n) {
        cJSON_Delete(tk);
        cJSON_Delete(th_in);
        return;
    }
    /* the ticket with its email as the description thread, announced once:
     * Ticket_Add carries the thread as firstThread, no Ticket_Thread_Add */
    dm_ticket *made = dm_desk_make_ticket(s, call, tk, 0);
    dm_json_set_bool(th_in, "isDescriptionThread", 1);
    cJSON *th = dm_desk_new_thread(s, NULL, made, th_in);
    dm_vec_push(&made->threads, th);
    dm_map_put(s->threads_by_id, dm_json_str(th, "id"), th);
    dm_json_set_count(made->obj, "threadCount", 1);
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddItemToObject(extra, "firstThread", cJSON_Duplicate(th, 1));
    dm_desk_announce_ticket(s, call, made, extra);
    cJSON_Delete(extra);
    cJSON_Delete(tk);
    cJSON_Delete(th_in);
    dm_resp_json(out, 200, made->obj);
}

/* ==== Agents ==== */

/* agent-presence {agentId, status, channels?}: the agent goes online,
 * offline, away or busy (Agent_Presence_Update). */
static void agent_presence(dm_control *c, dm_call *call, const cJSON *in, dm_field_errs *e,
                           dm_resp *out)
{
    static const char *const keys[] = {"agentId", "status", "channels", NULL};
    only(in, keys, e);
    dm_coll *pres = dm_store_coll(c->d.store, "agentPresence");
    cJSON *agent = named(c, in, "agentId", "agent", 1, e);
    cJSON *p = agent ? dm_map_get(pres->by_id, dm_json_str(agent, "id")) : NULL;
    cJSON *set = cJSON_CreateObject();
    const char *status = dm_json_str(in, "status");
    if (!status && p)
        status = strcmp(dm_json_str(p, "status"), "ONLINE") == 0 ? "OFFLINE" : "ONLINE";
    if (status) {
        dm_json_set_str(set, "status", status);
        cJSON *ch = cJSON_CreateObject();
        static const char *const channels[] = {"EMAIL", "CHAT", "PHONE"};
        for (size_t i = 0; i < 3; i++)
            dm_json_set_str(ch, channels[i], status);
        dm_json_set(set, "channels", ch);
    }
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(in, "channels");
    if (given) dm_json_set(set, "channels", cJSON_Duplicate(given, 1));
    if (!e->n) dm_schema_check_input(pres->schema, set, DM_INPUT_UPDATE, "", e);
    if (!e->n && p) {
        dm_coll_update(c->d.store, pres, p, set, &call->origin);
        dm_resp_json(out, 200, p);
    }
    cJSON_Delete(set);
}

/* agent-channel-preference {agentId, channelPreferences}: which channels the
 * agent takes work from (Agent_Channel_Preference_Update). */
static void agent_channels(dm_control *c, dm_call *call, const cJSON *in, dm_field_errs *e,
                           dm_resp *out)
{
    static const char *const keys[] = {"agentId", "channelPreferences", NULL};
    only(in, keys, e);
    dm_coll *prefs = dm_store_coll(c->d.store, "agentChannelPreference");
    cJSON *agent = named(c, in, "agentId", "agent", 1, e);
    cJSON *p = agent ? dm_map_get(prefs->by_id, dm_json_str(agent, "id")) : NULL;
    cJSON *set = cJSON_CreateObject();
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(in, "channelPreferences");
    if (given) {
        dm_json_set(set, "channelPreferences", cJSON_Duplicate(given, 1));
    } else if (p) {
        /* no choice given: chat flips */
        cJSON *now = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(p, "channelPreferences"), 1);
        dm_json_set_bool(now, "CHAT", !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(now, "CHAT")));
        dm_json_set(set, "channelPreferences", now);
    }
    if (!e->n) dm_schema_check_input(prefs->schema, set, DM_INPUT_UPDATE, "", e);
    if (!e->n && p) {
        dm_coll_update(c->d.store, prefs, p, set, &call->origin);
        dm_resp_json(out, 200, p);
    }
    cJSON_Delete(set);
}

/* ==== Knowledge base ==== */

/* article-feedback {articleId, feedback, contactId?, email?}: a reader of
 * the help centre says what was missing (Article_Feedback_Add). */
static void article_feedback(dm_control *c, dm_call *call, const cJSON *in, dm_field_errs *e,
                             dm_resp *out)
{
    static const char *const keys[] = {"articleId", "feedback", "contactId",
                                       "email",     "locale",   NULL};
    only(in, keys, e);
    dm_store *s = c->d.store;
    cJSON *article = named(c, in, "articleId", "article", 1, e);
    dm_coll *fb = dm_store_coll(s, "articleFeedback");
    cJSON *body = cJSON_Duplicate(in, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(body, "articleId");
    if (!dm_json_str(body, "feedback"))
        dm_json_set_str(body, "feedback", "This did not answer my question.");
    const cJSON *con = dm_store_contact(s, dm_json_str(in, "contactId"));
    if (!dm_json_str(in, "contactId") && !dm_json_str(in, "email")) {
        con = first_of(s, "contact");
        if (con) dm_json_set_str(body, "contactId", dm_json_str(con, "id"));
    }
    if (!e->n) dm_schema_check_input(fb->schema, body, DM_INPUT_CREATE, "", e);
    if (!e->n) dm_api_check_refs(s, fb->schema, body, e);
    if (!e->n && article) {
        dm_json_set_str(body, "articleId", dm_json_str(article, "id"));
        if (con && !dm_json_str(body, "email"))
            dm_json_set_str(body, "email", dm_json_str(con, "email"));
        cJSON *f = dm_coll_create(s, fb, body, NULL, NULL, &call->origin, 1);
        if (con) {
            char name[256];
            snprintf(name, sizeof name, "%s%s%s",
                     dm_json_str(con, "firstName") ? dm_json_str(con, "firstName") : "",
                     dm_json_str(con, "firstName") ? " " : "", dm_json_str(con, "lastName"));
            dm_json_set_str(f, "contactName", name);
        }
        dm_json_set_count(article, "feedbackCount",
                          atoll(dm_json_str(article, "feedbackCount")
                                    ? dm_json_str(article, "feedbackCount")
                                    : "0") +
                              1);
        dm_resp_json(out, 200, f);
    }
    cJSON_Delete(body);
}

/* ==== Instant messaging ==== */

/* A new IM session for the first contact, in the default department. */
static cJSON *new_session(dm_control *c, dm_call *call, const cJSON *in, dm_field_errs *e)
{
    dm_store *s = c->d.store;
    dm_coll *sessions = dm_store_coll(s, "imSession");
    cJSON *body = cJSON_CreateObject();
    const cJSON *dep = first_of(s, "department"), *con = first_of(s, "contact");
    const char *d = dm_json_str(in, "departmentId"), *k = dm_json_str(in, "contactId");
    dm_json_set_str(body, "departmentId", d ? d : dep ? dm_json_str(dep, "id") : NULL);
    dm_json_set_str(body, "contactId", k ? k : con ? dm_json_str(con, "id") : NULL);
    const char *integ = dm_json_str(in, "integration");
    if (integ) dm_json_set_str(body, "integration", integ);
    dm_schema_check_input(sessions->schema, body, DM_INPUT_CREATE, "", e);
    if (!e->n) dm_api_check_refs(s, sessions->schema, body, e);
    cJSON *sess = NULL;
    if (!e->n) {
        /* the session itself raises nothing until its status changes */
        sess = dm_coll_create(s, sessions, body, NULL, NULL, &call->origin, 1);
        char channel[DM_ID_MAX];
        dm_store_new_id(s, channel);
        dm_json_set_str(sess, "channelId", channel);
        set_epoch(sess, "modifiedTime", dm_clock_now(s->clock));
    }
    cJSON_Delete(body);
    return sess;
}

/* im-session-status {sessionId, status}: a session opens, waits or ends
 * (IM_Session_Status). Without sessionId, a new session. */
static void im_session_status(dm_control *c, dm_call *call, const cJSON *in, dm_field_errs *e,
                              dm_resp *out)
{
    static const char *const keys[] = {"sessionId", "status",      "departmentId",
                                       "contactId", "integration", NULL};
    only(in, keys, e);
    dm_store *s = c->d.store;
    dm_coll *sessions = dm_store_coll(s, "imSession");
    cJSON *sess = dm_json_str(in, "sessionId") ? named(c, in, "sessionId", "imSession", 0, e)
                                               : new_session(c, call, in, e);
    if (e->n || !sess) return;
    const char *status = dm_json_str(in, "status");
    cJSON *set = cJSON_CreateObject();
    dm_json_set_str(set, "status",
                    status                                             ? status
                    : strcmp(dm_json_str(sess, "status"), "OPEN") == 0 ? "ON_HOLD"
                                                                       : "OPEN");
    dm_json_set_str(set, "previousStatus", dm_json_str(sess, "status"));
    set_epoch(set, "modifiedTime", dm_clock_now(s->clock));
    cJSON *check = cJSON_CreateObject();
    dm_json_set(check, "status",
                cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(set, "status"), 1));
    dm_schema_check_input(sessions->schema, check, DM_INPUT_UPDATE, "", e);
    cJSON_Delete(check);
    if (!e->n) {
        dm_coll_update(s, sessions, sess, set, &call->origin);
        dm_resp_json(out, 200, sess);
    }
    cJSON_Delete(set);
}

/* im-message {sessionId?, text, direction?}: a message arrives or goes out
 * (IM_Message_Add). Without sessionId, in a new session. */
static void im_message(dm_control *c, dm_call *call, const cJSON *in, dm_field_errs *e,
                       dm_resp *out)
{
    static const char *const keys[] = {"sessionId",    "text",      "direction",   "messageType",
                                       "departmentId", "contactId", "integration", NULL};
    only(in, keys, e);
    dm_store *s = c->d.store;
    dm_coll *messages = dm_store_coll(s, "imMessage");
    cJSON *sess = dm_json_str(in, "sessionId") ? named(c, in, "sessionId", "imSession", 0, e)
                                               : new_session(c, call, in, e);
    if (e->n || !sess) return;
    cJSON *body = cJSON_CreateObject();
    const char *text = dm_json_str(in, "text");
    dm_json_set_str(body, "text", text ? text : "Hi, is anyone there?");
    if (dm_json_str(in, "direction"))
        dm_json_set_str(body, "direction", dm_json_str(in, "direction"));
    if (dm_json_str(in, "messageType"))
        dm_json_set_str(body, "messageType", dm_json_str(in, "messageType"));
    dm_schema_check_input(messages->schema, body, DM_INPUT_CREATE, "", e);
    if (!e->n) {
        dm_json_set_str(body, "sessionId", dm_json_str(sess, "id"));
        dm_json_set_str(body, "channelId", dm_json_str(sess, "channelId"));
        dm_json_set_str(body, "integration", dm_json_str(sess, "integration"));
        dm_json_set_str(body, "departmentId", dm_json_str(sess, "departmentId"));
        const cJSON *con = dm_store_contact(s, dm_json_str(sess, "contactId"));
        int in_dir =
            !dm_json_str(body, "direction") || strcmp(dm_json_str(body, "direction"), "IN") == 0;
        cJSON *actor = cJSON_CreateObject();
        dm_json_set_str(actor, "type", in_dir ? "ENDUSER" : "AGENT");
        if (in_dir && con) {
            char name[256];
            snprintf(name, sizeof name, "%s%s%s",
                     dm_json_str(con, "firstName") ? dm_json_str(con, "firstName") : "",
                     dm_json_str(con, "firstName") ? " " : "", dm_json_str(con, "lastName"));
            dm_json_set_str(actor, "name", name);
            dm_json_set_str(actor, "contactId", dm_json_str(con, "id"));
        } else if (!in_dir) {
            const cJSON *ag = dm_store_agent(
                s, call->origin.actor_id ? call->origin.actor_id : dm_json_str(sess, "assigneeId"));
            dm_json_set_str(actor, "name", ag ? dm_json_str(ag, "name") : "System");
            dm_json_set_str(actor, "agentId", ag ? dm_json_str(ag, "id") : NULL);
        }
        dm_json_set(body, "actor", actor);
        set_epoch(body, "createdTime", dm_clock_now(s->clock));
        cJSON *m = dm_coll_create(s, messages, body, NULL, NULL, &call->origin, 1);
        dm_resp_json(out, 200, m);
    }
    cJSON_Delete(body);
}

/* im-message-status {messageId, status}: a message was delivered or read
 * (IM_Message_Status). */
static void im_message_status(dm_control *c, dm_call *call, const cJSON *in, dm_field_errs *e,
                              dm_resp *out)
{
    static const char *const keys[] = {"messageId", "status", NULL};
    only(in, keys, e);
    dm_store *s = c->d.store;
    dm_coll *messages = dm_store_coll(s, "imMessage");
    cJSON *m = named(c, in, "messageId", "imMessage", 1, e);
    if (e->n || !m) return;
    cJSON *set = cJSON_CreateObject();
    const char *status = dm_json_str(in, "status");
    dm_json_set_str(set, "status",
                    status                                          ? status
                    : strcmp(dm_json_str(m, "status"), "READ") == 0 ? "DELIVERED"
                                                                    : "READ");
    dm_schema_check_input(messages->schema, set, DM_INPUT_UPDATE, "", e);
    set_epoch(set, "modifiedTime", dm_clock_now(s->clock));
    if (!e->n) {
        dm_coll_update(s, messages, m, set, &call->origin);
        dm_resp_json(out, 200, m);
    }
    cJSON_Delete(set);
}

/* ==== The table ==== */

typedef void (*action_fn)(dm_control *c, dm_call *call, const cJSON *in, dm_field_errs *e,
                          dm_resp *out);

static const struct {
    const char *name;
    action_fn fn;
} actions[] = {
    {"email", email},
    {"agent-presence", agent_presence},
    {"agent-channel-preference", agent_channels},
    {"article-feedback", article_feedback},
    {"im-session-status", im_session_status},
    {"im-message", im_message},
    {"im-message-status", im_message_status},
};

int dm_action_run(dm_control *c, dm_call *call, const char *name, const cJSON *in, dm_resp *out)
{
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        if (strcmp(actions[i].name, name) != 0) continue;
        dm_field_errs e = {0};
        cJSON *empty = NULL;
        if (!in) in = empty = cJSON_CreateObject();
        actions[i].fn(c, call, in, &e, out);
        cJSON_Delete(empty);
        if (e.n) dm_api_invalid(out, &e);
        return 0;
    }
    return -1;
}

void dm_h_action(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_control *c = self;
    cJSON *body = req->body_len ? dm_api_body(req, resp) : cJSON_CreateObject();
    if (!body) return;
    if (dm_action_run(c, call, req->params[0], body, resp) != 0) {
        char msg[300];
        snprintf(msg, sizeof msg,
                 "No action %.60s; the actions are email, agent-presence, "
                 "agent-channel-preference, article-feedback, im-session-status, im-message, "
                 "im-message-status.",
                 req->params[0]);
        dm_resp_error(resp, 404, "URL_NOT_FOUND", msg, NULL);
    }
    cJSON_Delete(body);
}
