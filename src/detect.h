/* detect: decide whether one audit event is drift against the state index, and how. */
#ifndef TFDRIFT_DETECT_H
#define TFDRIFT_DETECT_H

#include "conf.h"
#include "event.h"
#include "eventmap.h"
#include "finding.h"
#include "state_index.h"

/* Why an event made no finding (the Events view and `scan --explain` show it). */
enum nodrift {
	ND_DRIFT = 0,         /* it did make findings */
	ND_READ_ONLY,
	ND_FAILED,            /* errorCode / non-zero status.code */
	ND_TERRAFORM,         /* the Terraform pipeline made it */
	ND_SERVICE,           /* an AWS service principal / GCP system actor */
	ND_NOT_COVERED,       /* no event map entry */
	ND_EQUAL,             /* the new value equals the state's */
	ND_NOT_MANAGED,       /* deleting / changing something no state manages, nothing to report */
	ND_DUPLICATE,         /* event id (or GCP operation) already seen */
	ND_NO_ID,             /* the record does not name the resource */
	ND_DEFERRED,          /* a GCP operation's last entry, held until its first one comes */
	ND__COUNT
};
const char *nodrift_name(enum nodrift n);

struct detector;
struct freeze_window;
/* The detector borrows `map` and `conf`; it takes a reference on `ix`. Not thread-safe: one
 * detector per thread. The config's freeze windows (conf->freezes) always apply. */
struct detector *detector_new(const struct eventmap *map, struct state_index *ix,
    const struct conf *conf);
/*
 * Change freezes. The windows that apply besides the config's: `scan --freeze`, the store's
 * (`tfdrift freeze add`), the dashboard's ad hoc ones. Each call replaces the previous set
 * (n 0 clears it) with copies, so the caller keeps its own. Call it on the detector's thread
 * (the UI hands its windows over through the replay queue); it takes effect from the next
 * event.
 *
 * In a window (freeze.h says when an event is in one), an event that is a write (not
 * read-only), succeeded, and was made by neither the Terraform pipeline nor a cloud service
 * (nor is a console sign-in) gives ONE freeze_violation finding: severity from
 * `severity_freeze_violation` (default high), the window in finding->freeze_*, the resource
 * when the map and state name one, summary "<EventName> during change freeze <name>", id from
 * event id + window name + kind. It does so even when the event changes nothing managed, no
 * event map covers it, or the new value equals state. Its modified/unmanaged/deleted findings
 * whose resource type the window takes in rank one severity higher (capped at critical) and
 * carry the window too. With several windows, the first (config order, then this set's
 * order) that takes the event in is named. detect_event then returns ND_DRIFT.
 */
void detector_set_freezes(struct detector *d, const struct freeze_window *w, size_t n);
/* Rules (rules.h) applied to each finding as it is made, with its event and state instance:
 * matched rules are listed on it and set its severity (a freeze window then still raises
 * it one step). Takes a reference on r (NULL: none); the set is shared, never changed. */
struct rules;
void detector_set_rules(struct detector *d, const struct rules *r);
/* Called with the detector's index on every new finding (e.g. enrich_finding_from_state:
 * tags, blast radius, fix), on the detector's thread; NULL: none. */
void detector_set_enrich(struct detector *d, void (*fn)(const struct state_index *ix,
    struct finding *f));
/* Swap in a refreshed state index (takes a reference, drops the old one). */
void detector_set_index(struct detector *d, struct state_index *ix);
void detector_free(struct detector *d);
/*
 * Appends the event's findings (zero or more) to `out`; returns why not, or ND_DRIFT.
 *
 * The drift lifecycle. The detector tracks every open finding it makes (and those given to
 * detector_track) by resource (the address, else TYPE:ID) and attribute, with what puts each
 * attribute back: the state's value, or the set members added or removed. Every later
 * successful write event on the resource (whoever made it; failed, read-only and duplicate
 * events never count) is compared: when every attribute a finding drifted is back, the
 * finding resolves, reverted_by_terraform when the event is the pipeline's, else
 * reverted_by_hand. A pipeline delete resolves the resource's findings as resource_gone;
 * anyone else deleting an unmanaged resource reverts its findings by hand; re-creating a
 * deleted one reverts the deletion. A finding whose attributes only partly came back, or
 * whose values the log does not give (redacted, masked), stays open; computed attributes
 * (event map `computed: true`) are never drift and never keep one open.
 *
 * Contract for consumers: a resolution is handed out in `out` as a finding with the SAME id
 * as the one handed out before, status ST_RESOLVED and its resolution set (a copy; ownership
 * passes). A consumer updates the finding it has with that id rather than adding one. The
 * detector never hands out a new finding that is already resolved, so status ST_RESOLVED in
 * `out` always means "update". Resolutions come before the event's own new findings.
 */
enum nodrift detect_event(struct detector *d, const struct event *ev, struct finding_list *out);
/* The lifecycle is on by default; off, the detector tracks and resolves nothing (what
 * findings it makes is the same). For benchmarks: the cost of the lifecycle alone. Set it
 * before the first event. */
void detector_set_lifecycle(struct detector *d, int on);
/* Track an open finding made elsewhere (the store's, for `scan --store` and `watch`), so that
 * later events resolve it too. A copy is kept; freeze violations are not tracked; a finding
 * already tracked (same id) is not tracked twice. A resolved finding given here is
 * remembered as resolved: like every finding the detector resolved, it is never handed out
 * open again when its event is read again (a backfill). An event logged before a finding's
 * own event never resolves it (a log read newest first). */
void detector_track(struct detector *d, const struct finding *f);
/* How many open findings the detector tracks. */
size_t detector_open_count(const struct detector *d);
/*
 * A newer state. A modified or deleted finding whose state (lineage, serial: the finding's
 * state_lineage/state_serial) has a newer version in ix (same lineage, higher serial; never
 * merely another file) resolves: resource_gone when that state lacks its address,
 * accepted_in_state when it holds the new value of every attribute the finding drifted (the
 * members added, not the members removed). An unmanaged finding whose resource a state of ix
 * now manages is accepted_in_state. `at` is at_ms, when the states were read; no event or
 * actor. Findings that are resolved, freeze violations or only "touched" stay as they are.
 *
 * detector_reevaluate: fv[0..n) (e.g. the store's open findings) resolved in place; returns
 * how many. detector_refresh: swap in ix (as detector_set_index), then the tracked findings
 * it resolves are appended to out (the consumer contract above); returns how many.
 */
size_t detector_reevaluate(const struct detector *d, const struct state_index *ix,
    struct finding **fv, size_t n, int64_t at_ms);
size_t detector_refresh(struct detector *d, struct state_index *ix, int64_t at_ms,
    struct finding_list *out);
/* The resource an event touches, as store_resource_key names it (the managed address, else
 * TYPE:ID), whoever made it and whatever came of it; NULL when the maps name none. For the
 * dashboard's per-resource history (the Terraform applies and failed calls on a resource
 * too). Heap string. On the detector's thread. */
char *detector_resource_key(struct detector *d, const struct event *ev);
/* The same, but an unmanaged resource of an "any type" entry (tags) is ":ID", as
 * store_resource_key names the finding it makes: the key the store keeps an event under
 * (store_put_events), so that every event a map names is kept. */
char *detector_seen_key(struct detector *d, const struct event *ev);
/*
 * What an event does to the managed resources it names, found as detect_event finds them
 * (the same map entries in order, ids and state lookups) but whoever made it and whatever
 * came of it, for `tfdrift blame`: fn is called once per (entry, instance) with the entry's
 * action (EM_DELETE for the separate resource a set_remove takes away, covered_by) and the
 * part of the event it came from (the event, or for a batch one element of it: the values to
 * read). Returns the number of calls. On the detector's thread.
 */
size_t detector_each_instance(struct detector *d, const struct event *ev,
    void (*fn)(void *ctx, const struct event *part, const struct em_entry *e,
    enum em_action action, const struct tf_instance *in), void *ctx);
/* The canonical new value (value.h) the event gives attribute a of instance in, as detection
 * compares it: a new reference, or NULL; *present says whether the record carries it. */
json_object *detect_attr_new_value(const struct em_attr *a, const struct event *ev,
    const struct tf_instance *in, int *present);
/*
 * GCP operations seen by their last entry first. A long-running operation logs a first entry
 * (the request: its finding comes from it) and a last one; a log read newest first, or a first
 * entry ingested late, brings the last one first. detect_event holds it (ND_DEFERRED) until
 * one of these decides it, the same way in every path (scan, watch, the dashboard):
 *   - its first entry comes: the first entry makes the finding, the last is a duplicate;
 *   - its input moves `hold` past it in the log's own time: a later GCP write event of the
 *     same input at or after its time + hold (detect_event), or the input's watermark
 *     (detector_advance: every event before upto_ms was handed over) at or after it. Then it
 *     is decided alone, as if it were the first;
 *   - its input ends (detector_advance with INT64_MAX; detector_flush for every input).
 * Held entries are decided oldest first, so which one reports a resource does not depend on
 * when they became due. `hold` is the config's gcp_operation_hold (DETECT_HOLD_MS).
 */
#define DETECT_HOLD_MS (10 * 60 * 1000)
/* Which input (a collector; 0 is scan's one input) the next events come from. */
void detector_set_input(struct detector *d, unsigned input);
int64_t detector_hold_ms(const struct detector *d);
/* How many of the findings the last detect_event appended came first from held entries it
 * made due (not from the event itself), so a caller can tell them apart. */
size_t detector_last_held(const struct detector *d);
/* Decide input's held entries due at upto_ms (INT64_MAX: all of them, the input ended);
 * their findings are appended to out. Returns how many entries were decided. */
size_t detector_advance(struct detector *d, unsigned input, int64_t upto_ms,
    struct finding_list *out);
/* The end of every input: decide everything held. Returns how many. */
size_t detector_flush(struct detector *d, struct finding_list *out);
/* Persisting held entries with a collector's cursor, so that a restart decides what a crash
 * interrupted. save: input's held entries as JSON text (heap), NULL when none. restore: hold
 * them again for input (skipping operations already held or decided); the number restored,
 * or -1 with *err for text that is not a saved list. */
size_t detector_held_count(const struct detector *d, unsigned input);
char *detector_held_save(const struct detector *d, unsigned input);
int detector_held_restore(struct detector *d, unsigned input, const char *text, char **err);

struct detect_stats {
	uint64_t events;
	uint64_t by_reason[ND__COUNT];
	uint64_t findings[FK__COUNT];
	uint64_t resolved[RR__COUNT];   /* findings the detector resolved, by reason */
};
const struct detect_stats *detector_stats(const struct detector *d);

/* What entry e reads in ev, exactly as detection reads it, for the map checks (tests/maps):
 * the resource ids it names (the first id path that names something, transformed and
 * normalized; heap strings in ids[0..n), returns n; for an sg_rule entry whose record names
 * no rule id, its rules as detection names them), and attribute a's value as the event logs
 * it (a new reference; NULL when absent; a constant `value:` counts). */
size_t detector_entry_ids(const struct em_entry *e, const struct event *ev, char **ids, size_t max);
json_object *detector_attr_event(const struct em_attr *a, const struct event *ev);

#endif
