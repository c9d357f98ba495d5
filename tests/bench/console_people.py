#!/usr/bin/env python3
"""The console's People page in Chromium against a running peoplesyncd, for
scripts/bench: how long the page takes from its link to its rows on the
screen, for the first page, a search that matches and one that matches
nobody (each the median of 7, after one more). Prints the three medians in
seconds, space-separated.

  console_people.py URL TOKEN DIRECTORY MATCH NOBODY"""

import os
import shutil
import statistics
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from harness import By, Keys, WebDriverWait, start_chromium  # noqa: E402

# Sets the route and waits, in the page, until its rows (or its "Nobody matches") are shown: the time the
# viewer waits, without the driver's own round trips.
TIMED_ROUTE = """
const [hash, done] = [arguments[0], arguments[arguments.length - 1]];
const main = document.getElementById("main");
main.replaceChildren();
const started = performance.now();
location.hash = hash;
const shown = () => !main.querySelector(".loading") &&
  (main.querySelector("tbody tr") || main.innerText.includes("Nobody matches") || main.querySelector(".error-box"));
const check = () => shown() ? done([performance.now() - started, main.querySelectorAll("tbody tr").length,
                                    main.innerText.slice(0, 300)]) : requestAnimationFrame(check);
check();
"""


def timed(driver, hash_route, want_rows):
    seconds = []
    for turn in range(8):
        # A route the page is not on already, or it would not render again.
        elapsed, rows, text = driver.execute_async_script(TIMED_ROUTE, f"{hash_route}&turn={turn}")
        if (rows > 0) != want_rows:
            raise SystemExit(f"{hash_route}: expected {'rows' if want_rows else 'no rows'}; the page says: {text}")
        seconds.append(elapsed / 1000)
    return statistics.median(seconds[1:])


def main():
    url, token, directory, match, nobody = sys.argv[1:6]
    profile = tempfile.mkdtemp(prefix="peoplesync-bench-chromium-")
    driver = start_chromium(profile)
    try:
        driver.set_script_timeout(60)
        driver.get(url + "/console/#/signin")
        field = WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "secret"))[0]
        field.send_keys(token, Keys.ENTER)
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#nav a[aria-current=page]"))
        page = timed(driver, f"#/people?sink={directory}", True)
        search = timed(driver, f"#/people?sink={directory}&q={urllib.parse.quote(match)}", True)
        none = timed(driver, f"#/people?sink={directory}&q={urllib.parse.quote(nobody)}", False)
        print(f"{page:.4f} {search:.4f} {none:.4f}")
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
