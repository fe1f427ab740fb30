/* batch500.c -- BROKEN ON PURPOSE: cannot take a batch.
 *
 * The bug: it answers 500 to any delivery that carries more than one event,
 * as a receiver does that reads body[0] and treats anything else as an
 * error. Desk may put several events in one POST (the body is always an
 * array), so the whole batch fails and is retried, and fails again. Single
 * events are handled correctly, so it passes every test that sends one event
 * at a time.
 *
 * `deskmock check` fails it in `batch` (three Ticket_Update events in one
 * POST get 500, so none is delivered) and in `batch-100`. */
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "batch500";
    b.fail_batches = true; /* the bug */
    return rx_main(argc, argv, &b);
}
