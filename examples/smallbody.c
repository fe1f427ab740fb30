/* smallbody.c -- BROKEN ON PURPOSE: refuses bodies over 100 KB.
 *
 * The bug: a request body limit of 100 KB (a common framework default). A
 * long email thread, or a batch of events, is larger: Desk gets 413 and
 * retries the same too-large body until it gives up.
 *
 * `deskmock check` catches it: `large-thread` and `batch-100` fail. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "smallbody";
    b.body_max = 100u * 1024; /* the bug */
    return rx_main(argc, argv, &b);
}
