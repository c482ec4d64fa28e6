/* filter: the dashboard's `/` query language, the same in every view (no curses; unit-tested).
 *
 *   sev>=high kind:unmanaged actor:alice type:aws_security_group status:open
 *   account:1111 region:eu-west-1 -via:terraform "text with spaces" since:17:30 free words
 *
 * Terms are ANDed. A term is free text (a case-insensitive substring of any of the item's
 * fields) or FIELD:VALUE (substring, or a glob when VALUE has * ? or [), with comma-separated
 * alternatives ORed (kind:unmanaged,deleted). Severity also takes >=, >, <=, < and =. A
 * leading - or ! negates a term. `since:T` and `until:T` (RFC 3339, 17:30, 90m for "90
 * minutes ago", 2024-05-27) bound the item's time in every view. Which fields there are is
 * the view's schema; the findings' is built in (filter_findings). */
#ifndef TFDRIFT_UI_FILTER_H
#define TFDRIFT_UI_FILTER_H

#include <stdint.h>
#include "finding.h"

struct filter;

/* What a field's values are: text, or one of the findings' enums (compared as sets). */
enum filter_type { FT_TEXT = 0, FT_SEV, FT_KIND, FT_STATUS };
struct filter_field {
	const char *name;
	int id;                 /* handed to the view's value getter */
	enum filter_type type;
};
/* The fields a view's `/` takes. `names` lists them for messages and help. */
struct filter_schema {
	const struct filter_field *fields;
	size_t n;
	const char *names;
};
extern const struct filter_schema filter_findings;

/* Compile a query for the findings (filter_compile) or for a schema. NULL with *err
 * ("column 5: unknown field 'colour' (fields: ...)") on a mistake; an empty query compiles
 * to a filter that keeps everything. Relative times (since:90m) are taken from tf_now_ms(). */
struct filter *filter_compile(const char *query, char **err);
struct filter *filter_compile_for(const char *query, const struct filter_schema *s, char **err);
void filter_free(struct filter *f);

/* Findings: 1 when the finding passes. `hay` (may be NULL) is filter_haystack(fd), haylen
 * bytes: free words then cost one search of it instead of one per field. */
int filter_match(const struct filter *f, const struct finding *fd);
int filter_match_hay(const struct filter *f, const struct finding *fd, const char *hay,
    size_t haylen);
/* The same with the free words already looked up by the caller (the model scans all the
 * findings' texts at once): bit i of found says whether filter_texts(f)[i] is there. */
int filter_match_words(const struct filter *f, const struct finding *fd, uint32_t found);
/* What a finding's enums and event time decide of its verdict, without reading the finding
 * (the model keeps them beside its sort keys): 0 when a term on severity, kind, status,
 * via, provider or a time bound fails or a free word (bit i of found) is missing, 1 when
 * every term is of those and passes, -1 when other terms are left (ask filter_match_words). */
struct filter_enums {
	int64_t time_ms;
	unsigned sev, kind, status, via, provider;
};
int filter_match_enums(const struct filter *f, const struct filter_enums *e, uint32_t found);
/* Every free-text word of the query (lower case; negated ones too), in term order. */
size_t filter_ntexts(const struct filter *f);
const char *const *filter_texts(const struct filter *f);
/* The lower-cased text free words search in a finding (heap). */
char *filter_haystack(const struct finding *fd);
/* The same split for a caller that keeps texts of many findings (the model): the lower-cased
 * text of the fields a finding has of its own (heap), and the fields findings share (their
 * values repeat: type, actor, event name, account, region), which such a caller can look a
 * word up in once per distinct value: FILTER_NSHARED pointers into v. A free word is in a
 * finding when it is in the own text, in one of the shared fields or in the id. */
#define FILTER_NSHARED 6
char *filter_haystack_own(const struct finding *fd);
void filter_text_shared(const struct finding *fd, const char **v);
/* 1 when the lower-case word is in s, ignoring case (as free words match). */
int filter_icontains(const char *s, const char *word);
/* 1 when every free-text word matches some field of the finding (n/N search); 0 when the
 * filter has no free words. */
int filter_search_match(const struct filter *f, const struct finding *fd);

/* Other views: get(item, field, out, max, scratch) fills up to max values of a field (field
 * FILTER_ANY: every text field, for free words) and returns how many; a value it has to
 * make goes in scratch (FILTER_SCRATCH bytes, good until the next call). time is the item's
 * time for since:/until: (0 when it has none: then it passes). */
#define FILTER_ANY (-1)
#define FILTER_SCRATCH 256
typedef size_t (*filter_get_fn)(const void *item, int field, const char **out, size_t max,
    char *scratch);
int filter_match_item(const struct filter *f, const void *item, filter_get_fn get,
    int64_t time_ms);
int filter_search_item(const struct filter *f, const void *item, filter_get_fn get);

/* The query as given. */
const char *filter_text(const struct filter *f);
/* 1 when a status term asks for suppressed findings (the list then shows them). */
int filter_wants_suppressed(const struct filter *f);
/* The same for resolved findings (status:resolved, status:all). */
int filter_wants_resolved(const struct filter *f);
/* The free-text words (for n/N search), joined by spaces; "" when none. */
const char *filter_words(const struct filter *f);
/* The free words one by one (lower case), for highlighting. */
size_t filter_nwords(const struct filter *f);
const char *filter_word(const struct filter *f, size_t i);
/* The time window since:/until: set ([since, until); 0 when not set). */
int64_t filter_since(const struct filter *f);
int64_t filter_until(const struct filter *f);
/* 1 when the item time t is inside the window (an item without a time, 0, always is). */
int filter_time_ok(const struct filter *f, int64_t t);

#endif
