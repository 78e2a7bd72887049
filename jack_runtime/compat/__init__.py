"""The shim: ``quixote`` names that resolve to Jack's objects, for what no rule can convert.

Opt-in, never silent::

    import jack_runtime.compat
    jack_runtime.compat.install()          # or run with JACK_QUIXOTE_SHIM=1

After :func:`install`, ``import quixote.session``, ``getattr(quixote, name)``, import strings
in configuration files (``import_object('quixote.util.StaticDirectory')``), third-party
libraries that import ``quixote``, and pickles whose class path is
``quixote.session.Session`` all get Jack's objects. The facade modules *are* Jack's modules
(``sys.modules['quixote.session'] is jack_runtime.session``), so a class defined against
``quixote.directory.Directory`` and one defined against ``jack_runtime.directory.Directory``
share one base, and a half-migrated tree runs as one application.

Quixote-only pieces get their Jack counterparts: ``quixote.publish.Publisher(root, logger,
session_manager, config, **kw)`` is an App with Quixote's signature, ``quixote.wsgi.QWIP(p)``
is the App itself, ``quixote.server.*_server.run(create_publisher, host, port)`` serves
with waitress, ``quixote.publish1`` publishes Quixote-1 module namespaces, and
``quixote.enable_ptl()`` imports still-unconverted ``.ptl`` templates by converting them in
memory with jackmigrate's PTL converter.

``jackmigrate --check`` reports every use of the shim: working, but not finished.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
import types
from typing import Any

__all__ = ["install", "uninstall", "installed", "ENV_VAR"]

log = logging.getLogger("jack_runtime.compat")

ENV_VAR = "JACK_QUIXOTE_SHIM"

# quixote module -> the Jack module standing for it (the same object).
ALIASES: dict[str, str] = {
    "quixote.config": "jack_runtime.config",
    "quixote.directory": "jack_runtime.directory",
    "quixote.errors": "jack_runtime.errors",
    "quixote.html": "jack_runtime.html",
    "quixote.html._py_htmltext": "jack_runtime.html",
    "quixote.html._c_htmltext": "jack_runtime.html",
    "quixote.html.qpy_templateio": "jack_runtime.html",
    "quixote.http_request": "jack_runtime.http.request",
    "quixote.http_response": "jack_runtime.http.response",
    "quixote.logger": "jack_runtime.logger",
    "quixote.sendmail": "jack_runtime.sendmail",
    "quixote.session": "jack_runtime.session",
    "quixote.util": "jack_runtime.util",
    "quixote.form": "jack_runtime.form",
    "quixote.form.form": "jack_runtime.form.form",
    "quixote.form.widget": "jack_runtime.form.widget",
    "quixote.form.css": "jack_runtime.form.css",
    "quixote.form.compatibility": "jack_runtime.form.compatibility",
    "quixote.publish1": "jack_runtime.compat.publish1",
}

_installed: dict[str, types.ModuleType] = {}
_saved: dict[str, types.ModuleType] = {}


def installed() -> bool:
    return bool(_installed)


def install(*, quiet: bool = False) -> None:
    """Make every public ``quixote`` module and name resolve to Jack's implementation.

    Idempotent. Logs (at WARNING) that the shim is active, and which package wins when the
    real quixote is installed too: the shim does, for this process.
    """
    if _installed:
        return
    real = importlib.machinery.PathFinder.find_spec("quixote")
    already = sorted(n for n in sys.modules if n == "quixote" or n.startswith("quixote."))
    for name in already:
        _saved[name] = sys.modules.pop(name)
    modules = _build_facade()
    sys.modules.update(modules)
    _installed.update(modules)
    _link_parents(modules)
    if real is not None and real.submodule_search_locations:
        _RealSourceFinder.install(list(real.submodule_search_locations))
    if quiet:
        return
    if already:
        log.warning("jack_runtime.compat: the real quixote package was already imported (%s); "
                    "the shim replaces it for later imports, objects imported before keep "
                    "pointing to real Quixote", ", ".join(already[:5]))
    elif real is not None and real.origin:
        log.warning("jack_runtime.compat: shim active; Jack's implementation wins over the "
                    "real quixote package installed at %s", os.path.dirname(real.origin))
    else:
        log.warning("jack_runtime.compat: shim active; `import quixote` resolves to Jack")


def uninstall() -> None:
    """Remove the facade (and put back any real quixote modules it displaced)."""
    for name in list(_installed):
        if sys.modules.get(name) is _installed[name]:
            del sys.modules[name]
    _installed.clear()
    _PtlFinder.remove()
    _RealSourceFinder.remove()
    sys.modules.update(_saved)
    _saved.clear()


def install_from_environment() -> bool:
    """Install when ``JACK_QUIXOTE_SHIM`` is set to a true value; returns whether it did."""
    if os.environ.get(ENV_VAR, "").strip().lower() in ("1", "true", "yes", "on"):
        install()
        return True
    return False


# -- the facade ----------------------------------------------------------------------------

def _module(name: str, doc: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name, doc)
    module.__dict__.update(attrs)
    module.__jack_shim__ = True
    return module


def _build_facade() -> dict[str, types.ModuleType]:
    import jack_runtime
    from jack_runtime import serve
    from jack_runtime.app import App

    modules: dict[str, types.ModuleType] = {}
    for qname, jname in ALIASES.items():
        modules[qname] = importlib.import_module(jname)

    class Publisher(App):
        """Quixote's ``Publisher(root_directory, logger=None, session_manager=None,
        config=None, **kwargs)`` signature on a Jack App (no singleton)."""

        def __init__(self, root_directory: Any, logger: Any = None, session_manager: Any = None,
                     config: Any = None, **kwargs: Any) -> None:
            App.__init__(self, root_directory, session_manager=session_manager, config=config,
                         logger=logger, **kwargs)

    Publisher.__module__ = "quixote.publish"

    def QWIP(publisher: Any) -> Any:
        """Quixote's WSGI adapter: a Jack App already is the WSGI application."""
        return publisher

    def enable_ptl() -> None:
        _PtlFinder.install()

    accessors = {name: getattr(jack_runtime, name) for name in (
        "get_request", "get_response", "get_path", "redirect", "get_session",
        "get_session_manager", "get_user", "get_field", "get_cookie", "get_param",
        "get_wsgi_app", "cleanup", "current_request", "current_response", "current_session",
        "current_session_manager", "current_user")}
    accessors["get_publisher"] = jack_runtime.get_app
    accessors["current_publisher"] = jack_runtime.current_app

    modules["quixote"] = _module(
        "quixote", "Jack's shim standing for the quixote package.",
        __path__=[], __version__="3.8 (jack_runtime.compat)",
        DEFAULT_CHARSET=jack_runtime.DEFAULT_CHARSET, enable_ptl=enable_ptl, **accessors)
    modules["quixote.publish"] = _module(
        "quixote.publish", "Jack's shim for quixote.publish.", Publisher=Publisher,
        INTERNAL_ERROR_MESSAGE=modules["quixote.errors"].INTERNAL_ERROR_MESSAGE, **accessors)
    modules["quixote.wsgi"] = _module("quixote.wsgi", "Jack's shim for quixote.wsgi.", QWIP=QWIP)

    def _server(name: str) -> types.ModuleType:
        def run(create_publisher: Any, host: str = "", port: int = 8080, **kwargs: Any) -> None:
            """Serve ``create_publisher()`` with waitress (Jack's embedded server)."""
            kwargs.pop("https", None)
            serve.run(create_publisher, host=host or "0.0.0.0", port=port, **kwargs)

        return _module(f"quixote.server.{name}", f"Jack's shim for quixote.server.{name}.", run=run)

    modules["quixote.server"] = _module("quixote.server", "Jack's shim for quixote.server.", __path__=[])
    for server in ("simple_server", "threaded_server", "wsgi_server"):
        modules[f"quixote.server.{server}"] = _server(server)

    def _ptl_decorator(func: Any) -> Any:
        raise RuntimeError(
            "@ptl_html/@ptl_plain only mean something inside a .ptl file: convert the "
            "template with jackmigrate, or import it after quixote.enable_ptl()")

    modules["quixote.ptl"] = _module(
        "quixote.ptl", "Jack's shim for quixote.ptl.", __path__=[],
        ptl_html=_ptl_decorator, ptl_plain=_ptl_decorator)
    return modules


def _link_parents(modules: dict[str, types.ModuleType]) -> None:
    # `import quixote.session` then `quixote.session.X` needs the attribute on the parent.
    for name, module in modules.items():
        parent, _, child = name.rpartition(".")
        if parent in modules and modules[parent].__dict__.get("__jack_shim__"):
            setattr(modules[parent], child, module)


# -- unconverted .ptl templates ------------------------------------------------------------

class _PtlLoader(importlib.abc.SourceLoader):
    def __init__(self, fullname: str, path: str) -> None:
        self.fullname = fullname
        self.path = path

    def get_filename(self, fullname: str) -> str:
        return self.path

    def get_data(self, path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    def source_to_code(self, data: Any, path: Any, *, _optimize: int = -1) -> Any:  # type: ignore[override]
        from jackmigrate.ptl import convert_ptl  # the converter jackmigrate itself uses

        source = importlib.util.decode_source(data)
        converted = convert_ptl(source, path=str(path)).code
        return compile(converted, path, "exec", dont_inherit=True, optimize=_optimize)

    def path_stats(self, path: str) -> dict[str, Any]:
        # no bytecode cache: converted code must follow the converter, not a stale .pyc
        raise OSError("no bytecode cache for .ptl templates")


class _OneFinder(importlib.abc.MetaPathFinder):
    """A meta path finder installed at most once per process, and removable."""

    _instance: "_OneFinder | None" = None
    first = False  # consulted before the standard finders?

    @classmethod
    def install(cls, *args: Any) -> None:
        if cls._instance is None:
            cls._instance = cls(*args)
            if cls.first:
                sys.meta_path.insert(0, cls._instance)
            else:
                sys.meta_path.append(cls._instance)

    @classmethod
    def remove(cls) -> None:
        if cls._instance is not None and cls._instance in sys.meta_path:
            sys.meta_path.remove(cls._instance)
        cls._instance = None


class _PtlFinder(_OneFinder):
    """Finds ``name.ptl`` beside ``name.py`` would be, for ``quixote.enable_ptl()``."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        tail = fullname.rpartition(".")[2]
        for entry in path if path is not None else sys.path:
            candidate = os.path.join(entry or ".", tail + ".ptl")
            if os.path.isfile(candidate):
                loader = _PtlLoader(fullname, candidate)
                return importlib.util.spec_from_file_location(fullname, candidate, loader=loader)
        return None


# -- modules Jack does not implement -------------------------------------------------------

class _RealSourceFinder(_OneFinder):
    """``quixote.form1`` and the other modules Jack has no counterpart for.

    When the real quixote package is on disk, such a module is loaded from its source under
    its own name, so its ``quixote`` imports resolve to Jack through the facade; it then
    works on Jack objects. Without the real package the import fails as usual.
    """

    first = True  # the facade's `quixote` has no __path__ for the standard finders

    def __init__(self, roots: list[str]) -> None:
        self.roots = roots

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if not fullname.startswith("quixote.") or fullname in _installed:
            return None
        parts = fullname.split(".")[1:]
        for root in self.roots:
            base = os.path.join(root, *parts)
            if os.path.isfile(os.path.join(base, "__init__.py")):
                log.info("jack_runtime.compat: %s is not part of Jack; loading Quixote's own "
                         "source for it on top of Jack", fullname)
                return importlib.util.spec_from_file_location(
                    fullname, os.path.join(base, "__init__.py"), submodule_search_locations=[base])
            if os.path.isfile(base + ".py"):
                log.info("jack_runtime.compat: %s is not part of Jack; loading Quixote's own "
                         "source for it on top of Jack", fullname)
                return importlib.util.spec_from_file_location(fullname, base + ".py")
        return None
