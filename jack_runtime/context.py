"""The request context: one ContextVar, never a module global.

Quixote keeps the current request on a process-wide publisher, which is wrong as soon as a
server runs requests in threads or greenlets. Jack binds ``(app, request)`` to a ContextVar
for the duration of a request (and of the iteration of its body), so every accessor below
works from any call depth, in any number of apps per process, under any WSGI server.

The ``get_*`` functions return None outside a request, as Quixote 4 does; the
``current_*`` functions raise RuntimeError instead (Quixote 4's split).
"""
from __future__ import annotations

from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urljoin

if TYPE_CHECKING:  # pragma: no cover
    from .app import App
    from .http.request import HTTPRequest
    from .http.response import HTTPResponse


class RequestContext(NamedTuple):
    app: "App"
    request: "HTTPRequest"


_context: ContextVar[RequestContext | None] = ContextVar("jack_request_context", default=None)


# RequestContext(app, request) runs the namedtuple's Python-level __new__; building the
# tuple directly gives the same object for a third of the cost (bind runs on every request
# and around every step of a streamed body).
_new_context = tuple.__new__


def bind(app: "App", request: "HTTPRequest") -> Token:
    """Make ``request`` (served by ``app``) current; returns the token for :func:`unbind`."""
    return _context.set(_new_context(RequestContext, (app, request)))


def unbind(token: Token) -> None:
    _context.reset(token)


def get_context() -> RequestContext | None:
    return _context.get()


# -- get_*: None outside a request --------------------------------------------------------

def get_app() -> "App | None":
    ctx = _context.get()
    return ctx.app if ctx is not None else None


get_publisher = get_app  # Quixote's name


def get_request() -> "HTTPRequest | None":
    ctx = _context.get()
    return ctx.request if ctx is not None else None


def get_response() -> "HTTPResponse | None":
    ctx = _context.get()
    return ctx.request.response if ctx is not None else None


def get_session() -> Any:
    ctx = _context.get()
    return getattr(ctx.request, "session", None) if ctx is not None else None


def get_session_manager() -> Any:
    ctx = _context.get()
    return ctx.app.session_manager if ctx is not None else None


def get_user() -> Any:
    session = get_session()
    return session.user if session is not None else None


def get_field(name: str, default: Any = None) -> Any:
    """The form field ``name``: a str, an Upload, or a list when the field was repeated."""
    request = get_request()
    return request.get_field(name, default) if request is not None else default


def get_param(name: str, default: Any = None) -> Any:
    """Like :func:`get_field`, but a repeated field gives its last value."""
    value = get_field(name, default)
    if isinstance(value, list):
        return value[-1] if value else default
    return value


def get_cookie(name: str, default: Any = None) -> Any:
    request = get_request()
    return request.get_cookie(name, default) if request is not None else default


def get_path(n: int = 0) -> str | None:
    request = get_request()
    return request.get_path(n) if request is not None else None


def redirect(location: Any, permanent: bool = False) -> str:
    """Redirect to ``location``, resolved against the current URL; returns the body text."""
    request = current_request()
    location = urljoin(request.get_url(), str(location))
    return request.response.redirect(location, permanent)


# -- current_*: raise outside a request ---------------------------------------------------

def _require() -> RequestContext:
    ctx = _context.get()
    if ctx is None:
        raise RuntimeError("no current request: this must be called while a Jack app handles a request")
    return ctx


def current_app() -> "App":
    return _require().app


current_publisher = current_app


def current_request() -> "HTTPRequest":
    return _require().request


def current_response() -> "HTTPResponse":
    return _require().request.response


def current_session() -> Any:
    return getattr(_require().request, "session", None)


def current_session_manager() -> Any:
    return _require().app.session_manager


def current_user() -> Any:
    session = current_session()
    return session.user if session is not None else None
