/* coverage: what the event maps watch (`tfdrift rules coverage`): per service, the events
 * and the resource types they touch and which attributes are compared. */
#ifndef TFDRIFT_COVERAGE_H
#define TFDRIFT_COVERAGE_H

#include <stdio.h>
#include <json-c/json.h>
#include "eventmap.h"

enum cov_format { COV_TEXT = 0, COV_JSON, COV_TSV };
/* "text" | "json" | "tsv"; 0, or -1 for anything else. */
int cov_format_parse(const char *s, enum cov_format *f);

/* Does service (an entry's, NULL = any) pass the filter `only` (NULL = all): the name itself,
 * or its part before a dot ("ec2" for ec2.amazonaws.com)? */
int cov_service_match(const char *service, const char *only);

/*
 * The coverage of m as a new object:
 *   {"services": [{"provider", "service", "files": [...], "events": N,
 *                  "resources": [{"type", "events": [{"event", "aliases": [...], "action",
 *                                 "covered_by": bool}],
 *                                 "attributes": [{"name", "sensitive", "computed"}]}]}],
 *    "totals": {"entries", "event_names", "services", "resource_types", "attributes"}}
 * (totals.attributes: the (service, type, attribute) triples compared, computed ones not)
 * Services sorted by provider and name; resources, events and attributes in map order. A
 * covered_by resource is listed with the events that may take it (covered_by: true). `only`,
 * when not NULL, keeps the services whose name is it or starts with it and a dot ("ec2").
 */
json_object *eventmap_coverage(const struct eventmap *m, const char *only);
/* Write it: text (a block per service), json (the object above) or tsv (one line per entry:
 * provider, event, resource, attributes comma-separated or "-", as
 * tests/data/eventmaps-coverage.tsv). */
void eventmap_coverage_write(const struct eventmap *m, const char *only, enum cov_format f,
    FILE *fp);

#endif
