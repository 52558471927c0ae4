/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: one epoll set drives any number of stacks and user fds.
 *
 * Every watched thing is a `struct watch` whose address is the epoll_event's data: the
 * eventfd that wakes the loop (ns_loop_stop, ns_loop_wake), each NIC link's poll fd (found
 * through ns_stack_nic_ids + ns_stack_nic_link + ns_link_poll_fd when a stack is added), and
 * the fds users add with ns_loop_add_fd. epoll is level-triggered, so a link that still has
 * frames after its batch budget simply reports again on the next iteration: one busy link
 * cannot starve the others or the timers.
 *
 * One iteration (ns_loop_run_once): under the lock, compute the wait from the earliest
 * ns_stack_next_deadline() of the stacks (rounded up to whole ms, -1 when no timer is armed);
 * release the lock and epoll_wait; take the lock again and handle what is ready: a link is
 * drained with ns_link_process(link, BATCH) until a call returns less than the budget (many
 * frames per wake-up) or MAX_ROUNDS batches ran; then every stack runs ns_stack_poll() so the
 * timers that are due fire and work queued during the batch goes out. The lock is held while
 * the loop processes and never while it waits, so another thread can ns_loop_lock(), touch a
 * stack, arm a timer and ns_loop_wake() to have the new deadline taken into account.
 *
 * A link whose fd reports EPOLLERR or EPOLLHUP and yields no frame is dead (a TAP whose
 * device was deleted reports EPOLLERR forever): the loop stops watching it rather than spin;
 * the application notices through its own watch of the fd (serve.c does) or its counters.
 *
 * Removal while events are in flight: ns_loop_del_fd (and forgetting a removed NIC's link)
 * unregisters from epoll at once but only marks the watch dead; dead watches are freed at the
 * end of the next processing pass, after every event that might still point at them has been
 * skipped. Functions other than stop/wake/lock/unlock must be called from the loop thread
 * (for instance from a callback) or with ns_loop_lock() held.
 *
 * ns_loop_stop() only sets a flag and writes the eventfd, both async-signal-safe, so a signal
 * handler may call it; errno is preserved.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "netstack/clock.h"
#include "netstack/link.h"
#include "netstack/loop.h"
#include "netstack/stack.h"

#define BATCH      64 /* frames per ns_link_process() call */
#define MAX_ROUNDS 16 /* batches per link per iteration before yielding to others */
#define MAX_EVENTS 64
#define MAX_NICS   64 /* NICs per stack the loop watches */

enum watch_kind {
	W_WAKE,
	W_LINK,
	W_FD,
};

struct watch {
	struct watch *next; /* ns_loop.watches or ns_loop.dead */
	enum watch_kind kind;
	bool dead;
	int fd;
	/* W_LINK */
	struct ns_stack *stack;
	struct ns_link *link;
	/* W_FD */
	ns_loop_fd_fn fn;
	void *ctx;
};

struct ns_loop {
	int epfd;
	int evfd;
	volatile sig_atomic_t stop;
	pthread_mutex_t mu;
	struct watch wake;
	struct watch *watches; /* live */
	struct watch *dead;    /* unregistered, freed after the next pass */
	struct ns_stack **stacks;
	size_t nstacks, stacks_cap;
};

ns_err ns_loop_new(struct ns_loop **out)
{
	struct ns_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NS_ERR_NO_MEMORY;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd < 0 || l->evfd < 0)
		goto fail;
	l->wake.kind = W_WAKE;
	l->wake.fd = l->evfd;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->wake};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->evfd, &ev) < 0)
		goto fail;
	if (pthread_mutex_init(&l->mu, NULL) != 0)
		goto fail;
	*out = l;
	return NS_OK;
fail:
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->evfd >= 0)
		close(l->evfd);
	free(l);
	return NS_ERR_IO;
}

static void free_list(struct watch *w)
{
	while (w) {
		struct watch *next = w->next;
		free(w);
		w = next;
	}
}

void ns_loop_free(struct ns_loop *l)
{
	if (!l)
		return;
	free_list(l->watches);
	free_list(l->dead);
	free(l->stacks);
	close(l->epfd);
	close(l->evfd);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* Unregister @w from epoll and move it to the dead list. */
static void watch_kill(struct ns_loop *l, struct watch *w)
{
	struct watch **pp = &l->watches;
	while (*pp && *pp != w)
		pp = &(*pp)->next;
	if (*pp)
		*pp = w->next;
	/* The fd may already be closed (a destroyed link): epoll dropped it then. */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = true;
	w->next = l->dead;
	l->dead = w;
}

static struct watch *watch_add(struct ns_loop *l, enum watch_kind kind, int fd, uint32_t events)
{
	struct watch *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->kind = kind;
	w->fd = fd;
	struct epoll_event ev = {.events = events, .data.ptr = w};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(w);
		return NULL;
	}
	w->next = l->watches;
	l->watches = w;
	return w;
}

static bool stack_has_link(struct ns_stack *s, struct ns_link *link)
{
	uint32_t ids[MAX_NICS];
	size_t n = ns_stack_nic_ids(s, ids, MAX_NICS);
	if (n > MAX_NICS)
		n = MAX_NICS;
	for (size_t i = 0; i < n; i++)
		if (ns_stack_nic_link(s, ids[i]) == link)
			return true;
	return false;
}

ns_err ns_loop_add_stack(struct ns_loop *l, struct ns_stack *s)
{
	bool known = false;
	for (size_t i = 0; i < l->nstacks; i++)
		known |= l->stacks[i] == s;
	if (!known) {
		if (l->nstacks == l->stacks_cap) {
			size_t cap = l->stacks_cap ? 2 * l->stacks_cap : 4;
			struct ns_stack **p = realloc(l->stacks, cap * sizeof(*p));
			if (!p)
				return NS_ERR_NO_MEMORY;
			l->stacks = p;
			l->stacks_cap = cap;
		}
		l->stacks[l->nstacks++] = s;
	}

	/* Forget links of NICs that are gone (or whose fd changed). */
	for (struct watch *w = l->watches, *next; w; w = next) {
		next = w->next;
		if (w->kind == W_LINK && w->stack == s &&
		    (!stack_has_link(s, w->link) || ns_link_poll_fd(w->link) != w->fd))
			watch_kill(l, w);
	}

	uint32_t ids[MAX_NICS];
	size_t n = ns_stack_nic_ids(s, ids, MAX_NICS);
	if (n > MAX_NICS)
		return NS_ERR_NO_BUFFER_SPACE;
	for (size_t i = 0; i < n; i++) {
		struct ns_link *link = ns_stack_nic_link(s, ids[i]);
		int fd = link ? ns_link_poll_fd(link) : -1;
		if (fd < 0)
			continue; /* a channel or loopback link: nothing to watch */
		bool have = false;
		for (struct watch *w = l->watches; w && !have; w = w->next)
			have = w->kind == W_LINK && w->link == link;
		if (have)
			continue;
		struct watch *w = watch_add(l, W_LINK, fd, EPOLLIN);
		if (!w)
			return NS_ERR_IO;
		w->stack = s;
		w->link = link;
	}
	return NS_OK;
}

ns_err ns_loop_add_fd(struct ns_loop *l, int fd, uint32_t events, ns_loop_fd_fn fn, void *ctx)
{
	if (fd < 0 || !fn)
		return NS_ERR_INVALID_ARGUMENT;
	for (struct watch *w = l->watches; w; w = w->next)
		if (w->fd == fd)
			return NS_ERR_INVALID_ARGUMENT; /* already watched (a user fd or a link's)
			                                 */
	struct watch *w = watch_add(l, W_FD, fd, events);
	if (!w)
		return NS_ERR_IO;
	w->fn = fn;
	w->ctx = ctx;
	return NS_OK;
}

void ns_loop_del_fd(struct ns_loop *l, int fd)
{
	for (struct watch *w = l->watches; w; w = w->next) {
		if (w->kind == W_FD && w->fd == fd) {
			watch_kill(l, w);
			return;
		}
	}
}

/* Milliseconds until the earliest stack deadline, rounded up; -1 if none. */
static int next_timeout(struct ns_loop *l)
{
	int best = -1;
	for (size_t i = 0; i < l->nstacks; i++) {
		struct ns_stack *s = l->stacks[i];
		uint64_t dl = ns_stack_next_deadline(s);
		if (dl == UINT64_MAX)
			continue;
		uint64_t now = ns_clock_now(ns_stack_clock(s));
		uint64_t ms = dl <= now ? 0 : (dl - now + NS_MSEC - 1) / NS_MSEC;
		int t = ms > INT_MAX ? INT_MAX : (int)ms;
		if (best < 0 || t < best)
			best = t;
	}
	return best;
}

/* Process up to MAX_ROUNDS batches; returns the frames handled. */
static int drain_link(struct watch *w)
{
	int total = 0;
	for (int round = 0; round < MAX_ROUNDS; round++) {
		int n = ns_link_process(w->link, BATCH);
		total += n > 0 ? n : 0;
		if (n < BATCH)
			break;
	}
	return total;
}

static void drain_wake(struct ns_loop *l)
{
	uint64_t v;
	while (read(l->evfd, &v, sizeof(v)) == sizeof(v))
		;
}

ns_err ns_loop_run_once(struct ns_loop *l, int timeout_ms)
{
	struct epoll_event evs[MAX_EVENTS];

	pthread_mutex_lock(&l->mu);
	int t = next_timeout(l);
	pthread_mutex_unlock(&l->mu);
	if (timeout_ms >= 0 && (t < 0 || timeout_ms < t))
		t = timeout_ms;
	if (l->stop)
		t = 0;

	int n = epoll_wait(l->epfd, evs, MAX_EVENTS, t);
	if (n < 0 && errno != EINTR)
		return NS_ERR_IO;

	pthread_mutex_lock(&l->mu);
	for (int i = 0; i < n; i++) {
		struct watch *w = evs[i].data.ptr;
		if (w->dead)
			continue;
		switch (w->kind) {
		case W_WAKE:
			drain_wake(l);
			break;
		case W_LINK:
			/* An fd in error that yields nothing (a TAP whose device was deleted)
			 * would wake every iteration: stop watching it. */
			if (drain_link(w) == 0 && (evs[i].events & (EPOLLERR | EPOLLHUP)))
				watch_kill(l, w);
			break;
		case W_FD:
			w->fn(l, w->fd, evs[i].events, w->ctx);
			break;
		}
	}
	/* Fire due timers and flush whatever the batch queued. */
	for (size_t i = 0; i < l->nstacks; i++)
		ns_stack_poll(l->stacks[i]);
	free_list(l->dead);
	l->dead = NULL;
	pthread_mutex_unlock(&l->mu);
	return NS_OK;
}

ns_err ns_loop_run(struct ns_loop *l)
{
	ns_err err = NS_OK;
	while (!l->stop) {
		err = ns_loop_run_once(l, -1);
		if (err != NS_OK)
			break;
	}
	l->stop = 0;
	return err;
}

void ns_loop_stop(struct ns_loop *l)
{
	l->stop = 1;
	ns_loop_wake(l);
}

void ns_loop_wake(struct ns_loop *l)
{
	int saved = errno;
	uint64_t one = 1;
	ssize_t r = write(l->evfd, &one, sizeof(one));
	(void)r; /* EAGAIN: the counter is already non-zero, the loop will wake anyway */
	errno = saved;
}

void ns_loop_lock(struct ns_loop *l)
{
	pthread_mutex_lock(&l->mu);
}

void ns_loop_unlock(struct ns_loop *l)
{
	pthread_mutex_unlock(&l->mu);
}
