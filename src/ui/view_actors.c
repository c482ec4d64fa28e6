/* view_actors: who changed what: one row per person, role or service with their write
 * events, findings (open ones), how they work (console, cli, sdk, terraform) and when they
 * were last seen. Enter filters the findings to the selected actor. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>

#include "keys.h"
#include "ui_int.h"

struct ref {
	const char *name;
	const char *type;
	enum tf_via via;
	int64_t t;
	int is_finding;
	int open;
	int sev;
};

static int
ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int
actor_cmp(const void *a, const void *b)
{
	const struct ui_actor *x = a, *y = b;

	if (x->open != y->open)
		return x->open > y->open ? -1 : 1;
	if (x->findings != y->findings)
		return x->findings > y->findings ? -1 : 1;
	if (x->events != y->events)
		return x->events > y->events ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Rebuild u->actors from the events and findings (when either changed). */
void
ui_actors_rebuild(struct ui *u)
{
	uint64_t gen = u->events.gen * 1000003u + u->model.all.n;
	struct ref *refs;
	size_t n = 0, i, j;
	struct ui_actor *a;

	if (u->actors != NULL && gen == u->actors_gen)
		return;
	u->actors_gen = gen;
	free(u->actors);
	u->actors = NULL;
	u->nactors = 0;
	refs = xreallocarray(NULL, u->events.n + u->model.all.n + 1, sizeof *refs);
	for (i = 0; i < u->events.n; i++) {
		const struct ui_event *e = evlog_at(&u->events, i);

		refs[n].name = e->actor != NULL ? e->actor : "?";
		refs[n].type = e->actor_type;
		refs[n].via = e->via;
		refs[n].t = e->time_ms;
		refs[n].is_finding = 0;
		refs[n].open = 0;
		refs[n].sev = -1;
		n++;
	}
	for (i = 0; i < u->model.all.n; i++) {
		const struct finding *f = u->model.all.v[i];

		refs[n].name = f->actor.name != NULL ? f->actor.name :
		    f->actor.principal != NULL ? f->actor.principal : "?";
		refs[n].type = f->actor.type;
		refs[n].via = f->actor.via;
		refs[n].t = f->event_time_ms;
		refs[n].is_finding = 1;
		refs[n].open = f->status == ST_OPEN;
		refs[n].sev = (int)f->severity;
		n++;
	}
	if (n > 1)
		qsort(refs, n, sizeof *refs, ref_cmp);
	u->actors = xcalloc(n + 1, sizeof *u->actors);
	for (i = 0; i < n; i = j) {
		a = &u->actors[u->nactors++];
		a->name = (char *)refs[i].name;
		a->worst = -1;
		for (j = i; j < n && strcmp(refs[j].name, refs[i].name) == 0; j++) {
			if (a->type == NULL)
				a->type = refs[j].type;
			a->via_mask |= 1u << refs[j].via;
			if (refs[j].t > a->last_ms)
				a->last_ms = refs[j].t;
			if (refs[j].is_finding) {
				a->findings++;
				a->open += refs[j].open;
				if (refs[j].sev > a->worst)
					a->worst = refs[j].sev;
			} else
				a->events++;
		}
	}
	free(refs);
	if (u->nactors > 1)
		qsort(u->actors, u->nactors, sizeof *u->actors, actor_cmp);
}

static void
via_list(unsigned mask, char *out, size_t len)
{
	size_t used = 0;
	int v;

	out[0] = '\0';
	for (v = VIA_UNKNOWN; v <= VIA_SERVICE; v++)
		if (mask & (1u << v))
			used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%s",
			    used ? "," : "", tf_via_name((enum tf_via)v));
}

static void
actors_draw(struct ui *u, int y, int x, int h, int w)
{
	int hdr = theme_attr(TS_HEADER), i, nw;
	char buf[64], t[16];

	if (h < 2)
		return;
	ui_actors_rebuild(u);
	nw = w - 73;
	if (nw < 16)
		nw = 16;
	ui_fill(y, x, w, hdr);
	ui_put(y, x + 1, nw, "ACTOR", hdr);
	ui_put(y, x + 2 + nw, 16, "TYPE", hdr);
	ui_put(y, x + 19 + nw, 20, "VIA", hdr);
	ui_put(y, x + 40 + nw, 7, "EVENTS", hdr);
	ui_put(y, x + 48 + nw, 9, "FINDINGS", hdr);
	ui_put(y, x + 58 + nw, 5, "OPEN", hdr);
	ui_put(y, x + 63 + nw, 8, "LAST", hdr);
	y++;
	h--;
	u->actor_h = h;
	if (u->nactors == 0) {
		ui_put(y, x + 2, w - 2, "No actors yet.", theme_attr(TS_DIM));
		return;
	}
	ui_list_fit(&u->actor_list, u->nactors, h);
	for (i = 0; i < h && u->actor_list.top + (size_t)i < u->nactors; i++) {
		size_t r = u->actor_list.top + (size_t)i;
		const struct ui_actor *a = &u->actors[r];
		int sel = r == u->actor_list.sel;
		int base = sel ? theme_attr(TS_SELECTION) : theme_attr(TS_NORMAL);
		int sev = sel ? base | (int)A_BOLD : a->open > 0 && a->worst >= 0 ?
		    theme_attr(theme_severity_slot(a->worst)) : base;

		ui_fill(y + i, x, w, base);
		ui_put(y + i, x + 1, nw, a->name, base);
		ui_put(y + i, x + 2 + nw, 16, a->type ? a->type : "-", base);
		via_list(a->via_mask, buf, sizeof buf);
		ui_put(y + i, x + 19 + nw, 20, buf, base);
		snprintf(buf, sizeof buf, "%7llu", (unsigned long long)a->events);
		ui_put(y + i, x + 40 + nw, 7, buf, base);
		snprintf(buf, sizeof buf, "%8llu", (unsigned long long)a->findings);
		ui_put(y + i, x + 48 + nw, 9, buf, base);
		snprintf(buf, sizeof buf, "%4llu", (unsigned long long)a->open);
		ui_put(y + i, x + 58 + nw, 5, buf, sev);
		ui_time_short(a->last_ms, t);
		ui_put(y + i, x + 63 + nw, 8, t, base);
	}
}

static int
actors_key(struct ui *u, int action)
{
	return ui_list_key(&u->actor_list, u->nactors, u->actor_h, action);
}

const struct ui_view view_actors = { "actors", actors_draw, actors_key };
