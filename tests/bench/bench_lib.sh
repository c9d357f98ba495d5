# Shared by scripts/bench and tests/bench/postgres/postgres_bench.sh (sourced).

# bench_pipeline SINK_YAML: the benchmark's pipeline, the generated HRIS CSV
# (${BENCH_CSV}) into the one sink given as a flow mapping.
bench_pipeline() {
  cat <<EOF_PIPELINE
state_database: state.db
pipelines:
  - name: bench
    source:
      type: csv
      path: \${BENCH_CSV}
      columns: {hris_id: Worker ID, employee_id: Employee No, first_name: First Name, last_name: Last Name,
                email: Work Email, job_title: Job Title, departments: Department, manager: Manager Employee No,
                active: Employment Status, hire_date: Hire Date, phone_number: Work Phone}
      manager_by: employee_id
      values: {active: {Active: true, Terminated: false}}
    sync:
      guard: {max_removals: 1000000000, max_removal_percent: 100}
    sinks:
      - $1
EOF_PIPELINE
}

# check_changes REPORT EXPECTED_JSON: the run report's change counts are
# exactly the generator's expected ones, else says which and exits.
check_changes() {
  local got expected key g e
  got=$(tr -d ' \n' < "$1" | grep -o '"changes":{[^}]*}' | head -n 1)
  expected=$(tr -d ' \n' < "$2")
  for key in created linked updated reactivated deactivated unsynced departments_created memberships_added \
             memberships_removed managers_changed; do
    g=$(echo "$got" | grep -o "\"$key\":[0-9]*" | cut -d: -f2)
    e=$(echo "$expected" | grep -o "\"$key\":[0-9]*" | cut -d: -f2)
    if [ "$g" != "$e" ]; then echo "$1: $key is $g, expected $e" >&2; exit 1; fi
  done
}

# is_noop REPORT: the run report's status is noop.
is_noop() { tr -d ' \n' < "$1" | grep -q '"status":"noop"'; }

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# start_webhook_daemon DIR PIPELINE [SYNC_YAML]: a peoplesyncd in DIR with one
# webhook pipeline, PIPELINE, into an empty directory (SYNC_YAML: its `sync:`
# lines), serving on a free port of 127.0.0.1 with http.max_body_bytes
# $max_body_bytes and the admin token $admin_token; waits until it answers
# and makes the pipeline's credentials. Sets daemon (its pid), url, key and
# endpoint. Needs $bin.
start_webhook_daemon() {
  local dir=$1 pipeline=$2 sync=${3:-} made
  mkdir -p "$dir"
  cat > "$dir/peoplesync.yaml" <<EOF_CONFIG
state_database: state.db
http: {listen: 127.0.0.1:0, max_body_bytes: $max_body_bytes}
admin: {token: $admin_token}
log: {target: file, path: daemon.log}
pipelines:
  - name: $pipeline
    source: {type: webhook}
${sync}    sinks:
      - {type: directory, database: directory.db}
EOF_CONFIG
  (cd "$dir" && exec "$bin/peoplesyncd" --config "$dir/peoplesync.yaml" > daemon.out 2>&1) &
  daemon=$!
  url=""
  for _ in $(seq 1 500); do
    url=$(sed -n 's/.*"url": "\(.*\)".*/\1/p' "$dir/state.db.peoplesyncd.json" 2>/dev/null || true)
    [ -n "$url" ] && curl -sf "$url/health" >/dev/null && break
    kill -0 "$daemon" 2>/dev/null || { echo "peoplesyncd did not start:" >&2; cat "$dir/daemon.out" "$dir/daemon.log" >&2; exit 1; }
    url=""; sleep 0.02
  done
  [ -n "$url" ] || { echo "peoplesyncd did not answer" >&2; exit 1; }
  made=$("$bin/peoplesync" --config "$dir/peoplesync.yaml" webhook-credentials "$pipeline")
  key=$(echo "$made" | sed -n 's/^api_key: \([0-9a-f]*\)$/\1/p')
  endpoint=$(echo "$made" | sed -n 's/^url: \(.*\)$/\1/p')
  [ -n "$key" ] && [ -n "$endpoint" ] || { echo "no webhook credentials:" >&2; echo "$made" >&2; exit 1; }
}
