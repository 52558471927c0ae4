/* SPDX-License-Identifier: MIT */
/*
 * Two stacks in one process, each on a channel link wrapped in a seeded impairment link,
 * the channels joined through write hooks: a client on A (192.0.2.1) sends 1 MB to a server
 * on B (192.0.2.2), which checks every byte, then both close. Frames cross through queues
 * the test loop drains (never re-entering a stack from inside another), and the shared
 * virtual clock jumps from one timer deadline to the next, so seconds of retransmission
 * run in milliseconds and every run with a given seed is the same.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp_test.h"

#define XFER_BYTES (1u << 20)
#define XFER_PORT  5001
#define TIME_LIMIT (1200 * NS_SEC)

struct side {
	struct ns_stack *s;
	struct ns_link *ch, *im;
	struct ns_pkt *qh, *qt; /* frames this side wrote, not yet delivered */
};

struct world {
	struct ns_vclock clock;
	struct side a, b;
	int64_t pkts0;
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

	/* Until ns_protocols_default() registers TCP itself. */
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

/* Deliver what each side wrote to the other; returns how many frames moved. */
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

/* Jump the clock to the next thing due anywhere and run it. */
static void step_time(struct world *w)
{
	uint64_t next = ns_stack_next_deadline(w->a.s);
	uint64_t d;

	d = ns_stack_next_deadline(w->b.s);
	if (d < next)
		next = d;
	d = ns_impair_poll(w->a.im);
	if (d < next)
		next = d;
	d = ns_impair_poll(w->b.im);
	if (d < next)
		next = d;
	assert_true(next != UINT64_MAX); /* nothing pending at all: a deadlock */
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

/* One round of application work; returns true if anything happened. */
static bool app_step(struct world *w, struct xfer *x)
{
	static uint8_t buf[65536];
	bool did = false;

	if (!x->srv && ns_ep_accept(x->lst, NULL, &x->srv, NULL) == NS_OK)
		did = true;
	if (tt_state(x->cli) == TCP_ESTABLISHED && x->sent < XFER_BYTES) {
		uint32_t n =
		    XFER_BYTES - x->sent < sizeof(buf) ? XFER_BYTES - x->sent : sizeof(buf);
		size_t wrote = 0;

		for (uint32_t i = 0; i < n; i++)
			buf[i] = pattern(x->sent + i);
		if (ns_ep_write(x->cli, buf, n, NULL, &wrote) == NS_OK && wrote) {
			x->sent += (uint32_t)wrote;
			did = true;
		}
	}
	if (x->sent == XFER_BYTES && !x->cli_shut) {
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

static void run_transfer(uint32_t loss_ppm, uint32_t reorder_ppm, uint64_t seed)
{
	struct world *w = calloc(1, sizeof(*w));
	struct ns_impair_config ic = {
	    .seed = seed, .loss_ppm = loss_ppm, .reorder_ppm = reorder_ppm};
	struct ns_sockaddr any = {.addr = {.family = NS_AF_INET}, .port = XFER_PORT};
	struct ns_sockaddr to = {.addr = NT_V4(192, 0, 2, 2), .port = XFER_PORT};
	struct xfer x = {0};
	uint64_t t0;

	assert_non_null(w);
	w->pkts0 = ns_pkt_live();
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

		if (!app_step(w, &x) && !moved)
			step_time(w);
		if (w->clock.now - t0 > TIME_LIMIT)
			fail_msg("transfer stalled: %u sent, %u received", x.sent, x.rcvd);
	}
	assert_int_equal(x.rcvd, XFER_BYTES);
	print_message("loss %u ppm, reorder %u ppm, seed %llu: %.3f s virtual, %u retransmits\n",
	              loss_ppm, reorder_ppm, (unsigned long long)seed,
	              (double)(w->clock.now - t0) / NS_SEC, tt_ep(x.cli)->total_retrans);
	/* Both close; run until every connection is gone (TIME_WAIT on the client). */
	ns_ep_close(x.srv);
	ns_ep_close(x.cli);
	ns_ep_close(x.lst);
	while (ns_stack_endpoints_live(w->a.s) || ns_stack_endpoints_live(w->b.s)) {
		if (!pump(w))
			step_time(w);
		if (w->clock.now - t0 > 2 * TIME_LIMIT)
			fail_msg("connections never finished closing");
	}
	pump(w);
	ns_stack_free(w->a.s);
	ns_stack_free(w->b.s);
	ns_link_destroy(w->a.im);
	ns_link_destroy(w->b.im);
	assert_int_equal(ns_pkt_live(), w->pkts0);
	free(w);
}

static void transfer_1mb_intact_without_loss(void **state)
{
	run_transfer(0, 0, 1);
}

static void transfer_1mb_intact_with_5pct_loss_and_reordering(void **state)
{
	for (uint64_t seed = 1; seed <= 4; seed++)
		run_transfer(50000, 10000, seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(transfer_1mb_intact_without_loss),
	    cmocka_unit_test(transfer_1mb_intact_with_5pct_loss_and_reordering),
	};

	return cmocka_run_group_tests_name("tcp_transfer", tests, NULL, NULL);
}
