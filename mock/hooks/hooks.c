/* hooks.c -- the webhook registry (create, update, delete, each journaled as
 * a "webhook" record), webhook accessors, and the subscription rules shared
 * by the webhook REST API, extension installs and matching. */
#include "hooks/hooks.h"
#include "desk/catalog.h"
#include "util/clock.h"
#include "util/json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct dm_hooks {
    dm_store *store;
    dm_journal *journal;
    dm_outbound *out;
    dm_waits *waits;
    int64_t check_timeout_ms;
    int check_post_form;
    dm_vec webhooks; /* dm_webhook *, oldest first */
    void (*on_delete)(void *ud, dm_webhook *w, const char *reason);
    void *on_delete_ud;
};

dm_hooks *dm_hooks_new(dm_store *store, dm_journal *journal, dm_outbound *out, dm_waits *waits)
{
    dm_hooks *h = dm_xcalloc(1, sizeof *h);
    h->store = store;
    h->journal = journal;
    h->out = out;
    h->waits = waits;
    h->check_timeout_ms = 5000;
    return h;
}

static void webhook_free(dm_webhook *w)
{
    cJSON_Delete(w->obj);
    for (size_t i = 0; i < w->departments.n; i++)
        free(w->departments.items[i]);
    dm_vec_free(&w->departments);
    free(w);
}

void dm_hooks_free(dm_hooks *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->webhooks.n; i++)
        webhook_free(h->webhooks.items[i]);
    dm_vec_free(&h->webhooks);
    free(h);
}

void dm_hooks_on_delete(dm_hooks *h, void (*fn)(void *ud, dm_webhook *w, const char *reason),
                        void *ud)
{
    h->on_delete = fn;
    h->on_delete_ud = ud;
}

void dm_hooks_set_check_timeout(dm_hooks *h, int64_t ms)
{
    h->check_timeout_ms = ms > 0 ? ms : 5000;
}

int64_t dm_hooks_check_timeout(const dm_hooks *h)
{
    return h->check_timeout_ms;
}

void dm_hooks_set_check_post_form(dm_hooks *h, int form)
{
    h->check_post_form = form;
}

int dm_hooks_check_post_form(const dm_hooks *h)
{
    return h->check_post_form;
}

dm_store *dm_hooks_store(const dm_hooks *h)
{
    return h->store;
}

dm_journal *dm_hooks_journal(const dm_hooks *h)
{
    return h->journal;
}

dm_outbound *dm_hooks_outbound(const dm_hooks *h)
{
    return h->out;
}

dm_waits *dm_hooks_waits(const dm_hooks *h)
{
    return h->waits;
}

size_t dm_hooks_count(const dm_hooks *h)
{
    return h->webhooks.n;
}

dm_webhook *dm_hooks_at(const dm_hooks *h, size_t i)
{
    return i < h->webhooks.n ? h->webhooks.items[i] : NULL;
}

dm_webhook *dm_hooks_find(const dm_hooks *h, const char *id)
{
    for (size_t i = 0; id && i < h->webhooks.n; i++) {
        dm_webhook *w = h->webhooks.items[i];
        if (strcmp(w->id, id) == 0) return w;
    }
    return NULL;
}

void dm_owner(char *out, size_t len, const char *kind, const char *id)
{
    snprintf(out, len, "%s:%s", kind, id ? id : "");
}

/* ==== Changes, journaled ==== */

static void journal_webhook(dm_hooks *h, const char *action, const dm_webhook *w,
                            const cJSON *before, const cJSON *after, const char *reason,
                            uint64_t cause)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "action", action);
    cJSON_AddStringToObject(f, "id", w->id);
    if (w->installation_id[0]) cJSON_AddStringToObject(f, "installationId", w->installation_id);
    if (reason) cJSON_AddStringToObject(f, "reason", reason);
    cJSON_AddItemToObject(f, "before", before ? cJSON_Duplicate(before, 1) : cJSON_CreateNull());
    cJSON_AddItemToObject(f, "after", after ? cJSON_Duplicate(after, 1) : cJSON_CreateNull());
    dm_journal_add(h->journal, "webhook", cause, f);
}

/* A webhook's REST representation (owned): decl's name, description,
 * subscriptions, ignoreSourceId, includeEventsFrom ([] when absent) and
 * isEnabled (true when absent), with id, url and createdBy as given (NULL
 * createdBy: null) and createdTime = modifiedTime = now. */
static cJSON *webhook_object(const char *id, const cJSON *decl, const char *url,
                             const char *created_by, int64_t now)
{
    char iso[DM_ISO_LEN];
    dm_iso_time(now, iso);
    cJSON *o = cJSON_CreateObject();
    dm_json_set_str(o, "id", id);
    dm_json_set_str(o, "name", dm_json_str(decl, "name"));
    dm_json_set_str(o, "url", url);
    dm_json_set_str(o, "description", dm_json_str(decl, "description"));
    dm_json_set(o, "subscriptions",
                cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(decl, "subscriptions"), 1));
    dm_json_set_str(o, "ignoreSourceId", dm_json_str(decl, "ignoreSourceId"));
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(decl, "includeEventsFrom");
    dm_json_set(o, "includeEventsFrom", from ? cJSON_Duplicate(from, 1) : cJSON_CreateArray());
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(decl, "isEnabled");
    dm_json_set_bool(o, "isEnabled", en ? cJSON_IsTrue(en) : 1);
    dm_json_set_str(o, "createdBy", created_by);
    dm_json_set_str(o, "createdTime", iso);
    dm_json_set_str(o, "modifiedTime", iso);
    return o;
}

dm_webhook *dm_hooks_create(dm_hooks *h, const cJSON *decl, const char *url, const char *created_by,
                            const char *installation_id, uint64_t cause)
{
    dm_webhook *w = dm_xcalloc(1, sizeof *w);
    dm_store_new_id(h->store, w->id);
    snprintf(w->org_id, sizeof w->org_id, "%s", dm_json_str(h->store->org, "id"));
    if (installation_id)
        snprintf(w->installation_id, sizeof w->installation_id, "%s", installation_id);
    w->obj = webhook_object(w->id, decl, url, created_by, dm_clock_now(h->store->clock));
    dm_vec_push(&h->webhooks, w);
    journal_webhook(h, "create", w, NULL, w->obj, NULL, cause);
    return w;
}

void dm_hooks_update(dm_hooks *h, dm_webhook *w, const cJSON *changes, uint64_t cause)
{
    cJSON *before = cJSON_Duplicate(w->obj, 1);
    const cJSON *v;
    cJSON_ArrayForEach(v, changes)
        dm_json_set(w->obj, v->string, cJSON_Duplicate(v, 1));
    char iso[DM_ISO_LEN];
    dm_iso_time(dm_clock_now(h->store->clock), iso);
    dm_json_set_str(w->obj, "modifiedTime", iso);
    journal_webhook(h, "update", w, before, w->obj, NULL, cause);
    cJSON_Delete(before);
}

void dm_hooks_delete(dm_hooks *h, dm_webhook *w, const char *reason, uint64_t cause)
{
    if (h->on_delete) h->on_delete(h->on_delete_ud, w, "webhook deleted");
    dm_vec_remove(&h->webhooks, w);
    journal_webhook(h, "delete", w, w->obj, NULL, reason, cause);
    webhook_free(w);
}

void dm_hooks_clear(dm_hooks *h, const char *reason)
{
    for (size_t i = 0; i < h->webhooks.n; i++) {
        dm_webhook *w = h->webhooks.items[i];
        if (h->on_delete) h->on_delete(h->on_delete_ud, w, reason);
        webhook_free(w);
    }
    h->webhooks.n = 0;
}

/* ==== Accessors ==== */

const char *dm_webhook_url(const dm_webhook *w)
{
    return dm_json_str(w->obj, "url");
}

int dm_webhook_enabled(const dm_webhook *w)
{
    return !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(w->obj, "isEnabled"));
}

const cJSON *dm_webhook_subscription(const dm_webhook *w, const char *event_type, int *found)
{
    const cJSON *subs = cJSON_GetObjectItemCaseSensitive(w->obj, "subscriptions");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(subs, event_type);
    *found = s != NULL;
    return s;
}

const char *dm_webhook_ignore_source_id(const dm_webhook *w)
{
    return dm_json_str(w->obj, "ignoreSourceId");
}

int dm_webhook_wants_automation(const dm_webhook *w)
{
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(w->obj, "includeEventsFrom"), *x;
    cJSON_ArrayForEach(x, from)
        if (cJSON_IsString(x) && strcmp(x->valuestring, "AUTOMATION") == 0) return 1;
    return 0;
}

int dm_is_uuid(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    for (int g = 0; g < 5; g++) {
        for (int i = 0; i < groups[g]; i++, s++)
            if (!isxdigit((unsigned char)*s)) return 0;
        if (g < 4 && *s++ != '-') return 0;
    }
    return *s == '\0';
}

int dm_webhooks_enabled_cap(const char *edition)
{
    if (edition && strcmp(edition, "Enterprise") == 0) return 10;
    return 5; /* Professional 5 (documented); lower editions: the same, our choice */
}

static size_t check_fields(const cJSON *v, const char *ptr, dm_field_errs *errs)
{
    size_t before = errs->n;
    int n = cJSON_GetArraySize(v);
    if (!cJSON_IsArray(v) || n < 1) {
        dm_field_errs_add(errs, ptr, "invalid", "expected an array of 1 to %d field names",
                          DM_FIELDS_MAX);
        return errs->n - before;
    }
    if (n > DM_FIELDS_MAX)
        dm_field_errs_add(errs, ptr, "invalid", "at most %d fields, got %d", DM_FIELDS_MAX, n);
    const cJSON *x, *y;
    int i = 0;
    cJSON_ArrayForEach(x, v) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s/%d", ptr, i++);
        if (!cJSON_IsString(x) || !*x->valuestring) {
            dm_field_errs_add(errs, sub, "invalid", "expected a field name");
            continue;
        }
        for (y = v->child; y != x; y = y->next)
            if (cJSON_IsString(y) && strcmp(y->valuestring, x->valuestring) == 0)
                dm_field_errs_add(errs, sub, "duplicate", "field \"%s\" is listed twice",
                                  x->valuestring);
    }
    return errs->n - before;
}

size_t dm_subscriptions_check(const cJSON *subs, int allow_departments, const char *prefix,
                              const dm_store *store, dm_field_errs *errs)
{
    size_t before = errs->n;
    if (!cJSON_IsObject(subs) || !subs->child) {
        dm_field_errs_add(errs, prefix, "invalid",
                          "expected an object with at least one event type");
        return errs->n - before;
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, subs) {
        char ptr[256];
        dm_json_pointer(ptr, sizeof ptr, prefix, s->string, 80);
        const dm_event_type *t = dm_event_type_find(s->string);
        if (!t) {
            const char *near = dm_event_type_suggest(s->string);
            if (near)
                dm_field_errs_add(errs, ptr, "invalid", "unknown event type; did you mean %s?",
                                  near);
            else
                dm_field_errs_add(errs, ptr, "invalid", "unknown event type");
            continue;
        }
        if (cJSON_IsNull(s)) continue;
        if (!cJSON_IsObject(s)) {
            dm_field_errs_add(errs, ptr, "invalid", "expected null or an object of options");
            continue;
        }
        const cJSON *o;
        cJSON_ArrayForEach(o, s) {
            char op[400];
            dm_json_pointer(op, sizeof op, ptr, o->string, 60);
            if (strcmp(o->string, "departmentIds") == 0) {
                if (!allow_departments) {
                    dm_field_errs_add(errs, op, "invalid",
                                      "not allowed: departments come from the installation");
                } else if (!(t->options & DM_OPT_DEPARTMENTS)) {
                    dm_field_errs_add(errs, op, "invalid", "%s does not filter by department",
                                      t->type);
                } else if (!cJSON_IsArray(o)) {
                    dm_field_errs_add(errs, op, "invalid", "expected an array of department ids");
                } else {
                    const cJSON *d;
                    cJSON_ArrayForEach(d, o)
                        if (!cJSON_IsString(d) || !dm_store_department(store, d->valuestring))
                            dm_field_errs_add(errs, op, "invalid", "no department with id %.40s",
                                              cJSON_IsString(d) ? d->valuestring
                                                                : "(not a string)");
                }
            } else if (strcmp(o->string, "includePrevState") == 0) {
                if (!(t->options & DM_OPT_PREVSTATE))
                    dm_field_errs_add(errs, op, "invalid", "%s has no previous state", t->type);
                else if (!cJSON_IsBool(o))
                    dm_field_errs_add(errs, op, "invalid", "expected true or false");
            } else if (strcmp(o->string, "fields") == 0) {
                if (!(t->options & DM_OPT_FIELDS))
                    dm_field_errs_add(errs, op, "invalid", "only Ticket_Update takes fields");
                else
                    check_fields(o, op, errs);
            } else if (strcmp(o->string, "direction") == 0) {
                if (!(t->options & DM_OPT_DIRECTION))
                    dm_field_errs_add(errs, op, "invalid",
                                      "only Ticket_Thread_Add takes direction");
                else if (!cJSON_IsString(o) ||
                         (strcmp(o->valuestring, "in") && strcmp(o->valuestring, "out")))
                    dm_field_errs_add(errs, op, "invalid", "expected \"in\" or \"out\"");
            } else {
                dm_field_errs_add(errs, op, "invalid", "unknown option for %s", t->type);
            }
        }
    }
    return errs->n - before;
}
