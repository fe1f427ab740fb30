#!/usr/bin/env bash
# tests/ui/check-ui.sh -- checks that the timeline page at /mock/ui tells the truth.
#
# usage: tests/ui/check-ui.sh MOCK_URL SCREENSHOT.png
#
# Against a running mock whose journal holds no failure yet (a fresh
# `deskmock serve`, or `deskmock demo --keep`), it makes records of its own
# with webhooks to a python3 receiver it starts, in two rounds:
#
# 1. What Desk does when all is well: a webhook that answers 200, a ticket,
#    an update and a comment delivered to it, a comment written with the
#    webhook's ignoreSourceId and an update in a department it did not choose
#    (both withheld). The page must show zero failures, header counts equal
#    to the journal's, and every withheld delivery as withheld with its rule.
# 2. Real failures: a webhook answering 500 with no retries (dead-lettered),
#    one answering 410 Gone (dropped: a failure), one answering 500 that is
#    then deleted while it waits for a retry (dropped on delete: not a
#    failure, its failed attempt is), and a request answered 404. The page
#    must mark each as the README says, in both views, and count them.
#
# Then it drives the page in headless Chromium over the DevTools protocol:
# the order toggle (and that a reload remembers it), the legend and the
# "more" kinds, the full ids and the copy button (read back from the
# clipboard). Last it saves a screenshot of the threads view.
#
# The retry schedule is changed for round 2 and put back on exit.
# CONTROL_TOKEN=T: the mock runs with --control-token T (the page is opened
# with ?token=T). CHECK_PRIOR=1: the events already in the journal (the
# demo's) must be drawn too. ALSO_TYPES: more event type names to look for.
#
# Exit status: 0 passed, 1 failed (with what), 2 usage, 77 skipped (no
# Chromium, curl or python3). CHROMIUM=/path/to/browser picks the browser.
set -uo pipefail

die() { echo "check-ui: FAIL: $*" >&2; exit 1; }
skip() { echo "check-ui: SKIP: $*" >&2; exit 77; }

[ $# -eq 2 ] || { echo "usage: $0 MOCK_URL SCREENSHOT.png" >&2; exit 2; }
MOCK=${1%/}
SHOT=$2

BROWSER=${CHROMIUM:-}
if [ -z "$BROWSER" ]; then
    for b in chromium chromium-browser google-chrome; do
        if command -v "$b" >/dev/null 2>&1; then BROWSER=$(command -v "$b"); break; fi
    done
fi
[ -n "$BROWSER" ] || skip "Chromium is not installed (apt-get install chromium, or set CHROMIUM)"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed (it runs the receiver and reads JSON)"

WORK=$(mktemp -d)
RECV_PID=
SETTINGS=
cleanup() {
    [ -n "$SETTINGS" ] && ctl PUT /mock/v1/settings "$SETTINGS" >/dev/null 2>&1
    [ -n "$RECV_PID" ] && kill "$RECV_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# json FILE EXPR: prints the Python expression EXPR over the JSON in FILE as j.
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(r if not isinstance(r,(list,dict)) else json.dumps(r))' "$1" "$2"; }
# ctl METHOD PATH [BODY]: the control API (with the control token, if any) -> body
ctl() {
    curl -sf -X "$1" "$MOCK$2" ${CONTROL_TOKEN:+-H "X-Deskmock-Token: $CONTROL_TOKEN"} \
        ${3:+-H 'Content-Type: application/json' --data-binary "$3"}
}
# page QUERY: the page's URL
page() { echo "$MOCK/mock/ui?${CONTROL_TOKEN:+token=$CONTROL_TOKEN&}${1:-}"; }

ctl GET /mock/v1/tokens >"$WORK/tokens.json" || die "no mock at $MOCK (GET /mock/v1/tokens failed${CONTROL_TOKEN:+ with the control token})"
ORG=$(json "$WORK/tokens.json" 'j["orgId"]')
TOKEN=$(json "$WORK/tokens.json" 'j["tokens"]["admin"]')
api() { # api METHOD PATH [BODY [HEADER]] -> body on stdout; status in $WORK/status
    curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" "$MOCK$2" \
        -H "Authorization: Zoho-oauthtoken $TOKEN" -H "orgId: $ORG" ${4:+-H "$4"} \
        ${3:+-H 'Content-Type: application/json' --data-binary "$3"} >"$WORK/status"
    cat "$WORK/body"
}
ok() { [ "$(cat "$WORK/status")" = 200 ] || die "$1 answered $(cat "$WORK/status"): $(cat "$WORK/body")"; }

ctl GET /mock/v1/health >"$WORK/health.json" || die "GET /mock/v1/health failed"
START=$(json "$WORK/health.json" 'j["lastSeq"]')
ctl GET /mock/v1/settings >"$WORK/settings.json" || die "GET /mock/v1/settings failed"
SETTINGS=$(json "$WORK/settings.json" '{"retrySchedule": j["retrySchedule"]}')

# The receiver: 200 to every GET (the URL check); to POSTs, by path: /ok 200, /gone 410, else 500.
cat >"$WORK/recv.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self, code):
        n = int(self.headers.get('Content-Length') or 0)
        if n: self.rfile.read(n)
        self.send_response(code); self.send_header('Content-Length', '0'); self.end_headers()
    def do_GET(self): self.answer(200)
    def do_POST(self): self.answer(200 if self.path.startswith('/ok') else 410 if self.path.startswith('/gone') else 500)
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
open(sys.argv[1], 'w').write(str(s.server_address[1]))
s.serve_forever()
EOF
python3 "$WORK/recv.py" "$WORK/port" & RECV_PID=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || die "the python3 receiver did not start"
RX="http://127.0.0.1:$(cat "$WORK/port")"

# until_journal WHAT PYTHON-CONDITION: waits (10 s at most) until the
# condition holds over the journal after START (j: its records; fated():
# every queued delivery has its fate). settle: that, and fated().
until_journal() {
    for _ in $(seq 100); do
        ctl GET "/mock/v1/journal?after=$START&limit=100000" >"$WORK/now.json" || die "cannot read the journal"
        python3 - "$WORK/now.json" "$2" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))["data"]
def fated():
    queued = {(r["seq"], w["webhookId"]) for r in j if r["kind"] == "event" for w in r["webhooks"] if w["fate"] == "queued"}
    return queued <= {(r["event"], r["webhookId"]) for r in j if r["kind"] == "fate"}
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 3)
EOF
        case $? in 0) return 0 ;; 3) ;; *) die "the condition for \"$1\" did not run" ;; esac
        sleep 0.1
    done
    die "after 10 s, $1"
}
settle() { until_journal "$1" "fated() and ($2)"; }

# ==== Round 1: all well ====
SRC=7a1c3e5f-2b4d-4c6e-8f0a-1b2c3d4e5f60 # W1's ignoreSourceId
python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][-1]["id"])' \
    <<<"$(api GET /api/v1/departments)" >"$WORK/dept" || die "no department to put a ticket in"
DEPT=$(cat "$WORK/dept") # the last one: in the demo's org, one its extension did not choose (no write-back)
api POST /api/v1/webhooks '{"name":"ui-check ok","url":"'"$RX"'/ok","ignoreSourceId":"'"$SRC"'","subscriptions":{"Ticket_Add":{"departmentIds":["'"$DEPT"'"]},"Ticket_Update":{"includePrevState":true,"departmentIds":["'"$DEPT"'"]},"Ticket_Comment_Add":null}}' >"$WORK/w1.json"
ok "creating a webhook"
W1=$(json "$WORK/w1.json" 'j["id"]')
CONTACT=$(api GET '/api/v1/contacts?limit=1' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])') || die "no contact to raise a ticket for"
api POST /api/v1/tickets '{"subject":"check-ui ticket","departmentId":"'"$DEPT"'","contactId":"'"$CONTACT"'"}' >"$WORK/t.json"
ok "creating a ticket"
TICKET=$(json "$WORK/t.json" 'j["id"]')
OTHER=$(api GET '/api/v1/tickets?limit=100' | python3 -c 'import json,sys; print(next(t["id"] for t in json.load(sys.stdin)["data"] if t.get("departmentId") != sys.argv[1]))' "$DEPT") \
    || die "no ticket outside department $DEPT to update"
api PATCH "/api/v1/tickets/$TICKET" '{"priority":"Low"}' >/dev/null; ok "updating the ticket"
api POST "/api/v1/tickets/$TICKET/comments" '{"content":"check-ui comment","isPublic":true}' >/dev/null; ok "commenting"
api POST "/api/v1/tickets/$TICKET/comments" '{"content":"check-ui own write","isPublic":false}' "sourceId: $SRC" >/dev/null
ok "commenting with the webhook's ignoreSourceId"
api PATCH "/api/v1/tickets/$OTHER" '{"subject":"check-ui update '"$$"'"}' >/dev/null; ok "updating ticket $OTHER"
settle "round 1 had not settled: want 3 deliveries to the 200 receiver and 2 withheld from it" '
sum(1 for r in j if r["kind"] == "fate" and r["webhookId"] == "'"$W1"'" and r["fate"] == "delivered") >= 3 and
sum(1 for r in j if r["kind"] == "fate" and r["webhookId"] == "'"$W1"'" and r["fate"] == "withheld") >= 2'
ctl GET "/mock/v1/journal?limit=100000" >"$WORK/all1.json" || die "cannot read the journal"

chrome() { timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$WORK/profile" --window-size=1400,900 --virtual-time-budget=5000 "$@" 2>"$WORK/chrome.log"; }

# dom.py DOM JOURNAL MODE [ARGS]: checks a dumped page against the journal (see each mode).
cat >"$WORK/dom.py" <<'EOF'
import html.parser, json, sys
dom, journal, mode, *args = sys.argv[1:]
class P(html.parser.HTMLParser):
    def __init__(s): super().__init__(); s.els = []
    def handle_starttag(s, tag, attrs): s.els.append((tag, dict(attrs)))
p = P(); p.feed(open(dom).read())
J = json.load(open(journal))["data"]
def fail(msg): print(f"check-ui: FAIL: {mode}: {msg}", file=sys.stderr); sys.exit(1)
def cls(a): return a.get("class", "").split()
def rec(seq):
    return next((a for t, a in p.els if a.get("data-seq") == str(seq) and "rec" in cls(a)), None)
def line(ev, w):
    return next((a for t, a in p.els if "dlv" in cls(a) and a.get("data-event") == str(ev) and a.get("data-webhook") == w), None)
verdict = next((a for t, a in p.els if a.get("id") == "verdict"), None)
if not verdict or "data-failures" not in verdict: fail("no verdict (#verdict with data-failures) in the header")
got = {k: int(verdict.get("data-" + k, -1)) for k in ("failures", "delivered", "withheld", "failed", "dropped", "pending")}
n = 0
def expect(cond, msg):
    global n
    if not cond: fail(msg)
    n += 1
threads = mode.startswith("threads")
held = [(r["seq"], w["webhookId"], w["rule"]) for r in J if r["kind"] == "event" for w in r["webhooks"] if w["fate"] == "withheld"]
fates = {(r["event"], r["webhookId"]): r for r in J if r["kind"] == "fate"}
want = {"delivered": sum(1 for f in fates.values() if f["fate"] == "delivered"), "withheld": len(held), "pending": 0}
for k, v in want.items(): expect(got[k] == v, f"the header counts {got[k]} {k}, the journal {v}")
for ev, w, rule in held: # every withheld delivery: withheld, with its rule, not a failure
    f = fates.get((ev, w))
    expect(f and f["fate"] == "withheld" and f.get("rule") == rule, f"event #{ev} withheld from {w} has no withheld fate with rule {rule}")
    a = rec(f["seq"])
    expect(a is not None, f"the withheld fate #{f['seq']} is not drawn")
    expect("bad" not in cls(a) and "held" in cls(a), f"the withheld fate #{f['seq']} is drawn as {a.get('class')}, want held and not bad")
    if threads:
        l = line(ev, w)
        expect(l is not None, f"no delivery line for event #{ev} to {w}")
        expect(l.get("data-outcome") == "withheld" and l.get("data-rule") == rule and "bad" not in cls(l),
               f"event #{ev} to {w}: delivery line outcome={l.get('data-outcome')} rule={l.get('data-rule')} class={l.get('class')}, want withheld, {rule}, not bad")
if mode.endswith("-clean"): # round 1: zero failures, and nothing drawn as one
    rules = set(args)
    expect(rules <= {r for _, _, r in held}, f"the journal lacks withheld deliveries with rules {sorted(rules)}")
    expect(got["failures"] == 0 and got["failed"] == 0 and got["dropped"] == 0, f"the header shows failures: {got}")
    bad = [a.get("data-seq") or a.get("data-root") or a.get("data-event") for t, a in p.els if "bad" in cls(a)]
    expect(not bad, f"drawn as failures: {bad}")
else: # round 2: ARGS are name=seq pairs
    s = dict(x.split("=") for x in args)
    for k in ("dead_attempt", "dead_fate", "gone_attempt", "gone_fate", "retry_attempt", "notfound"):
        a = rec(s[k])
        expect(a is not None and "bad" in cls(a), f"{k} #{s[k]} is not marked as a failure: {a and a.get('class')}")
    a = rec(s["deleted_fate"])
    expect(a is not None and "bad" not in cls(a) and "dropped" in cls(a), f"the fate dropped on delete #{s['deleted_fate']} is drawn as {a and a.get('class')}, want dropped and not bad")
    if threads:
        for ev, w, outcome in ((s["update"], s["w2"], "failed"), (s["update"], s["w3"], "failed"), (s["comment"], s["w4"], "dropped"), (s["update"], s["w1"], "delivered")):
            l = line(ev, w)
            expect(l is not None and l.get("data-outcome") == outcome, f"event #{ev} to {w}: outcome {l and l.get('data-outcome')}, want {outcome}")
    expect(got["failures"] == 4 and got["failed"] == 2 and got["dropped"] == 1,
           f"the header counts failures={got['failures']} failed={got['failed']} dropped={got['dropped']}, want 4 (dead letter, 410, the deleted webhook's failed attempt, the 404), 2, 1")
print(f"check-ui: {mode}: {n} checks passed ({got['delivered']} delivered, {got['withheld']} withheld, {got['failures']} failures)")
EOF

# check_dom VIEW FILE: every record drawn, event types shown
check_dom() {
    local view=$1 dom=$2 missing=
    grep -q 'deskmock timeline' "$dom" || die "$view view: the page did not load (no title): $(head -c 300 "$dom")"
    for s in $SEQS; do grep -q "data-seq=\"$s\"" "$dom" || missing="$missing #$s"; done
    [ -z "$missing" ] || die "$view view: records not drawn:$missing"
    for t in Ticket_Add Ticket_Update Ticket_Comment_Add ${ALSO_TYPES:-}; do
        grep -q "$t" "$dom" || die "$view view: event type $t not shown"
    done
    echo "check-ui: $view view: $(echo "$SEQS" | wc -w) records drawn"
}
seqs_since() { # the seqs after START (and, with CHECK_PRIOR=1, the events before)
    local out
    out=$(json "$1" '" ".join(str(r["seq"]) for r in j["data"] if r["seq"] > '"$START"')')
    if [ "${CHECK_PRIOR:-0}" = 1 ]; then
        local prior
        prior=$(json "$1" '" ".join(str(r["seq"]) for r in j["data"] if r["seq"] <= '"$START"' and r["kind"] == "event")')
        [ -n "$prior" ] || die "CHECK_PRIOR=1, but the journal held no events before #$START"
        out="$prior $out"
    fi
    echo "$out"
}

SEQS=$(seqs_since "$WORK/all1.json")
chrome --dump-dom "$(page)" >"$WORK/clean.html" || die "Chromium failed on $(page): $(tail -3 "$WORK/chrome.log")"
check_dom "round 1 threads" "$WORK/clean.html"
python3 "$WORK/dom.py" "$WORK/clean.html" "$WORK/all1.json" threads-clean ignoreSourceId department || exit 1

# ==== Round 2: real failures ====
ctl PUT /mock/v1/settings '{"retrySchedule":[]}' >/dev/null || die "PUT /mock/v1/settings failed"
api POST /api/v1/webhooks '{"name":"ui-check failing","url":"'"$RX"'/fail","subscriptions":{"Ticket_Update":null}}' >"$WORK/w2.json"
ok "creating the failing webhook"
W2=$(json "$WORK/w2.json" 'j["id"]')
api POST /api/v1/webhooks '{"name":"ui-check gone","url":"'"$RX"'/gone","subscriptions":{"Ticket_Update":null}}' >"$WORK/w3.json"
ok "creating the 410 webhook"
W3=$(json "$WORK/w3.json" 'j["id"]')
M2=$(ctl GET /mock/v1/health | python3 -c 'import json,sys; print(json.load(sys.stdin)["lastSeq"])')
api PATCH "/api/v1/tickets/$TICKET" '{"priority":"High"}' >/dev/null; ok "updating the ticket again"
settle "the update had not been dead-lettered at $W2 and dropped (410) at $W3" '
any(r["kind"] == "fate" and r["webhookId"] == "'"$W2"'" and r["fate"] == "dead-lettered" and r["seq"] > '"$M2"' for r in j) and
any(r["kind"] == "fate" and r["webhookId"] == "'"$W3"'" and r["fate"] == "dropped" and r["seq"] > '"$M2"' for r in j)'
ctl PUT /mock/v1/settings '{"retrySchedule":[600000]}' >/dev/null || die "PUT /mock/v1/settings failed"
api POST /api/v1/webhooks '{"name":"ui-check deleted","url":"'"$RX"'/fail","subscriptions":{"Ticket_Comment_Add":null}}' >"$WORK/w4.json"
ok "creating the webhook to delete"
W4=$(json "$WORK/w4.json" 'j["id"]')
M3=$(ctl GET /mock/v1/health | python3 -c 'import json,sys; print(json.load(sys.stdin)["lastSeq"])')
api POST "/api/v1/tickets/$TICKET/comments" '{"content":"check-ui comment 2","isPublic":true}' >/dev/null; ok "commenting again"
until_journal "the comment had not been delivered to $W1 and failed once at $W4" '
any(r["kind"] == "attempt" and r["webhookId"] == "'"$W4"'" and r.get("nextRetryMs") for r in j) and
any(r["kind"] == "fate" and r["webhookId"] == "'"$W1"'" and r["seq"] > '"$M3"' and r["fate"] == "delivered" for r in j)'
api DELETE "/api/v1/webhooks/$W4" >/dev/null # waiting for its retry: dropped, with a fate
api DELETE "/api/v1/webhooks/$W2" >/dev/null
api DELETE "/api/v1/webhooks/$W1" >/dev/null
api GET /api/v1/tickets/1 >/dev/null # a 404: a failed request
ctl PUT /mock/v1/settings "$SETTINGS" >/dev/null && SETTINGS=
settle "round 2 had not settled" 'any(r["kind"] == "fate" and r["webhookId"] == "'"$W4"'" and r["fate"] == "dropped" for r in j)'
kill "$RECV_PID" 2>/dev/null; RECV_PID=

ctl GET "/mock/v1/journal?limit=100000" >"$WORK/all2.json" || die "cannot read the journal"
SEQS=$(seqs_since "$WORK/all2.json")
ARGS=$(python3 - "$WORK/all2.json" "$M2" "$M3" "$W1" "$W2" "$W3" "$W4" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))["data"]
m2, m3, w1, w2, w3, w4 = int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:]
def one(what, f):
    x = [r["seq"] for r in j if f(r)]
    if not x: print(f"check-ui: FAIL: the journal has no {what}", file=sys.stderr); sys.exit(1)
    return x[0]
print(" ".join(f"{k}={v}" for k, v in {
    "w1": w1, "w2": w2, "w3": w3, "w4": w4,
    "update": one("update event", lambda r: r["seq"] > m2 and r["kind"] == "event" and r["eventType"] == "Ticket_Update"),
    "comment": one("comment event", lambda r: r["seq"] > m3 and r["kind"] == "event" and r["eventType"] == "Ticket_Comment_Add"),
    "dead_attempt": one("failed attempt at the 500 webhook", lambda r: r["kind"] == "attempt" and r["webhookId"] == w2 and r["outcome"] == "failed"),
    "dead_fate": one("dead-lettered fate", lambda r: r["kind"] == "fate" and r["webhookId"] == w2 and r["fate"] == "dead-lettered"),
    "gone_attempt": one("410 attempt", lambda r: r["kind"] == "attempt" and r["webhookId"] == w3 and r["outcome"] == "gone"),
    "gone_fate": one("fate dropped by 410", lambda r: r["kind"] == "fate" and r["webhookId"] == w3 and r["fate"] == "dropped"),
    "retry_attempt": one("failed attempt with a retry due", lambda r: r["kind"] == "attempt" and r["webhookId"] == w4 and r["outcome"] == "failed"),
    "deleted_fate": one("fate dropped on delete", lambda r: r["kind"] == "fate" and r["webhookId"] == w4 and r["fate"] == "dropped"),
    "notfound": one("404 request", lambda r: r["kind"] == "request" and r["path"] == "/api/v1/tickets/1" and r["status"] == 404),
}.items()))
EOF
) || exit 1
echo "check-ui: made records #$((START + 1))..#$(echo "$SEQS" | awk '{print $NF}') (ticket $TICKET)"

chrome --dump-dom "$(page)" >"$WORK/tree.html" || die "Chromium failed on $(page)"
check_dom threads "$WORK/tree.html"
grep -q "data-root=" "$WORK/tree.html" || die "threads view: no thread (data-root) drawn"
# shellcheck disable=SC2086
python3 "$WORK/dom.py" "$WORK/tree.html" "$WORK/all2.json" threads $ARGS || exit 1
chrome --dump-dom "$(page view=flat)" >"$WORK/flat.html" || die "Chromium failed on $(page view=flat)"
check_dom flat "$WORK/flat.html"
# shellcheck disable=SC2086
python3 "$WORK/dom.py" "$WORK/flat.html" "$WORK/all2.json" flat $ARGS || exit 1
chrome --dump-dom "$(page "view=flat&ticket=$TICKET&kinds=event")" >"$WORK/filtered.html" || die "Chromium failed on the filtered page"
N=$(grep -o 'data-seq="[0-9]*"' "$WORK/filtered.html" | sort -u | wc -l)
WANT=$(json "$WORK/all2.json" 'sum(1 for r in j["data"] if r["kind"]=="event" and "'"$TICKET"'" in (r.get("resourceId"), r.get("ticketId")))')
[ "$WANT" -ge 5 ] || die "the journal holds $WANT events about ticket $TICKET, want 5 or more"
[ "$N" = "$WANT" ] || die "filtered by ticket $TICKET and kind event: $N records drawn, want $WANT"
echo "check-ui: filter by ticket and kind: $N events"

# ==== The page driven: order toggle, legend, ids and copy ====
cat >"$WORK/drive.py" <<'EOF'
import fcntl, json, os, select, subprocess, sys, time
browser, url, profile, hook, lastseq = sys.argv[1:6]
DEADLINE = time.monotonic() + 90
KEY = "deskmock.timeline.order"
r_in, w_in = os.pipe(); r_out, w_out = os.pipe()
c_in, c_out = fcntl.fcntl(r_in, fcntl.F_DUPFD_CLOEXEC, 10), fcntl.fcntl(w_out, fcntl.F_DUPFD_CLOEXEC, 10)
def fds(): os.dup2(c_in, 3); os.dup2(c_out, 4) # --remote-debugging-pipe: commands on 3, answers on 4
proc = subprocess.Popen([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
    "--remote-debugging-pipe", "--window-size=1400,900", "about:blank"],
    preexec_fn=fds, close_fds=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(profile + ".log", "w"))
for f in (r_in, w_out, c_in, c_out): os.close(f)
def fail(msg):
    print(f"check-ui: FAIL: browser: {msg}", file=sys.stderr)
    proc.kill(); sys.exit(1)
buf, nid, session = b"", 0, None
def send(method, params=None):
    global buf, nid
    nid += 1
    msg = {"id": nid, "method": method, "params": params or {}}
    if session and not method.startswith(("Browser.", "Target.")): msg["sessionId"] = session
    try: os.write(w_in, json.dumps(msg).encode() + b"\0")
    except OSError as e: fail(f"Chromium went away ({e}); see {profile}.log")
    while True:
        while b"\0" not in buf:
            left = DEADLINE - time.monotonic()
            if left <= 0 or not select.select([r_out], [], [], left)[0]: fail(f"no answer to {method} in time")
            chunk = os.read(r_out, 1 << 16)
            if not chunk: fail("Chromium closed the DevTools pipe")
            buf += chunk
        raw, buf = buf.split(b"\0", 1)
        m = json.loads(raw)
        if m.get("id") == nid:
            if "error" in m: fail(f"{method}: {m['error']}")
            return m["result"]
def js(expr, quiet=False): # quiet: an exception (a page still loading) gives None
    r = send("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True})
    if "exceptionDetails" in r:
        if quiet: return None
        fail(f"{expr[:80]}: {r['exceptionDetails'].get('exception', {}).get('description', r['exceptionDetails'].get('text'))}")
    return r["result"].get("value")
def wait(expr, what, secs=15):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        v = js(expr, quiet=True)
        if v: return v
        time.sleep(0.1)
    fail(f"after {secs} s, {what}")
n = 0
def expect(cond, msg):
    global n
    if not cond: fail(msg)
    n += 1
target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
send("Page.enable"); send("Runtime.enable")
send("Browser.grantPermissions", {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
send("Emulation.setFocusEmulationEnabled", {"enabled": True})
LOADED = f"document.querySelector('#list [data-seq=\"{lastseq}\"]') && document.querySelectorAll('section[data-root]').length >= 2"
ROOTS = "[...document.querySelectorAll('#list section[data-root]')].map(e => +e.dataset.root)"
ROWS = "[...document.querySelectorAll('#list .rec[data-seq]')].map(e => +e.dataset.seq)"
def load(how):
    if how == "reload": send("Page.reload", {"ignoreCache": True})
    else: send("Page.navigate", {"url": url})
    wait(LOADED, f"the page ({how}) did not draw record #{lastseq} in two or more threads")
def click(sel):
    expect(js(f"(() => {{ const e = document.querySelector('{sel}'); if (!e) return false; e.click(); return true; }})()"), f"no {sel} to click")
def order(want, where):
    pressed = js("[document.querySelector('#o-old').getAttribute('aria-pressed'), document.querySelector('#o-new').getAttribute('aria-pressed')]")
    expect(pressed == (["true", "false"] if want == "oldest" else ["false", "true"]), f"{where}: the order buttons say {pressed}, want {want} first")
    roots = js(ROOTS)
    expect(len(roots) >= 2 and roots == sorted(roots, reverse=(want == "newest")), f"{where}: threads in order {roots[:8]}…, want {want} first")
    return roots

load("navigate")
expect(js(f"localStorage.getItem('{KEY}')") is None, "a fresh profile already holds an order")
first = order("oldest", "by default")
click("#o-new")
expect(order("newest", "after clicking newest first") == first[::-1], "newest first is not the same threads reversed")
expect(js(f"localStorage.getItem('{KEY}')") == "newest", "newest first was not stored")
load("reload")
order("newest", "after a reload")
click("#v-flat")
rows = wait(f"(() => {{ const r = {ROWS}; return r.length > 1 && !document.querySelector('section[data-root]') && r; }})()", "the flat view did not draw")
expect(rows == sorted(rows, reverse=True), f"flat view, newest first: rows in order {rows[:8]}…")
click("#v-tree")
click("#o-old")
order("oldest", "after clicking oldest first")
load("reload")
order("oldest", "after another reload")
expect(js(f"localStorage.getItem('{KEY}')") == "oldest", "oldest first was not stored")

# The legend: every kind in plain words, the rare ones folded under "more".
kinds = js("[...document.querySelectorAll('#detail dl.kinds dt')].map(e => [e.textContent.trim(), e.nextElementSibling.textContent.trim().length, !!e.closest('details')])")
expect(kinds and len(kinds) >= 16, f"the legend explains {kinds and len(kinds)} kinds, want 16")
for name, words, folded in kinds:
    expect(words > 10, f"the legend's {name} has no explanation")
    expect(folded == (name not in ("request", "change", "event", "attempt", "fate", "invoke")), f"the legend's {name} is {'' if folded else 'not '}under more")
expect(js("document.querySelector('#kinds-rare').hidden && document.querySelectorAll('#kinds-rare input').length >= 10 && document.querySelectorAll('#kinds-common input').length === 6"),
       "the header's kinds: want 6 shown and 10 or more folded under more")
click("#more-kinds")
expect(js("!document.querySelector('#kinds-rare').hidden"), "more did not unfold the rare kinds")
expect(js("[...document.querySelectorAll('#kinds-rare label')].every(l => l.title.length > 10)"), "a rare kind has no explanation on hover")

# Ids: the whole id on hover (title), a copy button that copies all of it.
ids = js("[...document.querySelectorAll('#list .id')].map(e => [e.title, e.textContent, e.nextElementSibling && e.nextElementSibling.dataset.copy])")
expect(ids and len(ids) > 10, "no ids drawn")
for title, text, copy in ids:
    expect(len(title) > 6 and text == "…" + title[-6:] and copy == title, f"id {text}: title {title!r}, copy button {copy!r}")
expect(any(t == hook for t, _, _ in ids), f"webhook {hook} not shown by id")
click(f"#list .cp[data-copy=\"{hook}\"]")
wait(f"!!document.querySelector('#list .cp.done[data-copy=\"{hook}\"]')", "the copy button did not say it copied")
got = js("navigator.clipboard.readText()")
expect(got == hook, f"the clipboard holds {got!r}, want {hook!r}")
send("Browser.close")
try: proc.wait(10)
except subprocess.TimeoutExpired: proc.kill()
print(f"check-ui: browser: {n} checks passed (order toggle remembered, legend, full ids, copy)")
EOF
LAST=$(echo "$SEQS" | awk '{print $NF}')
timeout 120 python3 "$WORK/drive.py" "$BROWSER" "$(page)" "$WORK/cdp" "$W1" "$LAST" || die "driving the page failed (exit $?)"

chrome --screenshot="$SHOT" "$(page)" >/dev/null || die "Chromium could not take the screenshot: $(tail -3 "$WORK/chrome.log")"
[ -s "$SHOT" ] || die "no screenshot written to $SHOT"
echo "check-ui: PASS (screenshot: $SHOT)"
