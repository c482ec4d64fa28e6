/* paging: the guard every paginated poll runs its page tokens through (LookupEvents'
 * NextToken, entries:list's nextPageToken). A server that hands back a token it already gave
 * in this poll (the last page's again, or an earlier one: a cycle A, B, A) keeps the poll going
 * forever, and so does one that never stops handing out new ones: the collectors ask
 * paging_next before each further page and end the poll on anything but PAGING_GO, with a
 * message naming the source. What they handed over stays handed over and their cursor stays
 * where those pages left it, so nothing is lost and nothing unread is skipped.
 *
 * Memory: one 64-bit hash per page (the tokens themselves are not kept).
 * Threads: a struct paging belongs to the poll that uses it. */
#ifndef TFDRIFT_PAGING_H
#define TFDRIFT_PAGING_H

#include <stdint.h>

#include "util.h"

/* Pages per poll unless configured (`max_pages`): 50,000 CloudTrail events, a million Logging
 * entries; a window with more is read on by the next poll. */
#define PAGING_DEFAULT_MAX_PAGES 1000

enum paging_verdict {
	PAGING_GO,                      /* a new token: read its page */
	PAGING_REPEAT,                  /* the same token as the page before */
	PAGING_CYCLE,                   /* a token an earlier page of this poll had */
	PAGING_CAP,                     /* max_pages pages read and the server has more */
};

struct paging {
	unsigned pages, max_pages;
	uint64_t last;                  /* the previous token's hash, 0 none */
	struct tf_hset seen;
};

/* max_pages 0: PAGING_DEFAULT_MAX_PAGES. */
void paging_init(struct paging *pg, unsigned max_pages);
void paging_free(struct paging *pg);
/* A page was read, and it names `token` (non-empty) for the next: may the poll go on? */
enum paging_verdict paging_next(struct paging *pg, const char *token);
/* What a verdict other than PAGING_GO means, for a message after the source's name: "the
 * server returned the same NextToken twice; stopping this poll" (field names the token).
 * Heap string. */
char *paging_why(const struct paging *pg, enum paging_verdict v, const char *field);

#endif
