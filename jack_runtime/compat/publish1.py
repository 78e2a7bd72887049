"""Quixote 1 namespaces on Jack: ``quixote.publish1`` through the shim.

Quixote 1 published arbitrary namespaces (packages, modules, instances) with module-level
``_q_exports``, ``_q_access(request)`` and ``_q_lookup(request, name)``, and called the
object at the end of the path with the request. This is Quixote 3.8's ``publish1`` traversal,
rule for rule, with one fix: the namespace stack lives on the request, not on the publisher,
so concurrent requests do not see each other's stacks.
"""
from __future__ import annotations

import sys
import types
import warnings
from typing import Any

from .. import errors
from ..app import App
from ..config import Config
from ..context import get_request, redirect
from ..directory import Directory
from ..html import htmltext

__all__ = ["Publisher", "RootDirectory"]


class Publisher(App):
    """``Publisher(root_namespace, config=None)``: a module name or any object with
    ``_q_exports`` at the root."""

    def __init__(self, root_namespace: Any, config: Config | None = None, **kwargs: Any) -> None:
        if isinstance(root_namespace, str):
            root_namespace = _get_module(root_namespace)
        self.root_namespace = root_namespace
        if config is None and not kwargs:
            config = Config()
        super().__init__(RootDirectory(root_namespace), config=config, **kwargs)

    def debug(self, msg: str) -> None:
        self.log(msg)

    def get_namespace_stack(self) -> list[Any]:
        """The namespaces traversed by the current request (modules, instances, classes)."""
        request = get_request()
        return getattr(request, "namespace_stack", []) if request is not None else []


class RootDirectory(Directory):
    def __init__(self, root_namespace: Any) -> None:
        self.root_namespace = root_namespace

    def _q_traverse(self, path: list[str]) -> Any:
        request = get_request()
        request.namespace_stack = stack = []
        obj = _traverse_url(self.root_namespace, path, request, stack)
        if obj is None:  # _traverse_url issued a redirect
            return None
        if _isstring(obj):
            return obj
        if callable(obj):
            output = obj(request)
            if output is None:
                raise RuntimeError("callable %r returned None" % obj)
            return output
        raise RuntimeError("object is neither callable nor a string: %r" % (obj,))


def _get_module(name: str) -> types.ModuleType:
    __import__(name)
    return sys.modules[name]


def _isstring(x: Any) -> bool:
    return isinstance(x, (str, htmltext))


def _traverse_url(root: Any, components: list[str], request: Any, stack: list[Any]) -> Any:
    path = "/" + "/".join(components)
    obj = root
    stack.append(obj)
    for component in components:
        obj = _get_component(obj, component or "_q_index", request, stack)
    if not (_isstring(obj) or callable(obj)):
        if path[-1] != "/":
            if not request.form:
                # Quixote 1 repairs a typed-in path with a permanent redirect
                return redirect(request.get_path() + "/", permanent=True)
            raise errors.TraversalError(
                "object is neither callable nor string (missing trailing slash?)",
                private_msg=repr(obj), path=path)
        raise errors.TraversalError("object is neither callable nor string",
                                    private_msg=repr(obj), path=path)
    return obj


def _get_component(container: Any, component: str, request: Any, stack: list[Any]) -> Any:
    if not hasattr(container, "_q_exports"):
        raise errors.TraversalError(private_msg="%r has no _q_exports list" % (container,))
    if hasattr(container, "_q_access"):
        container._q_access(request)  # raises AccessError to refuse

    internal_name: str | None
    if component in container._q_exports or component == "_q_index":
        internal_name = component
    else:
        internal_name = None
        for value in container._q_exports:
            if type(value) is tuple and value[0] == component:
                internal_name = value[1]
                break

    if internal_name is None:
        obj = None
        if hasattr(container, "_q_lookup"):
            obj = container._q_lookup(request, component)
        elif hasattr(container, "_q_getname"):
            warnings.warn("_q_getname() on %s used; should be replaced by _q_lookup()"
                          % type(container))
            obj = container._q_getname(request, component)
        if obj is None:
            raise errors.TraversalError(
                private_msg="object %r has no attribute %r" % (container, component))
    elif hasattr(container, internal_name):
        obj = getattr(container, internal_name)
    elif internal_name == "_q_index":
        if hasattr(container, "_q_lookup"):
            obj = container._q_lookup(request, "")
        else:
            raise errors.AccessError(private_msg="_q_index not found in %r" % (container,))
    elif hasattr(container, "_q_resolve"):
        obj = container._q_resolve(internal_name)
        if obj is None:
            raise RuntimeError("component listed in _q_exports, but not returned by "
                               "_q_resolve(%r)" % internal_name)
        setattr(container, internal_name, obj)  # _q_resolve is called once per name
    elif isinstance(container, types.ModuleType):
        # an exported name missing from a package is imported as a sub-module
        obj = _get_module(container.__name__ + "." + internal_name)
    else:
        raise errors.TraversalError(
            private_msg="%r in _q_exports list, but not found in %r" % (component, container))
    stack.append(obj)
    return obj
