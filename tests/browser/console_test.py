#!/usr/bin/env python3
"""The console in a real Chromium against a real peoplesyncd: the scenarios of
issue 19's Tests section, each asserting what the user sees. ctest runs one
class per test (label `browser`); run one by hand with
  PEOPLESYNCD=build/bin/peoplesyncd PEOPLESYNC_CLI=build/bin/peoplesync PEOPLESYNC_SOURCE_DIR=. \\
  PEOPLESYNC_ARTIFACTS=build/test-artifacts/browser /usr/bin/python3 tests/browser/console_test.py SignIn"""

import datetime
import json
import os
import re
import subprocess
import tempfile
import zoneinfo

from harness import (ADMIN_TOKEN, SOURCE_DIR, VIEWER_TIME_ZONE, By, ConsoleTestCase, Keys, Receiver, main,
                     wait_for)

WEBHOOK_PIPELINE = """  - name: hris-webhook
    source: {type: webhook}
    sinks:
      - {type: directory, database: var/webhook-directory.db}
"""


def shown_time(iso):
    """How the page writes an ISO 8601 UTC time in the viewer's zone (Intl's medium date and time, en-US)."""
    when = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(zoneinfo.ZoneInfo(VIEWER_TIME_ZONE))
    return f"{when:%b} {when.day}, {when.year}, {when.hour % 12 or 12}:{when:%M:%S} {'AM' if when.hour < 12 else 'PM'}"


class SignIn(ConsoleTestCase):
    def test_a_wrong_token_is_refused_and_the_right_one_signs_in(self):
        daemon = self.daemon(WEBHOOK_PIPELINE)
        self.open(daemon)
        self.wait_for_heading("Sign in")
        self.assertIn("#/signin", self.driver.current_url)
        self.assertFalse(self.driver.find_element(By.ID, "nav").is_displayed(), "the pages' links show before sign-in")
        self.shot("sign-in")

        field = self.driver.find_element(By.ID, "secret")
        self.assertEqual(self.driver.switch_to.active_element, field, "the token's field has the focus")
        field.send_keys("not-the-token-0123456789", Keys.ENTER)
        self.wait_for_text("Not signed in: wrong admin token.")
        self.assertEqual(self.heading(), "Sign in")
        self.shot("wrong-token")

        field.clear()
        field.send_keys(ADMIN_TOKEN, Keys.ENTER)
        self.wait_for_heading("Pipelines")
        self.assertIn("hris-webhook", self.main_text())
        cookie = self.driver.get_cookie("peoplesync_session")
        self.assertTrue(cookie["httpOnly"])
        self.assertEqual(cookie["sameSite"], "Strict")

        # Keyboard only: from the page's heading back to the links, to another page.
        self.assertEqual(self.driver.switch_to.active_element.tag_name, "h1")
        self.driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
        self.assertEqual(self.driver.switch_to.active_element.text, "Sign out")
        self.driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
        self.assertEqual(self.driver.switch_to.active_element.text, "Deliveries")
        self.driver.switch_to.active_element.send_keys(Keys.ENTER)
        self.wait_for_heading("Deliveries")

        self.button("Sign out").click()
        self.wait_for_heading("Sign in")
        self.wait_for_text("Signed out.")
        self.assertIsNone(self.driver.get_cookie("peoplesync_session"))
        self.go("#/runs")
        self.wait_for_heading("Sign in")
        self.assert_no_console_errors()


class WebhookGuide(ConsoleTestCase):
    """The guide's flow: credentials, the curl example, the logs, Simulate, Enable, the same request again."""

    def test_the_guides_curl_example_logged_simulated_enabled_and_applied(self):
        daemon = self.daemon(WEBHOOK_PIPELINE)
        self.sign_in(daemon)
        self.wait_for_text("No credentials yet")
        self.assertIn("test mode", self.main_text())
        self.assertIn("normal: users missing from a snapshot are unsynced", self.main_text())
        self.shot("pipelines-test-mode")

        self.button("New credentials").click()
        said = self.confirm("Make new credentials")
        self.assertIn("the old ones stop working", said)
        self.wait(lambda: self.find("pre.curl"), "the curl command")
        key = self.find(".secret code.key")[0].text
        endpoint = self.find(".secret code.endpoint-url")[0].text
        self.assertRegex(key, r"^[0-9a-f]{40}$")
        self.assertTrue(endpoint.startswith(daemon.url + "/hriswebhook/sync/"), endpoint)
        self.assertIn("The API key is shown only now.", self.main_text())
        curl = self.find("pre.curl")[0].text
        self.assertIn(f'--header "X-HRIS-AUTHENTICATION: {key}"', curl)
        self.shot("new-credentials")

        # The guide's command as the page wrote it, from the example's folder.
        posted = subprocess.run(["sh", "-c", curl.replace("\\\n", " ") + " --silent --show-error"],
                                cwd=os.path.join(SOURCE_DIR, "samples"), capture_output=True, text=True, check=True)
        answer = json.loads(posted.stdout)
        self.assertEqual(answer["mode"], "test", posted.stdout)
        first = answer["request_id"]
        daemon.wait_for_request(first, {"simulated"})

        self.go("#/requests")
        self.wait_for_heading("Webhook logs")
        row = self.find("main tbody tr")[0].text
        self.assertIn(f"request {first}", row)
        self.assertIn("simulated", row)
        self.assertIn("hris-webhook", row)
        received = daemon.admin("GET", f"/requests/{first}")[1]["received_at"]
        self.assertIn(shown_time(received), row, "the time is not in the viewer's time zone")
        self.assertIn(f"({VIEWER_TIME_ZONE})", self.driver.find_element(By.TAG_NAME, "footer").text)
        self.shot("webhook-logs")

        self.find(f"main a[href='#/requests/{first}']")[0].click()
        self.wait_for_heading(f"Request {first}")
        text = self.main_text()
        self.assertIn("users[0].manager", text)
        self.assertIn("What run 1 would apply", text)
        self.assertIn("1FdzdQf35CffSd53 <john.doe@7geese.com>", text)
        self.button("Simulate").click()
        self.wait_for_text("Simulation against the directory as it is now")
        simulation = self.find("main .simulation")[0].text
        self.assertIn("simulated", simulation)
        self.assertIn("Created: 1", simulation)
        self.shot("request-simulated")

        self.go("#/pipelines")
        self.wait_for_heading("Pipelines")
        self.wait(lambda: "Endpoint URL" in self.main_text(), "the endpoint")
        self.assertIn(endpoint, self.main_text())
        # Enable, with the keyboard: the button, then the dialog's buttons.
        enable = self.button("Enable (go live)")
        enable.send_keys(Keys.ENTER)
        said = self.dialog().text
        self.assertIn("Going live means every snapshot the HRIS pushes is applied to directory (directory)", said)
        self.assertEqual(self.driver.switch_to.active_element.text, "Cancel")
        self.shot("enable-dialog")
        self.driver.switch_to.active_element.send_keys(Keys.TAB)
        self.driver.switch_to.active_element.send_keys(Keys.ENTER)
        self.wait(lambda: "Disable (back to test mode)" in self.main_text(), "the pipeline to go live")
        self.assertIn("live", [b.text for b in self.find("main .badge")])
        self.shot("pipelines-live")

        subprocess.run(["sh", "-c", curl.replace("\\\n", " ") + " --silent --show-error"],
                       cwd=os.path.join(SOURCE_DIR, "samples"), capture_output=True, text=True, check=True)
        second = str(int(first) + 1)
        daemon.wait_for_request(second, {"applied"})
        self.go("#/requests")
        self.wait_for_heading("Webhook logs")
        self.wait_for_text(f"request {second}")
        self.assertIn("applied", self.find("main tbody tr")[0].text)

        self.go("#/people")
        self.wait_for_heading("People")
        rows = self.find("main tbody tr")
        self.assertEqual(len(rows), 1, self.main_text())
        self.assertIn("John Doe", rows[0].text)
        self.assertIn("john.doe@7geese.com", rows[0].text)
        chain = rows[0].find_elements(By.CSS_SELECTOR, "img.chain")
        self.assertTrue(chain, "John Doe has no chain icon")
        self.assertEqual(chain[0].get_attribute("alt"), "synced")
        self.assertTrue(self.driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0",
                                                   chain[0]), "the chain icon did not load")
        self.shot("people")
        self.assert_no_console_errors()


class ForgedPost(ConsoleTestCase):
    """A page of another origin on this machine (the same site: the cookie goes along) posts a form to the admin
    API; without the CSRF token it is refused and nothing changes."""

    def test_a_forged_post_without_the_csrf_token_is_refused(self):
        daemon = self.daemon(WEBHOOK_PIPELINE)
        self.sign_in(daemon)
        import http.server
        import threading

        target = daemon.url + "/admin/v1/pipelines/hris-webhook/enable"
        page = (f'<!doctype html><form id="f" method="post" action="{target}"></form>'
                '<script>document.getElementById("f").submit()</script>').encode()

        class Forger(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        forger = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forger)
        threading.Thread(target=forger.serve_forever, daemon=True).start()
        self.addCleanup(forger.server_close)
        self.addCleanup(forger.shutdown)
        self.driver.get(f"http://127.0.0.1:{forger.server_address[1]}/")
        self.wait(lambda: "CSRF" in self.driver.page_source, "the daemon's answer to the forged form")
        self.assertIn("missing or wrong CSRF token (X-CSRF-Token)", self.driver.page_source)
        self.assertEqual(daemon.admin("GET", "/pipelines/hris-webhook")[1]["mode"], "test")

        # The same from a script on the console's own page, with the cookie and without the token.
        self.open(daemon, "#/pipelines")
        self.wait_for_heading("Pipelines")
        status, body = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch('/admin/v1/pipelines/hris-webhook/enable', {method: 'POST', credentials: 'same-origin'})"
            ".then(async (r) => done([r.status, await r.text()]));")
        self.assertEqual(status, 403, body)
        self.assertIn("missing or wrong CSRF token", body)
        self.assertEqual(daemon.admin("GET", "/pipelines/hris-webhook")[1]["mode"], "test")
        self.driver.refresh()
        self.wait_for_heading("Pipelines")
        self.assertIn("Enable (go live)", self.main_text())


class MarkupInAName(ConsoleTestCase):
    """What the HRIS sends is text: markup in a name or an email shows as those characters, and runs nothing."""

    def test_markup_shows_as_text_and_no_alert_fires(self):
        daemon = self.daemon(WEBHOOK_PIPELINE)
        key, endpoint = daemon.credentials("hris-webhook")
        markup = "<img src=x onerror=alert(1)>"
        status, answer = daemon.post_snapshot(endpoint, key, {"users": [
            {"hris_id": "X1", "first_name": markup, "last_name": "<b>Bold</b>", "email": "x1@example.com", "active": True},
            {"hris_id": "X2", "first_name": "Eve", "last_name": "Quote", "email": markup, "active": True}]})
        self.assertEqual(status, 400, answer)
        request = answer["request_id"]
        self.sign_in(daemon)
        self.go(f"#/requests/{request}")
        self.wait_for_heading(f"Request {request}")
        self.assertIn(f'"{markup}" is not an email address', self.main_text())
        self.assertFalse(self.find("main img:not(.chain)"), "markup became an element")
        self.assertFalse(self.find("main b"))
        self.assert_no_alert()
        self.shot("request-with-markup")

        # Applied, the names are in the directory: People and the user's page show them as text.
        self.assertEqual(daemon.admin("POST", "/pipelines/hris-webhook/enable")[0], 200)
        status, answer = daemon.post_snapshot(endpoint, key, {"users": [
            {"hris_id": "X1", "first_name": markup, "last_name": "<b>Bold</b>", "email": "x1@example.com",
             "job_title": "<script>alert(2)</script>", "departments": ["&lt;b&gt;R&amp;D"], "active": True}]})
        self.assertEqual(status, 202, answer)
        daemon.wait_for_request(answer["request_id"], {"applied"})
        self.go("#/people")
        self.wait_for_heading("People")
        row = self.find("main tbody tr")[0].text
        self.assertIn(f"{markup} <b>Bold</b>", row)
        self.assertIn("<script>alert(2)</script>", row)
        self.assertFalse(self.find("main img:not(.chain)"), "markup became an element")
        self.assertFalse(self.find("main b, main i, main script"))
        self.assert_no_alert()
        self.shot("people-with-markup")
        self.find("main tbody a")[0].click()
        self.wait_for_heading(f"{markup} <b>Bold</b>")
        self.assertIn("&lt;b&gt;R&amp;D", self.main_text())
        self.assertEqual(self.driver.find_element(By.ID, "field-first_name").get_attribute("value"), markup)
        self.assertFalse(self.find("main img:not(.chain)"))
        self.assert_no_alert()
        self.assertIn(markup, self.driver.title)
        self.shot("user-with-markup")


class BlockedRun(ConsoleTestCase):
    """A push the deletion guard blocked is approved from its run's page, which says what it will apply."""

    def test_a_blocked_run_approved_from_the_page(self):
        daemon = self.daemon(WEBHOOK_PIPELINE)
        key, endpoint = daemon.credentials("hris-webhook")
        self.assertEqual(daemon.admin("POST", "/pipelines/hris-webhook/enable")[0], 200)
        with open(os.path.join(SOURCE_DIR, "samples", "webhook-data-example.json"), "rb") as f:
            _, first = daemon.post_snapshot(endpoint, key, f.read())
        daemon.wait_for_request(first["request_id"], {"applied"})
        _, empty = daemon.post_snapshot(endpoint, key, {"users": []})
        blocked = daemon.wait_for_request(empty["request_id"], {"blocked"})
        run = blocked["run"]

        self.sign_in(daemon)
        self.go("#/runs")
        self.wait_for_heading("Runs")
        self.assertIn("blocked", self.find("main tbody tr")[0].text)
        self.shot("runs")
        self.find(f"main a[href='#/runs/{run}']")[0].click()
        self.wait_for_heading(f"Run {run}")
        self.assertIn("Blocked by the deletion guard", self.main_text())
        approve = self.button_starting("Approve: apply")
        self.assertEqual(approve.text, "Approve: apply 1 unsynced, 3 memberships removed")
        self.shot("blocked-run")
        approve.click()
        said = self.confirm("Approve and apply")
        self.assertIn("1 unsynced, 3 memberships removed", said)
        self.wait_for_text("Approved: run")
        approved = self.find("#approved")[0].text
        self.assertIn("applied", approved)
        new_run = int(re.search(r"run (\d+)", approved).group(1))
        self.assertEqual(daemon.admin("GET", f"/runs/{new_run}")[1]["status"], "applied")
        self.shot("approved")
        self.assert_no_console_errors()


class StoppedDelivery(ConsoleTestCase):
    """A webhook sink whose receiver answered 401 stops; once the receiver takes the key, Retry delivers."""

    def test_an_outbox_stopped_by_a_401_is_retried_from_the_page(self):
        receiver = Receiver(401)
        self.addCleanup(receiver.close)
        export = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False)
        self.addCleanup(os.remove, export.name)
        with export:
            export.write("hris_id,first_name,last_name,email\nW-1,Ada,Lovelace,ada@example.com\n")
        employees = export.name
        daemon = self.daemon(f"""  - name: to-receiver
    source: {{type: csv, path: {employees}}}
    sinks:
      - {{type: webhook, name: receiver, url: "{receiver.url}", api_key_env: BROWSER_TEST_KEY}}
""", env={"BROWSER_TEST_KEY": "receiver-key-0123"})
        self.assertEqual(daemon.admin("POST", "/pipelines/to-receiver/enable")[0], 200)
        status, report = daemon.admin("POST", "/pipelines/to-receiver/run", {})
        self.assertEqual(status, 200, report)
        wait_for(lambda: any(s["state"] == "stopped" for s in daemon.admin("GET", "/outbox")[1]["sinks"]),
                 "the delivery to stop")

        self.sign_in(daemon)
        self.go("#/deliveries")
        self.wait_for_heading("Deliveries")
        text = self.main_text()
        self.assertIn("to-receiver / receiver", text)
        self.assertIn("stopped", [b.text for b in self.find("main .badge")])
        self.assertIn("401", text)
        self.assertIn("Waiting\n1 message", text)
        self.shot("stopped")

        receiver.status = 202
        self.button("Retry").click()
        said = self.confirm("Retry now")
        self.assertIn("1 waiting message is sent again now", said)
        wait_for(lambda: daemon.admin("GET", "/outbox")[1]["sinks"][0]["state"] == "idle", "the delivery")
        self.driver.refresh()
        self.wait_for_heading("Deliveries")
        text = self.main_text()
        self.assertIn("Waiting\n0 messages", text)
        self.assertIn("Delivered\n1", text)
        self.assertEqual([s for s, _, _ in receiver.received], [401, 202])
        self.assertEqual(receiver.received[-1][1], "receiver-key-0123")
        self.shot("delivered")
        self.assert_no_console_errors()


class PeopleAndDepartments(ConsoleTestCase):
    """People with the chain icon, searched and paged; a user's manager, reports and departments; synced fields
    read-only, saying which pipeline syncs them, and an unsynced field edited; the department tree; the chooser."""

    def test_people_search_pages_edit_and_departments(self):
        daemon = self.daemon(WEBHOOK_PIPELINE + """    sync: {fields: [job_title, departments, manager]}
  - name: contractors
    source: {type: webhook}
    sinks:
      - {type: directory, name: contractors-directory, database: var/contractors.db}
""")
        key, endpoint = daemon.credentials("hris-webhook")
        self.assertEqual(daemon.admin("POST", "/pipelines/hris-webhook/enable")[0], 200)
        with open(os.path.join(SOURCE_DIR, "samples", "webhook-data-example.json")) as f:
            john = json.load(f)["users"][0]
        jane = {"hris_id": "E9923443", "first_name": "Jane", "last_name": "Roe", "email": "jane.roe@7geese.com",
                "job_title": "CTO", "departments": ["Engineering"], "active": True}
        others = [{"hris_id": f"P{n:02}", "first_name": "Person", "last_name": f"Number {n:02}",
                   "email": f"person{n:02}@7geese.com", "departments": ["Engineering > Mobile Team"], "active": True,
                   "manager": {"hris_id": "E9923443"}} for n in range(1, 29)]
        status, answer = daemon.post_snapshot(endpoint, key, {"users": [john, jane] + others})
        self.assertEqual(status, 202, answer)
        daemon.wait_for_request(answer["request_id"], {"applied"})

        self.sign_in(daemon)
        self.go("#/people")
        self.wait_for_heading("People")
        chooser = self.driver.find_element(By.ID, "directory")
        self.assertEqual([o.text for o in chooser.find_elements(By.TAG_NAME, "option")],
                         ["hris-webhook/directory (directory)", "contractors/contractors-directory (directory)"])
        self.assertIn("30 users", self.main_text())
        self.assertEqual(len(self.find("main tbody tr")), 25)
        self.assertEqual(len(self.find("main tbody img.chain")), 25, "every synced user has the chain icon")
        self.shot("people")
        self.find("main nav.pager a")[0].click()
        self.wait(lambda: len(self.find("main tbody tr")) == 5, "the second page")
        self.assertIn("First page", self.main_text())

        search = self.driver.find_element(By.ID, "search")
        search.send_keys("doe", Keys.ENTER)
        self.wait(lambda: "q=doe" in self.driver.current_url and len(self.find("main tbody tr")) == 1, "the search")
        self.assertIn("John Doe", self.find("main tbody tr")[0].text)
        self.shot("people-search")

        self.find("main tbody a")[0].click()
        self.wait_for_heading("John Doe")
        self.shot("user")
        self.assertTrue(self.find("main h1 img.chain"))
        text = self.main_text()
        self.assertIn("yes, by pipeline hris-webhook", text)
        for synced in ["first_name", "last_name", "email", "hris_id", "job_title", "manager"]:
            field = self.driver.find_element(By.ID, f"field-{synced}")
            self.assertTrue(field.get_attribute("readonly"), f"{synced} is synced and editable")
            note = self.driver.find_element(By.ID, f"field-{synced}-note")
            self.assertIn("Synced by pipeline hris-webhook: read-only here", note.text)
            self.assertEqual(field.get_attribute("aria-describedby"), f"field-{synced}-note")
        self.assertFalse(self.driver.find_element(By.ID, "field-active").is_enabled())
        for unsynced in ["phone_number", "employee_id", "hire_date"]:
            self.assertFalse(self.driver.find_element(By.ID, f"field-{unsynced}").get_attribute("readonly"))
            self.assertFalse(self.find(f"#field-{unsynced}-note"))
        title = self.driver.find_element(By.ID, "field-job_title")
        title.send_keys(" and more")
        self.assertEqual(title.get_attribute("value"), "VP Engineering", "a read-only field took typing")
        self.assertIn("Departments", text)
        self.assertIn("Engineering > Mobile Team", text)

        phone = self.driver.find_element(By.ID, "field-phone_number")
        phone.clear()
        phone.send_keys("+1 555 0100")
        self.button("Save").click()
        self.wait_for_text("Saved: phone_number.")
        self.assertEqual(self.driver.find_element(By.ID, "field-phone_number").get_attribute("value"), "+1 555 0100")
        shown = subprocess.run([os.environ["PEOPLESYNC_CLI"], "--config", daemon.config, "directory", "--pipeline",
                                "hris-webhook", "show", "john.doe@7geese.com"], capture_output=True, text=True)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn("+1 555 0100", shown.stdout)
        self.shot("user-edited")

        # The server, not the page, keeps synced fields: a PATCH made past the form is refused, naming the field.
        status, body = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch('/console/session').then((r) => r.json()).then((s) => fetch(arguments[0], {method: 'PATCH',"
            " headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token},"
            " body: JSON.stringify({job_title: 'Intern'})})).then(async (r) => done([r.status, await r.text()]));",
            f"/admin/v1/directories/hris-webhook/directory/users/{self.driver.current_url.rsplit('/', 1)[1]}")
        self.assertEqual(status, 409, body)
        self.assertIn("job_title", body)

        self.find("main a[href*='/people/hris-webhook/directory/']")[0].click()
        self.wait_for_heading("Jane Roe")
        self.assertIn("John Doe", self.main_text())
        self.assertEqual(len(self.find("main dd ul.plain a[href*='/people/']")), 29, "Jane's 29 reports")

        self.go("#/departments")
        self.wait_for_heading("Departments")
        tree = self.find("main ul.tree")[0].text
        self.assertIn("Engineering — 1 member", tree)
        self.assertIn("Mobile Team — 29 members", tree)
        self.assertEqual(len(self.find("main ul.tree img.chain")), 7, "every synced department has the chain icon")
        self.shot("departments")
        for a in self.find("main ul.tree a"):
            if a.text == "Mobile Team":
                a.click()
                break
        self.wait(lambda: len(self.find("main section[aria-label=Members] tbody tr")) == 25, "Mobile Team's members")
        self.assertIn("Engineering > Mobile Team", self.main_text())
        self.shot("department-members")

        chooser = self.driver.find_element(By.ID, "directory")
        chooser.send_keys(Keys.END)
        self.wait(lambda: "contractors" in self.driver.current_url and "no departments" in self.main_text(),
                  "the other directory")
        self.assert_no_console_errors()


class Pagination(ConsoleTestCase):
    """Webhook logs and runs, newest first, a page at a time."""

    def test_older_requests_and_runs(self):
        daemon = self.daemon(WEBHOOK_PIPELINE)
        key, endpoint = daemon.credentials("hris-webhook")
        ids = []
        for n in range(3):
            status, answer = daemon.post_snapshot(endpoint, key, {"users": [
                {"hris_id": f"U{n}", "first_name": "U", "last_name": str(n), "email": f"u{n}@example.com", "active": True}]})
            self.assertEqual(status, 202, answer)
            ids.append(answer["request_id"])
            daemon.wait_for_request(answer["request_id"], {"simulated"})
        self.sign_in(daemon)
        self.go("#/requests?limit=2")
        self.wait_for_heading("Webhook logs")
        self.assertEqual([r.text.split()[1] for r in self.find("main tbody tr")], [ids[2], ids[1]])
        self.find("main nav.pager a")[0].click()
        self.wait(lambda: [r.text.split()[1] for r in self.find("main tbody tr")] == [ids[0]], "the older page")
        self.assertEqual([a.text for a in self.find("main nav.pager a")], ["← Newest"])
        self.go("#/runs?limit=2")
        self.wait_for_heading("Runs")
        self.assertEqual([r.text.split()[1] for r in self.find("main tbody tr")], ["3", "2"])
        self.find("main nav.pager a")[0].click()
        self.wait(lambda: [r.text.split()[1] for r in self.find("main tbody tr")] == ["1"], "the older runs")
        self.assert_no_console_errors()


if __name__ == "__main__":
    main()
