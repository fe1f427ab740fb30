/* clock.h -- the mock's one clock: real, or virtual and moved by hand.
 * Network timeouts never use it; they stay real (dm_mono_ms). */
#ifndef DM_CLOCK_H
#define DM_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define DM_ISO_LEN 64 /* buffer for "YYYY-MM-DDTHH:MM:SS.mmmZ" */

typedef struct dm_clock {
    int is_virtual;
    int64_t virt_ms; /* epoch ms, when virtual */
} dm_clock;

/* Epoch milliseconds now, by this clock. */
int64_t dm_clock_now(const dm_clock *c);
/* Moves a virtual clock forward; a real clock ignores it. */
void dm_clock_advance(dm_clock *c, int64_t ms);

/* Real monotonic milliseconds and microseconds, for timeouts and latencies. */
int64_t dm_mono_ms(void);
int64_t dm_mono_us(void);
/* Real wall-clock epoch milliseconds. */
int64_t dm_wall_ms(void);

/* Formats epoch ms as ISO-8601 UTC with milliseconds. */
void dm_iso_time(int64_t ms, char out[DM_ISO_LEN]);
/* Parses "YYYY-MM-DDTHH:MM:SS[.mmm]Z"; 0 on success, DM_EPARSE otherwise. */
int dm_iso_parse(const char *s, int64_t *ms);

/* Parses "0,1s,5m,2h" (bare numbers are ms; each at most a week) or "none"
 * into at most max delays in ms; 0 on success, -1 otherwise. */
int dm_parse_durations(const char *s, int64_t *out, size_t max, size_t *n);

#endif
