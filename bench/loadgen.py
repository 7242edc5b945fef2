"""Load clients for bench/run: SMTP (to Postfix) and milter (straight to
airlock-milter), each with N concurrent sessions in N processes.

Every message is prepared once before the clock starts: for SMTP, the
dot-stuffed DATA bytes; for the milter, the framed protocol packets
(connect, helo, macros, MAIL, RCPT, each header, end of headers, body
chunks of 64 KiB). A worker process per session opens one connection
per message, as an MTA receiving from the Internet mostly does, and
records the time from connect to the final reply.

    prepared = prepare_milter(messages)         # [(eml bytes)] -> packets
    result = run_milter(socket_path, prepared, sessions=8, order=[...])
    result = run_smtp(port, prepared_smtp, sessions=8, order=[...])
    result.replies       # {"accept": 180, "discard": 20}
    result.latencies_s   # one per message, in completion order
    result.wall_s, result.client_cpu_s

Standard library only.
"""

import multiprocessing
import os
import resource
import socket
import struct
import time

MAX_CHUNK = 65535
SMFIC_OPTNEG = b"O"
FINAL = {b"a": "accept", b"c": "continue", b"d": "discard", b"r": "reject", b"t": "tempfail",
         b"y": "replycode"}
MODIFICATIONS = set(b"+-hibmqsfe")  # add/del rcpt, headers, body, quarantine, ...
ENVELOPE_FROM = "resultats@outside.example"
RCPT = "bob@sink.test"


class Result:
    def __init__(self):
        self.replies = {}
        self.latencies_s = []
        self.errors = []
        self.wall_s = 0.0
        self.client_cpu_s = 0.0
        self.count = 0

    def add(self, reply, latency):
        self.replies[reply] = self.replies.get(reply, 0) + 1
        self.latencies_s.append(latency)

    def failures(self):
        return sum(n for r, n in self.replies.items() if r.startswith(("tempfail", "error", "4")))


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(p / 100.0 * (len(ordered) - 1)))))
    return ordered[k]


# ------------------------------------------------------------- milter

def _frame(cmd, data=b""):
    return struct.pack("!I", len(data) + 1) + cmd + data


def _split(eml):
    i = eml.find(b"\r\n\r\n")
    return (eml, b"") if i < 0 else (eml[:i + 2], eml[i + 4:])


def _headers(head):
    fields = []
    for line in head.split(b"\r\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] = (fields[-1][0], fields[-1][1] + b"\r\n" + line)
        else:
            name, _, value = line.partition(b":")
            fields.append((name, value[1:] if value.startswith(b" ") else value))
    return fields


# The "no reply" protocol flag of each step (SMFIP_NR_*), as Postfix
# offers them: the filter may choose to answer nothing to a step.
NR_CONN, NR_HELO, NR_MAIL, NR_RCPT = 0x1000, 0x2000, 0x4000, 0x8000
NR_HDR, NR_EOH, NR_BODY = 0x80, 0x40000, 0x80000
NR_ALL = NR_CONN | NR_HELO | NR_MAIL | NR_RCPT | NR_HDR | NR_EOH | NR_BODY


def prepare_milter(eml, index):
    """The packets of one transaction: (bytes, the step's no-reply flag)."""
    packets = [
        (_frame(b"C", b"client.outside.example\0" + b"4" + struct.pack("!H", 25) +
                b"198.51.100.7\0"), NR_CONN),
        (_frame(b"H", b"client.outside.example\0"), NR_HELO),
    ]
    macros = b"M" + b"i\0" + ("B%07X" % index).encode() + b"\0"
    mail = _frame(b"D", macros) + _frame(b"M", b"<" + ENVELOPE_FROM.encode() + b">\0")
    packets.append((mail, NR_MAIL))
    packets.append((_frame(b"R", b"<" + RCPT.encode() + b">\0"), NR_RCPT))
    head, body = _split(eml)
    for name, value in _headers(head):
        packets.append((_frame(b"L", name + b"\0" + value + b"\0"), NR_HDR))
    packets.append((_frame(b"N"), NR_EOH))
    for pos in range(0, len(body), MAX_CHUNK):
        packets.append((_frame(b"B", body[pos:pos + MAX_CHUNK]), NR_BODY))
    return packets


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise OSError("the filter closed the connection")
        buf += chunk
    return bytes(buf)


def _recv_packet(sock):
    (length,) = struct.unpack("!I", _recv_exact(sock, 4))
    data = _recv_exact(sock, length)
    return data[:1], data[1:]


def milter_transaction(path, packets, timeout):
    """One connection, one message. Returns the final reply name."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        # Offered as Postfix offers them: every "no reply" step but DATA
        # and unknown commands (never sent here), leading spaces kept.
        sock.sendall(_frame(SMFIC_OPTNEG, struct.pack("!III", 6, 0x1FF, NR_ALL | 0x100000)))
        code, payload = _recv_packet(sock)
        if code != SMFIC_OPTNEG:
            return "error:negotiate"
        _, _, protocol = struct.unpack("!III", payload[:12])
        for packet, no_reply in packets:
            sock.sendall(packet)
            if protocol & no_reply:
                continue
            code, payload = _recv_packet(sock)
            if code != b"c":
                return "early-" + FINAL.get(code, code.decode(errors="replace"))
        sock.sendall(_frame(b"E"))
        while True:
            code, payload = _recv_packet(sock)
            if code == b"p" or code[0] in MODIFICATIONS:
                continue
            reply = FINAL.get(code, "error:" + code.decode(errors="replace"))
            if code == b"y":
                reply = "replycode " + payload[:3].decode(errors="replace")
            sock.sendall(_frame(b"Q"))
            return reply


def _smtp_reply(sock_file):
    lines = []
    while True:
        line = sock_file.readline()
        if not line:
            raise OSError("the server closed the connection")
        lines.append(line)
        if line[3:4] != b"-":
            return line[:3].decode(errors="replace"), b"".join(lines)


# --------------------------------------------------------------- smtp

def prepare_smtp(eml):
    """DATA bytes: dot-stuffed, ending with CRLF.CRLF."""
    data = eml.replace(b"\r\n.", b"\r\n..")
    if data.startswith(b"."):
        data = b"." + data
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def smtp_transaction(port, data, timeout):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        f = sock.makefile("rb")
        code, _ = _smtp_reply(f)
        if code != "220":
            return code
        for command, expected in ((b"EHLO client.outside.example\r\n", "250"),
                                  (b"MAIL FROM:<%s>\r\n" % ENVELOPE_FROM.encode(), "250"),
                                  (b"RCPT TO:<%s>\r\n" % RCPT.encode(), "250"),
                                  (b"DATA\r\n", "354")):
            sock.sendall(command)
            code, _ = _smtp_reply(f)
            if code != expected:
                return code
        sock.sendall(data)
        code, _ = _smtp_reply(f)
        sock.sendall(b"QUIT\r\n")
        return code


# ---------------------------------------------------------- sessions

def _worker(kind, target, prepared, indices, timeout, queue):
    out = []
    for i in indices:
        start = time.monotonic()
        try:
            if kind == "milter":
                reply = milter_transaction(target, prepared[i], timeout)
            else:
                reply = smtp_transaction(target, prepared[i], timeout)
        except (OSError, struct.error) as e:
            reply = "error:%s" % e.__class__.__name__
        out.append((reply, time.monotonic() - start, i))
    queue.put(out)


def run(kind, target, prepared, sessions, order, timeout=300, on_start=None):
    """Sends prepared[i] for i in order over `sessions` concurrent
    sessions (message k goes to session k % sessions). kind: "milter"
    (target: socket path) or "smtp" (target: port). Returns a Result;
    wall_s runs from the start of the sessions to the last reply."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = [ctx.Process(target=_worker, args=(kind, target, prepared, order[k::sessions],
                                                timeout, queue)) for k in range(sessions)]
    result = Result()
    start = time.monotonic()
    for p in procs:
        p.start()
    if on_start is not None:
        on_start()
    for _ in procs:
        for reply, latency, _i in queue.get():
            result.add(reply, latency)
    result.wall_s = time.monotonic() - start
    for p in procs:
        p.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.client_cpu_s = ((after.ru_utime + after.ru_stime) -
                           (before.ru_utime + before.ru_stime))
    result.count = len(order)
    return result


def proc_cpu_s(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open("/proc/%d/stat" % pid, encoding="ascii") as f:
        fields = f.read().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status_kib(pid, field):
    with open("/proc/%d/status" % pid, encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def reset_peak_rss(pid):
    """Resets VmHWM to the current RSS (Linux clear_refs 5)."""
    with open("/proc/%d/clear_refs" % pid, "w", encoding="ascii") as f:
        f.write("5")
