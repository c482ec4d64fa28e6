/* aws_creds: the credential chain (botocore's order, wire-formats.md §3.1), the profile files,
 * credential_process, STS AssumeRole / AssumeRoleWithWebIdentity, container credentials, IMDSv2,
 * refresh before expiry, and service endpoints. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "aws_creds.h"
#include "compat.h"
#include "util.h"

extern char **environ;

#ifdef TFDRIFT_FUZZING
int (*aws_fuzz_process)(char *const *argv, struct strbuf *out, struct strbuf *errout);
#endif

#define REFRESH_WINDOW_MS (5 * 60 * 1000)
#define PROCESS_TIMEOUT_MS 60000
#define MAX_CHAIN 16
#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_DEFAULT6 "http://[fd00:ec2::254]"
#define CONTAINER_HOST "http://169.254.170.2"

/* The chain's steps, in order; the one that produced temporary keys is run again to refresh. */
enum step {
	STEP_ENV, STEP_ROLE, STEP_WEBID, STEP_SSO, STEP_CREDFILE, STEP_PROCESS, STEP_CONFFILE,
	STEP_CONTAINER, STEP_IMDS, STEP_COUNT
};

struct aws_creds {
	pthread_mutex_t mu;             /* guards cur, source, step */
	pthread_mutex_t refresh_mu;     /* one refresh at a time; guards http */
	int fixed;                      /* aws_creds_static */
	struct aws_keys_buf cur;
	char *source;
	int step;                       /* the step that gave cur; -1: run the whole chain */
	char *profile, *region;
	int explicit_profile;
	struct http *http;
};

static void
wipe_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

void
aws_keys_buf_clear(struct aws_keys_buf *b)
{
	wipe_free(b->access_key_id);
	wipe_free(b->secret_access_key);
	wipe_free(b->session_token);
	memset(b, 0, sizeof *b);
}

static void
buf_point(struct aws_keys_buf *b)
{
	b->keys.access_key_id = b->access_key_id;
	b->keys.secret_access_key = b->secret_access_key;
	b->keys.session_token = b->session_token;
}

static void
buf_copy(struct aws_keys_buf *dst, const struct aws_keys_buf *src)
{
	memset(dst, 0, sizeof *dst);
	dst->access_key_id = xstrdup(src->access_key_id);
	dst->secret_access_key = xstrdup(src->secret_access_key);
	dst->session_token = xstrdup(src->session_token);
	dst->expires_ms = src->expires_ms;
	buf_point(dst);
}

static void
buf_set(struct aws_keys_buf *b, const char *id, const char *secret, const char *token,
    int64_t expires)
{
	aws_keys_buf_clear(b);
	b->access_key_id = xstrdup(id);
	b->secret_access_key = xstrdup(secret);
	b->session_token = token != NULL && *token != '\0' ? xstrdup(token) : NULL;
	b->expires_ms = expires;
	buf_point(b);
}

/* The wall clock (not tf_now_ms: TFDRIFT_NOW must not make keys look expired). */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static int
env_true(const char *name)
{
	const char *v = env(name);

	return v != NULL && strcasecmp(v, "true") == 0;
}

static long
env_long(const char *name, long dflt, long lo, long hi)
{
	const char *v = env(name);
	char *end;
	long n;

	if (v == NULL)
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi)
		return dflt;
	return n;
}

static char *
trim_dup(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* Is s (n bytes) one printable word: what an IMDS token or role name is, and what may go
 * into a request header or URL path? An HTML page or a proxy's answer is not. */
static int
one_word(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 4096)
		return 0;
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]) || s[i] == '/' || s[i] == '?' || s[i] == '#')
			return 0;
	return 1;
}

/* ---- ini files ---- */

/* aws_ini_get, or with sub the value of `sub` in the nested sub-section under `key`
 * ("cloudtrail =\n  endpoint_url = URL"). */
static char *
ini_get(const char *text, const char *section, const char *key, const char *sub, int *found)
{
	const char *p = text, *line, *eol, *eq, *rb;
	char *name, *k, *v = NULL;
	int in = 0, nested = 0;

	if (found != NULL)
		*found = 0;
	for (; p != NULL && *p != '\0'; p = *eol ? eol + 1 : eol) {
		line = p;
		eol = line + strcspn(line, "\n");
		/* Indented lines continue the last key (botocore's nested sub-sections such as
		 * "s3 =\n  max_concurrent_requests = 10"): never keys of the section. */
		if (*line == ' ' || *line == '\t') {
			if (!nested || (eq = line + strcspn(line, "=:")) >= eol)
				continue;
			k = trim_dup(line, (size_t)(eq - line));
			if (strcasecmp(k, sub) == 0) {
				free(v);
				v = trim_dup(eq + 1, (size_t)(eol - eq - 1));
			}
			free(k);
			continue;
		}
		nested = 0;
		if (*line == '#' || *line == ';' || line == eol || *line == '\r')
			continue;
		if (*line == '[') {
			rb = memchr(line, ']', (size_t)(eol - line));
			if (rb == NULL) {
				in = 0;
				continue;
			}
			name = trim_dup(line + 1, (size_t)(rb - line - 1));
			/* "[profile   prod]" is "profile prod". */
			if (strncmp(name, "profile", 7) == 0 && isspace((unsigned char)name[7])) {
				char *rest = trim_dup(name + 8, strlen(name + 8));

				free(name);
				name = xasprintf("profile %s", rest);
				free(rest);
			}
			in = strcmp(name, section) == 0;
			if (in && found != NULL)
				*found = 1;
			free(name);
			continue;
		}
		if (!in)
			continue;
		eq = line + strcspn(line, "=:");
		if (eq >= eol)
			continue;
		k = trim_dup(line, (size_t)(eq - line));
		if (strcasecmp(k, key) == 0 && sub != NULL)
			nested = 1;
		else if (strcasecmp(k, key) == 0) {
			free(v);
			v = trim_dup(eq + 1, (size_t)(eol - eq - 1));
		}
		free(k);
	}
	if (v != NULL && *v == '\0') {
		free(v);
		v = NULL;
	}
	return v;
}

char *
aws_ini_get(const char *text, const char *section, const char *key, int *found)
{
	return ini_get(text, section, key, NULL, found);
}

char *
aws_ini_get_sub(const char *text, const char *section, const char *key, const char *sub)
{
	return ini_get(text, section, key, sub, NULL);
}

/* ---- credential_process command lines ---- */

void
aws_argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

int
aws_split_command(const char *line, char ***argvp, char **err)
{
	char **argv = NULL;
	size_t n = 0;
	struct strbuf w;
	const char *p = line;
	int have = 0;

	*argvp = NULL;
	sb_init(&w);
	for (;;) {
		if (*p == '\0' || isspace((unsigned char)*p)) {
			if (have) {
				argv = xreallocarray(argv, n + 2, sizeof *argv);
				argv[n++] = w.buf != NULL ? sb_detach(&w) : xstrdup("");
				argv[n] = NULL;
				have = 0;
			}
			if (*p == '\0')
				break;
			p++;
			continue;
		}
		have = 1;
		if (*p == '\'') {
			const char *e = strchr(p + 1, '\'');

			if (e == NULL)
				goto noclose;
			sb_add(&w, p + 1, (size_t)(e - p - 1));
			sb_grow(&w, 0);
			p = e + 1;
		} else if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0')
					goto noclose;
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				sb_addc(&w, *p);
			}
			sb_grow(&w, 0);
			p++;
		} else if (*p == '\\') {
			if (p[1] == '\0') {
				sb_free(&w);
				aws_argv_free(argv);
				return tf_err(err, "credential_process: a backslash ends the command line");
			}
			/* A backslash-newline is a line continuation (shlex drops it). */
			if (p[1] != '\n')
				sb_addc(&w, p[1]);
			p += 2;
		} else
			sb_addc(&w, *p++);
	}
	sb_free(&w);
	if (n == 0) {
		aws_argv_free(argv);
		return tf_err(err, "credential_process: the command line is empty");
	}
	*argvp = argv;
	return 0;
noclose:
	sb_free(&w);
	aws_argv_free(argv);
	return tf_err(err, "credential_process: no closing quotation in the command line");
}

/* ---- STS XML ---- */

static void
xml_unescape(struct strbuf *sb, const char *s, size_t n)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
	};
	const char *e = s + n;
	size_t i, l;

	while (s < e) {
		if (*s != '&') {
			sb_addc(sb, *s++);
			continue;
		}
		for (i = 0; i < TF_ARRLEN(ents); i++) {
			l = strlen(ents[i].name);
			if ((size_t)(e - s - 1) >= l && strncmp(s + 1, ents[i].name, l) == 0)
				break;
		}
		if (i < TF_ARRLEN(ents)) {
			sb_addc(sb, ents[i].c);
			s += 1 + strlen(ents[i].name);
		} else if (s + 2 < e && s[1] == '#') {
			char *end;
			unsigned long cp = s[2] == 'x' || s[2] == 'X' ? strtoul(s + 3, &end, 16) :
			    strtoul(s + 2, &end, 10);

			if (end < e && *end == ';' && cp > 0 && cp < 0x110000) {
				/* UTF-8 */
				if (cp < 0x80)
					sb_addc(sb, (char)cp);
				else if (cp < 0x800) {
					sb_addc(sb, (char)(0xc0 | (cp >> 6)));
					sb_addc(sb, (char)(0x80 | (cp & 0x3f)));
				} else if (cp < 0x10000) {
					sb_addc(sb, (char)(0xe0 | (cp >> 12)));
					sb_addc(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
					sb_addc(sb, (char)(0x80 | (cp & 0x3f)));
				} else {
					sb_addc(sb, (char)(0xf0 | (cp >> 18)));
					sb_addc(sb, (char)(0x80 | ((cp >> 12) & 0x3f)));
					sb_addc(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
					sb_addc(sb, (char)(0x80 | (cp & 0x3f)));
				}
				s = end + 1;
			} else
				sb_addc(sb, *s++);
		} else
			sb_addc(sb, *s++);
	}
}

char *
aws_xml_text(const char *xml, const char *name)
{
	size_t nl = strlen(name);
	const char *p, *gt, *end;
	struct strbuf sb;
	char *close;

	for (p = xml; p != NULL && (p = strchr(p, '<')) != NULL; p++) {
		/* The whole name: <Code> or <Code attr=..>, not <CodeX>; no namespace prefixes in STS. */
		if (strncmp(p + 1, name, nl) != 0)
			continue;
		if (p[1 + nl] != '>' && p[1 + nl] != '/' && !isspace((unsigned char)p[1 + nl]))
			continue;
		if ((gt = strchr(p, '>')) == NULL)
			return NULL;
		if (gt[-1] == '/')
			return xstrdup("");
		close = xasprintf("</%s>", name);
		end = strstr(gt + 1, close);
		free(close);
		if (end == NULL)
			return NULL;
		sb_init(&sb);
		sb_grow(&sb, 0);
		xml_unescape(&sb, gt + 1, (size_t)(end - gt - 1));
		return sb_detach(&sb);
	}
	return NULL;
}

int
aws_parse_expiration(const char *s, int64_t *ms)
{
	if (s == NULL || *s == '\0' || !isdigit((unsigned char)*s) || strchr(s, '-') == NULL)
		return -1;
	return tf_parse_time(s, ms);
}

int
aws_sts_parse(const char *xml, struct aws_keys_buf *out, char **err)
{
	char *creds, *id, *secret, *token, *exp, *code, *msg;
	int64_t ms = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (xml == NULL)
		xml = "";
	if (strstr(xml, "<Error>") != NULL || strstr(xml, "<ErrorResponse") != NULL) {
		code = aws_xml_text(xml, "Code");
		msg = aws_xml_text(xml, "Message");
		rc = tf_err(err, "STS %s: %s", code != NULL ? code : "error",
		    msg != NULL ? msg : "(no message)");
		free(code);
		free(msg);
		return rc;
	}
	if ((creds = aws_xml_text(xml, "Credentials")) == NULL)
		return tf_err(err, "STS answered without <Credentials>");
	id = aws_xml_text(creds, "AccessKeyId");
	secret = aws_xml_text(creds, "SecretAccessKey");
	token = aws_xml_text(creds, "SessionToken");
	exp = aws_xml_text(creds, "Expiration");
	if (id == NULL || *id == '\0' || secret == NULL || *secret == '\0')
		rc = tf_err(err, "STS answered without AccessKeyId or SecretAccessKey");
	else if (exp != NULL && aws_parse_expiration(exp, &ms) != 0)
		rc = tf_err(err, "STS answered an Expiration that is not a time: \"%.40s\"", exp);
	else {
		buf_set(out, id, secret, token, ms);
		rc = 0;
	}
	wipe_free(creds);
	free(id);
	wipe_free(secret);
	wipe_free(token);
	free(exp);
	return rc;
}

/* ---- container URL ---- */

/* Is the host of an http:// URL one the SDKs accept for container credentials? */
static int
container_host_ok(const char *url)
{
	static const char *allowed[] = { "localhost", "169.254.170.2", "169.254.170.23",
	    "[fd00:ec2::23]", "[::1]" };
	const char *h = url + strlen("http://"), *e;
	char *host;
	size_t i;
	int ok = 0;

	if (*h == '[')
		e = strchr(h, ']') != NULL ? strchr(h, ']') + 1 : h + strlen(h);
	else
		e = h + strcspn(h, ":/?#");
	if (memchr(h, '@', (size_t)(e - h)) != NULL)
		return 0;
	host = xstrndup(h, (size_t)(e - h));
	for (i = 0; i < TF_ARRLEN(allowed); i++)
		if (strcasecmp(host, allowed[i]) == 0)
			ok = 1;
	if (!ok && strncmp(host, "127.", 4) == 0) {
		int a, b, c, d;
		char x;

		ok = sscanf(host, "%d.%d.%d.%d%c", &a, &b, &c, &d, &x) == 4 &&
		    b >= 0 && b < 256 && c >= 0 && c < 256 && d >= 0 && d < 256;
	}
	free(host);
	return ok;
}

char *
aws_container_url(char **err)
{
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");

	if (rel != NULL)
		return xasprintf("%s%s%s", CONTAINER_HOST, *rel == '/' ? "" : "/", rel);
	if (full == NULL)
		return NULL;
	if (strncasecmp(full, "https://", 8) == 0)
		return xstrdup(full);
	if (strncasecmp(full, "http://", 7) == 0 && container_host_ok(full))
		return xstrdup(full);
	tf_err(err, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, a loopback address or "
	    "169.254.170.2 / 169.254.170.23 / fd00:ec2::23 / localhost; it is %s", full);
	return NULL;
}

/* ---- one resolution (under refresh_mu) ---- */

struct file {
	char *path;
	char *text;                     /* NULL: could not be read */
	char *why;                      /* why text is NULL: "no such file", ... */
};

struct ctx {
	struct aws_creds *c;
	const char *profile;
	char *region;                   /* for STS */
	struct file cred, conf;
	char *source;                   /* what the winning step says it is */
	char *ca, *ca_err;              /* the profile's CA bundle, or why it cannot be used */
};

static void
file_load(struct file *f, const char *envname, const char *home_rel)
{
	const char *p = env(envname), *home = env("HOME");
	char *err = NULL;
	size_t len;

	if (p != NULL)
		f->path = xstrdup(p);
	else
		f->path = xasprintf("%s/%s", home != NULL ? home : "", home_rel);
	if (access(f->path, F_OK) != 0) {
		f->why = xstrdup("no such file");
		return;
	}
	if (tf_read_file(f->path, TF_FILE_CREDENTIALS, &f->text, &len, &err) != 0) {
		f->why = xasprintf("cannot read it: %s", err);
		free(err);
		f->text = NULL;
	}
}

static void
file_free(struct file *f)
{
	free(f->path);
	wipe_free(f->text);
	free(f->why);
}

/* The profile's section name in the config file ("default" or "profile x"). */
static char *
conf_get(const struct file *f, const char *profile, const char *key, int *found)
{
	char *sect, *v;
	int fd = 0;

	if (found != NULL)
		*found = 0;
	if (f->text == NULL)
		return NULL;
	if (strcmp(profile, "default") == 0) {
		v = aws_ini_get(f->text, "default", key, found);
		if (found != NULL)
			fd = *found;
		if (v != NULL)
			return v;
	}
	sect = xasprintf("profile %s", profile);
	v = aws_ini_get(f->text, sect, key, found);
	if (found != NULL)
		*found |= fd;
	free(sect);
	return v;
}

static char *
cred_get(const struct file *f, const char *profile, const char *key, int *found)
{
	if (found != NULL)
		*found = 0;
	return f->text != NULL ? aws_ini_get(f->text, profile, key, found) : NULL;
}

/* A profile setting: the credentials file first, then the config file (botocore merges them). */
static char *
prof_get(struct ctx *x, const char *profile, const char *key)
{
	char *v = cred_get(&x->cred, profile, key, NULL);

	return v != NULL ? v : conf_get(&x->conf, profile, key, NULL);
}

static int
prof_exists(struct ctx *x, const char *profile)
{
	int a = 0, b = 0;

	free(cred_get(&x->cred, profile, "aws_access_key_id", &a));
	free(conf_get(&x->conf, profile, "aws_access_key_id", &b));
	return a || b;
}

/* Static keys of a profile in one file: 1 found, 0 none, -1 only half of them. */
static int
file_keys(const struct file *f, int is_conf, const char *profile, struct aws_keys_buf *out,
    char **err)
{
	char *(*get)(const struct file *, const char *, const char *, int *) =
	    is_conf ? conf_get : cred_get;
	char *id = get(f, profile, "aws_access_key_id", NULL);
	char *secret = get(f, profile, "aws_secret_access_key", NULL);
	char *token = get(f, profile, "aws_session_token", NULL);
	int rc;

	if (token == NULL)
		token = get(f, profile, "aws_security_token", NULL);
	if (id == NULL && secret == NULL)
		rc = 0;
	else if (id == NULL || secret == NULL)
		rc = tf_err(err, "profile %s in %s has %s but no %s", profile, f->path,
		    id != NULL ? "aws_access_key_id" : "aws_secret_access_key",
		    id != NULL ? "aws_secret_access_key" : "aws_access_key_id");
	else {
		buf_set(out, id, secret, token, 0);
		rc = 1;
	}
	free(id);
	wipe_free(secret);
	wipe_free(token);
	return rc;
}

/* ---- JSON credentials (credential_process, container, IMDS) ---- */

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* {"AccessKeyId","SecretAccessKey",<token_key>,"Expiration"} from body. */
static int
json_keys(const char *body, const char *token_key, const char *what, struct aws_keys_buf *out,
    char **err)
{
	struct json_object *o = json_tokener_parse(body != NULL ? body : "");
	const char *id, *secret, *exp;
	int64_t ms = 0;
	int rc = 0;

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return tf_err(err, "%s: the answer is not a JSON object", what);
	}
	id = jstr(o, "AccessKeyId");
	secret = jstr(o, "SecretAccessKey");
	exp = jstr(o, "Expiration");
	if (id == NULL || *id == '\0' || secret == NULL || *secret == '\0')
		rc = tf_err(err, "%s: the answer has no AccessKeyId or SecretAccessKey", what);
	else if (exp != NULL && aws_parse_expiration(exp, &ms) != 0)
		rc = tf_err(err, "%s: Expiration \"%.40s\" is not a time", what, exp);
	else
		buf_set(out, id, secret, jstr(o, token_key), ms);
	json_object_put(o);
	return rc;
}

/* ---- credential_process ---- */

static char *
first_line(const char *s)
{
	while (*s == '\n' || *s == '\r')
		s++;
	return xstrndup(s, strcspn(s, "\r\n"));
}

static int
run_process(const char *profile, const char *cmdline, struct aws_keys_buf *out, char **err)
{
	posix_spawn_file_actions_t fa;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, status = 0, rc = -1, r, timed_out = 0;
	int too_much = 0;
	struct strbuf so, se;
	struct pollfd pf[2];
	char **argv = NULL, buf[4096], *what, *line;
	int64_t deadline;
	pid_t pid = -1;
	ssize_t n;

	what = xasprintf("credential_process of profile %s", profile);
	sb_init(&so);
	sb_init(&se);
	sb_grow(&so, 0);
	sb_grow(&se, 0);
	if (aws_split_command(cmdline, &argv, err) != 0)
		goto out;
#ifdef TFDRIFT_FUZZING
	/* The command line comes from fuzzed input: never run it. */
	if ((r = aws_fuzz_process != NULL ? aws_fuzz_process(argv, &so, &se) : -1) < 0) {
		tf_err(err, "%s: cannot run %s: %s", what, argv[0], strerror(ENOENT));
		goto out;
	}
	status = (r & 0xff) << 8;       /* how wait() reports exit(r) */
	goto finished;
#endif
	if (compat_pipe(po, 0) != 0 || compat_pipe(pe, 0) != 0) {
		tf_err(err, "%s: pipe: %s", what, strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	/* No shell: the words are the argv; the environment is inherited, nothing secret added. */
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	if (r != 0) {
		tf_err(err, "%s: cannot run %s: %s", what, argv[0], strerror(r));
		pid = -1;
		goto out;
	}
	deadline = now_ms() + env_long("TFDRIFT_AWS_PROCESS_TIMEOUT_MS", PROCESS_TIMEOUT_MS, 1,
	    3600000);
	while (po[0] >= 0 || pe[0] >= 0) {
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		pf[0].fd = po[0];
		pf[1].fd = pe[0];
		pf[0].events = pf[1].events = POLLIN;
		pf[0].revents = pf[1].revents = 0;
		if (poll(pf, 2, (int)(left > 1000 ? 1000 : left)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (r = 0; r < 2; r++) {
			int *fd = r == 0 ? &po[0] : &pe[0];
			struct strbuf *sb = r == 0 ? &so : &se;

			if (*fd < 0 || pf[r].revents == 0)
				continue;
			n = read(*fd, buf, sizeof buf);
			if (n > 0 && sb->len + (size_t)n <= TF_MAX_CREDENTIALS)
				sb_add(sb, buf, (size_t)n);
			else if (n > 0 && r == 0)
				too_much = 1;	/* drained, not kept: the answer is refused */
			else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
				close(*fd);
				*fd = -1;
			}
		}
	}
	if (timed_out) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		pid = -1;
		tf_err(err, "%s: %s did not finish within %ld ms", what, argv[0],
		    env_long("TFDRIFT_AWS_PROCESS_TIMEOUT_MS", PROCESS_TIMEOUT_MS, 1, 3600000));
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
#ifdef TFDRIFT_FUZZING
finished:
#endif
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		line = first_line(se.buf);
		if (WIFEXITED(status))
			tf_err(err, "%s: %s exited with status %d%s%s", what, argv[0],
			    WEXITSTATUS(status), *line ? ": " : "", line);
		else
			tf_err(err, "%s: %s was killed by signal %d", what, argv[0], WTERMSIG(status));
		free(line);
		goto out;
	}
	if (too_much) {
		char lim[32];

		tf_size_str(TF_MAX_CREDENTIALS, lim);
		tf_err(err, "%s: %s printed more than %s, the limit for credentials; is it the "
		    "right command?", what, argv[0], lim);
		goto out;
	}
	{
		struct json_object *o = json_tokener_parse(so.buf), *v;

		if (o == NULL || !json_object_is_type(o, json_type_object))
			tf_err(err, "%s: %s did not print a JSON object", what, argv[0]);
		else if (!json_object_object_get_ex(o, "Version", &v) ||
		    !json_object_is_type(v, json_type_int) || json_object_get_int(v) != 1)
			tf_err(err, "%s: %s printed a JSON object without \"Version\": 1", what, argv[0]);
		else if (json_keys(so.buf, "SessionToken", what, out, err) == 0)
			rc = 0;
		json_object_put(o);
	}
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	for (r = 0; r < 2; r++) {
		if (po[r] >= 0)
			close(po[r]);
		if (pe[r] >= 0)
			close(pe[r]);
	}
	if (so.buf != NULL)
		memset(so.buf, 0, so.len);
	sb_free(&so);
	sb_free(&se);
	aws_argv_free(argv);
	free(what);
	return rc;
}

/* ---- HTTP helpers ---- */

/* Fuzzing builds: may a file a fuzzed input names be read? 0, or -1 with *err. */
static int
fuzz_path_ok(const char *path, const char *what, char **err)
{
#ifdef TFDRIFT_FUZZING
	/* The path comes from fuzzed input: read nothing outside the fuzzer's directory. */
	const char *dir = getenv("TFDRIFT_FUZZ_DIR");

	if (dir == NULL || strncmp(path, dir, strlen(dir)) != 0 || strstr(path, ".."))
		return tf_err(err, "%s: %s is outside TFDRIFT_FUZZ_DIR", what, path);
#else
	(void)path;
	(void)what;
	(void)err;
#endif
	return 0;
}

/* A small file holding a token (web identity, container authorization): trimmed. */
static char *
read_token_file(const char *path, const char *what, char **err)
{
	char *buf = NULL, *e = NULL, *t;
	size_t len;

	if (fuzz_path_ok(path, what, err) != 0)
		return NULL;
	if (tf_read_file(path, TF_FILE_CREDENTIALS, &buf, &len, &e) != 0) {
		tf_err(err, "%s: %s", what, e);
		free(e);
		return NULL;
	}
	t = trim_dup(buf, strlen(buf));
	wipe_free(buf);
	if (*t == '\0') {
		free(t);
		tf_err(err, "%s: %s is empty", what, path);
		return NULL;
	}
	return t;
}

/* A short description of an error body (AWS JSON/XML "Code"/"Message"), never the body. */
static char *
error_detail(const struct http_resp *rs)
{
	const char *b = rs->body.buf != NULL ? rs->body.buf : "";
	char *code = NULL, *msg = NULL, *r;
	struct json_object *o;

	if (*b == '<') {
		code = aws_xml_text(b, "Code");
		msg = aws_xml_text(b, "Message");
	} else if ((o = json_tokener_parse(b)) != NULL) {
		if (json_object_is_type(o, json_type_object)) {
			code = xstrdup(jstr(o, "Code"));
			if (code == NULL)
				code = xstrdup(jstr(o, "code"));
			msg = xstrdup(jstr(o, "Message"));
			if (msg == NULL)
				msg = xstrdup(jstr(o, "message"));
		}
		json_object_put(o);
	}
	if (code == NULL && rs->amz_error != NULL)
		code = xstrdup(rs->amz_error);
	r = xasprintf("HTTP %ld%s%s%s%.200s", rs->status, code ? " " : "", code ? code : "",
	    msg ? ": " : "", msg ? msg : "");
	free(code);
	free(msg);
	return r;
}

/* A URL without userinfo, for messages. */
static char *
show_url(const char *url)
{
	const char *p = strstr(url, "://"), *slash, *at;

	if (p == NULL)
		return xstrdup(url);
	slash = p + 3 + strcspn(p + 3, "/?#");
	at = memchr(p + 3, '@', (size_t)(slash - p - 3));
	if (at == NULL)
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(p + 3 - url), url, at + 1);
}

static struct http *
ctx_http(struct ctx *x)
{
	if (x->c->http == NULL)
		x->c->http = http_new();
	return x->c->http;
}

static char *endpoint_resolve(const struct file *conf, const char *profile,
    const char *env_id, const char *host, const char *region, const char *configured,
    char **err);
static int ca_resolve(const struct file *conf, const char *profile, char **path, char **err);

/* The endpoint of an AWS service for this resolution (aws_endpoint), or NULL with *err; its
 * requests take x->ca. The CA bundle's problem, if any, is reported here: where the chain
 * first needs the network. */
static char *
ctx_service(struct ctx *x, const char *id, const char *host, const char *region, char **err)
{
	if (x->ca_err != NULL) {
		tf_err(err, "%s", x->ca_err);
		return NULL;
	}
	return endpoint_resolve(&x->conf, x->profile, id, host, region, NULL, err);
}

/* A request retried `attempts` times on transport errors, 5xx and throttling (not on a body
 * over the size cap or an abort: http_retryable), the last answer handed over (http_call). */
static int
http_try(struct ctx *x, const struct http_req *rq, struct http_resp *rs, int attempts, char **err)
{
	struct http_req r = *rq;
	struct http_retry rp;

	memset(&rp, 0, sizeof rp);
	rp.attempts = attempts > 0 ? (unsigned)attempts : 1;
	rp.base_ms = 100;
	rp.cap_ms = 1000;
	rp.hand_over_last = 1;
	return http_call(ctx_http(x), &r, rs, &rp, err) == 0 ? 0 : -1;
}

/* ---- STS ---- */

static void
form_add(struct strbuf *sb, const char *k, const char *v)
{
	char *e = http_encode(v, 0);

	sb_addf(sb, "%s%s=%s", sb->len ? "&" : "", k, e);
	wipe_free(e);
}

static char *
session_name(const char *given)
{
	return given != NULL ? xstrdup(given) : xasprintf("tfdrift-%lld",
	    (long long)(now_ms() / 1000));
}

/* POST an STS Query API call; signer NULL: unsigned (AssumeRoleWithWebIdentity). */
static int
sts_call(struct ctx *x, const struct aws_keys *signer, const char *action, const char *body,
    const char *role_arn, struct aws_keys_buf *out, char **err)
{
	static const char *const hdrs[] = {
		"Content-Type: application/x-www-form-urlencoded; charset=utf-8",
		"Accept: text/xml", NULL
	};
	char *base, *url, *e = NULL, *d;
	struct http_req rq;
	struct http_resp rs;
	int rc;

	if ((base = ctx_service(x, "STS", "sts", x->region, &e)) == NULL) {
		rc = tf_err(err, "STS %s for %s: %s", action, role_arn, e);
		free(e);
		return rc;
	}
	url = xasprintf("%s/", base);
	memset(&rq, 0, sizeof rq);
	rq.method = "POST";
	rq.url = url;
	rq.headers = hdrs;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.timeout_ms = 10000;
	rq.connect_timeout_ms = 5000;
	rq.max_body = TF_MAX_CREDENTIALS;
	rq.ca_file = x->ca;
	if (signer != NULL) {
		rq.aws = signer;
		rq.aws_region = x->region;
		rq.aws_service = "sts";
	}
	if (http_try(x, &rq, &rs, 3, &e) != 0) {
		rc = tf_err(err, "STS %s for %s: %s", action, role_arn, e);
		free(e);
	} else if ((d = http_not_api(&rs, "XML")) != NULL) {
		/* A redirect or a web page: something between us and STS, said so. */
		rc = tf_err(err, "STS %s for %s at %s: %s", action, role_arn, url, d);
		free(d);
	} else if (rs.status != 200) {
		d = error_detail(&rs);
		rc = tf_err(err, "STS %s for %s at %s: %s%s", action, role_arn, url, d,
		    strstr(d, "SignatureDoesNotMatch") || strstr(d, "InvalidClientTokenId") ?
		    " (check the source credentials' secret key)" : "");
		free(d);
	} else if (aws_sts_parse(rs.body.buf, out, &e) != 0) {
		rc = tf_err(err, "%s for %s at %s: %s", action, role_arn, url, e);
		free(e);
	} else
		rc = 0;
	if (rs.body.buf != NULL)
		memset(rs.body.buf, 0, rs.body.len);
	http_resp_free(&rs);
	free(url);
	free(base);
	return rc;
}

static int
assume_role(struct ctx *x, const struct aws_keys *src, const char *role_arn, const char *session,
    const char *external_id, const char *duration, struct aws_keys_buf *out, char **err)
{
	struct strbuf b;
	char *name = session_name(session);
	int rc;

	sb_init(&b);
	form_add(&b, "Action", "AssumeRole");
	form_add(&b, "Version", "2011-06-15");
	form_add(&b, "RoleArn", role_arn);
	form_add(&b, "RoleSessionName", name);
	if (external_id != NULL)
		form_add(&b, "ExternalId", external_id);
	if (duration != NULL)
		form_add(&b, "DurationSeconds", duration);
	rc = sts_call(x, src, "AssumeRole", b.buf, role_arn, out, err);
	sb_free(&b);
	free(name);
	return rc;
}

/* The token file is read on every call: it rotates. */
static int
web_identity(struct ctx *x, const char *token_file, const char *role_arn, const char *session,
    const char *duration, struct aws_keys_buf *out, char **err)
{
	struct strbuf b;
	char *tok, *name, *what;
	int rc;

	what = xasprintf("web identity token file %s", token_file);
	tok = read_token_file(token_file, what, err);
	free(what);
	if (tok == NULL)
		return -1;
	name = session_name(session);
	sb_init(&b);
	form_add(&b, "Action", "AssumeRoleWithWebIdentity");
	form_add(&b, "Version", "2011-06-15");
	form_add(&b, "RoleArn", role_arn);
	form_add(&b, "RoleSessionName", name);
	form_add(&b, "WebIdentityToken", tok);
	if (duration != NULL)
		form_add(&b, "DurationSeconds", duration);
	rc = sts_call(x, NULL, "AssumeRoleWithWebIdentity", b.buf, role_arn, out, err);
	memset(b.buf, 0, b.len);
	sb_free(&b);
	wipe_free(tok);
	free(name);
	return rc;
}

/* ---- container credentials ---- */

/* 1 keys, 0 not configured, -1 error. */
static int
container(struct ctx *x, struct aws_keys_buf *out, char **err)
{
	const char *tokfile = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tokenv = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char *e = NULL, *url = aws_container_url(&e), *tok = NULL, *auth = NULL, *d, *shown;
	const char *hdrs[3] = { "Accept: application/json", NULL, NULL };
	struct http_req rq;
	struct http_resp rs;
	int rc;

	if (url == NULL) {
		if (e == NULL)
			return 0;
		tf_err(err, "container credentials: %s", e);
		free(e);
		return -1;
	}
	shown = show_url(url);
	if (tokfile != NULL) {
		char *what = xasprintf("container credentials: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");

		tok = read_token_file(tokfile, what, err);
		free(what);
		if (tok == NULL) {
			free(url);
			free(shown);
			return -1;
		}
	} else if (tokenv != NULL)
		tok = xstrdup(tokenv);
	if (tok != NULL) {
		if (strpbrk(tok, "\r\n") != NULL) {
			wipe_free(tok);
			free(url);
			free(shown);
			return tf_err(err, "container credentials: the authorization token has a line "
			    "break");
		}
		auth = xasprintf("Authorization: %s", tok);
		hdrs[1] = auth;
	}
	memset(&rq, 0, sizeof rq);
	rq.url = url;
	rq.headers = hdrs;
	rq.timeout_ms = 2000;
	rq.connect_timeout_ms = 2000;
	rq.max_body = TF_MAX_CREDENTIALS;
	if (http_try(x, &rq, &rs, 3, &e) != 0) {
		rc = tf_err(err, "container credentials at %s: %s", shown, e);
		free(e);
	} else if ((d = http_not_api(&rs, "JSON")) != NULL) {
		rc = tf_err(err, "container credentials at %s: %s", shown, d);
		free(d);
	} else if (rs.status != 200) {
		d = error_detail(&rs);
		rc = tf_err(err, "container credentials at %s: %s%s", shown, d,
		    rs.status == 401 || rs.status == 403 ? " (check AWS_CONTAINER_AUTHORIZATION_TOKEN"
		    "[_FILE])" : "");
		free(d);
	} else {
		char *what = xasprintf("container credentials at %s", shown);

		rc = json_keys(rs.body.buf, "Token", what, out, err) == 0 ? 1 : -1;
		free(what);
		if (rc == 1) {
			free(x->source);
			x->source = xasprintf("container %s", shown);
		}
	}
	if (rs.body.buf != NULL)
		memset(rs.body.buf, 0, rs.body.len);
	http_resp_free(&rs);
	wipe_free(auth);
	wipe_free(tok);
	free(url);
	free(shown);
	return rc;
}

/* ---- EC2 instance metadata ---- */

static char *
imds_base(void)
{
	const char *e = env("AWS_EC2_METADATA_SERVICE_ENDPOINT"), *mode;
	char *b;
	size_t n;

	if (e == NULL) {
		mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
		e = mode != NULL && strcasecmp(mode, "IPv6") == 0 ? IMDS_DEFAULT6 : IMDS_DEFAULT;
	}
	b = xstrdup(e);
	n = strlen(b);
	while (n > 0 && b[n - 1] == '/')
		b[--n] = '\0';
	return b;
}

/* IMDSv2 (v1 when the token PUT is refused, unless AWS_EC2_METADATA_V1_DISABLED): 0 or -1. */
static int
imds(struct ctx *x, struct aws_keys_buf *out, char **err)
{
	char *base = imds_base(), *url = NULL, *token = NULL, *tokh = NULL, *role = NULL, *e = NULL;
	char *nw = NULL;
	const char *hdrs[2] = { NULL, NULL };
	static const char *const puth[] = { "X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL };
	long secs = env_long("AWS_METADATA_SERVICE_TIMEOUT", 1, 1, 600);
	int attempts = (int)env_long("AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1, 1, 10);
	struct http_req rq;
	struct http_resp rs;
	int rc = -1;

	memset(&rs, 0, sizeof rs);
	memset(&rq, 0, sizeof rq);
	rq.timeout_ms = rq.connect_timeout_ms = secs * 1000;
	rq.max_body = TF_MAX_CREDENTIALS;
	rq.method = "PUT";
	url = xasprintf("%s/latest/api/token", base);
	rq.url = url;
	rq.headers = puth;
	if (http_try(x, &rq, &rs, attempts, &e) != 0) {
		tf_err(err, "no answer: %s (timeout %ld s)", e, secs);
		goto out;
	}
	if ((nw = http_not_api(&rs, "a token")) != NULL) {
		/* A redirect or a web page: not the instance's metadata service. */
		tf_err(err, "token PUT %s: %s", url, nw);
		goto out;
	}
	if (rs.status == 200 && rs.body.len > 0) {
		token = trim_dup(rs.body.buf, rs.body.len);
		if (!one_word(token, strlen(token))) {
			/* It goes into a header: a line break there would be header injection. */
			tf_err(err, "token PUT %s: the answer (%zu bytes) is not a token (an HTML page? "
			    "a proxy?)", url, rs.body.len);
			goto out;
		}
		tokh = xasprintf("X-aws-ec2-metadata-token: %s", token);
		hdrs[0] = tokh;
	} else if ((rs.status == 403 || rs.status == 404 || rs.status == 405) &&
	    !env_true("AWS_EC2_METADATA_V1_DISABLED")) {
		/* IMDSv1 fallback, as the SDKs do. */
	} else {
		char *d = error_detail(&rs);

		tf_err(err, "token PUT %s: %s", url, d);
		free(d);
		goto out;
	}
	http_resp_free(&rs);
	free(url);
	url = xasprintf("%s/latest/meta-data/iam/security-credentials/", base);
	rq.method = "GET";
	rq.url = url;
	rq.headers = hdrs;
	if (http_try(x, &rq, &rs, attempts, &e) != 0) {
		tf_err(err, "%s", e);
		goto out;
	}
	if ((nw = http_not_api(&rs, "a role name")) != NULL) {
		tf_err(err, "GET %s: %s", url, nw);
		goto out;
	}
	if (rs.status != 200 || rs.body.len == 0) {
		char *d = error_detail(&rs);

		tf_err(err, "GET %s: %s%s", url, d, rs.status == 404 ?
		    " (no IAM role is attached to this instance)" : rs.status == 401 ?
		    " (IMDSv2 token refused)" : "");
		free(d);
		goto out;
	}
	role = xstrndup(rs.body.buf, strcspn(rs.body.buf, "\r\n"));
	if (!one_word(role, strlen(role))) {
		/* It goes into the next URL's path. */
		tf_err(err, "GET %s: the answer is not a role name (an HTML page? a proxy?)", url);
		goto out;
	}
	http_resp_free(&rs);
	free(url);
	url = xasprintf("%s/latest/meta-data/iam/security-credentials/%s", base, role);
	rq.url = url;
	if (http_try(x, &rq, &rs, attempts, &e) != 0) {
		tf_err(err, "%s", e);
		goto out;
	}
	if ((nw = http_not_api(&rs, "JSON")) != NULL) {
		tf_err(err, "GET %s: %s", url, nw);
		goto out;
	}
	if (rs.status != 200) {
		char *d = error_detail(&rs);

		tf_err(err, "GET %s: %s", url, d);
		free(d);
		goto out;
	}
	{
		struct json_object *o = json_tokener_parse(rs.body.buf);
		const char *code = o != NULL && json_object_is_type(o, json_type_object) ?
		    jstr(o, "Code") : NULL;

		if (code != NULL && strcmp(code, "Success") != 0)
			tf_err(err, "GET %s: Code %s", url, code);
		else if (json_keys(rs.body.buf, "Token", url, out, err) == 0) {
			rc = 0;
			free(x->source);
			x->source = xasprintf("EC2 instance metadata role %s", role);
		}
		json_object_put(o);
	}
out:
	free(nw);
	if (rs.body.buf != NULL)
		memset(rs.body.buf, 0, rs.body.len);
	http_resp_free(&rs);
	free(e);
	free(role);
	wipe_free(token);
	wipe_free(tokh);
	free(url);
	free(base);
	return rc;
}

/* ---- the environment ---- */

/* 1 keys, 0 none (why says so), -1 bad expiration. */
static int
env_keys(struct aws_keys_buf *out, char **why, char **err)
{
	const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
	const char *token = env("AWS_SESSION_TOKEN"), *exp = env("AWS_CREDENTIAL_EXPIRATION");
	int64_t ms = 0;

	if (id == NULL || secret == NULL) {
		*why = xasprintf("%s not set", id == NULL ? "AWS_ACCESS_KEY_ID" :
		    "AWS_SECRET_ACCESS_KEY");
		return 0;
	}
	if (token == NULL)
		token = env("AWS_SECURITY_TOKEN");
	if (exp != NULL && aws_parse_expiration(exp, &ms) != 0)
		return tf_err(err, "AWS_CREDENTIAL_EXPIRATION \"%.40s\" is not an ISO 8601 time", exp);
	buf_set(out, id, secret, token, ms);
	return 1;
}

/* ---- profiles with roles ---- */

static int profile_role(struct ctx *, const char *, const char **, int, struct aws_keys_buf *,
    char **);
static int sso_keys(struct ctx *, const char *, struct aws_keys_buf *, char **);

/* A profile with web_identity_token_file (and role_arn). */
static int
profile_webid(struct ctx *x, const char *profile, struct aws_keys_buf *out, char **err)
{
	char *file = prof_get(x, profile, "web_identity_token_file");
	char *arn = prof_get(x, profile, "role_arn");
	char *sess = prof_get(x, profile, "role_session_name");
	char *dur = prof_get(x, profile, "duration_seconds");
	int rc;

	if (arn == NULL)
		rc = tf_err(err, "profile %s has web_identity_token_file but no role_arn", profile);
	else
		rc = web_identity(x, file, arn, sess, dur, out, err);
	free(file);
	free(arn);
	free(sess);
	free(dur);
	return rc;
}

/* The keys a source_profile stands for (botocore _resolve_source_credentials). */
static int
source_keys(struct ctx *x, const char *profile, const char **seen, int nseen,
    struct aws_keys_buf *out, char **err)
{
	char *arn = prof_get(x, profile, "role_arn"), *wif, *proc;
	int rc, i;

	if (!prof_exists(x, profile)) {
		free(arn);
		return tf_err(err, "source_profile %s: no such profile in %s or %s", profile,
		    x->cred.path, x->conf.path);
	}
	wif = prof_get(x, profile, "web_identity_token_file");
	proc = prof_get(x, profile, "credential_process");
	if (wif != NULL && arn != NULL)
		rc = profile_webid(x, profile, out, err);
	else if (arn != NULL) {
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i], profile) == 0)
				break;
		if (i < nseen) {
			/* A profile naming itself with static keys uses them (botocore). */
			if (nseen > 0 && strcmp(seen[nseen - 1], profile) == 0 &&
			    ((rc = file_keys(&x->cred, 0, profile, out, err)) != 0 ||
			    (rc = file_keys(&x->conf, 1, profile, out, err)) != 0))
				goto done;
			{
				struct strbuf sb;

				sb_init(&sb);
				for (i = 0; i < nseen; i++)
					sb_addf(&sb, "%s -> ", seen[i]);
				sb_adds(&sb, profile);
				rc = tf_err(err, "source_profile loop: %s", sb.buf);
				sb_free(&sb);
			}
		} else
			rc = profile_role(x, profile, seen, nseen, out, err);
	} else if ((rc = sso_keys(x, profile, out, err)) != 0)
		;       /* an SSO profile: before credential_process and the files (botocore) */
	else if (proc != NULL)
		rc = run_process(profile, proc, out, err);
	else if ((rc = file_keys(&x->cred, 0, profile, out, err)) == 0 &&
	    (rc = file_keys(&x->conf, 1, profile, out, err)) == 0)
		rc = tf_err(err, "source_profile %s has no credentials (no keys, role_arn, "
		    "web_identity_token_file, sso_account_id/sso_role_name or credential_process)", profile);
done:
	if (rc > 0)
		rc = 0;
	free(arn);
	free(wif);
	free(proc);
	return rc;
}

/* A profile with role_arn and source_profile or credential_source: 0 or -1. */
static int
profile_role(struct ctx *x, const char *profile, const char **seen, int nseen,
    struct aws_keys_buf *out, char **err)
{
	char *arn = prof_get(x, profile, "role_arn"), *sp = prof_get(x, profile, "source_profile");
	char *cs = prof_get(x, profile, "credential_source");
	char *mfa = prof_get(x, profile, "mfa_serial"), *e = NULL;
	char *ext = prof_get(x, profile, "external_id");
	char *sess = prof_get(x, profile, "role_session_name");
	char *dur = prof_get(x, profile, "duration_seconds");
	const char *chain[MAX_CHAIN + 1];
	struct aws_keys_buf src;
	char *why = NULL;
	int rc = -1, i;

	memset(&src, 0, sizeof src);
	if (nseen >= MAX_CHAIN) {
		tf_err(err, "profile %s: more than %d chained roles", profile, MAX_CHAIN);
		goto out;
	}
	if (mfa != NULL) {
		tf_err(err, "profile %s: mfa_serial needs an MFA code typed in, which tfdrift cannot "
		    "ask for; use a profile without mfa_serial or credentials from `aws sts "
		    "get-session-token` in the environment", profile);
		goto out;
	}
	if ((sp == NULL) == (cs == NULL)) {
		tf_err(err, "profile %s has role_arn and needs exactly one of source_profile and "
		    "credential_source", profile);
		goto out;
	}
	if (sp != NULL) {
		for (i = 0; i < nseen; i++)
			chain[i] = seen[i];
		chain[nseen] = profile;
		if (source_keys(x, sp, chain, nseen + 1, &src, &e) != 0) {
			tf_err(err, "profile %s: %s", profile, e);
			goto out;
		}
	} else if (strcmp(cs, "Environment") == 0) {
		if (env_keys(&src, &why, &e) <= 0) {
			tf_err(err, "profile %s: credential_source Environment: %s", profile,
			    e != NULL ? e : why);
			goto out;
		}
	} else if (strcmp(cs, "Ec2InstanceMetadata") == 0) {
		if (imds(x, &src, &e) != 0) {
			tf_err(err, "profile %s: credential_source Ec2InstanceMetadata: %s", profile, e);
			goto out;
		}
	} else if (strcmp(cs, "EcsContainer") == 0) {
		if ((rc = container(x, &src, &e)) <= 0) {
			rc = -1;
			tf_err(err, "profile %s: credential_source EcsContainer: %s", profile,
			    e != NULL ? e : "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI not set");
			goto out;
		}
	} else {
		tf_err(err, "profile %s: credential_source %s is not Environment, "
		    "Ec2InstanceMetadata or EcsContainer", profile, cs);
		goto out;
	}
	rc = assume_role(x, &src.keys, arn, sess, ext, dur, out, err);
	if (rc == 0) {
		free(x->source);
		x->source = xasprintf("assume-role %s (profile %s)", arn, profile);
	}
out:
	aws_keys_buf_clear(&src);
	free(arn);
	free(sp);
	free(cs);
	free(mfa);
	free(ext);
	free(sess);
	free(dur);
	free(e);
	free(why);
	return rc;
}

/* ---- IAM Identity Center (SSO) profiles (botocore SSOProvider, SSOTokenProvider) ---- */

#define SSO_TOKEN_WINDOW_MS (15 * 60 * 1000)    /* botocore's SSOTokenProvider._REFRESH_WINDOW */

struct sso_conf {
	char *session;                  /* sso_session, or NULL: the legacy form */
	char *start_url, *region, *account, *role;
};

static void
sso_conf_free(struct sso_conf *s)
{
	free(s->session);
	free(s->start_url);
	free(s->region);
	free(s->account);
	free(s->role);
}

char *
aws_sso_cache_path(const char *home, const char *session_or_url)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	EVP_Digest(session_or_url, strlen(session_or_url), md, &mdlen, EVP_sha1(), NULL);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
	return xasprintf("%s/.aws/sso/cache/%s.json", home != NULL ? home : "", hex);
}

/* What to run to sign in again, for messages. */
static char *
sso_login_hint(const char *profile, const struct sso_conf *s)
{
	if (s->session != NULL)
		return xasprintf("run `aws sso login --profile %s` (or `aws sso login --sso-session "
		    "%s`)", profile, s->session);
	return xasprintf("run `aws sso login --profile %s`", profile);
}

/* The profile's SSO settings: 1 an SSO profile (s filled), 0 not one, -1 error. A profile is
 * one when it has sso_account_id or sso_role_name; sso_session names an [sso-session NAME]
 * section of the config file that gives sso_start_url and sso_region (a value in both must
 * agree). */
static int
sso_config(struct ctx *x, const char *profile, struct sso_conf *s, char **err)
{
	static const char *const keys[] = { "sso_start_url", "sso_region" };
	struct strbuf miss;
	char *sect = NULL;
	int i, found = 0, rc = 1;

	memset(s, 0, sizeof *s);
	s->account = prof_get(x, profile, "sso_account_id");
	s->role = prof_get(x, profile, "sso_role_name");
	if (s->account == NULL && s->role == NULL)
		return 0;
	s->start_url = prof_get(x, profile, "sso_start_url");
	s->region = prof_get(x, profile, "sso_region");
	s->session = prof_get(x, profile, "sso_session");
	sb_init(&miss);
	if (s->session != NULL) {
		sect = xasprintf("sso-session %s", s->session);
		if (x->conf.text != NULL)
			free(aws_ini_get(x->conf.text, sect, "sso_start_url", &found));
		if (!found) {
			rc = tf_err(err, "profile %s: sso_session %s: no [%s] section in %s", profile,
			    s->session, sect, x->conf.path);
			goto out;
		}
		for (i = 0; i < 2; i++) {
			char **slot = i == 0 ? &s->start_url : &s->region;
			char *v = aws_ini_get(x->conf.text, sect, keys[i], NULL);

			if (v != NULL && *slot != NULL && strcmp(v, *slot) != 0) {
				rc = tf_err(err, "profile %s: %s is %s in the profile but %s in [%s] "
				    "(%s)", profile, keys[i], *slot, v, sect, x->conf.path);
				free(v);
				goto out;
			}
			if (v != NULL) {
				free(*slot);
				*slot = v;
			}
		}
	}
	if (s->role == NULL)
		sb_addf(&miss, "%ssso_role_name", miss.len ? ", " : "");
	if (s->account == NULL)
		sb_addf(&miss, "%ssso_account_id", miss.len ? ", " : "");
	if (s->start_url == NULL)
		sb_addf(&miss, "%ssso_start_url", miss.len ? ", " : "");
	if (s->region == NULL)
		sb_addf(&miss, "%ssso_region", miss.len ? ", " : "");
	if (miss.len)
		rc = tf_err(err, "profile %s is configured to use SSO but is missing %s (set in the "
		    "profile%s%s%s, %s)", profile, miss.buf, sect != NULL ? " or in [" : "",
		    sect != NULL ? sect : "", sect != NULL ? "]" : "", x->conf.path);
out:
	sb_free(&miss);
	free(sect);
	if (rc < 0)
		sso_conf_free(s);
	return rc;
}

/* Write the token cache file back the way a reader never sees half of it: a temporary file
 * (0600) in the same directory, then rename. */
static int
sso_cache_write(const char *path, struct json_object *tok, char **err)
{
	const char *text = json_object_to_json_string_ext(tok, JSON_C_TO_STRING_PLAIN);
	static atomic_uint seq;         /* two chains of one process may refresh at once */
	char *tmp = xasprintf("%s.tfdrift-%ld-%u.tmp", path, (long)getpid(),
	    atomic_fetch_add(&seq, 1u));
	size_t n = strlen(text), off = 0;
	int fd, rc = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = tf_err(err, "cannot write the SSO token cache %s: %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	while (off < n) {
		ssize_t w = write(fd, text + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = -1;
			break;
		}
		off += (size_t)w;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -1;
	if (close(fd) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0) {
		rc = tf_err(err, "cannot write the SSO token cache %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* SSO OIDC CreateToken with the cached refresh token: tok updated (accessToken, expiresAt,
 * refreshToken) and written back to path, 0; or -1 with *err (the caller decides whether the
 * old token still serves). */
static int
sso_refresh_token(struct ctx *x, const struct sso_conf *s, const char *path,
    struct json_object *tok, char **err)
{
	static const char *const hdrs[] = { "Content-Type: application/json", NULL };
	const char *cid = jstr(tok, "clientId"), *csec = jstr(tok, "clientSecret");
	const char *rt = jstr(tok, "refreshToken"), *reg = jstr(tok, "registrationExpiresAt");
	struct json_object *body, *o = NULL, *v;
	char *base, *url, *e = NULL, *d, *btext;
	struct http_req rq;
	struct http_resp rs;
	int64_t reg_ms, exp_in;
	char when[32];
	int rc = -1;

	if (rt == NULL || cid == NULL || csec == NULL || reg == NULL)
		return tf_err(err, "it has no refresh token");
	if (aws_parse_expiration(reg, &reg_ms) != 0 || reg_ms <= now_ms())
		return tf_err(err, "its client registration expired (registrationExpiresAt %.40s)",
		    reg);
	body = json_object_new_object();
	json_object_object_add(body, "clientId", json_object_new_string(cid));
	json_object_object_add(body, "clientSecret", json_object_new_string(csec));
	json_object_object_add(body, "grantType", json_object_new_string("refresh_token"));
	json_object_object_add(body, "refreshToken", json_object_new_string(rt));
	btext = xstrdup(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
	json_object_put(body);
	if ((base = ctx_service(x, "SSO_OIDC", "oidc", s->region, &e)) == NULL) {
		rc = tf_err(err, "SSO OIDC CreateToken: %s", e);
		free(e);
		wipe_free(btext);
		return rc;
	}
	url = xasprintf("%s/token", base);
	memset(&rq, 0, sizeof rq);
	rq.method = "POST";
	rq.url = url;
	rq.headers = hdrs;
	rq.body = btext;
	rq.body_len = strlen(btext);
	rq.timeout_ms = 10000;
	rq.connect_timeout_ms = 5000;
	rq.max_body = TF_MAX_CREDENTIALS;
	rq.ca_file = x->ca;
	if (http_try(x, &rq, &rs, 3, &e) != 0) {
		rc = tf_err(err, "SSO OIDC CreateToken at %s: %s", url, e);
		free(e);
	} else if ((d = http_not_api(&rs, "JSON")) != NULL || rs.status != 200) {
		if (d == NULL)
			d = error_detail(&rs);
		rc = tf_err(err, "SSO OIDC CreateToken at %s: %s", url, d);
		free(d);
	} else if ((o = json_tokener_parse(rs.body.buf != NULL ? rs.body.buf : "")) == NULL ||
	    !json_object_is_type(o, json_type_object) || jstr(o, "accessToken") == NULL ||
	    !json_object_object_get_ex(o, "expiresIn", &v) ||
	    (exp_in = json_object_get_int64(v)) <= 0 || exp_in > 366L * 24 * 3600)
		rc = tf_err(err, "SSO OIDC CreateToken at %s: the answer has no accessToken or "
		    "no expiresIn of 1 s to a year", url);
	else {
		tf_format_time((now_ms() / 1000 + exp_in) * 1000, when);
		json_object_object_add(tok, "accessToken",
		    json_object_new_string(jstr(o, "accessToken")));
		json_object_object_add(tok, "expiresAt", json_object_new_string(when));
		if (jstr(o, "refreshToken") != NULL)
			json_object_object_add(tok, "refreshToken",
			    json_object_new_string(jstr(o, "refreshToken")));
		rc = sso_cache_write(path, tok, err);
	}
	json_object_put(o);
	if (rs.body.buf != NULL)
		memset(rs.body.buf, 0, rs.body.len);
	http_resp_free(&rs);
	wipe_free(btext);
	free(url);
	free(base);
	return rc;
}

/* The cached SSO access token of s (refreshed through SSO OIDC when it expires within 15
 * minutes and the cache holds a refresh token: the sso_session form only, as botocore). Heap
 * string, or NULL with *err saying what the user should do. */
static char *
sso_access_token(struct ctx *x, const char *profile, const struct sso_conf *s, char **err)
{
	const char *home = env("HOME"), *at, *ea;
	char *path = aws_sso_cache_path(home, s->session != NULL ? s->session : s->start_url);
	char *hint = sso_login_hint(profile, s), *text = NULL, *e = NULL, *r = NULL;
	char what[300];
	struct json_object *tok = NULL;
	size_t len;
	int64_t exp_ms;

	if (s->session != NULL)
		snprintf(what, sizeof what, "sso-session %s", s->session);
	else
		snprintf(what, sizeof what, "%s", s->start_url);
	if (access(path, F_OK) != 0) {
		tf_err(err, "profile %s: no SSO token for %s in the cache (%s: no such file): "
		    "sign in with %s", profile, what, path, hint + 4);
		goto out;
	}
	if (tf_read_file(path, TF_FILE_CREDENTIALS, &text, &len, &e) != 0) {
		tf_err(err, "profile %s: cannot read the SSO token cache: %s", profile, e);
		goto out;
	}
	tok = json_tokener_parse(text);
	if (tok == NULL || !json_object_is_type(tok, json_type_object)) {
		tf_err(err, "profile %s: the SSO token cache %s is not a JSON object; %s to "
		    "write it again", profile, path, hint);
		goto out;
	}
	at = jstr(tok, "accessToken");
	ea = jstr(tok, "expiresAt");
	if (at == NULL || *at == '\0' || ea == NULL) {
		tf_err(err, "profile %s: the SSO token cache %s has no %s; %s to write it again",
		    profile, path, at == NULL || *at == '\0' ? "accessToken" : "expiresAt", hint);
		goto out;
	}
	if (aws_parse_expiration(ea, &exp_ms) != 0) {
		tf_err(err, "profile %s: the SSO token cache %s: expiresAt \"%.40s\" is not a "
		    "time; %s to write it again", profile, path, ea, hint);
		goto out;
	}
	if (s->session != NULL && exp_ms - now_ms() < SSO_TOKEN_WINDOW_MS) {
		/* Read the token again either way: a refresh whose answer arrived but could not
		 * be written back has still replaced the strings in tok (and its token works). */
		sso_refresh_token(x, s, path, tok, &e);
		at = jstr(tok, "accessToken");
		if (aws_parse_expiration(jstr(tok, "expiresAt"), &exp_ms) != 0)
			exp_ms = 0;
	}
	if (exp_ms <= now_ms()) {
		char t[32];

		tf_format_time(exp_ms, t);
		if (s->session == NULL)
			tf_err(err, "profile %s: the SSO token for %s expired at %s; %s", profile,
			    what, t, hint);
		else
			tf_err(err, "profile %s: the SSO token for %s expired at %s and cannot be "
			    "refreshed (%s); %s", profile, what, t, e, hint);
		goto out;
	}
	r = xstrdup(at);
out:
	if (json_object_is_type(tok, json_type_object)) {
		/* Wipe the token's strings before the object goes (a cache file may hold any
		 * JSON: only an object has members to walk). */
		json_object_object_foreach(tok, k, v) {
			(void)k;
			if (json_object_is_type(v, json_type_string))
				memset((char *)json_object_get_string(v), 0,
				    (size_t)json_object_get_string_len(v));
		}
	}
	json_object_put(tok);
	wipe_free(text);
	free(e);
	free(hint);
	free(path);
	return r;
}

/* GetRoleCredentials on the IAM Identity Center portal. 0 or -1. */
static int
sso_role_keys(struct ctx *x, const char *profile, const struct sso_conf *s, const char *token,
    struct aws_keys_buf *out, char **err)
{
	char *base, *role, *acct, *url, *hdr, *e = NULL, *d, *hint;
	const char *hdrs[] = { NULL, "Accept: application/json", NULL };
	struct json_object *o = NULL, *rc_o = NULL, *v;
	const char *id, *secret, *stok;
	struct http_req rq;
	struct http_resp rs;
	int rc = -1;

	if ((base = ctx_service(x, "SSO", "portal.sso", s->region, &e)) == NULL) {
		rc = tf_err(err, "profile %s: SSO GetRoleCredentials: %s", profile, e);
		free(e);
		return rc;
	}
	role = http_encode(s->role, 0);
	acct = http_encode(s->account, 0);
	url = xasprintf("%s/federation/credentials?role_name=%s&account_id=%s", base, role, acct);
	hdrs[0] = hdr = xasprintf("x-amz-sso_bearer_token: %s", token);
	memset(&rq, 0, sizeof rq);
	rq.ca_file = x->ca;
	rq.url = url;
	rq.headers = hdrs;
	rq.timeout_ms = 10000;
	rq.connect_timeout_ms = 5000;
	rq.max_body = TF_MAX_CREDENTIALS;
	if (http_try(x, &rq, &rs, 3, &e) != 0) {
		rc = tf_err(err, "profile %s: SSO GetRoleCredentials at %s: %s", profile, base, e);
		free(e);
	} else if (rs.status == 401 || rs.status == 403) {
		d = error_detail(&rs);
		hint = sso_login_hint(profile, s);
		rc = tf_err(err, "profile %s: SSO GetRoleCredentials for role %s in account %s at "
		    "%s: %s: the SSO session has expired or was revoked, or the role is not "
		    "yours; %s", profile, s->role, s->account, base, d, hint);
		free(hint);
		free(d);
	} else if ((d = http_not_api(&rs, "JSON")) != NULL || rs.status != 200) {
		if (d == NULL)
			d = error_detail(&rs);
		rc = tf_err(err, "profile %s: SSO GetRoleCredentials at %s: %s", profile, base, d);
		free(d);
	} else if ((o = json_tokener_parse(rs.body.buf != NULL ? rs.body.buf : "")) == NULL ||
	    !json_object_object_get_ex(o, "roleCredentials", &rc_o) ||
	    !json_object_is_type(rc_o, json_type_object) ||
	    (id = jstr(rc_o, "accessKeyId")) == NULL || *id == '\0' ||
	    (secret = jstr(rc_o, "secretAccessKey")) == NULL || *secret == '\0' ||
	    !json_object_object_get_ex(rc_o, "expiration", &v) ||
	    (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) ||
	    json_object_get_int64(v) <= 0)
		rc = tf_err(err, "profile %s: SSO GetRoleCredentials at %s: the answer has no "
		    "roleCredentials with accessKeyId, secretAccessKey and expiration", profile,
		    base);
	else {
		stok = jstr(rc_o, "sessionToken");
		buf_set(out, id, secret, stok, json_object_get_int64(v));
		rc = 0;
	}
	json_object_put(o);
	if (rs.body.buf != NULL)
		memset(rs.body.buf, 0, rs.body.len);
	http_resp_free(&rs);
	wipe_free(hdr);
	free(url);
	free(role);
	free(acct);
	free(base);
	return rc;
}

/* An SSO profile: 1 keys, 0 not one, -1 error. */
static int
sso_keys(struct ctx *x, const char *profile, struct aws_keys_buf *out, char **err)
{
	struct sso_conf s;
	char *token;
	int rc;

	if ((rc = sso_config(x, profile, &s, err)) <= 0)
		return rc;
	if ((token = sso_access_token(x, profile, &s, err)) == NULL)
		rc = -1;
	else if (sso_role_keys(x, profile, &s, token, out, err) != 0)
		rc = -1;
	else {
		free(x->source);
		x->source = xasprintf("sso role %s in account %s (profile %s)", s.role, s.account,
		    profile);
	}
	wipe_free(token);
	sso_conf_free(&s);
	return rc;
}

/* ---- the chain ---- */

static const char *
selected_profile(const char *given)
{
	const char *p = given != NULL && *given != '\0' ? given : env("AWS_PROFILE");

	if (p == NULL)
		p = env("AWS_DEFAULT_PROFILE");
	return p != NULL ? p : "default";
}

static const char *
file_state(struct ctx *x, const struct file *f, int is_conf)
{
	int found = 0;

	if (f->text == NULL)
		return f->why;
	free(is_conf ? conf_get(f, x->profile, "x", &found) : cred_get(f, x->profile, "x", &found));
	return found ? "no credentials in it" : "no such profile";
}

/* One step: 1 keys in out, 0 not there (a reason added to tried), -1 error. */
static int
run_step(struct ctx *x, int step, struct strbuf *tried, struct aws_keys_buf *out, char **err)
{
	char *why = NULL, *v = NULL, *w = NULL, *arn = NULL, *sess = NULL, *dur = NULL, *e = NULL;
	const char *s;
	int rc = 0;

	switch (step) {
	case STEP_ENV:
		if (x->c->explicit_profile) {
			sb_addf(tried, "%senvironment (skipped: profile %s given explicitly)",
			    tried->len ? ", " : "", x->profile);
			break;
		}
		if ((rc = env_keys(out, &why, err)) == 1)
			x->source = xstrdup("environment");
		else if (rc == 0)
			sb_addf(tried, "%senvironment (%s)", tried->len ? ", " : "", why);
		break;
	case STEP_ROLE:
		if (!prof_exists(x, x->profile) && strcmp(x->profile, "default") != 0) {
			rc = tf_err(err, "profile %s: no such profile in %s (%s) or %s (%s); "
			    "check AWS_PROFILE or the profile name", x->profile, x->cred.path,
			    file_state(x, &x->cred, 0), x->conf.path, file_state(x, &x->conf, 1));
			break;
		}
		v = prof_get(x, x->profile, "role_arn");
		w = prof_get(x, x->profile, "web_identity_token_file");
		if (v != NULL && w == NULL)
			rc = profile_role(x, x->profile, NULL, 0, out, err) == 0 ? 1 : -1;
		break;
	case STEP_WEBID:
		if ((s = env("AWS_WEB_IDENTITY_TOKEN_FILE")) != NULL)
			w = xstrdup(s);
		else
			w = prof_get(x, x->profile, "web_identity_token_file");
		if (w == NULL) {
			sb_addf(tried, "%sweb identity (AWS_WEB_IDENTITY_TOKEN_FILE not set)",
			    tried->len ? ", " : "");
			break;
		}
		arn = (s = env("AWS_ROLE_ARN")) != NULL ? xstrdup(s) :
		    prof_get(x, x->profile, "role_arn");
		sess = (s = env("AWS_ROLE_SESSION_NAME")) != NULL ? xstrdup(s) :
		    prof_get(x, x->profile, "role_session_name");
		dur = prof_get(x, x->profile, "duration_seconds");
		if (arn == NULL) {
			rc = tf_err(err, "web identity: %s is set but not AWS_ROLE_ARN (or role_arn in "
			    "profile %s)", env("AWS_WEB_IDENTITY_TOKEN_FILE") != NULL ?
			    "AWS_WEB_IDENTITY_TOKEN_FILE" : "web_identity_token_file", x->profile);
			break;
		}
		if (web_identity(x, w, arn, sess, dur, out, err) != 0)
			rc = -1;
		else {
			rc = 1;
			x->source = xasprintf("web identity %s", arn);
		}
		break;
	case STEP_SSO:
		rc = sso_keys(x, x->profile, out, err);
		break;
	case STEP_CREDFILE:
		if ((rc = file_keys(&x->cred, 0, x->profile, out, err)) == 1)
			x->source = xasprintf("profile %s in %s", x->profile, x->cred.path);
		break;
	case STEP_PROCESS:
		if ((v = prof_get(x, x->profile, "credential_process")) == NULL)
			break;
		if (run_process(x->profile, v, out, err) != 0)
			rc = -1;
		else {
			rc = 1;
			x->source = xasprintf("credential_process (profile %s)", x->profile);
		}
		break;
	case STEP_CONFFILE:
		if ((rc = file_keys(&x->conf, 1, x->profile, out, err)) == 1)
			x->source = xasprintf("profile %s in %s", x->profile, x->conf.path);
		else if (rc == 0)
			sb_addf(tried, "%sprofile %s in %s (%s) and %s (%s)", tried->len ? ", " : "",
			    x->profile, x->cred.path, file_state(x, &x->cred, 0), x->conf.path,
			    file_state(x, &x->conf, 1));
		break;
	case STEP_CONTAINER:
		if ((rc = container(x, out, err)) == 0)
			sb_addf(tried, "%scontainer credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI "
			    "and _FULL_URI not set)", tried->len ? ", " : "");
		break;
	case STEP_IMDS:
		if (env_true("AWS_EC2_METADATA_DISABLED")) {
			sb_addf(tried, "%sEC2 instance metadata (AWS_EC2_METADATA_DISABLED=true)",
			    tried->len ? ", " : "");
			break;
		}
		if (imds(x, out, &e) == 0)
			rc = 1;
		else {
			char *b = imds_base();

			sb_addf(tried, "%sEC2 instance metadata at %s (%s)", tried->len ? ", " : "", b,
			    e);
			free(b);
		}
		break;
	}
	free(why);
	free(v);
	free(w);
	free(arn);
	free(sess);
	free(dur);
	free(e);
	return rc;
}

/* Resolve (only >= 0: that step alone, a refresh). 0 with out, *source, *step; or -1. */
static int
resolve(struct aws_creds *c, int only, struct aws_keys_buf *out, char **source, int *stepp,
    char **err)
{
	struct ctx x;
	struct strbuf tried;
	char *r;
	int step, rc = 0;

	memset(&x, 0, sizeof x);
	x.c = c;
	x.profile = selected_profile(c->profile);
	if (c->region != NULL)
		x.region = xstrdup(c->region);
	else if ((r = aws_region_default(x.profile)) != NULL)
		x.region = r;
	else
		x.region = xstrdup("us-east-1");
	file_load(&x.cred, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
	file_load(&x.conf, "AWS_CONFIG_FILE", ".aws/config");
	if (ca_resolve(&x.conf, x.profile, &x.ca, &x.ca_err) != 0)
		x.ca = NULL;
	sb_init(&tried);
	for (step = only >= 0 ? only : 0; step < STEP_COUNT; step++) {
		free(x.source);
		x.source = NULL;
		rc = run_step(&x, step, &tried, out, err);
		if (rc != 0 || only >= 0)
			break;
	}
	if (rc == 1) {
		*source = x.source != NULL ? x.source : xstrdup("?");
		x.source = NULL;
		*stepp = step;
		rc = 0;
	} else if (rc == 0 && only >= 0)
		rc = tf_err(err, "refreshing AWS credentials: %s", tried.len ? tried.buf :
		    "the source is gone");
	else if (rc == 0)
		rc = tf_err(err, "no AWS credentials: tried %s. Set AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE to a profile in ~/.aws/credentials or "
		    "~/.aws/config (`aws configure`), or run where a container or instance role "
		    "is available", tried.buf);
	sb_free(&tried);
	free(x.source);
	free(x.region);
	free(x.ca);
	free(x.ca_err);
	file_free(&x.cred);
	file_free(&x.conf);
	return rc;
}

char *
aws_region_default(const char *profile)
{
	const char *r = env("AWS_REGION");
	struct file conf, cred;
	char *v;

	if (r == NULL)
		r = env("AWS_DEFAULT_REGION");
	if (r != NULL)
		return xstrdup(r);
	memset(&conf, 0, sizeof conf);
	memset(&cred, 0, sizeof cred);
	profile = selected_profile(profile);
	file_load(&conf, "AWS_CONFIG_FILE", ".aws/config");
	v = conf_get(&conf, profile, "region", NULL);
	if (v == NULL) {
		file_load(&cred, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
		v = cred_get(&cred, profile, "region", NULL);
		file_free(&cred);
	}
	file_free(&conf);
	return v;
}

/* ---- the API ---- */

struct aws_creds *
aws_creds_new(const struct aws_creds_opts *o)
{
	struct aws_creds *c = xcalloc(1, sizeof *c);

	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->refresh_mu, NULL);
	c->profile = xstrdup(o != NULL && o->profile != NULL && *o->profile ? o->profile : NULL);
	c->explicit_profile = c->profile != NULL;
	c->region = xstrdup(o != NULL && o->region != NULL && *o->region ? o->region : NULL);
	c->step = -1;
	return c;
}

struct aws_creds *
aws_creds_static(const char *akid, const char *secret, const char *token)
{
	struct aws_creds *c = aws_creds_new(NULL);

	c->fixed = 1;
	buf_set(&c->cur, akid, secret, token, 0);
	c->source = xstrdup("static keys");
	return c;
}

void
aws_creds_free(struct aws_creds *c)
{
	if (c == NULL)
		return;
	aws_keys_buf_clear(&c->cur);
	free(c->source);
	free(c->profile);
	free(c->region);
	http_free(c->http);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->refresh_mu);
	free(c);
}

static int64_t
refresh_window(void)
{
	return env_long("TFDRIFT_AWS_REFRESH_WINDOW_MS", REFRESH_WINDOW_MS, 0, 24L * 3600 * 1000);
}

/* Are the cached keys good without a refresh? (mu held) */
static int
fresh(struct aws_creds *c, int64_t now)
{
	return c->cur.access_key_id != NULL &&
	    (c->cur.expires_ms == 0 || c->cur.expires_ms - now > refresh_window());
}

static int
usable(struct aws_creds *c, int64_t now)
{
	return c->cur.access_key_id != NULL && (c->cur.expires_ms == 0 || c->cur.expires_ms > now);
}

int
aws_creds_get(struct aws_creds *c, struct aws_keys_buf *out, char **err)
{
	struct aws_keys_buf nk;
	char *src = NULL, *e = NULL;
	int rc, step = -1, only;

	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&c->mu);
	if (c->fixed || fresh(c, now_ms())) {
		buf_copy(out, &c->cur);
		pthread_mutex_unlock(&c->mu);
		return 0;
	}
	if (usable(c, now_ms())) {
		/* Inside the refresh window but still valid: if another thread is refreshing,
		 * use these rather than wait. */
		pthread_mutex_unlock(&c->mu);
		if (pthread_mutex_trylock(&c->refresh_mu) != 0) {
			pthread_mutex_lock(&c->mu);
			if (c->cur.access_key_id != NULL) {
				buf_copy(out, &c->cur);
				pthread_mutex_unlock(&c->mu);
				return 0;
			}
			pthread_mutex_unlock(&c->mu);
			pthread_mutex_lock(&c->refresh_mu);
		}
	} else {
		pthread_mutex_unlock(&c->mu);
		pthread_mutex_lock(&c->refresh_mu);
	}
	/* Another thread may have refreshed while this one waited. */
	pthread_mutex_lock(&c->mu);
	if (fresh(c, now_ms())) {
		buf_copy(out, &c->cur);
		pthread_mutex_unlock(&c->mu);
		pthread_mutex_unlock(&c->refresh_mu);
		return 0;
	}
	only = c->cur.access_key_id != NULL ? c->step : -1;
	pthread_mutex_unlock(&c->mu);

	memset(&nk, 0, sizeof nk);
	rc = resolve(c, only, &nk, &src, &step, &e);

	pthread_mutex_lock(&c->mu);
	if (rc == 0) {
		aws_keys_buf_clear(&c->cur);
		c->cur = nk;
		buf_point(&c->cur);
		c->step = step;
		if (c->source == NULL || strcmp(c->source, src) != 0) {
			/* The old name stays readable by aws_creds_source callers: leak-free swap
			 * only when it changed. */
			free(c->source);
			c->source = src;
			src = NULL;
		}
	} else if (usable(c, now_ms()))
		rc = 0;         /* a failed early refresh: the old keys still work */
	if (rc == 0)
		buf_copy(out, &c->cur);
	else {
		if (err != NULL)
			*err = e;
		else
			free(e);
		e = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_unlock(&c->refresh_mu);
	free(src);
	free(e);
	return rc;
}

void
aws_creds_invalidate(struct aws_creds *c)
{
	pthread_mutex_lock(&c->mu);
	if (!c->fixed) {
		aws_keys_buf_clear(&c->cur);
		c->step = -1;
	}
	pthread_mutex_unlock(&c->mu);
}

const char *
aws_creds_source(struct aws_creds *c)
{
	const char *s;

	pthread_mutex_lock(&c->mu);
	s = c->source != NULL ? c->source : "(not resolved yet)";
	pthread_mutex_unlock(&c->mu);
	return s;
}

/* ---- partitions, endpoints, CA bundle ---- */

/* botocore's endpoints.json regionRegex per partition; "aws" is the rest. */
static const struct aws_partition partitions[] = {
	{ "aws-cn", "cn-", "amazonaws.com.cn", "cn-north-1" },
	{ "aws-us-gov", "us-gov-", "amazonaws.com", "us-gov-west-1" },
	{ "aws-iso", "us-iso-", "c2s.ic.gov", "us-iso-east-1" },
	{ "aws-iso-b", "us-isob-", "sc2s.sgov.gov", "us-isob-east-1" },
	{ "aws-iso-e", "eu-isoe-", "cloud.adc-e.uk", "eu-isoe-west-1" },
	{ "aws-iso-f", "us-isof-", "csp.hci.ic.gov", "us-isof-south-1" },
	{ "aws", "", "amazonaws.com", "us-east-1" },
};

const struct aws_partition *
aws_partition(const char *region)
{
	size_t i;

	for (i = 0; region != NULL && i + 1 < TF_ARRLEN(partitions); i++)
		if (strncmp(region, partitions[i].prefix, strlen(partitions[i].prefix)) == 0)
			return &partitions[i];
	return &partitions[TF_ARRLEN(partitions) - 1];
}

/* A true/false setting: the environment variable when set, else the profile's key. -1 with
 * *err when it is neither true nor false (botocore refuses those too). */
static int
bool_setting(const struct file *conf, const char *profile, const char *envname,
    const char *key, char **err)
{
	char *v = NULL;
	const char *s = env(envname);
	int rc;

	if (s == NULL)
		s = v = conf_get(conf, profile, key, NULL);
	if (s == NULL)
		rc = 0;
	else if (strcasecmp(s, "true") == 0)
		rc = 1;
	else if (strcasecmp(s, "false") == 0)
		rc = 0;
	else if (v == NULL)
		rc = tf_err(err, "%s=%.40s: expected true or false", envname, s);
	else
		rc = tf_err(err, "%s = %.40s in profile %s of %s: expected true or false", key, s,
		    profile, conf->path);
	free(v);
	return rc;
}

/* The one endpoint resolver (see aws_endpoint), with the config file already loaded. */
static char *
endpoint_resolve(const struct file *conf, const char *profile, const char *env_id,
    const char *host, const char *region, const char *configured, char **err)
{
	const struct aws_partition *pt;
	char *name, *v = NULL, *svc, *key, *p;
	int ignore, fips;
	size_t n;

	if (configured != NULL && *configured != '\0')
		v = xstrdup(configured);
	else if ((ignore = bool_setting(conf, profile, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	    "ignore_configured_endpoint_urls", err)) < 0)
		return NULL;
	else if (!ignore) {
		/* AWS SDKs and Tools Reference Guide, "Service-specific endpoints": the service's
		 * variable, the global one, the profile's services section, its endpoint_url. */
		name = xasprintf("AWS_ENDPOINT_URL_%s", env_id);
		if (env(name) != NULL)
			v = xstrdup(env(name));
		else if (env("AWS_ENDPOINT_URL") != NULL)
			v = xstrdup(env("AWS_ENDPOINT_URL"));
		free(name);
		if (v == NULL && conf->text != NULL &&
		    (svc = conf_get(conf, profile, "services", NULL)) != NULL) {
			/* The services section's keys are the ids in lower case (sso_oidc). */
			key = xstrdup(env_id);
			for (p = key; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			name = xasprintf("services %s", svc);
			v = aws_ini_get_sub(conf->text, name, key, "endpoint_url");
			free(name);
			free(key);
			free(svc);
		}
		if (v == NULL)
			v = conf_get(conf, profile, "endpoint_url", NULL);
	}
	if (v == NULL) {
		if ((fips = bool_setting(conf, profile, "AWS_USE_FIPS_ENDPOINT",
		    "use_fips_endpoint", err)) < 0)
			return NULL;
		if (region == NULL || *region == '\0')
			region = "us-east-1";
		pt = aws_partition(region);
		if (fips && strcmp(pt->name, "aws-cn") == 0 && strcmp(env_id, "S3") == 0) {
			tf_err(err, "use_fips_endpoint: S3 has no FIPS endpoint in region %s "
			    "(partition %s); turn FIPS off or set an endpoint_url", region, pt->name);
			return NULL;
		}
		/* GovCloud's CloudTrail, SQS and STS endpoints are FIPS ones already: the
		 * endpoint rule sets name the plain host. */
		if (fips && strcmp(pt->name, "aws-us-gov") == 0 && (strcmp(env_id, "CLOUDTRAIL") == 0 ||
		    strcmp(env_id, "SQS") == 0 || strcmp(env_id, "STS") == 0))
			fips = 0;
		v = xasprintf("https://%s%s.%s.%s", host, fips ? "-fips" : "", region,
		    pt->dns_suffix);
	}
	n = strlen(v);
	while (n > 0 && v[n - 1] == '/')
		v[--n] = '\0';
	return v;
}

char *
aws_endpoint(const char *profile, const char *env_id, const char *host_prefix,
    const char *region, const char *configured, char **err)
{
	struct file conf;
	char *v;

	if (configured != NULL && *configured != '\0')
		return endpoint_resolve(NULL, NULL, env_id, host_prefix, region, configured, err);
	memset(&conf, 0, sizeof conf);
	file_load(&conf, "AWS_CONFIG_FILE", ".aws/config");
	v = endpoint_resolve(&conf, selected_profile(profile), env_id, host_prefix, region, NULL,
	    err);
	file_free(&conf);
	return v;
}

/* The CA bundle of a profile (AWS_CA_BUNDLE wins), checked to be a readable PEM file. */
static int
ca_resolve(const struct file *conf, const char *profile, char **path, char **err)
{
	char *v = NULL, *text = NULL, *e = NULL, *from;
	size_t len;
	int rc = 0;

	*path = NULL;
	if (env("AWS_CA_BUNDLE") != NULL) {
		v = xstrdup(env("AWS_CA_BUNDLE"));
		from = xstrdup("AWS_CA_BUNDLE");
	} else if ((v = conf_get(conf, profile, "ca_bundle", NULL)) != NULL)
		from = xasprintf("ca_bundle of profile %s in %s", profile, conf->path);
	else
		return 0;
	if (strcmp(v, "-") == 0)
		rc = tf_err(err, "%s names the CA bundle \"-\": it must be a file", from);
	else if (fuzz_path_ok(v, from, err) != 0)
		rc = -1;
	else if (tf_read_file(v, TF_FILE_CONFIG, &text, &len, &e) != 0)
		rc = tf_err(err, "%s (the CA bundle named by %s)", e, from);
	else if (strstr(text, "-----BEGIN CERTIFICATE-----") == NULL)
		rc = tf_err(err, "%s names the CA bundle %s, which holds no PEM certificate "
		    "(-----BEGIN CERTIFICATE-----)", from, v);
	else {
		*path = v;
		v = NULL;
	}
	free(e);
	free(text);
	free(from);
	free(v);
	return rc;
}

int
aws_ca_bundle(const char *profile, char **path, char **err)
{
	struct file conf;
	int rc;

	memset(&conf, 0, sizeof conf);
	if (env("AWS_CA_BUNDLE") == NULL)
		file_load(&conf, "AWS_CONFIG_FILE", ".aws/config");
	rc = ca_resolve(&conf, selected_profile(profile), path, err);
	file_free(&conf);
	return rc;
}

const char *
aws_creds_profile(const struct aws_creds *c)
{
	return c != NULL ? c->profile : NULL;
}
