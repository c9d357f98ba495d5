#!/usr/bin/env python3
"""The soak: two real peoplesyncd on 127.0.0.1 under mixed load for N seconds,
then checked. Run by scripts/soak (which builds first):

  scripts/soak --seconds N [--people P] [--push-every S] [--out DIR] [--keep]

Daemon A has two pipelines:
  export  the generator's org.csv (P people, 10,000 by default), rewritten by
          this script every 1.5 s (a new "generation": the first person's job
          title says "Generation G" and 50 others change title), pulled on a
          schedule of every 2s into a directory and into a webhook sink
          (format hris) that delivers to daemon B's webhook pipeline;
  pushes  a webhook source into a directory, receiving a P-user push in the
          guide's format every 2 s (--push-every; 0: back to back), each once
          the previous one has run (the first person's title says "Push N").
Meanwhile a client reads the admin API (pipelines, runs, requests, outbox,
directory pages, metrics) and another process floods the push endpoint with
a wrong key (each must be a 401).

Checked at the end, or the soak fails saying what:
  - every push answered 202 ran and was applied; daemon A's pushes directory
    took them in the order sent, and holds the last one;
  - daemon A's export directory took the generations in increasing order and
    holds the last one written; daemon B's directory took exactly the same
    generations in the same order (every message delivered, in order, once)
    and holds the same people;
  - every admin read answered 200 and every wrong key 401;
  - no Error, Critical or Fatal line in either daemon's log, and both stop
    cleanly on SIGTERM;
  - each daemon keeps at most requests.keep_bodies (50) request bodies;
  - the resident memory (RSS) of each daemon less the memory SQLite holds
    (its page caches fill up to their cache_size as the databases grow; the
    daemons run with PEOPLESYNC_SQLITE_STATS=1 so /metrics shows it), the
    median over the last minute of the load, is within 10% of its median
    over the minute after the first (a third and a sixth of a run shorter
    than 3 minutes); its open file descriptors, counted the same way, at
    most 4 more (the clients' connections in flight). RSS and SQLite's
    memory are reported too, with their peaks, and RSS in its parts
    (anonymous, mapped files, shared memory).
Prints the figures and writes them to DIR/soak.json, beside each daemon's
/proc/PID/smaps after the baseline minute and at the end of the load
(DIR/smaps-A-start.txt, smaps-A-end.txt, and B's).
"""

import argparse
import csv
import io
import json
import multiprocessing
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from peoplesyncd import Daemon, DaemonError  # noqa: E402

ADMIN_TOKEN = "soak-admin-token-0123456789abcdef"
CSV_EVERY = 1.5       # seconds between generations of the export
SCHEDULE = "every 2s"
CHANGED = 50          # people whose title changes in each generation or push, besides the first
FD_SLACK = 4
COUNT_SQLITE = {"PEOPLESYNC_SQLITE_STATS": "1"}  # /metrics then shows SQLite's memory
KEEP_BODIES = 50      # requests.keep_bodies: each daemon has one push pipeline


class SoakFailure(Exception):
    pass


def log(message):
    print(f"soak: {message}", flush=True)


# ---- the data ---------------------------------------------------------------

class Organisation:
    """The generator's organisation: rows of org.csv and users of org.json."""

    def __init__(self, folder):
        with open(os.path.join(folder, "org.csv"), newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        self.header, self.rows = rows[0], rows[1:]
        self.title_column = self.header.index("Job Title")
        self.id_column = self.header.index("Worker ID")
        with open(os.path.join(folder, "org.json"), encoding="utf-8") as f:
            self.users = json.load(f)["users"]

    def changed(self, generation):
        """Indexes (besides 0) whose title generation `generation` changes."""
        n = len(self.rows)
        return {(generation * 97 + k) % (n - 1) + 1 for k in range(CHANGED)}

    def export_titles(self, generation):
        titles = {}
        changed = self.changed(generation)
        for i, row in enumerate(self.rows):
            title = row[self.title_column]
            if i == 0:
                title = f"Generation {generation}"
            elif i in changed:
                title = f"Title {generation}"
            titles[row[self.id_column]] = title
        return titles

    def write_export(self, path, generation):
        titles = self.export_titles(generation)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.header)
        for row in self.rows:
            row = list(row)
            row[self.title_column] = titles[row[self.id_column]]
            writer.writerow(row)
        part = path + ".part"
        with open(part, "w", encoding="utf-8") as f:
            f.write(out.getvalue())
        os.replace(part, path)  # a run reads the old file or the new one, whole

    def push_titles(self, number):
        changed = self.changed(number)
        titles = {}
        for i, user in enumerate(self.users):
            title = user.get("job_title", "")
            if i == 0:
                title = f"Push {number}"
            elif i in changed:
                title = f"Pushed title {number}"
            titles[user["hris_id"]] = title
        return titles

    def push_body(self, number):
        titles = self.push_titles(number)
        users = [dict(user, job_title=titles[user["hris_id"]]) for user in self.users]
        return json.dumps({"users": users}).encode()


# ---- the load ---------------------------------------------------------------

class Load:
    """The threads that load daemon A, until stop is set; each records what
    it did and any failure."""

    def __init__(self, a, b, organisation, export_path, push_endpoint, push_key, push_every):
        self.a, self.b = a, b
        self.organisation = organisation
        self.export_path = export_path
        self.push_path = push_endpoint[push_endpoint.index("/", len("http://")):]
        self.push_key = push_key
        self.push_every = push_every
        self.stop = threading.Event()
        self.failures = []
        self.generation = 0              # the last written
        self.acknowledged = []            # (push number, request id), in order sent
        self.admin_reads = 0
        # one a second: {"at": seconds since the start, "A": {...}, "B": {...}},
        # each daemon's rss, anon, file, shmem (its RSS and the parts of it),
        # fds, sqlite, heap_in_use, heap_free; memory in KiB
        self.samples = []
        self.started = time.monotonic()

    def fail(self, message):
        self.failures.append(message)
        self.stop.set()

    def run_thread(self, body):
        def guarded():
            try:
                body()
            except Exception as error:  # any failure of a load thread ends the soak with it
                self.fail(f"{body.__name__}: {error!r}")
        thread = threading.Thread(target=guarded, name=body.__name__, daemon=True)
        thread.start()
        return thread

    def exports(self):
        while not self.stop.wait(CSV_EVERY):
            self.generation += 1
            self.organisation.write_export(self.export_path, self.generation)

    def pushes(self):
        number = 0
        connection = self.a.connection(timeout=120)
        while not self.stop.is_set():
            number += 1
            posted = time.monotonic()
            body = self.organisation.push_body(number)
            connection.request("POST", self.push_path, body=body,
                               headers={"X-HRIS-AUTHENTICATION": self.push_key, "Content-Type": "application/json"})
            answer = connection.getresponse()
            text = answer.read().decode(errors="replace")
            if answer.status != 202:
                raise SoakFailure(f"push {number}: {answer.status} {text}")
            request_id = json.loads(text)["request_id"]
            self.acknowledged.append((number, request_id))
            # The next push once this one has run: pushes back to back, never a queue
            # that grows with the soak's length.
            wait_until(lambda: request_status(self.a, request_id) not in ("received", "validated"),
                       f"push {number} (request {request_id}) to run", 120, self.stop)
            self.stop.wait(max(0.0, posted + self.push_every - time.monotonic()))

    def admin_reads_loop(self):
        paths = ["/admin/v1/pipelines", "/admin/v1/runs?limit=20", "/admin/v1/requests?pipeline=pushes&limit=20",
                 "/admin/v1/outbox?pipeline=export", "/admin/v1/directories/export/directory/users?limit=50",
                 "/admin/v1/directories/export/directory/users?q=an&limit=50",
                 "/admin/v1/directories/pushes/directory/users?q=W-10&limit=20",
                 "/admin/v1/directories/export/directory/departments", "/metrics", "/health"]
        headers = {"Authorization": "Bearer " + ADMIN_TOKEN}
        while not self.stop.is_set():
            for path in paths:
                for daemon in (self.a, self.b) if path.startswith(("/metrics", "/health")) else (self.a,):
                    status, text = daemon.request("GET", path, headers=headers)
                    if status != 200:
                        raise SoakFailure(f"GET {path}: {status} {text[:300]}")
                    self.admin_reads += 1
            self.stop.wait(0.05)

    def sampler(self):
        while not self.stop.is_set():
            try:
                at = time.monotonic() - self.started
                self.samples.append({"at": at, "A": sample(self.a), "B": sample(self.b)})
            except OSError as error:
                raise SoakFailure(f"a daemon is gone: {error}")
            self.stop.wait(1.0)


def flood(port, path, seconds, counts):
    """A process of its own (not the load's GIL): POSTs with a wrong key, at
    most 1,000 a second, for `seconds`; counts the answers by status."""
    import http.client
    deadline = time.monotonic() + seconds
    sent = 0
    start = time.monotonic()
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("POST", path, body=b'{"users": []}',
                               headers={"X-HRIS-AUTHENTICATION": "not-the-key", "Content-Type": "application/json"})
            status = connection.getresponse().status
        except OSError as error:
            status = f"error {error.__class__.__name__}"
        finally:
            connection.close()
        counts[str(status)] = counts.get(str(status), 0) + 1
        sent += 1
        ahead = sent / 1000.0 - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)


# ---- helpers ----------------------------------------------------------------

def wait_until(probe, what, seconds, stop=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if probe():
            return
        if stop is not None and stop.is_set():
            return
        time.sleep(0.05)
    raise SoakFailure(f"waited {seconds} s for {what}")


def request_status(daemon, request_id):
    status, answer = daemon.admin("GET", f"/requests?pipeline=pushes&limit=1&before={int(request_id) + 1}")
    if status != 200 or not answer:
        return None
    rows = answer if isinstance(answer, list) else answer.get("requests", [])
    return rows[0]["status"] if rows and str(rows[0]["id"]) == str(request_id) else None


def directory_rows(path):
    """{hris_id: (job_title, active, synced)} of a directory database."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {hris_id: (title, active, synced) for hris_id, title, active, synced in
                db.execute("SELECT hris_id, job_title, active, synced FROM users WHERE hris_id IS NOT NULL")}
    finally:
        db.close()


def title_history(path, hris_id, prefix):
    """The job titles starting with `prefix` that a directory's audit log
    gave `hris_id`, in order."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT a.new_value FROM audit_log a JOIN users u ON u.id = a.user_id "
                          "WHERE u.hris_id = ? AND a.field = 'job_title' ORDER BY a.id", (hris_id,)).fetchall()
        return [value for (value,) in rows if value.startswith(prefix)]
    finally:
        db.close()


def log_problems(daemon):
    """The Error, Critical and Fatal lines of a daemon's log (its rotated
    files too) and output."""
    problems = []
    logs = sorted(n for n in os.listdir(daemon.dir) if n.startswith("daemon.log")) + ["daemon.out"]
    for name in logs:
        try:
            with open(os.path.join(daemon.dir, name), errors="replace") as f:
                problems += [f"{name}: {line.rstrip()}" for line in f
                             if re.match(r"^\S+ \S+ (Error|Critical|Fatal) ", line) or "Sanitizer" in line]
        except OSError:
            pass
    return problems


def memory_kib(daemon):
    """From the daemon's /metrics, in KiB: SQLite's memory (the soak runs the
    daemons with PEOPLESYNC_SQLITE_STATS=1, so SQLite counts it), and glibc's
    heaps, in use and free (0 where they are not shown)."""
    status, text = daemon.request("GET", "/metrics")
    found = {}
    for key, name in (("sqlite", "sqlite_memory"), ("heap_in_use", "heap_in_use"), ("heap_free", "heap_free")):
        match = re.search(rf"^peoplesync_{name}_bytes (\d+)$", text, re.M) if status == 200 else None
        if key == "sqlite" and not match:
            raise SoakFailure(f"no SQLite memory in /metrics of {daemon.url}: {status} {text[-300:]}")
        found[key] = int(match.group(1)) // 1024 if match else 0
    # The heap trims after each run, and their time in all.
    trims = re.search(r"^peoplesync_heap_trims_total (\d+)$", text, re.M) if status == 200 else None
    trim_seconds = re.search(r"^peoplesync_heap_trim_seconds_total (\S+)$", text, re.M) if status == 200 else None
    found["trims"] = int(trims.group(1)) if trims else 0
    found["trim_seconds"] = float(trim_seconds.group(1)) if trim_seconds else 0.0
    return found


def sample(daemon):
    status = daemon.memory_status_kib()
    return {"rss": status["VmRSS"], "anon": status["RssAnon"], "file": status["RssFile"],
            "shmem": status["RssShmem"], "fds": daemon.open_fds(), **memory_kib(daemon)}


def steady(samples, value, baseline_at, window):
    """(at the baseline, at the end): the median of value(sample) over the
    `window` seconds from `baseline_at`, and over the last `window` seconds.
    A median, not the most: a push being parsed as the sample is taken is
    memory in use for a second, not memory kept; what is kept raises the
    median."""
    last = samples[-1]["at"]
    base = [value(s) for s in samples if baseline_at <= s["at"] <= baseline_at + window]
    end = [value(s) for s in samples if s["at"] >= last - window]
    return statistics.median(base), statistics.median(end)


def peak(samples, value):
    return max(value(s) for s in samples)


# ---- the soak ---------------------------------------------------------------

def config(pipelines, extra=""):
    return ("state_database: var/state.db\n"
            "http: {listen: 127.0.0.1:0, max_body_bytes: 268435456}\n"
            f"admin: {{token: {ADMIN_TOKEN}}}\n"
            # Every request is logged (the flood too): keep every rotated file for the check.
            "log: {target: file, path: daemon.log, keep_files: 1000}\n"
            f"requests: {{keep_bodies: {KEEP_BODIES}}}\n" + extra + "pipelines:\n" + pipelines)


def soak(args):
    bin_dir = os.path.join(args.build_dir, "bin")
    work = args.out
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    data = os.path.join(work, "org")
    subprocess.run([os.path.join(bin_dir, "generate_org"), "--people", str(args.people), "--seed", "7",
                    "--out", data], check=True, stdout=subprocess.DEVNULL)
    organisation = Organisation(data)

    b = Daemon(os.path.join(bin_dir, "peoplesyncd"), os.path.join(work, "b"), config(
        "  - name: hris\n"
        "    source: {type: webhook}\n"
        "    sinks: [{name: directory, type: directory, database: var/directory.db}]\n"), ADMIN_TOKEN, env=COUNT_SQLITE)
    a = None
    try:
        b.start()
        b_key, b_endpoint = b.credentials("hris")
        b.enable("hris")

        export_path = os.path.join(work, "a", "export.csv")
        os.makedirs(os.path.dirname(export_path))
        organisation.write_export(export_path, 0)
        a = Daemon(os.path.join(bin_dir, "peoplesyncd"), os.path.join(work, "a"), config(
            "  - name: export\n"
            f"    schedule: {SCHEDULE}\n"
            "    source:\n"
            "      type: csv\n"
            "      path: export.csv\n"
            "      columns: {hris_id: Worker ID, employee_id: Employee No, first_name: First Name,\n"
            "                last_name: Last Name, email: Work Email, job_title: Job Title,\n"
            "                departments: Department, manager: Manager Employee No, active: Employment Status,\n"
            "                hire_date: Hire Date, phone_number: Work Phone}\n"
            "      manager_by: employee_id\n"
            "      values: {active: {Active: true, Terminated: false}}\n"
            "    sinks:\n"
            "      - {name: directory, type: directory, database: var/export.db}\n"
            f"      - {{name: b, type: webhook, url: \"{b_endpoint}\", api_key_env: SOAK_B_KEY, format: hris,\n"
            "         timeout_secs: 60, retry: {initial_backoff_ms: 200, max_backoff_secs: 2}}\n"
            "  - name: pushes\n"
            "    source: {type: webhook}\n"
            "    sinks: [{name: directory, type: directory, database: var/pushes.db}]\n"),
            ADMIN_TOKEN, env={**COUNT_SQLITE, "SOAK_B_KEY": b_key})
        a.start()
        push_key, push_endpoint = a.credentials("pushes")
        a.enable("pushes")
        a.enable("export")
        log(f"A {a.url} (pid {a.process.pid}), B {b.url} (pid {b.process.pid}); {args.people} people; "
            f"load for {args.seconds} s")

        load = Load(a, b, organisation, export_path, push_endpoint, push_key, args.push_every)
        counts = multiprocessing.Manager().dict()
        flooder = multiprocessing.Process(target=flood, args=(a.port, load.push_path, args.seconds, counts),
                                          daemon=True)
        flooder.start()
        threads = [load.run_thread(f) for f in (load.exports, load.pushes, load.admin_reads_loop, load.sampler)]
        # Each daemon's mappings at the end of the baseline minute and at the end
        # of the load (DIR/smaps-A-start.txt, ...): where memory that grew is.
        baseline_end = min(60.0, args.seconds / 3) + min(60.0, args.seconds / 6)
        if not load.stop.wait(baseline_end):
            save_smaps(work, "start", a, b)
        load.stop.wait(args.seconds - baseline_end)
        save_smaps(work, "end", a, b)
        load.stop.set()
        for thread in threads:
            thread.join(150)
        flooder.join(60)
        if load.failures:
            raise SoakFailure("; ".join(load.failures))
        loaded = time.monotonic() - load.started

        # Settle: the last generation run and delivered, every push run.
        last = load.generation
        wait_until(lambda: a.admin("POST", "/pipelines/export/run", {"detail": False}, 300)[0] == 200,
                   "a run of the export after the load", 300)
        wait_until(lambda: all(s.get("pending", 1) == 0 for s in outbox_sinks(a)), "A's outbox to B to empty", 300)
        wait_until(lambda: b_settled(b), "B's requests to run", 300)
        for number, request_id in load.acknowledged:
            wait_until(lambda: request_status(a, request_id) not in (None, "received", "validated"),
                       f"push {number} to run", 120)

        problems, figures = check(args, a, b, load, counts, last, loaded)
    finally:
        stopped = {}
        for name, daemon in (("A", a), ("B", b)):
            if daemon is not None and daemon.process is not None:
                stopped[name] = daemon.stop()
    for name, status in stopped.items():
        if status != 0:
            raise SoakFailure(f"daemon {name} did not stop cleanly on SIGTERM (exit {status}):\n"
                              f"{(a if name == 'A' else b).output()}")
    more, directories = check_after_stop(organisation, a, b, load, last)
    problems += more
    figures.update(directories)
    with open(os.path.join(work, "soak.json"), "w") as f:
        json.dump({**figures, "problems": problems, "samples": load.samples}, f, indent=1)
    if problems:
        raise SoakFailure("\n  ".join(["the soak found:"] + problems[:40]))
    return figures


def save_smaps(work, when, a, b):
    for name, daemon in (("A", a), ("B", b)):
        with open(os.path.join(work, f"smaps-{name}-{when}.txt"), "w") as f:
            f.write(daemon.smaps())


def outbox_sinks(daemon):
    status, answer = daemon.admin("GET", "/outbox?pipeline=export")
    if status != 200:
        return [{}]
    sinks = answer.get("sinks", answer) if isinstance(answer, dict) else answer
    return sinks if isinstance(sinks, list) and sinks else [{}]


def b_settled(b):
    status, answer = b.admin("GET", "/requests?pipeline=hris&limit=1")
    rows = answer if isinstance(answer, list) else answer.get("requests", []) if isinstance(answer, dict) else []
    return status == 200 and (not rows or rows[0]["status"] not in ("received", "validated"))


def check(args, a, b, load, counts, last, loaded):
    """What can be checked while the daemons run: the requests' statuses, the
    flood's answers, memory and descriptors."""
    problems = []
    statuses = {}
    for number, request_id in load.acknowledged:
        status, answer = a.admin("GET", f"/requests/{request_id}")
        statuses[answer.get("status", "?")] = statuses.get(answer.get("status", "?"), 0) + 1
        if answer.get("status") != "applied":
            problems.append(f"push {number} (request {request_id}) is {answer.get('status')}, not applied")
    b_requests = []
    before = None
    while True:
        status, answer = b.admin("GET", "/requests?pipeline=hris&limit=1000" + (f"&before={before}" if before else ""))
        rows = answer if isinstance(answer, list) else answer.get("requests", [])
        if not rows:
            break
        b_requests += rows
        before = rows[-1]["id"]
    b_statuses = {}
    for row in b_requests:
        b_statuses[row["status"]] = b_statuses.get(row["status"], 0) + 1
    if set(b_statuses) - {"applied", "noop"}:
        problems.append(f"B's requests ended {b_statuses}, not all applied")
    floods = dict(counts)
    if set(floods) - {"401"}:
        problems.append(f"the wrong keys were answered {floods}, not all 401")

    # After the first minute (or a third of a shorter run), over a minute (or
    # a sixth of a shorter run).
    baseline_at = min(60.0, args.seconds / 3)
    window = min(60.0, args.seconds / 6)
    memory = {}
    for name in ("A", "B"):
        def figures(key):
            return steady(load.samples, lambda s: s[name][key], baseline_at, window)
        rss_base, rss_end = figures("rss")
        sql_base, sql_end = figures("sqlite")
        rest_base, rest_end = steady(load.samples, lambda s: s[name]["rss"] - s[name]["sqlite"], baseline_at, window)
        fds_base, fds_end = figures("fds")
        memory[name] = {"rss_kib_baseline": rss_base, "rss_kib_end": rss_end, "rss_ratio": round(rss_end / rss_base, 3),
                        "rss_kib_peak": peak(load.samples, lambda s: s[name]["rss"]),
                        "anon_kib": figures("anon"), "file_kib": figures("file"), "shmem_kib": figures("shmem"),
                        "sqlite_kib_baseline": sql_base, "sqlite_kib_end": sql_end,
                        "sqlite_kib_peak": peak(load.samples, lambda s: s[name]["sqlite"]),
                        "rest_kib_baseline": rest_base, "rest_kib_end": rest_end,
                        "rest_ratio": round(rest_end / rest_base, 3), "fds_baseline": fds_base, "fds_end": fds_end,
                        "heap_in_use_kib": figures("heap_in_use"), "heap_free_kib": figures("heap_free")}
        final = load.samples[-1][name]
        if final["trims"]:
            memory[name]["heap_trims"] = final["trims"]
            memory[name]["heap_trim_ms_mean"] = round(1000 * final["trim_seconds"] / final["trims"], 2)
        # SQLite's page caches fill up to their cache_size as the databases grow (the
        # request log, the audit log): memory meant to grow for a while, then hold,
        # counted apart. The rest of the resident memory is what must stay flat.
        if rest_end > 1.10 * rest_base:
            problems.append(f"daemon {name}'s RSS less SQLite's memory grew from {rest_base:.0f} KiB "
                            f"({baseline_at:.0f} s in) to {rest_end:.0f} KiB at the end ({rest_end / rest_base:.2f}x, "
                            f"more than 1.10x); RSS {rss_base:.0f} -> {rss_end:.0f} KiB, SQLite {sql_base:.0f} -> "
                            f"{sql_end:.0f} KiB")
        if fds_end > fds_base + FD_SLACK:
            problems.append(f"daemon {name}'s open file descriptors grew from {fds_base} to {fds_end}")
    return problems, {"seconds": round(loaded, 1), "people": args.people, "generations_written": last,
            "pushes_applied": statuses.get("applied", 0), "b_requests": b_statuses,
            "admin_reads": load.admin_reads, "wrong_keys_refused": floods.get("401", 0),
            "memory": memory, "baseline_seconds": baseline_at, "window_seconds": window}


def check_after_stop(organisation, a, b, load, last):
    """The directories, read once both daemons stopped, and the logs."""
    problems = []
    first_id = organisation.rows[0][organisation.id_column]
    exported = title_history(os.path.join(a.dir, "var", "export.db"), first_id, "Generation ")
    delivered = title_history(os.path.join(b.dir, "var", "directory.db"), first_id, "Generation ")
    numbers = [int(t.split()[1]) for t in exported]
    if numbers != sorted(set(numbers)):
        problems.append(f"A's export directory took the generations out of order: {numbers}")
    if delivered != exported:
        problems.append(f"B took other generations than A applied, or in another order:\n    A {exported}\n"
                        f"    B {delivered}")
    expected = organisation.export_titles(last)
    for name, path in (("A's export", os.path.join(a.dir, "var", "export.db")),
                       ("B's", os.path.join(b.dir, "var", "directory.db"))):
        problems += differences(name, directory_rows(path), expected)

    pushed = title_history(os.path.join(a.dir, "var", "pushes.db"), organisation.users[0]["hris_id"], "Push ")
    sent = [f"Push {number}" for number, _ in load.acknowledged]
    # The first push creates the people (no title change in the audit log).
    if pushed != sent[1:] and pushed != sent:
        problems.append(f"A's pushes directory took other pushes than acknowledged, or in another order:\n"
                        f"    sent {sent}\n    took {pushed}")
    if load.acknowledged:
        problems += differences("A's pushes", directory_rows(os.path.join(a.dir, "var", "pushes.db")),
                                organisation.push_titles(load.acknowledged[-1][0]))
    for daemon in (a, b):
        problems += log_problems(daemon)
    bodies = {}
    for name, daemon in (("A", a), ("B", b)):
        folder = os.path.join(daemon.dir, "var", "state.db.requests")
        bodies[name] = len(os.listdir(folder)) if os.path.isdir(folder) else 0
        # Every request is finished once the daemons settled: none keeps its body past the newest.
        if bodies[name] > KEEP_BODIES:
            problems.append(f"daemon {name} keeps {bodies[name]} request bodies, more than requests.keep_bodies "
                            f"({KEEP_BODIES})")
    return problems, {"generations_applied_by_a": len(exported), "generations_delivered_to_b": len(delivered),
            "pushes_taken_in_order": len(pushed), "request_bodies_kept": bodies}


def differences(name, rows, titles):
    """What a directory holds otherwise than `titles` ({hris_id: title}), synced."""
    found = []
    missing = [h for h in titles if h not in rows]
    if missing:
        found.append(f"{name} directory lacks {len(missing)} people, e.g. {missing[:3]}")
    extra = [h for h in rows if h not in titles]
    if extra:
        found.append(f"{name} directory has {len(extra)} people the snapshot has not, e.g. {extra[:3]}")
    wrong = [(h, rows[h][0], t) for h, t in titles.items() if h in rows and rows[h][0] != t]
    if wrong:
        found.append(f"{name} directory has {len(wrong)} other titles than the last snapshot, e.g. {wrong[:3]}")
    unsynced = [h for h in titles if h in rows and not rows[h][2]]
    if unsynced:
        found.append(f"{name} directory has {len(unsynced)} people not synced, e.g. {unsynced[:3]}")
    return found


def main():
    parser = argparse.ArgumentParser(description="two peoplesyncd under mixed load, then checked")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--push-every", type=float, default=2.0,
                        help="seconds from one push to the next (default 2; 0: back to back)")
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--out", default=None, help="the work folder (default: a temporary one, removed on success)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    if args.seconds < 15 or args.seconds > 24 * 3600:
        parser.error("--seconds: from 15 to 86400")
    if args.people < 100:
        parser.error("--people: 100 or more")
    temporary = args.out is None
    args.out = args.out or tempfile.mkdtemp(prefix="peoplesync-soak-")
    try:
        figures = soak(args)
    except (SoakFailure, DaemonError) as error:
        log(f"FAILED: {error}")
        log(f"its folder (daemon logs in a/ and b/): {args.out}")
        sys.exit(1)
    log("passed: " + json.dumps(figures))
    if temporary and not args.keep:
        shutil.rmtree(args.out, ignore_errors=True)


if __name__ == "__main__":
    main()
