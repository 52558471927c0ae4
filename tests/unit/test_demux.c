/* SPDX-License-Identifier: MIT */
/* The transport demuxer: lookup priority, NIC binding, REUSEPORT groups, delivery of
 * unicast, broadcast and ICMP errors, with a fake transport protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"
#include "netstack/clock.h"

#define PROTO 99 /* the fake transport's IP protocol number */

static enum ns_unknown_verdict unknown_verdict;
static int unknown_calls;

static bool fake_parse_ports(const uint8_t *h, uint32_t len, uint16_t *sport, uint16_t *dport)
{
	if (len < 4)
		return false;
	*sport = (uint16_t)(h[0] << 8 | h[1]);
	*dport = (uint16_t)(h[2] << 8 | h[3]);
	return true;
}

static enum ns_unknown_verdict fake_unknown(struct ns_stack *s, void *priv, struct ns_pkt *pkt)
{
	(void)s;
	(void)priv;
	unknown_calls++;
	if (unknown_verdict != NS_UNKNOWN_PORT_UNREACHABLE)
		ns_pkt_free(pkt); /* consumed */
	return unknown_verdict;
}

static const struct ns_transproto_ops fake_tp = {
    .name = "fake",
    .number = PROTO,
    .parse_ports = fake_parse_ports,
    .min_header_len = 8,
    .handle_unknown = fake_unknown,
};

/* A fake endpoint: counts deliveries and control messages. */
struct fep {
	struct ns_tep tep;
	int delivered;
	int controls;
	enum ns_ctrl last_ctrl;
	uint32_t last_info;
	bool unregister_on_deliver;
	struct ns_stack *s;
};

static void fep_deliver(struct ns_tep *t, struct ns_pkt *pkt)
{
	struct fep *e = (struct fep *)t;

	e->delivered++;
	if (e->unregister_on_deliver)
		ns_demux_unregister(e->s, t);
	ns_pkt_free(pkt);
}

static void fep_control(struct ns_tep *t, enum ns_ctrl ctrl, uint32_t info, struct ns_pkt *pkt)
{
	struct fep *e = (struct fep *)t;

	(void)pkt;
	e->controls++;
	e->last_ctrl = ctrl;
	e->last_info = info;
}

static const struct ns_tep_ops fep_ops = {.deliver = fep_deliver, .control = fep_control};

struct fixture {
	struct ns_vclock vc;
	struct ns_stack *s;
	int64_t live;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ns_stack_config cfg;

	ns_vclock_init(&f->vc, NS_SEC);
	ns_stack_config_init(&cfg);
	cfg.clock = &f->vc.base;
	cfg.seed = 1234;
	cfg.transprotos[0] = &fake_tp;
	assert_int_equal(ns_stack_new(&cfg, &f->s), NS_OK);
	f->live = ns_pkt_live();
	unknown_calls = 0;
	unknown_verdict = NS_UNKNOWN_PORT_UNREACHABLE;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ns_stack_free(f->s);
	assert_int_equal(ns_pkt_live(), f->live);
	free(f);
	return 0;
}

static struct ns_addr A(const char *s) {
	struct ns_addr a;

	assert_true(ns_addr_parse(s, &a));
	return a;
}

static const struct ns_addr any4 = {.family = NS_AF_INET};

static void fep_init(struct fep *e, struct ns_stack *s, const char *local, uint16_t lport,
                     const char *remote, uint16_t rport, uint8_t flags, uint32_t nic)
{
	memset(e, 0, sizeof(*e));
	e->s = s;
	e->tep.ops = &fep_ops;
	e->tep.transproto = PROTO;
	e->tep.family = NS_AF_INET;
	e->tep.flags = flags;
	e->tep.nic = nic;
	e->tep.id.local = local ? A(local) : any4;
	e->tep.id.remote = remote ? A(remote) : any4;
	e->tep.id.lport = lport;
	e->tep.id.rport = rport;
}

static struct ns_tep *look(struct fixture *f, uint32_t nic, const char *local, uint16_t lport,
                           const char *remote, uint16_t rport)
{
	struct ns_addr l = A(local), r = A(remote);

	return ns_demux_lookup(f->s, PROTO, nic, &l, lport, &r, rport);
}

static void test_priority(void **state)
{
	struct fixture *f = *state;
	struct fep exact, bound, wild, other;

	fep_init(&exact, f->s, "192.0.2.1", 80, "198.51.100.7", 4000, 0, 0);
	fep_init(&bound, f->s, "192.0.2.1", 80, NULL, 0, 0, 0);
	fep_init(&wild, f->s, NULL, 80, NULL, 0, 0, 0);
	fep_init(&other, f->s, NULL, 81, NULL, 0, 0, 0);
	assert_null(look(f, 1, "192.0.2.1", 80, "198.51.100.7", 4000));
	assert_int_equal(ns_demux_register(f->s, &wild.tep), NS_OK);
	assert_ptr_equal(look(f, 1, "192.0.2.1", 80, "198.51.100.7", 4000), &wild.tep);
	assert_int_equal(ns_demux_register(f->s, &bound.tep), NS_OK);
	assert_ptr_equal(look(f, 1, "192.0.2.1", 80, "198.51.100.7", 4000), &bound.tep);
	assert_int_equal(ns_demux_register(f->s, &exact.tep), NS_OK);
	assert_int_equal(ns_demux_register(f->s, &other.tep), NS_OK);
	assert_ptr_equal(look(f, 1, "192.0.2.1", 80, "198.51.100.7", 4000), &exact.tep);
	/* Another peer or port of the same peer: the bound endpoint. */
	assert_ptr_equal(look(f, 1, "192.0.2.1", 80, "198.51.100.7", 4001), &bound.tep);
	assert_ptr_equal(look(f, 1, "192.0.2.1", 80, "198.51.100.8", 4000), &bound.tep);
	/* Another local address: the wildcard. */
	assert_ptr_equal(look(f, 1, "192.0.2.2", 80, "198.51.100.7", 4000), &wild.tep);
	assert_ptr_equal(look(f, 1, "192.0.2.2", 81, "198.51.100.7", 4000), &other.tep);
	assert_null(look(f, 1, "192.0.2.2", 82, "198.51.100.7", 4000));

	/* Unregistering falls back a level at a time. */
	ns_demux_unregister(f->s, &exact.tep);
	ns_demux_unregister(f->s, &exact.tep); /* no-op */
	assert_false(exact.tep.registered);
	assert_ptr_equal(look(f, 1, "192.0.2.1", 80, "198.51.100.7", 4000), &bound.tep);
	ns_demux_unregister(f->s, &bound.tep);
	assert_ptr_equal(look(f, 1, "192.0.2.1", 80, "198.51.100.7", 4000), &wild.tep);
	ns_demux_unregister(f->s, &wild.tep);
	assert_null(look(f, 1, "192.0.2.1", 80, "198.51.100.7", 4000));
	ns_demux_unregister(f->s, &other.tep);
}

static void test_anylocal_connected(void **state)
{
	struct fixture *f = *state;
	struct fep conn, wild;

	fep_init(&conn, f->s, NULL, 5000, "198.51.100.7", 53, 0, 0);
	fep_init(&wild, f->s, NULL, 5000, NULL, 0, NS_TEP_REUSEADDR, 0);
	assert_int_equal(ns_demux_register(f->s, &wild.tep), NS_OK);
	assert_int_equal(ns_demux_register(f->s, &conn.tep), NS_OK);
	assert_ptr_equal(look(f, 1, "192.0.2.1", 5000, "198.51.100.7", 53), &conn.tep);
	assert_ptr_equal(look(f, 1, "192.0.2.1", 5000, "198.51.100.7", 54), &wild.tep);
	ns_demux_unregister(f->s, &conn.tep);
	ns_demux_unregister(f->s, &wild.tep);
}

static void test_nic_binding(void **state)
{
	struct fixture *f = *state;
	struct fep on2, any, on3;

	fep_init(&on2, f->s, NULL, 53, NULL, 0, 0, 2);
	fep_init(&on3, f->s, NULL, 53, NULL, 0, 0, 3);
	fep_init(&any, f->s, NULL, 53, NULL, 0, 0, 0);
	assert_int_equal(ns_demux_register(f->s, &on2.tep), NS_OK);
	assert_null(look(f, 1, "192.0.2.1", 53, "198.51.100.7", 9));
	assert_ptr_equal(look(f, 2, "192.0.2.1", 53, "198.51.100.7", 9), &on2.tep);
	/* Same id, different devices: both may exist; unbound catches the others. */
	assert_int_equal(ns_demux_register(f->s, &any.tep), NS_OK);
	assert_int_equal(ns_demux_register(f->s, &on3.tep), NS_OK);
	assert_ptr_equal(look(f, 1, "192.0.2.1", 53, "198.51.100.7", 9), &any.tep);
	assert_ptr_equal(look(f, 2, "192.0.2.1", 53, "198.51.100.7", 9), &on2.tep);
	assert_ptr_equal(look(f, 3, "192.0.2.1", 53, "198.51.100.7", 9), &on3.tep);
	/* A bound endpoint never matches another NIC, even as the only candidate. */
	ns_demux_unregister(f->s, &any.tep);
	assert_null(look(f, 1, "192.0.2.1", 53, "198.51.100.7", 9));
	ns_demux_unregister(f->s, &on2.tep);
	ns_demux_unregister(f->s, &on3.tep);
}

static void test_port_in_use(void **state)
{
	struct fixture *f = *state;
	struct fep a, b, c, d;

	fep_init(&a, f->s, "192.0.2.1", 80, NULL, 0, 0, 0);
	fep_init(&b, f->s, "192.0.2.1", 80, NULL, 0, NS_TEP_REUSEPORT, 0);
	fep_init(&c, f->s, "192.0.2.1", 80, NULL, 0, NS_TEP_REUSEADDR, 0);
	fep_init(&d, f->s, "192.0.2.1", 80, "198.51.100.1", 1, 0, 0);
	assert_int_equal(ns_demux_register(f->s, &a.tep), NS_OK);
	assert_int_equal(ns_demux_register(f->s, &a.tep), NS_ERR_ALREADY_BOUND);
	assert_int_equal(ns_demux_register(f->s, &b.tep), NS_ERR_PORT_IN_USE);
	assert_int_equal(ns_demux_register(f->s, &c.tep), NS_ERR_PORT_IN_USE);
	assert_false(b.tep.registered);
	assert_int_equal(ns_demux_register(f->s, &d.tep), NS_OK); /* a different id */
	ns_demux_unregister(f->s, &a.tep);
	/* Now b owns the id with REUSEPORT; a without it is refused. */
	assert_int_equal(ns_demux_register(f->s, &b.tep), NS_OK);
	assert_int_equal(ns_demux_register(f->s, &a.tep), NS_ERR_PORT_IN_USE);
	ns_demux_unregister(f->s, &b.tep);
	ns_demux_unregister(f->s, &d.tep);
}

static void test_reuseaddr_group(void **state)
{
	struct fixture *f = *state;
	struct fep a, b, c;

	fep_init(&a, f->s, NULL, 5353, NULL, 0, NS_TEP_REUSEADDR, 0);
	fep_init(&b, f->s, NULL, 5353, NULL, 0, NS_TEP_REUSEADDR, 0);
	fep_init(&c, f->s, NULL, 5353, NULL, 0, NS_TEP_REUSEPORT, 0);
	assert_int_equal(ns_demux_register(f->s, &a.tep), NS_OK);
	assert_int_equal(ns_demux_register(f->s, &b.tep), NS_OK);
	assert_int_equal(ns_demux_register(f->s, &c.tep), NS_ERR_PORT_IN_USE);
	/* Unicast goes to the newest sharer, for every flow. */
	for (int i = 0; i < 50; i++)
		assert_ptr_equal(look(f, 1, "192.0.2.1", 5353, "198.51.100.1", (uint16_t)i),
		                 &b.tep);
	ns_demux_unregister(f->s, &b.tep);
	assert_ptr_equal(look(f, 1, "192.0.2.1", 5353, "198.51.100.1", 1), &a.tep);
	ns_demux_unregister(f->s, &a.tep);
}

static void test_reuseport_group(void **state)
{
	struct fixture *f = *state;
	enum { G = 4, FLOWS = 2000 };
	struct fep g[G], later;
	int hits[G] = {0};
	char peer[32];

	for (int i = 0; i < G; i++) {
		fep_init(&g[i], f->s, NULL, 443, NULL, 0, NS_TEP_REUSEPORT, 0);
		assert_int_equal(ns_demux_register(f->s, &g[i].tep), NS_OK);
	}
	for (int i = 0; i < FLOWS; i++) {
		snprintf(peer, sizeof(peer), "198.51.100.%d", i % 250);
		struct ns_tep *t = look(f, 1, "192.0.2.1", 443, peer, (uint16_t)(10000 + i));

		assert_non_null(t);
		/* Stable: the same flow always picks the same member. */
		for (int k = 0; k < 3; k++)
			assert_ptr_equal(look(f, 1, "192.0.2.1", 443, peer, (uint16_t)(10000 + i)),
			                 t);
		hits[(struct fep *)t - g]++;
	}
	for (int i = 0; i < G; i++) {
		/* Roughly even: each member gets a fair share of 500. */
		assert_true(hits[i] > FLOWS / G / 2);
		assert_true(hits[i] < FLOWS / G * 3 / 2);
	}
	/* A member leaving: its flows move, the group keeps serving. */
	ns_demux_unregister(f->s, &g[1].tep);
	for (int i = 0; i < 200; i++) {
		struct ns_tep *t = look(f, 1, "192.0.2.1", 443, "198.51.100.1", (uint16_t)i);

		assert_true(t == &g[0].tep || t == &g[2].tep || t == &g[3].tep);
	}
	/* A newcomer without REUSEPORT is refused; with it, it joins. */
	fep_init(&later, f->s, NULL, 443, NULL, 0, 0, 0);
	assert_int_equal(ns_demux_register(f->s, &later.tep), NS_ERR_PORT_IN_USE);
	later.tep.flags = NS_TEP_REUSEPORT;
	assert_int_equal(ns_demux_register(f->s, &later.tep), NS_OK);
	bool seen = false;
	for (int i = 0; i < 200 && !seen; i++)
		seen = look(f, 1, "192.0.2.1", 443, "198.51.100.1", (uint16_t)i) == &later.tep;
	assert_true(seen);
	for (int i = 0; i < G; i++)
		ns_demux_unregister(f->s, &g[i].tep);
	ns_demux_unregister(f->s, &later.tep);
	assert_null(look(f, 1, "192.0.2.1", 443, "198.51.100.1", 1));
}

static void test_many_endpoints(void **state)
{
	struct fixture *f = *state;
	enum { N = 3000 };
	struct fep *e = calloc(N, sizeof(*e));
	char peer[32];

	/* Enough to grow the table several times; every one stays reachable. */
	for (int i = 0; i < N; i++) {
		snprintf(peer, sizeof(peer), "198.51.%d.%d", i / 250, i % 250);
		fep_init(&e[i], f->s, "192.0.2.1", 80, peer, (uint16_t)(1000 + i), 0, 0);
		assert_int_equal(ns_demux_register(f->s, &e[i].tep), NS_OK);
	}
	for (int i = 0; i < N; i++) {
		snprintf(peer, sizeof(peer), "198.51.%d.%d", i / 250, i % 250);
		assert_ptr_equal(look(f, 1, "192.0.2.1", 80, peer, (uint16_t)(1000 + i)),
		                 &e[i].tep);
	}
	for (int i = 0; i < N; i += 2)
		ns_demux_unregister(f->s, &e[i].tep);
	for (int i = 0; i < N; i++) {
		snprintf(peer, sizeof(peer), "198.51.%d.%d", i / 250, i % 250);
		assert_ptr_equal(look(f, 1, "192.0.2.1", 80, peer, (uint16_t)(1000 + i)),
		                 i % 2 ? &e[i].tep : NULL);
	}
	for (int i = 1; i < N; i += 2)
		ns_demux_unregister(f->s, &e[i].tep);
	free(e);
}

/* A packet with the head at an 8-byte fake transport header. */
static struct ns_pkt *mkpkt(const char *src, uint16_t sport, const char *dst, uint16_t dport,
                            uint32_t nic, uint16_t flags, uint32_t len)
{
	uint8_t h[16] = {(uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8),
	                 (uint8_t)dport};
	struct ns_pkt *p = ns_pkt_from(h, len);

	assert_non_null(p);
	p->src = A(src);
	p->dst = A(dst);
	p->netproto = 0x0800;
	p->transproto = PROTO;
	p->nic = nic;
	p->flags = flags;
	return p;
}

static void test_deliver_unicast(void **state)
{
	struct fixture *f = *state;
	const struct ns_stats *st = ns_stack_stats(f->s);
	struct fep e;
	struct ns_pkt *p;

	fep_init(&e, f->s, "192.0.2.1", 7, NULL, 0, 0, 0);
	assert_int_equal(ns_demux_register(f->s, &e.tep), NS_OK);
	p = mkpkt("198.51.100.2", 999, "192.0.2.1", 7, 1, 0, 8);
	assert_int_equal(ns_deliver_transport(f->s, p), NS_DELIVERED);
	assert_int_equal(e.delivered, 1);
	assert_int_equal(st->stat[NS_STAT_RX_DELIVERED], 1);

	/* No endpoint: the protocol's verdict. */
	p = mkpkt("198.51.100.2", 999, "192.0.2.1", 8, 1, 0, 8);
	assert_int_equal(ns_deliver_transport(f->s, p), NS_DELIVER_PORT_UNREACHABLE);
	assert_int_equal(unknown_calls, 1);
	ns_pkt_free(p); /* not consumed */
	unknown_verdict = NS_UNKNOWN_HANDLED;
	p = mkpkt("198.51.100.2", 999, "192.0.2.1", 8, 1, 0, 8);
	assert_int_equal(ns_deliver_transport(f->s, p), NS_DELIVERED);
	unknown_verdict = NS_UNKNOWN_MALFORMED;
	p = mkpkt("198.51.100.2", 999, "192.0.2.1", 8, 1, 0, 8);
	assert_int_equal(ns_deliver_transport(f->s, p), NS_DELIVER_MALFORMED);

	/* Truncated below min_header_len: dropped and counted as malformed. */
	p = mkpkt("198.51.100.2", 999, "192.0.2.1", 7, 1, 0, 7);
	assert_int_equal(ns_deliver_transport(f->s, p), NS_DELIVER_MALFORMED);
	assert_int_equal(st->drop[NS_DROP_TRANSPORT_TRUNCATED], 1);
	assert_int_equal(st->stat[NS_STAT_RX_MALFORMED], 1);
	assert_int_equal(e.delivered, 1);

	/* Unknown transport protocol: not consumed. */
	p = mkpkt("198.51.100.2", 999, "192.0.2.1", 7, 1, 0, 8);
	p->transproto = 200;
	assert_int_equal(ns_deliver_transport(f->s, p), NS_DELIVER_NO_PROTO);
	ns_pkt_free(p);
	ns_demux_unregister(f->s, &e.tep);
}

static void test_deliver_broadcast(void **state)
{
	struct fixture *f = *state;
	struct fep wild1, wild2, bcast, unicast, conn, on2;
	struct ns_pkt *p;

	fep_init(&wild1, f->s, NULL, 67, NULL, 0, NS_TEP_REUSEADDR, 0);
	fep_init(&wild2, f->s, NULL, 67, NULL, 0, NS_TEP_REUSEADDR | NS_TEP_REUSEPORT, 0);
	fep_init(&bcast, f->s, "192.0.2.255", 67, NULL, 0, NS_TEP_REUSEADDR, 0);
	fep_init(&unicast, f->s, "192.0.2.1", 67, NULL, 0, NS_TEP_REUSEADDR, 0);
	fep_init(&conn, f->s, "192.0.2.255", 67, "198.51.100.9", 68, 0, 0);
	fep_init(&on2, f->s, NULL, 67, NULL, 0, 0, 2);
	assert_int_equal(ns_demux_register(f->s, &wild1.tep), NS_OK);
	assert_int_equal(ns_demux_register(f->s, &wild2.tep), NS_OK);
	assert_int_equal(ns_demux_register(f->s, &bcast.tep), NS_OK);
	assert_int_equal(ns_demux_register(f->s, &unicast.tep), NS_OK);
	assert_int_equal(ns_demux_register(f->s, &conn.tep), NS_OK);
	assert_int_equal(ns_demux_register(f->s, &on2.tep), NS_OK);

	p = mkpkt("198.51.100.9", 68, "192.0.2.255", 67, 1, NS_PKT_BROADCAST, 8);
	assert_int_equal(ns_deliver_transport(f->s, p), NS_DELIVERED);
	assert_int_equal(wild1.delivered, 1);
	assert_int_equal(wild2.delivered, 1);
	assert_int_equal(bcast.delivered, 1);
	assert_int_equal(conn.delivered, 1);
	assert_int_equal(unicast.delivered, 0); /* bound to another address */
	assert_int_equal(on2.delivered, 0);     /* bound to another NIC */
	assert_int_equal(ns_stack_stats(f->s)->stat[NS_STAT_RX_DELIVERED], 1);

	/* From NIC 2 the device-bound one hears it too; another peer misses conn. */
	p = mkpkt("198.51.100.10", 68, "192.0.2.255", 67, 2, NS_PKT_BROADCAST, 8);
	assert_int_equal(ns_deliver_transport(f->s, p), NS_DELIVERED);
	assert_int_equal(on2.delivered, 1);
	assert_int_equal(conn.delivered, 1);
	assert_int_equal(wild1.delivered, 2);

	/* An endpoint that unregisters itself while receiving does not upset the walk. */
	wild1.unregister_on_deliver = true;
	p = mkpkt("198.51.100.10", 68, "192.0.2.255", 67, 1, NS_PKT_MULTICAST, 8);
	assert_int_equal(ns_deliver_transport(f->s, p), NS_DELIVERED);
	assert_false(wild1.tep.registered);
	assert_int_equal(wild2.delivered, 3);

	/* Nobody on the port: the protocol decides (and must not answer a broadcast). */
	p = mkpkt("198.51.100.10", 68, "192.0.2.255", 99, 1, NS_PKT_BROADCAST, 8);
	assert_int_equal(ns_deliver_transport(f->s, p), NS_DELIVER_PORT_UNREACHABLE);
	ns_pkt_free(p);

	ns_demux_unregister(f->s, &wild2.tep);
	ns_demux_unregister(f->s, &bcast.tep);
	ns_demux_unregister(f->s, &unicast.tep);
	ns_demux_unregister(f->s, &conn.tep);
	ns_demux_unregister(f->s, &on2.tep);
}

static void test_deliver_control(void **state)
{
	struct fixture *f = *state;
	struct fep conn, bound;
	struct ns_addr us = A("192.0.2.1"), peer = A("198.51.100.7");
	/* The quoted header of a packet we sent: sport = our port, dport = theirs. */
	const uint8_t quote[8] = {0x13, 0x88, 0x00, 0x35}; /* 5000 -> 53 */
	struct ns_pkt *p = ns_pkt_from(quote, sizeof(quote));

	fep_init(&conn, f->s, "192.0.2.1", 5000, "198.51.100.7", 53, 0, 0);
	fep_init(&bound, f->s, "192.0.2.1", 5001, NULL, 0, 0, 0);
	assert_int_equal(ns_demux_register(f->s, &conn.tep), NS_OK);
	assert_int_equal(ns_demux_register(f->s, &bound.tep), NS_OK);
	p->nic = 1;
	ns_deliver_control(f->s, PROTO, &us, &peer, NS_CTRL_PORT_UNREACHABLE, 0, p);
	assert_int_equal(conn.controls, 1);
	assert_int_equal(conn.last_ctrl, NS_CTRL_PORT_UNREACHABLE);
	/* Swapped addresses find nothing. */
	ns_deliver_control(f->s, PROTO, &peer, &us, NS_CTRL_PORT_UNREACHABLE, 0, p);
	assert_int_equal(conn.controls, 1);
	/* An unconnected endpoint hears about its packets too. */
	p->buf[p->head + 1] = 0x89; /* sport 5001 */
	ns_deliver_control(f->s, PROTO, &us, &peer, NS_CTRL_PACKET_TOO_BIG, 1280, p);
	assert_int_equal(bound.controls, 1);
	assert_int_equal(bound.last_info, 1280);
	/* Too short to hold ports, or an unknown protocol: ignored. */
	p->len = 3;
	ns_deliver_control(f->s, PROTO, &us, &peer, NS_CTRL_PORT_UNREACHABLE, 0, p);
	ns_deliver_control(f->s, 200, &us, &peer, NS_CTRL_PORT_UNREACHABLE, 0, p);
	assert_int_equal(conn.controls + bound.controls, 2);
	ns_pkt_free(p); /* never consumed */
	ns_demux_unregister(f->s, &conn.tep);
	ns_demux_unregister(f->s, &bound.tep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_priority, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_anylocal_connected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nic_binding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_in_use, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reuseaddr_group, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reuseport_group, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_endpoints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deliver_unicast, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deliver_broadcast, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deliver_control, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
