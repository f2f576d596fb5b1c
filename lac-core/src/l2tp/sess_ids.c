/* Session IDs, per tunnel (RFC 2661 3.1: the Session ID "has local
 * significance only" within its tunnel, 4.4.3 Assigned Session ID). A
 * session is found by (local tunnel ID, local session ID) in one hash table
 * for the engine, with chains through the sessions themselves, so the LAC's
 * sessions are not bounded by one 16-bit ID space: each tunnel has its own
 * 65,535 IDs. A session holds an ID only while it is on a tunnel; failing
 * over to another LNS it takes a new one there. */
#include "l2tp/engine_int.h"

#include <stdlib.h>

#define SESS_IDS_MIN_BITS 10     /* 1,024 buckets at start */

static uint32_t sid_key(uint16_t tid, uint16_t sid)
{
	return (uint32_t)tid << 16 | sid;
}

/* Fibonacci hashing: the top bits of the key times 2^32/phi, so the tunnel ID
 * in the key's high half moves the bucket as much as the session ID does. */
static struct l2tp_session **sid_bucket(const struct l2tp_engine *e, uint32_t key)
{
	return &e->sid_buckets[(key * 2654435769u) >> e->sid_shift];
}

int sess_ids_init(struct l2tp_engine *e)
{
	e->sid_buckets = calloc((size_t)1 << SESS_IDS_MIN_BITS, sizeof(*e->sid_buckets));
	if (!e->sid_buckets)
		return -1;
	e->sid_shift = 32 - SESS_IDS_MIN_BITS;
	e->n_sids = 0;
	return 0;
}

void sess_ids_free(struct l2tp_engine *e)
{
	free(e->sid_buckets);
	e->sid_buckets = NULL;
	e->n_sids = 0;
}

/* Doubles the table when it holds more sessions than buckets (up to 2^24);
 * on allocation failure the chains just grow longer. It does not shrink: 8
 * bytes a bucket at the peak (1 MiB after 65,536 sessions). */
static void sess_ids_grow(struct l2tp_engine *e)
{
	unsigned bits = 32 - e->sid_shift;
	size_t old_n = (size_t)1 << bits, n = old_n * 2, i;
	struct l2tp_session **t;

	if (bits >= 24)
		return;
	t = calloc(n, sizeof(*t));
	if (!t)
		return;
	for (i = 0; i < old_n; i++) {
		struct l2tp_session *s = e->sid_buckets[i], *next;

		for (; s; s = next) {
			uint32_t key = sid_key(s->id_tid, s->fsm.local_sid);
			size_t to = (key * 2654435769u) >> (e->sid_shift - 1);

			next = s->hnext;
			s->hnext = t[to];
			t[to] = s;
		}
	}
	free(e->sid_buckets);
	e->sid_buckets = t;
	e->sid_shift--;
}

struct l2tp_session *sess_by_id(const struct l2tp_engine *e, uint16_t tid, uint16_t sid)
{
	uint32_t key = sid_key(tid, sid);
	struct l2tp_session *s;

	if (!sid)
		return NULL;
	for (s = *sid_bucket(e, key); s; s = s->hnext)
		if (s->fsm.local_sid == sid && s->id_tid == tid)
			return s;
	return NULL;
}

struct sid_scope {
	const struct l2tp_engine *e;
	uint16_t tid;
};

static bool sid_taken(const void *ctx, uint16_t sid)
{
	const struct sid_scope *scope = ctx;

	return sess_by_id(scope->e, scope->tid, sid) != NULL;
}

uint16_t sess_id_assign(struct l2tp_session *s, uint16_t tid)
{
	struct l2tp_engine *e = s->e;
	struct sid_scope scope = { e, tid };
	struct l2tp_session **b;
	uint16_t sid;

	sess_id_release(s);
	sid = eng_alloc_id(sid_taken, &scope);     /* random: issue 8 */
	if (!sid)
		return 0;
	if (e->n_sids >= ((size_t)1 << (32 - e->sid_shift)))
		sess_ids_grow(e);
	s->fsm.local_sid = sid;
	s->id_tid = tid;
	b = sid_bucket(e, sid_key(tid, sid));
	s->hnext = *b;
	*b = s;
	e->n_sids++;
	return sid;
}

void sess_id_release(struct l2tp_session *s)
{
	struct l2tp_engine *e = s->e;
	struct l2tp_session **pp;

	if (!s->id_tid)
		return;
	for (pp = sid_bucket(e, sid_key(s->id_tid, s->fsm.local_sid)); *pp; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			e->n_sids--;
			break;
		}
	s->hnext = NULL;
	s->id_tid = 0;
}
