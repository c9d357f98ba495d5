#!/usr/bin/env bash
# LDAP read benchmark: N inetOrgPerson entries (managers, departments) in a
# temporary slapd on 127.0.0.1, pulled (a) by ldapsearch with paging to
# /dev/null and (b) by the ldap source plugin into a normalized snapshot, in
# the same run. Prints both medians, the ratio (target <= 1.2) and a JSON line.
#   tests/bench/ldap/ldap_bench.sh [--quick] [--n N] [--runs R] [--page-size P] [--build-dir DIR]
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
n=100000
runs=3
page_size=1000
build_dir="$root/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) n=2000; runs=3 ;;
    --n) n="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --page-size) page_size="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

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

bench="$build_dir/bin/ldap_bench"
echo "== building ldap_bench in $build_dir"
cmake --build "$build_dir" --target ldap_bench peoplesync_source_ldap >/dev/null

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

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run_ldapsearch() {
  "$ldapsearch" -x -H "$uri" -b "$base" -E "pr=$page_size/noprompt" '(objectClass=inetOrgPerson)' >/dev/null
}
run_plugin() {
  "$bench" --uri "$uri" --base-dn "$base" --page-size "$page_size" --expect "$n"
}

echo "== warming up (one run of each)"
run_ldapsearch
run_plugin >/dev/null

search_ms=()
plugin_ms=()
process_ms=()
time_ldapsearch() {
  local started
  started=$(date +%s%N)
  run_ldapsearch
  search_ms+=("$(ms_since "$started")")
}
time_plugin() {
  local started line read_only normalize
  started=$(date +%s%N)
  line=$(run_plugin)
  process_ms+=("$(ms_since "$started")")
  read_only=$(echo "$line" | sed -E 's/.*"read_seconds":([0-9.e-]+).*/\1/')
  normalize=$(echo "$line" | sed -E 's/.*"normalize_seconds":([0-9.e-]+).*/\1/')
  plugin_ms+=("$(awk -v r="$read_only" -v z="$normalize" 'BEGIN { printf "%d", (r + z) * 1000 + 0.5 }')")
}
# Alternate which goes first, so that neither always finds the caches warm.
for r in $(seq "$runs"); do
  if [ $((r % 2)) -eq 1 ]; then time_ldapsearch; time_plugin; else time_plugin; time_ldapsearch; fi
  echo "   run $r: ldapsearch ${search_ms[-1]} ms, plugin read+normalize ${plugin_ms[-1]} ms (process ${process_ms[-1]} ms)"
done

search=$(median "${search_ms[@]}")
plugin=$(median "${plugin_ms[@]}")
process=$(median "${process_ms[@]}")
ratio=$(awk -v p="$plugin" -v s="$search" 'BEGIN { printf "%.2f", p / s }')
process_ratio=$(awk -v p="$process" -v s="$search" 'BEGIN { printf "%.2f", p / s }')
echo "== N=$n, page size $page_size, median of $runs"
echo "ldapsearch -E pr=$page_size/noprompt > /dev/null:   $search ms"
echo "ldap source read + normalize:                  $plugin ms  (whole bench process: $process ms)"
echo "ratio: $ratio (target <= 1.2; whole process: $process_ratio)"
echo "{\"bench\":\"ldap\",\"n\":$n,\"runs\":$runs,\"page_size\":$page_size,\"ldapsearch_ms\":$search,\"plugin_ms\":$plugin,\"plugin_process_ms\":$process,\"ratio\":$ratio,\"process_ratio\":$process_ratio,\"target\":1.2}"
