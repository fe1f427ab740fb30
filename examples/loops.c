/* loops.c -- BROKEN ON PURPOSE: an echo loop.
 *
 * The bug: its write-backs carry no sourceId header, and it also answers
 * every Ticket_Comment_Add with a comment of its own. Without sourceId, Desk
 * delivers the receiver's own comment back to it as a Ticket_Comment_Add,
 * which it answers with another comment, which is delivered back... forever.
 * (The correct receiver sends headers {"sourceId": "<ignoreSourceId>"} on
 * every invoke call and acts only on Ticket_Add.) Everything else is right:
 * JWT, URL parameters, 400 on malformed bodies, de-duplication (which cannot
 * help: every echoed comment is a new comment).
 *
 * `deskmock check` fails it in `ticket-add`, the first case whose write-back
 * starts the loop: the report shows the chain invoke (no sourceId) ->
 * comment -> Ticket_Comment_Add delivered to the same webhook -> invoke ->
 * ..., which would grow without end. Check breaks the loop (turning the
 * webhook off and on) and skips the cases after it. */
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "loops";
    b.send_source_id = false;   /* the bug, part 1: our own writes come back */
    b.reply_to_comments = true; /* the bug, part 2: and we answer them */
    return rx_main(argc, argv, &b);
}
