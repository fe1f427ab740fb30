/* ids.h -- Desk-style ids from a seeded generator, and unguessable secrets.
 * The same seed yields the same ids in the same order, so a run replays. */
#ifndef DM_IDS_H
#define DM_IDS_H

#include <stdint.h>
#include <stddef.h>

#define DM_ID_MAX 32 /* buffer size for any id the mock makes or accepts */

typedef struct dm_ids {
    uint64_t state;
} dm_ids;

void dm_ids_seed(dm_ids *ids, uint64_t seed);
/* Next pseudo-random 64-bit value (splitmix64). */
uint64_t dm_ids_next64(dm_ids *ids);
/* Writes a 19-digit decimal id below 2^63 (Desk ids are Java longs). */
void dm_ids_next(dm_ids *ids, char out[DM_ID_MAX]);
/* True when s is a plausible Desk id: 1 to 19 digits, no sign, no leading zero. */
int dm_id_valid(const char *s);

/* Fills out with 2*nbytes lowercase hex chars of OS randomness plus NUL.
 * Returns 0, or DM_EIO when the OS has no randomness to give. */
int dm_random_hex(char *out, size_t nbytes);

/* 1 when the two strings are equal, compared in time that depends only on
 * their lengths (for tokens and other secrets). */
int dm_secret_equal(const char *a, const char *b);

#endif
