/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: tests of the event loop (src/api/loop.c) on real time and real fds.
 *
 * User fds are pipes; a fake link whose poll fd is an eventfd and whose process() "reads"
 * from a counter checks that a readable link is drained in batches within one iteration;
 * timers are ns_timers of a stack on the monotonic clock, checked to fire no earlier than
 * their deadline and not much later; stop and wake come from other threads. Time bounds
 * are generous (sanitizer builds, a loaded 2-core machine) but still catch a loop that
 * waits for the wrong deadline, never wakes, or spins on a dead fd.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "netstack/netstack.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static struct ns_stack *new_stack(void)
{
	struct ns_stack_config cfg;
	struct ns_stack *s;
	ns_stack_config_init(&cfg);
	assert_int_equal(ns_stack_new(&cfg, &s), NS_OK);
	return s;
}

/* ---------------------------------------------------------------- user fds */

struct fd_probe {
	int calls;
	uint32_t events;
	char got[16];
	int del_fd; /* if >= 0, delete this fd from inside the callback */
};

static void on_fd(struct ns_loop *l, int fd, uint32_t events, void *ctx)
{
	struct fd_probe *p = ctx;
	p->calls++;
	p->events = events;
	ssize_t n = read(fd, p->got, sizeof(p->got) - 1);
	if (n > 0)
		p->got[n] = '\0';
	if (p->del_fd >= 0)
		ns_loop_del_fd(l, p->del_fd);
}

static void test_add_fd_pipe(void **state)
{
	(void)state;
	struct ns_loop *l;
	int fds[2];
	struct fd_probe p = {.del_fd = -1};

	assert_int_equal(ns_loop_new(&l), NS_OK);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(ns_loop_add_fd(l, fds[0], EPOLLIN, on_fd, &p), NS_OK);
	assert_int_equal(ns_loop_add_fd(l, fds[0], EPOLLIN, on_fd, &p), NS_ERR_INVALID_ARGUMENT);

	/* Nothing to read: the iteration times out without a call. */
	assert_int_equal(ns_loop_run_once(l, 20), NS_OK);
	assert_int_equal(p.calls, 0);

	assert_int_equal(write(fds[1], "hi", 2), 2);
	assert_int_equal(ns_loop_run_once(l, 1000), NS_OK);
	assert_int_equal(p.calls, 1);
	assert_true(p.events & EPOLLIN);
	assert_string_equal(p.got, "hi");

	/* After del_fd the fd is no longer watched. */
	ns_loop_del_fd(l, fds[0]);
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(ns_loop_run_once(l, 20), NS_OK);
	assert_int_equal(p.calls, 1);

	/* Deleting an unknown fd is harmless; re-adding works. */
	ns_loop_del_fd(l, 12345);
	assert_int_equal(ns_loop_add_fd(l, fds[0], EPOLLIN, on_fd, &p), NS_OK);
	assert_int_equal(ns_loop_run_once(l, 1000), NS_OK);
	assert_int_equal(p.calls, 2);
	assert_string_equal(p.got, "x");

	assert_int_equal(ns_loop_add_fd(l, -1, EPOLLIN, on_fd, &p), NS_ERR_INVALID_ARGUMENT);
	ns_loop_free(l);
	close(fds[0]);
	close(fds[1]);
}

/* A callback may delete another fd that is ready in the same iteration: it is not called. */
static void test_del_fd_from_callback(void **state)
{
	(void)state;
	struct ns_loop *l;
	int a[2], b[2];
	struct fd_probe pa = {.del_fd = -1}, pb = {.del_fd = -1};

	assert_int_equal(ns_loop_new(&l), NS_OK);
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	pa.del_fd = b[0];
	pb.del_fd = a[0];
	assert_int_equal(ns_loop_add_fd(l, a[0], EPOLLIN, on_fd, &pa), NS_OK);
	assert_int_equal(ns_loop_add_fd(l, b[0], EPOLLIN, on_fd, &pb), NS_OK);
	assert_int_equal(write(a[1], "a", 1), 1);
	assert_int_equal(write(b[1], "b", 1), 1);
	assert_int_equal(ns_loop_run_once(l, 1000), NS_OK);
	/* Whichever ran first removed the other. */
	assert_int_equal(pa.calls + pb.calls, 1);
	assert_int_equal(ns_loop_run_once(l, 20), NS_OK);
	assert_int_equal(pa.calls + pb.calls, 1);
	ns_loop_free(l);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

/* ---------------------------------------------------------------- stop and wake */

struct stopper {
	struct ns_loop *l;
	unsigned delay_ms;
};

static void *stop_later(void *arg)
{
	struct stopper *st = arg;
	sleep_ms(st->delay_ms);
	ns_loop_stop(st->l);
	return NULL;
}

static void test_stop_from_thread(void **state)
{
	(void)state;
	struct ns_loop *l;
	pthread_t th;

	assert_int_equal(ns_loop_new(&l), NS_OK);
	struct stopper st = {.l = l, .delay_ms = 50};
	uint64_t t0 = now_ms();
	assert_int_equal(pthread_create(&th, NULL, stop_later, &st), 0);
	assert_int_equal(ns_loop_run(l), NS_OK); /* no fds, no timers: only stop ends it */
	uint64_t dt = now_ms() - t0;
	pthread_join(th, NULL);
	assert_true(dt >= 40);
	assert_true(dt < 2000);

	/* A stop before run makes the next run return at once; the loop can run again. */
	ns_loop_stop(l);
	t0 = now_ms();
	assert_int_equal(ns_loop_run(l), NS_OK);
	assert_true(now_ms() - t0 < 500);
	st.delay_ms = 10;
	assert_int_equal(pthread_create(&th, NULL, stop_later, &st), 0);
	assert_int_equal(ns_loop_run(l), NS_OK);
	pthread_join(th, NULL);
	ns_loop_free(l);
}

/* ---------------------------------------------------------------- timers */

struct timer_probe {
	struct ns_timer t;
	struct ns_loop *loop;
	uint64_t fired_ms;
	int fires;
	bool stop;
};

static void on_timer(struct ns_stack *s, struct ns_timer *t)
{
	(void)s;
	struct timer_probe *p = t->arg;
	p->fires++;
	p->fired_ms = now_ms();
	if (p->stop)
		ns_loop_stop(p->loop);
}

static void test_timer_fires_on_time(void **state)
{
	(void)state;
	struct ns_loop *l;
	struct ns_stack *s = new_stack();
	struct timer_probe p = {.stop = true};
	struct timer_probe early = {0};

	assert_int_equal(ns_loop_new(&l), NS_OK);
	assert_int_equal(ns_loop_add_stack(l, s), NS_OK);
	assert_int_equal(ns_loop_add_stack(l, s), NS_OK); /* twice is harmless */
	p.loop = l;
	ns_timer_init(&p.t, on_timer, &p);
	ns_timer_init(&early.t, on_timer, &early);
	uint64_t t0 = now_ms();
	ns_timer_arm_in(s, &p.t, 150 * NS_MSEC);
	ns_timer_arm_in(s, &early.t, 30 * NS_MSEC);
	assert_int_equal(ns_loop_run(l), NS_OK);
	assert_int_equal(p.fires, 1);
	assert_int_equal(early.fires, 1);
	assert_true(early.fired_ms - t0 >= 30);
	assert_true(p.fired_ms - t0 >= 150);
	assert_true(p.fired_ms - t0 < 150 + 500);
	assert_true(early.fired_ms <= p.fired_ms);

	/* A past deadline fires at the next iteration without waiting. */
	ns_timer_arm(s, &p.t, 0);
	p.stop = false;
	t0 = now_ms();
	assert_int_equal(ns_loop_run_once(l, 5000), NS_OK);
	assert_int_equal(p.fires, 2);
	assert_true(now_ms() - t0 < 1000);

	ns_loop_free(l);
	ns_stack_free(s);
}

struct armer {
	struct ns_loop *l;
	struct ns_stack *s;
	struct timer_probe *p;
};

static void *arm_later(void *arg)
{
	struct armer *a = arg;
	sleep_ms(30);
	ns_loop_lock(a->l);
	ns_timer_arm_in(a->s, &a->p->t, 20 * NS_MSEC);
	ns_loop_unlock(a->l);
	ns_loop_wake(a->l);
	return NULL;
}

/* The loop waits with no deadline; another thread arms a timer and wakes it. */
static void test_wake_rearms_deadline(void **state)
{
	(void)state;
	struct ns_loop *l;
	struct ns_stack *s = new_stack();
	struct timer_probe p = {.stop = true};
	pthread_t th;

	assert_int_equal(ns_loop_new(&l), NS_OK);
	assert_int_equal(ns_loop_add_stack(l, s), NS_OK);
	p.loop = l;
	ns_timer_init(&p.t, on_timer, &p);
	struct armer a = {.l = l, .s = s, .p = &p};
	uint64_t t0 = now_ms();
	assert_int_equal(pthread_create(&th, NULL, arm_later, &a), 0);
	assert_int_equal(ns_loop_run(l), NS_OK);
	pthread_join(th, NULL);
	assert_int_equal(p.fires, 1);
	assert_true(p.fired_ms - t0 >= 50);
	assert_true(p.fired_ms - t0 < 2000);
	ns_loop_free(l);
	ns_stack_free(s);
}

/* ---------------------------------------------------------------- links */

/* A link whose "frames" are a counter; its poll fd (an eventfd) is readable while any remain. */
struct fake_link {
	struct ns_link link;
	int efd;
	int pending;
	int calls;
	int max_budget;
};

static struct fake_link *to_fake(struct ns_link *l)
{
	return (struct fake_link *)l;
}
static uint32_t fk_mtu(struct ns_link *l)
{
	(void)l;
	return 1500;
}
static uint32_t fk_caps(struct ns_link *l)
{
	(void)l;
	return 0;
}
static uint16_t fk_hdr(struct ns_link *l)
{
	(void)l;
	return 0;
}
static enum ns_link_header fk_type(struct ns_link *l)
{
	(void)l;
	return NS_LINK_HDR_NONE;
}
static struct ns_mac fk_addr(struct ns_link *l)
{
	(void)l;
	struct ns_mac m = {{0}};
	return m;
}
static void fk_attach(struct ns_link *l, struct ns_link_dispatcher *d)
{
	l->disp = d;
}
static int fk_write(struct ns_link *l, struct ns_pkt **pkts, int n)
{
	(void)l;
	for (int i = 0; i < n; i++)
		ns_pkt_free(pkts[i]);
	return n;
}
static int fk_poll_fd(struct ns_link *l)
{
	return to_fake(l)->efd;
}
static int fk_process(struct ns_link *l, int budget)
{
	struct fake_link *f = to_fake(l);
	f->calls++;
	if (budget > f->max_budget)
		f->max_budget = budget;
	int n = f->pending < budget ? f->pending : budget;
	f->pending -= n;
	if (n > 0 && f->pending == 0) { /* drained: clear the eventfd */
		uint64_t v;
		assert_int_equal(read(f->efd, &v, sizeof(v)), (ssize_t)sizeof(v));
	}
	return n;
}
static void fk_destroy(struct ns_link *l)
{
	(void)l;
}

static const struct ns_link_ops fake_ops = {
    .kind = "fake",
    .mtu = fk_mtu,
    .caps = fk_caps,
    .max_header_len = fk_hdr,
    .header_type = fk_type,
    .link_addr = fk_addr,
    .attach = fk_attach,
    .write = fk_write,
    .poll_fd = fk_poll_fd,
    .process = fk_process,
    .destroy = fk_destroy,
};

static void test_link_drained_in_batches(void **state)
{
	(void)state;
	struct ns_loop *l;
	struct ns_stack *s = new_stack();
	struct fake_link f = {.link.ops = &fake_ops};

	f.efd = eventfd(0, EFD_NONBLOCK);
	assert_true(f.efd >= 0);
	assert_int_equal(ns_loop_new(&l), NS_OK);
	assert_int_equal(ns_loop_add_stack(l, s), NS_OK);
	/* The NIC is added after the stack: adding the stack again picks its link up. */
	assert_int_equal(ns_stack_add_nic(s, 1, &f.link, "fake0"), NS_OK);
	assert_int_equal(ns_loop_add_stack(l, s), NS_OK);

	assert_int_equal(ns_loop_run_once(l, 20), NS_OK);
	assert_int_equal(f.calls, 0);

	f.pending = 300;
	uint64_t one = 1;
	assert_int_equal(write(f.efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	assert_int_equal(ns_loop_run_once(l, 1000), NS_OK);
	/* 300 frames in one wake-up: 64 + 64 + 64 + 64 + 44. */
	assert_int_equal(f.pending, 0);
	assert_int_equal(f.calls, 5);
	assert_int_equal(f.max_budget, 64);

	/* After the NIC is removed the loop forgets its link. */
	assert_int_equal(ns_stack_remove_nic(s, 1), NS_OK);
	assert_int_equal(ns_loop_add_stack(l, s), NS_OK);
	f.pending = 10;
	assert_int_equal(write(f.efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	assert_int_equal(ns_loop_run_once(l, 20), NS_OK);
	assert_int_equal(f.calls, 5);

	ns_loop_free(l);
	ns_stack_free(s);
	close(f.efd);
}

/* A link fd stuck in error that yields no frames (a deleted TAP) is dropped, not spun on. */
static void test_dead_link_not_spun_on(void **state)
{
	(void)state;
	struct ns_loop *l;
	struct ns_stack *s = new_stack();
	struct fake_link f = {.link.ops = &fake_ops};
	int p[2];

	/* The write end of a pipe whose read end is closed polls as EPOLLERR forever. */
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	f.efd = p[1];
	assert_int_equal(ns_loop_new(&l), NS_OK);
	assert_int_equal(ns_stack_add_nic(s, 1, &f.link, "dead0"), NS_OK);
	assert_int_equal(ns_loop_add_stack(l, s), NS_OK);
	assert_int_equal(ns_loop_run_once(l, 1000), NS_OK);
	assert_int_equal(f.calls, 1);
	uint64_t t0 = now_ms();
	assert_int_equal(ns_loop_run_once(l, 50), NS_OK);
	assert_int_equal(f.calls, 1);
	assert_true(now_ms() - t0 >= 40); /* it waited instead of waking at once */

	ns_loop_free(l);
	ns_stack_free(s);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_fd_pipe),
	    cmocka_unit_test(test_del_fd_from_callback),
	    cmocka_unit_test(test_stop_from_thread),
	    cmocka_unit_test(test_timer_fires_on_time),
	    cmocka_unit_test(test_wake_rearms_deadline),
	    cmocka_unit_test(test_link_drained_in_batches),
	    cmocka_unit_test(test_dead_link_not_spun_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
