/* lac-dial's userspace IPv4/ICMP echo codec. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "dial/icmp.h"

Test(icmp, checksum_matches_rfc1071_example)
{
	/* RFC 1071 3: the sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2, checksum 220d */
	const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	cr_assert_eq(inet_checksum(d, sizeof(d)), 0x220d);
}

/* Turns a request into the reply a host would send: swap addresses, type 0. */
static void make_reply(uint8_t *p, size_t len)
{
	uint8_t tmp[4];
	memcpy(tmp, p + 12, 4);
	memcpy(p + 12, p + 16, 4);
	memcpy(p + 16, tmp, 4);
	p[10] = p[11] = 0;
	uint16_t c = inet_checksum(p, 20);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	p[20] = 0;
	p[22] = p[23] = 0;
	c = inet_checksum(p + 20, len - 20);
	p[22] = (uint8_t)(c >> 8);
	p[23] = (uint8_t)c;
}

Test(icmp, echo_request_is_well_formed_and_its_reply_parses)
{
	struct in_addr src, dst;
	inet_pton(AF_INET, "10.77.1.5", &src);
	inet_pton(AF_INET, "10.77.1.254", &dst);
	uint8_t pkt[128];
	const uint8_t payload[] = "abcdefgh";
	size_t len = icmp_echo_build(pkt, sizeof(pkt), src, dst, 7, 3, payload, 8);
	cr_assert_eq(len, 36);
	cr_assert_eq(pkt[0], 0x45);
	cr_assert_eq(pkt[9], 1);
	cr_assert_eq(inet_checksum(pkt, 20), 0);
	cr_assert_eq(inet_checksum(pkt + 20, 16), 0);
	cr_assert_eq(pkt[20], 8);
	struct icmp_echo_reply r;
	cr_assert_eq(icmp_echo_reply_parse(pkt, len, &r), -1, "a request is not a reply");
	make_reply(pkt, len);
	cr_assert_eq(icmp_echo_reply_parse(pkt, len, &r), 0);
	cr_assert_eq(r.src.s_addr, dst.s_addr);
	cr_assert_eq(r.id, 7);
	cr_assert_eq(r.seq, 3);
	cr_assert_eq(r.payload_len, 8);
	cr_assert_arr_eq(r.payload, payload, 8);
	for (size_t cut = 0; cut < len; cut++)
		cr_assert_eq(icmp_echo_reply_parse(pkt, cut, &r), -1, "prefix %zu", cut);
	pkt[30] ^= 1;
	cr_assert_eq(icmp_echo_reply_parse(pkt, len, &r), -1, "bad ICMP checksum");
}

Test(icmp, build_refuses_short_buffers)
{
	struct in_addr a = { 0 };
	uint8_t pkt[64];
	for (size_t cap = 0; cap < 28 + 4; cap++)
		cr_assert_eq(icmp_echo_build(pkt, cap, a, a, 1, 1, (const uint8_t *)"abcd", 4), 0);
}
