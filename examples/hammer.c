/* hammer.c -- BROKEN ON PURPOSE: retries a rate-limited write-back at once.
 *
 * The bug: a write-back answered 429 is retried after a fixed 200 ms,
 * whatever its Retry-After says. Desk's limit is spent until that time has
 * passed, so every early retry is refused again (and counts against the
 * extension); with a few tries the write is lost.
 *
 * `deskmock check` catches it: `desk-429` fails, naming the retry that came
 * before Retry-After had passed. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "hammer";
    b.ignore_retry_after = true; /* the bug */
    return rx_main(argc, argv, &b);
}
