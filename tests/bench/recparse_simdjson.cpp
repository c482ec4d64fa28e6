// recparse_simdjson: the simdjson On-Demand candidates of recparse.h (simdjson 3.0, Debian's
// libsimdjson-dev). One pass over the record's top-level members decides it as event.c's raw
// scanner does (top-level readOnly true, non-empty eventName and eventSource, none of the keys
// of another shape); what it cannot decide goes to json-c (rp_jsonc_record).
//   simdjson        a kept record's event fields from the same pass (struct event without a
//                   json-c tree: what scan would get if nothing needed one)
//   simdjson_jsonc  the classification only; a kept record parsed again by json-c, whose tree
//                   the event maps' paths, rules and the store read
// Errors are codes, not exceptions (the tokens are checked as they are read).
#include "config.h"

#include <cstdlib>
#include <cstring>
#include <string_view>

#include <simdjson.h>

#include "recparse.h"
extern "C" {
#include "util.h"
}

using namespace simdjson;

namespace {

struct ctx {
	ondemand::parser parser;
	void *jc;               // the json-c fallback's tokener
};

enum key_kind { K_OTHER, K_RO, K_NAME, K_SOURCE, K_TIME, K_ID, K_REGION, K_ACCOUNT, K_IP, K_UA,
	K_ECODE, K_EMSG, K_ETYPE, K_UI, K_VETO };

key_kind
kind_of(ondemand::raw_json_string k)
{
	static const struct { const char *k; key_kind kind; } keys[] = {
		{ "readOnly", K_RO }, { "eventName", K_NAME }, { "eventSource", K_SOURCE },
		{ "eventTime", K_TIME }, { "eventID", K_ID }, { "awsRegion", K_REGION },
		{ "recipientAccountId", K_ACCOUNT }, { "sourceIPAddress", K_IP },
		{ "userAgent", K_UA }, { "errorCode", K_ECODE }, { "errorMessage", K_EMSG },
		{ "eventType", K_ETYPE }, { "userIdentity", K_UI },
		{ "detail-type", K_VETO }, { "CloudTrailEvent", K_VETO }, { "protoPayload", K_VETO },
		{ "logName", K_VETO }, { "insertId", K_VETO }, { "Records", K_VETO },
		{ "Events", K_VETO }, { "entries", K_VETO },
	};

	for (const auto &e : keys)
		if (k.unsafe_is_equal(e.k))
			return e.kind;
	return K_OTHER;
}

char *
dup_view(std::string_view v)
{
	return v.empty() ? nullptr : xstrndup(v.data(), v.size());
}

// A string member's value, or an empty view when it is not a string.
std::string_view
str_of(ondemand::value v)
{
	std::string_view s;

	if (v.get_string().get(s))
		return std::string_view();
	return s;
}

struct fields {
	std::string_view f[K_VETO];
	std::string_view ui_type, ui_arn, ui_user, ui_pid, ui_account, ui_invoked, issuer_user;
};

int
user_identity(ondemand::value v, fields &fl)
{
	ondemand::object o;

	if (v.get_object().get(o))
		return 0;
	for (auto m : o) {
		ondemand::raw_json_string k;
		ondemand::value mv;

		if (m.key().get(k) || m.value().get(mv))
			return -1;
		if (k.unsafe_is_equal("type"))
			fl.ui_type = str_of(mv);
		else if (k.unsafe_is_equal("arn"))
			fl.ui_arn = str_of(mv);
		else if (k.unsafe_is_equal("userName"))
			fl.ui_user = str_of(mv);
		else if (k.unsafe_is_equal("principalId"))
			fl.ui_pid = str_of(mv);
		else if (k.unsafe_is_equal("accountId"))
			fl.ui_account = str_of(mv);
		else if (k.unsafe_is_equal("invokedBy"))
			fl.ui_invoked = str_of(mv);
		else if (k.unsafe_is_equal("sessionContext")) {
			ondemand::value iss;
			ondemand::object sc;

			if (mv.get_object().get(sc) == SUCCESS &&
			    sc.find_field_unordered("sessionIssuer").get(iss) == SUCCESS) {
				ondemand::value un;

				if (iss.find_field_unordered("userName").get(un) == SUCCESS)
					fl.issuer_user = str_of(un);
			}
		}
	}
	return 0;
}

// RP_READ_ONLY, RP_KEPT (fields in fl when want_fields), or RP_BAD: undecided.
int
classify(ctx *c, const char *s, size_t n, bool want_fields, fields &fl)
{
	ondemand::document doc;
	ondemand::object obj;
	int ro_true = 0, ro_other = 0;

	if (c->parser.iterate(s, n, n + RP_PADDING).get(doc) || doc.get_object().get(obj))
		return RP_BAD;
	for (auto m : obj) {
		ondemand::raw_json_string k;
		ondemand::value v;
		key_kind kind;

		if (m.key().get(k) || m.value().get(v))
			return RP_BAD;
		kind = kind_of(k);
		switch (kind) {
		case K_OTHER:
			break;
		case K_VETO:
			return RP_BAD;
		case K_RO: {
			bool b;

			if (v.get_bool().get(b) == SUCCESS && b)
				ro_true++;
			else
				ro_other++;
			break;
		}
		case K_UI:
			if (want_fields && user_identity(v, fl) != 0)
				return RP_BAD;
			break;
		case K_NAME:
		case K_SOURCE:
			if ((fl.f[kind] = str_of(v)).empty())
				return RP_BAD;
			break;
		default:
			if (want_fields)
				fl.f[kind] = str_of(v);
			break;
		}
	}
	if (fl.f[K_NAME].empty() || fl.f[K_SOURCE].empty())
		return RP_BAD;
	return ro_true > 0 && ro_other == 0 ? RP_READ_ONLY : ro_true + ro_other > 0 ? RP_KEPT : RP_BAD;
}

void *
sj_open()
{
	ctx *c = new ctx;

	c->jc = rp_jsonc.open();
	return c;
}

void
sj_close(void *p)
{
	ctx *c = static_cast<ctx *>(p);

	rp_jsonc.close(c->jc);
	delete c;
}

int
sj_record(void *p, const char *s, size_t n, struct event *ev)
{
	ctx *c = static_cast<ctx *>(p);
	fields fl;
	int rc = classify(c, s, n, true, fl);
	char tbuf[64];
	int64_t ms;

	if (rc == RP_BAD)
		return rp_jsonc_record(c->jc, s, n, ev);
	if (rc == RP_READ_ONLY)
		return rc;
	memset(ev, 0, sizeof *ev);
	ev->provider = PROV_AWS;
	ev->id = dup_view(fl.f[K_ID]);
	if (fl.f[K_TIME].size() < sizeof tbuf) {
		memcpy(tbuf, fl.f[K_TIME].data(), fl.f[K_TIME].size());
		tbuf[fl.f[K_TIME].size()] = '\0';
		if (tf_parse_time(tbuf, &ms) == 0)
			ev->time_ms = ms;
	}
	ev->source = dup_view(fl.f[K_SOURCE]);
	ev->name = dup_view(fl.f[K_NAME]);
	ev->region = dup_view(fl.f[K_REGION]);
	ev->account = dup_view(!fl.f[K_ACCOUNT].empty() ? fl.f[K_ACCOUNT] : fl.ui_account);
	ev->source_ip = dup_view(fl.f[K_IP]);
	ev->user_agent = dup_view(fl.f[K_UA]);
	ev->read_only = 0;
	ev->error_code = dup_view(fl.f[K_ECODE]);
	ev->error_message = dup_view(fl.f[K_EMSG]);
	ev->event_type = dup_view(fl.f[K_ETYPE]);
	// (actor_resolve_aws: an identity with invokedBy and no type is a service's)
	ev->actor.type = dup_view(fl.ui_type.empty() && !fl.ui_invoked.empty() ?
	    std::string_view("AWSService") : fl.ui_type);
	ev->actor.principal = dup_view(fl.ui_arn);
	ev->actor.name = dup_view(!fl.ui_user.empty() ? fl.ui_user : fl.ui_pid);
	ev->actor.account = dup_view(fl.ui_account);
	ev->actor.invoked_by = dup_view(fl.ui_invoked);
	ev->actor.role = dup_view(fl.issuer_user);
	ev->actor.via = via_from_user_agent(PROV_AWS, ev->user_agent);
	return RP_KEPT;
}

int
sj_jsonc_record(void *p, const char *s, size_t n, struct event *ev)
{
	ctx *c = static_cast<ctx *>(p);
	fields fl;

	if (classify(c, s, n, false, fl) == RP_READ_ONLY)
		return RP_READ_ONLY;
	return rp_jsonc_record(c->jc, s, n, ev);
}

} // namespace

extern "C" {
const struct rp_impl rp_simdjson = { "simdjson", sj_open, sj_record, sj_close };
const struct rp_impl rp_simdjson_jsonc = { "simdjson_jsonc", sj_open, sj_jsonc_record, sj_close };
}
