/* jpath: dotted paths into json-c objects, compiled once at load, evaluated without allocation.
 * Syntax: "requestParameters.instancesSet.items[].instanceId"  ([] = every element),
 *         "request.networkInterfaces[0].accessConfigs"         ([N] = one element),
 *         "a.\"odd.key\".b"                                     (quoted key with dots). */
#ifndef TFDRIFT_JPATH_H
#define TFDRIFT_JPATH_H

#include <stddef.h>
#include <json-c/json.h>

struct jpath;
struct jpath *jpath_compile(const char *expr, char **err);
void jpath_free(struct jpath *p);
const char *jpath_expr(const struct jpath *p);
int jpath_is_multi(const struct jpath *p);         /* contains [] */
/* First match (borrowed), or NULL. A JSON null counts as absent. */
json_object *jpath_get(const struct jpath *p, json_object *root);
/* Every match (borrowed) in document order; returns the total count (may exceed max). */
size_t jpath_all(const struct jpath *p, json_object *root, json_object **out, size_t max);
/* Merge into dst (taken; a new object when NULL) what p selects in src, as deep copies, with
 * the objects and arrays on the way (arrays keep their length, the other elements null), so
 * that p selects the same values in the result; with mask the selected values become the
 * string "(sensitive)" instead. Returns the result (owned). A record reduced to what the event
 * maps read is made this way (eventmap_seen_record). */
json_object *jpath_copy(const struct jpath *p, json_object *src, json_object *dst, int mask);
/* `each` paths (event maps): does p end in its only "[]" (a list whose elements are taken one
 * at a time)? */
int jpath_is_each(const struct jpath *p);
/* root with the list p (a jpath_is_each path) holding `elem` alone: the objects and arrays on
 * the way are new (shallow copies), everything else is shared (a reference). Every path through
 * the list then sees that one element. A new reference; root itself (a new reference) when the
 * path does not reach an array. Same thread only (json-c's reference counts). */
json_object *jpath_narrow(const struct jpath *p, json_object *root, json_object *elem);
/* Convenience for code: evaluate an uncompiled simple dotted path (no [] support). */
json_object *json_get_path(json_object *root, const char *dotted);
/* String value (borrowed from json-c) of a string/number/bool at a dotted path, or NULL. */
const char *json_get_str(json_object *root, const char *dotted);

#endif
