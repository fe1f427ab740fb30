/* schema.c -- what a schema (schema.h) is used for: checking a REST body,
 * making a new object, checking an object (fixtures, tests), the reference
 * docs. The modules themselves are schemas.c's. */
#include "desk/schema.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/json.h"
#include "util/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const dm_attr *dm_schema_attr(const dm_schema *s, const char *name)
{
    for (size_t i = 0; s && name && i < s->nattrs; i++)
        if (strcmp(s->attrs[i].name, name) == 0) return &s->attrs[i];
    return NULL;
}

const dm_attr *dm_schema_output(const dm_schema *s, const char *name)
{
    for (size_t i = 0; s && name && i < s->nattrs; i++)
        if (!(s->attrs[i].flags & DM_A_INPUT) && strcmp(s->attrs[i].name, name) == 0)
            return &s->attrs[i];
    return NULL;
}

/* The attribute a write of kind may (flags `may`) set under name, or NULL. */
static const dm_attr *settable(const dm_schema *s, const char *name, unsigned may)
{
    for (size_t i = 0; s && name && i < s->nattrs; i++)
        if ((s->attrs[i].flags & may) && strcmp(s->attrs[i].name, name) == 0) return &s->attrs[i];
    return NULL;
}

const dm_event_def *dm_schema_event(const dm_schema *s, const char *action)
{
    for (size_t i = 0; s && action && i < s->nevents; i++)
        if (strcmp(s->events[i].action, action) == 0) return &s->events[i];
    return NULL;
}

const dm_schema *dm_schema_find(const char *name)
{
    for (const dm_schema *const *s = dm_schemas; name && *s; s++)
        if (strcmp((*s)->name, name) == 0) return *s;
    return NULL;
}

const dm_schema *dm_schema_for_event(const char *type, const dm_event_def **def)
{
    for (const dm_schema *const *s = dm_schemas; type && *s; s++)
        for (size_t i = 0; i < (*s)->nevents; i++)
            if (strcmp((*s)->events[i].type, type) == 0) {
                if (def) *def = &(*s)->events[i];
                return *s;
            }
    return NULL;
}

/* ==== Values ==== */

static int is_id(const cJSON *v)
{
    return cJSON_IsString(v) && dm_id_valid(v->valuestring);
}

static int is_count(const cJSON *v)
{
    return cJSON_IsString(v) && dm_all_digits(v->valuestring) &&
           (v->valuestring[0] != '0' || v->valuestring[1] == '\0');
}

static int is_time(const cJSON *v)
{
    int64_t ms;
    if (!cJSON_IsString(v)) return 0;
    const char *s = v->valuestring;
    return strlen(s) == 24 && s[19] == '.' && dm_iso_parse(s, &ms) == 0;
}

static int is_date(const cJSON *v)
{
    if (!cJSON_IsString(v) || strlen(v->valuestring) != 10) return 0;
    char t[32];
    int64_t ms;
    snprintf(t, sizeof t, "%sT00:00:00.000Z", v->valuestring);
    return dm_iso_parse(t, &ms) == 0;
}

static int all_of(const cJSON *a, int (*ok)(const cJSON *))
{
    if (!cJSON_IsArray(a)) return 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
        if (!ok(x)) return 0;
    return 1;
}

static int is_string(const cJSON *v)
{
    return cJSON_IsString(v);
}

/* "a, b or c" for choices, quoted. */
static void choices_text(dm_buf *b, const char *const *c)
{
    size_t n = 0;
    while (c[n])
        n++;
    for (size_t i = 0; i < n; i++) {
        if (i) dm_buf_puts(b, i + 1 == n ? " or " : ", ");
        dm_buf_json_str(b, c[i]);
    }
}

/* What a value of attribute a must be, in words, into b. */
static void want_text(dm_buf *b, const dm_attr *a)
{
    switch (a->type) {
    case DM_T_ID:
        dm_buf_puts(b, "an id (a string of 1 to 19 digits)");
        break;
    case DM_T_COUNT:
        dm_buf_puts(b, "a count as a string of digits");
        break;
    case DM_T_TIME:
        dm_buf_puts(b, "an ISO time such as \"2026-01-05T09:15:00.000Z\"");
        break;
    case DM_T_DATE:
        dm_buf_puts(b, "a date such as \"2026-01-05\"");
        break;
    case DM_T_BOOL:
        dm_buf_puts(b, "true or false");
        break;
    case DM_T_STR:
        dm_buf_puts(b, "a string");
        break;
    case DM_T_ENUM:
        if (a->choices[0] && a->choices[1] && a->choices[2]) dm_buf_puts(b, "one of ");
        choices_text(b, a->choices);
        break;
    case DM_T_EMAIL:
        dm_buf_puts(b, "an email address");
        break;
    case DM_T_NUM:
        dm_buf_puts(b, "a number");
        break;
    case DM_T_OBJ:
        dm_buf_puts(b, "an object");
        break;
    case DM_T_ARR:
        dm_buf_puts(b, "an array");
        break;
    case DM_T_IDS:
        dm_buf_puts(b, "an array of ids");
        break;
    case DM_T_STRS:
        dm_buf_puts(b, "an array of strings");
        break;
    case DM_T_CF:
        dm_buf_puts(b, "an object of cf_ fields");
        break;
    case DM_T_ANY:
        dm_buf_puts(b, "anything");
        break;
    }
    if (a->flags & DM_A_NULL) dm_buf_puts(b, " or null");
}

/* Whether v is of a's type (null is the caller's to judge). Nested shapes
 * are not looked into here. */
static int of_type(const dm_attr *a, const cJSON *v)
{
    switch (a->type) {
    case DM_T_ID:
        return is_id(v);
    case DM_T_COUNT:
        return is_count(v);
    case DM_T_TIME:
        return is_time(v);
    case DM_T_DATE:
        return is_date(v);
    case DM_T_BOOL:
        return cJSON_IsBool(v);
    case DM_T_STR:
        return cJSON_IsString(v);
    case DM_T_ENUM:
        for (const char *const *c = a->choices; cJSON_IsString(v) && *c; c++)
            if (strcmp(*c, v->valuestring) == 0) return 1;
        return 0;
    case DM_T_EMAIL:
        return cJSON_IsString(v) && dm_email_valid(v->valuestring);
    case DM_T_NUM:
        return cJSON_IsNumber(v);
    case DM_T_OBJ:
        return cJSON_IsObject(v);
    case DM_T_ARR:
        return cJSON_IsArray(v);
    case DM_T_IDS:
        return all_of(v, is_id);
    case DM_T_STRS:
        return all_of(v, is_string);
    case DM_T_CF:
        return cJSON_IsObject(v);
    case DM_T_ANY:
        return 1;
    }
    return 0;
}

/* A value as a message shows it: "abc" (cut after 40 characters), 42, true,
 * null, an object, an array. Into b. */
static void show(dm_buf *b, const cJSON *v)
{
    if (cJSON_IsObject(v))
        dm_buf_puts(b, "an object");
    else if (cJSON_IsArray(v))
        dm_buf_puts(b, "an array");
    else if (cJSON_IsTrue(v))
        dm_buf_puts(b, "true");
    else if (cJSON_IsFalse(v))
        dm_buf_puts(b, "false");
    else if (cJSON_IsNull(v))
        dm_buf_puts(b, "null");
    else if (cJSON_IsString(v))
        dm_buf_json_str_max(b, v->valuestring, 40);
    else if (cJSON_IsNumber(v)) {
        /* only what a double holds exactly: an id sent as a bare number has
         * usually lost digits already */
        double d = v->valuedouble;
        char num[64];
        snprintf(num, sizeof num, "%.15g", d);
        if (!isfinite(d) || fabs(d) > 9007199254740992.0 || strtod(num, NULL) != d)
            dm_buf_puts(b, "a number");
        else
            dm_buf_puts(b, num);
    } else {
        dm_buf_puts(b, "an unknown value");
    }
}

/* The problem with one custom field f, or NULL when there is none. */
static const char *cf_problem(const cJSON *f)
{
    if (strncmp(f->string, "cf_", 3) != 0 || !f->string[3])
        return "custom field names start with cf_";
    if (cJSON_IsObject(f) || cJSON_IsArray(f)) return "expected a string, number, boolean or null";
    return NULL;
}

/* ==== REST input ==== */

static size_t check_input(const dm_schema *s, const cJSON *body, int mode, const char *prefix,
                          dm_field_errs *errs);

static void check_input_value(const dm_attr *a, const cJSON *v, int mode, const char *ptr,
                              dm_field_errs *errs)
{
    if (cJSON_IsNull(v)) {
        if (!(a->flags & DM_A_NULL)) dm_field_errs_add(errs, ptr, "invalid", "must not be null");
        return;
    }
    dm_buf want = {0};
    dm_buf_append(&want, "", 0);
    if (!of_type(a, v)) {
        dm_attr strict = *a;
        strict.flags &= ~DM_A_NULL;
        want_text(&want, &strict);
        dm_field_errs_add(errs, ptr, "invalid", "expected %s", want.data);
    } else if (a->type == DM_T_STR &&
               dm_utf8_chars(v->valuestring) > (a->maxlen ? a->maxlen : 65535)) {
        dm_field_errs_add(errs, ptr, "invalid", "longer than %u characters",
                          a->maxlen ? a->maxlen : 65535);
    } else if (a->type == DM_T_CF) {
        for (const cJSON *k = v->child; k; k = k->next) {
            const char *why = cf_problem(k);
            if (!why) continue;
            char sub[200];
            dm_json_pointer(sub, sizeof sub, ptr, k->string, 100);
            dm_field_errs_add(errs, sub, "invalid", "%s", why);
        }
    } else if (a->type == DM_T_OBJ && a->sub) {
        check_input(a->sub, v, mode, ptr, errs);
    }
    dm_buf_free(&want);
}

static size_t check_input(const dm_schema *s, const cJSON *body, int mode, const char *prefix,
                          dm_field_errs *errs)
{
    size_t before = errs->n;
    unsigned may = mode == DM_INPUT_CREATE ? DM_A_CREATE : DM_A_UPDATE;
    const cJSON *v;
    cJSON_ArrayForEach(v, body) {
        char ptr[200];
        dm_json_pointer(ptr, sizeof ptr, prefix, v->string, 120);
        const dm_attr *a = settable(s, v->string, may);
        if (!a) {
            dm_field_errs_add(errs, ptr, "invalid", "unknown or read-only field");
            continue;
        }
        check_input_value(a, v, mode, ptr, errs);
    }
    if (mode == DM_INPUT_CREATE)
        for (size_t i = 0; i < s->nattrs; i++) {
            const dm_attr *a = &s->attrs[i];
            const cJSON *got = cJSON_GetObjectItemCaseSensitive(body, a->name);
            if ((a->flags & DM_A_REQ) && (!got || cJSON_IsNull(got))) {
                char ptr[200];
                dm_json_pointer(ptr, sizeof ptr, prefix, a->name, 120);
                dm_field_errs_add(errs, ptr, "missing", "is required");
            }
        }
    return errs->n - before;
}

size_t dm_schema_check_input(const dm_schema *s, const cJSON *body, int mode, const char *prefix,
                             dm_field_errs *errs)
{
    if (!cJSON_IsObject(body)) {
        dm_field_errs_add(errs, prefix, "invalid", "expected a JSON object");
        return 1;
    }
    return check_input(s, body, mode, prefix, errs);
}

/* ==== New objects ==== */

cJSON *dm_schema_new_object(const dm_schema *s, const cJSON *in, int any_key)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < s->nattrs; i++) {
        const dm_attr *a = &s->attrs[i];
        if (a->flags & DM_A_INPUT) continue;
        int take = any_key || (a->flags & DM_A_CREATE);
        const cJSON *v = take ? cJSON_GetObjectItemCaseSensitive(in, a->name) : NULL;
        cJSON *val = NULL;
        if (v)
            val = cJSON_Duplicate(v, 1);
        else if (a->dflt)
            val = cJSON_Parse(a->dflt);
        else if (a->type == DM_T_OBJ && a->sub && !(a->flags & (DM_A_NULL | DM_A_OPT)))
            val = dm_schema_new_object(a->sub, NULL, 0); /* its keys' defaults */
        else if (!(a->flags & DM_A_OPT))
            val = cJSON_CreateNull();
        if (val) cJSON_AddItemToObject(o, a->name, val);
    }
    return o;
}

/* ==== Checking objects ==== */

typedef struct checker {
    dm_schema_report_fn fn;
    void *ud;
    int strict;
    size_t n;
} checker;

static void complain(checker *k, const char *path, const cJSON *node, int at_key, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));
static void complain(checker *k, const char *path, const cJSON *node, int at_key, const char *fmt,
                     ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    k->n++;
    if (k->fn) k->fn(k->ud, path, node, at_key, msg);
}

static void check_obj(checker *k, const dm_schema *s, const cJSON *obj, const char *path,
                      int partial);

static void check_value(checker *k, const dm_attr *a, const cJSON *v, const char *path)
{
    if (cJSON_IsNull(v) && (a->flags & DM_A_NULL)) return;
    if (!of_type(a, v)) {
        dm_buf want = {0}, got = {0};
        dm_buf_append(&want, "", 0);
        dm_buf_append(&got, "", 0);
        want_text(&want, a);
        show(&got, v);
        int stringly = cJSON_IsNumber(v) && (a->type == DM_T_ID || a->type == DM_T_COUNT);
        complain(k, path, v, 0, "expected %s, got %s%s", want.data, got.data,
                 stringly ? " (Desk sends ids and counts as strings)" : "");
        dm_buf_free(&want);
        dm_buf_free(&got);
        return;
    }
    if (a->type == DM_T_CF) {
        for (const cJSON *key = v->child; key; key = key->next) {
            const char *why = cf_problem(key);
            if (!why) continue;
            char *p = dm_path_key(path, key->string, 0);
            complain(k, p, key, strncmp(key->string, "cf_", 3) != 0, "%s", why);
            free(p);
        }
    } else if (a->type == DM_T_OBJ && a->sub) {
        check_obj(k, a->sub, v, path, 0);
    } else if (a->type == DM_T_ARR && a->sub) {
        int i = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, v) {
            char p[600];
            snprintf(p, sizeof p, "%s[%d]", path, i++);
            if (!cJSON_IsObject(x)) {
                dm_buf got = {0};
                dm_buf_append(&got, "", 0);
                show(&got, x);
                complain(k, p, x, 0, "expected an object (a %s), got %s", a->sub->name, got.data);
                dm_buf_free(&got);
            } else {
                check_obj(k, a->sub, x, p, 0);
            }
        }
    }
}

static void check_obj(checker *k, const dm_schema *s, const cJSON *obj, const char *path,
                      int partial)
{
    for (size_t i = 0; i < s->nattrs; i++) {
        const dm_attr *a = &s->attrs[i];
        if (a->flags & DM_A_INPUT) continue;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, a->name);
        if (!v) {
            if (!partial && !(a->flags & DM_A_OPT))
                complain(k, path, obj, 0,
                         "missing required key \"%s\" (every %s Desk sends has it)", a->name,
                         s->name);
            continue;
        }
        char *p = dm_path_key(path, a->name, 0);
        check_value(k, a, v, p);
        free(p);
    }
    if (!k->strict) return;
    for (const cJSON *v = obj->child; v; v = v->next) {
        if (dm_schema_output(s, v->string)) continue;
        char *p = dm_path_key(path, v->string, 0);
        complain(k, p, v, 1, "unknown key: a %s Desk sends has no \"%s\"", s->name, v->string);
        free(p);
    }
}

size_t dm_schema_check_object(const dm_schema *s, const cJSON *obj, const char *path, int partial,
                              int strict, dm_schema_report_fn fn, void *ud)
{
    checker k = {fn, ud, strict, 0};
    if (!cJSON_IsObject(obj)) {
        dm_buf got = {0};
        dm_buf_append(&got, "", 0);
        show(&got, obj);
        complain(&k, path, obj, 0, "expected an object (a %s), got %s", s->name, got.data);
        dm_buf_free(&got);
        return k.n;
    }
    check_obj(&k, s, obj, path, partial);
    return k.n;
}

/* ==== The reference ==== */

static const char *type_word(const dm_attr *a)
{
    switch (a->type) {
    case DM_T_ID:
        return "id";
    case DM_T_COUNT:
        return "count";
    case DM_T_TIME:
        return "time";
    case DM_T_DATE:
        return "date";
    case DM_T_BOOL:
        return "boolean";
    case DM_T_STR:
        return "string";
    case DM_T_ENUM:
        return "one of";
    case DM_T_EMAIL:
        return "email";
    case DM_T_NUM:
        return "number";
    case DM_T_OBJ:
        return "object";
    case DM_T_ARR:
        return "array";
    case DM_T_IDS:
        return "array of ids";
    case DM_T_STRS:
        return "array of strings";
    case DM_T_CF:
        return "custom fields";
    case DM_T_ANY:
        return "any";
    }
    return "?";
}

static void attr_rows(dm_buf *out, const dm_schema *s, const char *prefix)
{
    for (size_t i = 0; i < s->nattrs; i++) {
        const dm_attr *a = &s->attrs[i];
        dm_buf_printf(out, "| `%s%s` | %s", prefix, a->name, type_word(a));
        if (a->type == DM_T_ENUM) {
            for (const char *const *c = a->choices; *c; c++)
                dm_buf_printf(out, "%s`%s`", c == a->choices ? " " : ", ", *c);
        }
        if (a->sub) dm_buf_printf(out, " (%s)", a->sub->name);
        dm_buf_printf(out, " | %s%s | ", a->flags & DM_A_NULL ? "null" : "",
                      a->flags & DM_A_OPT
                          ? (a->flags & DM_A_NULL ? ", may be absent" : "may be absent")
                          : "");
        const char *sep = "";
        if (a->flags & DM_A_INPUT) dm_buf_puts(out, "input only"), sep = ", ";
        if (a->flags & DM_A_REQ) dm_buf_printf(out, "%srequired", sep), sep = ", ";
        if ((a->flags & DM_A_RW) == DM_A_RW)
            dm_buf_printf(out, "%screate, update", sep);
        else if (a->flags & DM_A_CREATE)
            dm_buf_printf(out, "%screate", sep);
        else if (a->flags & DM_A_UPDATE)
            dm_buf_printf(out, "%supdate", sep);
        else if (!(a->flags & DM_A_INPUT))
            dm_buf_printf(out, "%sread-only", sep);
        dm_buf_printf(out, " | %s |\n", a->dflt ? a->dflt : "");
    }
}

void dm_schema_markdown(dm_buf *out)
{
    dm_buf_puts(out, "# Desk modules: the reference\n\n"
                     "Generated from the mock's schemas (`mock/desk/schemas.c`) by `deskmock "
                     "schema`: every module the mock holds, the keys of its objects as Desk "
                     "sends them (REST answers and webhook payloads), which a REST create or "
                     "update may set, and the events its changes raise. A test keeps this file "
                     "equal to what the schemas say.\n\n"
                     "Types: ids and counts are strings of digits; times are ISO-8601 UTC with "
                     "milliseconds. \"null\": the key may hold null. \"read-only\": only Desk "
                     "sets it. \"input only\": a write may give it, objects never hold it.\n");
    for (const dm_schema *const *sp = dm_schemas; *sp; sp++) {
        const dm_schema *s = *sp;
        dm_buf_printf(out, "\n## %s (`%s`)\n\n%s\n", s->title, s->name, s->doc);
        if (s->evidence) dm_buf_printf(out, "\nEvidence: %s\n", s->evidence);
        if (s->nevents) {
            dm_buf_puts(out, "\n| Event | Raised by | Subscription options |\n|---|---|---|\n");
            for (size_t i = 0; i < s->nevents; i++) {
                const dm_event_def *e = &s->events[i];
                dm_buf_printf(out, "| `%s` | %s | ", e->type, e->action);
                const char *sep = "";
                if (e->options & DM_OPT_DEPARTMENTS)
                    dm_buf_printf(out, "%s`departmentIds`", sep), sep = ", ";
                if (e->options & DM_OPT_PREVSTATE)
                    dm_buf_printf(out, "%s`includePrevState`", sep), sep = ", ";
                if (e->options & DM_OPT_FIELDS) dm_buf_printf(out, "%s`fields`", sep), sep = ", ";
                if (e->options & DM_OPT_DIRECTION)
                    dm_buf_printf(out, "%s`direction`", sep), sep = ", ";
                dm_buf_puts(out, *sep ? " |\n" : "none |\n");
            }
        }
        if (s->list_params && *s->list_params) {
            dm_buf_puts(out, "\nList filters besides `from` and `limit`:");
            for (const char *const *p = s->list_params; *p; p++)
                dm_buf_printf(out, "%s`%s`", p == s->list_params ? " " : ", ", *p);
            dm_buf_puts(out, ".\n");
        }
        dm_buf_puts(out,
                    "\n| Key | Type | Null | REST | New object holds |\n|---|---|---|---|---|\n");
        attr_rows(out, s, "");
        /* nested shapes, once each, after the module */
        for (size_t i = 0; i < s->nattrs; i++) {
            const dm_schema *sub = s->attrs[i].sub;
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = s->attrs[j].sub == sub;
            if (!sub || seen) continue;
            dm_buf_printf(out,
                          "\n`%s` (%s):\n\n| Key | Type | Null | REST | New object holds |\n"
                          "|---|---|---|---|---|\n",
                          s->attrs[i].name, sub->name);
            attr_rows(out, sub, "");
        }
    }
}
