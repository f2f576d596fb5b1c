/* lac-dial's test traffic (dial/traffic.h): byte vectors, parse of what the
 * reflectors send back, pacing arithmetic. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "dial/traffic.h"

static struct in_addr ip4(const char *s)
{
	struct in_addr a;
	inet_pton(AF_INET, s, &a);
	return a;
}

Test(traffic, ip_build_vector)
{
	uint8_t b[64];
	/* 10.0.0.1:1000 -> 10.0.0.2:2000, 36 octets, seq 0x01020304 */
	static const uint8_t want[36] = {
		0x45, 0x00, 0x00, 0x24, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x26, 0xc7,
		0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
		0x03, 0xe8, 0x07, 0xd0, 0x00, 0x10, 0x00, 0x00,
		'R', 'L', 'T', 'R', 0x01, 0x02, 0x03, 0x04,
	};
	cr_assert_eq(traffic_ip_build(b, sizeof(b), ip4("10.0.0.1"), ip4("10.0.0.2"), 1000, 2000,
				      0x01020304, 36), 36);
	cr_assert_arr_eq(b, want, sizeof(want));
}

Test(traffic, ip_roundtrip_and_reflected)
{
	uint8_t b[1500], r[1500];
	uint32_t seq = 0;
	size_t n = traffic_ip_build(b, sizeof(b), ip4("10.77.0.5"), ip4("192.0.2.1"), 7, 9, 42, 1400);
	cr_assert_eq(n, 1400);
	cr_assert_eq(traffic_ip_parse(b, n, &seq), 0);
	cr_assert_eq(seq, 42);
	/* what lns_load --echo sends back: addresses swapped, checksum unchanged */
	memcpy(r, b, n);
	memcpy(r + 12, b + 16, 4);
	memcpy(r + 16, b + 12, 4);
	cr_assert_eq(traffic_ip_parse(r, n, &seq), 0);
	/* a frame padded past the IPv4 total length still parses */
	cr_assert_eq(traffic_ip_parse(b, n + 0, &seq), 0);
}

Test(traffic, ip_parse_refuses)
{
	uint8_t b[64];
	uint32_t seq;
	size_t n = traffic_ip_build(b, sizeof(b), ip4("10.0.0.1"), ip4("10.0.0.2"), 1, 2, 5, 40);
	cr_assert_eq(n, 40);
	cr_assert_eq(traffic_ip_parse(b, n - 1, &seq), -1, "truncated");
	b[8] ^= 1;
	cr_assert_eq(traffic_ip_parse(b, n, &seq), -1, "header checksum");
	b[8] ^= 1;
	b[9] = 1;
	cr_assert_eq(traffic_ip_parse(b, n, &seq), -1, "not UDP");
	b[9] = 17;
	b[28] = 'X';
	cr_assert_eq(traffic_ip_parse(b, n, &seq), -1, "no stamp");
	cr_assert_eq(traffic_ip_build(b, sizeof(b), ip4("10.0.0.1"), ip4("10.0.0.2"), 1, 2, 5, 35), 0,
		     "below the minimum");
	cr_assert_eq(traffic_ip_build(b, sizeof(b), ip4("10.0.0.1"), ip4("10.0.0.2"), 1, 2, 5, 65), 0,
		     "past cap");
}

Test(traffic, payload)
{
	uint8_t b[16];
	uint32_t seq;
	cr_assert_eq(traffic_payload_build(b, sizeof(b), 0xdeadbeef, 16), 16);
	cr_assert_eq(traffic_payload_parse(b, 16, &seq), 0);
	cr_assert_eq(seq, 0xdeadbeef);
	cr_assert_eq(traffic_payload_parse(b, 7, &seq), -1);
	cr_assert_eq(traffic_payload_build(b, sizeof(b), 1, 7), 0);
}

Test(traffic, pacing)
{
	cr_assert_eq(traffic_due(100000, 0, 0), 0);
	cr_assert_eq(traffic_due(100000, 1, 0), 100);
	cr_assert_eq(traffic_due(100000, 10, 500), 500, "a late tick catches up");
	cr_assert_eq(traffic_due(100000, 10, 1200), 0, "never negative");
	cr_assert_eq(traffic_due(1000000, 3000, 0), 3000000);
}

Test(traffic, seq_in_step_wraps)
{
	cr_assert(traffic_seq_in_step(10, 10, 1));
	cr_assert(!traffic_seq_in_step(11, 10, 1));
	cr_assert(!traffic_seq_in_step(9, 10, 100));
	cr_assert(traffic_seq_in_step(3, 0xfffffffeu, 10));
	cr_assert(!traffic_seq_in_step(8, 0xfffffffeu, 10));
}
