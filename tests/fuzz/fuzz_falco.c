/* fuzz_falco: libFuzzer target for Falco alert lines (the falco event source). Each input
 * line must give an event, nothing, or a message naming the line, never crash or leak. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/falco.h"
#include "event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct falco_counters c;

	memset(&c, 0, sizeof c);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		struct event ev;
		char *msg = NULL;
		int rc;

		memset(&ev, 0, sizeof ev);
		rc = falco_line(p, len, "fuzz.jsonl:1", &ev, &c, &msg);
		if (rc == 1)
			event_free(&ev);
		else if (rc < 0 && msg == NULL)
			abort();        /* malformed without a message */
		free(msg);
		p += len + (nl != NULL);
	}
	return 0;
}
