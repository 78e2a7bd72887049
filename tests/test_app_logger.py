"""DefaultLogger on ``logging``: Quixote's error/access log formats and files, error mail, and
no sys.stdout hijacking."""
from __future__ import annotations

import logging
import re
import sys
import uuid

import pytest

import harness
from jack_runtime import App, context
from jack_runtime.directory import Directory
from jack_runtime.logger import DefaultLogger


class Root(Directory):
    _q_exports = ["", "fail", "note"]

    def _q_index(self):
        return "index"

    def fail(self):
        raise ZeroDivisionError("no")

    def note(self):
        context.get_app().log("a note from the app")
        return "noted"


@pytest.fixture
def unique_name():
    # each test gets its own logger names, so handlers added to files do not accumulate
    name = "jacktest" + uuid.uuid4().hex[:8]
    yield name
    for suffix in (".error", ".access"):
        logger = logging.getLogger(name + suffix)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()


def test_no_stdout_hijack(tmp_path):
    before = sys.stdout
    App(Root(), error_log=str(tmp_path / "error.log"))
    assert sys.stdout is before


def test_error_log_file(tmp_path, unique_name):
    path = tmp_path / "error.log"
    logger = DefaultLogger(error_log=str(path), name=unique_name)
    app = App(Root(), logger=logger)
    assert harness.jack_call(app, "GET", "/fail")[0].startswith("500")
    assert harness.jack_call(app, "GET", "/note")[2] == b"noted"
    text = path.read_text()
    # Quixote's format: "[YYYY-mm-dd HH:MM:SS] message"
    assert re.search(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] exception caught: "
                     r"ZeroDivisionError: no$", text, re.M)
    assert "Traceback (most recent call last):" in text and "PATH_INFO       /fail" in text
    assert re.search(r"^\[[-\d :]+\] a note from the app$", text, re.M)


def test_same_file_gets_one_handler(tmp_path, unique_name):
    path = tmp_path / "error.log"
    for _ in range(3):
        DefaultLogger(error_log=str(path), name=unique_name)
    assert len(logging.getLogger(unique_name + ".error").handlers) == 1


def test_access_log_matches_quixote_format(tmp_path, unique_name):
    from quixote.logger import DefaultLogger as QLogger

    jack_path, quixote_path = tmp_path / "jack.log", tmp_path / "quixote.log"
    app = App(Root(), logger=DefaultLogger(access_log=str(jack_path), name=unique_name))
    harness.jack_call(app, "GET", "/?x=1", headers={"User-Agent": "probe/1"})
    harness.jack_call(app, "GET", "/nope")

    saved = sys.stdout
    try:
        q_logger = QLogger(access_log=str(quixote_path), error_log=str(tmp_path / "q.err"))
    finally:
        sys.stdout = saved

    def make_root(q):
        class R(q.Directory):
            _q_exports = [""]

            def _q_index(self):
                return "index"
        return R()

    for path in ("/?x=1", "/nope"):
        harness.quixote_call(lambda: harness.quixote_publisher(
            make_root(harness.quixote_flavour()), logger=q_logger), "GET", path,
            headers={"User-Agent": "probe/1"} if "x" in path else None)
    q_logger.access_log.close()
    q_logger.error_log.close()

    def shape(line):
        # date, pid and duration vary
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d+ ", "<date> <pid> ",
                      re.sub(r"\d+\.\d{3}s$", "<t>s", line))

    jack_lines = [shape(line) for line in jack_path.read_text().splitlines()]
    quixote_lines = [shape(line) for line in quixote_path.read_text().splitlines()]
    assert jack_lines == quixote_lines
    assert jack_lines[0] == "127.0.0.1 - <date> <pid> \"GET /?x=1 HTTP/1.1\" 200 'probe/1' <t>s"


def test_access_log_off_by_default(caplog, unique_name):
    app = App(Root(), logger=DefaultLogger(name=unique_name))
    with caplog.at_level(logging.WARNING):
        harness.jack_call(app, "GET", "/")
    assert not [r for r in caplog.records if r.name == unique_name + ".access"]


def test_access_log_through_logging_config(caplog, unique_name):
    app = App(Root(), logger=DefaultLogger(name=unique_name))
    with caplog.at_level(logging.INFO, logger=unique_name + ".access"):
        harness.jack_call(app, "GET", "/", headers={"User-Agent": "ua"})
    [record] = [r for r in caplog.records if r.name == unique_name + ".access"]
    assert '"GET / HTTP/1.1" 200 \'ua\'' in record.getMessage()


def test_error_email(monkeypatch, unique_name):
    import jack_runtime.sendmail

    sent = []
    monkeypatch.setattr(jack_runtime.sendmail, "sendmail",
                        lambda *args, **kwargs: sent.append((args, kwargs)))
    app = App(Root(), logger=DefaultLogger(error_email="ops@example.com", name=unique_name))
    assert harness.jack_call(app, "GET", "/fail")[0].startswith("500")
    [(args, kwargs)] = sent
    assert args[0] == "Quixote Traceback (ZeroDivisionError: no)"
    assert "Traceback" in args[1] and args[2] == ["ops@example.com"]
    assert kwargs["from_addr"][0] == "ops@example.com"


def test_app_builds_its_logger_from_config(tmp_path):
    app = App(Root(), error_log=str(tmp_path / "e.log"), access_log=str(tmp_path / "a.log"),
              error_email="x@example.com")
    assert isinstance(app.logger, DefaultLogger)
    assert app.logger.error_email == "x@example.com"
    harness.jack_call(app, "GET", "/")
    assert '"GET / HTTP/1.1" 200' in (tmp_path / "a.log").read_text()
    for suffix in (".error", ".access"):  # the default 'jack' loggers: leave them clean
        logger = logging.getLogger("jack" + suffix)
        for handler in [h for h in logger.handlers
                        if str(tmp_path) in getattr(h, "baseFilename", "")]:
            logger.removeHandler(handler)
            handler.close()
    logging.getLogger("jack.access").setLevel(logging.NOTSET)
