/* evlog: a bounded ring of event summaries. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"
#include "util.h"

void
evlog_init(struct evlog *l, size_t cap)
{
	memset(l, 0, sizeof *l);
	l->cap = cap > 0 ? cap : 1;
	l->raw_budget = 64u << 20;      /* raw records: the newest 64 MB */
}

void
evlog_free(struct evlog *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ui_event_free(&l->v[(l->head + i) % l->cap]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

void
evlog_add(struct evlog *l, struct ui_event *e)
{
	size_t slot;

	if (l->v == NULL)
		l->v = xcalloc(l->cap, sizeof *l->v);
	if (l->n == l->cap) {
		/* Full: the oldest goes. */
		if (l->v[l->head].raw != NULL)
			l->raw_bytes -= strlen(l->v[l->head].raw);
		ui_event_free(&l->v[l->head]);
		slot = l->head;
		l->head = (l->head + 1) % l->cap;
		l->dropped++;
	} else
		slot = (l->head + l->n++) % l->cap;
	l->v[slot] = *e;
	l->v[slot].seq = l->total;
	memset(e, 0, sizeof *e);
	if (l->v[slot].why < ND__COUNT)
		l->by_why[l->v[slot].why]++;
	l->total++;
	l->gen++;
	if (l->v[slot].raw != NULL)
		l->raw_bytes += strlen(l->v[slot].raw);
	/* Over budget: the oldest records give up their raw text. */
	while (l->raw_bytes > l->raw_budget && l->raw_from < l->total) {
		struct ui_event *old = (struct ui_event *)evlog_seq(l, l->raw_from++);

		if (old != NULL && old->raw != NULL) {
			l->raw_bytes -= strlen(old->raw);
			free(old->raw);
			old->raw = NULL;
		}
	}
}

const struct ui_event *
evlog_at(const struct evlog *l, size_t i)
{
	return i < l->n ? &l->v[(l->head + i) % l->cap] : NULL;
}

const struct ui_event *
evlog_newest(const struct evlog *l, size_t i)
{
	return i < l->n ? evlog_at(l, l->n - 1 - i) : NULL;
}

uint64_t
evlog_first_seq(const struct evlog *l)
{
	return l->total - l->n;
}

const struct ui_event *
evlog_seq(const struct evlog *l, uint64_t seq)
{
	uint64_t first = l->total - l->n;

	if (seq < first || seq >= l->total)
		return NULL;
	return evlog_at(l, (size_t)(seq - first));
}

void
evlog_outcome(const struct ui_event *e, char *out, size_t len)
{
	switch (e->why) {
	case ND_DRIFT:
		snprintf(out, len, "drift: %u finding%s", e->nfindings, e->nfindings == 1 ? "" : "s");
		break;
	case ND_FAILED:
		snprintf(out, len, "failed: %s", e->error != NULL ? e->error : "error");
		break;
	case ND_TERRAFORM: snprintf(out, len, "terraform pipeline"); break;
	case ND_SERVICE: snprintf(out, len, "cloud service"); break;
	case ND_NOT_COVERED: snprintf(out, len, "no event map"); break;
	case ND_EQUAL: snprintf(out, len, "equal to state"); break;
	case ND_NOT_MANAGED: snprintf(out, len, "not managed"); break;
	case ND_NO_ID: snprintf(out, len, "no resource id"); break;
	case ND_DEFERRED: snprintf(out, len, "held (operation)"); break;
	case ND_READ_ONLY: snprintf(out, len, "read-only"); break;
	case ND_DUPLICATE: snprintf(out, len, "duplicate"); break;
	default: snprintf(out, len, "%s", nodrift_name(e->why)); break;
	}
	/* A revert: what it closed. */
	if (e->nresolved > 0) {
		size_t n = strlen(out);

		if (n < len)
			snprintf(out + n, len - n, "; resolved %u", e->nresolved);
	}
}
