#!/usr/bin/env bash
# tests/ui/check-ui.sh -- checks that the timeline page at /mock/ui draws the journal.
#
# usage: tests/ui/check-ui.sh MOCK_URL SCREENSHOT.png
#
# Against a running mock (deskmock serve), it makes records of its own: two
# webhooks to a python3 receiver it starts (one answers 200, one 500), a new
# ticket, an update, a comment and a request that fails with 404; it waits
# for the deliveries, then deletes both webhooks (the failing one's event is
# dropped) and stops the receiver. Then it loads /mock/ui in headless
# Chromium with --dump-dom, in both views, and checks that every record it
# caused is drawn (an element with data-seq="SEQ"), the event type names are
# there, and the failed attempt and the dropped fate are marked as failures.
# Last it saves a screenshot of the threads view to SCREENSHOT.png.
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
cleanup() {
    [ -n "$RECV_PID" ] && kill "$RECV_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# json FILE EXPR: prints the Python expression EXPR over the JSON in FILE as j.
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(r if not isinstance(r,(list,dict)) else json.dumps(r))' "$1" "$2"; }

curl -sf "$MOCK/mock/v1/tokens" -o "$WORK/tokens.json" || die "no mock at $MOCK (GET /mock/v1/tokens failed)"
ORG=$(json "$WORK/tokens.json" 'j["orgId"]')
TOKEN=$(json "$WORK/tokens.json" 'j["tokens"]["admin"]')
api() { # api METHOD PATH [BODY] -> body on stdout; status in $WORK/status
    curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" "$MOCK$2" \
        -H "Authorization: Zoho-oauthtoken $TOKEN" -H "orgId: $ORG" \
        ${3:+-H 'Content-Type: application/json' --data-binary "$3"} >"$WORK/status"
    cat "$WORK/body"
}

curl -sf "$MOCK/mock/v1/health" -o "$WORK/health.json" || die "GET /mock/v1/health failed"
START=$(json "$WORK/health.json" 'j["lastSeq"]')

# The receiver: 200 to every GET (the webhook check) and to POST /ok, 500 to other POSTs.
cat >"$WORK/recv.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self, code):
        n = int(self.headers.get('Content-Length') or 0)
        if n: self.rfile.read(n)
        self.send_response(code); self.send_header('Content-Length', '0'); self.end_headers()
    def do_GET(self): self.answer(200)
    def do_POST(self): self.answer(200 if self.path.startswith('/ok') else 500)
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
open(sys.argv[1], 'w').write(str(s.server_address[1]))
s.serve_forever()
EOF
python3 "$WORK/recv.py" "$WORK/port" & RECV_PID=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || die "the python3 receiver did not start"
RX="http://127.0.0.1:$(cat "$WORK/port")"

api POST /api/v1/webhooks '{"name":"ui-check ok","url":"'"$RX"'/ok","subscriptions":{"Ticket_Add":null,"Ticket_Update":{"includePrevState":true},"Ticket_Comment_Add":null}}' >"$WORK/w1.json"
[ "$(cat "$WORK/status")" = 200 ] || die "creating a webhook answered $(cat "$WORK/status"): $(cat "$WORK/w1.json")"
W1=$(json "$WORK/w1.json" 'j["id"]')
api POST /api/v1/webhooks '{"name":"ui-check failing","url":"'"$RX"'/fail","subscriptions":{"Ticket_Update":null}}' >"$WORK/w2.json"
[ "$(cat "$WORK/status")" = 200 ] || die "creating the failing webhook answered $(cat "$WORK/status"): $(cat "$WORK/w2.json")"
W2=$(json "$WORK/w2.json" 'j["id"]')

DEPT=$(api GET '/api/v1/departments?limit=1' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])') || die "no department to put a ticket in"
CONTACT=$(api GET '/api/v1/contacts?limit=1' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])') || die "no contact to raise a ticket for"
api POST /api/v1/tickets '{"subject":"check-ui ticket","departmentId":"'"$DEPT"'","contactId":"'"$CONTACT"'"}' >"$WORK/t.json"
[ "$(cat "$WORK/status")" = 200 ] || die "creating a ticket answered $(cat "$WORK/status"): $(cat "$WORK/t.json")"
TICKET=$(json "$WORK/t.json" 'j["id"]')
api PATCH "/api/v1/tickets/$TICKET" '{"priority":"High"}' >/dev/null
api POST "/api/v1/tickets/$TICKET/comments" '{"content":"check-ui comment","isPublic":true}' >/dev/null
api GET /api/v1/tickets/1 >/dev/null # a 404: a failed request

# Wait until W1 settled every event it was sent and W2 made its first (failed) attempt.
FAILED=
for _ in $(seq 100); do
    curl -sf "$MOCK/mock/v1/journal?after=$START&limit=100000" -o "$WORK/now.json" || die "cannot read the journal"
    FAILED=$(python3 - "$WORK/now.json" "$W1" "$W2" <<'EOF'
import json, sys
j, w1, w2 = json.load(open(sys.argv[1]))["data"], sys.argv[2], sys.argv[3]
sent = {r["seq"] for r in j if r["kind"] == "event" and any(w["webhookId"] == w1 for w in r["webhooks"])}
done = {r["event"] for r in j if r["kind"] == "fate" and r["webhookId"] == w1}
failed = [r["seq"] for r in j if r["kind"] == "attempt" and r["webhookId"] == w2 and r["status"] != 200]
# at least our 3: a receiver already installed (deskmock demo's) may write back
if len(sent) >= 3 and sent <= done and failed: print(failed[0])
EOF
)
    [ -n "$FAILED" ] && break
    sleep 0.1
done
[ -n "$FAILED" ] || die "after 10 s, the deliveries had not settled: want 3 or more events delivered to the 200 receiver and a failed attempt at the 500 one"
api DELETE "/api/v1/webhooks/$W2" >/dev/null # its event is dropped, with a fate
api DELETE "/api/v1/webhooks/$W1" >/dev/null
kill "$RECV_PID" 2>/dev/null; RECV_PID=

curl -sf "$MOCK/mock/v1/journal?after=$START&limit=100000" -o "$WORK/mine.json" || die "cannot read the journal"
SEQS=$(json "$WORK/mine.json" '" ".join(str(r["seq"]) for r in j["data"])')
# CHECK_PRIOR=1: the events already in the journal before ours (e.g. `deskmock
# demo --keep`'s) must be drawn too.
if [ "${CHECK_PRIOR:-0}" = 1 ]; then
    curl -sf "$MOCK/mock/v1/journal?kind=event&limit=100000" -o "$WORK/prior.json" || die "GET /mock/v1/journal failed"
    PRIOR=$(json "$WORK/prior.json" '" ".join(str(r["seq"]) for r in j["data"] if r["seq"] <= '"$START"')')
    [ -n "$PRIOR" ] || die "CHECK_PRIOR=1, but the journal held no events before #$START"
    SEQS="$PRIOR $SEQS"
fi
DROPPED=$(json "$WORK/mine.json" 'next((str(r["seq"]) for r in j["data"] if r["kind"]=="fate" and r["fate"]=="dropped"), "")')
[ -n "$DROPPED" ] || die "deleting the failing webhook journaled no dropped fate"
echo "check-ui: made records #$((START + 1))..#$(echo "$SEQS" | awk '{print $NF}') (ticket $TICKET)"

chrome() { timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$WORK/profile" --window-size=1400,900 --virtual-time-budget=5000 "$@" 2>"$WORK/chrome.log"; }

check_dom() { # check_dom VIEW FILE
    local view=$1 dom=$2 missing=
    grep -q 'deskmock timeline' "$dom" || die "$view view: the page did not load (no title): $(head -c 300 "$dom")"
    for s in $SEQS; do grep -q "data-seq=\"$s\"" "$dom" || missing="$missing #$s"; done
    [ -z "$missing" ] || die "$view view: records not drawn:$missing"
    for t in Ticket_Add Ticket_Update Ticket_Comment_Add ${ALSO_TYPES:-}; do
        grep -q "$t" "$dom" || die "$view view: event type $t not shown"
    done
    grep -Eq "class=\"rec k-attempt[^\"]* bad[^\"]*\" data-seq=\"$FAILED\"" "$dom" \
        || die "$view view: the failed attempt #$FAILED is not marked as a failure"
    grep -Eq "class=\"rec k-fate[^\"]* bad[^\"]*\" data-seq=\"$DROPPED\"" "$dom" \
        || die "$view view: the dropped fate #$DROPPED is not marked as a failure"
    echo "check-ui: $view view: $(echo "$SEQS" | wc -w) records drawn, failures marked"
}

chrome --dump-dom "$MOCK/mock/ui" >"$WORK/tree.html" || die "Chromium failed on $MOCK/mock/ui: $(tail -3 "$WORK/chrome.log")"
check_dom threads "$WORK/tree.html"
grep -q "data-root=" "$WORK/tree.html" || die "threads view: no thread (data-root) drawn"
chrome --dump-dom "$MOCK/mock/ui?view=flat" >"$WORK/flat.html" || die "Chromium failed on $MOCK/mock/ui?view=flat"
check_dom flat "$WORK/flat.html"
chrome --dump-dom "$MOCK/mock/ui?view=flat&ticket=$TICKET&kinds=event" >"$WORK/filtered.html" || die "Chromium failed on the filtered page"
N=$(grep -o 'data-seq="[0-9]*"' "$WORK/filtered.html" | sort -u | wc -l)
WANT=$(json "$WORK/mine.json" 'sum(1 for r in j["data"] if r["kind"]=="event")')
[ "$N" = "$WANT" ] || die "filtered by ticket $TICKET and kind event: $N records drawn, want $WANT"
echo "check-ui: filter by ticket and kind: $N events"

chrome --screenshot="$SHOT" "$MOCK/mock/ui" >/dev/null || die "Chromium could not take the screenshot: $(tail -3 "$WORK/chrome.log")"
[ -s "$SHOT" ] || die "no screenshot written to $SHOT"
echo "check-ui: PASS (screenshot: $SHOT)"
