/* SPDX-License-Identifier: MIT */
/* Theory of operation: the packet-buffer leak check of pktleak.h, for one test at a time
 * (cmocka runs a group's tests one after another, so one saved count serves). */
#include "pktleak.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "netstack/pkt.h"

static int64_t live_at_start;

int nt_pktleak_setup(void **state)
{
	(void)state;
	live_at_start = ns_pkt_live();
	return 0;
}

int nt_pktleak_teardown(void **state)
{
	(void)state;
	assert_int_equal(ns_pkt_live(), live_at_start);
	return 0;
}
