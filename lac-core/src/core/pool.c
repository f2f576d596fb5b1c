#include "core/pool.h"

#include <arpa/inet.h>
#include <stdlib.h>

static bool pool_assignable(const struct ip_pool *pool, uint32_t off)
{
	return off != 0 && off != pool->size - 1 && pool->base + off != pool->gateway;
}

int ip_pool_init(struct ip_pool *pool, struct in_addr base, unsigned prefix, struct in_addr gateway)
{
	if (prefix < 8 || prefix > 30)
		return -1;
	pool->size = 1u << (32 - prefix);
	pool->base = ntohl(base.s_addr) & ~(pool->size - 1);
	pool->gateway = ntohl(gateway.s_addr);
	pool->next = 1;
	pool->used = 0;
	pool->bitmap = calloc((pool->size + 7) / 8, 1);
	return pool->bitmap ? 0 : -1;
}

void ip_pool_free(struct ip_pool *pool)
{
	free(pool->bitmap);
	pool->bitmap = NULL;
}

static bool bit_get(const struct ip_pool *pool, uint32_t off)
{
	return pool->bitmap[off / 8] & (1u << (off % 8));
}

static void bit_set(struct ip_pool *pool, uint32_t off, bool on)
{
	if (on)
		pool->bitmap[off / 8] |= (uint8_t)(1u << (off % 8));
	else
		pool->bitmap[off / 8] &= (uint8_t)~(1u << (off % 8));
}

int ip_pool_alloc(struct ip_pool *pool, struct in_addr *out)
{
	for (uint32_t i = 0; i < pool->size; i++) {
		uint32_t off = (pool->next + i) % pool->size;
		if (!pool_assignable(pool, off) || bit_get(pool, off))
			continue;
		bit_set(pool, off, true);
		pool->used++;
		pool->next = (off + 1) % pool->size;
		out->s_addr = htonl(pool->base + off);
		return 0;
	}
	return -1;
}

int ip_pool_reserve(struct ip_pool *pool, struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr);
	if (a < pool->base || a - pool->base >= pool->size)
		return 1;
	uint32_t off = a - pool->base;
	if (!pool_assignable(pool, off) || bit_get(pool, off))
		return -1;
	bit_set(pool, off, true);
	pool->used++;
	return 0;
}

void ip_pool_release(struct ip_pool *pool, struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr);
	if (a < pool->base || a - pool->base >= pool->size)
		return;
	uint32_t off = a - pool->base;
	if (bit_get(pool, off)) {
		bit_set(pool, off, false);
		pool->used--;
	}
}
