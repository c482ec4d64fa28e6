/* files: a collector over recorded audit files (`sources.files` globs, `events:`): each file
 * is read once, in order, with the event parsers of src/event.c; a cursor per file (its
 * size and modification time) keeps a restart from reading it again. */
#ifndef TFDRIFT_COLLECTORS_FILES_H
#define TFDRIFT_COLLECTORS_FILES_H

#include "engine.h"

/* A collector over the files matching the globs (expanded when it runs, so a file that
 * appears later is read on the next pass). poll_ms: time between passes (0: one pass, then
 * idle until stopped). */
struct collector *files_collector_new(const char *name, char **globs, size_t nglobs,
    int64_t poll_ms);

#endif
