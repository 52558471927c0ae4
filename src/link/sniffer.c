/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: a link that wraps another (the seed's link/sniffer, smoltcp's
 * PcapWriter) and records every frame, both directions, in a classic pcap file: magic
 * 0xa1b2c3d4 in host byte order, version 2.4, microsecond CLOCK_REALTIME timestamps, snaplen
 * 262144 (a whole 64 KiB GSO frame fits), and LINKTYPE_ETHERNET or LINKTYPE_RAW after the
 * lower link's header type, read once at creation.
 *
 * The sniffer is the lower link's dispatcher. Inbound frames are recorded from the start of
 * the link header the lower consumed (pkt->hdr[NS_HDR_LINK]) or, on a header-less link, from
 * the head, then passed up unchanged to the sniffer's own dispatcher. Outbound packets reach
 * the sniffer before the lower pushes its link header, so on an Ethernet link the record gets
 * the header the lower will write (pkt->link_dst, the lower's MAC, pkt->netproto) in front of
 * the packet bytes (unless the packet carries its own, NS_PKT_LINK_HDR); then the packets go
 * down. Every other operation is the lower's.
 *
 * Records go through stdio buffering; ns_sniffer_flush() and destroy() flush. A failed write
 * (disk full) is counted in tx_errors of the sniffer and never disturbs the traffic.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netstack/link.h"

#define PCAP_MAGIC        0xa1b2c3d4u
#define PCAP_SNAPLEN      262144u
#define LINKTYPE_ETHERNET 1u
#define LINKTYPE_RAW      101u
#define ETH_HDR_LEN       14u

struct sniffer {
	struct ns_link link;
	struct ns_link *lower;
	struct ns_link_dispatcher rx; /* what the lower delivers to */
	FILE *f;
	bool ethernet;
};

static const struct ns_link_ops sniffer_ops;

static struct sniffer *to_sn(struct ns_link *l)
{
	return (struct sniffer *)l;
}

/* Write one record from up to two pieces (a synthesised header and the packet bytes). */
static void record(struct sniffer *sn, const void *a, uint32_t alen, const void *b, uint32_t blen)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint32_t orig = alen + blen;
	uint32_t incl = orig < PCAP_SNAPLEN ? orig : PCAP_SNAPLEN;
	uint32_t rec[4] = {
	    (uint32_t)ts.tv_sec,
	    (uint32_t)(ts.tv_nsec / 1000),
	    incl,
	    orig,
	};
	uint32_t acut = alen < incl ? alen : incl;
	uint32_t bcut = incl - acut;
	bool ok = fwrite(rec, sizeof(rec), 1, sn->f) == 1;
	/* (The pointer tests are for gcc, which cannot see that a NULL piece is empty.) */
	if (acut && a)
		ok = ok && fwrite(a, acut, 1, sn->f) == 1;
	if (bcut && b)
		ok = ok && fwrite(b, bcut, 1, sn->f) == 1;
	if (!ok)
		sn->link.tx_errors++;
}

static void sn_deliver(struct ns_link_dispatcher *d, struct ns_link *lower, struct ns_pkt *pkt)
{
	struct sniffer *sn = (struct sniffer *)((char *)d - offsetof(struct sniffer, rx));
	struct ns_link *l = &sn->link;
	uint32_t start = pkt->hdr[NS_HDR_LINK].len ? pkt->hdr[NS_HDR_LINK].off : pkt->head;
	if (start > pkt->head)
		start = pkt->head;
	uint32_t len = pkt->head + pkt->len - start;

	record(sn, pkt->buf + start, len, NULL, 0);
	l->rx_frames++;
	l->rx_bytes += len;
	if (!l->disp) {
		l->rx_errors++;
		ns_pkt_free(pkt);
		return;
	}
	l->disp->deliver(l->disp, l, pkt);
}

static int sn_write(struct ns_link *l, struct ns_pkt **pkts, int n)
{
	struct sniffer *sn = to_sn(l);
	struct ns_mac src = sn->lower->ops->link_addr(sn->lower);

	for (int i = 0; i < n; i++) {
		struct ns_pkt *pkt = pkts[i];
		if (sn->ethernet && !(pkt->flags & NS_PKT_LINK_HDR)) {
			uint8_t eh[ETH_HDR_LEN];
			memcpy(eh, pkt->link_dst.b, 6);
			memcpy(eh + 6, src.b, 6);
			eh[12] = (uint8_t)(pkt->netproto >> 8);
			eh[13] = (uint8_t)pkt->netproto;
			record(sn, eh, sizeof(eh), ns_pkt_data(pkt), pkt->len);
			l->tx_bytes += sizeof(eh) + pkt->len;
		} else {
			record(sn, ns_pkt_data(pkt), pkt->len, NULL, 0);
			l->tx_bytes += pkt->len;
		}
		l->tx_frames++;
	}
	return sn->lower->ops->write(sn->lower, pkts, n);
}

static uint32_t sn_mtu(struct ns_link *l)
{
	return ns_link_mtu(to_sn(l)->lower);
}

static uint32_t sn_caps(struct ns_link *l)
{
	return ns_link_caps(to_sn(l)->lower);
}

static uint16_t sn_max_header_len(struct ns_link *l)
{
	struct ns_link *lower = to_sn(l)->lower;
	return lower->ops->max_header_len(lower);
}

static enum ns_link_header sn_header_type(struct ns_link *l)
{
	struct ns_link *lower = to_sn(l)->lower;
	return lower->ops->header_type(lower);
}

static struct ns_mac sn_link_addr(struct ns_link *l)
{
	struct ns_link *lower = to_sn(l)->lower;
	return lower->ops->link_addr(lower);
}

static void sn_attach(struct ns_link *l, struct ns_link_dispatcher *d)
{
	l->disp = d;
}

static int sn_poll_fd(struct ns_link *l)
{
	return ns_link_poll_fd(to_sn(l)->lower);
}

static int sn_process(struct ns_link *l, int budget)
{
	return ns_link_process(to_sn(l)->lower, budget);
}

static void sn_destroy(struct ns_link *l)
{
	struct sniffer *sn = to_sn(l);
	fclose(sn->f);
	ns_link_destroy(sn->lower);
	free(sn);
}

static const struct ns_link_ops sniffer_ops = {
    .kind = "sniffer",
    .mtu = sn_mtu,
    .caps = sn_caps,
    .max_header_len = sn_max_header_len,
    .header_type = sn_header_type,
    .link_addr = sn_link_addr,
    .attach = sn_attach,
    .write = sn_write,
    .poll_fd = sn_poll_fd,
    .process = sn_process,
    .destroy = sn_destroy,
};

struct ns_link *ns_sniffer_new(struct ns_link *lower, const char *pcap_path, char *errbuf,
                               size_t errlen)
{
	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!lower || !pcap_path) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "sniffer: %s", lower ? "no pcap path" : "no link");
		ns_link_destroy(lower);
		return NULL;
	}
	struct sniffer *sn = calloc(1, sizeof(*sn));
	FILE *f = sn ? fopen(pcap_path, "wb") : NULL;
	if (!f) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "open %s: %s", pcap_path, strerror(errno));
		free(sn);
		ns_link_destroy(lower);
		return NULL;
	}
	sn->link.ops = &sniffer_ops;
	sn->lower = lower;
	sn->rx.deliver = sn_deliver;
	sn->f = f;
	sn->ethernet = lower->ops->header_type(lower) == NS_LINK_HDR_ETHERNET;

	/* struct pcap_file_header, in host byte order like every pcap writer. */
	struct {
		uint32_t magic;
		uint16_t version_major, version_minor;
		int32_t thiszone;
		uint32_t sigfigs, snaplen, linktype;
	} gh = {
	    .magic = PCAP_MAGIC,
	    .version_major = 2,
	    .version_minor = 4,
	    .snaplen = PCAP_SNAPLEN,
	    .linktype = sn->ethernet ? LINKTYPE_ETHERNET : LINKTYPE_RAW,
	};
	_Static_assert(sizeof(gh) == 24, "pcap file header is 24 bytes");
	if (fwrite(&gh, sizeof(gh), 1, f) != 1) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "write %s: %s", pcap_path, strerror(errno));
		fclose(f);
		free(sn);
		ns_link_destroy(lower);
		return NULL;
	}
	lower->ops->attach(lower, &sn->rx);
	return &sn->link;
}

void ns_sniffer_flush(struct ns_link *l)
{
	if (l && l->ops == &sniffer_ops)
		fflush(to_sn(l)->f);
}
