/* SPDX-License-Identifier: MIT */
/*
 * TCP header and option parse/emit (RFC 9293 3.1, RFC 7323, RFC 2018, RFC 6691).
 *
 * Pure functions over (pointer, length): the option walk checks every kind/length pair
 * against the header end before reading it, so a hostile header cannot move it out of
 * bounds (RFC 9293 MUST-7: an illegal option length must not crash the stack).
 */
#include "wire/tcp.h"

#include "wire/checksum.h"

static void parse_option(struct tcp_repr *r, const uint8_t *o, unsigned olen)
{
	switch (o[0]) {
	case TCP_OPT_MSS:
		if (olen == 4)
			r->mss = rd16(o + 2);
		break;
	case TCP_OPT_WS:
		if (olen == 3)
			/* RFC 7323 2.3: a shift.cnt > 14 "MUST use 14 instead". */
			r->wscale = (int8_t)(o[2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o[2]);
		break;
	case TCP_OPT_SACK_PERM:
		if (olen == 2)
			r->sack_permitted = true;
		break;
	case TCP_OPT_SACK:
		if (olen >= 10 && (olen - 2) % 8 == 0) {
			unsigned n = (olen - 2) / 8;

			if (n > TCP_MAX_SACK) /* cannot happen in a 60-byte header */
				n = TCP_MAX_SACK;
			for (unsigned i = 0; i < n; i++) {
				r->sack[i].left = rd32(o + 2 + 8 * i);
				r->sack[i].right = rd32(o + 6 + 8 * i);
			}
			r->nsack = (uint8_t)n;
		}
		break;
	case TCP_OPT_TS:
		if (olen == 10) {
			r->has_ts = true;
			r->tsval = rd32(o + 2);
			r->tsecr = rd32(o + 6);
		}
		break;
	default:
		break;
	}
}

enum tcp_err tcp_parse(struct tcp_repr *r, const uint8_t *buf, size_t len)
{
	unsigned hdr_len, i;

	if (len < TCP_MIN_HLEN)
		return TCP_E_TRUNCATED;
	hdr_len = tcp_get_hdr_len(buf);
	if (hdr_len < TCP_MIN_HLEN || hdr_len > len)
		return TCP_E_OFFSET;

	r->src_port = tcp_get_src_port(buf);
	r->dst_port = tcp_get_dst_port(buf);
	r->seq = tcp_get_seq(buf);
	r->ack = tcp_get_ack(buf);
	r->hdr_len = (uint8_t)hdr_len;
	r->flags = tcp_get_flags(buf);
	r->window = tcp_get_window(buf);
	r->csum = tcp_get_csum(buf);
	r->urg = tcp_get_urg(buf);
	r->mss = 0;
	r->wscale = -1;
	r->sack_permitted = false;
	r->has_ts = false;
	r->tsval = 0;
	r->tsecr = 0;
	r->nsack = 0;

	/* RFC 9293 3.1: an option is a kind byte, or kind, length (counting both) and data. */
	i = TCP_MIN_HLEN;
	while (i < hdr_len) {
		unsigned olen;

		if (buf[i] == TCP_OPT_EOL)
			break;
		if (buf[i] == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (hdr_len - i < 2)
			return TCP_E_OPTION;
		olen = buf[i + 1];
		if (olen < 2 || olen > hdr_len - i)
			return TCP_E_OPTION;
		parse_option(r, buf + i, olen);
		i += olen;
	}
	return TCP_OK;
}

/* SACK blocks that fit beside the other options in the 40 bytes of option space. */
static unsigned sack_blocks(const struct tcp_repr *r)
{
	unsigned max = r->has_ts ? 3 : 4;

	return r->nsack < max ? r->nsack : max;
}

size_t tcp_repr_hdr_len(const struct tcp_repr *r)
{
	size_t n = TCP_MIN_HLEN;

	if (r->flags & TCP_SYN) {
		if (r->mss)
			n += 4;
		if (r->has_ts)
			n += 12;
		else if (r->sack_permitted)
			n += 4;
		if (r->wscale >= 0)
			n += 4;
	} else {
		unsigned ns = sack_blocks(r);

		if (r->has_ts)
			n += 12;
		if (ns)
			n += 4 + 8 * ns;
	}
	return n;
}

static uint8_t *put4(uint8_t *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	p[0] = a;
	p[1] = b;
	p[2] = c;
	p[3] = d;
	return p + 4;
}

static uint8_t *put_ts(uint8_t *p, const struct tcp_repr *r, uint8_t b0, uint8_t b1)
{
	p = put4(p, b0, b1, TCP_OPT_TS, 10);
	wr32(p, r->tsval);
	wr32(p + 4, r->tsecr);
	return p + 8;
}

size_t tcp_emit(const struct tcp_repr *r, uint8_t *buf)
{
	uint8_t *p = buf + TCP_MIN_HLEN;
	size_t hdr_len;

	/* Options in the order and 4-byte layouts of Linux's tcp_options_write(). */
	if (r->flags & TCP_SYN) {
		if (r->mss) {
			p = put4(p, TCP_OPT_MSS, 4, 0, 0);
			wr16(p - 2, r->mss);
		}
		if (r->has_ts && r->sack_permitted)
			p = put_ts(p, r, TCP_OPT_SACK_PERM, 2);
		else if (r->has_ts)
			p = put_ts(p, r, TCP_OPT_NOP, TCP_OPT_NOP);
		else if (r->sack_permitted)
			p = put4(p, TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_SACK_PERM, 2);
		if (r->wscale >= 0) {
			uint8_t ws =
			    (uint8_t)(r->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : r->wscale);
			p = put4(p, TCP_OPT_NOP, TCP_OPT_WS, 3, ws);
		}
	} else {
		unsigned ns = sack_blocks(r);

		if (r->has_ts)
			p = put_ts(p, r, TCP_OPT_NOP, TCP_OPT_NOP);
		if (ns) {
			p = put4(p, TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_SACK, (uint8_t)(2 + 8 * ns));
			for (unsigned i = 0; i < ns; i++) {
				wr32(p, r->sack[i].left);
				wr32(p + 4, r->sack[i].right);
				p += 8;
			}
		}
	}
	hdr_len = (size_t)(p - buf);

	wr16(buf, r->src_port);
	wr16(buf + 2, r->dst_port);
	wr32(buf + 4, r->seq);
	wr32(buf + 8, r->ack);
	buf[12] = (uint8_t)((hdr_len / 4) << 4); /* reserved bits and AE/NS zero */
	buf[13] = r->flags;
	wr16(buf + 14, r->window);
	wr16(buf + 16, r->csum);
	wr16(buf + 18, r->urg);
	return hdr_len;
}

bool tcp_csum_ok(const uint8_t *buf, size_t len, uint32_t pseudo)
{
	return csum_fold(csum_partial(buf, len, pseudo)) == 0xffff;
}

void tcp_set_csum(uint8_t *buf, size_t len, uint32_t pseudo)
{
	wr16(buf + 16, 0);
	wr16(buf + 16, csum_finish(csum_partial(buf, len, pseudo)));
}
