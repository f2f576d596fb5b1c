/* Call admission control. See admission.h. */
#include "core/admission.h"

#include <stdio.h>
#include <string.h>

const char *adm_cause_str(enum adm_cause c)
{
	switch (c) {
	case ADM_OK: return "ok";
	case ADM_DRAINING: return "draining";
	case ADM_MAX_SESSIONS: return "max-sessions";
	case ADM_CALL_RATE: return "call-rate";
	case ADM_REALM_LIMIT: return "realm-limit";
	case ADM_LNS_LIMIT: return "lns-limit";
	case ADM_N_CAUSES: break;
	}
	return "unknown";
}

const char *adm_cause_text(enum adm_cause c)
{
	switch (c) {
	case ADM_OK: return "admitted";
	case ADM_DRAINING: return "LAC draining: new calls refused";
	case ADM_MAX_SESSIONS: return "LAC at its session limit";
	case ADM_CALL_RATE: return "LAC call rate limit";
	case ADM_REALM_LIMIT: return "Session limit of the realm reached";
	case ADM_LNS_LIMIT: return "Session limit of the LNS reached";
	case ADM_N_CAUSES: break;
	}
	return "refused";
}

void admission_init(struct admission *a, const struct admission_config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
}

void admission_set_config(struct admission *a, const struct admission_config *cfg)
{
	a->cfg = *cfg;
}

void admission_set_draining(struct admission *a, bool on)
{
	a->draining = on;
}

static enum adm_cause refuse(struct admission *a, enum adm_cause c)
{
	a->refused[c]++;
	return c;
}

enum adm_cause admission_call_start(struct admission *a, uint64_t now_ms)
{
	if (a->draining)
		return refuse(a, ADM_DRAINING);
	if (a->cfg.max_sessions && a->calls >= a->cfg.max_sessions)
		return refuse(a, ADM_MAX_SESSIONS);
	if (!adm_bucket_take(&a->rate, now_ms, a->cfg.calls_per_second, a->cfg.calls_burst))
		return refuse(a, ADM_CALL_RATE);
	a->calls++;
	a->admitted++;
	return ADM_OK;
}

void admission_call_end(struct admission *a)
{
	if (a->calls)
		a->calls--;
}

static unsigned key_hash(const char *k)
{
	uint32_t h = 2166136261u;
	for (; *k; k++)
		h = (h ^ (uint8_t)*k) * 16777619u;
	return h % ADM_TABLE_SIZE;
}

/* The slot of key (open addressing, linear probe); create: take a free one.
 * NULL when absent (or the table is full: then the key is not limited). */
static struct adm_count *slot(struct adm_count *t, const char *key, bool create)
{
	if (!key || !*key || strlen(key) >= ADM_KEY_MAX)
		return NULL;
	unsigned h = key_hash(key);
	struct adm_count *free_slot = NULL;
	for (unsigned i = 0; i < ADM_TABLE_SIZE; i++) {
		struct adm_count *s = &t[(h + i) % ADM_TABLE_SIZE];
		if (s->key[0] == '\0') {
			/* A slot freed at n == 0 keeps its key (tombstone), so probing
			 * never stops early; a truly empty one ends the chain. */
			if (!free_slot)
				free_slot = s;
			break;
		}
		if (strcmp(s->key, key) == 0)
			return s;
		if (s->n == 0 && !free_slot)
			free_slot = s;
	}
	if (!create || !free_slot)
		return NULL;
	snprintf(free_slot->key, sizeof(free_slot->key), "%s", key);
	free_slot->n = 0;
	return free_slot;
}

static const struct adm_count *cslot(const struct adm_count *t, const char *key)
{
	return slot((struct adm_count *)t, key, false);
}

uint32_t admission_realm_count(const struct admission *a, const char *realm)
{
	const struct adm_count *s = cslot(a->realms, realm);
	return s ? s->n : 0;
}

uint32_t admission_lns_count(const struct admission *a, const char *lns)
{
	const struct adm_count *s = cslot(a->lns, lns);
	return s ? s->n : 0;
}

enum adm_cause admission_tunnel_take(struct admission *a, const char *realm, uint32_t realm_max,
				     const char *const *lns, size_t n_lns, uint32_t lns_max,
				     bool *usable, size_t *taken_lns)
{
	uint32_t rmax = realm_max ? realm_max : a->cfg.max_per_realm;
	uint32_t lmax = lns_max ? lns_max : a->cfg.max_per_lns;
	size_t first = n_lns;

	if (rmax && admission_realm_count(a, realm) >= rmax)
		return refuse(a, ADM_REALM_LIMIT);
	for (size_t i = 0; i < n_lns; i++) {
		usable[i] = !lmax || admission_lns_count(a, lns[i]) < lmax;
		if (usable[i] && first == n_lns)
			first = i;
	}
	if (n_lns && first == n_lns)
		return refuse(a, ADM_LNS_LIMIT);
	struct adm_count *r = slot(a->realms, realm, true);
	if (r)
		r->n++;
	if (first < n_lns) {
		struct adm_count *l = slot(a->lns, lns[first], true);
		if (l)
			l->n++;
	}
	*taken_lns = first;
	return ADM_OK;
}

void admission_tunnel_move(struct admission *a, const char *from_lns, const char *to_lns)
{
	struct adm_count *f = slot(a->lns, from_lns, false), *t = slot(a->lns, to_lns, true);
	if (f && f->n)
		f->n--;
	if (t)
		t->n++;
}

void admission_tunnel_release(struct admission *a, const char *realm, const char *lns)
{
	struct adm_count *r = slot(a->realms, realm, false), *l = slot(a->lns, lns, false);
	if (r && r->n)
		r->n--;
	if (l && l->n)
		l->n--;
}

static void admission_ticket_release_tunnel(struct admission *a, struct adm_ticket *t)
{
	admission_tunnel_release(a, t->realm, t->lns);
	t->tunnel = false;
}

enum adm_cause admission_ticket_call(struct admission *a, struct adm_ticket *t, uint64_t now_ms)
{
	enum adm_cause c = admission_call_start(a, now_ms);
	if (c == ADM_OK)
		t->call = true;
	return c;
}

enum adm_cause admission_ticket_tunnel(struct admission *a, struct adm_ticket *t, const char *user_name,
				       uint32_t realm_max, const char *const *lns, size_t n_lns,
				       uint32_t lns_max, bool *usable)
{
	const char *at = user_name ? strrchr(user_name, '@') : NULL;
	const char *realm = at ? at + 1 : "";
	size_t taken = n_lns;
	if (t->tunnel)
		admission_ticket_release_tunnel(a, t);
	enum adm_cause c = admission_tunnel_take(a, realm, realm_max, lns, n_lns, lns_max, usable, &taken);
	if (c != ADM_OK)
		return c;
	t->tunnel = true;
	snprintf(t->realm, sizeof(t->realm), "%s", strlen(realm) < ADM_KEY_MAX ? realm : "");
	snprintf(t->lns, sizeof(t->lns), "%s", taken < n_lns && strlen(lns[taken]) < ADM_KEY_MAX ? lns[taken] : "");
	return ADM_OK;
}

void admission_ticket_move(struct admission *a, struct adm_ticket *t, const char *to_lns)
{
	if (!t->tunnel || !to_lns || strlen(to_lns) >= ADM_KEY_MAX)
		return;
	admission_tunnel_move(a, t->lns, to_lns);
	snprintf(t->lns, sizeof(t->lns), "%s", to_lns);
}

void admission_ticket_release(struct admission *a, struct adm_ticket *t)
{
	if (t->tunnel)
		admission_ticket_release_tunnel(a, t);
	if (t->call) {
		admission_call_end(a);
		t->call = false;
	}
}

int admission_counters_format(const struct admission *a, char *buf, size_t cap)
{
	return snprintf(buf, cap,
			"draining=%s calls=%u admitted=%llu refused_draining=%llu refused_max_sessions=%llu "
			"refused_call_rate=%llu refused_realm_limit=%llu refused_lns_limit=%llu",
			a->draining ? "yes" : "no", a->calls, (unsigned long long)a->admitted,
			(unsigned long long)a->refused[ADM_DRAINING],
			(unsigned long long)a->refused[ADM_MAX_SESSIONS],
			(unsigned long long)a->refused[ADM_CALL_RATE],
			(unsigned long long)a->refused[ADM_REALM_LIMIT],
			(unsigned long long)a->refused[ADM_LNS_LIMIT]);
}
