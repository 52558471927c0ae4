/* SPDX-License-Identifier: MIT */
/*
 * Wire tests: Ethernet II (RFC 894) and ARP (RFC 826) parse/emit.
 *
 * Vectors are frames Linux 6.x sent out of a TAP device in a private network namespace
 * (192.0.2.1, 02:00:00:00:00:01 on the kernel side): an ARP request it made for 192.0.2.3,
 * and its ARP reply to a request for 192.0.2.1 from 02:00:00:00:00:02 / 192.0.2.2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wire/arp.h"
#include "wire/eth.h"

/* Linux: "who has 192.0.2.3? tell 192.0.2.1". */
static const uint8_t arp_request_frame[42] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x03,
};
/* Linux: "192.0.2.1 is at 02:00:00:00:00:01", to 192.0.2.2. */
static const uint8_t arp_reply_frame[42] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xc0, 0x00, 0x02, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x02,
};

static const struct ns_mac mac1 = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct ns_mac mac2 = {{0x02, 0, 0, 0, 0, 0x02}};
static const struct ns_mac bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct ns_mac zero_mac;

/* Bytes after the first n of a 0xa5-filled buffer must be untouched. */
static void assert_tail_untouched(const uint8_t *buf, size_t n, size_t size)
{
	for (size_t i = n; i < size; i++)
		assert_int_equal(buf[i], 0xa5);
}

static void test_eth_parse(void **state)
{
	struct eth_repr r;

	(void)state;
	assert_true(eth_parse(&r, arp_request_frame, sizeof(arp_request_frame)));
	assert_memory_equal(&r.dst, &bcast, 6);
	assert_memory_equal(&r.src, &mac1, 6);
	assert_int_equal(r.type, ETH_P_ARP);
	assert_true(eth_parse(&r, arp_reply_frame, ETH_HLEN));
	assert_memory_equal(&r.dst, &mac2, 6);
	assert_memory_equal(&r.src, &mac1, 6);
	assert_int_equal(r.type, 0x0806);
}

static void test_eth_emit(void **state)
{
	struct eth_repr r = {.dst = bcast, .src = mac1, .type = ETH_P_ARP};
	uint8_t buf[32];

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	eth_emit(&r, buf);
	assert_memory_equal(buf, arp_request_frame, ETH_HLEN);
	assert_tail_untouched(buf, ETH_HLEN, sizeof(buf));

	r.type = ETH_P_IPV6;
	eth_emit(&r, buf);
	assert_int_equal(buf[12], 0x86);
	assert_int_equal(buf[13], 0xdd);
}

static void test_eth_truncated(void **state)
{
	struct eth_repr r;

	(void)state;
	for (size_t len = 0; len < ETH_HLEN; len++)
		assert_false(eth_parse(&r, arp_request_frame, len));
}

static void test_arp_parse(void **state)
{
	const uint8_t *p = arp_request_frame + ETH_HLEN;
	struct arp_repr r;

	(void)state;
	assert_true(arp_parse(&r, p, ARP_LEN));
	assert_int_equal(r.op, ARP_OP_REQUEST);
	assert_memory_equal(&r.sha, &mac1, 6);
	assert_memory_equal(&r.tha, &zero_mac, 6);
	assert_memory_equal(r.spa, ((const uint8_t[]){192, 0, 2, 1}), 4);
	assert_memory_equal(r.tpa, ((const uint8_t[]){192, 0, 2, 3}), 4);

	assert_true(arp_parse(&r, arp_reply_frame + ETH_HLEN, ARP_LEN));
	assert_int_equal(r.op, ARP_OP_REPLY);
	assert_memory_equal(&r.sha, &mac1, 6);
	assert_memory_equal(&r.tha, &mac2, 6);
	assert_memory_equal(r.spa, ((const uint8_t[]){192, 0, 2, 1}), 4);
	assert_memory_equal(r.tpa, ((const uint8_t[]){192, 0, 2, 2}), 4);
}

/* A minimum-size Ethernet frame carries 18 bytes of padding after the ARP packet. */
static void test_arp_padded(void **state)
{
	uint8_t frame[ETH_ZLEN];
	struct arp_repr r;

	(void)state;
	memset(frame, 0x55, sizeof(frame));
	memcpy(frame, arp_request_frame, sizeof(arp_request_frame));
	assert_true(arp_parse(&r, frame + ETH_HLEN, sizeof(frame) - ETH_HLEN));
	assert_int_equal(r.op, ARP_OP_REQUEST);
	assert_memory_equal(r.tpa, ((const uint8_t[]){192, 0, 2, 3}), 4);
}

static void test_arp_emit(void **state)
{
	struct arp_repr req = {.op = ARP_OP_REQUEST,
	                       .sha = mac1,
	                       .tha = zero_mac,
	                       .spa = {192, 0, 2, 1},
	                       .tpa = {192, 0, 2, 3}};
	struct arp_repr rep = {.op = ARP_OP_REPLY,
	                       .sha = mac1,
	                       .tha = mac2,
	                       .spa = {192, 0, 2, 1},
	                       .tpa = {192, 0, 2, 2}};
	uint8_t buf[64];

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	arp_emit(&req, buf);
	assert_memory_equal(buf, arp_request_frame + ETH_HLEN, ARP_LEN);
	assert_tail_untouched(buf, ARP_LEN, sizeof(buf));

	memset(buf, 0xa5, sizeof(buf));
	arp_emit(&rep, buf);
	assert_memory_equal(buf, arp_reply_frame + ETH_HLEN, ARP_LEN);
	assert_tail_untouched(buf, ARP_LEN, sizeof(buf));
}

/* Parse -> emit reproduces the packet exactly. */
static void test_arp_roundtrip(void **state)
{
	struct arp_repr r;
	uint8_t buf[ARP_LEN];

	(void)state;
	assert_true(arp_parse(&r, arp_reply_frame + ETH_HLEN, ARP_LEN));
	arp_emit(&r, buf);
	assert_memory_equal(buf, arp_reply_frame + ETH_HLEN, ARP_LEN);
}

static void test_arp_truncated(void **state)
{
	struct arp_repr r;

	(void)state;
	for (size_t len = 0; len < ARP_LEN; len++)
		assert_false(arp_parse(&r, arp_request_frame + ETH_HLEN, len));
}

/* Each fixed field with a wrong value is rejected. */
static void test_arp_bad_fields(void **state)
{
	static const struct {
		size_t off;
		uint8_t val;
	} bad[] = {
	    {1, 6},    /* htype 6 (IEEE 802) */
	    {0, 1},    /* htype 0x0101 */
	    {2, 0x86}, /* ptype 0x8600 */
	    {3, 0xdd}, /* ptype 0x08dd */
	    {4, 8},    /* hlen 8 */
	    {5, 16},   /* plen 16 */
	    {7, 0},    /* op 0 */
	    {7, 3},    /* op 3 (RARP request) */
	    {6, 1},    /* op 0x0101 */
	};
	uint8_t pkt[ARP_LEN];
	struct arp_repr r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(pkt, arp_request_frame + ETH_HLEN, ARP_LEN);
		assert_true(arp_parse(&r, pkt, ARP_LEN));
		pkt[bad[i].off] = bad[i].val;
		assert_false(arp_parse(&r, pkt, ARP_LEN));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eth_parse),      cmocka_unit_test(test_eth_emit),
	    cmocka_unit_test(test_eth_truncated),  cmocka_unit_test(test_arp_parse),
	    cmocka_unit_test(test_arp_padded),     cmocka_unit_test(test_arp_emit),
	    cmocka_unit_test(test_arp_roundtrip),  cmocka_unit_test(test_arp_truncated),
	    cmocka_unit_test(test_arp_bad_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
