/* IPv4 address pool for locally terminated subscribers: a bitmap over a CIDR,
 * the network, gateway and broadcast addresses never handed out. Addresses are
 * handed out lowest-free-after-last so a just-released address is not reused at
 * once (a subscriber that reconnects quickly should not collide with stale ARP
 * or firewall state of the previous holder). Pure, no I/O. */
#ifndef CORE_POOL_H
#define CORE_POOL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ip_pool {
	uint32_t base;          /* host order, network address of the CIDR */
	uint32_t size;          /* addresses in the CIDR */
	uint32_t gateway;       /* host order; excluded */
	uint32_t next;          /* search start offset */
	uint32_t used;
	uint8_t *bitmap;
	/* Framed-IP-Addresses outside the CIDR held by a session, sorted (host
	 * order): booked too, so two sessions can never share one (issue 8 item 11) */
	uint32_t *outside;
	size_t n_outside, cap_outside;
};

/* Returns 0, or -1 if the prefix is outside 8..30 or memory runs out. */
int ip_pool_init(struct ip_pool *pool, struct in_addr base, unsigned prefix, struct in_addr gateway);
void ip_pool_free(struct ip_pool *pool);
/* Allocates one address. Returns 0 and sets *out, or -1 when the pool is full. */
int ip_pool_alloc(struct ip_pool *pool, struct in_addr *out);
/* Reserves a specific address (a Framed-IP-Address). Inside the CIDR: 0, or -1
 * if it is taken or not assignable (network, broadcast, gateway). Outside it:
 * booked in a list of its own, 0, or -1 if another session holds it (or out
 * of memory). Either way ip_pool_release() gives it back. */
int ip_pool_reserve(struct ip_pool *pool, struct in_addr addr);
/* Returns an address to the pool (inside or outside the CIDR). */
void ip_pool_release(struct ip_pool *pool, struct in_addr addr);

#endif
