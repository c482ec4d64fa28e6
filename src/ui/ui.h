/* ui: the interactive dashboard (`tfdrift ui`, `tfdrift demo`). */
#ifndef TFDRIFT_UI_H
#define TFDRIFT_UI_H

#include <stdint.h>

#include "conf.h"

/* What `tfdrift ui` or `tfdrift demo` was asked (src/cmd/cmd_ui.c reads its options). */
struct ui_opts {
	int demo;                       /* replay the built-in examples, paced, forever */
	const char *config;             /* -c FILE, or NULL: the usual places */
	const char *store, *event_maps, *theme, *export_dir;   /* NULL: the configured ones */
	struct strlist states, events, findings;
	int readonly;                   /* --readonly */
	unsigned long max_iterations;   /* leave after this many passes of the loop (0: never) */
	int64_t pace_ms;                /* replay_opts */
	unsigned passes;
	int64_t since_ms, until_ms;     /* 0: no bound */
};

/* Runs the dashboard; returns the exit status. */
int ui_dashboard(const struct ui_opts *o);
/* The dashboard's : commands (name, arguments, help) into out; returns how many. */
#include <stddef.h>
struct cmd_doc;
size_t ui_command_docs(struct cmd_doc *out, size_t max);

#endif
