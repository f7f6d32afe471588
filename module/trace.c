// SPDX-License-Identifier: GPL-2.0
/*
 * The one place the trace events are instantiated, and the refusal helper
 * every check uses: a refused request is a trace event, not a log line,
 * because any user who may open /dev/zcdev can trigger one at will.
 */
#define CREATE_TRACE_POINTS
#include "zcdev_trace.h"

#include "zcdev.h"

int zcdev_refuse(const char *op, int err, const char *reason, u64 value)
{
	trace_zcdev_refuse(op, err, reason, value);
	return err;
}
