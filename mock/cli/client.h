/* client.h -- what the CLI subcommands that talk to a running mock share:
 * finding it (--mock, DESKMOCK_URL, a ready file) and one blocking HTTP call. */
#ifndef DM_CLIENT_H
#define DM_CLIENT_H

#include "util/buf.h"

#include <cjson/cJSON.h>

/* The mock's base URL into out: url when given, else $DESKMOCK_URL, else the
 * "url" of ready_file (or of $DESKMOCK_READY_FILE). 0, or -1 with a message
 * on stderr naming what was tried. */
int dm_client_mock_url(const char *url, const char *ready_file, char *out, size_t outlen);

/* method url with an optional JSON body; the answer's body is parsed into
 * *json when it is JSON (caller deletes). Returns the HTTP status, or -1 when
 * no answer came (a message is written to err). */
long dm_client_call(const char *method, const char *url, const char *body, cJSON **json,
                    long timeout_ms, char *err, size_t errlen);

#endif
