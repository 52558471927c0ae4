/* SPDX-License-Identifier: MIT */
/*
 * Packet-level tests of neighbor resolution through ARP: a packet to an unknown MAC is
 * queued while ARP asks (RFC 826; retries and failure with RFC 4861 7.3 timing, as Linux
 * applies it to ARP), flushed when the answer comes, and reported when none does.
 */
#include <string.h>

#include "harness.h"

static int setup_no_neighbor(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.no_neighbor = true));
}

static int setup_no_neighbor_probe(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.no_neighbor = true, .probe = true));
}

/* The broadcast request we send to resolve the peer. */
static void expect_request(struct nt *t)
{
	nt_expect_arp(t, NT_ARP(.eth_src = NT_MAC_US, .eth_dst = NT_MAC_BCAST, .op = ARP_OP_REQUEST,
	                        .sha = NT_MAC_US, .spa = NT_ADDR_US, .tha = NT_MAC_ZERO,
	                        .tpa = NT_ADDR_PEER));
}

/* The peer's answer, unicast to us. */
static void send_reply(struct nt *t)
{
	nt_send_arp(t, NT_ARP(.op = ARP_OP_REPLY, .eth_dst = NT_MAC_US, .sha = NT_MAC_PEER,
	                      .spa = NT_ADDR_PEER, .tha = NT_MAC_US, .tpa = NT_ADDR_US));
}

static void echo_reply_to_unknown_mac_waits_for_arp(void **state)
{
	struct nt *t = *state;
	struct ns_addr peer = NT_ADDR_PEER;
	struct ns_mac mac;

	nt_send_icmp_echo(t, NT_ICMP(.seq = 9, .payload = "queued"));
	expect_request(t);
	nt_expect_nothing(t);
	send_reply(t);
	nt_expect_icmp(t, NT_ICMP(.eth_dst = NT_MAC_PEER, .dst = NT_ADDR_PEER,
	                          .type = ICMPV4_ECHO_REPLY, .seq = 9, .payload = "queued"));
	nt_expect_nothing(t);
	assert_true(ns_stack_neighbor(t->s, NT_NIC, &peer, &mac));
	assert_memory_equal(mac.b, NT_MAC_PEER.m.b, 6);
	assert_int_equal(nt_stat(t, NS_STAT_NEIGH_RESOLVED), 1);
	assert_int_equal(nt_stat(t, NS_STAT_ARP_REQUESTS_TX), 1);
	assert_int_equal(nt_stat(t, NS_STAT_ARP_REPLIES_RX), 1);
	/* Resolved: the next reply goes straight out. */
	nt_send_icmp_echo(t, NT_ICMP(.seq = 10));
	nt_expect_icmp(t, NT_ICMP(.eth_dst = NT_MAC_PEER, .seq = 10));
	nt_expect_nothing(t);
}

static void arp_retried_every_second_then_fails(void **state)
{
	struct nt *t = *state;

	nt_send_icmp_echo(t, NT_ICMP(.payload = "lost"));
	expect_request(t);
	/* Retries exactly 1 s apart (neigh_retrans_ns), three requests in all. */
	for (int retry = 1; retry <= 2; retry++) {
		nt_advance(t, NS_SEC - 1);
		nt_expect_nothing(t);
		nt_advance(t, 1);
		assert_int_equal(nt_now(t), NT_T0 + (uint64_t)retry * NS_SEC);
		expect_request(t);
	}
	nt_advance(t, NS_SEC - 1);
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_NEIGH_FAILED), 0);
	/* At 3 s the third request has gone unanswered: the queue is dropped. */
	nt_advance(t, 1);
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_NEIGH_FAILED), 1);
	assert_int_equal(nt_drops(t, NS_DROP_NEIGH_FAILED), 1);
	assert_int_equal(nt_stat(t, NS_STAT_ARP_REQUESTS_TX), 3);
	/* Nothing more is tried... */
	nt_advance(t, 10 * NS_SEC);
	nt_expect_nothing(t);
	/* ... until the next packet starts afresh. */
	nt_send_icmp_echo(t, NT_ICMP(.payload = "again"));
	expect_request(t);
	send_reply(t);
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .payload = "again"));
}

static void late_reply_after_failure_changes_nothing(void **state)
{
	struct nt *t = *state;
	struct ns_addr peer = NT_ADDR_PEER;

	nt_send_icmp_echo(t, NT_ICMP());
	nt_advance(t, 3 * NS_SEC);
	assert_int_equal(nt_discard(t), 3);
	assert_int_equal(nt_stat(t, NS_STAT_NEIGH_FAILED), 1);
	/* The entry is gone, and the dropped packet does not come back. The reply is now
	 * unsolicited: it creates no entry (Linux arp_accept=0; this test used to expect one,
	 * which let any host plant entries with replies). */
	send_reply(t);
	nt_expect_nothing(t);
	assert_false(ns_stack_neighbor(t->s, NT_NIC, &peer, NULL));
}

static void queued_replies_flush_in_order(void **state)
{
	struct nt *t = *state;

	for (int seq = 1; seq <= 3; seq++) {
		nt_send_icmp_echo(t, NT_ICMP(.seq = seq));
		nt_advance(t, 100 * NS_MSEC);
	}
	/* One request for all three. */
	expect_request(t);
	nt_expect_nothing(t);
	send_reply(t);
	for (int seq = 1; seq <= 3; seq++)
		nt_expect_icmp(
		    t, NT_ICMP(.eth_dst = NT_MAC_PEER, .type = ICMPV4_ECHO_REPLY, .seq = seq));
	nt_expect_nothing(t);
}

static void request_from_peer_resolves_waiting_packet(void **state)
{
	struct nt *t = *state;

	nt_send_icmp_echo(t, NT_ICMP());
	expect_request(t);
	/* The peer asks for us before it answers: RFC 826 learns its MAC from that. */
	nt_send_arp(t, NT_ARP());
	nt_expect_icmp(t, NT_ICMP(.eth_dst = NT_MAC_PEER, .type = ICMPV4_ECHO_REPLY));
	nt_expect_arp(t, NT_ARP(.op = ARP_OP_REPLY, .eth_dst = NT_MAC_PEER));
	nt_expect_nothing(t);
}

static void stale_entry_confirmed_with_unicast_probe(void **state)
{
	struct nt *t = *state;

	nt_send_icmp_echo(t, NT_ICMP());
	expect_request(t);
	send_reply(t);
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY));
	/* Past the reachable time (RFC 4861 6.3.2: a random 0.5..1.5 times 30 s) the entry is
	 * stale; it still serves at once... */
	nt_advance(t, 46 * NS_SEC);
	nt_expect_nothing(t);
	nt_send_icmp_echo(t, NT_ICMP());
	nt_expect_icmp(t, NT_ICMP(.eth_dst = NT_MAC_PEER, .type = ICMPV4_ECHO_REPLY));
	/* ... and after the delay a unicast request to the cached MAC confirms it. */
	nt_advance(t, 5 * NS_SEC);
	nt_expect_arp(t, NT_ARP(.eth_dst = NT_MAC_PEER, .op = ARP_OP_REQUEST, .sha = NT_MAC_US,
	                        .spa = NT_ADDR_US, .tha = NT_MAC_ZERO, .tpa = NT_ADDR_PEER));
	send_reply(t);
	nt_advance(t, 10 * NS_SEC);
	nt_expect_nothing(t);
}

static void failed_resolution_reported_to_sender(void **state)
{
	struct nt *t = *state;
	struct nt_probe p;
	static const uint8_t ports[4] = {0x03, 0xe8, 0x07, 0xd0};

	nt_probe_open(t, &p, 1000, NT_ADDR_PEER, 2000);
	assert_int_equal(nt_probe_send(t, &p, 20, NULL), NS_OK);
	expect_request(t);
	nt_advance(t, 3 * NS_SEC);
	assert_int_equal(nt_discard(t), 2);
	/* The endpoint hears "host unreachable" about its own datagram. */
	assert_int_equal(p.controls, 1);
	assert_int_equal(p.ctrl, NS_CTRL_HOST_UNREACHABLE);
	assert_memory_equal(p.quote, ports, sizeof(ports));
	assert_int_equal(nt_drops(t, NS_DROP_NEIGH_FAILED), 1);
	nt_expect_nothing(t);
	nt_probe_close(t, &p);
}

static void config_small_neigh(struct ns_stack_config *cfg)
{
	cfg->neigh_max_entries = 8;
}

static int setup_small_neigh(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.no_neighbor = true, .config = config_small_neigh));
}

static void spoofed_sources_cannot_lock_out_a_new_neighbor(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep;
	struct ns_sockaddr to = {.addr = NT_ADDR_PEER, .port = 53};
	struct ns_write_opts o = {.to = &to};
	size_t n;

	/* Pings from 20 spoofed on-link sources: each reply waits on an INCOMPLETE entry, and
	 * the table holds 8 (the reviewer's t8, scaled down). */
	for (int i = 0; i < 20; i++)
		nt_send_icmp_echo(t, NT_ICMP(.src = NT_V4(192, 0, 2, (uint8_t)(100 + i))));
	assert_int_equal(nt_discard(t), 20); /* one ARP request each */
	/* The oldest INCOMPLETE entries made room, their queued replies failed as failed
	 * resolutions do; nothing was refused. */
	assert_int_equal(nt_stat(t, NS_STAT_NEIGH_FAILED), 12);
	assert_int_equal(nt_drops(t, NS_DROP_NEIGH_FAILED), 12);
	assert_int_equal(nt_drops(t, NS_DROP_NO_MEMORY), 0);
	/* A legitimate send still gets an ARP request (it used to be dropped as NO_MEMORY
	 * while the write reported success), and goes out once answered. */
	assert_int_equal(ns_ep_new(t->s, NS_AF_INET, NS_IPPROTO_UDP, NULL, &ep), NS_OK);
	assert_int_equal(ns_ep_write(ep, "q", 1, &o, &n), NS_OK);
	expect_request(t);
	nt_expect_nothing(t);
	send_reply(t);
	nt_expect_udp(t, NT_UDP(.eth_dst = NT_MAC_PEER, .dst = NT_ADDR_PEER, .dport = 53));
	nt_expect_nothing(t);
	ns_ep_close(ep);
}

static void update_without_override_does_not_move_a_reachable_entry(void **state)
{
	struct nt *t = *state;
	struct ns_addr peer = NT_ADDR_PEER;
	struct ns_mac mac, other = {{0x02, 0, 0, 0, 0, 0x66}};

	nt_send_icmp_echo(t, NT_ICMP());
	expect_request(t);
	send_reply(t);
	nt_expect_icmp(t, NT_ICMP(.eth_dst = NT_MAC_PEER, .type = ICMPV4_ECHO_REPLY));
	/* RFC 4861 7.2.5: an unsolicited update without Override and with another address
	 * does not replace a REACHABLE entry's address (it used to), only makes it STALE. */
	ns_neigh_update(t->s, ns_nic_find(t->s, NT_NIC), &peer, &other, 0);
	assert_true(ns_stack_neighbor(t->s, NT_NIC, &peer, &mac));
	assert_memory_equal(mac.b, NT_MAC_PEER.m.b, 6);
	/* STALE: the next use starts DELAY, and after it a unicast probe to the kept MAC. */
	nt_send_icmp_echo(t, NT_ICMP());
	nt_expect_icmp(t, NT_ICMP(.eth_dst = NT_MAC_PEER, .type = ICMPV4_ECHO_REPLY));
	nt_advance(t, 5 * NS_SEC);
	nt_expect_arp(t, NT_ARP(.eth_dst = NT_MAC_PEER, .op = ARP_OP_REQUEST, .tpa = NT_ADDR_PEER));
	/* ARP itself always overrides (it has no such bit): a reply with a new MAC wins. */
	nt_send_arp(t, NT_ARP(.op = ARP_OP_REPLY, .eth_dst = NT_MAC_US,
	                      .eth_src = NT_MAC(2, 0, 0, 0, 0, 0x66),
	                      .sha = NT_MAC(2, 0, 0, 0, 0, 0x66), .spa = NT_ADDR_PEER,
	                      .tha = NT_MAC_US, .tpa = NT_ADDR_US));
	assert_true(ns_stack_neighbor(t->s, NT_NIC, &peer, &mac));
	assert_memory_equal(mac.b, other.b, 6);
	nt_expect_nothing(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define TN(fn) cmocka_unit_test_setup_teardown(fn, setup_no_neighbor, nt_cm_teardown)
	    TN(echo_reply_to_unknown_mac_waits_for_arp),
	    TN(arp_retried_every_second_then_fails),
	    TN(late_reply_after_failure_changes_nothing),
	    TN(queued_replies_flush_in_order),
	    TN(request_from_peer_resolves_waiting_packet),
	    TN(stale_entry_confirmed_with_unicast_probe),
	    cmocka_unit_test_setup_teardown(failed_resolution_reported_to_sender,
	                                    setup_no_neighbor_probe, nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(spoofed_sources_cannot_lock_out_a_new_neighbor,
	                                    setup_small_neigh, nt_cm_teardown),
	    TN(update_without_override_does_not_move_a_reachable_entry),
#undef TN
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
