/* The lac-core daemon: one event loop holding the access listeners, the RADIUS
 * client, the L2TP engine, the local-termination TUN device and the subscriber
 * sessions that join them (RFC 2809 call flow). */
#ifndef CORE_LAC_H
#define CORE_LAC_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "core/admission.h"
#include "core/endpoint_cache.h"
#include "core/pool.h"
#include "ev/ev.h"

struct subscriber;
struct stream_access;
struct pppoe_server;
struct radius_client;
struct radius_acct;
struct dae_server;
struct l2tp_engine;
struct ctl_server;
struct sub_ops;

#define LAC_IP_MIN_BUCKETS 1024

struct lac_counters {
	uint64_t sessions_created, sessions_destroyed;
	uint64_t auth_requests;
	uint64_t aaa_tunnel, aaa_local, aaa_reject, aaa_fail;
	uint64_t tunnel_up, tunnel_failed, tunnel_failover;
	uint64_t local_up;
	uint64_t relay_frames_up, relay_frames_down;   /* subscriber->LNS, LNS->subscriber */
	uint64_t tun_rx, tun_tx, tun_no_session, tun_tx_dropped;
	uint64_t admin_disconnects;
	uint64_t session_timeouts, idle_timeouts, dae_disconnects, coa_applied;
	uint64_t unexpected_events;
	uint64_t identity_changes_refused;      /* a second identity on a pinned session */
};

struct lac {
	struct ev_loop *loop;
	struct ev_defer log_flush;      /* held log lines go when the iteration ends */
	struct lac_config cfg;          /* swapped whole on reload */
	char config_path[256];

	struct stream_access *streams[CONF_MAX_LISTEN];
	size_t n_streams;
	struct pppoe_server *pppoe[CONF_MAX_PPPOE_IF];
	size_t n_pppoe;
	struct radius_client *radius;
	struct radius_acct *acct;       /* NULL when accounting is off */
	struct dae_server *dae;         /* NULL without [dae] listen */
	struct l2tp_engine *l2tp;
	struct ctl_server *ctl;
	struct metrics_http *metrics;   /* NULL without [lac] metrics_listen */

	int tun_fd;                     /* -1 when local termination is off */
	struct ip_pool pool;

	struct subscriber *subscribers; /* all live sessions */
	uint32_t n_subscribers;
	uint32_t next_id;
	/* locally terminated, by address: ip_mask + 1 buckets, allocated at
	 * start for the local pool (lac_ip_table_init) and doubled when it holds
	 * more sessions than buckets (scale: a fixed 4096 put 16 on every chain
	 * at 64k sessions, walked per packet from the TUN) */
	struct subscriber **by_ip;
	uint32_t ip_mask, n_ip;

	/* the subscriber call flow's operations; NULL: the daemon's own
	 * (core/subscriber_io.c); tests put fakes here */
	const struct sub_ops *sub_ops;

	bool shutting_down;
	struct ev_timer shutdown_timer;
	struct lac_counters counters;
	struct admission adm;           /* call admission control (issue 11) */
	struct endpoint_cache endpoints; /* local address towards each LNS */
};

#endif
