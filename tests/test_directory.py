"""jack_runtime.directory beyond the differential suite: export collection compared with
Quixote's metaclass, metaclass freedom, decorators, mixins, the frame protocol."""
from __future__ import annotations

import inspect

import pytest

import harness
from jack_runtime import App
from jack_runtime.directory import (WARN_TRAILING_SLASH, AccessControlled, Directory,
                                    DirectoryClass, Resolving, export, subdir)
from jack_runtime.errors import AccessError, TraversalError


def exported_classes(q):
    class A(q.Directory):
        _q_exports = ["x", ("y.z", "y")]

        @q.export
        def a(self):
            return "a"

        @q.export(name="b.txt")
        def b(self):
            return "b"

        @q.subdir
        def c(self):
            return None

    class B(A):
        @q.export(name="")
        def index(self):
            return "i"

    class C(B):
        _q_exports = ["only"]  # no decorators: the list is kept as written

    class D(C):
        @q.subdir(name="dd")
        def d(self):
            return None

    class Plain(q.Directory):
        pass

    return [A, B, C, D, Plain]


def test_exports_equal_quixote():
    quixote_classes = exported_classes(harness.quixote_flavour())
    jack_classes = exported_classes(harness.jack_flavour())
    for q_cls, j_cls in zip(quixote_classes, jack_classes):
        assert j_cls._q_exports == q_cls._q_exports, j_cls.__name__
    assert jack_classes[1]._q_exports == [("", "index"), "a", ("b.txt", "b"), "c", "x",
                                          ("y.z", "y")]


def test_user_metaclass_works():
    class Registering(type):
        registry = []

        def __init__(cls, name, bases, ns, **kw):
            super().__init__(name, bases, ns, **kw)
            Registering.registry.append(name)

    class Page(Directory, metaclass=Registering):
        @export
        def hello(self):
            return "hi"

    assert Registering.registry == ["Page"]
    assert Page._q_exports == ["hello"]
    assert harness.jack_call(App(Page()), "GET", "/hello")[2] == b"hi"


def test_user_metaclass_conflicts_on_quixote():
    # what Jack fixes: Quixote's DirectoryClass metaclass conflicts with any other
    from quixote.directory import Directory as QDirectory

    class Meta(type):
        pass

    with pytest.raises(TypeError, match="metaclass conflict"):
        class Page(QDirectory, metaclass=Meta):
            pass


def test_directory_class_still_usable():
    class Explicit(Directory, metaclass=DirectoryClass):
        @export
        def a(self):
            return "a"

    assert Explicit._q_exports == ["a"]  # collected once, not twice

    class Meta(DirectoryClass):
        pass

    class WithSubMeta(Directory, metaclass=Meta):
        @export
        def b(self):
            return "b"

    assert WithSubMeta._q_exports == ["b"]

    class NotADirectory(metaclass=DirectoryClass):
        _q_exports = ["old"]

        @export(name="n.txt")
        def n(self):
            return "n"

    assert NotADirectory._q_exports == [("n.txt", "n"), "old"]
    assert isinstance(Directory, type) and issubclass(DirectoryClass, type)


def test_decorators():
    def page(self):
        return "p"

    assert export(page) is page and page._q_name == "page"
    assert export(name="x.html")(page) is page and page._q_name == "x.html"
    prop = subdir(page)
    assert isinstance(prop, property) and prop.fget is page
    with pytest.raises(TypeError, match="must be a str"):
        export(name=3)
    with pytest.raises(TypeError, match="must be a str"):
        subdir(name=b"x")


def test_subdir_runs_per_access():
    made = []

    class Child(Directory):
        _q_exports = [""]

        def _q_index(self):
            return "child %d" % len(made)

    class Root(Directory):
        @subdir
        def child(self):
            made.append(1)
            return Child()

    app = App(Root())
    assert harness.jack_call(app, "GET", "/child/")[2] == b"child 1"
    assert harness.jack_call(app, "GET", "/child/")[2] == b"child 2"


def test_translate_and_lookup_defaults():
    class D(Directory):
        _q_exports = ["", "a", ("b.c", "b")]

    d = D()
    assert d._q_translate("") == "_q_index"
    assert d._q_translate("a") == "a"
    assert d._q_translate("b.c") == "b"
    assert d._q_translate("b") is None
    assert d._q_translate("_q_index") is None
    assert d._q_lookup("anything") is None


def test_traverse_outside_a_request():
    class D(Directory):
        _q_exports = ["a"]
        a = "value"

    assert D()._q_traverse(["a"]) == "value"
    with pytest.raises(TraversalError) as info:
        D()._q_traverse(["b"])
    assert info.value.path == ""
    with pytest.raises(AssertionError):
        D()._q_traverse([])


def test_access_controlled_runs_before_each_traversal():
    seen = []

    class Guard(AccessControlled, Directory):
        _q_exports = ["ok", "no"]

        def _q_access(self):
            seen.append("access")

        def ok(self):
            return "ok"

    assert Guard()._q_traverse(["ok"]) == "ok"
    assert seen == ["access"]
    with pytest.raises(TraversalError):
        Guard()._q_traverse(["missing"])
    assert seen == ["access", "access"]

    class Denied(AccessControlled, Directory):
        _q_exports = ["ok"]

        def _q_access(self):
            raise AccessError("denied")

    with pytest.raises(AccessError):
        Denied()._q_traverse(["ok"])


def test_resolving_caches_on_the_instance():
    class Lazy(Resolving, Directory):
        _q_exports = ["a", "b", ("c.d", "cd")]
        calls = 0

        def _q_resolve(self, name):
            Lazy.calls += 1
            return None if name == "b" else "resolved " + name

    lazy = Lazy()
    assert lazy._q_traverse(["a"]) == "resolved a"
    assert lazy._q_traverse(["a"]) == "resolved a"
    assert lazy._q_traverse(["c.d"]) == "resolved cd"
    assert Lazy.calls == 2 and lazy.a == "resolved a" and "a" not in Lazy.__dict__
    for _ in range(2):
        with pytest.raises(TraversalError):
            lazy._q_traverse(["b"])
    assert Lazy.calls == 3 and lazy.b is None


def test_traversal_frames_keep_quixotes_names():
    # quixote.util.get_directory_path() walks the stack for frames of functions named
    # _q_traverse and collects their ``self``: Jack's traversal must keep that shape
    def directory_path():
        return [frame.frame.f_locals["self"] for frame in reversed(inspect.stack())
                if frame.function == "_q_traverse"]

    class Leaf(Directory):
        _q_exports = ["page"]

        def page(self):
            return repr([type(d).__name__ for d in directory_path()])

    class Middle(AccessControlled, Directory):
        _q_exports = ["leaf"]
        leaf = Leaf()

    class Root(Directory):
        _q_exports = ["middle"]
        middle = Middle()

    body = harness.jack_call(App(Root()), "GET", "/middle/leaf/page")[2]
    # AccessControlled._q_traverse and Directory._q_traverse both run for Middle
    assert body == b"['Root', 'Middle', 'Middle', 'Leaf']"


def test_warn_trailing_slash_default():
    assert WARN_TRAILING_SLASH is False
