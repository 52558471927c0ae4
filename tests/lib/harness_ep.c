/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the endpoint shortcuts of the packet-test harness (harness.h,
 * "endpoints"). The UDP, raw, ping, packet and fragmentation tests open, bind, read and
 * write endpoints the same way many times over; these do it once, asserting each step, so
 * a test reads as what it checks.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

struct ns_sockaddr nt_sa(struct ns_addr a, uint16_t port)
{
	struct ns_sockaddr s = {.addr = a, .port = port};

	return s;
}

struct ns_ep *nt_ep_open(struct nt *t, uint8_t family, uint8_t proto)
{
	struct ns_ep *ep = NULL;

	assert_int_equal(ns_ep_new(t->s, family, proto, NULL, &ep), NS_OK);
	assert_non_null(ep);
	return ep;
}

struct ns_ep *nt_raw_open(struct nt *t, uint8_t family, uint8_t proto)
{
	struct ns_ep *ep = NULL;

	assert_int_equal(ns_ep_new_raw(t->s, family, proto, NULL, &ep), NS_OK);
	assert_non_null(ep);
	return ep;
}

struct ns_ep *nt_udp_bound(struct nt *t, struct ns_addr a, uint16_t port)
{
	struct ns_ep *ep = nt_ep_open(t, a.family, NS_IPPROTO_UDP);
	struct ns_sockaddr b = nt_sa(a, port);

	assert_int_equal(ns_ep_bind(ep, &b), NS_OK);
	return ep;
}

size_t nt_read(struct ns_ep *ep, void *buf, size_t cap, struct ns_read_result *res)
{
	struct ns_read_result r;

	if (!res)
		res = &r;
	assert_int_equal(ns_ep_read(ep, buf, cap, 0, res), NS_OK);
	return res->count;
}

void nt_expect_read(struct ns_ep *ep, const void *want, size_t n)
{
	static uint8_t buf[65536];

	assert_int_equal(nt_read(ep, buf, sizeof(buf), NULL), n);
	assert_memory_equal(buf, want, n);
}

void nt_expect_empty(struct ns_ep *ep)
{
	uint8_t b[16];

	assert_int_equal(ns_ep_read(ep, b, sizeof(b), 0, NULL), NS_ERR_WOULD_BLOCK);
}

uint8_t *nt_udp_datagram(struct ns_addr src, struct ns_addr dst, uint16_t dport,
                         const void *payload, uint32_t n)
{
	uint8_t *d = malloc(UDP_HLEN + n);
	uint32_t len = UDP_HLEN + n;
	uint16_t c;

	assert_non_null(d);
	wr16(d, NT_DEF_SPORT);
	wr16(d + 2, dport);
	wr16(d + 4, (uint16_t)len);
	wr16(d + 6, 0);
	if (n)
		memcpy(d + UDP_HLEN, payload, n);
	c = csum_finish(csum_partial(d, len,
	                             src.family == NS_AF_INET6
	                                 ? csum_pseudo_v6(src.a, dst.a, NS_IPPROTO_UDP, len)
	                                 : csum_pseudo_v4(src.a, dst.a, NS_IPPROTO_UDP, len)));
	wr16(d + 6, c ? c : 0xffff); /* RFC 768: a computed 0 goes as all ones */
	return d;
}

ns_err nt_send_to(struct ns_ep *ep, const void *buf, size_t len, struct ns_addr to)
{
	struct ns_sockaddr sa = nt_sa(to, 0);
	struct ns_write_opts o = {.to = &sa};
	size_t n = 0;
	ns_err err = ns_ep_write(ep, buf, len, &o, &n);

	if (err == NS_OK)
		assert_int_equal(n, len);
	return err;
}
