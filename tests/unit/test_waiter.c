/* SPDX-License-Identifier: MIT */
/* Waiter queues: masks, order, and callbacks that unregister or register entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "netstack/pkt.h"
#include "netstack/waiter.h"
#include "pktleak.h"

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

	/* Re-registering changes the mask, keeps one membership and keeps the entry's place
	 * (it used to move to the tail, which let a callback re-registering itself run again
	 * in the same walk, forever: see test_reregister_self_in_callback_terminates). */
	ns_waiter_register(&q, &a, NS_EV_ERR);
	ns_waiter_register(&q, &a, NS_EV_ERR);
	reset_log();
	ns_waiter_notify(&q, NS_EV_ERR | NS_EV_IN);
	assert_int_equal(nlog, 2);
	assert_int_equal(log_id[0], 1);
	assert_int_equal(log_id[1], 3);

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

	/* b joins during the notify: it waits for the next one (a notify calls the entries
	 * registered when it began, so no walk can be made endless by registrations). */
	reset_log();
	ns_waiter_notify(&q, NS_EV_IN);
	assert_int_equal(nlog, 1);
	assert_int_equal(log_id[0], 1);
	reset_log();
	ns_waiter_notify(&q, NS_EV_IN);
	assert_int_equal(nlog, 2);
	assert_int_equal(log_id[0], 1);
	assert_int_equal(log_id[1], 2);
	ns_waiter_unregister(&a);
	ns_waiter_unregister(&b);
}

/* ---- regression: a callback that re-registers itself (an epoll-style "modify") ---- */

static struct ns_waiter_queue *rereg_q;
static int rereg_calls;

static void rereg_cb(struct ns_waiter_entry *e, uint32_t events)
{
	(void)events;
	rereg_calls++;
	if (rereg_calls > 10)
		fail_msg("one notify called the same entry %d times", rereg_calls);
	ns_waiter_register(rereg_q, e, NS_EV_IN | NS_EV_OUT);
}

static void rereg_unreg_cb(struct ns_waiter_entry *e, uint32_t events)
{
	(void)events;
	rereg_calls++;
	if (rereg_calls > 10)
		fail_msg("one notify called the same entry %d times", rereg_calls);
	ns_waiter_unregister(e);
	ns_waiter_register(rereg_q, e, NS_EV_IN);
}

static void test_reregister_self_in_callback_terminates(void **state)
{
	struct ns_waiter_queue q;
	struct ns_waiter_entry a, b, c;
	struct ctx cb_ctx = {.id = 2};

	(void)state;
	rereg_q = &q;
	ns_waiter_queue_init(&q);
	/* The entry is the only (so the last) one: re-registering it used to move it behind
	 * the walk's marker, so the walk reached it again, and again. */
	ns_waiter_entry_init(&a, rereg_cb, NULL);
	ns_waiter_register(&q, &a, NS_EV_IN);
	rereg_calls = 0;
	ns_waiter_notify(&q, NS_EV_IN);
	assert_int_equal(rereg_calls, 1);
	assert_int_equal(a.mask, NS_EV_IN | NS_EV_OUT); /* the new mask took */
	rereg_calls = 0;
	ns_waiter_notify(&q, NS_EV_OUT);
	assert_int_equal(rereg_calls, 1);

	/* Unregister then register again (a fresh registration, at the tail) in front of
	 * another entry: both run once. */
	ns_waiter_unregister(&a);
	ns_waiter_entry_init(&b, rereg_unreg_cb, NULL);
	ns_waiter_entry_init(&c, cb, &cb_ctx);
	ns_waiter_register(&q, &b, NS_EV_IN);
	ns_waiter_register(&q, &c, NS_EV_IN);
	rereg_calls = 0;
	reset_log();
	ns_waiter_notify(&q, NS_EV_IN);
	assert_int_equal(rereg_calls, 1);
	assert_int_equal(nlog, 1);
	/* b now sits behind c. */
	rereg_calls = 0;
	reset_log();
	ns_waiter_notify(&q, NS_EV_IN);
	assert_int_equal(rereg_calls, 1);
	assert_int_equal(nlog, 1);
	assert_ptr_equal(q.head.next, &c);
	ns_waiter_unregister(&b);
	ns_waiter_unregister(&c);
	assert_ptr_equal(q.head.next, &q.head);
}

/* Registering on another queue moves the entry there. */
static void test_register_moves_between_queues(void **state)
{
	struct ns_waiter_queue q1, q2;
	struct ns_waiter_entry a;
	struct ctx ca = {.id = 1};

	(void)state;
	ns_waiter_queue_init(&q1);
	ns_waiter_queue_init(&q2);
	ns_waiter_entry_init(&a, cb, &ca);
	ns_waiter_register(&q1, &a, NS_EV_IN);
	ns_waiter_register(&q2, &a, NS_EV_IN);
	assert_ptr_equal(q1.head.next, &q1.head);
	reset_log();
	ns_waiter_notify(&q1, NS_EV_IN);
	assert_int_equal(nlog, 0);
	ns_waiter_notify(&q2, NS_EV_IN);
	assert_int_equal(nlog, 1);
	ns_waiter_unregister(&a);
	assert_ptr_equal(q2.head.next, &q2.head);
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
	    cmocka_unit_test_setup_teardown(test_mask_filtering, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_unregister_self_in_callback, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_unregister_other_in_callback, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_register_in_callback_and_nested_notify,
	                                    nt_pktleak_setup, nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_nested_notify, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_reregister_self_in_callback_terminates,
	                                    nt_pktleak_setup, nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_register_moves_between_queues, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
