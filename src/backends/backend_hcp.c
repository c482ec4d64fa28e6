/* backend_hcp: HCP Terraform (tfc://ORG/WORKSPACE on app.terraform.io) and Terraform
 * Enterprise (tfe://HOST/ORG/WORKSPACE); the API token found as Terraform finds it. Change
 * detection: the current state version's id, compared before the download. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <json-c/json.h>

#include "backends/backend_int.h"
#include "backends/tfrc.h"
#include "util.h"

#define HCP_HOST "app.terraform.io"

struct hcp_src {
	char *host, *org, *ws, *hcp_base;
	char *ws_id;                    /* the workspace's id, looked up once */
	/* change key */
	char *sv_id;                    /* state version */
};

/* ---- pure helpers (exported for the unit tests) ---- */

char *
state_hcp_token_env(const char *host)
{
	struct strbuf sb;
	const char *p;

	sb_init(&sb);
	sb_adds(&sb, "TF_TOKEN_");
	for (p = host; *p; p++) {
		if (*p == '.')
			sb_addc(&sb, '_');
		else if (*p == '-')
			sb_adds(&sb, "__");
		else
			sb_addc(&sb, *p);
	}
	return sb_detach(&sb);
}


static int
seg_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.')
			return 0;
	return 1;
}

static int
open_hcp(struct state_src *s, const char *spec, const struct state_src_opts *o, char **err)
{
	struct hcp_src *pv = s->priv;
	int tfe = spec[2] == 'e';
	const char *p = spec + 6, *seg[3];
	size_t len[3], want = tfe ? 3 : 2, i = 0;

	while (i < 3) {
		seg[i] = p;
		len[i] = strcspn(p, "/");
		i++;
		p += len[i - 1];
		if (*p != '/')
			break;
		p++;
	}
	if (i != want || *p != '\0')
		return tf_err(err, "%s: expected %s", spec, tfe ? "tfe://HOST/ORGANIZATION/WORKSPACE" :
		    "tfc://ORGANIZATION/WORKSPACE");
	for (i = 0; i < want; i++)
		if (!seg_ok(seg[i], len[i]))
			return tf_err(err, "%s: empty or bad %s name", spec,
			    i == want - 1 ? "workspace" : i == want - 2 ? "organization" : "host");
	pv->host = tfe ? xstrndup(seg[0], len[0]) : xstrdup(HCP_HOST);
	pv->org = xstrndup(seg[want - 2], len[want - 2]);
	pv->ws = xstrndup(seg[want - 1], len[want - 1]);
	if (o != NULL && o->hcp_base_url != NULL && *o->hcp_base_url != '\0')
		pv->hcp_base = xstrdup(o->hcp_base_url);
	else
		pv->hcp_base = xasprintf("https://%s", pv->host);
	{
		size_t n = strlen(pv->hcp_base);

		while (n > 0 && pv->hcp_base[n - 1] == '/')
			pv->hcp_base[--n] = '\0';
	}
	s->location = tfe ? xasprintf("tfe://%s/%s/%s", pv->host, pv->org, pv->ws) :
	    xasprintf("tfc://%s/%s", pv->org, pv->ws);
	return 0;
}

/* credentials.<host>.token from a JSON CLI config; 0 found, 1 not there, -1 bad file. */
static int
token_from_json(const char *path, const char *host, char **tok, char **err)
{
	json_object *j, *c, *h, *t;
	char *buf = NULL;
	size_t n;
	int rc = 1;

	if (tf_read_file(path, TF_FILE_CREDENTIALS, &buf, &n, err) != 0)
		return -1;
	j = json_tokener_parse(buf);
	free(buf);
	if (j == NULL)
		return tf_err(err, "%s: not valid JSON (expected {\"credentials\": {\"%s\": "
		    "{\"token\": ...}}})", path, host);
	if (json_object_object_get_ex(j, "credentials", &c) &&
	    json_object_object_get_ex(c, host, &h) && json_object_object_get_ex(h, "token", &t) &&
	    json_object_is_type(t, json_type_string) && json_object_get_string_len(t) > 0) {
		*tok = xstrdup(json_object_get_string(t));
		rc = 0;
	}
	json_object_put(j);
	return rc;
}

/* `credentials "host" { token = "..." }` from an HCL CLI config (tfrc.c: comments, quoting,
 * other blocks; a malformed file is an error with its line and column). */
static int
token_from_hcl(const char *path, const char *host, char **tok, char **err)
{
	char *buf = NULL;
	size_t n;
	int rc;

	if (tf_read_file(path, TF_FILE_CREDENTIALS, &buf, &n, err) != 0)
		return -1;
	rc = tfrc_token(path, buf, n, host, tok, err);
	memset(buf, 0, n);
	free(buf);
	return rc;
}

/* The API token for host, Terraform's order: TF_TOKEN_<host>, the CLI config file
 * (TF_CLI_CONFIG_FILE, else ~/.terraformrc when it exists),
 * ~/.terraform.d/credentials.tfrc.json. *from names the source. */
static int
hcp_token(const char *host, char **tok, char **from, char **err)
{
	char *var = state_hcp_token_env(host), *path, *rcfile = NULL;
	const char *v = getenv(var), *cfg = getenv("TF_CLI_CONFIG_FILE"), *home = getenv("HOME");
	int rc;

	if (v != NULL && *v != '\0') {
		*tok = xstrdup(v);
		*from = var;
		return 0;
	}
	if ((cfg == NULL || *cfg == '\0') && home != NULL && *home != '\0') {
		rcfile = xasprintf("%s/.terraformrc", home);
		cfg = access(rcfile, F_OK) == 0 ? rcfile : NULL;
	}
	if (cfg != NULL && *cfg != '\0') {
		rc = tf_str_has_suffix(cfg, ".json") ? token_from_json(cfg, host, tok, err) :
		    token_from_hcl(cfg, host, tok, err);
		if (rc <= 0) {
			*from = rc == 0 ? xstrdup(cfg) : NULL;
			free(rcfile);
			free(var);
			return rc;
		}
	}
	free(rcfile);
	if (home != NULL && *home != '\0') {
		path = xasprintf("%s/.terraform.d/credentials.tfrc.json", home);
		rc = access(path, R_OK) == 0 ? token_from_json(path, host, tok, err) : 1;
		if (rc <= 0) {
			*from = rc == 0 ? path : NULL;
			if (rc != 0)
				free(path);
			free(var);
			return rc;
		}
		free(path);
	}
	tf_err(err, "no API token for %s: set %s or run `terraform login %s` "
	    "(~/.terraform.d/credentials.tfrc.json)", host, var, host);
	free(var);
	return -1;
}

static int
hcp_error(struct state_src *s, const struct http_resp *rs, const char *what, const char *from,
    char **err)
{
	struct hcp_src *pv = s->priv;
	if (rs->status == 401)
		return tf_err(err, "%s: %s refused the API token from %s (401): it is invalid or "
		    "expired; run `terraform login %s` or set a new one", s->location, pv->host, from,
		    pv->host);
	if (rs->status == 404)
		return tf_err(err, "%s: %s was not found (404): check the names, and that the token "
		    "from %s can read this workspace", s->location, what, from);
	if (rs->status == 403)
		return tf_err(err, "%s: the token from %s may not read %s (403)", s->location, from,
		    what);
	return tf_err(err, "%s: HTTP %ld reading %s", s->location, rs->status, what);
}

/* The origin (scheme://host[:port]) length of a URL. */
static size_t
origin_len(const char *u)
{
	const char *p = strstr(u, "://");

	if (p == NULL)
		return 0;
	p += 3;
	return (size_t)(p - u) + strcspn(p, "/?#");
}

static int
fetch_hcp(struct state_src *s, char **buf, size_t *len, int *unchanged, char **err)
{
	struct hcp_src *pv = s->priv;
	const char *hdrs[] = { "Accept: application/vnd.api+json", NULL };
	const char *dl_hdrs[] = { "Accept: application/json", NULL };
	struct http_req rq;
	struct http_resp rs;
	json_object *j = NULL, *d, *id, *a, *u, *ca;
	char *tok = NULL, *from = NULL, *url = NULL, *eorg = NULL, *ews = NULL, *sv = NULL;
	char *dl = NULL;
	int64_t created = 0;
	int rc = -1;

	memset(&rs, 0, sizeof rs);
	if (hcp_token(pv->host, &tok, &from, err) != 0)
		return -1;
	memset(&rq, 0, sizeof rq);
	rq.bearer = tok;
	rq.headers = hdrs;
	if (pv->ws_id == NULL) {
		eorg = http_encode(pv->org, 0);
		ews = http_encode(pv->ws, 0);
		url = xasprintf("%s/api/v2/organizations/%s/workspaces/%s", pv->hcp_base, eorg, ews);
		rq.url = url;
		if (backend_do_req(s, &rq, &rs, err) != 0)
			goto out;
		if (rs.status != 200) {
			hcp_error(s, &rs, "the workspace", from, err);
			goto out;
		}
		if ((j = json_tokener_parse(rs.body.buf)) == NULL ||
		    !json_object_object_get_ex(j, "data", &d) ||
		    !json_object_object_get_ex(d, "id", &id) || !json_object_is_type(id, json_type_string)) {
			tf_err(err, "%s: the workspace response has no data.id", s->location);
			goto out;
		}
		pv->ws_id = xstrdup(json_object_get_string(id));
		json_object_put(j);
		j = NULL;
		http_resp_free(&rs);
		free(url);
	}
	url = xasprintf("%s/api/v2/workspaces/%s/current-state-version", pv->hcp_base, pv->ws_id);
	rq.url = url;
	if (backend_do_req(s, &rq, &rs, err) != 0)
		goto out;
	if (rs.status == 404) {
		/* The workspace may have been deleted and re-created: look it up again next time. */
		free(pv->ws_id);
		pv->ws_id = NULL;
		tf_err(err, "no state at %s (no current state version; or the token from %s cannot "
		    "read state versions)", s->location, from);
		goto out;
	}
	if (rs.status != 200) {
		hcp_error(s, &rs, "the current state version", from, err);
		goto out;
	}
	if ((j = json_tokener_parse(rs.body.buf)) == NULL ||
	    !json_object_object_get_ex(j, "data", &d) || !json_object_object_get_ex(d, "id", &id) ||
	    !json_object_is_type(id, json_type_string) ||
	    !json_object_object_get_ex(d, "attributes", &a)) {
		tf_err(err, "%s: the current-state-version response has no data.id/attributes",
		    s->location);
		goto out;
	}
	sv = xstrdup(json_object_get_string(id));
	/* A state version is made once: when it was made is when the state changed. */
	if (!json_object_object_get_ex(a, "created-at", &ca) ||
	    tf_parse_time(json_object_get_string(ca), &created) != 0)
		created = 0;
	if (pv->sv_id != NULL && strcmp(sv, pv->sv_id) == 0) {
		*unchanged = 1;
		backend_note_ok(s, 0, NULL, NULL, 0, 0);
		rc = 0;
		goto out;
	}
	if (!json_object_object_get_ex(a, "hosted-state-download-url", &u) ||
	    !json_object_is_type(u, json_type_string)) {
		tf_err(err, "%s: state version %s has no hosted-state-download-url (still "
		    "uploading?)", s->location, sv);
		goto out;
	}
	dl = json_object_get_string(u)[0] == '/' ?
	    xasprintf("%s%s", pv->hcp_base, json_object_get_string(u)) :
	    xstrdup(json_object_get_string(u));
	http_resp_free(&rs);
	memset(&rq, 0, sizeof rq);
	rq.url = dl;
	rq.max_body = TF_MAX_STATE;
	rq.headers = dl_hdrs;
	/* The token goes only to the API's own origin, never to another host. */
	if (origin_len(dl) == origin_len(pv->hcp_base) &&
	    strncasecmp(dl, pv->hcp_base, origin_len(dl)) == 0)
		rq.bearer = tok;
	if (backend_do_req(s, &rq, &rs, err) != 0)
		goto out;
	if (rs.status != 200 || rs.body.len == 0) {
		char *shown = http_redact_url(dl);

		tf_err(err, "%s: downloading state version %s from %s: HTTP %ld%s", s->location, sv,
		    shown, rs.status, rs.status == 200 ? " (empty body)" : "");
		free(shown);
		goto out;
	}
	backend_set_str(&pv->sv_id, sv);
	backend_take_body(&rs, buf, len);
	backend_note_ok(s, 1, sv, *buf, *len, created);
	rc = 0;
out:
	if (j != NULL)
		json_object_put(j);
	http_resp_free(&rs);
	backend_wipe_free(tok);
	free(from);
	free(url);
	free(eorg);
	free(ews);
	free(sv);
	free(dl);
	return rc;
}

static void
forget_hcp(struct state_src *s)
{
	struct hcp_src *pv = s->priv;

	free(pv->sv_id);
	pv->sv_id = NULL;
}

static void
free_hcp(struct state_src *s)
{
	struct hcp_src *pv = s->priv;

	free(pv->host);
	free(pv->org);
	free(pv->ws);
	free(pv->hcp_base);
	free(pv->ws_id);
	free(pv->sv_id);
}

static const char *const hcp_schemes[] = { "tfc://", "tfe://", NULL };

const struct backend_ops backend_hcp_ops = {
	.name = "hcp",
	.kind = STATE_HCP,
	.schemes = hcp_schemes,
	.priv_size = sizeof(struct hcp_src),
	.open = open_hcp,
	.fetch = fetch_hcp,
	.forget = forget_hcp,
	.free = free_hcp,
};
