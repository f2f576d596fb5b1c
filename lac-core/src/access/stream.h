/* Stream access: PPP over a byte stream with RFC 1662 HDLC-like framing, one
 * subscriber per connection, on TCP or unix-socket listeners. This is the
 * dial-up / radio-link case (a modem bank or a radio network's PDSN hands the
 * LAC a byte stream per subscriber), and what test clients drive. */
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
};

/* Listens on `listen` ("tcp:ADDR:PORT" or "unix:/PATH"); every accepted
 * connection is announced through new_cb. nas_port_type goes into each conn's
 * info (RFC 2865 5.41). Returns NULL with err filled on failure. */
struct stream_access *stream_access_create(struct ev_loop *loop, const char *listen,
					   uint32_t nas_port_type, access_conn_new_cb new_cb,
					   void *ctx, char *err, size_t errlen);
/* Closes the listener and every connection (no callbacks). */
void stream_access_destroy(struct stream_access *sa);
void stream_access_counters(const struct stream_access *sa, struct stream_access_counters *out);

#endif
