/* webhooks.c -- webhook accessors and the subscription rules shared by the
 * webhook REST API, extension installs and matching. */
#include "hooks/hooks.h"
#include "events/catalog.h"
#include "util/clock.h"
#include "util/json.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

cJSON *dm_webhook_object(const char *id, const cJSON *decl, const char *url,
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
    cJSON_ArrayForEach(x, from) if (cJSON_IsString(x) && strcmp(x->valuestring, "AUTOMATION") == 0)
        return 1;
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
        dm_field_errs_add(errs, prefix, "invalid", "expected an object with at least one event type");
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
                dm_field_errs_add(errs, ptr, "invalid", "unknown event type; did you mean %s?", near);
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
                                      t->name);
                } else if (!cJSON_IsArray(o)) {
                    dm_field_errs_add(errs, op, "invalid", "expected an array of department ids");
                } else {
                    const cJSON *d;
                    cJSON_ArrayForEach(d, o) if (!cJSON_IsString(d) ||
                                                 !dm_store_department(store, d->valuestring))
                        dm_field_errs_add(errs, op, "invalid", "no department with id %.40s",
                                          cJSON_IsString(d) ? d->valuestring : "(not a string)");
                }
            } else if (strcmp(o->string, "includePrevState") == 0) {
                if (!(t->options & DM_OPT_PREVSTATE))
                    dm_field_errs_add(errs, op, "invalid", "%s has no previous state", t->name);
                else if (!cJSON_IsBool(o))
                    dm_field_errs_add(errs, op, "invalid", "expected true or false");
            } else if (strcmp(o->string, "fields") == 0) {
                if (!(t->options & DM_OPT_FIELDS))
                    dm_field_errs_add(errs, op, "invalid", "only Ticket_Update takes fields");
                else
                    check_fields(o, op, errs);
            } else if (strcmp(o->string, "direction") == 0) {
                if (!(t->options & DM_OPT_DIRECTION))
                    dm_field_errs_add(errs, op, "invalid", "only Ticket_Thread_Add takes direction");
                else if (!cJSON_IsString(o) ||
                         (strcmp(o->valuestring, "in") && strcmp(o->valuestring, "out")))
                    dm_field_errs_add(errs, op, "invalid", "expected \"in\" or \"out\"");
            } else {
                dm_field_errs_add(errs, op, "invalid", "unknown option for %s", t->name);
            }
        }
    }
    return errs->n - before;
}
