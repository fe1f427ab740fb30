/* double.c -- BROKEN ON PURPOSE: acts twice on a redelivered event.
 *
 * The bug: it does not de-duplicate. Desk delivers at least once and gives
 * no delivery id, so the same event can arrive again (a retry after a
 * timeout, a duplicate); this receiver handles it again and writes a second,
 * identical "Thanks, we got ticket N" comment. A correct receiver remembers
 * eventType + payload.id + payload.modifiedTime and answers a repeat 200
 * without acting. Everything else is right.
 *
 * `deskmock check` fails it in `duplicate`: with the fault
 * {"delivery": {"duplicate": 1}} one Ticket_Add is delivered twice and leads
 * to two identical invoke calls, two comments on the ticket. */
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "double";
    b.deduplicate = false; /* the bug */
    return rx_main(argc, argv, &b);
}
