/* fragile.c -- BROKEN ON PURPOSE: one bad request breaks it for good.
 *
 * The bug: after it receives a delivery whose body is not a JSON array (it
 * answers that one 400, correctly), it answers 500 to every later POST, as a
 * server does whose error path leaves shared state corrupt (a parser left
 * half-reset, a poisoned lock, a closed database handle). It would keep
 * failing real deliveries until someone restarted it. GET still answers 200,
 * so a naive health check says all is well. Until then it is correct.
 *
 * `deskmock check` fails it in `malformed-body`: after a delivery whose body
 * is "not json" (400, fine), the next real Ticket_Add gets 500, not 200. */
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "fragile";
    b.poisoned_by_bad_body = true; /* the bug */
    return rx_main(argc, argv, &b);
}
