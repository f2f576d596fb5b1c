/* Access interfaces: where a subscriber's PPP arrives (HDLC over a byte stream,
 * PPPoE). Each interface turns its own framing into "raw PPP frames" and back,
 * and knows nothing of PPP negotiation, RADIUS or L2TP.
 *
 * A raw PPP frame is what RFC 2661 carries in an L2TP data message: the PPP
 * frame without HDLC flags, FCS or byte stuffing. It may start with the
 * address/control field 0xff 0x03 (HDLC framing) or not (PPPoE, or ACFC), and
 * the protocol field may be compressed (PFC). ppp_frame_parse() in ppp/ppp.h
 * splits one into protocol and information.
 *
 * Lifetime: the interface creates a struct access_conn for each subscriber and
 * announces it through access_ops.conn_new; the owner attaches its handlers with
 * access_conn_attach(). The conn lives until the owner calls access_conn_close()
 * or the interface reports conn_closed (after which the conn pointer is invalid
 * once the callback returns). */
#ifndef ACCESS_ACCESS_H
#define ACCESS_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access_line.h"

enum access_kind { ACCESS_KIND_STREAM, ACCESS_KIND_PPPOE };

/* What the interface knows of the subscriber, for RADIUS (RFC 2865 5.30-5.32,
 * 5.41, RFC 2869 5.17) and L2TP ICRQ (Calling/Called Number). */
struct access_conn_info {
	enum access_kind kind;
	uint32_t nas_port;              /* unique per live conn on this interface set */
	uint32_t nas_port_type;         /* RFC 2865 5.41: 0 Async, 5 Virtual, 15 Ethernet... */
	char nas_port_id[64];           /* e.g. "tcp:10.0.0.1:2000#7", "veth0:0x0001" */
	char calling_station_id[64];    /* peer address or MAC */
	char called_station_id[64];     /* access point name, service name, or DNIS */
	uint16_t mru;                   /* the most the access medium carries (PPPoE: 1492) */
	/* Issue 11 (access-line identification, VLANs): what a PPPoE access node
	 * said about the line (TR-101 tag, see access/access_line.h), valid when
	 * has_line (held by value: the info is copied and outlives the conn); the
	 * VLAN ids the session arrived on (0: untagged); no_calling_number: leave
	 * the L2TP Calling Number out. */
	bool has_line;
	struct access_line line;
	uint16_t svlan, cvlan;
	bool no_calling_number;
};

struct access_conn;

/* Handlers the owner attaches to a conn. */
struct access_conn_handlers {
	/* One raw PPP frame from the subscriber. frame is only valid during the call. */
	void (*frame_rx)(void *owner, const uint8_t *frame, size_t len);
	/* The subscriber went away (TCP close, PADT, link down). The conn is freed
	 * after this returns; do not call access_conn_* on it again. */
	void (*closed)(void *owner, const char *reason);
};

struct access_conn_vtbl {
	int (*send)(struct access_conn *conn, const uint8_t *frame, size_t len);
	void (*close)(struct access_conn *conn, const char *reason);
};

/* The common head of every interface's conn object. */
struct access_conn {
	const struct access_conn_vtbl *vtbl;
	struct access_conn_info info;
	const struct access_conn_handlers *handlers;
	void *owner;
};

/* Callback through which an interface announces a new subscriber. The owner must
 * call access_conn_attach() before returning, or access_conn_close(). */
typedef void (*access_conn_new_cb)(void *owner_ctx, struct access_conn *conn);

static inline void access_conn_attach(struct access_conn *conn,
				      const struct access_conn_handlers *handlers, void *owner)
{
	conn->handlers = handlers;
	conn->owner = owner;
}

/* Sends one raw PPP frame to the subscriber. Returns 0, or -1 if it could not be
 * queued (the conn stays usable; the frame is lost, as on a congested link). */
static inline int access_conn_send(struct access_conn *conn, const uint8_t *frame, size_t len)
{
	return conn->vtbl->send(conn, frame, len);
}

/* Closes the conn (TCP close, PADT). No callbacks follow; the conn is freed. */
static inline void access_conn_close(struct access_conn *conn, const char *reason)
{
	conn->vtbl->close(conn, reason);
}

#endif
