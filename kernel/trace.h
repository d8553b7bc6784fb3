/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtier tracepoints: what the prefetcher decides and how the cache fares,
 * for perf and bpftrace (events mtier:*).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mtier

#if !defined(_MTIER_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MTIER_TRACE_H

#include <linux/tracepoint.h>

#include "mtier.h"
#include "prefetch.h"

TRACE_EVENT(mtier_prefetch,
	    TP_PROTO(struct mtier_tier *tier, u64 page,
		     const struct mtier_pf_req *req, bool dropped),
	    TP_ARGS(tier, page, req, dropped),
	    TP_STRUCT__entry(__string(tier, tier->obj.name)
			     __field(u64, page)
			     __field(u64, start)
			     __field(s64, stride)
			     __field(u32, count)
			     __field(u32, len)
			     __field(bool, dropped)),
	    TP_fast_assign(__assign_str(tier);
			   __entry->page = page;
			   __entry->start = req->start;
			   __entry->stride = req->stride;
			   __entry->count = req->count;
			   __entry->len = req->len;
			   __entry->dropped = dropped;),
	    TP_printk("tier=%s page=%llu start=%llu stride=%lld count=%u len=%u%s",
		      __get_str(tier), __entry->page, __entry->start,
		      __entry->stride, __entry->count, __entry->len,
		      __entry->dropped ? " dropped" : "")
);

TRACE_EVENT(mtier_cache_hit,
	    TP_PROTO(struct mtier_tier *tier, u64 page, u32 pages, bool late),
	    TP_ARGS(tier, page, pages, late),
	    TP_STRUCT__entry(__string(tier, tier->obj.name)
			     __field(u64, page)
			     __field(u32, pages)
			     __field(bool, late)),
	    TP_fast_assign(__assign_str(tier);
			   __entry->page = page;
			   __entry->pages = pages;
			   __entry->late = late;),
	    TP_printk("tier=%s page=%llu pages=%u%s", __get_str(tier),
		      __entry->page, __entry->pages,
		      __entry->late ? " late" : "")
);

TRACE_EVENT(mtier_cache_shrink,
	    TP_PROTO(struct mtier_tier *tier, unsigned long freed),
	    TP_ARGS(tier, freed),
	    TP_STRUCT__entry(__string(tier, tier->obj.name)
			     __field(unsigned long, freed)),
	    TP_fast_assign(__assign_str(tier);
			   __entry->freed = freed;),
	    TP_printk("tier=%s freed=%lu", __get_str(tier), __entry->freed)
);

/* Every demand read: "perf record -e mtier:mtier_read" records a trace. */
TRACE_EVENT(mtier_read,
	    TP_PROTO(struct mtier_tier *tier, u64 page, u32 pages),
	    TP_ARGS(tier, page, pages),
	    TP_STRUCT__entry(__string(tier, tier->obj.name)
			     __field(u64, page)
			     __field(u32, pages)),
	    TP_fast_assign(__assign_str(tier);
			   __entry->page = page;
			   __entry->pages = pages;),
	    TP_printk("tier=%s page=%llu pages=%u", __get_str(tier),
		      __entry->page, __entry->pages)
);

#endif /* _MTIER_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
