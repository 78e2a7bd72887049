"""JM015 (session classes) and JM016 (request classes) beyond their examples."""
from __future__ import annotations

import textwrap

from rule_harness import migrate_twice as run

from jackmigrate.engine import migrate_source
from jackmigrate.project import build_index_from_sources


def test_forget_changes_in_a_subclass_of_a_project_manager() -> None:
    base = "from quixote.session import SessionManager\nclass DBManager(SessionManager):\n    pass\n"
    sub = textwrap.dedent("""
        from app.base import DBManager
        class SiteManager(DBManager):
            def forget_changes(self, session):
                db.rollback()
            def finish_failed_request(self):
                self.forget_changes(None)
        """)
    index = build_index_from_sources({"app/base.py": base, "app/site.py": sub})
    res = run(sub, ["JM015"], path="app/site.py", index=index)
    text = res.new_text or ""
    assert "def abort_changes(self, session):" in text
    assert "self.abort_changes(None)" in text and "forget_changes" not in text


def test_forget_changes_on_other_classes_is_left_alone() -> None:
    src = "import quixote\nclass Cache:\n    def forget_changes(self, x):\n        pass\n"
    res = run(src, ["JM015"])
    assert res.new_text == src and res.findings == []


def test_session_store_subclass_and_mapping_with_a_session_class_need_nothing() -> None:
    src = textwrap.dedent("""
        from quixote.session import BaseSessionManager, SessionStore, SessionManager
        class DictStore(SessionStore):
            def load_session(self, id):
                return self.d.get(id)
        m1 = BaseSessionManager(session_store=DictStore())
        m2 = SessionManager(MySession, shelve.open('s'))
        """)
    res = run(src, ["JM015"])
    assert res.new_text == src and res.findings == []


def test_stock_session_class_over_a_mapping_is_a_shim_use_every_run() -> None:
    res = run("from quixote.session import SessionManager\nm = SessionManager(None, shelf)\n", ["JM015"])
    assert [f.bucket.value for f in res.findings] == ["shim"]  # None is the stock Session
    res = run("from quixote.session import SessionManager\nm = SessionManager(S, shelf)\n", ["JM015"])
    assert res.findings == []
    res = run("from quixote.session import SessionManager\nm = SessionManager(session_mapping=shelf)\n",
              ["JM001", "JM015"])
    assert [(f.rule, f.bucket.value) for f in res.findings if f.rule == "JM015"] == [("JM015", "shim")]
    # after the import rule the manager is Jack's: still reported
    again = migrate_source(res.new_text or "", "mod.py", ["JM015"])
    assert [f.bucket.value for f in again.findings] == ["shim"]


def test_process_override_with_a_docstring_and_one_statement() -> None:
    res = run("""
        from quixote.publish import Publisher
        class P(Publisher):
            def process(self, stdin, env):
                "Use our request."
                return self.process_request(req.SiteRequest(stdin, env))
        """, ["JM016"])
    assert "    request_class = req.SiteRequest\n" in (res.new_text or "")
    assert "def process" not in (res.new_text or "")


def test_process_override_doing_more_is_marked() -> None:
    res = run("""
        from quixote.publish import Publisher
        class P(Publisher):
            def process(self, stdin, env):
                env['HTTPS'] = 'on'
                return self.process_request(SiteRequest(stdin, env))
        """, ["JM016"])
    text = res.new_text or ""
    assert "TODO(jackmigrate JM016)" in text and "def process" in text


def test_process_outside_a_publisher_is_left_alone() -> None:
    src = "import quixote\nclass Worker:\n    def process(self, stdin, env):\n        return 1\n"
    res = run(src, ["JM016"])
    assert res.new_text == src and res.findings == []


def test_publisher_with_process_through_every_rule() -> None:
    res = run("""
        from quixote.publish import Publisher
        class P(Publisher):
            def process(self, stdin, env):
                request = SiteRequest(stdin, env)
                return self.process_request(request)
        """, ["JM001", "JM010", "JM016"])
    assert res.new_text == textwrap.dedent("""
        from jack_runtime.app import App
        class P(App):
            request_class = SiteRequest
        """)
