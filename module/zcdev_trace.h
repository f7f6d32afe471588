/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zcdev's trace events (tracefs events/zcdev/): what the module did and
 * why it refused, for trace-cmd, perf and the selftests, in place of log
 * lines any user could trigger. Strings are fixed arrays rather than
 * __string(): __assign_str() changed its arguments in 6.10, and every
 * string here is a short literal.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM zcdev

#if !defined(_ZCDEV_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _ZCDEV_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>

#define ZCDEV_TRACE_OP_LEN	16
#define ZCDEV_TRACE_REASON_LEN	32

/*
 * A request refused: @op is the operation (ioctl name in lower case,
 * mmap, read, write, splice), @reason a snake_case word naming the rule
 * broken, @value the offending number where there is one (else 0).
 */
TRACE_EVENT(zcdev_refuse,
	    TP_PROTO(const char *op, int err, const char *reason, u64 value),
	    TP_ARGS(op, err, reason, value),
	    TP_STRUCT__entry(__array(char, op, ZCDEV_TRACE_OP_LEN)
			     __field(int, err)
			     __array(char, reason, ZCDEV_TRACE_REASON_LEN)
			     __field(u64, value)),
	    TP_fast_assign(strscpy(__entry->op, op, ZCDEV_TRACE_OP_LEN);
			   __entry->err = err;
			   strscpy(__entry->reason, reason, ZCDEV_TRACE_REASON_LEN);
			   __entry->value = value;),
	    TP_printk("op=%s err=%d reason=%s value=%llu", __entry->op,
		      __entry->err, __entry->reason, __entry->value)
);

DECLARE_EVENT_CLASS(zcdev_buf_class,
		    TP_PROTO(u32 handle, u32 kind, u64 len),
		    TP_ARGS(handle, kind, len),
		    TP_STRUCT__entry(__field(u32, handle)
				     __field(u32, kind)
				     __field(u64, len)),
		    TP_fast_assign(__entry->handle = handle;
				   __entry->kind = kind;
				   __entry->len = len;),
		    TP_printk("handle=%u kind=%u len=%llu", __entry->handle,
			      __entry->kind, __entry->len)
);

/* A buffer was created (ZCDEV_IOC_ALLOC). */
DEFINE_EVENT(zcdev_buf_class, zcdev_buf_create,
	     TP_PROTO(u32 handle, u32 kind, u64 len),
	     TP_ARGS(handle, kind, len));

/* A buffer's memory went back: its last handle, mapping or user is gone. */
DEFINE_EVENT(zcdev_buf_class, zcdev_buf_destroy,
	     TP_PROTO(u32 handle, u32 kind, u64 len),
	     TP_ARGS(handle, kind, len));

/* A DMA transfer was accepted: @runs descriptors moving @bytes. */
TRACE_EVENT(zcdev_dma_submit,
	    TP_PROTO(u64 id, u32 segs, u32 runs, u64 bytes),
	    TP_ARGS(id, segs, runs, bytes),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, segs)
			     __field(u32, runs)
			     __field(u64, bytes)),
	    TP_fast_assign(__entry->id = id;
			   __entry->segs = segs;
			   __entry->runs = runs;
			   __entry->bytes = bytes;),
	    TP_printk("id=%llu segs=%u runs=%u bytes=%llu", __entry->id,
		      __entry->segs, __entry->runs, __entry->bytes)
);

/*
 * A DMA transfer ended: @status is ZCDEV_DMA_* (1 done, 2 error,
 * 3 timed out, 4 cancelled), @latency_ns from submission to the end.
 */
TRACE_EVENT(zcdev_dma_end,
	    TP_PROTO(u64 id, u32 status, int error, u64 bytes, u64 latency_ns),
	    TP_ARGS(id, status, error, bytes, latency_ns),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, status)
			     __field(int, error)
			     __field(u64, bytes)
			     __field(u64, latency_ns)),
	    TP_fast_assign(__entry->id = id;
			   __entry->status = status;
			   __entry->error = error;
			   __entry->bytes = bytes;
			   __entry->latency_ns = latency_ns;),
	    TP_printk("id=%llu status=%u error=%d bytes=%llu latency_ns=%llu",
		      __entry->id, __entry->status, __entry->error, __entry->bytes,
		      __entry->latency_ns)
);

/* The socket accepted @bytes of a zero-copy send. */
TRACE_EVENT(zcdev_send,
	    TP_PROTO(u64 id, u32 handle, u64 offset, u64 bytes),
	    TP_ARGS(id, handle, offset, bytes),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, handle)
			     __field(u64, offset)
			     __field(u64, bytes)),
	    TP_fast_assign(__entry->id = id;
			   __entry->handle = handle;
			   __entry->offset = offset;
			   __entry->bytes = bytes;),
	    TP_printk("id=%llu handle=%u offset=%llu bytes=%llu", __entry->id,
		      __entry->handle, __entry->offset, __entry->bytes)
);

/*
 * The stack let go of the pages of sends @id .. @last_id (one send unless
 * ZCDEV_SEND_COALESCE joined more); @copied: it copied after all.
 */
TRACE_EVENT(zcdev_send_complete,
	    TP_PROTO(u64 id, u64 last_id, u64 bytes, bool copied),
	    TP_ARGS(id, last_id, bytes, copied),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u64, last_id)
			     __field(u64, bytes)
			     __field(bool, copied)),
	    TP_fast_assign(__entry->id = id;
			   __entry->last_id = last_id;
			   __entry->bytes = bytes;
			   __entry->copied = copied;),
	    TP_printk("id=%llu last_id=%llu bytes=%llu copied=%d", __entry->id,
		      __entry->last_id, __entry->bytes, __entry->copied)
);

#endif /* _ZCDEV_TRACE_H */

/* Out of tree: define_trace.h must find this file by path. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE zcdev_trace
#include <trace/define_trace.h>
