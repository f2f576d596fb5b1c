/* realm_schema: field validation of the Redis schema, with exact error texts. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>

#include "realm_schema.h"

Test(realm_schema, endpoint_forms)
{
	static const struct { const char *in; int family; const char *host; unsigned port; const char *fmt; } v[] = {
		{ "192.0.2.1", AF_INET, "192.0.2.1", 0, "192.0.2.1" },
		{ "192.0.2.1:1701", AF_INET, "192.0.2.1", 1701, "192.0.2.1:1701" },
		{ "2001:db8::1", AF_INET6, "2001:db8::1", 0, "2001:db8::1" },
		{ "2001:DB8:0:0::1", AF_INET6, "2001:db8::1", 0, "2001:db8::1" },
		{ "[2001:db8::1]", AF_INET6, "2001:db8::1", 0, "2001:db8::1" },
		{ "[2001:db8::1]:65535", AF_INET6, "2001:db8::1", 65535, "[2001:db8::1]:65535" },
		{ "::ffff:192.0.2.1", AF_INET6, "::ffff:192.0.2.1", 0, "::ffff:192.0.2.1" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct realm_endpoint ep;
		char err[REALM_ERR_MAX], buf[64];
		cr_assert_eq(realm_schema_parse_endpoint("endpoint", v[i].in, &ep, err, sizeof(err)), 0,
			     "%s: %s", v[i].in, err);
		cr_expect_eq(ep.family, v[i].family, "%s", v[i].in);
		cr_expect_str_eq(ep.host, v[i].host, "%s", v[i].in);
		cr_expect_eq(ep.port, v[i].port, "%s", v[i].in);
		cr_expect_gt(realm_endpoint_format(&ep, buf, sizeof(buf)), 0);
		cr_expect_str_eq(buf, v[i].fmt, "%s", v[i].in);
	}
}

Test(realm_schema, endpoint_errors_name_field_and_value)
{
	static const struct { const char *in, *err; } v[] = {
		{ "", "field=endpoint value=\"\": empty, want an IPv4 or IPv6 address" },
		{ "10.0.0.300", "field=endpoint value=\"10.0.0.300\": not an IPv4 address (IPv6 with a port needs [addr]:port)" },
		{ "lns.example.com", "field=endpoint value=\"lns.example.com\": not an IPv4 address (IPv6 with a port needs [addr]:port)" },
		{ "10.0.0.1:0", "field=endpoint value=\"10.0.0.1:0\": port not in 1..65535" },
		{ "10.0.0.1:65536", "field=endpoint value=\"10.0.0.1:65536\": port not in 1..65535" },
		{ "10.0.0.1:", "field=endpoint value=\"10.0.0.1:\": port not in 1..65535" },
		{ "10.0.0.1:17x", "field=endpoint value=\"10.0.0.1:17x\": port not in 1..65535" },
		{ "[2001:db8::1", "field=endpoint value=\"[2001:db8::1\": '[' without ']'" },
		{ "[2001:db8::1]x", "field=endpoint value=\"[2001:db8::1]x\": junk after ']'" },
		{ "[10.0.0.1]:1701", "field=endpoint value=\"[10.0.0.1]:1701\": not an IPv6 address" },
		{ "2001:db8::zz", "field=endpoint value=\"2001:db8::zz\": not an IPv6 address" },
		{ "10.0.0.1\"\x01", "field=endpoint value=\"10.0.0.1\\x22\\x01\": not an IPv4 address (IPv6 with a port needs [addr]:port)" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct realm_endpoint ep;
		char err[REALM_ERR_MAX];
		cr_expect_eq(realm_schema_parse_endpoint("endpoint", v[i].in, &ep, err, sizeof(err)), -1, "%s", v[i].in);
		cr_expect_str_eq(err, v[i].err);
	}
}

Test(realm_schema, numeric_ranges)
{
	struct realm_lns l;
	char err[REALM_ERR_MAX];

	realm_schema_lns_init(&l);
	cr_expect_eq(realm_schema_lns_set(&l, "preference", "0", 1, NULL, err, sizeof(err)), 0);
	cr_expect_eq(realm_schema_lns_set(&l, "preference", "65535", 5, NULL, err, sizeof(err)), 0);
	cr_expect_eq(l.preference, 65535);
	cr_expect_eq(realm_schema_lns_set(&l, "preference", "65536", 5, NULL, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=preference value=\"65536\": out of range 0..65535");
	cr_expect_eq(realm_schema_lns_set(&l, "preference", "-1", 2, NULL, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=preference value=\"-1\": not a decimal number, want 0..65535");
	cr_expect_eq(realm_schema_lns_set(&l, "preference", "99999999999999999999", 20, NULL, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=preference value=\"99999999999999999999\": out of range 0..65535");
	cr_expect_eq(realm_schema_lns_set(&l, "preference", " 1", 2, NULL, err, sizeof(err)), -1);

	cr_expect_eq(realm_schema_lns_set(&l, "weight", "0", 1, NULL, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=weight value=\"0\": out of range 1..1000");
	cr_expect_eq(realm_schema_lns_set(&l, "weight", "1000", 4, NULL, err, sizeof(err)), 0);
	cr_expect_eq(realm_schema_lns_set(&l, "weight", "1001", 4, NULL, err, sizeof(err)), -1);

	cr_expect_eq(realm_schema_lns_set(&l, "max_sessions", "0", 1, NULL, err, sizeof(err)), 0);
	cr_expect_eq(realm_schema_lns_set(&l, "max_sessions", "4294967295", 10, NULL, err, sizeof(err)), 0);
	cr_expect_eq(l.max_sessions, 4294967295u);
	cr_expect_eq(realm_schema_lns_set(&l, "max_sessions", "4294967296", 10, NULL, err, sizeof(err)), -1);
	cr_expect_eq(realm_schema_lns_set(&l, "down", "2", 1, NULL, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=down value=\"2\": want 0 or 1");
	cr_expect_eq(realm_schema_lns_set(&l, "down", "1", 1, NULL, err, sizeof(err)), 0);
	cr_expect_eq(l.down, 1);
}

Test(realm_schema, realm_fields_and_defaults)
{
	struct realm_conf r;
	char err[REALM_ERR_MAX];
	int unknown;

	realm_schema_realm_init(&r);
	cr_expect_eq(r.policy, REALM_POLICY_PREFERENCE);
	cr_expect_eq(r.max_endpoints, 31);
	cr_expect_eq(r.verify_password, 0);
	cr_expect_eq(realm_schema_realm_check(&r, err, sizeof(err)), -1, "mode is required");
	cr_expect_str_eq(err, "field=mode: missing (tunnel, local or reject)");

	cr_expect_eq(realm_schema_realm_set(&r, "mode", "reject", 6, NULL, err, sizeof(err)), 0);
	cr_expect_eq(r.mode, REALM_MODE_REJECT);
	cr_expect_eq(realm_schema_realm_set(&r, "mode", "Tunnel", 6, NULL, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=mode value=\"Tunnel\": want tunnel, local or reject");
	cr_expect_eq(realm_schema_realm_set(&r, "policy", "round-robin", 11, NULL, err, sizeof(err)), 0);
	cr_expect_eq(r.policy, REALM_POLICY_ROUND_ROBIN);
	cr_expect_eq(realm_schema_realm_set(&r, "policy", "random", 6, NULL, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=policy value=\"random\": want preference, weighted or round-robin");
	cr_expect_eq(realm_schema_realm_set(&r, "max_endpoints", "32", 2, NULL, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=max_endpoints value=\"32\": out of range 1..31");
	cr_expect_eq(realm_schema_realm_set(&r, "max_endpoints", "0", 1, NULL, err, sizeof(err)), -1);
	cr_expect_eq(realm_schema_realm_set(&r, "verify_password", "1", 1, NULL, err, sizeof(err)), 0);
	cr_expect_eq(r.verify_password, 1);
	cr_expect_eq(r.access_line_forwarding, 0);
	cr_expect_eq(realm_schema_realm_set(&r, "access_line_forwarding", "1", 1, &unknown, err,
					    sizeof(err)), 0);
	cr_expect_eq(unknown, 0);
	cr_expect_eq(r.access_line_forwarding, 1);
	cr_expect_eq(realm_schema_realm_set(&r, "access_line_forwarding", "yes", 3, NULL, err,
					    sizeof(err)), -1);
	cr_expect_str_eq(err, "field=access_line_forwarding value=\"yes\": want 0 or 1");
	cr_expect_eq(realm_schema_realm_set(&r, "reply_message", "", 0, NULL, err, sizeof(err)), 0);
	cr_expect_eq(realm_schema_realm_set(&r, "future_field", "x", 1, &unknown, err, sizeof(err)), 0);
	cr_expect_eq(unknown, 1);
	cr_expect_eq(realm_schema_realm_check(&r, err, sizeof(err)), 0);
	cr_expect_str_eq(realm_mode_str(REALM_MODE_LOCAL), "local");
	cr_expect_str_eq(realm_policy_str(REALM_POLICY_WEIGHTED), "weighted");
	cr_expect_str_eq(realm_mode_str((enum realm_mode)42), "invalid");
}

Test(realm_schema, lns_required_fields)
{
	struct realm_lns l;
	char err[REALM_ERR_MAX];

	realm_schema_lns_init(&l);
	cr_expect_eq(l.weight, 1);
	cr_expect_eq(realm_schema_lns_check(&l, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=endpoint: missing");
	cr_expect_eq(realm_schema_lns_set(&l, "endpoint", "10.0.0.1", 8, NULL, err, sizeof(err)), 0);
	cr_expect_eq(realm_schema_lns_check(&l, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=secret: missing (Tunnel-Password is required)");
	cr_expect_eq(realm_schema_lns_set(&l, "secret", "", 0, NULL, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=secret: empty");
	cr_expect_eq(realm_schema_lns_set(&l, "secret", "s\0x", 3, NULL, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=secret: contains a NUL byte");
	cr_expect_eq(realm_schema_lns_set(&l, "secret", "top secret", 10, NULL, err, sizeof(err)), 0);
	cr_expect_eq(l.secret_len, 10);
	cr_expect_eq(realm_schema_lns_check(&l, err, sizeof(err)), 0);
}

Test(realm_schema, long_values_refused_and_escaped_in_errors)
{
	struct realm_lns l;
	char err[REALM_ERR_MAX], big[300];

	memset(big, 'A', sizeof(big));
	realm_schema_lns_init(&l);
	cr_expect_eq(realm_schema_lns_set(&l, "secret", big, 129, NULL, err, sizeof(err)), -1);
	cr_expect(strstr(err, "longer than 128 bytes") != NULL, "%s", err);
	cr_expect(strstr(err, "AAAA") == NULL, "a malformed secret is never echoed: %s", err);
	cr_expect_eq(realm_schema_lns_set(&l, "secret", big, 128, NULL, err, sizeof(err)), 0);
	cr_expect_eq(realm_schema_lns_set(&l, "assignment_id", big, 300, NULL, err, sizeof(err)), -1);
	cr_expect(strstr(err, "...\"") != NULL, "other values cut with ...: %s", err);
	cr_expect_eq(realm_schema_lns_set(&l, "assignment_id", big, 253, NULL, err, sizeof(err)), -1);
	cr_expect_eq(realm_schema_lns_set(&l, "assignment_id", big, 252, NULL, err, sizeof(err)), 0);
	cr_expect_eq(realm_schema_lns_set(&l, "endpoint", big, sizeof(big), NULL, err, sizeof(err)), -1);
}

Test(realm_schema, error_buffer_may_be_small_or_null)
{
	char tiny[8];
	uint32_t v;
	cr_expect_eq(realm_schema_parse_uint("f", "x", 0, 1, &v, tiny, sizeof(tiny)), -1);
	cr_expect_eq(strlen(tiny), 7);
	cr_expect_eq(realm_schema_parse_uint("f", "x", 0, 1, &v, NULL, 0), -1);
	cr_expect_eq(realm_schema_parse_uint("f", "x", 0, 1, &v, tiny, 0), -1);
}

Test(realm_schema, names)
{
	char err[REALM_ERR_MAX];
	cr_expect_eq(realm_schema_check_realm_name("corp.example", err, sizeof(err)), 0);
	cr_expect_eq(realm_schema_check_realm_name("*.example.com", err, sizeof(err)), 0);
	cr_expect_eq(realm_schema_check_realm_name("under_score.example", err, sizeof(err)), 0);
	cr_expect_eq(realm_schema_check_realm_name("Corp.example", err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=realm value=\"Corp.example\": must be lower-case");
	cr_expect_eq(realm_schema_check_realm_name("*", err, sizeof(err)), -1);
	cr_expect_eq(realm_schema_check_realm_name("a.*.b", err, sizeof(err)), -1);
	cr_expect_eq(realm_schema_check_realm_name("a..b", err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=realm value=\"a..b\": empty label");
	cr_expect_eq(realm_schema_check_realm_name("", err, sizeof(err)), -1);
	cr_expect_eq(realm_schema_check_lns_id("lns-1_a.b", err, sizeof(err)), 0);
	cr_expect_eq(realm_schema_check_lns_id("lns:1", err, sizeof(err)), -1);
	cr_expect_str_eq(err, "field=lns value=\"lns:1\": byte 0x3a not allowed (A-Z a-z 0-9 _ - .)");
	cr_expect_eq(realm_schema_check_dnis("+1-555-1234", err, sizeof(err)), 0);
	cr_expect_eq(realm_schema_check_dnis("555 1234", err, sizeof(err)), -1);
}

Test(realm_schema, available)
{
	struct realm_lns l;
	realm_schema_lns_init(&l);
	cr_expect(realm_lns_available(&l));
	l.max_sessions = 2;
	l.sessions = 2;
	cr_expect(!realm_lns_available(&l));
	l.sessions = 1;
	cr_expect(realm_lns_available(&l));
	l.down = 1;
	cr_expect(!realm_lns_available(&l));
}
