/* SPDX-License-Identifier: MIT */
/*
 * cmocka fixtures for unit tests that run without a stack (packet buffers, hashes, waiter
 * queues, software segmentation): the leak check alone. A test fails if it leaves a packet
 * buffer allocated: ns_pkt_live() must be back at its value from setup. Tests with a stack
 * use the harness's (harness.h), which checks endpoints and unread frames too.
 *
 *     cmocka_unit_test_setup_teardown(test_x, nt_pktleak_setup, nt_pktleak_teardown),
 */
#ifndef NS_TEST_PKTLEAK_H
#define NS_TEST_PKTLEAK_H

int nt_pktleak_setup(void **state);
int nt_pktleak_teardown(void **state);

#endif
