/* RFC 5176 Dynamic Authorization server: a UDP listener (port 3799 by
 * default) on the event loop for Disconnect-Request and CoA-Request from
 * configured clients.
 *
 * Per datagram: the source must be a configured client (else dropped and
 * counted); the request must verify with that client's secret
 * (dae_request_decode(): Request Authenticator, Message-Authenticator when
 * present, mandatory with require_message_authenticator) or it is dropped
 * silently (RFC 5176 3.4) and counted; a retransmission of a request already
 * answered (same source address and port, Identifier and Request
 * Authenticator, within DAE_DUP_WINDOW_MS; RFC 5080 2.2.2) gets the cached
 * answer and is not executed again.
 *
 * Replay protection (RFC 5176 3.3): a verified request whose Event-Timestamp
 * is more than replay_window_s away from our clock (or that has none, with
 * require_event_timestamp) gets NAK 404 Invalid-Request and is not executed
 * (counted stale). Every executed request is remembered per client by
 * (Identifier, Request Authenticator) for replay_window_s: the same request
 * again, from any source port, after the retransmission window, gets NAK 404
 * and is not executed a second time (counted replays). Past the window its
 * Event-Timestamp is stale, so a request carrying one can never run twice;
 * one without can, after the window, unless require_event_timestamp. When a
 * client's replay cache is full of requests still inside the window, new
 * requests get NAK 506 rather than an eviction that would allow a replay.
 *
 * A request naming another NAS gets NAK 403;
 * a request lac-core cannot honour gets the NAK its decode chose; everything
 * else goes to the handler, whose answer (DAE_ERR_NONE for ACK) is sent and
 * cached. Answers are signed (Message-Authenticator first). */
#ifndef AAA_DAE_SERVER_H
#define AAA_DAE_SERVER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "aaa/dae_codec.h"

struct ev_loop;
struct dae_server;

#define DAE_MAX_CLIENTS 16
#define DAE_DUP_WINDOW_MS 5000
#define DAE_DUP_CACHE 64
#define DAE_REPLAY_CACHE 4096           /* per client */
#define DAE_DEFAULT_REPLAY_WINDOW_S 300

struct dae_client_config {
	struct in_addr addr;
	uint8_t secret[RADIUS_MAX_SECRET];
	size_t secret_len;
};

struct dae_server_config {
	struct sockaddr_in listen;
	struct dae_client_config clients[DAE_MAX_CLIENTS];
	size_t n_clients;
	bool require_message_authenticator;
	char nas_identifier[128];               /* ours, for RFC 5176 3 NAS matching; "" none */
	struct in_addr nas_ip;                  /* ours; 0 none */
	uint32_t replay_window_s;               /* 0 = DAE_DEFAULT_REPLAY_WINDOW_S */
	bool require_event_timestamp;
	/* Unix time in seconds; NULL = CLOCK_REALTIME. For tests. */
	uint64_t (*wall_s)(void *arg);
	void *wall_arg;
};

/* Called for a verified request that lac-core can honour and that names this
 * NAS. `client` is the client's address, for logs. The handler acts (tears
 * sessions down, changes Session-Timeout) and returns DAE_ERR_NONE for an
 * ACK or the Error-Cause of the NAK (DAE_ERR_SESSION_NOT_FOUND when nothing
 * matched). It must not destroy the server. */
typedef enum dae_error_cause (*dae_handler_fn)(void *arg, const struct dae_request *req,
					      const char *client);

/* Binds the listener. Returns NULL with errno set. */
struct dae_server *dae_server_create(struct ev_loop *loop, const struct dae_server_config *cfg,
				     dae_handler_fn handler, void *arg);
void dae_server_destroy(struct dae_server *srv);
/* The bound address (with the port the kernel chose for port 0). Returns 0/-1. */
int dae_server_local_addr(const struct dae_server *srv, struct sockaddr_in *out);

struct dae_server_counters {
	uint64_t disconnect_requests, coa_requests;     /* verified */
	uint64_t disconnect_acks, disconnect_naks, coa_acks, coa_naks;
	uint64_t duplicates;                    /* answered from the cache */
	uint64_t replays;                       /* NAK 404: executed before, within the window */
	uint64_t stale;                         /* NAK 404: Event-Timestamp outside the window */
	uint64_t replay_cache_full;             /* NAK 506 */
	uint64_t reply_too_big;                 /* not answered: the echo outgrew 4096 octets */
	uint64_t unknown_client;                /* dropped: source not configured */
	uint64_t malformed;                     /* dropped: lengths, code */
	uint64_t bad_authenticator;             /* dropped: Request Authenticator */
	uint64_t no_message_authenticator;      /* dropped: required and absent */
	uint64_t bad_message_authenticator;     /* dropped */
};
void dae_server_counters_get(const struct dae_server *srv, struct dae_server_counters *out);

#endif
