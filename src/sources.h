/* sources: the collectors a configuration asks for (`sources:` and `events:`), built and
 * handed to an engine: recorded files, CloudTrail per account-region (plus us-east-1 for
 * IAM and other global events), SQS queues, Cloud Logging per project. */
#ifndef TFDRIFT_SOURCES_H
#define TFDRIFT_SOURCES_H

#include "conf.h"
#include "engine.h"

/* Add a collector for every configured source to e; extra_files (may be NULL) are read
 * too. Returns how many were added; -1 with *err when one cannot be set up. */
int sources_add(struct engine *e, const struct conf *c, const struct strlist *extra_files,
    char **err);
/* Does the configuration have live (polled) sources, not just files? */
int sources_live(const struct conf *c);

#endif
