// An OpenID Connect provider stand-in on loopback, for the single sign-on test (tests/sso.spec.ts):
// the Node port of server/tests/common/oidc.rs, with the same endpoints and checks. Discovery, a
// JWKS with a fresh RSA-2048 key, an authorization endpoint that approves at once (302 back to
// the redirect URI with a code and the same `state`), and a token endpoint that checks the code,
// the redirect URI, the PKCE verifier and the client's Basic auth before it answers with a real
// RS256 ID token.
//
// `POST /control` with the form fields `mode` (`valid`, `wrong-audience`, `expired`,
// `wrong-nonce`, `unverified-email`: what the next ID token gets wrong; the one after it is valid
// again) and `email` (who signs in from then on) steers it from a test.
//
// Run: E2E_OIDC_PORT=4010 node oidc-stand-in.mjs (playwright.config.ts starts it). Only node:http
// and node:crypto: the suite installs no package for it.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

/** The client the stand-in knows (tests/fixtures/oidc-stand-in.ts repeats both). */
const CLIENT_ID = 'elumo-pass-e2e';
/** With characters that form encoding changes (`:` `/` `+` and a space), so a client that puts
 * the secret into Basic auth without RFC 6749's encoding is refused, as real providers do. */
const CLIENT_SECRET = 'stand-in secret: not/so+secret';
/** Who signs in until a test says otherwise. */
const DEFAULT_EMAIL = 'sso.staff@northwind.example';

const MODES = new Set(['valid', 'wrong-audience', 'expired', 'wrong-nonce', 'unverified-email']);
/** A form larger than this is no request of the server's or a test's. */
const MAX_BODY_BYTES = 64 * 1024;

function random() {
  return crypto.randomBytes(24).toString('base64url');
}

function base64url(value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function unixNow() {
  return Math.floor(Date.now() / 1000);
}

/** A fresh signing key. The kid is one no other stand-in uses: the server keeps a provider's
 * keys per process, and must not find an old key under a new stand-in's kid on a reused port. */
function newKey() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { n, e } = publicKey.export({ format: 'jwk' });
  return { kid: `stand-in-${random().slice(0, 8)}-1`, privateKey, n, e };
}

/** A compact RS256 JWT of `claims`, its header naming the key. */
function signed(key, claims) {
  const input = `${base64url({ alg: 'RS256', typ: 'JWT', kid: key.kid })}.${base64url(claims)}`;
  const signature = crypto.sign('RSA-SHA256', Buffer.from(input), key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

/** A form-encoded value decoded (`+` is a space), as a provider reads Basic auth's parts. */
function formDecoded(value) {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The client's id and secret from `Authorization: Basic`, decoded. */
function basicAuth(header) {
  const encoded = /^Basic (.+)$/.exec(header ?? '')?.[1]?.trim();
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const id = formDecoded(decoded.slice(0, colon));
  const secret = formDecoded(decoded.slice(colon + 1));
  return id === undefined || secret === undefined ? undefined : { id, secret };
}

function s256(verifier) {
  return crypto.createHash('sha256').update(verifier).digest('base64url');
}

/** Starts a stand-in on `port` (0: any free one); resolves with its issuer once it listens. */
function start(port) {
  const state = {
    key: newKey(),
    /** What the next ID token gets wrong. */
    next: 'valid',
    email: DEFAULT_EMAIL,
    /** What `/authorize` handed each code out for. */
    grants: new Map(),
  };
  let issuer = '';

  function send(res, status, body, headers = {}) {
    const json = typeof body !== 'string';
    res.writeHead(status, {
      'content-type': json ? 'application/json' : 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(json ? JSON.stringify(body) : body);
  }

  /** A refusal, logged (the server's page never shows why) and answered as OAuth does. */
  function oauthError(res, status, error, description) {
    process.stderr.write(`oidc stand-in: ${status} ${error}: ${description}\n`);
    send(res, status, { error, error_description: description });
  }

  function discovery(res) {
    send(res, 200, {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      scopes_supported: ['openid', 'email'],
      claims_supported: ['sub', 'email', 'email_verified'],
    });
  }

  function jwks(res) {
    const { kid, n, e } = state.key;
    send(res, 200, { keys: [{ kty: 'RSA', use: 'sig', alg: 'RS256', kid, n, e }] });
  }

  function authorize(res, query) {
    const field = (name) => query.get(name) ?? '';
    let problem;
    if (field('response_type') !== 'code') problem = 'response_type must be code';
    else if (field('client_id') !== CLIENT_ID) problem = 'unknown client_id';
    else if (!field('scope').split(' ').includes('openid')) problem = 'scope must include openid';
    else if (field('code_challenge_method') !== 'S256' || field('code_challenge').length !== 43)
      problem = 'PKCE with S256 is required';
    else if (!field('state') || !field('nonce')) problem = 'state and nonce are required';
    let to;
    try {
      to = new URL(field('redirect_uri'));
    } catch {
      problem ??= 'redirect_uri must be a URL';
    }
    // A bad request, or one without a usable redirect URI, is answered here, never redirected.
    if (problem) {
      process.stderr.write(`oidc stand-in: 400 at /authorize: ${problem}\n`);
      return send(res, 400, problem);
    }
    const code = random();
    state.grants.set(code, {
      clientId: field('client_id'),
      redirectUri: field('redirect_uri'),
      nonce: field('nonce'),
      challenge: field('code_challenge'),
      email: state.email,
    });
    to.searchParams.append('code', code);
    to.searchParams.append('state', field('state'));
    send(res, 302, '', { location: to.toString() });
  }

  function token(res, headers, form) {
    const field = (name) => form.get(name) ?? '';
    const client = basicAuth(headers.authorization);
    if (!client) return oauthError(res, 401, 'invalid_client', 'Basic auth required');
    if (client.id !== CLIENT_ID || client.secret !== CLIENT_SECRET)
      return oauthError(res, 401, 'invalid_client', 'wrong credentials');
    if (field('grant_type') !== 'authorization_code') return oauthError(res, 400, 'unsupported_grant_type', '');
    // A code works once, whatever else the request gets wrong.
    const grant = state.grants.get(field('code'));
    state.grants.delete(field('code'));
    if (!grant) return oauthError(res, 400, 'invalid_grant', 'unknown or used code');
    if (grant.clientId !== client.id || grant.redirectUri !== field('redirect_uri'))
      return oauthError(res, 400, 'invalid_grant', 'redirect_uri differs');
    if (s256(field('code_verifier')) !== grant.challenge)
      return oauthError(res, 400, 'invalid_grant', 'code_verifier differs');
    const mode = state.next;
    state.next = 'valid';
    const now = unixNow();
    const [iat, exp] = mode === 'expired' ? [now - 7_200, now - 3_600] : [now, now + 300];
    const claims = {
      iss: issuer,
      sub: `stand-in|${grant.email}`,
      aud: mode === 'wrong-audience' ? 'another-client' : CLIENT_ID,
      iat,
      exp,
      nonce: mode === 'wrong-nonce' ? 'not-this-sign-ins-nonce' : grant.nonce,
      email: grant.email,
      email_verified: mode !== 'unverified-email',
    };
    send(res, 200, {
      access_token: random(),
      token_type: 'Bearer',
      expires_in: 300,
      id_token: signed(state.key, claims),
    });
  }

  function control(res, form) {
    const mode = form.get('mode');
    if (mode !== null) {
      if (!MODES.has(mode)) return send(res, 400, 'unknown mode');
      state.next = mode;
    }
    const email = form.get('email');
    if (email) state.email = email;
    send(res, 204, '');
  }

  /** The request's form body (application/x-www-form-urlencoded), or undefined when too large. */
  function readForm(req) {
    return new Promise((resolve, reject) => {
      const chunks = [];
      let size = 0;
      req.on('data', (chunk) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      });
      req.on('end', () =>
        resolve(size > MAX_BODY_BYTES ? undefined : new URLSearchParams(Buffer.concat(chunks).toString('utf8'))),
      );
      req.on('error', reject);
    });
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://stand-in.invalid');
      const route = `${req.method} ${url.pathname}`;
      if (route === 'GET /.well-known/openid-configuration') return discovery(res);
      if (route === 'GET /jwks') return jwks(res);
      if (route === 'GET /authorize') return authorize(res, url.searchParams);
      if (route === 'POST /token' || route === 'POST /control') {
        const form = await readForm(req);
        if (!form) return send(res, 413, 'too large');
        return url.pathname === '/token' ? token(res, req.headers, form) : control(res, form);
      }
      send(res, 404, 'not found');
    } catch (e) {
      process.stderr.write(`oidc stand-in: ${e?.stack ?? e}\n`);
      if (!res.headersSent) send(res, 500, 'stand-in error');
    }
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      issuer = `http://127.0.0.1:${server.address().port}`;
      resolve({ issuer, server });
    });
  });
}

// On E2E_OIDC_PORT (playwright.config.ts chooses it), or on any free port for a run by hand.
const { issuer } = await start(Number(process.env.E2E_OIDC_PORT ?? 0));
process.stdout.write(`oidc stand-in: issuer ${issuer}\n`);
