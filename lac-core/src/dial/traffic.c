/* Test traffic codec and pacing for lac-dial --traffic (see traffic.h). */
#include "dial/traffic.h"

#include <string.h>

#include "dial/icmp.h"

#define TRAFFIC_MAGIC 0x524c5452u       /* "RLTR" */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t traffic_payload_build(uint8_t *buf, size_t cap, uint32_t seq, size_t len)
{
	if (len < TRAFFIC_STAMP_LEN || len > cap)
		return 0;
	put32(buf, TRAFFIC_MAGIC);
	put32(buf + 4, seq);
	for (size_t i = TRAFFIC_STAMP_LEN; i < len; i++)
		buf[i] = (uint8_t)i;
	return len;
}

int traffic_payload_parse(const uint8_t *p, size_t len, uint32_t *seq)
{
	if (len < TRAFFIC_STAMP_LEN || get32(p) != TRAFFIC_MAGIC)
		return -1;
	*seq = get32(p + 4);
	return 0;
}

size_t traffic_ip_build(uint8_t *buf, size_t cap, struct in_addr src, struct in_addr dst,
			uint16_t sport, uint16_t dport, uint32_t seq, size_t ip_len)
{
	uint16_t udp_len, sum;

	if (ip_len < TRAFFIC_MIN_IP_LEN || ip_len > TRAFFIC_MAX_IP_LEN || ip_len > cap)
		return 0;
	memset(buf, 0, TRAFFIC_IP_UDP_HLEN);
	buf[0] = 0x45;
	buf[2] = (uint8_t)(ip_len >> 8);
	buf[3] = (uint8_t)ip_len;
	buf[6] = 0x40;                  /* DF */
	buf[8] = 64;                    /* TTL */
	buf[9] = 17;                    /* UDP */
	memcpy(buf + 12, &src, 4);
	memcpy(buf + 16, &dst, 4);
	sum = inet_checksum(buf, 20);   /* RFC 791, in network order */
	buf[10] = (uint8_t)(sum >> 8);
	buf[11] = (uint8_t)sum;
	udp_len = (uint16_t)(ip_len - 20);
	buf[20] = (uint8_t)(sport >> 8);
	buf[21] = (uint8_t)sport;
	buf[22] = (uint8_t)(dport >> 8);
	buf[23] = (uint8_t)dport;
	buf[24] = (uint8_t)(udp_len >> 8);
	buf[25] = (uint8_t)udp_len;
	return traffic_payload_build(buf + TRAFFIC_IP_UDP_HLEN, cap - TRAFFIC_IP_UDP_HLEN, seq,
				     ip_len - TRAFFIC_IP_UDP_HLEN)
		       ? ip_len
		       : 0;
}

int traffic_ip_parse(const uint8_t *pkt, size_t len, uint32_t *seq)
{
	size_t ihl, total, udp_len;

	if (len < 20 || (pkt[0] >> 4) != 4)
		return -1;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	total = (size_t)pkt[2] << 8 | pkt[3];
	if (ihl < 20 || total < ihl + 8 || total > len || inet_checksum(pkt, ihl) != 0)
		return -1;
	if (pkt[9] != 17 || (pkt[6] & 0x3f) || pkt[7])
		return -1;              /* not UDP, or a fragment */
	udp_len = (size_t)pkt[ihl + 4] << 8 | pkt[ihl + 5];
	if (udp_len < 8 || udp_len > total - ihl)
		return -1;
	return traffic_payload_parse(pkt + ihl + 8, udp_len - 8, seq);
}

uint64_t traffic_due(uint64_t pps, uint64_t elapsed_ms, uint64_t sent)
{
	uint64_t owed = pps * elapsed_ms / 1000;

	return owed > sent ? owed - sent : 0;
}

bool traffic_seq_in_step(uint32_t seq, uint32_t first, uint64_t n)
{
	return (uint64_t)(uint32_t)(seq - first) < n;
}
