/* SPDX-License-Identifier: MIT */
/*
 * The loss matrix (issue 3): two stacks in one process move 10 MB from a client on A to a
 * server on B through seeded impairment links, at 0%, 1%, 5% and 10% loss per direction
 * (data and ACKs alike), each with 1% reordering, 0.5% duplication (D-SACK and undo get
 * exercised) and a 5 ms one-way delay, over 50 seeds
 * per loss rate; the server checks every byte, then both close and every endpoint and
 * packet must be gone. The world is twostack.h's (as test_tcp_transfer.c): frames cross
 * through queues the test loop drains, and the shared virtual clock jumps to the next
 * deadline, so each run is deterministic for its seed and minutes of retransmission take
 * milliseconds.
 *
 * A compact table (loss, seeds, mean and worst virtual time, mean retransmits) is printed
 * so that a regression in loss recovery shows as a number, not only as a failure.
 *
 * Runtime: the full matrix is 200 transfers (2 GB through both stacks): about 7 s of CPU
 * normally and 11 s under ASan+UBSan, so both builds run all 50 seeds.
 */
#include <stdio.h>

#include "twostack.h"

#define LM_SEEDS 50

#define LM_BYTES   (10u << 20)
#define LM_PORT    5001
#define LM_DELAY   (5 * NS_MSEC)
#define LM_REORDER 10000 /* ppm */
#define LM_DUP     5000  /* ppm */
#define TIME_LIMIT (1800 * NS_SEC)

struct result {
	uint64_t vtime; /* virtual ns from connect() to the server's EOF */
	uint32_t retrans;
};

static struct result run_one(uint32_t loss_ppm, uint64_t seed)
{
	struct ns_impair_config ic = {.seed = seed,
	                              .loss_ppm = loss_ppm,
	                              .reorder_ppm = LM_REORDER,
	                              .dup_ppm = LM_DUP,
	                              .delay_ns = LM_DELAY,
	                              .max_held = 1u << 16};
	struct ts_world *w = ts_new(&ic, seed);
	struct result res;
	char name[64];

	snprintf(name, sizeof(name), "loss %u ppm seed %llu", loss_ppm, (unsigned long long)seed);
	ts_transfer(
	    w, &(struct ts_opts){
	           .bytes = LM_BYTES, .port = LM_PORT, .time_limit = TIME_LIMIT, .name = name});
	res.vtime = ts_vtime(w);
	res.retrans = ts_retrans(w);
	ts_free(w);
	return res;
}

static void run_row(uint32_t loss_ppm)
{
	uint64_t sum_t = 0, max_t = 0, sum_r = 0;

	for (uint64_t seed = 1; seed <= LM_SEEDS; seed++) {
		struct result r = run_one(loss_ppm, seed);

		sum_t += r.vtime;
		sum_r += r.retrans;
		if (r.vtime > max_t)
			max_t = r.vtime;
	}
	print_message("loss %5.1f%%  seeds %2d  mean %8.3f s  worst %8.3f s  retransmits %8.1f\n",
	              loss_ppm / 10000.0, LM_SEEDS, (double)sum_t / LM_SEEDS / NS_SEC,
	              (double)max_t / NS_SEC, (double)sum_r / LM_SEEDS);
}

static void ten_mb_intact_without_loss(void **state)
{
	run_row(0);
}

static void ten_mb_intact_with_1pct_loss(void **state)
{
	run_row(10000);
}

static void ten_mb_intact_with_5pct_loss(void **state)
{
	run_row(50000);
}

static void ten_mb_intact_with_10pct_loss(void **state)
{
	run_row(100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ten_mb_intact_without_loss),
	    cmocka_unit_test(ten_mb_intact_with_1pct_loss),
	    cmocka_unit_test(ten_mb_intact_with_5pct_loss),
	    cmocka_unit_test(ten_mb_intact_with_10pct_loss),
	};

	return cmocka_run_group_tests_name("tcp_loss_matrix", tests, NULL, NULL);
}
