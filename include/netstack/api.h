/* SPDX-License-Identifier: MIT */
/* Symbol visibility: the library builds with -fvisibility=hidden; NS_API marks the public API. */
#ifndef NETSTACK_API_H
#define NETSTACK_API_H

#if defined(__GNUC__)
#define NS_API __attribute__((visibility("default")))
#else
#define NS_API
#endif

#endif
