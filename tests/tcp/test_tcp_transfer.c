/* SPDX-License-Identifier: MIT */
/*
 * Two stacks in one process, each on a channel link wrapped in a seeded impairment link,
 * the channels joined through write hooks (twostack.h): a client on A (192.0.2.1) sends
 * 1 MB to a server on B (192.0.2.2), which checks every byte, then both close. Frames
 * cross through queues the test loop drains (never re-entering a stack from inside
 * another), and the shared virtual clock jumps from one timer deadline to the next, so
 * seconds of retransmission run in milliseconds and every run with a given seed is the
 * same.
 */
#include "twostack.h"

#define XFER_BYTES (1u << 20)
#define XFER_PORT  5001
#define TIME_LIMIT (1200 * NS_SEC)

static void run_transfer_opt(uint32_t loss_ppm, uint32_t reorder_ppm, uint64_t seed, bool sack)
{
	struct ns_impair_config ic = {
	    .seed = seed, .loss_ppm = loss_ppm, .reorder_ppm = reorder_ppm};
	struct ts_world *w = ts_new(&ic, seed);

	tcp_config(w->a.s)->sack = sack;
	tcp_config(w->b.s)->sack = sack;

	ts_transfer(
	    w, &(struct ts_opts){.bytes = XFER_BYTES, .port = XFER_PORT, .time_limit = TIME_LIMIT});
	print_message("loss %u ppm, reorder %u ppm, seed %llu%s: %.3f s virtual, %u retransmits\n",
	              loss_ppm, reorder_ppm, (unsigned long long)seed, sack ? "" : ", no SACK",
	              (double)ts_vtime(w) / NS_SEC, ts_retrans(w));
	ts_free(w);
}

static void run_transfer(uint32_t loss_ppm, uint32_t reorder_ppm, uint64_t seed)
{
	run_transfer_opt(loss_ppm, reorder_ppm, seed, true);
}

/* NewReno recovery (RFC 6582) with PRR, when the peers do not negotiate SACK. */
static void transfer_1mb_intact_without_sack_with_5pct_loss(void **state)
{
	for (uint64_t seed = 1; seed <= 4; seed++)
		run_transfer_opt(50000, 10000, seed, false);
}

static void transfer_1mb_intact_without_loss(void **state)
{
	run_transfer(0, 0, 1);
}

static void transfer_1mb_intact_with_5pct_loss_and_reordering(void **state)
{
	for (uint64_t seed = 1; seed <= 4; seed++)
		run_transfer(50000, 10000, seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(transfer_1mb_intact_without_loss),
	    cmocka_unit_test(transfer_1mb_intact_with_5pct_loss_and_reordering),
	    cmocka_unit_test(transfer_1mb_intact_without_sack_with_5pct_loss),
	};

	return cmocka_run_group_tests_name("tcp_transfer", tests, NULL, NULL);
}
