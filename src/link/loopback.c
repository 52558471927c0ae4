/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the loopback link. Every packet written comes straight back to the
 * attached dispatcher, exactly as written: no link header, the head at the network header,
 * pkt->netproto as the writer set it (or guessed from the IP version nibble if it was left 0),
 * and NS_PKT_LOOPED set. Only the outbound metadata is reset (recorded headers, checksum and
 * GSO state, packet-type flags), so the network layer parses it as a fresh inbound packet.
 * The link advertises no checksum offload: checksums are computed and verified as on any link.
 *
 * Delivery is iterative, not recursive: a packet written from inside a delivery (a reply to
 * a looped packet) would otherwise nest one stack frame per round trip. write() appends to a
 * FIFO and, unless a delivery is already running further up the call stack, drains the FIFO
 * itself; a nested write only appends and returns. The FIFO holds at most LO_QUEUE_MAX
 * packets; more are dropped and counted in tx_dropped. Packets written while no dispatcher is
 * attached are dropped and counted in rx_errors. A packet that has other owners
 * (pkt->refcnt > 1) is copied first, since the receive path rewrites it.
 */
#include <stdlib.h>
#include <string.h>

#include "netstack/link.h"

#define LO_MTU       65536u
#define LO_QUEUE_MAX 1024u

struct loopback {
	struct ns_link link;
	struct ns_pkt *head, *tail;
	uint32_t queued;
	bool delivering;
};

static struct loopback *to_lo(struct ns_link *l)
{
	return (struct loopback *)l;
}

static uint32_t lo_mtu(struct ns_link *l)
{
	return LO_MTU;
}

static uint32_t lo_caps(struct ns_link *l)
{
	return NS_CAP_LOOPBACK;
}

static uint16_t lo_max_header_len(struct ns_link *l)
{
	return 0;
}

static enum ns_link_header lo_header_type(struct ns_link *l)
{
	return NS_LINK_HDR_NONE;
}

static struct ns_mac lo_link_addr(struct ns_link *l)
{
	struct ns_mac zero = {{0}};
	return zero;
}

static void lo_attach(struct ns_link *l, struct ns_link_dispatcher *d)
{
	l->disp = d;
}

/* Turn an outbound packet into the inbound packet the network layer expects. */
static void lo_rewind(struct ns_pkt *pkt)
{
	const struct ns_hdr_ref *nh = &pkt->hdr[NS_HDR_NETWORK];
	if (nh->len && nh->off < pkt->head) {
		pkt->len += pkt->head - nh->off;
		pkt->head = nh->off;
	}
	memset(pkt->hdr, 0, sizeof(pkt->hdr));
	memset(&pkt->gso, 0, sizeof(pkt->gso));
	memset(&pkt->link_src, 0, sizeof(pkt->link_src));
	pkt->csum_start = 0;
	pkt->csum_off = 0;
	pkt->flags = NS_PKT_LOOPED;
	if (!pkt->netproto)
		pkt->netproto = ns_link_ip_version_proto(pkt);
}

static void lo_drain(struct loopback *lo)
{
	struct ns_link *l = &lo->link;

	lo->delivering = true;
	while (lo->head) {
		struct ns_pkt *pkt = lo->head;
		lo->head = pkt->next;
		if (!lo->head)
			lo->tail = NULL;
		lo->queued--;
		pkt->next = NULL;
		if (!l->disp) {
			l->rx_errors++;
			ns_pkt_free(pkt);
			continue;
		}
		lo_rewind(pkt);
		l->rx_frames++;
		l->rx_bytes += pkt->len;
		l->disp->deliver(l->disp, l, pkt);
	}
	lo->delivering = false;
}

static int lo_write(struct ns_link *l, struct ns_pkt **pkts, int n)
{
	struct loopback *lo = to_lo(l);
	int accepted = 0;

	for (int i = 0; i < n; i++) {
		struct ns_pkt *pkt = pkts[i];
		if (lo->queued >= LO_QUEUE_MAX) {
			l->tx_dropped++;
			ns_pkt_free(pkt);
			continue;
		}
		if (pkt->refcnt > 1) {
			/* Another owner (a retransmit queue) keeps this packet: the receive path
			 * moves its head and rewrites its metadata, so it gets a private copy. */
			struct ns_pkt *copy = ns_pkt_copy(pkt);
			ns_pkt_free(pkt);
			if (!copy) {
				l->tx_dropped++;
				continue;
			}
			pkt = copy;
		}
		pkt->next = NULL;
		if (lo->tail)
			lo->tail->next = pkt;
		else
			lo->head = pkt;
		lo->tail = pkt;
		lo->queued++;
		l->tx_frames++;
		l->tx_bytes += pkt->len;
		accepted++;
	}
	if (!lo->delivering)
		lo_drain(lo);
	return accepted;
}

static int lo_poll_fd(struct ns_link *l)
{
	return -1;
}

static int lo_process(struct ns_link *l, int budget)
{
	return 0;
}

static void lo_destroy(struct ns_link *l)
{
	struct loopback *lo = to_lo(l);
	ns_pkt_free_list(lo->head);
	free(lo);
}

static const struct ns_link_ops loopback_ops = {
    .kind = "loopback",
    .mtu = lo_mtu,
    .caps = lo_caps,
    .max_header_len = lo_max_header_len,
    .header_type = lo_header_type,
    .link_addr = lo_link_addr,
    .attach = lo_attach,
    .write = lo_write,
    .poll_fd = lo_poll_fd,
    .process = lo_process,
    .destroy = lo_destroy,
};

struct ns_link *ns_loopback_new(void)
{
	struct loopback *lo = calloc(1, sizeof(*lo));
	if (!lo)
		return NULL;
	lo->link.ops = &loopback_ops;
	return &lo->link;
}
