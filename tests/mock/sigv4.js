// Verify an AWS Signature Version 4 the way AWS does: re-sign the request as received with the
// official signer (@smithy/signature-v4) and the secret the mock knows for the access key, and
// compare. Used by every AWS mock under tests/mock, so tfdrift's signing (libcurl's
// CURLOPT_AWS_SIGV4 plus our query/path encoding and header rules) is checked by an
// independent implementation.
'use strict';

const { SignatureV4 } = require('@smithy/signature-v4');
const { HttpRequest } = require('@smithy/protocol-http');
const { Sha256 } = require('@aws-crypto/sha256-js');

// "Credential=AKID/20240527/eu-west-1/cloudtrail/aws4_request, SignedHeaders=a;b, Signature=hex"
function parseAuthorization(h) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(h || '');
  if (!m) return null;
  return { akid: m[1], date: m[2], region: m[3], service: m[4], signed: m[5].split(';'), signature: m[6] };
}

// "20240527T101500Z" -> Date
function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  if (!m) return null;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

// Decode a raw query string into the object the signer canonicalizes itself.
function parseQuery(raw) {
  const q = {};
  if (!raw) return q;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const i = part.indexOf('=');
    const k = decodeURIComponent(i < 0 ? part : part.slice(0, i));
    const v = i < 0 ? '' : decodeURIComponent(part.slice(i + 1));
    if (k in q) q[k] = [].concat(q[k], v); else q[k] = v;
  }
  return q;
}

// keys: { AKID: { secret, token } }. expect: { region, service } (optional checks).
// Returns { ok: true, akid, region, service } or { ok: false, error, code }.
async function verify(req, body, keys, expect) {
  const auth = parseAuthorization(req.headers['authorization']);
  if (!auth) return { ok: false, code: 'MissingAuthenticationToken', error: 'no SigV4 Authorization header' };
  const key = keys[auth.akid];
  if (!key) return { ok: false, code: 'UnrecognizedClientException', error: `unknown access key ${auth.akid}` };
  if (expect && expect.region && auth.region !== expect.region)
    return { ok: false, code: 'SignatureDoesNotMatch', error: `credential scope region ${auth.region}, expected ${expect.region}` };
  if (expect && expect.service && auth.service !== expect.service)
    return { ok: false, code: 'SignatureDoesNotMatch', error: `credential scope service ${auth.service}, expected ${expect.service}` };
  const when = parseAmzDate(req.headers['x-amz-date']);
  if (!when) return { ok: false, code: 'IncompleteSignature', error: 'no X-Amz-Date' };
  if (Math.abs(Date.now() - when.getTime()) > 5 * 60 * 1000)
    return { ok: false, code: 'SignatureDoesNotMatch', error: 'request time too skewed' };
  if (key.token !== undefined && req.headers['x-amz-security-token'] !== key.token)
    return { ok: false, code: 'InvalidClientTokenId', error: 'missing or wrong X-Amz-Security-Token' };
  if (auth.service === 's3' && !req.headers['x-amz-content-sha256'])
    return { ok: false, code: 'InvalidRequest', error: 'S3 needs x-amz-content-sha256' };
  for (const h of auth.signed)
    if (!(h in req.headers))
      return { ok: false, code: 'SignatureDoesNotMatch', error: `signed header ${h} was not sent` };
  if (!auth.signed.includes('host'))
    return { ok: false, code: 'SignatureDoesNotMatch', error: 'host is not signed' };

  const url = new URL(req.url, 'http://' + req.headers['host']);
  const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
  const headers = {};
  for (const h of auth.signed) headers[h] = req.headers[h];
  const hr = new HttpRequest({
    method: req.method,
    protocol: 'http:',
    hostname: url.hostname,
    port: url.port ? +url.port : undefined,
    path: req.url.split('?')[0],
    query: parseQuery(rawQuery),
    headers,
    body,
  });
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.akid, secretAccessKey: key.secret, sessionToken: key.token },
    region: auth.region,
    service: auth.service,
    sha256: Sha256,
    uriEscapePath: auth.service !== 's3',
    applyChecksum: auth.service === 's3',
  });
  const signed = await signer.sign(hr, { signingDate: when, signableHeaders: new Set(auth.signed) });
  const got = parseAuthorization(signed.headers['authorization']);
  if (!got || got.signature !== auth.signature)
    return { ok: false, code: 'SignatureDoesNotMatch',
      error: 'The request signature we calculated does not match the signature you provided' };
  return { ok: true, akid: auth.akid, region: auth.region, service: auth.service };
}

module.exports = { verify, parseAuthorization, parseQuery };
