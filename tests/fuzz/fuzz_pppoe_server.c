/* libFuzzer harness: the PPPoE access concentrator's discovery and session
 * handling (lac-core/src/access/pppoe_server.c, RFC 2516, RFC 4638), without
 * sockets (pppoe_server_create_io) on a fake clock, with an owner that
 * attaches, sends on and closes the subscriber conns it is given.
 *
 * Input: a configuration octet (bits 0-1: services none / "isp" / "isp" and
 * "corp" / seven; bit 2: at most 2 sessions; bit 3: 1 session per MAC;
 * bit 4: 1 s cookie lifetime; bits 5-7 the MTU: 1500, 1508, 9000, 100...),
 * then operations; each operation octet's low three bits pick it:
 *   0  a raw frame from the subscriber side (16-bit length, bytes);
 *   1  the last PADO the server sent, turned into the PADR a client would
 *      send (MACs swapped, CODE 0x19, tags and AC-Cookie as offered);
 *   2  the same with one octet changed (offset octet, xor octet);
 *   3  a session frame for the last PADS (length octet, PPP bytes);
 *   4  a PADT for the last PADS;
 *   5  the clock moves (octet) seconds;
 *   6  the owner sends a PPP frame on conn (octet % 16) (length octet, bytes);
 *   7  the owner closes conn (octet % 16).
 * Checks: every frame the server sends decodes with the codec and fits the
 * MTU; `closed` comes once per conn; destroy frees everything (LeakSanitizer). */
#include "fuzz_common.h"


#include "access/pppoe_server.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_rng.h"       /* deterministic getrandom(): reproducible runs */

#define NCONN 16

static struct access_conn *conns[NCONN];
static uint8_t last_pado[PPPOE_FRAME_MAX], last_pads[PPPOE_FRAME_MAX];
static size_t last_pado_len, last_pads_len;
static unsigned mtu;
static bool destroying;

static int io_tx(void *ctx, const uint8_t *frame, size_t len)
{
	struct pppoe_disc d;
	struct pppoe_session s;
	enum pppoe_err err;
	int et = pppoe_frame_ethertype(frame, len);

	(void)ctx;
	/* FUZZ_PPPOE_IGNORE_MTU=1 fuzzes past the known finding crash-pado-over-mtu
	 * (discovery replies echo the request's tags whatever their size). */
	if (et != PPPOE_ETHERTYPE_DISCOVERY || !getenv("FUZZ_PPPOE_IGNORE_MTU"))
		FUZZ_CHECK(len <= PPPOE_ETH_HLEN + mtu, "sent a frame of %zu over MTU %u", len, mtu);
	if (et == PPPOE_ETHERTYPE_DISCOVERY) {
		FUZZ_CHECK(pppoe_disc_decode(frame, len, &d, &err) == 0,
			   "sent a discovery frame the codec refuses: %s", pppoe_err_str(err));
		if (d.code == PPPOE_CODE_PADO) {
			memcpy(last_pado, frame, len);
			last_pado_len = len;
		} else if (d.code == PPPOE_CODE_PADS && d.session_id != 0) {
			memcpy(last_pads, frame, len);
			last_pads_len = len;
		}
	} else {
		FUZZ_CHECK(et == PPPOE_ETHERTYPE_SESSION, "sent EtherType %#x", et);
		FUZZ_CHECK(pppoe_session_decode(frame, len, &s, &err) == 0,
			   "sent a session frame the codec refuses: %s", pppoe_err_str(err));
	}
	return 0;
}

static void h_frame_rx(void *owner, const uint8_t *frame, size_t len)
{
	FUZZ_CHECK(len == 0 || frame != NULL, "frame");
	(void)owner;
}

static void h_closed(void *owner, const char *reason)
{
	struct access_conn **slot = owner;

	FUZZ_CHECK(*slot != NULL, "closed twice");
	FUZZ_CHECK(reason != NULL, "closed without a reason");
	*slot = NULL;
}

static const struct access_conn_handlers handlers = { .frame_rx = h_frame_rx, .closed = h_closed };

static void conn_new(void *ctx, struct access_conn *conn)
{
	(void)ctx;
	FUZZ_CHECK(!destroying, "new conn during destroy");
	FUZZ_CHECK(conn->info.kind == ACCESS_KIND_PPPOE, "kind");
	FUZZ_CHECK(memchr(conn->info.nas_port_id, 0, sizeof(conn->info.nas_port_id)) &&
		   memchr(conn->info.calling_station_id, 0, sizeof(conn->info.calling_station_id)) &&
		   memchr(conn->info.called_station_id, 0, sizeof(conn->info.called_station_id)),
		   "info strings not terminated");
	for (int i = 0; i < NCONN; i++) {
		if (!conns[i]) {
			conns[i] = conn;
			access_conn_attach(conn, &handlers, &conns[i]);
			return;
		}
	}
	access_conn_close(conn, "owner full");
}

/* Client's answer to a frame the server sent: MACs swapped, new CODE. */
static size_t reflect(uint8_t *out, const uint8_t *in, size_t len, uint8_t code)
{
	memcpy(out, in, len);
	memcpy(out, in + 6, 6);
	memcpy(out + 6, in, 6);
	out[15] = code;
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned mtus[8] = { 1500, 1508, 9000, 100, 1492, 576, 1500, 60 };
	static const char *const names[7] = { "isp", "corp", "a", "b", "c", "d", "e" };
	static uint8_t frame[PPPOE_FRAME_MAX + 64];
	struct pppoe_server_config cfg;
	struct pppoe_server_io io;
	struct pppoe_server *srv;
	struct fz f = { data, size };
	uint64_t now = 1000000;
	size_t got, n;
	uint8_t c;

	if (size < 1)
		return 0;
	log_set_level(LOG_LVL_ERROR);
	rng_state = 0x9e3779b97f4a7c15ull;
	memset(conns, 0, sizeof(conns));
	last_pado_len = last_pads_len = 0;
	destroying = false;

	c = fz_u8(&f);
	memset(&cfg, 0, sizeof(cfg));
	cfg.ifname = "fuzz0";
	cfg.ac_name = "rlt-ac";
	cfg.n_service_names = (size_t[]){ 0, 1, 2, 7 }[c & 3];
	for (size_t i = 0; i < cfg.n_service_names; i++)
		cfg.service_names[i] = names[i];
	cfg.max_sessions = (c & 4) ? 2 : 0;
	cfg.max_sessions_per_mac = (c & 8) ? 1 : 0;
	cfg.cookie_lifetime_s = (c & 16) ? 1 : 0;
	cfg.nas_port_base = 1000;
	memset(&io, 0, sizeof(io));
	io.tx = io_tx;
	io.mac[0] = 0x02;
	io.mac[5] = 0x01;
	io.mtu = mtu = mtus[c >> 5];
	srv = pppoe_server_create_io(NULL, &cfg, &io, conn_new, NULL);
	FUZZ_CHECK(srv != NULL, "create");

	while (f.n > 0) {
		uint8_t op = fz_u8(&f);

		switch (op & 7) {
		case 0: {
			const uint8_t *p = fz_bytes(&f, fz_u16(&f), &got);
			uint8_t *copy = malloc(got ? got : 1);  /* exact size for ASan */

			if (!copy)
				break;
			memcpy(copy, p, got);
			pppoe_server_input(srv, copy, got, now);
			free(copy);
			break;
		}
		case 1:
		case 2:
			if (last_pado_len < PPPOE_ETH_HLEN + PPPOE_HLEN)
				break;
			n = reflect(frame, last_pado, last_pado_len, PPPOE_CODE_PADR);
			if ((op & 7) == 2) {
				uint8_t off = fz_u8(&f);

				frame[off % n] ^= fz_u8(&f);
			}
			pppoe_server_input(srv, frame, n, now);
			break;
		case 3: {
			const uint8_t *p = fz_bytes(&f, fz_u8(&f), &got);

			if (last_pads_len < PPPOE_ETH_HLEN + PPPOE_HLEN)
				break;
			reflect(frame, last_pads, PPPOE_ETH_HLEN + PPPOE_HLEN, PPPOE_CODE_SESSION);
			frame[12] = 0x88;
			frame[13] = 0x64;
			frame[18] = (uint8_t)(got >> 8);
			frame[19] = (uint8_t)got;
			memcpy(frame + PPPOE_ETH_HLEN + PPPOE_HLEN, p, got);
			pppoe_server_input(srv, frame, PPPOE_ETH_HLEN + PPPOE_HLEN + got, now);
			break;
		}
		case 4:
			if (last_pads_len < PPPOE_ETH_HLEN + PPPOE_HLEN)
				break;
			reflect(frame, last_pads, PPPOE_ETH_HLEN + PPPOE_HLEN, PPPOE_CODE_PADT);
			frame[18] = frame[19] = 0;
			pppoe_server_input(srv, frame, PPPOE_ETH_HLEN + PPPOE_HLEN, now);
			break;
		case 5:
			now += (uint64_t)fz_u8(&f) * 1000;
			break;
		case 6: {
			struct access_conn *conn = conns[fz_u8(&f) % NCONN];
			const uint8_t *p = fz_bytes(&f, fz_u8(&f), &got);

			if (conn)
				(void)access_conn_send(conn, p, got);
			break;
		}
		default: {
			unsigned k = fz_u8(&f) % NCONN;

			if (conns[k]) {
				access_conn_close(conns[k], "owner close");
				conns[k] = NULL;       /* freed: the owner forgets it */
			}
			break;
		}
		}
	}
	destroying = true;
	pppoe_server_destroy(srv);
	for (int i = 0; i < NCONN; i++)
		FUZZ_CHECK(conns[i] == NULL, "conn %d not reported closed at destroy", i);
	return 0;
}
