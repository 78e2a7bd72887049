"""DefaultLogger: Quixote's logger interface (log, log_internal_error, log_request) on ``logging``.

Deliberate difference from Quixote: Quixote's DefaultLogger replaces ``sys.stdout`` with its
error log for the whole process, so ``print()`` anywhere lands in the error log. Jack never
touches ``sys.stdout`` (it would be wrong with several apps per process, and it surprises
every other library); debug output belongs in ``logging`` (or ``App.log``).

Records go to two loggers, ``<name>.error`` and ``<name>.access`` (``name`` defaults to
``"jack"``), so the host application configures them like any other. Quixote's ``ERROR_LOG``
and ``ACCESS_LOG`` file names still work: each adds a file handler writing Quixote's line
formats. With no configuration at all, errors reach stderr through logging's last-resort
handler, as Quixote's did, and no access log is written (Quixote's default too).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

_handler_lock = threading.Lock()


def _escaped(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii")


def _file_handler(logger: logging.Logger, filename: str, fmt: str) -> None:
    """Attach one FileHandler for ``filename`` to ``logger`` (once, however many Apps ask)."""
    path = os.path.abspath(filename)
    with _handler_lock:
        for handler in logger.handlers:
            if getattr(handler, "baseFilename", None) == path:
                return
        # errors='xmlcharrefreplace' as Quixote's log files: a log line never raises.
        handler = logging.FileHandler(path, mode="a", encoding="utf-8",
                                      errors="xmlcharrefreplace")
        handler.setFormatter(logging.Formatter(fmt, datefmt="%Y-%m-%d %H:%M:%S"))
        logger.addHandler(handler)


class DefaultLogger:
    """Error log, access log and error mail of one App.

    ``access_log``/``error_log`` are file names (Quixote's config values) or None;
    ``error_email`` is an address that receives each internal error's traceback.
    """

    def __init__(self, access_log: str | None = None, error_log: str | None = None,
                 error_email: str | None = None, name: str = "jack") -> None:
        self.error_logger = logging.getLogger(name + ".error")
        self.access_logger = logging.getLogger(name + ".access")
        if error_log:
            _file_handler(self.error_logger, error_log, "[%(asctime)s] %(message)s")
        if access_log:
            _file_handler(self.access_logger, access_log, "%(message)s")
            if self.access_logger.getEffectiveLevel() > logging.INFO:
                # Quixote writes the access log whenever ACCESS_LOG is set.
                self.access_logger.setLevel(logging.INFO)
        self.error_email = error_email

    def log(self, msg: str) -> None:
        """A message for the error log (Quixote writes these unconditionally, hence WARNING)."""
        self.error_logger.warning("%s", msg)

    def log_internal_error(self, error_summary: str, error_msg: str) -> None:
        """An uncaught exception: ``error_msg`` is the traceback and request dump."""
        self.error_logger.error("exception caught: %s\n%s", error_summary, error_msg)
        if self.error_email:
            from .sendmail import sendmail  # only needed when mailing errors

            sendmail("Quixote Traceback (%s)" % error_summary, error_msg, [self.error_email],
                     from_addr=(self.error_email, socket.gethostname()))

    def log_request(self, request: Any, start_time: float) -> None:
        """One access-log line, in Quixote's format."""
        logger = self.access_logger
        if not logger.isEnabledFor(logging.INFO):
            return
        session = getattr(request, "session", None)
        user = (session.user or "-") if session else "-"
        now = time.time()
        uri = request.get_path()
        query = request.get_query()
        if query:
            uri += "?" + query
        # The path (decoded %0a) and the user name (often a form field) come from the
        # client: escaped when they hold control characters, so no one forges log lines.
        if not uri.isprintable():
            uri = _escaped(uri)
        user = user if type(user) is str else str(user)
        if not user.isprintable():
            user = _escaped(user)
        logger.info('%s %s %s %d "%s %s %s" %s %r %0.3fs',
                    request.get_environ("REMOTE_ADDR"), user,
                    time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)), os.getpid(),
                    request.get_method(), uri, request.get_environ("SERVER_PROTOCOL"),
                    request.response.status_code, request.get_environ("HTTP_USER_AGENT", ""),
                    now - start_time)
