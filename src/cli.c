/* cli: command-line parsing and the headless commands: scan, export, the triage commands
 * (ack, suppress, undo), rules check, config check. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blame.h"
#include "cli.h"
#include "cmdtab.h"
#include "conf.h"
#include "detect.h"
#include "event.h"
#include "eventmap.h"
#include "enrich.h"
#include "freeze.h"
#include "notify.h"
#include "output.h"
#include "rules.h"
#include "coverage.h"
#include "state_index.h"
#include "store.h"
#include "text.h"
#include "tfstate.h"
#include "ui/keys.h"
#include "ui/theme.h"
#include "ui/ui.h"
#include "watch.h"
#include "util.h"
#include "yamlutil.h"

#define MAX_WARNINGS_PER_FILE 20

/* The global `-c FILE` given before the command (main thread only). */
static const char *global_config;

static void
usage(FILE *fp)
{
	cli_help(fp, NULL);
}

static void
print_errs(char **errs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(stderr, "%s\n", errs[i]);
}

/* Load config (explicit -c, ./tfdrift.yaml, XDG) over the defaults; 0 ok. */
static int
load_conf(struct conf *c, const char *path)
{
	conf_init(c);
	if (conf_load_report(c, path != NULL ? path : global_config, stderr) != 0) {
		conf_free(c);
		return -1;
	}
	return 0;
}

struct warn_ctx {
	const char *file;
	unsigned long n;
	int quiet;
};

static void
reader_warn(void *ctx, const char *msg)
{
	struct warn_ctx *w = ctx;

	w->n++;
	if (!w->quiet && w->n <= MAX_WARNINGS_PER_FILE)
		fprintf(stderr, "tfdrift: warning: %s\n", msg);
}

static int
finding_cmp(const void *a, const void *b)
{
	const struct finding *x = *(const struct finding *const *)a;
	const struct finding *y = *(const struct finding *const *)b;

	if (x->event_time_ms != y->event_time_ms)
		return x->event_time_ms < y->event_time_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* A time option (tf_parse_when; dir < 0 for --since/--until over recorded events, > 0 for
 * an end in the future), with the one wording every command uses. 0, or -1 after a message. */
static int
time_opt(const char *cmd, const char *opt, const char *s, int dir, int64_t *ms)
{
	if (tf_parse_when(s, tf_now_ms(), dir, ms) == 0)
		return 0;
	cli_usage_error(cmd, "--%s %s: expected %s", opt, s, tf_when_forms(dir));
	return -1;
}

/* HH:MM bounds are each the most recent such time, so "--since 17:30 --until 09:00" can turn
 * out backwards: say so with the times it meant, rather than match nothing. */
static int
check_window(const char *cmd, int64_t since, int64_t until)
{
	char a[32], b[32];

	if (since == INT64_MIN || until == INT64_MAX || until > since)
		return 0;
	tf_format_time(since, a);
	tf_format_time(until, b);
	cli_usage_error(cmd, "--until (%s) must be after --since (%s)", b, a);
	return -1;
}

static int
is_remote(const char *src)
{
	return strstr(src, "://") != NULL;
}

/* Standard output, or a file written atomically (output_write_file). */
static int
write_output(const char *path, const struct finding_list *l, const struct out_opts *o)
{
	char *err = NULL;

	if (path == NULL || strcmp(path, "-") == 0) {
		if (output_findings(stdout, l, o) != 0) {
			fprintf(stderr, "tfdrift: writing to standard output: %s\n", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (output_write_file(path, l, o, &err) != 0) {
		fprintf(stderr, "tfdrift: writing %s\n", err);
		free(err);
		return -1;
	}
	return 0;
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
 * resolves, detect.h), kept where the first one was; but a resolved one is never replaced by
 * an open one: resolved stays resolved (tfdrift(1), --store). */
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

			if (l->v[k]->status == ST_RESOLVED && f->status != ST_RESOLVED) {
				finding_free(f);
				continue;
			}
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
		fprintf(stderr, "tfdrift scan: --notify: no outputs configured (outputs: in the "
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

int
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
	struct out_opts oo = { OUT_JSON, 0 };
	const struct index_key_spec *specs;
	size_t nspecs, i, nsts = 0;
	uint64_t nevents = 0, nskipped = 0, nmalformed = 0, nwindow = 0;
	size_t store_status[ST__COUNT] = { 0 };
	/* --store: its drift resolved by this run, as store_load_reevaluable reads it (not whole:
	 * saved by store_put_resolutions, printed as the store then has it) */
	struct finding_list prior_res = { 0 };

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
			if (time_opt("scan", ch == 'S' ? "since" : "until", optarg, -1,
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
	if (rc == 0 && check_window("scan", since, until) != 0)
		rc = CLI_EXIT_USAGE;
	if (rc != 0)
		goto out_args;
	if (load_conf(&conf, cfgpath) != 0) {
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
		rc = cli_usage_error("scan", "--format %s: expected json, jsonl, text or csv", format);
		goto out;
	}
	oo.color = oo.format == OUT_TEXT && outpath == NULL && isatty(STDOUT_FILENO) &&
	    getenv("NO_COLOR") == NULL;

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
		/* The store's drift so far (what re-evaluation reads of it, not the whole findings),
		 * against this run's states (a newer state accepts or loses it) and then its events
		 * (which may put it back). Tracked resolved too: made again from its event, it
		 * stays resolved. */
		struct finding_list prior = { 0 };
		char *err = NULL;

		if (store_load_reevaluable(store, &prior, &err) != 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			rc = 1;
			goto out;
		}
		for (i = 0; i < prior.n; i++)
			tf_hset_test_and_add(&was_open, tf_hash_str(prior.v[i]->id));
		detector_reevaluate(det, ix, prior.v, prior.n, tf_now_ms());
		for (i = 0; i < prior.n; i++) {
			detector_track(det, prior.v[i]);
			if (prior.v[i]->status == ST_RESOLVED)
				finding_list_push(&prior_res, prior.v[i]);
			else
				finding_free(prior.v[i]);
		}
		free(prior.v);
	}
	if (store == NULL && !notify && oo.format != OUT_JSON) {
		char *err = NULL;

		if ((so.s = output_open(outpath, &oo, &err)) == NULL) {
			fprintf(stderr, "tfdrift: writing %s\n", err);
			free(err);
			rc = 1;
			goto out;
		}
	}

	for (i = 0; i < events.n; i++) {
		struct warn_ctx wc = { events.v[i], 0, quiet };
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
		ev_reader_set_warn(r, reader_warn, &wc);
		ev_reader_set_before_read(r, scan_flush, &so);
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
		if (!quiet && wc.n > MAX_WARNINGS_PER_FILE)
			fprintf(stderr, "tfdrift: warning: %s: %lu more warning%s not shown\n",
			    events.v[i], wc.n - MAX_WARNINGS_PER_FILE,
			    wc.n - MAX_WARNINGS_PER_FILE == 1 ? "" : "s");
		nevents += ev_reader_counters(r)->events + ev_reader_skipped_read_only(r);
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
		size_t n = 0;

		/* The store's drift this run's events resolved joins the rest of it (saved by its
		 * columns); the findings of this run are saved whole. */
		for (i = 0; i < found.n; i++) {
			if (found.v[i]->status == ST_RESOLVED &&
			    tf_hset_has(&was_open, tf_hash_str(found.v[i]->id)))
				finding_list_push(&prior_res, found.v[i]);
			else
				found.v[n++] = found.v[i];
		}
		found.n = n;
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
		if (store_seen_flush(store, &seen, &found, &err) != 0 ||
		    store_put_resolutions(store, &prior_res, &err) != 0) {
			fprintf(stderr, "tfdrift: the findings were not saved: %s\n", err);
			free(err);
			err = NULL;
			errors++;
		}
		for (i = 0; i < prior_res.n; i++)
			finding_list_push(&found, prior_res.v[i]);
		prior_res.n = 0;
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

			if (nbad != 0) {
				fprintf(stderr, "tfdrift: %s\n", err);
				errors++;
			}
			free(err);
			err = NULL;
			/* A finding the store has resolved stays so, shown as the store has it, even
			 * when this run made it again from the same event; the resolutions saved by
			 * their columns read back whole. */
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
		qsort(found.v, found.n, sizeof *found.v, finding_cmp);
	if (so.s != NULL) {
		char *err = NULL;

		if (output_close(so.s, &err) != 0) {
			fprintf(stderr, "tfdrift: writing %s\n", err);
			free(err);
			errors++;
		}
		so.s = NULL;
	} else if (write_output(outpath, &found, &oo) != 0)
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
		    (unsigned long long)(s->by_reason[ND_READ_ONLY] + 0),
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
	finding_list_clear(&prior_res);
	free(prior_res.v);
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

/* Open the store named by --store, else the configured one. NULL after a message. */
static struct store *
open_store(const char *cmd, const char *path, int flags)
{
	struct conf conf;
	struct store *st = NULL;
	char *err = NULL;

	if (path == NULL) {
		if (load_conf(&conf, NULL) != 0)
			return NULL;
		if (store_open(conf.store, flags, &st, &err) != 0)
			st = NULL;
		conf_free(&conf);
	} else if (store_open(path, flags, &st, &err) != 0)
		st = NULL;
	if (st == NULL) {
		fprintf(stderr, "tfdrift %s: %s\n", cmd, err);
		free(err);
	}
	return st;
}

static int
cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 'D' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "status", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *storepath = NULL, *outpath = NULL;
	int64_t since = INT64_MIN, until = INT64_MAX;
	unsigned mask = STORE_STATUS_UNRESOLVED;   /* drifted now, whatever the triage */
	struct out_opts oo = { OUT_JSON, 0 };
	struct finding_list l = { 0 };
	size_t nstatus[ST__COUNT] = { 0 }, i;
	struct store *st;
	char *err = NULL;
	int ch, quiet = 0, nbad, rc = 0;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': storepath = optarg; break;
		case 'o': outpath = optarg; break;
		case 'q': quiet = 1; break;
		case 'S':
		case 'U':
			if (time_opt("export", ch == 'S' ? "since" : "until", optarg, -1,
			    ch == 'S' ? &since : &until) != 0)
				rc = CLI_EXIT_USAGE;
			break;
		case 't':
			if (store_status_parse(optarg, &mask) != 0) {
				rc = cli_usage_error("export", "--status %s: expected open, acknowledged, "
				    "suppressed, resolved or all (or a comma list)", optarg);
			}
			break;
		case 'f':
			if (out_format_parse(optarg, &oo.format) != 0 || oo.format == OUT_TEXT) {
				rc = cli_usage_error("export", "--format %s: expected json, jsonl or csv",
				    optarg);
			}
			break;
		case 'h':
			cli_help(stdout, "export");
			return 0;
		default:
			return cli_opt_error("export", argv);
		}
	}
	if (rc == 0 && optind < argc)
		rc = cli_usage_error("export", "unexpected argument '%s'", argv[optind]);
	if (rc == 0 && check_window("export", since, until) != 0)
		rc = CLI_EXIT_USAGE;
	if (rc != 0)
		return rc;
	if ((st = open_store("export", storepath, STORE_NOCREATE)) == NULL)
		return 1;
	/* Read-only for a reason (a full disk, a read-only copy): the export is whole, and the
	 * reason is worth knowing. */
	if (!quiet && store_readonly_reason(st) != NULL)
		fprintf(stderr, "tfdrift export: note: %s\n", store_readonly_reason(st));
	nbad = store_load_findings(st, since, until, mask, &l, &err);
	if (nbad < 0) {
		fprintf(stderr, "tfdrift export: %s\n", err);
		free(err);
		store_close(st);
		return 1;
	}
	if (nbad > 0) {
		/* Rows that do not read back are reported, and fail the export. */
		fprintf(stderr, "tfdrift export: %s (%d row%s could not be read)\n", err, nbad,
		    nbad == 1 ? "" : "s");
		free(err);
		rc = 1;
	}
	if (write_output(outpath, &l, &oo) != 0)
		rc = 1;
	for (i = 0; i < l.n; i++)
		nstatus[l.v[i]->status]++;
	if (!quiet)
		fprintf(stderr, "tfdrift: exported %zu finding%s from %s (%zu open, %zu acknowledged, "
		    "%zu suppressed, %zu resolved)\n", l.n, l.n == 1 ? "" : "s", store_path(st),
		    nstatus[ST_OPEN], nstatus[ST_ACKNOWLEDGED], nstatus[ST_SUPPRESSED],
		    nstatus[ST_RESOLVED]);
	finding_list_clear(&l);
	store_close(st);
	return rc;
}

/* The three triage commands share their options: --store, --note, --scope, --value,
 * --for, --until. `what` is "ack", "suppress" or "undo". */
static int
cmd_triage(const char *what, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 'D' },
		{ "note", required_argument, NULL, 'n' },
		{ "scope", required_argument, NULL, 's' },
		{ "value", required_argument, NULL, 'v' },
		{ "for", required_argument, NULL, 'F' },
		{ "until", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *storepath = NULL, *note = NULL, *scope_s = NULL, *value = NULL;
	const char *for_s = NULL, *until_s = NULL, *by = tf_current_user();
	int64_t now = tf_now_ms(), until = 0, d, id = 0;
	enum store_scope scope = SCOPE_FINDING;
	int is_ack = strcmp(what, "ack") == 0, is_undo = strcmp(what, "undo") == 0;
	struct store *st;
	char *err = NULL, *fid = NULL, *end;
	int ch, rc;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': storepath = optarg; break;
		case 'n': note = optarg; break;
		case 's': scope_s = optarg; break;
		case 'v': value = optarg; break;
		case 'F': for_s = optarg; break;
		case 'U': until_s = optarg; break;
		case 'h':
			cli_help(stdout, what);
			return 0;
		default:
			return cli_opt_error(what, argv);
		}
	}
	if (is_ack || is_undo) {
		if (scope_s || value || for_s || until_s || (is_undo && note))
			return cli_usage_error(what, "--%s is not an option of %s", scope_s ? "scope" :
			    value ? "value" : for_s ? "for" : until_s ? "until" : "note", what);
		if (optind + 1 != argc)
			return cli_usage_error(what, optind == argc ? "expected %s" :
			    "expected one %s, not more", is_ack ? "finding ID" : "DECISION_ID");
	} else {
		if (optind != argc)
			return cli_usage_error(what, "unexpected argument '%s'", argv[optind]);
		if (scope_s == NULL || value == NULL)
			return cli_usage_error(what, "--scope and --value are required");
		if (for_s && until_s)
			return cli_usage_error(what, "--for and --until do not go together");
		if (store_scope_parse(scope_s, &scope) != 0)
			return cli_usage_error(what, "--scope %s: expected finding, resource, rule, "
			    "actor or event", scope_s);
		/* Before the store is opened (or made): a value that can match nothing is a
		 * mistake, not a decision. A key without a type waits for the store to tell. */
		if (store_scope_check(scope, value, &err) == -1) {
			/* The value as typed, its control characters shown (text.h). */
			fprintf(stderr, "tfdrift suppress: --scope %s --value '", store_scope_name(scope));
			text_fputs(stderr, value);
			fprintf(stderr, "' %s\n", err);
			free(err);
			return 1;
		}
		free(err);
		err = NULL;
		if (for_s != NULL) {
			if (tf_parse_duration(for_s, &d) != 0 || d <= 0) {
				return cli_usage_error(what, "--for %s: expected a duration (1h, 1d, 7d, "
				    "90m)", for_s);
			}
			until = now + d;
		} else if (until_s != NULL) {
			if (time_opt("suppress", "until", until_s, 1, &until) != 0)
				return CLI_EXIT_USAGE;
			if (until <= now) {
				fprintf(stderr, "tfdrift suppress: --until %s is not in the future\n", until_s);
				return 1;
			}
		}
	}
	if (is_undo) {
		errno = 0;
		id = strtoll(argv[optind], &end, 10);
		if (errno != 0 || end == argv[optind] || *end != '\0' || id <= 0) {
			return cli_usage_error(what, "%s: expected a decision id (the number "
			    "`tfdrift ack` or `tfdrift suppress` printed)", argv[optind]);
		}
	}
	if ((st = open_store(what, storepath, is_ack || is_undo ? STORE_NOCREATE : 0)) == NULL)
		return 1;
	if (is_ack || (scope == SCOPE_FINDING && !is_undo)) {
		/* A finding is named by its id or a unique prefix of it. */
		if (store_find_finding(st, is_ack ? argv[optind] : value, &fid, &err) != 0) {
			fprintf(stderr, "tfdrift %s: %s\n", what, err);
			free(err);
			store_close(st);
			return 1;
		}
	}
	if (is_ack)
		rc = store_ack(st, fid, by, note, now, &id, &err);
	else if (is_undo)
		rc = store_undo(st, id, by, now, &id, &err);
	else
		rc = store_suppress(st, scope, fid != NULL ? fid : value, until, by, note, now, &id, &err);
	if (rc != 0) {
		fprintf(stderr, "tfdrift %s: not saved: %s\n", what, err);
		free(err);
	} else {
		/* Committed and synced: only now say it is done. */
		printf("%lld\n", (long long)id);
		fflush(stdout);
		if (is_ack)
			fprintf(stderr, "tfdrift: acknowledged %s (decision %lld)\n", fid, (long long)id);
		else if (is_undo)
			fprintf(stderr, "tfdrift: undid decision %s (decision %lld)\n", argv[optind],
			    (long long)id);
		else {
			char ts[32];

			if (until != 0)
				tf_format_time(until, ts);
			fprintf(stderr, "tfdrift: suppressed %s ", store_scope_name(scope));
			text_fputs(stderr, fid != NULL ? fid : value);
			fprintf(stderr, " %s%s (decision %lld)\n", until != 0 ? "until " : "for good",
			    until != 0 ? ts : "", (long long)id);
		}
	}
	free(fid);
	store_close(st);
	return rc != 0 ? 1 : 0;
}

/* One line of `freeze list`: status, name, times, time left, origin, scope. */
static void
freeze_print(FILE *fp, const struct freeze_window *w, int64_t now)
{
	char *desc = freeze_window_describe(w), left[32], status[48];

	if (freeze_window_contains(w, now)) {
		freeze_format_left(w->end_ms - now, left);
		snprintf(status, sizeof status, "active (%s left)", left);
	} else if (w->start_ms > now) {
		freeze_format_left(w->start_ms - now, left);
		snprintf(status, sizeof status, "planned (in %s)", left);
	} else
		snprintf(status, sizeof status, "ended");
	fprintf(fp, "%-22s %s  [%s%s%s]\n", status, desc, freeze_origin_name(w->origin),
	    w->created_by != NULL ? " by " : "", w->created_by != NULL ? w->created_by : "");
	free(desc);
}

/* tfdrift freeze add|list|end: change-freeze windows kept in the store. */
static int
cmd_freeze(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 'D' },
		{ "from", required_argument, NULL, 'f' },
		{ "until", required_argument, NULL, 'U' },
		{ "account", required_argument, NULL, 'a' },
		{ "project", required_argument, NULL, 'p' },
		{ "region", required_argument, NULL, 'r' },
		{ "type", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sub, *storepath = NULL, *from_s = NULL, *until_s = NULL;
	char *cmdname = NULL;
	struct freeze_window w, *ws = NULL;
	struct store *st = NULL;
	struct conf conf;
	int64_t now = tf_now_ms(), id = 0;
	size_t nws = 0, i;
	char *err = NULL;
	int ch, all = 0, rc = 0, cancelled = 0;

	memset(&w, 0, sizeof w);
	if (argc < 2)
		return cli_usage_error("freeze", "expected add, list or end");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_help(stdout, "freeze");
		return 0;
	}
	sub = argv[1];
	if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "end") != 0)
		return cli_usage_error("freeze", "unknown subcommand '%s'", sub);
	cmdname = xasprintf("freeze %s", sub);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': storepath = optarg; break;
		case 'f': from_s = optarg; break;
		case 'U': until_s = optarg; break;
		case 'a': strlist_push(&w.accounts, optarg); break;
		case 'p': strlist_push(&w.projects, optarg); break;
		case 'r': strlist_push(&w.regions, optarg); break;
		case 't': strlist_push(&w.resource_types, optarg); break;
		case 'A': all = 1; break;
		case 'h':
			cli_help(stdout, cmdname);
			goto done;
		default:
			rc = cli_opt_error(cmdname, argv + 1);
			goto done;
		}
	}
	argc--;
	argv++;
	if (strcmp(sub, "list") == 0) {
		if (optind != argc || from_s || until_s || w.accounts.n || w.projects.n ||
		    w.regions.n || w.resource_types.n) {
			rc = cli_usage_error(cmdname, optind != argc ? "unexpected argument '%s'" :
			    "only --all and --store go with list%s", optind != argc ? argv[optind] : "");
			goto done;
		}
		if (load_conf(&conf, NULL) != 0) {
			rc = 1;
			goto done;
		}
		for (i = 0; i < conf.nfreezes; i++)
			if (all || conf.freezes[i].end_ms > now)
				freeze_print(stdout, &conf.freezes[i], now);
		/* No store yet is no stored windows, not an error. */
		if (access(storepath != NULL ? storepath : conf.store, F_OK) == 0) {
			if ((st = open_store("freeze list", storepath, STORE_NOCREATE)) == NULL ||
			    store_freeze_list(st, all, now, &ws, &nws, &err) != 0) {
				if (err != NULL)
					fprintf(stderr, "tfdrift freeze list: %s\n", err);
				rc = 1;
			}
			for (i = 0; i < nws; i++)
				freeze_print(stdout, &ws[i], now);
		}
		conf_free(&conf);
		goto done;
	}
	if (optind + 1 != argc) {
		rc = cli_usage_error(cmdname, optind == argc ? "expected a NAME" :
		    "expected one NAME, not more");
		goto done;
	}
	if (strcmp(sub, "end") == 0) {
		if (from_s || until_s || all || w.accounts.n || w.projects.n || w.regions.n ||
		    w.resource_types.n) {
			rc = cli_usage_error(cmdname, "only --store goes with end");
			goto done;
		}
		if ((st = open_store("freeze end", storepath, STORE_NOCREATE)) == NULL) {
			rc = 1;
			goto done;
		}
		if (store_freeze_end(st, argv[optind], tf_current_user(), now, &cancelled, &err) != 0) {
			fprintf(stderr, "tfdrift freeze end: not saved: %s\n", err);
			rc = 1;
		} else
			fprintf(stderr, "tfdrift: freeze %s %s\n", argv[optind],
			    cancelled ? "cancelled (it had not started)" : "ended");
		goto done;
	}
	/* add */
	w.name = xstrdup(argv[optind]);
	w.origin = FO_STORE;
	if (until_s == NULL || all) {
		rc = cli_usage_error(cmdname, all ? "--all goes with list, not add" :
		    "--until T is required (2h, 18:00, 2024-05-27T18:00:00Z)");
		goto done;
	}
	w.start_ms = now;
	if (from_s != NULL && freeze_parse_time(from_s, now, &w.start_ms) != 0) {
		rc = cli_usage_error(cmdname, "--from %s: expected %s", from_s, tf_when_forms(1));
		goto done;
	}
	if (freeze_parse_time(until_s, now, &w.end_ms) != 0) {
		rc = cli_usage_error(cmdname, "--until %s: expected %s", until_s, tf_when_forms(1));
		goto done;
	}
	if ((st = open_store("freeze add", storepath, 0)) == NULL) {
		rc = 1;
		goto done;
	}
	if (store_freeze_add(st, &w, tf_current_user(), now, &id, &err) != 0) {
		fprintf(stderr, "tfdrift freeze add: not saved: %s\n", err);
		rc = 1;
	} else {
		/* Committed and synced: only now say it is done. */
		printf("%lld\n", (long long)id);
		fflush(stdout);
		fputs("tfdrift: saved: ", stderr);
		freeze_print(stderr, &w, now);
	}
done:
	free(cmdname);
	free(err);
	freeze_windows_free(ws, nws);
	freeze_window_clear(&w);
	store_close(st);
	return rc;
}

/* Collect *.yaml under a directory, or the file itself. */
static void
collect_yaml(const char *path, struct strlist *files, int *bad)
{
	struct stat st;
	struct dirent **ents;
	int n, i;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		(*bad)++;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		strlist_push(files, path);
		return;
	}
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		(*bad)++;
		return;
	}
	for (i = 0; i < n; i++) {
		if (tf_str_has_suffix(ents[i]->d_name, ".yaml") || tf_str_has_suffix(ents[i]->d_name, ".yml")) {
			char *p = xasprintf("%s/%s", path, ents[i]->d_name);

			strlist_push(files, p);
			free(p);
		}
		free(ents[i]);
	}
	free(ents);
}

/* Is a file a rule file (top-level rules:) rather than an event map? Unreadable files go to
 * the event-map checker, which reports them. */
static int
is_rule_file(const char *path)
{
	char *buf = NULL, *err = NULL;
	size_t len = 0;
	int yes;

	if (tf_read_file(path, TF_FILE_DEFINITION, &buf, &len, &err) != 0) {
		free(err);
		return 0;
	}
	yes = rules_sniff(buf, len);
	free(buf);
	return yes;
}

/* tfdrift rules coverage: the event maps (not rule files) of PATH..., or the configured ones. */
static int
cmd_rules_coverage(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "service", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct strlist files = { 0 };
	struct eventmap *m;
	struct conf conf;
	enum cov_format fmt = COV_TEXT;
	const char *only = NULL;
	char **errs = NULL;
	size_t nerrs = 0, i;
	int c, bad = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cov_format_parse(optarg, &fmt) != 0)
				return cli_usage_error("rules coverage", "--format %s: expected text, "
				    "json or tsv", optarg);
			break;
		case 's': only = optarg; break;
		case 'h': cli_help(stdout, "rules coverage"); return 0;
		default: return cli_opt_error("rules coverage", argv);
		}
	}
	if (load_conf(&conf, NULL) != 0)
		return 1;
	if (optind >= argc)
		collect_yaml(conf_event_maps_dir(&conf), &files, &bad);
	for (; optind < argc; optind++)
		collect_yaml(argv[optind], &files, &bad);
	m = eventmap_new();
	for (i = 0; i < files.n; i++)
		if (!is_rule_file(files.v[i]))
			eventmap_load_file(m, files.v[i], &errs, &nerrs);
	print_errs(errs, nerrs);
	if (nerrs == 0 && bad == 0) {
		size_t k;

		for (k = 0; only != NULL && k < eventmap_count(m); k++)
			if (cov_service_match(eventmap_entry(m, k)->service, only))
				break;
		if (only != NULL && k == eventmap_count(m)) {
			fprintf(stderr, "tfdrift rules coverage: no event map for service %s\n", only);
			bad++;
		}
		if (bad == 0)
			eventmap_coverage_write(m, only, fmt, stdout);
	} else
		fprintf(stderr, "tfdrift: %zu error%s; see tfdrift rules check\n", nerrs + (size_t)bad,
		    nerrs + (size_t)bad == 1 ? "" : "s");
	yerrs_free(errs, nerrs);
	eventmap_free(m);
	strlist_clear(&files);
	conf_free(&conf);
	return nerrs == 0 && bad == 0 ? 0 : 1;
}

int
cmd_rules(int argc, char **argv)
{
	struct strlist files = { 0 }, rfiles = { 0 }, mfiles = { 0 };
	struct eventmap *m = NULL;
	struct rules *r = NULL;
	struct conf conf;
	char **errs = NULL;
	size_t nerrs = 0, i, npass = 0, nfail = 0;
	int bad = 0, a0, test;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_help(stdout, "rules");
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "coverage") == 0)
		return cmd_rules_coverage(argc - 1, argv + 1);
	if (argc < 2)
		return cli_usage_error("rules", "expected check, test or coverage");
	if (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "test") != 0)
		return cli_usage_error("rules", "unknown subcommand '%s'", argv[1]);
	test = strcmp(argv[1], "test") == 0;
	/* No options but --help: a PATH that looks like one is a mistake. */
	for (a0 = 2; a0 < argc; a0++) {
		if (strcmp(argv[a0], "-h") == 0 || strcmp(argv[a0], "--help") == 0) {
			cli_help(stdout, test ? "rules test" : "rules check");
			return 0;
		}
		if (argv[a0][0] == '-' && argv[a0][1] != '\0')
			return cli_usage_error(test ? "rules test" : "rules check",
			    "unknown option %s", argv[a0]);
	}
	if (load_conf(&conf, NULL) != 0)
		return 1;
	if (argc <= 2) {
		if (!test)
			collect_yaml(conf_event_maps_dir(&conf), &mfiles, &bad);
		if (conf.rules_dirs.n == 0) {
			char *dir = xasprintf("%s/rules", tf_datadir());

			collect_yaml(dir, &files, &bad);
			free(dir);
		}
		for (i = 0; i < conf.rules_dirs.n; i++)
			collect_yaml(conf.rules_dirs.v[i], &files, &bad);
	}
	for (a0 = 2; a0 < argc; a0++)
		collect_yaml(argv[a0], &files, &bad);
	for (i = 0; i < files.n; i++)
		strlist_push(is_rule_file(files.v[i]) ? &rfiles : &mfiles, files.v[i]);
	r = rules_new();
	for (i = 0; i < rfiles.n; i++)
		rules_load_file(r, rfiles.v[i], &errs, &nerrs);
	rules_finish(r);
	if (!test) {
		m = eventmap_new();
		for (i = 0; i < mfiles.n; i++)
			eventmap_load_file(m, mfiles.v[i], &errs, &nerrs);
	} else if (mfiles.n > 0 && argc > 2) {
		for (i = 0; i < mfiles.n; i++)
			fprintf(stderr, "tfdrift: %s: not a rule file (no top-level rules:)\n",
			    mfiles.v[i]);
		bad += (int)mfiles.n;
	}
	print_errs(errs, nerrs);
	if (test && nerrs == 0 && bad == 0) {
		nfail = rules_run_tests(r, stdout, &npass);
		printf("%s: %zu test%s passed, %zu failed, in %zu rule%s\n", nfail ? "FAIL" : "ok",
		    npass, npass == 1 ? "" : "s", nfail, rules_count(r), rules_count(r) == 1 ? "" : "s");
	} else if (nerrs == 0 && bad == 0) {
		if (mfiles.n > 0 || rfiles.n == 0)
			printf("ok: %zu event map entr%s in %zu file%s\n", eventmap_count(m),
			    eventmap_count(m) == 1 ? "y" : "ies", mfiles.n, mfiles.n == 1 ? "" : "s");
		if (rfiles.n > 0)
			printf("ok: %zu rule%s (%zu test%s) in %zu file%s\n", rules_count(r),
			    rules_count(r) == 1 ? "" : "s", rules_test_count(r),
			    rules_test_count(r) == 1 ? "" : "s", rfiles.n, rfiles.n == 1 ? "" : "s");
	} else
		fprintf(stderr, "tfdrift: %zu error%s\n", nerrs + (size_t)bad,
		    nerrs + (size_t)bad == 1 ? "" : "s");
	yerrs_free(errs, nerrs);
	eventmap_free(m);
	rules_unref(r);
	strlist_clear(&files);
	strlist_clear(&rfiles);
	strlist_clear(&mfiles);
	conf_free(&conf);
	return nerrs == 0 && bad == 0 && nfail == 0 ? 0 : 1;
}

int
cmd_config(int argc, char **argv)
{
	struct conf conf;
	struct theme th;
	const char *path = NULL;
	char **errs = NULL;
	size_t nerrs = 0, j;
	int i;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_help(stdout, "config");
		return 0;
	}
	if (argc < 2)
		return cli_usage_error("config", "expected check");
	if (strcmp(argv[1], "check") != 0)
		return cli_usage_error("config", "unknown subcommand '%s'", argv[1]);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			cli_help(stdout, "config check");
			return 0;
		}
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)
			return cli_usage_error("config check", "option %s needs an argument (FILE)",
			    argv[i]);
		else
			return cli_usage_error("config check", argv[i][0] == '-' ?
			    "unknown option %s" : "unexpected argument '%s'", argv[i]);
	}
	if (load_conf(&conf, path) != 0)
		return 1;
	/* The configured theme must load too, or the dashboard would refuse to start. */
	if (theme_load(conf.theme, &th, &errs, &nerrs) != 0) {
		for (j = 0; j < nerrs; j++)
			fprintf(stderr, "tfdrift: %s\n", errs[j]);
		yerrs_free(errs, nerrs);
		theme_free(&th);
		conf_free(&conf);
		return 1;
	}
	theme_free(&th);
	conf_dump(&conf, stdout);
	conf_free(&conf);
	return 0;
}

/* Options of the dashboard that may open the command line (`tfdrift --state ...`). */
static int
is_ui_option(const char *a)
{
	static const char *opts[] = { "--state", "--events", "-s", "-e", "--store", "--theme",
		"--since", "--until", "--export-dir", "--event-maps", "-m", "--max-iterations" };
	size_t i, n;

	for (i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		n = strlen(opts[i]);
		if (strncmp(a, opts[i], n) == 0 && (a[n] == '\0' || (a[n] == '=' && a[1] == '-')))
			return 1;
	}
	return 0;
}

int
cli_main(int argc, char **argv)
{
	int i = 1, rc;

	/* Global options before the command: -c FILE. */
	while (i < argc && argv[i][0] == '-') {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
			global_config = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (is_ui_option(argv[i])) {
			/* `tfdrift --state ... --events ...` is `tfdrift ui ...`. */
			return ui_main(argc - i + 1, argv + i - 1, 0, global_config);
		} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("tfdrift %s\n", PACKAGE_VERSION);
			return 0;
		} else if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			return cli_usage_error(NULL, "option %s needs an argument (FILE)", argv[i]);
		} else {
			return cli_usage_error(NULL, "unknown option %s", argv[i]);
		}
	}
	if (i >= argc) {
		/* Bare `tfdrift` on a terminal is the dashboard on the configured sources. */
		if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
			return ui_main(1, argv + argc - 1, 0, global_config);
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[i], "scan") == 0)
		rc = cmd_scan(argc - i, argv + i);
	else if (strcmp(argv[i], "export") == 0)
		rc = cmd_export(argc - i, argv + i);
	else if (strcmp(argv[i], "ack") == 0 || strcmp(argv[i], "suppress") == 0 ||
	    strcmp(argv[i], "undo") == 0)
		rc = cmd_triage(argv[i], argc - i, argv + i);
	else if (strcmp(argv[i], "demo") == 0 || strcmp(argv[i], "ui") == 0)
		rc = ui_main(argc - i, argv + i, argv[i][0] == 'd', global_config);
	else if (strcmp(argv[i], "freeze") == 0)
		rc = cmd_freeze(argc - i, argv + i);
	else if (strcmp(argv[i], "watch") == 0)
		rc = watch_main(argc - i, argv + i, global_config);
	else if (strcmp(argv[i], "blame") == 0)
		rc = blame_main(argc - i, argv + i, global_config);
	else if (strcmp(argv[i], "rules") == 0)
		rc = cmd_rules(argc - i, argv + i);
	else if (strcmp(argv[i], "config") == 0)
		rc = cmd_config(argc - i, argv + i);
	else if (strcmp(argv[i], "keys") == 0) {
		/* The dashboard's keys and commands, from the key table (the man page's KEYS). */
		struct cmd_doc cmds[64];
		size_t n = ui_command_docs(cmds, TF_ARRLEN(cmds));

		if (argc - i == 2 && (strcmp(argv[i + 1], "-h") == 0 ||
		    strcmp(argv[i + 1], "--help") == 0)) {
			cli_help(stdout, "keys");
			rc = 0;
		} else if (argc - i > 2 || (argc - i == 2 && strcmp(argv[i + 1], "--man") != 0)) {
			rc = cli_usage_error("keys", "unexpected argument '%s'", argv[argc - 1]);
		} else {
			keys_print(stdout, argc - i == 2, cmds, n);
			rc = 0;
		}
	} else if (strcmp(argv[i], "version") == 0) {
		if (argc - i == 2 && (strcmp(argv[i + 1], "-h") == 0 ||
		    strcmp(argv[i + 1], "--help") == 0)) {
			cli_help(stdout, "version");
			rc = 0;
		} else if (argc - i > 1) {
			rc = cli_usage_error("version", "unexpected argument '%s'", argv[i + 1]);
		} else {
			printf("tfdrift %s\n", PACKAGE_VERSION);
			rc = 0;
		}
	} else if (strcmp(argv[i], "help") == 0)
		rc = cmd_help(argc - i, argv + i);
	else if (strcmp(argv[i], "completion") == 0)
		rc = cmd_completion(argc - i, argv + i);
	else
		rc = cli_usage_error(NULL, "unknown command '%s'", argv[i]);
	return rc;
}
