#include "core/endpoint_cache.h"

#include <stdio.h>
#include <string.h>

/* Time 0 marks an empty slot: a clock that starts at 0 is stored as 1. */
static uint64_t stamp(uint64_t now_ms)
{
	return now_ms ? now_ms : 1;
}

static int slot_of(const struct endpoint_cache *cache, const struct sockaddr_storage *lns, socklen_t len)
{
	for (unsigned i = 0; i < ENDPOINT_CACHE_SLOTS; i++)
		if (cache->slot[i].stored_ms && cache->slot[i].len == len &&
		    memcmp(&cache->slot[i].lns, lns, len) == 0)
			return (int)i;
	return -1;
}

const char *endpoint_cache_lookup(const struct endpoint_cache *cache,
				  const struct sockaddr_storage *lns, socklen_t len, uint64_t now_ms)
{
	if (len > sizeof(*lns))
		return NULL;
	int i = slot_of(cache, lns, len);
	if (i < 0 || stamp(now_ms) >= cache->slot[i].stored_ms + ENDPOINT_CACHE_MS)
		return NULL;
	return cache->slot[i].local;
}

void endpoint_cache_store(struct endpoint_cache *cache, const struct sockaddr_storage *lns,
			  socklen_t len, uint64_t now_ms, const char *local)
{
	if (len > sizeof(*lns) || !local[0])
		return;
	int i = slot_of(cache, lns, len);
	if (i < 0) {
		i = 0;  /* an empty slot has time 0, so it is the oldest */
		for (unsigned j = 1; j < ENDPOINT_CACHE_SLOTS; j++)
			if (cache->slot[j].stored_ms < cache->slot[i].stored_ms)
				i = (int)j;
	}
	memset(&cache->slot[i].lns, 0, sizeof(cache->slot[i].lns));
	memcpy(&cache->slot[i].lns, lns, len);
	cache->slot[i].len = len;
	cache->slot[i].stored_ms = stamp(now_ms);
	snprintf(cache->slot[i].local, sizeof(cache->slot[i].local), "%s", local);
}
