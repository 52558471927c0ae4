/* SPDX-License-Identifier: MIT */
/*
 * Entering TIME-WAIT releases the send and receive buffers: a server's TIME-WAITs
 * cost the endpoint struct only, not 384 KiB each for 2*MSL.
 */
#include <string.h>

#include "tcp_test.h"

static void time_wait_releases_buffers(void **state)
{
	struct tt *t = *state;
	char req[16];

	tt_established(t);
	tt_no_quickack(t); /* the response carries the ACK, as with a delayed ACK */
	struct tcp_ep *ep = tt_ep(t->c);
	tt_send(t, TT_SEG(.payload = "GET / HTTP/1.1\r\n", .len = 16));
	assert_int_equal(tt_read(t->c, req, sizeof(req)), 16);
	tt_write(t->c, "response", 8);
	tt_expect(t, TT_SEG(.len = 8));
	ns_ep_close(t->c);
	t->c = NULL;
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK));
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK));
	tt_expect(t, TT_SEG(.flags = TCP_ACK));
	assert_int_equal(ep->state, TCP_TIME_WAIT);
	assert_null(ep->snd.buf);
	assert_null(ep->rcv.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(time_wait_releases_buffers, tt_cm_setup,
	                                    tt_cm_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
