/* nonlatin.c -- BROKEN ON PURPOSE: refuses text that is not ASCII.
 *
 * The bug: an over-eager input filter answers 500 to any body with a byte
 * above 0x7f. Customers write in every script and with emoji: their
 * tickets are retried, then dropped.
 *
 * `deskmock check` catches it: `non-latin` fails. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "nonlatin";
    b.ascii_only = true; /* the bug */
    return rx_main(argc, argv, &b);
}
