/* algnone.c -- BROKEN ON PURPOSE: believes a token that says it needs no signature.
 *
 * The bug: it trusts the token's own alg header, and a token with alg
 * "none" is taken without any signature check: anyone can write one.
 *
 * `deskmock check` catches it: `forged-alg-none` fails: a token with alg none and no signature is
 * answered 200. */
#include "desk.h"
#include "receiver.h"

int main(int argc, char **argv)
{
    rx_behaviour b = RX_CORRECT;
    b.name = "algnone";
    b.jwt_skip = DESK_ALLOW_NONE; /* the bug */
    return rx_main(argc, argv, &b);
}
