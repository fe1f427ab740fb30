/* badhash.c -- BROKEN ON PURPOSE: signs its write-backs over the wrong text.
 *
 * The bug: the invoke HASH is an HMAC-SHA256 of the request's fields in a
 * fixed order (requestURL, requestType, postBody, headers); this one puts
 * postBody before requestType. Desk refuses every write-back with
 * INVALID_HASH; deliveries are all answered 200, so nothing looks wrong
 * until someone notices the comments never appear.
 *
 * `deskmock check` catches it: `ticket-add` fails, quoting the refusal and the exact text the HASH
 * had to cover; later cases showing the same refusal are skipped, naming it. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "badhash";
    b.bad_hash = true; /* the bug */
    return rx_main(argc, argv, &b);
}
