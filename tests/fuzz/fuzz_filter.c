/* fuzz_filter: libFuzzer target for the dashboard's `/` query language. A query compiles or
 * fails with a message; a compiled filter matches a finding without crashing. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "ui/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *q = malloc(size + 1), *err = NULL;
	struct finding f;
	struct filter *fl;

	if (q == NULL)
		abort();
	memcpy(q, data, size);
	q[size] = '\0';
	memset(&f, 0, sizeof f);
	strcpy(f.id, "0123456789abcdef");
	f.address = "module.net.aws_security_group.web";
	f.type = "aws_security_group";
	f.summary = "ingress +tcp 22-22 0.0.0.0/0";
	f.actor.name = "alice@corp.example";
	f.event_name = "AuthorizeSecurityGroupIngress";
	fl = filter_compile(q, &err);
	if (fl == NULL && err == NULL)
		abort();        /* refused without saying why */
	if (fl != NULL) {
		(void)filter_match(fl, &f);
		(void)filter_search_match(fl, &f);
		filter_free(fl);
	}
	free(err);
	free(q);
	return 0;
}
