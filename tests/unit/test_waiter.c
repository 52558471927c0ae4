/* SPDX-License-Identifier: MIT */
/* Waiter queues: masks, order, and callbacks that unregister or register entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "netstack/pkt.h"
#include "netstack/waiter.h"

static int64_t live_at_start;

static int setup(void **state)
{
	(void)state;
	live_at_start = ns_pkt_live();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(ns_pkt_live(), live_at_start);
	return 0;
}

/* A call log shared by the callbacks. */
static int log_id[32];
static uint32_t log_ev[32];
static int nlog;

struct ctx {
	int id;
	struct ns_waiter_entry *victim; /* unregister this one when called */
	struct ns_waiter_queue *q;      /* with add: register it on q */
	struct ns_waiter_entry *add;
};

static void cb(struct ns_waiter_entry *e, uint32_t events)
{
	struct ctx *c = e->ctx;

	log_id[nlog] = c->id;
	log_ev[nlog] = events;
	nlog++;
	if (c->victim)
		ns_waiter_unregister(c->victim);
	if (c->add)
		ns_waiter_register(c->q, c->add, NS_EV_IN);
}

static void reset_log(void)
{
	nlog = 0;
}

static void test_mask_filtering(void **state)
{
	struct ns_waiter_queue q;
	struct ns_waiter_entry a, b, c;
	struct ctx ca = {.id = 1}, cbx = {.id = 2}, cc = {.id = 3};

	(void)state;
	ns_waiter_queue_init(&q);
	ns_waiter_entry_init(&a, cb, &ca);
	ns_waiter_entry_init(&b, cb, &cbx);
	ns_waiter_entry_init(&c, cb, &cc);
	ns_waiter_register(&q, &a, NS_EV_IN);
	ns_waiter_register(&q, &b, NS_EV_OUT);
	ns_waiter_register(&q, &c, NS_EV_IN | NS_EV_HUP);

	reset_log();
	ns_waiter_notify(&q, NS_EV_IN);
	assert_int_equal(nlog, 2);
	assert_int_equal(log_id[0], 1);
	assert_int_equal(log_id[1], 3);
	assert_int_equal(log_ev[1], NS_EV_IN);

	reset_log();
	ns_waiter_notify(&q, NS_EV_OUT | NS_EV_HUP);
	assert_int_equal(nlog, 2);
	assert_int_equal(log_id[0], 2);
	assert_int_equal(log_ev[0], NS_EV_OUT); /* only the events the entry asked for */
	assert_int_equal(log_id[1], 3);
	assert_int_equal(log_ev[1], NS_EV_HUP);

	reset_log();
	ns_waiter_notify(&q, NS_EV_ERR);
	assert_int_equal(nlog, 0);

	/* Re-registering changes the mask and keeps one membership. */
	ns_waiter_register(&q, &a, NS_EV_ERR);
	ns_waiter_register(&q, &a, NS_EV_ERR);
	reset_log();
	ns_waiter_notify(&q, NS_EV_ERR | NS_EV_IN);
	assert_int_equal(nlog, 2);
	assert_int_equal(log_id[0], 3);
	assert_int_equal(log_id[1], 1);

	ns_waiter_unregister(&a);
	ns_waiter_unregister(&a); /* twice is harmless */
	ns_waiter_unregister(&b);
	ns_waiter_unregister(&c);
	assert_ptr_equal(q.head.next, &q.head);
	assert_ptr_equal(q.head.prev, &q.head);
}

static void test_unregister_self_in_callback(void **state)
{
	struct ns_waiter_queue q;
	struct ns_waiter_entry a, b, c;
	struct ctx ca = {.id = 1, .victim = &a}, cbx = {.id = 2, .victim = &b}, cc = {.id = 3};

	(void)state;
	ns_waiter_queue_init(&q);
	ns_waiter_entry_init(&a, cb, &ca);
	ns_waiter_entry_init(&b, cb, &cbx);
	ns_waiter_entry_init(&c, cb, &cc);
	ns_waiter_register(&q, &a, NS_EV_IN);
	ns_waiter_register(&q, &b, NS_EV_IN);
	ns_waiter_register(&q, &c, NS_EV_IN);

	reset_log();
	ns_waiter_notify(&q, NS_EV_IN);
	assert_int_equal(nlog, 3);
	assert_int_equal(log_id[2], 3);

	reset_log();
	ns_waiter_notify(&q, NS_EV_IN);
	assert_int_equal(nlog, 1); /* a and b are gone */
	assert_int_equal(log_id[0], 3);
	assert_null(a.next);
	assert_null(b.prev);
	ns_waiter_unregister(&c);
}

static void test_unregister_other_in_callback(void **state)
{
	struct ns_waiter_queue q;
	struct ns_waiter_entry a, b, c;
	struct ctx ca = {.id = 1, .victim = &b}, cbx = {.id = 2}, cc = {.id = 3, .victim = &a};

	(void)state;
	ns_waiter_queue_init(&q);
	ns_waiter_entry_init(&a, cb, &ca);
	ns_waiter_entry_init(&b, cb, &cbx);
	ns_waiter_entry_init(&c, cb, &cc);
	ns_waiter_register(&q, &a, NS_EV_IN);
	ns_waiter_register(&q, &b, NS_EV_IN);
	ns_waiter_register(&q, &c, NS_EV_IN);

	/* a removes the next entry (b), c removes an earlier one (a). */
	reset_log();
	ns_waiter_notify(&q, NS_EV_IN);
	assert_int_equal(nlog, 2);
	assert_int_equal(log_id[0], 1);
	assert_int_equal(log_id[1], 3);

	reset_log();
	ns_waiter_notify(&q, NS_EV_IN);
	assert_int_equal(nlog, 1);
	assert_int_equal(log_id[0], 3);
	ns_waiter_unregister(&c);
	assert_ptr_equal(q.head.next, &q.head);
}

static void test_register_in_callback_and_nested_notify(void **state)
{
	struct ns_waiter_queue q;
	struct ns_waiter_entry a, b;
	struct ctx cbx = {.id = 2};
	struct ctx ca = {.id = 1, .q = &q, .add = &b};

	(void)state;
	ns_waiter_queue_init(&q);
	ns_waiter_entry_init(&a, cb, &ca);
	ns_waiter_entry_init(&b, cb, &cbx);
	ns_waiter_register(&q, &a, NS_EV_IN);

	/* b joins at the tail, after the walk's position: this notify reaches it. */
	reset_log();
	ns_waiter_notify(&q, NS_EV_IN);
	assert_int_equal(nlog, 2);
	assert_int_equal(log_id[1], 2);
	ns_waiter_unregister(&a);
	ns_waiter_unregister(&b);
}

static struct ns_waiter_queue *nested_q;
static int nested_depth;

static void nested_cb(struct ns_waiter_entry *e, uint32_t events)
{
	struct ctx *c = e->ctx;

	log_id[nlog++] = c->id;
	if (nested_depth++ == 0)
		ns_waiter_notify(nested_q, events); /* the walk must skip the outer marker */
	if (c->victim)
		ns_waiter_unregister(c->victim);
}

static void test_nested_notify(void **state)
{
	struct ns_waiter_queue q;
	struct ns_waiter_entry a, b;
	struct ctx ca = {.id = 1, .victim = &b}, cbx = {.id = 2};

	(void)state;
	nested_q = &q;
	nested_depth = 0;
	ns_waiter_queue_init(&q);
	ns_waiter_entry_init(&a, nested_cb, &ca);
	ns_waiter_entry_init(&b, nested_cb, &cbx);
	ns_waiter_register(&q, &a, NS_EV_IN);
	ns_waiter_register(&q, &b, NS_EV_IN);
	reset_log();
	ns_waiter_notify(&q, NS_EV_IN);
	/* outer a -> inner a (unregisters b), inner b gone; outer a unregisters b again. */
	assert_int_equal(nlog, 2);
	assert_int_equal(log_id[0], 1);
	assert_int_equal(log_id[1], 1);
	assert_null(b.next);
	ns_waiter_unregister(&a);
	assert_ptr_equal(q.head.next, &q.head);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_mask_filtering, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unregister_self_in_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unregister_other_in_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_register_in_callback_and_nested_notify, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_nested_notify, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
