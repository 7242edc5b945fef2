#!/usr/bin/env python3
"""A sendmail(1) stand-in for airlock-milter's [notice] command in tests.

airlock-milter runs COMMAND -f SENDER -- RCPT... with the message on
stdin (include/airlock/sendmail.h). Two modes, chosen by the first
arguments (the part written in the config):

  fake_sendmail.py --record DIR [sendmail options]
      writes DIR/notice-N.json ({"sender", "recipients", "argv"}) and
      DIR/notice-N.eml (stdin, unchanged), N counting from 1.
  fake_sendmail.py --smtp HOST:PORT [sendmail options]
      submits the message over SMTP (MAIL FROM:<SENDER>, one RCPT per
      recipient), line ends made CRLF as sendmail -i does; the exit
      status is 0 only when the server accepted it (75, EX_TEMPFAIL,
      for a 4xx; 69, EX_UNAVAILABLE, for a 5xx).

Why not /usr/sbin/sendmail -C DIR: the daemon runs it after dropping
root, and Postfix lets an unprivileged user name another configuration
directory only when the default /etc/postfix/main.cf lists it in
alternate_config_directories; the test machines have no such file and
the tests do not touch /etc.

Sendmail options (-i, -oi, -G, -t is refused) are accepted and ignored.
"""

import fcntl
import json
import os
import re
import smtplib
import sys


def parse(argv):
    mode, target = argv[0], argv[1]
    rest = argv[2:]
    sender = None
    recipients = []
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--":
            recipients = rest[i + 1:]
            break
        if arg == "-f":
            sender = rest[i + 1]
            i += 2
            continue
        if arg.startswith("-f"):
            sender = arg[2:]
        elif arg == "-t":
            raise SystemExit("fake_sendmail: -t is not supported")
        elif not arg.startswith("-"):
            recipients = rest[i:]
            break
        i += 1
    if mode not in ("--record", "--smtp") or sender is None or not recipients:
        raise SystemExit(f"fake_sendmail: usage: --record DIR|--smtp HOST:PORT ... -f SENDER -- "
                         f"RCPT... (got {argv!r})")
    return mode, target, sender, recipients


def record(directory, argv, sender, recipients, message):
    # A lock file makes the numbering safe with concurrent notices.
    with open(os.path.join(directory, ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        n = 1
        while os.path.exists(os.path.join(directory, f"notice-{n}.json")):
            n += 1
        with open(os.path.join(directory, f"notice-{n}.eml"), "wb") as f:
            f.write(message)
        with open(os.path.join(directory, f"notice-{n}.json"), "w", encoding="utf-8") as f:
            json.dump({"sender": sender, "recipients": recipients, "argv": argv}, f)
    return 0


def submit(target, sender, recipients, message):
    host, port = target.rsplit(":", 1)
    data = re.sub(rb"\r?\n", b"\r\n", message)
    try:
        with smtplib.SMTP(host, int(port), timeout=120) as s:
            s.sendmail(sender, recipients, data)
    except smtplib.SMTPRecipientsRefused as e:
        codes = [c for c, _ in e.recipients.values()]
        print(f"fake_sendmail: refused: {e.recipients}", file=sys.stderr)
        return 75 if all(400 <= c < 500 for c in codes) else 69
    except smtplib.SMTPResponseException as e:
        print(f"fake_sendmail: {e.smtp_code} {e.smtp_error!r}", file=sys.stderr)
        return 75 if 400 <= e.smtp_code < 500 else 69
    except (OSError, smtplib.SMTPException) as e:
        print(f"fake_sendmail: {e}", file=sys.stderr)
        return 75
    return 0


def main():
    argv = sys.argv[1:]
    mode, target, sender, recipients = parse(argv)
    message = sys.stdin.buffer.read()
    if mode == "--record":
        return record(target, argv, sender, recipients, message)
    return submit(target, sender, recipients, message)


if __name__ == "__main__":
    sys.exit(main())
