/* completion_ids: `tfdrift completion ids`, what the shell completions call for the ids of
 * ack, undo and suppress --value: the store's open finding ids or its decisions that can be
 * undone, one per line. Quick (read-only, a few columns, at most COMPLETION_IDS_MAX) and
 * quiet: a store that cannot be read prints nothing and exits 1, so a Tab never writes
 * over the command line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdtab.h"
#include "conf.h"
#include "store.h"
#include "util.h"
#include "yamlutil.h"

#define COMPLETION_IDS_MAX 1000

static void
put_id(void *ctx, const char *id)
{
	fprintf(ctx, "%s\n", id);
}

int
completion_ids(FILE *fp, const char *what, const char *store_path, const char *config)
{
	struct conf conf;
	struct store *st = NULL;
	struct store_decision *d = NULL;
	char *err = NULL, *file = NULL, **errs = NULL;
	size_t n = 0, nerrs = 0, i;
	int rc = 1;

	conf_init(&conf);
	if (store_path == NULL) {
		/* The configured store, as ack finds it; a config with errors still names one. */
		if ((file = conf_find(config)) != NULL)
			(void)conf_load(&conf, file, &errs, &nerrs);
		store_path = conf.store;
	}
	if (store_path == NULL || store_open(store_path, STORE_RDONLY, &st, &err) != 0)
		goto out;
	if (strcmp(what, "findings") == 0) {
		rc = store_each_open_finding_id(st, COMPLETION_IDS_MAX, put_id, fp, &err) == 0 ? 0 : 1;
	} else if (store_list_decisions(st, &d, &n, &err) == 0) {
		/* Undoable: acks and suppressions not undone yet, the newest first. */
		size_t shown = 0;

		for (i = n; i > 0 && shown < COMPLETION_IDS_MAX; i--)
			if (d[i - 1].action != SA_UNDO && d[i - 1].undone_by == 0) {
				fprintf(fp, "%lld\n", (long long)d[i - 1].id);
				shown++;
			}
		store_decisions_free(d, n);
		rc = 0;
	}
out:
	yerrs_free(errs, nerrs);
	free(err);
	free(file);
	if (st != NULL)
		store_close(st);
	conf_free(&conf);
	return rc;
}
