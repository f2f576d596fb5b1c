/* Data-plane test traffic for lac-dial --traffic (make bench-relay): IPv4/UDP
 * packets stamped with a magic and a sequence number, sent at a paced rate
 * and counted when they come back (from a reflector: lns_load --echo,
 * udp_relay --reflect).
 *
 * Pure functions on byte buffers: no sockets, no clock, no allocation. */
#ifndef DIAL_TRAFFIC_H
#define DIAL_TRAFFIC_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRAFFIC_IP_UDP_HLEN 28          /* IPv4 header without options + UDP header */
#define TRAFFIC_STAMP_LEN 8             /* magic + sequence number */
#define TRAFFIC_MIN_IP_LEN (TRAFFIC_IP_UDP_HLEN + TRAFFIC_STAMP_LEN)
#define TRAFFIC_MAX_IP_LEN 1500

/* The UDP payload: TRAFFIC_STAMP_LEN octets of stamp, then filler, len in
 * all (at least TRAFFIC_STAMP_LEN). Returns len, or 0 when it does not fit. */
size_t traffic_payload_build(uint8_t *buf, size_t cap, uint32_t seq, size_t len);

/* 0 and *seq when p starts with a stamp, -1 otherwise. */
int traffic_payload_parse(const uint8_t *p, size_t len, uint32_t *seq);

/* A whole IPv4 packet of ip_len octets src:sport -> dst:dport carrying the
 * stamped payload (header checksum set; UDP checksum 0, allowed over IPv4 by
 * RFC 768). Returns ip_len, or 0 when ip_len is outside
 * [TRAFFIC_MIN_IP_LEN, TRAFFIC_MAX_IP_LEN] or cap is too small. */
size_t traffic_ip_build(uint8_t *buf, size_t cap, struct in_addr src, struct in_addr dst,
			uint16_t sport, uint16_t dport, uint32_t seq, size_t ip_len);

/* 0 and *seq for a well-formed IPv4 packet (version, header length, total
 * length within len, header checksum) holding UDP whose payload is a stamp
 * (the reflector may have swapped addresses and ports); -1 otherwise. */
int traffic_ip_parse(const uint8_t *pkt, size_t len, uint32_t *seq);

/* Packets owed at elapsed_ms into a step offering pps packets per second,
 * sent already: the schedule is pps * elapsed / 1000 since the step began,
 * so a late tick catches up instead of lowering the rate. */
uint64_t traffic_due(uint64_t pps, uint64_t elapsed_ms, uint64_t sent);

/* Whether seq belongs to the step whose first sequence number is first and
 * which sent n packets (wraps modulo 2^32). */
bool traffic_seq_in_step(uint32_t seq, uint32_t first, uint64_t n);

#endif
