/* slow.c -- BROKEN ON PURPOSE: works before it answers.
 *
 * The bug: it does each event's work inside the request -- 300 ms of
 * processing (standing in for a slow database or API), then the write-back
 * through invoke -- and only then answers, one event after another. When
 * things are quick that looks fine. But Desk waits 5 s at most: a batch of
 * 20 events takes over 6 s, and when Desk's own API is slow (the invoke
 * call taking 2 s) even a single event misses a 1 s limit. The attempt fails
 * and the event is sent again, although the work was done. The correct
 * receiver answers at once and leaves the write-back to a worker thread.
 * (Its GET and /authorise still answer at once while a delivery is slow: a
 * thread per connection.)
 *
 * `deskmock check` fails it in `timeout`: with Desk's API 1.2 s slow and a
 * delivery timeout of 1 s, the Ticket_Add is not answered in time; and in
 * `batch-100`, whose 100 events take it 30 s, past the default 5 s. */
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "slow";
    b.work_before_answering = true; /* the bug... */
    b.work_ms = 300;                /* ...and the work takes a while */
    return rx_main(argc, argv, &b);
}
