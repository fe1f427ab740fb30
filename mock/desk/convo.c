/* convo.c -- a ticket's conversation: threads (GET, and sendReply for
 * outgoing ones) and comments (GET, POST, PATCH, DELETE), validated and built
 * by their schemas. Adding either keeps the ticket's threadCount or
 * commentCount true; the count change alone raises no ticket change. Thread
 * lists leave out content, as Desk's do. */
#include "desk/api.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

static dm_ticket *ticket_or_404(dm_store *store, dm_req *req, dm_resp *resp)
{
    dm_ticket *t = dm_store_ticket(store, req->params[0]);
    if (!t) dm_api_not_found_as(resp, store, "ticket", req->params[0]);
    return t;
}

/* The item of v (a ticket's threads or comments) whose id is the second path
 * parameter; NULL after answering 404 for module. */
static cJSON *item_or_404(dm_store *store, dm_req *req, dm_resp *resp, const dm_vec *v,
                          const char *module)
{
    const char *id = req->params[1];
    for (size_t i = 0; i < v->n; i++) {
        const char *x = dm_json_str(v->items[i], "id");
        if (x && strcmp(x, id) == 0) return v->items[i];
    }
    dm_api_not_found_as(resp, store, module, id);
    return NULL;
}

/* Lists v (a ticket's threads or comments) as the module's list route does. */
static void list(dm_store *store, dm_req *req, dm_resp *resp, const dm_schema *sc, dm_vec *v,
                 const char *omit)
{
    dm_list_query q;
    if (dm_api_list_query(req, resp, store, sc, &q)) return;
    dm_vec rows = {0};
    for (size_t i = 0; i < v->n; i++)
        if (dm_list_query_keeps(&q, v->items[i])) dm_vec_push(&rows, v->items[i]);
    dm_api_list_rows(resp, &q, &rows, omit);
    dm_vec_free(&rows);
}

/* ==== Threads ==== */

void dm_h_threads(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    dm_ticket *t = ticket_or_404(store, req, resp);
    if (t) list(store, req, resp, &dm_thread_schema, &t->threads, "content");
}

void dm_h_thread_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    if (dm_api_no_query(req, resp)) return;
    dm_ticket *t = ticket_or_404(store, req, resp);
    cJSON *th = t ? item_or_404(store, req, resp, &t->threads, "thread") : NULL;
    if (th) dm_resp_json(resp, 200, th);
}

void dm_h_send_reply(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    dm_ticket *t = ticket_or_404(store, req, resp);
    if (!t) return;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    dm_schema_check_input(&dm_thread_schema, body, DM_INPUT_CREATE, "", &e);
    const char *ch = dm_json_str(body, "channel");
    if (!e.n && ch && strcmp(ch, "EMAIL") == 0) {
        static const char *const email_required[] = {"to", "fromEmailAddress", NULL};
        dm_api_require(body, email_required, &e);
    }
    if (cJSON_GetObjectItemCaseSensitive(body, "attachmentIds"))
        dm_field_errs_add(&e, "/attachmentIds", "invalid",
                          "attach files to the ticket (POST /api/v1/tickets/{id}/attachments)");
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

/* sendReply's contentType (html, plainText) as a thread holds it. */
static const char *thread_content_type(const dm_store *store, const char *given)
{
    if (given && strcmp(given, "plainText") == 0) return "text/plain";
    return store->opts.thread_content_type;
}

cJSON *dm_desk_new_thread(dm_store *store, const char *actor, dm_ticket *t, const cJSON *in)
{
    char id[DM_ID_MAX];
    dm_store_new_id(store, id);
    cJSON *th = dm_schema_new_object(&dm_thread_schema, in, 0);
    dm_json_set_str(th, "id", id);
    dm_json_set_str(th, "ticketId", dm_json_str(t->obj, "id"));
    dm_json_set_str(th, "direction", dm_json_str(in, "direction"));
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(in, "isDescriptionThread");
    if (cJSON_IsBool(desc)) dm_json_set(th, "isDescriptionThread", cJSON_Duplicate(desc, 1));
    dm_json_set_str(th, "contentType", thread_content_type(store, dm_json_str(in, "contentType")));
    dm_derive(store, &dm_thread_schema, th, NULL, actor, dm_clock_now(store->clock));
    return th;
}

const cJSON *dm_desk_add_thread(dm_store *store, dm_call *call, dm_ticket *t, const cJSON *in)
{
    const char *dir = dm_json_str(in, "direction");
    int out = !dir || strcmp(dir, "out") == 0;
    cJSON *th = dm_desk_new_thread(store, out ? call->origin.actor_id : NULL, t, in);
    const char *id = dm_json_str(th, "id");
    dm_vec_push(&t->threads, th);
    dm_map_put(store->threads_by_id, id, th);
    dm_json_set_count(t->obj, "threadCount", (long long)t->threads.n);
    dm_store_emit(store, "thread", "create", id, dm_json_str(t->obj, "id"), NULL, th,
                  &call->origin);
    return th;
}

/* ==== Comments ==== */

void dm_h_comments(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    dm_ticket *t = ticket_or_404(store, req, resp);
    if (t) list(store, req, resp, &dm_comment_schema, &t->comments, NULL);
}

void dm_h_comment_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_store *store = self;
    if (dm_api_no_query(req, resp)) return;
    dm_ticket *t = ticket_or_404(store, req, resp);
    cJSON *c = t ? item_or_404(store, req, resp, &t->comments, "comment") : NULL;
    if (c) dm_resp_json(resp, 200, c);
}

/* Validates a comment body; on errors writes 422, frees body, returns NULL. */
static cJSON *comment_body(dm_req *req, dm_resp *resp, int mode)
{
    cJSON *body = dm_api_body(req, resp);
    if (!body) return NULL;
    dm_field_errs e = {0};
    dm_schema_check_input(&dm_comment_schema, body, mode, "", &e);
    if (cJSON_GetObjectItemCaseSensitive(body, "attachmentIds"))
        dm_field_errs_add(&e, "/attachmentIds", "invalid",
                          "attach files to the ticket (POST /api/v1/tickets/{id}/attachments)");
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
    cJSON *body = comment_body(req, resp, DM_INPUT_CREATE);
    if (!body) return;
    char id[DM_ID_MAX];
    dm_store_new_id(store, id);
    const char *tid = dm_json_str(t->obj, "id");
    cJSON *c = dm_schema_new_object(&dm_comment_schema, body, 0);
    cJSON_Delete(body);
    dm_json_set_str(c, "id", id);
    dm_json_set_str(c, "ticketId", tid);
    dm_derive(store, &dm_comment_schema, c, NULL, call->origin.actor_id,
              dm_clock_now(store->clock));
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
    cJSON *c = t ? item_or_404(store, req, resp, &t->comments, "comment") : NULL;
    if (!c) return;
    cJSON *body = comment_body(req, resp, DM_INPUT_UPDATE);
    if (!body) return;
    dm_store_update(store, &dm_comment_schema, c, body, &call->origin);
    cJSON_Delete(body);
    dm_resp_json(resp, 200, c);
}

/* DELETE a comment: gone from the ticket; Desk has no event for it. */
void dm_h_comment_delete(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_store *store = self;
    dm_ticket *t = ticket_or_404(store, req, resp);
    cJSON *c = t ? item_or_404(store, req, resp, &t->comments, "comment") : NULL;
    if (!c) return;
    char id[DM_ID_MAX];
    snprintf(id, sizeof id, "%s", dm_json_str(c, "id"));
    dm_map_del(store->comments_by_id, id);
    dm_vec_remove(&t->comments, c);
    dm_json_set_count(t->obj, "commentCount", (long long)t->comments.n);
    dm_store_emit(store, "comment", "delete", id, dm_json_str(t->obj, "id"), c, NULL,
                  &call->origin);
    cJSON_Delete(c);
    resp->status = 204;
}
