/* filter: the dashboard's `/` query language over findings (no curses; unit-tested).
 *
 *   sev>=high kind:unmanaged actor:alice type:aws_security_group status:open
 *   account:1111 region:eu-west-1 -via:terraform "text with spaces" free words
 *
 * Terms are ANDed. A term is free text (case-insensitive substring of the address, type,
 * resource id, summary, actor, event name, account, region or finding id) or FIELD:VALUE
 * (substring, or a glob when VALUE has * ? or [), with comma-separated alternatives ORed
 * (kind:unmanaged,deleted). Severity also takes >=, >, <=, < and =. A leading - or ! negates
 * a term. Fields: sev severity kind status actor via type addr module id event source
 * account region provider rule. */
#ifndef TFDRIFT_UI_FILTER_H
#define TFDRIFT_UI_FILTER_H

#include "finding.h"

struct filter;

/* Compile a query. NULL with *err ("column 5: unknown field 'colour' (fields: ...)") on a
 * mistake; an empty query compiles to a filter that keeps everything. */
struct filter *filter_compile(const char *query, char **err);
void filter_free(struct filter *f);
/* 1 when the finding passes. */
int filter_match(const struct filter *f, const struct finding *fd);
/* The query as given. */
const char *filter_text(const struct filter *f);
/* 1 when a status term asks for suppressed findings (the list then shows them). */
int filter_wants_suppressed(const struct filter *f);
/* The free-text words (for n/N search), joined by spaces; "" when none. */
const char *filter_words(const struct filter *f);
/* 1 when every free-text word matches some field of the finding (n/N search); 0 when the
 * filter has no free words. */
int filter_search_match(const struct filter *f, const struct finding *fd);

#endif
