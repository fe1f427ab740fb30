/* jsonpos.h -- a strict JSON parser (RFC 8259) that builds a cJSON tree and
 * remembers where each value, and each object member's key, starts in the
 * text, so that validators can say "resources.json:14:23: ...".
 *
 * Lines and columns count from 1; columns count characters (UTF-8 code
 * points), not bytes; a tab is one column. Duplicate keys are not an error:
 * both members stay in the tree, in document order, each with its own
 * position, and the caller decides (cJSON_GetObjectItem finds the first). */
#ifndef DM_JSONPOS_H
#define DM_JSONPOS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define DM_JPOS_MAX_DEPTH 64

typedef struct dm_jpos dm_jpos;

/* Parses len bytes of text (need not be NUL-terminated). The whole text must
 * be one JSON value with optional whitespace around it (a leading UTF-8 byte
 * order mark is skipped); NUL bytes, invalid UTF-8 inside strings, "\u0000",
 * unpaired surrogates and nesting deeper than DM_JPOS_MAX_DEPTH are errors.
 *
 * On success returns 0, *out is an owned tree (cJSON_Delete it) and, when
 * pos is not NULL, *pos owns the positions of that tree (dm_jpos_free it;
 * it stays valid only while the tree is neither freed nor changed).
 * On a syntax error returns DM_EPARSE, sets *out (and *pos) to NULL and, when
 * msg is given, writes "line L, column C: what went wrong" into it, the
 * position being that of the offending character (or of the end of input).
 * Returns DM_ENOMEM, with the same cleanup, when cJSON cannot allocate. */
int dm_jpos_parse(const char *text, size_t len, cJSON **out, dm_jpos **pos, char *msg,
                  size_t msglen);

/* Where node (a value of the tree p was parsed with) starts. Returns 0, or
 * DM_ENOTFOUND with *line = *col = 0 when p is NULL or node unknown. */
int dm_jpos_value(const dm_jpos *p, const cJSON *node, int *line, int *col);

/* Where the key of node (an object member) starts: its opening quote.
 * Returns 0, or DM_ENOTFOUND with *line = *col = 0 when p is NULL, node is
 * unknown or is not an object member. */
int dm_jpos_key(const dm_jpos *p, const cJSON *node, int *line, int *col);

/* Splits an error message as dm_jpos_parse (and util/json.h's dm_json_parse)
 * write it, "line L, column C: what", into L, C and what: returns what (a
 * pointer into msg). Without that prefix returns NULL, *line = *col = 0. */
const char *dm_jpos_msg_where(const char *msg, int *line, int *col);

/* Frees p; NULL does nothing. The tree is not touched. */
void dm_jpos_free(dm_jpos *p);

#endif
