"""The `backends` phase of bench/run (issue 19): airlock-milter with its
quarantine in SQLite and in PostgreSQL, on the same mixed corpus in the
same run.

- Throughput: the milter alone (no Postfix) at 1 and 8 connections, the
  two daemons taking turns within each round (the order rotates per
  round): messages/s, latency p50/p99, the milter's CPU per message and
  the whole machine's (PostgreSQL's server processes included).
- What a quarantine write adds: the corpus's harmless PE programs
  ("pe" kind, each sent PE_REPEAT times, stripped: `action_executable =
  strip` writes the original and its rows), sent over one connection, against the same messages with
  `action_executable = reject` (the same parsing and scanning, no store
  write, no rewritten body); the p50 latency difference per backend. The
  strip's rewrite of the body is in both backends' figure alike, so the
  difference between the two backends is the cost of the engine.

Every message is made unique before it is sent (an X-Bench-Unique header):
the store recognises the same bytes offered again within its retry window
and would not write them twice.

The PostgreSQL server is a private one (tests/lib/pg.py: initdb under
/tmp, TCP on 127.0.0.1, a role and database "airlock", the password in a
0600 passfile of the daemon's user): a same-machine database, so the
figures carry no network round trip; add yours.
"""

import os
import shutil
import tempfile
import time

import loadgen
from pg import PgServer, write_passfile
from util import log, user_ids

PE_KIND = "pe"
PE_REPEAT = 5  # each PE program sent this many times (each copy unique) per measure


def _unique(data, tag):
    nl = b"\r\n" if b"\r\n" in data[:4096] else b"\n"
    return b"X-Bench-Unique: " + tag.encode() + nl + data


def _prepare(entries, tag):
    return [loadgen.prepare_milter(_unique(e["data"], "%s-%d" % (tag, i)), i)
            for i, e in enumerate(entries)]


def _machine_busy_s():
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(x) for x in f.readline().split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else float("nan")


def _one_run(daemon, prepared, sessions):
    cpu0, busy0 = loadgen.proc_cpu_s(daemon.pid), _machine_busy_s()
    res = loadgen.run("milter", daemon.socket, prepared, sessions, list(range(len(prepared))))
    cpu, busy = loadgen.proc_cpu_s(daemon.pid) - cpu0, _machine_busy_s() - busy0
    return {"msgs_per_s": res.count / res.wall_s,
            "p50_ms": 1000 * loadgen.percentile(res.latencies_s, 50),
            "p99_ms": 1000 * loadgen.percentile(res.latencies_s, 99),
            "milter_cpu_ms_per_msg": 1000 * cpu / res.count,
            "machine_cpu_ms_per_msg": 1000 * busy / res.count,
            "failures": res.failures(), "replies": res.replies}


def _set_action(daemon, action):
    daemon.set("policy", "action_executable", action)
    daemon.reload(timeout=900)


def phase_backends(ctx, make_daemon, daemon_user):
    """make_daemon(name, extra_sections) starts an airlock-milter with the
    bench's configuration; returns the phase's figures."""
    pg = PgServer()
    ctx.cleanups.append(pg.cleanup)
    pg.start()
    password = os.urandom(12).hex()
    pg.create_role("airlock", password)
    pg.create_database("airlock", "airlock")
    secrets_dir = tempfile.mkdtemp(prefix="airlock-bench-pg-")
    ctx.cleanups.append(lambda: shutil.rmtree(secrets_dir, ignore_errors=True))
    os.chmod(secrets_dir, 0o755)
    passfile = os.path.join(secrets_dir, "pgpass")
    write_passfile(passfile, "127.0.0.1", pg.port, "airlock", "airlock", password,
                   owner=daemon_user)
    user_ids(daemon_user)
    daemons = {
        "sqlite": make_daemon("bench-sqlite", {}),
        "postgresql": make_daemon("bench-pg", {"quarantine": {
            "backend": "postgresql", "dsn": pg.dsn("airlock", "airlock", passfile)}}),
    }
    for d in daemons.values():
        ctx.cleanups.append(d.cleanup)
    mix = ctx.corpus["mix"]
    pes = [e for e in mix if e["kind"] == PE_KIND] * PE_REPEAT
    names = list(daemons)
    for name, d in daemons.items():  # warm-up: connections, caches, the schema
        loadgen.run("milter", d.socket, _prepare(mix[:20], "warm-" + name), 2, list(range(20)))
    runs = {}
    for r in range(ctx.rounds):
        order = names[r % 2:] + names[:r % 2]
        for sessions in (1, 8):
            for name in order:
                prepared = _prepare(mix, "r%d-s%d-%s" % (r, sessions, name))
                res = _one_run(daemons[name], prepared, sessions)
                runs.setdefault(str(sessions), {}).setdefault(name, []).append(res)
                log("  backends: round %d, %d connections, %-10s %.1f msg/s, p50 %.1f ms, "
                    "p99 %.1f ms, machine %.1f ms/msg, failures %d" % (
                        r + 1, sessions, name, res["msgs_per_s"], res["p50_ms"], res["p99_ms"],
                        res["machine_cpu_ms_per_msg"], res["failures"]))
    summary = {}
    for sessions, by_name in runs.items():
        summary[sessions] = {name: {k: _median([x[k] for x in xs]) for k in (
            "msgs_per_s", "p50_ms", "p99_ms", "milter_cpu_ms_per_msg", "machine_cpu_ms_per_msg")}
            for name, xs in by_name.items()}
        for name, xs in by_name.items():
            summary[sessions][name]["failures"] = sum(x["failures"] for x in xs)
        ratios = [p["msgs_per_s"] / s["msgs_per_s"]
                  for p, s in zip(by_name["postgresql"], by_name["sqlite"])]
        summary[sessions]["postgresql_vs_sqlite"] = _median(ratios)
        summary[sessions]["postgresql_vs_sqlite_rounds"] = ratios
    write = {}
    for name in names:
        d = daemons[name]
        strip, reject = [], []
        for r in range(ctx.rounds):
            for action, into in (("strip", strip), ("reject", reject)):
                _set_action(d, action)
                time.sleep(0.5)
                into.append(_one_run(d, _prepare(pes, "pe-r%d-%s-%s" % (r, action, name)), 1))
        _set_action(d, "strip")
        s_p50 = _median([x["p50_ms"] for x in strip])
        r_p50 = _median([x["p50_ms"] for x in reject])
        write[name] = {"messages": len(pes), "strip_p50_ms": s_p50, "reject_p50_ms": r_p50,
                       "added_ms": s_p50 - r_p50,
                       "strip_replies": strip[-1]["replies"], "reject_replies": reject[-1]["replies"]}
        log("  backends: %s, PE stripped p50 %.1f ms, rejected %.1f ms: a quarantine write "
            "adds %.1f ms (replies %s / %s)" % (name, s_p50, r_p50, s_p50 - r_p50,
                                                 strip[-1]["replies"], reject[-1]["replies"]))
    for d in daemons.values():
        d.stop(timeout=300)
    return {"runs": runs, "summary": summary, "quarantine_write": write,
            "postgresql": "15, private server on 127.0.0.1 (same machine)"}


def report_lines(result):
    lines = ["## Quarantine backends: SQLite vs PostgreSQL (the milter alone, medians)", "",
             "| connections | backend | msg/s | p50 ms | p99 ms | milter CPU ms/msg | machine "
             "CPU ms/msg | failures |", "|---|---|---|---|---|---|---|---|"]
    for sessions, by_name in result["summary"].items():
        for name in ("sqlite", "postgresql"):
            v = by_name[name]
            lines.append("| %s | %s | %.1f | %.1f | %.1f | %.2f | %.2f | %d |" % (
                sessions, name, v["msgs_per_s"], v["p50_ms"], v["p99_ms"],
                v["milter_cpu_ms_per_msg"], v["machine_cpu_ms_per_msg"], v["failures"]))
        lines.append("| %s | postgresql/sqlite | %.2f (rounds %s) | | | | | |" % (
            sessions, by_name["postgresql_vs_sqlite"],
            ", ".join("%.2f" % x for x in by_name["postgresql_vs_sqlite_rounds"])))
    lines += ["", "What a quarantine write adds (1 connection, the corpus's PE programs, "
              "p50 latency stripped minus rejected):", "",
              "| backend | messages | stripped p50 ms | rejected p50 ms | added ms |",
              "|---|---|---|---|---|"]
    for name, v in result["quarantine_write"].items():
        lines.append("| %s | %d | %.1f | %.1f | %.1f |" % (
            name, v["messages"], v["strip_p50_ms"], v["reject_p50_ms"], v["added_ms"]))
    return lines + [""]
