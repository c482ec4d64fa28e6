/* backend_http: Terraform's HTTP backend (http:// and https:// specs); basic auth from
 * TF_HTTP_USERNAME / TF_HTTP_PASSWORD only. Change detection: If-None-Match when the server
 * sent an ETag, else the body's MD5. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "backends/backend_int.h"
#include "util.h"

struct http_src {
	char *url;
	/* change keys */
	char *etag;
	char md5[33];
};

static int
open_http(struct state_src *s, const char *spec, const struct state_src_opts *o, char **err)
{
	struct http_src *pv = s->priv;
	const char *h = strstr(spec, "://") + 3;
	size_t n = strcspn(h, "/?#");

	(void)o;
	if (n == 0)
		return tf_err(err, "%s: no host in the HTTP backend address", spec);
	if (memchr(h, '@', n) != NULL)
		return tf_err(err, "HTTP backend address: credentials in the URL are not accepted; "
		    "set TF_HTTP_USERNAME and TF_HTTP_PASSWORD instead");
	pv->url = xstrdup(spec);
	s->location = http_redact_url(spec);
	return 0;
}

static void
md5_hex(const char *p, size_t n, char out[33])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dn = 0, i;

	EVP_Digest(p, n, d, &dn, EVP_md5(), NULL);
	for (i = 0; i < dn && i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	out[32] = '\0';
}

static int
fetch_http(struct state_src *s, char **buf, size_t *len, int *unchanged, char **err)
{
	struct http_src *pv = s->priv;
	const char *user = getenv("TF_HTTP_USERNAME"), *pass = getenv("TF_HTTP_PASSWORD");
	const char *hdrs[2] = { NULL, NULL };
	struct http_req rq;
	struct http_resp rs;
	char *inm = NULL, md5[33];
	int rc = -1;

	memset(&rq, 0, sizeof rq);
	rq.url = pv->url;
	rq.max_body = TF_MAX_STATE;
	if (user != NULL && *user != '\0') {
		rq.basic_user = user;
		rq.basic_pass = pass != NULL ? pass : "";
	}
	if (pv->etag != NULL) {
		inm = xasprintf("If-None-Match: %s", pv->etag);
		hdrs[0] = inm;
		rq.headers = hdrs;
	}
	if (backend_do_req(s, &rq, &rs, err) != 0)
		goto out;
	if (rs.status == 304 && pv->etag != NULL) {
		*unchanged = 1;
		backend_note_ok(s, 0, NULL, NULL, 0, 0);
		rc = 0;
	} else if (rs.status == 200 && rs.body.len > 0) {
		md5_hex(rs.body.buf, rs.body.len, md5);
		backend_set_str(&pv->etag, rs.etag);
		if (pv->md5[0] != '\0' && strcmp(md5, pv->md5) == 0) {
			*unchanged = 1;
			backend_note_ok(s, 0, NULL, NULL, 0, 0);
		} else {
			memcpy(pv->md5, md5, sizeof md5);
			backend_take_body(&rs, buf, len);
			backend_note_ok(s, 1, rs.etag ? rs.etag : md5, *buf, *len, rs.last_modified_ms);
		}
		rc = 0;
	} else if (rs.status == 200 || rs.status == 204 || rs.status == 404)
		tf_err(err, "no state at %s (%ld%s)", s->location, rs.status,
		    rs.status == 200 ? ", empty body" : "");
	else if (rs.status == 401 || rs.status == 403)
		tf_err(err, "%s: the HTTP backend refused %s (%ld): %s", s->location,
		    rq.basic_user ? "the credentials" : "an anonymous request", rs.status,
		    rq.basic_user ? "check TF_HTTP_USERNAME and TF_HTTP_PASSWORD" :
		    "set TF_HTTP_USERNAME and TF_HTTP_PASSWORD");
	else
		tf_err(err, "%s: HTTP %ld from the HTTP backend", s->location, rs.status);
out:
	http_resp_free(&rs);
	free(inm);
	return rc;
}

static void
forget_http(struct state_src *s)
{
	struct http_src *pv = s->priv;

	free(pv->etag);
	pv->etag = NULL;
	pv->md5[0] = '\0';
}

static void
free_http(struct state_src *s)
{
	struct http_src *pv = s->priv;

	free(pv->url);
	free(pv->etag);
}

static const char *const http_schemes[] = { "http://", "https://", NULL };

const struct backend_ops backend_http_ops = {
	.name = "http",
	.kind = STATE_HTTP,
	.schemes = http_schemes,
	.priv_size = sizeof(struct http_src),
	.open = open_http,
	.fetch = fetch_http,
	.forget = forget_http,
	.free = free_http,
};
