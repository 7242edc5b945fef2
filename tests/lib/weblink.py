"""Recipients' signed links (include/airlock/weblink.h), checked on the
Python side from the format alone, so that a test proves what a link in a
notice or a digest opens:

    PUBLIC_URL/r/TOKEN
    TOKEN = base64url(address) "." expires "." base64url(mac)
    mac   = HMAC-SHA256(key, "airlock-link-v1" LF address LF expires)
"""

import base64
import hashlib
import hmac
import os
import re
import time

TOKEN = re.compile(rb"/r/([A-Za-z0-9_-]+\.[0-9]+\.[A-Za-z0-9_-]+)")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def read_key(quarantine_dir):
    """The release key of a store directory (root reads it)."""
    with open(os.path.join(quarantine_dir, "release.key"), "rb") as f:
        return f.read()


def verify(token, key, now=None):
    """The address token opens, or None when it is forged or expired."""
    if isinstance(token, bytes):
        token = token.decode("ascii")
    address_b64, expires, mac_b64 = token.split(".")
    address = _unb64(address_b64)
    message = b"airlock-link-v1\n" + address + b"\n" + expires.encode("ascii")
    expected = hmac.new(key, message, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _unb64(mac_b64)):
        return None
    if int(expires) <= (now if now is not None else time.time()):
        return None
    return address.decode("utf-8")


def tokens_in(text):
    """Every link token in a mail's decoded text (bytes or str)."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    return [m.decode("ascii") for m in TOKEN.findall(text)]
