/* fuzz_tfstate: libFuzzer target for the state parser.  Parses the input with tfstate_parse
 * (v4 fast path) and tfstate_parse_tree (one json-c tree) and traps when they disagree, then
 * pokes the lookups callers use.  Build:
 *   clang -fsanitize=fuzzer,address,undefined -I. -Isrc $(pkg-config --cflags json-c) \
 *     -DPKGDATADIR='"/tmp"' -DABS_TOP_SRCDIR='"."' src/util.c src/jscan.c src/tfstate*.c \
 *     tests/fuzz/fuzz_tfstate.c $(pkg-config --libs json-c zlib libcrypto) -o fuzz_tfstate */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tfstate.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int
streq_null(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static int
same_inst(const struct tf_instance *x, const struct tf_instance *y)
{
	size_t j;

	if (!streq_null(x->address, y->address) || !streq_null(x->module, y->module) ||
	    !streq_null(x->type, y->type) || !streq_null(x->name, y->name) ||
	    !streq_null(x->index_key, y->index_key) || !streq_null(x->provider, y->provider) ||
	    !streq_null(x->id, y->id) || !streq_null(x->deposed, y->deposed) ||
	    x->tainted != y->tainted || x->nsensitive != y->nsensitive ||
	    x->ndeps != y->ndeps ||
	    !json_object_equal(tfstate_attrs(x), tfstate_attrs(y)))
		return 0;
	for (j = 0; j < x->nsensitive; j++)
		if (strcmp(x->sensitive[j], y->sensitive[j]) != 0)
			return 0;
	for (j = 0; j < x->ndeps; j++)
		if (strcmp(x->deps[j], y->deps[j]) != 0)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct tf_state *a = NULL, *b = NULL;
	char *ea = NULL, *eb = NULL;
	int ra, rb;
	size_t i;

	ra = tfstate_parse((const char *)d, n, "fuzz.tfstate", &a, &ea);
	rb = tfstate_parse_tree((const char *)d, n, "fuzz.tfstate", &b, &eb);
	if (ra != rb || (ra != 0 && (ea == NULL || !streq_null(ea, eb))))
		__builtin_trap();
	if (ra != 0 && (strncmp(ea, "fuzz.tfstate:", 13) != 0 ||
	    (ea[13] != ' ' && (ea[13] < '1' || ea[13] > '9'))))
		__builtin_trap();	/* every message names its source: FILE: or FILE:LINE:COL: */
	if (ra == 0) {
		if (a->ninst != b->ninst || a->ndata != b->ndata || a->serial != b->serial ||
		    a->version != b->version || !streq_null(a->tf_version, b->tf_version) ||
		    !streq_null(a->lineage, b->lineage))
			__builtin_trap();
		for (i = 0; i < a->ninst; i++) {
			const struct tf_instance *in = &a->inst[i];

			if (!same_inst(in, &b->inst[i]) || in->state != a)
				__builtin_trap();
			(void)tfstate_attr(in, "tags.Name");
			(void)tfstate_attr(in, "a.0.b");
			(void)tfstate_is_sensitive(in, "tags");
			(void)tfstate_is_sensitive(in, "");
			if (in->nsensitive > 0 && !tfstate_is_sensitive(in, in->sensitive[0]))
				__builtin_trap();
		}
	}
	tfstate_free(a);
	tfstate_free(b);
	free(ea);
	free(eb);
	return 0;
}
