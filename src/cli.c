/* cli: command-line parsing and the headless commands: scan, rules check, config check. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "detect.h"
#include "event.h"
#include "eventmap.h"
#include "output.h"
#include "state_index.h"
#include "tfstate.h"
#include "util.h"
#include "yamlutil.h"

#define MAX_WARNINGS_PER_FILE 20

/* The global `-c FILE` given before the command (main thread only). */
static const char *global_config;

static void
usage(FILE *fp)
{
	fputs("usage: tfdrift [-c FILE] COMMAND [ARGS]\n"
	    "\n"
	    "commands:\n"
	    "  scan --state SRC... --events FILE... [FILE...] [--format json|jsonl|text] [-o FILE]\n"
	    "                          check recorded audit events against Terraform state;\n"
	    "                          exit 0 no drift, 2 drift found, 1 error\n"
	    "  rules check [PATH...]   validate event maps (default: the installed ones)\n"
	    "  config check [-c FILE]  validate a config file and print the resolved configuration\n"
	    "  version                 print the version\n"
	    "\n"
	    "See tfdrift(1) for every option.\n", fp);
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
	char *file = conf_find(path != NULL ? path : global_config), **errs = NULL;
	size_t nerrs = 0;
	int rc = 0;

	conf_init(c);
	if (file != NULL && conf_load(c, file, &errs, &nerrs) != 0) {
		print_errs(errs, nerrs);
		fprintf(stderr, "tfdrift: %zu error%s in %s\n", nerrs, nerrs == 1 ? "" : "s", file);
		conf_free(c);
		rc = -1;
	}
	yerrs_free(errs, nerrs);
	free(file);
	return rc;
}

static struct eventmap *
load_maps(const char *dir)
{
	struct eventmap *m = NULL;
	char **errs = NULL;
	size_t nerrs = 0;

	if (eventmap_load_dir(dir, &m, &errs, &nerrs) != 0) {
		print_errs(errs, nerrs);
		fprintf(stderr, "tfdrift: the event maps in %s have errors; run `tfdrift rules check %s`\n",
		    dir, dir);
		yerrs_free(errs, nerrs);
		eventmap_free(m);
		return NULL;
	}
	yerrs_free(errs, nerrs);
	return m;
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

/* A time bound: RFC 3339, epoch seconds, or a duration meaning "that long ago". */
static int
parse_bound(const char *s, int64_t *ms)
{
	int64_t d;

	if (tf_parse_time(s, ms) == 0)
		return 0;
	if (tf_parse_duration(s, &d) == 0) {
		*ms = tf_now_ms() - d;
		return 0;
	}
	return -1;
}

static int
is_remote(const char *src)
{
	return strstr(src, "://") != NULL;
}

/* Write to a temporary file beside the target and rename, so readers never see half a file. */
static int
write_output(const char *path, const struct finding_list *l, const struct out_opts *o)
{
	char *tmp;
	FILE *fp;
	int rc;

	if (path == NULL || strcmp(path, "-") == 0) {
		if (output_findings(stdout, l, o) != 0) {
			fprintf(stderr, "tfdrift: writing to standard output: %s\n", strerror(errno));
			return -1;
		}
		return 0;
	}
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	fp = fopen(tmp, "w");
	if (fp == NULL) {
		fprintf(stderr, "tfdrift: %s: %s\n", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	rc = output_findings(fp, l, o);
	if (fclose(fp) != 0)
		rc = -1;
	if (rc != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "tfdrift: writing %s: %s (nothing written)\n", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct strlist states = { 0 }, events = { 0 };
	const char *format = NULL, *outpath = NULL, *cfgpath = NULL, *mapdir = NULL;
	int64_t since = INT64_MIN, until = INT64_MAX;
	int explain = 0, quiet = 0, ch, rc = 0, errors = 0;
	struct conf conf;
	struct eventmap *map = NULL;
	struct state_index *ix = NULL;
	struct tf_state **sts = NULL;
	struct detector *det = NULL;
	struct em_attrset *keepset = NULL;
	struct tfstate_keep keep;
	struct finding_list found = { 0 };
	struct out_opts oo = { OUT_JSON, 0 };
	const struct index_key_spec *specs;
	size_t nspecs, i, nsts = 0;
	uint64_t nevents = 0, nskipped = 0, nmalformed = 0, nwindow = 0;

	optind = 1;
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
		case 'S':
			if (parse_bound(optarg, &since) != 0) {
				fprintf(stderr, "tfdrift: --since %s: expected an RFC 3339 time (2024-05-27T10:00:00Z) or a duration (2h)\n", optarg);
				rc = 1;
			}
			break;
		case 'U':
			if (parse_bound(optarg, &until) != 0) {
				fprintf(stderr, "tfdrift: --until %s: expected an RFC 3339 time (2024-05-27T10:00:00Z) or a duration (2h)\n", optarg);
				rc = 1;
			}
			break;
		case 'h':
			usage(stdout);
			goto out_args;
		default:
			usage(stderr);
			rc = 1;
			goto out_args;
		}
	}
	for (i = (size_t)optind; i < (size_t)argc; i++)
		strlist_push(&events, argv[i]);
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
		fprintf(stderr, "tfdrift scan: need at least one --state and one --events input "
		    "(or `states:`/`events:` in the config)\n");
		rc = 1;
		goto out;
	}
	if (format == NULL)
		oo.format = isatty(STDOUT_FILENO) && outpath == NULL ? OUT_TEXT : OUT_JSON;
	else if (out_format_parse(format, &oo.format) != 0) {
		fprintf(stderr, "tfdrift scan: --format %s: expected json, jsonl or text\n", format);
		rc = 1;
		goto out;
	}
	oo.color = oo.format == OUT_TEXT && outpath == NULL && isatty(STDOUT_FILENO) &&
	    getenv("NO_COLOR") == NULL;

	if ((map = load_maps(mapdir != NULL ? mapdir : conf_event_maps_dir(&conf))) == NULL) {
		rc = 1;
		goto out;
	}
	/* Every state must load: scanning against part of the estate would report its
	 * resources as unmanaged. */
	keepset = eventmap_attrset_new(map);
	keep.fn = eventmap_keep_attr;
	keep.ctx = keepset;
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
	det = detector_new(map, ix, &conf);

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
		while ((got = ev_reader_next(r, &ev, &err)) == 1) {
			enum nodrift why;

			if (ev.time_ms != 0 && (ev.time_ms < since || ev.time_ms > until)) {
				nwindow++;
				event_free(&ev);
				continue;
			}
			why = detect_event(det, &ev, &found);
			if (explain)
				fprintf(stderr, "explain: %s: %s %s %s: %s\n", ev.origin ? ev.origin : "?",
				    ev.id ? ev.id : "-", ev.source ? ev.source : "?", ev.name ? ev.name : "?",
				    nodrift_name(why));
			event_free(&ev);
		}
		if (got < 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			errors++;
		}
		if (!quiet && wc.n > MAX_WARNINGS_PER_FILE)
			fprintf(stderr, "tfdrift: warning: %s: %lu more warnings not shown\n",
			    events.v[i], wc.n - MAX_WARNINGS_PER_FILE);
		nevents += ev_reader_counters(r)->events + ev_reader_skipped_read_only(r);
		nskipped += ev_reader_counters(r)->skipped;
		nmalformed += ev_reader_counters(r)->malformed;
		ev_reader_close(r);
	}

	if (found.n > 1)
		qsort(found.v, found.n, sizeof *found.v, finding_cmp);
	if (write_output(outpath, &found, &oo) != 0)
		errors++;
	if (!quiet) {
		const struct detect_stats *s = detector_stats(det);

		fprintf(stderr, "tfdrift: %llu events from %zu file%s against %zu resources in %zu state%s: "
		    "%zu finding%s (%llu modified, %llu unmanaged, %llu deleted)\n",
		    (unsigned long long)nevents, events.n, events.n == 1 ? "" : "s",
		    state_index_count(ix), nsts, nsts == 1 ? "" : "s", found.n, found.n == 1 ? "" : "s",
		    (unsigned long long)s->findings[FK_MODIFIED],
		    (unsigned long long)s->findings[FK_UNMANAGED],
		    (unsigned long long)s->findings[FK_DELETED]);
		fprintf(stderr, "tfdrift: not drift: %llu read-only, %llu by terraform, %llu failed, "
		    "%llu by cloud services, %llu equal to state, %llu not covered by an event map, "
		    "%llu duplicates, %llu not managed\n",
		    (unsigned long long)(s->by_reason[ND_READ_ONLY] + 0),
		    (unsigned long long)s->by_reason[ND_TERRAFORM],
		    (unsigned long long)s->by_reason[ND_FAILED],
		    (unsigned long long)s->by_reason[ND_SERVICE],
		    (unsigned long long)s->by_reason[ND_EQUAL],
		    (unsigned long long)s->by_reason[ND_NOT_COVERED],
		    (unsigned long long)s->by_reason[ND_DUPLICATE],
		    (unsigned long long)s->by_reason[ND_NOT_MANAGED]);
		if (nskipped + nmalformed + nwindow > 0)
			fprintf(stderr, "tfdrift: skipped %llu records that are not audit events, "
			    "%llu malformed, %llu outside --since/--until\n",
			    (unsigned long long)nskipped, (unsigned long long)nmalformed,
			    (unsigned long long)nwindow);
	}
	rc = errors > 0 ? 1 : found.n > 0 ? 2 : 0;
out:
	finding_list_clear(&found);
	detector_free(det);
	if (ix != NULL)
		state_index_unref(ix);
	free(sts);
	eventmap_attrset_free(keepset);
	eventmap_free(map);
	conf_free(&conf);
out_args:
	strlist_clear(&states);
	strlist_clear(&events);
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

int
cmd_rules(int argc, char **argv)
{
	struct strlist files = { 0 };
	struct eventmap *m;
	struct conf conf;
	char **errs = NULL;
	size_t nerrs = 0, i;
	int bad = 0, a0 = 1;

	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "usage: tfdrift rules check [PATH...]\n");
		return 1;
	}
	if (load_conf(&conf, NULL) != 0)
		return 1;
	if (argc <= 2)
		collect_yaml(conf_event_maps_dir(&conf), &files, &bad);
	for (a0 = 2; a0 < argc; a0++)
		collect_yaml(argv[a0], &files, &bad);
	m = eventmap_new();
	for (i = 0; i < files.n; i++)
		eventmap_load_file(m, files.v[i], &errs, &nerrs);
	print_errs(errs, nerrs);
	if (nerrs == 0 && bad == 0)
		printf("ok: %zu event map entries in %zu file%s\n", eventmap_count(m), files.n,
		    files.n == 1 ? "" : "s");
	else
		fprintf(stderr, "tfdrift: %zu error%s\n", nerrs + (size_t)bad, nerrs + (size_t)bad == 1 ? "" : "s");
	yerrs_free(errs, nerrs);
	eventmap_free(m);
	strlist_clear(&files);
	conf_free(&conf);
	return nerrs == 0 && bad == 0 ? 0 : 1;
}

int
cmd_config(int argc, char **argv)
{
	struct conf conf;
	const char *path = NULL;
	int i;

	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "usage: tfdrift config check [-c FILE]\n");
		return 1;
	}
	for (i = 2; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			path = argv[++i];
		else {
			fprintf(stderr, "usage: tfdrift config check [-c FILE]\n");
			return 1;
		}
	}
	if (load_conf(&conf, path) != 0)
		return 1;
	conf_dump(&conf, stdout);
	conf_free(&conf);
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
		} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("tfdrift %s\n", PACKAGE_VERSION);
			return 0;
		} else {
			fprintf(stderr, "tfdrift: unknown option %s\n", argv[i]);
			usage(stderr);
			return 1;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[i], "scan") == 0)
		rc = cmd_scan(argc - i, argv + i);
	else if (strcmp(argv[i], "rules") == 0)
		rc = cmd_rules(argc - i, argv + i);
	else if (strcmp(argv[i], "config") == 0)
		rc = cmd_config(argc - i, argv + i);
	else if (strcmp(argv[i], "version") == 0) {
		printf("tfdrift %s\n", PACKAGE_VERSION);
		rc = 0;
	} else {
		fprintf(stderr, "tfdrift: unknown command '%s'\n", argv[i]);
		usage(stderr);
		rc = 1;
	}
	return rc;
}
