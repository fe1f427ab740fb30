/* scenario.c -- runs a conformance scenario (fixtures/scenarios/README.md):
 * reset the mock, install the extension with its webhook pointed at the
 * receiver, run the steps, judge the expectations. Data in, a verdict and a
 * report out; the runner knows nothing about any particular receiver. */
#include "harness/internal.h"
#include "util/clock.h"
#include "util/jpath.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef dh_run run;

/* ==== Variables ==== */

void dh_run_var(run *r, const char *name, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        dm_json_set_str(r->vars, name, v->valuestring);
    } else if (v) {
        char *s = dm_json_print(v);
        dm_json_set_str(r->vars, name, s);
        free(s);
    }
}

/* ${text:N}: N bytes of ordinary support-ticket prose, in several scripts
 * and with emoji, whole characters only (a big thread, a long subject). */
static void text_of(dm_buf *b, long n)
{
    static const char *const words[] = {"The printer on the third floor is jammed again. ",
                                        "Bitte um Rückruf. ",
                                        "請儘快回覆。",
                                        "Заказ не доставлен. ",
                                        "¿Dónde está mi pedido? ",
                                        "🔥🖨️ ",
                                        "टिकट अभी भी खुला है। ",
                                        "<b>Urgent</b> &amp; important. "};
    size_t start = b->len, i = 0;
    if (n > 16 * 1024 * 1024) n = 16 * 1024 * 1024;
    while (n > 0 && b->len - start < (size_t)n) {
        const char *w = words[i++ % (sizeof words / sizeof words[0])];
        if (b->len - start + strlen(w) > (size_t)n) w = "x";
        dm_buf_puts(b, w);
    }
}

/* Replaces ${name} in s; unknown names stay as they are. Owned result. */
static char *expand(run *r, const char *s)
{
    dm_buf b = {0};
    dm_buf_append(&b, "", 0);
    while (*s) {
        const char *end;
        if (s[0] == '$' && s[1] == '{' && (end = strchr(s + 2, '}'))) {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)(end - s - 2), s + 2);
            const char *v = dm_json_str(r->vars, name);
            if (!v && strncmp(name, "text:", 5) == 0) {
                text_of(&b, strtol(name + 5, NULL, 10));
                s = end + 1;
                continue;
            }
            if (v) {
                dm_buf_puts(&b, v);
                s = end + 1;
                continue;
            }
        }
        dm_buf_putc(&b, *s++);
    }
    return dm_buf_steal(&b);
}

static void expand_tree(run *r, cJSON *node)
{
    if (node->string && strcmp(node->string, "repeat") == 0) return; /* expanded per repetition */
    if (cJSON_IsString(node)) {
        char *v = expand(r, node->valuestring);
        cJSON_SetValuestring(node, v);
        free(v);
        return;
    }
    cJSON *c;
    cJSON_ArrayForEach(c, node)
        expand_tree(r, c);
}

/* Saves response fields into variables: {"var": "path.in.json"}. */
static void save(run *r, const cJSON *spec, const cJSON *json)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, spec)
        if (cJSON_IsString(s)) dh_run_var(r, s->string, dm_jpath_get(json, s->valuestring));
}

/* ==== Steps ==== */

static int num_or(const cJSON *o, const char *key, int dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (int)v->valuedouble : dflt;
}

static int step(run *r, cJSON *st);

/* A fixture's event as a delivery element: the fixture minus _fixture. */
static cJSON *fixture_event(run *r, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "/mock/v1/fixtures/%s", name);
    dh_response resp;
    if (dh_ok(r->m, "GET", path, NULL, NULL, &resp)) return NULL;
    cJSON *fx = resp.json;
    resp.json = NULL;
    dh_response_free(&resp);
    cJSON_DeleteItemFromObjectCaseSensitive(fx, "_fixture");
    dm_json_set_str(fx, "orgId", r->m->org_id);
    return fx;
}

static int expect(run *r, const cJSON *ex);
static int reinstall(run *r);

/* {"count": N, "step": {...}}: the step N times, with ${i} = 1..N. */
static int repeat(run *r, const cJSON *x)
{
    int n = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(x, "count"))
                ? (int)cJSON_GetObjectItemCaseSensitive(x, "count")->valuedouble
                : 0;
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(x, "step");
    for (int i = 1; i <= n; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        dm_json_set_str(r->vars, "i", v);
        cJSON *copy = cJSON_Duplicate(body, 1);
        expand_tree(r, copy);
        int rc = step(r, copy);
        cJSON_Delete(copy);
        if (rc) {
            dh_reportf(r->m, "(repetition %d of %d failed)\n", i, n);
            return -1;
        }
    }
    return 0;
}

static int step(run *r, cJSON *st)
{
    dh_mock *m = r->m;
    const cJSON *saves = cJSON_GetObjectItemCaseSensitive(st, "save");
    cJSON *x;
    dh_response resp = {0};
    int rc = 0;
    if ((x = cJSON_GetObjectItemCaseSensitive(st, "request"))) {
        const char *as = dm_json_str(x, "as");
        rc = dh_ok_json(r->m, dm_json_str(x, "method") ? dm_json_str(x, "method") : "GET",
                        dm_json_str(x, "path"), as ? as : "admin",
                        cJSON_GetObjectItemCaseSensitive(x, "body"), &resp);
    } else if ((x = cJSON_GetObjectItemCaseSensitive(st, "trigger"))) {
        rc = dh_ok_json(r->m, "POST", "/mock/v1/events", NULL, x, &resp);
    } else if ((x = cJSON_GetObjectItemCaseSensitive(st, "fixture"))) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "fixture", dm_json_str(x, "name"));
        cJSON *set = cJSON_GetObjectItemCaseSensitive(x, "set");
        if (set) cJSON_AddItemToObject(b, "set", cJSON_Duplicate(set, 1));
        rc = dh_ok_json(r->m, "POST", "/mock/v1/events", NULL, b, &resp);
        cJSON_Delete(b);
    } else if ((x = cJSON_GetObjectItemCaseSensitive(st, "forge"))) {
        cJSON *b = cJSON_Duplicate(x, 1);
        dm_json_set_str(b, "webhookId", dm_json_str(r->vars, "webhookId"));
        const char *fx = dm_json_str(b, "fixture");
        if (fx) {
            cJSON *ev = fixture_event(r, fx);
            if (!ev) {
                cJSON_Delete(b);
                return -1;
            }
            const cJSON *over = cJSON_GetObjectItemCaseSensitive(b, "set"), *o;
            char why[160];
            cJSON_ArrayForEach(o, over)
                dm_jpath_set(ev, o->string, cJSON_Duplicate(o, 1), why, sizeof why);
            cJSON *arr = cJSON_CreateArray();
            cJSON_AddItemToArray(arr, ev);
            cJSON_DeleteItemFromObjectCaseSensitive(b, "fixture");
            cJSON_DeleteItemFromObjectCaseSensitive(b, "set");
            cJSON_AddItemToObject(b, "events", arr);
        }
        rc = dh_ok_json(r->m, "POST", "/mock/v1/deliveries", NULL, b, &resp);
        cJSON_Delete(b);
    } else if ((x = cJSON_GetObjectItemCaseSensitive(st, "faults"))) {
        rc = dh_ok_json(r->m, "PUT", "/mock/v1/faults", NULL, x, &resp);
    } else if ((x = cJSON_GetObjectItemCaseSensitive(st, "settings"))) {
        char *text = dm_json_print(x);
        rc = dh_settings(m, text); /* keeps the harness's idea of the timeout true */
        free(text);
    } else if ((x = cJSON_GetObjectItemCaseSensitive(st, "clock"))) {
        rc = dh_ok_json(r->m, "POST", "/mock/v1/clock", NULL, x, &resp);
    } else if ((x = cJSON_GetObjectItemCaseSensitive(st, "control"))) {
        rc = dh_ok_json(r->m, dm_json_str(x, "method") ? dm_json_str(x, "method") : "POST",
                        dm_json_str(x, "path"), NULL, cJSON_GetObjectItemCaseSensitive(x, "body"),
                        &resp);
    } else if ((x = cJSON_GetObjectItemCaseSensitive(st, "expect"))) {
        rc = expect(r, x);
    } else if ((x = cJSON_GetObjectItemCaseSensitive(st, "repeat"))) {
        rc = repeat(r, x);
    } else if ((x = cJSON_GetObjectItemCaseSensitive(st, "reinstall"))) {
        rc = reinstall(r);
    } else if ((x = cJSON_GetObjectItemCaseSensitive(st, "quiet"))) {
        /* let the receiver finish: wait until nothing new is journaled, but
         * not forever (a receiver in a loop never goes quiet) */
        int ms = cJSON_IsNumber(x) ? (int)x->valuedouble : 300;
        dh_journal_quiet(m, dh_mark(m), ms, 10 * ms + 2000);
    } else {
        char *s = dm_json_print(st);
        dh_reportf(m, "unknown step %.200s\n", s);
        free(s);
        return -1;
    }
    if (!rc && saves) save(r, saves, resp.json);
    dh_response_free(&resp);
    return rc;
}

/* ==== Expectations ==== */

static uint64_t seq_var(run *r, const char *text)
{
    char *s = expand(r, text);
    uint64_t v = strtoull(s, NULL, 10);
    free(s);
    return v;
}

static int expect(run *r, const cJSON *ex)
{
    dh_mock *m = r->m;
    int wait = (int)m->timeout_ms + 3000;
    const cJSON *x;
    if ((x = cJSON_GetObjectItemCaseSensitive(ex, "delivered"))) {
        /* where: every path must match; the harness takes one, so the others
         * are checked on the event it found */
        const cJSON *where = cJSON_GetObjectItemCaseSensitive(x, "where");
        const cJSON *w = where ? where->child : NULL;
        char *value = NULL;
        if (w) value = cJSON_IsString(w) ? dm_xstrdup(w->valuestring) : dm_json_print(w);
        int min = num_or(x, "min", 1), rc = 0;
        uint64_t after = r->start;
        const char *type = dm_json_str(x, "eventType");
        for (int i = 0; i < min && !rc; i++) {
            rc = dh_expect_delivered(m, after, type, w ? w->string : NULL, value,
                                     num_or(x, "withinMs", 0), num_or(x, "timeoutMs", wait));
            if (rc) break;
            /* the next one must be a later event: find this one, and check the
             * remaining where paths on it */
            cJSON *evs = dh_journal(m, after, "event");
            const cJSON *ev, *hit = NULL;
            cJSON_ArrayForEach(ev, evs)
                if (!hit && !strcmp(dm_json_str(ev, "eventType"), type)) hit = ev;
            if (hit) {
                after = (uint64_t)cJSON_GetObjectItemCaseSensitive(hit, "seq")->valuedouble;
                const cJSON *payload = cJSON_GetObjectItemCaseSensitive(hit, "payload"), *k;
                for (k = w ? w->next : NULL; k; k = k->next) {
                    const cJSON *got = dm_jpath_get(payload, k->string);
                    if (!got || !cJSON_Compare(got, k, 1)) {
                        char *want = dm_json_print(k),
                             *had = got ? dm_json_print(got) : dm_xstrdup("(absent)");
                        dh_reportf(m, "the %s delivery #%llu has payload.%s = %s, expected %s\n",
                                   type, (unsigned long long)after, k->string, had, want);
                        free(want);
                        free(had);
                        rc = -1;
                    }
                }
            }
            cJSON_Delete(evs);
        }
        free(value);
        return rc;
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(ex, "call")))
        return dh_expect_call_ok(m, r->start, dm_json_str(x, "method"), dm_json_str(x, "url"),
                                 num_or(x, "min", 1), num_or(x, "timeoutMs", wait),
                                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "ok")));
    if ((x = cJSON_GetObjectItemCaseSensitive(ex, "batchLikeSingles")))
        return dh_expect_batch_like_singles(m, r->start, dm_json_str(x, "eventType"),
                                            r->single_writes);
    if ((x = cJSON_GetObjectItemCaseSensitive(ex, "noCall")))
        return dh_expect_no_call(m, r->start, dm_json_str(x, "method"), dm_json_str(x, "url"),
                                 num_or(x, "quietMs", 300));
    if ((x = cJSON_GetObjectItemCaseSensitive(ex, "noLoop")))
        return dh_expect_no_loop(m, r->start, num_or(x, "quietMs", 400));
    if ((x = cJSON_GetObjectItemCaseSensitive(ex, "noDuplicateWrites")))
        return dh_expect_no_duplicate_writes(m, r->start, num_or(x, "quietMs", 400));
    if ((x = cJSON_GetObjectItemCaseSensitive(ex, "refused")))
        return dh_expect_refused(m, seq_var(r, cJSON_IsString(x) ? x->valuestring : ""),
                                 num_or(ex, "quietMs", 75));
    if ((x = cJSON_GetObjectItemCaseSensitive(ex, "answered"))) {
        uint64_t f = seq_var(r, dm_json_str(x, "forged") ? dm_json_str(x, "forged") : "");
        int want = num_or(x, "status", 200);
        cJSON *recs = dh_journal_wait(m, f, "forged-answer", wait);
        const cJSON *a, *hit = NULL;
        cJSON_ArrayForEach(a, recs)
            if (num_or(a, "cause", 0) == (int)f) hit = a;
        int got = hit ? num_or(hit, "status", 0) : 0;
        if (got != want) {
            dh_reportf(m, "expected the receiver to answer the delivery #%llu with %d; it ",
                       (unsigned long long)f, want);
            if (!hit)
                dh_reportf(m, "never answered\n");
            else if (!got)
                dh_reportf(m, "gave no answer (%s)\n",
                           dm_json_str(hit, "error") ? dm_json_str(hit, "error") : "?");
            else
                dh_reportf(m, "answered %d: %.200s\n", got,
                           dm_json_str(hit, "response") ? dm_json_str(hit, "response") : "");
        }
        cJSON_Delete(recs);
        return got == want ? 0 : -1;
    }
    char *s = dm_json_print(ex);
    dh_reportf(m, "unknown expectation %.200s\n", s);
    free(s);
    return -1;
}

/* ==== Checking a scenario's shape ==== */

static const char *const step_kinds[] = {"request",  "trigger",   "fixture", "forge",   "faults",
                                         "settings", "clock",     "quiet",   "control", "expect",
                                         "repeat",   "reinstall", NULL};
static const char *const expect_kinds[] = {
    "delivered", "call",     "noCall",           "noLoop", "noDuplicateWrites",
    "refused",   "answered", "batchLikeSingles", NULL};
static const char *const top_keys[] = {"name",     "description", "requires",  "dependsOn",
                                       "settings", "departments", "extension", "steps",
                                       "expect",   NULL};
static const char *const requirements[] = {"verification", "authorise", "extension", "writeBack",
                                           NULL};

static int listed(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0) return 1;
    return 0;
}

/* Exactly one known kind among an item's keys (besides "save" for steps). */
static int one_kind(const cJSON *item, const char *const *kinds, const char *where, int i,
                    char *err, size_t errlen)
{
    if (!cJSON_IsObject(item)) {
        snprintf(err, errlen, "%s[%d]: expected an object", where, i);
        return -1;
    }
    int n = 0;
    const cJSON *k;
    cJSON_ArrayForEach(k, item) {
        if (strcmp(where, "steps") == 0 && strcmp(k->string, "save") == 0) {
            const cJSON *v;
            cJSON_ArrayForEach(v, k)
                if (!cJSON_IsString(v)) {
                    snprintf(err, errlen, "%s[%d].save.%.60s: expected a path string", where, i,
                             v->string);
                    return -1;
                }
            continue;
        }
        if (!listed(kinds, k->string)) {
            snprintf(err, errlen, "%s[%d]: unknown %s \"%.60s\"", where, i,
                     strcmp(where, "steps") == 0 ? "step" : "expectation", k->string);
            return -1;
        }
        n++;
    }
    if (n != 1) {
        snprintf(err, errlen, "%s[%d]: expected exactly one %s, got %d", where, i,
                 strcmp(where, "steps") == 0 ? "step kind" : "expectation kind", n);
        return -1;
    }
    return 0;
}

int dh_scenario_check(const char *json, char *err, size_t errlen)
{
    cJSON *sc = NULL;
    char why[160];
    if (dm_json_parse(json, strlen(json), &sc, why, sizeof why)) {
        snprintf(err, errlen, "not valid JSON: %s", why);
        return -1;
    }
    int rc = -1;
    const cJSON *k;
    if (!cJSON_IsObject(sc)) {
        snprintf(err, errlen, "expected a JSON object");
        goto done;
    }
    cJSON_ArrayForEach(k, sc)
        if (!listed(top_keys, k->string)) {
            snprintf(err, errlen, "unknown key \"%.60s\"", k->string);
            goto done;
        }
    if (!dm_json_str(sc, "name")) {
        snprintf(err, errlen, "name: expected a string");
        goto done;
    }
    const char *const strings[] = {"description", "extension"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(sc, strings[i]);
        if (v && !cJSON_IsString(v)) {
            snprintf(err, errlen, "%s: expected a string", strings[i]);
            goto done;
        }
    }
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(sc, "requires"), *x;
    if (req && !cJSON_IsArray(req)) {
        snprintf(err, errlen, "requires: expected an array");
        goto done;
    }
    cJSON_ArrayForEach(x, req)
        if (!cJSON_IsString(x) || !listed(requirements, x->valuestring)) {
            snprintf(err, errlen,
                     "requires: expected \"verification\", \"authorise\", \"extension\" or "
                     "\"writeBack\"");
            goto done;
        }
    const cJSON *dep = cJSON_GetObjectItemCaseSensitive(sc, "dependsOn");
    if (dep && !cJSON_IsArray(dep)) {
        snprintf(err, errlen, "dependsOn: expected an array of scenario names");
        goto done;
    }
    cJSON_ArrayForEach(x, dep)
        if (!cJSON_IsString(x)) {
            snprintf(err, errlen, "dependsOn: expected an array of scenario names");
            goto done;
        }
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(sc, "settings");
    if (set && !cJSON_IsObject(set)) {
        snprintf(err, errlen, "settings: expected an object");
        goto done;
    }
    const cJSON *deps = cJSON_GetObjectItemCaseSensitive(sc, "departments");
    if (deps && !cJSON_IsArray(deps)) {
        snprintf(err, errlen, "departments: expected an array of ids");
        goto done;
    }
    const char *const lists[] = {"steps", "expect"};
    for (size_t l = 0; l < 2; l++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(sc, lists[l]);
        if (a && !cJSON_IsArray(a)) {
            snprintf(err, errlen, "%s: expected an array", lists[l]);
            goto done;
        }
        int i = 0;
        cJSON_ArrayForEach(x, a)
            if (one_kind(x, l ? expect_kinds : step_kinds, lists[l], i++, err, errlen)) goto done;
    }
    rc = 0;
done:
    cJSON_Delete(sc);
    return rc;
}

/* ==== The scenario ==== */

/* Waits (a few seconds at most) until the onDeskAuthorise callback has been
 * answered, so the receiver knows its securityContext before any delivery. */
static void wait_authorised(run *r, uint64_t after)
{
    int64_t end = dm_mono_ms() + 5000;
    uint64_t cursor = after;
    while (dm_mono_ms() < end) {
        cJSON *got = dh_journal_wait(r->m, cursor, "callback", (int)(end - dm_mono_ms()));
        int n = cJSON_GetArraySize(got), done = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, got)
            done |= dm_json_str(c, "listener") &&
                    !strcmp(dm_json_str(c, "listener"), "onDeskAuthorise");
        if (n)
            cursor =
                (uint64_t)cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(got, n - 1), "seq")
                    ->valuedouble;
        cJSON_Delete(got);
        if (done || !n) return;
    }
}

/* Why an install was refused, from the URL check's records: the GET, and the
 * POST {} Desk falls back to, each with what the receiver answered. */
static void explain_url_check(run *r, uint64_t after)
{
    cJSON *checks = dh_journal(r->m, after, "check");
    const cJSON *c;
    cJSON_ArrayForEach(c, checks) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(c, "status");
        dh_reportf(r->m, "  URL check: %s %s -> ",
                   dm_json_str(c, "method") ? dm_json_str(c, "method") : "GET",
                   dm_json_str(c, "url") ? dm_json_str(c, "url") : "?");
        if (cJSON_IsNumber(st) && st->valuedouble > 0)
            dh_reportf(r->m, "%.0f\n", st->valuedouble);
        else
            dh_reportf(r->m, "no answer (%s)\n",
                       dm_json_str(c, "error") ? dm_json_str(c, "error") : "?");
    }
    if (cJSON_GetArraySize(checks))
        dh_reportf(
            r->m, "  Desk makes the webhook only when the unsigned GET, or the unsigned POST {} it "
                  "sends next, is answered 200; only 200 counts.\n");
    cJSON_Delete(checks);
}

int dh_run_install(run *r, const char *dir, const cJSON *departments)
{
    cJSON *b = dh_install_body(dir ? dir : r->env->extension_dir, r->env->receiver_url,
                               r->env->authorise_url, NULL, departments);
    uint64_t mark = dh_mark(r->m);
    dh_response resp;
    int rc = dh_ok_json(r->m, "POST", "/mock/v1/installations", NULL, b, &resp);
    cJSON_Delete(b);
    if (rc) {
        dh_reportf(r->m, "installing the extension with its webhook at %s failed\n",
                   r->env->receiver_url);
        explain_url_check(r, mark);
        return -1;
    }
    static const char *const keep[] = {"installationId", "securityContext", "webhookId", "orgId"};
    for (size_t i = 0; i < 4; i++)
        dh_run_var(r, keep[i], cJSON_GetObjectItemCaseSensitive(resp.json, keep[i]));
    dh_response_free(&resp);
    if (r->env->authorise_url) wait_authorised(r, mark);
    return 0;
}

/* The "reinstall" step: uninstall, install again; new ids, a new securityContext. */
static int reinstall(run *r)
{
    if (!r->extension) {
        dh_reportf(r->m, "reinstall needs an installed extension\n");
        return -1;
    }
    char path[128];
    snprintf(path, sizeof path, "/mock/v1/installations/%s",
             dm_json_str(r->vars, "installationId"));
    if (dh_ok(r->m, "DELETE", path, NULL, NULL, NULL)) return -1;
    return dh_run_install(r, NULL, NULL);
}

const char *dh_run_unmet(const run *r, const cJSON *sc)
{
    const cJSON *req;
    cJSON_ArrayForEach(req, cJSON_GetObjectItemCaseSensitive(sc, "requires")) {
        const char *q = cJSON_IsString(req) ? req->valuestring : "";
        if (!strcmp(q, "verification") && !r->env->expects_verification)
            return "the receiver is declared not to verify deliveries (--no-verification)";
        if (!strcmp(q, "authorise") && !r->env->authorise_url)
            return "needs --authorise-url: without Desk's authorise callback the receiver "
                   "cannot know its securityContext and orgId";
        if (!strcmp(q, "extension") && !r->extension)
            return "needs an installed extension; this run drives a plain webhook";
        if (!strcmp(q, "writeBack") && r->writes_back == 0)
            return "the receiver made no write-back so far, so there is nothing for this case to "
                   "judge";
    }
    return NULL;
}

/* The expectation kind named k, as a string that outlives the scenario. */
static const char *listed_kind(const char *k)
{
    for (const char *const *e = expect_kinds; *e; e++)
        if (strcmp(*e, k) == 0) return *e;
    return NULL;
}

int dh_run_body(run *r, const cJSON *sc)
{
    r->failed_kind = NULL;
    dh_mock *m = r->m;
    char tm[32];
    snprintf(tm, sizeof tm, "%lld", (long long)m->timeout_ms);
    dm_json_set_str(r->vars, "timeoutMs", tm);
    r->start = dh_mark(m);
    const cJSON *st;
    int i = 0;
    cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(sc, "steps")) {
        i++;
        cJSON *copy = cJSON_Duplicate(st, 1);
        expand_tree(r, copy);
        int rc = step(r, copy);
        cJSON_Delete(copy);
        if (rc) {
            dh_reportf(m, "(step %d of the scenario failed)\n", i);
            return -1;
        }
    }
    const cJSON *ex;
    cJSON_ArrayForEach(ex, cJSON_GetObjectItemCaseSensitive(sc, "expect")) {
        cJSON *copy = cJSON_Duplicate(ex, 1);
        expand_tree(r, copy);
        int rc = expect(r, copy);
        cJSON_Delete(copy);
        if (rc) {
            r->failed_kind = ex->child ? listed_kind(ex->child->string) : NULL;
            return -1;
        }
    }
    return 0;
}

dh_outcome dh_run_scenario(dh_mock *m, const char *json, const dh_scenario_env *env)
{
    dh_report_reset(m);
    cJSON *sc = NULL;
    char why[300];
    if (dh_scenario_check(json, why, sizeof why)) {
        dh_reportf(m, "the scenario is malformed: %s\n", why);
        return DH_FAIL;
    }
    dm_json_parse(json, strlen(json), &sc, NULL, 0);
    run r = {m, env, cJSON_CreateObject(), 0, 1, -1, NULL, NULL};
    dh_outcome out = DH_FAIL;
    const char *unmet = dh_run_unmet(&r, sc);
    if (unmet) {
        dh_reportf(m, "%s\n", unmet);
        out = DH_SKIP;
        goto done;
    }
    dm_json_set_str(r.vars, "receiver", env->receiver_url);
    dm_json_set_str(r.vars, "mock", m->url);
    /* a clean mock with the baseline settings, then the scenario's own */
    /* reset also restores the settings the mock started with */
    if (dh_ok(m, "POST", "/mock/v1/reset", NULL, "{}", NULL) ||
        dh_settings(m, "{\"prevState\":\"full\",\"batchMax\":1,\"batchWindowMs\":0}"))
        goto done;
    cJSON *settings = cJSON_GetObjectItemCaseSensitive(sc, "settings");
    if (settings) {
        char *text = dm_json_print(settings);
        int rc = dh_settings(m, text);
        free(text);
        if (rc) goto done;
    }
    if (dh_run_install(&r, env->extension_dir ? NULL : dm_json_str(sc, "extension"),
                       cJSON_GetObjectItemCaseSensitive(sc, "departments")))
        goto done;
    if (dh_run_body(&r, sc) == 0) out = DH_PASS;
done:
    cJSON_Delete(r.vars);
    cJSON_Delete(sc);
    return out;
}

/* ==== The built-in suite ==== */

extern const struct {
    const char *name;
    const char *data;
    size_t len;
} dh_builtin_scenarios[];
extern const size_t dh_builtin_scenarios_n;

size_t dh_builtin_count(void)
{
    return dh_builtin_scenarios_n;
}

const char *dh_builtin_name(size_t i)
{
    return i < dh_builtin_scenarios_n ? dh_builtin_scenarios[i].name : NULL;
}

const char *dh_builtin_json(size_t i)
{
    return i < dh_builtin_scenarios_n ? dh_builtin_scenarios[i].data : NULL;
}
