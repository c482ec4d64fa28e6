/* test_theme: theme files without a terminal: the shipped themes parse and cover every
 * slot, inheritance, numeric colours and their 8-colour fallbacks, positioned errors,
 * theme_load's lookup, and the embedded copies against the files in themes/. */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui/theme.h"
#include "util.h"
#include "yamlutil.h"
#include "tap.h"

static char srcdir[PATH_MAX];

/* Parse buf as "t.yaml"; returns the error count, errors joined by \n into *joined. */
static size_t
parse_str(struct theme *t, const char *buf, char **joined)
{
	char **errs = NULL;
	size_t n = 0, i;
	struct strbuf sb;
	int rc;

	rc = theme_parse(buf, strlen(buf), "t.yaml", t, &errs, &n);
	if ((rc != 0) != (n != 0))
		diag("return code %d disagrees with %zu errors", rc, n);
	sb_init(&sb);
	for (i = 0; i < n; i++) {
		if (i)
			sb_addc(&sb, '\n');
		sb_adds(&sb, errs[i]);
	}
	yerrs_free(errs, n);
	*joined = sb_detach(&sb);
	return n;
}

/* One bad document: exactly one error, with this exact text. */
static void
one_error(const char *buf, const char *want, const char *name)
{
	struct theme t;
	char *got;
	size_t n = parse_str(&t, buf, &got);

	is_int(n, 1, "%s: one error", name);
	is_str(got, want, "%s: message and position", name);
	free(got);
	theme_free(&t);
}

static int
same_style(const struct theme_style *a, const struct theme_style *b)
{
	return a->fg == b->fg && a->bg == b->bg && a->fg8 == b->fg8 && a->bg8 == b->bg8 &&
	    a->attrs == b->attrs;
}

static void
load_builtin(const char *name, struct theme *t)
{
	char **errs = NULL;
	size_t n = 0, i;

	if (theme_load(name, t, &errs, &n) != 0 || n != 0) {
		for (i = 0; i < n; i++)
			diag("%s", errs[i]);
	}
	yerrs_free(errs, n);
}

static void
test_slot_names(void)
{
	size_t i, j, bad = 0, dup = 0;

	for (i = 0; i < TS__COUNT; i++) {
		const char *s = theme_slot_name((enum theme_slot)i);

		if (s == NULL || *s == '\0' || strspn(s, "abcdefghijklmnopqrstuvwxyz-") != strlen(s))
			bad++;
		for (j = 0; s != NULL && j < i; j++)
			if (strcmp(s, theme_slot_name((enum theme_slot)j)) == 0)
				dup++;
	}
	is_int(bad, 0, "every slot has a kebab-case name");
	is_int(dup, 0, "slot names are unique");
	is_str(theme_slot_name(TS_FINDING_HIGH), "finding-high", "TS_FINDING_HIGH is finding-high");
	is_str(theme_slot_name(TS_TIMELINE_FREEZE), "timeline-freeze", "the new slots: timeline-freeze");
	is_str(theme_slot_name(TS_MATCH), "match", "the new slots: match");
	ok(theme_slot_name(TS__COUNT) == NULL, "no name past the last slot");
}

/* Every shipped theme parses without errors and resolves every slot. */
static void
test_shipped(void)
{
	static const char *names[] = { "default", "light", "monochrome", "high-contrast" };
	struct theme def, t;
	size_t i, s, own, colours, nobg;

	is_int(theme_nbuiltins, 4, "four themes are built in");
	load_builtin("default", &def);
	for (i = 0; i < TF_ARRLEN(names); i++) {
		const struct theme_builtin *b = theme_builtin_find(names[i]);
		char **errs = NULL;
		size_t n = 0, mism = 0;
		int rc;

		ok(b != NULL, "%s is built in", names[i]);
		if (b == NULL)
			continue;
		rc = theme_parse(b->data, b->len, names[i], &t, &errs, &n);
		ok(rc == 0 && n == 0, "%s parses without errors", names[i]);
		for (s = 0; s < n; s++)
			diag("%s", errs[s]);
		yerrs_free(errs, n);
		is_str(t.name, names[i], "%s: name", names[i]);
		ok(t.description != NULL && strlen(t.description) > 10, "%s: has a description",
		    names[i]);
		/* Defined here, or exactly the default theme's. */
		for (own = colours = nobg = s = 0; s < TS__COUNT; s++) {
			if (t.slot[s].line > 0)
				own++;
			else if (!same_style(&t.slot[s], &def.slot[s]))
				mism++;
			if (t.slot[s].fg != THEME_COLOUR_DEFAULT || t.slot[s].bg != THEME_COLOUR_DEFAULT)
				colours++;
			if (t.slot[s].bg == THEME_COLOUR_DEFAULT)
				nobg++;
		}
		is_int(mism, 0, "%s: every slot it leaves out is the default theme's", names[i]);
		/* The shipped themes spell out every slot, so a new slot needs a value in each. */
		is_int(own, TS__COUNT, "%s: defines all %d slots", names[i], TS__COUNT);
		if (strcmp(names[i], "monochrome") == 0)
			is_int(colours, 0, "monochrome: no colours in any slot");
		else
			ok(colours > 0, "%s: has colours", names[i]);
		if (strcmp(names[i], "high-contrast") == 0)
			is_int(nobg, 0, "high-contrast: every slot names its background");
		theme_free(&t);
	}
	/* The values the old built-in table had (and tests/tui/demo.sh checks). */
	is_int(def.slot[TS_FINDING_HIGH].fg, 1, "default: finding-high is red");
	is_int(def.slot[TS_FINDING_HIGH].attrs, THEME_A_BOLD, "default: finding-high is bold");
	is_int(def.slot[TS_STATUS_BAR].bg, 6, "default: status bar on cyan");
	theme_free(&def);
	load_builtin("monochrome", &t);
	is_int(t.slot[TS_FINDING_CRITICAL].attrs, THEME_A_BOLD | THEME_A_UNDERLINE,
	    "monochrome: critical is bold and underlined");
	is_int(t.slot[TS_SELECTION].attrs, THEME_A_REVERSE, "monochrome: selection is reverse video");
	theme_free(&t);
}

/* How alarming a style looks: a block of colour (a background of its own, or reverse video)
 * above red, above yellow or magenta, above the cool colours, above a grey; the hue is the
 * 8-colour one, so a 256-colour tone counts as the colour it falls back to. A style without
 * a colour of its own (the monochrome theme's) ranks by attributes: bold and underline, bold,
 * underline, plain, dim. */
static int
alarm_of(const struct theme_style *st, const struct theme_style *normal)
{
	unsigned a = st->attrs;

	if ((a & (THEME_A_REVERSE | THEME_A_STANDOUT)) != 0 ||
	    (st->bg != THEME_COLOUR_DEFAULT && st->bg != normal->bg))
		return 5;
	if (st->fg != THEME_COLOUR_DEFAULT && st->fg != normal->fg) {
		switch (st->fg8) {
		case 1: return 4;                       /* red */
		case 3: case 5: return 3;               /* yellow, magenta */
		case 2: case 4: case 6: return 2;       /* green, blue, cyan */
		default: return 0;                      /* black, white: greys */
		}
	}
	return (a & THEME_A_BOLD ? 2 : 0) + (a & THEME_A_UNDERLINE ? 1 : 0) - (a & THEME_A_DIM ? 1 : 0);
}

/* Severities look as alarming as they are (critical the most: it was magenta, below high's
 * red), the active tab stands apart from the others and from the top line it sits on, and
 * headers are readable on a dark terminal. */
static void
test_alarm(void)
{
	static const char *names[] = { "default", "light", "monochrome", "high-contrast" };
	static const enum theme_slot sev[] = { TS_FINDING_CRITICAL, TS_FINDING_HIGH,
	    TS_FINDING_MEDIUM, TS_FINDING_LOW, TS_FINDING_INFO };
	struct theme t;
	size_t i, j;

	for (i = 0; i < TF_ARRLEN(names); i++) {
		const struct theme_style *n, *on, *off, *hd;
		int bad = 0;

		load_builtin(names[i], &t);
		n = &t.slot[TS_NORMAL];
		/* Monochrome has no block to give: reverse video would turn the timeline's bar
		 * glyphs inside out. */
		if (strcmp(names[i], "monochrome") != 0)
			is_int(alarm_of(&t.slot[TS_FINDING_CRITICAL], n), 5,
			    "%s: critical is a block of colour", names[i]);
		for (j = 0; j + 1 < TF_ARRLEN(sev); j++)
			if (alarm_of(&t.slot[sev[j]], n) <= alarm_of(&t.slot[sev[j + 1]], n)) {
				diag("%s: %s (%d) is not more alarming than %s (%d)", names[i],
				    theme_slot_name(sev[j]), alarm_of(&t.slot[sev[j]], n),
				    theme_slot_name(sev[j + 1]), alarm_of(&t.slot[sev[j + 1]], n));
				bad++;
			}
		is_int(bad, 0, "%s: critical > high > medium > low > info in alarm", names[i]);

		on = &t.slot[TS_TAB_ACTIVE];
		off = &t.slot[TS_TAB_INACTIVE];
		hd = &t.slot[TS_HEADER];
		ok(!same_style(on, off), "%s: the active tab looks unlike the others", names[i]);
		/* The top line is drawn in the header slot plus reverse video. */
		ok(!(on->fg == hd->fg && on->bg == hd->bg &&
		    on->attrs == (hd->attrs | THEME_A_REVERSE)),
		    "%s: the active tab looks unlike the top line it is on", names[i]);
		if (strcmp(names[i], "monochrome") == 0) {
			ok(((on->attrs ^ off->attrs) & THEME_A_REVERSE) != 0,
			    "monochrome: one of active and inactive tab is in reverse video");
			ok((t.slot[TS_SELECTION].attrs & (THEME_A_REVERSE | THEME_A_STANDOUT)) != 0,
			    "monochrome: the selection shows (reverse video)");
		}
		theme_free(&t);
	}
	load_builtin("default", &t);
	ok(t.slot[TS_HEADER].fg == THEME_COLOUR_DEFAULT && t.slot[TS_HEADER].bg == THEME_COLOUR_DEFAULT &&
	    (t.slot[TS_HEADER].attrs & THEME_A_BOLD) != 0,
	    "default: headers in the terminal's own colour, bold (blue was unreadable on dark)");
	is_int(t.slot[TS_FINDING_CRITICAL].bg, 1, "default: critical on red");
	is_int(t.slot[TS_FINDING_CRITICAL].fg, 7, "default: critical in white");
	theme_free(&t);
}

static void
test_colours(void)
{
	struct theme t;
	char *e;
	size_t n;

	n = parse_str(&t, "name: x\nslots:\n"
	    "  finding-high: {fg: 208, bg: 19}\n"
	    "  finding-low: {fg: bright-red, bg: bright-black}\n"
	    "  diff-added: {fg: 130, fallback: {fg: yellow, bg: default}, bg: 160}\n"
	    "  diff-removed: {fg: 9, bg: 244}\n  diff-changed: {fg: 238, bg: 17}\n"
	    "  normal: {fg: default, bg: white, attrs: [bold, dim, underline, reverse, standout, "
	    "italic, blink]}\n", &e);
	is_int(n, 0, "numeric and bright colours parse");
	free(e);
	is_int(t.slot[TS_FINDING_HIGH].fg, 208, "fg 208 kept for 256-colour terminals");
	is_int(t.slot[TS_FINDING_HIGH].fg8, 3, "208 (orange) falls back to yellow");
	is_int(t.slot[TS_FINDING_HIGH].bg, 19, "bg 19");
	is_int(t.slot[TS_FINDING_HIGH].bg8, 4, "19 (dark blue) falls back to blue");
	is_int(t.slot[TS_FINDING_LOW].fg, 9, "bright-red is 9");
	is_int(t.slot[TS_FINDING_LOW].fg8, 1, "bright-red falls back to red");
	is_int(t.slot[TS_FINDING_LOW].bg, 8, "bright-black is 8");
	is_int(t.slot[TS_FINDING_LOW].bg8, 0, "bright-black falls back to black");
	is_int(t.slot[TS_DIFF_ADDED].fg8, 3, "an explicit fallback fg wins over the nearest");
	is_int(t.slot[TS_DIFF_ADDED].bg8, THEME_COLOUR_DEFAULT, "fallback bg: default");
	is_int(t.slot[TS_DIFF_REMOVED].fg8, 1, "9 as a number falls back to red");
	is_int(t.slot[TS_DIFF_REMOVED].bg8, 7, "grey 244 falls back to white");
	is_int(t.slot[TS_DIFF_CHANGED].fg8, 0, "dark grey 238 falls back to black");
	is_int(t.slot[TS_DIFF_CHANGED].bg8, 0, "17 (navy) is nearer black than blue");
	is_int(t.slot[TS_NORMAL].fg, THEME_COLOUR_DEFAULT, "fg: default");
	is_int(t.slot[TS_NORMAL].bg, 7, "bg: white");
	is_int(t.slot[TS_NORMAL].attrs, THEME_A_BOLD | THEME_A_DIM | THEME_A_UNDERLINE |
	    THEME_A_REVERSE | THEME_A_STANDOUT | THEME_A_ITALIC | THEME_A_BLINK, "all seven attributes");
	theme_free(&t);

	load_builtin("light", &t);
	is_int(t.slot[TS_FINDING_HIGH].fg, 160, "light: finding-high is 160");
	is_int(t.slot[TS_FINDING_HIGH].fg8, 1, "light: on 8 colours, red");
	is_int(t.slot[TS_FINDING_CRITICAL].bg, 160, "light: critical on 160");
	is_int(t.slot[TS_FINDING_CRITICAL].bg8, 1, "light: on 8 colours, on red");
	theme_free(&t);
}

static void
test_inherit(void)
{
	struct theme t, light, def;
	char *e;
	size_t n, s, diff;

	load_builtin("light", &light);
	load_builtin("default", &def);
	n = parse_str(&t, "name: mine\ninherit: light\nslots:\n  finding-high: {fg: blue}\n", &e);
	is_int(n, 0, "inherit: light parses");
	free(e);
	is_str(t.inherit, "light", "inherit recorded");
	is_int(t.slot[TS_FINDING_HIGH].fg, 4, "its own slot wins");
	is_int(t.slot[TS_FINDING_HIGH].line, 4, "and says where it was set");
	for (diff = 0, s = 0; s < TS__COUNT; s++)
		if (s != TS_FINDING_HIGH && !same_style(&t.slot[s], &light.slot[s]))
			diff++;
	is_int(diff, 0, "every other slot is light's");
	is_int(t.slot[TS_FINDING_CRITICAL].line, 0, "an inherited slot has no line");
	theme_free(&t);

	n = parse_str(&t, "slots:\n  header: {fg: green}\n", &e);
	is_int(n, 0, "no inherit: parses");
	free(e);
	is_str(t.name, "t", "unnamed: the file's base name");
	is_str(t.inherit, "default", "no inherit: inherits the default theme");
	for (diff = 0, s = 0; s < TS__COUNT; s++)
		if (s != TS_HEADER && !same_style(&t.slot[s], &def.slot[s]))
			diff++;
	is_int(diff, 0, "every other slot is the default's");
	theme_free(&t);

	n = parse_str(&t, "inherit: none\nslots:\n  header: {fg: green}\n", &e);
	is_int(n, 0, "inherit: none parses");
	free(e);
	ok(t.inherit == NULL, "inherit: none inherits nothing");
	ok(t.slot[TS_FINDING_HIGH].fg == THEME_COLOUR_DEFAULT && t.slot[TS_FINDING_HIGH].attrs == 0,
	    "inherit: none leaves the other slots plain");
	theme_free(&t);
	theme_free(&light);
	theme_free(&def);

	one_error("inherit: nosuch\nslots: {}\n",
	    "t.yaml:1:10: inherit: unknown theme 'nosuch' (a theme inherits a built-in one: "
	    "default, light, monochrome, high-contrast)", "inherit an unknown theme");
}

static void
test_errors(void)
{
	struct theme t;
	char *e;
	size_t n;

	one_error("slots:\n  finding-hgih: {fg: red}\n",
	    "t.yaml:2:3: unknown slot 'finding-hgih' (did you mean 'finding-high'?)",
	    "misspelt slot");
	one_error("slots:\n  sparkles: {fg: red}\n",
	    "t.yaml:2:3: unknown slot 'sparkles'",
	    "unknown slot");
	one_error("slots:\n  header:  {fg: purple}\n",
	    "t.yaml:2:17: header: fg: unknown colour 'purple' (colours: default, black, red, green, "
	    "yellow, blue, magenta, cyan, white, bright-<colour>, 0-255)", "unknown colour");
	one_error("slots:\n  header: {bg: 256}\n",
	    "t.yaml:2:16: header: bg: colour number 256 is out of range (0-255)",
	    "colour number out of range");
	one_error("slots:\n  header: {fg: bright-pink}\n",
	    "t.yaml:2:16: header: fg: unknown colour 'bright-pink' (colours: default, black, red, "
	    "green, yellow, blue, magenta, cyan, white, bright-<colour>, 0-255)",
	    "unknown bright colour");
	one_error("slots:\n  header:\n    fg: red\n    attrs: [bold, blod]\n",
	    "t.yaml:4:19: header: unknown attribute 'blod' (attributes: bold, dim, underline, "
	    "reverse, standout, italic, blink)", "unknown attribute");
	one_error("slots:\n  header: {attrs: bold}\n",
	    "t.yaml:2:19: header: attrs must be a list such as [bold, underline], not a single value",
	    "attrs not a list");
	one_error("slots:\n  header: {fg: [red]}\n",
	    "t.yaml:2:16: header: fg must be a colour name or number, not a list", "fg a list");
	one_error("slots:\n  header: red\n",
	    "t.yaml:2:11: header must be a mapping such as {fg: red, attrs: [bold]}, not a single value",
	    "slot not a mapping");
	one_error("slots:\n  header:\n",
	    "t.yaml:2:10: header must be a mapping such as {fg: red, attrs: [bold]}, not empty",
	    "slot empty");
	one_error("slots: [header]\n",
	    "t.yaml:1:8: slots must be a mapping of 'slot-name: {fg, bg, attrs}', not a list",
	    "slots a list");
	one_error("slots:\n  header: {fg: red, colour: blue}\n",
	    "t.yaml:2:21: unknown key in header 'colour' (expected fg, bg, attrs or fallback)",
	    "unknown key in a slot");
	one_error("slots:\n  header: {fg: 208, fallback: {fg: 200}}\n",
	    "t.yaml:2:36: header: fallback fg: '200' is not one of the 8 basic colours (or default) "
	    "that a fallback must be", "fallback must be basic");
	one_error("slots:\n  header: {fg: red}\n  dim: {}\n  header: {fg: blue}\n",
	    "t.yaml:4:3: duplicate slot 'header' (first at line 2)", "duplicate slot");
	one_error("name: x\ncolours: {}\nslots: {}\n",
	    "t.yaml:2:1: unknown key 'colours' (expected name, description, inherit or slots)",
	    "unknown top-level key");
	one_error("name: [x]\nslots: {}\n", "t.yaml:1:7: name must be a single value, not a list",
	    "name not a string");
	one_error("name: x\n", "t.yaml:1:1: the theme has no slots: mapping", "no slots");
	one_error("- a\n- b\n", "t.yaml:1:1: a theme must be a mapping with name, description, "
	    "inherit and slots, not a list", "root a list");
	one_error("", "t.yaml: the theme is empty (see doc/themes.md)", "empty document");
	one_error("slots:\n  header: {fg: red\n",
	    "t.yaml:3:1: YAML syntax error: did not find expected ',' or '}' while parsing a flow mapping",
	    "YAML syntax error");

	/* Every error is reported, not just the first. */
	n = parse_str(&t, "slots:\n  header: {fg: purple, attrs: [loud]}\n  bogus: {}\n"
	    "  dim: {bg: 999}\n", &e);
	is_int(n, 4, "four mistakes, four errors");
	ok(strstr(e, "t.yaml:2:") != NULL && strstr(e, "t.yaml:3:3:") != NULL &&
	    strstr(e, "t.yaml:4:13:") != NULL, "each with its own position");
	free(e);
	theme_free(&t);
}

static void
test_load(void)
{
	struct theme t;
	char **errs = NULL, *dir, *path, *old;
	size_t n = 0;
	FILE *fp;

	ok(theme_load(NULL, &t, &errs, &n) == 0 && n == 0, "NULL loads the default");
	is_str(t.name, "default", "NULL is the default theme");
	theme_free(&t);
	ok(theme_load("high-contrast", &t, &errs, &n) == 0, "a built-in name loads");
	is_str(t.name, "high-contrast", "high-contrast by name");
	theme_free(&t);

	dir = xasprintf("%s/tfdrift-theme-%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
	    (long)getpid());
	path = xasprintf("%s/themes", dir);
	if (mkdir(dir, 0700) != 0 || mkdir(path, 0700) != 0)
		diag("cannot make %s", path);
	free(path);
	path = xasprintf("%s/themes/extra.yaml", dir);
	if ((fp = fopen(path, "w")) != NULL) {
		fputs("name: extra\ninherit: light\nslots:\n  header: {fg: 99}\n", fp);
		fclose(fp);
	}
	ok(theme_load(path, &t, &errs, &n) == 0 && n == 0, "a path loads from disk");
	is_int(t.slot[TS_HEADER].fg, 99, "with the file's slots");
	theme_free(&t);

	old = getenv("TFDRIFT_DATADIR") ? xstrdup(getenv("TFDRIFT_DATADIR")) : NULL;
	setenv("TFDRIFT_DATADIR", dir, 1);
	ok(theme_load("extra", &t, &errs, &n) == 0 && n == 0,
	    "a name that is not built in is looked up as <datadir>/themes/NAME.yaml");
	is_str(t.name, "extra", "the installed extra theme");
	theme_free(&t);
	ok(theme_load("nosuch", &t, &errs, &n) != 0 && n == 1, "an unknown name fails");
	if (n == 1) {
		char *want = xasprintf("unknown theme 'nosuch': not a built-in theme (default, light, "
		    "monochrome, high-contrast) and no file %s/themes/nosuch.yaml (a theme file is "
		    "given by its path: ./nosuch.yaml)", dir);

		is_str(errs[0], want, "saying where it looked");
		free(want);
	}
	yerrs_free(errs, n);
	errs = NULL;
	n = 0;
	theme_free(&t);
	if (old != NULL)
		setenv("TFDRIFT_DATADIR", old, 1);
	else
		unsetenv("TFDRIFT_DATADIR");
	free(old);

	if ((fp = fopen(path, "w")) != NULL) {
		fputs("slots:\n  header: {fg: 99, attrs: [shiny]}\n", fp);
		fclose(fp);
	}
	ok(theme_load(path, &t, &errs, &n) != 0 && n == 1, "a bad file fails");
	if (n == 1) {
		char *want = xasprintf("%s:2:28: header: unknown attribute 'shiny' (attributes: bold, "
		    "dim, underline, reverse, standout, italic, blink)", path);

		is_str(errs[0], want, "with the file's path, line and column");
		free(want);
	}
	yerrs_free(errs, n);
	errs = NULL;
	n = 0;
	theme_free(&t);
	unlink(path);
	ok(theme_load(path, &t, &errs, &n) != 0 && n == 1, "a missing file fails");
	if (n == 1)
		ok(strstr(errs[0], "theme ") == errs[0] && strstr(errs[0], path) != NULL,
		    "naming the file: %s", errs[0]);
	yerrs_free(errs, n);
	theme_free(&t);
	free(path);
	path = xasprintf("%s/themes", dir);
	rmdir(path);
	rmdir(dir);
	free(path);
	free(dir);
}

/* The binary's embedded copies are byte for byte the files in themes/, and every file
 * there is embedded. */
static void
test_embedded(void)
{
	char *dirpath = xasprintf("%s/themes", srcdir), *path, *buf, *err;
	size_t i, len, files = 0, missing = 0;
	struct dirent *de;
	DIR *dir;

	for (i = 0; i < theme_nbuiltins; i++) {
		const struct theme_builtin *b = &theme_builtins[i];

		path = xasprintf("%s/%s.yaml", dirpath, b->name);
		buf = err = NULL;
		if (tf_read_file(path, TF_FILE_DEFINITION, &buf, &len, &err) != 0) {
			ok(0, "read %s: %s", path, err);
			free(err);
		} else
			ok(len == b->len && memcmp(buf, b->data, len) == 0,
			    "embedded %s equals themes/%s.yaml", b->name, b->name);
		ok(b->data[b->len] == '\0', "embedded %s is NUL-terminated", b->name);
		free(buf);
		free(path);
	}
	if ((dir = opendir(dirpath)) == NULL) {
		ok(0, "open %s", dirpath);
	} else {
		while ((de = readdir(dir)) != NULL) {
			char *name;

			if (!tf_str_has_suffix(de->d_name, ".yaml"))
				continue;
			files++;
			name = xstrndup(de->d_name, strlen(de->d_name) - 5);
			if (theme_builtin_find(name) == NULL) {
				diag("themes/%s is not embedded (add it to theme_files in Makefile.am)",
				    de->d_name);
				missing++;
			}
			free(name);
		}
		closedir(dir);
		is_int(missing, 0, "every file in themes/ is embedded");
		is_int(files, theme_nbuiltins, "and nothing else is");
	}
	free(dirpath);
}

int
main(void)
{
	const char *top = getenv("TOP_SRCDIR");

	if (realpath(top != NULL && *top ? top : ABS_TOP_SRCDIR, srcdir) == NULL) {
		printf("Bail out! no source dir\n");
		return 1;
	}
	test_slot_names();
	test_shipped();
	test_alarm();
	test_colours();
	test_inherit();
	test_errors();
	test_load();
	test_embedded();
	return done_testing();
}
