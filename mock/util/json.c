/* json.c -- thin, checked wrappers over cJSON. */
#include "util/json.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonpos.h"

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

/* ==== Parsing: the strict parser, then what JSON allows but we refuse ==== */

typedef struct key_at {
    const char *key;
    const cJSON *node;
} key_at;

static int by_key(const void *a, const void *b)
{
    return strcmp(((const key_at *)a)->key, ((const key_at *)b)->key);
}

/* The first duplicate key or non-finite number under node, or NULL; *what
 * says which. Keys are compared sorted: no quadratic blow-up on big objects. */
static const cJSON *refused(const cJSON *node, const char **what)
{
    if (cJSON_IsNumber(node) && !isfinite(node->valuedouble)) {
        *what = "number out of range";
        return node;
    }
    if (!cJSON_IsObject(node) && !cJSON_IsArray(node)) return NULL;
    size_t n = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, node) n++;
    if (cJSON_IsObject(node) && n > 1) {
        key_at *keys = dm_xmalloc(n * sizeof *keys);
        size_t i = 0;
        cJSON_ArrayForEach(c, node) keys[i++] = (key_at){c->string, c};
        qsort(keys, n, sizeof *keys, by_key);
        const cJSON *dup = NULL;
        for (i = 1; i < n && !dup; i++)
            if (strcmp(keys[i - 1].key, keys[i].key) == 0) dup = keys[i].node;
        free(keys);
        if (dup) {
            *what = "duplicate key";
            return dup;
        }
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
        if (strcmp(what, "duplicate key") == 0) dm_jpos_key(pos, bad, &line, &col);
        else dm_jpos_value(pos, bad, &line, &col);
        if (msg) {
            if (bad->string && strcmp(what, "duplicate key") == 0)
                snprintf(msg, msglen, "line %d, column %d: duplicate key \"%.60s\"", line, col, bad->string);
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
