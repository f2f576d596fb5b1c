/* PPPoE host side (RFC 2516 5-6) for the subscriber simulator lac-dial: many
 * simulated subscribers on one Ethernet interface, each with its own source
 * MAC, sharing one AF_PACKET socket through a demultiplexer (the mux).
 *
 *   mux = pppoe_client_mux_create(loop, "veth0");
 *   c = pppoe_client_start(mux, &cfg, &events, owner);
 *   ... events.up(owner, sid, mru): send PPP with pppoe_client_send(c, ...)
 *   ... events.frame_rx(owner, ppp, len) for each PPP frame from the AC
 *   pppoe_client_stop(c);          hang up: PADT, freed, no callback
 *   or events.down(owner, reason): discovery failed or the AC sent PADT;
 *                                  c is freed when down() returns.
 *
 * Discovery per client is a table-driven state machine (PADI sent, PADR sent,
 * session, closed) in pppoe_client.c; retries double the timeout each time. */
#ifndef ACCESS_PPPOE_CLIENT_H
#define ACCESS_PPPOE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "access/pppoe_codec.h"

struct ev_loop;
struct pppoe_client_mux;
struct pppoe_client;

struct pppoe_client_config {
	/* Source MAC: NULL derives 02:50:ii:ii:ii:ii (locally administered,
	 * unicast) from mac_index, so each simulated subscriber is distinct. */
	const uint8_t *mac;
	uint32_t mac_index;
	const char *service_name;       /* NULL or "": any service */
	const char *ac_name;            /* NULL: the first PADO wins; else only this AC */
	uint16_t ppp_max_payload;       /* RFC 4638 tag to send; 0: none */
	unsigned padi_attempts;         /* 0: 5 */
	unsigned padr_attempts;         /* 0: 3 */
	unsigned timeout_ms;            /* first retry timeout; 0: 1000 (doubles, max 8000) */
	/* A TR-101 tag value (vendor 3561, see access_line.h) to send in PADI
	 * and PADR, as an access node would insert it; copied. NULL: none. */
	const uint8_t *tr101;
	size_t tr101_len;               /* at most 255 */
};

struct pppoe_client_events {
	/* Session established; mru is 1492 or the RFC 4638 value the AC granted. */
	void (*up)(void *owner, uint16_t session_id, uint16_t mru);
	/* One PPP frame from the AC (starting at the protocol field), valid only
	 * during the call. */
	void (*frame_rx)(void *owner, const uint8_t *ppp, size_t len);
	/* The client ended on its own (discovery gave up, PADS refused, PADT from
	 * the AC). The client is freed when this returns. */
	void (*down)(void *owner, const char *reason);
};

/* Opens the interface's packet socket (promiscuous, since the simulated
 * MACs are not the interface's) and registers them on loop. Returns NULL on
 * failure (logged). */
struct pppoe_client_mux *pppoe_client_mux_create(struct ev_loop *loop, const char *ifname);

/* Puts every client of mux on VLAN v (one or two tags, as a subscriber behind
 * a tagging access node; issue 11): frames go out with v's tags and only
 * frames with exactly those tags come in. Call before starting clients.
 * Returns 0, or -1 (socket could not be reopened; logged). */
int pppoe_client_mux_set_vlan(struct pppoe_client_mux *mux, const struct pppoe_vlan *v);

/* Stops every client still live (PADT for sessions, no callbacks), closes the
 * socket, frees the mux. NULL is a no-op. */
void pppoe_client_mux_destroy(struct pppoe_client_mux *mux);

/* Batching for a bulk sender (lac-dial --traffic): from cork to uncork, frames
 * are queued and go out by sendmmsg() in batches of up to 64 (when a batch is
 * full, and at uncork). Frames the socket refuses are dropped and counted
 * (pppoe_client_mux_tx_errors). No effect on a mux with injected I/O. */
void pppoe_client_mux_cork(struct pppoe_client_mux *mux);
void pppoe_client_mux_uncork(struct pppoe_client_mux *mux);
unsigned long pppoe_client_mux_tx_errors(const struct pppoe_client_mux *mux);
/* Frames the kernel dropped at the mux's socket so far (its receive ring
 * was full); one system call. 0 for a mux without a socket. */
uint64_t pppoe_client_mux_rx_kernel_drops(struct pppoe_client_mux *mux);

/* Starts discovery for one subscriber: sends the first PADI now. cfg is
 * copied. Returns the client, or NULL (out of memory, logged). */
struct pppoe_client *pppoe_client_start(struct pppoe_client_mux *mux,
					const struct pppoe_client_config *cfg,
					const struct pppoe_client_events *events, void *owner);

/* Sends one PPP frame on the session (a leading 0xff 0x03 is dropped).
 * Returns 0, or -1 if the session is not up or the send failed. */
int pppoe_client_send(struct pppoe_client *c, const uint8_t *ppp, size_t len);

/* Hangs up: PADT if the session is up, then frees the client. No callback
 * follows. May be called from inside the client's own callbacks. */
void pppoe_client_stop(struct pppoe_client *c);

/* Without a socket, for tests: frames the clients send go to io->tx, frames
 * are fed in with pppoe_client_mux_input(). Timers still run on loop. */
struct pppoe_client_io {
	int (*tx)(void *io_ctx, const uint8_t *frame, size_t len);      /* 0 or -1 */
	void *io_ctx;
};
struct pppoe_client_mux *pppoe_client_mux_create_io(struct ev_loop *loop, const struct pppoe_client_io *io);
/* Handles one received Ethernet frame (either PPPoE EtherType). */
void pppoe_client_mux_input(struct pppoe_client_mux *mux, const uint8_t *frame, size_t len);

/* The client's source MAC and session id (0 before up), for logs. */
void pppoe_client_mac(const struct pppoe_client *c, uint8_t mac[PPPOE_ETH_ALEN]);
uint16_t pppoe_client_session_id(const struct pppoe_client *c);

#endif
