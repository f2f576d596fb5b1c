/* The per-LNS local-address cache (core/endpoint_cache.c) on a clock the
 * test drives: a hit within ENDPOINT_CACHE_MS, a miss after it, IPv4 and
 * IPv6 keys apart, replacement of the oldest slot when all are taken, and a
 * clock that starts at 0 (as a test loop's does). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/endpoint_cache.h"

static struct endpoint_cache cache;

static socklen_t v4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	inet_pton(AF_INET, ip, &in->sin_addr);
	return sizeof(*in);
}

static socklen_t v6(struct sockaddr_storage *ss, const char *ip)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	in6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, ip, &in6->sin6_addr);
	return sizeof(*in6);
}

static void clear(void)
{
	memset(&cache, 0, sizeof(cache));
}

TestSuite(endpoint_cache, .init = clear);

Test(endpoint_cache, hit_within_the_lifetime_then_miss)
{
	struct sockaddr_storage lns;
	socklen_t len = v4(&lns, "198.51.100.7", 1701);

	cr_assert_null(endpoint_cache_lookup(&cache, &lns, len, 5000));
	endpoint_cache_store(&cache, &lns, len, 5000, "192.0.2.1");
	cr_assert_str_eq(endpoint_cache_lookup(&cache, &lns, len, 5000), "192.0.2.1");
	cr_assert_str_eq(endpoint_cache_lookup(&cache, &lns, len, 5000 + ENDPOINT_CACHE_MS - 1), "192.0.2.1");
	cr_assert_null(endpoint_cache_lookup(&cache, &lns, len, 5000 + ENDPOINT_CACHE_MS));
	/* a fresh answer (the route changed) replaces the old one in place */
	endpoint_cache_store(&cache, &lns, len, 6000, "192.0.2.9");
	cr_assert_str_eq(endpoint_cache_lookup(&cache, &lns, len, 6001), "192.0.2.9");
	int used = 0;
	for (unsigned i = 0; i < ENDPOINT_CACHE_SLOTS; i++)
		used += cache.slot[i].stored_ms != 0;
	cr_assert_eq(used, 1);
}

Test(endpoint_cache, a_clock_at_zero_still_caches)
{
	struct sockaddr_storage lns;
	socklen_t len = v4(&lns, "198.51.100.7", 0);

	endpoint_cache_store(&cache, &lns, len, 0, "192.0.2.1");
	cr_assert_str_eq(endpoint_cache_lookup(&cache, &lns, len, 0), "192.0.2.1");
	cr_assert_str_eq(endpoint_cache_lookup(&cache, &lns, len, ENDPOINT_CACHE_MS - 2), "192.0.2.1");
}

Test(endpoint_cache, keys_are_family_address_and_port)
{
	struct sockaddr_storage a, b, c;
	socklen_t la = v4(&a, "198.51.100.7", 1701), lb = v4(&b, "198.51.100.7", 1702);
	socklen_t lc = v6(&c, "2001:db8::7");

	endpoint_cache_store(&cache, &a, la, 100, "192.0.2.1");
	endpoint_cache_store(&cache, &c, lc, 100, "2001:db8::1");
	cr_assert_null(endpoint_cache_lookup(&cache, &b, lb, 100));
	cr_assert_str_eq(endpoint_cache_lookup(&cache, &a, la, 100), "192.0.2.1");
	cr_assert_str_eq(endpoint_cache_lookup(&cache, &c, lc, 100), "2001:db8::1");
}

Test(endpoint_cache, full_cache_replaces_the_oldest)
{
	struct sockaddr_storage lns[ENDPOINT_CACHE_SLOTS + 1];
	socklen_t len[ENDPOINT_CACHE_SLOTS + 1];
	char ip[32];

	for (unsigned i = 0; i <= ENDPOINT_CACHE_SLOTS; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%u", i + 1);
		len[i] = v4(&lns[i], ip, 1701);
	}
	/* slot 3 is stored first, so it is the oldest */
	endpoint_cache_store(&cache, &lns[3], len[3], 10, "192.0.2.3");
	for (unsigned i = 0; i < ENDPOINT_CACHE_SLOTS; i++)
		if (i != 3)
			endpoint_cache_store(&cache, &lns[i], len[i], 20 + i, "192.0.2.1");
	endpoint_cache_store(&cache, &lns[ENDPOINT_CACHE_SLOTS], len[ENDPOINT_CACHE_SLOTS], 100, "192.0.2.99");
	cr_assert_null(endpoint_cache_lookup(&cache, &lns[3], len[3], 100));
	cr_assert_str_eq(endpoint_cache_lookup(&cache, &lns[ENDPOINT_CACHE_SLOTS], len[ENDPOINT_CACHE_SLOTS], 100),
			 "192.0.2.99");
	for (unsigned i = 0; i < ENDPOINT_CACHE_SLOTS; i++)
		if (i != 3)
			cr_assert_not_null(endpoint_cache_lookup(&cache, &lns[i], len[i], 100), "slot %u", i);
}

Test(endpoint_cache, no_answer_is_not_kept)
{
	struct sockaddr_storage lns;
	socklen_t len = v4(&lns, "198.51.100.7", 1701);

	endpoint_cache_store(&cache, &lns, len, 100, "");
	cr_assert_null(endpoint_cache_lookup(&cache, &lns, len, 100));
}
