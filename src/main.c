/* main: entry point; everything else lives in cli.c and the modules. */
#include "config.h"

#include "cli.h"

int
main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
