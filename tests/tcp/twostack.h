/* SPDX-License-Identifier: MIT */
/*
 * Two stacks in one process, each on a channel link wrapped in a seeded impairment link,
 * the channels joined through write hooks: A is 192.0.2.1, B is 192.0.2.2. Frames cross
 * through queues the test loop drains (never re-entering a stack from inside another), and
 * the shared virtual clock jumps from one timer deadline to the next, so seconds of
 * retransmission run in milliseconds and every run with a given seed is the same.
 *
 * A transfer: a client on A connects to a listener on B and sends a pattern of N bytes,
 * which the server checks byte by byte until it reads end-of-file. Typical use:
 *
 *     struct ts_world *w = ts_new(&ic, seed);
 *     ts_transfer(w, &(struct ts_opts){.bytes = N, .port = P, .time_limit = T});
 *     ... inspect w->x.cli, ts_vtime(w) ...
 *     ts_free(w);
 */
#ifndef NS_TEST_TWOSTACK_H
#define NS_TEST_TWOSTACK_H

#include "tcp_test.h"

struct ts_side {
	struct ns_stack *s;
	struct ns_link *ch, *im;
	struct ns_pkt *qh, *qt; /* frames this side wrote, not yet delivered */
};

/* The application's side of a transfer. */
struct ts_xfer {
	struct ns_ep *cli, *lst, *srv;
	uint32_t sent, rcvd;
	bool cli_shut, srv_eof;
};

struct ts_opts {
	uint32_t bytes;      /* sent by the client, checked by the server */
	uint16_t port;       /* the server's */
	uint64_t time_limit; /* virtual ns for the transfer; twice that for closing */
	/* Names the run in failure messages ("<name> stalled: ..."); NULL: "transfer". */
	const char *name;
	/* Optional: called on the listener (@server) right after it is created, before bind,
	 * and on the client right after it is created, before connect. */
	void (*setup)(struct ns_ep *ep, bool server, void *ctx);
	/* Optional: called once per round of the transfer loop, after the application's
	 * work and before virtual time moves. */
	void (*each)(struct ts_xfer *x, void *ctx);
	void *ctx;
};

struct ts_world {
	struct ns_vclock clock;
	uint32_t caps; /* extra NS_CAP_* both channels advertise (ts_new_caps) */
	struct ts_side a, b;
	struct ts_xfer x;
	struct ts_opts o; /* of the transfer */
	uint64_t t0;      /* virtual time at creation */
	int64_t pkts0;    /* ns_pkt_live() at creation */
};

/** ts_new() - Both stacks (stack seeds @seed + 1 and @seed + 2), with TCP, their links
 * impaired as @ic says (impairment seeds @ic->seed * 2 + 1 and + 2). */
struct ts_world *ts_new(const struct ns_impair_config *ic, uint64_t seed);
/** ts_new_caps() - ts_new() with channels that also advertise @caps (NS_CAP_HW_GSO: GSO
 * packets cross whole, with their offload metadata, as over a veth; NS_CAP_SW_GSO: the
 * NICs cut them; NS_CAP_TX_CSUM_OFFLOAD). */
struct ts_world *ts_new_caps(const struct ns_impair_config *ic, uint64_t seed, uint32_t caps);
/** ts_pump() - Deliver what each side wrote to the other; returns how many frames moved. */
int ts_pump(struct ts_world *w);
/** ts_step_time() - Jump the clock to the next thing due anywhere and run it. */
void ts_step_time(struct ts_world *w);
/** ts_pattern() - The byte at offset @i of the stream. */
uint8_t ts_pattern(uint32_t i);
/** ts_transfer() - Listen on B, connect from A, send @o->bytes and shut down; return when
 * the server has read end-of-file, every byte checked (fails after @o->time_limit). The
 * endpoints stay open in w->x. */
void ts_transfer(struct ts_world *w, const struct ts_opts *o);
/** ts_vtime() - Virtual ns since ts_new(). */
uint64_t ts_vtime(const struct ts_world *w);
/** ts_retrans() - Segments the client retransmitted. */
uint32_t ts_retrans(const struct ts_world *w);
/** ts_free() - Close the endpoints, run until every connection is gone, free both stacks
 * and links, and check that no packet leaked. */
void ts_free(struct ts_world *w);

#endif
