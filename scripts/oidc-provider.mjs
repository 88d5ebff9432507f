// The test OpenID Connect provider (npm oidc-provider 9.13.3), started on loopback by
// scripts/lib.sh (`start_oidc_provider DIR`) for the test suite. Everything is in memory:
// one provider per run, new keys at every start.
//
// CONTRACT (the Rust tests rely on these names and values; keep them stable)
//
// Settings (environment): OIDC_ISSUER (e.g. http://127.0.0.2:9400, no trailing slash),
// OIDC_HOST (e.g. 127.0.0.2), OIDC_PORT (e.g. 9400). Plain http, bound to OIDC_HOST only.
//
// Endpoints (relative to the issuer):
//   /.well-known/openid-configuration   discovery
//   /jwks                               the RS256 public key (one kid)
//   /auth                               authorization (response_type=code only)
//   /token                              token (client_secret_basic)
//   /me                                 userinfo
//   /session/end                        RP-initiated logout (end_session_endpoint)
//   /interaction/:uid                   GET: the login form (see below)
//   /interaction/:uid/login             POST (application/x-www-form-urlencoded): username, password, otp
//   /interaction/:uid/abort             GET: ends the interaction with error=access_denied
//
// Clients: confidential, token_endpoint_auth_method client_secret_basic, response type code,
// grant types authorization_code and refresh_token (a refresh token is issued with every code
// exchange), PKCE required with S256 only (plain and missing PKCE are refused).
//   tre-test   secret tre-test-secret
//   tre-other  secret tre-other-secret
// Redirect URIs accepted: exactly http://127.0.0.1:<port>/signin/oidc/<name>/callback with
// <name> matching [a-z0-9-]+ and any port 1-65535; anything else is refused (an error page,
// no redirect). Post-logout redirect URIs accepted: http://127.0.0.1:<port>/ and
// http://127.0.0.1:<port>/signin.
//
// Scopes: openid, email, profile. Claims:
//   openid:  sub (= the username), acr, amr, auth_time (in EVERY ID token)
//   email:   email, email_verified (true)
//   profile: name, preferred_username (= the username), groups (["researchers"])
// Scope claims are also put into the ID token (conformIdTokenClaims: false); the ID token
// carries the nonce of the request. acr_values_supported: urn:tre:pwd, urn:tre:mfa.
//
// Login form (GET /interaction/:uid): <form method="post" action="/interaction/:uid/login">
// with inputs id=name=username, password, otp, a submit button id=submit, and on a failed
// attempt (status 401) an element id=error with the message.
//   Accounts (username / password, email, name):
//     alice / alice-pass, alice@hospital.example, "Alice Tanaka"
//     bob   / bob-pass,   bob@hospital.example,   "Bob Sato"
//     carol / carol-pass, carol@hospital.example, "Carol Ito"
//   One-time code: otp "123456" -> acr "urn:tre:mfa", amr ["pwd","otp"];
//                  otp empty    -> acr "urn:tre:pwd", amr ["pwd"];
//                  wrong otp or wrong password -> the form again, 401.
//   If acr_values of the request contains urn:tre:mfa and no valid code was given: the form
//   again, 401. With an existing session below MFA, such a request asks for login again.
// Consent: none shown; the requested scopes are granted automatically.
//
// Tamper accounts (password "tamper-pass"): the token endpoint's id_token is replaced:
//   tamper-aud      aud "someone-else", real key
//   tamper-expired  exp and iat an hour in the past, real key
//   tamper-key      signed by a key not in the JWKS, header kid = the real kid
//   tamper-kid      signed by a key not in the JWKS, with a kid the JWKS does not have
//   tamper-none     {"alg":"none"} header, empty signature
//   tamper-nonce    nonce "not-the-nonce", real key
//   tamper-iss      iss "http://127.0.0.2:1", real key
// Every other claim is kept; the access token is left alone.
//
// A browserless client (cookie jar on, redirects NOT followed automatically) walks:
//   GET /auth?...            -> 303 Location /interaction/<uid>   (sets _interaction, _interaction_resume)
//   GET /interaction/<uid>   -> 200 the form
//   POST /interaction/<uid>/login -> 303 Location <issuer>/auth/<uid>   (or 401 the form)
//   GET /auth/<uid>          -> 303 Location <redirect_uri>?code=...&state=...&iss=...  (sets _session)
// Cookies: _interaction (path /interaction/<uid>), _interaction_resume (path /auth/<uid>),
// _session (path /), each with a .sig companion; HttpOnly, SameSite=Lax, not Secure.
//
// One line per request goes to stderr: METHOD PATH STATUS.

import * as crypto from 'node:crypto';

import Provider, { interactionPolicy } from 'oidc-provider';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

const ISSUER = process.env.OIDC_ISSUER || 'http://127.0.0.2:9400';
const HOST = process.env.OIDC_HOST || '127.0.0.2';
const PORT = Number(process.env.OIDC_PORT || 9400);

const MFA = 'urn:tre:mfa';
const PWD = 'urn:tre:pwd';
const OTP = '123456';

const ACCOUNTS = {
  alice: { password: 'alice-pass', email: 'alice@hospital.example', name: 'Alice Tanaka' },
  bob: { password: 'bob-pass', email: 'bob@hospital.example', name: 'Bob Sato' },
  carol: { password: 'carol-pass', email: 'carol@hospital.example', name: 'Carol Ito' },
};
const TAMPER = ['tamper-aud', 'tamper-expired', 'tamper-key', 'tamper-kid', 'tamper-none', 'tamper-nonce', 'tamper-iss'];
for (const id of TAMPER) {
  ACCOUNTS[id] = { password: 'tamper-pass', email: `${id}@hospital.example`, name: `Tamper ${id.slice(7)}` };
}

// Keys: the real signing key, and one that is never published (for tamper-key).
const KID = crypto.randomBytes(8).toString('hex');
const signing = await generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await exportJWK(signing.privateKey)), kid: KID, alg: 'RS256', use: 'sig' };
const rogue = await generateKeyPair('RS256', { extractable: true });

const PLACEHOLDER_PORT = 1;
const client = (id, secret) => ({
  client_id: id,
  client_secret: secret,
  token_endpoint_auth_method: 'client_secret_basic',
  response_types: ['code'],
  grant_types: ['authorization_code', 'refresh_token'],
  // Placeholders for validation; the real check is redirectUriAllowed below.
  redirect_uris: [`http://127.0.0.1:${PLACEHOLDER_PORT}/signin/oidc/placeholder/callback`],
  post_logout_redirect_uris: [`http://127.0.0.1:${PLACEHOLDER_PORT}/`],
});

const REDIRECT_RE = /^http:\/\/127\.0\.0\.1:([0-9]{1,5})\/signin\/oidc\/[a-z0-9-]+\/callback$/;
const POST_LOGOUT_RE = /^http:\/\/127\.0\.0\.1:([0-9]{1,5})\/(signin)?$/;
const portOk = (p) => Number(p) >= 1 && Number(p) <= 65535 && !p.startsWith('0');
const matches = (re, value) => {
  if (typeof value !== 'string') return false;
  const m = re.exec(value);
  return m !== null && portOk(m[1]);
};

// Step-up: a request for MFA over a session that has less asks for login again.
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'mfa_required',
  'multi-factor authentication is required',
  (ctx) => {
    const { oidc } = ctx;
    const wanted = (oidc.params.acr_values || '').split(' ').includes(MFA);
    if (wanted && oidc.session.accountId && oidc.acr !== MFA && !oidc.result?.login) {
      return interactionPolicy.Check.REQUEST_PROMPT;
    }
    return interactionPolicy.Check.NO_NEED_TO_PROMPT;
  },
));

const html = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(ISSUER, {
  clients: [client('tre-test', 'tre-test-secret'), client('tre-other', 'tre-other-secret')],
  jwks: { keys: [signingJwk] },
  cookies: {
    keys: [crypto.randomBytes(32).toString('base64url')],
    long: { httpOnly: true, sameSite: 'lax' },
    short: { httpOnly: true, sameSite: 'lax' },
  },
  responseTypes: ['code'],
  clientAuthMethods: ['client_secret_basic'],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'groups'],
  },
  acrValues: [PWD, MFA],
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign out</title></head>
<body><h1>Sign out of the test provider?</h1>${form}
<button id="logout" type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button id="stay" type="submit" form="op.logoutForm">No, stay signed in</button></body></html>`;
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Signed out</title></head><body><p id="signed-out">Signed out.</p></body></html>';
      },
    },
  },
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  issueRefreshToken: async (ctx, c) => c.grantTypeAllowed('refresh_token'),
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    IdToken: 600,
    RefreshToken: 3600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: account.email,
          email_verified: true,
          name: account.name,
          preferred_username: id,
          groups: ['researchers'],
        };
      },
    };
  },
  async renderError(ctx, out) {
    ctx.type = 'text/plain';
    ctx.body = `${out.error}${out.error_description ? `: ${out.error_description}` : ''}\n`;
  },
});

provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) {
  return matches(REDIRECT_RE, value);
};
provider.Client.prototype.postLogoutRedirectUriAllowed = function postLogoutRedirectUriAllowed(value) {
  return matches(POST_LOGOUT_RE, value);
};

// --- one line per request ------------------------------------------------------------------
provider.use(async (ctx, next) => {
  try {
    await next();
  } finally {
    process.stderr.write(`${ctx.method} ${ctx.path} ${ctx.status}\n`);
  }
});

// --- tampered ID tokens ----------------------------------------------------------------------
const b64json = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

async function tamper(idToken) {
  const [h, p] = idToken.split('.');
  const header = b64json(h);
  const payload = b64json(p);
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims, key = signing.privateKey, kid = KID) => new SignJWT(claims)
    .setProtectedHeader({ ...header, alg: 'RS256', kid })
    .sign(key);
  switch (payload.sub) {
    case 'tamper-aud':
      return sign({ ...payload, aud: 'someone-else' });
    case 'tamper-expired':
      return sign({ ...payload, iat: now - 3600 - 600, exp: now - 3600 });
    case 'tamper-key':
      return sign(payload, rogue.privateKey);
    case 'tamper-kid':
      return sign(payload, rogue.privateKey, 'not-published');
    case 'tamper-none': {
      const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${enc({ alg: 'none' })}.${enc(payload)}.`;
    }
    case 'tamper-nonce':
      return sign({ ...payload, nonce: 'not-the-nonce' });
    case 'tamper-iss':
      return sign({ ...payload, iss: 'http://127.0.0.2:1' });
    default:
      return idToken;
  }
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200) return;
  const body = ctx.body;
  if (!body || typeof body !== 'object' || typeof body.id_token !== 'string') return;
  const { sub } = b64json(body.id_token.split('.')[1]);
  if (TAMPER.includes(sub)) {
    ctx.body = { ...body, id_token: await tamper(body.id_token) };
  }
});

// --- interactions ----------------------------------------------------------------------------
async function readForm(ctx) {
  const chunks = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += chunk.length;
    if (size > 65536) ctx.throw(413, 'request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function loginPage(ctx, uid, { error, username = '', status = 200 } = {}) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Test provider sign-in</title></head>
<body>
<h1>Test provider sign-in</h1>
${error ? `<p id="error" role="alert">${html(error)}</p>` : ''}
<form method="post" action="/interaction/${html(uid)}/login">
<label for="username">Username</label> <input id="username" name="username" type="text" value="${html(username)}" autocomplete="username" autofocus><br>
<label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password"><br>
<label for="otp">One-time code</label> <input id="otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code"><br>
<button id="submit" type="submit">Sign in</button>
</form>
<p><a id="abort" href="/interaction/${html(uid)}/abort">Cancel</a></p>
</body></html>`;
}

// A grant covering the requested OIDC scopes (and claims, if any were requested).
async function grantFor(details, accountId) {
  const { params, prompt } = details;
  const clientId = params.client_id;
  let grant;
  if (details.grantId) grant = await provider.Grant.find(details.grantId);
  if (!grant || grant.accountId !== accountId || grant.clientId !== clientId) {
    grant = new provider.Grant({ accountId, clientId });
  }
  const supported = new Set(['openid', 'email', 'profile']);
  const scopes = String(params.scope || '').split(' ').filter((s) => supported.has(s));
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const missingClaims = prompt?.details?.missingOIDCClaims;
  if (missingClaims?.length) grant.addOIDCClaims(missingClaims);
  return grant.save();
}

async function finish(ctx, result) {
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.redirect(to);
  ctx.status = 303;
}

provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login|\/abort)?$/.exec(ctx.path);
  if (!m) return next();
  const [, uid, action] = m;
  let details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
  } catch {
    ctx.status = 400;
    ctx.type = 'text/plain';
    ctx.body = 'invalid_request: interaction not found or expired (cookies?)\n';
    return undefined;
  }

  if (ctx.method === 'GET' && action === '/abort') {
    return finish(ctx, { error: 'access_denied', error_description: 'End-User aborted interaction' });
  }

  if (ctx.method === 'GET' && !action) {
    if (details.prompt.name === 'consent') {
      const grantId = await grantFor(details, details.session.accountId);
      return finish(ctx, { consent: { grantId } });
    }
    return loginPage(ctx, uid);
  }

  if (ctx.method === 'POST' && action === '/login') {
    const form = await readForm(ctx);
    const username = form.get('username') || '';
    const password = form.get('password') || '';
    const otp = (form.get('otp') || '').trim();
    const account = Object.hasOwn(ACCOUNTS, username) ? ACCOUNTS[username] : undefined;
    const fail = (error) => loginPage(ctx, uid, { error, username, status: 401 });
    if (!account || account.password !== password) return fail('Wrong username or password.');
    if (otp && otp !== OTP) return fail('Wrong one-time code.');
    const mfaWanted = String(details.params.acr_values || '').split(' ').includes(MFA);
    if (mfaWanted && !otp) return fail('A one-time code is required.');
    const mfa = otp === OTP;
    const login = {
      accountId: username,
      acr: mfa ? MFA : PWD,
      amr: mfa ? ['pwd', 'otp'] : ['pwd'],
      remember: true,
    };
    const grantId = await grantFor(details, username);
    return finish(ctx, { login, consent: { grantId } });
  }

  ctx.status = 405;
  ctx.type = 'text/plain';
  ctx.body = 'method not allowed\n';
  return undefined;
});

const server = provider.listen(PORT, HOST, () => {
  process.stderr.write(`oidc-provider ${ISSUER} listening on ${HOST}:${PORT}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
