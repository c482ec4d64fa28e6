/* cli: command-line parsing and the headless commands (scan, rules check, config check). */
#ifndef TFDRIFT_CLI_H
#define TFDRIFT_CLI_H

int cli_main(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_config(int argc, char **argv);

#endif
