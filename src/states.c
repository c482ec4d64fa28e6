/* states: fetch every state source, parse the changed ones, build one index. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gcp_auth.h"
#include "states.h"
#include "tfstate.h"
#include "util.h"

struct one {
	struct state_src *src;
	char *spec;
	char *buf;              /* the last good body (kept to rebuild the index) */
	size_t len;
	size_t resources;       /* guarded by the states' mutex */
	char *tf_version;
};

struct states {
	struct one *v;
	size_t n;
	struct eventmap *map;
	const struct tfstate_keep *keep;
	int built;              /* an index was built at least once */
	struct gcp_auth *gcp;   /* ADC for gs:// sources, when the caller gave no token source */
	pthread_mutex_t mu;     /* guards resources/tf_version for states_describe */
};

struct states *
states_new(char **specs, size_t n, const struct state_src_opts *o, struct eventmap *map,
    const struct tfstate_keep *keep, char **err)
{
	struct states *s = xcalloc(1, sizeof *s);
	struct state_src_opts so = *o;
	size_t i;

	pthread_mutex_init(&s->mu, NULL);
	s->v = xcalloc(n + 1, sizeof *s->v);
	s->map = map;
	s->keep = keep;
	for (i = 0; i < n && so.gcs_token.get == NULL; i++)
		if (strncmp(specs[i], "gs://", 5) == 0) {
			/* GCS reads need a token: Application Default Credentials. */
			struct gcp_auth_opts ao;

			memset(&ao, 0, sizeof ao);
			if ((s->gcp = gcp_auth_new(&ao, err)) == NULL) {
				char *why = *err;

				*err = xasprintf("%s: %s", specs[i], why);
				free(why);
				states_free(s);
				return NULL;
			}
			so.gcs_token = gcp_auth_token_source(s->gcp);
		}
	for (i = 0; i < n; i++) {
		s->v[i].spec = xstrdup(specs[i]);
		if ((s->v[i].src = state_src_new(specs[i], &so, err)) == NULL) {
			s->n = i + 1;
			states_free(s);
			return NULL;
		}
	}
	s->n = n;
	return s;
}

void
states_free(struct states *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		state_src_free(s->v[i].src);
		free(s->v[i].spec);
		free(s->v[i].buf);
		free(s->v[i].tf_version);
	}
	free(s->v);
	gcp_auth_free(s->gcp);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int
states_refresh(struct states *s, struct state_index **ix, char **err)
{
	struct tf_state **sts;
	const struct index_key_spec *specs;
	char **bufs = xcalloc(s->n + 1, sizeof *bufs);
	size_t *lens = xcalloc(s->n + 1, sizeof *lens);
	size_t i, j, nspecs;
	int changed = !s->built;

	*ix = NULL;
	/* Fetch everything first: one failure and nothing changes. */
	for (i = 0; i < s->n; i++) {
		int unchanged = 0;

		if (state_src_fetch(s->v[i].src, &bufs[i], &lens[i], &unchanged, err) != 0)
			goto fail;
		if (!unchanged)
			changed = 1;
	}
	if (!changed) {
		free(bufs);
		free(lens);
		return 1;
	}
	sts = xcalloc(s->n + 1, sizeof *sts);
	for (i = 0; i < s->n; i++) {
		const char *b = bufs[i] != NULL ? bufs[i] : s->v[i].buf;
		size_t l = bufs[i] != NULL ? lens[i] : s->v[i].len;

		if (b == NULL) {
			tf_err(err, "%s: no state fetched yet", s->v[i].spec);
			goto fail_parse;
		}
		if (tfstate_parse_keep(b, l, s->v[i].spec, s->keep, &sts[i],
		    err) != 0) {
			if (bufs[i] != NULL)
				state_src_reject(s->v[i].src, *err);
			goto fail_parse;
		}
	}
	/* Everything parsed: the new bodies become the last good ones. */
	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->n; i++) {
		if (bufs[i] != NULL) {
			free(s->v[i].buf);
			s->v[i].buf = bufs[i];
			s->v[i].len = lens[i];
		}
		s->v[i].resources = sts[i]->ninst;
		free(s->v[i].tf_version);
		s->v[i].tf_version = xstrdup(sts[i]->tf_version);
	}
	pthread_mutex_unlock(&s->mu);
	specs = eventmap_index_specs(s->map, &nspecs);
	*ix = state_index_build(sts, s->n, specs, nspecs);
	s->built = 1;
	free(sts);
	free(bufs);
	free(lens);
	return 0;
fail_parse:
	for (j = 0; j < i; j++)
		tfstate_free(sts[j]);
	free(sts);
fail:
	for (j = 0; j < s->n; j++)
		free(bufs[j]);
	free(bufs);
	free(lens);
	return -1;
}

int
states_loader(void *ctx, struct state_index **ix, char **err)
{
	int rc = states_refresh(ctx, ix, err);

	if (rc == 1)
		*ix = NULL;
	return rc < 0 ? -1 : 0;
}

void
states_describe(struct states *s, struct states_row **out, size_t *n)
{
	struct states_row *v = xcalloc(s->n + 1, sizeof *v);
	size_t i;

	for (i = 0; i < s->n; i++) {
		state_src_describe(s->v[i].src, &v[i].info);
		pthread_mutex_lock(&s->mu);
		v[i].resources = s->v[i].resources;
		v[i].tf_version = xstrdup(s->v[i].tf_version);
		pthread_mutex_unlock(&s->mu);
	}
	*out = v;
	*n = s->n;
}

void
states_describe_free(struct states_row *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		state_src_info_clear(&v[i].info);
		free(v[i].tf_version);
	}
	free(v);
}
