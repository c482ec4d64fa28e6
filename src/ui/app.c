/* app: the dashboard's set-up and teardown: options, the engine (maps, states, detector and
 * the replay or the live sources), the store, the terminal (refused when it cannot address
 * the cursor; /dev/tty when standard input carries events), then the loop in ui.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>             /* malloc_trim */
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curses.h>

#include "conf.h"
#include "detect.h"
#include "idset.h"
#include "engine.h"
#include "enrich.h"
#include "eventmap.h"
#include "notify.h"
#include "rules.h"
#include "sources.h"
#include "state_index.h"
#include "states.h"
#include "store.h"
#include "tfstate.h"
#include "ui.h"
#include "ui_int.h"
#include "yamlutil.h"
/* Last: terminfo's capability macros (columns, lines...) would clash with our names. */
#include <term.h>

static void
fatal_hook(void)
{
	if (!isendwin())
		endwin();
}

/* --findings FILE: a findings document (tfdrift.findings/v1), a JSON array of findings or
 * JSON lines of them (what export and scan write), shown as if they had arrived: an
 * export from CI or another machine looked at here. 0, or -1 with *err. */
static int
load_findings(const char *path, struct finding_list *out, char **err)
{
	json_tokener *tok;
	char *buf = NULL, *why = NULL;
	size_t len, off = 0, n = 0;
	int rc = 0;

	if (tf_read_file(path, TF_FILE_STATE, &buf, &len, err) != 0)
		return -1;
	tok = json_tokener_new();
	while (rc == 0) {
		json_object *o, *list = NULL;
		size_t i, k;

		while (off < len && (buf[off] == ' ' || buf[off] == '\t' || buf[off] == '\n' ||
		    buf[off] == '\r'))
			off++;
		if (off == len)
			break;
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, buf + off, (int)(len - off > INT_MAX ? INT_MAX :
		    len - off));
		if (o == NULL) {
			rc = tf_err(err, "%s: not JSON at byte %zu: %s", path, off,
			    json_tokener_error_desc(json_tokener_get_error(tok)));
			break;
		}
		off += json_tokener_get_parse_end(tok);
		if (json_object_is_type(o, json_type_array))
			list = o;
		else if (!json_object_object_get_ex(o, "findings", &list))
			list = NULL;    /* one finding (a JSON line) */
		k = list != NULL ? json_object_array_length(list) : 1;
		for (i = 0; i < k && rc == 0; i++) {
			json_object *x = list != NULL ? json_object_array_get_idx(list, i) : o;
			struct finding *f = x != NULL ? finding_from_json(x, &why) : NULL;

			n++;
			if (f == NULL) {
				rc = tf_err(err, "%s: finding %zu: %s", path, n, why ? why : "not an object");
				free(why);
				why = NULL;
			} else
				finding_list_push(out, f);
		}
		json_object_put(o);
	}
	json_tokener_free(tok);
	free(buf);
	return rc;
}

/* Maps, states, index, detector and replay: everything before curses starts. 0 ok. */
static int
load_engine(struct ui *u, struct strlist *states, struct strlist *events, const char *mapdir,
    const struct replay_opts *ro)
{
	struct rules_keep *rk = xcalloc(1, sizeof *rk);
	struct tfstate_keep *tk = xcalloc(1, sizeof *tk);
	struct state_src_opts so;
	char *err = NULL;

	u->rkeep = rk;
	u->tkeep = tk;
	if ((u->map = eventmap_load_report(mapdir != NULL ? mapdir : conf_event_maps_dir(&u->conf),
	    stderr)) == NULL)
		return -1;
	u->keepset = eventmap_attrset_new(u->map);
	/* The rules first: the states keep what they read too. */
	if ((u->rules = rules_load_configured_report(&u->conf, stderr)) == NULL)
		return -1;
	rk->set = u->keepset;
	rk->rules = u->rules;
	tk->fn = rules_keep_attr;
	tk->ctx = rk;
	memset(&so, 0, sizeof so);
	if ((u->states = states_new(states->v, states->n, &so, u->map, tk, &err)) == NULL ||
	    states_refresh(u->states, &u->ix, &err) < 0) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		return -1;
	}
	u->det = detector_new(u->map, u->ix, &u->conf);
	detector_set_rules(u->det, u->rules);
	detector_set_enrich(u->det, enrich_finding_from_state);       /* tags, blast radius, fix */
	if (u->live || events->n == 0)         /* live, or the store view */
		u->replay = replay_new_live(u->det, &err);
	else
		u->replay = replay_new(events->v, events->n, u->det, ro, &err);
	if (u->replay == NULL) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		return -1;
	}
	return 0;
}

static void
open_store(struct ui *u, const char *path, int flags)
{
	char *err = NULL;

	if (path == NULL)
		path = u->conf.store;
	if (path == NULL) {
		u->store_reason = xstrdup("no store configured (--store STORE)");
		return;
	}
	if (store_open_ex(path, flags | (u->readonly ? STORE_RDONLY : 0), 2000, &u->store, &err) != 0) {
		u->store = NULL;
		u->store_reason = xasprintf("%s; running read-only", err);
		free(err);
		return;
	}
	if (store_triage_snapshot(u->store, &u->triage, &err) != 0) {
		u->store_reason = err;
		u->triage = NULL;
	}
}

/* The demo's own store: a private directory of this run, removed at the end (--store STORE
 * keeps one), so the demo never touches the store of real work. */
static char *
demo_store(struct ui *u)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/tfdrift-demo.XXXXXX", tmp != NULL && *tmp == '/' ? tmp : "/tmp");

	if (mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	u->demo_dir = dir;
	return xasprintf("%s/demo.db", dir);
}

static void
remove_demo_store(struct ui *u)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	size_t i;

	if (u->demo_dir == NULL)
		return;
	for (i = 0; i < TF_ARRLEN(suffix); i++) {
		char *p = xasprintf("%s/demo.db%s", u->demo_dir, suffix[i]);

		unlink(p);
		free(p);
	}
	rmdir(u->demo_dir);
	free(u->demo_dir);
	u->demo_dir = NULL;
}

static void
app_free(struct ui *u)
{
	engine_free(u->eng);            /* live: stops the collectors and the engine thread */
	notify_free(u->notify);         /* drains what it can, dead-letters the rest */
	replay_free(u->replay);         /* joins the worker first */
	states_free(u->states);
	store_close(u->eng_store);
	detector_free(u->det);
	if (u->ix != NULL)
		state_index_unref(u->ix);
	if (u->rules != NULL)
		rules_unref(u->rules);
	eventmap_attrset_free(u->keepset);
	eventmap_free(u->map);
	free(u->rkeep);
	free(u->tkeep);
	store_triage_free(u->triage);
	free(u->feed);
	tf_idset_free(u->event_ids);
	store_close(u->store);
	remove_demo_store(u);
	ui_views_free(u);
	model_free(&u->model);
	conf_free(&u->conf);
	free(u->store_reason);
	free(u->store_label);
	free(u->undo);
	free(u->msg);
	ui_prompt_free(u);
	free(u->export_dir);
	free(u->banner);
	free(u->replay_error);
	free(u->resource);
	filter_free(u->search);
	freeze_windows_free(u->fw, u->nfw);
	free(u->freezes);
	evlog_free(&u->events);
	free(u->actors);
	free(u->tl.counts);
	free(u->tl.worst);
	if (u->tty != NULL)
		fclose(u->tty);
}

/* Live mode: the engine with the configured sources, feeding the replay's queues; its own
 * store connection for the collectors' cursors (SQLite WAL lets both write). 0 ok. */
static int
start_live(struct ui *u)
{
	struct engine_consumer cons;
	char *err = NULL;

	if (u->store != NULL && !u->readonly && store_open_ex(store_location(u->store), 0, 5000,
	    &u->eng_store, &err) != 0) {
		/* Cursors then live in memory only: a restart starts from the lookback. */
		ui_msg(u, 1, "cursors not kept: %s", err);
		free(err);
		err = NULL;
		u->eng_store = NULL;
	}
	/* Notifications from the live dashboard (a replay or the demo sends none). */
	if ((u->notify = notify_new_store(&u->conf, u->store != NULL ? store_location(u->store) : NULL,
	    &err)) == NULL) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		return -1;
	}
	replay_engine_consumer(u->replay, &cons);
	u->eng = engine_new(u->det, u->eng_store, 10000, &cons);
	engine_set_state_loader(u->eng, states_loader, u->states, u->conf.state_refresh_ms);
	if (sources_add(u->eng, &u->conf, NULL, NULL, &err) < 0) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		return -1;
	}
	/* A writable store may be shared with `watch` workers: a poller runs in one of them at
	 * a time, this dashboard included (Sources says which). */
	if (u->eng_store != NULL) {
		struct engine_lease_opts lo;
		char *holder = store_lease_holder_new();

		lo.holder = holder;
		lo.ttl_ms = ENGINE_LEASE_TTL_MS;
		lo.heartbeat_ms = lo.ttl_ms / 2;
		if (engine_set_lease(u->eng, &lo, &err) != 0) {
			ui_msg(u, 1, "pollers not shared with other workers: %s", err);
			free(err);
			err = NULL;
		}
		free(holder);
	}
	replay_attach_engine(u->replay, u->eng);
	return 0;
}

/* The store view: an engine without sources behind the replay's queues (the Sources view
 * and the status line ask it), then the store's findings into the model. 0 ok. */
static int
start_store_view(struct ui *u, int64_t since_ms)
{
	struct engine_consumer cons;
	char *err = NULL;

	replay_engine_consumer(u->replay, &cons);
	u->eng = engine_new(u->det, NULL, 16, &cons);
	replay_attach_engine(u->replay, u->eng);
	if (ui_store_open_view(u, since_ms, &err) != 0) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		return -1;
	}
	return 0;
}

/* Start the worker with every signal blocked, so signals (SIGWINCH, SIGINT, SIGTSTP) reach
 * the main thread and interrupt its poll(). */
static int
start_worker(struct ui *u, char **err)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = replay_start(u->replay, err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Can this terminal run a full-screen program? It must be able to move the cursor. */
static int
terminal_ok(int fd)
{
	const char *term = getenv("TERM");
	char *cup;
	int err = 0;

	if (term == NULL || *term == '\0') {
		fprintf(stderr, "tfdrift: TERM is not set: the dashboard needs a terminal type "
		    "(TERM=xterm-256color); for files, use tfdrift scan\n");
		return 0;
	}
	if (setupterm(NULL, fd, &err) != OK) {
		fprintf(stderr, "tfdrift: the terminal type '%s' is unknown here (install ncurses-term, "
		    "or set TERM=xterm-256color); for files, use tfdrift scan\n", term);
		return 0;
	}
	cup = tigetstr("cup");
	del_curterm(cur_term);
	if (cup == NULL || cup == (char *)-1) {
		fprintf(stderr, "tfdrift: the terminal '%s' cannot move the cursor, which the dashboard "
		    "needs; run it in a full terminal (TERM=xterm-256color), or use tfdrift scan or "
		    "tfdrift watch\n", term);
		return 0;
	}
	return 1;
}

/* Where e writes when --export-dir does not say: $XDG_DATA_HOME/tfdrift/exports. */
static char *
export_dir_default(void)
{
	char *base = tf_xdg_dir("XDG_DATA_HOME", ".local/share"), *d;

	d = xasprintf("%s/tfdrift/exports", base);
	free(base);
	return d;
}

int
ui_dashboard(const struct ui_opts *o)
{
	struct ui *u = xcalloc(1, sizeof *u);
	struct strlist states = { 0 }, events = { 0 };
	const struct strlist *findings = &o->findings;
	struct replay_opts ro;
	const char *storepath = o->store, *cfgpath = o->config, *mapdir = o->event_maps;
	const char *theme = o->theme;
	char **errs = NULL, *err = NULL, *demo_db = NULL;
	size_t nerrs = 0, i;
	struct theme th = { 0 };
	SCREEN *scr = NULL;
	int rc = 1, stdin_events = 0, demo = o->demo, store_view = 0;

	memset(&ro, 0, sizeof ro);
	ro.pace_ms = o->pace_ms;
	ro.passes = o->passes;
	ro.since_ms = o->since_ms;
	ro.until_ms = o->until_ms;
	ro.shift_to_now = demo;
	for (i = 0; i < o->states.n; i++)
		strlist_push(&states, o->states.v[i]);
	for (i = 0; i < o->events.n; i++)
		strlist_push(&events, o->events.v[i]);
	sb_init(&u->input);
	u->demo = demo;
	u->title = demo ? "demo" : "replay";
	u->tty_fd = STDIN_FILENO;
	u->readonly = o->readonly;
	u->max_iterations = o->max_iterations;
	conf_init(&u->conf);
	u->export_dir = o->export_dir != NULL ? xstrdup(o->export_dir) : export_dir_default();
	if (conf_load_report(&u->conf, cfgpath, stderr) != 0)
		goto out;
	u->user = conf_user(&u->conf);          /* who the dashboard's decisions are made as */
	/* A theme that does not load says why before curses starts. */
	if (theme_load(theme != NULL ? theme : u->conf.theme, &th, &errs, &nerrs) != 0) {
		for (i = 0; i < nerrs; i++)
			fprintf(stderr, "tfdrift: %s\n", errs[i]);
		yerrs_free(errs, nerrs);
		goto out;
	}
	if (demo) {
		const char *names[] = { "prod.tfstate", "gcp.tfstate", "cloudtrail.json", "gcp-audit.json" };
		char *missing = tf_datadir_missing("doc/examples");

		if (missing != NULL) {
			fprintf(stderr, "tfdrift demo: %s\n", missing);
			free(missing);
			goto out;
		}
		for (i = 0; i < 4; i++) {
			char *p = xasprintf("%s/doc/examples/%s", tf_datadir(), names[i]);

			strlist_push(i < 2 ? &states : &events, p);
			free(p);
		}
	}
	for (i = 0; states.n == 0 && i < u->conf.states.n; i++)
		strlist_push(&states, u->conf.states.v[i]);
	/* Live: the configured sources, unless files were given to replay. */
	/* --store without events: the findings in the store, as other processes save them
	 * (live.c); the sources are the workers' to poll. */
	store_view = !demo && events.n == 0 && u->conf.events.n == 0 && storepath != NULL;
	u->live = !demo && !store_view && events.n == 0 && sources_live(&u->conf);
	if (u->live)
		u->title = "live";
	if (store_view)
		u->title = "store";
	for (i = 0; !u->live && events.n == 0 && i < u->conf.events.n; i++)
		strlist_push(&events, u->conf.events.v[i]);
	if (!store_view && (states.n == 0 || (events.n == 0 && !u->live))) {
		fprintf(stderr, "tfdrift: need at least one --state and one --events input "
		    "(or `states:`/`events:` in the config), or --store STORE for the findings a store "
		    "holds; try `tfdrift demo`\n");
		goto out;
	}
	for (i = 0; i < events.n; i++)
		stdin_events |= strcmp(events.v[i], "-") == 0;
	/* The screen is the terminal on standard output; keys come from standard input, or
	 * from /dev/tty when standard input carries events (or is not a terminal). */
	if (!isatty(STDOUT_FILENO)) {
		fprintf(stderr, "tfdrift: the %s needs a terminal on standard output (for files, "
		    "use tfdrift scan)\n", demo ? "demo" : "dashboard");
		goto out;
	}
	if (stdin_events || !isatty(STDIN_FILENO)) {
		if ((u->tty = fopen("/dev/tty", "r+")) == NULL) {
			fprintf(stderr, "tfdrift: the %s needs a terminal for keys: /dev/tty: %s\n",
			    demo ? "demo" : "dashboard", strerror(errno));
			goto out;
		}
		fcntl(fileno(u->tty), F_SETFD, FD_CLOEXEC);
		u->tty_fd = fileno(u->tty);
	}
	if (!terminal_ok(STDOUT_FILENO))
		goto out;
	if (load_engine(u, &states, &events, mapdir, &ro) != 0)
		goto out;
	if (demo && storepath == NULL && (demo_db = demo_store(u)) == NULL) {
		fprintf(stderr, "tfdrift: cannot make a private store directory: %s\n",
		    strerror(errno));
		goto out;
	}
	open_store(u, demo_db != NULL ? demo_db : storepath, store_view ? STORE_NOCREATE : 0);
	if (store_view && u->store == NULL) {
		/* Nothing to show: say why rather than an empty dashboard. */
		fprintf(stderr, "tfdrift: %s\n", u->store_reason);
		goto out;
	}
	if (u->readonly && u->store != NULL && store_readonly_reason(u->store) == NULL)
		u->store_reason = xstrdup("opened with --readonly");
	u->store_label = u->store != NULL ? (u->demo_dir != NULL ?
	    xasprintf("%s (the demo's own, removed when it ends; --store STORE keeps one)",
	    store_path(u->store)) : xstrdup(store_path(u->store))) :
	    store_display(storepath != NULL ? storepath : u->conf.store);
	evlog_init(&u->events, 200000);
	ui_views_init(u);
	/* The demo's morning passes in a minute: its timeline starts at 10 s buckets. */
	u->tl.zoom = demo ? 0 : 1;
	ui_load_prefs(u);
	for (i = 0; i < findings->n; i++) {
		struct finding_list fl = { 0 };
		struct ui_event_list none = { 0 };
		size_t k;

		if (load_findings(findings->v[i], &fl, &err) != 0) {
			fprintf(stderr, "tfdrift: --findings %s\n", err);
			free(err);
			finding_list_clear(&fl);
			free(fl.v);
			goto out;
		}
		for (k = 0; k < fl.n; k++)      /* this store's decisions apply to them too */
			store_triage_apply(u->triage, fl.v[k], tf_now_ms());
		ui_show_arrivals(u, &fl, &none);
		free(fl.v);
	}
#ifdef __GLIBC__
	/* The files' findings were read whole before the model made its compact copies
	 * (compact.h): give back the pages that held them. */
	if (findings->n > 0)
		malloc_trim(0);
#endif
	if (u->live && start_live(u) != 0)
		goto out;
	if (store_view) {
		if (start_store_view(u, o->since_ms != 0 ? o->since_ms :
		    tf_now_ms() - UI_STORE_RESOLVED_MS) != 0)
			goto out;
		/* --until bounds a replay; the store's findings are all shown as they come. */
	}
	ui_load_freezes(u, NULL, 0);
	if (u->store == NULL || store_readonly_reason(u->store) != NULL || u->readonly)
		ui_msg(u, 1, "read-only: %s", u->store != NULL && store_readonly_reason(u->store) ?
		    store_readonly_reason(u->store) : u->store_reason != NULL ? u->store_reason :
		    "no store");

	/* Only the character type follows the environment: ncursesw needs LC_CTYPE for wide
	 * characters, and nothing else may. LC_NUMERIC would turn printf's and strtod's "80.5"
	 * into "80,5" (values, rates, JSON), LC_TIME strftime's %b into "Dez": every number and
	 * time the dashboard shows, parses or exports stays the C locale's, exactly as in the
	 * headless commands, which never call setlocale. Leaving the other categories at "C" is
	 * process-wide, so it also covers the libraries and threads (the live sources) that
	 * format numbers, which a uselocale() around our own calls would not. */
	setlocale(LC_CTYPE, "");
	u->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	ui_set_glyphs(u->utf8);
	tf_fatal_hook = fatal_hook;
	if ((scr = newterm(NULL, stdout, u->tty != NULL ? u->tty : stdin)) == NULL) {
		fprintf(stderr, "tfdrift: cannot start the terminal interface\n");
		goto out;
	}
	set_term(scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	u->theme = theme_init(&th);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
	    | BUTTON5_PRESSED
#endif
	    , NULL);
	mouseinterval(0);
	ui_install_signals();
	if (start_worker(u, &err) != 0) {
		endwin();
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		goto out;
	}
	rc = ui_run(u);
	endwin();
	tf_fatal_hook = NULL;
	if (ui_signal() != 0)
		rc = 128 + ui_signal();
out:
	theme_free(&th);
	app_free(u);
	if (scr != NULL)
		delscreen(scr);
	free(u);
	free(demo_db);
	strlist_clear(&states);
	strlist_clear(&events);
	return rc;
}
