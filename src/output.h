/* output: write findings as the findings document (json), JSON lines, CSV, readable text,
 * SARIF 2.1.0 (output_sarif.c) or Markdown (output_markdown.c). */
#ifndef TFDRIFT_OUTPUT_H
#define TFDRIFT_OUTPUT_H

#include <stdio.h>
#include "finding.h"

enum out_format { OUT_JSON = 0, OUT_JSONL, OUT_TEXT, OUT_CSV, OUT_SARIF, OUT_MARKDOWN };
int out_format_parse(const char *s, enum out_format *out);   /* 0 ok */
/* A format written finding by finding as they come (jsonl, text, csv); the others are one
 * document about them all (json is sorted; sarif and markdown count and group them), so a
 * stream of them gathers until it closes. */
int out_format_streams(enum out_format f);

struct out_opts {
	enum out_format format;
	int color;              /* text only: ANSI colours (on a terminal, NO_COLOR unset) */
	/* sarif only: the file a result is placed on when its finding has no state file (an
	 * unmanaged resource): code scanning refuses a log with a result on no file. NULL:
	 * such a result has only its logical location. */
	const char *sarif_artifact;
};

/* The whole document {"schema":"tfdrift.findings/v1","generated_at":..,"findings":[..]}. */
json_object *findings_document(const struct finding_list *l, int64_t generated_ms);
/* Write all findings to path atomically (a temporary file beside it, flushed to disk, then
 * renamed), so a reader never sees half a file. 0, or -1 with *err ("path: why"). */
int output_write_file(const char *path, const struct finding_list *l, const struct out_opts *o,
    char **err);
/* Write all findings in the chosen format. Returns 0, or -1 with errno set on a write error.
 * Every format is valid UTF-8; JSON and JSON lines escape every control character
 * (text_json_string), text shows them as escapes (text_escape), CSV keeps them as data. */
int output_findings(FILE *fp, const struct finding_list *l, const struct out_opts *o);

/* The same, one finding at a time, so a caller need not hold them all: open (path NULL or
 * "-" is standard output; a file is written to a temporary beside it), add findings in the
 * order they are to appear, close (the document's end, flushed, fsync'd and renamed into
 * place). The json document comes out byte for byte as findings_document() prints. Main
 * thread only. open: NULL with *err; add: -1 after a write error (later adds do nothing);
 * close: 0, or -1 with *err ("path: why"), and the stream is freed either way. */
struct out_stream;
struct out_stream *output_open(const char *path, const struct out_opts *o, char **err);
int output_add(struct out_stream *s, const struct finding *f);
void output_flush(struct out_stream *s);        /* hand what is written to the reader now */
int output_close(struct out_stream *s, char **err);
/* CSV (RFC 4180: CRLF line ends, fields with a comma, quote, CR or LF quoted, quotes
 * doubled): a header line, then one line per finding with the columns of OUTPUT_CSV_HEADER.
 * A field beginning with = + - @, a tab or a CR is written '-prefixed inside quotes, so a
 * spreadsheet never runs it as a formula. */
#define OUTPUT_CSV_HEADER "id,time,severity,kind,status,address,type,resource_id,account," \
	"region,actor,via,event,summary,triage_by,triage_at,triage_note,triage_until," \
	"resolution_reason,resolved_at,resolved_by"
void output_csv_header(FILE *fp);
void output_finding_csv(FILE *fp, const struct finding *f);
/* One finding as a JSON line (the jsonl format; also `watch --format jsonl`). */
void output_finding_jsonl(FILE *fp, const struct finding *f);
/* Text form of one finding (for people; also used by `watch --format text`). */
void output_finding_text(FILE *fp, const struct finding *f, int color);

#endif
