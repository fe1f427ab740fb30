/* json.c -- thin, checked wrappers over cJSON. */
#include "util/json.h"
#include "util/buf.h"
#include "util/err.h"

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

/* Depth of the deepest bracket nesting outside strings; stops early past max. */
static int too_deep(const char *text, size_t len, size_t *at)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (in_str) {
            if (ch == '\\') i++;
            else if (ch == '"') in_str = 0;
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == '[' || ch == '{') {
            if (++depth > DM_JSON_MAX_DEPTH) {
                *at = i;
                return 1;
            }
        } else if (ch == ']' || ch == '}') {
            depth--;
        }
    }
    return 0;
}

static int is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* cJSON's error offset is one past the offending character when an object
 * key does not start with a quote ('{"a":1,}' reports the end of input), and
 * just past the opening quote of a string that never ends. Rescans the text
 * (strings and brackets only) to move off to the character actually at fault:
 * the key position, or the end of input. */
static size_t error_offset(const char *text, size_t len, size_t off)
{
    char stack[DM_JSON_MAX_DEPTH];
    int depth = 0, in_str = 0;
    size_t str_start = 0;
    char prev = 0; /* last non-whitespace character outside strings */
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (in_str) {
            if (ch == '\\') {
                i++;
            } else if (ch == '"') {
                in_str = 0;
                prev = '"';
            }
            continue;
        }
        if (i >= off) break;
        if (i + 1 == off && !is_ws(ch) && ch != '"' && depth && stack[depth - 1] == '{' &&
            (prev == '{' || prev == ','))
            return i;
        if (ch == '"') {
            in_str = 1;
            str_start = i;
        } else if (ch == '{' || ch == '[') {
            if (depth < DM_JSON_MAX_DEPTH) stack[depth++] = ch;
        } else if ((ch == '}' || ch == ']') && depth) {
            depth--;
        }
        if (!is_ws(ch)) prev = ch;
    }
    return in_str && off > str_start ? len : off;
}

int dm_json_parse(const char *text, size_t len, cJSON **out, char *msg, size_t msglen)
{
    *out = NULL;
    int line, col;
    size_t at = 0;
    if (too_deep(text, len, &at)) {
        dm_json_pos(text, at, &line, &col);
        if (msg) snprintf(msg, msglen, "line %d, column %d: nesting deeper than %d", line, col,
                          DM_JSON_MAX_DEPTH);
        return DM_EPARSE;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        dm_json_pos(text, (size_t)(nul - text), &line, &col);
        if (msg) snprintf(msg, msglen, "line %d, column %d: NUL byte in input", line, col);
        return DM_EPARSE;
    }
    /* cJSON wants the text NUL-terminated; request bodies are not. */
    char *copy = dm_xstrndup(text, len);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 1);
    if (!root) {
        size_t off = end && end >= copy ? (size_t)(end - copy) : 0;
        if (off > len) off = len;
        off = error_offset(copy, len, off);
        dm_json_pos(copy, off, &line, &col);
        if (msg) {
            if (len == 0 || strspn(copy, " \t\r\n") == len)
                snprintf(msg, msglen, "line %d, column %d: no JSON value", line, col);
            else if (off >= len)
                snprintf(msg, msglen, "line %d, column %d: unexpected end of input", line, col);
            else
                snprintf(msg, msglen, "line %d, column %d: unexpected character '%c'", line, col,
                         (unsigned char)copy[off] >= 0x20 && (unsigned char)copy[off] < 0x7f
                             ? copy[off]
                             : '?');
        }
        free(copy);
        return DM_EPARSE;
    }
    free(copy);
    *out = root;
    return 0;
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
