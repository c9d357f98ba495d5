#!/usr/bin/env bash
# The postgres sink against psql's \copy, in one invocation: a synthetic
# organisation of N people (tests/bench/generate_org, the same files as
# scripts/bench) synced into a PostgreSQL 15 this script starts in a
# temporary folder and stops on exit.
#
#   tests/bench/postgres/postgres_bench.sh [--people N] [--pairs P] [--quick] [--seed S] [--out DIR] [--build-dir DIR]
#   (scripts/bench --postgres ... runs it)
#
# Each pair runs the yardstick and the measured runs, the order swapped pair
# by pair (as scripts/bench-compare does) so a machine drifting favours
# neither:
#   yardstick  psql -c "\copy t FROM 'org.csv' CSV HEADER" into an empty,
#              unindexed table of the CSV's columns, all text
#   P1  initial sync into an empty schema (DROP SCHEMA CASCADE and a fresh
#       state database first, not timed)
#   P2  a no-op resync of the same CSV (checked: status noop)
#   P3  a resync of the 1% churn variant (checked: exactly the generator's
#       expected changes)
#   P4  peak resident memory of P1's peoplesync process / the CSV's bytes
# Each figure is divided by its pair's yardstick; the table shows the median
# of those per-pair ratios and their range, and build/bench/postgres.json
# has them. After the first pair's P1 the schema's users, departments,
# memberships and audit rows are counted and must equal a run of the same
# pipeline into the SQLite `directory` sink (and the generator's counts).
#
# The server is tuned as a production one would be for a bulk load, nothing
# exotic, and keeps its durability: fsync, synchronous_commit and
# full_page_writes stay on, for the yardstick as for peoplesync. Both connect
# through the server's Unix socket as the same role. Each timed step starts
# after a CHECKPOINT and a `sync`, so the step before's writes land in
# neither's time.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
. "$root/tests/bench/bench_lib.sh"

people=1000000 pairs=3 seed=42 out="" build_dir=${PEOPLESYNC_BUILD_DIR:-$root/build}
usage="usage: scripts/bench --postgres [--people N] [--pairs P] [--quick] [--seed S] [--out DIR] [--build-dir DIR]"
while [ $# -gt 0 ]; do
  case "$1" in
    --people) people=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --quick) people=20000; shift ;;
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
pgbin=/usr/lib/postgresql/15/bin
[ -x "$pgbin/postgres" ] || { echo "postgres_bench: PostgreSQL 15 is not installed ($pgbin/postgres); run scripts/setup" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "postgres_bench: needs GNU time (apt-get install time)" >&2; exit 1; }
for program in peoplesync generate_org; do
  [ -x "$bin/$program" ] || { echo "postgres_bench: $bin/$program is not built" >&2; exit 1; }
done
mkdir -p "$out"

# The same generated organisation as scripts/bench's (and in the same place).
data=$out/org-$people-$seed
if [ ! -f "$data/churn/expected.json" ]; then
  echo "== generating $people people (seed $seed) in $data"
  "$bin/generate_org" --people "$people" --seed "$seed" --out "$data/base"
  "$bin/generate_org" --people "$people" --seed "$seed" --churn 1 --out "$data/churn"
fi
csv=$data/base/org.csv
csv_bytes=$(stat -c %s "$csv")

# The server: a temporary cluster, owned by the postgres user when this runs
# as root (PostgreSQL refuses to run as root).
pg=$(mktemp -d "${TMPDIR:-/tmp}/peoplesync-pg-bench.XXXXXX")
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" != 0 ] || chown postgres: "$pg"
stop_server() {
  if [ -f "$pg/data/postmaster.pid" ]; then
    as_postgres "$pgbin/pg_ctl" -D "$pg/data" -w -t 60 stop -m fast >/dev/null 2>&1 ||
      as_postgres "$pgbin/pg_ctl" -D "$pg/data" -w stop -m immediate >/dev/null 2>&1 || true
  fi
}
trap 'stop_server; rm -rf "$pg"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# A watchdog stops the server if this script is killed outright (no trap runs
# then), e.g. by ctest's timeout.
runuser=""; [ "$(id -u)" != 0 ] || runuser="runuser -u postgres --"
setsid nohup sh -c "while kill -0 $$ 2>/dev/null; do sleep 1; done
  [ -f '$pg/data/postmaster.pid' ] && $runuser $pgbin/pg_ctl -D '$pg/data' stop -m immediate; rm -rf '$pg'" \
  >/dev/null 2>&1 &

role=peoplesync database=bench
as_postgres "$pgbin/initdb" -D "$pg/data" -U "$role" --auth-local=trust --auth-host=reject --no-sync -E UTF8 \
  --locale=C >"$pg/initdb.log" 2>&1 || { cat "$pg/initdb.log" >&2; exit 1; }
settings="shared_buffers=1GB maintenance_work_mem=512MB work_mem=64MB max_wal_size=4GB effective_cache_size=8GB"
port=""
for _ in $(seq 10); do
  candidate=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
  if as_postgres "$pgbin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -t 60 \
       -o "-p $candidate -k $pg -c listen_addresses=127.0.0.1 -c ${settings// / -c }" start >/dev/null 2>&1; then
    port=$candidate; break
  fi
done
[ -n "$port" ] || { echo "postgres_bench: cannot start PostgreSQL:" >&2; cat "$pg/server.log" >&2; exit 1; }
psql() { PGOPTIONS="-c client_min_messages=warning" "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg" -p "$port" -U "$role" "$@"; }
psql -d postgres -c "CREATE DATABASE $database"
sql() { psql -d "$database" -At -c "$1"; }
echo "== PostgreSQL 15 in $pg, port $port: $settings"

work=$out/postgres-work
rm -rf "$work"; mkdir -p "$work"
bench_pipeline "{type: postgres, dsn: \"host=$pg port=$port user=$role dbname=$database\"}" > "$work/peoplesync.yaml"

# measure NAME COMMAND...: wall seconds and peak RSS (KB) of one process,
# started once the server has checkpointed and the disk has written what the
# step before left.
measure() {
  local name=$1; shift
  sql CHECKPOINT >/dev/null
  sync
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" > "$work/$name.out" 2> "$work/$name.err" || {
    echo "$name failed:" >&2; cat "$work/$name.err" >&2; exit 1; }
  tail -n 1 "$work/$name.time"
}
sync_run() {  # sync_run NAME CSV: one run of the pipeline, its JSON report in NAME.out
  local name=$1 file=$2
  (cd "$work" && BENCH_CSV=$file measure "$name" "$bin/peoplesync" --config "$work/peoplesync.yaml" run bench --json)
}

columns=$(head -n 1 "$csv" | awk -F, '{for (i = 1; i <= NF; i++) printf "%s\"%s\" text", (i > 1 ? ", " : ""), $i}')
yardstick() {
  sql "DROP TABLE IF EXISTS t; CREATE TABLE t ($columns)"
  measure yardstick "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg" -p "$port" -U "$role" -d "$database" \
    -c "\\copy t FROM '$csv' CSV HEADER"
}

counts() {  # counts: users, departments, memberships and audit rows in the schema
  sql "SELECT (SELECT count(*) FROM peoplesync.users) || ' ' || (SELECT count(*) FROM peoplesync.departments) || ' ' ||
              (SELECT count(*) FROM peoplesync.memberships) || ' ' || (SELECT count(*) FROM peoplesync.audit_log)"
}

# What the same pipeline gives in the SQLite directory, once, to compare the
# schema with after the first P1.
echo "== the same CSV into the SQLite directory sink (for the counts)"
mkdir -p "$work/sqlite"
bench_pipeline "{type: directory, database: directory.db}" > "$work/sqlite/peoplesync.yaml"
(cd "$work/sqlite" && BENCH_CSV=$csv "$bin/peoplesync" --config peoplesync.yaml enable bench >/dev/null &&
  BENCH_CSV=$csv "$bin/peoplesync" --config peoplesync.yaml run bench --json > run.json)
check_changes "$work/sqlite/run.json" "$data/base/expected.json"
sqlite_counts=$(sqlite3 "$work/sqlite/directory.db" "SELECT (SELECT count(*) FROM users) || ' ' ||
  (SELECT count(*) FROM departments) || ' ' || (SELECT count(*) FROM memberships) || ' ' || (SELECT count(*) FROM audit_log)")
rm -rf "$work/sqlite"

declare -a y p1 p2 p3 rss r1 r2 r3 r4
for k in $(seq 1 "$pairs"); do
  echo "== pair $k of $pairs ($( [ $((k % 2)) = 1 ] && echo "yardstick first" || echo "peoplesync first" ))"
  [ $((k % 2)) = 0 ] || { read -r t _ < <(yardstick); y+=("$t"); }

  sql "DROP SCHEMA IF EXISTS peoplesync CASCADE"
  rm -f "$work"/state.db*
  (cd "$work" && BENCH_CSV=$csv "$bin/peoplesync" --config peoplesync.yaml enable bench >/dev/null)
  read -r t m < <(sync_run p1 "$csv"); p1+=("$t"); rss+=("$m")
  check_changes "$work/p1.out" "$data/base/expected.json"
  if [ "$k" = 1 ]; then
    got=$(counts)
    read -r users departments memberships audit <<< "$got"
    expected=$(tr -d ' \n' < "$data/base/expected.json")
    field() { echo "$expected" | grep -o "\"$1\":[0-9]*" | cut -d: -f2; }
    if [ "$got" != "$sqlite_counts" ] || [ "$users" != "$(field created)" ] ||
       [ "$departments" != "$(field departments_created)" ] || [ "$memberships" != "$(field memberships_added)" ]; then
      echo "postgres_bench: the schema after P1 does not hold what the SQLite directory does:" >&2
      echo "  users departments memberships audit_log: postgres $got, directory $sqlite_counts" >&2
      echo "  the generator expects $(field created) users, $(field departments_created) departments," \
           "$(field memberships_added) memberships" >&2
      exit 1
    fi
    echo "   the schema holds what the SQLite directory does: $users users, $departments departments," \
         "$memberships memberships, $audit audit rows"
  fi
  read -r t _ < <(sync_run p2 "$csv"); p2+=("$t")
  is_noop "$work/p2.out" || { echo "P2 was not a no-op:" >&2; cat "$work/p2.out" >&2; exit 1; }
  read -r t _ < <(sync_run p3 "$data/churn/org.csv"); p3+=("$t")
  check_changes "$work/p3.out" "$data/churn/expected.json"

  for step in p1 p2 p3; do cp "$work/$step.out" "$work/$step-$k.json"; done
  [ $((k % 2)) = 1 ] || { read -r t _ < <(yardstick); y+=("$t"); }
  r1+=("$(awk -v a="${p1[-1]}" -v b="${y[-1]}" 'BEGIN {print a / b}')")
  r2+=("$(awk -v a="${p2[-1]}" -v b="${y[-1]}" 'BEGIN {print a / b}')")
  r3+=("$(awk -v a="${p3[-1]}" -v b="${y[-1]}" 'BEGIN {print a / b}')")
  r4+=("$(awk -v m="${rss[-1]}" -v b="$csv_bytes" 'BEGIN {print m * 1024 / b}')")
  echo "   \\copy ${y[-1]} s, P1 ${p1[-1]} s (${rss[-1]} KB), P2 ${p2[-1]} s, P3 ${p3[-1]} s"
done

# Where each step's time goes: the run report's stage seconds, the median
# over the pairs, as "read validate diff apply store".
stages() {
  local stage values k
  for stage in read validate diff apply store; do
    values=()
    for k in $(seq 1 "$pairs"); do
      values+=("$(tr -d ' \n' < "$work/$1-$k.json" | grep -o '"seconds":{[^}]*}' | grep -o "\"$stage\":[0-9.e-]*" |
                  cut -d: -f2)")
    done
    printf '%s ' "$(median "${values[@]:-0}")"
  done
}
lowest() { printf '%s\n' "$@" | sort -g | head -n 1; }
highest() { printf '%s\n' "$@" | sort -g | tail -n 1; }
summary() { echo "$(median "$@") $(lowest "$@") $(highest "$@")"; }
awk -v n="$people" -v bytes="$csv_bytes" -v pairs="$pairs" -v cores="$(nproc)" \
    -v mem="$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)" \
    -v y="$(median "${y[@]}")" -v p1="$(median "${p1[@]}")" -v p2="$(median "${p2[@]}")" -v p3="$(median "${p3[@]}")" \
    -v rss="$(median "${rss[@]}")" -v r1="$(summary "${r1[@]}")" -v r2="$(summary "${r2[@]}")" \
    -v r3="$(summary "${r3[@]}")" -v r4="$(summary "${r4[@]}")" -v settings="$settings" \
    -v s1="$(stages p1)" -v s2="$(stages p2)" -v s3="$(stages p3)" \
    -v json="$out/postgres.json" 'BEGIN {
  split(r1, a1, " "); split(r2, a2, " "); split(r3, a3, " "); split(r4, a4, " ")
  printf "\npeoplesync postgres sink benchmark: %d people, CSV %.0f MB, %d core(s), %d GiB, %d pair(s), order alternated\n", n, bytes/1e6, cores, mem, pairs
  printf "PostgreSQL 15: %s\n\n", settings
  printf "%-40s %9s %9s %13s %8s\n", "measurement", "seconds", "x \\copy", "range", "target"
  printf "%-40s %9.2f %9.2f %13s %8s\n", "yardstick: psql \\copy of the CSV", y, 1, "", ""
  row("P1 initial sync into an empty schema", p1, a1, 1.5)
  row("P2 no-op resync", p2, a2, 0.1)
  row("P3 resync with 1% churn", p3, a3, 0.5)
  printf "%-40s %9s %9.2f %13s %8s %s\n", "P4 peak RSS of P1 / CSV (" sprintf("%.0f MB", rss/1024) ")", "", a4[1], \
    sprintf("%.2f - %.2f", a4[2], a4[3]), "<= 3", (a4[1] <= 3 ? "met" : "MISSED")
  printf "\nwhere the time goes: the stage seconds of the run reports, median over the pairs\n\n"
  printf "%-40s %9s %9s %9s %9s %9s\n", "step", "read", "validate", "diff", "apply", "store"
  stage_row("P1", s1); stage_row("P2", s2); stage_row("P3", s3)
  printf "{\"people\": %d, \"csv_bytes\": %d, \"cores\": %d, \"pairs\": %d, \"copy_seconds\": %.3f, \"p1_seconds\": %.3f, \"p2_seconds\": %.3f, \"p3_seconds\": %.3f, \"p1_peak_rss_bytes\": %d, \"p1_ratio\": %.4f, \"p1_ratio_min\": %.4f, \"p1_ratio_max\": %.4f, \"p2_ratio\": %.4f, \"p2_ratio_min\": %.4f, \"p2_ratio_max\": %.4f, \"p3_ratio\": %.4f, \"p3_ratio_min\": %.4f, \"p3_ratio_max\": %.4f, \"p4_rss_over_csv\": %.4f, \"p4_rss_over_csv_min\": %.4f, \"p4_rss_over_csv_max\": %.4f, \"server_settings\": \"%s\", \"p1_stage_seconds\": %s, \"p2_stage_seconds\": %s, \"p3_stage_seconds\": %s}\n", n, bytes, cores, pairs, y, p1, p2, p3, rss*1024, a1[1], a1[2], a1[3], a2[1], a2[2], a2[3], a3[1], a3[2], a3[3], a4[1], a4[2], a4[3], settings, stage_json(s1), stage_json(s2), stage_json(s3) > json
}
function stage_json(stages,   s) {
  split(stages, s, " ")
  return sprintf("{\"read\": %.3f, \"validate\": %.3f, \"diff\": %.3f, \"apply\": %.3f, \"store\": %.3f}", s[1], s[2], s[3], s[4], s[5])
}
function stage_row(name, stages,   s) {
  split(stages, s, " ")
  printf "%-40s %9.2f %9.2f %9.2f %9.2f %9.2f\n", name, s[1], s[2], s[3], s[4], s[5]
}
function row(name, seconds, ratio, target) {
  printf "%-40s %9.2f %9.2f %13s %8s %s\n", name, seconds, ratio[1], sprintf("%.2f - %.2f", ratio[2], ratio[3]), \
    "<= " target, (ratio[1] <= target ? "met" : "MISSED")
}'
echo; echo "written: $out/postgres.json; each pair's run reports: $work/p{1,2,3}-PAIR.json"
