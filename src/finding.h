/* finding: a drift finding (the export contract of ARCHITECTURE.md) and its JSON form. */
#ifndef TFDRIFT_FINDING_H
#define TFDRIFT_FINDING_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "event.h"

enum finding_kind { FK_MODIFIED = 0, FK_UNMANAGED, FK_DELETED, FK_FREEZE_VIOLATION, FK__COUNT };
enum severity { SEV_INFO = 0, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL, SEV__COUNT };
/* resolved: the drift is gone (struct resolution says how); it outranks triage. */
enum finding_status { ST_OPEN = 0, ST_ACKNOWLEDGED, ST_SUPPRESSED, ST_RESOLVED, ST__COUNT };
/* Why a finding resolved (JSON: the snake_case names). */
enum resolution_reason {
	RR_REVERTED_BY_TERRAFORM = 0,   /* a later event by the Terraform pipeline set it back */
	RR_REVERTED_BY_HAND,            /* a later event by anyone else set it back */
	RR_ACCEPTED_IN_STATE,           /* a newer state (same lineage) holds the new value */
	RR_RESOURCE_GONE,               /* Terraform destroyed it, or a newer state lacks it */
	RR__COUNT
};
enum change_kind { CH_MODIFIED = 0, CH_ADDED, CH_REMOVED };

const char *finding_kind_name(enum finding_kind k);
const char *severity_name(enum severity s);
int severity_parse(const char *s, enum severity *out);   /* 0 ok */
const char *finding_status_name(enum finding_status s);
int finding_status_parse(const char *s, enum finding_status *out);   /* 0 ok */
const char *resolution_reason_name(enum resolution_reason r);
int resolution_reason_parse(const char *s, enum resolution_reason *out);   /* 0 ok */
const char *change_kind_name(enum change_kind c);

struct change {
	char *attribute;
	json_object *old_val;   /* owned; NULL = absent (JSON null in output) */
	json_object *new_val;   /* owned */
	enum change_kind change;
	int sensitive;          /* values print as "(sensitive)" everywhere */
	int unknown_new;        /* the log does not carry the new value (user data) */
};

struct finding_rule {
	char *id, *name;
	enum severity severity;
	char **remediation;     /* the rule's steps, in order */
	size_t nremediation;
	char *runbook;          /* link, or NULL */
};

/* How many managed resources depend on a finding's resource (state `dependencies`). */
struct blast_radius {
	size_t direct, total;   /* directly; directly or through others */
	char **top;             /* a few dependent addresses, direct ones first */
	size_t ntop;
};

/* An earlier finding on the same resource (the store's history). */
struct finding_history {
	int64_t time_ms;        /* its event's time */
	enum finding_kind kind;
	char *event;            /* event name */
	char *actor;            /* actor name or principal */
	char *finding_id;
};

struct triage {
	char *by, *note;
	int64_t at_ms, until_ms;  /* until 0 = none */
};

/* What closed a finding. JSON: "resolution": {"reason", "at", "event": {"id", "name"} or
 * null, "actor": {principal, name, type, account, via[, role, session]} or null[, "state":
 * {"path", "serial"}]}. */
struct resolution {
	enum resolution_reason reason;
	int64_t at_ms;          /* the resolving event's time, else the resolving state's */
	char *event_id, *event_name;    /* NULL when a state resolved it */
	int has_actor;          /* actor is set (an event resolved it) */
	struct actor actor;     /* deep copy */
	/* The state that resolved it (a newer one): where it was read and its serial; NULL
	 * when an event did. JSON: "state": {"path", "serial"}, absent when NULL. */
	char *state_path;
	uint64_t state_serial;
};

struct finding {
	char id[33];            /* stable: sha256(event id, resource, kind) prefix */
	enum finding_kind kind;
	enum severity severity;
	enum finding_status status;
	enum tf_provider provider;
	/* resource */
	char *address;          /* NULL for unmanaged */
	char *type;
	char *resource_id;
	char *module;
	char *state_source;
	/* The state the finding was decided against (its lineage and serial), so that a newer
	 * state of the same lineage can accept it (accepted_in_state). Not in the JSON: the store
	 * keeps them in columns. NULL / 0 when no state manages the resource. */
	char *state_lineage;
	uint64_t state_serial;
	/* what changed */
	struct change *changes;
	size_t nchanges;
	char *summary;          /* one line for lists: "instance_type t3.micro → t3.large" */
	/* who, from the event */
	struct actor actor;     /* deep copy */
	char *source_ip, *user_agent;
	char *event_id, *event_name, *event_source, *region, *account, *event_origin;
	int64_t event_time_ms;
	struct finding_rule *rules;
	size_t nrules;
	struct triage *triage;  /* NULL unless acknowledged or suppressed (kept when resolved) */
	struct resolution *resolution;  /* NULL unless status is ST_RESOLVED */
	/* The change-freeze window the event fell in (freeze_violation; drift raised one
	 * severity step by it); NULL name when none. JSON: "freeze": {name, start, end}. */
	char *freeze_name;
	int64_t freeze_start_ms, freeze_end_ms;
	/* Context (src/enrich.c): the managed resource's tags/labels (a JSON object of strings,
	 * owned; sensitive values masked; NULL none), its blast radius, earlier findings on it,
	 * and the command that reverts or imports it (NULL none). */
	json_object *tags;
	struct blast_radius *blast;     /* NULL unless computed */
	struct finding_history *history;
	size_t nhistory;
	char *fix;
};

void finding_free(struct finding *f);       /* frees contents and f */
/* qsort order of struct finding *: oldest event first, ties by id. */
int finding_time_cmp(const void *a, const void *b);
/* A deep copy (through the JSON form, so masked values stay masked: NULL with the sensitive
 * flag), with what the JSON does not carry (event_origin, unknown_new, the state's lineage and
 * serial) copied too. NULL in the unexpected case that the JSON form does not read back. */
struct finding *finding_dup(const struct finding *f);
void finding_blast_free(struct blast_radius *b);
void finding_history_clear(struct finding *f);   /* frees f->history, sets nhistory 0 */
/* Mark f resolved (status ST_RESOLVED) by an event (ev: its id, name, time and actor) or, ev
 * NULL, by a state read at at_ms. Replaces an earlier resolution. */
void finding_resolve(struct finding *f, enum resolution_reason why, const struct event *ev,
    int64_t at_ms);
void finding_resolution_free(struct resolution *r);
/* From event id + address|resource id + kind; a freeze_violation: event id + window + kind. */
void finding_set_id(struct finding *f);
/* The id `terraform import` takes for an unmanaged finding's resource: the Google provider's
 * IAM members and bindings (ids RESOURCE/ROLE/MEMBER, RESOURCE/ROLE) import as
 * "RESOURCE ROLE MEMBER" / "RESOURCE ROLE"; anything else by its id. A new string, or NULL
 * without an id. */
char *finding_import_id(const struct finding *f);
void finding_add_change(struct finding *f, const char *attr, json_object *old_val,
    json_object *new_val, enum change_kind ck, int sensitive);   /* takes the references */
/* A value as summaries show it, cut past 48 bytes with "..." (heap): "(sensitive)" when
 * sensitive, "(none)" for NULL. */
char *finding_value_text(json_object *v, int sensitive);
/* Build f->summary from the changes (sensitive values never appear). */
void finding_summarize(struct finding *f);
/* The finding object of the findings schema (tfdrift.findings/v1); every string in it is
 * valid UTF-8 (text.h). */
json_object *finding_to_json(const struct finding *f);
/* The inverse of finding_to_json: finding_to_json(finding_from_json(finding_to_json(f))) is
 * byte-identical to finding_to_json(f). Masked (sensitive) values come back as NULL with the
 * sensitive flag set; event_origin and unknown_new are not in the JSON and stay unset.
 * Returns a new finding, or NULL with *err naming the member that is wrong. */
struct finding *finding_from_json(json_object *o, char **err);
/* Parts of finding_to_json, as stores keep them apart: the "resolution" object, and reading
 * it back into f (replacing f->resolution; 0, or -1 with *err); reading a "changes" array
 * into f's changes (appended). */
json_object *finding_resolution_to_json(const struct resolution *r);
/* a and b make the same finding_resolution_to_json (every member it writes is equal). */
int finding_resolution_same(const struct resolution *a, const struct resolution *b);
int finding_resolution_from_json(struct finding *f, json_object *ro, char **err);
int finding_changes_from_json(struct finding *f, json_object *arr, char **err);

/* A growable list of findings. */
struct finding_list {
	struct finding **v;
	size_t n, cap;
};
void finding_list_push(struct finding_list *l, struct finding *f);
void finding_list_clear(struct finding_list *l);   /* frees the findings */

#endif
