/* validate.h -- checks an extension's plugin-manifest.json and resources.json
 * against what Desk and the official extension toolkit require of a webhook
 * extension (desk-facts.md, "Extensions" and "Event types"), and reports
 * every problem found, each at the value or key it is about.
 *
 * Diagnostics are collected in a dm_ext_diags list and printed one per line,
 * errors first, then warnings, ordered by file, line and column:
 *
 *   resources.json:14:23: webhook.ignoreSourceId: expected a UUID, got "abc"
 *   plugin-manifest.json:9:20: warning: zohoAuthorisation.serviceName: ...
 *
 * Trees that came without positions (JSON posted over HTTP) give line and
 * column 0, and the formatter leaves them out: "resources.json: webhook.url: ..." */
#ifndef DM_EXT_VALIDATE_H
#define DM_EXT_VALIDATE_H

#include "util/buf.h"
#include "util/jsonpos.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define DM_EXT_MANIFEST   "plugin-manifest.json"
#define DM_EXT_RESOURCES  "resources.json"
#define DM_EXT_NAME_MAX   50 /* characters in webhook.name */
#define DM_EXT_CONFIG_MAX 20 /* entries in the manifest's config */

typedef enum dm_ext_severity {
    DM_EXT_ERROR,   /* Desk or the toolkit would reject the extension */
    DM_EXT_WARNING, /* accepted, but probably not what was meant */
} dm_ext_severity;

typedef struct dm_ext_diag {
    dm_ext_severity severity;
    const char *file;    /* DM_EXT_MANIFEST or DM_EXT_RESOURCES */
    int line, col;       /* from 1; 0 when unknown */
    const char *path;    /* e.g. "webhook.subscriptions.Ticket_Update.fields[2]";
                            "" for the file as a whole */
    const char *message; /* lowercase, no trailing period */
} dm_ext_diag;

/* An ordered list of diagnostics; it owns every string in it. */
typedef struct dm_ext_diags dm_ext_diags;

dm_ext_diags *dm_ext_diags_new(void);
/* Frees the list and its diagnostics; NULL does nothing. */
void dm_ext_diags_free(dm_ext_diags *d);
size_t dm_ext_diags_count(const dm_ext_diags *d);
size_t dm_ext_diags_errors(const dm_ext_diags *d);
size_t dm_ext_diags_warnings(const dm_ext_diags *d);
/* The i-th diagnostic (i < count), borrowed from d: errors first, then
 * warnings, each group by file, line and column, else in the order found. */
const dm_ext_diag *dm_ext_diags_get(const dm_ext_diags *d, size_t i);

/* Appends one line per diagnostic to out:
 *   FILE:LINE:COLUMN: json.path: message
 *   FILE:LINE:COLUMN: warning: json.path: message
 * ":LINE:COLUMN" is left out when unknown, "json.path: " when empty. FILE is
 * the bare file name, or "dir/FILE" when dir is not NULL. */
void dm_ext_diags_format(const dm_ext_diags *d, const char *dir, dm_buf *out);
/* The diagnostics as an owned JSON array (cJSON_Delete it) of
 * {"severity","file","line","column","path","message"}. */
cJSON *dm_ext_diags_json(const dm_ext_diags *d);

/* Validates parsed trees and appends what it finds to d. Either tree may be
 * NULL (not available, e.g. it did not parse): its checks are skipped, and so
 * are the manifest checks that depend on whether resources.json declares a
 * webhook when resources is NULL. mpos / rpos give positions and may be NULL.
 * Everything is borrowed. */
void dm_ext_validate_json(const cJSON *manifest, const dm_jpos *mpos, const cJSON *resources,
                          const dm_jpos *rpos, dm_ext_diags *d);

/* Parses both texts (need not be NUL-terminated) with positions and
 * validates them; a syntax error becomes an error diagnostic at its position
 * and the other file is still checked. */
void dm_ext_validate_text(const char *manifest, size_t mlen, const char *resources, size_t rlen,
                          dm_ext_diags *d);

/* Reads dir/plugin-manifest.json and dir/resources.json and validates them.
 * Returns 0 when both were read, whatever they hold (look at d), or DM_EIO
 * when dir or one of the files cannot be read, with msg (when given) saying
 * which and why, e.g. "cannot read x/resources.json: No such file or directory";
 * nothing is appended to d then. */
int dm_ext_validate_dir(const char *dir, dm_ext_diags *d, char *msg, size_t msglen);

#endif
