/* fuzz_rules: libFuzzer target for the rule-file loader. Any bytes must load or fail with
 * messages (file:line:column), never crash or leak; a file that loads must finish (index,
 * precompile) cleanly. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "rules.h"
#include "yamlutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules *r = rules_new();
	char **errs = NULL;
	size_t nerrs = 0;
	int rc = rules_load_mem(r, "fuzz.yaml", (const char *)data, size, &errs, &nerrs);

	if (rc != 0 && nerrs == 0)
		abort();        /* failed without saying why */
	if (rc == 0 && nerrs != 0)
		abort();        /* errors but success */
	if (rc == 0)
		rules_finish(r);
	yerrs_free(errs, nerrs);
	rules_unref(r);
	return 0;
}
