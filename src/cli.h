/* cli: the command line: global options, then the command from the table (cmdtab.h). */
#ifndef TFDRIFT_CLI_H
#define TFDRIFT_CLI_H

int cli_main(int argc, char **argv);

#endif
