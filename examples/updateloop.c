/* updateloop.c -- BROKEN ON PURPOSE: changes every ticket it is told about, without the sourceId.
 *
 * The bug: on each Ticket_Update it stamps the ticket (a PATCH through
 * invoke) without the webhook's ignoreSourceId as sourceId. Its own change
 * is a Ticket_Update, delivered back to it, which it stamps again: an echo
 * loop that never ends, burning the org's API limit.
 *
 * `deskmock check` catches it: `ticket-update` fails with the chain of the loop; the cases after it
 * are skipped (every write-back would loop again). */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "updateloop";
    b.update_on_update = true;
    b.send_source_id = false; /* the bug */
    return rx_main(argc, argv, &b);
}
