#!/usr/bin/env python3
"""End-to-end tests of recipients' links and the digests: a real
airlock-milter behind a real, private Postfix (test_e2e.py's set-up),
notices and digests sent through [notice] command back into that Postfix
and delivered into Maildirs.

    python3 tests/e2e/test_digest.py BUILD_DIR        (as root)

Scenarios: a stripped message to one recipient carries, in its notice, a
link that opens that recipient's page (checked from the link format with
the store's key: tests/lib/weblink.py); to two recipients, the shared
message carries no link and each gets a mail of their own with theirs;
airlockctl link prints a link for the address given; airlockctl digest
mails each recipient with held messages one summary with their link, a
recipient without any nothing, and a second run nothing at all.
Prints "N passed, M failed"; exits 1 on any failure.
"""

import email.header
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)

import messages  # noqa: E402
import weblink  # noqa: E402
from test_admin import Admin  # noqa: E402
from test_e2e import check  # noqa: E402
from util import suite_main  # noqa: E402

PUBLIC_URL = "https://quarantine.sink.test"


def subject_of(data):
    raw = messages.parse(data).get("Subject", "")
    return str(email.header.make_header(email.header.decode_header(raw)))


class Digest(Admin):
    def setup(self):
        super().setup()
        self.daemon.set("web", "public_url", PUBLIC_URL)
        self.daemon.set("notice", "admin_address", "postmaster@sink.test")
        self.daemon.reload()
        self.key = weblink.read_key(self.daemon.quarantine)

    # ---- helpers ----

    def airlock_mails(self, snap, box, subject_part):
        """Mails from Airlock to box since snap whose subject has
        subject_part."""
        return [m for m in self.pf.new_since(snap, box) if subject_part in subject_of(m)]

    def links_open(self, text, rcpt, what):
        tokens = weblink.tokens_in(text)
        check(len(tokens) == 2, f"{what}: expected the link in French and English, got {tokens}")
        for token in tokens:
            check(weblink.verify(token, self.key) == rcpt,
                  f"{what}: link {token} does not open {rcpt}'s page")
        check(f"{PUBLIC_URL}/r/{tokens[0]}" in text, f"{what}: the link is not under {PUBLIC_URL}")

    # ---- scenarios ----

    def test_stripped_notice_to_one_recipient_carries_their_link(self):
        snap = self.pf.snapshot()
        sent, mid, qid = self.quarantine("pdf-stranger.eml", "one", ["bob@sink.test"])
        got = self.one_delivered(snap, "bob", mid)
        check(self.stripped_id(got) == qid, "the stripped copy names another id")
        self.links_open(messages.decoded_text(got), "bob@sink.test", "bob's notice")
        check(self.airlock_mails(snap, "bob", "Your quarantine link") == [],
              "a separate link mail was sent for a message with one recipient")

    def test_two_recipients_each_get_their_own_link_apart(self):
        snap = self.pf.snapshot()
        sent, mid, qid = self.quarantine("pdf-stranger.eml", "two",
                                         ["bob@sink.test", "carol@sink.test"])
        for box in ("bob", "carol"):
            got = self.one_delivered(snap, box, mid)
            text = messages.decoded_text(got)
            check(weblink.tokens_in(text) == [], f"{box}'s copy of a shared message has a link")
            check("Each recipient is sent their own personal link" in text,
                  f"{box}'s notice does not say where the link is")
            own = self.airlock_mails(snap, box, "Your quarantine link")
            check(len(own) == 1, f"{box} got {len(own)} link mails" + self.diagnostics())
            check(messages.parse(own[0]).get_all("To") == [f"{box}@sink.test"],
                  f"the link mail is addressed to {messages.parse(own[0]).get_all('To')}")
            own_text = messages.decoded_text(own[0])
            check(qid in own_text, f"{box}'s link mail does not name {qid}")
            self.links_open(own_text, f"{box}@sink.test", f"{box}'s link mail")

    def test_airlockctl_link_prints_a_link_for_that_address(self):
        out = self.ok("link", "Dave@Sink.test")
        check(out.startswith(f"{PUBLIC_URL}/r/") and out.endswith("\n") and out.count("\n") == 1,
              f"link printed {out!r}")
        token = out.strip().rsplit("/", 1)[1]
        check(weblink.verify(token, self.key) == "dave@sink.test",
              f"the printed link does not open dave's page: {out!r}")
        self.user_error("is not one mail address", "link", "not an address")

    def test_digest_mails_each_recipient_once_with_their_link(self):
        # bob and carol have messages held by the scenarios above; dave
        # only gets clean mail.
        self.send_ok(messages.numbered(messages.corpus("clean-text.eml"), 1, "dave"),
                     "stranger@unknown.example", ["dave@sink.test"])
        self.settle()
        held = {row["id"] for row in self.daemon.store.messages()}
        snap = self.pf.snapshot()
        out = self.ok("digest")
        check(re.match(r"^digest: 2 recipients mailed \(\d+ messages\), 0 pending requests",
                       out), f"digest printed {out!r}")
        self.settle()
        for box in ("bob", "carol"):
            got = self.airlock_mails(snap, box, "Messages held for you")
            check(len(got) == 1, f"{box} got {len(got)} digests" + self.diagnostics())
            text = messages.decoded_text(got[0])
            self.links_open(text, f"{box}@sink.test", f"{box}'s digest")
            mine = {qid for qid in held
                    if f"{box}@sink.test" in self.daemon.store.recipients(qid)}
            check(mine and all(qid in text for qid in mine),
                  f"{box}'s digest lacks some of {sorted(mine)}")
        check(self.pf.new_since(snap, "dave") == [], "dave, with nothing held, got mail")
        check(self.pf.new_since(snap, "postmaster") == [], "the admin got mail with no request")
        # The timer again the same day: nothing new, nothing sent.
        snap = self.pf.snapshot()
        out = self.ok("digest")
        check(out.startswith("digest: 0 recipients mailed"), f"second digest printed {out!r}")
        self.settle()
        for box in ("bob", "carol", "dave", "postmaster"):
            check(self.pf.new_since(snap, box) == [], f"the second digest mailed {box}")

    def scenarios(self):
        return [self.test_stripped_notice_to_one_recipient_carries_their_link,
                self.test_two_recipients_each_get_their_own_link_apart,
                self.test_airlockctl_link_prints_a_link_for_that_address,
                self.test_digest_mails_each_recipient_once_with_their_link,
                self.test_clean_stop]


def main():
    return suite_main(Digest, "test_digest.py BUILD_DIR")


if __name__ == "__main__":
    sys.exit(main())
