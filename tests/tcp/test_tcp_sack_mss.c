/* SPDX-License-Identifier: MIT */
/*
 * A full-sized data segment that also carries SACK blocks must still fit the MTU: the
 * payload shrinks by the option bytes (RFC 9293 3.7.1 MUST-16; Linux tcp_current_mss).
 */
#include <string.h>

#include "tcp_test.h"

static uint8_t data[2 * 1448];

static void full_segment_with_sack_blocks_fits_the_mtu(void **state)
{
	struct tt *t = *state;
	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .sack_perm = 1, .ts = 1,
	                          .tsval = 100, .tsecr = 0));
	struct tcp_ep *ep = tt_ep(t->c);
	assert_true(ep->flags & TCP_F_SACK);
	assert_true(ep->flags & TCP_F_TS);
	/* 100 bytes beyond a 100-byte hole: an out-of-order range, SACKed from now on. */
	uint8_t junk[100] = {0};
	tt_send(t, TT_SEG(.seq = t->pseq + 100, .payload = junk, .len = 100, .ts = 1, .tsval = 101,
	                  .tsecr = NT_ANY));
	tt_expect(t, TT_SEG(.ack = t->pseq)); /* the duplicate ACK, with a SACK block */
	assert_int_equal(ep->nooo, 1);
	uint32_t before = ep->snd_nxt;
	tt_write(t->c, data, sizeof(data));
	/* Bug: this segment (1448 payload + 20 TCP + 12 TS + 12 SACK + 20 IP = 1512 bytes) is
	 * dropped by ipv4_write (total > r->mtu), although snd_nxt moved past it. */
	tt_expect(t, TT_SEG(.seq = before, .len = NT_ANY));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(full_segment_with_sack_blocks_fits_the_mtu, tt_cm_setup,
	                                    tt_cm_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
