/* fuzz_theme: libFuzzer target for theme files (src/ui/theme.c, themes/NAME.yaml). Any bytes
 * must parse or fail with messages naming the file, never crash or leak; a theme that parses
 * has every slot resolved to colours a terminal can show (default or 0-255, and 0-7 for the
 * 8-colour fallbacks) and only known attributes. No curses: theme_parse needs none. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui/theme.h"
#include "yamlutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
colour_ok(short c, short max)
{
	return c == THEME_COLOUR_DEFAULT || (c >= 0 && c <= max);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct theme t;
	char **errs = NULL;
	size_t nerrs = 0, i;
	int rc;

	memset(&t, 0, sizeof t);
	rc = theme_parse((const char *)data, size, "fuzz.yaml", &t, &errs, &nerrs);
	if (rc != 0) {
		if (nerrs == 0)
			abort();        /* failed without saying why */
		for (i = 0; i < nerrs; i++)
			if (strncmp(errs[i], "fuzz.yaml", 9) != 0)
				abort();        /* every message names the file */
	} else {
		if (nerrs != 0)
			abort();
		for (i = 0; i < TS__COUNT; i++) {
			const struct theme_style *st = &t.slot[i];

			if (!colour_ok(st->fg, 255) || !colour_ok(st->bg, 255) ||
			    !colour_ok(st->fg8, 7) || !colour_ok(st->bg8, 7) ||
			    (st->attrs & ~(unsigned)(THEME_A_BOLD | THEME_A_DIM | THEME_A_UNDERLINE |
			    THEME_A_REVERSE | THEME_A_STANDOUT | THEME_A_ITALIC | THEME_A_BLINK)) != 0) {
				fprintf(stderr, "fuzz: slot %s: fg %d bg %d fg8 %d bg8 %d attrs %#x\n",
				    theme_slot_name((enum theme_slot)i), st->fg, st->bg, st->fg8, st->bg8,
				    st->attrs);
				abort();
			}
		}
	}
	yerrs_free(errs, nerrs);
	theme_free(&t);
	return 0;
}
