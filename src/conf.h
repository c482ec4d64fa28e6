/* conf: the YAML configuration. Every option is described once in a table (name, type,
 * default, help) from which parsing, validation, `config check` and help are made; the keys
 * of sources and outputs items likewise, in sub-tables private to conf.c. */
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
	unsigned max_pages;                /* LookupEvents pages per poll; default 1000 */
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
	unsigned max_pages;                /* entries:list pages per poll; default 1000 */
	char *endpoint;                    /* Logging API base URL override, or NULL */
	int data_access;                   /* also data-access audit logs */
	int line, col;
	/* A Pub/Sub pull subscription fed by a Logging sink (collectors/pubsub.h), or NULL;
	 * with it, project: is optional and the entry reads only the subscription. */
	char *pubsub_subscription;         /* projects/P/subscriptions/S */
	char *pubsub_endpoint;             /* Pub/Sub base URL override, or NULL */
	unsigned pubsub_max_messages;      /* per pull; default 100 */
	int64_t pubsub_ack_deadline_ms;    /* an extension asks for this; default 60s */
};

/* sources.falco[]: Falco alerts (CloudTrail / gcpaudit plugins) as JSON lines. */
struct conf_falco_source {
	char *name;
	char *path;                        /* "-" (stdin), a file (tailed), "unix:/path" (listen) */
	int line, col;
};

struct conf_sources {
	struct conf_aws_source *aws;
	size_t naws;
	struct conf_gcp_source *gcp;
	size_t ngcp;
	struct strlist files;              /* globs of recorded files to replay */
	struct conf_falco_source *falco;
	size_t nfalco;
};
void conf_sources_clear(struct conf_sources *s);

/* outputs[]: where findings are delivered (notify.c). Secrets (url, hmac_secret, header
 * values) are kept twice: expanded for use, and as written (${VAR} kept) for conf_dump,
 * which never prints an expanded secret. */
enum conf_output_type { COUT_SLACK = 0, COUT_WEBHOOK, COUT_FALCO };
/* conf_output.on: what an output is sent (`on: [open, resolved]`; default open only). */
#define CONF_ON_OPEN 0x1u                  /* findings as they open (drift found) */
#define CONF_ON_RESOLVED 0x2u              /* findings as they resolve (issue 15) */
const char *conf_output_type_name(enum conf_output_type t);   /* slack webhook falco */
struct conf_output {
	char *name;
	enum conf_output_type type;
	char *url, *url_text;              /* NULL for a falco file output */
	char *file;                        /* falco: append JSON lines here; "-" is stdout */
	char *min_severity;                /* NULL: every severity */
	struct strlist kinds;              /* finding kinds; empty: all */
	struct strlist rules;              /* rule id globs; empty: any finding */
	int rate_limit;                    /* findings per minute; 0: no limit */
	unsigned on;                       /* CONF_ON_* bits, never 0; default CONF_ON_OPEN */
	struct strlist headers, headers_text;  /* "Name: value" */
	char *hmac_secret, *hmac_secret_text;  /* webhook: X-Tfdrift-Signature; NULL: none */
	int64_t timeout_ms;                /* per request; default 10s */
	int retries;                       /* after the first attempt; default 3 */
	char *dead_letter;                 /* JSON lines of what finally failed */
	int line, col;
};
void conf_outputs_clear(struct conf_output *o, size_t n);   /* frees o too */

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
	char *user;                        /* `user:` who decides (conf_user: else $USER) */
	int64_t state_refresh_ms;
	int64_t gcp_operation_hold_ms;     /* a GCP operation's last entry waits for its first */
	int64_t once_timeout_ms;           /* `watch --once`: the whole run's time limit */
	int64_t session_gap_ms;            /* dashboard: a session's findings are this close */
	struct conf_sources sources;       /* `sources:` */
	char *event_maps_default;          /* private: <datadir>/rules/events, set by conf_init */
	struct conf_output *outputs;       /* `outputs:` (notifications), in file order */
	size_t noutputs;
	struct strlist rules_dirs;         /* rule files/directories; empty: <datadir>/rules */
	struct strlist rules_disabled;     /* globs on rule ids to turn off */
	/* The dashboard's columns by default (empty: the built-in ones); `:columns` keeps its
	 * changes in the store. */
	struct strlist findings_columns, events_columns, actors_columns;
	char *metrics_listen;              /* `metrics: {listen: ADDR}`: watch --metrics; NULL off */
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
/* Load the configuration conf_find(explicit_path) names, if any, over c (which must have
 * been through conf_init), printing every error on fp. 0, or -1 after errors. */
int conf_load_report(struct conf *c, const char *explicit_path, FILE *fp);
/* The file to read: explicit, else ./tfdrift.yaml, else $XDG_CONFIG_HOME/tfdrift/config.yaml
 * (~/.config/...), else NULL (defaults only). Heap string. */
char *conf_find(const char *explicit_path);
/* Print the resolved configuration as YAML. */
void conf_dump(const struct conf *c, FILE *fp);
const char *conf_event_maps_dir(const struct conf *c);   /* resolved directory */
/* Who decisions are made as: `user:`, else $USER (tf_current_user). */
const char *conf_user(const struct conf *c);

#endif
