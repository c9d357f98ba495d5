"""peoplesync for Windows (scripts/windows) under wine64, end to end: the
CLI on the shipped configuration, written with CRLF line ends and Windows
paths; peoplesyncd.exe taking the guide's push over real HTTP on 127.0.0.1
from this Linux side; and the service's life cycle through Wine's service
control manager (register, start, query, /health, stop, unregister).

    python3 tests/windows/windows_test.py --build-dir build-windows [-v]

`ctest -L windows` in build-windows runs it (scripts/windows --test); the
Wine helpers are tests/support/wine.py."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from peoplesyncd import Daemon  # noqa: E402
from wine import WINE, run, run_tests, windows_path, wine_env  # noqa: E402

ADMIN_TOKEN = "windows-test-admin-token-0123456789"
SERVICE = "peoplesyncd"
BUILD = None   # set by main()


def wine(*args, timeout=120, check=True, env=None):
    """(exit status, output) of a Windows program under Wine."""
    status, output, _ = run(*args, timeout=timeout, env=env)
    if check and status != 0:
        raise AssertionError(f"{' '.join(args)} ended with {status}:\n{output}")
    return status, output


def program(name):
    return os.path.join(BUILD, "bin", name)


def shipped_config(folder, log_to_file=False):
    """etc/peoplesync.yaml as a Windows admin would keep it: CRLF line ends,
    the export named by a drive letter and backslashes, the databases in
    var\\ beside it. Returns its Windows path."""
    with open(os.path.join(ROOT, "etc", "peoplesync.yaml")) as f:
        text = f.read()
    export = windows_path(os.path.join(ROOT, "samples", "employees.csv"))
    text = text.replace("${PEOPLESYNC_VAR:-../var}/peoplesync-state.db", "var\\state.db")
    text = text.replace("${PEOPLESYNC_VAR:-../var}/", "var\\")
    text = text.replace("${PEOPLESYNC_EXPORT:-../samples/employees.csv}", export)
    text = text.replace("${PEOPLESYNC_LISTEN:-127.0.0.1:8080}", "127.0.0.1:0")
    text = text.replace("${PEOPLESYNC_ADMIN_TOKEN:-}", ADMIN_TOKEN)
    if log_to_file:
        text = re.sub(r"target: console\b", "target: file\n  path: log\\\\peoplesyncd.log", text)
    os.makedirs(os.path.join(folder, "var"), exist_ok=True)
    os.makedirs(os.path.join(folder, "log"), exist_ok=True)
    path = os.path.join(folder, "peoplesync.yaml")
    with open(path, "w", newline="\r\n") as f:
        f.write(text)
    return path


class WindowsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="peoplesync-windows-")
        self.log_dir = self.dir  # where shipped_config put log\peoplesyncd.log

    def tearDown(self):
        if os.environ.get("PEOPLESYNC_KEEP"):
            print(f"kept {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, config, *args, check=True):
        return wine(program("peoplesync.exe"), "--config", windows_path(config), *args, check=check)

    def test_the_cli_applies_the_csv_sample_from_a_crlf_configuration_with_windows_paths(self):
        config = shipped_config(self.dir)
        _, output = self.cli(config, "validate")
        self.assertIn("hr-csv", output)
        _, output = self.cli(config, "enable", "hr-csv")
        _, output = self.cli(config, "run", "hr-csv")
        self.assertRegex(output, r"run 1 of pipeline hr-csv: applied")
        self.assertRegex(output, r"created\s+50\b")
        _, output = self.cli(config, "directory", "--pipeline", "hr-csv", "show", "jose.alvarez@example.com")
        self.assertIn("Álvarez", output)
        self.assertIn("VP Engineering", output)
        # The run lock is a LockFileEx lock beside the state database.
        self.assertTrue(os.path.exists(os.path.join(self.dir, "var", "state.db.hr-csv.lock")))
        # A second run changes nothing.
        _, output = self.cli(config, "run", "hr-csv")
        self.assertRegex(output, r"run 2 of pipeline hr-csv: noop")

    def test_a_bad_configuration_is_refused_with_its_line(self):
        path = os.path.join(self.dir, "peoplesync.yaml")
        with open(path, "w", newline="\r\n") as f:
            f.write("state_database: var\\state.db\npipelines:\n  - name: x\n    source: {type: csv, pathh: a.csv}\n"
                    "    sinks: [{type: directory, database: var\\directory.db}]\n")
        status, output = self.cli(path, "validate", check=False)
        self.assertNotEqual(status, 0)
        self.assertIn("pathh", output)
        self.assertRegex(output, r"peoplesync\.yaml:4")

    def test_peoplesyncd_takes_the_guides_push_from_a_linux_client(self):
        config = shipped_config(self.dir)
        with open(config) as f:
            text = f.read()
        daemon = Daemon(program("peoplesyncd.exe"), self.dir, text, ADMIN_TOKEN, env=wine_env(), launcher=[WINE])
        daemon.start(seconds=60)
        try:
            status, text = daemon.get("/health")
            self.assertEqual(status, 200, text)
            # A second daemon on the same state database is refused (a
            # LockFileEx lock), and the first one goes on serving.
            status, output = wine(program("peoplesyncd.exe"), "--config", windows_path(daemon.config), check=False,
                                  timeout=60)
            self.assertEqual(status, 70, output)
            self.assertRegex(output, r"another daemon, peoplesyncd \(pid \d+\), serves the state database")
            self.assertEqual(daemon.get("/health")[0], 200)
            api_key, endpoint = daemon.credentials("hris-webhook")
            path = endpoint[endpoint.index("/", len("http://")):]
            with open(os.path.join(ROOT, "samples", "webhook-data-example.json"), "rb") as f:
                body = f.read()
            headers = {"X-HRIS-AUTHENTICATION": api_key, "Content-Type": "application/json"}
            status, text = daemon.request("POST", path, body, headers)
            self.assertEqual(status, 202, text)
            self.assertEqual(json.loads(text)["mode"], "test")
            status, text = daemon.request("POST", path, body, {**headers, "X-HRIS-AUTHENTICATION": "wrong"})
            self.assertEqual(status, 401, text)
            daemon.enable("hris-webhook")
            status, text = daemon.request("POST", path, body, headers)
            self.assertEqual(status, 202, text)
            live = json.loads(text)
            self.assertEqual(live["mode"], "live")
            deadline = time.monotonic() + 60
            while True:
                answer = daemon.admin_ok("GET", f"/requests/{live['request_id']}")
                if answer.get("status") in ("applied", "failed", "rejected") or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            self.assertEqual(answer.get("status"), "applied", answer)
            users = daemon.admin_ok("GET", "/directories/hris-webhook/directory/users?q=john")
            self.assertIn("john.doe@7geese.com", json.dumps(users))
        finally:
            daemon.process.kill()
            daemon.process.wait()

    def test_log_target_syslog_writes_to_the_event_log(self):
        # Wine's event log keeps nothing to read back; its trace channel shows
        # each ReportEventW call, and so what the daemon reported.
        with open(shipped_config(self.dir)) as f:
            text = re.sub(r"target: console\b", "target: syslog", f.read())
        daemon = Daemon(program("peoplesyncd.exe"), self.dir, text, ADMIN_TOKEN,
                        env={**wine_env(), "WINEDEBUG": "-all,+eventlog"}, launcher=[WINE])
        daemon.start(seconds=60)
        try:
            self.assertEqual(daemon.get("/health")[0], 200)
        finally:
            daemon.process.kill()
            daemon.process.wait()
        output = daemon.output()
        self.assertRegex(output, r'ReportEventW L"peoplesyncd: peoplesyncd [0-9.]+ \(pid \d+\) serves http://127\.0\.0\.1:')
        self.assertIn('ReportEventW L"peoplesyncd.http: GET /health 200 from 127.0.0.1', output)

    def test_the_service_starts_serves_and_stops_under_the_service_control_manager(self):
        # As the README installs it: from the unpacked zip, with its etc\peoplesync.yaml edited.
        root = self.unpacked_zip()
        self.log_dir = os.path.join(root, "etc")
        config = shipped_config(self.log_dir, log_to_file=True)
        daemon_exe = windows_path(os.path.join(root, "bin", "peoplesyncd.exe"))
        wine(daemon_exe, "--unregisterService", check=False)
        _, output = wine(daemon_exe, "/registerService", "/startup=manual", "--config", windows_path(config))
        self.assertIn("registered", output)
        try:
            # The service's command line names the configuration (Wine's sc has no qc: the registry).
            _, output = wine("reg.exe", "query", "HKLM\\System\\CurrentControlSet\\Services\\" + SERVICE, "/v",
                             "ImagePath")
            self.assertIn(f'peoplesyncd.exe" --config "{windows_path(config)}"', output)
            wine("sc.exe", "start", SERVICE)
            runtime = os.path.join(self.log_dir, "var", "state.db.peoplesyncd.json")
            deadline = time.monotonic() + 60
            while not os.path.exists(runtime) and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertTrue(os.path.exists(runtime), self.log())
            with open(runtime) as f:
                url = json.load(f)["url"]
            status = subprocess.run(["curl", "-s", "-m", "10", url + "/health"], stdout=subprocess.PIPE)
            self.assertIn(b'"status":"ok"', status.stdout, self.log())
            _, output = wine("sc.exe", "query", SERVICE)
            self.assertIn("RUNNING", output)
            wine("sc.exe", "stop", SERVICE, check=False)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                _, output = wine("sc.exe", "query", SERVICE)
                if "STOPPED" in output:
                    break
                time.sleep(0.5)
            self.assertIn("STOPPED", output, self.log())
            log = self.log()
            self.assertIn("service stop", log)
            self.assertNotRegex(log, r" (Error|Critical|Fatal) ")
        finally:
            wine(daemon_exe, "--unregisterService", check=False)
        status, _ = wine("sc.exe", "query", SERVICE, check=False)
        self.assertNotEqual(status, 0)  # gone

    def unpacked_zip(self):
        """The zip unpacked in the test's folder: the folder it holds."""
        zips = [name for name in os.listdir(BUILD) if re.fullmatch(r"peoplesync-.*-win64\.zip", name)]
        self.assertEqual(len(zips), 1, f"no zip in {BUILD}: scripts/windows makes it (cpack -G ZIP)")
        subprocess.run(["unzip", "-q", os.path.join(BUILD, zips[0]), "-d", self.dir], check=True)
        return os.path.join(self.dir, zips[0][:-len(".zip")])

    def test_the_zip_runs_its_shipped_configuration_as_it_is(self):
        root = self.unpacked_zip()
        # Nothing from the build tree: the unpacked folder only, its plugins found beside its programs.
        env = {"PEOPLESYNC_VAR": windows_path(os.path.join(self.dir, "var"))}
        config = windows_path(os.path.join(root, "etc", "peoplesync.yaml"))
        program_path = windows_path(os.path.join(root, "bin", "peoplesync.exe"))
        _, output = wine(program_path, "--config", config, "plugins", env=env)
        self.assertIn("lib\\peoplesync\\plugins", output)
        for plugin in ("csv", "directory", "webhook", "ldap"):
            self.assertIn(plugin, output)
        wine(program_path, "--config", config, "enable", "hr-csv", env=env)
        _, output = wine(program_path, "--config", config, "run", "hr-csv", env=env)
        self.assertRegex(output, r"applied")
        self.assertRegex(output, r"created\s+50\b")
        _, output = wine(windows_path(os.path.join(root, "bin", "peoplesyncd.exe")), "--version")
        self.assertIn("peoplesyncd", output)

    def test_a_plugin_built_against_the_zips_sdk_runs_in_a_pipeline(self):
        # As a plugin author on Windows would: the sample plugin, built with the same mingw-w64
        # g++ against the SDK in the zip alone, named in plugin_dirs beside the zip's plugins.
        root = self.unpacked_zip()
        build = os.path.join(self.dir, "plugin-build")
        subprocess.run(["cmake", "-S", os.path.join(ROOT, "samples", "custom-source-plugin"), "-B", build,
                        f"-DCMAKE_TOOLCHAIN_FILE={os.path.join(ROOT, 'cmake', 'mingw-w64.cmake')}",
                        f"-DPeopleSyncSDK_DIR={os.path.join(root, 'lib', 'cmake', 'PeopleSyncSDK')}",
                        "-DBUILD_TESTING=OFF", "-DCMAKE_BUILD_TYPE=Release"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", build], check=True, stdout=subprocess.DEVNULL)
        self.assertTrue(os.path.exists(os.path.join(build, "peoplesync-source-jsonl.dll")))
        shutil.copy(os.path.join(ROOT, "samples", "custom-source-plugin", "example", "people.jsonl"), self.dir)
        config = os.path.join(self.dir, "peoplesync.yaml")
        with open(config, "w", newline="\r\n") as f:
            f.write(f"plugin_dirs: [{windows_path(os.path.join(root, 'lib', 'peoplesync', 'plugins'))}, "
                    f"{windows_path(build)}]\nstate_database: var\\state.db\npipelines:\n  - name: mine\n"
                    "    source: {type: jsonl, path: people.jsonl}\n"
                    "    sinks: [{type: directory, database: var\\directory.db}]\n")
        cli = windows_path(os.path.join(root, "bin", "peoplesync.exe"))
        _, output = wine(cli, "--config", windows_path(config), "plugins")
        self.assertIn("source jsonl: People from a JSON-lines file", output)
        wine(cli, "--config", windows_path(config), "enable", "mine")
        _, output = wine(cli, "--config", windows_path(config), "run", "mine")
        self.assertIn("run 1 of pipeline mine: applied (live mode, 3 users read)", output)
        self.assertRegex(output, r"created\s+3\b")

    def log(self):
        try:
            with open(os.path.join(self.log_dir, "log", "peoplesyncd.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return "(no log)"


def main():
    def take(build_dir):
        global BUILD
        BUILD = build_dir
    run_tests(take)


if __name__ == "__main__":
    main()
