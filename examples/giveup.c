/* giveup.c -- BROKEN ON PURPOSE: gives up a write-back when Desk is busy.
 *
 * The bug: a write-back answered 429 (Desk's rate limit, with Retry-After)
 * or 5xx is logged and dropped, never retried, so under load the
 * extension silently loses work.
 *
 * `deskmock check` catches it: `desk-429` and `desk-5xx` fail. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "giveup";
    b.retry_write_backs = false; /* the bug */
    return rx_main(argc, argv, &b);
}
