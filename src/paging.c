/* paging: repeated, cycling and endless page tokens (see paging.h). */
#include "config.h"

#include <string.h>

#include "paging.h"

void
paging_init(struct paging *pg, unsigned max_pages)
{
	memset(pg, 0, sizeof *pg);
	pg->max_pages = max_pages > 0 ? max_pages : PAGING_DEFAULT_MAX_PAGES;
}

void
paging_free(struct paging *pg)
{
	tf_hset_free(&pg->seen);
}

enum paging_verdict
paging_next(struct paging *pg, const char *token)
{
	uint64_t h = tf_hash(token, strlen(token));

	if (h == 0)
		h = 1;          /* 0 means "none" in last (and in tf_hset) */
	pg->pages++;
	if (h == pg->last)
		return PAGING_REPEAT;
	pg->last = h;
	if (tf_hset_test_and_add(&pg->seen, h))
		return PAGING_CYCLE;
	/* Checked last: a repeat at the cap is the better diagnosis. */
	if (pg->pages >= pg->max_pages)
		return PAGING_CAP;
	return PAGING_GO;
}

char *
paging_why(const struct paging *pg, enum paging_verdict v, const char *field)
{
	switch (v) {
	case PAGING_REPEAT:
		return xasprintf("the server returned the same %s twice; stopping this poll", field);
	case PAGING_CYCLE:
		return xasprintf("the server returned a %s it had already returned in this poll "
		    "(a pagination cycle); stopping this poll", field);
	case PAGING_CAP:
		return xasprintf("stopped this poll after %u pages (max_pages), with the server "
		    "still returning a %s", pg->pages, field);
	case PAGING_GO:
		break;
	}
	return xstrdup("");
}
