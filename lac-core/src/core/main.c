/* lac-core: the L2TP Access Concentrator daemon.
 *
 *   lac-core -c /etc/realm-lns/lac.conf [-d]
 *
 * Reads and validates its configuration once (errors name file, line and key),
 * then runs one event loop. SIGHUP re-reads the configuration and applies what
 * can change under live sessions; SIGTERM/SIGINT end every session properly
 * (LCP Terminate, CDN, StopCCN) before exiting. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "access/pppoe_server.h"
#include "conf/conf.h"
#include "core/admission.h"

/* [admission] and [lac] max_sessions as the admission limits (issue 11). */
static void lac_admission_config(const struct lac_config *cfg, struct admission_config *out)
{
	out->max_sessions = cfg->max_sessions;
	out->max_per_realm = cfg->adm_max_sessions_per_realm;
	out->max_per_lns = cfg->adm_max_sessions_per_lns;
	out->calls_per_second = cfg->adm_calls_per_second;
	out->calls_burst = cfg->adm_calls_burst;
}
#include "access/stream.h"
#include "aaa/acct_spool.h"
#include "aaa/dae_server.h"
#include "aaa/radius_acct.h"
#include "aaa/radius_client.h"
#include "core/ctl.h"
#include "core/lac.h"
#include "core/privdrop.h"
#include "core/metrics.h"
#include "core/sdnotify.h"
#include "core/subscriber.h"
#include "core/tun.h"
#include "l2tp/l2tp.h"
#include "util/log.h"
#include "util/escape.h"
#include "util/random.h"
#include <sys/resource.h>

#define SHUTDOWN_GRACE_MS 3000

static void usage(FILE *out)
{
	fprintf(out, "usage: lac-core -c CONFIG [-d]\n"
		     "  -c CONFIG  configuration file (see lac.conf(5))\n"
		     "  -d         debug logging (overrides log_level)\n"
		     "  -t         check the configuration and exit\n");
}

static void lac_ctl_handler(void *ctx, int argc, char **argv, struct strbuf *out);

static void lac_tun_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct lac *lac = arg;
	uint8_t pkt[65536];
	/* bounded batch so one busy device cannot starve the rest of the loop */
	for (int i = 0; i < 64; i++) {
		ssize_t n = read(fd, pkt, sizeof(pkt));
		if (n <= 0)
			return;
		subscriber_tun_input(lac, pkt, (size_t)n);
	}
}

static int lac_l2tp_config(const struct lac_config *cfg, struct l2tp_engine_config *ec, char *err, size_t errlen)
{
	l2tp_engine_config_default(ec);
	for (size_t i = 0; i < cfg->n_l2tp_bind && i < L2TP_MAX_BINDS; i++)
		snprintf(ec->bind[i], sizeof(ec->bind[i]), "%s", cfg->l2tp_bind[i]);
	ec->n_bind = cfg->n_l2tp_bind < L2TP_MAX_BINDS ? cfg->n_l2tp_bind : L2TP_MAX_BINDS;
	ec->port = (uint16_t)cfg->l2tp_port;
	snprintf(ec->host_name, sizeof(ec->host_name), "%s", cfg->l2tp_host_name[0] ? cfg->l2tp_host_name : cfg->host_name);
	ec->hello_interval_s = cfg->l2tp_hello_interval_s;
	ec->rx_window = (uint16_t)cfg->l2tp_rx_window;
	ec->retransmit_initial_ms = cfg->l2tp_retransmit_initial_ms;
	ec->retransmit_max_ms = cfg->l2tp_retransmit_max_ms;
	ec->max_retransmits = cfg->l2tp_max_retransmits;
	ec->max_sessions_per_tunnel = cfg->l2tp_max_sessions_per_tunnel;
	ec->dead_hold_down_s = cfg->l2tp_dead_hold_down_s;
	ec->tunnel_setup_timeout_s = cfg->l2tp_tunnel_setup_timeout_s;
	ec->session_setup_timeout_s = cfg->l2tp_session_setup_timeout_s;
	ec->tunnels_per_lns = cfg->l2tp_tunnels_per_lns;
	return 0;
}

static enum dae_error_cause lac_dae_handler(void *arg, const struct dae_request *req, const char *client)
{
	return subscriber_dae_request(arg, req, client);
}

/* RFC 5176 server from [dae]; our NAS identity is what Access-Requests carry. */
static int lac_dae_start(struct lac *lac, char *err, size_t errlen)
{
	const struct lac_config *cfg = &lac->cfg;
	struct dae_server_config dc;
	char host[32];
	const char *colon = strrchr(cfg->dae_listen, ':');
	memset(&dc, 0, sizeof(dc));
	/* the syntax was checked by the config parser */
	snprintf(host, sizeof(host), "%.*s", (int)(colon - cfg->dae_listen), cfg->dae_listen);
	dc.listen.sin_family = AF_INET;
	inet_pton(AF_INET, host, &dc.listen.sin_addr);
	dc.listen.sin_port = htons((uint16_t)atoi(colon + 1));
	for (size_t i = 0; i < cfg->n_dae_client && i < DAE_MAX_CLIENTS; i++) {
		dc.clients[i].addr = cfg->dae_client[i].addr;
		dc.clients[i].secret_len = strlen(cfg->dae_client[i].secret);
		if (dc.clients[i].secret_len > sizeof(dc.clients[i].secret)) {
			snprintf(err, errlen, "[dae] client: secret too long");
			return -1;
		}
		memcpy(dc.clients[i].secret, cfg->dae_client[i].secret, dc.clients[i].secret_len);
		dc.n_clients++;
	}
	dc.require_message_authenticator = cfg->dae_require_message_authenticator;
	dc.replay_window_s = cfg->dae_replay_window_s;         /* aaa: RFC 5176 3.3 */
	dc.require_event_timestamp = cfg->dae_require_event_timestamp;
	snprintf(dc.nas_identifier, sizeof(dc.nas_identifier), "%s", cfg->nas_identifier);
	dc.nas_ip = cfg->nas_ip_address;
	lac->dae = dae_server_create(lac->loop, &dc, lac_dae_handler, lac);
	if (!lac->dae) {
		snprintf(err, errlen, "[dae] listen %s: %s", cfg->dae_listen, strerror(errno));
		return -1;
	}
	log_info("event=dae_listening addr=%s clients=%zu require_message_authenticator=%s", cfg->dae_listen,
		 dc.n_clients, dc.require_message_authenticator ? "yes" : "no");
	return 0;
}

/* RFC 2866 5.1 Accounting-On / Accounting-Off: tells the accounting server
 * that every session it holds for this NAS is gone (we start with none, and
 * stop after sending the Stops), so its session counts stay true even when
 * a Stop was lost. */
static void lac_acct_on_off(struct lac *lac, uint32_t status)
{
	const struct lac_config *cfg = &lac->cfg;
	if (!lac->acct)
		return;
	struct radius_acct_params p = {
		.status_type = status,
		.acct_session_id = "00000000",  /* RFC 2866 5.5 wants one in every request */
		.has_nas_ip = cfg->nas_ip_address.s_addr != 0,
		.nas_ip = cfg->nas_ip_address,
		.nas_identifier = cfg->nas_identifier,
		.terminate_cause = status == RADIUS_ACCT_STATUS_ACCOUNTING_OFF ? RADIUS_TERM_NAS_REBOOT : 0,
	};
	/* aaa: Accounting-On waits for the records replayed from the spool (the
	 * Stops of sessions lost in a crash go first, issue 9). */
	int rc = status == RADIUS_ACCT_STATUS_ACCOUNTING_ON ? radius_acct_send_after_pending(lac->acct, &p)
							    : radius_acct_send(lac->acct, &p);
	if (rc < 0)
		log_warn("event=accounting_%s_not_queued errno=%d",
			 status == RADIUS_ACCT_STATUS_ACCOUNTING_ON ? "on" : "off", errno);
}

/* (subscriber helper, issue 8 item 5) The stream listeners' fd budget: the
 * configured one, or by default what RLIMIT_NOFILE leaves after a reserve for
 * everything else (L2TP, RADIUS, control clients, PPPoE). */
static void lac_stream_limits(struct lac *lac)
{
	struct rlimit rl;
	uint32_t total = lac->cfg.stream_max_connections;
	if (!total && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		total = rl.rlim_cur > 256 ? (uint32_t)(rl.rlim_cur - 128) : (uint32_t)(rl.rlim_cur / 2);
	for (size_t i = 0; i < lac->n_streams; i++) {
		struct stream_limits lim = {
			.max_total = lac->n_streams ? total / (uint32_t)lac->n_streams : total,
			.max_per_source = lac->cfg.stream_max_connections_per_source,
		};
		stream_access_set_limits(lac->streams[i], &lim);
	}
}

/* aaa: the on-disk accounting spool (issue 9). Replays what the previous
 * run left: unanswered records, and a Stop (NAS-Reboot, counters of the last
 * interim) for every session that was live when it died. */
static int lac_acct_spool_open(struct lac *lac, char *err, size_t errlen)
{
	const struct lac_config *cfg = &lac->cfg;
	struct acct_spool_config sc = {
		.max_bytes = (uint64_t)cfg->radius_acct_spool_max_mb << 20,
		.sync_interval_ms = cfg->radius_acct_spool_sync_interval_ms,
	};
	struct acct_spool_load_stats st;
	char why[512];
	snprintf(sc.dir, sizeof(sc.dir), "%s", cfg->radius_acct_spool_dir);
	acct_spool_fsync_parse(cfg->radius_acct_spool_fsync, &sc.fsync);       /* checked by conf.c */
	if (radius_acct_spool_open(lac->acct, &sc, RADIUS_TERM_NAS_REBOOT, &st, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "[radius] acct_spool_dir: %.400s", why);
		return -1;
	}
	log_info("event=acct_spool_open dir=%s fsync=%s records=%llu corrupt=%llu truncated=%llu replayed=%llu "
		 "lost_sessions=%llu", sc.dir, acct_spool_fsync_str(sc.fsync), (unsigned long long)st.records,
		 (unsigned long long)st.corrupt, (unsigned long long)st.truncated, (unsigned long long)st.pending,
		 (unsigned long long)st.lost_sessions);
	return 0;
}

static int lac_start(struct lac *lac, char *err, size_t errlen)
{
	const struct lac_config *cfg = &lac->cfg;

	struct radius_client_config rc;
	if (radius_client_config_from_radcli(cfg->radius_config, &rc, err, errlen) < 0)
		return -1;
	lac->radius = radius_client_create(lac->loop, &rc);
	if (!lac->radius) {
		snprintf(err, errlen, "RADIUS client: %s", strerror(errno));
		return -1;
	}

	if (cfg->radius_accounting) {
		struct radius_client_config ac;
		if (radius_acct_config_from_radcli(cfg->radius_config, &ac, err, errlen) < 0)
			return -1;
		lac->acct = radius_acct_create(lac->loop, &ac, lac_config_acct_queue_max(cfg));
		if (!lac->acct) {
			snprintf(err, errlen, "RADIUS accounting: %s", strerror(errno));
			return -1;
		}
		if (cfg->radius_acct_spool_dir[0] && lac_acct_spool_open(lac, err, errlen) < 0)
			return -1;
	}
	lac_acct_on_off(lac, RADIUS_ACCT_STATUS_ACCOUNTING_ON);
	if (cfg->dae_listen[0] && lac_dae_start(lac, err, errlen) < 0)
		return -1;

	struct l2tp_engine_config ec;
	lac_l2tp_config(cfg, &ec, err, errlen);
	lac->l2tp = l2tp_engine_create(lac->loop, &ec);
	if (!lac->l2tp) {
		snprintf(err, errlen, "L2TP engine: cannot bind port %u: %s", ec.port, strerror(errno));
		return -1;
	}

	lac->tun_fd = -1;
	if (cfg->local_enabled) {
		if (ip_pool_init(&lac->pool, cfg->local_pool_base, cfg->local_pool_prefix, cfg->local_gateway) < 0) {
			snprintf(err, errlen, "[local] pool: cannot allocate");
			return -1;
		}
	}
	if (lac_ip_table_init(lac, cfg->local_enabled ? lac->pool.size : 0) < 0) {
		snprintf(err, errlen, "[local] address table: cannot allocate");
		return -1;
	}
	if (cfg->local_enabled) {
		lac->tun_fd = tun_open(cfg->local_tun, cfg->local_gateway, cfg->local_pool_base,
				       cfg->local_pool_prefix, err, errlen);
		if (lac->tun_fd < 0)
			return -1;
		if (ev_io_add(lac->loop, lac->tun_fd, EV_READ, lac_tun_readable, lac) < 0) {
			snprintf(err, errlen, "tun: %s", strerror(errno));
			return -1;
		}
	}

	struct admission_config adc;
	lac_admission_config(cfg, &adc);
	admission_init(&lac->adm, &adc);

	for (size_t i = 0; i < cfg->n_stream_listen; i++) {
		lac->streams[i] = stream_access_create(lac->loop, cfg->stream_listen[i],
						       cfg->radius_nas_port_type_stream, subscriber_conn_new,
						       lac, err, errlen);
		if (!lac->streams[i])
			return -1;
		lac->n_streams++;
	}
	lac_stream_limits(lac); /* (subscriber helper) [stream] fd budget */
	for (size_t i = 0; i < cfg->n_pppoe_interface; i++) {
		struct pppoe_server_config pc = {
			.ifname = cfg->pppoe_interface[i],
			.ac_name = cfg->pppoe_ac_name,
			.max_sessions = cfg->max_sessions,
			.max_sessions_per_mac = cfg->pppoe_max_sessions_per_mac,
			.nas_port_base = (uint32_t)(i + 1) << 16,
		};
		for (size_t s = 0; s < cfg->n_pppoe_service_name && s < PPPOE_SERVER_MAX_SERVICES; s++)
			pc.service_names[pc.n_service_names++] = cfg->pppoe_service_name[s];
		/* Issue 11: VLANs, access line, identifier formats (validated by conf.c). */
		static struct access_id_format cs_fmt, npi_fmt;
		const char *why;
		for (size_t v = 0; v < cfg->n_pppoe_vlan && v < PPPOE_SERVER_MAX_VLAN_RANGES; v++)
			memcpy(&pc.vlans[pc.n_vlans++], &cfg->pppoe_vlan[v], sizeof(pc.vlans[0]));
		pc.untagged = cfg->pppoe_untagged;
		pc.ignore_access_line = !cfg->pppoe_access_line;
		pc.no_calling_station_id = !cfg->pppoe_calling_station_id;
		pc.no_calling_number = !cfg->pppoe_l2tp_calling_number;
		pc.padi_per_second = cfg->adm_padi_per_second;
		pc.padi_per_mac_per_second = cfg->adm_padi_per_mac_per_second;
		if (access_id_format_parse(cfg->pppoe_calling_station_id_format,
					   cfg->pppoe_calling_station_id_delimiter[0], &cs_fmt, &why) < 0) {
			snprintf(err, errlen, "[pppoe] calling_station_id_format/_delimiter: %s", why);
			return -1;
		}
		pc.calling_station_format = &cs_fmt;
		if (cfg->pppoe_nas_port_id_format[0]) {
			if (access_id_format_parse(cfg->pppoe_nas_port_id_format,
						   cfg->pppoe_nas_port_id_delimiter[0], &npi_fmt, &why) < 0) {
				snprintf(err, errlen, "[pppoe] nas_port_id_format/_delimiter: %s", why);
				return -1;
			}
			pc.nas_port_id_format = &npi_fmt;
		}
		lac->pppoe[i] = pppoe_server_create(lac->loop, &pc, subscriber_conn_new, lac);
		if (!lac->pppoe[i]) {
			snprintf(err, errlen, "[pppoe] interface %s: cannot open (see log)", pc.ifname);
			return -1;
		}
		lac->n_pppoe++;
	}

	lac->ctl = ctl_server_create(lac->loop, cfg->control_socket, lac_ctl_handler, lac);
	if (!lac->ctl) {
		snprintf(err, errlen, "[lac] control_socket %s: %s", cfg->control_socket, strerror(errno));
		return -1;
	}
	/* (subscriber helper, issue 8 item 6) control socket group, then leave root */
	if (cfg->control_socket_group[0]) {
		gid_t gid;
		if (priv_lookup_group(cfg->control_socket_group, &gid) < 0 || ctl_server_set_group(lac->ctl, gid) < 0) {
			snprintf(err, errlen, "[lac] control_socket_group %s: unknown group or chown failed",
				 cfg->control_socket_group);
			return -1;
		}
	}
	if (priv_drop(cfg->user, cfg->group, 0, err, errlen) < 0)
		return -1;
	if (cfg->user[0])
		log_info("event=privileges_dropped user=%s group=%s capabilities=none", cfg->user,
			 cfg->group[0] ? cfg->group : "-");
	if (cfg->metrics_listen[0]) {
		char merr[256];
		lac->metrics = metrics_http_create(lac->loop, cfg->metrics_listen, lac_metrics_render, lac, merr,
						   sizeof(merr));
		if (!lac->metrics) {
			snprintf(err, errlen, "[lac] %s", merr);
			return -1;
		}
	}
	return 0;
}

/* ---- shutdown and reload ---- */

static void lac_acct_drained(void *arg)
{
	struct lac *lac = arg;
	ev_loop_stop(lac->loop);
}

/* The tunnels are closed; the Stops may still be on their way to the
 * accounting server: wait for them within the grace time. */
static void lac_shutdown_done(void *arg)
{
	struct lac *lac = arg;
	if (lac->acct && radius_acct_pending(lac->acct)) {
		log_info("event=shutdown_waiting_for_accounting pending=%zu", radius_acct_pending(lac->acct));
		radius_acct_on_idle(lac->acct, lac_acct_drained, lac);
		return;
	}
	ev_loop_stop(lac->loop);
}

static void lac_shutdown_timeout(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct lac *lac = arg;
	log_warn("event=shutdown_grace_expired sessions=%u", lac->n_subscribers);
	ev_loop_stop(loop);
}

static void lac_shutdown(struct lac *lac)
{
	if (lac->shutting_down)
		return;
	lac->shutting_down = true;
	log_info("event=shutdown sessions=%u", lac->n_subscribers);
	/* Walk by id: disconnecting may unlink entries only at reap time, so the
	 * list stays valid while we walk it. */
	for (uint32_t id = 1; id <= lac->next_id; id++) {
		struct subscriber *sub = subscriber_find(lac, id);
		if (sub)
			subscriber_disconnect(sub, "lac-core shutting down", RADIUS_TERM_NAS_REBOOT);
	}
	lac_acct_on_off(lac, RADIUS_ACCT_STATUS_ACCOUNTING_OFF);
	ev_timer_init(&lac->shutdown_timer, lac_shutdown_timeout, lac);
	ev_timer_start(lac->loop, &lac->shutdown_timer, SHUTDOWN_GRACE_MS);
	l2tp_engine_shutdown(lac->l2tp, lac_shutdown_done, lac);
}

/* The LIVE keys (conf.c) that objects made at start hold copies of: the L2TP
 * engine's setup timeouts, tunnel pool and dead-cache; each PPPoE server's
 * session limit and discovery rates. Applied for what starts after a
 * reload. */
static void lac_apply_live_copies(struct lac *lac)
{
	const struct lac_config *cfg = &lac->cfg;
	if (lac->l2tp) {
		struct l2tp_engine_config ec;
		char err[256];
		if (lac_l2tp_config(cfg, &ec, err, sizeof(err)) == 0)
			l2tp_engine_set_limits(lac->l2tp, &ec);
	}
	for (size_t i = 0; i < lac->n_pppoe; i++)
		if (pppoe_server_set_limits(lac->pppoe[i], cfg->max_sessions, cfg->adm_padi_per_second,
					    cfg->adm_padi_per_mac_per_second) < 0)
			log_warn("event=reload_pppoe_limits_failed interface=%s note=\"out of memory: the running "
				 "limits stay\"", cfg->pppoe_interface[i]);
}

static void lac_reload(struct lac *lac)
{
	struct lac_config next;
	char err[512];
	if (lac_config_load(&next, lac->config_path, err, sizeof(err)) < 0) {
		log_error("event=reload_failed error=\"%s\" note=keeping_running_configuration", err);
		return;
	}
	/* (subscriber helper, issue 8 item 11) What a reload applies is what
	 * the configuration table marks LIVE (conf.c, and lac.conf(5) says so
	 * per key): read at each use from lac->cfg, or handed below to the
	 * object that holds a copy. The rest (sockets, the PPPoE servers' access
	 * settings, the pool, TUN, [dae], the privilege drop) keeps its running
	 * value: each one that changed is named and the reload is reported as
	 * partial, never as "reloaded". */
	const struct lac_config *cur = &lac->cfg;
	char kept[1024];
	size_t n_kept = lac_config_keep_restart_keys(cur, &next, kept, sizeof(kept));
	next.local_enabled = cur->local_enabled;
	lac->cfg = next;
	struct admission_config adc;
	lac_admission_config(&lac->cfg, &adc);
	admission_set_config(&lac->adm, &adc);
	log_set_level((enum log_level)lac->cfg.log_level);
	lac_stream_limits(lac);
	lac_apply_live_copies(lac);
	if (n_kept)
		log_warn("event=reload_partial config=%s restart_needed=%s note=\"these keep their running values "
			 "until lac-core restarts; everything else was applied\"", lac->config_path, kept);
	else
		log_info("event=reloaded config=%s", lac->config_path);
}

static void lac_log_flush(struct ev_loop *loop, struct ev_defer *defer, void *arg)
{
	log_flush();
}

static void lac_log_wake(void *arg)
{
	struct lac *lac = arg;
	ev_defer(lac->loop, &lac->log_flush);
}

static void lac_signal(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct lac *lac = arg;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			/* systemd (Type=notify): reloading, then ready again */
			sdnotify("RELOADING=1");
			lac_reload(lac);
			sdnotify("READY=1");
		} else {
			sdnotify("STOPPING=1");
			lac_shutdown(lac);
		}
	}
}

/* ---- control socket ---- */

static void lac_show_counters(struct lac *lac, struct strbuf *out)
{
	lac_counters_text(lac, out); /* core/lac_metrics.c: the tables shared with GET /metrics */
}

static void lac_format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		snprintf(buf, len, "%s:%u", host, port);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		snprintf(buf, len, "[%s]:%u", host, port);
	} else {
		snprintf(buf, len, "?");
	}
}

static void lac_show_tunnel(void *arg, const struct l2tp_tunnel_info *ti)
{
	struct strbuf *out = arg;
	char peer[80], host[ESCAPE_FIELD_MAX];
	lac_format_addr(ti->peer, peer, sizeof(peer));
	/* the LNS's Host Name is peer text: escaped (util/escape.h) */
	escape_str(host, sizeof(host), ti->peer_host_name && ti->peer_host_name[0] ? ti->peer_host_name : "-");
	strbuf_printf(out, "tunnel tid=%u peer_tid=%u lns=%s state=%s lns_host=%s sessions=%u rx_msgs=%llu "
		      "tx_msgs=%llu retransmits=%llu\n", ti->local_tid, ti->peer_tid, peer, ti->state, host, ti->sessions,
		      (unsigned long long)ti->rx_msgs, (unsigned long long)ti->tx_msgs,
		      (unsigned long long)ti->retransmits);
}

static void lac_show_l2tp_session(void *arg, const struct l2tp_session_info *si)
{
	struct strbuf *out = arg;
	strbuf_printf(out, "  session tid=%u sid=%u peer_sid=%u call_serial=%u state=%s rx_packets=%llu "
		      "tx_packets=%llu rx_bytes=%llu tx_bytes=%llu\n", si->local_tid, si->local_sid,
		      si->peer_sid, si->call_serial, si->state, (unsigned long long)si->rx_packets,
		      (unsigned long long)si->tx_packets, (unsigned long long)si->rx_bytes,
		      (unsigned long long)si->tx_bytes);
}

static void lac_ctl_handler(void *ctx, int argc, char **argv, struct strbuf *out)
{
	struct lac *lac = ctx;
	if (argc == 2 && strcmp(argv[0], "show") == 0 && strcmp(argv[1], "sessions") == 0) {
		strbuf_printf(out, "ok sessions=%u\n", lac->n_subscribers);
		subscriber_show_all(lac, out);
	} else if (argc == 2 && strcmp(argv[0], "show") == 0 && strcmp(argv[1], "tunnels") == 0) {
		strbuf_printf(out, "ok\n");
		l2tp_engine_foreach(lac->l2tp, lac_show_tunnel, lac_show_l2tp_session, out);
	} else if (argc == 2 && strcmp(argv[0], "show") == 0 && strcmp(argv[1], "counters") == 0) {
		strbuf_printf(out, "ok\n");
		lac_show_counters(lac, out);
	} else if (argc == 1 && (strcmp(argv[0], "drain") == 0 || strcmp(argv[0], "undrain") == 0)) {
		/* Issue 11: stop (or resume) taking new calls; live sessions stay. */
		admission_set_draining(&lac->adm, strcmp(argv[0], "drain") == 0);
		log_info("event=%s sessions=%u", argv[0], lac->n_subscribers);
		strbuf_printf(out, "ok draining=%s sessions=%u\n", lac->adm.draining ? "yes" : "no",
			      lac->n_subscribers);
	} else if (argc == 2 && strcmp(argv[0], "disconnect") == 0) {
		char *end;
		unsigned long id = strtoul(argv[1], &end, 10);
		struct subscriber *sub = *end ? NULL : subscriber_find(lac, (uint32_t)id);
		if (!sub) {
			strbuf_printf(out, "error: no session %s\n", argv[1]);
			return;
		}
		subscriber_disconnect(sub, "administrative disconnect", RADIUS_TERM_ADMIN_RESET);
		strbuf_printf(out, "ok disconnected=%lu\n", id);
	} else {
		strbuf_printf(out, "error: unknown command (try: show sessions|tunnels|counters, disconnect ID, drain, undrain)\n");
	}
}

int main(int argc, char **argv)
{
	static struct lac lac;
	const char *config_path = NULL;
	bool debug = false, check_only = false;
	int opt;
	while ((opt = getopt(argc, argv, "c:dth")) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'd': debug = true; break;
		case 't': check_only = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!config_path) {
		usage(stderr);
		return 2;
	}
	log_set_ident("lac-core");
	char err[512];
	if (random_init() < 0) {
		/* util/random.h: no weak fallback, so no start without it */
		log_error("event=startup_failed error=\"getrandom: %s\"", strerror(errno));
		return 1;
	}
	if (lac_config_load(&lac.cfg, config_path, err, sizeof(err)) < 0) {
		log_error("event=config_error error=\"%s\"", err);
		return 1;
	}
	if (check_only) {
		printf("%s: ok\n", config_path);
		return 0;
	}
	snprintf(lac.config_path, sizeof(lac.config_path), "%s", config_path);
	log_set_level(debug ? LOG_LVL_DEBUG : (enum log_level)lac.cfg.log_level);
	lac.tun_fd = -1;

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

	lac.loop = ev_loop_create();
	if (!lac.loop || sfd < 0 || ev_io_add(lac.loop, sfd, EV_READ, lac_signal, &lac) < 0) {
		log_error("event=startup_failed error=\"event loop: %s\"", strerror(errno));
		return 1;
	}
	ev_defer_init(&lac.log_flush, lac_log_flush, NULL);
	log_batch_start(lac_log_wake, &lac);
	if (lac_start(&lac, err, sizeof(err)) < 0) {
		log_error("event=startup_failed error=\"%s\"", err);
		return 1;
	}
	log_info("event=started config=%s streams=%zu pppoe=%zu local=%s", config_path, lac.n_streams,
		 lac.n_pppoe, lac.cfg.local_enabled ? "on" : "off");
	/* systemd (Type=notify): every listener is open */
	if (sdnotify("READY=1") < 0)
		log_warn("event=sd_notify_failed error=\"%s\"", strerror(errno));
	int rc = ev_loop_run(lac.loop);

	for (size_t i = 0; i < lac.n_streams; i++)
		stream_access_destroy(lac.streams[i]);
	for (size_t i = 0; i < lac.n_pppoe; i++)
		pppoe_server_destroy(lac.pppoe[i]);
	ctl_server_destroy(lac.ctl);
	metrics_http_destroy(lac.metrics);
	dae_server_destroy(lac.dae);
	l2tp_engine_destroy(lac.l2tp);
	if (lac.acct && radius_acct_pending(lac.acct))
		log_warn("event=accounting_lost pending=%zu note=\"no answer within the shutdown grace\"",
			 radius_acct_pending(lac.acct));
	radius_acct_destroy(lac.acct);
	radius_client_destroy(lac.radius);
	lac_ip_table_free(&lac);
	log_info("event=stopped");
	return rc < 0 ? 1 : 0;
}
