/* lac-core configuration: parsed and validated once into a struct that the
 * daemon then treats as const. Reload (SIGHUP) parses a new one and swaps.
 *
 * File format: INI-like, one `key = value` per line, `[section]` headers,
 * `#` comments (at the start of a line or after a blank; a '#' inside a
 * value is an error unless the value is "double-quoted", where \" and \\
 * escape), keys that may repeat are marked so below. Every error names
 * the file, line and key:  lac.conf:12: [ppp] mru: 70000 is out of range 128..65535
 *
 *   [lac]     host_name, nas_identifier, nas_ip_address, control_socket,
 *             log_level (debug|info|warn|error), max_sessions,
 *             user, group (drop root to these after start-up; "" = stay),
 *             control_socket_group (group allowed on the control socket,
 *             mode 0660; "" = root and lac-core's own uid only)
 *   [stream]  listen (repeatable: tcp:ADDR:PORT or unix:PATH),
 *             max_connections (0 = RLIMIT_NOFILE minus a reserve),
 *             max_connections_per_source (0 = no limit)
 *   [pppoe]   interface (repeatable), ac_name, service_name (repeatable),
 *             max_sessions_per_mac
 *   [ppp]     auth (chap,pap order), auth_attempts (challenges before LCP Terminate), mru, restart_ms,
 *             max_configure, max_failure, max_terminate, echo_interval_s,
 *             echo_failures, auth_timeout_s
 *   [radius]  config (radcli radiusclient.conf), nas_port_type,
 *             acct_interim_interval_s (used when the Accept has no
 *             Acct-Interim-Interval; 0 = no interim updates), acct_queue_max,
 *             accounting (yes|no), acct_spool_dir (on-disk spool; none by
 *             default), acct_spool_max_mb (256), acct_spool_fsync
 *             (startstop|always|interval|none), acct_spool_sync_interval_ms,
 *             acct_tunnel_reject (yes|no, default yes)
 *   [dae]     RFC 5176 Disconnect/CoA server: listen (IPV4:PORT, none when
 *             absent), client (repeatable: "IPV4 SECRET"),
 *             require_message_authenticator (yes|no), replay_window_s (300),
 *             require_event_timestamp (yes|no, default no)
 *   [l2tp]    bind (repeatable address), port, host_name, hello_interval_s,
 *             rx_window, retransmit_initial_ms, retransmit_max_ms,
 *             max_retransmits, max_sessions_per_tunnel, dead_hold_down_s,
 *             tunnel_setup_timeout_s, session_setup_timeout_s, tunnels_per_lns
 *   [local]   pool (CIDR), gateway (address), dns1, dns2, tun (device name)
 */
#ifndef CONF_CONF_H
#define CONF_CONF_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_LISTEN 8
#define CONF_MAX_PPPOE_IF 8
#define CONF_MAX_SERVICES 8
#define CONF_MAX_L2TP_BIND 8
#define CONF_STR 128
#define CONF_PATH 256
#define CONF_MAX_DAE_CLIENTS 16

struct lac_conf_dae_client {
	struct in_addr addr;
	char secret[CONF_STR];
};

/* A PPPoE VLAN range: "INNER_LO[-INNER_HI]" (single-tagged) or
 * "OUTER_LO[-OUTER_HI].INNER_LO[-INNER_HI]" (802.1ad outer + 802.1Q inner). */
#define CONF_MAX_VLAN_RANGES 16
struct lac_conf_vlan {
	uint16_t outer_lo, outer_hi, inner_lo, inner_hi;
};

enum lac_conf_forward { CONF_FORWARD_ALWAYS, CONF_FORWARD_NEVER, CONF_FORWARD_REALM };

struct lac_config {
	/* [lac] */
	char host_name[64];             /* also the L2TP Host Name AVP (engine limit) */
	char nas_identifier[CONF_STR];
	struct in_addr nas_ip_address;
	char control_socket[CONF_PATH];
	int log_level;                  /* enum log_level */
	uint32_t max_sessions;
	char user[64];                  /* "" = keep running as started */
	char group[64];
	char control_socket_group[64];

	/* [stream] fd budget (issue 8 item 5) */
	uint32_t stream_max_connections;
	uint32_t stream_max_connections_per_source;

	/* [stream] */
	char stream_listen[CONF_MAX_LISTEN][CONF_STR];
	size_t n_stream_listen;

	/* [pppoe] */
	char pppoe_interface[CONF_MAX_PPPOE_IF][32];
	size_t n_pppoe_interface;
	char pppoe_ac_name[CONF_STR];
	char pppoe_service_name[CONF_MAX_SERVICES][CONF_STR];
	size_t n_pppoe_service_name;
	uint32_t pppoe_max_sessions_per_mac;
	/* [pppoe] VLANs and access lines (issue 11) */
	struct lac_conf_vlan pppoe_vlan[CONF_MAX_VLAN_RANGES];
	size_t n_pppoe_vlan;
	bool pppoe_untagged;            /* also untagged beside the VLANs */
	bool pppoe_access_line;         /* read the TR-101 tag */
	char pppoe_calling_station_id_format[CONF_STR];  /* access_id field list */
	char pppoe_calling_station_id_delimiter[4];
	bool pppoe_calling_station_id;  /* no: send none */
	bool pppoe_l2tp_calling_number; /* no: send no L2TP Calling Number */
	char pppoe_nas_port_id_format[CONF_STR];         /* "" = ifname[.vlan]:sid */
	char pppoe_nas_port_id_delimiter[4];
	bool access_line_radius;        /* RFC 4679 attributes in Access-Request and Accounting */
	int access_line_l2tp;           /* enum lac_conf_forward: RFC 5515 AVPs in the ICRQ */

	/* [admission] (issue 11): 0 = no limit */
	uint32_t adm_max_sessions_per_realm;
	uint32_t adm_max_sessions_per_lns;
	uint32_t adm_calls_per_second;
	uint32_t adm_calls_burst;
	uint32_t adm_padi_per_second;
	uint32_t adm_padi_per_mac_per_second;

	/* [ppp] */
	char ppp_auth[CONF_STR];        /* validated list: "chap,pap" */
	uint32_t ppp_auth_attempts;
	uint32_t ppp_mru;
	uint32_t ppp_restart_ms;
	uint32_t ppp_max_configure;
	uint32_t ppp_max_failure;
	uint32_t ppp_max_terminate;
	uint32_t ppp_echo_interval_s;
	uint32_t ppp_echo_failures;
	uint32_t ppp_auth_timeout_s;

	/* [radius] */
	char radius_config[CONF_PATH];
	uint32_t radius_nas_port_type_stream;
	uint32_t radius_acct_interim_interval_s;
	uint32_t radius_acct_queue_max; /* 0: lac_config_acct_queue_max() decides */
	bool radius_accounting;
	/* RFC 2867 Tunnel-Reject / Tunnel-Link-Reject for tunnels and calls an
	 * LNS refused (the broker's shared LNS health); default yes */
	bool radius_acct_tunnel_reject;
	/* on-disk accounting spool (aaa/acct_spool.h); "" = memory queue only */
	char radius_acct_spool_dir[CONF_PATH];
	uint32_t radius_acct_spool_max_mb;
	char radius_acct_spool_fsync[16];       /* startstop | always | interval | none */
	uint32_t radius_acct_spool_sync_interval_ms;

	/* [dae] */
	char metrics_listen[64];        /* [lac] metrics_listen IPV4:PORT; "" = off */
	char dae_listen[64];            /* "" = no DAE server */
	struct lac_conf_dae_client dae_client[CONF_MAX_DAE_CLIENTS];
	size_t n_dae_client;
	bool dae_require_message_authenticator;
	uint32_t dae_replay_window_s;           /* RFC 5176 3.3 Event-Timestamp window */
	bool dae_require_event_timestamp;

	/* [l2tp] */
	char l2tp_bind[CONF_MAX_L2TP_BIND][64];
	size_t n_l2tp_bind;
	uint32_t l2tp_port;
	char l2tp_host_name[64];
	uint32_t l2tp_hello_interval_s;
	uint32_t l2tp_rx_window;
	uint32_t l2tp_retransmit_initial_ms;
	uint32_t l2tp_retransmit_max_ms;
	uint32_t l2tp_max_retransmits;
	uint32_t l2tp_max_sessions_per_tunnel;
	uint32_t l2tp_dead_hold_down_s;
	uint32_t l2tp_tunnel_setup_timeout_s;   /* no SCCRP this long: give the tunnel up (10) */
	uint32_t l2tp_session_setup_timeout_s;  /* ICRQ acked, no ICRP this long: fail over (10) */
	uint32_t l2tp_tunnels_per_lns;          /* spread calls over up to this many tunnels (1) */

	/* [local] */
	struct in_addr local_pool_base;
	uint32_t local_pool_prefix;
	struct in_addr local_gateway;
	struct in_addr local_dns1, local_dns2;
	char local_tun[32];
	bool local_enabled;             /* a pool or gateway was configured */
};

/* Fills cfg with defaults. */
void lac_config_defaults(struct lac_config *cfg);

/* What a reload (SIGHUP) does with a key: LIVE keys are applied to the
 * running daemon (read at each use, or handed to the object holding them);
 * RESTART keys keep their running value until lac-core restarts. Every key
 * of the parser's table says which it is. */
enum conf_reload { CONF_RESTART = 0, CONF_LIVE };

/* The parser's keys in table order, for checks of the documentation: the
 * name of key i and its section and reload class, or NULL past the end. */
const char *lac_config_key_at(size_t i, const char **section, enum conf_reload *reload);

/* For a reload from cur to next: every RESTART key whose value differs gets
 * cur's value back in next and is named "[section]key" in names, comma
 * separated (truncated to cap, always terminated). Returns how many. */
size_t lac_config_keep_restart_keys(const struct lac_config *cur, struct lac_config *next, char *names,
				    size_t cap);

/* Parses text (named `name` in errors) over the defaults already in cfg.
 * Returns 0, or -1 with the first error written to err ("name:line: ..."). */
int lac_config_parse(struct lac_config *cfg, const char *name, const char *text,
		     char *err, size_t errlen);

/* The accounting queue bound in records: acct_queue_max when set, else room
 * for a Start and a Stop of every session max_sessions admits (at least
 * 4096), so that tearing down every session at once loses no Stop. */
uint32_t lac_config_acct_queue_max(const struct lac_config *cfg);

/* Reads and parses a file; defaults first. Returns 0 or -1 with err set. */
int lac_config_load(struct lac_config *cfg, const char *path, char *err, size_t errlen);

#endif
