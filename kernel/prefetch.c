// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the prefetcher's trend detection and window logic; see
 * prefetch.h.  No kernel dependency: also built into a userspace test.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include "prefetch.h"

static s64 mtier_pf_abs(s64 v)
{
	return v < 0 ? -v : v;
}

static u32 mtier_pf_pow2_above(u32 v)
{
	u32 p = 1;

	while (p <= v && p < (1U << 30))
		p <<= 1;
	return p;
}

void mtier_pf_init(struct mtier_pf *pf, u32 policy, u32 window_max,
		   u32 history)
{
	memset(pf, 0, sizeof(*pf));
	pf->policy = policy;
	pf->window_max = window_max ? window_max : 1;
	pf->history = history < 4 ? 4 : history > MTIER_PF_HISTORY_MAX ?
		      MTIER_PF_HISTORY_MAX : history;
}

/* Forget every stream (the settings stay). */
void mtier_pf_reset(struct mtier_pf *pf)
{
	mtier_pf_init(pf, pf->policy, pf->window_max, pf->history);
}

/* Under memory pressure: every stream keeps at most half its window. */
void mtier_pf_throttle(struct mtier_pf *pf)
{
	int i;

	for (i = 0; i < MTIER_PF_STREAMS; i++)
		pf->s[i].window /= 2;
}

/* A trend of +1 or -1: contiguous reads, whatever their lengths. */
static bool mtier_pf_is_run(s64 trend)
{
	return trend == 1 || trend == -1;
}

/* Where a stream expects its next read to start. */
static u64 mtier_pf_expected(const struct mtier_pf_stream *s)
{
	if (!s->trend || s->trend == 1)
		return s->last + s->len;
	if (s->trend == -1)
		return s->last - s->len;	/* if the next is as long */
	return s->last + s->trend;
}

/*
 * The stream a read at @page continues: the one that expected it nearest,
 * among those it is not too far from.  NULL when it starts a new one.
 */
static struct mtier_pf_stream *mtier_pf_pick(struct mtier_pf *pf, u64 page)
{
	struct mtier_pf_stream *best = NULL;
	s64 best_dist = MTIER_PF_MAX_STRIDE + 1;
	int i;

	for (i = 0; i < MTIER_PF_STREAMS; i++) {
		struct mtier_pf_stream *s = &pf->s[i];
		s64 dist;

		if (!s->used ||
		    mtier_pf_abs((s64)(page - s->last)) > MTIER_PF_MAX_STRIDE)
			continue;
		dist = mtier_pf_abs((s64)(page - mtier_pf_expected(s)));
		if (dist < best_dist) {
			best = s;
			best_dist = dist;
		}
	}
	return best;
}

/* A new stream in the least recently used slot. */
static void mtier_pf_start(struct mtier_pf *pf, u64 page, u32 pages)
{
	struct mtier_pf_stream *s = &pf->s[0];
	int i;

	for (i = 1; i < MTIER_PF_STREAMS && s->used; i++)
		if (!pf->s[i].used || pf->s[i].stamp < s->stamp)
			s = &pf->s[i];
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->stamp = pf->clock;
	s->last = page;
	s->len = pages;
}

/*
 * Boyer-Moore majority vote over the newest @n deltas: the candidate, if
 * it really holds more than half of them.
 */
static bool mtier_pf_vote(const struct mtier_pf_stream *s, u32 history, u32 n,
			  s64 *trend)
{
	s64 cand = 0;
	u32 i, votes = 0, idx;

	for (i = 0; i < n; i++) {
		idx = (s->head + history - 1 - i) % history;
		if (!votes) {
			cand = s->deltas[idx];
			votes = 1;
		} else if (s->deltas[idx] == cand) {
			votes++;
		} else {
			votes--;
		}
	}
	for (i = 0, votes = 0; i < n; i++) {
		idx = (s->head + history - 1 - i) % history;
		votes += s->deltas[idx] == cand;
	}
	if (2 * votes <= n)
		return false;
	*trend = cand;
	return true;
}

/* The stream's trend: newest history/4 deltas, doubling to the whole. */
static s64 mtier_pf_trend(const struct mtier_pf *pf,
			  const struct mtier_pf_stream *s)
{
	u32 n = pf->history / 4;
	s64 trend;

	if (s->count < 2)
		return 0;
	if (n < 2)
		n = 2;
	for (;; n *= 2) {
		if (n > s->count)
			n = s->count;
		if (mtier_pf_vote(s, pf->history, n, &trend))
			break;
		if (n == s->count)
			return 0;
	}
	if (pf->policy == MTIER_PF_SEQUENTIAL && trend != 1)
		return 0;
	return trend;
}

/*
 * Resize the window once the stream has read what the last window held:
 * grow to the power of two above the hits, never below half; no hits
 * halves it, down to zero.
 */
static void mtier_pf_resize(struct mtier_pf *pf, struct mtier_pf_stream *s)
{
	u32 w;

	if (!s->issued)
		return;
	if (s->hits) {
		w = mtier_pf_pow2_above(s->hits);
		if (w < s->window / 2)
			w = s->window / 2;
	} else {
		w = s->window / 2;
	}
	s->window = w > pf->window_max ? pf->window_max : w;
	/* Nothing used: probe again only after more and more reads. */
	if (!s->window)
		s->backoff = s->backoff ? 2 * s->backoff : 1;
	if (s->backoff > MTIER_PF_BACKOFF_MAX)
		s->backoff = MTIER_PF_BACKOFF_MAX;
	if (s->hits)
		s->backoff = 0;
	s->wait = s->backoff;
	s->hits = 0;
	s->issued = 0;
}

/**
 * mtier_pf_access - feed a demand read, learn what to prefetch
 * @pf: the prefetcher
 * @page: the read's first page
 * @pages: its length in pages
 * @hit: it was served from prefetched pages
 * @req: filled with what to prefetch
 *
 * Return: the number of positions in @req (0: prefetch nothing).
 */
int mtier_pf_access(struct mtier_pf *pf, u64 page, u32 pages, bool hit,
		    struct mtier_pf_req *req)
{
	struct mtier_pf_stream *s;
	u64 first, last, base;
	s64 trend, delta;
	u32 count, len;

	req->count = 0;
	if (pf->policy == MTIER_PF_OFF || !pages)
		return 0;
	pf->clock++;
	s = mtier_pf_pick(pf, page);
	if (!s) {
		mtier_pf_start(pf, page, pages);
		return 0;
	}
	delta = (s64)(page - s->last);
	if (!delta && pages == s->len)
		return 0;	/* the same read again */
	if (page == s->last + s->len)
		delta = 1;	/* on from where the last read ended */
	else if (page + pages == s->last)
		delta = -1;	/* down to where the last read began */
	if (mtier_pf_is_run(delta) &&
	    page / MTIER_PF_BLOCK != s->last / MTIER_PF_BLOCK)
		s->crossed = true;
	s->stamp = pf->clock;
	s->deltas[s->head] = delta;
	s->head = (s->head + 1) % pf->history;
	if (s->count < pf->history)
		s->count++;
	s->last = page;
	s->len = pages;
	if (hit)
		s->hits++;

	trend = mtier_pf_trend(pf, s);
	if (trend != s->trend) {
		/* A new direction: what was ahead of the old one is not. */
		s->trend = trend;
		s->ahead = 0;
	}
	if (!trend)
		return 0;

	/*
	 * An epoch ends when the reads reach the last page its window asked
	 * for: then the hits tell how useful the window was.
	 */
	if (s->issued && (trend > 0 ? page >= s->mark : page <= s->mark))
		mtier_pf_resize(pf, s);
	if (!s->window) {
		/* Paused: probe one step when the trend holds, now and then. */
		if (delta != trend)
			return 0;
		if (s->wait) {
			s->wait--;
			return 0;
		}
		s->window = 1;
	}

	/*
	 * Positions base + trend * k not asked for yet, up to a window of
	 * reads like this one ahead: for a stride, reads as long as this one
	 * at each step; for a run, the pages on from the read's far end.
	 */
	base = trend == 1 ? page + pages - 1 : page;
	len = mtier_pf_is_run(trend) ? 1 : pages;
	first = base + trend;
	last = base + trend * (s64)s->window * (s64)(pages / len);
	if (mtier_pf_is_run(trend) && !s->crossed) {
		u64 edge = trend > 0 ? (base / MTIER_PF_BLOCK + 1) * MTIER_PF_BLOCK - 1 :
			   page / MTIER_PF_BLOCK * MTIER_PF_BLOCK;

		if (trend > 0 ? last > edge : last < edge)
			last = edge;
	}
	if (s->ahead && (trend > 0 ? s->ahead > first : s->ahead < first))
		first = s->ahead;
	if (trend > 0 ? first > last : first < last)
		return 0;
	count = (u32)((s64)(last - first) / trend) + 1;
	s->ahead = first + trend * (s64)count;
	if (!s->issued)
		s->mark = last;		/* a new epoch */
	s->issued += count * len;
	req->start = first;
	req->stride = trend;
	req->count = count;
	req->len = len;
	return count;
}
