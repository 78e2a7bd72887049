"""Jack: a WSGI-native web framework with Quixote's programming model.

The names of ``quixote/__init__.py``: the request-context accessors (``get_request()`` and
friends, ``None`` outside a request), Quixote 4's ``current_*`` accessors (which raise
RuntimeError outside a request), ``redirect`` and ``DEFAULT_CHARSET``; plus :class:`App`,
the WSGI application that replaces Quixote's Publisher.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# The charset HTTPRequest, HTTPResponse and sendmail fall back to (defined before the
# imports below, which may read it).
DEFAULT_CHARSET = "utf-8"

from .context import (  # noqa: E402
    current_app,
    current_publisher,
    current_request,
    current_response,
    current_session,
    current_session_manager,
    current_user,
    get_app,
    get_cookie,
    get_field,
    get_param,
    get_path,
    get_publisher,
    get_request,
    get_response,
    get_session,
    get_session_manager,
    get_user,
    redirect,
)
from .app import App  # noqa: E402


def get_wsgi_app() -> Any:
    """The App serving the current request.

    Quixote's ``get_wsgi_app()`` wraps its process-wide publisher; Jack has none, and an App
    is already a WSGI application: serve the App object itself. Outside a request this raises
    RuntimeError saying so.
    """
    app = get_app()
    if app is None:
        raise RuntimeError("Jack has no process-wide publisher: an App is itself the WSGI "
                           "application, serve it directly")
    return app


def cleanup() -> None:
    """Quixote's ``cleanup()`` forgets its process-wide publisher; Jack has none, so there is
    nothing to forget. Kept so that code (and tests) calling it need no change."""


__all__ = [
    "App", "DEFAULT_CHARSET", "cleanup", "current_app", "current_publisher", "current_request",
    "current_response", "current_session", "current_session_manager", "current_user", "get_app",
    "get_cookie", "get_field", "get_param", "get_path", "get_publisher", "get_request",
    "get_response", "get_session", "get_session_manager", "get_user", "get_wsgi_app",
    "redirect",
]

# The quixote shim is opt-in: JACK_QUIXOTE_SHIM=1 installs it here, before any application
# module runs `import quixote`; it logs that it is active. See jack_runtime.compat.
from .compat import install_from_environment as _install_shim_from_environment  # noqa: E402

_install_shim_from_environment()
