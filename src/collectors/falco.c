/* falco: Falco alerts (CloudTrail and gcpaudit plugins) as a live source. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "collectors/falco.h"
#include "compat.h"
#include "sources.h"
#include "util.h"

#define FALCO_POLL_MS 250               /* how often a quiet input is looked at again */
#define FALCO_ONCE_WAIT_MS 5000         /* --once on a socket: wait this long for a client */
#define FALCO_ONCE_IDLE_MS 1000         /* ... and stop this long after the last data */
#define FALCO_MAX_CONN 64
#define FALCO_MAX_LINE TF_MAX_RECORD   /* an alert is a record: a longer line is malformed */

/* ---- one alert ---- */

/* A field's value as text; NULL when absent, null, empty or Falco's "<NA>". */
static const char *
field(json_object *of, const char *key)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(of, key, &v) || v == NULL)
		return NULL;
	s = json_object_get_string(v);
	if (s == NULL || *s == '\0' || strcmp(s, "<NA>") == 0)
		return NULL;
	return s;
}

static void
put_str(json_object *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, key, json_object_new_string(v));
}

/* A field holding JSON text (ct.request, ct.response, gcp.request): parsed, or kept as a
 * string when it is not JSON. */
static void
put_json(json_object *o, const char *key, const char *v)
{
	json_object *p;

	if (v == NULL)
		return;
	p = json_tokener_parse(v);
	json_object_object_add(o, key, p != NULL ? p : json_object_new_string(v));
}

static int
has_prefix_key(json_object *of, const char *prefix)
{
	size_t n = strlen(prefix);

	json_object_object_foreach(of, key, val) {
		(void)val;
		if (strncmp(key, prefix, n) == 0)
			return 1;
	}
	return 0;
}

/* A CloudTrail record from the ct.* fields. */
static json_object *
ct_record(json_object *alert, json_object *of)
{
	json_object *r = json_object_new_object(), *ui = json_object_new_object(), *tv;
	const char *type = field(of, "ct.user.identitytype"), *ro = field(of, "ct.readonly");
	const char *t = field(of, "ct.time");

	if (t == NULL && json_object_object_get_ex(alert, "time", &tv))
		t = json_object_get_string(tv);
	put_str(r, "eventVersion", "1.08");
	put_str(r, "eventID", field(of, "ct.id"));
	put_str(r, "eventTime", t);
	put_str(r, "eventSource", field(of, "ct.src"));
	put_str(r, "eventName", field(of, "ct.name"));
	put_str(r, "awsRegion", field(of, "ct.region"));
	put_str(r, "sourceIPAddress", field(of, "ct.srcip"));
	put_str(r, "userAgent", field(of, "ct.useragent"));
	put_str(r, "errorCode", field(of, "ct.error"));
	put_str(r, "errorMessage", field(of, "ct.errormessage"));
	put_json(r, "requestParameters", field(of, "ct.request"));
	put_json(r, "responseElements", field(of, "ct.response"));
	put_json(r, "additionalEventData", field(of, "ct.additionaleventdata"));
	put_json(r, "resources", field(of, "ct.resources"));
	put_str(r, "requestID", field(of, "ct.requestid"));
	put_str(r, "eventType", field(of, "ct.eventtype"));
	put_str(r, "recipientAccountId", field(of, "ct.recipientaccountid"));
	put_str(r, "sessionCredentialFromConsole", field(of, "ct.sessioncredentialfromconsole"));
	if (ro != NULL)
		json_object_object_add(r, "readOnly", json_object_new_boolean(strcmp(ro, "true") == 0));
	put_str(ui, "type", type);
	put_str(ui, "principalId", field(of, "ct.user.principalid"));
	put_str(ui, "arn", field(of, "ct.user.arn"));
	put_str(ui, "accountId", field(of, "ct.user.accountid"));
	if (type != NULL && strcmp(type, "AssumedRole") == 0) {
		/* ct.user is the role (sessionIssuer.userName) for assumed roles. */
		json_object *sc = json_object_new_object(), *si = json_object_new_object();

		put_str(si, "type", "Role");
		put_str(si, "userName", field(of, "ct.user"));
		put_str(si, "accountId", field(of, "ct.user.accountid"));
		json_object_object_add(sc, "sessionIssuer", si);
		json_object_object_add(ui, "sessionContext", sc);
	} else
		put_str(ui, "userName", field(of, "ct.user"));
	json_object_object_add(r, "userIdentity", ui);
	return r;
}

/* serviceName from a method name: v1.compute.firewalls.patch -> compute.googleapis.com. */
static char *
gcp_service(const char *method)
{
	const char *p = method, *dot;

	if (strncmp(p, "v1.", 3) == 0)
		p += 3;
	else if (strncmp(p, "beta.", 5) == 0)
		p += 5;
	else if (strncmp(p, "alpha.", 6) == 0)
		p += 6;
	else if (strncmp(p, "google.", 7) == 0)
		p += 7;
	if ((dot = strchr(p, '.')) == NULL || dot == p)
		return NULL;
	return xasprintf("%.*s.googleapis.com", (int)(dot - p), p);
}

/* A Cloud Audit LogEntry from the gcp.* fields. The plugin has no insertId field: the id is
 * made from what identifies the call, so the same alert twice is one event. */
static json_object *
gcp_entry(json_object *alert, json_object *of)
{
	json_object *e = json_object_new_object(), *pp = json_object_new_object(), *tv;
	json_object *res = json_object_new_object(), *labels = json_object_new_object();
	json_object *am = json_object_new_object(), *rm = json_object_new_object();
	const char *t = NULL, *proj = field(of, "gcp.projectId"), *method = field(of, "gcp.methodName");
	const char *svc = field(of, "gcp.serviceName");
	char *svc_made = NULL, *log, *key, id[33];

	if (json_object_object_get_ex(alert, "time", &tv))
		t = json_object_get_string(tv);
	key = xasprintf("%s\n%s\n%s\n%s\n%s", t ? t : "", method ? method : "",
	    field(of, "gcp.resourceName") ? field(of, "gcp.resourceName") : "",
	    field(of, "gcp.user") ? field(of, "gcp.user") : "",
	    field(of, "gcp.request") ? field(of, "gcp.request") : "");
	tf_sha256_hex(key, strlen(key), id, 32);
	free(key);
	put_str(e, "insertId", id);
	put_str(e, "timestamp", t);
	if (proj != NULL) {
		log = xasprintf("projects/%s/logs/cloudaudit.googleapis.com%%2Factivity", proj);
		put_str(e, "logName", log);
		free(log);
	}
	put_str(res, "type", field(of, "gcp.resourceType"));
	put_str(labels, "project_id", proj);
	put_str(labels, "location", field(of, "gcp.location"));
	put_str(labels, "bucket_name", field(of, "gcp.storage.bucket"));
	put_str(labels, "instance_id", field(of, "gcp.compute.instanceId"));
	json_object_object_add(res, "labels", labels);
	json_object_object_add(e, "resource", res);
	if (svc == NULL && method != NULL)
		svc = svc_made = gcp_service(method);
	put_str(pp, "@type", "type.googleapis.com/google.cloud.audit.AuditLog");
	put_str(pp, "serviceName", svc);
	put_str(pp, "methodName", method);
	put_str(pp, "resourceName", field(of, "gcp.resourceName"));
	put_str(am, "principalEmail", field(of, "gcp.user"));
	json_object_object_add(pp, "authenticationInfo", am);
	put_str(rm, "callerIp", field(of, "gcp.callerIP"));
	put_str(rm, "callerSuppliedUserAgent", field(of, "gcp.userAgent"));
	json_object_object_add(pp, "requestMetadata", rm);
	put_json(pp, "request", field(of, "gcp.request"));
	put_json(pp, "authorizationInfo", field(of, "gcp.authorizationInfo"));
	json_object_object_add(e, "protoPayload", pp);
	free(svc_made);
	return e;
}

int
falco_alert_to_event(json_object *alert, struct event *ev, const char **why)
{
	json_object *of, *rec;
	const char *raw;
	int rc;

	memset(ev, 0, sizeof *ev);
	if (!json_object_is_type(alert, json_type_object)) {
		*why = "not a JSON object";
		return -1;
	}
	if (!json_object_object_get_ex(alert, "output_fields", &of) ||
	    !json_object_is_type(of, json_type_object)) {
		*why = "no output_fields (not a Falco alert)";
		return 0;
	}
	/* The whole record, when the json plugin's field is in the output: exact. */
	if ((raw = field(of, "json.obj")) != NULL || (raw = field(of, "jevt.obj")) != NULL) {
		rec = json_tokener_parse(raw);
		if (rec == NULL) {
			*why = "json.obj is not JSON";
			return -1;
		}
		rc = event_from_json(rec, ev, why);
		json_object_put(rec);
		if (rc != 0) {
			event_free(ev);
			memset(ev, 0, sizeof *ev);
			return -1;
		}
		return 1;
	}
	if (has_prefix_key(of, "ct.")) {
		if (field(of, "ct.name") == NULL || field(of, "ct.src") == NULL) {
			*why = "CloudTrail alert without ct.name and ct.src: add ct.id, ct.name, ct.src, "
			    "ct.request, ct.response, ct.readonly, ct.user.arn (or json.obj) to the "
			    "rule's output or Falco's append_output";
			return -1;
		}
		rec = ct_record(alert, of);
		rc = event_from_cloudtrail(rec, ev, why);
	} else if (has_prefix_key(of, "gcp.")) {
		if (field(of, "gcp.methodName") == NULL) {
			*why = "gcpaudit alert without gcp.methodName: add gcp.methodName, "
			    "gcp.serviceName, gcp.resourceName, gcp.request, gcp.user (or json.obj) to "
			    "the rule's output or Falco's append_output";
			return -1;
		}
		rec = gcp_entry(alert, of);
		rc = event_from_logentry(rec, ev, why);
	} else {
		*why = "not a cloud audit alert (no ct.* or gcp.* fields)";
		return 0;
	}
	json_object_put(rec);
	if (rc != 0) {
		event_free(ev);
		memset(ev, 0, sizeof *ev);
		return -1;
	}
	return 1;
}

int
falco_line(const char *line, size_t len, const char *where, struct event *ev,
    struct falco_counters *c, char **msg)
{
	struct json_tokener *tok;
	json_object *o;
	const char *why = NULL;
	size_t i;
	int rc;

	c->lines++;
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'); i++)
		;
	if (i == len)
		return 0;
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		*msg = xasprintf("%s: malformed line: %s", where, je == json_tokener_continue ?
		    "incomplete JSON" : json_tokener_error_desc(je));
		json_object_put(o);
		json_tokener_free(tok);
		c->malformed++;
		return -1;
	}
	json_tokener_free(tok);
	c->alerts++;
	rc = falco_alert_to_event(o, ev, &why);
	json_object_put(o);
	if (rc == 0) {
		c->skipped++;
		return 0;
	}
	if (rc < 0) {
		*msg = xasprintf("%s: %s", where, why ? why : "unusable alert");
		c->malformed++;
		return -1;
	}
	free(ev->origin);
	ev->origin = xstrdup(where);
	c->events++;
	return 1;
}

/* ---- the collector ---- */

enum falco_kind { FALCO_STDIN, FALCO_FILE, FALCO_SOCKET };

/* One input stream: stdin, the file, or a socket connection. */
struct stream {
	int fd;
	char *label;            /* for origins: "alerts.json", "unix:/run/x.sock#3" */
	struct strbuf buf;      /* bytes after the last newline */
	uint64_t line;
};

struct falco {
	char *name, *path;
	enum falco_kind kind;
	struct falco_counters c;
	uint64_t errors, last_reported_malformed;
	char *last_error;
	int64_t offset;         /* file: bytes consumed */
	dev_t dev;
	ino_t ino;
	int listen_fd;
	struct stream *s;       /* [0] stdin/file; connections for a socket */
	size_t ns;
	unsigned nconn;
	int stdin_eof;
};

static void
report(struct falco *f, const struct source_sink *k)
{
	struct source_status st;
	char *e = NULL;

	memset(&st, 0, sizeof st);
	st.name = f->name;
	st.last_poll_ms = tf_now_ms();
	st.lag_ms = -1;
	st.events = f->c.events;
	st.errors = f->errors;
	if (f->last_error != NULL)
		e = xasprintf("%s (%llu alerts: %llu events, %llu not cloud audit alerts skipped, "
		    "%llu malformed)", f->last_error, (unsigned long long)f->c.alerts,
		    (unsigned long long)f->c.events, (unsigned long long)f->c.skipped,
		    (unsigned long long)f->c.malformed);
	st.last_error = e;
	st.backfill = -1;
	k->status(k->ctx, &st);
	free(e);
}

static void
fail(struct falco *f, char *msg)
{
	free(f->last_error);
	f->last_error = msg;
	f->errors++;
}

/* Hand over the complete lines in s->buf. 0, or -1 when the engine is stopping. */
static int
drain_lines(struct falco *f, struct stream *s, const struct source_sink *k, int at_eof)
{
	size_t start = 0, i;
	int rc = 0;

	for (i = 0; i <= s->buf.len && rc == 0; i++) {
		struct event ev;
		char *where, *msg = NULL;
		int got;

		if (i < s->buf.len && s->buf.buf[i] != '\n')
			continue;
		if (i == s->buf.len && (!at_eof || i == start))
			break;
		s->line++;
		where = xasprintf("%s:%llu", s->label, (unsigned long long)s->line);
		got = falco_line(s->buf.buf + start, i - start, where, &ev, &f->c, &msg);
		free(where);
		if (got < 0)
			fail(f, msg);
		else if (got > 0) {
			struct event *out = xmalloc(sizeof *out);

			*out = ev;
			if (k->event(k->ctx, out) != 0)
				rc = -1;
		}
		start = i + 1;
	}
	if (start > s->buf.len)
		start = s->buf.len;
	if (start > 0) {
		memmove(s->buf.buf, s->buf.buf + start, s->buf.len - start);
		s->buf.len -= start;
	}
	if (s->buf.len > FALCO_MAX_LINE) {
		s->line++;
		fail(f, tf_locf(s->label, (unsigned long long)s->line, 0, "malformed line: longer "
		    "than %zu bytes, the limit for one audit record", (size_t)FALCO_MAX_LINE));
		f->c.malformed++;
		s->buf.len = 0;
	}
	return rc;
}

/* Read what is there from s (non-blocking). 1 data read, 0 nothing, -1 end of input or
 * error (the caller closes it). */
static int
read_some(struct stream *s)
{
	char tmp[65536];
	ssize_t n = read(s->fd, tmp, sizeof tmp);

	if (n > 0) {
		sb_add(&s->buf, tmp, (size_t)n);
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	return -1;
}

static char *
cursor_name(struct falco *f)
{
	return xasprintf("falco:%s:%s", f->name, f->path);
}

/* The file: from the cursor (same file, not shorter) or the start, to its current end. */
static int
file_pass(struct falco *f, const struct source_sink *k)
{
	struct stat st;
	struct stream *s;
	char *cn, *cur, *mark, *err = NULL;
	int r, rc = 0;

	if (f->ns == 0) {
		int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

		if (fd < 0) {
			if (f->last_error == NULL || strstr(f->last_error, "cannot open") == NULL)
				fail(f, xasprintf("%s: cannot open: %s", f->path, strerror(errno)));
			return 0;
		}
		fstat(fd, &st);
		f->s = xcalloc(1, sizeof *f->s);
		f->ns = 1;
		s = &f->s[0];
		s->fd = fd;
		s->label = xstrdup(f->path);
		sb_init(&s->buf);
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		f->offset = 0;
		cn = cursor_name(f);
		if ((cur = k->cursor_get(k->ctx, cn)) != NULL) {
			unsigned long long d, in, off, line;

			if (sscanf(cur, "%llu:%llu:%llu:%llu", &d, &in, &off, &line) == 4 &&
			    (dev_t)d == st.st_dev && (ino_t)in == st.st_ino &&
			    (off_t)off <= st.st_size) {
				f->offset = (int64_t)off;
				s->line = line;
				lseek(fd, (off_t)off, SEEK_SET);
			}
			free(cur);
		}
		free(cn);
	}
	s = &f->s[0];
	/* Rotated or truncated: start again from the top of what is there now. */
	if (stat(f->path, &st) == 0 && (st.st_ino != f->ino || st.st_dev != f->dev ||
	    st.st_size < f->offset)) {
		close(s->fd);
		free(s->label);
		sb_free(&s->buf);
		free(f->s);
		f->s = NULL;
		f->ns = 0;
		f->offset = 0;
		return file_pass(f, k);
	}
	while ((r = read_some(s)) == 1) {
		if (drain_lines(f, s, k, 0) != 0) {
			rc = -1;
			break;
		}
	}
	/* The offset counts what was consumed: complete lines only. */
	f->offset = (int64_t)lseek(s->fd, 0, SEEK_CUR) - (int64_t)s->buf.len;
	cn = cursor_name(f);
	mark = xasprintf("%llu:%llu:%lld:%llu", (unsigned long long)f->dev,
	    (unsigned long long)f->ino, (long long)f->offset, (unsigned long long)s->line);
	if (k->cursor_set(k->ctx, cn, mark, &err) != 0)
		fail(f, err);
	free(mark);
	free(cn);
	return rc;
}

static int
stdin_pass(struct falco *f, const struct source_sink *k, int wait_ms)
{
	struct pollfd p;
	int r;

	if (f->stdin_eof)
		return 0;
	if (f->ns == 0) {
		f->s = xcalloc(1, sizeof *f->s);
		f->ns = 1;
		f->s[0].fd = STDIN_FILENO;
		f->s[0].label = xstrdup("stdin");
		sb_init(&f->s[0].buf);
	}
	p.fd = STDIN_FILENO;
	p.events = POLLIN;
	if (poll(&p, 1, wait_ms) <= 0)
		return 0;
	r = read_some(&f->s[0]);
	if (r < 0) {
		f->stdin_eof = 1;
		return drain_lines(f, &f->s[0], k, 1);
	}
	return drain_lines(f, &f->s[0], k, 0);
}

static int
sock_listen(struct falco *f)
{
	struct sockaddr_un sa;
	const char *p = f->path + 5;
	int fd;

	if (strlen(p) >= sizeof sa.sun_path) {
		fail(f, xasprintf("%s: socket path too long", f->path));
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, p, strlen(p) + 1);
	if ((fd = compat_socket(AF_UNIX, SOCK_STREAM, 0, 1)) < 0) {
		fail(f, xasprintf("%s: socket: %s", f->path, strerror(errno)));
		return -1;
	}
	/* A socket file left by an earlier run would make bind fail. */
	{
		struct stat st;

		if (stat(p, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(p);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0) {
		fail(f, xasprintf("%s: cannot listen: %s", f->path, strerror(errno)));
		close(fd);
		return -1;
	}
	f->listen_fd = fd;
	return 0;
}

static void
stream_close(struct falco *f, size_t i)
{
	close(f->s[i].fd);
	free(f->s[i].label);
	sb_free(&f->s[i].buf);
	f->s[i] = f->s[--f->ns];
}

/* One round on the socket: accept, read. 1 if anything happened, 0 if not, -1 stopping. */
static int
sock_pass(struct falco *f, const struct source_sink *k, int wait_ms)
{
	struct pollfd p[FALCO_MAX_CONN + 1];
	size_t i, n = 0;
	int any = 0;

	if (f->listen_fd < 0 && sock_listen(f) != 0)
		return 0;
	p[n].fd = f->listen_fd;
	p[n++].events = POLLIN;
	for (i = 0; i < f->ns; i++) {
		p[n].fd = f->s[i].fd;
		p[n++].events = POLLIN;
	}
	if (poll(p, n, wait_ms) <= 0)
		return 0;
	for (i = f->ns; i-- > 0;) {
		int r;

		if (p[i + 1].revents == 0)
			continue;
		any = 1;
		r = read_some(&f->s[i]);
		if (drain_lines(f, &f->s[i], k, r < 0) != 0)
			return -1;
		if (r < 0)
			stream_close(f, i);
	}
	if (p[0].revents & POLLIN) {
		int c = compat_accept(f->listen_fd, 1);

		if (c >= 0 && f->ns >= FALCO_MAX_CONN) {
			close(c);
			fail(f, xasprintf("%s: more than %d connections; one refused", f->path,
			    FALCO_MAX_CONN));
		} else if (c >= 0) {
			struct stream *s;

			f->s = xreallocarray(f->s, f->ns + 1, sizeof *f->s);
			s = &f->s[f->ns++];
			memset(s, 0, sizeof *s);
			s->fd = c;
			s->label = xasprintf("%s#%u", f->path, ++f->nconn);
			sb_init(&s->buf);
			any = 1;
		}
	}
	return any;
}

static int
falco_poll_once(void *impl, const struct source_sink *k)
{
	struct falco *f = impl;
	uint64_t before = f->errors;

	switch (f->kind) {
	case FALCO_FILE:
		file_pass(f, k);
		break;
	case FALCO_STDIN:
		while (!f->stdin_eof)
			if (stdin_pass(f, k, -1) != 0)
				break;
		break;
	case FALCO_SOCKET: {
		/* Wait for a first client, then read until every client is done and nothing
		 * came for a moment. */
		int64_t start = tf_mono_ms(), last = 0;

		for (;;) {
			int r = sock_pass(f, k, FALCO_POLL_MS);
			int64_t now = tf_mono_ms();

			if (r < 0 || f->listen_fd < 0)
				break;
			if (r > 0)
				last = now;
			if (f->ns == 0 && ((last == 0 && now - start > FALCO_ONCE_WAIT_MS) ||
			    (last != 0 && now - last > FALCO_ONCE_IDLE_MS)))
				break;
		}
		break;
	}
	}
	report(f, k);
	/* Malformed lines are reported, not a failure of the source. */
	return f->errors > before && f->c.events == 0 && f->c.malformed == 0 ? -1 : 0;
}

static int
falco_run(void *impl, const struct source_sink *k)
{
	struct falco *f = impl;
	int64_t last_report = 0;

	for (;;) {
		int r = 0;

		switch (f->kind) {
		case FALCO_FILE:
			r = file_pass(f, k);
			if (r == 0 && k->sleep(k->ctx, FALCO_POLL_MS))
				return 0;
			break;
		case FALCO_STDIN:
			if (f->stdin_eof) {
				if (k->sleep(k->ctx, 3600000))
					return 0;
				break;
			}
			r = stdin_pass(f, k, FALCO_POLL_MS);
			break;
		case FALCO_SOCKET:
			r = sock_pass(f, k, FALCO_POLL_MS);
			if (f->listen_fd < 0 && k->sleep(k->ctx, 5000))
				return 0;
			break;
		}
		if (r < 0 || k->sleep(k->ctx, 0))
			return 0;
		if (tf_mono_ms() - last_report >= 1000) {
			report(f, k);
			last_report = tf_mono_ms();
		}
	}
}

static void
falco_free(void *impl)
{
	struct falco *f = impl;

	while (f->ns > 0) {
		if (f->s[f->ns - 1].fd == STDIN_FILENO) {
			free(f->s[f->ns - 1].label);
			sb_free(&f->s[f->ns - 1].buf);
			f->ns--;
		} else
			stream_close(f, f->ns - 1);
	}
	free(f->s);
	if (f->listen_fd >= 0) {
		close(f->listen_fd);
		unlink(f->path + 5);
	}
	free(f->name);
	free(f->path);
	free(f->last_error);
	free(f);
}

struct collector *
falco_collector_new(const char *name, const char *path)
{
	struct falco *f = xcalloc(1, sizeof *f);

	f->name = xasprintf("falco %s", name);
	f->path = xstrdup(path);
	f->kind = strcmp(path, "-") == 0 ? FALCO_STDIN :
	    strncmp(path, "unix:", 5) == 0 ? FALCO_SOCKET : FALCO_FILE;
	f->listen_fd = -1;
	return collector_new(&falco_collector_ops, f->name, f);
}

static int
falco_col_add(struct engine *e, struct sources_ctx *x, size_t entry, char **err)
{
	const struct conf_falco_source *fs = &x->conf->sources.falco[entry];

	(void)err;
	engine_add(e, falco_collector_new(fs->name, fs->path));
	return 1;
}

const struct collector_ops falco_collector_ops = {
	.kind = "falco",
	.section = "sources.falco",
	.add = falco_col_add,
	.run = falco_run,
	.poll_once = falco_poll_once,
	.free = falco_free,
};
