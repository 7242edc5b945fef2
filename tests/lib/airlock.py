"""Running airlock-milter in tests, and reading its quarantine store.

    d = Daemon(binary, user="nobody", sections={"policy": {"action_virus": "reject"}})
    d.start()            # waits until the socket accepts connections
    ...
    d.reload()           # SIGHUP, waits for the "reloaded" log line
    d.stop()             # SIGTERM, checks the exit status and the pid file
    rows = d.store.messages()

Layout of one daemon's temporary directory (0755 so that the daemon's
user, once root is dropped, and Postfix's smtpd can reach what they need):
  airlock.conf  written from scratch (0644: re-read by the daemon after it
                dropped root, at start and on SIGHUP)
  run/          socket and pid file, owned by the daemon's user
  quarantine/   the store: created by the daemon itself (0700, its user)
  notices/      where fake_sendmail.py --record writes hold notices
  stderr.log    the daemon's stderr (-f logs there)
  valgrind.log  with AIRLOCK_VALGRIND=1 in the environment: the daemon
                runs under valgrind memcheck (see valgrind_argv()), which
                writes its report there; any invalid access or definite
                leak makes the daemon exit 99 instead of 0

The daemon's user: when the tests run as root, airlock-milter binds the
socket as root, chowns it to [milter] user, then drops to that user (it
refuses to run as root). The caller picks the user (the milter tests:
nobody; the end-to-end tests: airlock-test, whose primary group is
postfix, so that smtpd can open the 0660 socket). When the tests run as
an ordinary user there is no privilege change and user is only written
to the config.
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

from util import (REPO_DIR, HarnessError, excerpt, give_to, is_root, system_python, user_ids,
                  wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_SENDMAIL = os.path.join(HERE, "fake_sendmail.py")


VALGRIND_EXIT = 99
VALGRIND_SUPP = os.path.join(REPO_DIR, "tests", "valgrind.supp")


def valgrind_argv(log_path):
    """The memcheck command line the daemon runs under when AIRLOCK_VALGRIND
    is set: every error and every definite leak makes the exit status
    VALGRIND_EXIT; tests/valgrind.supp holds the few known reports from
    the libraries."""
    from util import require_tool
    return [require_tool("valgrind", "valgrind"), "--tool=memcheck", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
            f"--error-exitcode={VALGRIND_EXIT}", "--track-origins=no", "--num-callers=30", "--vgdb=no",
            f"--suppressions={VALGRIND_SUPP}", f"--log-file={log_path}"]


def find_binary(build_dir):
    path = os.path.join(os.path.abspath(build_dir), "src", "milter", "airlock-milter")
    if not os.access(path, os.X_OK):
        raise HarnessError(f"{path} not found or not executable: build it first "
                           f"(cmake --build {build_dir} --target airlock-milter)")
    return path


class Daemon:
    def __init__(self, binary, user, sections=None, notice=None, name="airlock", parent=None):
        """sections: {section: {key: value}} merged over the defaults below.
        notice: "record" (fake_sendmail --record into notices/) or a
        "HOST:PORT" for fake_sendmail --smtp. parent: where the temporary
        directory goes (default: $TMPDIR; Sendmail refuses a socket below
        a world-writable directory such as /tmp)."""
        self.binary = binary
        self.user = user
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"airlock-{name}-", dir=parent)
        os.chmod(self.dir, 0o755)
        self.run_dir = os.path.join(self.dir, "run")
        self.socket = os.path.join(self.run_dir, "airlock.sock")
        self.pidfile = os.path.join(self.run_dir, "airlock.pid")
        self.quarantine = os.path.join(self.dir, "quarantine")
        self.notices = os.path.join(self.dir, "notices")
        self.config = os.path.join(self.dir, "airlock.conf")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.valgrind_log = os.path.join(self.dir, "valgrind.log")
        self.valgrind = bool(os.environ.get("AIRLOCK_VALGRIND"))
        self.proc = None
        self.stderr_file = None
        self.cleaned = False
        atexit.register(self.cleanup)
        if is_root():
            self.uid, self.gid = user_ids(user)
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
        for path in (self.run_dir, self.notices):
            os.makedirs(path)
            give_to(path, self.uid, self.gid, 0o755)
        if notice is None or notice == "record":
            command = f"{system_python()} {FAKE_SENDMAIL} --record {self.notices}"
        else:
            command = f"{system_python()} {FAKE_SENDMAIL} --smtp {notice}"
        self.sections = {
            "milter": {"socket": f"unix:{self.socket}", "user": user,
                       "pidfile": self.pidfile, "timeout": "60"},
            "scan": {"signatures": os.path.join(REPO_DIR, "signatures"),
                     "clamav_database": "/nonexistent"},
            "quarantine": {"dir": self.quarantine},
            "notice": {"command": command},
        }
        for section, keys in (sections or {}).items():
            self.sections.setdefault(section, {}).update(keys)
        self.write_config()
        self.store = Store(self.quarantine)

    def write_config(self):
        text = "# Written by tests/lib/airlock.py\n"
        for section, keys in self.sections.items():
            text += f"\n[{section}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(self.config, 0o644)

    def set(self, section, key, value):
        """Changes one key in the config file (takes effect at the next
        start or reload)."""
        self.sections.setdefault(section, {})[key] = value
        self.write_config()

    def check_config(self):
        """airlock-milter -t: (exit status, stdout + stderr)."""
        proc = subprocess.run([self.binary, "-t", "-c", self.config], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=120)
        return proc.returncode, proc.stdout

    def stderr(self):
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def valgrind_report(self):
        """What valgrind wrote ("" when not under valgrind)."""
        try:
            with open(self.valgrind_log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def start(self, timeout=60):
        if self.proc is not None:
            raise HarnessError("daemon already running")
        self.stderr_file = open(self.stderr_path, "ab")
        wrapper = valgrind_argv(self.valgrind_log) if self.valgrind else []
        if self.valgrind:
            timeout = max(timeout, 600)  # the engine loads 20-50 times slower
        self.proc = subprocess.Popen(wrapper + [self.binary, "-c", self.config, "-f"],
                                     stdin=subprocess.DEVNULL, stdout=self.stderr_file,
                                     stderr=self.stderr_file)
        try:
            wait_for(self._ready, timeout, what=f"airlock-milter to listen on {self.socket}")
        except HarnessError:
            self.kill()
            raise

    def _ready(self):
        if self.proc.poll() is not None:
            raise HarnessError(f"airlock-milter exited with status {self.proc.returncode} "
                               f"before listening; its stderr:\n{excerpt(self.stderr())}")
        if not os.path.exists(self.pidfile):
            return False
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(self.socket)
            except OSError:
                return False
        return True

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def reload(self, timeout=60):
        """SIGHUP, then waits until the daemon logs that it reloaded."""
        before = self.stderr().count("reloaded ")
        self.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: self.stderr().count("reloaded ") > before or not self.running(),
                 timeout, what="airlock-milter to log 'reloaded' after SIGHUP")
        if not self.running():
            raise HarnessError(f"airlock-milter exited after SIGHUP (status "
                               f"{self.proc.returncode}):\n{excerpt(self.stderr())}")

    def stop(self, timeout=60):
        """SIGTERM and wait (10 times longer under valgrind). Returns the exit status; HarnessError if it
        does not exit in time or leaves its pid file behind."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        if self.valgrind:
            timeout *= 10
        try:
            status = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise HarnessError(f"airlock-milter did not stop within {timeout}s of SIGTERM")
        finally:
            self.stderr_file.close()
        if os.path.exists(self.pidfile):
            raise HarnessError(f"airlock-milter left its pid file {self.pidfile} behind "
                               f"(exit status {status})")
        return status

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        if self.stderr_file is not None:
            self.stderr_file.close()

    def cleanup(self):
        """Kills the daemon if still running and removes the directory
        (unless AIRLOCK_TEST_KEEP is set). Idempotent; also run at exit."""
        if self.cleaned:
            return
        self.cleaned = True
        self.kill()
        if os.path.exists(self.quarantine):
            os.chmod(self.quarantine, 0o700)
            msg = os.path.join(self.quarantine, "msg")
            if os.path.isdir(msg):
                os.chmod(msg, 0o700)
        if os.environ.get("AIRLOCK_TEST_KEEP"):
            print(f"kept airlock-milter directory {self.dir}", flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def recorded_notices(self):
        """[(meta dict, message bytes)] written by fake_sendmail --record."""
        out = []
        n = 1
        while os.path.exists(os.path.join(self.notices, f"notice-{n}.json")):
            with open(os.path.join(self.notices, f"notice-{n}.json"), encoding="utf-8") as f:
                meta = json.load(f)
            with open(os.path.join(self.notices, f"notice-{n}.eml"), "rb") as f:
                out.append((meta, f.read()))
            n += 1
        return out


_QUERY = r"""
import json, sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=30)
db.row_factory = sqlite3.Row
rows = db.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()
print(json.dumps([dict(r) for r in rows]))
"""


class Store:
    """Read-only access to the quarantine store of a daemon. Queries run
    as the store's owner (a child process) when we are root and it is
    not: SQLite in WAL mode may create the -shm/-wal files, which must
    stay the daemon's."""

    def __init__(self, directory):
        self.dir = directory
        self.db = os.path.join(directory, "airlock.db")

    def query(self, sql, params=()):
        if not os.path.exists(self.db):
            raise HarnessError(f"{self.db} does not exist")
        st = os.stat(self.dir)
        kwargs = {}
        if is_root() and st.st_uid != 0:
            kwargs = {"user": st.st_uid, "group": st.st_gid, "extra_groups": []}
        proc = subprocess.run([system_python() if kwargs else sys.executable, "-c", _QUERY, self.db, sql, json.dumps(params)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=60, cwd="/", **kwargs)
        if proc.returncode != 0:
            raise HarnessError(f"query on {self.db} failed: {proc.stderr.strip()}")
        return json.loads(proc.stdout)

    def messages(self):
        return self.query("SELECT * FROM messages ORDER BY id")

    def message(self, qid):
        rows = self.query("SELECT * FROM messages WHERE id = ?", [qid])
        return rows[0] if rows else None

    def recipients(self, qid):
        return [r["address"] for r in self.query(
            "SELECT address FROM recipients WHERE message_id = ? ORDER BY rowid", [qid])]

    def events(self, qid):
        return [r["event"] for r in self.query(
            "SELECT event FROM events WHERE message_id = ? ORDER BY id", [qid])]

    def original(self, row):
        """The bytes of the stored original of a messages row."""
        with open(os.path.join(self.dir, row["path"]), "rb") as f:
            return f.read()

    def files(self):
        msg = os.path.join(self.dir, "msg")
        try:
            return sorted(os.listdir(msg))
        except FileNotFoundError:
            return []
