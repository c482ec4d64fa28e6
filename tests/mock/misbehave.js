// tests/mock/misbehave.js: the faults of the misbehaving-server matrix (tests/live/misbehave.sh),
// for every mock server. A mock passes its request handler through wrap():
//
//   const misbehave = require('./misbehave.js');
//   http.createServer(misbehave.wrap((req, res) => { ... }))
//
// wrap() reads the request body first (the handler gets a stand-in request that replays it),
// then either lets the handler answer as usual or answers, or spoils the handler's answer, the
// way a rule says. A rule matches the text "METHOD PATH" (plus " X-Amz-Target" when the
// request has one), e.g. "LookupEvents", "^POST /token$", "^GET /state/".
//
// Control, on the mock's own port (never itself spoiled):
//   GET /__control/misbehave?route=RE&mode=M[&n=N]   add a rule (n times; default every time)
//   GET /__control/misbehave?clear=1                  forget every rule
//   GET /__control/misbehave/counters                 [{route, mode, hits, bytes}], bytes being
//                                                     what the big modes sent
// Environment: MOCK_MISBEHAVE="RE=MODE[;RE=MODE...]" adds rules at start; MOCK_TRICKLE_MS
// (default 1000) is the gap between two trickled bytes.
//
// Modes:
//   trickle     the real answer, its body one byte per MOCK_TRICKLE_MS
//   ctype       the real answer labelled Content-Type: text/html; charset=iso-8859-1
//   html        200 text/html: a captive portal's login page
//   big         200 application/json with Content-Length: 1 GiB, bytes sent until the client
//               hangs up (at the pace it reads)
//   bigchunked  the same without Content-Length (chunked)
//   redirect    302 to the very same URL: a loop for a client that follows redirects
//   clmismatch  the real answer with a Content-Length 100 bytes over its body, then the
//               connection closed
//   reset       the real headers and half the real body, then a TCP reset
//   repeat      paginated JSON (LookupEvents, entries:list): the real first page carries a page
//               token, and every request with that token gets the same page and the same token
//   cycle       tokens A, B, A, B, ... (each request with a token gets that page again)
//   endless     a new token on every page, forever
// The page-token modes answer requests carrying their tokens themselves (without the real
// handler, so without its signature or token checks): "mb.K" tokens, K counting pages.
'use strict';

const { Readable } = require('stream');

const rules = [];
const TRICKLE_MS = Number(process.env.MOCK_TRICKLE_MS || 1000);
const MODES = ['trickle', 'ctype', 'html', 'big', 'bigchunked', 'redirect', 'clmismatch', 'reset',
	'repeat', 'cycle', 'endless'];

function addRule(route, mode, n) {
	if (!MODES.includes(mode)) throw new Error('unknown misbehave mode ' + mode);
	rules.push({ route, re: new RegExp(route), mode, left: n > 0 ? n : Infinity, hits: 0, bytes: 0,
		page: null });
}

for (const r of (process.env.MOCK_MISBEHAVE || '').split(';').filter(Boolean)) {
	const i = r.lastIndexOf('=');
	addRule(r.slice(0, i), r.slice(i + 1), 0);
}

function send(res, status, headers, body) {
	res.writeHead(status, headers);
	res.end(body);
}

// The handler's answer, caught instead of sent: done({status, headers, body}).
function capture(res, done) {
	const orig = { writeHead: res.writeHead, setHeader: res.setHeader, write: res.write, end: res.end };
	let status = 200;
	const headers = {}, chunks = [];
	const keep = (h) => { for (const k of Object.keys(h || {})) headers[k.toLowerCase()] = h[k]; };
	res.setHeader = (k, v) => { headers[k.toLowerCase()] = v; return res; };
	res.writeHead = (st, a, b) => { status = st; keep(typeof a === 'object' ? a : b); return res; };
	res.write = (c) => { if (c) chunks.push(Buffer.from(c)); return true; };
	res.end = (c) => {
		if (c) chunks.push(Buffer.from(c));
		Object.assign(res, orig);
		done({ status, headers, body: Buffer.concat(chunks) });
		return res;
	};
}

// A stand-in request for the handler: the same line and headers, the body replayed.
function replay(req, body) {
	const r = new Readable({ read() {} });
	r.push(body);
	r.push(null);
	for (const k of ['headers', 'rawHeaders', 'method', 'url', 'httpVersion', 'socket'])
		r[k] = req[k];
	r.connection = req.socket;
	return r;
}

function stream(res, rule, chunked) {
	const chunk = Buffer.alloc(64 * 1024, 'a');
	chunk.write('{"Events":[],"entries":[],"x":"');
	const h = { 'content-type': 'application/json' };
	if (!chunked) h['content-length'] = String(1024 * 1024 * 1024);
	res.writeHead(200, h);
	let open = true;
	res.on('close', () => { open = false; });
	const more = () => {
		while (open && rule.bytes < 1024 * 1024 * 1024) {
			rule.bytes += chunk.length;
			if (!res.write(chunk)) return res.once('drain', more);
		}
		if (open) res.end();
	};
	more();
}

function trickle(res, real) {
	const h = Object.assign({}, real.headers, { 'content-length': String(real.body.length) });
	delete h['transfer-encoding'];
	res.writeHead(real.status, h);
	let i = 0;
	const t = setInterval(() => {
		if (res.destroyed || i >= real.body.length) {
			clearInterval(t);
			if (!res.destroyed) res.end();
			return;
		}
		res.write(real.body.subarray(i, i + 1));
		i++;
	}, TRICKLE_MS);
	res.on('close', () => clearInterval(t));
}

// The request's page token, if any (CloudTrail NextToken, Logging pageToken).
function requestToken(body) {
	try {
		const p = JSON.parse(body.toString() || '{}');
		return p.NextToken || p.pageToken || null;
	} catch (e) {
		return null;
	}
}

function pageWithToken(res, rule, page, token) {
	const doc = Object.assign({}, page.doc);
	delete doc.NextToken;
	delete doc.nextPageToken;
	doc[page.field] = token;
	const body = Buffer.from(JSON.stringify(doc));
	send(res, 200, Object.assign({}, page.headers, { 'content-length': String(body.length) }), body);
}

// The token after `k` for the mode: repeat mb.1 forever; cycle mb.1, mb.2, mb.1...; endless up.
function nextToken(mode, k) {
	if (mode === 'repeat') return 'mb.1';
	if (mode === 'cycle') return k === 1 ? 'mb.2' : 'mb.1';
	return 'mb.' + (k + 1);
}

function spoil(rule, req, res, body, handler) {
	const m = rule.mode;
	if (m === 'html')
		return send(res, 200, { 'content-type': 'text/html; charset=utf-8' },
			'<!DOCTYPE html>\n<html><head><title>Wi-Fi login</title></head><body><h1>Welcome</h1>' +
			'<form method="post" action="/login"><input name="room"><button>Connect</button>' +
			'</form></body></html>\n');
	if (m === 'big' || m === 'bigchunked') return stream(res, rule, m === 'bigchunked');
	if (m === 'redirect')
		return send(res, 302, { location: req.url, 'content-type': 'text/plain' }, 'moved\n');
	const tok = requestToken(body);
	if (['repeat', 'cycle', 'endless'].includes(m) && tok && /^mb\.\d+$/.test(tok)) {
		if (!rule.page) return send(res, 400, { 'content-type': 'application/json' }, '{"error":"no page"}');
		return pageWithToken(res, rule, rule.page, nextToken(m, Number(tok.slice(3))));
	}
	capture(res, (real) => {
		if (m === 'trickle') return trickle(res, real);
		if (m === 'ctype') {
			real.headers['content-type'] = 'text/html; charset=iso-8859-1';
			return send(res, real.status, real.headers, real.body);
		}
		if (m === 'clmismatch') {
			const h = Object.assign({}, real.headers, { 'content-length': String(real.body.length + 100) });
			delete h['transfer-encoding'];
			res.writeHead(real.status, h);
			return res.write(real.body, () => res.socket.end());
		}
		if (m === 'reset') {
			const h = Object.assign({}, real.headers, { 'content-length': String(real.body.length) });
			delete h['transfer-encoding'];
			res.writeHead(real.status, h);
			return res.write(real.body.subarray(0, Math.floor(real.body.length / 2)), () =>
				(res.socket.resetAndDestroy ? res.socket.resetAndDestroy() : res.socket.destroy()));
		}
		// Page-token modes: the real first page, with our first token.
		let doc = null;
		try { doc = real.status === 200 ? JSON.parse(real.body.toString()) : null; } catch (e) { doc = null; }
		if (!doc || typeof doc !== 'object' || Array.isArray(doc))
			return send(res, real.status, real.headers, real.body);
		const field = 'Events' in doc || req.headers['x-amz-target'] ? 'NextToken' : 'nextPageToken';
		rule.page = { doc, field, headers: real.headers };
		pageWithToken(res, rule, rule.page, 'mb.1');
	});
	handler(replay(req, body), res);
}

function control(res, url) {
	const q = url.searchParams;
	const json = (st, o) => send(res, st, { 'content-type': 'application/json' }, JSON.stringify(o) + '\n');
	if (url.pathname === '/__control/misbehave/counters')
		return json(200, rules.map((r) => ({ route: r.route, mode: r.mode, hits: r.hits, bytes: r.bytes })));
	if (q.get('clear')) {
		rules.length = 0;
		return json(200, { ok: true });
	}
	try {
		addRule(q.get('route') || '.', q.get('mode'), Number(q.get('n') || 0));
	} catch (e) {
		return json(400, { error: e.message });
	}
	json(200, { ok: true, rules: rules.length });
}

function wrap(handler) {
	return (req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			const url = new URL(req.url, 'http://127.0.0.1');
			if (url.pathname === '/__control/misbehave' || url.pathname === '/__control/misbehave/counters')
				return control(res, url);
			const target = req.headers['x-amz-target'];
			const key = req.method + ' ' + url.pathname + (target ? ' ' + target : '');
			const rule = url.pathname.startsWith('/__control/') ? null :
				rules.find((r) => r.left > 0 && r.re.test(key));
			if (!rule) return handler(replay(req, body), res);
			rule.left--;
			rule.hits++;
			spoil(rule, req, res, body, handler);
		});
	};
}

module.exports = { wrap };
