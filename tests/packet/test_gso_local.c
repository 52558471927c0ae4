/* SPDX-License-Identifier: MIT */
/*
 * Packet tests: received packets with a GSO descriptor that are for this host, both
 * families, as Linux's receive path treats them.
 *
 * A super-frame reaches us from a TAP with TSO/USO (the kernel's GSO packet, its virtio-net
 * header checked by the link) or from another stack's channel (a GSO packet it sent whole).
 * A TCP one goes up whole: TCP takes segments larger than the MSS (test_tcp_gso.c). A UDP
 * one (NS_GSO_UDP_L4) stands for datagrams of gso.mss bytes each, and an application reads
 * datagrams: Linux cuts it before the socket (udp_rcv_segment(), unless the socket asked
 * for UDP_GRO, which this stack does not offer). A descriptor that does not describe the
 * packet (another protocol, the other family, no size), or a UDP one whose data nobody
 * vouched for (a cut would give each datagram a fresh, right checksum over whatever bytes
 * came), is dropped as NS_DROP_OFFLOAD_BAD rather than believed.
 *
 * The peer's frames are built here byte by byte (Ethernet, IPv4 or IPv6, UDP or TCP) and
 * injected with the metadata a TAP's header gives: a partial checksum (NEEDS_CSUM: the
 * field holds the pseudo-header sum) that counts as verified, or nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "harness6.h"
#include "netstack/stats.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#define PORT   5001
#define SPORT  40000
#define ETH    14u
#define MAXLEN 9000u

static uint8_t frame[ETH + 40 + 20 + MAXLEN];

static uint8_t pat(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

struct spec {
	bool v6;
	uint8_t proto;    /* NS_IPPROTO_UDP or NS_IPPROTO_TCP */
	uint32_t plen;    /* payload bytes */
	uint8_t gso_type; /* NS_GSO_* */
	uint16_t mss;
	bool partial;    /* NEEDS_CSUM: partial and verified; else a complete checksum */
	bool hop_by_hop; /* IPv6: an 8-byte hop-by-hop header (PadN) before the upper layer */
	bool atomic;     /* IPv6: an atomic fragment (a Fragment header, offset 0, M 0) */
};

/* Build and inject the frame @sp describes, from the peer to us. */
static void send_spec(struct nt *t, const struct spec *sp)
{
	struct ns_addr src = sp->v6 ? NT6_ADDR_PEER : NT_ADDR_PEER;
	struct ns_addr dst = sp->v6 ? NT6_ADDR_US : NT_ADDR_US;
	uint32_t ext = sp->hop_by_hop || sp->atomic ? 8 : 0, l3 = (sp->v6 ? 40 : 20) + ext;
	uint32_t l4h = sp->proto == NS_IPPROTO_TCP ? 20 : 8, l4 = l4h + sp->plen;
	uint8_t *ip = frame + ETH, *th = ip + l3, *field;
	uint32_t ps;
	struct ns_pkt *p;

	assert_true(sp->plen <= MAXLEN);
	memset(frame, 0, ETH + l3 + l4h);
	memcpy(frame, NT_MAC_US.m.b, 6);
	memcpy(frame + 6, NT_MAC_PEER.m.b, 6);
	wr16(frame + 12, sp->v6 ? 0x86dd : 0x0800);
	if (sp->v6) {
		ip[0] = 0x60;
		wr16(ip + 4, (uint16_t)(ext + l4));
		ip[6] = sp->hop_by_hop ? 0 : sp->atomic ? 44 : sp->proto;
		ip[7] = 64;
		memcpy(ip + 8, src.a, 16);
		memcpy(ip + 24, dst.a, 16);
		if (sp->hop_by_hop) {
			ip[40] = sp->proto;
			ip[42] = 1; /* PadN, 4 bytes of padding */
			ip[43] = 4;
		} else if (sp->atomic) {
			ip[40] = sp->proto;
			wr32(ip + 44, 0x1234); /* identification; offset 0, M 0 */
		}
		ps = csum_pseudo_v6(src.a, dst.a, sp->proto, l4);
	} else {
		ip[0] = 0x45;
		wr16(ip + 2, (uint16_t)(20 + l4));
		wr16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = sp->proto;
		memcpy(ip + 12, src.a, 4);
		memcpy(ip + 16, dst.a, 4);
		wr16(ip + 10, csum_finish(csum_partial(ip, 20, 0)));
		ps = csum_pseudo_v4(src.a, dst.a, sp->proto, l4);
	}
	wr16(th, SPORT);
	wr16(th + 2, PORT);
	if (sp->proto == NS_IPPROTO_TCP) {
		wr32(th + 4, 1000);
		th[12] = 5 << 4;
		th[13] = 0x10; /* ACK */
		wr16(th + 14, 1000);
		field = th + 16;
	} else {
		wr16(th + 4, (uint16_t)l4); /* the super-frame's own length, as Linux's GSO */
		field = th + 6;
	}
	for (uint32_t i = 0; i < sp->plen; i++)
		th[l4h + i] = pat(i);
	if (sp->partial)
		wr16(field, csum_fold(ps));
	else
		wr16(field, csum_finish(csum_partial(th, l4, ps)));
	p = ns_pkt_from(frame, ETH + l3 + l4);
	assert_non_null(p);
	if (sp->partial) {
		p->flags = NS_PKT_CSUM_PARTIAL | NS_PKT_CSUM_VERIFIED;
		p->csum_start = (uint16_t)l3;
		p->csum_off = (uint16_t)(field - th);
	}
	p->gso.type = sp->gso_type;
	p->gso.mss = sp->mss;
	ns_channel_inject(t->link, p);
}

/* Read the datagrams @ep holds: @n of them, cut from @plen payload bytes in @mss pieces. */
static void expect_datagrams(struct ns_ep *ep, bool v6, uint32_t plen, uint32_t mss)
{
	static uint8_t buf[MAXLEN + 1];
	struct ns_read_result res;
	struct ns_addr peer = v6 ? NT6_ADDR_PEER : NT_ADDR_PEER;

	for (uint32_t off = 0; off < plen; off += mss) {
		uint32_t want = plen - off < mss ? plen - off : mss;

		assert_int_equal(nt_read(ep, buf, sizeof(buf), &res), want);
		assert_int_equal(res.total, want);
		assert_int_equal(res.from.port, SPORT);
		assert_true(ns_addr_eq(&res.from.addr, &peer));
		for (uint32_t i = 0; i < want; i++)
			if (buf[i] != pat(off + i))
				fail_msg("datagram at %u: byte %u differs", off, i);
	}
	nt_expect_empty(ep);
}

static void udp_superframe_read_as_datagrams(struct nt *t, bool v6)
{
	struct ns_ep *ep = nt_udp_bound(t, v6 ? NT6_ADDR_US : NT_ADDR_US, PORT);

	/* Three datagrams of 1200 bytes and a last one of 400. */
	send_spec(t, &(struct spec){.v6 = v6,
	                            .proto = NS_IPPROTO_UDP,
	                            .plen = 4000,
	                            .gso_type = NS_GSO_UDP_L4,
	                            .mss = 1200,
	                            .partial = true});
	expect_datagrams(ep, v6, 4000, 1200);
	assert_int_equal(nt_stat(t, NS_STAT_UDP_DELIVERED), 4);
	/* A super-frame that is one datagram (payload within the size) is that datagram. */
	send_spec(t, &(struct spec){.v6 = v6,
	                            .proto = NS_IPPROTO_UDP,
	                            .plen = 700,
	                            .gso_type = NS_GSO_UDP_L4,
	                            .mss = 1200,
	                            .partial = true});
	expect_datagrams(ep, v6, 700, 1200);
	assert_int_equal(nt_drops(t, NS_DROP_OFFLOAD_BAD), 0);
	nt_expect_nothing(t);
	ns_ep_close(ep);
}

static void udp4_superframe_read_as_datagrams(void **state)
{
	udp_superframe_read_as_datagrams(*state, false);
}

static void udp6_superframe_read_as_datagrams(void **state)
{
	udp_superframe_read_as_datagrams(*state, true);
}

/* Each datagram cut from a super-frame to a closed port draws its own port unreachable,
 * quoting that datagram, as if the sender had sent them one by one. */
static void udp_superframe_to_closed_port_answered_per_datagram(void **state)
{
	struct nt *t = *state;

	send_spec(t, &(struct spec){.proto = NS_IPPROTO_UDP,
	                            .plen = 2000,
	                            .gso_type = NS_GSO_UDP_L4,
	                            .mss = 1000,
	                            .partial = true});
	for (int i = 0; i < 2; i++) {
		const struct nt_frame *f = nt_expect_icmp(
		    t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_PORT,
		               .src = NT_ADDR_US, .dst = NT_ADDR_PEER));
		/* The quoted IPv4 header is the datagram's: 20 + 8 + 1000 bytes long. */
		assert_int_equal(rd16(f->payload + 2), 1028);
	}
	assert_int_equal(nt_drops(t, NS_DROP_PORT_UNREACHABLE), 2);
	nt_expect_nothing(t);
}

/* Descriptors that do not describe the packet, and a UDP super-frame nobody verified. */
static void bad_descriptors_dropped(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep4 = nt_udp_bound(t, NT_ADDR_US, PORT);
	struct ns_ep *ep6 = nt_udp_bound(t, NT6_ADDR_US, PORT);
	const struct spec bad[] = {
	    /* TCP descriptors on UDP datagrams, the other family's on TCP. */
	    {.proto = NS_IPPROTO_UDP, .plen = 3000, .gso_type = NS_GSO_TCPV4, .mss = 1000},
	    {.v6 = true,
	     .proto = NS_IPPROTO_UDP,
	     .plen = 3000,
	     .gso_type = NS_GSO_TCPV6,
	     .mss = 1000},
	    {.proto = NS_IPPROTO_TCP, .plen = 3000, .gso_type = NS_GSO_TCPV6, .mss = 1000},
	    {.v6 = true,
	     .proto = NS_IPPROTO_TCP,
	     .plen = 3000,
	     .gso_type = NS_GSO_TCPV4,
	     .mss = 1000},
	    /* A UDP descriptor on TCP; a type nobody defined; no size. */
	    {.proto = NS_IPPROTO_TCP, .plen = 3000, .gso_type = NS_GSO_UDP_L4, .mss = 1000},
	    {.proto = NS_IPPROTO_UDP, .plen = 3000, .gso_type = 9, .mss = 1000},
	    {.proto = NS_IPPROTO_UDP, .plen = 3000, .gso_type = NS_GSO_UDP_L4, .partial = true},
	    /* UDP super-frames whose checksum nobody verified (no NEEDS_CSUM, DATA_VALID). */
	    {.proto = NS_IPPROTO_UDP, .plen = 3000, .gso_type = NS_GSO_UDP_L4, .mss = 1000},
	    {.v6 = true,
	     .proto = NS_IPPROTO_UDP,
	     .plen = 3000,
	     .gso_type = NS_GSO_UDP_L4,
	     .mss = 1000},
	    /* IPv6 with an extension header: not a super-frame anyone cuts (gso.c). */
	    {.v6 = true,
	     .proto = NS_IPPROTO_UDP,
	     .plen = 3000,
	     .gso_type = NS_GSO_UDP_L4,
	     .mss = 1000,
	     .partial = true,
	     .hop_by_hop = true},
	    /* An atomic fragment (RFC 6946) is no super-frame, TCP or UDP. */
	    {.v6 = true,
	     .proto = NS_IPPROTO_UDP,
	     .plen = 3000,
	     .gso_type = NS_GSO_UDP_L4,
	     .mss = 1000,
	     .partial = true,
	     .atomic = true},
	    {.v6 = true,
	     .proto = NS_IPPROTO_TCP,
	     .plen = 3000,
	     .gso_type = NS_GSO_TCPV6,
	     .mss = 1000,
	     .partial = true,
	     .atomic = true},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		send_spec(t, &bad[i]);
		if (nt_drops(t, NS_DROP_OFFLOAD_BAD) != i + 1)
			fail_msg("descriptor %zu was not dropped as OFFLOAD_BAD", i);
	}
	nt_expect_empty(ep4);
	nt_expect_empty(ep6);
	assert_int_equal(nt_stat(t, NS_STAT_UDP_DELIVERED), 0);
	assert_int_equal(nt_stat(t, NS_STAT_TCP_RX), 0);
	/* No RSTs, no ICMP errors: nothing reached a transport. */
	nt_expect_nothing(t);
	ns_ep_close(ep4);
	ns_ep_close(ep6);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, nt6_cm_setup, nt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    T(udp4_superframe_read_as_datagrams),
	    T(udp6_superframe_read_as_datagrams),
	    T(udp_superframe_to_closed_port_answered_per_datagram),
	    T(bad_descriptors_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
