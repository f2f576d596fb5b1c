/*
 * realm_store: the one Redis round trip of a realm lookup.
 *
 * The lookup is a Lua script (loaded once per connection with SCRIPT LOAD, run
 * with EVALSHA) that receives every candidate key of realm_name_parse in
 * order (realm:<exact>, realm:*.<parent>..., dnis:<id>) and returns the first
 * realm that exists, its hash, and the hashes of its LNS set, so a lookup is
 * never one command per attribute. Reply shape:
 *   {} (nothing found)  or
 *   { realm-name, {realm hash flat}, {id1, {lns hash flat}, id2, {...}, ...},
 *     rr-counter (integer, 0 unless policy round-robin), matched-key-index (1-based) }
 *
 * This file needs hiredis headers but no connection: realm_store_parse works
 * on a redisReply tree, so tests build replies by hand.
 */
#ifndef REALM_STORE_H
#define REALM_STORE_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "realm_name.h"
#include "realm_schema.h"

/* LNS ids read per realm (a set larger than this is cut, sorted by id). */
#define REALM_STORE_LNS_MAX  64

extern const char realm_store_script[];

/*
 * The realm table's read of one realm (realm_sync.h): KEYS[1] = realm:<name>,
 * ARGV[1] = how many LNS ids to read. Read-only (a replica can answer it).
 * The reply has the lookup script's shape with rr-counter 0 and matched
 * index 1, so realm_store_parse reads it with a one-candidate realm_name
 * (realm_store_one_name). Each LNS hash gets the field unhealthy_until
 * appended when realm_lns:health:<name>:<id> holds one.
 */
extern const char realm_store_load_script[];

/* A realm_name with the single exact candidate `name` (for parsing the load
 * script's reply). Returns 0, or -1 if name is not a valid realm name. */
int realm_store_one_name(const char *name, struct realm_name *out);

/*
 * The live session counts of capped LNS: KEYS = lns:<realm>:<id> keys.
 * Reply: one integer per key, the members of realm_lns:sessions:<realm>:<id>
 * that have not expired (score > now). Read-only.
 */
extern const char realm_store_caps_script[];

struct realm_lookup {
	int                 found;
	char                realm[REALM_NAME_MAX + 1];
	unsigned            matched;          /* index into realm_name.cand[] */
	struct realm_conf   conf;
	uint64_t            rr_counter;
	unsigned            n_lns;            /* valid LNS in lns[] */
	unsigned            n_bad;            /* LNS skipped because of bad data */
	struct realm_lns    lns[REALM_STORE_LNS_MAX];
};

/* Called once per bad item: key is the Redis key, msg names field and value. */
typedef void (*realm_store_warn_fn)(void *ctx, const char *key, const char *msg);

/*
 * Fill argv/argvlen for EVALSHA: "EVALSHA" sha numkeys key... maxlns.
 * keybuf holds numkeys and the formatted keys (8 + REALM_KEY_MAX * rn->n bytes is enough).
 * Returns argc, or -1 if a capacity is too small.
 */
int realm_store_argv(const struct realm_name *rn, const char *sha, char *keybuf,
		     size_t keybuf_len, const char **argv, size_t *argvlen, int argv_cap);

/*
 * Parse the script's reply. Returns 0 (out->found says whether a realm
 * matched), or -1 if the reply does not have the script's shape or the realm
 * hash itself is invalid (then the whole realm is unusable; warn was called).
 * A bad LNS is reported through warn and skipped (counted in n_bad).
 */
int realm_store_parse(const redisReply *reply, const struct realm_name *rn,
		      struct realm_lookup *out, realm_store_warn_fn warn, void *ctx);

#endif
