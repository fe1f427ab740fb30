/* lint.c -- the event fixture linter: the envelope, _fixture, prevState and
 * delete rules, and the key/type tables of the resources the mock models,
 * mirrored from desk/shapes.c. It reads and reports; it never changes a file
 * and never talks to a mock. */
#include "events/lint.h"
#include "events/catalog.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ids.h"
#include "util/json.h"
#include "util/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== The diagnostics list ==== */

typedef struct item {
    dm_lint_diag pub;
    char *path, *message; /* owned; pub points at them */
    size_t seq;
} item;

struct dm_lint {
    item *v;
    size_t n, cap;
};

dm_lint *dm_lint_new(void)
{
    return dm_xcalloc(1, sizeof(dm_lint));
}

void dm_lint_clear(dm_lint *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        free(l->v[i].message);
    }
    l->n = 0;
}

void dm_lint_free(dm_lint *l)
{
    if (!l) return;
    dm_lint_clear(l);
    free(l->v);
    free(l);
}

size_t dm_lint_count(const dm_lint *l)
{
    return l->n;
}

const dm_lint_diag *dm_lint_get(const dm_lint *l, size_t i)
{
    return i < l->n ? &l->v[i].pub : NULL;
}

/* Takes ownership of message. */
static void add(dm_lint *l, int line, int col, const char *path, char *message)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = dm_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    item *it = &l->v[l->n];
    it->path = dm_xstrdup(path);
    it->message = message;
    it->seq = l->n;
    it->pub = (dm_lint_diag){line, col, it->path, it->message};
    l->n++;
}

static int by_position(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->pub.line != y->pub.line) return x->pub.line < y->pub.line ? -1 : 1;
    if (x->pub.col != y->pub.col) return x->pub.col < y->pub.col ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Sorts the diagnostics from index from on, and fixes the order for later sorts. */
static void sort_from(dm_lint *l, size_t from)
{
    if (l->n == from) return;
    qsort(l->v + from, l->n - from, sizeof *l->v, by_position);
    for (size_t i = from; i < l->n; i++) {
        l->v[i].seq = i;
        l->v[i].pub.path = l->v[i].path;
        l->v[i].pub.message = l->v[i].message;
    }
}

void dm_lint_format(const dm_lint *l, const char *file, dm_buf *out)
{
    dm_buf_append(out, "", 0);
    for (size_t i = 0; i < l->n; i++) {
        const dm_lint_diag *g = &l->v[i].pub;
        dm_buf_puts(out, file ? file : "<fixture>");
        if (g->line > 0) dm_buf_printf(out, ":%d:%d", g->line, g->col);
        dm_buf_puts(out, ": ");
        if (*g->path) dm_buf_printf(out, "%s: ", g->path);
        dm_buf_puts(out, g->message);
        dm_buf_putc(out, '\n');
    }
}

/* ==== Reporting ==== */

typedef struct ctx {
    dm_lint *l;
    const dm_jpos *pos;
    dm_buf scratch[4]; /* show() results, reused in turn */
    unsigned next;
} ctx;

enum { AT_VALUE, AT_KEY };

static void report(ctx *c, int at, const cJSON *node, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void report(ctx *c, int at, const cJSON *node, const char *path, const char *fmt, ...)
{
    int line = 0, col = 0;
    if (at == AT_KEY) dm_jpos_key(c->pos, node, &line, &col);
    if (!line) dm_jpos_value(c->pos, node, &line, &col);
    dm_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    dm_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    add(c->l, line, col, path, dm_buf_steal(&msg));
}

/* How a value reads after "got": "abc" (quoted, cut after 40 characters),
 * 42, true, null, an object, an array. Valid until four more calls. */
static const char *show(ctx *c, const cJSON *node)
{
    if (cJSON_IsObject(node)) return "an object";
    if (cJSON_IsArray(node)) return "an array";
    if (cJSON_IsTrue(node)) return "true";
    if (cJSON_IsFalse(node)) return "false";
    if (cJSON_IsNull(node)) return "null";
    dm_buf *b = &c->scratch[c->next++ % 4];
    dm_buf_reset(b);
    dm_buf_append(b, "", 0);
    if (cJSON_IsString(node)) {
        dm_buf_json_str_max(b, node->valuestring, 40);
    } else if (cJSON_IsNumber(node)) {
        /* Only what a double holds exactly: an id written as a bare number
         * has usually lost digits already. */
        double d = node->valuedouble;
        char num[64];
        snprintf(num, sizeof num, "%.15g", d);
        if (!isfinite(d) || fabs(d) > 9007199254740992.0 || strtod(num, NULL) != d)
            return "a number";
        dm_buf_puts(b, num);
    } else {
        return "an unknown value";
    }
    return b->data;
}

/* ==== Paths and duplicate keys ==== */

/* parent.key, or parent["odd key"] with the key whole; owned. */
static char *child(const char *parent, const char *key)
{
    return dm_path_key(parent, key, 0);
}

/* Reports a repeated key at the later one (dm_json_each_repeat). */
static void duplicate_key(void *ud, const cJSON *k, const cJSON *first, const char *path)
{
    ctx *c = ud;
    int line, col;
    if (dm_jpos_key(c->pos, first, &line, &col) == 0)
        report(c, AT_KEY, k, path, "duplicate key; the first is at line %d", line);
    else
        report(c, AT_KEY, k, path, "duplicate key");
}

/* ==== The shapes the mock emits (desk/shapes.c) ==== */

typedef enum kind {
    K_ID,        /* "18920000000000401": 1 to 19 digits */
    K_ID_NULL,   /* an id or null */
    K_COUNT,     /* "0": a string of digits */
    K_TIME,      /* "2026-01-05T09:15:00.000Z" */
    K_TIME_NULL, /* a time or null */
    K_BOOL,
    K_STR,
    K_STR_NULL,
    K_ENUM,     /* one of values */
    K_OBJ,      /* an object, checked against sub when given */
    K_OBJ_NULL, /* an object or null */
    K_ARR,
    K_CF, /* {"cf_name": scalar, ...} */
} kind;

typedef struct shape shape;
typedef struct field {
    const char *key;
    kind kind;
    const char *const *values; /* K_ENUM */
    const shape *sub;          /* K_OBJ, K_OBJ_NULL: may be NULL */
    int optional;              /* may be absent */
} field;

struct shape {
    const char *name;
    const field *fields;
    size_t n;
};

#define F(k, kind) {k, kind, NULL, NULL, 0}
#define ENUM(k, values) {k, K_ENUM, values, NULL, 0}
#define SUB(k, kind, sub) {k, kind, NULL, &sub, 0}
#define SHAPE(name, fields) {name, fields, sizeof fields / sizeof fields[0]}

static const char *const status_types[] = {"Open", "On Hold", "Closed", NULL};
static const char *const directions[] = {"in", "out", NULL};
static const char *const visibilities[] = {"public", "private", NULL};
static const char *const content_types[] = {"html", "plainText", NULL};
static const char *const author_types[] = {"AGENT", "END_USER", NULL};
static const char *const sources[] = {"synthetic", "recorded-scrubbed", NULL};

static const field department_embed_f[] = {F("id", K_ID), F("name", K_STR_NULL)};
static const shape department_embed = SHAPE("department", department_embed_f);

static const field contact_embed_f[] = {
    F("id", K_ID),           F("firstName", K_STR_NULL), F("lastName", K_STR_NULL),
    F("email", K_STR_NULL),  F("phone", K_STR_NULL),     F("mobile", K_STR_NULL),
    F("type", K_STR_NULL),   F("isSpam", K_BOOL),        F("account", K_OBJ_NULL),
};
static const shape contact_embed = SHAPE("contact", contact_embed_f);

static const field agent_embed_f[] = {
    F("id", K_ID),          F("firstName", K_STR_NULL), F("lastName", K_STR_NULL),
    F("email", K_STR_NULL), F("photoURL", K_STR_NULL),
};
static const shape agent_embed = SHAPE("assignee", agent_embed_f);

static const field layout_f[] = {F("id", K_ID_NULL), F("layoutName", K_STR_NULL)};
static const shape layout = SHAPE("layoutDetails", layout_f);

static const field source_f[] = {
    F("type", K_STR),           F("appName", K_STR_NULL),     F("extId", K_STR_NULL),
    F("permalink", K_STR_NULL), F("appPhotoURL", K_STR_NULL),
};
static const shape source = SHAPE("source", source_f);

static const field ticket_f[] = {
    F("id", K_ID), F("ticketNumber", K_COUNT), F("subject", K_STR_NULL),
    F("description", K_STR_NULL), F("status", K_STR), ENUM("statusType", status_types),
    F("priority", K_STR_NULL), F("channel", K_STR_NULL), F("channelCode", K_STR_NULL),
    F("classification", K_STR_NULL), F("category", K_STR_NULL), F("subCategory", K_STR_NULL),
    F("language", K_STR_NULL), F("departmentId", K_ID),
    SUB("department", K_OBJ_NULL, department_embed), F("contactId", K_ID_NULL),
    SUB("contact", K_OBJ_NULL, contact_embed), F("accountId", K_ID_NULL),
    F("assigneeId", K_ID_NULL), SUB("assignee", K_OBJ_NULL, agent_embed),
    F("teamId", K_ID_NULL), F("team", K_OBJ_NULL), F("email", K_STR_NULL),
    F("phone", K_STR_NULL), F("createdTime", K_TIME), F("modifiedTime", K_TIME),
    F("createdBy", K_ID_NULL), F("modifiedBy", K_ID_NULL), F("closedTime", K_TIME_NULL),
    F("onholdTime", K_TIME_NULL), F("dueDate", K_TIME_NULL), F("responseDueDate", K_TIME_NULL),
    F("customerResponseTime", K_TIME_NULL), F("threadCount", K_COUNT),
    F("commentCount", K_COUNT), F("attachmentCount", K_COUNT), F("approvalCount", K_COUNT),
    F("taskCount", K_COUNT), F("timeEntryCount", K_COUNT), F("tagCount", K_COUNT),
    F("followerCount", K_COUNT), F("isSpam", K_BOOL), F("isTrashed", K_BOOL),
    F("isArchived", K_BOOL), F("isDeleted", K_BOOL), F("isEscalated", K_BOOL),
    F("isOverDue", K_BOOL), F("isResponseOverdue", K_BOOL), F("isFollowing", K_BOOL),
    F("webUrl", K_STR), F("layoutId", K_ID_NULL), SUB("layoutDetails", K_OBJ_NULL, layout),
    SUB("source", K_OBJ, source), F("cf", K_CF), F("customFields", K_OBJ),
    F("productId", K_ID_NULL), F("product", K_OBJ_NULL), F("slaId", K_ID_NULL),
    F("sentiment", K_STR_NULL), F("resolution", K_STR_NULL), F("secondaryContacts", K_ARR),
    F("sharedDepartments", K_ARR), F("entitySkills", K_ARR),
    F("channelRelatedInfo", K_OBJ_NULL),
};
static const shape ticket = SHAPE("ticket", ticket_f);

static const field author_f[] = {
    F("id", K_ID_NULL),        F("name", K_STR_NULL),  F("firstName", K_STR_NULL),
    F("lastName", K_STR_NULL), F("email", K_STR_NULL), F("photoURL", K_STR_NULL),
    ENUM("type", author_types),
};
static const shape author = SHAPE("author", author_f);

static const field thread_f[] = {
    F("id", K_ID),
    F("ticketId", K_ID),
    ENUM("direction", directions),
    ENUM("visibility", visibilities),
    F("isDescriptionThread", K_BOOL),
    F("channel", K_STR),
    /* Desk sometimes leaves content out (desk-facts.md: receivers fall back
     * to summary), so a recorded thread without it is still a thread. */
    {"content", K_STR, NULL, NULL, 1},
    ENUM("contentType", content_types),
    F("summary", K_STR_NULL),
    F("status", K_STR),
    F("createdTime", K_TIME),
    F("fromEmailAddress", K_STR_NULL),
    F("to", K_STR_NULL),
    F("cc", K_STR_NULL),
    F("bcc", K_STR_NULL),
    SUB("author", K_OBJ, author),
    F("responderId", K_ID_NULL),
    F("hasAttach", K_BOOL),
    F("attachmentCount", K_COUNT),
    F("canReply", K_BOOL),
    F("isForward", K_BOOL),
};
static const shape thread = SHAPE("thread", thread_f);

static const field commenter_f[] = {
    F("id", K_ID_NULL),        F("name", K_STR_NULL),  F("firstName", K_STR_NULL),
    F("lastName", K_STR_NULL), F("email", K_STR_NULL), F("photoURL", K_STR_NULL),
    F("type", K_STR),          F("roleName", K_STR_NULL),
};
static const shape commenter = SHAPE("commenter", commenter_f);

static const field comment_f[] = {
    F("id", K_ID),
    F("ticketId", K_ID),
    F("content", K_STR),
    ENUM("contentType", content_types),
    F("isPublic", K_BOOL),
    F("commenterId", K_ID_NULL),
    SUB("commenter", K_OBJ, commenter),
    F("commentedTime", K_TIME),
    F("modifiedTime", K_TIME),
    F("attachments", K_ARR),
};
static const shape comment = SHAPE("comment", comment_f);

static const field contact_f[] = {
    F("id", K_ID),
    F("firstName", K_STR_NULL),
    F("lastName", K_STR_NULL),
    F("email", K_STR_NULL),
    F("secondaryEmail", K_STR_NULL),
    F("phone", K_STR_NULL),
    F("mobile", K_STR_NULL),
    F("type", K_STR_NULL),
    F("title", K_STR_NULL),
    F("description", K_STR_NULL),
    F("isSpam", K_BOOL),
    F("isAnonymous", K_BOOL),
    F("accountId", K_ID_NULL),
    F("account", K_OBJ_NULL),
    F("ownerId", K_ID_NULL),
    F("createdTime", K_TIME),
    F("modifiedTime", K_TIME),
    F("cf", K_CF),
    F("webUrl", K_STR),
};
static const shape contact = SHAPE("contact", contact_f);

/* Which resource each modelled type carries (events/events.c's mapping). */
static const struct {
    const char *type;
    const shape *shape;
} resources[] = {
    {"Ticket_Add", &ticket},          {"Ticket_Update", &ticket},
    {"Ticket_Thread_Add", &thread},   {"Ticket_Comment_Add", &comment},
    {"Ticket_Comment_Update", &comment}, {"Contact_Add", &contact},
    {"Contact_Update", &contact},
};

static const shape *shape_of(const char *type)
{
    for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++)
        if (strcmp(resources[i].type, type) == 0) return resources[i].shape;
    return NULL;
}

/* ==== Checking values ==== */

static int all_digits(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

static int is_id(const cJSON *v)
{
    return cJSON_IsString(v) && dm_id_valid(v->valuestring);
}

static int is_count(const cJSON *v)
{
    if (!cJSON_IsString(v) || !all_digits(v->valuestring)) return 0;
    return v->valuestring[0] != '0' || v->valuestring[1] == '\0';
}

static int is_time(const cJSON *v)
{
    int64_t ms;
    if (!cJSON_IsString(v)) return 0;
    const char *s = v->valuestring;
    return strlen(s) == 24 && s[19] == '.' && dm_iso_parse(s, &ms) == 0;
}

static void enum_text(dm_buf *b, const char *const *values)
{
    size_t n = 0;
    while (values[n]) n++;
    for (size_t i = 0; i < n; i++) {
        if (i) dm_buf_puts(b, i + 1 == n ? (n == 2 ? " or " : ", or ") : ", ");
        dm_buf_json_str(b, values[i]);
    }
}

static void check_shape(ctx *c, const cJSON *obj, const shape *s, const char *path,
                        int partial);

static void check_cf(ctx *c, const cJSON *v, const char *path)
{
    if (!cJSON_IsObject(v)) {
        report(c, AT_VALUE, v, path, "expected an object of cf_ fields, got %s", show(c, v));
        return;
    }
    for (const cJSON *f = v->child; f; f = f->next) {
        char *p = child(path, f->string);
        if (strncmp(f->string, "cf_", 3) != 0 || !f->string[3])
            report(c, AT_KEY, f, p, "custom field names start with cf_");
        else if (cJSON_IsObject(f) || cJSON_IsArray(f))
            report(c, AT_VALUE, f, p, "expected a string, number, boolean or null, got %s",
                   show(c, f));
        free(p);
    }
}

static void check_value(ctx *c, const cJSON *v, const field *f, const char *path)
{
    const char *want = NULL;
    int null = cJSON_IsNull(v);
    switch (f->kind) {
    case K_ID_NULL:
        if (null) break;
        /* fall through */
    case K_ID:
        if (!is_id(v))
            want = f->kind == K_ID ? "an id (a string of 1 to 19 digits)"
                                   : "an id (a string of 1 to 19 digits) or null";
        break;
    case K_COUNT:
        if (!is_count(v)) want = "a count as a string of digits";
        break;
    case K_TIME_NULL:
        if (null) break;
        /* fall through */
    case K_TIME:
        if (!is_time(v))
            want = f->kind == K_TIME ? "an ISO time such as \"2026-01-05T09:15:00.000Z\""
                                     : "null or an ISO time such as \"2026-01-05T09:15:00.000Z\"";
        break;
    case K_BOOL:
        if (!cJSON_IsBool(v)) want = "true or false";
        break;
    case K_STR:
        if (!cJSON_IsString(v)) want = "a string";
        break;
    case K_STR_NULL:
        if (!cJSON_IsString(v) && !null) want = "a string or null";
        break;
    case K_ENUM: {
        int ok = 0;
        for (const char *const *e = f->values; cJSON_IsString(v) && *e; e++)
            ok |= strcmp(*e, v->valuestring) == 0;
        if (!ok) {
            dm_buf b = {0};
            dm_buf_append(&b, "", 0);
            enum_text(&b, f->values);
            report(c, AT_VALUE, v, path, "expected %s, got %s", b.data, show(c, v));
            dm_buf_free(&b);
        }
        return;
    }
    case K_OBJ_NULL:
        if (null) break;
        /* fall through */
    case K_OBJ:
        if (!cJSON_IsObject(v)) want = f->kind == K_OBJ ? "an object" : "an object or null";
        else if (f->sub) check_shape(c, v, f->sub, path, 0);
        break;
    case K_ARR:
        if (!cJSON_IsArray(v)) want = "an array";
        break;
    case K_CF: check_cf(c, v, path); return;
    }
    if (want)
        report(c, AT_VALUE, v, path, "expected %s, got %s%s", want, show(c, v),
               cJSON_IsNumber(v) && (f->kind == K_ID || f->kind == K_ID_NULL || f->kind == K_COUNT)
                   ? " (Desk sends ids and counts as strings)"
                   : "");
}

/* Checks obj against s: every key present (unless partial, as a
 * changed-fields prevState is) and each present key of its type. Keys s does
 * not list are allowed. */
static void check_shape(ctx *c, const cJSON *obj, const shape *s, const char *path, int partial)
{
    for (size_t i = 0; i < s->n; i++) {
        const field *f = &s->fields[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, f->key);
        if (!v) {
            if (!partial && !f->optional)
                report(c, AT_VALUE, obj, path, "missing required key \"%s\" (every %s the mock "
                       "emits has it)", f->key, s->name);
            continue;
        }
        char *p = child(path, f->key);
        check_value(c, v, f, p);
        free(p);
    }
}

/* ==== The envelope ==== */

static const char *const top_keys[] = {"eventType", "orgId",     "eventTime",
                                       "payload",   "prevState", "_fixture", NULL};

static const char *suggest_key(const char *key, const char *const *keys)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (; *keys; keys++) {
        size_t d = dm_edit_distance(key, *keys);
        if (d < best_d) best_d = d, best = *keys;
    }
    return best;
}

static void check_fixture_meta(ctx *c, const cJSON *meta)
{
    if (!cJSON_IsObject(meta)) {
        report(c, AT_VALUE, meta, "_fixture",
               "expected an object {\"description\", \"source\"}, got %s", show(c, meta));
        return;
    }
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(meta, "description");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(meta, "source");
    if (!d) report(c, AT_VALUE, meta, "_fixture", "missing required key \"description\"");
    else if (!cJSON_IsString(d))
        report(c, AT_VALUE, d, "_fixture.description", "expected a string, got %s", show(c, d));
    else if (!*d->valuestring)
        report(c, AT_VALUE, d, "_fixture.description", "must not be empty: say in one sentence "
               "what the event shows");
    if (!s) {
        report(c, AT_VALUE, meta, "_fixture", "missing required key \"source\"");
    } else if (cJSON_IsString(s) && strcmp(s->valuestring, "recorded") == 0) {
        /* what `deskmock record --no-scrub` writes */
        report(c, AT_VALUE, s, "_fixture.source", "\"recorded\" is not scrubbed of personal "
               "data: scrub it, then mark it \"recorded-scrubbed\"");
    } else {
        field f = ENUM("source", sources);
        check_value(c, s, &f, "_fixture.source");
    }
    for (const cJSON *k = meta->child; k; k = k->next) {
        if (strcmp(k->string, "description") == 0 || strcmp(k->string, "source") == 0) continue;
        char *p = child("_fixture", k->string);
        report(c, AT_KEY, k, p, "unknown key; _fixture holds only \"description\" and "
               "\"source\"");
        free(p);
    }
}

/* eventType; returns the type when known. */
static const dm_event_type *check_type(ctx *c, const cJSON *t, const char *folder)
{
    if (!cJSON_IsString(t)) {
        report(c, AT_VALUE, t, "eventType", "expected an event type name such as "
               "\"Ticket_Update\", got %s", show(c, t));
        return NULL;
    }
    const dm_event_type *info = dm_event_type_find(t->valuestring);
    if (!info) {
        const char *s = dm_event_type_suggest(t->valuestring);
        if (s)
            report(c, AT_VALUE, t, "eventType", "unknown event type %s; did you mean \"%s\"?",
                   show(c, t), s);
        else
            report(c, AT_VALUE, t, "eventType", "unknown event type %s", show(c, t));
    }
    if (folder && dm_event_type_find(folder)) {
        if (strcmp(folder, t->valuestring) != 0)
            report(c, AT_VALUE, t, "eventType", "the file is in folder \"%s\" but its eventType "
                   "is %s: fixtures live in <Event_Type>/<name>.json", folder, show(c, t));
    } else if (folder) {
        const char *s = dm_event_type_suggest(folder);
        if (s)
            report(c, AT_VALUE, t, "eventType", "the file's folder \"%s\" is not an event type; "
                   "did you mean \"%s\"?", folder, s);
    }
    return info;
}

static void check_event_time(ctx *c, const cJSON *t)
{
    if (!cJSON_IsString(t) || !all_digits(t->valuestring)) {
        report(c, AT_VALUE, t, "eventTime", "expected epoch milliseconds as a string of digits, "
               "such as \"1770112860000\", got %s", show(c, t));
        return;
    }
    size_t n = strlen(t->valuestring);
    if (n != 13 || t->valuestring[0] == '0')
        report(c, AT_VALUE, t, "eventTime", "expected epoch milliseconds (13 digits), got %s%s",
               show(c, t), n == 10 ? ": that looks like seconds" : "");
}

/* The payload (and prevState) of a modelled or a delete event. */
static void check_payload(ctx *c, const char *type, const cJSON *payload, const cJSON *prev)
{
    if (!cJSON_IsObject(payload)) {
        report(c, AT_VALUE, payload, "payload", "expected an object, got %s", show(c, payload));
        return;
    }
    size_t tl = strlen(type);
    if (tl > 7 && strcmp(type + tl - 7, "_Delete") == 0) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(payload, "id");
        if (!id)
            report(c, AT_VALUE, payload, "payload", "missing required key \"id\": a delete "
                   "event's payload is {\"id\": \"<id>\"}");
        else if (!is_id(id))
            report(c, AT_VALUE, id, "payload.id", "expected an id (a string of 1 to 19 digits), "
                   "got %s", show(c, id));
        for (const cJSON *k = payload->child; k; k = k->next) {
            if (strcmp(k->string, "id") == 0) continue;
            char *p = child("payload", k->string);
            report(c, AT_KEY, k, p, "a delete event's payload carries only \"id\"");
            free(p);
        }
        return;
    }
    const shape *s = shape_of(type);
    if (s) check_shape(c, payload, s, "payload", 0);
    if (!prev) return;
    if (!cJSON_IsObject(prev)) {
        report(c, AT_VALUE, prev, "prevState", "expected an object: the previous %s, whole or "
               "only its changed fields, got %s", s ? s->name : "resource", show(c, prev));
        return;
    }
    if (!s) return;
    /* Whole (--prev-state full) or changed fields plus id (changed): both
     * carry id; every key present has the resource's type. */
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(prev, "id");
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(payload, "id");
    check_shape(c, prev, s, "prevState", 1);
    if (!id)
        report(c, AT_VALUE, prev, "prevState", "missing required key \"id\" (a changed-fields "
               "prevState still carries the id)");
    else if (is_id(id) && is_id(pid) && strcmp(id->valuestring, pid->valuestring) != 0)
        report(c, AT_VALUE, id, "prevState.id", "%s is not payload.id %s: prevState is the same "
               "%s before the change", show(c, id), show(c, pid), s->name);
}

static void check_event(ctx *c, const cJSON *root, const char *folder)
{
    if (!cJSON_IsObject(root)) {
        report(c, AT_VALUE, root, "", "expected one delivery event (a JSON object), got %s%s",
               show(c, root),
               cJSON_IsArray(root) ? ": put each event of a batch in its own file" : "");
        return;
    }
    for (const cJSON *k = root->child; k; k = k->next) {
        int known = 0;
        for (const char *const *t = top_keys; *t; t++) known |= strcmp(*t, k->string) == 0;
        if (known) continue;
        char *p = child("", k->string);
        const char *s = suggest_key(k->string, top_keys);
        if (s)
            report(c, AT_KEY, k, p, "unknown key; did you mean \"%s\"?", s);
        else
            report(c, AT_KEY, k, p, "unknown key; a fixture holds eventType, orgId, eventTime, "
                   "payload, prevState (update events only) and _fixture");
        free(p);
    }
    static const char *const required[] = {"eventType", "orgId", "eventTime", "payload",
                                           "_fixture"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!cJSON_GetObjectItemCaseSensitive(root, required[i]))
            report(c, AT_VALUE, root, "", "missing required key \"%s\"", required[i]);

    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "eventType");
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(root, "orgId");
    const cJSON *when = cJSON_GetObjectItemCaseSensitive(root, "eventTime");
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(root, "payload");
    const cJSON *prev = cJSON_GetObjectItemCaseSensitive(root, "prevState");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "_fixture");

    const dm_event_type *info = type ? check_type(c, type, folder) : NULL;
    if (org && !is_id(org))
        report(c, AT_VALUE, org, "orgId", "expected the org id as a string of digits, such as "
               "\"60001280952\", got %s", show(c, org));
    if (when) check_event_time(c, when);
    if (meta) check_fixture_meta(c, meta);
    if (prev && info && !(info->options & DM_OPT_PREVSTATE)) {
        report(c, AT_KEY, prev, "prevState", "%s carries no prevState: only update events whose "
               "subscription accepts includePrevState do", info->name);
        prev = NULL;
    }
    if (payload && info) check_payload(c, info->name, payload, prev);
    else if (payload && !cJSON_IsObject(payload))
        report(c, AT_VALUE, payload, "payload", "expected an object, got %s", show(c, payload));
}

size_t dm_lint_json(const cJSON *root, const dm_jpos *pos, const char *folder, dm_lint *l)
{
    size_t from = l->n;
    ctx c = {.l = l, .pos = pos};
    dm_json_each_repeat(root, "", 0, duplicate_key, &c);
    check_event(&c, root, folder);
    for (size_t i = 0; i < sizeof c.scratch / sizeof c.scratch[0]; i++)
        dm_buf_free(&c.scratch[i]);
    sort_from(l, from);
    return l->n - from;
}

size_t dm_lint_text(const char *text, size_t len, const char *folder, dm_lint *l)
{
    cJSON *root = NULL;
    dm_jpos *pos = NULL;
    char msg[256];
    int rc = dm_jpos_parse(text ? text : "", text ? len : 0, &root, &pos, msg, sizeof msg);
    if (rc == 0) {
        size_t n = dm_lint_json(root, pos, folder, l);
        cJSON_Delete(root);
        dm_jpos_free(pos);
        return n;
    }
    int line = 0, col = 0;
    const char *what = rc == DM_EPARSE ? dm_jpos_msg_where(msg, &line, &col) : NULL;
    if (!what) what = rc == DM_EPARSE ? msg : dm_strerror(rc);
    dm_buf b = {0};
    dm_buf_printf(&b, "invalid JSON: %s", what);
    add(l, line, col, "", dm_buf_steal(&b));
    return 1;
}
