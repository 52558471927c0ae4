/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: TCP packet-test helpers (see tcp_test.h).
 *
 * Segments are built with the wire emitter (tests/wire covers it byte for byte) and sent
 * as the payload of a harness IPv4 frame, so every IPv4 and Ethernet knob of the harness
 * templates works for TCP too. Checking captures the next frame through the harness's IPv4
 * checker (which verifies the IPv4 header checksum), then verifies the TCP checksum over
 * the pseudo-header and parses with tcp_parse(). Failures name the test's file and line and
 * print the segment in tcpdump's terms.
 */
#include "tcp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/bytes.h"
#include "wire/checksum.h"

static void tt_fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

static void tt_fail_at(const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error("%s:%d: %s\n", file, line, msg);
	_fail(file, line);
	abort();
}

/* "[S.] seq 1 ack 2 win 3 len 4" */
static void tt_describe(const struct tcp_repr *h, uint32_t len, char *out, size_t n)
{
	static const char names[] = "FSRPAUEC";
	char fl[9];
	int k = 0;

	for (int i = 0; i < 8; i++)
		if (h->flags & (1u << i))
			fl[k++] = names[i];
	fl[k] = 0;
	snprintf(out, n, "[%s] %u -> %u seq %u ack %u win %u len %u%s", fl, h->src_port,
	         h->dst_port, h->seq, h->ack, h->window, len, h->has_ts ? " TS" : "");
}

static int64_t or_def(int64_t v, int64_t def)
{
	return v == NT_ANY ? def : v;
}

static struct nt_ipv4 tt_ip_of(const struct tt_seg *m)
{
	struct nt_ipv4 ip = *NT_IPV4();

	ip.eth_src = m->eth_src;
	ip.eth_dst = m->eth_dst;
	ip.src = m->src;
	ip.dst = m->dst;
	ip.version = m->version;
	ip.ihl = m->ihl;
	ip.tos = m->tos;
	ip.ip_len = m->ip_len;
	ip.ip_id = m->ip_id;
	ip.df = m->df;
	ip.mf = m->mf;
	ip.frag_off = m->frag_off;
	ip.ttl = m->ttl;
	ip.ip_proto = or_def(m->ip_proto, NS_IPPROTO_TCP);
	ip.ip_csum = m->ip_csum;
	ip.ip_opts = m->ip_opts;
	ip.ip_opts_len = m->ip_opts_len;
	ip.frame_len = m->frame_len;
	ip.pad = m->pad;
	return ip;
}

/* ---------------------------------------------------------------- setup */

static void tt_add_tcp(struct ns_stack_config *cfg)
{
	int i = 0;

	while (i < NS_MAX_PROTOCOLS - 1 && cfg->transprotos[i] &&
	       cfg->transprotos[i] != &ns_proto_tcp)
		i++;
	cfg->transprotos[i] = &ns_proto_tcp;
}

static void tt_on_l(struct ns_waiter_entry *e, uint32_t ev)
{
	((struct tt *)e->ctx)->lev |= ev;
}

static void tt_on_c(struct ns_waiter_entry *e, uint32_t ev)
{
	((struct tt *)e->ctx)->cev |= ev;
}

void tt_setup(struct tt *t, void (*tune)(struct tcp_config *c))
{
	tt_setup_caps(t, tune, 0);
}

void tt_setup_caps(struct tt *t, void (*tune)(struct tcp_config *c), uint32_t caps)
{
	memset(t, 0, sizeof(*t));
	nt_setup(&t->nt, NT_OPTS(.config = tt_add_tcp, .caps = caps));
	assert_non_null(tcp_config(t->nt.s));
	if (tune)
		tune(tcp_config(t->nt.s));
	t->port = TT_PORT;
	t->pseq = TT_PEER_ISS;
	ns_waiter_queue_init(&t->lwq);
	ns_waiter_queue_init(&t->cwq);
	ns_waiter_entry_init(&t->lwe, tt_on_l, t);
	ns_waiter_entry_init(&t->cwe, tt_on_c, t);
	ns_waiter_register(&t->lwq, &t->lwe, ~0u);
	ns_waiter_register(&t->cwq, &t->cwe, ~0u);
}

void tt_finish(struct tt *t)
{
	if (t->c)
		ns_ep_close(t->c);
	if (t->l)
		ns_ep_close(t->l);
	t->c = t->l = NULL;
	/* Long enough for any FIN retransmission series, TIME_WAIT and orphan timeouts. */
	nt_advance(&t->nt, 4 * 3600 * NS_SEC);
	nt_discard(&t->nt);
	nt_teardown(&t->nt);
}

int tt_cm_setup(void **state)
{
	struct tt *t = malloc(sizeof(*t));

	assert_non_null(t);
	tt_setup(t, NULL);
	*state = t;
	return 0;
}

int tt_cm_teardown(void **state)
{
	struct tt *t = *state;

	*state = NULL;
	if (t && t->nt.s)
		tt_finish(t);
	free(t);
	return 0;
}

/* ---------------------------------------------------------------- sending */

static uint32_t tt_payload_len(const struct tt_seg *m)
{
	if (m->len != NT_ANY)
		return (uint32_t)m->len;
	return m->payload ? (uint32_t)strlen(m->payload) : 0;
}

void tt_send(struct tt *t, const struct tt_seg *m)
{
	static uint8_t buf[NT_FRAME_MAX];
	struct tcp_repr h;
	struct nt_ipv4 ip = tt_ip_of(m);
	struct ns_addr src = m->src.family ? m->src : NT_ADDR_PEER;
	struct ns_addr dst = m->dst.family ? m->dst : NT_ADDR_US;
	uint32_t plen = tt_payload_len(m), hl, n;

	memset(&h, 0, sizeof(h));
	h.src_port = (uint16_t)or_def(m->sport, TT_PEER_PORT);
	h.dst_port = (uint16_t)or_def(m->dport, t->port);
	h.seq = (uint32_t)or_def(m->seq, t->pseq);
	h.ack = (uint32_t)or_def(m->ack, t->rnxt);
	h.flags = (uint8_t)or_def(m->flags, TCP_ACK);
	h.window = (uint16_t)or_def(m->window, 65535);
	h.urg = (uint16_t)or_def(m->urg, 0);
	h.mss = (uint16_t)or_def(m->mss, 0);
	h.wscale = (int8_t)or_def(m->wscale, -1);
	h.sack_permitted = or_def(m->sack_perm, 0) != 0;
	h.has_ts = or_def(m->ts, 0) != 0;
	h.tsval = (uint32_t)or_def(m->tsval, 0);
	h.tsecr = (uint32_t)or_def(m->tsecr, 0);
	h.nsack = (uint8_t)or_def(m->nsack, 0);
	for (unsigned i = 0; i < h.nsack && i < TCP_MAX_SACK; i++) {
		h.sack[i].left = m->sack[2 * i];
		h.sack[i].right = m->sack[2 * i + 1];
	}
	hl = (uint32_t)tcp_repr_hdr_len(&h);
	assert_true(hl + plen <= sizeof(buf));
	tcp_emit(&h, buf);
	for (uint32_t i = 0; i < plen; i++)
		buf[hl + i] = m->payload ? ((const uint8_t *)m->payload)[i] : (uint8_t)(i * 7);
	n = hl + plen;
	if (m->csum == NT_ANY)
		tcp_set_csum(buf, n, csum_pseudo_v4(src.a, dst.a, NS_IPPROTO_TCP, n));
	else
		wr16(buf + 16, (uint16_t)m->csum);
	ip.payload = buf;
	ip.len = n;
	nt_send_ipv4(&t->nt, &ip);
	if (m->seq == NT_ANY)
		t->pseq += plen + !!(h.flags & TCP_SYN) + !!(h.flags & TCP_FIN);
}

/* ---------------------------------------------------------------- checking */

static void tt_check(const char *file, int line, const struct tt_rx *rx, const char *field,
                     int64_t want, int64_t got)
{
	char d[160];

	if (want == NT_ANY || want == got)
		return;
	tt_describe(&rx->h, rx->len, d, sizeof(d));
	tt_fail_at(file, line, "TCP %s: got %lld, want %lld in %s", field, (long long)got,
	           (long long)want, d);
}

static void tt_check_payload(const char *file, int line, const struct tt_rx *rx,
                             const struct tt_seg *m)
{
	uint32_t n;

	if (!m->payload && m->len == NT_ANY)
		return;
	n = tt_payload_len(m);
	tt_check(file, line, rx, "payload length", n, rx->len);
	if (m->payload && memcmp(m->payload, rx->payload, n) != 0)
		tt_fail_at(file, line, "TCP payload differs");
}

const struct tt_rx *tt_expect_at(struct tt *t, const struct tt_seg *m, const char *file, int line)
{
	struct nt_ipv4 ip = tt_ip_of(m);
	const struct nt_frame *f = nt_expect_ipv4_at(&t->nt, &ip, file, line);
	struct tt_rx *rx = &t->rx;
	const struct tcp_repr *h = &rx->h;
	uint32_t len = f->l4_len, end;

	if (f->ip.proto != NS_IPPROTO_TCP)
		tt_fail_at(file, line, "expected TCP, got IP protocol %u", f->ip.proto);
	memcpy(rx->buf, f->l4, len);
	if (!f->csum_partial &&
	    !tcp_csum_ok(rx->buf, len, csum_pseudo_v4(f->ip.src, f->ip.dst, NS_IPPROTO_TCP, len)))
		tt_fail_at(file, line, "TCP checksum wrong");
	if (tcp_parse(&rx->h, rx->buf, len) != TCP_OK)
		tt_fail_at(file, line, "TCP header malformed");
	rx->payload = rx->buf + h->hdr_len;
	rx->len = len - h->hdr_len;
	tt_check(file, line, rx, "sport", m->sport, h->src_port);
	tt_check(file, line, rx, "dport", m->dport, h->dst_port);
	tt_check(file, line, rx, "flags", m->flags, h->flags);
	tt_check(file, line, rx, "seq", m->seq, h->seq);
	tt_check(file, line, rx, "ack", m->ack, h->ack);
	tt_check(file, line, rx, "window", m->window, h->window);
	tt_check(file, line, rx, "urg", m->urg, h->urg);
	tt_check(file, line, rx, "csum", m->csum, h->csum);
	tt_check(file, line, rx, "mss", m->mss, h->mss);
	tt_check(file, line, rx, "wscale", m->wscale, h->wscale);
	tt_check(file, line, rx, "sack_perm", m->sack_perm, h->sack_permitted);
	tt_check(file, line, rx, "ts", m->ts, h->has_ts);
	tt_check(file, line, rx, "tsval", m->tsval, h->tsval);
	tt_check(file, line, rx, "tsecr", m->tsecr, h->tsecr);
	tt_check(file, line, rx, "nsack", m->nsack, h->nsack);
	if (m->nsack != NT_ANY) {
		for (unsigned i = 0; i < h->nsack; i++) {
			tt_check(file, line, rx, "sack left", m->sack[2 * i], h->sack[i].left);
			tt_check(file, line, rx, "sack right", m->sack[2 * i + 1],
			         h->sack[i].right);
		}
	}
	tt_check_payload(file, line, rx, m);
	end = h->seq + rx->len + !!(h->flags & TCP_SYN) + !!(h->flags & TCP_FIN);
	if ((h->flags & TCP_SYN) || seq_gt(end, t->rnxt))
		t->rnxt = end;
	return rx;
}

/* ---------------------------------------------------------------- fixtures */

enum tcp_state tt_state(struct ns_ep *ep)
{
	return tcp_ep_of(ep)->state;
}

struct tcp_ep *tt_ep(struct ns_ep *ep)
{
	return tcp_ep_of(ep);
}

void tt_write(struct ns_ep *ep, const void *buf, size_t len)
{
	size_t n = 0;

	assert_int_equal(ns_ep_write(ep, buf, len, NULL, &n), NS_OK);
	assert_int_equal(n, len);
}

size_t tt_read(struct ns_ep *ep, void *buf, size_t len)
{
	struct ns_read_result r;

	assert_int_equal(ns_ep_read(ep, buf, len, 0, &r), NS_OK);
	return r.count;
}

void tt_listen(struct tt *t)
{
	struct ns_sockaddr a = {.addr = {.family = NS_AF_INET}, .port = TT_PORT};

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->lwq, &t->l), NS_OK);
	assert_int_equal(ns_ep_bind(t->l, &a), NS_OK);
	assert_int_equal(ns_ep_listen(t->l, 16), NS_OK);
	assert_int_equal(tt_state(t->l), TCP_LISTEN);
}

const struct tt_rx *tt_passive_open(struct tt *t, const struct tt_seg *syn)
{
	static struct tt_rx synack;
	/* At function scope: a compound literal lives as long as its enclosing block. */
	const struct tt_seg *def = TT_SEG(.flags = TCP_SYN, .mss = TT_MSS);
	struct ns_sockaddr peer;

	if (!syn)
		syn = def;
	t->pseq = (uint32_t)or_def(syn->seq, TT_PEER_ISS);
	tt_send(t, syn);
	if (syn->seq != NT_ANY)
		t->pseq++;
	synack = *tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .ack = t->pseq, .sport = TT_PORT,
	                              .dport = TT_PEER_PORT));
	tt_send(t, TT_SEG());
	assert_int_equal(ns_ep_accept(t->l, &t->cwq, &t->c, &peer), NS_OK);
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	assert_true(ns_addr_eq(&peer.addr, &NT_ADDR_PEER));
	assert_int_equal(peer.port, TT_PEER_PORT);
	return &synack;
}

void tt_active_open(struct tt *t, const struct tt_seg *synack)
{
	struct ns_sockaddr to = {.addr = NT_ADDR_PEER, .port = TT_PEER_PORT};
	const struct tt_seg *def = TT_SEG(.flags = TCP_SYN | TCP_ACK, .mss = TT_MSS);
	const struct tt_rx *r;

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->cwq, &t->c), NS_OK);
	assert_int_equal(ns_ep_connect(t->c, &to), NS_ERR_CONNECT_STARTED);
	r = tt_expect(t, TT_SEG(.flags = TCP_SYN, .dport = TT_PEER_PORT, .len = 0));
	t->port = r->h.src_port;
	t->pseq = TT_PEER_ISS;
	tt_send(t, synack ? synack : def);
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .seq = t->rnxt, .ack = t->pseq, .len = 0));
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
}

void tt_established(struct tt *t)
{
	tt_listen(t);
	tt_passive_open(t, NULL);
}
