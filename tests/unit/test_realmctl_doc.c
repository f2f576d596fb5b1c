/*
 * realmctl: JSON document validation (every kind of bad field is named with
 * realm, lns, field, value and JSON path), duplicates, DNIS references,
 * JSON round trip, and Redis URL parsing.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "redis_url.h"

static const char good_doc[] =
	"{ \"schema\": 1,\n"
	"  \"realms\": [\n"
	"    { \"name\": \"Corp.Example\", \"mode\": \"tunnel\", \"policy\": \"weighted\",\n"
	"      \"verify_password\": true, \"max_endpoints\": 2, \"client_auth_id\": \"lac1\",\n"
	"      \"lns\": [\n"
	"        { \"id\": \"lns1\", \"endpoint\": \"10.88.2.2\", \"preference\": 1, \"weight\": 10,\n"
	"          \"secret\": \"s3cret\", \"assignment_id\": \"grp1\", \"server_auth_id\": \"lns-one\",\n"
	"          \"max_sessions\": 100, \"down\": false },\n"
	"        { \"id\": \"lns2\", \"endpoint\": \"[2001:db8::2]:1702\", \"preference\": 2,\n"
	"          \"secret\": \"other\" } ] },\n"
	"    { \"name\": \"local.example\", \"mode\": \"local\" },\n"
	"    { \"name\": \"blocked.example\", \"mode\": \"reject\", \"reply_message\": \"go away\" },\n"
	"    { \"name\": \"*.wild.example\", \"mode\": \"tunnel\",\n"
	"      \"lns\": [ { \"id\": \"w\", \"endpoint\": \"192.0.2.1:1701\", \"secret\": \"x\" } ] } ],\n"
	"  \"dnis\": [ { \"number\": \"0305551234\", \"realm\": \"corp.example\" } ] }\n";

struct parsed {
	struct realmctl_doc  doc;
	struct realmctl_errs errs;
	int                  rc;
};

static void parse(struct parsed *p, const char *json, const char *const *known, size_t n_known)
{
	memset(p, 0, sizeof(*p));
	realmctl_doc_init(&p->doc);
	p->rc = realmctl_doc_parse_json(json, strlen(json), &p->doc, known, n_known, &p->errs);
}

static void parsed_free(struct parsed *p)
{
	realmctl_doc_free(&p->doc);
	realmctl_errs_free(&p->errs);
}

static void dump(const struct parsed *p)
{
	size_t i;

	for (i = 0; i < p->errs.n; i++)
		fprintf(stderr, "  err: %s\n", p->errs.msg[i]);
}

/* 1 if some error line contains every one of the (NULL-terminated) needles. */
static int has_err(const struct parsed *p, ...)
{
	size_t i;

	for (i = 0; i < p->errs.n; i++) {
		va_list ap;
		const char *needle;
		int all = 1;

		va_start(ap, p);
		while ((needle = va_arg(ap, const char *)) != NULL)
			if (!strstr(p->errs.msg[i], needle))
				all = 0;
		va_end(ap);
		if (all)
			return 1;
	}
	dump(p);
	return 0;
}

/* The good document with `from` replaced by `to` (once). */
static char *mutate(const char *from, const char *to)
{
	const char *at = strstr(good_doc, from);
	char *out;

	cr_assert_not_null(at, "mutation anchor \"%s\" not in the good document", from);
	out = malloc(sizeof(good_doc) + strlen(to));
	memcpy(out, good_doc, (size_t)(at - good_doc));
	strcpy(out + (at - good_doc), to);
	strcat(out, at + strlen(from));
	return out;
}

/* Parse the mutated document and expect one error with all needles. */
static void expect_bad(const char *from, const char *to, ...)
{
	struct parsed p;
	char *json = mutate(from, to);
	va_list ap;
	const char *needle;
	size_t i;
	int found = 0;

	parse(&p, json, NULL, 0);
	cr_assert_eq(p.rc, -1, "mutation %s -> %s was accepted", from, to);
	for (i = 0; i < p.errs.n && !found; i++) {
		int all = 1;
		va_start(ap, to);
		while ((needle = va_arg(ap, const char *)) != NULL)
			if (!strstr(p.errs.msg[i], needle))
				all = 0;
		va_end(ap);
		found = all;
	}
	if (!found)
		dump(&p);
	cr_assert(found, "no error line names what %s -> %s broke", from, to);
	parsed_free(&p);
	free(json);
}

Test(realmctl_doc, good_document_parses_with_every_field)
{
	struct parsed p;
	struct realmctl_realm *corp, *wild;
	struct realmctl_lns *l1, *l2;

	parse(&p, good_doc, NULL, 0);
	dump(&p);
	cr_assert_eq(p.rc, 0);
	cr_assert_eq(p.errs.n, 0);
	cr_assert_eq(p.doc.n_realms, 4);
	corp = realmctl_doc_find_realm(&p.doc, "corp.example");
	cr_assert_not_null(corp, "realm names are lower-cased");
	cr_assert_str_eq(corp->name, "corp.example");
	cr_assert_eq(corp->conf.mode, REALM_MODE_TUNNEL);
	cr_assert_eq(corp->conf.policy, REALM_POLICY_WEIGHTED);
	cr_assert_eq(corp->conf.verify_password, 1);
	cr_assert_eq(corp->conf.max_endpoints, 2);
	cr_assert_str_eq(corp->conf.client_auth_id, "lac1");
	cr_assert_eq(corp->n_lns, 2);
	l1 = realmctl_realm_find_lns(corp, "lns1");
	l2 = realmctl_realm_find_lns(corp, "lns2");
	cr_assert_not_null(l1);
	cr_assert_not_null(l2);
	cr_assert_str_eq(l1->s.endpoint.host, "10.88.2.2");
	cr_assert_eq(l1->s.preference, 1);
	cr_assert_eq(l1->s.weight, 10);
	cr_assert_str_eq(l1->s.secret, "s3cret");
	cr_assert_eq(l1->s.max_sessions, 100);
	cr_assert_str_eq(l1->s.assignment_id, "grp1");
	cr_assert_str_eq(l1->s.server_auth_id, "lns-one");
	cr_assert_eq(l2->s.endpoint.port, 1702);
	cr_assert_eq(l2->s.weight, 1, "weight defaults to 1");
	wild = realmctl_doc_find_realm(&p.doc, "*.wild.example");
	cr_assert_not_null(wild);
	cr_assert_eq(p.doc.n_dnis, 1);
	cr_assert_str_eq(p.doc.dnis[0].number, "0305551234");
	parsed_free(&p);
}

Test(realmctl_doc, bad_preference_names_realm_lns_field_value_and_path)
{
	expect_bad("\"preference\": 1,", "\"preference\": 70000,",
		   "realm=corp.example lns=lns1 field=preference value=\"70000\"", "out of range",
		   "$.realms[0].lns[0].preference", NULL);
}

Test(realmctl_doc, negative_weight_is_refused)
{
	expect_bad("\"weight\": 10,", "\"weight\": -3,", "lns=lns1 field=weight value=\"-3\"", NULL);
}

Test(realmctl_doc, zero_weight_is_refused)
{
	expect_bad("\"weight\": 10,", "\"weight\": 0,", "field=weight value=\"0\"", "out of range", NULL);
}

Test(realmctl_doc, bad_endpoint_is_refused)
{
	expect_bad("\"10.88.2.2\"", "\"10.88.2.300\"",
		   "realm=corp.example lns=lns1 field=endpoint value=\"10.88.2.300\"",
		   "$.realms[0].lns[0].endpoint", NULL);
}

Test(realmctl_doc, host_name_endpoint_is_refused)
{
	expect_bad("\"10.88.2.2\"", "\"lns.example.com\"", "field=endpoint value=\"lns.example.com\"", NULL);
}

Test(realmctl_doc, ipv6_with_port_needs_brackets)
{
	expect_bad("\"[2001:db8::2]:1702\"", "\"2001:db8::2:99999\"", "lns=lns2 field=endpoint", NULL);
}

Test(realmctl_doc, missing_secret_is_refused)
{
	expect_bad(",\n          \"secret\": \"other\" }", " }",
		   "realm=corp.example lns=lns2 field=secret: missing", "$.realms[0].lns[1]", NULL);
}

Test(realmctl_doc, empty_secret_is_refused)
{
	expect_bad("\"secret\": \"other\"", "\"secret\": \"\"", "lns=lns2 field=secret: empty", "empty",
		   NULL);
}

Test(realmctl_doc, missing_endpoint_is_refused)
{
	expect_bad("\"endpoint\": \"192.0.2.1:1701\", ", "",
		   "realm=*.wild.example lns=w field=endpoint: missing", NULL);
}

Test(realmctl_doc, bad_mode_is_refused)
{
	expect_bad("\"mode\": \"local\"", "\"mode\": \"proxy\"",
		   "realm=local.example field=mode value=\"proxy\"", "$.realms[1].mode", NULL);
}

Test(realmctl_doc, missing_mode_is_refused)
{
	expect_bad("\"name\": \"local.example\", \"mode\": \"local\"", "\"name\": \"local.example\"",
		   "realm=local.example field=mode: missing", NULL);
}

Test(realmctl_doc, bad_policy_is_refused)
{
	expect_bad("\"weighted\"", "\"random\"", "realm=corp.example field=policy value=\"random\"", NULL);
}

Test(realmctl_doc, max_endpoints_over_31_is_refused)
{
	expect_bad("\"max_endpoints\": 2", "\"max_endpoints\": 32",
		   "realm=corp.example field=max_endpoints value=\"32\"", "out of range", NULL);
}

Test(realmctl_doc, wrong_json_type_is_named)
{
	expect_bad("\"preference\": 1,", "\"preference\": \"1\",",
		   "lns=lns1 field=preference value=\"1\": want an integer", NULL);
	expect_bad("\"verify_password\": true", "\"verify_password\": \"yes\"",
		   "realm=corp.example field=verify_password value=\"yes\": want true or false", NULL);
	expect_bad("\"mode\": \"reject\"", "\"mode\": 3", "realm=blocked.example field=mode value=3: want a string",
		   NULL);
}

Test(realmctl_doc, unknown_field_is_an_error_not_dropped)
{
	expect_bad("\"weight\": 10,", "\"wieght\": 10,",
		   "realm=corp.example lns=lns1 field=wieght: unknown field", "$.realms[0].lns[0].wieght", NULL);
	expect_bad("\"policy\": \"weighted\",", "\"polcy\": \"weighted\",",
		   "realm=corp.example field=polcy: unknown field", NULL);
}

Test(realmctl_doc, sessions_counter_is_not_importable)
{
	expect_bad("\"down\": false", "\"sessions\": 5", "lns=lns1 field=sessions", "runtime", NULL);
}

Test(realmctl_doc, bad_realm_names_are_refused)
{
	expect_bad("\"local.example\"", "\"local..example\"", "realm=local..example", "empty label", NULL);
	expect_bad("\"local.example\"", "\"local example\"", "realm=local example", "not allowed", NULL);
	expect_bad("\"*.wild.example\"", "\"*wild.example\"", "realm=*wild.example", "wildcard", NULL);
}

Test(realmctl_doc, long_realm_name_is_refused)
{
	char name[301], from[310];

	memset(name, 'a', 300);
	name[300] = '\0';
	snprintf(from, sizeof(from), "\"%s\"", name);
	expect_bad("\"local.example\"", from, "field=realm", "longer than 253", "$.realms[1]", NULL);
}

Test(realmctl_doc, bad_lns_id_is_refused)
{
	expect_bad("\"id\": \"lns2\"", "\"id\": \"lns 2\"", "realm=corp.example lns=lns 2", "not allowed", NULL);
	expect_bad("\"id\": \"lns2\"", "\"id\": \"a:b\"", "lns=a:b", "not allowed", NULL);
}

Test(realmctl_doc, duplicate_lns_id_is_refused)
{
	expect_bad("\"id\": \"lns2\"", "\"id\": \"lns1\"", "realm=corp.example lns=lns1 field=id: duplicate",
		   "$.realms[0].lns[0]", "$.realms[0].lns[1]", NULL);
}

Test(realmctl_doc, duplicate_realm_is_refused_case_insensitively)
{
	expect_bad("\"name\": \"local.example\"", "\"name\": \"CORP.example\"",
		   "realm=corp.example field=name: duplicate realm", "$.realms[0]", "$.realms[1]", NULL);
}

Test(realmctl_doc, duplicate_dnis_is_refused)
{
	expect_bad("{ \"number\": \"0305551234\", \"realm\": \"corp.example\" }",
		   "{ \"number\": \"0305551234\", \"realm\": \"corp.example\" },"
		   " { \"number\": \"0305551234\", \"realm\": \"local.example\" }",
		   "dnis=0305551234 field=number: duplicate", "$.dnis[0]", "$.dnis[1]", NULL);
}

Test(realmctl_doc, duplicate_json_key_is_refused)
{
	expect_bad("\"weight\": 10,", "\"weight\": 10, \"weight\": 11,", "json: line", "duplicate", NULL);
}

Test(realmctl_doc, dnis_to_unknown_realm_is_refused_unless_known)
{
	struct parsed p;
	char *json = mutate("\"realm\": \"corp.example\" }", "\"realm\": \"elsewhere.example\" }");
	const char *known[] = { "zzz.example", "elsewhere.example" };

	parse(&p, json, NULL, 0);
	cr_assert_eq(p.rc, -1);
	cr_assert(has_err(&p, "dnis=0305551234 field=realm value=\"elsewhere.example\": no such realm",
			  "$.dnis[0]", NULL));
	parsed_free(&p);
	parse(&p, json, known, 2);
	dump(&p);
	cr_assert_eq(p.rc, 0, "a realm already in Redis may be named");
	parsed_free(&p);
	free(json);
}

Test(realmctl_doc, dnis_number_as_integer_is_refused)
{
	expect_bad("\"number\": \"0305551234\"", "\"number\": 305551234", "field=number: want a string",
		   NULL);
}

Test(realmctl_doc, tunnel_realm_without_lns_is_refused)
{
	expect_bad("\"mode\": \"local\"", "\"mode\": \"tunnel\"",
		   "realm=local.example field=lns: mode tunnel needs at least one LNS", NULL);
}

Test(realmctl_doc, every_error_is_reported_not_just_the_first)
{
	struct parsed p;
	char *a = mutate("\"preference\": 1,", "\"preference\": 70000,");
	char *b;
	const char *at = strstr(a, "\"mode\": \"local\"");

	cr_assert_not_null(at);
	b = malloc(strlen(a) + 8);
	memcpy(b, a, (size_t)(at - a));
	strcpy(b + (at - a), "\"mode\": \"nope\"");
	strcat(b, at + strlen("\"mode\": \"local\""));
	parse(&p, b, NULL, 0);
	cr_assert_eq(p.rc, -1);
	cr_assert(has_err(&p, "field=preference", NULL));
	cr_assert(has_err(&p, "field=mode value=\"nope\"", NULL));
	parsed_free(&p);
	free(a);
	free(b);
}

Test(realmctl_doc, malformed_json_and_wrong_shapes)
{
	struct parsed p;

	parse(&p, "{ \"realms\": [ ", NULL, 0);
	cr_assert_eq(p.rc, -1);
	cr_assert(has_err(&p, "json: line 1", NULL));
	parsed_free(&p);

	parse(&p, "[1]", NULL, 0);
	cr_assert(has_err(&p, "must be an object", NULL));
	parsed_free(&p);

	parse(&p, "{ \"schema\": 2, \"realms\": {}, \"extra\": 1 }", NULL, 0);
	cr_assert(has_err(&p, "field=schema: want 1", NULL));
	cr_assert(has_err(&p, "field=realms: want an array, got an object", NULL));
	cr_assert(has_err(&p, "field=extra: unknown top-level key", NULL));
	parsed_free(&p);

	parse(&p, "{ \"realms\": [ 5, { \"mode\": \"local\" } ] }", NULL, 0);
	cr_assert(has_err(&p, "want an object, got an integer", "$.realms[0]", NULL));
	cr_assert(has_err(&p, "field=name: missing", "$.realms[1].name", NULL));
	parsed_free(&p);

	parse(&p, "{}", NULL, 0);
	cr_assert_eq(p.rc, 0, "an empty document is valid (it changes nothing)");
	parsed_free(&p);
}

Test(realmctl_doc, secret_with_nul_is_refused)
{
	/* refused by the JSON reader itself, with line and column */
	expect_bad("\"secret\": \"other\"", "\"secret\": \"a\\u0000b\"", "json: line 10", "\\u0000",
		   NULL);
}

Test(realmctl_doc, json_round_trip_is_stable)
{
	struct parsed p, q;
	struct realmctl_errs errs = { 0 };
	char *once, *twice;

	parse(&p, good_doc, NULL, 0);
	cr_assert_eq(p.rc, 0);
	realmctl_doc_sort(&p.doc);
	once = realmctl_doc_to_json(&p.doc, &errs);
	cr_assert_not_null(once);
	cr_assert_not_null(strstr(once, "\"endpoint\": \"[2001:db8::2]:1702\""), "%s", once);
	cr_assert_not_null(strstr(once, "\"verify_password\": true"), "%s", once);
	cr_assert_null(strstr(once, "\"policy\": \"preference\""),
		       "fields that were not set stay unset: %s", once);
	parse(&q, once, NULL, 0);
	dump(&q);
	cr_assert_eq(q.rc, 0);
	realmctl_doc_sort(&q.doc);
	twice = realmctl_doc_to_json(&q.doc, &errs);
	cr_assert_str_eq(once, twice);
	/* sorted by name: "*.wild.example" < "blocked.example" < "corp.example" */
	cr_assert_str_eq(q.doc.realms[0].name, "*.wild.example");
	cr_assert_str_eq(q.doc.realms[2].name, "corp.example");
	free(once);
	free(twice);
	parsed_free(&p);
	parsed_free(&q);
}

Test(realmctl_doc, redis_string_fields_are_checked_like_json)
{
	struct realmctl_doc doc;
	struct realmctl_errs errs = { 0 };
	struct realmctl_realm *r;
	struct realmctl_lns *l;

	realmctl_doc_init(&doc);
	r = realmctl_doc_add_realm(&doc, "corp.example", "key realm:corp.example", &errs);
	cr_assert_not_null(r);
	cr_assert_eq(realmctl_realm_set(r, "mode", "tunnel", 6, "key realm:corp.example", 0, &errs), 0);
	cr_assert_eq(realmctl_realm_set(r, "future_field", "x", 1, "key realm:corp.example", 0, &errs), 0,
		     "unknown fields in Redis are tolerated (a newer realmctl may add some)");
	l = realmctl_realm_add_lns(r, "lns1", "key lns:corp.example:lns1", &errs);
	cr_assert_eq(realmctl_lns_set(r, l, "endpoint", "1.2.3", 5, "key lns:corp.example:lns1", 0,
				      &errs), -1);
	cr_assert_eq(errs.n, 1);
	cr_assert_not_null(strstr(errs.msg[0], "realm=corp.example lns=lns1 field=endpoint value=\"1.2.3\""));
	cr_assert_not_null(strstr(errs.msg[0], "(at key lns:corp.example:lns1)"));
	realmctl_lns_set(r, l, "secret", "s", 1, "k", 0, &errs);
	cr_assert_eq(realmctl_doc_check(&doc, NULL, 0, &errs), 0,
		     "a bad field is not reported again as missing");
	realmctl_errs_free(&errs);
	realmctl_doc_free(&doc);
}

/* ---- Redis URL ---- */

Test(redis_url, tcp_forms)
{
	struct redis_url u;
	char err[256];

	cr_assert_eq(redis_url_parse("redis://127.0.0.1", &u, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(u.kind, REDIS_URL_TCP);
	cr_assert_str_eq(u.host, "127.0.0.1");
	cr_assert_eq(u.port, 6379);
	cr_assert_eq(u.db, 0);
	cr_assert_eq(u.has_password, 0);

	cr_assert_eq(redis_url_parse("redis://:p%40ss@10.88.1.1:6380/3", &u, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(u.host, "10.88.1.1");
	cr_assert_eq(u.port, 6380);
	cr_assert_eq(u.db, 3);
	cr_assert_eq(u.has_password, 1);
	cr_assert_str_eq(u.user, "");
	cr_assert_str_eq(u.password, "p@ss");

	cr_assert_eq(redis_url_parse("redis://admin:pw@[::1]:7000/", &u, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(u.host, "::1");
	cr_assert_eq(u.port, 7000);
	cr_assert_str_eq(u.user, "admin");
	cr_assert_str_eq(u.password, "pw");

	cr_assert_eq(redis_url_parse("redis://redis.example.net", &u, err, sizeof(err)), 0);
	cr_assert_str_eq(u.host, "redis.example.net");
}

Test(redis_url, unix_forms)
{
	struct redis_url u;
	char err[256], desc[256];

	cr_assert_eq(redis_url_parse("unix:///run/redis/redis.sock", &u, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(u.kind, REDIS_URL_UNIX);
	cr_assert_str_eq(u.path, "/run/redis/redis.sock");
	cr_assert_eq(redis_url_parse("unix://:secret@/tmp/r.sock?db=2", &u, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(u.path, "/tmp/r.sock");
	cr_assert_str_eq(u.password, "secret");
	cr_assert_eq(u.db, 2);
	redis_url_describe(&u, desc, sizeof(desc));
	cr_assert_str_eq(desc, "unix:///tmp/r.sock?db=2");
	cr_assert_null(strstr(desc, "secret"));
}

Test(redis_url, bad_forms_are_refused_without_echoing_the_password)
{
	static const char *const bad[] = {
		"", "127.0.0.1:6379", "http://127.0.0.1", "redis://", "redis://:6379",
		"redis://host:0", "redis://host:65536", "redis://host:x", "redis://host/db",
		"redis://[::1", "redis://[::1]x", "redis://pw@host", "redis://:a%zzb@host",
		"redis://:a%00b@host", "redis://:a%4@host", "unix://", "unix://relative/path",
		"unix:///tmp/s?x=1", "unix:///tmp/s?db=-1",
	};
	struct redis_url u;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(redis_url_parse(bad[i], &u, err, sizeof(err)), -1, "accepted \"%s\"", bad[i]);
		cr_assert_neq(err[0], '\0', "no message for \"%s\"", bad[i]);
	}
	cr_assert_eq(redis_url_parse("redis://:topsecret@host:99999", &u, err, sizeof(err)), -1);
	cr_assert_null(strstr(err, "topsecret"), "%s", err);
}
