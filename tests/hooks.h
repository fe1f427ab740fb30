/* hooks.h -- helpers shared by the tests that talk to a mock over its APIs
 * (test_events.c, test_delivery.c, test_webhooks_api.c, test_jwt.c, and the
 * Desk API tests test_tickets.c, test_convo.c, test_people.c,
 * test_journal_api.c): statuses and field errors, creating webhooks, and
 * reading or waiting on the journal. Header-only (static inline), so each
 * test binary takes what it uses. */
#ifndef DMT_HOOKS_H
#define DMT_HOOKS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "receiver.h"
#include "support.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fixed virtual start, so eventTime and iat are known: 2024-07-02T09:40:22Z. */
#define DMH_T0     1719913222000LL
#define DMH_T0_STR "1719913222000"

#define DMH_UUID_A "3f2b8c1e-5a47-4d2e-9b61-0c8e7d9a1f20"
#define DMH_UUID_B "9d0c6e2a-1b3f-4a58-8c7d-2e4f6a8b0c13"

/* Options for a mock on a virtual clock that starts at DMH_T0. */
static inline dm_app_opts dmh_virtual_opts(void)
{
    dm_app_opts o = {0};
    o.clock_virtual = 1;
    o.clock_start = DMH_T0;
    return o;
}

static inline void dmh_status(const dmt_resp *r, long status)
{
    if (r->status != status) fail_msg("expected %ld, got %ld: %s", status, r->status, r->body);
}

/* r's parsed body (owned by the caller; NULL when it was not JSON); frees
 * the rest of r. */
static inline cJSON *dmh_take(dmt_resp *r)
{
    cJSON *j = r->json;
    r->json = NULL;
    dmt_resp_free(r);
    return j;
}

/* GET path on the Desk API as the admin; asserts 200; the body (owned). */
static inline cJSON *dmh_get_json(dmt_mock *m, const char *path)
{
    dmt_resp r = dmt_api(m, "GET", path, DMT_ADMIN, NULL);
    dmh_status(&r, 200);
    return dmh_take(&r);
}

/* An ISO time as the mock writes it: 24 characters with milliseconds. */
static inline int dmh_is_iso_ms(const char *s)
{
    int64_t ms;
    return s && strlen(s) == 24 && s[19] == '.' && dm_iso_parse(s, &ms) == 0;
}

/* The "data" array of a 200 list answer (borrowed from r). */
static inline const cJSON *dmh_data(const dmt_resp *r)
{
    dmh_status(r, 200);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(r->json, "data");
    assert_true(cJSON_IsArray(d));
    return d;
}

static inline uint64_t dmh_u64(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("no number %s in %s", key, o ? cJSON_PrintUnformatted(o) : "null");
    return (uint64_t)v->valuedouble;
}

/* Creates a webhook: {"name","url","subscriptions":subs<extra>}; extra is
 * more members, each starting with a comma ("" for none). Asserts 200 and
 * copies the new id into id. */
static inline void dmh_create(dmt_mock *m, const char *url, const char *subs, const char *extra,
                              char id[32])
{
    char body[8192];
    snprintf(body, sizeof body, "{\"name\":\"hook\",\"url\":\"%s\",\"subscriptions\":%s%s}", url,
             subs, extra ? extra : "");
    dmt_resp r = dmt_api(m, "POST", "/api/v1/webhooks", DMT_ADMIN, body);
    dmh_status(&r, 200);
    const char *got = dmt_str(r.json, "id");
    assert_non_null(got);
    snprintf(id, 32, "%s", got);
    dmt_resp_free(&r);
}

/* GET /mock/v1/journal?<query>: the data array (owned by the caller). */
static inline cJSON *dmh_journal(dmt_mock *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline cJSON *dmh_journal(dmt_mock *m, const char *fmt, ...)
{
    char q[512], path[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof path, "/mock/v1/journal?%s", q);
    dmt_resp r = dmt_ctl(m, "GET", path, NULL);
    dmh_status(&r, 200);
    cJSON *data = cJSON_DetachItemFromObjectCaseSensitive(r.json, "data");
    dmt_resp_free(&r);
    assert_true(cJSON_IsArray(data));
    return data;
}

/* The journal's last seq now. */
static inline uint64_t dmh_last_seq(dmt_mock *m)
{
    dmt_resp r = dmt_ctl(m, "GET", "/mock/v1/health", NULL);
    dmh_status(&r, 200);
    uint64_t seq = dmh_u64(r.json, "lastSeq");
    dmt_resp_free(&r);
    return seq;
}

/* Waits, by journal long-polls, until at least n records of kind arrived
 * after seq `after`; returns them all (owned). Fails the test when a
 * 5-second poll brings nothing new twice in a row. */
static inline cJSON *dmh_wait_kind(dmt_mock *m, const char *kind, uint64_t after, int n)
{
    cJSON *all = cJSON_CreateArray();
    int idle = 0;
    while (cJSON_GetArraySize(all) < n) {
        cJSON *got = dmh_journal(m, "after=%llu&kind=%s&wait=5000&limit=100000",
                                 (unsigned long long)after, kind);
        int k = cJSON_GetArraySize(got);
        if (!k && ++idle >= 2)
            fail_msg("waited for %d %s records after %llu, got %d", n, kind,
                     (unsigned long long)after, cJSON_GetArraySize(all));
        if (k) idle = 0;
        while (got->child) {
            cJSON *rec = cJSON_DetachItemViaPointer(got, got->child);
            after = dmh_u64(rec, "seq");
            cJSON_AddItemToArray(all, rec);
        }
        cJSON_Delete(got);
    }
    return all;
}

/* seq of the most recent request record. */
static inline uint64_t dmh_last_request_seq(dmt_mock *m)
{
    cJSON *recs = dmh_journal(m, "kind=request");
    int n = cJSON_GetArraySize(recs);
    assert_true(n > 0);
    uint64_t seq = dmh_u64(cJSON_GetArrayItem(recs, n - 1), "seq");
    cJSON_Delete(recs);
    return seq;
}

/* The change records caused by request seq (owned). */
static inline cJSON *dmh_changes_caused_by(dmt_mock *m, uint64_t seq)
{
    return dmh_journal(m, "kind=change&cause=%llu", (unsigned long long)seq);
}

static inline cJSON *dmh_wait_fates(dmt_mock *m, uint64_t after, int n)
{
    return dmh_wait_kind(m, "fate", after, n);
}

/* The first record in recs whose key equals the string want, or NULL. */
static inline const cJSON *dmh_find(const cJSON *recs, const char *key, const char *want)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, recs) {
        const char *v = dmt_str(x, key);
        if (v && strcmp(v, want) == 0) return x;
    }
    return NULL;
}

/* The fate record in fates for event seq at webhook id; fails when there is
 * not exactly one. */
static inline const cJSON *dmh_fate_of(const cJSON *fates, uint64_t event, const char *webhook)
{
    const cJSON *x, *hit = NULL;
    int n = 0;
    cJSON_ArrayForEach(x, fates) {
        if (dmh_u64(x, "event") == event && strcmp(dmt_str(x, "webhookId"), webhook) == 0) {
            hit = x;
            n++;
        }
    }
    if (n != 1)
        fail_msg("event %llu at webhook %s has %d fates", (unsigned long long)event, webhook, n);
    return hit;
}

/* The single "event" record after seq `after` (fails if not exactly one). */
static inline cJSON *dmh_one_event(dmt_mock *m, uint64_t after)
{
    cJSON *evs = dmh_journal(m, "after=%llu&kind=event", (unsigned long long)after);
    if (cJSON_GetArraySize(evs) != 1)
        fail_msg("expected one event after %llu, got %d", (unsigned long long)after,
                 cJSON_GetArraySize(evs));
    cJSON *ev = cJSON_DetachItemFromArray(evs, 0);
    cJSON_Delete(evs);
    return ev;
}

/* The POST body's only element (fails unless the body is a one-element array). */
static inline const cJSON *dmh_only_element(const dmt_hit *h)
{
    assert_non_null(h);
    if (!cJSON_IsArray(h->json) || cJSON_GetArraySize(h->json) != 1)
        fail_msg("expected a one-element JSON array, got %s", h->body);
    return cJSON_GetArrayItem(h->json, 0);
}

/* Asserts a 422 INVALID_DATA naming field (a JSON pointer) with errorType;
 * returns that error's message. */
static inline const char *dmh_field_error(const dmt_resp *r, const char *field, const char *type)
{
    dmt_assert_error(r, 422, "INVALID_DATA");
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r->json, "errors")) {
        const char *f = dmt_str(e, "fieldName");
        if (f && strcmp(f, field) == 0) {
            assert_string_equal(dmt_str(e, "errorType"), type);
            return dmt_str(e, "errorMessage");
        }
    }
    fail_msg("no error for %s in %s", field, r->body);
    return NULL;
}

#endif
