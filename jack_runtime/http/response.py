"""HTTPResponse and Stream: Quixote 3.8's response API, speaking WSGI.

The public surface (attributes, methods, default headers, cookie syntax, gzip framing,
status reasons) is Quixote's, so applications and the differential tests see the same
status, headers and bytes. Three things differ on purpose, because Quixote's behaviour
is wrong under WSGI:

* No hop-by-hop headers ever reach the server: no ``Connection: close`` for empty
  bodies, no ``Transfer-Encoding: chunked`` and no self-chunked body for streams
  without a length (the WSGI server frames the body itself). An empty body is sent with
  ``Content-Length: 0``; 1xx/204/304 responses carry neither a length nor a body.
* ``Date`` is left to the WSGI server (waitress, gunicorn and wsgiref all add it;
  gunicorn would send it twice otherwise) unless the application set one;
  :meth:`HTTPResponse.generate_headers` still adds it, as Quixote did.
* CR, LF and NUL never reach the wire. The setters (``set_header``, ``set_cookie``,
  ``set_status`` with a reason, ``redirect``) refuse them with
  :class:`~jack_runtime.errors.InvalidHeaderValueError`, a 400 ``QueryError`` that is
  also a ``ValueError`` (the values usually come from user input, e.g. a ``?next=``
  redirect target). A value that bypassed the setters (``response.headers[k] = v``) is
  dropped from :meth:`wsgi_headers` and logged. This is Werkzeug's rule for header
  values, answered with a 4xx instead of a 500.

``compress`` adds ``Vary: Accept-Encoding`` whenever the body was actually gzipped
(Quixote never sent ``Vary``). A non-ASCII redirect target is percent-encoded as UTF-8
(WSGI headers must be latin-1; Quixote sent raw bytes or crashed).
"""
from __future__ import annotations

import logging
import re
import struct
import time
import zlib
from typing import Any, Iterable, Iterator
from urllib.parse import quote

from werkzeug.http import http_date

import jack_runtime as _jack  # read DEFAULT_CHARSET at call time, as Quixote did

from ..errors import InvalidHeaderValueError

__all__ = ["HTTPResponse", "Stream", "status_reasons"]

log = logging.getLogger("jack_runtime.http")

status_reasons = {
    100: 'Continue',
    101: 'Switching Protocols',
    102: 'Processing',
    200: 'OK',
    201: 'Created',
    202: 'Accepted',
    203: 'Non-Authoritative Information',
    204: 'No Content',
    205: 'Reset Content',
    206: 'Partial Content',
    207: 'Multi-Status',
    300: 'Multiple Choices',
    301: 'Moved Permanently',
    302: 'Moved Temporarily',
    303: 'See Other',
    304: 'Not Modified',
    305: 'Use Proxy',
    307: 'Temporary Redirect',
    400: 'Bad Request',
    401: 'Unauthorized',
    402: 'Payment Required',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    406: 'Not Acceptable',
    407: 'Proxy Authentication Required',
    408: 'Request Time-out',
    409: 'Conflict',
    410: 'Gone',
    411: 'Length Required',
    412: 'Precondition Failed',
    413: 'Request Entity Too Large',
    414: 'Request-URI Too Large',
    415: 'Unsupported Media Type',
    416: 'Requested range not satisfiable',
    417: 'Expectation Failed',
    422: 'Unprocessable Entity',
    423: 'Locked',
    424: 'Failed Dependency',
    500: 'Internal Server Error',
    501: 'Not Implemented',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Time-out',
    505: 'HTTP Version not supported',
    507: 'Insufficient Storage',
}

# Quixote's own gzip framing (raw deflate + this header + crc/size trailer), kept so that
# compressed bodies are byte-identical to Quixote's.
_GZIP_HEADER = b"\037\213\010\000\000\000\000\000\002\377"

# Content that is already compressed: don't bother trying.
_GZIP_EXCLUDE = frozenset([
    "application/pdf",
    "application/zip",
    "audio/mpeg",
    "image/gif",
    "image/jpeg",
    "image/png",
    "video/mpeg",
    "video/quicktime",
    "video/x-msvideo",
])

# RFC 9110 7.6.1 plus the ones WSGI (PEP 3333) forbids applications to send.
_HOP_BY_HOP = frozenset([
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade", "proxy-connection",
])

# C0 controls but HTAB, and DEL, are not allowed in a field value (RFC 9110 5.5): CR/LF
# would split the header, the others gunicorn answers with a 500 of its own.
_BAD_HEADER_CHARS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")

# Quixote emits header names with str.title(); caching saves a call per header.
_TITLES: dict[str, str] = {}


def _title(name: str) -> str:
    title = _TITLES.get(name)
    if title is None:
        title = name.title()
        if len(_TITLES) < 512:  # names are app-chosen: bound the cache
            _TITLES[name] = title
    return title


# (content_type, charset) -> the Content-Type header value, for the usual few types
_CONTENT_TYPES: dict[tuple[str, str | None], str] = {}
_HTML_UTF8 = "text/html; charset=utf-8"
_NO_CACHE = (("Expires", "-1"), ("Cache-Control", "max-age=0, no-cache"))


def _log_dropped(name: str, value: str) -> None:
    log.warning("dropped response header %s with a CR/LF/NUL in its value: %r", name, value)


def _check_header_value(what: str, value: Any) -> None:
    text = value if type(value) is str else str(value)
    if not text.isprintable() and _BAD_HEADER_CHARS.search(text):
        raise InvalidHeaderValueError(
            public_msg="%s contains a line break or control character" % what,
            private_msg="refused value %r" % (text,),
        )


def _utf8_as_latin1(value: str) -> str:
    """A non-ASCII header value as WSGI wants it (a latin-1 str of the bytes to send): its
    UTF-8 bytes, which is what Quixote's own server wrote. A str left outside latin-1 is a
    500 in every WSGI server."""
    return value.encode("utf-8", "replace").decode("latin-1")


def _lowu32(i: int) -> int:
    return i & 0xFFFFFFFF


class HTTPResponse:
    """An HTTP response: Quixote's API, plus :meth:`wsgi_status`, :meth:`wsgi_headers`
    and :meth:`wsgi_body` for the WSGI server.

    Attributes (as in Quixote): ``content_type``, ``charset`` (None: no charset
    parameter), ``status_code``, ``reason_phrase``, ``headers`` (lower-cased names),
    ``body`` (None, bytes or a :class:`Stream`), ``cookies``, ``cache`` (seconds; None:
    no automatic Expires/Cache-Control), ``buffered``, ``javascript_code``.
    """

    DEFAULT_CONTENT_TYPE = 'text/html'
    DEFAULT_CHARSET: str | None = None  # defaults to jack_runtime.DEFAULT_CHARSET

    # Defaults shared by all instances (immutable; assigning on an instance shadows them),
    # so that the constructor, run for every request, sets only what varies.
    status_code = 200
    reason_phrase = 'OK'
    body: bytes | Stream | None = None
    cache: int | None = 0
    buffered = True
    javascript_code: dict[str, str] | None = None
    _allow_chunked = False

    def __init__(self, status: int = 200, body: Any = None,
                 content_type: str | None = None, charset: str | None = None) -> None:
        self.content_type = content_type or self.DEFAULT_CONTENT_TYPE
        self.charset = charset or self.DEFAULT_CHARSET or _jack.DEFAULT_CHARSET
        if status != 200:
            self.set_status(status)
        self.headers: dict[str, Any] = {}
        self.cookies: dict[str, dict[str, Any]] = {}
        if body is not None:
            self.set_body(body)

    # -- status, type, headers ------------------------------------------------------------

    def set_content_type(self, content_type: str, charset: str | None = None) -> None:
        """Set the MIME type. Without ``charset``, a ``text/*`` type keeps the current
        charset and any other type drops it (no charset parameter is sent)."""
        content_type = content_type.lower()
        _check_header_value("content type", content_type)
        if charset is not None or not content_type.startswith('text/'):
            if charset is not None:
                _check_header_value("charset", charset)
            self.charset = charset
        self.content_type = content_type

    def set_charset(self, charset: str | None) -> None:
        if not charset:
            self.charset = None
        else:
            _check_header_value("charset", charset)
            self.charset = charset.lower()

    def set_status(self, status: int, reason: str | None = None) -> None:
        """Set the status (an int in 100..599); an unknown code gets the reason phrase
        of its class (493 -> 400's)."""
        if not isinstance(status, int):
            raise TypeError("status must be an integer")
        if not (100 <= status <= 599):
            raise ValueError("status must be between 100 and 599")
        self.status_code = status
        if reason is None:
            if status in status_reasons:
                reason = status_reasons[status]
            else:
                reason = status_reasons[status - (status % 100)]
        else:
            reason = str(reason)
            _check_header_value("reason phrase", reason)
        self.reason_phrase = reason

    def set_header(self, name: str, value: Any) -> None:
        """Set header ``name`` to ``value``, replacing any earlier value."""
        _check_header_value("header name", name)
        _check_header_value("header %s" % name, value)
        self.headers[name.lower()] = value

    def get_header(self, name: str, default: Any = None) -> Any:
        return self.headers.get(name.lower(), default)

    def set_expires(self, seconds: int | None = 0, minutes: int = 0, hours: int = 0,
                    days: int = 0) -> None:
        """How long the response may be cached; ``seconds=None`` means no automatic
        Expires/Cache-Control headers."""
        if seconds is None:
            self.cache = None
        else:
            self.cache = seconds + 60 * (minutes + 60 * (hours + 24 * days))

    # -- body -----------------------------------------------------------------------------

    def _encode_chunk(self, chunk: str | bytes) -> bytes:
        if isinstance(chunk, str):
            # iso-8859-1 is HTTP's default when no charset parameter is sent
            return chunk.encode(self.charset or 'iso-8859-1')
        return chunk

    def _compress_body(self, body: bytes) -> bytes:
        compressed = b''.join(self._generate_compressed([body]))
        if len(body) / len(compressed) > 1.0:  # only when it saves space
            self.set_header("Content-Encoding", "gzip")
            self._add_vary("Accept-Encoding")
            return compressed
        return body

    def _generate_compressed(self, body: Iterable[Any]) -> Iterator[bytes]:
        co = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS, zlib.DEF_MEM_LEVEL, 0)
        crc = zlib.crc32(b'') & 0xFFFFFFFF
        n = 0
        yield _GZIP_HEADER
        for chunk in body:
            if not isinstance(chunk, bytes):
                if isinstance(chunk, (bytearray, memoryview)):
                    chunk = bytes(chunk)
                else:
                    chunk = self._encode_chunk(str(chunk))
            crc = zlib.crc32(chunk, crc) & 0xFFFFFFFF
            n += len(chunk)
            out = co.compress(chunk)
            if out:
                yield out
        yield co.flush() + struct.pack("<LL", _lowu32(crc), _lowu32(n))

    def _add_vary(self, token: str) -> None:
        vary = self.headers.get("vary")
        if not vary:
            self.headers["vary"] = token
        elif token.lower() not in [v.strip().lower() for v in str(vary).split(",")]:
            self.headers["vary"] = "%s, %s" % (vary, token)

    def set_body(self, body: Any, compress: bool = False) -> None:
        """Set the body: bytes as they are, a :class:`Stream` streamed, anything else
        (str, htmltext, numbers, None) through ``str()`` and encoded with the charset.
        With ``compress``, gzip it unless the type is already compressed."""
        if compress and "content-encoding" in self.headers:
            # already encoded (a StaticFile for "x.gz" says gzip): Quixote gzipped it twice
            compress = False
        if type(body) is str:  # the common case, without the isinstance chain
            body = body.encode(self.charset or 'iso-8859-1')
            if compress and self.content_type not in _GZIP_EXCLUDE:
                body = self._compress_body(body)
        elif not isinstance(body, Stream):
            if not isinstance(body, bytes):
                body = self._encode_chunk(str(body))
            if compress and self.content_type not in _GZIP_EXCLUDE:
                body = self._compress_body(body)
        elif compress and self.content_type not in _GZIP_EXCLUDE:
            self.set_header("Content-Encoding", "gzip")
            self._add_vary("Accept-Encoding")
            body = _CompressedStream(self._generate_compressed(body), original=body)
        self.body = body

    # -- cookies --------------------------------------------------------------------------

    def expire_cookie(self, name: str, **attrs: Any) -> None:
        """Ask the browser to drop cookie ``name`` (pass the same ``path``/``domain``)."""
        params = {'max_age': 0, 'expires': 'Thu, 01-Jan-1970 00:00:00 GMT'}
        params.update(attrs)
        self.set_cookie(name, "deleted", **params)

    def set_cookie(self, name: str, value: Any, **attrs: Any) -> None:
        """Set cookie ``name``; attributes (``path``, ``domain``, ``max_age``,
        ``expires``, ``secure``, ``httponly``, ``samesite`` ...) merge with those of an
        earlier call for the same name. ``secure``/``httponly`` take any true value."""
        _check_header_value("cookie name", name)
        if ";" in name or "=" in name or "," in name:
            raise InvalidHeaderValueError(public_msg="invalid cookie name",
                                          private_msg="refused cookie name %r" % (name,))
        _check_header_value("cookie %s" % name, value)
        for key, val in attrs.items():
            if val is not None:
                _check_header_value("cookie attribute %s" % key, val)
        cookie = self.cookies.get(name)
        if cookie is None:
            cookie = self.cookies[name] = {}
        cookie.update(attrs)
        cookie['value'] = value

    # -- misc -----------------------------------------------------------------------------

    def add_javascript(self, code_id: str, code: str) -> None:
        """Collect a JavaScript snippet, once per ``code_id`` (forms render them)."""
        if self.javascript_code is None:
            self.javascript_code = {code_id: code}
        elif code_id not in self.javascript_code:
            self.javascript_code[code_id] = code

    def redirect(self, location: str, permanent: bool = False) -> str:
        """Redirect (301 if ``permanent``, else 302) to the absolute URL ``location``;
        returns the plain-text body."""
        if not isinstance(location, str):
            raise TypeError("location must be a string (got %r)" % location)
        if location.find('://') == -1:
            raise ValueError("URL must include the server name")
        _check_header_value("redirect target", location)
        if not location.isascii():
            location = _NON_ASCII.sub(lambda m: quote(m.group(), safe=""), location)
        self.set_status(301 if permanent else 302)
        self.headers['location'] = location
        self.set_content_type('text/plain')
        return "Your browser should have redirected you to %s" % location

    def get_status_code(self) -> int:
        return self.status_code

    def get_reason_phrase(self) -> str:
        return self.reason_phrase

    def get_content_type(self) -> str:
        return self.content_type

    def get_content_length(self) -> int | None:
        body = self.body
        if body is None:
            return None
        if isinstance(body, Stream):
            return body.length
        return len(body)

    def enable_transfer_chunked(self) -> None:
        """Kept for API compatibility; has no effect on the wire.

        Under WSGI the server decides the framing: a body without a known length is
        chunked (or delimited by closing) by the server, never by the application."""
        self._allow_chunked = True

    # -- header generation ----------------------------------------------------------------

    def _gen_cookie_headers(self) -> list[tuple[str, str]]:
        """One ``Set-Cookie`` per cookie, in Quixote's syntax: the value always
        double-quoted, attribute names lower-cased with ``_`` -> ``-``."""
        cookie_headers = []
        for name, attrs in self.cookies.items():
            value = str(attrs['value'])
            if '"' in value:
                value = value.replace('"', '\\"')
            chunks = ['%s="%s"' % (name, value)]
            for attr, val in attrs.items():
                attr = attr.lower()
                if val is None or attr == 'value':
                    continue
                elif attr == 'secure' and val:
                    chunks.append("secure")
                elif attr == 'httponly' and val:
                    chunks.append("httponly")
                else:
                    chunks.append('%s=%s' % (attr.replace('_', '-'), val))
            cookie_headers.append(("Set-Cookie", '; '.join(chunks)))
        return cookie_headers

    def _has_body(self) -> bool:
        code = self.status_code
        return not (code < 200 or code == 204 or code == 304)

    def wsgi_status(self) -> str:
        """The WSGI status line, e.g. ``"200 OK"``."""
        if self.status_code == 200 and self.reason_phrase == 'OK':
            return '200 OK'
        return "%d %s" % (self.status_code, self.reason_phrase)

    def _content_type_value(self) -> str:
        key = (self.content_type, self.charset)
        value = _CONTENT_TYPES.get(key)
        if value is None:
            content_type, charset = key
            value = content_type if charset is None else "%s; charset=%s" % key
            if not value.isprintable() and _BAD_HEADER_CHARS.search(value):
                _log_dropped("Content-Type", value)
                return ""
            if len(_CONTENT_TYPES) < 256:
                _CONTENT_TYPES[key] = value
        return value

    def wsgi_headers(self) -> list[tuple[str, str]]:
        """The response headers for ``start_response``: the application's headers in
        the order set, then Quixote's defaults (Expires/Cache-Control, Content-Type,
        Content-Length) when not set, title-cased, then the Set-Cookie headers.

        Never a hop-by-hop header, never a value with CR/LF/NUL, no Date (the server
        adds it) unless the application set one. Does not modify ``self.headers``."""
        headers = self.headers
        if not headers and self.cache == 0 and not self.cookies:
            # Fast path for the common dynamic page (no header set by the application)
            code = self.status_code
            body = self.body
            if type(body) is bytes and not (code < 200 or code == 204 or code == 304):
                if self.content_type == 'text/html' and self.charset == 'utf-8':
                    content_type = _HTML_UTF8
                else:
                    content_type = self._content_type_value()
                    if not content_type:
                        return [_NO_CACHE[0], _NO_CACHE[1], ("Content-Length", str(len(body)))]
                return [_NO_CACHE[0], _NO_CACHE[1], ("Content-Type", content_type),
                        ("Content-Length", str(len(body)))]
        out: list[tuple[str, str]] = []
        if headers:
            for name, value in headers.items():
                if name in _HOP_BY_HOP:
                    continue
                if type(value) is not str:
                    value = str(value)
                # the setters refuse CR/LF/NUL; this catches values that bypassed them
                if not value.isprintable() and _BAD_HEADER_CHARS.search(value):
                    _log_dropped(name, value)
                    continue
                if not value.isascii():
                    value = _utf8_as_latin1(value)
                out.append((_title(name), value))
        cache = self.cache
        if cache is not None and not ("expires" in headers or "cache-control" in headers):
            if cache > 0:
                out.append(("Expires", http_date(time.time() + cache)))
                out.append(("Cache-Control", "max-age=%d" % cache))
            else:
                # Quixote's default for dynamic pages: "-1" is an invalid (so past) date,
                # which is what Microsoft recommends for IE.
                out += _NO_CACHE
        if "content-type" not in headers:
            value = self._content_type_value()
            if value:
                out.append(("Content-Type", value))
        if "content-length" not in headers:
            code = self.status_code
            if not (code < 200 or code == 204 or code == 304):
                body = self.body
                if body is None:
                    out.append(("Content-Length", "0"))
                elif type(body) is bytes:
                    out.append(("Content-Length", str(len(body))))
                else:
                    length = self.get_content_length()
                    if length is not None:
                        out.append(("Content-Length", str(length)))
        if self.cookies:
            for name, value in self._gen_cookie_headers():
                if value.isprintable() or not _BAD_HEADER_CHARS.search(value):
                    out.append((name, value if value.isascii() else _utf8_as_latin1(value)))
                else:
                    _log_dropped(name, value)
        return out

    def generate_headers(self) -> list[tuple[str, str]]:
        """Quixote's name: :meth:`wsgi_headers` plus a ``Date`` header."""
        headers = self.wsgi_headers()
        if "date" not in self.headers:
            headers.insert(self._date_position(), ("Date", http_date(time.time())))
        return headers

    def _date_position(self) -> int:
        # Quixote inserts Date right after the headers the application set.
        return sum(1 for name in self.headers if name not in _HOP_BY_HOP)

    def wsgi_body(self) -> Iterable[bytes]:
        """The body as a WSGI iterable of bytes. A :class:`Stream` is iterated lazily and
        closed through the iterable's ``close()`` (which WSGI servers call)."""
        body = self.body
        if type(body) is bytes:
            code = self.status_code
            if code < 200 or code == 204 or code == 304:
                return []
            return [body]
        if body is None:
            return []
        if isinstance(body, Stream):
            if not self._has_body():
                body.close()
                return []
            return _StreamBody(body, self._encode_chunk)
        return [body] if self._has_body() else []

    def generate_body_chunks(self) -> Iterable[bytes]:
        """Quixote's name for the encoded body chunks (never self-chunked here)."""
        return self.wsgi_body()

    def write(self, output: Any, include_status: bool = True,
              include_body: bool = True) -> None:
        """Write a CGI-style response (``Status:`` line, headers, blank line, body)."""
        flush_output = not self.buffered and hasattr(output, 'flush')
        if include_status:
            output.write(('Status: %03d %s\r\n' % (self.status_code,
                                                   self.reason_phrase)).encode('utf-8'))
        for name, value in self.generate_headers():
            output.write(("%s: %s\r\n" % (name, value)).encode('utf-8'))
        output.write(b"\r\n")
        if flush_output:
            output.flush()
        if not include_body:
            return
        body = self.wsgi_body()
        try:
            for chunk in body:
                output.write(chunk)
                if flush_output:
                    output.flush()
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        if flush_output:
            output.flush()


class Stream:
    """Response data produced by an iterable of str or bytes chunks.

    ``length``, if known, becomes the Content-Length. ``close()`` is called once the
    response has been sent (or abandoned); override it to release resources.
    """

    def __init__(self, iterable: Iterable[Any], length: int | None = None) -> None:
        self.iterable = iterable
        self.length = length

    def __iter__(self) -> Iterator[Any]:
        return iter(self.iterable)

    def close(self) -> None:
        """Called after the response has been streamed."""


class _CompressedStream(Stream):
    """The gzip wrapper around a Stream: closing it closes the wrapped Stream too."""

    def __init__(self, iterable: Iterator[bytes], original: Stream) -> None:
        super().__init__(iterable)
        self.original = original

    def close(self) -> None:
        self.iterable.close()  # type: ignore[attr-defined]  # a generator
        self.original.close()


class _StreamBody:
    """The WSGI iterable for a Stream: encodes str chunks, closes the Stream on close()."""

    __slots__ = ("stream", "encode", "_closed")

    def __init__(self, stream: "Stream", encode: Any) -> None:
        self.stream = stream
        self.encode = encode
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        encode = self.encode
        for chunk in self.stream:
            if type(chunk) is not bytes:
                if isinstance(chunk, (bytes, bytearray, memoryview)):
                    chunk = bytes(chunk)  # WSGI wants exactly bytes
                else:
                    # str, htmltext and the like; Quixote passed anything else through
                    chunk = encode(chunk if isinstance(chunk, str) else str(chunk))
            if chunk:
                yield chunk

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.stream.close()
