/* theme: semantic colour slots mapped to curses colour pairs. Themes are YAML files
 * (themes/NAME.yaml, doc/themes.md); the shipped ones are embedded (theme_builtin.c, made from
 * the same files at build time). Parsing is plain data and needs no terminal; theme_init()
 * applies a parsed theme after initscr() (main thread only). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <curses.h>

#include "finding.h"
#include "util.h"
#include "yamlutil.h"
#include "theme.h"

/* Deep enough for a user theme over light over default; more is a mistake. */
#define THEME_MAX_DEPTH 4

static const char *const slot_names[TS__COUNT] = {
	[TS_NORMAL] = "normal",
	[TS_FINDING_CRITICAL] = "finding-critical",
	[TS_FINDING_HIGH] = "finding-high",
	[TS_FINDING_MEDIUM] = "finding-medium",
	[TS_FINDING_LOW] = "finding-low",
	[TS_FINDING_INFO] = "finding-info",
	[TS_DIFF_ADDED] = "diff-added",
	[TS_DIFF_REMOVED] = "diff-removed",
	[TS_DIFF_CHANGED] = "diff-changed",
	[TS_STATUS_BAR] = "status-bar",
	[TS_STATUS_ERROR] = "status-error",
	[TS_SELECTION] = "selection",
	[TS_HEADER] = "header",
	[TS_DIM] = "dim",
	[TS_TIMELINE_BAR] = "timeline-bar",
	[TS_TIMELINE_FREEZE] = "timeline-freeze",
	[TS_FREEZE_BANNER] = "freeze-banner",
	[TS_STATUS_OK] = "status-ok",
	[TS_STATUS_WARN] = "status-warn",
	[TS_TAB_ACTIVE] = "tab-active",
	[TS_TAB_INACTIVE] = "tab-inactive",
	[TS_FILTER_PROMPT] = "filter-prompt",
	[TS_MATCH] = "match",
	[TS_TIMELINE_CRITICAL] = "timeline-critical",
	[TS_TIMELINE_RESOLVED] = "timeline-resolved",
};

/* In curses order: the index is the colour number. */
static const char *const colour_names[8] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

static const struct {
	const char *name;
	unsigned bit;
} attr_names[] = {
	{ "bold", THEME_A_BOLD },
	{ "dim", THEME_A_DIM },
	{ "underline", THEME_A_UNDERLINE },
	{ "reverse", THEME_A_REVERSE },
	{ "standout", THEME_A_STANDOUT },
	{ "italic", THEME_A_ITALIC },
	{ "blink", THEME_A_BLINK },
};

/* A theme file's top-level keys, in the order of top_keys[]. */
enum { K_NAME, K_DESCRIPTION, K_INHERIT, K_SLOTS };
static const char *const top_keys[] = { "name", "description", "inherit", "slots" };

const char *
theme_slot_name(enum theme_slot s)
{
	return (unsigned)s < TS__COUNT ? slot_names[s] : NULL;
}

const struct theme_builtin *
theme_builtin_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < theme_nbuiltins; i++)
		if (strcmp(theme_builtins[i].name, name) == 0)
			return &theme_builtins[i];
	return NULL;
}

/* "default, light, ..." for messages; caller frees. */
static char *
builtin_list(void)
{
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	for (i = 0; i < theme_nbuiltins; i++)
		sb_addf(&sb, "%s%s", i ? ", " : "", theme_builtins[i].name);
	return sb_detach(&sb);
}

void
theme_free(struct theme *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->description);
	free(t->inherit);
	memset(t, 0, sizeof *t);
}

/* ---- colours ---- */

/* xterm's palette, to pick the nearest of the 8 basic colours for 16-255. */
static void
xterm_rgb(int c, int rgb[3])
{
	static const int base[16][3] = {
		{ 0, 0, 0 }, { 205, 0, 0 }, { 0, 205, 0 }, { 205, 205, 0 },
		{ 0, 0, 238 }, { 205, 0, 205 }, { 0, 205, 205 }, { 229, 229, 229 },
		{ 127, 127, 127 }, { 255, 0, 0 }, { 0, 255, 0 }, { 255, 255, 0 },
		{ 92, 92, 255 }, { 255, 0, 255 }, { 0, 255, 255 }, { 255, 255, 255 },
	};
	static const int level[6] = { 0, 95, 135, 175, 215, 255 };
	int i;

	if (c < 16) {
		for (i = 0; i < 3; i++)
			rgb[i] = base[c][i];
	} else if (c < 232) {
		c -= 16;
		rgb[0] = level[c / 36];
		rgb[1] = level[(c / 6) % 6];
		rgb[2] = level[c % 6];
	} else {
		rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
	}
}

/* The colour an 8-colour terminal shows instead of c: bright-X is X; 16-255 a grey is black
 * or white by brightness (by distance, mid greys would come out yellow), any other the
 * nearest of the 8 in the xterm palette. */
static short
nearest8(short c)
{
	int rgb[3], b[3], i, j, best = 0, lo, hi;
	long d, bestd = -1;

	if (c < 8)
		return c;
	if (c < 16)
		return (short)(c - 8);
	xterm_rgb(c, rgb);
	lo = hi = rgb[0];
	for (i = 1; i < 3; i++) {
		lo = rgb[i] < lo ? rgb[i] : lo;
		hi = rgb[i] > hi ? rgb[i] : hi;
	}
	if (hi - lo < 48)
		return (short)(rgb[0] + rgb[1] + rgb[2] >= 3 * 128 ? 7 : 0);
	for (i = 0; i < 8; i++) {
		xterm_rgb(i, b);
		for (d = 0, j = 0; j < 3; j++)
			d += (long)(rgb[j] - b[j]) * (rgb[j] - b[j]);
		if (bestd < 0 || d < bestd) {
			bestd = d;
			best = i;
		}
	}
	return (short)best;
}

/* A colour name or number: 0 with *out set, -1 if s is none. */
static int
colour_parse(const char *s, short *out)
{
	const char *p;
	long v = 0;
	size_t i;

	if (strcmp(s, "default") == 0) {
		*out = THEME_COLOUR_DEFAULT;
		return 0;
	}
	for (i = 0; i < TF_ARRLEN(colour_names); i++) {
		if (strcmp(s, colour_names[i]) == 0) {
			*out = (short)i;
			return 0;
		}
		if (tf_str_has_prefix(s, "bright-") && strcmp(s + 7, colour_names[i]) == 0) {
			*out = (short)(i + 8);
			return 0;
		}
	}
	if (*s == '\0' || strlen(s) > 3)
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v > 255)
		return -1;
	*out = (short)v;
	return 0;
}

/* ---- parsing ---- */

struct pctx {
	struct ydoc *d;
	char ***errs;
	size_t *nerrs;
	size_t nerrs0;
};

#define PERR(c, node, ...) yerr_add((c)->errs, (c)->nerrs, (c)->d, (node), __VA_ARGS__)


/* A scalar colour at node n for `what` (fg, bg, fallback fg...). 0 ok. */
static int
parse_colour(struct pctx *c, yaml_node_t *n, const char *slot, const char *what, int basic,
    short *out)
{
	const char *s = ynode_str(n);

	if (s == NULL || *s == '\0') {
		PERR(c, n, "%s: %s must be a colour name or number, not %s", slot, what,
		    ynode_kind(n));
		return -1;
	}
	if (colour_parse(s, out) != 0) {
		if (*s != '\0' && strspn(s, "0123456789") == strlen(s))
			PERR(c, n, "%s: %s: colour number %s is out of range (0-255)", slot, what,
			    s);
		else
			PERR(c, n, "%s: %s: unknown colour '%s' (colours: default, black, red, "
			    "green, yellow, blue, magenta, cyan, white, bright-<colour>, 0-255)",
			    slot, what, s);
		return -1;
	}
	if (basic && *out > 7) {
		PERR(c, n, "%s: %s: '%s' is not one of the 8 basic colours (or default) that "
		    "a fallback must be", slot, what, s);
		return -1;
	}
	return 0;
}

static void
parse_attrs(struct pctx *c, yaml_node_t *n, const char *slot, unsigned *out)
{
	yaml_node_t *it;
	const char *s;
	size_t i, j;

	if (!ynode_is_seq(n)) {
		PERR(c, n, "%s: attrs must be a list such as [bold, underline], not %s", slot,
		    ynode_kind(n));
		return;
	}
	for (i = 0; (it = yseq_get(c->d, n, i)) != NULL; i++) {
		if ((s = ynode_str(it)) == NULL) {
			PERR(c, it, "%s: attrs: item %zu must be an attribute name, not %s", slot,
			    i + 1, ynode_kind(it));
			continue;
		}
		for (j = 0; j < TF_ARRLEN(attr_names); j++)
			if (strcmp(s, attr_names[j].name) == 0)
				break;
		if (j == TF_ARRLEN(attr_names)) {
			PERR(c, it, "%s: unknown attribute '%s' (attributes: bold, dim, underline, "
			    "reverse, standout, italic, blink)", slot, s);
			continue;
		}
		*out |= attr_names[j].bit;
	}
}

static void
parse_fallback(struct pctx *c, yaml_node_t *n, const char *slot, short *fg8, short *bg8,
    int *have_fg8, int *have_bg8)
{
	static const char *const keys[] = { "fg", "bg" };
	yaml_node_t *k, *v, *first[TF_ARRLEN(keys)] = { 0 };
	char *what;
	size_t i;

	if (!ynode_is_map(n)) {
		PERR(c, n, "%s: fallback must be a mapping such as {fg: red}, not %s", slot,
		    ynode_kind(n));
		return;
	}
	what = xasprintf("key in %s's fallback", slot);
	for (i = 0; ymap_pair(c->d, n, i, &k, &v); i++) {
		switch (ykey_index(c->errs, c->nerrs, c->d, k, what, keys, TF_ARRLEN(keys), first)) {
		case 0:
			if (parse_colour(c, v, slot, "fallback fg", 1, fg8) == 0)
				*have_fg8 = 1;
			break;
		case 1:
			if (parse_colour(c, v, slot, "fallback bg", 1, bg8) == 0)
				*have_bg8 = 1;
			break;
		}
	}
	free(what);
}

/* One slot's {fg, bg, attrs, fallback}. */
static void
parse_style(struct pctx *c, yaml_node_t *n, const char *slot, struct theme_style *st)
{
	static const char *const keys[] = { "fg", "bg", "attrs", "fallback" };
	yaml_node_t *k, *v, *fb = NULL, *first[TF_ARRLEN(keys)] = { 0 };
	char *what;
	short fg8 = THEME_COLOUR_DEFAULT, bg8 = THEME_COLOUR_DEFAULT;
	int have_fg8 = 0, have_bg8 = 0;
	size_t i;

	st->fg = st->bg = THEME_COLOUR_DEFAULT;
	st->attrs = 0;
	if (!ynode_is_map(n)) {
		PERR(c, n, "%s must be a mapping such as {fg: red, attrs: [bold]}, not %s", slot,
		    ynode_kind(n));
		return;
	}
	what = xasprintf("key in %s", slot);
	for (i = 0; ymap_pair(c->d, n, i, &k, &v); i++) {
		switch (ykey_index(c->errs, c->nerrs, c->d, k, what, keys, TF_ARRLEN(keys), first)) {
		case 0: parse_colour(c, v, slot, "fg", 0, &st->fg); break;
		case 1: parse_colour(c, v, slot, "bg", 0, &st->bg); break;
		case 2: parse_attrs(c, v, slot, &st->attrs); break;
		case 3: fb = v; break;
		}
	}
	free(what);
	if (fb != NULL)
		parse_fallback(c, fb, slot, &fg8, &bg8, &have_fg8, &have_bg8);
	st->fg8 = have_fg8 ? fg8 : st->fg < 0 ? st->fg : nearest8(st->fg);
	st->bg8 = have_bg8 ? bg8 : st->bg < 0 ? st->bg : nearest8(st->bg);
}

static void
parse_slots(struct pctx *c, yaml_node_t *n, struct theme *t, int lines[TS__COUNT])
{
	yaml_node_t *k, *v, *first[TS__COUNT] = { 0 };
	size_t i;
	int s;

	if (!ynode_is_map(n)) {
		PERR(c, n, "slots must be a mapping of 'slot-name: {fg, bg, attrs}', not %s",
		    ynode_kind(n));
		return;
	}
	for (i = 0; ymap_pair(c->d, n, i, &k, &v); i++) {
		s = ykey_index(c->errs, c->nerrs, c->d, k, "slot", slot_names, TS__COUNT, first);
		if (s < 0)
			continue;
		lines[s] = ynode_line(k);
		parse_style(c, v, slot_names[s], &t->slot[s]);
		t->slot[s].line = lines[s];
	}
}

static int parse_depth(const char *buf, size_t len, const char *file, struct theme *out,
    char ***errs, size_t *nerrs, int depth);

/* Fill the slots this theme left out from the built-in theme it inherits. */
static void
inherit_slots(struct pctx *c, yaml_node_t *at, struct theme *t, const int lines[TS__COUNT],
    int depth)
{
	const struct theme_builtin *b;
	struct theme parent;
	char *file, *list;
	size_t s;

	if (t->inherit == NULL)
		return;
	if ((b = theme_builtin_find(t->inherit)) == NULL) {
		list = builtin_list();
		PERR(c, at, "inherit: unknown theme '%s' (a theme inherits a built-in one: %s)",
		    t->inherit, list);
		free(list);
		return;
	}
	if (depth >= THEME_MAX_DEPTH) {
		PERR(c, at, "inherit: '%s' goes more than %d themes deep (a loop?)", t->inherit,
		    THEME_MAX_DEPTH);
		return;
	}
	file = xasprintf("themes/%s.yaml (built in)", b->name);
	memset(&parent, 0, sizeof parent);
	if (parse_depth(b->data, b->len, file, &parent, c->errs, c->nerrs, depth + 1) == 0) {
		for (s = 0; s < TS__COUNT; s++) {
			if (lines[s] != 0)
				continue;
			t->slot[s] = parent.slot[s];
			t->slot[s].line = 0;
		}
	}
	theme_free(&parent);
	free(file);
}

static int
parse_depth(const char *buf, size_t len, const char *file, struct theme *out, char ***errs,
    size_t *nerrs, int depth)
{
	struct ydoc d;
	struct pctx c;
	yaml_node_t *root, *k, *v, *slots = NULL, *inherit_at = NULL;
	yaml_node_t *seen[TF_ARRLEN(top_keys)];
	int lines[TS__COUNT], x;
	const char *s, *base;
	char *err = NULL;
	size_t i, s_i;

	memset(out, 0, sizeof *out);
	memset(lines, 0, sizeof lines);
	memset(seen, 0, sizeof seen);
	for (s_i = 0; s_i < TS__COUNT; s_i++) {
		out->slot[s_i].fg = out->slot[s_i].bg = THEME_COLOUR_DEFAULT;
		out->slot[s_i].fg8 = out->slot[s_i].bg8 = THEME_COLOUR_DEFAULT;
	}
	c.d = &d;
	c.errs = errs;
	c.nerrs = nerrs;
	c.nerrs0 = *nerrs;
	if (ydoc_load_mem(&d, file, buf, len, &err) != 0) {
		*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
		(*errs)[(*nerrs)++] = err;
		ydoc_free(&d);
		return -1;
	}
	root = ydoc_root(&d);
	if (root == NULL || (ynode_is_scalar(root) && root->data.scalar.length == 0)) {
		PERR(&c, NULL, "the theme is empty (see doc/themes.md)");
		goto out;
	}
	if (!ynode_is_map(root)) {
		PERR(&c, root, "a theme must be a mapping with name, description, inherit and "
		    "slots, not %s", ynode_kind(root));
		goto out;
	}
	for (i = 0; ymap_pair(&d, root, i, &k, &v); i++) {
		x = ykey_index(errs, nerrs, &d, k, "key", top_keys, TF_ARRLEN(top_keys), seen);
		if (x < 0)
			continue;
		if (x != K_SLOTS && ynode_str(v) == NULL) {
			yerr_type(errs, nerrs, &d, v, top_keys[x], "a single value");
			continue;
		}
		s = ynode_str(v);
		switch (x) {
		case K_NAME:
			free(out->name);
			out->name = xstrdup(s);
			break;
		case K_DESCRIPTION:
			free(out->description);
			out->description = xstrdup(s);
			break;
		case K_INHERIT:
			free(out->inherit);
			out->inherit = xstrdup(s);
			inherit_at = v;
			break;
		default:
			slots = v;
			break;
		}
	}
	if (out->name == NULL || *out->name == '\0') {
		/* Unnamed: the file's base name without .yaml. */
		base = strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file;
		free(out->name);
		out->name = xstrndup(base, strcspn(base, "."));
	}
	if (slots != NULL)
		parse_slots(&c, slots, out, lines);
	else
		PERR(&c, root, "the theme has no slots: mapping");
	/* Every theme but the default starts from the default; `inherit: none` from nothing. */
	if (out->inherit != NULL && strcmp(out->inherit, "none") == 0) {
		free(out->inherit);
		out->inherit = NULL;
	} else if (out->inherit == NULL && strcmp(out->name, "default") != 0)
		out->inherit = xstrdup("default");
	inherit_slots(&c, inherit_at != NULL ? inherit_at : root, out, lines, depth);
out:
	ydoc_free(&d);
	return *nerrs > c.nerrs0 ? -1 : 0;
}

int
theme_parse(const char *buf, size_t len, const char *file, struct theme *out, char ***errs,
    size_t *nerrs)
{
	return parse_depth(buf, len, file, out, errs, nerrs, 0);
}

static int
parse_file(const char *path, struct theme *out, char ***errs, size_t *nerrs)
{
	char *buf = NULL, *err = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (tf_read_file(path, TF_FILE_DEFINITION, &buf, &len, &err) != 0) {
		*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
		(*errs)[(*nerrs)++] = xasprintf("theme %s", err);
		free(err);
		return -1;
	}
	rc = theme_parse(buf, len, path, out, errs, nerrs);
	free(buf);
	return rc;
}

int
theme_load(const char *name, struct theme *out, char ***errs, size_t *nerrs)
{
	const struct theme_builtin *b;
	struct stat st;
	char *path, *file, *list;
	int rc;

	memset(out, 0, sizeof *out);
	if (name == NULL || *name == '\0')
		name = "default";
	if (strchr(name, '/') != NULL || tf_str_has_suffix(name, ".yaml") ||
	    tf_str_has_suffix(name, ".yml"))
		return parse_file(name, out, errs, nerrs);
	if ((b = theme_builtin_find(name)) != NULL) {
		file = xasprintf("themes/%s.yaml (built in)", b->name);
		rc = theme_parse(b->data, b->len, file, out, errs, nerrs);
		free(file);
		return rc;
	}
	/* Not shipped: a theme someone installed beside the shipped ones. */
	path = xasprintf("%s/themes/%s.yaml", tf_datadir(), name);
	if (stat(path, &st) == 0) {
		rc = parse_file(path, out, errs, nerrs);
		free(path);
		return rc;
	}
	list = builtin_list();
	*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
	(*errs)[(*nerrs)++] = xasprintf("unknown theme '%s': not a built-in theme (%s) and no "
	    "file %s (a theme file is given by its path: ./%s.yaml)", name, list, path, name);
	free(list);
	free(path);
	return -1;
}

/* ---- applying (curses) ---- */

/* Resolved attributes; written once by theme_init on the main thread before any drawing. */
static int slot_attr[TS__COUNT];

static int
curses_attrs(unsigned a)
{
	int r = 0;

	if (a & THEME_A_BOLD)
		r |= (int)A_BOLD;
	if (a & THEME_A_DIM)
		r |= (int)A_DIM;
	if (a & THEME_A_UNDERLINE)
		r |= (int)A_UNDERLINE;
	if (a & THEME_A_REVERSE)
		r |= (int)A_REVERSE;
	if (a & THEME_A_STANDOUT)
		r |= (int)A_STANDOUT;
	if (a & THEME_A_BLINK)
		r |= (int)A_BLINK;
#ifdef A_ITALIC
	if (a & THEME_A_ITALIC)
		r |= (int)A_ITALIC;
#endif
	return r;
}

/* The colour number to give init_pair for c (with its 8-colour fallback c8). */
static short
pick(short c, short c8, int defaults, short nodefault)
{
	if (c >= 0 && c >= COLORS)
		c = c8;
	if (c < 0)
		return defaults ? -1 : nodefault;
	return c;
}

/* Attributes only, no colour: the monochrome theme. */
static void
apply_mono(const struct theme *t)
{
	int i;

	for (i = 0; i < TS__COUNT; i++)
		slot_attr[i] = curses_attrs(t->slot[i].attrs);
}

static int
want_mono(void)
{
	const char *nc = getenv("NO_COLOR");

	/* no-color.org: "when present and not an empty string". */
	return (nc != NULL && *nc != '\0') || !has_colors();
}

const char *
theme_init(const struct theme *t)
{
	struct theme mono;
	char **errs = NULL;
	size_t nerrs = 0, i;
	int defaults, colourful = 0;
	short fg, bg;

	for (i = 0; i < TS__COUNT; i++)
		if (t->slot[i].fg != THEME_COLOUR_DEFAULT || t->slot[i].bg != THEME_COLOUR_DEFAULT)
			colourful = 1;
	/* A theme without colours never starts colour, so the terminal keeps its own. */
	if (!colourful) {
		apply_mono(t);
		return t->name;
	}
	if (want_mono() || start_color() == ERR) {
		const struct theme_builtin *b = theme_builtin_find("monochrome");

		memset(slot_attr, 0, sizeof slot_attr);
		if (b != NULL && theme_parse(b->data, b->len, "monochrome", &mono, &errs,
		    &nerrs) == 0)
			apply_mono(&mono);
		theme_free(&mono);
		yerrs_free(errs, nerrs);
		return "monochrome";
	}
	defaults = use_default_colors() == OK;
	for (i = 0; i < TS__COUNT; i++) {
		const struct theme_style *st = &t->slot[i];

		slot_attr[i] = curses_attrs(st->attrs);
		if (st->fg == THEME_COLOUR_DEFAULT && st->bg == THEME_COLOUR_DEFAULT)
			continue;
		/* Pair 0 is the terminal's own; slot i gets pair i + 1 while there are enough. */
		if ((int)i + 1 >= COLOR_PAIRS)
			continue;
		fg = pick(st->fg, st->fg8, defaults, COLOR_WHITE);
		bg = pick(st->bg, st->bg8, defaults, COLOR_BLACK);
		if (init_pair((short)(i + 1), fg, bg) == ERR)
			continue;
		slot_attr[i] |= (int)COLOR_PAIR((int)i + 1);
	}
	/* The normal slot's colours are the window's background, so blank cells get them. */
	if (slot_attr[TS_NORMAL] & (int)A_COLOR)
		bkgd((chtype)' ' | ((chtype)slot_attr[TS_NORMAL] & A_COLOR));
	return t->name;
}

int
theme_attr(enum theme_slot s)
{
	return (unsigned)s < TS__COUNT ? slot_attr[s] : 0;
}

enum theme_slot
theme_severity_slot(int severity)
{
	switch (severity) {
	case SEV_CRITICAL: return TS_FINDING_CRITICAL;
	case SEV_HIGH: return TS_FINDING_HIGH;
	case SEV_MEDIUM: return TS_FINDING_MEDIUM;
	case SEV_LOW: return TS_FINDING_LOW;
	default: return TS_FINDING_INFO;
	}
}
