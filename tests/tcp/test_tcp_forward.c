/* SPDX-License-Identifier: MIT */
/*
 * The TCP forwarder (include/netstack/tcp.h; the seed's tcp.Forwarder): a SYN that no
 * endpoint takes goes to the application, which accepts it (a connection answers with a
 * SYN-ACK from the address the SYN was sent to, any address with the NIC promiscuous and
 * spoofing) or refuses it (RST), at once or later; retransmitted SYNs meanwhile are not
 * offered twice, and the number of pending requests is bounded.
 */
#include <string.h>

#include "tcp_test.h"

#include "netstack/tcp.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#define ST struct tt *t = *state

/* Somewhere on the Internet, as a tun2socks app sees it: not one of the stack's. */
#define FAR      NT_V4(198, 51, 100, 7)
#define FAR_PORT 443

struct fwd {
	unsigned calls;
	struct ns_tcp_fwd_req *req[8];
	struct ns_tcp_fwd_id id[8];
	/* Answer inside the callback: 0 keep, 1 accept, 2 refuse with RST. */
	int answer;
	struct tt *t;
};

static void on_syn(void *ctx, struct ns_tcp_fwd_req *req, const struct ns_tcp_fwd_id *id)
{
	struct fwd *f = ctx;

	assert_true(f->calls < 8);
	f->req[f->calls] = req;
	f->id[f->calls] = *id;
	f->calls++;
	if (f->answer == 1)
		assert_int_equal(ns_tcp_fwd_accept(req, &f->t->cwq, &f->t->c), NS_OK);
	else if (f->answer == 2)
		ns_tcp_fwd_refuse(req, true);
}

static void promiscuous(struct tt *t)
{
	assert_int_equal(ns_stack_set_promiscuous(t->nt.s, NT_NIC, true), NS_OK);
	assert_int_equal(ns_stack_set_spoofing(t->nt.s, NT_NIC, true), NS_OK);
}

static void forwarder_accepts_a_syn_for_any_address(void **state)
{
	ST;
	struct fwd f = {.t = t};
	char b[8];

	promiscuous(t);
	assert_int_equal(ns_tcp_forwarder_set(t->nt.s, on_syn, &f, 16), NS_OK);
	t->port = FAR_PORT;
	tt_send(t, TT_SEG(.dst = FAR, .flags = TCP_SYN, .seq = TT_PEER_ISS, .mss = 1400,
	                  .wscale = 2, .sack_perm = 1, .ts = 1, .tsval = 500));
	t->pseq = TT_PEER_ISS + 1;
	/* Asynchronous: nothing goes out until the application decides. */
	tt_expect_nothing(t);
	assert_int_equal(f.calls, 1);
	assert_true(ns_addr_eq(&f.id[0].local.addr, &FAR));
	assert_int_equal(f.id[0].local.port, FAR_PORT);
	assert_true(ns_addr_eq(&f.id[0].remote.addr, &NT_ADDR_PEER));
	assert_int_equal(f.id[0].remote.port, TT_PEER_PORT);
	assert_int_equal(f.id[0].local.nic, NT_NIC);
	/* The peer's retransmitted SYN is not offered again. */
	tt_send(t, TT_SEG(.dst = FAR, .flags = TCP_SYN, .seq = TT_PEER_ISS, .mss = 1400));
	tt_expect_nothing(t);
	assert_int_equal(f.calls, 1);
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_FWD_PENDING), 1);
	/* Accept: a SYN-ACK from the SYN's destination, answering its options. */
	assert_int_equal(ns_tcp_fwd_accept(f.req[0], &t->cwq, &t->c), NS_OK);
	assert_int_equal(tt_state(t->c), TCP_SYN_RCVD);
	tt_expect(t,
	          TT_SEG(.src = FAR, .dst = NT_ADDR_PEER, .sport = FAR_PORT, .dport = TT_PEER_PORT,
	                 .flags = TCP_SYN | TCP_ACK, .ack = TT_PEER_ISS + 1, .mss = 1460,
	                 .wscale = 7, .sack_perm = 1, .ts = 1, .tsecr = 500));
	assert_int_equal(ns_ep_write(t->c, "x", 1, NULL, NULL), NS_ERR_WOULD_BLOCK);
	t->cev = 0;
	tt_send(t, TT_SEG(.dst = FAR, .ts = 1, .tsval = 501));
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	assert_true(t->cev & NS_EV_OUT);
	/* Data both ways, from and to the far address. */
	tt_send(t, TT_SEG(.dst = FAR, .ts = 1, .tsval = 502, .payload = "GET /"));
	tt_expect(t, TT_SEG(.src = FAR, .flags = TCP_ACK, .ack = t->pseq, .len = 0));
	assert_int_equal(tt_read(t->c, b, sizeof(b)), 5);
	tt_write(t->c, "200", 3);
	tt_expect(t, TT_SEG(.src = FAR, .sport = FAR_PORT, .payload = "200"));
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_FWD_REQUESTS), 1);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_FWD_ACCEPTED), 1);
	assert_int_equal(tt_ep(t->l ? t->l : t->c)->ts->fwd_pending, 0);
	tt_finish(t);
}

static void forwarder_refuses_with_rst(void **state)
{
	ST;
	struct fwd f = {.t = t};

	assert_int_equal(ns_tcp_forwarder_set(t->nt.s, on_syn, &f, 16), NS_OK);
	/* Our own address, a port nobody listens on: the forwarder decides too. */
	tt_send(t, TT_SEG(.dport = 9999, .flags = TCP_SYN, .seq = 5000, .mss = 1460));
	tt_expect_nothing(t);
	assert_int_equal(f.calls, 1);
	ns_tcp_fwd_refuse(f.req[0], true);
	/* RFC 9293 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
	tt_expect(t, TT_SEG(.sport = 9999, .flags = TCP_RST | TCP_ACK, .seq = 0, .ack = 5001,
	                    .window = 0, .len = 0));
	/* Refused without a RST: the SYN just goes unanswered. */
	tt_send(t, TT_SEG(.dport = 9998, .flags = TCP_SYN, .seq = 6000));
	assert_int_equal(f.calls, 2);
	ns_tcp_fwd_refuse(f.req[1], false);
	tt_expect_nothing(t);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_FWD_REFUSED), 2);
	/* The 4-tuple is free again: the next SYN is a new request. */
	tt_send(t, TT_SEG(.dport = 9999, .flags = TCP_SYN, .seq = 5000));
	assert_int_equal(f.calls, 3);
	ns_tcp_fwd_refuse(f.req[2], true);
	tt_expect(t, TT_SEG(.flags = TCP_RST | TCP_ACK, .ack = 5001));
	tt_finish(t);
}

static void forwarder_answers_inside_its_callback(void **state)
{
	ST;
	struct fwd f = {.t = t, .answer = 1};

	promiscuous(t);
	assert_int_equal(ns_tcp_forwarder_set(t->nt.s, on_syn, &f, 16), NS_OK);
	t->port = FAR_PORT;
	tt_send(t, TT_SEG(.dst = FAR, .flags = TCP_SYN, .seq = TT_PEER_ISS, .mss = 1460));
	t->pseq = TT_PEER_ISS + 1;
	tt_expect(t, TT_SEG(.src = FAR, .flags = TCP_SYN | TCP_ACK, .ack = TT_PEER_ISS + 1,
	                    .mss = 1460, .sack_perm = 0, .ts = 0));
	tt_send(t, TT_SEG(.dst = FAR));
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	/* A refusal in the callback answers at once too. */
	f.answer = 2;
	tt_send(t, TT_SEG(.dst = FAR, .sport = 1234, .flags = TCP_SYN, .seq = 77));
	tt_expect(t, TT_SEG(.src = FAR, .dport = 1234, .flags = TCP_RST | TCP_ACK, .ack = 78));
	tt_finish(t);
}

static void forwarder_bounds_pending_requests(void **state)
{
	ST;
	struct fwd f = {.t = t};

	assert_int_equal(ns_tcp_forwarder_set(t->nt.s, on_syn, &f, 2), NS_OK);
	for (int i = 0; i < 3; i++)
		tt_send(t, TT_SEG(.sport = 1000 + i, .dport = 9000, .flags = TCP_SYN, .seq = 1));
	/* Two pending; the third SYN dropped (its sender will retransmit). */
	assert_int_equal(f.calls, 2);
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_FWD_FULL), 1);
	tt_expect_nothing(t);
	ns_tcp_fwd_refuse(f.req[0], false);
	tt_send(t, TT_SEG(.sport = 1002, .dport = 9000, .flags = TCP_SYN, .seq = 1));
	assert_int_equal(f.calls, 3);
	assert_int_equal(f.id[2].remote.port, 1002);
	/* Left pending: freed with the stack (the teardown's leak check). */
	tt_finish(t);
}

static void forwarder_leaves_listeners_and_non_syns_alone(void **state)
{
	ST;
	struct fwd f = {.t = t};

	assert_int_equal(ns_tcp_forwarder_set(t->nt.s, on_syn, &f, 16), NS_OK);
	tt_established(t); /* the listener on TT_PORT takes its SYN itself */
	assert_int_equal(f.calls, 0);
	/* Not a bare SYN: RST as for any closed port (RFC 9293 3.10.7.1). */
	tt_send(t, TT_SEG(.dport = 9999, .seq = 10, .ack = 20, .payload = "x"));
	tt_expect(t, TT_SEG(.sport = 9999, .flags = TCP_RST, .seq = 20));
	tt_send(t, TT_SEG(.dport = 9999, .flags = TCP_SYN | TCP_ACK, .seq = 10, .ack = 30));
	tt_expect(t, TT_SEG(.sport = 9999, .flags = TCP_RST, .seq = 30));
	assert_int_equal(f.calls, 0);
	/* With the forwarder removed, a SYN to a closed port is reset again. */
	assert_int_equal(ns_tcp_forwarder_set(t->nt.s, NULL, NULL, 0), NS_OK);
	tt_send(t, TT_SEG(.dport = 9999, .flags = TCP_SYN, .seq = 10));
	tt_expect(t, TT_SEG(.sport = 9999, .flags = TCP_RST | TCP_ACK, .ack = 11));
	assert_int_equal(ns_tcp_forwarder_set(t->nt.s, on_syn, &f, 0), NS_ERR_INVALID_ARGUMENT);
	tt_finish(t);
}

/* The accepted connection is the application's from the start: a RST or silence from the
 * peer during the handshake surfaces as an error on it. */
static void forwarded_handshake_failures_reach_the_application(void **state)
{
	ST;
	struct fwd f = {.t = t};
	struct ns_ep *e;
	char b[4];

	assert_int_equal(ns_tcp_forwarder_set(t->nt.s, on_syn, &f, 16), NS_OK);
	t->port = 9000;
	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = TT_PEER_ISS));
	assert_int_equal(ns_tcp_fwd_accept(f.req[0], &t->cwq, &t->c), NS_OK);
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .ack = TT_PEER_ISS + 1));
	tt_send(t, TT_SEG(.flags = TCP_RST, .seq = TT_PEER_ISS + 1));
	assert_int_equal(tt_state(t->c), TCP_CLOSED);
	assert_true(t->cev & NS_EV_ERR);
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_CONNECTION_REFUSED);
	ns_ep_close(t->c);
	t->c = NULL;
	/* No answer at all: SYN-ACK retransmissions (synack_retries), then a timeout. */
	tt_send(t, TT_SEG(.sport = 1001, .flags = TCP_SYN, .seq = 1));
	assert_int_equal(ns_tcp_fwd_accept(f.req[1], NULL, &e), NS_OK);
	tt_expect(t, TT_SEG(.dport = 1001, .flags = TCP_SYN | TCP_ACK));
	for (int i = 0; i < 5; i++) {
		nt_advance(&t->nt, (1ull << i) * NS_SEC);
		tt_expect(t, TT_SEG(.dport = 1001, .flags = TCP_SYN | TCP_ACK));
	}
	nt_advance(&t->nt, 32 * NS_SEC);
	tt_expect_nothing(t);
	assert_int_equal(tt_state(e), TCP_CLOSED);
	assert_int_equal(ns_ep_read(e, b, sizeof(b), 0, NULL), NS_ERR_TIMEOUT);
	ns_ep_close(e);
	tt_finish(t);
}

/* Without spoofing the stack cannot send from an address it does not own: accept says
 * so and the request stays pending, to be refused. */
static void forwarder_accept_needs_spoofing_for_foreign_addresses(void **state)
{
	ST;
	struct fwd f = {.t = t};
	struct ns_ep *e = NULL;

	assert_int_equal(ns_stack_set_promiscuous(t->nt.s, NT_NIC, true), NS_OK);
	assert_int_equal(ns_tcp_forwarder_set(t->nt.s, on_syn, &f, 16), NS_OK);
	tt_send(t, TT_SEG(.dst = FAR, .dport = FAR_PORT, .flags = TCP_SYN, .seq = 1));
	assert_int_equal(f.calls, 1);
	assert_int_equal(ns_tcp_fwd_accept(f.req[0], NULL, &e), NS_ERR_BAD_LOCAL_ADDRESS);
	assert_null(e);
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 0);
	ns_tcp_fwd_refuse(f.req[0], true); /* no route from there either: nothing sent */
	tt_expect_nothing(t);
	tt_finish(t);
}

/* RFC 6191 / RFC 1122 4.2.2.13 with a forwarder: a connection the stack closed first sits
 * in TIME_WAIT; a new SYN on its 4-tuple (higher sequence number) starts a new
 * incarnation. With no listener it is the forwarder's to decide, as any SYN to no
 * endpoint, not a RST (the client would see "connection refused" for a port the
 * application serves); the new connection's ISS lies past the old one's. */
static void syn_reusing_a_time_wait_goes_to_the_forwarder(void **state)
{
	ST;
	struct fwd f = {.t = t};
	struct ns_ep *e = NULL;
	uint32_t old_snd_max;

	promiscuous(t);
	assert_int_equal(ns_tcp_forwarder_set(t->nt.s, on_syn, &f, 16), NS_OK);
	t->port = FAR_PORT;
	tt_send(t, TT_SEG(.dst = FAR, .flags = TCP_SYN, .seq = TT_PEER_ISS, .mss = 1460));
	t->pseq = TT_PEER_ISS + 1;
	assert_int_equal(ns_tcp_fwd_accept(f.req[0], &t->cwq, &t->c), NS_OK);
	tt_expect(t, TT_SEG(.src = FAR, .flags = TCP_SYN | TCP_ACK, .ack = TT_PEER_ISS + 1));
	tt_send(t, TT_SEG(.dst = FAR));
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	/* We close first: FIN, the peer's ACK and FIN, our ACK: TIME_WAIT. */
	ns_ep_close(t->c);
	tt_expect(t, TT_SEG(.src = FAR, .flags = TCP_FIN | TCP_ACK));
	tt_send(t, TT_SEG(.dst = FAR, .flags = TCP_FIN | TCP_ACK));
	tt_expect(t, TT_SEG(.src = FAR, .flags = TCP_ACK, .ack = t->pseq));
	assert_int_equal(tt_ep(t->c)->state, TCP_TIME_WAIT);
	old_snd_max = tt_ep(t->c)->snd_max;
	t->c = NULL; /* closed: TIME_WAIT belongs to the stack */
	/* Ten seconds later the client reuses its port. */
	nt_advance(&t->nt, 10 * NS_SEC);
	tt_send(t, TT_SEG(.dst = FAR, .flags = TCP_SYN, .seq = t->pseq + 100000, .mss = 1460));
	assert_int_equal(f.calls, 2);
	tt_expect_nothing(t);
	assert_int_equal(ns_tcp_fwd_accept(f.req[1], NULL, &e), NS_OK);
	const struct tt_rx *rx =
	    tt_expect(t, TT_SEG(.src = FAR, .flags = TCP_SYN | TCP_ACK, .ack = t->pseq + 100001));
	/* RFC 6191 without timestamps: the new ISS is beyond the old incarnation's. */
	assert_true(seq_gt(rx->h.seq, old_snd_max));
	ns_ep_close(e);
	tt_finish(t);
}

/* RFC 5927 4.1: a "fragmentation needed" is believed only about a segment in flight. A
 * pending request has sent nothing, so one quoting its 4-tuple (anyone can send the SYN
 * that makes it) must not lower the path MTU to the peer for ten minutes. */
static void frag_needed_quoting_a_pending_request_is_ignored(void **state)
{
	ST;
	struct fwd f = {.t = t};
	struct ns_route rt;
	uint8_t q[28];

	assert_int_equal(ns_tcp_forwarder_set(t->nt.s, on_syn, &f, 16), NS_OK);
	tt_send(t, TT_SEG(.dport = 9000, .flags = TCP_SYN, .seq = 77));
	assert_int_equal(f.calls, 1);
	memset(q, 0, sizeof(q));
	q[0] = 0x45;
	wr16(q + 2, 1500);
	q[6] = 0x40; /* DF */
	q[8] = 64;
	q[9] = NS_IPPROTO_TCP;
	memcpy(q + 12, NT_ADDR_US.a, 4);
	memcpy(q + 16, NT_ADDR_PEER.a, 4);
	wr16(q + 10, csum_finish(csum_partial(q, 20, 0)));
	wr16(q + 20, 9000);
	wr16(q + 22, TT_PEER_PORT);
	wr32(q + 24, 12345);
	nt_send_icmp(&t->nt, NT_ICMP(.src = NT_V4(198, 51, 100, 1), .type = 3, .code = 4,
	                             .mtu = 600, .payload = q, .len = sizeof(q)));
	assert_int_equal(nt_drops(&t->nt, NS_DROP_ICMP_PMTU_NOT_OURS), 1);
	assert_int_equal(ns_route_find(t->nt.s, 0, NULL, &NT_ADDR_PEER, &rt), NS_OK);
	assert_int_equal(rt.mtu, 1500);
	ns_tcp_fwd_refuse(f.req[0], false);
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(forwarder_accepts_a_syn_for_any_address),
	    T(forwarder_refuses_with_rst),
	    T(forwarder_answers_inside_its_callback),
	    T(forwarder_bounds_pending_requests),
	    T(forwarder_leaves_listeners_and_non_syns_alone),
	    T(forwarded_handshake_failures_reach_the_application),
	    T(forwarder_accept_needs_spoofing_for_foreign_addresses),
	    T(syn_reusing_a_time_wait_goes_to_the_forwarder),
	    T(frag_needed_quoting_a_pending_request_is_ignored),
	};

	return cmocka_run_group_tests_name("tcp_forward", tests, NULL, NULL);
}
