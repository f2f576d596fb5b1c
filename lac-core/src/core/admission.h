/* Call admission control (issue 11): whether lac-core takes a new call, and
 * why not. Pure: no sockets, no clock (now_ms comes in), no logging; the
 * subscriber flow asks at three named points and reports the ends:
 *
 *   1. admission_call_start()  a new access connection (before PPP starts):
 *                              drain, maximum sessions in all, calls per
 *                              second (token bucket with a small burst);
 *   2. admission_tunnel_take() an Access-Accept that tunnels to a realm's
 *                              LNS: per-realm and per-LNS session maxima
 *                              (configured, or from the RADIUS reply);
 *   3. admission_tunnel_release() / admission_call_end() when the session
 *                              ends, whatever state it reached.
 *
 * Existing sessions are never touched: drain refuses only new calls. Every
 * refusal is counted by cause (lacctl show counters). The PPPoE PADI/PADR
 * rate limits use the same bucket (adm_bucket_take) inside the PPPoE server. */
#ifndef CORE_ADMISSION_H
#define CORE_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A token bucket: `rate` tokens a second, at most `burst` stored (a burst
 * below 1 counts as 1). Kept in thousandths of a token so that low rates
 * refill smoothly. rate 0: no limit. */
struct adm_bucket {
	uint64_t last_ms;
	uint64_t milli;         /* tokens * 1000 */
	bool primed;
};

static inline bool adm_bucket_take(struct adm_bucket *b, uint64_t now_ms, uint32_t rate,
				   uint32_t burst)
{
	if (rate == 0)
		return true;
	uint64_t cap = (uint64_t)(burst ? burst : 1) * 1000u;
	if (!b->primed) {
		b->primed = true;
		b->milli = cap;
		b->last_ms = now_ms;
	}
	if (now_ms > b->last_ms) {
		uint64_t add = (now_ms - b->last_ms) * rate;    /* ms * tokens/s = milli-tokens */
		b->milli = b->milli + add > cap ? cap : b->milli + add;
		b->last_ms = now_ms;
	}
	if (b->milli < 1000)
		return false;
	b->milli -= 1000;
	return true;
}

enum adm_cause {
	ADM_OK = 0,
	ADM_DRAINING,           /* lacctl drain */
	ADM_MAX_SESSIONS,       /* [lac] max_sessions */
	ADM_CALL_RATE,          /* [admission] calls_per_second */
	ADM_REALM_LIMIT,        /* sessions of the realm at its maximum */
	ADM_LNS_LIMIT,          /* sessions to every candidate LNS at its maximum */
	ADM_N_CAUSES
};
/* "draining", "max-sessions", ... for counters and logs. */
const char *adm_cause_str(enum adm_cause c);
/* What the subscriber is told (PPP authentication failure message / PADT
 * Generic-Error): "LAC draining: new calls refused", ... */
const char *adm_cause_text(enum adm_cause c);

struct admission_config {
	uint32_t max_sessions;          /* 0: no limit */
	uint32_t max_per_realm;         /* default when the reply names none; 0: none */
	uint32_t max_per_lns;
	uint32_t calls_per_second;      /* 0: no limit */
	uint32_t calls_burst;
};

#define ADM_KEY_MAX 64
#define ADM_TABLE_SIZE 1024             /* realms and LNSs with live sessions */

struct adm_count {
	char key[ADM_KEY_MAX];          /* "" = free slot */
	uint32_t n;
};

struct admission {
	struct admission_config cfg;
	bool draining;
	uint32_t calls;                 /* admitted and not ended */
	struct adm_bucket rate;
	struct adm_count realms[ADM_TABLE_SIZE], lns[ADM_TABLE_SIZE];
	uint64_t admitted;
	uint64_t refused[ADM_N_CAUSES];
};

void admission_init(struct admission *a, const struct admission_config *cfg);
/* New limits (reload); counts and drain state are kept. */
void admission_set_config(struct admission *a, const struct admission_config *cfg);
void admission_set_draining(struct admission *a, bool on);

/* Point 1. ADM_OK: the call is counted until admission_call_end(). */
enum adm_cause admission_call_start(struct admission *a, uint64_t now_ms);
void admission_call_end(struct admission *a);

/* Point 2: the realm (may be "") and the candidate LNS keys (e.g. the
 * Tunnel-Server-Endpoint) of an Access-Accept. realm_max / lns_max override
 * the configured maxima when non-zero (from the RADIUS reply). Fills
 * usable[i] for each candidate below its LNS maximum. ADM_OK: the realm is
 * counted and *taken_lns is the first usable candidate, counted until
 * admission_tunnel_release(). Failover to another candidate moves the count
 * with admission_tunnel_move(). */
enum adm_cause admission_tunnel_take(struct admission *a, const char *realm, uint32_t realm_max,
				     const char *const *lns, size_t n_lns, uint32_t lns_max,
				     bool *usable, size_t *taken_lns);
void admission_tunnel_move(struct admission *a, const char *from_lns, const char *to_lns);
void admission_tunnel_release(struct admission *a, const char *realm, const char *lns);

/* Live sessions counted for a realm / an LNS key. */
uint32_t admission_realm_count(const struct admission *a, const char *realm);
uint32_t admission_lns_count(const struct admission *a, const char *lns);

/* ---- a session's admission, as one object the subscriber keeps ---- */

/* What one session holds: its call, and its realm/LNS counts once tunnelled. */
struct adm_ticket {
	bool call, tunnel;
	char realm[ADM_KEY_MAX];
	char lns[ADM_KEY_MAX];
};

/* Point 1 through a ticket. */
enum adm_cause admission_ticket_call(struct admission *a, struct adm_ticket *t, uint64_t now_ms);
/* Point 2 through a ticket: the realm is what follows the last '@' of
 * user_name ("" without one). usable as in admission_tunnel_take(). */
enum adm_cause admission_ticket_tunnel(struct admission *a, struct adm_ticket *t, const char *user_name,
				       uint32_t realm_max, const char *const *lns, size_t n_lns,
				       uint32_t lns_max, bool *usable);
/* Failover: the session now counts against to_lns. */
void admission_ticket_move(struct admission *a, struct adm_ticket *t, const char *to_lns);
/* Point 3: releases whatever the ticket holds. Idempotent. */
void admission_ticket_release(struct admission *a, struct adm_ticket *t);

/* One line of key=value pairs (no newline): state, calls and each cause. */
int admission_counters_format(const struct admission *a, char *buf, size_t cap);

#endif
