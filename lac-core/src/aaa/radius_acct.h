/* lac-core's RADIUS accounting transport (RFC 2866) on the event loop.
 *
 * Fire and forget for the caller: radius_acct_send() deep-copies an
 * Accounting-Request's content into a bounded queue; the transport sends it
 * to the first live acctserver, retransmits, fails over and retries until an
 * Accounting-Response verifies (Response Authenticator always,
 * Message-Authenticator when present: FreeRADIUS 3.2.1 does not sign them).
 *
 * RFC 2866 5.2: Acct-Delay-Time is how long the record has waited; every
 * (re)transmission carries the current value, which makes it a new packet,
 * so every send takes a new Identifier (and so a new Request Authenticator).
 *
 * Memory is bounded: at most queue_max records exist. When a new one arrives
 * at a full queue the oldest Interim-Update is dropped, or if there is none
 * the oldest record of any kind; drops are counted. A record is never given
 * up otherwise: when every server is silent the round starts again after the
 * dead time.
 *
 * Durable mode (radius_acct_spool_open()): every record is also appended to
 * the on-disk spool (acct_spool.h) before radius_acct_send() returns, and
 * marked done there when its Accounting-Response verified. A record the
 * memory queue has to drop stays in the spool (counted `spilled`) and is
 * queued again from it once the queue is down to half (`spill_reloaded`), or
 * after the next restart; an Interim-Update dropped for a newer record is
 * marked done (superseded).
 *
 * The sockets, ids, retransmission, failover and reply verification are the
 * shared transport's (radius_transport.h).
 *
 * Typical use:
 *   radius_acct_config_from_radcli(conf->radius_config, &cfg, err, sizeof(err));
 *   acct = radius_acct_create(loop, &cfg, 4096);
 *   radius_acct_send(acct, &params);          (Start, Interim-Update, Stop) */
#ifndef AAA_RADIUS_ACCT_H
#define AAA_RADIUS_ACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aaa/radius_client.h"
#include "aaa/radius_codec.h"

struct ev_loop;
struct radius_acct;

/* Reads the `acctserver` list of a radcli radiusclient.conf (default port
 * 1813) with the same timeout/retries/deadtime/bindaddr/nas-identifier as
 * radius_client_config_from_radcli(). Returns 0 or -1 with err set. */
int radius_acct_config_from_radcli(const char *path, struct radius_client_config *out,
				   char *err, size_t errlen);

/* Creates the transport; copies cfg. Returns NULL with errno set (EINVAL for
 * no servers or queue_max 0). */
struct radius_acct *radius_acct_create(struct ev_loop *loop, const struct radius_client_config *cfg,
				       size_t queue_max);
/* Drops every queued record (counted as dropped), closes sockets, frees. */
void radius_acct_destroy(struct radius_acct *acct);

/* Queues one Accounting-Request built from p (deep-copied). NAS-Identifier
 * defaults to the configured one. Returns 0, or -1 with errno EINVAL when p
 * does not encode (a value over 253 octets) or ENOMEM. */
int radius_acct_send(struct radius_acct *acct, const struct radius_acct_params *p);

/* Queues like radius_acct_send(), but the record is not sent before every
 * record queued ahead of it has been answered (Accounting-On after the
 * replayed spool, so the server sees the lost sessions' Stops first). */
int radius_acct_send_after_pending(struct radius_acct *acct, const struct radius_acct_params *p);

/* RFC 2867 4.1/4.2: Tunnel-Reject (11) or, with link, Tunnel-Link-Reject
 * (14): a tunnel, or a session in a tunnel, that could not be set up. p
 * carries the identity (User-Name, Acct-Session-Id, NAS block) and p->tunnel
 * the tunnel attributes; p->terminate_cause, when set, says why (RFC 2867
 * 4.1 allows Acct-Terminate-Cause). p->status_type is overridden. Returns as
 * radius_acct_send(). */
int radius_acct_tunnel_reject(struct radius_acct *acct, bool link, const struct radius_acct_params *p);

struct acct_spool_config;
struct acct_spool_load_stats;
/* Attaches the on-disk spool: opens it (acct_spool_open()), queues every
 * request it still holds and a Stop (Acct-Terminate-Cause lost_cause, e.g.
 * RADIUS_TERM_NAS_REBOOT) for every session that was live when the previous
 * lac-core ended without its Stop. Call once, before the loop runs and before
 * Accounting-On. Returns 0 or -1 with err set. */
int radius_acct_spool_open(struct radius_acct *acct, const struct acct_spool_config *cfg, uint32_t lost_cause,
			   struct acct_spool_load_stats *st, char *err, size_t errlen);

/* Records not yet answered. */
size_t radius_acct_pending(const struct radius_acct *acct);

/* Calls fn(arg) once the queue is next empty (now, from the loop, if it is
 * already empty). Used at shutdown to wait for the Stops. NULL clears. */
void radius_acct_on_idle(struct radius_acct *acct, void (*fn)(void *arg), void *arg);

struct radius_acct_counters {
	uint64_t queued;                /* radius_acct_send() successes */
	uint64_t starts, stops, interims;
	uint64_t responses;             /* verified Accounting-Responses */
	uint64_t retransmits, failovers;
	uint64_t dropped_interim, dropped_other;        /* queue full */
	uint64_t replies_invalid;       /* malformed, wrong authenticator, wrong code */
	uint64_t replies_unexpected;    /* no such id or wrong source */
	uint64_t pending;
	uint64_t others;                /* Accounting-On/Off, Tunnel-*, ... queued */
	uint64_t spooled;               /* appended to the spool */
	uint64_t spool_replayed;        /* handed back by the spool at start */
	uint64_t spool_lost_stops;      /* of those: Stops made for lost sessions */
	uint64_t spool_not_written;     /* spool full or I/O error: memory only */
	uint64_t spilled;               /* dropped from memory, kept on disk */
	uint64_t spill_reloaded;        /* of those: queued again once there was room */
	uint64_t spool_bytes, spool_syncs, spool_compactions, spool_errors, spool_sync_us_max;
	uint64_t rcvbuf;                /* socket receive buffer granted */
	uint64_t tunnel_rejects;        /* of `others`: RFC 2867 Tunnel-Reject (11) queued */
	uint64_t tunnel_link_rejects;   /* of `others`: Tunnel-Link-Reject (14) queued */
	uint64_t rx_socket_drops;       /* responses the kernel dropped at our full socket */
};
void radius_acct_counters_get(const struct radius_acct *acct, struct radius_acct_counters *out);

#endif
