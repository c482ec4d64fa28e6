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

/* Add a collector for every configured source to e; extra_files (may be NULL) are read
 * too; o may be NULL. Returns how many were added; -1 with *err when one cannot be set up. */
int sources_add(struct engine *e, const struct conf *c, const struct strlist *extra_files,
    const struct sources_opts *o, char **err);
/* Does the configuration have live (polled) sources, not just files? */
int sources_live(const struct conf *c);

#endif
