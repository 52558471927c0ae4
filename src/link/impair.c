/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: an impairment link. It wraps a lower link and, like smoltcp's
 * FaultInjector or netem, loses, duplicates, reorders and delays frames, outbound always and
 * inbound when cfg->inbound (it is always the lower's dispatcher, and passes inbound frames
 * straight up when inbound impairment is off).
 *
 * Decisions come from a seeded PRNG (splitmix64), one stream per direction, three draws per
 * frame whatever the configuration: the same seed and the same frames give the same drops,
 * copies and reorderings on every run and every machine, and changing dup_ppm does not move
 * the loss pattern. Each frame goes through three stages:
 *   1. loss (loss_ppm): dropped; duplication (dup_ppm): an ns_pkt_copy() follows the original;
 *   2. reordering (reorder_ppm): the frame is held in a one-frame slot and sent right after
 *      the next frame of the same direction passes; if none passes within REORDER_HOLD_NS,
 *      ns_impair_poll() (or process()) lets it go on alone;
 *   3. delay (delay_ns): the frame waits in a FIFO (allocated only when delay_ns is set,
 *      max_held slots per direction) until now + delay_ns by the given clock;
 *      ns_impair_poll() releases due frames. The delay is fixed, so the FIFO is in release
 *      order and release is O(1) per frame.
 * Held frames (reorder slots and delay FIFOs together) never exceed max_held; a frame that
 * would exceed it is dropped and counted as overflow. Everything done is counted in the
 * struct (see impair_stats.h).
 *
 * Releasing may re-enter: a frame delivered up can make the stack write a reply through this
 * link. Queue state is updated before each frame is emitted, and ns_impair_poll() reads the
 * clock once, so a frame queued during a release waits for a later poll.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "link/impair_stats.h"
#include "netstack/clock.h"
#include "netstack/link.h"

#define PPM_ONE         1000000u
#define REORDER_HOLD_NS (1 * NS_MSEC)
#define DEFAULT_HELD    256u

enum { DIR_OUT = 0, DIR_IN, DIR_COUNT };

struct slot {
	struct ns_pkt *pkt;
	uint64_t release;
};

struct direction {
	uint64_t rng;
	struct ns_pkt *reorder; /* frame waiting for the next one to pass */
	uint64_t reorder_deadline;
	struct slot *ring; /* delay FIFO, max_held slots */
	uint32_t first, count;
};

struct impair {
	struct ns_link link;
	struct ns_link *lower;
	struct ns_link_dispatcher rx;
	struct ns_clock *clock;
	struct ns_impair_config cfg;
	struct direction dir[DIR_COUNT];
	uint32_t held; /* over both directions: reorder slots + delay FIFOs */
	struct impair_stats stats;
};

static const struct ns_link_ops impair_ops;

static struct impair *to_im(struct ns_link *l)
{
	return (struct impair *)l;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool chance(uint64_t draw, uint32_t ppm)
{
	return draw % PPM_ONE < ppm;
}

/* The frame leaves the impairment link: down to the lower link or up to the dispatcher. */
static void emit(struct impair *im, int d, struct ns_pkt *pkt)
{
	struct ns_link *l = &im->link;
	if (d == DIR_OUT) {
		im->lower->ops->write(im->lower, &pkt, 1);
		return;
	}
	if (!l->disp) {
		l->rx_errors++;
		ns_pkt_free(pkt);
		return;
	}
	l->rx_frames++;
	l->rx_bytes += pkt->len;
	l->disp->deliver(l->disp, l, pkt);
}

static void drop_overflow(struct impair *im, int d, struct ns_pkt *pkt)
{
	im->stats.overflow++;
	if (d == DIR_OUT)
		im->link.tx_dropped++;
	else
		im->link.rx_errors++;
	ns_pkt_free(pkt);
}

/* Stage 3: delay. */
static void stage_delay(struct impair *im, int d, struct ns_pkt *pkt)
{
	struct direction *dr = &im->dir[d];
	if (!im->cfg.delay_ns) {
		emit(im, d, pkt);
		return;
	}
	if (im->held >= im->cfg.max_held) {
		drop_overflow(im, d, pkt);
		return;
	}
	uint32_t idx = (dr->first + dr->count) % im->cfg.max_held;
	dr->ring[idx].pkt = pkt;
	dr->ring[idx].release = ns_clock_now(im->clock) + im->cfg.delay_ns;
	dr->count++;
	im->held++;
	im->stats.delayed++;
}

/* Stage 2: reordering. */
static void stage_reorder(struct impair *im, int d, struct ns_pkt *pkt, bool hold)
{
	struct direction *dr = &im->dir[d];
	if (hold && !dr->reorder) {
		if (im->held >= im->cfg.max_held) {
			drop_overflow(im, d, pkt);
			return;
		}
		dr->reorder = pkt;
		dr->reorder_deadline = ns_clock_now(im->clock) + REORDER_HOLD_NS;
		im->held++;
		im->stats.reordered++;
		return;
	}
	stage_delay(im, d, pkt);
	struct ns_pkt *late = dr->reorder;
	if (late) {
		dr->reorder = NULL;
		im->held--;
		stage_delay(im, d, late);
	}
}

/* Stage 1: loss and duplication. Consumes @pkt. */
static void impair_frame(struct impair *im, int d, struct ns_pkt *pkt)
{
	struct direction *dr = &im->dir[d];
	uint64_t r_loss = splitmix64(&dr->rng);
	uint64_t r_dup = splitmix64(&dr->rng);
	uint64_t r_reorder = splitmix64(&dr->rng);

	if (chance(r_loss, im->cfg.loss_ppm)) {
		im->stats.dropped++;
		ns_pkt_free(pkt);
		return;
	}
	struct ns_pkt *copy = NULL;
	if (chance(r_dup, im->cfg.dup_ppm)) {
		copy = ns_pkt_copy(pkt);
		if (copy)
			im->stats.duplicated++;
	}
	stage_reorder(im, d, pkt, chance(r_reorder, im->cfg.reorder_ppm));
	if (copy)
		stage_reorder(im, d, copy, false);
}

static void im_deliver(struct ns_link_dispatcher *disp, struct ns_link *lower, struct ns_pkt *pkt)
{
	struct impair *im = (struct impair *)((char *)disp - offsetof(struct impair, rx));
	if (im->cfg.inbound)
		impair_frame(im, DIR_IN, pkt);
	else
		emit(im, DIR_IN, pkt);
}

static int im_write(struct ns_link *l, struct ns_pkt **pkts, int n)
{
	struct impair *im = to_im(l);
	for (int i = 0; i < n; i++) {
		l->tx_frames++;
		l->tx_bytes += pkts[i]->len;
		impair_frame(im, DIR_OUT, pkts[i]);
	}
	return n;
}

/* Release what is due at @now in one direction. */
static void release_due(struct impair *im, int d, uint64_t now)
{
	struct direction *dr = &im->dir[d];
	if (dr->reorder && dr->reorder_deadline <= now) {
		struct ns_pkt *late = dr->reorder;
		dr->reorder = NULL;
		im->held--;
		stage_delay(im, d, late);
	}
	while (dr->count && dr->ring[dr->first].release <= now) {
		struct ns_pkt *pkt = dr->ring[dr->first].pkt;
		dr->ring[dr->first].pkt = NULL;
		dr->first = (dr->first + 1) % im->cfg.max_held;
		dr->count--;
		im->held--;
		emit(im, d, pkt);
	}
}

static uint64_t next_release(const struct impair *im)
{
	uint64_t next = UINT64_MAX;
	for (int d = 0; d < DIR_COUNT; d++) {
		const struct direction *dr = &im->dir[d];
		if (dr->reorder && dr->reorder_deadline < next)
			next = dr->reorder_deadline;
		if (dr->count && dr->ring[dr->first].release < next)
			next = dr->ring[dr->first].release;
	}
	return next;
}

uint64_t ns_impair_poll(struct ns_link *l)
{
	if (!l || l->ops != &impair_ops)
		return UINT64_MAX;
	struct impair *im = to_im(l);
	uint64_t now = ns_clock_now(im->clock);
	for (int d = 0; d < DIR_COUNT; d++)
		release_due(im, d, now);
	return next_release(im);
}

bool impair_get_stats(struct ns_link *l, struct impair_stats *out)
{
	if (!l || l->ops != &impair_ops)
		return false;
	*out = to_im(l)->stats;
	return true;
}

static uint32_t im_mtu(struct ns_link *l)
{
	return ns_link_mtu(to_im(l)->lower);
}

static uint32_t im_caps(struct ns_link *l)
{
	return ns_link_caps(to_im(l)->lower);
}

static uint16_t im_max_header_len(struct ns_link *l)
{
	struct ns_link *lower = to_im(l)->lower;
	return lower->ops->max_header_len(lower);
}

static enum ns_link_header im_header_type(struct ns_link *l)
{
	struct ns_link *lower = to_im(l)->lower;
	return lower->ops->header_type(lower);
}

static struct ns_mac im_link_addr(struct ns_link *l)
{
	struct ns_link *lower = to_im(l)->lower;
	return lower->ops->link_addr(lower);
}

static void im_attach(struct ns_link *l, struct ns_link_dispatcher *d)
{
	l->disp = d;
}

static int im_poll_fd(struct ns_link *l)
{
	return ns_link_poll_fd(to_im(l)->lower);
}

/* Reads the lower link, then lets due frames go, so a generic event loop that only calls
 * process() still sees delayed frames (at its own pace; ns_impair_poll() is exact). */
static int im_process(struct ns_link *l, int budget)
{
	int n = ns_link_process(to_im(l)->lower, budget);
	ns_impair_poll(l);
	return n;
}

static void im_destroy(struct ns_link *l)
{
	struct impair *im = to_im(l);
	for (int d = 0; d < DIR_COUNT; d++) {
		struct direction *dr = &im->dir[d];
		ns_pkt_free(dr->reorder);
		for (uint32_t i = 0; i < dr->count; i++)
			ns_pkt_free(dr->ring[(dr->first + i) % im->cfg.max_held].pkt);
		free(dr->ring);
	}
	ns_link_destroy(im->lower);
	free(im);
}

static const struct ns_link_ops impair_ops = {
    .kind = "impair",
    .mtu = im_mtu,
    .caps = im_caps,
    .max_header_len = im_max_header_len,
    .header_type = im_header_type,
    .link_addr = im_link_addr,
    .attach = im_attach,
    .write = im_write,
    .poll_fd = im_poll_fd,
    .process = im_process,
    .destroy = im_destroy,
};

struct ns_link *ns_impair_new(struct ns_link *lower, const struct ns_impair_config *cfg,
                              struct ns_clock *clock)
{
	if (!lower)
		return NULL;
	struct impair *im = calloc(1, sizeof(*im));
	if (!im)
		goto fail;
	im->link.ops = &impair_ops;
	im->lower = lower;
	im->rx.deliver = im_deliver;
	im->clock = clock ? clock : ns_clock_monotonic();
	if (cfg)
		im->cfg = *cfg;
	if (!im->cfg.max_held)
		im->cfg.max_held = DEFAULT_HELD;
	im->dir[DIR_OUT].rng = im->cfg.seed;
	/* A different stream inbound, so the two directions are not mirror images. */
	im->dir[DIR_IN].rng = im->cfg.seed ^ 0x6a09e667f3bcc909ull;
	for (int d = 0; d < DIR_COUNT && im->cfg.delay_ns; d++) {
		im->dir[d].ring = calloc(im->cfg.max_held, sizeof(struct slot));
		if (!im->dir[d].ring)
			goto fail;
	}
	lower->ops->attach(lower, &im->rx);
	return &im->link;
fail:
	if (im) {
		free(im->dir[DIR_OUT].ring);
		free(im->dir[DIR_IN].ring);
		free(im);
	}
	ns_link_destroy(lower);
	return NULL;
}
