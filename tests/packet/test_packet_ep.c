/* SPDX-License-Identifier: MIT */
/*
 * Packet-level tests of packet endpoints (src/raw/packet.c, Linux packet(7)): raw and cooked
 * endpoints see inbound frames (before any filtering) and, bound to NS_ETH_P_ALL, outbound
 * ones, with the metadata sockaddr_ll carries; per-protocol and per-NIC binding; raw and
 * cooked sends; a header-less link; buffers.
 */
#include <string.h>

#include "harness.h"
#include "netstack/raw.h"
#include "wire/bytes.h"

#define ETH_P_IP_   0x0800
#define ETH_P_ARP_  0x0806
#define ETH_P_TEST  0x88b5 /* IEEE 802 local experimental EtherType 1 */
#define ETH_P_VLAN_ 0x8100

static struct ns_ep *pk_open(struct nt *t, enum ns_packet_kind kind, uint16_t proto)
{
	struct ns_ep *ep = NULL;

	assert_int_equal(ns_ep_new_packet(t->s, kind, proto, NULL, &ep), NS_OK);
	assert_non_null(ep);
	return ep;
}

static void expect_ll(const struct ns_read_result *r, uint32_t nic, uint16_t proto, uint8_t pkttype,
                      struct nt_mac addr)
{
	assert_int_equal(r->ll.nic, nic);
	assert_int_equal(r->from.nic, nic);
	assert_int_equal(r->ll.protocol, proto);
	assert_int_equal(r->ll.pkttype, pkttype);
	assert_int_equal(r->ll.hatype, NS_ARPHRD_ETHER);
	assert_int_equal(r->ll.halen, 6);
	assert_memory_equal(r->ll.addr.b, addr.m.b, 6);
}

/* An NS_ETH_P_ALL raw endpoint reads the echo request frame exactly as it arrived (link
 * header and Ethernet padding included, PACKET_HOST), then the reply the stack sends,
 * exactly as it leaves (PACKET_OUTGOING, our MAC as the address). */
static void all_raw_sees_both_directions(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = pk_open(t, NS_PACKET_RAW, NS_ETH_P_ALL);
	uint8_t frame[128], buf[2048];
	struct ns_read_result res;
	uint32_t n = nt_build_icmp(NT_ICMP(.payload = "tap", .pad = 0x5a), frame, sizeof(frame));
	const struct nt_frame *f;

	assert_int_equal(n, 60);
	nt_send_frame(t, frame, n);
	f = nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .payload = "tap"));
	assert_int_equal(nt_read(ep, buf, sizeof(buf), &res), 60);
	assert_memory_equal(buf, frame, 60);
	expect_ll(&res, NT_NIC, ETH_P_IP_, NS_PACKET_HOST, NT_MAC_PEER);
	assert_int_equal(nt_read(ep, buf, sizeof(buf), &res), f->len);
	assert_memory_equal(buf, f->b, f->len);
	expect_ll(&res, NT_NIC, ETH_P_IP_, NS_PACKET_OUTGOING, NT_MAC_US);
	nt_expect_empty(ep);
	assert_int_equal(nt_stat(t, NS_STAT_PACKET_RX), 2);
	ns_ep_close(ep);
}

/* A cooked endpoint reads the same frames from the network header on. */
static void all_cooked_sees_network_packets(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = pk_open(t, NS_PACKET_DGRAM, NS_ETH_P_ALL);
	uint8_t frame[128], buf[2048];
	struct ns_read_result res;
	uint32_t n = nt_build_icmp(NT_ICMP(.payload = "cooked"), frame, sizeof(frame));
	const struct nt_frame *f;

	nt_send_frame(t, frame, n);
	f = nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY));
	/* Inbound: the rest of the frame after the link header, padding included. */
	assert_int_equal(nt_read(ep, buf, sizeof(buf), &res), n - 14);
	assert_memory_equal(buf, frame + 14, n - 14);
	expect_ll(&res, NT_NIC, ETH_P_IP_, NS_PACKET_HOST, NT_MAC_PEER);
	assert_int_equal(nt_read(ep, buf, sizeof(buf), &res), f->len - 14);
	assert_memory_equal(buf, f->b + 14, f->len - 14);
	expect_ll(&res, NT_NIC, ETH_P_IP_, NS_PACKET_OUTGOING, NT_MAC_US);
	ns_ep_close(ep);
}

/* Bound to one EtherType: inbound frames of that type only, never outbound ones (Linux
 * delivers outgoing frames to ETH_P_ALL taps alone). */
static void per_protocol_sees_inbound_only(void **state)
{
	struct nt *t = *state;
	struct ns_ep *arp = pk_open(t, NS_PACKET_RAW, ETH_P_ARP_);
	struct ns_ep *ip = pk_open(t, NS_PACKET_DGRAM, ETH_P_IP_);
	uint8_t buf[2048];
	struct ns_read_result res;

	nt_send_arp(t, NT_ARP());
	nt_expect_arp(t, NT_ARP(.op = 2));
	assert_int_equal(nt_read(arp, buf, sizeof(buf), &res), 60);
	expect_ll(&res, NT_NIC, ETH_P_ARP_, NS_PACKET_BROADCAST, NT_MAC_PEER);
	assert_int_equal(rd16(buf + 12), ETH_P_ARP_);
	nt_expect_empty(arp); /* not the ARP reply we sent */
	nt_expect_empty(ip);
	nt_send_udp(t, NT_UDP(.dport = 9, .payload = "u"));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH));
	assert_int_equal(nt_read(ip, buf, sizeof(buf), &res), 46);
	assert_int_equal(buf[0], 0x45);
	nt_expect_empty(ip); /* not the port unreachable */
	nt_expect_empty(arp);
	ns_ep_close(arp);
	ns_ep_close(ip);
}

/* Frames the stack drops are seen all the same: another host's, broadcast and multicast
 * ones with their packet types, and EtherTypes the stack does not speak. */
static void sees_what_the_stack_drops(void **state)
{
	struct nt *t = *state;
	struct ns_ep *all = pk_open(t, NS_PACKET_RAW, NS_ETH_P_ALL);
	struct ns_ep *test = pk_open(t, NS_PACKET_RAW, ETH_P_TEST);
	uint8_t frame[64] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5, 'x'};
	uint8_t buf[2048];
	struct ns_read_result res;

	nt_send_icmp_echo(t, NT_ICMP(.eth_dst = NT_MAC(0x02, 9, 9, 9, 9, 9)));
	assert_int_equal(nt_drops(t, NS_DROP_LINK_OTHERHOST), 1);
	nt_read(all, buf, sizeof(buf), &res);
	expect_ll(&res, NT_NIC, ETH_P_IP_, NS_PACKET_OTHERHOST, NT_MAC_PEER);
	nt_send_udp(t, NT_UDP(.eth_dst = NT_MAC_BCAST, .dst = NT_ADDR_BCAST));
	nt_read(all, buf, sizeof(buf), &res);
	assert_int_equal(res.ll.pkttype, NS_PACKET_BROADCAST);
	nt_send_udp(t,
	            NT_UDP(.eth_dst = NT_MAC(0x01, 0, 0x5e, 0, 0, 1), .dst = NT_V4(224, 0, 0, 1)));
	nt_read(all, buf, sizeof(buf), &res);
	assert_int_equal(res.ll.pkttype, NS_PACKET_MULTICAST);

	nt_send_frame(t, frame, sizeof(frame));
	assert_int_equal(nt_drops(t, NS_DROP_LINK_UNKNOWN_PROTO), 1);
	assert_int_equal(nt_read(test, buf, sizeof(buf), &res), 64);
	assert_memory_equal(buf, frame, 64);
	expect_ll(&res, NT_NIC, ETH_P_TEST, NS_PACKET_HOST, NT_MAC_PEER);
	assert_int_equal(nt_read(all, buf, sizeof(buf), &res), 64);
	nt_expect_empty(all);
	nt_expect_empty(test);
	nt_expect_nothing(t);
	ns_ep_close(all);
	ns_ep_close(test);
}

/* Protocol 0 receives nothing until bound; binding with protocol 0 keeps the protocol;
 * binding to a NIC filters on it. */
static void binding(void **state)
{
	struct nt *t = *state;
	struct ns_channel_config cc = {.header = NS_LINK_HDR_ETHERNET,
	                               .mac = {{2, 0, 0, 0, 0, 0x22}}};
	struct ns_link *l2 = ns_channel_new(&cc);
	struct ns_ep *ep = pk_open(t, NS_PACKET_RAW, 0);
	struct ns_sockaddr_ll ll = {.nic = 0, .protocol = ETH_P_IP_};
	struct ns_sockaddr la;
	uint8_t buf[2048];
	struct ns_read_result res;

	assert_int_equal(ns_stack_add_nic(t->s, 2, l2, "nt1"), NS_OK);
	nt_send_udp(t, NT_UDP(.dport = 9));
	nt_discard(t);
	nt_expect_empty(ep);
	assert_int_equal(ns_ep_bind_ll(ep, &ll), NS_OK);
	nt_send_udp(t, NT_UDP(.dport = 9));
	nt_discard(t);
	nt_read(ep, buf, sizeof(buf), &res);
	ll = (struct ns_sockaddr_ll){.nic = 2, .protocol = 0};
	assert_int_equal(ns_ep_bind_ll(ep, &ll), NS_OK);
	assert_int_equal(ns_ep_local_addr(ep, &la), NS_OK);
	assert_int_equal(la.nic, 2);
	assert_int_equal(la.port, ETH_P_IP_); /* kept */
	nt_send_udp(t, NT_UDP(.dport = 9));
	nt_discard(t);
	nt_expect_empty(ep); /* NIC 1's */
	ll.nic = 7;
	assert_int_equal(ns_ep_bind_ll(ep, &ll), NS_ERR_UNKNOWN_DEVICE);
	assert_int_equal(ns_ep_bind(ep, &la), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_shutdown(ep, NS_SHUT_RD), NS_ERR_NOT_SUPPORTED);
	ns_ep_close(ep);
	assert_int_equal(ns_stack_remove_nic(t->s, 2), NS_OK);
	ns_link_destroy(l2);
}

/* A raw frame goes out exactly as written, source MAC included, without passing the
 * stack (a frame to our own address is not answered); other ETH_P_ALL endpoints see it as
 * outgoing, its sender does not. */
static void raw_send_as_is(void **state)
{
	struct nt *t = *state;
	struct ns_ep *tx = pk_open(t, NS_PACKET_RAW, NS_ETH_P_ALL);
	struct ns_ep *mon = pk_open(t, NS_PACKET_RAW, NS_ETH_P_ALL);
	struct ns_sockaddr_ll to = {.nic = NT_NIC};
	struct ns_write_opts o = {.ll_to = &to};
	uint8_t frame[128], buf[2048];
	struct ns_read_result res;
	const struct nt_frame *f;
	size_t n;
	/* An echo request to ourselves from a made-up MAC. */
	uint32_t len =
	    nt_build_icmp(NT_ICMP(.eth_dst = NT_MAC_US,
	                          .eth_src = NT_MAC(0x02, 0xaa, 0, 0, 0, 0xbb), .payload = "spoof"),
	                  frame, sizeof(frame));

	assert_int_equal(ns_ep_write(tx, frame, len, &o, &n), NS_OK);
	assert_int_equal(n, len);
	f = nt_expect_frame(t);
	assert_int_equal(f->len, len);
	assert_memory_equal(f->b, frame, len);
	nt_expect_nothing(t); /* not looped into the stack */
	nt_expect_empty(tx);
	assert_int_equal(nt_read(mon, buf, sizeof(buf), &res), len);
	assert_memory_equal(buf, frame, len);
	expect_ll(&res, NT_NIC, ETH_P_IP_, NS_PACKET_OUTGOING, NT_MAC(0x02, 0xaa, 0, 0, 0, 0xbb));
	assert_int_equal(nt_stat(t, NS_STAT_PACKET_TX), 1);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_RX), 0);
	ns_ep_close(tx);
	ns_ep_close(mon);
}

/* packet_snd()'s limits: the link header at least, MTU + header at most (+4 tagged). */
static void raw_send_limits(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = pk_open(t, NS_PACKET_RAW, ETH_P_TEST);
	struct ns_sockaddr_ll to = {.nic = NT_NIC};
	struct ns_write_opts o = {.ll_to = &to};
	static uint8_t frame[1600];
	const struct nt_frame *f;
	size_t n;

	memset(frame, 0x11, sizeof(frame));
	assert_int_equal(ns_ep_write(ep, frame, 13, &o, &n), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_write(ep, frame, 1515, &o, &n), NS_ERR_MESSAGE_TOO_LONG);
	assert_int_equal(ns_ep_write(ep, frame, 14, &o, &n), NS_OK);
	f = nt_expect_frame(t);
	assert_int_equal(f->len, 14);
	assert_int_equal(ns_ep_write(ep, frame, 1514, &o, &n), NS_OK);
	nt_expect_frame(t);
	wr16(frame + 12, ETH_P_VLAN_);
	assert_int_equal(ns_ep_write(ep, frame, 1518, &o, &n), NS_OK);
	f = nt_expect_frame(t);
	assert_int_equal(f->len, 1518);
	assert_int_equal(ns_ep_write(ep, frame, 1519, &o, &n), NS_ERR_MESSAGE_TOO_LONG);
	/* No NIC: neither bound nor given. */
	assert_int_equal(ns_ep_write(ep, frame, 60, NULL, &n), NS_ERR_UNKNOWN_DEVICE);
	to.nic = 5;
	assert_int_equal(ns_ep_write(ep, frame, 60, &o, &n), NS_ERR_UNKNOWN_DEVICE);
	/* The bound NIC serves when no address is given. */
	struct ns_sockaddr_ll b = {.nic = NT_NIC};

	assert_int_equal(ns_ep_bind_ll(ep, &b), NS_OK);
	assert_int_equal(ns_ep_write(ep, frame, 60, NULL, &n), NS_OK);
	nt_expect_frame(t);
	ns_ep_close(ep);
}

/* A cooked send gets a header from the link: the given MAC, our MAC, the given EtherType
 * (or the bound one). */
static void cooked_send_builds_header(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = pk_open(t, NS_PACKET_DGRAM, ETH_P_TEST);
	struct ns_ep *mon = pk_open(t, NS_PACKET_DGRAM, NS_ETH_P_ALL);
	struct ns_sockaddr_ll to = {.nic = NT_NIC,
	                            .protocol = ETH_P_TEST,
	                            .halen = 6,
	                            .addr = {{0x02, 0x33, 0, 0, 0, 0x44}}};
	struct ns_write_opts o = {.ll_to = &to};
	uint8_t buf[2048];
	struct ns_read_result res;
	const struct nt_frame *f;
	size_t n;

	assert_int_equal(ns_ep_write(ep, "cooked payload", 14, &o, &n), NS_OK);
	f = nt_expect_frame(t);
	assert_int_equal(f->len, 28);
	assert_memory_equal(f->b, to.addr.b, 6);
	assert_memory_equal(f->b + 6, NT_MAC_US.m.b, 6);
	assert_int_equal(rd16(f->b + 12), ETH_P_TEST);
	assert_memory_equal(f->b + 14, "cooked payload", 14);
	assert_int_equal(nt_read(mon, buf, sizeof(buf), &res), 14);
	assert_memory_equal(buf, "cooked payload", 14);
	expect_ll(&res, NT_NIC, ETH_P_TEST, NS_PACKET_OUTGOING, NT_MAC_US);
	/* protocol 0 in the address: Linux sends EtherType 0; here too. */
	to.protocol = 0;
	assert_int_equal(ns_ep_write(ep, "p0", 2, &o, &n), NS_OK);
	f = nt_expect_frame(t);
	assert_int_equal(rd16(f->b + 12), 0);
	/* No destination MAC: EINVAL, as dev_hard_header() fails. */
	to.halen = 0;
	assert_int_equal(ns_ep_write(ep, "x", 1, &o, &n), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_write(ep, "x", 1, NULL, &n), NS_ERR_UNKNOWN_DEVICE);
	to.halen = 6;
	static uint8_t big[1501];
	assert_int_equal(ns_ep_write(ep, big, 1501, &o, &n), NS_ERR_MESSAGE_TOO_LONG);
	assert_int_equal(ns_ep_write(ep, big, 1500, &o, &n), NS_OK);
	f = nt_expect_frame(t);
	assert_int_equal(f->len, 1514);
	ns_ep_close(ep);
	ns_ep_close(mon);
}

/* NS_PACKET_IGNORE_OUTGOING: no copies of what the stack sends. */
static void ignore_outgoing(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = pk_open(t, NS_PACKET_RAW, NS_ETH_P_ALL);
	uint8_t buf[2048];
	struct ns_read_result res;
	int64_t v;

	assert_int_equal(ns_ep_set_opt(ep, NS_PACKET_IGNORE_OUTGOING, 1), NS_OK);
	assert_int_equal(ns_ep_get_opt(ep, NS_PACKET_IGNORE_OUTGOING, &v), NS_OK);
	assert_int_equal(v, 1);
	nt_send_icmp_echo(t, NT_ICMP());
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY));
	nt_read(ep, buf, sizeof(buf), &res);
	assert_int_equal(res.ll.pkttype, NS_PACKET_HOST);
	nt_expect_empty(ep);
	ns_ep_close(ep);
}

/* A full buffer drops and counts. */
static void rcvbuf_full(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = pk_open(t, NS_PACKET_RAW, NS_ETH_P_ALL);
	uint8_t buf[2048];
	int got = 0;

	assert_int_equal(ns_ep_set_opt(ep, NS_SO_RCVBUF, 0), NS_OK);
	for (int i = 0; i < 3; i++)
		nt_send_udp(t, NT_UDP(.dport = 9));
	nt_discard(t);
	while (ns_ep_read(ep, buf, sizeof(buf), 0, NULL) == NS_OK)
		got++;
	assert_int_equal(got, 2);
	assert_int_equal(nt_drops(t, NS_DROP_PACKET_RCVBUF_FULL), 4); /* 2 in, 2 out */
	ns_ep_close(ep);
}

/* A header-less link (TUN): both kinds read the IP packet, without MACs. */
static void headerless_link(void **state)
{
	struct nt *t = *state;
	struct ns_channel_config cc = {.header = NS_LINK_HDR_NONE};
	struct ns_link *tun = ns_channel_new(&cc);
	struct ns_ep *raw = pk_open(t, NS_PACKET_RAW, NS_ETH_P_ALL);
	struct ns_ep *dg = pk_open(t, NS_PACKET_DGRAM, ETH_P_IP_);
	struct ns_sockaddr_ll to = {.nic = 2};
	struct ns_write_opts o = {.ll_to = &to};
	uint8_t frame[128], buf[2048];
	struct ns_read_result res;
	struct ns_pkt *p;
	size_t n;
	uint32_t len = nt_build_icmp(NT_ICMP(.frame_len = 14 + 28), frame, sizeof(frame));

	assert_int_equal(ns_stack_add_nic(t->s, 2, tun, "tun"), NS_OK);
	ns_channel_inject_bytes(tun, frame + 14, len - 14);
	assert_int_equal(nt_read(raw, buf, sizeof(buf), &res), 28);
	assert_memory_equal(buf, frame + 14, 28);
	assert_int_equal(res.ll.hatype, NS_ARPHRD_NONE);
	assert_int_equal(res.ll.halen, 0);
	assert_int_equal(res.ll.protocol, ETH_P_IP_);
	assert_int_equal(nt_read(dg, buf, sizeof(buf), &res), 28);
	/* The stack's reply follows its route, out of NIC 1: drop it and its copy. A raw
	 * write out of the TUN is the bare IP packet. */
	while ((p = ns_channel_read(tun)) != NULL)
		ns_pkt_free(p);
	nt_discard(t);
	while (ns_ep_read(raw, buf, sizeof(buf), 0, NULL) == NS_OK)
		;
	assert_int_equal(ns_ep_write(raw, frame + 14, 28, &o, &n), NS_OK);
	p = ns_channel_read(tun);
	assert_non_null(p);
	assert_int_equal(p->len, 28);
	assert_memory_equal(ns_pkt_data(p), frame + 14, 28);
	ns_pkt_free(p);
	ns_ep_close(raw);
	ns_ep_close(dg);
	assert_int_equal(ns_stack_remove_nic(t->s, 2), NS_OK);
	ns_link_destroy(tun);
}

/* A waiter callback that sends from its own endpoint while a frame is being tapped. */
struct echoer {
	struct ns_waiter_entry e;
	struct ns_ep *ep;
	int sent;
};

static void echo_back(struct ns_waiter_entry *e, uint32_t ev)
{
	struct echoer *x = e->ctx;
	uint8_t buf[2048];
	struct ns_read_result res;
	struct ns_sockaddr_ll to = {.nic = NT_NIC};
	struct ns_write_opts o = {.ll_to = &to};

	(void)ev;
	while (ns_ep_read(x->ep, buf, sizeof(buf), 0, &res) == NS_OK) {
		if (res.ll.pkttype == NS_PACKET_OUTGOING)
			continue;
		buf[0] ^= 0xff; /* another destination MAC */
		assert_int_equal(ns_ep_write(x->ep, buf, res.count, &o, NULL), NS_OK);
		x->sent++;
	}
}

static void send_from_callback(void **state)
{
	struct nt *t = *state;
	struct ns_waiter_queue q;
	struct echoer x = {0};
	struct ns_ep *mon = pk_open(t, NS_PACKET_RAW, NS_ETH_P_ALL);
	uint8_t buf[2048];
	struct ns_read_result res;

	ns_waiter_queue_init(&q);
	assert_int_equal(ns_ep_new_packet(t->s, NS_PACKET_RAW, ETH_P_TEST, &q, &x.ep), NS_OK);
	ns_waiter_entry_init(&x.e, echo_back, &x);
	ns_waiter_register(&q, &x.e, NS_EV_IN);
	uint8_t frame[60] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5, 'e'};

	nt_send_frame(t, frame, sizeof(frame));
	assert_int_equal(x.sent, 1);
	nt_expect_frame(t);
	nt_read(mon, buf, sizeof(buf), &res); /* the frame in */
	nt_read(mon, buf, sizeof(buf), &res); /* the frame out */
	assert_int_equal(res.ll.pkttype, NS_PACKET_OUTGOING);
	nt_expect_empty(mon);
	ns_waiter_unregister(&x.e);
	ns_ep_close(x.ep);
	ns_ep_close(mon);
}

/* Waiter callbacks run inside the NIC's transmit path when an NS_ETH_P_ALL endpoint is
 * shown an outgoing frame. Two such endpoints that each send what they see (a relay, or
 * a capture forwarded elsewhere) would recurse without end; as Linux bounds transmit
 * recursion (XMIT_RECURSION_LIMIT), taps nested deeper than a few levels deliver no
 * copies (counted), so the chain stops instead of overflowing the stack. */
struct relay {
	struct ns_waiter_entry e;
	struct ns_ep *ep;
	int sent;
};

static void relay_outgoing(struct ns_waiter_entry *e, uint32_t ev)
{
	struct relay *x = e->ctx;
	uint8_t buf[2048];
	struct ns_read_result res;
	struct ns_sockaddr_ll to = {.nic = NT_NIC};
	struct ns_write_opts o = {.ll_to = &to};

	(void)ev;
	while (ns_ep_read(x->ep, buf, sizeof(buf), 0, &res) == NS_OK) {
		if (res.ll.pkttype != NS_PACKET_OUTGOING)
			continue;
		assert_int_equal(ns_ep_write(x->ep, buf, res.count, &o, NULL), NS_OK);
		x->sent++;
	}
}

static void taps_do_not_recurse_without_bound(void **state)
{
	struct nt *t = *state;
	struct ns_waiter_queue qa, qb;
	struct relay a = {0}, b = {0};
	uint8_t frame[60] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x88, 0xb5, 'r'};
	struct ns_sockaddr_ll to = {.nic = NT_NIC};
	struct ns_write_opts o = {.ll_to = &to};
	struct ns_ep *src = pk_open(t, NS_PACKET_RAW, ETH_P_TEST);

	ns_waiter_queue_init(&qa);
	ns_waiter_queue_init(&qb);
	assert_int_equal(ns_ep_new_packet(t->s, NS_PACKET_RAW, NS_ETH_P_ALL, &qa, &a.ep), NS_OK);
	assert_int_equal(ns_ep_new_packet(t->s, NS_PACKET_RAW, NS_ETH_P_ALL, &qb, &b.ep), NS_OK);
	ns_waiter_entry_init(&a.e, relay_outgoing, &a);
	ns_waiter_entry_init(&b.e, relay_outgoing, &b);
	ns_waiter_register(&qa, &a.e, NS_EV_IN);
	ns_waiter_register(&qb, &b.e, NS_EV_IN);
	assert_int_equal(ns_ep_write(src, frame, sizeof(frame), &o, NULL), NS_OK);
	/* Each relay answers what the other sent, a bounded number of times. */
	assert_true(a.sent + b.sent > 0);
	assert_true(a.sent + b.sent <= 16);
	assert_true(nt_drops(t, NS_DROP_PACKET_TAP_NESTED) > 0);
	while (nt_pending(t))
		nt_expect_frame(t);
	ns_waiter_unregister(&a.e);
	ns_waiter_unregister(&b.e);
	ns_ep_close(a.ep);
	ns_ep_close(b.ep);
	ns_ep_close(src);
}

/* A packet endpoint's waiter callback that removes the NIC whose frame it was shown (an
 * application tearing a device down on what it sees). The frame must go no further, and
 * nothing may touch the NIC's memory afterwards: ASan checks the second part. */
struct remover {
	struct ns_waiter_entry e;
	struct ns_stack *s;
	uint32_t nic;
	int removed;
};

static void remove_nic_cb(struct ns_waiter_entry *e, uint32_t ev)
{
	struct remover *r = e->ctx;

	(void)ev;
	if (!r->removed && ns_stack_remove_nic(r->s, r->nic) == NS_OK)
		r->removed++;
}

static void nic_removed_by_tap_callback(void **state)
{
	struct nt *t = *state;
	struct ns_channel_config cc = {.header = NS_LINK_HDR_ETHERNET,
	                               .mac = {{0x02, 0, 0, 0, 0, 0x22}}};
	struct ns_link *in = ns_channel_new(&cc), *out = ns_channel_new(&cc);
	struct ns_waiter_queue qi, qo;
	struct remover ri = {.s = t->s, .nic = 2}, ro = {.s = t->s, .nic = 3};
	struct ns_ep *ei, *eo;
	uint8_t frame[60] = {0x02, 0, 0, 0, 0, 0x22, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5, 'x'};
	struct ns_sockaddr_ll to = {.nic = 3};
	struct ns_write_opts o = {.ll_to = &to};

	assert_int_equal(ns_stack_add_nic(t->s, 2, in, "in"), NS_OK);
	assert_int_equal(ns_stack_add_nic(t->s, 3, out, "out"), NS_OK);
	ns_waiter_queue_init(&qi);
	ns_waiter_queue_init(&qo);
	assert_int_equal(ns_ep_new_packet(t->s, NS_PACKET_RAW, NS_ETH_P_ALL, &qi, &ei), NS_OK);
	assert_int_equal(ns_ep_bind_ll(ei, &(struct ns_sockaddr_ll){.nic = 2}), NS_OK);
	assert_int_equal(ns_ep_new_packet(t->s, NS_PACKET_RAW, NS_ETH_P_ALL, &qo, &eo), NS_OK);
	assert_int_equal(ns_ep_bind_ll(eo, &(struct ns_sockaddr_ll){.nic = 3}), NS_OK);
	ns_waiter_entry_init(&ri.e, remove_nic_cb, &ri);
	ns_waiter_entry_init(&ro.e, remove_nic_cb, &ro);
	ns_waiter_register(&qi, &ri.e, NS_EV_IN);
	ns_waiter_register(&qo, &ro.e, NS_EV_IN);

	/* Inbound: the tap shows the frame, the callback removes NIC 2, the frame is dropped
	 * there instead of going on to a protocol of a NIC that is gone. */
	uint64_t down = nt_drops(t, NS_DROP_NIC_DOWN);
	ns_channel_inject_bytes(in, frame, sizeof(frame));
	assert_int_equal(ri.removed, 1);
	assert_null(ns_nic_find(t->s, 2));
	assert_int_equal(nt_drops(t, NS_DROP_NIC_DOWN), down + 1);

	/* Outbound: a frame written out of NIC 3 is shown to the tap first; its callback
	 * removes NIC 3, and the frame never reaches the link. */
	struct ns_ep *w = pk_open(t, NS_PACKET_RAW, ETH_P_TEST); /* a tap never sees its own */

	assert_int_equal(ns_ep_write(w, frame, sizeof(frame), &o, NULL),
	                 NS_ERR_NETWORK_UNREACHABLE);
	assert_int_equal(ro.removed, 1);
	assert_null(ns_nic_find(t->s, 3));
	assert_int_equal(ns_channel_pending(out), 0);

	ns_waiter_unregister(&ri.e);
	ns_waiter_unregister(&ro.e);
	ns_ep_close(ei);
	ns_ep_close(eo);
	ns_ep_close(w);
	ns_link_destroy(in);
	ns_link_destroy(out);
}

static void arguments(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = NULL;

	assert_int_equal(ns_ep_new_packet(t->s, 3, NS_ETH_P_ALL, NULL, &ep),
	                 NS_ERR_INVALID_ARGUMENT);
	assert_null(ep);
	assert_int_equal(ns_ep_new_packet(t->s, NS_PACKET_RAW, NS_ETH_P_ALL, NULL, NULL),
	                 NS_ERR_INVALID_ARGUMENT);
	ep = pk_open(t, NS_PACKET_RAW, NS_ETH_P_ALL);
	assert_int_equal(ns_ep_set_opt(ep, NS_SO_BINDTODEVICE, 1), NS_ERR_UNKNOWN_PROTOCOL_OPTION);
	assert_int_equal(ns_ep_connect(ep, &(struct ns_sockaddr){.addr = NT_ADDR_PEER}),
	                 NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_readiness(ep, NS_EV_OUT | NS_EV_IN), NS_EV_OUT);
	ns_ep_close(ep);
	/* ns_ep_bind_ll on an endpoint that is not a packet endpoint. */
	assert_int_equal(ns_ep_new(t->s, NS_AF_INET, NS_IPPROTO_UDP, NULL, &ep), NS_OK);
	assert_int_equal(ns_ep_bind_ll(ep, &(struct ns_sockaddr_ll){.nic = 1}),
	                 NS_ERR_NOT_SUPPORTED);
	ns_ep_close(ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, nt_cm_setup, nt_cm_teardown)
	    T(all_raw_sees_both_directions),
	    T(all_cooked_sees_network_packets),
	    T(per_protocol_sees_inbound_only),
	    T(sees_what_the_stack_drops),
	    T(binding),
	    T(raw_send_as_is),
	    T(raw_send_limits),
	    T(cooked_send_builds_header),
	    T(ignore_outgoing),
	    T(rcvbuf_full),
	    T(headerless_link),
	    T(send_from_callback),
	    T(taps_do_not_recurse_without_bound),
	    T(nic_removed_by_tap_callback),
	    T(arguments),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
