/* firstonly.c -- BROKEN ON PURPOSE: handles only the first event of each delivery.
 *
 * The bug: it reads body[0] and ignores the rest of the array. Desk batches
 * events, so under load most tickets never get their comment, while every
 * delivery is answered 200.
 *
 * `deskmock check` catches it: `batch-100` fails, listing the events of the batch no write-back
 * named. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "firstonly";
    b.first_only = true; /* the bug */
    return rx_main(argc, argv, &b);
}
