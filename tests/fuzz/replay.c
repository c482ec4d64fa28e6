/* replay: a plain main() for a libFuzzer target, so `make check` runs every target over its
 * seeds and the reproducers of what fuzzing found (tests/fuzz/replay.sh), with the project's
 * compiler and, in the sanitizer build, under ASan and UBSan. Nothing is mutated: each file
 * named (or each file in a directory named) is passed to LLVMFuzzerTestOneInput once, in
 * name order. A crash, an abort (a target's oracle) or a sanitizer report ends the run with
 * the file named on stderr.
 *
 *   replay_x [-q] FILE|DIR...        prints "N inputs" at the end (-q: nothing) */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aws_creds.h"
#include "http.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Name both hooks, so the fuzzing builds of http.c and aws_creds.c (libtfdrift_fuzzhooks.a,
 * linked first) are the ones in the program, never the shipped ones: a fuzzed profile's
 * credential_process must not run. */
void *const replay_hooks[] = { &http_fuzz_transport, &aws_fuzz_process };

static unsigned long ninputs;

static int
run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	struct strbuf sb;
	char buf[65536];
	size_t n;

	if (fp == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	sb_init(&sb);
	sb_grow(&sb, 0);
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		sb_add(&sb, buf, n);
	fclose(fp);
	/* Announce the file first: if it crashes, the last line says which one. */
	fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput((const uint8_t *)sb.buf, sb.len);
	sb_free(&sb);
	ninputs++;
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xasprintf("%s/%s", path, de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	for (i = 0; i < n; i++) {
		if (rc == 0 && run_path(names[i]) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	int i = 1, quiet = 0, rc = 0;

	if (argc > 1 && strcmp(argv[1], "-q") == 0) {
		quiet = 1;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [-q] FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (; i < argc; i++)
		if (run_path(argv[i]) != 0)
			rc = 1;
	if (!quiet)
		printf("%lu inputs\n", ninputs);
	return rc;
}
