"""A private Postfix instance on 127.0.0.1 for end-to-end tests.

    pf = Postfix(milter_socket="/tmp/x/airlock.sock", authserv_id="mx.test.example")
    pf.start()
    try:
        code, text = pf.send(message_bytes, "sender@sink.test", ["bob@sink.test"])
        pf.wait_until_queue_empty(30)
        messages = pf.delivered("bob")
    finally:
        pf.stop()

Everything lives in one temporary directory: etc/ (main.cf, master.cf
and the tables, written from scratch; nothing from /etc/postfix is
used), queue/, data/, log/maillog (postlogd: there is no syslog here) and
sink/, where the virtual(8) delivery agent writes one Maildir per
recipient of the domain sink.test (sink/NAME/Maildir/new, one file per
delivered message). Every other domain goes to the error(8) transport:
nothing ever leaves the machine, and a bounce to a sink.test sender shows
up in that sender's Maildir.

Two roles:
  mx      (default) the instance under test: smtpd_milters and
          non_smtpd_milters = the milter socket, milter_default_action =
          tempfail, header_checks dropping Authentication-Results headers
          that carry our authserv-id, XCLIENT allowed from 127.0.0.1.
  relay   an outside sending MTA without milters that hands every
          message to relayhost (the mx): when the mx answers 4xx the
          message waits in this instance's deferred queue, as it would at
          a real sender.

All daemons run unchrooted (a chrooted smtpd cannot reach a milter socket
under /tmp). The instance is stopped at interpreter exit if the caller
forgot (atexit), and stop() waits until the master process is gone.
"""

import atexit
import json
import os
import select
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time

from util import HarnessError, excerpt, free_port, is_root, require_tool, run, wait_for

SINK_DOMAIN = "sink.test"
MAILBOXES = ("bob", "carol", "dave", "sender", "postmaster")

MASTER_CF = """\
# Written by tests/lib/postfix.py. No chroot anywhere.
{listen} inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class Postfix:
    """One private instance. See the module comment."""

    def __init__(self, milter_socket=None, authserv_id=None, role="mx", relayhost=None,
                 name="mx", port=None, extra_main=None):
        if role not in ("mx", "relay"):
            raise ValueError(role)
        if role == "relay" and relayhost is None:
            raise ValueError("a relay instance needs relayhost")
        self.postfix = require_tool("postfix", "postfix")
        self.postqueue = require_tool("postqueue", "postfix")
        self.postsuper = require_tool("postsuper", "postfix")
        self.role = role
        self.name = name
        self.milter_socket = milter_socket
        self.authserv_id = authserv_id
        self.relayhost = relayhost
        self.extra_main = dict(extra_main or {})
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix=f"airlock-pf-{name}-")
        os.chmod(self.dir, 0o755)  # postfix and the virtual uid traverse it
        self.etc = os.path.join(self.dir, "etc")
        self.queue = os.path.join(self.dir, "queue")
        self.data = os.path.join(self.dir, "data")
        self.logdir = os.path.join(self.dir, "log")
        self.maillog = os.path.join(self.logdir, "maillog")
        self.sink = os.path.join(self.dir, "sink")
        self.running = False
        self.cleaned = False
        self.master_pid = None
        self._write_config()
        atexit.register(self.cleanup)

    # ---- configuration ----

    def main_cf(self):
        d = self.dir
        cf = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue,
            "data_directory": self.data,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": f"{self.name}.airlock-test.example",
            "mydomain": "airlock-test.example",
            "myorigin": "$myhostname",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "maillog_file": self.maillog,
            "maillog_file_prefixes": d,
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "relay_domains": "",
            "biff": "no",
            "smtputf8_enable": "no",
            "delay_warning_time": "0h",
            "default_transport": "error:no delivery outside the test sink",
            "relay_transport": "error:no delivery outside the test sink",
            "queue_run_delay": "2s",
            "minimal_backoff_time": "2s",
            "maximal_backoff_time": "4s",
            "smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_authorized_xclient_hosts": "127.0.0.1",
            "message_size_limit": "52428800",
        }
        if self.role == "mx":
            cf.update({
                "virtual_mailbox_domains": SINK_DOMAIN,
                "virtual_mailbox_maps": f"texthash:{self.etc}/vmailbox",
                "virtual_mailbox_base": self.sink,
                "virtual_uid_maps": "static:65534",
                "virtual_gid_maps": "static:65534",
                "virtual_minimum_uid": "100",
                "virtual_mailbox_limit": "0",
                "header_checks": f"regexp:{self.etc}/header_checks",
                "milter_default_action": "tempfail",
                "milter_protocol": "6",
                "milter_connect_timeout": "10s",
                "milter_content_timeout": "120s",
            })
            if self.milter_socket:
                cf["smtpd_milters"] = f"unix:{self.milter_socket}"
                cf["non_smtpd_milters"] = f"unix:{self.milter_socket}"
        else:
            cf.update({
                "relayhost": self.relayhost,
                "default_transport": "smtp",
                "relay_transport": "smtp",
                "smtp_dns_support_level": "disabled",
                "smtp_tls_security_level": "none",
            })
        cf.update(self.extra_main)
        return cf

    def _header_checks(self):
        if not self.authserv_id:
            return "# no authserv_id: nothing to drop\n"
        escaped = self.authserv_id.replace(".", r"\.")
        # The header an outsider forged with our authserv-id never reaches
        # a milter (see conf/postfix-header_checks).
        return (f"/^Authentication-Results:[[:space:]]*{escaped}[[:space:]]*;/ IGNORE\n"
                f"/^Authentication-Results:[[:space:]]*{escaped}[[:space:]]*$/ IGNORE\n")

    def _write_config(self):
        for path in (self.etc, self.logdir, self.queue):
            os.makedirs(path, mode=0o755, exist_ok=True)
        os.makedirs(self.sink, mode=0o755, exist_ok=True)
        if is_root():
            os.chown(self.sink, 65534, 65534)  # virtual_uid_maps
        main = "".join(f"{k} = {v}\n" for k, v in self.main_cf().items())
        self._write(os.path.join(self.etc, "main.cf"), "# Written by tests/lib/postfix.py\n" + main)
        self._write(os.path.join(self.etc, "master.cf"),
                    MASTER_CF.format(listen=f"127.0.0.1:{self.port}"))
        self._write(os.path.join(self.etc, "header_checks"), self._header_checks())
        boxes = "".join(f"{b}@{SINK_DOMAIN} {b}/Maildir/\n" for b in MAILBOXES)
        self._write(os.path.join(self.etc, "vmailbox"), boxes + f"@{SINK_DOMAIN} other/Maildir/\n")

    @staticmethod
    def _write(path, text):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, 0o644)

    # ---- life cycle ----

    def _cmd(self, *args, check=True, timeout=120):
        return run([self.postfix, "-c", self.etc, *args], check=check, timeout=timeout)

    def check(self):
        """What postfix check complains about, for error messages. Postfix
        prints its fatal errors only when stderr is a terminal (and the
        maillog does not exist before postlogd runs), so it runs on a
        pseudo-terminal."""
        return _run_on_tty([self.postfix, "-c", self.etc, "check"])

    def log(self):
        try:
            with open(self.maillog, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def _read_master_pid(self):
        try:
            with open(os.path.join(self.queue, "pid", "master.pid"), encoding="ascii") as f:
                return int(f.read().strip())
        except (FileNotFoundError, ValueError):
            return None

    def start(self):
        proc = self._cmd("start", check=False)
        if proc.returncode != 0:
            raise HarnessError(f"postfix -c {self.etc} start failed ({proc.returncode}): "
                               f"{(proc.stdout + proc.stderr).strip()}\n"
                               f"postfix check says:\n{self.check()}\n"
                               f"maillog:\n{excerpt(self.log())}")
        self.running = True
        self.master_pid = wait_for(self._read_master_pid, 20, what="the postfix master pid file")
        wait_for(self._accepting, 20, what=f"postfix smtpd on 127.0.0.1:{self.port}")

    def _accepting(self):
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=5) as s:
                s.noop()
            return True
        except (OSError, smtplib.SMTPException):
            return False

    def stop(self):
        if not self.running:
            return
        self.running = False
        pid = self.master_pid or self._read_master_pid()
        self._cmd("stop", check=False)
        if pid is None:
            return
        try:
            wait_for(lambda: not _alive(pid), 30, what=f"postfix master {pid} to exit")
        except HarnessError:
            os.kill(pid, signal.SIGKILL)
            raise

    def reload(self):
        """postfix reload, and the proof that it happened (the maillog)."""
        before = self.log().count("reload --")
        self._cmd("reload")
        wait_for(lambda: self.log().count("reload --") > before, 20,
                 what="the maillog to say 'reload'")

    def postconf(self, **settings):
        """postconf -e for each setting, then reload if running."""
        args = [f"{k}={v}" for k, v in settings.items()]
        run(["postconf", "-c", self.etc, "-e", *args])
        self.extra_main.update(settings)
        if self.running:
            self.reload()

    def cleanup(self):
        """Stops the instance (if running) and removes its directory unless
        AIRLOCK_TEST_KEEP is set. Idempotent (also registered with atexit)."""
        if self.cleaned:
            return
        self.cleaned = True
        try:
            self.stop()
        finally:
            if os.environ.get("AIRLOCK_TEST_KEEP"):
                print(f"kept postfix instance {self.dir}", flush=True)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)

    # ---- mail ----

    def send(self, message, mail_from, rcpts, xclient=None, helo="client.airlock-test.example",
             timeout=120):
        """Sends message (bytes, CRLF line ends, prepared once) over SMTP.
        xclient: dict of XCLIENT attributes (ADDR, NAME, LOGIN...), sent
        after EHLO. Returns (code, text) of the server's answer to the end
        of DATA, or of the first command it refused (MAIL, RCPT, DATA,
        XCLIENT, or the greeting: code 421 when it hung up)."""
        try:
            with smtplib.SMTP("127.0.0.1", self.port, local_hostname=helo,
                              timeout=timeout) as s:
                s.ehlo(helo)
                if xclient:
                    attrs = " ".join(f"{k}={v}" for k, v in xclient.items())
                    code, text = s.docmd("XCLIENT", attrs)
                    if code != 220:
                        return code, text.decode(errors="replace")
                    s.ehlo(helo)
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

    def queue_entries(self):
        """postqueue -j: one dict per queued message (queue_name, queue_id,
        sender, recipients with delay_reason...)."""
        proc = run([self.postqueue, "-c", self.etc, "-j"])
        return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]

    def held(self):
        return [e for e in self.queue_entries() if e["queue_name"] == "hold"]

    def deferred(self):
        return [e for e in self.queue_entries() if e["queue_name"] == "deferred"]

    def flush(self):
        run([self.postqueue, "-c", self.etc, "-f"])

    def delete_queued(self):
        """postsuper -d ALL: every queued message (held and deferred ones
        too) is dropped. Returns how many were queued before."""
        entries = self.queue_entries()
        if entries:
            run([self.postsuper, "-c", self.etc, "-d", "ALL"])
        return len(entries)

    def wait_until_queue_empty(self, timeout):
        """Waits until no message is queued (incoming, active, deferred,
        maildrop); held messages count as queued too."""
        wait_for(lambda: not self.queue_entries(), timeout, interval=0.2,
                 what=f"the {self.name} queue to empty (left: {self._queue_summary()})")

    def _queue_summary(self):
        try:
            entries = self.queue_entries()
        except HarnessError as e:
            return str(e)
        return "; ".join(f"{e['queue_id']} {e['queue_name']} "
                         f"{[r.get('delay_reason', '') for r in e['recipients']]}"
                         for e in entries) or "nothing"

    def maildir(self, mailbox):
        return os.path.join(self.sink, mailbox, "Maildir", "new")

    def delivered(self, mailbox="bob"):
        """The messages delivered to mailbox@sink.test, oldest first, as
        bytes exactly as the virtual agent wrote them (LF line ends,
        Return-Path and Delivered-To added first)."""
        path = self.maildir(mailbox)
        try:
            names = os.listdir(path)
        except FileNotFoundError:
            return []
        files = sorted((os.stat(os.path.join(path, n)).st_mtime_ns, n) for n in names)
        out = []
        for _, name in files:
            with open(os.path.join(path, name), "rb") as f:
                out.append(f.read())
        return out

    def snapshot(self):
        """The names of the files delivered so far, per mailbox: pass it to
        new_since() to get what arrived after."""
        out = {}
        if os.path.isdir(self.sink):
            for box in os.listdir(self.sink):
                path = self.maildir(box)
                out[box] = set(os.listdir(path)) if os.path.isdir(path) else set()
        return out

    def new_since(self, snapshot, mailbox="bob"):
        """Messages (bytes) delivered to mailbox since snapshot, oldest
        first."""
        path = self.maildir(mailbox)
        try:
            names = set(os.listdir(path)) - snapshot.get(mailbox, set())
        except FileNotFoundError:
            return []
        out = []
        for _, name in sorted((os.stat(os.path.join(path, n)).st_mtime_ns, n) for n in names):
            with open(os.path.join(path, name), "rb") as f:
                out.append(f.read())
        return out

    def clear_mailboxes(self):
        for box in os.listdir(self.sink):
            new = os.path.join(self.sink, box, "Maildir", "new")
            if os.path.isdir(new):
                for name in os.listdir(new):
                    os.unlink(os.path.join(new, name))


def _run_on_tty(argv, timeout=60):
    """Runs argv with stdout and stderr on a new pseudo-terminal; returns
    its exit status and everything it wrote."""
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                                start_new_session=True)
    finally:
        os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the other side is closed
                data = b""
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    try:
        status = proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = proc.wait()
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n").strip()
    return f"exit status {status}: {text or '(no output)'}"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (our own child) is gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except FileNotFoundError:
        return False
