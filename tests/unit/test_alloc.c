/* The allocator the build chose (configure --with-jemalloc, the default when jemalloc is
 * there): every malloc in the process, json-c's included, is jemalloc's, and memory moves
 * between threads as the scan workers hand records to the merge. */
#define _GNU_SOURCE     /* RTLD_DEFAULT, dladdr */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static void *
fill(void *arg)
{
	char **v = arg;

	for (int i = 0; i < 10000; i++) {
		v[i] = malloc((size_t)(i % 512) + 1);
		if (v[i] != NULL)
			memset(v[i], 'x', (size_t)(i % 512) + 1);
	}
	return NULL;
}

int
main(void)
{
	static char *v[10000];
	void *m = dlsym(RTLD_DEFAULT, "malloc");
	Dl_info info;
	pthread_t t;
	int all = 1;

	ok(m != NULL && dladdr(m, &info) != 0 && info.dli_fname != NULL, "malloc is found");
#ifdef HAVE_JEMALLOC
	ok(m != NULL && info.dli_fname != NULL && strstr(info.dli_fname, "jemalloc") != NULL,
	    "malloc comes from jemalloc (got %s)", info.dli_fname ? info.dli_fname : "?");
	ok(dlsym(RTLD_DEFAULT, "mallctl") != NULL, "jemalloc's mallctl is linked");
#else
	ok(m != NULL && info.dli_fname != NULL && strstr(info.dli_fname, "jemalloc") == NULL,
	    "built without jemalloc: malloc is the C library's (%s)",
	    info.dli_fname ? info.dli_fname : "?");
#endif
	/* Allocated on one thread, freed on another (scan_par's workers and merge). */
	ok(pthread_create(&t, NULL, fill, v) == 0 && pthread_join(t, NULL) == 0,
	    "a thread allocates");
	for (int i = 0; i < 10000; i++) {
		all &= v[i] != NULL && v[i][i % 512] == 'x';
		free(v[i]);
	}
	ok(all, "its memory is intact and freed on another");
	return done_testing();
}
