/* desk.h -- what a webhook receiver needs from Zoho Desk itself: the public
 * keys that sign X-ZDesk-JWT (verified here with OpenSSL), and the invoke
 * API through which the extension writes back (called here with libcurl).
 * Nothing in it knows about the HTTP server; receiver.c uses it.
 *
 * The caller runs curl_global_init() once before any of this, and every
 * function may be called from several threads at once. */
#ifndef DESKMOCK_EXAMPLES_DESK_H
#define DESKMOCK_EXAMPLES_DESK_H

#include <stddef.h>

/* ==== X-ZDesk-JWT ==== */

/* A cache of the keys at <desk_url>/.well-known/jwks.json. */
typedef struct desk_keys desk_keys;

/* Nothing is fetched yet: the first desk_verify_jwt() does it. desk_url is
 * copied. Returns NULL when out of memory. */
desk_keys *desk_keys_new(const char *desk_url);

/* Frees the cache; NULL does nothing. */
void desk_keys_free(desk_keys *keys);

/* What desk_verify_jwt() leaves out. 0 checks everything, as a receiver
 * must; the broken examples each set one bit. */
enum {
    DESK_SKIP_AUD = 1,    /* accept a token for another webhook */
    DESK_SKIP_ISS = 2,    /* accept a token for another org */
    DESK_SKIP_TIME = 4,   /* ignore exp, nbf and iat */
    DESK_ALLOW_NONE = 8,  /* accept alg "none" without a signature */
    DESK_NO_REFETCH = 16, /* fetch the JWKS once, never again */
};

/* Checks token (the X-ZDesk-JWT header, or NULL when there was none) is a
 * JWT Desk signed for a delivery to org_id: RS256 by a key in the JWKS
 * (refetched, at most every few seconds, when the kid is unknown: Desk
 * rotates keys), iss "orgId:<org_id>", aud "webhookId:<webhook_id>" (any
 * webhook when webhook_id is NULL), exp not past, nbf and iat not ahead,
 * all against this machine's clock with a minute of skew. The aud found is
 * copied into aud_out (may be NULL). Returns 0, or -1 with the reason
 * written into why. */
int desk_verify_jwt(desk_keys *keys, const char *token, const char *org_id, const char *webhook_id,
                    unsigned skip, char *aud_out, size_t audlen, char *why, size_t whylen);

/* ==== The invoke API ==== */

/* Who writes back, and how. Every string is borrowed. */
typedef struct desk_invoke {
    const char *desk_url;         /* e.g. http://127.0.0.1:8000 */
    const char *secret;           /* the manifest's "secret": keys the HASH */
    const char *org_id;           /* from onDeskAuthorise */
    const char *security_context; /* from onDeskAuthorise; NULL: call the REST API with token */
    const char *token;            /* an OAuth token, for REST calls (a plain webhook) */
    const char *source_id;        /* sent as the sourceId header; NULL sends none */
    int retries;                  /* tries after a 429 (honouring Retry-After) or a 5xx */
    int bad_hash;                 /* the HASH's fields in the wrong order (a bug) */
    int ignore_retry_after;       /* retry a 429 after 200 ms whatever it says (a bug) */
} desk_invoke;

/* method path (e.g. "POST", "/api/v1/tickets/1/comments") with a JSON body
 * (may be NULL) on Desk: through POST <desk_url>/api/v1/invoke when there is
 * a securityContext, else straight to the REST API with the token. A 429 is
 * retried after its Retry-After (at most 5 s), a 5xx after 200, 400, 800 ms,
 * up to inv->retries times. Returns 0 when Desk answered 2xx, or -1 with
 * the reason written into why. */
int desk_call(const desk_invoke *inv, const char *method, const char *path, const char *body,
              char *why, size_t whylen);

/* Adds a private comment with this text to ticket ticket_id. */
int desk_add_comment(const desk_invoke *inv, const char *ticket_id, const char *content, char *why,
                     size_t whylen);

/* Creates a plain webhook at url for the ticket events, with ignoreSourceId
 * inv->source_id, through the REST API with inv->token; its id goes to
 * id_out. Returns 0 or -1 with the reason in why. */
int desk_create_webhook(const desk_invoke *inv, const char *url, char *id_out, size_t idlen,
                        char *why, size_t whylen);

#endif
