/* SPDX-License-Identifier: MIT */
/*
 * TCP through a netstack router, with offloads on either side of it: three stacks on one
 * virtual clock, wired by channel links whose packets cross whole, offload metadata and all
 * (as over veth pairs or TAPs with virtio-net headers):
 *
 *     A 192.0.2.1       <-- link 1 -->  R 192.0.2.2       R 198.51.100.2  <-- link 2 -->  B
 *       2001:db8::1                       2001:db8::2       2001:db8:2::2    198.51.100.1
 *                                                                            2001:db8:2::1
 *
 * R forwards (ns_stack_config.forwarding); A and B route everything through it. A's
 * client sends a patterned stream to B's server, which checks every byte. The capabilities
 * of the four channel ends vary per case, so R receives GSO super-frames and partial
 * checksums and must send them on to a link that segments and finishes checksums, or to
 * one that does neither (software GSO and software checksums in R's NIC). B's link has no
 * receive offload: it verifies every checksum itself, so a partial checksum R let through
 * unfinished would be dropped there (drop_tcp_bad_csum) and the transfer would stall. No
 * frame is lost anywhere, so nothing may be retransmitted either.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp_test.h"

#define HW      (NS_CAP_HW_GSO | NS_CAP_TX_CSUM_OFFLOAD)
#define CSUM    NS_CAP_TX_CSUM_OFFLOAD
#define BYTES   (2u << 20)
#define PORT    5001
#define LIMIT   (60 * NS_SEC)
#define NSTACKS 3

/* One end of a link: the channel and what it wrote, waiting to cross. */
struct end {
	struct ns_link *ch;
	struct ns_pkt *qh, *qt;
	struct end *peer;
};

struct world {
	struct ns_vclock clock;
	struct ns_stack *a, *r, *b;
	struct end a1, r1, r2, b2;
	int64_t pkts0;
};

static void on_write(void *ctx, struct ns_pkt *pkt)
{
	struct end *e = ctx;

	pkt->next = NULL;
	if (e->qt)
		e->qt->next = pkt;
	else
		e->qh = pkt;
	e->qt = pkt;
}

static struct ns_stack *stack_new(struct world *w, uint64_t seed, bool forwarding)
{
	struct ns_stack_config cfg;
	struct ns_stack *s;

	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	cfg.clock = &w->clock.base;
	cfg.seed = seed;
	cfg.forwarding = forwarding;
	cfg.ipv6_dad = false;
	cfg.ipv6_rtr_solicits = 0;
	assert_int_equal(ns_stack_new(&cfg, &s), NS_OK);
	return s;
}

/* A NIC on @s on a fresh channel end @e (MAC 02:00:00:00:@net:@host) with @caps, its two
 * addresses, and a static neighbor for the other end's addresses. */
static void nic_add(struct ns_stack *s, struct end *e, uint32_t id, uint8_t net, uint8_t host,
                    uint8_t peer_host, uint32_t caps)
{
	struct ns_channel_config cc = {.mtu = 1500,
	                               .header = NS_LINK_HDR_ETHERNET,
	                               .mac = {{2, 0, 0, 0, net, host}},
	                               .caps = NS_CAP_RESOLUTION_REQUIRED | caps};
	struct ns_subnet a4 = {
	    .addr = net == 1 ? NT_V4(192, 0, 2, host) : NT_V4(198, 51, 100, host), .prefix = 24};
	struct ns_subnet a6 = {
	    .addr = {.family = NS_AF_INET6,
	             .a = {0x20, 0x01, 0x0d, 0xb8, 0, net == 1 ? 0 : 2, [15] = host}},
	    .prefix = 64};
	struct ns_addr p4 = a4.addr, p6 = a6.addr;
	struct ns_mac pm = {{2, 0, 0, 0, net, peer_host}};

	p4.a[3] = peer_host;
	p6.a[15] = peer_host;
	e->ch = ns_channel_new(&cc);
	assert_non_null(e->ch);
	ns_channel_set_write_hook(e->ch, on_write, e);
	assert_int_equal(ns_stack_add_nic(s, id, e->ch, NULL), NS_OK);
	assert_int_equal(ns_stack_add_address(s, id, &a4), NS_OK);
	assert_int_equal(ns_stack_add_address(s, id, &a6), NS_OK);
	assert_int_equal(ns_stack_add_static_neighbor(s, id, &p4, &pm), NS_OK);
	assert_int_equal(ns_stack_add_static_neighbor(s, id, &p6, &pm), NS_OK);
}

static void default_routes(struct ns_stack *s, uint8_t net, uint8_t gw_host)
{
	struct ns_route_entry r4 = {.dest = {.addr = {.family = NS_AF_INET}},
	                            .gateway = net == 1 ? NT_V4(192, 0, 2, gw_host)
	                                                : NT_V4(198, 51, 100, gw_host),
	                            .nic = 1};
	struct ns_route_entry r6 = {
	    .dest = {.addr = {.family = NS_AF_INET6}},
	    .gateway = {.family = NS_AF_INET6,
	                .a = {0x20, 0x01, 0x0d, 0xb8, 0, net == 1 ? 0 : 2, [15] = gw_host}},
	    .nic = 1};

	assert_int_equal(ns_stack_add_route(s, &r4), NS_OK);
	assert_int_equal(ns_stack_add_route(s, &r6), NS_OK);
}

/* caps: A's end of link 1, R's end of link 1, R's end of link 2, B's end of link 2. */
static struct world *world_new(const uint32_t caps[4])
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->pkts0 = ns_pkt_live();
	ns_vclock_init(&w->clock, NT_T0);
	w->a = stack_new(w, 11, false);
	w->r = stack_new(w, 12, true);
	w->b = stack_new(w, 13, false);
	nic_add(w->a, &w->a1, 1, 1, 1, 2, caps[0]);
	nic_add(w->r, &w->r1, 1, 1, 2, 1, caps[1]);
	nic_add(w->r, &w->r2, 2, 2, 2, 1, caps[2]);
	nic_add(w->b, &w->b2, 1, 2, 1, 2, caps[3]);
	w->a1.peer = &w->r1;
	w->r1.peer = &w->a1;
	w->r2.peer = &w->b2;
	w->b2.peer = &w->r2;
	default_routes(w->a, 1, 2);
	default_routes(w->b, 2, 2);
	return w;
}

/* Deliver what every end wrote to its peer; returns how many frames crossed. */
static int pump(struct world *w)
{
	struct end *ends[4] = {&w->a1, &w->r1, &w->r2, &w->b2};
	int n = 0;

	for (int i = 0; i < 4; i++) {
		struct ns_pkt *p;

		while ((p = ends[i]->qh) != NULL) {
			ends[i]->qh = p->next;
			if (!ends[i]->qh)
				ends[i]->qt = NULL;
			p->next = NULL;
			ns_channel_inject(ends[i]->peer->ch, p); /* metadata and all */
			n++;
		}
	}
	return n;
}

static void step_time(struct world *w)
{
	struct ns_stack *all[NSTACKS] = {w->a, w->r, w->b};
	uint64_t next = UINT64_MAX;

	for (int i = 0; i < NSTACKS; i++) {
		uint64_t d = ns_stack_next_deadline(all[i]);

		if (d < next)
			next = d;
	}
	assert_true(next != UINT64_MAX);
	if (next > w->clock.now)
		w->clock.now = next;
	for (int i = 0; i < NSTACKS; i++)
		ns_stack_poll(all[i]);
}

static uint8_t pattern(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 11));
}

/* A's client sends BYTES to B's server over @family; every byte is checked. */
static void transfer(struct world *w, uint8_t family, struct ns_tcp_info *cli_info)
{
	static uint8_t buf[65536];
	struct ns_sockaddr any = {.addr = {.family = family}, .port = PORT};
	struct ns_sockaddr to = {.port = PORT};
	struct ns_ep *lst, *cli, *srv = NULL;
	uint32_t sent = 0, rcvd = 0;
	uint64_t t0 = w->clock.now;
	bool shut = false, eof = false;

	if (family == NS_AF_INET)
		to.addr = NT_V4(198, 51, 100, 1);
	else
		to.addr = (struct ns_addr){.family = NS_AF_INET6,
		                           .a = {0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 1}};
	assert_int_equal(ns_ep_new(w->b, family, NS_IPPROTO_TCP, NULL, &lst), NS_OK);
	assert_int_equal(ns_ep_bind(lst, &any), NS_OK);
	assert_int_equal(ns_ep_listen(lst, 4), NS_OK);
	assert_int_equal(ns_ep_new(w->a, family, NS_IPPROTO_TCP, NULL, &cli), NS_OK);
	assert_int_equal(ns_ep_connect(cli, &to), NS_ERR_CONNECT_STARTED);
	while (!eof) {
		bool did = pump(w) > 0;

		if (!srv && ns_ep_accept(lst, NULL, &srv, NULL) == NS_OK)
			did = true;
		if (tt_state(cli) == TCP_ESTABLISHED && sent < BYTES) {
			uint32_t n = BYTES - sent < sizeof(buf) ? BYTES - sent : sizeof(buf);
			size_t wrote = 0;

			for (uint32_t i = 0; i < n; i++)
				buf[i] = pattern(sent + i);
			if (ns_ep_write(cli, buf, n, NULL, &wrote) == NS_OK && wrote) {
				sent += (uint32_t)wrote;
				did = true;
			}
		}
		if (sent == BYTES && !shut) {
			assert_int_equal(ns_ep_shutdown(cli, NS_SHUT_WR), NS_OK);
			shut = did = true;
		}
		while (srv && !eof) {
			struct ns_read_result r;
			ns_err err = ns_ep_read(srv, buf, sizeof(buf), 0, &r);

			if (err == NS_ERR_CLOSED_FOR_RECEIVE) {
				eof = did = true;
				break;
			}
			if (err != NS_OK)
				break;
			for (size_t i = 0; i < r.count; i++)
				if (buf[i] != pattern(rcvd + (uint32_t)i))
					fail_msg("byte %zu differs", rcvd + i);
			rcvd += (uint32_t)r.count;
			did = true;
		}
		if (!did)
			step_time(w);
		if (w->clock.now - t0 > LIMIT)
			fail_msg(
			    "stalled: %u sent, %u received (b: drop_tcp_bad_csum %llu)", sent, rcvd,
			    (unsigned long long)ns_stack_stats(w->b)->drop[NS_DROP_TCP_BAD_CSUM]);
	}
	assert_int_equal(rcvd, BYTES);
	assert_int_equal(ns_ep_get_tcp_info(cli, cli_info), NS_OK);
	ns_ep_close(srv);
	ns_ep_close(cli);
	ns_ep_close(lst);
}

static void world_free(struct world *w)
{
	struct ns_stack *all[NSTACKS] = {w->a, w->r, w->b};
	uint64_t t0 = w->clock.now;

	while (ns_stack_endpoints_live(w->a) || ns_stack_endpoints_live(w->b)) {
		if (!pump(w))
			step_time(w);
		if (w->clock.now - t0 > LIMIT)
			fail_msg("connections never finished closing");
	}
	pump(w);
	for (int i = 0; i < NSTACKS; i++)
		ns_stack_free(all[i]);
	ns_link_destroy(w->a1.ch);
	ns_link_destroy(w->r1.ch);
	ns_link_destroy(w->r2.ch);
	ns_link_destroy(w->b2.ch);
	assert_int_equal(ns_pkt_live(), w->pkts0);
	free(w);
}

/* One case, both families: the stream arrives whole, nothing was dropped for a bad
 * checksum or bad offload metadata anywhere, nothing was retransmitted; returns R's
 * counters (summed over both transfers) for the case's own checks. */
static struct ns_stats run(const uint32_t caps[4])
{
	struct world *w = world_new(caps);
	struct ns_stats st;
	struct ns_tcp_info ti;

	for (int f = 0; f < 2; f++) {
		transfer(w, f ? NS_AF_INET6 : NS_AF_INET, &ti);
		assert_int_equal(ti.total_retrans, 0);
	}
	assert_int_equal(ns_stack_stats(w->b)->drop[NS_DROP_TCP_BAD_CSUM], 0);
	assert_int_equal(ns_stack_stats(w->a)->drop[NS_DROP_TCP_BAD_CSUM], 0);
	assert_int_equal(ns_stack_stats(w->r)->drop[NS_DROP_OFFLOAD_BAD], 0);
	assert_int_equal(ns_stack_stats(w->r)->drop[NS_DROP_IPV4_TOO_BIG], 0);
	assert_int_equal(ns_stack_stats(w->r)->drop[NS_DROP_IPV6_TOO_BIG], 0);
	st = *ns_stack_stats(w->r);
	assert_true(st.stat[NS_STAT_IP_FORWARDED] > 2 * BYTES / 65536);
	world_free(w);
	return st;
}

/* Offloads all the way: A's super-frames cross R whole. */
static void gso_through_router_to_gso_link(void **state)
{
	struct ns_stats st = run((const uint32_t[4]){HW, HW, HW, HW});

	(void)state;
	assert_true(st.stat[NS_STAT_GSO_RX] > 2 * BYTES / 65536);
	assert_int_equal(st.stat[NS_STAT_GSO_SW_SEGMENTS], 0);
}

/* A's super-frames reach R whole and leave it segmented, every checksum computed in
 * software, for a B without offloads. */
static void gso_through_router_to_plain_link(void **state)
{
	struct ns_stats st = run((const uint32_t[4]){HW, HW, 0, 0});

	(void)state;
	assert_true(st.stat[NS_STAT_GSO_RX] > 2 * BYTES / 65536);
	assert_true(st.stat[NS_STAT_GSO_SW_SEGMENTS] > 2 * BYTES / 1500);
}

/* A leaves its checksums partial (no GSO); R finishes them for B's plain link, or leaves
 * them partial for a link that finishes them. */
static void partial_checksums_through_router(void **state)
{
	(void)state;
	run((const uint32_t[4]){CSUM, CSUM, 0, 0});
	run((const uint32_t[4]){CSUM, CSUM, CSUM, 0});
}

/* No offloads at A; B's ACKs and the SYN-ACK come back through R the other way, to a link
 * that segments: nothing to do but forward. */
static void plain_through_router(void **state)
{
	struct ns_stats st = run((const uint32_t[4]){0, 0, HW, HW});

	(void)state;
	assert_int_equal(st.stat[NS_STAT_GSO_RX], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(gso_through_router_to_gso_link),
	    cmocka_unit_test(gso_through_router_to_plain_link),
	    cmocka_unit_test(partial_checksums_through_router),
	    cmocka_unit_test(plain_through_router),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
