/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: unit tests of the route table and ns_route_find() (route.c).
 *
 * A stack with fake IPv4 and IPv6 network protocols (they only announce their header
 * sizes) and fake links with different MTUs and header lengths; the tests add addresses and
 * routes and check every field of the resolved route: longest prefix and metric, default
 * routes, the NIC filter, connected subnets (RFC 1122 3.3.1.1), local, broadcast and
 * multicast destinations, and source address selection, spoofing included. Every test frees
 * its stack and checks that no packet is left allocated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "core/core.h"
#include "netstack/stack.h"

/* ---------------------------------------------------------------- fakes */

struct fake_link {
	struct ns_link base;
	uint32_t mtu, caps;
	uint16_t hdr_len;
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
static void fl_attach(struct ns_link *l, struct ns_link_dispatcher *d)
{
	l->disp = d;
}
static int fl_write(struct ns_link *l, struct ns_pkt **pkts, int n)
{
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
    .name = "fake-ipv4",
    .number = 0x0800,
    .family = NS_AF_INET,
    .max_header_len = 60,
};
static const struct ns_netproto_ops fake_ipv6 = {
    .name = "fake-ipv6",
    .number = 0x86dd,
    .family = NS_AF_INET6,
    .max_header_len = 40,
};

/* ---------------------------------------------------------------- fixture */

static struct ns_vclock vclock;
static struct fake_link links[3];
static int64_t pkts_at_start;

static struct ns_stack *new_stack_n(int nnics, bool with_v6)
{
	struct ns_stack_config cfg;
	struct ns_stack *s = NULL;

	ns_stack_config_init(&cfg);
	ns_vclock_init(&vclock, NS_SEC);
	cfg.clock = &vclock.base;
	cfg.seed = 7;
	cfg.netprotos[0] = &fake_ipv4;
	if (with_v6)
		cfg.netprotos[1] = &fake_ipv6;
	assert_int_equal(ns_stack_new(&cfg, &s), NS_OK);
	for (int i = 0; i < nnics; i++) {
		memset(&links[i], 0, sizeof(links[i]));
		links[i].base.ops = &fake_link_ops;
		links[i].mtu = 1500 + (uint32_t)i * 1000;
		links[i].caps = i == 0 ? NS_CAP_RESOLUTION_REQUIRED : NS_CAP_TX_CSUM_OFFLOAD;
		links[i].hdr_len = i == 0 ? 14 : 0;
		assert_int_equal(ns_stack_add_nic(s, (uint32_t)i + 1, &links[i].base, NULL), NS_OK);
	}
	return s;
}

static struct ns_stack *new_stack(void)
{
	return new_stack_n(2, true);
}

static int setup(void **state)
{
	pkts_at_start = ns_pkt_live();
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(ns_pkt_live(), pkts_at_start);
	return 0;
}

static struct ns_addr ad(const char *text)
{
	struct ns_addr r;

	assert_true(ns_addr_parse(text, &r));
	return r;
}

static struct ns_subnet sn(const char *text)
{
	struct ns_subnet r;

	assert_true(ns_subnet_parse(text, &r));
	return r;
}

static void add_addr(struct ns_stack *s, uint32_t nic, const char *text)
{
	struct ns_subnet a = sn(text);

	assert_int_equal(ns_stack_add_address(s, nic, &a), NS_OK);
}

/* dest, gateway ("" for on-link), nic, metric */
static ns_err add_route(struct ns_stack *s, const char *dest, const char *gw, uint32_t nic,
                        uint32_t metric)
{
	struct ns_route_entry r = {.dest = sn(dest), .nic = nic, .metric = metric};

	if (*gw)
		r.gateway = ad(gw);
	return ns_stack_add_route(s, &r);
}

static ns_err find(struct ns_stack *s, uint32_t nic, const char *local, const char *remote,
                   struct ns_route *r)
{
	struct ns_addr l = {0}, rem = ad(remote);

	if (local)
		l = ad(local);
	return ns_route_find(s, nic, local ? &l : NULL, &rem, r);
}

static void assert_addr(const struct ns_addr *a, const char *text)
{
	struct ns_addr want = ad(text);
	char buf[64];

	if (!ns_addr_eq(a, &want))
		fail_msg("address %s, want %s", ns_addr_format(a, buf, sizeof(buf)), text);
}

/* ---------------------------------------------------------------- table */

static void test_table_order(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_route_entry out[8];

	assert_int_equal(add_route(s, "0.0.0.0/0", "192.0.2.254", 1, 0), NS_OK);
	assert_int_equal(add_route(s, "198.51.100.0/24", "", 2, 10), NS_OK);
	assert_int_equal(add_route(s, "198.0.0.0/8", "", 1, 0), NS_OK);
	assert_int_equal(add_route(s, "198.51.100.0/24", "", 1, 5), NS_OK);
	assert_int_equal(add_route(s, "198.51.100.0/24", "", 1, 10), NS_OK);
	assert_int_equal(add_route(s, "::/0", "2001:db8::ff", 2, 0), NS_OK);

	assert_int_equal(ns_stack_routes(s, out, 8), 6);
	/* Longest prefix first; equal prefixes by metric, then insertion order. */
	assert_int_equal(out[0].dest.prefix, 24);
	assert_int_equal(out[0].metric, 5);
	assert_int_equal(out[1].metric, 10);
	assert_int_equal(out[1].nic, 2);
	assert_int_equal(out[2].metric, 10);
	assert_int_equal(out[2].nic, 1);
	assert_int_equal(out[3].dest.prefix, 8);
	assert_int_equal(out[4].dest.prefix, 0);
	assert_int_equal(out[5].dest.prefix, 0);
	assert_int_equal(ns_stack_routes(s, out, 2), 6);

	/* Removal matches dest, gateway and nic (not metric), host bits ignored. */
	struct ns_route_entry r = {.dest = sn("198.51.100.77/24"), .nic = 1};
	assert_int_equal(ns_stack_remove_route(s, &r), NS_OK);
	assert_int_equal(ns_stack_routes(s, out, 8), 4);
	assert_int_equal(ns_stack_remove_route(s, &r), NS_ERR_NO_ROUTE);
	r.dest = sn("0.0.0.0/0");
	assert_int_equal(ns_stack_remove_route(s, &r), NS_ERR_NO_ROUTE); /* gateway differs */
	r.gateway = ad("192.0.2.254");
	assert_int_equal(ns_stack_remove_route(s, &r), NS_OK);
	assert_int_equal(ns_stack_routes(s, out, 8), 3);
	/* Host bits are cleared when stored. */
	assert_int_equal(add_route(s, "203.0.113.9/24", "", 1, 0), NS_OK);
	ns_stack_routes(s, out, 8);
	assert_addr(&out[0].dest.addr, "203.0.113.0"); /* /24 metric 0 before /24 metric 10 */
	ns_stack_free(s);
}

static void test_table_errors(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_route_entry r = {.dest = sn("192.0.2.0/24"), .nic = 1};

	assert_int_equal(add_route(s, "192.0.2.0/24", "", 9, 0), NS_ERR_UNKNOWN_NIC);
	assert_int_equal(add_route(s, "192.0.2.0/24", "", 0, 0), NS_ERR_UNKNOWN_NIC);
	assert_int_equal(add_route(s, "192.0.2.0/24", "2001:db8::1", 1, 0),
	                 NS_ERR_INVALID_ARGUMENT);
	r.dest.prefix = 33;
	assert_int_equal(ns_stack_add_route(s, &r), NS_ERR_INVALID_ARGUMENT);
	r.dest = (struct ns_subnet){0};
	assert_int_equal(ns_stack_add_route(s, &r), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_stack_add_route(s, NULL), NS_ERR_INVALID_ARGUMENT);

	/* The table is bounded. */
	for (int i = 0; i < NS_MAX_ROUTES; i++) {
		struct ns_route_entry e = {.dest = sn("198.51.0.0/24"), .nic = 1};

		e.dest.addr.a[2] = (uint8_t)i;
		assert_int_equal(ns_stack_add_route(s, &e), NS_OK);
	}
	assert_int_equal(add_route(s, "198.0.0.0/8", "", 1, 0), NS_ERR_NO_BUFFER_SPACE);

	/* Removing a NIC removes its routes. */
	assert_int_equal(ns_stack_remove_nic(s, 1), NS_OK);
	assert_int_equal(ns_stack_routes(s, NULL, 0), 0);
	ns_stack_free(s);
}

/* ---------------------------------------------------------------- lookup */

static void test_longest_prefix_and_metric(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_route r;

	add_addr(s, 1, "192.0.2.1/24");
	add_addr(s, 2, "198.51.100.1/24");
	assert_int_equal(add_route(s, "0.0.0.0/0", "192.0.2.254", 1, 0), NS_OK);
	assert_int_equal(add_route(s, "203.0.113.0/24", "198.51.100.254", 2, 20), NS_OK);
	assert_int_equal(add_route(s, "203.0.113.0/24", "192.0.2.253", 1, 10), NS_OK);
	assert_int_equal(add_route(s, "203.0.113.128/25", "198.51.100.253", 2, 50), NS_OK);

	/* Default route. */
	assert_int_equal(find(s, 0, NULL, "8.8.8.8", &r), NS_OK);
	assert_int_equal(r.nic, 1);
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.netproto, 0x0800);
	assert_addr(&r.remote, "8.8.8.8");
	assert_addr(&r.next_hop, "192.0.2.254");
	assert_addr(&r.local, "192.0.2.1");
	assert_int_equal(r.mtu, 1500);
	assert_int_equal(r.caps, NS_CAP_RESOLUTION_REQUIRED);
	assert_int_equal(r.max_header_len, 14 + 60);

	/* Lower metric among equal prefixes. */
	assert_int_equal(find(s, 0, NULL, "203.0.113.5", &r), NS_OK);
	assert_int_equal(r.nic, 1);
	assert_addr(&r.next_hop, "192.0.2.253");
	/* Longer prefix beats metric. */
	assert_int_equal(find(s, 0, NULL, "203.0.113.200", &r), NS_OK);
	assert_int_equal(r.nic, 2);
	assert_addr(&r.next_hop, "198.51.100.253");
	assert_addr(&r.local, "198.51.100.1");
	assert_int_equal(r.mtu, 2500);
	assert_int_equal(r.caps, NS_CAP_TX_CSUM_OFFLOAD);
	assert_int_equal(r.max_header_len, 60);

	/* NIC filter: only routes through that NIC. */
	assert_int_equal(find(s, 2, NULL, "203.0.113.5", &r), NS_OK);
	assert_int_equal(r.nic, 2);
	assert_addr(&r.next_hop, "198.51.100.254");
	assert_int_equal(find(s, 2, NULL, "8.8.8.8", &r), NS_ERR_NETWORK_UNREACHABLE);
	assert_int_equal(find(s, 7, NULL, "8.8.8.8", &r), NS_ERR_UNKNOWN_NIC);

	/* A NIC that is down is skipped: the next best route wins. */
	assert_int_equal(ns_stack_set_nic_up(s, 2, false), NS_OK);
	assert_int_equal(find(s, 0, NULL, "203.0.113.200", &r), NS_OK);
	assert_int_equal(r.nic, 1);
	assert_addr(&r.next_hop, "192.0.2.253");
	ns_stack_free(s);
}

static void test_connected_and_unreachable(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_route r;

	/* No address, no route. */
	assert_int_equal(find(s, 0, NULL, "192.0.2.7", &r), NS_ERR_NETWORK_UNREACHABLE);
	assert_int_equal(find(s, 0, NULL, "0.0.0.0", &r), NS_ERR_NETWORK_UNREACHABLE);

	/* RFC 1122 3.3.1.1: the subnet of an address is on-link without a route. */
	add_addr(s, 2, "192.0.2.1/24");
	assert_int_equal(find(s, 0, NULL, "192.0.2.7", &r), NS_OK);
	assert_int_equal(r.nic, 2);
	assert_addr(&r.next_hop, "192.0.2.7");
	assert_addr(&r.local, "192.0.2.1");
	assert_int_equal(find(s, 0, NULL, "192.0.3.7", &r), NS_ERR_NETWORK_UNREACHABLE);
	assert_int_equal(find(s, 1, NULL, "192.0.2.7", &r), NS_ERR_NETWORK_UNREACHABLE);

	/* A default route does not take over the connected subnet... */
	assert_int_equal(add_route(s, "0.0.0.0/0", "198.51.100.1", 1, 0), NS_OK);
	assert_int_equal(find(s, 0, NULL, "192.0.2.7", &r), NS_OK);
	assert_int_equal(r.nic, 2);
	/* ...but a more specific route does. */
	assert_int_equal(add_route(s, "192.0.2.0/25", "198.51.100.2", 1, 0), NS_OK);
	assert_int_equal(find(s, 0, NULL, "192.0.2.7", &r), NS_OK);
	assert_int_equal(r.nic, 1);
	assert_addr(&r.next_hop, "198.51.100.2");
	/* Route exists but no IPv4 address on any NIC to send from? Here nic 2 has one
	 * (weak host model). */
	assert_addr(&r.local, "192.0.2.1");
	ns_stack_free(s);
}

static void test_local(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_route r;

	add_addr(s, 1, "192.0.2.1/24");
	add_addr(s, 2, "198.51.100.1/24");
	assert_int_equal(find(s, 0, NULL, "198.51.100.1", &r), NS_OK);
	assert_int_equal(r.flags, NS_ROUTE_LOCAL);
	assert_int_equal(r.nic, 2);
	assert_addr(&r.local, "198.51.100.1");
	assert_addr(&r.next_hop, "198.51.100.1");
	assert_int_equal(r.mtu, 2500);
	/* Any of our addresses may be the source of a local route. */
	assert_int_equal(find(s, 0, "192.0.2.1", "198.51.100.1", &r), NS_OK);
	assert_addr(&r.local, "192.0.2.1");
	assert_int_equal(find(s, 0, "203.0.113.1", "198.51.100.1", &r), NS_ERR_BAD_LOCAL_ADDRESS);
	ns_stack_free(s);
}

static void test_broadcast(void **state)
{
	struct ns_stack *s = new_stack_n(1, false);
	struct ns_route r;

	/* One NIC without an address: a DHCP client sends from 0.0.0.0. */
	assert_int_equal(find(s, 0, NULL, "255.255.255.255", &r), NS_OK);
	assert_int_equal(r.flags, NS_ROUTE_BROADCAST);
	assert_int_equal(r.nic, 1);
	assert_addr(&r.local, "0.0.0.0");
	assert_addr(&r.next_hop, "255.255.255.255");
	ns_stack_free(s);

	s = new_stack_n(3, false);
	/* Several NICs: the first one with an IPv4 address, or the one asked for. */
	assert_int_equal(find(s, 0, NULL, "255.255.255.255", &r), NS_ERR_NETWORK_UNREACHABLE);
	add_addr(s, 2, "192.0.2.1/24");
	add_addr(s, 3, "198.51.100.1/30");
	assert_int_equal(find(s, 0, NULL, "255.255.255.255", &r), NS_OK);
	assert_int_equal(r.nic, 2);
	assert_addr(&r.local, "192.0.2.1");
	assert_int_equal(find(s, 3, NULL, "255.255.255.255", &r), NS_OK);
	assert_int_equal(r.nic, 3);
	assert_addr(&r.local, "198.51.100.1");
	assert_int_equal(find(s, 3, "192.0.2.99", "255.255.255.255", &r), NS_ERR_BAD_LOCAL_ADDRESS);

	/* Directed broadcast of a NIC's subnet. */
	assert_int_equal(find(s, 0, NULL, "192.0.2.255", &r), NS_OK);
	assert_int_equal(r.flags, NS_ROUTE_BROADCAST);
	assert_int_equal(r.nic, 2);
	assert_addr(&r.next_hop, "192.0.2.255");
	assert_int_equal(find(s, 0, NULL, "198.51.100.3", &r), NS_OK);
	assert_int_equal(r.flags, NS_ROUTE_BROADCAST);
	assert_int_equal(r.nic, 3);
	assert_int_equal(find(s, 0, NULL, "198.51.100.2", &r), NS_OK);
	assert_int_equal(r.flags, 0);
	ns_stack_free(s);
}

static void test_multicast(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_route r;

	add_addr(s, 1, "192.0.2.1/24");
	add_addr(s, 2, "2001:db8::1/64");
	/* No route at all: multicast needs a NIC named. */
	assert_int_equal(find(s, 0, NULL, "224.0.0.251", &r), NS_ERR_NETWORK_UNREACHABLE);
	assert_int_equal(find(s, 1, NULL, "224.0.0.251", &r), NS_OK);
	assert_int_equal(r.flags, NS_ROUTE_MULTICAST);
	assert_int_equal(r.nic, 1);
	assert_addr(&r.local, "192.0.2.1");
	assert_addr(&r.next_hop, "224.0.0.251");

	/* Through a default route, the next hop stays the group, not the gateway. */
	assert_int_equal(add_route(s, "0.0.0.0/0", "192.0.2.254", 1, 0), NS_OK);
	assert_int_equal(find(s, 0, NULL, "239.1.2.3", &r), NS_OK);
	assert_int_equal(r.flags, NS_ROUTE_MULTICAST);
	assert_addr(&r.next_hop, "239.1.2.3");

	assert_int_equal(find(s, 2, NULL, "ff02::1", &r), NS_OK);
	assert_int_equal(r.flags, NS_ROUTE_MULTICAST);
	assert_int_equal(r.netproto, 0x86dd);
	assert_int_equal(r.max_header_len, 40);
	assert_addr(&r.local, "2001:db8::1");
	ns_stack_free(s);
}

static void test_ipv6(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_route r;

	add_addr(s, 1, "fe80::1/64");
	add_addr(s, 1, "2001:db8:1::1/64");
	assert_int_equal(add_route(s, "::/0", "fe80::ff", 1, 0), NS_OK);
	assert_int_equal(find(s, 0, NULL, "2001:db8:9::9", &r), NS_OK);
	assert_int_equal(r.nic, 1);
	assert_int_equal(r.netproto, 0x86dd);
	assert_addr(&r.next_hop, "fe80::ff");
	/* RFC 6724 rule 2: a global destination gets a global source, even through a
	 * link-local router. */
	assert_addr(&r.local, "2001:db8:1::1");
	assert_int_equal(r.max_header_len, 14 + 40);
	/* On-link destination in the global prefix: the global address. */
	assert_int_equal(find(s, 0, NULL, "2001:db8:1::7", &r), NS_OK);
	assert_addr(&r.local, "2001:db8:1::1");
	assert_addr(&r.next_hop, "2001:db8:1::7");
	/* A link-local destination gets the link-local source. */
	assert_int_equal(find(s, 0, NULL, "fe80::9", &r), NS_OK);
	assert_addr(&r.local, "fe80::1");
	assert_addr(&r.next_hop, "fe80::9");
	/* Rule 8: the longest common prefix among global addresses. */
	add_addr(s, 1, "2001:db8:9::1/64");
	assert_int_equal(find(s, 0, NULL, "2001:db8:9:1::9", &r), NS_OK);
	assert_addr(&r.local, "2001:db8:9::1");
	assert_addr(&r.next_hop, "fe80::ff");
	/* Mixed families are refused. */
	assert_int_equal(find(s, 0, "192.0.2.1", "2001:db8:1::7", &r), NS_ERR_BAD_LOCAL_ADDRESS);
	ns_stack_free(s);

	/* Without an IPv6 protocol, IPv6 destinations have no route. */
	s = new_stack_n(1, false);
	add_addr(s, 1, "2001:db8:1::1/64");
	assert_int_equal(find(s, 0, NULL, "2001:db8:1::7", &r),
	                 NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED);
	ns_stack_free(s);
}

static void test_source_selection(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_route r;

	add_addr(s, 1, "192.0.2.1/24");
	add_addr(s, 1, "198.51.100.1/24");
	assert_int_equal(add_route(s, "203.0.113.0/24", "198.51.100.254", 1, 0), NS_OK);
	assert_int_equal(add_route(s, "0.0.0.0/0", "", 1, 0), NS_OK);
	/* The address on the next hop's subnet, not the primary. */
	assert_int_equal(find(s, 0, NULL, "203.0.113.9", &r), NS_OK);
	assert_addr(&r.local, "198.51.100.1");
	/* No subnet holds the next hop: the primary. */
	assert_int_equal(find(s, 0, NULL, "8.8.8.8", &r), NS_OK);
	assert_addr(&r.next_hop, "8.8.8.8");
	assert_addr(&r.local, "192.0.2.1");
	/* An explicit unspecified local is "pick one". */
	assert_int_equal(find(s, 0, "0.0.0.0", "8.8.8.8", &r), NS_OK);
	assert_addr(&r.local, "192.0.2.1");
	assert_int_equal(find(s, 0, "198.51.100.1", "8.8.8.8", &r), NS_OK);
	assert_addr(&r.local, "198.51.100.1");

	/* A NIC without IPv4 addresses borrows another NIC's (weak host model)... */
	assert_int_equal(add_route(s, "192.0.2.128/25", "", 2, 0), NS_OK);
	assert_int_equal(find(s, 0, NULL, "192.0.2.200", &r), NS_OK);
	assert_int_equal(r.nic, 2);
	assert_addr(&r.local, "192.0.2.1");
	/* ...and with none anywhere there is no usable source. */
	assert_int_equal(ns_stack_remove_address(s, 1, &(struct ns_addr){0}),
	                 NS_ERR_BAD_LOCAL_ADDRESS);
	struct ns_addr a1 = ad("192.0.2.1"), a2 = ad("198.51.100.1");
	assert_int_equal(ns_stack_remove_address(s, 1, &a1), NS_OK);
	assert_int_equal(ns_stack_remove_address(s, 1, &a2), NS_OK);
	assert_int_equal(find(s, 0, NULL, "192.0.2.200", &r), NS_ERR_NO_ROUTE);
	ns_stack_free(s);
}

static void test_bad_local_and_spoofing(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_route r;
	struct ns_subnet range = sn("203.0.113.0/24");

	add_addr(s, 1, "192.0.2.1/24");
	add_addr(s, 2, "198.51.100.1/24");
	assert_int_equal(add_route(s, "0.0.0.0/0", "192.0.2.254", 1, 0), NS_OK);

	assert_int_equal(find(s, 0, "192.0.2.77", "8.8.8.8", &r), NS_ERR_BAD_LOCAL_ADDRESS);
	/* Another NIC's address is ours too (weak host model, as Linux). */
	assert_int_equal(find(s, 0, "198.51.100.1", "8.8.8.8", &r), NS_OK);
	assert_addr(&r.local, "198.51.100.1");
	assert_int_equal(r.nic, 1);
	/* An address in a range of the route's NIC may be a source (transparent proxy). */
	assert_int_equal(ns_stack_add_address_range(s, 1, &range), NS_OK);
	assert_int_equal(find(s, 0, "203.0.113.50", "8.8.8.8", &r), NS_OK);
	assert_addr(&r.local, "203.0.113.50");
	/* Spoofing on the route's NIC allows anything. */
	assert_int_equal(ns_stack_set_spoofing(s, 1, true), NS_OK);
	assert_int_equal(find(s, 0, "192.0.2.77", "8.8.8.8", &r), NS_OK);
	assert_addr(&r.local, "192.0.2.77");
	/* Spoofing elsewhere does not help. */
	assert_int_equal(ns_stack_set_spoofing(s, 1, false), NS_OK);
	assert_int_equal(ns_stack_set_spoofing(s, 2, true), NS_OK);
	assert_int_equal(find(s, 0, "192.0.2.77", "8.8.8.8", &r), NS_ERR_BAD_LOCAL_ADDRESS);
	ns_stack_free(s);
}

static void test_arguments(void **state)
{
	struct ns_stack *s = new_stack();
	struct ns_route r;
	struct ns_addr unspec = {0}, v4 = ad("192.0.2.1");

	assert_int_equal(ns_route_find(s, 0, NULL, NULL, &r), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_route_find(s, 0, NULL, &v4, NULL), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_route_find(NULL, 0, NULL, &v4, &r), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_route_find(s, 0, NULL, &unspec, &r),
	                 NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED);
	ns_stack_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_table_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_table_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_longest_prefix_and_metric, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_connected_and_unreachable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_local, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broadcast, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multicast, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_source_selection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_local_and_spoofing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_arguments, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
