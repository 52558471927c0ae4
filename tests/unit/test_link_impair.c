/* SPDX-License-Identifier: MIT */
/* Impairment link on a channel: seeded loss, duplication, reordering, delay, the held bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "link/impair_stats.h"
#include "netstack/clock.h"
#include "netstack/link.h"

#define N 1000

struct fixture {
	struct ns_vclock clock;
	struct ns_link *ch;
	struct ns_link *im;
	int64_t live;
};

static struct fixture fx;

static void open_impair(const struct ns_impair_config *cfg)
{
	fx.live = ns_pkt_live();
	ns_vclock_init(&fx.clock, 1000 * NS_SEC);
	struct ns_channel_config ccfg = {.header = NS_LINK_HDR_NONE, .queue_len = 4 * N};
	fx.ch = ns_channel_new(&ccfg);
	fx.im = ns_impair_new(fx.ch, cfg, &fx.clock.base);
	assert_non_null(fx.im);
}

static void close_impair(void)
{
	ns_link_destroy(fx.im);
	assert_int_equal(ns_pkt_live(), fx.live);
}

/* Write packet number @seq (in its first two bytes, after an IPv4 version byte). */
static void send_seq(uint16_t seq)
{
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, 20);
	memset(ns_pkt_data(p), 0, 20);
	ns_pkt_data(p)[0] = 0x45;
	ns_pkt_data(p)[4] = (uint8_t)(seq >> 8);
	ns_pkt_data(p)[5] = (uint8_t)seq;
	p->netproto = 0x0800;
	assert_int_equal(ns_link_write(fx.im, &p, 1), 1);
}

/* Read what reached the channel, as sequence numbers; returns how many. */
static int drain(uint16_t *out, int max)
{
	int n = 0;
	struct ns_pkt *p;
	while ((p = ns_channel_read(fx.ch))) {
		if (n < max)
			out[n] = (uint16_t)(ns_pkt_data(p)[4] << 8 | ns_pkt_data(p)[5]);
		n++;
		ns_pkt_free(p);
	}
	return n;
}

static int run_loss(uint64_t seed, uint32_t ppm, uint16_t *got)
{
	struct ns_impair_config cfg = {.seed = seed, .loss_ppm = ppm};
	open_impair(&cfg);
	for (int i = 0; i < N; i++)
		send_seq((uint16_t)i);
	int n = drain(got, N);
	struct impair_stats st;
	assert_true(impair_get_stats(fx.im, &st));
	assert_int_equal(st.dropped, N - n);
	assert_int_equal(fx.im->tx_frames, N);
	close_impair();
	return n;
}

static void test_loss_deterministic(void **state)
{
	static uint16_t a[N], b[N], c[N];
	int na = run_loss(42, 300000, a);
	int nb = run_loss(42, 300000, b);
	int nc = run_loss(43, 300000, c);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na * sizeof(a[0]));
	/* About 30% lost, and another seed loses other frames. */
	assert_in_range(na, 600, 800);
	assert_true(na != nc || memcmp(a, c, (size_t)na * sizeof(a[0])) != 0);
	/* The survivors are in order. */
	for (int i = 1; i < na; i++)
		assert_true(a[i] > a[i - 1]);
}

static void test_loss_extremes(void **state)
{
	static uint16_t got[N];
	assert_int_equal(run_loss(1, 1000000, got), 0);
	assert_int_equal(run_loss(1, 0, got), N);
	for (int i = 0; i < N; i++)
		assert_int_equal(got[i], i);
}

static void test_properties(void **state)
{
	open_impair(NULL);
	assert_string_equal(fx.im->ops->kind, "impair");
	assert_int_equal(ns_link_mtu(fx.im), 1500);
	assert_int_equal(fx.im->ops->header_type(fx.im), NS_LINK_HDR_NONE);
	assert_int_equal(fx.im->ops->max_header_len(fx.im), 0);
	assert_int_equal(ns_link_poll_fd(fx.im), -1);
	assert_int_equal(ns_impair_poll(fx.im), UINT64_MAX);
	assert_int_equal(ns_impair_poll(fx.ch), UINT64_MAX); /* not an impairment link */
	struct impair_stats st;
	assert_false(impair_get_stats(fx.ch, &st));
	close_impair();
}

static void test_dup(void **state)
{
	struct ns_impair_config cfg = {.seed = 7, .dup_ppm = 1000000};
	open_impair(&cfg);
	for (int i = 0; i < 10; i++)
		send_seq((uint16_t)i);
	uint16_t got[20];
	assert_int_equal(drain(got, 20), 20);
	for (int i = 0; i < 20; i++)
		assert_int_equal(got[i], i / 2);
	struct impair_stats st;
	impair_get_stats(fx.im, &st);
	assert_int_equal(st.duplicated, 10);
	close_impair();

	/* Half the time, deterministically per seed. */
	cfg.dup_ppm = 500000;
	open_impair(&cfg);
	for (int i = 0; i < N; i++)
		send_seq((uint16_t)i);
	static uint16_t many[2 * N];
	int n = drain(many, 2 * N);
	assert_in_range(n, N + 400, N + 600);
	impair_get_stats(fx.im, &st);
	assert_int_equal(st.duplicated, n - N);
	close_impair();
}

static void test_reorder(void **state)
{
	struct ns_impair_config cfg = {.seed = 9, .reorder_ppm = 1000000};
	open_impair(&cfg);
	/* Every frame wants to be held; the slot holds one, so pairs swap: 1 0 3 2 5 4. */
	for (int i = 0; i < 6; i++)
		send_seq((uint16_t)i);
	uint16_t got[8];
	assert_int_equal(drain(got, 8), 6);
	const uint16_t want[6] = {1, 0, 3, 2, 5, 4};
	assert_memory_equal(got, want, sizeof(want));

	/* A held frame with no follower goes on its own once the hold time passes. */
	send_seq(6);
	assert_int_equal(drain(got, 8), 0);
	uint64_t next = ns_impair_poll(fx.im);
	assert_int_equal(next, fx.clock.now + NS_MSEC);
	assert_int_equal(drain(got, 8), 0);
	fx.clock.now = next;
	assert_int_equal(ns_impair_poll(fx.im), UINT64_MAX);
	assert_int_equal(drain(got, 8), 1);
	assert_int_equal(got[0], 6);
	struct impair_stats st;
	impair_get_stats(fx.im, &st);
	assert_int_equal(st.reordered, 4);

	/* A frame still held at destroy is freed. */
	send_seq(7);
	close_impair();
}

static void test_delay(void **state)
{
	struct ns_impair_config cfg = {.delay_ns = 10 * NS_MSEC};
	open_impair(&cfg);
	uint64_t t0 = fx.clock.now;
	send_seq(0);
	send_seq(1);
	fx.clock.now += 4 * NS_MSEC;
	send_seq(2);
	uint16_t got[4];
	assert_int_equal(drain(got, 4), 0);
	assert_int_equal(ns_impair_poll(fx.im), t0 + 10 * NS_MSEC);
	assert_int_equal(drain(got, 4), 0);

	fx.clock.now = t0 + 10 * NS_MSEC;
	assert_int_equal(ns_impair_poll(fx.im), t0 + 14 * NS_MSEC);
	assert_int_equal(drain(got, 4), 2);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[1], 1);

	/* process() also lets due frames go. */
	fx.clock.now = t0 + 20 * NS_MSEC;
	assert_int_equal(ns_link_process(fx.im, 16), 0);
	assert_int_equal(drain(got, 4), 1);
	assert_int_equal(got[0], 2);
	assert_int_equal(ns_impair_poll(fx.im), UINT64_MAX);

	struct impair_stats st;
	impair_get_stats(fx.im, &st);
	assert_int_equal(st.delayed, 3);

	/* Frames still delayed at destroy are freed. */
	send_seq(3);
	close_impair();
}

static void test_held_bound(void **state)
{
	struct ns_impair_config cfg = {.delay_ns = NS_MSEC, .max_held = 4};
	open_impair(&cfg);
	for (int i = 0; i < 10; i++)
		send_seq((uint16_t)i);
	struct impair_stats st;
	impair_get_stats(fx.im, &st);
	assert_int_equal(st.delayed, 4);
	assert_int_equal(st.overflow, 6);
	assert_int_equal(fx.im->tx_dropped, 6);
	fx.clock.now += NS_MSEC;
	ns_impair_poll(fx.im);
	uint16_t got[10];
	assert_int_equal(drain(got, 10), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(got[i], i);
	/* Room again once released; the ring wraps. */
	for (int i = 10; i < 16; i++)
		send_seq((uint16_t)i);
	fx.clock.now += NS_MSEC;
	ns_impair_poll(fx.im);
	assert_int_equal(drain(got, 10), 4);
	assert_int_equal(got[0], 10);
	assert_int_equal(got[3], 13);
	close_impair();
}

struct capture {
	struct ns_link_dispatcher d;
	int n;
};

static void cap_deliver(struct ns_link_dispatcher *d, struct ns_link *link, struct ns_pkt *pkt)
{
	((struct capture *)d)->n++;
	ns_pkt_free(pkt);
}

static void test_inbound(void **state)
{
	uint8_t frame[20] = {0x45};
	struct capture c = {.d.deliver = cap_deliver};

	/* Outbound only by default: inbound frames pass untouched. */
	struct ns_impair_config cfg = {.loss_ppm = 1000000};
	open_impair(&cfg);
	fx.im->ops->attach(fx.im, &c.d);
	for (int i = 0; i < 5; i++)
		ns_channel_inject_bytes(fx.ch, frame, sizeof(frame));
	assert_int_equal(c.n, 5);
	assert_int_equal(fx.im->rx_frames, 5);
	close_impair();

	cfg.inbound = true;
	open_impair(&cfg);
	fx.im->ops->attach(fx.im, &c.d);
	for (int i = 0; i < 5; i++)
		ns_channel_inject_bytes(fx.ch, frame, sizeof(frame));
	assert_int_equal(c.n, 5);
	struct impair_stats st;
	impair_get_stats(fx.im, &st);
	assert_int_equal(st.dropped, 5);
	close_impair();

	/* Inbound delay. */
	struct ns_impair_config dcfg = {.delay_ns = NS_MSEC, .inbound = true};
	open_impair(&dcfg);
	fx.im->ops->attach(fx.im, &c.d);
	ns_channel_inject_bytes(fx.ch, frame, sizeof(frame));
	assert_int_equal(c.n, 5);
	fx.clock.now += NS_MSEC;
	assert_int_equal(ns_impair_poll(fx.im), UINT64_MAX);
	assert_int_equal(c.n, 6);
	close_impair();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_properties),    cmocka_unit_test(test_loss_deterministic),
	    cmocka_unit_test(test_loss_extremes), cmocka_unit_test(test_dup),
	    cmocka_unit_test(test_reorder),       cmocka_unit_test(test_delay),
	    cmocka_unit_test(test_held_bound),    cmocka_unit_test(test_inbound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
