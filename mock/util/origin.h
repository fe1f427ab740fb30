/* origin.h -- who or what made a change, and the journal record that caused
 * it: carried by every write from the request (or event, or trigger) that
 * made it to the change record, the event and each webhook's decision. */
#ifndef DM_ORIGIN_H
#define DM_ORIGIN_H

#include <stdint.h>

typedef struct dm_origin {
    uint64_t cause;        /* seq of the causing record; 0 for none */
    const char *source_id; /* the request's sourceId header, or NULL */
    int automation;        /* made by automation (control API), not a person */
    const char *actor_id;  /* agent id, or NULL for the system */
} dm_origin;

#endif
