/* filter: compile the `/` query into terms once; matching allocates nothing. */
#define _GNU_SOURCE     /* FNM_CASEFOLD */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter.h"
#include "util.h"

enum field {
	F_TEXT = 0, F_SEV, F_KIND, F_STATUS, F_ACTOR, F_VIA, F_TYPE, F_ADDR, F_MODULE, F_ID,
	F_EVENT, F_SOURCE, F_ACCOUNT, F_REGION, F_PROVIDER, F_RULE,
};

static const struct {
	const char *name;
	enum field f;
} fields[] = {
	{ "sev", F_SEV }, { "severity", F_SEV }, { "kind", F_KIND }, { "status", F_STATUS },
	{ "actor", F_ACTOR }, { "who", F_ACTOR }, { "via", F_VIA }, { "type", F_TYPE },
	{ "addr", F_ADDR }, { "address", F_ADDR }, { "resource", F_ADDR }, { "module", F_MODULE },
	{ "id", F_ID }, { "event", F_EVENT }, { "source", F_SOURCE }, { "account", F_ACCOUNT },
	{ "project", F_ACCOUNT }, { "region", F_REGION }, { "provider", F_PROVIDER },
	{ "rule", F_RULE },
};

enum op { OP_MATCH = 0, OP_GE, OP_GT, OP_LE, OP_LT, OP_EQ };

struct term {
	enum field field;
	enum op op;
	int negate;
	char **alts;            /* lower-cased alternatives */
	int *glob;              /* per alternative: has glob characters */
	size_t nalts;
	unsigned mask;          /* sev / kind / status: the set of matching enum values */
};

struct filter {
	char *text;
	struct term *t;
	size_t n;
	char *words;            /* free-text words, space separated */
	int wants_suppressed;
};

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Case-insensitive substring (glibc's strcasestr is vectorised; the needle is lower case). */
static int
icontains(const char *hay, const char *needle)
{
	return hay != NULL && strcasestr(hay, needle) != NULL;
}

static int
alt_match(const struct term *t, size_t k, const char *s)
{
	if (s == NULL)
		return 0;
	if (t->glob[k])
		return fnmatch(t->alts[k], s, FNM_CASEFOLD) == 0;
	return icontains(s, t->alts[k]);
}

static int
any_alt(const struct term *t, const char *s)
{
	size_t k;

	for (k = 0; k < t->nalts; k++)
		if (alt_match(t, k, s))
			return 1;
	return 0;
}

static int
sev_value(const char *s, int *out)
{
	enum severity v;

	if (strcmp(s, "crit") == 0 || strcmp(s, "c") == 0)
		return *out = SEV_CRITICAL, 0;
	if (strcmp(s, "med") == 0 || strcmp(s, "m") == 0)
		return *out = SEV_MEDIUM, 0;
	if (strcmp(s, "h") == 0)
		return *out = SEV_HIGH, 0;
	if (strcmp(s, "l") == 0)
		return *out = SEV_LOW, 0;
	if (strcmp(s, "i") == 0)
		return *out = SEV_INFO, 0;
	if (severity_parse(s, &v) != 0)
		return -1;
	*out = (int)v;
	return 0;
}

static int
kind_value(const char *s, int *out)
{
	static const struct { const char *w; enum finding_kind k; } k[] = {
		{ "modified", FK_MODIFIED }, { "mod", FK_MODIFIED }, { "unmanaged", FK_UNMANAGED },
		{ "unmgd", FK_UNMANAGED }, { "deleted", FK_DELETED }, { "del", FK_DELETED },
		{ "freeze_violation", FK_FREEZE_VIOLATION }, { "freeze", FK_FREEZE_VIOLATION },
	};
	size_t i;

	for (i = 0; i < sizeof k / sizeof k[0]; i++)
		if (strcmp(s, k[i].w) == 0)
			return *out = (int)k[i].k, 0;
	return -1;
}

static int
status_value(const char *s, int *out)
{
	if (strcmp(s, "open") == 0)
		return *out = ST_OPEN, 0;
	if (strcmp(s, "acknowledged") == 0 || strcmp(s, "ack") == 0 || strcmp(s, "acked") == 0)
		return *out = ST_ACKNOWLEDGED, 0;
	if (strcmp(s, "suppressed") == 0 || strcmp(s, "supp") == 0)
		return *out = ST_SUPPRESSED, 0;
	return -1;
}

/* Split the query into words; "double quotes" keep spaces. Returns the words and, in col,
 * each one's 1-based column. */
static int
split(const char *q, struct strbuf **words, size_t **cols, size_t *n, char **err)
{
	const char *p = q;

	*n = 0;
	*words = NULL;
	*cols = NULL;
	while (*p) {
		struct strbuf w;
		size_t col;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		col = (size_t)(p - q) + 1;
		sb_init(&w);
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '"') {
				const char *e = strchr(p + 1, '"');

				if (e == NULL) {
					sb_free(&w);
					return tf_err(err, "column %zu: unterminated quote", (size_t)(p - q) + 1);
				}
				sb_add(&w, p + 1, (size_t)(e - p - 1));
				p = e + 1;
			} else
				sb_add(&w, p++, 1);
		}
		*words = xreallocarray(*words, *n + 1, sizeof **words);
		*cols = xreallocarray(*cols, *n + 1, sizeof **cols);
		(*words)[*n] = w;
		(*cols)[*n] = col;
		(*n)++;
	}
	return 0;
}

static void
term_free(struct term *t)
{
	size_t k;

	for (k = 0; k < t->nalts; k++)
		free(t->alts[k]);
	free(t->alts);
	free(t->glob);
}

static void
add_alt(struct term *t, const char *s, size_t len)
{
	char *a = xstrndup(s, len);

	lower(a);
	t->alts = xreallocarray(t->alts, t->nalts + 1, sizeof *t->alts);
	t->glob = xreallocarray(t->glob, t->nalts + 1, sizeof *t->glob);
	t->alts[t->nalts] = a;
	t->glob[t->nalts] = strpbrk(a, "*?[") != NULL;
	t->nalts++;
}

static const char *
field_list(void)
{
	return "sev kind status actor via type addr module id event source account region "
	    "provider rule";
}

/* One FIELD:VALUE or FIELD>=VALUE word into t. */
static int
compile_field(struct term *t, const char *w, size_t col, struct filter *f, char **err)
{
	size_t flen = strcspn(w, ":=<>"), i, k;
	const char *v;
	char *name;
	int val;

	name = xstrndup(w, flen);
	lower(name);
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strcmp(fields[i].name, name) == 0)
			break;
	if (i == sizeof fields / sizeof fields[0]) {
		tf_err(err, "column %zu: unknown field '%s' (fields: %s)", col, name, field_list());
		free(name);
		return -1;
	}
	free(name);
	t->field = fields[i].f;
	v = w + flen;
	if (strncmp(v, ">=", 2) == 0)
		t->op = OP_GE, v += 2;
	else if (strncmp(v, "<=", 2) == 0)
		t->op = OP_LE, v += 2;
	else if (*v == '>')
		t->op = OP_GT, v++;
	else if (*v == '<')
		t->op = OP_LT, v++;
	else if (*v == '=')
		t->op = OP_EQ, v++;
	else
		t->op = OP_MATCH, v++;
	if (t->op != OP_MATCH && t->op != OP_EQ && t->field != F_SEV)
		return tf_err(err, "column %zu: only sev takes <, <=, > and >=", col);
	if (*v == '\0')
		return tf_err(err, "column %zu: %.*s needs a value", col, (int)flen, w);
	/* Alternatives: a,b,c. */
	while (*v) {
		size_t len = strcspn(v, ",");

		if (len > 0)
			add_alt(t, v, len);
		v += len;
		if (*v == ',')
			v++;
	}
	if (t->nalts == 0)
		return tf_err(err, "column %zu: %.*s needs a value", col, (int)flen, w);
	for (k = 0; k < t->nalts; k++) {
		switch (t->field) {
		case F_SEV:
			if (sev_value(t->alts[k], &val) != 0)
				return tf_err(err, "column %zu: '%s' is not a severity (critical high "
				    "medium low info)", col, t->alts[k]);
			if (t->op == OP_MATCH || t->op == OP_EQ)
				t->mask |= 1u << val;
			else
				for (i = 0; i < SEV__COUNT; i++)
					if ((t->op == OP_GE && (int)i >= val) || (t->op == OP_GT && (int)i > val) ||
					    (t->op == OP_LE && (int)i <= val) || (t->op == OP_LT && (int)i < val))
						t->mask |= 1u << i;
			break;
		case F_KIND:
			if (kind_value(t->alts[k], &val) != 0)
				return tf_err(err, "column %zu: '%s' is not a kind (modified unmanaged "
				    "deleted freeze_violation)", col, t->alts[k]);
			t->mask |= 1u << val;
			break;
		case F_STATUS:
			if (strcmp(t->alts[k], "all") == 0) {
				t->mask |= 7;
				val = ST_SUPPRESSED;
			} else if (status_value(t->alts[k], &val) != 0)
				return tf_err(err, "column %zu: '%s' is not a status (open acknowledged "
				    "suppressed all)", col, t->alts[k]);
			t->mask |= 1u << val;
			if (val == ST_SUPPRESSED && !t->negate)
				f->wants_suppressed = 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

struct filter *
filter_compile(const char *query, char **err)
{
	struct filter *f = xcalloc(1, sizeof *f);
	struct strbuf *words = NULL, wb;
	size_t *cols = NULL, n = 0, i;
	int rc = 0;

	f->text = xstrdup(query != NULL ? query : "");
	sb_init(&wb);
	if (split(f->text, &words, &cols, &n, err) != 0) {
		rc = -1;
		goto out;
	}
	f->t = xcalloc(n + 1, sizeof *f->t);
	for (i = 0; i < n && rc == 0; i++) {
		const char *w = words[i].buf;
		struct term *t = &f->t[f->n];
		size_t col = cols[i];

		if ((*w == '-' || *w == '!') && w[1] != '\0') {
			t->negate = 1;
			w++;
			col++;
		}
		f->n++;
		/* FIELD:... when the part before :, <, > or = is a word of letters. */
		if (w[strcspn(w, ":=<>")] != '\0' && strcspn(w, ":=<>") > 0 &&
		    strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") ==
		    strcspn(w, ":=<>")) {
			if (compile_field(t, w, col, f, err) != 0)
				rc = -1;
		} else {
			t->field = F_TEXT;
			add_alt(t, w, strlen(w));
			t->glob[0] = 0;         /* free text is always a substring */
			if (!t->negate) {
				if (wb.len)
					sb_adds(&wb, " ");
				sb_adds(&wb, t->alts[0]);
			}
		}
	}
out:
	for (i = 0; i < n; i++)
		sb_free(&words[i]);
	free(words);
	free(cols);
	f->words = xstrdup(wb.buf != NULL ? wb.buf : "");
	sb_free(&wb);
	if (rc != 0) {
		filter_free(f);
		return NULL;
	}
	return f;
}

void
filter_free(struct filter *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		term_free(&f->t[i]);
	free(f->t);
	free(f->text);
	free(f->words);
	free(f);
}

static int
text_match(const struct term *t, const struct finding *fd)
{
	const char *a = t->alts[0];

	return icontains(fd->address, a) || icontains(fd->type, a) ||
	    icontains(fd->resource_id, a) || icontains(fd->summary, a) ||
	    icontains(fd->actor.name, a) || icontains(fd->actor.principal, a) ||
	    icontains(fd->event_name, a) || icontains(fd->account, a) ||
	    icontains(fd->region, a) || icontains(fd->id, a);
}

static int
term_match(const struct term *t, const struct finding *fd)
{
	size_t i;

	switch (t->field) {
	case F_TEXT: return text_match(t, fd);
	case F_SEV: return (t->mask >> fd->severity) & 1u;
	case F_KIND: return (t->mask >> fd->kind) & 1u;
	case F_STATUS: return (t->mask >> fd->status) & 1u;
	case F_ACTOR:
		return any_alt(t, fd->actor.name) || any_alt(t, fd->actor.principal) ||
		    any_alt(t, fd->actor.role) || any_alt(t, fd->actor.session);
	case F_VIA: return any_alt(t, tf_via_name(fd->actor.via));
	case F_TYPE: return any_alt(t, fd->type);
	case F_ADDR:
		return any_alt(t, fd->address) || (fd->address == NULL && any_alt(t, fd->resource_id));
	case F_MODULE: return any_alt(t, fd->module);
	case F_ID: return any_alt(t, fd->id) || any_alt(t, fd->resource_id);
	case F_EVENT: return any_alt(t, fd->event_name);
	case F_SOURCE: return any_alt(t, fd->event_source) || any_alt(t, fd->state_source);
	case F_ACCOUNT: return any_alt(t, fd->account);
	case F_REGION: return any_alt(t, fd->region);
	case F_PROVIDER: return any_alt(t, tf_provider_name(fd->provider));
	case F_RULE:
		for (i = 0; i < fd->nrules; i++)
			if (any_alt(t, fd->rules[i].id) || any_alt(t, fd->rules[i].name))
				return 1;
		return 0;
	}
	return 0;
}

int
filter_match(const struct filter *f, const struct finding *fd)
{
	size_t i;

	if (f == NULL)
		return 1;
	for (i = 0; i < f->n; i++)
		if (term_match(&f->t[i], fd) == f->t[i].negate)
			return 0;
	return 1;
}

const char *
filter_text(const struct filter *f)
{
	return f != NULL ? f->text : "";
}

int
filter_wants_suppressed(const struct filter *f)
{
	return f != NULL && f->wants_suppressed;
}

const char *
filter_words(const struct filter *f)
{
	return f != NULL ? f->words : "";
}

int
filter_search_match(const struct filter *f, const struct finding *fd)
{
	size_t i;

	if (f == NULL || f->words[0] == '\0')
		return 0;
	for (i = 0; i < f->n; i++)
		if (f->t[i].field == F_TEXT && !f->t[i].negate && !text_match(&f->t[i], fd))
			return 0;
	return 1;
}
