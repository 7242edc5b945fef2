"""Small helpers shared by the milter and end-to-end test drivers.

Standard library only. Nothing here skips: a missing tool is an error
(HarnessError) that the drivers report as a failure with its message.
"""

import os
import pwd
import grp
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback

REPO_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class HarnessError(Exception):
    """The test environment is not usable (a tool is missing, a daemon did
    not start...): the run fails with this message."""


def require_tool(name, package):
    """Absolute path of program name, or HarnessError naming the Debian
    package that provides it."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        raise HarnessError(f"{name} not found: install the Debian package '{package}' "
                           f"(apt-get install {package})")
    return path


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, interval=0.05, what="condition"):
    """Polls predicate() until it returns a true value (returned) or
    timeout seconds pass (HarnessError naming what)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise HarnessError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def run(argv, check=True, timeout=120, **kwargs):
    """Runs argv, capturing text output. check: a non-zero exit is a
    HarnessError quoting the command and its output."""
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout, **kwargs)
    if check and proc.returncode != 0:
        raise HarnessError(f"{' '.join(argv)} exited {proc.returncode}\n"
                           f"stdout: {proc.stdout.strip()}\nstderr: {proc.stderr.strip()}")
    return proc


def system_python():
    """A python3 that other users can run (the daemon's user runs
    fake_sendmail.py and the store queries): sys.executable may live under
    a 0700 home directory (pyenv)."""
    for path in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(path, os.X_OK) and os.stat(path).st_mode & 0o001:
            return path
    raise HarnessError("no world-executable python3 in /usr/bin or /usr/local/bin "
                       "(apt-get install python3)")


def is_root():
    return os.geteuid() == 0


def user_ids(name):
    """(uid, gid) of user name; HarnessError if there is no such user."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise HarnessError(f"user {name} does not exist") from None
    return entry.pw_uid, entry.pw_gid


def ensure_system_user(name, group):
    """As root: makes sure system user name exists with primary group
    group (useradd --system -g GROUP -M -s /usr/sbin/nologin NAME).
    Returns (uid, gid). An existing user with another primary group is an
    error rather than silently changed."""
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        raise HarnessError(f"group {group} does not exist (is postfix installed?)") from None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        if not is_root():
            raise HarnessError(f"user {name} does not exist and only root can create it "
                               f"(useradd --system -g {group} {name})") from None
        run(["useradd", "--system", "-g", group, "-M", "-d", "/nonexistent",
             "-s", "/usr/sbin/nologin", name])
        entry = pwd.getpwnam(name)
    if entry.pw_gid != gid:
        raise HarnessError(f"user {name} exists but its primary group is not {group}: "
                           f"fix it (usermod -g {group} {name}) or remove it")
    return entry.pw_uid, entry.pw_gid


def give_to(path, uid, gid, mode):
    """chown (when root) and chmod path."""
    if is_root():
        os.chown(path, uid, gid)
    os.chmod(path, mode)


def log(msg):
    print(msg, flush=True)


def excerpt(text, limit=4000):
    """The end of a long log, for failure messages."""
    if len(text) <= limit:
        return text
    return "[...]\n" + text[-limit:]


def fail_exit(msg):
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def run_scenarios(suite, tests, expected):
    """Runs each test method (named test_NAME) of suite, counting into
    suite.passed and suite.failed and printing "ok   NAME" or "FAIL NAME:
    why". expected: the exception types of a failed check (a harness
    error or the driver's own); anything else is a bug in the test and
    fails with its traceback."""
    for test in tests:
        name = test.__name__[5:]
        try:
            test()
        except expected as e:
            suite.failed += 1
            print(f"FAIL {name}: {e}", flush=True)
        except Exception:  # noqa: BLE001 - a bug in the test still fails loudly
            suite.failed += 1
            print(f"FAIL {name}: unexpected error\n{traceback.format_exc()}", flush=True)
        else:
            suite.passed += 1
            print(f"ok   {name}", flush=True)


def suite_main(make_suite, usage):
    """The main() of a scenario driver: BUILD_DIR as the only argument;
    make_suite(build_dir) returns an object with run(), teardown(),
    passed and failed. Prints "N passed, M failed"; the exit status is 0
    only when something passed and nothing failed (2: usage)."""
    if len(sys.argv) != 2:
        print(f"usage: {usage}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        suite = make_suite(sys.argv[1])
    except HarnessError as e:
        print(f"FAIL setup: {e}\n0 passed, 1 failed", flush=True)
        return 1
    try:
        suite.run()
    finally:
        suite.teardown()
    print(f"{suite.passed} passed, {suite.failed} failed", flush=True)
    return 0 if suite.failed == 0 and suite.passed > 0 else 1
