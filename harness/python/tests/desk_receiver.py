"""desk_receiver.py -- the receiver these tests drive: a Zoho Desk extension
webhook receiver on http.server, standard library only. It verifies
X-ZDesk-JWT (RS256) against Desk's JWKS, checks the URL's orgId and
securityContext against those onDeskAuthorise gave it, answers 200 at once,
and then, on a worker thread, handles each new event: a private comment on
each new ticket, a private note on each new comment, written back through
Desk's invoke API. Write-backs carry the webhook's ignoreSourceId as
sourceId, so Desk does not deliver them back; ``source_id=None`` shows the
echo loop that follows when they do not.

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
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# DER of the SHA-256 DigestInfo that precedes the hash (RFC 8017 9.2 note 1)
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
JWT_SKEW_S = 60


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
        self.auth = None      # {"orgId", "securityContext", "installationId"}
        self.seen = set()     # events handled: Desk delivers at least once
        self.keys = {}        # JWKS kid -> JWK
        self.errors = []      # what went wrong after answering, for tests to show
        self.lock = threading.Lock()
        self.work = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # Desk's unsigned URL check
                self.answer(200)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    status = receiver.on_post(self.path, self.headers, body)
                except Exception as e:  # a receiver keeps serving
                    receiver.errors.append(e)
                    status = 500
                self.answer(status)

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
        url = urllib.parse.urlsplit(path)
        if url.path == "/authorise":
            j = json.loads(body)
            with self.lock:
                if not self.auth or self.auth["securityContext"] != j["securityContext"]:
                    self.seen.clear()
                self.auth = {k: j[k] for k in ("orgId", "securityContext", "installationId")}
            return 200
        a = self.auth
        if not a or self.verify(headers.get("X-ZDesk-JWT"), a) is not None:
            return 401
        q = urllib.parse.parse_qs(url.query)
        if q.get("orgId") != [a["orgId"]] or not hmac.compare_digest(
                (q.get("securityContext") or [""])[0], a["securityContext"]):
            return 401
        try:
            events = json.loads(body)
        except ValueError:
            return 400
        if not isinstance(events, list):
            return 400
        for ev in events:
            p = ev.get("payload") or {}
            key = (ev.get("eventType"), p.get("id"), p.get("modifiedTime") or ev.get("eventTime"))
            with self.lock:
                fresh = key not in self.seen
                self.seen.add(key)
            if fresh:  # answered now, handled after
                self.work.put((a, ev))
        return 200

    def verify(self, jwt, a):
        """None when the delivery is signed by Desk for our org, else why not."""
        parts = (jwt or "").split(".")
        if len(parts) != 3:
            return "no X-ZDesk-JWT"
        try:
            header, claims = json.loads(b64url(parts[0])), json.loads(b64url(parts[1]))
        except ValueError:
            return "JWT is not JSON"
        if header.get("alg") != "RS256":
            return "JWT alg %s" % header.get("alg")
        if header.get("kid") not in self.keys:
            with urllib.request.urlopen(self.desk + "/.well-known/jwks.json", timeout=10) as r:
                self.keys = {k["kid"]: k for k in json.load(r)["keys"] if k.get("kty") == "RSA"}
        jwk = self.keys.get(header.get("kid"))
        if not jwk or not rs256_verify(jwk, (parts[0] + "." + parts[1]).encode(), b64url(parts[2])):
            return "bad JWT signature"
        if claims.get("iss") != "orgId:" + a["orgId"]:
            return "JWT iss %s" % claims.get("iss")
        if not str(claims.get("aud")).startswith("webhookId:"):
            return "JWT aud %s" % claims.get("aud")
        if not claims.get("exp", 0) + JWT_SKEW_S > time.time():
            return "JWT expired"
        return None

    # ---- Work, after the answer ----

    def worker(self):
        for item in iter(self.work.get, None):
            a, ev = item
            p = ev.get("payload") or {}
            try:
                if ev.get("eventType") == "Ticket_Add":
                    self.comment(a, p["id"], "Thanks, we got ticket %s" % p.get("ticketNumber"))
                elif ev.get("eventType") == "Ticket_Comment_Add" and p.get("ticketId"):
                    self.comment(a, p["ticketId"], "Noted")
            except Exception as e:
                self.errors.append(e)

    def comment(self, a, ticket_id, content):
        """POSTs a private comment through invoke, signed with HASH: hex
        HMAC-SHA256 (the manifest secret) over the fields, raw, in order."""
        fields = {
            "requestURL": "%s/api/v1/tickets/%s/comments" % (self.desk, ticket_id),
            "requestType": "POST",
            "postBody": json.dumps({"content": content, "isPublic": False}),
        }
        if self.source_id:
            fields["headers"] = json.dumps({"sourceId": self.source_id})
        signed = "&".join("%s=%s" % kv for kv in fields.items())
        digest = hmac.new(self.secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
        form = urllib.parse.urlencode({"securityContext": a["securityContext"], **fields})
        req = urllib.request.Request(
            "%s/api/v1/invoke?orgId=%s" % (self.desk, urllib.parse.quote(a["orgId"])),
            data=form.encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "HASH": digest})
        with urllib.request.urlopen(req, timeout=30) as r:
            inner = json.loads(json.load(r)["response"])
        if not 200 <= inner["statusCode"] <= 299:
            raise RuntimeError("invoke: %s" % inner)
