/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: a libFuzzer target for IP reassembly (src/net/frag.c, frag6.c) and
 * for what follows it: the walk of a reassembled IPv6 header chain, local delivery of the
 * whole datagram, and the fragmented reply.
 *
 * fuzz_frame injects one frame per input, so a datagram's fragments almost never meet in
 * one queue and reassembly rarely completes. Here one input is a whole exchange. Its first
 * byte steers: bit 0 picks the mode, bit 1 asks for the transport checksum of the packet
 * to be made right first, bits 2..7 move the virtual clock that many seconds after the
 * input (so the 30 s and 60 s reassembly timeouts fire now and then; every 1024 inputs the
 * clock also jumps two minutes, which empties every queue).
 *
 *  - mode 0, frames: the rest is a list of [16-bit big-endian length][IP packet] records,
 *    each sent as it is (the Ethernet header added, its EtherType from the IP version),
 *    for malformed, overlapping and contradicting fragments;
 *  - mode 1, cut: the rest is one IP packet (IPv4 with options, or IPv6 with extension
 *    headers: they are its fragmentable part, the unfragmentable part being the 40-byte
 *    header) followed by a cut list: each byte b makes one fragment of ((b & 0x7f) + 1) * 8
 *    data bytes (the last takes what is left), sent at once, or, with b & 0x80, held back
 *    and sent after the others in reverse. The fragments are built right (offsets, MF,
 *    one identification per input, IPv4 header checksums), so mutations of the packet
 *    reach reassembly's completion and everything after it.
 *
 * The stack is fuzz_frame's NIC 1 (Ethernet, 192.0.2.2/24 and 2001:db8::2/64, static
 * neighbors .1 and ::1, no DAD) with UDP endpoints on port 7 for both families that echo
 * what they read (a reassembled datagram goes back fragmented). Everything the stack sends
 * is freed after each input. A crash, a sanitizer report or a leak at exit is a finding.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netstack/netstack.h"
#include "netstack/proto.h"
#include "wire/checksum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAGS 256

static struct {
	bool ready;
	struct ns_vclock clock;
	struct ns_stack *stack;
	struct ns_link *eth;
	struct ns_ep *ep4, *ep6;
	uint32_t inputs;
} F;

static const uint8_t mac_us[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t mac_peer[6] = {0x02, 0, 0, 0, 0, 0x01};

static void die(void)
{
	abort(); /* set-up failures are bugs too */
}

static struct ns_ep *udp_echo(uint8_t family)
{
	struct ns_sockaddr any = {.addr = {.family = family}, .port = 7};
	struct ns_ep *ep = NULL;

	if (ns_ep_new(F.stack, family, NS_IPPROTO_UDP, NULL, &ep) != NS_OK ||
	    (family == NS_AF_INET6 && ns_ep_set_opt(ep, NS_IPV6_V6ONLY, 1) != NS_OK) ||
	    ns_ep_bind(ep, &any) != NS_OK)
		die();
	return ep;
}

static void setup(void)
{
	struct ns_stack_config cfg;
	struct ns_channel_config eth = {.header = NS_LINK_HDR_ETHERNET, .queue_len = 1024};
	struct ns_mac peer_mac;
	struct ns_subnet a4, a6;
	struct ns_addr p4, p6;

	ns_vclock_init(&F.clock, NS_SEC);
	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	cfg.clock = &F.clock.base;
	cfg.seed = 0x66726167;
	cfg.ipv6_dad = false;
	if (ns_stack_new(&cfg, &F.stack) != NS_OK)
		die();
	memcpy(eth.mac.b, mac_us, 6);
	memcpy(peer_mac.b, mac_peer, 6);
	F.eth = ns_channel_new(&eth);
	if (!F.eth || ns_stack_add_nic(F.stack, 1, F.eth, "fz") != NS_OK ||
	    !ns_subnet_parse("192.0.2.2/24", &a4) || !ns_subnet_parse("2001:db8::2/64", &a6) ||
	    !ns_addr_parse("192.0.2.1", &p4) || !ns_addr_parse("2001:db8::1", &p6) ||
	    ns_stack_add_address(F.stack, 1, &a4) != NS_OK ||
	    ns_stack_add_address(F.stack, 1, &a6) != NS_OK ||
	    ns_stack_add_static_neighbor(F.stack, 1, &p4, &peer_mac) != NS_OK ||
	    ns_stack_add_static_neighbor(F.stack, 1, &p6, &peer_mac) != NS_OK)
		die();
	F.ep4 = udp_echo(NS_AF_INET);
	F.ep6 = udp_echo(NS_AF_INET6);
	F.ready = true;
}

/* Send the IP packet @ip (@len bytes) in an Ethernet frame from the peer. */
static void inject(const uint8_t *ip, size_t len)
{
	static uint8_t frame[14 + 65536];

	if (len == 0 || len > 65536)
		return;
	memcpy(frame, mac_us, 6);
	memcpy(frame + 6, mac_peer, 6);
	frame[12] = (ip[0] >> 4) == 6 ? 0x86 : 0x08;
	frame[13] = (ip[0] >> 4) == 6 ? 0xdd : 0x00;
	memcpy(frame + 14, ip, len);
	ns_channel_inject_bytes(F.eth, frame, (uint32_t)(14 + len));
}

/* Make the transport checksum (UDP, TCP, ICMP, ICMPv6) at @t right. */
static void fix_transport(uint8_t proto, uint8_t *t, size_t tlen, uint32_t pseudo)
{
	size_t off = proto == 17 ? 6 : proto == 6 ? 16 : 2;
	uint16_t c;

	if ((proto != 17 && proto != 6 && proto != 1 && proto != 58) || tlen < off + 2)
		return;
	if (proto == 1)
		pseudo = 0;
	t[off] = t[off + 1] = 0;
	c = csum_finish(csum_partial(t, tlen, pseudo));
	if (proto == 17 && c == 0)
		c = 0xffff;
	t[off] = (uint8_t)(c >> 8);
	t[off + 1] = (uint8_t)c;
}

static void fix_ipv4_header(uint8_t *h, size_t hl)
{
	uint16_t c;

	h[10] = h[11] = 0;
	c = csum_finish(csum_partial(h, hl, 0));
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
}

static void mode_frames(const uint8_t *d, size_t n)
{
	while (n >= 2) {
		size_t len = (size_t)d[0] << 8 | d[1];

		d += 2;
		n -= 2;
		if (len > n)
			len = n;
		inject(d, len);
		d += len;
		n -= len;
	}
}

/* The fragments of the packet being cut: where each one's data starts and how long it is. */
struct cut {
	uint32_t off, len;
};

/* Cut list @c (@nc bytes) over @plen data bytes into @out; returns how many. */
static size_t make_cuts(const uint8_t *c, size_t nc, uint32_t plen, struct cut *out, bool *late)
{
	uint32_t off = 0;
	size_t k = 0;

	while (off < plen && k < MAX_FRAGS) {
		uint8_t b = k < nc ? c[k] : 0x7f;
		uint32_t step = ((uint32_t)(b & 0x7f) + 1) * 8;

		if (k + 1 == MAX_FRAGS || step >= plen - off)
			step = plen - off;
		out[k] = (struct cut){off, step};
		late[k] = (b & 0x80) != 0;
		off += step;
		k++;
	}
	return k;
}

static void send_cuts(const uint8_t *hdr, uint32_t hl, const uint8_t *data, const struct cut *cuts,
                      size_t n, const bool *late, bool v6, uint32_t id)
{
	static uint8_t pkt[65536 + 64];

	for (int pass = 0; pass < 2; pass++) {
		for (size_t j = 0; j < n; j++) {
			size_t i = pass ? n - 1 - j : j;
			bool more = i + 1 < n;

			if (late[i] != (pass == 1))
				continue;
			memcpy(pkt, hdr, hl);
			if (v6) {
				/* RFC 8200 4.5: the Fragment header after the 40-byte header. */
				pkt[40] = hdr[6];
				pkt[41] = 0;
				pkt[42] = (uint8_t)(cuts[i].off >> 8);
				pkt[43] = (uint8_t)((cuts[i].off & 0xf8) | (more ? 1 : 0));
				memcpy(pkt + 44, &id, 4);
				pkt[6] = 44;
				pkt[4] = (uint8_t)((8 + cuts[i].len) >> 8);
				pkt[5] = (uint8_t)(8 + cuts[i].len);
				memcpy(pkt + 48, data + cuts[i].off, cuts[i].len);
				inject(pkt, 48 + cuts[i].len);
			} else {
				uint16_t fo = (uint16_t)((cuts[i].off / 8) | (more ? 0x2000 : 0));

				pkt[2] = (uint8_t)((hl + cuts[i].len) >> 8);
				pkt[3] = (uint8_t)(hl + cuts[i].len);
				pkt[4] = (uint8_t)(id >> 8);
				pkt[5] = (uint8_t)id;
				pkt[6] = (uint8_t)(fo >> 8);
				pkt[7] = (uint8_t)fo;
				fix_ipv4_header(pkt, hl);
				memcpy(pkt + hl, data + cuts[i].off, cuts[i].len);
				inject(pkt, hl + cuts[i].len);
			}
		}
	}
}

static void mode_cut(const uint8_t *d, size_t n, bool fix)
{
	static uint8_t p[65536];
	static struct cut cuts[MAX_FRAGS];
	static bool late[MAX_FRAGS];
	size_t total, hl, k;
	bool v6;

	if (n < 20)
		return;
	v6 = (d[0] >> 4) == 6;
	if (v6) {
		if (n < 40)
			return;
		hl = 40;
		total = 40 + ((size_t)d[4] << 8 | d[5]);
	} else {
		hl = (size_t)(d[0] & 15) * 4;
		total = (size_t)d[2] << 8 | d[3];
		if (hl < 20)
			return;
	}
	if (total > n || total <= hl)
		return;
	memcpy(p, d, total);
	if (fix && v6)
		fix_transport(p[6], p + 40, total - 40,
		              csum_pseudo_v6(p + 8, p + 24, p[6], (uint32_t)(total - 40)));
	if (fix && !v6)
		fix_transport(p[9], p + hl, total - hl,
		              csum_pseudo_v4(p + 12, p + 16, p[9], (uint32_t)(total - hl)));
	k = make_cuts(d + total, n - total, (uint32_t)(total - hl), cuts, late);
	send_cuts(p, (uint32_t)hl, p + hl, cuts, k, late, v6, F.inputs);
}

/* Echo what the UDP endpoints read, then free every frame the stack sent. */
static void drain(void)
{
	static uint8_t buf[65536];
	struct ns_ep *eps[2] = {F.ep4, F.ep6};
	struct ns_pkt *p;
	int64_t v;

	for (int e = 0; e < 2; e++) {
		for (int i = 0; i < 64; i++) {
			struct ns_read_result res;
			struct ns_write_opts wo = {.to = &res.from};
			size_t written;

			if (ns_ep_read(eps[e], buf, sizeof(buf), 0, &res) != NS_OK)
				break;
			(void)ns_ep_write(eps[e], buf, res.count, &wo, &written);
		}
		(void)ns_ep_get_opt(eps[e], NS_SO_ERROR, &v);
	}
	while ((p = ns_channel_read(F.eth)))
		ns_pkt_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl;

	if (!F.ready)
		setup();
	if (size < 1)
		return 0;
	ctl = data[0];
	F.inputs++;
	if (ctl & 1)
		mode_cut(data + 1, size - 1, (ctl & 2) != 0);
	else
		mode_frames(data + 1, size - 1);
	ns_stack_poll(F.stack);
	drain();
	F.clock.now += (uint64_t)(ctl >> 2) * NS_SEC + NS_MSEC;
	if (F.inputs % 1024 == 0)
		F.clock.now += 120 * NS_SEC;
	ns_stack_poll(F.stack);
	drain();
	return 0;
}
