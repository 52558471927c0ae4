/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: unit tests of the path MTU cache (route.c, ns_route_pmtu_update()).
 *
 * A stack with fake IPv4 and IPv6 network protocols (they only announce their header
 * sizes) on a fake link of MTU 9000 and a virtual clock, a default route each way. The tests
 * lower path MTUs and read them back through ns_route_find(): only ever lowered, the floors
 * (552 for IPv4 as Linux's min_pmtu, 1280 for IPv6 per RFC 8201), per destination, never for
 * local, broadcast or multicast destinations, expiry after pmtu_expires_ns with the
 * generation bumped, and the bound on the table under many destinations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "netstack/netstack.h"
#include "netstack/proto.h"

static uint32_t fl_mtu(struct ns_link *l)
{
	(void)l;
	return 9000;
}
static uint32_t fl_caps(struct ns_link *l)
{
	(void)l;
	return 0;
}
static uint16_t fl_hdr(struct ns_link *l)
{
	(void)l;
	return 14;
}
static void fl_attach(struct ns_link *l, struct ns_link_dispatcher *d)
{
	l->disp = d;
}
static int fl_write(struct ns_link *l, struct ns_pkt **pkts, int n)
{
	(void)l;
	for (int i = 0; i < n; i++)
		ns_pkt_free(pkts[i]);
	return n;
}

static const struct ns_link_ops fake_link_ops = {
    .kind = "fake",
    .mtu = fl_mtu,
    .caps = fl_caps,
    .max_header_len = fl_hdr,
    .attach = fl_attach,
    .write = fl_write,
};
static const struct ns_netproto_ops fake_ipv4 = {
    .name = "fake-ipv4", .number = 0x0800, .family = NS_AF_INET, .max_header_len = 20};
static const struct ns_netproto_ops fake_ipv6 = {
    .name = "fake-ipv6", .number = 0x86dd, .family = NS_AF_INET6, .max_header_len = 40};

static struct ns_vclock vclock;
static struct ns_link link;
static struct ns_stack *s;

static struct ns_addr ad(const char *text)
{
	struct ns_addr r;

	assert_true(ns_addr_parse(text, &r));
	return r;
}

static int setup(void **state)
{
	struct ns_stack_config cfg;
	struct ns_subnet a4, a6;
	struct ns_route_entry r4 = {.nic = 1}, r6 = {.nic = 1};

	(void)state;
	ns_stack_config_init(&cfg);
	ns_vclock_init(&vclock, NS_SEC);
	cfg.clock = &vclock.base;
	cfg.seed = 11;
	cfg.netprotos[0] = &fake_ipv4;
	cfg.netprotos[1] = &fake_ipv6;
	assert_int_equal(ns_stack_new(&cfg, &s), NS_OK);
	memset(&link, 0, sizeof(link));
	link.ops = &fake_link_ops;
	assert_int_equal(ns_stack_add_nic(s, 1, &link, NULL), NS_OK);
	assert_true(ns_subnet_parse("192.0.2.2/24", &a4));
	assert_true(ns_subnet_parse("2001:db8::2/64", &a6));
	assert_int_equal(ns_stack_add_address(s, 1, &a4), NS_OK);
	assert_int_equal(ns_stack_add_address(s, 1, &a6), NS_OK);
	assert_true(ns_subnet_parse("0.0.0.0/0", &r4.dest));
	r4.gateway = ad("192.0.2.1");
	assert_true(ns_subnet_parse("::/0", &r6.dest));
	r6.gateway = ad("2001:db8::1");
	assert_int_equal(ns_stack_add_route(s, &r4), NS_OK);
	assert_int_equal(ns_stack_add_route(s, &r6), NS_OK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ns_stack_free(s);
	s = NULL;
	return 0;
}

static uint32_t mtu_to(const char *dst)
{
	struct ns_route r;
	struct ns_addr a = ad(dst);

	assert_int_equal(ns_route_find(s, 0, NULL, &a, &r), NS_OK);
	return r.mtu;
}

static void update(const char *dst, uint32_t mtu)
{
	struct ns_addr a = ad(dst);

	ns_route_pmtu_update(s, &a, mtu);
}

static uint64_t updates(void)
{
	return ns_stack_stats(s)->stat[NS_STAT_PMTU_UPDATES];
}

/* Lowered per destination, never raised by a message (RFC 1191 6.3), the generation bumped
 * on every change. */
static void lowered_per_destination_only(void **state)
{
	uint32_t gen = ns_stack_generation(s);

	(void)state;
	assert_int_equal(mtu_to("198.51.100.7"), 9000);
	update("198.51.100.7", 4000);
	assert_int_equal(mtu_to("198.51.100.7"), 4000);
	assert_int_equal(mtu_to("198.51.100.8"), 9000);
	assert_true(ns_stack_generation(s) != gen);
	gen = ns_stack_generation(s);
	update("198.51.100.7", 6000); /* higher: ignored */
	update("198.51.100.7", 9500); /* above the link: ignored */
	assert_int_equal(mtu_to("198.51.100.7"), 4000);
	assert_int_equal(ns_stack_generation(s), gen);
	update("198.51.100.7", 1500);
	assert_int_equal(mtu_to("198.51.100.7"), 1500);
	assert_int_equal(updates(), 2);
	/* An address written with stray bytes behind its four is the same destination. */
	struct ns_addr odd = ad("198.51.100.7");
	odd.a[9] = 0x55;
	ns_route_pmtu_update(s, &odd, 1400);
	assert_int_equal(mtu_to("198.51.100.7"), 1400);
}

/* The floors: IPv4 552 (Linux's min_pmtu), IPv6 1280 (RFC 8201 4). */
static void floors(void **state)
{
	(void)state;
	update("198.51.100.7", 68);
	assert_int_equal(mtu_to("198.51.100.7"), 552);
	update("198.51.100.8", 0);
	assert_int_equal(mtu_to("198.51.100.8"), 552);
	update("2001:db8:1::7", 1000);
	assert_int_equal(mtu_to("2001:db8:1::7"), 1280);
	update("2001:db8:1::8", 1400);
	assert_int_equal(mtu_to("2001:db8:1::8"), 1400);
}

/* Our own addresses, broadcasts and multicast are not paths. */
static void local_and_group_destinations_untouched(void **state)
{
	(void)state;
	update("192.0.2.2", 1000);
	update("255.255.255.255", 1000);
	update("192.0.2.255", 1000);
	update("224.0.0.9", 1000);
	update("ff02::1", 1400);
	assert_int_equal(updates(), 0);
	assert_int_equal(mtu_to("192.0.2.2"), 9000);
	assert_int_equal(mtu_to("224.0.0.9"), 9000);
}

/* RFC 1191 6.3 / Linux's mtu_expires: 10 minutes after it was lowered, the link MTU again,
 * and the generation moves so cached routes notice. */
static void expires_after_ten_minutes(void **state)
{
	uint32_t gen;

	(void)state;
	update("198.51.100.7", 2000);
	vclock.now += 300 * NS_SEC;
	ns_stack_poll(s);
	update("2001:db8:1::7", 2000);
	gen = ns_stack_generation(s);
	vclock.now += 300 * NS_SEC - 1;
	ns_stack_poll(s);
	assert_int_equal(mtu_to("198.51.100.7"), 2000);
	vclock.now += 1;
	ns_stack_poll(s);
	assert_int_equal(mtu_to("198.51.100.7"), 9000);
	assert_int_equal(mtu_to("2001:db8:1::7"), 2000);
	assert_true(ns_stack_generation(s) != gen);
	vclock.now += 300 * NS_SEC;
	ns_stack_poll(s);
	assert_int_equal(mtu_to("2001:db8:1::7"), 9000);
	assert_int_equal(ns_stack_next_deadline(s), UINT64_MAX);
}

/* The table is bounded (1024 entries): 5000 destinations later, at most 1024 remember a
 * lowered MTU, the most recent among them. */
static void bounded_under_many_destinations(void **state)
{
	char name[64];
	uint32_t kept = 0;

	(void)state;
	for (uint32_t i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "2001:db8:%x::%x", i / 256 + 1, i % 256 + 1);
		update(name, 1500);
		vclock.now += NS_MSEC; /* later ones expire later: the oldest make way */
	}
	for (uint32_t i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "2001:db8:%x::%x", i / 256 + 1, i % 256 + 1);
		kept += mtu_to(name) == 1500;
	}
	assert_true(kept <= 1024);
	assert_true(kept > 512);
	assert_int_equal(mtu_to("2001:db8:14::88"), 1500); /* the last one, i = 4999 */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(lowered_per_destination_only),           T(floors),
	    T(local_and_group_destinations_untouched), T(expires_after_ten_minutes),
	    T(bounded_under_many_destinations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
