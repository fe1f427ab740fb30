/* jpath.h -- the --set/--unset path syntax: dot-separated keys with [N]
 * array indexes, e.g. `cf.cf_region`, `secondaryContacts[0]`,
 * `payload.contact.email`. A key may be quoted to hold dots: `cf."a.b"`. */
#ifndef DM_JPATH_H
#define DM_JPATH_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Sets the value at path in root (an object), creating objects on the way;
 * takes ownership of value. An index may equal the array's length (append).
 * Returns 0, or DM_EINVAL with a reason in why (value freed). */
int dm_jpath_set(cJSON *root, const char *path, cJSON *value, char *why, size_t whylen);
/* Removes the value at path; DM_ENOTFOUND when absent, DM_EINVAL on syntax. */
int dm_jpath_unset(cJSON *root, const char *path, char *why, size_t whylen);
/* The value at path (borrowed) or NULL. */
cJSON *dm_jpath_get(const cJSON *root, const char *path);

/* A --set value: JSON when it is an object, array, quoted string, true,
 * false or null; otherwise the text as a string (Desk sends numbers as
 * strings, so "5" stays "5"). Owned. */
cJSON *dm_jpath_value(const char *text);

#endif
