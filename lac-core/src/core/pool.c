#include "core/pool.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

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
	pool->outside = NULL;
	pool->n_outside = pool->cap_outside = 0;
	pool->bitmap = calloc((pool->size + 7) / 8, 1);
	return pool->bitmap ? 0 : -1;
}

void ip_pool_free(struct ip_pool *pool)
{
	free(pool->bitmap);
	pool->bitmap = NULL;
	free(pool->outside);
	pool->outside = NULL;
	pool->n_outside = pool->cap_outside = 0;
}

/* Index of a in the sorted outside list, or where it would go. */
static size_t outside_find(const struct ip_pool *pool, uint32_t a, bool *found)
{
	size_t lo = 0, hi = pool->n_outside;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pool->outside[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < pool->n_outside && pool->outside[lo] == a;
	return lo;
}

static int outside_reserve(struct ip_pool *pool, uint32_t a)
{
	bool found;
	size_t i = outside_find(pool, a, &found);
	if (found)
		return -1;
	if (pool->n_outside == pool->cap_outside) {
		size_t cap = pool->cap_outside ? pool->cap_outside * 2 : 16;
		uint32_t *n = realloc(pool->outside, cap * sizeof(*n));
		if (!n)
			return -1;
		pool->outside = n;
		pool->cap_outside = cap;
	}
	memmove(pool->outside + i + 1, pool->outside + i, (pool->n_outside - i) * sizeof(*pool->outside));
	pool->outside[i] = a;
	pool->n_outside++;
	return 0;
}

static void outside_release(struct ip_pool *pool, uint32_t a)
{
	bool found;
	size_t i = outside_find(pool, a, &found);
	if (!found)
		return;
	memmove(pool->outside + i, pool->outside + i + 1, (pool->n_outside - i - 1) * sizeof(*pool->outside));
	pool->n_outside--;
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
	if (!pool->bitmap || a < pool->base || a - pool->base >= pool->size)
		return outside_reserve(pool, a);
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
	if (!pool->bitmap || a < pool->base || a - pool->base >= pool->size) {
		outside_release(pool, a);
		return;
	}
	uint32_t off = a - pool->base;
	if (bit_get(pool, off)) {
		bit_set(pool, off, false);
		pool->used--;
	}
}
