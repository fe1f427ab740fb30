/* server.h -- the HTTP listener (libmicrohttpd, external epoll mode). */
#ifndef DM_SERVER_H
#define DM_SERVER_H

#include "http/http.h"

#include <sys/socket.h>

struct MHD_Daemon;
typedef struct dm_server dm_server;

/* Listens on addr (an IPv4 or IPv6 address with its port; port 0 = any free
 * one), closing connections idle for timeout_s and accepting at most limit at
 * once. NULL on failure, with the reason in err. Requests go to
 * dm_app_dispatch(app, ...). */
dm_server *dm_server_new(dm_app *app, const struct sockaddr *addr, unsigned timeout_s,
                         unsigned limit, char *err, size_t errlen);
int dm_server_port(const dm_server *srv);
/* Deferred answers completed but not yet handed to libmicrohttpd. */
size_t dm_server_unsent(const dm_server *srv);
struct MHD_Daemon *dm_server_daemon(dm_server *srv);
/* Stops listening and closes every connection. Deferred requests still
 * waiting are closed unanswered: their on_abort callback runs (the client is
 * gone). NULL does nothing. */
void dm_server_free(dm_server *srv);

#endif
