"""Directory traversal, exactly Quixote 3.8's (quixote/directory.py).

One deliberate difference: Quixote collects ``@export``/``@subdir`` names in a metaclass, so a
Directory subclass with its own metaclass fails with a metaclass conflict. Jack collects them
in ``__init_subclass__``; ``DirectoryClass`` remains, as a plain ``type`` subclass, so code that
names it (``metaclass=DirectoryClass`` or ``class Meta(DirectoryClass)``) keeps working, and any
metaclass can be combined with Directory.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar, overload

from . import context
from .errors import TraversalError

# Log "Adding slash to: ..." on every trailing-slash redirect. Quixote's Publisher sets this
# process-wide when display_exceptions is on; Jack checks the serving App's config instead (so
# one App's setting does not leak into another) and keeps this switch for code that sets it.
WARN_TRAILING_SLASH = False


def _collect_exports(cls: type, classdict: dict[str, Any]) -> None:
    """Prepend the names exported by decorators in ``classdict`` to ``cls._q_exports``."""
    exports: list[Any] = []
    for key, value in classdict.items():
        if isinstance(value, property):
            # subdir() wraps the method in a property; the mark is on the getter
            value = value.fget
        if hasattr(value, "_q_name"):
            if value._q_name == key:
                exports.append(key)
            else:
                exports.append((value._q_name, key))
    if exports:
        # only when decorators are used, as Quixote: inherited exports follow the new ones
        exports += getattr(cls, "_q_exports", [])
        cls._q_exports = exports


class DirectoryClass(type):
    """Quixote's metaclass name. Directory does not need it; it is kept so that code naming it
    still works, including on classes that are not Directory subclasses."""

    def __init__(cls, name: str, bases: tuple[type, ...], classdict: dict[str, Any],
                 **kwargs: Any) -> None:
        super().__init__(name, bases, classdict, **kwargs)
        if not any(isinstance(base, type) and issubclass(base, Directory) for base in bases):
            # Directory subclasses were handled by Directory.__init_subclass__ already
            _collect_exports(cls, classdict)


class Directory:
    """A URL namespace: components are looked up through ``_q_exports`` and ``_q_lookup``."""

    # Strings (URL component = attribute name), ``(url_component, attribute)`` tuples, and
    # ``''`` for the index, implicitly mapped to ``_q_index``.
    _q_exports: list[Any] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _collect_exports(cls, dict(cls.__dict__))

    def _q_translate(self, component: str) -> str | None:
        """The attribute name for URL ``component``, or None if it is not exported."""
        if component in self._q_exports:
            if component == "":
                return "_q_index"
            return component
        for value in self._q_exports:
            if isinstance(value, tuple) and value[0] == component:
                return value[1]
        return None

    def _q_lookup(self, component: str) -> Any:
        """The object for a dynamic ``component``; None means "not found" (404)."""
        return None

    def _q_traverse(self, path: list[str]) -> Any:
        """Resolve ``path`` (a non-empty list of components) and return the page's output."""
        assert len(path) > 0
        component = path[0]
        path = path[1:]
        name = self._q_translate(component)
        if name is not None:
            # no default: an exported but missing attribute is an application bug (a 500)
            obj = getattr(self, name)
        else:
            obj = self._q_lookup(component)
        if obj is None:
            raise TraversalError(
                private_msg="directory %r has no component %r" % (self, component))
        if path:
            if hasattr(obj, "_q_traverse"):
                return obj._q_traverse(path)
            raise TraversalError
        elif callable(obj):
            return obj()
        else:
            return obj

    def __call__(self) -> Any:
        # Reached as the last component, i.e. without its trailing slash.
        request = context.get_request()
        if "" in self._q_exports and not request.form:
            path = context.get_path()
            app = context.get_app()
            if app is not None and (WARN_TRAILING_SLASH or app.config.display_exceptions):
                app.log("Adding slash to: %r " % path)
            return context.redirect(path + "/")
        raise TraversalError(private_msg="directory %r is not callable" % self)


class AccessControlled:
    """Mix-in (put it before Directory) calling ``_q_access()`` before traversing into the
    directory. Only raising stops traversal; the return value is ignored."""

    def _q_access(self) -> None:
        pass

    def _q_traverse(self, path: list[str]) -> Any:
        self._q_access()
        return super()._q_traverse(path)  # type: ignore[misc]


class Resolving:
    """Mix-in calling ``_q_resolve(name)`` for an exported name that is not yet an attribute,
    and caching the result (even None) on the instance."""

    def _q_resolve(self, name: str) -> Any:
        return None

    def _q_translate(self, component: str) -> str | None:
        name = super()._q_translate(component)  # type: ignore[misc]
        if name is not None and not hasattr(self, name):
            obj = self._q_resolve(name)
            setattr(self, name, obj)
        return name


F = TypeVar("F", bound=Callable[..., Any])


def _check_name(name: Any) -> None:
    if name is not None and not isinstance(name, str):
        raise TypeError("export name must be a str, not %r" % (name,))


@overload
def export(func: F, name: str | None = None) -> F: ...
@overload
def export(func: None = None, name: str | None = None) -> Callable[[F], F]: ...


def export(func: Any = None, name: str | None = None) -> Any:
    """Export a page method under its own name or ``name`` (``@export`` or ``@export(name=...)``)."""
    _check_name(name)

    def do_export(func: Any) -> Any:
        func._q_name = func.__name__ if name is None else name
        return func

    return do_export if func is None else do_export(func)


def subdir(func: Any = None, name: str | None = None) -> Any:
    """Export a method returning a sub-directory; it becomes a property, so the method runs
    on each access (each request) unless it caches its result."""
    _check_name(name)

    def do_export(func: Any) -> property:
        func._q_name = func.__name__ if name is None else name
        return property(func)

    return do_export if func is None else do_export(func)
