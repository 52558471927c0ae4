/* SPDX-License-Identifier: MIT */
/*
 * Wire tests: address text forms and subnets (addr.h), and the error table (err.h).
 *
 * Only documentation addresses (RFC 5737, RFC 3849) and well-known special addresses are
 * used; junk input must be rejected without touching the output.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netstack/addr.h"
#include "netstack/err.h"

static void test_addr_parse_v4(void **state)
{
	struct ns_addr a, b = ns_addr_v4(192, 0, 2, 1);

	(void)state;
	assert_true(ns_addr_parse("192.0.2.1", &a));
	assert_int_equal(a.family, NS_AF_INET);
	assert_true(ns_addr_eq(&a, &b));
	assert_memory_equal(&a, &b, sizeof(a)); /* bytes 4..15 zero */
	assert_int_equal(ns_addr_len(&a), 4);
	assert_true(ns_addr_parse("0.0.0.0", &a));
	assert_true(ns_addr_is_any(&a));
	assert_true(ns_addr_parse("255.255.255.255", &a));
	assert_int_equal(a.a[3], 255);
}

static void test_addr_parse_v6(void **state)
{
	struct ns_addr a;
	static const uint8_t db8_1[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	                                  0,    0,    0,    0,    0, 0, 0, 1};

	(void)state;
	assert_true(ns_addr_parse("2001:db8::1", &a));
	assert_int_equal(a.family, NS_AF_INET6);
	assert_memory_equal(a.a, db8_1, 16);
	assert_int_equal(ns_addr_len(&a), 16);
	assert_true(ns_addr_parse("2001:DB8:0:0:0:0:0:1", &a));
	assert_memory_equal(a.a, db8_1, 16);
	assert_true(ns_addr_parse("::", &a));
	assert_true(ns_addr_is_any(&a));
	assert_int_equal(a.family, NS_AF_INET6);
	assert_true(ns_addr_parse("::ffff:192.0.2.1", &a));
	assert_int_equal(a.family, NS_AF_INET6);
	assert_int_equal(a.a[10], 0xff);
	assert_int_equal(a.a[15], 1);
}

static void test_addr_parse_junk(void **state)
{
	static const char *const junk[] = {
	    "",
	    "1",
	    "192.0.2",
	    "192.0.2.1.",
	    "192.0.2.256",
	    "192.0.2.1 ",
	    " 192.0.2.1",
	    "192.0.2.-1",
	    "192.0.2.1/24",
	    "0x7f.0.0.1",
	    "2001:db8::1::2",
	    "2001:db8:::1",
	    "2001:db8::g",
	    ":::",
	    "2001:db8::1%eth0",
	    "1:2:3:4:5:6:7:8:9",
	    "localhost",
	    "192.0.2.1\n",
	};
	struct ns_addr a, saved;

	(void)state;
	memset(&a, 0x5a, sizeof(a));
	saved = a;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		assert_false(ns_addr_parse(junk[i], &a));
		assert_memory_equal(&a, &saved, sizeof(a));
	}
	assert_false(ns_addr_parse(NULL, &a));
}

static void test_subnet_parse(void **state)
{
	struct ns_subnet s;

	(void)state;
	assert_true(ns_subnet_parse("192.0.2.2/24", &s));
	assert_int_equal(s.addr.family, NS_AF_INET);
	assert_int_equal(s.prefix, 24);
	assert_int_equal(s.addr.a[3], 2); /* host bits are kept */
	assert_true(ns_subnet_parse("192.0.2.2", &s));
	assert_int_equal(s.prefix, 32);
	assert_true(ns_subnet_parse("0.0.0.0/0", &s));
	assert_int_equal(s.prefix, 0);
	assert_true(ns_subnet_parse("198.51.100.0/32", &s));
	assert_int_equal(s.prefix, 32);
	assert_true(ns_subnet_parse("2001:db8::/32", &s));
	assert_int_equal(s.addr.family, NS_AF_INET6);
	assert_int_equal(s.prefix, 32);
	assert_true(ns_subnet_parse("2001:db8::1/128", &s));
	assert_int_equal(s.prefix, 128);
	assert_true(ns_subnet_parse("2001:db8::1", &s));
	assert_int_equal(s.prefix, 128);
	assert_true(ns_subnet_parse("::/0", &s));
	assert_int_equal(s.prefix, 0);
}

static void test_subnet_parse_junk(void **state)
{
	static const char *const junk[] = {
	    "192.0.2.0/33",
	    "192.0.2.0/",
	    "192.0.2.0/-1",
	    "192.0.2.0/+24",
	    "192.0.2.0/ 24",
	    "192.0.2.0/24 ",
	    "192.0.2.0/24x",
	    "192.0.2.0/024",
	    "192.0.2.0/2a",
	    "192.0.2.0//24",
	    "192.0.2.0/24/8",
	    "/24",
	    "192.0.2/24",
	    "2001:db8::/129",
	    "2001:db8::/1000",
	    "2001:db8::/",
	    "",
	    "junk/8",
	    "2001:0db8:0000:0000:0000:0000:0000:0000:0000/64",
	};
	struct ns_subnet s, saved;

	(void)state;
	memset(&s, 0x5a, sizeof(s));
	saved = s;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		if (ns_subnet_parse(junk[i], &s))
			print_message("accepted \"%s\"\n", junk[i]);
		assert_memory_equal(&s, &saved, sizeof(s));
	}
	assert_false(ns_subnet_parse(NULL, &s));
}

static void test_mac_parse(void **state)
{
	struct ns_mac m, saved;
	static const char *const junk[] = {
	    "",
	    "02:00:00:00:00",
	    "02:00:00:00:00:01:",
	    "02:00:00:00:00:01 ",
	    "2:0:0:0:0:1",
	    "02-00-00-00-00-01",
	    "0200.0000.0001",
	    "02:00:00:00:00:0g",
	    "020:00:00:00:00:01",
	    "02:00:00:00:00:001",
	    " 02:00:00:00:00:01",
	    "02:00::00:00:01",
	};

	(void)state;
	assert_true(ns_mac_parse("02:00:00:00:00:01", &m));
	assert_memory_equal(m.b, ((const uint8_t[]){2, 0, 0, 0, 0, 1}), 6);
	assert_true(ns_mac_parse("ff:FF:fF:Ff:ff:ff", &m));
	assert_true(ns_mac_is_broadcast(&m));
	assert_true(ns_mac_parse("01:00:5e:00:00:fb", &m));
	assert_true(ns_mac_is_multicast(&m));
	assert_false(ns_mac_is_broadcast(&m));
	assert_true(ns_mac_parse("a0:b1:c2:d3:e4:f5", &m));
	assert_memory_equal(m.b, ((const uint8_t[]){0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5}), 6);

	memset(&m, 0x5a, sizeof(m));
	saved = m;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		if (ns_mac_parse(junk[i], &m))
			print_message("accepted \"%s\"\n", junk[i]);
		assert_memory_equal(&m, &saved, sizeof(m));
	}
	assert_false(ns_mac_parse(NULL, &m));
}

static void test_format(void **state)
{
	char buf[64];
	struct ns_addr a = ns_addr_v4(198, 51, 100, 7);
	struct ns_mac m = {{0x02, 0xab, 0, 0, 0x0f, 0xff}};

	(void)state;
	assert_string_equal(ns_addr_format(&a, buf, sizeof(buf)), "198.51.100.7");
	assert_true(ns_addr_parse("2001:db8:0:0:1:0:0:1", &a));
	assert_string_equal(ns_addr_format(&a, buf, sizeof(buf)), "2001:db8::1:0:0:1");
	assert_true(ns_addr_parse("2001:db8:1:2:3:4:5:6", &a));
	assert_string_equal(ns_addr_format(&a, buf, 46), "2001:db8:1:2:3:4:5:6");
	memset(&a, 0, sizeof(a));
	assert_string_equal(ns_addr_format(&a, buf, sizeof(buf)), "unspec");
	assert_string_equal(ns_mac_format(&m, buf, 18), "02:ab:00:00:0f:ff");
	/* A short buffer is truncated and still terminated. */
	a = ns_addr_v4(192, 0, 2, 1);
	memset(buf, 'x', sizeof(buf));
	assert_string_equal(ns_addr_format(&a, buf, 5), "192.");
	assert_int_equal(buf[5], 'x');
	assert_string_equal(ns_mac_format(&m, buf, 3), "02");
	buf[0] = 'x';
	ns_addr_format(&a, buf, 0);
	ns_mac_format(&m, buf, 0);
	assert_int_equal(buf[0], 'x');
	/* Round trips. */
	{
		static const char *const s[] = {"0.0.0.0",       "192.0.2.255", "::",
		                                "::1",           "2001:db8::",  "fe80::1:2",
		                                "ff02::1:ff00:1"};
		for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
			assert_true(ns_addr_parse(s[i], &a));
			assert_string_equal(ns_addr_format(&a, buf, sizeof(buf)), s[i]);
		}
	}
}

static bool contains(const char *subnet, const char *addr)
{
	struct ns_subnet s;
	struct ns_addr a;

	assert_true(ns_subnet_parse(subnet, &s));
	assert_true(ns_addr_parse(addr, &a));
	return ns_subnet_contains(&s, &a);
}

static void test_subnet_contains(void **state)
{
	(void)state;
	assert_true(contains("192.0.2.0/24", "192.0.2.0"));
	assert_true(contains("192.0.2.0/24", "192.0.2.255"));
	assert_true(contains("192.0.2.77/24", "192.0.2.1")); /* host bits of s ignored */
	assert_false(contains("192.0.2.0/24", "192.0.3.0"));
	assert_false(contains("192.0.2.0/24", "198.51.100.1"));
	assert_true(contains("0.0.0.0/0", "198.51.100.1"));
	assert_true(contains("192.0.2.1/32", "192.0.2.1"));
	assert_false(contains("192.0.2.1/32", "192.0.2.0"));
	/* Bit boundaries inside a byte. */
	assert_true(contains("192.0.2.128/25", "192.0.2.200"));
	assert_false(contains("192.0.2.128/25", "192.0.2.127"));
	assert_true(contains("198.51.100.0/22", "198.51.103.255"));
	assert_false(contains("198.51.100.0/22", "198.51.104.0"));
	assert_true(contains("198.51.100.0/23", "198.51.101.9"));
	assert_false(contains("198.51.100.0/23", "198.51.102.9"));
	assert_true(contains("128.0.0.0/1", "255.1.1.1"));
	assert_false(contains("128.0.0.0/1", "127.255.255.255"));
	/* IPv6. */
	assert_true(contains("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(contains("2001:db8::/32", "2001:db9::1"));
	assert_true(contains("2001:db8:0:1::/64", "2001:db8:0:1:ffff::"));
	assert_false(contains("2001:db8:0:1::/64", "2001:db8:0:2::"));
	assert_true(contains("2001:db8::/33", "2001:db8:7fff::"));
	assert_false(contains("2001:db8::/33", "2001:db8:8000::"));
	assert_true(contains("2001:db8::1/128", "2001:db8::1"));
	assert_false(contains("2001:db8::1/128", "2001:db8::2"));
	assert_true(contains("::/0", "2001:db8::2"));
	/* Families must match, even for /0 and for v4-mapped addresses. */
	assert_false(contains("0.0.0.0/0", "2001:db8::1"));
	assert_false(contains("::/0", "192.0.2.1"));
	assert_false(contains("::ffff:192.0.2.0/120", "192.0.2.1"));
	/* An unspecified subnet contains nothing. */
	{
		struct ns_subnet s;
		struct ns_addr a;

		memset(&s, 0, sizeof(s));
		memset(&a, 0, sizeof(a));
		assert_false(ns_subnet_contains(&s, &a));
	}
}

static void test_subnet_broadcast(void **state)
{
	struct ns_subnet s;
	struct ns_addr b, expect;

	(void)state;
	assert_true(ns_subnet_parse("192.0.2.2/24", &s));
	b = ns_subnet_broadcast(&s);
	expect = ns_addr_v4(192, 0, 2, 255);
	assert_memory_equal(&b, &expect, sizeof(b));
	assert_true(ns_subnet_parse("198.51.100.130/25", &s));
	b = ns_subnet_broadcast(&s);
	expect = ns_addr_v4(198, 51, 100, 255);
	assert_memory_equal(&b, &expect, sizeof(b));
	assert_true(ns_subnet_parse("198.51.100.9/30", &s));
	b = ns_subnet_broadcast(&s);
	expect = ns_addr_v4(198, 51, 100, 11);
	assert_memory_equal(&b, &expect, sizeof(b));
	assert_true(ns_subnet_parse("198.51.100.3/8", &s));
	b = ns_subnet_broadcast(&s);
	expect = ns_addr_v4(198, 255, 255, 255);
	assert_memory_equal(&b, &expect, sizeof(b));
	assert_true(ns_subnet_parse("0.0.0.0/0", &s));
	b = ns_subnet_broadcast(&s);
	expect = ns_addr_v4(255, 255, 255, 255);
	assert_memory_equal(&b, &expect, sizeof(b));
	/* RFC 3021 /31 and /32: no directed broadcast, the limited one instead. */
	assert_true(ns_subnet_parse("192.0.2.0/31", &s));
	b = ns_subnet_broadcast(&s);
	assert_memory_equal(&b, &expect, sizeof(b));
	assert_true(ns_subnet_parse("192.0.2.7/32", &s));
	b = ns_subnet_broadcast(&s);
	assert_memory_equal(&b, &expect, sizeof(b));
	/* IPv6 has none. */
	assert_true(ns_subnet_parse("2001:db8::1/64", &s));
	b = ns_subnet_broadcast(&s);
	assert_int_equal(b.family, NS_AF_UNSPEC);
	assert_true(ns_addr_is_any(&b));
}

static void test_err_table(void **state)
{
	(void)state;
	assert_string_equal(ns_strerror(NS_OK), "success");
	assert_string_equal(ns_err_name(NS_OK), "OK");
	assert_int_equal(ns_err_errno(NS_OK), 0);
	assert_string_equal(ns_strerror(NS_ERR_NO_ROUTE), "no route");
	assert_string_equal(ns_err_name(NS_ERR_NO_ROUTE), "NO_ROUTE");
	assert_int_equal(ns_err_errno(NS_ERR_NO_ROUTE), EHOSTUNREACH);
	assert_int_equal(ns_err_errno(NS_ERR_CONNECTION_REFUSED), ECONNREFUSED);
	assert_int_equal(ns_err_errno(NS_ERR_WOULD_BLOCK), EWOULDBLOCK);
	assert_int_equal(ns_err_errno(NS_ERR_CLOSED_FOR_RECEIVE), 0);
	assert_string_equal(ns_err_name(NS_ERR_IO), "IO");
	assert_string_equal(ns_strerror(NS_ERR_IO), "input/output error");
	/* Every code has a name and a message. */
	for (int e = 0; e < NS_ERR_COUNT_; e++) {
		assert_non_null(ns_strerror((ns_err)e));
		assert_non_null(ns_err_name((ns_err)e));
		assert_true(strlen(ns_err_name((ns_err)e)) > 0);
		assert_string_not_equal(ns_strerror((ns_err)e), "unknown error");
	}
	/* Out of range. */
	assert_string_equal(ns_strerror(NS_ERR_COUNT_), "unknown error");
	assert_string_equal(ns_err_name(NS_ERR_COUNT_), "UNKNOWN");
	assert_int_equal(ns_err_errno(NS_ERR_COUNT_), EINVAL);
	assert_string_equal(ns_strerror((ns_err)-1), "unknown error");
	assert_string_equal(ns_err_name((ns_err)1000), "UNKNOWN");
	assert_int_equal(ns_err_errno((ns_err)-5), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_parse_v4),
	    cmocka_unit_test(test_addr_parse_v6),
	    cmocka_unit_test(test_addr_parse_junk),
	    cmocka_unit_test(test_subnet_parse),
	    cmocka_unit_test(test_subnet_parse_junk),
	    cmocka_unit_test(test_mac_parse),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_subnet_contains),
	    cmocka_unit_test(test_subnet_broadcast),
	    cmocka_unit_test(test_err_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
