/* webhooks.h -- the org's webhooks: the ones users create through the REST
 * API and the ones extensions get when installed. Holds what matching needs
 * (subscriptions, filters) and each webhook's REST representation. Delivery
 * state lives in delivery.c, attached through the `queue` pointer. */
#ifndef DM_WEBHOOKS_H
#define DM_WEBHOOKS_H

#include "desk/store.h"
#include "http/http.h"

#include <cjson/cJSON.h>

#define DM_WEBHOOKS_MAX 20 /* configured per portal (desk-facts.md) */

typedef struct dm_webhook {
    char id[DM_ID_MAX];
    cJSON *obj;                    /* REST representation, owned */
    char installation_id[DM_ID_MAX]; /* "" for a user's webhook */
    dm_vec departments;            /* char *, chosen departments; empty = all */
    void *queue;                   /* delivery.c's per-webhook state */
    /* For invoke's cause rule: the event being delivered now (0 = none), and
     * the last one delivered with when it finished (real ms). */
    uint64_t active_event, last_event;
    int64_t last_done_ms;
} dm_webhook;

/* A new webhook's REST representation (owned): decl's name, description,
 * subscriptions, ignoreSourceId, includeEventsFrom ([] when absent) and
 * isEnabled (true when absent), with id, url and createdBy as given (NULL
 * createdBy: null) and createdTime = modifiedTime = now. decl is borrowed. */
cJSON *dm_webhook_object(const char *id, const cJSON *decl, const char *url,
                         const char *created_by, int64_t now);

/* Accessors over obj. */
const char *dm_webhook_url(const dm_webhook *w);
int dm_webhook_enabled(const dm_webhook *w);
const cJSON *dm_webhook_subscription(const dm_webhook *w, const char *event_type, int *found);
const char *dm_webhook_ignore_source_id(const dm_webhook *w);
int dm_webhook_wants_automation(const dm_webhook *w);

/* Checks a subscriptions object: known event types and, for each, options
 * the type accepts (desk-facts.md). allow_departments: whether departmentIds
 * may appear (REST webhooks yes; extension webhooks no). Errors are added to
 * errs with JSON pointers under prefix (e.g. "/subscriptions"). Returns the
 * number added. */
size_t dm_subscriptions_check(const cJSON *subs, int allow_departments, const char *prefix,
                              const dm_store *store, dm_field_errs *errs);

/* True when s is a UUID (8-4-4-4-12 hex digits). */
int dm_is_uuid(const char *s);

/* Maximum enabled webhooks for an org edition. */
int dm_webhooks_enabled_cap(const char *edition);

#endif
