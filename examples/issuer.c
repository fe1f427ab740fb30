/* issuer.c -- BROKEN ON PURPOSE: accepts a token issued for another org.
 *
 * The bug: it never compares iss with its own org. A token Desk signed for
 * any other org passes, so a delivery meant for one customer's portal can
 * act on another's.
 *
 * `deskmock check` catches it: `forged-issuer` fails: a correctly signed delivery with iss
 * orgId:<another> is answered 200. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "issuer";
    b.jwt_skip = DESK_SKIP_ISS; /* the bug */
    return rx_main(argc, argv, &b);
}
