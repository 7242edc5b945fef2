"""A private PostgreSQL 15 server for the tests (issue 19).

Debian's postgresql-15 binaries (/usr/lib/postgresql/15/bin) run a server of
our own: `initdb` into a fresh directory under /tmp, `pg_ctl start` listening
on a unix socket in that directory and on 127.0.0.1 at a free port, nothing
system-wide. initdb refuses root: as root the server runs as user postgres
(runuser); otherwise as the calling user. The superuser is reached by peer
authentication on the unix socket only; every other role logs in with a
SCRAM password over 127.0.0.1, read by libpq from a passfile, as a gateway
would.

As a program it is the ctest fixture of the PostgreSQL tests:

    pg.py start BUILD_DIR   starts a server, creates role and database
                            airlock_test (the role may create databases)
                            and writes BUILD_DIR/postgres/dsn (one line, a
                            libpq connection string whose passfile is
                            BUILD_DIR/postgres/pgpass, mode 0600)
    pg.py stop BUILD_DIR    stops that server and removes its files

Standard library only.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from util import HarnessError, free_port, is_root, run, user_ids, wait_for  # noqa: E402

PG_BIN = "/usr/lib/postgresql/15/bin"
PG_USER = "postgres"


def _quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text):
    return "'" + text.replace("'", "''") + "'"


def dsn_quote(value):
    """A value of a libpq key=value connection string, quoted when needed."""
    if value and all(c.isalnum() or c in "._-/:@" for c in value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def write_passfile(path, host, port, dbname, user, password, owner=None):
    """Writes a libpq passfile (hostname:port:database:username:password)
    for one login, mode 0600, owned by owner (a user name) when root:
    libpq ignores a passfile that others can read."""
    def esc(field):
        return str(field).replace("\\", "\\\\").replace(":", "\\:")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(":".join(esc(x) for x in (host, port, dbname, user, password)) + "\n")
    os.chmod(path, 0o600)
    if owner is not None and is_root():
        uid, gid = user_ids(owner)
        os.chown(path, uid, gid)


class PgServer:
    """One private server. base: its directory (made under /tmp when None);
    port: the TCP port on 127.0.0.1 (a free one when None). The port stays
    the same across stop() and start(), so clients reconnect to it."""

    def __init__(self, base=None, port=None):
        for tool in ("initdb", "pg_ctl", "psql"):
            if not os.access(os.path.join(PG_BIN, tool), os.X_OK):
                raise HarnessError(f"{PG_BIN}/{tool} not found: install the Debian package "
                                   f"'postgresql' (apt-get install postgresql)")
        self.base = base or tempfile.mkdtemp(prefix="airlock-pg-", dir="/tmp")
        os.makedirs(self.base, exist_ok=True)
        self.port = port or free_port()
        self.data = os.path.join(self.base, "data")
        self.logfile = os.path.join(self.base, "server.log")
        self.socket_dir = self.base
        self.run_as = PG_USER if is_root() else None
        if self.run_as:
            uid, gid = user_ids(PG_USER)
            os.chown(self.base, uid, gid)
        # Other users (the daemon's) only reach the socket through it.
        os.chmod(self.base, 0o755)
        self.superuser = self.run_as or _current_user()

    def _argv(self, argv):
        if self.run_as:
            return ["runuser", "-u", self.run_as, "--"] + argv
        return argv

    def _run(self, argv, check=True, timeout=120, **kwargs):
        return run(self._argv(argv), check=check, timeout=timeout, cwd=self.base, **kwargs)

    def initialized(self):
        return os.path.exists(os.path.join(self.data, "PG_VERSION"))

    def _init(self):
        self._run([f"{PG_BIN}/initdb", "-D", self.data, "-U", self.superuser,
                   "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8",
                   "--locale=C.UTF-8", "--no-instructions"], timeout=300)
        hba = os.path.join(self.data, "pg_hba.conf")
        with open(hba, "w") as f:
            f.write(f"local all {self.superuser} peer\n"
                    "host all all 127.0.0.1/32 scram-sha-256\n")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# airlock tests\n"
                    f"port = {self.port}\n"
                    "listen_addresses = '127.0.0.1'\n"
                    f"unix_socket_directories = '{self.socket_dir}'\n"
                    "password_encryption = 'scram-sha-256'\n"
                    "max_connections = 200\n"
                    "fsync = on\n"
                    "log_min_messages = warning\n")

    def start(self, timeout=120):
        """initdb on first use, then pg_ctl start; returns once the server
        accepts connections."""
        if not self.initialized():
            self._init()
        proc = self._run([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", self.logfile,
                          "-w", "-t", str(timeout), "start"], check=False, timeout=timeout + 30)
        if proc.returncode != 0:
            raise HarnessError(f"pg_ctl start exited {proc.returncode}: {proc.stderr.strip()}\n"
                               f"{self.log()[-3000:]}")
        wait_for(self.running, timeout, what="PostgreSQL to accept connections")

    def running(self):
        proc = run(self._argv([f"{PG_BIN}/pg_isready", "-q", "-h", self.socket_dir,
                               "-p", str(self.port)]), check=False, timeout=30)
        return proc.returncode == 0

    def stop(self, mode="fast", timeout=120):
        """pg_ctl stop (mode fast: clients are disconnected, immediate: no
        shutdown checkpoint, as a crash). Nothing when not running."""
        if not self.initialized():
            return
        pidfile = os.path.join(self.data, "postmaster.pid")
        if not os.path.exists(pidfile):
            return
        self._run([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", str(timeout),
                   "stop"], check=False, timeout=timeout + 30)
        wait_for(lambda: not os.path.exists(pidfile), timeout, what="PostgreSQL to stop")

    def cleanup(self):
        """Stops the server and removes its directory."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def psql(self, sql, dbname="postgres", timeout=120):
        """Runs sql as the superuser; returns psql's unaligned, tuples-only
        output (fields separated by '|')."""
        proc = self._run([f"{PG_BIN}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                          "-h", self.socket_dir, "-p", str(self.port), "-d", dbname,
                          "-c", sql], timeout=timeout)
        return proc.stdout

    def session(self, dbname="postgres", output=None):
        """An interactive psql as the superuser on dbname, left running: a
        Popen whose stdin (a text pipe) takes SQL, run as each statement
        is complete, so a transaction stays open until the caller ends it
        (closing stdin makes psql exit; the server then rolls back).
        output: a file for psql's stdout and stderr (default: discarded).
        The caller must end the process."""
        return subprocess.Popen(
            self._argv([f"{PG_BIN}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                        "-h", self.socket_dir, "-p", str(self.port), "-d", dbname]),
            stdin=subprocess.PIPE, stdout=output or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if output else subprocess.DEVNULL, text=True,
            cwd=self.base)

    def create_role(self, name, password, createdb=False):
        opts = "LOGIN" + (" CREATEDB" if createdb else "")
        self.psql(f"CREATE ROLE {_quote_ident(name)} {opts} PASSWORD {_quote_literal(password)}")

    def create_database(self, name, owner):
        self.psql(f"CREATE DATABASE {_quote_ident(name)} OWNER {_quote_ident(owner)}")

    def drop_database(self, name):
        self.psql(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")

    def dsn(self, dbname, user, passfile, extra=""):
        """The libpq connection string a gateway uses: TCP to 127.0.0.1,
        the password from passfile (never in the string)."""
        parts = [f"host=127.0.0.1 port={self.port} dbname={dsn_quote(dbname)}",
                 f"user={dsn_quote(user)} passfile={dsn_quote(passfile)} connect_timeout=10"]
        if extra:
            parts.append(extra)
        return " ".join(parts)

    def add_login(self, dbname, user, passfile, owner=None, createdb=False):
        """A new role owning a new database, its password in a new passfile
        (owned by owner when given). Returns the DSN."""
        password = secrets.token_urlsafe(18)
        self.create_role(user, password, createdb=createdb)
        self.create_database(dbname, user)
        write_passfile(passfile, "127.0.0.1", self.port, "*", user, password, owner=owner)
        return self.dsn(dbname, user, passfile)


class PgStore:
    """Read-only access to a quarantine store kept in PostgreSQL (the
    tests' view of it, as tests/lib/airlock.py's Store is of a SQLite
    one): queries run as the superuser through psql, rows come back as
    dicts (json_agg). Parameters are '?' placeholders quoted here: the
    values are the tests' own."""

    def __init__(self, server, dbname):
        self.server = server
        self.dbname = dbname

    def query(self, sql, params=()):
        pieces = sql.split("?")
        if len(pieces) != len(params) + 1:
            raise HarnessError(f"{len(params)} parameters for {len(pieces) - 1} placeholders")
        text = pieces[0]
        for value, piece in zip(params, pieces[1:]):
            text += (str(int(value)) if isinstance(value, int) else _quote_literal(str(value)))
            text += piece
        out = self.server.psql(f"SELECT coalesce(json_agg(t), '[]'::json) FROM ({text}) t",
                               self.dbname)
        return json.loads(out)

    def messages(self):
        return self.query("SELECT * FROM messages ORDER BY id")

    def message(self, qid):
        rows = self.query("SELECT * FROM messages WHERE id = ?", [qid])
        return rows[0] if rows else None

    def recipients(self, qid):
        return [r["address"] for r in self.query(
            "SELECT address FROM recipients WHERE message_id = ? ORDER BY address", [qid])]

    def events(self, qid):
        return [r["event"] for r in self.query(
            "SELECT event FROM events WHERE message_id = ? ORDER BY id", [qid])]

    def original(self, qid):
        """The stored original of message qid (bytes), None if not kept."""
        rows = self.query(
            "SELECT encode(content, 'hex') AS hex FROM originals WHERE message_id = ?",
                          [qid])
        return bytes.fromhex(rows[0]["hex"]) if rows else None

    def originals(self):
        """{id: bytes} of every stored original."""
        return {r["id"]: bytes.fromhex(r["hex"]) for r in self.query(
            "SELECT message_id AS id, encode(content, 'hex') AS hex FROM originals")}


def _current_user():
    import pwd
    return pwd.getpwuid(os.geteuid()).pw_name


# ---- the ctest fixture -----------------------------------------------------

def _fixture_dir(build_dir):
    return os.path.join(os.path.abspath(build_dir), "postgres")


def fixture_dsn(build_dir):
    """The DSN written by `pg.py start BUILD_DIR` (HarnessError if none)."""
    path = os.path.join(_fixture_dir(build_dir), "dsn")
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        raise HarnessError(f"{path} missing: run the postgres-start test first") from None


def fixture_stop(build_dir):
    directory = _fixture_dir(build_dir)
    state_path = os.path.join(directory, "state.json")
    if not os.path.exists(state_path):
        return
    with open(state_path) as f:
        state = json.load(f)
    server = PgServer(base=state["base"], port=state["port"]) \
        if os.path.isdir(state["base"]) else None
    if server is not None:
        server.cleanup()
    for name in ("dsn", "pgpass", "state.json"):
        try:
            os.unlink(os.path.join(directory, name))
        except FileNotFoundError:
            pass


def fixture_start(build_dir):
    directory = _fixture_dir(build_dir)
    os.makedirs(directory, exist_ok=True)
    fixture_stop(build_dir)  # a server left over by an interrupted run
    server = PgServer()
    with open(os.path.join(directory, "state.json"), "w") as f:
        json.dump({"base": server.base, "port": server.port}, f)
    try:
        server.start()
        dsn = server.add_login("airlock_test", "airlock_test",
                               os.path.join(directory, "pgpass"), createdb=True)
    except BaseException:
        fixture_stop(build_dir)
        raise
    with open(os.path.join(directory, "dsn"), "w") as f:
        f.write(dsn + "\n")
    return dsn


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print("usage: pg.py start|stop BUILD_DIR", file=sys.stderr)
        return 2
    try:
        if argv[1] == "start":
            print(fixture_start(argv[2]))
        else:
            fixture_stop(argv[2])
    except HarnessError as e:
        print(f"pg.py {argv[1]}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
