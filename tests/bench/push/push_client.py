#!/usr/bin/env python3
"""One timed push for tests/bench/push/push_bench.sh.

POSTs FILE to a webhook endpoint of a running peoplesyncd and measures, from
the start of the POST (the file is read into memory before):
  accepted_seconds  until the answer (202) has arrived whole
  finished_seconds  until the admin API lists the request's run as finished
                    with the expected status (simulated, or applied): the
                    request is polled with GET /admin/v1/requests?pipeline=P
                    &limit=1&before=ID+1 (one short line; the request's own
                    record carries its run's whole ChangeSet), on a keep-alive
                    connection of its own, sleeping 10 ms between polls.
Then, untimed, it reads the run (GET /admin/v1/runs/RUN) and prints one JSON
object: both times, the request and run ids, the run's status, users,
changes and stage seconds, how long the run took by its own started_at and
finished_at, and when it finished by them (run_finished_at_seconds, from the
start of the POST by this machine's clock: what polling adds is the
difference). Any other answer, status or a timeout ends it
with a message and exit status 1.
"""
import argparse
import datetime
import http.client
import json
import sys
import time
import urllib.parse


def fail(message):
    print("push_client: " + message, file=sys.stderr)
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True, help="the endpoint's whole URL")
    parser.add_argument("--key", required=True)
    parser.add_argument("--admin-token", required=True)
    parser.add_argument("--pipeline", required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--expect", required=True, choices=["simulated", "applied"])
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    endpoint = urllib.parse.urlsplit(args.endpoint)
    if endpoint.hostname != "127.0.0.1":
        fail("only 127.0.0.1 is benchmarked, not " + str(endpoint.hostname))
    with open(args.file, "rb") as f:
        body = f.read()
    admin_headers = {"Authorization": "Bearer " + args.admin_token}

    # The guide's HRIS sends no webhook-id, so no push is a copy of another.
    push = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=args.timeout)
    push.connect()

    start = time.perf_counter()
    start_wall = time.time()
    push.request("POST", endpoint.path, body=body,
                 headers={"X-HRIS-AUTHENTICATION": args.key, "Content-Type": "application/json"})
    answer = push.getresponse()
    answer_body = answer.read()
    accepted = time.perf_counter() - start
    if answer.status != 202:
        fail("the push was answered %d, not 202: %s" % (answer.status, answer_body[:2000].decode("utf-8", "replace")))
    accepted_json = json.loads(answer_body)
    request_id = int(accepted_json["request_id"])

    # Opened now: the daemon closes a keep-alive connection idle for
    # http.keepalive_timeout_secs (10 s), less than a large push's 202 takes.
    admin = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=args.timeout)

    def admin_get(path):
        for attempt in (1, 2):
            try:
                admin.request("GET", path, headers=admin_headers)
                got = admin.getresponse()
                return got.status, got.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                admin.close()  # closed while idle: once more on a new connection
                if attempt == 2:
                    raise

    finished = None
    polls = 0
    record = {}
    until = start + args.timeout
    while time.perf_counter() < until:
        listed_status, listed_body = admin_get(
            "/admin/v1/requests?pipeline=%s&limit=1&before=%d" % (args.pipeline, request_id + 1))
        polls += 1
        if listed_status != 200:
            fail("GET /admin/v1/requests answered %d: %s" % (listed_status, listed_body[:2000]))
        records = json.loads(listed_body)
        record = records[0] if records and records[0].get("id") == request_id else {}
        status = record.get("status", "")
        if status == args.expect:
            finished = time.perf_counter() - start
            break
        if status not in ("", "received", "validated"):
            fail("request %d ended %s, not %s: %s" % (request_id, status, args.expect, json.dumps(record)))
        time.sleep(0.01)
    if finished is None:
        fail("request %d did not reach %s within %g s (the timeout); last seen: %s"
             % (request_id, args.expect, args.timeout, json.dumps(record)))

    run_id = record.get("run")
    run_status, run_body = admin_get("/admin/v1/runs/%d" % run_id)
    if run_status != 200:
        fail("GET /admin/v1/runs/%d answered %d" % (run_id, run_status))
    run = json.loads(run_body)
    # The same end by the daemon's clock (this machine's), to show what polling adds.
    def timestamp(text):
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()

    run_end_seconds = timestamp(run.get("finished_at", "")) - start_wall
    run_seconds = timestamp(run.get("finished_at", "")) - timestamp(run.get("started_at", ""))
    print(json.dumps({
        "request_id": request_id, "accepted_seconds": round(accepted, 4), "finished_seconds": round(finished, 4),
        "run_finished_at_seconds": round(run_end_seconds, 4), "run_seconds": round(run_seconds, 4),
        "polls": polls, "accepted_status": accepted_json.get("status"), "accepted_users": accepted_json.get("users"),
        "run": run_id, "status": run.get("status"), "users": run.get("users"), "changes": run.get("changes"),
        "seconds": run.get("seconds"), "started_at": run.get("started_at"), "finished_at": run.get("finished_at"),
        "received_at": record.get("received_at"), "body_bytes": len(body)}))


if __name__ == "__main__":
    main()
