/* nosourceid.c -- correct, without sourceId: writes back without the
 * webhook's ignoreSourceId, so its own comments come back to it, and it
 * ignores them (it acts on Ticket_Add and never on a comment).
 *
 * Wasteful (every write-back is delivered back) but not a loop: `deskmock
 * check` passes it. It is here so that check is seen not to report an echo
 * loop where the receiver does not write again. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "nosourceid";
    b.send_source_id = false;
    return rx_main(argc, argv, &b);
}
