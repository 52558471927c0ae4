/* SPDX-License-Identifier: MIT */
/*
 * Error code names, messages and errno equivalents, generated from NS_ERR_MAP (err.h).
 *
 * Contract: every function returns a valid value for any input; a value outside the enum
 * gives "unknown error" / "UNKNOWN" / EINVAL.
 */
#include <errno.h>

#include "netstack/err.h"

#define MSG_(name, eno, msg) [NS_ERR_##name] = msg,
static const char *const err_msgs[NS_ERR_COUNT_] = {NS_ERR_MAP(MSG_)};
#undef MSG_

#define NAME_(name, eno, msg) [NS_ERR_##name] = #name,
static const char *const err_names[NS_ERR_COUNT_] = {NS_ERR_MAP(NAME_)};
#undef NAME_

#define ERRNO_(name, eno, msg) [NS_ERR_##name] = eno,
static const int err_errnos[NS_ERR_COUNT_] = {NS_ERR_MAP(ERRNO_)};
#undef ERRNO_

static int in_range(ns_err err)
{
	return (unsigned)err < (unsigned)NS_ERR_COUNT_;
}

const char *ns_strerror(ns_err err)
{
	return in_range(err) ? err_msgs[err] : "unknown error";
}

const char *ns_err_name(ns_err err)
{
	return in_range(err) ? err_names[err] : "UNKNOWN";
}

int ns_err_errno(ns_err err)
{
	return in_range(err) ? err_errnos[err] : EINVAL;
}
