/* realm_sentinel: the sentinel:// URL, the replies of SENTINEL
 * get-master-addr-by-name and ROLE, the +switch-master message. No server. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "realm_sentinel.h"
#include "redis_reply_arena.h"

static void setup(void)
{
	reply_arena_reset();
}

TestSuite(realm_sentinel, .init = setup);

Test(realm_sentinel, url_with_three_sentinels_and_a_master_name)
{
	struct realm_sentinel_conf c;
	char err[200] = "";

	cr_assert_eq(realm_sentinel_parse("sentinel://10.0.0.1:26379,10.0.0.2:26380,s3.example/mymaster",
					  &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.n, 3);
	cr_expect_str_eq(c.sentinel[0].host, "10.0.0.1");
	cr_expect_eq(c.sentinel[0].port, 26379);
	cr_expect_str_eq(c.sentinel[1].host, "10.0.0.2");
	cr_expect_eq(c.sentinel[1].port, 26380);
	cr_expect_str_eq(c.sentinel[2].host, "s3.example");
	cr_expect_eq(c.sentinel[2].port, REALM_SENTINEL_DEFAULT_PORT);
	cr_expect_str_eq(c.master, "mymaster");
	cr_expect_eq(c.has_password, 0);
	cr_expect_eq(c.db, 0);
}

Test(realm_sentinel, url_with_ipv6_credentials_and_database)
{
	struct realm_sentinel_conf c;
	char err[200] = "", desc[300];

	cr_assert_eq(realm_sentinel_parse("sentinel://u:p%40ss@[::1]:5000,[fd00::2]/realm-lns.1/3",
					  &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.n, 2);
	cr_expect_str_eq(c.sentinel[0].host, "::1");
	cr_expect_eq(c.sentinel[0].port, 5000);
	cr_expect_str_eq(c.sentinel[1].host, "fd00::2");
	cr_expect_eq(c.sentinel[1].port, 26379);
	cr_expect_str_eq(c.master, "realm-lns.1");
	cr_expect_str_eq(c.user, "u");
	cr_expect_str_eq(c.password, "p@ss");
	cr_expect_eq(c.has_password, 1);
	cr_expect_eq(c.db, 3);
	realm_sentinel_describe(&c, desc, sizeof(desc));
	/* no credentials in what is logged */
	cr_expect_str_eq(desc, "sentinel://[::1]:5000,[fd00::2]:26379/realm-lns.1/3");
	cr_expect(realm_sentinel_is_url("sentinel://x/y"));
	cr_expect(!realm_sentinel_is_url("redis://x"));
	cr_expect(!realm_sentinel_is_url(NULL));
}

Test(realm_sentinel, url_with_eight_sentinels_is_the_limit)
{
	struct realm_sentinel_conf c;
	char err[200] = "";

	cr_expect_eq(realm_sentinel_parse("sentinel://a:1,a:2,a:3,a:4,a:5,a:6,a:7,a:8/m", &c, err,
					  sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.n, 8);
	cr_expect_eq(realm_sentinel_parse("sentinel://a:1,a:2,a:3,a:4,a:5,a:6,a:7,a:8,a:9/m", &c, err,
					  sizeof(err)), -1);
	cr_expect(strstr(err, "more than 8 sentinels"), "%s", err);
}

/* Every malformed form is refused, each with its own message. */
Test(realm_sentinel, malformed_urls_are_refused_with_a_clear_message)
{
	static const struct { const char *url, *msg; } bad[] = {
		{ "", "want sentinel://" },
		{ "redis://127.0.0.1:6379", "want sentinel://" },
		{ "Sentinel://h/m", "want sentinel://" },
		{ "sentinel:/h/m", "want sentinel://" },
		{ "sentinel://h:26379", "no master name" },
		{ "sentinel:///m", "no sentinel address" },
		{ "sentinel://h/", "empty master name" },
		{ "sentinel://h//3", "empty master name" },
		{ "sentinel://h,,i/m", "sentinel 2 is empty" },
		{ "sentinel://h,/m", "sentinel 2 is empty" },
		{ "sentinel://,h/m", "sentinel 1 is empty" },
		{ "sentinel://h:/m", "port must be 1..65535" },
		{ "sentinel://h:0/m", "port must be 1..65535" },
		{ "sentinel://h:65536/m", "port must be 1..65535" },
		{ "sentinel://h:12ab/m", "port must be 1..65535" },
		{ "sentinel://h:-1/m", "port must be 1..65535" },
		{ "sentinel://:26379/m", "missing or over-long host" },
		{ "sentinel://[]:26379/m", "missing or over-long host" },
		{ "sentinel://::1:26379/m", "needs brackets" },
		{ "sentinel://[::1/m", "'[' without ']'" },
		{ "sentinel://[::1]x/m", "junk after ']'" },
		{ "sentinel://[h.example]:1/m", "must hold an IPv6 address" },
		{ "sentinel://h_st$/m", "bad character '$' in host" },
		{ "sentinel://h:1,h:1/m", "sentinel 2 repeats sentinel 1" },
		{ "sentinel://h/my master", "no query, fragment or blank" },
		{ "sentinel://h/m?db=1", "no query, fragment or blank" },
		{ "sentinel://h/m#x", "no query, fragment or blank" },
		{ "sentinel://h/m*", "master name may only hold" },
		{ "sentinel://h/m:x", "master name may only hold" },
		{ "sentinel://h/m/", "database must be a number" },
		{ "sentinel://h/m/x", "database must be a number" },
		{ "sentinel://h/m/1/2", "database must be a number" },
		{ "sentinel://h/m/99999999999", "database must be a number" },
		{ "sentinel://pass@h/m", "credentials must be" },
		{ "sentinel://:p%4@h/m", "bad percent-encoding" },
		{ "sentinel://:p%00@h/m", "bad percent-encoding" },
		{ "sentinel://:p%zz@h/m", "bad percent-encoding" },
		{ "sentinel://:secret@/m", "no sentinel address" },
	};
	struct realm_sentinel_conf c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[200] = "";
		cr_expect_eq(realm_sentinel_parse(bad[i].url, &c, err, sizeof(err)), -1, "accepted \"%s\"",
			     bad[i].url);
		cr_expect(strncmp(err, "sentinel url: ", 14) == 0, "\"%s\": %s", bad[i].url, err);
		cr_expect(strstr(err, bad[i].msg) != NULL, "\"%s\": got \"%s\", want \"%s\"", bad[i].url,
			  err, bad[i].msg);
		cr_expect(strstr(err, "secret") == NULL, "\"%s\": password echoed: %s", bad[i].url, err);
	}
}

Test(realm_sentinel, over_long_host_and_master_name_are_refused)
{
	char url[600], err[200];
	struct realm_sentinel_conf c;

	snprintf(url, sizeof(url), "sentinel://%0256d/m", 0);
	cr_expect_eq(realm_sentinel_parse(url, &c, err, sizeof(err)), -1);
	cr_expect(strstr(err, "over-long host"), "%s", err);
	snprintf(url, sizeof(url), "sentinel://h/%065d", 0);
	cr_expect_eq(realm_sentinel_parse(url, &c, err, sizeof(err)), -1);
	cr_expect(strstr(err, "master name longer than 64"), "%s", err);
	snprintf(url, sizeof(url), "sentinel://h/%064d", 0);
	cr_expect_eq(realm_sentinel_parse(url, &c, err, sizeof(err)), 0, "%s", err);
	/* no room for a message is no crash */
	cr_expect_eq(realm_sentinel_parse("junk", &c, NULL, 0), -1);
}

Test(realm_sentinel, master_reply_gives_host_and_port)
{
	char host[64], err[100];
	int port = 0;

	cr_expect_eq(realm_sentinel_parse_master_reply(rarr(2, rstr("10.1.2.3"), rstr("6380")), host,
						       sizeof(host), &port, err, sizeof(err)), 0);
	cr_expect_str_eq(host, "10.1.2.3");
	cr_expect_eq(port, 6380);
}

Test(realm_sentinel, master_reply_refuses_nil_errors_and_other_shapes)
{
	char host[8], err[100];
	int port;
	redisReply nil = { .type = REDIS_REPLY_NIL };

	cr_expect_eq(realm_sentinel_parse_master_reply(&nil, host, sizeof(host), &port, err, sizeof(err)), -1);
	cr_expect(strstr(err, "does not know this master"), "%s", err);
	cr_expect_eq(realm_sentinel_parse_master_reply(rerr("ERR unknown command"), host, sizeof(host),
						       &port, err, sizeof(err)), -1);
	cr_expect(strstr(err, "ERR unknown command"), "%s", err);
	cr_expect_eq(realm_sentinel_parse_master_reply(NULL, host, sizeof(host), &port, err, sizeof(err)), -1);
	cr_expect_eq(realm_sentinel_parse_master_reply(rarr(1, rstr("h")), host, sizeof(host), &port, err,
						       sizeof(err)), -1);
	cr_expect_eq(realm_sentinel_parse_master_reply(rarr(2, rstr("h"), rnum(6379)), host, sizeof(host),
						       &port, err, sizeof(err)), -1);
	cr_expect_eq(realm_sentinel_parse_master_reply(rarr(2, rstr("h"), rstr("0")), host, sizeof(host),
						       &port, err, sizeof(err)), -1);
	cr_expect(strstr(err, "bad port"), "%s", err);
	cr_expect_eq(realm_sentinel_parse_master_reply(rarr(2, rstr(""), rstr("1")), host, sizeof(host),
						       &port, err, sizeof(err)), -1);
	/* a host that does not fit the caller's buffer */
	cr_expect_eq(realm_sentinel_parse_master_reply(rarr(2, rstr("12345678"), rstr("1")), host,
						       sizeof(host), &port, err, sizeof(err)), -1);
}

Test(realm_sentinel, role_reply_says_master_or_not)
{
	cr_expect_eq(realm_sentinel_parse_role_reply(rarr(3, rstr("master"), rnum(10), rarr(0))), 1);
	cr_expect_eq(realm_sentinel_parse_role_reply(rarr(5, rstr("slave"), rstr("10.0.0.1"), rnum(6379),
							  rstr("connected"), rnum(10))), 0);
	cr_expect_eq(realm_sentinel_parse_role_reply(rarr(2, rstr("sentinel"), rarr(0))), 0);
	cr_expect_eq(realm_sentinel_parse_role_reply(rarr(1, rstr("masters"))), 0);
	cr_expect_eq(realm_sentinel_parse_role_reply(rerr("ERR unknown command 'ROLE'")), -1);
	cr_expect_eq(realm_sentinel_parse_role_reply(rarr(0)), -1);
	cr_expect_eq(realm_sentinel_parse_role_reply(NULL), -1);
}

Test(realm_sentinel, switch_master_message_for_our_master_only)
{
	char host[64];
	int port = 0;
	const char *m = "mymaster 127.0.0.1 6379 127.0.0.1 6380";

	cr_expect_eq(realm_sentinel_parse_switch(m, strlen(m), "mymaster", host, sizeof(host), &port), 1);
	cr_expect_str_eq(host, "127.0.0.1");
	cr_expect_eq(port, 6380);
	cr_expect_eq(realm_sentinel_parse_switch(m, strlen(m), "other", host, sizeof(host), &port), 0);
	cr_expect_eq(realm_sentinel_parse_switch(m, strlen(m), "mymaste", host, sizeof(host), &port), 0);
	m = "mymaster 127.0.0.1 6379 127.0.0.1";
	cr_expect_eq(realm_sentinel_parse_switch(m, strlen(m), "mymaster", host, sizeof(host), &port), -1);
	m = "mymaster 127.0.0.1 6379 127.0.0.1 6380 x";
	cr_expect_eq(realm_sentinel_parse_switch(m, strlen(m), "mymaster", host, sizeof(host), &port), -1);
	m = "mymaster  127.0.0.1 6379 127.0.0.1 6380";
	cr_expect_eq(realm_sentinel_parse_switch(m, strlen(m), "mymaster", host, sizeof(host), &port), -1);
	m = "mymaster 127.0.0.1 6379 127.0.0.1 6380 ";
	cr_expect_eq(realm_sentinel_parse_switch(m, strlen(m), "mymaster", host, sizeof(host), &port), -1);
	m = "mymaster 127.0.0.1 6379 127.0.0.1 70000";
	cr_expect_eq(realm_sentinel_parse_switch(m, strlen(m), "mymaster", host, sizeof(host), &port), -1);
	cr_expect_eq(realm_sentinel_parse_switch("", 0, "mymaster", host, sizeof(host), &port), -1);
}

/* No sentinel listens on the port: the query fails within its budget, says
 * why, and a caller right after does not ask again. */
Test(realm_sentinel, unreachable_sentinels_fail_within_the_budget)
{
	struct realm_sentinel_conf c;
	struct realm_sentinel *s;
	char host[64], why[200], err[200];
	int port;

	cr_assert_eq(realm_sentinel_parse("sentinel://127.0.0.1:1,127.0.0.1:2/m", &c, err, sizeof(err)), 0);
	s = realm_sentinel_new(&c, 50, NULL, NULL);
	cr_assert(s);
	cr_expect_eq(realm_sentinel_get(s, 100, 0, host, sizeof(host), &port, NULL, why, sizeof(why)), -1);
	cr_expect(strstr(why, "sentinel 127.0.0.1:"), "%s", why);
	cr_expect_eq(realm_sentinel_get(s, 100, 0, host, sizeof(host), &port, NULL, why, sizeof(why)), -1);
	cr_expect_eq(realm_sentinel_generation(s), 1);
	realm_sentinel_free(s);
}
