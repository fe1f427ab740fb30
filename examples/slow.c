/* slow.c -- BROKEN ON PURPOSE: does its work before answering.
 *
 * The bug: it spends 300 ms per event (standing in for a slow database or
 * API call) before it answers, one event after another. A single event (0.3
 * s) or a small batch is fine, but a batch of 20 takes 6 s, past Desk's 5 s
 * delivery timeout: the attempt fails and the batch is sent again, although
 * the work was done. A correct receiver answers 200 at once and does slow
 * work afterwards (a queue), or at least keeps each delivery fast. Its GET
 * and /authorise answer at once even while a delivery is slow (a thread per
 * connection).
 *
 * `deskmock check` must fail it in the large-batch timing case: a batch of
 * 20 events is not answered within the delivery timeout. */
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "slow";
    b.event_delay_ms = 300; /* the bug */
    return rx_main(argc, argv, &b);
}
