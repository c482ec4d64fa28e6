/* alloc_torture: fail the Nth allocation on a parser's path, for N = 1, 2, ..., and check that
 * the program ends cleanly every time (the idea of SQLite's and curl's torture tests).
 *
 * Each parser entry (a state, an events file, a config, the AWS credential files and a GCP
 * key file, rules, an event map, a theme, a store read back) first runs once counting its
 * allocations (T), then once per N in a child process whose Nth allocation returns NULL. A
 * child ends cleanly when it exits 0 (the failure was absorbed: a library retried or the
 * code did without), or 1 with a message on stderr that says the memory ran out (tfdrift's
 * "fatal: out of memory", or an error the parser reported: the inputs are good, so blaming
 * them is a failure too), with no signal and no sanitizer report (under ASan, a fatal
 * exit skips the leak check: tf_fatal ends the process on purpose, holding what it holds;
 * every other exit is leak-checked, so an error path that leaks fails here).
 *
 *   alloc_torture [-a] [-1|-p] [-m MAX] [-n N] [ENTRY...]   TAP on stdout; ENTRY: state events
 *                                      config credentials rules eventmap theme store (all)
 *   -a      every N (make torture); default: N = 1..MAX (40; a third of it for persistent
 *           failures), then as many again spread over the rest: seconds (make check)
 *   -1, -p  one-shot only (only the Nth allocation fails), persistent only (every one from
 *           the Nth on fails); default: both, one after the other
 *   -n N    run N only, in this process, with its messages (to look at one run closely)
 *
 * What fails. Plain builds: every malloc, calloc, realloc, strdup and strndup in the process
 * (tfdrift's own through its x* wrappers, and libyaml's, SQLite's, zlib's, OpenSSL's and
 * libc's), except json-c's. json-c 0.16 dereferences NULL when an allocation fails inside
 * json_tokener_parse_ex (the strdup of an object key: json_object_object_add_ex then runs
 * strlen on NULL; 5 of the 37 allocations of a 60-byte object, all keys), and it has no
 * allocator hook, so an allocation with json-c on its call stack is never failed (and not
 * counted). tfdrift's handling of NULL from json-c is therefore not tested here.
 * Sanitizer builds: ASan owns malloc, so only the allocations of the objects linked into
 * this program (libtfdrift.a, through -Wl,--wrap) fail; libraries are left alone. */
#define _GNU_SOURCE     /* dl_iterate_phdr, __libc_malloc: a glibc test */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws_creds.h"
#include "conf.h"
#include "event.h"
#include "eventmap.h"
#include "freeze.h"
#include "gcp_auth.h"
#include "rules.h"
#include "store.h"
#include "tfstate.h"
#include "ui/theme.h"
#include "util.h"
#include "yamlutil.h"

#include "../unit/tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define TORTURE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TORTURE_ASAN 1
#endif
#endif
#ifndef TORTURE_ASAN
#define TORTURE_ASAN 0
#endif

/* ---- the failing allocator ---- */

static int armed;               /* count (and fail) only inside an entry */
static long nalloc;             /* allocations counted since armed */
static long fail_at;            /* 0: none */
static int persistent;
static uintptr_t jsonc_lo, jsonc_hi;

/* json-c's code, to leave its allocations alone (see the top of the file). */
static int
find_jsonc(struct dl_phdr_info *info, size_t size, void *ctx)
{
	int i;

	(void)size;
	(void)ctx;
	if (info->dlpi_name == NULL || strstr(info->dlpi_name, "libjson-c") == NULL)
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			jsonc_lo = info->dlpi_addr + ph->p_vaddr;
			jsonc_hi = jsonc_lo + ph->p_memsz;
		}
	}
	return 1;
}

static int
from_jsonc(void)
{
	void *fr[8];
	int n, i;

	if (jsonc_hi == 0)
		return 0;
	n = backtrace(fr, 8);
	for (i = 0; i < n; i++)
		if ((uintptr_t)fr[i] >= jsonc_lo && (uintptr_t)fr[i] < jsonc_hi)
			return 1;
	return 0;
}

static int
should_fail(void)
{
	int was;

	if (!armed)
		return 0;
	/* backtrace() may allocate (once, loading libgcc_s): not while deciding. */
	armed = 0;
	was = from_jsonc();
	armed = 1;
	if (was)
		return 0;
	nalloc++;
	return fail_at > 0 && (persistent ? nalloc >= fail_at : nalloc == fail_at);
}

#if TORTURE_ASAN
/* Only references from the objects of this program reach these (-Wl,--wrap=malloc ...). */
void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
#define REAL_MALLOC __real_malloc
#define REAL_CALLOC __real_calloc
#define REAL_REALLOC __real_realloc
#define ALLOC(name) __wrap_##name
#else
/* Every caller in the process reaches these (ELF interposition over libc's). */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t a, size_t b);
void *__libc_realloc(void *p, size_t n);
#define REAL_MALLOC __libc_malloc
#define REAL_CALLOC __libc_calloc
#define REAL_REALLOC __libc_realloc
#define ALLOC(name) name
#endif

void *
ALLOC(malloc)(size_t n)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return REAL_MALLOC(n);
}

void *
ALLOC(calloc)(size_t a, size_t b)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return REAL_CALLOC(a, b);
}

void *
ALLOC(realloc)(void *p, size_t n)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return REAL_REALLOC(p, n);
}

char *
ALLOC(strdup)(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	if ((p = REAL_MALLOC(n)) != NULL)
		memcpy(p, s, n);
	return p;
}

char *
ALLOC(strndup)(const char *s, size_t n)
{
	size_t l = strnlen(s, n);
	char *p;

	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	if ((p = REAL_MALLOC(l + 1)) != NULL) {
		memcpy(p, s, l);
		p[l] = '\0';
	}
	return p;
}

#if !TORTURE_ASAN
/* The link wraps the program's own references (-Wl,--wrap=..., for the sanitizer build);
 * here they reach the interposed functions above. */
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

void *__wrap_malloc(size_t n) { return malloc(n); }
void *__wrap_calloc(size_t a, size_t b) { return calloc(a, b); }
void *__wrap_realloc(void *p, size_t n) { return realloc(p, n); }
char *__wrap_strdup(const char *s) { return strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return strndup(s, n); }
#endif

/* ---- the parser entries: 0 done, or -1 after a message on stderr ---- */

static const char *srcdir;
static char *tmpdir;

static char *
src(const char *rel)
{
	return xasprintf("%s/%s", srcdir, rel);
}

static int
report(const char *what, char *err)
{
	fprintf(stderr, "%s: %s\n", what, err != NULL ? err : "(no message)");
	free(err);
	return -1;
}

static int
report_errs(const char *what, char **errs, size_t nerrs)
{
	size_t i;

	fprintf(stderr, "%s: %zu errors\n", what, nerrs);
	for (i = 0; i < nerrs && i < 3; i++)
		fprintf(stderr, "  %s\n", errs[i]);
	yerrs_free(errs, nerrs);
	return nerrs > 0 ? -1 : 0;
}

static int
e_state(void)
{
	static const char *const files[] = { "tests/data/tfstate/v4_complex.tfstate",
	    "tests/data/tfstate/v3_modules.tfstate" };
	struct tf_state *st;
	char *path, *err = NULL;
	size_t i;

	for (i = 0; i < TF_ARRLEN(files); i++) {
		path = src(files[i]);
		if (tfstate_load_file(path, &st, &err) != 0) {
			free(path);
			return report("state", err);
		}
		free(path);
		tfstate_free(st);
	}
	return 0;
}

static int
e_events(void)
{
	static const char *const files[] = { "tests/data/events/lookup_events.json",
	    "tests/data/events/records.json.gz", "tests/data/events/eventbridge.jsonl" };
	struct ev_reader *r;
	struct event ev;
	char *path, *err = NULL;
	size_t i;
	int rc;

	for (i = 0; i < TF_ARRLEN(files); i++) {
		path = src(files[i]);
		r = ev_reader_open(path, &err);
		free(path);
		if (r == NULL)
			return report("events", err);
		while ((rc = ev_reader_next(r, &ev, &err)) == 1)
			event_free(&ev);
		ev_reader_close(r);
		if (rc < 0)
			return report("events", err);
	}
	return 0;
}

static int
e_config(void)
{
	struct conf c;
	char **errs = NULL, *path = src("tests/data/conf/full.yaml");
	size_t nerrs = 0;
	int rc;

	conf_init(&c);
	rc = conf_load(&c, path, &errs, &nerrs);
	free(path);
	conf_free(&c);
	if (rc != 0)
		return report_errs("config", errs, nerrs);
	yerrs_free(errs, nerrs);
	return 0;
}

static int
e_credentials(void)
{
	struct aws_creds_opts o;
	struct aws_creds *c;
	struct aws_keys_buf kb;
	struct gcp_auth_opts go;
	struct gcp_auth *g;
	char *err = NULL, *keyfile = xasprintf("%s/adc.json", tmpdir);

	memset(&o, 0, sizeof o);
	o.profile = "dev";
	c = aws_creds_new(&o);
	memset(&kb, 0, sizeof kb);
	if (aws_creds_get(c, &kb, &err) != 0) {
		aws_creds_free(c);
		free(keyfile);
		return report("aws credentials", err);
	}
	aws_keys_buf_clear(&kb);
	aws_creds_free(c);
	free(aws_region_default("dev"));
	memset(&go, 0, sizeof go);
	go.credentials_file = keyfile;
	g = gcp_auth_new(&go, &err);
	free(keyfile);
	if (g == NULL)
		return report("gcp credentials", err);
	gcp_auth_free(g);
	/* The files that chain two credentials: an impersonation's source, an STS exchange
	 * then an impersonation. */
	{
		static const char *const more[] = { "imp.json", "ext.json" };
		size_t i;

		for (i = 0; i < sizeof more / sizeof more[0]; i++) {
			keyfile = xasprintf("%s/%s", tmpdir, more[i]);
			go.credentials_file = keyfile;
			g = gcp_auth_new(&go, &err);
			free(keyfile);
			if (g == NULL)
				return report("gcp credentials", err);
			gcp_auth_free(g);
		}
	}
	return 0;
}

static int
e_rules(void)
{
	struct rules *r = rules_new();
	char **errs = NULL, *path = src("rules/aws.yaml"), *out = NULL;
	size_t nerrs = 0, npass = 0, olen = 0;
	FILE *fp;
	int rc = rules_load_file(r, path, &errs, &nerrs);

	free(path);
	if (rc != 0) {
		rules_unref(r);
		return report_errs("rules", errs, nerrs);
	}
	rules_finish(r);
	/* The embedded tests evaluate every rule. */
	if ((fp = open_memstream(&out, &olen)) != NULL) {
		(void)rules_run_tests(r, fp, &npass);
		fclose(fp);
		free(out);
	}
	rules_unref(r);
	return 0;
}

static int
e_eventmap(void)
{
	struct eventmap *m = eventmap_new();
	char **errs = NULL, *path = src("rules/events/ec2.yaml");
	size_t nerrs = 0;
	int rc = eventmap_load_file(m, path, &errs, &nerrs);

	free(path);
	eventmap_free(m);
	return rc != 0 ? report_errs("eventmap", errs, nerrs) : 0;
}

static int
e_theme(void)
{
	struct theme t;
	char **errs = NULL, *path = src("themes/high-contrast.yaml");
	size_t nerrs = 0;
	int rc;

	memset(&t, 0, sizeof t);
	rc = theme_load(path, &t, &errs, &nerrs);
	free(path);
	theme_free(&t);
	return rc != 0 ? report_errs("theme", errs, nerrs) : 0;
}

static int
e_store(void)
{
	struct store *st;
	struct finding_list l;
	struct store_decision *dv;
	struct freeze_window *fw;
	char *path = xasprintf("%s/store.db", tmpdir), *err = NULL;
	size_t n;
	int rc;

	if (store_open(path, STORE_RDONLY, &st, &err) != 0) {
		free(path);
		return report("store", err);
	}
	free(path);
	memset(&l, 0, sizeof l);
	rc = store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &l, &err);
	finding_list_clear(&l);
	if (rc < 0) {
		store_close(st);
		return report("store findings", err);
	}
	free(err);
	err = NULL;
	if (store_list_decisions(st, &dv, &n, &err) != 0) {
		store_close(st);
		return report("store decisions", err);
	}
	store_decisions_free(dv, n);
	if (store_freeze_list(st, 1, tf_now_ms(), &fw, &n, &err) != 0) {
		store_close(st);
		return report("store freezes", err);
	}
	freeze_windows_free(fw, n);
	store_close(st);
	return 0;
}

static const struct entry {
	const char *name;
	int (*run)(void);
} entries[] = {
	{ "state", e_state }, { "events", e_events }, { "config", e_config },
	{ "credentials", e_credentials }, { "rules", e_rules }, { "eventmap", e_eventmap },
	{ "theme", e_theme }, { "store", e_store },
};

/* ---- set-up: the files the credential and store entries read ---- */

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0) {
		perror(path);
		exit(99);
	}
}

static void
setup(void)
{
	char tmpl[] = "/tmp/tfdrift-torture-XXXXXX", *p, *err = NULL;
	const char *t = getenv("TMPDIR");
	struct store *st;
	struct finding_list l;
	struct finding *f;

	tmpdir = t != NULL && *t != '\0' ? xasprintf("%s/tfdrift-torture-XXXXXX", t) : xstrdup(tmpl);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
	/* AWS: a profile with static keys in the credentials file, its region in the config. */
	p = xasprintf("%s/credentials", tmpdir);
	write_file(p, "[default]\naws_access_key_id = AKIATORTURE000000000\n"
	    "aws_secret_access_key = torture/secret/not/real\n\n[dev]\n"
	    "aws_access_key_id = AKIATORTURE000000001\naws_secret_access_key = torture/dev\n"
	    "aws_session_token = token\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
	free(p);
	p = xasprintf("%s/config", tmpdir);
	write_file(p, "[default]\nregion = eu-west-1\n\n[profile dev]\nregion = us-east-2\n"
	    "s3 =\n  max_concurrent_requests = 10\n");
	setenv("AWS_CONFIG_FILE", p, 1);
	free(p);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	/* GCP: an authorized_user file (no key to sign with, no request until a token). */
	p = xasprintf("%s/adc.json", tmpdir);
	write_file(p, "{\"type\": \"authorized_user\", \"client_id\": \"torture.apps.example\", "
	    "\"client_secret\": \"not-a-secret\", \"refresh_token\": \"1//torture\", "
	    "\"quota_project_id\": \"tfdrift-lab\"}\n");
	free(p);
	p = xasprintf("%s/imp.json", tmpdir);
	write_file(p, "{\"type\": \"impersonated_service_account\", \"delegates\": [\"projects/-/"
	    "serviceAccounts/hop@p.iam.gserviceaccount.com\"], \"service_account_impersonation_url\": "
	    "\"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/t@p.iam."
	    "gserviceaccount.com:generateAccessToken\", \"source_credentials\": {\"type\": "
	    "\"authorized_user\", \"client_id\": \"c\", \"client_secret\": \"s\", "
	    "\"refresh_token\": \"1//torture\"}}\n");
	free(p);
	p = xasprintf("%s/ext.json", tmpdir);
	write_file(p, "{\"type\": \"external_account\", \"audience\": \"//iam.googleapis.com/"
	    "locations/global/workforcePools/w/providers/o\", \"subject_token_type\": "
	    "\"urn:ietf:params:oauth:token-type:id_token\", \"workforce_pool_user_project\": "
	    "\"p\", \"credential_source\": {\"url\": \"http://127.0.0.1:1/t\", \"headers\": "
	    "{\"A\": \"b\"}, \"format\": {\"type\": \"json\", \"subject_token_field_name\": "
	    "\"id_token\"}}, \"service_account_impersonation_url\": \"https://iamcredentials."
	    "googleapis.com/v1/projects/-/serviceAccounts/t@p.iam.gserviceaccount.com:"
	    "generateAccessToken\"}\n");
	free(p);
	/* A store with a finding, an ack and a freeze window, to read back. */
	p = xasprintf("%s/store.db", tmpdir);
	if (store_open(p, 0, &st, &err) != 0) {
		fprintf(stderr, "store: %s\n", err);
		exit(99);
	}
	memset(&l, 0, sizeof l);
	f = xcalloc(1, sizeof *f);
	strcpy(f->id, "0123456789abcdef0123456789abcdef");
	f->kind = FK_MODIFIED;
	f->severity = SEV_HIGH;
	f->provider = PROV_AWS;
	f->address = xstrdup("module.net.aws_security_group.web");
	f->type = xstrdup("aws_security_group");
	f->event_id = xstrdup("e1");
	f->event_name = xstrdup("AuthorizeSecurityGroupIngress");
	f->event_time_ms = 1716804000000LL;
	finding_add_change(f, "ingress", NULL, json_tokener_parse("[\"tcp 22-22 0.0.0.0/0\"]"),
	    CH_ADDED, 0);
	finding_list_push(&l, f);
	if (store_put_findings(st, &l, &err) != 0 || store_ack(st, f->id, "alice", "seen",
	    1716804000000LL, NULL, &err) != 0) {
		fprintf(stderr, "store: %s\n", err);
		exit(99);
	}
	finding_list_clear(&l);
	store_close(st);
	free(p);
}

static void
rm_tmpdir(void)
{
	static const char *const names[] = { "credentials", "config", "adc.json", "imp.json",
	    "ext.json", "store.db",
	    "store.db-wal", "store.db-shm" };
	size_t i;

	for (i = 0; i < TF_ARRLEN(names); i++) {
		char *p = xasprintf("%s/%s", tmpdir, names[i]);

		unlink(p);
		free(p);
	}
	rmdir(tmpdir);
}

/* ---- the sweep ---- */

static int fatal_exit;

/* tf_fatal ends the process holding what it holds: skip the leak check for that exit only. */
static void
on_fatal(void)
{
	fatal_exit = 1;
}

static void
at_exit(void)
{
	if (fatal_exit && TORTURE_ASAN) {
		fflush(NULL);
		_exit(1);
	}
}

struct outcome {
	long runs, ok, errors, fatal;
	long bad_n;             /* the first N that did not end cleanly, 0 none */
	char *bad_why;
};

/* One child with allocation n failing. Returns 0 when it ended cleanly. */
static int
run_child(const struct entry *e, long n, struct outcome *out)
{
	int pfd[2], st;
	pid_t pid;
	struct strbuf errtext;
	char buf[4096];
	ssize_t r;

	if (pipe(pfd) != 0)
		return -1;
	fflush(NULL);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], 2);
		close(pfd[1]);
		tf_fatal_hook = on_fatal;
		atexit(at_exit);
		fail_at = n;
		nalloc = 0;
		armed = 1;
		r = e->run();
		armed = 0;
		exit(r == 0 ? 0 : 1);
	}
	close(pfd[1]);
	sb_init(&errtext);
	sb_grow(&errtext, 0);
	while ((r = read(pfd[0], buf, sizeof buf)) > 0)
		if (errtext.len < 65536)
			sb_add(&errtext, buf, (size_t)r);
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	out->runs++;
	{
		const char *why = NULL;

		if (WIFSIGNALED(st))
			why = strsignal(WTERMSIG(st));
		else if (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 1)
			why = "exit status other than 0 or 1 (a sanitizer's?)";
		else if (strstr(errtext.buf, "Sanitizer") != NULL ||
		    strstr(errtext.buf, "runtime error") != NULL)
			why = "a sanitizer report";
		else if (WEXITSTATUS(st) == 1 && errtext.len == 0)
			why = "exit 1 without a message";
		else if (WEXITSTATUS(st) == 1 && strcasestr(errtext.buf, "memory") == NULL)
			/* The inputs are good: only memory can be wrong, and the message must
			 * say so (not "syntax error" or "not a JSON object"). */
			why = "an error that does not say the memory ran out";
		if (why != NULL) {
			if (out->bad_n == 0) {
				out->bad_n = n;
				out->bad_why = xasprintf("%s; stderr: %.600s", why, errtext.buf);
			}
			sb_free(&errtext);
			return -1;
		}
	}
	if (WEXITSTATUS(st) == 0)
		out->ok++;
	else if (strstr(errtext.buf, "tfdrift: fatal: out of memory") != NULL)
		out->fatal++;
	else
		out->errors++;
	sb_free(&errtext);
	return 0;
}

int
main(int argc, char **argv)
{
	long max = 40, total, n, lim, only_n = 0;
	int all = 0, modes = 3, mode, i, c;
	size_t k;

	while ((c = getopt(argc, argv, "a1pm:n:")) != -1) {
		switch (c) {
		case 'a': all = 1; break;
		case 'n': only_n = atol(optarg); break;
		case '1': modes = 1; break;
		case 'p': modes = 2; break;
		case 'm': max = atol(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-a] [-1|-p] [-m MAX] [-n N] [ENTRY...]\n", argv[0]);
			return 2;
		}
	}
	srcdir = getenv("TOP_SRCDIR") != NULL ? getenv("TOP_SRCDIR") : ABS_TOP_SRCDIR;
	setenv("TFDRIFT_DATADIR", srcdir, 1);
	setenv("TFDRIFT_NOW", "2024-05-27T10:00:00Z", 1);
	dl_iterate_phdr(find_jsonc, NULL);
	{
		void *fr[2];

		(void)backtrace(fr, 2);         /* its one-time set-up, before anything is armed */
	}
	setup();
	diag("%s; json-c %s", TORTURE_ASAN ? "sanitizer build: only tfdrift's own allocations "
	    "fail" : "every allocation but json-c's may fail", jsonc_hi ? "found and left alone" :
	    "not found");
	for (mode = 1; mode <= 2; mode++)
	for (k = 0; k < TF_ARRLEN(entries); k++) {
		const struct entry *e = &entries[k];
		struct outcome out;
		long step;
		int chosen = optind >= argc;

		for (i = optind; i < argc; i++)
			if (strcmp(argv[i], e->name) == 0)
				chosen = 1;
		if (!chosen || !(modes & mode))
			continue;
		persistent = mode == 2;
		if (only_n > 0) {
			/* Reproduce one run here, its messages on stderr (under a debugger, say). */
			tf_fatal_hook = on_fatal;
			fail_at = only_n;
			nalloc = 0;
			armed = 1;
			c = e->run();
			armed = 0;
			printf("%s, N = %ld: %s\n", e->name, only_n, c == 0 ? "ok" : "error reported");
			continue;
		}
		/* Count: the entry with nothing failing must succeed. */
		fail_at = 0;
		nalloc = 0;
		armed = 1;
		c = e->run();
		armed = 0;
		total = nalloc;
		ok(c == 0 && total > 0, "%s, %s: runs with no failure (%ld allocations that may fail)",
		    e->name, persistent ? "persistent" : "one-shot", total);
		if (c != 0 || total == 0)
			continue;
		memset(&out, 0, sizeof out);
		/* Persistent failures end at the first one the code cannot absorb: fewer runs
		 * tell as much. */
		lim = persistent ? max / 3 : max;
		for (n = 1; n <= total && (all || n <= lim); n++)
			if (run_child(e, n, &out) != 0)
				break;
		/* Beyond the first ones, as many again spread over the rest. */
		if (!all && out.bad_n == 0 && total > lim && lim > 0) {
			step = (total - lim) / lim + 1;
			for (n = lim + step; n <= total; n += step)
				if (run_child(e, n, &out) != 0)
					break;
		}
		ok(out.bad_n == 0, "%s, %s: %ld runs failing allocation N of %ld ended cleanly "
		    "(%ld recovered, %ld reported an error, %ld fatal out of memory)", e->name,
		    persistent ? "persistent" : "one-shot", out.runs, total, out.ok, out.errors,
		    out.fatal);
		if (out.bad_n != 0)
			diag("N = %ld: %s", out.bad_n, out.bad_why);
		free(out.bad_why);
	}
	rm_tmpdir();
	free(tmpdir);
	return done_testing();
}
