"""jack_runtime.sendmail: same envelope and headers as quixote.sendmail, a proper MIME body."""
from __future__ import annotations

import email
import email.policy
import types

import pytest
import quixote.sendmail as qsendmail

import jack_runtime.sendmail as jsendmail
from jack_runtime import context
from jack_runtime.config import Config
from jack_runtime.sendmail import RFC822Mailbox, sendmail


class FakeSMTP:
    """Records what smtplib would have been asked to do."""

    log: list = []

    def __init__(self, host, port=None, context=None):
        self.log.append(("connect", host, port, context is not None))

    def ehlo(self):
        pass

    def starttls(self, context=None):
        self.log.append(("starttls",))

    def login(self, user, password):
        self.log.append(("login", user, password))

    def sendmail(self, sender, recipients, message):
        self.log.append(("send", sender, list(recipients), message))

    def quit(self):
        self.log.append(("quit",))


@pytest.fixture()
def smtp(monkeypatch):
    FakeSMTP.log = []
    monkeypatch.setattr(jsendmail, "SMTP", FakeSMTP)
    monkeypatch.setattr(jsendmail, "SMTP_SSL", FakeSMTP)
    monkeypatch.setattr(qsendmail, "SMTP", FakeSMTP)
    monkeypatch.setattr(qsendmail, "SMTP_SSL", FakeSMTP)
    return FakeSMTP


def sent(log):
    (_, sender, recipients, message), = [e for e in log if e[0] == "send"]
    return sender, recipients, email.message_from_bytes(message, policy=email.policy.default)


CALLS = [
    dict(subject="Hello", msg_body="Body text\nline 2", to_addrs=["a@example.org"],
         from_addr="me@example.org"),
    dict(subject="Sübject ünïcode", msg_body="héllo wörld", to_addrs=[("b@example.org", "Bé, Jr.")],
         from_addr=("me@example.org", "Mé"), cc_addrs=["c@example.org", ("d@example.org", "D")]),
    dict(subject="S", msg_body="b", to_addrs=["a@example.org", "b@example.org"], from_addr="me@example.org",
         smtp_sender="bounce@example.org", smtp_recipients=["x@example.org"], extra_headers=["X-Tag: 1"]),
    dict(subject="S", msg_body="b", to_addrs=["a@example.org"], from_addr="me@example.org",
         mail_debug_addr="debug@example.org", smtp_recipients=["orig@example.org"]),
]


@pytest.mark.parametrize("call", CALLS)
def test_envelope_and_headers_match_quixote(smtp, call) -> None:
    qsendmail.sendmail(mail_server="mx.example.org", **call)
    q_sender, q_recipients, q_msg = sent(smtp.log)
    smtp.log = []
    sendmail(mail_server="mx.example.org", **call)
    j_sender, j_recipients, j_msg = sent(smtp.log)
    assert smtp.log[0] == ("connect", "mx.example.org", 25, False)
    assert (j_sender, j_recipients) == (q_sender, q_recipients)
    for name in ("From", "Subject", "To", "Cc", "X-Tag"):
        q_value, j_value = q_msg.get(name), j_msg.get(name)
        if name in ("To", "Cc") and q_value is not None:
            # Quixote folds multi-address headers over several lines
            q_value = " ".join(str(q_value).split())
        assert (str(j_value) if j_value is not None else None) == \
               (str(q_value) if q_value is not None else None), name
    assert j_msg["Date"] is not None
    assert j_msg.get_content_type() == "text/plain"
    assert j_msg.get_content_charset() == "utf-8"
    # SMTP line endings are CRLF on the wire
    j_body = j_msg.get_content().replace("\r\n", "\n").rstrip("\n")
    assert j_body == q_msg.get_payload(decode=True).decode("utf-8")
    assert j_msg["MIME-Version"] == "1.0" and j_msg["Content-Transfer-Encoding"] is not None


def test_long_recipient_lists_are_suppressed_in_headers(smtp) -> None:
    to = ["u%d@example.org" % i for i in range(11)]
    sendmail("S", "b", to, from_addr="me@example.org", mail_server="mx")
    sender, recipients, msg = sent(smtp.log)
    assert recipients == to
    assert "suppressed" in str(msg["To"]) and "u0@" not in str(msg["To"])


def test_content_type_from_extra_headers(smtp) -> None:
    sendmail("S", "<p>é</p>", ["a@x.org"], from_addr="me@x.org", mail_server="mx",
             extra_headers=["Content-Type: text/html; charset=iso-8859-1"])
    _, _, msg = sent(smtp.log)
    assert msg.get_content_type() == "text/html"
    assert msg.get_content_charset() == "iso-8859-1"
    assert msg.get_content().replace("\r\n", "\n") == "<p>é</p>\n"
    assert len(msg.get_all("Content-Type")) == 1


def test_defaults_come_from_the_app_config(smtp) -> None:
    config = Config(mail_from="app@x.org", mail_server="smtp.x.org", mail_port=2525,
                    mail_username="u", mail_password="p", mail_use_tls=True,
                    mail_debug_addr=None)
    token = context.bind(types.SimpleNamespace(config=config), None)
    try:
        sendmail("S", "b", ["a@x.org"])
    finally:
        context.unbind(token)
    assert smtp.log[0] == ("connect", "smtp.x.org", 2525, False)
    assert ("starttls",) in smtp.log and ("login", "u", "p") in smtp.log
    assert sent(smtp.log)[0] == "app@x.org"
    assert smtp.log[-1] == ("quit",)


def test_explicit_config_and_ports(smtp) -> None:
    config = Config(mail_from="c@x.org", mail_use_ssl=True)
    sendmail("S", "b", ["a@x.org"], config=config)
    assert smtp.log[0] == ("connect", "localhost", 465, True)


def test_argument_errors() -> None:
    with pytest.raises(TypeError):
        sendmail("S", "b", "a@x.org", from_addr="me@x.org", mail_server="mx")
    with pytest.raises(TypeError):
        sendmail("S", "b", ["a@x.org"], from_addr="me@x.org", cc_addrs="c@x.org", mail_server="mx")
    with pytest.raises(RuntimeError, match="from_addr"):
        sendmail("S", "b", ["a@x.org"], mail_server="mx")  # Quixote: AttributeError on None
    with pytest.raises(RuntimeError, match="mail_server"):
        sendmail("S", "b", ["a@x.org"], from_addr="me@x.org")  # outside a request, no config
    with pytest.raises(ValueError):
        sendmail("S", "b", ["a@x.org"], from_addr="me@x.org", mail_server="mx",
                 extra_headers=["X-Evil: a\r\nBcc: victim@x.org"])


def test_mailbox_objects_as_addresses(smtp) -> None:
    sendmail("S", "b", [RFC822Mailbox("a@x.org", "A")], from_addr=RFC822Mailbox("me@x.org"),
             cc_addrs=[RFC822Mailbox("c@x.org")], smtp_sender=("s@x.org", "S"), mail_server="mx")
    sender, recipients, msg = sent(smtp.log)
    assert (sender, recipients) == ("s@x.org", ["a@x.org", "c@x.org"])
    assert str(msg["To"]) == "A <a@x.org>" and str(msg["From"]) == "me@x.org"


def test_rfc822_mailbox() -> None:
    for args in (("a@x.org",), ("a@x.org", "Name"), (("a@x.org", "Smith, John"),), (("a@x.org",),)):
        j, q = RFC822Mailbox(*args), qsendmail.RFC822Mailbox(*args)
        assert (j.addr_spec, j.real_name, j.format(), str(j)) == (q.addr_spec, q.real_name, q.format(), str(q))
    with pytest.raises(TypeError):
        RFC822Mailbox("a", "b", "c")
    assert jsendmail.EMAIL_ENCODING == qsendmail.EMAIL_ENCODING
