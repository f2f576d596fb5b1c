/*
 * realmctl document: the provisioning data of realm-lns (realms, their LNS,
 * DNIS maps) as one in-memory object, filled either from a JSON document
 * (import) or field by field from Redis (export, check), validated in full,
 * and rendered back to JSON. No I/O here: the Redis side lives in store.c,
 * so this file is unit-tested on strings alone.
 *
 * Every field goes through rlm_realm_lns/realm_schema.h, the same validation
 * the FreeRADIUS module applies to what it reads, so realmctl can never write
 * what the module would refuse.
 *
 * JSON document (schema version 1; see policy/realmctl/README.md):
 *   { "schema": 1,
 *     "realms": [ { "name": "corp.example", "mode": "tunnel", "policy": "preference",
 *                   "verify_password": false, "max_endpoints": 31,
 *                   "reply_message": "...", "client_auth_id": "lac1",
 *                   "lns": [ { "id": "lns1", "endpoint": "10.88.2.2", "preference": 1,
 *                              "weight": 1, "secret": "s", "assignment_id": "a",
 *                              "server_auth_id": "lns1", "max_sessions": 0,
 *                              "down": false } ] } ],
 *     "dnis": [ { "number": "5551234", "realm": "corp.example" } ] }
 *
 * Error lines name the object, field and value, and where they came from:
 *   realm=corp.example lns=lns1 field=preference value="70000": out of range 0..65535 (at $.realms[0].lns[0].preference)
 *   realm=corp.example lns=lns1 field=secret: missing (...) (key lns:corp.example:lns1)
 */
#ifndef REALMCTL_DOC_H
#define REALMCTL_DOC_H

#include <stddef.h>

#include "realm_schema.h"

#define REALMCTL_DNIS_MAX 64

/* A growing list of error lines (each malloc'ed, NUL-terminated). */
struct realmctl_errs {
	char  **msg;
	size_t  n;
	size_t  cap;
};

/* An LNS with where it came from. */
struct realmctl_lns {
	struct realm_lns s;
	char             where[64];
};

struct realmctl_realm {
	char                 name[REALM_NAME_MAX + 1];
	struct realm_conf    conf;
	struct realmctl_lns *lns;
	size_t             n_lns;
	size_t             cap_lns;
	char               where[64];   /* JSON path or Redis key, for messages */
};

struct realmctl_dnis {
	char number[REALMCTL_DNIS_MAX + 1];
	char realm[REALM_NAME_MAX + 1];
	char where[64];
};

struct realmctl_doc {
	struct realmctl_realm *realms;
	size_t                 n_realms;
	size_t                 cap_realms;
	struct realmctl_dnis  *dnis;
	size_t                 n_dnis;
	size_t                 cap_dnis;
};

/* printf-style append; returns -1 (so callers can `return realmctl_errs_add(...)`). */
__attribute__((format(printf, 2, 3)))
int realmctl_errs_add(struct realmctl_errs *errs, const char *fmt, ...);
void realmctl_errs_free(struct realmctl_errs *errs);

void realmctl_doc_init(struct realmctl_doc *doc);
void realmctl_doc_free(struct realmctl_doc *doc);

/*
 * Append a realm / an LNS / a DNIS map. Names are not validated here (see
 * realmctl_doc_check); a realm name is lower-cased (realms are case
 * insensitive). `where` labels messages about the object (JSON path or key).
 * Return the new object, or NULL when out of memory or the name is too long
 * (an error line is then added to errs).
 */
struct realmctl_realm *realmctl_doc_add_realm(struct realmctl_doc *doc, const char *name,
					      const char *where, struct realmctl_errs *errs);
struct realmctl_lns *realmctl_realm_add_lns(struct realmctl_realm *realm, const char *id,
					    const char *where, struct realmctl_errs *errs);
struct realmctl_dnis *realmctl_doc_add_dnis(struct realmctl_doc *doc, const char *number,
					    const char *realm, const char *where,
					    struct realmctl_errs *errs);

/*
 * Set one field from its string form (as stored in Redis). On a bad value an
 * error line "realm=R [lns=I ]field=F value=V: reason (at WHERE)" is added and
 * -1 returned; the field then counts as present, so the whole-object check
 * does not report it a second time as missing. `unknown_is_error` makes an unknown field name an error (for
 * import: a typo must not be dropped silently); otherwise it is ignored.
 */
int realmctl_realm_set(struct realmctl_realm *realm, const char *field, const char *value,
		       size_t len, const char *where, int unknown_is_error,
		       struct realmctl_errs *errs);
int realmctl_lns_set(struct realmctl_realm *realm, struct realmctl_lns *lns, const char *field,
		     const char *value, size_t len, const char *where, int unknown_is_error,
		     struct realmctl_errs *errs);

/* Find by (lower-cased) name / id; NULL if absent. */
struct realmctl_realm *realmctl_doc_find_realm(const struct realmctl_doc *doc, const char *name);
struct realmctl_lns *realmctl_realm_find_lns(const struct realmctl_realm *realm, const char *id);

/*
 * Whole-document checks once every field is in: names valid, no duplicate
 * realm / LNS id / DNIS number, required fields present, a tunnel realm has
 * at least one LNS, every DNIS names a realm of the document or one of
 * `known` (realms that exist elsewhere, e.g. in Redis; may be NULL). Adds one
 * line per problem. Returns 0 if the document is clean, -1 otherwise.
 */
int realmctl_doc_check(const struct realmctl_doc *doc, const char *const *known, size_t n_known,
		       struct realmctl_errs *errs);

/*
 * Parse a JSON document (text need not be NUL-terminated) into doc, which
 * must be freshly initialised. Type errors, unknown keys, duplicate object
 * keys and bad values are all reported (not just the first), then
 * realmctl_doc_check runs with `known`. Returns 0 if the document is valid,
 * -1 otherwise (doc then holds what could be read; free it either way).
 */
int realmctl_doc_parse_json(const char *text, size_t len, struct realmctl_doc *doc,
			    const char *const *known, size_t n_known, struct realmctl_errs *errs);

/*
 * Render doc as a JSON document (in the order of doc, only
 * the fields that were set, `sessions` left out: it is a runtime counter).
 * Call realmctl_doc_sort first for a stable order. Returns a malloc'ed
 * NUL-terminated string, or NULL with a line in errs (out of memory, or a
 * value that is not UTF-8 and so cannot be a JSON string).
 */
char *realmctl_doc_to_json(const struct realmctl_doc *doc, struct realmctl_errs *errs);

/* Canonical string form of the fields, as written to Redis: fill buf with
 * the value of `field` of a realm / an LNS if it was set (seen bit) and
 * return 1, or return 0 when not set. */
int realmctl_realm_field_str(const struct realm_conf *conf, const char *field, char *buf,
			     size_t buflen);
int realmctl_lns_field_str(const struct realm_lns *lns, const char *field, char *buf,
			   size_t buflen);

/* The field names a realm / an LNS hash may hold, NULL-terminated. The LNS
 * list leaves out `sessions` (runtime, never written by realmctl). */
extern const char *const realmctl_realm_fields[];
extern const char *const realmctl_lns_fields[];

/* Sort realms, their LNS and the DNIS maps by name (for stable output). */
void realmctl_doc_sort(struct realmctl_doc *doc);

#endif
