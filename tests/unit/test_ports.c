/* SPDX-License-Identifier: MIT */
/* Port reservations and RFC 6056 ephemeral port selection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netstack/clock.h"
#include "netstack/endpoint.h"
#include "netstack/pkt.h"
#include "netstack/proto.h"
#include "netstack/stack.h"

struct fixture {
	struct ns_vclock vc;
	struct ns_stack *s;
	int64_t live;
};

static int make(void **state, uint16_t lo, uint16_t hi)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ns_stack_config cfg;

	ns_vclock_init(&f->vc, NS_SEC);
	ns_stack_config_init(&cfg);
	cfg.clock = &f->vc.base;
	cfg.seed = 99;
	if (lo) {
		cfg.ephemeral_lo = lo;
		cfg.ephemeral_hi = hi;
	}
	assert_int_equal(ns_stack_new(&cfg, &f->s), NS_OK);
	f->live = ns_pkt_live();
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return make(state, 0, 0);
}

static int setup_tiny(void **state)
{
	return make(state, 40000, 40003);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ns_stack_free(f->s); /* frees reservations still held */
	assert_int_equal(ns_pkt_live(), f->live);
	free(f);
	return 0;
}

static struct ns_addr A(const char *s) {
	struct ns_addr a;

	assert_true(ns_addr_parse(s, &a));
	return a;
}

#define TCP NS_IPPROTO_TCP
#define UDP NS_IPPROTO_UDP
static const struct ns_addr any4 = {.family = NS_AF_INET};
static const struct ns_addr any6 = {.family = NS_AF_INET6};
static int o1, o2, o3; /* owners */

static void test_conflicts(void **state)
{
	struct fixture *f = *state;
	struct ns_stack *s = f->s;
	struct ns_addr a1 = A("192.0.2.1"), a2 = A("192.0.2.2"), v6 = A("2001:db8::1");

	assert_int_equal(ns_ports_reserve(s, TCP, &a1, 80, 0, &o1), NS_OK);
	/* Same address: conflict; another address or protocol or port: fine. */
	assert_int_equal(ns_ports_reserve(s, TCP, &a1, 80, 0, &o2), NS_ERR_PORT_IN_USE);
	assert_int_equal(ns_ports_reserve(s, TCP, &a2, 80, 0, &o2), NS_OK);
	assert_int_equal(ns_ports_reserve(s, UDP, &a1, 80, 0, &o2), NS_OK);
	assert_int_equal(ns_ports_reserve(s, TCP, &a1, 81, 0, &o2), NS_OK);
	/* The wildcard overlaps every IPv4 address, in both directions. */
	assert_int_equal(ns_ports_reserve(s, TCP, &any4, 80, 0, &o3), NS_ERR_PORT_IN_USE);
	assert_int_equal(ns_ports_reserve(s, TCP, &any4, 82, 0, &o3), NS_OK);
	assert_int_equal(ns_ports_reserve(s, TCP, &a1, 82, 0, &o1), NS_ERR_PORT_IN_USE);
	/* IPv6 does not conflict with IPv4, not even wildcards. */
	assert_int_equal(ns_ports_reserve(s, TCP, &any6, 82, 0, &o3), NS_OK);
	assert_int_equal(ns_ports_reserve(s, TCP, &v6, 80, 0, &o3), NS_OK);
	assert_int_equal(ns_ports_reserve(s, TCP, &v6, 82, 0, &o1), NS_ERR_PORT_IN_USE);
	/* A NULL address means every address of every family. */
	assert_int_equal(ns_ports_reserve(s, TCP, NULL, 82, 0, &o1), NS_ERR_PORT_IN_USE);
	assert_int_equal(ns_ports_reserve(s, TCP, NULL, 83, 0, &o1), NS_OK);
	assert_int_equal(ns_ports_reserve(s, TCP, &v6, 83, 0, &o2), NS_ERR_PORT_IN_USE);
	/* Port 0 is not a port. */
	assert_int_equal(ns_ports_reserve(s, TCP, &a1, 0, 0, &o1), NS_ERR_INVALID_ARGUMENT);

	/* Release needs the same owner and address. */
	ns_ports_release(s, TCP, &a1, 80, &o2);
	assert_int_equal(ns_ports_reserve(s, TCP, &a1, 80, 0, &o2), NS_ERR_PORT_IN_USE);
	ns_ports_release(s, TCP, &a1, 80, &o1);
	assert_int_equal(ns_ports_reserve(s, TCP, &any4, 80, 0, &o3), NS_ERR_PORT_IN_USE);
	ns_ports_release(s, TCP, &a2, 80, &o2);
	assert_int_equal(ns_ports_reserve(s, TCP, &any4, 80, 0, &o3), NS_OK);
	ns_ports_release(s, TCP, NULL, 83, &o1);
	assert_int_equal(ns_ports_reserve(s, TCP, &v6, 83, 0, &o2), NS_OK);
}

static void test_reuse_flags(void **state)
{
	struct fixture *f = *state;
	struct ns_stack *s = f->s;
	struct ns_addr a1 = A("192.0.2.1");

	/* REUSEADDR on both: shared, including wildcard over specific. */
	assert_int_equal(ns_ports_reserve(s, UDP, &any4, 5353, NS_TEP_REUSEADDR, &o1), NS_OK);
	assert_int_equal(ns_ports_reserve(s, UDP, &any4, 5353, NS_TEP_REUSEADDR, &o2), NS_OK);
	assert_int_equal(ns_ports_reserve(s, UDP, &a1, 5353, NS_TEP_REUSEADDR, &o3), NS_OK);
	/* A newcomer without it conflicts with all of them. */
	assert_int_equal(ns_ports_reserve(s, UDP, &a1, 5353, 0, &o3), NS_ERR_PORT_IN_USE);
	assert_int_equal(ns_ports_reserve(s, UDP, &a1, 5353, NS_TEP_REUSEPORT, &o3),
	                 NS_ERR_PORT_IN_USE);

	/* REUSEPORT on both: shared. */
	assert_int_equal(ns_ports_reserve(s, TCP, &a1, 443, NS_TEP_REUSEPORT, &o1), NS_OK);
	assert_int_equal(ns_ports_reserve(s, TCP, &a1, 443, NS_TEP_REUSEPORT, &o2), NS_OK);
	assert_int_equal(ns_ports_reserve(s, TCP, &any4, 443, NS_TEP_REUSEPORT, &o3), NS_OK);
	assert_int_equal(ns_ports_reserve(s, TCP, &a1, 443, NS_TEP_REUSEADDR, &o3),
	                 NS_ERR_PORT_IN_USE);
	/* Mixed: one flag in common is enough for that pair. */
	assert_int_equal(
	    ns_ports_reserve(s, TCP, &a1, 444, NS_TEP_REUSEPORT | NS_TEP_REUSEADDR, &o1), NS_OK);
	assert_int_equal(ns_ports_reserve(s, TCP, &a1, 444, NS_TEP_REUSEADDR, &o2), NS_OK);
	assert_int_equal(ns_ports_reserve(s, TCP, &a1, 444, NS_TEP_REUSEPORT, &o3),
	                 NS_ERR_PORT_IN_USE); /* conflicts with o2's */
}

static void test_ephemeral_distinct_in_range(void **state)
{
	struct fixture *f = *state;
	const struct ns_stack_config *cfg = ns_stack_config(f->s);
	uint32_t num = (uint32_t)cfg->ephemeral_hi - cfg->ephemeral_lo + 1;
	static uint8_t used[65536];
	struct ns_addr l = A("192.0.2.1"), r = A("198.51.100.1");
	uint16_t port;

	memset(used, 0, sizeof(used));
	/* Take every port of the range for one destination: all distinct, all in range. */
	for (uint32_t i = 0; i < num; i++) {
		assert_int_equal(ns_ports_pick_ephemeral(f->s, TCP, &l, &r, 80, 0, &o1, &port),
		                 NS_OK);
		assert_true(port >= cfg->ephemeral_lo && port <= cfg->ephemeral_hi);
		assert_int_equal(used[port], 0);
		used[port] = 1;
	}
	assert_int_equal(ns_ports_pick_ephemeral(f->s, TCP, &l, &r, 80, 0, &o1, &port),
	                 NS_ERR_NO_PORT_AVAILABLE);
	/* Another protocol has its own ports. */
	assert_int_equal(ns_ports_pick_ephemeral(f->s, UDP, &l, &r, 80, 0, &o1, &port), NS_OK);
}

static void test_ephemeral_tiny_range(void **state)
{
	struct fixture *f = *state;
	struct ns_addr l = A("192.0.2.1"), r = A("198.51.100.1");
	uint16_t port, got[4];

	/* A port taken by a bind is skipped. */
	assert_int_equal(ns_ports_reserve(f->s, TCP, &any4, 40002, 0, &o2), NS_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ns_ports_pick_ephemeral(f->s, TCP, &l, &r, 80, 0, &o1, &got[i]),
		                 NS_OK);
		assert_true(got[i] >= 40000 && got[i] <= 40003 && got[i] != 40002);
		for (int j = 0; j < i; j++)
			assert_true(got[i] != got[j]);
	}
	assert_int_equal(ns_ports_pick_ephemeral(f->s, TCP, &l, &r, 80, 0, &o1, &port),
	                 NS_ERR_NO_PORT_AVAILABLE);
	/* Unspecified peer and local address work the same way. */
	assert_int_equal(ns_ports_pick_ephemeral(f->s, TCP, NULL, &any4, 0, 0, &o1, &port),
	                 NS_ERR_NO_PORT_AVAILABLE);
	/* Release one: it comes back. */
	ns_ports_release(f->s, TCP, &l, got[1], &o1);
	assert_int_equal(ns_ports_pick_ephemeral(f->s, TCP, &l, &r, 80, 0, &o1, &port), NS_OK);
	assert_int_equal(port, got[1]);
	/* REUSEADDR picks may share with REUSEADDR reservations. */
	assert_int_equal(
	    ns_ports_pick_ephemeral(f->s, UDP, &l, &r, 53, NS_TEP_REUSEADDR, &o1, &port), NS_OK);
}

static void test_ephemeral_destinations_differ(void **state)
{
	struct fixture *f = *state;
	struct ns_addr l = A("192.0.2.1");
	uint16_t first[20], again;
	int distinct = 0;
	char buf[32];

	for (int i = 0; i < 20; i++) {
		snprintf(buf, sizeof(buf), "198.51.100.%d", i + 1);
		struct ns_addr r = A(buf);

		assert_int_equal(ns_ports_pick_ephemeral(f->s, TCP, &l, &r, 443, 0, &o1, &first[i]),
		                 NS_OK);
	}
	for (int i = 0; i < 20; i++) {
		bool dup = false;

		for (int j = 0; j < i; j++)
			dup = dup || first[j] == first[i];
		distinct += !dup;
	}
	/* 20 starting points scattered over ~28000 ports. */
	assert_true(distinct >= 18);
	/* The same destination walks on from its own start: the next pick is the next port. */
	struct ns_addr r0 = A("198.51.100.1");
	assert_int_equal(ns_ports_pick_ephemeral(f->s, TCP, &l, &r0, 443, 0, &o1, &again), NS_OK);
	const struct ns_stack_config *cfg = ns_stack_config(f->s);
	uint16_t expect = first[0] == cfg->ephemeral_hi ? cfg->ephemeral_lo : first[0] + 1;
	assert_int_equal(again, expect);
}

static void test_ephemeral_deterministic_per_seed(void **state)
{
	struct fixture *f = *state;
	void *other;
	struct ns_addr l = A("192.0.2.1"), r = A("198.51.100.1");
	uint16_t p1, p2;

	/* Same seed, same destination: same port (repeatable tests). */
	assert_int_equal(ns_ports_pick_ephemeral(f->s, TCP, &l, &r, 80, 0, &o1, &p1), NS_OK);
	make(&other, 0, 0);
	struct fixture *g = other;
	assert_int_equal(ns_ports_pick_ephemeral(g->s, TCP, &l, &r, 80, 0, &o1, &p2), NS_OK);
	assert_int_equal(p1, p2);
	teardown(&other);
}

static void test_ephemeral_without_peer_is_random(void **state)
{
	struct fixture *f = *state;
	const struct ns_stack_config *cfg = ns_stack_config(f->s);
	uint16_t got[50];
	int near = 0;

	/* RFC 6056 3.3.1 (no peer: NULL remote): a random start each time, not a sequence
	 * shared by every unconnected endpoint. */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(ns_ports_pick_ephemeral(f->s, UDP, NULL, NULL, 0, 0, &o1, &got[i]),
		                 NS_OK);
		assert_true(got[i] >= cfg->ephemeral_lo && got[i] <= cfg->ephemeral_hi);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(got[i], got[j]);
		if (i > 0 && (uint16_t)(got[i] - got[i - 1]) <= 8)
			near++;
	}
	assert_true(near < 3);
	/* A peer (even the unspecified one a stream bind passes) keeps Algorithm 4: the same
	 * destination walks on sequentially. */
	struct ns_addr l = A("192.0.2.1"), r = A("198.51.100.1");
	uint16_t p1, p2;
	assert_int_equal(ns_ports_pick_ephemeral(f->s, TCP, &l, &r, 80, 0, &o1, &p1), NS_OK);
	assert_int_equal(ns_ports_pick_ephemeral(f->s, TCP, &l, &r, 80, 0, &o1, &p2), NS_OK);
	assert_int_equal(p2, p1 == cfg->ephemeral_hi ? cfg->ephemeral_lo : p1 + 1);
}

static void test_ephemeral_without_peer_skips_taken_ports(void **state)
{
	struct fixture *f = *state;
	uint16_t port, got[3];

	/* Tiny range 40000..40003 with 40002 bound: the random walk finds the rest, then
	 * reports exhaustion. */
	assert_int_equal(ns_ports_reserve(f->s, UDP, &any4, 40002, 0, &o2), NS_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ns_ports_pick_ephemeral(f->s, UDP, NULL, NULL, 0, 0, &o1, &got[i]),
		                 NS_OK);
		assert_true(got[i] >= 40000 && got[i] <= 40003 && got[i] != 40002);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(got[i], got[j]);
	}
	assert_int_equal(ns_ports_pick_ephemeral(f->s, UDP, NULL, NULL, 0, 0, &o1, &port),
	                 NS_ERR_NO_PORT_AVAILABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_conflicts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reuse_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ephemeral_distinct_in_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ephemeral_tiny_range, setup_tiny, teardown),
	    cmocka_unit_test_setup_teardown(test_ephemeral_destinations_differ, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ephemeral_deterministic_per_seed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ephemeral_without_peer_is_random, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ephemeral_without_peer_skips_taken_ports,
	                                    setup_tiny, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
