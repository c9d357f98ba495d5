#!/usr/bin/env bash
# LDAP benchmark (P6): N inetOrgPerson entries (managers, departments) in a
# temporary slapd on 127.0.0.1, and in P pairs, run for run:
#   yardstick  ldapsearch -x -LLL -E pr=PAGE/noprompt of the people to /dev/null
#   P6         the whole `peoplesync run bench --json` process: the ldap source
#              into a directory sink in a fresh folder, test mode (the run
#              reads, validates, diffs, simulates and stores its snapshot)
# both timed by /usr/bin/time (wall seconds; CPU seconds shown beside), the
# yardstick first in odd pairs and last in even ones. Prints the median
# seconds, the median of the per-pair ratios with their range (target <= 1.0),
# the run's read stage against the yardstick the same way, the run reports'
# stage seconds, and a JSON line (also written to OUT/ldap.json). Each run
# must report N users, all created.
#   tests/bench/ldap/ldap_bench.sh [--quick] [--n N] [--pairs P] [--page-size S] [--build-dir DIR] [--out DIR]
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
n=100000
pairs=5
page_size=1000
build_dir="$root/build"
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) n=2000; pairs=1 ;;
    --n) n="$2"; shift ;;
    --pairs|--runs) pairs="$2"; shift ;;
    --page-size) page_size="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
out=${out:-$build_dir/bench}
. "$root/tests/bench/bench_lib.sh"

find_program() {
  local p
  for p in "/usr/sbin/$1" "/usr/bin/$1" "$(command -v "$1" 2>/dev/null || true)"; do
    [ -n "$p" ] && [ -x "$p" ] && { echo "$p"; return; }
  done
  echo "ldap_bench: $1 is not installed; run scripts/setup" >&2
  exit 1
}
slapd=$(find_program slapd)
slapadd=$(find_program slapadd)
ldapsearch=$(find_program ldapsearch)
command -v /usr/bin/time >/dev/null || { echo "ldap_bench needs GNU time (apt-get install time)" >&2; exit 1; }
command -v jq >/dev/null || { echo "ldap_bench needs jq (apt-get install jq)" >&2; exit 1; }

peoplesync="$build_dir/bin/peoplesync"
echo "== building peoplesync and the ldap source in $build_dir"
cmake --build "$build_dir" --target peoplesync peoplesync_source_ldap peoplesync_sink_directory >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/peoplesync-ldap-bench.XXXXXX")
stop_slapd() {
  if [ -f "$work/slapd.pid" ]; then
    local pid
    pid=$(cat "$work/slapd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$work/slapd.pid"
  fi
}
trap 'stop_slapd; rm -rf "$work"' EXIT

base="ou=people,dc=example,dc=com"
echo "== generating $n entries"
# Ten people per manager, a tree from person 0; every person in a team of a
# division, every fifth also in a second department.
awk -v n="$n" 'BEGIN {
  print "dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n"
  print "dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n"
  for (i = 0; i < n; i++) {
    id = sprintf("u%07d", i)
    print "dn: uid=" id ",ou=people,dc=example,dc=com"
    print "objectClass: inetOrgPerson"
    print "uid: " id
    print "cn: Person " i
    print "givenName: Given" i
    print "sn: Family" (i % 977)
    print "mail: " id "@example.com"
    print "title: Title " (i % 50)
    print "telephoneNumber: +1 415 555 " sprintf("%04d", i % 10000)
    print "employeeNumber: E" i
    print "departmentNumber: Division " (i % 7) " > Team " (i % 61)
    if (i % 5 == 0) print "departmentNumber: Guild " (i % 3)
    if (i > 0) print "manager: uid=" sprintf("u%07d", int((i - 1) / 10)) ",ou=people,dc=example,dc=com"
    print "description: Employee number " i " of the benchmark organisation"
    print ""
  }
}' > "$work/org.ldif"

mkdir -p "$work/db"
cat > "$work/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $work/slapd.pid
argsfile $work/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
sizelimit unlimited
database mdb
maxsize 4294967296
suffix "dc=example,dc=com"
rootdn "cn=admin,dc=example,dc=com"
rootpw admin-secret
directory $work/db
access to * by * read
CONF

echo "== loading with slapadd -q"
load_started=$(date +%s%N)
"$slapadd" -q -f "$work/slapd.conf" -l "$work/org.ldif"
echo "   $(( ($(date +%s%N) - load_started) / 1000000 )) ms"

# A free port: slapd refuses to start on a taken one, so try a few.
port=""
for _ in $(seq 20); do
  candidate=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
  if "$slapd" -f "$work/slapd.conf" -h "ldap://127.0.0.1:$candidate/" 2>"$work/slapd.log"; then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || { echo "cannot start slapd:" >&2; cat "$work/slapd.log" >&2; exit 1; }
uri="ldap://127.0.0.1:$port"
for _ in $(seq 200); do
  "$ldapsearch" -x -H "$uri" -b "$base" -s base '(objectClass=*)' dn >/dev/null 2>&1 && break
  sleep 0.05
done

# The pipeline: the source's default mapping and filter, every field synced.
# Its files are relative to the configuration, which each run has a fresh
# copy of in a fresh folder.
cat > "$work/peoplesync.yaml" <<YAML
state_database: state.db
pipelines:
  - name: bench
    source:
      type: ldap
      uri: $uri
      base_dn: "$base"
      page_size: $page_size
    sinks:
      - {type: directory, database: directory.db}
YAML

# measure NAME COMMAND...: one process timed by GNU time, its output in
# NAME.out; sets seconds (wall), cpu (user and system seconds) and rss (peak,
# KB). Each starts once the disk has written what the step before left dirty.
measure() {
  local name=$1; shift
  sync
  /usr/bin/time -f "%e %U %S %M" -o "$work/$name.time" "$@" > "$work/$name.out" 2> "$work/$name.err" || {
    echo "$name failed:" >&2; cat "$work/$name.err" >&2; exit 1; }
  local user system
  read -r seconds user system rss < <(tail -n 1 "$work/$name.time")
  cpu=$(awk -v u="$user" -v s="$system" 'BEGIN { print u + s }')
}
yardstick() {
  measure yardstick "$ldapsearch" -x -LLL -H "$uri" -b "$base" -E "pr=$page_size/noprompt" '(objectClass=inetOrgPerson)'
  y+=("$seconds") y_cpu+=("$cpu")
}
# A run in a fresh folder: no state, an empty directory.
p6() {
  rm -rf "$work/run" && mkdir "$work/run" && cp "$work/peoplesync.yaml" "$work/run/"
  cd "$work/run"
  measure p6 "$peoplesync" --config "$work/run/peoplesync.yaml" run bench --json
  cd "$work"
  p+=("$seconds") p_cpu+=("$cpu") p_rss+=("$rss")
  local got
  got=$(jq -r '"\(.status) \(.users) \(.changes.created)"' "$work/p6.out")
  [ "$got" = "simulated $n $n" ] || {
    echo "P6: expected status simulated, $n users, $n created; the run says \"$got\":" >&2; cat "$work/p6.out" >&2; exit 1; }
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
spread() { printf '%s %s %s' "$(median "$@")" "$(printf '%s\n' "$@" | sort -g | head -n 1)" "$(printf '%s\n' "$@" | sort -g | tail -n 1)"; }

declare -a y y_cpu p p_cpu p_rss r rr stage_read stage_validate stage_diff stage_store
echo "== warming up (one of each)"
yardstick
p6
y=() y_cpu=() p=() p_cpu=() p_rss=()

for i in $(seq 1 "$pairs"); do
  if [ $((i % 2)) = 1 ]; then yardstick; p6; else p6; yardstick; fi
  read -r sr sv sd ss < <(jq -r '.seconds | map_values(. * 1000 | round / 1000) | "\(.read) \(.validate) \(.diff) \(.store)"' "$work/p6.out")
  stage_read+=("$sr") stage_validate+=("$sv") stage_diff+=("$sd") stage_store+=("$ss")
  r+=("$(ratio "${p[-1]}" "${y[-1]}")") rr+=("$(ratio "$sr" "${y[-1]}")")
  echo "   pair $i ($([ $((i % 2)) = 1 ] && echo "ldapsearch first" || echo "peoplesync first")):" \
       "ldapsearch ${y[-1]} s, peoplesync run ${p[-1]} s (${p_rss[-1]} KB; read $sr s), ratio ${r[-1]}"
done

Y=$(median "${y[@]}") P=$(median "${p[@]}") RSS=$(median "${p_rss[@]}")
YC=$(median "${y_cpu[@]}") PC=$(median "${p_cpu[@]}")
read -r R RLO RHI <<< "$(spread "${r[@]}")"
read -r RR RRLO RRHI <<< "$(spread "${rr[@]}")"
SR=$(median "${stage_read[@]}") SV=$(median "${stage_validate[@]}")
SD=$(median "${stage_diff[@]}") SS=$(median "${stage_store[@]}")
met=$(awk -v r="$R" 'BEGIN { print (r <= 1.0) ? "met" : "missed" }')
echo "== P6: N=$n, page size $page_size, $pairs pairs (medians; ratios: median of the pairs' ratios, range)"
printf '%-62s %8s s  (CPU %s s)\n' "yardstick: ldapsearch -x -LLL -E pr=$page_size/noprompt > /dev/null" "$Y" "$YC"
printf '%-62s %8s s  %s x (%s-%s), target <= 1.0: %s  (CPU %s s)\n' "P6: peoplesync run (test mode, whole process)" "$P" "$R" "$RLO" "$RHI" "$met" "$PC"
printf '%-62s %8s s  %s x (%s-%s)\n' "    its read stage (run report)" "$SR" "$RR" "$RRLO" "$RRHI"
printf '%-62s %8s\n' "    stage seconds: validate / diff / store (beside)" "$SV / $SD / $SS"
printf '%-62s %8s KB\n' "    peak RSS" "$RSS"
mkdir -p "$out"
json="{\"bench\":\"ldap\",\"n\":$n,\"pairs\":$pairs,\"page_size\":$page_size,\"ldapsearch_seconds\":$Y,\"ldapsearch_cpu_seconds\":$YC,\"run_seconds\":$P,\"run_cpu_seconds\":$PC,\"ratio\":$R,\"ratio_min\":$RLO,\"ratio_max\":$RHI,\"read_ratio\":$RR,\"read_ratio_min\":$RRLO,\"read_ratio_max\":$RRHI,\"stage_seconds\":{\"read\":$SR,\"validate\":$SV,\"diff\":$SD,\"store\":$SS},\"peak_rss_kb\":$RSS,\"target\":1.0}"
echo "$json" | tee "$out/ldap.json"
