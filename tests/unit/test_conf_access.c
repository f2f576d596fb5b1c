/* The [pppoe] VLAN / access-line keys and the [admission] section (issue 11):
 * parsed into the config, and every bad value refused with file, line and key. */
#include <criterion/criterion.h>
#include <string.h>

#include "conf/conf.h"

static struct lac_config cfg;
static char err[256];

static int parse(const char *text)
{
	lac_config_defaults(&cfg);
	err[0] = '\0';
	return lac_config_parse(&cfg, "t.conf", text, err, sizeof(err));
}

Test(conf_access, defaults_forward_and_serve_untagged_only)
{
	cr_assert_eq(parse("[lac]\n"), 0, "%s", err);
	cr_assert_eq(cfg.n_pppoe_vlan, 0);
	cr_assert(cfg.pppoe_access_line);
	cr_assert(cfg.access_line_radius);
	cr_assert_eq(cfg.access_line_l2tp, CONF_FORWARD_ALWAYS);
	cr_assert_str_eq(cfg.pppoe_calling_station_id_format, "mac");
	cr_assert_eq(cfg.adm_max_sessions_per_realm, 0);
}

Test(conf_access, vlan_ranges_formats_and_limits_are_read)
{
	cr_assert_eq(parse("[pppoe]\nvlan = 100-199\nvlan = 1000.7\nvlan = 2000-2001.1-4094\nuntagged = yes\n"
			   "calling_station_id_format = circuit-id,mac\ncalling_station_id_delimiter = |\n"
			   "access_line_l2tp = realm\n[admission]\nmax_sessions_per_realm = 5\n"
			   "calls_per_second = 20\npadi_per_mac_per_second = 2\n"), 0, "%s", err);
	cr_assert_eq(cfg.n_pppoe_vlan, 3);
	cr_assert_eq(cfg.pppoe_vlan[0].outer_hi, 0);
	cr_assert_eq(cfg.pppoe_vlan[0].inner_lo, 100);
	cr_assert_eq(cfg.pppoe_vlan[0].inner_hi, 199);
	cr_assert_eq(cfg.pppoe_vlan[1].outer_lo, 1000);
	cr_assert_eq(cfg.pppoe_vlan[1].inner_lo, 7);
	cr_assert_eq(cfg.pppoe_vlan[1].inner_hi, 7);
	cr_assert_eq(cfg.pppoe_vlan[2].outer_hi, 2001);
	cr_assert_eq(cfg.pppoe_vlan[2].inner_hi, 4094);
	cr_assert(cfg.pppoe_untagged);
	cr_assert_str_eq(cfg.pppoe_calling_station_id_delimiter, "|");
	cr_assert_eq(cfg.access_line_l2tp, CONF_FORWARD_REALM);
	cr_assert_eq(cfg.adm_max_sessions_per_realm, 5);
	cr_assert_eq(cfg.adm_calls_per_second, 20);
	cr_assert_eq(cfg.adm_padi_per_mac_per_second, 2);
}

Test(conf_access, bad_values_name_line_and_key)
{
	static const char *const bad[] = {
		"[pppoe]\nvlan = 0-5\n", "[pppoe]\nvlan = 4095\n", "[pppoe]\nvlan = 200-100\n",
		"[pppoe]\nvlan = 1.2.3\n", "[pppoe]\nvlan = x\n", "[pppoe]\nvlan = 10.\n",
		"[pppoe]\ncalling_station_id_format = mac,bogus\n",
		"[pppoe]\nnas_port_id_format = ,\n", "[pppoe]\naccess_line_l2tp = sometimes\n",
		"[admission]\ncalls_per_second = -1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i]), -1, "accepted: %s", bad[i]);
		cr_assert(strstr(err, "t.conf:2:"), "%s", err);
	}
}
