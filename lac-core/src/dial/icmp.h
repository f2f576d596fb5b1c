/* IPv4 + ICMP echo (RFC 791, RFC 792) built and checked in userspace, so
 * lac-dial can ping through a PPP link that has no kernel interface.
 *
 * Pure functions on byte buffers: no sockets, no allocation, no logging. */
#ifndef DIAL_ICMP_H
#define DIAL_ICMP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define ICMP_ECHO_HLEN (20 + 8)         /* IPv4 header without options + ICMP echo header */

/* RFC 1071 Internet checksum of len octets (ones' complement of the ones'
 * complement sum), in network byte order as it goes into the header. */
uint16_t inet_checksum(const uint8_t *data, size_t len);

/* Builds an IPv4 packet src -> dst carrying an ICMP Echo Request with id, seq
 * and payload. Returns its length, or 0 if cap is too small or the payload too
 * long for one IPv4 packet. */
size_t icmp_echo_build(uint8_t *buf, size_t cap, struct in_addr src, struct in_addr dst,
		       uint16_t id, uint16_t seq, const uint8_t *payload, size_t plen);

struct icmp_echo_reply {
	struct in_addr src;
	struct in_addr dst;
	uint16_t id;
	uint16_t seq;
	const uint8_t *payload;         /* points into the packet */
	size_t payload_len;
};

/* Checks that pkt is a well-formed IPv4 packet (version, header length, total
 * length within len, header checksum) holding a whole ICMP Echo Reply with a
 * good ICMP checksum, and fills *out. Returns 0, or -1 for anything else. */
int icmp_echo_reply_parse(const uint8_t *pkt, size_t len, struct icmp_echo_reply *out);

#endif
