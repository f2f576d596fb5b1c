/* Hand-built hiredis replies for the unit tests of code that reads Redis
 * replies (realm_store, realm_acct): a small arena of redisReply nodes, reset
 * by each test's setup, so the tests need no server and free nothing.
 * Test-only: include from exactly one translation unit per program. */
#ifndef RLNS_TESTS_REDIS_REPLY_ARENA_H
#define RLNS_TESTS_REDIS_REPLY_ARENA_H

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <string.h>

static redisReply reply_arena_nodes[256];
static redisReply *reply_arena_ptrs[1024];
static unsigned reply_arena_n_nodes, reply_arena_n_ptrs;

static inline void reply_arena_reset(void)
{
	reply_arena_n_nodes = reply_arena_n_ptrs = 0;
}

static inline redisReply *rstr(const char *s)
{
	redisReply *r = &reply_arena_nodes[reply_arena_n_nodes++];
	memset(r, 0, sizeof(*r));
	r->type = REDIS_REPLY_STRING;
	r->str = (char *)s;
	r->len = strlen(s);
	return r;
}

static inline redisReply *rnum(long long v)
{
	redisReply *r = &reply_arena_nodes[reply_arena_n_nodes++];
	memset(r, 0, sizeof(*r));
	r->type = REDIS_REPLY_INTEGER;
	r->integer = v;
	return r;
}

static inline redisReply *rerr(const char *s)
{
	redisReply *r = rstr(s);
	r->type = REDIS_REPLY_ERROR;
	return r;
}

/* rarr(n, elem...): an array of the n replies that follow. */
static inline redisReply *rarr(unsigned n, ...)
{
	redisReply *r = &reply_arena_nodes[reply_arena_n_nodes++];
	va_list ap;
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->type = REDIS_REPLY_ARRAY;
	r->elements = n;
	r->element = &reply_arena_ptrs[reply_arena_n_ptrs];
	va_start(ap, n);
	for (i = 0; i < n; i++)
		reply_arena_ptrs[reply_arena_n_ptrs++] = va_arg(ap, redisReply *);
	va_end(ap);
	return r;
}

#endif
