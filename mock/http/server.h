/* server.h -- the HTTP listener (libmicrohttpd, external epoll mode). */
#ifndef DM_SERVER_H
#define DM_SERVER_H

#include "http/http.h"
#include "loop/loop.h"

#include <sys/socket.h>

struct MHD_Daemon;
typedef struct dm_server dm_server;

typedef struct dm_server_opts {
    const struct sockaddr *addr; /* IPv4 or IPv6 address with its port; port 0 = any free one */
    unsigned timeout_s;          /* idle connections close; 0 = 30 */
    unsigned limit;              /* connections at most; 0 = 1000 */
    dm_loop *loop;               /* the loop that runs the server (woken, moved along) */
    /* Every request goes to dispatch(ud, req, resp); before_answer(ud), when
     * set, runs just before an answer is handed over (the journal's flush). */
    void (*dispatch)(void *ud, dm_req *req, dm_resp *resp);
    void (*before_answer)(void *ud);
    void *ud;
} dm_server_opts;

/* Listens as opts say. NULL on failure, with the reason in err. */
dm_server *dm_server_new(const dm_server_opts *opts, char *err, size_t errlen);
int dm_server_port(const dm_server *srv);
/* Deferred answers completed but not yet handed to libmicrohttpd. */
size_t dm_server_unsent(const dm_server *srv);
struct MHD_Daemon *dm_server_daemon(dm_server *srv);
/* Stops listening and closes every connection. Deferred requests still
 * waiting are closed unanswered: their on_abort callback runs (the client is
 * gone). NULL does nothing. */
void dm_server_free(dm_server *srv);

#endif
