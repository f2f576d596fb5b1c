/* The paced traffic phase of lac-dial --traffic (see traffic_run.h). */
#include "dial/traffic_run.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dial/traffic.h"

#define TICK_MS 1

enum run_phase { PHASE_SEND, PHASE_DRAIN, PHASE_DONE };

struct traffic_run {
	struct ev_loop *loop;
	struct traffic_run_cfg cfg;
	unsigned n_flows;
	const struct traffic_run_ops *ops;
	void *arg;
	struct ev_timer timer;
	enum run_phase phase;
	size_t step;
	uint64_t t_step;                /* when the step's sending began */
	uint32_t seq_next, seq_first;
	uint64_t sent, send_failed, received;
	unsigned flow_next;
	uint64_t relay_ticks0, self_ticks0, wall0;
};

/* utime + stime of pid (0: this process) in clock ticks; 0 when unknown. */
static uint64_t cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), pid ? "/proc/%d/stat" : "/proc/self/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');          /* the command name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return ut + st;
}

static uint64_t max_per_tick(uint64_t pps)
{
	uint64_t m = pps / 500;         /* two milliseconds' worth: a late tick catches up */
	return m < 64 ? 64 : m;
}

static void step_begin(struct traffic_run *r, uint64_t now)
{
	r->t_step = now;
	r->seq_first = r->seq_next;
	r->sent = r->send_failed = r->received = 0;
	r->relay_ticks0 = r->cfg.cpu_pid ? cpu_ticks(r->cfg.cpu_pid) : 0;
	r->self_ticks0 = cpu_ticks(0);
	r->wall0 = now;
	r->phase = PHASE_SEND;
}

static void step_report(struct traffic_run *r, uint64_t now)
{
	double hz = (double)sysconf(_SC_CLK_TCK);
	double send_s = r->cfg.step_ms / 1000.0, wall_s = (double)(now - r->wall0) / 1000.0;
	uint64_t lost = r->sent > r->received ? r->sent - r->received : 0;
	double self_s = (double)(cpu_ticks(0) - r->self_ticks0) / hz;
	char relay_us[32] = "-", relay_pct[32] = "-";

	if (r->cfg.cpu_pid) {
		double s = (double)(cpu_ticks(r->cfg.cpu_pid) - r->relay_ticks0) / hz;
		uint64_t pkts = r->sent + r->received;

		snprintf(relay_us, sizeof(relay_us), "%.2f", pkts ? s * 1e6 / (double)pkts : 0.0);
		snprintf(relay_pct, sizeof(relay_pct), "%.0f", wall_s > 0 ? 100.0 * s / wall_s : 0.0);
	}
	printf("traffic step=%zu offered_pps=%" PRIu64 " size=%zu sent=%" PRIu64 " received=%" PRIu64
	       " lost=%" PRIu64 " loss_pct=%.4f send_failed=%" PRIu64 " tx_pps=%.0f rx_pps=%.0f"
	       " relay_cpu_us_per_pkt=%s relay_cpu_pct=%s gen_cpu_pct=%.0f\n",
	       r->step + 1, r->cfg.steps[r->step], r->cfg.size, r->sent, r->received, lost,
	       r->sent ? 100.0 * (double)lost / (double)r->sent : 0.0, r->send_failed,
	       (double)r->sent / send_s, (double)r->received / send_s, relay_us, relay_pct,
	       wall_s > 0 ? 100.0 * self_s / wall_s : 0.0);
	fflush(stdout);
}

static void run_tick(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct traffic_run *r = arg;
	uint64_t now = ev_now_ms(loop), pps, due, i;

	if (r->phase == PHASE_DRAIN) {
		step_report(r, now);
		if (++r->step == r->cfg.n_steps) {
			r->phase = PHASE_DONE;
			r->ops->done(r->arg);
			return;
		}
		step_begin(r, now);
	}
	pps = r->cfg.steps[r->step];
	if (now - r->t_step >= r->cfg.step_ms) {
		/* the schedule's remainder, then the drain */
		due = traffic_due(pps, r->cfg.step_ms, r->sent + r->send_failed);
	} else {
		due = traffic_due(pps, now - r->t_step, r->sent + r->send_failed);
	}
	if (due > max_per_tick(pps))
		due = max_per_tick(pps);
	if (due && r->ops->tick_begin)
		r->ops->tick_begin(r->arg);
	for (i = 0; i < due; i++) {
		if (r->ops->send(r->arg, r->flow_next, r->seq_next) == 0)
			r->sent++;
		else
			r->send_failed++;
		r->seq_next++;
		r->flow_next = (r->flow_next + 1) % r->n_flows;
	}
	if (due && r->ops->tick_end)
		r->ops->tick_end(r->arg);
	if (now - r->t_step >= r->cfg.step_ms) {
		r->phase = PHASE_DRAIN;
		ev_timer_start(loop, &r->timer, TRAFFIC_DRAIN_MS);
		return;
	}
	ev_timer_start(loop, &r->timer, TICK_MS);
}

struct traffic_run *traffic_run_start(struct ev_loop *loop, const struct traffic_run_cfg *cfg,
				      unsigned n_flows, const struct traffic_run_ops *ops, void *arg)
{
	struct traffic_run *r;

	if (!n_flows || !cfg->n_steps)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->loop = loop;
	r->cfg = *cfg;
	r->n_flows = n_flows;
	r->ops = ops;
	r->arg = arg;
	ev_timer_init(&r->timer, run_tick, r);
	step_begin(r, ev_now_ms(loop));
	ev_timer_start(loop, &r->timer, 0);
	return r;
}

void traffic_run_rx(struct traffic_run *r, uint32_t seq)
{
	if (r && r->phase != PHASE_DONE &&
	    traffic_seq_in_step(seq, r->seq_first, r->sent + r->send_failed))
		r->received++;
}

void traffic_run_free(struct traffic_run *r)
{
	if (!r)
		return;
	ev_timer_stop(r->loop, &r->timer);
	free(r);
}

int traffic_parse_steps(const char *spec, struct traffic_run_cfg *cfg)
{
	const char *p = spec;

	cfg->n_steps = 0;
	while (*p) {
		char *end;
		unsigned long long v = strtoull(p, &end, 10);

		if (end == p || cfg->n_steps == TRAFFIC_MAX_STEPS)
			return -1;
		if (*end == 'k' || *end == 'K')
			v *= 1000, end++;
		else if (*end == 'm' || *end == 'M')
			v *= 1000000, end++;
		if (v == 0 || v > 100000000ull || (*end && *end != ','))
			return -1;
		cfg->steps[cfg->n_steps++] = v;
		p = *end ? end + 1 : end;
	}
	return cfg->n_steps ? 0 : -1;
}
