#!/usr/bin/env python3
"""The Debian package, built, checked, installed, used, removed and purged.

    python3 tests/package/test_package.py        (as root, on Debian 12)

Changes the machine (run it on a CI machine or a throw-away one): it
installs the package airlock with apt, starts the packaged daemon and
removes everything again. It refuses to start when airlock is installed
already or /etc/airlock, /var/lib/airlock or /run/airlock exist.

Steps, each a check that fails the run:
 1. copies the checkout's tracked files (git ls-files) into a temporary
    directory and runs `dpkg-buildpackage -us -uc -b` there (the checkout
    stays clean);
 2. lintian on the .deb: no error and no warning left (the remaining
    ones are overridden in debian/ with their reason);
 3. `apt-get install ./airlock_*.deb`: the files, the conffile, the user
    airlock, postfix in the group airlock, /var/lib/airlock with the store
    and the key made by `airlockctl init`, /run/airlock, the units enabled;
 4. `airlock-milter -t` and `airlockctl status` with the packaged
    configuration; the packaged daemon started as root
    (`airlock-milter -f -c /etc/airlock/airlock.conf`: no systemd here);
 5. one message through a private Postfix (tests/lib/postfix.py) whose
    milter settings are the lines README.md gives, sent from an outside
    address (XCLIENT): delivered stripped, the original in
    /var/lib/airlock;
 6. `apt-get install --reinstall` (what an upgrade runs): the store and
    the key are kept;
 7. `apt-get remove`: programs gone, configuration and quarantine kept;
    `apt-get purge`: what README.Debian says is left, and nothing else.
Whatever fails, the daemon and Postfix are stopped and the package is
purged before the script exits (the user airlock stays: the end-to-end
tests and README.Debian rely on it).
"""

import glob
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import messages  # noqa: E402
from postfix import Postfix  # noqa: E402
from util import REPO_DIR, HarnessError, excerpt, is_root, run, wait_for  # noqa: E402

CONF = "/etc/airlock/airlock.conf"
STORE = "/var/lib/airlock"
RUN_DIR = "/run/airlock"
SOCKET = f"{RUN_DIR}/airlock.sock"
APT_ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
ID_RE = re.compile(r"^stripped; id=([0-9A-HJKMNP-TV-Z]{26})$")


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def step(msg):
    print(f"-- {msg}", flush=True)


def mode_owner(path):
    st = os.stat(path)
    return stat.S_IMODE(st.st_mode), pwd.getpwuid(st.st_uid).pw_name, \
        grp.getgrgid(st.st_gid).gr_name


def readme_postfix_lines():
    """The main.cf lines of README.md's "Installing with Postfix" (between
    <!-- postfix-lines --> markers): {name: value}."""
    with open(os.path.join(REPO_DIR, "README.md"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"<!-- postfix-lines -->\s*```[a-z]*\n(.*?)```\s*<!-- /postfix-lines -->",
                  text, re.S)
    if m is None:
        raise HarnessError("README.md has no <!-- postfix-lines --> block")
    lines = {}
    for line in m.group(1).splitlines():
        if line.strip():
            name, value = line.split("=", 1)
            lines[name.strip()] = value.strip()
    if len(lines) != 2 or "smtpd_milters" not in lines:
        raise HarnessError(f"README.md's Postfix lines are not the two expected: {lines}")
    return lines


class PackageTest:
    def __init__(self):
        if not is_root():
            raise HarnessError("the package test installs a package: run it as root")
        for path in ("/etc/airlock", STORE, RUN_DIR):
            if os.path.exists(path):
                raise HarnessError(f"{path} exists: this machine has Airlock installed or "
                                   "used; the package test would destroy it")
        if self.installed():
            raise HarnessError("the package airlock is installed already")
        self.work = tempfile.mkdtemp(prefix="airlock-package-")
        self.tree = os.path.join(self.work, "airlock")
        self.daemon = None
        self.daemon_log = os.path.join(self.work, "airlock-milter.log")
        self.pf = None
        self.deb = None

    @staticmethod
    def installed():
        proc = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", "airlock"], check=False)
        return proc.returncode == 0 and proc.stdout.strip() not in ("", "un")

    # ---- 1, 2: build and lintian ----

    def build(self):
        step("dpkg-buildpackage -us -uc -b in a copy of the checkout")
        files = run(["git", "-C", REPO_DIR, "ls-files", "-z"]).stdout.split("\0")
        for name in filter(None, files):
            src = os.path.join(REPO_DIR, name)
            dst = os.path.join(self.tree, name)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.lexists(src):
                shutil.copy2(src, dst, follow_symlinks=False)
        env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=2")
        log = os.path.join(self.work, "build.log")
        with open(log, "w") as out:
            status = subprocess.call(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=self.tree,
                                     stdout=out, stderr=subprocess.STDOUT, env=env)
        with open(log, encoding="utf-8", errors="replace") as f:
            check(status == 0, f"dpkg-buildpackage exited {status}:\n{excerpt(f.read(), 5000)}")
        debs = glob.glob(os.path.join(self.work, "airlock_*.deb"))
        check(len(debs) == 1, f"expected one airlock_*.deb, got {debs}")
        self.deb = debs[0]
        print(f"built {os.path.basename(self.deb)}", flush=True)

    def lintian(self):
        step("lintian")
        proc = run(["lintian", "--fail-on", "error,warning", "--no-tag-display-limit",
                    self.deb], check=False, timeout=600)
        print(proc.stdout, end="", flush=True)
        check(proc.returncode == 0, f"lintian exited {proc.returncode}:\n{proc.stdout}"
              f"{proc.stderr}")

    # ---- 3: install ----

    def apt(self, *args):
        proc = run(["apt-get", "-y", "-q", *args], check=False, timeout=900, env=APT_ENV)
        check(proc.returncode == 0, f"apt-get {' '.join(args)} exited {proc.returncode}:\n"
              f"{excerpt(proc.stdout + proc.stderr, 4000)}")
        return proc.stdout + proc.stderr

    def install(self):
        step("apt-get install ./airlock_*.deb")
        # Not its Recommends (clamav-freshclam would stay after the purge).
        print(excerpt(self.apt("install", "--no-install-recommends", self.deb), 1500), flush=True)
        for path in ("/usr/sbin/airlock-milter", "/usr/sbin/airlockctl",
                     "/usr/sbin/airlock-web",
                     "/usr/libexec/airlock/airlock-safecopy",
                     "/usr/share/airlock/signatures/filetypes.conf",
                     "/usr/share/man/man5/airlock.conf.5.gz",
                     "/usr/share/man/man8/airlock-milter.8.gz",
                     "/usr/share/man/man8/airlock-web.8.gz",
                     "/usr/share/doc/airlock/README.md.gz",
                     "/usr/share/doc/airlock/README.Debian",
                     "/usr/share/doc/airlock/changelog.gz",
                     "/lib/systemd/system/airlock-milter.service",
                     "/lib/systemd/system/airlock-purge.timer",
                     "/lib/systemd/system/airlock-web.service",
                     "/lib/systemd/system/airlock-digest.timer",
                     "/usr/lib/tmpfiles.d/airlock.conf"):
            check(os.path.exists(path), f"{path} is not installed")
        conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", "airlock"]).stdout
        check(CONF in conffiles, f"{CONF} is not a conffile: {conffiles!r}")
        with open(CONF, encoding="utf-8") as f:
            conf = f.read()
        for line in (f"socket = unix:{SOCKET}", "signatures = /usr/share/airlock/signatures",
                     f"dir = {STORE}", "pidfile = /run/airlock/airlock.pid",
                     "helper = /usr/libexec/airlock/airlock-safecopy"):
            check(f"\n{line}\n" in conf, f"{CONF} lacks '{line}'")
        user = pwd.getpwnam("airlock")
        check(grp.getgrgid(user.pw_gid).gr_name == "airlock", "airlock's group is not airlock")
        check("postfix" in grp.getgrnam("airlock").gr_mem, "postfix is not in the group airlock")
        check(mode_owner(STORE) == (0o700, "airlock", "airlock"),
              f"{STORE}: {mode_owner(STORE)}")
        check(mode_owner(f"{STORE}/release.key")[:2] == (0o600, "airlock"),
              f"release.key: {mode_owner(f'{STORE}/release.key')}")
        check(os.path.exists(f"{STORE}/airlock.db"), "airlockctl init made no airlock.db")
        check(mode_owner(RUN_DIR) == (0o750, "airlock", "airlock"),
              f"{RUN_DIR}: {mode_owner(RUN_DIR)}")
        for link in ("multi-user.target.wants/airlock-milter.service",
                     "multi-user.target.wants/airlock-web.service",
                     "timers.target.wants/airlock-purge.timer",
                     "timers.target.wants/airlock-backup.timer",
                     "timers.target.wants/airlock-digest.timer"):
            check(os.path.islink(f"/etc/systemd/system/{link}"), f"{link} is not enabled")

    # ---- 4, 5: run it ----

    def start_daemon(self):
        step("airlock-milter -t, then the packaged daemon as root")
        proc = run(["airlock-milter", "-t", "-c", CONF], check=False)
        check(proc.returncode == 0 and "configuration OK" in proc.stdout + proc.stderr,
              f"airlock-milter -t exited {proc.returncode}: {proc.stdout}{proc.stderr}")
        log = open(self.daemon_log, "ab")
        self.daemon = subprocess.Popen(["/usr/sbin/airlock-milter", "-f", "-c", CONF],
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()

        def ready():
            if self.daemon.poll() is not None:
                raise TestFailure(f"airlock-milter exited {self.daemon.returncode}:\n"
                                  f"{self.daemon_output()}")
            with socket.socket(socket.AF_UNIX) as s:
                try:
                    s.connect(SOCKET)
                    return True
                except OSError:
                    return False
        wait_for(ready, 120, what=f"airlock-milter to listen on {SOCKET}")
        check(mode_owner(SOCKET) == (0o660, "airlock", "airlock"),
              f"{SOCKET}: {mode_owner(SOCKET)}")

    def daemon_output(self):
        with open(self.daemon_log, encoding="utf-8", errors="replace") as f:
            return excerpt(f.read(), 3000)

    def status(self):
        step("airlockctl status")
        proc = run(["airlockctl", "status", "-c", CONF], check=False)
        print(proc.stdout, end="", flush=True)
        # No ClamAV database on the CI machine: WARNING (1) at worst.
        check(proc.returncode in (0, 1), f"airlockctl status exited {proc.returncode}:\n"
              f"{proc.stdout}{proc.stderr}")
        check("answering on unix:/run/airlock/airlock.sock" in proc.stdout,
              f"airlockctl status does not see the daemon:\n{proc.stdout}")

    def mail(self):
        step("one message through Postfix with README.md's two lines")
        self.pf = Postfix(name="pkg", extra_main=readme_postfix_lines())
        self.pf.start()
        sent = messages.numbered(messages.corpus("pdf-stranger.eml"), 1, "pkg")
        snap = self.pf.snapshot()
        code, text = self.pf.send(sent, "stranger@unknown.example", ["bob@sink.test"],
                                  xclient={"ADDR": "203.0.113.9", "NAME": "mail.unknown.example"})
        check(code == 250, f"Postfix answered {code} {text}\n{excerpt(self.pf.log(), 2500)}\n"
              f"{self.daemon_output()}")
        self.pf.wait_until_queue_empty(120)
        got = [m for m in self.pf.new_since(snap, "bob")
               if messages.header_values(m, "Message-ID") == ["<pkg-1@airlock-test.example>"]]
        check(len(got) == 1, f"{len(got)} copies delivered\n{excerpt(self.pf.log(), 2500)}")
        values = messages.header_values(got[0], "X-Airlock")
        check(len(values) == 1 and ID_RE.match(values[0]), f"X-Airlock: {values}")
        check("report.pdf" not in messages.attachment_names(got[0]), "report.pdf delivered")
        stored = os.listdir(f"{STORE}/msg")
        check(len(stored) == 1, f"{STORE}/msg holds {stored}")

    def stop_daemon(self):
        if self.daemon is None:
            return None
        proc, self.daemon = self.daemon, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None

    def reinstall(self):
        """What an upgrade does to the store: the maintainer scripts run
        again (configure with the installed version) and keep it whole."""
        step("apt-get install --reinstall: the store is kept")
        with open(f"{STORE}/release.key", "rb") as f:
            key = f.read()
        self.apt("install", "--reinstall", "--no-install-recommends", self.deb)
        with open(f"{STORE}/release.key", "rb") as f:
            check(f.read() == key, "the release key changed on reinstall")
        check(len(os.listdir(f"{STORE}/msg")) == 1, "the quarantined message is gone")
        proc = run(["airlockctl", "list", "-c", CONF], check=False)
        check(proc.returncode == 0 and proc.stdout.count("stranger@unknown.example") == 1,
              f"airlockctl list after reinstall ({proc.returncode}):\n{proc.stdout}{proc.stderr}")

    # ---- 6: remove, purge ----

    def remove_and_purge(self):
        # Its files, not the directories it shares (/lib is a symbolic link
        # to usr/lib on a merged /usr).
        files = [p for p in run(["dpkg", "-L", "airlock"]).stdout.splitlines()
                 if not os.path.isdir(p)]
        step("apt-get remove airlock")
        self.apt("remove", "airlock")
        for path in ("/usr/sbin/airlock-milter", "/usr/sbin/airlockctl", "/usr/sbin/airlock-web"):
            check(not os.path.exists(path), f"{path} left after remove")
        for path in (CONF, f"{STORE}/airlock.db", f"{STORE}/release.key"):
            check(os.path.exists(path), f"{path} removed by apt-get remove")
        check(len(os.listdir(f"{STORE}/msg")) == 1, "the quarantined message is gone after remove")
        step("apt-get purge airlock")
        self.apt("purge", "airlock")
        for path in ("/etc/airlock", STORE, RUN_DIR,
                     "/etc/systemd/system/multi-user.target.wants/airlock-milter.service",
                     "/etc/systemd/system/timers.target.wants/airlock-purge.timer"):
            check(not os.path.lexists(path), f"{path} left after purge")
        left = [p for p in files if os.path.lexists(p)]
        check(not left, f"files of the package left after purge: {left}")
        # README.Debian: the user and group stay.
        pwd.getpwnam("airlock")
        grp.getgrnam("airlock")

    # ---- main ----

    def cleanup(self):
        status = self.stop_daemon()
        if status not in (None, 0):
            print(f"warning: airlock-milter exited {status}:\n{self.daemon_output()}", flush=True)
        if self.pf is not None:
            self.pf.cleanup()
        if self.installed():
            print("cleanup: purging the package", flush=True)
            run(["apt-get", "-y", "-q", "purge", "airlock"], check=False, timeout=900,
                env=APT_ENV)
        for path in (STORE, RUN_DIR):
            shutil.rmtree(path, ignore_errors=True)
        if os.environ.get("AIRLOCK_TEST_KEEP"):
            print(f"kept {self.work}", flush=True)
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    def run(self):
        self.build()
        self.lintian()
        self.install()
        self.start_daemon()
        self.status()
        self.mail()
        status = self.stop_daemon()
        check(status == 0, f"airlock-milter exited {status} on SIGTERM")
        self.reinstall()
        self.remove_and_purge()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        test = PackageTest()
    except HarnessError as e:
        print(f"FAIL setup: {e}", flush=True)
        return 1
    try:
        test.run()
    except (TestFailure, HarnessError) as e:
        print(f"FAIL: {e}", flush=True)
        return 1
    finally:
        test.cleanup()
    print("package test passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
