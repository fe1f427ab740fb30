/* validate.c -- the extension validator: resources.json's webhook,
 * plugin-manifest.json, and the rules that tie them together. It reads and
 * reports; it installs nothing and contacts no URL. */
#include "ext/validate.h"
#include "desk/catalog.h"
#include "hooks/hooks.h"
#include "util/err.h"
#include "util/file.h"
#include "util/json.h"
#include "util/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define DEPARTMENTS_MSG                                                                            \
    "not allowed in an extension webhook: departments come from the installation's configuration"

/* ==== The diagnostics list ==== */

typedef struct item {
    dm_ext_diag pub;
    char *path, *message; /* owned; pub points at them */
    size_t seq;           /* order found, for a stable sort */
} item;

struct dm_ext_diags {
    item *v;
    size_t n, cap, errors;
};

dm_ext_diags *dm_ext_diags_new(void)
{
    return dm_xcalloc(1, sizeof(dm_ext_diags));
}

void dm_ext_diags_free(dm_ext_diags *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].path);
        free(d->v[i].message);
    }
    free(d->v);
    free(d);
}

size_t dm_ext_diags_count(const dm_ext_diags *d)
{
    return d->n;
}

size_t dm_ext_diags_errors(const dm_ext_diags *d)
{
    return d->errors;
}

size_t dm_ext_diags_warnings(const dm_ext_diags *d)
{
    return d->n - d->errors;
}

const dm_ext_diag *dm_ext_diags_get(const dm_ext_diags *d, size_t i)
{
    return i < d->n ? &d->v[i].pub : NULL;
}

/* Takes ownership of message. */
static void add(dm_ext_diags *d, dm_ext_severity sev, const char *file, int line, int col,
                const char *path, char *message)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->v = dm_xrealloc(d->v, d->cap * sizeof *d->v);
    }
    item *it = &d->v[d->n];
    it->path = dm_xstrdup(path);
    it->message = message;
    it->seq = d->n;
    it->pub = (dm_ext_diag){sev, file, line, col, it->path, it->message};
    d->n++;
    if (sev == DM_EXT_ERROR) d->errors++;
}

static int by_order(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->pub.severity != y->pub.severity) return x->pub.severity < y->pub.severity ? -1 : 1;
    int c = strcmp(x->pub.file, y->pub.file);
    if (c) return c;
    if (x->pub.line != y->pub.line) return x->pub.line < y->pub.line ? -1 : 1;
    if (x->pub.col != y->pub.col) return x->pub.col < y->pub.col ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

void dm_ext_diags_format(const dm_ext_diags *d, const char *dir, dm_buf *out)
{
    dm_buf_append(out, "", 0);
    for (size_t i = 0; i < d->n; i++) {
        const dm_ext_diag *g = &d->v[i].pub;
        if (dir && *dir) {
            dm_buf_puts(out, dir);
            if (dir[strlen(dir) - 1] != '/') dm_buf_putc(out, '/');
        }
        dm_buf_puts(out, g->file);
        if (g->line > 0) dm_buf_printf(out, ":%d:%d", g->line, g->col);
        dm_buf_puts(out, ": ");
        if (g->severity == DM_EXT_WARNING) dm_buf_puts(out, "warning: ");
        if (*g->path) dm_buf_printf(out, "%s: ", g->path);
        dm_buf_puts(out, g->message);
        dm_buf_putc(out, '\n');
    }
}

cJSON *dm_ext_diags_json(const dm_ext_diags *d)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < d->n; i++) {
        const dm_ext_diag *g = &d->v[i].pub;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "severity", g->severity == DM_EXT_ERROR ? "error" : "warning");
        cJSON_AddStringToObject(o, "file", g->file);
        cJSON_AddNumberToObject(o, "line", g->line);
        cJSON_AddNumberToObject(o, "column", g->col);
        cJSON_AddStringToObject(o, "path", g->path);
        cJSON_AddStringToObject(o, "message", g->message);
    }
    return arr;
}

/* ==== Reporting: where, and how values read in messages ==== */

typedef struct vctx {
    dm_ext_diags *d;
    const char *file;
    const dm_jpos *pos;
    dm_buf scratch[4]; /* quote() and show() results, reused in turn */
    unsigned next;
} vctx;

enum { AT_VALUE, AT_KEY };
#define E DM_EXT_ERROR
#define W DM_EXT_WARNING

/* Reports at node's key (at == AT_KEY, when it has one) or value. */
static void report(vctx *v, dm_ext_severity sev, int at, const cJSON *node, const char *path,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void report(vctx *v, dm_ext_severity sev, int at, const cJSON *node, const char *path,
                   const char *fmt, ...)
{
    int line = 0, col = 0;
    if (at == AT_KEY) dm_jpos_key(v->pos, node, &line, &col);
    if (!line) dm_jpos_value(v->pos, node, &line, &col);
    dm_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    dm_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    add(v->d, sev, v->file, line, col, path, dm_buf_steal(&msg));
}

/* Quoted strings in messages (values and odd keys) are cut after this many
 * characters. */
#define QUOTE_MAX 60

static dm_buf *scratch(vctx *v)
{
    dm_buf *b = &v->scratch[v->next++ % 4];
    dm_buf_reset(b);
    dm_buf_append(b, "", 0);
    return b;
}

static const char *quote(vctx *v, const char *s)
{
    dm_buf *b = scratch(v);
    dm_buf_json_str_max(b, s, QUOTE_MAX);
    return b->data;
}

/* How a value reads after "got": "abc" in quotes, 42, true, null, an object. */
static const char *show(vctx *v, const cJSON *node)
{
    if (cJSON_IsString(node)) return quote(v, node->valuestring);
    if (cJSON_IsObject(node)) return "an object";
    if (cJSON_IsArray(node)) return "an array";
    if (cJSON_IsTrue(node)) return "true";
    if (cJSON_IsFalse(node)) return "false";
    if (cJSON_IsNull(node)) return "null";
    if (cJSON_IsNumber(node)) {
        dm_buf *b = scratch(v);
        char *s = dm_json_print(node);
        dm_buf_puts(b, s);
        free(s);
        return b->data;
    }
    return "an unknown value";
}

/* ==== Paths and names ==== */

static const char *key_of(const cJSON *member)
{
    return member->string ? member->string : "";
}

/* parent.key, or parent["odd key"]; owned. */
static char *child(const char *parent, const char *key)
{
    return dm_path_key(parent, key, QUOTE_MAX);
}

/* The name in known (NULL-terminated) that key was probably meant to be. */
static const char *suggest(const char *key, const char *const *known)
{
    const char *best = NULL;
    size_t best_d = 3, len = strlen(key);
    for (; *known; known++) {
        size_t d = dm_edit_distance(key, *known);
        if (d < best_d && (d == 0 || d * 3 <= len)) {
            best = *known;
            best_d = d;
        }
    }
    return best;
}

/* ==== Value checks shared by both files ==== */

static int want_string(vctx *v, const cJSON *n, const char *path, int nonempty)
{
    if (!cJSON_IsString(n)) {
        report(v, E, AT_VALUE, n, path, "expected a string, got %s", show(v, n));
        return 0;
    }
    if (nonempty && !*n->valuestring) {
        report(v, E, AT_VALUE, n, path, "must not be empty");
        return 0;
    }
    return 1;
}

static int want_bool(vctx *v, const cJSON *n, const char *path)
{
    if (cJSON_IsBool(n)) return 1;
    report(v, E, AT_VALUE, n, path, "expected true or false, got %s", show(v, n));
    return 0;
}

static int want_object(vctx *v, const cJSON *n, const char *path)
{
    if (cJSON_IsObject(n)) return 1;
    report(v, E, AT_VALUE, n, path, "expected an object, got %s", show(v, n));
    return 0;
}

/* An array whose elements are non-empty strings (strings) or objects. */
static int want_array_of(vctx *v, const cJSON *n, const char *path, int strings)
{
    if (!cJSON_IsArray(n)) {
        report(v, E, AT_VALUE, n, path, "expected an array of %s, got %s",
               strings ? "strings" : "objects", show(v, n));
        return 0;
    }
    size_t i = 0;
    for (const cJSON *e = n->child; e; e = e->next, i++) {
        char *p = dm_path_index(path, i);
        if (strings)
            want_string(v, e, p, 1);
        else
            want_object(v, e, p);
        free(p);
    }
    return 1;
}

/* Reports a repeated key at the later one (dm_json_each_repeat). */
static void duplicate_key(void *ud, const cJSON *k, const cJSON *first, const char *path)
{
    vctx *v = ud;
    int line, col;
    if (dm_jpos_key(v->pos, first, &line, &col) == 0)
        report(v, E, AT_KEY, k, path, "duplicate key; the first is at line %d", line);
    else
        report(v, E, AT_KEY, k, path, "duplicate key");
}

/* ==== resources.json ==== */

static const char *const webhook_keys[] = {
    "resourceName",      "url", "name", "description", "subscriptions", "ignoreSourceId",
    "includeEventsFrom", NULL};
static const char *const webhook_required[] = {"resourceName",   "url", "name", "subscriptions",
                                               "ignoreSourceId", NULL};

typedef struct opt_def {
    const char *name;
    unsigned flag;
} opt_def;
static const opt_def options[] = {
    {"includePrevState", DM_OPT_PREVSTATE},
    {"fields", DM_OPT_FIELDS},
    {"direction", DM_OPT_DIRECTION},
};
static const char *const option_names[] = {"includePrevState", "fields", "direction", NULL};

static const opt_def *find_option(const char *name)
{
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (strcmp(name, options[i].name) == 0) return &options[i];
    return NULL;
}

static int is_http_url(const char *s)
{
    size_t n;
    if (strncasecmp(s, "https://", 8) == 0)
        n = 8;
    else if (strncasecmp(s, "http://", 7) == 0)
        n = 7;
    else
        return 0;
    if (strcspn(s + n, "/?#") == 0) return 0; /* no host */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f) return 0;
    return 1;
}

/* "takes no options" or "takes only includePrevState, fields" */
static const char *takes(vctx *v, unsigned opts)
{
    dm_buf *b = scratch(v);
    const char *sep = "takes only ";
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        if (!(opts & options[i].flag)) continue;
        dm_buf_printf(b, "%s%s", sep, options[i].name);
        sep = ", ";
    }
    if (!b->len) dm_buf_puts(b, "takes no options");
    return b->data;
}

static void check_fields(vctx *v, const cJSON *f, const char *path)
{
    if (!cJSON_IsArray(f)) {
        report(v, E, AT_VALUE, f, path, "expected an array of 1 to %d ticket field names, got %s",
               DM_FIELDS_MAX, show(v, f));
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(f), i = 0;
    if (n == 0)
        report(v, E, AT_VALUE, f, path, "expected 1 to %d ticket field names, got an empty array",
               DM_FIELDS_MAX);
    else if (n > DM_FIELDS_MAX)
        report(v, E, AT_VALUE, f, path, "at most %d fields, got %zu", DM_FIELDS_MAX, n);
    const char **names = dm_xmalloc((n ? n : 1) * sizeof *names);
    size_t *first = dm_xmalloc((n ? n : 1) * sizeof *first);
    for (const cJSON *e = f->child; e; e = e->next, i++) {
        names[i] = cJSON_IsString(e) && *e->valuestring ? e->valuestring : NULL;
        if (!names[i]) {
            char *p = dm_path_index(path, i);
            report(v, E, AT_VALUE, e, p, "expected a ticket field name, got %s", show(v, e));
            free(p);
        }
    }
    dm_find_repeats(names, n, first);
    i = 0;
    for (const cJSON *e = f->child; e; e = e->next, i++) {
        if (first[i] == i) continue;
        char *p = dm_path_index(path, i);
        report(v, E, AT_VALUE, e, p, "duplicate field %s (also fields[%zu])", show(v, e), first[i]);
        free(p);
    }
    free(names);
    free(first);
}

static void check_option_value(vctx *v, const cJSON *o, unsigned flag, const char *path)
{
    if (flag == DM_OPT_PREVSTATE) {
        want_bool(v, o, path);
    } else if (flag == DM_OPT_FIELDS) {
        check_fields(v, o, path);
    } else if (!cJSON_IsString(o) ||
               (strcmp(o->valuestring, "in") != 0 && strcmp(o->valuestring, "out") != 0)) {
        report(v, E, AT_VALUE, o, path,
               "expected \"in\" or \"out\" (leave direction out for both), got %s", show(v, o));
    }
}

static void check_subscription(vctx *v, const cJSON *sub, const dm_event_type *t, const char *path)
{
    for (const cJSON *o = sub->child; o; o = o->next) {
        const char *k = key_of(o);
        char *p = child(path, k);
        const opt_def *opt = find_option(k);
        if (strcmp(k, "departmentIds") == 0) {
            report(v, E, AT_KEY, o, p, DEPARTMENTS_MSG);
        } else if (strcmp(k, "includeEventsFrom") == 0) {
            report(v, E, AT_KEY, o, p,
                   "a webhook option, not a subscription option: move it into webhook");
        } else if (opt && !(t->options & opt->flag)) {
            report(v, E, AT_KEY, o, p, "%s does not accept %s (it %s)", t->type, k,
                   takes(v, t->options));
        } else if (opt) {
            check_option_value(v, o, opt->flag, p);
        } else {
            const char *s = suggest(k, option_names);
            if (s && (t->options & find_option(s)->flag))
                report(v, E, AT_KEY, o, p, "unknown option; did you mean \"%s\"?", s);
            else
                report(v, E, AT_KEY, o, p, "unknown option; %s %s", t->type, takes(v, t->options));
        }
        free(p);
    }
}

static void check_subscriptions(vctx *v, const cJSON *subs, const char *path)
{
    if (!cJSON_IsObject(subs)) {
        report(v, E, AT_VALUE, subs, path,
               "expected an object mapping event types to their options, got %s", show(v, subs));
        return;
    }
    if (!subs->child) {
        report(v, E, AT_VALUE, subs, path, "no event types: subscribe to at least one");
        return;
    }
    for (const cJSON *m = subs->child; m; m = m->next) {
        const char *k = key_of(m);
        char *p = child(path, k);
        const dm_event_type *t = dm_event_type_find(k);
        const char *s = t ? NULL : dm_event_type_suggest(k);
        if (!t && s)
            report(v, E, AT_KEY, m, p, "unknown event type %s; did you mean \"%s\"?", quote(v, k),
                   s);
        else if (!t)
            report(v, E, AT_KEY, m, p, "unknown event type %s", quote(v, k));
        else if (cJSON_IsObject(m))
            check_subscription(v, m, t, p);
        else if (!cJSON_IsNull(m))
            report(v, E, AT_VALUE, m, p, "expected null or an object of options, got %s",
                   show(v, m));
        free(p);
    }
}

static void check_events_from(vctx *v, const cJSON *n, const char *path)
{
    if (!cJSON_IsArray(n)) {
        report(v, E, AT_VALUE, n, path, "expected an array such as [\"AUTOMATION\"], got %s",
               show(v, n));
        return;
    }
    size_t i = 0;
    for (const cJSON *e = n->child; e; e = e->next, i++) {
        char *p = dm_path_index(path, i);
        if (want_string(v, e, p, 1) && strcmp(e->valuestring, "AUTOMATION") != 0)
            report(v, W, AT_VALUE, e, p, "unknown event source %s; the known one is \"AUTOMATION\"",
                   show(v, e));
        free(p);
    }
}

static void check_webhook(vctx *v, const cJSON *wh)
{
    const char *path = "webhook";
    if (cJSON_IsArray(wh)) {
        report(v, E, AT_VALUE, wh, path,
               "expected an object, got an array (an extension declares one webhook)");
        return;
    }
    if (!want_object(v, wh, path)) return;
    const char *suggested[8] = {0};
    size_t ns = 0;
    for (const cJSON *m = wh->child; m; m = m->next) {
        const char *k = key_of(m);
        char *p = child(path, k);
        if (strcmp(k, "resourceName") == 0) {
            want_string(v, m, p, 1);
        } else if (strcmp(k, "url") == 0) {
            if (want_string(v, m, p, 0) && !is_http_url(m->valuestring))
                report(v, E, AT_VALUE, m, p, "expected an http or https URL, got %s", show(v, m));
        } else if (strcmp(k, "name") == 0) {
            size_t n = want_string(v, m, p, 1) ? dm_utf8_chars(m->valuestring) : 0;
            if (n > DM_EXT_NAME_MAX)
                report(v, E, AT_VALUE, m, p, "longer than %d characters (%zu)", DM_EXT_NAME_MAX, n);
        } else if (strcmp(k, "description") == 0) {
            want_string(v, m, p, 0);
        } else if (strcmp(k, "subscriptions") == 0) {
            check_subscriptions(v, m, p);
        } else if (strcmp(k, "ignoreSourceId") == 0) {
            if (want_string(v, m, p, 0) && !dm_is_uuid(m->valuestring))
                report(v, E, AT_VALUE, m, p, "expected a UUID, got %s", show(v, m));
        } else if (strcmp(k, "includeEventsFrom") == 0) {
            check_events_from(v, m, p);
        } else if (strcmp(k, "departmentIds") == 0) {
            report(v, E, AT_KEY, m, p, DEPARTMENTS_MSG);
        } else {
            const char *s = suggest(k, webhook_keys);
            if (s && ns < sizeof suggested / sizeof suggested[0]) suggested[ns++] = s;
            if (s)
                report(v, E, AT_KEY, m, p, "unknown key; did you mean \"%s\"?", s);
            else
                report(v, E, AT_KEY, m, p,
                       "unknown key; a webhook has resourceName, url, name, description, "
                       "subscriptions, ignoreSourceId and includeEventsFrom");
        }
        free(p);
    }
    for (const char *const *r = webhook_required; *r; r++) {
        int hinted = 0;
        for (size_t i = 0; i < ns; i++)
            hinted |= suggested[i] == *r;
        if (!hinted && !cJSON_GetObjectItemCaseSensitive(wh, *r))
            report(v, E, AT_VALUE, wh, path, "missing required key \"%s\"", *r);
    }
}

/* resourceName must be unique among all the file's resources: the webhook
 * and every object (or array of objects) at the top level. */
static void check_resource_names(vctx *v, const cJSON *root)
{
    size_t n = 0, cap = 16;
    const cJSON **nodes = dm_xmalloc(cap * sizeof *nodes);
    char **paths = dm_xmalloc(cap * sizeof *paths);
    for (const cJSON *m = root->child; m; m = m->next) {
        const cJSON *one = cJSON_IsObject(m) ? m : cJSON_IsArray(m) ? m->child : NULL;
        size_t i = 0;
        for (; one; one = cJSON_IsArray(m) ? one->next : NULL, i++) {
            const cJSON *rn =
                cJSON_IsObject(one) ? cJSON_GetObjectItemCaseSensitive(one, "resourceName") : NULL;
            if (!cJSON_IsString(rn) || !*rn->valuestring) continue;
            if (n == cap) {
                cap *= 2;
                nodes = dm_xrealloc(nodes, cap * sizeof *nodes);
                paths = dm_xrealloc(paths, cap * sizeof *paths);
            }
            char *owner = child("", key_of(m));
            if (cJSON_IsArray(m)) {
                char *e = dm_path_index(owner, i);
                free(owner);
                owner = e;
            }
            paths[n] = child(owner, "resourceName");
            free(owner);
            nodes[n++] = rn;
        }
    }
    const char **names = dm_xmalloc((n ? n : 1) * sizeof *names);
    size_t *first = dm_xmalloc((n ? n : 1) * sizeof *first);
    for (size_t i = 0; i < n; i++)
        names[i] = nodes[i]->valuestring;
    dm_find_repeats(names, n, first);
    for (size_t i = 0; i < n; i++)
        if (first[i] != i)
            report(v, E, AT_VALUE, nodes[i], paths[i],
                   "%s is already used by %s; resource names must be unique", show(v, nodes[i]),
                   paths[first[i]]);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    free(nodes);
    free(names);
    free(first);
}

static void check_resources(vctx *v, const cJSON *root)
{
    static const char *const webhook[] = {"webhook", NULL};
    if (!want_object(v, root, "")) return;
    const cJSON *wh = cJSON_GetObjectItemCaseSensitive(root, "webhook");
    if (wh) {
        check_webhook(v, wh);
    } else {
        int hinted = 0;
        for (const cJSON *m = root->child; m; m = m->next) {
            if (!suggest(key_of(m), webhook)) continue;
            char *p = child("", key_of(m));
            report(v, W, AT_KEY, m, p, "unknown resource type; did you mean \"webhook\"?");
            free(p);
            hinted = 1;
        }
        if (!hinted)
            report(v, W, AT_VALUE, root, "", "no webhook declared: the extension gets no events");
    }
    check_resource_names(v, root);
}

/* ==== plugin-manifest.json ==== */

static const char *const manifest_keys[] = {"type",
                                            "locale",
                                            "service",
                                            "storage",
                                            "modules",
                                            "connectors",
                                            "config",
                                            "whiteListedDomains",
                                            "cspDomains",
                                            "zohoAuthorisation",
                                            "callbackListener",
                                            "secret",
                                            NULL};
static const char *const auth_keys[] = {
    "type",       "connectionLinkName",   "connectionName", "serviceName",
    "userAccess", "isUserDefinedService", "sharedBy",       "scope",
    NULL};
static const char *const auth_required[] = {"type", "connectionLinkName", "scope", NULL};

static void check_scope(vctx *v, const cJSON *scope, const char *path, int webhook)
{
    if (!want_array_of(v, scope, path, 1) || webhook != 1) return;
    const char *near = NULL;
    for (const cJSON *e = scope->child; e; e = e->next) {
        if (!cJSON_IsString(e)) continue;
        if (strcmp(e->valuestring, "Desk.events.ALL") == 0) return;
        if (strcasecmp(e->valuestring, "Desk.events.ALL") == 0) near = e->valuestring;
    }
    if (near)
        report(v, E, AT_VALUE, scope, path,
               "missing \"Desk.events.ALL\", which an extension webhook needs (scopes are "
               "case-sensitive: found %s)",
               quote(v, near));
    else
        report(v, E, AT_VALUE, scope, path,
               "missing \"Desk.events.ALL\", which an extension webhook needs");
}

static void check_authorisation(vctx *v, const cJSON *a, const char *path, int webhook)
{
    if (!want_object(v, a, path)) return;
    for (const cJSON *m = a->child; m; m = m->next) {
        const char *k = key_of(m);
        char *p = child(path, k);
        if (strcmp(k, "type") == 0) {
            if (want_string(v, m, p, 0) && strcmp(m->valuestring, "connectors") != 0)
                report(v, E, AT_VALUE, m, p, "expected \"connectors\", got %s", show(v, m));
        } else if (strcmp(k, "connectionLinkName") == 0 || strcmp(k, "connectionName") == 0) {
            want_string(v, m, p, 1);
        } else if (strcmp(k, "serviceName") == 0) {
            if (want_string(v, m, p, 1) && strcmp(m->valuestring, "zlabs_integration") != 0)
                report(v, W, AT_VALUE, m, p,
                       "the extension toolkit expects \"zlabs_integration\", got %s", show(v, m));
        } else if (strcmp(k, "userAccess") == 0 || strcmp(k, "isUserDefinedService") == 0) {
            want_bool(v, m, p);
        } else if (strcmp(k, "sharedBy") == 0) {
            want_string(v, m, p, 0);
        } else if (strcmp(k, "scope") == 0) {
            check_scope(v, m, p, webhook);
        } else {
            const char *s = suggest(k, auth_keys);
            if (s) report(v, W, AT_KEY, m, p, "unknown key; did you mean \"%s\"?", s);
        }
        free(p);
    }
    for (const char *const *r = auth_required; *r; r++)
        if (!cJSON_GetObjectItemCaseSensitive(a, *r))
            report(v, E, AT_VALUE, a, path, "missing required key \"%s\"", *r);
}

/* webhook: 1 when resources.json declares one, 0 when not, -1 unknown. */
static void check_manifest(vctx *v, const cJSON *root, int webhook)
{
    if (!want_object(v, root, "")) return;
    for (const cJSON *m = root->child; m; m = m->next) {
        const char *k = key_of(m);
        char *p = child("", k);
        if (strcmp(k, "type") == 0) {
            const char *t = want_string(v, m, p, 0) ? m->valuestring : "org";
            if (webhook == 1 && strcmp(t, "org") != 0)
                report(v, E, AT_VALUE, m, p,
                       "extension webhooks exist only for org extensions: expected \"org\", got %s",
                       show(v, m));
            else if (strcmp(t, "org") != 0 && strcmp(t, "personal") != 0)
                report(v, E, AT_VALUE, m, p, "expected \"org\" or \"personal\", got %s",
                       show(v, m));
        } else if (strcmp(k, "locale") == 0 || strcmp(k, "whiteListedDomains") == 0) {
            want_array_of(v, m, p, 1);
        } else if (strcmp(k, "service") == 0) {
            if (want_string(v, m, p, 1) && strcmp(m->valuestring, "DESK") != 0)
                report(v, W, AT_VALUE, m, p, "expected \"DESK\" for a Zoho Desk extension, got %s",
                       show(v, m));
        } else if (strcmp(k, "storage") == 0) {
            want_bool(v, m, p);
        } else if (strcmp(k, "modules") == 0 || strcmp(k, "cspDomains") == 0) {
            want_object(v, m, p);
        } else if (strcmp(k, "connectors") == 0) {
            want_array_of(v, m, p, 0);
        } else if (strcmp(k, "config") == 0) {
            if (want_array_of(v, m, p, 0) && cJSON_GetArraySize(m) > DM_EXT_CONFIG_MAX)
                report(v, E, AT_VALUE, m, p, "at most %d config entries, got %d", DM_EXT_CONFIG_MAX,
                       cJSON_GetArraySize(m));
        } else if (strcmp(k, "zohoAuthorisation") == 0) {
            check_authorisation(v, m, p, webhook);
        } else if (strcmp(k, "callbackListener") == 0) {
            if (want_object(v, m, p))
                for (const cJSON *c = m->child; c; c = c->next) {
                    char *cp = child(p, key_of(c));
                    want_string(v, c, cp, 1);
                    free(cp);
                }
        } else if (strcmp(k, "secret") == 0) {
            want_string(v, m, p, 1);
        } else {
            const char *s = suggest(k, manifest_keys);
            if (s) report(v, W, AT_KEY, m, p, "unknown key; did you mean \"%s\"?", s);
        }
        free(p);
    }
    if (webhook == 1 && !cJSON_GetObjectItemCaseSensitive(root, "type"))
        report(v, E, AT_VALUE, root, "",
               "missing \"type\": extension webhooks exist only for org extensions "
               "(\"type\": \"org\")");
    if (webhook == 1 && !cJSON_GetObjectItemCaseSensitive(root, "zohoAuthorisation"))
        report(v, E, AT_VALUE, root, "",
               "missing \"zohoAuthorisation\": an extension webhook needs one whose scope "
               "includes \"Desk.events.ALL\"");
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(root, "callbackListener");
    if (cl && !cJSON_GetObjectItemCaseSensitive(root, "secret"))
        report(v, E, AT_KEY, cl, "callbackListener",
               "needs a \"secret\" string at the top level of the manifest");
}

/* ==== Entry points ==== */

/* webhook < -1: root is resources.json; otherwise the manifest's webhook flag. */
static void run(dm_ext_diags *d, const dm_jpos *pos, const cJSON *root, int webhook)
{
    vctx v = {.d = d, .file = webhook < -1 ? DM_EXT_RESOURCES : DM_EXT_MANIFEST, .pos = pos};
    dm_json_each_repeat(root, "", QUOTE_MAX, duplicate_key, &v);
    if (webhook < -1)
        check_resources(&v, root);
    else
        check_manifest(&v, root, webhook);
    for (size_t i = 0; i < sizeof v.scratch / sizeof v.scratch[0]; i++)
        dm_buf_free(&v.scratch[i]);
}

void dm_ext_validate_json(const cJSON *manifest, const dm_jpos *mpos, const cJSON *resources,
                          const dm_jpos *rpos, dm_ext_diags *d)
{
    int webhook = -1;
    if (cJSON_IsObject(resources))
        webhook = cJSON_GetObjectItemCaseSensitive(resources, "webhook") != NULL;
    if (manifest) run(d, mpos, manifest, webhook);
    if (resources) run(d, rpos, resources, -2);
    if (d->n) qsort(d->v, d->n, sizeof *d->v, by_order);
    for (size_t i = 0; i < d->n; i++)
        d->v[i].seq = i; /* keep the order on the next sort */
}

/* Parses text; a syntax error becomes a diagnostic. */
static void parse(dm_ext_diags *d, const char *file, const char *text, size_t len, cJSON **out,
                  dm_jpos **pos)
{
    char msg[256];
    int rc = dm_jpos_parse(text ? text : "", text ? len : 0, out, pos, msg, sizeof msg);
    if (!rc) return;
    int line = 0, col = 0;
    const char *what = rc == DM_EPARSE ? dm_jpos_msg_where(msg, &line, &col) : NULL;
    if (!what) what = msg;
    dm_buf b = {0};
    dm_buf_printf(&b, "invalid JSON: %s", what);
    add(d, E, file, line, col, "", dm_buf_steal(&b));
}

void dm_ext_validate_text(const char *manifest, size_t mlen, const char *resources, size_t rlen,
                          dm_ext_diags *d)
{
    cJSON *m = NULL, *r = NULL;
    dm_jpos *mp = NULL, *rp = NULL;
    parse(d, DM_EXT_MANIFEST, manifest, mlen, &m, &mp);
    parse(d, DM_EXT_RESOURCES, resources, rlen, &r, &rp);
    dm_ext_validate_json(m, mp, r, rp, d);
    cJSON_Delete(m);
    cJSON_Delete(r);
    dm_jpos_free(mp);
    dm_jpos_free(rp);
}

static void set_msg(char *msg, size_t msglen, const char *what, const char *path, const char *why)
{
    if (msg && msglen) snprintf(msg, msglen, "%s %s: %s", what, path, why);
}

/* dir/name's text (owned), or NULL with "cannot read <path>: <why>" in msg. */
static char *read_named(const char *dir, const char *name, size_t *len, char *msg, size_t msglen)
{
    char path[4096];
    dm_path_join(path, sizeof path, dir, name);
    char *text = dm_read_file(path, len);
    if (!text) set_msg(msg, msglen, "cannot read", path, strerror(errno));
    return text;
}

int dm_ext_validate_dir(const char *dir, dm_ext_diags *d, char *msg, size_t msglen)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        set_msg(msg, msglen, "cannot read", dir, strerror(errno));
        return DM_EIO;
    }
    if (!S_ISDIR(st.st_mode)) {
        set_msg(msg, msglen, "cannot read", dir, "not a directory");
        return DM_EIO;
    }
    size_t mlen = 0, rlen = 0;
    char *m = read_named(dir, DM_EXT_MANIFEST, &mlen, msg, msglen);
    char *r = m ? read_named(dir, DM_EXT_RESOURCES, &rlen, msg, msglen) : NULL;
    if (r) dm_ext_validate_text(m, mlen, r, rlen, d);
    free(m);
    free(r);
    return r ? 0 : DM_EIO;
}
