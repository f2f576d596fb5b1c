/*
 * realm_table: chained hash maps of realms and DNIS maps under one rwlock
 * (see realm_table.h for the contract).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "realm_table.h"

struct rt_realm {
	struct rt_realm  *next;
	uint32_t          hash;
	uint64_t          rr;           /* __atomic: round-robin counter */
	struct realm_conf conf;
	unsigned          n_lns, n_bad;
	char              name[REALM_NAME_MAX + 1];
	struct realm_lns  lns[];        /* n_lns of them */
};

struct rt_dnis {
	struct rt_dnis *next;
	uint32_t        hash;
	char            number[64 + 1];
	char            realm[REALM_NAME_MAX + 1];
};

struct rt_map {
	void   **buckets;               /* struct rt_realm * or struct rt_dnis * chains */
	size_t   nbuckets;              /* a power of two */
	size_t   count;
};

struct realm_table {
	pthread_rwlock_t lock;
	struct rt_map    realms, dnis;
	uint64_t         lookups, hits;  /* __atomic */
};

#define RT_BUCKETS_MIN 64

/* FNV-1a: cheap, and keys are our own names, not attacker-chosen collisions
 * of any consequence (a collision costs a longer chain, nothing else). */
static uint32_t rt_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s) {
		h ^= (uint8_t)*s++;
		h *= 16777619u;
	}
	return h;
}

static int rt_map_init(struct rt_map *m)
{
	m->buckets = calloc(RT_BUCKETS_MIN, sizeof(void *));
	m->nbuckets = RT_BUCKETS_MIN;
	m->count = 0;
	return m->buckets ? 0 : -1;
}

/* Chains link through their first member (next), so both kinds share this. */
struct rt_node {
	struct rt_node *next;
	uint32_t        hash;
};

static void rt_map_clear(struct rt_map *m)
{
	size_t i;

	for (i = 0; i < m->nbuckets; i++) {
		struct rt_node *n = m->buckets[i];
		while (n) {
			struct rt_node *next = n->next;
			free(n);
			n = next;
		}
	}
	free(m->buckets);
	m->buckets = NULL;
	m->nbuckets = 0;
	m->count = 0;
}

/* Double the bucket array when the load factor passes 1. Failure is harmless
 * (longer chains). Caller holds the write lock. */
static void rt_map_grow(struct rt_map *m)
{
	size_t nb = m->nbuckets * 2, i;
	void **b;

	if (m->count <= m->nbuckets)
		return;
	b = calloc(nb, sizeof(void *));
	if (!b)
		return;
	for (i = 0; i < m->nbuckets; i++) {
		struct rt_node *n = m->buckets[i];
		while (n) {
			struct rt_node *next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
			n = next;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = nb;
}

struct realm_table *realm_table_new(void)
{
	struct realm_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (pthread_rwlock_init(&t->lock, NULL) != 0) {
		free(t);
		return NULL;
	}
	if (rt_map_init(&t->realms) < 0 || rt_map_init(&t->dnis) < 0) {
		rt_map_clear(&t->realms);
		rt_map_clear(&t->dnis);
		pthread_rwlock_destroy(&t->lock);
		free(t);
		return NULL;
	}
	return t;
}

void realm_table_free(struct realm_table *t)
{
	if (!t)
		return;
	rt_map_clear(&t->realms);
	rt_map_clear(&t->dnis);
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

static struct rt_realm *rt_find_realm(const struct realm_table *t, const char *name, uint32_t h)
{
	struct rt_realm *r = t->realms.buckets[h & (t->realms.nbuckets - 1)];

	for (; r; r = r->next)
		if (r->hash == h && strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

static struct rt_dnis *rt_find_dnis(const struct realm_table *t, const char *number, uint32_t h)
{
	struct rt_dnis *d = t->dnis.buckets[h & (t->dnis.nbuckets - 1)];

	for (; d; d = d->next)
		if (d->hash == h && strcmp(d->number, number) == 0)
			return d;
	return NULL;
}

int realm_table_put_realm(struct realm_table *t, const struct realm_lookup *lk, uint64_t rr_start)
{
	struct rt_realm *e, **pp;
	size_t len;

	if (!lk->found || lk->n_lns > REALM_STORE_LNS_MAX || strlen(lk->realm) > REALM_NAME_MAX)
		return -1;
	e = malloc(sizeof(*e) + lk->n_lns * sizeof(struct realm_lns));
	if (!e)
		return -1;
	len = strlen(lk->realm);
	memcpy(e->name, lk->realm, len + 1);
	e->hash = rt_hash(e->name);
	e->conf = lk->conf;
	e->n_lns = lk->n_lns;
	e->n_bad = lk->n_bad;
	e->rr = rr_start;
	memcpy(e->lns, lk->lns, lk->n_lns * sizeof(struct realm_lns));

	pthread_rwlock_wrlock(&t->lock);
	for (pp = (struct rt_realm **)&t->realms.buckets[e->hash & (t->realms.nbuckets - 1)]; *pp;
	     pp = &(*pp)->next) {
		struct rt_realm *old = *pp;
		if (old->hash == e->hash && strcmp(old->name, e->name) == 0) {
			/* the rotation goes on where it was */
			e->rr = __atomic_load_n(&old->rr, __ATOMIC_RELAXED);
			e->next = old->next;
			*pp = e;
			pthread_rwlock_unlock(&t->lock);
			free(old);
			return 0;
		}
	}
	e->next = t->realms.buckets[e->hash & (t->realms.nbuckets - 1)];
	t->realms.buckets[e->hash & (t->realms.nbuckets - 1)] = e;
	t->realms.count++;
	rt_map_grow(&t->realms);
	pthread_rwlock_unlock(&t->lock);
	return 0;
}

int realm_table_del_realm(struct realm_table *t, const char *name)
{
	uint32_t h = rt_hash(name);
	struct rt_realm **pp, *victim = NULL;

	pthread_rwlock_wrlock(&t->lock);
	for (pp = (struct rt_realm **)&t->realms.buckets[h & (t->realms.nbuckets - 1)]; *pp;
	     pp = &(*pp)->next) {
		if ((*pp)->hash == h && strcmp((*pp)->name, name) == 0) {
			victim = *pp;
			*pp = victim->next;
			t->realms.count--;
			break;
		}
	}
	pthread_rwlock_unlock(&t->lock);
	free(victim);
	return victim != NULL;
}

int realm_table_put_dnis(struct realm_table *t, const char *number, const char *realm)
{
	struct rt_dnis *d, *old;
	size_t nl = strlen(number), rl = strlen(realm);

	if (nl == 0 || nl > 64 || rl == 0 || rl > REALM_NAME_MAX)
		return -1;
	d = malloc(sizeof(*d));
	if (!d)
		return -1;
	memcpy(d->number, number, nl + 1);
	memcpy(d->realm, realm, rl + 1);
	d->hash = rt_hash(number);

	pthread_rwlock_wrlock(&t->lock);
	old = rt_find_dnis(t, number, d->hash);
	if (old) {
		/* same node, new target: one string copy under the lock */
		memcpy(old->realm, realm, rl + 1);
		pthread_rwlock_unlock(&t->lock);
		free(d);
		return 0;
	}
	d->next = t->dnis.buckets[d->hash & (t->dnis.nbuckets - 1)];
	t->dnis.buckets[d->hash & (t->dnis.nbuckets - 1)] = d;
	t->dnis.count++;
	rt_map_grow(&t->dnis);
	pthread_rwlock_unlock(&t->lock);
	return 0;
}

int realm_table_del_dnis(struct realm_table *t, const char *number)
{
	uint32_t h = rt_hash(number);
	struct rt_dnis **pp, *victim = NULL;

	pthread_rwlock_wrlock(&t->lock);
	for (pp = (struct rt_dnis **)&t->dnis.buckets[h & (t->dnis.nbuckets - 1)]; *pp;
	     pp = &(*pp)->next) {
		if ((*pp)->hash == h && strcmp((*pp)->number, number) == 0) {
			victim = *pp;
			*pp = victim->next;
			t->dnis.count--;
			break;
		}
	}
	pthread_rwlock_unlock(&t->lock);
	free(victim);
	return victim != NULL;
}

void realm_table_swap(struct realm_table *a, struct realm_table *b)
{
	struct realm_table *first = a < b ? a : b, *second = a < b ? b : a;
	struct rt_map tmp;

	if (a == b)
		return;
	pthread_rwlock_wrlock(&first->lock);
	pthread_rwlock_wrlock(&second->lock);
	tmp = a->realms;
	a->realms = b->realms;
	b->realms = tmp;
	tmp = a->dnis;
	a->dnis = b->dnis;
	b->dnis = tmp;
	pthread_rwlock_unlock(&second->lock);
	pthread_rwlock_unlock(&first->lock);
}

/* The realm name candidate i stands for, into buf; 0, or -1 if none (an
 * unmapped DNIS). Caller holds the lock (DNIS map read). */
static int rt_candidate_name(const struct realm_table *t, const struct realm_name *rn, unsigned i,
			     char *buf, size_t len)
{
	const struct realm_candidate *c = &rn->cand[i];
	struct rt_dnis *d;
	int n;

	switch (c->kind) {
	case REALM_CANDIDATE_EXACT:
		n = snprintf(buf, len, "%s", rn->realm);
		break;
	case REALM_CANDIDATE_WILDCARD:
		if (c->off > strlen(rn->realm))
			return -1;
		n = snprintf(buf, len, "*.%s", rn->realm + c->off);
		break;
	case REALM_CANDIDATE_DNIS:
	default:
		d = rt_find_dnis(t, rn->dnis, rt_hash(rn->dnis));
		if (!d)
			return -1;
		n = snprintf(buf, len, "%s", d->realm);
		break;
	}
	return n > 0 && (size_t)n < len ? 0 : -1;
}

int realm_table_lookup(struct realm_table *t, const struct realm_name *rn,
		       struct realm_lookup *out)
{
	char name[REALM_NAME_MAX + 3];
	struct rt_realm *e = NULL;
	unsigned i;

	memset(out, 0, offsetof(struct realm_lookup, lns));
	realm_schema_realm_init(&out->conf);
	__atomic_add_fetch(&t->lookups, 1, __ATOMIC_RELAXED);
	pthread_rwlock_rdlock(&t->lock);
	for (i = 0; i < rn->n; i++) {
		if (rt_candidate_name(t, rn, i, name, sizeof(name)) < 0)
			continue;
		e = rt_find_realm(t, name, rt_hash(name));
		if (e)
			break;
	}
	if (!e) {
		pthread_rwlock_unlock(&t->lock);
		return 0;
	}
	out->found = 1;
	memcpy(out->realm, e->name, sizeof(out->realm));
	out->matched = i;
	out->conf = e->conf;
	out->n_lns = e->n_lns;
	out->n_bad = e->n_bad;
	memcpy(out->lns, e->lns, e->n_lns * sizeof(struct realm_lns));
	if (e->conf.policy == REALM_POLICY_ROUND_ROBIN)
		out->rr_counter = __atomic_add_fetch(&e->rr, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&t->lock);
	__atomic_add_fetch(&t->hits, 1, __ATOMIC_RELAXED);
	return 1;
}

void realm_table_get_stats(struct realm_table *t, struct realm_table_stats *out)
{
	pthread_rwlock_rdlock(&t->lock);
	out->realms = (unsigned)t->realms.count;
	out->dnis = (unsigned)t->dnis.count;
	pthread_rwlock_unlock(&t->lock);
	out->lookups = __atomic_load_n(&t->lookups, __ATOMIC_RELAXED);
	out->hits = __atomic_load_n(&t->hits, __ATOMIC_RELAXED);
}
