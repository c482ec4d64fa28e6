/* conf: the YAML configuration. Every option is described once in a table (name, type,
 * default, help) from which parsing, validation, `config check` and help are made. */
#ifndef TFDRIFT_CONF_H
#define TFDRIFT_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct strlist {
	char **v;
	size_t n;
};
void strlist_push(struct strlist *l, const char *s);
void strlist_clear(struct strlist *l);

struct freeze_window;                  /* freeze.h */

/* sources.aws[]: CloudTrail LookupEvents per region (us-east-1 carries IAM, STS and other
 * global events), and/or an SQS queue of EventBridge messages or S3 log notifications. */
struct conf_aws_source {
	char *name;                        /* label; keys the cursors */
	char *profile;                     /* NULL: the default credential chain */
	struct strlist regions;
	int64_t poll_interval_ms;          /* default 60s, at least 1s */
	int64_t lookback_ms;               /* first poll (and after downtime); default 15m */
	char *endpoint;                    /* CloudTrail base URL override, or NULL */
	char *sqs_queue;                   /* queue URL, or NULL */
	char *sqs_region;                  /* from the queue URL unless given */
	char *sqs_endpoint, *s3_endpoint;  /* overrides, or NULL */
	int line, col;                     /* where it was configured */
};

/* sources.gcp[]: Cloud Logging entries:list per project. */
struct conf_gcp_source {
	char *name;
	char *project;
	int64_t poll_interval_ms;          /* default 30s */
	int64_t lookback_ms;               /* default 15m */
	char *endpoint;                    /* Logging API base URL override, or NULL */
	int data_access;                   /* also data-access audit logs */
	int line, col;
};

struct conf_sources {
	struct conf_aws_source *aws;
	size_t naws;
	struct conf_gcp_source *gcp;
	size_t ngcp;
	struct strlist files;              /* globs of recorded files to replay */
};
void conf_sources_clear(struct conf_sources *s);

struct conf {
	char *path;                        /* the file read, or NULL for built-in defaults */
	struct strlist states;             /* state sources */
	struct strlist events;             /* recorded event files */
	struct strlist terraform_user_agents;  /* substrings marking the Terraform pipeline */
	struct strlist pipeline_principals;    /* globs on principal/name: also the pipeline */
	struct strlist service_principals;     /* globs on principal/name/invokedBy: cloud services */
	char *event_maps;                  /* directory of event maps; default <datadir>/rules/events */
	char *severity_modified;
	char *severity_unmanaged;
	char *severity_deleted;
	char *severity_freeze;             /* of a freeze_violation finding */
	struct freeze_window *freezes;     /* `freeze_windows:`, in file order */
	size_t nfreezes;
	char *store;                       /* SQLite store path */
	char *theme;
	int64_t state_refresh_ms;
	struct conf_sources sources;       /* `sources:` */
	char *event_maps_default;          /* private: <datadir>/rules/events, set by conf_init */
};

/* CT_FREEZE_WINDOWS: a list of mappings {name, start, end, accounts, projects, regions,
 * resource_types} into c->freezes / c->nfreezes (one option has this type). */
enum conf_type { CT_STRING, CT_STRING_LIST, CT_SEVERITY, CT_DURATION, CT_PATH,
	CT_FREEZE_WINDOWS };

struct conf_option {
	const char *name;
	enum conf_type type;
	const char *def;        /* default as text (lists: comma-separated) */
	const char *help;
	size_t offset;          /* into struct conf */
};
const struct conf_option *conf_options(size_t *n);

void conf_init(struct conf *c);          /* built-in defaults */
void conf_free(struct conf *c);
/* Load a YAML file over the defaults (c must have been through conf_init). Returns 0, or -1
 * with every error collected in *errs as "file:line:column: what" (unknown keys, wrong
 * types, bad durations/severities, unset ${VAR}); on -1, c holds the defaults plus the
 * values that were valid. Scalars expand ${VAR} and ${VAR:-default}; $${ is a literal ${. */
int conf_load(struct conf *c, const char *path, char ***errs, size_t *nerrs);
int conf_load_mem(struct conf *c, const char *name, const char *buf, size_t len,
    char ***errs, size_t *nerrs);
/* The file to read: explicit, else ./tfdrift.yaml, else $XDG_CONFIG_HOME/tfdrift/config.yaml
 * (~/.config/...), else NULL (defaults only). Heap string. */
char *conf_find(const char *explicit_path);
/* Print the resolved configuration as YAML. */
void conf_dump(const struct conf *c, FILE *fp);
const char *conf_event_maps_dir(const struct conf *c);   /* resolved directory */

#endif
