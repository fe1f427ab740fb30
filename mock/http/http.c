/* http.c -- key/value lists, responses, the Desk error envelope, and routing.
 * No I/O here: see server.c for the libmicrohttpd side. */
#include "http/http.h"
#include "util/err.h"
#include "util/json.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static dm_kv *kvs_push(dm_kvs *kvs)
{
    if (kvs->n == kvs->cap) {
        kvs->cap = kvs->cap ? kvs->cap * 2 : 8;
        kvs->items = dm_xrealloc(kvs->items, kvs->cap * sizeof *kvs->items);
    }
    return &kvs->items[kvs->n++];
}

void dm_kvs_add(dm_kvs *kvs, const char *key, const char *value)
{
    assert(!kvs->borrowed);
    dm_kv *kv = kvs_push(kvs);
    kv->key = dm_xstrdup(key);
    kv->value = dm_xstrdup(value ? value : "");
}

void dm_kvs_add_borrowed(dm_kvs *kvs, const char *key, const char *value)
{
    assert(kvs->borrowed || !kvs->n);
    kvs->borrowed = 1;
    dm_kv *kv = kvs_push(kvs);
    kv->key = (char *)key;
    kv->value = (char *)(value ? value : "");
}

const char *dm_kvs_get(const dm_kvs *kvs, const char *key)
{
    for (size_t i = 0; i < kvs->n; i++)
        if (strcasecmp(kvs->items[i].key, key) == 0) return kvs->items[i].value;
    return NULL;
}

void dm_kvs_free(dm_kvs *kvs)
{
    for (size_t i = 0; i < kvs->n && !kvs->borrowed; i++) {
        free(kvs->items[i].key);
        free(kvs->items[i].value);
    }
    free(kvs->items);
    memset(kvs, 0, sizeof *kvs);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes one form component into out; -1 on a bad escape or a NUL. */
static int decode(const char *s, size_t len, dm_buf *out)
{
    dm_buf_reset(out);
    dm_buf_append(out, "", 0);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 1 < len ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') return -1;
        dm_buf_putc(out, c);
    }
    return 0;
}

int dm_form_parse(const char *s, size_t len, dm_kvs *kvs)
{
    dm_buf k = {0}, v = {0};
    int rc = 0;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && s[end] != '&')
            end++;
        if (end > i) {
            size_t eq = i;
            while (eq < end && s[eq] != '=')
                eq++;
            if (decode(s + i, eq - i, &k) ||
                decode(s + (eq < end ? eq + 1 : end), eq < end ? end - eq - 1 : 0, &v)) {
                rc = DM_EPARSE;
                break;
            }
            dm_kvs_add(kvs, k.data, v.data);
        }
        i = end + 1;
    }
    dm_buf_free(&k);
    dm_buf_free(&v);
    return rc;
}

void dm_async_on_abort(dm_async *a, void (*fn)(void *ud), void *ud)
{
    a->on_abort = fn;
    a->abort_ud = ud;
}

void dm_async_complete(dm_async *a, dm_resp *resp)
{
    a->on_abort = NULL;
    a->complete(a, resp);
}

void dm_resp_init(dm_resp *r)
{
    memset(r, 0, sizeof *r);
    r->status = 200;
    r->content_type = "application/json;charset=UTF-8";
}

void dm_resp_free(dm_resp *r)
{
    dm_buf_free(&r->body);
    dm_kvs_free(&r->headers);
    dm_buf_free(&r->journal_note);
}

void dm_resp_json(dm_resp *r, int status, const cJSON *item)
{
    r->status = status;
    dm_buf_reset(&r->body);
    dm_json_print_buf(&r->body, item);
}

void dm_resp_raw(dm_resp *r, int status, const char *json, size_t len)
{
    r->status = status;
    dm_buf_reset(&r->body);
    dm_buf_append(&r->body, json, len);
}

void dm_resp_header(dm_resp *r, const char *key, const char *value)
{
    dm_kvs_add(&r->headers, key, value);
}

void dm_resp_error(dm_resp *r, int status, const char *code, const char *message,
                   const dm_field_errs *errs)
{
    dm_buf_reset(&r->body);
    r->status = status;
    r->error_code = code;
    dm_buf_puts(&r->body, "{\"errorCode\":");
    dm_buf_json_str(&r->body, code);
    dm_buf_puts(&r->body, ",\"message\":");
    dm_buf_json_str(&r->body, message);
    if (errs && errs->n) {
        dm_buf_puts(&r->body, ",\"errors\":[");
        for (size_t i = 0; i < errs->n; i++) {
            if (i) dm_buf_putc(&r->body, ',');
            dm_buf_puts(&r->body, "{\"fieldName\":");
            dm_buf_json_str(&r->body, errs->items[i].field);
            dm_buf_puts(&r->body, ",\"errorType\":");
            dm_buf_json_str(&r->body, errs->items[i].type);
            dm_buf_puts(&r->body, ",\"errorMessage\":");
            dm_buf_json_str(&r->body, errs->items[i].message);
            dm_buf_putc(&r->body, '}');
        }
        dm_buf_putc(&r->body, ']');
    }
    dm_buf_putc(&r->body, '}');
}

/* Matches one pattern against path, capturing {} segments. */
static int match(const char *pattern, const char *path, dm_req *req)
{
    int np = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (p[0] == '{' && p[1] == '}') {
            size_t n = strcspn(s, "/");
            if (n == 0 || n >= sizeof req->params[0] || np == DM_MAX_PARAMS) return 0;
            memcpy(req->params[np], s, n);
            req->params[np][n] = '\0';
            np++;
            p += 2;
            s += n;
        } else if (*p == *s) {
            p++;
            s++;
        } else {
            return 0;
        }
    }
    /* One trailing slash on the request is tolerated. */
    if (*s == '/' && s[1] == '\0') s++;
    if (*p || *s) return 0;
    req->nparams = np;
    return 1;
}

/* ==== Router ==== */

typedef struct table {
    const dm_route *routes;
    size_t n;
    void *self;
} table;

struct dm_router {
    table *tables;
    size_t n;
};

dm_router *dm_router_new(void)
{
    return dm_xcalloc(1, sizeof(dm_router));
}

void dm_router_free(dm_router *r)
{
    if (!r) return;
    free(r->tables);
    free(r);
}

void dm_router_add(dm_router *r, const dm_route *routes, size_t n, void *self)
{
    r->tables = dm_xrealloc(r->tables, (r->n + 1) * sizeof *r->tables);
    r->tables[r->n++] = (table){routes, n, self};
}

const dm_route *dm_router_match(const dm_router *r, dm_req *req, void **self, int *path_known,
                                char *allow, size_t allowlen)
{
    *path_known = 0;
    if (allow && allowlen) allow[0] = '\0';
    for (size_t t = 0; t < r->n; t++) {
        const table *tb = &r->tables[t];
        for (size_t i = 0; i < tb->n; i++) {
            const dm_route *route = &tb->routes[i];
            if (!match(route->pattern, req->path, req)) continue;
            if (strcmp(route->method, req->method) == 0) {
                match(route->pattern, req->path, req); /* captures may have been overwritten */
                *self = tb->self;
                return route;
            }
            if (allow && !strstr(allow, route->method)) {
                size_t used = strlen(allow);
                snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "", route->method);
            }
            *path_known = 1;
        }
    }
    return NULL;
}
