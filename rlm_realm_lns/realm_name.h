/*
 * realm_name: from a User-Name and a Called-Station-Id (DNIS) to the ordered
 * list of Redis keys that may name the subscriber's realm.
 *
 * Forms (delimiters configurable):
 *   suffix  user@realm         the last suffix delimiter splits (as FreeRADIUS rlm_realm)
 *   prefix  realm/user, realm\user   the first prefix delimiter splits
 * A name holding a suffix delimiter is decided by it (no fallback to the
 * prefix form), so "corp/joe@isp" is realm "isp". Realms are folded to
 * lower-case; a realm that is not a valid DNS-style name (empty, "*", bytes
 * outside a-z 0-9 - _ ., empty labels, > 253 bytes, non-ASCII) gives no
 * domain candidates: a defined outcome for malformed input, never an error.
 *
 * Candidates, in lookup order for the domain part:
 *   realm:<realm>, realm:*.<parent>, realm:*.<grandparent>, ... (one label left)
 * and for the DNIS part: dnis:<called-station-id>. The search order (Cisco's
 * "vpdn search-order") puts the DNIS before or after the domain, or alone.
 * Pure: no allocation, no globals, no logging.
 */
#ifndef REALM_NAME_H
#define REALM_NAME_H

#include <stddef.h>

#include "realm_schema.h"

enum realm_search_order {
	REALM_SEARCH_DOMAIN_FIRST = 0,  /* domain, then DNIS */
	REALM_SEARCH_DNIS_FIRST,        /* DNIS, then domain */
	REALM_SEARCH_DOMAIN_ONLY,
	REALM_SEARCH_DNIS_ONLY,
};

const char *realm_search_order_str(enum realm_search_order order);
/* "domain-first", "dnis-first", "domain-only", "dnis-only": 0, or -1 if unknown. */
int realm_search_order_parse(const char *s, enum realm_search_order *out);

struct realm_name_opts {
	const char              *suffix_delimiters;   /* e.g. "@"; NULL or "" disables */
	const char              *prefix_delimiters;   /* e.g. "/\\"; NULL or "" disables */
	enum realm_search_order  order;
	int                      wildcard;            /* 1: add realm:*.<parent> keys */
};

enum realm_candidate_kind {
	REALM_CANDIDATE_EXACT = 0,  /* realm:<realm> */
	REALM_CANDIDATE_WILDCARD,   /* realm:*.<realm + off> */
	REALM_CANDIDATE_DNIS,       /* dnis:<dnis> */
};

const char *realm_candidate_kind_str(enum realm_candidate_kind kind);

/* A 253-byte name has at most 127 labels, so at most 126 parents. */
#define REALM_CANDIDATES_MAX  128
/* "realm:" + "*." + 253 + NUL */
#define REALM_KEY_MAX         (6 + 2 + REALM_NAME_MAX + 1)

struct realm_candidate {
	enum realm_candidate_kind kind;
	size_t                    off;   /* WILDCARD: offset of the parent in realm[] */
};

struct realm_name {
	char                   realm[REALM_NAME_MAX + 1];  /* lower-cased; "" if none */
	size_t                 user_off, user_len;          /* user part within the User-Name */
	char                   dnis[64 + 1];                /* "" if none or invalid */
	unsigned               n;
	struct realm_candidate cand[REALM_CANDIDATES_MAX];
};

/*
 * Parse. user/ulen and dnis/dlen are raw attribute bytes (either may be NULL
 * with length 0; embedded NULs make the value invalid). Returns the number of
 * candidates (0: nothing to look up, the module returns noop).
 */
unsigned realm_name_parse(const struct realm_name_opts *opts, const char *user, size_t ulen,
			  const char *dnis, size_t dlen, struct realm_name *out);

/* Write candidate i's Redis key ("realm:...", "dnis:...") into buf. Returns
 * its length, or -1 if i is out of range or buf is too small. */
int realm_name_key(const struct realm_name *rn, unsigned i, char *buf, size_t len);

#endif
