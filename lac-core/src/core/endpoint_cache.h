#ifndef LAC_ENDPOINT_CACHE_H
#define LAC_ENDPOINT_CACHE_H
/*
 * The local address the kernel routes from towards each LNS (RFC 2867
 * Tunnel-Client-Endpoint), kept per LNS address for a while: finding it
 * costs four system calls, for every tunnelled call, and a carrier LAC sends
 * its calls to a few LNS addresses. Pure: the caller passes the time (the
 * event loop's clock) and does the route look-up itself on a miss.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#define ENDPOINT_CACHE_SLOTS 16
#define ENDPOINT_CACHE_MS 1000  /* a route change shows within this */

struct endpoint_cache {
	struct {
		struct sockaddr_storage lns;
		socklen_t len;
		uint64_t stored_ms;     /* when the answer was found; 0: empty */
		char local[INET6_ADDRSTRLEN];
	} slot[ENDPOINT_CACHE_SLOTS];
};

/* The cached local address towards lns if it was found less than
 * ENDPOINT_CACHE_MS before now_ms, else NULL. */
const char *endpoint_cache_lookup(const struct endpoint_cache *cache,
				  const struct sockaddr_storage *lns, socklen_t len, uint64_t now_ms);

/* Keeps local as the answer for lns found at now_ms: replaces lns's own
 * slot, else an empty one, else the oldest. */
void endpoint_cache_store(struct endpoint_cache *cache, const struct sockaddr_storage *lns,
			  socklen_t len, uint64_t now_ms, const char *local);

#endif
