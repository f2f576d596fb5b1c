/* Local address pool: never hands out network, broadcast or gateway; reserves
 * Framed-IP-Address; does not reuse a released address at once; reports full. */
#include <criterion/criterion.h>
#include <arpa/inet.h>

#include "core/pool.h"

static struct in_addr ip(const char *s)
{
	struct in_addr a;
	inet_pton(AF_INET, s, &a);
	return a;
}

Test(ip_pool, slash30_has_one_assignable_address_besides_gateway)
{
	struct ip_pool p;
	cr_assert_eq(ip_pool_init(&p, ip("10.66.0.0"), 30, ip("10.66.0.1")), 0);
	struct in_addr a;
	cr_assert_eq(ip_pool_alloc(&p, &a), 0);
	cr_expect_eq(a.s_addr, ip("10.66.0.2").s_addr);
	cr_expect_eq(ip_pool_alloc(&p, &a), -1, "pool full");
	ip_pool_release(&p, ip("10.66.0.2"));
	cr_expect_eq(ip_pool_alloc(&p, &a), 0);
	ip_pool_free(&p);
}

Test(ip_pool, released_address_is_not_reused_immediately)
{
	struct ip_pool p;
	cr_assert_eq(ip_pool_init(&p, ip("10.66.0.0"), 24, ip("10.66.0.1")), 0);
	struct in_addr a, b;
	ip_pool_alloc(&p, &a);
	ip_pool_release(&p, a);
	ip_pool_alloc(&p, &b);
	cr_expect_neq(a.s_addr, b.s_addr);
	cr_expect_eq(p.used, 1);
	ip_pool_free(&p);
}

Test(ip_pool, reserve_inside_outside_and_taken)
{
	struct ip_pool p;
	cr_assert_eq(ip_pool_init(&p, ip("10.66.0.0"), 24, ip("10.66.0.1")), 0);
	cr_expect_eq(ip_pool_reserve(&p, ip("10.66.0.50")), 0);
	cr_expect_eq(ip_pool_reserve(&p, ip("10.66.0.50")), -1, "taken");
	cr_expect_eq(ip_pool_reserve(&p, ip("10.66.0.1")), -1, "gateway");
	cr_expect_eq(ip_pool_reserve(&p, ip("10.66.0.255")), -1, "broadcast");
	cr_expect_eq(ip_pool_reserve(&p, ip("192.0.2.1")), 0, "outside: booked");
	for (int i = 0; i < 300; i++) {
		struct in_addr a;
		if (ip_pool_alloc(&p, &a) < 0)
			break;
		cr_expect_neq(a.s_addr, ip("10.66.0.50").s_addr);
	}
	cr_expect_eq(p.used, 253, "254 hosts minus gateway");
	ip_pool_free(&p);
}

/* issue 8 item 11: a Framed-IP-Address outside the pool is booked too, so two
 * sessions cannot share it; released, it can be taken again. */
Test(ip_pool, outside_address_cannot_be_shared)
{
	struct ip_pool p;
	cr_assert_eq(ip_pool_init(&p, ip("10.66.0.0"), 24, ip("10.66.0.1")), 0);
	cr_expect_eq(ip_pool_reserve(&p, ip("192.0.2.7")), 0);
	cr_expect_eq(ip_pool_reserve(&p, ip("192.0.2.5")), 0);
	cr_expect_eq(ip_pool_reserve(&p, ip("192.0.2.9")), 0);
	cr_expect_eq(ip_pool_reserve(&p, ip("192.0.2.7")), -1, "second session, same outside address");
	ip_pool_release(&p, ip("192.0.2.7"));
	cr_expect_eq(ip_pool_reserve(&p, ip("192.0.2.7")), 0, "free again after release");
	cr_expect_eq(ip_pool_reserve(&p, ip("192.0.2.5")), -1);
	cr_expect_eq(ip_pool_reserve(&p, ip("192.0.2.9")), -1);
	ip_pool_free(&p);
}
