/* SPDX-License-Identifier: MIT */
/*
 * The socket options of a TCP endpoint (the API list) through ns_ep_set_opt() and
 * ns_ep_get_opt(), each one shown to take effect on the wire where it has one: TCP_MAXSEG
 * on the SYN's MSS option and the segment size, IP_TTL/IP_TOS on every segment, window
 * scaling both ways (RFC 7323 2).
 */
#include <string.h>

#include "tcp_test.h"

#define ST struct tt *t = *state

struct opt_case {
	enum ns_opt opt;
	int64_t set, get; /* what is set, and what reading it back must give */
};

static void every_tcp_option_is_settable_and_readable(void **state)
{
	ST;
	static const struct opt_case cases[] = {
	    {NS_TCP_NODELAY, 1, 1},
	    {NS_TCP_NODELAY, 0, 0},
	    {NS_TCP_CORK, 1, 1},
	    {NS_TCP_CORK, 0, 0},
	    {NS_SO_KEEPALIVE, 1, 1},
	    {NS_TCP_KEEPIDLE, 30, 30},
	    {NS_TCP_KEEPINTVL, 5, 5},
	    {NS_TCP_KEEPCNT, 4, 4},
	    {NS_SO_RCVBUF, 65536, 65536},
	    {NS_SO_RCVBUF, 100, 2048}, /* clamped, as Linux */
	    {NS_SO_SNDBUF, 100000, 100000},
	    {NS_SO_LINGER, 5, 5},
	    {NS_SO_LINGER, -1, -1},
	    {NS_TCP_MAXSEG, 1000, 1000},
	    {NS_TCP_USER_TIMEOUT, 2500, 2500},
	    {NS_TCP_CONGESTION, 1, 1},
	    {NS_TCP_CONGESTION, 0, 0},
	    {NS_TCP_QUICKACK, 1, 1},
	    {NS_SO_REUSEADDR, 1, 1},
	    {NS_SO_REUSEPORT, 1, 1},
	    {NS_SO_BINDTODEVICE, 1, 1},
	    {NS_SO_BINDTODEVICE, 0, 0},
	    {NS_IP_TTL, 33, 33},
	    {NS_IP_TOS, 0x10, 0x10},
	};
	static const struct opt_case bad[] = {
	    {NS_TCP_KEEPIDLE, 0, 0}, {NS_TCP_KEEPINTVL, 40000, 0}, {NS_TCP_KEEPCNT, 200, 0},
	    {NS_TCP_MAXSEG, 50, 0},  {NS_TCP_USER_TIMEOUT, -1, 0}, {NS_TCP_CONGESTION, 7, 0},
	    {NS_IP_TTL, 256, 0},     {NS_IP_TOS, -1, 0},
	};
	struct ns_ep *e;
	int64_t v;

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, NULL, &e), NS_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ns_ep_set_opt(e, cases[i].opt, cases[i].set), NS_OK);
		assert_int_equal(ns_ep_get_opt(e, cases[i].opt, &v), NS_OK);
		if (v != cases[i].get)
			fail_msg("option %d: set %lld, read %lld, want %lld", cases[i].opt,
			         (long long)cases[i].set, (long long)v, (long long)cases[i].get);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ns_ep_set_opt(e, bad[i].opt, bad[i].set),
		                 NS_ERR_INVALID_OPTION_VALUE);
	/* SO_ERROR is read-only, and reading it clears it. */
	assert_int_equal(ns_ep_get_opt(e, NS_SO_ERROR, &v), NS_OK);
	assert_int_equal(v, NS_OK);
	/* Datagram-only options are not TCP's. */
	assert_int_equal(ns_ep_set_opt(e, NS_SO_BROADCAST, 1), NS_ERR_UNKNOWN_PROTOCOL_OPTION);
	ns_ep_close(e);
	tt_finish(t);
}

/* TCP_MAXSEG before connect(): the SYN advertises it and no segment we send is larger,
 * whatever the peer offers; read back once connected it is the MSS in use. */
static void maxseg_limits_the_syn_option_and_the_segments(void **state)
{
	ST;
	struct ns_sockaddr to = {.addr = NT_ADDR_PEER, .port = TT_PEER_PORT};
	static uint8_t data[2500];
	const struct tt_rx *r;
	int64_t v;

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->cwq, &t->c), NS_OK);
	assert_int_equal(ns_ep_set_opt(t->c, NS_TCP_MAXSEG, 1000), NS_OK);
	assert_int_equal(ns_ep_connect(t->c, &to), NS_ERR_CONNECT_STARTED);
	r = tt_expect(t, TT_SEG(.flags = TCP_SYN, .mss = 1000));
	t->port = r->h.src_port;
	tt_send(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .seq = TT_PEER_ISS, .mss = 1460));
	t->pseq = TT_PEER_ISS + 1;
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .len = 0));
	assert_int_equal(ns_ep_get_opt(t->c, NS_TCP_MAXSEG, &v), NS_OK);
	assert_int_equal(v, 1000);
	tt_write(t->c, data, sizeof(data));
	tt_expect(t, TT_SEG(.len = 1000));
	tt_expect(t, TT_SEG(.len = 1000));
	tt_expect(t, TT_SEG(.len = 500));
	tt_finish(t);
}

static void ttl_and_tos_apply_to_every_segment(void **state)
{
	ST;

	tt_listen(t);
	assert_int_equal(ns_ep_set_opt(t->l, NS_IP_TTL, 9), NS_OK);
	assert_int_equal(ns_ep_set_opt(t->l, NS_IP_TOS, 0x28), NS_OK);
	/* The SYN-ACK already, the accepted connection inherits them. */
	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = TT_PEER_ISS, .mss = 1460));
	t->pseq = TT_PEER_ISS + 1;
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .ttl = 9, .tos = 0x28));
	tt_send(t, TT_SEG());
	assert_int_equal(ns_ep_accept(t->l, &t->cwq, &t->c, NULL), NS_OK);
	tt_write(t->c, "x", 1);
	tt_expect(t, TT_SEG(.payload = "x", .ttl = 9, .tos = 0x28));
	assert_int_equal(ns_ep_set_opt(t->c, NS_IP_TTL, 0), NS_OK); /* back to the default */
	tt_send(t, TT_SEG());
	tt_write(t->c, "y", 1);
	tt_expect(t, TT_SEG(.payload = "y", .ttl = 64));
	tt_finish(t);
}

/* RFC 7323 2: once both SYNs carried the option, the peer's window fields are shifted by
 * its scale and ours by ours (7: a 128 KiB buffer advertises 1024); the SYNs themselves
 * are never scaled. */
static void window_scaling_applies_both_ways(void **state)
{
	ST;
	struct ns_sockaddr to = {.addr = NT_ADDR_PEER, .port = TT_PEER_PORT};
	static uint8_t data[3000];
	const struct tt_rx *r;

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->cwq, &t->c), NS_OK);
	assert_int_equal(ns_ep_connect(t->c, &to), NS_ERR_CONNECT_STARTED);
	r = tt_expect(t, TT_SEG(.flags = TCP_SYN, .wscale = 7, .window = 65535));
	t->port = r->h.src_port;
	tt_send(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .seq = TT_PEER_ISS, .mss = 1460, .wscale = 4,
	                  .window = 8000));
	t->pseq = TT_PEER_ISS + 1;
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .window = 131072 >> 7, .len = 0));
	assert_int_equal(tt_ep(t->c)->snd_wnd, 8000); /* unscaled in the SYN-ACK */
	/* 100 << 4 = 1600 bytes: one full segment fits, the rest waits (SWS). */
	tt_send(t, TT_SEG(.window = 100));
	tt_write(t->c, data, sizeof(data));
	tt_expect(t, TT_SEG(.len = 1460));
	tt_expect_nothing(t);
	tt_send(t, TT_SEG(.window = 200)); /* 3200 bytes from SND.UNA */
	tt_expect(t, TT_SEG(.len = 1460));
	tt_expect(t, TT_SEG(.len = 80));
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(every_tcp_option_is_settable_and_readable),
	    T(maxseg_limits_the_syn_option_and_the_segments),
	    T(ttl_and_tos_apply_to_every_segment),
	    T(window_scaling_applies_both_ways),
	};

	return cmocka_run_group_tests_name("tcp_options", tests, NULL, NULL);
}
