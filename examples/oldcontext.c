/* oldcontext.c -- BROKEN ON PURPOSE: keeps the first installation's securityContext forever.
 *
 * The bug: it stores the securityContext of the first authorise callback and
 * ignores later ones. After the extension is uninstalled and installed
 * again, the new installation's deliveries are refused and its write-backs
 * would carry a revoked securityContext.
 *
 * `deskmock check` catches it: `reinstall` fails. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "oldcontext";
    b.first_context_only = true; /* the bug */
    return rx_main(argc, argv, &b);
}
