/* collector: one kind of live source (CloudTrail, SQS, Cloud Logging, files, Falco), the way
 * tmux's cmd_entry and tig's view_ops describe a command or a view. Each collector file
 * exports a `const struct collector_ops`; sources.c walks a table of them over the sections
 * of the configuration (conf.c's sources table), so adding a source touches its own file,
 * that table and the configuration's. The engine runs a struct collector (one instance: a
 * name, its ops, its state) on a thread of its own (engine.h). */
#ifndef TFDRIFT_COLLECTOR_H
#define TFDRIFT_COLLECTOR_H

#include "source.h"

struct engine;
struct sources_ctx;

struct collector_ops {
	const char *kind;               /* "cloudtrail", "sqs", "gcp", "files", "falco" */
	/* The configuration section its instances come from ("sources.aws"; sources.c), or
	 * NULL when it is not built from the configuration (a dashboard replay). */
	const char *section;
	/* Add its instances for entry i of that section to e (engine_add): how many (0: the
	 * entry does not ask for this kind), or -1 with *err. NULL when section is. */
	int (*add)(struct engine *e, struct sources_ctx *x, size_t i, char **err);
	/* Poll until sink->sleep says stop; 0, or -1 when it cannot run at all (status says). */
	int (*run)(void *impl, const struct source_sink *sink);
	/* Poll once, every page, and return (`watch --once`). */
	int (*poll_once)(void *impl, const struct source_sink *sink);
	void (*free)(void *impl);       /* may be NULL */
	/* A poller that several workers on one store share (engine_set_lease): an instance
	 * runs only while this worker holds the lease named after it. reset (may be NULL)
	 * forgets where it was, so that it reads its cursor again when it next runs (another
	 * worker may have moved it meanwhile). */
	int leased;
	void (*reset)(void *impl);
};

/* One live source: an instance of a collector kind. */
struct collector {
	char *name;                     /* "cloudtrail prod eu-west-1" */
	const struct collector_ops *ops;
	void *impl;
};

/* A heap collector named `name` (copied) over impl. */
struct collector *collector_new(const struct collector_ops *ops, const char *name, void *impl);

/* The kinds (each in its collector's file). */
extern const struct collector_ops files_collector_ops, falco_collector_ops,
    cloudtrail_collector_ops, sqs_collector_ops, gcplogging_collector_ops,
    pubsub_collector_ops;

#endif
