/* receiver.h -- the shared skeleton of deskmock's example webhook receivers.
 *
 * One correct Zoho Desk extension receiver, written the way a careful
 * extension developer would write it in C: libmicrohttpd serves, OpenSSL
 * verifies X-ZDesk-JWT against the platform's JWKS, cJSON reads the events,
 * libcurl calls the invoke API to write a comment back. Each example program
 * is one main() that takes the correct behaviour, RX_CORRECT, and (for the
 * deliberately broken ones) switches exactly one thing off or on.
 *
 * The command line every receiver takes:
 *
 *   receiver --port N --mock URL [--secret S] [--source-id UUID]
 *            [--register --token T --org-id ID]
 *
 *   --port N        port on 127.0.0.1; 0 picks a free one. The receiver prints
 *                   "listening on http://127.0.0.1:PORT" on stdout when ready.
 *   --mock URL      base URL of Desk (the mock), e.g. http://127.0.0.1:8000;
 *                   its /.well-known/jwks.json and /api/v1/invoke are used.
 *   --secret S      the extension manifest's "secret" (keys the invoke HASH);
 *                   default conformance-secret-0001.
 *   --source-id ID  the webhook's ignoreSourceId, sent as the sourceId header
 *                   of every write-back so Desk does not echo it back to us;
 *                   default 7d1f2b7e-3c4a-4e1b-9a3f-5b6c7d8e9f01.
 *   --register      a plain webhook instead of an extension: once listening,
 *                   create our own webhook (POST /api/v1/webhooks with the
 *                   OAuth token T, org ID) and print "registered webhook
 *                   <id>"; write back through the REST API with that token.
 *
 * The HTTP contract:
 *
 *   GET  any path       200 (Desk's unsigned check when the webhook is made)
 *   POST {} unsigned    200 (the check's POST, sent when the GET is not 200)
 *   POST /authorise     {"orgId","securityContext","installationId"}: the
 *                       onDeskAuthorise callback; remembered, 200
 *   POST any other path a delivery: ?orgId=&securityContext= in the URL,
 *                       X-ZDesk-JWT header, a JSON array of events as body.
 *                       401 unless authorised, signed and addressed to us;
 *                       400 for a body that is not a JSON array of objects;
 *                       413 past 10 MB; else 200 at once. Then, after
 *                       answering, each new Ticket_Add gets one comment
 *                       written back (a worker thread calls invoke),
 *                       retried when Desk answers 429 or 5xx.
 */
#ifndef DESKMOCK_EXAMPLES_RECEIVER_H
#define DESKMOCK_EXAMPLES_RECEIVER_H

#include <stdbool.h>

/* What a receiver does. RX_CORRECT is right in every field; each broken
 * example changes one thing. */
typedef struct rx_behaviour {
    const char *name;           /* shown in log lines on stderr */
    bool verify_jwt;            /* check X-ZDesk-JWT (signature, iss, aud, exp) */
    const char *jwt_header;     /* where it reads the token: "X-ZDesk-JWT" */
    unsigned jwt_skip;          /* DESK_SKIP_* checks it leaves out (desk.h); 0 */
    bool deduplicate;           /* answer a repeated event 200 without acting again */
    bool send_source_id;        /* write-backs carry headers {"sourceId": ...} */
    bool reply_to_comments;     /* also write back on Ticket_Comment_Add */
    bool fail_batches;          /* answer 500 to a delivery of more than one event */
    bool first_only;            /* act on the first event of a delivery only */
    bool work_before_answering; /* write back inside the request, not after it */
    unsigned work_ms;           /* ...spending this long on each event first */
    bool poisoned_by_bad_body;  /* after one malformed body, 500 to every POST */
    bool retry_write_backs;     /* retry a write-back Desk answered 429 or 5xx */
    bool ignore_retry_after;    /* ...after 200 ms, not after the 429's Retry-After */
    bool bad_hash;              /* sign invoke calls over the wrong text */
    bool first_context_only;    /* keep the first authorise callback's securityContext */
    bool crash_on_unassigned;   /* abort on a new ticket with no assignee */
    bool ascii_only;            /* 500 to a body with a byte above 0x7f */
    unsigned body_max;          /* larger bodies get 413: 10 MB */
    bool thread_id_as_ticket;   /* on Ticket_Thread_Add, comment on payload.id */
    bool update_on_update;      /* on Ticket_Update, change the ticket again (no sourceId) */
    unsigned get_status;        /* the answer to a GET: 200 */
} rx_behaviour;

#define RX_CORRECT                                                                                 \
    {                                                                                              \
        .name = "correct", .verify_jwt = true, .jwt_header = "X-ZDesk-JWT", .jwt_skip = 0,         \
        .deduplicate = true, .send_source_id = true, .reply_to_comments = false,                   \
        .fail_batches = false, .first_only = false, .work_before_answering = false, .work_ms = 0,  \
        .poisoned_by_bad_body = false, .retry_write_backs = true, .ignore_retry_after = false,     \
        .bad_hash = false, .first_context_only = false, .crash_on_unassigned = false,              \
        .ascii_only = false, .body_max = 10u * 1024 * 1024, .thread_id_as_ticket = false,          \
        .update_on_update = false, .get_status = 200                                               \
    }

/* Parses the command line, serves until SIGINT or SIGTERM, and returns the
 * process exit status: 0 after a clean stop, 2 for a bad command line, 1 when
 * the server cannot start. b is borrowed for the whole run. */
int rx_main(int argc, char **argv, const rx_behaviour *b);

#endif
