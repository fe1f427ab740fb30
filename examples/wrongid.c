/* wrongid.c -- BROKEN ON PURPOSE: writes to the thread's id as if it were the ticket's.
 *
 * The bug: on Ticket_Thread_Add it comments on /tickets/<payload.id>, but a
 * thread's payload.id is the thread's own id; the ticket's is
 * payload.ticketId. Desk answers 404 and nothing is written.
 *
 * `deskmock check` catches it: `ticket-thread-add` fails, saying the id was a thread's. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "wrongid";
    b.thread_id_as_ticket = true; /* the bug */
    return rx_main(argc, argv, &b);
}
