// tests/mock/gcp.js: a loopback stand-in for Google's OAuth token endpoint, the GCE metadata
// server and Cloud Logging's entries:list, for tfdrift's GCP tests.
//
//   node gcp.js --port 0 --entries FILE [--entries FILE...] [--pubkey PEM] [--client-email E]
//               [--key-id K] [--client-id ID --client-secret S --refresh-token R]
//               [--shift] [--token-ttl SECONDS] [--secrets-log FILE]
//               [--subscription projects/P/subscriptions/S [--publish] [--ack-deadline SECONDS]
//                [--pull-wait-ms MS]]
//
// Prints its port on the first stdout line. Endpoints:
//   POST /token            grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer: the assertion's
//                          RS256 signature is verified with Node's crypto against --pubkey; alg,
//                          kid, iss, aud (this URL), scope, iat and exp are checked; failures
//                          answer 400 {"error":"invalid_grant","error_description":...} as Google.
//                          grant_type=refresh_token: client_id/client_secret/refresh_token checked.
//   GET  /computeMetadata/v1/instance/service-accounts/default/token   needs Metadata-Flavor: Google
//   POST /sts/v1/token     RFC 8693 token exchange as Google's STS (workload identity federation):
//                          grant_type, requested_token_type, subject_token_type, scope checked;
//                          audience must be --sts-audience (or a workforce pool audience when
//                          --workforce-audience is given: then options={"userProject":P} or Basic
//                          client auth is needed) and subject_token --subject-token, else
//                          400 {"error":"invalid_grant","error_description":...}
//   GET  /subject          the subject token: text, or {"id_token":...} with ?format=json; needs
//                          the header --subject-header "Name: value" when given (else 401)
//   POST /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken   IAM Credentials: the bearer
//                          must be a live token of this mock; body {"scope":[...],"lifetime":"Ns",
//                          "delegates":[...]}; EMAIL listed in --deny-impersonation (comma
//                          separated) answers 403 PERMISSION_DENIED as Google does
//   POST /v2/entries:list  bearer token checked (401 UNAUTHENTICATED when unknown or expired);
//                          resourceNames projects/P, filter (logName: / logName= and the timestamp
//                          bounds), orderBy, pageSize (≤ 1000), pageToken (bound to the other
//                          parameters, as the real API's) honoured.
//   POST /v1/projects/P/subscriptions/S:pull | :acknowledge | :modifyAckDeadline
//                          Pub/Sub's REST API for the subscription --subscription (404 NOT_FOUND
//                          for another), with the same bearer check as entries:list and the
//                          scope of the JWT (pubsub or cloud-platform) checked (403). Messages
//                          are what a Logging sink publishes: data is base64 of one LogEntry's
//                          JSON, attribute logging.googleapis.com/timestamp. --publish publishes
//                          every --entries entry at start. A pulled message is outstanding for
//                          --ack-deadline seconds (default 10; modifyAckDeadline moves it,
//                          0..600), then delivered again; pull needs maxMessages ≥ 1 and, without
//                          returnImmediately, holds an empty answer up to --pull-wait-ms (1000).
//   --shift moves each file's entries by whole seconds so that its newest is 60 s old at start
//   (fractional digits are kept as they were).
// Control (GET):
//   /__control/throttle?n=N   next N entries:list → 429 RESOURCE_EXHAUSTED
//   /__control/fail?n=N       next N → 500 INTERNAL
//   /__control/hang?n=N       next N are never answered
//   /__control/truncate?n=N   next N 200 bodies cut in half (with a matching Content-Length)
//   /__control/empty?n=N      next N pages come back empty with a nextPageToken
//   /__control/expire         every issued token expires now
//   /__control/token_ttl?s=N  lifetime of tokens issued from now on
//   /__control/add?project=P&n=K&age_ms=A   K new activity entries (copies of P's first one)
//                             with timestamps A ms ago; answers their insertIds
//   /__control/load?file=F    the entries of F from now on (an entry ingested late), moved by
//                             the shift the first --entries file got, so they keep their place
//                             in its story; answers their insertIds
//   /__control/publish_raw?data=D   one message whose data is D as given (a bad one); answers
//                             its messageId
//   /__control/hang_ack?n=N   next N acknowledge requests are never answered (a worker killed
//                             between storing and acknowledging)
//   /__control/pubsub         Pub/Sub counters: published, pulls, delivered, redelivered,
//                             acked, extended, late_acks (ackIds whose deadline had passed),
//                             ack_requests,
//                             backlog (not acknowledged), outstanding, unauthorized
//   /__control/requests       the token requests so far (STS, subject, generateAccessToken):
//                             method, path, authorization, form or JSON body
//   /__control/counters       JSON counters: token requests by grant, rejects, list requests
//                             per project with the smallest gap and the most in any minute
// Misbehaving-server faults (trickle, HTML, oversized bodies, ...): tests/mock/misbehave.js.
'use strict';

const http = require('http');
const misbehave = require('./misbehave.js');
const crypto = require('crypto');
const fs = require('fs');

const args = { entries: [] };
for (let i = 2; i < process.argv.length; i++) {
	const k = process.argv[i].replace(/^--/, '');
	if (k === 'shift') { args.shift = true; continue; }
	if (k === 'publish') { args.publish = true; continue; }
	const v = process.argv[++i];
	if (k === 'entries') args.entries.push(v); else args[k.replace(/-/g, '_')] = v;
}

const pubkey = args.pubkey ? crypto.createPublicKey(fs.readFileSync(args.pubkey)) : null;
let tokenTtl = Number(args.token_ttl || 3599);
const tokens = new Map();              // token -> expiry ms
const secretsLog = args.secrets_log;
const counters = { token: { jwt: 0, refresh_token: 0, metadata: 0, sts: 0, impersonate: 0,
	subject: 0, rejected: 0 }, list: 0,
	unauthorized: 0, expired_used: 0, served_entries: 0, faults: 0, projects: {} };
const faults = { throttle: 0, fail: 0, hang: 0, truncate: 0, empty: 0 };

function logSecret(s) {
	if (secretsLog) fs.appendFileSync(secretsLog, s + '\n');
}

// ---- timestamps as BigInt ns ----
function parseTs(s) {
	const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(s || '');
	if (!m) return null;
	const secs = Date.parse(m[1] + (m[3] === 'Z' ? 'Z' : m[3])) / 1000;
	return BigInt(secs) * 1000000000n + BigInt((m[2] || '').padEnd(9, '0') || '0');
}
function shiftTs(s, secs) {
	const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(s);
	if (!m) return s;
	const d = new Date(Date.parse(m[1] + 'Z') + secs * 1000).toISOString().slice(0, 19);
	return d + (m[2] || '') + 'Z';
}
function nowTs(ageMs) {
	const ms = Date.now() - ageMs;
	return new Date(ms).toISOString().slice(0, 19) + '.' +
		String((ms % 1000) * 1000000 + Math.floor(Math.random() * 1000000)).padStart(9, '0') + 'Z';
}

// ---- entries ----
let entries = [];
let firstShift = null;          // the shift of the first --entries file (for /__control/load)
function moveBy(list, shift) {
	for (const e of list) {
		e.timestamp = shiftTs(e.timestamp, shift);
		if (e.receiveTimestamp) e.receiveTimestamp = shiftTs(e.receiveTimestamp, shift);
	}
}
for (const f of args.entries) {
	const d = JSON.parse(fs.readFileSync(f, 'utf8'));
	const list = d.entries || [];
	if (args.shift && list.length) {
		// Each file moves as a whole: its newest entry becomes 60 s old.
		let max = 0n;
		for (const e of list) { const t = parseTs(e.timestamp); if (t > max) max = t; }
		const shift = Math.floor(Date.now() / 1000) - 60 - Number(max / 1000000000n);
		if (firstShift === null) firstShift = shift;
		moveBy(list, shift);
	}
	for (const e of list) entries.push(e);
}
function index() {
	for (const e of entries) e._ts = parseTs(e.timestamp);
	entries.sort((a, b) => (a._ts < b._ts ? -1 : a._ts > b._ts ? 1 :
		a.insertId < b.insertId ? -1 : a.insertId > b.insertId ? 1 : 0));
}
index();
let addCounter = 0;

function strip(e) {
	const o = {};
	for (const k of Object.keys(e)) if (k !== '_ts') o[k] = e[k];
	return o;
}

// ---- helpers ----
function send(res, status, obj, headers) {
	const body = typeof obj === 'string' ? obj : JSON.stringify(obj);
	res.writeHead(status, Object.assign({ 'Content-Type': 'application/json; charset=UTF-8',
		'Content-Length': Buffer.byteLength(body) }, headers || {}));
	res.end(body);
}
function gerr(res, code, status, message) {
	send(res, code, { error: { code, message, status } });
}
function b64urlDecode(s) {
	return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
const tokenScopes = new Map();         // token -> scopes of its JWT grant
function issue(res, via, extraHeaders, scopes) {
	const tok = 'ya29.mock-' + crypto.randomBytes(24).toString('hex');
	tokens.set(tok, Date.now() + tokenTtl * 1000);
	if (scopes) tokenScopes.set(tok, scopes);
	logSecret(tok);
	counters.token[via]++;
	send(res, 200, { access_token: tok, expires_in: tokenTtl, token_type: 'Bearer' }, extraHeaders);
}
function grantError(res, status, error, desc) {
	counters.token.rejected++;
	send(res, status, { error, error_description: desc });
}

// ---- workload identity federation: STS, the subject token URL, IAM Credentials ----
const requests = [];
function record(req, u, extra) {
	requests.push(Object.assign({ method: req.method, path: u.pathname,
		authorization: req.headers.authorization || null }, extra));
}
function stsEndpoint(req, res, body, u) {
	const form = new URLSearchParams(body.toString());
	record(req, u, { form: Object.fromEntries(form) });
	const st = form.get('subject_token') || '';
	logSecret(st);
	if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange')
		return grantError(res, 400, 'unsupported_grant_type', 'Invalid grant_type: ' + form.get('grant_type'));
	if (form.get('requested_token_type') !== 'urn:ietf:params:oauth:token-type:access_token')
		return grantError(res, 400, 'invalid_request', 'Invalid requested_token_type.');
	if (!/^urn:ietf:params:oauth:token-type:(jwt|id_token|saml2|access_token)$/.test(form.get('subject_token_type') || ''))
		return grantError(res, 400, 'invalid_request', 'Invalid subject_token_type.');
	if (!form.get('scope')) return grantError(res, 400, 'invalid_scope', 'scope is required.');
	const aud = form.get('audience') || '';
	const workforce = args.workforce_audience && aud === args.workforce_audience;
	if (aud !== args.sts_audience && !workforce)
		return grantError(res, 400, 'invalid_grant', 'The audience in ID Token [' + aud +
			'] does not match the expected audience.');
	if (workforce) {
		let opt = {};
		try { opt = JSON.parse(form.get('options') || '{}'); } catch (e) { opt = null; }
		// With client authentication the client identifies the project (google-auth).
		if (!opt || (!opt.userProject && !(req.headers.authorization || '').startsWith('Basic ')))
			return grantError(res, 400, 'invalid_request', 'The workforce pool user project is required.');
	}
	if (st !== args.subject_token)
		return grantError(res, 400, 'invalid_grant', 'ID Token issued is not valid (signature check failed).');
	const tok = 'ya29.sts-' + crypto.randomBytes(24).toString('hex');
	tokens.set(tok, Date.now() + tokenTtl * 1000);
	logSecret(tok);
	counters.token.sts++;
	send(res, 200, { access_token: tok, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
		token_type: 'Bearer', expires_in: tokenTtl });
}
function subjectEndpoint(req, res, u) {
	record(req, u, { header: args.subject_header ? req.headers[args.subject_header.split(':')[0].toLowerCase()] || null : null });
	if (args.subject_header) {
		const i = args.subject_header.indexOf(':');
		const name = args.subject_header.slice(0, i).toLowerCase(), want = args.subject_header.slice(i + 1).trim();
		if (req.headers[name] !== want) {
			res.writeHead(401, { 'Content-Type': 'text/plain' });
			return res.end('missing ' + name);
		}
	}
	counters.token.subject++;
	if (u.searchParams.get('format') === 'json')
		return send(res, 200, { id_token: args.subject_token, token_type: 'urn:ietf:params:oauth:token-type:jwt' });
	res.writeHead(200, { 'Content-Type': 'text/plain' });
	res.end(args.subject_token);
}
function iamEndpoint(req, res, body, u, email) {
	let q = null;
	try { q = JSON.parse(body.toString()); } catch (e) { q = null; }
	record(req, u, { json: q });
	const auth = req.headers.authorization || '';
	const tok = auth.startsWith('Bearer ') ? auth.slice(7) : '';
	if (!tokens.has(tok) || tokens.get(tok) <= Date.now()) {
		counters.token.rejected++;
		return gerr(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
	}
	if (!q || !Array.isArray(q.scope) || q.scope.length === 0)
		return gerr(res, 400, 'INVALID_ARGUMENT', 'Scope required.');
	const m = /^(\d+)s$/.exec(q.lifetime || '3600s');
	if (!m || Number(m[1]) > 43200)
		return gerr(res, 400, 'INVALID_ARGUMENT', 'Invalid lifetime.');
	if ((args.deny_impersonation || '').split(',').includes(email)) {
		counters.token.rejected++;
		return gerr(res, 403, 'PERMISSION_DENIED', "Permission 'iam.serviceAccounts.getAccessToken' " +
			'denied on resource (or it may not exist).');
	}
	const life = Math.min(Number(m[1]), tokenTtl + 1);
	const at = 'ya29.imp-' + crypto.randomBytes(24).toString('hex');
	tokens.set(at, Date.now() + life * 1000);
	logSecret(at);
	counters.token.impersonate++;
	send(res, 200, { accessToken: at,
		expireTime: new Date(Date.now() + life * 1000).toISOString().slice(0, 19) + 'Z' });
}

function tokenEndpoint(req, res, body, selfUrl) {
	const form = new URLSearchParams(body.toString());
	const gt = form.get('grant_type');
	if (gt === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
		const a = form.get('assertion') || '';
		logSecret(a);
		const parts = a.split('.');
		if (parts.length !== 3) return grantError(res, 400, 'invalid_grant', 'Invalid JWT: malformed.');
		let hdr, cl;
		try {
			hdr = JSON.parse(b64urlDecode(parts[0]).toString());
			cl = JSON.parse(b64urlDecode(parts[1]).toString());
		} catch (e) {
			return grantError(res, 400, 'invalid_grant', 'Invalid JWT: not JSON.');
		}
		if (hdr.alg !== 'RS256' || hdr.typ !== 'JWT')
			return grantError(res, 400, 'invalid_grant', 'Invalid JWT: unsupported algorithm.');
		if (args.key_id && hdr.kid !== args.key_id)
			return grantError(res, 400, 'invalid_grant', 'Invalid JWT Signature.');
		if (/=/.test(a)) return grantError(res, 400, 'invalid_grant', 'Invalid JWT: padding.');
		const ok = pubkey && crypto.verify('sha256', Buffer.from(parts[0] + '.' + parts[1]), pubkey,
			b64urlDecode(parts[2]));
		if (!ok) return grantError(res, 400, 'invalid_grant', 'Invalid JWT Signature.');
		if (cl.iss !== args.client_email)
			return grantError(res, 400, 'invalid_grant', 'Invalid grant: account not found');
		if (cl.aud !== selfUrl)
			return grantError(res, 400, 'invalid_grant', 'Invalid JWT: Failed audience check. ' +
				'The expected value was ' + selfUrl);
		const now = Math.floor(Date.now() / 1000);
		if (typeof cl.iat !== 'number' || typeof cl.exp !== 'number' || cl.exp - cl.iat > 3600 ||
		    cl.exp <= now || cl.iat > now + 300)
			return grantError(res, 400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived ' +
				'token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in ' +
				'the JWT claim.');
		const scopes = String(cl.scope || '').split(' ');
		if (!scopes.includes('https://www.googleapis.com/auth/logging.read') &&
		    !scopes.includes('https://www.googleapis.com/auth/cloud-platform') &&
		    !scopes.includes('https://www.googleapis.com/auth/pubsub') &&
		    !scopes.includes('https://www.googleapis.com/auth/iam'))
			return grantError(res, 400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
		return issue(res, 'jwt', undefined, scopes);
	}
	if (gt === 'refresh_token') {
		if (form.get('client_id') !== args.client_id || form.get('client_secret') !== args.client_secret)
			return grantError(res, 401, 'invalid_client', 'Unauthorized');
		if (!args.refresh_token || form.get('refresh_token') !== args.refresh_token)
			return grantError(res, 400, 'invalid_grant', 'Bad Request');
		return issue(res, 'refresh_token');
	}
	return grantError(res, 400, 'unsupported_grant_type', 'Invalid grant_type: ' + gt);
}

function projectCounter(p) {
	if (!counters.projects[p])
		counters.projects[p] = { requests: 0, times: [], min_gap_ms: null, max_per_minute: 0 };
	return counters.projects[p];
}

function pageHash(q) {
	return crypto.createHash('sha256').update(JSON.stringify([q.resourceNames, q.filter || '',
		q.orderBy || '', q.pageSize || 50])).digest('hex').slice(0, 16);
}

function listEntries(req, res, body) {
	counters.list++;
	const auth = req.headers.authorization || '';
	const tok = auth.startsWith('Bearer ') ? auth.slice(7) : '';
	if (!tokens.has(tok) || tokens.get(tok) <= Date.now()) {
		counters.unauthorized++;
		if (tokens.has(tok)) counters.expired_used++;
		return gerr(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. ' +
			'Expected OAuth 2 access token, login cookie or other valid authentication credential.');
	}
	let q;
	try { q = JSON.parse(body.toString()); } catch (e) {
		return gerr(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
	}
	const names = q.resourceNames || [];
	if (!Array.isArray(names) || names.length === 0 || names.length > 100)
		return gerr(res, 400, 'INVALID_ARGUMENT', 'resourceNames: at least one and at most 100');
	const projects = names.map((n) => (/^projects\/([^/]+)$/.exec(n) || [])[1]);
	if (projects.some((p) => !p)) return gerr(res, 400, 'INVALID_ARGUMENT', 'resourceNames: only projects/P here');
	for (const p of projects) {
		const c = projectCounter(p), t = Date.now();
		if (c.times.length) {
			const gap = t - c.times[c.times.length - 1];
			if (c.min_gap_ms === null || gap < c.min_gap_ms) c.min_gap_ms = gap;
		}
		c.times.push(t);
		c.requests++;
		const inMinute = c.times.filter((x) => x > t - 60000).length;
		if (inMinute > c.max_per_minute) c.max_per_minute = inMinute;
	}
	const pageSize = q.pageSize === undefined ? 50 : q.pageSize;
	if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > 1000)
		return gerr(res, 400, 'INVALID_ARGUMENT', 'pageSize must be between 0 and 1000');
	const order = q.orderBy || 'timestamp asc';
	if (order !== 'timestamp asc' && order !== 'timestamp desc')
		return gerr(res, 400, 'INVALID_ARGUMENT', 'orderBy: only "timestamp asc" or "timestamp desc"');
	const filter = q.filter || '';
	const h = pageHash(q);
	let offset = 0;
	if (q.pageToken) {
		let pt;
		try { pt = JSON.parse(b64urlDecode(q.pageToken).toString()); } catch (e) { pt = null; }
		if (!pt || pt.h !== h)
			return gerr(res, 400, 'INVALID_ARGUMENT', 'The page token is invalid or does not match the request.');
		offset = pt.o;
	}
	// Faults, after authentication and validation, like a real overloaded backend.
	if (faults.throttle > 0) {
		faults.throttle--; counters.faults++;
		return gerr(res, 429, 'RESOURCE_EXHAUSTED', "Quota exceeded for quota metric 'Read requests' " +
			"and limit 'Read requests per minute' of service 'logging.googleapis.com'.");
	}
	if (faults.fail > 0) {
		faults.fail--; counters.faults++;
		return gerr(res, 500, 'INTERNAL', 'Internal error encountered.');
	}
	if (faults.hang > 0) {
		faults.hang--; counters.faults++;
		setTimeout(() => req.socket.destroy(), 60000).unref();
		return;
	}
	const subs = [...filter.matchAll(/logName:"([^"]+)"/g)].map((m) => m[1]);
	const exact = [...filter.matchAll(/logName="([^"]+)"/g)].map((m) => m[1]);
	const lo = (/timestamp>="([^"]+)"/.exec(filter) || [])[1];
	const hi = (/timestamp<"([^"]+)"/.exec(filter) || [])[1];
	const loNs = lo ? parseTs(lo) : null, hiNs = hi ? parseTs(hi) : null;
	if ((lo && loNs === null) || (hi && hiNs === null))
		return gerr(res, 400, 'INVALID_ARGUMENT', 'Invalid timestamp in filter');
	let match = entries.filter((e) => projects.some((p) => e.logName.startsWith('projects/' + p + '/logs/')) &&
		(subs.length + exact.length === 0 || subs.some((s) => e.logName.includes(s)) ||
		 exact.includes(e.logName)) &&
		(loNs === null || e._ts >= loNs) && (hiNs === null || e._ts < hiNs));
	if (order === 'timestamp desc') match = match.slice().reverse();
	const token = (o) => Buffer.from(JSON.stringify({ o, h })).toString('base64url');
	let out;
	if (faults.empty > 0) {
		faults.empty--; counters.faults++;
		out = { entries: [], nextPageToken: token(offset) };
	} else {
		const page = match.slice(offset, offset + (pageSize || 50));
		counters.served_entries += page.length;
		out = { entries: page.map(strip) };
		if (offset + page.length < match.length) out.nextPageToken = token(offset + page.length);
	}
	let text = JSON.stringify(out);
	if (faults.truncate > 0) {
		faults.truncate--; counters.faults++;
		text = text.slice(0, Math.floor(text.length / 2));
	}
	send(res, 200, text);
}

// ---- Pub/Sub: a pull subscription fed by a Logging sink ----
const ps = { messages: [], next: 1, hangAck: 0,
	counters: { published: 0, pulls: 0, delivered: 0, redelivered: 0, acked: 0, extended: 0,
		late_acks: 0, unauthorized: 0, max_deliveries: 0, ack_requests: 0 } };
const ackDeadline = Number(args.ack_deadline || 10);
const pullWait = Number(args.pull_wait_ms || 1000);
function publish(data, attributes) {
	const id = String(ps.next++);
	ps.messages.push({ id, data, attributes: attributes || {}, publishTime: new Date().toISOString(),
		acked: false, deliveries: 0, ackId: null, deadline: 0 });
	ps.counters.published++;
	return id;
}
function publishEntry(e) {
	return publish(Buffer.from(JSON.stringify(strip(e))).toString('base64'),
		{ 'logging.googleapis.com/timestamp': e.timestamp });
}
function bearerOk(req, res, counterObj) {
	const auth = req.headers.authorization || '';
	const tok = auth.startsWith('Bearer ') ? auth.slice(7) : '';
	if (!tokens.has(tok) || tokens.get(tok) <= Date.now()) {
		counterObj.unauthorized++;
		if (tokens.has(tok)) counters.expired_used++;
		gerr(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. ' +
			'Expected OAuth 2 access token, login cookie or other valid authentication credential.');
		return null;
	}
	return tok;
}
function available(m, now) {
	return !m.acked && (m.ackId === null || m.deadline <= now);
}
function pubsubEndpoint(req, res, body, sub, verb) {
	const tok = bearerOk(req, res, ps.counters);
	if (!tok) return;
	const sc = tokenScopes.get(tok);
	if (sc && !sc.includes('https://www.googleapis.com/auth/pubsub') &&
	    !sc.includes('https://www.googleapis.com/auth/cloud-platform'))
		return gerr(res, 403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.');
	if (sub !== args.subscription)
		return gerr(res, 404, 'NOT_FOUND', 'Resource not found (resource=' + sub.split('/').pop() + ').');
	let q;
	try { q = JSON.parse(body.toString() || '{}'); } catch (e) {
		return gerr(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
	}
	const now = Date.now();
	if (verb === 'pull') {
		if (!Number.isInteger(q.maxMessages) || q.maxMessages < 1)
			return gerr(res, 400, 'INVALID_ARGUMENT', 'max_messages must be a positive integer.');
		if (faults.throttle > 0) {
			faults.throttle--; counters.faults++;
			return gerr(res, 429, 'RESOURCE_EXHAUSTED', 'Too many outstanding pull requests.');
		}
		if (faults.fail > 0) {
			faults.fail--; counters.faults++;
			return gerr(res, 503, 'UNAVAILABLE', 'The service was unable to fulfill your request.');
		}
		ps.counters.pulls++;
		const deliver = () => {
			const t = Date.now(), out = [];
			for (const m of ps.messages) {
				if (out.length >= q.maxMessages) break;
				if (!available(m, t)) continue;
				m.deliveries++;
				if (m.deliveries > 1) ps.counters.redelivered++;
				if (m.deliveries > ps.counters.max_deliveries) ps.counters.max_deliveries = m.deliveries;
				ps.counters.delivered++;
				m.ackId = 'ack-' + m.id + '-' + m.deliveries + '-' + crypto.randomBytes(6).toString('hex');
				m.deadline = t + ackDeadline * 1000;
				out.push({ ackId: m.ackId, message: { data: m.data, attributes: m.attributes,
					messageId: m.id, publishTime: m.publishTime } });
			}
			return out;
		};
		let got = deliver();
		if (got.length || q.returnImmediately === true)
			return send(res, 200, got.length ? { receivedMessages: got } : {});
		const until = now + pullWait;
		const tick = () => {
			got = deliver();
			if (got.length || Date.now() >= until)
				return send(res, 200, got.length ? { receivedMessages: got } : {});
			setTimeout(tick, 50);
		};
		return setTimeout(tick, 50);
	}
	if (!Array.isArray(q.ackIds) || q.ackIds.length === 0)
		return gerr(res, 400, 'INVALID_ARGUMENT', 'No ack ids specified.');
	if (verb === 'modifyAckDeadline') {
		const s = q.ackDeadlineSeconds;
		if (!Number.isInteger(s) || s < 0 || s > 600)
			return gerr(res, 400, 'INVALID_ARGUMENT', 'Invalid ack deadline given: ' + s);
		for (const id of q.ackIds) {
			const m = ps.messages.find((x) => x.ackId === id && !x.acked);
			if (m && m.deadline > now) { m.deadline = now + s * 1000; ps.counters.extended++; }
		}
		return send(res, 200, {});
	}
	ps.counters.ack_requests++;
	if (ps.hangAck > 0) {
		ps.hangAck--; counters.faults++;
		return;                 // never answered: the caller is killed meanwhile
	}
	for (const id of q.ackIds) {
		const m = ps.messages.find((x) => x.ackId === id);
		if (!m || m.acked) continue;
		if (m.deadline <= now) { ps.counters.late_acks++; continue; }
		m.acked = true;
		ps.counters.acked++;
	}
	send(res, 200, {});
}
if (args.publish !== undefined)
	for (const e of entries) publishEntry(e);

function control(res, path, q) {
	const n = Number(q.get('n') || 1);
	switch (path) {
	case '/__control/throttle': faults.throttle = n; break;
	case '/__control/fail': faults.fail = n; break;
	case '/__control/hang': faults.hang = n; break;
	case '/__control/truncate': faults.truncate = n; break;
	case '/__control/empty': faults.empty = n; break;
	case '/__control/expire': for (const k of tokens.keys()) tokens.set(k, 0); break;
	case '/__control/token_ttl': tokenTtl = Number(q.get('s')); break;
	case '/__control/add': {
		const p = q.get('project'), age = Number(q.get('age_ms') || 0);
		const tmpl = entries.find((e) => e.logName === 'projects/' + p +
			'/logs/cloudaudit.googleapis.com%2Factivity');
		if (!tmpl) return send(res, 404, { error: 'no template entry for ' + p });
		const ids = [];
		for (let i = 0; i < n; i++) {
			const e = JSON.parse(JSON.stringify(strip(tmpl)));
			e.insertId = 'mock-' + (++addCounter) + '-' + crypto.randomBytes(3).toString('hex');
			e.timestamp = nowTs(age);
			e.receiveTimestamp = nowTs(0);
			entries.push(e);
			ids.push(e.insertId);
		}
		index();
		return send(res, 200, { added: ids });
	}
	case '/__control/load': {
		const list = JSON.parse(fs.readFileSync(q.get('file'), 'utf8')).entries || [];
		if (firstShift !== null) moveBy(list, firstShift);
		for (const e of list) entries.push(e);
		index();
		return send(res, 200, { added: list.map((e) => e.insertId) });
	}
	case '/__control/publish_raw': return send(res, 200, { messageId: publish(q.get('data') || '') });
	case '/__control/hang_ack': ps.hangAck = n; break;
	case '/__control/pubsub': {
		const c = Object.assign({}, ps.counters), t = Date.now();
		c.backlog = ps.messages.filter((m) => !m.acked).length;
		c.outstanding = ps.messages.filter((m) => !m.acked && m.ackId !== null && m.deadline > t).length;
		return send(res, 200, c);
	}
	case '/__control/requests': return send(res, 200, requests);
	case '/__control/counters': {
		const c = JSON.parse(JSON.stringify(counters));
		for (const p of Object.keys(c.projects)) delete c.projects[p].times;
		c.tokens_issued = tokens.size;
		return send(res, 200, c);
	}
	default: return send(res, 404, { error: 'unknown control ' + path });
	}
	send(res, 200, { ok: true });
}

const server = http.createServer(misbehave.wrap((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks);
		const u = new URL(req.url, 'http://127.0.0.1');
		const selfUrl = 'http://127.0.0.1:' + server.address().port + '/token';
		try {
			if (u.pathname.startsWith('/__control/')) return control(res, u.pathname, u.searchParams);
			if (req.method === 'POST' && u.pathname === '/token') return tokenEndpoint(req, res, body, selfUrl);
			if (req.method === 'POST' && u.pathname === '/sts/v1/token') return stsEndpoint(req, res, body, u);
			if (req.method === 'GET' && u.pathname === '/subject') return subjectEndpoint(req, res, u);
			const iam = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(u.pathname);
			if (req.method === 'POST' && iam) return iamEndpoint(req, res, body, u, decodeURIComponent(iam[1]));
			if (req.method === 'GET' && u.pathname === '/computeMetadata/v1/instance/service-accounts/default/token') {
				if (req.headers['metadata-flavor'] !== 'Google') {
					counters.token.rejected++;
					res.writeHead(403, { 'Content-Type': 'text/html' });
					return res.end('Missing Metadata-Flavor:Google header.');
				}
				return issue(res, 'metadata', { 'Metadata-Flavor': 'Google' });
			}
			if (req.method === 'POST' && u.pathname === '/v2/entries:list') return listEntries(req, res, body);
			const psm = /^\/v1\/(projects\/[^/]+\/subscriptions\/[^/:]+):(pull|acknowledge|modifyAckDeadline)$/.exec(u.pathname);
			if (req.method === 'POST' && psm) return pubsubEndpoint(req, res, body, psm[1], psm[2]);
			gerr(res, 404, 'NOT_FOUND', 'no such method ' + req.method + ' ' + u.pathname);
		} catch (e) {
			console.error(e);
			gerr(res, 500, 'INTERNAL', 'mock error: ' + e.message);
		}
	});
}));
server.listen(Number(args.port || 0), '127.0.0.1', () => {
	process.stdout.write(server.address().port + '\n');
});
