"""The helpers applications import from ``quixote.util``, same names and behaviour.

``xmlrpc``, ``FileStream``, ``StaticFile``/``StaticDirectory`` (defined in
:mod:`jack_runtime.static`), ``MemoryFile``, ``StaticBundle``, ``Redirector``,
``dump_request``, ``import_object``, ``randbytes``, ``safe_str_cmp``,
``get_directory_path``.

Differences, all for bad input: ``xmlrpc`` answers a body that is not XML-RPC with a 400
instead of a 500; ``StaticBundle`` answers unknown or refused file names (``..``, ``/``)
with a 404 instead of a 500, and caches only files that exist (Quixote cached a wrapper
for every name requested); ``safe_str_cmp`` is ``hmac.compare_digest`` and raises
TypeError when mixing str and bytes (Quixote 4's rule).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import io
import mimetypes
import os
import secrets
import sys
import xmlrpc.client as _xmlrpc
from typing import Any, Callable
from xml.parsers.expat import ExpatError

from . import context
from .directory import Directory
from .errors import QueryError, RequestError, TraversalError
from .html import TemplateIO, htmltext
from .static import FileStream, StaticDirectory, StaticFile

__all__ = [
    "randbytes", "safe_str_cmp", "import_object", "xmlrpc", "FileStream", "StaticFile",
    "StaticDirectory", "MemoryFile", "StaticBundle", "Redirector", "dump_request",
    "get_directory_path",
]

# As in Quixote 3.8: randbytes(n) is secrets.token_urlsafe (n random bytes, base64url;
# the default is 32 bytes, about 43 characters).
randbytes = secrets.token_urlsafe


def safe_str_cmp(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time equality of two str or two bytes (for tokens and passwords)."""
    if isinstance(a, str) and isinstance(b, str):
        return hmac.compare_digest(a.encode('utf-8'), b.encode('utf-8'))
    if isinstance(a, bytes) and isinstance(b, bytes):
        return hmac.compare_digest(a, b)
    raise TypeError("safe_str_cmp needs two str or two bytes, got %s and %s"
                    % (type(a).__name__, type(b).__name__))


def import_object(name: str) -> Any:
    """The module or module attribute named ``pkg.mod.name``."""
    i = name.rfind('.')
    if i != -1:
        module_name = name[:i]
        object_name = name[i + 1:]
        __import__(module_name)
        return getattr(sys.modules[module_name], object_name)
    __import__(name)
    return sys.modules[name]


def xmlrpc(request: Any, func: Callable[[str, tuple], Any]) -> str:
    """Handle an XML-RPC POST: call ``func(method_name, params)`` and return the
    XML-RPC response (text/xml); exceptions become faults."""
    if request.get_method() != 'POST':
        request.response.set_status(405, "Only the POST method is accepted")
        return "XML-RPC handlers only accept the POST method."
    try:
        length = int(request.environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        raise RequestError('invalid content-length header')
    data = request.stdin.read(length)
    try:
        params, method = _xmlrpc.loads(data)
    except (ExpatError, _xmlrpc.ResponseError, ValueError, TypeError) as exc:
        raise QueryError('malformed XML-RPC request', str(exc))
    if method is None:
        raise QueryError('malformed XML-RPC request', 'no methodName')
    try:
        result = func(method, params)
    except _xmlrpc.Fault as exc:
        result = _xmlrpc.dumps(exc)
    except BaseException:
        # report the exception back to the client
        result = _xmlrpc.dumps(
            _xmlrpc.Fault(1, "%s:%s" % (sys.exc_info()[0], sys.exc_info()[1])))
    else:
        result = _xmlrpc.dumps((result,), methodresponse=True)
    request.response.set_content_type('text/xml')
    return result


class MemoryFile:
    """A static-like file held in memory (a str), served with its type and charset."""

    def __init__(self, data: str, mime_type: str | None = None, encoding: str | None = None,
                 cache_time: int | None = None) -> None:
        import jack_runtime
        self.data = data
        self.mime_type = mime_type or 'text/plain'
        self.encoding = encoding or jack_runtime.DEFAULT_CHARSET
        self.cache_time = cache_time

    def get_data(self) -> bytes:
        return self.data.encode('utf-8')

    def __call__(self) -> str:
        response = context.current_response()
        response.set_content_type(self.mime_type, self.encoding)
        if self.cache_time:
            response.set_expires(seconds=self.cache_time)
        return self.data


@functools.cache
def _get_static_file_hash(static_file: Any) -> str:
    """Hex digest of the static file's content (computed once per process)."""
    return hashlib.sha1(static_file.get_data()).hexdigest()


def _check_bundle_name(name: str) -> None:
    if (name in ('', '.', '..') or '/' in name or '\\' in name or '\0' in name
            or os.path.isabs(name)):
        raise TraversalError(private_msg='invalid static file name %r' % name)


class StaticBundle(Directory):
    """A virtual directory of static files (CSS, JavaScript, images) served under a
    content-hash token, so they can be cached for a long time; ``a.js,b.js`` names the
    concatenation of text files.

    Everything under ``dirname`` is exposed. Content (and its hash) is cached in memory
    for the life of the process: restart after changing files.
    """

    CACHE_TIME = 3600 * 24 * 100

    def __init__(self, dirname: str, basepath: str = '', sep: str = '\n',
                 encoding: str | None = None) -> None:
        import jack_runtime
        self.basedir = dirname
        self.basepath = basepath
        self.sep = sep
        self.encoding = encoding or jack_runtime.DEFAULT_CHARSET
        self.files: dict[str, Any] = {}
        self.paths: dict[str, str] = {}

    def _create_bundle(self, filenames: list[str]) -> MemoryFile:
        """The concatenation of text files ``filenames`` as a MemoryFile."""
        data = io.StringIO()
        mime_type = None
        for fn in filenames:
            _check_bundle_name(fn)
            filename = os.path.join(self.basedir, fn)
            if not os.path.isfile(filename):
                raise TraversalError('static file missing')
            with open(filename, 'r', encoding=self.encoding) as fp:
                data.write(fp.read())
            if fn is not filenames[-1]:
                data.write(self.sep)
            if mime_type is None:
                mime_type, _ = mimetypes.guess_type(fn, strict=False)
        return MemoryFile(data.getvalue(), mime_type=mime_type, encoding=self.encoding)

    def _get_static_file(self, filename: str, cache_time: int | None = None) -> Any:
        static_file = self.files.get(filename)
        if static_file is not None:
            return static_file
        if ',' in filename:
            static_file = self._create_bundle(filename.split(','))
        else:
            _check_bundle_name(filename)
            path = os.path.join(self.basedir, filename)
            if not os.path.isfile(path):
                raise TraversalError(private_msg='static file %r missing' % filename)
            static_file = StaticFile(path, encoding=self.encoding)
        if cache_time:
            static_file.cache_time = cache_time
        self.files[filename] = static_file
        return static_file

    def _get_content_hash_token(self, filename: str) -> str:
        static_file = self._get_static_file(filename)
        try:
            digest = _get_static_file_hash(static_file)
        except OSError:
            raise TraversalError(private_msg='static file %r unreadable' % filename)
        return digest[:10]

    def make_path(self, *filenames: Any) -> str:
        """``basepath/<content hash>/<names>`` for one file or several text files of
        the same extension (served concatenated)."""
        names = [str(fn) for fn in filenames]
        key = ','.join(names)
        path = self.paths.get(key)
        if path is not None:
            return path
        exts = set(os.path.splitext(fn)[1] for fn in names)
        if len(exts) != 1:
            raise ValueError('different file extensions %s' % exts)
        for fn in names:
            if not os.path.exists(os.path.join(self.basedir, fn)):
                raise ValueError('missing file %r' % fn)
        token = self._get_content_hash_token(key)
        path = '%s/%s/%s' % (self.basepath, token, key)
        self.paths[key] = path
        return path

    def _q_traverse(self, path: list[str]) -> Any:
        if len(path) == 1:
            # no hash token: served directly, without caching
            filename = path[0]
            token = ''
            cache_time = None
        elif len(path) == 2:
            token, filename = path
            cache_time = self.CACHE_TIME
        else:
            raise TraversalError()
        static_file = self._get_static_file(filename, cache_time)
        if token and token != self._get_content_hash_token(filename):
            raise TraversalError('file does not exist with that content')
        return static_file()


class Redirector:
    """Redirects to ``location`` when called; usable from ``_q_lookup`` (as the last
    component only: it has no ``_q_traverse``, as in Quixote)."""

    _q_exports: list[Any] = []

    def __init__(self, location: str, permanent: bool = False) -> None:
        self.location = location
        self.permanent = permanent

    def _q_lookup(self, component: str) -> "Redirector":
        return self

    def __call__(self) -> str:
        return context.redirect(self.location, self.permanent)


def dump_request(request: Any = None) -> Any:
    """The request's form, cookies and environ as HTML tables."""
    if request is None:
        request = context.get_request()
    row_fmt = htmltext('<tr><th>%s</th><td>%s</td></tr>')
    r = TemplateIO(html=True)
    r += htmltext('<h3>form</h3><table>')
    for k, v in request.form.items():
        r += row_fmt % (k, v)
    r += htmltext('</table><h3>cookies</h3><table>')
    for k, v in request.cookies.items():
        r += row_fmt % (k, v)
    r += htmltext('</table><h3>environ</h3><table>')
    for k, v in request.environ.items():
        r += row_fmt % (k, v)
    r += htmltext('</table>')
    return r.getvalue()


def get_directory_path() -> list[Any]:
    """The Directory instances traversed so far (found on the stack, as Quixote does)."""
    path: list[Any] = []
    frame = sys._getframe()
    while frame:
        if frame.f_code.co_name == '_q_traverse':
            self = frame.f_locals.get('self', None)
            if path[:1] != [self]:
                path.insert(0, self)
        frame = frame.f_back  # type: ignore[assignment]
    return path
