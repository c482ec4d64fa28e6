/* cmd_scan: tfdrift scan, recorded audit events against Terraform state. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmdtab.h"
#include "conf.h"
#include "detect.h"
#include "enrich.h"
#include "event.h"
#include "eventmap.h"
#include "freeze.h"
#include "notify.h"
#include "output.h"
#include "rules.h"
#include "state_index.h"
#include "store.h"
#include "text.h"
#include "tfstate.h"
#include "util.h"

#define MAX_WARNINGS_PER_FILE EV_WARN_SHOWN   /* duplicate addresses in the states */

static int
is_remote(const char *src)
{
	return strstr(src, "://") != NULL;
}

/* scan's findings written as they are made, when nothing needs them all at the end: jsonl,
 * text and csv without --store or --notify (the json document is sorted by time; the store
 * saves and triages the whole list; notify sends it). Memory then does not grow with them. */
struct scan_out {
	struct out_stream *s;   /* NULL: the findings are kept for the end */
	size_t n;               /* written */
	size_t nstatus[ST__COUNT];
};

/* Write, count and free the findings made so far; nothing when they are kept. */
static void
scan_emit(struct scan_out *so, struct finding_list *found)
{
	size_t i;

	if (so->s == NULL)
		return;
	for (i = 0; i < found->n; i++) {
		/* A resolution updates a finding written before (detect.h): written again, with
		 * status resolved; counted as resolved instead of open. */
		if (found->v[i]->status == ST_RESOLVED && so->nstatus[ST_OPEN] > 0)
			so->nstatus[ST_OPEN]--;
		else
			so->n++;
		so->nstatus[found->v[i]->status]++;
		output_add(so->s, found->v[i]);        /* a write error is reported at close */
		finding_free(found->v[i]);
	}
	found->n = 0;
}

/* Before an events input is read again (which may wait on a pipe): what is written goes
 * out, so a consumer of a stream sees findings as they are made. */
static void
scan_flush(void *ctx)
{
	struct scan_out *so = ctx;

	if (so->s != NULL)
		output_flush(so->s);
}

/* scan --store: the write events that touched a resource (or made findings) are kept,
 * saved in batches; the last batch goes with the findings, in their transaction. Each batch is
 * a transaction (a commit, a sync, often a WAL checkpoint): 2048 events cost about 10 MB more
 * memory than 512 did and a third of the CPU that saving took (make bench, store). */
#define SEEN_BATCH 2048

static void
seen_add(struct store_seen_buf *sb, struct detector *det, const struct eventmap *map,
    const struct event *ev, int made_findings)
{
	char *key;

	if (ev->read_only == 1 || ev->id == NULL)
		return;
	if ((key = detector_seen_key(det, ev)) == NULL) {
		if (!made_findings)
			return;
		key = xstrdup("");      /* a finding on no resource (a freeze violation) */
	}
	store_seen_add(sb, ev, key, eventmap_seen_record(map, ev));
}

/* One finding per id, the last one handed out (a resolution replaces the open finding it
 * resolves, detect.h), kept where the first one was. */
static void
dedupe_findings(struct finding_list *l)
{
	struct tf_hmap at = { 0 };
	size_t i, n = 0;

	for (i = 0; i < l->n; i++) {
		struct finding *f = l->v[i];
		void *p = tf_hmap_get(&at, f->id);

		if (p != NULL) {
			size_t k = (size_t)(uintptr_t)p - 1;

			finding_free(l->v[k]);
			l->v[k] = f;
			continue;
		}
		l->v[n] = f;
		tf_hmap_put(&at, f->id, (void *)(uintptr_t)(n + 1));
		n++;
	}
	l->n = n;
	tf_hmap_free(&at);
}

/* scan --notify: the open findings through the configured outputs, waiting for them (a
 * receiver that keeps failing gives up after a minute; see notify_drain), and the
 * resolutions this run made of the store's drift (ids in was_open: open, acknowledged or
 * suppressed in the store before the run) to the outputs with on: [..., resolved], but for
 * suppressed ones. Drift that came and went within the run is no news: neither is sent. */
static void
scan_notify(const struct conf *conf, struct store *store, const char *storepath,
    const struct finding_list *found, const struct tf_hset *was_open)
{
	struct store_triage *tri = NULL;
	struct notifier *nt;
	char *err = NULL;
	size_t i;

	if ((nt = notify_new_store(conf, storepath, &err)) == NULL) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		return;
	}
	if (notify_noutputs(nt) == 0)
		fprintf(stderr, "tfdrift: --notify: no outputs configured (outputs: in the "
		    "config)\n");
	if (store != NULL && store_triage_snapshot(store, &tri, &err) != 0) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		tri = NULL;
	}
	for (i = 0; i < found->n; i++) {
		const struct finding *f = found->v[i];

		if (f->status == ST_OPEN || (f->status == ST_RESOLVED &&
		    tf_hset_has(was_open, tf_hash_str(f->id)) &&
		    !store_triage_suppressed(tri, f, tf_now_ms())))
			notify_finding_wait(nt, f);
	}
	store_triage_free(tri);
	notify_drain(nt, NOTIFY_DRAIN_MAX_MS, 5 * NOTIFY_DRAIN_MAX_MS);
	notify_report(nt, stderr);
	notify_free(nt);
}

static int
cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "events", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "event-maps", required_argument, NULL, 'm' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "explain", no_argument, NULL, 'x' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "store", required_argument, NULL, 'D' },
		{ "freeze", required_argument, NULL, 'F' },
		{ "notify", no_argument, NULL, 'N' },
		{ "sarif-location", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int notify = 0;
	struct tf_hset was_open = { 0 };        /* --store: its drift before this run (ids) */
	struct strlist states = { 0 }, events = { 0 };
	struct freeze_window *freezes = NULL;
	size_t nfreezes = 0;
	const char *format = NULL, *outpath = NULL, *cfgpath = NULL, *mapdir = NULL, *storepath = NULL;
	struct store *store = NULL;
	size_t nstatus[ST__COUNT] = { 0 };
	int64_t since = INT64_MIN, until = INT64_MAX;
	int explain = 0, quiet = 0, ch, rc = 0, errors = 0;
	struct conf conf;
	struct eventmap *map = NULL;
	struct state_index *ix = NULL;
	struct tf_state **sts = NULL;
	struct detector *det = NULL;
	struct em_attrset *keepset = NULL;
	struct tfstate_keep keep;
	struct rules_keep kb;
	struct rules *rules = NULL;
	struct finding_list found = { 0 };
	struct scan_out so = { 0 };
	struct store_seen_buf seen = { 0 };
	int seen_failed = 0;
	struct out_opts oo = { OUT_JSON, 0, NULL };
	const struct index_key_spec *specs;
	size_t nspecs, i, nsts = 0;
	uint64_t nevents = 0, nskipped = 0, nmalformed = 0, nwindow = 0, nro_skipped = 0;
	size_t store_status[ST__COUNT] = { 0 };
	char *prior_bad = NULL;   /* --store: the first of its open findings not read back */

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "s:e:f:o:c:m:qxh", opts, NULL)) != -1) {
		switch (ch) {
		case 's': strlist_push(&states, optarg); break;
		case 'e': strlist_push(&events, optarg); break;
		case 'f': format = optarg; break;
		case 'o': outpath = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'm': mapdir = optarg; break;
		case 'x': explain = 1; break;
		case 'q': quiet = 1; break;
		case 'D': storepath = optarg; break;
		case 'N': notify = 1; break;
		case 'L': oo.sarif_artifact = optarg; break;
		case 'F': {
			struct freeze_window w;
			char *err = NULL;

			if (freeze_parse_spec(optarg, &w, &err) != 0) {
				rc = cli_usage_error("scan", "%s", err);
				free(err);
				break;
			}
			freeze_windows_push(&freezes, &nfreezes, &w);
			freeze_window_clear(&w);
			break;
		}
		case 'S':
		case 'U':
			if (cli_time_opt("scan", ch == 'S' ? "since" : "until", optarg, -1,
			    ch == 'S' ? &since : &until) != 0)
				rc = 1;
			break;
		case 'h':
			cli_help(stdout, "scan");
			goto out_args;
		default:
			rc = cli_opt_error("scan", argv);
			goto out_args;
		}
	}
	for (i = (size_t)optind; i < (size_t)argc; i++)
		strlist_push(&events, argv[i]);
	if (rc == 0 && cli_check_window("scan", since, until) != 0)
		rc = CLI_EXIT_USAGE;
	if (rc != 0)
		goto out_args;
	if (cli_load_conf(&conf, cfgpath) != 0) {
		rc = 1;
		goto out_args;
	}
	for (i = 0; states.n == 0 && i < conf.states.n; i++)
		strlist_push(&states, conf.states.v[i]);
	for (i = 0; events.n == 0 && i < conf.events.n; i++)
		strlist_push(&events, conf.events.v[i]);
	if (states.n == 0 || events.n == 0) {
		rc = cli_usage_error("scan", "need at least one --state and one --events input "
		    "(or `states:`/`events:` in the config)");
		goto out;
	}
	if (format == NULL)
		oo.format = isatty(STDOUT_FILENO) && outpath == NULL ? OUT_TEXT : OUT_JSON;
	else if (out_format_parse(format, &oo.format) != 0) {
		rc = cli_usage_error("scan", "--format %s: expected json, jsonl, text, csv, sarif or "
		    "markdown", format);
		goto out;
	}
	oo.color = oo.format == OUT_TEXT && outpath == NULL && isatty(STDOUT_FILENO) &&
	    getenv("NO_COLOR") == NULL;
	/* sarif: a finding on no state (unmanaged) is placed on the first state file checked,
	 * unless --sarif-location says where. */
	for (i = 0; i < states.n && oo.sarif_artifact == NULL; i++)
		if (strcmp(states.v[i], "-") != 0 && !is_remote(states.v[i]))
			oo.sarif_artifact = states.v[i];

	if (storepath != NULL) {
		char *err = NULL;

		/* Opened first: a store that cannot be opened stops the scan before it starts. */
		if (store_open(storepath, 0, &store, &err) != 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			rc = 1;
			goto out;
		}
		if (store_readonly_reason(store) != NULL)
			fprintf(stderr, "tfdrift: warning: %s\n", store_readonly_reason(store));
		/* Its freeze windows apply, past ones too: a scan replays recorded events. */
		{
			struct freeze_window *sw = NULL;
			size_t nsw = 0;

			if (store_freeze_list(store, 1, tf_now_ms(), &sw, &nsw, &err) != 0) {
				fprintf(stderr, "tfdrift: %s\n", err);
				free(err);
				rc = 1;
				goto out;
			}
			for (i = 0; i < nsw; i++)
				freeze_windows_push(&freezes, &nfreezes, &sw[i]);
			freeze_windows_free(sw, nsw);
		}
	}
	if ((map = eventmap_load_report(mapdir != NULL ? mapdir : conf_event_maps_dir(&conf), stderr)) == NULL) {
		rc = 1;
		goto out;
	}
	/* Every state must load: scanning against part of the estate would report its
	 * resources as unmanaged. */
	if ((rules = rules_load_configured_report(&conf, stderr)) == NULL) {
		rc = 1;
		goto out;
	}
	keepset = eventmap_attrset_new(map);
	kb.set = keepset;
	kb.rules = rules;
	keep.fn = rules_keep_attr;
	keep.ctx = &kb;
	sts = xcalloc(states.n, sizeof *sts);
	for (i = 0; i < states.n; i++) {
		char *err = NULL;

		if (is_remote(states.v[i])) {
			fprintf(stderr, "tfdrift: %s: remote state backends are read by the live sources; "
			    "for scan, save it first (terraform state pull > state.tfstate)\n", states.v[i]);
			errors++;
			continue;
		}
		if (tfstate_load_file_keep(states.v[i], &keep, &sts[nsts], &err) != 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			errors++;
			continue;
		}
		nsts++;
	}
	if (errors > 0) {
		fprintf(stderr, "tfdrift: %d state%s could not be read; nothing scanned\n", errors,
		    errors == 1 ? "" : "s");
		for (i = 0; i < nsts; i++)
			tfstate_free(sts[i]);
		rc = 1;
		goto out;
	}
	specs = eventmap_index_specs(map, &nspecs);
	ix = state_index_build(sts, nsts, specs, nspecs);
	if (!quiet)
		state_index_warn_duplicates(ix, stderr, MAX_WARNINGS_PER_FILE);
	det = detector_new(map, ix, &conf);
	detector_set_enrich(det, enrich_finding_from_state);   /* tags, blast radius, fix */
	detector_set_freezes(det, freezes, nfreezes);
	detector_set_rules(det, rules);
	if (store != NULL) {
		/* The store's drift so far, against this run's states (a newer state accepts or
		 * loses it) and then its events (which may put it back). */
		struct finding_list prior = { 0 };
		char *err = NULL;

		if (store_load_findings(store, INT64_MIN, INT64_MAX, STORE_STATUS_UNRESOLVED, &prior,
		    &err) < 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			rc = 1;
			goto out;
		}
		prior_bad = err;   /* said with the counts, as a reading of every finding does */
		for (i = 0; i < prior.n; i++)
			tf_hset_test_and_add(&was_open, tf_hash_str(prior.v[i]->id));
		detector_reevaluate(det, ix, prior.v, prior.n, tf_now_ms());
		for (i = 0; i < prior.n; i++) {
			if (prior.v[i]->status == ST_RESOLVED) {
				finding_list_push(&found, prior.v[i]);
			} else {
				detector_track(det, prior.v[i]);
				finding_free(prior.v[i]);
			}
		}
		free(prior.v);
	}
	if (store == NULL && !notify && out_format_streams(oo.format)) {
		char *err = NULL;

		if ((so.s = output_open(outpath, &oo, &err)) == NULL) {
			fprintf(stderr, "tfdrift: writing %s\n", err);
			free(err);
			rc = 1;
			goto out;
		}
	}

	for (i = 0; i < events.n; i++) {
		struct ev_warn_stderr wc = { 0, quiet };
		struct ev_reader *r;
		struct event ev;
		char *err = NULL;
		int got;

		r = ev_reader_open(events.v[i], &err);
		if (r == NULL) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			errors++;
			continue;
		}
		ev_reader_set_warn(r, ev_warn_stderr, &wc);
		ev_reader_set_before_read(r, scan_flush, &so);
		/* Read-only records are counted, not parsed (the detector would count them and
		 * nothing else); --explain names each event, so it sees them all. */
		ev_reader_set_skip_read_only(r, !explain);
		ev_reader_set_window(r, since, until);
		while ((got = ev_reader_next(r, &ev, &err)) == 1) {
			enum nodrift why;

			if (ev.time_ms != 0 && (ev.time_ms < since || ev.time_ms > until)) {
				nwindow++;
				event_free(&ev);
				continue;
			}
			{
				size_t before = found.n;

				why = detect_event(det, &ev, &found);
				if (store != NULL && !seen_failed && why != ND_DUPLICATE)
					seen_add(&seen, det, map, &ev, found.n > before);
			}
			if (seen.n == SEEN_BATCH) {
				char *serr = NULL;

				if (store_seen_flush(store, &seen, NULL, &serr) != 0) {
					/* Said once; the findings are still tried at the end. */
					fprintf(stderr, "tfdrift: the events seen were not saved: %s\n", serr);
					free(serr);
					seen_failed = 1;
					errors++;
				}
			}
			scan_emit(&so, &found);
			if (explain) {
				/* The id, source and name are logged: shown escaped (text.h). */
				char *line = xasprintf("explain: %s: %s %s %s: %s", ev.origin ? ev.origin :
				    "?", ev.id ? ev.id : "-", ev.source ? ev.source : "?", ev.name ? ev.name :
				    "?", nodrift_name(why));

				text_fputs(stderr, line);
				fputc('\n', stderr);
				free(line);
			}
			event_free(&ev);
		}
		if (got < 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			errors++;
		}
		ev_warn_stderr_done(&wc, events.v[i]);
		nevents += ev_reader_counters(r)->events + ev_reader_skipped_read_only(r);
		nwindow += ev_reader_skipped_read_only_outside(r);
		nro_skipped += ev_reader_skipped_read_only(r) - ev_reader_skipped_read_only_outside(r);
		nskipped += ev_reader_counters(r)->skipped;
		nmalformed += ev_reader_counters(r)->malformed;
		ev_reader_close(r);
	}
	/* The input ended: GCP operations whose first entry never came are decided on their last
	 * one, before anything is saved, triaged or counted (they are findings like the rest);
	 * written now when they are streamed. */
	detector_flush(det, &found);
	scan_emit(&so, &found);
	dedupe_findings(&found);

	if (store != NULL) {
		char *err = NULL;

		/* Earlier findings on the same resources (from earlier runs), saved with them. */
		for (i = 0; i < found.n; i++)
			if (enrich_history(store, found.v[i], tf_now_ms(), &err) != 0) {
				fprintf(stderr, "tfdrift: %s\n", err);
				free(err);
				err = NULL;
				errors++;
				break;
			}
		/* Save them with the events seen, then show the store's triage on them (what is
		 * acknowledged or suppressed). */
		if (store_seen_flush(store, &seen, &found, &err) != 0) {
			fprintf(stderr, "tfdrift: the findings were not saved: %s\n", err);
			free(err);
			err = NULL;
			errors++;
		}
		if (store_apply_triage_list(store, &found, tf_now_ms(), &err) != 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			err = NULL;
			errors++;
		}
		/* What the store holds now: the exit status and the summary count it all, not
		 * only this run's findings (counted by its columns, not read). */
		{
			int nbad = store_count_status(store, tf_now_ms(), store_status, &err);

			if (nbad != 0 || prior_bad != NULL) {
				fprintf(stderr, "tfdrift: %s\n", nbad != 0 ? err : prior_bad);
				errors++;
			}
			free(err);
			err = NULL;
			/* A finding the store has resolved stays so, shown as the store has it, even
			 * when this run made it again from the same event. */
			if (store_keep_resolved(store, &found, tf_now_ms(), &err) != 0) {
				fprintf(stderr, "tfdrift: %s\n", err);
				errors++;
			}
			free(err);
			err = NULL;
		}
	}
	for (i = 0; i < found.n; i++)
		nstatus[found.v[i]->status]++;
	for (i = 0; i < ST__COUNT; i++)
		nstatus[i] += so.nstatus[i];
	if (found.n > 1)
		qsort(found.v, found.n, sizeof *found.v, finding_time_cmp);
	if (so.s != NULL) {
		char *err = NULL;

		if (output_close(so.s, &err) != 0) {
			fprintf(stderr, "tfdrift: writing %s\n", err);
			free(err);
			errors++;
		}
		so.s = NULL;
	} else if (cli_write_output(outpath, &found, &oo) != 0)
		errors++;
	if (notify)
		scan_notify(&conf, store, storepath, &found, &was_open);
	if (!quiet) {
		const struct detect_stats *s = detector_stats(det);
		char resolved_note[48] = "";

		/* Said only when something resolved: ", N resolved". */
		if (nstatus[ST_RESOLVED] > 0)
			snprintf(resolved_note, sizeof resolved_note, ", %zu resolved",
			    nstatus[ST_RESOLVED]);

		fprintf(stderr, "tfdrift: %llu event%s from %zu file%s against %zu resource%s in %zu "
		    "state%s: %zu finding%s (%llu modified, %llu unmanaged, %llu deleted)%s\n",
		    (unsigned long long)nevents, nevents == 1 ? "" : "s", events.n,
		    events.n == 1 ? "" : "s", state_index_count(ix),
		    state_index_count(ix) == 1 ? "" : "s", nsts, nsts == 1 ? "" : "s", found.n + so.n,
		    found.n + so.n == 1 ? "" : "s",
		    (unsigned long long)s->findings[FK_MODIFIED],
		    (unsigned long long)s->findings[FK_UNMANAGED],
		    (unsigned long long)s->findings[FK_DELETED], resolved_note);
		fprintf(stderr, "tfdrift: not drift: %llu read-only, %llu by terraform, %llu failed, "
		    "%llu by cloud services, %llu equal to state, %llu not covered by an event map, "
		    "%llu duplicate%s, %llu not managed\n",
		    (unsigned long long)(s->by_reason[ND_READ_ONLY] + nro_skipped),
		    (unsigned long long)s->by_reason[ND_TERRAFORM],
		    (unsigned long long)s->by_reason[ND_FAILED],
		    (unsigned long long)s->by_reason[ND_SERVICE],
		    (unsigned long long)s->by_reason[ND_EQUAL],
		    (unsigned long long)s->by_reason[ND_NOT_COVERED],
		    (unsigned long long)s->by_reason[ND_DUPLICATE],
		    s->by_reason[ND_DUPLICATE] == 1 ? "" : "s",
		    (unsigned long long)s->by_reason[ND_NOT_MANAGED]);
		if (conf.nfreezes + nfreezes > 0)
			fprintf(stderr, "tfdrift: %zu change-freeze window%s: %llu freeze violation%s\n",
			    conf.nfreezes + nfreezes, conf.nfreezes + nfreezes == 1 ? "" : "s",
			    (unsigned long long)s->findings[FK_FREEZE_VIOLATION],
			    s->findings[FK_FREEZE_VIOLATION] == 1 ? "" : "s");
		if (nskipped + nmalformed + nwindow > 0)
			fprintf(stderr, "tfdrift: skipped %llu %s, %llu malformed, %llu outside "
			    "--since/--until\n", (unsigned long long)nskipped, nskipped == 1 ?
			    "record that is not an audit event" : "records that are not audit events",
			    (unsigned long long)nmalformed, (unsigned long long)nwindow);
		if (store != NULL)
			fprintf(stderr, "tfdrift: store %s: %zu open, %zu acknowledged, %zu suppressed, "
			    "%zu resolved\n", store_path(store), store_status[ST_OPEN],
			    store_status[ST_ACKNOWLEDGED], store_status[ST_SUPPRESSED],
			    store_status[ST_RESOLVED]);
	}
	/* Only open findings fail the run: an acknowledged or resolved finding no longer fails a
	 * cron job. With --store, every open finding in the store counts, not only this run's. */
	rc = errors > 0 ? 1 : (store != NULL ? store_status[ST_OPEN] : nstatus[ST_OPEN]) > 0 ? 2 : 0;
out:
	free(prior_bad);
	tf_hset_free(&was_open);
	store_seen_clear(&seen);
	store_close(store);
	finding_list_clear(&found);
	detector_free(det);
	if (ix != NULL)
		state_index_unref(ix);
	free(sts);
	eventmap_attrset_free(keepset);
	eventmap_free(map);
	rules_unref(rules);
	conf_free(&conf);
out_args:
	strlist_clear(&states);
	strlist_clear(&events);
	freeze_windows_free(freezes, nfreezes);
	return rc;
}
const struct cli_cmd cli_cmd_scan = {
	.name = "scan",
	.args = "--state SRC... --events FILE... [FILE...] [OPTIONS]",
	.summary = "Checks recorded audit events against Terraform state.\n"
	    "A finding that a later\n"
	    "event puts back, that a newer state accepts or whose resource is gone is listed\n"
	    "with status resolved; streamed formats write it again then, with the same id.",
	.opts = cli_opts_scan,
	.more = "exit status: 0 no open drift, 2 open drift found, 1 error\n",
	.exec = cmd_scan,
};
