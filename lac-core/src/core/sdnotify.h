/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET.
 *
 * Contract: sdnotify(state) sends `state` (e.g. "READY=1", "RELOADING=1",
 * "STOPPING=1", "STATUS=...") to the AF_UNIX datagram socket named by
 * NOTIFY_SOCKET (a path, or "@name" for the abstract namespace) and returns
 * 1 when sent, 0 when NOTIFY_SOCKET is unset (not run by systemd), -1 on an
 * error (errno set). Never blocks: the socket is non-blocking and a full
 * receive queue is an error, not a wait. Safe to call from the event loop. */
#ifndef LAC_CORE_SDNOTIFY_H
#define LAC_CORE_SDNOTIFY_H

int sdnotify(const char *state);

#endif
