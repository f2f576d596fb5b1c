/* realm_store: EVALSHA argv and the lookup script's reply, on hand-built replies. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "realm_acct.h"
#include "realm_store.h"
#include "redis_reply_arena.h"

static char warnings[4096];

static void collect(void *ctx, const char *key, const char *msg)
{
	size_t used = strlen(warnings);
	(void)ctx;
	snprintf(warnings + used, sizeof(warnings) - used, "%s %s\n", key, msg);
}

static void setup(void)
{
	reply_arena_reset();
	warnings[0] = '\0';
}

static const struct realm_name_opts opts = { "@", "/\\", REALM_SEARCH_DOMAIN_FIRST, 1 };

TestSuite(realm_store, .init = setup);

Test(realm_store, argv_is_evalsha_sha_numkeys_keys_max)
{
	struct realm_name rn;
	char keybuf[4096];
	const char *argv[16];
	size_t argvlen[16];
	int argc;

	realm_name_parse(&opts, "joe@a.example", 13, "555", 3, &rn);
	argc = realm_store_argv(&rn, "0123456789012345678901234567890123456789", keybuf, sizeof(keybuf),
				argv, argvlen, 16);
	cr_assert_eq(argc, 7);
	cr_expect_str_eq(argv[0], "EVALSHA");
	cr_expect_eq(argvlen[1], 40);
	cr_expect_eq(strncmp(argv[2], "3", argvlen[2]), 0);
	cr_expect_eq(argvlen[3], strlen("realm:a.example"));
	cr_expect_eq(strncmp(argv[3], "realm:a.example", argvlen[3]), 0);
	cr_expect_eq(strncmp(argv[4], "realm:*.example", argvlen[4]), 0);
	cr_expect_eq(strncmp(argv[5], "dnis:555", argvlen[5]), 0);
	cr_expect_eq(strncmp(argv[6], "64", argvlen[6]), 0);
	cr_expect_eq(realm_store_argv(&rn, "x", keybuf, sizeof(keybuf), argv, argvlen, 5), -1);
	cr_expect_eq(realm_store_argv(&rn, "x", keybuf, 20, argv, argvlen, 16), -1);
}

Test(realm_store, script_is_lua_that_reads_keys_in_order)
{
	cr_expect(strstr(realm_store_script, "ipairs(KEYS)") != NULL);
	cr_expect(strstr(realm_store_script, "realm_lns:rr:") != NULL);
}

Test(realm_store, script_recounts_full_lns_from_the_accounting_session_set)
{
	/* the lookup and the accounting script must name the same set */
	cr_expect(strstr(realm_store_script, "'" REALM_ACCT_SESSIONS_PREFIX "'") != NULL);
	cr_expect(strstr(realm_store_script, "ZREMRANGEBYSCORE") != NULL);
}

Test(realm_store, empty_reply_is_not_found)
{
	struct realm_name rn;
	struct realm_lookup lk;
	realm_name_parse(&opts, "joe@a.example", 13, NULL, 0, &rn);
	cr_expect_eq(realm_store_parse(rarr(0), &rn, &lk, collect, NULL), 0);
	cr_expect_eq(lk.found, 0);
}

Test(realm_store, full_reply_parsed_and_bad_lns_skipped)
{
	struct realm_name rn;
	struct realm_lookup lk;
	redisReply *realm, *lns, *r;

	realm_name_parse(&opts, "joe@b.corp.example", 18, NULL, 0, &rn);
	realm = rarr(6, rstr("mode"), rstr("tunnel"), rstr("policy"), rstr("weighted"),
		     rstr("client_auth_id"), rstr("lac1"));
	lns = rarr(8,
		   rstr("l1"), rarr(6, rstr("endpoint"), rstr("192.0.2.1"), rstr("secret"), rstr("s1"),
				    rstr("weight"), rstr("5")),
		   rstr("l2"), rarr(4, rstr("endpoint"), rstr("192.0.2.999"), rstr("secret"), rstr("s2")),
		   rstr("l3"), rarr(2, rstr("endpoint"), rstr("192.0.2.3")),
		   rstr("l4"), rarr(0));
	r = rarr(5, rstr("*.corp.example"), realm, lns, rnum(0), rnum(2));
	cr_assert_eq(realm_store_parse(r, &rn, &lk, collect, NULL), 0);
	cr_expect_eq(lk.found, 1);
	cr_expect_str_eq(lk.realm, "*.corp.example");
	cr_expect_eq(lk.matched, 1);
	cr_expect_eq(rn.cand[lk.matched].kind, REALM_CANDIDATE_WILDCARD);
	cr_expect_eq(lk.conf.policy, REALM_POLICY_WEIGHTED);
	cr_expect_str_eq(lk.conf.client_auth_id, "lac1");
	cr_expect_eq(lk.n_lns, 1);
	cr_expect_eq(lk.n_bad, 3);
	cr_expect_str_eq(lk.lns[0].id, "l1");
	cr_expect_eq(lk.lns[0].weight, 5);
	cr_expect_str_eq(warnings,
		"lns:*.corp.example:l2 field=endpoint value=\"192.0.2.999\": not an IPv4 address (IPv6 with a port needs [addr]:port)\n"
		"lns:*.corp.example:l3 field=secret: missing (Tunnel-Password is required)\n"
		"lns:*.corp.example:l4 missing hash (id in the set but no lns hash)\n");
}

Test(realm_store, invalid_realm_hash_makes_the_realm_unusable)
{
	struct realm_name rn;
	struct realm_lookup lk;
	redisReply *r;

	realm_name_parse(&opts, "joe@corp.example", 16, NULL, 0, &rn);
	r = rarr(5, rstr("corp.example"), rarr(2, rstr("mode"), rstr("tunel")), rarr(0), rnum(0), rnum(1));
	cr_expect_eq(realm_store_parse(r, &rn, &lk, collect, NULL), -1);
	cr_expect_str_eq(warnings,
		"realm:corp.example field=mode value=\"tunel\": want tunnel, local or reject\n");
	setup();
	r = rarr(5, rstr("corp.example"), rarr(2, rstr("policy"), rstr("weighted")), rarr(0), rnum(0), rnum(1));
	cr_expect_eq(realm_store_parse(r, &rn, &lk, collect, NULL), -1);
	cr_expect_str_eq(warnings, "realm:corp.example field=mode: missing (tunnel, local or reject)\n");
}

Test(realm_store, malformed_replies_are_errors)
{
	struct realm_name rn;
	struct realm_lookup lk;

	realm_name_parse(&opts, "joe@corp.example", 16, NULL, 0, &rn);
	cr_expect_eq(realm_store_parse(NULL, &rn, &lk, collect, NULL), -1);
	cr_expect_eq(realm_store_parse(rstr("x"), &rn, &lk, collect, NULL), -1);
	cr_expect_eq(realm_store_parse(rarr(3, rstr("a"), rarr(0), rarr(0)), &rn, &lk, collect, NULL), -1);
	/* matched index outside the keys we sent */
	cr_expect_eq(realm_store_parse(rarr(5, rstr("corp.example"), rarr(2, rstr("mode"), rstr("local")),
					    rarr(0), rnum(0), rnum(9)), &rn, &lk, collect, NULL), -1);
	/* a DNIS mapping to something that is not a realm name */
	cr_expect_eq(realm_store_parse(rarr(5, rstr("Not A Realm"), rarr(2, rstr("mode"), rstr("local")),
					    rarr(0), rnum(0), rnum(1)), &rn, &lk, collect, NULL), -1);
	/* wrong element types */
	cr_expect_eq(realm_store_parse(rarr(5, rstr("corp.example"), rstr("x"), rarr(0), rnum(0), rnum(1)),
				       &rn, &lk, collect, NULL), -1);
	cr_expect_eq(realm_store_parse(rarr(5, rstr("corp.example"), rarr(0), rarr(0), rstr("0"), rnum(1)),
				       &rn, &lk, collect, NULL), -1);
}

Test(realm_store, round_robin_counter_and_odd_arrays_tolerated)
{
	struct realm_name rn;
	struct realm_lookup lk;
	redisReply *r;

	realm_name_parse(&opts, "joe@corp.example", 16, NULL, 0, &rn);
	/* an odd trailing element (never produced by the script) is ignored */
	r = rarr(5, rstr("corp.example"), rarr(3, rstr("mode"), rstr("tunnel"), rstr("policy")),
		 rarr(3, rstr("a"), rarr(4, rstr("endpoint"), rstr("::1"), rstr("secret"), rstr("s")), rstr("b")),
		 rnum(41), rnum(1));
	cr_assert_eq(realm_store_parse(r, &rn, &lk, collect, NULL), 0);
	cr_expect_eq(lk.rr_counter, 41);
	cr_expect_eq(lk.n_lns, 1);
	cr_expect_eq(lk.lns[0].endpoint.family, AF_INET6);
}

Test(realm_store, every_truncation_of_a_reply_is_an_error_not_a_crash)
{
	struct realm_name rn;
	struct realm_lookup lk;
	redisReply *full, *lns_hash, cut;
	size_t n;

	realm_name_parse(&opts, "joe@corp.example", 16, NULL, 0, &rn);
	lns_hash = rarr(4, rstr("endpoint"), rstr("192.0.2.1"), rstr("secret"), rstr("s"));
	full = rarr(5, rstr("corp.example"), rarr(2, rstr("mode"), rstr("tunnel")),
		    rarr(2, rstr("l1"), lns_hash), rnum(0), rnum(1));
	/* the top-level array cut short: 0 elements is "not found", 1..4 malformed */
	for (n = 1; n < full->elements; n++) {
		cut = *full;
		cut.elements = n;
		cr_expect_eq(realm_store_parse(&cut, &rn, &lk, collect, NULL), -1, "%zu elements", n);
	}
	/* an LNS hash cut short loses its required fields: that LNS is skipped */
	for (n = 0; n < lns_hash->elements; n++) {
		redisReply saved = *lns_hash;
		lns_hash->elements = n;
		cr_expect_eq(realm_store_parse(full, &rn, &lk, collect, NULL), 0);
		cr_expect_eq(lk.n_lns, 0, "%zu hash elements", n);
		cr_expect_eq(lk.n_bad, 1);
		*lns_hash = saved;
	}
	cr_expect_eq(realm_store_parse(full, &rn, &lk, collect, NULL), 0);
	cr_expect_eq(lk.n_lns, 1);
}
