/*
 * realm_cache: in-process realm lookup cache (see realm_cache.h).
 *
 * A chained hash table (power-of-two buckets, FNV-1a) plus a doubly linked
 * LRU list, both under one mutex. Entries are variable-sized: the lookup
 * header and only the LNS it found (a struct realm_lookup reserves 64).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "realm_cache.h"

struct realm_cache_entry {
	struct realm_cache_entry *chain;            /* next in bucket */
	struct realm_cache_entry *lru_prev, *lru_next;  /* prev = more recent */
	uint64_t                  hash;
	uint64_t                  expires_ms;
	char                     *key;
	size_t                    klen;
	uint64_t                  rr_counter;       /* advanced per hit */
	int                       found;
	char                      realm[REALM_NAME_MAX + 1];
	unsigned                  matched;
	struct realm_conf         conf;
	unsigned                  n_lns, n_bad;
	struct realm_lns          lns[];
};

struct realm_cache {
	pthread_mutex_t            lock;
	struct realm_cache_opts    opts;
	struct realm_cache_entry **bucket;
	size_t                     mask;
	struct realm_cache_entry  *lru_head, *lru_tail;  /* head = most recent */
	struct realm_cache_stats   stats;
};

static uint64_t realm_cache_hash(const char *key, size_t klen)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < klen; i++) {
		h ^= (uint8_t)key[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct realm_cache *realm_cache_new(const struct realm_cache_opts *opts)
{
	struct realm_cache *c;
	size_t n = 16;

	if (!opts || opts->ttl_ms == 0 || opts->max_entries == 0)
		return NULL;
	/* about two buckets per entry, so chains stay short when full */
	while (n < (size_t)opts->max_entries * 2 && n < ((size_t)1 << 24))
		n <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->bucket = calloc(n, sizeof(*c->bucket));
	if (!c->bucket || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->bucket);
		free(c);
		return NULL;
	}
	c->mask = n - 1;
	c->opts = *opts;
	return c;
}

static void realm_cache_lru_unlink(struct realm_cache *c, struct realm_cache_entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		c->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		c->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void realm_cache_lru_push(struct realm_cache *c, struct realm_cache_entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = c->lru_head;
	if (c->lru_head)
		c->lru_head->lru_prev = e;
	c->lru_head = e;
	if (!c->lru_tail)
		c->lru_tail = e;
}

/* Unlink e from its bucket and the LRU list and free it. Lock held. */
static void realm_cache_drop(struct realm_cache *c, struct realm_cache_entry *e)
{
	struct realm_cache_entry **pp = &c->bucket[e->hash & c->mask];

	while (*pp && *pp != e)
		pp = &(*pp)->chain;
	if (*pp)
		*pp = e->chain;
	realm_cache_lru_unlink(c, e);
	c->stats.entries--;
	free(e->key);
	free(e);
}

void realm_cache_free(struct realm_cache *c)
{
	struct realm_cache_entry *e, *next;

	if (!c)
		return;
	for (e = c->lru_head; e; e = next) {
		next = e->lru_next;
		free(e->key);
		free(e);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->bucket);
	free(c);
}

int realm_cache_key(const struct realm_name *rn, char *buf, size_t len)
{
	size_t used = 0;
	unsigned i;
	int n;

	for (i = 0; i < rn->n; i++) {
		if (used >= len)
			return -1;
		n = realm_name_key(rn, i, buf + used, len - used);
		if (n < 0)
			return -1;
		used += (size_t)n + 1;    /* keep the NUL realm_name_key wrote: the separator */
	}
	return (int)used;
}

/* The entry for key, or NULL. Lock held. */
static struct realm_cache_entry *realm_cache_find(struct realm_cache *c, uint64_t h,
						  const char *key, size_t klen)
{
	struct realm_cache_entry *e;

	for (e = c->bucket[h & c->mask]; e; e = e->chain)
		if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
			return e;
	return NULL;
}

int realm_cache_get(struct realm_cache *c, const char *key, size_t klen, uint64_t now_ms,
		    struct realm_lookup *out)
{
	uint64_t h = realm_cache_hash(key, klen);
	struct realm_cache_entry *e;

	pthread_mutex_lock(&c->lock);
	e = realm_cache_find(c, h, key, klen);
	if (e && now_ms >= e->expires_ms) {
		c->stats.expired++;
		realm_cache_drop(c, e);
		e = NULL;
	}
	if (!e) {
		c->stats.misses++;
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	c->stats.hits++;
	if (e->conf.policy == REALM_POLICY_ROUND_ROBIN)
		e->rr_counter++;
	/* the same header realm_store_parse fills, then only the LNS we hold */
	memset(out, 0, offsetof(struct realm_lookup, lns));
	out->found = e->found;
	memcpy(out->realm, e->realm, sizeof(out->realm));
	out->matched = e->matched;
	out->conf = e->conf;
	out->rr_counter = e->rr_counter;
	out->n_lns = e->n_lns;
	out->n_bad = e->n_bad;
	memcpy(out->lns, e->lns, e->n_lns * sizeof(e->lns[0]));
	if (c->lru_head != e) {
		realm_cache_lru_unlink(c, e);
		realm_cache_lru_push(c, e);
	}
	pthread_mutex_unlock(&c->lock);
	return 1;
}

int realm_cache_put(struct realm_cache *c, const char *key, size_t klen, uint64_t now_ms,
		    const struct realm_lookup *lk)
{
	uint64_t h = realm_cache_hash(key, klen);
	uint32_t ttl = lk->found ? c->opts.ttl_ms : c->opts.negative_ttl_ms;
	unsigned n_lns = lk->found ? lk->n_lns : 0;
	struct realm_cache_entry *e, *old;

	if (ttl == 0 || klen == 0 || klen > REALM_CACHE_KEY_MAX || n_lns > REALM_STORE_LNS_MAX)
		return -1;
	/* built outside the lock: allocation and copy are the slow part */
	e = malloc(sizeof(*e) + n_lns * sizeof(e->lns[0]));
	if (!e)
		return -1;
	memset(e, 0, sizeof(*e));
	e->key = malloc(klen);
	if (!e->key) {
		free(e);
		return -1;
	}
	memcpy(e->key, key, klen);
	e->klen = klen;
	e->hash = h;
	e->expires_ms = now_ms + ttl;
	e->found = lk->found ? 1 : 0;
	if (e->found) {
		memcpy(e->realm, lk->realm, sizeof(e->realm));
		e->matched = lk->matched;
		e->conf = lk->conf;
		e->rr_counter = lk->rr_counter;
		e->n_bad = lk->n_bad;
	}
	e->n_lns = n_lns;
	memcpy(e->lns, lk->lns, n_lns * sizeof(e->lns[0]));

	pthread_mutex_lock(&c->lock);
	old = realm_cache_find(c, h, key, klen);
	if (old)
		realm_cache_drop(c, old);
	while (c->stats.entries >= c->opts.max_entries && c->lru_tail) {
		c->stats.evicted++;
		realm_cache_drop(c, c->lru_tail);
	}
	e->chain = c->bucket[h & c->mask];
	c->bucket[h & c->mask] = e;
	realm_cache_lru_push(c, e);
	c->stats.entries++;
	c->stats.inserts++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void realm_cache_get_stats(struct realm_cache *c, struct realm_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}
