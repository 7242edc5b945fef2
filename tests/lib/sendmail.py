"""A private Sendmail on 127.0.0.1 for end-to-end tests.

    root = sendmail_root(os.path.join(build_dir, "sendmail"))
    sm = Sendmail(root, milter_socket="/run/x/airlock.sock", relay_port=sink.port,
                  submit_user="airlock-test")
    sm.start()
    try:
        code, text = smtp_send(sm.port, message_bytes, "a@x.example", ["bob@sink.test"])
        sm.wait_until_queue_empty(60)
    finally:
        sm.stop()

Debian's sendmail-bin conflicts with Postfix as the system MTA, so it is
not installed: sendmail_root() fetches sendmail-bin, sendmail-base and
sendmail-cf with `apt-get download` and unpacks them with `dpkg-deb -x`
into a private root, once per build directory (ROOT/.complete marks a
finished unpacking). The daemon is ROOT/usr/libexec/sendmail/sendmail.

One instance lives in one temporary directory: sendmail.mc and
sendmail.cf (built with m4 from ROOT's cf.m4), the MTA's queue/ (0700,
root), submit.mc and submit.cf, the mail submission program's
clientmqueue/ (owned by submit_user), the pid and status files, and
traffic.log (every SMTP line the daemon and its children exchanged,
`sendmail -X`: there is no syslog here).

The MTA listens on 127.0.0.1:port, accepts mail for any domain from the
loopback (Sendmail relays for the local host) and hands everything to
[127.0.0.1]:relay_port (a sink such as a private Postfix). Its milter
lines are those of conf/sendmail.mc, the file admins copy, with only the
socket path changed: the test runs what the README tells admins to use.

submit_command() is the sendmail(1) command line of the mail submission
program (submit.cf, FEATURE(msp)): run by an unprivileged user, it hands
the message over SMTP to this MTA, so locally submitted mail (hold
notices, releases) goes through the milter as on a real Sendmail host.
"""

import atexit
import ctypes
import os
import shutil
import signal
import smtplib
import sys
import tempfile

from util import HarnessError, REPO_DIR, free_port, is_root, require_tool, run, wait_for

PACKAGES = ("sendmail-bin", "sendmail-base", "sendmail-cf")
MC_SOCKET = "unix:/run/airlock/airlock.sock"


def use_private_hostname(fqdn):
    """Gives this process a fully qualified host name of its own, in a new
    UTS namespace (the test re-executes itself under `unshare --uts`; the
    machine's name is unchanged). Sendmail started on a host whose name has
    no dot ("vm") and no DNS to qualify it sleeps 60 s at every start, the
    submission program included ("My unqualified host name unknown;
    sleeping for retry"). Everything this process starts inherits the name:
    the Sendmail daemon, airlock-milter and the commands it runs,
    airlockctl."""
    if os.environ.get("AIRLOCK_TEST_HOSTNAME") != fqdn:
        unshare = require_tool("unshare", "util-linux")
        env = dict(os.environ, AIRLOCK_TEST_HOSTNAME=fqdn)
        os.execve(unshare, [unshare, "--uts", sys.executable, *sys.argv], env)
    name = fqdn.encode()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.sethostname(name, len(name)) != 0:
        raise HarnessError(f"sethostname({fqdn}) in the new UTS namespace failed: "
                           f"{os.strerror(ctypes.get_errno())}")


def sendmail_root(cache_dir):
    """The private root holding the unpacked Sendmail packages (made once
    in cache_dir/root; the .deb files stay in cache_dir/debs)."""
    root = os.path.join(cache_dir, "root")
    if os.path.exists(os.path.join(root, ".complete")):
        return root
    apt_get = require_tool("apt-get", "apt")
    dpkg_deb = require_tool("dpkg-deb", "dpkg")
    debs = os.path.join(cache_dir, "debs")
    os.makedirs(debs, exist_ok=True)
    os.chmod(debs, 0o755)  # apt's _apt user writes there
    for package in PACKAGES:
        if not any(n.startswith(package + "_") for n in os.listdir(debs)):
            run([apt_get, "download", "-q", package], cwd=debs, timeout=600)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    for name in sorted(os.listdir(debs)):
        if name.endswith(".deb"):
            run([dpkg_deb, "-x", os.path.join(debs, name), root])
    if not os.access(binary(root), os.X_OK):
        raise HarnessError(f"{binary(root)} missing after unpacking {debs}")
    open(os.path.join(root, ".complete"), "w").close()
    return root


def binary(root):
    return os.path.join(root, "usr", "libexec", "sendmail", "sendmail")


def milter_lines(socket_path):
    """conf/sendmail.mc with the socket moved to socket_path."""
    with open(os.path.join(REPO_DIR, "conf", "sendmail.mc"), encoding="utf-8") as f:
        text = f.read()
    if MC_SOCKET not in text:
        raise HarnessError(f"conf/sendmail.mc no longer names {MC_SOCKET}: update "
                           "tests/lib/sendmail.py")
    return text.replace(MC_SOCKET, f"unix:{socket_path}")


class Sendmail:
    """One private MTA plus its submission program. See the module comment."""

    def __init__(self, root, milter_socket, relay_port, submit_user, name="sm", port=None):
        if not is_root():
            raise HarnessError("a private Sendmail needs root (its daemon binds and runs as root)")
        self.m4 = require_tool("m4", "m4")
        self.root = root
        self.sendmail = binary(root)
        self.milter_socket = milter_socket
        self.relay_port = relay_port
        self.submit_user = submit_user
        self.name = name
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix=f"airlock-sm-{name}-")
        os.chmod(self.dir, 0o755)
        self.queue = os.path.join(self.dir, "queue")
        self.client_queue = os.path.join(self.dir, "clientmqueue")
        self.cf = os.path.join(self.dir, "sendmail.cf")
        self.submit_cf = os.path.join(self.dir, "submit.cf")
        self.pidfile = os.path.join(self.dir, "sendmail.pid")
        self.traffic = os.path.join(self.dir, "traffic.log")
        self.pid = None
        self.cleaned = False
        self._write_config()
        atexit.register(self.cleanup)

    # ---- configuration ----

    def _head(self, version):
        cf_m4 = os.path.join(self.root, "usr", "share", "sendmail", "cf", "m4", "cf.m4")
        return (f"divert(-1)\ninclude(`{cf_m4}')\ndivert(0)dnl\n"
                f"VERSIONID(`{version} written by tests/lib/sendmail.py')\n"
                "OSTYPE(`linux')dnl\n"
                f"define(`confDOMAIN_NAME', `{self.name}.airlock-test.example')dnl\n"
                "define(`confDONT_PROBE_INTERFACES', `True')dnl\n"
                "define(`confDEF_USER_ID', `65534:65534')dnl\n"
                "FEATURE(`nocanonify')dnl\n")

    def mta_mc(self):
        d = self.dir
        return (self._head("airlock test MTA")
                + f"define(`QUEUE_DIR', `{self.queue}')dnl\n"
                f"define(`STATUS_FILE', `{d}/sendmail.st')dnl\n"
                "define(`ALIAS_FILE', `')dnl\n"
                f"define(`confPID_FILE', `{self.pidfile}')dnl\n"
                f"define(`confHELP_FILE', `')dnl\n"
                "define(`SMART_HOST', `[127.0.0.1]')dnl\n"
                f"define(`RELAY_MAILER_ARGS', `TCP $h {self.relay_port}')dnl\n"
                "define(`confTO_QUEUERETURN', `1d')dnl\n"
                "define(`confMIN_QUEUE_AGE', `0')dnl\n"
                "FEATURE(`accept_unresolvable_domains')dnl\n"
                "FEATURE(`no_default_msa')dnl\n"
                f"DAEMON_OPTIONS(`Port={self.port}, Addr=127.0.0.1, Name=MTA')dnl\n"
                + milter_lines(self.milter_socket)
                + "MAILER(`smtp')dnl\n")

    def submit_mc(self):
        return (self._head("airlock test MSP")
                + f"define(`MSP_QUEUE_DIR', `{self.client_queue}')dnl\n"
                f"define(`confRUN_AS_USER', `{self.submit_user}')dnl\n"
                f"define(`RELAY_MAILER_ARGS', `TCP $h {self.port}')dnl\n"
                "FEATURE(`msp', `[127.0.0.1]')dnl\n")

    def _build_cf(self, mc_text, mc_name, cf_path):
        mc_path = os.path.join(self.dir, mc_name)
        with open(mc_path, "w", encoding="utf-8") as f:
            f.write(mc_text)
        proc = run([self.m4, mc_path], check=False)
        if proc.returncode != 0 or proc.stderr.strip():
            raise HarnessError(f"m4 {mc_path} failed ({proc.returncode}): {proc.stderr.strip()}")
        with open(cf_path, "w", encoding="utf-8") as f:
            f.write(proc.stdout)
        os.chmod(cf_path, 0o644)

    def _write_config(self):
        import pwd
        os.makedirs(self.queue, mode=0o700)
        os.makedirs(self.client_queue, mode=0o770)
        entry = pwd.getpwnam(self.submit_user)
        os.chown(self.client_queue, entry.pw_uid, entry.pw_gid)
        self._build_cf(self.mta_mc(), "sendmail.mc", self.cf)
        self._build_cf(self.submit_mc(), "submit.mc", self.submit_cf)

    def submit_command(self):
        """The sendmail(1) interface for [notice] command and [quarantine]
        release_command (the milter and airlockctl append -f SENDER --
        RCPT...)."""
        return f"{self.sendmail} -C {self.submit_cf} -i"

    # ---- life cycle ----

    def start(self):
        proc = run([self.sendmail, "-bd", "-q5s", "-C", self.cf, "-X", self.traffic],
                   check=False, cwd=self.dir)
        if proc.returncode != 0:
            raise HarnessError(f"sendmail -bd -C {self.cf} failed ({proc.returncode}): "
                               f"{(proc.stdout + proc.stderr).strip()}")
        self.pid = wait_for(self._read_pid, 30, what=f"the sendmail pid file {self.pidfile}")
        wait_for(self._accepting, 30, what=f"sendmail on 127.0.0.1:{self.port}")

    def _read_pid(self):
        try:
            with open(self.pidfile, encoding="ascii") as f:
                return int(f.readline().strip())
        except (FileNotFoundError, ValueError):
            return None

    def _accepting(self):
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as s:
                s.noop()
            return True
        except (OSError, smtplib.SMTPException):
            return False

    def stop(self):
        pid, self.pid = self.pid, None
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        wait_for(lambda: not _alive(pid), 30, what=f"sendmail {pid} to exit")

    def cleanup(self):
        """Stops the daemon and removes the directory (unless
        AIRLOCK_TEST_KEEP is set). Idempotent; also run at exit."""
        if self.cleaned:
            return
        self.cleaned = True
        try:
            self.stop()
        finally:
            if os.environ.get("AIRLOCK_TEST_KEEP"):
                print(f"kept sendmail instance {self.dir}", flush=True)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)

    # ---- queue and diagnostics ----

    def queued(self):
        """Queue ids of the messages waiting in the MTA's and the
        submission program's queues (their qf files)."""
        out = []
        for directory in (self.queue, self.client_queue):
            out += [n[2:] for n in os.listdir(directory) if n.startswith("qf")]
        return sorted(out)

    def wait_until_queue_empty(self, timeout):
        wait_for(lambda: not self.queued(), timeout, interval=0.2,
                 what=f"the sendmail queues to empty (left: {self.queued()})")

    def log(self):
        """What traffic.log recorded (sendmail -X), for failure messages."""
        try:
            with open(self.traffic, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


def smtp_send(port, message, mail_from, rcpts, helo="client.airlock-test.example", timeout=120):
    """Sends message (bytes with CRLF line ends) to 127.0.0.1:port. Returns
    (code, text) of the answer to the end of DATA or of the first command
    refused (421 when the server hung up)."""
    try:
        with smtplib.SMTP("127.0.0.1", port, local_hostname=helo, timeout=timeout) as s:
            code, text = s.ehlo(helo)
            if code != 250:
                return code, text.decode(errors="replace")
            code, text = s.mail(mail_from)
            if code != 250:
                return code, text.decode(errors="replace")
            for rcpt in rcpts:
                code, text = s.rcpt(rcpt)
                if code not in (250, 251):
                    return code, text.decode(errors="replace")
            code, text = s.data(message)
            return code, text.decode(errors="replace")
    except smtplib.SMTPServerDisconnected as e:
        return 421, f"server disconnected: {e}"
    except smtplib.SMTPResponseException as e:
        return e.smtp_code, e.smtp_error.decode(errors="replace")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except FileNotFoundError:
        return False
