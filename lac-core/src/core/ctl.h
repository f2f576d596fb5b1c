/* The control socket lacctl talks to: a unix stream socket, one command line per
 * connection, a text reply of key=value lines, then the server closes.
 *
 *   $ lacctl show sessions
 *   sid=3 user=alice@corp.example state=relay lns=10.88.2.2 tid=1 l2tp_sid=5 ...
 *
 * Replies start with "ok" or "error: <reason>" on the first line so scripts can
 * test the outcome without parsing the rest. */
#ifndef CORE_CTL_H
#define CORE_CTL_H

#include "ev/ev.h"
#include "util/strbuf.h"

#include <sys/types.h>

struct ctl_server;

/* Handles one command. argv[0] is the command word; the handler appends the
 * reply (including the leading "ok"/"error:" line) to out. */
typedef void (*ctl_handler)(void *ctx, int argc, char **argv, struct strbuf *out);

/* Listens on path (an existing socket file is replaced). Returns NULL with
 * errno set on failure. */
struct ctl_server *ctl_server_create(struct ev_loop *loop, const char *path, ctl_handler handler, void *ctx);
/* The socket file is created mode 0660 and every client is checked with
 * SO_PEERCRED: root and lac-core's own uid may connect, and with this call
 * members (primary gid) of gid too, which also becomes the file's group.
 * Returns 0, or -1 with errno set (chown failed). */
int ctl_server_set_group(struct ctl_server *srv, gid_t gid);
/* Closes the listener and every client connection, removes the socket file. */
void ctl_server_destroy(struct ctl_server *srv);

#endif
