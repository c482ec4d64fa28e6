/* recparse_jsonc: the json-c candidates of recparse.h. "jsonc" parses every record and makes
 * it an event (event_sniff_record: scan without the fast path); "jsonc_prescan" first asks
 * event.c's raw read-only scanner, as the readers do, and parses only what it does not skip. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "recparse.h"
/* The readers' internals (event_sniff_record, event_raw_read_only), measured as they run. */
#include "../../src/event_int.h"

static void *
jc_open(void)
{
	json_tokener *tok = json_tokener_new_ex(TOK_DEPTH);

	if (tok == NULL)
		tf_fatal("out of memory (json tokener)");
	return tok;
}

static void
jc_close(void *ctx)
{
	json_tokener_free(ctx);
}

/* text_ok: the pre-scanner found the text needs no repair (RAW_PLAIN), as the readers use it. */
static int
jc_record(json_tokener *tok, const char *s, size_t n, struct event *ev, int text_ok)
{
	json_object *o;
	int rc;

	json_tokener_reset(tok);
	if (n >= INT_MAX || (o = json_tokener_parse_ex(tok, s, (int)n)) == NULL)
		return RP_BAD;
	rc = text_ok ? event_sniff_record_text_ok(o, ev, NULL) : event_sniff_record(o, ev, NULL);
	json_object_put(o);         /* the event holds its own reference */
	if (rc != REC_OK)
		return RP_BAD;
	if (ev->read_only == 1) {
		event_free(ev);
		return RP_READ_ONLY;
	}
	return RP_KEPT;
}

int
rp_jsonc_record(void *ctx, const char *s, size_t n, struct event *ev)
{
	return jc_record(ctx, s, n, ev, 0);
}

static int
jc_prescan_record(void *ctx, const char *s, size_t n, struct event *ev)
{
	enum raw_rc rc = event_raw_read_only(s, n, NULL);

	if (rc == RAW_READ_ONLY)
		return RP_READ_ONLY;
	return jc_record(ctx, s, n, ev, rc == RAW_PLAIN);
}

const struct rp_impl rp_jsonc = { "jsonc", jc_open, rp_jsonc_record, jc_close };
const struct rp_impl rp_jsonc_prescan = { "jsonc_prescan", jc_open, jc_prescan_record, jc_close };
