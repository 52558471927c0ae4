/* SPDX-License-Identifier: MIT */
/* Loopback link: packets come back as written, iteratively (no recursion), with a bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netstack/link.h"

struct echo {
	struct ns_link_dispatcher d;
	struct ns_link *link;
	int delivered;
	int depth, max_depth;
	int replies_left;   /* write one reply per delivery while > 0 */
	int burst;          /* on the first delivery, write this many packets */
	uint8_t last_first; /* first byte of the last packet delivered */
	uint16_t last_flags, last_netproto;
	uint32_t last_len;
	uint32_t last_refcnt;
};

static struct ns_pkt *ip_pkt(uint8_t first, uint32_t len)
{
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, len);
	assert_non_null(p);
	memset(ns_pkt_data(p), 0, len);
	ns_pkt_data(p)[0] = first;
	return p;
}

static void echo_deliver(struct ns_link_dispatcher *d, struct ns_link *link, struct ns_pkt *pkt)
{
	struct echo *e = (struct echo *)d;
	assert_ptr_equal(link, e->link);
	e->depth++;
	if (e->depth > e->max_depth)
		e->max_depth = e->depth;
	e->delivered++;
	e->last_first = ns_pkt_data(pkt)[0];
	e->last_flags = pkt->flags;
	e->last_netproto = pkt->netproto;
	e->last_len = pkt->len;
	e->last_refcnt = pkt->refcnt;
	ns_pkt_free(pkt);
	if (e->replies_left > 0) {
		e->replies_left--;
		struct ns_pkt *r = ip_pkt(0x45, 28);
		r->netproto = 0x0800;
		ns_link_write(e->link, &r, 1);
	}
	if (e->burst > 0) {
		int n = e->burst;
		e->burst = 0;
		for (int i = 0; i < n; i++) {
			struct ns_pkt *r = ip_pkt(0x60, 40);
			r->netproto = 0x86dd;
			ns_link_write(e->link, &r, 1);
		}
	}
	e->depth--;
}

static struct ns_link *setup(struct echo *e)
{
	memset(e, 0, sizeof(*e));
	e->d.deliver = echo_deliver;
	e->link = ns_loopback_new();
	assert_non_null(e->link);
	e->link->ops->attach(e->link, &e->d);
	return e->link;
}

static void test_properties(void **state)
{
	int64_t live = ns_pkt_live();
	struct ns_link *l = ns_loopback_new();
	assert_string_equal(l->ops->kind, "loopback");
	assert_int_equal(ns_link_mtu(l), 65536);
	assert_int_equal(ns_link_caps(l), NS_CAP_LOOPBACK);
	assert_int_equal(l->ops->max_header_len(l), 0);
	assert_int_equal(l->ops->header_type(l), NS_LINK_HDR_NONE);
	struct ns_mac m = l->ops->link_addr(l), zero = {{0}};
	assert_true(ns_mac_eq(&m, &zero));
	assert_int_equal(ns_link_poll_fd(l), -1);
	assert_int_equal(ns_link_process(l, 10), 0);
	ns_link_destroy(l);
	assert_int_equal(ns_pkt_live(), live);
}

static void test_loop_back(void **state)
{
	int64_t live = ns_pkt_live();
	struct echo e;
	struct ns_link *l = setup(&e);

	/* As a network layer writes it: network header pushed, outbound metadata set. */
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, 8);
	memset(ns_pkt_data(p), 0xab, 8);
	uint8_t *ip = ns_pkt_push(p, NS_HDR_NETWORK, 20);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	p->netproto = 0x0800;
	p->flags = NS_PKT_BROADCAST;
	assert_int_equal(ns_link_write(l, &p, 1), 1);
	assert_int_equal(e.delivered, 1);
	assert_int_equal(e.last_first, 0x45);
	assert_int_equal(e.last_len, 28);
	assert_int_equal(e.last_netproto, 0x0800);
	assert_int_equal(e.last_flags, NS_PKT_LOOPED);
	assert_int_equal(l->tx_frames, 1);
	assert_int_equal(l->rx_frames, 1);
	assert_int_equal(l->tx_bytes, 28);

	/* netproto left 0: guessed from the version nibble. */
	p = ip_pkt(0x60, 40);
	assert_int_equal(ns_link_write(l, &p, 1), 1);
	assert_int_equal(e.last_netproto, 0x86dd);

	/* A batch arrives in order. */
	struct ns_pkt *b[3] = {ip_pkt(0x45, 20), ip_pkt(0x46, 24), ip_pkt(0x47, 28)};
	for (int i = 0; i < 3; i++)
		b[i]->netproto = 0x0800;
	assert_int_equal(ns_link_write(l, b, 3), 3);
	assert_int_equal(e.delivered, 5);
	assert_int_equal(e.last_first, 0x47);

	/* A packet with another owner is copied: the other owner's view is untouched. */
	p = ip_pkt(0x45, 20);
	p->netproto = 0x0800;
	ns_pkt_ref(p);
	assert_int_equal(ns_link_write(l, &p, 1), 1);
	assert_int_equal(e.last_refcnt, 1);
	assert_int_equal(p->refcnt, 1);
	assert_int_equal(p->head, NS_PKT_HEADROOM);
	ns_pkt_free(p);

	ns_link_destroy(l);
	assert_int_equal(ns_pkt_live(), live);
}

static void test_no_recursion(void **state)
{
	int64_t live = ns_pkt_live();
	struct echo e;
	struct ns_link *l = setup(&e);
	e.replies_left = 10000;

	struct ns_pkt *p = ip_pkt(0x45, 20);
	p->netproto = 0x0800;
	ns_link_write(l, &p, 1);
	/* Each reply was written from inside a delivery, yet delivery never nested. */
	assert_int_equal(e.delivered, 10001);
	assert_int_equal(e.max_depth, 1);
	assert_int_equal(l->tx_dropped, 0);
	ns_link_destroy(l);
	assert_int_equal(ns_pkt_live(), live);
}

static void test_bound(void **state)
{
	int64_t live = ns_pkt_live();
	struct echo e;
	struct ns_link *l = setup(&e);
	e.burst = 2000;

	struct ns_pkt *p = ip_pkt(0x45, 20);
	p->netproto = 0x0800;
	ns_link_write(l, &p, 1);
	/* 1024 fit in the FIFO while the first delivery ran; the rest were dropped. */
	assert_int_equal(e.delivered, 1 + 1024);
	assert_int_equal(l->tx_dropped, 2000 - 1024);
	assert_int_equal(e.max_depth, 1);

	/* Without a dispatcher packets are dropped and counted. */
	l->ops->attach(l, NULL);
	p = ip_pkt(0x45, 20);
	ns_link_write(l, &p, 1);
	assert_int_equal(l->rx_errors, 1);
	ns_link_destroy(l);
	assert_int_equal(ns_pkt_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_properties),
	    cmocka_unit_test(test_loop_back),
	    cmocka_unit_test(test_no_recursion),
	    cmocka_unit_test(test_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
