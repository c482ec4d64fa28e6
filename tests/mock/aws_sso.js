// Loopback stand-in for AWS IAM Identity Center: the portal's GetRoleCredentials
// (GET /federation/credentials?role_name=R&account_id=A, header x-amz-sso_bearer_token) and
// SSO OIDC CreateToken with a refresh token (POST /token, JSON). Both answer on one port, so
// a test points AWS_ENDPOINT_URL_SSO and AWS_ENDPOINT_URL_SSO_OIDC (tfdrift and botocore) at it.
//
//   node aws_sso.js --port 0 [--config file.json]
// config: { "tokens": ["access token the portal accepts", ...],
//           "roles": ["ACCOUNT/ROLE", ...]          (what those tokens may assume),
//           "expirySeconds": 3600                    (role credentials' lifetime),
//           "client": { "id": "...", "secret": "..." },
//           "refreshTokens": ["refresh token CreateToken accepts", ...],
//           "tokenExpiresIn": 28800,
//           "issue": { "id": "ASIA...", "secret": "...", "token": "..." } }   (optional: every
//           GetRoleCredentials hands out these keys, so tests/mock/aws_auth.js can be told to
//           accept them as the signer of an AssumeRole)
// A refreshed access token is accepted by the portal from then on; the refresh token used is
// replaced by a new one (rotation, as the real service may do).
// Control (tests): GET /__control/state -> counters and the last calls (token suffixes only);
//                  POST /__control/set {json} merges into the config.
'use strict';

const http = require('http');
const fs = require('fs');
const crypto = require('crypto');

const args = process.argv.slice(2);
let port = 0;
let cfg = { tokens: [], roles: [], expirySeconds: 3600, client: {}, refreshTokens: [],
  tokenExpiresIn: 28800 };
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--port') port = +args[++i];
  else if (args[i] === '--config') Object.assign(cfg, JSON.parse(fs.readFileSync(args[++i], 'utf8')));
}

const state = { getRole: 0, createToken: 0, rejected: 0, last: {}, lastToken: {} };
let serial = 0;

function json(res, status, obj, errType) {
  const h = { 'Content-Type': 'application/json' };
  if (errType) h['x-amzn-ErrorType'] = errType;
  res.writeHead(status, h);
  res.end(JSON.stringify(obj));
}

function tail(s) {
  return typeof s === 'string' ? s.slice(-4) : null;
}

function getRole(req, res, url) {
  const tok = req.headers['x-amz-sso_bearer_token'];
  const role = url.searchParams.get('role_name'), account = url.searchParams.get('account_id');
  state.last = { role, account, tokenSuffix: tail(tok), method: req.method };
  if (req.method !== 'GET') return json(res, 405, { message: 'GET only' });
  if (!tok || !cfg.tokens.includes(tok)) {
    state.rejected++;
    return json(res, 401, { message: 'Session token not found or invalid' }, 'UnauthorizedException');
  }
  if (!cfg.roles.includes(`${account}/${role}`)) {
    state.rejected++;
    return json(res, 403, { message: 'No access' }, 'ForbiddenException');
  }
  state.getRole++;
  serial++;
  const fixed = cfg.issue;
  json(res, 200, { roleCredentials: {
    accessKeyId: fixed ? fixed.id : 'ASIASSO' + String(serial).padStart(13, '0'),
    secretAccessKey: fixed ? fixed.secret : 'ssoSECRET' + crypto.randomBytes(15).toString('base64'),
    sessionToken: fixed ? fixed.token : 'ssoTOKEN' + crypto.randomBytes(24).toString('base64'),
    expiration: Date.now() + cfg.expirySeconds * 1000,
  } });
}

function createToken(req, body, res) {
  let b;
  try {
    b = JSON.parse(body.toString('utf8'));
  } catch (e) {
    return json(res, 400, { error: 'invalid_request', error_description: 'not JSON' });
  }
  state.lastToken = { grantType: b.grantType, clientId: b.clientId,
    refreshSuffix: tail(b.refreshToken), contentType: req.headers['content-type'] };
  if (b.clientId !== cfg.client.id || b.clientSecret !== cfg.client.secret)
    return json(res, 400, { error: 'invalid_client' }, 'InvalidClientException');
  if (b.grantType !== 'refresh_token' || !cfg.refreshTokens.includes(b.refreshToken))
    return json(res, 400, { error: 'invalid_grant' }, 'InvalidGrantException');
  state.createToken++;
  const access = 'aoaREFRESHED' + crypto.randomBytes(24).toString('hex');
  const refresh = 'aorNEW' + crypto.randomBytes(24).toString('hex');
  cfg.tokens.push(access);
  cfg.refreshTokens = cfg.refreshTokens.filter((t) => t !== b.refreshToken).concat([refresh]);
  json(res, 200, { accessToken: access, tokenType: 'Bearer', expiresIn: cfg.tokenExpiresIn,
    refreshToken: refresh });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, 'http://127.0.0.1');
    try {
      if (url.pathname === '/__control/state') return json(res, 200, state);
      if (url.pathname === '/__control/set') {
        Object.assign(cfg, JSON.parse(body.toString('utf8') || '{}'));
        return json(res, 200, { ok: true });
      }
      if (url.pathname === '/federation/credentials') return getRole(req, res, url);
      if (url.pathname === '/token' && req.method === 'POST') return createToken(req, body, res);
      res.writeHead(404);
      res.end();
    } catch (e) {
      console.error(e);
      res.writeHead(500);
      res.end(String(e));
    }
  });
});
server.listen(port, '127.0.0.1', () => {
  console.log(server.address().port);
});
