/* json.c -- thin, checked wrappers over cJSON. */
#include "util/json.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonpos.h"
#include "util/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dm_json_pos(const char *text, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            c++; /* count characters, not UTF-8 continuation bytes */
        }
    }
    *line = l;
    *col = c;
}

/* ==== Repeated keys ==== */

const cJSON **dm_json_repeats(const cJSON *obj)
{
    size_t n = 0, i = 0;
    const cJSON *c;
    if (!cJSON_IsObject(obj)) return NULL;
    cJSON_ArrayForEach(c, obj)
        n++;
    if (n < 2) return NULL;
    const char **names = dm_xmalloc(n * sizeof *names);
    const cJSON **members = dm_xmalloc(n * sizeof *members);
    size_t *first = dm_xmalloc(n * sizeof *first);
    cJSON_ArrayForEach(c, obj) {
        names[i] = c->string;
        members[i++] = c;
    }
    dm_find_repeats(names, n, first);
    const cJSON **out = NULL;
    for (i = 0; i < n; i++) {
        if (first[i] == i) continue;
        if (!out) out = dm_xcalloc(n, sizeof *out);
        out[i] = members[first[i]];
    }
    free(names);
    free(members);
    free(first);
    return out;
}

void dm_json_each_repeat(const cJSON *node, const char *path, size_t quote_max,
                         dm_json_repeat_fn fn, void *ud)
{
    const cJSON **firsts = dm_json_repeats(node);
    size_t i = 0;
    const cJSON *c;
    for (c = node->child; c; c = c->next, i++) {
        char *p = cJSON_IsObject(node) ? dm_path_key(path, c->string ? c->string : "", quote_max)
                                       : dm_path_index(path, i);
        if (firsts && firsts[i]) fn(ud, c, firsts[i], p);
        dm_json_each_repeat(c, p, quote_max, fn, ud);
        free(p);
    }
    free(firsts);
}

/* ==== Parsing: the strict parser, then what JSON allows but we refuse ==== */

/* The first duplicate key or non-finite number under node, or NULL; *what
 * says which. Of several repeated keys in one object, the alphabetically
 * first is named, at its second occurrence. */
static const cJSON *refused(const cJSON *node, const char **what)
{
    if (cJSON_IsNumber(node) && !isfinite(node->valuedouble)) {
        *what = "number out of range";
        return node;
    }
    if (!cJSON_IsObject(node) && !cJSON_IsArray(node)) return NULL;
    const cJSON **firsts = dm_json_repeats(node), *c;
    if (firsts) {
        const cJSON *dup = NULL;
        size_t i = 0;
        cJSON_ArrayForEach(c, node) {
            if (firsts[i++] && (!dup || strcmp(c->string, dup->string) < 0)) dup = c;
        }
        free(firsts);
        *what = "duplicate key";
        return dup;
    }
    cJSON_ArrayForEach(c, node) {
        const cJSON *bad = refused(c, what);
        if (bad) return bad;
    }
    return NULL;
}

int dm_json_parse(const char *text, size_t len, cJSON **out, char *msg, size_t msglen)
{
    *out = NULL;
    dm_jpos *pos = NULL;
    char why[200];
    int rc = dm_jpos_parse(text, len, out, &pos, why, sizeof why);
    if (rc == DM_ENOMEM) {
        fputs("deskmock: out of memory parsing JSON\n", stderr);
        abort();
    }
    if (rc) {
        if (msg) snprintf(msg, msglen, "%s", why);
        return DM_EPARSE;
    }
    const char *what = NULL;
    const cJSON *bad = refused(*out, &what);
    if (bad) {
        int line = 0, col = 0;
        if (strcmp(what, "duplicate key") == 0)
            dm_jpos_key(pos, bad, &line, &col);
        else
            dm_jpos_value(pos, bad, &line, &col);
        if (msg) {
            if (bad->string && strcmp(what, "duplicate key") == 0)
                snprintf(msg, msglen, "line %d, column %d: duplicate key \"%.60s\"", line, col,
                         bad->string);
            else
                snprintf(msg, msglen, "line %d, column %d: %s", line, col, what);
        }
        cJSON_Delete(*out);
        *out = NULL;
        rc = DM_EPARSE;
    }
    dm_jpos_free(pos);
    return rc;
}

const char *dm_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void dm_json_print_buf(dm_buf *b, const cJSON *item)
{
    /* One print: cJSON grows its own buffer. Printing into ours and doubling
     * on failure printed a 10 KB payload three times. */
    char *s = dm_json_print(item);
    dm_buf_puts(b, s);
    cJSON_free(s);
}

char *dm_json_print(const cJSON *item)
{
    char *s = cJSON_PrintUnformatted(item);
    if (!s) {
        fputs("deskmock: out of memory printing JSON\n", stderr);
        abort();
    }
    return s;
}

void dm_json_set(cJSON *obj, const char *key, cJSON *item)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
    else
        cJSON_AddItemToObject(obj, key, item);
}

void dm_json_set_str(cJSON *obj, const char *key, const char *s)
{
    dm_json_set(obj, key, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

void dm_json_set_bool(cJSON *obj, const char *key, int v)
{
    dm_json_set(obj, key, cJSON_CreateBool(v));
}

void dm_json_set_count(cJSON *obj, const char *key, long long v)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", v);
    dm_json_set_str(obj, key, num);
}

void dm_json_add_count(cJSON *obj, const char *key, long long delta)
{
    const char *s = dm_json_str(obj, key);
    long long v = 0;
    if (s) {
        char *end;
        v = strtoll(s, &end, 10);
        if (*end) v = 0;
    }
    dm_json_set_count(obj, key, v + delta);
}
