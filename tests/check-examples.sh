#!/usr/bin/env bash
# tests/check-examples.sh DESKMOCK EXAMPLES_DIR -- `deskmock check` against
# every example receiver: the correct ones (an extension, a POST-only one,
# one that registers its own plain webhook, one without sourceId that ignores
# its echoes) pass every case, and each broken one fails exactly the cases
# of its bug and no other, some also as plain webhooks. A run also
# fails when check crashes, exits with the wrong status, or prints no TAP
# plan or fewer results than it planned. Two receivers run at a time.
# Prints a CTest-style summary; exits non-zero on any mismatch.
set -uo pipefail
deskmock=$1
dir=$2
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# receiver (":plain" = with --register, checked with --plain) -> the cases
# its bug must fail, in run order ("" = none: it must pass)
declare -A expect=(
  [correct]="" [postonly]="" [correct:plain]=""
  [loops]="ticket-add" [batch500]="batch batch-100" [slow]="timeout batch-100"
  [trusting]="forged-no-token" [double]="duplicate" [fragile]="malformed-body"
  [wrongheader]="preflight" [audience]="forged-audience" [issuer]="forged-issuer"
  [algnone]="forged-alg-none" [expiry]="forged-expired forged-not-yet-valid"
  [stalekeys]="key-rotation" [badhash]="ticket-add" [oldcontext]="reinstall"
  [firstonly]="batch-100" [unassigned]="unassigned-ticket" [nonlatin]="non-latin large-thread"
  [smallbody]="large-thread batch-100" [giveup]="desk-429 desk-5xx"
  [wrongid]="ticket-thread-add" [updateloop]="ticket-update" [hammer]="desk-429"
  [nosourceid]="" [nosourceid:plain]="" [double:plain]="duplicate" [firstonly:plain]="batch-100"
)
order=(correct postonly correct:plain loops batch500 slow trusting double fragile wrongheader
       audience issuer algnone expiry stalekeys badhash oldcontext firstonly unassigned nonlatin
       smallbody giveup wrongid updateloop hammer nosourceid nosourceid:plain double:plain
       firstonly:plain)

# One receiver's run, in its own folder; writes "ok ..." or "FAIL ..." to verdict.
run_one() {
  local key=$1 w="$work/${1/:/-}" name=${1%%:*} plain=""
  [ "$key" != "$name" ] && plain=1
  mkdir -p "$w"
  "$deskmock" serve --port 0 --ready-file "$w/ready" -q &
  local mock=$!
  for _ in $(seq 200); do [ -s "$w/ready" ] && break; sleep 0.05; done
  local url org token
  url=$(grep -o 'http://[^"]*' "$w/ready" | head -n 1)
  org=$(grep -o '"orgId":[[:space:]]*"[0-9]*"' "$w/ready" | grep -o '[0-9]\{2,\}')
  token=$(grep -o '"admin":[[:space:]]*"[^"]*"' "$w/ready" | sed 's/.*"\([^"]*\)"$/\1/')
  ( exec "$dir/receiver-$name" --port 0 --mock "$url" ${plain:+--register --token "$token" --org-id "$org"} \
      >"$w/recv.out" 2>"$w/recv.err" ) &
  local recv=$!
  for _ in $(seq 200); do grep -q "listening on" "$w/recv.out" 2>/dev/null && break; sleep 0.05; done
  local rurl
  rurl=$(sed -n 's/^listening on //p' "$w/recv.out")
  if [ -n "$plain" ]; then
    "$deskmock" check --mock "$url" --plain --receiver "$rurl/hook" --tap >"$w/tap" 2>&1
  else
    "$deskmock" check --mock "$url" --receiver "$rurl/hook" --authorise-url "$rurl/authorise" \
        --tap >"$w/tap" 2>&1
  fi
  local status=$? want=${expect[$key]} problem=""
  local failed planned results
  failed=$(sed -n 's/^not ok [0-9]* - //p' "$w/tap" | tr '\n' ' ' | sed 's/ $//')
  planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$w/tap" | head -n 1)
  results=$(grep -c -E '^(not )?ok [0-9]+ - ' "$w/tap")
  if [ "$status" -gt 128 ]; then
    problem="check was killed by signal $((status - 128))"
  elif [ -z "$planned" ]; then
    problem="no TAP plan"
  elif [ "$results" -lt "$planned" ]; then
    problem="$results results of $planned planned"
  elif [ -z "$want" ] && [ "$status" -ne 0 ]; then
    problem="check exited $status, expected 0"
  elif [ -n "$want" ] && [ "$status" -ne 1 ]; then
    problem="check exited $status, expected 1"
  elif [ "$failed" != "$want" ]; then
    problem="failed [$failed], expected [${want:-nothing}]"
  fi
  # SIGKILL: a receiver may still be working off a backlog (receiver-slow's
  # batch of 100 takes 30 s), which a clean stop would wait for
  kill -9 "$recv" 2>/dev/null
  kill "$mock" 2>/dev/null
  wait "$recv" "$mock" 2>/dev/null
  if [ -z "$problem" ]; then
    echo "ok   receiver-$key: ${want:-passes every case}" >"$w/verdict"
  else
    { echo "FAIL receiver-$key: $problem"; sed 's/^/     /' "$w/tap"; } >"$w/verdict"
  fi
}

pass=0 fail=0
for ((i = 0; i < ${#order[@]}; i += 2)); do
  # (stderr: the shell's note when a receiver dies on purpose; verdicts go to files)
  run_one "${order[i]}" 2>/dev/null &
  a=$!
  b=""
  if [ $((i + 1)) -lt ${#order[@]} ]; then run_one "${order[i + 1]}" 2>/dev/null & b=$!; fi
  wait $a $b 2>/dev/null
  for key in "${order[i]}" ${b:+"${order[i + 1]}"}; do
    v="$work/${key/:/-}/verdict"
    if [ -s "$v" ] && head -n 1 "$v" | grep -q '^ok'; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
    if [ -s "$v" ]; then cat "$v"; else echo "FAIL receiver-$key: the run left no verdict"; fi
  done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -eq ${#order[@]} ]
