/* IPv4/ICMP echo codec: see icmp.h. */
#include "dial/icmp.h"

#include <string.h>

uint16_t inet_checksum(const uint8_t *data, size_t len)
{
	uint32_t sum = 0;
	size_t i;
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(data[i] << 8 | data[i + 1]);
	if (i < len)
		sum += (uint32_t)(data[i] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

size_t icmp_echo_build(uint8_t *buf, size_t cap, struct in_addr src, struct in_addr dst,
		       uint16_t id, uint16_t seq, const uint8_t *payload, size_t plen)
{
	size_t total = ICMP_ECHO_HLEN + plen;
	if (total > 65535 || cap < total)
		return 0;
	/* RFC 791 3.1 header: v4, IHL 5, no options, DF clear, TTL 64, ICMP */
	memset(buf, 0, 20);
	buf[0] = 0x45;
	put16(buf + 2, (uint16_t)total);
	put16(buf + 4, id);
	buf[8] = 64;
	buf[9] = IPPROTO_ICMP;
	memcpy(buf + 12, &src, 4);
	memcpy(buf + 16, &dst, 4);
	put16(buf + 10, inet_checksum(buf, 20));
	/* RFC 792: type 8 Echo, code 0, checksum over the ICMP message */
	uint8_t *icmp = buf + 20;
	icmp[0] = 8;
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, id);
	put16(icmp + 6, seq);
	if (plen)
		memcpy(icmp + 8, payload, plen);
	put16(icmp + 2, inet_checksum(icmp, 8 + plen));
	return total;
}

int icmp_echo_reply_parse(const uint8_t *pkt, size_t len, struct icmp_echo_reply *out)
{
	if (len < 20 || (pkt[0] >> 4) != 4)
		return -1;
	size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
	size_t total = get16(pkt + 2);
	if (ihl < 20 || total < ihl || total > len)
		return -1;
	if (inet_checksum(pkt, ihl) != 0)
		return -1;
	if (pkt[9] != IPPROTO_ICMP || (get16(pkt + 6) & 0x3fff) != 0)
		return -1;      /* not ICMP, or a fragment */
	const uint8_t *icmp = pkt + ihl;
	size_t ilen = total - ihl;
	if (ilen < 8 || inet_checksum(icmp, ilen) != 0)
		return -1;
	if (icmp[0] != 0 || icmp[1] != 0)
		return -1;      /* not an Echo Reply */
	memcpy(&out->src, pkt + 12, 4);
	memcpy(&out->dst, pkt + 16, 4);
	out->id = get16(icmp + 4);
	out->seq = get16(icmp + 6);
	out->payload = icmp + 8;
	out->payload_len = ilen - 8;
	return 0;
}
