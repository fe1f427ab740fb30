#!/usr/bin/env python3
"""hostile.py -- hostile sequences of control and REST calls against a real
`deskmock serve`, in whatever build it is given (the AddressSanitizer build
makes it a sanitizer check of everything that waits).

Four client threads make a fixed number of calls each, picked at random from
a fixed seed: webhook creates and installs whose URL check meets a receiver
that stalls, fails or cuts the connection; ticket and comment writes that
raise deliveries to it; resets, uninstalls, webhook deletes and cleared
deliveries while all that is parked or in flight; faults, settings, key
rotations, clock moves, triggers and forged deliveries, some with wrong
types; garbage bodies; unknown routes and methods; long-polls of the
journal; webhooks, installs and invoke calls aimed at hosts outside
127.0.0.0/8, which must be refused. Then more writes, and SIGTERM with work
in flight.

It fails (exit 1) when: serve exits non-zero or does not stop; a sanitizer
reports anything; any (event, webhook) of the journal file lacks its one
fate, or has two; a call aimed outside loopback was not refused; a call was
answered 5xx other than the 503 of a cancelled wait; or when it made no call
at all. It prints what it did.

usage: hostile.py DESKMOCK [--seed N] [--calls N] [--keep]
"""
import argparse
import http.server
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("deskmock")
ap.add_argument("--seed", type=int, default=16)
ap.add_argument("--calls", type=int, default=1500, help="calls per client thread (4 threads)")
ap.add_argument("--keep", action="store_true", help="keep the work folder")
args = ap.parse_args()

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXTENSION = os.path.join(ROOT, "fixtures", "extensions", "conformance")
work = tempfile.mkdtemp(prefix="deskmock-hostile-")


# ==== A receiver that misbehaves ====

class Receiver(http.server.BaseHTTPRequestHandler):
    """Answers 200 most of the time; sometimes late, sometimes 5xx, 429, 410
    or 201, sometimes it closes the connection without an answer."""
    protocol_version = "HTTP/1.1"
    rnd = random.Random(args.seed)
    lock = threading.Lock()

    def _any(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        with self.lock:
            r = self.rnd.random()
            late = self.rnd.uniform(0.1, 1.0)
            code = self.rnd.choice([500, 503, 429, 410, 404, 201])
        if r < 0.12:
            time.sleep(late)
        if r > 0.94:
            self.close_connection = True
            self.connection.close()
            return
        body = b"{}"
        self.send_response(200 if r < 0.82 else code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _any

    def handle(self):
        try:
            super().handle()
        except OSError:
            pass  # the mock cut a POST off: that is part of the test

    def log_message(self, *a):
        pass


receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
receiver.daemon_threads = True
threading.Thread(target=receiver.serve_forever, daemon=True).start()
RECV = "http://127.0.0.1:%d" % receiver.server_address[1]


# ==== The mock ====

env = dict(os.environ)
log = os.path.join(work, "sanitizer")
env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "log_path=" + log]))
env["UBSAN_OPTIONS"] = ":".join(filter(None, [env.get("UBSAN_OPTIONS"), "print_stacktrace=1", "log_path=" + log]))
ready_file = os.path.join(work, "ready.json")
journal_file = os.path.join(work, "journal.jsonl")
serve = subprocess.Popen([args.deskmock, "serve", "--ready-file", ready_file, "--journal", journal_file,
                          "--retry-schedule", "0,1s,2s", "-q"],
                         env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "stderr"), "w"))
deadline = time.monotonic() + 60
while not (os.path.exists(ready_file) and os.path.getsize(ready_file)):
    if serve.poll() is not None or time.monotonic() > deadline:
        sys.exit("hostile: deskmock serve did not start: " + open(os.path.join(work, "stderr")).read())
    time.sleep(0.02)
ready = json.load(open(ready_file))
URL, TOKENS, ORG = ready["url"], ready["tokens"], ready["orgId"]


def call(method, path, body=None, as_=None, raw=None, timeout=10):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(URL + path, data=data, method=method)
    if as_:
        req.add_header("Authorization", "Zoho-oauthtoken " + TOKENS.get(as_, as_))
        req.add_header("orgId", ORG)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError as e:  # the mock stopping under us is not a finding here
        return None, str(e).encode()


def body_of(answer):
    try:
        return json.loads(answer[1])
    except ValueError:
        return {}


# ==== The calls ====

# Hosts outside 127.0.0.0/8, spelled the ways a string check misses.
OUTSIDE = ["http://10.0.0.1", "http://127.attacker.example", "http://localhost.example",
           "http://[::ffff:10.0.0.1]", "http://0x0a000001", "http://169.254.169.254",
           "http://8.8.8.8:80", "https://desk.zoho.com", "http://127.0.0.1.nip.io"]
TICKET = "18920000000000401"
HOOK = {"Ticket_Add": None, "Ticket_Update": {"includePrevState": True}, "Ticket_Comment_Add": None}
ids = {"tickets": [TICKET], "webhooks": [], "installations": []}
findings, answers = [], []
lock = threading.Lock()


def pick(rnd, kind):
    with lock:
        return rnd.choice(ids[kind]) if ids[kind] else "1"


def remember(kind, answer):
    got = body_of(answer).get("id")
    if got:
        with lock:
            ids[kind].append(str(got))
    return answer


def outside(rnd, what, answer):
    if answer[0] is not None and answer[0] < 400:
        with lock:
            findings.append("%s aimed outside loopback was answered %s: %s" % (what, answer[0], answer[1][:200]))
    return answer


OPS = [  # (weight, call)
    (4, lambda r: remember("webhooks", call("POST", "/api/v1/webhooks",
                                            {"name": "h", "url": RECV + "/hook", "subscriptions": HOOK}, "admin"))),
    (3, lambda r: remember("installations", call("POST", "/mock/v1/installations",
                                                 {"extension": EXTENSION, "webhookUrl": RECV + "/x",
                                                  "authoriseUrl": RECV + "/authorise"}))),
    (3, lambda r: remember("tickets", call("POST", "/api/v1/tickets",
                                           {"subject": "ü€ " * r.randint(1, 40), "departmentId": "18920000000000101",
                                            "contactId": "18920000000000301"}, "agent"))),
    (10, lambda r: call("PATCH", "/api/v1/tickets/" + pick(r, "tickets"),
                        {"subject": "s%d" % r.randint(0, 1 << 30), "priority": r.choice(["Low", "High"])}, "agent")),
    (4, lambda r: call("POST", "/api/v1/tickets/%s/comments" % pick(r, "tickets"),
                       {"content": "c", "isPublic": False}, "agent")),
    (1, lambda r: call("POST", "/mock/v1/reset", {})),
    (2, lambda r: call("DELETE", "/api/v1/webhooks/" + pick(r, "webhooks"), None, "admin")),
    (2, lambda r: call("DELETE", "/mock/v1/installations/" + pick(r, "installations"))),
    (1, lambda r: call("DELETE", "/mock/v1/deliveries")),
    (1, lambda r: call("PUT", "/mock/v1/faults",
                       {"delivery": {r.choice(["duplicate", "drop", "delayMs", "status"]): r.choice([1, 2, 500, "x", None])}})),
    (1, lambda r: call("DELETE", "/mock/v1/faults")),
    (1, lambda r: call("POST", "/mock/v1/keys/rotate", {})),
    (2, lambda r: call("GET", "/mock/v1/journal?after=%d&wait=%d" % (r.randint(0, 500), r.randint(0, 1500)))),
    (1, lambda r: call("PUT", "/mock/v1/settings", {"deliveryTimeoutMs": r.choice([100, 1000, -1, "x"]),
                                                     "batchMax": r.choice([1, 5, 0, 1000])})),
    (2, lambda r: call("POST", "/mock/v1/events", {"eventType": r.choice(["Ticket_Add", "Article_Update",
                                                                         "Contact_Add", "Nope"])})),
    (1, lambda r: call("POST", "/mock/v1/clock", {"advanceMs": r.randint(0, 100000)})),
    (2, lambda r: call("POST", "/api/v1/tickets", raw=bytes(r.getrandbits(8) for _ in range(r.randint(0, 300))),
                       as_="agent")),
    (2, lambda r: call("POST", "/mock/v1/deliveries", {"webhookId": pick(r, "webhooks"),
                                                       "jwt": r.choice(["expired", "none", "bad-signature"])})),
    (2, lambda r: call(r.choice(["GET", "PUT", "DELETE", "PATCH"]),
                       r.choice(["/api/v1/tickets", "/mock/v1/x", "/api/v1/webhooks/" + pick(r, "webhooks"), "/mock/ui"]),
                       None, r.choice([None, "admin", "bogus"]))),
    (1, lambda r: outside(r, "a webhook", call("POST", "/api/v1/webhooks",
                                               {"name": "x", "url": r.choice(OUTSIDE) + "/h",
                                                "subscriptions": {"Ticket_Add": None}}, "admin"))),
    (1, lambda r: outside(r, "an install", call("POST", "/mock/v1/installations",
                                                {"extension": EXTENSION, "webhookUrl": r.choice(OUTSIDE) + "/x",
                                                 "authoriseUrl": RECV + "/authorise"}))),
    (1, lambda r: outside(r, "a webhook update", call("PATCH", "/api/v1/webhooks/" + pick(r, "webhooks"),
                                                      {"url": r.choice(OUTSIDE) + "/h"}, "admin"))),
]
weights = [w for w, _ in OPS]


def client(seed):
    rnd = random.Random(seed)
    for _ in range(args.calls):
        answer = rnd.choices(OPS, weights)[0][1](rnd)
        with lock:
            answers.append(answer[0])


threads = [threading.Thread(target=client, args=(args.seed * 100 + i,)) for i in range(4)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
for i in range(5):  # work in flight when the signal comes
    call("PATCH", "/api/v1/tickets/" + TICKET, {"subject": "last %d" % i}, "agent")
serve.send_signal(signal.SIGTERM)
try:
    rc = serve.wait(timeout=60)
except subprocess.TimeoutExpired:
    serve.kill()
    rc = "none: it did not stop within 60 s of SIGTERM"
receiver.shutdown()


# ==== The verdict ====

if rc != 0:
    findings.append("deskmock serve exited %s: %s" % (rc, open(os.path.join(work, "stderr")).read()[-2000:]))
for name in sorted(os.listdir(work)):
    if name.startswith("sanitizer"):
        text = open(os.path.join(work, name)).read()
        if text.strip():
            findings.append("sanitizer report %s:\n%s" % (name, text[:4000]))
records = [json.loads(line) for line in open(journal_file) if line.strip()]
pairs, fates = set(), {}
for r in records:
    if r["kind"] == "event":
        pairs.update((r["seq"], w["webhookId"]) for w in r.get("webhooks", []))
    elif r["kind"] == "fate":
        key = (r["event"], r["webhookId"])
        fates[key] = fates.get(key, 0) + 1
lost = sorted(pairs - set(fates))
if lost:
    findings.append("%d (event, webhook) pairs have no fate, e.g. %s" % (len(lost), lost[:5]))
twice = sorted(k for k, n in fates.items() if n > 1)
if twice:
    findings.append("%d (event, webhook) pairs have more than one fate, e.g. %s" % (len(twice), twice[:5]))
server_errors = sorted({s for s in answers if s is not None and s >= 500 and s != 503})
if server_errors:
    findings.append("answered %s" % server_errors)
if not answers or not pairs:
    findings.append("nothing was exercised: %d calls, %d (event, webhook) pairs" % (len(answers), len(pairs)))

summary = {}
for r in records:
    if r["kind"] == "fate":
        summary[r["fate"]] = summary.get(r["fate"], 0) + 1
print("hostile: seed %d, %d calls in %.1f s, %d journal records, %d (event, webhook) pairs; fates %s; serve exited %s"
      % (args.seed, len(answers), time.monotonic() - t0, len(records), len(pairs),
         json.dumps(summary, sort_keys=True), rc))
for f in findings:
    print("FAIL: " + f)
if args.keep:
    print("hostile: kept " + work)
else:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(1 if findings else 0)
