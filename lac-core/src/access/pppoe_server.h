/* PPPoE access concentrator (RFC 2516, RFC 4638) on one Ethernet interface:
 * an access interface in the sense of access/access.h.
 *
 * Discovery is stateless until a PADR carries a valid AC-Cookie: the cookie is
 * HMAC-MD5 under a key drawn at start over the client's MAC and a time slot,
 * so a flood of PADIs or of PADRs from spoofed MACs allocates nothing. A valid
 * PADR creates a session (struct access_conn), answers PADS, then announces the
 * conn through the conn_new callback. Session ids count up from a random start
 * through 1..0xfffe, skipping live ones, so an id comes back only after the
 * whole space has been walked.
 *
 * Frames: one AF_PACKET socket for both EtherTypes (pppoe_sock.h), bound to
 * the interface, non-blocking, on the daemon's event loop. No timers. */
#ifndef ACCESS_PPPOE_SERVER_H
#define ACCESS_PPPOE_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "access/access_line.h"
#include "access/pppoe_codec.h"

struct ev_loop;
struct pppoe_server;

#define PPPOE_SERVER_MAX_SERVICES 7     /* plus the echoed one: fits a PADO's 8 */
#define PPPOE_SERVER_MAX_VLAN_RANGES 16

/* VLANs served: frames whose outer id is in [outer_lo, outer_hi] and inner id
 * in [inner_lo, inner_hi]. Single-tagged: outer_lo = outer_hi = 0. */
struct pppoe_vlan_range {
	uint16_t outer_lo, outer_hi, inner_lo, inner_hi;
};

struct pppoe_server_config {
	const char *ifname;             /* Ethernet interface facing subscribers */
	const char *ac_name;            /* AC-Name tag; NULL: the host name */
	/* Services offered. A PADI/PADR asking for an empty Service-Name matches
	 * any; with no services configured, every Service-Name is accepted. */
	const char *service_names[PPPOE_SERVER_MAX_SERVICES];
	size_t n_service_names;
	uint32_t max_sessions;          /* 0: no limit below the id space (65534) */
	uint32_t max_sessions_per_mac;  /* 0: no limit */
	uint32_t cookie_lifetime_s;     /* a cookie is good for 1-2 of these; 0: 30 */
	uint32_t nas_port_base;         /* info.nas_port = base + session id */
	/* VLANs (issue 11). With no range, only untagged frames are served (tagged
	 * ones belong to VLAN sub-interfaces); with ranges, tagged frames in them
	 * are, and untagged ones only when `untagged` is set. The VLAN ids are
	 * part of a session's identity, replies carry the request's tags. */
	struct pppoe_vlan_range vlans[PPPOE_SERVER_MAX_VLAN_RANGES];
	size_t n_vlans;
	bool untagged;
	/* Access-line identification (TR-101 tag in PADR). ignore_access_line:
	 * do not read it (ports without an access node in front). The formats
	 * build Calling-Station-Id and NAS-Port-Id; NULL keeps the defaults (the
	 * MAC; "ifname[.vlan]:sid"). */
	bool ignore_access_line;
	const struct access_id_format *calling_station_format;
	const struct access_id_format *nas_port_id_format;
	bool no_calling_station_id;     /* send no Calling-Station-Id */
	bool no_calling_number;         /* send no L2TP Calling Number */
	/* Discovery rate limits (issue 8 item 5): PADIs and PADRs a second in
	 * all and from one MAC (on one VLAN), each a token bucket with a burst
	 * of one second's worth. 0: no limit. */
	uint32_t padi_per_second;
	uint32_t padi_per_mac_per_second;
};

/* What lacctl shows and tests check. Counted since create. */
struct pppoe_server_counters {
	uint64_t padi_rx, pado_tx, padr_rx, pads_tx, pads_error_tx;
	uint64_t padt_rx, padt_tx;
	uint64_t session_rx, session_tx, tx_errors;
	uint64_t malformed;             /* refused by the codec */
	uint64_t skipped;               /* VLAN-tagged (see pppoe_sock_recv) or oversized */
	uint64_t not_for_us;            /* unicast to another station (another AC) */
	uint64_t service_mismatch;      /* asked for a service we do not offer */
	uint64_t bad_cookie;            /* PADR with a missing, wrong or expired cookie */
	uint64_t padr_retransmit;       /* PADR for a session already granted: PADS again */
	uint64_t rate_limited_all;      /* PADI/PADR dropped: padi_per_second */
	uint64_t rate_limited_mac;      /* PADI/PADR dropped: padi_per_mac_per_second */
	uint64_t limit_sessions;        /* refused: max_sessions */
	uint64_t limit_per_mac;         /* refused: max_sessions_per_mac */
	uint64_t unknown_session;       /* session frame or PADT for no live session */
	uint64_t vlan_refused;          /* tagged (or untagged) frame on a VLAN not served */
	uint64_t access_line_rx;        /* sessions created with a TR-101 tag */
	uint64_t access_line_malformed; /* TR-101 tags refused (session served without it) */
	uint64_t sessions_created, sessions_live;
	uint64_t rx_kernel_drops;       /* frames the kernel dropped at our socket (ring full) */
};

/* Creates the server on cfg->ifname and registers its socket on loop.
 * cb(ctx, conn) announces each new subscriber (see access.h: the owner must
 * attach or close before returning). cfg is copied. Returns NULL on failure
 * (logged: no such interface, no permission, ...). */
struct pppoe_server *pppoe_server_create(struct ev_loop *loop, const struct pppoe_server_config *cfg,
					 access_conn_new_cb cb, void *ctx);

/* Sends PADT to every live session, reports each attached conn to its owner
 * through handlers->closed(owner, "shutdown"), closes the socket and frees
 * the server. NULL is a no-op. */
void pppoe_server_destroy(struct pppoe_server *srv);

/* What a configuration reload changes in a running server: the session
 * limit (0 or above 65,534: 65,534, the RFC 2516 session IDs; sessions over a
 * lowered limit stay) and the discovery rate limits in frames per second (0:
 * none). Returns 0, or -1 when the per-MAC rate table cannot be allocated
 * (nothing changed). */
int pppoe_server_set_limits(struct pppoe_server *srv, uint32_t max_sessions, uint32_t padi_per_second,
			    uint32_t padi_per_mac_per_second);

/* The counters; rx_kernel_drops is brought up to date from the socket here
 * (one system call), so the server is not const. */
void pppoe_server_get_counters(struct pppoe_server *srv, struct pppoe_server_counters *out);

/* Writes the counters as one line of key=value pairs (no newline) into buf.
 * Returns the length snprintf would have written. */
int pppoe_server_counters_format(const struct pppoe_server_counters *c, char *buf, size_t cap);

/* Without sockets, for tests: frames the server sends go to io->tx, frames
 * are fed in with pppoe_server_input(). */
struct pppoe_server_io {
	int (*tx)(void *io_ctx, const uint8_t *frame, size_t len);      /* 0 or -1 */
	void *io_ctx;
	uint8_t mac[PPPOE_ETH_ALEN];    /* the AC's MAC */
	unsigned mtu;                   /* the interface MTU (1500 on plain Ethernet) */
};

/* As pppoe_server_create(), with io instead of sockets (loop may be NULL). */
struct pppoe_server *pppoe_server_create_io(struct ev_loop *loop, const struct pppoe_server_config *cfg,
					    const struct pppoe_server_io *io,
					    access_conn_new_cb cb, void *ctx);

/* Handles one received Ethernet frame (either EtherType, VLAN tags in band)
 * at time now_ms (any monotonic millisecond clock; it dates AC-Cookies).
 * Frames the server does not want are counted and dropped. */
void pppoe_server_input(struct pppoe_server *srv, const uint8_t *frame, size_t len, uint64_t now_ms);

#endif
