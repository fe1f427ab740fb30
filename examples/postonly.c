/* postonly.c -- only POST routes, so the URL check's GET gets 405.
 *
 * Not a bug: many frameworks route POST only. Desk's URL check sends an
 * unsigned GET first and, when that is not 200, an unsigned POST with the
 * body {}; this receiver answers that POST 200, so Desk accepts the
 * webhook.
 *
 * `deskmock check`: Passes every case. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "postonly";
    b.get_status = 405; /* only POST routes */
    return rx_main(argc, argv, &b);
}
