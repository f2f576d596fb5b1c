/* lac-core's RADIUS client: Access-Requests on the daemon's event loop.
 *
 * Configuration comes from radcli (a radiusclient.conf read with
 * rc_read_config(): servers, secrets, timeout, retries, dead time, dictionary,
 * NAS-Identifier); packets are built, sent, retransmitted, verified and decoded
 * here, without blocking (see the comment at the top of radius_client.c for
 * why radcli does not send them).
 *
 * Lifetime: a request lives from radius_auth_start() until its done callback
 * returns or radius_request_cancel(); after either, the pointer is invalid.
 * done is never called from inside radius_auth_start(). Inside done the
 * caller may start or cancel other requests, but must not destroy the client.
 *
 * Typical use by the daemon:
 *   radius_client_config_from_radcli(conf->radius_config, &rcfg, err, sizeof(err));
 *   client = radius_client_create(loop, &rcfg);
 *   req = radius_auth_start(client, &params, on_radius_done, session);
 *   ... on_radius_done(session, res): res->status, res->reply->tunnels[0..n_tunnels)
 *   (endpoint/addr, password, assignment_id, client_auth_id) or framed_ip/dns. */
#ifndef AAA_RADIUS_CLIENT_H
#define AAA_RADIUS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "aaa/radius_codec.h"

struct ev_loop;
struct radius_client;
struct radius_request;

#define RADIUS_MAX_SERVERS 8            /* radcli's SERVER_MAX */

struct radius_server_config {
	char name[128];                         /* as configured ("10.88.1.1:1812"), for logs */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	uint8_t secret[RADIUS_MAX_SECRET];
	size_t secret_len;
};

struct radius_client_config {
	struct radius_server_config servers[RADIUS_MAX_SERVERS];       /* in failover order */
	size_t n_servers;
	uint32_t timeout_ms;                    /* wait for an answer to each send */
	uint32_t tries;                         /* sends per server (radcli radius_retries) */
	uint32_t deadtime_s;                    /* a silent server is skipped this long */
	char nas_identifier[128];               /* "" = none; used when params give none */
	bool has_bind;                          /* source address (radcli bindaddr) */
	struct sockaddr_storage bind_addr;
	socklen_t bind_addr_len;
	size_t max_sockets;                     /* per address family, 256 ids each */
	uint32_t rcvbuf_bytes;                  /* receive buffer asked per socket; 0 = kernel default */
};

/* Fills defaults: timeout 3000 ms, 3 tries, dead time 30 s, 64 sockets,
 * 4 MiB receive buffer. */
void radius_client_config_defaults(struct radius_client_config *cfg);

/* Reads a radcli radiusclient.conf (and through it the servers file and the
 * dictionary, which radcli parses and so validates). Host names in
 * `authserver` are resolved here, once, at configuration time. Returns 0, or
 * -1 with a message naming the file in err. */
int radius_client_config_from_radcli(const char *path, struct radius_client_config *out,
				     char *err, size_t errlen);

/* ---- results ---- */

enum radius_status {
	RADIUS_STATUS_ACCEPT,
	RADIUS_STATUS_REJECT,           /* Access-Reject, or Access-Challenge (RFC 2865 4.4) */
	RADIUS_STATUS_TIMEOUT,          /* no valid answer from any server */
	RADIUS_STATUS_ERROR,            /* could not send (all servers) */
};
const char *radius_status_str(enum radius_status status);

/* Handed to done; valid only during the callback (copy what you keep). */
struct radius_auth_result {
	enum radius_status status;
	const struct radius_reply *reply;       /* ACCEPT/REJECT: verified, decoded reply;
						 * reply->tunnels are the candidates for the
						 * L2TP engine, most preferred first */
	const char *server;                     /* name of the server that answered, or NULL */
	uint32_t elapsed_ms;                    /* since radius_auth_start */
	const char *detail;                     /* TIMEOUT/ERROR: why, for the log */
};

typedef void (*radius_done_fn)(void *arg, const struct radius_auth_result *result);

/* ---- client ---- */

/* Creates a client on loop; copies cfg. Sockets are opened on first use.
 * Returns NULL with errno set (EINVAL for a config without servers). */
struct radius_client *radius_client_create(struct ev_loop *loop,
					   const struct radius_client_config *cfg);
/* Cancels every outstanding request (no callbacks), closes sockets, frees. */
void radius_client_destroy(struct radius_client *client);

/* For tests: the random source for Request Authenticators and for shuffling
 * tunnels of equal preference. NULL restores getrandom(2). */
void radius_client_set_rng(struct radius_client *client,
			   void (*fill)(void *arg, uint8_t *buf, size_t len), void *arg);

/* Sends an Access-Request built from params (deep-copied: the caller's
 * strings may go away). NAS-Identifier defaults to the configured one.
 * Returns the request, or NULL with errno set (EINVAL: params do not encode,
 * e.g. a password over 128 octets; EBUSY: every identifier of every allowed
 * socket is in use; or a socket error). */
struct radius_request *radius_auth_start(struct radius_client *client,
					 const struct radius_auth_params *params,
					 radius_done_fn done, void *arg);
/* Abandons a request: no callback follows. Late replies are dropped. Must not
 * be called for a request whose done has already been called. */
void radius_request_cancel(struct radius_request *req);

/* ---- counters (for lacctl) ---- */

struct radius_client_counters {
	uint64_t requests;                      /* radius_auth_start() successes */
	uint64_t accepts, rejects, challenges, timeouts, errors;
	uint64_t cancels;
	uint64_t retransmits;                   /* same server, same id and authenticator */
	uint64_t failovers;                     /* moved on to another server */
	uint64_t replies_malformed;             /* bad header or attribute lengths */
	uint64_t replies_bad_authenticator;     /* wrong secret, forged, or a stale id */
	uint64_t replies_no_message_authenticator;      /* unsigned (BlastRADIUS) */
	uint64_t replies_bad_message_authenticator;
	uint64_t replies_unexpected;            /* no such id, wrong source, wrong code */
	uint64_t tunnel_groups_dropped;         /* invalid RFC 2868 groups in accepts */
	uint64_t in_flight;
	uint64_t sockets;
	uint64_t rx_socket_drops;               /* replies the kernel dropped at our full sockets */
};
void radius_client_counters_get(const struct radius_client *client,
				struct radius_client_counters *out);

struct radius_server_status {
	const char *name;
	bool dead;
	uint64_t dead_for_ms;                   /* remaining dead time, 0 if alive */
	uint64_t sent, timeouts, answers;
};
/* Fills out for server i (config order). Returns 0, or -1 if i is out of range. */
int radius_client_server_status(const struct radius_client *client, size_t i,
				struct radius_server_status *out);

#endif
