/* idset: a bounded set of ids (event ids, insertIds, operation ids) for deduplication in a
 * long-running process.
 *
 * An id is kept as its 64-bit hash (tf_hash_str; two distinct ids collide with probability
 * about n²/2⁶⁵: one in 30 million for a full set of 2²⁰) and the time it belongs to (the
 * caller's unit: seconds, ns...). Entries sit in a ring in insertion order, found through an
 * open-addressing table of ring positions.
 *
 * Memory is bounded by the capacity given at creation, whatever the input rate: the ring and
 * the table grow by doubling as ids come, up to the capacity, and never beyond (at most
 * TF_IDSET_BYTES(cap): 16 bytes of ring and at most 16 of table per id, 32 MiB for the
 * default 2²⁰ ids). Two things take ids out:
 *  - expiry (tf_idset_expire): the ids inserted first go while their time is before the
 *    limit the caller gives (its dedup window: the overlap a poller re-reads). Insertion
 *    order is time order for an input read oldest first; an id inserted out of order waits
 *    behind the ones inserted before it (and never outlives the capacity);
 *  - the capacity: adding to a full set evicts the oldest-inserted id first (counted in
 *    evicted). A duplicate of an evicted id is then not recognised here and passes on (the
 *    store keeps findings by id, so it does not make a second finding).
 * So a day of events at 1,000/s (86.4 million ids) goes through a fixed 32 MiB: the set
 * holds the last 2²⁰ ids (about 17 minutes at that rate), or fewer when the window is
 * shorter. tf_idset_filter keeps the ids a predicate accepts (a poller whose window is not a
 * single limit).
 *
 * Not thread-safe: one owner thread. */
#ifndef TFDRIFT_IDSET_H
#define TFDRIFT_IDSET_H

#include <stddef.h>
#include <stdint.h>

#define TF_IDSET_DEFAULT_CAP ((size_t)1 << 20)
/* The most a set of capacity cap allocates (ring + table), in bytes. */
#define TF_IDSET_BYTES(cap) ((size_t)(cap) * 32)

struct tf_idset;

/* def, unless the environment sets TFDRIFT_DEDUP_IDS (a positive count): the capacity the
 * dedup sets of a process get, so an operator can trade memory for a longer memory. */
size_t tf_idset_cap_for(size_t def);
struct tf_idset *tf_idset_new(size_t cap);
void tf_idset_free(struct tf_idset *s);
/* Add h at time t: 1 when h was there already (its time is kept), else 0 (added, evicting
 * the oldest when full). */
int tf_idset_add(struct tf_idset *s, uint64_t h, int64_t t);
int tf_idset_has(const struct tf_idset *s, uint64_t h);
/* Remove the oldest-inserted ids while their time is < before; returns how many. */
size_t tf_idset_expire(struct tf_idset *s, int64_t before);
/* Keep only the ids keep() accepts (order kept); returns how many went. */
size_t tf_idset_filter(struct tf_idset *s, int (*keep)(void *ctx, uint64_t h, int64_t t),
    void *ctx);
void tf_idset_clear(struct tf_idset *s);
size_t tf_idset_count(const struct tf_idset *s);
size_t tf_idset_cap(const struct tf_idset *s);
/* Ids evicted by the capacity so far. */
uint64_t tf_idset_evicted(const struct tf_idset *s);
/* Bytes allocated now (≤ TF_IDSET_BYTES(cap)). */
size_t tf_idset_bytes(const struct tf_idset *s);
/* The i-th id, oldest-inserted first (i < count). */
void tf_idset_get(const struct tf_idset *s, size_t i, uint64_t *h, int64_t *t);

/* An id's hash as a cursor keeps it (16 lower-case hex digits), and back: 0, or -1 when s
 * is not one. */
void tf_idset_hex(uint64_t h, char out[17]);
int tf_idset_parse_hex(const char *s, uint64_t *h);

#endif
