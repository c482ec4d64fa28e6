// S3 on loopback for the state-backend tests: s3rver (pinned in package.json) stores the
// objects and answers GetObject (ETag, If-None-Match -> 304, NoSuchKey, ...), behind a front
// proxy that checks every request's SigV4 signature with sigv4.js verify() (the official
// signer). s3rver 3.7.1 does not check V4 signatures itself ("Signature version 4 calculation
// is unimplemented" in its authentication middleware), so without the proxy a wrong secret
// would be accepted.
//
//   node s3.js --port 0 [--region us-east-1] [--bucket B]... [--put B/KEY=FILE]...
//   keys: MOCK_S3_KEYS="AKID:SECRET[,AKID:SECRET]" in the environment (default S3RVER:S3RVER)
//
// Prints the front port on the first stdout line. Control endpoints (GET):
//   /__control/counters         {"requests","refused","gets","bodies","s304","bytes","errors"}
//   /__control/reset            zero the counters
//   /__control/fail500?n=1      the next n S3 requests get 500 InternalError
//   /__control/truncate?n=1     the next n object bodies are cut in half (Content-Length fixed)
//   /__control/bump?bucket=B&key=K   rewrite the state object with serial+1 (new ETag)
//   /__control/put?bucket=B&key=K&file=PATH   upload a file as the object
//   /__control/delete?bucket=B&key=K
//   /__control/deny?bucket=B&key=K          answer 403 AccessDenied for that object (after the signature check)
// Objects uploaded by --put say Last-Modified: 2024-05-26T08:00:00Z; later ones keep s3rver's
// own (the upload time).
// Misbehaving-server faults (trickle, HTML, oversized bodies, ...): tests/mock/misbehave.js.
'use strict';

const http = require('http');
const misbehave = require('./misbehave.js');
const fs = require('fs');
const os = require('os');
const path = require('path');
const S3rver = require('s3rver');
const Account = require('s3rver/lib/models/account');
const { verify } = require('./sigv4');

const args = process.argv.slice(2);
const opt = { port: 0, region: 'us-east-1', buckets: [], puts: [] };
for (let i = 0; i < args.length; i++) {
  const a = args[i], v = args[i + 1];
  if (a === '--port') { opt.port = +v; i++; }
  else if (a === '--region') { opt.region = v; i++; }
  else if (a === '--bucket') { opt.buckets.push(v); i++; }
  else if (a === '--put') { opt.puts.push(v); i++; }
  else { console.error(`s3.js: unknown argument ${a}`); process.exit(2); }
}

const keys = {};
for (const kv of (process.env.MOCK_S3_KEYS || 'S3RVER:S3RVER').split(',')) {
  const i = kv.indexOf(':');
  keys[kv.slice(0, i)] = { secret: kv.slice(i + 1) };
  // s3rver looks the access key up before its (absent) V4 check: register ours.
  if (kv.slice(0, i) !== 'S3RVER') Account.DUMMY_ACCOUNT.createKeyPair(kv.slice(0, i), kv.slice(i + 1));
}

const counters = { requests: 0, refused: 0, gets: 0, bodies: 0, s304: 0, bytes: 0, errors: 0 };
let fail500 = 0, truncate = 0, innerPort = 0;
const denied = new Set();  // bucket/key paths answered with 403 AccessDenied
const fixtureMtime = new Map();  // bucket/key -> the Last-Modified the fixtures claim
const FIXTURE_MTIME = new Date('2024-05-26T08:00:00Z').toUTCString();

function encKey(key) {
  return key.split('/').map(encodeURIComponent).join('/');
}

// A plain (anonymous) request to s3rver itself: how fixtures are uploaded through its API.
function inner(method, bucket, key, body) {
  return new Promise((resolve, reject) => {
    const rq = http.request({ host: '127.0.0.1', port: innerPort, method,
      path: `/${bucket}/${encKey(key)}`,
      headers: body ? { 'content-length': body.length, 'content-type': 'application/json' } : {} },
    (rs) => {
      const chunks = [];
      rs.on('data', (c) => chunks.push(c));
      rs.on('end', () => resolve({ status: rs.statusCode, body: Buffer.concat(chunks) }));
    });
    rq.on('error', reject);
    rq.end(body);
  });
}

function xmlError(res, status, code, message) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>${message}</Message><RequestId>mock</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function control(req, res, url) {
  const q = url.searchParams;
  const json = (o) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(o) + '\n'); };
  switch (url.pathname) {
    case '/__control/counters': return json(counters);
    case '/__control/reset': for (const k in counters) counters[k] = 0; return json(counters);
    case '/__control/deny': denied.add(`${q.get('bucket')}/${q.get('key')}`); return json({ denied: [...denied] });
    case '/__control/fail500': fail500 = +(q.get('n') || 1); return json({ fail500 });
    case '/__control/truncate': truncate = +(q.get('n') || 1); return json({ truncate });
    case '/__control/bump': {
      fixtureMtime.delete(`${q.get('bucket')}/${q.get('key')}`);
      const got = await inner('GET', q.get('bucket'), q.get('key'));
      if (got.status !== 200) return json({ error: `GET ${got.status}` });
      const st = JSON.parse(got.body.toString());
      st.serial = (st.serial || 0) + 1;
      const put = await inner('PUT', q.get('bucket'), q.get('key'), Buffer.from(JSON.stringify(st, null, 2) + '\n'));
      return json({ serial: st.serial, status: put.status });
    }
    case '/__control/put': {
      fixtureMtime.delete(`${q.get('bucket')}/${q.get('key')}`);
      const put = await inner('PUT', q.get('bucket'), q.get('key'), fs.readFileSync(q.get('file')));
      return json({ status: put.status });
    }
    case '/__control/delete': {
      const del = await inner('DELETE', q.get('bucket'), q.get('key'));
      return json({ status: del.status });
    }
  }
  res.writeHead(404);
  res.end();
}

async function handle(req, res, body) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname.startsWith('/__control/')) return control(req, res, url);
  counters.requests++;
  if (fail500 > 0) {
    fail500--;
    counters.errors++;
    return xmlError(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
  }
  const v = await verify(req, body, keys, { region: opt.region, service: 's3' });
  if (!v.ok) {
    counters.refused++;
    console.error(`refused ${req.method} ${req.url}: ${v.code}: ${v.error}`);
    return xmlError(res, 403, v.code, v.error);
  }
  if (denied.has(decodeURIComponent(url.pathname.slice(1))))
    return xmlError(res, 403, 'AccessDenied', 'Access Denied');
  if (req.method === 'GET') counters.gets++;
  const fwd = http.request({ host: '127.0.0.1', port: innerPort, method: req.method, path: req.url,
    headers: req.headers }, (rs) => {
    const chunks = [];
    rs.on('data', (c) => chunks.push(c));
    rs.on('end', () => {
      let out = Buffer.concat(chunks);
      const headers = Object.assign({}, rs.headers);
      delete headers['content-length'];
      delete headers['transfer-encoding'];
      if (rs.statusCode === 304) counters.s304++;
      if (rs.statusCode === 200 && req.method === 'GET') {
        if (truncate > 0) {
          truncate--;
          out = out.subarray(0, Math.floor(out.length / 2));
        }
        counters.bodies++;
        counters.bytes += out.length;
      }
      if (rs.statusCode !== 304) headers['content-length'] = out.length;
      const fixed = fixtureMtime.get(decodeURIComponent(url.pathname.slice(1)));
      if (fixed && rs.statusCode === 200) headers['last-modified'] = fixed;
      res.writeHead(rs.statusCode, headers);
      res.end(out);
    });
  });
  fwd.on('error', (e) => xmlError(res, 502, 'BadGateway', e.message));
  fwd.end(body.length ? body : undefined);
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfdrift-s3rver-'));
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir,
    resetOnClose: true, configureBuckets: opt.buckets.map((name) => ({ name })) });
  innerPort = (await s3.run()).port;
  for (const p of opt.puts) {
    const m = /^([^/]+)\/(.+)=(.+)$/.exec(p);
    const r = await inner('PUT', m[1], m[2], fs.readFileSync(m[3]));
    if (r.status !== 200) throw new Error(`upload ${p}: ${r.status} ${r.body}`);
    fixtureMtime.set(`${m[1]}/${m[2]}`, FIXTURE_MTIME);
  }
  const front = http.createServer(misbehave.wrap((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)).catch((e) => {
      console.error(e);
      if (!res.headersSent) xmlError(res, 500, 'InternalError', 'mock failure');
    }));
  }));
  front.listen(opt.port, '127.0.0.1', () => {
    process.stdout.write(front.address().port + '\n');
  });
  const stop = () => { try { fs.rmSync(dir, { recursive: true, force: true }); } catch (e) { /* gone */ } process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => { console.error(e); process.exit(1); });
