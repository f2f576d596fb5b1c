/* The paced traffic phase of lac-dial --traffic: for each offered rate (a
 * step), packets go out for step_ms spread over the flows (sessions, or one
 * UDP socket), then a drain of TRAFFIC_DRAIN_MS; what came back of that
 * step's sequence numbers is counted and one line is printed:
 *
 *   traffic step=K offered_pps=R size=S sent=N received=M lost=L loss_pct=P
 *           tx_pps=.. rx_pps=.. relay_cpu_us_per_pkt=.. relay_cpu_pct=.. gen_cpu_pct=..
 *
 * relay_*: CPU (utime + stime from /proc/PID/stat) of cfg.cpu_pid over the
 * step, per packet it relayed (sent + received: each packet crosses it both
 * ways); "-" without a pid. One event loop; the runner owns one timer. */
#ifndef DIAL_TRAFFIC_RUN_H
#define DIAL_TRAFFIC_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ev/ev.h"

#define TRAFFIC_MAX_STEPS 32
#define TRAFFIC_DRAIN_MS 300

struct traffic_run_cfg {
	uint64_t steps[TRAFFIC_MAX_STEPS];      /* offered packets per second */
	size_t n_steps;
	unsigned step_ms;
	size_t size;                            /* IPv4 packet octets */
	pid_t cpu_pid;                          /* 0: none */
};

struct traffic_run_ops {
	/* Sends the packet with sequence number seq on flow (0..n_flows-1);
	 * 0, or -1 when it could not go (counted as not sent). */
	int (*send)(void *arg, unsigned flow, uint32_t seq);
	/* Around each tick's packets: batch them (may be NULL). */
	void (*tick_begin)(void *arg);
	void (*tick_end)(void *arg);
	/* Every step printed. */
	void (*done)(void *arg);
};

struct traffic_run;

struct traffic_run *traffic_run_start(struct ev_loop *loop, const struct traffic_run_cfg *cfg,
				      unsigned n_flows, const struct traffic_run_ops *ops, void *arg);
/* A stamped packet came back. */
void traffic_run_rx(struct traffic_run *r, uint32_t seq);
void traffic_run_free(struct traffic_run *r);

/* "20000,40000k,1m" -> steps (k: x1000, m: x1000000). 0, or -1 (named on
 * stderr by the caller). */
int traffic_parse_steps(const char *spec, struct traffic_run_cfg *cfg);

#endif
