/* compact: the dashboard's findings in little memory (main thread only).
 *
 * A finding as the detector or the store makes it is a struct with some thirty separate
 * heap strings and a json-c tree per change value: about 2.6 KB for a typical one, most of
 * it malloc headers, json-c objects and copies of the same few actors, types, regions and
 * user agents. The model keeps instead a compact finding:
 *   - strings that repeat across findings (types, modules, state sources, actors, event
 *     names and sources, regions, accounts, user agents, rules, change attributes) are
 *     interned once in a strpool and borrowed by every finding that has them;
 *   - the strings of its own (address, resource id, event id, summary) sit in one
 *     allocation with the struct; equal rule arrays are kept once in the pool;
 *   - the changes (their values are json-c trees, the bulk) and the tags are kept as a
 *     compact JSON text in that allocation, and made again on demand (compact_load) for
 *     the few findings a view shows in full (the detail pane, a resource's net diff, a
 *     copy as JSON, an export); compact_unload drops them again.
 * Triage, resolution, freeze window name, blast radius, history and fix stay ordinary heap
 * members, so the code that sets them (store_triage_apply, enrich) works unchanged.
 *
 * A compact finding is a struct finding for every reader, except that its changes array
 * and tags are NULL until loaded (nchanges says how many there are): a reader of those
 * loads it first. It must be freed with compact_free (never finding_free), and its pooled
 * or inline strings never freed or replaced on their own. */
#ifndef TFDRIFT_UI_COMPACT_H
#define TFDRIFT_UI_COMPACT_H

#include <stddef.h>
#include <stdint.h>
#include "finding.h"

/* Interned strings: each kept once, for the pool's life, in large chunks (no malloc per
 * string). Each has a number (0, 1, ... in the order first interned). */
struct strpool {
	char **chunks;
	size_t nchunks;
	char *cur;
	size_t left;
	const char **slot;              /* open addressing by hash; NULL empty */
	size_t cap, n;
	const char **byid;              /* the strings by number */
	size_t byid_cap;
	/* Rule arrays, kept once per distinct content: by the number of the interned string
	 * that names the content (NULL: none made for it). */
	struct finding_rule **rules;
	size_t rules_cap;
	size_t bytes;                   /* chunk bytes taken */
};

void strpool_free(struct strpool *p);
/* s kept once (NULL stays NULL). */
const char *strpool_intern(struct strpool *p, const char *s);
/* The number of a string strpool_intern returned. */
static inline uint32_t
strpool_id(const char *interned)
{
	uint32_t id;

	__builtin_memcpy(&id, interned - sizeof id, sizeof id);
	return id;
}

/* A compact copy of f, which is freed (taken). */
struct finding *compact_make(struct strpool *p, struct finding *f);
void compact_free(struct finding *f);
/* Make the changes and the tags of the finding again (no-op when loaded or when it has
 * none); p is the pool it was made with. 0, or -1 when its text does not parse (cannot
 * happen short of memory damage: they then stay NULL). */
int compact_load(const struct strpool *p, struct finding *f);
int compact_loaded(const struct finding *f);
void compact_unload(struct finding *f);

#endif
