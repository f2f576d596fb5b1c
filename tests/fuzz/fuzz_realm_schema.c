/* libFuzzer harness: the realm / LNS hash field parsers of
 * rlm_realm_lns/realm_schema.c (the values come from Redis, written by
 * realmctl or by hand: outside input to the RADIUS module).
 *
 * Input: records of (field octet, length octet, value bytes) applied in turn to
 * one realm and one LNS; the field octet's low four bits pick the field
 * (realm: mode, policy, verify_password, max_endpoints, reply_message,
 * client_auth_id; LNS: endpoint, preference, weight, secret, assignment_id,
 * server_auth_id, max_sessions, sessions, down; or an unknown one), its high
 * bits the size of the error buffer. Each value also goes, NUL-terminated, to
 * the single-field parsers and the name checks.
 *
 * Checks: error messages are terminated inside the buffer given; a parsed
 * endpoint formats into INET6_ADDRSTRLEN + 8 octets and parses back to the
 * same address and port; parsed integers are within their bounds. */
#include "fuzz_common.h"

#include "realm_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* realm fields first (N_REALM_FIELDS), then the LNS fields, then one the
 * schema does not know (the last). */
#define N_REALM_FIELDS 7
static const char *const fields[] = {
	"mode", "policy", "verify_password", "max_endpoints", "reply_message", "client_auth_id",
	"access_line_forwarding",
	"endpoint", "preference", "weight", "secret", "assignment_id", "server_auth_id",
	"max_sessions", "sessions", "down", "no_such_field",
};

static void check_err(const char *err, size_t errlen)
{
	FUZZ_CHECK(memchr(err, 0, errlen) != NULL, "error message not terminated in %zu", errlen);
}

static void check_endpoint(const struct realm_endpoint *ep)
{
	char buf[INET6_ADDRSTRLEN + 8], err[REALM_ERR_MAX];
	struct realm_endpoint back;
	int n = realm_endpoint_format(ep, buf, sizeof(buf));

	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(buf), "format gave %d", n);
	FUZZ_CHECK(realm_schema_parse_endpoint("endpoint", buf, &back, err, sizeof(err)) == 0,
		   "formatted endpoint \"%s\" does not parse: %s", buf, err);
	FUZZ_CHECK(back.family == ep->family && back.port == ep->port &&
		   strcmp(back.host, ep->host) == 0, "endpoint \"%s\" changed in a round trip", buf);
}

static void single_parsers(const char *v, size_t errlen)
{
	char *err = malloc(errlen);
	struct realm_endpoint ep;
	enum realm_mode mode;
	enum realm_policy policy;
	uint32_t u;
	int b;

	if (!err)
		return;
	if (realm_schema_parse_endpoint("endpoint", v, &ep, err, errlen) == 0)
		check_endpoint(&ep);
	else
		check_err(err, errlen);
	if (realm_schema_parse_mode("mode", v, &mode, err, errlen) == 0)
		(void)realm_mode_str(mode);
	if (realm_schema_parse_policy("policy", v, &policy, err, errlen) == 0)
		(void)realm_policy_str(policy);
	if (realm_schema_parse_uint("n", v, 1, 1000, &u, err, errlen) == 0)
		FUZZ_CHECK(u >= 1 && u <= 1000, "uint %u out of bounds", u);
	if (realm_schema_parse_uint("n", v, 0, UINT32_MAX, &u, err, errlen) < 0)
		check_err(err, errlen);
	if (realm_schema_parse_bool("b", v, &b, err, errlen) == 0)
		FUZZ_CHECK(b == 0 || b == 1, "bool %d", b);
	if (realm_schema_check_realm_name(v, err, errlen) < 0)
		check_err(err, errlen);
	if (realm_schema_check_lns_id(v, err, errlen) < 0)
		check_err(err, errlen);
	if (realm_schema_check_dnis(v, err, errlen) < 0)
		check_err(err, errlen);
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t errlens[16] = { 1, 2, 8, 16, 32, 64, 100, 128,
					    200, 255, 256, 300, 512, 3, 5, 40 };
	struct fz f = { data, size };
	struct realm_conf realm;
	struct realm_lns lns;
	char err[REALM_ERR_MAX];

	realm_schema_realm_init(&realm);
	realm_schema_lns_init(&lns);
	while (f.n > 0) {
		uint8_t sel = fz_u8(&f);
		size_t want = fz_u8(&f), got, errlen = errlens[sel >> 4];
		const uint8_t *p = fz_bytes(&f, want, &got);
		const unsigned n_fields = sizeof(fields) / sizeof(fields[0]);
		const unsigned idx = sel % n_fields, unknown_idx = n_fields - 1;
		const char *field = fields[idx];
		char *value = malloc(got + 1), *e = malloc(errlen);
		int unknown = 0, r = 0;

		if (!value || !e) {
			free(value);
			free(e);
			return 0;
		}
		/* Exact-size, not terminated: the setters take a length. */
		memcpy(value, p, got);
		if (idx < N_REALM_FIELDS || idx == unknown_idx)
			r = realm_schema_realm_set(&realm, field, value, got, &unknown, e, errlen);
		if (idx >= N_REALM_FIELDS)
			r = realm_schema_lns_set(&lns, field, value, got, &unknown, e, errlen);
		if (r < 0)
			check_err(e, errlen);
		FUZZ_CHECK(unknown == (idx == unknown_idx), "field %s unknown=%d", field, unknown);
		value[got] = '\0';
		single_parsers(value, errlen);
		free(value);
		free(e);
	}
	FUZZ_CHECK(realm.max_endpoints >= 1 && realm.max_endpoints <= REALM_ENDPOINTS_MAX,
		   "max_endpoints %u", realm.max_endpoints);
	FUZZ_CHECK(lns.weight >= REALM_WEIGHT_MIN && lns.weight <= REALM_WEIGHT_MAX, "weight %u",
		   lns.weight);
	FUZZ_CHECK(lns.preference <= REALM_PREFERENCE_MAX, "preference %u", lns.preference);
	FUZZ_CHECK(lns.secret_len <= REALM_SECRET_MAX, "secret of %zu", lns.secret_len);
	if (realm_schema_realm_check(&realm, err, sizeof(err)) < 0)
		check_err(err, sizeof(err));
	if (realm_schema_lns_check(&lns, err, sizeof(err)) < 0)
		check_err(err, sizeof(err));
	else
		check_endpoint(&lns.endpoint);
	(void)realm_lns_available(&lns);
	return 0;
}
