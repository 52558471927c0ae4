/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one thread drives one or more stacks with epoll. It watches every NIC's
 * link fd, drains frames in batches, fires the stacks' timers at their deadlines, and wakes
 * through an eventfd when another thread stops it or posts work. Other threads that touch a
 * stack take ns_loop_lock() first.
 *
 * Apps with their own loop skip this module: watch ns_link_poll_fd() of each link, call
 * ns_link_process() when readable, and ns_stack_poll() at ns_stack_next_deadline().
 */
#ifndef NETSTACK_LOOP_H
#define NETSTACK_LOOP_H

#include <stdint.h>

#include "netstack/api.h"
#include "netstack/err.h"

struct ns_stack;
struct ns_loop;

typedef void (*ns_loop_fd_fn)(struct ns_loop *l, int fd, uint32_t events, void *ctx);

NS_API ns_err ns_loop_new(struct ns_loop **out);
NS_API void ns_loop_free(struct ns_loop *l);
/** ns_loop_add_stack() - Drive @s: watch the fds of its NICs' links as they are now (call
 * again after adding NICs) and run its timers. */
NS_API ns_err ns_loop_add_stack(struct ns_loop *l, struct ns_stack *s);
/** ns_loop_add_fd() - Call @fn when @fd has any of @events (EPOLLIN...). */
NS_API ns_err ns_loop_add_fd(struct ns_loop *l, int fd, uint32_t events, ns_loop_fd_fn fn,
                             void *ctx);
NS_API void ns_loop_del_fd(struct ns_loop *l, int fd);
/** ns_loop_run() - Run until ns_loop_stop(). */
NS_API ns_err ns_loop_run(struct ns_loop *l);
/** ns_loop_run_once() - One iteration: wait at most @timeout_ms (-1: until work). */
NS_API ns_err ns_loop_run_once(struct ns_loop *l, int timeout_ms);
/** ns_loop_stop() - Make ns_loop_run() return; safe from any thread and signal handlers. */
NS_API void ns_loop_stop(struct ns_loop *l);
/** ns_loop_lock()/ns_loop_unlock() - Exclude the loop thread while another thread uses a
 * stack the loop drives. */
NS_API void ns_loop_lock(struct ns_loop *l);
NS_API void ns_loop_unlock(struct ns_loop *l);
/** ns_loop_wake() - Make the loop re-evaluate deadlines now (after arming timers from
 * another thread). */
NS_API void ns_loop_wake(struct ns_loop *l);

#endif
