/* l2tp_bench: how fast the L2TP engine's pure parts run on this machine, each
 * figure beside a baseline from the same run (`make bench-l2tp`):
 *   data header decode+encode per packet   vs. a 1500-byte memcpy (the floor
 *                                             any relay pays once per packet)
 *   ICCN encode+decode, plain               vs. the same with hidden AVPs
 *   reliable delivery send+ack per message  vs. encode of a HELLO alone */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "l2tp/msg.h"
#include "l2tp/reliable.h"
#include "util/log.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile uint64_t sink;

static void report(const char *what, unsigned n, double secs, const char *base, unsigned bn,
		   double bsecs)
{
	printf("%-34s %10.0f ns/op %12.0f op/s   | baseline %-24s %8.0f ns/op\n", what,
	       secs / n * 1e9, n / secs, base, bsecs / bn * 1e9);
}

static void null_tx(void *arg, const uint8_t *buf, size_t len)
{
	sink += len;
}

static void iccn(struct l2tp_msg *m)
{
	static const uint8_t lcp[] = { 1, 4, 5, 0xdc, 5, 6, 1, 2, 3, 4 };

	memset(m, 0, sizeof(*m));
	m->type = L2TP_MSG_ICCN;
	m->present = L2TP_AVP_BIT(L2TP_AVP_TX_SPEED) | L2TP_AVP_BIT(L2TP_AVP_FRAMING_TYPE) |
		     L2TP_AVP_BIT(L2TP_AVP_RX_SPEED) | L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_TYPE) |
		     L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_ID);
	m->tx_speed = m->rx_speed = 100000000;
	m->framing_type = 1;
	m->proxy_auth_type = 2;
	m->proxy_auth_id = 1;
	l2tp_msg_set_bytes(m, L2TP_AVP_INIT_RX_LCP, &m->init_rx_lcp, lcp, sizeof(lcp));
	l2tp_msg_set_bytes(m, L2TP_AVP_LAST_TX_LCP, &m->last_tx_lcp, lcp, sizeof(lcp));
	l2tp_msg_set_bytes(m, L2TP_AVP_LAST_RX_LCP, &m->last_rx_lcp, lcp, sizeof(lcp));
	l2tp_msg_set_str(m, L2TP_AVP_PROXY_AUTH_NAME, &m->proxy_auth_name, "alice@corp.example");
	l2tp_msg_set_bytes(m, L2TP_AVP_PROXY_AUTH_CHAL, &m->proxy_auth_chal, lcp, 10);
	l2tp_msg_set_bytes(m, L2TP_AVP_PROXY_AUTH_RESP, &m->proxy_auth_resp, lcp, 10);
}

static double codec_run(bool hidden, unsigned n)
{
	static const uint8_t secret[] = "bench-secret", rv[16] = "0123456789abcdef";
	struct l2tp_msg m, d;
	struct l2tp_dec_err err;
	uint8_t buf[2048];
	double t0;
	unsigned i;

	iccn(&m);
	if (hidden)
		m.hide = L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_NAME) | L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_CHAL) |
			 L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_RESP) | L2TP_AVP_BIT(L2TP_AVP_PROXY_AUTH_ID);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		int len = l2tp_msg_encode(&m, secret, sizeof(secret) - 1, rv, buf, sizeof(buf));

		if (len < 0 || l2tp_msg_decode(buf, (size_t)len, secret, sizeof(secret) - 1, &d, &err) < 0)
			return -1;
		sink += d.tx_speed;
	}
	return now_s() - t0;
}

int main(void)
{
	static uint8_t pkt[1600], copy[1600];
	const unsigned n_data = 5000000, n_codec = 200000, n_rel = 1000000;
	struct l2tp_rel_cfg rcfg = { 1000, 8000, 5, 8 };
	struct l2tp_rel rel;
	struct l2tp_hdr h;
	struct l2tp_msg hello;
	uint8_t msg[64];
	double t0, data_s, memcpy_s, plain_s, hidden_s, rel_s, hello_s;
	unsigned i;

	log_set_level(LOG_LVL_ERROR);
	memset(pkt, 0xa5, sizeof(pkt));
	t0 = now_s();
	for (i = 0; i < n_data; i++) {
		memcpy(copy, pkt, 1500);
		sink += copy[i % 1500];
	}
	memcpy_s = now_s() - t0;
	t0 = now_s();
	for (i = 0; i < n_data; i++) {
		int hl = l2tp_data_hdr_put(pkt, sizeof(pkt), (uint16_t)i, 7, false, 0, 0, true, 1494);

		if (l2tp_hdr_decode(pkt, (size_t)hl + 1494, &h) != 0)
			return 1;
		sink += h.payload_off;
	}
	data_s = now_s() - t0;

	plain_s = codec_run(false, n_codec);
	hidden_s = codec_run(true, n_codec);

	memset(&hello, 0, sizeof(hello));
	hello.type = L2TP_MSG_HELLO;
	t0 = now_s();
	for (i = 0; i < n_rel; i++)
		sink += (uint64_t)l2tp_msg_encode(&hello, NULL, 0, NULL, msg + 12, sizeof(msg) - 12);
	hello_s = now_s() - t0;
	l2tp_rel_init(&rel, &rcfg);
	l2tp_ctrl_hdr_put(msg, 20, 1, 0, 0, 0);
	t0 = now_s();
	for (i = 0; i < n_rel; i++) {
		l2tp_rel_send(&rel, msg, 20, i, null_tx, NULL);
		l2tp_rel_input(&rel, (uint16_t)i, rel.ns_next, false, msg, 20, i, null_tx, NULL);
		l2tp_rel_send_zlb(&rel, 1, null_tx, NULL);
	}
	rel_s = now_s() - t0;
	l2tp_rel_free(&rel);
	if (plain_s < 0 || hidden_s < 0)
		return 1;

	printf("l2tp_bench (single core, %s)\n", "pure code, no sockets");
	report("data header put+decode", n_data, data_s, "memcpy 1500 B", n_data, memcpy_s);
	report("ICCN encode+decode (hidden AVPs)", n_codec, hidden_s, "same, plain", n_codec, plain_s);
	report("control send+rx+ack (reliable)", n_rel, rel_s, "HELLO encode", n_rel, hello_s);
	return 0;
}
