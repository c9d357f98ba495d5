#!/usr/bin/env bash
# P8: the webhook sink end to end, both sides on this machine. A SENDER, the
# CLI's `peoplesync run` of the generator's org.csv (scripts/bench's pipeline)
# into a `webhook` sink (format hris), POSTs to a RECEIVING peoplesyncd this
# script starts on 127.0.0.1 (and stops on exit), whose webhook pipeline is
# live into a directory (both with scripts/bench's deletion guard, off: the
# churn unsyncs 0.1% of the people).
#
#   tests/bench/webhook_sink/webhook_sink_bench.sh [--people N] [--pairs P] [--quick]
#                                  [--timeout S] [--seed S] [--out DIR] [--build-dir DIR]
#   (scripts/bench --webhook-sink ... runs it)
#
# Without a peoplesyncd of its own the sender's `run` delivers its outbox
# itself, once, before it exits: the CLI's time includes the POST and the
# receiver's 202. Each pair starts a fresh receiver and a fresh sender state,
# then, each timed step after a `sync`:
#   initial  the first run (all N users created), until the receiver's request
#            is applied (reported, no target)
#   P8a      a no-op run of the same CSV: the sender's process, and checked that
#            its run is a noop and nothing was delivered
#   P8b      a run of the 1% churn CSV, until the receiver lists the delivered
#            snapshot's request as applied (polled with curl every 10 ms)
#   yardstick  sqlite3 NEW.db -cmd ".mode csv" ".import org.csv t", first in odd
#              pairs, last in even ones
# Checked, or the script fails: the sender's runs make exactly the generator's
# expected changes (expected.json) and deliver one message each (none for
# P8a); the receiver's runs are applied with N users and the same changes, and
# its directory holds as many users as the sender's snapshot. The table shows
# the median of the per-pair ratios and their range, and where the time goes;
# build/bench/webhook-sink.json has them.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
. "$root/tests/bench/bench_lib.sh"

people=1000000 pairs=3 seed=42 out="" timeout=600
build_dir=${PEOPLESYNC_BUILD_DIR:-$root/build}
usage="usage: scripts/bench --webhook-sink [--people N] [--pairs P] [--quick] [--timeout S] [--seed S] [--out DIR] [--build-dir DIR]"
while [ $# -gt 0 ]; do
  case "$1" in
    --people) people=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --quick) people=20000; pairs=1; shift ;;
    --timeout) timeout=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
[ "$pairs" -ge 1 ] 2>/dev/null || { echo "--pairs must be 1 or more" >&2; exit 2; }
out=${out:-$root/build/bench}
bin=$build_dir/bin
command -v /usr/bin/time >/dev/null || { echo "webhook_sink_bench: needs GNU time (apt-get install time)" >&2; exit 1; }
for program in peoplesync peoplesyncd generate_org; do
  [ -x "$bin/$program" ] || { echo "webhook_sink_bench: $bin/$program is not built" >&2; exit 1; }
done
admin_token=bench-admin-token-0123456789abcdef
# The 1,000,000 users' snapshot is about 350 MB of JSON, over the 64 MiB default.
max_body_bytes=2147483648
mkdir -p "$out"

# The same generated organisation as scripts/bench's (and in the same place).
data=$out/org-$people-$seed
if [ ! -f "$data/churn/expected.json" ]; then
  echo "== generating $people people (seed $seed) in $data"
  "$bin/generate_org" --people "$people" --seed "$seed" --out "$data/base"
  "$bin/generate_org" --people "$people" --seed "$seed" --churn 1 --out "$data/churn"
fi
csv=$data/base/org.csv churn_csv=$data/churn/org.csv
csv_bytes=$(stat -c %s "$csv")

work=$out/webhook-sink-work
rm -rf "$work"; mkdir -p "$work"

daemon=""
stop_receiver() { [ -z "$daemon" ] || kill "$daemon" 2>/dev/null || true; }
trap stop_receiver EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# start_receiver DIR: a peoplesyncd with one live webhook pipeline, `hris`,
# into an empty directory, on a free port; sets daemon, url, key and endpoint.
start_receiver() {
  start_webhook_daemon "$1" hris "    sync:
      guard: {max_removals: 1000000000, max_removal_percent: 100}
"
  "$bin/peoplesync" --config "$1/peoplesync.yaml" enable hris >/dev/null
}
stop_receiver_cleanly() {  # SIGTERM to $daemon, and a clean exit
  kill "$daemon"
  wait "$daemon" || { echo "peoplesyncd did not stop cleanly:" >&2; tail -n 20 "$receiver/daemon.log" >&2; exit 1; }
  daemon=""
}

# start_sender DIR: the CLI's configuration, scripts/bench's pipeline into a
# webhook sink to $endpoint, live.
start_sender() {
  mkdir -p "$1"
  export PEOPLESYNC_BENCH_WEBHOOK_KEY=$key
  bench_pipeline "{name: receiver, type: webhook, url: \"$endpoint\", api_key_env: PEOPLESYNC_BENCH_WEBHOOK_KEY, format: hris, timeout_secs: $timeout}" \
    > "$1/peoplesync.yaml"
  (cd "$1" && BENCH_CSV=$csv "$bin/peoplesync" --config "$1/peoplesync.yaml" enable bench >/dev/null)
}

# receiver_get PATH: an admin API answer of the receiver, on stdout.
receiver_get() { curl -sf -H "Authorization: Bearer $admin_token" "$url$1"; }
field() { tr -d ' \n' < "$1" | grep -o "\"$2\":[^,}]*" | head -n 1 | cut -d: -f2- | tr -d '"'; }
# newest_request: "ID STATUS RUN" of the receiver's newest request, or "0 none 0".
newest_request() {
  receiver_get "/admin/v1/requests?pipeline=hris&limit=1" > "$work/newest.json"
  if grep -q '"id"' "$work/newest.json"; then
    echo "$(field "$work/newest.json" id) $(field "$work/newest.json" status) $(field "$work/newest.json" run)"
  else
    echo "0 none 0"
  fi
}

# step NAME CSV REQUEST: one timed run of the sender, with the CSV; with
# REQUEST (the receiver's request id it should make), until the receiver lists
# that request as applied. Prints the seconds: all of it, and the sender's
# process alone. The sender's JSON report in NAME.out, its delivery lines in
# NAME.err, the receiver's run in NAME.run.json.
step() {
  local name=$1 file=$2 request=${3:-} start sent done_at id status run until got
  sync
  start=$(date +%s.%N)
  (cd "$sender" && BENCH_CSV=$file timeout "$timeout" "$bin/peoplesync" --config "$sender/peoplesync.yaml" run bench --json > "$work/$name.out" 2> "$work/$name.err") || {
    echo "$name: the sender's run failed:" >&2; cat "$work/$name.err" >&2; exit 1; }
  sent=$(date +%s.%N)
  if [ -n "$request" ]; then
    until=$(awk -v s="$start" -v t="$timeout" 'BEGIN {printf "%d", s + t}')
    while :; do
      got=$(newest_request); read -r id status run <<< "$got"
      [ "$id" = "$request" ] && [ "$status" = applied ] && break
      if [ "$id" = "$request" ] && [ "$status" != received ] && [ "$status" != validated ]; then
        echo "$name: the receiver's request $id ended $status, not applied:" >&2; cat "$work/newest.json" >&2; exit 1
      fi
      [ "$(date +%s)" -lt "$until" ] || { echo "$name: no applied request $request at the receiver within $timeout s" >&2; exit 1; }
      sleep 0.01
    done
    done_at=$(date +%s.%N)
    receiver_get "/admin/v1/runs/$run" > "$work/$name.run.json"
  else
    done_at=$sent
  fi
  echo "$start" > "$work/$name.start"; echo "$done_at" > "$work/$name.end"
  awk -v a="$start" -v b="$sent" -v c="$done_at" 'BEGIN {printf "%.3f %.3f\n", c - a, b - a}'
}
# delivered NAME COUNT: the sender's run delivered COUNT messages, each with a 202.
delivered() {
  local got
  got=$(grep -c ': delivered (HTTP 202' "$work/$1.err" || true)
  [ "$got" = "$2" ] || { echo "$1: $got message(s) delivered, expected $2:" >&2; cat "$work/$1.err" >&2; exit 1; }
  if grep -q 'not delivered\|STOPPED\|wait in the outbox' "$work/$1.err"; then
    echo "$1: the delivery did not finish:" >&2; cat "$work/$1.err" >&2; exit 1
  fi
}
# received NAME EXPECTED_JSON: the receiver's run was applied with as many
# users as the sender's snapshot and exactly the expected changes.
received() {
  local users
  [ "$(field "$work/$1.run.json" status)" = applied ] || { echo "$1: the receiver's run is not applied:" >&2; head -c 2000 "$work/$1.run.json" >&2; exit 1; }
  users=$(field "$work/$1.out" users)
  [ "$(field "$work/$1.run.json" users)" = "$users" ] || {
    echo "$1: the receiver's run has $(field "$work/$1.run.json" users) users, the sender's $users" >&2; exit 1; }
  check_changes "$work/$1.run.json" "$2"
}
stage() {  # stage FILE NAME: one stage's seconds of a run report
  tr -d ' \n' < "$1" | grep -o '"seconds":{[^}]*}' | head -n 1 | grep -o "\"$2\":[0-9.e-]*" | cut -d: -f2 || echo 0
}
epoch() { date -d "$1" +%s.%N; }  # an ISO or log timestamp (this machine's clock and zone), in seconds
# timeline NAME REQUEST: where a delivering step's seconds went, from the
# timestamps of both sides: "startup run delivery receiver rest" (the
# sender's process until its run started, its run, until the receiver's log
# has the request's 202, the receiver's run after it, the rest: the sender
# recording the receiver's acknowledgement and exiting, and the polling; the
# step ends when both the sender has exited and the receiver has applied).
timeline() {
  local name=$1 request=$2 runs started finished accepted applied
  runs=$(cd "$sender" && BENCH_CSV=$csv "$bin/peoplesync" --config "$sender/peoplesync.yaml" runs bench --limit 1 --json)
  started=$(epoch "$(echo "$runs" | grep -o '"started_at": "[^"]*"' | cut -d'"' -f4)")
  finished=$(epoch "$(echo "$runs" | grep -o '"finished_at": "[^"]*"' | cut -d'"' -f4)")
  accepted=$(epoch "$(grep " 202 from .*(pipeline hris, request $request)" "$receiver/daemon.log" | cut -c1-23)")
  applied=$(epoch "$(field "$work/$name.run.json" finished_at)")
  awk -v t0="$(cat "$work/$name.start")" -v t5="$(cat "$work/$name.end")" -v t1="$started" -v t2="$finished" \
      -v t3="$accepted" -v t4="$applied" 'BEGIN {printf "%.3f %.3f %.3f %.3f %.3f\n", t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4}'
}
yardstick() {
  local t
  rm -f "$work/import.db"; sync
  /usr/bin/time -f "%e" -o "$work/import.time" sqlite3 "$work/import.db" -cmd ".mode csv" ".import $csv t" ||
    { echo "the yardstick failed" >&2; exit 1; }
  t=$(tail -n 1 "$work/import.time"); rm -f "$work/import.db"
  y+=("$t")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {print a / b}'; }

declare -a y p0 p0s p8a p8b p8bs r8a r8b
declare -a t_start t_run t_deliver t_receiver t_rest s_read s_diff s_apply s_store d_202 r_diff r_apply r_store
echo "== P8: $people people, CSV $(awk -v b="$csv_bytes" 'BEGIN {printf "%.1f MB", b/1e6}'), sender \`peoplesync run\` -> webhook sink -> receiving peoplesyncd"
for k in $(seq 1 "$pairs"); do
  echo "== pair $k of $pairs ($( [ $((k % 2)) = 1 ] && echo "yardstick first" || echo "peoplesync first" ))"
  receiver=$work/receiver-$k sender=$work/sender-$k
  start_receiver "$receiver"
  start_sender "$sender"
  [ $((k % 2)) = 0 ] || yardstick

  got=$(step "initial-$k" "$csv" 1); read -r t ts <<< "$got"; p0+=("$t") p0s+=("$ts")
  check_changes "$work/initial-$k.out" "$data/base/expected.json"
  delivered "initial-$k" 1
  received "initial-$k" "$data/base/expected.json"

  got=$(step "p8a-$k" "$csv"); read -r t _ <<< "$got"; p8a+=("$t")
  is_noop "$work/p8a-$k.out" || { echo "P8a: the sender's run was not a noop" >&2; cat "$work/p8a-$k.out" >&2; exit 1; }
  delivered "p8a-$k" 0
  got=$(newest_request); read -r id _ _ <<< "$got"
  [ "$id" = 1 ] || { echo "P8a: the receiver got a request (its newest is $id)" >&2; exit 1; }

  got=$(step "p8b-$k" "$churn_csv" 2); read -r t ts <<< "$got"; p8b+=("$t") p8bs+=("$ts")
  check_changes "$work/p8b-$k.out" "$data/churn/expected.json"
  delivered "p8b-$k" 1
  received "p8b-$k" "$data/churn/expected.json"
  users=$(sqlite3 "$receiver/directory.db" "SELECT count(*) FROM users WHERE synced = 1")
  [ "$users" = "$(field "$work/p8b-$k.out" users)" ] || {
    echo "P8b: the receiver's directory holds $users synced users, the sender's snapshot $(field "$work/p8b-$k.out" users)" >&2; exit 1; }

  [ $((k % 2)) = 1 ] || yardstick
  r8a+=("$(ratio "${p8a[-1]}" "${y[-1]}")") r8b+=("$(ratio "${p8b[-1]}" "${y[-1]}")")
  # Where P8b's time goes: the timeline, the sender's stages, the receiver's.
  read -r a b c d e <<< "$(timeline "p8b-$k" 2)"
  t_start+=("$a") t_run+=("$b") t_deliver+=("$c") t_receiver+=("$d") t_rest+=("$e")
  s_read+=("$(stage "$work/p8b-$k.out" read)") s_diff+=("$(stage "$work/p8b-$k.out" diff)")
  s_apply+=("$(stage "$work/p8b-$k.out" apply)") s_store+=("$(stage "$work/p8b-$k.out" store)")
  d_202+=("$(grep " 202 from .*(pipeline hris, request 2)" "$receiver/daemon.log" |
             sed -n 's/.* \([0-9]*\) ms (pipeline.*/\1/p' | awk '{printf "%.3f", $1 / 1000}')")
  r_diff+=("$(stage "$work/p8b-$k.run.json" diff)") r_apply+=("$(stage "$work/p8b-$k.run.json" apply)")
  r_store+=("$(stage "$work/p8b-$k.run.json" store)")
  echo "   .import ${y[-1]} s, initial ${p0[-1]} s (sender ${p0s[-1]} s), P8a ${p8a[-1]} s, P8b ${p8b[-1]} s (sender ${p8bs[-1]} s)"
  stop_receiver_cleanly
  [ -n "${PEOPLESYNC_BENCH_KEEP:-}" ] || rm -rf "$receiver" "$sender"
done

lowest() { printf '%s\n' "$@" | sort -g | head -n 1; }
highest() { printf '%s\n' "$@" | sort -g | tail -n 1; }
summary() { echo "$(median "$@") $(lowest "$@") $(highest "$@")"; }
awk -v n="$people" -v bytes="$csv_bytes" -v pairs="$pairs" -v cores="$(nproc)" \
    -v mem="$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)" \
    -v y="$(median "${y[@]}")" -v p0="$(median "${p0[@]}")" -v p0s="$(median "${p0s[@]}")" \
    -v p8a="$(median "${p8a[@]}")" -v p8b="$(median "${p8b[@]}")" -v p8bs="$(median "${p8bs[@]}")" \
    -v r8a="$(summary "${r8a[@]}")" -v r8b="$(summary "${r8b[@]}")" \
    -v stages="$(for v in t_start t_run t_deliver t_receiver t_rest s_read s_diff s_apply s_store d_202 r_diff r_apply r_store; do
                  declare -n values=$v; printf '%s ' "$(median "${values[@]}")"; done)" \
    -v json="$out/webhook-sink.json" 'BEGIN {
  split(r8a, a, " "); split(r8b, b, " "); split(stages, s, " ")
  printf "\npeoplesync webhook sink benchmark (P8): %d people, CSV %.1f MB, %d core(s), %d GiB, %d pair(s), order alternated\n", n, bytes/1e6, cores, mem, pairs
  printf "\n%-52s %9s %9s %13s %8s\n", "measurement", "seconds", "x import", "range", "target"
  printf "%-52s %9.2f %9.2f %13s %8s\n", "yardstick: sqlite3 .import of the CSV", y, 1, "", ""
  printf "%-52s %9.2f %9.2f %13s %8s\n", "initial sync, until the receiver applied it", p0, p0 / y, "", ""
  row("P8a no-op run of the sender", p8a, a, 0.1)
  row("P8b 1% churn, until the receiver applied it", p8b, b, 0.5)
  printf "\nwhere P8b'\''s %.2f s go, medians (seconds), by the timestamps of both sides:\n", p8b
  printf "  %-64s %6.2f\n", "the sender starts (configuration, plugins) until its run starts", s[1]
  printf "  %-64s %6.2f\n", sprintf("its run (read %.2f, diff %.2f, apply %.2f, store %.2f)", s[6], s[7], s[8], s[9]), s[2]
  printf "  %-64s %6.2f\n", sprintf("the delivery, until the receiver logs its 202 (its own %.2f)", s[10]), s[3]
  printf "  %-64s %6.2f\n", sprintf("the receiver'\''s run (diff %.2f, apply %.2f, store %.2f)", s[11], s[12], s[13]), s[4]
  printf "  %-64s %6.2f\n", "then: the sender records the acknowledgement and exits; polling", s[5]
  printf "{\"people\": %d, \"csv_bytes\": %d, \"cores\": %d, \"pairs\": %d, \"import_seconds\": %.3f, \"initial_seconds\": %.3f, \"initial_sender_seconds\": %.3f, \"p8a_seconds\": %.3f, \"p8b_seconds\": %.3f, \"p8b_sender_seconds\": %.3f, \"p8a_ratio\": %.4f, \"p8a_ratio_min\": %.4f, \"p8a_ratio_max\": %.4f, \"p8b_ratio\": %.4f, \"p8b_ratio_min\": %.4f, \"p8b_ratio_max\": %.4f, \"p8b_timeline_seconds\": {\"sender_start\": %.3f, \"sender_run\": %.3f, \"delivery\": %.3f, \"receiver_run\": %.3f, \"rest\": %.3f}, \"p8b_sender_stage_seconds\": {\"read\": %.3f, \"diff\": %.3f, \"apply\": %.3f, \"store\": %.3f}, \"p8b_receiver_202_seconds\": %.3f, \"p8b_receiver_stage_seconds\": {\"diff\": %.3f, \"apply\": %.3f, \"store\": %.3f}}\n", n, bytes, cores, pairs, y, p0, p0s, p8a, p8b, p8bs, a[1], a[2], a[3], b[1], b[2], b[3], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13] > json
}
function row(name, seconds, ratio, target) {
  printf "%-52s %9.2f %9.2f %13s %8s %s\n", name, seconds, ratio[1], sprintf("%.2f - %.2f", ratio[2], ratio[3]), \
    "<= " target, (ratio[1] <= target ? "met" : "MISSED")
}'
echo; echo "written: $out/webhook-sink.json"
