/* stalekeys.c -- BROKEN ON PURPOSE: fetches Desk's keys once and never again.
 *
 * The bug: the JWKS is read at the first delivery and cached for good. When
 * Desk rotates its signing key, every delivery signed with the new kid is
 * refused, until someone restarts the receiver.
 *
 * `deskmock check` catches it: `key-rotation` fails (and the cases after it are skipped: the
 * receiver no longer takes genuine deliveries). */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "stalekeys";
    b.jwt_skip = DESK_NO_REFETCH; /* the bug */
    return rx_main(argc, argv, &b);
}
