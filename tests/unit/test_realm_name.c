/* realm_name: User-Name / Called-Station-Id to candidate Redis keys. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "realm_name.h"

static const struct realm_name_opts defaults = {
	.suffix_delimiters = "@",
	.prefix_delimiters = "/\\",
	.order = REALM_SEARCH_DOMAIN_FIRST,
	.wildcard = 1,
};

/* All candidate keys, space separated. */
static void keys(const struct realm_name_opts *o, const char *user, size_t ulen,
		 const char *dnis, char *out, size_t outlen)
{
	struct realm_name rn;
	char k[REALM_KEY_MAX];
	size_t used = 0;
	unsigned i;

	realm_name_parse(o, user, ulen, dnis, dnis ? strlen(dnis) : 0, &rn);
	out[0] = '\0';
	for (i = 0; i < rn.n; i++) {
		cr_assert_geq(realm_name_key(&rn, i, k, sizeof(k)), 0);
		used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? " " : "", k);
	}
}

static void expect_keys(const char *user, const char *dnis, const char *want)
{
	char got[8192];
	keys(&defaults, user, user ? strlen(user) : 0, dnis, got, sizeof(got));
	cr_expect_str_eq(got, want, "user=\"%s\" dnis=\"%s\"", user ? user : "(null)", dnis ? dnis : "(null)");
}

Test(realm_name, suffix_form_gives_exact_then_wildcard_parents)
{
	expect_keys("joe@corp.example", NULL, "realm:corp.example realm:*.example");
	expect_keys("joe@a.b.example.com", NULL,
		    "realm:a.b.example.com realm:*.b.example.com realm:*.example.com realm:*.com");
	expect_keys("joe@corp", NULL, "realm:corp");
}

Test(realm_name, prefix_forms_slash_and_backslash)
{
	expect_keys("corp.example/joe", NULL, "realm:corp.example realm:*.example");
	expect_keys("corp.example\\joe", NULL, "realm:corp.example realm:*.example");
}

Test(realm_name, suffix_decides_over_prefix)
{
	expect_keys("corp/joe@isp.example", NULL, "realm:isp.example realm:*.example");
}

Test(realm_name, last_suffix_delimiter_splits)
{
	struct realm_name rn;
	const char *u = "joe@inner@outer.example";
	realm_name_parse(&defaults, u, strlen(u), NULL, 0, &rn);
	cr_expect_str_eq(rn.realm, "outer.example");
	cr_expect_eq(rn.user_off, 0);
	cr_expect_eq(rn.user_len, strlen("joe@inner"));
}

Test(realm_name, realm_is_lower_cased)
{
	expect_keys("Joe@CORP.Example", NULL, "realm:corp.example realm:*.example");
}

Test(realm_name, user_part_reported)
{
	struct realm_name rn;
	const char *u = "corp.example/joe";
	realm_name_parse(&defaults, u, strlen(u), NULL, 0, &rn);
	cr_expect_eq(rn.user_off, strlen("corp.example/"));
	cr_expect_eq(rn.user_len, 3);
}

Test(realm_name, malformed_names_give_no_domain_candidate)
{
	expect_keys("@", NULL, "");
	expect_keys("user@", NULL, "");
	expect_keys("@corp.example", NULL, "");
	expect_keys("corp.example/", NULL, "");
	expect_keys("/joe", NULL, "");
	expect_keys("", NULL, "");
	expect_keys(NULL, NULL, "");
	expect_keys("joe", NULL, "");
	expect_keys("joe@corp..example", NULL, "");
	expect_keys("joe@.corp.example", NULL, "");
	expect_keys("joe@corp.example.", NULL, "");
	expect_keys("joe@*.example", NULL, "");
	expect_keys("joe@*", NULL, "");
	expect_keys("joe@corp example", NULL, "");
	expect_keys("joe@corp:example", NULL, "");
}

Test(realm_name, double_at_uses_last_delimiter)
{
	/* "@@x": the user part is "@" (not empty), the realm "x": a defined outcome */
	expect_keys("@@x", NULL, "realm:x");
	expect_keys("@@", NULL, "");
}

Test(realm_name, long_names_are_refused_not_truncated)
{
	char user[400];
	size_t i;

	/* 300-byte realm: longer than a DNS name, no candidate */
	memcpy(user, "joe@", 4);
	for (i = 0; i < 300; i++)
		user[4 + i] = (i % 10 == 9) ? '.' : 'a';
	user[304] = '\0';
	expect_keys(user, NULL, "");

	/* 253 bytes in 63-byte labels is the longest valid realm */
	memcpy(user, "joe@", 4);
	for (i = 0; i < 253; i++)
		user[4 + i] = (i % 64 == 63) ? '.' : 'b';
	user[4 + 253] = '\0';
	{
		struct realm_name rn;
		realm_name_parse(&defaults, user, strlen(user), NULL, 0, &rn);
		cr_expect_eq(strlen(rn.realm), 253);
		cr_expect_eq(rn.n, 4, "exact + 3 parents, got %u", rn.n);
	}
	/* a 64-byte label is refused */
	snprintf(user, sizeof(user), "joe@%s.example",
		 "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc");
	expect_keys(user, NULL, "");
}

Test(realm_name, non_utf8_and_control_bytes_refused)
{
	expect_keys("joe@corp\xff.example", NULL, "");
	expect_keys("joe@c\xc3\xa9.example", NULL, "");
	expect_keys("joe@corp\x01.example", NULL, "");
	/* non-ASCII in the user part does not matter */
	expect_keys("j\xffoe@corp.example", NULL, "realm:corp.example realm:*.example");
}

Test(realm_name, embedded_nul_in_user_name_refused)
{
	char got[256];
	keys(&defaults, "joe@corp\0.example", 17, NULL, got, sizeof(got));
	cr_expect_str_eq(got, "");
}

Test(realm_name, dnis_after_domain_by_default)
{
	expect_keys("joe@corp.example", "5551234", "realm:corp.example realm:*.example dnis:5551234");
	expect_keys("joe", "5551234", "dnis:5551234");
	expect_keys("joe", "00-11-22-33-44-55:ssid", "dnis:00-11-22-33-44-55:ssid");
}

Test(realm_name, search_orders)
{
	struct realm_name_opts o = defaults;
	char got[1024];

	o.order = REALM_SEARCH_DNIS_FIRST;
	keys(&o, "joe@corp.example", 16, "555", got, sizeof(got));
	cr_expect_str_eq(got, "dnis:555 realm:corp.example realm:*.example");
	o.order = REALM_SEARCH_DOMAIN_ONLY;
	keys(&o, "joe@corp.example", 16, "555", got, sizeof(got));
	cr_expect_str_eq(got, "realm:corp.example realm:*.example");
	o.order = REALM_SEARCH_DNIS_ONLY;
	keys(&o, "joe@corp.example", 16, "555", got, sizeof(got));
	cr_expect_str_eq(got, "dnis:555");
}

Test(realm_name, bad_dnis_ignored)
{
	expect_keys("joe", "555 1234", "");
	expect_keys("joe", "\x01", "");
	expect_keys("joe",
		    "01234567890123456789012345678901234567890123456789012345678901234", "");
}

Test(realm_name, wildcard_off_gives_exact_only)
{
	struct realm_name_opts o = defaults;
	char got[256];
	o.wildcard = 0;
	keys(&o, "joe@a.b.example", 15, NULL, got, sizeof(got));
	cr_expect_str_eq(got, "realm:a.b.example");
}

Test(realm_name, configurable_delimiters)
{
	struct realm_name_opts o = defaults;
	char got[256];

	o.suffix_delimiters = "%";
	o.prefix_delimiters = "";
	keys(&o, "joe%corp", 8, NULL, got, sizeof(got));
	cr_expect_str_eq(got, "realm:corp");
	keys(&o, "corp/joe", 8, NULL, got, sizeof(got));
	cr_expect_str_eq(got, "", "prefix disabled");
	keys(&o, "joe@corp", 8, NULL, got, sizeof(got));
	cr_expect_str_eq(got, "", "@ is not a delimiter any more");
	o.suffix_delimiters = NULL;
	o.prefix_delimiters = "!";
	keys(&o, "corp!joe", 8, NULL, got, sizeof(got));
	cr_expect_str_eq(got, "realm:corp");
}

Test(realm_name, every_prefix_of_a_name_is_handled)
{
	/* robustness: every truncation of a name parses to some defined result */
	const char *u = "joe@a.b.corp.example";
	struct realm_name rn;
	size_t n;
	for (n = 0; n <= strlen(u); n++) {
		unsigned c = realm_name_parse(&defaults, u, n, NULL, 0, &rn);
		cr_expect_leq(c, REALM_CANDIDATES_MAX);
		cr_expect_leq(strlen(rn.realm), n);
	}
}

Test(realm_name, key_buffer_too_small_is_an_error)
{
	struct realm_name rn;
	char k[8];
	realm_name_parse(&defaults, "joe@corp.example", 16, NULL, 0, &rn);
	cr_expect_eq(realm_name_key(&rn, 0, k, sizeof(k)), -1);
	cr_expect_eq(realm_name_key(&rn, 99, k, sizeof(k)), -1);
}

Test(realm_name, order_names_round_trip)
{
	enum realm_search_order o;
	cr_expect_eq(realm_search_order_parse("dnis-first", &o), 0);
	cr_expect_eq(o, REALM_SEARCH_DNIS_FIRST);
	cr_expect_str_eq(realm_search_order_str(o), "dnis-first");
	cr_expect_eq(realm_search_order_parse("dnis", &o), -1);
	cr_expect_str_eq(realm_candidate_kind_str(REALM_CANDIDATE_WILDCARD), "wildcard");
}
