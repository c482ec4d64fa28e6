/* output: findings as the findings document (json), JSON lines, CSV, or a readable text diff;
 * the stream that writes every format (SARIF and Markdown are made in their own files). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "output.h"
#include "output_int.h"
#include "text.h"
#include "util.h"
#include "value.h"

int
out_format_parse(const char *s, enum out_format *out)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "json") == 0)
		*out = OUT_JSON;
	else if (strcmp(s, "jsonl") == 0 || strcmp(s, "ndjson") == 0)
		*out = OUT_JSONL;
	else if (strcmp(s, "text") == 0)
		*out = OUT_TEXT;
	else if (strcmp(s, "csv") == 0)
		*out = OUT_CSV;
	else if (strcmp(s, "sarif") == 0)
		*out = OUT_SARIF;
	else if (strcmp(s, "markdown") == 0 || strcmp(s, "md") == 0)
		*out = OUT_MARKDOWN;
	else
		return -1;
	return 0;
}

int
out_format_streams(enum out_format f)
{
	return f == OUT_JSONL || f == OUT_TEXT || f == OUT_CSV;
}

json_object *
findings_document(const struct finding_list *l, int64_t generated_ms)
{
	json_object *doc = json_object_new_object(), *arr = json_object_new_array();
	char ts[32];
	size_t i;

	tf_format_time(generated_ms, ts);
	json_object_object_add(doc, "schema", json_object_new_string("tfdrift.findings/v1"));
	json_object_object_add(doc, "generated_at", json_object_new_string(ts));
	for (i = 0; i < l->n; i++)
		json_object_array_add(arr, finding_to_json(l->v[i]));
	json_object_object_add(doc, "findings", arr);
	return doc;
}

/* ANSI colours for the text form; semantic names so a theme can map them later. */
enum tcolor { TC_RESET, TC_CRIT, TC_HIGH, TC_MED, TC_LOW, TC_INFO, TC_ADD, TC_DEL, TC_MOD, TC_DIM, TC_BOLD };
static const char *ansi[] = {
	"\033[0m", "\033[1;97;41m", "\033[1;31m", "\033[33m", "\033[36m", "\033[2m",
	"\033[32m", "\033[31m", "\033[33m", "\033[2m", "\033[1m",
};

static void
col(FILE *fp, int color, enum tcolor c)
{
	if (color)
		fputs(ansi[c], fp);
}

static enum tcolor
sev_color(enum severity s)
{
	switch (s) {
	case SEV_CRITICAL: return TC_CRIT;
	case SEV_HIGH: return TC_HIGH;
	case SEV_MEDIUM: return TC_MED;
	case SEV_LOW: return TC_LOW;
	default: return TC_INFO;
	}
}

static void
upper(char *dst, const char *s, size_t n)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < n; i++)
		dst[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
	dst[i] = '\0';
}

/*
 * The text form is for a terminal, and a logged string (a tag, a user or session name, an
 * id) may carry escape sequences that would retitle the window, hide lines or fake output.
 * Every string that is not ours goes through tputs / tprintf, which show each control
 * character as an escape (\x1b, \u009b, \n: text_escape); only the colours and the line
 * ends written here are raw.
 */
static void
tputs(FILE *fp, const char *s)
{
	text_fputs(fp, s);
}

static void tprintf(FILE *fp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* printf, its result shown as tputs does: so a line end is always written apart. */
static void
tprintf(FILE *fp, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	text_fputs(fp, s);
	free(s);
}

/* Print a value: strings bare-quoted, composite values pretty-printed and indented. */
static void
print_value(FILE *fp, json_object *v, const char *indent)
{
	struct strbuf sb;
	char *s;
	const char *p;

	if (v == NULL) {
		fputs("(none)", fp);
		return;
	}
	sb_init(&sb);
	if (json_object_is_type(v, json_type_string)) {
		/* By its length: a NUL inside is shown, not the end of the value. */
		sb_addc(&sb, '"');
		text_escape(&sb, json_object_get_string(v), (size_t)json_object_get_string_len(v), 0);
		sb_addc(&sb, '"');
		fwrite(sb.buf, 1, sb.len, fp);
		sb_free(&sb);
		return;
	}
	if (!json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array)) {
		fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), fp);
		return;
	}
	s = val_to_string(v);
	if (strlen(s) <= 72) {
		tputs(fp, s);
		free(s);
		return;
	}
	free(s);
	/* JSON text escapes line breaks inside strings: a newline here is layout. */
	s = val_to_pretty(v);
	text_escape(&sb, s, strlen(s), TEXT_KEEP_NL);
	free(s);
	for (p = sb.buf; p != NULL && *p != '\0'; p++) {
		fputc(*p, fp);
		if (*p == '\n')
			fputs(indent, fp);
	}
	sb_free(&sb);
}

/* One line per set member for added/removed sets; a plain value otherwise. */
static void
print_members(FILE *fp, int color, char sign, enum tcolor c, const char *attr, json_object *v)
{
	size_t i;

	if (v != NULL && json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++) {
			col(fp, color, c);
			tprintf(fp, "    %c %s: ", sign, attr);
			print_value(fp, json_object_array_get_idx(v, i), "        ");
			col(fp, color, TC_RESET);
			fputc('\n', fp);
		}
		return;
	}
	if (v != NULL && json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, mv) {
			col(fp, color, c);
			tprintf(fp, "    %c %s.%s: ", sign, attr, k);
			print_value(fp, mv, "        ");
			col(fp, color, TC_RESET);
			fputc('\n', fp);
		}
		return;
	}
	col(fp, color, c);
	tprintf(fp, "    %c %s: ", sign, attr);
	print_value(fp, v, "        ");
	col(fp, color, TC_RESET);
	fputc('\n', fp);
}

/* The fix line: a command to copy, so what came from a log is one quoted shell word. */
static void
print_fix(FILE *fp, const struct finding *f)
{
	struct strbuf sb;

	sb_init(&sb);
	if (f->kind == FK_UNMANAGED && f->type != NULL && f->resource_id != NULL) {
		char *imp = finding_import_id(f);

		sb_addf(&sb, "    fix: import it (terraform import %s.<name> ", f->type);
		text_shell_word(&sb, imp, 0);
		sb_adds(&sb, ") or delete it");
		free(imp);
	} else if (f->address != NULL) {
		sb_adds(&sb, "    fix: terraform apply -target=");
		text_shell_word(&sb, f->address, 1);
		sb_adds(&sb, f->kind == FK_DELETED ? " to recreate it, or remove it from the "
		    "configuration" : " to revert, or update the configuration");
	}
	if (sb.len > 0) {
		tputs(fp, sb.buf);
		fputc('\n', fp);
	}
	sb_free(&sb);
}

void
output_finding_text(FILE *fp, const struct finding *f, int color)
{
	char sev[16], ts[32];
	size_t i;

	upper(sev, severity_name(f->severity), sizeof sev);
	tf_format_time(f->event_time_ms, ts);
	col(fp, color, sev_color(f->severity));
	fprintf(fp, "%-8s", sev);
	col(fp, color, TC_RESET);
	fprintf(fp, " %-10s ", finding_kind_name(f->kind));
	col(fp, color, TC_BOLD);
	if (f->address != NULL)
		tputs(fp, f->address);
	else
		tprintf(fp, "%s %s", f->type ? f->type : "(resource)", f->resource_id ? f->resource_id : "");
	col(fp, color, TC_RESET);
	if (f->address != NULL && f->resource_id != NULL)
		tprintf(fp, "  (%s)", f->resource_id);
	fprintf(fp, "  %s\n", f->event_time_ms ? ts : "");

	tprintf(fp, "    by %s", f->actor.name ? f->actor.name : f->actor.principal ? f->actor.principal : "(unknown)");
	if (f->actor.type != NULL || f->actor.role != NULL) {
		fputs(" (", fp);
		if (f->actor.type != NULL)
			tputs(fp, f->actor.type);
		if (f->actor.role != NULL)
			tprintf(fp, "%srole %s", f->actor.type ? ", " : "", f->actor.role);
		fputc(')', fp);
	}
	fprintf(fp, " via %s", tf_via_name(f->actor.via));
	if (f->source_ip != NULL)
		tprintf(fp, " from %s", f->source_ip);
	fputc('\n', fp);
	col(fp, color, TC_DIM);
	tprintf(fp, "    %s %s", f->event_name ? f->event_name : "?", f->event_source ? f->event_source : "");
	if (f->region != NULL)
		tprintf(fp, " %s", f->region);
	if (f->account != NULL)
		tprintf(fp, " %s", f->account);
	if (f->event_id != NULL)
		tprintf(fp, " event %s", f->event_id);
	if (f->state_source != NULL)
		tprintf(fp, " state %s", f->state_source);
	col(fp, color, TC_RESET);
	fputc('\n', fp);

	for (i = 0; i < f->nchanges; i++) {
		const struct change *c = &f->changes[i];

		if (c->sensitive) {
			col(fp, color, TC_MOD);
			tprintf(fp, "    ~ %s: (sensitive) %s", c->attribute,
			    c->change == CH_ADDED ? "added" : c->change == CH_REMOVED ? "removed" : "changed");
			fputc('\n', fp);
			col(fp, color, TC_RESET);
			continue;
		}
		switch (c->change) {
		case CH_ADDED:
			print_members(fp, color, '+', TC_ADD, c->attribute, c->new_val);
			break;
		case CH_REMOVED:
			print_members(fp, color, '-', TC_DEL, c->attribute, c->old_val);
			break;
		case CH_MODIFIED:
			col(fp, color, TC_MOD);
			tprintf(fp, "    ~ %s: ", c->attribute);
			print_value(fp, c->old_val, "        ");
			fputs(" \u2192 ", fp);
			if (c->unknown_new)
				fputs("(changed; the log does not carry the value)", fp);
			else
				print_value(fp, c->new_val, "        ");
			col(fp, color, TC_RESET);
			fputc('\n', fp);
			break;
		}
	}
	if (f->nchanges == 0 && f->kind == FK_MODIFIED) {
		tprintf(fp, "    ~ changed by %s (the log does not say which attribute)",
		    f->event_name ? f->event_name : "?");
		fputc('\n', fp);
	}
	col(fp, color, TC_DIM);
	print_fix(fp, f);
	if (f->status == ST_RESOLVED && f->resolution != NULL) {
		const struct resolution *r = f->resolution;

		tf_format_time(r->at_ms, ts);
		fprintf(fp, "    resolved: %s at %s", resolution_reason_name(r->reason), ts);
		if (r->event_name != NULL)
			tprintf(fp, " by %s", r->event_name);
		if (r->has_actor && (r->actor.name != NULL || r->actor.principal != NULL))
			tprintf(fp, " (%s)", r->actor.name != NULL ? r->actor.name : r->actor.principal);
		if (r->state_path != NULL)
			tprintf(fp, " by state %s serial %llu", r->state_path,
			    (unsigned long long)r->state_serial);
		fputc('\n', fp);
	}
	if (f->status != ST_OPEN && (f->status != ST_RESOLVED || f->triage != NULL)) {
		fprintf(fp, "    %s", f->status == ST_RESOLVED ? "triaged" : finding_status_name(f->status));
		if (f->triage != NULL) {
			if (f->triage->by != NULL)
				tprintf(fp, " by %s", f->triage->by);
			if (f->triage->at_ms != 0) {
				tf_format_time(f->triage->at_ms, ts);
				fprintf(fp, " at %s", ts);
			}
			if (f->triage->until_ms != 0) {
				tf_format_time(f->triage->until_ms, ts);
				fprintf(fp, " until %s", ts);
			}
			if (f->triage->note != NULL)
				tprintf(fp, ": %s", f->triage->note);
		}
		fputc('\n', fp);
	}
	col(fp, color, TC_RESET);
}

/*
 * One CSV field (RFC 4180); NULL is an empty field. Its text is made valid UTF-8. A field a
 * spreadsheet would run as a formula -- one that begins with =, +, -, @, a tab or a carriage
 * return, OWASP's list for CSV injection; IAM user and session names may -- gets a single
 * quote in front, inside double quotes, as spreadsheet-safe writers do: Excel and
 * LibreOffice then show it as text, and a program reading the CSV sees the quote.
 */
static void
csv_field(FILE *fp, const char *s, int last)
{
	char *fixed = NULL;
	const char *p;
	int formula;

	if (s != NULL && !text_utf8_ok(s, strlen(s)))
		s = fixed = text_utf8_fix(s, strlen(s), NULL, NULL);
	formula = s != NULL && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
	if (s != NULL && (formula || strpbrk(s, ",\"\r\n") != NULL)) {
		fputc('"', fp);
		if (formula)
			fputc('\'', fp);
		for (p = s; *p != '\0'; p++) {
			if (*p == '"')
				fputc('"', fp);
			fputc(*p, fp);
		}
		fputc('"', fp);
	} else if (s != NULL)
		fputs(s, fp);
	fputs(last ? "\r\n" : ",", fp);
	free(fixed);
}

static void
csv_time(FILE *fp, int64_t ms)
{
	char ts[32];

	if (ms == 0) {
		csv_field(fp, NULL, 0);
		return;
	}
	tf_format_time(ms, ts);
	csv_field(fp, ts, 0);
}

void
output_csv_header(FILE *fp)
{
	fputs(OUTPUT_CSV_HEADER "\r\n", fp);
}

void
output_finding_csv(FILE *fp, const struct finding *f)
{
	const struct triage *t = f->triage;
	const struct resolution *r = f->status == ST_RESOLVED ? f->resolution : NULL;
	char ts[32];

	csv_field(fp, f->id, 0);
	csv_time(fp, f->event_time_ms);
	csv_field(fp, severity_name(f->severity), 0);
	csv_field(fp, finding_kind_name(f->kind), 0);
	csv_field(fp, finding_status_name(f->status), 0);
	csv_field(fp, f->address, 0);
	csv_field(fp, f->type, 0);
	csv_field(fp, f->resource_id, 0);
	csv_field(fp, f->account, 0);
	csv_field(fp, f->region, 0);
	csv_field(fp, f->actor.name != NULL ? f->actor.name : f->actor.principal, 0);
	csv_field(fp, tf_via_name(f->actor.via), 0);
	csv_field(fp, f->event_name, 0);
	csv_field(fp, f->summary, 0);
	csv_field(fp, t != NULL ? t->by : NULL, 0);
	csv_time(fp, t != NULL ? t->at_ms : 0);
	csv_field(fp, t != NULL ? t->note : NULL, 0);
	if (t != NULL && t->until_ms != 0)
		tf_format_time(t->until_ms, ts);
	csv_field(fp, t != NULL && t->until_ms != 0 ? ts : NULL, 0);
	csv_field(fp, r != NULL ? resolution_reason_name(r->reason) : NULL, 0);
	csv_time(fp, r != NULL ? r->at_ms : 0);
	if (r != NULL && !r->has_actor && r->state_path != NULL) {
		/* A state resolved it: which one. */
		char *by = xasprintf("state %s serial %llu", r->state_path,
		    (unsigned long long)r->state_serial);

		csv_field(fp, by, 1);
		free(by);
		return;
	}
	csv_field(fp, r == NULL || !r->has_actor ? NULL : r->actor.name != NULL ? r->actor.name :
	    r->actor.principal, 1);
}

/* One finding as JSON text (its schema object, repaired and escaped as text.h says): one
 * line, or pretty-printed at level 0. Heap string. */
static char *
finding_json_text(json_object *fo, int pretty)
{
	return text_json_string(fo, (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
	    JSON_C_TO_STRING_PLAIN) | JSON_C_TO_STRING_NOSLASHESCAPE);
}

void
output_finding_jsonl(FILE *fp, const struct finding *f)
{
	json_object *fo = finding_to_json(f);
	char *js = finding_json_text(fo, 0);

	fputs(js, fp);
	fputc('\n', fp);
	free(js);
	json_object_put(fo);
}

struct out_stream {
	FILE *fp;
	int own;                /* fp is ours to close */
	char *path, *tmp;       /* -o PATH, and the temporary file renamed over it (or NULL) */
	struct out_opts o;
	size_t n;
	int err;                /* errno of the first write error, else 0 */
	struct out_sarif *sarif;        /* sarif: gathered until the end */
	struct out_md *md;              /* markdown: likewise */
};

/*
 * The findings document, written finding by finding so it never exists whole in memory:
 * byte for byte what json-c prints for findings_document() (PRETTY | SPACED |
 * NOSLASHESCAPE), each finding printed on its own and indented two levels (json-c escapes
 * every newline inside strings, so a line break is always its own). The test compares.
 */
static void
doc_head(FILE *fp, int64_t generated_ms)
{
	char ts[32];

	tf_format_time(generated_ms, ts);
	fprintf(fp, "{\n  \"schema\": \"tfdrift.findings/v1\",\n  \"generated_at\": \"%s\",\n"
	    "  \"findings\": [\n", ts);
}

static void
doc_finding(FILE *fp, json_object *fo, size_t i)
{
	char *js = finding_json_text(fo, 1), *p;

	if (i > 0)
		fputs(",\n", fp);
	fputs("    ", fp);
	for (p = js; *p != '\0'; p++) {
		fputc(*p, fp);
		if (*p == '\n')
			fputs("    ", fp);
	}
	free(js);
}

static void
doc_tail(FILE *fp, size_t n)
{
	fputs(n > 0 ? "\n  ]\n}\n" : "  ]\n}\n", fp);
}

/* A document's beginning (json's head, csv's header, sarif's and markdown's gathering). */
static void
stream_begin(struct out_stream *s)
{
	switch (s->o.format) {
	case OUT_JSON: doc_head(s->fp, tf_now_ms()); break;
	case OUT_CSV: output_csv_header(s->fp); break;
	case OUT_SARIF: s->sarif = output_sarif_new(s->o.sarif_artifact); break;
	case OUT_MARKDOWN: s->md = output_md_new(); break;
	default: break;
	}
}

/* Its end: what was gathered is written, and freed. */
static void
stream_end(struct out_stream *s)
{
	switch (s->o.format) {
	case OUT_JSON:
		doc_tail(s->fp, s->n);
		break;
	case OUT_SARIF:
		output_sarif_write(s->fp, s->sarif);
		output_sarif_free(s->sarif);
		s->sarif = NULL;
		break;
	case OUT_MARKDOWN:
		output_md_write(s->fp, s->md);
		output_md_free(s->md);
		s->md = NULL;
		break;
	default:
		break;
	}
}

struct out_stream *
output_open(const char *path, const struct out_opts *o, char **err)
{
	struct out_stream *s = xcalloc(1, sizeof *s);
	struct stat st;

	s->o = *o;
	if (path == NULL || strcmp(path, "-") == 0)
		s->fp = stdout;
	else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* A device or a pipe (-o /dev/null, -o /dev/stdout): write to it; renaming a
		 * temporary file over it would replace the device with a file. */
		if ((s->fp = fopen(path, "w")) == NULL) {
			tf_err(err, "%s: %s", path, strerror(errno));
			free(s);
			return NULL;
		}
		s->own = 1;
		s->path = xstrdup(path);
	} else {
		s->tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
		if ((s->fp = fopen(s->tmp, "w")) == NULL) {
			tf_err(err, "%s: %s", s->tmp, strerror(errno));
			free(s->tmp);
			free(s);
			return NULL;
		}
		s->own = 1;
		s->path = xstrdup(path);
	}
	stream_begin(s);
	return s;
}

int
output_add(struct out_stream *s, const struct finding *f)
{
	json_object *fo;

	if (s->err != 0)
		return -1;
	switch (s->o.format) {
	case OUT_JSON:
		fo = finding_to_json(f);
		doc_finding(s->fp, fo, s->n);
		json_object_put(fo);
		break;
	case OUT_JSONL:
		output_finding_jsonl(s->fp, f);
		break;
	case OUT_CSV:
		output_finding_csv(s->fp, f);
		break;
	case OUT_TEXT:
		if (s->n > 0)
			fputc('\n', s->fp);
		output_finding_text(s->fp, f, s->o.color);
		break;
	case OUT_SARIF:
		output_sarif_add(s->sarif, f);
		break;
	case OUT_MARKDOWN:
		output_md_add(s->md, f);
		break;
	}
	s->n++;
	if (ferror(s->fp)) {
		s->err = errno != 0 ? errno : EIO;
		return -1;
	}
	return 0;
}

void
output_flush(struct out_stream *s)
{
	if (s->err == 0 && fflush(s->fp) != 0)
		s->err = errno != 0 ? errno : EIO;
}

int
output_close(struct out_stream *s, char **err)
{
	int rc = 0, e = s->err;

	stream_end(s);
	if (e == 0 && (fflush(s->fp) != 0 || ferror(s->fp)))
		e = errno != 0 ? errno : EIO;
	if (e == 0 && s->tmp != NULL && fsync(fileno(s->fp)) != 0)
		e = errno;
	if (s->own && fclose(s->fp) != 0 && e == 0)
		e = errno;
	if (e == 0 && s->tmp != NULL && rename(s->tmp, s->path) != 0)
		e = errno;
	if (e != 0) {
		rc = -1;
		if (s->tmp != NULL) {
			tf_err(err, "%s: %s (nothing written)", s->path, strerror(e));
			unlink(s->tmp);
		} else
			tf_err(err, "%s%s: %s", s->path != NULL ? "" : "to ", s->path != NULL ?
			    s->path : "standard output", strerror(e));
	}
	free(s->tmp);
	free(s->path);
	free(s);
	return rc;
}

int
output_findings(FILE *fp, const struct finding_list *l, const struct out_opts *o)
{
	struct out_stream s;
	size_t i;

	memset(&s, 0, sizeof s);
	s.fp = fp;
	s.o = *o;
	stream_begin(&s);
	for (i = 0; i < l->n; i++)
		if (output_add(&s, l->v[i]) != 0)
			break;
	stream_end(&s);
	if (fflush(fp) != 0 || ferror(fp)) {
		if (s.err != 0)
			errno = s.err;
		return -1;
	}
	return 0;
}

int
output_write_file(const char *path, const struct finding_list *l, const struct out_opts *o,
    char **err)
{
	struct out_stream *s;
	size_t i;

	if ((s = output_open(path, o, err)) == NULL)
		return -1;
	for (i = 0; i < l->n; i++)
		if (output_add(s, l->v[i]) != 0)
			break;
	return output_close(s, err);
}
