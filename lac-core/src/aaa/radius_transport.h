/* The one RADIUS transport of lac-core: UDP sockets, identifier slots,
 * retransmission, server failover and dead time, reply matching and reply
 * verification, on the event loop. Authentication (radius_client.c) and
 * accounting (radius_acct.c) each own one transport (their server lists
 * differ) and differ only by the policy they give it.
 *
 * What must stay BlastRADIUS-correct (CVE-2024-3596) lives here once:
 *   - every request goes out with a Message-Authenticator as its first
 *     attribute (the codec writes it; radius_xact transmit refuses a packet
 *     without one, an invariant);
 *   - a reply is taken only when it matches (socket, identifier) of a request
 *     in flight, comes from the address and port that request was last sent
 *     to, carries a code that answers the request's code, and verifies:
 *     Response Authenticator always, Message-Authenticator required
 *     (policy.require_reply_msg_auth: authentication) or verified when
 *     present (accounting: FreeRADIUS 3.2.1 cannot sign Accounting-Responses).
 *     Anything else is counted and dropped and the request keeps waiting, so
 *     a forged or unsigned reply can not end a request early.
 *
 * Identifiers: each socket (source port) owns 256. An exchange holds one id
 * on one socket while a packet of it is outstanding. With policy.reencode
 * (accounting, RFC 2866 5.2: Acct-Delay-Time changes, so every send is a new
 * packet) each send takes a fresh id and re-encodes; without it (RFC 2865
 * 2.5) retransmissions to the same server reuse id and authenticator, and a
 * move to another server re-encodes with a fresh id. Up to cfg.max_sockets
 * sockets per address family are opened as ids run out; when none is free an
 * exchange is refused (EBUSY) or, with policy.wait_for_id, waits in FIFO
 * order for one.
 *
 * Lifetime: a struct radius_xact is embedded in its owner's object. From
 * radius_xact_start() until answered/exhausted is called or
 * radius_xact_cancel(), the owner must keep it alive. The callbacks are never
 * called from inside radius_xact_start(); inside them the owner may free the
 * xact (it is no longer known to the transport) or restart it. */
#ifndef AAA_RADIUS_TRANSPORT_H
#define AAA_RADIUS_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "aaa/radius_client.h"
#include "ev/ev.h"

struct radius_transport;
struct radius_xact;
struct rt_sock;

struct radius_transport_policy {
	const char *log_name;           /* "radius", "radius-acct": prefix of log lines */
	uint8_t request_code;           /* RADIUS_CODE_ACCESS_REQUEST / _ACCOUNTING_REQUEST */
	bool reencode;                  /* every send is a new packet (accounting) */
	bool wait_for_id;               /* queue instead of EBUSY when no id is free */
	bool require_reply_msg_auth;    /* unsigned replies are dropped */
};

struct radius_xact_ops {
	/* Encodes the request for server sc with identifier id into buf (cap
	 * RADIUS_MAX_PACKET). Returns the length or -1 (the exchange then fails
	 * with EINVAL at start, or is given up as exhausted later). The
	 * Request Authenticator is read back from the packet. */
	ssize_t (*encode)(struct radius_xact *x, const struct radius_server_config *sc, uint8_t id,
			  uint8_t *buf, size_t cap);
	/* A verified reply from server `server`. The xact is idle again (no id,
	 * no timer). pkt is valid during the call only. */
	void (*answered)(struct radius_xact *x, const uint8_t *pkt, size_t len, size_t server);
	/* Every server of the round was silent or answered only invalidly. The
	 * xact is idle; the owner frees it or calls radius_xact_retry_in(). */
	void (*exhausted)(struct radius_xact *x);
};

/* Embedded by the owner; the fields are the transport's. */
struct radius_xact {
	struct radius_transport *t;
	const struct radius_xact_ops *ops;
	struct radius_xact *wprev, *wnext;      /* waiting for an id */
	bool waiting, backoff, active;
	struct rt_sock *sock;           /* NULL while no id is held */
	uint8_t id;
	size_t server;                  /* index of the server last sent to */
	uint32_t tried;                 /* bit per server index, this round */
	unsigned sends;                 /* to the current server */
	unsigned invalid_replies;       /* this exchange, for the owner's log */
	uint8_t auth[16];               /* Request Authenticator outstanding */
	uint8_t *pkt;                   /* owner's buffer (no reencode), or NULL */
	size_t pkt_len;
	struct ev_timer timer;
};

struct radius_transport_counters {
	uint64_t sent;                  /* datagrams */
	uint64_t retransmits;           /* same server again */
	uint64_t failovers;             /* moved on to another server */
	uint64_t replies_malformed;     /* bad header or attribute lengths */
	uint64_t replies_bad_authenticator;     /* wrong secret, forged, or a stale id */
	uint64_t replies_no_message_authenticator;
	uint64_t replies_bad_message_authenticator;
	uint64_t replies_unexpected;    /* no such id, wrong source, wrong code */
	uint64_t sockets;
	uint64_t waiting;               /* exchanges waiting for an id now */
	uint64_t rcvbuf;                /* receive buffer the kernel granted (bytes) */
	uint64_t rx_socket_drops;       /* replies the kernel dropped at our full sockets */
};

/* Creates a transport on loop; copies cfg (servers, timeout, tries, dead
 * time, bind address, max_sockets, rcvbuf_bytes). Opens one socket for each
 * address family the servers use right away (so a later privilege drop does
 * not matter and the receive buffer is set while we may still raise it).
 * Returns NULL with errno set (EINVAL for a config without servers). */
struct radius_transport *radius_transport_create(struct ev_loop *loop,
						 const struct radius_client_config *cfg,
						 const struct radius_transport_policy *policy);
/* Closes the sockets and frees. Every xact must have been cancelled. */
void radius_transport_destroy(struct radius_transport *t);

const struct radius_client_config *radius_transport_config(const struct radius_transport *t);
struct ev_loop *radius_transport_loop(const struct radius_transport *t);
void radius_transport_counters_get(const struct radius_transport *t,
				   struct radius_transport_counters *out);
/* Fills out for server i (config order). Returns 0, or -1 if out of range. */
int radius_transport_server_status(const struct radius_transport *t, size_t i,
				   struct radius_server_status *out);

/* Prepares x (once, before the first start). pkt: a RADIUS_MAX_PACKET buffer
 * kept by the owner for retransmissions; NULL with policy.reencode. */
void radius_xact_init(struct radius_xact *x, struct radius_transport *t,
		      const struct radius_xact_ops *ops, uint8_t *pkt);
/* Sends x to the first live server (a new round). Returns 0 (sent, or
 * waiting for an id with policy.wait_for_id), or -1 with errno: EINVAL the
 * request does not encode; EBUSY no id free; or a socket error. */
int radius_xact_start(struct radius_xact *x);
/* From exhausted(): starts a new round after delay_ms. */
void radius_xact_retry_in(struct radius_xact *x, uint64_t delay_ms);
/* Abandons x: no callback follows, late replies are dropped as unexpected. */
void radius_xact_cancel(struct radius_xact *x);
/* True while x holds an identifier: sent and not yet answered or timed out. */
bool radius_xact_on_wire(const struct radius_xact *x);
/* The server x was last sent to (its name for logs). */
const char *radius_xact_server_name(const struct radius_xact *x);

#endif
