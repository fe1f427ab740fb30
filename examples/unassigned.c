/* unassigned.c -- BROKEN ON PURPOSE: crashes on a ticket nobody is assigned to.
 *
 * The bug: it puts the assignee in its comment and assumes there is one.
 * Most new email tickets have assigneeId null; the receiver aborts on the
 * first one, and the process is gone.
 *
 * `deskmock check` catches it: `unassigned-ticket` fails, saying the receiver no longer takes
 * deliveries; the cases after it are skipped. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "unassigned";
    b.crash_on_unassigned = true; /* the bug */
    return rx_main(argc, argv, &b);
}
