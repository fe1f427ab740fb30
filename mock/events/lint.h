/* lint.h -- checks event fixtures (fixtures/events/<Event_Type>/<name>.json,
 * specified in fixtures/events/README.md) against what a delivery element
 * holds and what the mock emits: the envelope {eventType, orgId, eventTime,
 * payload, prevState?}, the fixture's own _fixture object, prevState only on
 * types that accept includePrevState, delete payloads that are exactly {"id"},
 * and, for the resources the mock models (ticket, thread, comment, contact),
 * every key desk/shapes.c writes, with its JSON type.
 *
 * Every problem is one diagnostic at the value (or key) it is about, printed
 * as FILE:LINE:COLUMN: json.path: message, e.g.
 *
 *   Ticket_Update/x.json:61:20: payload.threadCount: expected a count as a
 *   string of digits, got 2
 *
 * Keys a payload carries beyond the mock's are allowed (Desk sends more than
 * the mock models); types the mock keeps no state for are checked only as
 * far as the envelope goes. There are no warnings: a diagnostic is an error. */
#ifndef DM_LINT_H
#define DM_LINT_H

#include "util/buf.h"
#include "util/jsonpos.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define DM_LINT_MAX_FILE (16u << 20) /* bytes; a larger file is not read */

typedef struct dm_lint_diag {
    int line, col;       /* from 1; 0 when unknown */
    const char *path;    /* e.g. "payload.assignee.id"; "" for the file as a whole */
    const char *message; /* lowercase, no trailing period */
} dm_lint_diag;

/* An ordered list of diagnostics; it owns every string in it. */
typedef struct dm_lint dm_lint;

dm_lint *dm_lint_new(void);
/* Frees the list; NULL does nothing. */
void dm_lint_free(dm_lint *l);
/* Empties the list for reuse. */
void dm_lint_clear(dm_lint *l);
size_t dm_lint_count(const dm_lint *l);
/* The i-th diagnostic (NULL when i >= count), borrowed from l. Each lint call
 * sorts what it added by line and column, else in the order found. */
const dm_lint_diag *dm_lint_get(const dm_lint *l, size_t i);

/* Appends one line per diagnostic to out: "FILE:LINE:COLUMN: path: message",
 * leaving out ":LINE:COLUMN" when unknown and "path: " when empty. file may
 * be NULL, which prints "<fixture>". */
void dm_lint_format(const dm_lint *l, const char *file, dm_buf *out);

/* Lints one fixture: len bytes of text (need not be NUL-terminated). folder
 * is the name of the folder the file sits in, or NULL: when it names an event
 * type, eventType must be that type; when it is close to a type's name
 * (dm_event_type_suggest), it is reported as a misspelt folder. A syntax
 * error is one diagnostic at its position, and nothing else is checked.
 * Appends to l and returns the number of diagnostics added. */
size_t dm_lint_text(const char *text, size_t len, const char *folder, dm_lint *l);

/* Lints a parsed fixture (borrowed); pos gives positions and may be NULL
 * (every line and column is then 0). folder as for dm_lint_text. */
size_t dm_lint_json(const cJSON *root, const dm_jpos *pos, const char *folder, dm_lint *l);

/* Lints path: a file (whatever its name), or a directory walked recursively
 * in name order for files ending in ".json" (entries whose name starts with
 * '.' are skipped, and so is everything else: README.md, scripts). For each
 * file, appends its diagnostics to out as dm_lint_format lines naming the
 * file as path/sub/name.json, and adds to *files and *errors (either may be
 * NULL). Returns 0, or DM_EIO when path or anything under it cannot be read:
 * one line per failure ("cannot read PATH: reason") goes to errs (may be
 * NULL), and whatever could be read is still linted. */
int dm_lint_path(const char *path, dm_buf *out, size_t *files, size_t *errors, dm_buf *errs);

#endif
