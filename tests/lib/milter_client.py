"""The MTA side of the milter protocol (version 6), for the tests that
miltertest cannot run.

Why: miltertest 1.6 (Debian's miltertest 2.11.0~beta2) reads every reply
of the filter at end of message into a 1024-byte stack buffer without a
length check, so any SMFIR_REPLBODY larger than that (every real strip:
the notice alone is bigger) kills it with "stack smashing detected", and
its Lua API cannot return the new body anyway. This client records every
modification the filter requests, so the tests can rebuild the message
as the MTA would deliver it and look at the notice.

    with MilterSession(socket_path) as s:
        s.negotiate()
        result = s.transaction(message_bytes, client_ip="198.51.100.7", ...)
    result.reply       # "accept", "discard", "reject", "tempfail", "replycode"
    result.reply_text  # for replycode: "550 5.7.1 text"
    result.mods        # [("insheader", idx, name, value), ("chgheader", idx, name, value),
                       #  ("addheader", name, value), ("replbody", bytes), ...]
    result.message()   # the message after the modifications (CRLF bytes)
"""

import socket
import struct

# commands (MTA -> filter)
SMFIC_ABORT, SMFIC_BODY, SMFIC_CONNECT, SMFIC_MACRO = b"A", b"B", b"C", b"D"
SMFIC_BODYEOB, SMFIC_HELO, SMFIC_HEADER, SMFIC_MAIL = b"E", b"H", b"L", b"M"
SMFIC_EOH, SMFIC_OPTNEG, SMFIC_QUIT, SMFIC_RCPT, SMFIC_DATA = b"N", b"O", b"Q", b"R", b"T"

# protocol flags
SMFIP_NOCONNECT, SMFIP_NOHELO, SMFIP_NOMAIL, SMFIP_NORCPT = 0x1, 0x2, 0x4, 0x8
SMFIP_NOBODY, SMFIP_NOHDRS, SMFIP_NOEOH, SMFIP_NR_HDR = 0x10, 0x20, 0x40, 0x80
SMFIP_NOUNKNOWN, SMFIP_NODATA, SMFIP_SKIP, SMFIP_RCPT_REJ = 0x100, 0x200, 0x400, 0x800
SMFIP_NR_CONN, SMFIP_NR_HELO, SMFIP_NR_MAIL, SMFIP_NR_RCPT = 0x1000, 0x2000, 0x4000, 0x8000
SMFIP_NR_DATA, SMFIP_NR_UNKN, SMFIP_NR_EOH, SMFIP_NR_BODY = 0x10000, 0x20000, 0x40000, 0x80000
SMFIP_HDR_LEADSPC = 0x100000
ALL_PROTOCOL = 0x1FFFFF
ALL_ACTIONS = 0x1FF  # add/change headers, body, rcpts, quarantine, chgfrom, setsymlist

FINAL = {b"a": "accept", b"c": "continue", b"d": "discard", b"r": "reject", b"t": "tempfail",
         b"y": "replycode"}
MAX_CHUNK = 65535


class MilterError(Exception):
    pass


class Result:
    def __init__(self, original, reply, reply_text, mods):
        self.original = original
        self.reply = reply
        self.reply_text = reply_text
        self.mods = mods

    def header_mods(self, kind, name=None):
        return [m for m in self.mods if m[0] == kind and (name is None or
                                                          m[-2].lower() == name.lower())]

    def new_body(self):
        """The replaced body (joined chunks), or None if not replaced."""
        chunks = [m[1] for m in self.mods if m[0] == "replbody"]
        return b"".join(chunks) if chunks else None

    def message(self):
        """The message as the MTA would pass it on: header modifications
        applied in order (as Postfix and sendmail do), then the body."""
        head, body = _split(self.original)
        fields = _fields(head)
        for mod in self.mods:
            if mod[0] == "addheader":
                fields.append((mod[1], b" " + mod[2]))
            elif mod[0] == "insheader":
                idx = min(mod[1], len(fields))
                fields.insert(idx, (mod[2], b" " + mod[3]))
            elif mod[0] == "chgheader":
                _, idx, name, value = mod
                same = [i for i, (n, _) in enumerate(fields) if n.lower() == name.lower()]
                if idx <= len(same):
                    if value:
                        fields[same[idx - 1]] = (fields[same[idx - 1]][0], b" " + value)
                    else:
                        del fields[same[idx - 1]]
                elif value:
                    fields.append((name, b" " + value))
        new_body = self.new_body()
        out = b"".join(n.encode() + b":" + v + b"\r\n" for n, v in fields)
        return out + b"\r\n" + (new_body if new_body is not None else body)


def _split(data):
    i = data.find(b"\r\n\r\n")
    if i < 0:
        return data, b""
    return data[:i + 2], data[i + 4:]


def _fields(head):
    """[(name, raw value with its leading space and folding, CRLF kept
    inside)] of a CRLF header block."""
    fields = []
    for line in head.split(b"\r\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b"\r\n" + line)
        else:
            name, _, value = line.partition(b":")
            fields.append((name.decode("ascii"), value))
    return fields


class MilterSession:
    def __init__(self, path, timeout=120):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.actions = 0
        self.protocol = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.sock is not None:
            try:
                self._send(SMFIC_QUIT)
            except OSError:
                pass
            self.sock.close()
            self.sock = None

    # ---- wire ----

    def _send(self, cmd, data=b""):
        self.sock.sendall(struct.pack("!I", len(data) + 1) + cmd + data)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise MilterError("the filter closed the connection")
            buf += chunk
        return buf

    def _recv(self):
        (length,) = struct.unpack("!I", self._recv_exact(4))
        if length < 1 or length > 16 * 1024 * 1024:
            raise MilterError(f"bad packet length {length}")
        data = self._recv_exact(length)
        return data[:1], data[1:]

    def _step(self, cmd, data, no_reply_flag, what):
        """Sends one step; returns the filter's reply code (or 'continue'
        when it negotiated not to answer)."""
        self._send(cmd, data)
        if self.protocol & no_reply_flag:
            return "continue"
        code, payload = self._recv()
        if code == b"y":
            return "replycode:" + payload.rstrip(b"\0").decode("utf-8", "replace")
        if code not in FINAL:
            raise MilterError(f"{what}: unexpected reply {code!r}")
        return FINAL[code]

    # ---- protocol ----

    def negotiate(self, actions=ALL_ACTIONS, protocol=ALL_PROTOCOL):
        self._send(SMFIC_OPTNEG, struct.pack("!III", 6, actions, protocol))
        code, payload = self._recv()
        if code != SMFIC_OPTNEG or len(payload) < 12:
            raise MilterError(f"negotiation: reply {code!r}")
        _, self.actions, self.protocol = struct.unpack("!III", payload[:12])

    def macro(self, for_cmd, **macros):
        data = for_cmd
        for name, value in macros.items():
            data += name.encode() + b"\0" + value.encode() + b"\0"
        self._send(SMFIC_MACRO, data)

    def transaction(self, message, client_ip="192.0.2.1", client_host="client.example",
                    helo="client.example", mail_from="sender@example.org",
                    rcpts=("bob@test.example",), auth=None, queue_id="PYQID1", chunk=MAX_CHUNK):
        """One message. Every step before end of message must be answered
        'continue'. Returns a Result."""
        if not 1 <= chunk <= MAX_CHUNK:
            raise ValueError(chunk)
        steps = []
        if not self.protocol & SMFIP_NOCONNECT:
            port = struct.pack("!H", 25)
            steps.append((SMFIC_CONNECT, client_host.encode() + b"\0" + b"4" + port +
                          client_ip.encode() + b"\0", SMFIP_NR_CONN, "connect"))
        if not self.protocol & SMFIP_NOHELO:
            steps.append((SMFIC_HELO, helo.encode() + b"\0", SMFIP_NR_HELO, "HELO"))
        for cmd, data, flag, what in steps:
            self._expect_continue(self._step(cmd, data, flag, what), what)
        macros = {"i": queue_id}
        if auth is not None:
            macros["{auth_authen}"] = auth
        self.macro(SMFIC_MAIL, **macros)
        self._expect_continue(self._step(SMFIC_MAIL, f"<{mail_from}>".encode() + b"\0",
                                         SMFIP_NR_MAIL, "MAIL"), "MAIL")
        for rcpt in rcpts:
            self._expect_continue(self._step(SMFIC_RCPT, f"<{rcpt}>".encode() + b"\0",
                                             SMFIP_NR_RCPT, "RCPT"), "RCPT " + rcpt)
        head, body = _split(message)
        for name, value in _fields(head):
            if not self.protocol & SMFIP_HDR_LEADSPC and value.startswith(b" "):
                value = value[1:]
            self._expect_continue(self._step(SMFIC_HEADER, name.encode() + b"\0" + value + b"\0",
                                             SMFIP_NR_HDR, "header"), "header " + name)
        self._expect_continue(self._step(SMFIC_EOH, b"", SMFIP_NR_EOH, "EOH"), "EOH")
        for pos in range(0, len(body), chunk):
            self._expect_continue(self._step(SMFIC_BODY, body[pos:pos + chunk], SMFIP_NR_BODY,
                                             "body"), f"body chunk at {pos}")
        return self._end_of_message(message)

    @staticmethod
    def _expect_continue(reply, what):
        if reply != "continue":
            raise MilterError(f"{what}: the filter answered {reply}, expected continue")

    def _end_of_message(self, message):
        self._send(SMFIC_BODYEOB)
        mods = []
        while True:
            code, payload = self._recv()
            if code == b"p":  # progress
                continue
            if code in FINAL:
                text = payload.rstrip(b"\0").decode("utf-8", "replace") if code == b"y" else None
                return Result(message, FINAL[code], text, mods)
            if code == b"h":
                name, value = payload.rstrip(b"\0").split(b"\0", 1)
                mods.append(("addheader", name.decode(), value))
            elif code in (b"i", b"m"):
                (idx,) = struct.unpack("!I", payload[:4])
                name, value = payload[4:].rstrip(b"\0").split(b"\0", 1) \
                    if b"\0" in payload[4:].rstrip(b"\0") else (payload[4:].rstrip(b"\0"), b"")
                mods.append(("insheader" if code == b"i" else "chgheader", idx, name.decode(),
                             value))
            elif code == b"b":
                mods.append(("replbody", payload))
            else:
                mods.append(("other", code.decode(), payload))
