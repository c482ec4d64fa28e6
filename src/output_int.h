/* output_int: what output.c shares with the document formats made whole at the end (SARIF,
 * Markdown): each gathers findings one at a time (new, add) and writes its document when the
 * stream closes (write). Every finding is read through finding_to_json, so a sensitive value
 * is masked exactly as the JSON output masks it. Main thread only. */
#ifndef TFDRIFT_OUTPUT_INT_H
#define TFDRIFT_OUTPUT_INT_H

#include <stdio.h>
#include "finding.h"

/* s when it is a non-empty string, else dflt. */
static inline const char *
output_str_or(const char *s, const char *dflt)
{
	return s != NULL && s[0] != '\0' ? s : dflt;
}

/* output_sarif.c: SARIF 2.1.0, one run; a result per open finding (doc/tfdrift.1, FORMATS). */
struct out_sarif;
struct out_sarif *output_sarif_new(const char *artifact);   /* out_opts.sarif_artifact */
void output_sarif_add(struct out_sarif *s, const struct finding *f);
void output_sarif_write(FILE *fp, const struct out_sarif *s);
void output_sarif_free(struct out_sarif *s);

/* output_markdown.c: a summary line, a table and a <details> block per finding. */
struct out_md;
struct out_md *output_md_new(void);
void output_md_add(struct out_md *m, const struct finding *f);
void output_md_write(FILE *fp, const struct out_md *m);
void output_md_free(struct out_md *m);

#endif
