/* SPDX-License-Identifier: MIT */
/*
 * Receive-buffer auto-tuning (Linux's dynamic right-sizing) on the virtual clock: two
 * stacks on a 50 ms path (25 ms of delay each way) move a bulk transfer. A fixed 128 KiB
 * receive window caps the sender at 128 KiB per round trip (2.6 MB/s); with auto-tuning
 * the receiver grows its buffer, and the window it advertises, to about twice what the
 * application reads per round trip, so the sender's congestion window, not the receiver,
 * sets the pace. An explicit SO_RCVBUF turns it off, as on Linux.
 */
#include <string.h>

#include "twostack.h"

#include "netstack/tcp.h"

#define PORT  5001
#define BYTES (16u << 20)
#define DELAY (25 * NS_MSEC)

struct run {
	int64_t rcvbuf;      /* SO_RCVBUF for the server (0: none) */
	uint64_t vtime;      /* virtual ns the transfer took */
	uint32_t rcv_space;  /* the server's receive buffer at the end */
	uint32_t max_wnd;    /* the largest window the client saw */
	uint64_t grown;      /* NS_STAT_TCP_RCVBUF_GROWN at the server's stack */
	uint32_t rcv_rtt_us; /* the server's receiver-side RTT estimate */
};

/* The sender's buffer is no bottleneck here: the receiver's window is the subject. */
static void setup(struct ns_ep *ep, bool server, void *ctx)
{
	struct run *r = ctx;

	if (!server)
		assert_int_equal(ns_ep_set_opt(ep, NS_SO_SNDBUF, 4 << 20), NS_OK);
	else if (r->rcvbuf)
		assert_int_equal(ns_ep_set_opt(ep, NS_SO_RCVBUF, r->rcvbuf), NS_OK);
}

static void watch_window(struct ts_xfer *x, void *ctx)
{
	struct run *r = ctx;
	struct tcp_ep *c = tt_ep(x->cli);

	if (c->max_snd_wnd > r->max_wnd)
		r->max_wnd = c->max_snd_wnd;
}

static void run(struct run *r, bool tune, int64_t rcvbuf, bool timestamps)
{
	struct ns_impair_config ic = {.seed = 7, .delay_ns = DELAY, .max_held = 16384};
	struct ts_world *w = ts_new(&ic, 7);
	struct ns_tcp_info info;

	memset(r, 0, sizeof(*r));
	r->rcvbuf = rcvbuf;
	tcp_config(w->b.s)->moderate_rcvbuf = tune;
	tcp_config(w->a.s)->timestamps = timestamps;
	ts_transfer(w, &(struct ts_opts){.bytes = BYTES,
	                                 .port = PORT,
	                                 .time_limit = 60 * NS_SEC,
	                                 .setup = setup,
	                                 .each = watch_window,
	                                 .ctx = r});
	r->vtime = ts_vtime(w);
	assert_int_equal(ns_ep_get_tcp_info(w->x.srv, &info), NS_OK);
	r->rcv_space = info.rcv_space;
	r->rcv_rtt_us = info.rcv_rtt_us;
	r->grown = ns_stack_stats(w->b.s)->stat[NS_STAT_TCP_RCVBUF_GROWN];
	print_message("auto-tuning %s, SO_RCVBUF %lld, TS %d: %.3f s, receive buffer %u, "
	              "largest window %u, grown %llu times, receiver RTT %u us\n",
	              tune ? "on" : "off", (long long)rcvbuf, timestamps, (double)r->vtime / NS_SEC,
	              r->rcv_space, r->max_wnd, (unsigned long long)r->grown, r->rcv_rtt_us);
	ts_free(w);
}

/* The same transfer with and without auto-tuning: it grows the window well past 128 KiB
 * and the transfer takes a fraction of the time. */
static void window_grows_over_a_bulk_transfer(void **state)
{
	struct run on, off;

	(void)state;
	run(&off, false, 0, true);
	run(&on, true, 0, true);
	assert_int_equal(off.rcv_space, 131072);
	assert_true(off.max_wnd <= 131072);
	assert_int_equal(off.grown, 0);
	/* 16 MiB at 128 KiB per 50 ms is over 6 s. */
	assert_true(off.vtime > 6 * NS_SEC);
	assert_true(on.grown > 0);
	assert_true(on.rcv_space >= 2u << 20);
	assert_true(on.max_wnd >= 1u << 20);
	assert_true(on.vtime * 3 < off.vtime);
	/* The receiver's own RTT estimate (from timestamps) found the 50 ms path. */
	assert_in_range(on.rcv_rtt_us, 50000, 60000);
}

/* Without timestamps the receiver times how long a window takes to arrive. */
static void window_grows_without_timestamps(void **state)
{
	struct run on;

	(void)state;
	run(&on, true, 0, false);
	assert_true(on.grown > 0);
	assert_true(on.rcv_space >= 1u << 20);
	assert_true(on.rcv_rtt_us >= 50000);
	assert_true(on.vtime < 6 * NS_SEC);
}

/* SO_RCVBUF locks the size (Linux's SOCK_RCVBUF_LOCK), also on accepted connections. */
static void so_rcvbuf_locks_the_size(void **state)
{
	struct run r;

	(void)state;
	run(&r, true, 200000, true);
	assert_int_equal(r.rcv_space, 200000);
	assert_int_equal(r.grown, 0);
	assert_true(r.max_wnd <= 200000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(window_grows_over_a_bulk_transfer),
	    cmocka_unit_test(window_grows_without_timestamps),
	    cmocka_unit_test(so_rcvbuf_locks_the_size),
	};

	return cmocka_run_group_tests_name("tcp_rcvbuf", tests, NULL, NULL);
}
