#!/usr/bin/env bash
# Pushes through the HRIS webhook, end to end from the client, against a real
# peoplesyncd this script starts on 127.0.0.1 (and stops on exit): the
# generator's org.json (the guide's format, tests/bench/generate_org) POSTed
# to a webhook pipeline by tests/bench/push/push_client.py.
#
#   tests/bench/push/push_bench.sh [--people N] [--pairs P] [--quick] [--p5c] [--p5c-people M]
#                                  [--timeout S] [--p5c-timeout S] [--seed S] [--out DIR] [--build-dir DIR]
#   (scripts/bench --push ... runs it)
#
# Each pair runs a yardstick and its measurement, the order swapped pair by
# pair (yardstick first in odd pairs) so a machine drifting favours neither;
# every timed step starts after a `sync`:
#   yardstick  python3 -c "import json; json.load(open(F))" of the same org.json
#              (the process's wall time)
#   P5b  the POST of N users (default 100,000) to a pipeline in test mode,
#        from its first byte until its 202 has arrived whole
#   P5   the same POST until the admin API lists its request as simulated
#        (the client polls the request, sleeping 10 ms between polls)
#   yardstick  sqlite3 NEW.db -cmd ".mode csv" ".import org.csv t" of the same
#              organisation as CSV
#   P5c  a POST of M users (default 1,000,000) to a live pipeline of a fresh
#        daemon with an empty directory, until its request is applied; and
#        the daemon's peak RSS (VmHWM after the run) over the body's bytes
# P5c runs when N is 1,000,000 or with --p5c; --quick is N = 2,000 and
# M = 20,000, P5c included. Checked, or the script fails: P5's 202 and run
# count N users and the run is simulated, P5c's run is applied, and both
# runs' changes are exactly the generator's expected ones (expected.json),
# P5c's directory holds M users. The table shows the median of the per-pair
# ratios and their range, the daemon's own time for the 202 (its log) and
# the run reports' stage seconds; build/bench/push.json has them.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
. "$root/tests/bench/bench_lib.sh"

people=100000 big=1000000 pairs=3 seed=42 out="" p5c="" timeout=600 big_timeout=1800
build_dir=${PEOPLESYNC_BUILD_DIR:-$root/build}
usage="usage: scripts/bench --push [--people N] [--pairs P] [--quick] [--p5c] [--p5c-people M] [--timeout S] [--p5c-timeout S] [--seed S] [--out DIR] [--build-dir DIR]"
while [ $# -gt 0 ]; do
  case "$1" in
    --people) people=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --quick) people=2000; big=20000; p5c=1; shift ;;
    --p5c) p5c=1; shift ;;
    --p5c-people) big=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --p5c-timeout) big_timeout=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
[ "$pairs" -ge 1 ] 2>/dev/null || { echo "--pairs must be 1 or more" >&2; exit 2; }
[ -n "$p5c" ] || { [ "$people" = 1000000 ] && p5c=1 || p5c=0; }
out=${out:-$root/build/bench}
bin=$build_dir/bin
command -v /usr/bin/time >/dev/null || { echo "push_bench: needs GNU time (apt-get install time)" >&2; exit 1; }
for program in peoplesync peoplesyncd generate_org; do
  [ -x "$bin/$program" ] || { echo "push_bench: $bin/$program is not built" >&2; exit 1; }
done
client=$root/tests/bench/push/push_client.py
# python3's own executable: a launcher in front of it (pyenv's shim takes
# 0.7 s) would be timed with the yardstick.
python=$(python3 -c 'import sys; print(sys.executable)')
admin_token=bench-admin-token-0123456789abcdef
# Set here, whatever the default: the 1,000,000-user body is larger than 64 MiB.
max_body_bytes=2147483648
mkdir -p "$out"

# The same generated organisations as scripts/bench's (and in the same place).
organisation() {  # organisation N: generates it unless there, prints its folder
  local data=$out/org-$1-$seed
  if [ ! -f "$data/churn/expected.json" ]; then
    echo "== generating $1 people (seed $seed) in $data" >&2
    "$bin/generate_org" --people "$1" --seed "$seed" --out "$data/base" >&2
    "$bin/generate_org" --people "$1" --seed "$seed" --churn 1 --out "$data/churn" >&2
  fi
  echo "$data/base"
}
small=$(organisation "$people")
json=$small/org.json
json_bytes=$(stat -c %s "$json")
if [ "$p5c" = 1 ]; then
  large=$(organisation "$big")
  big_json=$large/org.json big_csv=$large/org.csv
  big_json_bytes=$(stat -c %s "$big_json") big_csv_bytes=$(stat -c %s "$big_csv")
  [ "$big_json_bytes" -lt "$max_body_bytes" ] || { echo "push_bench: $big_json is larger than max_body_bytes" >&2; exit 1; }
fi

work=$out/push-work
rm -rf "$work"; mkdir -p "$work"

# start_daemon DIR: a peoplesyncd with one webhook pipeline, `push`, into an
# empty directory, serving on a free port; sets daemon, url, key and endpoint.
daemons=()
stop_daemons() { local pid; for pid in "${daemons[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_daemons EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start_daemon() {
  start_webhook_daemon "$1" push
  daemons+=("$daemon")
}
stop_daemon() {  # stop_daemon DIR: SIGTERM to $daemon, and a clean exit
  local i
  kill "$daemon"
  wait "$daemon" || { echo "peoplesyncd did not stop cleanly:" >&2; tail -n 20 "$1/daemon.log" >&2; exit 1; }
  for i in "${!daemons[@]}"; do [ "${daemons[$i]}" != "$daemon" ] || unset "daemons[$i]"; done
}

# measure NAME COMMAND...: the wall seconds of one process, started once the
# disk has written what the step before left dirty.
measure() {
  local name=$1; shift
  sync
  /usr/bin/time -f "%e" -o "$work/$name.time" "$@" > "$work/$name.out" 2> "$work/$name.err" || {
    echo "$name failed:" >&2; cat "$work/$name.err" >&2; exit 1; }
  tail -n 1 "$work/$name.time"
}
# push NAME FILE STATUS TIMEOUT: one timed push through the current daemon;
# the client's JSON (see push_client.py) in NAME.json.
push() {
  sync
  "$python" "$client" --endpoint "$endpoint" --key "$key" --admin-token "$admin_token" --pipeline push \
    --file "$2" --expect "$3" --timeout "$4" > "$work/$1.json" || {
      echo "$1 failed (the daemon's log: $dir/daemon.log)" >&2; exit 1; }
}
field() { tr -d ' \n' < "$1" | grep -o "\"$2\":[^,}]*" | head -n 1 | cut -d: -f2- | tr -d '"'; }
# check_push NAME STATUS USERS EXPECTED_JSON: the push was accepted with
# USERS users and its run ended STATUS with USERS users and exactly the
# expected changes.
check_push() {
  local name=$1 status=$2 users=$3 expected=$4 what want got
  while read -r what want; do
    got=$(field "$work/$name.json" "$what")
    [ "$got" = "$want" ] || { echo "$name: $what is $got, expected $want:" >&2; cat "$work/$name.json" >&2; exit 1; }
  done <<EOF_CHECKS
accepted_status validated
accepted_users $users
status $status
users $users
EOF_CHECKS
  check_changes "$work/$name.json" "$expected"
}
# daemon_ms NAME DIR: the daemon's own time for the push's 202, from its log.
daemon_ms() {
  grep "202 from .*request $(field "$work/$1.json" request_id))" "$2/daemon.log" | sed -n 's/.* \([0-9]*\) ms (pipeline.*/\1/p'
}
yardstick_c() { rm -f "$work/import.db"; measure import sqlite3 "$work/import.db" -cmd ".mode csv" ".import $big_csv t"; }
# lag NAME: how long after its run's finished_at the client saw the request finished.
lag() {
  awk -v a="$(field "$work/$1.json" finished_seconds)" -v b="$(field "$work/$1.json" run_finished_at_seconds)" \
    'BEGIN {print a - b}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {print a / b}'; }

declare -a y5 p5 p5b r5 r5b poll poll_c y5c p5c_s r5c rss r_rss d5 d5c
echo "== P5: $people users, $(awk -v b="$json_bytes" 'BEGIN {printf "%.1f MB", b/1e6}') of JSON, to a test-mode pipeline"
dir=$work/p5
start_daemon "$dir"
p5_dir=$dir p5_daemon=$daemon p5_endpoint=$endpoint p5_key=$key
for k in $(seq 1 "$pairs"); do
  echo "== pair $k of $pairs ($( [ $((k % 2)) = 1 ] && echo "yardstick first" || echo "peoplesync first" ))"
  dir=$p5_dir daemon=$p5_daemon endpoint=$p5_endpoint key=$p5_key
  [ $((k % 2)) = 0 ] || { t=$(measure json_load "$python" -c "import json; json.load(open('$json'))"); y5+=("$t"); }
  push "p5-$k" "$json" simulated "$timeout"
  [ $((k % 2)) = 1 ] || { t=$(measure json_load "$python" -c "import json; json.load(open('$json'))"); y5+=("$t"); }
  check_push "p5-$k" simulated "$people" "$small/expected.json"
  p5b+=("$(field "$work/p5-$k.json" accepted_seconds)") p5+=("$(field "$work/p5-$k.json" finished_seconds)")
  poll+=("$(lag "p5-$k")")
  d5+=("$(daemon_ms "p5-$k" "$dir")")
  r5b+=("$(ratio "${p5b[-1]}" "${y5[-1]}")") r5+=("$(ratio "${p5[-1]}" "${y5[-1]}")")
  echo "   json.load ${y5[-1]} s, P5b ${p5b[-1]} s (the daemon: ${d5[-1]} ms), P5 ${p5[-1]} s"

  if [ "$p5c" = 1 ]; then
    dir=$work/p5c-$k
    start_daemon "$dir"
    "$bin/peoplesync" --config "$dir/peoplesync.yaml" enable push >/dev/null
    [ $((k % 2)) = 0 ] || { t=$(yardstick_c); y5c+=("$t"); }
    push "p5c-$k" "$big_json" applied "$big_timeout"
    rss+=("$(awk '/^VmHWM:/ {print $2}' "/proc/$daemon/status")")
    stop_daemon "$dir"
    [ $((k % 2)) = 1 ] || { t=$(yardstick_c); y5c+=("$t"); }
    rm -f "$work/import.db"
    check_push "p5c-$k" applied "$big" "$large/expected.json"
    users=$(sqlite3 "$dir/directory.db" "SELECT count(*) FROM users")
    [ "$users" = "$big" ] || { echo "p5c-$k: the directory holds $users users, not $big" >&2; exit 1; }
    p5c_s+=("$(field "$work/p5c-$k.json" finished_seconds)") poll_c+=("$(lag "p5c-$k")")
    d5c+=("$(daemon_ms "p5c-$k" "$dir")")
    r5c+=("$(ratio "${p5c_s[-1]}" "${y5c[-1]}")")
    r_rss+=("$(awk -v m="${rss[-1]}" -v b="$big_json_bytes" 'BEGIN {print m * 1024 / b}')")
    echo "   .import ${y5c[-1]} s, P5c ${p5c_s[-1]} s (the 202 after $(field "$work/p5c-$k.json" accepted_seconds) s;" \
         "the daemon: ${d5c[-1]} ms), peak RSS $((${rss[-1]} / 1024)) MB"
    rm -rf "$dir"
  fi
done
dir=$p5_dir daemon=$p5_daemon
stop_daemon "$dir"

# Where the time goes: the daemon's time for the 202 and the run reports'
# stage seconds, the median over the pairs, as "202 run read validate diff apply store"
# (run: from the run's started_at to its finished_at).
stages() {
  local stage values k
  values=()
  for k in $(seq 1 "$pairs"); do values+=("$(daemon_ms_of "$1" "$k")"); done
  printf '%s ' "$(median "${values[@]}")"
  values=()
  for k in $(seq 1 "$pairs"); do values+=("$(field "$work/$1-$k.json" run_seconds)"); done
  printf '%s ' "$(median "${values[@]}")"
  for stage in read validate diff apply store; do
    values=()
    for k in $(seq 1 "$pairs"); do
      values+=("$(tr -d ' \n' < "$work/$1-$k.json" | grep -o '"seconds":{[^}]*}' | grep -o "\"$stage\":[0-9.e-]*" |
                  cut -d: -f2)")
    done
    printf '%s ' "$(median "${values[@]:-0}")"
  done
}
daemon_ms_of() { if [ "$1" = p5 ]; then echo "${d5[$(($2 - 1))]}"; else echo "${d5c[$(($2 - 1))]}"; fi; }
lowest() { printf '%s\n' "$@" | sort -g | head -n 1; }
highest() { printf '%s\n' "$@" | sort -g | tail -n 1; }
summary() { if [ $# = 0 ]; then echo "0 0 0"; else echo "$(median "$@") $(lowest "$@") $(highest "$@")"; fi; }
awk -v python="$python -c \"import json; json.load(open(F))\"" -v n="$people" -v bytes="$json_bytes" -v pairs="$pairs" -v cores="$(nproc)" \
    -v mem="$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)" \
    -v y5="$(median "${y5[@]}")" -v p5="$(median "${p5[@]}")" -v p5b="$(median "${p5b[@]}")" \
    -v r5="$(summary "${r5[@]}")" -v r5b="$(summary "${r5b[@]}")" -v poll="$(summary "${poll[@]}")" -v poll_c="$(summary "${poll_c[@]}")" \
    -v s5="$(stages p5)" -v with_c="$p5c" -v big="$big" -v big_bytes="${big_json_bytes:-0}" \
    -v csv_bytes="${big_csv_bytes:-0}" -v y5c="$( [ "$p5c" = 1 ] && median "${y5c[@]}" || echo 0)" \
    -v p5c="$( [ "$p5c" = 1 ] && median "${p5c_s[@]}" || echo 0)" \
    -v rss="$( [ "$p5c" = 1 ] && median "${rss[@]}" || echo 0)" \
    -v r5c="$(summary "${r5c[@]}")" -v rrss="$(summary "${r_rss[@]}")" \
    -v s5c="$( [ "$p5c" = 1 ] && stages p5c || echo "0 0 0 0 0 0 0")" \
    -v json="$out/push.json" 'BEGIN {
  split(r5, a5, " "); split(r5b, a5b, " "); split(poll, apoll, " "); split(r5c, a5c, " "); split(rrss, arss, " "); split(poll_c, apollc, " ")
  printf "\npeoplesync push benchmark: %d core(s), %d GiB, %d pair(s), order alternated\n", cores, mem, pairs
  printf "yardstick: %s\n", python
  printf "P5: %d users, %.1f MB of JSON, to a test-mode webhook pipeline\n", n, bytes/1e6
  if (with_c) printf "P5c: %d users, %.1f MB of JSON (%.1f MB as CSV), to a live one into an empty directory\n", big, big_bytes/1e6, csv_bytes/1e6
  printf "\n%-48s %9s %9s %13s %8s\n", "measurement", "seconds", "x yard.", "range", "target"
  printf "%-48s %9.2f %9.2f %13s %8s\n", "yardstick: python3 json.load of the JSON", y5, 1, "", ""
  row("P5b the 202 for the POST", p5b, a5b, 0.25)
  row("P5 the POST until its run is simulated", p5, a5, 0.5)
  if (with_c) {
    printf "%-48s %9.2f %9.2f %13s %8s\n", "yardstick: sqlite3 .import of the CSV", y5c, 1, "", ""
    row("P5c the POST until its run is applied", p5c, a5c, 2)
    printf "%-48s %9s %9.2f %13s %8s %s\n", "P5c peak RSS of the daemon / body (" sprintf("%.0f MB", rss/1024) ")", "", arss[1], \
      sprintf("%.2f - %.2f", arss[2], arss[3]), "<= 1.5", (arss[1] <= 1.5 ? "met" : "MISSED")
  }
  printf "\nthe client polls its request every 10 ms and saw it finished %.3f s (%.3f - %.3f) after the run'\''s finished_at in P5", apoll[1], apoll[2], apoll[3]
  if (with_c) printf ", %.3f s (%.3f - %.3f) in P5c", apollc[1], apollc[2], apollc[3]
  printf "\n"
  printf "\nwhere the time goes, medians: the daemon'\''s own time for the 202 (its log), the run'\''s (its started_at to finished_at) and its stages'\'' seconds\n\n"
  printf "%-10s %9s %9s %9s %9s %9s %9s %9s\n", "step", "202", "run", "read", "validate", "diff", "apply", "store"
  stage_row("P5", s5); if (with_c) stage_row("P5c", s5c)
  printf "{\"people\": %d, \"json_bytes\": %d, \"cores\": %d, \"pairs\": %d, \"json_load_seconds\": %.3f, \"p5b_seconds\": %.3f, \"p5_seconds\": %.3f, \"p5b_ratio\": %.4f, \"p5b_ratio_min\": %.4f, \"p5b_ratio_max\": %.4f, \"p5_ratio\": %.4f, \"p5_ratio_min\": %.4f, \"p5_ratio_max\": %.4f, \"p5_poll_lag_seconds\": %.4f, \"p5_stage_seconds\": %s", n, bytes, cores, pairs, y5, p5b, p5, a5b[1], a5b[2], a5b[3], a5[1], a5[2], a5[3], apoll[1], stage_json(s5) > json
  if (with_c) printf ", \"p5c_people\": %d, \"p5c_json_bytes\": %d, \"p5c_csv_bytes\": %d, \"import_seconds\": %.3f, \"p5c_seconds\": %.3f, \"p5c_ratio\": %.4f, \"p5c_ratio_min\": %.4f, \"p5c_ratio_max\": %.4f, \"p5c_peak_rss_bytes\": %.0f, \"p5c_rss_over_body\": %.4f, \"p5c_rss_over_body_min\": %.4f, \"p5c_rss_over_body_max\": %.4f, \"p5c_poll_lag_seconds\": %.4f, \"p5c_stage_seconds\": %s", big, big_bytes, csv_bytes, y5c, p5c, a5c[1], a5c[2], a5c[3], rss*1024, arss[1], arss[2], arss[3], apollc[1], stage_json(s5c) > json
  printf "}\n" > json
}
function stage_json(stages,   s) {
  split(stages, s, " ")
  return sprintf("{\"202_daemon\": %.3f, \"run\": %.3f, \"read\": %.3f, \"validate\": %.3f, \"diff\": %.3f, \"apply\": %.3f, \"store\": %.3f}", s[1] / 1000, s[2], s[3], s[4], s[5], s[6], s[7])
}
function stage_row(name, stages,   s) {
  split(stages, s, " ")
  printf "%-10s %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f\n", name, s[1] / 1000, s[2], s[3], s[4], s[5], s[6], s[7]
}
function row(name, seconds, ratio, target) {
  printf "%-48s %9.2f %9.2f %13s %8s %s\n", name, seconds, ratio[1], sprintf("%.2f - %.2f", ratio[2], ratio[3]), \
    "<= " target, (ratio[1] <= target ? "met" : "MISSED")
}'
echo; echo "written: $out/push.json; each push's client report: $work/p5-PAIR.json$( [ "$p5c" = 1 ] && echo ", $work/p5c-PAIR.json")"
