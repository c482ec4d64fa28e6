/* filter: compile the `/` query into terms once against a view's schema; matching allocates
 * nothing. Findings have a fast path (fields read straight from the struct, free words
 * searched in one lower-cased haystack per finding); other views hand their values over
 * through a getter. */
#define _GNU_SOURCE     /* FNM_CASEFOLD, memmem */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "filter.h"
#include "util.h"

/* The findings' fields (ids are what filter_match switches on). */
enum field {
	F_TEXT = -1, F_SEV = 0, F_KIND, F_STATUS, F_ACTOR, F_VIA, F_TYPE, F_ADDR, F_MODULE, F_ID,
	F_EVENT, F_SOURCE, F_ACCOUNT, F_REGION, F_PROVIDER, F_RULE, F_EVENTID, F_RESOLVEDBY,
};
/* Time bounds are fields of every schema, handled here. */
#define F_SINCE (-2)
#define F_UNTIL (-3)

static const struct filter_field finding_fields[] = {
	{ "sev", F_SEV, FT_SEV }, { "severity", F_SEV, FT_SEV }, { "kind", F_KIND, FT_KIND },
	{ "status", F_STATUS, FT_STATUS }, { "actor", F_ACTOR, FT_TEXT }, { "who", F_ACTOR, FT_TEXT },
	{ "via", F_VIA, FT_TEXT }, { "type", F_TYPE, FT_TEXT }, { "addr", F_ADDR, FT_TEXT },
	{ "address", F_ADDR, FT_TEXT }, { "resource", F_ADDR, FT_TEXT },
	{ "module", F_MODULE, FT_TEXT }, { "id", F_ID, FT_TEXT }, { "event", F_EVENT, FT_TEXT },
	{ "eventid", F_EVENTID, FT_TEXT }, { "source", F_SOURCE, FT_TEXT },
	{ "account", F_ACCOUNT, FT_TEXT }, { "project", F_ACCOUNT, FT_TEXT },
	{ "region", F_REGION, FT_TEXT }, { "provider", F_PROVIDER, FT_TEXT },
	{ "rule", F_RULE, FT_TEXT }, { "resolvedby", F_RESOLVEDBY, FT_TEXT },
};
const struct filter_schema filter_findings = {
	finding_fields, TF_ARRLEN(finding_fields),
	"sev kind status actor via type addr module id event eventid source account region "
	"provider rule resolvedby since until",
};

enum op { OP_MATCH = 0, OP_GE, OP_GT, OP_LE, OP_LT, OP_EQ };

struct term {
	int field;              /* the schema's id, F_TEXT for free words */
	enum filter_type type;
	enum op op;
	int negate;
	char **alts;            /* lower-cased alternatives */
	size_t *alen;
	int *glob;              /* per alternative: has glob characters */
	size_t nalts;
	size_t rare_at;         /* free text: where its least common byte is (see rare_byte) */
	int wi;                 /* free text: its number among the query's texts (filter_text_at) */
	unsigned mask;          /* sev / kind / status: the set of matching enum values */
};

struct filter {
	char *text;
	struct term *t;
	size_t n;
	char *words;            /* free-text words, space separated */
	char **wordv;           /* the same one by one */
	size_t nwords;
	const char **texts;     /* every free-text term's word, negated ones too */
	size_t ntexts;
	int wants_suppressed;
	int wants_resolved;
	int64_t since, until;
};

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Where in a lower-case word its least common byte is, for find_word: searching for that
 * byte with memchr and then comparing the word around it is several times faster than
 * memmem on the short haystacks of findings (a new query searches every one of them). */
static size_t
rare_byte(const char *w)
{
	static const char common[] = "e.ta-osrin/_1:0lc2dmup3b4g5hw6y789fvk\"xjq,z";
	size_t i, at = 0;
	long best = 1000;

	for (i = 0; w[i] != '\0'; i++) {
		const char *p = strchr(common, w[i]);
		long rank = p != NULL && *p != '\0' ? (long)(sizeof common - (size_t)(p - common)) : 0;

		if (rank < best) {
			best = rank;
			at = i;
		}
	}
	return at;
}

/* Is the word (wl bytes, its rare byte at `at`) in hay[0..n)? */
static int
find_word(const char *hay, size_t n, const char *w, size_t wl, size_t at)
{
	const char *p, *end;

	if (wl == 0)
		return 1;
	if (n < wl)
		return 0;
	p = hay + at;
	end = hay + n - (wl - at) + 1;
	while (p < end) {
		if ((p = memchr(p, (unsigned char)w[at], (size_t)(end - p))) == NULL)
			return 0;
		if (memcmp(p - at, w, wl) == 0)
			return 1;
		p++;
	}
	return 0;
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

	for (i = 0; i < TF_ARRLEN(k); i++)
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
	if (strcmp(s, "resolved") == 0)
		return *out = ST_RESOLVED, 0;
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
	free(t->alen);
	free(t->glob);
}

static void
add_alt(struct term *t, const char *s, size_t len)
{
	char *a = xstrndup(s, len);

	lower(a);
	t->alts = xreallocarray(t->alts, t->nalts + 1, sizeof *t->alts);
	t->alen = xreallocarray(t->alen, t->nalts + 1, sizeof *t->alen);
	t->glob = xreallocarray(t->glob, t->nalts + 1, sizeof *t->glob);
	t->alts[t->nalts] = a;
	t->alen[t->nalts] = len;
	t->glob[t->nalts] = strpbrk(a, "*?[") != NULL;
	t->nalts++;
}

/* since:T / until:T: one time, past-oriented (90m is 90 minutes ago, 17:30 the last 17:30). */
static int
compile_time(struct filter *f, int field, const char *v, size_t col, char **err)
{
	int64_t t;

	if (*v == '\0' || tf_parse_when(v, tf_now_ms(), -1, &t) != 0)
		return tf_err(err, "column %zu: '%s' is not a time (2024-05-27T09:00:00Z, "
		    "2024-05-27, 17:30, or 90m for 90 minutes ago)", col, v);
	if (field == F_SINCE)
		f->since = t;
	else
		f->until = t;
	if (f->since != 0 && f->until != 0 && f->until <= f->since)
		return tf_err(err, "column %zu: until must be after since", col);
	return 0;
}

/* One FIELD:VALUE or FIELD>=VALUE word into t. Returns 1 when the word was a time bound
 * (not a term). */
static int
compile_field(struct term *t, const char *w, size_t col, struct filter *f,
    const struct filter_schema *s, char **err)
{
	size_t flen = strcspn(w, ":=<>"), i, k;
	const char *v;
	char *name;
	int val;

	name = xstrndup(w, flen);
	lower(name);
	if (strcmp(name, "since") == 0 || strcmp(name, "until") == 0) {
		int field = name[0] == 's' ? F_SINCE : F_UNTIL;

		free(name);
		if (t->negate)
			return tf_err(err, "column %zu: since and until cannot be negated", col);
		v = w + flen;
		if (*v == ':' || *v == '=')
			v++;
		else
			return tf_err(err, "column %zu: write %.*s:TIME", col, (int)flen, w);
		return compile_time(f, field, v, col, err) == 0 ? 1 : -1;
	}
	for (i = 0; i < s->n; i++)
		if (strcmp(s->fields[i].name, name) == 0)
			break;
	if (i == s->n) {
		tf_err(err, "column %zu: unknown field '%s' (fields: %s)", col, name, s->names);
		free(name);
		return -1;
	}
	free(name);
	t->field = s->fields[i].id;
	t->type = s->fields[i].type;
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
	if (t->op != OP_MATCH && t->op != OP_EQ && t->type != FT_SEV)
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
	/* The event that resolved them: only resolved findings have one. */
	if (t->field == F_RESOLVEDBY && !t->negate && s == &filter_findings)
		f->wants_resolved = 1;
	for (k = 0; k < t->nalts; k++) {
		switch (t->type) {
		case FT_SEV:
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
		case FT_KIND:
			if (kind_value(t->alts[k], &val) != 0)
				return tf_err(err, "column %zu: '%s' is not a kind (modified unmanaged "
				    "deleted freeze_violation)", col, t->alts[k]);
			t->mask |= 1u << val;
			break;
		case FT_STATUS:
			if (strcmp(t->alts[k], "all") == 0) {
				t->mask |= (1u << ST__COUNT) - 1;
				if (!t->negate)
					f->wants_suppressed = f->wants_resolved = 1;
				break;
			} else if (status_value(t->alts[k], &val) != 0)
				return tf_err(err, "column %zu: '%s' is not a status (open acknowledged "
				    "suppressed resolved all)", col, t->alts[k]);
			t->mask |= 1u << val;
			if (val == ST_SUPPRESSED && !t->negate)
				f->wants_suppressed = 1;
			if (val == ST_RESOLVED && !t->negate)
				f->wants_resolved = 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

struct filter *
filter_compile_for(const char *query, const struct filter_schema *s, char **err)
{
	struct filter *f = xcalloc(1, sizeof *f);
	struct strbuf *words = NULL, wb;
	size_t *cols = NULL, n = 0, i;
	int rc = 0;

	if (s == NULL)
		s = &filter_findings;
	f->text = xstrdup(query != NULL ? query : "");
	sb_init(&wb);
	if (split(f->text, &words, &cols, &n, err) != 0) {
		rc = -1;
		goto out;
	}
	f->t = xcalloc(n + 1, sizeof *f->t);
	f->wordv = xcalloc(n + 1, sizeof *f->wordv);
	f->texts = xcalloc(n + 1, sizeof *f->texts);
	for (i = 0; i < n && rc == 0; i++) {
		const char *w = words[i].buf;
		struct term *t = &f->t[f->n];
		size_t col = cols[i];
		size_t flen;

		memset(t, 0, sizeof *t);
		if ((*w == '-' || *w == '!') && w[1] != '\0') {
			t->negate = 1;
			w++;
			col++;
		}
		f->n++;
		/* FIELD:... when the part before :, <, > or = is a word of letters. */
		flen = strcspn(w, ":=<>");
		if (w[flen] != '\0' && flen > 0 &&
		    strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == flen) {
			int r = compile_field(t, w, col, f, s, err);

			if (r < 0)
				rc = -1;
			else if (r == 1) {
				term_free(t);
				f->n--;         /* a time bound, not a term */
			}
		} else {
			t->field = F_TEXT;
			t->type = FT_TEXT;
			add_alt(t, w, strlen(w));
			t->glob[0] = 0;         /* free text is always a substring */
			t->rare_at = rare_byte(t->alts[0]);
			t->wi = (int)f->ntexts;
			f->texts[f->ntexts++] = t->alts[0];
			if (!t->negate) {
				if (wb.len)
					sb_adds(&wb, " ");
				sb_adds(&wb, t->alts[0]);
				f->wordv[f->nwords++] = t->alts[0];
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

struct filter *
filter_compile(const char *query, char **err)
{
	return filter_compile_for(query, &filter_findings, err);
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
	free(f->wordv);
	free(f->texts);
	free(f);
}

/* The fields free words search, in one place for both the per-field and haystack paths. */
#define FINDING_TEXT_OWN(fd) (fd)->address, (fd)->resource_id, (fd)->summary
#define FINDING_TEXT_SHARED(fd) \
	(fd)->type, (fd)->actor.name, (fd)->actor.principal, (fd)->event_name, (fd)->account, \
	(fd)->region
#define FINDING_TEXT_FIELDS(fd) FINDING_TEXT_OWN(fd), FINDING_TEXT_SHARED(fd), (fd)->id

static char *
haystack_of(const char *const *v, size_t n)
{
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	for (i = 0; i < n; i++) {
		if (v[i] != NULL)
			sb_adds(&sb, v[i]);
		sb_addc(&sb, '\x1f');   /* no word spans two fields */
	}
	lower(sb.buf);
	return sb_detach(&sb);
}

char *
filter_haystack(const struct finding *fd)
{
	const char *v[] = { FINDING_TEXT_FIELDS(fd) };

	return haystack_of(v, TF_ARRLEN(v));
}

char *
filter_haystack_own(const struct finding *fd)
{
	const char *v[] = { FINDING_TEXT_OWN(fd) };

	return haystack_of(v, TF_ARRLEN(v));
}

void
filter_text_shared(const struct finding *fd, const char **v)
{
	const char *s[] = { FINDING_TEXT_SHARED(fd) };

	_Static_assert(sizeof s / sizeof s[0] == FILTER_NSHARED, "FILTER_NSHARED");
	memcpy(v, s, sizeof s);
}

int
filter_icontains(const char *s, const char *word)
{
	return icontains(s, word);
}

/* Is the lower-case word in one of the finding's text fields? */
static int
filter_text_fields(const struct finding *fd, const char *a)
{
	const char *v[] = { FINDING_TEXT_FIELDS(fd) };
	size_t i;

	for (i = 0; i < TF_ARRLEN(v); i++)
		if (icontains(v[i], a))
			return 1;
	return 0;
}

/* A free word: from the mask the caller found (bit wi), else in the haystack, else field by
 * field. With a mask or a haystack the finding itself is not read (it is far away). */
static int
text_match(const struct term *t, const struct finding *fd, const char *hay, size_t haylen,
    int64_t mask)
{
	const char *a = t->alts[0];
	size_t i;

	if (mask >= 0)
		return t->wi < 32 ? (int)((mask >> t->wi) & 1) : (filter_text_fields(fd, a));
	if (hay != NULL)
		return find_word(hay, haylen, a, t->alen[0], t->rare_at);
	(void)i;
	return filter_text_fields(fd, a);
}

static int
term_match(const struct term *t, const struct finding *fd, const char *hay, size_t haylen,
    int64_t mask)
{
	size_t i;

	switch (t->field) {
	case F_TEXT: return text_match(t, fd, hay, haylen, mask);
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
	case F_EVENTID: return any_alt(t, fd->event_id);
	case F_RESOLVEDBY:
		return fd->resolution != NULL && any_alt(t, fd->resolution->event_id);
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
filter_time_ok(const struct filter *f, int64_t t)
{
	if (f == NULL || t == 0)
		return 1;
	return (f->since == 0 || t >= f->since) && (f->until == 0 || t < f->until);
}

static int
match(const struct filter *f, const struct finding *fd, const char *hay, size_t haylen,
    int64_t mask)
{
	size_t i;

	if (f == NULL)
		return 1;
	if ((f->since != 0 || f->until != 0) && !filter_time_ok(f, fd->event_time_ms))
		return 0;
	for (i = 0; i < f->n; i++)
		if (term_match(&f->t[i], fd, hay, haylen, mask) == f->t[i].negate)
			return 0;
	return 1;
}

int
filter_match_enums(const struct filter *f, const struct filter_enums *e, uint32_t found)
{
	int left = 0, r;
	size_t i;

	if (f == NULL)
		return 1;
	if ((f->since != 0 || f->until != 0) && !filter_time_ok(f, e->time_ms))
		return 0;
	for (i = 0; i < f->n; i++) {
		const struct term *t = &f->t[i];

		switch (t->field) {
		case F_TEXT:
			if (t->wi >= 32) {
				left = 1;
				continue;
			}
			r = (int)((found >> t->wi) & 1u);
			break;
		case F_SEV: case F_KIND: case F_STATUS: {
			unsigned v = t->field == F_SEV ? e->sev : t->field == F_KIND ? e->kind : e->status;

			if (v >= 32) {
				left = 1;
				continue;
			}
			r = (int)((t->mask >> v) & 1u);
			break;
		}
		case F_VIA: r = any_alt(t, tf_via_name((enum tf_via)e->via)); break;
		case F_PROVIDER: r = any_alt(t, tf_provider_name((enum tf_provider)e->provider)); break;
		default:
			left = 1;
			continue;
		}
		if (r == t->negate)
			return 0;
	}
	return left ? -1 : 1;
}

int
filter_match_hay(const struct filter *f, const struct finding *fd, const char *hay,
    size_t haylen)
{
	return match(f, fd, hay, haylen, -1);
}

int
filter_match_words(const struct filter *f, const struct finding *fd, uint32_t found)
{
	return match(f, fd, NULL, 0, (int64_t)found);
}

int
filter_match(const struct filter *f, const struct finding *fd)
{
	return match(f, fd, NULL, 0, -1);
}

size_t
filter_ntexts(const struct filter *f)
{
	return f != NULL ? f->ntexts : 0;
}

const char *const *
filter_texts(const struct filter *f)
{
	return f != NULL ? f->texts : NULL;
}

/* ---- other views: values through a getter ---- */

#define MAXVALS 16

static int
enum_of(enum filter_type type, const char *s, int *val)
{
	char low[32];
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < sizeof low; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[i] = '\0';
	return type == FT_SEV ? sev_value(low, val) : type == FT_KIND ? kind_value(low, val) :
	    status_value(low, val);
}

static int
item_term(const struct term *t, const void *item, filter_get_fn get)
{
	const char *v[MAXVALS];
	char scratch[FILTER_SCRATCH];
	size_t n, i;
	int val;

	n = get(item, t->field == F_TEXT ? FILTER_ANY : t->field, v, MAXVALS, scratch);
	for (i = 0; i < n; i++) {
		if (v[i] == NULL)
			continue;
		if (t->field == F_TEXT) {
			if (icontains(v[i], t->alts[0]))
				return 1;
		} else if (t->type != FT_TEXT) {
			if (enum_of(t->type, v[i], &val) == 0 && ((t->mask >> val) & 1u))
				return 1;
		} else if (any_alt(t, v[i]))
			return 1;
	}
	return 0;
}

int
filter_match_item(const struct filter *f, const void *item, filter_get_fn get, int64_t time_ms)
{
	size_t i;

	if (f == NULL)
		return 1;
	if (!filter_time_ok(f, time_ms))
		return 0;
	for (i = 0; i < f->n; i++)
		if (item_term(&f->t[i], item, get) == f->t[i].negate)
			return 0;
	return 1;
}

int
filter_search_item(const struct filter *f, const void *item, filter_get_fn get)
{
	size_t i;

	if (f == NULL || f->words[0] == '\0')
		return 0;
	for (i = 0; i < f->n; i++)
		if (f->t[i].field == F_TEXT && !f->t[i].negate && !item_term(&f->t[i], item, get))
			return 0;
	return 1;
}

/* ---- accessors ---- */

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

int
filter_wants_resolved(const struct filter *f)
{
	return f != NULL && f->wants_resolved;
}

const char *
filter_words(const struct filter *f)
{
	return f != NULL ? f->words : "";
}

size_t
filter_nwords(const struct filter *f)
{
	return f != NULL ? f->nwords : 0;
}

const char *
filter_word(const struct filter *f, size_t i)
{
	return f != NULL && i < f->nwords ? f->wordv[i] : NULL;
}

int64_t
filter_since(const struct filter *f)
{
	return f != NULL ? f->since : 0;
}

int64_t
filter_until(const struct filter *f)
{
	return f != NULL ? f->until : 0;
}

int
filter_search_match(const struct filter *f, const struct finding *fd)
{
	size_t i;

	if (f == NULL || f->words[0] == '\0')
		return 0;
	for (i = 0; i < f->n; i++)
		if (f->t[i].field == F_TEXT && !f->t[i].negate && !text_match(&f->t[i], fd, NULL, 0, -1))
			return 0;
	return 1;
}
