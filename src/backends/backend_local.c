/* backend_local: a state in a local file (a path or file:///path). Change detection: mtime +
 * size, then the state's (lineage, serial), so a rewrite of the same state is "unchanged". */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "backends/backend_int.h"
#include "compat.h"
#include "util.h"

struct local_src {
	char *path;
	/* change keys */
	int have_stat;
	struct timespec mtime;
	off_t size;
	int have_peek;
	uint64_t peek_serial;
	char *peek_lineage;
};

static int
open_local(struct state_src *s, const char *spec, const struct state_src_opts *o, char **err)
{
	struct local_src *pv = s->priv;
	const char *p = spec;

	(void)o;
	if (tf_str_has_prefix(spec, "file://")) {
		p = spec + 7;
		if (*p != '/')
			return tf_err(err, "%s: a file:// spec needs an absolute path (file:///path)", spec);
	}
	if (*p == '\0')
		return tf_err(err, "empty state path");
	pv->path = xstrdup(p);
	s->location = xstrdup(p);
	return 0;
}

static int
fetch_local(struct state_src *s, char **buf, size_t *len, int *unchanged, char **err)
{
	struct local_src *pv = s->priv;
	struct stat st;
	struct timespec mt;
	uint64_t serial;
	char *lineage = NULL, *b = NULL;
	size_t n;

	if (stat(pv->path, &st) != 0) {
		if (errno == ENOENT)
			return tf_err(err, "no state at %s (no such file): check the path, or run "
			    "terraform in that directory first", pv->path);
		return tf_err(err, "%s: %s", pv->path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return tf_err(err, "%s: not a regular file", pv->path);
	mt = compat_stat_mtime(&st);
	if (pv->have_stat && st.st_size == pv->size && mt.tv_sec == pv->mtime.tv_sec &&
	    mt.tv_nsec == pv->mtime.tv_nsec) {
		*unchanged = 1;
		backend_note_ok(s, 0, NULL, NULL, 0, 0);
		return 0;
	}
	if (tf_read_file(pv->path, TF_FILE_STATE, &b, &n, err) != 0)
		return -1;
	backend_note_bytes(s, n);
	if (n == 0) {
		free(b);
		return tf_err(err, "no state at %s (empty file)", pv->path);
	}
	pv->have_stat = 1;
	pv->size = st.st_size;
	pv->mtime = mt;
	/* Rewritten with the same (lineage, serial): the same state, as Terraform sees it. */
	if (state_peek(b, n, &serial, &lineage) == 0) {
		if (pv->have_peek && serial == pv->peek_serial && pv->peek_lineage != NULL &&
		    strcmp(lineage, pv->peek_lineage) == 0) {
			free(lineage);
			free(b);
			*unchanged = 1;
			backend_note_ok(s, 0, NULL, NULL, 0, 0);
			return 0;
		}
		pv->have_peek = 1;
		pv->peek_serial = serial;
		free(pv->peek_lineage);
		pv->peek_lineage = lineage;
	} else
		pv->have_peek = 0;
	{
		char v[64];

		snprintf(v, sizeof v, "mtime %lld size %lld", (long long)mt.tv_sec,
		    (long long)st.st_size);
		backend_note_ok(s, 1, v, b, n, (int64_t)mt.tv_sec * 1000 + mt.tv_nsec / 1000000);
	}
	*buf = b;
	*len = n;
	return 0;
}

static void
forget_local(struct state_src *s)
{
	struct local_src *pv = s->priv;

	pv->have_stat = 0;
	pv->have_peek = 0;
}

static void
free_local(struct state_src *s)
{
	struct local_src *pv = s->priv;

	free(pv->path);
	free(pv->peek_lineage);
}

static const char *const local_schemes[] = { "file://", NULL };

const struct backend_ops backend_local_ops = {
	.name = "local",
	.kind = STATE_LOCAL,
	.schemes = local_schemes,
	.priv_size = sizeof(struct local_src),
	.open = open_local,
	.fetch = fetch_local,
	.forget = forget_local,
	.free = free_local,
};
