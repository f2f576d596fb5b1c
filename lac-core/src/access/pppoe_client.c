/* PPPoE host side: discovery state machine (RFC 2516 5.1-5.5) and session
 * frames (6), many clients over one demultiplexed packet socket.
 * See pppoe_client.h. */
#include "access/pppoe_client.h"
#include "access/pppoe_vsock.h"
#include "access/pppoe_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ev/ev.h"
#include "util/log.h"
#include "util/send_batch.h"

#define CLIENT_HASH_SIZE 1024
#define NAME_MAX_LEN 63
#define COOKIE_MAX 128
#define HOST_UNIQ_LEN 8
#define RX_BURST 64
#define TIMEOUT_CAP_MS 8000
#define TX_BATCH SEND_BATCH_MAX /* frames per sendmmsg() while corked */

enum pppoe_cli_state {
	PPPOE_CLI_PADI_SENT,
	PPPOE_CLI_PADR_SENT,
	PPPOE_CLI_SESSION,
	PPPOE_CLI_CLOSED,
};

enum pppoe_cli_event {
	PPPOE_CLI_EV_PADO,
	PPPOE_CLI_EV_PADS,              /* a PADS granting a session */
	PPPOE_CLI_EV_PADS_ERROR,        /* a PADS refusing (session 0 or an error tag) */
	PPPOE_CLI_EV_PADT,
	PPPOE_CLI_EV_TIMEOUT,
};

static const char *pppoe_cli_state_str(enum pppoe_cli_state s)
{
	switch (s) {
	case PPPOE_CLI_PADI_SENT: return "padi-sent";
	case PPPOE_CLI_PADR_SENT: return "padr-sent";
	case PPPOE_CLI_SESSION: return "session";
	case PPPOE_CLI_CLOSED: return "closed";
	}
	return "unknown";
}

static const char *pppoe_cli_event_str(enum pppoe_cli_event e)
{
	switch (e) {
	case PPPOE_CLI_EV_PADO: return "pado";
	case PPPOE_CLI_EV_PADS: return "pads";
	case PPPOE_CLI_EV_PADS_ERROR: return "pads-error";
	case PPPOE_CLI_EV_PADT: return "padt";
	case PPPOE_CLI_EV_TIMEOUT: return "timeout";
	}
	return "unknown";
}

struct pppoe_client_mux {
	struct ev_loop *loop;
	char ifname[IF_NAMESIZE];
	int ifindex;
	int fd;
	uint64_t rx_kernel_drops;       /* frames the kernel dropped at fd (ring full) */
	struct pppoe_client_io io;      /* tx == NULL: use the packet socket */
	struct pppoe_client *by_mac[CLIENT_HASH_SIZE];
	bool tagged;
	struct pppoe_vlan vlan;         /* when tagged */
	uint8_t rxbuf[PPPOE_FRAME_MAX];
	uint8_t untagged[PPPOE_FRAME_MAX];
	/* pppoe_client_mux_cork(): frames wait here for one sendmmsg() */
	bool corked;
	unsigned txq_n;
	uint8_t (*txq)[PPPOE_VLAN_HEADROOM + PPPOE_FRAME_MAX];    /* TX_BATCH frames */
	size_t txq_len[TX_BATCH];
	unsigned long tx_errors;
};

struct pppoe_client {
	struct pppoe_client_mux *mux;
	struct pppoe_client *next;      /* hash chain in mux->by_mac */
	enum pppoe_cli_state state;
	uint8_t mac[PPPOE_ETH_ALEN];
	char macstr[18];
	uint8_t ac_mac[PPPOE_ETH_ALEN];
	char service[NAME_MAX_LEN + 1];
	char ac_name[NAME_MAX_LEN + 1];
	bool want_ac;
	uint8_t host_uniq[HOST_UNIQ_LEN];
	uint8_t cookie[COOKIE_MAX];
	uint16_t cookie_len;
	bool has_cookie;
	uint8_t relay[PPPOE_RELAY_SESSION_ID_MAX];
	uint16_t relay_len;
	bool has_relay;
	uint16_t max_payload_req;
	uint8_t tr101[255];
	uint8_t tr101_len;
	uint16_t sid, mru;
	unsigned padi_attempts, padr_attempts, attempts;
	unsigned timeout_first_ms, timeout_ms;
	struct ev_timer timer;
	const struct pppoe_client_events *events;
	void *owner;
	/* The message behind the event being dispatched (NULL for timeouts). */
	const struct pppoe_disc *msg;
	char down_reason[96];
	unsigned depth;                 /* callbacks in progress on this client */
	bool dead;                      /* stopped or down: free when depth is 0 */
};

static unsigned mac_hash(const uint8_t mac[PPPOE_ETH_ALEN])
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < PPPOE_ETH_ALEN; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h % CLIENT_HASH_SIZE;
}

/* Sends the corked frames in one sendmmsg() (more if the kernel takes a
 * part). A frame the socket refuses is dropped and counted: a bulk sender
 * outrunning the interface, not a protocol event. */
static void mux_flush(struct pppoe_client_mux *mux)
{
	struct iovec iov[TX_BATCH];

	for (unsigned i = 0; i < mux->txq_n; i++) {
		iov[i].iov_base = mux->txq[i];
		iov[i].iov_len = mux->txq_len[i];
	}
	mux->tx_errors += mux->txq_n - send_batch(mux->fd, iov, mux->txq_n);
	mux->txq_n = 0;
}

void pppoe_client_mux_cork(struct pppoe_client_mux *mux)
{
	if (mux->io.tx)
		return;         /* injected I/O (tests): frames go one by one */
	if (!mux->txq)
		mux->txq = malloc(sizeof(*mux->txq) * TX_BATCH);
	mux->corked = mux->txq != NULL;
}

void pppoe_client_mux_uncork(struct pppoe_client_mux *mux)
{
	if (mux->corked && mux->txq_n)
		mux_flush(mux);
	mux->corked = false;
}

unsigned long pppoe_client_mux_tx_errors(const struct pppoe_client_mux *mux)
{
	return mux->tx_errors;
}

uint64_t pppoe_client_mux_rx_kernel_drops(struct pppoe_client_mux *mux)
{
	if (mux->fd >= 0)
		(void)pppoe_sock_kernel_drops(mux->fd, &mux->rx_kernel_drops);
	return mux->rx_kernel_drops;
}

static int mux_tx(struct pppoe_client_mux *mux, const uint8_t *frame, size_t len)
{
	uint8_t tbuf[PPPOE_VLAN_HEADROOM + PPPOE_FRAME_MAX];
	if (mux->tagged) {
		if (len > PPPOE_FRAME_MAX)
			return -1;
		memcpy(tbuf + PPPOE_VLAN_HEADROOM, frame, len);
		frame = pppoe_vlan_push(tbuf, len, &mux->vlan, &len);
	}
	if (mux->io.tx)
		return mux->io.tx(mux->io.io_ctx, frame, len);
	if (mux->corked) {
		if (len > sizeof(mux->txq[0]))
			return -1;
		memcpy(mux->txq[mux->txq_n], frame, len);
		mux->txq_len[mux->txq_n++] = len;
		if (mux->txq_n == TX_BATCH)
			mux_flush(mux);
		return 0;
	}
	if (send(mux->fd, frame, len, MSG_DONTWAIT) != (ssize_t)len) {
		log_peer("pppoe-client=%s event=tx-error len=%zu errno=%d", mux->ifname, len, errno);
		return -1;
	}
	return 0;
}

static int client_disc_send(struct pppoe_client *c, const struct pppoe_disc *m)
{
	uint8_t buf[1600];
	enum pppoe_err err;
	int n = pppoe_disc_encode(buf, sizeof(buf), m, &err);
	if (n < 0) {
		log_warn("pppoe-client mac=%s event=encode-failed code=%s err=%s", c->macstr,
			 pppoe_code_str(m->code), pppoe_err_str(err));
		return -1;
	}
	return mux_tx(c->mux, buf, (size_t)n);
}

/* A discovery message from this client with the tags every one carries. */
static void client_msg_init(const struct pppoe_client *c, struct pppoe_disc *m, uint8_t code)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->src, c->mac, PPPOE_ETH_ALEN);
	m->code = code;
	m->n_service_names = 1;
	pppoe_tag_set_str(&m->service_name[0], c->service);
	pppoe_tag_set(&m->host_uniq, c->host_uniq, sizeof(c->host_uniq));
	if (c->max_payload_req) {
		m->has_ppp_max_payload = true;
		m->ppp_max_payload = c->max_payload_req;
	}
	if (c->tr101_len)
		pppoe_tag_set(&m->bbf_vendor, c->tr101, c->tr101_len);
}

static void padi_send(struct pppoe_client *c)
{
	struct pppoe_disc m;
	client_msg_init(c, &m, PPPOE_CODE_PADI);
	memset(m.dst, 0xff, PPPOE_ETH_ALEN);
	client_disc_send(c, &m);
}

static void padr_send(struct pppoe_client *c)
{
	struct pppoe_disc m;
	client_msg_init(c, &m, PPPOE_CODE_PADR);
	memcpy(m.dst, c->ac_mac, PPPOE_ETH_ALEN);
	if (c->has_cookie)
		pppoe_tag_set(&m.ac_cookie, c->cookie, c->cookie_len);
	if (c->has_relay)
		pppoe_tag_set(&m.relay_session_id, c->relay, c->relay_len);
	client_disc_send(c, &m);
}

static void padt_send(struct pppoe_client *c)
{
	struct pppoe_disc m;
	memset(&m, 0, sizeof(m));
	memcpy(m.dst, c->ac_mac, PPPOE_ETH_ALEN);
	memcpy(m.src, c->mac, PPPOE_ETH_ALEN);
	m.code = PPPOE_CODE_PADT;
	m.session_id = c->sid;
	client_disc_send(c, &m);
}

static void timer_arm_first(struct pppoe_client *c)
{
	c->attempts = 1;
	c->timeout_ms = c->timeout_first_ms;
	ev_timer_start(c->mux->loop, &c->timer, c->timeout_ms);
}

/* Re-arms the retry timer with a doubled timeout. Returns false when the
 * attempts for the current step are used up. */
static bool timer_arm_retry(struct pppoe_client *c, unsigned max_attempts)
{
	if (c->attempts >= max_attempts)
		return false;
	c->attempts++;
	c->timeout_ms = c->timeout_ms * 2 > TIMEOUT_CAP_MS ? TIMEOUT_CAP_MS : c->timeout_ms * 2;
	ev_timer_start(c->mux->loop, &c->timer, c->timeout_ms);
	return true;
}

/* Keeps a tag value printable for logs and reasons. */
static void tag_text(const struct pppoe_tag_value *t, char *out, size_t cap)
{
	size_t n = t->len < cap - 1 ? t->len : cap - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (t->data[i] >= 0x20 && t->data[i] < 0x7f && t->data[i] != '"') ? (char)t->data[i] : '?';
	out[n] = '\0';
}

/* Actions. Each returns 0 to take the row's next state, 1 to decline the
 * event (no transition), or -1 to close the client with c->down_reason. */

/* 5.2-5.3: take this offer if it is from the AC we want and offers our
 * service; remember its cookie and relay id for the PADR. */
static int act_pado_accept(struct pppoe_client *c)
{
	const struct pppoe_disc *d = c->msg;
	char name[NAME_MAX_LEN + 1];

	tag_text(&d->ac_name, name, sizeof(name));
	if (c->want_ac && !pppoe_tag_eq_str(&d->ac_name, c->ac_name))
		goto ignore;
	if (c->service[0]) {
		bool offered = false;
		for (unsigned i = 0; i < d->n_service_names; i++)
			if (pppoe_tag_eq_str(&d->service_name[i], c->service))
				offered = true;
		if (!offered)
			goto ignore;
	}
	if (d->ac_cookie.present && d->ac_cookie.len > COOKIE_MAX)
		goto ignore;
	memcpy(c->ac_mac, d->src, PPPOE_ETH_ALEN);
	c->has_cookie = d->ac_cookie.present;
	c->cookie_len = d->ac_cookie.len;
	if (c->has_cookie)
		memcpy(c->cookie, d->ac_cookie.data, c->cookie_len);
	c->has_relay = d->relay_session_id.present;
	c->relay_len = d->relay_session_id.len;
	if (c->has_relay)
		memcpy(c->relay, d->relay_session_id.data, c->relay_len);
	log_debug("pppoe-client mac=%s ac_name=\"%s\" event=pado-accepted", c->macstr, name);
	padr_send(c);
	timer_arm_first(c);
	return 0;
ignore:
	/* Another AC, or one not offering our service: keep waiting, same state. */
	log_debug("pppoe-client mac=%s ac_name=\"%s\" event=pado-ignored", c->macstr, name);
	return 1;
}

static int act_padi_retry(struct pppoe_client *c)
{
	if (!timer_arm_retry(c, c->padi_attempts)) {
		snprintf(c->down_reason, sizeof(c->down_reason), "no PADO after %u PADI", c->attempts);
		return -1;
	}
	padi_send(c);
	return 0;
}

static int act_padr_retry(struct pppoe_client *c)
{
	if (!timer_arm_retry(c, c->padr_attempts)) {
		snprintf(c->down_reason, sizeof(c->down_reason), "no PADS after %u PADR", c->attempts);
		return -1;
	}
	padr_send(c);
	return 0;
}

static int act_session_up(struct pppoe_client *c)
{
	const struct pppoe_disc *d = c->msg;

	ev_timer_stop(c->mux->loop, &c->timer);
	c->sid = d->session_id;
	c->mru = PPPOE_DEFAULT_MRU;
	/* RFC 4638: the AC echoes PPP-Max-Payload when it grants the size. */
	if (c->max_payload_req && d->has_ppp_max_payload && d->ppp_max_payload > PPPOE_DEFAULT_MRU)
		c->mru = d->ppp_max_payload < c->max_payload_req ? d->ppp_max_payload : c->max_payload_req;
	log_info("pppoe-client mac=%s sid=%u mru=%u event=session-up", c->macstr, c->sid, c->mru);
	return 0;
}

static int act_pads_error(struct pppoe_client *c)
{
	const struct pppoe_disc *d = c->msg;
	char text[64] = "";
	const char *what = "pads-refused";

	if (d->service_name_error.present) {
		what = "service-name-error";
		tag_text(&d->service_name_error, text, sizeof(text));
	} else if (d->ac_system_error.present) {
		what = "ac-system-error";
		tag_text(&d->ac_system_error, text, sizeof(text));
	} else if (d->generic_error.present) {
		what = "generic-error";
		tag_text(&d->generic_error, text, sizeof(text));
	}
	snprintf(c->down_reason, sizeof(c->down_reason), "%s: %s", what, text);
	return -1;
}

static int act_padt_rx(struct pppoe_client *c)
{
	char text[64] = "";
	if (c->msg->generic_error.present)
		tag_text(&c->msg->generic_error, text, sizeof(text));
	snprintf(c->down_reason, sizeof(c->down_reason), "padt%s%s", text[0] ? ": " : "", text);
	return -1;
}

static int act_ignore(struct pppoe_client *c)
{
	return 0;
}

/* RFC 2516 5: the host's discovery stage, as a table. */
static const struct pppoe_cli_row {
	enum pppoe_cli_state state;
	enum pppoe_cli_event event;
	int (*action)(struct pppoe_client *c);
	enum pppoe_cli_state next;
} pppoe_cli_table[] = {
	{ PPPOE_CLI_PADI_SENT, PPPOE_CLI_EV_PADO, act_pado_accept, PPPOE_CLI_PADR_SENT },
	{ PPPOE_CLI_PADI_SENT, PPPOE_CLI_EV_TIMEOUT, act_padi_retry, PPPOE_CLI_PADI_SENT },
	/* Further offers after we chose one: the first wins. */
	{ PPPOE_CLI_PADR_SENT, PPPOE_CLI_EV_PADO, act_ignore, PPPOE_CLI_PADR_SENT },
	{ PPPOE_CLI_PADR_SENT, PPPOE_CLI_EV_PADS, act_session_up, PPPOE_CLI_SESSION },
	{ PPPOE_CLI_PADR_SENT, PPPOE_CLI_EV_PADS_ERROR, act_pads_error, PPPOE_CLI_CLOSED },
	{ PPPOE_CLI_PADR_SENT, PPPOE_CLI_EV_TIMEOUT, act_padr_retry, PPPOE_CLI_PADR_SENT },
	/* 5.5: a PADT may come at any time after the session is established. */
	{ PPPOE_CLI_SESSION, PPPOE_CLI_EV_PADT, act_padt_rx, PPPOE_CLI_CLOSED },
	{ PPPOE_CLI_SESSION, PPPOE_CLI_EV_PADO, act_ignore, PPPOE_CLI_SESSION },
	/* A repeated PADS (our PADR was retransmitted): the session stands. */
	{ PPPOE_CLI_SESSION, PPPOE_CLI_EV_PADS, act_ignore, PPPOE_CLI_SESSION },
};

static void client_free(struct pppoe_client *c)
{
	free(c);
}

static void client_unlink(struct pppoe_client *c)
{
	struct pppoe_client_mux *mux = c->mux;
	for (struct pppoe_client **pp = &mux->by_mac[mac_hash(c->mac)]; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	ev_timer_stop(mux->loop, &c->timer);
}

/* Looks up (state, event), runs the action, logs the transition. An action
 * returning -1 closes the client: down() is called and the client is freed
 * once no callback is running on it. Pairs without a row are logged and
 * dropped: every such event is a peer's frame, harmless to ignore. */
static void client_dispatch(struct pppoe_client *c, enum pppoe_cli_event ev, const struct pppoe_disc *msg)
{
	const struct pppoe_cli_row *row = NULL;

	for (size_t i = 0; i < sizeof(pppoe_cli_table) / sizeof(pppoe_cli_table[0]); i++) {
		if (pppoe_cli_table[i].state == c->state && pppoe_cli_table[i].event == ev) {
			row = &pppoe_cli_table[i];
			break;
		}
	}
	if (!row) {
		log_peer("pppoe-client mac=%s event=%s state=%s msg=unexpected", c->macstr,
			 pppoe_cli_event_str(ev), pppoe_cli_state_str(c->state));
		return;
	}
	c->msg = msg;
	c->depth++;
	int rc = row->action(c);
	c->msg = NULL;
	enum pppoe_cli_state from = c->state;
	if (rc > 0) {
		/* The action declined the event: no transition. */
	} else if (rc < 0 || row->next == PPPOE_CLI_CLOSED) {
		c->state = PPPOE_CLI_CLOSED;
		log_info("pppoe-client mac=%s sid=%u event=%s from=%s to=%s reason=\"%s\"", c->macstr,
			 c->sid, pppoe_cli_event_str(ev), pppoe_cli_state_str(from),
			 pppoe_cli_state_str(c->state), c->down_reason);
		client_unlink(c);
		c->dead = true;
		if (c->events->down)
			c->events->down(c->owner, c->down_reason);
	} else {
		c->state = row->next;
		if (from != c->state)
			log_debug("pppoe-client mac=%s sid=%u event=%s from=%s to=%s", c->macstr, c->sid,
				  pppoe_cli_event_str(ev), pppoe_cli_state_str(from),
				  pppoe_cli_state_str(c->state));
		if (c->state == PPPOE_CLI_SESSION && from != PPPOE_CLI_SESSION && c->events->up && !c->dead)
			c->events->up(c->owner, c->sid, c->mru);
	}
	c->depth--;
	if (c->dead && c->depth == 0)
		client_free(c);
}

static void client_timeout(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	client_dispatch(arg, PPPOE_CLI_EV_TIMEOUT, NULL);
}

static bool host_uniq_is(const struct pppoe_client *c, const struct pppoe_tag_value *t)
{
	return t->present && t->len == HOST_UNIQ_LEN && memcmp(t->data, c->host_uniq, HOST_UNIQ_LEN) == 0;
}

static void mux_disc_input(struct pppoe_client_mux *mux, const uint8_t *frame, size_t len)
{
	struct pppoe_disc d;
	enum pppoe_err err;

	if (pppoe_disc_decode(frame, len, &d, &err) < 0) {
		log_peer("pppoe-client=%s event=malformed-discovery err=%s", mux->ifname, pppoe_err_str(err));
		return;
	}
	if (d.code == PPPOE_CODE_PADI || d.code == PPPOE_CODE_PADR)
		return;         /* another host's request */
	for (struct pppoe_client *c = mux->by_mac[mac_hash(d.dst)]; c; c = c->next) {
		if (memcmp(c->mac, d.dst, PPPOE_ETH_ALEN) != 0)
			continue;
		switch (d.code) {
		case PPPOE_CODE_PADO:
			/* 5.2: our Host-Uniq tells our offers from other clients' on a shared MAC. */
			if (!host_uniq_is(c, &d.host_uniq))
				continue;
			client_dispatch(c, PPPOE_CLI_EV_PADO, &d);
			return;
		case PPPOE_CODE_PADS:
			if (!host_uniq_is(c, &d.host_uniq) || memcmp(d.src, c->ac_mac, PPPOE_ETH_ALEN) != 0)
				continue;
			if (d.session_id == 0 || d.service_name_error.present ||
			    d.ac_system_error.present || d.generic_error.present)
				client_dispatch(c, PPPOE_CLI_EV_PADS_ERROR, &d);
			else if (c->state == PPPOE_CLI_SESSION && d.session_id != c->sid)
				continue;
			else
				client_dispatch(c, PPPOE_CLI_EV_PADS, &d);
			return;
		case PPPOE_CODE_PADT:
			if (c->sid != d.session_id || memcmp(d.src, c->ac_mac, PPPOE_ETH_ALEN) != 0)
				continue;
			client_dispatch(c, PPPOE_CLI_EV_PADT, &d);
			return;
		}
	}
}

static void mux_session_input(struct pppoe_client_mux *mux, const uint8_t *frame, size_t len)
{
	struct pppoe_session s;
	enum pppoe_err err;

	if (pppoe_session_decode(frame, len, &s, &err) < 0) {
		log_peer("pppoe-client=%s event=malformed-session err=%s", mux->ifname, pppoe_err_str(err));
		return;
	}
	for (struct pppoe_client *c = mux->by_mac[mac_hash(s.dst)]; c; c = c->next) {
		if (c->state != PPPOE_CLI_SESSION || c->sid != s.session_id ||
		    memcmp(c->mac, s.dst, PPPOE_ETH_ALEN) != 0 ||
		    memcmp(c->ac_mac, s.src, PPPOE_ETH_ALEN) != 0)
			continue;
		if (c->events->frame_rx) {
			c->depth++;
			c->events->frame_rx(c->owner, s.payload, s.payload_len);
			c->depth--;
			if (c->dead && c->depth == 0)
				client_free(c);
		}
		return;
	}
}

static void mux_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct pppoe_client_mux *mux = arg;

	for (int i = 0; i < RX_BURST; i++) {
		ssize_t n = mux->tagged ? pppoe_vsock_recv(fd, mux->rxbuf, sizeof(mux->rxbuf))
				       : pppoe_sock_recv(fd, mux->rxbuf, sizeof(mux->rxbuf));
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("pppoe-client=%s event=recv-error errno=%d", mux->ifname, errno);
			return;
		}
		if (n > 0)
			pppoe_client_mux_input(mux, mux->rxbuf, (size_t)n);
	}
}

int pppoe_client_mux_set_vlan(struct pppoe_client_mux *mux, const struct pppoe_vlan *v)
{
	mux->vlan = *v;
	mux->tagged = v->inner != 0;
	if (mux->io.tx || mux->fd < 0 || !mux->tagged)
		return 0;
	int fd = pppoe_vsock_open(mux->ifindex, true);
	if (fd < 0) {
		log_error("pppoe-client=%s event=vlan-socket-failed errno=%d", mux->ifname, errno);
		return -1;
	}
	ev_io_del(mux->loop, mux->fd);
	pppoe_sock_close(mux->fd);     /* unmaps its receive ring */
	mux->fd = fd;
	if (ev_io_add(mux->loop, mux->fd, EV_READ, mux_readable, mux) < 0) {
		log_error("pppoe-client=%s event=ev-add-failed errno=%d", mux->ifname, errno);
		return -1;
	}
	return 0;
}

void pppoe_client_mux_input(struct pppoe_client_mux *mux, const uint8_t *frame, size_t len)
{
	/* Issue 11: on a VLAN, only frames with our tags, handled untagged. */
	struct pppoe_vlan got;
	enum pppoe_err verr;
	int un = pppoe_vlan_strip(frame, len, &got, mux->untagged, sizeof(mux->untagged), &verr);
	if (un < 0 || got.inner != (mux->tagged ? mux->vlan.inner : 0) ||
	    got.outer != (mux->tagged ? mux->vlan.outer : 0))
		return;
	frame = mux->untagged;
	len = (size_t)un;
	switch (pppoe_frame_ethertype(frame, len)) {
	case PPPOE_ETHERTYPE_DISCOVERY: mux_disc_input(mux, frame, len); break;
	case PPPOE_ETHERTYPE_SESSION: mux_session_input(mux, frame, len); break;
	default: break;
	}
}

struct pppoe_client_mux *pppoe_client_mux_create_io(struct ev_loop *loop, const struct pppoe_client_io *io)
{
	struct pppoe_client_mux *mux = calloc(1, sizeof(*mux));
	if (!mux)
		return NULL;
	mux->loop = loop;
	mux->fd = -1;
	mux->io = *io;
	snprintf(mux->ifname, sizeof(mux->ifname), "io");
	return mux;
}

struct pppoe_client_mux *pppoe_client_mux_create(struct ev_loop *loop, const char *ifname)
{
	struct pppoe_client_mux *mux = calloc(1, sizeof(*mux));
	if (!mux)
		return NULL;
	mux->loop = loop;
	mux->fd = -1;
	snprintf(mux->ifname, sizeof(mux->ifname), "%s", ifname);
	mux->ifindex = (int)if_nametoindex(ifname);
	if (mux->ifindex == 0) {
		log_error("pppoe-client=%s event=no-such-interface errno=%d", mux->ifname, errno);
		goto fail;
	}
	mux->fd = pppoe_sock_open(mux->ifindex, true);
	if (mux->fd < 0) {
		log_error("pppoe-client=%s event=packet-socket-failed errno=%d", mux->ifname, errno);
		goto fail;
	}
	if (ev_io_add(loop, mux->fd, EV_READ, mux_readable, mux) < 0) {
		log_error("pppoe-client=%s event=ev-add-failed errno=%d", mux->ifname, errno);
		goto fail;
	}
	return mux;
fail:
	pppoe_client_mux_destroy(mux);
	return NULL;
}

void pppoe_client_mux_destroy(struct pppoe_client_mux *mux)
{
	if (!mux)
		return;
	for (unsigned h = 0; h < CLIENT_HASH_SIZE; h++)
		while (mux->by_mac[h])
			pppoe_client_stop(mux->by_mac[h]);
	if (mux->fd >= 0) {
		ev_io_del(mux->loop, mux->fd);
		pppoe_sock_close(mux->fd);      /* scale: unmaps its receive ring */
	}
	free(mux->txq);
	free(mux);
}

struct pppoe_client *pppoe_client_start(struct pppoe_client_mux *mux,
					const struct pppoe_client_config *cfg,
					const struct pppoe_client_events *events, void *owner)
{
	struct pppoe_client *c = calloc(1, sizeof(*c));
	if (!c) {
		log_error("pppoe-client=%s event=out-of-memory", mux->ifname);
		return NULL;
	}
	c->mux = mux;
	if (cfg->mac) {
		memcpy(c->mac, cfg->mac, PPPOE_ETH_ALEN);
	} else {
		c->mac[0] = 0x02;       /* locally administered, unicast */
		c->mac[1] = 0x50;
		c->mac[2] = (uint8_t)(cfg->mac_index >> 24);
		c->mac[3] = (uint8_t)(cfg->mac_index >> 16);
		c->mac[4] = (uint8_t)(cfg->mac_index >> 8);
		c->mac[5] = (uint8_t)cfg->mac_index;
	}
	pppoe_mac_format(c->mac, c->macstr);
	snprintf(c->service, sizeof(c->service), "%s", cfg->service_name ? cfg->service_name : "");
	if (cfg->ac_name) {
		snprintf(c->ac_name, sizeof(c->ac_name), "%s", cfg->ac_name);
		c->want_ac = true;
	}
	/* Host-Uniq: random, so a restarted simulator does not take answers meant
	 * for its previous run. */
	if (getrandom(c->host_uniq, sizeof(c->host_uniq), GRND_NONBLOCK) != (ssize_t)sizeof(c->host_uniq)) {
		uintptr_t p = (uintptr_t)c;
		memcpy(c->host_uniq, &p, sizeof(p) < HOST_UNIQ_LEN ? sizeof(p) : HOST_UNIQ_LEN);
	}
	c->max_payload_req = cfg->ppp_max_payload;
	if (cfg->tr101 && cfg->tr101_len <= sizeof(c->tr101)) {
		memcpy(c->tr101, cfg->tr101, cfg->tr101_len);
		c->tr101_len = (uint8_t)cfg->tr101_len;
	}
	c->padi_attempts = cfg->padi_attempts ? cfg->padi_attempts : 5;
	c->padr_attempts = cfg->padr_attempts ? cfg->padr_attempts : 3;
	c->timeout_first_ms = cfg->timeout_ms ? cfg->timeout_ms : 1000;
	c->events = events;
	c->owner = owner;
	c->state = PPPOE_CLI_PADI_SENT;
	ev_timer_init(&c->timer, client_timeout, c);
	unsigned h = mac_hash(c->mac);
	c->next = mux->by_mac[h];
	mux->by_mac[h] = c;
	log_debug("pppoe-client mac=%s service=\"%s\" event=start", c->macstr, c->service);
	padi_send(c);
	timer_arm_first(c);
	return c;
}

int pppoe_client_send(struct pppoe_client *c, const uint8_t *ppp, size_t len)
{
	uint8_t buf[PPPOE_FRAME_MAX];
	enum pppoe_err err;

	if (c->state != PPPOE_CLI_SESSION || c->dead)
		return -1;
	int n = pppoe_session_encode(buf, sizeof(buf), c->ac_mac, c->mac, c->sid, ppp, len, &err);
	if (n < 0)
		return -1;
	return mux_tx(c->mux, buf, (size_t)n);
}

void pppoe_client_stop(struct pppoe_client *c)
{
	if (!c || c->dead)
		return;
	if (c->state == PPPOE_CLI_SESSION) {
		log_info("pppoe-client mac=%s sid=%u event=hangup", c->macstr, c->sid);
		padt_send(c);
	}
	c->state = PPPOE_CLI_CLOSED;
	client_unlink(c);
	c->dead = true;
	if (c->depth == 0)
		client_free(c);
}

void pppoe_client_mac(const struct pppoe_client *c, uint8_t mac[PPPOE_ETH_ALEN])
{
	memcpy(mac, c->mac, PPPOE_ETH_ALEN);
}

uint16_t pppoe_client_session_id(const struct pppoe_client *c)
{
	return c->sid;
}
