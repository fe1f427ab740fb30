/* catalog.h -- every Desk webhook event type and the subscription options
 * each accepts (desk-facts.md, "Event types and the options each accepts"),
 * as the modules' schemas (desk/schemas.c) declare them. Read by the
 * extension validator, the webhook API, matching and the linter. */
#ifndef DM_CATALOG_H
#define DM_CATALOG_H

#include "desk/schema.h"

#include <stddef.h>

typedef dm_event_def dm_event_type;

/* The type named name (exact, case-sensitive), or NULL. */
const dm_event_type *dm_event_type_find(const char *name);
/* The i-th type, modules in the schemas' order; NULL past the last. */
const dm_event_type *dm_event_type_at(size_t i);
/* The known name closest to name (edit distance, case-insensitive), or NULL
 * when nothing is close enough to suggest. */
const char *dm_event_type_suggest(const char *name);

#endif
