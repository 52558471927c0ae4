/* SPDX-License-Identifier: MIT */
/* Channel link and Ethernet framing helpers: inject/parse, write/queue, bounds, write hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netstack/link.h"

#define MAX_GOT 8

struct capture {
	struct ns_link_dispatcher d;
	struct ns_link *from[MAX_GOT];
	struct ns_pkt *got[MAX_GOT];
	int n;
};

static void cap_deliver(struct ns_link_dispatcher *d, struct ns_link *link, struct ns_pkt *pkt)
{
	struct capture *c = (struct capture *)d;
	if (c->n < MAX_GOT) {
		c->from[c->n] = link;
		c->got[c->n++] = pkt;
	} else {
		ns_pkt_free(pkt);
	}
}

static void cap_init(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->d.deliver = cap_deliver;
}

static void cap_free(struct capture *c)
{
	for (int i = 0; i < c->n; i++)
		ns_pkt_free(c->got[i]);
	c->n = 0;
}

static const struct ns_mac own = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct ns_mac peer = {{0x02, 0, 0, 0, 0, 0x02}};

/* An Ethernet frame to @dst from peer with type 0x0800 and @plen payload bytes 0..plen-1. */
static uint32_t frame(uint8_t *buf, const uint8_t *dst, uint32_t plen)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, peer.b, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	for (uint32_t i = 0; i < plen; i++)
		buf[14 + i] = (uint8_t)i;
	return 14 + plen;
}

static struct ns_link *eth_channel(uint32_t queue_len)
{
	struct ns_channel_config cfg = {.header = NS_LINK_HDR_ETHERNET,
	                                .mac = own,
	                                .caps = NS_CAP_RESOLUTION_REQUIRED,
	                                .queue_len = queue_len};
	struct ns_link *l = ns_channel_new(&cfg);
	assert_non_null(l);
	return l;
}

static void test_properties(void **state)
{
	int64_t live = ns_pkt_live();
	struct ns_link *l = eth_channel(0);
	assert_string_equal(l->ops->kind, "channel");
	assert_int_equal(ns_link_mtu(l), 1500);
	assert_int_equal(ns_link_caps(l), NS_CAP_RESOLUTION_REQUIRED);
	assert_int_equal(l->ops->max_header_len(l), 14);
	assert_int_equal(l->ops->header_type(l), NS_LINK_HDR_ETHERNET);
	struct ns_mac m = l->ops->link_addr(l);
	assert_memory_equal(m.b, own.b, 6);
	assert_int_equal(ns_link_poll_fd(l), -1);
	assert_int_equal(ns_link_process(l, 64), 0);
	ns_link_destroy(l);

	struct ns_channel_config raw = {.mtu = 9000, .header = NS_LINK_HDR_NONE};
	l = ns_channel_new(&raw);
	assert_int_equal(ns_link_mtu(l), 9000);
	assert_int_equal(l->ops->max_header_len(l), 0);
	assert_int_equal(l->ops->header_type(l), NS_LINK_HDR_NONE);
	ns_link_destroy(l);
	ns_link_destroy(NULL);
	assert_int_equal(ns_pkt_live(), live);
}

static void test_inject_ethernet(void **state)
{
	int64_t live = ns_pkt_live();
	struct ns_link *l = eth_channel(0);
	struct capture c;
	cap_init(&c);
	l->ops->attach(l, &c.d);

	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	static const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x09};
	uint8_t buf[128];

	ns_channel_inject_bytes(l, buf, frame(buf, own.b, 20));
	ns_channel_inject_bytes(l, buf, frame(buf, bcast, 20));
	ns_channel_inject_bytes(l, buf, frame(buf, mcast, 20));
	ns_channel_inject_bytes(l, buf, frame(buf, other, 20));
	/* A minimum-size frame keeps its padding. */
	ns_channel_inject_bytes(l, buf, frame(buf, own.b, 46));
	assert_int_equal(c.n, 5);

	const uint16_t want_flags[5] = {0, NS_PKT_BROADCAST, NS_PKT_MULTICAST, NS_PKT_OTHERHOST, 0};
	for (int i = 0; i < 5; i++) {
		struct ns_pkt *p = c.got[i];
		assert_ptr_equal(c.from[i], l);
		assert_int_equal(p->netproto, 0x0800);
		assert_memory_equal(p->link_src.b, peer.b, 6);
		assert_int_equal(p->flags, want_flags[i]);
		assert_int_equal(p->len, i == 4 ? 46 : 20);
		assert_int_equal(ns_pkt_data(p)[0], 0);
		assert_int_equal(ns_pkt_data(p)[19], 19);
		/* The consumed link header stays readable. */
		assert_int_equal(p->hdr[NS_HDR_LINK].len, 14);
		assert_int_equal(p->hdr[NS_HDR_LINK].off + 14, p->head);
		assert_memory_equal(ns_pkt_hdr(p, NS_HDR_LINK) + 6, peer.b, 6);
	}
	assert_int_equal(l->rx_frames, 5);
	assert_int_equal(l->rx_bytes, 4 * 34 + 60);
	assert_int_equal(l->rx_errors, 0);
	cap_free(&c);

	/* Too short for an Ethernet header: dropped and counted. */
	ns_channel_inject_bytes(l, buf, 13);
	ns_channel_inject_bytes(l, buf, 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(l->rx_errors, 2);

	/* Not attached: dropped and counted. */
	l->ops->attach(l, NULL);
	ns_channel_inject_bytes(l, buf, frame(buf, own.b, 20));
	assert_int_equal(l->rx_errors, 3);
	assert_int_equal(l->rx_frames, 5);

	ns_link_destroy(l);
	assert_int_equal(ns_pkt_live(), live);
}

static void test_inject_raw(void **state)
{
	int64_t live = ns_pkt_live();
	struct ns_channel_config cfg = {.header = NS_LINK_HDR_NONE};
	struct ns_link *l = ns_channel_new(&cfg);
	struct capture c;
	cap_init(&c);
	l->ops->attach(l, &c.d);

	uint8_t v4[20] = {0x45}, v6[40] = {0x60}, bad[20] = {0x55};
	ns_channel_inject_bytes(l, v4, sizeof(v4));
	ns_channel_inject_bytes(l, v6, sizeof(v6));
	ns_channel_inject_bytes(l, bad, sizeof(bad));
	ns_channel_inject_bytes(l, v4, 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.got[0]->netproto, 0x0800);
	assert_int_equal(c.got[0]->len, 20);
	assert_int_equal(c.got[0]->hdr[NS_HDR_LINK].len, 0);
	assert_int_equal(c.got[1]->netproto, 0x86dd);
	assert_int_equal(c.got[1]->len, 40);
	assert_int_equal(l->rx_errors, 2);
	assert_int_equal(l->rx_frames, 2);
	assert_int_equal(l->rx_bytes, 60);
	assert_int_equal(ns_link_ip_version_proto(c.got[0]), 0x0800);
	cap_free(&c);

	/* Injecting a prepared packet works the same way. */
	struct ns_pkt *p = ns_pkt_from(v6, sizeof(v6));
	ns_channel_inject(l, p);
	assert_int_equal(c.n, 1);
	assert_ptr_equal(c.got[0], p);
	cap_free(&c);

	ns_link_destroy(l);
	assert_int_equal(ns_pkt_live(), live);
}

/* An outbound packet as the network layer hands it over: @len payload bytes, netproto set. */
static struct ns_pkt *outbound(uint32_t len, uint8_t fill)
{
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, len);
	assert_non_null(p);
	memset(ns_pkt_data(p), fill, len);
	p->netproto = 0x0806;
	p->link_dst = peer;
	return p;
}

static void test_write_queue(void **state)
{
	int64_t live = ns_pkt_live();
	struct ns_link *l = eth_channel(2);

	struct ns_pkt *pk[3] = {outbound(28, 1), outbound(28, 2), outbound(28, 3)};
	assert_int_equal(ns_link_write(l, pk, 3), 2);
	assert_int_equal(ns_channel_pending(l), 2);
	assert_int_equal(l->tx_frames, 2);
	assert_int_equal(l->tx_bytes, 2 * 42);
	assert_int_equal(l->tx_dropped, 1);

	for (int i = 0; i < 2; i++) {
		struct ns_pkt *p = ns_channel_read(l);
		assert_non_null(p);
		assert_null(p->next);
		assert_int_equal(p->len, 42);
		const uint8_t *f = ns_pkt_data(p);
		assert_memory_equal(f, peer.b, 6);
		assert_memory_equal(f + 6, own.b, 6);
		assert_int_equal(f[12], 0x08);
		assert_int_equal(f[13], 0x06);
		assert_int_equal(f[14], i + 1);
		assert_int_equal(f[41], i + 1);
		assert_int_equal(p->hdr[NS_HDR_LINK].len, 14);
		ns_pkt_free(p);
	}
	assert_null(ns_channel_read(l));
	assert_int_equal(ns_channel_pending(l), 0);

	/* No headroom for the link header: dropped and counted as an error. */
	struct ns_pkt *tight = ns_pkt_alloc(4, 20);
	tight->netproto = 0x0800;
	assert_int_equal(ns_link_write(l, &tight, 1), 0);
	assert_int_equal(l->tx_errors, 1);

	/* Packets still queued at destroy are freed. */
	struct ns_pkt *left = outbound(10, 9);
	assert_int_equal(ns_link_write(l, &left, 1), 1);
	ns_link_destroy(l);
	assert_int_equal(ns_pkt_live(), live);
}

static void test_write_raw(void **state)
{
	int64_t live = ns_pkt_live();
	struct ns_channel_config cfg = {.header = NS_LINK_HDR_NONE};
	struct ns_link *l = ns_channel_new(&cfg);
	struct ns_pkt *p = outbound(20, 0x45);
	assert_int_equal(ns_link_write(l, &p, 1), 1);
	struct ns_pkt *q = ns_channel_read(l);
	assert_ptr_equal(q, p);
	assert_int_equal(q->len, 20);
	assert_int_equal(ns_pkt_data(q)[0], 0x45);
	ns_pkt_free(q);
	ns_link_destroy(l);
	assert_int_equal(ns_pkt_live(), live);
}

struct hook_ctx {
	struct ns_link *peer_link; /* the other channel, if wiring two together */
	int calls;
};

static void hook(void *ctx, struct ns_pkt *pkt)
{
	struct hook_ctx *h = ctx;
	h->calls++;
	if (h->peer_link)
		ns_channel_inject(h->peer_link, pkt);
	else
		ns_pkt_free(pkt);
}

static void test_write_hook(void **state)
{
	int64_t live = ns_pkt_live();
	/* Two channels wired back to back: what a writes, b receives. */
	struct ns_link *a = eth_channel(1);
	struct ns_channel_config bcfg = {.header = NS_LINK_HDR_ETHERNET, .mac = peer};
	struct ns_link *b = ns_channel_new(&bcfg);
	struct capture c;
	cap_init(&c);
	b->ops->attach(b, &c.d);
	struct hook_ctx h = {.peer_link = b};
	ns_channel_set_write_hook(a, hook, &h);

	/* The hook is not bounded by queue_len. */
	struct ns_pkt *pk[3] = {outbound(30, 1), outbound(30, 2), outbound(30, 3)};
	assert_int_equal(ns_link_write(a, pk, 3), 3);
	assert_int_equal(h.calls, 3);
	assert_int_equal(ns_channel_pending(a), 0);
	assert_int_equal(c.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(c.got[i]->netproto, 0x0806);
		assert_memory_equal(c.got[i]->link_src.b, own.b, 6);
		assert_int_equal(c.got[i]->flags, 0);
		assert_int_equal(c.got[i]->len, 30);
		assert_int_equal(ns_pkt_data(c.got[i])[0], i + 1);
	}
	cap_free(&c);

	/* Removing the hook queues again. */
	ns_channel_set_write_hook(a, NULL, NULL);
	struct ns_pkt *p = outbound(30, 4);
	assert_int_equal(ns_link_write(a, &p, 1), 1);
	assert_int_equal(ns_channel_pending(a), 1);

	/* Channel calls on a link of another kind do nothing. */
	struct ns_link *lo = ns_loopback_new();
	assert_int_equal(ns_channel_pending(lo), 0);
	assert_null(ns_channel_read(lo));
	ns_channel_inject(lo, ns_pkt_from("x", 1));
	ns_link_destroy(lo);

	ns_link_destroy(a);
	ns_link_destroy(b);
	assert_int_equal(ns_pkt_live(), live);
}

static void test_eth_helpers(void **state)
{
	int64_t live = ns_pkt_live();
	struct ns_pkt *p = ns_pkt_alloc(14, 4);
	memset(ns_pkt_data(p), 0xee, 4);
	p->link_dst = peer;
	p->netproto = 0x86dd;
	assert_true(ns_link_eth_push(p, &own));
	assert_int_equal(p->head, 0);
	const uint8_t want[18] = {2, 0, 0, 0,    0,    2,    2,    0,    0,
	                          0, 0, 1, 0x86, 0xdd, 0xee, 0xee, 0xee, 0xee};
	assert_int_equal(p->len, 18);
	assert_memory_equal(ns_pkt_data(p), want, 18);
	/* No more headroom. */
	assert_false(ns_link_eth_push(p, &own));

	/* Consume it back as the peer would see it: addressed to peer, from own. */
	p->netproto = 0;
	p->flags = NS_PKT_OTHERHOST | NS_PKT_BROADCAST;
	assert_true(ns_link_eth_consume(p, &peer));
	assert_int_equal(p->netproto, 0x86dd);
	assert_int_equal(p->flags, 0);
	assert_memory_equal(p->link_src.b, own.b, 6);
	assert_int_equal(p->len, 4);
	assert_int_equal(ns_link_ip_version_proto(p), 0);
	ns_pkt_free(p);

	p = ns_pkt_from("\x45", 1);
	assert_int_equal(ns_link_ip_version_proto(p), 0x0800);
	assert_false(ns_link_eth_consume(p, &own));
	ns_pkt_free(p);
	p = ns_pkt_alloc(0, 0);
	assert_int_equal(ns_link_ip_version_proto(p), 0);
	ns_pkt_free(p);
	assert_int_equal(ns_pkt_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_properties),  cmocka_unit_test(test_inject_ethernet),
	    cmocka_unit_test(test_inject_raw),  cmocka_unit_test(test_write_queue),
	    cmocka_unit_test(test_write_raw),   cmocka_unit_test(test_write_hook),
	    cmocka_unit_test(test_eth_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
