/* expect.c -- expectations judged from the journal. Each waits with
 * long-polls until it is met or its time is up, then, on failure, writes a
 * report that quotes the records a developer needs: what was sent, what came
 * back, what the receiver did next. */
#include "harness/internal.h"
#include "util/clock.h"
#include "util/jpath.h"
#include "util/json.h"
#include "util/map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== Small helpers ==== */

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *str(const cJSON *o, const char *key)
{
    const char *s = dm_json_str(o, key);
    return s ? s : "";
}

static uint64_t seq_of(const cJSON *r)
{
    return (uint64_t)num(r, "seq");
}

/* '*' matches any run of characters, including none. */
static int glob(const char *p, const char *s)
{
    if (!p || !*p) return 1;
    while (*p) {
        if (*p == '*') {
            while (*p == '*')
                p++;
            if (!*p) return 1;
            for (; *s; s++)
                if (glob(p, s)) return 1;
            return 0;
        }
        if (*p++ != *s++) return 0;
    }
    return *s == '\0';
}

static void append_all(cJSON *into, cJSON *from)
{
    cJSON *r;
    while ((r = cJSON_DetachItemFromArray(from, 0)))
        cJSON_AddItemToArray(into, r);
    cJSON_Delete(from);
}

static uint64_t last_seq(const cJSON *recs, uint64_t dflt)
{
    int n = cJSON_GetArraySize(recs);
    return n ? seq_of(cJSON_GetArrayItem(recs, n - 1)) : dflt;
}

/* One long-poll of at most until end (monotonic ms): appends the records
 * after *cursor (of kinds; NULL: all) to all and moves *cursor past them. */
static void poll_until(dh_mock *m, cJSON *all, uint64_t *cursor, const char *kinds, int64_t end)
{
    int64_t left = end - dm_mono_ms();
    cJSON *got = dh_journal_wait(m, *cursor, kinds, left > 0 ? (int)left : 0);
    *cursor = last_seq(got, *cursor);
    append_all(all, got);
}

static const cJSON *find_seq(const cJSON *recs, uint64_t seq)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, recs)
        if (seq_of(r) == seq) return r;
    return NULL;
}

#define SETTLE_MAX 5000 /* records: enough to see any loop, few enough to read */

/* The records of kinds after `after` once the journal has been quiet for
 * quiet_ms, or after cap_ms in all (a receiver in a loop never goes quiet),
 * at most SETTLE_MAX of them: a loop shows long before that. */
cJSON *dh_settle(dh_mock *m, uint64_t after, const char *kinds, int quiet_ms, int cap_ms)
{
    dh_journal_quiet(m, after, quiet_ms, cap_ms);
    cJSON *all = cJSON_CreateArray();
    uint64_t cursor = after;
    while (cJSON_GetArraySize(all) < SETTLE_MAX) {
        cJSON *got = dh_journal_wait(m, cursor, kinds, 0);
        int n = cJSON_GetArraySize(got);
        cursor = last_seq(got, cursor);
        append_all(all, got);
        if (!n) break;
    }
    return all;
}

/* The URL without its query (keeps securityContext out of reports). */
static void short_url(const char *url, char *out, size_t len)
{
    const char *q = strchr(url, '?');
    snprintf(out, len, "%.*s%s", q ? (int)(q - url) : (int)strlen(url), url, q ? "?…" : "");
}

static void describe_event(dh_mock *m, const cJSON *ev)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(ev, "payload");
    dh_reportf(m, "  event #%.0f %s (payload.id %s)", num(ev, "seq"), str(ev, "eventType"),
               str(p, "id"));
    if (dm_json_str(ev, "fixture")) dh_reportf(m, " from fixture %s", str(ev, "fixture"));
    dh_reportf(m, "\n");
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(ev, "webhooks")) {
        if (strcmp(str(w, "fate"), "withheld") == 0)
            dh_reportf(m, "    webhook %s: not delivered (%s)\n", str(w, "webhookId"),
                       str(w, "reason"));
    }
}

static int carries(const cJSON *attempt, uint64_t event)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(attempt, "events"))
        if (cJSON_IsNumber(e) && (uint64_t)e->valuedouble == event) return 1;
    return 0;
}

static void describe_attempt(dh_mock *m, const cJSON *a)
{
    char url[256];
    short_url(str(a, "url"), url, sizeof url);
    dh_reportf(m, "    attempt #%.0f (try %.0f) POST %s: ", num(a, "seq"), num(a, "attempt"), url);
    if (num(a, "status") >= 0)
        dh_reportf(m, "answered %.0f in %.2f ms", num(a, "status"), num(a, "latencyMs"));
    else
        dh_reportf(m, "no answer (%s) after %.2f ms", str(a, "error"), num(a, "latencyMs"));
    if (*str(a, "response")) dh_reportf(m, ", body \"%.120s\"", str(a, "response"));
    if (num(a, "nextRetryMs") >= 0) dh_reportf(m, "; retry in %.0f ms", num(a, "nextRetryMs"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "duplicate")))
        dh_reportf(m, " (a duplicate)");
    dh_reportf(m, "\n");
}

int dh_is_call(const dh_mock *m, const cJSON *r, const char *method, const char *url_glob,
               const char **url)
{
    const char *kind = str(r, "kind");
    if (strcmp(kind, "invoke") == 0) {
        *url = str(r, "requestURL");
        return (!method || strcmp(method, str(r, "requestType")) == 0) && glob(url_glob, *url);
    }
    if (strcmp(kind, "request") == 0 &&
        (strcmp(str(r, "as"), "extension") == 0 ||
         (m->receiver_actor[0] && strcmp(str(r, "actor"), m->receiver_actor) == 0))) {
        *url = str(r, "path");
        return (!method || strcmp(method, str(r, "method")) == 0) && glob(url_glob, *url);
    }
    return 0;
}

/* What Desk answered a call: its status, the delayed answer's for an invoke
 * answered later, or -1 while none came. */
static int call_status(const cJSON *r, const cJSON *all)
{
    if (strcmp(str(r, "kind"), "request") == 0) return (int)num(r, "status");
    if (num(r, "statusCode") >= 0) return (int)num(r, "statusCode");
    const cJSON *x;
    cJSON_ArrayForEach(x, all)
        if (!strcmp(str(x, "kind"), "invoke-result") && num(x, "invoke") == num(r, "seq"))
            return (int)num(x, "statusCode");
    return -1;
}

static void describe_call(dh_mock *m, const cJSON *r, const cJSON *all)
{
    const char *kind = str(r, "kind");
    if (strcmp(kind, "invoke") == 0) {
        dh_reportf(m, "  invoke #%.0f %s %s -> ", num(r, "seq"), str(r, "requestType"),
                   str(r, "requestURL"));
        if (num(r, "statusCode") >= 0)
            dh_reportf(m, "%.0f", num(r, "statusCode"));
        else
            dh_reportf(m, "(answered later)");
        if (num(r, "event") > 0) {
            const cJSON *ev = find_seq(all, (uint64_t)num(r, "event"));
            if (ev && !strcmp(str(ev, "kind"), "event"))
                dh_reportf(m, ", made while handling #%.0f %s", num(r, "event"),
                           str(ev, "eventType"));
            else
                dh_reportf(m, ", made while handling the delivery #%.0f", num(r, "event"));
        }
        if (*str(r, "sourceId")) dh_reportf(m, ", sourceId %s", str(r, "sourceId"));
        dh_reportf(m, "\n");
    } else {
        dh_reportf(m, "  request #%.0f %s %s -> %.0f (%s token)", num(r, "seq"), str(r, "method"),
                   str(r, "path"), num(r, "status"),
                   !strcmp(str(r, "as"), "extension") ? "the extension's" : "the receiver's");
        if (*str(r, "sourceId")) dh_reportf(m, ", sourceId %s", str(r, "sourceId"));
        dh_reportf(m, "\n");
    }
}

/* ==== Deliveries ==== */

static int event_matches(const cJSON *ev, const char *type, const char *path, const char *value)
{
    if (strcmp(str(ev, "kind"), "event") || strcmp(str(ev, "eventType"), type)) return 0;
    if (!path) return 1;
    const cJSON *v = dm_jpath_get(cJSON_GetObjectItemCaseSensitive(ev, "payload"), path);
    if (!v) return 0;
    if (cJSON_IsString(v)) return value && strcmp(v->valuestring, value) == 0;
    char *s = dm_json_print(v);
    int eq = value && strcmp(s, value) == 0;
    free(s);
    return eq;
}

/* An event that can no longer be delivered before end: not queued for any
 * webhook, ended by a fate, or its last attempt failed with no retry due by
 * end (a retry's first try is the schedule's, not now). */
static int given_up(const cJSON *ev, const cJSON *last, const cJSON *all, int64_t end)
{
    const cJSON *w, *f;
    int queued = 0;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(ev, "webhooks"))
        queued |= !strcmp(str(w, "fate"), "queued");
    if (!queued) return 1;
    cJSON_ArrayForEach(f, all)
        if (!strcmp(str(f, "kind"), "fate") && num(f, "event") == num(ev, "seq") &&
            strcmp(str(f, "fate"), "delivered") != 0)
            return 1;
    if (!last || num(last, "status") == 200) return 0;
    double next = num(last, "nextRetryMs");
    return next < 0 || (double)dm_mono_ms() + next > (double)end;
}

int dh_expect_delivered(dh_mock *m, uint64_t after, const char *event_type, const char *path,
                        const char *value, int64_t within_ms, int timeout_ms)
{
    dh_report_reset(m);
    if (within_ms <= 0) within_ms = m->timeout_ms;
    int64_t end = dm_mono_ms() + timeout_ms;
    cJSON *all = cJSON_CreateArray();
    uint64_t cursor = after;
    int met = 0;
    for (;;) {
        poll_until(m, all, &cursor, "event,attempt,fate", end);
        const cJSON *ev, *a;
        int matching = 0, hopeless = 0;
        cJSON_ArrayForEach(ev, all) {
            if (!event_matches(ev, event_type, path, value)) continue;
            matching++;
            const cJSON *last = NULL;
            cJSON_ArrayForEach(a, all) {
                if (strcmp(str(a, "kind"), "attempt") || !carries(a, seq_of(ev))) continue;
                if (num(a, "status") == 200 && num(a, "latencyMs") <= (double)within_ms) met = 1;
                last = a;
            }
            hopeless += given_up(ev, last, all, end);
        }
        /* fail fast: every matching event failed and no retry is due in time */
        if (met || dm_mono_ms() >= end || (matching && hopeless == matching)) break;
    }
    if (!met) {
        int64_t waited = dm_mono_ms() - (end - timeout_ms);
        dh_reportf(m, "expected a %s delivery", event_type);
        if (path) dh_reportf(m, " with payload.%s = %s", path, value ? value : "null");
        dh_reportf(m, " answered 200 within %lld ms (after journal #%llu); ", (long long)within_ms,
                   (unsigned long long)after);
        if (waited < timeout_ms)
            dh_reportf(m, "stopped waiting after %lld ms: no retry can come within %d ms.\n",
                       (long long)waited, timeout_ms);
        else
            dh_reportf(m, "waited %d ms.\n", timeout_ms);
        int events = 0;
        const cJSON *ev, *a;
        cJSON_ArrayForEach(ev, all) {
            if (!event_matches(ev, event_type, path, value)) continue;
            events++;
            describe_event(m, ev);
            int tries = 0;
            cJSON_ArrayForEach(a, all)
                if (!strcmp(str(a, "kind"), "attempt") && carries(a, seq_of(ev))) {
                    describe_attempt(m, a);
                    tries++;
                }
            if (!tries) dh_reportf(m, "    no delivery attempt yet\n");
        }
        if (!events) {
            dh_reportf(m, "  no matching %s event was raised; events raised:", event_type);
            int any = 0;
            cJSON_ArrayForEach(ev, all)
                if (!strcmp(str(ev, "kind"), "event")) {
                    dh_reportf(m, " #%.0f %s", num(ev, "seq"), str(ev, "eventType"));
                    any = 1;
                }
            dh_reportf(m, "%s\n", any ? "" : " none");
        }
    }
    cJSON_Delete(all);
    return met ? 0 : -1;
}

/* ==== Calls ==== */

int dh_expect_call(dh_mock *m, uint64_t after, const char *method, const char *url_glob, int min,
                   int timeout_ms)
{
    return dh_expect_call_ok(m, after, method, url_glob, min, timeout_ms, 0);
}

int dh_expect_call_ok(dh_mock *m, uint64_t after, const char *method, const char *url_glob, int min,
                      int timeout_ms, int ok_only)
{
    dh_report_reset(m);
    int64_t end = dm_mono_ms() + timeout_ms;
    cJSON *all = cJSON_CreateArray();
    uint64_t cursor = after;
    int count = 0;
    for (;;) {
        poll_until(m, all, &cursor, NULL, end);
        count = 0;
        const cJSON *r;
        const char *url;
        cJSON_ArrayForEach(r, all) {
            if (!dh_is_call(m, r, method, url_glob, &url)) continue;
            int st = call_status(r, all);
            count += !ok_only || (st >= 200 && st < 300);
        }
        if (count >= min || dm_mono_ms() >= end) break;
    }
    int ok = count >= min;
    if (!ok) {
        dh_reportf(m,
                   "expected the receiver to call %s %s%s at least %d time%s after journal #%llu; "
                   "it did %d time%s in %d ms. Its calls:\n",
                   method ? method : "*", url_glob ? url_glob : "*",
                   ok_only ? " and have Desk accept it (2xx)" : "", min, min == 1 ? "" : "s",
                   (unsigned long long)after, count, count == 1 ? "" : "s", timeout_ms);
        const cJSON *r;
        const char *url;
        int any = 0;
        cJSON_ArrayForEach(r, all)
            if (dh_is_call(m, r, NULL, NULL, &url)) describe_call(m, r, all), any = 1;
        if (!any) dh_reportf(m, "  none\n");
    }
    cJSON_Delete(all);
    return ok ? 0 : -1;
}

int dh_expect_no_call(dh_mock *m, uint64_t after, const char *method, const char *url_glob,
                      int quiet_ms)
{
    dh_report_reset(m);
    cJSON *all = dh_settle(m, after, "invoke,request,event", quiet_ms, quiet_ms * 10 + 1000);
    int count = 0;
    const cJSON *r;
    const char *url;
    cJSON_ArrayForEach(r, all)
        count += dh_is_call(m, r, method, url_glob, &url);
    if (count) {
        dh_reportf(m, "expected no call %s %s after journal #%llu; the receiver made %d:\n",
                   method ? method : "*", url_glob ? url_glob : "*", (unsigned long long)after,
                   count);
        cJSON_ArrayForEach(r, all)
            if (dh_is_call(m, r, method, url_glob, &url)) describe_call(m, r, all);
    }
    cJSON_Delete(all);
    return count ? -1 : 0;
}

/* ==== Loops and duplicates ==== */

/* An event that reached webhook w (queued for it, not dropped). */
static int went_to(const cJSON *ev, const char *w)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(ev, "webhooks"))
        if (!strcmp(str(t, "webhookId"), w) && !strcmp(str(t, "fate"), "queued")) return 1;
    return 0;
}

/* Records indexed by a numeric field ("cause", "event"): the first record of
 * kind with each value. Keys are the value printed; values borrowed. */
static dm_map *index_by(const cJSON *all, const char *kind, const char *field)
{
    dm_map *m = dm_map_new();
    const cJSON *r;
    cJSON_ArrayForEach(r, all) {
        if (strcmp(str(r, "kind"), kind) || num(r, field) <= 0) continue;
        char key[32];
        snprintf(key, sizeof key, "%.0f", num(r, field));
        if (!dm_map_get(m, key)) dm_map_put(m, key, (void *)r);
    }
    return m;
}

static const cJSON *by(dm_map *m, double value)
{
    char key[32];
    snprintf(key, sizeof key, "%.0f", value);
    return dm_map_get(m, key);
}

/* The ticket an event concerns ("" when none: not a ticket's event). */
static const char *ticket_of(const cJSON *ev)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(ev, "payload");
    if (strncmp(str(ev, "eventType"), "Ticket_", 7) != 0 || !cJSON_IsObject(p)) return "";
    return dm_json_str(p, "ticketId") ? str(p, "ticketId") : str(p, "id");
}

/* The ticket an invoke call's URL names, into out ("" when none). */
static void ticket_in(const cJSON *call, char *out, size_t len)
{
    const char *t = strstr(str(call, "requestURL"), "/tickets/");
    size_t n = t ? strspn(t + strlen("/tickets/"), "0123456789") : 0;
    snprintf(out, len, "%.*s", (int)n, t ? t + strlen("/tickets/") : "");
}

/* Which event each invoke call answers, indexed by event seq (the first call
 * for each). The mock ties a call to the event delivered last to its webhook,
 * which for a receiver that answers first and writes later is often the next
 * one; a call that names a ticket answers, here, the latest event about that
 * ticket raised for its webhook before the call. */
static dm_map *answers_to(const cJSON *all, dm_map *event_for)
{
    dm_map *latest = dm_map_new(), *out = dm_map_new();
    const cJSON *r, *w;
    char key[160], ticket[32];
    cJSON_ArrayForEach(r, all) {
        if (!strcmp(str(r, "kind"), "event") && *ticket_of(r)) {
            cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(r, "webhooks")) {
                snprintf(key, sizeof key, "%s|%s", str(w, "webhookId"), ticket_of(r));
                dm_map_put(latest, key, (void *)r);
            }
        } else if (!strcmp(str(r, "kind"), "invoke") && num(r, "event") > 0) {
            ticket_in(r, ticket, sizeof ticket);
            snprintf(key, sizeof key, "%s|%s", str(r, "webhookId"), ticket);
            const cJSON *ev = *ticket ? dm_map_get(latest, key) : NULL;
            snprintf(key, sizeof key, "%.0f", ev ? num(ev, "seq") : num(r, "event"));
            if (!dm_map_get(out, key)) dm_map_put(out, key, (void *)r);
            snprintf(key, sizeof key, "%.0f", num(r, "seq"));
            if (ev) dm_map_put(event_for, key, (void *)ev);
        }
    }
    dm_map_free(latest);
    return out;
}

typedef struct hop {
    const cJSON *call, *change, *event; /* the call, what it changed, the event it raised */
} hop;

/* The call the receiver made again because its own write came back: call's
 * change raised an event delivered to its own webhook, and a call answers
 * that event. NULL when the chain stops. */
static const cJSON *echo(const cJSON *call, dm_map *change_of, dm_map *event_of, dm_map *invoke_for,
                         hop *h)
{
    h->call = call;
    h->change = by(change_of, num(call, "seq"));
    h->event = h->change ? by(event_of, num(h->change, "seq")) : NULL;
    if (!h->event || !went_to(h->event, str(call, "webhookId"))) return NULL;
    return by(invoke_for, num(h->event, "seq"));
}

int dh_expect_no_loop(dh_mock *m, uint64_t after, int quiet_ms)
{
    dh_report_reset(m);
    cJSON *all = dh_settle(m, after, "invoke,change,event", quiet_ms, quiet_ms * 10 + 2000);
    /* invoke -> its change -> the event that raised -> the invoke answering
     * that event: linear, through indexes (a loop can be thousands deep). A
     * loop feeds itself: three writes in a chain, each answering the echo of
     * the one before, so one call tied to the wrong event is not a loop. */
    dm_map *change_of = index_by(all, "change", "cause");
    dm_map *event_of = index_by(all, "event", "cause");
    dm_map *event_for = dm_map_new(); /* invoke seq -> the event it answers */
    dm_map *invoke_for = answers_to(all, event_for);
    const cJSON *i1;
    int loops = 0;
    cJSON_ArrayForEach(i1, all) {
        if (strcmp(str(i1, "kind"), "invoke") || num(i1, "event") <= 0) continue;
        hop h[2];
        const cJSON *i2 = echo(i1, change_of, event_of, invoke_for, &h[0]);
        const cJSON *i3 = i2 ? echo(i2, change_of, event_of, invoke_for, &h[1]) : NULL;
        if (!i3) continue;
        const char *w = str(i1, "webhookId");
        const cJSON *e1 = by(event_for, num(i1, "seq"));
        char ticket[32];
        ticket_in(i1, ticket, sizeof ticket);
        if (!e1) e1 = find_seq(all, (uint64_t)num(i1, "event"));
        if (e1 && *ticket && *ticket_of(e1) && strcmp(ticket, ticket_of(e1))) e1 = NULL;
        dh_reportf(m, "echo loop: the receiver's own write came back to its own webhook "
                      "and it wrote again, and again:\n");
        if (e1)
            dh_reportf(m, "  event #%.0f %s delivered to webhook %s\n", num(e1, "seq"),
                       str(e1, "eventType"), w);
        else
            dh_reportf(m, "  a delivery to webhook %s (before this case's first record)\n", w);
        for (int k = 0; k < 2; k++) {
            dh_reportf(m, "  -> invoke #%.0f %s %s (sourceId %s)\n", num(h[k].call, "seq"),
                       str(h[k].call, "requestType"), str(h[k].call, "requestURL"),
                       *str(h[k].call, "sourceId") ? str(h[k].call, "sourceId") : "none");
            dh_reportf(m, "  -> change #%.0f: %s %s %s\n", num(h[k].change, "seq"),
                       str(h[k].change, "resource"), str(h[k].change, "action"),
                       str(h[k].change, "id"));
            dh_reportf(m, "  -> event #%.0f %s delivered to the same webhook %s\n",
                       num(h[k].event, "seq"), str(h[k].event, "eventType"), w);
        }
        dh_reportf(m, "  -> invoke #%.0f %s %s again\n", num(i3, "seq"), str(i3, "requestType"),
                   str(i3, "requestURL"));
        dh_reportf(m, "fix: send the webhook's ignoreSourceId as the sourceId header of "
                      "write-backs (invoke's headers), or skip events you caused\n");
        loops = 1;
        break;
    }
    dm_map_free(change_of);
    dm_map_free(event_of);
    dm_map_free(invoke_for);
    dm_map_free(event_for);
    cJSON_Delete(all);
    return loops ? -1 : 0;
}

/* The payload ids an event's writes may name: its own, and its ticket's. */
static int names_event(const cJSON *r, const char *url, const cJSON *ev)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(ev, "payload");
    return dh_call_names(r, url, str(p, "id")) || dh_call_names(r, url, str(p, "ticketId"));
}

/* A plain webhook's REST calls name no event. Among events delivered twice
 * (a duplicate, or a retry after a lost answer), the same write (method, path
 * and body) made twice for one of them. Sets *first, *second and *event. */
static int plain_duplicate(const dh_mock *m, const cJSON *all, const cJSON **first,
                           const cJSON **second, uint64_t *event)
{
    const cJSON *ev, *a, *r;
    const char *url;
    cJSON_ArrayForEach(ev, all) {
        if (strcmp(str(ev, "kind"), "event")) continue;
        int answered = 0;
        cJSON_ArrayForEach(a, all)
            answered += !strcmp(str(a, "kind"), "attempt") && carries(a, seq_of(ev)) &&
                        num(a, "status") == 200;
        if (answered < 2) continue;
        dm_map *seen = dm_map_new();
        int dup = 0;
        cJSON_ArrayForEach(r, all) {
            int st = (int)num(r, "status");
            if (strcmp(str(r, "kind"), "request") || !dh_is_call(m, r, NULL, NULL, &url) ||
                !strcmp(str(r, "method"), "GET") || st < 200 || st >= 300 ||
                num(r, "seq") < num(ev, "seq") || !names_event(r, url, ev))
                continue;
            char *body = cJSON_GetObjectItemCaseSensitive(r, "body")
                             ? dm_json_print(cJSON_GetObjectItemCaseSensitive(r, "body"))
                             : dm_xstrdup("");
            dm_buf key = {0};
            dm_buf_printf(&key, "%s|%s|%s", str(r, "method"), url, body);
            free(body);
            const cJSON *before = dm_map_get(seen, key.data);
            if (!before) dm_map_put(seen, key.data, (void *)r);
            dm_buf_free(&key);
            if (before) {
                *first = before, *second = r, *event = seq_of(ev);
                dup = 1;
                break;
            }
        }
        dm_map_free(seen);
        if (dup) return 1;
    }
    return 0;
}

int dh_expect_no_duplicate_writes(dh_mock *m, uint64_t after, int quiet_ms)
{
    dh_report_reset(m);
    cJSON *all = dh_settle(m, after, "invoke,invoke-result,event,attempt,request", quiet_ms,
                           quiet_ms * 10 + 2000);
    /* one write per (event, method, URL, body): keyed, so linear */
    dm_map *seen = dm_map_new();
    const cJSON *a, *b = NULL;
    int dup = 0;
    cJSON_ArrayForEach(a, all) {
        /* a retry after Desk refused the first (429, 5xx) is not a second write */
        int st = call_status(a, all);
        if (strcmp(str(a, "kind"), "invoke") || !strcmp(str(a, "requestType"), "GET") ||
            num(a, "event") <= 0 || (st >= 0 && (st < 200 || st >= 300)))
            continue;
        dm_buf key = {0};
        dm_buf_printf(&key, "%.0f|%s|%s|", num(a, "event"), str(a, "requestType"),
                      str(a, "requestURL"));
        dm_buf_puts(&key, str(a, "postBody"));
        b = dm_map_get(seen, key.data);
        if (!b) dm_map_put(seen, key.data, (void *)a);
        dm_buf_free(&key);
        if (b) {
            dup = 1;
            break;
        }
    }
    uint64_t event = dup ? (uint64_t)num(a, "event") : 0;
    if (!dup && m->receiver_actor[0]) dup = plain_duplicate(m, all, &b, &a, &event);
    if (dup) {
        const cJSON *ev = find_seq(all, event);
        dh_reportf(m, "the same write was made twice for one event (a redelivered event was "
                      "processed again):\n");
        if (ev) describe_event(m, ev);
        cJSON_ArrayForEach(ev, all)
            if (!strcmp(str(ev, "kind"), "attempt") && carries(ev, event)) describe_attempt(m, ev);
        describe_call(m, b, all);
        describe_call(m, a, all);
        dh_reportf(m, "fix: remember the events you processed (eventType, payload id and "
                      "modifiedTime) and answer repeats with 200 without acting\n");
    }
    dm_map_free(seen);
    cJSON_Delete(all);
    return dup ? -1 : 0;
}

/* ==== Forged deliveries ==== */

/* The payload ids of a forged delivery's events, from the request that asked
 * for it (an empty array when unknown). Owned. */
static cJSON *forged_ids(dh_mock *m, const cJSON *f)
{
    cJSON *ids = cJSON_CreateArray();
    if (!f || num(f, "cause") <= 0) return ids;
    cJSON *reqs = dh_journal(m, (uint64_t)num(f, "cause") - 1, "request");
    const cJSON *req = find_seq(reqs, (uint64_t)num(f, "cause")), *ev;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(req, "body"), "events")) {
        const char *id = dm_json_str(cJSON_GetObjectItemCaseSensitive(ev, "payload"), "id");
        if (id) cJSON_AddItemToArray(ids, cJSON_CreateString(id));
    }
    cJSON_Delete(reqs);
    return ids;
}

static int names_any(const cJSON *r, const char *url, const cJSON *ids)
{
    if (!cJSON_GetArraySize(ids)) return 1;
    const cJSON *id;
    cJSON_ArrayForEach(id, ids)
        if (dh_call_names(r, url, id->valuestring)) return 1;
    return 0;
}

int dh_expect_refused(dh_mock *m, uint64_t forged, int quiet_ms)
{
    dh_report_reset(m);
    cJSON *all = dh_settle(m, forged - 1, "forged,forged-answer,invoke,request,event", quiet_ms,
                           quiet_ms * 10 + 2000);
    const cJSON *f = find_seq(all, forged), *r, *answer = NULL;
    cJSON_ArrayForEach(r, all)
        if (!strcmp(str(r, "kind"), "forged-answer") && num(r, "cause") == (double)forged)
            answer = r;
    int status = answer ? (int)num(answer, "status") : -1;
    /* a call the delivery prompted: made while it was being answered and, when
     * its events carry ids, naming one of them (the receiver may still be
     * writing back for something earlier) */
    cJSON *ids = forged_ids(m, f);
    int acted = 0;
    const char *url;
    cJSON_ArrayForEach(r, all)
        if (dh_is_call(m, r, NULL, NULL, &url) && num(r, "event") == (double)forged &&
            names_any(r, url, ids))
            acted++;
    int ok = status >= 300 && !acted;
    if (!ok) {
        char u[256];
        short_url(f ? str(f, "url") : "", u, sizeof u);
        dh_reportf(m, "expected the receiver to refuse a forged delivery (JWT: %s) to %s",
                   f ? str(f, "jwt") : "?", u);
        dh_reportf(m, " (answer it with a 4xx) and to act on nothing; ");
        if (!answer)
            dh_reportf(m, "it never answered.\n");
        else if (status < 0)
            dh_reportf(m, "it gave no answer (%s).\n", str(answer, "error"));
        else
            dh_reportf(m, "it answered %d.\n", status);
        if (acted) {
            dh_reportf(m, "  and it acted on it:\n");
            cJSON_ArrayForEach(r, all)
                if (dh_is_call(m, r, NULL, NULL, &url) && num(r, "event") == (double)forged &&
                    names_any(r, url, ids))
                    describe_call(m, r, all);
        }
    }
    cJSON_Delete(ids);
    cJSON_Delete(all);
    return ok ? 0 : -1;
}

/* ==== Batches ==== */

/* Does this call name id, in its URL or its body? */
int dh_call_names(const cJSON *r, const char *url, const char *id)
{
    if (!*id) return 0;
    if (strstr(url, id)) return 1;
    const char *body = dm_json_str(r, "postBody");
    if (body && strstr(body, id)) return 1;
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(r, "body");
    if (!b) return 0;
    char *text = dm_json_print(b);
    int hit = strstr(text, id) != NULL;
    free(text);
    return hit;
}

int dh_expect_batch_like_singles(dh_mock *m, uint64_t after, const char *event_type,
                                 const cJSON *single_writes)
{
    dh_report_reset(m);
    const cJSON *per =
        cJSON_GetObjectItemCaseSensitive(single_writes, event_type ? event_type : "");
    if (!cJSON_IsNumber(per) || per->valuedouble < 1)
        return 0; /* singles cause nothing to compare */
    cJSON *all = dh_settle(m, after, "event,attempt,invoke,invoke-result,request", 300, 8000);
    int batched = 0, missed = 0;
    const cJSON *ev, *a, *r;
    cJSON_ArrayForEach(ev, all) {
        if (strcmp(str(ev, "kind"), "event") || strcmp(str(ev, "eventType"), event_type)) continue;
        int in_batch = 0;
        cJSON_ArrayForEach(a, all)
            if (!strcmp(str(a, "kind"), "attempt") && carries(a, seq_of(ev)) &&
                num(a, "status") == 200 &&
                cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "events")) > 1)
                in_batch = 1;
        if (!in_batch) continue;
        batched++;
        const char *id = str(cJSON_GetObjectItemCaseSensitive(ev, "payload"), "id");
        int calls = 0;
        const char *url;
        cJSON_ArrayForEach(r, all)
            calls += dh_is_call(m, r, NULL, NULL, &url) && dh_call_names(r, url, id);
        if (calls) continue;
        if (!missed++)
            dh_reportf(m,
                       "a single %s delivery made the receiver call Desk %.0f time(s), but events "
                       "delivered together in one POST (a JSON array) did not each do so; no call "
                       "named these:\n",
                       event_type, per->valuedouble);
        if (missed <= 5)
            dh_reportf(m, "  event #%.0f %s (payload.id %s)\n", num(ev, "seq"), event_type, id);
    }
    if (missed > 5) dh_reportf(m, "  ... and %d more\n", missed - 5);
    if (missed)
        dh_reportf(m,
                   "%d of %d batched events were handled. fix: Desk posts a JSON array of up to "
                   "many events; handle every element, not only the first\n",
                   batched - missed, batched);
    cJSON_Delete(all);
    return missed ? -1 : 0;
}
