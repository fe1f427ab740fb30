// receiver.js -- a Zoho Desk extension webhook receiver in plain Node.js
// (node:http, node:crypto and the built-in fetch; no packages), written to
// pass every case of `deskmock check`. Copy it, keep the checks, replace
// handleEvent() with your own work.
//
//   node receiver.js --port 0 --mock http://127.0.0.1:8000 \
//        [--secret conformance-secret-0001] \
//        [--source-id 7d1f2b7e-3c4a-4e1b-9a3f-5b6c7d8e9f01]
//
// --mock is Desk's base URL: the mock in tests, https://desk.zoho.com (or
// your data centre) in production. It serves /.well-known/jwks.json and
// /api/v1/invoke. --secret is the manifest's "secret" (it keys the invoke
// HASH); --source-id is the webhook's ignoreSourceId. The defaults are those
// of deskmock's built-in conformance extension. Each option may also come
// from the environment: PORT, DESK_URL, EXTENSION_SECRET, IGNORE_SOURCE_ID.
// When ready it prints "listening on http://127.0.0.1:PORT".
//
// HTTP contract:
//   GET  any path     200 (Desk's unsigned URL check when the webhook is made)
//   POST /authorise   {"orgId","securityContext","installationId"} from Desk's
//                     onDeskAuthorise callback: remembered (the latest wins), 200
//   POST body {}      200 (the URL check, when Desk sends it as a POST)
//   POST other paths  a delivery: 401 unless authorised, signed by Desk
//                     (X-ZDesk-JWT) for our org and webhook and addressed to
//                     our org and securityContext; 400 unless the body is a
//                     JSON array of objects; else 200 at once, and the events
//                     are handled afterwards (each Ticket_Add gets one private
//                     comment, written back through invoke, retried when Desk
//                     answers 429 or 5xx).
//
// State lives in memory, so a restart forgets the authorisation and the
// events seen; a real extension keeps both in its database.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');

// ==== Configuration ====

function option(name, env, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  if (i > 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  return process.env[env] || dflt;
}
const PORT = Number(option('port', 'PORT', '0'));
const DESK = option('mock', 'DESK_URL', '').replace(/\/+$/, '');
const SECRET = option('secret', 'EXTENSION_SECRET', 'conformance-secret-0001');
const SOURCE_ID = option('source-id', 'IGNORE_SOURCE_ID', '7d1f2b7e-3c4a-4e1b-9a3f-5b6c7d8e9f01');
if (!DESK) {
  console.error('usage: node receiver.js --port N --mock URL [--secret S] [--source-id UUID]');
  process.exit(2);
}

const BODY_MAX = 10 * 1024 * 1024; // larger deliveries get 413
const JWT_SKEW_S = 60;             // clocks differ: exp, nbf and iat get a minute
const JWKS_MIN_GAP_MS = 2000;      // an unknown kid refetches the JWKS at most this often
const SEEN_MAX = 4096;             // events remembered for de-duplication
const WRITE_TRIES = 4;             // a write-back Desk answers 429 or 5xx is tried again
const BACKOFF_MS = 500;            // after a 5xx: 0.5 s, 1 s, 2 s
const RETRY_AFTER_MAX_MS = 5000;   // a longer Retry-After is cut to this

const log = (...a) => console.error('[receiver.js]', ...a);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ==== The authorisation (onDeskAuthorise) ====

let auth = null; // {orgId, securityContext, installationId, webhookId}

function onAuthorise(body) {
  let j;
  try { j = JSON.parse(body); } catch { return [400, 'expected JSON'] }
  if (!j || typeof j.orgId !== 'string' || typeof j.securityContext !== 'string' ||
      !j.orgId || !j.securityContext) {
    return [400, 'expected {"orgId","securityContext","installationId"}'];
  }
  // A new securityContext is a new installation: forget the old one's events.
  if (!auth || auth.securityContext !== j.securityContext) seen.clear();
  // webhookId: Desk makes the installation's webhook, and its first genuine
  // delivery names it (the JWT's aud); every later one must carry the same.
  auth = { orgId: j.orgId, securityContext: j.securityContext, installationId: j.installationId, webhookId: null };
  log(`authorised for org ${auth.orgId} (installation ${auth.installationId})`);
  return [200];
}

// ==== X-ZDesk-JWT against the platform's JWKS ====

let keys = new Map(); // kid -> KeyObject
let jwksFetched = 0;
let jwksFetching = null; // the fetch under way, which callers share

async function fetchJwks() {
  await sleep(jwksFetched + JWKS_MIN_GAP_MS - Date.now());
  jwksFetched = Date.now();
  const r = await fetch(`${DESK}/.well-known/jwks.json`, { signal: AbortSignal.timeout(3000) });
  const doc = await r.json();
  const next = new Map();
  for (const jwk of doc.keys || []) {
    if (jwk.kty !== 'RSA' || !jwk.kid) continue;
    if ((jwk.use && jwk.use !== 'sig') || (jwk.alg && jwk.alg !== 'RS256')) continue;
    next.set(jwk.kid, crypto.createPublicKey({ key: jwk, format: 'jwk' }));
  }
  keys = next;
}

// An unknown kid (Desk rotated its key, or a forger made one up) refetches
// the JWKS, never twice within JWKS_MIN_GAP_MS: a delivery that comes
// sooner waits for the next fetch rather than being refused.
async function keyFor(kid) {
  if (!keys.has(kid)) {
    jwksFetching ||= fetchJwks()
      .catch((e) => log(`cannot read the JWKS: ${e.message}`))
      .finally(() => { jwksFetching = null; });
    await jwksFetching;
  }
  return keys.get(kid);
}

const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

// Returns the claims when the token is Desk's, signed for a delivery to a's
// org and webhook, and valid now; else the reason, a string. (It does not
// cover the body.)
async function verifyJwt(token, a) {
  if (!token) return 'no X-ZDesk-JWT header';
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !p)) return 'X-ZDesk-JWT is not a compact JWS';
  let header, claims;
  try { header = b64json(parts[0]); } catch { return 'bad JWT header'; }
  // Accept RS256 only: a receiver that believes "alg" can be handed "none".
  if (header.alg !== 'RS256') return `JWT alg is ${header.alg}, not RS256`;
  if (typeof header.kid !== 'string') return 'JWT has no kid';
  const key = await keyFor(header.kid);
  if (!key) return `JWT kid ${header.kid} is not in the JWKS`;
  const ok = crypto.verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`),
                           key, Buffer.from(parts[2], 'base64url'));
  if (!ok) return 'JWT signature does not verify';
  try { claims = b64json(parts[1]); } catch { return 'bad JWT claims'; }
  const now = Date.now() / 1000;
  if (claims.iss !== `orgId:${a.orgId}`) return `JWT iss is ${claims.iss}, not orgId:${a.orgId}`;
  if (typeof claims.aud !== 'string' || !claims.aud.startsWith('webhookId:')) return 'JWT aud is not webhookId:...';
  if (a.webhookId && claims.aud !== `webhookId:${a.webhookId}`) return `JWT aud is ${claims.aud}, not webhookId:${a.webhookId}`;
  if (typeof claims.exp !== 'number' || claims.exp + JWT_SKEW_S <= now) return 'JWT has expired';
  if (claims.nbf > now + JWT_SKEW_S || claims.iat > now + JWT_SKEW_S) return 'JWT is not valid yet (nbf or iat in the future)';
  return claims;
}

const sameSecret = (a, b) => typeof a === 'string' && a.length === b.length &&
  crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));

// ==== De-duplication: Desk delivers at least once, with no delivery id ====

const seen = new Set();

function eventKey(ev) {
  const p = ev.payload || {};
  return `${ev.eventType}|${p.id}|${p.modifiedTime || ev.eventTime}`;
}

// true when new (now remembered), false for a repeat
function claim(key) {
  if (seen.has(key)) return false;
  if (seen.size >= SEEN_MAX) seen.delete(seen.values().next().value); // forget the oldest
  seen.add(key);
  return true;
}

// ==== Writing back through the invoke API ====

// POSTs a private comment on ticketId as the extension. The HASH header is
// HMAC-SHA256 (manifest secret) over the raw fields in this order, absent
// ones left out: requestURL, requestType, postBody, headers,
// connectionLinkName. headers carries sourceId = the webhook's
// ignoreSourceId, so Desk does not deliver our own comment back to us.
// Desk answering 429 is tried again after its Retry-After, a 5xx after a
// backoff; each try uses the latest authorisation (a reinstall changes the
// securityContext).
async function writeComment(ticketId, content) {
  const fields = {
    requestURL: `${DESK}/api/v1/tickets/${ticketId}/comments`,
    requestType: 'POST',
    postBody: JSON.stringify({ content, isPublic: false }),
    headers: JSON.stringify({ sourceId: SOURCE_ID }),
  };
  const signed = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join('&');
  const hash = crypto.createHmac('sha256', SECRET).update(signed).digest('hex');
  for (let attempt = 1; ; attempt++) {
    const a = auth;
    const form = new URLSearchParams({ securityContext: a.securityContext, ...fields });
    const r = await fetch(`${DESK}/api/v1/invoke?orgId=${encodeURIComponent(a.orgId)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', HASH: hash },
      body: form.toString(),
      signal: AbortSignal.timeout(10000),
    });
    // 200 {"response": "<JSON text of {statusMessage, statusCode}>"}: the outer
    // status says invoke accepted us, the inner one what Desk's API did.
    const text = await r.text();
    let status = r.status;
    if (status === 200) {
      try { status = JSON.parse(JSON.parse(text).response).statusCode; } catch { status = 502; }
    }
    if (status >= 200 && status <= 299) return;
    if ((status !== 429 && status < 500) || attempt === WRITE_TRIES) {
      throw new Error(`invoke answered ${status}: ${text.slice(0, 300)}`);
    }
    const retryAfter = Number(r.headers.get('retry-after')); // seconds (an HTTP date: NaN)
    await sleep(status === 429 && retryAfter >= 0
      ? Math.min(retryAfter * 1000, RETRY_AFTER_MAX_MS) : BACKOFF_MS * 2 ** (attempt - 1));
  }
}

// ==== Handling events (after the 200) ====

async function handleEvent(ev) {
  const p = ev.payload || {};
  if (ev.eventType === 'Ticket_Add' && /^[0-9]{1,32}$/.test(String(p.id))) {
    await writeComment(p.id, `Thanks, we got ticket ${p.ticketNumber || p.id}`);
    log(`wrote a comment on ticket ${p.id}`);
  }
  // other and unknown event types: nothing to do, and that is fine
}

// Answers [status, error, work to do once the answer is sent].
async function onDelivery(req, url, body) {
  if (body.trim() === '{}') return [200]; // the URL check as a POST: nothing to do
  if (!auth) return [401, 'not authorised yet: no onDeskAuthorise call received'];
  const a = auth;
  // 1. Who sent it: Desk, for this org and webhook.
  const claims = await verifyJwt(req.headers['x-zdesk-jwt'], a);
  if (typeof claims === 'string') return [401, claims];
  // 2. To whom: the URL Desk was given carries our org and securityContext.
  if (url.searchParams.get('orgId') !== a.orgId) return [401, 'orgId in the URL is not ours'];
  if (!sameSecret(url.searchParams.get('securityContext'), a.securityContext)) {
    return [401, 'securityContext in the URL is not ours'];
  }
  a.webhookId ||= claims.aud.slice('webhookId:'.length); // the installation's first genuine delivery
  // 3. What: a JSON array of event objects.
  let events;
  try { events = JSON.parse(body); } catch { return [400, 'the body is not JSON']; }
  if (!Array.isArray(events) || !events.every((e) => e && typeof e === 'object' && !Array.isArray(e))) {
    return [400, 'the body is not a JSON array of events'];
  }
  // 4. Each event once; the work happens after we have answered, so a slow
  //    Desk API never makes us miss the delivery timeout.
  const fresh = events.filter((ev) => claim(eventKey(ev)));
  log(`delivery of ${events.length} event(s): ${fresh.length} new`);
  return [200, null, async () => {
    for (const ev of fresh) {
      try {
        await handleEvent(ev);
      } catch (e) {
        seen.delete(eventKey(ev)); // let a redelivery try again
        log(`${ev.eventType} ${ev.payload && ev.payload.id}: ${e.message}`);
      }
    }
  }];
}

// ==== HTTP server ====

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= BODY_MAX) chunks.push(c);
  });
  req.on('end', async () => {
    let out;
    try {
      const url = new URL(req.url, 'http://receiver');
      if (req.method === 'GET' || req.method === 'HEAD') out = [200];
      else if (req.method !== 'POST') out = [405, 'only GET and POST'];
      else if (size > BODY_MAX) out = [413, 'the body is larger than 10 MB'];
      else if (url.pathname === '/authorise') out = onAuthorise(Buffer.concat(chunks).toString('utf8'));
      else out = await onDelivery(req, url, Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      out = [500, e.message];
    }
    const [status, error, work] = out;
    if (status !== 200) log(`${req.method} ${req.url.split('?')[0]}: ${status} ${error}`);
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(status === 200 ? { ok: true } : { ok: false, error }));
    if (work) setImmediate(work); // answered: now write back
  });
});

server.listen(PORT, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
