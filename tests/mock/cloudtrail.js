// Loopback stand-in for CloudTrail LookupEvents, SQS (JSON 1.0) and S3 GetObject, for the
// tests under tests/live. Every AWS request is checked with sigv4.js verify() (the official
// signer): the service must be the one of the operation and the region one of --regions.
//
//   node cloudtrail.js --port 0 --records FILE [--records FILE...] [--shift-newest-ago SECS]
//        [--regions us-east-1,eu-west-1] --key AKID:SECRET[:TOKEN] [--key ...]
//        [--tls CERT.pem:KEY.pem]
//
// FILE: CloudTrail records ({"Records":[...]} or an array). With --shift-newest-ago the
// times move so the newest record is SECS seconds before now (polling windows see them).
// Records belong to their awsRegion. LookupEvents honours StartTime/EndTime (inclusive,
// epoch seconds), one LookupAttribute, MaxResults 1..50, NextToken (tied to the other
// parameters: InvalidNextTokenException otherwise), newest first. With --tls it serves HTTPS
// with that certificate (tests of AWS_CA_BUNDLE / ca_bundle).
//
// Control (GET/POST /__control/...):
//   throttle?n=N  fail500?n=N  hang?ms=M[&op=Op]  truncate?n=N  expire?n=N  deny?n=N
//   redirect?n=N&to=URL  the next N requests get 302 Found to URL (a captive portal's login)
//   html?n=N            the next N requests get 200 with an HTML page (a portal or proxy)
//   add?n=N             N new write events "now" (clones of sample records, new ids)
//   clone?k=K           every record K more times (new ids, same times +- 0..59 s)
//   reset               forget the counters
//   counters            {requests, by_key, max_rate (sliding 1 s), per_minute, pending
//                       (the redirects and HTML pages still to answer), ...}
//   served              {id: ms when first served}
//   sqs/send?queue=Q    (POST body) one message
//   sqs/eventbridge?queue=Q&n=N       N EventBridge envelopes of write records, times "now"
//   sqs/s3notify?queue=Q&bucket=B&n=N  a gzipped log file of N records put in S3 + notification
//   sqs/state?queue=Q   {visible, inflight, deleted, receives}
//   ids                 every event id the mock holds (write events), one per line
// Misbehaving-server faults (trickle, HTML, oversized bodies, ...): tests/mock/misbehave.js.
'use strict';

const http = require('http');
const https = require('https');
const misbehave = require('./misbehave.js');
const fs = require('fs');
const zlib = require('zlib');
const crypto = require('crypto');
const { verify } = require('./sigv4.js');

const args = process.argv.slice(2);
let port = 0, shift = null, regions = ['us-east-1'], tls = null;
const files = [], keys = {};
for (let i = 0; i < args.length; i++) {
  const a = args[i], v = args[i + 1];
  if (a === '--port') { port = +v; i++; }
  else if (a === '--records') { files.push(v); i++; }
  else if (a === '--shift-newest-ago') { shift = +v; i++; }
  else if (a === '--regions') { regions = v.split(','); i++; }
  else if (a === '--tls') {
    const [cert, key] = v.split(':');
    tls = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
    i++;
  }
  else if (a === '--key') {
    const [akid, secret, token] = v.split(':');
    keys[akid] = token ? { secret, token } : { secret };
    i++;
  } else { console.error('unknown argument ' + a); process.exit(2); }
}

// ---- events ----
let events = [];        // {id, t (s), rec, readOnly, name, source, user, region}
function addRecord(rec) {
  const t = Math.floor(Date.parse(rec.eventTime) / 1000);
  if (!rec.eventID || !isFinite(t)) return;
  events.push({ id: rec.eventID, t, rec, readOnly: rec.readOnly === true ? 'true' : 'false',
    name: rec.eventName, source: rec.eventSource,
    user: rec.userIdentity && (rec.userIdentity.userName || (rec.userIdentity.sessionContext &&
      rec.userIdentity.sessionContext.sessionIssuer && rec.userIdentity.sessionContext.sessionIssuer.userName)),
    region: rec.awsRegion });
}
for (const f of files) {
  const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
  for (const r of (Array.isArray(doc) ? doc : doc.Records)) addRecord(r);
}
if (shift !== null && events.length) {
  const newest = Math.max(...events.map(e => e.t));
  const d = Math.floor(Date.now() / 1000) - shift - newest;
  for (const e of events) {
    e.t += d;
    e.rec = Object.assign({}, e.rec, { eventTime: iso(e.t) });
  }
}
function iso(t) { return new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'); }
function sortEvents() { events.sort((a, b) => b.t - a.t || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)); }
sortEvents();
const writes = () => events.filter(e => e.readOnly === 'false');
function cloneRec(e, t) {
  const id = crypto.randomUUID();
  return Object.assign({}, e.rec, { eventID: id, eventTime: iso(t) });
}

// ---- faults and counters ----
const fault = { throttle: 0, fail500: 0, hang: 0, hangOp: null, truncate: 0, expire: 0, deny: 0,
  redirect: 0, redirectTo: '', html: 0 };
const served = {};
const reqTimes = {};    // key -> recent arrival ms
const counts = {};      // key -> total
const maxRate = {};     // key -> max requests within any 1000 ms
// key -> the shortest time (ms) any three consecutive arrivals spanned: a client that keeps
// 2 requests/s spans >= 1000 ms; scheduling delays on a loaded machine shorten it a little
// (a request that left late arrives close to the next), no limit makes it ~0.
const minSpan3 = {};
const lastTimes = {};   // key -> the last two arrival ms
let total = 0, rejected = 0;
const start = Date.now();
function count(key) {
  const now = Date.now();
  total++;
  counts[key] = (counts[key] || 0) + 1;
  const a = reqTimes[key] || (reqTimes[key] = []);
  a.push(now);
  while (a.length && a[0] <= now - 1000) a.shift();
  maxRate[key] = Math.max(maxRate[key] || 0, a.length);
  const l = lastTimes[key] || (lastTimes[key] = []);
  if (l.length === 2) minSpan3[key] = Math.min(minSpan3[key] ?? Infinity, now - l[0]);
  l.push(now);
  if (l.length > 2) l.shift();
}

// ---- SQS ----
const queues = {};      // name -> {msgs: [], deleted, receives}
function queue(name) { return queues[name] || (queues[name] = { msgs: [], deleted: 0, receives: 0 }); }
function sendMessage(q, body) {
  const id = crypto.randomUUID();
  queue(q).msgs.push({ id, body, visibleAt: 0, receipt: null, receiveCount: 0 });
  return id;
}
const s3 = {};          // "bucket/key" -> Buffer

// ---- HTTP ----
function sendJson(res, status, obj, extra) {
  let body = Buffer.from(JSON.stringify(obj));
  if (fault.truncate > 0 && status === 200) { fault.truncate--; body = body.subarray(0, Math.floor(body.length / 2)); }
  res.writeHead(status, Object.assign({ 'Content-Type': 'application/x-amz-json-1.1',
    'x-amzn-RequestId': crypto.randomUUID(), 'Content-Length': body.length }, extra || {}));
  res.end(body);
}
function awsError(res, status, code, message, s3style) {
  rejected++;
  if (s3style) {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
    res.writeHead(status, { 'Content-Type': 'application/xml' });
    return res.end(body);
  }
  sendJson(res, status, { __type: 'com.amazonaws.mock#' + code, message }, { 'x-amzn-ErrorType': code });
}

function lookupEvents(req, res, p, auth) {
  const la = p.LookupAttributes || [];
  if (!Array.isArray(la) || la.length > 1)
    return awsError(res, 400, 'InvalidLookupAttributesException', 'at most one lookup attribute');
  const max = p.MaxResults === undefined ? 50 : p.MaxResults;
  if (!Number.isInteger(max) || max < 1 || max > 50)
    return awsError(res, 400, 'InvalidMaxResultsException', 'MaxResults must be 1..50');
  const st = p.StartTime === undefined ? 0 : p.StartTime, et = p.EndTime === undefined ? 1e12 : p.EndTime;
  if (typeof st !== 'number' || typeof et !== 'number' || st > et)
    return awsError(res, 400, 'InvalidTimeRangeException', 'StartTime must be before EndTime');
  const params = JSON.stringify([la, st, et, max]);
  const ph = crypto.createHash('sha256').update(params).digest('hex').slice(0, 16);
  let after = null;
  if (p.NextToken !== undefined && p.NextToken !== '') {
    try {
      after = JSON.parse(Buffer.from(p.NextToken, 'base64').toString());
    } catch (e) { after = null; }
    if (!after || after.p !== ph)
      return awsError(res, 400, 'InvalidNextTokenException', 'the parameters differ from the call that made the token');
  }
  const attr = la[0];
  const match = e => {
    if (e.region !== auth.region) return false;
    if (e.t < st || e.t > et) return false;
    if (!attr) return true;
    const v = attr.AttributeValue;
    switch (attr.AttributeKey) {
      case 'ReadOnly': return e.readOnly === v;
      case 'EventName': return e.name === v;
      case 'EventSource': return e.source === v;
      case 'EventId': return e.id === v;
      case 'Username': return e.user === v;
      default: return true;
    }
  };
  const out = [];
  let more = false;
  for (const e of events) {     // newest first
    if (after && (e.t > after.t || (e.t === after.t && e.id >= after.id))) continue;
    if (!match(e)) continue;
    if (out.length === max) { more = true; break; }
    out.push(e);
  }
  const now = Date.now();
  for (const e of out) if (!(e.id in served)) served[e.id] = now;
  const r = { Events: out.map(e => ({ EventId: e.id, EventName: e.name, ReadOnly: e.readOnly,
    AccessKeyId: e.rec.userIdentity && e.rec.userIdentity.accessKeyId, EventTime: e.t,
    EventSource: e.source, Username: e.user,
    Resources: (e.rec.resources || []).map(x => ({ ResourceType: x.type || null, ResourceName: x.ARN })),
    CloudTrailEvent: JSON.stringify(e.rec) })) };
  if (more) {
    const last = out[out.length - 1];
    r.NextToken = Buffer.from(JSON.stringify({ t: last.t, id: last.id, p: ph })).toString('base64');
  }
  sendJson(res, 200, r);
}

function qname(url) { return String(url || '').replace(/\/+$/, '').split('/').pop(); }

function receiveMessage(req, res, p) {
  const q = queue(qname(p.QueueUrl));
  const max = Math.min(Math.max(p.MaxNumberOfMessages || 1, 1), 10);
  const vis = p.VisibilityTimeout === undefined ? 30 : p.VisibilityTimeout;
  const deadline = Date.now() + (p.WaitTimeSeconds || 0) * 1000;
  const tick = () => {
    const now = Date.now();
    const got = q.msgs.filter(m => m.visibleAt <= now).slice(0, max);
    if (got.length === 0 && now < deadline && !res.destroyed) return setTimeout(tick, 25);
    q.receives++;
    for (const m of got) {
      m.visibleAt = now + vis * 1000;
      m.receipt = crypto.randomUUID();
      m.receiveCount++;
    }
    const r = {};
    if (got.length)
      r.Messages = got.map(m => ({ MessageId: m.id, ReceiptHandle: m.receipt,
        MD5OfBody: crypto.createHash('md5').update(m.body).digest('hex'), Body: m.body,
        Attributes: { ApproximateReceiveCount: String(m.receiveCount) } }));
    sendJson(res, 200, r, { 'Content-Type': 'application/x-amz-json-1.0' });
  };
  tick();
}

function deleteMessageBatch(req, res, p) {
  const q = queue(qname(p.QueueUrl));
  const ok = [], failed = [];
  for (const e of p.Entries || []) {
    const i = q.msgs.findIndex(m => m.receipt === e.ReceiptHandle);
    if (i < 0) { failed.push({ Id: e.Id, SenderFault: true, Code: 'ReceiptHandleIsInvalid' }); continue; }
    q.msgs.splice(i, 1);
    q.deleted++;
    ok.push({ Id: e.Id });
  }
  sendJson(res, 200, { Successful: ok, Failed: failed }, { 'Content-Type': 'application/x-amz-json-1.0' });
}

function control(req, res, url, body) {
  const q = url.searchParams, n = +(q.get('n') || 1), path = url.pathname.slice('/__control/'.length);
  const ok = o => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(o || { ok: true }) + '\n'); };
  switch (path) {
    case 'throttle': fault.throttle = n; return ok();
    case 'fail500': fault.fail500 = n; return ok();
    case 'truncate': fault.truncate = n; return ok();
    case 'expire': fault.expire = n; return ok();
    case 'deny': fault.deny = n; return ok();
    case 'redirect': fault.redirect = n; fault.redirectTo = q.get('to') || 'http://portal.invalid/login'; return ok();
    case 'html': fault.html = n; return ok();
    case 'hang': fault.hang = +(q.get('ms') || 1000); fault.hangOp = q.get('op'); return ok();
    case 'add': {
      const w = writes(), now = Math.floor(Date.now() / 1000), ids = [];
      for (let i = 0; i < n; i++) { const r = cloneRec(w[i % w.length], now); addRecord(r); ids.push(r.eventID); }
      sortEvents();
      return ok({ ids });
    }
    case 'clone': {
      const k = +(q.get('k') || 1), base = events.slice();
      for (let j = 0; j < k; j++) for (const e of base) addRecord(cloneRec(e, e.t - Math.floor(Math.random() * 60)));
      sortEvents();
      return ok({ events: events.length, writes: writes().length });
    }
    case 'reset':
      for (const o of [counts, reqTimes, maxRate, minSpan3, lastTimes]) for (const k in o) delete o[k];
      return ok();
    case 'ids': res.writeHead(200); return res.end(writes().map(e => e.id).join('\n') + '\n');
    case 'served': return ok(served);
    case 'counters': {
      const perMinute = {};
      const mins = Math.max((Date.now() - start) / 60000, 1 / 60);
      for (const k in counts) perMinute[k] = +(counts[k] / mins).toFixed(1);
      return ok({ requests: total, rejected, by_key: counts, max_rate: maxRate, min_span3: minSpan3, per_minute: perMinute,
        pending: { redirect: fault.redirect, html: fault.html } });
    }
    case 'sqs/send': return ok({ id: sendMessage(q.get('queue'), body.toString()) });
    case 'sqs/eventbridge': {
      const w = writes(), now = Math.floor(Date.now() / 1000), ids = [];
      for (let i = 0; i < n; i++) {
        const r = cloneRec(w[i % w.length], now);
        ids.push(r.eventID);
        sendMessage(q.get('queue'), JSON.stringify({ version: '0', id: crypto.randomUUID(),
          'detail-type': 'AWS API Call via CloudTrail', source: 'aws.' + String(r.eventSource).split('.')[0],
          account: r.recipientAccountId || '123456789012', time: r.eventTime, region: r.awsRegion,
          resources: [], detail: r }));
      }
      return ok({ ids });
    }
    case 'sqs/s3notify': {
      const w = writes(), now = Math.floor(Date.now() / 1000), recs = [];
      for (let i = 0; i < n; i++) recs.push(cloneRec(w[i % w.length], now));
      const bucket = q.get('bucket') || 'trail-bucket';
      // a key with a space and a plus sign: notifications form-encode keys
      const key = `AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/27/123456789012_CloudTrail_us-east-1_${now} x+y.json.gz`;
      s3[bucket + '/' + key] = zlib.gzipSync(Buffer.from(JSON.stringify({ Records: recs })));
      const enc = encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
      const id = sendMessage(q.get('queue'), JSON.stringify({ Records: [{ eventVersion: '2.1',
        eventSource: 'aws:s3', awsRegion: 'us-east-1', eventTime: iso(now), eventName: 'ObjectCreated:Put',
        s3: { s3SchemaVersion: '1.0', bucket: { name: bucket, arn: 'arn:aws:s3:::' + bucket },
          object: { key: enc, size: s3[bucket + '/' + key].length } } }] }));
      return ok({ id, key, ids: recs.map(r => r.eventID) });
    }
    case 'sqs/state': {
      const qq = queue(q.get('queue')), now = Date.now();
      return ok({ visible: qq.msgs.filter(m => m.visibleAt <= now).length,
        inflight: qq.msgs.filter(m => m.visibleAt > now).length, deleted: qq.deleted, receives: qq.receives });
    }
  }
  res.writeHead(404); res.end('unknown control ' + path + '\n');
}

async function handle(req, res, body) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname.startsWith('/__control/')) return control(req, res, url, body);
  // Something between tfdrift and AWS answers first: it checks no signature.
  if (fault.redirect > 0) {
    fault.redirect--;
    res.writeHead(302, { Location: fault.redirectTo, 'Content-Type': 'text/html' });
    return res.end('<html><body>Moved</body></html>\n');
  }
  if (fault.html > 0) {
    fault.html--;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    return res.end('<!DOCTYPE html>\n<html><head><title>Guest Wi-Fi</title></head><body>Accept the terms</body></html>\n');
  }
  const target = req.headers['x-amz-target'] || '';
  let op, service;
  if (target.endsWith('.LookupEvents')) { op = 'LookupEvents'; service = 'cloudtrail'; }
  else if (target.startsWith('AmazonSQS.')) { op = target.slice(10); service = 'sqs'; }
  else if (req.method === 'GET' && !target) { op = 'GetObject'; service = 's3'; }
  else return awsError(res, 400, 'UnknownOperationException', 'unknown operation ' + target);
  const isS3 = service === 's3';
  const v = await verify(req, body, keys, { service });
  if (!v.ok) return awsError(res, 403, v.code, v.error, isS3);
  if (!regions.includes(v.region))
    return awsError(res, 403, 'SignatureDoesNotMatch', `credential scope region ${v.region} is not served here`, isS3);
  count(v.akid + '/' + v.region + '/' + service);
  if (fault.hang > 0 && (!fault.hangOp || fault.hangOp === op)) {
    const ms = fault.hang;
    fault.hang = 0;
    return setTimeout(() => { if (!res.destroyed) awsError(res, 504, 'RequestTimeout', 'hung'); }, ms);
  }
  if (fault.throttle > 0) { fault.throttle--; return awsError(res, 400, 'ThrottlingException', 'Rate exceeded'); }
  if (fault.fail500 > 0) { fault.fail500--; return awsError(res, 500, 'InternalFailure', 'mock failure'); }
  if (fault.expire > 0) { fault.expire--; return awsError(res, 400, 'ExpiredTokenException', 'The security token included in the request is expired'); }
  if (fault.deny > 0) { fault.deny--; return awsError(res, 400, 'AccessDeniedException', 'User is not authorized to perform: cloudtrail:LookupEvents'); }
  if (isS3) {
    const parts = url.pathname.split('/');
    const k = decodeURIComponent(parts[1]) + '/' + parts.slice(2).map(decodeURIComponent).join('/');
    const obj = s3[k];
    if (!obj) return awsError(res, 404, 'NoSuchKey', 'The specified key does not exist.', true);
    res.writeHead(200, { 'Content-Type': 'application/x-gzip', 'Content-Length': obj.length });
    return res.end(obj);
  }
  let p;
  try { p = JSON.parse(body.toString() || '{}'); }
  catch (e) { return awsError(res, 400, 'SerializationException', 'body is not JSON'); }
  if (op === 'LookupEvents') return lookupEvents(req, res, p, v);
  if (op === 'ReceiveMessage') return receiveMessage(req, res, p);
  if (op === 'DeleteMessageBatch') return deleteMessageBatch(req, res, p);
  return awsError(res, 400, 'InvalidAction', 'not mocked: ' + op);
}

const handler = misbehave.wrap((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    handle(req, res, Buffer.concat(chunks)).catch(e => {
      console.error(e);
      if (!res.headersSent) { res.writeHead(500); res.end(String(e)); }
    });
  });
});
const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
  console.log(server.address().port);
  console.error(`mock cloudtrail: ${events.length} events (${writes().length} writes), regions ${regions.join(',')}`);
});
