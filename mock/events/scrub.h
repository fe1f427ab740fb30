/* scrub.h -- removes personal data from recorded deliveries, deterministically:
 * the same email, phone, name or text always becomes the same placeholder
 * within one scrubber, so relations between fields survive. */
#ifndef DM_SCRUB_H
#define DM_SCRUB_H

#include <cjson/cJSON.h>

typedef struct dm_scrub dm_scrub;

dm_scrub *dm_scrub_new(void);
void dm_scrub_free(dm_scrub *s); /* NULL does nothing */

/* Scrubs one delivery element in place: emails, phone numbers, people's and
 * accounts' names and free text (subject, description, content, ...) become
 * placeholders; any string that looks like an email or a phone number is
 * scrubbed whatever its key; orgId becomes the default org's and the portal
 * in URLs becomes "zylker". Ids, times, counts and flags are kept. */
void dm_scrub_event(dm_scrub *s, cJSON *event);

/* 1 when text holds something that looks like an email address or a phone
 * number: what the scrubber removes, and what its tests look for. */
int dm_scrub_has_personal(const char *text);
/* Finds the next such thing at or after text + *off: returns 1 and sets *off
 * and *len to it, or returns 0. */
int dm_scrub_next(const char *text, size_t *off, size_t *len);

#endif
