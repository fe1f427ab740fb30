/* convo.c -- a ticket's conversation: threads (GET, and sendReply for
 * outgoing ones) and comments (GET, POST, PATCH). Adding either keeps the
 * ticket's threadCount/commentCount true; the count change alone raises no
 * ticket change. Thread lists leave out content, as Desk's do. */
#include "desk/api.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

static const char *const content_types[] = {"html", "plainText", NULL};
static const char *const channels[] = {"EMAIL", "FORUMS", "TWITTER", "FACEBOOK", "CHAT",
                                       "WEB", "PHONE", "CUSTOMERPORTAL", NULL};

static dm_ticket *ticket_or_404(dm_store *store, dm_req *req, dm_resp *resp)
{
    return dm_api_found(resp, dm_store_ticket(store, req->params[0]), "ticket",
                        req->params[0]);
}

/* The item of v (a ticket's threads or comments) whose id is the second path
 * parameter; NULL after answering 404 for the what. */
static cJSON *item_or_404(dm_req *req, dm_resp *resp, const dm_vec *v, const char *what)
{
    const char *id = req->params[1];
    cJSON *found = NULL;
    for (size_t i = 0; i < v->n && !found; i++) {
        const char *x = dm_json_str(v->items[i], "id");
        if (x && strcmp(x, id) == 0) found = v->items[i];
    }
    return dm_api_found(resp, found, what, id);
}

/* ==== Threads ==== */

void dm_h_threads(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    dm_ticket *t = ticket_or_404(store, req, resp);
    size_t from, limit;
    if (!t || dm_api_paging(req, resp, 200, 100, &from, &limit)) return;
    dm_api_list(resp, &t->threads, from, limit, "content");
}

void dm_h_thread_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    dm_ticket *t = ticket_or_404(store, req, resp);
    cJSON *th = t ? item_or_404(req, resp, &t->threads, "thread") : NULL;
    if (th) dm_resp_json(resp, 200, th);
}

void dm_h_send_reply(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    static const dm_field_spec fields[] = {
        {"channel", DM_F_ENUM, 0, 0, channels},
        {"to", DM_F_STR, 0, 1000, NULL},
        {"cc", DM_F_STR, 1, 1000, NULL},
        {"bcc", DM_F_STR, 1, 1000, NULL},
        {"fromEmailAddress", DM_F_EMAIL, 0, 0, NULL},
        {"content", DM_F_STR, 0, 65535, NULL},
        {"contentType", DM_F_ENUM, 0, 0, content_types},
        {"isForward", DM_F_BOOL, 0, 0, NULL},
        {"attachmentIds", DM_F_IDS, 0, 0, NULL},
    };
    static const char *const required[] = {"channel", "content", NULL};
    dm_ticket *t = ticket_or_404(store, req, resp);
    if (!t) return;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    dm_api_validate(body, fields, sizeof fields / sizeof fields[0], &e);
    dm_api_require(body, required, &e);
    const char *ch = dm_json_str(body, "channel");
    if (!e.n && ch && strcmp(ch, "EMAIL") == 0) {
        static const char *const email_required[] = {"to", "fromEmailAddress", NULL};
        dm_api_require(body, email_required, &e);
    }
    if (cJSON_GetObjectItemCaseSensitive(body, "attachmentIds"))
        dm_field_errs_add(&e, "/attachmentIds", "invalid", "this mock keeps no attachments");
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return;
    }
    dm_json_set_str(body, "direction", "out");
    const cJSON *th = dm_desk_add_thread(store, call, t, body);
    cJSON_Delete(body);
    dm_resp_json(resp, 200, th);
}

const cJSON *dm_desk_add_thread(dm_store *store, dm_call *call, dm_ticket *t, const cJSON *in)
{
    char id[DM_ID_MAX];
    dm_store_new_id(store, id);
    const char *tid = dm_json_str(t->obj, "id");
    const char *dir = dm_json_str(in, "direction");
    int out = !dir || strcmp(dir, "out") == 0;
    cJSON *th = dm_shape_thread(store, in, id, tid, out ? call->origin.actor_id : NULL,
                                dm_clock_now(store->clock));
    dm_vec_push(&t->threads, th);
    dm_map_put(store->threads_by_id, id, th);
    dm_json_set_count(t->obj, "threadCount", (long long)t->threads.n);
    dm_store_emit(store, "thread", "create", id, tid, NULL, th, &call->origin);
    return th;
}

/* ==== Comments ==== */

static const dm_field_spec comment_fields[] = {
    {"content", DM_F_STR, 0, 65535, NULL},
    {"contentType", DM_F_ENUM, 0, 0, content_types},
    {"isPublic", DM_F_BOOL, 0, 0, NULL},
    {"attachmentIds", DM_F_IDS, 0, 0, NULL},
};
#define NCOMMENT (sizeof comment_fields / sizeof comment_fields[0])

void dm_h_comments(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    dm_ticket *t = ticket_or_404(store, req, resp);
    size_t from, limit;
    if (!t || dm_api_paging(req, resp, 100, 100, &from, &limit)) return;
    dm_api_list(resp, &t->comments, from, limit, NULL);
}

void dm_h_comment_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    dm_ticket *t = ticket_or_404(store, req, resp);
    cJSON *c = t ? item_or_404(req, resp, &t->comments, "comment") : NULL;
    if (c) dm_resp_json(resp, 200, c);
}

/* Validates a comment body; on errors writes 422, frees body, returns NULL. */
static cJSON *comment_body(dm_req *req, dm_resp *resp, int create)
{
    cJSON *body = dm_api_body(req, resp);
    if (!body) return NULL;
    dm_field_errs e = {0};
    static const char *const required[] = {"content", NULL};
    dm_api_validate(body, comment_fields, NCOMMENT, &e);
    if (create) dm_api_require(body, required, &e);
    if (cJSON_GetObjectItemCaseSensitive(body, "attachmentIds"))
        dm_field_errs_add(&e, "/attachmentIds", "invalid", "this mock keeps no attachments");
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return NULL;
    }
    return body;
}

void dm_h_comment_create(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    dm_ticket *t = ticket_or_404(store, req, resp);
    if (!t) return;
    cJSON *body = comment_body(req, resp, 1);
    if (!body) return;
    char id[DM_ID_MAX];
    dm_store_new_id(store, id);
    const char *tid = dm_json_str(t->obj, "id");
    cJSON *c = dm_shape_comment(store, body, id, tid, call->origin.actor_id,
                                dm_clock_now(store->clock));
    cJSON_Delete(body);
    dm_vec_push(&t->comments, c);
    dm_map_put(store->comments_by_id, id, c);
    dm_json_set_count(t->obj, "commentCount", (long long)t->comments.n);
    dm_store_emit(store, "comment", "create", id, tid, NULL, c, &call->origin);
    dm_resp_json(resp, 200, c);
}

void dm_h_comment_update(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    dm_ticket *t = ticket_or_404(store, req, resp);
    cJSON *c = t ? item_or_404(req, resp, &t->comments, "comment") : NULL;
    if (!c) return;
    cJSON *body = comment_body(req, resp, 0);
    if (!body) return;
    cJSON *before = cJSON_Duplicate(c, 1);
    const cJSON *v;
    cJSON_ArrayForEach(v, body) dm_json_set(c, v->string, cJSON_Duplicate(v, 1));
    cJSON_Delete(body);
    if (!cJSON_Compare(before, c, 1)) {
        char iso[DM_ISO_LEN];
        dm_iso_time(dm_clock_now(store->clock), iso);
        dm_json_set_str(c, "modifiedTime", iso);
        dm_store_emit(store, "comment", "update", dm_json_str(c, "id"),
                      dm_json_str(t->obj, "id"), before, c, &call->origin);
    }
    cJSON_Delete(before);
    dm_resp_json(resp, 200, c);
}
