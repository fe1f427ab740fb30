#!/usr/bin/env bash
# tests/check-examples.sh DESKMOCK EXAMPLES_DIR -- `deskmock check` against
# the example receivers: the correct one passes every case, and each broken
# one fails exactly the case for its bug and no other. Prints a CTest-style
# summary; exits non-zero on any mismatch.
set -uo pipefail
deskmock=$1
dir=$2
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT

# receiver -> the one case its bug must fail ("" = none)
declare -A expect=([correct]="" [loops]="no-echo-loop" [batch500]="batch" [slow]="timeout"
                   [trusting]="forged-jwt" [double]="duplicate" [fragile]="malformed-body")
pass=0 fail=0
for name in correct loops batch500 slow trusting double fragile; do
    rm -f "$work/ready" "$work/recv.out"
    "$deskmock" serve --port 0 --ready-file "$work/ready" -q & mock=$!
    pids+=("$mock")
    for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.05; done
    url=$(grep -o 'http://[^"]*' "$work/ready")
    "$dir/receiver-$name" --port 0 --mock "$url" >"$work/recv.out" 2>"$work/recv.err" & recv=$!
    pids+=("$recv")
    for _ in $(seq 100); do grep -q "listening on" "$work/recv.out" && break; sleep 0.05; done
    rurl=$(sed -n 's/^listening on //p' "$work/recv.out")
    "$deskmock" check --mock "$url" --receiver "$rurl/hook" --authorise-url "$rurl/authorise" --tap \
        >"$work/tap" 2>&1
    failed=$(sed -n 's/^not ok [0-9]* - //p' "$work/tap" | tr '\n' ' ' | sed 's/ $//')
    want=${expect[$name]}
    if [ "$failed" = "$want" ]; then
        echo "ok   receiver-$name: ${want:-passes every case}"
        pass=$((pass + 1))
    else
        echo "FAIL receiver-$name: failed [$failed], expected [${want:-nothing}]"
        sed 's/^/     /' "$work/tap"
        fail=$((fail + 1))
    fi
    kill "$recv" "$mock" 2>/dev/null; wait "$recv" "$mock" 2>/dev/null
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
