"""A real peoplesyncd for Python tests and tools: started on a free port of
127.0.0.1 in a folder of its own, found through its runtime file
(<state_database>.peoplesyncd.json), talked to over HTTP, stopped with
SIGTERM. Used by the soak (tests/soak/soak.py) and the browser tests
(tests/browser/harness.py)."""

import http.client
import json
import os
import re
import signal
import subprocess
import time
import urllib.parse


class DaemonError(Exception):
    pass


class Daemon:
    """peoplesyncd in `folder` with the configuration `config` (YAML text
    whose state_database is var/state.db, whose http.listen is
    127.0.0.1:0 and whose admin.token is `admin_token`)."""

    def __init__(self, program, folder, config, admin_token, env=None, launcher=None):
        self.program = program
        # A program to start it through (["wine64"] for peoplesyncd.exe): its
        # process id is then not the daemon's own.
        self.launcher = launcher or []
        self.dir = folder
        self.admin_token = admin_token
        self.env = {**os.environ, **(env or {})}
        os.makedirs(os.path.join(folder, "var"), exist_ok=True)
        self.config = os.path.join(folder, "peoplesync.yaml")
        with open(self.config, "w") as f:
            f.write(config)
        self.process = None
        self.url = None
        self.port = None

    def start(self, seconds=30):
        runtime = os.path.join(self.dir, "var", "state.db.peoplesyncd.json")
        if self.launcher and os.path.exists(runtime):
            os.remove(runtime)  # the one it writes is the only one then
        with open(os.path.join(self.dir, "daemon.out"), "ab") as out:
            self.process = subprocess.Popen(self.launcher + [self.program, "--config", self.config], cwd=self.dir,
                                            env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with open(runtime) as f:
                    info = json.load(f)
                if info.get("pid") == self.process.pid or self.launcher:
                    self.url = info["url"]
                    self.port = urllib.parse.urlsplit(self.url).port
                    if self.get("/health")[0] == 200:
                        return self
            except (OSError, ValueError, DaemonError):
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise DaemonError(f"peoplesyncd in {self.dir} did not start; its output:\n{self.output()}")

    def output(self):
        text = ""
        for name in ("daemon.out", "daemon.log"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    text += f"--- {name}\n" + f.read()[-4000:]
            except OSError:
                pass
        return text

    def stop(self, seconds=30):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None

    def connection(self, timeout=60):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=60):
        """(status, text) of one request on a connection of its own."""
        connection = self.connection(timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            return answer.status, answer.read().decode(errors="replace")
        except OSError as error:
            raise DaemonError(f"{method} {path}: {error}") from error
        finally:
            connection.close()

    def get(self, path):
        return self.request("GET", path)

    def admin(self, method, path, body=None, timeout=600):
        """(status, JSON or text) of an admin API call."""
        status, text = self.request(method, "/admin/v1" + path,
                                    None if body is None else json.dumps(body).encode(),
                                    {"Authorization": "Bearer " + self.admin_token,
                                     "Content-Type": "application/json"}, timeout)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def admin_ok(self, method, path, body=None, timeout=600):
        status, answer = self.admin(method, path, body, timeout)
        if status != 200:
            raise DaemonError(f"{method} /admin/v1{path}: {status} {answer}")
        return answer

    def credentials(self, pipeline):
        """(api_key, endpoint URL) of a webhook pipeline, made anew."""
        output = self.admin_ok("POST", f"/pipelines/{pipeline}/commands/source/credentials",
                               {"arguments": [self.url]})["output"]
        return re.search(r"api_key: (\S+)", output).group(1), re.search(r"url: (\S+)", output).group(1)

    def enable(self, pipeline):
        self.admin_ok("POST", f"/pipelines/{pipeline}/enable")

    def rss_kib(self):
        return self.memory_status_kib()["VmRSS"]

    def memory_status_kib(self):
        """VmRSS and its parts from /proc/PID/status, in KiB: RssAnon (heaps,
        stacks), RssFile (mapped files: the code, the libraries), RssShmem
        (shared memory: SQLite's -shm files)."""
        found = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0, "RssShmem": 0}
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                name = line.split(":", 1)[0]
                if name in found:
                    found[name] = int(line.split()[1])
        return found

    def smaps(self):
        """/proc/PID/smaps: the memory of each mapping."""
        with open(f"/proc/{self.process.pid}/smaps") as f:
            return f.read()

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))
