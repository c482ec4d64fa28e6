// tests/mock/receivers.js: loopback receivers for tfdrift's notification outputs.
//
//   node receivers.js --port 0
//
// Prints its port on the first stdout line. Endpoints (POST; any path below the prefix, so a
// test can put a "secret" in the path as Slack's webhook URLs do):
//   /slack/...          a Slack incoming webhook: the body must be JSON with text or blocks
//                       (else 400 invalid_payload, as Slack answers); records it; answers "ok"
//   /webhook/...        records the raw body and the request headers; answers 200
//   /falcosidekick/...  falcosidekick's HTTP input: checks the payload as falcosidekick's
//                       FalcoPayload.Check does (priority one of Falco's, rule set, time an
//                       RFC 3339 date, output_fields not empty; else 400); records it
//   /fail?n=N[&key=K]   500 for the first N requests (per key), then 200 (records the body)
//   /hang               never answers (the connection stays open)
// Control (GET):
//   /__control/received   JSON {slack: [...], webhook: [{body, headers, path}],
//                         falcosidekick: [...], fail: [{n, status, body}], hang: N}
//   /__control/reset      forget everything
'use strict';

const http = require('http');

let port = 0;
for (let i = 2; i < process.argv.length; i++) {
	if (process.argv[i] === '--port') port = Number(process.argv[++i]);
}

const priorities = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice',
	'Informational', 'Debug'];
let got;
let failCount;
function reset() {
	got = { slack: [], webhook: [], falcosidekick: [], fail: [], hang: 0 };
	failCount = {};
}
reset();
const hanging = [];

function answer(res, status, body, type) {
	res.writeHead(status, { 'Content-Type': type || 'text/plain' });
	res.end(body);
}

function falcoCheck(p) {
	if (p === null || typeof p !== 'object') return 'not an object';
	if (!priorities.includes(p.priority)) return 'bad priority ' + p.priority;
	if (typeof p.rule !== 'string' || p.rule === '') return 'no rule';
	if (typeof p.time !== 'string' ||
	    !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/.test(p.time) ||
	    Number.isNaN(Date.parse(p.time))) return 'bad time ' + p.time;
	if (p.output_fields === null || typeof p.output_fields !== 'object' ||
	    Object.keys(p.output_fields).length === 0) return 'no output_fields';
	if (typeof p.output !== 'string') return 'no output';
	return null;
}

const server = http.createServer((req, res) => {
	const u = new URL(req.url, 'http://127.0.0.1');
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks).toString('utf8');
		const p = u.pathname;
		if (req.method === 'GET' && p === '/__control/received')
			return answer(res, 200, JSON.stringify(got), 'application/json');
		if (req.method === 'GET' && p === '/__control/reset') {
			reset();
			return answer(res, 200, 'ok');
		}
		if (p === '/hang' || p.startsWith('/hang/')) {
			got.hang++;
			hanging.push(res);          // never answered
			return;
		}
		if (req.method !== 'POST') return answer(res, 405, 'POST only');
		let json = null;
		try {
			json = JSON.parse(body);
		} catch (e) {
			json = null;
		}
		if (p === '/slack' || p.startsWith('/slack/')) {
			if (json === null || (typeof json.text !== 'string' && !Array.isArray(json.blocks)))
				return answer(res, 400, 'invalid_payload');
			got.slack.push(json);
			return answer(res, 200, 'ok');
		}
		if (p === '/webhook' || p.startsWith('/webhook/')) {
			got.webhook.push({ body, headers: req.headers, path: p });
			return answer(res, 200, 'ok');
		}
		if (p === '/falcosidekick' || p.startsWith('/falcosidekick/')) {
			const why = falcoCheck(json);
			if (why !== null) return answer(res, 400, 'bad falco payload: ' + why);
			got.falcosidekick.push(json);
			return answer(res, 200, '');
		}
		if (p === '/fail' || p.startsWith('/fail/')) {
			const key = u.searchParams.get('key') || '';
			const n = Number(u.searchParams.get('n') || '1');
			failCount[key] = (failCount[key] || 0) + 1;
			const status = failCount[key] <= n ? 500 : 200;
			got.fail.push({ n: failCount[key], status, body: json });
			return answer(res, status, status === 500 ? 'internal error (mock)' : 'ok');
		}
		return answer(res, 404, 'no such endpoint');
	});
});

server.listen(port, '127.0.0.1', () => {
	process.stdout.write(server.address().port + '\n');
});
process.on('SIGTERM', () => {
	for (const r of hanging) r.destroy();
	process.exit(0);
});
