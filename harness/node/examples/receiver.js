// receiver.js -- the receiver these examples test: a Zoho Desk extension
// webhook receiver in plain Node.js (node:http, node:crypto, fetch). It
// verifies X-ZDesk-JWT (RS256) against Desk's JWKS, checks the URL's orgId
// and securityContext against those of the latest onDeskAuthorise, answers
// 200 at once, and then handles each new event: a private comment on each
// new ticket, a private note on each new comment, written back through
// Desk's invoke API (retried when Desk answers 429 or 5xx). Write-backs
// carry the webhook's ignoreSourceId as sourceId, so Desk does not deliver
// them back; `sourceId: null` shows the echo loop that follows when they do
// not.
//
//   const r = await startReceiver({ desk, secret, sourceId });
//   // webhook: `${r.url}/hook`, onDeskAuthorise: `${r.url}/authorise`
//   await r.close();
import http from 'node:http';
import crypto from 'node:crypto';

const JWT_SKEW_S = 60;          // clocks differ: exp, nbf and iat get a minute
const JWKS_MIN_GAP_MS = 2000;   // an unknown kid refetches the JWKS at most this often
const WRITE_TRIES = 4;          // a write-back Desk answers 429 or 5xx is tried again
const BACKOFF_MS = 500;         // after 5xx: 0.5 s, 1 s, 2 s
const RETRY_AFTER_MAX_MS = 5000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the receiver on 127.0.0.1 (port 0: a free one). desk: Desk's base
 * URL (the mock's in tests); secret: the manifest's "secret"; sourceId: the
 * webhook's ignoreSourceId. Resolves {url, errors, close()}.
 */
export async function startReceiver({ desk, secret, sourceId, port = 0 }) {
  let auth = null;            // the latest onDeskAuthorise: {orgId, securityContext}
  let webhookId = null;       // the aud of our deliveries, from the first genuine one
  const seen = new Set();     // events handled: Desk delivers at least once
  let keys = new Map();       // JWKS kid -> public key
  let keysAt = 0;             // when the JWKS was last fetched
  let fetching = null;        // the fetch in progress, shared
  const errors = [];          // what went wrong after answering, for tests to show

  // An unknown kid (Desk rotated its key, or a forger made one up) refetches
  // the JWKS, never twice within JWKS_MIN_GAP_MS: a delivery that comes
  // sooner waits for the next fetch.
  async function keyFor(kid) {
    if (!keys.has(kid)) {
      fetching ||= (async () => {
        await sleep(keysAt + JWKS_MIN_GAP_MS - Date.now());
        const doc = await (await fetch(`${desk}/.well-known/jwks.json`)).json();
        keys = new Map(doc.keys.filter((k) => k.kty === 'RSA')
          .map((k) => [k.kid, crypto.createPublicKey({ key: k, format: 'jwk' })]));
        keysAt = Date.now();
      })().finally(() => { fetching = null; });
      await fetching;
    }
    return keys.get(kid);
  }

  // The JWT's claims when Desk signed it for our org, else a string: why not
  async function verify(jwt, orgId) {
    const parts = (jwt || '').split('.');
    if (parts.length !== 3) return 'no X-ZDesk-JWT';
    const part = (i) => JSON.parse(Buffer.from(parts[i], 'base64url').toString('utf8'));
    let header, claims;
    try { header = part(0); claims = part(1); } catch { return 'JWT is not JSON'; }
    if (header.alg !== 'RS256') return `JWT alg ${header.alg}`; // never none, never HS256
    if (typeof header.kid !== 'string') return 'JWT has no kid';
    const key = await keyFor(header.kid);
    if (!key) return `unknown JWT kid ${header.kid}`;
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    if (!crypto.verify('sha256', signed, key, Buffer.from(parts[2], 'base64url'))) return 'bad JWT signature';
    const now = Date.now() / 1000;
    if (claims.iss !== `orgId:${orgId}`) return `JWT iss ${claims.iss}`;
    const aud = String(claims.aud);
    if (!aud.startsWith('webhookId:') || (webhookId && aud !== `webhookId:${webhookId}`)) return `JWT aud ${aud}`;
    if (!(claims.exp + JWT_SKEW_S > now)) return 'JWT expired';
    if (claims.nbf > now + JWT_SKEW_S || claims.iat > now + JWT_SKEW_S) return 'JWT not valid yet';
    return claims;
  }

  // POST a private comment on a ticket through invoke, signed with HASH:
  // hex HMAC-SHA256 (the manifest secret) over the fields, raw, in order.
  // Invoke answers 200 {"response": "<JSON text of {statusCode, ...}>"}.
  async function comment(ticketId, content) {
    const fields = {
      requestURL: `${desk}/api/v1/tickets/${ticketId}/comments`,
      requestType: 'POST',
      postBody: JSON.stringify({ content, isPublic: false }),
    };
    if (sourceId) fields.headers = JSON.stringify({ sourceId });
    const signed = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join('&');
    const hash = crypto.createHmac('sha256', secret).update(signed).digest('hex');
    for (let attempt = 1; ; attempt++) {
      const a = auth; // the latest installation's
      const r = await fetch(`${desk}/api/v1/invoke?orgId=${encodeURIComponent(a.orgId)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', HASH: hash },
        body: new URLSearchParams({ securityContext: a.securityContext, ...fields }).toString(),
      });
      const text = await r.text();
      let status = r.status;
      if (status === 200) {
        try { status = JSON.parse(JSON.parse(text).response).statusCode; } catch { status = 502; }
      }
      if (status >= 200 && status <= 299) return;
      if ((status !== 429 && status < 500) || attempt === WRITE_TRIES) throw new Error(`invoke ${status}: ${text}`);
      const retryAfter = Number(r.headers.get('retry-after'));
      await sleep(status === 429 && retryAfter >= 0
        ? Math.min(retryAfter * 1000, RETRY_AFTER_MAX_MS) : BACKOFF_MS * 2 ** (attempt - 1));
    }
  }

  async function handle(ev) {
    const p = ev.payload || {};
    if (ev.eventType === 'Ticket_Add' && p.id) await comment(p.id, `Thanks, we got ticket ${p.ticketNumber ?? p.id}`);
    if (ev.eventType === 'Ticket_Comment_Add' && p.ticketId) await comment(p.ticketId, 'Noted');
  }

  // [status, work to do once answered]
  async function delivery(req, url, body) {
    if (body.trim() === '{}') return [200]; // Desk's unsigned URL check, as a POST
    const a = auth;
    if (!a) return [401];
    const claims = await verify(req.headers['x-zdesk-jwt'], a.orgId);
    if (typeof claims === 'string') return [401];
    if (url.searchParams.get('orgId') !== a.orgId || url.searchParams.get('securityContext') !== a.securityContext) return [401];
    // the first genuine delivery of an installation names its webhook
    if (a === auth) webhookId ||= claims.aud.slice('webhookId:'.length);
    let events;
    try { events = JSON.parse(body); } catch { return [400]; }
    if (!Array.isArray(events) || !events.every((ev) => ev && typeof ev === 'object')) return [400];
    const fresh = events.filter((ev) => {
      const p = ev.payload || {};
      const key = `${ev.eventType}|${p.id}|${p.modifiedTime || ev.eventTime}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    // answer first; the work happens after, so a slow Desk never times us out
    return [200, async () => {
      for (const ev of fresh) await handle(ev).catch((e) => errors.push(e));
    }];
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url, 'http://receiver');
      const body = Buffer.concat(chunks).toString('utf8');
      let status = 200, work = null;
      try {
        if (req.method !== 'POST') status = 200; // Desk's unsigned URL check
        else if (url.pathname === '/authorise') {
          const j = JSON.parse(body);
          if (!auth || auth.securityContext !== j.securityContext) {
            seen.clear(); // a new installation, with a new webhook
            webhookId = null;
          }
          auth = { orgId: j.orgId, securityContext: j.securityContext };
        } else [status, work] = await delivery(req, url, body);
      } catch (e) {
        errors.push(e);
        status = 500;
      }
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ok: status === 200 }));
      if (work) setImmediate(work);
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    errors,
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}
