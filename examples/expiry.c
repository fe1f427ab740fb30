/* expiry.c -- BROKEN ON PURPOSE: ignores when a token is valid.
 *
 * The bug: it checks the signature, issuer and audience but not exp, nbf or
 * iat, so a token captured once (from a log, a proxy) can be replayed
 * forever, and one dated in the future is taken too.
 *
 * `deskmock check` catches it: `forged-expired` and `forged-not-yet-valid` fail. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "expiry";
    b.jwt_skip = DESK_SKIP_TIME; /* the bug */
    return rx_main(argc, argv, &b);
}
