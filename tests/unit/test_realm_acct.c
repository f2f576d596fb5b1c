/* realm_acct: status mapping, identity checks, EVALSHA argv and the script's reply. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "realm_acct.h"
#include "redis_reply_arena.h"

static void setup(void)
{
	reply_arena_reset();
}

static const struct realm_name_opts opts = { "@", "/\\", REALM_SEARCH_DOMAIN_FIRST, 1 };
static const char sha[] = "0123456789012345678901234567890123456789";

/* argv[i] as a NUL-terminated string for comparisons */
static const char *arg(const char **argv, const size_t *argvlen, int i)
{
	static char buf[8][300];
	static unsigned next;
	char *b = buf[next++ % 8];
	memcpy(b, argv[i], argvlen[i]);
	b[argvlen[i]] = '\0';
	return b;
}

TestSuite(realm_acct, .init = setup);

Test(realm_acct, status_types_map_to_operations_rfc2866_5_1)
{
	cr_expect_eq(realm_acct_op_from_status(1), REALM_ACCT_OP_START);
	cr_expect_eq(realm_acct_op_from_status(2), REALM_ACCT_OP_STOP);
	cr_expect_eq(realm_acct_op_from_status(3), REALM_ACCT_OP_INTERIM);
	cr_expect_eq(realm_acct_op_from_status(7), REALM_ACCT_OP_NAS_RESET);
	cr_expect_eq(realm_acct_op_from_status(8), REALM_ACCT_OP_NAS_RESET);
	/* RFC 2867 4.1: the two reject types mark the LNS unhealthy */
	cr_expect_eq(realm_acct_op_from_status(11), REALM_ACCT_OP_REJECT);
	cr_expect_eq(realm_acct_op_from_status(14), REALM_ACCT_OP_REJECT);
	/* the other tunnel and link types, Failed, junk: no effect on counts */
	for (uint32_t t = 9; t <= 15; t++)
		if (t != 11 && t != 14)
			cr_expect_eq(realm_acct_op_from_status(t), REALM_ACCT_OP_NONE, "type %u", t);
	cr_expect_eq(realm_acct_op_from_status(0), REALM_ACCT_OP_NONE);
	cr_expect_eq(realm_acct_op_from_status(4), REALM_ACCT_OP_NONE);
	cr_expect_eq(realm_acct_op_from_status(0xffffffffu), REALM_ACCT_OP_NONE);
}

Test(realm_acct, names_for_logs)
{
	cr_expect_str_eq(realm_acct_op_str(REALM_ACCT_OP_NAS_RESET), "nas_reset");
	cr_expect_str_eq(realm_acct_op_str((enum realm_acct_op)99), "invalid");
	cr_expect_str_eq(realm_acct_outcome_str(REALM_ACCT_RECREATED), "recreated");
	cr_expect_str_eq(realm_acct_outcome_str(REALM_ACCT_OUTCOME_COUNT), "invalid");
}

Test(realm_acct, nas_identity_is_key_safe)
{
	cr_expect_eq(realm_acct_check_nas("10.88.1.2"), 0);
	cr_expect_eq(realm_acct_check_nas("2001:db8::1"), 0);
	cr_expect_eq(realm_acct_check_nas("lac-1.pop_a"), 0);
	cr_expect_eq(realm_acct_check_nas(""), -1);
	cr_expect_eq(realm_acct_check_nas("lac/1"), -1, "'/' separates NAS and session id");
	cr_expect_eq(realm_acct_check_nas("lac 1"), -1);
	cr_expect_eq(realm_acct_check_nas("lac\xc3\xa9"), -1);
	char longest[REALM_ACCT_NAS_MAX + 2];
	memset(longest, 'a', sizeof(longest));
	longest[REALM_ACCT_NAS_MAX] = '\0';
	cr_expect_eq(realm_acct_check_nas(longest), 0);
	longest[REALM_ACCT_NAS_MAX] = 'a';
	longest[REALM_ACCT_NAS_MAX + 1] = '\0';
	cr_expect_eq(realm_acct_check_nas(longest), -1);
}

Test(realm_acct, session_id_is_printable_and_bounded)
{
	char big[REALM_ACCT_SESSION_ID_MAX + 1];

	cr_expect_eq(realm_acct_check_session_id("0000002A", 8), 0);
	cr_expect_eq(realm_acct_check_session_id("a b/c:d", 7), 0);
	cr_expect_eq(realm_acct_check_session_id("", 0), -1);
	cr_expect_eq(realm_acct_check_session_id("a\0b", 3), -1);
	cr_expect_eq(realm_acct_check_session_id("a\nb", 3), -1);
	cr_expect_eq(realm_acct_check_session_id("\x7f", 1), -1);
	memset(big, 'x', sizeof(big));
	cr_expect_eq(realm_acct_check_session_id(big, REALM_ACCT_SESSION_ID_MAX), 0);
	cr_expect_eq(realm_acct_check_session_id(big, REALM_ACCT_SESSION_ID_MAX + 1), -1);
}

Test(realm_acct, start_argv_carries_candidates_then_session)
{
	struct realm_name rn;
	struct realm_acct_req req = {
		.op = REALM_ACCT_OP_START, .nas = "10.88.1.2",
		.session_id = "5f3a-1", .session_id_len = 6,
		.endpoint = "10.88.2.2", .assignment_id = "corp-lns1", .assignment_id_len = 9,
		.ttl_s = 7200,
	};
	char buf[4096];
	const char *argv[32];
	size_t argvlen[32];
	int argc;

	realm_name_parse(&opts, "joe@a.corp.example", 18, "555", 3, &rn);
	argc = realm_acct_argv(&req, &rn, sha, buf, sizeof(buf), argv, argvlen, 32);
	cr_assert_eq(argc, 3 + 4 + 7);
	cr_expect_str_eq(arg(argv, argvlen, 0), "EVALSHA");
	cr_expect_str_eq(arg(argv, argvlen, 1), sha);
	cr_expect_str_eq(arg(argv, argvlen, 2), "4");
	cr_expect_str_eq(arg(argv, argvlen, 3), "realm:a.corp.example");
	cr_expect_str_eq(arg(argv, argvlen, 4), "realm:*.corp.example");
	cr_expect_str_eq(arg(argv, argvlen, 5), "realm:*.example");
	cr_expect_str_eq(arg(argv, argvlen, 6), "dnis:555");
	cr_expect_str_eq(arg(argv, argvlen, 7), "start");
	cr_expect_str_eq(arg(argv, argvlen, 8), "10.88.1.2");
	cr_expect_str_eq(arg(argv, argvlen, 9), "5f3a-1");
	cr_expect_str_eq(arg(argv, argvlen, 10), "10.88.2.2");
	cr_expect_str_eq(arg(argv, argvlen, 11), "corp-lns1");
	cr_expect_str_eq(arg(argv, argvlen, 12), "7200");
}

Test(realm_acct, session_id_passed_by_length_not_terminator)
{
	struct realm_acct_req req = {
		.op = REALM_ACCT_OP_STOP, .nas = "lac1", .session_id = "abcdef", .session_id_len = 3,
		.endpoint = "", .assignment_id = "", .ttl_s = 60,
	};
	char buf[64];
	const char *argv[16];
	size_t argvlen[16];
	int argc;

	argc = realm_acct_argv(&req, NULL, sha, buf, sizeof(buf), argv, argvlen, 16);
	cr_assert_eq(argc, 10, "no candidate keys: numkeys 0");
	cr_expect_str_eq(arg(argv, argvlen, 2), "0");
	cr_expect_str_eq(arg(argv, argvlen, 3), "stop");
	cr_expect_str_eq(arg(argv, argvlen, 5), "abc");
	cr_expect_eq(argvlen[6], 0);
	cr_expect_eq(argvlen[7], 0);
	cr_expect_str_eq(arg(argv, argvlen, 8), "60");
}

Test(realm_acct, nas_reset_needs_no_session)
{
	struct realm_acct_req req = { .op = REALM_ACCT_OP_NAS_RESET, .nas = "10.88.1.2", .ttl_s = 1 };
	char buf[64];
	const char *argv[16];
	size_t argvlen[16];
	int argc;

	argc = realm_acct_argv(&req, NULL, sha, buf, sizeof(buf), argv, argvlen, 16);
	cr_assert_eq(argc, 10);
	cr_expect_str_eq(arg(argv, argvlen, 3), "nas_reset");
	cr_expect_str_eq(arg(argv, argvlen, 4), "10.88.1.2");
	cr_expect_eq(argvlen[5] + argvlen[6] + argvlen[7], 0);
}

Test(realm_acct, invalid_requests_and_small_buffers_refused)
{
	struct realm_name rn;
	struct realm_acct_req ok = {
		.op = REALM_ACCT_OP_INTERIM, .nas = "lac1", .session_id = "s", .session_id_len = 1,
		.endpoint = "10.0.0.1", .assignment_id = "", .ttl_s = 10,
	};
	struct realm_acct_req bad;
	char buf[4096];
	const char *argv[32];
	size_t argvlen[32];

	realm_name_parse(&opts, "joe@a.example", 13, NULL, 0, &rn);
	cr_expect_eq(realm_acct_argv(&ok, &rn, sha, buf, sizeof(buf), argv, argvlen, 32), 12);
	bad = ok;
	bad.op = REALM_ACCT_OP_NONE;
	cr_expect_eq(realm_acct_argv(&bad, &rn, sha, buf, sizeof(buf), argv, argvlen, 32), -1);
	bad = ok;
	bad.nas = "a/b";
	cr_expect_eq(realm_acct_argv(&bad, &rn, sha, buf, sizeof(buf), argv, argvlen, 32), -1);
	bad = ok;
	bad.ttl_s = 0;
	cr_expect_eq(realm_acct_argv(&bad, &rn, sha, buf, sizeof(buf), argv, argvlen, 32), -1);
	bad.ttl_s = REALM_ACCT_TTL_MAX + 1;
	cr_expect_eq(realm_acct_argv(&bad, &rn, sha, buf, sizeof(buf), argv, argvlen, 32), -1);
	bad = ok;
	bad.session_id_len = 0;
	cr_expect_eq(realm_acct_argv(&bad, &rn, sha, buf, sizeof(buf), argv, argvlen, 32), -1);
	bad = ok;
	bad.endpoint = NULL;
	cr_expect_eq(realm_acct_argv(&bad, &rn, sha, buf, sizeof(buf), argv, argvlen, 32), -1);
	/* capacities: argv slots, then every buffer size below what is needed */
	cr_expect_eq(realm_acct_argv(&ok, &rn, sha, buf, sizeof(buf), argv, argvlen, 11), -1);
	/* "2\0" "realm:a.example\0" "realm:*.example\0" "10\0" "0\0": 39 bytes */
	for (size_t len = 0; len < 39; len++)
		cr_expect_eq(realm_acct_argv(&ok, &rn, sha, buf, len, argv, argvlen, 32), -1,
			     "buflen %zu", len);
	cr_expect_eq(realm_acct_argv(&ok, &rn, sha, buf, 39, argv, argvlen, 32), 12);
}

Test(realm_acct, script_uses_the_documented_keys)
{
	cr_expect(strstr(realm_acct_script, "'" REALM_ACCT_KEY_PREFIX "'") != NULL);
	cr_expect(strstr(realm_acct_script, "'" REALM_ACCT_SESSIONS_PREFIX "'") != NULL);
	cr_expect(strstr(realm_acct_script, "'" REALM_ACCT_NAS_PREFIX "'") != NULL);
	/* every outcome word the parser knows is one the script can return */
	for (int i = 0; i < REALM_ACCT_OUTCOME_COUNT; i++) {
		char quoted[32];
		snprintf(quoted, sizeof(quoted), "'%s'", realm_acct_outcome_str((enum realm_acct_outcome)i));
		cr_expect(strstr(realm_acct_script, quoted) != NULL, "%s", quoted);
	}
}

Test(realm_acct, reply_parsed)
{
	struct realm_acct_result res;

	cr_assert_eq(realm_acct_parse(rarr(3, rstr("started"), rstr("lns:corp.example:lns1"), rnum(3)),
				      &res), 0);
	cr_expect_eq(res.outcome, REALM_ACCT_STARTED);
	cr_expect_str_eq(res.lns_key, "lns:corp.example:lns1");
	cr_expect_eq(res.count, 3);
	cr_assert_eq(realm_acct_parse(rarr(3, rstr("no_realm"), rstr(""), rnum(-1)), &res), 0);
	cr_expect_eq(res.outcome, REALM_ACCT_NO_REALM);
	cr_expect_str_eq(res.lns_key, "");
	cr_expect_eq(res.count, -1);
	cr_assert_eq(realm_acct_parse(rarr(3, rstr("cleared"), rstr(""), rnum(12)), &res), 0);
	cr_expect_eq(res.outcome, REALM_ACCT_CLEARED);
	cr_expect_eq(res.count, 12);
}

Test(realm_acct, malformed_replies_refused)
{
	struct realm_acct_result res;
	char longkey[REALM_ACCT_LNS_KEY_MAX + 2];
	redisReply *nul;

	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	cr_expect_eq(realm_acct_parse(NULL, &res), -1);
	cr_expect_eq(realm_acct_parse(rerr("ERR boom"), &res), -1);
	cr_expect_eq(realm_acct_parse(rarr(0), &res), -1);
	cr_expect_eq(realm_acct_parse(rarr(2, rstr("started"), rstr("k")), &res), -1);
	cr_expect_eq(realm_acct_parse(rarr(3, rstr("begun"), rstr("k"), rnum(1)), &res), -1);
	cr_expect_eq(realm_acct_parse(rarr(3, rstr("start"), rstr("k"), rnum(1)), &res), -1,
		     "a prefix of an outcome word is not that word");
	cr_expect_eq(realm_acct_parse(rarr(3, rnum(1), rstr("k"), rnum(1)), &res), -1);
	cr_expect_eq(realm_acct_parse(rarr(3, rstr("started"), rnum(1), rnum(1)), &res), -1);
	cr_expect_eq(realm_acct_parse(rarr(3, rstr("started"), rstr("k"), rstr("1")), &res), -1);
	cr_expect_eq(realm_acct_parse(rarr(3, rstr("started"), rstr(longkey), rnum(1)), &res), -1);
	nul = rstr("lns:a:b");
	nul->str = (char *)"lns\0a:b";
	cr_expect_eq(realm_acct_parse(rarr(3, rstr("started"), nul, rnum(1)), &res), -1);
	cr_expect_eq(res.count, -1, "a refused reply leaves no stale count");
}

/* A Tunnel-Reject replayed late from a LAC's spool marks the LNS only for
 * what is left of the hold-down since the refusal. */
Test(realm_acct, late_tunnel_reject_gets_what_is_left_of_the_hold_down)
{
	cr_expect_eq(realm_acct_reject_hold_left(60, 0), 60);
	cr_expect_eq(realm_acct_reject_hold_left(60, 45), 15);
	cr_expect_eq(realm_acct_reject_hold_left(60, 59), 1);
	cr_expect_eq(realm_acct_reject_hold_left(60, 60), 0);
	cr_expect_eq(realm_acct_reject_hold_left(60, 4000000000u), 0);
}
