/* catalog.h -- every Desk webhook event type and the subscription options
 * each accepts (desk-facts.md, "Event types and the options each accepts").
 * One table, read by the extension validator, the webhook API and matching. */
#ifndef DM_CATALOG_H
#define DM_CATALOG_H

#include <stddef.h>

enum {
    DM_OPT_DEPARTMENTS = 1u << 0, /* departmentIds */
    DM_OPT_PREVSTATE = 1u << 1,   /* includePrevState */
    DM_OPT_FIELDS = 1u << 2,      /* fields (at most DM_FIELDS_MAX) */
    DM_OPT_DIRECTION = 1u << 3,   /* direction: "in" or "out" */
};

#define DM_FIELDS_MAX 5

typedef struct dm_event_type {
    const char *name; /* "Ticket_Update" */
    unsigned options; /* DM_OPT_* it accepts */
} dm_event_type;

/* The type named name (exact, case-sensitive), or NULL. */
const dm_event_type *dm_event_type_find(const char *name);
/* All types, in the table's order. */
const dm_event_type *dm_event_types(size_t *n);
/* The known name closest to name (edit distance, case-insensitive), or NULL
 * when nothing is close enough to suggest. */
const char *dm_event_type_suggest(const char *name);

#endif
