/* json.h -- cJSON helpers: parsing with positions, typed getters, printing. */
#ifndef DM_JSON_H
#define DM_JSON_H

#include "util/jsonpos.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* Parses len bytes of text strictly (util/jsonpos.h: RFC 8259, UTF-8, no NUL,
 * nesting at most DM_JSON_MAX_DEPTH) and also refuses duplicate keys and
 * numbers too big for a double. On success *out is an owned tree (cJSON_Delete
 * it) and 0 is returned. On failure returns DM_EPARSE and, when msg is given,
 * writes "line L, column C: <what>" into it. */
#define DM_JSON_MAX_DEPTH DM_JPOS_MAX_DEPTH
int dm_json_parse(const char *text, size_t len, cJSON **out, char *msg, size_t msglen);

/* Repeated keys in obj, found sorted (O(n log n)): an owned array (free it),
 * one entry per member in document order, holding the first member with the
 * same key when that is an earlier member, else NULL. NULL when obj is not an
 * object or repeats no key. Members without a key repeat nothing. */
const cJSON **dm_json_repeats(const cJSON *obj);

/* Calls fn for every object member anywhere under node (node included) whose
 * key an earlier member of the same object has: the member, that first
 * member, and the member's display path below path (util/text.h's
 * dm_path_key with quote_max, and dm_path_index). In document order, each
 * member before what it holds. The path is valid during the call only. */
typedef void (*dm_json_repeat_fn)(void *ud, const cJSON *member, const cJSON *first,
                                  const char *path);
void dm_json_each_repeat(const cJSON *node, const char *path, size_t quote_max,
                         dm_json_repeat_fn fn, void *ud);

/* Line and column (both from 1) of byte offset off in text. */
void dm_json_pos(const char *text, size_t off, int *line, int *col);

/* The string value of obj[key], or NULL when absent or not a string. */
const char *dm_json_str(const cJSON *obj, const char *key);
/* Prints unformatted; the caller frees. Aborts on allocation failure. */
struct dm_buf;
char *dm_json_print(const cJSON *item);
/* Appends item, unformatted, to b. */
void dm_json_print_buf(struct dm_buf *b, const cJSON *item);
/* Sets obj[key] to item, replacing any existing member; takes ownership of item. */
void dm_json_set(cJSON *obj, const char *key, cJSON *item);
/* Convenience setters built on dm_json_set; NULL s stores JSON null. */
void dm_json_set_str(cJSON *obj, const char *key, const char *s);
void dm_json_set_bool(cJSON *obj, const char *key, int v);
/* Stores a count the way Desk does: as a decimal string. */
void dm_json_set_count(cJSON *obj, const char *key, long long v);
/* Adds delta to a string count (missing or unparsable counts as 0). */
void dm_json_add_count(cJSON *obj, const char *key, long long delta);

#endif
