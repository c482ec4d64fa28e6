/* ui: the interactive dashboard (`tfdrift ui`, `tfdrift demo`). */
#ifndef TFDRIFT_UI_H
#define TFDRIFT_UI_H

/* argv[0] is the command name. demo: replay the built-in examples, paced, forever.
 * config: the global -c FILE, or NULL. Returns the exit status. */
int ui_main(int argc, char **argv, int demo, const char *config);
/* The dashboard's : commands (name, arguments, help) into out; returns how many. */
#include <stddef.h>
struct cmd_doc;
size_t ui_command_docs(struct cmd_doc *out, size_t max);

#endif
