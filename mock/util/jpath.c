/* jpath.c -- parses a path into steps, then walks or builds a cJSON tree.
 * Paths are short: at most 32 steps of at most 255 bytes each. */
#include "util/jpath.h"
#include "util/err.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 32

typedef struct step {
    int is_index;
    long index;
    char key[256];
} step;

static int parse(const char *path, step *steps, int *n, char *why, size_t whylen)
{
    const char *p = path;
    *n = 0;
    if (!*p) {
        snprintf(why, whylen, "empty path");
        return DM_EINVAL;
    }
    for (;;) {
        if (*n == MAX_STEPS) {
            snprintf(why, whylen, "path has more than %d steps", MAX_STEPS);
            return DM_EINVAL;
        }
        step *s = &steps[*n];
        memset(s, 0, sizeof *s);
        if (*p == '[') {
            char *end;
            if (p[1] < '0' || p[1] > '9') goto bad_index;
            long v = strtol(p + 1, &end, 10);
            if (*end != ']' || v < 0 || v > 100000) goto bad_index;
            s->is_index = 1;
            s->index = v;
            p = end + 1;
        } else {
            size_t k = 0;
            if (*p == '"') {
                p++;
                while (*p && *p != '"') {
                    if (k + 1 >= sizeof s->key) goto too_long;
                    s->key[k++] = *p++;
                }
                if (*p != '"') {
                    snprintf(why, whylen, "unterminated quote in \"%.100s\"", path);
                    return DM_EINVAL;
                }
                p++;
            } else {
                while (*p && *p != '.' && *p != '[') {
                    if (*p == ']' || *p == '"') {
                        snprintf(why, whylen, "unexpected '%c' in \"%.100s\"", *p, path);
                        return DM_EINVAL;
                    }
                    if (k + 1 >= sizeof s->key) goto too_long;
                    s->key[k++] = *p++;
                }
            }
            if (k == 0) {
                snprintf(why, whylen, "empty key in \"%.100s\"", path);
                return DM_EINVAL;
            }
        }
        (*n)++;
        if (!*p) return 0;
        if (*p == '.') {
            p++;
            if (!*p) {
                snprintf(why, whylen, "path \"%.100s\" ends with '.'", path);
                return DM_EINVAL;
            }
        } else if (*p != '[') {
            snprintf(why, whylen, "expected '.' or '[' in \"%.100s\"", path);
            return DM_EINVAL;
        }
    }
bad_index:
    snprintf(why, whylen, "bad array index in \"%.100s\": expected [N]", path);
    return DM_EINVAL;
too_long:
    snprintf(why, whylen, "a key in \"%.60s...\" is longer than 255 bytes", path);
    return DM_EINVAL;
}

static cJSON *child(const cJSON *node, const step *s)
{
    if (s->is_index) return cJSON_IsArray(node) ? cJSON_GetArrayItem(node, (int)s->index) : NULL;
    return cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, s->key) : NULL;
}

cJSON *dm_jpath_get(const cJSON *root, const char *path)
{
    step steps[MAX_STEPS];
    int n;
    char why[8];
    if (parse(path, steps, &n, why, sizeof why)) return NULL;
    const cJSON *node = root;
    for (int i = 0; i < n && node; i++)
        node = child(node, &steps[i]);
    return (cJSON *)node;
}

int dm_jpath_set(cJSON *root, const char *path, cJSON *value, char *why, size_t whylen)
{
    step steps[MAX_STEPS];
    int n;
    if (parse(path, steps, &n, why, whylen)) {
        cJSON_Delete(value);
        return DM_EINVAL;
    }
    cJSON *node = root;
    for (int i = 0; i < n; i++) {
        const step *s = &steps[i];
        int last = i == n - 1;
        if (s->is_index) {
            int size = cJSON_GetArraySize(node);
            if (!cJSON_IsArray(node) || s->index > size) {
                snprintf(why, whylen, "%.100s: [%ld] is past the end of an array of %d", path,
                         s->index, cJSON_IsArray(node) ? size : 0);
                cJSON_Delete(value);
                return DM_EINVAL;
            }
            if (last) {
                if (s->index == size)
                    cJSON_AddItemToArray(node, value);
                else
                    cJSON_ReplaceItemInArray(node, (int)s->index, value);
                return 0;
            }
            if (s->index == size) {
                cJSON *fresh = steps[i + 1].is_index ? cJSON_CreateArray() : cJSON_CreateObject();
                cJSON_AddItemToArray(node, fresh);
            }
            node = cJSON_GetArrayItem(node, (int)s->index);
        } else {
            if (!cJSON_IsObject(node)) {
                snprintf(why, whylen, "%.100s: \"%.60s\" is inside something that is not an object",
                         path, s->key);
                cJSON_Delete(value);
                return DM_EINVAL;
            }
            if (last) {
                dm_json_set(node, s->key, value);
                return 0;
            }
            cJSON *next = cJSON_GetObjectItemCaseSensitive(node, s->key);
            if (!next || cJSON_IsNull(next)) {
                next = steps[i + 1].is_index ? cJSON_CreateArray() : cJSON_CreateObject();
                dm_json_set(node, s->key, next);
            }
            node = next;
        }
    }
    cJSON_Delete(value);
    return DM_EINVAL; /* unreachable: n >= 1 */
}

int dm_jpath_unset(cJSON *root, const char *path, char *why, size_t whylen)
{
    step steps[MAX_STEPS];
    int n;
    if (parse(path, steps, &n, why, whylen)) return DM_EINVAL;
    cJSON *node = root;
    for (int i = 0; i < n - 1 && node; i++)
        node = child(node, &steps[i]);
    const step *s = &steps[n - 1];
    cJSON *gone = NULL;
    if (node && s->is_index && cJSON_IsArray(node))
        gone = cJSON_DetachItemFromArray(node, (int)s->index);
    else if (node && !s->is_index && cJSON_IsObject(node))
        gone = cJSON_DetachItemFromObjectCaseSensitive(node, s->key);
    if (!gone) {
        snprintf(why, whylen, "%.100s: nothing there to remove", path);
        return DM_ENOTFOUND;
    }
    cJSON_Delete(gone);
    return 0;
}

cJSON *dm_jpath_value(const char *text)
{
    if (text[0] == '{' || text[0] == '[' || text[0] == '"' || strcmp(text, "true") == 0 ||
        strcmp(text, "false") == 0 || strcmp(text, "null") == 0) {
        cJSON *v = NULL;
        if (dm_json_parse(text, strlen(text), &v, NULL, 0) == 0) return v;
    }
    return cJSON_CreateString(text);
}
