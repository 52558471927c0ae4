/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the IPv6 packet-test harness (see harness6.h).
 *
 * Builders write every byte with the wire helpers so that a template may ask for any wrong
 * value (a length, a checksum, a hop limit) and get exactly that; checkers parse with the
 * wire parsers, walk the extension headers to the upper layer, insist on right checksums,
 * then compare the fields the test set. Failures name the test's file and line and
 * describe the frame.
 */
#include "harness6.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness_priv.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#define ETH_OFF NT_ETH_OFF

static struct nt6_frame rx6;
static const struct nt6_opts *cur_opts;

/* ---------------------------------------------------------------- setup */

static void config6(struct ns_stack_config *cfg)
{
	const struct nt6_opts *o = cur_opts;

	cfg->ipv6_dad = o->dad;
	cfg->ipv6_rtr_solicits = o->rs ? 3 : 0;
	cfg->ipv6_stable_iid = o->stable_iid;
	if (o->config)
		o->config(cfg);
}

void nt6_setup(struct nt *t, const struct nt6_opts *o)
{
	static const struct nt6_opts none;
	struct nt_opts no = {.probe = false};

	if (!o)
		o = &none;
	cur_opts = o;
	no.probe = o->probe;
	no.forwarding = o->forwarding;
	no.mtu = o->mtu;
	no.allow_unread = o->allow_unread;
	no.config = config6;
	nt_setup(t, &no);
	cur_opts = NULL;
	if (!o->no_address6) {
		struct ns_subnet a = {.addr = NT6_ADDR_US, .prefix = 64};
		struct ns_route_entry r = {.dest = {.addr = {.family = NS_AF_INET6}, .prefix = 0},
		                           .gateway = NT6_ADDR_PEER,
		                           .nic = NT_NIC};

		assert_int_equal(ns_stack_add_address(t->s, NT_NIC, &a), NS_OK);
		assert_int_equal(ns_stack_add_route(t->s, &r), NS_OK);
		if (!o->no_neighbor6) {
			struct ns_addr peer = NT6_ADDR_PEER;

			assert_int_equal(
			    ns_stack_add_static_neighbor(t->s, NT_NIC, &peer, &NT_MAC_PEER.m),
			    NS_OK);
		}
		/* The joins' MLD reports, retransmitted within a second (RFC 3810 6.1), and
		 * DAD when it is on (a delay of up to 1 s, a probe, 1 s for an answer). */
		nt_advance(t, 3 * NS_SEC);
	}
	nt_discard(t);
	t->pkts_live0 = ns_pkt_live();
	t->stats0 = *ns_stack_stats(t->s);
}

int nt6_cm_setup_opts(void **state, const struct nt6_opts *o)
{
	nt6_setup(nt_cm_new(state), o);
	return 0;
}

int nt6_cm_setup(void **state)
{
	return nt6_cm_setup_opts(state, NULL);
}

/* ---------------------------------------------------------------- builders */

#define IP6_PART(m)                                    \
	((struct nt6_raw){.eth_src = (m)->eth_src,     \
	                  .eth_dst = (m)->eth_dst,     \
	                  .src = (m)->src,             \
	                  .dst = (m)->dst,             \
	                  .version = (m)->version,     \
	                  .tclass = (m)->tclass,       \
	                  .flow = (m)->flow,           \
	                  .plen = (m)->plen,           \
	                  .nh = (m)->nh,               \
	                  .upper = (m)->upper,         \
	                  .hop_limit = (m)->hop_limit, \
	                  .ext = (m)->ext,             \
	                  .ext_len = (m)->ext_len,     \
	                  .frame_len = (m)->frame_len, \
	                  .pad = (m)->pad,             \
	                  .len = NT_ANY})

uint32_t nt6_build_raw(const struct nt6_raw *m, uint8_t *buf, uint32_t cap)
{
	struct ns_addr src = nt_addr_or(m->src, NT6_ADDR_PEER),
	               dst = nt_addr_or(m->dst, NT6_ADDR_US);
	uint32_t elen = m->ext ? (uint32_t)nt_or(m->ext_len, 0) : 0;
	uint32_t plen = nt_payload_len(m->payload, m->len);
	uint32_t flen =
	    nt_frame_layout(buf, cap, ETH_OFF + IPV6_HLEN + elen + plen, m->frame_len, m->pad);
	uint8_t *ip = buf + ETH_OFF;
	uint8_t upper = (uint8_t)nt_or(m->upper, NT_DEF_PROTO);
	/* RFC 2464 7: a multicast destination maps to 33:33 and its last four bytes. */
	struct nt_mac mc = NT_MAC(0x33, 0x33, dst.a[12], dst.a[13], dst.a[14], dst.a[15]);

	if (!flen)
		return 0;
	nt_eth_put(buf, nt_mac_or(m->eth_dst, dst.a[0] == 0xff ? mc : NT_MAC_US),
	           nt_mac_or(m->eth_src, NT_MAC_PEER), ETH_P_IPV6);
	wr32(ip, (uint32_t)(nt_or(m->version, 6) << 28 | (nt_or(m->tclass, 0) & 0xff) << 20 |
	                    (nt_or(m->flow, 0) & 0xfffff)));
	wr16(ip + 4, (uint16_t)nt_or(m->plen, elen + plen));
	ip[6] = (uint8_t)nt_or(m->nh, elen ? 0 : upper);
	ip[7] = (uint8_t)nt_or(m->hop_limit, NT_DEF_TTL);
	memcpy(ip + 8, src.a, 16);
	memcpy(ip + 24, dst.a, 16);
	if (elen)
		memcpy(ip + IPV6_HLEN, m->ext, elen);
	if (plen)
		memcpy(ip + IPV6_HLEN + elen, m->payload, plen);
	return flen;
}

/* @l4 as the upper layer of the IP part of @m, protocol @proto by default. */
static uint32_t build_around(struct nt6_raw ip, uint8_t proto, const uint8_t *l4, uint32_t len,
                             uint8_t *buf, uint32_t cap)
{
	ip.upper = nt_or(ip.upper, proto);
	ip.payload = l4;
	ip.len = len;
	return nt6_build_raw(&ip, buf, cap);
}

uint32_t nt6_build_icmp(const struct nt6_icmp *m, uint8_t *buf, uint32_t cap)
{
	uint32_t plen = nt_payload_len(m->payload, m->len), n;
	uint8_t *l4 = malloc(ICMPV6_HLEN + plen);
	uint8_t type = (uint8_t)nt_or(m->type, ICMPV6_ECHO_REQUEST);
	struct ns_addr src = nt_addr_or(m->src, NT6_ADDR_PEER),
	               dst = nt_addr_or(m->dst, NT6_ADDR_US);

	assert_non_null(l4);
	memset(l4, 0, ICMPV6_HLEN);
	l4[0] = type;
	l4[1] = (uint8_t)nt_or(m->code, 0);
	if (type == ICMPV6_ECHO_REQUEST || type == ICMPV6_ECHO_REPLY || m->id != NT_ANY ||
	    m->seq != NT_ANY) {
		wr16(l4 + 4, (uint16_t)nt_or(m->id, NT_DEF_ECHO_ID));
		wr16(l4 + 6, (uint16_t)nt_or(m->seq, NT_DEF_ECHO_SEQ));
	}
	if (m->rest != NT_ANY)
		wr32(l4 + 4, (uint32_t)m->rest);
	if (plen)
		memcpy(l4 + ICMPV6_HLEN, m->payload, plen);
	wr16(l4 + 2,
	     (uint16_t)nt_or(m->csum, csum_finish(csum_partial(
	                                  l4, ICMPV6_HLEN + plen,
	                                  csum_pseudo_v6(src.a, dst.a, 58, ICMPV6_HLEN + plen)))));
	n = build_around(IP6_PART(m), 58, l4, ICMPV6_HLEN + plen, buf, cap);
	free(l4);
	return n;
}

uint32_t nt6_build_udp(const struct nt6_udp *m, uint8_t *buf, uint32_t cap)
{
	uint32_t plen = nt_payload_len(m->payload, m->len), ulen = UDP_HLEN + plen, n;
	uint8_t *l4 = malloc(ulen);
	struct ns_addr src = nt_addr_or(m->src, NT6_ADDR_PEER),
	               dst = nt_addr_or(m->dst, NT6_ADDR_US);
	uint16_t c;

	assert_non_null(l4);
	wr16(l4, (uint16_t)nt_or(m->sport, NT_DEF_SPORT));
	wr16(l4 + 2, (uint16_t)nt_or(m->dport, NT_DEF_DPORT));
	wr16(l4 + 4, (uint16_t)nt_or(m->ulen, ulen));
	wr16(l4 + 6, 0);
	if (plen)
		memcpy(l4 + UDP_HLEN, m->payload, plen);
	c = csum_finish(csum_partial(l4, ulen, csum_pseudo_v6(src.a, dst.a, 17, ulen)));
	wr16(l4 + 6, (uint16_t)nt_or(m->csum, c ? c : 0xffff));
	n = build_around(IP6_PART(m), 17, l4, ulen, buf, cap);
	free(l4);
	return n;
}

void nt6_send_raw(struct nt *t, const struct nt6_raw *m)
{
	NT_SEND_BUILT(t, nt6_build_raw, m);
}

void nt6_send_icmp(struct nt *t, const struct nt6_icmp *m)
{
	NT_SEND_BUILT(t, nt6_build_icmp, m);
}

void nt6_send_udp(struct nt *t, const struct nt6_udp *m)
{
	NT_SEND_BUILT(t, nt6_build_udp, m);
}

/* ---------------------------------------------------------------- checkers */

/* Capture an IPv6 frame and walk it to its upper layer; check the IP fields @m sets. */
static struct nt6_frame *expect_ip(struct nt *t, const struct nt6_raw *m, const char *file,
                                   int line)
{
	struct nt6_frame *f = &rx6;
	struct nt_where w;
	uint32_t off, avail;
	uint8_t nh;

	memset(f, 0, offsetof(struct nt6_frame, b));
	nt_capture_at(t, "an IPv6 frame", f->b, sizeof(f->b), &f->len, &f->csum_partial, file,
	              line);
	w = NT_WHERE(file, line, f);
	if (!eth_parse(&f->eth, f->b, f->len) || f->eth.type != ETH_P_IPV6)
		nt_fail_at(file, line, "expected IPv6, got a %u-byte frame of ethertype 0x%04x",
		           f->len, f->len >= ETH_OFF ? rd16(f->b + 12) : 0);
	f->l3 = f->b + ETH_OFF;
	if (ipv6_parse(&f->ip, f->l3, f->len - ETH_OFF) != IPV6_OK)
		nt_fail_at(file, line, "IPv6 header invalid in a %u-byte frame", f->len);
	avail = IPV6_HLEN + f->ip.payload_len;
	nh = f->ip.next_header;
	off = IPV6_HLEN;
	while (ipv6_nh_is_ext(nh)) {
		uint32_t n = ipv6_ext_len(nh, f->l3 + off, avail - off);

		if (n == 0)
			nt_fail_at(file, line, "extension header %u runs past the packet", nh);
		if (nh == IPV6_NH_HOPOPTS) {
			struct ipv6_opt_iter it;
			struct ipv6_opt o;

			ipv6_opt_iter_init(&it, f->l3 + off, n);
			while (ipv6_opt_next(&it, &o) > 0)
				if (o.type == IPV6_OPT_ROUTER_ALERT)
					f->router_alert = true;
		}
		nh = f->l3[off];
		off += n;
	}
	f->upper = nh;
	f->ext_len = off - IPV6_HLEN;
	f->l4 = f->l3 + off;
	f->l4_len = avail - off;
	nt_check_mac(&w, "eth_src", &m->eth_src, &f->eth.src);
	nt_check_mac(&w, "eth_dst", &m->eth_dst, &f->eth.dst);
	nt_check_addr(&w, "src", &m->src, f->ip.src);
	nt_check_addr(&w, "dst", &m->dst, f->ip.dst);
	nt_check_int(&w, "version", m->version, ipv6_get_version(f->l3));
	nt_check_int(&w, "tclass", m->tclass, f->ip.tclass);
	nt_check_int(&w, "flow", m->flow, f->ip.flow);
	nt_check_int(&w, "plen", m->plen, f->ip.payload_len);
	nt_check_int(&w, "nh", m->nh, f->ip.next_header);
	nt_check_int(&w, "upper", m->upper, f->upper);
	nt_check_int(&w, "hop_limit", m->hop_limit, f->ip.hop_limit);
	nt_check_int(&w, "ext_len", m->ext ? m->ext_len : NT_ANY, f->ext_len);
	nt_check_int(&w, "frame_len", m->frame_len, f->len);
	return f;
}

const struct nt6_frame *nt6_expect_raw_at(struct nt *t, const struct nt6_raw *m, const char *file,
                                          int line)
{
	struct nt6_frame *f = expect_ip(t, m, file, line);
	struct nt_where w = NT_WHERE(file, line, f);

	nt_check_payload(&w, m->payload, m->len, f->l4, f->l4_len);
	return f;
}

const struct nt6_frame *nt6_expect_icmp_at(struct nt *t, const struct nt6_icmp *m, const char *file,
                                           int line)
{
	struct nt6_raw ip = IP6_PART(m);
	struct nt6_frame *f;
	struct nt_where w;
	char d[256];

	ip.upper = nt_or(ip.upper, 58);
	f = expect_ip(t, &ip, file, line);
	w = NT_WHERE(file, line, f);
	nt_describe(f->b, f->len, d, sizeof(d));
	if (!icmpv6_parse(&f->icmp, f->l4, f->l4_len))
		nt_fail_at(file, line, "ICMPv6 message short: %s", d);
	if (!icmpv6_csum_ok(f->l4, f->l4_len, csum_pseudo_v6(f->ip.src, f->ip.dst, 58, f->l4_len)))
		nt_fail_at(file, line, "ICMPv6 checksum wrong: %s", d);
	f->payload = f->l4 + ICMPV6_HLEN;
	f->payload_len = f->l4_len - ICMPV6_HLEN;
	NT_CHECK_ICMP(&w, m, f);
	return f;
}

const struct nt6_frame *nt6_expect_udp_at(struct nt *t, const struct nt6_udp *m, const char *file,
                                          int line)
{
	struct nt6_raw ip = IP6_PART(m);
	struct nt6_frame *f;
	struct nt_where w;
	char d[256];

	ip.upper = nt_or(ip.upper, 17);
	f = expect_ip(t, &ip, file, line);
	w = NT_WHERE(file, line, f);
	nt_describe(f->b, f->len, d, sizeof(d));
	if (!udp_parse(&f->udp, f->l4, f->l4_len))
		nt_fail_at(file, line, "UDP header short or length wrong: %s", d);
	if (!f->csum_partial &&
	    !udp_csum_ok(f->l4, f->udp.len, csum_pseudo_v6(f->ip.src, f->ip.dst, 17, f->udp.len),
	                 false))
		nt_fail_at(file, line, "UDP checksum wrong: %s", d);
	f->payload = f->l4 + UDP_HLEN;
	f->payload_len = f->udp.len - UDP_HLEN;
	NT_CHECK_UDP(&w, m, f);
	return f;
}

/* ---------------------------------------------------------------- ND and MLD */

uint32_t nt6_nd_target(uint8_t *buf, const struct ns_addr *target, uint8_t opt_type,
                       const struct ns_mac *lla, const uint8_t *nonce)
{
	uint32_t n = 16;

	memcpy(buf, target->a, 16);
	if (lla)
		n += ndp_opt_emit_lla(buf + n, opt_type, lla);
	if (nonce)
		n += ndp_opt_emit_nonce(buf + n, nonce);
	return n;
}

const struct nt6_frame *nt6_expect_nd_at(struct nt *t, uint8_t type, const struct nt6_icmp *m,
                                         struct ndp_repr *r, const char *file, int line)
{
	struct nt6_icmp mm = *m;
	const struct nt6_frame *f;

	mm.type = type;
	mm.code = 0;
	mm.hop_limit = 255;
	f = nt6_expect_icmp_at(t, &mm, file, line);
	if (!ndp_parse(r, f->l4, f->l4_len) || !ndp_opts_valid(r->opts, r->opts_len))
		nt_fail_at(file, line, "ND message of type %u malformed", type);
	return f;
}

bool nt6_nd_lla(const struct ndp_repr *r, uint8_t type, struct ns_mac *mac)
{
	struct ndp_opt_iter it;
	struct ndp_opt o;

	ndp_opt_iter_init(&it, r->opts, r->opts_len);
	while (ndp_opt_next(&it, &o) > 0)
		if (o.type == type && ndp_opt_lla(&o, mac))
			return true;
	return false;
}

const struct nt6_frame *nt6_expect_mld2_at(struct nt *t, struct mld2_record *recs, size_t max,
                                           size_t *n, const char *file, int line)
{
	const struct nt6_frame *f = nt6_expect_icmp_at(
	    t, NT6_ICMP(.type = ICMPV6_MLD2_REPORT, .dst = NT6_MLDV2_ROUTERS, .hop_limit = 1), file,
	    line);
	struct mld2_record_iter it;
	struct mld2_record r;
	int rc;

	if (!f->router_alert)
		nt_fail_at(file, line, "MLD report without a Router Alert option");
	if (!mld2_report_parse(&it, f->l4, f->l4_len))
		nt_fail_at(file, line, "MLDv2 report malformed");
	*n = 0;
	while ((rc = mld2_record_next(&it, &r)) > 0) {
		if (*n < max)
			recs[*n] = r;
		(*n)++;
	}
	if (rc < 0)
		nt_fail_at(file, line, "MLDv2 record malformed");
	return f;
}
