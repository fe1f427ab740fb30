/* trusting.c -- BROKEN ON PURPOSE: believes anyone.
 *
 * The bug: it never looks at X-ZDesk-JWT. A request with no token, an
 * expired one, one with a broken signature or one issued for another org is
 * handled like a real delivery, so anyone who learns the webhook URL can
 * make the extension act (here: write comments on tickets). It still checks
 * the orgId and securityContext in the URL, which is why it is dangerous: it
 * looks careful. Everything else is right.
 *
 * `deskmock check` fails it in `forged-no-token`: a delivery forged with no
 * JWT (POST /mock/v1/deliveries "jwt": "none") gets 200 instead of 401, and
 * a forged Ticket_Add even makes it write a comment. The other forgeries
 * are skipped as built on that one; it passes `forged-security-context`
 * and `forged-org-id`. */
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "trusting";
    b.verify_jwt = false; /* the bug */
    return rx_main(argc, argv, &b);
}
