/* SPDX-License-Identifier: MIT */
/*
 * Packet-level tests of ARP (src/net/arp.c): answering requests (RFC 826), probes and
 * announcements (RFC 5227), learning senders, address ranges, and malformed input.
 */
#include <string.h>

#include "harness.h"

#define OTHER_MAC NT_MAC(0x02, 0, 0, 0, 0, 0x77)

static int setup_no_neighbor(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.no_neighbor = true));
}

static bool neighbor(struct nt *t, struct ns_addr a, struct ns_mac *mac)
{
	return ns_stack_neighbor(t->s, NT_NIC, &a, mac);
}

static void request_for_our_address_answered(void **state)
{
	struct nt *t = *state;

	nt_send_arp(t, NT_ARP(.op = ARP_OP_REQUEST));
	/* RFC 826: a unicast reply to the asker, with every field swapped and ours in. */
	nt_expect_arp(t, NT_ARP(.eth_src = NT_MAC_US, .eth_dst = NT_MAC_PEER, .op = ARP_OP_REPLY,
	                        .sha = NT_MAC_US, .spa = NT_ADDR_US, .tha = NT_MAC_PEER,
	                        .tpa = NT_ADDR_PEER, .frame_len = 14 + 28));
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ARP_RX), 1);
	assert_int_equal(nt_stat(t, NS_STAT_ARP_REQUESTS_RX), 1);
	assert_int_equal(nt_stat(t, NS_STAT_ARP_REPLIES_TX), 1);
}

static void request_for_other_address_not_answered(void **state)
{
	struct nt *t = *state;
	struct ns_mac mac;

	nt_send_arp(t, NT_ARP(.spa = NT_V4(192, 0, 2, 50), .tpa = NT_V4(192, 0, 2, 3)));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_ARP_NOT_FOR_US), 1);
	/* RFC 826: a sender we did not know is not learnt from a request to someone else. */
	assert_false(neighbor(t, NT_V4(192, 0, 2, 50), &mac));
}

static void probe_from_zero_answered_without_entry(void **state)
{
	struct nt *t = *state;
	struct ns_mac mac;

	/* RFC 5227 2.1.1: sender 0.0.0.0, target the address being probed. */
	nt_send_arp(t, NT_ARP(.sha = OTHER_MAC, .eth_src = OTHER_MAC, .spa = NT_ADDR_ZERO));
	nt_expect_arp(t, NT_ARP(.eth_dst = OTHER_MAC, .op = ARP_OP_REPLY, .sha = NT_MAC_US,
	                        .spa = NT_ADDR_US, .tha = OTHER_MAC, .tpa = NT_ADDR_ZERO));
	nt_expect_nothing(t);
	assert_false(neighbor(t, NT_ADDR_ZERO, &mac));
	assert_false(neighbor(t, NT_ADDR_PEER, &mac));
}

static void request_from_new_sender_creates_entry_used_for_reply(void **state)
{
	struct nt *t = *state;
	struct ns_mac mac;

	nt_send_arp(t, NT_ARP());
	nt_expect_arp(t, NT_ARP(.op = ARP_OP_REPLY, .eth_dst = NT_MAC_PEER));
	assert_true(neighbor(t, NT_ADDR_PEER, &mac));
	assert_memory_equal(mac.b, NT_MAC_PEER.m.b, 6);
	/* The entry serves our traffic: an echo reply goes out without asking. */
	nt_send_icmp_echo(t, NT_ICMP(.payload = "hi"));
	nt_expect_icmp(t, NT_ICMP(.eth_dst = NT_MAC_PEER, .type = ICMPV4_ECHO_REPLY));
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ARP_REQUESTS_TX), 0);
}

static void gratuitous_arp_updates_known_entry(void **state)
{
	struct nt *t = *state;
	struct ns_mac mac;

	nt_send_arp(t, NT_ARP());
	nt_expect_arp(t, NT_ARP(.op = ARP_OP_REPLY));
	/* RFC 5227 3 / RFC 826 merge: the peer moved to another MAC and announces it. */
	nt_send_arp(t, NT_ARP(.eth_src = OTHER_MAC, .sha = OTHER_MAC, .tpa = NT_ADDR_PEER));
	nt_expect_nothing(t);
	assert_true(neighbor(t, NT_ADDR_PEER, &mac));
	assert_memory_equal(mac.b, OTHER_MAC.m.b, 6);
	assert_int_equal(nt_drops(t, NS_DROP_ARP_NOT_FOR_US), 1);
	nt_send_icmp_echo(t, NT_ICMP(.eth_src = OTHER_MAC));
	nt_expect_icmp(t, NT_ICMP(.eth_dst = OTHER_MAC, .type = ICMPV4_ECHO_REPLY));
	/* A gratuitous reply from a host we never knew creates nothing. */
	nt_send_arp(t, NT_ARP(.op = ARP_OP_REPLY, .eth_dst = NT_MAC_BCAST,
	                      .spa = NT_V4(192, 0, 2, 60), .tpa = NT_V4(192, 0, 2, 60)));
	assert_false(neighbor(t, NT_V4(192, 0, 2, 60), &mac));
}

static void static_entry_not_overridden(void **state)
{
	struct nt *t = *state;
	struct ns_mac mac;

	nt_send_arp(t, NT_ARP(.eth_src = OTHER_MAC, .sha = OTHER_MAC, .tpa = NT_ADDR_PEER));
	assert_true(neighbor(t, NT_ADDR_PEER, &mac));
	assert_memory_equal(mac.b, NT_MAC_PEER.m.b, 6);
}

static void address_range_answers_any_address_inside(void **state)
{
	struct nt *t = *state;
	struct ns_subnet range = {.addr = NT_V4(198, 51, 100, 0), .prefix = 24};

	assert_int_equal(ns_stack_add_address_range(t->s, NT_NIC, &range), NS_OK);
	nt_send_arp(t, NT_ARP(.tpa = NT_V4(198, 51, 100, 77)));
	nt_expect_arp(t, NT_ARP(.op = ARP_OP_REPLY, .sha = NT_MAC_US,
	                        .spa = NT_V4(198, 51, 100, 77), .tpa = NT_ADDR_PEER));
	nt_send_arp(t, NT_ARP(.tpa = NT_V4(198, 51, 100, 1)));
	nt_expect_arp(t, NT_ARP(.op = ARP_OP_REPLY, .spa = NT_V4(198, 51, 100, 1)));
	/* Outside the range: not ours. */
	nt_send_arp(t, NT_ARP(.tpa = NT_V4(198, 51, 101, 1)));
	nt_expect_nothing(t);
	/* And the range terminates traffic: pings are answered from the address asked. */
	nt_send_icmp_echo(t, NT_ICMP(.dst = NT_V4(198, 51, 100, 77), .payload = "r"));
	nt_expect_icmp(t, NT_ICMP(.src = NT_V4(198, 51, 100, 77), .dst = NT_ADDR_PEER,
	                          .type = ICMPV4_ECHO_REPLY, .payload = "r"));
}

static void unsolicited_reply_creates_no_entry(void **state)
{
	struct nt *t = *state;
	struct ns_mac mac;

	/* This test used to expect an entry ("RFC 826 creates the entry whenever we are the
	 * target, replies included"). Linux (arp_accept=0) creates entries only from
	 * requests, so that any host cannot plant or fill cache entries with replies nobody
	 * asked for; replies only update entries that exist. */
	nt_send_arp(t, NT_ARP(.op = ARP_OP_REPLY, .eth_dst = NT_MAC_US, .spa = NT_V4(192, 0, 2, 9),
	                      .tha = NT_MAC_US));
	nt_expect_nothing(t);
	assert_false(neighbor(t, NT_V4(192, 0, 2, 9), &mac));
	assert_int_equal(nt_stat(t, NS_STAT_ARP_REPLIES_RX), 1);
	/* A request from the same host does create it (RFC 826; RFC 4861 7.2.3 semantics). */
	nt_send_arp(t, NT_ARP(.spa = NT_V4(192, 0, 2, 9)));
	nt_expect_arp(t, NT_ARP(.op = ARP_OP_REPLY, .tpa = NT_V4(192, 0, 2, 9)));
	assert_true(neighbor(t, NT_V4(192, 0, 2, 9), &mac));
	/* Now known, a reply with a new address updates it (ARP has no Override bit: replies
	 * override, as RFC 826's merge and Linux do). */
	nt_send_arp(t, NT_ARP(.op = ARP_OP_REPLY, .eth_dst = NT_MAC_US, .eth_src = OTHER_MAC,
	                      .sha = OTHER_MAC, .spa = NT_V4(192, 0, 2, 9), .tha = NT_MAC_US));
	assert_true(neighbor(t, NT_V4(192, 0, 2, 9), &mac));
	assert_memory_equal(mac.b, OTHER_MAC.m.b, 6);
}

static void sender_claiming_our_address_ignored(void **state)
{
	struct nt *t = *state;

	nt_send_arp(t, NT_ARP(.eth_src = OTHER_MAC, .sha = OTHER_MAC, .spa = NT_ADDR_US));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_ARP_CONFLICT), 1);
}

static void malformed_arp_dropped(void **state)
{
	struct nt *t = *state;
	uint8_t frame[64];
	uint32_t n = nt_build_arp(NT_ARP(), frame, sizeof(frame));
	uint8_t bad[64];

	/* Cut inside the ARP packet (no Ethernet padding to hide it). */
	nt_send_frame(t, frame, 14 + 27);
	/* Hardware type, protocol type, lengths, operation. */
	for (int field = 0; field < 5; field++) {
		static const int off[5] = {1, 2, 4, 5, 7};

		memcpy(bad, frame, n);
		bad[14 + off[field]] ^= 0x10;
		nt_send_frame(t, bad, n);
	}
	/* A multicast or zero sender MAC, a broadcast sender address. */
	nt_send_arp(t, NT_ARP(.sha = NT_MAC(0x01, 0, 0x5e, 0, 0, 1)));
	nt_send_arp(t, NT_ARP(.sha = NT_MAC_ZERO));
	nt_send_arp(t, NT_ARP(.spa = NT_ADDR_BCAST));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_ARP_MALFORMED), 9);
	assert_int_equal(nt_stat(t, NS_STAT_ARP_RX), 9);
}

static void gratuitous_arp_sent_when_address_added(void **state)
{
	struct nt *t = *state;
	struct ns_subnet a = {.addr = NT_V4(192, 0, 2, 3), .prefix = 24};

	assert_int_equal(ns_stack_add_address(t->s, NT_NIC, &a), NS_OK);
	/* RFC 5227 3: an ARP request with sender and target both the new address. */
	nt_expect_arp(t, NT_ARP(.eth_src = NT_MAC_US, .eth_dst = NT_MAC_BCAST, .op = ARP_OP_REQUEST,
	                        .sha = NT_MAC_US, .spa = NT_V4(192, 0, 2, 3), .tha = NT_MAC_ZERO,
	                        .tpa = NT_V4(192, 0, 2, 3)));
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ARP_REQUESTS_TX), 1);
	/* And the new address answers. */
	nt_send_arp(t, NT_ARP(.tpa = NT_V4(192, 0, 2, 3)));
	nt_expect_arp(t, NT_ARP(.op = ARP_OP_REPLY, .spa = NT_V4(192, 0, 2, 3)));
}

static void request_for_another_nics_address_answered(void **state)
{
	struct nt *t = *state;
	struct ns_channel_config cc = {.header = NS_LINK_HDR_ETHERNET,
	                               .mac = {{2, 0, 0, 0, 1, 2}},
	                               .caps = NS_CAP_RESOLUTION_REQUIRED};
	struct ns_link *l = ns_channel_new(&cc);
	struct ns_subnet a = {.addr = NT_V4(198, 51, 100, 1), .prefix = 24};
	struct ns_subnet range = {.addr = NT_V4(203, 0, 113, 0), .prefix = 24};

	assert_non_null(l);
	assert_int_equal(ns_stack_add_nic(t->s, 2, l, "second"), NS_OK);
	assert_int_equal(ns_stack_add_address(t->s, 2, &a), NS_OK);
	assert_int_equal(ns_stack_add_address_range(t->s, 2, &range), NS_OK);
	while (ns_channel_pending(l))
		ns_pkt_free(ns_channel_read(l));
	/* Linux's arp_ignore=0 (the weak host model, RFC 1122 3.3.4.2): a request on NIC 1
	 * for NIC 2's address is answered, with NIC 1's MAC. */
	nt_send_arp(t, NT_ARP(.tpa = NT_V4(198, 51, 100, 1)));
	nt_expect_arp(t, NT_ARP(.eth_dst = NT_MAC_PEER, .op = ARP_OP_REPLY, .sha = NT_MAC_US,
	                        .spa = NT_V4(198, 51, 100, 1), .tha = NT_MAC_PEER,
	                        .tpa = NT_ADDR_PEER));
	/* Address ranges stay the NIC's own. */
	nt_send_arp(t, NT_ARP(.tpa = NT_V4(203, 0, 113, 7)));
	nt_expect_nothing(t);
	assert_int_equal(ns_channel_pending(l), 0);
	assert_int_equal(ns_stack_remove_nic(t->s, 2), NS_OK);
	ns_link_destroy(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)  cmocka_unit_test_setup_teardown(fn, nt_cm_setup, nt_cm_teardown)
#define TN(fn) cmocka_unit_test_setup_teardown(fn, setup_no_neighbor, nt_cm_teardown)
	    T(request_for_our_address_answered),
	    TN(request_for_other_address_not_answered),
	    TN(probe_from_zero_answered_without_entry),
	    TN(request_from_new_sender_creates_entry_used_for_reply),
	    TN(gratuitous_arp_updates_known_entry),
	    T(static_entry_not_overridden),
	    T(address_range_answers_any_address_inside),
	    TN(unsolicited_reply_creates_no_entry),
	    T(sender_claiming_our_address_ignored),
	    T(malformed_arp_dropped),
	    T(gratuitous_arp_sent_when_address_added),
	    T(request_for_another_nics_address_answered),
#undef T
#undef TN
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
