/* What the PPPoE client and server unit tests share: capture of the frames
 * the code under test sends through its io hook, the decoding of a captured
 * discovery frame, and the access concentrator's MAC. Test-only: include from
 * exactly one translation unit per program; each test's setup resets n_tx. */
#ifndef RLNS_TESTS_PPPOE_TEST_UTIL_H
#define RLNS_TESTS_PPPOE_TEST_UTIL_H

#include <criterion/criterion.h>
#include <string.h>

#include "access/pppoe_codec.h"

#define MAX_TX 64

static uint8_t tx_buf[MAX_TX][1600];
static size_t tx_len[MAX_TX];
static unsigned n_tx;

static const uint8_t ac_mac[6] = { 0x02, 0xac, 0, 0, 0, 1 };

/* The io hook: records each frame sent, in order. */
static inline int fake_tx(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	cr_assert_lt(n_tx, MAX_TX);
	cr_assert_leq(len, sizeof(tx_buf[0]));
	memcpy(tx_buf[n_tx], frame, len);
	tx_len[n_tx++] = len;
	return 0;
}

/* The i-th captured frame, which must be a well-formed discovery frame. */
static inline struct pppoe_disc sent_disc(unsigned i)
{
	struct pppoe_disc d;
	enum pppoe_err err;
	cr_assert_lt(i, n_tx);
	cr_assert_eq(pppoe_disc_decode(tx_buf[i], tx_len[i], &d, &err), 0, "err=%s", pppoe_err_str(err));
	return d;
}

#endif
