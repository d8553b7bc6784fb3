/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtier: the prefetcher's trend detection and window logic.
 *
 * Pure C with no kernel dependency: prefetch.c is built into the module
 * and into a userspace unit test that replays access traces
 * (selftests/prefetch_test.c).  The caller serialises calls on one
 * struct mtier_pf.
 *
 * Demand reads are fed in as (page, pages, hit).  Each read joins the
 * stream it continues best (several interleaved scans are told apart), and
 * each stream votes over its recent deltas for a majority trend, as Leap
 * does: the newest history/4 deltas first, doubling up to the whole
 * history until one delta holds more than half the votes.  A read that
 * starts where the last one ended counts as delta +1, one that ends where
 * the last one started as -1, whatever their lengths: a scan whose reads
 * vary in size (the kernel's swap readahead cuts a scan into reads of 3
 * and 5 pages, say) is one contiguous run, prefetched page by page from
 * the end of the read (the start, going down).  A run asks for nothing
 * beyond the end of its aligned 2 MiB block until it has itself crossed
 * one: the swap allocator hands out 2 MiB clusters, so a scan of swapped
 * memory is runs of at most a cluster, one here and the next elsewhere,
 * and reading on past a cluster's end fetches what nobody asked for.
 * Along a trend
 * the stream asks for a window of pages ahead of the read, never for the
 * same page twice.  The window follows the stream's hits: after a window
 * whose pages were used it grows to the next power of two above the hits
 * (up to window_max); when none were used it halves, down to zero, where
 * the stream only probes one page when the trend shows up again, each
 * failed probe doubling the reads it waits before the next (up to 64).
 * With no trend nothing is asked for, so random reads cost nothing.
 */
#ifndef _MTIER_PREFETCH_H
#define _MTIER_PREFETCH_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "user_types.h"		/* the unit test's u64, s64, u32, bool */
#endif

#define MTIER_PF_STREAMS	8	/* concurrent scans told apart */
#define MTIER_PF_HISTORY_MAX	256	/* deltas a stream remembers */
#define MTIER_PF_MAX_STRIDE	4096	/* pages: farther jumps start a stream */
#define MTIER_PF_BACKOFF_MAX	64	/* reads between probes of a paused stream */
#define MTIER_PF_BLOCK		512	/* pages: a run stays in its block... */

/* Prefetch policies: the uAPI's enum mtier_prefetch. */
enum {
	MTIER_PF_OFF,
	MTIER_PF_SEQUENTIAL,
	MTIER_PF_ADAPTIVE,
};

struct mtier_pf_stream {
	bool used;
	u64 stamp;		/* last access, for replacement */
	u64 last;		/* first page of the last read */
	u32 len;		/* pages of the last read */
	s64 deltas[MTIER_PF_HISTORY_MAX];
	u32 head;		/* next slot in deltas */
	u32 count;		/* deltas recorded, up to history */
	s64 trend;		/* majority delta, 0 when none */
	u32 window;		/* pages to keep ahead */
	u32 hits;		/* prefetched pages used since the last resize */
	u32 issued;		/* pages asked for since the last resize */
	u64 ahead;		/* next page along the trend not asked for yet */
	u64 mark;		/* where the current epoch ends */
	u32 backoff;		/* reads to let pass between probes */
	u32 wait;		/* reads still to let pass */
	bool crossed;		/* ...until it has run across a block's end */
};

struct mtier_pf {
	u32 policy;
	u32 window_max;
	u32 history;
	u64 clock;
	struct mtier_pf_stream s[MTIER_PF_STREAMS];
};

/*
 * Pages to prefetch: @len pages at start, start + stride, ... (@count
 * positions).  When |stride| == len they form one contiguous range.
 */
struct mtier_pf_req {
	u64 start;
	s64 stride;
	u32 count;
	u32 len;		/* pages at each position */
};

void mtier_pf_init(struct mtier_pf *pf, u32 policy, u32 window_max,
		   u32 history);
void mtier_pf_reset(struct mtier_pf *pf);
int mtier_pf_access(struct mtier_pf *pf, u64 page, u32 pages, bool hit,
		    struct mtier_pf_req *req);
void mtier_pf_throttle(struct mtier_pf *pf);

#endif /* _MTIER_PREFETCH_H */
