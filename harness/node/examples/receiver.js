// receiver.js -- the receiver these examples test: a Zoho Desk extension
// webhook receiver in plain Node.js (node:http, node:crypto, fetch). It
// verifies X-ZDesk-JWT (RS256) against Desk's JWKS, checks the URL's orgId
// and securityContext against those onDeskAuthorise gave it, answers 200 at
// once, and then handles each new event: a private comment on each new
// ticket, a private note on each new comment, written back through Desk's
// invoke API. Write-backs carry the webhook's ignoreSourceId as sourceId, so
// Desk does not deliver them back; `sourceId: null` shows the echo loop
// that follows when they do not.
//
//   const r = await startReceiver({ desk, secret, sourceId });
//   // webhook: `${r.url}/hook`, onDeskAuthorise: `${r.url}/authorise`
//   await r.close();
import http from 'node:http';
import crypto from 'node:crypto';

const JWT_SKEW_S = 60;

/**
 * Starts the receiver on 127.0.0.1 (port 0: a free one). desk: Desk's base
 * URL (the mock's in tests); secret: the manifest's "secret"; sourceId: the
 * webhook's ignoreSourceId. Resolves {url, errors, close()}.
 */
export async function startReceiver({ desk, secret, sourceId, port = 0 }) {
  let auth = null;            // {orgId, securityContext, installationId}
  const seen = new Set();     // events handled: Desk delivers at least once
  let keys = new Map();       // JWKS kid -> public key
  const errors = [];          // what went wrong after answering, for tests to show

  async function keyFor(kid) {
    if (!keys.has(kid)) {
      const doc = await (await fetch(`${desk}/.well-known/jwks.json`)).json();
      keys = new Map(doc.keys.filter((k) => k.kty === 'RSA')
        .map((k) => [k.kid, crypto.createPublicKey({ key: k, format: 'jwk' })]));
    }
    return keys.get(kid);
  }

  // null when the delivery is signed by Desk for our org, else why not
  async function verify(jwt) {
    const parts = (jwt || '').split('.');
    if (parts.length !== 3) return 'no X-ZDesk-JWT';
    const part = (i) => JSON.parse(Buffer.from(parts[i], 'base64url').toString('utf8'));
    let header, claims;
    try { header = part(0); claims = part(1); } catch { return 'JWT is not JSON'; }
    if (header.alg !== 'RS256') return `JWT alg ${header.alg}`;
    const key = await keyFor(header.kid);
    if (!key) return `unknown JWT kid ${header.kid}`;
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    if (!crypto.verify('sha256', signed, key, Buffer.from(parts[2], 'base64url'))) return 'bad JWT signature';
    const now = Date.now() / 1000;
    if (claims.iss !== `orgId:${auth.orgId}`) return `JWT iss ${claims.iss}`;
    if (!String(claims.aud).startsWith('webhookId:')) return `JWT aud ${claims.aud}`;
    if (!(claims.exp + JWT_SKEW_S > now)) return 'JWT expired';
    return null;
  }

  // POST a private comment on a ticket through invoke, signed with HASH:
  // hex HMAC-SHA256 (the manifest secret) over the fields, raw, in order.
  async function comment(a, ticketId, content) {
    const fields = {
      requestURL: `${desk}/api/v1/tickets/${ticketId}/comments`,
      requestType: 'POST',
      postBody: JSON.stringify({ content, isPublic: false }),
    };
    if (sourceId) fields.headers = JSON.stringify({ sourceId });
    const signed = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join('&');
    const hash = crypto.createHmac('sha256', secret).update(signed).digest('hex');
    const r = await fetch(`${desk}/api/v1/invoke?orgId=${encodeURIComponent(a.orgId)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', HASH: hash },
      body: new URLSearchParams({ securityContext: a.securityContext, ...fields }).toString(),
    });
    const text = await r.text();
    const inner = r.status === 200 ? JSON.parse(JSON.parse(text).response) : null;
    if (!inner || inner.statusCode < 200 || inner.statusCode > 299) throw new Error(`invoke ${r.status}: ${text}`);
  }

  async function handle(a, ev) {
    const p = ev.payload || {};
    if (ev.eventType === 'Ticket_Add') await comment(a, p.id, `Thanks, we got ticket ${p.ticketNumber}`);
    if (ev.eventType === 'Ticket_Comment_Add' && p.ticketId) await comment(a, p.ticketId, 'Noted');
  }

  async function delivery(req, url, body) {
    if (!auth) return 401;
    const a = auth;
    if (await verify(req.headers['x-zdesk-jwt'])) return 401;
    if (url.searchParams.get('orgId') !== a.orgId || url.searchParams.get('securityContext') !== a.securityContext) return 401;
    let events;
    try { events = JSON.parse(body); } catch { return 400; }
    if (!Array.isArray(events)) return 400;
    const fresh = events.filter((ev) => {
      const key = `${ev.eventType}|${ev.payload && ev.payload.id}|${(ev.payload && ev.payload.modifiedTime) || ev.eventTime}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    // answer first; the work happens after, so a slow Desk never times us out
    setImmediate(async () => {
      for (const ev of fresh) await handle(a, ev).catch((e) => errors.push(e));
    });
    return 200;
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url, 'http://receiver');
      const body = Buffer.concat(chunks).toString('utf8');
      let status = 200;
      try {
        if (req.method !== 'POST') status = 200; // Desk's unsigned URL check
        else if (url.pathname === '/authorise') {
          const j = JSON.parse(body);
          if (!auth || auth.securityContext !== j.securityContext) seen.clear();
          auth = { orgId: j.orgId, securityContext: j.securityContext, installationId: j.installationId };
        } else status = await delivery(req, url, body);
      } catch (e) {
        errors.push(e);
        status = 500;
      }
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ok: status === 200 }));
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
