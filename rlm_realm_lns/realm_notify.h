/*
 * realm_notify: the version/notification contract between every writer of
 * the store and the brokers' realm tables (policy/REDIS-SCHEMA.md, "Change
 * notifications"), and the version logic of a broker's sync thread.
 *
 * Contract: a writer that changes a realm (its hash, its LNS set, an LNS
 * hash, its health) or a DNIS map runs realm_notify_script once per changed
 * object IN THE SAME MULTI/EXEC (or script) as the change. The script
 * increments realm_lns:version and publishes "<version> realm <name>",
 * "<version> dnis <number>" or "<version> all" (anything may have changed:
 * re-read everything) on realm_lns:changes, so the version and the message
 * are atomic with the data and versions are gap-free in publish order.
 *
 * Broker side (realm_version_*): pure, no I/O. After a full load read at
 * version V, notification V+1 is applied (only the named object is re-read),
 * one at or below the current version is already in the table, one above
 * V+1 means a notification was missed: full resync. The sync thread also
 * polls realm_lns:version: a version that stays ahead of the table over two
 * polls (a writer that did not publish, a lost message) or that goes back
 * (a failover to a replica that missed writes, a flush) forces a full resync.
 */
#ifndef REALM_NOTIFY_H
#define REALM_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "realm_schema.h"

#define REALM_VERSION_KEY       "realm_lns:version"
#define REALM_NOTIFY_CHANNEL    "realm_lns:changes"

/*
 * KEYS[1] = realm_lns:version; ARGV[1] = channel, ARGV[2] = kind ("realm",
 * "dnis", "all"), ARGV[3] = name ("" for all). Returns the new version.
 */
extern const char realm_notify_script[];

enum realm_notify_kind {
	REALM_NOTIFY_REALM = 0,
	REALM_NOTIFY_DNIS,
	REALM_NOTIFY_ALL,
};

struct realm_notify {
	uint64_t               version;
	enum realm_notify_kind kind;
	char                   name[REALM_NAME_MAX + 1];   /* realm or DNIS; "" for ALL */
};

/* Parse one message. Returns 0, or -1 if it is not of the contract's shape
 * (bad version, kind, or a name that breaks the schema's rules). */
int realm_notify_parse(const char *msg, size_t len, struct realm_notify *out);

/* A decimal version as stored in realm_lns:version ("" or nil: 0). 0 or -1. */
int realm_version_parse(const char *s, size_t len, uint64_t *out);

enum realm_version_action {
	REALM_VERSION_SKIP = 0,     /* already reflected by the table */
	REALM_VERSION_APPLY,        /* re-read the named object */
	REALM_VERSION_RESYNC,       /* full reload */
};

const char *realm_version_action_str(enum realm_version_action a);

struct realm_version {
	int      loaded;            /* the table reflects `version` */
	uint64_t version;
	uint64_t ahead;             /* version seen by the last poll while ahead; 0: none */
};

/* Reset: nothing loaded (at start, and after the connection was lost). */
void realm_version_reset(struct realm_version *v);
/* A full load read at version `at` was published. */
void realm_version_loaded(struct realm_version *v, uint64_t at);
/* A notification of version n arrived: what to do. APPLY advances the
 * version; ALL notifications are RESYNC (or SKIP if already reflected). */
enum realm_version_action realm_version_on_notify(struct realm_version *v, uint64_t n,
						  enum realm_notify_kind kind);
/* A poll read the store's current version: SKIP or RESYNC. */
enum realm_version_action realm_version_on_poll(struct realm_version *v, uint64_t current);

#endif
