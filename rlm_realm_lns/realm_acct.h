/*
 * realm_acct: LNS session accounting, the one Redis round trip per
 * Accounting-Request that keeps lns:<realm>:<id> `sessions` exact.
 *
 * RFC 2866 5.1 Acct-Status-Type decides the operation; RFC 2867 4 says a
 * tunnelled session's accounting carries the tunnel attributes of the
 * Access-Accept tag the LAC used (Tunnel-Server-Endpoint, Tunnel-Assignment-Id),
 * which is how we find the LNS again. The store (policy/REDIS-SCHEMA.md,
 * "Session accounting"):
 *   realm_lns:acct:<nas>/<session-id>   STRING  the LNS key, TTL = session ttl
 *   realm_lns:sessions:<realm>:<id>     ZSET    acct keys scored by expiry (unix s)
 *   realm_lns:nas:<nas>                 ZSET    the NAS's session ids scored by expiry
 * and `sessions` in the LNS hash is the live cardinality of its ZSET, written
 * by every script run that touches the LNS (and by the lookup for an LNS at
 * its cap), so a LAC that died without Stop stops counting when its sessions'
 * TTL runs out.
 *
 * The script (realm_acct_script, EVALSHA) gets the realm candidate keys of
 * realm_name_parse as KEYS and ARGV = op, nas, session-id, endpoint,
 * assignment-id, ttl. Reply: { outcome, lns-key ("" if none), count } where
 * count is the LNS's sessions after the operation (cleared: sessions removed).
 *
 * This file needs hiredis headers but no connection (tests build replies by
 * hand). No allocation, no logging, no globals.
 */
#ifndef REALM_ACCT_H
#define REALM_ACCT_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "realm_name.h"
#include "realm_schema.h"

#define REALM_ACCT_KEY_PREFIX       "realm_lns:acct:"
#define REALM_ACCT_SESSIONS_PREFIX  "realm_lns:sessions:"
#define REALM_ACCT_NAS_PREFIX       "realm_lns:nas:"

#define REALM_ACCT_NAS_MAX          64    /* NAS identity bytes */
#define REALM_ACCT_SESSION_ID_MAX   253   /* RFC 2865 5: one attribute's value */
#define REALM_ACCT_TTL_MAX          (30u * 86400u)
/* "lns:" + realm + ":" + id */
#define REALM_ACCT_LNS_KEY_MAX      (4 + REALM_NAME_MAX + 1 + REALM_LNS_ID_MAX)

extern const char realm_acct_script[];

enum realm_acct_op {
	REALM_ACCT_OP_NONE = 0,     /* no effect on session counts */
	REALM_ACCT_OP_START,
	REALM_ACCT_OP_INTERIM,
	REALM_ACCT_OP_STOP,
	REALM_ACCT_OP_NAS_RESET,    /* Accounting-On / Accounting-Off */
	REALM_ACCT_OP_REJECT,       /* RFC 2867 Tunnel-Reject / Tunnel-Link-Reject: LNS health */
};

const char *realm_acct_op_str(enum realm_acct_op op);

/*
 * RFC 2866 5.1: 1 Start, 2 Stop, 3 Interim-Update, 7 Accounting-On and
 * 8 Accounting-Off (both: every session of that NAS is gone); RFC 2867 4.1
 * 11 Tunnel-Reject and 14 Tunnel-Link-Reject are OP_REJECT (they count
 * nothing: they mark the LNS unhealthy, policy/REDIS-SCHEMA.md "LNS
 * health"). Anything else, including the other Tunnel-* and Tunnel-Link-*
 * types and 15 Failed, is OP_NONE: counting those too would count a session
 * twice whenever their Acct-Session-Id differs from the session's Start.
 */
enum realm_acct_op realm_acct_op_from_status(uint32_t status_type);

enum realm_acct_outcome {
	REALM_ACCT_STARTED = 0,     /* Start: new session counted */
	REALM_ACCT_DUPLICATE,       /* Start of a session already counted (retransmission) */
	REALM_ACCT_REFRESHED,       /* Interim: TTL renewed */
	REALM_ACCT_RECREATED,       /* Interim or Stop-less state lost: session counted again */
	REALM_ACCT_STOPPED,         /* Stop: session no longer counted */
	REALM_ACCT_UNKNOWN,         /* Stop of a session not counted (duplicate Stop, expired) */
	REALM_ACCT_CLEARED,         /* Accounting-On/Off: count = sessions removed */
	REALM_ACCT_NO_REALM,        /* no realm for this User-Name / DNIS */
	REALM_ACCT_NO_LNS,          /* realm found, no LNS with that endpoint */
	REALM_ACCT_UNHEALTHY,       /* Reject: LNS in hold-down; count = its end (unix s) */
	REALM_ACCT_IGNORED,         /* Reject with health off (hold-down 0) */
	REALM_ACCT_OUTCOME_COUNT
};

const char *realm_acct_outcome_str(enum realm_acct_outcome outcome);

struct realm_acct_req {
	enum realm_acct_op op;
	const char        *nas;             /* realm_acct_check_nas() holds */
	const char        *session_id;      /* raw bytes; "" only for NAS_RESET */
	size_t             session_id_len;
	const char        *endpoint;        /* Tunnel-Server-Endpoint text; "" for NAS_RESET */
	const char        *assignment_id;   /* "" if absent */
	size_t             assignment_id_len;
	uint32_t           ttl_s;           /* 1..REALM_ACCT_TTL_MAX */
	uint32_t           hold_s;          /* LNS health hold-down; 0: health off */
};

/*
 * A NAS identity names the per-NAS set and is part of every acct key, so it
 * must not contain the '/' that separates it from the session id: 1..64 bytes
 * of [A-Za-z0-9._:-] (an IPv4 or IPv6 literal, or a host-like
 * NAS-Identifier). Returns 0 or -1.
 */
int realm_acct_check_nas(const char *nas);

/*
 * The hold-down a Tunnel-Reject still deserves when it arrives delay_s late
 * (RFC 2866 5.2 Acct-Delay-Time: a LAC's spool replays it after a restart or
 * an outage): the mark ends hold_s after the refusal, not after its arrival.
 * 0: the hold-down is already over, the record changes nothing.
 */
uint32_t realm_acct_reject_hold_left(uint32_t hold_s, uint32_t delay_s);

/*
 * An Acct-Session-Id we can key on: 1..253 bytes, printable ASCII (0x20..0x7e);
 * RFC 2866 5.5 recommends a printable string. Returns 0 or -1.
 */
int realm_acct_check_session_id(const char *sid, size_t len);

/*
 * Fill argv/argvlen for EVALSHA: "EVALSHA" sha numkeys key... op nas sid
 * endpoint assignment-id ttl. rn may be NULL (no candidates: Stop and NAS
 * reset do not need them). buf holds numkeys, the keys and the ttl
 * (32 + REALM_KEY_MAX * rn->n bytes is enough); the other arguments point
 * into req. Returns argc, or -1 if req is invalid or a capacity too small.
 */
int realm_acct_argv(const struct realm_acct_req *req, const struct realm_name *rn,
		    const char *sha, char *buf, size_t buflen, const char **argv,
		    size_t *argvlen, int argv_cap);

struct realm_acct_result {
	enum realm_acct_outcome outcome;
	char                    lns_key[REALM_ACCT_LNS_KEY_MAX + 1];   /* "" if none */
	long long               count;
};

/*
 * Parse the script's reply. Returns 0, or -1 if it does not have the
 * script's shape (error replies included: the caller reports those).
 */
int realm_acct_parse(const redisReply *reply, struct realm_acct_result *out);

#endif
