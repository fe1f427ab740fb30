/* wrongheader.c -- BROKEN ON PURPOSE: reads the token from the wrong header.
 *
 * The bug: it looks for the token in Authorization (as many web frameworks'
 * JWT middleware does by default) instead of X-ZDesk-JWT. It finds none, so
 * it refuses every genuine delivery with 401: in production nothing the
 * extension should do ever happens, and Desk retries and finally gives up.
 *
 * `deskmock check` catches it: `preflight` fails, naming the header Desk sends and what came back;
 * every other case is skipped as blocked by it. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "wrongheader";
    b.jwt_header = "Authorization"; /* the bug */
    return rx_main(argc, argv, &b);
}
