/* fuzz_conf: libFuzzer target for the configuration loader. Any bytes must load or fail with
 * messages, never crash or leak; a config that loads must survive conf_dump and load again
 * to the same dump (the `config check` round trip). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "yamlutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The dump after its first line (which names the source file). */
static char *
dump_body(const struct conf *c)
{
	char *buf = NULL, *nl, *r;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		abort();
	conf_dump(c, fp);
	fclose(fp);
	nl = strchr(buf, '\n');
	r = strdup(nl != NULL ? nl : "");
	free(buf);
	if (r == NULL)
		abort();
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c, back;
	char **errs = NULL, *d1, *d2, *full = NULL;
	size_t nerrs = 0, flen = 0;
	FILE *fp;

	conf_init(&c);
	if (conf_load_mem(&c, "fuzz.yaml", (const char *)data, size, &errs, &nerrs) != 0) {
		if (nerrs == 0)
			abort();        /* failed without saying why */
		yerrs_free(errs, nerrs);
		conf_free(&c);
		return 0;
	}
	if (nerrs != 0)
		abort();                /* errors but success */
	d1 = dump_body(&c);
	if ((fp = open_memstream(&full, &flen)) == NULL)
		abort();
	conf_dump(&c, fp);
	fclose(fp);
	conf_init(&back);
	if (conf_load_mem(&back, "dump.yaml", full, flen, &errs, &nerrs) != 0) {
		fprintf(stderr, "the dump does not load: %s\n%s\n", nerrs ? errs[0] : "?", full);
		abort();
	}
	d2 = dump_body(&back);
	if (strcmp(d1, d2) != 0) {
		fprintf(stderr, "round trip differs:\n%s\n---\n%s\n", d1, d2);
		abort();
	}
	free(d1);
	free(d2);
	free(full);
	conf_free(&back);
	conf_free(&c);
	return 0;
}
