"""The Windows build's programs under wine64, for the Windows tests
(tests/windows/windows_test.py, plugins/source-ldap/tests/windows_ldap_test.py).
Wine shows the Linux file system as drive Z:, so Z:\\work\\... is /work/...."""

import argparse
import os
import shutil
import subprocess
import sys
import time
import unittest

WINE = shutil.which("wine64") or "/usr/lib/wine/wine64"
WINESERVER = shutil.which("wineserver") or "/usr/lib/wine/wineserver"


def windows_path(path):
    """The Windows name Wine gives a Linux path."""
    return "Z:" + os.path.abspath(path).replace("/", "\\")


def wine_env():
    """The environment of a Windows program: Wine quiet, in the prefix
    scripts/windows prepares (WINEPREFIX, else ~/.cache/peoplesync/wine)."""
    env = dict(os.environ)
    env.setdefault("WINEDEBUG", "-all")
    env.setdefault("WINEPREFIX", os.path.join(os.path.expanduser("~"), ".cache", "peoplesync", "wine"))
    return env


def run(*args, timeout=120, env=None):
    """(exit status, output, seconds) of a Windows program under Wine; its
    stderr is in the output."""
    started = time.monotonic()
    done = subprocess.run([WINE, *args], env={**wine_env(), **(env or {})}, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout)
    return done.returncode, done.stdout.decode(errors="replace"), time.monotonic() - started


def wait_for_wineserver():
    """Waits until the prefix's Wine server, if one runs, has ended: a
    program started while the server of a test before is shutting down
    fails with no output (seen once in six runs)."""
    subprocess.run([WINESERVER, "-w"], env=wine_env(), check=False, timeout=120)


def stop_wineserver():
    """Ends the prefix's Wine processes (services included) and waits for
    the server to end."""
    subprocess.run([WINESERVER, "-k"], env=wine_env(), check=False)
    wait_for_wineserver()


def run_tests(take_build_dir):
    """The calling script's unittest tests: --build-dir DIR (the Windows
    build folder, given absolute to take_build_dir, which may refuse it with
    sys.exit), then the tests, after the Wine server of the tests before has
    ended and ending theirs."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True, help="the Windows build folder (with bin/peoplesync.exe)")
    args, rest = parser.parse_known_args()
    take_build_dir(os.path.abspath(args.build_dir))
    wait_for_wineserver()
    try:
        unittest.main(module="__main__", argv=[sys.argv[0], *rest])
    finally:
        stop_wineserver()
