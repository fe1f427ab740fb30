/* events.c -- change -> event -> per-webhook decision. Builds each event's
 * JSON element once (with and without prevState) and hands shared references
 * to the delivery engine. Does no I/O itself. */
#include "events/events.h"
#include "desk/catalog.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct dm_events {
    dm_store *store;
    dm_hooks *hooks;
    dm_journal *journal;
    dm_delivery *delivery;
    int prev_changed;
};

dm_events *dm_events_new(dm_store *store, dm_hooks *hooks, dm_journal *journal,
                         dm_delivery *delivery)
{
    dm_events *e = dm_xcalloc(1, sizeof *e);
    e->store = store;
    e->hooks = hooks;
    e->journal = journal;
    e->delivery = delivery;
    return e;
}

void dm_events_free(dm_events *e)
{
    free(e);
}

void dm_events_set_prev_changed(dm_events *e, int changed)
{
    e->prev_changed = changed;
}

int dm_events_prev_changed(const dm_events *e)
{
    return e->prev_changed;
}

const char *dm_events_type_for(const char *resource, const char *action)
{
    const dm_event_def *def = dm_schema_event(dm_schema_find(resource), action);
    return def ? def->type : NULL;
}

void dm_events_changed_fields(const cJSON *before, const cJSON *after, cJSON *out)
{
    const cJSON *a;
    const cJSON *cursor = before ? before->child : NULL;
    cJSON_ArrayForEach(a, after) {
        /* before is usually the same object earlier: same keys, same order */
        const cJSON *b;
        if (cursor && cursor->string && strcmp(cursor->string, a->string) == 0)
            b = cursor;
        else
            b = cJSON_GetObjectItemCaseSensitive(before, a->string);
        cursor = b ? b->next : NULL;
        if (strcmp(a->string, "modifiedTime") == 0 || strcmp(a->string, "modifiedBy") == 0)
            continue;
        if (strcmp(a->string, "cf") == 0 && cJSON_IsObject(a)) {
            const cJSON *f;
            cJSON_ArrayForEach(f, a) {
                const cJSON *old = cJSON_GetObjectItemCaseSensitive(b, f->string);
                if (!old || !cJSON_Compare(old, f, 1))
                    cJSON_AddItemToArray(out, cJSON_CreateString(f->string));
            }
            continue;
        }
        if (!b || !cJSON_Compare(a, b, 1)) cJSON_AddItemToArray(out, cJSON_CreateString(a->string));
    }
}

/* prevState in "changed" mode: id plus the old values of what changed; a
 * changed cf carries only its changed cf_* keys. */
static cJSON *prev_changed(const cJSON *before, const cJSON *after)
{
    cJSON *p = cJSON_CreateObject();
    const char *id = dm_json_str(before, "id");
    dm_json_set_str(p, "id", id);
    const cJSON *a;
    cJSON_ArrayForEach(a, after) {
        if (strcmp(a->string, "modifiedTime") == 0 || strcmp(a->string, "modifiedBy") == 0 ||
            strcmp(a->string, "id") == 0)
            continue;
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(before, a->string);
        if (strcmp(a->string, "cf") == 0 && cJSON_IsObject(a) && cJSON_IsObject(b)) {
            cJSON *cf = NULL;
            const cJSON *f;
            cJSON_ArrayForEach(f, a) {
                const cJSON *old = cJSON_GetObjectItemCaseSensitive(b, f->string);
                if (old && cJSON_Compare(old, f, 1)) continue;
                if (!cf) cf = cJSON_AddObjectToObject(p, "cf");
                cJSON_AddItemToObject(cf, f->string,
                                      old ? cJSON_Duplicate(old, 1) : cJSON_CreateNull());
            }
            continue;
        }
        if (b && cJSON_Compare(a, b, 1)) continue;
        cJSON_AddItemToObject(p, a->string, b ? cJSON_Duplicate(b, 1) : cJSON_CreateNull());
    }
    return p;
}

static int in_list(const cJSON *arr, const char *s)
{
    const cJSON *x;
    if (!s) return 0;
    cJSON_ArrayForEach(x, arr)
        if (cJSON_IsString(x) && strcmp(x->valuestring, s) == 0) return 1;
    return 0;
}

static int in_vec(const dm_vec *v, const char *s)
{
    for (size_t i = 0; s && i < v->n; i++)
        if (strcmp(v->items[i], s) == 0) return 1;
    return 0;
}

/* What one event looks like to matching. */
typedef struct event_ctx {
    const char *type;
    const dm_event_def *info;
    const dm_change *c;
    const char *dept;        /* the resource's department now */
    const char *dept_before; /* Ticket_Update: before the change */
    const char *direction;   /* Ticket_Thread_Add */
    cJSON *changed;          /* update events: changed field names */
    const char *fixture;     /* raised from a fixture: its name */
} event_ctx;

/* Why Desk withholds an event from a webhook: the rule (a short name the
 * journal and the tools show) and the reason in words. */
typedef struct withheld {
    const char *rule, *reason;
} withheld;

/* 0 when w takes the event, else 1 with the rule that withholds it in *why.
 * *prev is set when the subscription asks for prevState. */
static int decide(const dm_webhook *w, const cJSON *sub, const event_ctx *e, int *prev,
                  withheld *why)
{
    *prev = 0;
    if (!dm_webhook_enabled(w)) {
        *why = (withheld){"disabled", "webhook disabled"};
        return 1;
    }
    if (e->c->origin->automation && !dm_webhook_wants_automation(w)) {
        *why = (withheld){"automation",
                          "made by automation; webhook lacks includeEventsFrom AUTOMATION"};
        return 1;
    }
    const char *ign = dm_webhook_ignore_source_id(w);
    if (ign && e->c->origin->source_id && strcasecmp(ign, e->c->origin->source_id) == 0) {
        *why = (withheld){"ignoreSourceId", "sourceId equals the webhook's ignoreSourceId"};
        return 1;
    }
    if (e->info->options & DM_OPT_DEPARTMENTS) {
        const cJSON *deps = cJSON_GetObjectItemCaseSensitive(sub, "departmentIds");
        int limited = w->installation_id[0] ? w->departments.n > 0 : cJSON_GetArraySize(deps) > 0;
        if (limited) {
            int now =
                w->installation_id[0] ? in_vec(&w->departments, e->dept) : in_list(deps, e->dept);
            int was =
                e->dept_before && (w->installation_id[0] ? in_vec(&w->departments, e->dept_before)
                                                         : in_list(deps, e->dept_before));
            if (!now && !was) {
                *why = (withheld){"department", "department not chosen"};
                return 1;
            }
        }
    }
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(sub, "fields");
    if ((e->info->options & DM_OPT_FIELDS) && cJSON_GetArraySize(fields) > 0) {
        int hit = 0;
        const cJSON *f;
        cJSON_ArrayForEach(f, fields)
            hit |= cJSON_IsString(f) && in_list(e->changed, f->valuestring);
        if (!hit) {
            *why = (withheld){"fields", "none of the subscription's fields changed"};
            return 1;
        }
    }
    const char *dir = dm_json_str(sub, "direction");
    if ((e->info->options & DM_OPT_DIRECTION) && dir && e->direction &&
        strcmp(dir, e->direction) != 0) {
        *why = (withheld){"direction", "thread direction not subscribed"};
        return 1;
    }
    *prev = (e->info->options & DM_OPT_PREVSTATE) &&
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sub, "includePrevState"));
    return 0;
}

static dm_event_ref *make_ref(uint64_t seq, const char *type, const char *org, const char *when,
                              const char *p, const char *q)
{
    dm_buf b = {0};
    dm_buf_puts(&b, "{\"eventType\":");
    dm_buf_json_str(&b, type);
    dm_buf_puts(&b, ",\"orgId\":");
    dm_buf_json_str(&b, org);
    dm_buf_printf(&b, ",\"eventTime\":\"%s\",\"payload\":", when);
    dm_buf_puts(&b, p);
    if (q) {
        dm_buf_puts(&b, ",\"prevState\":");
        dm_buf_puts(&b, q);
    }
    dm_buf_putc(&b, '}');
    dm_event_ref *r = dm_xcalloc(1, sizeof *r);
    r->refs = 1;
    r->seq = seq;
    r->len = b.len;
    r->text = dm_buf_steal(&b);
    return r;
}

/* Decides, journals and queues one event: payload (borrowed) is what GET
 * returns, prev (borrowed, may be NULL) the prevState to offer. */
static uint64_t raise_event(dm_events *ev, const event_ctx *e, const cJSON *payload,
                            const cJSON *prev, uint64_t cause, const char *ptext_in,
                            const char *qtext_in)
{
    char *ptext_own = ptext_in ? NULL : dm_json_print(payload);
    char *qtext_own = (prev && !qtext_in) ? dm_json_print(prev) : NULL;
    const char *ptext = ptext_in ? ptext_in : ptext_own;
    const char *qtext = prev ? (qtext_in ? qtext_in : qtext_own) : NULL;
    const dm_change *c = e->c;
    int64_t ms = dm_clock_now(ev->store->clock);
    char when[32];
    snprintf(when, sizeof when, "%lld", (long long)ms);
    const char *org = dm_json_str(ev->store->org, "id");

    /* Decide for every webhook subscribed to this type. */
    size_t n = dm_hooks_count(ev->hooks);
    dm_webhook **targets = dm_xcalloc(n ? n : 1, sizeof *targets);
    int *with_prev = dm_xcalloc(n ? n : 1, sizeof *with_prev);
    withheld *why = dm_xcalloc(n ? n : 1, sizeof *why);
    size_t nt = 0;
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        dm_webhook *w = dm_hooks_at(ev->hooks, i);
        int found;
        const cJSON *sub = dm_webhook_subscription(w, e->type, &found);
        if (!found) continue;
        int p;
        int held = decide(w, sub, e, &p, &why[nt]);
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "webhookId", w->id);
        if (held) {
            cJSON_AddStringToObject(t, "fate", "withheld");
            cJSON_AddStringToObject(t, "rule", why[nt].rule);
            cJSON_AddStringToObject(t, "reason", why[nt].reason);
        } else {
            cJSON_AddStringToObject(t, "fate", "queued");
            cJSON_AddBoolToObject(t, "prevState", p && prev);
        }
        cJSON_AddItemToArray(list, t);
        targets[nt] = w;
        with_prev[nt] = p && prev;
        nt++;
    }

    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "eventType", e->type);
    cJSON_AddStringToObject(f, "orgId", org);
    cJSON_AddStringToObject(f, "eventTime", when);
    dm_json_set_str(f, "resourceId", c->id ? c->id : dm_json_str(payload, "id"));
    if (c->ticket_id) cJSON_AddStringToObject(f, "ticketId", c->ticket_id);
    dm_json_set_str(f, "departmentId", e->dept);
    if (cJSON_GetArraySize(e->changed))
        cJSON_AddItemToObject(f, "changedFields", cJSON_Duplicate(e->changed, 1));
    dm_json_set_str(f, "sourceId", c->origin->source_id);
    cJSON_AddBoolToObject(f, "automation", c->origin->automation);
    if (e->fixture) cJSON_AddStringToObject(f, "fixture", e->fixture);
    cJSON_AddItemToObject(f, "payload", cJSON_CreateRaw(ptext));
    if (prev) cJSON_AddItemToObject(f, "prevState", cJSON_CreateRaw(qtext));
    cJSON_AddItemToObject(f, "webhooks", list);
    uint64_t seq = dm_journal_add(ev->journal, "event", cause, f);

    dm_event_ref *plain = NULL, *full = NULL;
    for (size_t i = 0; i < nt; i++) {
        if (why[i].rule) {
            dm_delivery_withheld(ev->delivery, targets[i], seq, why[i].rule, why[i].reason);
            continue;
        }
        dm_event_ref **r = with_prev[i] ? &full : &plain;
        if (!*r) *r = make_ref(seq, e->type, org, when, ptext, with_prev[i] ? qtext : NULL);
        dm_delivery_enqueue(ev->delivery, targets[i], *r);
    }
    dm_event_ref_release(plain);
    dm_event_ref_release(full);
    free(targets);
    free(with_prev);
    free(why);
    free(ptext_own);
    free(qtext_own);
    return seq;
}

/* Only the keys def lists (and always id), for events that carry part of
 * their object; owned. */
static cJSON *some_keys(const cJSON *obj, const char *const *keys)
{
    cJSON *p = cJSON_CreateObject();
    for (const char *const *k = keys; *k; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, *k);
        if (v) cJSON_AddItemToObject(p, *k, cJSON_Duplicate(v, 1));
    }
    return p;
}

/* The department an object of sc is in, for departmentIds filters. */
static const char *department(dm_events *ev, const dm_schema *sc, const cJSON *obj,
                              const char *ticket_id)
{
    if (sc->dept == DM_DEPT_OWN)
        return strcmp(sc->name, "department") == 0 ? dm_json_str(obj, "id")
                                                   : dm_json_str(obj, "departmentId");
    if (sc->dept == DM_DEPT_TICKET) {
        dm_ticket *t =
            dm_store_ticket(ev->store, ticket_id ? ticket_id : dm_json_str(obj, "ticketId"));
        return t ? dm_json_str(t->obj, "departmentId") : dm_json_str(obj, "departmentId");
    }
    return NULL;
}

void dm_events_on_change(dm_events *ev, const dm_change *c, uint64_t change_seq)
{
    const dm_schema *sc = dm_schema_find(c->resource);
    const dm_event_def *def = dm_schema_event(sc, c->action);
    if (!def) return;
    event_ctx e = {0};
    e.type = def->type;
    e.info = def;
    e.c = c;
    const cJSON *now_obj = c->after ? c->after : c->before;
    e.dept = department(ev, sc, now_obj, c->ticket_id);
    if (c->before && c->after) e.dept_before = department(ev, sc, c->before, c->ticket_id);
    if (sc == &dm_thread_schema) e.direction = dm_json_str(now_obj, "direction");
    e.changed = cJSON_CreateArray();
    if (c->before && c->after) dm_events_changed_fields(c->before, c->after, e.changed);

    /* The payload is the resource as GET returns it (or the keys its event
     * carries); deletes carry only the id. */
    cJSON *payload_own = NULL;
    const cJSON *payload = c->after;
    if (!payload) {
        payload = payload_own = cJSON_CreateObject();
        dm_json_set_str(payload_own, "id", c->id);
    } else if (def->keys) {
        payload = payload_own = some_keys(c->after, def->keys);
    }
    cJSON *prev = NULL;
    const cJSON *prevp = NULL;
    if (c->before && c->after && (def->options & DM_OPT_PREVSTATE)) {
        if (ev->prev_changed)
            prevp = prev = prev_changed(c->before, c->after);
        else if (def->keys)
            prevp = prev = some_keys(c->before, def->keys);
        else
            prevp = c->before;
    }
    raise_event(ev, &e, payload, prevp, change_seq,
                c->after && !payload_own ? dm_change_text(c, 1) : NULL,
                prev ? NULL : (prevp ? dm_change_text(c, 0) : NULL));
    cJSON_Delete(payload_own);
    cJSON_Delete(prev);
    cJSON_Delete(e.changed);
}

uint64_t dm_events_raise(dm_events *ev, const char *type, const cJSON *payload, const cJSON *prev,
                         const dm_origin *origin, const char *fixture, uint64_t cause)
{
    event_ctx e = {0};
    e.type = type;
    e.info = dm_event_type_find(type);
    if (!e.info) return 0;
    dm_change c = {0};
    c.origin = origin;
    c.id = dm_json_str(payload, "id");
    c.ticket_id = dm_json_str(payload, "ticketId");
    e.c = &c;
    e.fixture = fixture;
    e.dept = dm_json_str(payload, "departmentId");
    if (!e.dept && c.ticket_id) {
        dm_ticket *t = dm_store_ticket(ev->store, c.ticket_id);
        e.dept = t ? dm_json_str(t->obj, "departmentId") : NULL;
    }
    if (prev) e.dept_before = dm_json_str(prev, "departmentId");
    e.direction = dm_json_str(payload, "direction");
    e.changed = cJSON_CreateArray();
    if (prev) dm_events_changed_fields(prev, payload, e.changed);
    uint64_t seq = raise_event(ev, &e, payload, (e.info->options & DM_OPT_PREVSTATE) ? prev : NULL,
                               cause, NULL, NULL);
    cJSON_Delete(e.changed);
    return seq;
}
