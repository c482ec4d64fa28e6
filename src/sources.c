/* sources: configuration -> collectors. A table of the collector kinds (collector.h), walked
 * over the configuration's sections in order: every entry of a section gets the collectors
 * of each kind built from that section, in the table's order. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "aws_creds.h"
#include "collector.h"
#include "sources.h"
#include "util.h"

/* The configuration's source sections (conf.c parses them) and how many entries each has. */
static size_t
n_files(const struct conf *c)
{
	(void)c;
	return 1;               /* events:, sources.files and the extra files: one collector */
}

static size_t
n_falco(const struct conf *c)
{
	return c->sources.nfalco;
}

static size_t
n_aws(const struct conf *c)
{
	return c->sources.naws;
}

static size_t
n_gcp(const struct conf *c)
{
	return c->sources.ngcp;
}

static const struct {
	const char *name;
	size_t (*count)(const struct conf *c);
} sections[] = {
	{ "sources.files", n_files },
	{ "sources.falco", n_falco },
	{ "sources.aws", n_aws },
	{ "sources.gcp", n_gcp },
};

/* The collector kinds, in the order their instances are added for one entry. */
static const struct collector_ops *const kinds[] = {
	&files_collector_ops,
	&falco_collector_ops,
	&cloudtrail_collector_ops,
	&sqs_collector_ops,
	&gcplogging_collector_ops,
	&pubsub_collector_ops,
};

struct collector *
collector_new(const struct collector_ops *ops, const char *name, void *impl)
{
	struct collector *c = xcalloc(1, sizeof *c);

	c->name = xstrdup(name);
	c->ops = ops;
	c->impl = impl;
	return c;
}

struct aws_shared *
sources_aws(struct sources_ctx *x, size_t i)
{
	if (x->aws[i] == NULL) {
		const struct conf_aws_source *a = &x->conf->sources.aws[i];
		struct aws_creds_opts co = { a->profile, NULL };

		x->aws[i] = xcalloc(1, sizeof *x->aws[i]);
		x->aws[i]->creds = aws_creds_new(&co);
		x->aws[i]->refs = 1;    /* held while adding */
	}
	x->aws[i]->refs++;
	return x->aws[i];
}

void
aws_shared_unref(struct aws_shared *sh)
{
	if (--sh->refs > 0)
		return;
	aws_creds_free(sh->creds);
	free(sh);
}

char *
sources_window_suffix(const struct sources_opts *o)
{
	char a[32], b[32];

	if (o == NULL || (o->since_ms == 0 && o->until_ms == 0))
		return xstrdup("");
	tf_format_time(o->since_ms, a);
	tf_format_time(o->until_ms, b);
	return xasprintf(" [backfill %s..%s]", o->since_ms ? a : "", o->until_ms ? b : "now");
}

int
sources_add(struct engine *e, const struct conf *c, const struct strlist *extra_files,
    const struct sources_opts *o, char **err)
{
	struct sources_ctx x;
	size_t s, i, k;
	int n = 0, rc = 0;

	memset(&x, 0, sizeof x);
	x.conf = c;
	x.extra_files = extra_files;
	x.opts = o;
	x.aws = xcalloc(c->sources.naws + 1, sizeof *x.aws);
	for (s = 0; rc == 0 && s < sizeof sections / sizeof sections[0]; s++)
		for (i = 0; rc == 0 && i < sections[s].count(c); i++)
			for (k = 0; rc == 0 && k < sizeof kinds / sizeof kinds[0]; k++) {
				int m;

				if (kinds[k]->section == NULL ||
				    strcmp(kinds[k]->section, sections[s].name) != 0)
					continue;
				if ((m = kinds[k]->add(e, &x, i, err)) < 0)
					rc = -1;
				else
					n += m;
			}
	for (i = 0; i < c->sources.naws; i++)
		if (x.aws[i] != NULL)
			aws_shared_unref(x.aws[i]);
	free(x.aws);
	return rc < 0 ? -1 : n;
}

int
sources_live(const struct conf *c)
{
	return c->sources.naws > 0 || c->sources.ngcp > 0 || c->sources.files.n > 0 ||
	    c->sources.nfalco > 0;
}
