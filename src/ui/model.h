/* model: the findings the dashboard shows (main thread only). Findings are kept in arrival
 * order; the visible rows are rebuilt from them (filter, sort) and the selection is kept by
 * finding id, so it stays on the same finding while new ones arrive.
 *
 * A rebuild costs O(n), not a sort: the model keeps every finding in time order (a private
 * index of sort keys), merges new arrivals into it, and derives the severity order from the
 * time order with a stable bucket pass. The keys hold copies of each finding's status and
 * severity, so a rebuild reads no finding the filter does not ask about: after statuses or
 * severities change in place (triage) call model_restatus; a finding replaced (model_replace)
 * is noticed; if an id or event time changes in place, call model_invalidate before the next
 * rebuild. The findings in all.v are compact ones (compact.h) the model made: put none there
 * directly (model_add, model_replace), free none with finding_free. */
#ifndef TFDRIFT_UI_MODEL_H
#define TFDRIFT_UI_MODEL_H

#include <stddef.h>
#include "finding.h"
#include "compact.h"
#include "filter.h"

/* Rows newest first (time), worst first (severity, then newest), or by a comparator. */
enum model_sort { SORT_TIME = 0, SORT_SEVERITY, SORT_CUSTOM };

struct model_index;

struct model {
	struct finding_list all;        /* owned, arrival order */
	size_t *rows;                   /* indexes into all.v of the visible rows */
	size_t nrows, rows_cap;
	char sel_id[33];                /* selected finding id ("" none) */
	size_t sel;                     /* index into rows (valid when nrows > 0) */
	size_t top;                     /* first row shown */
	enum model_sort sort;
	int reverse;                    /* the rows in the opposite order */
	/* SORT_CUSTOM: a comparator (ties keep the time order). The model keeps every finding
	 * in its order and merges arrivals in, so bump cmp_gen whenever it orders differently
	 * (another column): then it sorts again. */
	int (*cmp)(void *ctx, const struct finding *a, const struct finding *b);
	void *cmp_ctx;
	unsigned cmp_gen;
	int show_suppressed;
	int show_resolved;              /* resolved findings are hidden unless set */
	/* Filter hook (text filter, timeline bucket): 1 keeps the finding. Its answer for a
	 * finding is kept until filter_gen changes: bump filter_gen whenever the answer may
	 * change for findings already in the model (a new query, a bucket, a triage). */
	int (*filter)(void *ctx, const struct finding *f, uint32_t words_found);
	/* Optional: what the finding's enums and event time (kept beside the sort keys) decide
	 * of filter's answer, without reading the finding: 0 drop, 1 keep, -1 ask filter.
	 * It must agree with filter. */
	int (*filter_enums)(void *ctx, const struct filter_enums *e, uint32_t words_found);
	void *filter_ctx;
	unsigned filter_gen;
	/* The filter's free words (lower case, at most 32; set them with filter_gen): the model
	 * finds them in every finding's search text (filter_haystack, kept in one arena) with
	 * one scan per word, and hands the filter a mask: bit i set when words[i] is there. */
	const char *const *words;
	size_t nwords;
	int keep_hay;                   /* make each search text as the finding arrives */
	size_t count[ST__COUNT][SEV__COUNT];    /* [status][severity] over all findings */
	unsigned replaced;              /* bumped by model_replace (views cache by it) */
	struct model_index *ix;         /* private to model.c: the sort keys in time order */
	/* The findings are compact (compact.h): their strings interned here, their change
	 * values and tags parsed on demand (model_load) and dropped by model_unload_all. */
	struct strpool pool;
	struct finding **loaded;
	size_t nloaded, loaded_cap;
};

void model_init(struct model *m);
void model_free(struct model *m);
/* Take ownership of a finding: the model keeps a compact copy of it (compact.h) and frees
 * it, so a caller must not use f after (read m->all.v instead). Call model_rebuild after a batch. A resolved finding whose
 * id the model has already replaces that one (a resolution, detect.h). */
void model_add(struct model *m, struct finding *f);
/* The all.v index of a finding with this id, or (size_t)-1. */
size_t model_find(struct model *m, const char *id);
/* A newer version of the finding at all.v[idx] (the same id: resolved since, say): f takes
 * its place and the old one is freed. Anything that borrowed from the old one must be made
 * again: views cache by m->replaced. Call model_rebuild after. */
void model_replace(struct model *m, size_t idx, struct finding *f);
/* The change values and tags of one of the model's findings (a compact one: they are NULL
 * until loaded), parsed until model_unload_all; no-op for a finding the model does not
 * own. Views call it before they read them (the detail pane, a copy as JSON). */
void model_load(struct model *m, const struct finding *f);
/* Drop the values model_load parsed (at a point where nothing borrows them). */
void model_unload_all(struct model *m);
/* Rebuild rows and counts; keeps the selection on sel_id when it is still visible.
 * Rows are newest first (SORT_TIME), or worst severity first and then newest
 * (SORT_SEVERITY); ties by id, then by arrival. Any change of sort, filter,
 * show_suppressed, show_resolved or a finding's status shows after it. */
void model_rebuild(struct model *m);
/* Forget the time order: the next rebuild sorts every finding again. Needed only when a
 * finding's id or event time was changed in place. */
void model_invalidate(struct model *m);
/* The worst severity of the findings still drifted (not suppressed, not resolved) in each
 * of n buckets of bucket_ms from from_ms; -1 when none, MODEL_RESOLVED_ONLY when the bucket's
 * drift has all resolved: the timeline's colours. Reads only the keys in the window. */
#define MODEL_RESOLVED_ONLY (-2)
void model_worst_in(struct model *m, int64_t from_ms, int64_t bucket_ms, size_t n,
    signed char *worst);
/* Statuses or severities changed in place (a triage decision, a suppression that lapsed):
 * take them again. */
void model_restatus(struct model *m);
/* Where the finding with this id is in the rows, or (size_t)-1. */
size_t model_row_of(const struct model *m, const char *id);
/* The selected finding, or NULL. */
struct finding *model_selected(const struct model *m);
/* Move the selection by delta rows (clamped), or to an absolute row. */
void model_move(struct model *m, long delta);
void model_select_row(struct model *m, size_t row);
/* Keep the selection inside a window of `height` rows starting at m->top. */
void model_scroll_into_view(struct model *m, size_t height);

#endif
