/* loop.h -- the single event loop: libmicrohttpd (external epoll), the libcurl
 * multi handle and a timer heap, waited on together by curl_multi_poll().
 * Everything runs on the thread that calls dm_loop_run(); only dm_loop_stop()
 * may be called from elsewhere (another thread or a signal handler). */
#ifndef DM_LOOP_H
#define DM_LOOP_H

#include "util/clock.h"

#include <stdint.h>

struct MHD_Daemon;
typedef struct dm_loop dm_loop;

typedef void (*dm_timer_fn)(void *ud);
/* Called when a libcurl easy handle added with dm_loop_add_transfer()
 * finishes, with its CURLcode. The handle has been removed from the multi
 * handle; the callback owns it. (Only net/outbound.c makes transfers: the
 * handles are void * here so libcurl's header stays there.) */
typedef void (*dm_transfer_fn)(void *ud, void *easy, int result);

/* Returns NULL when the wake pipe or the multi handle cannot be made. */
dm_loop *dm_loop_new(dm_clock *clock);
void dm_loop_free(dm_loop *l); /* NULL does nothing; pending transfers are cleaned up */

void dm_loop_set_daemon(dm_loop *l, struct MHD_Daemon *d);
/* fn(ud) runs at the start of every pass, before the loop may sleep: work
 * batched within a pass (the journal file's flush) is finished there. */
void dm_loop_before_wait(dm_loop *l, void (*fn)(void *), void *ud);

/* Runs fn after delay_ms. A clock timer counts the mock's clock (virtual time
 * jumps when idle); a real timer counts real time. Returns an id > 0. */
uint64_t dm_loop_after(dm_loop *l, int64_t delay_ms, int clock_timer, dm_timer_fn fn, void *ud);
/* Cancels a timer that has not fired; unknown ids are ignored. */
void dm_loop_cancel(dm_loop *l, uint64_t id);
/* Number of clock timers pending. */
size_t dm_loop_clock_timers(const dm_loop *l);
/* Moves a virtual clock forward by ms and fires the clock timers now due. */
void dm_loop_advance(dm_loop *l, int64_t ms);

/* Starts a transfer on the multi handle; done is called on completion. */
int dm_loop_add_transfer(dm_loop *l, void *easy, dm_transfer_fn done, void *ud);
/* Removes a transfer without calling its done callback; the caller still
 * owns (and cleans up) the easy handle. Unknown handles are ignored. */
void dm_loop_cancel_transfer(dm_loop *l, void *easy);
/* Transfers in flight. */
int dm_loop_transfers(const dm_loop *l);

/* Runs until dm_loop_stop(). Returns 0, or a negative DM_E* code on failure. */
int dm_loop_run(dm_loop *l);
/* Runs one iteration waiting at most max_wait_ms; for tests and shutdown. */
void dm_loop_once(dm_loop *l, int max_wait_ms);
/* Moves transfers in flight along without waiting: sends what can be sent,
 * finishes what has been answered (their callbacks run). The HTTP server
 * calls it between requests, so a flood of requests does not hold the
 * deliveries back until the end of the pass. Not from a transfer callback. */
void dm_loop_progress(dm_loop *l);
/* Makes the loop's next wait return at once (e.g. after a connection was
 * resumed, so libmicrohttpd runs again without waiting for a timeout).
 * Async-signal-safe and thread-safe. */
void dm_loop_wake(dm_loop *l);
/* Asks the loop to return; async-signal-safe and thread-safe. */
void dm_loop_stop(dm_loop *l);
int dm_loop_stopping(const dm_loop *l);

#endif
