/* api.c -- /api/v1/webhooks: list, get, create, update, delete.
 * Creating a webhook, or changing its URL, first sends the URL an unsigned
 * GET that must answer 200; the request waits for it (suspended, the loop
 * keeps running). Extension webhooks are listed, but only their extension's
 * own token may change or delete them. */
#include "net/addr.h"
#include "desk/api.h"
#include "hooks/api.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sources[] = {"AUTOMATION", NULL};

static const dm_field_spec webhook_fields[] = {
    {"name", DM_F_STR, 0, 50, NULL},
    {"url", DM_F_STR, 0, 2048, NULL},
    {"description", DM_F_STR, 1, 500, NULL},
    {"subscriptions", DM_F_OBJ, 0, 0, NULL},
    {"ignoreSourceId", DM_F_STR, 1, 64, NULL},
    {"includeEventsFrom", DM_F_OBJ, 0, 0, NULL}, /* checked below: an array */
    {"isEnabled", DM_F_BOOL, 0, 0, NULL},
};
#define NFIELDS (sizeof webhook_fields / sizeof webhook_fields[0])

static size_t count_enabled(const dm_hooks *h, const dm_webhook *except)
{
    size_t n = 0;
    for (size_t i = 0; i < dm_hooks_count(h); i++) {
        const dm_webhook *w = dm_hooks_at(h, i);
        if (w != except && dm_webhook_enabled(w)) n++;
    }
    return n;
}

/* The portal's limits: at most DM_WEBHOOKS_MAX webhooks (a create: self
 * NULL) and the edition's cap on enabled ones. Checked on arrival and again
 * once the URL check answers, since other writes may have landed meanwhile. */
static void check_limits(dm_hooks *h, const cJSON *body, const dm_webhook *self, dm_field_errs *e)
{
    const cJSON *org = dm_hooks_store(h)->org;
    if (!self && dm_hooks_count(h) >= DM_WEBHOOKS_MAX)
        dm_field_errs_add(e, "", "invalid", "a portal has at most %d webhooks", DM_WEBHOOKS_MAX);
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(body, "isEnabled");
    int enabling = en ? cJSON_IsTrue(en) : !self;
    if (enabling && (!self || !dm_webhook_enabled(self))) {
        int cap = dm_webhooks_enabled_cap(dm_json_str(org, "edition"));
        if (count_enabled(h, self) >= (size_t)cap)
            dm_field_errs_add(e, "/isEnabled", "invalid",
                              "the %s edition allows at most %d enabled webhooks",
                              dm_json_str(org, "edition"), cap);
    }
}

/* Field checks shared by create and update; adds to e. */
static void check_body(dm_hooks *h, cJSON *body, const dm_webhook *self, dm_field_errs *e)
{
    /* includeEventsFrom is an array; validate it apart from the generic table */
    cJSON *from = cJSON_DetachItemFromObjectCaseSensitive(body, "includeEventsFrom");
    dm_api_validate(body, webhook_fields, NFIELDS, e);
    if (from) {
        const cJSON *x;
        int ok = cJSON_IsArray(from);
        cJSON_ArrayForEach(x, from) {
            int known = 0;
            for (const char *const *s = sources; cJSON_IsString(x) && *s; s++)
                known |= strcmp(*s, x->valuestring) == 0;
            ok &= known;
        }
        if (!ok)
            dm_field_errs_add(e, "/includeEventsFrom", "invalid",
                              "expected an array holding only \"AUTOMATION\"");
        cJSON_AddItemToObject(body, "includeEventsFrom", from);
    }
    const char *url = dm_json_str(body, "url");
    char why[128];
    if (url && dm_url_check(url, why, sizeof why))
        dm_field_errs_add(e, "/url", "invalid", "%s", why);
    const char *ign = dm_json_str(body, "ignoreSourceId");
    if (ign && !dm_is_uuid(ign))
        dm_field_errs_add(e, "/ignoreSourceId", "invalid", "expected a UUID");
    const cJSON *subs = cJSON_GetObjectItemCaseSensitive(body, "subscriptions");
    if (subs)
        dm_subscriptions_check(subs, !self || !self->installation_id[0], "/subscriptions",
                               dm_hooks_store(h), e);
    check_limits(h, body, self, e);
}

static void h_webhooks(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_hooks *h = self;
    (void)call;
    (void)req;
    dm_buf *b = &resp->body;
    dm_buf_puts(b, "{\"data\":[");
    for (size_t i = 0; i < dm_hooks_count(h); i++) {
        char *s = dm_json_print(dm_hooks_at(h, i)->obj);
        if (i) dm_buf_putc(b, ',');
        dm_buf_puts(b, s);
        free(s);
    }
    dm_buf_puts(b, "]}");
    resp->status = 200;
}

static dm_webhook *webhook_or_404(dm_hooks *h, dm_req *req, dm_resp *resp)
{
    return dm_api_found(resp, dm_hooks_find(h, req->params[0]), "webhook", req->params[0]);
}

static void h_webhook_get(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    (void)call;
    dm_webhook *w = webhook_or_404(self, req, resp);
    if (w) dm_resp_json(resp, 200, w->obj);
}

/* ==== The URL check, then the write ==== */

typedef struct change {
    cJSON *body;        /* create: the validated body; update: the changes */
    char id[DM_ID_MAX]; /* update: the webhook being changed; "" for a create */
} change;

static void change_free(void *ud)
{
    change *c = ud;
    cJSON_Delete(c->body);
    free(c);
}

static void do_create(dm_hooks *h, dm_call *call, const cJSON *body, dm_resp *resp)
{
    dm_webhook *w = dm_hooks_create(h, body, dm_json_str(body, "url"), call->origin.actor_id, NULL,
                                    call->origin.cause);
    dm_resp_json(resp, 200, w->obj);
}

static void do_update(dm_hooks *h, dm_call *call, const char *id, const cJSON *body, dm_resp *resp)
{
    dm_webhook *w = dm_api_found(resp, dm_hooks_find(h, id), "webhook", id);
    if (!w) return;
    dm_hooks_update(h, w, body, call->origin.cause);
    dm_resp_json(resp, 200, w->obj);
}

/* After the URL check (res NULL: not checked, in-process): the write, when
 * the URL answered 200 and the portal's limits still allow it. */
static void checked(dm_hooks *h, void *ud, const dm_url_probe *res, dm_call *call, dm_resp *resp)
{
    change *c = ud;
    dm_field_errs e = {0};
    if (res && !res->ok) {
        dm_buf why = {0};
        dm_url_probe_describe(res, &why);
        dm_field_errs_add(&e, "/url", "invalid", "the URL %s", why.data);
        dm_buf_free(&why);
        dm_api_invalid(resp, &e);
        return;
    }
    /* other creates or updates may have landed while the GET ran */
    dm_webhook *self = c->id[0] ? dm_hooks_find(h, c->id) : NULL;
    if (res && (!c->id[0] || self)) check_limits(h, c->body, self, &e);
    if (e.n)
        dm_api_invalid(resp, &e);
    else if (c->id[0])
        do_update(h, call, c->id, c->body, resp);
    else
        do_create(h, call, c->body, resp);
}

/* Checks url, then creates (id NULL) or updates; takes body. Without a URL
 * to check (an update that keeps it) the write happens now. */
static void check_then(dm_hooks *h, dm_call *call, dm_req *req, dm_resp *resp, cJSON *body,
                       const char *id, const char *url)
{
    change *c = dm_xcalloc(1, sizeof *c);
    c->body = body;
    if (id) snprintf(c->id, sizeof c->id, "%s", id);
    if (!url) {
        checked(h, c, NULL, call, resp);
        change_free(c);
        return;
    }
    char owner[64];
    if (id) dm_owner(owner, sizeof owner, "webhook", id);
    dm_hooks_check_url(h, call, req, resp, url, id ? owner : NULL, checked, change_free, c);
}

static void h_webhook_create(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_hooks *h = self;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    static const char *const required[] = {"name", "url", "subscriptions", NULL};
    check_body(h, body, NULL, &e);
    dm_api_require(body, required, &e);
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return;
    }
    check_then(h, call, req, resp, body, NULL, dm_json_str(body, "url"));
}

/* Extension webhooks: only the extension's own token may touch them. */
static int may_change(const dm_call *call, const dm_webhook *w, dm_resp *resp)
{
    if (!w->installation_id[0]) return 1;
    const char *inst = call->principal ? call->principal->installation_id : NULL;
    if (inst && strcmp(inst, w->installation_id) == 0) return 1;
    dm_resp_error(resp, 403, "FORBIDDEN",
                  "This webhook belongs to an extension; only the extension can change it.", NULL);
    return 0;
}

static void h_webhook_update(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_hooks *h = self;
    dm_webhook *w = webhook_or_404(h, req, resp);
    if (!w) return;
    if (!may_change(call, w, resp)) return;
    cJSON *body = dm_api_body(req, resp);
    if (!body) return;
    dm_field_errs e = {0};
    check_body(h, body, w, &e);
    if (e.n) {
        dm_api_invalid(resp, &e);
        cJSON_Delete(body);
        return;
    }
    const char *url = dm_json_str(body, "url");
    if (url && strcmp(url, dm_webhook_url(w)) == 0) url = NULL; /* unchanged: no check */
    check_then(h, call, req, resp, body, w->id, url);
}

static void h_webhook_delete(void *self, dm_call *call, dm_req *req, dm_resp *resp)
{
    dm_hooks *h = self;
    dm_webhook *w = webhook_or_404(h, req, resp);
    if (!w) return;
    if (!may_change(call, w, resp)) return;
    dm_hooks_delete(h, w, "deleted through the API", call->origin.cause);
    resp->status = 204;
    dm_buf_reset(&resp->body);
}

const dm_route dm_hooks_routes[] = {
    {"GET", "/api/v1/webhooks", h_webhooks, "Desk.events.READ", 0},
    {"POST", "/api/v1/webhooks", h_webhook_create, "Desk.events.CREATE", 0},
    {"GET", "/api/v1/webhooks/{}", h_webhook_get, "Desk.events.READ", 0},
    {"PATCH", "/api/v1/webhooks/{}", h_webhook_update, "Desk.events.UPDATE", 0},
    {"DELETE", "/api/v1/webhooks/{}", h_webhook_delete, "Desk.events.DELETE", 0},
};
const size_t dm_hooks_nroutes = sizeof dm_hooks_routes / sizeof dm_hooks_routes[0];
