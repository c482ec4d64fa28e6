/* backend_gcs: a state in Google Cloud Storage (gs://BUCKET[/PREFIX][?workspace=WS], read
 * as PREFIX/WS.tfstate, Terraform's gcs backend). Change detection: the object metadata's
 * generation, compared before the ?alt=media download of exactly that generation. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "backends/backend_int.h"
#include "util.h"

#define GCS_BASE "https://storage.googleapis.com"

struct gcs_src {
	char *bucket, *key;             /* key: the GCS object name */
	struct token_source gcs_token;
	char *gcs_base;
	/* change key */
	char *gen;                      /* generation */
};

/* ---- pure helpers (exported for the unit tests) ---- */

char *
state_gcs_object(const char *prefix, const char *workspace)
{
	size_t n;

	if (workspace == NULL || *workspace == '\0')
		workspace = "default";
	if (prefix == NULL)
		prefix = "";
	while (*prefix == '/')
		prefix++;
	n = strlen(prefix);
	while (n > 0 && prefix[n - 1] == '/')
		n--;
	if (n == 0)
		return xasprintf("%s.tfstate", workspace);
	return xasprintf("%.*s/%s.tfstate", (int)n, prefix, workspace);
}

static int
open_gcs(struct state_src *s, const char *spec, const struct state_src_opts *o, char **err)
{
	struct gcs_src *pv = s->priv;
	struct specopt opts[] = { { "workspace", NULL } };
	const char *b = spec + 5, *slash, *q, *ws, *c;
	char *prefix = NULL;
	int rc = -1;

	slash = b + strcspn(b, "/?");
	q = strchr(b, '?');
	if (slash == b)
		return tf_err(err, "%s: no bucket (expected gs://BUCKET/PREFIX)", spec);
	for (c = b; c < slash; c++)
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
			return tf_err(err, "%s: bad character '%c' in the bucket name", spec, *c);
	if (backend_parse_opts(spec, q ? q + 1 : NULL, opts, TF_ARRLEN(opts), err) != 0)
		goto out;
	ws = o != NULL && o->workspace != NULL ? o->workspace :
	    opts[0].value != NULL ? opts[0].value : "default";
	if (!backend_valid_workspace(ws)) {
		tf_err(err, "%s: bad workspace name '%s'", spec, ws);
		goto out;
	}
	pv->bucket = xstrndup(b, (size_t)(slash - b));
	if (*slash == '/')
		prefix = q ? xstrndup(slash + 1, (size_t)(q - slash - 1)) : xstrdup(slash + 1);
	pv->key = state_gcs_object(prefix, ws);
	if (tf_str_has_suffix(prefix ? prefix : "", ".tfstate")) {
		tf_err(err, "%s: a gs:// spec names the backend's prefix, not the object "
		    "(gs://BUCKET/PREFIX reads PREFIX/WORKSPACE.tfstate)", spec);
		goto out;
	}
	if (o != NULL)
		pv->gcs_token = o->gcs_token;
	pv->gcs_base = xstrdup(backend_pick(o ? o->gcs_base_url : NULL, NULL, GCS_BASE));
	s->location = xasprintf("gs://%s/%s", pv->bucket, pv->key);
	rc = 0;
out:
	free(prefix);
	backend_free_opts(opts, TF_ARRLEN(opts));
	return rc;
}

/* "error": {"code": 403, "message": "..."} of a Google API error body, or NULL. */
static char *
google_msg(const struct http_resp *rs)
{
	json_object *j, *e, *m;
	char *out = NULL;

	if (rs->body.len == 0 || (j = json_tokener_parse(rs->body.buf)) == NULL)
		return NULL;
	/* "message": null has no text (json_object_get_string gives NULL). */
	if (json_object_object_get_ex(j, "error", &e) && json_object_object_get_ex(e, "message", &m) &&
	    json_object_get_string(m) != NULL)
		out = backend_clean_msg(json_object_get_string(m), strlen(json_object_get_string(m)));
	json_object_put(j);
	return out;
}

static int
gcs_error(struct state_src *s, const struct http_resp *rs, char **err)
{
	char *m = google_msg(rs);

	if (rs->status == 404)
		tf_err(err, "no state at %s (404): no such bucket or object; check the bucket, prefix "
		    "and workspace", s->location);
	else if (rs->status == 401 || rs->status == 403)
		tf_err(err, "%s: GCS refused the token (%ld)%s%s: it needs storage.objects.get "
		    "(scope devstorage.read_only)", s->location, rs->status, m ? ": " : "",
		    m ? m : "");
	else
		tf_err(err, "%s: HTTP %ld%s%s", s->location, rs->status, m ? ": " : "", m ? m : "");
	free(m);
	return -1;
}

static int
fetch_gcs(struct state_src *s, char **buf, size_t *len, int *unchanged, char **err)
{
	struct gcs_src *pv = s->priv;
	struct http_req rq;
	struct http_resp rs;
	json_object *j = NULL, *g, *up;
	char *tok = NULL, *why = NULL, *eo, *meta, *media = NULL, *gen = NULL, *q;
	const char *qp[4];
	int64_t updated = 0;
	int rc = -1;

	if (pv->gcs_token.get == NULL)
		return tf_err(err, "%s: no GCS credentials configured", s->location);
	if (pv->gcs_token.get(pv->gcs_token.ctx, &tok, &why) != 0) {
		tf_err(err, "%s: no GCS token: %s", s->location, why ? why : "unknown error");
		free(why);
		return -1;
	}
	eo = http_encode(pv->key, 0);
	meta = xasprintf("%s/storage/v1/b/%s/o/%s", pv->gcs_base, pv->bucket, eo);
	memset(&rq, 0, sizeof rq);
	rq.url = meta;
	rq.bearer = tok;
	if (backend_do_req(s, &rq, &rs, err) != 0)
		goto out;
	if (rs.status != 200) {
		gcs_error(s, &rs, err);
		goto out;
	}
	/* GCS writes the generation as a string; null or a container is no generation (a NULL
	 * key would be compared with the last one). */
	if ((j = json_tokener_parse(rs.body.buf)) == NULL ||
	    !json_object_object_get_ex(j, "generation", &g) ||
	    !(json_object_is_type(g, json_type_string) || json_object_is_type(g, json_type_int))) {
		tf_err(err, "%s: object metadata without a generation", s->location);
		goto out;
	}
	gen = xstrdup(json_object_get_string(g));
	/* When this generation was written: the state's change time. */
	if (!json_object_object_get_ex(j, "updated", &up) ||
	    tf_parse_time(json_object_get_string(up), &updated) != 0)
		updated = 0;
	http_resp_free(&rs);
	if (pv->gen != NULL && strcmp(gen, pv->gen) == 0) {
		*unchanged = 1;
		backend_note_ok(s, 0, NULL, NULL, 0, 0);
		rc = 0;
		goto out;
	}
	/* Download exactly the generation just seen, so the key matches the body. */
	qp[0] = "alt";
	qp[1] = "media";
	qp[2] = "generation";
	qp[3] = gen;
	q = http_query(qp, 2);
	media = xasprintf("%s?%s", meta, q);
	free(q);
	rq.url = media;
	rq.max_body = TF_MAX_STATE;
	if (backend_do_req(s, &rq, &rs, err) != 0)
		goto out;
	if (rs.status == 404) {
		tf_err(err, "%s: generation %s was replaced during the download; the next poll "
		    "reads the new one", s->location, gen);
		goto out;
	}
	if (rs.status != 200) {
		gcs_error(s, &rs, err);
		goto out;
	}
	if (rs.body.len == 0) {
		tf_err(err, "no state at %s (the object is empty)", s->location);
		goto out;
	}
	backend_set_str(&pv->gen, gen);
	backend_take_body(&rs, buf, len);
	backend_note_ok(s, 1, gen, *buf, *len, updated);
	rc = 0;
out:
	if (j != NULL)
		json_object_put(j);
	http_resp_free(&rs);
	backend_wipe_free(tok);
	free(eo);
	free(meta);
	free(media);
	free(gen);
	return rc;
}

static void
forget_gcs(struct state_src *s)
{
	struct gcs_src *pv = s->priv;

	free(pv->gen);
	pv->gen = NULL;
}

static void
free_gcs(struct state_src *s)
{
	struct gcs_src *pv = s->priv;

	free(pv->bucket);
	free(pv->key);
	free(pv->gcs_base);
	free(pv->gen);
}

static const char *const gcs_schemes[] = { "gs://", NULL };

const struct backend_ops backend_gcs_ops = {
	.name = "gcs",
	.kind = STATE_GCS,
	.schemes = gcs_schemes,
	.priv_size = sizeof(struct gcs_src),
	.open = open_gcs,
	.fetch = fetch_gcs,
	.forget = forget_gcs,
	.free = free_gcs,
};
