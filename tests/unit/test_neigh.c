/* SPDX-License-Identifier: MIT */
/* The neighbor cache on a whole stack: a fake IPv4-like protocol (0x0800) and a fake
 * resolver (resolves 0x0800, records its requests) over a channel link that needs
 * resolution, on a virtual clock. */
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

#define NET 0x0800
#define RES 0x0806
#define NIC 1

/* ---- fakes ---- */

struct request {
	struct ns_addr target, local;
	bool unicast;
	struct ns_mac mac;
	uint64_t at;
};
static struct request req[64];
static int nreq;
static uint8_t failed_mark[64];
static int nfailed;
static bool answer_now; /* the resolver answers inside its request (re-entrancy) */
static bool has_failed_hook = true;
static const struct ns_mac peer_mac = {{0x02, 0, 0, 0, 0, 0x99}};

static ns_err fake_request(struct ns_stack *s, void *priv, struct ns_nic *nic,
                           const struct ns_addr *target, const struct ns_addr *local,
                           const struct ns_mac *remote_mac)
{
	(void)priv;
	struct request *r = &req[nreq++ % 64];

	r->target = *target;
	r->local = *local;
	r->unicast = remote_mac != NULL;
	if (remote_mac)
		r->mac = *remote_mac;
	r->at = ns_stack_now(s);
	if (answer_now)
		ns_neigh_update(s, nic, target, &peer_mac, NS_NEIGH_SOLICITED);
	return NS_OK;
}

static void fake_failed(struct ns_stack *s, void *priv, struct ns_pkt *pkt)
{
	(void)s;
	(void)priv;
	failed_mark[nfailed++ % 64] = ns_pkt_data(pkt)[0];
	ns_pkt_free(pkt);
}

static void fake_failed_dispatch(struct ns_stack *s, void *priv, struct ns_pkt *pkt);

static const struct ns_netproto_ops fake_net = {
    .name = "fake-ip",
    .number = NET,
    .family = NS_AF_INET,
    .resolution_failed = fake_failed_dispatch,
};

static const struct ns_netproto_ops fake_res = {
    .name = "fake-arp",
    .number = RES,
    .resolves = NET,
    .link_addr_request = fake_request,
};

static void fake_failed_dispatch(struct ns_stack *s, void *priv, struct ns_pkt *pkt)
{
	if (has_failed_hook)
		fake_failed(s, priv, pkt);
	else
		ns_drop(s, pkt, NS_DROP_NEIGH_FAILED); /* what the core does without a hook */
}

/* ---- fixture ---- */

#define T0 (500 * NS_SEC)

static uint32_t qbytes; /* neigh_queue_bytes for the next make() (0: the default) */
static uint32_t qtotal; /* neigh_queue_total_bytes for the next make() (0: the default) */

struct fixture {
	struct ns_vclock vc;
	struct ns_stack *s;
	struct ns_link *link;
	struct ns_nic *nic;
	int64_t live;
};

static struct ns_addr A(const char *str) {
	struct ns_addr a;

	assert_true(ns_addr_parse(str, &a));
	return a;
}

static int
make(void **state, uint32_t caps, uint32_t qlen, uint32_t max_entries)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ns_stack_config cfg;
	struct ns_channel_config cc = {
	    .header = NS_LINK_HDR_ETHERNET,
	    .mac = {{0x02, 0, 0, 0, 0, 0x01}},
	    .caps = caps,
	};
	struct ns_subnet sn;

	f->live = ns_pkt_live();
	ns_vclock_init(&f->vc, T0);
	ns_stack_config_init(&cfg);
	cfg.clock = &f->vc.base;
	cfg.seed = 5;
	cfg.netprotos[0] = &fake_net;
	cfg.netprotos[1] = &fake_res;
	if (qlen)
		cfg.neigh_queue_len = qlen;
	if (max_entries)
		cfg.neigh_max_entries = max_entries;
	if (qbytes)
		cfg.neigh_queue_bytes = qbytes;
	if (qtotal)
		cfg.neigh_queue_total_bytes = qtotal;
	qbytes = qtotal = 0;
	assert_int_equal(ns_stack_new(&cfg, &f->s), NS_OK);
	f->link = ns_channel_new(&cc);
	assert_int_equal(ns_stack_add_nic(f->s, NIC, f->link, "eth0"), NS_OK);
	assert_true(ns_subnet_parse("192.0.2.1/24", &sn));
	assert_int_equal(ns_stack_add_address(f->s, NIC, &sn), NS_OK);
	f->nic = ns_nic_find(f->s, NIC);
	nreq = 0;
	nfailed = 0;
	answer_now = false;
	has_failed_hook = true;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return make(state, NS_CAP_RESOLUTION_REQUIRED, 0, 0);
}

static int setup_q4(void **state)
{
	return make(state, NS_CAP_RESOLUTION_REQUIRED, 4, 0);
}

/* Room for three packets of the standard size, by bytes. */
static int setup_bytes3(void **state)
{
	qbytes = 3 * (uint32_t)(sizeof(struct ns_pkt) + NS_PKT_STD_SIZE);
	return make(state, NS_CAP_RESOLUTION_REQUIRED, 0, 0);
}

#define STD_TRUESIZE ((uint32_t)(sizeof(struct ns_pkt) + NS_PKT_STD_SIZE))

/* Room for four packets of the standard size in every queue together. */
static int setup_total4(void **state)
{
	qtotal = 4 * STD_TRUESIZE;
	return make(state, NS_CAP_RESOLUTION_REQUIRED, 0, 0);
}

static int setup_max2(void **state)
{
	return make(state, NS_CAP_RESOLUTION_REQUIRED, 0, 2);
}

static int setup_noresolve(void **state)
{
	return make(state, 0, 0, 0);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ns_stack_free(f->s);
	ns_link_destroy(f->link);
	assert_int_equal(ns_pkt_live(), f->live);
	free(f);
	return 0;
}

/* A network-layer packet carrying @mark in its first byte. */
static struct ns_pkt *mk(uint8_t mark, uint16_t netproto)
{
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, 20);

	assert_non_null(p);
	memset(ns_pkt_data(p), 0, 20);
	ns_pkt_data(p)[0] = mark;
	p->netproto = netproto;
	return p;
}

static ns_err out(struct fixture *f, const char *to, uint8_t mark)
{
	struct ns_addr nh = A(to), local = A("192.0.2.1");

	return ns_nic_output(f->s, f->nic, &nh, &local, mk(mark, NET));
}

/* Read one frame: its destination MAC and mark. Fails if none. */
static void expect_frame(struct fixture *f, const struct ns_mac *dst, uint8_t mark)
{
	struct ns_pkt *p = ns_channel_read(f->link);

	assert_non_null(p);
	assert_true(p->len >= 15);
	if (dst)
		assert_memory_equal(ns_pkt_data(p), dst->b, 6);
	assert_int_equal(ns_pkt_data(p)[12], NET >> 8);
	assert_int_equal(ns_pkt_data(p)[14], mark);
	ns_pkt_free(p);
}

static void go(struct fixture *f, uint64_t t)
{
	f->vc.now = t;
	ns_stack_poll(f->s);
}

/* Advance to @t through every deadline on the way, as an event loop would. */
static void run_until(struct fixture *f, uint64_t t)
{
	uint64_t d;

	while ((d = ns_stack_next_deadline(f->s)) <= t)
		go(f, d > f->vc.now ? d : f->vc.now);
	go(f, t);
}

static const struct ns_stats *st(struct fixture *f)
{
	return ns_stack_stats(f->s);
}

/* The NIC's reachable time: RFC 4861 6.3.2 draws it at random between 0.5 and 1.5 times
 * neigh_reachable_ns (30 s). The tests used to assume exactly 30 s. */
static uint64_t R(struct fixture *f)
{
	uint64_t r = neigh_reachable_time(f->nic->neigh);

	assert_true(r >= 15 * NS_SEC && r <= 45 * NS_SEC);
	return r;
}

/* ---- tests ---- */

static void test_queue_retry_fail(void **state)
{
	struct fixture *f = *state;
	struct ns_addr target = A("192.0.2.9");
	struct ns_mac m;

	assert_int_equal(out(f, "192.0.2.9", 1), NS_OK);
	assert_int_equal(out(f, "192.0.2.9", 2), NS_OK);
	assert_int_equal(out(f, "192.0.2.9", 3), NS_OK);
	assert_int_equal(ns_channel_pending(f->link), 0); /* all queued */
	/* One broadcast request, at once, from the packet's source. */
	assert_int_equal(nreq, 1);
	assert_false(req[0].unicast);
	assert_true(ns_addr_eq(&req[0].target, &target));
	assert_true(ns_addr_eq(&req[0].local,
	                       &(struct ns_addr){.family = NS_AF_INET, .a = {192, 0, 2, 1}}));
	assert_true(req[0].at == T0);
	assert_false(ns_stack_neighbor(f->s, NIC, &target, &m));

	/* Retransmissions every second, at exactly those times. */
	assert_true(ns_stack_next_deadline(f->s) == T0 + NS_SEC);
	go(f, T0 + NS_SEC - 1);
	assert_int_equal(nreq, 1);
	go(f, T0 + NS_SEC);
	assert_int_equal(nreq, 2);
	assert_true(req[1].at == T0 + NS_SEC);
	assert_true(ns_stack_next_deadline(f->s) == T0 + 2 * NS_SEC);
	go(f, T0 + 2 * NS_SEC);
	assert_int_equal(nreq, 3);
	assert_false(req[2].unicast);
	assert_int_equal(nfailed, 0);

	/* After neigh_retries (3) requests: every queued packet fails, in order. */
	assert_true(ns_stack_next_deadline(f->s) == T0 + 3 * NS_SEC);
	go(f, T0 + 3 * NS_SEC);
	assert_int_equal(nreq, 3);
	assert_int_equal(nfailed, 3);
	assert_int_equal(failed_mark[0], 1);
	assert_int_equal(failed_mark[1], 2);
	assert_int_equal(failed_mark[2], 3);
	assert_int_equal(st(f)->stat[NS_STAT_NEIGH_FAILED], 1);
	assert_true(ns_stack_next_deadline(f->s) == UINT64_MAX);
	assert_false(ns_stack_neighbor(f->s, NIC, &target, &m));

	/* The next packet starts a fresh resolution. */
	assert_int_equal(out(f, "192.0.2.9", 4), NS_OK);
	assert_int_equal(nreq, 4);
}

static void test_request_source_defaults_to_primary(void **state)
{
	struct fixture *f = *state;
	struct ns_addr nh = A("192.0.2.9");

	assert_int_equal(ns_nic_output(f->s, f->nic, &nh, NULL, mk(1, NET)), NS_OK);
	assert_int_equal(nreq, 1);
	assert_true(ns_addr_eq(&req[0].local,
	                       &(struct ns_addr){.family = NS_AF_INET, .a = {192, 0, 2, 1}}));
}

static void test_fail_without_hook_drops(void **state)
{
	struct fixture *f = *state;

	has_failed_hook = false;
	out(f, "192.0.2.9", 1);
	out(f, "192.0.2.9", 2);
	run_until(f, T0 + 3 * NS_SEC);
	assert_int_equal(st(f)->drop[NS_DROP_NEIGH_FAILED], 2);
}

static void test_update_flushes_in_order(void **state)
{
	struct fixture *f = *state;
	struct ns_addr target = A("192.0.2.9");
	struct ns_mac m;

	for (uint8_t i = 1; i <= 5; i++)
		out(f, "192.0.2.9", i);
	/* An answer for another address changes nothing. */
	ns_neigh_update(f->s, f->nic, &(struct ns_addr){.family = NS_AF_INET, .a = {192, 0, 2, 8}},
	                &peer_mac, NS_NEIGH_SOLICITED);
	assert_int_equal(ns_channel_pending(f->link), 0);
	/* A multicast link address is never believed. */
	const struct ns_mac bad = {{0x01, 0, 0x5e, 0, 0, 1}};
	ns_neigh_update(f->s, f->nic, &target, &bad, NS_NEIGH_SOLICITED);
	assert_int_equal(ns_channel_pending(f->link), 0);

	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_SOLICITED);
	assert_int_equal(ns_channel_pending(f->link), 5);
	for (uint8_t i = 1; i <= 5; i++)
		expect_frame(f, &peer_mac, i);
	assert_true(ns_stack_neighbor(f->s, NIC, &target, &m));
	assert_memory_equal(m.b, peer_mac.b, 6);
	assert_int_equal(st(f)->stat[NS_STAT_NEIGH_RESOLVED], 1);
	/* Resolved: straight out, no more requests. */
	out(f, "192.0.2.9", 6);
	expect_frame(f, &peer_mac, 6);
	assert_int_equal(nreq, 1);
	/* REACHABLE for the reachable time. */
	assert_true(ns_stack_next_deadline(f->s) == T0 + R(f));
}

static void test_queue_bound_drops_oldest(void **state)
{
	struct fixture *f = *state;
	struct ns_addr target = A("192.0.2.9");

	for (uint8_t i = 1; i <= 7; i++)
		out(f, "192.0.2.9", i);
	assert_int_equal(st(f)->drop[NS_DROP_NEIGH_QUEUE_FULL], 3);
	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_SOLICITED);
	for (uint8_t i = 4; i <= 7; i++)
		expect_frame(f, &peer_mac, i);
	assert_int_equal(ns_channel_pending(f->link), 0);
}

/* The queue is bounded by its packets' buffers too (Linux's unres_qlen_bytes): room for
 * three standard packets keeps the newest three; a packet bigger than the whole bound is
 * dropped at once, leaving the queue as it was. */
static void test_queue_byte_bound_drops_oldest(void **state)
{
	struct fixture *f = *state;
	struct ns_addr target = A("192.0.2.9"), nh = target, local = A("192.0.2.1");
	struct ns_pkt *big = ns_pkt_alloc(NS_PKT_HEADROOM, 8000);

	for (uint8_t i = 1; i <= 5; i++)
		out(f, "192.0.2.9", i);
	assert_int_equal(st(f)->drop[NS_DROP_NEIGH_QUEUE_FULL], 2);
	assert_non_null(big);
	memset(ns_pkt_data(big), 0, 20);
	big->netproto = NET;
	ns_nic_output(f->s, f->nic, &nh, &local, big);
	assert_int_equal(st(f)->drop[NS_DROP_NEIGH_QUEUE_FULL], 3);
	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_SOLICITED);
	for (uint8_t i = 3; i <= 5; i++)
		expect_frame(f, &peer_mac, i);
	assert_int_equal(ns_channel_pending(f->link), 0);
}

static void resolve(struct fixture *f, const char *to)
{
	struct ns_addr a = A(to);

	ns_neigh_update(f->s, f->nic, &a, &peer_mac, NS_NEIGH_SOLICITED);
}

/* The default bound on every queue together: 4 MiB. */
static void test_total_bound_default(void **state)
{
	struct ns_stack_config cfg;

	(void)state;
	ns_stack_config_init(&cfg);
	assert_int_equal(cfg.neigh_queue_total_bytes, 4u << 20);
}

/* Every queue together holds four packets: a fifth for another unresolved next hop pushes
 * out the oldest packet waiting anywhere, whichever entry holds it; each entry's own
 * bound is not reached. What stays is sent on resolution, in order. */
static void test_total_bound_drops_oldest_anywhere(void **state)
{
	struct fixture *f = *state;

	out(f, "192.0.2.9", 1);
	out(f, "192.0.2.10", 2);
	out(f, "192.0.2.9", 3);
	out(f, "192.0.2.11", 4);
	assert_int_equal(neigh_queued_bytes(f->s), 4 * STD_TRUESIZE);
	assert_int_equal(st(f)->drop[NS_DROP_NEIGH_QUEUES_TOTAL], 0);
	out(f, "192.0.2.12", 5); /* 1 goes: .9's oldest */
	assert_int_equal(st(f)->drop[NS_DROP_NEIGH_QUEUES_TOTAL], 1);
	out(f, "192.0.2.10", 6); /* 2 goes: .10's only one, then 6 is .10's */
	out(f, "192.0.2.13", 7); /* 3 goes: .9 has nothing left */
	assert_int_equal(st(f)->drop[NS_DROP_NEIGH_QUEUES_TOTAL], 3);
	assert_int_equal(st(f)->drop[NS_DROP_NEIGH_QUEUE_FULL], 0);
	assert_int_equal(neigh_queued_bytes(f->s), 4 * STD_TRUESIZE);
	resolve(f, "192.0.2.9");
	assert_int_equal(ns_channel_pending(f->link), 0);
	resolve(f, "192.0.2.12");
	expect_frame(f, &peer_mac, 5);
	resolve(f, "192.0.2.10");
	expect_frame(f, &peer_mac, 6);
	resolve(f, "192.0.2.13");
	expect_frame(f, &peer_mac, 7);
	resolve(f, "192.0.2.11");
	expect_frame(f, &peer_mac, 4);
	assert_int_equal(ns_channel_pending(f->link), 0);
	assert_int_equal(neigh_queued_bytes(f->s), 0);
	/* A packet bigger than the whole bound is refused at once. */
	struct ns_pkt *big = ns_pkt_alloc(NS_PKT_HEADROOM, 4 * NS_PKT_STD_SIZE);
	struct ns_addr nh = A("192.0.2.14"), local = A("192.0.2.1");

	assert_non_null(big);
	memset(ns_pkt_data(big), 0, 20);
	big->netproto = NET;
	ns_nic_output(f->s, f->nic, &nh, &local, big);
	assert_int_equal(st(f)->drop[NS_DROP_NEIGH_QUEUE_FULL], 1);
	assert_int_equal(neigh_queued_bytes(f->s), 0);
}

/* The bound is the stack's, over every NIC: packets queued on a second NIC push out the
 * first NIC's older ones; removing a NIC gives back what its queues held. Many entries
 * queueing in turn keep the oldest-first order (the heap). */
static void test_total_bound_across_nics(void **state)
{
	struct fixture *f = *state;
	struct ns_channel_config cc = {.header = NS_LINK_HDR_ETHERNET,
	                               .mac = {{0x02, 0, 0, 0, 0, 0x02}},
	                               .caps = NS_CAP_RESOLUTION_REQUIRED};
	struct ns_link *l2 = ns_channel_new(&cc);
	struct ns_addr local2 = A("198.51.100.1");
	struct ns_subnet sn;
	struct ns_nic *nic2;
	char buf[32];

	assert_true(ns_subnet_parse("198.51.100.1/24", &sn));
	assert_int_equal(ns_stack_add_nic(f->s, 2, l2, "eth1"), NS_OK);
	assert_int_equal(ns_stack_add_address(f->s, 2, &sn), NS_OK);
	nic2 = ns_nic_find(f->s, 2);
	out(f, "192.0.2.9", 1);
	out(f, "192.0.2.9", 2);
	for (uint8_t i = 3; i <= 5; i++) {
		struct ns_addr nh = A("198.51.100.9");

		ns_nic_output(f->s, nic2, &nh, &local2, mk(i, NET));
	}
	assert_int_equal(st(f)->drop[NS_DROP_NEIGH_QUEUES_TOTAL], 1); /* 1, NIC 1's */
	assert_int_equal(neigh_queued_bytes(f->s), 4 * STD_TRUESIZE);
	assert_int_equal(ns_stack_remove_nic(f->s, 2), NS_OK);
	ns_link_destroy(l2);
	assert_int_equal(neigh_queued_bytes(f->s), STD_TRUESIZE);
	resolve(f, "192.0.2.9");
	expect_frame(f, &peer_mac, 2);
	/* 200 next hops, one packet each, round after round: each new packet pushes out the
	 * oldest, so the four newest are what is left. */
	for (int i = 0; i < 200; i++) {
		snprintf(buf, sizeof(buf), "198.51.%d.%d", i % 7, i + 1);
		out(f, buf, (uint8_t)i);
	}
	assert_int_equal(neigh_queued_bytes(f->s), 4 * STD_TRUESIZE);
	for (int i = 0; i < 200; i++) {
		snprintf(buf, sizeof(buf), "198.51.%d.%d", i % 7, i + 1);
		resolve(f, buf);
		if (i >= 196)
			expect_frame(f, &peer_mac, (uint8_t)i);
		assert_int_equal(ns_channel_pending(f->link), 0);
	}
	assert_int_equal(st(f)->drop[NS_DROP_NEIGH_QUEUES_TOTAL], 1 + 196);
	assert_int_equal(neigh_queued_bytes(f->s), 0);
}

/* Against a model: seeded random sends to ten next hops (a resolved one sends at once) and
 * resolutions, rounds of fresh next hops; every queue together keeps the four newest
 * packets, so each resolution sends exactly the model's packets for that hop, in order. */
static void test_total_bound_matches_model(void **state)
{
	struct fixture *f = *state;
	struct {
		int hop;
		uint8_t mark;
	} model[4];
	int n = 0, round = 0;
	bool resolved[10] = {false}, seen[10] = {false};
	uint64_t x = 0x9e3779b97f4a7c15ull, dropped = 0;
	char buf[32];

	for (int i = 0; i < 5000; i++) {
		int hop, unresolved = 0;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		hop = (int)((x >> 8) % 10);
		for (int k = 0; k < 10; k++)
			unresolved += !resolved[k];
		if (!unresolved) {
			round++;
			memset(resolved, 0, sizeof(resolved));
			memset(seen, 0, sizeof(seen));
		}
		snprintf(buf, sizeof(buf), "198.51.%d.%d", round % 250, hop + 1);
		if ((x >> 40) % 5) {
			out(f, buf, (uint8_t)i);
			seen[hop] = true;
			if (resolved[hop]) {
				expect_frame(f, &peer_mac, (uint8_t)i);
				continue;
			}
			if (n == 4) {
				memmove(&model[0], &model[1], 3 * sizeof(model[0]));
				n--;
				dropped++;
			}
			model[n].hop = hop;
			model[n++].mark = (uint8_t)i;
		} else if (seen[hop] && !resolved[hop]) {
			int keep = 0;

			resolve(f, buf);
			resolved[hop] = true;
			for (int k = 0; k < n; k++) {
				if (model[k].hop == hop)
					expect_frame(f, &peer_mac, model[k].mark);
				else
					model[keep++] = model[k];
			}
			n = keep;
		}
		assert_int_equal(ns_channel_pending(f->link), 0);
		assert_int_equal(neigh_queued_bytes(f->s), (uint64_t)n * STD_TRUESIZE);
	}
	assert_true(dropped > 100 && round > 20);
	assert_int_equal(st(f)->drop[NS_DROP_NEIGH_QUEUES_TOTAL], dropped);
}

static void test_unsolicited_resolves_to_stale(void **state)
{
	struct fixture *f = *state;
	struct ns_addr target = A("192.0.2.9");

	out(f, "192.0.2.9", 1);
	/* E.g. the host's own ARP request for us: learnt, but unconfirmed (STALE). The
	 * queued packet goes out at once, and sending on a STALE entry starts DELAY (RFC
	 * 4861 7.3.3); this test used to leave the entry STALE after the flush, so that only
	 * the next packet started DELAY. */
	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_CREATE | NS_NEIGH_OVERRIDE);
	expect_frame(f, &peer_mac, 1);
	assert_true(ns_stack_next_deadline(f->s) == T0 + 5 * NS_SEC);
	/* In DELAY the next use sends at once and changes nothing. */
	f->vc.now = T0 + 100;
	out(f, "192.0.2.9", 2);
	expect_frame(f, &peer_mac, 2);
	assert_true(ns_stack_next_deadline(f->s) == T0 + 5 * NS_SEC);
	go(f, T0 + 5 * NS_SEC);
	assert_int_equal(nreq, 2);
	assert_true(req[1].unicast); /* PROBE */
}

static void test_unsolicited_with_empty_queue_stays_stale(void **state)
{
	struct fixture *f = *state;
	struct ns_addr target = A("192.0.2.9");

	/* A STALE entry nobody sends to stays STALE until its garbage collection. */
	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_CREATE);
	assert_true(ns_stack_neighbor(f->s, NIC, &target, NULL));
	assert_true(ns_stack_next_deadline(f->s) == T0 + 60 * NS_SEC);
	/* The first use starts DELAY. */
	f->vc.now = T0 + NS_SEC;
	out(f, "192.0.2.9", 1);
	expect_frame(f, &peer_mac, 1);
	assert_true(ns_stack_next_deadline(f->s) == T0 + 6 * NS_SEC);
}

static void test_expiry_cycle(void **state)
{
	struct fixture *f = *state;
	struct ns_addr target = A("192.0.2.9");
	struct ns_mac m;
	uint64_t t;

	out(f, "192.0.2.9", 1);
	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_SOLICITED);
	expect_frame(f, &peer_mac, 1);

	/* A confirmation 10 s in pushes REACHABLE's end to 10 s + R (lazily: the timer first
	 * fires at R and re-arms). (R was a fixed 30 s before RFC 4861 6.3.2's
	 * randomisation.) */
	const uint64_t r = R(f);
	f->vc.now = T0 + 10 * NS_SEC;
	ns_neigh_confirm(f->s, f->nic, &target);
	go(f, T0 + r);
	assert_true(ns_stack_next_deadline(f->s) == T0 + 10 * NS_SEC + r);
	/* Then: STALE, whose only timer is the 60 s garbage collection. */
	go(f, T0 + 10 * NS_SEC + r);
	assert_true(ns_stack_next_deadline(f->s) == T0 + 70 * NS_SEC + r);
	assert_int_equal(nreq, 1);

	/* Use 10 s later: sent at once, DELAY for 5 s. */
	t = T0 + 20 * NS_SEC + r;
	f->vc.now = t;
	out(f, "192.0.2.9", 2);
	expect_frame(f, &peer_mac, 2);
	assert_true(ns_stack_next_deadline(f->s) == t + 5 * NS_SEC);
	/* PROBE: unicast requests to the cached address at 55, 56, 57 s. */
	go(f, t + 5 * NS_SEC);
	assert_int_equal(nreq, 2);
	assert_true(req[1].unicast);
	assert_memory_equal(req[1].mac.b, peer_mac.b, 6);
	assert_true(req[1].at == t + 5 * NS_SEC);
	/* Packets keep flowing to the cached address while probing. */
	out(f, "192.0.2.9", 3);
	expect_frame(f, &peer_mac, 3);
	go(f, t + 6 * NS_SEC);
	go(f, t + 7 * NS_SEC);
	assert_int_equal(nreq, 4);
	assert_true(req[3].unicast && req[3].at == t + 7 * NS_SEC);
	assert_true(ns_stack_neighbor(f->s, NIC, &target, &m));
	/* No answer by 58 s: the entry is gone. */
	go(f, t + 8 * NS_SEC);
	assert_false(ns_stack_neighbor(f->s, NIC, &target, &m));
	assert_int_equal(st(f)->stat[NS_STAT_NEIGH_FAILED], 1);
	assert_true(ns_stack_next_deadline(f->s) == UINT64_MAX);
}

static void test_confirm_in_delay_avoids_probe(void **state)
{
	struct fixture *f = *state;
	struct ns_addr target = A("192.0.2.9");

	const uint64_t r = R(f); /* was a fixed 30 s before RFC 4861 6.3.2 randomisation */

	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_CREATE); /* STALE */
	out(f, "192.0.2.9", 1);                                             /* DELAY */
	expect_frame(f, &peer_mac, 1);
	f->vc.now = T0 + NS_SEC;
	ns_neigh_confirm(f->s, f->nic, &target); /* e.g. a TCP ACK */
	assert_true(ns_stack_next_deadline(f->s) == T0 + NS_SEC + r);
	go(f, T0 + 10 * NS_SEC);
	assert_int_equal(nreq, 0);
	/* A solicited answer with the same address also confirms in PROBE. */
	go(f, T0 + NS_SEC + r); /* STALE */
	out(f, "192.0.2.9", 2); /* DELAY */
	expect_frame(f, &peer_mac, 2);
	go(f, T0 + 6 * NS_SEC + r); /* PROBE */
	assert_int_equal(nreq, 1);
	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_SOLICITED);
	assert_true(ns_stack_next_deadline(f->s) == T0 + 6 * NS_SEC + 2 * r);
}

static void test_mac_change_rules(void **state)
{
	struct fixture *f = *state;
	struct ns_addr target = A("192.0.2.9");
	const struct ns_mac other = {{0x02, 0, 0, 0, 0, 0x42}};
	struct ns_mac m;

	out(f, "192.0.2.9", 1);
	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_SOLICITED);
	expect_frame(f, &peer_mac, 1);
	/* Solicited without override, different address: kept (but doubted). */
	ns_neigh_update(f->s, f->nic, &target, &other, NS_NEIGH_SOLICITED);
	assert_true(ns_stack_neighbor(f->s, NIC, &target, &m));
	assert_memory_equal(m.b, peer_mac.b, 6);
	/* Override: replaced. */
	ns_neigh_update(f->s, f->nic, &target, &other, NS_NEIGH_SOLICITED | NS_NEIGH_OVERRIDE);
	assert_true(ns_stack_neighbor(f->s, NIC, &target, &m));
	assert_memory_equal(m.b, other.b, 6);
	/* Unsolicited, with Override (what ARP passes for gratuitous ARP and every request
	 * and reply): replaced. (This used to be tested with no flags at all, which replaced
	 * the address too: RFC 4861 7.2.5 says a different address without Override must
	 * not be believed; see test_update_without_override_only_demotes.) */
	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_OVERRIDE);
	assert_true(ns_stack_neighbor(f->s, NIC, &target, &m));
	assert_memory_equal(m.b, peer_mac.b, 6);
	/* No entry and no CREATE: nothing learnt. */
	struct ns_addr x = A("192.0.2.77");
	ns_neigh_update(f->s, f->nic, &x, &peer_mac, NS_NEIGH_SOLICITED | NS_NEIGH_OVERRIDE);
	assert_false(ns_stack_neighbor(f->s, NIC, &x, &m));
	ns_neigh_update(f->s, f->nic, &x, &peer_mac, NS_NEIGH_CREATE);
	assert_true(ns_stack_neighbor(f->s, NIC, &x, &m));
	/* Unused STALE entries are collected after 60 s. */
	go(f, T0 + 60 * NS_SEC);
	assert_false(ns_stack_neighbor(f->s, NIC, &x, &m));
}

static void test_static(void **state)
{
	struct fixture *f = *state;
	struct ns_addr target = A("192.0.2.9");
	const struct ns_mac smac = {{0x02, 0, 0, 0, 0, 0x55}};
	struct ns_mac m;

	/* Pending packets go out when a static entry is configured. */
	out(f, "192.0.2.9", 1);
	assert_int_equal(ns_stack_add_static_neighbor(f->s, NIC, &target, &smac), NS_OK);
	expect_frame(f, &smac, 1);
	assert_true(ns_stack_next_deadline(f->s) == UINT64_MAX);
	assert_int_equal(ns_stack_add_static_neighbor(f->s, 7, &target, &smac), NS_ERR_UNKNOWN_NIC);
	/* Never overridden, never expires, never probed. */
	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_SOLICITED | NS_NEIGH_OVERRIDE);
	go(f, T0 + 10 * 3600 * NS_SEC);
	out(f, "192.0.2.9", 2);
	expect_frame(f, &smac, 2);
	assert_true(ns_stack_neighbor(f->s, NIC, &target, &m));
	assert_memory_equal(m.b, smac.b, 6);
	assert_int_equal(nreq, 1); /* only the one before it became static */
	assert_true(ns_stack_next_deadline(f->s) == UINT64_MAX);
}

static void test_broadcast_multicast_mapping(void **state)
{
	struct fixture *f = *state;
	const struct ns_mac bc = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	const struct ns_mac m4 = {{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}};
	const struct ns_mac m6 = {{0x33, 0x33, 0xff, 0x00, 0x00, 0x01}};
	struct ns_addr v6 = A("ff02::1:ff00:1");

	out(f, "255.255.255.255", 1);
	expect_frame(f, &bc, 1);
	out(f, "192.0.2.255", 2); /* directed broadcast of 192.0.2.1/24 */
	expect_frame(f, &bc, 2);
	out(f, "224.1.2.3", 3);
	expect_frame(f, &m4, 3);
	out(f, "239.129.2.3", 4); /* RFC 1112: only the low 23 bits */
	expect_frame(f, &m4, 4);
	assert_int_equal(ns_nic_output(f->s, f->nic, &v6, NULL, mk(5, NET)), NS_OK);
	struct ns_pkt *p = ns_channel_read(f->link);
	assert_non_null(p);
	assert_memory_equal(ns_pkt_data(p), m6.b, 6);
	ns_pkt_free(p);
	assert_int_equal(nreq, 0);
}

static void test_no_resolution_link(void **state)
{
	struct fixture *f = *state;
	const struct ns_mac zero = {{0}};

	out(f, "192.0.2.9", 1);
	expect_frame(f, &zero, 1);
	assert_int_equal(nreq, 0);
	assert_true(ns_stack_next_deadline(f->s) == UINT64_MAX);
}

static void test_no_resolver(void **state)
{
	struct fixture *f = *state;
	struct ns_addr v6 = A("2001:db8::2");

	/* Nothing resolves this protocol: dropped at once. */
	assert_int_equal(ns_nic_output(f->s, f->nic, &v6, NULL, mk(1, 0x86dd)),
	                 NS_ERR_HOST_UNREACHABLE);
	assert_int_equal(st(f)->drop[NS_DROP_NEIGH_FAILED], 1);
}

static void test_answer_inside_request(void **state)
{
	struct fixture *f = *state;

	/* A resolver whose answer arrives before its request returns (two stacks wired in
	 * memory): the packet must still go out, once. */
	answer_now = true;
	assert_int_equal(out(f, "192.0.2.9", 1), NS_OK);
	expect_frame(f, &peer_mac, 1);
	assert_int_equal(ns_channel_pending(f->link), 0);
	assert_true(ns_stack_next_deadline(f->s) == T0 + R(f));
}

static void test_table_bound(void **state)
{
	struct fixture *f = *state;
	struct ns_addr a = A("192.0.2.10"), b = A("192.0.2.11"), c = A("192.0.2.12");
	struct ns_mac m;

	/* Two resolving entries fill the table: a third destination evicts the oldest
	 * INCOMPLETE one, whose packet fails as a failed resolution does. (This used to be
	 * refused, which let spoofed sources we answer fill the table and lock out every
	 * legitimate neighbor.) */
	out(f, "192.0.2.20", 1);
	out(f, "192.0.2.21", 2);
	assert_int_equal(out(f, "192.0.2.22", 3), NS_OK);
	assert_int_equal(nfailed, 1);
	assert_int_equal(failed_mark[0], 1);
	assert_int_equal(st(f)->drop[NS_DROP_NO_MEMORY], 0);
	assert_int_equal(nreq, 3);
	run_until(f, T0 + 3 * NS_SEC); /* the other two fail and go */
	assert_int_equal(nfailed, 3);

	/* STALE entries make room, oldest first. */
	ns_neigh_update(f->s, f->nic, &a, &peer_mac, NS_NEIGH_CREATE);
	ns_neigh_update(f->s, f->nic, &b, &peer_mac, NS_NEIGH_CREATE);
	ns_neigh_update(f->s, f->nic, &c, &peer_mac, NS_NEIGH_CREATE);
	assert_false(ns_stack_neighbor(f->s, NIC, &a, &m));
	assert_true(ns_stack_neighbor(f->s, NIC, &b, &m));
	assert_true(ns_stack_neighbor(f->s, NIC, &c, &m));
	assert_int_equal(out(f, "192.0.2.23", 4), NS_OK);
	assert_false(ns_stack_neighbor(f->s, NIC, &b, &m));
	/* Static entries may exceed the bound. */
	assert_int_equal(ns_stack_add_static_neighbor(f->s, NIC, &a, &peer_mac), NS_OK);
	assert_true(ns_stack_neighbor(f->s, NIC, &a, &m));
}

static void test_many_entries(void **state)
{
	struct fixture *f = *state;
	char buf[32];

	/* Enough entries to grow the table; every one stays findable; the NIC's removal
	 * (stack free) releases queued packets and timers. */
	for (int i = 0; i < 600; i++) {
		snprintf(buf, sizeof(buf), "198.51.%d.%d", i / 200, i % 200 + 1);
		struct ns_addr a = A(buf);

		ns_neigh_update(f->s, f->nic, &a, &peer_mac, NS_NEIGH_CREATE);
		out(f, buf, (uint8_t)i); /* DELAY: goes out */
		expect_frame(f, &peer_mac, (uint8_t)i);
	}
	for (int i = 0; i < 600; i++) {
		snprintf(buf, sizeof(buf), "198.51.%d.%d", i / 200, i % 200 + 1);
		struct ns_addr a = A(buf);

		assert_true(ns_stack_neighbor(f->s, NIC, &a, NULL));
	}
	out(f, "192.0.2.99", 1); /* left queued for the teardown */
}

/* ---- review regressions ---- */

static void test_update_without_override_only_demotes(void **state)
{
	struct fixture *f = *state;
	struct ns_addr target = A("192.0.2.9");
	const struct ns_mac other = {{0x02, 0, 0, 0, 0, 0x42}};
	struct ns_mac m;

	out(f, "192.0.2.9", 1);
	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_SOLICITED);
	expect_frame(f, &peer_mac, 1);
	assert_true(ns_stack_next_deadline(f->s) == T0 + R(f)); /* REACHABLE */
	/* RFC 4861 7.2.5: no Override, another address: REACHABLE -> STALE, address kept
	 * (this used to replace it). */
	f->vc.now = T0 + NS_SEC;
	ns_neigh_update(f->s, f->nic, &target, &other, 0);
	assert_true(ns_stack_neighbor(f->s, NIC, &target, &m));
	assert_memory_equal(m.b, peer_mac.b, 6);
	assert_true(ns_stack_next_deadline(f->s) == T0 + NS_SEC + 60 * NS_SEC); /* STALE gc */
	/* In any other state it is ignored altogether. */
	ns_neigh_update(f->s, f->nic, &target, &other, NS_NEIGH_SOLICITED);
	assert_true(ns_stack_neighbor(f->s, NIC, &target, &m));
	assert_memory_equal(m.b, peer_mac.b, 6);
	assert_true(ns_stack_next_deadline(f->s) == T0 + NS_SEC + 60 * NS_SEC);
	/* With Override it is replaced; unsolicited, so STALE. */
	f->vc.now = T0 + 2 * NS_SEC;
	ns_neigh_update(f->s, f->nic, &target, &other, NS_NEIGH_OVERRIDE);
	assert_true(ns_stack_neighbor(f->s, NIC, &target, &m));
	assert_memory_equal(m.b, other.b, 6);
	assert_true(ns_stack_next_deadline(f->s) == T0 + 2 * NS_SEC + 60 * NS_SEC);
	/* The same address, unsolicited: nothing changes; solicited: REACHABLE. */
	ns_neigh_update(f->s, f->nic, &target, &other, 0);
	assert_true(ns_stack_next_deadline(f->s) == T0 + 2 * NS_SEC + 60 * NS_SEC);
	ns_neigh_update(f->s, f->nic, &target, &other, NS_NEIGH_SOLICITED);
	assert_true(ns_stack_next_deadline(f->s) == T0 + 2 * NS_SEC + R(f));
	assert_int_equal(nreq, 1);
}

static uint64_t reachable_for_seed(uint64_t seed)
{
	struct ns_vclock vc;
	struct ns_stack_config cfg;
	struct ns_channel_config cc = {.header = NS_LINK_HDR_ETHERNET,
	                               .caps = NS_CAP_RESOLUTION_REQUIRED};
	struct ns_stack *s;
	struct ns_link *l;
	uint64_t r;

	ns_vclock_init(&vc, T0);
	ns_stack_config_init(&cfg);
	cfg.clock = &vc.base;
	cfg.seed = seed;
	cfg.netprotos[0] = &fake_net;
	cfg.netprotos[1] = &fake_res;
	assert_int_equal(ns_stack_new(&cfg, &s), NS_OK);
	l = ns_channel_new(&cc);
	assert_int_equal(ns_stack_add_nic(s, NIC, l, "eth0"), NS_OK);
	r = neigh_reachable_time(ns_nic_find(s, NIC)->neigh);
	ns_stack_free(s);
	ns_link_destroy(l);
	return r;
}

static void test_reachable_time_randomised(void **state)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	(void)state;
	/* RFC 4861 6.3.2: uniformly between 0.5 and 1.5 times the base (30 s), per NIC. */
	for (uint64_t seed = 1; seed <= 40; seed++) {
		uint64_t r = reachable_for_seed(seed);

		assert_true(r >= 15 * NS_SEC && r <= 45 * NS_SEC);
		lo = r < lo ? r : lo;
		hi = r > hi ? r : hi;
	}
	assert_true(hi - lo > 10 * NS_SEC); /* spread out, not one fixed value */
}

static void test_reachable_time_redrawn_after_a_while(void **state)
{
	struct fixture *f = *state;
	struct ns_addr target = A("192.0.2.9");
	const uint64_t r0 = R(f);

	out(f, "192.0.2.9", 1);
	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_SOLICITED);
	expect_frame(f, &peer_mac, 1);
	/* Linux redraws every 300 s (RFC 4861 6.3.4: "at least every few hours"). */
	run_until(f, T0 + 301 * NS_SEC); /* the entry has long been collected */
	out(f, "192.0.2.9", 2);
	ns_neigh_update(f->s, f->nic, &target, &peer_mac, NS_NEIGH_SOLICITED);
	expect_frame(f, &peer_mac, 2);
	const uint64_t r1 = R(f);
	assert_true(r1 != r0);
	assert_true(ns_stack_next_deadline(f->s) == T0 + 301 * NS_SEC + r1);
}

static void test_full_table_evicts_oldest_incomplete_and_fails_its_queue(void **state)
{
	struct fixture *f = *state;
	struct ns_addr a = A("192.0.2.20"), c = A("192.0.2.22");
	struct ns_mac m;

	out(f, "192.0.2.20", 1);
	out(f, "192.0.2.20", 2);
	f->vc.now = T0 + 100;
	out(f, "192.0.2.21", 3);
	/* Full of INCOMPLETE entries: the oldest (for .20) goes, its two packets fail. */
	assert_int_equal(out(f, "192.0.2.22", 4), NS_OK);
	assert_int_equal(nfailed, 2);
	assert_int_equal(failed_mark[0], 1);
	assert_int_equal(failed_mark[1], 2);
	assert_int_equal(st(f)->stat[NS_STAT_NEIGH_FAILED], 1);
	/* The new entry resolves normally. */
	ns_neigh_update(f->s, f->nic, &c, &peer_mac, NS_NEIGH_SOLICITED);
	expect_frame(f, &peer_mac, 4);
	assert_true(ns_stack_neighbor(f->s, NIC, &c, &m));
	/* A learnt (unsolicited) mapping never evicts pending resolutions. */
	ns_neigh_update(f->s, f->nic, &a, &peer_mac, NS_NEIGH_CREATE);
	assert_false(ns_stack_neighbor(f->s, NIC, &a, &m));
	assert_int_equal(nfailed, 2);
}

static void test_full_table_without_evictable_entry_refuses(void **state)
{
	struct fixture *f = *state;
	struct ns_addr a = A("192.0.2.20"), b = A("192.0.2.21");

	out(f, "192.0.2.20", 1);
	out(f, "192.0.2.21", 2);
	ns_neigh_update(f->s, f->nic, &a, &peer_mac, NS_NEIGH_SOLICITED);
	ns_neigh_update(f->s, f->nic, &b, &peer_mac, NS_NEIGH_SOLICITED);
	expect_frame(f, &peer_mac, 1);
	expect_frame(f, &peer_mac, 2);
	/* Both REACHABLE, in use: a third destination cannot even be queued, and the sender
	 * hears it (ENOBUFS, as Linux's neighbor table overflow). */
	assert_int_equal(out(f, "192.0.2.22", 3), NS_ERR_NO_BUFFER_SPACE);
	assert_int_equal(st(f)->drop[NS_DROP_NO_MEMORY], 1);
	assert_int_equal(nreq, 2);
}

static void test_shared_packet_is_copied_not_changed(void **state)
{
	struct fixture *f = *state;
	struct ns_addr nh = A("192.0.2.9"), local = A("192.0.2.1");
	struct ns_pkt *p = mk(7, NET);
	uint32_t head = p->head, len = p->len;

	/* A sender that keeps a reference to what it sends: the cache queues (and later the
	 * link pushes a header into) a private copy, never the shared packet. */
	ns_pkt_ref(p);
	assert_int_equal(ns_nic_output(f->s, f->nic, &nh, &local, p), NS_OK);
	assert_int_equal(p->refcnt, 1);
	assert_null(p->next);
	assert_int_equal(p->head, head);
	assert_int_equal(p->len, len);
	ns_neigh_update(f->s, f->nic, &nh, &peer_mac, NS_NEIGH_SOLICITED);
	expect_frame(f, &peer_mac, 7);
	ns_pkt_ref(p);
	assert_int_equal(ns_nic_output(f->s, f->nic, &nh, &local, p), NS_OK);
	expect_frame(f, &peer_mac, 7);
	assert_int_equal(p->head, head);
	assert_int_equal(p->len, len);
	assert_int_equal(ns_pkt_data(p)[0], 7);
	ns_pkt_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_queue_retry_fail, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_request_source_defaults_to_primary, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_fail_without_hook_drops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_flushes_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_bound_drops_oldest, setup_q4, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_byte_bound_drops_oldest, setup_bytes3,
	                                    teardown),
	    cmocka_unit_test(test_total_bound_default),
	    cmocka_unit_test_setup_teardown(test_total_bound_drops_oldest_anywhere, setup_total4,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_total_bound_across_nics, setup_total4, teardown),
	    cmocka_unit_test_setup_teardown(test_total_bound_matches_model, setup_total4, teardown),
	    cmocka_unit_test_setup_teardown(test_unsolicited_resolves_to_stale, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unsolicited_with_empty_queue_stays_stale, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_expiry_cycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_confirm_in_delay_avoids_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mac_change_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_static, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broadcast_multicast_mapping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_resolution_link, setup_noresolve, teardown),
	    cmocka_unit_test_setup_teardown(test_no_resolver, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_answer_inside_request, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_table_bound, setup_max2, teardown),
	    cmocka_unit_test_setup_teardown(test_many_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_without_override_only_demotes, setup,
	                                    teardown),
	    cmocka_unit_test(test_reachable_time_randomised),
	    cmocka_unit_test_setup_teardown(test_reachable_time_redrawn_after_a_while, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_full_table_evicts_oldest_incomplete_and_fails_its_queue, setup_max2, teardown),
	    cmocka_unit_test_setup_teardown(test_full_table_without_evictable_entry_refuses,
	                                    setup_max2, teardown),
	    cmocka_unit_test_setup_teardown(test_shared_packet_is_copied_not_changed, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
