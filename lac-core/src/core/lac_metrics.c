/* lac-core's counter tables: one row per value (key, help, type, offset);
 * `lacctl show counters` and the Prometheus endpoint both render them
 * (core/metrics.h). A line of lacctl output is one table, in column order. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "access/pppoe_server.h"
#include "access/stream.h"
#include "aaa/dae_server.h"
#include "aaa/radius_acct.h"
#include "aaa/radius_client.h"
#include "core/admission.h"
#include "core/lac.h"
#include "core/metrics.h"
#include "l2tp/l2tp.h"

#define LC struct lac_counters
static const struct metric_field lac_sessions_tab[] = {
	METRIC_C(LC, sessions_created, "Subscriber sessions created (access connection accepted)."),
	METRIC_C(LC, sessions_destroyed, "Subscriber sessions ended."),
};
static const struct metric_field lac_aaa_tab[] = {
	METRIC_C(LC, auth_requests, "Access-Requests started for subscribers."),
	METRIC_C(LC, aaa_tunnel, "RADIUS decisions: tunnel to an LNS."),
	METRIC_C(LC, aaa_local, "RADIUS decisions: terminate locally."),
	METRIC_C(LC, aaa_reject, "RADIUS decisions: reject."),
	METRIC_C(LC, aaa_fail, "Authentications without an answer (timeouts, errors)."),
};
static const struct metric_field lac_up_tab[] = {
	METRIC_C(LC, tunnel_up, "Sessions relayed to an LNS (ICCN answered)."),
	METRIC_C(LC, tunnel_failed, "Sessions whose tunnel or call setup failed on every LNS."),
	METRIC_C(LC, tunnel_failover, "Calls moved on to the next LNS of the reply."),
	METRIC_C(LC, local_up, "Sessions terminated locally (IPCP up)."),
};
static const struct metric_field lac_relay_tab[] = {
	METRIC_C(LC, relay_frames_up, "PPP frames relayed subscriber to LNS."),
	METRIC_C(LC, relay_frames_down, "PPP frames relayed LNS to subscriber."),
	METRIC_C(LC, tun_rx, "Packets read from the local TUN device."),
	METRIC_C(LC, tun_tx, "Packets written to the local TUN device."),
	METRIC_C(LC, tun_no_session, "TUN packets for an address without a session (dropped)."),
	METRIC_C(LC, tun_tx_dropped, "Packets the TUN device did not take (dropped)."),
};
static const struct metric_field lac_end_tab[] = {
	METRIC_C(LC, admin_disconnects, "Sessions ended by lacctl disconnect."),
	METRIC_C(LC, session_timeouts, "Sessions ended by Session-Timeout."),
	METRIC_C(LC, idle_timeouts, "Sessions ended by Idle-Timeout."),
	METRIC_C(LC, dae_disconnects, "Sessions ended by an RFC 5176 Disconnect-Request."),
	METRIC_C(LC, coa_applied, "RFC 5176 CoA-Requests applied."),
	METRIC_C(LC, unexpected_events, "Events a subscriber state did not expect (ignored)."),
};
static const struct metric_field lac_identity_tab[] = {
	METRIC_C(LC, identity_changes_refused, "Sessions ended: a second identity on a pinned session."),
};
#undef LC

#define SC struct stream_access_counters
static const struct metric_field stream_tab[] = {
	METRIC_C(SC, accepted, "Stream access connections accepted."),
	METRIC_C(SC, closed, "Stream access connections closed."),
	METRIC_C(SC, frames_rx, "HDLC frames received."),
	METRIC_C(SC, frames_tx, "HDLC frames sent."),
	METRIC_C(SC, bad_fcs, "Frames dropped: bad FCS."),
	METRIC_C(SC, too_long, "Frames dropped: too long."),
	METRIC_C(SC, too_short, "Frames dropped: too short."),
	METRIC_C(SC, aborted, "Frames dropped: aborted."),
	METRIC_C(SC, tx_dropped, "Frames dropped: output queue full."),
};
static const struct metric_field stream_budget_tab[] = {
	METRIC_C(SC, refused_per_source, "Stream connections refused: max_connections_per_source reached."),
	METRIC_C(SC, accept_fd_exhausted, "Accepts that failed for lack of file descriptors (EMFILE/ENFILE)."),
	METRIC_C(SC, accept_paused, "Times the stream listener paused accepting (budget or fds)."),
};
#undef SC

#define PC struct pppoe_server_counters
static const struct metric_field pppoe_tab[] = {
	METRIC_C(PC, padi_rx, "PPPoE PADIs received."),
	METRIC_C(PC, pado_tx, "PPPoE PADOs sent."),
	METRIC_C(PC, padr_rx, "PPPoE PADRs received."),
	METRIC_C(PC, pads_tx, "PPPoE PADSs sent."),
	METRIC_C(PC, pads_error_tx, "PPPoE PADSs refusing a session."),
	METRIC_C(PC, padt_rx, "PPPoE PADTs received."),
	METRIC_C(PC, padt_tx, "PPPoE PADTs sent."),
	METRIC_C(PC, session_rx, "PPPoE session frames received."),
	METRIC_C(PC, session_tx, "PPPoE session frames sent."),
	METRIC_C(PC, tx_errors, "PPPoE frames the socket did not take."),
	METRIC_C(PC, malformed, "PPPoE frames dropped: malformed."),
	METRIC_C(PC, bad_cookie, "PPPoE PADRs dropped: missing, wrong or expired AC-Cookie."),
	METRIC_C(PC, rate_limited_all, "PPPoE discovery frames dropped: padi_per_second."),
	METRIC_C(PC, rate_limited_mac, "PPPoE discovery frames dropped: padi_per_mac_per_second."),
	METRIC_C(PC, limit_sessions, "PPPoE sessions refused: max_sessions."),
	METRIC_C(PC, limit_per_mac, "PPPoE sessions refused: max_sessions_per_mac."),
	METRIC_C(PC, unknown_session, "PPPoE frames for no live session."),
	METRIC_C(PC, vlan_refused, "PPPoE frames on a VLAN not served."),
	METRIC_C(PC, sessions_created, "PPPoE sessions created."),
	METRIC_G(PC, sessions_live, "PPPoE sessions now."),
	METRIC_C(PC, rx_kernel_drops, "Frames the kernel dropped at the PPPoE socket (its receive ring was full)."),
};
#undef PC

#define RC struct radius_client_counters
static const struct metric_field radius_tab[] = {
	METRIC_C(RC, requests, "Access-Requests sent (first transmissions)."),
	METRIC_C(RC, accepts, "Access-Accepts received."),
	METRIC_C(RC, rejects, "Access-Rejects received."),
	METRIC_C(RC, timeouts, "Access-Requests no server answered."),
	METRIC_C(RC, errors, "Access-Requests that failed locally."),
	METRIC_C(RC, retransmits, "Access-Request retransmissions."),
	METRIC_C(RC, failovers, "Moves to the next RADIUS server."),
	METRIC_CK(RC, replies_malformed, "malformed", "Replies dropped: malformed."),
	METRIC_CK(RC, replies_bad_authenticator, "bad_authenticator", "Replies dropped: wrong Response Authenticator."),
	METRIC_CK(RC, replies_no_message_authenticator, "no_message_authenticator",
		  "Replies dropped: no Message-Authenticator."),
	METRIC_CK(RC, replies_bad_message_authenticator, "bad_message_authenticator",
		  "Replies dropped: wrong Message-Authenticator."),
	METRIC_CK(RC, replies_unexpected, "unexpected", "Replies dropped: unknown id, source or code."),
	METRIC_C(RC, tunnel_groups_dropped, "Invalid RFC 2868 tunnel groups dropped from Access-Accepts."),
	METRIC_G(RC, in_flight, "Access-Requests waiting for an answer."),
	METRIC_C(RC, rx_socket_drops, "Replies the kernel dropped at our RADIUS sockets (receive buffer full)."),
};
#undef RC

#define AC struct radius_acct_counters
static const struct metric_field acct_tab[] = {
	METRIC_C(AC, queued, "Accounting-Requests queued."),
	METRIC_C(AC, starts, "Accounting Start records."),
	METRIC_C(AC, interims, "Accounting Interim-Update records."),
	METRIC_C(AC, stops, "Accounting Stop records."),
	METRIC_C(AC, responses, "Accounting-Responses verified."),
	METRIC_C(AC, retransmits, "Accounting-Request retransmissions."),
	METRIC_C(AC, failovers, "Moves to the next accounting server."),
	METRIC_C(AC, dropped_interim, "Interim-Updates dropped: queue full."),
	METRIC_C(AC, dropped_other, "Start/Stop records dropped: queue full."),
	METRIC_C(AC, replies_invalid, "Accounting replies dropped: invalid."),
	METRIC_C(AC, replies_unexpected, "Accounting replies dropped: unexpected."),
	METRIC_G(AC, pending, "Accounting-Requests not yet answered."),
	METRIC_C(AC, tunnel_rejects, "RFC 2867 Tunnel-Reject records queued (an LNS refused a tunnel)."),
	METRIC_C(AC, tunnel_link_rejects, "RFC 2867 Tunnel-Link-Reject records queued (an LNS refused a call)."),
	METRIC_C(AC, rx_socket_drops, "Accounting-Responses the kernel dropped at our socket (receive buffer full)."),
};
static const struct metric_field acct_spool_tab[] = {
	METRIC_C(AC, spooled, "Accounting records written to the on-disk spool."),
	METRIC_CK(AC, spool_replayed, "replayed", "Spooled records replayed at start."),
	METRIC_CK(AC, spool_lost_stops, "lost_stops", "Stops made at start for sessions lost in a crash."),
	METRIC_CK(AC, spool_not_written, "not_written", "Records the spool could not write."),
	METRIC_C(AC, spilled, "Records kept only on disk because the memory queue was full."),
	METRIC_C(AC, spill_reloaded, "Spilled records queued again."),
	METRIC_GK(AC, spool_bytes, "bytes", "Bytes in the spool."),
	METRIC_CK(AC, spool_syncs, "syncs", "fdatasync calls on the spool."),
	METRIC_CK(AC, spool_compactions, "compactions", "Spool compactions."),
	METRIC_CK(AC, spool_errors, "errors", "Spool I/O errors."),
	METRIC_GK(AC, spool_sync_us_max, "sync_us_max", "Longest spool fdatasync, microseconds."),
	METRIC_G(AC, rcvbuf, "Accounting socket receive buffer granted, bytes."),
};
#undef AC

#define DC struct dae_server_counters
static const struct metric_field dae_tab[] = {
	METRIC_C(DC, disconnect_requests, "Verified Disconnect-Requests."),
	METRIC_C(DC, disconnect_acks, "Disconnect-ACKs sent."),
	METRIC_C(DC, disconnect_naks, "Disconnect-NAKs sent."),
	METRIC_C(DC, coa_requests, "Verified CoA-Requests."),
	METRIC_C(DC, coa_acks, "CoA-ACKs sent."),
	METRIC_C(DC, coa_naks, "CoA-NAKs sent."),
	METRIC_C(DC, duplicates, "Duplicates answered from the cache."),
	METRIC_C(DC, unknown_client, "Dropped: source not configured."),
	METRIC_C(DC, malformed, "Dropped: malformed."),
	METRIC_C(DC, bad_authenticator, "Dropped: wrong Request Authenticator."),
	METRIC_C(DC, no_message_authenticator, "Dropped: Message-Authenticator required and absent."),
	METRIC_C(DC, bad_message_authenticator, "Dropped: wrong Message-Authenticator."),
	METRIC_C(DC, replays, "Replayed requests answered with a NAK (RFC 5176 3.3)."),
	METRIC_C(DC, stale, "Requests with an Event-Timestamp outside the window (NAK)."),
	METRIC_C(DC, replay_cache_full, "Requests refused: replay cache full (NAK 506)."),
};
#undef DC

#define LS struct l2tp_engine_stats
static const struct metric_field l2tp_tab[] = {
	METRIC_C(LS, rx_datagrams, "L2TP datagrams received."),
	METRIC_C(LS, tx_datagrams, "L2TP datagrams sent."),
	METRIC_C(LS, rx_malformed, "L2TP datagrams dropped: malformed."),
	METRIC_C(LS, rx_unknown_tunnel, "L2TP datagrams dropped: unknown tunnel."),
	METRIC_C(LS, rx_unknown_session, "L2TP datagrams dropped: unknown session."),
	METRIC_C(LS, rx_bad_peer, "L2TP datagrams dropped: wrong peer address."),
	METRIC_C(LS, retransmits, "Control message retransmissions."),
	METRIC_C(LS, tunnels_opened, "Tunnels established."),
	METRIC_C(LS, tunnels_failed, "Tunnel setups that failed."),
	METRIC_C(LS, sessions_opened, "Calls placed (ICRQ)."),
	METRIC_C(LS, sessions_up, "Calls established (ICCN)."),
	METRIC_C(LS, sessions_failed, "Calls that failed."),
	METRIC_C(LS, failovers, "Calls moved to another LNS."),
	METRIC_C(LS, tx_dropped, "Datagrams dropped on send."),
	METRIC_C(LS, setup_timeouts, "Tunnel or call setups that passed their deadline."),
	METRIC_C(LS, setup_waits, "Setup deadlines moved on because the LNS, though late, answers on its tunnels."),
	METRIC_C(LS, rx_duplicate, "Control messages received twice (duplicate Ns)."),
	METRIC_C(LS, rx_out_of_window, "Control messages outside the receive window."),
	METRIC_C(LS, rx_bad_nr, "Control messages acknowledging what was never sent (bogus Nr)."),
	METRIC_C(LS, icmp_ignored, "ICMP errors ignored: they do not quote our datagram."),
	METRIC_C(LS, stray_rate_limited, "Unsolicited SCCRQs left unanswered by the rate limit."),
	METRIC_C(LS, setup_rejects, "Tunnels an LNS refused or left unanswered (reported once per tunnel)."),
	METRIC_C(LS, link_rejects, "Calls an LNS refused on an established tunnel."),
	METRIC_C(LS, rx_socket_drops, "L2TP datagrams the kernel dropped at our sockets (receive buffer full)."),
};
#undef LS

#define MH struct metrics_http_counters
static const struct metric_field http_tab[] = {
	METRIC_C(MH, requests, "GET /metrics served."),
	METRIC_C(MH, not_found, "Requests for other paths."),
	METRIC_C(MH, bad_requests, "Malformed or oversized requests."),
	METRIC_C(MH, refused, "Connections refused: too many at once."),
	METRIC_C(MH, timeouts, "Connections closed: no complete request in time."),
};
#undef MH

void lac_counters_text(struct lac *lac, struct strbuf *out)
{
	const struct lac_counters *c = &lac->counters;
	strbuf_printf(out, "sessions=%u ", lac->n_subscribers);
	metrics_kv(out, "", lac_sessions_tab, METRIC_N(lac_sessions_tab), c);
	metrics_kv(out, "", lac_aaa_tab, METRIC_N(lac_aaa_tab), c);
	metrics_kv(out, "", lac_up_tab, METRIC_N(lac_up_tab), c);
	metrics_kv(out, "", lac_relay_tab, METRIC_N(lac_relay_tab), c);
	metrics_kv(out, "", lac_end_tab, METRIC_N(lac_end_tab), c);
	for (size_t i = 0; i < lac->n_streams; i++) {
		struct stream_access_counters sc;
		stream_access_counters(lac->streams[i], &sc);
		metrics_kv(out, "access=stream ", stream_tab, METRIC_N(stream_tab), &sc);
		strbuf_printf(out, "stream_budget conns=%u ", stream_access_n_conns(lac->streams[i]));
		metrics_kv(out, "", stream_budget_tab, METRIC_N(stream_budget_tab), &sc);
	}
	metrics_kv(out, "", lac_identity_tab, METRIC_N(lac_identity_tab), c);
	{
		char line[512];
		admission_counters_format(&lac->adm, line, sizeof(line));
		strbuf_printf(out, "admission %s\n", line);
	}
	for (size_t i = 0; i < lac->n_pppoe; i++) {
		struct pppoe_server_counters pc;
		char line[1024];
		pppoe_server_get_counters(lac->pppoe[i], &pc);
		pppoe_server_counters_format(&pc, line, sizeof(line));
		strbuf_printf(out, "access=pppoe if=%s %s\n", lac->cfg.pppoe_interface[i], line);
	}
	struct radius_client_counters rc;
	radius_client_counters_get(lac->radius, &rc);
	metrics_kv(out, "radius ", radius_tab, METRIC_N(radius_tab), &rc);
	if (lac->acct) {
		struct radius_acct_counters ac;
		radius_acct_counters_get(lac->acct, &ac);
		metrics_kv(out, "radius_acct ", acct_tab, METRIC_N(acct_tab), &ac);
		metrics_kv(out, "radius_acct_spool ", acct_spool_tab, METRIC_N(acct_spool_tab), &ac);
	}
	if (lac->dae) {
		struct dae_server_counters dc;
		dae_server_counters_get(lac->dae, &dc);
		metrics_kv(out, "dae ", dae_tab, METRIC_N(dae_tab), &dc);
	}
	struct l2tp_engine_stats ls;
	l2tp_engine_get_stats(lac->l2tp, &ls);
	metrics_kv(out, "l2tp ", l2tp_tab, METRIC_N(l2tp_tab), &ls);
}

/* Per-LNS gauges, summed over the tunnels to each LNS address. */
#define LNS_MAX 64
struct lns_agg {
	size_t n;
	char name[LNS_MAX][64];
	uint64_t tunnels[LNS_MAX], sessions[LNS_MAX], retransmits[LNS_MAX];
	uint64_t total_tunnels;
};

static void lns_tunnel(void *arg, const struct l2tp_tunnel_info *ti)
{
	struct lns_agg *a = arg;
	char host[INET6_ADDRSTRLEN] = "?", name[64];
	unsigned port = 0;
	a->total_tunnels++;
	if (ti->peer && ti->peer->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ti->peer;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
	} else if (ti->peer && ti->peer->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ti->peer;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(name, sizeof(name), "%s:%u", host, port);
	size_t i = 0;
	while (i < a->n && strcmp(a->name[i], name) != 0)
		i++;
	if (i == a->n) {
		if (a->n == LNS_MAX)
			return; /* bounded: the first LNS_MAX peers are exported */
		snprintf(a->name[a->n++], sizeof(a->name[0]), "%s", name);
	}
	a->tunnels[i]++;
	a->sessions[i] += ti->sessions;
	a->retransmits[i] += ti->retransmits;
}

static void prom_per_lns(struct strbuf *out, const char *name, const char *help, enum metric_type type,
			 const struct lns_agg *a, const uint64_t *v)
{
	metrics_prom_family(out, name, help, type);
	for (size_t i = 0; i < a->n; i++) {
		const char *labels[] = { "lns", a->name[i], NULL };
		metrics_prom_sample(out, name, labels, v[i]);
	}
}

void lac_metrics_render(void *arg, struct strbuf *out)
{
	struct lac *lac = arg;
	const struct lac_counters *c = &lac->counters;

	metrics_prom_family(out, "lac_sessions", "Subscriber sessions now.", METRIC_GAUGE);
	metrics_prom_sample(out, "lac_sessions", NULL, lac->n_subscribers);
	metrics_prom_table(out, "lac_", lac_sessions_tab, METRIC_N(lac_sessions_tab), c);
	metrics_prom_table(out, "lac_", lac_aaa_tab, METRIC_N(lac_aaa_tab), c);
	metrics_prom_table(out, "lac_", lac_up_tab, METRIC_N(lac_up_tab), c);
	metrics_prom_table(out, "lac_", lac_relay_tab, METRIC_N(lac_relay_tab), c);
	metrics_prom_table(out, "lac_", lac_end_tab, METRIC_N(lac_end_tab), c);
	metrics_prom_table(out, "lac_", lac_identity_tab, METRIC_N(lac_identity_tab), c);
	metrics_prom_histogram(out, "lac_session_setup_seconds",
			       "Time from the subscriber's connection to the session being up (tunnel or local).",
			       &metrics_setup_hist);

	struct stream_access_counters sc[CONF_MAX_LISTEN];
	const void *objs[CONF_MAX_LISTEN];
	const char *names[CONF_MAX_LISTEN];
	for (size_t i = 0; i < lac->n_streams && i < CONF_MAX_LISTEN; i++) {
		stream_access_counters(lac->streams[i], &sc[i]);
		objs[i] = &sc[i];
		names[i] = lac->cfg.stream_listen[i];
	}
	metrics_prom_table_multi(out, "lac_stream_", stream_tab, METRIC_N(stream_tab), objs, "listen", names,
				 lac->n_streams < CONF_MAX_LISTEN ? lac->n_streams : CONF_MAX_LISTEN);

	struct pppoe_server_counters pc[CONF_MAX_PPPOE_IF];
	const void *pobjs[CONF_MAX_PPPOE_IF];
	const char *pnames[CONF_MAX_PPPOE_IF];
	size_t n_pppoe = lac->n_pppoe < CONF_MAX_PPPOE_IF ? lac->n_pppoe : CONF_MAX_PPPOE_IF;
	for (size_t i = 0; i < n_pppoe; i++) {
		pppoe_server_get_counters(lac->pppoe[i], &pc[i]);
		pobjs[i] = &pc[i];
		pnames[i] = lac->cfg.pppoe_interface[i];
	}
	metrics_prom_table_multi(out, "lac_pppoe_", pppoe_tab, METRIC_N(pppoe_tab), pobjs, "interface", pnames,
				 n_pppoe);

	struct radius_client_counters rc;
	radius_client_counters_get(lac->radius, &rc);
	metrics_prom_table(out, "lac_radius_", radius_tab, METRIC_N(radius_tab), &rc);
	struct radius_server_status st;
	metrics_prom_family(out, "lac_radius_server_up", "1 while a RADIUS server is not marked dead.", METRIC_GAUGE);
	for (size_t i = 0; radius_client_server_status(lac->radius, i, &st) == 0; i++) {
		const char *labels[] = { "server", st.name ? st.name : "?", NULL };
		metrics_prom_sample(out, "lac_radius_server_up", labels, st.dead ? 0 : 1);
	}
	metrics_prom_family(out, "lac_radius_server_sent_total", "Requests sent to a RADIUS server.", METRIC_COUNTER);
	for (size_t i = 0; radius_client_server_status(lac->radius, i, &st) == 0; i++) {
		const char *labels[] = { "server", st.name ? st.name : "?", NULL };
		metrics_prom_sample(out, "lac_radius_server_sent_total", labels, st.sent);
	}
	metrics_prom_family(out, "lac_radius_server_timeouts_total", "Requests a RADIUS server did not answer.",
			    METRIC_COUNTER);
	for (size_t i = 0; radius_client_server_status(lac->radius, i, &st) == 0; i++) {
		const char *labels[] = { "server", st.name ? st.name : "?", NULL };
		metrics_prom_sample(out, "lac_radius_server_timeouts_total", labels, st.timeouts);
	}
	if (lac->acct) {
		struct radius_acct_counters ac;
		radius_acct_counters_get(lac->acct, &ac);
		metrics_prom_table(out, "lac_radius_acct_", acct_tab, METRIC_N(acct_tab), &ac);
		metrics_prom_table(out, "lac_radius_acct_spool_", acct_spool_tab, METRIC_N(acct_spool_tab), &ac);
	}
	if (lac->dae) {
		struct dae_server_counters dc;
		dae_server_counters_get(lac->dae, &dc);
		metrics_prom_table(out, "lac_dae_", dae_tab, METRIC_N(dae_tab), &dc);
	}
	struct l2tp_engine_stats ls;
	l2tp_engine_get_stats(lac->l2tp, &ls);
	metrics_prom_table(out, "lac_l2tp_", l2tp_tab, METRIC_N(l2tp_tab), &ls);

	static struct lns_agg agg; /* large; the loop is single-threaded */
	memset(&agg, 0, sizeof(agg));
	l2tp_engine_foreach(lac->l2tp, lns_tunnel, NULL, &agg);
	metrics_prom_family(out, "lac_tunnels", "L2TP tunnels now.", METRIC_GAUGE);
	metrics_prom_sample(out, "lac_tunnels", NULL, agg.total_tunnels);
	prom_per_lns(out, "lac_lns_tunnels", "L2TP tunnels to an LNS now.", METRIC_GAUGE, &agg, agg.tunnels);
	prom_per_lns(out, "lac_lns_sessions", "Sessions in tunnels to an LNS now.", METRIC_GAUGE, &agg, agg.sessions);
	prom_per_lns(out, "lac_lns_retransmits", "Control retransmissions on the current tunnels to an LNS.",
		     METRIC_GAUGE, &agg, agg.retransmits);

	struct metrics_http_counters hc;
	metrics_http_counters_get(lac->metrics, &hc);
	metrics_prom_table(out, "lac_metrics_http_", http_tab, METRIC_N(http_tab), &hc);
}
