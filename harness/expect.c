/* expect.c -- expectations judged from the journal. Each waits with
 * long-polls until it is met or its time is up, then, on failure, writes a
 * report that quotes the records a developer needs: what was sent, what came
 * back, what the receiver did next. */
#include "harness/internal.h"
#include "util/clock.h"
#include "util/jpath.h"
#include "util/json.h"

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
            while (*p == '*') p++;
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
    while ((r = cJSON_DetachItemFromArray(from, 0))) cJSON_AddItemToArray(into, r);
    cJSON_Delete(from);
}

static uint64_t last_seq(const cJSON *recs, uint64_t dflt)
{
    int n = cJSON_GetArraySize(recs);
    return n ? seq_of(cJSON_GetArrayItem(recs, n - 1)) : dflt;
}

static const cJSON *find_seq(const cJSON *recs, uint64_t seq)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, recs) if (seq_of(r) == seq) return r;
    return NULL;
}

/* Records after `after` once the journal has been quiet for quiet_ms, or
 * after cap_ms in all (a receiver in a loop never goes quiet). */
static cJSON *settle(dh_mock *m, uint64_t after, int quiet_ms, int cap_ms)
{
    cJSON *all = cJSON_CreateArray();
    int64_t end = dm_mono_ms() + cap_ms;
    uint64_t cursor = after;
    for (;;) {
        cJSON *got = dh_journal_wait(m, cursor, NULL, quiet_ms);
        int n = cJSON_GetArraySize(got);
        cursor = last_seq(got, cursor);
        append_all(all, got);
        /* something happened: go on until a quiet stretch follows it */
        if (!n || dm_mono_ms() >= end) break;
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
        if (strcmp(str(w, "fate"), "dropped") == 0)
            dh_reportf(m, "    webhook %s: not delivered (%s)\n", str(w, "webhookId"), str(w, "reason"));
    }
}

static int carries(const cJSON *attempt, uint64_t event)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(attempt, "events")) if (
        cJSON_IsNumber(e) && (uint64_t)e->valuedouble == event) return 1;
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
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "duplicate"))) dh_reportf(m, " (a duplicate)");
    dh_reportf(m, "\n");
}

/* Calls the receiver made: invoke records, and Desk requests made with an
 * extension's token. */
static int is_call(const cJSON *r, const char *method, const char *url_glob, const char **url)
{
    const char *kind = str(r, "kind");
    if (strcmp(kind, "invoke") == 0) {
        *url = str(r, "requestURL");
        return (!method || strcmp(method, str(r, "requestType")) == 0) && glob(url_glob, *url);
    }
    if (strcmp(kind, "request") == 0 && strcmp(str(r, "as"), "extension") == 0) {
        *url = str(r, "path");
        return (!method || strcmp(method, str(r, "method")) == 0) && glob(url_glob, *url);
    }
    return 0;
}

static void describe_call(dh_mock *m, const cJSON *r, const cJSON *all)
{
    const char *kind = str(r, "kind");
    if (strcmp(kind, "invoke") == 0) {
        dh_reportf(m, "  invoke #%.0f %s %s -> ", num(r, "seq"), str(r, "requestType"),
                   str(r, "requestURL"));
        if (num(r, "statusCode") >= 0) dh_reportf(m, "%.0f", num(r, "statusCode"));
        else dh_reportf(m, "(answered later)");
        if (num(r, "event") > 0) {
            const cJSON *ev = find_seq(all, (uint64_t)num(r, "event"));
            if (ev && !strcmp(str(ev, "kind"), "event"))
                dh_reportf(m, ", made while handling #%.0f %s", num(r, "event"), str(ev, "eventType"));
            else
                dh_reportf(m, ", made while handling the delivery #%.0f", num(r, "event"));
        }
        if (*str(r, "sourceId")) dh_reportf(m, ", sourceId %s", str(r, "sourceId"));
        dh_reportf(m, "\n");
    } else {
        dh_reportf(m, "  request #%.0f %s %s -> %.0f (extension token)\n", num(r, "seq"),
                   str(r, "method"), str(r, "path"), num(r, "status"));
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
        int64_t left = end - dm_mono_ms();
        cJSON *got = dh_journal_wait(m, cursor, "event,attempt,fate", left > 0 ? (int)left : 0);
        cursor = last_seq(got, cursor);
        append_all(all, got);
        const cJSON *ev, *a;
        cJSON_ArrayForEach(ev, all) {
            if (!event_matches(ev, event_type, path, value)) continue;
            cJSON_ArrayForEach(a, all) {
                if (strcmp(str(a, "kind"), "attempt") || !carries(a, seq_of(ev))) continue;
                if (num(a, "status") == 200 && num(a, "latencyMs") <= (double)within_ms) met = 1;
            }
        }
        if (met || dm_mono_ms() >= end) break;
    }
    if (!met) {
        dh_reportf(m, "expected a %s delivery", event_type);
        if (path) dh_reportf(m, " with payload.%s = %s", path, value ? value : "null");
        dh_reportf(m, " answered 200 within %lld ms (after journal #%llu); waited %d ms.\n",
                   (long long)within_ms, (unsigned long long)after, timeout_ms);
        int events = 0;
        const cJSON *ev, *a;
        cJSON_ArrayForEach(ev, all) {
            if (!event_matches(ev, event_type, path, value)) continue;
            events++;
            describe_event(m, ev);
            int tries = 0;
            cJSON_ArrayForEach(a, all) if (!strcmp(str(a, "kind"), "attempt") && carries(a, seq_of(ev))) {
                describe_attempt(m, a);
                tries++;
            }
            if (!tries) dh_reportf(m, "    no delivery attempt yet\n");
        }
        if (!events) {
            dh_reportf(m, "  no matching %s event was raised; events raised:", event_type);
            int any = 0;
            cJSON_ArrayForEach(ev, all) if (!strcmp(str(ev, "kind"), "event")) {
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
    dh_report_reset(m);
    int64_t end = dm_mono_ms() + timeout_ms;
    cJSON *all = cJSON_CreateArray();
    uint64_t cursor = after;
    int count = 0;
    for (;;) {
        int64_t left = end - dm_mono_ms();
        cJSON *got = dh_journal_wait(m, cursor, NULL, left > 0 ? (int)left : 0);
        cursor = last_seq(got, cursor);
        append_all(all, got);
        count = 0;
        const cJSON *r;
        const char *url;
        cJSON_ArrayForEach(r, all) count += is_call(r, method, url_glob, &url);
        if (count >= min || dm_mono_ms() >= end) break;
    }
    int ok = count >= min;
    if (!ok) {
        dh_reportf(m, "expected the receiver to call %s %s at least %d time%s after journal #%llu; "
                      "it did %d time%s in %d ms. Its calls:\n",
                   method ? method : "*", url_glob ? url_glob : "*", min, min == 1 ? "" : "s",
                   (unsigned long long)after, count, count == 1 ? "" : "s", timeout_ms);
        const cJSON *r;
        const char *url;
        int any = 0;
        cJSON_ArrayForEach(r, all) if (is_call(r, NULL, NULL, &url)) describe_call(m, r, all), any = 1;
        if (!any) dh_reportf(m, "  none\n");
    }
    cJSON_Delete(all);
    return ok ? 0 : -1;
}

int dh_expect_no_call(dh_mock *m, uint64_t after, const char *method, const char *url_glob,
                      int quiet_ms)
{
    dh_report_reset(m);
    cJSON *all = settle(m, after, quiet_ms, quiet_ms * 10 + 1000);
    int count = 0;
    const cJSON *r;
    const char *url;
    cJSON_ArrayForEach(r, all) count += is_call(r, method, url_glob, &url);
    if (count) {
        dh_reportf(m, "expected no call %s %s after journal #%llu; the receiver made %d:\n",
                   method ? method : "*", url_glob ? url_glob : "*", (unsigned long long)after, count);
        cJSON_ArrayForEach(r, all) if (is_call(r, method, url_glob, &url)) describe_call(m, r, all);
    }
    cJSON_Delete(all);
    return count ? -1 : 0;
}

/* ==== Loops and duplicates ==== */

/* An event that reached webhook w (queued for it, not dropped). */
static int went_to(const cJSON *ev, const char *w)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(ev, "webhooks")) if (
        !strcmp(str(t, "webhookId"), w) && !strcmp(str(t, "fate"), "queued")) return 1;
    return 0;
}

int dh_expect_no_loop(dh_mock *m, uint64_t after, int quiet_ms)
{
    dh_report_reset(m);
    cJSON *all = settle(m, after, quiet_ms, quiet_ms * 10 + 2000);
    const cJSON *i1, *c, *e2, *i2;
    int loops = 0;
    cJSON_ArrayForEach(i1, all) {
        if (strcmp(str(i1, "kind"), "invoke") || num(i1, "event") <= 0 || loops) continue;
        const char *w = str(i1, "webhookId");
        cJSON_ArrayForEach(c, all) {
            if (strcmp(str(c, "kind"), "change") || num(c, "cause") != num(i1, "seq") || loops) continue;
            cJSON_ArrayForEach(e2, all) {
                if (strcmp(str(e2, "kind"), "event") || num(e2, "cause") != num(c, "seq") ||
                    !went_to(e2, w) || loops)
                    continue;
                cJSON_ArrayForEach(i2, all) {
                    if (strcmp(str(i2, "kind"), "invoke") || num(i2, "event") != num(e2, "seq")) continue;
                    const cJSON *e1 = find_seq(all, (uint64_t)num(i1, "event"));
                    dh_reportf(m, "echo loop: the receiver's own write came back to its own webhook "
                                  "and it wrote again:\n");
                    if (e1) dh_reportf(m, "  event #%.0f %s delivered to webhook %s\n", num(e1, "seq"),
                                       str(e1, "eventType"), w);
                    else dh_reportf(m, "  a delivery (#%.0f) to webhook %s\n", num(i1, "event"), w);
                    dh_reportf(m, "  -> invoke #%.0f %s %s (sourceId %s)\n", num(i1, "seq"),
                               str(i1, "requestType"), str(i1, "requestURL"),
                               *str(i1, "sourceId") ? str(i1, "sourceId") : "none");
                    dh_reportf(m, "  -> change #%.0f: %s %s %s\n", num(c, "seq"), str(c, "resource"),
                               str(c, "action"), str(c, "id"));
                    dh_reportf(m, "  -> event #%.0f %s delivered to the same webhook %s\n",
                               num(e2, "seq"), str(e2, "eventType"), w);
                    dh_reportf(m, "  -> invoke #%.0f %s %s again\n", num(i2, "seq"),
                               str(i2, "requestType"), str(i2, "requestURL"));
                    dh_reportf(m, "fix: send the webhook's ignoreSourceId as the sourceId header of "
                                  "write-backs (invoke's headers), or skip events you caused\n");
                    loops = 1;
                    break;
                }
            }
        }
    }
    cJSON_Delete(all);
    return loops ? -1 : 0;
}

int dh_expect_no_duplicate_writes(dh_mock *m, uint64_t after, int quiet_ms)
{
    dh_report_reset(m);
    cJSON *all = settle(m, after, quiet_ms, quiet_ms * 10 + 2000);
    const cJSON *a, *b;
    int dup = 0;
    cJSON_ArrayForEach(a, all) {
        if (strcmp(str(a, "kind"), "invoke") || !strcmp(str(a, "requestType"), "GET") ||
            num(a, "event") <= 0 || dup)
            continue;
        for (b = a->next; b && !dup; b = b->next) {
            if (strcmp(str(b, "kind"), "invoke") || num(b, "event") != num(a, "event") ||
                strcmp(str(a, "requestType"), str(b, "requestType")) ||
                strcmp(str(a, "requestURL"), str(b, "requestURL")) ||
                strcmp(str(a, "postBody"), str(b, "postBody")))
                continue;
            dup = 1;
            const cJSON *ev = find_seq(all, (uint64_t)num(a, "event"));
            dh_reportf(m, "the same write was made twice for one event (a redelivered event was "
                          "processed again):\n");
            if (ev) describe_event(m, ev);
            cJSON_ArrayForEach(ev, all) if (!strcmp(str(ev, "kind"), "attempt") &&
                                            carries(ev, (uint64_t)num(a, "event"))) describe_attempt(m, ev);
            describe_call(m, a, all);
            describe_call(m, b, all);
            dh_reportf(m, "fix: remember the events you processed (eventType, payload id and "
                          "modifiedTime) and answer repeats with 200 without acting\n");
        }
    }
    cJSON_Delete(all);
    return dup ? -1 : 0;
}

/* ==== Forged deliveries ==== */

int dh_expect_refused(dh_mock *m, uint64_t forged, int quiet_ms)
{
    dh_report_reset(m);
    cJSON *all = settle(m, forged - 1, quiet_ms, quiet_ms * 10 + 2000);
    const cJSON *f = find_seq(all, forged), *r, *answer = NULL;
    cJSON_ArrayForEach(r, all) if (!strcmp(str(r, "kind"), "forged-answer") && num(r, "cause") == (double)forged)
        answer = r;
    int status = answer ? (int)num(answer, "status") : -1;
    int acted = 0;
    const char *url;
    cJSON_ArrayForEach(r, all) if (is_call(r, NULL, NULL, &url) && num(r, "event") == (double)forged) acted++;
    int ok = status >= 300 && !acted;
    if (!ok) {
        char u[256];
        short_url(f ? str(f, "url") : "", u, sizeof u);
        dh_reportf(m, "expected the receiver to refuse a forged delivery (JWT: %s) to %s", f ? str(f, "jwt") : "?", u);
        dh_reportf(m, " (answer it with a 4xx) and to act on nothing; ");
        if (!answer) dh_reportf(m, "it never answered.\n");
        else if (status < 0) dh_reportf(m, "it gave no answer (%s).\n", str(answer, "error"));
        else dh_reportf(m, "it answered %d.\n", status);
        if (acted) {
            dh_reportf(m, "  and it acted on it:\n");
            cJSON_ArrayForEach(r, all) if (is_call(r, NULL, NULL, &url) && num(r, "event") == (double)forged)
                describe_call(m, r, all);
        }
    }
    cJSON_Delete(all);
    return ok ? 0 : -1;
}
