"""The PublishError family and the pages Jack generates for them (Quixote 3.8's output).

Raising a PublishError anywhere in a request's lifecycle answers it with
``exc.status_code`` and the page from ``App.format_publish_error(exc)``; the session is
still committed. Besides Quixote's classes, two 4xx errors the request and response
raise for bad input: :class:`RequestEntityTooLargeError` (413) and
:class:`InvalidHeaderValueError` (400).
"""
from __future__ import annotations

from typing import Any, Iterable

from .context import get_request, get_response
from .html import htmlescape, htmltext

__all__ = [
    "PublishError", "TraversalError", "RequestError", "QueryError", "AccessError",
    "MethodNotAllowedError", "RequestEntityTooLargeError", "InvalidHeaderValueError",
    "PAGE_TEMPLATE", "ERROR_BODY", "INTERNAL_ERROR_MESSAGE",
    "format_page", "format_error_page", "format_publish_error",
]


class PublishError(Exception):
    """An error in the data the client sent; the request is answered with an error page.

    ``public_msg`` is always shown. ``private_msg`` is shown only when the app's
    ``display_exceptions`` is set (development), since it may reveal inner workings.
    """

    status_code = 400
    title = "Publishing error"
    description = ("An error occured while generating the requested page. "
                   "For help, please contact the site administrator.")

    def __init__(self, public_msg: Any = None, private_msg: Any = None) -> None:
        self.public_msg = public_msg
        self.private_msg = private_msg  # cleared unless display_exceptions

    def __str__(self) -> str:
        # str() also for htmltext messages (Quixote raised TypeError for those)
        return str(self.private_msg or self.public_msg or "???")

    def format(self) -> Any:
        msg = htmlescape(self.title)
        if self.public_msg:
            msg = msg + ": " + self.public_msg
        if self.private_msg:
            msg = msg + ": " + self.private_msg
        return msg


class TraversalError(PublishError):
    """No such resource (404). ``path`` defaults to the current request's path."""

    status_code = 404
    title = "Page not found"
    description = ("The requested link does not exist on this site.  If "
                   "you arrived here by following a link from an external "
                   "page, please inform that page's maintainer.")

    def __init__(self, public_msg: Any = None, private_msg: Any = None,
                 path: str | None = None) -> None:
        PublishError.__init__(self, public_msg, private_msg)
        if path is None:
            # Quixote fails here outside a request; an empty path is more useful.
            request = get_request()
            path = request.get_path() if request is not None else ""
        self.path = path

    def format(self) -> Any:
        msg = htmlescape(self.title) + ": " + self.path
        if self.public_msg:
            msg = msg + ": " + self.public_msg
        if self.private_msg:
            msg = msg + ": " + self.private_msg
        return msg


class RequestError(PublishError):
    """The request could not be parsed (malformed or malicious client)."""

    status_code = 400
    title = "Invalid request"
    description = "Unable to parse HTTP request."


class QueryError(PublishError):
    """Bad data in the query or the POSTed content (application-defined)."""

    status_code = 400
    title = "Invalid query"
    description = ("An error occurred while handling your request.  The "
                   "query data provided as part of the request is invalid.")


class AccessError(PublishError):
    """Access to the resource is not permitted (403); typically from ``_q_access``."""

    status_code = 403
    title = "Access denied"
    description = ("An error occurred while handling your request.  "
                   "Access to the requested resource was not permitted.")


class MethodNotAllowedError(PublishError):
    """The method is not allowed (405); ``format()`` sets the ``Allow`` header."""

    status_code = 405
    title = "Method not allowed"
    description = ("The method specified in the request is not allowed for "
                   "the resource identified by the URI.")

    def __init__(self, allowed_methods: Iterable[str]) -> None:
        self.allowed_methods = allowed_methods
        self.public_msg = self.private_msg = None

    def format(self) -> Any:
        allowed_methods = ', '.join(self.allowed_methods)
        response = get_response()
        if response is not None:
            response.set_header('Allow', allowed_methods)
        return 'Allowed methods are: %s' % allowed_methods


class RequestEntityTooLargeError(RequestError):
    """The body, the in-memory form data or the number of form parts exceeds the app's
    limit (``max_request_body_size``, ``max_form_memory_size``, ``max_form_parts``)."""

    status_code = 413
    title = "Request entity too large"
    description = "The data sent with the request exceeds the size this site accepts."


class InvalidHeaderValueError(QueryError, ValueError):
    """A response header value (a redirect target, a cookie ...) contains CR, LF or
    NUL. Such values nearly always come from user input (``?next=...%0d%0a``), so this
    is a 400, and never reaches the wire. It is also a ValueError, as in Werkzeug."""

    def __str__(self) -> str:
        return PublishError.__str__(self)


PAGE_TEMPLATE = htmltext('''\
<!DOCTYPE html>
<html>
<head>
<title>%(title)s</title>
<style type="text/css">
body {
    font: 13px arial,helvetica,clean,sans-serif;
}
h1 {
    font-size: 24px;
}
p {
    width: 40em;
}
</style>
</head>
<body>
    <h1>%(title)s</h1>
    %(body)s
</body>
</html>
''')


def format_page(title: Any, body: Any) -> Any:
    """The page around every Jack-generated HTML page (error pages, directory
    listings). Replace this function for site-wide styling, as in Quixote."""
    return PAGE_TEMPLATE % dict(title=title, body=body)


ERROR_BODY = htmltext('''
    <p>%(description)s</p>
    <p>%(details)s</p>
''')


def format_error_page(title: Any, description: Any, details: Any) -> Any:
    body = ERROR_BODY % dict(description=description, details=details)
    # Looked up at call time, so a replaced format_page is honoured.
    return format_page(title=title, body=body)


# The page for a non-PublishError exception when display_exceptions is off.
INTERNAL_ERROR_MESSAGE = format_error_page(
    title='Internal Server Error',
    description='An internal error occured while handling your page request.',
    details=('The error has been logged but you may wish to contact the '
             'server administrator and inform them of the time the error '
             'occurred, and anything you might have done to trigger the '
             'error.'),
)


def format_publish_error(exc: PublishError) -> Any:
    """The error page for a PublishError."""
    return format_error_page(title='Error: %s' % exc.title,
                             description=exc.description,
                             details=exc.format())
