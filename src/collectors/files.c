/* files: recorded audit files as a live source. */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collectors/files.h"
#include "util.h"

struct files {
	char **globs;
	size_t nglobs;
	int64_t poll_ms;
	uint64_t events, errors;
	char *last_error;
};

static void
report(struct files *f, const struct source_sink *k, const char *name)
{
	struct source_status st;

	memset(&st, 0, sizeof st);
	st.name = name;
	st.last_poll_ms = tf_now_ms();
	st.lag_ms = -1;
	st.events = f->events;
	st.errors = f->errors;
	st.last_error = f->last_error;
	st.backfill = -1;
	k->status(k->ctx, &st);
}

static void
fail(struct files *f, char *err)
{
	free(f->last_error);
	f->last_error = err;
	f->errors++;
}

/* One pass over every matching file not read yet (by size and mtime). 0, or -1 when
 * stopping. */
static int
pass(struct files *f, const struct source_sink *k, const char *name)
{
	size_t i, j;

	for (i = 0; i < f->nglobs; i++) {
		glob_t g;
		int rc = glob(f->globs[i], 0, NULL, &g);    /* sorted: files in name order */

		if (rc == GLOB_NOMATCH) {
			/* A plain path that does not exist is a mistake; an empty glob is not. */
			if (strpbrk(f->globs[i], "*?[") == NULL)
				fail(f, xasprintf("%s: no such file", f->globs[i]));
			continue;
		}
		if (rc != 0) {
			fail(f, xasprintf("%s: cannot expand the pattern", f->globs[i]));
			continue;
		}
		for (j = 0; j < g.gl_pathc; j++) {
			const char *path = g.gl_pathv[j];
			struct stat st;
			char *seen, *mark, *err = NULL;
			struct ev_reader *rd;
			struct event ev;
			int got;

			if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			mark = xasprintf("%lld:%lld", (long long)st.st_size, (long long)st.st_mtime);
			seen = k->cursor_get(k->ctx, path);
			if (seen != NULL && strcmp(seen, mark) == 0) {
				free(seen);
				free(mark);
				continue;
			}
			free(seen);
			if ((rd = ev_reader_open(path, &err)) == NULL) {
				fail(f, err);
				free(mark);
				continue;
			}
			ev_reader_set_skip_read_only(rd, 1);
			while ((got = ev_reader_next(rd, &ev, &err)) == 1) {
				struct event *out = xmalloc(sizeof *out);

				*out = ev;
				f->events++;
				if (k->event(k->ctx, out) != 0) {
					ev_reader_close(rd);
					free(mark);
					globfree(&g);
					return -1;
				}
			}
			ev_reader_close(rd);
			if (got < 0)
				fail(f, err);
			else if (k->cursor_set(k->ctx, path, mark, &err) != 0)
				fail(f, err);
			free(mark);
		}
		globfree(&g);
	}
	return 0;
}

struct files_impl {
	struct files f;
	char *name;
};

static int
files_poll_once(void *impl, const struct source_sink *k)
{
	struct files_impl *fi = impl;
	uint64_t before = fi->f.errors;

	pass(&fi->f, k, fi->name);
	report(&fi->f, k, fi->name);
	return fi->f.errors > before ? -1 : 0;
}

static int
files_run(void *impl, const struct source_sink *k)
{
	struct files_impl *fi = impl;

	for (;;) {
		if (pass(&fi->f, k, fi->name) != 0)
			return 0;
		report(&fi->f, k, fi->name);
		if (k->sleep(k->ctx, fi->f.poll_ms > 0 ? fi->f.poll_ms : 3600000))
			return 0;
	}
}

static void
files_free(void *impl)
{
	struct files_impl *fi = impl;
	size_t i;

	for (i = 0; i < fi->f.nglobs; i++)
		free(fi->f.globs[i]);
	free(fi->f.globs);
	free(fi->f.last_error);
	free(fi->name);
	free(fi);
}

struct collector *
files_collector_new(const char *name, char **globs, size_t nglobs, int64_t poll_ms)
{
	struct collector *c = xcalloc(1, sizeof *c);
	struct files_impl *fi = xcalloc(1, sizeof *fi);
	size_t i;

	fi->name = xstrdup(name);
	fi->f.globs = xcalloc(nglobs + 1, sizeof *fi->f.globs);
	for (i = 0; i < nglobs; i++)
		fi->f.globs[i] = xstrdup(globs[i]);
	fi->f.nglobs = nglobs;
	fi->f.poll_ms = poll_ms;
	c->name = xstrdup(name);
	c->run = files_run;
	c->poll_once = files_poll_once;
	c->free = files_free;
	c->impl = fi;
	return c;
}
