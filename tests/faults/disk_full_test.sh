#!/usr/bin/env bash
# A full disk in the middle of a directory's apply, of a request log write
# and of an outbox write: a clear error, nothing half-written, and
# everything works again once there is space.
#
#   tests/faults/disk_full_test.sh BUILD_DIR WORK_DIR     (ctest: faults.disk_full)
#
# The test runs itself again in a mount namespace of its own (unshare
# --mount; for a user other than root with --user --map-root-user as well),
# where it mounts small tmpfs filesystems for the database under test and
# fills them with a file, leaving a set amount free; the mounts end with the
# namespace. Data: the generator's 3,000 people, then its 20% churn.
set -euo pipefail

build=$(cd "$1" && pwd)
mkdir -p "$2"
work=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${PEOPLESYNC_FAULTS_NAMESPACE:-}" ]; then
  namespace=(--mount)
  [ "$(id -u)" = 0 ] || namespace=(--user --map-root-user --mount)
  exec env PEOPLESYNC_FAULTS_NAMESPACE=1 unshare "${namespace[@]}" bash "$0" "$build" "$work"
fi
. "$here/../support/check_lib.sh"
. "$here/../bench/bench_lib.sh"  # bench_pipeline (the CSV ${BENCH_CSV} into one sink), check_changes

bin=$build/bin
rm -rf "${work:?}"/*
"$bin/generate_org" --people 3000 --seed 5 --out "$work/base" >/dev/null
"$bin/generate_org" --people 3000 --seed 5 --churn 20 --out "$work/churn" >/dev/null
daemon="" receiver=""
cleanup() {
  [ -z "$daemon" ] || kill "$daemon" 2>/dev/null || true
  [ -z "$receiver" ] || kill "$receiver" 2>/dev/null || true
}
trap cleanup EXIT

# small MOUNT SIZE: a tmpfs of SIZE (as mount's size=) at MOUNT.
small() {
  mkdir -p "$1"
  mount -t tmpfs -o "size=$2" tmpfs "$1" || fail "cannot mount a tmpfs at $1 (this test needs a mount namespace)"
}
# fill MOUNT KIB: a file that leaves KIB KiB free on MOUNT; unfill MOUNT removes it.
fill() {
  local avail
  avail=$(df -k --output=avail "$1" | tail -n 1)
  [ "$avail" -gt "$2" ] || fail "$1 has only $avail KiB free, fewer than the $2 KiB to leave"
  dd if=/dev/zero of="$1/filler" bs=1k count=$((avail - $2)) status=none 2>/dev/null || true
}
unfill() { rm -f "$1/filler"; }
users_of() { sqlite3 "$1" "PRAGMA integrity_check; SELECT * FROM users ORDER BY id; SELECT * FROM memberships;"; }

step "a directory's apply: the disk fills in the middle, the run rolls back"
small "$work/apply-disk" 2m
mkdir -p "$work/apply-state"  # the state database beside its configuration, off the small disk
bench_pipeline "{type: directory, database: $work/apply-disk/directory.db}" > "$work/apply-state/peoplesync.yaml"
cli=("$bin/peoplesync" --config "$work/apply-state/peoplesync.yaml")
BENCH_CSV=$work/base/org.csv expect 0 "$work/enable.out" -- "${cli[@]}" enable bench
BENCH_CSV=$work/base/org.csv expect 0 "$work/apply1.out" -- "${cli[@]}" run bench
users_of "$work/apply-disk/directory.db" > "$work/before.txt"
fill "$work/apply-disk" 200
BENCH_CSV=$work/churn/org.csv expect 1 "$work/apply2.out" -- "${cli[@]}" run bench
contains "$work/apply2.out" "directory $work/apply-disk/directory.db: the run was rolled back, nothing changed: database or disk is full"
users_of "$work/apply-disk/directory.db" > "$work/after.txt"
cmp -s "$work/before.txt" "$work/after.txt" || fail "the directory changed in a run that failed"
unfill "$work/apply-disk"
BENCH_CSV=$work/churn/org.csv expect 0 "$work/apply3.json" -- "${cli[@]}" run bench --json
check_changes "$work/apply3.json" "$work/churn/expected.json"
matches "$work/apply3.json" '"status": ?"applied"'

step "a request log write: a push the disk cannot hold is answered 503 and not logged"
small "$work/push-disk" 6m
admin_token=faults-admin-token-0123456789abcdef
cat > "$work/push.yaml" <<EOF
state_database: $work/push-disk/state.db
http: {listen: 127.0.0.1:0}
admin: {token: $admin_token}
log: {target: file, path: $work/push-daemon.log}
pipelines:
  - name: hris
    source: {type: webhook}
    sinks: [{type: directory, database: $work/push-directory/directory.db}]
EOF
cli=("$bin/peoplesync" --config "$work/push.yaml")
"$bin/peoplesyncd" --config "$work/push.yaml" > "$work/push-daemon.out" 2>&1 &
daemon=$!
url=""
for _ in $(seq 1 500); do
  url=$(sed -n 's/.*"url": "\(.*\)".*/\1/p' "$work/push-disk/state.db.peoplesyncd.json" 2>/dev/null || true)
  [ -n "$url" ] && curl -sf "$url/health" >/dev/null && break
  kill -0 "$daemon" 2>/dev/null || { cat "$work/push-daemon.out" >&2; fail "peoplesyncd did not start"; }
  url=""; sleep 0.02
done
[ -n "$url" ] || fail "peoplesyncd did not answer"
expect 0 "$work/credentials.out" -- "${cli[@]}" webhook-credentials hris
key=$(sed -n 's/^api_key: \([0-9a-f]*\)$/\1/p' "$work/credentials.out")
endpoint=$(sed -n 's/^url: \(.*\)$/\1/p' "$work/credentials.out")
expect 0 "$work/enable.out" -- "${cli[@]}" enable hris
push() {  # push FILE OUT: the answer's body in OUT, its status on stdout
  curl -s -o "$2" -w '%{http_code}' -H "X-HRIS-AUTHENTICATION: $key" -H "Content-Type: application/json" \
    --data-binary "@$1" "$endpoint"
}
# applied ID: waits until request ID is applied.
applied() {
  for _ in $(seq 1 500); do
    curl -s -H "Authorization: Bearer $admin_token" "$url/admin/v1/requests/$1" > "$work/request.json" || true
    grep -qE '"status": ?"applied"' "$work/request.json" && return 0
    sleep 0.05
  done
  cat "$work/request.json" >&2; fail "request $1 was not applied"
}
[ "$(push "$work/base/org.json" "$work/push1.out")" = 202 ] || { cat "$work/push1.out" >&2; fail "the first push was not accepted"; }
applied 1
bodies=$(find "$work/push-disk" -path '*requests*' -type f | wc -l)
fill "$work/push-disk" 40
[ "$(push "$work/churn/org.json" "$work/push2.out")" = 503 ] || { cat "$work/push2.out" >&2; fail "a push the disk cannot hold was not answered 503"; }
contains "$work/push2.out" "the request could not be stored, so it was not accepted; send it again"
contains "$work/push-daemon.log" "a request could not be stored"
contains "$work/push-daemon.log" "No space left on device"
expect 0 "$work/requests.out" -- "${cli[@]}" requests
lacks "$work/requests.out" "validated"
[ "$(grep -cE '^[0-9]+ +hris' "$work/requests.out")" = 1 ] || { cat "$work/requests.out" >&2; fail "the refused push was logged"; }
[ "$(find "$work/push-disk" -path '*requests*' -type f | wc -l)" = "$bodies" ] || fail "the refused push left a body file"
unfill "$work/push-disk"
[ "$(push "$work/churn/org.json" "$work/push3.out")" = 202 ] || { cat "$work/push3.out" >&2; fail "a push once there is space again was not accepted"; }
applied 2
kill "$daemon"; wait "$daemon" || fail "peoplesyncd did not stop cleanly"
daemon=""

step "an outbox write: a message the disk cannot hold is not queued, and goes with the next run"
small "$work/outbox-disk" 16m
mkdir -p "$work/received"
python3 - "$work/received" "$work/receiver.port" <<'EOF' &
import http.server, os, sys
folder, port_file = sys.argv[1], sys.argv[2]
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(os.path.join(folder, "%04d.json" % (len(os.listdir(folder)) + 1)), "wb") as f:
            f.write(body)
        self.send_response(202); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
with open(port_file + ".part", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(port_file + ".part", port_file)
server.serve_forever()
EOF
receiver=$!
for _ in $(seq 1 200); do [ -s "$work/receiver.port" ] && break; sleep 0.02; done
[ -s "$work/receiver.port" ] || fail "the receiver did not start"
export FAULTS_RECEIVER_KEY=receiver-key
# The state database (with the outbox) beside its configuration, on the small disk.
bench_pipeline "{name: b, type: webhook, url: \"http://127.0.0.1:$(cat "$work/receiver.port")/hook\", api_key_env: FAULTS_RECEIVER_KEY, format: hris}" \
  > "$work/outbox-disk/peoplesync.yaml"
cli=("$bin/peoplesync" --config "$work/outbox-disk/peoplesync.yaml")
export BENCH_CSV=$work/base/org.csv
expect 0 "$work/enable.out" -- "${cli[@]}" enable bench
expect 0 "$work/outbox1.out" -- "${cli[@]}" run bench
contains "$work/outbox1.out" "message 1 (run 1): delivered (HTTP 202 Accepted)"
# Room for the run's own records, not for its message: the first message's size and a half.
message_bytes=$(stat -c %s "$work/received/0001.json")
fill "$work/outbox-disk" $((message_bytes * 3 / 2 / 1024))
export BENCH_CSV=$work/churn/org.csv
expect 1 "$work/outbox2.out" -- "${cli[@]}" run bench
contains "$work/outbox2.out" "the outbox of sink b (pipeline bench): nothing was queued"
contains "$work/outbox2.out" "database or disk is full"
expect 0 "$work/outbox.out" -- "${cli[@]}" outbox
contains "$work/outbox.out" "bench/b: idle, 0 waiting, 1 delivered"
[ "$(find "$work/received" -type f | wc -l)" = 1 ] || fail "the receiver got a message from the run that failed"
unfill "$work/outbox-disk"
expect 0 "$work/outbox3.out" -- "${cli[@]}" run bench
contains "$work/outbox3.out" "message 2 (run 3): delivered (HTTP 202 Accepted)"
[ "$(find "$work/received" -type f | wc -l)" = 2 ] || fail "the run once there is space again delivered nothing"
python3 - "$work/received/0002.json" "$work/churn/org.json" <<'EOF' || fail "the receiver's last message is not the churned export"
import json, sys
got = {u["hris_id"]: u.get("job_title") for u in json.load(open(sys.argv[1]))["users"]}
want = {u["hris_id"]: u.get("job_title") for u in json.load(open(sys.argv[2]))["users"]}
sys.exit(0 if got == want else 1)
EOF
step "passed"
