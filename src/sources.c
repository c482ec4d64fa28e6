/* sources: configuration -> collectors. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "collectors/files.h"
#include "sources.h"
#include "util.h"

#define FILES_POLL_MS 60000     /* a glob is expanded again this often for new files */

int
sources_add(struct engine *e, const struct conf *c, const struct strlist *extra_files,
    char **err)
{
	struct strlist all = { 0 };
	size_t i;
	int n = 0;

	(void)err;
	for (i = 0; i < c->events.n; i++)
		strlist_push(&all, c->events.v[i]);
	for (i = 0; i < c->sources.files.n; i++)
		strlist_push(&all, c->sources.files.v[i]);
	for (i = 0; extra_files != NULL && i < extra_files->n; i++)
		strlist_push(&all, extra_files->v[i]);
	if (all.n > 0) {
		engine_add(e, files_collector_new("files", all.v, all.n, FILES_POLL_MS));
		n++;
	}
	strlist_clear(&all);
	return n;
}

int
sources_live(const struct conf *c)
{
	return c->sources.naws > 0 || c->sources.ngcp > 0 || c->sources.files.n > 0;
}
