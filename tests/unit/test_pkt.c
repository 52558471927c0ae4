/* SPDX-License-Identifier: MIT */
/* Packet buffers: push/consume bookkeeping, bounds, copies, refcounts and the live count. */
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define NT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NT_ASAN 1
#endif
#endif
#ifdef NT_ASAN
#include <sanitizer/allocator_interface.h>
#endif

#include <cmocka.h>

#include "netstack/pkt.h"
#include "pktleak.h"

static void test_alloc_sets_headroom_and_len(void **state)
{
	struct ns_pkt *p = ns_pkt_alloc(64, 100);
	assert_non_null(p);
	assert_int_equal(ns_pkt_headroom(p), 64);
	assert_int_equal(p->len, 100);
	assert_int_equal(p->refcnt, 1);
	assert_true(p->cap >= 164);
	assert_null(ns_pkt_hdr(p, NS_HDR_NETWORK));
	ns_pkt_free(p);
}

static void test_push_records_headers_outbound(void **state)
{
	struct ns_pkt *p = ns_pkt_from("payload", 7);
	uint8_t *t = ns_pkt_push(p, NS_HDR_TRANSPORT, 8);
	assert_non_null(t);
	uint8_t *n = ns_pkt_push(p, NS_HDR_NETWORK, 20);
	assert_non_null(n);
	assert_ptr_equal(n + 20, t);
	assert_int_equal(p->len, 35);
	assert_ptr_equal(ns_pkt_hdr(p, NS_HDR_TRANSPORT), t);
	assert_ptr_equal(ns_pkt_hdr(p, NS_HDR_NETWORK), n);
	assert_ptr_equal(ns_pkt_data(p), n);
	assert_memory_equal(t + 8, "payload", 7);
	ns_pkt_free(p);
}

static void test_push_fails_without_headroom(void **state)
{
	struct ns_pkt *p = ns_pkt_alloc(10, 5);
	assert_null(ns_pkt_push(p, NS_HDR_NETWORK, 11));
	assert_int_equal(p->len, 5);
	assert_non_null(ns_pkt_push(p, NS_HDR_NETWORK, 10));
	assert_null(ns_pkt_push(p, NS_HDR_LINK, 1));
	ns_pkt_free(p);
}

static void test_consume_records_headers_inbound(void **state)
{
	uint8_t frame[60];
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	struct ns_pkt *p = ns_pkt_from(frame, sizeof(frame));
	uint8_t *l = ns_pkt_consume(p, NS_HDR_LINK, 14);
	assert_non_null(l);
	assert_int_equal(l[0], 0);
	assert_int_equal(ns_pkt_data(p)[0], 14);
	assert_int_equal(p->len, 46);
	assert_null(ns_pkt_consume(p, NS_HDR_NETWORK, 47));
	assert_non_null(ns_pkt_consume(p, NS_HDR_NETWORK, 46));
	assert_int_equal(p->len, 0);
	assert_int_equal(ns_pkt_hdr(p, NS_HDR_NETWORK)[0], 14);
	ns_pkt_free(p);
}

static void test_peek_never_reads_past_end(void **state)
{
	struct ns_pkt *p = ns_pkt_from("abcdef", 6);
	assert_non_null(ns_pkt_peek(p, 0, 6));
	assert_non_null(ns_pkt_peek(p, 6, 0));
	assert_null(ns_pkt_peek(p, 0, 7));
	assert_null(ns_pkt_peek(p, 5, 2));
	assert_null(ns_pkt_peek(p, 7, 0));
	assert_null(ns_pkt_peek(p, UINT32_MAX, 2));
	assert_null(ns_pkt_peek(p, 2, UINT32_MAX));
	ns_pkt_free(p);
}

static void test_trim_drops_padding_only(void **state)
{
	struct ns_pkt *p = ns_pkt_from("abcdef", 6);
	ns_pkt_trim(p, 10);
	assert_int_equal(p->len, 6);
	ns_pkt_trim(p, 2);
	assert_int_equal(p->len, 2);
	ns_pkt_free(p);
}

static void test_copy_is_deep_and_keeps_consumed_headers(void **state)
{
	uint8_t frame[40];
	memset(frame, 0x11, sizeof(frame));
	struct ns_pkt *p = ns_pkt_from(frame, sizeof(frame));
	ns_pkt_consume(p, NS_HDR_LINK, 14);
	p->netproto = 0x0800;
	struct ns_pkt *c = ns_pkt_copy(p);
	assert_non_null(c);
	assert_ptr_not_equal(c->buf, p->buf);
	assert_int_equal(c->len, p->len);
	assert_int_equal(c->netproto, 0x0800);
	assert_int_equal(c->refcnt, 1);
	assert_memory_equal(ns_pkt_hdr(c, NS_HDR_LINK), frame, 14);
	ns_pkt_data(c)[0] = 0x22;
	assert_int_equal(ns_pkt_data(p)[0], 0x11);
	ns_pkt_free(p);
	ns_pkt_free(c);
}

static void test_refcount_frees_on_last_owner(void **state)
{
	int64_t before = ns_pkt_live();
	struct ns_pkt *p = ns_pkt_alloc(0, 1);
	ns_pkt_ref(p);
	ns_pkt_free(p);
	assert_int_equal(ns_pkt_live(), before + 1);
	ns_pkt_free(p);
	assert_int_equal(ns_pkt_live(), before);
	ns_pkt_free(NULL);
}

static void test_large_packets_come_from_heap(void **state)
{
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, 65536);
	assert_non_null(p);
	assert_true(p->cap >= 65536 + NS_PKT_HEADROOM);
	memset(ns_pkt_data(p), 0, p->len);
	ns_pkt_free(p);
}

static void test_append_respects_tailroom(void **state)
{
	struct ns_pkt *p = ns_pkt_alloc(0, 0);
	assert_non_null(ns_pkt_append(p, p->cap));
	assert_null(ns_pkt_append(p, 1));
	ns_pkt_free(p);
}

static void test_free_list_and_reuse(void **state)
{
	struct ns_pkt *head = NULL;
	for (int i = 0; i < 100; i++) {
		struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, 1000);
		p->next = head;
		head = p;
	}
	ns_pkt_free_list(head);
	/* Recycled buffers come back zeroed in their metadata. */
	struct ns_pkt *p = ns_pkt_alloc(16, 16);
	assert_null(p->next);
	assert_int_equal(p->flags, 0);
	assert_null(ns_pkt_hdr(p, NS_HDR_LINK));
	ns_pkt_free(p);
}

static void test_gso_sized_packets_are_pooled(void **state)
{
	/* A 64 KiB super-frame with headroom takes a GSO buffer; freed, it is the next
	 * one handed out (the per-thread list, no malloc). */
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, 65535 + 14);
	assert_non_null(p);
	assert_int_equal(p->cap, NS_PKT_GSO_SIZE);
	ns_pkt_free(p);
	struct ns_pkt *q = ns_pkt_alloc(NS_PKT_HEADROOM, 9000);
	assert_ptr_equal(q, p);
	assert_int_equal(ns_pkt_headroom(q), NS_PKT_HEADROOM);
	assert_int_equal(q->len, 9000);
	/* A standard-size one does not take a GSO buffer, and a copy keeps the class. */
	struct ns_pkt *r = ns_pkt_alloc(NS_PKT_HEADROOM, 1514);
	assert_int_equal(r->cap, NS_PKT_STD_SIZE);
	struct ns_pkt *c = ns_pkt_copy(q);
	assert_int_equal(c->cap, NS_PKT_GSO_SIZE);
	/* Beyond the GSO class: exactly what was asked, from the heap. */
	struct ns_pkt *h = ns_pkt_alloc(0, NS_PKT_GSO_SIZE + 1);
	assert_non_null(h);
	assert_int_equal(h->cap, NS_PKT_GSO_SIZE + 1);
	ns_pkt_free(h);
	ns_pkt_free(c);
	ns_pkt_free(r);
	ns_pkt_free(q);
}

/* Heap bytes in use now (ASan's count under ASan, which replaces malloc, else glibc's). */
static size_t heap_in_use(void)
{
#ifdef NT_ASAN
	return __sanitizer_get_current_allocated_bytes();
#else
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
#endif
}

/* A thread that moves packets of both pooled classes and exits, its free lists full. */
static void *churn(void *arg)
{
	struct ns_pkt *p[256];

	(void)arg;
	for (int i = 0; i < 64; i++)
		p[i] = ns_pkt_alloc(NS_PKT_HEADROOM, 60000);
	for (int i = 64; i < 256; i++)
		p[i] = ns_pkt_alloc(NS_PKT_HEADROOM, 1500);
	for (int i = 0; i < 256; i++) {
		assert_non_null(p[i]);
		ns_pkt_free(p[i]);
	}
	return NULL;
}

/* The free lists are per thread: a thread that ends returns what its lists hold to the
 * heap, so an application that starts and ends threads (a loop thread per stack, say)
 * does not leave up to 4 MiB of GSO buffers and 8 MiB of standard ones behind each. */
static void test_thread_exit_returns_its_free_lists(void **state)
{
	size_t before, after;

	(void)state;
	churn(NULL); /* this thread's lists are primed: they stay, as they should */
	before = heap_in_use();
	for (int i = 0; i < 8; i++) {
		pthread_t th;

		assert_int_equal(pthread_create(&th, NULL, churn, NULL), 0);
		assert_int_equal(pthread_join(th, NULL), 0);
	}
	after = heap_in_use();
	/* Eight threads' lists would be about 38 MB; allow for the allocator's own. */
	if (after > before + (1u << 20))
		fail_msg("heap grew by %zu bytes over 8 threads that ended", after - before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_gso_sized_packets_are_pooled, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_sets_headroom_and_len, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_push_records_headers_outbound, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_push_fails_without_headroom, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_consume_records_headers_inbound, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_peek_never_reads_past_end, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_trim_drops_padding_only, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_copy_is_deep_and_keeps_consumed_headers,
	                                    nt_pktleak_setup, nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_refcount_frees_on_last_owner, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_large_packets_come_from_heap, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_append_respects_tailroom, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_free_list_and_reuse, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_thread_exit_returns_its_free_lists,
	                                    nt_pktleak_setup, nt_pktleak_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
