/* correct.c -- the receiver to copy: a Zoho Desk extension webhook receiver
 * that passes every case of `deskmock check`.
 *
 * It answers Desk's unsigned GET check with 200; remembers the org and
 * securityContext from the onDeskAuthorise callback (POST /authorise); and
 * for each delivery (any other POST) it
 *   1. verifies X-ZDesk-JWT: RS256 by a key from <mock>/.well-known/jwks.json,
 *      iss "orgId:<the authorised org>", aud "webhookId:...", not expired;
 *   2. checks the URL's orgId and securityContext are the authorised ones
 *      (401 and nothing else on any failure, or before authorisation);
 *   3. answers 400 to a body that is not a JSON array of events, and stays
 *      healthy; unknown event types and fields are fine;
 *   4. skips events it has seen (eventType + payload.id + modifiedTime):
 *      delivery is at least once;
 *   5. answers 200 within milliseconds, and only then, on a worker thread,
 *      writes ONE private comment back on each new Ticket_Add through the
 *      invoke API, with the HASH header and with sourceId = the webhook's
 *      ignoreSourceId so Desk does not deliver that comment back to it.
 * All of that is in receiver.c and desk.c. */
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    return rx_main(argc, argv, &b);
}
