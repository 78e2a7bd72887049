"""Sending mail from Jack applications: ``quixote.sendmail``'s API over smtplib.

Same signature and defaults as Quixote 3.8 (defaults come from the current app's config,
or from ``config``). The message is built with :mod:`email.message`, so the body gets a
proper Content-Transfer-Encoding (Quixote sent raw 8-bit text with no MIME headers).
Without a ``from_addr`` and with no config to supply ``mail_from``, this raises a clear
RuntimeError (Quixote dereferenced None).
"""
from __future__ import annotations

import datetime
import email.utils
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from typing import Any

from . import context

__all__ = ["sendmail", "RFC822Mailbox", "EMAIL_ENCODING", "MAX_HEADER_RECIPIENTS"]

EMAIL_ENCODING = 'utf-8'

# At most this many recipients are listed in one To or Cc header; beyond, the header
# is an empty group "long recipient list suppressed: ;" (the envelope has them all).
MAX_HEADER_RECIPIENTS = 10

SMTP = smtplib.SMTP
SMTP_SSL = smtplib.SMTP_SSL


class RFC822Mailbox:
    """An e-mail address with an optional real name, formatted with RFC 822 quoting.

    ``RFC822Mailbox(addr)``, ``RFC822Mailbox(addr, name)``, or the same as one tuple.
    """

    def __init__(self, *args: Any) -> None:
        if len(args) == 1 and type(args[0]) is tuple:
            args = args[0]
        if len(args) == 1:
            addr_spec = args[0]
            real_name = None
        elif len(args) == 2:
            (addr_spec, real_name) = args
        else:
            raise TypeError("invalid number of arguments: expected 1 or 2 strings or "
                            "a tuple of 1 or 2 strings")
        self.addr_spec = addr_spec
        self.real_name = real_name

    def __str__(self) -> str:
        return self.addr_spec

    def __repr__(self) -> str:
        return "<%s at %x: %s>" % (self.__class__.__name__, id(self), self)

    def format(self) -> str:
        if self.real_name:
            return email.utils.formataddr((self.real_name, self.addr_spec))
        return self.addr_spec


def _ensure_mailbox(s: Any) -> RFC822Mailbox | None:
    if s is None or isinstance(s, RFC822Mailbox):
        return s
    return RFC822Mailbox(s)


def _recipient_header(addrs: list[RFC822Mailbox]) -> str:
    if len(addrs) > MAX_HEADER_RECIPIENTS:
        return "long recipient list suppressed: ;"  # an empty RFC 5322 group
    return ", ".join(addr.format() for addr in addrs)


def sendmail(subject: str, msg_body: str, to_addrs: list, from_addr: Any = None,
             cc_addrs: list | None = None, extra_headers: list[str] | None = None,
             smtp_sender: Any = None, smtp_recipients: list | None = None,
             mail_server: str | None = None, mail_debug_addr: str | None = None,
             username: str | None = None, password: str | None = None,
             mail_port: int | None = None, use_ssl: bool = False, use_tls: bool = False,
             config: Any = None) -> None:
    """Send ``msg_body`` to ``to_addrs`` (and ``cc_addrs``) through SMTP.

    Addresses are strings, ``(addr, name)`` tuples or RFC822Mailbox objects.
    ``smtp_sender``/``smtp_recipients`` override the envelope; ``mail_debug_addr`` (or
    the config's) reroutes every message there. ``extra_headers`` are
    ``"Name: value"`` strings; a Content-Type among them sets the body's type.
    """
    if not mail_server and config is None:
        app = context.get_app()
        config = getattr(app, 'config', None)
    if config is not None:
        from_addr = from_addr or config.mail_from
        mail_server = mail_server or config.mail_server
        mail_debug_addr = mail_debug_addr or config.mail_debug_addr
        username = username or config.mail_username
        password = password or config.mail_password
        mail_port = mail_port or config.mail_port
        use_ssl = use_ssl or config.mail_use_ssl
        use_tls = use_tls or config.mail_use_tls
    if not mail_server:
        raise RuntimeError("no mail_server given and no app config to take it from")
    if not isinstance(to_addrs, list):
        raise TypeError("'to_addrs' must be a list")
    if not (cc_addrs is None or isinstance(cc_addrs, list)):
        raise TypeError("'cc_addrs' must be a list or None")
    if from_addr is None:
        raise RuntimeError("no from_addr supplied, and MAIL_FROM not set in config file")

    sender = _ensure_mailbox(from_addr)
    assert sender is not None
    to_boxes = [_ensure_mailbox(a) for a in to_addrs]
    cc_boxes = [_ensure_mailbox(a) for a in cc_addrs] if cc_addrs else []

    content_type = None
    for hdr in extra_headers or ():
        name, _, value = hdr.partition(':')
        if name.strip().lower() == 'content-type':
            content_type = value.strip()
    if mail_debug_addr:
        debug = "[debug mode, message actually sent to %s]\n" % mail_debug_addr
        if smtp_recipients:
            debug += "[original SMTP recipients: %s]\n" % ", ".join(
                str(r) for r in smtp_recipients)
        msg_body = debug + ("-" * 72) + "\n" + msg_body
        smtp_recipients = [mail_debug_addr]

    # Headers in Quixote's order: From, Subject, Date, To, Cc, the extra ones; then the
    # MIME headers that set_content adds.
    msg = EmailMessage(policy=SMTP_POLICY)
    msg['From'] = sender.format()
    msg['Subject'] = subject  # the policy RFC 2047-encodes non-ASCII text
    msg['Date'] = email.utils.format_datetime(datetime.datetime.now().astimezone())
    if to_boxes:
        msg['To'] = _recipient_header(to_boxes)  # type: ignore[arg-type]
    if cc_boxes:
        msg['Cc'] = _recipient_header(cc_boxes)  # type: ignore[arg-type]
    for hdr in extra_headers or ():
        name, _, value = hdr.partition(':')
        if name.strip().lower() != 'content-type':
            msg[name.strip()] = value.strip()
    subtype, charset = 'plain', EMAIL_ENCODING
    if content_type:
        mime, _, params = content_type.partition(';')
        mime = mime.strip().lower()
        if mime.startswith('text/'):
            subtype = mime[5:]
        for param in params.split(';'):
            key, _, val = param.partition('=')
            if key.strip().lower() == 'charset' and val.strip():
                charset = val.strip().strip('"')
    msg.set_content(msg_body, subtype=subtype, charset=charset)

    envelope_from = (sender.addr_spec if smtp_sender is None
                     else _ensure_mailbox(smtp_sender).addr_spec)  # type: ignore[union-attr]
    if smtp_recipients is None:
        recipients = [a.addr_spec for a in to_boxes + cc_boxes]  # type: ignore[union-attr]
    else:
        recipients = [_ensure_mailbox(r).addr_spec for r in smtp_recipients]  # type: ignore[union-attr]

    if not mail_port:
        mail_port = 465 if use_ssl else 587 if use_tls else 25
    tls_context = None
    if use_ssl or use_tls:
        tls_context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if use_ssl:
        smtp = SMTP_SSL(mail_server, port=mail_port, context=tls_context)
    else:
        smtp = SMTP(mail_server, port=mail_port)
    try:
        smtp.ehlo()
        if use_tls:
            smtp.starttls(context=tls_context)
            smtp.ehlo()
        if username:
            smtp.login(username, password)
        smtp.sendmail(envelope_from, recipients, msg.as_bytes())
    finally:
        try:
            smtp.quit()
        except smtplib.SMTPException:
            smtp.close()

