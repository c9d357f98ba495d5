"""What the console's browser tests share: a real peoplesyncd started on a
free 127.0.0.1 port in a folder of its own, Debian's chromium driven by
chromium-driver through Selenium, headless, and screenshots of every page
written to build/test-artifacts/browser/.

Paths come from the environment ctest sets (tests/browser/CMakeLists.txt):
PEOPLESYNCD, PEOPLESYNC_CLI, PEOPLESYNC_SOURCE_DIR, PEOPLESYNC_ARTIFACTS."""

import http.server
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import peoplesyncd  # noqa: E402  (a daemon started and talked to, as the soak does)

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException, TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as error:  # say what to install rather than skip
    raise SystemExit(f"the browser tests need python3-selenium, chromium and chromium-driver "
                     f"(scripts/setup installs them): {error}")

ADMIN_TOKEN = "browser-admin-token-0123456789abcdef"
# The viewer's time zone in every test, so that the dates the page shows can be checked.
VIEWER_TIME_ZONE = "Asia/Tokyo"
DESKTOP = (1280, 800)
PHONE = (390, 844)

PEOPLESYNCD = os.environ.get("PEOPLESYNCD", "")
CLI = os.environ.get("PEOPLESYNC_CLI", "")
SOURCE_DIR = os.environ.get("PEOPLESYNC_SOURCE_DIR", "")
ARTIFACTS = os.environ.get("PEOPLESYNC_ARTIFACTS", "")


def find_program(*names):
    for name in names:
        path = shutil.which(name) or (name if os.path.exists(name) else None)
        if path:
            return path
    raise SystemExit(f"none of {', '.join(names)} is installed (scripts/setup installs chromium and chromium-driver)")


class Daemon(peoplesyncd.Daemon):
    """peoplesyncd on a configuration of the test's, in a temporary folder."""

    def __init__(self, pipelines, admin_extra=""):
        folder = tempfile.mkdtemp(prefix="peoplesync-browser-")
        shutil.copy(os.path.join(SOURCE_DIR, "samples", "webhook-data-example.json"), folder)
        super().__init__(PEOPLESYNCD, folder,
                         "state_database: var/state.db\n"
                         "http:\n  listen: 127.0.0.1:0\n"
                         f"admin:\n  token: {ADMIN_TOKEN}\n{admin_extra}"
                         "log:\n  target: file\n  path: daemon.log\n"
                         f"pipelines:\n{pipelines}", ADMIN_TOKEN)

    def start(self, env=None):
        self.env = {**os.environ, **(env or {})}
        try:
            return super().start(15)
        except peoplesyncd.DaemonError as error:
            raise AssertionError(str(error)) from error

    def log(self):
        try:
            with open(os.path.join(self.dir, "daemon.log")) as f:
                return f.read()
        except OSError:
            return "(no log)"

    def stop(self):
        super().stop(10)

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def request(self, method, path, body=None, headers=None, timeout=30):
        """(status, text); a body that is not bytes is sent as JSON."""
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        return super().request(method, path, data, headers, timeout)

    def post_snapshot(self, endpoint, key, snapshot):
        body = snapshot if isinstance(snapshot, bytes) else json.dumps(snapshot).encode()
        request = urllib.request.Request(endpoint, data=body, method="POST",
                                         headers={"X-HRIS-AUTHENTICATION": key, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def wait_for_request(self, request_id, statuses):
        return wait_for(lambda: (lambda r: r if r.get("status") in statuses else None)(
            self.admin("GET", f"/requests/{request_id}")[1]), f"request {request_id} to be {statuses}")


def wait_for(probe, what, seconds=10):
    """Polls `probe` until it returns something true; fails naming `what`."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"waited {seconds} s for {what}; last: {last!r}")


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers with the status the test sets."""

    def __init__(self, status):
        self.status = status
        self.received = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.received.append((owner.status, self.headers.get("X-HRIS-AUTHENTICATION"), body))
                answer = b'{"status": "ok"}' if owner.status < 300 else b'{"error": "wrong API key"}'
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def start_chromium(profile):
    """Debian's chromium, headless, with a fresh profile in `profile`, through chromium-driver."""
    options = webdriver.ChromeOptions()
    options.binary_location = find_program("chromium", "/usr/bin/chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                     f"--window-size={DESKTOP[0]},{DESKTOP[1]}"]:
        options.add_argument(argument)
    # The page's console messages, so that a test sees a module that failed to load or threw.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(find_program("chromedriver", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


class ConsoleTestCase(unittest.TestCase):
    """A daemon (made by the test with `daemon(...)`) and a browser, both ended whatever happens."""

    def setUp(self):
        self.daemons = []
        self.profile = tempfile.mkdtemp(prefix="peoplesync-chromium-")
        self.driver = start_chromium(self.profile)
        self.driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": VIEWER_TIME_ZONE})
        self.viewport(DESKTOP, mobile=False)
        self.addCleanup(self.end)

    def end(self):
        failed = not getattr(self._outcome, "success", True)
        if failed or os.environ.get("PEOPLESYNC_BROWSER_KEEP"):
            self.shot("failure")
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)
        for daemon in self.daemons:
            daemon.stop()
            daemon.remove()

    def viewport(self, size, mobile):
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": mobile})

    def daemon(self, pipelines, admin_extra="", env=None):
        daemon = Daemon(pipelines, admin_extra)
        self.daemons.append(daemon)
        return daemon.start(env)

    # ---- Looking at the page.

    def open(self, daemon, hash_route=""):
        self.driver.get(daemon.url + "/console/" + hash_route)

    def go(self, hash_route):
        self.driver.execute_script("location.hash = arguments[0]", hash_route)

    def wait(self, condition, what, seconds=10):
        try:
            # The page replaces what it shows as data arrives: an element found a moment ago may be gone.
            return WebDriverWait(self.driver, seconds, poll_frequency=0.05,
                                 ignored_exceptions=[StaleElementReferenceException]).until(lambda d: condition())
        except TimeoutException:
            self.fail(f"waited {seconds} s for {what}; the page says:\n{self.main_text()}")

    def find(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def main_text(self):
        return self.driver.execute_script("const main = document.getElementById('main'); "
                                          "return main ? main.innerText : '(no page)'")

    def heading(self):
        return self.driver.execute_script("const h1 = document.querySelector('main h1'); "
                                          "return h1 ? h1.innerText : ''")

    def wait_for_heading(self, text):
        self.wait(lambda: self.heading() == text and not self.find("main .loading"), f"the page {text!r}")

    def wait_for_text(self, text, seconds=10):
        self.wait(lambda: text in self.main_text(), f"{text!r} on the page", seconds)

    def button(self, label):
        for button in self.find("button"):
            if button.is_displayed() and button.text.strip() == label:
                return button
        self.fail(f"no button {label!r}; the page says:\n{self.main_text()}")

    def button_starting(self, prefix):
        for button in self.find("button"):
            if button.is_displayed() and button.text.strip().startswith(prefix):
                return button
        self.fail(f"no button starting {prefix!r}; the page says:\n{self.main_text()}")

    def dialog(self):
        dialogs = self.find("dialog[open]")
        self.assertTrue(dialogs, "no confirmation dialog opened")
        return dialogs[0]

    def confirm(self, label):
        dialog = self.dialog()
        text = dialog.text
        for button in dialog.find_elements(By.TAG_NAME, "button"):
            if button.text.strip() == label:
                button.click()
                self.wait(lambda: not self.find("dialog[open]"), "the dialog to close")
                return text
        self.fail(f"the dialog has no button {label!r}: {text}")

    def assert_no_alert(self):
        try:
            alert = self.driver.switch_to.alert
            text = alert.text
            alert.dismiss()
            self.fail(f"a JavaScript alert fired: {text!r}")
        except NoAlertPresentException:
            pass

    def assert_no_console_errors(self):
        """Nothing went wrong in the page's scripts since the last look: no error thrown or logged, no console
        file refused. The API's refusals (a wrong token's 401, the sign-in page's session check) are answers
        the page shows, so the browser's "Failed to load resource" for /admin/ and /console/session is left out."""
        errors = [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"
                  and not (entry.get("source") == "network" and re.search(r"/(admin/|console/session)", entry["message"]))]
        self.assertEqual(errors, [], "the browser's console logged errors")

    def sign_in(self, daemon, secret=ADMIN_TOKEN):
        self.open(daemon)
        self.wait_for_heading("Sign in")
        field = self.driver.find_element(By.ID, "secret")
        field.send_keys(secret, Keys.ENTER)
        self.wait_for_heading("Pipelines")

    def shot(self, name):
        """The page at 1280×800 and at a phone's width, as build/test-artifacts/browser/<test>-<name>[-phone].png;
        at the phone's width the page itself must not scroll sideways (wide tables scroll in their frame)."""
        if not ARTIFACTS:
            return
        os.makedirs(ARTIFACTS, exist_ok=True)
        base = os.path.join(ARTIFACTS, f"{type(self).__name__}-{name}")
        self.driver.save_screenshot(base + ".png")
        if name == "failure":
            return
        self.viewport(PHONE, mobile=True)
        try:
            overflow = self.driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            self.driver.save_screenshot(base + "-phone.png")
            self.assertLessEqual(overflow, 0, f"{name}: at {PHONE[0]} px the page scrolls sideways by {overflow} px")
        finally:
            self.viewport(DESKTOP, mobile=False)


def main():
    import sys
    missing = [name for name, value in [("PEOPLESYNCD", PEOPLESYNCD), ("PEOPLESYNC_CLI", CLI),
                                        ("PEOPLESYNC_SOURCE_DIR", SOURCE_DIR)] if not value]
    if missing:
        raise SystemExit(f"set {', '.join(missing)} (ctest does: ctest --test-dir build -L browser)")
    unittest.main(module="__main__", argv=[sys.argv[0]] + sys.argv[1:], verbosity=2)
