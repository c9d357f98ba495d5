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
