"""App: the WSGI application, with Quixote's Publisher lifecycle and hook names.

The request cycle is Publisher.process_request's, step for step (parse_request, try_publish
with start_request / method check / missing-slash redirect / traversal /
finish_successful_request, finish_interrupted_request on a PublishError, finish_failed_request
on anything else, filter_output, set_body, log_request), so subclasses that override those
hooks keep working. What differs is what Quixote gets wrong for WSGI:

- no singleton: the current request lives in a ContextVar (jack_runtime.context), bound for
  the request and again around every step of the body's iteration, so any number of Apps
  serve concurrently in one process, under threads or greenlets;
- no hop-by-hop headers and no self-chunked bodies (the server frames the body);
- a malformed request (a RequestError while the request object is built) is a 4xx page,
  where Quixote's adapter lets the exception escape as a 500;
- REQUEST_URI, which Quixote's adapter added, is added the same way when the server did
  not set it.
"""
from __future__ import annotations

import io
import sys
import time
import traceback
from typing import Any, Callable, Iterable, Iterator

from .config import Config
from .context import RequestContext, _context, _new_context, bind, get_context, unbind
from .errors import (INTERNAL_ERROR_MESSAGE, MethodNotAllowedError, PublishError, RequestError,
                     format_publish_error)
from .http.request import HTTPRequest
from .http.response import HTTPResponse
from .logger import DefaultLogger
from . import context

StartResponse = Callable[..., Any]


class App:
    """A Jack application: ``App(root_directory)`` is a WSGI callable.

    ``config`` is a :class:`Config`; alternatively pass its options as keyword arguments
    (``App(root, display_exceptions='plain')``), as Quixote's Publisher accepts them.
    Applications plug their own request/response classes by overriding ``request_class`` /
    ``response_class`` (in a subclass or on the instance).
    """

    request_class: type = HTTPRequest
    response_class: type = HTTPResponse
    # Read by code written for QWIP; Jack apps are always safe to run in threads.
    is_thread_safe = True

    def __init__(self, root: Any, *, session_manager: Any = None, config: Config | None = None,
                 logger: Any = None, **config_kwargs: Any) -> None:
        if config is None:
            config = Config(**config_kwargs)
        elif config_kwargs:
            raise ValueError("cannot provide both 'config' object and config arguments")
        self.config = config
        if logger is None:
            logger = DefaultLogger(error_log=config.error_log, access_log=config.access_log,
                                   error_email=config.error_email)
        self.logger = logger
        if session_manager is None:
            from .session import NullSessionManager

            session_manager = NullSessionManager()
        self.session_manager = session_manager
        if not callable(getattr(root, "_q_traverse", None)):
            raise TypeError("Expected something with a _q_traverse method, got %r" % (root,))
        self.root_directory = root

    def __repr__(self) -> str:
        return "<%s root=%r>" % (type(self).__name__, self.root_directory)

    # -- WSGI ------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if "REQUEST_URI" not in environ:
            # Quixote's WSGI adapter (QWIP) sets it, with this value, and applications read
            # it; waitress sets it too (the path as sent), other servers may not.
            environ["REQUEST_URI"] = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        try:
            request = self.request_class(environ["wsgi.input"], environ)
        except PublishError as exc:
            # Quixote builds the request outside its error handling (a bad Content-Length
            # escapes as a 500); here it is the client's error, answered as such.
            response = self._unparsable_request(environ, exc)
            start_response(response.wsgi_status(), response.wsgi_headers())
            return response.wsgi_body()
        response = self.process_request(request)
        # As with QWIP, the status and headers are produced after the request ended (no
        # application code runs there); the body, which may, is iterated in context below.
        start_response(response.wsgi_status(), response.wsgi_headers())
        body = response.wsgi_body()
        if type(body) is list or type(body) is tuple:
            if environ.get("REQUEST_METHOD") == "HEAD":
                return []  # see below
            return body  # plain bytes: iterating it runs no application code
        if environ.get("REQUEST_METHOD") == "HEAD":
            # waitress sends whatever body the app returns, even to HEAD, and the client
            # then reads it as the next response on a kept-alive connection. The headers
            # stay GET's (RFC 9110 9.3.2), as with Quixote's simple_server and Werkzeug.
            ContextBody(body, self, request).close()
            return []
        return ContextBody(body, self, request)

    # -- Publisher's hooks, in lifecycle order ---------------------------------------------

    def process_request(self, request: Any) -> Any:
        """Run the whole lifecycle for ``request``; returns ``request.response``."""
        # context.bind(self, request), inlined: this runs once per request
        token = _context.set(_new_context(RequestContext, (self, request)))
        try:
            start_time = time.time()
            try:
                self.parse_request(request)
                output = self.try_publish(request)
            except PublishError as exc:
                if exc.status_code in (400, 413) or isinstance(exc, RequestError):
                    # malformed client input (bad body, bad header value): worth a log line
                    self._log_bad_request(request.get_environ("REQUEST_METHOD"),
                                          request.get_environ("PATH_INFO"), exc)
                try:
                    output = self.finish_interrupted_request(exc)
                except PublishError as again:
                    # e.g. the session store failed while committing: that error's page,
                    # the session cannot be saved anyway
                    output = self._publish_error_page(request, again)
                except BaseException:
                    output = self.finish_failed_request()
            except BaseException:
                output = self.finish_failed_request()
            # As in Quixote, errors from here on are not turned into error pages.
            output = self.filter_output(request, output)
            if output:
                compress = bool(self.config.compress_pages and request.get_encoding(["gzip"]))
                request.response.set_body(output, compress)
            self.logger.log_request(request, start_time)
        finally:
            _context.reset(token)
        return request.response

    def parse_request(self, request: Any) -> None:
        """Parse the query string and body into ``request.form``."""
        request.process_inputs()

    def start_request(self) -> None:
        """Called at the start of each request (after parsing): loads the session."""
        self.session_manager.start_request()

    def try_publish(self, request: Any) -> Any:
        """Traverse to the requested object and return its output; exceptions propagate."""
        self.start_request()
        allowed_methods = self.config.allowed_methods
        if allowed_methods is not None and request.get_method() not in allowed_methods:
            raise MethodNotAllowedError(allowed_methods)
        path = request.get_environ("PATH_INFO", "")
        if path and path[:1] != "/":
            # Quixote returns here without finish_successful_request(); so does Jack
            return context.redirect(request.get_environ("SCRIPT_NAME", "") + "/" + path,
                                    permanent=True)
        output = self.root_directory._q_traverse(path[1:].split("/"))
        self.finish_successful_request()
        return output

    def finish_successful_request(self) -> None:
        """Called after the traversal returned: commits the session."""
        self.session_manager.finish_successful_request()

    def format_publish_error(self, exc: PublishError) -> Any:
        """The page for a PublishError; override to brand error pages."""
        return format_publish_error(exc)

    def finish_interrupted_request(self, exc: PublishError) -> Any:
        """A PublishError stopped the request: a fresh response with its status and page.

        The session is still committed, as in Quixote.
        """
        output = self._publish_error_page(context.get_request(), exc)
        self.session_manager.finish_successful_request()
        return output

    def finish_failed_request(self) -> Any:
        """Any other exception: a 500, logged; the session changes are aborted.

        Must be called while the exception is being handled. ``SystemExit`` is logged and
        re-raised.
        """
        request = context.get_request()
        original_response = request.response
        request.response = self.response_class()
        exc_type, exc_value, tb = sys.exc_info()
        error_summary = traceback.format_exception_only(exc_type, exc_value)[0][:-1]
        plain_error_msg = self._generate_plaintext_error(request, original_response,
                                                         exc_type, exc_value, tb)
        if not self.config.display_exceptions:
            request.response.set_header("Content-Type", "text/html")
            user_error_msg = self._generate_internal_error(request)
        else:
            request.response.set_header("Content-Type", "text/plain")
            user_error_msg = plain_error_msg
        self.logger.log_internal_error(error_summary, plain_error_msg)
        if exc_type is SystemExit:
            raise  # the exception our caller is handling
        request.response.set_status(500)
        try:
            self.session_manager.finish_failed_request()
        except PublishError as exc:
            # the request already failed; its 500 stands, the abort failure is logged
            self.log("session abort failed: %s" % (exc,))
        return user_error_msg

    def _generate_internal_error(self, request: Any) -> Any:
        return INTERNAL_ERROR_MESSAGE

    def _generate_plaintext_error(self, request: Any, original_response: Any, exc_type: Any,
                                  exc_value: Any, tb: Any) -> str:
        error_file = io.StringIO()
        traceback.print_exception(exc_type, exc_value, tb, file=error_file)
        error_file.write("\n")
        error_file.write(request.dump())
        error_file.write("\n")
        return error_file.getvalue()

    def filter_output(self, request: Any, output: Any) -> Any:
        """Post-process the output of every request (identity by default)."""
        return output

    def log(self, msg: str) -> None:
        self.logger.log(msg)

    def set_session_manager(self, session_manager: Any) -> None:
        self.session_manager = session_manager

    def process(self, stdin: Any, env: dict[str, Any]) -> Any:
        """Quixote's entry point for CGI-style servers: a request from a stream and a dict."""
        return self.process_request(self.request_class(stdin, env))

    def get_request(self) -> Any:
        """The request this App is handling in the current context, or None."""
        ctx = get_context()
        return ctx.request if ctx is not None and ctx.app is self else None

    # -- internals ---------------------------------------------------------------------------

    def _publish_error_page(self, request: Any, exc: PublishError) -> Any:
        if not self.config.display_exceptions and exc.private_msg:
            exc.private_msg = None  # hide it
        request.response = self.response_class(status=exc.status_code)
        return self.format_publish_error(exc)

    def _log_bad_request(self, method: Any, path: Any, exc: PublishError) -> None:
        # repr() keeps client-supplied CR/LF and control characters out of the log's lines
        self.log("bad request (%d) %r %r: %r" % (exc.status_code, method, path, str(exc)))

    def _unparsable_request(self, environ: dict[str, Any], exc: PublishError) -> Any:
        """The response to a request whose object could not even be built."""
        self._log_bad_request(environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), exc)
        if not self.config.display_exceptions and exc.private_msg:
            exc.private_msg = None
        response = self.response_class(status=exc.status_code)
        try:
            output = self.format_publish_error(exc)
        except Exception:
            # an overridden page may rely on a request; there is none, use the plain page
            output = format_publish_error(exc)
        response.set_body(output)
        return response


class ContextBody:
    """A response body that runs inside its request's context.

    The WSGI server iterates the body after ``App.__call__`` returned, possibly on another
    thread; each ``next()`` and the final ``close()`` therefore rebind ``(app, request)`` so a
    generator or Stream body still sees ``get_request()`` and friends.
    """

    __slots__ = ("_iterable", "_iterator", "_app", "_request")

    def __init__(self, iterable: Iterable[bytes], app: App, request: Any) -> None:
        self._iterable = iterable
        self._iterator: Iterator[bytes] | None = None
        self._app = app
        self._request = request

    def __iter__(self) -> "ContextBody":
        return self

    def __next__(self) -> bytes:
        token = bind(self._app, self._request)
        try:
            if self._iterator is None:
                self._iterator = iter(self._iterable)
            return next(self._iterator)
        finally:
            unbind(token)

    def close(self) -> None:
        close = getattr(self._iterable, "close", None)
        if close is not None:
            token = bind(self._app, self._request)
            try:
                close()
            finally:
                unbind(token)
