/* main: entry point; everything else lives in cli.c and the modules. */
#include "config.h"

#include <stdlib.h>

#include "cli.h"
#include "util.h"

int
main(int argc, char **argv)
{
	const char *limit = getenv("TFDRIFT_TEST_ALLOC_LIMIT");

	/* Tests: fail every allocation above this many bytes, to see what running out of
	 * memory says (tf_alloc_limit_set). */
	if (limit != NULL && *limit != '\0')
		tf_alloc_limit_set((size_t)strtoull(limit, NULL, 10));
	return cli_main(argc, argv);
}
