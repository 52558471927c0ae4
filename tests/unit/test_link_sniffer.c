/* SPDX-License-Identifier: MIT */
/* Sniffer link: pcap records of both directions, read back and checked byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "netstack/link.h"

static const struct ns_mac own = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct ns_mac peer = {{0x02, 0, 0, 0, 0, 0x02}};

struct capture {
	struct ns_link_dispatcher d;
	struct ns_link *from;
	int n;
	uint32_t len;
};

static void cap_deliver(struct ns_link_dispatcher *d, struct ns_link *link, struct ns_pkt *pkt)
{
	struct capture *c = (struct capture *)d;
	c->from = link;
	c->n++;
	c->len = pkt->len;
	ns_pkt_free(pkt);
}

static char path[64];

static int setup(void **state)
{
	strcpy(path, "/tmp/ns-sniffer-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	return 0;
}

static uint8_t *slurp(size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static uint8_t buf[65536];
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Check a record header at @p: a plausible timestamp and the lengths; returns the data. */
static const uint8_t *check_record(const uint8_t *p, uint32_t len)
{
	uint32_t now = (uint32_t)time(NULL);
	uint32_t sec = le32(p), usec = le32(p + 4);
	assert_true(sec + 60 >= now && sec <= now + 1);
	assert_true(usec < 1000000);
	assert_int_equal(le32(p + 8), len);
	assert_int_equal(le32(p + 12), len);
	return p + 16;
}

static void test_ethernet_both_ways(void **state)
{
	int64_t live = ns_pkt_live();
	char err[256];
	struct ns_channel_config cfg = {.header = NS_LINK_HDR_ETHERNET,
	                                .mac = own,
	                                .mtu = 1400,
	                                .caps = NS_CAP_RESOLUTION_REQUIRED};
	struct ns_link *ch = ns_channel_new(&cfg);
	struct ns_link *sn = ns_sniffer_new(ch, path, err, sizeof(err));
	assert_non_null(sn);
	assert_string_equal(sn->ops->kind, "sniffer");
	/* Everything but the recording is the lower link's. */
	assert_int_equal(ns_link_mtu(sn), 1400);
	assert_int_equal(ns_link_caps(sn), NS_CAP_RESOLUTION_REQUIRED);
	assert_int_equal(sn->ops->max_header_len(sn), 14);
	assert_int_equal(sn->ops->header_type(sn), NS_LINK_HDR_ETHERNET);
	struct ns_mac m = sn->ops->link_addr(sn);
	assert_true(ns_mac_eq(&m, &own));
	assert_int_equal(ns_link_poll_fd(sn), -1);
	assert_int_equal(ns_link_process(sn, 8), 0);

	struct capture c = {.d.deliver = cap_deliver};
	sn->ops->attach(sn, &c.d);

	/* Inbound: a 60-byte frame (padding included) from peer. */
	uint8_t in[60];
	memcpy(in, own.b, 6);
	memcpy(in + 6, peer.b, 6);
	in[12] = 0x08;
	in[13] = 0x06;
	for (int i = 14; i < 60; i++)
		in[i] = (uint8_t)(i * 7);
	ns_channel_inject_bytes(ch, in, sizeof(in));
	assert_int_equal(c.n, 1);
	assert_ptr_equal(c.from, sn);
	assert_int_equal(c.len, 46);

	/* Outbound: 28 bytes of ARP to peer. */
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, 28);
	for (int i = 0; i < 28; i++)
		ns_pkt_data(p)[i] = (uint8_t)(0xa0 + i);
	p->netproto = 0x0806;
	p->link_dst = peer;
	assert_int_equal(ns_link_write(sn, &p, 1), 1);
	struct ns_pkt *out = ns_channel_read(ch);
	assert_non_null(out);
	assert_int_equal(out->len, 42);

	/* A big outbound frame is recorded whole. */
	p = ns_pkt_alloc(NS_PKT_HEADROOM, 3000);
	memset(ns_pkt_data(p), 0x5a, 3000);
	p->netproto = 0x0800;
	p->link_dst = peer;
	assert_int_equal(ns_link_write(sn, &p, 1), 1);
	ns_pkt_free(ns_channel_read(ch));

	ns_sniffer_flush(sn);
	size_t len;
	const uint8_t *f = slurp(&len);
	assert_int_equal(len, 24 + 16 + 60 + 16 + 42 + 16 + 3014);
	static const uint8_t gh[24] = {
	    0xd4, 0xc3, 0xb2, 0xa1, /* magic, microseconds, little-endian host */
	    2,    0,    4,    0,    /* version 2.4 */
	    0,    0,    0,    0,    /* thiszone */
	    0,    0,    0,    0,    /* sigfigs */
	    0,    0,    4,    0,    /* snaplen 262144 */
	    1,    0,    0,    0,    /* LINKTYPE_ETHERNET */
	};
	assert_memory_equal(f, gh, 24);
	const uint8_t *r = check_record(f + 24, 60);
	assert_memory_equal(r, in, 60);
	r = check_record(r + 60, 42);
	/* The synthesised header is exactly what the channel wrote. */
	assert_memory_equal(r, ns_pkt_data(out), 42);
	r = check_record(r + 42, 3014);
	assert_memory_equal(r, peer.b, 6);
	assert_memory_equal(r + 6, own.b, 6);
	assert_int_equal(r[12], 0x08);
	assert_int_equal(r[13], 0x00);
	assert_int_equal(r[14], 0x5a);
	assert_int_equal(r[3013], 0x5a);
	ns_pkt_free(out);

	assert_int_equal(sn->rx_frames, 1);
	assert_int_equal(sn->tx_frames, 2);
	ns_link_destroy(sn); /* destroys the channel too */
	assert_int_equal(ns_pkt_live(), live);
}

static void test_raw(void **state)
{
	int64_t live = ns_pkt_live();
	char err[256];
	struct ns_channel_config cfg = {.header = NS_LINK_HDR_NONE};
	struct ns_link *ch = ns_channel_new(&cfg);
	struct ns_link *sn = ns_sniffer_new(ch, path, err, sizeof(err));
	assert_non_null(sn);

	/* Not attached: still recorded, then dropped. */
	uint8_t in[20] = {0x45, 0, 0, 20};
	ns_channel_inject_bytes(ch, in, sizeof(in));
	assert_int_equal(sn->rx_errors, 1);

	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, 40);
	memset(ns_pkt_data(p), 0, 40);
	ns_pkt_data(p)[0] = 0x60;
	p->netproto = 0x86dd;
	assert_int_equal(ns_link_write(sn, &p, 1), 1);
	ns_pkt_free(ns_channel_read(ch));

	ns_link_destroy(sn); /* flushes */
	size_t len;
	const uint8_t *f = slurp(&len);
	assert_int_equal(len, 24 + 16 + 20 + 16 + 40);
	assert_int_equal(le32(f), 0xa1b2c3d4);
	assert_int_equal(le32(f + 20), 101); /* LINKTYPE_RAW */
	const uint8_t *r = check_record(f + 24, 20);
	assert_memory_equal(r, in, 20);
	r = check_record(r + 20, 40);
	assert_int_equal(r[0], 0x60);
	assert_int_equal(ns_pkt_live(), live);
}

static void test_errors(void **state)
{
	int64_t live = ns_pkt_live();
	char err[256];
	struct ns_channel_config cfg = {.header = NS_LINK_HDR_NONE};
	struct ns_link *ch = ns_channel_new(&cfg);
	/* The lower link is owned from the call on: freed on failure too. */
	struct ns_link *sn = ns_sniffer_new(ch, "/nonexistent-dir/x.pcap", err, sizeof(err));
	assert_null(sn);
	assert_string_equal(err, "open /nonexistent-dir/x.pcap: No such file or directory");
	assert_null(ns_sniffer_new(NULL, path, err, sizeof(err)));
	assert_true(strlen(err) > 0);
	ns_sniffer_flush(NULL);
	assert_int_equal(ns_pkt_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ethernet_both_ways, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_raw, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
