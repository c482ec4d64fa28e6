/* event: one normalized audit event for both clouds, and readers that sniff and stream
 * CloudTrail / Cloud Logging inputs into it. Collectors produce events; they never decide drift. */
#ifndef TFDRIFT_EVENT_H
#define TFDRIFT_EVENT_H

#include <stdint.h>
#include <json-c/json.h>

enum tf_provider { PROV_UNKNOWN = 0, PROV_AWS, PROV_GCP };
const char *tf_provider_name(enum tf_provider p);      /* "aws" | "gcp" | "unknown" */

/* How a change was made. */
enum tf_via { VIA_UNKNOWN = 0, VIA_CONSOLE, VIA_CLI, VIA_SDK, VIA_TERRAFORM, VIA_SERVICE };
const char *tf_via_name(enum tf_via v);                /* "console" "cli" "sdk" "terraform" "service" "unknown" */

struct actor {
	char *principal;   /* ARN / principalEmail / principalSubject: the full identity */
	char *name;        /* the person or thing: bob@corp.example, alice, sa@p.iam.gserviceaccount.com */
	char *type;        /* IAMUser AssumedRole Root FederatedUser IdentityCenterUser AWSService
	                      ServiceAccount User ... (provider's word where it has one) */
	char *role;        /* AssumedRole: role name (sessionIssuer.userName); NULL otherwise */
	char *session;     /* AssumedRole session name; NULL otherwise */
	char *account;     /* AWS account id of the identity / GCP project of a service account */
	char *invoked_by;  /* userIdentity.invokedBy (AWS) */
	char *delegation;  /* GCP serviceAccountDelegationInfo chain, "a -> b", or NULL */
	enum tf_via via;
};

struct event {
	enum tf_provider provider;
	char *id;            /* eventID / insertId (dedup key) */
	int64_t time_ms;     /* event time, ms since epoch UTC; 0 when unknown */
	char *source;        /* eventSource / serviceName: ec2.amazonaws.com, compute.googleapis.com */
	char *name;          /* eventName / methodName as logged (v1.compute.instances.insert) */
	char *region;        /* awsRegion / resource location or zone-derived region; may be NULL */
	char *account;       /* recipientAccountId|userIdentity.accountId / project id */
	struct actor actor;
	char *source_ip;
	char *user_agent;
	int read_only;       /* 1 read-only, 0 write, -1 not stated in the record */
	char *error_code;    /* NULL when the call succeeded (GCP: status.code as text) */
	char *error_message;
	char *resource_name; /* GCP protoPayload.resourceName; NULL for AWS */
	char *operation_id;  /* GCP operation.id; NULL otherwise */
	int op_first, op_last;
	char *event_type;    /* AWS eventType (AwsApiCall...); GCP log id (activity, data_access...) */
	/* The record the event maps' paths apply to: the CloudTrail record, or GCP protoPayload.
	 * `raw` owns a reference; `record` points inside it. */
	json_object *raw;
	json_object *record;
	char *origin;        /* where it came from: "file.json#17" (record index) or "file.jsonl:42" */
	/* Strings and keys of the record that were not valid UTF-8 or held a NUL, repaired
	 * with U+FFFD when the record was read (text.h): every consumer sees valid text. */
	unsigned repaired;
};

void event_free(struct event *ev);
/* Copies that own every string. event_clone shares the JSON (a reference): for use on the
 * same thread. event_clone_deep copies it too, so the copy can go to another thread
 * (json-c's reference counts are not atomic). */
void event_clone(struct event *dst, const struct event *src);
void event_clone_deep(struct event *dst, const struct event *src);
void actor_copy(struct actor *dst, const struct actor *src);   /* deep copy */
void actor_clear(struct actor *a);                              /* frees and zeroes */
/* {principal, name, type, account, role, session, via[, invoked_by][, delegation]}: role and
 * session are null when the identity has none. A new object. */
json_object *actor_to_json(const struct actor *a);
/* Fill an event from a parsed CloudTrail record / GCP LogEntry. Takes a reference to `obj`
 * (the caller keeps its own), whose strings and keys that are not valid UTF-8 (or hold a
 * NUL) are repaired in place with U+FFFD first (ev->repaired counts them). Returns 0, or -1 with *why set to a static reason when the
 * object is not an audit event of either cloud (reshaped records, non-AuditLog entries). */
int event_from_cloudtrail(json_object *obj, struct event *ev, const char **why);
int event_from_logentry(json_object *obj, struct event *ev, const char **why);
/* Either: sniffs the shape of one record. */
int event_from_json(json_object *obj, struct event *ev, const char **why);

/* Resolve actor fields and `via` (called by the from_* functions; exposed for tests). */
void actor_resolve_aws(json_object *user_identity, json_object *record, struct actor *a);
void actor_resolve_gcp(json_object *auth_info, const char *user_agent, struct actor *a);
enum tf_via via_from_user_agent(enum tf_provider p, const char *ua);

/* GCP names as the Terraform provider writes ids (event_gcp.c). What the entry does not say
 * comes from the state through these callbacks (either may be NULL; each returns a new string
 * or NULL): project_id(ctx, NUMBER) is the id of the project with that number (google_project
 * .number); service_account(ctx, UNIQUE_ID or EMAIL) the id of that google_service_account,
 * "projects/P/serviceAccounts/EMAIL". */
struct gcp_names {
	char *(*project_id)(void *ctx, const char *number);
	char *(*service_account)(void *ctx, const char *key);
	void *ctx;
};
/* "projects/NUMBER/..." with the project id, "projects/-/serviceAccounts/UNIQUE_ID[/...]" as
 * "projects/P/serviceAccounts/EMAIL[/...]"; NULL when nothing changes or nothing is known. */
char *gcp_name_normalize(const struct event *ev, const char *name, const struct gcp_names *r);
/* An IAM member as the provider keeps it: emails after user:/group:/serviceAccount:/domain:
 * lower-cased (NormalizeIamPrincipalCasing). A new string. */
char *gcp_iam_member_normalize(const char *member);

/* Input formats, sniffed from the first bytes (and the first record). */
enum ev_format {
	EVF_UNKNOWN = 0,
	EVF_CT_RECORDS,     /* {"Records":[...]} */
	EVF_LOOKUP,         /* LookupEvents response {"Events":[{"CloudTrailEvent":"..."}]} */
	EVF_GCP_ENTRIES,    /* entries.list response {"entries":[...]} */
	EVF_JSON_ARRAY,     /* [ record, ... ] of any kind */
	EVF_JSON_LINES,     /* one record per line, any kind */
	EVF_SINGLE,         /* one object: a record, an EventBridge envelope, a LogEntry */
};
const char *ev_format_name(enum ev_format f);

struct ev_counters {
	uint64_t records;    /* objects seen */
	uint64_t events;     /* audit events produced */
	uint64_t skipped;    /* not audit events (counted, not fatal) */
	uint64_t malformed;  /* unparseable lines/records (counted, not fatal) */
	uint64_t repaired;   /* events whose text was repaired (struct event's repaired) */
};

/* A streaming reader over one input (path, .gz, or "-" for stdin). */
struct ev_reader;
struct ev_reader *ev_reader_open(const char *path, char **err);
/* Readers over a memory buffer (copied). `name` labels origins and messages. */
struct ev_reader *ev_reader_open_mem(const char *name, const char *buf, size_t len, char **err);
/* Returns 1 and fills *ev (caller frees with event_free; it shares no JSON with the reader,
 * so another thread may free it), 0 at end, -1 on a fatal input error
 * (*err: "file:line:column: what to do"). Per-record problems are counted and reported through
 * the warn callback, not fatal. */
int ev_reader_next(struct ev_reader *r, struct event *ev, char **err);
/* Fast path: when set, records that are cheaply recognisable as read-only are skipped before a
 * full parse, and counted (ev_reader_skipped_read_only). */
void ev_reader_set_skip_read_only(struct ev_reader *r, int on);
uint64_t ev_reader_skipped_read_only(const struct ev_reader *r);
/* The caller's time window (ms, inclusive; default everything): of the read-only records
 * skipped, those with an event time outside it are counted apart as well (a caller that
 * counts out-of-window events before read-only ones, as scan does, gets the same counts
 * with the fast path as without). */
void ev_reader_set_window(struct ev_reader *r, int64_t since, int64_t until);
uint64_t ev_reader_skipped_read_only_outside(const struct ev_reader *r);
enum ev_format ev_reader_format(const struct ev_reader *r);
/* How far through its input the reader is, 0..1 (records of a parsed document, else bytes of
 * the file); -1 when unknown (stdin). For progress bars. */
double ev_reader_progress(const struct ev_reader *r);
/* fn(ctx) runs before each read of the input (which may block on a pipe), so a streaming
 * consumer can hand over what it has first. */
void ev_reader_set_before_read(struct ev_reader *r, void (*fn)(void *ctx), void *ctx);
const struct ev_counters *ev_reader_counters(const struct ev_reader *r);
/* Per-record problems (malformed line, non-audit record) are reported here as
 * "file:line[:column]: what" (default: none; counters always count). */
void ev_reader_set_warn(struct ev_reader *r, void (*fn)(void *ctx, const char *msg), void *ctx);
/* The commands' warn callback: "tfdrift: warning: MSG" on stderr (control characters
 * escaped), the first EV_WARN_SHOWN of a file, all counted; ev_warn_stderr_done then says how
 * many were not shown. ctx is a struct ev_warn_stderr, zeroed per file. */
#define EV_WARN_SHOWN 20
struct ev_warn_stderr {
	unsigned long n;
	int quiet;
};
void ev_warn_stderr(void *ctx, const char *msg);
void ev_warn_stderr_done(const struct ev_warn_stderr *w, const char *file);
void ev_reader_close(struct ev_reader *r);

#endif
