/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: unit tests of the stack core (stack.c, nic.c, stats.c, ep.c).
 *
 * The stack runs with fake protocols defined here (an "IPv4", an "IPv6", an "ARP" and a
 * transport) that count every call, on fake links that queue what they are given, so the
 * core is tested in isolation from the real protocols and links. Time is a virtual clock.
 * Every test frees its stack and checks that no packet is left allocated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "netstack/stack.h"

/* ---------------------------------------------------------------- fake link */

struct fake_link {
	struct ns_link base;
	uint32_t mtu, caps;
	uint16_t hdr_len;
	struct ns_mac mac;
	bool refuse;
	int attaches, detaches;
	struct ns_pkt *out[64];
	int nout;
};

static uint32_t fl_mtu(struct ns_link *l)
{
	return ((struct fake_link *)l)->mtu;
}
static uint32_t fl_caps(struct ns_link *l)
{
	return ((struct fake_link *)l)->caps;
}
static uint16_t fl_hdr(struct ns_link *l)
{
	return ((struct fake_link *)l)->hdr_len;
}
static enum ns_link_header fl_type(struct ns_link *l)
{
	return NS_LINK_HDR_ETHERNET;
}
static struct ns_mac fl_mac(struct ns_link *l)
{
	return ((struct fake_link *)l)->mac;
}
static void fl_attach(struct ns_link *l, struct ns_link_dispatcher *d)
{
	struct fake_link *f = (struct fake_link *)l;

	if (d)
		f->attaches++;
	else
		f->detaches++;
	l->disp = d;
}
static int fl_write(struct ns_link *l, struct ns_pkt **pkts, int n)
{
	struct fake_link *f = (struct fake_link *)l;
	int ok = 0;

	for (int i = 0; i < n; i++) {
		if (f->refuse || f->nout == 64) {
			ns_pkt_free(pkts[i]);
			continue;
		}
		f->out[f->nout++] = pkts[i];
		ok++;
	}
	return ok;
}
static void fl_destroy(struct ns_link *l)
{
	(void)l;
}

static const struct ns_link_ops fake_link_ops = {
    .kind = "fake",
    .mtu = fl_mtu,
    .caps = fl_caps,
    .max_header_len = fl_hdr,
    .header_type = fl_type,
    .link_addr = fl_mac,
    .attach = fl_attach,
    .write = fl_write,
    .destroy = fl_destroy,
};

static void fake_link_init(struct fake_link *f, uint8_t macbyte)
{
	memset(f, 0, sizeof(*f));
	f->base.ops = &fake_link_ops;
	f->mtu = 1500;
	f->caps = NS_CAP_RESOLUTION_REQUIRED;
	f->hdr_len = 14;
	f->mac = (struct ns_mac){{2, 0, 0, 0, 0, macbyte}};
}

static void fake_link_clear(struct fake_link *f)
{
	for (int i = 0; i < f->nout; i++)
		ns_pkt_free(f->out[i]);
	f->nout = 0;
}

/* Hand @pkt to the NIC as the link would. */
static void link_rx(struct fake_link *f, struct ns_pkt *pkt)
{
	f->base.disp->deliver(f->base.disp, &f->base, pkt);
}

/* ---------------------------------------------------------------- fake protocols */

enum loop_mode {
	LOOP_NONE = 0,
	LOOP_REPLY,  /* each delivery loops one reply back, up to loop_limit */
	LOOP_FANOUT, /* each delivery loops two, up to loop_limit deliveries */
	LOOP_FOREVER,
};

static struct {
	int init[4], fini[4];
	char order[16];
	int norder;
	ns_err init_err[4];
	int delivered[4];
	uint32_t last_nic;
	uint16_t last_flags;
	int written[4];
	int addr_added[4];
	/* loop test */
	enum loop_mode loop;
	int loop_limit;
	int depth, max_depth;
	int eps_created;
	/* the last packet a fake protocol's write() was given */
	const struct ns_pkt *last_written;
	uint32_t last_written_refcnt;
} g;

static int64_t pkts_at_start;

struct fake_priv {
	int idx;
	char tag;
};

static ns_err fp_init(struct ns_stack *s, void **priv, int idx, char tag)
{
	struct fake_priv *p;

	g.init[idx]++;
	if (g.init_err[idx])
		return g.init_err[idx];
	p = malloc(sizeof(*p));
	p->idx = idx;
	p->tag = tag;
	*priv = p;
	return NS_OK;
}

static void fp_fini(struct ns_stack *s, void *priv)
{
	struct fake_priv *p = priv;

	g.fini[p->idx]++;
	g.order[g.norder++] = p->tag;
	free(p);
}

static void loop_reply(struct ns_stack *s, struct ns_nic *nic)
{
	struct ns_pkt *r = ns_pkt_alloc(NS_PKT_HEADROOM, 20);

	memset(ns_pkt_data(r), 0x45, 20);
	r->netproto = 0x0800;
	ns_nic_loop_local(s, nic, r);
}

static void fp_deliver(struct ns_stack *s, void *priv, struct ns_nic *nic, struct ns_pkt *pkt)
{
	struct fake_priv *p = priv;
	int n = ++g.delivered[p->idx];

	g.last_nic = pkt->nic;
	g.last_flags = pkt->flags;
	ns_pkt_free(pkt);
	if (++g.depth > g.max_depth)
		g.max_depth = g.depth;
	switch (g.loop) {
	case LOOP_NONE:
		break;
	case LOOP_REPLY:
		if (n < g.loop_limit)
			loop_reply(s, nic);
		break;
	case LOOP_FANOUT:
		if (n < g.loop_limit) {
			loop_reply(s, nic);
			loop_reply(s, nic);
		}
		break;
	case LOOP_FOREVER:
		loop_reply(s, nic);
		break;
	}
	g.depth--;
}

static ns_err fp_write(struct ns_stack *s, void *priv, const struct ns_route *r, struct ns_pkt *pkt,
                       const struct ns_write_params *wp)
{
	struct fake_priv *p = priv;

	g.written[p->idx]++;
	g.last_written = pkt;
	g.last_written_refcnt = pkt->refcnt;
	ns_pkt_free(pkt);
	return NS_OK;
}

static void fp_addr_added(struct ns_stack *s, void *priv, struct ns_nic *nic,
                          const struct ns_subnet *a)
{
	struct fake_priv *p = priv;

	g.addr_added[p->idx]++;
}

static ns_err ip4_init(struct ns_stack *s, void **priv)
{
	return fp_init(s, priv, 0, '4');
}
static ns_err arp_init(struct ns_stack *s, void **priv)
{
	return fp_init(s, priv, 1, 'a');
}
static ns_err ip6_init(struct ns_stack *s, void **priv)
{
	return fp_init(s, priv, 2, '6');
}

static const struct ns_netproto_ops fake_ipv4 = {
    .name = "fake-ipv4",
    .number = 0x0800,
    .family = NS_AF_INET,
    .max_header_len = 60,
    .init = ip4_init,
    .fini = fp_fini,
    .deliver = fp_deliver,
    .write = fp_write,
    .address_added = fp_addr_added,
};
static const struct ns_netproto_ops fake_arp = {
    .name = "fake-arp",
    .number = 0x0806,
    .family = 0,
    .max_header_len = 28,
    .init = arp_init,
    .fini = fp_fini,
    .deliver = fp_deliver,
    .resolves = 0x0800,
    .address_added = fp_addr_added,
};
static const struct ns_netproto_ops fake_ipv6 = {
    .name = "fake-ipv6",
    .number = 0x86dd,
    .family = NS_AF_INET6,
    .max_header_len = 40,
    .init = ip6_init,
    .fini = fp_fini,
    .deliver = fp_deliver,
    .write = fp_write,
    .address_added = fp_addr_added,
};

/* A transport whose endpoints implement only bind, read and close. */
struct fake_ep {
	struct ns_ep ep;
	int binds, reads;
};

static void fe_close(struct ns_ep *ep)
{
	ns_ep_live_add(ep->stack, -1);
	free(ep);
}
static ns_err fe_bind(struct ns_ep *ep, const struct ns_sockaddr *a)
{
	((struct fake_ep *)ep)->binds++;
	return NS_OK;
}
static ns_err fe_read(struct ns_ep *ep, void *buf, size_t len, unsigned flags,
                      struct ns_read_result *res)
{
	((struct fake_ep *)ep)->reads++;
	res->count = 0; /* must be writable even when the caller passed NULL */
	return NS_ERR_WOULD_BLOCK;
}
static const struct ns_ep_ops fake_ep_ops = {
    .close = fe_close,
    .bind = fe_bind,
    .read = fe_read,
};

static ns_err tp_init(struct ns_stack *s, void **priv)
{
	return fp_init(s, priv, 3, 't');
}
static ns_err tp_new_endpoint(struct ns_stack *s, void *priv, uint8_t family,
                              struct ns_waiter_queue *wq, struct ns_ep **out)
{
	struct fake_ep *e = calloc(1, sizeof(*e));

	e->ep.ops = &fake_ep_ops;
	e->ep.stack = s;
	e->ep.wq = wq;
	ns_ep_live_add(s, 1);
	g.eps_created++;
	*out = &e->ep;
	return NS_OK;
}

static const struct ns_transproto_ops fake_udp = {
    .name = "fake-udp",
    .number = 17,
    .init = tp_init,
    .fini = fp_fini,
    .new_endpoint = tp_new_endpoint,
};
/* Same number as fake_udp: must be refused. */
static const struct ns_transproto_ops fake_udp2 = {
    .name = "fake-udp2",
    .number = 17,
};
/* A transport without endpoints. */
static const struct ns_transproto_ops fake_noep = {
    .name = "fake-noep",
    .number = 99,
};

/* ---------------------------------------------------------------- fixture */

static struct ns_vclock vclock;

static void base_config(struct ns_stack_config *cfg)
{
	ns_stack_config_init(cfg);
	ns_vclock_init(&vclock, 1000 * NS_SEC);
	cfg->clock = &vclock.base;
	cfg->seed = 42;
	cfg->netprotos[0] = &fake_ipv4;
	cfg->netprotos[1] = &fake_arp;
	cfg->netprotos[2] = &fake_ipv6;
	cfg->transprotos[0] = &fake_udp;
	cfg->transprotos[1] = &fake_noep;
}

static struct ns_stack *new_stack(void)
{
	struct ns_stack_config cfg;
	struct ns_stack *s = NULL;

	base_config(&cfg);
	assert_int_equal(ns_stack_new(&cfg, &s), NS_OK);
	assert_non_null(s);
	return s;
}

static int setup(void **state)
{
	memset(&g, 0, sizeof(g));
	pkts_at_start = ns_pkt_live();
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(ns_pkt_live(), pkts_at_start);
	return 0;
}

static struct ns_pkt *ip_pkt(uint16_t netproto)
{
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, 40);

	memset(ns_pkt_data(p), 0, 40);
	p->netproto = netproto;
	return p;
}

static struct ns_subnet sn(const char *text)
{
	struct ns_subnet r;

	assert_true(ns_subnet_parse(text, &r));
	return r;
}

static struct ns_addr ad(const char *text)
{
	struct ns_addr r;

	assert_true(ns_addr_parse(text, &r));
	return r;
}

/* ---------------------------------------------------------------- tests: stack */

static void test_config_defaults(void **state)
{
	struct ns_stack_config cfg;

	memset(&cfg, 0xa5, sizeof(cfg));
	ns_stack_config_init(&cfg);
	assert_null(cfg.clock);
	assert_int_equal(cfg.seed, 0);
	for (int i = 0; i < NS_MAX_PROTOCOLS; i++) {
		assert_null(cfg.netprotos[i]);
		assert_null(cfg.transprotos[i]);
	}
	assert_false(cfg.forwarding);
	assert_int_equal(cfg.ephemeral_lo, 32768);
	assert_int_equal(cfg.ephemeral_hi, 60999);
	assert_int_equal(cfg.icmp_rate, 1000);
	assert_int_equal(cfg.icmp_burst, 50);
	assert_int_equal(cfg.neigh_retries, 3);
	assert_int_equal(cfg.neigh_retrans_ns, NS_SEC);
	assert_int_equal(cfg.neigh_reachable_ns, 30 * NS_SEC);
	assert_int_equal(cfg.neigh_delay_ns, 5 * NS_SEC);
	assert_int_equal(cfg.neigh_gc_ns, 60 * NS_SEC);
	assert_int_equal(cfg.neigh_queue_len, 256);
	assert_int_equal(cfg.neigh_queue_bytes, 320 * 1024);
	assert_int_equal(cfg.neigh_max_entries, 1024);
	assert_int_equal(cfg.default_ttl, 64);
}

static void test_new_free_protocols(void **state)
{
	struct ns_stack *s = new_stack();

	for (int i = 0; i < 4; i++)
		assert_int_equal(g.init[i], 1);
	assert_ptr_equal(ns_stack_clock(s), &vclock.base);
	assert_int_equal(ns_stack_now(s), 1000 * NS_SEC);
	assert_int_equal(ns_stack_config(s)->seed, 42);
	assert_non_null(ns_netproto_priv(s, 0x0800));
	assert_non_null(ns_netproto_priv(s, 0x0806));
	assert_null(ns_netproto_priv(s, 0x1234));
	assert_non_null(ns_transproto_priv(s, 17));
	assert_null(ns_transproto_priv(s, 6));
	assert_null(ns_transproto_priv(s, 99)); /* registered, no init: no state */
	assert_ptr_equal(stack_transproto(s, 99, NULL), &fake_noep);
	assert_ptr_equal(stack_netproto(s, 0x86dd, NULL), &fake_ipv6);
	assert_int_equal(ns_stack_endpoints_live(s), 0);
	assert_int_equal(ns_stack_next_deadline(s), UINT64_MAX);
	ns_stack_free(s);
	/* Reverse registration order: transports, then network protocols. */
	assert_int_equal(g.norder, 4);
	assert_memory_equal(g.order, "t6a4", 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(g.fini[i], 1);
	ns_stack_free(NULL);
}

static void test_new_rejects(void **state)
{
	struct ns_stack_config cfg;
	struct ns_stack *s = (struct ns_stack *)&cfg;

	base_config(&cfg);
	cfg.transprotos[2] = &fake_udp2;
	assert_int_equal(ns_stack_new(&cfg, &s), NS_ERR_INVALID_ARGUMENT);
	assert_null(s);
	assert_int_equal(g.init[0] + g.init[3], 0); /* rejected before any init */

	base_config(&cfg);
	cfg.netprotos[3] = &fake_ipv4;
	assert_int_equal(ns_stack_new(&cfg, &s), NS_ERR_INVALID_ARGUMENT);

	base_config(&cfg);
	cfg.ephemeral_lo = 5000;
	cfg.ephemeral_hi = 4000;
	assert_int_equal(ns_stack_new(&cfg, &s), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_stack_new(NULL, &s), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_stack_new(&cfg, NULL), NS_ERR_INVALID_ARGUMENT);

	/* A failing init unwinds the protocols initialised before it. */
	base_config(&cfg);
	g.init_err[3] = NS_ERR_NO_MEMORY;
	assert_int_equal(ns_stack_new(&cfg, &s), NS_ERR_NO_MEMORY);
	assert_null(s);
	assert_int_equal(g.fini[0], 1);
	assert_int_equal(g.fini[1], 1);
	assert_int_equal(g.fini[2], 1);
	assert_int_equal(g.fini[3], 0);
}

static void test_seed_and_hash(void **state)
{
	struct ns_stack *a = new_stack(), *b = new_stack();
	struct ns_stack_config cfg;
	struct ns_stack *c, *d;
	const char msg[] = "192.0.2.1:1234";

	/* The same seed gives the same secrets and random stream. */
	assert_int_equal(ns_hash_keyed(a, 1, msg, sizeof(msg)),
	                 ns_hash_keyed(b, 1, msg, sizeof(msg)));
	assert_int_not_equal(ns_hash_keyed(a, 1, msg, sizeof(msg)),
	                     ns_hash_keyed(a, 2, msg, sizeof(msg)));
	uint64_t r1 = ns_stack_random(a);
	assert_int_equal(r1, ns_stack_random(b));
	assert_int_not_equal(r1, ns_stack_random(a));

	base_config(&cfg);
	cfg.seed = 43;
	assert_int_equal(ns_stack_new(&cfg, &c), NS_OK);
	assert_int_not_equal(ns_hash_keyed(a, 1, msg, sizeof(msg)),
	                     ns_hash_keyed(c, 1, msg, sizeof(msg)));
	/* Seed 0: drawn from the kernel, never left 0. */
	cfg.seed = 0;
	assert_int_equal(ns_stack_new(&cfg, &d), NS_OK);
	assert_int_not_equal(ns_stack_config(d)->seed, 0);
	ns_stack_free(a);
	ns_stack_free(b);
	ns_stack_free(c);
	ns_stack_free(d);
}

static int timer_fired;
static void on_timer(struct ns_stack *s, struct ns_timer *t)
{
	timer_fired++;
}

static void test_poll_deadline(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_timer t;

	ns_timer_init(&t, on_timer, NULL);
	timer_fired = 0;
	ns_timer_arm_in(s, &t, 10 * NS_MSEC);
	assert_int_equal(ns_stack_next_deadline(s), 1000 * NS_SEC + 10 * NS_MSEC);
	ns_stack_poll(s);
	assert_int_equal(timer_fired, 0);
	vclock.now += 10 * NS_MSEC;
	ns_stack_poll(s);
	assert_int_equal(timer_fired, 1);
	assert_int_equal(ns_stack_next_deadline(s), UINT64_MAX);
	ns_stack_free(s);
}

static void test_netproto_write(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_route r = {.netproto = 0x0800};

	assert_int_equal(ns_netproto_write(s, &r, ip_pkt(0x0800), NULL), NS_OK);
	assert_int_equal(g.written[0], 1);
	r.netproto = 0x88cc;
	assert_int_equal(ns_netproto_write(s, &r, ip_pkt(0x88cc), NULL), NS_ERR_UNKNOWN_PROTOCOL);
	r.netproto = 0x0806; /* registered, but cannot write */
	assert_int_equal(ns_netproto_write(s, &r, ip_pkt(0x0806), NULL), NS_ERR_UNKNOWN_PROTOCOL);
	assert_int_equal(ns_netproto_write(s, NULL, ip_pkt(0x0800), NULL), NS_ERR_INVALID_ARGUMENT);
	ns_stack_free(s);
}

/* ---------------------------------------------------------------- tests: NICs */

static void test_nic_add_remove(void **state)
{
	struct ns_stack *s = new_stack();
	struct fake_link l1, l2, l3;
	uint32_t ids[4];
	struct ns_nic *nic;

	fake_link_init(&l1, 1);
	fake_link_init(&l2, 2);
	fake_link_init(&l3, 3);
	l2.mtu = 9000;
	l2.caps = NS_CAP_TX_CSUM_OFFLOAD;
	l2.hdr_len = 0;

	assert_int_equal(ns_stack_add_nic(s, 0, &l1.base, "zero"), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_stack_add_nic(s, 1, NULL, "null"), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_stack_add_nic(s, 1, &l1.base, "eth0"), NS_OK);
	assert_int_equal(l1.attaches, 1);
	assert_non_null(l1.base.disp);
	assert_int_equal(ns_stack_add_nic(s, 1, &l2.base, "dup"), NS_ERR_DUPLICATE_NIC);
	assert_int_equal(ns_stack_add_nic(s, 7, &l1.base, "same link"), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_stack_add_nic(s, 2, &l2.base, NULL), NS_OK);
	assert_int_equal(ns_stack_add_nic(s, 3, &l3.base, "eth2"), NS_OK);

	assert_int_equal(ns_stack_nic_ids(s, ids, 2), 3);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 2);
	assert_ptr_equal(ns_stack_nic_link(s, 2), &l2.base);
	assert_null(ns_stack_nic_link(s, 9));

	nic = ns_nic_find(s, 2);
	assert_non_null(nic);
	assert_int_equal(ns_nic_id(nic), 2);
	assert_int_equal(ns_nic_mtu(nic), 9000);
	assert_int_equal(ns_nic_caps(nic), NS_CAP_TX_CSUM_OFFLOAD);
	assert_int_equal(ns_nic_max_header_len(nic), 0);
	assert_string_equal(nic->name, "nic2");
	struct ns_mac m = ns_nic_mac(nic);
	assert_true(ns_mac_eq(&m, &l2.mac));
	assert_true(ns_nic_is_up(nic));
	assert_false(ns_nic_promiscuous(nic));
	assert_false(ns_nic_spoofing(nic));
	assert_null(ns_nic_find(s, 0));
	assert_null(ns_nic_find(s, 4));

	assert_int_equal(ns_stack_remove_nic(s, 2), NS_OK);
	assert_int_equal(l2.detaches, 1);
	assert_null(l2.base.disp);
	assert_int_equal(ns_stack_remove_nic(s, 2), NS_ERR_UNKNOWN_NIC);
	assert_int_equal(ns_stack_nic_ids(s, ids, 4), 2);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 3);
	assert_int_equal(ns_stack_set_nic_up(s, 2, false), NS_ERR_UNKNOWN_NIC);
	assert_int_equal(ns_stack_set_promiscuous(s, 2, true), NS_ERR_UNKNOWN_NIC);
	assert_int_equal(ns_stack_set_spoofing(s, 2, true), NS_ERR_UNKNOWN_NIC);

	/* The id can be reused once free; many NICs grow the table. */
	assert_int_equal(ns_stack_add_nic(s, 2, &l2.base, "again"), NS_OK);
	ns_stack_free(s);
	/* Freeing the stack detaches every link. */
	assert_null(l1.base.disp);
	assert_null(l2.base.disp);
	assert_null(l3.base.disp);
}

static void test_many_nics(void **state)
{
	struct ns_stack *s = new_stack();
	static struct fake_link links[20];

	for (uint32_t i = 0; i < 20; i++) {
		fake_link_init(&links[i], (uint8_t)i);
		assert_int_equal(ns_stack_add_nic(s, 100 + i, &links[i].base, NULL), NS_OK);
	}
	for (uint32_t i = 0; i < 20; i++)
		assert_ptr_equal(ns_stack_nic_link(s, 100 + i), &links[i].base);
	ns_stack_free(s);
}

static void test_nic_deliver(void **state)
{
	struct ns_stack *s = new_stack();
	const struct ns_stats *st = ns_stack_stats(s);
	struct fake_link l1;
	struct ns_pkt *p;

	fake_link_init(&l1, 1);
	assert_int_equal(ns_stack_add_nic(s, 5, &l1.base, "eth0"), NS_OK);

	link_rx(&l1, ip_pkt(0x0800));
	assert_int_equal(g.delivered[0], 1);
	assert_int_equal(g.last_nic, 5);
	link_rx(&l1, ip_pkt(0x0806));
	assert_int_equal(g.delivered[1], 1);
	assert_int_equal(st->stat[NS_STAT_LINK_RX], 2);
	assert_int_equal(st->stat[NS_STAT_RX_PACKETS], 2);

	link_rx(&l1, ip_pkt(0x88cc));
	assert_int_equal(st->drop[NS_DROP_LINK_UNKNOWN_PROTO], 1);

	p = ip_pkt(0x0800);
	p->flags |= NS_PKT_OTHERHOST;
	link_rx(&l1, p);
	assert_int_equal(st->drop[NS_DROP_LINK_OTHERHOST], 1);
	assert_int_equal(ns_stack_set_promiscuous(s, 5, true), NS_OK);
	p = ip_pkt(0x0800);
	p->flags |= NS_PKT_OTHERHOST;
	link_rx(&l1, p);
	assert_int_equal(g.delivered[0], 2);

	assert_int_equal(ns_stack_set_nic_up(s, 5, false), NS_OK);
	link_rx(&l1, ip_pkt(0x0800));
	assert_int_equal(st->drop[NS_DROP_NIC_DOWN], 1);
	assert_int_equal(g.delivered[0], 2);
	assert_int_equal(st->stat[NS_STAT_RX_DROPPED], 3);
	assert_int_equal(st->stat[NS_STAT_RX_MALFORMED], 0);
	ns_stack_free(s);
}

static void test_addresses(void **state)
{
	struct ns_stack *s = new_stack();
	struct fake_link l1, l2;
	struct ns_subnet a = sn("192.0.2.1/24"), out;
	struct ns_nic *n1;

	fake_link_init(&l1, 1);
	fake_link_init(&l2, 2);
	assert_int_equal(ns_stack_add_nic(s, 1, &l1.base, "eth0"), NS_OK);
	assert_int_equal(ns_stack_add_nic(s, 2, &l2.base, "eth1"), NS_OK);
	n1 = ns_nic_find(s, 1);

	assert_int_equal(ns_stack_add_address(s, 9, &a), NS_ERR_UNKNOWN_NIC);
	assert_false(ns_nic_primary_addr(n1, NS_AF_INET, &out));
	assert_int_equal(ns_stack_add_address(s, 1, &a), NS_OK);
	/* IPv4 address: the IPv4 protocol and its resolver hear of it, IPv6 does not. */
	assert_int_equal(g.addr_added[0], 1);
	assert_int_equal(g.addr_added[1], 1);
	assert_int_equal(g.addr_added[2], 0);
	a.prefix = 25; /* same address, other prefix: still a duplicate */
	assert_int_equal(ns_stack_add_address(s, 1, &a), NS_ERR_DUPLICATE_ADDRESS);
	/* The same address on another NIC is allowed (as Linux does). */
	assert_int_equal(ns_stack_add_address(s, 2, &a), NS_OK);

	struct ns_subnet b = sn("198.51.100.7/24"), v6 = sn("2001:db8::1/64");
	assert_int_equal(ns_stack_add_address(s, 1, &b), NS_OK);
	assert_int_equal(ns_stack_add_address(s, 1, &v6), NS_OK);
	assert_int_equal(g.addr_added[2], 1);
	assert_int_equal(g.addr_added[1], 3);

	struct ns_subnet bad = sn("192.0.2.9/24");
	bad.prefix = 33;
	assert_int_equal(ns_stack_add_address(s, 1, &bad), NS_ERR_INVALID_ARGUMENT);
	bad = sn("0.0.0.0/0");
	assert_int_equal(ns_stack_add_address(s, 1, &bad), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_stack_add_address(s, 1, NULL), NS_ERR_INVALID_ARGUMENT);

	assert_true(ns_nic_primary_addr(n1, NS_AF_INET, &out));
	assert_true(ns_addr_eq(&out.addr, &a.addr));
	assert_int_equal(out.prefix, 24);
	assert_true(ns_nic_primary_addr(n1, NS_AF_INET6, &out));
	assert_true(ns_addr_eq(&out.addr, &v6.addr));

	assert_ptr_equal(ns_stack_find_local(s, &b.addr), n1);
	struct ns_addr other = ad("203.0.113.1");
	assert_null(ns_stack_find_local(s, &other));

	/* Removing the primary promotes the next address of the family. */
	assert_int_equal(ns_stack_remove_address(s, 1, &a.addr), NS_OK);
	assert_int_equal(ns_stack_remove_address(s, 1, &a.addr), NS_ERR_BAD_LOCAL_ADDRESS);
	assert_int_equal(ns_stack_remove_address(s, 7, &a.addr), NS_ERR_UNKNOWN_NIC);
	assert_true(ns_nic_primary_addr(n1, NS_AF_INET, &out));
	assert_true(ns_addr_eq(&out.addr, &b.addr));
	assert_ptr_equal(ns_stack_find_local(s, &a.addr), ns_nic_find(s, 2));

	/* The per-NIC bound. */
	for (int i = 0; i < NS_NIC_MAX_ADDRS; i++) {
		struct ns_subnet x = sn("2001:db8:1::1/64");
		x.addr.a[15] = (uint8_t)(i + 1);
		ns_err e = ns_stack_add_address(s, 2, &x);
		assert_true(e == NS_OK || e == NS_ERR_NO_BUFFER_SPACE);
	}
	struct ns_subnet y = sn("2001:db8:1::ffff/64");
	assert_int_equal(ns_stack_add_address(s, 2, &y), NS_ERR_NO_BUFFER_SPACE);
	ns_stack_free(s);
}

static void test_match_addr(void **state)
{
	struct ns_stack *s = new_stack();
	struct fake_link l1;
	struct ns_nic *nic;
	struct ns_subnet a = sn("192.0.2.1/24"), p31 = sn("198.51.100.0/31");
	struct ns_subnet range = sn("203.0.113.0/24");

	fake_link_init(&l1, 1);
	assert_int_equal(ns_stack_add_nic(s, 1, &l1.base, "eth0"), NS_OK);
	nic = ns_nic_find(s, 1);
	assert_int_equal(ns_stack_add_address(s, 1, &a), NS_OK);
	assert_int_equal(ns_stack_add_address(s, 1, &p31), NS_OK);

	struct ns_addr x = ad("192.0.2.1");
	assert_int_equal(ns_nic_match_addr(s, nic, &x), NS_ADDR_ASSIGNED);
	assert_true(ns_nic_owns_addr(s, nic, &x));
	x = ad("192.0.2.255");
	assert_int_equal(ns_nic_match_addr(s, nic, &x), NS_ADDR_BROADCAST);
	assert_false(ns_nic_owns_addr(s, nic, &x));
	x = ad("255.255.255.255");
	assert_int_equal(ns_nic_match_addr(s, nic, &x), NS_ADDR_BROADCAST);
	/* RFC 3021: a /31 has no directed broadcast. */
	x = ad("198.51.100.1");
	assert_int_equal(ns_nic_match_addr(s, nic, &x), NS_ADDR_NONE);
	x = ad("192.0.2.2");
	assert_int_equal(ns_nic_match_addr(s, nic, &x), NS_ADDR_NONE);

	/* Ranges. */
	x = ad("203.0.113.77");
	assert_int_equal(ns_nic_match_addr(s, nic, &x), NS_ADDR_NONE);
	assert_int_equal(ns_stack_add_address_range(s, 1, &range), NS_OK);
	assert_int_equal(ns_stack_add_address_range(s, 1, &range), NS_ERR_DUPLICATE_ADDRESS);
	assert_int_equal(ns_stack_add_address_range(s, 4, &range), NS_ERR_UNKNOWN_NIC);
	assert_int_equal(ns_nic_match_addr(s, nic, &x), NS_ADDR_RANGE);
	assert_true(ns_nic_owns_addr(s, nic, &x));
	assert_null(ns_stack_find_local(s, &x)); /* ranges are not assigned addresses */
	x = ad("203.0.114.1");
	assert_int_equal(ns_nic_match_addr(s, nic, &x), NS_ADDR_NONE);
	struct ns_subnet r6 = sn("2001:db8:1::/48");
	assert_int_equal(ns_stack_add_address_range(s, 1, &r6), NS_OK);
	x = ad("2001:db8:1:2::3");
	assert_int_equal(ns_nic_match_addr(s, nic, &x), NS_ADDR_RANGE);
	x = ad("2001:db8:2::3");
	assert_int_equal(ns_nic_match_addr(s, nic, &x), NS_ADDR_NONE);

	/* Promiscuous accepts the rest, but owns nothing. */
	assert_int_equal(ns_stack_set_promiscuous(s, 1, true), NS_OK);
	assert_true(ns_nic_promiscuous(nic));
	assert_int_equal(ns_nic_match_addr(s, nic, &x), NS_ADDR_PROMISCUOUS);
	assert_false(ns_nic_owns_addr(s, nic, &x));
	x = ad("192.0.2.1");
	assert_int_equal(ns_nic_match_addr(s, nic, &x), NS_ADDR_ASSIGNED);
	assert_int_equal(ns_nic_match_addr(s, NULL, &x), NS_ADDR_NONE);
	ns_stack_free(s);
}

static void test_output_mac(void **state)
{
	struct ns_stack *s = new_stack();
	const struct ns_stats *st = ns_stack_stats(s);
	struct fake_link l1;
	struct ns_nic *nic;
	struct ns_mac dst = {{2, 0, 0, 0, 0, 0x99}};

	fake_link_init(&l1, 1);
	assert_int_equal(ns_stack_add_nic(s, 3, &l1.base, "eth0"), NS_OK);
	nic = ns_nic_find(s, 3);

	assert_int_equal(ns_nic_output_mac(s, nic, &dst, ip_pkt(0x0800)), NS_OK);
	assert_int_equal(l1.nout, 1);
	assert_true(ns_mac_eq(&l1.out[0]->link_dst, &dst));
	assert_int_equal(l1.out[0]->nic, 3);
	assert_int_equal(st->stat[NS_STAT_LINK_TX], 1);
	assert_int_equal(st->stat[NS_STAT_TX_PACKETS], 1);

	l1.refuse = true;
	assert_int_equal(ns_nic_output_mac(s, nic, &dst, ip_pkt(0x0800)), NS_ERR_NO_BUFFER_SPACE);
	assert_int_equal(st->drop[NS_DROP_LINK_TX_FAILED], 1);
	assert_int_equal(st->stat[NS_STAT_TX_ERRORS], 1);
	l1.refuse = false;

	assert_int_equal(ns_stack_set_nic_up(s, 3, false), NS_OK);
	assert_false(ns_nic_is_up(nic));
	assert_int_equal(ns_nic_output_mac(s, nic, &dst, ip_pkt(0x0800)),
	                 NS_ERR_NETWORK_UNREACHABLE);
	assert_int_equal(st->drop[NS_DROP_NIC_DOWN], 1);
	assert_int_equal(l1.nout, 1);
	fake_link_clear(&l1);
	ns_stack_free(s);
}

/* ---------------------------------------------------------------- tests: local delivery */

static void test_loop_local_reply_chain(void **state)
{
	struct ns_stack *s = new_stack();
	struct fake_link l1;
	struct ns_nic *nic;

	fake_link_init(&l1, 1);
	assert_int_equal(ns_stack_add_nic(s, 1, &l1.base, "eth0"), NS_OK);
	nic = ns_nic_find(s, 1);

	/* 3000 deliveries, each sending the next: iterative, never nested. */
	g.loop = LOOP_REPLY;
	g.loop_limit = 3000;
	struct ns_pkt *p = ip_pkt(0x0800);
	p->flags |= NS_PKT_CSUM_PARTIAL;
	ns_nic_loop_local(s, nic, p);
	assert_int_equal(g.delivered[0], 3000);
	assert_int_equal(g.max_depth, 1);
	assert_int_equal(g.last_nic, 1);
	assert_true(g.last_flags & NS_PKT_LOOPED);
	assert_int_equal(s->loop_len, 0);
	assert_int_equal(l1.nout, 0);
	ns_stack_free(s);
}

static void test_loop_local_checksum(void **state)
{
	struct ns_stack *s = new_stack();
	struct fake_link l1;

	fake_link_init(&l1, 1);
	assert_int_equal(ns_stack_add_nic(s, 1, &l1.base, "eth0"), NS_OK);
	struct ns_pkt *p = ip_pkt(0x0800);
	p->flags |= NS_PKT_CSUM_PARTIAL;
	/* Shared with another owner (e.g. a broadcast also sent out): the loop copies. */
	ns_pkt_ref(p);
	ns_nic_loop_local(s, ns_nic_find(s, 1), p);
	assert_int_equal(g.delivered[0], 1);
	assert_true(g.last_flags & NS_PKT_CSUM_VERIFIED);
	assert_false(g.last_flags & NS_PKT_CSUM_PARTIAL);
	assert_true(p->flags & NS_PKT_CSUM_PARTIAL); /* the other owner's view is intact */
	assert_false(p->flags & NS_PKT_LOOPED);
	ns_pkt_free(p);
	ns_stack_free(s);
}

static void test_loop_local_bounded(void **state)
{
	struct ns_stack *s = new_stack();
	const struct ns_stats *st = ns_stack_stats(s);
	struct fake_link l1;
	struct ns_nic *nic;

	fake_link_init(&l1, 1);
	assert_int_equal(ns_stack_add_nic(s, 1, &l1.base, "eth0"), NS_OK);
	nic = ns_nic_find(s, 1);

	/* Each delivery queues two more: the FIFO bound drops the excess. */
	g.loop = LOOP_FANOUT;
	g.loop_limit = 3000;
	ns_nic_loop_local(s, nic, ip_pkt(0x0800));
	ns_stack_poll(s);
	assert_int_equal(g.max_depth, 1);
	/* Deliveries 1..2999 each looped two: every one was delivered or dropped. */
	assert_int_equal(g.delivered[0], st->stat[NS_STAT_RX_PACKETS]);
	assert_true(st->drop[NS_DROP_NO_MEMORY] > 0);
	assert_int_equal(g.delivered[0] + st->drop[NS_DROP_NO_MEMORY], 1 + 2 * 2999);
	assert_int_equal(s->loop_len, 0);
	ns_stack_free(s);
}

static void test_loop_local_forever(void **state)
{
	struct ns_stack *s = new_stack();
	struct fake_link l1;
	struct ns_nic *nic;

	fake_link_init(&l1, 1);
	assert_int_equal(ns_stack_add_nic(s, 1, &l1.base, "eth0"), NS_OK);
	nic = ns_nic_find(s, 1);

	/* Endless ping-pong: the call returns after a budget, and the rest is due now. */
	g.loop = LOOP_FOREVER;
	ns_nic_loop_local(s, nic, ip_pkt(0x0800));
	int first = g.delivered[0];
	assert_true(first > 0);
	assert_int_equal(s->loop_len, 1);
	assert_int_equal(ns_stack_next_deadline(s), ns_stack_now(s));
	ns_stack_poll(s);
	assert_int_equal(g.delivered[0], 2 * first);
	assert_int_equal(g.max_depth, 1);

	/* A NIC that goes away drops what is queued for it. */
	assert_int_equal(ns_stack_remove_nic(s, 1), NS_OK);
	ns_stack_poll(s);
	assert_int_equal(ns_stack_stats(s)->drop[NS_DROP_NIC_DOWN], 1);
	assert_int_equal(s->loop_len, 0);
	assert_int_equal(ns_stack_next_deadline(s), UINT64_MAX);

	/* Packets still queued when the stack is freed are freed with it. */
	assert_int_equal(ns_stack_add_nic(s, 1, &l1.base, "eth0"), NS_OK);
	ns_nic_loop_local(s, ns_nic_find(s, 1), ip_pkt(0x0800));
	assert_int_equal(s->loop_len, 1);
	ns_stack_free(s);
}

/* ---------------------------------------------------------------- tests: stats */

static void test_stat_names(void **state)
{
	const char *names[NS_STAT_COUNT + NS_DROP_COUNT];
	int n = 0;

	for (int i = 0; i < NS_STAT_COUNT; i++)
		names[n++] = ns_stat_name((enum ns_stat)i);
	for (int i = 0; i < NS_DROP_COUNT; i++)
		names[n++] = ns_drop_name((enum ns_drop_reason)i);
	for (int i = 0; i < n; i++) {
		assert_non_null(names[i]);
		assert_true(strlen(names[i]) > 0);
		for (const char *c = names[i]; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
			            *c == '_');
	}
	/* Unique within each list (a counter and a drop reason may share a name). */
	for (int i = 0; i < NS_STAT_COUNT; i++)
		for (int j = i + 1; j < NS_STAT_COUNT; j++)
			assert_string_not_equal(names[i], names[j]);
	for (int i = NS_STAT_COUNT; i < n; i++)
		for (int j = i + 1; j < n; j++)
			assert_string_not_equal(names[i], names[j]);
	assert_string_equal(ns_stat_name(NS_STAT_ICMP_ECHO_RX), "icmp_echo_rx");
	assert_string_equal(ns_drop_name(NS_DROP_IPV4_BAD_CSUM), "ipv4_bad_csum");
	assert_ptr_equal(ns_stat_name(NS_STAT_LINK_RX), ns_stat_name(NS_STAT_LINK_RX));
	assert_null(ns_stat_name(NS_STAT_COUNT));
	assert_null(ns_stat_name((enum ns_stat) - 1));
	assert_null(ns_drop_name(NS_DROP_COUNT));
	assert_true(ns_drop_is_malformed(NS_DROP_IPV4_BAD_CSUM));
	assert_true(ns_drop_is_malformed(NS_DROP_UDP_TRUNCATED));
	assert_false(ns_drop_is_malformed(NS_DROP_NIC_DOWN));
	assert_false(ns_drop_is_malformed(NS_DROP_COUNT));
}

static void test_drop_counts(void **state)
{
	struct ns_stack *s = new_stack();
	const struct ns_stats *st = ns_stack_stats(s);

	ns_drop(s, ip_pkt(0x0800), NS_DROP_IPV4_BAD_IHL);
	ns_drop(s, ip_pkt(0x0800), NS_DROP_IPV4_NOT_FOR_US);
	ns_drop(s, NULL, NS_DROP_TCP_BAD_CSUM);
	assert_int_equal(st->drop[NS_DROP_IPV4_BAD_IHL], 1);
	assert_int_equal(st->drop[NS_DROP_IPV4_NOT_FOR_US], 1);
	assert_int_equal(st->drop[NS_DROP_TCP_BAD_CSUM], 1);
	assert_int_equal(st->stat[NS_STAT_RX_DROPPED], 3);
	assert_int_equal(st->stat[NS_STAT_RX_MALFORMED], 2);
	ns_stat_add(s, NS_STAT_UDP_TX, 5);
	ns_stat_inc(s, NS_STAT_UDP_TX);
	ns_stat_add(s, NS_STAT_COUNT, 5); /* ignored */
	assert_int_equal(st->stat[NS_STAT_UDP_TX], 6);
	ns_stack_free(s);
}

/* ---------------------------------------------------------------- tests: ICMP rate */

static void test_icmp_rate(void **state)
{
	struct ns_stack_config cfg;
	struct ns_stack *s;

	base_config(&cfg);
	cfg.icmp_rate = 10; /* one token per 100 ms */
	cfg.icmp_burst = 3;
	assert_int_equal(ns_stack_new(&cfg, &s), NS_OK);
	const struct ns_stats *st = ns_stack_stats(s);

	/* Starts full: the first errors go out at once, up to the burst. */
	assert_true(ns_icmp_rate_allow(s, NULL));
	assert_true(ns_icmp_rate_allow(s, NULL));
	assert_true(ns_icmp_rate_allow(s, NULL));
	assert_false(ns_icmp_rate_allow(s, NULL));
	/* Counting the suppressed error is the caller's job (it knows what it dropped). */
	assert_int_equal(st->stat[NS_STAT_ICMP_RATE_LIMITED], 0);

	vclock.now += 99 * NS_MSEC;
	assert_false(ns_icmp_rate_allow(s, NULL));
	vclock.now += 1 * NS_MSEC;
	assert_true(ns_icmp_rate_allow(s, NULL));
	assert_false(ns_icmp_rate_allow(s, NULL));

	/* Many small steps add up: no fraction is lost to rounding. */
	for (int i = 0; i < 1000; i++) {
		vclock.now += 100 * 1000; /* 100 us */
		if (i < 999)
			assert_false(ns_icmp_rate_allow(s, NULL));
	}
	assert_true(ns_icmp_rate_allow(s, NULL));

	/* A long quiet period refills to the burst, not beyond. */
	vclock.now += 3600 * NS_SEC;
	for (int i = 0; i < 3; i++)
		assert_true(ns_icmp_rate_allow(s, NULL));
	assert_false(ns_icmp_rate_allow(s, NULL));
	/* Time going nowhere (or backwards) adds nothing. */
	vclock.now -= NS_SEC;
	assert_false(ns_icmp_rate_allow(s, NULL));
	ns_stack_free(s);

	/* Rate 0: no limit. */
	base_config(&cfg);
	cfg.icmp_rate = 0;
	cfg.icmp_burst = 0;
	assert_int_equal(ns_stack_new(&cfg, &s), NS_OK);
	for (int i = 0; i < 100; i++)
		assert_true(ns_icmp_rate_allow(s, NULL));
	ns_stack_free(s);

	/* Defaults: 50 at once, then 1000/s. */
	base_config(&cfg);
	assert_int_equal(ns_stack_new(&cfg, &s), NS_OK);
	for (int i = 0; i < 50; i++)
		assert_true(ns_icmp_rate_allow(s, NULL));
	assert_false(ns_icmp_rate_allow(s, NULL));
	vclock.now += NS_MSEC;
	assert_true(ns_icmp_rate_allow(s, NULL));
	assert_false(ns_icmp_rate_allow(s, NULL));
	ns_stack_free(s);
}

/* ---------------------------------------------------------------- tests: review regressions */

static void test_generation_bumps_on_every_routing_change(void **state)
{
	struct ns_stack *s = new_stack();
	struct fake_link l1;
	struct ns_subnet a = sn("192.0.2.2/24"), range = sn("198.51.100.0/24");
	struct ns_route_entry r = {
	    .dest = sn("203.0.113.0/24"), .gateway = ad("192.0.2.1"), .nic = 1};
	struct ns_route out;
	uint32_t g0;

	fake_link_init(&l1, 1);
#define CHANGES(call)                                      \
	do {                                               \
		g0 = ns_stack_generation(s);               \
		assert_int_equal(call, NS_OK);             \
		assert_true(ns_stack_generation(s) != g0); \
	} while (0)
	CHANGES(ns_stack_add_nic(s, 1, &l1.base, "eth0"));
	CHANGES(ns_stack_add_address(s, 1, &a));
	CHANGES(ns_stack_add_address_range(s, 1, &range));
	CHANGES(ns_stack_add_route(s, &r));
	CHANGES(ns_stack_set_nic_up(s, 1, false));
	CHANGES(ns_stack_set_nic_up(s, 1, true));
	CHANGES(ns_stack_set_spoofing(s, 1, true));
	CHANGES(ns_stack_set_promiscuous(s, 1, true));
	/* Lookups change nothing. */
	g0 = ns_stack_generation(s);
	assert_int_equal(ns_route_find(s, 0, NULL, &r.gateway, &out), NS_OK);
	assert_non_null(ns_stack_find_local(s, &a.addr));
	assert_int_equal(ns_stack_generation(s), g0);
	CHANGES(ns_stack_remove_route(s, &r));
	CHANGES(ns_stack_remove_address(s, 1, &a.addr));
	CHANGES(ns_stack_remove_nic(s, 1));
#undef CHANGES
	/* Failed changes need not bump it, and a NULL stack reads 0. */
	assert_int_equal(ns_stack_generation(NULL), 0);
	ns_stack_free(s);
}

static int released[8], nreleased;

struct thing {
	struct ns_deferred d;
	int id;
};

static void release_thing(struct ns_deferred *d)
{
	struct thing *t = (struct thing *)(void *)d;

	released[nreleased++] = t->id;
}

static void test_deferred_release_waits_for_the_outermost_dispatch(void **state)
{
	struct ns_stack *s = new_stack();
	struct thing a = {.id = 1}, b = {.id = 2}, c = {.id = 3};

	nreleased = 0;
	/* Outside any dispatch: at once. */
	ns_ep_defer_free(s, &a.d, release_thing);
	assert_int_equal(nreleased, 1);
	assert_int_equal(released[0], 1);
	/* Inside (nested) dispatches: when the outermost one ends, in order. */
	nreleased = 0;
	stack_enter(s);
	ns_ep_defer_free(s, &b.d, release_thing);
	stack_enter(s);
	ns_ep_defer_free(s, &c.d, release_thing);
	stack_leave(s);
	assert_int_equal(nreleased, 0);
	stack_leave(s);
	assert_int_equal(nreleased, 2);
	assert_int_equal(released[0], 2);
	assert_int_equal(released[1], 3);
	ns_stack_free(s);
}

static void test_icmp_rate_per_destination(void **state)
{
	struct ns_stack_config cfg;
	struct ns_stack *s;
	struct ns_addr a = ad("192.0.2.1"), b = ad("192.0.2.7"), a_junk = a;

	base_config(&cfg);
	cfg.icmp_burst = 10;
	cfg.icmp_rate = 1; /* the stack-wide bucket barely refills */
	assert_int_equal(ns_stack_new(&cfg, &s), NS_OK);
	/* Linux's per-peer defaults: a burst of 6, one a second. */
	for (int i = 0; i < 6; i++)
		assert_true(ns_icmp_rate_allow(s, &a));
	assert_false(ns_icmp_rate_allow(s, &a));
	/* Stray bytes behind the IPv4 address name the same peer. */
	memset(a_junk.a + 4, 0x5a, 12);
	assert_false(ns_icmp_rate_allow(s, &a_junk));
	/* Denials by a peer's bucket cost the stack-wide bucket nothing: 4 tokens remain,
	 * and another peer's first error goes out. */
	for (int i = 0; i < 20; i++)
		assert_false(ns_icmp_rate_allow(s, &a));
	assert_true(ns_icmp_rate_allow(s, &b));
	for (int i = 0; i < 3; i++) {
		char txt[32];
		struct ns_addr o;

		snprintf(txt, sizeof(txt), "198.51.100.%d", i + 1);
		o = ad(txt);
		assert_true(ns_icmp_rate_allow(s, &o));
	}
	assert_false(ns_icmp_rate_allow(s, &b)); /* the stack-wide bucket is empty now */
	/* One second: one token for a (and one stack-wide). */
	vclock.now += NS_SEC;
	assert_true(ns_icmp_rate_allow(s, &a));
	assert_false(ns_icmp_rate_allow(s, &a));
	ns_stack_free(s);

	/* A per-destination burst of 0 turns that limit off. */
	base_config(&cfg);
	cfg.icmp_peer_burst = 0;
	assert_int_equal(ns_stack_new(&cfg, &s), NS_OK);
	for (int i = 0; i < 50; i++)
		assert_true(ns_icmp_rate_allow(s, &a));
	assert_false(ns_icmp_rate_allow(s, &a));
	ns_stack_free(s);
}

static void test_addresses_with_stray_bytes_are_normalised(void **state)
{
	struct ns_stack *s = new_stack();
	struct fake_link l1;
	struct ns_subnet a = sn("192.0.2.2/24"), junk_a = a;
	struct ns_addr clean = ad("192.0.2.2"), peer = ad("192.0.2.1"), junk_peer = peer;
	struct ns_addr far = ad("203.0.113.9"), junk_gw = peer;
	struct ns_route out;
	struct ns_mac mac = {{2, 0, 0, 0, 0, 9}}, got;

	fake_link_init(&l1, 1);
	assert_int_equal(ns_stack_add_nic(s, 1, &l1.base, "eth0"), NS_OK);
	memset(junk_a.addr.a + 4, 0xab, 12);
	memset(junk_peer.a + 4, 0xcd, 12);
	memset(junk_gw.a + 4, 0xef, 12);
	/* Stored as four bytes: found by the clean address, duplicates seen. */
	assert_int_equal(ns_stack_add_address(s, 1, &junk_a), NS_OK);
	assert_non_null(ns_stack_find_local(s, &clean));
	assert_int_equal(ns_stack_add_address(s, 1, &a), NS_ERR_DUPLICATE_ADDRESS);
	/* Routes, route lookups and neighbors read four bytes too. */
	struct ns_route_entry r = {.dest = sn("203.0.113.0/24"), .gateway = junk_gw, .nic = 1};
	memset(r.dest.addr.a + 4, 0x11, 12);
	assert_int_equal(ns_stack_add_route(s, &r), NS_OK);
	assert_int_equal(ns_route_find(s, 0, &junk_a.addr, &far, &out), NS_OK);
	assert_true(ns_addr_eq(&out.next_hop, &peer));
	assert_true(ns_addr_eq(&out.local, &clean));
	assert_int_equal(ns_route_find(s, 0, NULL, &junk_peer, &out), NS_OK);
	assert_true(ns_addr_eq(&out.remote, &peer));
	assert_int_equal(ns_stack_add_static_neighbor(s, 1, &junk_peer, &mac), NS_OK);
	assert_true(ns_stack_neighbor(s, 1, &peer, &got));
	assert_true(ns_stack_neighbor(s, 1, &junk_peer, &got));
	struct ns_nic *nic = ns_nic_find(s, 1);
	assert_int_equal(ns_nic_match_addr(s, nic, &junk_a.addr), NS_ADDR_ASSIGNED);
	assert_int_equal(ns_stack_match_local(s, nic, &junk_a.addr), NS_ADDR_ASSIGNED);
	assert_int_equal(ns_stack_remove_address(s, 1, &junk_a.addr), NS_OK);
	assert_null(ns_stack_find_local(s, &clean));
	ns_stack_free(s);
}

static void test_match_local_is_weak_host(void **state)
{
	struct ns_stack *s = new_stack();
	struct fake_link l1, l2;
	struct ns_subnet a1 = sn("192.0.2.2/24"), a2 = sn("198.51.100.1/24");
	struct ns_subnet range = sn("203.0.113.0/24");
	struct ns_addr x;

	fake_link_init(&l1, 1);
	fake_link_init(&l2, 2);
	assert_int_equal(ns_stack_add_nic(s, 1, &l1.base, "eth0"), NS_OK);
	assert_int_equal(ns_stack_add_nic(s, 2, &l2.base, "eth1"), NS_OK);
	assert_int_equal(ns_stack_add_address(s, 1, &a1), NS_OK);
	assert_int_equal(ns_stack_add_address(s, 2, &a2), NS_OK);
	assert_int_equal(ns_stack_add_address_range(s, 2, &range), NS_OK);
	struct ns_nic *n1 = ns_nic_find(s, 1);

	/* RFC 1122 3.3.4.2: another NIC's address is local on this one... */
	x = ad("198.51.100.1");
	assert_int_equal(ns_stack_match_local(s, n1, &x), NS_ADDR_ASSIGNED);
	assert_int_equal(ns_nic_match_addr(s, n1, &x), NS_ADDR_NONE); /* per NIC: unchanged */
	/* ... its ranges and broadcasts are not. */
	x = ad("203.0.113.5");
	assert_int_equal(ns_stack_match_local(s, n1, &x), NS_ADDR_NONE);
	x = ad("198.51.100.255");
	assert_int_equal(ns_stack_match_local(s, n1, &x), NS_ADDR_NONE);
	x = ad("192.0.2.255");
	assert_int_equal(ns_stack_match_local(s, n1, &x), NS_ADDR_BROADCAST);
	x = ad("192.0.2.2");
	assert_int_equal(ns_stack_match_local(s, n1, &x), NS_ADDR_ASSIGNED);
	x = ad("192.0.2.77");
	assert_int_equal(ns_stack_match_local(s, n1, &x), NS_ADDR_NONE);
	assert_int_equal(ns_stack_set_promiscuous(s, 1, true), NS_OK);
	assert_int_equal(ns_stack_match_local(s, n1, &x), NS_ADDR_PROMISCUOUS);
	ns_stack_free(s);
}

static void test_shared_packet_copied_before_it_is_written(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_route r = {.netproto = 0x0800};
	struct fake_link l1;
	struct ns_mac dst = {{2, 0, 0, 0, 0, 0x99}};
	struct ns_pkt *p = ip_pkt(0x0800);
	uint32_t head = p->head, len = p->len;

	/* pkt.h, Ownership: a layer that pushes headers into a packet and links it through
	 * ->next must own it alone; a shared packet is copied first. */
	ns_pkt_ref(p);
	assert_int_equal(ns_netproto_write(s, &r, p, NULL), NS_OK);
	assert_ptr_not_equal(g.last_written, p);
	assert_int_equal(g.last_written_refcnt, 1);
	assert_int_equal(p->refcnt, 1);
	/* The link gets a private copy too. */
	fake_link_init(&l1, 1);
	assert_int_equal(ns_stack_add_nic(s, 1, &l1.base, "eth0"), NS_OK);
	ns_pkt_ref(p);
	assert_int_equal(ns_nic_output_mac(s, ns_nic_find(s, 1), &dst, p), NS_OK);
	assert_int_equal(l1.nout, 1);
	assert_ptr_not_equal(l1.out[0], p);
	assert_int_equal(l1.out[0]->refcnt, 1);
	assert_int_equal(p->refcnt, 1);
	assert_int_equal(p->head, head);
	assert_int_equal(p->len, len);
	/* An unshared packet is passed on as it is. */
	assert_int_equal(ns_nic_output_mac(s, ns_nic_find(s, 1), &dst, p), NS_OK);
	assert_ptr_equal(l1.out[1], p);
	fake_link_clear(&l1);
	ns_stack_free(s);
}

/* ---------------------------------------------------------------- tests: endpoints */

static void test_ep_dispatch(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_waiter_queue wq;
	struct ns_ep *ep = (struct ns_ep *)&wq, *acc = (struct ns_ep *)&wq;
	struct ns_sockaddr sa = {.addr = ns_addr_v4(192, 0, 2, 1), .port = 53};
	struct ns_read_result rr;
	char buf[8];
	size_t written = 77;
	int64_t v;

	ns_waiter_queue_init(&wq);
	assert_int_equal(ns_ep_new(s, NS_AF_INET, 6, &wq, &ep), NS_ERR_UNKNOWN_PROTOCOL);
	assert_null(ep);
	assert_int_equal(ns_ep_new(s, NS_AF_UNSPEC, 17, &wq, &ep),
	                 NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED);
	assert_int_equal(ns_ep_new(s, 5, 17, &wq, &ep), NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED);
	assert_int_equal(ns_ep_new(s, NS_AF_INET, 99, &wq, &ep), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_new(NULL, NS_AF_INET, 17, &wq, &ep), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_new(s, NS_AF_INET, 17, &wq, NULL), NS_ERR_INVALID_ARGUMENT);

	assert_int_equal(ns_ep_new(s, NS_AF_INET6, 17, &wq, &ep), NS_OK);
	assert_non_null(ep);
	assert_int_equal(ns_stack_endpoints_live(s), 1);

	/* Implemented ops are called; NULL arguments are refused first. */
	assert_int_equal(ns_ep_bind(ep, &sa), NS_OK);
	assert_int_equal(((struct fake_ep *)ep)->binds, 1);
	assert_int_equal(ns_ep_bind(ep, NULL), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_bind(NULL, &sa), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(((struct fake_ep *)ep)->binds, 1);
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, &rr), NS_ERR_WOULD_BLOCK);
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, NULL), NS_ERR_WOULD_BLOCK);
	assert_int_equal(ns_ep_read(ep, NULL, 4, 0, &rr), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(((struct fake_ep *)ep)->reads, 2);

	/* Missing ops say NOT_SUPPORTED. */
	assert_int_equal(ns_ep_connect(ep, &sa), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_connect(ep, NULL), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_listen(ep, 5), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_listen(NULL, 5), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_accept(ep, &wq, &acc, NULL), NS_ERR_NOT_SUPPORTED);
	assert_null(acc);
	assert_int_equal(ns_ep_accept(ep, &wq, NULL, NULL), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_shutdown(ep, NS_SHUT_RDWR), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_shutdown(ep, 0), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_write(ep, "x", 1, NULL, &written), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(written, 0);
	assert_int_equal(ns_ep_write(ep, NULL, 1, NULL, &written), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_readiness(ep, NS_EV_IN), 0);
	assert_int_equal(ns_ep_readiness(NULL, NS_EV_IN), 0);
	assert_int_equal(ns_ep_set_opt(ep, NS_SO_RCVBUF, 1), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_set_opt(ep, NS_OPT_COUNT_, 1), NS_ERR_UNKNOWN_PROTOCOL_OPTION);
	assert_int_equal(ns_ep_get_opt(ep, NS_SO_RCVBUF, &v), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_get_opt(ep, NS_SO_RCVBUF, NULL), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_local_addr(ep, &sa), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_local_addr(ep, NULL), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_peer_addr(ep, &sa), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_peer_addr(NULL, &sa), NS_ERR_INVALID_ARGUMENT);

	ns_ep_close(ep);
	ns_ep_close(NULL);
	assert_int_equal(ns_stack_endpoints_live(s), 0);
	ns_stack_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_config_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_new_free_protocols, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_new_rejects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seed_and_hash, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_poll_deadline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_netproto_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nic_add_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_nics, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nic_deliver, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_match_addr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_output_mac, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loop_local_reply_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loop_local_checksum, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loop_local_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loop_local_forever, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stat_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drop_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_icmp_rate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ep_dispatch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generation_bumps_on_every_routing_change, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_deferred_release_waits_for_the_outermost_dispatch,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_icmp_rate_per_destination, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_addresses_with_stray_bytes_are_normalised, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_match_local_is_weak_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shared_packet_copied_before_it_is_written, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
