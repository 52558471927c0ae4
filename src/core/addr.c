/* SPDX-License-Identifier: MIT */
/*
 * Text forms and subnet arithmetic for network (IPv4 RFC 791, IPv6 RFC 4291) and MAC
 * addresses.
 *
 * Contract: parsers are strict (the whole string must match, or they return false and leave
 * *out untouched); formatters always NUL-terminate within len (truncating if len is short);
 * nothing allocates or keeps state.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "netstack/addr.h"

bool ns_addr_parse(const char *s, struct ns_addr *out)
{
	struct ns_addr a = {0};

	if (!s)
		return false;
	if (inet_pton(AF_INET, s, a.a) == 1)
		a.family = NS_AF_INET;
	else if (inet_pton(AF_INET6, s, a.a) == 1)
		a.family = NS_AF_INET6;
	else
		return false;
	*out = a;
	return true;
}

/* A prefix length: 1 to 3 decimal digits, no sign, no leading zero (but "0" itself). */
static bool parse_prefix(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

bool ns_subnet_parse(const char *s, struct ns_subnet *out)
{
	char text[INET6_ADDRSTRLEN + 1];
	const char *slash;
	struct ns_subnet sn = {0};
	unsigned prefix;
	size_t n;

	if (!s)
		return false;
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(text))
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	if (!ns_addr_parse(text, &sn.addr))
		return false;
	prefix = ns_addr_len(&sn.addr) * 8;
	if (slash && !parse_prefix(slash + 1, prefix, &prefix))
		return false;
	sn.prefix = (uint8_t)prefix;
	*out = sn;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool ns_mac_parse(const char *s, struct ns_mac *out)
{
	struct ns_mac m;

	if (!s)
		return false;
	/* Exactly "xx:xx:xx:xx:xx:xx": two hex digits per byte, ':' between, nothing after. */
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		int hi, lo;

		if ((hi = hexval(p[0])) < 0 || (lo = hexval(p[1])) < 0)
			return false;
		if (p[2] != (i < 5 ? ':' : '\0'))
			return false;
		m.b[i] = (uint8_t)(hi << 4 | lo);
	}
	*out = m;
	return true;
}

char *ns_addr_format(const struct ns_addr *a, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN];
	const char *t = "unspec";

	if (len == 0)
		return buf;
	if (a->family == NS_AF_INET && inet_ntop(AF_INET, a->a, text, sizeof(text)))
		t = text;
	else if (a->family == NS_AF_INET6 && inet_ntop(AF_INET6, a->a, text, sizeof(text)))
		t = text;
	snprintf(buf, len, "%s", t);
	return buf;
}

char *ns_mac_format(const struct ns_mac *m, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0], m->b[1], m->b[2], m->b[3],
	         m->b[4], m->b[5]);
	return buf;
}

bool ns_subnet_contains(const struct ns_subnet *s, const struct ns_addr *a)
{
	unsigned bits = ns_addr_len(&s->addr) * 8;
	unsigned prefix = s->prefix < bits ? s->prefix : bits;
	unsigned whole = prefix / 8, rest = prefix % 8;

	if (bits == 0 || a->family != s->addr.family)
		return false;
	if (memcmp(s->addr.a, a->a, whole) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((s->addr.a[whole] ^ a->a[whole]) & mask)
			return false;
	}
	return true;
}

struct ns_addr ns_subnet_broadcast(const struct ns_subnet *s)
{
	struct ns_addr r = {0};
	uint32_t host;

	if (s->addr.family != NS_AF_INET)
		return r; /* IPv6 has no broadcast: NS_AF_UNSPEC */
	/* RFC 3021: a /31 has no directed broadcast (and a /32 no hosts besides itself); the
	 * limited broadcast is the one broadcast address such a link has. */
	if (s->prefix >= 31)
		return ns_addr_v4(255, 255, 255, 255);
	host = s->prefix == 0 ? 0xffffffffu : (1u << (32 - s->prefix)) - 1;
	r = s->addr;
	r.a[0] |= (uint8_t)(host >> 24);
	r.a[1] |= (uint8_t)(host >> 16);
	r.a[2] |= (uint8_t)(host >> 8);
	r.a[3] |= (uint8_t)host;
	return r;
}
