/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the packet-test harness (see harness.h for the API and the world it
 * builds).
 *
 * Builders write frames byte by byte with the wire helpers (wr16/wr32, the checksum
 * functions) rather than with the emitters under test where that matters: a template may
 * ask for any wrong value (a bad length, IHL or checksum) and the frame must carry exactly
 * that. Checkers parse with the wire parsers, which the wire tests cover, and insist on
 * correct checksums before comparing the fields a test set. Every failure names the test's
 * file and line and describes the frame, so a failing packet test reads like a trace.
 *
 * Teardown frees everything first and judges afterwards (unread frames, live endpoints,
 * leaked packets), so a failing test still leaves nothing behind for the next one.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness_priv.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv6.h"

#define ETH_OFF NT_ETH_OFF

/* ---------------------------------------------------------------- failure reports */

void nt_fail_at(const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error("%s:%d: %s\n", file, line, msg);
	_fail(file, line);
	abort(); /* _fail() does not return: it ends the test */
}

/* The IPv6 packet at ip[0..len): addresses, the upper layer past the extension headers. */
static void describe_ipv6(const uint8_t *ip, uint32_t len, char *out, size_t n)
{
	struct ipv6_repr r;
	char s[48], d[48];
	uint32_t off = IPV6_HLEN, avail;
	uint8_t nh;

	if (ipv6_parse(&r, ip, len) != IPV6_OK) {
		snprintf(out, n, "IPv6 packet with an invalid header (%u bytes)", len);
		return;
	}
	struct ns_addr a = ns_addr_v6_from_bytes(r.src), b = ns_addr_v6_from_bytes(r.dst);

	avail = IPV6_HLEN + r.payload_len;
	for (nh = r.next_header; ipv6_nh_is_ext(nh);) {
		uint32_t e = ipv6_ext_len(nh, ip + off, avail - off);

		if (e == 0)
			break;
		nh = ip[off];
		off += e;
	}
	int k =
	    snprintf(out, n, "IPv6 %s -> %s nh %u hop %u plen %u", ns_addr_format(&a, s, sizeof(s)),
	             ns_addr_format(&b, d, sizeof(d)), nh, r.hop_limit, r.payload_len);

	if (k < 0 || (size_t)k >= n)
		return;
	if (nh == NS_IPPROTO_ICMPV6 && avail >= off + 2)
		snprintf(out + k, n - (size_t)k, ", ICMPv6 type %u code %u", ip[off], ip[off + 1]);
	else if (nh == NS_IPPROTO_UDP && avail >= off + 4)
		snprintf(out + k, n - (size_t)k, ", UDP %u -> %u", rd16(ip + off),
		         rd16(ip + off + 2));
}

void nt_describe(const uint8_t *b, uint32_t len, char *out, size_t n)
{
	struct eth_repr e;
	const uint8_t *ip = b + ETH_OFF;
	uint32_t iplen = len > ETH_OFF ? len - ETH_OFF : 0;

	if (!eth_parse(&e, b, len)) {
		snprintf(out, n, "%u-byte runt", len);
		return;
	}
	if (e.type == ETH_P_ARP && iplen >= ARP_LEN) {
		snprintf(out, n, "ARP op %u %u.%u.%u.%u -> %u.%u.%u.%u (%u bytes)", rd16(ip + 6),
		         ip[14], ip[15], ip[16], ip[17], ip[24], ip[25], ip[26], ip[27], len);
		return;
	}
	if (e.type == ETH_P_IPV6) {
		describe_ipv6(ip, iplen, out, n);
		return;
	}
	if (e.type != ETH_P_IP || iplen < IPV4_MIN_HLEN) {
		snprintf(out, n, "ethertype 0x%04x (%u bytes)", e.type, len);
		return;
	}
	uint32_t hl = ipv4_get_hdr_len(ip);
	const uint8_t *l4 = ip + hl;
	int k = snprintf(out, n, "IPv4 %u.%u.%u.%u -> %u.%u.%u.%u proto %u ttl %u len %u", ip[12],
	                 ip[13], ip[14], ip[15], ip[16], ip[17], ip[18], ip[19], ip[9], ip[8],
	                 ipv4_get_total_len(ip));

	if (k < 0 || (size_t)k >= n || hl < IPV4_MIN_HLEN || iplen < hl + 8)
		return;
	if (ip[9] == IP_PROTO_ICMP)
		snprintf(out + k, n - (size_t)k, ", ICMP type %u code %u", l4[0], l4[1]);
	else if (ip[9] == IP_PROTO_UDP)
		snprintf(out + k, n - (size_t)k, ", UDP %u -> %u", rd16(l4), rd16(l4 + 2));
}

void nt_check_int(const struct nt_where *w, const char *field, int64_t want, int64_t got)
{
	char d[256];

	if (want == NT_ANY || want == got)
		return;
	nt_describe(w->b, w->len, d, sizeof(d));
	nt_fail_at(w->file, w->line, "%s: got %lld (0x%llx), want %lld (0x%llx) in %s", field,
	           (long long)got, (unsigned long long)got, (long long)want,
	           (unsigned long long)want, d);
}

void nt_check_mac(const struct nt_where *w, const char *field, const struct nt_mac *want,
                  const struct ns_mac *got)
{
	char wm[18], g[18], d[256];

	if (!want->set || ns_mac_eq(&want->m, got))
		return;
	nt_describe(w->b, w->len, d, sizeof(d));
	nt_fail_at(w->file, w->line, "%s: got %s, want %s in %s", field,
	           ns_mac_format(got, g, sizeof(g)), ns_mac_format(&want->m, wm, sizeof(wm)), d);
}

void nt_check_addr(const struct nt_where *w, const char *field, const struct ns_addr *want,
                   const uint8_t *got)
{
	char wa[48], g[48], d[256];
	struct ns_addr ga;

	if (want->family == NS_AF_UNSPEC)
		return;
	ga = want->family == NS_AF_INET6 ? ns_addr_v6_from_bytes(got) : ns_addr_v4_from_bytes(got);
	if (memcmp(want->a, got, ns_addr_len(&ga)) == 0)
		return;
	nt_describe(w->b, w->len, d, sizeof(d));
	nt_fail_at(w->file, w->line, "%s: got %s, want %s in %s", field,
	           ns_addr_format(&ga, g, sizeof(g)), ns_addr_format(want, wa, sizeof(wa)), d);
}

uint32_t nt_payload_len(const void *payload, int64_t len)
{
	if (len != NT_ANY)
		return (uint32_t)len;
	return payload ? (uint32_t)strlen(payload) : 0;
}

void nt_check_payload(const struct nt_where *w, const void *want, int64_t want_len,
                      const uint8_t *got, uint32_t got_len)
{
	char d[256];
	uint32_t n;

	if (!want && want_len == NT_ANY)
		return;
	n = nt_payload_len(want, want_len);
	nt_describe(w->b, w->len, d, sizeof(d));
	if (n != got_len)
		nt_fail_at(w->file, w->line, "payload length: got %u, want %u in %s", got_len, n,
		           d);
	if (!want)
		return;
	for (uint32_t i = 0; i < n; i++)
		if (((const uint8_t *)want)[i] != got[i])
			nt_fail_at(w->file, w->line,
			           "payload byte %u: got 0x%02x, want 0x%02x in %s", i, got[i],
			           ((const uint8_t *)want)[i], d);
}

/* ---------------------------------------------------------------- the probe transport */

static bool probe_parse_ports(const uint8_t *h, uint32_t len, uint16_t *sport, uint16_t *dport)
{
	if (len < 4)
		return false;
	*sport = rd16(h);
	*dport = rd16(h + 2);
	return true;
}

static const struct ns_transproto_ops probe_proto = {
    .name = "probe",
    .number = NT_PROBE_PROTO,
    .parse_ports = probe_parse_ports,
    .min_header_len = NT_PROBE_HLEN,
};

static struct nt_probe *probe_of(struct ns_tep *tep)
{
	return (struct nt_probe *)(void *)((char *)tep - offsetof(struct nt_probe, tep));
}

static void probe_deliver(struct ns_tep *tep, struct ns_pkt *pkt)
{
	probe_of(tep)->delivered++;
	ns_pkt_free(pkt);
}

static void probe_control(struct ns_tep *tep, enum ns_ctrl ctrl, uint32_t info, struct ns_pkt *pkt)
{
	struct nt_probe *p = probe_of(tep);
	const uint8_t *q = ns_pkt_peek(pkt, 0, sizeof(p->quote));

	p->controls++;
	p->ctrl = ctrl;
	p->info = info;
	if (q)
		memcpy(p->quote, q, sizeof(p->quote));
}

static const struct ns_tep_ops probe_tep_ops = {
    .deliver = probe_deliver,
    .control = probe_control,
};

void nt_probe_open(struct nt *t, struct nt_probe *p, uint16_t lport, struct ns_addr remote,
                   uint16_t rport)
{
	memset(p, 0, sizeof(*p));
	p->tep.ops = &probe_tep_ops;
	p->tep.id.local = NT_ADDR_US;
	p->tep.id.remote = remote;
	p->tep.id.lport = lport;
	p->tep.id.rport = rport;
	p->tep.transproto = NT_PROBE_PROTO;
	p->tep.family = NS_AF_INET;
	assert_int_equal(ns_demux_register(t->s, &p->tep), NS_OK);
}

void nt_probe_close(struct nt *t, struct nt_probe *p)
{
	ns_demux_unregister(t->s, &p->tep);
}

ns_err nt_probe_send(struct nt *t, struct nt_probe *p, uint32_t len,
                     const struct ns_write_params *wp)
{
	struct ns_pkt *pkt = ns_pkt_alloc(NS_PKT_HEADROOM + NT_PROBE_HLEN, len);
	struct ns_route r;
	uint8_t *h;
	ns_err err;

	assert_non_null(pkt);
	for (uint32_t i = 0; i < len; i++)
		ns_pkt_data(pkt)[i] = (uint8_t)i;
	h = ns_pkt_push(pkt, NS_HDR_TRANSPORT, NT_PROBE_HLEN);
	wr16(h, p->tep.id.lport);
	wr16(h + 2, p->tep.id.rport);
	wr16(h + 4, (uint16_t)(NT_PROBE_HLEN + len));
	wr16(h + 6, 0);
	pkt->transproto = NT_PROBE_PROTO;
	err = ns_route_find(t->s, 0, &p->tep.id.local, &p->tep.id.remote, &r);
	if (err != NS_OK) {
		ns_pkt_free(pkt);
		return err;
	}
	return ns_netproto_write(t->s, &r, pkt, wp);
}

/* ---------------------------------------------------------------- setup and teardown */

void nt_setup(struct nt *t, const struct nt_opts *opts)
{
	struct ns_stack_config cfg;
	struct ns_channel_config cc = {0};

	memset(t, 0, sizeof(*t));
	if (opts)
		t->opts = *opts;
	ns_vclock_init(&t->clock, NT_T0);
	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	cfg.clock = &t->clock.base;
	cfg.seed = NT_SEED;
	cfg.forwarding = t->opts.forwarding;
	if (t->opts.icmp_rate)
		cfg.icmp_rate = t->opts.icmp_rate;
	if (t->opts.icmp_burst)
		cfg.icmp_burst = t->opts.icmp_burst;
	if (t->opts.probe) {
		int i = 0;

		while (i < NS_MAX_PROTOCOLS - 1 && cfg.transprotos[i])
			i++;
		cfg.transprotos[i] = &probe_proto;
	}
	if (t->opts.config)
		t->opts.config(&cfg);
	assert_int_equal(ns_stack_new(&cfg, &t->s), NS_OK);

	cc.mtu = t->opts.mtu ? t->opts.mtu : 1500;
	cc.header = NS_LINK_HDR_ETHERNET;
	cc.mac = NT_MAC_US.m;
	cc.caps = NS_CAP_RESOLUTION_REQUIRED | t->opts.caps;
	t->link = ns_channel_new(&cc);
	assert_non_null(t->link);
	assert_int_equal(ns_stack_add_nic(t->s, NT_NIC, t->link, "nt0"), NS_OK);

	if (!t->opts.no_address) {
		struct ns_subnet a = {.addr = NT_ADDR_US, .prefix = 24};
		struct ns_route_entry r = {.dest = {.addr = NT_ADDR_ZERO, .prefix = 0},
		                           .gateway = NT_ADDR_PEER,
		                           .nic = NT_NIC};

		assert_int_equal(ns_stack_add_address(t->s, NT_NIC, &a), NS_OK);
		assert_int_equal(ns_stack_add_route(t->s, &r), NS_OK);
	}
	if (!t->opts.no_neighbor) {
		struct ns_addr peer = NT_ADDR_PEER;

		assert_int_equal(ns_stack_add_static_neighbor(t->s, NT_NIC, &peer, &NT_MAC_PEER.m),
		                 NS_OK);
	}
	nt_discard(t); /* the gratuitous ARP for the address */
	t->pkts_live0 = ns_pkt_live();
	t->stats0 = *ns_stack_stats(t->s);
}

struct ns_link *nt_add_small_nic(struct nt *t)
{
	struct ns_channel_config cc = {.mtu = 576,
	                               .header = NS_LINK_HDR_ETHERNET,
	                               .mac = {{2, 0, 0, 0, 1, 2}},
	                               .caps = NS_CAP_RESOLUTION_REQUIRED};
	struct ns_link *l = ns_channel_new(&cc);
	struct ns_subnet a = {.addr = NT_V4(198, 51, 100, 1), .prefix = 24};
	struct ns_addr remote = NT_ADDR_REMOTE;
	struct ns_mac mac = {{2, 0, 0, 0, 1, 9}};

	assert_non_null(l);
	assert_int_equal(ns_stack_add_nic(t->s, 2, l, "small"), NS_OK);
	assert_int_equal(ns_stack_add_address(t->s, 2, &a), NS_OK);
	assert_int_equal(ns_stack_add_static_neighbor(t->s, 2, &remote, &mac), NS_OK);
	while (ns_channel_pending(l))
		ns_pkt_free(ns_channel_read(l));
	return l;
}

void nt_remove_small_nic(struct nt *t, struct ns_link *l)
{
	assert_int_equal(ns_stack_remove_nic(t->s, 2), NS_OK);
	ns_link_destroy(l);
}

/* Free everything, then say what was wrong (false and a message) or nothing (true). */
static bool nt_teardown_judge(struct nt *t, char *msg, size_t n)
{
	uint32_t unread = nt_pending(t);
	int64_t eps = ns_stack_endpoints_live(t->s);
	char d[256] = "";
	struct ns_pkt *p;
	int64_t leaked;

	if (unread && (p = ns_channel_read(t->link)) != NULL) {
		nt_describe(ns_pkt_data(p), p->len, d, sizeof(d));
		ns_pkt_free(p);
	}
	nt_discard(t);
	ns_stack_free(t->s);
	ns_link_destroy(t->link);
	t->s = NULL;
	t->link = NULL;
	leaked = ns_pkt_live() - t->pkts_live0;
	if (unread && !t->opts.allow_unread) {
		snprintf(msg, n, "%u unread frame(s) at teardown, the first: %s", unread, d);
		return false;
	}
	if (eps != 0) {
		snprintf(msg, n, "%lld endpoint(s) still live at teardown", (long long)eps);
		return false;
	}
	if (leaked != 0) {
		snprintf(msg, n, "%lld packet(s) leaked", (long long)leaked);
		return false;
	}
	return true;
}

void nt_teardown(struct nt *t)
{
	char msg[512];

	if (!nt_teardown_judge(t, msg, sizeof(msg)))
		fail_msg("%s", msg);
}

struct nt *nt_cm_new(void **state)
{
	struct nt *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	*state = t;
	return t;
}

int nt_cm_setup_opts(void **state, const struct nt_opts *opts)
{
	nt_setup(nt_cm_new(state), opts);
	return 0;
}

int nt_cm_setup(void **state)
{
	return nt_cm_setup_opts(state, NULL);
}

int nt_cm_teardown(void **state)
{
	struct nt *t = *state;
	char msg[512];
	bool ok;

	if (!t)
		return 0;
	*state = NULL;
	ok = !t->s || nt_teardown_judge(t, msg, sizeof(msg));
	free(t);
	if (!ok)
		fail_msg("%s", msg);
	return 0;
}

/* ---------------------------------------------------------------- time and counters */

uint64_t nt_now(const struct nt *t)
{
	return t->clock.now;
}

void nt_advance(struct nt *t, uint64_t ns)
{
	const uint64_t end = t->clock.now + ns;

	for (int guard = 0;; guard++) {
		uint64_t d = ns_stack_next_deadline(t->s);

		if (d > end)
			break;
		/* A timer that keeps re-arming itself in the past would spin forever. */
		if (guard > 1000000)
			fail_msg("timers never settle at %llu ns", (unsigned long long)d);
		if (d > t->clock.now)
			t->clock.now = d;
		ns_stack_poll(t->s);
	}
	t->clock.now = end;
	ns_stack_poll(t->s);
}

uint64_t nt_stat(const struct nt *t, enum ns_stat st)
{
	return ns_stack_stats(t->s)->stat[st] - t->stats0.stat[st];
}

uint64_t nt_drops(const struct nt *t, enum ns_drop_reason why)
{
	return ns_stack_stats(t->s)->drop[why] - t->stats0.drop[why];
}

/* ---------------------------------------------------------------- builders */

/* The IPv4 part of any IP template, as a raw-datagram template. */
#define IP_PART(m)                                         \
	((struct nt_ipv4){.eth_src = (m)->eth_src,         \
	                  .eth_dst = (m)->eth_dst,         \
	                  .src = (m)->src,                 \
	                  .dst = (m)->dst,                 \
	                  .version = (m)->version,         \
	                  .ihl = (m)->ihl,                 \
	                  .tos = (m)->tos,                 \
	                  .ip_len = (m)->ip_len,           \
	                  .ip_id = (m)->ip_id,             \
	                  .df = (m)->df,                   \
	                  .mf = (m)->mf,                   \
	                  .frag_off = (m)->frag_off,       \
	                  .ttl = (m)->ttl,                 \
	                  .ip_proto = (m)->ip_proto,       \
	                  .ip_csum = (m)->ip_csum,         \
	                  .ip_opts = (m)->ip_opts,         \
	                  .ip_opts_len = (m)->ip_opts_len, \
	                  .frame_len = (m)->frame_len,     \
	                  .pad = (m)->pad,                 \
	                  .len = NT_ANY})

uint32_t nt_frame_layout(uint8_t *buf, uint32_t cap, uint32_t natural, int64_t frame_len,
                         int64_t pad)
{
	uint32_t flen =
	    frame_len != NT_ANY ? (uint32_t)frame_len : (natural < ETH_ZLEN ? ETH_ZLEN : natural);
	uint32_t span = flen > natural ? flen : natural;

	if (span > cap)
		return 0;
	memset(buf, (int)nt_or(pad, 0), span);
	return flen;
}

void nt_eth_put(uint8_t *buf, struct ns_mac dst, struct ns_mac src, uint16_t type)
{
	struct eth_repr e = {.dst = dst, .src = src, .type = type};

	eth_emit(&e, buf);
}

uint32_t nt_build_ipv4(const struct nt_ipv4 *m, uint8_t *buf, uint32_t cap)
{
	uint32_t optlen = m->ip_opts ? (uint32_t)nt_or(m->ip_opts_len, 0) : 0;
	uint32_t hl = IPV4_MIN_HLEN + optlen;
	uint32_t plen = nt_payload_len(m->payload, m->len);
	uint32_t iplen = hl + plen;
	uint32_t flen = nt_frame_layout(buf, cap, ETH_OFF + iplen, m->frame_len, m->pad);
	struct ns_addr src = nt_addr_or(m->src, NT_ADDR_PEER), dst = nt_addr_or(m->dst, NT_ADDR_US);
	uint8_t *ip = buf + ETH_OFF;
	uint32_t claimed;
	uint16_t frag;

	if (!flen)
		return 0;
	nt_eth_put(buf, nt_mac_or(m->eth_dst, NT_MAC_US), nt_mac_or(m->eth_src, NT_MAC_PEER),
	           ETH_P_IP);
	ip[0] = (uint8_t)(nt_or(m->version, 4) << 4 | (nt_or(m->ihl, hl / 4) & 0x0f));
	ip[1] = (uint8_t)nt_or(m->tos, 0);
	wr16(ip + 2, (uint16_t)nt_or(m->ip_len, iplen));
	wr16(ip + 4, (uint16_t)nt_or(m->ip_id, NT_DEF_IP_ID));
	frag = (uint16_t)((nt_or(m->frag_off, 0) / 8) & IPV4_FRAG_MASK);
	if (nt_or(m->df, 0))
		frag |= IPV4_FLAG_DF;
	if (nt_or(m->mf, 0))
		frag |= IPV4_FLAG_MF;
	wr16(ip + 6, frag);
	ip[8] = (uint8_t)nt_or(m->ttl, NT_DEF_TTL);
	ip[9] = (uint8_t)nt_or(m->ip_proto, NT_DEF_PROTO);
	wr16(ip + 10, 0);
	memcpy(ip + 12, src.a, 4);
	memcpy(ip + 16, dst.a, 4);
	if (optlen)
		memcpy(ip + IPV4_MIN_HLEN, m->ip_opts, optlen);
	if (plen)
		memcpy(ip + hl, m->payload, plen);
	/* Checksum what the receiver will: the header its IHL claims, if it is there. */
	claimed = (ip[0] & 0x0fu) * 4;
	if (claimed < IPV4_MIN_HLEN || claimed > iplen)
		claimed = hl;
	wr16(ip + 10, (uint16_t)nt_or(m->ip_csum, csum_finish(csum_partial(ip, claimed, 0))));
	return flen;
}

/* Send @l4 as the payload of the IP part of template @m, protocol @proto by default. */
static uint32_t build_ip_around(struct nt_ipv4 ip, uint8_t proto, const uint8_t *l4,
                                uint32_t l4_len, uint8_t *buf, uint32_t cap)
{
	ip.ip_proto = nt_or(ip.ip_proto, proto);
	ip.payload = l4;
	ip.len = l4_len;
	return nt_build_ipv4(&ip, buf, cap);
}

uint32_t nt_build_icmp(const struct nt_icmp *m, uint8_t *buf, uint32_t cap)
{
	uint32_t plen = nt_payload_len(m->payload, m->len), n;
	uint8_t *l4 = malloc(ICMPV4_HLEN + plen);
	uint8_t type = (uint8_t)nt_or(m->type, ICMPV4_ECHO_REQUEST);

	assert_non_null(l4);
	memset(l4, 0, ICMPV4_HLEN);
	l4[0] = type;
	l4[1] = (uint8_t)nt_or(m->code, 0);
	if (type == ICMPV4_ECHO_REQUEST || type == ICMPV4_ECHO_REPLY || m->id != NT_ANY ||
	    m->seq != NT_ANY) {
		wr16(l4 + 4, (uint16_t)nt_or(m->id, NT_DEF_ECHO_ID));
		wr16(l4 + 6, (uint16_t)nt_or(m->seq, NT_DEF_ECHO_SEQ));
	}
	if (m->mtu != NT_ANY)
		wr16(l4 + 6, (uint16_t)m->mtu);
	if (m->rest != NT_ANY)
		wr32(l4 + 4, (uint32_t)m->rest);
	if (plen)
		memcpy(l4 + ICMPV4_HLEN, m->payload, plen);
	wr16(l4 + 2,
	     (uint16_t)nt_or(m->csum, csum_finish(csum_partial(l4, ICMPV4_HLEN + plen, 0))));
	n = build_ip_around(IP_PART(m), IP_PROTO_ICMP, l4, ICMPV4_HLEN + plen, buf, cap);
	free(l4);
	return n;
}

uint32_t nt_build_udp(const struct nt_udp *m, uint8_t *buf, uint32_t cap)
{
	uint32_t plen = nt_payload_len(m->payload, m->len), n, ulen = UDP_HLEN + plen;
	uint8_t *l4 = malloc(ulen);
	struct ns_addr src = nt_addr_or(m->src, NT_ADDR_PEER), dst = nt_addr_or(m->dst, NT_ADDR_US);
	uint16_t csum;

	assert_non_null(l4);
	wr16(l4, (uint16_t)nt_or(m->sport, NT_DEF_SPORT));
	wr16(l4 + 2, (uint16_t)nt_or(m->dport, NT_DEF_DPORT));
	wr16(l4 + 4, (uint16_t)nt_or(m->ulen, ulen));
	wr16(l4 + 6, 0);
	if (plen)
		memcpy(l4 + UDP_HLEN, m->payload, plen);
	/* RFC 768: pseudo-header, header and data; a computed 0 is sent as all ones. */
	csum =
	    csum_finish(csum_partial(l4, ulen, csum_pseudo_v4(src.a, dst.a, IP_PROTO_UDP, ulen)));
	wr16(l4 + 6, (uint16_t)nt_or(m->csum, csum ? csum : 0xffff));
	n = build_ip_around(IP_PART(m), IP_PROTO_UDP, l4, ulen, buf, cap);
	free(l4);
	return n;
}

uint32_t nt_build_arp(const struct nt_arp *m, uint8_t *buf, uint32_t cap)
{
	uint16_t op = (uint16_t)nt_or(m->op, ARP_OP_REQUEST);
	bool req = op == ARP_OP_REQUEST;
	uint32_t flen = nt_frame_layout(buf, cap, ETH_OFF + ARP_LEN, m->frame_len, m->pad);
	struct arp_repr a = {.op = op,
	                     .sha = nt_mac_or(m->sha, NT_MAC_PEER),
	                     .tha = nt_mac_or(m->tha, req ? NT_MAC_ZERO : NT_MAC_US)};
	struct ns_addr spa = nt_addr_or(m->spa, NT_ADDR_PEER), tpa = nt_addr_or(m->tpa, NT_ADDR_US);

	if (!flen)
		return 0;
	memcpy(a.spa, spa.a, 4);
	memcpy(a.tpa, tpa.a, 4);
	nt_eth_put(buf, nt_mac_or(m->eth_dst, req ? NT_MAC_BCAST : NT_MAC_US),
	           nt_mac_or(m->eth_src, NT_MAC_PEER), ETH_P_ARP);
	arp_emit(&a, buf + ETH_OFF);
	return flen;
}

/* ---------------------------------------------------------------- sending */

void nt_send_built(struct nt *t, uint8_t *buf, uint32_t len)
{
	assert_true(len > 0);
	nt_send_frame(t, buf, len);
	free(buf);
}

void nt_send_frame(struct nt *t, const void *frame, uint32_t len)
{
	ns_channel_inject_bytes(t->link, frame, len);
}

void nt_send_ipv4(struct nt *t, const struct nt_ipv4 *m)
{
	NT_SEND_BUILT(t, nt_build_ipv4, m);
}

void nt_send_icmp(struct nt *t, const struct nt_icmp *m)
{
	NT_SEND_BUILT(t, nt_build_icmp, m);
}

void nt_send_icmp_echo(struct nt *t, const struct nt_icmp *m)
{
	struct nt_icmp e = *m;

	e.type = ICMPV4_ECHO_REQUEST;
	nt_send_icmp(t, &e);
}

void nt_send_udp(struct nt *t, const struct nt_udp *m)
{
	NT_SEND_BUILT(t, nt_build_udp, m);
}

void nt_send_arp(struct nt *t, const struct nt_arp *m)
{
	NT_SEND_BUILT(t, nt_build_arp, m);
}

/* ---------------------------------------------------------------- checkers */

uint32_t nt_pending(const struct nt *t)
{
	return ns_channel_pending(t->link);
}

uint32_t nt_discard(struct nt *t)
{
	uint32_t n = 0;
	struct ns_pkt *p;

	while ((p = ns_channel_read(t->link)) != NULL) {
		ns_pkt_free(p);
		n++;
	}
	return n;
}

void nt_capture_at(struct nt *t, const char *what, uint8_t *b, uint32_t cap, uint32_t *len,
                   bool *csum_partial, const char *file, int line)
{
	struct ns_pkt *p = ns_channel_read(t->link);

	if (!p)
		nt_fail_at(file, line, "expected %s, the stack sent nothing", what);
	if (p->len > cap) {
		uint32_t n = p->len;

		ns_pkt_free(p);
		nt_fail_at(file, line, "frame of %u bytes is larger than the harness takes", n);
	}
	*len = p->len;
	memcpy(b, ns_pkt_data(p), p->len);
	*csum_partial = (p->flags & NS_PKT_CSUM_PARTIAL) != 0;
	ns_pkt_free(p);
}

const struct nt_frame *nt_expect_frame_at(struct nt *t, const char *file, int line)
{
	struct nt_frame *f = &t->rx;

	memset(f, 0, offsetof(struct nt_frame, b));
	nt_capture_at(t, "a frame", f->b, sizeof(f->b), &f->len, &f->csum_partial, file, line);
	if (!eth_parse(&f->eth, f->b, f->len))
		nt_fail_at(file, line, "frame of %u bytes has no Ethernet header", f->len);
	f->l3 = f->b + ETH_OFF;
	f->l3_len = f->len - ETH_OFF;
	return f;
}

void nt_expect_nothing_at(struct nt *t, const char *file, int line)
{
	struct ns_pkt *p = ns_channel_read(t->link);
	char d[256];

	if (!p)
		return;
	nt_describe(ns_pkt_data(p), p->len, d, sizeof(d));
	ns_pkt_free(p);
	nt_fail_at(file, line, "expected no frame, the stack sent %s", d);
}

/* Capture an IPv4 frame, check its header checksum and the IP fields @m sets. */
static struct nt_frame *expect_ip(struct nt *t, const struct nt_ipv4 *m, const char *file, int line)
{
	struct nt_frame *f = (struct nt_frame *)nt_expect_frame_at(t, file, line);
	struct nt_where w = NT_WHERE(file, line, f);
	enum ipv4_err e;
	char d[256];

	nt_describe(f->b, f->len, d, sizeof(d));
	if (f->eth.type != ETH_P_IP)
		nt_fail_at(file, line, "expected IPv4, got %s", d);
	e = ipv4_parse(&f->ip, f->l3, f->l3_len, true);
	if (e != IPV4_OK)
		nt_fail_at(file, line, "IPv4 header invalid (%s): %s", ipv4_strerror(e), d);
	f->l3_len = f->ip.total_len;
	f->l4 = f->l3 + f->ip.hdr_len;
	f->l4_len = f->ip.total_len - f->ip.hdr_len;
	nt_check_mac(&w, "eth_src", &m->eth_src, &f->eth.src);
	nt_check_mac(&w, "eth_dst", &m->eth_dst, &f->eth.dst);
	nt_check_addr(&w, "src", &m->src, f->ip.src);
	nt_check_addr(&w, "dst", &m->dst, f->ip.dst);
	nt_check_int(&w, "version", m->version, ipv4_get_version(f->l3));
	nt_check_int(&w, "ihl", m->ihl, f->ip.hdr_len / 4);
	nt_check_int(&w, "tos", m->tos, f->ip.tos);
	nt_check_int(&w, "ip_len", m->ip_len, f->ip.total_len);
	nt_check_int(&w, "ip_id", m->ip_id, f->ip.id);
	nt_check_int(&w, "df", m->df, f->ip.df);
	nt_check_int(&w, "mf", m->mf, f->ip.mf);
	nt_check_int(&w, "frag_off", m->frag_off, f->ip.frag_off);
	nt_check_int(&w, "ttl", m->ttl, f->ip.ttl);
	nt_check_int(&w, "ip_proto", m->ip_proto, f->ip.proto);
	nt_check_int(&w, "ip_csum", m->ip_csum, f->ip.csum);
	nt_check_int(&w, "frame_len", m->frame_len, f->len);
	return f;
}

const struct nt_frame *nt_expect_ipv4_at(struct nt *t, const struct nt_ipv4 *m, const char *file,
                                         int line)
{
	struct nt_frame *f = expect_ip(t, m, file, line);
	struct nt_where w = NT_WHERE(file, line, f);

	nt_check_payload(&w, m->payload, m->len, f->l4, f->l4_len);
	return f;
}

const struct nt_frame *nt_expect_icmp_at(struct nt *t, const struct nt_icmp *m, const char *file,
                                         int line)
{
	struct nt_ipv4 ip = IP_PART(m);
	struct nt_frame *f;
	struct nt_where w;
	char d[256];

	ip.ip_proto = nt_or(ip.ip_proto, IP_PROTO_ICMP);
	f = expect_ip(t, &ip, file, line);
	w = NT_WHERE(file, line, f);
	nt_describe(f->b, f->len, d, sizeof(d));
	if (!icmpv4_parse(&f->icmp, f->l4, f->l4_len, true))
		nt_fail_at(file, line, "ICMP message short or checksum wrong: %s", d);
	f->payload = f->l4 + ICMPV4_HLEN;
	f->payload_len = f->l4_len - ICMPV4_HLEN;
	nt_check_int(&w, "mtu", m->mtu, f->icmp.mtu);
	NT_CHECK_ICMP(&w, m, f);
	return f;
}

const struct nt_frame *nt_expect_udp_at(struct nt *t, const struct nt_udp *m, const char *file,
                                        int line)
{
	struct nt_ipv4 ip = IP_PART(m);
	struct nt_frame *f;
	struct nt_where w;
	char d[256];

	ip.ip_proto = nt_or(ip.ip_proto, IP_PROTO_UDP);
	f = expect_ip(t, &ip, file, line);
	w = NT_WHERE(file, line, f);
	nt_describe(f->b, f->len, d, sizeof(d));
	if (!udp_parse(&f->udp, f->l4, f->l4_len))
		nt_fail_at(file, line, "UDP header short or length wrong: %s", d);
	if (!f->csum_partial &&
	    !udp_csum_ok(f->l4, f->udp.len,
	                 csum_pseudo_v4(f->ip.src, f->ip.dst, IP_PROTO_UDP, f->udp.len), true))
		nt_fail_at(file, line, "UDP checksum wrong: %s", d);
	f->payload = f->l4 + UDP_HLEN;
	f->payload_len = f->udp.len - UDP_HLEN;
	NT_CHECK_UDP(&w, m, f);
	return f;
}

const struct nt_frame *nt_expect_arp_at(struct nt *t, const struct nt_arp *m, const char *file,
                                        int line)
{
	struct nt_frame *f = (struct nt_frame *)nt_expect_frame_at(t, file, line);
	struct nt_where w = NT_WHERE(file, line, f);
	struct ns_mac sha, tha;
	char d[256];

	nt_describe(f->b, f->len, d, sizeof(d));
	if (f->eth.type != ETH_P_ARP || !arp_parse(&f->arp, f->l3, f->l3_len))
		nt_fail_at(file, line, "expected an Ethernet/IPv4 ARP packet, got %s", d);
	sha = f->arp.sha;
	tha = f->arp.tha;
	nt_check_mac(&w, "eth_src", &m->eth_src, &f->eth.src);
	nt_check_mac(&w, "eth_dst", &m->eth_dst, &f->eth.dst);
	nt_check_int(&w, "op", m->op, f->arp.op);
	nt_check_mac(&w, "sha", &m->sha, &sha);
	nt_check_mac(&w, "tha", &m->tha, &tha);
	nt_check_addr(&w, "spa", &m->spa, f->arp.spa);
	nt_check_addr(&w, "tpa", &m->tpa, f->arp.tpa);
	nt_check_int(&w, "frame_len", m->frame_len, f->len);
	return f;
}
