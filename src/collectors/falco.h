/* falco: Falco alerts as an event source. Falco's JSON output (one object per line: time,
 * rule, priority, output, output_fields) from the CloudTrail plugin (ct.* fields) or the
 * gcpaudit plugin (gcp.* fields) becomes struct event: the whole record when the alert
 * carries it (json.obj / jevt.obj of the json plugin, e.g. through Falco's append_output),
 * else a CloudTrail record / LogEntry rebuilt from the fields (ct.request and ct.response
 * are the raw request parameters and response elements; gcp.request the raw request).
 * Alerts of other sources (syscall rules) are counted and skipped; malformed lines are
 * counted and reported with their line number. Read from stdin ("-"), a file (tailed), or a
 * unix socket ("unix:/path": listens; each connection streams JSON lines). */
#ifndef TFDRIFT_COLLECTORS_FALCO_H
#define TFDRIFT_COLLECTORS_FALCO_H

#include <stdint.h>
#include <json-c/json.h>

#include "engine.h"

/* One alert -> *ev: 1 an event, 0 not a cloud audit alert (skipped), -1 a cloud alert that
 * cannot be used (*why says why: a static string). */
int falco_alert_to_event(json_object *alert, struct event *ev, const char **why);

struct falco_counters {
	uint64_t lines, alerts, events, skipped, malformed;
};

/* Parse one line (no newline) of Falco output labelled `where` ("alerts.json:12") into *ev;
 * 1 event, 0 nothing (blank line or skipped alert), -1 malformed (*msg: heap message with
 * `where`). Counts into c. */
int falco_line(const char *line, size_t len, const char *where, struct event *ev,
    struct falco_counters *c, char **msg);

/* A collector over `path`: "-", a file, or "unix:/path/to/socket". */
struct collector *falco_collector_new(const char *name, const char *path);

#endif
