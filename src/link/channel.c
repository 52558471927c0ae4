/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the channel link (the seed's channel.Endpoint). It has no device: the
 * owner injects inbound frames with ns_channel_inject() and collects outbound frames with
 * ns_channel_read(), or installs a write hook that takes each frame as it is written (two
 * stacks wired together in memory). Packet-level tests drive a whole stack through it.
 *
 * Frames are Ethernet II or bare IP (cfg->header). Inbound, the link header is parsed exactly
 * as a device link would (src/link/eth.c) and the packet goes to the attached dispatcher;
 * without a dispatcher, or when the frame is malformed (shorter than the Ethernet header, or
 * bare IP whose version nibble is neither 4 nor 6), it is dropped and counted in rx_errors.
 * Outbound, Ethernet mode pushes dst = pkt->link_dst, src = cfg->mac, type = pkt->netproto.
 * The outbound queue is a FIFO bounded by cfg->queue_len; a write beyond it is dropped and
 * counted in tx_dropped, so a test that never reads cannot grow memory without bound.
 *
 * Offloads: the channel advertises whatever cfg->caps says. With NS_CAP_HW_GSO it carries
 * GSO packets whole, like a veth with TSO: the frames read (or handed to the write hook)
 * may be up to 64 KiB with pkt->gso set and partial checksums; with NS_CAP_SW_GSO (or
 * neither) the NIC has already cut them to the MTU. A packet moved from one channel's
 * output into another's ns_channel_inject() keeps that metadata (a partial checksum counts
 * as verified, as across a veth pair); ns_channel_inject_bytes() copies bytes only.
 *
 * Not thread-safe: like the rest of a stack, it is used from one thread at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "netstack/link.h"

struct channel {
	struct ns_link link;
	uint32_t mtu;
	uint32_t caps;
	enum ns_link_header header;
	struct ns_mac mac;
	uint32_t queue_len;
	/* Outbound FIFO through pkt->next. */
	struct ns_pkt *head, *tail;
	uint32_t pending;
	void (*hook)(void *ctx, struct ns_pkt *pkt);
	void *hook_ctx;
};

static const struct ns_link_ops channel_ops;

static struct channel *to_ch(struct ns_link *l)
{
	return (struct channel *)l;
}

/* The ns_channel_* calls accept any link; they do nothing on a link that is not a channel. */
static struct channel *as_ch(struct ns_link *l)
{
	return l && l->ops == &channel_ops ? (struct channel *)l : NULL;
}

static uint32_t ch_mtu(struct ns_link *l)
{
	return to_ch(l)->mtu;
}

static uint32_t ch_caps(struct ns_link *l)
{
	return to_ch(l)->caps;
}

static uint16_t ch_max_header_len(struct ns_link *l)
{
	return to_ch(l)->header == NS_LINK_HDR_ETHERNET ? 14 : 0;
}

static enum ns_link_header ch_header_type(struct ns_link *l)
{
	return to_ch(l)->header;
}

static struct ns_mac ch_link_addr(struct ns_link *l)
{
	return to_ch(l)->mac;
}

static void ch_attach(struct ns_link *l, struct ns_link_dispatcher *d)
{
	l->disp = d;
}

static int ch_write(struct ns_link *l, struct ns_pkt **pkts, int n)
{
	struct channel *ch = to_ch(l);
	int accepted = 0;

	for (int i = 0; i < n; i++) {
		struct ns_pkt *pkt = pkts[i];
		if (ch->header == NS_LINK_HDR_ETHERNET && !ns_link_eth_push(pkt, &ch->mac)) {
			l->tx_errors++;
			ns_pkt_free(pkt);
			continue;
		}
		if (!ch->hook && ch->pending >= ch->queue_len) {
			l->tx_dropped++;
			ns_pkt_free(pkt);
			continue;
		}
		l->tx_frames++;
		l->tx_bytes += pkt->len;
		accepted++;
		if (ch->hook) {
			ch->hook(ch->hook_ctx, pkt);
			continue;
		}
		pkt->next = NULL;
		if (ch->tail)
			ch->tail->next = pkt;
		else
			ch->head = pkt;
		ch->tail = pkt;
		ch->pending++;
	}
	return accepted;
}

static int ch_poll_fd(struct ns_link *l)
{
	return -1;
}

static int ch_process(struct ns_link *l, int budget)
{
	return 0;
}

static void ch_destroy(struct ns_link *l)
{
	struct channel *ch = to_ch(l);
	ns_pkt_free_list(ch->head);
	free(ch);
}

static const struct ns_link_ops channel_ops = {
    .kind = "channel",
    .mtu = ch_mtu,
    .caps = ch_caps,
    .max_header_len = ch_max_header_len,
    .header_type = ch_header_type,
    .link_addr = ch_link_addr,
    .attach = ch_attach,
    .write = ch_write,
    .poll_fd = ch_poll_fd,
    .process = ch_process,
    .destroy = ch_destroy,
};

struct ns_link *ns_channel_new(const struct ns_channel_config *cfg)
{
	struct channel *ch = calloc(1, sizeof(*ch));
	if (!ch)
		return NULL;
	ch->link.ops = &channel_ops;
	ch->mtu = cfg && cfg->mtu ? cfg->mtu : 1500;
	ch->header = cfg ? cfg->header : NS_LINK_HDR_NONE;
	if (cfg)
		ch->mac = cfg->mac;
	ch->caps = cfg ? cfg->caps : 0;
	ch->queue_len = cfg && cfg->queue_len ? cfg->queue_len : 1024;
	return &ch->link;
}

void ns_channel_inject(struct ns_link *l, struct ns_pkt *pkt)
{
	struct channel *ch = as_ch(l);
	if (!ch || !pkt) {
		ns_pkt_free(pkt);
		return;
	}
	uint32_t frame_len = pkt->len;
	bool ok;

	/* A packet taken from a channel's output (another stack's, wired to this one) turns
	 * inbound with its offload metadata, as across a veth pair: a checksum left partial
	 * never crossed a wire, so the data is known good, and it stays partial (with its
	 * offsets) for a router to send on so (pkt.h); a GSO packet arrives whole, as a GRO'd
	 * frame, its descriptor telling the segment size. Outbound-only metadata (recorded
	 * headers) is cleared. */
	if (pkt->flags & NS_PKT_CSUM_PARTIAL)
		pkt->flags |= NS_PKT_CSUM_VERIFIED;
	else
		pkt->csum_start = pkt->csum_off = 0;
	pkt->flags &= NS_PKT_CSUM_VERIFIED | NS_PKT_CSUM_PARTIAL;
	memset(pkt->hdr, 0, sizeof(pkt->hdr));
	pkt->next = NULL;
	if (ch->header == NS_LINK_HDR_ETHERNET) {
		ok = ns_link_eth_consume(pkt, &ch->mac);
	} else {
		pkt->netproto = ns_link_ip_version_proto(pkt);
		ok = pkt->netproto != 0;
	}
	if (!ok || !l->disp) {
		l->rx_errors++;
		ns_pkt_free(pkt);
		return;
	}
	l->rx_frames++;
	l->rx_bytes += frame_len;
	l->disp->deliver(l->disp, l, pkt);
}

void ns_channel_inject_bytes(struct ns_link *l, const void *frame, uint32_t len)
{
	if (!as_ch(l))
		return;
	struct ns_pkt *pkt = ns_pkt_from(frame, len);
	if (!pkt) {
		l->rx_errors++;
		return;
	}
	ns_channel_inject(l, pkt);
}

struct ns_pkt *ns_channel_read(struct ns_link *l)
{
	struct channel *ch = as_ch(l);
	struct ns_pkt *pkt = ch ? ch->head : NULL;
	if (!pkt)
		return NULL;
	ch->head = pkt->next;
	if (!ch->head)
		ch->tail = NULL;
	pkt->next = NULL;
	ch->pending--;
	return pkt;
}

uint32_t ns_channel_pending(struct ns_link *l)
{
	struct channel *ch = as_ch(l);
	return ch ? ch->pending : 0;
}

void ns_channel_set_write_hook(struct ns_link *l, void (*fn)(void *ctx, struct ns_pkt *pkt),
                               void *ctx)
{
	struct channel *ch = as_ch(l);
	if (!ch)
		return;
	ch->hook = fn;
	ch->hook_ctx = ctx;
}
