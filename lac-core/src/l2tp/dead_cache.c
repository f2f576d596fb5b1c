/* The dead-endpoint cache: an LNS that did not answer (no SCCRP within the
 * setup deadline or the retransmission cycle, an ICMP unreachable quoting our
 * SCCRQ, an ICRQ acknowledged but never answered) is tried last for
 * dead_hold_down_s. A fixed table of DEAD_CACHE_SIZE; the oldest entry goes. */
#include "l2tp/engine_int.h"

#include "util/log.h"

bool dead_check(struct l2tp_engine *e, const struct sockaddr_storage *a, uint64_t now)
{
	size_t i;

	for (i = 0; i < DEAD_CACHE_SIZE; i++)
		if (e->dead[i].until_ms > now && sa_same((const struct sockaddr *)a, &e->dead[i].addr))
			return true;
	return false;
}

void dead_add(struct l2tp_engine *e, const struct sockaddr_storage *a, socklen_t len,
		     uint64_t now)
{
	size_t i, victim = 0;
	char buf[80];

	for (i = 0; i < DEAD_CACHE_SIZE; i++) {
		if (sa_same((const struct sockaddr *)a, &e->dead[i].addr)) {
			victim = i;
			break;
		}
		if (e->dead[i].until_ms < e->dead[victim].until_ms)
			victim = i;
	}
	memcpy(&e->dead[victim].addr, a, len);
	e->dead[victim].len = len;
	e->dead[victim].until_ms = now + (uint64_t)e->cfg.dead_hold_down_s * 1000;
	log_warn("peer=%s event=endpoint_dead hold_down_s=%u",
		 l2tp_sockaddr_str((const struct sockaddr *)a, buf, sizeof(buf)),
		 e->cfg.dead_hold_down_s);
}

bool l2tp_engine_endpoint_dead(struct l2tp_engine *e, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, addr, len < sizeof(ss) ? len : sizeof(ss));
	if (sa_port(&ss) == 0)
		sa_set_port(&ss, L2TP_PORT);
	return dead_check(e, &ss, ev_now_ms(e->loop));
}
