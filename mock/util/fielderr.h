/* fielderr.h -- what is wrong with which field of an input: Desk's errors[]
 * entries ({"fieldName", "errorType", "errorMessage"}) before they become an
 * answer. Collected by every validator (REST bodies, subscriptions,
 * extension files); turned into a response by http.h's dm_resp_error. */
#ifndef DM_FIELDERR_H
#define DM_FIELDERR_H

#include <stddef.h>

/* One problem; field is a JSON pointer ("/subscriptions/Ticket_Add"). */
typedef struct dm_field_err {
    char field[128];
    const char *type; /* "missing", "invalid", "duplicate", "unknown" (a literal) */
    char message[256];
} dm_field_err;

/* At most 16 are kept; more are dropped. */
typedef struct dm_field_errs {
    dm_field_err items[16];
    size_t n;
} dm_field_errs;

void dm_field_errs_add(dm_field_errs *e, const char *field, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes prefix + "/" + key as a JSON pointer (RFC 6901: "~" -> "~0",
 * "/" -> "~1"), at most max bytes of key, truncated to fit len. */
void dm_json_pointer(char *out, size_t len, const char *prefix, const char *key, size_t max);

#endif
