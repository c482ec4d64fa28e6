// Loopback stand-in for the AWS credential sources tfdrift's chain talks to: STS (AssumeRole,
// signed and checked with sigv4.js verify(); AssumeRoleWithWebIdentity, unsigned, checks the
// token), EC2 instance metadata (IMDSv2 token PUT, role, credentials) and a container
// credentials endpoint (checks the Authorization header). Issued credentials expire after
// `expirySeconds` so refresh can be tested; they are valid signers for chained AssumeRole.
//
//   node aws_auth.js --port 0 [--config file.json]
// config: { "region": "us-east-1", "expirySeconds": 10,
//           "keys": { "AKID": { "secret": "...", "token": "..."? } },
//           "webToken": "expected web identity token", "containerToken": "expected Authorization",
//           "imdsRole": "tfdrift-role", "imdsV1": true|false, "imdsTokenValue": "..." (the
//           token PUT answers this, line breaks and all),
//           "issue": { "id": "ASIA...", "secret": "...", "token": "..." } }   (every call hands
//           out these keys, so another mock can be told to accept them)
// Control (tests): GET /__control/state -> counters and the last calls;
//                  POST /__control/set {json} merges into the config (e.g. {"webToken": "b"},
//                  {"failNext": {"sts": 1}}, {"imdsTokenStatus": 405}).
// Routes: POST / (STS), PUT /latest/api/token, GET /latest/meta-data/iam/security-credentials/
//         [role], GET /container/... (container credentials).
// Misbehaving-server faults (trickle, HTML, oversized bodies, ...): tests/mock/misbehave.js.
'use strict';

const http = require('http');
const misbehave = require('./misbehave.js');
const fs = require('fs');
const crypto = require('crypto');
const { verify } = require('./sigv4.js');

const args = process.argv.slice(2);
let port = 0;
let cfg = { region: 'us-east-1', expirySeconds: 10, keys: {}, imdsRole: 'tfdrift-role', imdsV1: false };
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--port') port = +args[++i];
  else if (args[i] === '--config') Object.assign(cfg, JSON.parse(fs.readFileSync(args[++i], 'utf8')));
}

const state = {
  assumeRole: 0, webIdentity: 0, imdsToken: 0, imdsCreds: 0, container: 0, stsRejected: 0,
  last: {}, lastWeb: {}, lastError: null,
};
const imdsTokens = new Set();
let serial = 0;

function issue() {
  serial++;
  if (cfg.issue) {
    const c = cfg.issue;
    cfg.keys[c.id] = { secret: c.secret, token: c.token };
    return { id: c.id, secret: c.secret, token: c.token,
      exp: new Date(Date.now() + cfg.expirySeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z') };
  }
  const id = 'ASIAMOCK' + String(serial).padStart(12, '0');
  const secret = crypto.randomBytes(20).toString('base64');
  const token = 'FwoMOCK' + crypto.randomBytes(24).toString('base64');
  const exp = new Date(Date.now() + cfg.expirySeconds * 1000);
  cfg.keys[id] = { secret, token };     // chained AssumeRole signs with these
  return { id, secret, token, exp: exp.toISOString().replace(/\.\d+Z$/, 'Z') };
}

function failing(kind) {
  const f = cfg.failNext || {};
  if (f[kind] > 0) { f[kind]--; return true; }
  return false;
}

function xmlEsc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function stsError(res, status, code, message) {
  state.stsRejected++;
  state.lastError = code;
  res.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': 'mock' });
  res.end(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEsc(message)}</Message></Error>
  <RequestId>mock</RequestId>
</ErrorResponse>\n`);
}

function stsOk(res, action, c, roleArn, session) {
  res.writeHead(200, { 'Content-Type': 'text/xml' });
  res.end(`<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <${action}Result>
    <AssumedRoleUser>
      <AssumedRoleId>AROAMOCK:${xmlEsc(session)}</AssumedRoleId>
      <Arn>${xmlEsc(roleArn)}/${xmlEsc(session)}</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${c.id}</AccessKeyId>
      <SecretAccessKey>${xmlEsc(c.secret)}</SecretAccessKey>
      <SessionToken>${xmlEsc(c.token)}</SessionToken>
      <Expiration>${c.exp}</Expiration>
    </Credentials>
  </${action}Result>
  <ResponseMetadata><RequestId>mock</RequestId></ResponseMetadata>
</${action}Response>\n`);
}

async function sts(req, body, res) {
  if (failing('sts')) return stsError(res, 503, 'ServiceUnavailable', 'injected fault');
  const form = new URLSearchParams(body.toString('utf8'));
  const action = form.get('Action');
  if (form.get('Version') !== '2011-06-15') return stsError(res, 400, 'InvalidParameterValue', 'Version must be 2011-06-15');
  const roleArn = form.get('RoleArn');
  const session = form.get('RoleSessionName');
  if (!roleArn || !session) return stsError(res, 400, 'MissingParameter', 'RoleArn and RoleSessionName are required');
  if (action === 'AssumeRole') {
    const v = await verify(req, body, cfg.keys, { region: cfg.region, service: 'sts' });
    if (!v.ok) return stsError(res, 403, v.code, v.error);
    if ((req.headers['content-type'] || '').indexOf('application/x-www-form-urlencoded') !== 0)
      return stsError(res, 400, 'InvalidAction', 'form body expected');
    if (cfg.denyRoles && cfg.denyRoles.includes(roleArn))
      return stsError(res, 403, 'AccessDenied', `User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    state.assumeRole++;
    state.last = { roleArn, session, signedBy: v.akid, externalId: form.get('ExternalId'),
      durationSeconds: form.get('DurationSeconds') };
    return stsOk(res, 'AssumeRole', issue(), roleArn, session);
  }
  if (action === 'AssumeRoleWithWebIdentity') {
    if (req.headers['authorization']) return stsError(res, 400, 'InvalidRequest', 'AssumeRoleWithWebIdentity is unsigned');
    const tok = form.get('WebIdentityToken');
    if (!tok || tok !== cfg.webToken) return stsError(res, 400, 'InvalidIdentityToken', 'the web identity token is not valid');
    state.webIdentity++;
    state.lastWeb = { roleArn, session, tokenSuffix: tok.slice(-4) };
    return stsOk(res, 'AssumeRoleWithWebIdentity', issue(), roleArn, session);
  }
  return stsError(res, 400, 'InvalidAction', `unknown Action ${action}`);
}

function json(res, status, o) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(o) + '\n');
}

function imds(req, res, path) {
  if (path === '/latest/api/token') {
    if (req.method !== 'PUT') return json(res, 405, { message: 'PUT only' });
    if (cfg.imdsTokenStatus) { res.writeHead(cfg.imdsTokenStatus); return res.end(); }
    if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) { res.writeHead(400); return res.end(); }
    state.imdsToken++;
    const t = cfg.imdsTokenValue || 'IMDSTOKEN' + crypto.randomBytes(16).toString('hex');
    imdsTokens.add(t);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    return res.end(t);
  }
  const tok = req.headers['x-aws-ec2-metadata-token'];
  if (tok ? !imdsTokens.has(tok) : !cfg.imdsV1) { res.writeHead(401); return res.end(); }
  const base = '/latest/meta-data/iam/security-credentials/';
  if (path === base) {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    return res.end(cfg.imdsRole + '\n');
  }
  if (path === base + cfg.imdsRole) {
    state.imdsCreds++;
    const c = issue();
    return json(res, 200, { Code: 'Success', LastUpdated: new Date().toISOString(), Type: 'AWS-HMAC',
      AccessKeyId: c.id, SecretAccessKey: c.secret, Token: c.token, Expiration: c.exp });
  }
  res.writeHead(404);
  res.end();
}

function container(req, res) {
  if (failing('container')) return json(res, 500, { code: 'InternalError', message: 'injected fault' });
  if (cfg.containerToken !== undefined && req.headers['authorization'] !== cfg.containerToken)
    return json(res, 401, { code: 'AccessDenied', message: 'bad or missing Authorization token' });
  state.container++;
  const c = issue();
  json(res, 200, { AccessKeyId: c.id, SecretAccessKey: c.secret, Token: c.token, Expiration: c.exp,
    AccountId: '123456789012' });
}

const server = http.createServer(misbehave.wrap((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    const path = req.url.split('?')[0];
    try {
      if (path === '/__control/state') return json(res, 200, state);
      if (path === '/__control/set') {
        Object.assign(cfg, JSON.parse(body.toString('utf8') || '{}'));
        return json(res, 200, { ok: true });
      }
      if (path.startsWith('/latest/')) return imds(req, res, path);
      if (path.startsWith('/container/')) return container(req, res);
      if (path === '/' && req.method === 'POST') return await sts(req, body, res);
      res.writeHead(404);
      res.end();
    } catch (e) {
      console.error(e);
      res.writeHead(500);
      res.end(String(e));
    }
  });
}));
server.listen(port, '127.0.0.1', () => {
  console.log(server.address().port);
});
