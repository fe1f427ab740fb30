"""desk_receiver.py -- the receiver these tests drive: a Zoho Desk extension
webhook receiver on http.server, standard library only. It verifies
X-ZDesk-JWT (RS256) against Desk's JWKS, checks the URL's orgId and
securityContext against those of the latest onDeskAuthorise, answers 200 at
once, and then, on a worker thread, handles each new event: a private
comment on each new ticket, a private note on each new comment, written back
through Desk's invoke API (retried when Desk answers 429 or 5xx). Write-backs
carry the webhook's ignoreSourceId as sourceId, so Desk does not deliver
them back; ``source_id=None`` shows the echo loop that follows when they do
not.

The standard library has no RSA, so verify() checks RS256 by hand
(RSASSA-PKCS1-v1_5 with SHA-256, RFC 8017 8.2.2); a production receiver
would use a JWT library.
"""
import base64
import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# DER of the SHA-256 DigestInfo that precedes the hash (RFC 8017 9.2 note 1)
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
JWT_SKEW_S = 60          # clocks differ: exp, nbf and iat get a minute
JWKS_MIN_GAP_S = 2       # an unknown kid refetches the JWKS at most this often
WRITE_TRIES = 4          # a write-back Desk answers 429 or 5xx is tried again
BACKOFF_S = 0.5          # after 5xx: 0.5 s, 1 s, 2 s
RETRY_AFTER_MAX_S = 5


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def rs256_verify(jwk, signed, signature):
    """True when signature is n/e's RS256 signature of signed."""
    n = int.from_bytes(b64url(jwk["n"]), "big")
    e = int.from_bytes(b64url(jwk["e"]), "big")
    k = (n.bit_length() + 7) // 8
    s = int.from_bytes(signature, "big")
    if len(signature) != k or s >= n:
        return False
    t = SHA256_DIGEST_INFO + hashlib.sha256(signed).digest()
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return hmac.compare_digest(pow(s, e, n).to_bytes(k, "big"), expected)


class Receiver:
    """Starts on 127.0.0.1 (port 0: a free one). desk: Desk's base URL (the
    mock's in tests); secret: the manifest's "secret"; source_id: the
    webhook's ignoreSourceId."""

    def __init__(self, desk, secret, source_id, port=0):
        self.desk, self.secret, self.source_id = desk, secret, source_id
        self.auth = None        # the latest onDeskAuthorise: {"orgId", "securityContext"}
        self.webhook_id = None  # the aud of our deliveries, from the first genuine one
        self.seen = set()       # events handled: Desk delivers at least once
        self.keys = {}          # JWKS kid -> JWK
        self.keys_at = 0.0      # when the JWKS was last fetched (time.monotonic)
        self.errors = []        # what went wrong after answering, for tests to show
        self.lock = threading.Lock()
        self.jwks_lock = threading.Lock()
        self.work = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # Desk's unsigned URL check
                self.answer(200)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    status, work = receiver.on_post(self.path, self.headers, body)
                except Exception as e:  # a receiver keeps serving
                    receiver.errors.append(e)
                    status, work = 500, []
                self.answer(status)
                for item in work:  # handled after the answer
                    receiver.work.put(item)

            def answer(self, status):
                out = json.dumps({"ok": status == 200}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        threading.Thread(target=self.worker, daemon=True).start()

    def close(self):
        self.work.put(None)
        self.server.shutdown()
        self.server.server_close()

    # ---- Deliveries ----

    def on_post(self, path, headers, body):
        """(status, [events to handle once answered])"""
        url = urllib.parse.urlsplit(path)
        if url.path == "/authorise":
            j = json.loads(body)
            with self.lock:
                if not self.auth or self.auth["securityContext"] != j["securityContext"]:
                    self.seen.clear()  # a new installation, with a new webhook
                    self.webhook_id = None
                self.auth = {"orgId": j["orgId"], "securityContext": j["securityContext"]}
            return 200, []
        if body.strip() == b"{}":  # Desk's unsigned URL check, as a POST
            return 200, []
        a = self.auth
        claims = self.verify(headers.get("X-ZDesk-JWT"), a) if a else "not authorised"
        if isinstance(claims, str):
            return 401, []
        q = urllib.parse.parse_qs(url.query)
        if q.get("orgId") != [a["orgId"]] or not hmac.compare_digest(
                (q.get("securityContext") or [""])[0], a["securityContext"]):
            return 401, []
        with self.lock:  # the first genuine delivery of an installation names its webhook
            if self.auth is a and not self.webhook_id:
                self.webhook_id = claims["aud"][len("webhookId:"):]
        try:
            events = json.loads(body)
        except ValueError:
            return 400, []
        if not isinstance(events, list) or not all(isinstance(ev, dict) for ev in events):
            return 400, []
        fresh = []
        for ev in events:
            p = ev.get("payload") or {}
            key = (ev.get("eventType"), p.get("id"), p.get("modifiedTime") or ev.get("eventTime"))
            with self.lock:
                if key not in self.seen:
                    self.seen.add(key)
                    fresh.append(ev)
        return 200, fresh

    def key_for(self, kid):
        """The JWKS key kid. An unknown kid (Desk rotated its key, or a
        forger made one up) refetches the JWKS, never twice within
        JWKS_MIN_GAP_S: a delivery that comes sooner waits for the next
        fetch, and those waiting together share it."""
        fetched = self.keys_at
        with self.jwks_lock:
            if kid not in self.keys and self.keys_at == fetched:
                time.sleep(max(0.0, self.keys_at + JWKS_MIN_GAP_S - time.monotonic()))
                with urllib.request.urlopen(self.desk + "/.well-known/jwks.json", timeout=10) as r:
                    self.keys = {k["kid"]: k for k in json.load(r)["keys"] if k.get("kty") == "RSA"}
                self.keys_at = time.monotonic()
            return self.keys.get(kid)

    def verify(self, jwt, a):
        """The JWT's claims when Desk signed it for our org, else why not."""
        parts = (jwt or "").split(".")
        if len(parts) != 3:
            return "no X-ZDesk-JWT"
        try:
            header, claims = json.loads(b64url(parts[0])), json.loads(b64url(parts[1]))
        except ValueError:
            return "JWT is not JSON"
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return "JWT is not JSON objects"
        if header.get("alg") != "RS256":  # never none, never HS256
            return "JWT alg %s" % header.get("alg")
        if not isinstance(header.get("kid"), str):
            return "JWT has no kid"
        jwk = self.key_for(header["kid"])
        if not jwk:
            return "unknown JWT kid %s" % header["kid"]
        if not rs256_verify(jwk, (parts[0] + "." + parts[1]).encode(), b64url(parts[2])):
            return "bad JWT signature"
        now = time.time()
        aud, exp = str(claims.get("aud")), claims.get("exp")
        if claims.get("iss") != "orgId:" + a["orgId"]:
            return "JWT iss %s" % claims.get("iss")
        if not aud.startswith("webhookId:") or (self.webhook_id and aud != "webhookId:" + self.webhook_id):
            return "JWT aud %s" % aud
        if not isinstance(exp, (int, float)) or exp + JWT_SKEW_S <= now:
            return "JWT expired"
        if any(isinstance(t, (int, float)) and t > now + JWT_SKEW_S for t in (claims.get("nbf"), claims.get("iat"))):
            return "JWT not valid yet"
        return claims

    # ---- Work, after the answer ----

    def worker(self):
        for ev in iter(self.work.get, None):
            p = ev.get("payload") or {}
            try:
                if ev.get("eventType") == "Ticket_Add" and p.get("id"):
                    self.comment(p["id"], "Thanks, we got ticket %s" % (p.get("ticketNumber") or p["id"]))
                elif ev.get("eventType") == "Ticket_Comment_Add" and p.get("ticketId"):
                    self.comment(p["ticketId"], "Noted")
            except Exception as e:
                self.errors.append(e)

    def comment(self, ticket_id, content):
        """POSTs a private comment through invoke, signed with HASH: hex
        HMAC-SHA256 (the manifest secret) over the fields, raw, in order.
        Invoke answers 200 {"response": "<JSON text of {statusCode, ...}>"};
        429 and 5xx, outer or inner, are tried again."""
        fields = {
            "requestURL": "%s/api/v1/tickets/%s/comments" % (self.desk, ticket_id),
            "requestType": "POST",
            "postBody": json.dumps({"content": content, "isPublic": False}),
        }
        if self.source_id:
            fields["headers"] = json.dumps({"sourceId": self.source_id})
        signed = "&".join("%s=%s" % kv for kv in fields.items())
        digest = hmac.new(self.secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
        for attempt in range(1, WRITE_TRIES + 1):
            a = self.auth  # the latest installation's
            form = urllib.parse.urlencode({"securityContext": a["securityContext"], **fields})
            req = urllib.request.Request(
                "%s/api/v1/invoke?orgId=%s" % (self.desk, urllib.parse.quote(a["orgId"])),
                data=form.encode(), method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded", "HASH": digest})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    text, retry_after = r.read(), r.headers.get("Retry-After")
                status = json.loads(json.loads(text)["response"])["statusCode"]
            except urllib.error.HTTPError as e:
                text, retry_after, status = e.read(), e.headers.get("Retry-After"), e.code
            if 200 <= status <= 299:
                return
            if (status != 429 and status < 500) or attempt == WRITE_TRIES:
                raise RuntimeError("invoke %s: %s" % (status, text))
            if status == 429 and retry_after and retry_after.isdigit():
                time.sleep(min(int(retry_after), RETRY_AFTER_MAX_S))
            else:
                time.sleep(BACKOFF_S * 2 ** (attempt - 1))
