/* fuzz_rules: libFuzzer target for rule files (src/rules.c), loaded and evaluated. Any bytes
 * must load or fail with messages (file:line:column), never crash or leak; a file that loads
 * is finished (index, precompile), runs its own embedded `tests:`, and is applied to real
 * findings: tests/fuzz/data/rules-subjects.jsonl holds one finding of each kind and type that
 * scanning doc/examples gives, with the CloudTrail record or LogEntry it came from and the
 * state its resource is in (doc/examples/prod.tfstate, gcp.tfstate), so `state:`, `record:`,
 * actor, change and type conditions all meet real values.
 *
 * Oracles: rules_apply returns how many rules it added to the finding, and the finding's
 * severity becomes the highest of theirs; a second apply to a fresh copy gives the same
 * answer (evaluation reads nothing else); rules_wants_state_attr and rules_keep_attr answer
 * for every type. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "tfstate.h"
#include "util.h"
#include "yamlutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SUBJECTS 32

struct subject {
	char *finding;                  /* the finding as JSON (rules_apply changes a finding) */
	struct event ev;
	int has_ev;
	const struct tf_instance *in;
};

static struct subject subj[MAX_SUBJECTS];
static size_t nsubj;
static struct tf_state *states[2];

static const struct tf_instance *
find_instance(const struct tf_state *st, const char *address)
{
	size_t i;

	for (i = 0; st != NULL && address != NULL && i < st->ninst; i++)
		if (st->inst[i].address != NULL && strcmp(st->inst[i].address, address) == 0)
			return &st->inst[i];
	return NULL;
}

static void
load_subjects(void)
{
	static const char *const state_files[] = { "doc/examples/prod.tfstate",
	    "doc/examples/gcp.tfstate" };
	char *buf = NULL, *err = NULL, *path, *line, *save = NULL;
	size_t len, i;
	FILE *fp;

	for (i = 0; i < 2; i++) {
		path = xasprintf("%s/%s", ABS_TOP_SRCDIR, state_files[i]);
		if (tfstate_load_file(path, &states[i], &err) != 0) {
			fprintf(stderr, "fuzz: %s\n", err);
			abort();
		}
		free(path);
	}
	path = xasprintf("%s/tests/fuzz/data/rules-subjects.jsonl", ABS_TOP_SRCDIR);
	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		abort();
	}
	{
		struct strbuf sb;
		char chunk[65536];

		sb_init(&sb);
		while ((len = fread(chunk, 1, sizeof chunk, fp)) > 0)
			sb_add(&sb, chunk, len);
		fclose(fp);
		buf = sb_detach(&sb);
	}
	free(path);
	for (line = strtok_r(buf, "\n", &save); line != NULL && nsubj < MAX_SUBJECTS;
	    line = strtok_r(NULL, "\n", &save)) {
		json_object *o = json_tokener_parse(line), *f, *r, *s, *res, *a;
		struct subject *sj = &subj[nsubj];
		const char *why = NULL;

		if (o == NULL || !json_object_object_get_ex(o, "finding", &f))
			abort();
		sj->finding = xstrdup(json_object_to_json_string_ext(f, JSON_C_TO_STRING_PLAIN));
		if (json_object_object_get_ex(o, "record", &r) && r != NULL) {
			int gcp = json_object_object_get_ex(r, "protoPayload", NULL);

			if ((gcp ? event_from_logentry(r, &sj->ev, &why) :
			    event_from_cloudtrail(r, &sj->ev, &why)) == 0)
				sj->has_ev = 1;
			else
				event_free(&sj->ev);
		}
		if (json_object_object_get_ex(o, "state", &s) && json_object_object_get_ex(f,
		    "resource", &res) && json_object_object_get_ex(res, "address", &a))
			sj->in = find_instance(states[strcmp(json_object_get_string(s), "gcp") == 0],
			    json_object_get_string(a));
		json_object_put(o);
		nsubj++;
	}
	free(buf);
	if (nsubj == 0)
		abort();
}

static struct finding *
fresh(const struct subject *sj)
{
	json_object *o = json_tokener_parse(sj->finding);
	struct finding *f;
	char *why = NULL;

	if (o == NULL || (f = finding_from_json(o, &why)) == NULL) {
		fprintf(stderr, "fuzz: a subject does not load: %s\n", why ? why : "?");
		abort();
	}
	json_object_put(o);
	return f;
}

static void
apply(const struct rules *r, const struct subject *sj)
{
	struct finding *f = fresh(sj), *g = fresh(sj);
	enum severity sev0 = f->severity, best = SEV_INFO;
	size_t n, m, i;

	n = rules_apply(r, f, sj->in, sj->has_ev ? &sj->ev : NULL);
	if (n != f->nrules) {
		fprintf(stderr, "fuzz: rules_apply said %zu, the finding has %zu rules\n", n, f->nrules);
		abort();
	}
	for (i = 0; i < f->nrules; i++)
		if (i == 0 || f->rules[i].severity > best)
			best = f->rules[i].severity;
	if (n > 0 ? f->severity != best : f->severity != sev0) {
		fprintf(stderr, "fuzz: severity %d after %zu matches (highest %d)\n", (int)f->severity,
		    n, (int)best);
		abort();
	}
	m = rules_apply(r, g, sj->in, sj->has_ev ? &sj->ev : NULL);
	if (m != n || g->severity != f->severity)
		abort();        /* the same subject, another answer */
	if (f->type != NULL) {
		struct rules_keep k = { NULL, r };

		(void)rules_wants_state_attr(r, f->type, "ingress");
		(void)rules_keep_attr(&k, f->type, "tags");
	}
	finding_free(f);
	finding_free(g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules *r = rules_new();
	char **errs = NULL, *out = NULL;
	size_t nerrs = 0, npass = 0, i, olen = 0;
	int rc = rules_load_mem(r, "fuzz.yaml", (const char *)data, size, &errs, &nerrs);
	FILE *fp;

	if (nsubj == 0)
		load_subjects();
	if (rc != 0 && nerrs == 0)
		abort();        /* failed without saying why */
	if (rc == 0 && nerrs != 0)
		abort();        /* errors but success */
	if (rc == 0) {
		rules_finish(r);
		if ((fp = open_memstream(&out, &olen)) == NULL)
			abort();
		(void)rules_run_tests(r, fp, &npass);
		fclose(fp);
		free(out);
		for (i = 0; i < nsubj; i++)
			apply(r, &subj[i]);
	}
	yerrs_free(errs, nerrs);
	rules_unref(r);
	return 0;
}
