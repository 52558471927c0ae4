/* SPDX-License-Identifier: MIT */
/*
 * Packet tests: TCP and UDP over IPv6 end to end, and dual-stack endpoints (IPv6 endpoints
 * that take IPv4 with v4-mapped addresses, RFC 4291 2.5.5.2, as Linux's with IPV6_V6ONLY
 * off), between two stacks on joined channel links:
 *
 *     A  192.0.2.1/24  2001:db8::1/64  02:00:00:00:00:01  <-->  B  192.0.2.2  2001:db8::2
 *
 * Every frame that crosses is checked: IPv6 header, and the TCP or UDP checksum over the
 * RFC 8200 8.1 pseudo-header; SYNs' MSS options are recorded.
 */
#include <stdlib.h>
#include <string.h>

#include "harness6.h"
#include "netstack/endpoint.h"
#include "netstack/stats.h"
#include "wire/checksum.h"
#include "wire/tcp.h"

#define MAPPED(a, b, c, d) NT6([10] = 0xff, [11] = 0xff, [12] = a, [13] = b, [14] = c, [15] = d)

struct side {
	struct ns_stack *s;
	struct ns_link *ch;
	struct ns_pkt *qh, *qt;
};

struct ds {
	struct ns_vclock clock;
	struct side a, b;
	int64_t pkts0;
	uint32_t v6_frames, v4_frames;
	uint16_t syn_mss[4]; /* MSS options of the SYNs seen, in order */
	int nsyn;
};

static void on_write(void *ctx, struct ns_pkt *pkt)
{
	struct side *sd = ctx;

	pkt->next = NULL;
	if (sd->qt)
		sd->qt->next = pkt;
	else
		sd->qh = pkt;
	sd->qt = pkt;
}

static void config(struct ns_stack_config *cfg)
{
	cfg->ipv6_dad = false;
	cfg->ipv6_rtr_solicits = 0;
}

static void side_init(struct ds *w, struct side *sd, uint8_t me, uint8_t peer)
{
	struct ns_stack_config cfg;
	struct ns_channel_config cc = {
	    .mtu = 1500, .header = NS_LINK_HDR_ETHERNET, .caps = NS_CAP_RESOLUTION_REQUIRED};
	struct ns_subnet a4 = {.addr = NT_V4(192, 0, 2, me), .prefix = 24};
	struct ns_subnet a6 = {.addr = NT6(0x20, 0x01, 0x0d, 0xb8, [15] = me), .prefix = 64};
	struct ns_addr p4 = NT_V4(192, 0, 2, peer), p6 = NT6(0x20, 0x01, 0x0d, 0xb8, [15] = peer);
	struct ns_mac pm = {{2, 0, 0, 0, 0, peer}};

	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	config(&cfg);
	cfg.clock = &w->clock.base;
	cfg.seed = NT_SEED + me;
	assert_int_equal(ns_stack_new(&cfg, &sd->s), NS_OK);
	cc.mac = (struct ns_mac){{2, 0, 0, 0, 0, me}};
	sd->ch = ns_channel_new(&cc);
	assert_non_null(sd->ch);
	ns_channel_set_write_hook(sd->ch, on_write, sd);
	assert_int_equal(ns_stack_add_nic(sd->s, 1, sd->ch, "ds0"), NS_OK);
	assert_int_equal(ns_stack_add_address(sd->s, 1, &a4), NS_OK);
	assert_int_equal(ns_stack_add_address(sd->s, 1, &a6), NS_OK);
	assert_int_equal(ns_stack_add_static_neighbor(sd->s, 1, &p4, &pm), NS_OK);
	assert_int_equal(ns_stack_add_static_neighbor(sd->s, 1, &p6, &pm), NS_OK);
}

/* Check a frame on its way: IPv6 fields and the transport checksum; note SYNs' MSS. */
static void inspect(struct ds *w, const uint8_t *f, uint32_t len)
{
	struct eth_repr e;
	struct ipv6_repr ip;
	const uint8_t *l4;
	uint32_t l4len;

	assert_true(eth_parse(&e, f, len));
	if (e.type == ETH_P_IP) {
		w->v4_frames++;
		if (len >= 14 + 20 + 20 && f[14 + 9] == IPV6_NH_TCP) {
			struct tcp_repr t;

			l4 = f + 14 + (f[14] & 15) * 4;
			if (tcp_parse(&t, l4, len - (uint32_t)(l4 - f)) == TCP_OK &&
			    (t.flags & TCP_SYN) && w->nsyn < 4)
				w->syn_mss[w->nsyn++] = t.mss;
		}
		return;
	}
	if (e.type != ETH_P_IPV6)
		return;
	w->v6_frames++;
	assert_int_equal(ipv6_parse(&ip, f + 14, len - 14), IPV6_OK);
	if (ip.next_header != IPV6_NH_TCP && ip.next_header != IPV6_NH_UDP)
		return;
	l4 = f + 14 + IPV6_HLEN;
	l4len = ip.payload_len;
	assert_true(ip.flow != 0); /* hashed flow labels */
	assert_int_equal(csum_fold(csum_partial(
	                     l4, l4len, csum_pseudo_v6(ip.src, ip.dst, ip.next_header, l4len))),
	                 0xffff);
	if (ip.next_header == IPV6_NH_TCP) {
		struct tcp_repr t;

		assert_int_equal(tcp_parse(&t, l4, l4len), TCP_OK);
		if ((t.flags & TCP_SYN) && w->nsyn < 4)
			w->syn_mss[w->nsyn++] = t.mss;
	}
}

static int pump(struct ds *w)
{
	int n = 0;
	struct side *from[2] = {&w->a, &w->b}, *to[2] = {&w->b, &w->a};

	for (int i = 0; i < 2; i++) {
		struct ns_pkt *p;

		while ((p = from[i]->qh) != NULL) {
			from[i]->qh = p->next;
			if (!from[i]->qh)
				from[i]->qt = NULL;
			inspect(w, ns_pkt_data(p), p->len);
			ns_channel_inject_bytes(to[i]->ch, ns_pkt_data(p), p->len);
			ns_pkt_free(p);
			n++;
		}
	}
	return n;
}

static void step_time(struct ds *w)
{
	uint64_t next = ns_stack_next_deadline(w->a.s), d = ns_stack_next_deadline(w->b.s);

	if (d < next)
		next = d;
	if (next == UINT64_MAX)
		next = w->clock.now + NS_MSEC;
	if (next > w->clock.now)
		w->clock.now = next;
	ns_stack_poll(w->a.s);
	ns_stack_poll(w->b.s);
}

/* Move frames (and, when none move, time) a bounded number of rounds. */
static void settle(struct ds *w, int rounds)
{
	for (int i = 0; i < rounds; i++)
		if (!pump(w))
			step_time(w);
}

static int ds_setup(void **state)
{
	struct ds *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->pkts0 = ns_pkt_live();
	ns_vclock_init(&w->clock, NT_T0);
	side_init(w, &w->a, 1, 2);
	side_init(w, &w->b, 2, 1);
	/* The joins' MLD reports, and quiet. */
	for (int i = 0; i < 50; i++)
		settle(w, 1);
	w->v4_frames = w->v6_frames = 0;
	*state = w;
	return 0;
}

static int ds_teardown(void **state)
{
	struct ds *w = *state;

	/* Run until every connection is gone (TIME_WAIT included). */
	for (int i = 0;
	     i < 100000 && (ns_stack_endpoints_live(w->a.s) || ns_stack_endpoints_live(w->b.s));
	     i++)
		settle(w, 1);
	assert_int_equal(ns_stack_endpoints_live(w->a.s), 0);
	assert_int_equal(ns_stack_endpoints_live(w->b.s), 0);
	pump(w);
	ns_stack_free(w->a.s);
	ns_stack_free(w->b.s);
	ns_link_destroy(w->a.ch);
	ns_link_destroy(w->b.ch);
	assert_int_equal(ns_pkt_live(), w->pkts0);
	free(w);
	return 0;
}

static struct ns_ep *ep_new(struct ns_stack *s, uint8_t family, uint8_t proto)
{
	struct ns_ep *ep;

	assert_int_equal(ns_ep_new(s, family, proto, NULL, &ep), NS_OK);
	return ep;
}

static struct ns_ep *listener(struct ds *w, uint8_t family, bool v6only, uint16_t port)
{
	struct ns_ep *l = ep_new(w->b.s, family, NS_IPPROTO_TCP);
	struct ns_sockaddr any = {.addr = {.family = family}, .port = port};

	if (family == NS_AF_INET6)
		assert_int_equal(ns_ep_set_opt(l, NS_IPV6_V6ONLY, v6only), NS_OK);
	assert_int_equal(ns_ep_bind(l, &any), NS_OK);
	assert_int_equal(ns_ep_listen(l, 8), NS_OK);
	return l;
}

static uint8_t pattern(uint32_t i)
{
	return (uint8_t)(i * 13 + (i >> 9));
}

/* Connect from A (an endpoint of @family) to @to, accept on @l, send @bytes each way
 * (client to server, then echoed back), check them; returns the server's connection. */
static struct ns_ep *exchange(struct ds *w, struct ns_ep *l, uint8_t family, struct ns_sockaddr to,
                              uint32_t bytes, struct ns_ep **cli_out, struct ns_sockaddr *peer)
{
	static uint8_t buf[65536];
	struct ns_ep *cli = ep_new(w->a.s, family, NS_IPPROTO_TCP), *srv = NULL;
	uint32_t sent = 0, got = 0, back = 0, echoed = 0;

	assert_int_equal(ns_ep_connect(cli, &to), NS_ERR_CONNECT_STARTED);
	for (int round = 0; round < 200000 && back < bytes; round++) {
		bool did = false;
		size_t n;
		struct ns_read_result r;

		if (!srv && ns_ep_accept(l, NULL, &srv, peer) == NS_OK)
			did = true;
		if (sent < bytes) {
			uint32_t k = bytes - sent < sizeof(buf) ? bytes - sent : sizeof(buf);

			for (uint32_t i = 0; i < k; i++)
				buf[i] = pattern(sent + i);
			if (ns_ep_write(cli, buf, k, NULL, &n) == NS_OK && n) {
				sent += (uint32_t)n;
				did = true;
			}
		}
		if (srv && ns_ep_read(srv, buf, sizeof(buf), 0, &r) == NS_OK && r.count) {
			for (size_t i = 0; i < r.count; i++)
				assert_int_equal(buf[i], pattern(got + (uint32_t)i));
			got += (uint32_t)r.count;
			/* Echo what was read (the send buffer takes it, or we wait). */
			if (ns_ep_write(srv, buf, r.count, NULL, &n) == NS_OK)
				echoed += (uint32_t)n;
			assert_int_equal(n, r.count);
			did = true;
		}
		if (ns_ep_read(cli, buf, sizeof(buf), 0, &r) == NS_OK && r.count) {
			for (size_t i = 0; i < r.count; i++)
				assert_int_equal(buf[i], pattern(back + (uint32_t)i));
			back += (uint32_t)r.count;
			did = true;
		}
		if (!pump(w) && !did)
			step_time(w);
	}
	assert_int_equal(got, bytes);
	assert_int_equal(echoed, bytes);
	assert_int_equal(back, bytes);
	*cli_out = cli;
	return srv;
}

static void close_all(struct ds *w, struct ns_ep *a, struct ns_ep *b, struct ns_ep *c)
{
	if (a)
		ns_ep_close(a);
	if (b)
		ns_ep_close(b);
	if (c)
		ns_ep_close(c);
	settle(w, 100);
}

/* ---------------------------------------------------------------- TCP over IPv6 */

/* A connection over IPv6: MSS 1440 (1500 - 40 - 20) each way, checksums over the IPv6
 * pseudo-header, addresses as they are. */
static void tcp_over_ipv6(void **state)
{
	struct ds *w = *state;
	struct ns_ep *l = listener(w, NS_AF_INET6, true, 80), *cli, *srv;
	struct ns_sockaddr to = {.addr = NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 2), .port = 80};
	struct ns_sockaddr peer, a;

	srv = exchange(w, l, NS_AF_INET6, to, 300000, &cli, &peer);
	assert_int_equal(w->nsyn, 2);
	assert_int_equal(w->syn_mss[0], 1440);
	assert_int_equal(w->syn_mss[1], 1440);
	assert_int_equal(w->v4_frames, 0);
	assert_true(w->v6_frames > 200);
	assert_memory_equal(peer.addr.a, NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 1).a, 16);
	assert_int_equal(ns_ep_local_addr(srv, &a), NS_OK);
	assert_int_equal(a.addr.family, NS_AF_INET6);
	assert_memory_equal(a.addr.a, to.addr.a, 16);
	assert_int_equal(ns_ep_peer_addr(cli, &a), NS_OK);
	assert_memory_equal(a.addr.a, to.addr.a, 16);
	close_all(w, cli, srv, l);
}

/* A closed IPv6 port answers with a RST: ECONNREFUSED at once. */
static void tcp_v6_refused(void **state)
{
	struct ds *w = *state;
	struct ns_ep *cli = ep_new(w->a.s, NS_AF_INET6, NS_IPPROTO_TCP);
	struct ns_sockaddr to = {.addr = NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 2), .port = 81};
	int64_t err;

	assert_int_equal(ns_ep_connect(cli, &to), NS_ERR_CONNECT_STARTED);
	settle(w, 20);
	assert_int_equal(ns_ep_get_opt(cli, NS_SO_ERROR, &err), NS_OK);
	assert_int_equal(err, NS_ERR_CONNECTION_REFUSED);
	ns_ep_close(cli);
}

/* ---------------------------------------------------------------- dual stack, TCP */

/* An IPv6 listener on :: takes IPv4 connections; their addresses are v4-mapped. */
static void tcp_ipv4_to_dual_listener(void **state)
{
	struct ds *w = *state;
	struct ns_ep *l = listener(w, NS_AF_INET6, false, 80), *cli, *srv;
	struct ns_sockaddr to = {.addr = NT_V4(192, 0, 2, 2), .port = 80};
	struct ns_sockaddr peer, a;
	struct ns_addr mapped_a = MAPPED(192, 0, 2, 1), mapped_b = MAPPED(192, 0, 2, 2);

	srv = exchange(w, l, NS_AF_INET, to, 100000, &cli, &peer);
	assert_int_equal(w->syn_mss[0], 1460); /* an IPv4 connection inside */
	assert_int_equal(w->syn_mss[1], 1460);
	assert_int_equal(w->v6_frames, 0);
	assert_true(ns_addr_eq(&peer.addr, &mapped_a));
	assert_int_equal(ns_ep_local_addr(srv, &a), NS_OK);
	assert_true(ns_addr_eq(&a.addr, &mapped_b));
	assert_int_equal(ns_ep_peer_addr(srv, &a), NS_OK);
	assert_true(ns_addr_eq(&a.addr, &mapped_a));
	/* The IPv4 client sees plain IPv4. */
	assert_int_equal(ns_ep_peer_addr(cli, &a), NS_OK);
	assert_int_equal(a.addr.family, NS_AF_INET);
	/* IPv6 still works on the same listener. */
	{
		struct ns_sockaddr to6 = {.addr = NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 2),
		                          .port = 80};
		struct ns_ep *cli6, *srv6;

		srv6 = exchange(w, l, NS_AF_INET6, to6, 10000, &cli6, &peer);
		assert_int_equal(peer.addr.family, NS_AF_INET6);
		assert_false(ns_addr_eq(&peer.addr, &mapped_a));
		close_all(w, cli6, srv6, NULL);
	}
	close_all(w, cli, srv, l);
}

/* With IPV6_V6ONLY an IPv6 listener takes no IPv4: the SYN is refused. */
static void tcp_v6only_refuses_ipv4(void **state)
{
	struct ds *w = *state;
	struct ns_ep *l = listener(w, NS_AF_INET6, true, 80);
	struct ns_ep *cli = ep_new(w->a.s, NS_AF_INET, NS_IPPROTO_TCP), *srv;
	struct ns_sockaddr to = {.addr = NT_V4(192, 0, 2, 2), .port = 80};
	int64_t err;

	assert_int_equal(ns_ep_connect(cli, &to), NS_ERR_CONNECT_STARTED);
	settle(w, 20);
	assert_int_equal(ns_ep_get_opt(cli, NS_SO_ERROR, &err), NS_OK);
	assert_int_equal(err, NS_ERR_CONNECTION_REFUSED);
	assert_int_equal(ns_ep_accept(l, NULL, &srv, NULL), NS_ERR_WOULD_BLOCK);
	close_all(w, cli, l, NULL);
}

/* An IPv6 endpoint connecting to a v4-mapped address makes an IPv4 connection. */
static void tcp_v6_client_to_mapped(void **state)
{
	struct ds *w = *state;
	struct ns_ep *l = listener(w, NS_AF_INET, false, 8080), *cli, *srv;
	struct ns_sockaddr to = {.addr = MAPPED(192, 0, 2, 2), .port = 8080};
	struct ns_sockaddr peer, a;
	struct ns_addr mapped_a = MAPPED(192, 0, 2, 1);

	srv = exchange(w, l, NS_AF_INET6, to, 50000, &cli, &peer);
	assert_int_equal(peer.addr.family, NS_AF_INET);
	assert_int_equal(w->v6_frames, 0);
	assert_int_equal(ns_ep_local_addr(cli, &a), NS_OK);
	assert_true(ns_addr_eq(&a.addr, &mapped_a));
	assert_int_equal(ns_ep_peer_addr(cli, &a), NS_OK);
	assert_true(ns_addr_eq(&a.addr, &to.addr));
	close_all(w, cli, srv, l);
	/* With IPV6_V6ONLY, or once bound to an IPv6 address, no v4-mapped peer. */
	cli = ep_new(w->a.s, NS_AF_INET6, NS_IPPROTO_TCP);
	assert_int_equal(ns_ep_set_opt(cli, NS_IPV6_V6ONLY, 1), NS_OK);
	assert_int_equal(ns_ep_connect(cli, &to), NS_ERR_NETWORK_UNREACHABLE);
	ns_ep_close(cli);
}

/* The port table: a dual-stack :: binding holds the port for IPv4 too (Linux: EADDRINUSE
 * against 0.0.0.0); with IPV6_V6ONLY the two coexist. */
static void port_conflicts(void **state)
{
	struct ds *w = *state;
	struct ns_ep *v4 = ep_new(w->b.s, NS_AF_INET, NS_IPPROTO_TCP);
	struct ns_ep *d = ep_new(w->b.s, NS_AF_INET6, NS_IPPROTO_TCP);
	struct ns_ep *o = ep_new(w->b.s, NS_AF_INET6, NS_IPPROTO_TCP);
	struct ns_sockaddr any4 = {.addr = {.family = NS_AF_INET}, .port = 90};
	struct ns_sockaddr any6 = {.addr = {.family = NS_AF_INET6}, .port = 90};
	int64_t v;

	assert_int_equal(ns_ep_bind(v4, &any4), NS_OK);
	assert_int_equal(ns_ep_bind(d, &any6), NS_ERR_PORT_IN_USE);
	assert_int_equal(ns_ep_set_opt(o, NS_IPV6_V6ONLY, 1), NS_OK);
	assert_int_equal(ns_ep_bind(o, &any6), NS_OK);
	/* The option: IPv6 only, and fixed once bound. */
	assert_int_equal(ns_ep_set_opt(o, NS_IPV6_V6ONLY, 0), NS_ERR_INVALID_ENDPOINT_STATE);
	assert_int_equal(ns_ep_get_opt(o, NS_IPV6_V6ONLY, &v), NS_OK);
	assert_int_equal(v, 1);
	assert_int_equal(ns_ep_set_opt(v4, NS_IPV6_V6ONLY, 1), NS_ERR_UNKNOWN_PROTOCOL_OPTION);
	ns_ep_close(v4);
	ns_ep_close(o);
	/* Dual first: IPv4 then collides. */
	assert_int_equal(ns_ep_bind(d, &any6), NS_OK);
	v4 = ep_new(w->b.s, NS_AF_INET, NS_IPPROTO_TCP);
	assert_int_equal(ns_ep_bind(v4, &any4), NS_ERR_PORT_IN_USE);
	ns_ep_close(v4);
	ns_ep_close(d);
	/* UDP the same. */
	v4 = ep_new(w->b.s, NS_AF_INET, NS_IPPROTO_UDP);
	d = ep_new(w->b.s, NS_AF_INET6, NS_IPPROTO_UDP);
	assert_int_equal(ns_ep_bind(v4, &any4), NS_OK);
	assert_int_equal(ns_ep_bind(d, &any6), NS_ERR_PORT_IN_USE);
	ns_ep_close(v4);
	ns_ep_close(d);
}

/* ---------------------------------------------------------------- dual stack, UDP */

/* A dual-stack UDP endpoint on [::]:7 echoes IPv4 and IPv6 alike. */
static void udp_dual_echo(void **state)
{
	struct ds *w = *state;
	struct ns_ep *srv = ep_new(w->b.s, NS_AF_INET6, NS_IPPROTO_UDP);
	struct ns_ep *c4 = ep_new(w->a.s, NS_AF_INET, NS_IPPROTO_UDP);
	struct ns_ep *c6 = ep_new(w->a.s, NS_AF_INET6, NS_IPPROTO_UDP);
	struct ns_sockaddr any6 = {.addr = {.family = NS_AF_INET6}, .port = 7};
	struct ns_sockaddr to4 = {.addr = NT_V4(192, 0, 2, 2), .port = 7};
	struct ns_sockaddr to6 = {.addr = NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 2), .port = 7};
	struct ns_addr mapped_a = MAPPED(192, 0, 2, 1);
	struct ns_read_result r;
	struct ns_write_opts wo = {0};
	char buf[32];
	size_t n;

	assert_int_equal(ns_ep_bind(srv, &any6), NS_OK);
	assert_int_equal(ns_ep_connect(c4, &to4), NS_OK);
	assert_int_equal(ns_ep_connect(c6, &to6), NS_OK);
	/* Over IPv4. */
	assert_int_equal(ns_ep_write(c4, "over v4", 7, NULL, &n), NS_OK);
	settle(w, 5);
	assert_int_equal(ns_ep_read(srv, buf, sizeof(buf), 0, &r), NS_OK);
	assert_int_equal(r.count, 7);
	assert_true(ns_addr_eq(&r.from.addr, &mapped_a));
	wo.to = &r.from;
	assert_int_equal(ns_ep_write(srv, buf, r.count, &wo, &n), NS_OK);
	settle(w, 5);
	assert_int_equal(ns_ep_read(c4, buf, sizeof(buf), 0, &r), NS_OK);
	assert_memory_equal(buf, "over v4", 7);
	assert_int_equal(r.from.addr.family, NS_AF_INET);
	/* Over IPv6. */
	assert_int_equal(ns_ep_write(c6, "over v6", 7, NULL, &n), NS_OK);
	settle(w, 5);
	assert_int_equal(ns_ep_read(srv, buf, sizeof(buf), 0, &r), NS_OK);
	assert_int_equal(r.from.addr.family, NS_AF_INET6);
	assert_false(ns_addr_eq(&r.from.addr, &mapped_a));
	wo.to = &r.from;
	assert_int_equal(ns_ep_write(srv, buf, r.count, &wo, &n), NS_OK);
	settle(w, 5);
	assert_int_equal(ns_ep_read(c6, buf, sizeof(buf), 0, &r), NS_OK);
	assert_memory_equal(buf, "over v6", 7);
	assert_true(w->v4_frames >= 2 && w->v6_frames >= 2);
	ns_ep_close(srv);
	ns_ep_close(c4);
	ns_ep_close(c6);
}

/* A v6only UDP endpoint takes no IPv4: the datagram finds no port (ICMP port unreachable,
 * which the connected IPv4 sender sees). A v6only endpoint cannot send to v4-mapped. */
static void udp_v6only(void **state)
{
	struct ds *w = *state;
	struct ns_ep *srv = ep_new(w->b.s, NS_AF_INET6, NS_IPPROTO_UDP);
	struct ns_ep *c4 = ep_new(w->a.s, NS_AF_INET, NS_IPPROTO_UDP);
	struct ns_sockaddr any6 = {.addr = {.family = NS_AF_INET6}, .port = 7};
	struct ns_sockaddr to4 = {.addr = NT_V4(192, 0, 2, 2), .port = 7};
	struct ns_sockaddr tomapped = {.addr = MAPPED(192, 0, 2, 1), .port = 7};
	struct ns_write_opts wo = {.to = &tomapped};
	struct ns_read_result r;
	char buf[8];
	size_t n;
	int64_t err;

	assert_int_equal(ns_ep_set_opt(srv, NS_IPV6_V6ONLY, 1), NS_OK);
	assert_int_equal(ns_ep_bind(srv, &any6), NS_OK);
	assert_int_equal(ns_ep_connect(c4, &to4), NS_OK);
	assert_int_equal(ns_ep_write(c4, "v4?", 3, NULL, &n), NS_OK);
	settle(w, 5);
	assert_int_equal(ns_ep_read(srv, buf, sizeof(buf), 0, &r), NS_ERR_WOULD_BLOCK);
	assert_int_equal(ns_ep_get_opt(c4, NS_SO_ERROR, &err), NS_OK);
	assert_int_equal(err, NS_ERR_CONNECTION_REFUSED);
	assert_int_equal(ns_ep_write(srv, "x", 1, &wo, &n), NS_ERR_NETWORK_UNREACHABLE);
	assert_int_equal(ns_ep_connect(srv, &tomapped), NS_ERR_NETWORK_UNREACHABLE);
	ns_ep_close(srv);
	ns_ep_close(c4);
}

/* A dual-stack UDP endpoint connected to a v4-mapped peer is an IPv4 one until it
 * disconnects. */
static void udp_connect_mapped(void **state)
{
	struct ds *w = *state;
	struct ns_ep *srv = ep_new(w->b.s, NS_AF_INET, NS_IPPROTO_UDP);
	struct ns_ep *c = ep_new(w->a.s, NS_AF_INET6, NS_IPPROTO_UDP);
	struct ns_sockaddr any4 = {.addr = {.family = NS_AF_INET}, .port = 9};
	struct ns_sockaddr to = {.addr = MAPPED(192, 0, 2, 2), .port = 9};
	struct ns_sockaddr unspec = {.addr = {.family = NS_AF_UNSPEC}};
	struct ns_sockaddr a;
	struct ns_addr mapped_a = MAPPED(192, 0, 2, 1);
	struct ns_read_result r;
	char buf[8];
	size_t n;

	assert_int_equal(ns_ep_bind(srv, &any4), NS_OK);
	assert_int_equal(ns_ep_connect(c, &to), NS_OK);
	assert_int_equal(ns_ep_local_addr(c, &a), NS_OK);
	assert_true(ns_addr_eq(&a.addr, &mapped_a));
	assert_int_equal(ns_ep_peer_addr(c, &a), NS_OK);
	assert_true(ns_addr_eq(&a.addr, &to.addr));
	assert_int_equal(ns_ep_write(c, "hi", 2, NULL, &n), NS_OK);
	settle(w, 5);
	assert_int_equal(ns_ep_read(srv, buf, sizeof(buf), 0, &r), NS_OK);
	assert_int_equal(r.from.addr.family, NS_AF_INET);
	/* Disconnected, it is an IPv6 endpoint again. */
	assert_int_equal(ns_ep_connect(c, &unspec), NS_OK);
	assert_int_equal(ns_ep_local_addr(c, &a), NS_OK);
	assert_int_equal(a.addr.family, NS_AF_INET6);
	ns_ep_close(srv);
	ns_ep_close(c);
}

/* Linux's compute_score() never offers an IPv4 datagram to a v6only socket: a v6only
 * endpoint bound to the NIC (SO_BINDTODEVICE, sharing the port through SO_REUSEADDR)
 * must not hide the dual-stack endpoint on the same [::]:port from IPv4, although a
 * NIC-bound group otherwise wins over an unbound one. */
static void udp_nic_bound_v6only_does_not_hide_dual(void **state)
{
	struct ds *w = *state;
	struct ns_ep *dual = ep_new(w->b.s, NS_AF_INET6, NS_IPPROTO_UDP);
	struct ns_ep *v6 = ep_new(w->b.s, NS_AF_INET6, NS_IPPROTO_UDP);
	struct ns_ep *c4 = ep_new(w->a.s, NS_AF_INET, NS_IPPROTO_UDP);
	struct ns_sockaddr any6 = {.addr = {.family = NS_AF_INET6}, .port = 7};
	struct ns_sockaddr to4 = {.addr = NT_V4(192, 0, 2, 2), .port = 7};
	struct ns_addr mapped_a = MAPPED(192, 0, 2, 1);
	struct ns_read_result r;
	char buf[8];
	size_t n;

	assert_int_equal(ns_ep_set_opt(dual, NS_SO_REUSEADDR, 1), NS_OK);
	assert_int_equal(ns_ep_bind(dual, &any6), NS_OK);
	assert_int_equal(ns_ep_set_opt(v6, NS_IPV6_V6ONLY, 1), NS_OK);
	assert_int_equal(ns_ep_set_opt(v6, NS_SO_REUSEADDR, 1), NS_OK);
	assert_int_equal(ns_ep_set_opt(v6, NS_SO_BINDTODEVICE, 1), NS_OK);
	assert_int_equal(ns_ep_bind(v6, &any6), NS_OK);
	assert_int_equal(ns_ep_connect(c4, &to4), NS_OK);
	assert_int_equal(ns_ep_write(c4, "v4", 2, NULL, &n), NS_OK);
	settle(w, 5);
	assert_int_equal(ns_ep_read(dual, buf, sizeof(buf), 0, &r), NS_OK);
	assert_int_equal(r.count, 2);
	assert_true(ns_addr_eq(&r.from.addr, &mapped_a));
	assert_int_equal(ns_ep_read(v6, buf, sizeof(buf), 0, &r), NS_ERR_WOULD_BLOCK);
	ns_ep_close(dual);
	ns_ep_close(v6);
	ns_ep_close(c4);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, ds_setup, ds_teardown)
	const struct CMUnitTest tests[] = {
	    T(tcp_over_ipv6),
	    T(tcp_v6_refused),
	    T(tcp_ipv4_to_dual_listener),
	    T(tcp_v6only_refuses_ipv4),
	    T(tcp_v6_client_to_mapped),
	    T(port_conflicts),
	    T(udp_dual_echo),
	    T(udp_v6only),
	    T(udp_connect_mapped),
	    T(udp_nic_bound_v6only_does_not_hide_dual),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
