/* Unit tests for the page-token guard: a new token goes on, the last one again is a repeat,
 * an earlier one is a cycle, the cap stops an endless chain, and the messages say which. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paging.h"
#include "tap.h"

int
main(void)
{
	struct paging pg;
	char tok[32], *m;
	unsigned i;
	int all_go = 1;

	paging_init(&pg, 0);
	is_int((int)pg.max_pages, PAGING_DEFAULT_MAX_PAGES, "0 pages means the default cap");
	is_int(paging_next(&pg, "A"), PAGING_GO, "a first token: go on");
	is_int(paging_next(&pg, "B"), PAGING_GO, "a new one: go on");
	is_int(paging_next(&pg, "B"), PAGING_REPEAT, "the same token twice: a repeat");
	m = paging_why(&pg, PAGING_REPEAT, "NextToken");
	is_str(m, "the server returned the same NextToken twice; stopping this poll",
	    "the repeat says so");
	free(m);
	paging_free(&pg);

	paging_init(&pg, 0);
	paging_next(&pg, "A");
	paging_next(&pg, "B");
	is_int(paging_next(&pg, "A"), PAGING_CYCLE, "A, B, A: a cycle");
	m = paging_why(&pg, PAGING_CYCLE, "nextPageToken");
	ok(strstr(m, "a nextPageToken it had already returned in this poll") != NULL &&
	    strstr(m, "cycle") != NULL, "the cycle says so: %s", m);
	free(m);
	paging_free(&pg);

	/* An endless chain of new tokens: stopped at the cap, not before. */
	paging_init(&pg, 50);
	for (i = 1; i < 50; i++) {
		snprintf(tok, sizeof tok, "t%u", i);
		if (paging_next(&pg, tok) != PAGING_GO)
			all_go = 0;
	}
	ok(all_go, "49 new tokens go on");
	is_int(paging_next(&pg, "t50"), PAGING_CAP, "the 50th page with another token: the cap");
	m = paging_why(&pg, PAGING_CAP, "NextToken");
	is_str(m, "stopped this poll after 50 pages (max_pages), with the server still returning a "
	    "NextToken", "the cap says how many pages");
	free(m);
	paging_free(&pg);
	return done_testing();
}
