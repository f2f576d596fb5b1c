/* Stream access: PPP over a byte stream with RFC 1662 HDLC-like framing, one
 * subscriber per connection, on TCP or unix-socket listeners. This is the
 * dial-up / radio-link case (a modem bank or a radio network's PDSN hands the
 * LAC a byte stream per subscriber), and what test clients drive.
 *
 * Re-entrancy contract (the one of access/access.h, made strict here):
 *  - access_conn_send() never frees the conn and never calls the owner: a
 *    write error only marks the conn failed (later sends return -1);
 *  - `closed` is delivered from the event loop, from a zero-delay timer of
 *    the conn's own, never from inside send, close or frame_rx; the conn is
 *    freed right after `closed` returns;
 *  - access_conn_close() may be called from inside frame_rx: the conn is
 *    freed when the read loop is back out of the owner's code;
 *  - no path reads a conn after freeing it (the EV_WRITE path only marks). */
#ifndef ACCESS_STREAM_H
#define ACCESS_STREAM_H

#include <stdint.h>

#include "access/access.h"
#include "ev/ev.h"

struct stream_access;

struct stream_access_counters {
	uint64_t accepted, closed, frames_rx, frames_tx;
	uint64_t bad_fcs, too_long, too_short, aborted;  /* dropped on receive */
	uint64_t tx_dropped;                               /* output queue full */
	uint64_t refused_per_source;    /* likewise: max_connections_per_source reached */
	uint64_t accept_fd_exhausted;   /* accept() failed with EMFILE/ENFILE: listener paused */
	uint64_t accept_paused;         /* times the listener stopped accepting (budget or fds) */
};

/* File-descriptor budget of one listener (issue 8 item 5). 0 = no limit of
 * that kind. A connection over max_per_source is accepted and closed at once
 * (so the others from elsewhere still get in); at max_total the listener
 * stops accepting (the kernel's backlog holds the rest) until a connection
 * ends. EMFILE/ENFILE pause accepting likewise, and a timer (pause_ms)
 * retries, so the loop never spins on a listener it cannot serve. */
struct stream_limits {
	uint32_t max_total;
	uint32_t max_per_source;        /* per IPv4 source address (unix: one source) */
	uint32_t pause_ms;              /* 0: 250 */
};

/* Listens on `listen` ("tcp:ADDR:PORT" or "unix:/PATH"); every accepted
 * connection is announced through new_cb. nas_port_type goes into each conn's
 * info (RFC 2865 5.41). Returns NULL with err filled on failure. */
struct stream_access *stream_access_create(struct ev_loop *loop, const char *listen,
					   uint32_t nas_port_type, access_conn_new_cb new_cb,
					   void *ctx, char *err, size_t errlen);
/* Sets (or, on reload, changes) the budget; applies to the next accept. */
void stream_access_set_limits(struct stream_access *sa, const struct stream_limits *lim);
/* Live connections, and those from the most loaded source (for lacctl and tests). */
uint32_t stream_access_n_conns(const struct stream_access *sa);
/* Closes the listener and every connection (no callbacks). */
void stream_access_destroy(struct stream_access *sa);
void stream_access_counters(const struct stream_access *sa, struct stream_access_counters *out);

#endif
