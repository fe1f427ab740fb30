/* hooks.h -- one org's webhooks: the ones users create through the REST API
 * (api.h) and the ones extensions get when installed. Owns each webhook's
 * REST representation and what matching needs (subscriptions, filters);
 * journals every create, update and delete. Knows nothing of delivery or of
 * HTTP: whoever keeps per-webhook state elsewhere hangs it on `queue` and
 * hears of a deletion through the on_delete callback, before the webhook
 * goes. */
#ifndef DM_HOOKS_H
#define DM_HOOKS_H

#include "desk/store.h"
#include "journal/journal.h"
#include "util/fielderr.h"
#include "util/waits.h"

#include <cjson/cJSON.h>

#define DM_WEBHOOKS_MAX 20 /* configured per portal (desk-facts.md) */

typedef struct dm_webhook {
    char id[DM_ID_MAX];
    char org_id[DM_ID_MAX];          /* the org it belongs to (the JWT's iss) */
    cJSON *obj;                      /* REST representation, owned */
    char installation_id[DM_ID_MAX]; /* "" for a user's webhook */
    dm_vec departments;              /* char *, chosen departments; empty = all */
    void *queue;                     /* delivery's per-webhook state */
    /* For invoke's cause rule: the event being delivered now (0 = none), and
     * the last one delivered with when it finished (real ms). */
    uint64_t active_event, last_event;
    int64_t last_done_ms;
} dm_webhook;

typedef struct dm_hooks dm_hooks;
typedef struct dm_outbound dm_outbound; /* net/outbound.h */

/* An org's webhook registry over store (for ids, departments, the clock and
 * the org id); journals to journal; URL checks go through out and park in
 * waits. All borrowed; they outlive the registry. */
dm_hooks *dm_hooks_new(dm_store *store, dm_journal *journal, dm_outbound *out, dm_waits *waits);
/* Frees every webhook without journaling or telling on_delete. NULL does nothing. */
void dm_hooks_free(dm_hooks *h);

/* fn(ud, w, reason) runs before w is deleted (by the API, an uninstall, a
 * 410, a reset or shutdown); reason NULL means "not to be journaled". */
void dm_hooks_on_delete(dm_hooks *h, void (*fn)(void *ud, dm_webhook *w, const char *reason),
                        void *ud);
/* How long a URL check waits for its answer (the delivery timeout). */
void dm_hooks_set_check_timeout(dm_hooks *h, int64_t ms);
int64_t dm_hooks_check_timeout(const dm_hooks *h);
/* The URL check's POST carries {} as application/json (0, the default) or
 * as application/x-www-form-urlencoded (1). */
void dm_hooks_set_check_post_form(dm_hooks *h, int form);
int dm_hooks_check_post_form(const dm_hooks *h);

/* The webhooks, oldest first. */
size_t dm_hooks_count(const dm_hooks *h);
dm_webhook *dm_hooks_at(const dm_hooks *h, size_t i);
/* The webhook with id, or NULL. */
dm_webhook *dm_hooks_find(const dm_hooks *h, const char *id);

/* A new webhook from decl (its name, description, subscriptions,
 * ignoreSourceId, includeEventsFrom, isEnabled), at url, created by
 * created_by (NULL: null), for installation_id (NULL: a user's). Adds it,
 * journals the create with cause and returns it (owned by h). */
dm_webhook *dm_hooks_create(dm_hooks *h, const cJSON *decl, const char *url, const char *created_by,
                            const char *installation_id, uint64_t cause);
/* Sets each member of changes on w (its REST object), with a new
 * modifiedTime, and journals the update. */
void dm_hooks_update(dm_hooks *h, dm_webhook *w, const cJSON *changes, uint64_t cause);
/* Deletes w: on_delete first, then the journal record (with reason), then
 * w is freed. */
void dm_hooks_delete(dm_hooks *h, dm_webhook *w, const char *reason, uint64_t cause);
/* Deletes every webhook, journaling nothing; on_delete gets reason (a reset,
 * shutdown: what was on its way is dropped with it). */
void dm_hooks_clear(dm_hooks *h, const char *reason);

/* Accessors over a webhook's REST object. */
const char *dm_webhook_url(const dm_webhook *w);
int dm_webhook_enabled(const dm_webhook *w);
const cJSON *dm_webhook_subscription(const dm_webhook *w, const char *event_type, int *found);
const char *dm_webhook_ignore_source_id(const dm_webhook *w);
int dm_webhook_wants_automation(const dm_webhook *w);

/* Checks a subscriptions object: known event types and, for each, options
 * the type accepts (desk-facts.md). allow_departments: whether departmentIds
 * may appear (REST webhooks yes; extension webhooks no); department ids are
 * checked against store when given (NULL: not checked). Errors are added
 * with JSON pointers under prefix. Returns the number added. */
size_t dm_subscriptions_check(const cJSON *subs, int allow_departments, const char *prefix,
                              const dm_store *store, dm_field_errs *errs);

/* True when s is a UUID (8-4-4-4-12 hex digits). */
int dm_is_uuid(const char *s);

/* Maximum enabled webhooks for an org edition. */
int dm_webhooks_enabled_cap(const char *edition);

/* What the registry was made with, for the parts that act with it in hand
 * (its API, the URL check, installs). */
dm_store *dm_hooks_store(const dm_hooks *h);
dm_journal *dm_hooks_journal(const dm_hooks *h);
dm_outbound *dm_hooks_outbound(const dm_hooks *h);
dm_waits *dm_hooks_waits(const dm_hooks *h);

/* Owner names for waits: "webhook:<id>", "installation:<id>". */
void dm_owner(char *out, size_t len, const char *kind, const char *id);

#endif
