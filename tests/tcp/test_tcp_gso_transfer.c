/* SPDX-License-Identifier: MIT */
/*
 * Two stacks with segmentation offload (twostack.h), the seeded impairment link dropping
 * and reordering frames: every byte must arrive intact, in order.
 *
 *   hw   both channels advertise NS_CAP_HW_GSO and TX checksum offload, like a veth with
 *        TSO: GSO packets of up to 64 KiB cross whole, with partial checksums, and the
 *        receiver takes them as GRO'd super-frames. A lost frame is a lost GSO packet:
 *        up to 45 segments at once, which SACK and RACK must repair segment by segment.
 *   sw   both advertise NS_CAP_SW_GSO: TCP builds GSO packets and each NIC cuts them into
 *        MTU-sized frames with full checksums before the impairment link, so losses hit
 *        single segments, as on a real wire.
 */
#include "twostack.h"

#define XFER_BYTES (4u << 20)
#define XFER_PORT  5001
#define TIME_LIMIT (1200 * NS_SEC)

static void run(uint32_t caps, uint32_t loss_ppm, uint32_t reorder_ppm, uint64_t seed)
{
	struct ns_impair_config ic = {
	    .seed = seed, .loss_ppm = loss_ppm, .reorder_ppm = reorder_ppm};
	struct ts_world *w = ts_new_caps(&ic, seed, caps);
	const struct ns_stats *a, *b;

	ts_transfer(w, &(struct ts_opts){.bytes = XFER_BYTES,
	                                 .port = XFER_PORT,
	                                 .time_limit = TIME_LIMIT,
	                                 .name = caps & NS_CAP_HW_GSO ? "hw gso" : "sw gso"});
	a = ns_stack_stats(w->a.s);
	b = ns_stack_stats(w->b.s);
	print_message("%s, loss %u ppm, reorder %u ppm, seed %llu: %.3f s virtual, %u "
	              "retransmits, %llu GSO packets, %llu frames\n",
	              caps & NS_CAP_HW_GSO ? "hw" : "sw", loss_ppm, reorder_ppm,
	              (unsigned long long)seed, (double)ts_vtime(w) / NS_SEC, ts_retrans(w),
	              (unsigned long long)a->stat[NS_STAT_GSO_TX],
	              (unsigned long long)a->stat[NS_STAT_LINK_TX]);
	/* The sender did use GSO; with HW GSO the receiver saw the packets whole. */
	assert_true(a->stat[NS_STAT_GSO_TX] > 0);
	if (caps & NS_CAP_HW_GSO) {
		assert_true(b->stat[NS_STAT_GSO_RX] > 0);
		assert_int_equal(a->stat[NS_STAT_GSO_SW_SEGMENTS], 0);
	} else {
		assert_true(a->stat[NS_STAT_GSO_SW_SEGMENTS] > a->stat[NS_STAT_GSO_TX]);
		assert_int_equal(b->stat[NS_STAT_GSO_RX], 0);
	}
	assert_int_equal(b->drop[NS_DROP_TCP_BAD_CSUM], 0);
	ts_free(w);
}

#define HW (NS_CAP_HW_GSO | NS_CAP_TX_CSUM_OFFLOAD)
#define SW NS_CAP_SW_GSO

static void hw_gso_transfer_intact_without_loss(void **state)
{
	run(HW, 0, 0, 1);
}

static void sw_gso_transfer_intact_without_loss(void **state)
{
	run(SW, 0, 0, 1);
}

static void hw_gso_transfer_intact_with_loss_and_reordering(void **state)
{
	/* A GSO packet is up to 45 frames' worth: more seeds, so that many are lost. */
	for (uint64_t seed = 1; seed <= 10; seed++) {
		run(HW, 10000, 10000, seed);
		run(HW, 50000, 10000, seed);
		run(HW, 100000, 20000, seed);
	}
}

static void sw_gso_transfer_intact_with_loss_and_reordering(void **state)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		run(SW, 10000, 10000, seed);
		run(SW, 50000, 10000, seed);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hw_gso_transfer_intact_without_loss),
	    cmocka_unit_test(sw_gso_transfer_intact_without_loss),
	    cmocka_unit_test(hw_gso_transfer_intact_with_loss_and_reordering),
	    cmocka_unit_test(sw_gso_transfer_intact_with_loss_and_reordering),
	};

	return cmocka_run_group_tests_name("tcp_gso_transfer", tests, NULL, NULL);
}
