/* sources: the collectors a configuration asks for (`sources:` and `events:`), built and
 * handed to an engine: recorded files, CloudTrail per account-region (plus us-east-1 for
 * IAM and other global events), SQS queues, Cloud Logging per project. */
#ifndef TFDRIFT_SOURCES_H
#define TFDRIFT_SOURCES_H

#include "conf.h"
#include "engine.h"

/* A backfill window for the polled sources (0: none). Its collectors keep their own
 * cursors (named after the window), so a backfill resumes after a restart and never moves
 * the live cursors. */
struct sources_opts {
	int64_t since_ms, until_ms;
};

/* What the collectors' add functions (collector.h) are given while a configuration is
 * turned into collectors. */
struct sources_ctx {
	const struct conf *conf;
	const struct strlist *extra_files;      /* may be NULL */
	const struct sources_opts *opts;        /* may be NULL */
	struct aws_shared **aws;                /* per sources.aws entry: sources_aws */
};

/* The credentials of one sources.aws entry, shared by its collectors (CloudTrail pollers and
 * SQS queue) and freed with the last of them. */
struct aws_shared {
	unsigned refs;
	struct aws_creds *creds;
};

/* A reference to entry i's shared credentials (made on first use); drop it with
 * aws_shared_unref when the collector holding it is freed. */
struct aws_shared *sources_aws(struct sources_ctx *x, size_t i);
void aws_shared_unref(struct aws_shared *sh);

/* " [backfill 2024-05-01T00:00:00Z..2024-05-02T00:00:00Z]" for a backfill window, else "":
 * the end of a polled collector's name. Heap. */
char *sources_window_suffix(const struct sources_opts *o);

/* Add a collector for every configured source to e; extra_files (may be NULL) are read
 * too; o may be NULL. Returns how many were added; -1 with *err when one cannot be set up. */
int sources_add(struct engine *e, const struct conf *c, const struct strlist *extra_files,
    const struct sources_opts *o, char **err);
/* Does the configuration have live (polled) sources, not just files? */
int sources_live(const struct conf *c);

#endif
