/* audience.c -- BROKEN ON PURPOSE: accepts a token issued for another webhook.
 *
 * The bug: it verifies the signature, the issuer and the expiry, but never
 * looks at aud. A token Desk issued for any other webhook of the same org
 * (another extension's, say) is taken as addressed to this one, so whoever
 * holds such a token can make this extension act.
 *
 * `deskmock check` catches it: `forged-audience` fails: a correctly signed delivery with aud
 * webhookId:<another> is answered 200. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "audience";
    b.jwt_skip = DESK_SKIP_AUD; /* the bug */
    return rx_main(argc, argv, &b);
}
