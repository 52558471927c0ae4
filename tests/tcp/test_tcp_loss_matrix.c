/* SPDX-License-Identifier: MIT */
/*
 * The loss matrix (issue 3): two stacks in one process move 10 MB from a client on A to a
 * server on B through seeded impairment links, at 0%, 1%, 5% and 10% loss per direction
 * (data and ACKs alike), each with 1% reordering and a 5 ms one-way delay, over 50 seeds
 * per loss rate; the server checks every byte, then both close and every endpoint and
 * packet must be gone. The world is the one of test_tcp_transfer.c: frames cross through
 * queues the test loop drains, and the shared virtual clock jumps to the next deadline, so
 * each run is deterministic for its seed and minutes of retransmission take milliseconds.
 *
 * A compact table (loss, seeds, mean and worst virtual time, mean retransmits) is printed
 * so that a regression in loss recovery shows as a number, not only as a failure.
 *
 * Runtime: the full matrix is 200 transfers (2 GB through both stacks). Under the
 * sanitizers (ASan/UBSan: NS_SANITIZE, detected from the compiler's own definitions) it
 * runs the first 10 seeds of each loss rate, to stay within about a minute; the normal
 * build runs all 50.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define LM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LM_SANITIZED 1
#endif
#endif
#if defined(NS_SANITIZE) && !defined(LM_SANITIZED)
#define LM_SANITIZED 1
#endif

#ifdef LM_SANITIZED
#define LM_SEEDS 10
#else
#define LM_SEEDS 50
#endif

#define LM_BYTES   (10u << 20)
#define LM_PORT    5001
#define LM_DELAY   (5 * NS_MSEC)
#define LM_REORDER 10000 /* ppm */
#define TIME_LIMIT (1800 * NS_SEC)

struct side {
	struct ns_stack *s;
	struct ns_link *ch, *im;
	struct ns_pkt *qh, *qt; /* frames this side wrote, not yet delivered */
};

struct world {
	struct ns_vclock clock;
	struct side a, b;
};

static void on_write(void *ctx, struct ns_pkt *pkt)
{
	struct side *sd = ctx;

	pkt->next = NULL;
	if (sd->qt)
		sd->qt->next = pkt;
	else
		sd->qh = pkt;
	sd->qt = pkt;
}

static void add_tcp(struct ns_stack_config *cfg)
{
	int i = 0;

	while (i < NS_MAX_PROTOCOLS - 1 && cfg->transprotos[i] &&
	       cfg->transprotos[i] != &ns_proto_tcp)
		i++;
	cfg->transprotos[i] = &ns_proto_tcp;
}

static void side_init(struct world *w, struct side *sd, uint8_t me, uint8_t peer,
                      const struct ns_impair_config *ic, uint64_t seed)
{
	struct ns_stack_config cfg;
	struct ns_channel_config cc = {.mtu = 1500, .header = NS_LINK_HDR_ETHERNET};
	struct ns_impair_config icc = *ic;
	struct ns_subnet a = {.addr = NT_V4(192, 0, 2, me), .prefix = 24};
	struct ns_addr pa = NT_V4(192, 0, 2, peer);
	struct ns_mac pm = {{2, 0, 0, 0, 0, peer}};

	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	add_tcp(&cfg);
	cfg.clock = &w->clock.base;
	cfg.seed = seed + me;
	assert_int_equal(ns_stack_new(&cfg, &sd->s), NS_OK);
	cc.mac = (struct ns_mac){{2, 0, 0, 0, 0, me}};
	cc.caps = NS_CAP_RESOLUTION_REQUIRED;
	sd->ch = ns_channel_new(&cc);
	assert_non_null(sd->ch);
	ns_channel_set_write_hook(sd->ch, on_write, sd);
	icc.seed = ic->seed * 2 + me;
	sd->im = ns_impair_new(sd->ch, &icc, &w->clock.base);
	assert_non_null(sd->im);
	assert_int_equal(ns_stack_add_nic(sd->s, 1, sd->im, "x0"), NS_OK);
	assert_int_equal(ns_stack_add_address(sd->s, 1, &a), NS_OK);
	assert_int_equal(ns_stack_add_static_neighbor(sd->s, 1, &pa, &pm), NS_OK);
}

static int pump(struct world *w)
{
	int n = 0;
	struct side *from[2] = {&w->a, &w->b}, *to[2] = {&w->b, &w->a};

	for (int i = 0; i < 2; i++) {
		struct ns_pkt *p;

		while ((p = from[i]->qh) != NULL) {
			from[i]->qh = p->next;
			if (!from[i]->qh)
				from[i]->qt = NULL;
			ns_channel_inject_bytes(to[i]->ch, ns_pkt_data(p), p->len);
			ns_pkt_free(p);
			n++;
		}
	}
	return n;
}

static void step_time(struct world *w)
{
	uint64_t next = ns_stack_next_deadline(w->a.s), d;

	d = ns_stack_next_deadline(w->b.s);
	if (d < next)
		next = d;
	d = ns_impair_poll(w->a.im);
	if (d < next)
		next = d;
	d = ns_impair_poll(w->b.im);
	if (d < next)
		next = d;
	assert_true(next != UINT64_MAX); /* nothing pending anywhere: a deadlock */
	if (next > w->clock.now)
		w->clock.now = next;
	ns_stack_poll(w->a.s);
	ns_stack_poll(w->b.s);
	ns_impair_poll(w->a.im);
	ns_impair_poll(w->b.im);
}

static uint8_t pattern(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 11));
}

struct xfer {
	struct ns_ep *cli, *lst, *srv;
	uint32_t sent, rcvd;
	bool cli_shut, srv_eof;
};

static bool app_step(struct xfer *x)
{
	static uint8_t buf[65536];
	bool did = false;

	if (!x->srv && ns_ep_accept(x->lst, NULL, &x->srv, NULL) == NS_OK)
		did = true;
	if (tt_state(x->cli) == TCP_ESTABLISHED && x->sent < LM_BYTES) {
		uint32_t n = LM_BYTES - x->sent < sizeof(buf) ? LM_BYTES - x->sent : sizeof(buf);
		size_t wrote = 0;

		for (uint32_t i = 0; i < n; i++)
			buf[i] = pattern(x->sent + i);
		if (ns_ep_write(x->cli, buf, n, NULL, &wrote) == NS_OK && wrote) {
			x->sent += (uint32_t)wrote;
			did = true;
		}
	}
	if (x->sent == LM_BYTES && !x->cli_shut) {
		assert_int_equal(ns_ep_shutdown(x->cli, NS_SHUT_WR), NS_OK);
		x->cli_shut = true;
		did = true;
	}
	while (x->srv && !x->srv_eof) {
		struct ns_read_result r;
		ns_err err = ns_ep_read(x->srv, buf, sizeof(buf), 0, &r);

		if (err == NS_ERR_CLOSED_FOR_RECEIVE) {
			x->srv_eof = true;
			did = true;
			break;
		}
		if (err != NS_OK)
			break;
		for (size_t i = 0; i < r.count; i++)
			if (buf[i] != pattern(x->rcvd + (uint32_t)i))
				fail_msg("byte %zu differs", x->rcvd + i);
		x->rcvd += (uint32_t)r.count;
		did = true;
	}
	return did;
}

struct result {
	uint64_t vtime; /* virtual ns from connect() to the server's EOF */
	uint32_t retrans;
};

static struct result run_one(uint32_t loss_ppm, uint64_t seed)
{
	struct world *w = calloc(1, sizeof(*w));
	struct ns_impair_config ic = {.seed = seed,
	                              .loss_ppm = loss_ppm,
	                              .reorder_ppm = LM_REORDER,
	                              .delay_ns = LM_DELAY,
	                              .max_held = 1u << 16};
	struct ns_sockaddr any = {.addr = {.family = NS_AF_INET}, .port = LM_PORT};
	struct ns_sockaddr to = {.addr = NT_V4(192, 0, 2, 2), .port = LM_PORT};
	struct xfer x = {0};
	struct result res;
	int64_t pkts0 = ns_pkt_live();
	uint64_t t0;

	assert_non_null(w);
	ns_vclock_init(&w->clock, NT_T0);
	side_init(w, &w->a, 1, 2, &ic, seed);
	side_init(w, &w->b, 2, 1, &ic, seed);
	t0 = w->clock.now;

	assert_int_equal(ns_ep_new(w->b.s, NS_AF_INET, NS_IPPROTO_TCP, NULL, &x.lst), NS_OK);
	assert_int_equal(ns_ep_bind(x.lst, &any), NS_OK);
	assert_int_equal(ns_ep_listen(x.lst, 8), NS_OK);
	assert_int_equal(ns_ep_new(w->a.s, NS_AF_INET, NS_IPPROTO_TCP, NULL, &x.cli), NS_OK);
	assert_int_equal(ns_ep_connect(x.cli, &to), NS_ERR_CONNECT_STARTED);

	while (!x.srv_eof) {
		bool moved = pump(w) > 0;

		if (!app_step(&x) && !moved)
			step_time(w);
		if (w->clock.now - t0 > TIME_LIMIT)
			fail_msg("loss %u ppm seed %llu stalled: %u sent, %u received", loss_ppm,
			         (unsigned long long)seed, x.sent, x.rcvd);
	}
	assert_int_equal(x.rcvd, LM_BYTES);
	res.vtime = w->clock.now - t0;
	res.retrans = tt_ep(x.cli)->total_retrans;
	ns_ep_close(x.srv);
	ns_ep_close(x.cli);
	ns_ep_close(x.lst);
	while (ns_stack_endpoints_live(w->a.s) || ns_stack_endpoints_live(w->b.s)) {
		if (!pump(w))
			step_time(w);
		if (w->clock.now - t0 > 2 * TIME_LIMIT)
			fail_msg("loss %u ppm seed %llu: connections never finished closing",
			         loss_ppm, (unsigned long long)seed);
	}
	pump(w);
	ns_stack_free(w->a.s);
	ns_stack_free(w->b.s);
	ns_link_destroy(w->a.im);
	ns_link_destroy(w->b.im);
	assert_int_equal(ns_pkt_live(), pkts0);
	free(w);
	return res;
}

static void run_row(uint32_t loss_ppm)
{
	uint64_t sum_t = 0, max_t = 0, sum_r = 0;

	for (uint64_t seed = 1; seed <= LM_SEEDS; seed++) {
		struct result r = run_one(loss_ppm, seed);

		sum_t += r.vtime;
		sum_r += r.retrans;
		if (r.vtime > max_t)
			max_t = r.vtime;
	}
	print_message("loss %5.1f%%  seeds %2d  mean %8.3f s  worst %8.3f s  retransmits %8.1f\n",
	              loss_ppm / 10000.0, LM_SEEDS, (double)sum_t / LM_SEEDS / NS_SEC,
	              (double)max_t / NS_SEC, (double)sum_r / LM_SEEDS);
}

static void ten_mb_intact_without_loss(void **state)
{
	run_row(0);
}

static void ten_mb_intact_with_1pct_loss(void **state)
{
	run_row(10000);
}

static void ten_mb_intact_with_5pct_loss(void **state)
{
	run_row(50000);
}

static void ten_mb_intact_with_10pct_loss(void **state)
{
	run_row(100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ten_mb_intact_without_loss),
	    cmocka_unit_test(ten_mb_intact_with_1pct_loss),
	    cmocka_unit_test(ten_mb_intact_with_5pct_loss),
	    cmocka_unit_test(ten_mb_intact_with_10pct_loss),
	};

	return cmocka_run_group_tests_name("tcp_loss_matrix", tests, NULL, NULL);
}
