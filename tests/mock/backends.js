// Loopback stand-ins for the non-AWS Terraform state backends, on one port:
//   GCS JSON API      GET /storage/v1/b/BUCKET/o/OBJECT          metadata (generation, size, md5Hash)
//                     GET /storage/v1/b/BUCKET/o/OBJECT?alt=media[&generation=G]   the bytes
//                     Authorization: Bearer $MOCK_GCS_TOKEN, else 401 (Google error JSON)
//   HTTP backend      GET /state/NAME    basic auth $MOCK_HTTP_USER:$MOCK_HTTP_PASS, else 401;
//                     404 when absent; ETag + If-None-Match (304) only after /__control/etag?on=1
//   HCP Terraform     GET /api/v2/organizations/ORG/workspaces/NAME        -> data.id ws-...
//                     GET /api/v2/workspaces/WSID/current-state-version    -> data.id sv-..., attributes
//                     GET /_archivist/v1/object/OPAQUE                     -> the state
//                     Authorization: Bearer $MOCK_HCP_TOKEN on /api/v2, else 401 (JSON:API errors)
//
//   node backends.js --port 0 [--gcs BUCKET/OBJECT=FILE]... [--http NAME=FILE]... [--hcp ORG/WS=FILE]...
//
// Control (GET): /__control/counters, /__control/reset, /__control/fail500?n=1,
// /__control/truncate?n=1 (next state bodies cut in half), /__control/etag?on=1,
// /__control/bump?kind=gcs|http|hcp&name=ID (serial+1, new generation / state version),
// /__control/delete?kind=..&name=ID. An object's change time (GCS `updated`, HCP `created-at`,
// the HTTP backend's Last-Modified) is 2024-05-26T08:00:00Z until a bump makes it now. Counters: requests, unauthorized, gcs_meta, gcs_media,
// http_get, http_304, hcp_api, hcp_download, bodies, bytes (state bytes sent), errors.
// Misbehaving-server faults (trickle, HTML, oversized bodies, ...): tests/mock/misbehave.js.
'use strict';

const http = require('http');
const misbehave = require('./misbehave.js');
const fs = require('fs');
const crypto = require('crypto');

const args = process.argv.slice(2);
let port = 0;
// objects[kind][name] = { body: Buffer, gen: number, mtime: Date }
const objects = { gcs: {}, http: {}, hcp: {} };
const FIXTURE_MTIME = new Date('2024-05-26T08:00:00Z');
for (let i = 0; i < args.length; i++) {
  const a = args[i], v = args[i + 1];
  if (a === '--port') { port = +v; i++; continue; }
  const kind = { '--gcs': 'gcs', '--http': 'http', '--hcp': 'hcp' }[a];
  if (!kind) { console.error(`backends.js: unknown argument ${a}`); process.exit(2); }
  const eq = v.lastIndexOf('=');
  objects[kind][v.slice(0, eq)] = { body: fs.readFileSync(v.slice(eq + 1)), gen: 1000 + i, mtime: FIXTURE_MTIME };
  i++;
}

const gcsToken = process.env.MOCK_GCS_TOKEN || 'gcs-test-token';
const hcpToken = process.env.MOCK_HCP_TOKEN || 'hcp-test-token';
const httpUser = process.env.MOCK_HTTP_USER || 'tf';
const httpPass = process.env.MOCK_HTTP_PASS || 'tf-pass';

const zero = () => ({ requests: 0, unauthorized: 0, gcs_meta: 0, gcs_media: 0, http_get: 0,
  http_304: 0, hcp_api: 0, hcp_download: 0, bodies: 0, bytes: 0, errors: 0 });
let counters = zero();
let fail500 = 0, truncate = 0, etagOn = false;

function send(res, status, obj, headers) {
  const body = typeof obj === 'string' || Buffer.isBuffer(obj) ? Buffer.from(obj) : Buffer.from(JSON.stringify(obj));
  res.writeHead(status, Object.assign({ 'content-type': 'application/json', 'content-length': body.length }, headers || {}));
  res.end(body);
}

// A state body, counted, and cut short when a truncation is pending.
function sendState(res, body, headers) {
  let out = body;
  if (truncate > 0) { truncate--; out = body.subarray(0, Math.floor(body.length / 2)); }
  counters.bodies++;
  counters.bytes += out.length;
  res.writeHead(200, Object.assign({ 'content-type': 'application/octet-stream', 'content-length': out.length }, headers || {}));
  res.end(out);
}

function md5(b, enc) { return crypto.createHash('md5').update(b).digest(enc); }

function bump(kind, name) {
  const o = objects[kind][name];
  if (!o) return null;
  const st = JSON.parse(o.body.toString());
  st.serial = (st.serial || 0) + 1;
  o.body = Buffer.from(JSON.stringify(st, null, 2) + '\n');
  o.gen++;
  o.mtime = new Date();
  return st.serial;
}

function control(res, url) {
  const q = url.searchParams;
  switch (url.pathname) {
    case '/__control/counters': return send(res, 200, counters);
    case '/__control/reset': counters = zero(); return send(res, 200, counters);
    case '/__control/fail500': fail500 = +(q.get('n') || 1); return send(res, 200, { fail500 });
    case '/__control/truncate': truncate = +(q.get('n') || 1); return send(res, 200, { truncate });
    case '/__control/etag': etagOn = q.get('on') === '1'; return send(res, 200, { etag: etagOn });
    case '/__control/bump': return send(res, 200, { serial: bump(q.get('kind'), q.get('name')) });
    case '/__control/delete': delete objects[q.get('kind')][q.get('name')]; return send(res, 200, {});
  }
  send(res, 404, {});
}

function gcs(req, res, url, m) {
  if (req.headers['authorization'] !== `Bearer ${gcsToken}`) {
    counters.unauthorized++;
    return send(res, 401, { error: { code: 401, message: 'Request had invalid authentication credentials.' } });
  }
  const name = `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`;
  const o = objects.gcs[name];
  if (!o) return send(res, 404, { error: { code: 404, message: `No such object: ${name}` } });
  if (url.searchParams.get('alt') === 'media') {
    counters.gcs_media++;
    const g = url.searchParams.get('generation');
    if (g !== null && g !== String(o.gen))
      return send(res, 404, { error: { code: 404, message: `No such object: ${name}#${g}` } });
    return sendState(res, o.body, { 'x-goog-generation': String(o.gen) });
  }
  counters.gcs_meta++;
  send(res, 200, { kind: 'storage#object', name: decodeURIComponent(m[2]), bucket: decodeURIComponent(m[1]),
    generation: String(o.gen), metageneration: '1', size: String(o.body.length),
    md5Hash: md5(o.body, 'base64'), etag: `C${o.gen}=`, updated: o.mtime.toISOString() });
}

function httpBackend(req, res, name) {
  const want = 'Basic ' + Buffer.from(`${httpUser}:${httpPass}`).toString('base64');
  if (req.headers['authorization'] !== want) {
    counters.unauthorized++;
    return send(res, 401, 'unauthorized\n', { 'www-authenticate': 'Basic realm="state"', 'content-type': 'text/plain' });
  }
  counters.http_get++;
  const o = objects.http[name];
  if (!o) return send(res, 404, 'not found\n', { 'content-type': 'text/plain' });
  const etag = `"${md5(o.body, 'hex')}"`;
  if (etagOn && req.headers['if-none-match'] === etag) {
    counters.http_304++;
    res.writeHead(304, { etag });
    return res.end();
  }
  sendState(res, o.body, Object.assign({ 'last-modified': o.mtime.toUTCString() }, etagOn ? { etag } : {}));
}

function hcp(req, res, url) {
  const p = url.pathname;
  if (p.startsWith('/_archivist/')) {
    counters.hcp_download++;
    const name = Buffer.from(p.split('/').pop(), 'base64url').toString();
    const o = objects.hcp[name];
    if (!o) return send(res, 404, {});
    return sendState(res, o.body);
  }
  if (req.headers['authorization'] !== `Bearer ${hcpToken}`) {
    counters.unauthorized++;
    return send(res, 401, { errors: [{ status: '401', title: 'unauthorized' }] });
  }
  counters.hcp_api++;
  let m = /^\/api\/v2\/organizations\/([^/]+)\/workspaces\/([^/]+)$/.exec(p);
  if (m) {
    const name = `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`;
    if (!objects.hcp[name] && !objects.hcp[name + '#empty'])
      return send(res, 404, { errors: [{ status: '404', title: 'not found' }] });
    return send(res, 200, { data: { id: 'ws-' + Buffer.from(name).toString('base64url'), type: 'workspaces',
      attributes: { name: decodeURIComponent(m[2]) } } });
  }
  m = /^\/api\/v2\/workspaces\/ws-([^/]+)\/current-state-version$/.exec(p);
  if (m) {
    const name = Buffer.from(m[1], 'base64url').toString();
    const o = objects.hcp[name];
    if (!o) return send(res, 404, { errors: [{ status: '404', title: 'not found' }] });
    const st = JSON.parse(o.body.toString());
    const base = `http://${req.headers['host']}`;
    return send(res, 200, { data: { id: `sv-${o.gen}`, type: 'state-versions', attributes: {
      serial: st.serial, size: o.body.length, status: 'finalized', 'created-at': o.mtime.toISOString(),
      'resources-processed': true, 'state-version': st.version, 'terraform-version': st.terraform_version,
      'hosted-state-download-url': `${base}/_archivist/v1/object/${Buffer.from(name).toString('base64url')}`,
      'hosted-json-state-download-url': null } } }, { 'content-type': 'application/vnd.api+json' });
  }
  send(res, 404, { errors: [{ status: '404', title: 'not found' }] });
}

const server = http.createServer(misbehave.wrap((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname.startsWith('/__control/')) return control(res, url);
  counters.requests++;
  if (fail500 > 0) {
    fail500--;
    counters.errors++;
    return send(res, 500, { error: { code: 500, message: 'injected failure' } });
  }
  let m = /^\/storage\/v1\/b\/([^/]+)\/o\/([^/]+)$/.exec(url.pathname);
  if (m) return gcs(req, res, url, m);
  m = /^\/state\/([^/]+)$/.exec(url.pathname);
  if (m) return httpBackend(req, res, decodeURIComponent(m[1]));
  if (url.pathname.startsWith('/api/v2/') || url.pathname.startsWith('/_archivist/')) return hcp(req, res, url);
  send(res, 404, {});
}));

server.listen(port, '127.0.0.1', () => process.stdout.write(server.address().port + '\n'));
process.on('SIGTERM', () => process.exit(0));
