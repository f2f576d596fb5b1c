/* lac-core configuration parser: a table of keys, one parse per value type,
 * every error located as file:line: [section] key: reason. */
#include "conf/conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access_line.h"
#include "util/log.h"

enum conf_type {
	CONF_T_STRING,  /* char[size] */
	CONF_T_UINT,    /* uint32_t within [min, max] */
	CONF_T_IPV4,    /* struct in_addr */
	CONF_T_CIDR4,   /* struct in_addr + uint32_t prefix right after it in a pair */
	CONF_T_LOGLEVEL,
	CONF_T_AUTH,    /* "chap,pap" style list */
	CONF_T_LISTEN,  /* tcp:ADDR:PORT or unix:PATH, into char[size] */
	CONF_T_BOOL,    /* yes|no|true|false|on|off|1|0, into bool */
	CONF_T_ADDRPORT, /* IPV4:PORT, into char[size] */
	CONF_T_DAE_CLIENT, /* "IPV4 SECRET", into struct lac_conf_dae_client */
	CONF_T_VLAN,    /* a PPPoE VLAN range, into struct lac_conf_vlan */
	CONF_T_IDFMT,   /* an access_id field list (access_line.h), into char[size] */
	CONF_T_FORWARD, /* always|never|realm, into int */
};

struct conf_key {
	const char *section;
	const char *key;
	enum conf_type type;
	size_t offset;          /* of the value, or of the array for repeatables */
	size_t size;            /* string capacity */
	uint32_t min, max;
	size_t count_offset;    /* repeatable: offset of the size_t count; 0 = single */
	size_t max_count;
	enum conf_reload reload;
};

#define OFF(f) offsetof(struct lac_config, f)
/* r: LIVE or RESTART (enum conf_reload) */
#define STR(sec, k, f, r) { sec, k, CONF_T_STRING, OFF(f), sizeof(((struct lac_config *)0)->f), 0, 0, 0, 0, CONF_##r }
#define UINT(sec, k, f, lo, hi, r) { sec, k, CONF_T_UINT, OFF(f), 0, lo, hi, 0, 0, CONF_##r }
#define IPV4(sec, k, f, r) { sec, k, CONF_T_IPV4, OFF(f), 0, 0, 0, 0, 0, CONF_##r }
#define REPEAT(sec, k, t, f, n, r) { sec, k, t, OFF(f), sizeof(((struct lac_config *)0)->f[0]), 0, 0, OFF(n), \
		sizeof(((struct lac_config *)0)->f) / sizeof(((struct lac_config *)0)->f[0]), CONF_##r }

static const struct conf_key conf_keys[] = {
	STR("lac", "host_name", host_name, RESTART),
	STR("lac", "nas_identifier", nas_identifier, RESTART),
	IPV4("lac", "nas_ip_address", nas_ip_address, RESTART),
	STR("lac", "control_socket", control_socket, RESTART),
	{ "lac", "log_level", CONF_T_LOGLEVEL, OFF(log_level), 0, 0, 0, 0, 0, CONF_LIVE },
	UINT("lac", "max_sessions", max_sessions, 1, 1000000, LIVE),
	STR("lac", "user", user, RESTART),
	STR("lac", "group", group, RESTART),
	STR("lac", "control_socket_group", control_socket_group, RESTART),
	{ "lac", "metrics_listen", CONF_T_ADDRPORT, OFF(metrics_listen), sizeof(((struct lac_config *)0)->metrics_listen), 0, 0, 0, 0, CONF_RESTART },

	REPEAT("stream", "listen", CONF_T_LISTEN, stream_listen, n_stream_listen, RESTART),
	UINT("stream", "max_connections", stream_max_connections, 0, 1000000, LIVE),
	UINT("stream", "max_connections_per_source", stream_max_connections_per_source, 0, 1000000, LIVE),

	REPEAT("pppoe", "interface", CONF_T_STRING, pppoe_interface, n_pppoe_interface, RESTART),
	STR("pppoe", "ac_name", pppoe_ac_name, RESTART),
	REPEAT("pppoe", "service_name", CONF_T_STRING, pppoe_service_name, n_pppoe_service_name, RESTART),
	UINT("pppoe", "max_sessions_per_mac", pppoe_max_sessions_per_mac, 1, 65535, RESTART),
	REPEAT("pppoe", "vlan", CONF_T_VLAN, pppoe_vlan, n_pppoe_vlan, RESTART),
	{ "pppoe", "untagged", CONF_T_BOOL, OFF(pppoe_untagged), 0, 0, 0, 0, 0, CONF_RESTART },
	{ "pppoe", "access_line", CONF_T_BOOL, OFF(pppoe_access_line), 0, 0, 0, 0, 0, CONF_RESTART },
	{ "pppoe", "calling_station_id_format", CONF_T_IDFMT, OFF(pppoe_calling_station_id_format),
	  sizeof(((struct lac_config *)0)->pppoe_calling_station_id_format), 0, 0, 0, 0, CONF_RESTART },
	STR("pppoe", "calling_station_id_delimiter", pppoe_calling_station_id_delimiter, RESTART),
	{ "pppoe", "calling_station_id", CONF_T_BOOL, OFF(pppoe_calling_station_id), 0, 0, 0, 0, 0, CONF_RESTART },
	{ "pppoe", "l2tp_calling_number", CONF_T_BOOL, OFF(pppoe_l2tp_calling_number), 0, 0, 0, 0, 0, CONF_RESTART },
	{ "pppoe", "nas_port_id_format", CONF_T_IDFMT, OFF(pppoe_nas_port_id_format),
	  sizeof(((struct lac_config *)0)->pppoe_nas_port_id_format), 0, 0, 0, 0, CONF_RESTART },
	STR("pppoe", "nas_port_id_delimiter", pppoe_nas_port_id_delimiter, RESTART),
	{ "pppoe", "access_line_radius", CONF_T_BOOL, OFF(access_line_radius), 0, 0, 0, 0, 0, CONF_LIVE },
	{ "pppoe", "access_line_l2tp", CONF_T_FORWARD, OFF(access_line_l2tp), 0, 0, 0, 0, 0, CONF_LIVE },

	UINT("admission", "max_sessions_per_realm", adm_max_sessions_per_realm, 0, 1000000, LIVE),
	UINT("admission", "max_sessions_per_lns", adm_max_sessions_per_lns, 0, 1000000, LIVE),
	UINT("admission", "calls_per_second", adm_calls_per_second, 0, 100000, LIVE),
	UINT("admission", "calls_burst", adm_calls_burst, 0, 100000, LIVE),
	UINT("admission", "padi_per_second", adm_padi_per_second, 0, 1000000, LIVE),
	UINT("admission", "padi_per_mac_per_second", adm_padi_per_mac_per_second, 0, 10000, LIVE),

	{ "ppp", "auth", CONF_T_AUTH, OFF(ppp_auth), sizeof(((struct lac_config *)0)->ppp_auth), 0, 0, 0, 0, CONF_LIVE },
	UINT("ppp", "auth_attempts", ppp_auth_attempts, 1, 10, LIVE),
	UINT("ppp", "mru", ppp_mru, 128, 65535, LIVE),
	UINT("ppp", "restart_ms", ppp_restart_ms, 100, 60000, LIVE),
	UINT("ppp", "max_configure", ppp_max_configure, 1, 255, LIVE),
	UINT("ppp", "max_failure", ppp_max_failure, 1, 255, LIVE),
	UINT("ppp", "max_terminate", ppp_max_terminate, 1, 255, LIVE),
	UINT("ppp", "echo_interval_s", ppp_echo_interval_s, 0, 3600, LIVE),
	UINT("ppp", "echo_failures", ppp_echo_failures, 1, 100, LIVE),
	UINT("ppp", "auth_timeout_s", ppp_auth_timeout_s, 1, 600, LIVE),

	STR("radius", "config", radius_config, RESTART),
	UINT("radius", "nas_port_type_stream", radius_nas_port_type_stream, 0, 40, RESTART),
	UINT("radius", "acct_interim_interval_s", radius_acct_interim_interval_s, 0, 86400, LIVE),
	UINT("radius", "acct_queue_max", radius_acct_queue_max, 1, 1000000, RESTART),
	{ "radius", "accounting", CONF_T_BOOL, OFF(radius_accounting), 0, 0, 0, 0, 0, CONF_RESTART },
	{ "radius", "acct_tunnel_reject", CONF_T_BOOL, OFF(radius_acct_tunnel_reject), 0, 0, 0, 0, 0, CONF_LIVE },
	STR("radius", "acct_spool_dir", radius_acct_spool_dir, RESTART),
	UINT("radius", "acct_spool_max_mb", radius_acct_spool_max_mb, 1, 1000000, RESTART),
	STR("radius", "acct_spool_fsync", radius_acct_spool_fsync, RESTART),
	UINT("radius", "acct_spool_sync_interval_ms", radius_acct_spool_sync_interval_ms, 1, 60000, RESTART),

	{ "dae", "listen", CONF_T_ADDRPORT, OFF(dae_listen), sizeof(((struct lac_config *)0)->dae_listen), 0, 0, 0, 0, CONF_RESTART },
	REPEAT("dae", "client", CONF_T_DAE_CLIENT, dae_client, n_dae_client, RESTART),
	{ "dae", "require_message_authenticator", CONF_T_BOOL, OFF(dae_require_message_authenticator), 0, 0, 0, 0, 0, CONF_RESTART },
	UINT("dae", "replay_window_s", dae_replay_window_s, 1, 86400, RESTART),
	{ "dae", "require_event_timestamp", CONF_T_BOOL, OFF(dae_require_event_timestamp), 0, 0, 0, 0, 0, CONF_RESTART },

	REPEAT("l2tp", "bind", CONF_T_STRING, l2tp_bind, n_l2tp_bind, RESTART),
	UINT("l2tp", "port", l2tp_port, 1, 65535, RESTART),
	STR("l2tp", "host_name", l2tp_host_name, RESTART),
	UINT("l2tp", "hello_interval_s", l2tp_hello_interval_s, 0, 3600, RESTART),
	UINT("l2tp", "rx_window", l2tp_rx_window, 1, 1024, RESTART),
	UINT("l2tp", "retransmit_initial_ms", l2tp_retransmit_initial_ms, 100, 10000, RESTART),
	UINT("l2tp", "retransmit_max_ms", l2tp_retransmit_max_ms, 100, 60000, RESTART),
	UINT("l2tp", "max_retransmits", l2tp_max_retransmits, 1, 100, RESTART),
	UINT("l2tp", "max_sessions_per_tunnel", l2tp_max_sessions_per_tunnel, 1, 65535, LIVE),
	UINT("l2tp", "dead_hold_down_s", l2tp_dead_hold_down_s, 0, 3600, LIVE),
	UINT("l2tp", "tunnel_setup_timeout_s", l2tp_tunnel_setup_timeout_s, 1, 600, LIVE),
	UINT("l2tp", "session_setup_timeout_s", l2tp_session_setup_timeout_s, 1, 600, LIVE),
	UINT("l2tp", "tunnels_per_lns", l2tp_tunnels_per_lns, 1, 256, LIVE),

	{ "local", "pool", CONF_T_CIDR4, OFF(local_pool_base), 0, 0, 0, 0, 0, CONF_RESTART },
	IPV4("local", "gateway", local_gateway, RESTART),
	IPV4("local", "dns1", local_dns1, LIVE),
	IPV4("local", "dns2", local_dns2, LIVE),
	STR("local", "tun", local_tun, RESTART),
};

_Static_assert(offsetof(struct lac_config, local_pool_prefix) ==
		       offsetof(struct lac_config, local_pool_base) + sizeof(struct in_addr),
	       "[local] pool is stored as base then prefix");

/* The bytes a key's value occupies at k->offset (a repeatable key: its
 * whole array; its count is compared apart). */
static size_t key_width(const struct conf_key *k)
{
	if (k->count_offset)
		return k->size * k->max_count;
	switch (k->type) {
	case CONF_T_UINT: return sizeof(uint32_t);
	case CONF_T_IPV4: return sizeof(struct in_addr);
	case CONF_T_CIDR4: return sizeof(struct in_addr) + sizeof(uint32_t);
	case CONF_T_LOGLEVEL:
	case CONF_T_FORWARD: return sizeof(int);
	case CONF_T_BOOL: return sizeof(bool);
	default: return k->size;        /* strings, lists, addresses held as text */
	}
}

const char *lac_config_key_at(size_t i, const char **section, enum conf_reload *reload)
{
	if (i >= sizeof(conf_keys) / sizeof(conf_keys[0]))
		return NULL;
	if (section)
		*section = conf_keys[i].section;
	if (reload)
		*reload = conf_keys[i].reload;
	return conf_keys[i].key;
}

size_t lac_config_keep_restart_keys(const struct lac_config *cur, struct lac_config *next, char *names,
				    size_t cap)
{
	const uint8_t *from = (const uint8_t *)cur;
	uint8_t *to = (uint8_t *)next;
	size_t n = 0, used = 0;

	if (cap)
		names[0] = '\0';
	for (size_t i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++) {
		const struct conf_key *k = &conf_keys[i];
		size_t w = key_width(k);
		bool differs = memcmp(from + k->offset, to + k->offset, w) != 0 ||
			       (k->count_offset && memcmp(from + k->count_offset, to + k->count_offset,
							 sizeof(size_t)) != 0);
		if (k->reload != CONF_RESTART || !differs)
			continue;
		memcpy(to + k->offset, from + k->offset, w);
		if (k->count_offset)
			memcpy(to + k->count_offset, from + k->count_offset, sizeof(size_t));
		if (used < cap) {
			int l = snprintf(names + used, cap - used, "%s[%s]%s", n ? "," : "", k->section, k->key);
			used = l < 0 ? cap : used + (size_t)l;
		}
		n++;
	}
	return n;
}

void lac_config_defaults(struct lac_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->host_name, sizeof(cfg->host_name), "lac-core");
	snprintf(cfg->nas_identifier, sizeof(cfg->nas_identifier), "lac-core");
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "/run/realm-lns/lac.sock");
	cfg->log_level = LOG_LVL_INFO;
	cfg->max_sessions = 100000;
	snprintf(cfg->pppoe_ac_name, sizeof(cfg->pppoe_ac_name), "realm-lns");
	cfg->pppoe_max_sessions_per_mac = 4;
	cfg->pppoe_access_line = true;
	snprintf(cfg->pppoe_calling_station_id_format, sizeof(cfg->pppoe_calling_station_id_format), "mac");
	snprintf(cfg->pppoe_calling_station_id_delimiter, sizeof(cfg->pppoe_calling_station_id_delimiter), "#");
	cfg->pppoe_calling_station_id = true;
	cfg->pppoe_l2tp_calling_number = true;
	snprintf(cfg->pppoe_nas_port_id_delimiter, sizeof(cfg->pppoe_nas_port_id_delimiter), ":");
	cfg->access_line_radius = true;
	cfg->access_line_l2tp = CONF_FORWARD_ALWAYS;
	cfg->adm_calls_burst = 10;
	snprintf(cfg->ppp_auth, sizeof(cfg->ppp_auth), "chap,pap");
	cfg->ppp_auth_attempts = 3;
	cfg->ppp_mru = 1500;
	cfg->ppp_restart_ms = 3000;
	cfg->ppp_max_configure = 10;
	cfg->ppp_max_failure = 5;
	cfg->ppp_max_terminate = 2;
	cfg->ppp_echo_interval_s = 30;
	cfg->ppp_echo_failures = 4;
	cfg->ppp_auth_timeout_s = 30;
	snprintf(cfg->radius_config, sizeof(cfg->radius_config), "/etc/realm-lns/radiusclient.conf");
	cfg->radius_nas_port_type_stream = 5; /* Virtual (RFC 2865 5.41) */
	cfg->radius_acct_queue_max = 0;      /* from max_sessions */
	cfg->radius_accounting = true;
	cfg->radius_acct_tunnel_reject = true;
	cfg->dae_require_message_authenticator = true;
	cfg->radius_acct_spool_max_mb = 256;
	snprintf(cfg->radius_acct_spool_fsync, sizeof(cfg->radius_acct_spool_fsync), "startstop");
	cfg->radius_acct_spool_sync_interval_ms = 1000;
	cfg->dae_replay_window_s = 300;
	cfg->l2tp_port = 1701;
	cfg->l2tp_hello_interval_s = 60;
	cfg->l2tp_rx_window = 8;
	cfg->l2tp_retransmit_initial_ms = 1000;
	cfg->l2tp_retransmit_max_ms = 8000;
	cfg->l2tp_max_retransmits = 10; /* see man/lac.conf.5: a lossy path outlives the RFC example of 5 */
	cfg->l2tp_max_sessions_per_tunnel = 4096;
	cfg->l2tp_dead_hold_down_s = 60;
	cfg->l2tp_tunnel_setup_timeout_s = 10;
	cfg->l2tp_session_setup_timeout_s = 10;
	cfg->l2tp_tunnels_per_lns = 1;
	snprintf(cfg->local_tun, sizeof(cfg->local_tun), "rlns-local");
}

static int conf_error(char *err, size_t errlen, const char *name, unsigned line,
		      const char *section, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static int conf_error(char *err, size_t errlen, const char *name, unsigned line,
		      const char *section, const char *key, const char *fmt, ...)
{
	int n;
	if (key)
		n = snprintf(err, errlen, "%s:%u: [%s] %s: ", name, line, section, key);
	else
		n = snprintf(err, errlen, "%s:%u: ", name, line);
	if (n >= 0 && (size_t)n < errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int parse_uint(const char *v, uint32_t *out)
{
	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	char *end;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int parse_listen(const char *v)
{
	if (strncmp(v, "unix:", 5) == 0)
		return v[5] == '/' ? 0 : -1;
	if (strncmp(v, "tcp:", 4) != 0)
		return -1;
	const char *colon = strrchr(v + 4, ':');
	if (!colon || colon == v + 4)
		return -1;
	char host[64];
	size_t hlen = (size_t)(colon - (v + 4));
	if (hlen >= sizeof(host))
		return -1;
	memcpy(host, v + 4, hlen);
	host[hlen] = '\0';
	struct in_addr a;
	uint32_t port;
	if (inet_pton(AF_INET, host, &a) != 1 || parse_uint(colon + 1, &port) < 0 || port == 0 || port > 65535)
		return -1;
	return 0;
}

/* IPV4:PORT with a port of 1..65535. */
static int parse_addrport(const char *v)
{
	const char *colon = strrchr(v, ':');
	char host[32];
	struct in_addr a;
	uint32_t port;
	if (!colon || (size_t)(colon - v) >= sizeof(host))
		return -1;
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = '\0';
	if (inet_pton(AF_INET, host, &a) != 1 || parse_uint(colon + 1, &port) < 0 || port == 0 || port > 65535)
		return -1;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int parse_auth(const char *v)
{
	char buf[CONF_STR];
	snprintf(buf, sizeof(buf), "%s", v);
	int seen = 0, n = 0;
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = trim(tok);
		int bit = strcmp(tok, "chap") == 0 ? 1 : strcmp(tok, "pap") == 0 ? 2 : 0;
		if (!bit || (seen & bit))
			return -1;
		seen |= bit;
		n++;
	}
	return n ? 0 : -1;
}

/* "LO[-HI]" of n characters, VLAN ids 1..4094, LO <= HI. */
static int parse_vlan_range_n(const char *v, size_t n, uint16_t *lo, uint16_t *hi)
{
	char a[16];
	uint32_t x, y;
	if (n == 0 || n >= sizeof(a))
		return -1;
	memcpy(a, v, n);
	a[n] = '\0';
	char *dash = strchr(a, '-');
	if (dash)
		*dash = '\0';
	if (parse_uint(a, &x) < 0 || (dash ? parse_uint(dash + 1, &y) : (y = x, 0)) < 0)
		return -1;
	if (x < 1 || y > 4094 || x > y)
		return -1;
	*lo = (uint16_t)x;
	*hi = (uint16_t)y;
	return 0;
}

static int parse_vlan_range(const char *v, uint16_t *lo, uint16_t *hi)
{
	return parse_vlan_range_n(v, strlen(v), lo, hi);
}

static int apply_value(struct lac_config *cfg, const struct conf_key *k, const char *v,
		       const char *name, unsigned line, char *err, size_t errlen)
{
	uint8_t *base = (uint8_t *)cfg;
	void *dst = base + k->offset;

	if (k->count_offset) {
		size_t *count = (size_t *)(base + k->count_offset);
		if (*count >= k->max_count)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "at most %zu values allowed", k->max_count);
		dst = base + k->offset + *count * k->size;
	}

	switch (k->type) {
	case CONF_T_LISTEN:
		if (parse_listen(v) < 0)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "'%s' is not tcp:IPV4:PORT or unix:/PATH", v);
		/* fall through */
	case CONF_T_STRING:
		if (strlen(v) >= k->size)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "value longer than %zu characters", k->size - 1);
		memcpy(dst, v, strlen(v) + 1);
		break;
	case CONF_T_UINT: {
		uint32_t x;
		if (parse_uint(v, &x) < 0)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "'%s' is not a whole number", v);
		if (x < k->min || x > k->max)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "%u is out of range %u..%u", x, k->min, k->max);
		*(uint32_t *)dst = x;
		break;
	}
	case CONF_T_IPV4:
		if (inet_pton(AF_INET, v, dst) != 1)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "'%s' is not an IPv4 address", v);
		break;
	case CONF_T_CIDR4: {
		char addr[32];
		const char *slash = strchr(v, '/');
		uint32_t prefix;
		if (!slash || (size_t)(slash - v) >= sizeof(addr) || parse_uint(slash + 1, &prefix) < 0 ||
		    prefix < 8 || prefix > 30)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "'%s' is not an IPv4 CIDR with prefix 8..30", v);
		memcpy(addr, v, (size_t)(slash - v));
		addr[slash - v] = '\0';
		if (inet_pton(AF_INET, addr, &cfg->local_pool_base) != 1)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "'%s' is not an IPv4 address", addr);
		cfg->local_pool_prefix = prefix;
		break;
	}
	case CONF_T_LOGLEVEL: {
		static const char *const names[] = { "debug", "info", "warn", "error" };
		int found = -1;
		for (int i = 0; i < 4; i++)
			if (strcmp(v, names[i]) == 0)
				found = i;
		if (found < 0)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "'%s' is not one of debug, info, warn, error", v);
		*(int *)dst = found;
		break;
	}
	case CONF_T_BOOL:
		if (parse_bool(v, dst) < 0)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "'%s' is not yes or no", v);
		break;
	case CONF_T_ADDRPORT:
		if (parse_addrport(v) < 0)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "'%s' is not IPV4:PORT", v);
		if (strlen(v) >= k->size)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "value longer than %zu characters", k->size - 1);
		memcpy(dst, v, strlen(v) + 1);
		break;
	case CONF_T_DAE_CLIENT: {
		/* "ADDR SECRET": the secret is the rest of the line, spaces kept
		 * out of it so a stray one cannot silently change it */
		struct lac_conf_dae_client *c = dst;
		char addr[32];
		size_t n = strcspn(v, " \t");
		const char *sec = v + n;
		while (*sec == ' ' || *sec == '\t')
			sec++;
		if (n == 0 || n >= sizeof(addr) || !*sec || strpbrk(sec, " \t"))
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "expected 'IPV4 SECRET'");
		memcpy(addr, v, n);
		addr[n] = '\0';
		if (inet_pton(AF_INET, addr, &c->addr) != 1)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "'%s' is not an IPv4 address", addr);
		if (strlen(sec) >= sizeof(c->secret))
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "secret longer than %zu characters", sizeof(c->secret) - 1);
		snprintf(c->secret, sizeof(c->secret), "%s", sec);
		break;
	}
	case CONF_T_VLAN: {
		struct lac_conf_vlan *r = dst;
		const char *dot = strchr(v, '.');
		if (parse_vlan_range(dot ? dot + 1 : v, &r->inner_lo, &r->inner_hi) < 0 ||
		    (dot && parse_vlan_range_n(v, (size_t)(dot - v), &r->outer_lo, &r->outer_hi) < 0))
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "'%s' is not INNER[-INNER] or OUTER[-OUTER].INNER[-INNER] with ids 1..4094", v);
		if (!dot)
			r->outer_lo = r->outer_hi = 0;
		break;
	}
	case CONF_T_IDFMT: {
		struct access_id_format f;
		const char *why = "";
		if (strlen(v) >= k->size)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "value longer than %zu characters", k->size - 1);
		if (*v && access_id_format_parse(v, '#', &f, &why) < 0)
			return conf_error(err, errlen, name, line, k->section, k->key, "'%s': %s", v, why);
		memcpy(dst, v, strlen(v) + 1);
		break;
	}
	case CONF_T_FORWARD:
		if (strcmp(v, "always") == 0)
			*(int *)dst = CONF_FORWARD_ALWAYS;
		else if (strcmp(v, "never") == 0)
			*(int *)dst = CONF_FORWARD_NEVER;
		else if (strcmp(v, "realm") == 0)
			*(int *)dst = CONF_FORWARD_REALM;
		else
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "'%s' is not always, never or realm", v);
		break;
	case CONF_T_AUTH:
		if (parse_auth(v) < 0)
			return conf_error(err, errlen, name, line, k->section, k->key,
					  "'%s' is not a list of chap and pap (each once)", v);
		snprintf(dst, k->size, "%s", v);
		break;
	}
	if (k->count_offset)
		(*(size_t *)(base + k->count_offset))++;
	return 0;
}

int lac_config_parse(struct lac_config *cfg, const char *name, const char *text,
		     char *err, size_t errlen)
{
	char section[32] = "";
	unsigned line_no = 0;
	const char *p = text;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char buf[1024];
		line_no++;
		if (len >= sizeof(buf))
			return conf_error(err, errlen, name, line_no, NULL, NULL, "line longer than %zu characters",
					  sizeof(buf) - 1);
		memcpy(buf, p, len);
		buf[len] = '\0';
		p = eol ? eol + 1 : p + len;

		/* Comments (issue 8 item 11: a '#' must never cut a value silently):
		 * '#' starts a comment at the start of a line or after a blank; a '#'
		 * inside a word is an error; a value that must hold '#' (or leading
		 * or trailing blanks) is written in double quotes, with \" and \\. */
		bool in_quotes = false;
		for (char *c = buf; *c; c++) {
			if (in_quotes) {
				if (*c == '\\' && c[1])
					c++;
				else if (*c == '"')
					in_quotes = false;
				continue;
			}
			if (*c == '"') {
				in_quotes = true;
			} else if (*c == '#') {
				if (c == buf || c[-1] == ' ' || c[-1] == '\t') {
					*c = '\0';
					break;
				}
				return conf_error(err, errlen, name, line_no, NULL, NULL,
						  "'#' inside a value: quote the value (\"...\") or put a blank before a comment");
			}
		}
		char *line = trim(buf);
		if (!*line)
			continue;

		if (*line == '[') {
			char *close = strchr(line, ']');
			if (!close || close[1] != '\0' || close - line - 1 <= 0 ||
			    (size_t)(close - line - 1) >= sizeof(section))
				return conf_error(err, errlen, name, line_no, NULL, NULL,
						  "malformed section header '%s'", line);
			*close = '\0';
			snprintf(section, sizeof(section), "%s", line + 1);
			bool known = false;
			for (size_t i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
				if (strcmp(conf_keys[i].section, section) == 0)
					known = true;
			if (!known)
				return conf_error(err, errlen, name, line_no, NULL, NULL,
						  "unknown section [%s]", section);
			continue;
		}

		char *eq = strchr(line, '=');
		if (!eq)
			return conf_error(err, errlen, name, line_no, NULL, NULL,
					  "expected 'key = value', got '%s'", line);
		*eq = '\0';
		char *key = trim(line);
		char *value = trim(eq + 1);
		if (*value == '"') {
			/* "quoted value": \" and \\ are the only escapes */
			char *w = value, *r = value + 1;
			for (; *r && *r != '"'; r++) {
				if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
					r++;
				*w++ = *r;
			}
			if (*r != '"' || r[1] != '\0')
				return conf_error(err, errlen, name, line_no, section, trim(line),
						  "unterminated quoted value, or text after its closing quote");
			*w = '\0';
		}
		if (!*section)
			return conf_error(err, errlen, name, line_no, NULL, NULL,
					  "key '%s' before any [section]", key);

		const struct conf_key *k = NULL;
		for (size_t i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
			if (strcmp(conf_keys[i].section, section) == 0 && strcmp(conf_keys[i].key, key) == 0)
				k = &conf_keys[i];
		if (!k)
			return conf_error(err, errlen, name, line_no, section, key, "unknown key");
		if (!*value)
			return conf_error(err, errlen, name, line_no, section, key, "empty value");
		if (apply_value(cfg, k, value, name, line_no, err, errlen) < 0)
			return -1;
		/* the policies of aaa/acct_spool.h (acct_spool_fsync_parse) */
		if (k->offset == OFF(radius_acct_spool_fsync) && strcmp(value, "startstop") && strcmp(value, "always") &&
		    strcmp(value, "interval") && strcmp(value, "none"))
			return conf_error(err, errlen, name, line_no, section, key,
					  "'%s' is not startstop, always, interval or none", value);
	}

	/* Cross-field checks, reported against the file as a whole. */
	if (cfg->l2tp_retransmit_initial_ms > cfg->l2tp_retransmit_max_ms)
		return conf_error(err, errlen, name, line_no, "l2tp", "retransmit_initial_ms",
				  "%u is above retransmit_max_ms %u", cfg->l2tp_retransmit_initial_ms,
				  cfg->l2tp_retransmit_max_ms);
	if (cfg->dae_listen[0] && cfg->n_dae_client == 0)
		return conf_error(err, errlen, name, line_no, "dae", "client",
				  "at least one client is required when [dae] listen is set");
	cfg->local_enabled = cfg->local_pool_prefix != 0;
	if (cfg->local_enabled && cfg->local_gateway.s_addr == 0)
		return conf_error(err, errlen, name, line_no, "local", "gateway",
				  "required when [local] pool is set");
	return 0;
}

int lac_config_load(struct lac_config *cfg, const char *path, char *err, size_t errlen)
{
	lac_config_defaults(cfg);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *text = NULL;
	size_t cap = 0, len = 0;
	char chunk[4096];
	size_t n;
	int rc = -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			char *grown = realloc(text, cap);
			if (!grown) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			text = grown;
		}
		memcpy(text + len, chunk, n);
		len += n;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	if (!text) {
		text = calloc(1, 1);
		if (!text)
			goto fail;
	}
	text[len] = '\0';
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto fail;
	}
	rc = lac_config_parse(cfg, path, text, err, errlen);
fail:
	free(text);
	fclose(f);
	return rc;
}

uint32_t lac_config_acct_queue_max(const struct lac_config *cfg)
{
	uint64_t n = 2 * (uint64_t)cfg->max_sessions;

	if (cfg->radius_acct_queue_max)
		return cfg->radius_acct_queue_max;
	if (n < 4096)
		n = 4096;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}
