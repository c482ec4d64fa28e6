/* store, live readers: store_changed (another connection wrote), store_feed_findings (the rows
 * added and resolved since the last read, all the first time) and store_triage_update (the
 * decisions since the newest one held, an undo cancelling an older one), as a dashboard uses
 * them with another process writing the same store. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "finding.h"
#include "store.h"
#include "util.h"
#include "tap.h"

#define T0 1716804000000LL      /* 2024-05-27T10:00:00Z */

static struct finding *
mk(const char *event_id, const char *address, int64_t t)
{
	struct finding *f = xcalloc(1, sizeof *f);

	f->kind = FK_MODIFIED;
	f->severity = SEV_HIGH;
	f->provider = PROV_AWS;
	f->address = xstrdup(address);
	f->type = xstrdup("aws_instance");
	f->resource_id = xasprintf("i-%s", event_id);
	f->actor.name = xstrdup("bob");
	f->event_id = xstrdup(event_id);
	f->event_name = xstrdup("ModifyInstanceAttribute");
	f->event_source = xstrdup("ec2.amazonaws.com");
	f->event_time_ms = t;
	finding_add_change(f, "instance_type", json_object_new_string("t3.micro"),
	    json_object_new_string("t3.large"), CH_MODIFIED, 0);
	finding_summarize(f);
	finding_set_id(f);
	return f;
}

static void
put(struct store *st, struct finding *f)
{
	struct finding_list l = { 0 };
	char *err = NULL;

	finding_list_push(&l, f);
	ok(store_put_findings(st, &l, &err) == 0, "the writer saves %s %s", f->address,
	    f->status == ST_RESOLVED ? "resolved" : "open");
	free(err);
	free(l.v);
}

static void
drop(struct finding_list *l)
{
	finding_list_clear(l);
	free(l->v);
	memset(l, 0, sizeof *l);
}

int
main(void)
{
	const char *base = getenv("TMPDIR");
	char dir[256], *path;
	struct store *w = NULL, *r = NULL;
	struct store_feed fd;
	struct finding_list got = { 0 };
	struct finding *a, *b, *c, *old;
	struct store_triage *t = NULL;
	struct store_decision *added = NULL;
	size_t nadded = 0;
	int64_t ack_id = 0, undo_id = 0;
	char *err = NULL;

	snprintf(dir, sizeof dir, "%s/tfdrift-store-live.XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	path = xasprintf("%s/s.db", dir);
	unsetenv("TFDRIFT_NOW");
	if (store_open(path, 0, &w, &err) != 0 || store_open(path, 0, &r, &err) != 0) {
		printf("Bail out! %s\n", err);
		return 1;
	}

	/* store_changed */
	ok(store_changed(r) >= 0, "a first call (the baseline)");
	is_int(store_changed(r), 0, "then nothing changed");
	a = mk("e1", "aws_instance.a", T0);
	b = mk("e2", "aws_instance.b", T0 + 1000);
	old = mk("e0", "aws_instance.old", T0 - 7LL * 86400000);
	finding_resolve(old, RR_RESOURCE_GONE, NULL, T0 - 7LL * 86400000 + 1);
	put(w, a);
	put(w, b);
	put(w, old);
	is_int(store_changed(r), 1, "another connection's writes: changed");
	is_int(store_changed(r), 0, "once");
	ok(store_changed(w) >= 0, "the writer's first call");
	ok(store_ack(w, a->id, "bob", NULL, T0, &ack_id, &err) == 0, "the writer acknowledges a");
	is_int(store_changed(w), 0, "a connection's own writes are not a change to it");

	/* store_feed_findings */
	store_feed_init(&fd);
	is_int(store_feed_findings(r, &fd, T0 - 86400000, &got, &err), 0, "the first read");
	is_int((int)got.n, 2, "every unresolved finding, not the one resolved before the window");
	ok(got.n == 2 && strcmp(got.v[0]->id, a->id) == 0 && strcmp(got.v[1]->id, b->id) == 0,
	    "in event time order");
	ok(got.n == 2 && got.v[0]->triage == NULL, "triage is the caller's to apply");
	drop(&got);
	is_int(store_feed_findings(r, &fd, T0 - 86400000, &got, &err), 0, "read again");
	is_int((int)got.n, 0, "nothing new");
	drop(&got);
	c = mk("e3", "aws_instance.c", T0 + 2000);
	put(w, c);
	is_int(store_feed_findings(r, &fd, T0 - 86400000, &got, &err), 0, "after another save");
	{
		/* Rows first saved within the clock skew allowance are read again (a and b): the
		 * caller keeps one per id. */
		size_t i, nc = 0, nold = 0;

		for (i = 0; i < got.n; i++) {
			nc += strcmp(got.v[i]->id, c->id) == 0;
			nold += strcmp(got.v[i]->id, a->id) == 0 || strcmp(got.v[i]->id, b->id) == 0;
		}
		ok(nc == 1 && nc + nold == got.n, "the new row (%zu read, the others seen before)",
		    got.n);
	}
	drop(&got);
	finding_resolve(b, RR_REVERTED_BY_HAND, NULL, T0 + 5000);
	put(w, b);
	is_int(store_feed_findings(r, &fd, T0 - 86400000, &got, &err), 0, "after a resolution");
	{
		/* Rows resolved within the clock skew allowance are read again (the old one): the
		 * caller keeps one per id. */
		size_t i, nb = 0, nres = 0;

		for (i = 0; i < got.n; i++) {
			nb += strcmp(got.v[i]->id, b->id) == 0;
			nres += got.v[i]->status == ST_RESOLVED;
		}
		ok(nb == 1 && nres == got.n, "the resolved row, resolved (%zu read, all resolved)",
		    got.n);
	}
	drop(&got);
	put(w, c);      /* saved again, unchanged: no new row, no resolution */
	is_int(store_feed_findings(r, &fd, T0 - 86400000, &got, &err), 0, "after a save again");
	is_int((int)got.n, 0, "nothing to show");
	drop(&got);

	/* store_triage_update */
	ok(store_triage_snapshot(r, &t, &err) == 0, "a snapshot");
	is_int((int)store_triage_last_id(t), (int)ack_id, "it holds the ack");
	is_int(store_triage_update(r, &t, &added, &nadded, &err), 0, "nothing since");
	ok(store_suppress(w, SCOPE_RESOURCE, "aws_instance.c", 0, "carol", "noisy", T0 + 1, NULL,
	    &err) == 0, "the writer suppresses c's resource");
	ok(store_undo(w, ack_id, "dave", T0 + 2, &undo_id, &err) == 0, "and undoes the ack");
	is_int(store_triage_update(r, &t, &added, &nadded, &err), 2, "two decisions since");
	ok(nadded == 2 && added[0].action == SA_SUPPRESS && strcmp(added[0].by, "carol") == 0 &&
	    added[1].action == SA_UNDO && added[1].undoes == ack_id &&
	    strcmp(added[1].by, "dave") == 0, "given oldest first, with who");
	store_decisions_free(added, nadded);
	store_triage_apply(t, a, T0 + 10);
	is_int(a->status, ST_OPEN, "the undone ack no longer applies");
	store_triage_apply(t, c, T0 + 10);
	ok(c->status == ST_SUPPRESSED && c->triage != NULL && strcmp(c->triage->by, "carol") == 0,
	    "the suppression does, by carol");
	is_int((int)store_triage_last_id(t), (int)undo_id, "the newest id is the undo's");
	is_int(store_triage_update(r, &t, NULL, NULL, &err), 0, "then nothing");
	store_triage_free(t);

	finding_free(a);
	finding_free(b);
	finding_free(c);
	finding_free(old);
	store_close(w);
	store_close(r);
	{
		static const char *const sfx[] = { "", "-wal", "-shm" };
		size_t i;

		for (i = 0; i < 3; i++) {
			char *p = xasprintf("%s%s", path, sfx[i]);

			unlink(p);
			free(p);
		}
	}
	rmdir(dir);
	free(path);
	free(err);
	return done_testing();
}
